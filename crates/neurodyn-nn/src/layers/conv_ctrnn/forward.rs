//! The forward pass of [`ConvCtrnn`]: the time loop, written once, over buffers that grow on the
//! first call and are reused (nothing is allocated inside the loop).
//!
//! Every step's states, pre-activations and area inputs stay in the workspace for the backward
//! pass; the logits of the last `n_read` steps are read out.

use super::pointwise::{add_relu, relu_into, Ew};
use super::workspace::{ctx, resize, ConvCtrnnWorkspace, InitState, ReturnPhase};
use super::{ConvCtrnn, Readout};
use crate::kernels::vectorized;
use crate::layers::{grow, numel, Layer};
use crate::real::Real;

impl ConvCtrnn {
    /// Run `batch` images `(N, C, H, W)` for `n_steps` steps from `init`, reading the logits at
    /// the last `n_read` steps (`1 ≤ n_read ≤ n_steps`, or 0 for none); everything the backward
    /// pass needs stays in `ws`.
    #[allow(clippy::too_many_arguments)]
    pub fn forward<T: Real>(
        &self,
        params: &[T],
        ws: &mut ConvCtrnnWorkspace<T>,
        image: &[T],
        init: InitState<'_, T>,
        batch: usize,
        n_steps: usize,
        n_read: usize,
    ) {
        let pass = Pass::image(n_steps, n_read);
        self.run(params, ws, image, false, init, batch, pass, None);
    }

    /// As [`ConvCtrnn::forward`], then `ret.steps` steps under the blank image, with a penalty
    /// on how far the last `ret.last` of them are from `ret.baseline` (the spontaneous state):
    /// after the image is gone the network should return to rest (Soo et al.'s spontaneous
    /// term),
    ///
    /// ```text
    /// P = w / (L·K) Σ_{last K steps} Σ_l mean_{n, c, h, w} (r_l − baseline_l)²
    /// ```
    ///
    /// `L` areas. The logits are read at the image's last `n_read` steps, as without the return;
    /// [`ConvCtrnnWorkspace::return_penalty`] holds `P` and [`ConvCtrnn::backward`] adds its
    /// gradient.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_return<T: Real>(
        &self,
        params: &[T],
        ws: &mut ConvCtrnnWorkspace<T>,
        image: &[T],
        init: InitState<'_, T>,
        batch: usize,
        n_steps: usize,
        n_read: usize,
        ret: ReturnPhase<'_, T>,
    ) {
        assert!(
            ret.steps >= 1 && ret.last >= 1 && ret.last <= ret.steps,
            "conv-ctrnn return phase: steps {} and 1 ≤ last ≤ steps, last {}",
            ret.steps,
            ret.last
        );
        assert_eq!(
            ret.baseline.len(),
            self.state_len(),
            "conv-ctrnn return phase: baseline"
        );
        let pass = Pass {
            image: n_steps,
            blank: ret.steps,
            read: n_read,
        };
        self.run(params, ws, image, false, init, batch, pass, Some(ret));
    }

    /// As [`ConvCtrnn::forward`], with a new image at every step: `frames (n_steps, N, C, H,
    /// W)`, step-major (a stimulus that changes, or fresh pixel noise each step). The stem runs
    /// at every step. For evaluation: [`ConvCtrnn::backward`] takes static passes only.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_frames<T: Real>(
        &self,
        params: &[T],
        ws: &mut ConvCtrnnWorkspace<T>,
        frames: &[T],
        init: InitState<'_, T>,
        batch: usize,
        n_steps: usize,
        n_read: usize,
    ) {
        let pass = Pass::image(n_steps, n_read);
        self.run(params, ws, frames, true, init, batch, pass, None);
    }

    /// The stem, `ff_0(s) + b_0` and `skip_0(s)` of the images `image (N, C, H, W)`.
    fn drive<T: Real>(&self, params: &[T], ws: &mut ConvCtrnnWorkspace<T>, image: &[T]) {
        let n = ws.batch;
        let c = ctx(n);
        let len0 = numel(self.areas[0].shape);
        resize(&mut ws.stem, n * numel(self.stem_shape));
        match &self.pool {
            Some(pool) => {
                resize(
                    &mut ws.stem_pre,
                    n * numel(Layer::<T>::out_shape(&self.stem)),
                );
                self.stem.forward(
                    &params[self.stem_at.clone()],
                    image,
                    &mut ws.stem_pre,
                    &mut ws.scratch,
                    c,
                );
                pool.forward(&[], &ws.stem_pre, &mut ws.stem, &mut ws.scratch, c);
            }
            None => self.stem.forward(
                &params[self.stem_at.clone()],
                image,
                &mut ws.stem,
                &mut ws.scratch,
                c,
            ),
        }
        let a0 = &self.areas[0];
        resize(&mut ws.ff0, n * len0);
        a0.ff.forward(
            &params[a0.ff_at.clone()],
            &ws.stem,
            &mut ws.ff0,
            &mut ws.scratch,
            c,
        );
        let b0 = &params[a0.bias_at.clone()];
        for row in ws.ff0.chunks_exact_mut(len0) {
            for (v, &b) in row.iter_mut().zip(b0) {
                *v += b;
            }
        }
        if let Some((skip, at)) = &self.stem_skip {
            resize(&mut ws.skip0, n * len0);
            skip.forward(
                &params[at.clone()],
                &ws.stem,
                &mut ws.skip0,
                &mut ws.scratch,
                c,
            );
        }
    }

    /// The time loop of [`ConvCtrnn::forward`] (`per_step` false: one image for all steps),
    /// [`ConvCtrnn::forward_frames`] (true) and [`ConvCtrnn::forward_return`] (blank steps
    /// after the image).
    #[allow(clippy::too_many_arguments)]
    fn run<T: Real>(
        &self,
        params: &[T],
        ws: &mut ConvCtrnnWorkspace<T>,
        image: &[T],
        per_step: bool,
        init: InitState<'_, T>,
        batch: usize,
        pass: Pass,
        ret: Option<ReturnPhase<'_, T>>,
    ) {
        let _ftz = crate::kernels::FlushDenormals::new();
        let n = batch;
        let (n_image, n_read) = (pass.image, pass.read);
        let n_steps = pass.image + pass.blank;
        let frame = n * numel(self.in_shape());
        let want = if per_step { n_image * frame } else { frame };
        assert!(
            params.len() == self.n_params()
                && image.len() == want
                && n_image >= 1
                && n_read <= n_image
                && n >= 1
                && !(per_step && pass.blank > 0),
            "conv-ctrnn forward: params {} (want {}), images {} (want {want}), steps {n_steps}, \
             read {n_read}",
            params.len(),
            self.n_params(),
            image.len(),
        );
        let c = ctx(n);
        ws.batch = n;
        ws.n_steps = n_steps;
        ws.n_image = n_image;
        ws.n_read = n_read;
        ws.ret = ret.map(|r| {
            ws.baseline.clear();
            ws.baseline.extend_from_slice(r.baseline);
            (r.last, r.weight)
        });
        ws.per_step = per_step;
        ws.image.clear();
        ws.image.extend_from_slice(&image[..frame]);
        let n_areas = self.areas.len();
        // The stem and what depends on it alone: once per pass for a static image.
        self.drive(params, ws, &image[..frame]);
        self.prepare(params, ws);
        // Per-step buffers.
        ws.r.resize_with(n_areas, Vec::new);
        ws.z.resize_with(n_areas, Vec::new);
        ws.inp.resize_with(n_areas, Vec::new);
        let mut max_len = 0;
        for (l, a) in self.areas.iter().enumerate() {
            let len = numel(a.shape);
            max_len = max_len.max(len).max(numel(Layer::<T>::in_shape(&a.ff)));
            resize(&mut ws.r[l], (n_steps + 1) * n * len);
            resize(&mut ws.z[l], n_steps * n * len);
            let in_len = if l == 0 {
                0
            } else {
                numel(Layer::<T>::in_shape(&a.ff))
            };
            resize(&mut ws.inp[l], n_steps * n * in_len);
        }
        grow(&mut ws.tmp, n * max_len);
        // Where each area starts in a sample's state (a running sum: nothing allocated).
        let mut at = 0;
        let state_len = self.state_len();
        for (l, a) in self.areas.iter().enumerate() {
            let len = numel(a.shape);
            let r0 = &mut ws.r[l][..n * len];
            match init {
                InitState::Zero => r0.fill(T::c(0.0)),
                InitState::Shared(s) => {
                    assert_eq!(s.len(), state_len, "conv-ctrnn: shared initial state");
                    for row in r0.chunks_exact_mut(len) {
                        row.copy_from_slice(&s[at..at + len]);
                    }
                }
                InitState::PerSample(s) => {
                    assert_eq!(s.len(), n * state_len, "conv-ctrnn: initial states");
                    for (row, src) in r0.chunks_exact_mut(len).zip(s.chunks_exact(state_len)) {
                        row.copy_from_slice(&src[at..at + len]);
                    }
                }
            }
            at += len;
        }
        let last = self.areas[n_areas - 1].shape;
        let (c_last, len_last) = (last[0], numel(last));
        resize(&mut ws.read_sum, n * len_last);
        resize(&mut ws.feat, n_read * n * c_last);
        resize(&mut ws.logits, n_read * n * self.n_classes());
        let alpha = T::c(self.alpha());
        let keep = T::c(1.0 - self.alpha());
        let zero = T::c(0.0);
        let mut penalty = zero;
        let shared_init = matches!(init, InitState::Zero | InitState::Shared(_));
        for t in 1..=n_steps {
            if per_step && t > 1 {
                self.drive(params, ws, &image[(t - 1) * frame..t * frame]);
            }
            // After the image, the blank image's drive: the stem (no bias) gives 0, so area 0
            // gets its bias alone and skip_0 nothing.
            let blank = t > n_image;
            if t == n_image + 1 {
                let b0 = &params[self.areas[0].bias_at.clone()];
                let len0 = b0.len();
                for row in ws.ff0.chunks_exact_mut(len0) {
                    row.copy_from_slice(b0);
                }
                ws.skip0.iter_mut().for_each(|v| *v = zero);
            }
            for (l, a) in self.areas.iter().enumerate() {
                let len = numel(a.shape);
                let step = n * len;
                let z = &mut ws.z[l][(t - 1) * step..t * step];
                let r_prev = &ws.r[l][(t - 1) * step..t * step];
                if t == 1 && shared_init && n > 1 {
                    // Every sample starts from the same state: its recurrent drive once, copied
                    // (each sample's output is the same sum whatever the batch).
                    let (first, rest) = z.split_at_mut(len);
                    a.rec.forward_prepared(
                        &params[a.rec_at.clone()],
                        &ws.pre_rec[l],
                        &r_prev[..len],
                        first,
                        &mut ws.scratch,
                        ctx(1),
                    );
                    for row in rest.chunks_exact_mut(len) {
                        row.copy_from_slice(first);
                    }
                } else {
                    a.rec.forward_prepared(
                        &params[a.rec_at.clone()],
                        &ws.pre_rec[l],
                        r_prev,
                        z,
                        &mut ws.scratch,
                        c,
                    );
                }
                // What is added to the recurrent drive: ff_0(s) + b_0 for area 0, else
                // ff_l(in_l) (in `tmp`) and b_l.
                let (u, b): (&[T], _) = if l == 0 {
                    (&ws.ff0, None)
                } else {
                    let in_len = numel(Layer::<T>::in_shape(&a.ff));
                    let inp = &mut ws.inp[l][(t - 1) * n * in_len..t * n * in_len];
                    let prev = |k: usize| {
                        let s = n * numel(self.areas[k].shape);
                        &ws.r[k][(t - 1) * s..t * s]
                    };
                    if l == 1 {
                        vectorized(Ew::SumRelu {
                            dst: &mut *inp,
                            a: &ws.skip0,
                            src: prev(0),
                        });
                    } else if let Some(skip) = &a.skip {
                        let from = prev(l - 2);
                        let tmp = &mut ws.tmp[..from.len()];
                        relu_into(tmp, from);
                        skip.forward(&params[a.skip_at.clone()], tmp, inp, &mut ws.scratch, c);
                        add_relu(inp, prev(l - 1));
                    } else {
                        relu_into(inp, prev(l - 1));
                        add_relu(inp, prev(l - 2));
                    }
                    let tmp = &mut ws.tmp[..step];
                    a.ff.forward_prepared(
                        &params[a.ff_at.clone()],
                        &ws.pre_ff[l],
                        inp,
                        tmp,
                        &mut ws.scratch,
                        c,
                    );
                    (&ws.tmp[..step], Some(&params[a.bias_at.clone()]))
                };
                let (before, after) = ws.r[l].split_at_mut(t * step);
                vectorized(Ew::Step {
                    r_next: &mut after[..step],
                    r_prev: &before[(t - 1) * step..],
                    z,
                    u,
                    b,
                    alpha,
                    keep,
                });
            }
            if !blank && t + n_read > n_image {
                self.read(params, ws, t, t + n_read - n_image - 1);
            }
            if let Some((last, w)) = ws.ret.filter(|&(last, _)| t + last > n_steps) {
                penalty += w * self.distance(ws, t) / T::c((n_areas * last) as f64);
            }
        }
        ws.penalty = penalty;
    }

    /// `Σ_l mean (r_l(t) − baseline_l)²` over the batch and each area's units.
    fn distance<T: Real>(&self, ws: &ConvCtrnnWorkspace<T>, t: usize) -> T {
        let mut total = T::c(0.0);
        let mut at = 0;
        for l in 0..self.areas.len() {
            let len = numel(self.areas[l].shape);
            let base = &ws.baseline[at..at + len];
            let mut s = T::c(0.0);
            for row in ws.state(l, t).chunks_exact(len) {
                for (&r, &b) in row.iter().zip(base) {
                    s += (r - b) * (r - b);
                }
            }
            total += s / T::c((ws.batch * len) as f64);
            at += len;
        }
        total
    }

    /// Read out step `t` into read slot `k`.
    fn read<T: Real>(&self, params: &[T], ws: &mut ConvCtrnnWorkspace<T>, t: usize, k: usize) {
        let n = ws.batch;
        let c = ctx(n);
        let n_areas = self.areas.len();
        let len = numel(self.areas[n_areas - 1].shape);
        let c_last = self.areas[n_areas - 1].shape[0];
        let classes = self.n_classes();
        relu_into(
            &mut ws.read_sum,
            &ws.r[n_areas - 1][t * n * len..(t + 1) * n * len],
        );
        if self.readout() == Readout::LastTwo {
            add_relu(
                &mut ws.read_sum,
                &ws.r[n_areas - 2][t * n * len..(t + 1) * n * len],
            );
        }
        let feat = &mut ws.feat[k * n * c_last..(k + 1) * n * c_last];
        self.gap
            .forward(&[], &ws.read_sum, feat, &mut ws.scratch, c);
        self.fc.forward(
            &params[self.fc_at.clone()],
            feat,
            &mut ws.logits[k * n * classes..(k + 1) * n * classes],
            &mut ws.scratch,
            c,
        );
    }

    /// The spontaneous state: `n_steps` steps from rest under a blank (all-zero) image, batch of
    /// one; `(state_len)`, every area's map in order. Uses (and overwrites) `ws`.
    pub fn spontaneous<T: Real>(
        &self,
        params: &[T],
        ws: &mut ConvCtrnnWorkspace<T>,
        n_steps: usize,
    ) -> Vec<T> {
        let blank = vec![T::c(0.0); numel(self.in_shape())];
        let mut out = Vec::with_capacity(self.state_len());
        if n_steps == 0 {
            out.resize(self.state_len(), T::c(0.0));
            return out;
        }
        self.forward(params, ws, &blank, InitState::Zero, 1, n_steps, 0);
        for l in 0..self.areas.len() {
            out.extend_from_slice(ws.state(l, n_steps));
        }
        out
    }
}

/// The steps of one pass: with the image, then under the blank image, and how many of the
/// image's last steps are read out.
#[derive(Clone, Copy, Debug)]
struct Pass {
    image: usize,
    blank: usize,
    read: usize,
}

impl Pass {
    fn image(steps: usize, read: usize) -> Pass {
        Pass {
            image: steps,
            blank: 0,
            read,
        }
    }
}
