//! `exp`, `ln_1p_unit` and `tanh` for f32 in plain arithmetic, so that loops over them vectorise.
//!
//! libm's `expf`, `expm1f`, `logf` and `tanhf` are calls the compiler cannot vectorise, and in
//! the gated cells they dominate a training step: at the benchmarks' GRU size (64 units, batch
//! 16, 100 steps) `expm1f`, `tanhf` and `expf` took 63 % of the time before these replaced them.
//! `ln_1p_unit` replaces `logf` in the softplus activation (a softplus CTRNN's step at that size:
//! 1.36 → 1.05 ms). The versions here are branch-free (both sides of every choice are computed
//! and one is selected), so an element-wise loop that calls them compiles to SIMD code, eight
//! lanes wide inside [`crate::kernels::vectorized`].
//!
//! Accuracy (checked over the whole range against f64 in `tests`): `exp` within 2 ulp for normal
//! results, `ln_1p_unit` within 2 ulp on [0, 1], `tanh` within 2·10⁻⁷ absolutely and 4 ulp
//! relatively. Special values follow libm: `exp` overflows to +∞ above ln(f32::MAX) and
//! underflows through subnormals to 0; NaN stays NaN. The arithmetic is the same on every x86-64
//! path (no fused multiply-adds the source does not ask for), and does not depend on the C
//! library, so results are reproducible across machines. The f64 engine (the gradient checks)
//! keeps the standard library's functions.

/// log₂ e.
const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split into a part exact in f32 (few mantissa bits) and the rest (Cody–Waite reduction).
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5·2²³: adding it rounds an f32 of magnitude below 2²² to an integer (to nearest, ties even)
/// without a rounding instruction SSE2 lacks; that integer then sits in the low mantissa bits.
const ROUND: f32 = 12_582_912.0;
/// Above this, e^x overflows f32.
const EXP_MAX: f32 = 88.722_84;
/// Below this, e^x rounds to zero even as a subnormal.
const EXP_MIN: f32 = -103.972_08;

/// e^x.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    // Clamp so that the exponent arithmetic below stays in range (`clamp` keeps NaN, where
    // `f32::max` would replace it).
    let xc = x.clamp(EXP_MIN, EXP_MAX);
    // x = n ln 2 + r, |r| ≤ ln 2 / 2.
    let t = xc * LOG2E + ROUND;
    let n = t - ROUND;
    let ni = t.to_bits() as i32 - ROUND.to_bits() as i32;
    let r = xc - n * LN2_HI - n * LN2_LO;
    // e^r on [−ln 2/2, ln 2/2]: degree-6 polynomial (Cephes' expf coefficients).
    let mut p = 1.987_569_2e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let y = p * (r * r) + r + 1.0;
    // Scale by 2ⁿ in two factors, each a normal f32 for n in [−150, 128].
    let h = ni >> 1;
    let s1 = f32::from_bits(((h + 127) as u32) << 23);
    let s2 = f32::from_bits(((ni - h + 127) as u32) << 23);
    let v = y * s1 * s2;
    if x > EXP_MAX {
        f32::INFINITY
    } else if x < EXP_MIN {
        0.0
    } else {
        v
    }
}

/// tanh x.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let a = x.abs();
    // Near zero, an odd polynomial (Cephes' tanhf coefficients), accurate in relative terms.
    let z = x * x;
    let mut p = -5.704_988_7e-3_f32;
    p = p * z + 2.063_909e-2;
    p = p * z - 5.373_971_6e-2;
    p = p * z + 1.333_144_2e-1;
    p = p * z - 3.333_328e-1;
    let small = p * z * a + a;
    // Elsewhere 1 − 2/(e^{2|x|} + 1) (e^{2|x|} = ∞ gives exactly 1).
    let big = 1.0 - 2.0 / (exp(2.0 * a) + 1.0);
    // tanh is odd: the sign of x, zero's included.
    if a < 0.625 { small } else { big }.copysign(x)
}

/// √2: `ln_1p_unit` halves 1 + y above it, so that the polynomial's argument stays in
/// [√½ − 1, √2 − 1].
const SQRT2: f32 = std::f32::consts::SQRT_2;

/// ln(1 + y) for y in [0, 1] (NaN stays NaN): what softplus needs, `ln(1 + e^{−|x|})`, in
/// few operations: 1 + y is in [1, 2], so it is 2ᵉ m with e = 0 or 1 and m in [√½, √2), and
/// ln(1 + y) = e ln 2 + ln m + c, where c = (y − (u − 1)) / u puts back the rounding of 1 + y.
/// (As a general ln(1 + x), the same reduction would need the exponent's bits, and that larger
/// body, called through the activation's closure, stayed a call instead of being inlined into
/// the element-wise loops, which then ran scalar: a softplus step took 3.5 ms against 1.4.)
#[inline(always)]
pub fn ln_1p_unit(y: f32) -> f32 {
    let u = 1.0 + y;
    let high = u > SQRT2;
    let m = if high { 0.5 * u } else { u };
    let e = if high { 1.0 } else { 0.0 };
    let c = (y - (u - 1.0)) / u;
    // ln(1 + f) = f − f²/2 + f³ P(f) on [√½ − 1, √2 − 1] (Cephes' logf coefficients).
    let f = m - 1.0;
    let z = f * f;
    let mut p = 7.037_683_6e-2_f32;
    p = p * f - 1.151_461e-1;
    p = p * f + 1.167_699_9e-1;
    p = p * f - 1.242_014_1e-1;
    p = p * f + 1.424_932_3e-1;
    p = p * f - 1.666_805_8e-1;
    p = p * f + 2.000_071_4e-1;
    p = p * f - 2.499_999_4e-1;
    p = p * f + 3.333_333e-1;
    let v = f * z * p + e * LN2_LO + c - 0.5 * z;
    f + v + e * LN2_HI
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in representable f32 values between two finite values of the same sign.
    fn ulps(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    /// Every 97th f32 bit pattern in `[lo, hi]` (both signs as given), about 10⁶ values per side.
    fn sweep(lo: f32, hi: f32) -> impl Iterator<Item = f32> {
        let (a, b) = (lo.to_bits(), hi.to_bits());
        let (a, b) = (a.min(b), a.max(b));
        (a..=b).step_by(97).map(f32::from_bits)
    }

    #[test]
    fn exp_is_within_two_ulp_wherever_the_result_is_normal() {
        let mut worst = 0;
        for x in sweep(1e-30, 88.72).chain(sweep(-1e-30, -87.3)) {
            let want = (x as f64).exp() as f32;
            let d = ulps(exp(x), want);
            assert!(d <= 2, "exp({x}) = {} against {want}", exp(x));
            worst = worst.max(d);
        }
        assert!(worst >= 1, "the sweep never met a rounding difference");
    }

    #[test]
    fn exp_handles_the_ends_of_the_range_as_libm_does() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(89.0), f32::INFINITY);
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(f32::MAX), f32::INFINITY);
        assert_eq!(exp(-104.0), 0.0);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert!(exp(f32::NAN).is_nan());
        // Subnormal results: the last bits go, as the value leaves the normal range.
        for x in [-88.0f32, -95.0, -100.0, -103.0] {
            let want = (x as f64).exp();
            let got = exp(x) as f64;
            assert!(
                (got - want).abs() <= 2.0 * f32::from_bits(1) as f64 + 1e-6 * want,
                "exp({x}) = {got:e} against {want:e}"
            );
        }
        let top = exp(88.72);
        assert!(top.is_finite() && top > 3.3e38, "exp(88.72) = {top:e}");
    }

    #[test]
    fn tanh_is_accurate_in_absolute_and_relative_terms() {
        for x in sweep(1e-30, 12.0).chain(sweep(-1e-30, -12.0)) {
            let want = (x as f64).tanh();
            let got = tanh(x) as f64;
            assert!(
                (got - want).abs() <= 2e-7,
                "tanh({x}) = {got} against {want}"
            );
            assert!(
                ulps(tanh(x), want as f32) <= 4,
                "tanh({x}) = {got} against {want}"
            );
        }
        for x in [
            0.0f32,
            -0.0,
            20.0,
            -20.0,
            1e30,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ] {
            assert_eq!(tanh(x), x.tanh(), "tanh({x})");
            assert_eq!(
                tanh(x).is_sign_negative(),
                x.is_sign_negative(),
                "sign of tanh({x})"
            );
        }
        assert!(tanh(f32::NAN).is_nan());
    }

    #[test]
    fn ln_1p_unit_is_within_two_ulp_on_its_range() {
        let mut worst = 0;
        for y in sweep(1e-30, 1.0) {
            let want = (y as f64).ln_1p() as f32;
            let d = ulps(ln_1p_unit(y), want);
            assert!(d <= 2, "ln_1p_unit({y}) = {} against {want}", ln_1p_unit(y));
            worst = worst.max(d);
        }
        assert!(worst >= 1, "the sweep never met a rounding difference");
        assert_eq!(ln_1p_unit(0.0), 0.0);
        assert_eq!(ln_1p_unit(1.0), std::f32::consts::LN_2);
        assert!(ln_1p_unit(f32::NAN).is_nan());
        // Subnormal y: ln(1 + y) = y.
        let tiny = f32::from_bits(5);
        assert_eq!(ln_1p_unit(tiny), tiny);
    }
}
