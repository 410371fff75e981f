//! f32 kernels compiled for AVX2 + FMA and chosen at run time; with
//! [`crate::linalg::clear_upper_vector_state`], the crate's only unsafe code.
//!
//! The crate is built for baseline x86-64 (SSE2) so that its binaries run on any x86-64 CPU. Where
//! the CPU has AVX2 and FMA (detected once, at run time), the engine's f32 products whose right
//! operand is used as stored take [`sgemm`] instead of faer: the small products of the time loop
//! (`B×H · H×H` per step), where faer's dispatch cost dominates, and the sequence-wide products
//! and weight gradients (`T·B` rows deep). Elsewhere (other CPUs, other architectures, f64) the
//! callers keep the portable path.
//!
//! ```text
//! C (m×n) = S + A (m×k) · B (k×n)      S = 0, C itself, or another matrix D (m×n)
//! ```
//!
//! [`vectorized`] runs plain element-wise loops in a function compiled for AVX2 and
//! FMA, so that the compiler vectorises them eight lanes wide.
//!
//! Operands are row-major with their own row strides, or, for B, packed in panels of 16 columns
//! ([`pack_panels`]). The register tile is up to 6 rows × 16 columns (12 accumulators, enough to
//! cover the FMA latency on both FMA pipes): each step of the k loop loads one 16-wide row of B
//! and broadcasts one element of each of the tile's rows of A. Rows are split into tiles as evenly
//! as possible (16 rows → 6 + 5 + 5, never a 4-row tile beside full ones); a column tail narrower
//! than 8 uses masked loads and stores. Work is blocked 256 deep and 96 rows tall; columns are the
//! outer loop within a block so that a 256×16 panel of B stays in L1 while every row tile passes
//! over it. For that, B must be packed: the rows of a row-major panel of a 256-wide matrix lie
//! 1 KiB apart and all fall into the same few L1 sets, so the panel is read from L2 on every pass
//! (the per-step product ran at 75–79 GFLOP/s per thread that way and at 89–93 packed). The
//! engine packs the recurrent weights once per pass; tall products pack each block of B
//! themselves, and a transposed A (the weight gradients `∂Uᵀ·R`) is packed block by block into
//! its row tiles. Each output element is a plain left-to-right sum over k, so results are
//! deterministic and do not depend on the blocking or the thread count.

#![allow(unsafe_code)]

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

/// Whether this CPU runs the kernels of this module (AVX2 and FMA on x86-64).
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Element-wise work for [`vectorized`]. Implementations mark [`Pointwise::run`]
/// `#[inline(always)]`, so that its loops compile inside the AVX2 function instead of being
/// called from it (a closure would not be inlined there reliably).
pub(crate) trait Pointwise {
    /// What the work returns.
    type Output;
    /// Do the work.
    fn run(self) -> Self::Output;
}

/// Run `work` in a function compiled for AVX2 and FMA when the CPU has them, so that its plain
/// element-wise loops vectorise eight f32 lanes wide instead of SSE2's four; elsewhere just run
/// it. The arithmetic is the same either way (no reordering, no fused multiply-adds the source
/// does not ask for), so results do not depend on the path.
#[inline(always)]
pub(crate) fn vectorized<P: Pointwise>(work: P) -> P::Output {
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: AVX2 and FMA were detected at run time just above, which is all that
        // `with_avx2_fma` requires.
        return unsafe { x86::with_avx2_fma(work) };
    }
    work.run()
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

/// `C (m×n, row stride ldc) = S + op(A) (m×k) · B (k×n)` in f32 with AVX2 and FMA, where element
/// (i, p) of `op(A)` is `a[i·rs + p·cs]` (`(lda, 1)` as stored, `(1, lda)` transposed). With
/// `threads > 1` and at least [`SPLIT_FLOPS`] multiply-adds, the longer of C's two sides is cut in
/// two halves computed in parallel (each element is still one sum in order over k, so the result
/// does not depend on the thread count). Returns `false`, touching nothing, when the CPU lacks
/// AVX2/FMA ([`available`]).
///
/// Panics when a view does not fit its slice.
pub(crate) fn sgemm(
    (m, n, k): (usize, usize, usize),
    (a, rs, cs): (&[f32], usize, usize),
    b: Right<'_>,
    (c, ldc): (&mut [f32], usize),
    start: Start<'_>,
    threads: usize,
) -> bool {
    if !available() {
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
        let p = x86::Views {
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
        };
        if threads > 1 && m * n * k >= SPLIT_FLOPS {
            // Cut the longer side at a tile boundary (6 rows, or a panel of NR columns); a square
            // product is cut by columns, so that each thread packs only its half of B.
            let (p0, p1, sizes) = if m > n {
                let m0 = (m / 2).div_ceil(6) * 6;
                (p.rows_from(0), p.rows_from(m0), [(m0, n), (m - m0, n)])
            } else {
                let n0 = (n / 2).div_ceil(NR) * NR;
                (p.cols_from(0), p.cols_from(n0), [(m, n0), (m, n - n0)])
            };
            let (h0, h1) = (x86::Half(p0), x86::Half(p1));
            rayon::join(
                // SAFETY: as for the one-thread call below; the two halves write disjoint rows
                // (or columns) of C and only read A, B and D, so they do not race.
                move || unsafe { h0.run(sizes[0]) },
                move || unsafe { h1.run(sizes[1]) },
            );
        } else {
            // SAFETY: AVX2 and FMA were detected above. Every view was checked to lie inside its
            // slice (the last element of a rows × cols view sits at (rows−1)·rs + (cols−1)·cs;
            // a packed B is exactly `packed_len(k, n)` long); the kernel reads op(A) (rows < m,
            // columns < k), B (rows < k, columns < n, or the panels holding them), D and C
            // (rows < m, columns < n) and writes only C at those positions, masking the columns
            // past n. `c` is a unique borrow, so it overlaps none of the inputs.
            unsafe { x86::sgemm(m, n, &p) };
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (a, rs, cs, b, ldb, packed, c, ldc, d, ldd, mode, threads);
        false
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Zero,
    C,
    D,
}

#[cfg(target_arch = "x86_64")]
mod x86;

#[cfg(test)]
mod tests;
