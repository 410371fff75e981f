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

/// Whether a view of `rows × cols` whose element (r, j) sits at `r·rs + j·cs` fits in `len`.
fn fits(len: usize, rows: usize, cols: usize, rs: usize, cs: usize) -> bool {
    rows == 0 || cols == 0 || (rows - 1) * rs + (cols - 1) * cs < len
}

/// Products with fewer multiply-adds than this stay on one thread.
pub(crate) const SPLIT_FLOPS: usize = 1 << 20;

/// `C (m×n, row stride ldc) = S + op(A) (m×k) · B (k×n, row stride ldb)` in f32 with AVX2 and
/// FMA, where element (i, p) of `op(A)` is `a[i·rs + p·cs]` (`(lda, 1)` as stored, `(1, lda)`
/// transposed). With `threads > 1` and at least [`SPLIT_FLOPS`] multiply-adds, the longer of
/// C's two sides is cut in two halves computed in parallel (each element is still one sum in
/// order over k, so the result does not depend on the thread count). Returns `false`, touching
/// nothing, when the CPU lacks AVX2/FMA ([`available`]).
///
/// Panics when a view does not fit its slice.
pub(crate) fn sgemm(
    (m, n, k): (usize, usize, usize),
    (a, rs, cs): (&[f32], usize, usize),
    (b, ldb): (&[f32], usize),
    (c, ldc): (&mut [f32], usize),
    start: Start<'_>,
    threads: usize,
) -> bool {
    if !available() {
        return false;
    }
    assert!(
        fits(a.len(), m, k, rs, cs)
            && ldb >= n
            && fits(b.len(), k, n, ldb, 1)
            && ldc >= n
            && fits(c.len(), m, n, ldc, 1),
        "sgemm: views exceed their slices (m {m}, n {n}, k {k}, A strides {rs}/{cs}, ldb {ldb}, ldc {ldc})"
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
            c: c.as_mut_ptr(),
            ldc,
            d: d.as_ptr(),
            ldd,
            mode,
        };
        if threads > 1 && m * n * k >= SPLIT_FLOPS {
            // Cut the longer side at a tile boundary (6 rows or 16 columns).
            let (p0, p1, sizes) = if m >= n {
                let m0 = (m / 2).div_ceil(6) * 6;
                (p.rows_from(0), p.rows_from(m0), [(m0, n), (m - m0, n)])
            } else {
                let n0 = (n / 2).div_ceil(16) * 16;
                (p.cols_from(0), p.cols_from(n0), [(m, n0), (m, n - n0)])
            };
            let (h0, h1) = (x86::Half(p0), x86::Half(p1));
            rayon::join(
                // SAFETY: as for the one-thread call below; the two halves write disjoint rows
                // (or columns) of C and only read A, B and D, so they do not race.
                move || unsafe { h0.run(sizes[0], k) },
                move || unsafe { h1.run(sizes[1], k) },
            );
        } else {
            // SAFETY: AVX2 and FMA were detected above. Every view was checked to lie inside its
            // slice (the last element of a rows × cols view sits at (rows−1)·rs + (cols−1)·cs);
            // the kernel reads op(A) (rows < m, columns < k), B (rows < k, columns < n), D and C
            // (rows < m, columns < n) and writes only C at those positions, masking the columns
            // past n. `c` is a unique borrow, so it overlaps none of the inputs.
            unsafe { x86::sgemm(m, n, k, &p) };
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (a, rs, cs, b, ldb, c, ldc, d, ldd, mode, threads);
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
    #[derive(Clone, Copy)]
    pub(super) struct Views {
        pub a: *const f32,
        pub rs: usize,
        pub cs: usize,
        pub b: *const f32,
        pub ldb: usize,
        pub c: *mut f32,
        pub ldc: usize,
        pub d: *const f32,
        pub ldd: usize,
        pub mode: Mode,
    }

    impl Views {
        /// The views of the rows from `i` on (pointer arithmetic only; dereferenced later within
        /// the bounds the caller checked).
        pub(super) fn rows_from(self, i: usize) -> Views {
            Views {
                a: self.a.wrapping_add(i * self.rs),
                c: self.c.wrapping_add(i * self.ldc),
                d: self.d.wrapping_add(i * self.ldd),
                ..self
            }
        }

        /// The views of the columns from `j` on.
        pub(super) fn cols_from(self, j: usize) -> Views {
            Views {
                b: self.b.wrapping_add(j),
                c: self.c.wrapping_add(j),
                d: self.d.wrapping_add(j),
                ..self
            }
        }
    }

    /// One half of a product handed to another thread.
    pub(super) struct Half(pub Views);

    // SAFETY: a `Half` is a set of pointers into slices the caller of `super::sgemm` borrows for
    // the whole (joined) call; the halves write disjoint parts of C and only read the rest.
    unsafe impl Send for Half {}

    impl Half {
        /// Safety: as for [`sgemm`], for the `m × n` product at these views.
        pub(super) unsafe fn run(self, (m, n): (usize, usize), k: usize) {
            sgemm(m, n, k, &self.0)
        }
    }

    /// Rows of A, and of C, per block: op(A)'s block (MC × KC) stays in L2 while the panels of B
    /// pass over it.
    const MC: usize = 96;
    /// Depth per block: a KC × 16 panel of B (16 KiB) stays in L1 while the row tiles pass over it.
    const KC: usize = 256;

    /// Calls `work` inside a function compiled for AVX2 and FMA (the caller checks the CPU).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn with_avx2_fma<P: super::Pointwise>(work: P) -> P::Output {
        work.run()
    }

    /// Blocks of KC along k (the first starts from S, the others add to C), blocks of MC rows,
    /// then column panels of 16, then 8, then a masked tail, and row tiles of at most 6 rows, as
    /// even as can be.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn sgemm(m: usize, n: usize, k: usize, p: &Views) {
        let mut kb = 0;
        loop {
            let kc = (k - kb).min(KC);
            let mode = if kb == 0 { p.mode } else { Mode::C };
            let mut i0 = 0;
            while i0 < m {
                let mc = (m - i0).min(MC);
                let tiles = mc.div_ceil(6);
                let rows_of = |t: usize| mc / tiles + usize::from(t < mc % tiles);
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
                    let mut i = i0;
                    for t in 0..tiles {
                        let rows = rows_of(t);
                        let at = At {
                            k: kc,
                            a: p.a.wrapping_add(i * p.rs + kb * p.cs),
                            b: p.b.wrapping_add(kb * p.ldb + j),
                            c: p.c.wrapping_add(i * p.ldc + j),
                            d: p.d.wrapping_add(i * p.ldd + j),
                            mode,
                            mask,
                        };
                        macro_rules! go {
                            ($mr:literal) => {
                                match width {
                                    16 => tile::<$mr, 2, false>(p, &at),
                                    8 => tile::<$mr, 1, false>(p, &at),
                                    _ => tile::<$mr, 1, true>(p, &at),
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
                i0 += mc;
            }
            kb += kc;
            if kb >= k {
                break;
            }
        }
    }

    /// Where one tile starts, and its depth.
    struct At {
        k: usize,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        d: *const f32,
        mode: Mode,
        mask: __m256i,
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

    /// One MR × (8·NV) tile; with `MASK` the last vector is partial.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn tile<const MR: usize, const NV: usize, const MASK: bool>(p: &Views, at: &At) {
        let mask = at.mask;
        let load = |ptr: *const f32, v: usize| {
            if MASK && v == NV - 1 {
                _mm256_maskload_ps(ptr.add(8 * v), mask)
            } else {
                _mm256_loadu_ps(ptr.add(8 * v))
            }
        };
        let mut acc = [[_mm256_setzero_ps(); NV]; MR];
        match at.mode {
            Mode::Zero => {}
            Mode::C => {
                for (r, row) in acc.iter_mut().enumerate() {
                    let src = at.c.add(r * p.ldc);
                    for (v, x) in row.iter_mut().enumerate() {
                        *x = load(src, v);
                    }
                }
            }
            Mode::D => {
                for (r, row) in acc.iter_mut().enumerate() {
                    let src = at.d.add(r * p.ldd);
                    for (v, x) in row.iter_mut().enumerate() {
                        *x = load(src, v);
                    }
                }
            }
        }
        let (rs, cs) = (p.rs, p.cs);
        let mut a = at.a;
        let mut b = at.b;
        for _ in 0..at.k {
            let mut bv = [_mm256_setzero_ps(); NV];
            for (v, x) in bv.iter_mut().enumerate() {
                *x = load(b, v);
            }
            for (r, row) in acc.iter_mut().enumerate() {
                let av = _mm256_broadcast_ss(&*a.add(r * rs));
                for (x, &bw) in row.iter_mut().zip(&bv) {
                    *x = _mm256_fmadd_ps(av, bw, *x);
                }
            }
            // Wrapping: after the last step these point past the views, never read.
            a = a.wrapping_add(cs);
            b = b.wrapping_add(p.ldb);
        }
        for (r, row) in acc.iter().enumerate() {
            let dst = at.c.add(r * p.ldc);
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

    /// The plain loop: `S + op(A)·B` with op(A)(i, p) at `a[i·rs + p·cs]`.
    fn naive(
        (m, n, k): (usize, usize, usize),
        (a, rs, cs): (&[f32], usize, usize),
        (b, ldb): (&[f32], usize),
        (s, lds): (&[f32], usize),
    ) -> Vec<f32> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut acc = s[i * lds + j];
                for p in 0..k {
                    acc = a[i * rs + p * cs].mul_add(b[p * ldb + j], acc);
                }
                out[i * n + j] = acc;
            }
        }
        out
    }

    /// Every tile shape, column tail and start mode, A as stored and transposed, one and two
    /// threads, depths and heights past one block, against the plain loop (the kernel fuses each
    /// multiply-add, so the loop does too and the results agree to the last bit), with strides
    /// wider than the views and guard values around the written block.
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
        let small = [1usize, 2, 3, 5, 6, 7, 11, 16, 17, 33];
        let mut cases = Vec::new();
        for &m in &small {
            for &n in &[1usize, 3, 7, 8, 9, 15, 16, 17, 24, 31, 40, 64] {
                for &k in &[0usize, 1, 2, 5, 64] {
                    cases.push((m, n, k));
                }
            }
        }
        // Past one block of rows (96) and of depth (256), and large enough to split in two.
        cases.extend([
            (100, 33, 300),
            (197, 17, 520),
            (40, 256, 300),
            (256, 40, 1100),
        ]);
        for (m, n, k) in cases {
            for transposed in [false, true] {
                for threads in [1, 2] {
                    let (ldb, ldc) = (n + 1, n + 5);
                    // A stored (m × k, stride k+3) or transposed (k × m, stride m+2).
                    let (a_len, rs, cs) = if transposed {
                        (k.max(1) * (m + 2), 1, m + 2)
                    } else {
                        (m * (k + 3), k + 3, 1)
                    };
                    let a: Vec<f32> = (0..a_len).map(|_| rnd()).collect();
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
                        let dims = (m, n, k);
                        let (av, bv) = ((&a[..], rs, cs), (&b[..], ldb));
                        assert!(sgemm(dims, av, bv, (&mut c, ldc), start, threads));
                        let want = naive(dims, av, bv, (s, ldc));
                        let what = format!("{m}x{n}x{k} {mode} Aᵀ {transposed} threads {threads}");
                        for i in 0..m {
                            for j in 0..ldc {
                                let got = c[i * ldc + j];
                                if j < n {
                                    assert_eq!(got, want[i * n + j], "{what} ({i},{j})");
                                } else {
                                    assert_eq!(got, guard, "{what}: wrote ({i},{j})");
                                }
                            }
                        }
                        assert_eq!(&c[m * ldc..], &[guard; 4], "{what}: tail");
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
        if !sgemm((2, 2, 3), (&a, 3, 1), (&b, 2), (&mut c, 2), Start::Zero, 1) {
            panic!("views exceed (no AVX2/FMA: the check did not run)");
        }
    }
}
