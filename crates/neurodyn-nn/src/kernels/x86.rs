//! The x86-64 kernel behind [`super::sgemm`]: blocking, packing and the register tiles, written
//! once ([`drive`]) over the two tile sets ([`Avx2`], [`Avx512`]) and compiled once for each
//! instruction set ([`sgemm_avx2`], [`sgemm_avx512`]).

use super::{Mode, Simd, NR};
use std::arch::x86_64::*;
use std::cell::RefCell;

/// Raw views of the operands (bounds checked by the caller).
#[derive(Clone, Copy)]
pub(super) struct Views {
    pub a: *const f32,
    pub rs: usize,
    pub cs: usize,
    /// B's first element; with `packed`, its first panel.
    pub b: *const f32,
    pub ldb: usize,
    /// B is in panels of NR columns, each `k` rows deep.
    pub packed: bool,
    /// Depth of the product (and of B's panels).
    pub k: usize,
    pub c: *mut f32,
    pub ldc: usize,
    pub d: *const f32,
    pub ldd: usize,
    pub mode: Mode,
    /// The path to run (AVX2 or AVX-512; detected by the caller).
    pub simd: Simd,
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

    /// The views of the columns from `j` on (`j` a multiple of NR when B is packed).
    pub(super) fn cols_from(self, j: usize) -> Views {
        Views {
            b: self.b_at(0, j),
            c: self.c.wrapping_add(j),
            d: self.d.wrapping_add(j),
            ..self
        }
    }

    /// Where B's element (p, j) is.
    fn b_at(&self, p: usize, j: usize) -> *const f32 {
        if self.packed {
            self.b
                .wrapping_add((j / NR) * self.k * NR + p * NR + j % NR)
        } else {
            self.b.wrapping_add(p * self.ldb + j)
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
    pub(super) unsafe fn run(self, (m, n): (usize, usize)) {
        sgemm(m, n, &self.0)
    }
}

/// Safety: the CPU has the instruction set of `p.simd`, and the views are as [`super::sgemm`]
/// checks them.
pub(super) unsafe fn sgemm(m: usize, n: usize, p: &Views) {
    match p.simd {
        Simd::Avx512 => sgemm_avx512(m, n, p),
        _ => sgemm_avx2(m, n, p),
    }
}

/// Rows of A, and of C, per block: op(A)'s block (MC × KC) stays in L2 while the panels of B
/// pass over it.
const MC: usize = 96;
/// Depth per block: a KC × 16 panel of B (16 KiB) stays in L1 while the row tiles pass over it.
const KC: usize = 256;
/// Products at least this tall copy each KC-deep block of a row-major B into panels first
/// (the copy is paid once and read by every row tile); shorter ones, such as the per-step
/// products of the time loop, read B in place or take it packed once per pass.
const PACK_B_ROWS: usize = 48;

thread_local! {
    /// Per-thread packing space, grown on first use and kept: `(A block, B block)`.
    static SCRATCH: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Calls `work` inside a function compiled for AVX2 and FMA (the caller checks the CPU).
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn with_avx2_fma<P: super::Pointwise>(work: P) -> P::Output {
    work.run()
}

/// Calls `work` inside a function compiled for AVX-512 (the caller checks the CPU).
#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
pub(super) unsafe fn with_avx512<P: super::Pointwise>(work: P) -> P::Output {
    work.run()
}

/// [`drive`] compiled for AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
unsafe fn sgemm_avx2(m: usize, n: usize, p: &Views) {
    drive::<Avx2>(m, n, p)
}

/// [`drive`] compiled for AVX-512.
#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
unsafe fn sgemm_avx512(m: usize, n: usize, p: &Views) {
    drive::<Avx512>(m, n, p)
}

/// A set of register tiles: up to [`Tiles::MR`] rows by [`Tiles::NC`] columns (two vectors),
/// half that width, or a masked tail narrower than one vector.
trait Tiles {
    /// Most rows of a tile.
    const MR: usize;
    /// Columns of a full tile (two vectors).
    const NC: usize;
    /// Run the tile of `rows` rows and `width` columns at `at` (`width` is NC, NC/2 or less).
    ///
    /// Safety: as for [`drive`].
    unsafe fn tile(rows: usize, width: usize, p: &Views, at: &At);
}

/// Blocks of KC along k (the first starts from S, the others add to C), blocks of MC rows,
/// then column tiles of `K::NC`, then `K::NC / 2`, then a masked tail, and row tiles of at most
/// `K::MR` rows, as even as can be. A transposed A is copied block by block into its row tiles,
/// each tile's rows side by side for every k (its columns are a whole row of A apart otherwise),
/// and a tall enough product copies B block by block into panels ([`PACK_B_ROWS`]).
///
/// Safety: the views are as [`super::sgemm`] checks them, and the CPU has `K`'s instruction set.
#[inline(always)]
unsafe fn drive<K: Tiles>(m: usize, n: usize, p: &Views) {
    let k = p.k;
    let pack_a = p.cs != 1 && k > 1;
    let pack_b = !p.packed && m >= PACK_B_ROWS;
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let (sa, sb) = &mut *s;
        if pack_a && sa.len() < MC * KC {
            sa.resize(MC * KC, 0.0);
        }
        let b_len = KC * n.div_ceil(NR) * NR;
        if pack_b && sb.len() < b_len {
            sb.resize(b_len, 0.0);
        }
        let mut kb = 0;
        loop {
            let kc = (k - kb).min(KC);
            let mode = if kb == 0 { p.mode } else { Mode::C };
            if pack_b {
                let src = p.b_at(kb, 0);
                for (q, panel) in sb[..kc * n.div_ceil(NR) * NR]
                    .chunks_exact_mut(kc * NR)
                    .enumerate()
                {
                    let w = (n - q * NR).min(NR);
                    for (r, dst) in panel.chunks_exact_mut(NR).enumerate() {
                        // SAFETY (of the read): row kb + r, columns q·NR .. q·NR + w of B,
                        // inside the view the caller checked.
                        let row = src.add(r * p.ldb + q * NR);
                        if w == NR {
                            // A fixed-size copy: plain vector moves, no call to memcpy.
                            let dst: &mut [f32; NR] = dst.try_into().expect("NR wide");
                            *dst = std::ptr::read(row.cast::<[f32; NR]>());
                        } else {
                            dst[..w].copy_from_slice(std::slice::from_raw_parts(row, w));
                            dst[w..].iter_mut().for_each(|v| *v = 0.0);
                        }
                    }
                }
            }
            // B's element (kb + r, j), the step between its rows, and the step from one panel of
            // NR columns to the next.
            let b_of = |j: usize| -> (*const f32, usize, usize) {
                if pack_b {
                    (sb.as_ptr().add((j / NR) * kc * NR + j % NR), NR, kc * NR)
                } else if p.packed {
                    (p.b_at(kb, j), NR, p.k * NR)
                } else {
                    (p.b_at(kb, j), p.ldb, NR)
                }
            };
            let mut i0 = 0;
            while i0 < m {
                let mc = (m - i0).min(MC);
                let tiles = mc.div_ceil(K::MR);
                let rows_of = |t: usize| mc / tiles + usize::from(t < mc % tiles);
                if pack_a {
                    // Tile t (rows i..i+rows) at sa[i·kc ..], element (r, q) at q·rows + r.
                    let mut i = 0;
                    for t in 0..tiles {
                        let rows = rows_of(t);
                        let tile = &mut sa[i * kc..(i + rows) * kc];
                        let first = p.a.add((i0 + i) * p.rs + kb * p.cs);
                        for (q, dst) in tile.chunks_exact_mut(rows).enumerate() {
                            // SAFETY (of the reads): rows i0+i .. i0+i+rows of op(A) at
                            // depth kb + q, inside the view the caller checked; a fixed-size
                            // copy is a plain move, no call to memcpy.
                            let src = first.add(q * p.cs);
                            if p.rs == 1 && rows == 6 {
                                let dst: &mut [f32; 6] = dst.try_into().expect("6 wide");
                                *dst = std::ptr::read(src.cast::<[f32; 6]>());
                            } else if p.rs == 1 && rows == 12 {
                                let dst: &mut [f32; 12] = dst.try_into().expect("12 wide");
                                *dst = std::ptr::read(src.cast::<[f32; 12]>());
                            } else {
                                for (r, v) in dst.iter_mut().enumerate() {
                                    *v = *src.add(r * p.rs);
                                }
                            }
                        }
                        i += rows;
                    }
                }
                let mut j = 0;
                while j < n {
                    let left = n - j;
                    let width = if left >= K::NC {
                        K::NC
                    } else if left >= K::NC / 2 {
                        K::NC / 2
                    } else {
                        left
                    };
                    let (b, ldb, panel) = b_of(j);
                    let mut i = 0;
                    for t in 0..tiles {
                        let rows = rows_of(t);
                        let (a, rs, cs) = if pack_a {
                            (sa.as_ptr().add(i * kc), 1, rows)
                        } else {
                            (p.a.wrapping_add((i0 + i) * p.rs + kb * p.cs), p.rs, p.cs)
                        };
                        let at = At {
                            k: kc,
                            a,
                            rs,
                            cs,
                            b,
                            ldb,
                            panel,
                            c: p.c.wrapping_add((i0 + i) * p.ldc + j),
                            d: p.d.wrapping_add((i0 + i) * p.ldd + j),
                            mode,
                        };
                        K::tile(rows, width, p, &at);
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
    });
}

/// Where one tile starts, its depth, and how to step through A and B.
struct At {
    k: usize,
    a: *const f32,
    rs: usize,
    cs: usize,
    b: *const f32,
    ldb: usize,
    /// From one panel of NR columns of B to the next (AVX-512 reads two).
    panel: usize,
    c: *mut f32,
    d: *const f32,
    mode: Mode,
}

/// AVX2 + FMA: tiles of up to 6 rows × 16 columns (two 8-lane vectors, 12 accumulators of the
/// 16 registers).
struct Avx2;

impl Tiles for Avx2 {
    const MR: usize = 6;
    const NC: usize = 16;

    #[inline(always)]
    unsafe fn tile(rows: usize, width: usize, p: &Views, at: &At) {
        macro_rules! go {
            ($mr:literal) => {
                match width {
                    16 => avx2_tile::<$mr, 2, false>(p, at, width),
                    8 => avx2_tile::<$mr, 1, false>(p, at, width),
                    _ => avx2_tile::<$mr, 1, true>(p, at, width),
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
    }
}

/// AVX-512: tiles of up to 12 rows × 32 columns (two 16-lane vectors, one from each of two
/// panels of B; 24 accumulators of the 32 registers).
struct Avx512;

impl Tiles for Avx512 {
    const MR: usize = 12;
    const NC: usize = 32;

    #[inline(always)]
    unsafe fn tile(rows: usize, width: usize, p: &Views, at: &At) {
        macro_rules! go {
            ($mr:literal) => {
                match width {
                    32 => avx512_tile::<$mr, 2, false>(p, at, width),
                    16 => avx512_tile::<$mr, 1, false>(p, at, width),
                    _ => avx512_tile::<$mr, 1, true>(p, at, width),
                }
            };
        }
        match rows {
            1 => go!(1),
            2 => go!(2),
            3 => go!(3),
            4 => go!(4),
            5 => go!(5),
            6 => go!(6),
            7 => go!(7),
            8 => go!(8),
            9 => go!(9),
            10 => go!(10),
            11 => go!(11),
            _ => go!(12),
        }
    }
}

/// One MR × (8·NV) tile with AVX2; with `MASK` the last vector holds `width` < 8 columns.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn avx2_tile<const MR: usize, const NV: usize, const MASK: bool>(
    p: &Views,
    at: &At,
    width: usize,
) {
    let mask = _mm256_cmpgt_epi32(
        _mm256_set1_epi32(width.min(8) as i32),
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
    );
    let load = |ptr: *const f32, v: usize| {
        if MASK && v == NV - 1 {
            _mm256_maskload_ps(ptr.add(8 * v), mask)
        } else {
            _mm256_loadu_ps(ptr.add(8 * v))
        }
    };
    let mut acc = [[_mm256_setzero_ps(); NV]; MR];
    let start = match at.mode {
        Mode::Zero => None,
        Mode::C => Some((at.c.cast_const(), p.ldc)),
        Mode::D => Some((at.d, p.ldd)),
    };
    if let Some((src, ld)) = start {
        for (r, row) in acc.iter_mut().enumerate() {
            for (v, x) in row.iter_mut().enumerate() {
                *x = load(src.add(r * ld), v);
            }
        }
    }
    let (rs, cs) = (at.rs, at.cs);
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
        b = b.wrapping_add(at.ldb);
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

/// One MR × (16·NV) tile with AVX-512: vector v of B's row lies `v · at.panel` after the first;
/// with `MASK` the last vector holds `width` < 16 columns.
#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
#[inline]
unsafe fn avx512_tile<const MR: usize, const NV: usize, const MASK: bool>(
    p: &Views,
    at: &At,
    width: usize,
) {
    let mask: __mmask16 = if width >= 16 {
        u16::MAX
    } else {
        ((1u32 << width) - 1) as u16
    };
    let load = |ptr: *const f32| {
        if MASK {
            _mm512_maskz_loadu_ps(mask, ptr)
        } else {
            _mm512_loadu_ps(ptr)
        }
    };
    let mut acc = [[_mm512_setzero_ps(); NV]; MR];
    let start = match at.mode {
        Mode::Zero => None,
        Mode::C => Some((at.c.cast_const(), p.ldc)),
        Mode::D => Some((at.d, p.ldd)),
    };
    if let Some((src, ld)) = start {
        for (r, row) in acc.iter_mut().enumerate() {
            for (v, x) in row.iter_mut().enumerate() {
                *x = load(src.add(r * ld + 16 * v));
            }
        }
    }
    let (rs, cs) = (at.rs, at.cs);
    let mut a = at.a;
    let mut b = at.b;
    for _ in 0..at.k {
        let mut bv = [_mm512_setzero_ps(); NV];
        for (v, x) in bv.iter_mut().enumerate() {
            *x = load(b.add(v * at.panel));
        }
        for (r, row) in acc.iter_mut().enumerate() {
            let av = _mm512_set1_ps(*a.add(r * rs));
            for (x, &bw) in row.iter_mut().zip(&bv) {
                *x = _mm512_fmadd_ps(av, bw, *x);
            }
        }
        // Wrapping: after the last step these point past the views, never read.
        a = a.wrapping_add(cs);
        b = b.wrapping_add(at.ldb);
    }
    for (r, row) in acc.iter().enumerate() {
        let dst = at.c.add(r * p.ldc);
        for (v, &x) in row.iter().enumerate() {
            if MASK {
                _mm512_mask_storeu_ps(dst.add(16 * v), mask, x);
            } else {
                _mm512_storeu_ps(dst.add(16 * v), x);
            }
        }
    }
}

/// `dst[j·dst_rs + i] = src[i·src_rs + j]` (f32) for the rows and columns below the returned
/// multiples of eight, eight by eight in AVX registers (unpacks, shuffles and lane permutes);
/// the caller does the edges and checks that the CPU has AVX2.
pub(super) fn transpose_avx2(
    src: &[f32],
    src_rs: usize,
    dst: &mut [f32],
    dst_rs: usize,
    rows: usize,
    cols: usize,
) -> (usize, usize) {
    if rows == 0 || cols == 0 {
        return (0, 0);
    }
    assert!(
        src.len() >= (rows - 1) * src_rs + cols && dst.len() >= (cols - 1) * dst_rs + rows,
        "transpose: {rows}×{cols} does not fit its operands"
    );
    let (r8, c8) = (rows - rows % 8, cols - cols % 8);
    // SAFETY: the blocks read rows i0..i0 + 8 < rows from column j0 + 8 ≤ cols and write rows
    // j0..j0 + 8 < cols from column i0 + 8 ≤ rows, within the lengths checked above; the
    // caller has checked AVX2.
    unsafe { transpose_blocks(src.as_ptr(), src_rs, dst.as_mut_ptr(), dst_rs, r8, c8) };
    (r8, c8)
}

/// The 8×8 blocks of [`transpose_avx2`] (`r8`, `c8` multiples of 8).
#[target_feature(enable = "avx2")]
unsafe fn transpose_blocks(
    src: *const f32,
    src_rs: usize,
    dst: *mut f32,
    dst_rs: usize,
    r8: usize,
    c8: usize,
) {
    for i0 in (0..r8).step_by(8) {
        for j0 in (0..c8).step_by(8) {
            let s = src.add(i0 * src_rs + j0);
            let r = |k: usize| _mm256_loadu_ps(s.add(k * src_rs));
            let (r0, r1, r2, r3) = (r(0), r(1), r(2), r(3));
            let (r4, r5, r6, r7) = (r(4), r(5), r(6), r(7));
            let (t0, t1) = (_mm256_unpacklo_ps(r0, r1), _mm256_unpackhi_ps(r0, r1));
            let (t2, t3) = (_mm256_unpacklo_ps(r2, r3), _mm256_unpackhi_ps(r2, r3));
            let (t4, t5) = (_mm256_unpacklo_ps(r4, r5), _mm256_unpackhi_ps(r4, r5));
            let (t6, t7) = (_mm256_unpacklo_ps(r6, r7), _mm256_unpackhi_ps(r6, r7));
            let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
            let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
            let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
            let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
            let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
            let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
            let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
            let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
            let d = dst.add(j0 * dst_rs + i0);
            let w = |k: usize, v: __m256| _mm256_storeu_ps(d.add(k * dst_rs), v);
            w(0, _mm256_permute2f128_ps::<0x20>(u0, u4));
            w(1, _mm256_permute2f128_ps::<0x20>(u1, u5));
            w(2, _mm256_permute2f128_ps::<0x20>(u2, u6));
            w(3, _mm256_permute2f128_ps::<0x20>(u3, u7));
            w(4, _mm256_permute2f128_ps::<0x31>(u0, u4));
            w(5, _mm256_permute2f128_ps::<0x31>(u1, u5));
            w(6, _mm256_permute2f128_ps::<0x31>(u2, u6));
            w(7, _mm256_permute2f128_ps::<0x31>(u3, u7));
        }
    }
}
