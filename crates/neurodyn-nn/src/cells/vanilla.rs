//! Discrete-time Elman RNN, PyTorch's one-layer `nn.RNN` (`nonlinearity = "tanh"` or `"relu"`).
//!
//! ```text
//! h_t = f(W_in x_t + b + W_rec h_{t−1})
//! ```
//!
//! PyTorch keeps two biases, `b_ih` and `b_hh`; they only ever appear summed, so this cell has
//! one, `b_rec = b_ih + b_hh` (map a PyTorch model with `b_rec = bias_ih_l0 + bias_hh_l0`,
//! `w_in = weight_ih_l0`, `w_rec = weight_hh_l0`). Any [`Activation`] may be used; `tanh` and
//! `relu` are PyTorch's two. Masks, Dale's law and fixed weights enter through [`Constraint`]s on
//! `w_in` and `w_rec`.
//!
//! Backward (g = ∂L/∂h_t): `∂pre = g ⊙ f'(pre)` (= ∂U_t), `∂h_{t−1} = ∂pre · W_rec`, and
//! `∂W_rec = Σ_t ∂pre_tᵀ h_{t−1}` as one GEMM over all steps after the loop.

use crate::activation::{with_activation, Activation};
use crate::cell::{Cell, Seq, StepBwd, StepCtx, StepFwd};
use crate::constraint::Constraint;
use crate::linalg::{gemm, m, Trans};
use crate::params::{write_initial, ParamSpec};
use crate::real::Real;
use neurodyn_core::Rng;

/// PyTorch's initialisation of every RNN-family weight and bias: U(−1/√n_rec, 1/√n_rec).
pub fn rnn_uniform(len: usize, n_rec: usize, rng: &mut Rng) -> Vec<f64> {
    let k = 1.0 / (n_rec.max(1) as f64).sqrt();
    (0..len).map(|_| rng.uniform_range(-k, k)).collect()
}

/// An Elman RNN cell. Build it with [`VanillaRnn::new`] and set the public fields for
/// constraints or another nonlinearity.
pub struct VanillaRnn<T> {
    /// Inputs.
    pub n_in: usize,
    /// Units.
    pub n_rec: usize,
    /// Nonlinearity f (default tanh, as PyTorch).
    pub activation: Activation,
    /// Constraint on `w_in (n_rec, n_in)`.
    pub c_in: Constraint<T>,
    /// Constraint on `w_rec (n_rec, n_rec)`.
    pub c_rec: Constraint<T>,
    /// Initial `w_in`, `(n_rec, n_in)`.
    pub w_in_init: Vec<f64>,
    /// Initial `w_rec`, `(n_rec, n_rec)`.
    pub w_rec_init: Vec<f64>,
    /// Initial combined bias `b_ih + b_hh`, `(n_rec)`.
    pub b_init: Vec<f64>,
}

impl<T: Real> VanillaRnn<T> {
    /// A tanh cell with PyTorch's initial weights drawn from `rng` (both biases drawn and
    /// summed, as PyTorch would) and no constraints.
    pub fn new(n_in: usize, n_rec: usize, rng: &mut Rng) -> Self {
        let w_in_init = rnn_uniform(n_rec * n_in, n_rec, rng);
        let w_rec_init = rnn_uniform(n_rec * n_rec, n_rec, rng);
        let b_ih = rnn_uniform(n_rec, n_rec, rng);
        let b_hh = rnn_uniform(n_rec, n_rec, rng);
        VanillaRnn {
            n_in,
            n_rec,
            activation: Activation::Tanh,
            c_in: Constraint::none(n_rec, n_in),
            c_rec: Constraint::none(n_rec, n_rec),
            w_in_init,
            w_rec_init,
            b_init: b_ih.iter().zip(&b_hh).map(|(a, b)| a + b).collect(),
        }
    }

    // eff layout: [w_in (H, n_in) | b (H) | w_rec (H, H)]
    fn offs(&self) -> [usize; 3] {
        let h = self.n_rec;
        let a = h * self.n_in;
        [0, a, a + h]
    }
}

impl<T: Real> Cell<T> for VanillaRnn<T> {
    fn kind(&self) -> &'static str {
        "vanilla"
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
        self.n_rec
    }
    fn param_specs(&self) -> Vec<ParamSpec> {
        let h = self.n_rec;
        vec![
            ParamSpec::new("w_in", h, self.n_in),
            ParamSpec::new("w_rec", h, h),
            ParamSpec::new("b_rec", 1, h),
        ]
    }
    fn init(&self, params: &mut [T], _buffers: &mut [T], _rng: &mut Rng) {
        let pieces = [&self.w_in_init[..], &self.w_rec_init, &self.b_init];
        write_initial(params, &self.param_specs(), &pieces);
    }
    fn eff_len(&self) -> usize {
        self.offs()[2] + self.n_rec * self.n_rec
    }
    fn prepare(&self, params: &[T], eff: &mut [T]) {
        let h = self.n_rec;
        let o = self.offs();
        let (p_in, rest) = params.split_at(h * self.n_in);
        let (p_rec, p_b) = rest.split_at(h * h);
        self.c_in.apply(p_in, &mut eff[o[0]..o[1]]);
        eff[o[1]..o[2]].copy_from_slice(p_b);
        self.c_rec.apply(p_rec, &mut eff[o[2]..]);
    }
    fn input_offsets(&self) -> (usize, usize) {
        let o = self.offs();
        (o[0], o[1])
    }

    fn step(&self, eff: &[T], ctx: StepCtx, io: StepFwd<'_, T>) {
        let h = self.n_rec;
        let b = ctx.batch;
        let w_rec = &eff[self.offs()[2]..];
        // pre = U_t + h_{t−1} W_recᵀ, kept in the cache for f'(pre).
        io.cache.copy_from_slice(io.u);
        gemm(
            io.cache,
            b,
            h,
            m(io.r_prev, b, h),
            Trans::N,
            m(w_rec, h, h),
            Trans::T,
            true,
            ctx.threads,
        );
        with_activation!(self.activation, |act, _d| {
            for ((s, r), &p) in io
                .s_next
                .iter_mut()
                .zip(io.r_next.iter_mut())
                .zip(io.cache.iter())
            {
                let v = act(p);
                *s = v;
                *r = v;
            }
        });
    }

    fn backward_step(&self, eff: &[T], ctx: StepCtx, io: StepBwd<'_, T>) {
        let h = self.n_rec;
        let b = ctx.batch;
        let w_rec = &eff[self.offs()[2]..];
        with_activation!(self.activation, |_act, dact| {
            for k in 0..b * h {
                io.d_u[k] = (io.d_s_next[k] + io.d_r[k]) * dact(io.cache[k]);
            }
        });
        gemm(
            io.d_s_prev,
            b,
            h,
            m(io.d_u, b, h),
            Trans::N,
            m(w_rec, h, h),
            Trans::N,
            false,
            ctx.threads,
        );
    }

    fn finish_backward(&self, _eff: &[T], ctx: StepCtx, seq: Seq<'_, T>, d_eff: &mut [T]) {
        let h = self.n_rec;
        let tb = seq.n_steps * seq.batch;
        // ∂W_rec = Σ_t ∂pre_tᵀ h_{t−1}: rate blocks 0..T are the presynaptic rates.
        gemm(
            &mut d_eff[self.offs()[2]..],
            h,
            h,
            m(seq.d_u, tb, h),
            Trans::T,
            m(&seq.rates[..tb * h], tb, h),
            Trans::N,
            true,
            ctx.threads,
        );
    }

    fn backprop_params(&self, params: &[T], d_eff: &[T], d_params: &mut [T]) {
        let h = self.n_rec;
        let o = self.offs();
        let (p_in, rest) = params.split_at(h * self.n_in);
        let p_rec = &rest[..h * h];
        let (g_in, rest) = d_params.split_at_mut(h * self.n_in);
        let (g_rec, g_b) = rest.split_at_mut(h * h);
        self.c_in.backprop(p_in, &d_eff[o[0]..o[1]], g_in);
        self.c_rec.backprop(p_rec, &d_eff[o[2]..], g_rec);
        for (g, &d) in g_b.iter_mut().zip(&d_eff[o[1]..o[2]]) {
            *g += d;
        }
    }
}
