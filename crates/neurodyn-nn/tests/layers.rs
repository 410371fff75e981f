//! The feed-forward layers against PyTorch and against central differences.
//!
//! Golden values come from `tests/golden/nn/make_layers_golden.py` (float64): each case's
//! output and its gradients to the input and the parameters, for closed-form inputs, parameters
//! and output gradients that this file rebuilds; batch norm's also the buffers after the pass
//! (training) or the running statistics it was given (evaluation). Every case runs in f64 (to 1e-12) and in f32
//! (to 1e-5 of the largest magnitude, on the engine's f32 kernels). The gradient checks compare
//! every parameter and every input entry of each layer with central differences of
//! `L = Σ y ⊙ g` in f64.

use neurodyn_core::Rng;
use neurodyn_nn::layers::{
    numel, Act, BatchNorm, Conv2d, FeedForward, Flatten, GlobalAvgPool, Layer, LayerCtx, Linear,
    Pool2d, PoolKind, Shape, StackWorkspace, WeightNorm, WinogradTile,
};
use neurodyn_nn::{Activation, Real};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Deserialize)]
struct Spec {
    kind: String,
    #[serde(default)]
    out: usize,
    #[serde(default)]
    bias: bool,
    #[serde(default)]
    kernel: [usize; 2],
    #[serde(default)]
    stride: [usize; 2],
    #[serde(default)]
    padding: [usize; 2],
    #[serde(default)]
    dilation: [usize; 2],
    #[serde(default)]
    k: usize,
    #[serde(default)]
    pool_stride: usize,
    #[serde(default)]
    pool_padding: usize,
    #[serde(default)]
    weight_norm: bool,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    spec: Spec,
    batch: usize,
    /// PyTorch's shape of one sample (`(n,)` for a feature vector, the engine's `(n, 1, 1)`).
    #[serde(deserialize_with = "padded")]
    in_shape: Shape,
    out_shape: Vec<usize>,
    y: Vec<f64>,
    dx: Vec<f64>,
    d_params: Vec<f64>,
    /// Batch norm: the mode, and the buffers before and after the pass.
    #[serde(default)]
    training: Option<bool>,
    #[serde(default)]
    buffers_in: Vec<f64>,
    #[serde(default)]
    buffers_out: Vec<f64>,
}

#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
}

fn padded<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Shape, D::Error> {
    let v = Vec::<usize>::deserialize(d)?;
    let mut s = [1; 3];
    s[..v.len().min(3)].copy_from_slice(&v[..v.len().min(3)]);
    Ok(s)
}

fn build(s: &Spec, in_shape: Shape) -> Box<dyn Layer<f64>> {
    build_t::<f64>(s, in_shape)
}

fn build_t<T: Real>(s: &Spec, in_shape: Shape) -> Box<dyn Layer<T>> {
    let pair = |v: [usize; 2]| (v[0], v[1]);
    let conv = || {
        Conv2d::new(
            in_shape,
            s.out,
            pair(s.kernel),
            pair(s.stride),
            pair(s.padding),
            pair(s.dilation),
            s.bias,
        )
        .expect("valid conv")
    };
    match s.kind.as_str() {
        "linear" if s.weight_norm => {
            Box::new(WeightNorm::new(Linear::new(in_shape, s.out, s.bias)))
        }
        "linear" => Box::new(Linear::new(in_shape, s.out, s.bias)),
        "conv2d" if s.weight_norm => Box::new(WeightNorm::new(conv())),
        "conv2d" => Box::new(conv()),
        "batchnorm" => Box::new(BatchNorm::new(in_shape, 0.1, 1e-5).expect("bn")),
        "maxpool2d" => {
            Box::new(Pool2d::new(PoolKind::Max, in_shape, s.k, s.pool_stride).expect("pool"))
        }
        "avgpool2d" if s.pool_padding > 0 => Box::new(
            Pool2d::avg_padded(in_shape, s.k, s.pool_stride, s.pool_padding).expect("pool"),
        ),
        "avgpool2d" => {
            Box::new(Pool2d::new(PoolKind::Avg, in_shape, s.k, s.pool_stride).expect("pool"))
        }
        "global-avgpool" => Box::new(GlobalAvgPool::new(in_shape)),
        "relu" => Box::new(Act::new(in_shape, Activation::Relu)),
        "tanh" => Box::new(Act::new(in_shape, Activation::Tanh)),
        other => panic!("unknown kind {other}"),
    }
}

fn seq(n: usize, f: impl Fn(f64) -> f64) -> Vec<f64> {
    (0..n).map(|i| f(i as f64)).collect()
}

fn golden() -> Golden {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/nn/layers.json");
    let text = std::fs::read_to_string(&path).expect("layers.json");
    serde_json::from_str(&text).expect("parse layers.json")
}

/// Output, input gradient, parameter gradient and buffers after the pass of one case in `T`, as
/// f64.
fn run<T: Real>(layer: &dyn Layer<T>, c: &Case) -> [Vec<f64>; 4] {
    let ctx = LayerCtx {
        batch: c.batch,
        training: c.training.unwrap_or(true),
        threads: 1,
        seed: 0,
    };
    let t = |v: Vec<f64>| v.into_iter().map(T::c).collect::<Vec<T>>();
    let x = t(seq(c.batch * numel(c.in_shape), |i| {
        (0.37 * i + 0.11).sin()
    }));
    let params = t(seq(layer.n_params(), |i| 0.3 * (0.23 * i + 0.7).cos()));
    let n_out = c.batch * numel(layer.out_shape());
    let dy = t(seq(n_out, |i| (0.19 * i + 0.5).sin()));
    let mut y = vec![T::c(0.0); n_out];
    let mut scratch = Vec::new();
    let mut buffers = t(c.buffers_in.clone());
    let before = buffers.clone();
    layer.forward_buffered(&params, &mut buffers, &x, &mut y, &mut scratch, ctx);
    let mut dx = vec![T::c(9.0); x.len()];
    let mut dp = vec![T::c(9.0); params.len()];
    layer.backward_buffered(
        &params,
        &before,
        &x,
        &y,
        &dy,
        Some(&mut dx),
        &mut dp,
        &mut scratch,
        ctx,
    );
    let f = |v: Vec<T>| v.into_iter().map(|a| a.f()).collect::<Vec<f64>>();
    [f(y), f(dx), f(dp), f(buffers)]
}

fn max_rel(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len(), "lengths");
    let scale = want.iter().fold(1e-300f64, |m, v| m.max(v.abs()));
    got.iter()
        .zip(want)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
        / scale
}

#[test]
fn layers_match_pytorch_in_f64_and_f32() {
    let g = golden();
    assert!(g.cases.len() >= 19);
    for c in &g.cases {
        let layer = build(&c.spec, c.in_shape);
        assert_eq!(
            layer.out_shape().to_vec(),
            {
                // PyTorch's shape of a feature vector is `(n,)`, the engine's `(n, 1, 1)`.
                let mut want = c.out_shape.clone();
                want.resize(3, 1);
                want
            },
            "{}: output shape",
            c.name
        );
        assert_eq!(layer.n_buffers(), c.buffers_in.len(), "{}: buffers", c.name);
        let [y, dx, dp, buf] = run(&*layer, c);
        for (what, got, want) in [
            ("y", &y, &c.y),
            ("dx", &dx, &c.dx),
            ("d_params", &dp, &c.d_params),
            ("buffers", &buf, &c.buffers_out),
        ] {
            if want.is_empty() {
                assert!(got.is_empty(), "{}: {what} should be empty", c.name);
                continue;
            }
            let e = max_rel(got, want);
            assert!(e < 1e-12, "{} f64: {what} differs by {e:e}", c.name);
        }
        let layer32 = build_t::<f32>(&c.spec, c.in_shape);
        let [y, dx, dp, buf] = run(&*layer32, c);
        for (what, got, want) in [
            ("y", &y, &c.y),
            ("dx", &dx, &c.dx),
            ("d_params", &dp, &c.d_params),
            ("buffers", &buf, &c.buffers_out),
        ] {
            if !want.is_empty() {
                let e = max_rel(got, want);
                assert!(e < 1e-5, "{} f32: {what} differs by {e:e}", c.name);
            }
        }
    }
}

/// `L = Σ y ⊙ g` of `layer` at `(params, x)`.
fn loss(layer: &dyn Layer<f64>, params: &[f64], x: &[f64], g: &[f64], batch: usize) -> f64 {
    let ctx = LayerCtx {
        batch,
        training: true,
        threads: 1,
        seed: 0,
    };
    let mut y = vec![0.0; g.len()];
    layer.forward(params, x, &mut y, &mut Vec::new(), ctx);
    y.iter().zip(g).map(|(a, b)| a * b).sum()
}

/// Below this magnitude a gradient entry is compared in absolute terms: a central difference
/// of a loss of order 1 at ε = 1e-6 carries rounding errors of about 1e-9.
const FLOOR: f64 = 1e-3;

/// Every parameter and input entry of `layer` against central differences.
fn grad_check(name: &str, layer: &dyn Layer<f64>, batch: usize, rng: &mut Rng) {
    let ctx = LayerCtx {
        batch,
        training: true,
        threads: 1,
        seed: 0,
    };
    let mut params = layer.init_params(rng);
    assert_eq!(params.len(), layer.n_params(), "{name}: init length");
    let mut x: Vec<f64> = (0..batch * numel(layer.in_shape()))
        .map(|_| rng.normal())
        .collect();
    let g: Vec<f64> = (0..batch * numel(layer.out_shape()))
        .map(|_| rng.normal())
        .collect();
    let mut y = vec![0.0; g.len()];
    let mut scratch = Vec::new();
    layer.forward(&params, &x, &mut y, &mut scratch, ctx);
    let (mut dx, mut dp) = (vec![0.0; x.len()], vec![0.0; params.len()]);
    layer.backward(
        &params,
        &x,
        &y,
        &g,
        Some(&mut dx),
        &mut dp,
        &mut scratch,
        ctx,
    );
    let eps = 1e-6;
    let mut worst = 0.0f64;
    for k in 0..params.len() {
        let w0 = params[k];
        params[k] = w0 + eps;
        let lp = loss(layer, &params, &x, &g, batch);
        params[k] = w0 - eps;
        let lm = loss(layer, &params, &x, &g, batch);
        params[k] = w0;
        let num = (lp - lm) / (2.0 * eps);
        worst = worst.max((num - dp[k]).abs() / (num.abs() + dp[k].abs()).max(FLOOR));
    }
    for k in 0..x.len() {
        let x0 = x[k];
        x[k] = x0 + eps;
        let lp = loss(layer, &params, &x, &g, batch);
        x[k] = x0 - eps;
        let lm = loss(layer, &params, &x, &g, batch);
        x[k] = x0;
        let num = (lp - lm) / (2.0 * eps);
        worst = worst.max((num - dx[k]).abs() / (num.abs() + dx[k].abs()).max(FLOOR));
    }
    assert!(worst < 1e-6, "{name}: relative error {worst:e}");
}

#[test]
fn every_layer_matches_central_differences() {
    let mut rng = Rng::new(11);
    let conv = |s: Shape, o, k, st, p, d, b| Conv2d::new(s, o, k, st, p, d, b).expect("conv");
    let layers: Vec<(&str, Box<dyn Layer<f64>>)> = vec![
        ("linear", Box::new(Linear::new([3, 2, 2], 5, true))),
        ("linear no bias", Box::new(Linear::new([4, 1, 1], 3, false))),
        (
            "conv 3x3 pad 1",
            Box::new(conv([2, 5, 4], 3, (3, 3), (1, 1), (1, 1), (1, 1), true)),
        ),
        (
            "conv 3x3 pad 1 by Winograd F(2x2)",
            Box::new(
                conv([2, 5, 4], 3, (3, 3), (1, 1), (1, 1), (1, 1), true)
                    .with_winograd_tile(Some(WinogradTile::F2)),
            ),
        ),
        (
            "conv 3x3 pad 1 by Winograd F(4x4)",
            Box::new(
                conv([2, 5, 6], 3, (3, 3), (1, 1), (1, 1), (1, 1), true)
                    .with_winograd_tile(Some(WinogradTile::F4)),
            ),
        ),
        (
            "conv strided dilated",
            Box::new(conv([2, 7, 6], 2, (3, 2), (2, 1), (1, 2), (1, 2), false)),
        ),
        (
            "conv 1x1 stride 2",
            Box::new(conv([3, 5, 5], 2, (1, 1), (2, 2), (0, 0), (1, 1), true)),
        ),
        (
            "maxpool 2",
            Box::new(Pool2d::new(PoolKind::Max, [2, 5, 6], 2, 2).expect("pool")),
        ),
        (
            "maxpool 3/2",
            Box::new(Pool2d::new(PoolKind::Max, [1, 7, 7], 3, 2).expect("pool")),
        ),
        (
            // Windows side by side, the last row and column outside every window.
            "avgpool 2",
            Box::new(Pool2d::new(PoolKind::Avg, [2, 5, 7], 2, 2).expect("pool")),
        ),
        (
            "avgpool 3/2",
            Box::new(Pool2d::new(PoolKind::Avg, [2, 7, 8], 3, 2).expect("pool")),
        ),
        ("global avgpool", Box::new(GlobalAvgPool::new([3, 4, 5]))),
        ("tanh", Box::new(Act::new([2, 3, 3], Activation::Tanh))),
        (
            "softplus",
            Box::new(Act::new([2, 3, 3], Activation::Softplus)),
        ),
        ("flatten", Box::new(Flatten::new([2, 3, 2]))),
    ];
    for (name, layer) in &layers {
        grad_check(name, &**layer, 2, &mut rng);
    }
}

#[test]
fn impossible_shapes_are_refused_with_a_message() {
    let e = Conv2d::new([1, 4, 4], 2, (5, 5), (1, 1), (0, 0), (1, 1), true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not fit") && e.contains("4x4"), "{e}");
    let e = Conv2d::new([1, 4, 4], 2, (3, 3), (0, 1), (0, 0), (1, 1), true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("positive"), "{e}");
    let e = Pool2d::new(PoolKind::Max, [1, 3, 3], 4, 2)
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not fit"), "{e}");
}

#[test]
fn max_pool_propagates_nan_and_sends_its_gradient_to_the_first_maximum() {
    let pool = Pool2d::new(PoolKind::Max, [1, 2, 4], 2, 2).expect("pool");
    let ctx = LayerCtx {
        batch: 1,
        training: true,
        threads: 1,
        seed: 0,
    };
    // Window 0 holds a tie (3 at offsets 1 and 4: the first wins), window 1 a NaN.
    let x = [1.0, 3.0, 0.5, f64::NAN, 3.0, 2.0, 9.0, 1.0];
    let mut y = [0.0; 2];
    Layer::<f64>::forward(&pool, &[], &x, &mut y, &mut Vec::new(), ctx);
    assert_eq!(y[0], 3.0);
    assert!(
        y[1].is_nan(),
        "a NaN in the window is the maximum, as in PyTorch"
    );
    let mut dx = [0.0; 8];
    Layer::<f64>::backward(
        &pool,
        &[],
        &x,
        &y,
        &[10.0, 20.0],
        Some(&mut dx),
        &mut [],
        &mut Vec::new(),
        ctx,
    );
    assert_eq!(dx, [0.0, 10.0, 0.0, 20.0, 0.0, 0.0, 0.0, 0.0]);
}

/// A convolution cut into per-thread parts of the batch: outputs and input gradients are the
/// same bits as on one thread (each sample is computed alone), the parameter gradients, summed
/// part by part, agree to rounding and repeat exactly for the same thread count.
#[test]
fn conv_on_several_threads_matches_one_thread() {
    // Large enough to be cut (1.2 M multiply-adds per sample, 12 samples: up to 3 parts of at
    // least 2²² each); a stride of 2 along the width keeps the strided im2col path in play.
    let strided = Conv2d::new([8, 32, 64], 16, (3, 3), (1, 2), (1, 1), (1, 1), true).expect("conv");
    // And a 3×3 stride-1 convolution by Winograd (0.9 M a sample), by either tile.
    let plain = Conv2d::new([16, 20, 20], 16, (3, 3), (1, 1), (1, 1), (1, 1), true).expect("conv");
    let f4 = plain.clone().with_winograd(true);
    assert_eq!(f4.winograd_tile(), Some(WinogradTile::F4));
    let f2 = plain.with_winograd_tile(Some(WinogradTile::F2));
    for conv in [strided, f4, f2] {
        several_threads_match_one(&conv);
    }
}

fn several_threads_match_one(conv: &Conv2d) {
    let conv = conv.clone();
    let in_len = numel(Layer::<f32>::in_shape(&conv));
    let mut rng = Rng::new(3);
    let params: Vec<f32> = Layer::<f32>::init_params(&conv, &mut rng)
        .into_iter()
        .map(|v| v as f32)
        .collect();
    let batch = 12;
    let x: Vec<f32> = (0..batch * in_len).map(|_| rng.normal() as f32).collect();
    let n_out = batch * numel(Layer::<f32>::out_shape(&conv));
    let dy: Vec<f32> = (0..n_out).map(|_| rng.normal() as f32).collect();
    let pass = |threads: usize| {
        let ctx = LayerCtx {
            batch,
            training: true,
            threads,
            seed: 0,
        };
        let mut scratch = Vec::new();
        let mut y = vec![0.0f32; n_out];
        Layer::<f32>::forward(&conv, &params, &x, &mut y, &mut scratch, ctx);
        let (mut dx, mut dp) = (vec![0.0f32; x.len()], vec![0.0f32; params.len()]);
        Layer::<f32>::backward(
            &conv,
            &params,
            &x,
            &y,
            &dy,
            Some(&mut dx),
            &mut dp,
            &mut scratch,
            ctx,
        );
        (y, dx, dp)
    };
    let (y1, dx1, dp1) = pass(1);
    for threads in [2, 3, 16] {
        let (y, dx, dp) = pass(threads);
        assert!(
            y == y1 && dx == dx1,
            "{threads} threads: outputs or ∂x differ"
        );
        let f = |v: &[f32]| v.iter().map(|&a| f64::from(a)).collect::<Vec<f64>>();
        let e = max_rel(&f(&dp), &f(&dp1));
        assert!(e < 1e-5, "{threads} threads: ∂θ differs by {e:e}");
        assert!(
            pass(threads).2 == dp,
            "{threads} threads: ∂θ does not repeat"
        );
    }
}

/// `L = Σ g ⊙ (output of layer `top`)` of a small CNN, in f64.
fn stack_loss(
    net: &FeedForward<f64>,
    ws: &mut StackWorkspace<f64>,
    x: &[f64],
    top: usize,
    g: &[f64],
    batch: usize,
) -> f64 {
    net.forward(ws, x, batch, false, 1);
    ws.acts[top + 1].iter().zip(g).map(|(a, b)| a * b).sum()
}

#[test]
fn a_hidden_layers_gradient_reaches_the_input_and_matches_central_differences() {
    let mut rng = Rng::new(5);
    let layers: Vec<Box<dyn Layer<f64>>> = vec![
        Box::new(Conv2d::new([1, 6, 6], 3, (3, 3), (1, 1), (1, 1), (1, 1), true).expect("conv")),
        Box::new(Act::new([3, 6, 6], Activation::Tanh)),
        Box::new(Pool2d::new(PoolKind::Avg, [3, 6, 6], 2, 2).expect("pool")),
        Box::new(Flatten::new([3, 3, 3])),
        Box::new(Linear::new([27, 1, 1], 5, true)),
        Box::new(Act::new([5, 1, 1], Activation::Softplus)),
        Box::new(Linear::new([5, 1, 1], 4, true)),
    ];
    let net = FeedForward::new(layers, &mut rng).expect("stack");
    let batch = 2;
    let mut x: Vec<f64> = (0..batch * 36).map(|_| rng.normal()).collect();
    let mut ws = StackWorkspace::default();
    for top in [1, 5, 6] {
        let out_len = batch * numel(net.layers[top].out_shape());
        let g: Vec<f64> = (0..out_len).map(|_| rng.normal()).collect();
        net.forward(&mut ws, &x, batch, false, 1);
        let mut grads = vec![f64::NAN; net.params.len()];
        let mut dx = vec![f64::NAN; x.len()];
        net.backward_from(&mut ws, top, &g, &mut grads, Some(&mut dx));
        assert!(
            grads[net.param_range(top).end..].iter().all(|&v| v == 0.0),
            "layers above {top} get zero gradients"
        );
        let eps = 1e-6;
        let mut worst = 0.0f64;
        for k in 0..x.len() {
            let x0 = x[k];
            x[k] = x0 + eps;
            let lp = stack_loss(&net, &mut ws, &x, top, &g, batch);
            x[k] = x0 - eps;
            let lm = stack_loss(&net, &mut ws, &x, top, &g, batch);
            x[k] = x0;
            let num = (lp - lm) / (2.0 * eps);
            worst = worst.max((num - dx[k]).abs() / (num.abs() + dx[k].abs()).max(FLOOR));
        }
        assert!(worst < 1e-6, "input gradient from layer {top}: {worst:e}");
        // The full backward equals backward_from the last layer.
        if top == 6 {
            let mut full = vec![0.0; net.params.len()];
            net.forward(&mut ws, &x, batch, false, 1);
            net.backward(&mut ws, &g, &mut full);
            assert_eq!(full, grads);
        }
    }
}

/// The direct sums of a convolution, in f64: `y`, and for a given `∂y` the gradients `∂x`,
/// `∂W`, `∂b` (bias last in the parameter vector, as the layer keeps it).
#[allow(clippy::type_complexity)]
fn direct_conv(
    [c_in, h, w]: Shape,
    c_out: usize,
    (kh, kw): (usize, usize),
    (s0, s1): (usize, usize),
    (p0, p1): (usize, usize),
    (d0, d1): (usize, usize),
    [ho, wo]: [usize; 2],
    batch: usize,
    params: &[f64],
    x: &[f64],
    dy: &[f64],
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let k = c_in * kh * kw;
    let bias = params.len() > c_out * k;
    let mut y = vec![0.0; batch * c_out * ho * wo];
    let mut dx = vec![0.0; x.len()];
    let mut dp = vec![0.0; params.len()];
    for n in 0..batch {
        for o in 0..c_out {
            for i in 0..ho {
                for j in 0..wo {
                    let yi = ((n * c_out + o) * ho + i) * wo + j;
                    let mut s = if bias { params[c_out * k + o] } else { 0.0 };
                    if bias {
                        dp[c_out * k + o] += dy[yi];
                    }
                    for c in 0..c_in {
                        for u in 0..kh {
                            for v in 0..kw {
                                let (r, q) = (i * s0 + u * d0, j * s1 + v * d1);
                                if r < p0 || q < p1 || r - p0 >= h || q - p1 >= w {
                                    continue;
                                }
                                let xi = ((n * c_in + c) * h + r - p0) * w + q - p1;
                                let wi = ((o * c_in + c) * kh + u) * kw + v;
                                s += params[wi] * x[xi];
                                dx[xi] += params[wi] * dy[yi];
                                dp[wi] += x[xi] * dy[yi];
                            }
                        }
                    }
                    y[yi] = s;
                }
            }
        }
    }
    (y, dx, dp)
}

/// The lowered convolution against its direct sums, in f64 (faer) and f32 (the engine's
/// kernel), on the paths the lowering takes: maps 7, 14 and 28 wide (the fixed-width runs),
/// other widths, strides and dilations, no padding, padding wider than the kernel's reach,
/// batches that leave a short last chunk (7×7: ten samples a chunk), one and two threads; and
/// each 3×3 stride-1 case again by Winograd's F(2×2, 3×3) and F(4×4, 3×3), maps that leave a
/// clipped last tile and channel counts that take the 16-, 8- and 1-wide transforms included.
#[test]
fn conv_matches_direct_sums_on_every_lowering_path() {
    type Case = (
        Shape,
        usize,
        (usize, usize),
        (usize, usize),
        (usize, usize),
        (usize, usize),
    );
    let cases: [(Case, usize); 11] = [
        (([3, 7, 7], 4, (3, 3), (1, 1), (1, 1), (1, 1)), 13),
        (([16, 7, 9], 8, (3, 3), (1, 1), (1, 1), (1, 1)), 7),
        (([8, 6, 5], 16, (3, 3), (1, 1), (1, 1), (1, 1)), 3),
        (([32, 4, 4], 32, (3, 3), (1, 1), (1, 1), (1, 1)), 20),
        (([2, 14, 14], 5, (3, 3), (1, 1), (1, 1), (1, 1)), 5),
        (([2, 14, 14], 3, (3, 3), (2, 2), (1, 1), (1, 1)), 11),
        (([1, 28, 28], 2, (5, 5), (1, 1), (2, 2), (1, 1)), 3),
        (([2, 9, 11], 3, (3, 2), (1, 1), (0, 0), (1, 1)), 4),
        (([2, 9, 11], 3, (2, 3), (1, 3), (3, 1), (2, 1)), 3),
        (([3, 16, 16], 2, (3, 3), (1, 1), (1, 1), (1, 1)), 5),
        (([2, 6, 30], 2, (1, 3), (2, 1), (0, 2), (1, 1)), 2),
    ];
    let mut rng = Rng::new(11);
    for ((shape, c_out, kernel, stride, padding, dilation), batch) in cases {
        let (f2, f4) = (Some(WinogradTile::F2), Some(WinogradTile::F4));
        for (bias, winograd) in [
            (false, None),
            (true, None),
            (false, f2),
            (true, f2),
            (false, f4),
            (true, f4),
        ] {
            let conv = Conv2d::new(shape, c_out, kernel, stride, padding, dilation, bias)
                .expect("conv")
                .with_winograd_tile(winograd);
            if winograd.is_some() && !conv.uses_winograd() {
                assert!(kernel != (3, 3) || stride != (1, 1) || padding != (1, 1));
                continue;
            }
            let out = Layer::<f64>::out_shape(&conv);
            let params = Layer::<f64>::init_params(&conv, &mut rng);
            let x: Vec<f64> = (0..batch * numel(shape)).map(|_| rng.normal()).collect();
            let dy: Vec<f64> = (0..batch * numel(out)).map(|_| rng.normal()).collect();
            let (y0, dx0, dp0) = direct_conv(
                shape,
                c_out,
                kernel,
                stride,
                padding,
                dilation,
                [out[1], out[2]],
                batch,
                &params,
                &x,
                &dy,
            );
            let what = format!("{shape:?}→{c_out} k{kernel:?} s{stride:?} p{padding:?} d{dilation:?} bias {bias} winograd {winograd:?} batch {batch}");
            fn pass<T: Real>(
                conv: &Conv2d,
                params: &[f64],
                x: &[f64],
                dy: &[f64],
                batch: usize,
                threads: usize,
            ) -> [Vec<f64>; 3] {
                let cast = |v: &[f64]| v.iter().map(|&a| T::c(a)).collect::<Vec<T>>();
                let (p, x, dy) = (cast(params), cast(x), cast(dy));
                let ctx = LayerCtx {
                    batch,
                    training: true,
                    threads,
                    seed: 0,
                };
                let mut scratch = Vec::new();
                let mut y = vec![T::c(0.0); dy.len()];
                conv.forward(&p, &x, &mut y, &mut scratch, ctx);
                // Stale values in the outputs: the pass must overwrite them.
                let mut dx = vec![T::c(7.0); x.len()];
                let mut dp = vec![T::c(7.0); p.len()];
                conv.backward(&p, &x, &y, &dy, Some(&mut dx), &mut dp, &mut scratch, ctx);
                [y, dx, dp].map(|v| v.iter().map(|a| a.f()).collect())
            }
            for threads in [1, 2] {
                for (got, tol, path) in [
                    (
                        pass::<f64>(&conv, &params, &x, &dy, batch, threads),
                        1e-12,
                        "f64",
                    ),
                    (
                        pass::<f32>(&conv, &params, &x, &dy, batch, threads),
                        1e-5,
                        "f32",
                    ),
                ] {
                    for (g, want, name) in [
                        (&got[0], &y0, "y"),
                        (&got[1], &dx0, "∂x"),
                        (&got[2], &dp0, "∂θ"),
                    ] {
                        let e = max_rel(g, want);
                        assert!(
                            e < tol,
                            "{what}, {path}, {threads} threads: {name} off by {e:e}"
                        );
                    }
                }
            }
        }
    }
}

/// A pass with what it computes from the weights prepared once ([`Conv2d::prepare`], as the
/// conv-ctrnn does for its every step) gives the plain pass's bits: Winograd by either tile
/// and im2col, with and without ∂x, on one thread and on two; `prepare` ignores what its
/// buffer held. A weight-gradient accumulator sums passes to rounding.
#[test]
fn prepared_passes_give_the_plain_passes_bits() {
    let bits = |v: &[f32]| v.iter().map(|a| a.to_bits()).collect::<Vec<u32>>();
    let mut rng = Rng::new(5);
    for (shape, c_out, stride, tile, batch) in [
        // Batches whose work cuts into two parts on two threads, and smaller ones.
        ([16, 14, 14], 16, 1, Some(WinogradTile::F4), 21),
        ([32, 7, 7], 32, 1, Some(WinogradTile::F4), 9),
        ([8, 6, 5], 16, 1, Some(WinogradTile::F2), 5),
        ([16, 14, 14], 32, 2, None, 40),
        ([16, 14, 14], 32, 2, None, 6),
        ([3, 7, 7], 4, 1, None, 3),
    ] {
        let conv = Conv2d::new(shape, c_out, (3, 3), (stride, stride), (1, 1), (1, 1), true)
            .expect("conv")
            .with_winograd_tile(tile);
        assert_eq!(conv.winograd_tile(), tile);
        let want_len = tile.map_or(9 * shape[0] * c_out, |t| {
            2 * (t.m() + 2).pow(2) * shape[0] * c_out
        });
        assert_eq!(conv.prepared_len(), want_len, "{shape:?}");
        let out = Layer::<f32>::out_shape(&conv);
        let params: Vec<f32> = Layer::<f32>::init_params(&conv, &mut rng)
            .iter()
            .map(|&v| v as f32)
            .collect();
        let x: Vec<f32> = (0..batch * numel(shape))
            .map(|_| rng.normal() as f32)
            .collect();
        let dy: Vec<f32> = (0..batch * numel(out))
            .map(|_| rng.normal() as f32)
            .collect();
        let mut pre = vec![3.0f32; 5];
        let mut scratch = Vec::new();
        conv.prepare(&params, &mut pre, &mut scratch);
        assert_eq!(pre.len(), want_len);
        for threads in [1, 2] {
            let ctx = LayerCtx {
                batch,
                training: true,
                threads,
                seed: 0,
            };
            let mut runs = Vec::new();
            for prepared in [false, true] {
                let mut scratch = vec![9.0f32; 7];
                let mut y = vec![0.0f32; dy.len()];
                let mut dx = vec![7.0f32; x.len()];
                let mut dp = vec![7.0f32; params.len()];
                let mut dp_no_dx = vec![7.0f32; params.len()];
                if prepared {
                    conv.forward_prepared(&params, &pre, &x, &mut y, &mut scratch, ctx);
                    conv.backward_prepared(
                        &params,
                        &pre,
                        &x,
                        &y,
                        &dy,
                        Some(&mut dx),
                        &mut dp,
                        None,
                        &mut scratch,
                        ctx,
                    );
                    conv.backward_prepared(
                        &params,
                        &pre,
                        &x,
                        &y,
                        &dy,
                        None,
                        &mut dp_no_dx,
                        None,
                        &mut scratch,
                        ctx,
                    );
                } else {
                    conv.forward(&params, &x, &mut y, &mut scratch, ctx);
                    conv.backward(
                        &params,
                        &x,
                        &y,
                        &dy,
                        Some(&mut dx),
                        &mut dp,
                        &mut scratch,
                        ctx,
                    );
                    conv.backward(&params, &x, &y, &dy, None, &mut dp_no_dx, &mut scratch, ctx);
                }
                runs.push([bits(&y), bits(&dx), bits(&dp), bits(&dp_no_dx)]);
            }
            assert!(
                runs[0] == runs[1],
                "{shape:?}→{c_out} stride {stride} {tile:?}, {threads} threads: prepared ≠ plain"
            );
            // With an accumulator: two passes add their weight gradients into it (the weight
            // part of d_params written zero, ∂b and ∂x as without), and `acc_grad` gives twice
            // the plain ∂W to rounding.
            let mut scratch = Vec::new();
            let mut acc = vec![0.0f32; conv.grad_acc_len()];
            let mut y = vec![0.0f32; dy.len()];
            conv.forward_prepared(&params, &pre, &x, &mut y, &mut scratch, ctx);
            let w_len = 9 * shape[0] * c_out;
            for _ in 0..2 {
                let mut dx = vec![7.0f32; x.len()];
                let mut dp = vec![7.0f32; params.len()];
                conv.backward_prepared(
                    &params,
                    &pre,
                    &x,
                    &y,
                    &dy,
                    Some(&mut dx),
                    &mut dp,
                    Some(&mut acc),
                    &mut scratch,
                    ctx,
                );
                assert!(dp[..w_len].iter().all(|&v| v == 0.0));
                assert_eq!(bits(&dp[w_len..]), runs[0][2][w_len..]);
                assert_eq!(bits(&dx), runs[0][1]);
            }
            let mut dw = vec![f32::NAN; w_len];
            conv.acc_grad(&acc, &mut dw, &mut scratch);
            let plain: Vec<f32> = runs[0][2][..w_len]
                .iter()
                .map(|&b| 2.0 * f32::from_bits(b))
                .collect();
            let scale = plain.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let e = dw
                .iter()
                .zip(&plain)
                .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
            assert!(
                scale > 0.0 && e <= 1e-5 * scale,
                "{shape:?}→{c_out} {tile:?}, {threads} threads: accumulated ∂W off by {e} of {scale}"
            );
        }
    }
}

/// Each map takes the Winograd tile with fewer products per output (partly filled tiles
/// counted): F(4×4) on the conv-ctrnn's 14×14 and 7×7 maps, F(2×2) where 4×4 tiles would be
/// mostly padding; a convolution Winograd does not take keeps im2col whatever the tile.
#[test]
fn winograd_takes_the_tile_with_fewer_products() {
    for (h, w, tile) in [
        (14, 14, WinogradTile::F4),
        (7, 7, WinogradTile::F4),
        (28, 28, WinogradTile::F4),
        (4, 4, WinogradTile::F4),
        (2, 2, WinogradTile::F2),
        (5, 5, WinogradTile::F2),
        (6, 6, WinogradTile::F2),
        (1, 9, WinogradTile::F2),
    ] {
        assert_eq!(WinogradTile::for_map(h, w), tile, "{h}×{w}");
        let conv = Conv2d::new([8, h, w], 8, (3, 3), (1, 1), (1, 1), (1, 1), false)
            .expect("conv")
            .with_winograd(true);
        assert_eq!(conv.winograd_tile(), Some(tile), "{h}×{w}");
    }
    let strided = Conv2d::new([8, 14, 14], 8, (3, 3), (2, 2), (1, 1), (1, 1), false)
        .expect("conv")
        .with_winograd_tile(Some(WinogradTile::F4));
    assert!(!strided.uses_winograd());
}
