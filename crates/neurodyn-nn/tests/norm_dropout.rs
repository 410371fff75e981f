//! Batch norm, weight normalisation and dropout against central differences in f64 (every
//! parameter and input entry, of `L = Σ y ⊙ g`), and dropout's masks by their statistics (its
//! generator is not PyTorch's, so there is no golden): the fraction dropped, the scaling, the
//! identity in evaluation, the masks' dependence on the seed and not on the thread count. The
//! PyTorch goldens of batch norm and weight normalisation are in `tests/layers.rs`.

use neurodyn_core::Rng;
use neurodyn_nn::layers::{
    numel, Act, BatchNorm, Conv2d, Dropout, FeedForward, Flatten, Layer, LayerCtx, Linear, Pool2d,
    PoolKind, Shape, StackWorkspace, WeightNorm,
};
use neurodyn_nn::Activation;

fn ctx(batch: usize, training: bool, seed: u64) -> LayerCtx {
    LayerCtx {
        batch,
        training,
        threads: 1,
        seed,
    }
}

/// Below this magnitude a gradient entry is compared in absolute terms (a central difference of
/// a loss of order 1 at ε = 1e-6 carries rounding errors of about 1e-9).
const FLOOR: f64 = 1e-3;

/// `L = Σ y ⊙ g` of `layer` at `(params, x)`, from a fresh copy of `buffers`.
fn loss(layer: &dyn Layer<f64>, p: &[f64], buf: &[f64], x: &[f64], g: &[f64], c: LayerCtx) -> f64 {
    let mut y = vec![0.0; g.len()];
    let mut b = buf.to_vec();
    layer.forward_buffered(p, &mut b, x, &mut y, &mut Vec::new(), c);
    y.iter().zip(g).map(|(a, b)| a * b).sum()
}

/// The worst relative error of `layer`'s backward pass against central differences, over every
/// parameter and input entry, at random parameters (the initial ones, perturbed) and buffers
/// `buf`.
fn grad_error(layer: &dyn Layer<f64>, buf: &[f64], c: LayerCtx, rng: &mut Rng) -> f64 {
    let mut params: Vec<f64> = layer
        .init_params(rng)
        .into_iter()
        .map(|v| v + 0.3 * rng.normal())
        .collect();
    let mut x: Vec<f64> = (0..c.batch * numel(layer.in_shape()))
        .map(|_| rng.normal())
        .collect();
    let g: Vec<f64> = (0..c.batch * numel(layer.out_shape()))
        .map(|_| rng.normal())
        .collect();
    let mut y = vec![0.0; g.len()];
    let mut scratch = Vec::new();
    let mut after = buf.to_vec();
    layer.forward_buffered(&params, &mut after, &x, &mut y, &mut scratch, c);
    let (mut dx, mut dp) = (vec![0.0; x.len()], vec![0.0; params.len()]);
    layer.backward_buffered(
        &params,
        buf,
        &x,
        &y,
        &g,
        Some(&mut dx),
        &mut dp,
        &mut scratch,
        c,
    );
    let eps = 1e-6;
    let mut worst = 0.0f64;
    let mut compare = |num: f64, ana: f64| {
        worst = worst.max((num - ana).abs() / (num.abs() + ana.abs()).max(FLOOR));
    };
    for k in 0..params.len() {
        let w0 = params[k];
        params[k] = w0 + eps;
        let lp = loss(layer, &params, buf, &x, &g, c);
        params[k] = w0 - eps;
        let lm = loss(layer, &params, buf, &x, &g, c);
        params[k] = w0;
        compare((lp - lm) / (2.0 * eps), dp[k]);
    }
    for k in 0..x.len() {
        let x0 = x[k];
        x[k] = x0 + eps;
        let lp = loss(layer, &params, buf, &x, &g, c);
        x[k] = x0 - eps;
        let lm = loss(layer, &params, buf, &x, &g, c);
        x[k] = x0;
        compare((lp - lm) / (2.0 * eps), dx[k]);
    }
    worst
}

/// Running statistics of `c` channels away from their initial values, then the batch count.
fn running(c: usize) -> Vec<f64> {
    let mut b: Vec<f64> = (0..c).map(|i| 0.3 * (i as f64 + 1.0).sin()).collect();
    b.extend((0..c).map(|i| 0.4 + 0.25 * i as f64));
    b.push(3.0);
    b
}

fn conv(s: Shape, o: usize, k: (usize, usize), st: (usize, usize), p: (usize, usize)) -> Conv2d {
    Conv2d::new(s, o, k, st, p, (1, 1), true).expect("conv")
}

/// A gradient-check case: name, layer, batch, training, buffers.
type Case = (&'static str, Box<dyn Layer<f64>>, usize, bool, Vec<f64>);

fn cases() -> Vec<Case> {
    let bn = |s: Shape| Box::new(BatchNorm::new(s, 0.1, 1e-5).expect("bn"));
    vec![
        ("bn1d train", bn([5, 1, 1]), 4, true, running(5)),
        ("bn2d train", bn([3, 3, 4]), 3, true, running(3)),
        ("bn1d eval", bn([4, 1, 1]), 3, false, running(4)),
        ("bn2d eval", bn([2, 3, 3]), 3, false, running(2)),
        (
            "wn linear",
            Box::new(WeightNorm::new(Linear::new([3, 2, 2], 5, true))),
            3,
            true,
            vec![],
        ),
        (
            "wn linear no bias",
            Box::new(WeightNorm::new(Linear::new([4, 1, 1], 3, false))),
            2,
            true,
            vec![],
        ),
        (
            "wn conv 3x3 pad 1",
            Box::new(WeightNorm::new(conv([2, 5, 4], 3, (3, 3), (1, 1), (1, 1)))),
            2,
            true,
            vec![],
        ),
        (
            "wn conv strided dilated",
            Box::new(WeightNorm::new(
                Conv2d::new([2, 7, 6], 2, (3, 2), (2, 1), (1, 2), (1, 2), false).expect("conv"),
            )),
            2,
            true,
            vec![],
        ),
        (
            "dropout 0.4",
            Box::new(Dropout::new([3, 2, 2], 0.4).expect("p")),
            3,
            true,
            vec![],
        ),
        (
            "dropout eval",
            Box::new(Dropout::new([3, 2, 2], 0.4).expect("p")),
            3,
            false,
            vec![],
        ),
    ]
}

#[test]
fn norms_and_dropout_match_central_differences() {
    let mut rng = Rng::new(21);
    for (name, layer, batch, training, buf) in cases() {
        assert_eq!(layer.n_buffers(), buf.len(), "{name}: buffers");
        let e = grad_error(&*layer, &buf, ctx(batch, training, 77), &mut rng);
        assert!(e < 1e-6, "{name}: relative error {e:e}");
    }
}

/// The checks can fail: a batch norm whose backward ignores the statistics' dependence on the
/// input (the eval-mode backward run on a training pass) is caught.
#[test]
fn a_wrong_batch_norm_backward_is_caught() {
    struct Wrong(BatchNorm);
    impl Layer<f64> for Wrong {
        fn kind(&self) -> &'static str {
            "wrong"
        }
        fn in_shape(&self) -> Shape {
            Layer::<f64>::in_shape(&self.0)
        }
        fn out_shape(&self) -> Shape {
            Layer::<f64>::out_shape(&self.0)
        }
        fn params(&self) -> Vec<(&'static str, usize)> {
            Layer::<f64>::params(&self.0)
        }
        fn init_params(&self, rng: &mut Rng) -> Vec<f64> {
            Layer::<f64>::init_params(&self.0, rng)
        }
        fn forward(&self, p: &[f64], x: &[f64], y: &mut [f64], s: &mut Vec<f64>, c: LayerCtx) {
            self.0.forward(p, x, y, s, c);
        }
        fn backward(
            &self,
            p: &[f64],
            x: &[f64],
            y: &[f64],
            dy: &[f64],
            dx: Option<&mut [f64]>,
            dp: &mut [f64],
            s: &mut Vec<f64>,
            c: LayerCtx,
        ) {
            // The running statistics set to this batch's: right output, wrong ∂x.
            let n = p.len() / 2;
            let m = (c.batch * numel(self.in_shape()) / n) as f64;
            let mut buf = vec![0.0; 2 * n + 1];
            for ch in 0..n {
                let vals: Vec<f64> = x
                    .chunks_exact(numel(self.in_shape()))
                    .flat_map(|s| s[ch * (s.len() / n)..(ch + 1) * (s.len() / n)].to_vec())
                    .collect();
                buf[ch] = vals.iter().sum::<f64>() / m;
                buf[n + ch] = vals.iter().map(|v| (v - buf[ch]).powi(2)).sum::<f64>() / m;
            }
            let eval = LayerCtx {
                training: false,
                ..c
            };
            self.0.backward_buffered(p, &buf, x, y, dy, dx, dp, s, eval);
        }
    }
    let mut rng = Rng::new(4);
    let layer = Wrong(BatchNorm::new([3, 2, 2], 0.1, 1e-5).expect("bn"));
    let e = grad_error(&layer, &[], ctx(4, true, 0), &mut rng);
    assert!(e > 1e-2, "the check missed a wrong backward ({e:e})");
}

#[test]
fn batch_norm_updates_its_running_statistics_as_pytorch_does() {
    let bn = BatchNorm::new([2, 1, 2], 0.25, 1e-5).expect("bn");
    // Channel 0 holds 1, 2 (sample 0) and 3, 6 (sample 1): mean 3, biased variance 3.5,
    // unbiased 14/3; channel 1 holds 0, 0, 4, 4: mean 2, unbiased variance 16/3.
    let x = [1.0, 2.0, 0.0, 0.0, 3.0, 6.0, 4.0, 4.0];
    let params = [1.0, 1.0, 0.0, 0.0];
    let mut buf: Vec<f64> = vec![0.0, 0.0, 1.0, 1.0, 0.0];
    let mut y = [0.0; 8];
    bn.forward_buffered(
        &params,
        &mut buf,
        &x,
        &mut y,
        &mut Vec::new(),
        ctx(2, true, 0),
    );
    let want: [f64; 5] = [
        0.75,
        0.5,
        0.75 + 0.25 * 14.0 / 3.0,
        0.75 + 0.25 * 16.0 / 3.0,
        1.0,
    ];
    for (a, b) in buf.iter().zip(want) {
        assert!((a - b).abs() < 1e-12, "{buf:?} vs {want:?}");
    }
    assert!((y[0] - (1.0 - 3.0) / (3.5f64 + 1e-5).sqrt()).abs() < 1e-12);
    // Evaluation reads the running statistics and leaves them alone.
    let before = buf.clone();
    bn.forward_buffered(
        &params,
        &mut buf,
        &x,
        &mut y,
        &mut Vec::new(),
        ctx(2, false, 0),
    );
    assert_eq!(buf, before);
    assert!((y[0] - (1.0 - 0.75) / (want[2] + 1e-5).sqrt()).abs() < 1e-12);
    assert!(BatchNorm::new([2, 1, 1], 1.5, 1e-5).is_err());
    assert!(BatchNorm::new([2, 1, 1], 0.1, 0.0).is_err());
}

#[test]
fn dropout_drops_a_fraction_p_and_scales_the_rest() {
    let n = 1 << 20;
    let x: Vec<f32> = (0..n).map(|i| 1.0 + (i % 7) as f32).collect();
    for p in [0.1, 0.5, 0.8] {
        let d = Dropout::new([n, 1, 1], p).expect("p");
        let mut y = vec![0.0f32; n];
        d.forward(&[], &x, &mut y, &mut Vec::new(), ctx(1, true, 9));
        let dropped = y.iter().filter(|&&v| v == 0.0).count() as f64 / n as f64;
        // Five standard deviations of a binomial fraction over 2²⁰ draws is below 2.5e-3.
        assert!((dropped - p).abs() < 2.5e-3, "p {p}: dropped {dropped}");
        let scale = (1.0 / (1.0 - p)) as f32;
        assert!(
            y.iter().zip(&x).all(|(&a, &b)| a == 0.0 || a == b * scale),
            "p {p}: survivors are x/(1 − p)"
        );
        // The backward pass applies the same mask.
        let mut dx = vec![0.0f32; n];
        d.backward(
            &[],
            &x,
            &y,
            &x,
            Some(&mut dx),
            &mut [],
            &mut Vec::new(),
            ctx(1, true, 9),
        );
        assert_eq!(dx, y);
        // Evaluation is the identity.
        d.forward(&[], &x, &mut y, &mut Vec::new(), ctx(1, false, 9));
        assert_eq!(y, x);
    }
    // p = 0 is exactly the identity in training too.
    let d = Dropout::new([n, 1, 1], 0.0).expect("p");
    let mut y = vec![0.0f32; n];
    d.forward(&[], &x, &mut y, &mut Vec::new(), ctx(1, true, 9));
    assert_eq!(y, x);
    for p in [1.0, -0.1, f64::NAN] {
        let e = Dropout::new([2, 1, 1], p).unwrap_err().to_string();
        assert!(e.contains("[0, 1)"), "{e}");
    }
}

#[test]
fn dropout_masks_follow_the_seed() {
    let d = Dropout::new([64, 1, 1], 0.5).expect("p");
    let x = vec![1.0f64; 4 * 64];
    let mask = |seed| {
        let mut y = vec![0.0; x.len()];
        d.forward(&[], &x, &mut y, &mut Vec::new(), ctx(4, true, seed));
        y
    };
    assert_eq!(mask(3), mask(3), "same seed, same mask");
    assert_ne!(mask(3), mask(4), "another seed, another mask");
    let m = mask(3);
    assert_ne!(m[..64], m[64..128], "each sample has its own mask");
}

/// A small CNN with every new layer: conv (weight norm) → BN2d → softplus → dropout → pool →
/// flatten → linear (weight norm) → BN1d → tanh → dropout → linear, smooth (softplus, not ReLU, so
/// that no central difference straddles a kink).
fn net(rng: &mut Rng) -> FeedForward<f64> {
    let layers: Vec<Box<dyn Layer<f64>>> = vec![
        Box::new(WeightNorm::new(conv([2, 6, 6], 3, (3, 3), (1, 1), (1, 1)))),
        Box::new(BatchNorm::new([3, 6, 6], 0.1, 1e-5).expect("bn")),
        Box::new(Act::new([3, 6, 6], Activation::Softplus)),
        Box::new(Dropout::new([3, 6, 6], 0.3).expect("p")),
        Box::new(Pool2d::new(PoolKind::Avg, [3, 6, 6], 2, 2).expect("pool")),
        Box::new(Flatten::new([3, 3, 3])),
        Box::new(WeightNorm::new(Linear::new([27, 1, 1], 6, true))),
        Box::new(BatchNorm::new([6, 1, 1], 0.1, 1e-5).expect("bn")),
        Box::new(Act::new([6, 1, 1], Activation::Tanh)),
        Box::new(Dropout::new([6, 1, 1], 0.5).expect("p")),
        Box::new(Linear::new([6, 1, 1], 4, true)),
    ];
    FeedForward::new(layers, rng).expect("stack")
}

/// The stack keeps each layer's mask and buffers between its forward and backward passes: its
/// gradient to every parameter and input entry matches central differences, in training
/// (seeded masks, batch statistics) and in evaluation (running statistics).
#[test]
fn a_stack_of_the_new_layers_matches_central_differences() {
    let mut rng = Rng::new(8);
    let mut net = net(&mut rng);
    for v in net.params.iter_mut() {
        *v += 0.2 * rng.normal();
    }
    let batch = 3;
    let mut x: Vec<f64> = (0..batch * 72).map(|_| rng.normal()).collect();
    let g: Vec<f64> = (0..batch * 4).map(|_| rng.normal()).collect();
    let mut ws = StackWorkspace::default();
    // Running statistics away from their initial values, for the evaluation pass.
    for step in 0..3 {
        net.forward_train(&mut ws, &x, batch, 1, step);
    }
    for training in [true, false] {
        ws.seed = 12345;
        let f = |net: &FeedForward<f64>, ws: &mut StackWorkspace<f64>, x: &[f64]| -> f64 {
            let out = net.forward(ws, x, batch, training, 1);
            out.iter().zip(&g).map(|(a, b)| a * b).sum()
        };
        f(&net, &mut ws, &x);
        let mut grads = vec![0.0; net.params.len()];
        let mut dx = vec![0.0; x.len()];
        net.backward_from(&mut ws, net.layers.len() - 1, &g, &mut grads, Some(&mut dx));
        let eps = 1e-6;
        let mut worst = 0.0f64;
        let mut compare = |lp: f64, lm: f64, ana: f64| {
            let num = (lp - lm) / (2.0 * eps);
            worst = worst.max((num - ana).abs() / (num.abs() + ana.abs()).max(FLOOR));
        };
        for k in 0..net.params.len() {
            let v0 = net.params[k];
            net.params[k] = v0 + eps;
            let lp = f(&net, &mut ws, &x);
            net.params[k] = v0 - eps;
            let lm = f(&net, &mut ws, &x);
            net.params[k] = v0;
            compare(lp, lm, grads[k]);
        }
        for k in 0..x.len() {
            let v0 = x[k];
            x[k] = v0 + eps;
            let lp = f(&net, &mut ws, &x);
            x[k] = v0 - eps;
            let lm = f(&net, &mut ws, &x);
            x[k] = v0;
            compare(lp, lm, dx[k]);
        }
        assert!(
            worst < 1e-6,
            "training {training}: relative error {worst:e}"
        );
    }
}

/// Training passes: the same bits on 1, 2 and 4 threads (outputs and running statistics), the
/// buffers changed only by `forward_train`, and another mask at each step.
#[test]
fn training_passes_do_not_depend_on_the_thread_count() {
    let mut rng = Rng::new(2);
    let batch = 8;
    let x: Vec<f64> = (0..batch * 72).map(|_| rng.normal()).collect();
    let run = |threads: usize| {
        let mut net = net(&mut Rng::new(2));
        let mut ws = StackWorkspace::default();
        let before = net.buffers.clone();
        net.forward(&mut ws, &x, batch, true, threads);
        assert_eq!(
            net.buffers, before,
            "forward leaves the network's buffers alone"
        );
        let mut outs = Vec::new();
        for step in 0..3 {
            outs.push(
                net.forward_train(&mut ws, &x, batch, threads, step)
                    .to_vec(),
            );
        }
        assert_ne!(
            net.buffers, before,
            "forward_train keeps the running statistics"
        );
        assert_ne!(outs[0], outs[1], "another step, another mask");
        (outs, net.buffers.clone())
    };
    let one = run(1);
    for threads in [2, 4] {
        assert!(run(threads) == one, "{threads} threads differ from one");
    }
}

/// Two dropout layers of one pass draw different masks (each layer its own seed).
#[test]
fn each_dropout_layer_of_a_stack_has_its_own_mask() {
    let layers: Vec<Box<dyn Layer<f32>>> = vec![
        Box::new(Dropout::new([256, 1, 1], 0.5).expect("p")),
        Box::new(Dropout::new([256, 1, 1], 0.5).expect("p")),
    ];
    let net = FeedForward::new(layers, &mut Rng::new(0)).expect("stack");
    let mut ws = StackWorkspace::default();
    ws.seed = 5;
    net.forward(&mut ws, &[1.0; 256], 1, true, 1);
    let (first, second) = (&ws.acts[1], &ws.acts[2]);
    // With one mask the second layer would keep exactly what the first kept.
    let kept_then_dropped = first
        .iter()
        .zip(second)
        .filter(|(&a, &b)| a != 0.0 && b == 0.0)
        .count();
    assert!(kept_then_dropped > 30, "{kept_then_dropped}");
    // Evaluation: the identity through both.
    net.forward(&mut ws, &[1.0; 256], 1, false, 1);
    assert!(ws.acts[2].iter().all(|&v| v == 1.0));
}
