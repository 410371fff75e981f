//! 2-D convolution (cross-correlation, as `nn.Conv2d`): stride, zero padding, dilation, one
//! group, lowered onto the engine's GEMM by im2col one sample at a time.
//!
//! ```text
//! y[o, i, j] = b[o] + Σ_{c,u,v} W[o, c, u, v] · x[c, i·s − p + u·d, j·s − p + v·d]
//! H' = ⌊(H + 2p − d(k − 1) − 1) / s⌋ + 1
//!
//! per sample:  cols (C·kh·kw, H'·W')  ← im2col(x)            (zero where the window is outside)
//!              y (C', H'·W')          = W (C', C·kh·kw) · cols + b
//!              ∂W += ∂y · colsᵀ,  ∂b += Σ_ij ∂y,  ∂x ← col2im(Wᵀ · ∂y)
//! ```
//!
//! The backward pass rebuilds each sample's columns instead of keeping them from the forward
//! pass: one copy of the input instead of `kh·kw` copies held for the whole batch.

use super::{check_lengths, grow, numel, torch_default, Layer, LayerCtx, Shape, Weighted};
use crate::error::NnError;
use crate::linalg::{gemm, m, Trans};
use crate::real::Real;
use neurodyn_core::Rng;
use rayon::prelude::*;

/// A 2-D convolution layer.
#[derive(Clone, Debug)]
pub struct Conv2d {
    in_shape: Shape,
    c_out: usize,
    kernel: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
    dilation: (usize, usize),
    bias: bool,
    out_hw: (usize, usize),
}

/// Output length along one axis, or `None` when the (dilated) kernel does not fit.
fn out_len(n: usize, k: usize, s: usize, p: usize, d: usize) -> Option<usize> {
    let span = d * (k - 1) + 1;
    (n + 2 * p >= span && s > 0).then(|| (n + 2 * p - span) / s + 1)
}

impl Conv2d {
    /// `c_out` filters of `kernel` (rows, columns) over inputs of `in_shape`, with `stride`,
    /// zero `padding` on each side and `dilation` per axis. Errors name what does not fit.
    pub fn new(
        in_shape: Shape,
        c_out: usize,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
        dilation: (usize, usize),
        bias: bool,
    ) -> Result<Self, NnError> {
        let positive = [
            in_shape[0],
            c_out,
            kernel.0,
            kernel.1,
            stride.0,
            stride.1,
            dilation.0,
            dilation.1,
        ];
        if positive.contains(&0) {
            return Err(NnError::Invalid(format!(
                "conv2d: channels, kernel, stride and dilation must be positive \
                 (in {} channels, out {c_out}, kernel {kernel:?}, stride {stride:?}, \
                 dilation {dilation:?})",
                in_shape[0]
            )));
        }
        let ho = out_len(in_shape[1], kernel.0, stride.0, padding.0, dilation.0);
        let wo = out_len(in_shape[2], kernel.1, stride.1, padding.1, dilation.1);
        let (Some(ho), Some(wo)) = (ho, wo) else {
            return Err(NnError::Invalid(format!(
                "conv2d: a kernel of {kernel:?} with dilation {dilation:?} does not fit an \
                 input of {}x{} padded by {padding:?}",
                in_shape[1], in_shape[2]
            )));
        };
        Ok(Conv2d {
            in_shape,
            c_out,
            kernel,
            stride,
            padding,
            dilation,
            bias,
            out_hw: (ho, wo),
        })
    }

    /// Rows of the column matrix: `C·kh·kw`.
    fn k_len(&self) -> usize {
        self.in_shape[0] * self.kernel.0 * self.kernel.1
    }

    /// The outputs `ox_lo..ox_hi` of a row whose kernel tap `v` lands inside the input, and the
    /// input column of `ox_lo` (the others follow `stride` apart).
    #[inline]
    fn cols_inside(&self, v: usize) -> (usize, usize, usize) {
        let (s, p, w) = (self.stride.1, self.padding.1, self.in_shape[2]);
        let off = v * self.dilation.1;
        let wo = self.out_hw.1;
        // First ox with ox·s + off ≥ p, and one past the last with ox·s + off − p < w.
        let lo = p.saturating_sub(off).div_ceil(s).min(wo);
        let hi = if w + p > off {
            ((w + p - off - 1) / s + 1).min(wo)
        } else {
            0
        };
        let hi = hi.max(lo);
        (lo, hi, (lo * s + off).saturating_sub(p))
    }

    /// The input row read by output row `oy` at kernel tap `u`, if inside.
    #[inline]
    fn row_inside(&self, oy: usize, u: usize) -> Option<usize> {
        let y = (oy * self.stride.0 + u * self.dilation.0).checked_sub(self.padding.0)?;
        (y < self.in_shape[1]).then_some(y)
    }

    /// `cols (C·kh·kw, H'·W')` of one sample `x (C, H, W)`: for each tap, each output row is
    /// zeros where the window hangs over the edge and a (strided) run of one input row between.
    fn im2col<T: Real>(&self, x: &[T], cols: &mut [T]) {
        let [c_in, h, w] = self.in_shape;
        let (kh, kw) = self.kernel;
        let (ho, wo) = self.out_hw;
        let s = self.stride.1;
        let zero = T::c(0.0);
        let mut rows = cols.chunks_exact_mut(ho * wo);
        for c in 0..c_in {
            let plane = &x[c * h * w..(c + 1) * h * w];
            for u in 0..kh {
                for v in 0..kw {
                    let row = rows.next().expect("k_len rows");
                    let (lo, hi, x0) = self.cols_inside(v);
                    for (oy, out) in row.chunks_exact_mut(wo).enumerate() {
                        let Some(y) = self.row_inside(oy, u) else {
                            out.fill(zero);
                            continue;
                        };
                        out[..lo].fill(zero);
                        out[hi..].fill(zero);
                        let src = &plane[y * w + x0..];
                        if s == 1 {
                            out[lo..hi].copy_from_slice(&src[..hi - lo]);
                        } else {
                            for (o, &v) in out[lo..hi].iter_mut().zip(src.iter().step_by(s)) {
                                *o = v;
                            }
                        }
                    }
                }
            }
        }
    }

    /// `dx (C, H, W) += col2im(dcols)`, the adjoint of [`Conv2d::im2col`].
    fn col2im_add<T: Real>(&self, dcols: &[T], dx: &mut [T]) {
        let [c_in, h, w] = self.in_shape;
        let (kh, kw) = self.kernel;
        let (ho, wo) = self.out_hw;
        let s = self.stride.1;
        let mut rows = dcols.chunks_exact(ho * wo);
        for c in 0..c_in {
            let plane = &mut dx[c * h * w..(c + 1) * h * w];
            for u in 0..kh {
                for v in 0..kw {
                    let row = rows.next().expect("k_len rows");
                    let (lo, hi, x0) = self.cols_inside(v);
                    for (oy, g) in row.chunks_exact(wo).enumerate() {
                        let Some(y) = self.row_inside(oy, u) else {
                            continue;
                        };
                        let dst = &mut plane[y * w + x0..];
                        if s == 1 {
                            for (d, &gv) in dst[..hi - lo].iter_mut().zip(&g[lo..hi]) {
                                *d += gv;
                            }
                        } else {
                            for (d, &gv) in dst.iter_mut().step_by(s).zip(&g[lo..hi]) {
                                *d += gv;
                            }
                        }
                    }
                }
            }
        }
    }
}

impl<T: Real> Layer<T> for Conv2d {
    fn kind(&self) -> &'static str {
        "conv2d"
    }
    fn in_shape(&self) -> Shape {
        self.in_shape
    }
    fn out_shape(&self) -> Shape {
        [self.c_out, self.out_hw.0, self.out_hw.1]
    }
    // Without the list (which allocates): the recurrent layers call this at every step.
    fn n_params(&self) -> usize {
        self.c_out * self.k_len() + if self.bias { self.c_out } else { 0 }
    }
    fn params(&self) -> Vec<(&'static str, usize)> {
        let mut p = vec![("weight", self.c_out * self.k_len())];
        if self.bias {
            p.push(("bias", self.c_out));
        }
        p
    }
    fn init_params(&self, rng: &mut Rng) -> Vec<f64> {
        let k = self.k_len();
        torch_default(
            self.c_out * k,
            if self.bias { self.c_out } else { 0 },
            k,
            rng,
        )
    }

    fn forward(&self, params: &[T], x: &[T], y: &mut [T], scratch: &mut Vec<T>, ctx: LayerCtx) {
        let (in_len, k, co) = (numel(self.in_shape), self.k_len(), self.c_out);
        let hw = self.out_hw.0 * self.out_hw.1;
        let n_params = <Self as Layer<T>>::n_params(self);
        check_lengths(
            "conv2d",
            (in_len, co * hw, n_params),
            x,
            y,
            params,
            ctx.batch,
        );
        let (w, b) = params.split_at(co * k);
        let len = Weighted::<T>::work_len(self, ctx, false);
        grow(scratch, len);
        self.forward_wb(w, b, x, y, &mut scratch[..len], ctx);
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
        let (in_len, k, co) = (numel(self.in_shape), self.k_len(), self.c_out);
        let hw = self.out_hw.0 * self.out_hw.1;
        let n_params = <Self as Layer<T>>::n_params(self);
        check_lengths(
            "conv2d",
            (in_len, co * hw, n_params),
            x,
            y,
            params,
            ctx.batch,
        );
        assert!(dy.len() == y.len(), "conv2d: dy");
        let len = Weighted::<T>::work_len(self, ctx, true);
        grow(scratch, len);
        self.backward_wb(
            &params[..co * k],
            x,
            dy,
            dx,
            d_params,
            &mut scratch[..len],
            ctx,
        );
    }
}

impl<T: Real> Weighted<T> for Conv2d {
    fn weight_rows(&self) -> (usize, usize) {
        (self.c_out, self.k_len())
    }
    fn has_bias(&self) -> bool {
        self.bias
    }
    fn work_len(&self, ctx: LayerCtx, backward: bool) -> usize {
        let (k, hw) = (self.k_len(), self.out_hw.0 * self.out_hw.1);
        let per_sample = if backward { 2 * k * hw } else { k * hw };
        let parts = self.n_parts(ctx);
        if parts <= 1 {
            per_sample
        } else if backward {
            // Each part also sums its own ∂W, ∂b.
            parts * (per_sample + <Self as Layer<T>>::n_params(self))
        } else {
            parts * per_sample
        }
    }

    fn forward_wb(&self, w: &[T], b: &[T], x: &[T], y: &mut [T], work: &mut [T], ctx: LayerCtx) {
        let (in_len, k, co) = (numel(self.in_shape), self.k_len(), self.c_out);
        let hw = self.out_hw.0 * self.out_hw.1;
        let n_parts = self.n_parts(ctx);
        if n_parts <= 1 {
            // One part, without allocating its boundaries (a recurrent network's every step).
            self.forward_part(w, b, x, y, &mut work[..k * hw], ctx.threads.max(1));
            return;
        }
        // Parts of consecutive samples on their own threads, each with its own columns; every
        // sample's output is computed exactly as on one thread.
        let cuts = crate::time_loop::cuts(ctx.batch, n_parts);
        let xs = parts_of(x, &cuts, in_len);
        let ys = parts_of_mut(y, &cuts, co * hw);
        work[..n_parts * k * hw]
            .par_chunks_exact_mut(k * hw)
            .zip(xs)
            .zip(ys)
            .for_each(|((cols, xp), yp)| {
                let _ftz = crate::kernels::FlushDenormals::new();
                self.forward_part(w, b, xp, yp, cols, 1);
            });
    }

    fn backward_wb(
        &self,
        w: &[T],
        x: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        grads: &mut [T],
        work: &mut [T],
        ctx: LayerCtx,
    ) {
        let (in_len, k, co) = (numel(self.in_shape), self.k_len(), self.c_out);
        let hw = self.out_hw.0 * self.out_hw.1;
        let n_params = <Self as Layer<T>>::n_params(self);
        assert!(
            grads.len() == n_params && w.len() == co * k,
            "conv2d: d_params or weight"
        );
        if let Some(dx) = dx.as_deref() {
            assert_eq!(dx.len(), x.len(), "conv2d: dx");
        }
        let n_parts = self.n_parts(ctx);
        if n_parts <= 1 {
            let (cols, dcols) = work[..2 * k * hw].split_at_mut(k * hw);
            self.backward_part(w, x, dy, dx, grads, cols, dcols, ctx.threads.max(1));
            return;
        }
        // Per part: its columns, their gradient and its own ∂W, ∂b, which are then added in part
        // order: the same bits for the same thread count.
        let cuts = crate::time_loop::cuts(ctx.batch, n_parts);
        let per = 2 * k * hw + n_params;
        let dxs: Vec<Option<&mut [T]>> = match dx {
            Some(d) => parts_of_mut(d, &cuts, in_len)
                .into_iter()
                .map(Some)
                .collect(),
            None => (0..n_parts).map(|_| None).collect(),
        };
        work[..n_parts * per]
            .par_chunks_exact_mut(per)
            .zip(parts_of(x, &cuts, in_len))
            .zip(parts_of(dy, &cuts, co * hw))
            .zip(dxs)
            .for_each(|(((part, xp), dyp), dxp)| {
                let _ftz = crate::kernels::FlushDenormals::new();
                let (cols, rest) = part.split_at_mut(k * hw);
                let (dcols, g) = rest.split_at_mut(k * hw);
                self.backward_part(w, xp, dyp, dxp, g, cols, dcols, 1);
            });
        let mut partials = work[..n_parts * per]
            .chunks_exact(per)
            .map(|part| &part[2 * k * hw..]);
        grads.copy_from_slice(partials.next().expect("two parts or more"));
        for partial in partials {
            for (t, &v) in grads.iter_mut().zip(partial) {
                *t += v;
            }
        }
    }
}

impl Conv2d {
    /// The forward pass of consecutive samples `x` into `y`, with `cols` for one sample.
    fn forward_part<T: Real>(
        &self,
        w: &[T],
        b: &[T],
        x: &[T],
        y: &mut [T],
        cols: &mut [T],
        threads: usize,
    ) {
        let (in_len, k, co) = (numel(self.in_shape), self.k_len(), self.c_out);
        let hw = self.out_hw.0 * self.out_hw.1;
        for (xn, yn) in x.chunks_exact(in_len).zip(y.chunks_exact_mut(co * hw)) {
            self.im2col(xn, cols);
            if self.bias {
                for (row, &bo) in yn.chunks_exact_mut(hw).zip(b) {
                    row.iter_mut().for_each(|v| *v = bo);
                }
            }
            gemm(
                yn,
                co,
                hw,
                m(w, co, k),
                Trans::N,
                m(cols, k, hw),
                Trans::N,
                self.bias,
                threads,
            );
        }
    }

    /// The backward pass of consecutive samples: `grads` (∂W then ∂b) and `dx` overwritten.
    #[allow(clippy::too_many_arguments)]
    fn backward_part<T: Real>(
        &self,
        w: &[T],
        x: &[T],
        dy: &[T],
        mut dx: Option<&mut [T]>,
        grads: &mut [T],
        cols: &mut [T],
        dcols: &mut [T],
        threads: usize,
    ) {
        let (in_len, k, co) = (numel(self.in_shape), self.k_len(), self.c_out);
        let hw = self.out_hw.0 * self.out_hw.1;
        let (dw, db) = grads.split_at_mut(co * k);
        dw.iter_mut()
            .chain(db.iter_mut())
            .for_each(|v| *v = T::c(0.0));
        if let Some(dx) = dx.as_deref_mut() {
            dx.iter_mut().for_each(|v| *v = T::c(0.0));
        }
        for (n, (xn, dyn_)) in x
            .chunks_exact(in_len)
            .zip(dy.chunks_exact(co * hw))
            .enumerate()
        {
            self.im2col(xn, cols);
            gemm(
                dw,
                co,
                k,
                m(dyn_, co, hw),
                Trans::N,
                m(cols, k, hw),
                Trans::T,
                true,
                threads,
            );
            if self.bias {
                for (d, row) in db.iter_mut().zip(dyn_.chunks_exact(hw)) {
                    *d += row.iter().fold(T::c(0.0), |s, &v| s + v);
                }
            }
            if let Some(dx) = dx.as_deref_mut() {
                gemm(
                    dcols,
                    k,
                    hw,
                    m(w, co, k),
                    Trans::T,
                    m(dyn_, co, hw),
                    Trans::N,
                    false,
                    threads,
                );
                self.col2im_add(dcols, &mut dx[n * in_len..(n + 1) * in_len]);
            }
        }
    }
}

/// Multiply-adds a part of the batch must hold before it gets a thread of its own: below this,
/// waking a second thread costs more than it saves (seed 000's first convolution, 42k per
/// sample, ran slower on two threads than on one at batches of 16 to 128 on a 2-vCPU host).
const MIN_PART_MACS: usize = 1 << 22;

impl Conv2d {
    /// Parts the batch is cut into for `ctx.threads` threads: consecutive samples, as even as
    /// can be, at most one part per sample and none smaller than [`MIN_PART_MACS`] (one part if
    /// the whole batch is, or on one thread).
    fn n_parts(&self, ctx: LayerCtx) -> usize {
        if ctx.threads <= 1 {
            return 1;
        }
        let macs = self.c_out * self.k_len() * self.out_hw.0 * self.out_hw.1;
        let by_work = (ctx.batch * macs / MIN_PART_MACS).max(1);
        ctx.threads.min(by_work).clamp(1, ctx.batch.max(1))
    }
}

/// Each part's samples of `buf` (`width` values per sample).
fn parts_of<'a, T>(buf: &'a [T], cuts: &[usize], width: usize) -> Vec<&'a [T]> {
    cuts.windows(2)
        .map(|c| &buf[c[0] * width..c[1] * width])
        .collect()
}

/// As [`parts_of`], each part a unique borrow.
fn parts_of_mut<'a, T>(mut buf: &'a mut [T], cuts: &[usize], width: usize) -> Vec<&'a mut [T]> {
    cuts.windows(2)
        .map(|c| {
            let (part, rest) = std::mem::take(&mut buf).split_at_mut((c[1] - c[0]) * width);
            buf = rest;
            part
        })
        .collect()
}
