//! CTRNN (rate form) whose recurrent synapses have short-term facilitation and depression, the
//! rate version of Mongillo et al. 2008 / Masse et al. 2019 (primer eq. 48–49).
//!
//! Each presynaptic unit j carries an available-resource factor x_j (depression) and a utilisation
//! factor u_j (facilitation); its outgoing weights act as `W̃_ij u_j x_j`:
//!
//! ```text
//! dx/dt = (1 − x)/τ_x − u x r          du/dt = (U − u)/τ_u + U (1 − u) r
//! e_t   = u_{t−1} x_{t−1} r_{t−1}                       (effective presynaptic drive)
//! r_t   = (1−α) r_{t−1} + α f(W_in s_t + b + W_rec e_t) + √(2α) σ ξ
//! ```
//!
//! Euler steps of `dt` (seconds in the synaptic equations, where r counts as a rate in Hz), with
//! x and u clipped to [0, 1] as Masse et al. do (no gradient through a clipped value). The state
//! of a sample is `[r | d | φ]` with `d = 1 − x` (depletion) and `φ = u − U` (facilitation above
//! baseline), so that the zero state is the synapses at rest (x = 1, u = U) and the driver's zero
//! initial state needs no special case. Recorded rates are `r`.
//!
//! Per-unit constants (not trained): by default units alternate between facilitating
//! (τ_x 200 ms, τ_u 1500 ms, U 0.15) and depressing (τ_x 1500 ms, τ_u 200 ms, U 0.45) synapses,
//! Masse et al.'s values. Recurrent noise ξ ~ N(0, 1), per unit and step, is added in training
//! only, as in the rate-form CTRNN; it enters no derivative (α is fixed here). As there, it can
//! push a rate below zero for a step, and the drive `e` with it.
//!
//! Backward (g = ∂L/∂r_t, g_d, g_φ from the next step, zeroed where the value was clipped):
//! `∂pre = g α f'(pre)`, `∂e = ∂pre W_rec + β g_d` (β = dt in s), then through
//! `e = (U+φ)(1−d) r` to r, d and φ, plus each factor's own leak; `∂W_rec = Σ_t ∂pre_tᵀ e_t` as one
//! GEMM after the loop.

use crate::activation::{with_activation, Activation};
use crate::cell::{Cell, Seq, StepBwd, StepCtx, StepFwd};
use crate::cells::ctrnn_rows::noise_scale;
use crate::cells::rate_core::{deref_to_core, RateCore};
use crate::kernels::strided::{gemm_s, gemm_s_onto, sv, RecCopies};
use crate::kernels::Pointwise;
use crate::linalg::Trans;
use crate::params::{write_initial, ParamSpec};
use crate::real::Real;
use neurodyn_core::Rng;

/// Synaptic constants of one presynaptic unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Synapse {
    /// Recovery time constant of the resources x (ms).
    pub tau_x_ms: f64,
    /// Decay time constant of the utilisation u (ms).
    pub tau_u_ms: f64,
    /// Baseline utilisation U.
    pub u_base: f64,
}

impl Synapse {
    /// Masse et al. 2019's facilitating synapse.
    pub const FACILITATING: Synapse = Synapse {
        tau_x_ms: 200.0,
        tau_u_ms: 1500.0,
        u_base: 0.15,
    };
    /// Masse et al. 2019's depressing synapse.
    pub const DEPRESSING: Synapse = Synapse {
        tau_x_ms: 1500.0,
        tau_u_ms: 200.0,
        u_base: 0.45,
    };
}

/// A CTRNN with short-term synaptic plasticity. Build it with [`StpCtrnn::new`]; the fields it
/// shares with the other rate cells are in [`RateCore`], which it dereferences to.
pub struct StpCtrnn<T> {
    /// Sizes, nonlinearity, noise, input and recurrent weights.
    pub core: RateCore<T>,
    /// Membrane time constant (ms).
    pub tau_ms: f64,
    /// Synaptic constants per presynaptic unit.
    pub synapses: Vec<Synapse>,
}

deref_to_core!(StpCtrnn);

impl<T: Real> StpCtrnn<T> {
    /// ReLU units with PyTorch-default initial weights and alternating facilitating and
    /// depressing synapses.
    pub fn new(n_in: usize, n_rec: usize, dt_ms: f64, tau_ms: f64, rng: &mut Rng) -> Self {
        StpCtrnn {
            core: RateCore::new(n_in, n_rec, dt_ms, rng),
            tau_ms,
            synapses: (0..n_rec)
                .map(|j| {
                    if j % 2 == 0 {
                        Synapse::FACILITATING
                    } else {
                        Synapse::DEPRESSING
                    }
                })
                .collect(),
        }
    }

    // eff layout: [w_in (H, n_in) | b (H) | w_rec (H, H) | β/τ_x, β/τ_u, U per unit (3H) | copies
    // of w_rec for the per-step products (`RecCopies`)]; ∂eff stops before the constants.
    fn offs(&self) -> [usize; 4] {
        self.core.offs()
    }

    fn copies(&self) -> RecCopies {
        RecCopies {
            g: self.n_rec,
            h: self.n_rec,
        }
    }

    /// The per-unit constants `[β/τ_x | β/τ_u | U]` and the copies of W_rec, from `eff`.
    fn split_eff<'e>(&self, eff: &'e [T]) -> (Consts<'e, T>, &'e [T]) {
        let h = self.n_rec;
        let (c, copies) = eff[self.offs()[3]..].split_at(3 * h);
        let (kx, rest) = c.split_at(h);
        let (ku, u_base) = rest.split_at(h);
        (
            Consts {
                alpha: T::c(self.dt_ms / self.tau_ms),
                beta: T::c(self.dt_ms / 1000.0),
                kx,
                ku,
                u_base,
            },
            copies,
        )
    }

    /// Euler factors of unit j: (β = dt in s, β/τ_x, β/τ_u, U).
    fn consts(&self, j: usize) -> (T, T, T, T) {
        let s = self.synapses[j];
        let beta = self.dt_ms / 1000.0;
        (
            T::c(beta),
            T::c(self.dt_ms / s.tau_x_ms),
            T::c(self.dt_ms / s.tau_u_ms),
            T::c(s.u_base),
        )
    }
}

impl<T: Real> Cell<T> for StpCtrnn<T> {
    fn kind(&self) -> &'static str {
        "stp-ctrnn"
    }
    fn n_in(&self) -> usize {
        self.n_in
    }
    fn n_units(&self) -> usize {
        self.n_rec
    }
    fn state_len(&self) -> usize {
        3 * self.n_rec
    }
    fn input_width(&self) -> usize {
        self.n_rec
    }
    fn cache_len(&self) -> usize {
        // [pre | e]
        2 * self.n_rec
    }
    fn noise_len(&self) -> usize {
        self.core.noise_len()
    }
    fn param_specs(&self) -> Vec<ParamSpec> {
        self.core.param_specs()
    }
    fn init(&self, params: &mut [T], _buffers: &mut [T], _rng: &mut Rng) {
        write_initial(params, &self.param_specs(), &self.core.initial());
    }
    fn eff_len(&self) -> usize {
        self.offs()[3] + 3 * self.n_rec + self.copies().len()
    }
    fn grad_len(&self) -> usize {
        self.offs()[3]
    }
    fn prepare(&self, params: &[T], eff: &mut [T]) {
        let (h, o) = (self.n_rec, self.offs());
        self.core.prepare(params, eff);
        let (head, rest) = eff.split_at_mut(o[3]);
        let (consts, copies) = rest.split_at_mut(3 * h);
        for j in 0..h {
            let (_, kx, ku, u_base) = self.consts(j);
            consts[j] = kx;
            consts[h + j] = ku;
            consts[2 * h + j] = u_base;
        }
        self.copies().write(&head[o[2]..], copies);
    }
    fn input_offsets(&self) -> (usize, usize) {
        let o = self.offs();
        (o[0], o[1])
    }
    fn state_blocks(&self) -> Vec<&'static str> {
        vec!["depletion", "facilitation"]
    }
    fn dt_ms(&self) -> Option<f64> {
        // Euler steps of the rate, depletion and facilitation equations. A variable clipped at
        // its bound has a zero Jacobian row, which shows as a mode with μ = 0 (λ = −1/dt).
        Some(self.core.dt_ms)
    }
    fn rates_of_state(&self, s: &[T], rates: &mut [T]) {
        let h = self.n_rec;
        for (r, row) in rates.chunks_exact_mut(h).zip(s.chunks_exact(3 * h)) {
            r.copy_from_slice(&row[..h]);
        }
    }

    fn step(&self, eff: &[T], ctx: StepCtx, mut io: StepFwd<'_, T>) {
        let (h, b) = (self.n_rec, ctx.batch);
        let (k, copies) = self.split_eff(eff);
        // e = (U + φ)(1 − d) r into the second half of each cache row, and a copy in `r_next`
        // for the product (the e block and the pre block share each cache row; `r_next` is
        // overwritten below).
        crate::kernels::vectorized(Drive { k, io: &mut io });
        // pre = U_t + e W_recᵀ into the first half.
        gemm_s_onto(
            io.cache,
            b,
            h,
            2 * h,
            sv(io.u, b, h, h),
            sv(io.r_next, b, h, h),
            Trans::N,
            self.copies().w_t(copies),
            Trans::N,
            ctx.threads,
        );
        let noisy = ctx.training && self.sigma_rec > 0.0 && !io.noise.is_empty();
        let sigma = T::c(noise_scale(k.alpha.f(), self.sigma_rec));
        crate::kernels::vectorized(Fwd {
            f: self.activation,
            k,
            noise: noisy.then_some(sigma),
            io: &mut io,
        });
    }

    fn backward_step(&self, eff: &[T], ctx: StepCtx, mut io: StepBwd<'_, T>) {
        let (h, b) = (self.n_rec, ctx.batch);
        let (k, copies) = self.split_eff(eff);
        let w_rec = self
            .copies()
            .w(&eff[self.offs()[2]..self.offs()[3]], copies);
        // ∂pre = (∂r_t) α f'(pre) = ∂U_t.
        crate::kernels::vectorized(BwdPre {
            f: self.activation,
            k,
            io: &mut io,
        });
        // ∂e = ∂pre W_rec (+ β g_d below), written into the r block of ∂s_{t−1} first.
        gemm_s(
            io.d_s_prev,
            b,
            h,
            3 * h,
            sv(io.d_u, b, h, h),
            Trans::N,
            w_rec,
            Trans::N,
            false,
            ctx.threads,
        );
        crate::kernels::vectorized(BwdState { k, io: &mut io });
    }

    fn jacobian(&self, eff: &[T], s_prev: &[T], u: &[T], out: &mut [T]) -> bool {
        // With e_j = (U_j + φ_j)(1 − d_j) r_j and ∂e_j/∂(r_j, d_j, φ_j) = ((U+φ)(1−d), −(U+φ)r,
        // (1−d)r): the r rows are (1−α)I + diag(α f'(pre)) W ∂e/∂s, the d and φ rows are each
        // unit's own Euler update (zero where the new value is clipped), as in `backward_step`.
        let h = self.n_rec;
        let n = 3 * h;
        let (one, zero) = (T::c(1.0), T::c(0.0));
        let alpha = T::c(self.dt_ms / self.tau_ms);
        let f = self.activation;
        let w = &eff[self.offs()[2]..self.offs()[3]];
        let (r, rest) = s_prev.split_at(h);
        let (d, phi) = rest.split_at(h);
        let de: Vec<[T; 3]> = (0..h)
            .map(|j| {
                let uj = self.consts(j).3 + phi[j];
                [uj * (one - d[j]), -uj * r[j], (one - d[j]) * r[j]]
            })
            .collect();
        let e: Vec<T> = (0..h)
            .map(|j| de[j][2] * (self.consts(j).3 + phi[j]))
            .collect();
        out[..n * n].iter_mut().for_each(|v| *v = zero);
        for i in 0..h {
            let pre = u[i] + (0..h).map(|j| w[i * h + j] * e[j]).sum::<T>();
            let g = alpha * f.df(pre);
            let row = &mut out[i * n..(i + 1) * n];
            for j in 0..h {
                for (b, &dv) in de[j].iter().enumerate() {
                    row[b * h + j] = g * w[i * h + j] * dv;
                }
            }
            row[i] += one - alpha;
        }
        for j in 0..h {
            let (beta, kx, ku, u_base) = self.consts(j);
            let d_raw = depletion_step(d[j], kx, beta, e[j]);
            if d_raw >= zero && d_raw <= one {
                let row = &mut out[(h + j) * n..(h + j + 1) * n];
                row[j] = beta * de[j][0];
                row[h + j] = one - kx + beta * de[j][1];
                row[2 * h + j] = beta * de[j][2];
            }
            let uj = u_base + phi[j];
            let phi_raw = facilitation_step(phi[j], ku, beta, u_base, r[j]);
            if phi_raw >= -u_base && phi_raw <= one - u_base {
                let row = &mut out[(2 * h + j) * n..(2 * h + j + 1) * n];
                row[j] = beta * u_base * (one - uj);
                row[2 * h + j] = one - ku - beta * u_base * r[j];
            }
        }
        true
    }

    fn finish_backward(&self, _eff: &[T], ctx: StepCtx, seq: Seq<'_, T>, d_eff: &mut [T]) {
        // ∂W_rec = Σ_t ∂pre_tᵀ e_t, e_t in the second half of every cache row.
        let (h, tb) = (self.n_rec, seq.n_steps * seq.batch);
        self.core
            .add_w_rec_grad(d_eff, seq.d_u, (&seq.cache[h..], 2 * h), tb, ctx.threads);
    }

    fn backprop_params(&self, params: &[T], d_eff: &[T], d_params: &mut [T]) {
        self.core.backprop(params, d_eff, d_params);
    }
}

/// The depletion's Euler step before clipping: `d − k_x d + β e` (k_x = dt/τ_x); the step keeps
/// it clipped to [0, 1], and no gradient passes where it was clipped.
#[inline(always)]
fn depletion_step<T: Real>(d: T, kx: T, beta: T, e: T) -> T {
    d - kx * d + beta * e
}

/// The facilitation's Euler step before clipping: `φ − k_u φ + β U (1 − u) r` with u = U + φ
/// (k_u = dt/τ_u); the step keeps it clipped to [−U, 1 − U].
#[inline(always)]
fn facilitation_step<T: Real>(phi: T, ku: T, beta: T, u_base: T, r: T) -> T {
    let u = u_base + phi;
    phi - ku * phi + beta * u_base * (T::c(1.0) - u) * r
}

/// The per-unit constants of a step, read from the effective weights.
#[derive(Clone, Copy)]
struct Consts<'e, T> {
    alpha: T,
    beta: T,
    kx: &'e [T],
    ku: &'e [T],
    u_base: &'e [T],
}

/// The presynaptic drive `e = (U + φ)(1 − d) r` of a forward step, for
/// [`crate::kernels::vectorized`].
struct Drive<'c, 'a, T> {
    k: Consts<'c, T>,
    io: &'c mut StepFwd<'a, T>,
}

impl<T: Real> Pointwise for Drive<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let (k, io) = (self.k, self.io);
        let h = k.kx.len();
        let one = T::c(1.0);
        for ((c, s), copy) in io
            .cache
            .chunks_exact_mut(2 * h)
            .zip(io.s_prev.chunks_exact(3 * h))
            .zip(io.r_next.chunks_exact_mut(h))
        {
            let (r, rest) = s.split_at(h);
            let (d, phi) = rest.split_at(h);
            let e = &mut c[h..];
            for j in 0..h {
                e[j] = (k.u_base[j] + phi[j]) * (one - d[j]) * r[j];
            }
            copy.copy_from_slice(e);
        }
    }
}

/// The element-wise part of a forward step after the recurrent product, for
/// [`crate::kernels::vectorized`]; `noise` is the noise's scale when the step is noisy.
struct Fwd<'c, 'a, T> {
    f: Activation,
    k: Consts<'c, T>,
    noise: Option<T>,
    io: &'c mut StepFwd<'a, T>,
}

impl<T: Real> Pointwise for Fwd<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let (k, io) = (self.k, self.io);
        let h = k.kx.len();
        let (one, zero) = (T::c(1.0), T::c(0.0));
        with_activation!(self.f, |act, _d| {
            for (n, ((sn, rn), (sp, c))) in io
                .s_next
                .chunks_exact_mut(3 * h)
                .zip(io.r_next.chunks_exact_mut(h))
                .zip(
                    io.s_prev
                        .chunks_exact(3 * h)
                        .zip(io.cache.chunks_exact(2 * h)),
                )
                .enumerate()
            {
                let (r, rest) = sp.split_at(h);
                let (d, phi) = rest.split_at(h);
                let (pre, e) = c.split_at(h);
                let (r_new, rest) = sn.split_at_mut(h);
                let (d_new, phi_new) = rest.split_at_mut(h);
                for j in 0..h {
                    r_new[j] = (one - k.alpha) * r[j] + k.alpha * act(pre[j]);
                }
                if let Some(sigma) = self.noise {
                    for (v, &xi) in r_new.iter_mut().zip(&io.noise[n * h..(n + 1) * h]) {
                        *v += sigma * xi;
                    }
                }
                // d = 1 − x ∈ [0, 1], φ = u − U ∈ [−U, 1 − U].
                for j in 0..h {
                    d_new[j] = depletion_step(d[j], k.kx[j], k.beta, e[j])
                        .max(zero)
                        .min(one);
                }
                for j in 0..h {
                    let ub = k.u_base[j];
                    phi_new[j] = facilitation_step(phi[j], k.ku[j], k.beta, ub, r[j])
                        .max(-ub)
                        .min(one - ub);
                }
                rn.copy_from_slice(r_new);
            }
        })
    }
}

/// `∂pre = (∂r_t) α f'(pre)` of a backward step, for [`crate::kernels::vectorized`].
struct BwdPre<'c, 'a, T> {
    f: Activation,
    k: Consts<'c, T>,
    io: &'c mut StepBwd<'a, T>,
}

impl<T: Real> Pointwise for BwdPre<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let (alpha, io) = (self.k.alpha, self.io);
        let h = self.k.kx.len();
        with_activation!(self.f, |_a, dact| {
            for ((du, dr), (gn, c)) in io.d_u.chunks_exact_mut(h).zip(io.d_r.chunks_exact(h)).zip(
                io.d_s_next
                    .chunks_exact(3 * h)
                    .zip(io.cache.chunks_exact(2 * h)),
            ) {
                for j in 0..h {
                    du[j] = (gn[j] + dr[j]) * alpha * dact(c[j]);
                }
            }
        })
    }
}

/// The element-wise part of a backward step after the recurrent product (∂e is in the r block of
/// ∂s_{t−1}), for [`crate::kernels::vectorized`], in passes. The first two, which write one block of
/// the row and read other buffers, vectorise; the last three read and write blocks of the same
/// row, which the compiler does not vectorise (nor did copies into locals help: slower).
struct BwdState<'c, 'a, T> {
    k: Consts<'c, T>,
    io: &'c mut StepBwd<'a, T>,
}

impl<T: Real> Pointwise for BwdState<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let (k, io) = (self.k, self.io);
        let h = k.kx.len();
        let (one, zero) = (T::c(1.0), T::c(0.0));
        let (alpha, beta) = (k.alpha, k.beta);
        let (kx, ku, ub) = (k.kx, k.ku, k.u_base);
        let inside = |v: T, lo: T, hi: T| if v >= lo && v <= hi { one } else { zero };
        for (((sp, gn), (c, dr)), out) in io
            .s_prev
            .chunks_exact(3 * h)
            .zip(io.d_s_next.chunks_exact(3 * h))
            .zip(io.cache.chunks_exact(2 * h).zip(io.d_r.chunks_exact(h)))
            .zip(io.d_s_prev.chunks_exact_mut(3 * h))
        {
            let (r, rest) = sp.split_at(h);
            let (d, phi) = rest.split_at(h);
            let (gn_r, rest) = gn.split_at(h);
            let (gn_d, gn_phi) = rest.split_at(h);
            let e = &c[h..];
            let (out_r, rest) = out.split_at_mut(h);
            let (out_d, out_phi) = rest.split_at_mut(h);
            // Gradients reaching φ_t and d_t, zero where the value was clipped.
            for j in 0..h {
                let u_base = ub[j];
                let phi_raw = facilitation_step(phi[j], ku[j], beta, u_base, r[j]);
                out_phi[j] = gn_phi[j] * inside(phi_raw, -u_base, one - u_base);
            }
            for j in 0..h {
                let d_raw = depletion_step(d[j], kx[j], beta, e[j]);
                out_d[j] = gn_d[j] * inside(d_raw, zero, one);
            }
            // g_e = ∂e + β g_d.
            for j in 0..h {
                out_r[j] += beta * out_d[j];
            }
            for j in 0..h {
                let u = ub[j] + phi[j];
                out_d[j] = -out_r[j] * u * r[j] + out_d[j] * (one - kx[j]);
            }
            for j in 0..h {
                let (u_base, dj, rj, g_e, g_phi) = (ub[j], d[j], r[j], out_r[j], out_phi[j]);
                let u = u_base + phi[j];
                let g_r = gn_r[j] + dr[j];
                out_r[j] =
                    g_e * u * (one - dj) + (one - alpha) * g_r + g_phi * beta * u_base * (one - u);
                out_phi[j] = g_e * (one - dj) * rj + g_phi * (one - ku[j] - beta * u_base * rj);
            }
        }
    }
}
