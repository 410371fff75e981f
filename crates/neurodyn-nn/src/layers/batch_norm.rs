//! Batch normalisation (Ioffe & Szegedy 2015) per channel: `nn.BatchNorm1d` over a feature
//! vector `(C, 1, 1)` and `nn.BatchNorm2d` over `(C, H, W)` are one layer, the statistics of
//! channel `c` taken over the batch and the plane (m = N·H·W values).
//!
//! ```text
//! training:    μ = mean x,  σ² = mean (x − μ)²  (biased),  x̂ = (x − μ)/√(σ² + ε),  y = γ x̂ + β
//!              running_mean ← (1 − momentum) running_mean + momentum μ
//!              running_var  ← (1 − momentum) running_var  + momentum σ² m/(m − 1)  (unbiased)
//!              num_batches_tracked ← + 1
//!   backward:  ∂β = Σ ∂y,  ∂γ = Σ ∂y x̂,  ∂x = γ/(m √(σ² + ε)) · (m ∂y − Σ ∂y − x̂ Σ ∂y x̂)
//! evaluation:  y = γ (x − running_mean)/√(running_var + ε) + β                (affine)
//!   backward:  ∂x = γ ∂y/√(running_var + ε),  ∂γ = Σ ∂y x̂,  ∂β = Σ ∂y
//! ```
//!
//! PyTorch's defaults and semantics: `weight` γ = 1, `bias` β = 0, momentum 0.1, ε = 1e-5; the
//! running statistics are buffers ([`Layer::buffers`]), not parameters: no gradient reaches
//! them and no optimizer moves them. A batch with one value per channel (m = 1, which PyTorch
//! refuses in training) leaves `running_var` as it was, having no unbiased variance.
//!
//! The backward pass recomputes μ and σ² from the input instead of keeping them. Statistics and
//! sums are accumulated in f64 in a fixed order, so the thread count cannot change them.
//! Without buffers ([`Layer::forward`]) the layer always uses the batch's statistics, as
//! PyTorch's `track_running_stats=False`.

use super::{check_lengths, numel, Layer, LayerCtx, Shape};
use crate::error::NnError;
use crate::real::Real;

/// Batch normalisation per channel, with running statistics for evaluation.
#[derive(Clone, Debug)]
pub struct BatchNorm {
    shape: Shape,
    momentum: f64,
    eps: f64,
}

impl BatchNorm {
    /// Over inputs of `shape` (`(C, 1, 1)` for features), with `momentum` in `[0, 1]` and
    /// `eps` > 0.
    pub fn new(shape: Shape, momentum: f64, eps: f64) -> Result<Self, NnError> {
        if !(0.0..=1.0).contains(&momentum) {
            return Err(NnError::Invalid(format!(
                "batchnorm: momentum = {momentum} is not in [0, 1]"
            )));
        }
        if !(eps > 0.0 && eps.is_finite()) {
            return Err(NnError::Invalid(format!(
                "batchnorm: eps = {eps} must be positive"
            )));
        }
        if numel(shape) == 0 {
            return Err(NnError::Invalid(format!(
                "batchnorm: an input of shape {shape:?} has no values"
            )));
        }
        Ok(BatchNorm {
            shape,
            momentum,
            eps,
        })
    }

    fn channels(&self) -> usize {
        self.shape[0]
    }

    fn plane(&self) -> usize {
        self.shape[1] * self.shape[2]
    }

    /// The values of channel `c` in `x`, sample by sample.
    fn planes<'a, T>(&self, x: &'a [T], c: usize) -> impl Iterator<Item = &'a [T]> {
        let (len, hw) = (numel(self.shape), self.plane());
        x.chunks_exact(len).map(move |s| &s[c * hw..(c + 1) * hw])
    }

    /// Mean and biased variance of channel `c` of the batch `x` (two passes, in f64).
    fn stats<T: Real>(&self, x: &[T], c: usize, m: f64) -> (f64, f64) {
        let mean = self.planes(x, c).flatten().map(|v| v.f()).sum::<f64>() / m;
        let var = self
            .planes(x, c)
            .flatten()
            .map(|v| (v.f() - mean).powi(2))
            .sum::<f64>()
            / m;
        (mean, var)
    }

    /// `y = γ (x − μ) s + β` for channel `c`, where `s = 1/√(σ² + ε)`.
    fn affine<T: Real>(&self, x: &[T], y: &mut [T], c: usize, mean: f64, s: f64, gb: (T, T)) {
        let (len, hw) = (numel(self.shape), self.plane());
        let (mu, s) = (T::c(mean), T::c(s));
        for (xs, ys) in x.chunks_exact(len).zip(y.chunks_exact_mut(len)) {
            for (o, &v) in ys[c * hw..(c + 1) * hw].iter_mut().zip(&xs[c * hw..]) {
                *o = gb.0 * ((v - mu) * s) + gb.1;
            }
        }
    }

    /// The pass over batch statistics, updating `running` (mean, var, count) when given.
    fn forward_batch<T: Real>(
        &self,
        params: &[T],
        x: &[T],
        y: &mut [T],
        mut running: Option<&mut [T]>,
        batch: usize,
    ) {
        let ch = self.channels();
        let m = (batch * self.plane()) as f64;
        for c in 0..ch {
            let (mean, var) = self.stats(x, c, m);
            let s = 1.0 / (var + self.eps).sqrt();
            self.affine(x, y, c, mean, s, (params[c], params[ch + c]));
            if let Some(r) = running.as_deref_mut() {
                let mo = self.momentum;
                r[c] = T::c((1.0 - mo) * r[c].f() + mo * mean);
                if m > 1.0 {
                    r[ch + c] = T::c((1.0 - mo) * r[ch + c].f() + mo * var * m / (m - 1.0));
                }
            }
        }
        if let Some(r) = running {
            r[2 * ch] += T::c(1.0);
        }
    }

    /// The backward pass over batch statistics (training).
    #[allow(clippy::too_many_arguments)]
    fn backward_batch<T: Real>(
        &self,
        params: &[T],
        x: &[T],
        dy: &[T],
        mut dx: Option<&mut [T]>,
        d_params: &mut [T],
        batch: usize,
    ) {
        let (ch, hw, len) = (self.channels(), self.plane(), numel(self.shape));
        let m = (batch * hw) as f64;
        for c in 0..ch {
            let (mean, var) = self.stats(x, c, m);
            let s = 1.0 / (var + self.eps).sqrt();
            let (sum_dy, sum_dy_xhat) = self.sums(x, dy, c, mean, s);
            d_params[c] = T::c(sum_dy_xhat);
            d_params[ch + c] = T::c(sum_dy);
            let Some(dx) = dx.as_deref_mut() else {
                continue;
            };
            let k = T::c(params[c].f() * s / m);
            let (mu, st, mt) = (T::c(mean), T::c(s), T::c(m));
            let (a, b) = (T::c(sum_dy), T::c(sum_dy_xhat));
            for ((xs, gs), ds) in x
                .chunks_exact(len)
                .zip(dy.chunks_exact(len))
                .zip(dx.chunks_exact_mut(len))
            {
                let r = c * hw..(c + 1) * hw;
                for ((d, &v), &g) in ds[r.clone()].iter_mut().zip(&xs[r.clone()]).zip(&gs[r]) {
                    let xhat = (v - mu) * st;
                    *d = k * (mt * g - a - xhat * b);
                }
            }
        }
    }

    /// `(Σ ∂y, Σ ∂y x̂)` over channel `c`, with `x̂ = (x − mean)·s`, in f64.
    fn sums<T: Real>(&self, x: &[T], dy: &[T], c: usize, mean: f64, s: f64) -> (f64, f64) {
        self.planes(x, c)
            .flatten()
            .zip(self.planes(dy, c).flatten())
            .fold((0.0, 0.0), |(a, b), (v, g)| {
                (a + g.f(), b + g.f() * (v.f() - mean) * s)
            })
    }
}

impl<T: Real> Layer<T> for BatchNorm {
    fn kind(&self) -> &'static str {
        "batchnorm"
    }
    fn in_shape(&self) -> Shape {
        self.shape
    }
    fn out_shape(&self) -> Shape {
        self.shape
    }
    fn n_params(&self) -> usize {
        2 * self.channels()
    }
    fn params(&self) -> Vec<(&'static str, usize)> {
        vec![("weight", self.channels()), ("bias", self.channels())]
    }
    fn init_params(&self, _rng: &mut neurodyn_core::Rng) -> Vec<f64> {
        let ch = self.channels();
        (0..2 * ch)
            .map(|i| if i < ch { 1.0 } else { 0.0 })
            .collect()
    }
    fn buffers(&self) -> Vec<(&'static str, usize)> {
        let ch = self.channels();
        vec![
            ("running_mean", ch),
            ("running_var", ch),
            ("num_batches_tracked", 1),
        ]
    }
    fn n_buffers(&self) -> usize {
        2 * self.channels() + 1
    }
    fn init_buffers(&self) -> Vec<f64> {
        let ch = self.channels();
        (0..2 * ch + 1)
            .map(|i| if (ch..2 * ch).contains(&i) { 1.0 } else { 0.0 })
            .collect()
    }

    fn forward(&self, params: &[T], x: &[T], y: &mut [T], _scratch: &mut Vec<T>, ctx: LayerCtx) {
        let n = numel(self.shape);
        check_lengths(
            "batchnorm",
            (n, n, 2 * self.channels()),
            x,
            y,
            params,
            ctx.batch,
        );
        self.forward_batch(params, x, y, None, ctx.batch);
    }

    fn backward(
        &self,
        params: &[T],
        x: &[T],
        y: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        d_params: &mut [T],
        _scratch: &mut Vec<T>,
        ctx: LayerCtx,
    ) {
        let n = numel(self.shape);
        check_lengths(
            "batchnorm",
            (n, n, 2 * self.channels()),
            x,
            y,
            params,
            ctx.batch,
        );
        assert_eq!(d_params.len(), params.len(), "batchnorm: d_params");
        self.backward_batch(params, x, dy, dx, d_params, ctx.batch);
    }

    fn forward_buffered(
        &self,
        params: &[T],
        buffers: &mut [T],
        x: &[T],
        y: &mut [T],
        _scratch: &mut Vec<T>,
        ctx: LayerCtx,
    ) {
        let (n, ch) = (numel(self.shape), self.channels());
        check_lengths("batchnorm", (n, n, 2 * ch), x, y, params, ctx.batch);
        assert_eq!(buffers.len(), 2 * ch + 1, "batchnorm: buffers");
        if ctx.training {
            self.forward_batch(params, x, y, Some(buffers), ctx.batch);
            return;
        }
        for c in 0..ch {
            let s = 1.0 / (buffers[ch + c].f() + self.eps).sqrt();
            self.affine(x, y, c, buffers[c].f(), s, (params[c], params[ch + c]));
        }
    }

    fn backward_buffered(
        &self,
        params: &[T],
        buffers: &[T],
        x: &[T],
        y: &[T],
        dy: &[T],
        mut dx: Option<&mut [T]>,
        d_params: &mut [T],
        _scratch: &mut Vec<T>,
        ctx: LayerCtx,
    ) {
        let (n, ch, hw) = (numel(self.shape), self.channels(), self.plane());
        check_lengths("batchnorm", (n, n, 2 * ch), x, y, params, ctx.batch);
        assert!(
            d_params.len() == params.len() && buffers.len() == 2 * ch + 1,
            "batchnorm: d_params or buffers"
        );
        if ctx.training {
            self.backward_batch(params, x, dy, dx, d_params, ctx.batch);
            return;
        }
        for c in 0..ch {
            let (mean, s) = (
                buffers[c].f(),
                1.0 / (buffers[ch + c].f() + self.eps).sqrt(),
            );
            let (sum_dy, sum_dy_xhat) = self.sums(x, dy, c, mean, s);
            d_params[c] = T::c(sum_dy_xhat);
            d_params[ch + c] = T::c(sum_dy);
            let Some(dx) = dx.as_deref_mut() else {
                continue;
            };
            let k = T::c(params[c].f() * s);
            for (gs, ds) in dy.chunks_exact(n).zip(dx.chunks_exact_mut(n)) {
                for (d, &g) in ds[c * hw..(c + 1) * hw].iter_mut().zip(&gs[c * hw..]) {
                    *d = k * g;
                }
            }
        }
    }
}
