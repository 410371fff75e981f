//! Shared fixtures for the engine's tests: tiny random batches, the gradient-check assertion and
//! a small conv-ctrnn.
#![allow(dead_code, missing_docs)]

use neurodyn_core::Rng;
use neurodyn_nn::layers::{AreaSpec, ConvCtrnn, Readout, StemSpec};
use neurodyn_nn::objective::BatchRef;
use neurodyn_nn::{grad_check, LossTargets, Network, Objective};

/// A tiny time-major batch with a partly-zero mask (padded trials).
pub struct TinyBatch {
    pub inputs: Vec<f32>,
    pub classes: Vec<i64>,
    pub values: Vec<f32>,
    pub mask: Vec<f32>,
    pub n_steps: usize,
    pub batch: usize,
}

pub fn tiny_batch(n_steps: usize, batch: usize, n_in: usize, n_out: usize, seed: u64) -> TinyBatch {
    let mut rng = Rng::new(seed);
    let inputs = (0..n_steps * batch * n_in)
        .map(|_| rng.normal() as f32)
        .collect();
    let classes = (0..n_steps * batch)
        .map(|_| rng.below(n_out as u64) as i64)
        .collect();
    let values = (0..n_steps * batch * n_out)
        .map(|_| rng.normal() as f32)
        .collect();
    // Last trial ends two steps early (padding), one step has weight 5 (Yang-style emphasis).
    let mut mask = vec![1.0f32; n_steps * batch];
    for t in n_steps - 2..n_steps {
        mask[t * batch + batch - 1] = 0.0;
    }
    mask[batch] = 5.0;
    TinyBatch {
        inputs,
        classes,
        values,
        mask,
        n_steps,
        batch,
    }
}

impl TinyBatch {
    pub fn class_ref(&self) -> BatchRef<'_> {
        BatchRef {
            inputs: &self.inputs,
            targets: LossTargets::Class(&self.classes),
            mask: &self.mask,
            n_steps: self.n_steps,
            batch: self.batch,
        }
    }
    pub fn value_ref(&self) -> BatchRef<'_> {
        BatchRef {
            targets: LossTargets::Continuous(&self.values),
            ..self.class_ref()
        }
    }
}

/// Assert that every parameter's analytic gradient matches central differences.
pub fn assert_grads(net: &mut Network<f64>, obj: &Objective, b: BatchRef<'_>, what: &str) {
    let r = grad_check(net, obj, b, None, 1e-6, 1);
    assert!(
        r.checked == net.params.len(),
        "{what}: checked {} of {}",
        r.checked,
        net.params.len()
    );
    assert!(
        r.max_rel_err < 1e-5,
        "{what}: gradient mismatch {:.3e} at {:?}",
        r.max_rel_err,
        r.worst
    );
}

/// As [`assert_grads`], in training with recurrent noise: every evaluation draws the same noise
/// from a fresh `Rng::new(seed)`, so the loss is a fixed function of the parameters. Also checks
/// that the noise reached the loss (other draws give another loss).
pub fn assert_grads_noisy(
    net: &mut Network<f64>,
    obj: &Objective,
    b: BatchRef<'_>,
    seed: u64,
    what: &str,
) {
    let mut ws = neurodyn_nn::Workspace::default();
    let mut g = vec![0.0; net.params.len()];
    let loss =
        |net: &mut Network<f64>, ws: &mut neurodyn_nn::Workspace<f64>, g: Option<&mut [f64]>| {
            obj.evaluate(net, ws, b, None, Some(&mut Rng::new(seed)), true, g)
                .total()
        };
    let other = obj
        .evaluate(
            net,
            &mut ws,
            b,
            None,
            Some(&mut Rng::new(seed + 1)),
            true,
            None,
        )
        .total();
    let noisy = loss(net, &mut ws, Some(&mut g));
    assert!(
        (noisy - other).abs() > 1e-6 * noisy.abs(),
        "{what}: the noise changed nothing ({noisy} vs {other})"
    );
    let eps = 1e-6;
    for k in 0..net.params.len() {
        let w0 = net.params[k];
        net.params[k] = w0 + eps;
        let lp = loss(net, &mut ws, None);
        net.params[k] = w0 - eps;
        let lm = loss(net, &mut ws, None);
        net.params[k] = w0;
        let num = (lp - lm) / (2.0 * eps);
        let rel = (g[k] - num).abs() / (g[k].abs() + num.abs()).max(1e-6);
        assert!(
            rel < 1e-5,
            "{what}: parameter {k}: {} vs {num} (rel {rel:.2e})",
            g[k]
        );
    }
}

/// Assert that `∂L/∂s₀` of a caller-supplied initial state (a carried-over window) matches
/// central differences at every entry.
pub fn assert_initial_state_grads(
    n: &mut Network<f64>,
    obj: &Objective,
    b: BatchRef<'_>,
    s0: &mut [f64],
    what: &str,
) {
    let mut ws = neurodyn_nn::Workspace::default();
    let mut g = vec![0.0; n.params.len()];
    obj.evaluate(n, &mut ws, b, Some(s0), None, false, Some(&mut g));
    let d_s0 = n.d_initial_state(&ws).to_vec();
    let eps = 1e-6;
    for k in 0..s0.len() {
        let v = s0[k];
        s0[k] = v + eps;
        let lp = obj
            .evaluate(n, &mut ws, b, Some(s0), None, false, None)
            .total();
        s0[k] = v - eps;
        let lm = obj
            .evaluate(n, &mut ws, b, Some(s0), None, false, None)
            .total();
        s0[k] = v;
        let num = (lp - lm) / (2.0 * eps);
        let rel = (num - d_s0[k]).abs() / (num.abs() + d_s0[k].abs()).max(1e-6);
        assert!(
            rel < 1e-5,
            "{what}: ∂s0[{k}] {} vs {num} (rel {rel:.2e})",
            d_s0[k]
        );
    }
}

/// A 3×3 stem of `channels` channels (stride 1, padding 1) average-pooled by 2: the small
/// stem of the conv-ctrnn tests.
pub fn pooled_stem(channels: usize) -> StemSpec {
    StemSpec {
        channels,
        kernel: 3,
        stride: 1,
        padding: 1,
        pool: 2,
        pool_window: 2,
        pool_padding: 0,
    }
}

/// A conv-ctrnn that takes every branch of the equations, over 1×`hw`×`hw` images: a 3×3 stem
/// (stride 1, padding 1) of `stem` channels pooled by 2, then four areas of `c01`, `c01`, `c23`
/// (stride 2) and `c23` channels (the even area sums two maps, the odd one has a 1×1 skip), read
/// out from the last two into 5 classes, with α = `alpha`.
pub fn four_area_conv(hw: usize, stem: usize, (c01, c23): (usize, usize), alpha: f64) -> ConvCtrnn {
    let stem = pooled_stem(stem);
    let area = |channels, stride| AreaSpec { channels, stride };
    let areas = [area(c01, 1), area(c01, 1), area(c23, 2), area(c23, 1)];
    ConvCtrnn::new([1, hw, hw], stem, &areas, Readout::LastTwo, 5, alpha).expect("four areas")
}
