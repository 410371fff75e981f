//! f32 kernels compiled for AVX2 + FMA and chosen at run time; with
//! [`crate::linalg::clear_upper_vector_state`], the crate's only unsafe code.
//!
//! The crate is built for baseline x86-64 (SSE2) so that its binaries run on any x86-64 CPU. Where
//! the CPU has AVX2 and FMA (detected once, at run time), the small row-major products of the time
//! loop (`B×H · H×H` per step) take [`sgemm`] instead of faer, whose general path packs its
//! operands and pays a dispatch cost that dominates at these sizes. Elsewhere (other CPUs, other
//! architectures, f64) the callers keep the portable path.
//!
//! ```text
//! C (m×n) = S + A (m×k) · B (k×n)      S = 0, C itself, or another matrix D (m×n)
//! ```
//!
//! [`vectorized`] runs plain element-wise loops in a function compiled for AVX2 and
//! FMA, so that the compiler vectorises them eight lanes wide.
//!
//! All operands are row-major with their own row strides. The register tile is up to 6 rows ×
//! 16 columns (12 accumulators, enough to cover the FMA latency on both FMA pipes): each step of
//! the k loop loads one 16-wide row of B and broadcasts one element of each of the tile's rows of
//! A. Rows are split into tiles as evenly as possible (16 rows → 6 + 5 + 5, never a 4-row tile
//! beside full ones); a column tail narrower than 8 uses masked loads and stores. Columns are the
//! outer loop so that a k×16 panel of B stays in L1 while every row tile passes over it.
//! Each output element is a plain left-to-right sum over k, so results are deterministic.

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

/// Whether a row-major view of `rows × cols` with row stride `ld` fits in `len` elements.
fn fits(len: usize, rows: usize, cols: usize, ld: usize) -> bool {
    ld >= cols && (rows == 0 || cols == 0 || (rows - 1) * ld + cols <= len)
}

/// `C (m×n, row stride ldc) = S + A (m×k, stride lda) · B (k×n, stride ldb)` in f32 with AVX2 and
/// FMA. Returns `false`, touching nothing, when the CPU lacks them ([`available`]).
///
/// Panics when a view does not fit its slice.
pub(crate) fn sgemm(
    (m, n, k): (usize, usize, usize),
    (a, lda): (&[f32], usize),
    (b, ldb): (&[f32], usize),
    (c, ldc): (&mut [f32], usize),
    start: Start<'_>,
) -> bool {
    if !available() {
        return false;
    }
    assert!(
        fits(a.len(), m, k, lda) && fits(b.len(), k, n, ldb) && fits(c.len(), m, n, ldc),
        "sgemm: views exceed their slices (m {m}, n {n}, k {k}, lda {lda}, ldb {ldb}, ldc {ldc})"
    );
    let (d, ldd, mode) = match start {
        Start::Zero => (&[][..], 0, Mode::Zero),
        Start::C => (&[][..], 0, Mode::C),
        Start::From(d, ldd) => {
            assert!(fits(d.len(), m, n, ldd), "sgemm: D exceeds its slice");
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
            lda,
            b: b.as_ptr(),
            ldb,
            c: c.as_mut_ptr(),
            ldc,
            d: d.as_ptr(),
            ldd,
            mode,
        };
        // SAFETY: AVX2 and FMA were detected above. Every view was checked to lie inside its
        // slice (row r, column j of an m×n view with stride ld is at r·ld + j ≤ (m−1)·ld + n−1);
        // the kernel reads A (rows < m, columns < k), B (rows < k, columns < n), D and C (rows < m,
        // columns < n) and writes only C at those positions, masking the columns past n. `c` is
        // a unique borrow, so it overlaps none of the inputs.
        unsafe { x86::sgemm(m, n, k, &p) };
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (a, lda, b, ldb, c, ldc, d, ldd, mode);
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
mod x86 {
    use super::Mode;
    use std::arch::x86_64::*;

    /// Raw views of the operands (bounds checked by the caller).
    pub(super) struct Views {
        pub a: *const f32,
        pub lda: usize,
        pub b: *const f32,
        pub ldb: usize,
        pub c: *mut f32,
        pub ldc: usize,
        pub d: *const f32,
        pub ldd: usize,
        pub mode: Mode,
    }

    /// Runs `work` inside a function compiled for AVX2 and FMA (the caller checks the CPU).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn with_avx2_fma<P: super::Pointwise>(work: P) -> P::Output {
        work.run()
    }

    /// Column panels of 16, then 8, then a masked tail; row tiles of at most 6, as even as can be.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn sgemm(m: usize, n: usize, k: usize, p: &Views) {
        let tiles = m.div_ceil(6);
        let mut j = 0;
        while j < n {
            let left = n - j;
            let width = if left >= 16 {
                16
            } else if left >= 8 {
                8
            } else {
                left
            };
            let mask = tail_mask(width);
            let mut i = 0;
            for t in 0..tiles {
                let rows = m / tiles + usize::from(t < m % tiles);
                macro_rules! go {
                    ($mr:literal) => {
                        match width {
                            16 => tile::<$mr, 2, false>(k, p, i, j, mask),
                            8 => tile::<$mr, 1, false>(k, p, i, j, mask),
                            _ => tile::<$mr, 1, true>(k, p, i, j, mask),
                        }
                    };
                }
                match rows {
                    1 => go!(1),
                    2 => go!(2),
                    3 => go!(3),
                    4 => go!(4),
                    5 => go!(5),
                    _ => go!(6),
                }
                i += rows;
            }
            j += width;
        }
    }

    /// Lanes `0..width` set (all of them for `width ≥ 8`).
    #[target_feature(enable = "avx2,fma")]
    fn tail_mask(width: usize) -> __m256i {
        let w = width.min(8) as i32;
        _mm256_cmpgt_epi32(
            _mm256_set1_epi32(w),
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        )
    }

    /// One MR × (8·NV) tile at row `i`, column `j`; with `MASK` the last vector is partial.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn tile<const MR: usize, const NV: usize, const MASK: bool>(
        k: usize,
        p: &Views,
        i: usize,
        j: usize,
        mask: __m256i,
    ) {
        let load = |ptr: *const f32, v: usize| {
            if MASK && v == NV - 1 {
                _mm256_maskload_ps(ptr.add(8 * v), mask)
            } else {
                _mm256_loadu_ps(ptr.add(8 * v))
            }
        };
        let mut acc = [[_mm256_setzero_ps(); NV]; MR];
        match p.mode {
            Mode::Zero => {}
            Mode::C => {
                for (r, row) in acc.iter_mut().enumerate() {
                    let src = p.c.add((i + r) * p.ldc + j);
                    for (v, x) in row.iter_mut().enumerate() {
                        *x = load(src, v);
                    }
                }
            }
            Mode::D => {
                for (r, row) in acc.iter_mut().enumerate() {
                    let src = p.d.add((i + r) * p.ldd + j);
                    for (v, x) in row.iter_mut().enumerate() {
                        *x = load(src, v);
                    }
                }
            }
        }
        let mut a = p.a.add(i * p.lda);
        let mut b = p.b.add(j);
        for _ in 0..k {
            let mut bv = [_mm256_setzero_ps(); NV];
            for (v, x) in bv.iter_mut().enumerate() {
                *x = load(b, v);
            }
            for (r, row) in acc.iter_mut().enumerate() {
                let av = _mm256_broadcast_ss(&*a.add(r * p.lda));
                for (x, &bw) in row.iter_mut().zip(&bv) {
                    *x = _mm256_fmadd_ps(av, bw, *x);
                }
            }
            a = a.add(1);
            b = b.add(p.ldb);
        }
        for (r, row) in acc.iter().enumerate() {
            let dst = p.c.add((i + r) * p.ldc + j);
            for (v, &x) in row.iter().enumerate() {
                if MASK && v == NV - 1 {
                    _mm256_maskstore_ps(dst.add(8 * v), mask, x);
                } else {
                    _mm256_storeu_ps(dst.add(8 * v), x);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(
        (m, n, k): (usize, usize, usize),
        a: &[f32],
        lda: usize,
        b: &[f32],
        ldb: usize,
        s: &[f32],
        lds: usize,
    ) -> Vec<f32> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut acc = s[i * lds + j];
                for p in 0..k {
                    acc = a[i * lda + p].mul_add(b[p * ldb + j], acc);
                }
                out[i * n + j] = acc;
            }
        }
        out
    }

    /// Every tile shape, column tail and start mode against the plain loop (the kernel fuses
    /// each multiply-add, so the loop does too and the results agree to the last bit), with
    /// strides wider than the views and guard values around the written block.
    #[test]
    fn sgemm_matches_the_plain_loop() {
        if !available() {
            eprintln!("no AVX2/FMA on this CPU: the kernel is not used, nothing to compare");
            return;
        }
        let mut state = 1u32;
        let mut rnd = move || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        for &m in &[1usize, 2, 3, 5, 6, 7, 11, 16, 17, 32, 33] {
            for &n in &[1usize, 3, 7, 8, 9, 15, 16, 17, 24, 31, 40, 64] {
                for &k in &[0usize, 1, 2, 5, 64] {
                    let (lda, ldb, ldc) = (k + 3, n + 1, n + 5);
                    let a: Vec<f32> = (0..m * lda).map(|_| rnd()).collect();
                    let b: Vec<f32> = (0..k.max(1) * ldb).map(|_| rnd()).collect();
                    let d: Vec<f32> = (0..m * ldc).map(|_| rnd()).collect();
                    let zeros = vec![0.0f32; m * ldc];
                    for (mode, s) in [("zero", &zeros), ("C", &d), ("D", &d)] {
                        let guard = 99.0;
                        let mut c = vec![guard; m * ldc + 4];
                        if mode == "C" {
                            for i in 0..m {
                                c[i * ldc..i * ldc + n].copy_from_slice(&d[i * ldc..i * ldc + n]);
                            }
                        }
                        let start = match mode {
                            "zero" => Start::Zero,
                            "C" => Start::C,
                            _ => Start::From(&d, ldc),
                        };
                        assert!(sgemm((m, n, k), (&a, lda), (&b, ldb), (&mut c, ldc), start));
                        let want = naive((m, n, k), &a, lda, &b, ldb, s, ldc);
                        for i in 0..m {
                            for j in 0..ldc {
                                let got = c[i * ldc + j];
                                if j < n {
                                    assert_eq!(
                                        got,
                                        want[i * n + j],
                                        "{m}x{n}x{k} {mode} ({i},{j})"
                                    );
                                } else {
                                    assert_eq!(got, guard, "{m}x{n}x{k} {mode}: wrote ({i},{j})");
                                }
                            }
                        }
                        assert_eq!(&c[m * ldc..], &[guard; 4], "{m}x{n}x{k} {mode}: tail");
                    }
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "views exceed")]
    fn sgemm_rejects_a_view_past_its_slice() {
        let (a, b) = (vec![0.0f32; 6], vec![0.0f32; 6]);
        let mut c = vec![0.0f32; 3];
        // C would need 2×2 = 4 elements.
        if !sgemm((2, 2, 3), (&a, 3), (&b, 2), (&mut c, 2), Start::Zero) {
            panic!("views exceed (no AVX2/FMA: the check did not run)");
        }
    }
}
