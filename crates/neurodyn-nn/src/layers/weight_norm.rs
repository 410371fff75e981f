//! Weight normalisation (Salimans & Kingma 2016; `torch.nn.utils.weight_norm(layer, dim=0)`) of
//! a layer with one weight row per output ([`Linear`](super::Linear),
//! [`Conv2d`](super::Conv2d)): the direction and the length of each row are separate parameters.
//!
//! ```text
//! W[o] = g[o] · v[o] / ‖v[o]‖              (v[o]: the row of output o, in or C·kh·kw values)
//! y = plain layer(x; W, b)
//! ∂W, ∂b, ∂x = the plain layer's backward at W, then per row
//!   ∂g[o] = ⟨∂W[o], v[o]⟩ / ‖v[o]‖,   ∂v[o] = (g[o] / ‖v[o]‖) (∂W[o] − (∂g[o] / ‖v[o]‖) v[o])
//! ```
//!
//! One implementation for both layers: the effective weight is computed into scratch and the
//! plain layer's own forward and backward ([`Weighted`]) run on it. Parameters, in order:
//! `weight_g (out)` (PyTorch's shape `(out, 1)` or `(out, 1, 1, 1)`), `weight_v` (the weight's
//! shape), `bias (out)` if the layer has one. They start as PyTorch's do: `v` the plain layer's
//! default weight and `g = ‖v‖` per row, so the initial function is the plain layer's.

use super::{check_lengths, grow, numel, Layer, LayerCtx, Shape};
use crate::real::Real;
use neurodyn_core::Rng;

/// A layer whose weight is one row per output, with its forward and backward given the weight
/// and bias as separate slices: what [`WeightNorm`] wraps.
pub trait Weighted<T: Real>: Layer<T> {
    /// `(rows, row length)` of the weight: one row per output.
    fn weight_rows(&self) -> (usize, usize);
    /// Whether the parameters end with a bias (one per row).
    fn has_bias(&self) -> bool;
    /// Working space [`Weighted::forward_wb`] (or, when `backward`, [`Weighted::backward_wb`])
    /// needs for `ctx`.
    fn work_len(&self, ctx: LayerCtx, backward: bool) -> usize;
    /// [`Layer::forward`] with weight `w` and bias `b` (empty without one); `work` holds at
    /// least [`Weighted::work_len`] values.
    fn forward_wb(&self, w: &[T], b: &[T], x: &[T], y: &mut [T], work: &mut [T], ctx: LayerCtx);
    /// [`Layer::backward`] with weight `w`: `grads` (∂W then ∂b, overwritten) and `dx`.
    #[allow(clippy::too_many_arguments)]
    fn backward_wb(
        &self,
        w: &[T],
        x: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        grads: &mut [T],
        work: &mut [T],
        ctx: LayerCtx,
    );
}

/// A [`Weighted`] layer with its weight normalised per output row.
#[derive(Clone, Debug)]
pub struct WeightNorm<L> {
    inner: L,
}

impl<L> WeightNorm<L> {
    /// Normalise the weight of `inner`.
    pub fn new(inner: L) -> Self {
        WeightNorm { inner }
    }

    /// The plain layer.
    pub fn inner(&self) -> &L {
        &self.inner
    }
}

/// `w[o] = g[o] · v[o] / ‖v[o]‖` for each row of `len` values: the effective weight of a
/// weight-normalised tensor (also for networks that reparametrise their own weights, such as
/// the conv-ctrnn's).
pub fn effective<T: Real>(g: &[T], v: &[T], w: &mut [T], len: usize) {
    for ((wr, vr), &go) in w.chunks_exact_mut(len).zip(v.chunks_exact(len)).zip(g) {
        let scale = go / norm(vr);
        for (a, &b) in wr.iter_mut().zip(vr) {
            *a = scale * b;
        }
    }
}

fn norm<T: Real>(v: &[T]) -> T {
    v.iter().fold(T::c(0.0), |s, &a| s + a * a).sqrt()
}

impl<T: Real, L: Weighted<T>> Layer<T> for WeightNorm<L> {
    fn kind(&self) -> &'static str {
        match self.inner.kind() {
            "linear" => "linear (weight norm)",
            "conv2d" => "conv2d (weight norm)",
            _ => "weight norm",
        }
    }
    fn in_shape(&self) -> Shape {
        self.inner.in_shape()
    }
    fn out_shape(&self) -> Shape {
        self.inner.out_shape()
    }
    fn n_params(&self) -> usize {
        self.inner.weight_rows().0 + self.inner.n_params()
    }
    fn params(&self) -> Vec<(&'static str, usize)> {
        let (rows, len) = self.inner.weight_rows();
        let mut p = vec![("weight_g", rows), ("weight_v", rows * len)];
        if self.inner.has_bias() {
            p.push(("bias", rows));
        }
        p
    }
    fn init_params(&self, rng: &mut Rng) -> Vec<f64> {
        let (rows, len) = self.inner.weight_rows();
        let plain = self.inner.init_params(rng);
        let mut p: Vec<f64> = plain[..rows * len]
            .chunks_exact(len)
            .map(|r| r.iter().map(|a| a * a).sum::<f64>().sqrt())
            .collect();
        p.extend_from_slice(&plain);
        p
    }

    fn forward(&self, params: &[T], x: &[T], y: &mut [T], scratch: &mut Vec<T>, ctx: LayerCtx) {
        let (rows, len) = self.inner.weight_rows();
        let lens = (
            numel(self.in_shape()),
            numel(self.out_shape()),
            Layer::<T>::n_params(self),
        );
        check_lengths(Layer::<T>::kind(self), lens, x, y, params, ctx.batch);
        let (g, rest) = params.split_at(rows);
        let (v, b) = rest.split_at(rows * len);
        let need = rows * len + self.inner.work_len(ctx, false);
        grow(scratch, need);
        let (w, work) = scratch[..need].split_at_mut(rows * len);
        effective(g, v, w, len);
        self.inner.forward_wb(w, b, x, y, work, ctx);
    }

    fn backward(
        &self,
        params: &[T],
        x: &[T],
        y: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        d_params: &mut [T],
        scratch: &mut Vec<T>,
        ctx: LayerCtx,
    ) {
        let (rows, len) = self.inner.weight_rows();
        let lens = (
            numel(self.in_shape()),
            numel(self.out_shape()),
            Layer::<T>::n_params(self),
        );
        check_lengths(Layer::<T>::kind(self), lens, x, y, params, ctx.batch);
        assert_eq!(d_params.len(), params.len(), "weight norm: d_params");
        let (g, rest) = params.split_at(rows);
        let v = &rest[..rows * len];
        let need = rows * len + self.inner.work_len(ctx, true);
        grow(scratch, need);
        let (w, work) = scratch[..need].split_at_mut(rows * len);
        effective(g, v, w, len);
        // ∂W lands where ∂v belongs (and ∂b after it): the plain layer's layout.
        let (dg, dv_db) = d_params.split_at_mut(rows);
        self.inner.backward_wb(w, x, dy, dx, dv_db, work, ctx);
        backward(g, v, dg, &mut dv_db[..rows * len], len);
    }
}

/// The gradient of a weight-normalised tensor from its effective weight's: `dv` holds `∂W` on
/// entry and `∂v` on return, `dg` gets `∂g` (rows of `len` values, as [`effective`]).
pub fn backward<T: Real>(g: &[T], v: &[T], dg: &mut [T], dv: &mut [T], len: usize) {
    for (((dgo, dvr), vr), &go) in dg
        .iter_mut()
        .zip(dv.chunks_exact_mut(len))
        .zip(v.chunks_exact(len))
        .zip(g)
    {
        let n = norm(vr);
        let d = dvr.iter().zip(vr).fold(T::c(0.0), |s, (&a, &b)| s + a * b) / n;
        *dgo = d;
        let (scale, along) = (go / n, d / n);
        for (a, &b) in dvr.iter_mut().zip(vr) {
            *a = scale * (*a - along * b);
        }
    }
}
