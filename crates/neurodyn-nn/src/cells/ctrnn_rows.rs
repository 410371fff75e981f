//! The per-sample element-wise loops of the CTRNN step ([`super::ctrnn`]), forward and backward,
//! for each of its three forms.
//!
//! Each function takes every row as its own slice argument: inlined into the cell's step, the
//! slices keep their no-alias facts, which lets the compiler vectorise the loops (fields reached
//! through a `&mut StepFwd` carry no such facts). `NOISY` and `TAU` select the optional noise and
//! learned-τ terms at compile time. All are `#[inline(always)]` so that they compile into the
//! AVX2 function of [`crate::kernels::vectorized`].

use crate::real::Real;

/// The recurrent noise's standard deviation per step, `√(2α) σ`.
pub(super) fn noise_scale(alpha: f64, sigma: f64) -> f64 {
    (2.0 * alpha).sqrt() * sigma
}

/// Sample `s`'s noise row, or an empty slice when the step is noiseless.
#[inline(always)]
pub(super) fn noise_row<T>(noise: &[T], noisy: bool, s: usize, h: usize) -> &[T] {
    if noisy {
        &noise[s * h..(s + 1) * h]
    } else {
        &[]
    }
}

/// Rate form: `r = (1−α) r_prev + α f(pre) [+ √(2α) σ ξ]`.
#[inline(always)]
pub(super) fn rate_fwd<T: Real, const NOISY: bool>(
    alpha: &[T],
    pre: &[T],
    rp: &[T],
    xi: &[T],
    sigma: f64,
    sn: &mut [T],
    rn: &mut [T],
    act: impl Fn(T) -> T,
) {
    let h = alpha.len();
    let (pre, rp, sn, rn) = (&pre[..h], &rp[..h], &mut sn[..h], &mut rn[..h]);
    let one = T::c(1.0);
    for i in 0..h {
        let a = alpha[i];
        let mut r = (one - a) * rp[i] + a * act(pre[i]);
        if NOISY {
            r += T::c(noise_scale(a.f(), sigma)) * xi[i];
        }
        sn[i] = r;
        rn[i] = r;
    }
}

/// Tutorial form: `z = (1−α) r_prev + α pre [+ √(2α) σ ξ]`, `r = f(z)`; keeps z.
#[inline(always)]
pub(super) fn tutorial_fwd<T: Real, const NOISY: bool>(
    alpha: &[T],
    pre: &[T],
    rp: &[T],
    xi: &[T],
    sigma: f64,
    z_out: &mut [T],
    sn: &mut [T],
    rn: &mut [T],
    act: impl Fn(T) -> T,
) {
    let h = alpha.len();
    let (pre, rp) = (&pre[..h], &rp[..h]);
    let (z_out, sn, rn) = (&mut z_out[..h], &mut sn[..h], &mut rn[..h]);
    let one = T::c(1.0);
    for i in 0..h {
        let a = alpha[i];
        let mut z = (one - a) * rp[i] + a * pre[i];
        if NOISY {
            z += T::c(noise_scale(a.f(), sigma)) * xi[i];
        }
        z_out[i] = z;
        let r = act(z);
        sn[i] = r;
        rn[i] = r;
    }
}

/// ∂(noise term)/∂α = σ ξ / √(2α), so that a learned τ sees the noise's dependence on α.
#[inline(always)]
pub(super) fn d_noise<T: Real, const NOISY: bool>(a: T, xi: &[T], i: usize, sigma: f64) -> T {
    if NOISY {
        T::c(sigma) * xi[i] * T::c(0.5) * T::c(2.0).sqrt() / a.sqrt()
    } else {
        T::c(0.0)
    }
}

/// Rate form backward, `g = ∂s + ∂r`: `∂pre = g α f'(pre)`, `∂s_prev = (1−α) g` (before the
/// recurrent product), and with `TAU` `∂α += g (f(pre) − r_prev + ∂noise/∂α)`.
#[inline(always)]
pub(super) fn rate_bwd<T: Real, const TAU: bool, const NOISY: bool>(
    alpha: &[T],
    (ds, dr): (&[T], &[T]),
    pre: &[T],
    rp: &[T],
    xi: &[T],
    sigma: f64,
    du: &mut [T],
    dsp: &mut [T],
    d_alpha: &mut [T],
    act: impl Fn(T) -> T,
    dact: impl Fn(T) -> T,
) {
    let h = alpha.len();
    let (ds, dr, pre, rp) = (&ds[..h], &dr[..h], &pre[..h], &rp[..h]);
    let (du, dsp, d_alpha) = (&mut du[..h], &mut dsp[..h], &mut d_alpha[..h]);
    let one = T::c(1.0);
    for i in 0..h {
        let a = alpha[i];
        let g = ds[i] + dr[i];
        du[i] = g * a * dact(pre[i]);
        dsp[i] = (one - a) * g;
        if TAU {
            d_alpha[i] += g * (act(pre[i]) - rp[i] + d_noise::<T, NOISY>(a, xi, i, sigma));
        }
    }
}

/// Tutorial form backward: `∂z = (∂s + ∂r) f'(z)`, `∂pre = α ∂z`, `∂s_prev = (1−α) ∂z` (before
/// the recurrent product), and with `TAU` `∂α += ∂z (pre − r_prev + ∂noise/∂α)`.
#[inline(always)]
pub(super) fn tutorial_bwd<T: Real, const TAU: bool, const NOISY: bool>(
    alpha: &[T],
    (ds, dr): (&[T], &[T]),
    pre: &[T],
    z: &[T],
    rp: &[T],
    xi: &[T],
    sigma: f64,
    du: &mut [T],
    dsp: &mut [T],
    d_alpha: &mut [T],
    dact: impl Fn(T) -> T,
) {
    let h = alpha.len();
    let (ds, dr, pre, z, rp) = (&ds[..h], &dr[..h], &pre[..h], &z[..h], &rp[..h]);
    let (du, dsp, d_alpha) = (&mut du[..h], &mut dsp[..h], &mut d_alpha[..h]);
    let one = T::c(1.0);
    for i in 0..h {
        let a = alpha[i];
        let dz = (ds[i] + dr[i]) * dact(z[i]);
        du[i] = a * dz;
        dsp[i] = (one - a) * dz;
        if TAU {
            d_alpha[i] += dz * (pre[i] - rp[i] + d_noise::<T, NOISY>(a, xi, i, sigma));
        }
    }
}

/// State form: `x = (1−α) x_prev + α pre [+ √(2α) σ ξ]`, `r = f(x)`.
#[inline(always)]
pub(super) fn state_fwd<T: Real, const NOISY: bool>(
    alpha: &[T],
    xp: &[T],
    pre: &[T],
    xi: &[T],
    sigma: f64,
    sn: &mut [T],
    rn: &mut [T],
    act: impl Fn(T) -> T,
) {
    let h = alpha.len();
    let (xp, pre, sn, rn) = (&xp[..h], &pre[..h], &mut sn[..h], &mut rn[..h]);
    let one = T::c(1.0);
    for i in 0..h {
        let a = alpha[i];
        let mut x = (one - a) * xp[i] + a * pre[i];
        if NOISY {
            x += T::c(noise_scale(a.f(), sigma)) * xi[i];
        }
        sn[i] = x;
        rn[i] = act(x);
    }
}

/// State form backward, before the recurrent product: `∂x = ∂s + ∂r f'(x)`, `∂pre = α ∂x`,
/// `∂α += ∂x (pre − x_prev + ∂noise/∂α)`, and `∂s_prev` cleared for the product.
#[inline(always)]
pub(super) fn state_bwd<T: Real, const NOISY: bool>(
    alpha: &[T],
    (ds, dr): (&[T], &[T]),
    (x, xp, pre): (&[T], &[T], &[T]),
    xi: &[T],
    sigma: f64,
    du: &mut [T],
    dsp: &mut [T],
    d_alpha: &mut [T],
    dact: impl Fn(T) -> T,
) {
    let h = alpha.len();
    let (ds, dr, x, xp, pre) = (&ds[..h], &dr[..h], &x[..h], &xp[..h], &pre[..h]);
    let (du, dsp, d_alpha) = (&mut du[..h], &mut dsp[..h], &mut d_alpha[..h]);
    for i in 0..h {
        let a = alpha[i];
        let dx = ds[i] + dr[i] * dact(x[i]);
        du[i] = a * dx;
        d_alpha[i] += dx * (pre[i] - xp[i] + d_noise::<T, NOISY>(a, xi, i, sigma));
        dsp[i] = T::c(0.0);
    }
}

/// State form backward, after the recurrent product `∂pre W_rec` is in `dsp`:
/// `∂x_prev = (∂pre W_rec) f'(x_prev) + (1−α) ∂x`.
#[inline(always)]
pub(super) fn state_bwd_tail<T: Real>(
    alpha: &[T],
    (ds, dr): (&[T], &[T]),
    (x, xp): (&[T], &[T]),
    dsp: &mut [T],
    dact: impl Fn(T) -> T,
) {
    let h = alpha.len();
    let (ds, dr, x, xp, dsp) = (&ds[..h], &dr[..h], &x[..h], &xp[..h], &mut dsp[..h]);
    let one = T::c(1.0);
    for i in 0..h {
        let dx = ds[i] + dr[i] * dact(x[i]);
        dsp[i] = dsp[i] * dact(xp[i]) + (one - alpha[i]) * dx;
    }
}
