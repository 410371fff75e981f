//! Fully connected layer: `y = x Wᵀ + b`, the input flattened (`nn.Linear` after `nn.Flatten`).
//!
//! ```text
//! y (N, out) = x (N, in) · Wᵀ (in, out) + b          ∂W = ∂yᵀ · x,  ∂b = Σ_n ∂y,  ∂x = ∂y · W
//! ```

use super::{check_lengths, numel, torch_default, Layer, LayerCtx, Shape, Weighted};
use crate::linalg::{add_col_sums, gemm, m, Trans};
use crate::real::Real;
use neurodyn_core::Rng;

/// `y = x Wᵀ + b` over the flattened input.
#[derive(Clone, Debug)]
pub struct Linear {
    in_shape: Shape,
    n_out: usize,
    bias: bool,
}

impl Linear {
    /// From an input of `in_shape` (flattened) to `n_out` features, with or without a bias.
    pub fn new(in_shape: Shape, n_out: usize, bias: bool) -> Self {
        Linear {
            in_shape,
            n_out,
            bias,
        }
    }
}

impl<T: Real> Layer<T> for Linear {
    fn kind(&self) -> &'static str {
        "linear"
    }
    fn in_shape(&self) -> Shape {
        self.in_shape
    }
    fn out_shape(&self) -> Shape {
        [self.n_out, 1, 1]
    }
    // Without the list (which allocates): the recurrent layers call this at every step.
    fn n_params(&self) -> usize {
        self.n_out * numel(self.in_shape) + if self.bias { self.n_out } else { 0 }
    }
    fn params(&self) -> Vec<(&'static str, usize)> {
        let mut p = vec![("weight", self.n_out * numel(self.in_shape))];
        if self.bias {
            p.push(("bias", self.n_out));
        }
        p
    }
    fn init_params(&self, rng: &mut Rng) -> Vec<f64> {
        let n_in = numel(self.in_shape);
        torch_default(
            self.n_out * n_in,
            if self.bias { self.n_out } else { 0 },
            n_in,
            rng,
        )
    }

    fn forward(&self, params: &[T], x: &[T], y: &mut [T], _scratch: &mut Vec<T>, ctx: LayerCtx) {
        let (n_in, n_out, n) = (numel(self.in_shape), self.n_out, ctx.batch);
        let n_params = <Self as Layer<T>>::n_params(self);
        check_lengths("linear", (n_in, n_out, n_params), x, y, params, n);
        let (w, b) = params.split_at(n_out * n_in);
        self.forward_wb(w, b, x, y, &mut [], ctx);
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
        let (n_in, n_out, n) = (numel(self.in_shape), self.n_out, ctx.batch);
        let n_params = <Self as Layer<T>>::n_params(self);
        check_lengths("linear", (n_in, n_out, n_params), x, y, params, n);
        self.backward_wb(&params[..n_out * n_in], x, dy, dx, d_params, &mut [], ctx);
    }
}

impl<T: Real> Weighted<T> for Linear {
    fn weight_rows(&self) -> (usize, usize) {
        (self.n_out, numel(self.in_shape))
    }
    fn has_bias(&self) -> bool {
        self.bias
    }
    fn work_len(&self, _ctx: LayerCtx, _backward: bool) -> usize {
        0
    }

    fn forward_wb(&self, w: &[T], b: &[T], x: &[T], y: &mut [T], _work: &mut [T], ctx: LayerCtx) {
        let (n_in, n_out, n) = (numel(self.in_shape), self.n_out, ctx.batch);
        if self.bias {
            for row in y.chunks_exact_mut(n_out) {
                row.copy_from_slice(b);
            }
        }
        gemm(
            y,
            n,
            n_out,
            m(x, n, n_in),
            Trans::N,
            m(w, n_out, n_in),
            Trans::T,
            self.bias,
            ctx.threads,
        );
    }

    fn backward_wb(
        &self,
        w: &[T],
        x: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        grads: &mut [T],
        _work: &mut [T],
        ctx: LayerCtx,
    ) {
        let (n_in, n_out, n) = (numel(self.in_shape), self.n_out, ctx.batch);
        let n_params = <Self as Layer<T>>::n_params(self);
        assert_eq!(grads.len(), n_params, "linear: d_params");
        let (dw, db) = grads.split_at_mut(n_out * n_in);
        gemm(
            dw,
            n_out,
            n_in,
            m(dy, n, n_out),
            Trans::T,
            m(x, n, n_in),
            Trans::N,
            false,
            ctx.threads,
        );
        if self.bias {
            db.iter_mut().for_each(|v| *v = T::c(0.0));
            add_col_sums(db, dy, n_out);
        }
        if let Some(dx) = dx {
            gemm(
                dx,
                n,
                n_in,
                m(dy, n, n_out),
                Trans::N,
                m(w, n_out, n_in),
                Trans::N,
                false,
                ctx.threads,
            );
        }
    }
}
