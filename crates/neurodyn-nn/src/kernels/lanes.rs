//! Vectors of lanes for element-wise formulas written once: [`Lane`] is a value of `WIDTH`
//! lanes with the four operations IEEE rounds the same way in every lane (add, subtract,
//! multiply by a constant, negate), so a formula over it gives the same bits whether it runs
//! as plain arrays (`[T; L]`, left to the compiler) or as AVX-512 / AVX2 registers.
//!
//! The arrays are the portable path, and the only one for f64. Written over arrays, a long
//! formula such as Winograd's 6-point transforms (`conv2d/winograd.rs`) was vectorised by the
//! compiler only in part: lanes moved between registers of three widths and spilled to the
//! stack. The register types here ([`F32x16`], [`F32x8`]) hold one vector each, and
//! [`lanes_f32`] runs work over them in a function compiled for the instruction set.

use super::{active, vectorized, Pointwise, Simd};
use crate::real::Real;

/// `WIDTH` values operated on together; every operation is the scalar one in each lane (no
/// fused multiply-add, no reordering).
pub(crate) trait Lane: Copy {
    /// The element type.
    type Elem: Real;
    /// Lanes.
    const WIDTH: usize;
    /// The first `WIDTH` values of `s`.
    fn load(s: &[Self::Elem]) -> Self;
    /// Into the first `WIDTH` values of `s`.
    fn store(self, s: &mut [Self::Elem]);
    /// Every lane 0.
    fn zero() -> Self;
    /// `self + o`.
    fn add(self, o: Self) -> Self;
    /// `self − o`.
    fn sub(self, o: Self) -> Self;
    /// `k · self`, `k` rounded to the element type first.
    fn scale(self, k: f64) -> Self;
    /// `−self` (the sign flipped: −0 from 0).
    fn neg(self) -> Self;
}

impl<T: Real, const L: usize> Lane for [T; L] {
    type Elem = T;
    const WIDTH: usize = L;
    #[inline(always)]
    fn load(s: &[T]) -> Self {
        s[..L].try_into().expect("L values")
    }
    #[inline(always)]
    fn store(self, s: &mut [T]) {
        s[..L].copy_from_slice(&self);
    }
    #[inline(always)]
    fn zero() -> Self {
        [T::c(0.0); L]
    }
    #[inline(always)]
    fn add(mut self, o: Self) -> Self {
        for (a, b) in self.iter_mut().zip(o) {
            *a += b;
        }
        self
    }
    #[inline(always)]
    fn sub(mut self, o: Self) -> Self {
        for (a, b) in self.iter_mut().zip(o) {
            *a -= b;
        }
        self
    }
    #[inline(always)]
    fn scale(mut self, k: f64) -> Self {
        let k = T::c(k);
        for a in &mut self {
            *a = k * *a;
        }
        self
    }
    #[inline(always)]
    fn neg(mut self) -> Self {
        for a in &mut self {
            *a = -*a;
        }
        self
    }
}

/// Work over lanes of `T`: [`LaneWork::run`] with the lane type the dispatcher picked.
/// Implementations mark `run` `#[inline(always)]` (see [`Pointwise`]).
pub(crate) trait LaneWork<T: Real> {
    /// What the work returns.
    type Output;
    /// Do the work with lanes `V`.
    fn run<V: Lane<Elem = T>>(self) -> Self::Output;
}

/// Run `work` over f32 lanes as wide as the active path has and `width` (the length of the
/// runs it operates on) is a multiple of: AVX-512 registers for multiples of 16, AVX2 for
/// multiples of 8, else as [`lanes_any`]. The bits do not depend on the choice.
#[inline(always)]
pub(crate) fn lanes_f32<W: LaneWork<f32>>(work: W, width: usize) -> W::Output {
    #[cfg(target_arch = "x86_64")]
    match active() {
        // SAFETY: `active` returns only paths whose instruction sets were detected at run time.
        Simd::Avx512 if width.is_multiple_of(16) => {
            return unsafe { x86_lanes::lanes_avx512(work) };
        }
        Simd::Avx512 | Simd::Avx2 if width.is_multiple_of(8) => {
            return unsafe { x86_lanes::lanes_avx2(work) };
        }
        _ => {}
    }
    lanes_any(work, width)
}

/// Run `work` over arrays of 16, 8 or 1 lanes (the widest that divides `width`), compiled for
/// the active path ([`vectorized`]).
#[inline(always)]
pub(crate) fn lanes_any<T: Real, W: LaneWork<T>>(work: W, width: usize) -> W::Output {
    if width.is_multiple_of(16) {
        vectorized(AsArrays::<T, W, 16>(work, std::marker::PhantomData))
    } else if width.is_multiple_of(8) {
        vectorized(AsArrays::<T, W, 8>(work, std::marker::PhantomData))
    } else {
        vectorized(AsArrays::<T, W, 1>(work, std::marker::PhantomData))
    }
}

/// [`LaneWork`] over `[T; L]` as [`Pointwise`] work.
struct AsArrays<T, W, const L: usize>(W, std::marker::PhantomData<T>);

impl<T: Real, W: LaneWork<T>, const L: usize> Pointwise for AsArrays<T, W, L> {
    type Output = W::Output;
    #[inline(always)]
    fn run(self) -> W::Output {
        self.0.run::<[T; L]>()
    }
}

/// The entry points, for the kernels' tests.
#[cfg(all(test, target_arch = "x86_64"))]
pub(super) use x86_lanes::{lanes_avx2, lanes_avx512};

#[cfg(target_arch = "x86_64")]
mod x86_lanes {
    use super::{Lane, LaneWork};
    use std::arch::x86_64::*;

    /// `work` over [`F32x16`] lanes inside a function compiled for AVX-512 (the caller checks
    /// the CPU).
    #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
    pub(in crate::kernels) unsafe fn lanes_avx512<W: LaneWork<f32>>(work: W) -> W::Output {
        work.run::<F32x16>()
    }

    /// `work` over [`F32x8`] lanes inside a function compiled for AVX2 (the caller checks the
    /// CPU).
    #[target_feature(enable = "avx2,fma")]
    pub(in crate::kernels) unsafe fn lanes_avx2<W: LaneWork<f32>>(work: W) -> W::Output {
        work.run::<F32x8>()
    }

    /// 16 f32 lanes in an AVX-512 register. Private to the kernels: values exist only inside
    /// work that [`super::lanes_f32`] runs after detecting AVX-512, which is what makes the
    /// safe methods below sound.
    #[derive(Clone, Copy)]
    pub(in crate::kernels) struct F32x16(__m512);

    /// 8 f32 lanes in an AVX register (AVX2 path, or AVX-512 for widths of 8 only); as
    /// [`F32x16`], values exist only inside work run after detecting AVX2.
    #[derive(Clone, Copy)]
    pub(in crate::kernels) struct F32x8(__m256);

    /// `Lane` for a register type from its intrinsics (loads, stores and arithmetic of one
    /// instruction set): the two impls differ in names only.
    macro_rules! register_lane {
        ($t:ident, $w:literal, $loadu:ident, $storeu:ident, $zero:ident,
         $add:ident, $sub:ident, $mul:ident, $set1:ident, $xor:ident) => {
            impl Lane for $t {
                type Elem = f32;
                const WIDTH: usize = $w;
                #[inline(always)]
                fn load(s: &[f32]) -> Self {
                    let s = &s[..$w];
                    // SAFETY: `WIDTH` values in bounds; the instruction set is present (see
                    // the type).
                    $t(unsafe { $loadu(s.as_ptr()) })
                }
                #[inline(always)]
                fn store(self, s: &mut [f32]) {
                    let s = &mut s[..$w];
                    // SAFETY: as `load`.
                    unsafe { $storeu(s.as_mut_ptr(), self.0) }
                }
                #[inline(always)]
                fn zero() -> Self {
                    // SAFETY: the instruction set is present (see the type); so below.
                    $t(unsafe { $zero() })
                }
                #[inline(always)]
                fn add(self, o: Self) -> Self {
                    $t(unsafe { $add(self.0, o.0) })
                }
                #[inline(always)]
                fn sub(self, o: Self) -> Self {
                    $t(unsafe { $sub(self.0, o.0) })
                }
                #[inline(always)]
                fn scale(self, k: f64) -> Self {
                    $t(unsafe { $mul($set1(k as f32), self.0) })
                }
                #[inline(always)]
                fn neg(self) -> Self {
                    // The sign bit flipped (xor with −0).
                    $t(unsafe { $xor(self.0, $set1(-0.0)) })
                }
            }
        };
    }

    register_lane!(
        F32x16,
        16,
        _mm512_loadu_ps,
        _mm512_storeu_ps,
        _mm512_setzero_ps,
        _mm512_add_ps,
        _mm512_sub_ps,
        _mm512_mul_ps,
        _mm512_set1_ps,
        _mm512_xor_ps
    );
    register_lane!(
        F32x8,
        8,
        _mm256_loadu_ps,
        _mm256_storeu_ps,
        _mm256_setzero_ps,
        _mm256_add_ps,
        _mm256_sub_ps,
        _mm256_mul_ps,
        _mm256_set1_ps,
        _mm256_xor_ps
    );
}
