//! The f32 GEMM behind the engine's products on x86-64 ([`sgemm`]) and the packing of its right
//! operand ([`pack_panels`]); the register tiles are in `x86.rs`, for AVX2 + FMA and for AVX-512.
//!
//! ```text
//! C (m×n) = S + A (m×k) · B (k×n)      S = 0, C itself, or another matrix D (m×n)
//! ```
//!
//! Operands are row-major with their own row strides, or, for B, packed in panels of 16 columns
//! ([`pack_panels`]). Each step of a tile's k loop loads one row of B (16 columns in two 8-wide
//! vectors with AVX2, 32 columns from two panels with AVX-512) and broadcasts one element of each
//! of the tile's rows of A: up to 6 rows with AVX2 (12 accumulators of its 16 registers), up to 12
//! with AVX-512 (24 of its 32), enough to cover the FMA latency on both FMA pipes. Rows are split
//! into tiles as evenly as possible (16 rows → 6 + 5 + 5 with AVX2, never a 4-row tile beside full
//! ones); a column tail narrower than one vector uses masked loads and stores. Work is blocked 256
//! deep and 96 rows tall; columns are the outer loop within a block so that the 256-deep panels of
//! B stay in L1 while every row tile passes over them. For that, B must be packed: the rows of a
//! row-major panel of a 256-wide matrix lie 1 KiB apart and all fall into the same few L1 sets, so
//! the panel is read from L2 on every pass (the per-step product ran at 75–79 GFLOP/s per thread
//! that way and at 89–93 packed, AVX2). The engine packs the recurrent weights once per pass; tall
//! products pack each block of B themselves, and a transposed A (the weight gradients `∂Uᵀ·R`) is
//! packed block by block into its row tiles.
//!
//! Each output element is a plain left-to-right sum over k of fused multiply-adds, whatever the
//! tile, so results are deterministic, do not depend on the blocking or the thread count, and are
//! the same bits on the AVX2 and the AVX-512 path.

use super::{active, Mode, Simd};

/// Where the accumulators of [`sgemm`] start.
#[derive(Clone, Copy)]
pub(crate) enum Start<'a> {
    /// `C = A·B`.
    Zero,
    /// `C += A·B`.
    C,
    /// `C = D + A·B`, with `D`'s row stride.
    From(&'a [f32], usize),
}

/// Whether a view of `rows × cols` whose element (r, j) sits at `r·rs + j·cs` fits in `len`.
fn fits(len: usize, rows: usize, cols: usize, rs: usize, cs: usize) -> bool {
    rows == 0 || cols == 0 || (rows - 1) * rs + (cols - 1) * cs < len
}

/// Products with fewer multiply-adds than this stay on one thread.
pub(crate) const SPLIT_FLOPS: usize = 1 << 20;

/// Columns per panel of a packed right operand ([`pack_panels`]).
pub(crate) const NR: usize = 16;

/// Length of the packed copy of a `k × n` matrix: `k` rows of `n` rounded up to a whole panel.
pub(crate) fn packed_len(k: usize, n: usize) -> usize {
    k * n.div_ceil(NR) * NR
}

/// Copy the `k × n` row-major matrix `b` (row stride `ldb`) into panels of [`NR`] columns: panel
/// `q` holds columns `q·NR .. q·NR + NR` of rows `0..k`, one row after the other, zero past `n`.
/// The kernel then reads each panel as one contiguous stream, so that it stays in L1 while the
/// row tiles pass over it (a row-major panel of a 256-wide matrix has rows 1 KiB apart, which all
/// fall in the same few L1 sets). A weight matrix used at every step is packed once per pass.
pub(crate) fn pack_panels<T: Copy>(
    b: &[T],
    k: usize,
    n: usize,
    ldb: usize,
    zero: T,
    out: &mut [T],
) {
    assert!(
        out.len() == packed_len(k, n) && fits(b.len(), k, n, ldb, 1),
        "pack_panels: {k}x{n} (ldb {ldb}) from {} into {}",
        b.len(),
        out.len()
    );
    for (q, panel) in out.chunks_exact_mut((k * NR).max(1)).enumerate() {
        let j0 = q * NR;
        let w = (n - j0).min(NR);
        for (p, row) in panel.chunks_exact_mut(NR).enumerate() {
            row[..w].copy_from_slice(&b[p * ldb + j0..p * ldb + j0 + w]);
            row[w..].iter_mut().for_each(|v| *v = zero);
        }
    }
}

/// The right operand `B (k × n)` of [`sgemm`].
#[derive(Clone, Copy)]
pub(crate) enum Right<'a> {
    /// Row-major with this row stride.
    Rows(&'a [f32], usize),
    /// Packed by [`pack_panels`] from a matrix of exactly the product's `k` rows and `n` columns.
    Panels(&'a [f32]),
}

/// `C (m×n, row stride ldc) = S + op(A) (m×k) · B (k×n)` in f32 on the widest SIMD path the
/// engine runs ([`active`]: AVX-512 or AVX2 + FMA), where element
/// (i, p) of `op(A)` is `a[i·rs + p·cs]` (`(lda, 1)` as stored, `(1, lda)` transposed). With
/// `threads > 1` and at least [`SPLIT_FLOPS`] multiply-adds, the longer of C's two sides is cut in
/// two halves computed in parallel (each element is still one sum in order over k, so the result
/// does not depend on the thread count). Returns `false`, touching nothing, on the portable path
/// (no AVX2/FMA, another architecture, or a path limited with [`super::set_simd_limit`]); the
/// caller then takes faer.
///
/// Panics when a view does not fit its slice.
pub(crate) fn sgemm(
    dims: (usize, usize, usize),
    a: (&[f32], usize, usize),
    b: Right<'_>,
    c: (&mut [f32], usize),
    start: Start<'_>,
    threads: usize,
) -> bool {
    sgemm_on(active(), dims, a, b, c, start, threads)
}

/// [`sgemm`] on the path `simd`, which the caller has checked the CPU supports.
pub(super) fn sgemm_on(
    simd: Simd,
    (m, n, k): (usize, usize, usize),
    (a, rs, cs): (&[f32], usize, usize),
    b: Right<'_>,
    (c, ldc): (&mut [f32], usize),
    start: Start<'_>,
    threads: usize,
) -> bool {
    assert!(simd.supported(), "sgemm: {simd} is not supported here");
    if simd == Simd::Portable {
        return false;
    }
    let (b, ldb, packed) = match b {
        Right::Rows(b, ldb) => {
            assert!(
                ldb >= n && fits(b.len(), k, n, ldb, 1),
                "sgemm: B exceeds its slice"
            );
            (b, ldb, false)
        }
        Right::Panels(b) => {
            assert!(
                b.len() == packed_len(k, n),
                "sgemm: packed B is not {k}x{n}"
            );
            (b, NR, true)
        }
    };
    assert!(
        fits(a.len(), m, k, rs, cs) && ldc >= n && fits(c.len(), m, n, ldc, 1),
        "sgemm: views exceed their slices (m {m}, n {n}, k {k}, A strides {rs}/{cs}, ldc {ldc})"
    );
    let (d, ldd, mode) = match start {
        Start::Zero => (&[][..], 0, Mode::Zero),
        Start::C => (&[][..], 0, Mode::C),
        Start::From(d, ldd) => {
            // Any stride, 0 included (one row repeated, e.g. a bias): D is only read.
            assert!(fits(d.len(), m, n, ldd, 1), "sgemm: D exceeds its slice");
            (d, ldd, Mode::D)
        }
    };
    if m == 0 || n == 0 {
        return true;
    }
    #[cfg(target_arch = "x86_64")]
    {
        let p = super::x86::Views {
            a: a.as_ptr(),
            rs,
            cs,
            b: b.as_ptr(),
            ldb,
            packed,
            k,
            c: c.as_mut_ptr(),
            ldc,
            d: d.as_ptr(),
            ldd,
            mode,
            simd,
        };
        if threads > 1 && m * n * k >= SPLIT_FLOPS {
            // Cut the longer side at a tile boundary (12 rows, or a panel of NR columns); a square
            // product is cut by columns, so that each thread packs only its half of B.
            let (p0, p1, sizes) = if m > n {
                let m0 = (m / 2).div_ceil(12) * 12;
                (p.rows_from(0), p.rows_from(m0), [(m0, n), (m - m0, n)])
            } else {
                let n0 = (n / 2).div_ceil(NR) * NR;
                (p.cols_from(0), p.cols_from(n0), [(m, n0), (m, n - n0)])
            };
            let (h0, h1) = (super::x86::Half(p0), super::x86::Half(p1));
            rayon::join(
                // SAFETY: as for the one-thread call below; the two halves write disjoint rows
                // (or columns) of C and only read A, B and D, so they do not race.
                move || {
                    let _ftz = super::FlushDenormals::new();
                    unsafe { h0.run(sizes[0]) }
                },
                move || {
                    let _ftz = super::FlushDenormals::new();
                    unsafe { h1.run(sizes[1]) }
                },
            );
        } else {
            // SAFETY: the path's instruction set was detected at run time ([`active`] never
            // returns a path the CPU lacks). Every view was checked to lie inside its
            // slice (the last element of a rows × cols view sits at (rows−1)·rs + (cols−1)·cs;
            // a packed B is exactly `packed_len(k, n)` long); the kernel reads op(A) (rows < m,
            // columns < k), B (rows < k, columns < n, or the panels holding them), D and C
            // (rows < m, columns < n) and writes only C at those positions, masking the columns
            // past n. `c` is a unique borrow, so it overlaps none of the inputs.
            unsafe { super::x86::sgemm(m, n, &p) };
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (
            a, rs, cs, b, ldb, packed, c, ldc, d, ldd, mode, threads, simd,
        );
        false
    }
}
