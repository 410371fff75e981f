//! The scalar type the engine is generic over: `f32` for training, `f64` for gradient checks.
//!
//! Every kernel is written once over [`Real`], so the finite-difference gradient checks in f64
//! exercise exactly the code that trains in f32.

use std::fmt::Debug;
use std::iter::Sum;

/// A floating-point scalar usable by the engine and by faer's GEMM.
pub trait Real:
    faer::traits::RealField
    + Copy
    + Default
    + Debug
    + Send
    + Sync
    + Sum
    + std::ops::Neg<Output = Self>
    + 'static
{
    /// Convert from f64 (rounding for f32).
    fn c(v: f64) -> Self;
    /// Convert to f64.
    fn f(self) -> f64;
    /// e^x.
    fn exp(self) -> Self;
    /// ln x.
    fn ln(self) -> Self;
    /// ln(1 + x) for x in [0, 1] (what softplus needs).
    fn ln_1p_unit(self) -> Self;
    /// tanh x.
    fn tanh(self) -> Self;
    /// √x.
    fn sqrt(self) -> Self;
    /// |x|.
    fn abs(self) -> Self;
    /// x^p.
    fn powf(self, p: Self) -> Self;
    /// max(x, y).
    fn max(self, o: Self) -> Self;
    /// min(x, y).
    fn min(self, o: Self) -> Self;
    /// Whether finite.
    fn is_finite(self) -> bool;
    /// The slice as f32 when `Self` is f32 (the engine's AVX2 kernels are f32-only).
    fn as_f32(s: &[Self]) -> Option<&[f32]>;
    /// Mutable [`Real::as_f32`].
    fn as_f32_mut(s: &mut [Self]) -> Option<&mut [f32]>;
}

macro_rules! impl_real {
    ($t:ty, $exp:path, $ln_1p_unit:path, $tanh:path, |$s:ident| $as32:expr) => {
        impl Real for $t {
            #[inline(always)]
            fn c(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn f(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn ln_1p_unit(self) -> Self {
                $ln_1p_unit(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                $tanh(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn powf(self, p: Self) -> Self {
                <$t>::powf(self, p)
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                <$t>::max(self, o)
            }
            #[inline(always)]
            fn min(self, o: Self) -> Self {
                <$t>::min(self, o)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline(always)]
            fn as_f32($s: &[Self]) -> Option<&[f32]> {
                $as32
            }
            #[inline(always)]
            fn as_f32_mut($s: &mut [Self]) -> Option<&mut [f32]> {
                $as32
            }
        }
    };
}
// f32 takes the engine's own exp, ln_1p_unit and tanh, which vectorise (see `math32`); f64 the
// standard ones.
impl_real!(
    f32,
    crate::math32::exp,
    crate::math32::ln_1p_unit,
    crate::math32::tanh,
    |s| Some(s)
);
impl_real!(f64, f64::exp, f64::ln_1p, f64::tanh, |s| {
    let _ = s;
    None
});
