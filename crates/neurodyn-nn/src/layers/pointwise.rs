//! Layers that act element by element: an activation ([`Act`]: `y = f(x)`, `∂x = f'(x) ∂y`) and
//! [`Flatten`] (`(C, H, W) → (C·H·W, 1, 1)`, the same numbers: what `nn.Flatten` is to a
//! row-major tensor).

use super::{check_lengths, numel, Layer, LayerCtx, Shape};
use crate::activation::{with_activation, Activation};
use crate::real::Real;

/// `y = f(x)` element-wise.
#[derive(Clone, Debug)]
pub struct Act {
    shape: Shape,
    f: Activation,
}

impl Act {
    /// `f` over inputs of `shape`.
    pub fn new(shape: Shape, f: Activation) -> Self {
        Act { shape, f }
    }
}

impl<T: Real> Layer<T> for Act {
    fn kind(&self) -> &'static str {
        "activation"
    }
    fn in_shape(&self) -> Shape {
        self.shape
    }
    fn out_shape(&self) -> Shape {
        self.shape
    }

    fn forward(&self, params: &[T], x: &[T], y: &mut [T], _scratch: &mut Vec<T>, ctx: LayerCtx) {
        let n = numel(self.shape);
        check_lengths("activation", (n, n, 0), x, y, params, ctx.batch);
        with_activation!(self.f, |act, _dact| {
            for (o, &v) in y.iter_mut().zip(x) {
                *o = act(v);
            }
        });
    }

    fn backward(
        &self,
        params: &[T],
        x: &[T],
        y: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        _d_params: &mut [T],
        _scratch: &mut Vec<T>,
        ctx: LayerCtx,
    ) {
        let n = numel(self.shape);
        check_lengths("activation", (n, n, 0), x, y, params, ctx.batch);
        let Some(dx) = dx else { return };
        with_activation!(self.f, |_act, dact| {
            for ((d, &v), &g) in dx.iter_mut().zip(x).zip(dy) {
                *d = dact(v) * g;
            }
        });
    }
}

/// `(C, H, W) → (C·H·W, 1, 1)`: the same values in the same order.
#[derive(Clone, Debug)]
pub struct Flatten {
    in_shape: Shape,
}

impl Flatten {
    /// Over inputs of `in_shape`.
    pub fn new(in_shape: Shape) -> Self {
        Flatten { in_shape }
    }
}

impl<T: Real> Layer<T> for Flatten {
    fn kind(&self) -> &'static str {
        "flatten"
    }
    fn in_shape(&self) -> Shape {
        self.in_shape
    }
    fn out_shape(&self) -> Shape {
        [numel(self.in_shape), 1, 1]
    }

    fn forward(&self, params: &[T], x: &[T], y: &mut [T], _scratch: &mut Vec<T>, ctx: LayerCtx) {
        let n = numel(self.in_shape);
        check_lengths("flatten", (n, n, 0), x, y, params, ctx.batch);
        y.copy_from_slice(x);
    }

    fn backward(
        &self,
        params: &[T],
        x: &[T],
        y: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        _d_params: &mut [T],
        _scratch: &mut Vec<T>,
        ctx: LayerCtx,
    ) {
        let n = numel(self.in_shape);
        check_lengths("flatten", (n, n, 0), x, y, params, ctx.batch);
        if let Some(dx) = dx {
            dx.copy_from_slice(dy);
        }
    }
}
