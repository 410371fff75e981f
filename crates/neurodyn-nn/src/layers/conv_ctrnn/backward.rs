//! Backpropagation through time for [`ConvCtrnn`], step by step from the last, through every
//! convolution (each one's own hand-derived backward).
//!
//! ```text
//! g_l(t) = ∂L/∂r_l(t)  (readout at t, plus what step t+1 sent back)
//! ∂z_l   = α g_l ⊙ 1[z_l(t) > 0]
//! ∂b_l  += Σ_n ∂z_l;   ∂rec_l, ∂r_l(t−1) += rec_lᵀ ∂z_l;   ∂ff_l, ∂in_l = ff_lᵀ ∂z_l
//! ∂r_l(t−1) += (1 − α) g_l
//! ∂in_l → the areas it was summed from, through their ReLU (and skip_l for odd l ≥ 3)
//! ```
//!
//! `ff_0(s)` and `skip_0(s)` depend on the image alone, so their output gradients are summed
//! over the steps and each goes back through its convolution once, then through the stem.
//! At the first step, the states before it are the initial state: no ∂x is computed into it
//! unless `d_init` is asked for (the weight gradients are the same bits either way).

use super::pointwise::{add, add_masked, relu_into, Ew};
use super::workspace::{ctx, ConvCtrnnWorkspace};
use super::{conv_len, ConvCtrnn, Readout};
use crate::layers::{grow, numel, Conv2d, Layer, Weighted};
use crate::real::Real;

impl ConvCtrnn {
    /// Backpropagate `d_logits = ∂L/∂logits` of the last forward pass's read steps
    /// (`(n_read, N, n_classes)`) into `grads` (overwritten, the layout of the parameters) and,
    /// when asked, into `d_image` (`(N, C, H, W)`, overwritten) and `d_init` (the initial
    /// states, `(N, state_len)`, overwritten). The initial state is a constant of the pass: the
    /// spontaneous phase is not backpropagated through (as the reference's `no_grad`). After
    /// [`ConvCtrnn::forward_return`] the return penalty's gradient is added to `grads`.
    pub fn backward<T: Real>(
        &self,
        params: &[T],
        ws: &mut ConvCtrnnWorkspace<T>,
        d_logits: &[T],
        grads: &mut [T],
        d_image: Option<&mut [T]>,
        d_init: Option<&mut [T]>,
    ) {
        let _ftz = crate::kernels::FlushDenormals::new();
        let (n, n_steps, n_read, n_image) = (ws.batch, ws.n_steps, ws.n_read, ws.n_image);
        assert!(
            grads.len() == self.n_params()
                && params.len() == self.n_params()
                && d_logits.len() == n_read * n * self.n_classes()
                && ws.r.len() == self.areas.len(),
            "conv-ctrnn backward: grads {} / params {} (want {}), d_logits {} (want {})",
            grads.len(),
            params.len(),
            self.n_params(),
            d_logits.len(),
            n_read * n * self.n_classes()
        );
        assert!(
            !ws.per_step,
            "conv-ctrnn backward: the last pass had a new image at every step (forward_frames)"
        );
        let c = ctx(n);
        let want_init = d_init.is_some();
        let n_areas = self.areas.len();
        let alpha = T::c(self.alpha());
        let keep = T::c(1.0 - self.alpha());
        let zero = T::c(0.0);
        grads.iter_mut().for_each(|v| *v = zero);
        // The weights' transforms of these `params` (the forward pass may have had others).
        self.prepare(params, ws);
        let b = &mut ws.bwd;
        b.g.resize_with(n_areas, Vec::new);
        b.g_prev.resize_with(n_areas, Vec::new);
        let mut max_len = 0;
        let mut max_conv = 0;
        for (l, a) in self.areas.iter().enumerate() {
            let len = numel(a.shape);
            max_len = max_len.max(len).max(numel(Layer::<T>::in_shape(&a.ff)));
            max_conv = max_conv.max(conv_len(&a.ff)).max(conv_len(&a.rec));
            if let Some(s) = &a.skip {
                max_conv = max_conv.max(conv_len(s));
            }
            b.g[l].clear();
            b.g[l].resize(n * len, zero);
            b.g_prev[l].resize(n * len, zero);
        }
        grow(&mut b.dz, n * max_len);
        grow(&mut b.d_in, n * max_len);
        grow(&mut b.dx, n * max_len);
        grow(&mut b.relu, n * max_len);
        grow(&mut b.dp, max_conv);
        // The recurrent and input convolutions' weight gradients add up over the steps in
        // their own layout, mapped to ∂W once after the last (area 0's input convolution runs
        // once a pass, outside the steps).
        b.acc_rec.resize_with(n_areas, Vec::new);
        b.acc_ff.resize_with(n_areas, Vec::new);
        for (l, a) in self.areas.iter().enumerate() {
            b.acc_rec[l].clear();
            b.acc_rec[l].resize(a.rec.grad_acc_len(), zero);
            b.acc_ff[l].clear();
            if l > 0 {
                b.acc_ff[l].resize(a.ff.grad_acc_len(), zero);
            }
        }
        let len0 = numel(self.areas[0].shape);
        b.d_ff0.clear();
        b.d_ff0.resize(n * len0, zero);
        b.d_skip0.clear();
        b.d_skip0.resize(n * len0, zero);
        if n_steps > n_image {
            b.d_b0_blank.clear();
            b.d_b0_blank.resize(n * len0, zero);
        }
        let last = self.areas[n_areas - 1].shape;
        let (c_last, len_last) = (last[0], numel(last));
        let classes = self.n_classes();
        grow(&mut b.d_feat, n * c_last);
        grow(&mut b.d_sum, n * len_last);

        for t in (1..=n_steps).rev() {
            // The readout at t.
            if let Some((last, w)) = ws.ret.filter(|&(last, _)| t + last > n_steps) {
                // The return penalty's ∂P/∂r_l(t) = 2w/(L·K) (r_l − baseline_l)/(N·len_l).
                let mut at = 0;
                for (l, a) in self.areas.iter().enumerate() {
                    let len = numel(a.shape);
                    let coef = T::c(2.0) * w / T::c((n_areas * last * n * len) as f64);
                    let base = &ws.baseline[at..at + len];
                    let r = &ws.r[l][t * n * len..(t + 1) * n * len];
                    for (g, rr) in b.g[l].chunks_exact_mut(len).zip(r.chunks_exact(len)) {
                        for ((gi, &ri), &bi) in g.iter_mut().zip(rr).zip(base) {
                            *gi += coef * (ri - bi);
                        }
                    }
                    at += len;
                }
            }
            if t <= n_image && t + n_read > n_image {
                let k = t + n_read - n_image - 1;
                let feat = &ws.feat[k * n * c_last..(k + 1) * n * c_last];
                let dy = &d_logits[k * n * classes..(k + 1) * n * classes];
                let fc_grads = &mut b.dp[..self.fc_at.len()];
                self.fc.backward(
                    &params[self.fc_at.clone()],
                    feat,
                    dy,
                    dy,
                    Some(&mut b.d_feat[..n * c_last]),
                    fc_grads,
                    &mut ws.scratch,
                    c,
                );
                add(&mut grads[self.fc_at.clone()], fc_grads);
                // GAP's backward reads neither its input nor its output beyond their lengths.
                let d_sum = &mut b.d_sum[..n * len_last];
                self.gap.backward(
                    &[],
                    &ws.read_sum,
                    &b.d_feat[..n * c_last],
                    &b.d_feat[..n * c_last],
                    Some(d_sum),
                    &mut [],
                    &mut ws.scratch,
                    c,
                );
                let span = t * n * len_last..(t + 1) * n * len_last;
                add_masked(
                    &mut b.g[n_areas - 1],
                    d_sum,
                    &ws.r[n_areas - 1][span.clone()],
                );
                if self.readout() == Readout::LastTwo {
                    add_masked(&mut b.g[n_areas - 2], d_sum, &ws.r[n_areas - 2][span]);
                }
            }
            // Each area's g_prev is first written by its `Ew::Area` step below (`(1 − α) g`,
            // before anything is added to it): no zeroing.
            // At the first step the states before it are the initial state, a constant of the
            // pass: what flows back into it is needed only when `d_init` is asked for.
            let to_init = t > 1 || want_init;
            for (l, a) in self.areas.iter().enumerate() {
                let len = numel(a.shape);
                let step = n * len;
                let z = &ws.z[l][(t - 1) * step..t * step];
                let r_prev = &ws.r[l][(t - 1) * step..t * step];
                let dz = &mut b.dz[..step];
                // Area 0's dz also sums into ff_0's output gradient (under the image) or into
                // b_0's alone (after it).
                let acc = match l {
                    0 if t <= n_image => Some(&mut b.d_ff0[..]),
                    0 => Some(&mut b.d_b0_blank[..]),
                    _ => None,
                };
                crate::kernels::vectorized(Ew::Area {
                    dz: &mut *dz,
                    g: &b.g[l],
                    z,
                    g_prev: &mut b.g_prev[l],
                    gb: &mut grads[a.bias_at.clone()],
                    acc,
                    alpha,
                    keep,
                });
                let dp = &mut b.dp[..a.rec_at.len()];
                let dx = &mut b.dx[..step];
                a.rec.backward_prepared(
                    &params[a.rec_at.clone()],
                    &ws.pre_rec[l],
                    r_prev,
                    dz,
                    dz,
                    to_init.then_some(&mut *dx),
                    dp,
                    Some(&mut b.acc_rec[l]),
                    &mut ws.scratch,
                    c,
                );
                // The weights' part of `dp` is zero (summed in `acc_rec`): its bias, if any.
                let w_len = conv_weight_len(&a.rec);
                add(
                    &mut grads[a.rec_at.start + w_len..a.rec_at.end],
                    &dp[w_len..],
                );
                if to_init {
                    add(&mut b.g_prev[l], dx);
                }
                if l == 0 {
                    // Under the blank image (after it) ff_0's input is 0: only b_0 learns.
                    continue;
                }
                let in_len = numel(Layer::<T>::in_shape(&a.ff));
                let inp = &ws.inp[l][(t - 1) * n * in_len..t * n * in_len];
                let d_in = &mut b.d_in[..n * in_len];
                let dp = &mut b.dp[..a.ff_at.len()];
                // ∂in_l also feeds skip_0 (area 1 under the image) and an odd area's skip
                // weights, besides the states of step t − 1.
                let need_d_in = to_init || (l == 1 && t <= n_image) || a.skip.is_some();
                a.ff.backward_prepared(
                    &params[a.ff_at.clone()],
                    &ws.pre_ff[l],
                    inp,
                    dz,
                    dz,
                    need_d_in.then_some(&mut *d_in),
                    dp,
                    Some(&mut b.acc_ff[l]),
                    &mut ws.scratch,
                    c,
                );
                let w_len = conv_weight_len(&a.ff);
                add(&mut grads[a.ff_at.start + w_len..a.ff_at.end], &dp[w_len..]);
                if !need_d_in {
                    continue;
                }
                let prev = |k: usize| {
                    let s = n * numel(self.areas[k].shape);
                    &ws.r[k][(t - 1) * s..t * s]
                };
                if l == 1 && t <= n_image && to_init {
                    crate::kernels::vectorized(Ew::AddMaskedAnd {
                        g: &mut b.g_prev[0],
                        acc: &mut b.d_skip0,
                        src: d_in,
                        r: prev(0),
                    });
                    continue;
                }
                if to_init {
                    add_masked(&mut b.g_prev[l - 1], d_in, prev(l - 1));
                }
                if l == 1 {
                    if t <= n_image {
                        add(&mut b.d_skip0, d_in);
                    }
                } else if let Some(skip) = &a.skip {
                    let from = prev(l - 2);
                    let x = &mut b.relu[..from.len()];
                    relu_into(x, from);
                    let dx = &mut b.dx[..from.len()];
                    let dp = &mut b.dp[..a.skip_at.len()];
                    skip.backward(
                        &params[a.skip_at.clone()],
                        x,
                        d_in,
                        d_in,
                        to_init.then_some(&mut *dx),
                        dp,
                        &mut ws.scratch,
                        c,
                    );
                    add(&mut grads[a.skip_at.clone()], dp);
                    if to_init {
                        add_masked(&mut b.g_prev[l - 2], dx, from);
                    }
                } else {
                    add_masked(&mut b.g_prev[l - 2], d_in, prev(l - 2));
                }
            }
            std::mem::swap(&mut b.g, &mut b.g_prev);
        }
        // ∂W of the recurrent and input convolutions from their sums over the steps (each
        // step added zero to their weights' part of `grads`, and any bias gradient).
        for (l, a) in self.areas.iter().enumerate() {
            let convs = [
                (&a.rec, &b.acc_rec[l], a.rec_at.start),
                (&a.ff, &b.acc_ff[l], a.ff_at.start),
            ];
            for (conv, acc, at) in convs.into_iter().take(if l > 0 { 2 } else { 1 }) {
                let dw = &mut b.dp[..conv_weight_len(conv)];
                conv.acc_grad(acc, dw, &mut ws.scratch);
                add(&mut grads[at..at + dw.len()], dw);
            }
        }
        if let Some(d_init) = d_init {
            let state_len = self.state_len();
            assert_eq!(d_init.len(), n * state_len, "conv-ctrnn: d_init");
            let off = self.area_offsets();
            for (l, g) in b.g.iter().enumerate() {
                let len = numel(self.areas[l].shape);
                for (dst, src) in d_init.chunks_exact_mut(state_len).zip(g.chunks_exact(len)) {
                    dst[off[l]..off[l + 1]].copy_from_slice(src);
                }
            }
        }
        // The image-only branch: ff_0(s) + b_0 and skip_0(s), then the stem; b_0 also learns
        // from the blank steps after the image.
        let a0 = &self.areas[0];
        let gb = &mut grads[a0.bias_at.clone()];
        gb.iter_mut().for_each(|v| *v = zero);
        for row in b.d_ff0.chunks_exact(len0) {
            add(gb, row);
        }
        if n_steps > n_image {
            for row in b.d_b0_blank.chunks_exact(len0) {
                add(gb, row);
            }
        }
        // ∂s, which the stem's weights need whether or not ∂x is asked for.
        let stem_len = n * numel(self.stem_shape);
        grow(&mut b.d_stem, stem_len);
        grow(&mut b.relu, stem_len);
        a0.ff.backward(
            &params[a0.ff_at.clone()],
            &ws.stem,
            &b.d_ff0,
            &b.d_ff0,
            Some(&mut b.d_stem[..stem_len]),
            &mut grads[a0.ff_at.clone()],
            &mut ws.scratch,
            c,
        );
        if let Some((skip, at)) = &self.stem_skip {
            let dx = &mut b.relu[..stem_len];
            skip.backward(
                &params[at.clone()],
                &ws.stem,
                &b.d_skip0,
                &b.d_skip0,
                Some(&mut *dx),
                &mut grads[at.clone()],
                &mut ws.scratch,
                c,
            );
            add(&mut b.d_stem[..stem_len], dx);
        }
        let d_stem_out: &[T] = match &self.pool {
            Some(pool) => {
                let pre = ws.stem_pre.len();
                grow(&mut b.d_stem_pre, pre);
                pool.backward(
                    &[],
                    &ws.stem_pre,
                    &ws.stem,
                    &b.d_stem[..stem_len],
                    Some(&mut b.d_stem_pre[..pre]),
                    &mut [],
                    &mut ws.scratch,
                    c,
                );
                &b.d_stem_pre[..pre]
            }
            None => &b.d_stem[..stem_len],
        };
        let stem_out: &[T] = match &self.pool {
            Some(_) => &ws.stem_pre,
            None => &ws.stem,
        };
        self.stem.backward(
            &params[self.stem_at.clone()],
            &ws.image,
            stem_out,
            d_stem_out,
            d_image,
            &mut grads[self.stem_at.clone()],
            &mut ws.scratch,
            c,
        );
    }
}

/// Values of a convolution's weight (its parameters but the bias).
fn conv_weight_len(conv: &Conv2d) -> usize {
    let (co, k) = Weighted::<f32>::weight_rows(conv);
    co * k
}
