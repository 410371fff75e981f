//! The engine's kernels: the f32 GEMM, the compilation of element-wise loops for the CPU they run
//! on, strided views and the dispatch between the engine's kernel and faer (`strided`), and the
//! floating-point environment of engine work. The crate's only unsafe code is here. Cells, the
//! time loop and `linalg` call this module; it calls none of them.
//!
//! The crate is built for the baseline of its architecture (SSE2 on x86-64) so that one binary
//! runs on any CPU of it. At run time [`Simd::active`] picks the widest path the CPU has:
//!
//! | path | where | products (f32) | element-wise loops (f32) |
//! |---|---|---|---|
//! | `avx512` | x86-64 with AVX-512 F/VL/BW/DQ | [`sgemm`], 12×32 tiles | compiled for AVX-512, 16 lanes |
//! | `avx2` | x86-64 with AVX2 + FMA | [`sgemm`], 6×16 tiles | compiled for AVX2 + FMA, 8 lanes |
//! | `portable` | any CPU (aarch64: NEON is its baseline) | faer (its own runtime dispatch) | as compiled (SSE2 / NEON) |
//!
//! The f64 engine (gradient checks, fixed points) always takes faer.
//!
//! **Same bits on every path but one.** [`sgemm`] sums each output element left to right over k
//! with fused multiply-adds whatever its tile, and the element-wise loops ask for no fused
//! multiply-add and no reordering, so the AVX2 and AVX-512 paths give bit-identical results. The
//! portable path multiplies with faer, whose summation order differs, so its results differ in
//! the last bits (the engine's f32 tests hold on every path; `tests/simd_paths.rs` compares
//! them).
//!
//! A path can be limited for comparison and testing, process-wide: [`set_simd_limit`], or the
//! environment variable `NEURODYN_SIMD` (`portable`, `avx2`, `avx512`) read once at start-up.
//!
//! [`FlushDenormals`] sets flush-to-zero and denormals-are-zero on the calling thread for the
//! duration of engine work: a network whose weights or gradients decay towards zero otherwise
//! meets subnormal numbers, which x86 CPUs handle in microcode at ~100× the cost of a normal
//! operation (AntiReach's default recipe spent 94 % of its late steps in such stalls).

#![allow(unsafe_code)]

mod fpenv;
mod gemm;
pub(crate) mod lanes;
pub(crate) mod strided;
#[cfg(test)]
mod tests;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use fpenv::FlushDenormals;
pub(crate) use gemm::{pack_panels, packed_len, sgemm, Right, Start, NR, SPLIT_FLOPS};
pub use strided::{clear_upper_vector_state, transpose_into, Trans};

use std::sync::atomic::{AtomicU8, Ordering};

/// An instruction-set path of the engine's f32 kernels, narrowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Simd {
    /// No hand-written kernel: products on faer, element-wise loops as compiled for the
    /// architecture's baseline (SSE2 on x86-64, NEON on aarch64).
    Portable,
    /// x86-64 AVX2 with FMA: 8 f32 lanes.
    Avx2,
    /// x86-64 AVX-512 (F, VL, BW, DQ): 16 f32 lanes, 32 vector registers.
    Avx512,
}

/// Every path, narrowest first.
const ALL: [Simd; 3] = [Simd::Portable, Simd::Avx2, Simd::Avx512];

/// The widest path allowed (an index into [`ALL`]); `u8::MAX` until first read.
static LIMIT: AtomicU8 = AtomicU8::new(u8::MAX);

impl Simd {
    /// The path's name, as `NEURODYN_SIMD` and `neurodyn bench` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Simd::Portable => "portable",
            Simd::Avx2 => "avx2",
            Simd::Avx512 => "avx512",
        }
    }

    /// The path named `name` (see [`Simd::name`]).
    pub fn from_name(name: &str) -> Option<Simd> {
        ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether this CPU can run the path.
    pub fn supported(self) -> bool {
        match self {
            Simd::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => {
                Simd::Avx2.supported()
                    && std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512dq")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The widest path this CPU supports.
    pub fn detected() -> Simd {
        ALL.into_iter()
            .rev()
            .find(|s| s.supported())
            .unwrap_or(Simd::Portable)
    }

    /// Every path this CPU supports, narrowest first.
    pub fn all_supported() -> Vec<Simd> {
        ALL.into_iter().filter(|s| s.supported()).collect()
    }

    /// The path the engine runs now: the widest the CPU supports within the limit
    /// ([`set_simd_limit`], else `NEURODYN_SIMD`, else none).
    #[inline]
    pub fn active() -> Simd {
        active()
    }
}

impl std::fmt::Display for Simd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Limit the engine to `limit` and narrower paths (`None`: the widest the CPU has), for the whole
/// process, from the next kernel call on. Results on the AVX2 and AVX-512 paths are the same
/// bits; the portable path differs in the last bits of its products. Limiting does not widen:
/// a path the CPU lacks is never run.
pub fn set_simd_limit(limit: Option<Simd>) {
    let widest = Simd::detected();
    let chosen = limit.map_or(widest, |l| l.min(widest));
    LIMIT.store(chosen as u8, Ordering::Relaxed);
}

/// [`Simd::active`], read on every kernel call (one relaxed load once set).
#[inline]
pub(crate) fn active() -> Simd {
    let v = LIMIT.load(Ordering::Relaxed);
    if let Some(&s) = ALL.get(usize::from(v)) {
        return s;
    }
    let from_env = std::env::var("NEURODYN_SIMD")
        .ok()
        .and_then(|v| Simd::from_name(v.trim()));
    set_simd_limit(from_env);
    ALL[usize::from(LIMIT.load(Ordering::Relaxed))]
}

/// Whether the engine's f32 products take [`sgemm`] (any path but the portable one).
pub(crate) fn available() -> bool {
    active() != Simd::Portable
}

/// Where the accumulators of a kernel tile start (from [`Start`], without its operand).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Zero,
    C,
    D,
}

/// Element-wise work for [`vectorized`]. Implementations mark [`Pointwise::run`]
/// `#[inline(always)]`, so that its loops compile inside the function of the chosen path instead
/// of being called from it (a closure would not be inlined there reliably).
pub(crate) trait Pointwise {
    /// What the work returns.
    type Output;
    /// Do the work.
    fn run(self) -> Self::Output;
}

/// `dst[j·dst_rs + i] = src[i·src_rs + j]` for `i < rows`, `j < cols`: the transpose of a
/// strided block, eight by eight in AVX registers for f32 on the AVX2 and AVX-512 paths, four
/// by four otherwise and at the edges (the same values either way: only moves).
pub(crate) fn transpose_strided<T: crate::real::Real>(
    src: &[T],
    src_rs: usize,
    dst: &mut [T],
    dst_rs: usize,
    rows: usize,
    cols: usize,
) {
    #[cfg(target_arch = "x86_64")]
    if active() != Simd::Portable {
        if let (Some(s), Some(d)) = (T::as_f32(src), T::as_f32_mut(dst)) {
            let (r8, c8) = x86::transpose_avx2(s, src_rs, d, dst_rs, rows, cols);
            transpose_4x4(src, src_rs, dst, dst_rs, (0, r8), (c8, cols));
            transpose_4x4(src, src_rs, dst, dst_rs, (r8, rows), (0, cols));
            return;
        }
    }
    transpose_4x4(src, src_rs, dst, dst_rs, (0, rows), (0, cols));
}

/// [`transpose_strided`] of rows `i0..i1` and columns `j0..j1`, four by four (four loads and
/// four stores of four values per block instead of sixteen of one), the edges one by one.
fn transpose_4x4<T: Copy>(
    src: &[T],
    src_rs: usize,
    dst: &mut [T],
    dst_rs: usize,
    (i0, i1): (usize, usize),
    (j0, j1): (usize, usize),
) {
    let (i4, j4) = (i1 - (i1 - i0) % 4, j1 - (j1 - j0) % 4);
    for bi in (i0..i4).step_by(4) {
        for bj in (j0..j4).step_by(4) {
            let row = |r: usize| -> [T; 4] {
                let at = (bi + r) * src_rs + bj;
                src[at..at + 4].try_into().expect("4 values")
            };
            let b = [row(0), row(1), row(2), row(3)];
            for t in 0..4 {
                let at = (bj + t) * dst_rs + bi;
                dst[at..at + 4].copy_from_slice(&[b[0][t], b[1][t], b[2][t], b[3][t]]);
            }
        }
    }
    for i in i0..i1 {
        let from = if i < i4 { j4 } else { j0 };
        for j in from..j1 {
            dst[j * dst_rs + i] = src[i * src_rs + j];
        }
    }
}

/// Run `work` in a function compiled for the active path ([`Simd::active`]), so that its plain
/// element-wise loops vectorise 16 f32 lanes wide (AVX-512) or 8 (AVX2) instead of SSE2's four.
/// The arithmetic is the same on every path (no reordering, no fused multiply-adds the source
/// does not ask for), so results do not depend on it.
#[inline(always)]
pub(crate) fn vectorized<P: Pointwise>(work: P) -> P::Output {
    #[cfg(target_arch = "x86_64")]
    match active() {
        // SAFETY: `active` returns only paths whose instruction sets were detected at run time,
        // which is all that these functions require.
        Simd::Avx512 => return unsafe { x86::with_avx512(work) },
        Simd::Avx2 => return unsafe { x86::with_avx2_fma(work) },
        Simd::Portable => {}
    }
    work.run()
}
