//! 2-D convolution (cross-correlation, as `nn.Conv2d`): stride, zero padding, dilation, one
//! group, lowered onto the engine's GEMM by im2col, a chunk of samples at a time.
//!
//! ```text
//! y[o, i, j] = b[o] + Σ_{c,u,v} W[o, c, u, v] · x[c, i·s − p + u·d, j·s − p + v·d]
//! H' = ⌊(H + 2p − d(k − 1) − 1) / s⌋ + 1
//!
//! per chunk of S samples (S·H'·W' ≤ 256 columns, at least one sample):
//!   cols (C·kh·kw, S·H'·W')  ← im2col of each sample, side by side   (conv2d/lower.rs)
//!   Y (C', S·H'·W')          = W (C', C·kh·kw) · cols + b            → each sample's y
//!   ∂Wᵀ += cols · ∂Yᵀ,  ∂b += Σ ∂Y,  dcols = Wᵀ · ∂Y  → col2im into each sample's ∂x
//! ```
//!
//! Several samples per product keep the kernel's 16-wide column tiles full on small maps (a
//! 7×7 map is 49 columns: three full tiles and one of a single column) and make the weight
//! gradient one product per chunk. Every product has its right operand as stored, so all of
//! them take the engine's kernel in f32 (`∂W = ∂Y · colsᵀ` would not: it is computed as its
//! transpose and transposed once at the end). Each output and each `∂x` is the same sum, in
//! the same order, whatever the chunk or the thread count; `∂W` sums over the samples in order
//! within a part of the batch, and over parts in order.
//!
//! The backward pass rebuilds each chunk's columns instead of keeping them from the forward
//! pass: one copy of the input instead of `kh·kw` copies held for the whole batch.

use super::{check_lengths, grow, numel, torch_default, Layer, LayerCtx, Shape, Weighted};
use crate::error::NnError;
use crate::kernels::strided::{gemm_s, sv, Sv};
use crate::kernels::transpose_strided;
use crate::linalg::{transpose_into, Trans};
use crate::real::Real;
use neurodyn_core::Rng;
use rayon::prelude::*;

mod lower;
mod winograd;

pub use winograd::WinogradTile;

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
    /// The Winograd tile the passes compute with, or `None`: im2col.
    winograd: Option<WinogradTile>,
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
            winograd: None,
        })
    }

    /// Compute by Winograd's F(m×m, 3×3) (`conv2d/winograd.rs`), the tile chosen for the output
    /// map ([`WinogradTile::for_map`]), when `on` and the shape is one it applies to
    /// ([`Conv2d::winograd_fits`]); by im2col otherwise. The same function, summed in another
    /// order: f32 results differ in the last places.
    pub fn with_winograd(self, on: bool) -> Self {
        let tile = WinogradTile::for_map(self.out_hw.0, self.out_hw.1);
        self.with_winograd_tile(on.then_some(tile))
    }

    /// Compute by Winograd's F(m×m, 3×3) with `tile` (where the shape fits), or by im2col
    /// (`None`).
    pub fn with_winograd_tile(mut self, tile: Option<WinogradTile>) -> Self {
        self.winograd = tile.filter(|_| self.winograd_fits());
        self
    }

    /// Whether this convolution computes by Winograd's F(m×m, 3×3).
    pub fn uses_winograd(&self) -> bool {
        self.winograd.is_some()
    }

    /// The Winograd tile this convolution computes with (`None`: im2col).
    pub fn winograd_tile(&self) -> Option<WinogradTile> {
        self.winograd
    }

    /// Rows of the column matrix: `C·kh·kw`.
    fn k_len(&self) -> usize {
        self.in_shape[0] * self.kernel.0 * self.kernel.1
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
        self.forward_with(params, None, x, y, scratch, ctx);
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
        self.backward_with(params, None, x, y, dy, dx, d_params, None, scratch, ctx);
    }
}

impl Conv2d {
    /// Values [`Conv2d::prepare`] writes: Winograd's transformed weights `Uᵀ` and `U`
    /// (`2·n²·C·C'`), or im2col's `Wᵀ` (`C·kh·kw·C'`).
    pub fn prepared_len(&self) -> usize {
        match self.winograd {
            Some(t) => 2 * t.n().pow(2) * self.in_shape[0] * self.c_out,
            None => self.k_len() * self.c_out,
        }
    }

    /// What a pass computes from the weights alone, once for many passes with the same
    /// `params` (a recurrent network's every step would otherwise compute it again):
    /// Winograd's transformed weights, or im2col's transposed weight for `∂x`. For
    /// [`Conv2d::forward_prepared`] and [`Conv2d::backward_prepared`]; the results are the same
    /// bits as [`Layer::forward`]'s and [`Layer::backward`]'s.
    pub fn prepare<T: Real>(&self, params: &[T], pre: &mut Vec<T>, scratch: &mut Vec<T>) {
        assert_eq!(
            params.len(),
            <Self as Layer<T>>::n_params(self),
            "conv2d prepare: params"
        );
        pre.clear();
        pre.resize(self.prepared_len(), T::c(0.0));
        let w = &params[..self.c_out * self.k_len()];
        if self.winograd.is_some() {
            grow(scratch, self.wg_weight_scratch());
            self.wg_prepare(w, pre, scratch);
        } else {
            transpose_into(w, self.c_out, self.k_len(), pre);
        }
    }

    /// Values of a weight-gradient accumulator for [`Conv2d::backward_prepared`]: the weight
    /// gradient in the pass's own layout, Winograd's `∂Uᵀ` (`n²·C·C'`) or im2col's `∂Wᵀ`
    /// (`C·kh·kw·C'`).
    pub fn grad_acc_len(&self) -> usize {
        match self.winograd {
            Some(t) => t.n().pow(2) * self.in_shape[0] * self.c_out,
            None => self.k_len() * self.c_out,
        }
    }

    /// The weight gradient `∂W (C', C, kh, kw)` of what [`Conv2d::backward_prepared`] added into
    /// `acc`, written into `dw` (Winograd: `Gᵀ ∂U G`; im2col: a transpose).
    pub fn acc_grad<T: Real>(&self, acc: &[T], dw: &mut [T], scratch: &mut Vec<T>) {
        assert!(
            acc.len() == self.grad_acc_len() && dw.len() == self.c_out * self.k_len(),
            "conv2d acc_grad: acc {} (want {}), dw {}",
            acc.len(),
            self.grad_acc_len(),
            dw.len()
        );
        if self.winograd.is_some() {
            let len = self.wg_weight_scratch();
            grow(scratch, len);
            self.wg_weights_adjoint(acc, dw, &mut scratch[..len]);
        } else {
            transpose_into(acc, self.k_len(), self.c_out, dw);
        }
    }

    /// [`Layer::forward`] with the weights' transforms from [`Conv2d::prepare`] of `params`.
    pub fn forward_prepared<T: Real>(
        &self,
        params: &[T],
        pre: &[T],
        x: &[T],
        y: &mut [T],
        scratch: &mut Vec<T>,
        ctx: LayerCtx,
    ) {
        self.forward_with(params, Some(pre), x, y, scratch, ctx);
    }

    /// [`Layer::backward`] with the weights' transforms from [`Conv2d::prepare`] of `params`.
    /// With `acc` ([`Conv2d::grad_acc_len`] values) the weight gradient is added into it, in
    /// the pass's own layout, and the weight part of `d_params` is written zero (`∂b` as
    /// always): the steps of a recurrent pass add there, and [`Conv2d::acc_grad`] maps the sum
    /// to `∂W` once, instead of every step.
    #[allow(clippy::too_many_arguments)]
    pub fn backward_prepared<T: Real>(
        &self,
        params: &[T],
        pre: &[T],
        x: &[T],
        y: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        d_params: &mut [T],
        acc: Option<&mut [T]>,
        scratch: &mut Vec<T>,
        ctx: LayerCtx,
    ) {
        if let Some(a) = acc.as_deref() {
            assert_eq!(a.len(), self.grad_acc_len(), "conv2d: gradient accumulator");
        }
        self.backward_with(params, Some(pre), x, y, dy, dx, d_params, acc, scratch, ctx);
    }

    fn check_prepared<T>(&self, pre: Option<&[T]>) {
        if let Some(p) = pre {
            assert_eq!(p.len(), self.prepared_len(), "conv2d: prepared weights");
        }
    }

    fn forward_with<T: Real>(
        &self,
        params: &[T],
        pre: Option<&[T]>,
        x: &[T],
        y: &mut [T],
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
        self.check_prepared(pre);
        let (w, b) = params.split_at(co * k);
        let len = Weighted::<T>::work_len(self, ctx, false);
        grow(scratch, len);
        self.forward_wb_with(w, b, pre, x, y, &mut scratch[..len], ctx);
    }

    #[allow(clippy::too_many_arguments)]
    fn backward_with<T: Real>(
        &self,
        params: &[T],
        pre: Option<&[T]>,
        x: &[T],
        y: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        d_params: &mut [T],
        acc: Option<&mut [T]>,
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
        self.check_prepared(pre);
        let len = Weighted::<T>::work_len(self, ctx, true);
        grow(scratch, len);
        self.backward_wb_with(
            &params[..co * k],
            pre,
            x,
            dy,
            dx,
            d_params,
            acc,
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
        let parts = self.n_parts(ctx);
        // A part holds at most all the batch, so its chunks are at most `chunk(batch)` wide.
        let per_part = self.part_len(self.chunk(ctx.batch), backward);
        if parts <= 1 {
            per_part
        } else if backward {
            // Each part also sums its own ∂W, ∂b and, for an accumulated pass, its own
            // accumulator.
            parts * (per_part + <Self as Layer<T>>::n_params(self) + self.grad_acc_len())
        } else {
            parts * per_part
        }
    }

    fn forward_wb(&self, w: &[T], b: &[T], x: &[T], y: &mut [T], work: &mut [T], ctx: LayerCtx) {
        self.forward_wb_with(w, b, None, x, y, work, ctx);
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
        self.backward_wb_with(w, None, x, dy, dx, grads, None, work, ctx);
    }
}

impl Conv2d {
    /// [`Weighted::forward_wb`], with the weights' transforms when prepared.
    #[allow(clippy::too_many_arguments)]
    fn forward_wb_with<T: Real>(
        &self,
        w: &[T],
        b: &[T],
        pre: Option<&[T]>,
        x: &[T],
        y: &mut [T],
        work: &mut [T],
        ctx: LayerCtx,
    ) {
        let (in_len, co) = (numel(self.in_shape), self.c_out);
        let hw = self.out_hw.0 * self.out_hw.1;
        let n_parts = self.n_parts(ctx);
        let per = self.part_len(self.chunk(ctx.batch), false);
        if n_parts <= 1 {
            // One part, without allocating its boundaries (a recurrent network's every step).
            self.forward_part(w, b, pre, x, y, &mut work[..per], ctx.threads.max(1));
            return;
        }
        // Parts of consecutive samples on their own threads, each with its own columns; every
        // sample's output is computed exactly as on one thread.
        let cuts = crate::time_loop::cuts(ctx.batch, n_parts);
        let xs = parts_of(x, &cuts, in_len);
        let ys = parts_of_mut(y, &cuts, co * hw);
        work[..n_parts * per]
            .par_chunks_exact_mut(per)
            .zip(xs)
            .zip(ys)
            .for_each(|((part, xp), yp)| {
                let _ftz = crate::kernels::FlushDenormals::new();
                self.forward_part(w, b, pre, xp, yp, part, 1);
            });
    }

    /// [`Weighted::backward_wb`], with the weights' transforms when prepared.
    #[allow(clippy::too_many_arguments)]
    fn backward_wb_with<T: Real>(
        &self,
        w: &[T],
        pre: Option<&[T]>,
        x: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        grads: &mut [T],
        acc: Option<&mut [T]>,
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
        let part_len = self.part_len(self.chunk(ctx.batch), true);
        if n_parts <= 1 {
            let work = &mut work[..part_len];
            self.backward_part(w, pre, x, dy, dx, grads, acc, work, ctx.threads.max(1));
            return;
        }
        // Per part: its working space and its own ∂W, ∂b (and accumulator), which are then
        // added in part order: the same bits for the same thread count.
        let cuts = crate::time_loop::cuts(ctx.batch, n_parts);
        let acc_len = if acc.is_some() {
            self.grad_acc_len()
        } else {
            0
        };
        let per = part_len + n_params + acc_len;
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
                let (space, rest) = part.split_at_mut(part_len);
                let (g, a) = rest.split_at_mut(n_params);
                let a = (acc_len > 0).then(|| {
                    a.fill(T::c(0.0));
                    a
                });
                self.backward_part(w, pre, xp, dyp, dxp, g, a, space, 1);
            });
        let mut partials = work[..n_parts * per]
            .chunks_exact(per)
            .map(|part| &part[part_len..part_len + n_params]);
        grads.copy_from_slice(partials.next().expect("two parts or more"));
        for partial in partials {
            for (t, &v) in grads.iter_mut().zip(partial) {
                *t += v;
            }
        }
        if let Some(acc) = acc {
            for part in work[..n_parts * per].chunks_exact(per) {
                for (t, &v) in acc.iter_mut().zip(&part[part_len + n_params..]) {
                    *t += v;
                }
            }
        }
    }
}

/// Columns of the lowered matrix the products aim for: enough samples side by side that the
/// kernel's 16-wide column tiles are nearly all full for small maps (7×7: 49 columns a sample,
/// 3 full tiles and one of a single column; 5 samples, 245 columns, 15 and one of 5), few
/// enough that a chunk's columns stay in L2 (256 and 512 measured the same at the conv-ctrnn's
/// shapes).
const CHUNK_COLS: usize = 256;

impl Conv2d {
    /// Samples per chunk for a part of `batch` samples: as many as fit in [`CHUNK_COLS`]
    /// columns, at least one.
    fn chunk(&self, batch: usize) -> usize {
        if self.winograd.is_some() {
            return self.wg_chunk(batch);
        }
        let hw = self.out_hw.0 * self.out_hw.1;
        (CHUNK_COLS / hw.max(1)).clamp(1, batch.max(1))
    }

    /// Working space of one part whose chunks hold up to `s` samples:
    /// forward `xp`, `cols (K, s·H'W')` and, for `s > 1`, the chunk's outputs `(C', s·H'W')`;
    /// backward `xp`, `cols`, `dcols` (both `(K, s·H'W')`), `∂Y` as `(s·H'W', C')` and as
    /// `(C', s·H'W')`, `Wᵀ` and `∂Wᵀ` (both `(K, C')`) and a padded `∂x`.
    fn part_len(&self, s: usize, backward: bool) -> usize {
        if self.winograd.is_some() {
            return self.wg_part_len(s, backward);
        }
        let (k, co) = (self.k_len(), self.c_out);
        let cols = k * s * self.out_hw.0 * self.out_hw.1;
        let outs = co * s * self.out_hw.0 * self.out_hw.1;
        if backward {
            2 * self.padded_len() + 2 * cols + 2 * outs + 2 * k * co
        } else {
            self.padded_len() + cols + if s > 1 { outs } else { 0 }
        }
    }

    /// The forward pass of consecutive samples `x` into `y`, chunk by chunk: each chunk's
    /// columns side by side, one product `W · cols` (from the bias, or zero), then each
    /// sample's block of it into `y`. Every output is `b + Σ_k W·cols` summed over k in order,
    /// as one sample alone would give.
    #[allow(clippy::too_many_arguments)]
    fn forward_part<T: Real>(
        &self,
        w: &[T],
        b: &[T],
        pre: Option<&[T]>,
        x: &[T],
        y: &mut [T],
        work: &mut [T],
        threads: usize,
    ) {
        if self.winograd.is_some() {
            return self.wg_forward_part(w, b, pre, x, y, work, threads);
        }
        let (in_len, k, co) = (numel(self.in_shape), self.k_len(), self.c_out);
        let hw = self.out_hw.0 * self.out_hw.1;
        let batch = x.len() / in_len;
        let s_max = self.chunk(batch);
        let (xp, rest) = work.split_at_mut(self.padded_len());
        let (cols, outs) = rest.split_at_mut(k * s_max * hw);
        xp.fill(T::c(0.0));
        for n0 in (0..batch).step_by(s_max) {
            let s = s_max.min(batch - n0);
            let ld = s * hw;
            let cols = &mut cols[..k * ld];
            for i in 0..s {
                let xn = &x[(n0 + i) * in_len..(n0 + i + 1) * in_len];
                if self.pads() {
                    self.pad_into(xn, xp);
                    self.im2col(xp, cols, ld, i * hw);
                } else {
                    self.im2col(xn, cols, ld, i * hw);
                }
            }
            let out = if s == 1 {
                &mut y[n0 * co * hw..(n0 + 1) * co * hw]
            } else {
                &mut outs[..co * ld]
            };
            if self.bias {
                for (row, &bo) in out.chunks_exact_mut(ld).zip(b) {
                    row.fill(bo);
                }
            }
            gemm_cols(
                out,
                co,
                ld,
                sv(w, co, k, k),
                Trans::N,
                cols,
                k,
                self.bias,
                threads,
            );
            if s > 1 {
                for (i, yn) in y[n0 * co * hw..(n0 + s) * co * hw]
                    .chunks_exact_mut(co * hw)
                    .enumerate()
                {
                    for (o, row) in yn.chunks_exact_mut(hw).enumerate() {
                        row.copy_from_slice(&outs[o * ld + i * hw..o * ld + (i + 1) * hw]);
                    }
                }
            }
        }
    }

    /// The backward pass of consecutive samples: `grads` (∂W then ∂b) and `dx` overwritten.
    /// Per chunk: its columns, `∂Wᵀ += cols · ∂Yᵀ` (one sum over the chunk's samples and
    /// positions), and `dcols = Wᵀ · ∂Y`, added back into each sample's padded `∂x`.
    #[allow(clippy::too_many_arguments)]
    fn backward_part<T: Real>(
        &self,
        w: &[T],
        pre: Option<&[T]>,
        x: &[T],
        dy: &[T],
        mut dx: Option<&mut [T]>,
        grads: &mut [T],
        acc: Option<&mut [T]>,
        work: &mut [T],
        threads: usize,
    ) {
        if self.winograd.is_some() {
            return self.wg_backward_part(w, pre, x, dy, dx, grads, acc, work, threads);
        }
        let (in_len, k, co) = (numel(self.in_shape), self.k_len(), self.c_out);
        let hw = self.out_hw.0 * self.out_hw.1;
        let batch = x.len() / in_len;
        let s_max = self.chunk(batch);
        let (pl, cl, ol) = (self.padded_len(), k * s_max * hw, co * s_max * hw);
        let (xp, rest) = work.split_at_mut(pl);
        let (dxp, rest) = rest.split_at_mut(pl);
        let (cols, rest) = rest.split_at_mut(cl);
        let (dcols, rest) = rest.split_at_mut(cl);
        let (dy_t, rest) = rest.split_at_mut(ol);
        let (dy_c, rest) = rest.split_at_mut(ol);
        let (w_t, rest) = rest.split_at_mut(k * co);
        let zero = T::c(0.0);
        xp.fill(zero);
        let (dw, db) = grads.split_at_mut(co * k);
        db.fill(zero);
        // ∂Wᵀ: summed here from zero, or added into the caller's accumulator.
        let here = acc.is_none();
        let dw_t: &mut [T] = match acc {
            Some(a) => a,
            None => {
                let d = &mut rest[..k * co];
                d.fill(zero);
                d
            }
        };
        // Wᵀ: prepared, or transposed here when ∂x is asked for.
        let w_t: &[T] = match pre {
            Some(p) => p,
            None => {
                if dx.is_some() {
                    transpose_into(w, co, k, w_t);
                }
                w_t
            }
        };
        for n0 in (0..batch).step_by(s_max) {
            let s = s_max.min(batch - n0);
            let ld = s * hw;
            let cols = &mut cols[..k * ld];
            let dy_n = &dy[n0 * co * hw..(n0 + s) * co * hw];
            for i in 0..s {
                let xn = &x[(n0 + i) * in_len..(n0 + i + 1) * in_len];
                if self.pads() {
                    self.pad_into(xn, xp);
                    self.im2col(xp, cols, ld, i * hw);
                } else {
                    self.im2col(xn, cols, ld, i * hw);
                }
            }
            // ∂Y as (positions of the chunk, C'): the right operand of ∂Wᵀ, used as stored.
            let dy_t = &mut dy_t[..ld * co];
            for (dyi, dst) in dy_n
                .chunks_exact(co * hw)
                .zip(dy_t.chunks_exact_mut(hw * co))
            {
                transpose_strided(dyi, hw, dst, co, co, hw);
            }
            gemm_cols(
                dw_t,
                k,
                co,
                sv(cols, k, ld, ld),
                Trans::N,
                dy_t,
                ld,
                true,
                threads,
            );
            if self.bias {
                add_bias_grad(db, dy_n, hw);
            }
            let Some(dx) = dx.as_deref_mut() else {
                continue;
            };
            // ∂Y as (C', positions of the chunk), the samples side by side.
            let dy_c = if s == 1 {
                dy_n
            } else {
                for (i, dyi) in dy_n.chunks_exact(co * hw).enumerate() {
                    for (o, row) in dyi.chunks_exact(hw).enumerate() {
                        dy_c[o * ld + i * hw..o * ld + (i + 1) * hw].copy_from_slice(row);
                    }
                }
                &dy_c[..co * ld]
            };
            let dcols = &mut dcols[..k * ld];
            gemm_cols(
                dcols,
                k,
                ld,
                sv(w_t, k, co, co),
                Trans::N,
                dy_c,
                co,
                false,
                threads,
            );
            for i in 0..s {
                let dxn = &mut dx[(n0 + i) * in_len..(n0 + i + 1) * in_len];
                if self.pads() {
                    dxp.fill(zero);
                    self.col2im_add(dcols, ld, i * hw, dxp);
                    self.unpad_into(dxp, dxn);
                } else {
                    dxn.fill(zero);
                    self.col2im_add(dcols, ld, i * hw, dxn);
                }
            }
        }
        if here {
            transpose_into(dw_t, k, co, dw);
        } else {
            dw.fill(zero);
        }
    }
}

/// `∂b += Σ ∂Y` over each channel's map (`hw` values) of every sample of `dy`, channel by
/// channel in sample order.
fn add_bias_grad<T: Real>(db: &mut [T], dy: &[T], hw: usize) {
    for dyi in dy.chunks_exact(db.len() * hw) {
        for (d, row) in db.iter_mut().zip(dyi.chunks_exact(hw)) {
            *d += lane_sum(row);
        }
    }
}

/// The sum of `v` in eight interleaved partial sums (element `j` into sum `j mod 8`) added in
/// order at the end: a fixed order, so the same bits on every run, and eight independent
/// additions per step instead of one chain (a bias gradient sums whole feature maps).
fn lane_sum<T: Real>(v: &[T]) -> T {
    let zero = T::c(0.0);
    let mut acc = [zero; 8];
    let (blocks, rest) = v.as_chunks::<8>();
    for b in blocks {
        for (a, &x) in acc.iter_mut().zip(b) {
            *a += x;
        }
    }
    for (a, &x) in acc.iter_mut().zip(rest) {
        *a += x;
    }
    acc.iter().fold(zero, |s, &a| s + a)
}

/// `C (rows × n) = [C +] op(A) · B` with `B (depth × n)` row-major, in blocks of at most 512 of
/// `C`'s columns, the widest the engine's kernel takes (each element is the same sum whatever
/// the blocks).
#[allow(clippy::too_many_arguments)]
fn gemm_cols<T: Real>(
    c: &mut [T],
    rows: usize,
    n: usize,
    a: Sv<'_, T>,
    ta: Trans,
    b: &[T],
    depth: usize,
    accumulate: bool,
    threads: usize,
) {
    const MAX_COLS: usize = 512;
    let mut j0 = 0;
    while j0 < n {
        let nb = (n - j0).min(MAX_COLS);
        gemm_s(
            &mut c[j0..],
            rows,
            nb,
            n,
            a,
            ta,
            sv(&b[j0..], depth, nb, n),
            Trans::N,
            accumulate,
            threads,
        );
        j0 += nb;
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
