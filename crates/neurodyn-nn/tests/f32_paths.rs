//! The f32 engine against the f64 one, on every SIMD path this CPU has. The gradient checks run in
//! f64, where every product goes through faer and `exp`/`tanh` are the standard library's;
//! training runs in f32, where the per-step products take the engine's kernel (AVX-512 or AVX2)
//! from packed copies of the weights, the element-wise loops are compiled for that path, and
//! `exp`/`tanh` are the engine's own (`math32`); the portable path multiplies with faer. Same cell,
//! same weights, same batch: the f32 loss, outputs and gradients must agree with f64 to f32
//! rounding on every path, and the AVX2 and AVX-512 paths must agree with each other to the bit.
//!
//! Every cell of the catalogue (`neurodyn_nn::cells::CELLS`) is checked, and the convolutional
//! CTRNN (`layers::conv_ctrnn`: its convolutions on the engine's kernel, its leak, ReLU masks and
//! sums compiled for the path) through a pass with a return phase and its backward pass.
//!
//! The path is chosen process-wide ([`set_simd_limit`]), so this file holds one test: a test
//! binary of its own, where no other test runs while the path changes.

mod common;

use common::{four_area_conv, tiny_batch};
use neurodyn_core::Rng;
use neurodyn_nn::cells::{CellShape, CELLS};
use neurodyn_nn::kernels::{set_simd_limit, Simd};
use neurodyn_nn::layers::{
    numel, ConvCtrnn, ConvCtrnnWorkspace, InitState, ReturnPhase, WinogradTile,
};
use neurodyn_nn::{Cell, Constraint, InitialState, Network, Objective, Real, Workspace};

/// The conv-ctrnn's logits, return penalty, parameter and image gradients in `T`, from closed-form
/// parameters and images (batch 7, 6 steps reading the last 2, then 3 blank steps).
fn conv_evaluate<T: Real>(net: &ConvCtrnn) -> (f64, Vec<f64>, Vec<f64>) {
    let batch = 7;
    let params: Vec<T> = (0..net.n_params())
        .map(|i| T::c(0.3 * (0.23 * i as f64 + 0.7).cos()))
        .collect();
    let image: Vec<T> = (0..batch * numel(net.in_shape()))
        .map(|i| T::c((0.37 * i as f64 + 0.11).sin()))
        .collect();
    let mut ws = ConvCtrnnWorkspace::<T>::default();
    let spont = net.spontaneous(&params, &mut ws, 4);
    let ret = ReturnPhase {
        steps: 3,
        last: 2,
        weight: T::c(0.5),
        baseline: &spont,
    };
    net.forward_return(
        &params,
        &mut ws,
        &image,
        InitState::Shared(&spont),
        batch,
        6,
        2,
        ret,
    );
    let f = |v: &[T]| v.iter().map(|x| x.f()).collect::<Vec<f64>>();
    let logits = f(ws.all_logits());
    let d_logits: Vec<T> = (0..logits.len())
        .map(|i| T::c((0.19 * i as f64 + 0.4).cos()))
        .collect();
    let mut grads = vec![T::c(0.0); net.n_params()];
    let mut d_image = vec![T::c(0.0); image.len()];
    net.backward(
        &params,
        &mut ws,
        &d_logits,
        &mut grads,
        Some(&mut d_image),
        None,
    );
    let mut g = f(&grads);
    g.extend(f(&d_image));
    (ws.return_penalty().f(), logits, g)
}

/// Loss, outputs and gradients of one evaluation in training mode (batch statistics, noise off).
fn evaluate<T: Real>(cell: Box<dyn Cell<T>>, b: &common::TinyBatch) -> (f64, Vec<f64>, Vec<f64>) {
    let h = cell.n_units();
    let mut net = Network::new(
        cell,
        3,
        Constraint::none(3, h),
        InitialState::Zero,
        &mut Rng::new(5),
    );
    let mut ws = Workspace::default();
    let mut g = vec![T::c(0.0); net.params.len()];
    let loss = Objective::default()
        .evaluate(
            &mut net,
            &mut ws,
            b.class_ref(),
            None,
            None,
            true,
            Some(&mut g),
        )
        .total();
    let f = |v: &[T]| v.iter().map(|x| x.f()).collect::<Vec<f64>>();
    (loss, f(&ws.y), f(&g))
}

/// Largest absolute difference relative to the largest magnitude in `want`.
fn rel_diff(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(scale > 0.0, "all zero");
    got.iter()
        .zip(want)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
        / scale
}

#[test]
fn every_cell_in_f32_agrees_with_f64_on_every_simd_path() {
    // 64 units and 3 gates and more: wide enough for full kernel tiles and masked column tails
    // (H = 40 leaves a tail of 8 in every 16-column panel), batch 5 leaves partial row tiles.
    // The third size is a long pass (over 2²² multiply-adds in the recurrence): the input
    // projection, the readout and their gradients run step by step inside the loop, from packed
    // panels, with a tail of 8 columns and 11 rows (one full and one partial row tile).
    let n_in = 3;
    let paths = Simd::all_supported();
    assert!(paths.contains(&Simd::Portable));
    eprintln!("SIMD paths on this CPU: {paths:?}");
    let mut bits = SameBits::default();
    for simd in paths {
        set_simd_limit(Some(simd));
        assert_eq!(Simd::active(), simd);
        bits.case = 0;
        for (steps, batch, h) in [(12, 5, 64), (12, 13, 40), (30, 11, 120)] {
            let b = tiny_batch(steps, batch, n_in, 3, 31);
            let shape = CellShape {
                n_in,
                n_units: h,
                dt_ms: 20.0,
                seed: 1,
            };
            for entry in CELLS {
                let name = format!("{} [{simd}]", entry.name);
                let (l64, y64, g64) = evaluate(entry.f64(&shape), &b);
                let (l32, y32, g32) = evaluate(entry.f32(&shape), &b);
                compare(&name, h, (l64, &y64, &g64), (l32, &y32, &g32));
                bits.check(simd, &format!("{name} H={h}"), (l32, y32, g32));
            }
        }
        // Every branch of the equations, wide enough to fill kernel tiles and leave tails.
        let net = four_area_conv(16, 4, (6, 8), 0.2);
        let name = format!("conv-ctrnn [{simd}]");
        let (p64, y64, g64) = conv_evaluate::<f64>(&net);
        let (p32, y32, g32) = conv_evaluate::<f32>(&net);
        compare(&name, 0, (p64, &y64, &g64), (p32, &y32, &g32));
        bits.check(simd, &name, (p32, y32, g32));
        // Winograd's transforms run over AVX-512 or AVX2 registers for 16 channels, AVX2
        // registers for 8 and arrays for the stem's 4: the same bits on both kernel paths.
        let wide = four_area_conv(16, 4, (16, 8), 0.2);
        for (tile, net) in [
            ("per map", wide.clone().with_winograd(true)),
            ("F(2×2)", wide.with_winograd_tile(Some(WinogradTile::F2))),
        ] {
            let name = format!("conv-ctrnn, Winograd {tile} [{simd}]");
            let (p64, y64, g64) = conv_evaluate::<f64>(&net);
            let (p32, y32, g32) = conv_evaluate::<f32>(&net);
            compare(&name, 0, (p64, &y64, &g64), (p32, &y32, &g32));
            bits.check(simd, &name, (p32, y32, g32));
        }
        if simd != Simd::Portable && bits.first.is_none() {
            bits.first = Some(simd);
        }
    }
    set_simd_limit(None);
}

/// The f32 results `(loss, outputs, gradients)` of the first kernel path (AVX2 or AVX-512), case
/// by case in the order checked, which every other kernel path must match bit for bit.
#[derive(Default)]
struct SameBits {
    /// The first kernel path, once its cases are all in.
    first: Option<Simd>,
    results: Vec<(f64, Vec<f64>, Vec<f64>)>,
    /// The next case on the path being checked.
    case: usize,
}

impl SameBits {
    /// Keep `got` (on the first kernel path) or require the same bits as kept (on the others);
    /// the portable path, which multiplies with faer, is exempt.
    fn check(&mut self, simd: Simd, name: &str, got: (f64, Vec<f64>, Vec<f64>)) {
        if simd == Simd::Portable {
            return;
        }
        match self.first {
            None => self.results.push(got),
            Some(first) => assert!(
                self.results[self.case] == got,
                "{name}: not the same bits as on {first}"
            ),
        }
        self.case += 1;
    }
}

/// The f32 results `(loss, outputs, gradients)` against the f64 ones.
fn compare(name: &str, h: usize, want: (f64, &[f64], &[f64]), got: (f64, &[f64], &[f64])) {
    let ((l64, y64, g64), (l32, y32, g32)) = (want, got);
    assert!(
        (l32 - l64).abs() <= 1e-5 * l64.abs().max(1.0),
        "{name} H={h}: loss {l32} in f32 against {l64}"
    );
    let dy = rel_diff(y32, y64);
    assert!(
        dy <= 1e-5,
        "{name} H={h}: outputs differ by {dy:e} (relative)"
    );
    let dg = rel_diff(g32, g64);
    assert!(
        dg <= 1e-4,
        "{name} H={h}: gradients differ by {dg:e} (relative)"
    );
}
