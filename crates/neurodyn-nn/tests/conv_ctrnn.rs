//! The convolutional CTRNN (`layers::conv_ctrnn`) against central differences and PyTorch.
//!
//! Gradient checks (f64): every parameter, every input pixel and every entry of the initial
//! states of `L = Σ_k Σ logits_k ⊙ g_k` over the read steps (plus, with a return phase, the
//! penalty on the blank steps after the image), for networks that take every
//! branch of the equations (the stem's pool, `skip_0`, the sums of even areas, the 1×1 skips of
//! odd areas, both readouts). Golden values come from `tests/golden/nn/make_conv_ctrnn_golden.py`
//! (float64), an independent numpy implementation of the same equations with closed-form
//! parameters and image: the spontaneous state, the logits of the read steps and the final
//! states, in f64 (to 1e-10) and f32 (to 1e-5 of the largest magnitude); and from
//! `make_conv_ctrnn_torch_golden.py`, PyTorch (float64, torch.nn.functional) on the same network
//! with a return phase: states, logits, the penalty and autograd's gradients of every
//! parameter and the image, to 1e-10.

mod common;

use neurodyn_core::Rng;
use neurodyn_nn::layers::conv_ctrnn::log_ramp;
use neurodyn_nn::layers::{
    numel, AreaSpec, ConvCtrnn, ConvCtrnnWorkspace, InitState, Readout, ReturnPhase, StemSpec,
    WinogradTile,
};
use neurodyn_nn::Real;
use serde::Deserialize;
use std::path::PathBuf;

fn area(channels: usize, stride: usize) -> AreaSpec {
    AreaSpec { channels, stride }
}

/// Four areas over 1×8×8 images: the stem pools, areas 2 and 3 halve the map.
fn four_areas() -> ConvCtrnn {
    common::four_area_conv(8, 3, (3, 4), 0.3)
}

/// The default recipe's shape, in miniature: a strided stem without pool, a second area that
/// halves the map, read out from the last area alone.
fn two_areas() -> ConvCtrnn {
    let stem = StemSpec {
        channels: 2,
        kernel: 3,
        stride: 2,
        padding: 1,
        pool: 1,
        pool_window: 1,
        pool_padding: 0,
    };
    ConvCtrnn::new(
        [2, 6, 6],
        stem,
        &[area(3, 1), area(4, 2)],
        Readout::Last,
        3,
        0.2,
    )
    .expect("two areas")
}

fn one_area() -> ConvCtrnn {
    let stem = StemSpec {
        channels: 2,
        kernel: 3,
        stride: 1,
        padding: 0,
        pool: 1,
        pool_window: 1,
        pool_padding: 0,
    };
    ConvCtrnn::new([1, 5, 5], stem, &[area(3, 1)], Readout::Last, 4, 0.5).expect("one area")
}

struct Case {
    params: Vec<f64>,
    image: Vec<f64>,
    init: Vec<f64>,
    g: Vec<f64>,
    batch: usize,
    n_steps: usize,
    n_read: usize,
    /// Blank steps after the image, the penalised last of them, the weight and the baseline.
    ret: Option<(usize, usize, f64, Vec<f64>)>,
}

fn run(
    net: &ConvCtrnn,
    c: &Case,
    ws: &mut ConvCtrnnWorkspace<f64>,
    params: &[f64],
    image: &[f64],
    init: &[f64],
) {
    let init = InitState::PerSample(init);
    match &c.ret {
        None => net.forward(params, ws, image, init, c.batch, c.n_steps, c.n_read),
        Some((steps, last, weight, baseline)) => net.forward_return(
            params,
            ws,
            image,
            init,
            c.batch,
            c.n_steps,
            c.n_read,
            ReturnPhase {
                steps: *steps,
                last: *last,
                weight: *weight,
                baseline,
            },
        ),
    }
}

fn loss(net: &ConvCtrnn, c: &Case, params: &[f64], image: &[f64], init: &[f64]) -> f64 {
    let mut ws = ConvCtrnnWorkspace::default();
    run(net, c, &mut ws, params, image, init);
    let read: f64 = ws.all_logits().iter().zip(&c.g).map(|(a, b)| a * b).sum();
    read + ws.return_penalty()
}

const FLOOR: f64 = 1e-3;

/// The worst relative error of the analytic gradients against central differences, with or
/// without a return phase (blank steps after the image and the penalty on the last of them).
fn grad_check(net: &ConvCtrnn, rng: &mut Rng, with_return: bool) -> f64 {
    let (batch, n_steps, n_read) = (2, 5, 2);
    let mut c = Case {
        // Random parameters everywhere (the per-unit biases too, which start at zero).
        params: (0..net.n_params()).map(|_| 0.5 * rng.normal()).collect(),
        image: (0..batch * numel(net.in_shape()))
            .map(|_| rng.normal())
            .collect(),
        init: (0..batch * net.state_len())
            .map(|_| rng.uniform_range(-0.5, 1.0))
            .collect(),
        g: (0..n_read * batch * net.n_classes())
            .map(|_| rng.normal())
            .collect(),
        batch,
        n_steps,
        n_read,
        ret: None,
    };
    if with_return {
        let baseline = (0..net.state_len())
            .map(|_| rng.uniform_range(0.0, 1.0))
            .collect();
        c.ret = Some((4, 2, 0.7, baseline));
    }
    let mut ws = ConvCtrnnWorkspace::default();
    run(net, &c, &mut ws, &c.params, &c.image, &c.init);
    assert_eq!(ws.return_penalty() > 0.0, with_return);
    let mut grads = vec![9.0; c.params.len()];
    let mut d_image = vec![9.0; c.image.len()];
    let mut d_init = vec![9.0; c.init.len()];
    net.backward(
        &c.params,
        &mut ws,
        &c.g,
        &mut grads,
        Some(&mut d_image),
        Some(&mut d_init),
    );
    // ε = 1e-5: the loss sums tens of logits, whose rounding (~1e-14) over 2ε would swamp the
    // differences at ε = 1e-6; the truncation error stays ~1e-10 away from the ReLUs' kinks.
    let eps = 1e-5;
    let mut worst = 0.0f64;
    let mut cmp = |num: f64, ana: f64| {
        worst = worst.max((num - ana).abs() / (num.abs() + ana.abs()).max(FLOOR));
    };
    for k in 0..c.params.len() {
        let w0 = c.params[k];
        let mut p = c.params.clone();
        p[k] = w0 + eps;
        let lp = loss(net, &c, &p, &c.image, &c.init);
        p[k] = w0 - eps;
        let lm = loss(net, &c, &p, &c.image, &c.init);
        cmp((lp - lm) / (2.0 * eps), grads[k]);
    }
    for k in 0..c.image.len() {
        let x0 = c.image[k];
        c.image[k] = x0 + eps;
        let lp = loss(net, &c, &c.params, &c.image, &c.init);
        c.image[k] = x0 - eps;
        let lm = loss(net, &c, &c.params, &c.image, &c.init);
        c.image[k] = x0;
        cmp((lp - lm) / (2.0 * eps), d_image[k]);
    }
    for k in 0..c.init.len() {
        let x0 = c.init[k];
        c.init[k] = x0 + eps;
        let lp = loss(net, &c, &c.params, &c.image, &c.init);
        c.init[k] = x0 - eps;
        let lm = loss(net, &c, &c.params, &c.image, &c.init);
        c.init[k] = x0;
        cmp((lp - lm) / (2.0 * eps), d_init[k]);
    }
    // The gradient must not depend on what the buffers held before (a second backward pass
    // on the same workspace gives the same numbers).
    let mut again = vec![0.0; grads.len()];
    net.backward(&c.params, &mut ws, &c.g, &mut again, None, None);
    assert_eq!(again, grads, "a second backward pass differs");
    worst
}

#[test]
fn every_parameter_image_pixel_and_initial_state_matches_central_differences() {
    let mut rng = Rng::new(23);
    let by = |net: ConvCtrnn, tile| net.with_winograd_tile(Some(tile));
    // F(4×4)'s transforms scale by up to 8 and 1/24: the loss rounds ~10 times coarser in f64,
    // and its differences over 2ε with it.
    for (name, net, tol) in [
        ("four areas", four_areas(), 1e-6),
        ("two areas", two_areas(), 1e-6),
        ("one area", one_area(), 1e-6),
        (
            "four areas by Winograd F(2×2)",
            by(four_areas(), WinogradTile::F2),
            1e-6,
        ),
        (
            "two areas by Winograd F(2×2)",
            by(two_areas(), WinogradTile::F2),
            1e-6,
        ),
        (
            "four areas by Winograd F(4×4)",
            by(four_areas(), WinogradTile::F4),
            1e-5,
        ),
        (
            "two areas by Winograd F(4×4)",
            by(two_areas(), WinogradTile::F4),
            1e-5,
        ),
    ] {
        for with_return in [false, true] {
            let worst = grad_check(&net, &mut rng, with_return);
            println!("{name} (return phase {with_return}): worst relative error {worst:e}");
            assert!(
                worst < tol,
                "{name}, return {with_return}: relative error {worst:e}"
            );
        }
    }
}

#[test]
fn tensors_tile_the_parameters_with_pytorch_shapes() {
    let net = four_areas();
    let t = net.tensors();
    let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "stem.weight",
            "area0.ff.weight",
            "area0.rec.weight",
            "area0.bias",
            "stem_skip.weight",
            "area1.ff.weight",
            "area1.rec.weight",
            "area1.bias",
            "area2.ff.weight",
            "area2.rec.weight",
            "area2.bias",
            "area3.ff.weight",
            "area3.rec.weight",
            "area3.bias",
            "area3.skip.weight",
            "fc.weight",
            "fc.bias"
        ]
    );
    let mut at = 0;
    for s in t {
        assert_eq!(s.range.start, at, "{}", s.name);
        assert_eq!(
            s.range.len(),
            s.shape.iter().product::<usize>(),
            "{}",
            s.name
        );
        at = s.range.end;
    }
    assert_eq!(at, net.n_params());
    assert_eq!(
        net.area_shapes(),
        vec![[3, 4, 4], [3, 4, 4], [4, 2, 2], [4, 2, 2]]
    );
    let p = net.init_params(&mut Rng::new(1));
    let bias = &t[3].range;
    assert!(p[bias.clone()].iter().all(|&v| v == 0.0), "b_l starts at 0");
    assert!(p[t[2].range.clone()].iter().any(|&v| v != 0.0));
}

#[test]
fn shapes_that_do_not_chain_are_refused_with_a_message() {
    let stem = common::pooled_stem(3);
    // Area 2 sums areas 1 and 0, which differ in channels.
    let e = ConvCtrnn::new(
        [1, 8, 8],
        stem,
        &[area(3, 1), area(5, 1), area(4, 2)],
        Readout::Last,
        3,
        0.2,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("area 2") && e.contains("one shape"), "{e}");
    let e = ConvCtrnn::new(
        [1, 8, 8],
        stem,
        &[area(3, 1), area(4, 2)],
        Readout::LastTwo,
        3,
        0.2,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("last-two"), "{e}");
    for alpha in [0.0, 1.5, f64::NAN] {
        let e = ConvCtrnn::new([1, 8, 8], stem, &[area(3, 1)], Readout::Last, 3, alpha)
            .unwrap_err()
            .to_string();
        assert!(e.contains("alpha"), "{e}");
    }
    let e = ConvCtrnn::new([1, 8, 8], stem, &[], Readout::Last, 3, 0.2)
        .unwrap_err()
        .to_string();
    assert!(e.contains("at least one area"), "{e}");
    let big = StemSpec {
        pool: 16,
        pool_window: 16,
        ..stem
    };
    let e = ConvCtrnn::new([1, 8, 8], big, &[area(3, 1)], Readout::Last, 3, 0.2)
        .unwrap_err()
        .to_string();
    assert!(e.contains("stem pool") && e.contains("does not fit"), "{e}");
}

#[test]
fn log_ramp_sums_to_one_and_spans_its_decades() {
    let w = log_ramp(30, 3.0);
    assert_eq!(w.len(), 30);
    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!((w[29] / w[0] - 1000.0).abs() < 1e-9);
    assert!(w.windows(2).all(|p| p[1] > p[0]));
    assert_eq!(log_ramp(1, 3.0), vec![1.0]);
}

#[derive(Deserialize)]
struct Golden {
    n_spont: usize,
    n_steps: usize,
    n_read: usize,
    batch: usize,
    spontaneous: Vec<f64>,
    logits: Vec<f64>,
    final_states: Vec<Vec<f64>>,
}

fn seq(n: usize, f: impl Fn(f64) -> f64) -> Vec<f64> {
    (0..n).map(|i| f(i as f64)).collect()
}

fn max_rel(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len(), "lengths");
    let scale = want.iter().fold(1e-300f64, |m, v| m.max(v.abs()));
    got.iter()
        .zip(want)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
        / scale
}

/// The golden protocol in `T`: the spontaneous state, the logits and the final states.
fn golden_run<T: Real>(net: &ConvCtrnn, g: &Golden) -> (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
    let t = |v: Vec<f64>| v.into_iter().map(T::c).collect::<Vec<T>>();
    let f = |v: &[T]| v.iter().map(|a| a.f()).collect::<Vec<f64>>();
    let params = t(seq(net.n_params(), |i| 0.3 * (0.23 * i + 0.7).cos()));
    let image = t(seq(g.batch * numel(net.in_shape()), |i| {
        (0.37 * i + 0.11).sin()
    }));
    let mut ws = ConvCtrnnWorkspace::<T>::default();
    let spont = net.spontaneous(&params, &mut ws, g.n_spont);
    net.forward(
        &params,
        &mut ws,
        &image,
        InitState::Shared(&spont),
        g.batch,
        g.n_steps,
        g.n_read,
    );
    let logits = f(ws.all_logits());
    let states = (0..net.area_shapes().len())
        .map(|l| f(ws.state(l, g.n_steps)))
        .collect();
    (f(&spont), logits, states)
}

#[test]
fn the_protocol_matches_numpy_in_f64_and_f32() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/nn/conv_ctrnn.json");
    let text = std::fs::read_to_string(&path).expect("conv_ctrnn.json");
    let g: Golden = serde_json::from_str(&text).expect("parse conv_ctrnn.json");
    let net = four_areas();
    let check = |tol: f64, run: (Vec<f64>, Vec<f64>, Vec<Vec<f64>>)| {
        let (spont, logits, states) = run;
        let mut worst = 0.0f64;
        for (what, got, want) in [
            ("spontaneous", &spont, &g.spontaneous),
            ("logits", &logits, &g.logits),
        ] {
            let e = max_rel(got, want);
            assert!(e < tol, "{what} differs by {e:e} (tolerance {tol:e})");
            worst = worst.max(e);
        }
        assert_eq!(states.len(), g.final_states.len());
        for (l, (got, want)) in states.iter().zip(&g.final_states).enumerate() {
            let e = max_rel(got, want);
            assert!(e < tol, "area {l}'s final state differs by {e:e}");
            worst = worst.max(e);
        }
        worst
    };
    let e64 = check(1e-10, golden_run::<f64>(&net, &g));
    let e32 = check(1e-5, golden_run::<f32>(&net, &g));
    println!("golden: worst relative error f64 {e64:e}, f32 {e32:e}");
}

#[derive(Deserialize)]
struct TorchGolden {
    n_spont: usize,
    n_steps: usize,
    n_read: usize,
    batch: usize,
    n_return: usize,
    last: usize,
    weight: f64,
    spontaneous: Vec<f64>,
    logits: Vec<f64>,
    final_states: Vec<Vec<f64>>,
    return_states: Vec<Vec<f64>>,
    penalty: f64,
    grads: Vec<f64>,
    d_image: Vec<f64>,
}

#[test]
fn forward_return_penalty_and_gradients_match_pytorch_autograd() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden/nn/conv_ctrnn_torch.json");
    let text = std::fs::read_to_string(&path).expect("conv_ctrnn_torch.json");
    let g: TorchGolden = serde_json::from_str(&text).expect("parse conv_ctrnn_torch.json");
    let winograd = four_areas().with_winograd(true);
    assert!(winograd.uses_winograd());
    let f2 = four_areas().with_winograd_tile(Some(WinogradTile::F2));
    let f4 = four_areas().with_winograd_tile(Some(WinogradTile::F4));
    for net in [four_areas(), winograd, f2, f4] {
        torch_golden(&net, &g);
    }
}

/// One network (by im2col or by Winograd) against the PyTorch golden `g`.
fn torch_golden(net: &ConvCtrnn, g: &TorchGolden) {
    let params = seq(net.n_params(), |i| 0.3 * (0.23 * i + 0.7).cos());
    let image = seq(g.batch * numel(net.in_shape()), |i| (0.37 * i + 0.11).sin());
    let mut ws = ConvCtrnnWorkspace::<f64>::default();
    let spont = net.spontaneous(&params, &mut ws, g.n_spont);
    net.forward_return(
        &params,
        &mut ws,
        &image,
        InitState::Shared(&spont),
        g.batch,
        g.n_steps,
        g.n_read,
        ReturnPhase {
            steps: g.n_return,
            last: g.last,
            weight: g.weight,
            baseline: &spont,
        },
    );
    let mut worst = 0.0f64;
    let mut check = |what: &str, got: &[f64], want: &[f64]| {
        let e = max_rel(got, want);
        assert!(e < 1e-10, "{what} differs from PyTorch by {e:e}");
        worst = worst.max(e);
    };
    check("spontaneous", &spont, &g.spontaneous);
    check("logits", ws.all_logits(), &g.logits);
    for l in 0..net.area_shapes().len() {
        check("image state", ws.state(l, g.n_steps), &g.final_states[l]);
        check(
            "return state",
            ws.state(l, g.n_steps + g.n_return),
            &g.return_states[l],
        );
    }
    check("penalty", &[ws.return_penalty()], &[g.penalty]);
    let d_logits = seq(g.logits.len(), |i| (0.19 * i + 0.4).cos());
    let mut grads = vec![0.0; net.n_params()];
    let mut d_image = vec![0.0; image.len()];
    net.backward(
        &params,
        &mut ws,
        &d_logits,
        &mut grads,
        Some(&mut d_image),
        None,
    );
    check("parameter gradients", &grads, &g.grads);
    check("image gradient", &d_image, &g.d_image);
    println!("PyTorch golden: worst relative error {worst:e}");
}

#[test]
fn passes_repeat_bit_for_bit_and_do_not_depend_on_the_batch() {
    let net = two_areas();
    let mut rng = Rng::new(5);
    let params: Vec<f32> = net
        .init_params(&mut rng)
        .into_iter()
        .map(|v| v as f32)
        .collect();
    let batch = 3;
    let image: Vec<f32> = (0..batch * numel(net.in_shape()))
        .map(|_| rng.normal() as f32)
        .collect();
    let run = |imgs: &[f32], n: usize| {
        let mut ws = ConvCtrnnWorkspace::default();
        let spont = net.spontaneous(&params, &mut ws, 6);
        net.forward(&params, &mut ws, imgs, InitState::Shared(&spont), n, 7, 3);
        ws.logits(2).to_vec()
    };
    let all = run(&image, batch);
    assert_eq!(all, run(&image, batch), "same inputs, other bits");
    let one = numel(net.in_shape());
    let k = net.n_classes();
    for s in 0..batch {
        let alone = run(&image[s * one..(s + 1) * one], 1);
        assert_eq!(
            &all[s * k..(s + 1) * k],
            &alone[..],
            "sample {s} depends on the batch"
        );
    }
}

/// A new image at every step: the same image at every step is the static pass to the bit; a
/// change reaches area 0 at its step and area l l steps later (every area reads the previous
/// step's states), so a change at the last step leaves the readout of areas 2 and 3 as it was
/// and a change at step 2 reaches it by step 4.
#[test]
fn frames_that_repeat_one_image_give_the_static_pass() {
    let net = four_areas();
    let mut rng = Rng::new(8);
    let params: Vec<f64> = (0..net.n_params()).map(|_| 0.4 * rng.normal()).collect();
    let (batch, steps) = (2, 5);
    let image: Vec<f64> = (0..batch * numel(net.in_shape()))
        .map(|_| rng.normal())
        .collect();
    let mut ws = ConvCtrnnWorkspace::default();
    net.forward(&params, &mut ws, &image, InitState::Zero, batch, steps, 2);
    let want = ws.all_logits().to_vec();
    let frames: Vec<f64> = image
        .iter()
        .cycle()
        .take(steps * image.len())
        .copied()
        .collect();
    net.forward_frames(&params, &mut ws, &frames, InitState::Zero, batch, steps, 2);
    assert_eq!(ws.all_logits(), &want[..]);
    let changed = |t: usize| {
        let mut f = frames.clone();
        f[(t - 1) * image.len()..t * image.len()]
            .iter_mut()
            .for_each(|v| *v += 1.0);
        f
    };
    net.forward_frames(
        &params,
        &mut ws,
        &changed(steps),
        InitState::Zero,
        batch,
        steps,
        2,
    );
    assert_eq!(
        ws.all_logits(),
        &want[..],
        "the last frame cannot reach area 2 yet"
    );
    net.forward_frames(
        &params,
        &mut ws,
        &changed(2),
        InitState::Zero,
        batch,
        steps,
        2,
    );
    let k = want.len() / 2;
    assert_ne!(
        &ws.all_logits()[..k],
        &want[..k],
        "step 4 sees step 2's frame"
    );
}

/// The reference's architectures R2, R4, R6 and R8 (Soo et al. 2024, ImageNet): a 7×7 stride-2
/// stem to 64 channels and `AvgPool2d(3, 2, 1)` (224 → 112 → 56), areas of
/// [64, 64, 128, 128, 256, 256, 512, 512] channels at [56, 56, 28, 28, 14, 14, 7, 7], read out
/// from the last two. Each builds and runs a short forward pass at 224 px (training them needs a
/// GPU); R8's parameter count is checked against the reference's tensors without weight
/// normalisation's per-channel gains.
#[test]
fn the_reference_architectures_r2_to_r8_build_and_run_at_224_px() {
    let channels = [64, 64, 128, 128, 256, 256, 512, 512];
    let strides = [1, 1, 2, 1, 2, 1, 2, 1];
    let sizes = [56, 56, 28, 28, 14, 14, 7, 7];
    let stem = StemSpec {
        channels: 64,
        kernel: 7,
        stride: 2,
        padding: 3,
        pool: 2,
        pool_window: 3,
        pool_padding: 1,
    };
    let mut rng = Rng::new(8);
    for depth in [2, 4, 6, 8] {
        let areas: Vec<AreaSpec> = (0..depth).map(|l| area(channels[l], strides[l])).collect();
        let net = ConvCtrnn::new([3, 224, 224], stem, &areas, Readout::LastTwo, 1000, 0.2)
            .unwrap_or_else(|e| panic!("R{depth}: {e}"));
        assert_eq!(net.stem_shape(), [64, 56, 56]);
        for (l, s) in net.area_shapes().iter().enumerate() {
            assert_eq!(*s, [channels[l], sizes[l], sizes[l]], "R{depth} area {l}");
        }
        if depth == 8 {
            // stem 64·3·49; skip_0 64·64·9; per area ff C_in·C·9, rec C·C·9, bias C·H·W; the
            // 1×1 skips of areas 3, 5, 7; fc 512·1000 + 1000.
            let mut want = 64 * 3 * 49 + 64 * 64 * 9;
            let mut c_in = 64;
            for l in 0..8 {
                let c = channels[l];
                want += c_in * c * 9 + c * c * 9 + c * sizes[l] * sizes[l];
                c_in = c;
            }
            want += 64 * 128 + 128 * 256 + 256 * 512;
            want += 512 * 1000 + 1000;
            assert_eq!(net.n_params(), want);
        }
        let params: Vec<f32> = net
            .init_params(&mut rng)
            .into_iter()
            .map(|v| v as f32)
            .collect();
        let image: Vec<f32> = (0..3 * 224 * 224)
            .map(|i| ((i as f32) * 0.013).sin())
            .collect();
        let mut ws = ConvCtrnnWorkspace::<f32>::default();
        let spont = net.spontaneous(&params, &mut ws, 1);
        net.forward(
            &params,
            &mut ws,
            &image,
            InitState::Shared(&spont),
            1,
            depth / 2 + 1,
            1,
        );
        let logits = ws.logits(0);
        assert_eq!(logits.len(), 1000);
        assert!(logits.iter().all(|v| v.is_finite()), "R{depth}");
    }
}
