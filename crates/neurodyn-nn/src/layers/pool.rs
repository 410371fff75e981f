//! Pooling over square windows of each channel (`nn.MaxPool2d`, `nn.AvgPool2d`) and global
//! average pooling (`nn.AdaptiveAvgPool2d(1)`). An average pool may pad with `p` zeros on each
//! side ([`Pool2d::avg_padded`]), which count in the mean as in PyTorch's default
//! (`count_include_pad=True`: always divided by k²).
//!
//! ```text
//! H' = ⌊(H + 2p − k) / s⌋ + 1
//! max:  y[c, i, j] = max_{u,v<k} x[c, i·s + u, j·s + v]      ∂x at the first maximum (row-major)
//! avg:  y[c, i, j] = mean_{u,v<k} x[c, i·s + u, j·s + v]     ∂x = ∂y / k² over the window
//! ```
//!
//! The max pool's backward finds each window's maximum again from the input (the first of equal
//! values, as PyTorch's CPU kernel does) instead of storing indices; a NaN counts as a maximum, as
//! there.

use super::{check_lengths, numel, Layer, LayerCtx, Shape};
use crate::error::NnError;
use crate::real::Real;

/// Which statistic a [`Pool2d`] takes over its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    /// The largest value.
    Max,
    /// The mean.
    Avg,
}

/// Max or average pooling with a square window and a stride.
#[derive(Clone, Debug)]
pub struct Pool2d {
    kind: PoolKind,
    in_shape: Shape,
    k: usize,
    stride: usize,
    /// Zero padding on each side (average pools only).
    pad: usize,
    out_hw: (usize, usize),
}

impl Pool2d {
    /// A `kind` pool of window `k` and `stride` over inputs of `in_shape`.
    pub fn new(kind: PoolKind, in_shape: Shape, k: usize, stride: usize) -> Result<Self, NnError> {
        Self::build(kind, in_shape, k, stride, 0)
    }

    /// An average pool of window `k`, `stride` and `pad` zeros on each side (PyTorch's
    /// `AvgPool2d(k, stride, pad)`: the zeros count, the mean is over k² values), over inputs
    /// of `in_shape`; `pad ≤ k / 2` as there.
    pub fn avg_padded(
        in_shape: Shape,
        k: usize,
        stride: usize,
        pad: usize,
    ) -> Result<Self, NnError> {
        Self::build(PoolKind::Avg, in_shape, k, stride, pad)
    }

    fn build(
        kind: PoolKind,
        in_shape: Shape,
        k: usize,
        stride: usize,
        pad: usize,
    ) -> Result<Self, NnError> {
        let [_, h, w] = in_shape;
        if k == 0 || stride == 0 || 2 * pad > k || k > h + 2 * pad || k > w + 2 * pad {
            let padding = if pad > 0 {
                format!(" and padding {pad}")
            } else {
                String::new()
            };
            let half = if pad > 0 {
                " (padding at most half the window)"
            } else {
                ""
            };
            return Err(NnError::Invalid(format!(
                "pool: a window of {k} with stride {stride}{padding} does not fit an input of \
                 {h}x{w}{half}"
            )));
        }
        Ok(Pool2d {
            kind,
            in_shape,
            k,
            stride,
            pad,
            out_hw: (
                (h + 2 * pad - k) / stride + 1,
                (w + 2 * pad - k) / stride + 1,
            ),
        })
    }

    /// The rows (or columns) of output index `o`'s window that lie inside `0..n`.
    #[inline]
    fn span(&self, o: usize, n: usize) -> std::ops::Range<usize> {
        let start = (o * self.stride).saturating_sub(self.pad);
        let end = (o * self.stride + self.k).saturating_sub(self.pad).min(n);
        start..end
    }

    /// Offset in the plane of the first maximum of output `(oy, ox)`'s window (the first NaN if
    /// there is one). The running maximum and its position are selected, not branched on: a
    /// branch per comparison mispredicted half the time on real images.
    #[inline]
    fn argmax<T: Real>(&self, plane: &[T], oy: usize, ox: usize) -> usize {
        let w = self.in_shape[2];
        let (y0, x0) = (oy * self.stride, ox * self.stride);
        let mut best = y0 * w + x0;
        let mut top = plane[best];
        let mut nan = false;
        for u in 0..self.k {
            let start = (y0 + u) * w + x0;
            for (v, &val) in plane[start..start + self.k].iter().enumerate() {
                let gt = val > top;
                best = if gt { start + v } else { best };
                top = if gt { val } else { top };
                nan |= is_nan(val);
            }
        }
        if nan {
            for u in 0..self.k {
                let start = (y0 + u) * w + x0;
                if let Some(v) = plane[start..start + self.k].iter().position(|&x| is_nan(x)) {
                    return start + v;
                }
            }
        }
        best
    }

    /// Max pooling of a plane without NaN, output row by output row: each input row of the
    /// windows folds its window maxima into the row (no branch on the data).
    fn max_rows<T: Real>(&self, plane: &[T], out: &mut [T]) {
        let (k, s, w) = (self.k, self.stride, self.in_shape[2]);
        let wo = self.out_hw.1;
        for (oy, out_row) in out.chunks_exact_mut(wo).enumerate() {
            for u in 0..k {
                let row = &plane[(oy * s + u) * w..(oy * s + u + 1) * w];
                for (ox, o) in out_row.iter_mut().enumerate() {
                    let win = &row[ox * s..ox * s + k];
                    let m = win[1..].iter().fold(win[0], |a, &b| a.max(b));
                    *o = if u == 0 { m } else { o.max(m) };
                }
            }
        }
    }

    /// The largest value of output `(oy, ox)`'s window, or NaN if it holds one (as PyTorch);
    /// `max` and an or of NaN tests rather than a branch per comparison, which mispredicted
    /// half the time on real images.
    #[inline]
    fn max_of<T: Real>(&self, plane: &[T], oy: usize, ox: usize) -> T {
        let w = self.in_shape[2];
        let (y0, x0) = (oy * self.stride, ox * self.stride);
        let mut top = plane[y0 * w + x0];
        let mut nan = false;
        for u in 0..self.k {
            let start = (y0 + u) * w + x0;
            for &val in &plane[start..start + self.k] {
                top = top.max(val);
                nan |= is_nan(val);
            }
        }
        if nan {
            T::c(f64::NAN)
        } else {
            top
        }
    }
}

/// NaN test through [`Real`]: a NaN is the one value unequal to itself.
#[allow(clippy::eq_op)]
fn is_nan<T: Real>(v: T) -> bool {
    v != v
}

impl<T: Real> Layer<T> for Pool2d {
    fn kind(&self) -> &'static str {
        match self.kind {
            PoolKind::Max => "maxpool2d",
            PoolKind::Avg => "avgpool2d",
        }
    }
    fn in_shape(&self) -> Shape {
        self.in_shape
    }
    fn out_shape(&self) -> Shape {
        [self.in_shape[0], self.out_hw.0, self.out_hw.1]
    }

    fn forward(&self, params: &[T], x: &[T], y: &mut [T], _scratch: &mut Vec<T>, ctx: LayerCtx) {
        let [_, h, w] = self.in_shape;
        let (ho, wo) = self.out_hw;
        let out_len = numel(<Self as Layer<T>>::out_shape(self));
        check_lengths(
            "pool",
            (numel(self.in_shape), out_len, 0),
            x,
            y,
            params,
            ctx.batch,
        );
        let inv = T::c(1.0 / (self.k * self.k) as f64);
        for (plane, out) in x.chunks_exact(h * w).zip(y.chunks_exact_mut(ho * wo)) {
            if self.kind == PoolKind::Max && !plane.iter().any(|&v| is_nan(v)) {
                self.max_rows(plane, out);
                continue;
            }
            for oy in 0..ho {
                for ox in 0..wo {
                    out[oy * wo + ox] = match self.kind {
                        PoolKind::Max => self.max_of(plane, oy, ox),
                        PoolKind::Avg => {
                            let cols = self.span(ox, w);
                            let mut s = T::c(0.0);
                            for r in self.span(oy, h) {
                                for &v in &plane[r * w + cols.start..r * w + cols.end] {
                                    s += v;
                                }
                            }
                            s * inv
                        }
                    };
                }
            }
        }
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
        let [_, h, w] = self.in_shape;
        let (ho, wo) = self.out_hw;
        let out_len = numel(<Self as Layer<T>>::out_shape(self));
        check_lengths(
            "pool",
            (numel(self.in_shape), out_len, 0),
            x,
            y,
            params,
            ctx.batch,
        );
        let Some(dx) = dx else { return };
        assert!(dx.len() == x.len() && dy.len() == y.len(), "pool: dx or dy");
        let inv = T::c(1.0 / (self.k * self.k) as f64);
        if self.kind == PoolKind::Avg && self.stride == self.k && self.pad == 0 {
            // Windows side by side: every input has at most one output's gradient, written
            // row by row (the sum below, `0 + g/k²`, in one step: the same bits).
            let k = self.k;
            for (dplane, g) in dx.chunks_exact_mut(h * w).zip(dy.chunks_exact(ho * wo)) {
                for (r, drow) in dplane.chunks_exact_mut(w).enumerate() {
                    let oy = r / k;
                    if oy >= ho {
                        drow.fill(T::c(0.0));
                        continue;
                    }
                    let (covered, rest) = drow.split_at_mut((wo * k).min(w));
                    for (win, &gi) in covered.chunks_mut(k).zip(&g[oy * wo..(oy + 1) * wo]) {
                        win.fill(T::c(0.0) + gi * inv);
                    }
                    rest.fill(T::c(0.0));
                }
            }
            return;
        }
        dx.iter_mut().for_each(|v| *v = T::c(0.0));
        for ((plane, dplane), g) in x
            .chunks_exact(h * w)
            .zip(dx.chunks_exact_mut(h * w))
            .zip(dy.chunks_exact(ho * wo))
        {
            for oy in 0..ho {
                for ox in 0..wo {
                    let gi = g[oy * wo + ox];
                    match self.kind {
                        PoolKind::Max => dplane[self.argmax(plane, oy, ox)] += gi,
                        PoolKind::Avg => {
                            let cols = self.span(ox, w);
                            for r in self.span(oy, h) {
                                for d in &mut dplane[r * w + cols.start..r * w + cols.end] {
                                    *d += gi * inv;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The mean of each channel: `(C, H, W) → (C, 1, 1)`.
#[derive(Clone, Debug)]
pub struct GlobalAvgPool {
    in_shape: Shape,
}

impl GlobalAvgPool {
    /// Over inputs of `in_shape`.
    pub fn new(in_shape: Shape) -> Self {
        GlobalAvgPool { in_shape }
    }
}

impl<T: Real> Layer<T> for GlobalAvgPool {
    fn kind(&self) -> &'static str {
        "global-avgpool"
    }
    fn in_shape(&self) -> Shape {
        self.in_shape
    }
    fn out_shape(&self) -> Shape {
        [self.in_shape[0], 1, 1]
    }

    fn forward(&self, params: &[T], x: &[T], y: &mut [T], _scratch: &mut Vec<T>, ctx: LayerCtx) {
        let [c, h, w] = self.in_shape;
        check_lengths("global-avgpool", (c * h * w, c, 0), x, y, params, ctx.batch);
        let inv = T::c(1.0 / (h * w) as f64);
        for (plane, out) in x.chunks_exact(h * w).zip(y.iter_mut()) {
            *out = plane.iter().fold(T::c(0.0), |s, &v| s + v) * inv;
        }
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
        let [c, h, w] = self.in_shape;
        check_lengths("global-avgpool", (c * h * w, c, 0), x, y, params, ctx.batch);
        let Some(dx) = dx else { return };
        let inv = T::c(1.0 / (h * w) as f64);
        for (dplane, &g) in dx.chunks_exact_mut(h * w).zip(dy) {
            dplane.iter_mut().for_each(|d| *d = g * inv);
        }
    }
}
