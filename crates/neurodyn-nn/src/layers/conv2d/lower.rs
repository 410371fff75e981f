//! The lowering of a [`Conv2d`] onto the GEMM: a chunk of samples' columns side by side, read
//! from a zero-padded copy of each sample, and the adjoint (col2im) into a padded gradient.
//!
//! ```text
//! xp (C, H + 2p₀, W + 2p₁)     ← x with a zero border (once per sample; skipped without padding)
//! cols (C·kh·kw, S·H'·W')      sample s in columns s·H'W' .. (s + 1)·H'W'
//! cols[(c,u,v), s·H'W' + i·W' + j] = xp_s[c, i·s₀ + u·d₀, j·s₁ + v·d₁]
//! ```
//!
//! With the border in the copy, every output row of every tap is one run of the padded input
//! (contiguous at stride 1): no bounds to test per row, no zeros to write between runs. The
//! adjoint adds each run back into a padded gradient in the same order (taps in order, starting
//! from zero), whose interior is then the sample's ∂x.

use super::Conv2d;
use crate::kernels::{vectorized, Pointwise};
use crate::real::Real;

/// One of the lowering's copies, run by [`vectorized`] inside a function compiled for the active
/// path (AVX2 or AVX-512), with everything it calls inlined there. Compiled for the baseline
/// (SSE2), whether the runs' fixed-size copies and additions became vector code depended on how
/// the compiler split the crate into codegen units: an unrelated edit of `conv2d.rs` once turned
/// the 14-wide `col2im` into scalar code, twice as slow (a whole backward pass of rec_0
/// 2.1 → 2.5 ms). The arithmetic is the same element-wise additions in the same order on every
/// path, so the bits do not change.
struct Lowering<'a, T>(&'a Conv2d, Work<'a, T>);

/// The copies of [`Lowering`], with their operands.
enum Work<'a, T> {
    Pad {
        x: &'a [T],
        xp: &'a mut [T],
    },
    Unpad {
        dxp: &'a [T],
        dx: &'a mut [T],
    },
    Im2col {
        src: &'a [T],
        cols: &'a mut [T],
        ld: usize,
        col0: usize,
    },
    Col2im {
        dcols: &'a [T],
        ld: usize,
        col0: usize,
        dst: &'a mut [T],
    },
}

impl<T: Real> Pointwise for Lowering<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let Lowering(conv, work) = self;
        match work {
            Work::Pad { x, xp } => conv.pad_on(x, xp),
            Work::Unpad { dxp, dx } => conv.unpad_on(dxp, dx),
            Work::Im2col {
                src,
                cols,
                ld,
                col0,
            } => conv.im2col_on(src, cols, ld, col0),
            Work::Col2im {
                dcols,
                ld,
                col0,
                dst,
            } => conv.col2im_on(dcols, ld, col0, dst),
        }
    }
}

/// Copy `src` into `dst` (equal lengths) with fixed-size moves instead of a call to `memcpy`,
/// which costs more than the copy for the runs of 7 to 28 values of small feature maps.
#[inline(always)]
fn copy_run<T: Copy>(dst: &mut [T], src: &[T]) {
    let n = dst.len();
    let src = &src[..n];
    if n >= 8 {
        let mut i = 0;
        while i + 8 <= n {
            dst[i..i + 8].copy_from_slice(&src[i..i + 8]);
            i += 8;
        }
        if i < n {
            // The last 8, overlapping what was already copied.
            dst[n - 8..].copy_from_slice(&src[n - 8..]);
        }
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..].copy_from_slice(&src[n - 4..]);
    } else {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = s;
        }
    }
}

impl Conv2d {
    /// Whether the input has a zero border to copy it into.
    pub(super) fn pads(&self) -> bool {
        self.padding != (0, 0)
    }

    /// Height and width of an input plane with its border (as stored without one).
    pub(super) fn padded_hw(&self) -> (usize, usize) {
        (
            self.in_shape[1] + 2 * self.padding.0,
            self.in_shape[2] + 2 * self.padding.1,
        )
    }

    /// Values of one padded sample `(C, H + 2p₀, W + 2p₁)`, 0 without padding.
    pub(super) fn padded_len(&self) -> usize {
        if self.pads() {
            let (hp, wp) = self.padded_hw();
            self.in_shape[0] * hp * wp
        } else {
            0
        }
    }

    /// Write sample `x (C, H, W)` into the interior of `xp`, whose border is already zero.
    pub(super) fn pad_into<T: Real>(&self, x: &[T], xp: &mut [T]) {
        vectorized(Lowering(self, Work::Pad { x, xp }));
    }

    #[inline(always)]
    fn pad_on<T: Real>(&self, x: &[T], xp: &mut [T]) {
        let [_, h, w] = self.in_shape;
        let (hp, wp) = self.padded_hw();
        let (p0, p1) = self.padding;
        for (plane, dst) in x.chunks_exact(h * w).zip(xp.chunks_exact_mut(hp * wp)) {
            for (row, out) in plane
                .chunks_exact(w)
                .zip(dst[p0 * wp..].chunks_exact_mut(wp))
            {
                copy_run(&mut out[p1..p1 + w], row);
            }
        }
    }

    /// The interior of the padded gradient `dxp` into `dx (C, H, W)` (overwritten).
    pub(super) fn unpad_into<T: Real>(&self, dxp: &[T], dx: &mut [T]) {
        vectorized(Lowering(self, Work::Unpad { dxp, dx }));
    }

    #[inline(always)]
    fn unpad_on<T: Real>(&self, dxp: &[T], dx: &mut [T]) {
        let [_, h, w] = self.in_shape;
        let (hp, wp) = self.padded_hw();
        let (p0, p1) = self.padding;
        for (plane, src) in dx.chunks_exact_mut(h * w).zip(dxp.chunks_exact(hp * wp)) {
            for (row, inp) in plane
                .chunks_exact_mut(w)
                .zip(src[p0 * wp..].chunks_exact(wp))
            {
                copy_run(row, &inp[p1..p1 + w]);
            }
        }
    }

    /// One sample's columns from its padded planes `src` into `cols` (row stride `ld`), columns
    /// `col0 .. col0 + H'W'` of each of the `C·kh·kw` rows.
    pub(super) fn im2col<T: Real>(&self, src: &[T], cols: &mut [T], ld: usize, col0: usize) {
        vectorized(Lowering(
            self,
            Work::Im2col {
                src,
                cols,
                ld,
                col0,
            },
        ));
    }

    #[inline(always)]
    fn im2col_on<T: Real>(&self, src: &[T], cols: &mut [T], ld: usize, col0: usize) {
        // Runs of common map widths as fixed-size copies: no length to test, no loop per value.
        match (self.stride.1, self.out_hw.1) {
            (1, 7) => self.im2col_w::<T, 7, 1>(src, cols, ld, col0),
            (1, 14) => self.im2col_w::<T, 14, 1>(src, cols, ld, col0),
            (1, 28) => self.im2col_w::<T, 28, 1>(src, cols, ld, col0),
            (2, 7) => self.im2col_w::<T, 7, 2>(src, cols, ld, col0),
            (2, 14) => self.im2col_w::<T, 14, 2>(src, cols, ld, col0),
            _ => self.im2col_any(src, cols, ld, col0),
        }
    }

    /// [`Conv2d::im2col`] at stride `S` along the width for outputs `W` wide.
    #[inline(always)]
    fn im2col_w<T: Real, const W: usize, const S: usize>(
        &self,
        src: &[T],
        cols: &mut [T],
        ld: usize,
        col0: usize,
    ) {
        let (hp, wp) = self.padded_hw();
        let (kh, kw) = self.kernel;
        let (ho, wo) = self.out_hw;
        debug_assert!(wo == W && self.stride.1 == S);
        let step = self.stride.0 * wp;
        let (d0, d1) = self.dilation;
        let mut rows = cols.chunks_mut(ld);
        for plane in src.chunks_exact(hp * wp) {
            for u in 0..kh {
                for v in 0..kw {
                    let row = &mut rows.next().expect("C·kh·kw rows")[col0..col0 + ho * W];
                    let first = u * d0 * wp + v * d1;
                    let (runs, _) = row.as_chunks_mut::<W>();
                    for (oy, out) in runs.iter_mut().enumerate() {
                        let at = first + oy * step;
                        if S == 1 {
                            *out = plane[at..at + W].try_into().expect("W values");
                        } else {
                            // The run into a local array first: shuffles instead of one load
                            // per value.
                            const { assert!((W - 1) * S < 64, "a run longer than its copy") };
                            let mut run = [T::c(0.0); 64];
                            let n = (W - 1) * S + 1;
                            run[..n].copy_from_slice(&plane[at..at + n]);
                            for (t, o) in out.iter_mut().enumerate() {
                                *o = run[t * S];
                            }
                        }
                    }
                }
            }
        }
    }

    /// [`Conv2d::im2col`] for any stride and width.
    #[inline(always)]
    fn im2col_any<T: Real>(&self, src: &[T], cols: &mut [T], ld: usize, col0: usize) {
        let (hp, wp) = self.padded_hw();
        let (kh, kw) = self.kernel;
        let (ho, wo) = self.out_hw;
        let (s0, s1) = self.stride;
        let (d0, d1) = self.dilation;
        let mut rows = cols.chunks_mut(ld);
        for plane in src.chunks_exact(hp * wp) {
            for u in 0..kh {
                for v in 0..kw {
                    let row = &mut rows.next().expect("C·kh·kw rows")[col0..col0 + ho * wo];
                    for (oy, out) in row.chunks_exact_mut(wo).enumerate() {
                        let run = &plane[(oy * s0 + u * d0) * wp + v * d1..];
                        if s1 == 1 {
                            copy_run(out, run);
                        } else {
                            for (o, &x) in out.iter_mut().zip(run.iter().step_by(s1)) {
                                *o = x;
                            }
                        }
                    }
                }
            }
        }
    }

    /// `dst (padded planes) += col2im(dcols)`, the adjoint of [`Conv2d::im2col`] for the same
    /// `ld` and `col0`: each tap's runs added in tap order.
    pub(super) fn col2im_add<T: Real>(&self, dcols: &[T], ld: usize, col0: usize, dst: &mut [T]) {
        vectorized(Lowering(
            self,
            Work::Col2im {
                dcols,
                ld,
                col0,
                dst,
            },
        ));
    }

    #[inline(always)]
    fn col2im_on<T: Real>(&self, dcols: &[T], ld: usize, col0: usize, dst: &mut [T]) {
        match (self.stride.1, self.out_hw.1) {
            (1, 7) => self.col2im_w::<T, 7, 1>(dcols, ld, col0, dst),
            (1, 14) => self.col2im_w::<T, 14, 1>(dcols, ld, col0, dst),
            (1, 28) => self.col2im_w::<T, 28, 1>(dcols, ld, col0, dst),
            (2, 7) => self.col2im_w::<T, 7, 2>(dcols, ld, col0, dst),
            (2, 14) => self.col2im_w::<T, 14, 2>(dcols, ld, col0, dst),
            _ => self.col2im_any(dcols, ld, col0, dst),
        }
    }

    /// [`Conv2d::col2im_add`] at stride `S` along the width for outputs `W` wide.
    #[inline(always)]
    fn col2im_w<T: Real, const W: usize, const S: usize>(
        &self,
        dcols: &[T],
        ld: usize,
        col0: usize,
        dst: &mut [T],
    ) {
        let (hp, wp) = self.padded_hw();
        let (kh, kw) = self.kernel;
        let (ho, wo) = self.out_hw;
        debug_assert!(wo == W && self.stride.1 == S);
        let step = self.stride.0 * wp;
        let (d0, d1) = self.dilation;
        let mut rows = dcols.chunks(ld);
        for plane in dst.chunks_exact_mut(hp * wp) {
            for u in 0..kh {
                for v in 0..kw {
                    let row = &rows.next().expect("C·kh·kw rows")[col0..col0 + ho * W];
                    let first = u * d0 * wp + v * d1;
                    let (runs, _) = row.as_chunks::<W>();
                    for (oy, g) in runs.iter().enumerate() {
                        let at = first + oy * step;
                        if S == 1 {
                            let run: &mut [T; W] =
                                (&mut plane[at..at + W]).try_into().expect("W values");
                            // Every load before every store, into a local array: vector code
                            // without the compiler having to prove that `run` and `g` do not
                            // overlap (it did not always, and added one value at a time).
                            let mut sum = *run;
                            for (d, &gv) in sum.iter_mut().zip(g) {
                                *d += gv;
                            }
                            *run = sum;
                        } else {
                            // As above: loads, additions, then stores, on a local copy.
                            const { assert!((W - 1) * S < 64, "a run longer than its copy") };
                            let n = (W - 1) * S + 1;
                            let mut run = [T::c(0.0); 64];
                            run[..n].copy_from_slice(&plane[at..at + n]);
                            for (t, &gv) in g.iter().enumerate() {
                                run[t * S] += gv;
                            }
                            plane[at..at + n].copy_from_slice(&run[..n]);
                        }
                    }
                }
            }
        }
    }

    /// [`Conv2d::col2im_add`] for any stride and width.
    #[inline(always)]
    fn col2im_any<T: Real>(&self, dcols: &[T], ld: usize, col0: usize, dst: &mut [T]) {
        let (hp, wp) = self.padded_hw();
        let (kh, kw) = self.kernel;
        let (ho, wo) = self.out_hw;
        let (s0, s1) = self.stride;
        let (d0, d1) = self.dilation;
        let mut rows = dcols.chunks(ld);
        for plane in dst.chunks_exact_mut(hp * wp) {
            for u in 0..kh {
                for v in 0..kw {
                    let row = &rows.next().expect("C·kh·kw rows")[col0..col0 + ho * wo];
                    for (oy, g) in row.chunks_exact(wo).enumerate() {
                        let run = &mut plane[(oy * s0 + u * d0) * wp + v * d1..];
                        if s1 == 1 {
                            for (d, &gv) in run[..wo].iter_mut().zip(g) {
                                *d += gv;
                            }
                        } else {
                            for (d, &gv) in run.iter_mut().step_by(s1).zip(g) {
                                *d += gv;
                            }
                        }
                    }
                }
            }
        }
    }
}
