//! Continuous-time rate RNN (CTRNN), Euler-discretised with α = dt/τ, in three forms.
//!
//! ```text
//! rate  (nn-brain):          r_t = (1−α) r_{t−1} + α f(W_in u_t + W_rec r_{t−1} + b) + √(2α) σ ξ
//! tutorial (NeuroGym/nn-brain
//!   tutorial code):          r_t = f((1−α) r_{t−1} + α (W_in u_t + W_rec r_{t−1} + b) + √(2α) σ ξ)
//! state (Song et al. 2016,
//!   PsychRNN):               x_t = (1−α) x_{t−1} + α (W_rec f(x_{t−1}) + W_in u_t + b) + √(2α) σ ξ,
//!                            r_t = f(x_t)
//! ```
//!
//! α may differ per unit (per-unit τ), fixed or learned (parameter `log_tau`, so τ stays
//! positive; τ is clamped to ≥ dt after each optimizer step so that α ≤ 1). Recurrent noise
//! ξ ~ N(0, 1) is drawn per unit and step in training only. Dale's law, sparse connectivity and
//! fixed weights enter through [`crate::constraint::Constraint`]s on `w_in` and `w_rec`.
//!
//! Backward (rate form, g = ∂L/∂r_t): `∂pre = g α f'(pre)`, `∂r_{t−1} = (1−α) g + ∂pre W_rec`,
//! `∂α = Σ g (f(pre) − r_{t−1})`, and `∂W_rec = Σ_t ∂pre_tᵀ r_{t−1}` as one GEMM after the loop.

use crate::activation::{with_activation, Activation};
use crate::cell::{Cell, Seq, StepBwd, StepCtx, StepFwd};
use crate::cells::ctrnn_rows::{
    noise_row, rate_bwd, rate_fwd, state_bwd, state_bwd_tail, state_fwd, tutorial_bwd, tutorial_fwd,
};
use crate::cells::rate_core::{deref_to_core, RateCore};
use crate::kernels::strided::{gemm_s, gemm_s_onto, sv, RecCopies};
use crate::kernels::Pointwise;
use crate::linalg::Trans;
use crate::params::{write_initial, ParamSpec};
use crate::real::Real;
use neurodyn_core::Rng;
use serde::{Deserialize, Serialize};

/// Which discretisation of the leaky rate equation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CtrnnForm {
    /// r ← (1−α) r + α f(pre).
    #[default]
    Rate,
    /// r ← f((1−α) r + α pre), the NeuroGym tutorial's code.
    Tutorial,
    /// x ← (1−α) x + α (W_rec f(x) + W_in u + b), r = f(x) (Song et al. 2016).
    State,
}

/// A CTRNN cell. Build it with [`Ctrnn::new`] and set the public fields for constraints; the
/// fields it shares with the other rate cells (sizes, activation, noise, weights and their
/// constraints) are in [`RateCore`], which it dereferences to.
pub struct Ctrnn<T> {
    /// Sizes, nonlinearity, noise, input and recurrent weights.
    pub core: RateCore<T>,
    /// Form of the update.
    pub form: CtrnnForm,
    /// Time constant per unit (ms), initial values when learned.
    pub tau_ms: Vec<f64>,
    /// Learn τ per unit.
    pub learn_tau: bool,
}

deref_to_core!(Ctrnn);

impl<T: Real> Ctrnn<T> {
    /// A cell with PyTorch-default initial weights drawn from `rng` and no constraints.
    pub fn new(n_in: usize, n_rec: usize, dt_ms: f64, tau_ms: f64, rng: &mut Rng) -> Self {
        Ctrnn {
            core: RateCore::new(n_in, n_rec, dt_ms, rng),
            form: CtrnnForm::Rate,
            tau_ms: vec![tau_ms; n_rec],
            learn_tau: false,
        }
    }

    // eff layout: [w_in (H, n_in) | b (H) | w_rec (H, H) | alpha (H) | copies of w_rec for the
    // per-step products r_{t−1} W_recᵀ and ∂pre W_rec (`RecCopies`)]; ∂eff stops before the
    // copies (`grad_len`).
    fn offs(&self) -> [usize; 5] {
        let [w_in, b, w_rec, alpha] = self.core.offs();
        [w_in, b, w_rec, alpha, alpha + self.n_rec]
    }

    fn copies(&self) -> RecCopies {
        RecCopies {
            g: self.n_rec,
            h: self.n_rec,
        }
    }
}

impl<T: Real> Ctrnn<T> {
    /// The element-wise part of a forward step (after `pre` is in the cache). Always inlined, so
    /// that it compiles into the AVX2 function of [`crate::kernels::vectorized`].
    #[inline(always)]
    fn pointwise_fwd(&self, alpha: &[T], noisy: bool, b: usize, io: &mut StepFwd<'_, T>) {
        let h = self.n_rec;
        let f = self.activation;
        match self.form {
            CtrnnForm::Rate => with_activation!(f, |act, _d| {
                let rows = io.cache.chunks_exact(h).zip(io.r_prev.chunks_exact(h));
                let outs = io
                    .s_next
                    .chunks_exact_mut(h)
                    .zip(io.r_next.chunks_exact_mut(h));
                for (s, ((pre, rp), (sn, rn))) in rows.zip(outs).enumerate() {
                    let xi = noise_row(io.noise, noisy, s, h);
                    let (alpha, sigma) = (alpha, self.sigma_rec);
                    if noisy {
                        rate_fwd::<T, true>(alpha, pre, rp, xi, sigma, sn, rn, act);
                    } else {
                        rate_fwd::<T, false>(alpha, pre, rp, xi, sigma, sn, rn, act);
                    }
                }
            }),
            // The cache row is [pre | z].
            CtrnnForm::Tutorial => with_activation!(f, |act, _d| {
                let rows = io
                    .cache
                    .chunks_exact_mut(2 * h)
                    .zip(io.r_prev.chunks_exact(h));
                let outs = io
                    .s_next
                    .chunks_exact_mut(h)
                    .zip(io.r_next.chunks_exact_mut(h));
                for (s, ((cache, rp), (sn, rn))) in rows.zip(outs).enumerate() {
                    let (cp, cz) = cache.split_at_mut(h);
                    let xi = noise_row(io.noise, noisy, s, h);
                    let (alpha, sigma) = (alpha, self.sigma_rec);
                    if noisy {
                        tutorial_fwd::<T, true>(alpha, cp, rp, xi, sigma, cz, sn, rn, act);
                    } else {
                        tutorial_fwd::<T, false>(alpha, cp, rp, xi, sigma, cz, sn, rn, act);
                    }
                }
            }),
            CtrnnForm::State => with_activation!(f, |act, _d| {
                for s in 0..b {
                    let r = s * h..(s + 1) * h;
                    let xi = noise_row(io.noise, noisy, s, h);
                    let (xp, pre) = (&io.s_prev[r.clone()], &io.cache[r.clone()]);
                    let (sn, rn) = (&mut io.s_next[r.clone()], &mut io.r_next[r]);
                    let sigma = self.sigma_rec;
                    if noisy {
                        state_fwd::<T, true>(alpha, xp, pre, xi, sigma, sn, rn, act);
                    } else {
                        state_fwd::<T, false>(alpha, xp, pre, xi, sigma, sn, rn, act);
                    }
                }
            }),
        }
    }

    /// The element-wise part of a backward step (before the recurrent product); inlined as
    /// [`Ctrnn::pointwise_fwd`].
    #[inline(always)]
    fn pointwise_bwd(&self, alpha: &[T], noisy: bool, b: usize, io: &mut StepBwd<'_, T>) {
        let h = self.n_rec;
        let a0 = self.offs()[3];
        let d_alpha = &mut io.d_eff[a0..a0 + h];
        let f = self.activation;
        match self.form {
            CtrnnForm::Rate => with_activation!(f, |act, dact| {
                for (s, (((ds, dr), (pre, rp)), (du, dsp))) in io
                    .d_s_next
                    .chunks_exact(h)
                    .zip(io.d_r.chunks_exact(h))
                    .zip(io.cache.chunks_exact(h).zip(io.r_prev.chunks_exact(h)))
                    .zip(
                        io.d_u
                            .chunks_exact_mut(h)
                            .zip(io.d_s_prev.chunks_exact_mut(h)),
                    )
                    .enumerate()
                {
                    let xi = noise_row(io.noise, noisy, s, h);
                    let g = (ds, dr);
                    let sigma = self.sigma_rec;
                    match (self.learn_tau, noisy) {
                        (false, _) => rate_bwd::<T, false, false>(
                            alpha, g, pre, rp, xi, sigma, du, dsp, d_alpha, act, dact,
                        ),
                        (true, false) => rate_bwd::<T, true, false>(
                            alpha, g, pre, rp, xi, sigma, du, dsp, d_alpha, act, dact,
                        ),
                        (true, true) => rate_bwd::<T, true, true>(
                            alpha, g, pre, rp, xi, sigma, du, dsp, d_alpha, act, dact,
                        ),
                    }
                }
            }),
            CtrnnForm::Tutorial => with_activation!(f, |_act, dact| {
                for (s, (((ds, dr), (cache, rp)), (du, dsp))) in io
                    .d_s_next
                    .chunks_exact(h)
                    .zip(io.d_r.chunks_exact(h))
                    .zip(io.cache.chunks_exact(2 * h).zip(io.r_prev.chunks_exact(h)))
                    .zip(
                        io.d_u
                            .chunks_exact_mut(h)
                            .zip(io.d_s_prev.chunks_exact_mut(h)),
                    )
                    .enumerate()
                {
                    let (cp, cz) = cache.split_at(h);
                    let xi = noise_row(io.noise, noisy, s, h);
                    let g = (ds, dr);
                    let sigma = self.sigma_rec;
                    match (self.learn_tau, noisy) {
                        (false, _) => tutorial_bwd::<T, false, false>(
                            alpha, g, cp, cz, rp, xi, sigma, du, dsp, d_alpha, dact,
                        ),
                        (true, false) => tutorial_bwd::<T, true, false>(
                            alpha, g, cp, cz, rp, xi, sigma, du, dsp, d_alpha, dact,
                        ),
                        (true, true) => tutorial_bwd::<T, true, true>(
                            alpha, g, cp, cz, rp, xi, sigma, du, dsp, d_alpha, dact,
                        ),
                    }
                }
            }),
            CtrnnForm::State => with_activation!(f, |_act, dact| {
                for s in 0..b {
                    let r = s * h..(s + 1) * h;
                    let xi = noise_row(io.noise, noisy, s, h);
                    let g = (&io.d_s_next[r.clone()], &io.d_r[r.clone()]);
                    let x = (
                        &io.s_next[r.clone()],
                        &io.s_prev[r.clone()],
                        &io.cache[r.clone()],
                    );
                    let (du, dsp) = (&mut io.d_u[r.clone()], &mut io.d_s_prev[r]);
                    let sigma = self.sigma_rec;
                    if noisy {
                        state_bwd::<T, true>(alpha, g, x, xi, sigma, du, dsp, d_alpha, dact);
                    } else {
                        state_bwd::<T, false>(alpha, g, x, xi, sigma, du, dsp, d_alpha, dact);
                    }
                }
            }),
        }
    }
}

/// The element-wise part of a forward step, for [`crate::kernels::vectorized`].
struct Fwd<'c, 'a, T> {
    cell: &'c Ctrnn<T>,
    alpha: &'c [T],
    noisy: bool,
    b: usize,
    io: &'c mut StepFwd<'a, T>,
}

impl<T: Real> Pointwise for Fwd<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        self.cell
            .pointwise_fwd(self.alpha, self.noisy, self.b, self.io)
    }
}

/// The element-wise part of a backward step, for [`crate::kernels::vectorized`].
struct Bwd<'c, 'a, T> {
    cell: &'c Ctrnn<T>,
    alpha: &'c [T],
    noisy: bool,
    b: usize,
    io: &'c mut StepBwd<'a, T>,
}

impl<T: Real> Pointwise for Bwd<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        self.cell
            .pointwise_bwd(self.alpha, self.noisy, self.b, self.io)
    }
}

/// The state form's element-wise work after the recurrent product of a backward step, for
/// [`crate::kernels::vectorized`].
struct StateTail<'c, 'a, T> {
    f: Activation,
    alpha: &'c [T],
    b: usize,
    io: &'c mut StepBwd<'a, T>,
}

impl<T: Real> Pointwise for StateTail<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let (h, io) = (self.alpha.len(), self.io);
        with_activation!(self.f, |_act, dact| {
            for s in 0..self.b {
                let r = s * h..(s + 1) * h;
                let g = (&io.d_s_next[r.clone()], &io.d_r[r.clone()]);
                let x = (&io.s_next[r.clone()], &io.s_prev[r.clone()]);
                state_bwd_tail(self.alpha, g, x, &mut io.d_s_prev[r], dact);
            }
        })
    }
}

impl<T: Real> Cell<T> for Ctrnn<T> {
    fn kind(&self) -> &'static str {
        "ctrnn"
    }
    fn n_in(&self) -> usize {
        self.n_in
    }
    fn n_units(&self) -> usize {
        self.n_rec
    }
    fn input_width(&self) -> usize {
        self.n_rec
    }
    fn cache_len(&self) -> usize {
        match self.form {
            CtrnnForm::Tutorial => 2 * self.n_rec,
            _ => self.n_rec,
        }
    }
    fn noise_len(&self) -> usize {
        self.core.noise_len()
    }
    fn param_specs(&self) -> Vec<ParamSpec> {
        let mut v = self.core.param_specs();
        if self.learn_tau {
            v.push(ParamSpec::new("log_tau", 1, self.n_rec));
        }
        v
    }
    fn init(&self, params: &mut [T], _buffers: &mut [T], _rng: &mut Rng) {
        let log_tau: Vec<f64> = self.tau_ms.iter().map(|t| t.ln()).collect();
        let mut pieces = self.core.initial().to_vec();
        if self.learn_tau {
            pieces.push(&log_tau);
        }
        write_initial(params, &self.param_specs(), &pieces);
    }
    fn eff_len(&self) -> usize {
        self.offs()[4] + self.copies().len()
    }
    fn grad_len(&self) -> usize {
        self.offs()[4]
    }
    fn prepare(&self, params: &[T], eff: &mut [T]) {
        let h = self.n_rec;
        let o = self.offs();
        let p_tau = self.core.prepare(params, eff);
        let (head, copies) = eff.split_at_mut(o[4]);
        self.copies().write(&head[o[2]..o[3]], copies);
        for i in 0..h {
            eff[o[3] + i] = if self.learn_tau {
                T::c(self.dt_ms) * (-p_tau[i]).exp()
            } else {
                T::c(self.dt_ms / self.tau_ms[i])
            };
        }
    }
    fn input_offsets(&self) -> (usize, usize) {
        let o = self.offs();
        (o[0], o[1])
    }
    fn rates_of_state(&self, s: &[T], rates: &mut [T]) {
        match self.form {
            CtrnnForm::State => {
                for (r, &x) in rates.iter_mut().zip(s) {
                    *r = self.activation.f(x);
                }
            }
            _ => rates.copy_from_slice(s),
        }
    }
    fn dt_ms(&self) -> Option<f64> {
        // The rate and state forms are Euler steps of τ ṙ = −r + f(·) and τ ẋ = −x + W f(x) + …;
        // the tutorial form applies f after the leak, which no Euler step of an ODE in r does.
        (self.form != CtrnnForm::Tutorial).then_some(self.core.dt_ms)
    }

    fn step(&self, eff: &[T], ctx: StepCtx, mut io: StepFwd<'_, T>) {
        let h = self.n_rec;
        let b = ctx.batch;
        let o = self.offs();
        let alpha = &eff[o[3]..o[3] + h];
        let noisy = !io.noise.is_empty() && ctx.training;
        // pre = U_t + r_{t−1} W_recᵀ, written into the first H of each cache row.
        let cl = self.cache_len();
        gemm_s_onto(
            io.cache,
            b,
            h,
            cl,
            sv(io.u, b, h, h),
            sv(io.r_prev, b, h, h),
            Trans::N,
            self.copies().w_t(&eff[o[4]..]),
            Trans::N,
            ctx.threads,
        );
        crate::kernels::vectorized(Fwd {
            cell: self,
            alpha,
            noisy,
            b,
            io: &mut io,
        });
    }

    fn backward_step(&self, eff: &[T], ctx: StepCtx, mut io: StepBwd<'_, T>) {
        let h = self.n_rec;
        let b = ctx.batch;
        let o = self.offs();
        let f = self.activation;
        let noisy = !io.noise.is_empty() && ctx.training && self.sigma_rec > 0.0;
        let alpha = &eff[o[3]..o[3] + h];
        let w_rec = self.copies().w(&eff[o[2]..o[3]], &eff[o[4]..]);
        crate::kernels::vectorized(Bwd {
            cell: self,
            alpha,
            noisy,
            b,
            io: &mut io,
        });
        match self.form {
            CtrnnForm::State => {
                // ∂x_{t−1} = (1−α) ∂x + (∂pre W_rec) ⊙ f'(x_{t−1})
                gemm_s(
                    io.d_s_prev,
                    b,
                    h,
                    h,
                    sv(io.d_u, b, h, h),
                    Trans::N,
                    w_rec,
                    Trans::N,
                    false,
                    ctx.threads,
                );
                crate::kernels::vectorized(StateTail {
                    f,
                    alpha,
                    b,
                    io: &mut io,
                });
            }
            _ => gemm_s(
                io.d_s_prev,
                b,
                h,
                h,
                sv(io.d_u, b, h, h),
                Trans::N,
                w_rec,
                Trans::N,
                true,
                ctx.threads,
            ),
        }
    }

    fn finish_backward(&self, _eff: &[T], ctx: StepCtx, seq: Seq<'_, T>, d_eff: &mut [T]) {
        // ∂W_rec = Σ_t ∂pre_tᵀ r_{t−1}: rates blocks 0..T are the presynaptic rates.
        let (h, tb) = (self.n_rec, seq.n_steps * seq.batch);
        self.core
            .add_w_rec_grad(d_eff, seq.d_u, (seq.rates, h), tb, ctx.threads);
    }

    fn backprop_params(&self, params: &[T], d_eff: &[T], d_params: &mut [T]) {
        let h = self.n_rec;
        let o = self.offs();
        let (p_tau, g_tau) = self.core.backprop(params, d_eff, d_params);
        if self.learn_tau {
            // α = dt e^{−log τ} ⇒ ∂α/∂log τ = −α.
            for i in 0..h {
                let a = T::c(self.dt_ms) * (-p_tau[i]).exp();
                g_tau[i] += -a * d_eff[o[3] + i];
            }
        }
    }

    fn jacobian(&self, eff: &[T], s_prev: &[T], u: &[T], out: &mut [T]) -> bool {
        // rate:     J = diag(1−α) + diag(α f'(pre)) W
        // tutorial: J = diag(f'(z)) ((1−α) I + α W)
        // state:    J = diag(1−α) + diag(α) W diag(f'(x))
        let h = self.n_rec;
        let o = self.offs();
        let w = &eff[o[2]..o[3]];
        let alpha = &eff[o[3]..o[3] + h];
        let f = self.activation;
        let one = T::c(1.0);
        let r_prev: Vec<T> = match self.form {
            CtrnnForm::State => s_prev.iter().map(|&x| f.f(x)).collect(),
            _ => s_prev.to_vec(),
        };
        for i in 0..h {
            let pre = u[i] + (0..h).map(|j| w[i * h + j] * r_prev[j]).sum::<T>();
            let a = alpha[i];
            for j in 0..h {
                let eye = if i == j { one } else { T::c(0.0) };
                out[i * h + j] = match self.form {
                    CtrnnForm::Rate => eye * (one - a) + a * f.df(pre) * w[i * h + j],
                    CtrnnForm::Tutorial => {
                        let z = (one - a) * s_prev[i] + a * pre;
                        f.df(z) * ((one - a) * eye + a * w[i * h + j])
                    }
                    CtrnnForm::State => eye * (one - a) + a * w[i * h + j] * f.df(s_prev[j]),
                };
            }
        }
        true
    }

    fn folds_output_feedback(&self) -> bool {
        self.core.c_rec.is_identity()
    }
    fn clamp_params(&self, params: &mut [T]) {
        if self.learn_tau {
            let h = self.n_rec;
            let start = h * self.n_in + h * h + h;
            let lo = T::c(self.dt_ms.ln());
            for v in &mut params[start..start + h] {
                *v = v.max(lo);
            }
        }
    }
}
