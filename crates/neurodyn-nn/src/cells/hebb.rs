//! CTRNN (rate form) with Hebbian fast weights: each synapse's weight is a slow weight trained by
//! gradient descent plus a plastic part that each sample writes by a Hebbian rule as the trial
//! runs (primer eq. 45–47; Miconi et al. 2018's differentiable plasticity):
//!
//! ```text
//! pre_t = W_in s_t + b + (W_rec + P ⊙ A_{t−1}) r_{t−1}
//! r_t   = (1−α) r_{t−1} + α f(pre_t) + √(2α) σ ξ
//! A_t   = clip(λ A_{t−1} + (1−λ) r_t r_tᵀ, ±a_max)        (A_ij: from unit j to unit i)
//! ```
//!
//! `A` is the Hebbian trace, a running average of co-activity over `τ_A` (`λ = 1 − dt/τ_A`,
//! fixed; τ_A = 400 ms gives λ = 0.95 at dt = 20 ms), and the trained matrix `P` says how much,
//! and with which sign, each synapse follows it: the fast weights `P ⊙ A` obey eq. 47 with a
//! learned per-synapse rate, `η_ij = P_ij (1−λ)` (Hebbian where positive, anti-Hebbian where
//! negative). `P` starts at zero, so a new network is a plain rate CTRNN that learns which
//! synapses to make plastic. A single learned η for the whole matrix (eq. 46) trained badly here:
//! its gradient sums over every synapse, so it dominated the global gradient-norm clip and the
//! network stopped learning (PerceptualDecisionMaking 0.58 against 0.91 without plasticity).
//!
//! Recurrent noise ξ ~ N(0, 1) (per unit and step, training only, as in the rate-form CTRNN)
//! enters the rates and through them the trace; it enters no derivative (α is fixed here).
//!
//! The trace is clipped to `[−a_max, a_max]` (default 1, as Miconi et al. bound theirs; no
//! gradient through a clipped value): ReLU rates are unbounded, and so would be their
//! co-activity. `a_max = ∞` turns the clip off.
//!
//! The state of a sample is `[r | A]`, `n + n²` values (A row-major), and starts at zero unless
//! given: every trial begins with a blank trace. Recorded rates are `r`; recordings do not keep
//! `A`, which is `n²` values per sample and step. Storage for BPTT grows as `n²` per sample and
//! step too (a 128-unit network keeps 64 KiB per sample-step), so this cell suits networks of a
//! few hundred units at most.
//!
//! Backward (g = ∂L/∂r_t from the readout and the next step, G = ∂L/∂A_t from the next step,
//! zeroed where the trace was clipped): `g += (1−λ)(G + Gᵀ) r_t`, `∂pre = g α f'(pre)`,
//! `∂r_{t−1} = (1−α) g + (W_rec + P ⊙ A_{t−1})ᵀ ∂pre`, `∂A_{t−1} = λ G + P ⊙ (∂pre r_{t−1}ᵀ)`,
//! `∂P += A_{t−1} ⊙ (∂pre r_{t−1}ᵀ)` inside the loop; `∂W_rec = Σ_t ∂pre_tᵀ r_{t−1}` as one GEMM
//! after it.

use crate::activation::with_activation;
use crate::cell::{Cell, Seq, StepBwd, StepCtx, StepFwd};
use crate::cells::ctrnn_rows::noise_scale;
use crate::cells::rate_core::{deref_to_core, RateCore};
use crate::kernels::strided::{gemm_s, gemm_s_onto, sv};
use crate::kernels::Pointwise;
use crate::linalg::Trans;
use crate::params::{write_initial, ParamSpec};
use crate::real::Real;
use neurodyn_core::Rng;

/// Default time constant of the Hebbian trace (ms).
pub const DEFAULT_HEBB_TAU_MS: f64 = 400.0;

/// A CTRNN with Hebbian fast weights. Build it with [`HebbCtrnn::new`]; the fields it shares
/// with the other rate cells are in [`RateCore`] (its `w_rec` and `c_rec` are the slow weights),
/// which it dereferences to.
pub struct HebbCtrnn<T> {
    /// Sizes, nonlinearity, noise, input and slow recurrent weights.
    pub core: RateCore<T>,
    /// Membrane time constant (ms).
    pub tau_ms: f64,
    /// Time constant of the Hebbian trace (ms); λ = 1 − dt/τ_A.
    pub hebb_tau_ms: f64,
    /// Bound on each trace value (`f64::INFINITY`: none).
    pub a_max: f64,
}

deref_to_core!(HebbCtrnn);

impl<T: Real> HebbCtrnn<T> {
    /// ReLU units with PyTorch-default initial weights, τ_A = [`DEFAULT_HEBB_TAU_MS`], the trace
    /// bounded by 1, and no plasticity yet (P = 0).
    pub fn new(n_in: usize, n_rec: usize, dt_ms: f64, tau_ms: f64, rng: &mut Rng) -> Self {
        HebbCtrnn {
            core: RateCore::new(n_in, n_rec, dt_ms, rng),
            tau_ms,
            hebb_tau_ms: DEFAULT_HEBB_TAU_MS,
            a_max: 1.0,
        }
    }

    // eff layout: [w_in (H, n_in) | b (H) | w_rec (H, H) | P (H, H) | w_recᵀ (H, H)]; ∂eff stops
    // before the transposed copy.
    fn offs(&self) -> [usize; 5] {
        let [w_in, b, w_rec, end] = self.core.offs();
        [w_in, b, w_rec, end, end + self.n_rec * self.n_rec]
    }

    /// (α, λ, a_max).
    fn consts(&self) -> (T, T, T) {
        (
            T::c(self.dt_ms / self.tau_ms),
            T::c(1.0 - self.dt_ms / self.hebb_tau_ms),
            T::c(self.a_max),
        )
    }
}

impl<T: Real> Cell<T> for HebbCtrnn<T> {
    fn kind(&self) -> &'static str {
        "hebb-ctrnn"
    }
    fn n_in(&self) -> usize {
        self.n_in
    }
    fn n_units(&self) -> usize {
        self.n_rec
    }
    fn state_len(&self) -> usize {
        self.n_rec + self.n_rec * self.n_rec
    }
    fn input_width(&self) -> usize {
        self.n_rec
    }
    fn cache_len(&self) -> usize {
        // pre
        self.n_rec
    }
    fn noise_len(&self) -> usize {
        self.core.noise_len()
    }
    fn param_specs(&self) -> Vec<ParamSpec> {
        let h = self.n_rec;
        let mut v = self.core.param_specs();
        v.push(ParamSpec::new("plasticity", h, h));
        v
    }
    fn init(&self, params: &mut [T], _buffers: &mut [T], _rng: &mut Rng) {
        let plasticity = vec![0.0; self.n_rec * self.n_rec];
        let mut pieces = self.core.initial().to_vec();
        pieces.push(&plasticity);
        write_initial(params, &self.param_specs(), &pieces);
    }
    fn eff_len(&self) -> usize {
        self.offs()[4] + self.n_rec * self.n_rec
    }
    fn grad_len(&self) -> usize {
        self.offs()[4]
    }
    fn prepare(&self, params: &[T], eff: &mut [T]) {
        let (h, o) = (self.n_rec, self.offs());
        let p_plastic = self.core.prepare(params, eff);
        eff[o[3]..o[4]].copy_from_slice(p_plastic);
        let (head, w_t) = eff.split_at_mut(o[4]);
        crate::linalg::transpose_into(&head[o[2]..o[3]], h, h, w_t);
    }
    fn input_offsets(&self) -> (usize, usize) {
        let o = self.offs();
        (o[0], o[1])
    }
    fn rates_of_state(&self, s: &[T], rates: &mut [T]) {
        let h = self.n_rec;
        for (r, row) in rates.chunks_exact_mut(h).zip(s.chunks_exact(h + h * h)) {
            r.copy_from_slice(&row[..h]);
        }
    }

    fn step(&self, eff: &[T], ctx: StepCtx, mut io: StepFwd<'_, T>) {
        let (h, b) = (self.n_rec, ctx.batch);
        let o = self.offs();
        let plastic = &eff[o[3]..o[4]];
        // pre = U_t + r_{t−1} W_recᵀ, then + (P ⊙ A_{t−1}) r_{t−1} per sample.
        gemm_s_onto(
            io.cache,
            b,
            h,
            h,
            sv(io.u, b, h, h),
            sv(io.r_prev, b, h, h),
            Trans::N,
            sv(&eff[o[4]..], h, h, h),
            Trans::N,
            ctx.threads,
        );
        let noisy = ctx.training && self.sigma_rec > 0.0 && !io.noise.is_empty();
        crate::kernels::vectorized(Fwd {
            cell: self,
            plastic,
            noisy,
            io: &mut io,
        });
    }

    fn backward_step(&self, eff: &[T], ctx: StepCtx, mut io: StepBwd<'_, T>) {
        let (h, b, s_len) = (self.n_rec, ctx.batch, self.state_len());
        let o = self.offs();
        let plastic = &eff[o[3]..o[4]];
        crate::kernels::vectorized(Bwd {
            cell: self,
            plastic,
            b,
            io: &mut io,
        });
        // ∂r_{t−1} += ∂pre W_rec.
        gemm_s(
            io.d_s_prev,
            b,
            h,
            s_len,
            sv(io.d_u, b, h, h),
            Trans::N,
            sv(&eff[o[2]..o[3]], h, h, h),
            Trans::N,
            true,
            ctx.threads,
        );
    }

    fn finish_backward(&self, _eff: &[T], ctx: StepCtx, seq: Seq<'_, T>, d_eff: &mut [T]) {
        // ∂W_rec = Σ_t ∂pre_tᵀ r_{t−1}: the rates of steps 0..T−1 are blocks 0..T−1.
        let (h, tb) = (self.n_rec, seq.n_steps * seq.batch);
        self.core
            .add_w_rec_grad(d_eff, seq.d_u, (seq.rates, h), tb, ctx.threads);
    }

    fn backprop_params(&self, params: &[T], d_eff: &[T], d_params: &mut [T]) {
        let o = self.offs();
        let (_, g_plastic) = self.core.backprop(params, d_eff, d_params);
        for (g, &d) in g_plastic.iter_mut().zip(&d_eff[o[3]..o[4]]) {
            *g += d;
        }
    }
}

impl<T: Real> HebbCtrnn<T> {
    /// The per-sample work of a forward step after the slow-weight product: the plastic part of
    /// `pre`, the rates and the new trace. Always inlined, so that it compiles into the AVX2
    /// function of [`crate::kernels::vectorized`] with the activation `act` folded in.
    #[inline(always)]
    fn fwd_rows(&self, plastic: &[T], noisy: bool, io: &mut StepFwd<'_, T>, act: impl Fn(T) -> T) {
        let (h, s_len) = (self.n_rec, self.state_len());
        let (alpha, lambda, a_max) = self.consts();
        let kappa = T::c(1.0) - lambda;
        let sigma = T::c(noise_scale(alpha.f(), self.sigma_rec));
        for (n, (((pre, sp), sn), rn)) in io
            .cache
            .chunks_exact_mut(h)
            .zip(io.s_prev.chunks_exact(s_len))
            .zip(io.s_next.chunks_exact_mut(s_len))
            .zip(io.r_next.chunks_exact_mut(h))
            .enumerate()
        {
            let (r, a) = sp.split_at(h);
            for ((p, a_row), p_row) in pre
                .iter_mut()
                .zip(a.chunks_exact(h))
                .zip(plastic.chunks_exact(h))
            {
                *p += dot3(p_row, a_row, r);
            }
            let (r_new, a_new) = sn.split_at_mut(h);
            for j in 0..h {
                r_new[j] = (T::c(1.0) - alpha) * r[j] + alpha * act(pre[j]);
                if noisy {
                    r_new[j] += sigma * io.noise[n * h + j];
                }
            }
            rn.copy_from_slice(r_new);
            for ((out_row, a_row), &ri) in a_new
                .chunks_exact_mut(h)
                .zip(a.chunks_exact(h))
                .zip(&*r_new)
            {
                let k = kappa * ri;
                for ((x, &y), &rj) in out_row.iter_mut().zip(a_row).zip(&*r_new) {
                    let v = lambda * y + k * rj;
                    // Compare-and-select rather than `max`/`min`, whose NaN rules cost the
                    // vectorised loop a blend per value.
                    let v = if v < -a_max { -a_max } else { v };
                    *x = if v > a_max { a_max } else { v };
                }
            }
        }
    }

    /// The per-sample work of a backward step before the slow-weight product; inlined as
    /// [`HebbCtrnn::fwd_rows`].
    #[inline(always)]
    fn bwd_rows(&self, plastic: &[T], b: usize, io: &mut StepBwd<'_, T>, dact: impl Fn(T) -> T) {
        let (h, s_len) = (self.n_rec, self.state_len());
        let (alpha, lambda, a_max) = self.consts();
        let kappa = T::c(1.0) - lambda;
        let o = self.offs();
        let (zero, one) = (T::c(0.0), T::c(1.0));
        let d_plastic = &mut io.d_eff[o[3]..o[4]];
        for s in 0..b {
            let (g_r_next, g_a) = io.d_s_next[s * s_len..(s + 1) * s_len].split_at(h);
            let (r_prev, a_prev) = io.s_prev[s * s_len..(s + 1) * s_len].split_at(h);
            let r_t = &io.s_next[s * s_len..s * s_len + h];
            let pre = &io.cache[s * h..(s + 1) * h];
            let d_r = &io.d_r[s * h..(s + 1) * h];
            let (out_r, out_a) = io.d_s_prev[s * s_len..(s + 1) * s_len].split_at_mut(h);
            let d_pre = &mut io.d_u[s * h..(s + 1) * h];
            // G kept where the trace was not clipped at step t, written into ∂A_{t−1}'s place;
            // g = ∂L/∂r_t gathers the readout, the next step and (1−λ)(G + Gᵀ) r_t, with `out_r`
            // holding Gᵀ r_t for a moment.
            out_r.iter_mut().for_each(|v| *v = zero);
            for (i, ((kept, g_row), a_row)) in out_a
                .chunks_exact_mut(h)
                .zip(g_a.chunks_exact(h))
                .zip(a_prev.chunks_exact(h))
                .enumerate()
            {
                let ri = r_t[i];
                for ((x, (&g, &a)), &rj) in kept.iter_mut().zip(g_row.iter().zip(a_row)).zip(r_t) {
                    let inside = (lambda * a + kappa * ri * rj).abs() <= a_max;
                    *x = if inside { g } else { zero };
                }
                for (acc, &g) in out_r.iter_mut().zip(&*kept) {
                    *acc += g * ri;
                }
                d_pre[i] = g_r_next[i] + d_r[i] + kappa * dot(kept, r_t);
            }
            for i in 0..h {
                let g = d_pre[i] + kappa * out_r[i];
                out_r[i] = (one - alpha) * g;
                d_pre[i] = g * alpha * dact(pre[i]);
            }
            // ∂A_{t−1} = λ G + P ⊙ ∂pre r_{t−1}ᵀ, ∂P += A_{t−1} ⊙ ∂pre r_{t−1}ᵀ,
            // ∂r_{t−1} += (P ⊙ A_{t−1})ᵀ ∂pre.
            for ((((out_row, a_row), p_row), dp_row), &dp) in out_a
                .chunks_exact_mut(h)
                .zip(a_prev.chunks_exact(h))
                .zip(plastic.chunks_exact(h))
                .zip(d_plastic.chunks_exact_mut(h))
                .zip(&*d_pre)
            {
                for ((((x, &a), &p), dpl), (&rj, acc)) in out_row
                    .iter_mut()
                    .zip(a_row)
                    .zip(p_row)
                    .zip(dp_row.iter_mut())
                    .zip(r_prev.iter().zip(out_r.iter_mut()))
                {
                    let outer = dp * rj;
                    *x = lambda * *x + p * outer;
                    *dpl += a * outer;
                    *acc += p * a * dp;
                }
            }
        }
    }
}

/// The element-wise part of a forward step, for [`crate::kernels::vectorized`].
struct Fwd<'c, 'a, T> {
    cell: &'c HebbCtrnn<T>,
    plastic: &'c [T],
    noisy: bool,
    io: &'c mut StepFwd<'a, T>,
}

impl<T: Real> Pointwise for Fwd<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        with_activation!(self.cell.activation, |act, _d| {
            self.cell.fwd_rows(self.plastic, self.noisy, self.io, act)
        })
    }
}

/// The element-wise part of a backward step, for [`crate::kernels::vectorized`].
struct Bwd<'c, 'a, T> {
    cell: &'c HebbCtrnn<T>,
    plastic: &'c [T],
    b: usize,
    io: &'c mut StepBwd<'a, T>,
}

impl<T: Real> Pointwise for Bwd<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        with_activation!(self.cell.activation, |_a, dact| {
            self.cell.bwd_rows(self.plastic, self.b, self.io, dact)
        })
    }
}

/// `Σ a_k b_k` over eight running sums, so that the loop vectorises.
fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::c(0.0); 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .fold(T::c(0.0), |s, (&x, &y)| s + x * y);
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().fold(tail, |s, &v| s + v)
}

/// `Σ a_k b_k c_k`, as [`dot`].
fn dot3<T: Real>(a: &[T], b: &[T], c: &[T]) -> T {
    let mut acc = [T::c(0.0); 8];
    let (ca, cb, cc) = (a.chunks_exact(8), b.chunks_exact(8), c.chunks_exact(8));
    let tail = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .zip(cc.remainder())
        .fold(T::c(0.0), |s, ((&x, &y), &z)| s + x * y * z);
    for ((x, y), z) in ca.zip(cb).zip(cc) {
        for k in 0..8 {
            acc[k] += x[k] * y[k] * z[k];
        }
    }
    acc.iter().fold(tail, |s, &v| s + v)
}
