//! Long short-term memory, exactly PyTorch's one-layer `nn.LSTM` (Hochreiter & Schmidhuber 1997,
//! with forget gate).
//!
//! ```text
//! i  = σ(W_ii x + W_hi h + b_i)        f = σ(W_if x + W_hf h + b_f)
//! g  = tanh(W_ig x + W_hg h + b_g)     o = σ(W_io x + W_ho h + b_o)
//! c' = f ⊙ c + i ⊙ g
//! h' = o ⊙ tanh(c')
//! ```
//!
//! The state of a sample is `[h | c]` (`state_len = 2H`); the recorded rates are `h`. Gate order
//! in the stacked tensors is PyTorch's `(i, f, g, o)`: `w_in (4H, n_in)` is `weight_ih_l0`,
//! `w_rec (4H, H)` is `weight_hh_l0`, and the single bias is `b_rec = bias_ih_l0 + bias_hh_l0`
//! (the two only ever appear summed). A trained initial state `h0` is `[h0 | c0]`.
//!
//! Backward (∂h, ∂c arriving from later steps, plus the readout's ∂h):
//!
//! ```text
//! ∂c' = ∂c + ∂h o (1 − tanh² c')
//! ∂U  = [∂c' g i(1−i), ∂c' c f(1−f), ∂c' i (1−g²), ∂h tanh(c') o(1−o)]
//! ∂c_prev = ∂c' f,    ∂h_prev = ∂U · W_rec
//! ```
//!
//! and `∂W_rec = Σ_t ∂U_tᵀ h_{t−1}` as one GEMM over all steps after the loop.

use crate::activation::sigmoid;
use crate::cell::{Cell, Seq, StepBwd, StepCtx, StepFwd};
use crate::cells::strided::{gemm_s, sv};
use crate::cells::vanilla::rnn_uniform;
use crate::constraint::Constraint;
use crate::linalg::{gemm, m, Trans};
use crate::params::{write_initial, ParamSpec};
use crate::real::Real;
use neurodyn_core::Rng;

/// An LSTM cell. Build it with [`Lstm::new`] and set the public fields for constraints.
pub struct Lstm<T> {
    /// Inputs.
    pub n_in: usize,
    /// Units (size of h and of c).
    pub n_rec: usize,
    /// Constraint on `w_in (4H, n_in)`.
    pub c_in: Constraint<T>,
    /// Constraint on `w_rec (4H, H)`.
    pub c_rec: Constraint<T>,
    /// Initial `w_in`, `(4H, n_in)`, gate order (i, f, g, o).
    pub w_in_init: Vec<f64>,
    /// Initial `w_rec`, `(4H, H)`.
    pub w_rec_init: Vec<f64>,
    /// Initial combined bias `b_ih + b_hh`, `(4H)`.
    pub b_init: Vec<f64>,
}

impl<T: Real> Lstm<T> {
    /// A cell with PyTorch's initial weights (U(±1/√H) everywhere, both biases drawn and summed)
    /// from `rng`, no constraints.
    pub fn new(n_in: usize, n_rec: usize, rng: &mut Rng) -> Self {
        let g = 4 * n_rec;
        let w_in_init = rnn_uniform(g * n_in, n_rec, rng);
        let w_rec_init = rnn_uniform(g * n_rec, n_rec, rng);
        let b_ih = rnn_uniform(g, n_rec, rng);
        let b_hh = rnn_uniform(g, n_rec, rng);
        Lstm {
            n_in,
            n_rec,
            c_in: Constraint::none(g, n_in),
            c_rec: Constraint::none(g, n_rec),
            w_in_init,
            w_rec_init,
            b_init: b_ih.iter().zip(&b_hh).map(|(a, b)| a + b).collect(),
        }
    }

    // eff layout: [w_in (4H, n_in) | b (4H) | w_rec (4H, H)]
    fn offs(&self) -> [usize; 3] {
        let g = 4 * self.n_rec;
        let a = g * self.n_in;
        [0, a, a + g]
    }
}

impl<T: Real> Cell<T> for Lstm<T> {
    fn kind(&self) -> &'static str {
        "lstm"
    }
    fn n_in(&self) -> usize {
        self.n_in
    }
    fn n_units(&self) -> usize {
        self.n_rec
    }
    fn state_len(&self) -> usize {
        2 * self.n_rec
    }
    fn input_width(&self) -> usize {
        4 * self.n_rec
    }
    // Cache row per sample: [i | f | g | o | tanh c'] (gate values after their nonlinearity).
    fn cache_len(&self) -> usize {
        5 * self.n_rec
    }
    fn gates(&self) -> Vec<(&'static str, usize)> {
        let h = self.n_rec;
        vec![
            ("input", 0),
            ("forget", h),
            ("candidate", 2 * h),
            ("output", 3 * h),
        ]
    }
    fn param_specs(&self) -> Vec<ParamSpec> {
        let (h, g) = (self.n_rec, 4 * self.n_rec);
        vec![
            ParamSpec::new("w_in", g, self.n_in),
            ParamSpec::new("w_rec", g, h),
            ParamSpec::new("b_rec", 1, g),
        ]
    }
    fn init(&self, params: &mut [T], _buffers: &mut [T], _rng: &mut Rng) {
        let pieces = [&self.w_in_init[..], &self.w_rec_init, &self.b_init];
        write_initial(params, &self.param_specs(), &pieces);
    }
    fn eff_len(&self) -> usize {
        self.offs()[2] + 4 * self.n_rec * self.n_rec
    }
    fn prepare(&self, params: &[T], eff: &mut [T]) {
        let (h, g) = (self.n_rec, 4 * self.n_rec);
        let o = self.offs();
        let (p_in, rest) = params.split_at(g * self.n_in);
        let (p_rec, p_b) = rest.split_at(g * h);
        self.c_in.apply(p_in, &mut eff[o[0]..o[1]]);
        eff[o[1]..o[2]].copy_from_slice(p_b);
        self.c_rec.apply(p_rec, &mut eff[o[2]..]);
    }
    fn input_offsets(&self) -> (usize, usize) {
        let o = self.offs();
        (o[0], o[1])
    }
    fn state_blocks(&self) -> Vec<&'static str> {
        vec!["cell"]
    }
    fn rates_of_state(&self, s: &[T], rates: &mut [T]) {
        let h = self.n_rec;
        for (r, row) in rates.chunks_exact_mut(h).zip(s.chunks_exact(2 * h)) {
            r.copy_from_slice(&row[..h]);
        }
    }

    fn step(&self, eff: &[T], ctx: StepCtx, io: StepFwd<'_, T>) {
        let (h, g) = (self.n_rec, 4 * self.n_rec);
        let b = ctx.batch;
        let cl = 5 * h;
        let w_rec = &eff[self.offs()[2]..];
        // Gate pre-activations h_{t−1} W_recᵀ into the first 4H of each cache row (U added below).
        gemm_s(
            io.cache,
            b,
            g,
            cl,
            sv(io.r_prev, b, h, h),
            Trans::N,
            sv(w_rec, g, h, h),
            Trans::T,
            false,
            ctx.threads,
        );
        for s in 0..b {
            let c = &mut io.cache[s * cl..(s + 1) * cl];
            let u = &io.u[s * g..(s + 1) * g];
            let (sp, sn) = (
                &io.s_prev[s * 2 * h..(s + 1) * 2 * h],
                &mut io.s_next[s * 2 * h..(s + 1) * 2 * h],
            );
            for j in 0..h {
                let ig = sigmoid(u[j] + c[j]);
                let fg = sigmoid(u[h + j] + c[h + j]);
                let gg = (u[2 * h + j] + c[2 * h + j]).tanh();
                let og = sigmoid(u[3 * h + j] + c[3 * h + j]);
                let cn = fg * sp[h + j] + ig * gg;
                let tc = cn.tanh();
                let hn = og * tc;
                c[j] = ig;
                c[h + j] = fg;
                c[2 * h + j] = gg;
                c[3 * h + j] = og;
                c[4 * h + j] = tc;
                sn[j] = hn;
                sn[h + j] = cn;
                io.r_next[s * h + j] = hn;
            }
        }
    }

    fn backward_step(&self, eff: &[T], ctx: StepCtx, io: StepBwd<'_, T>) {
        let (h, g) = (self.n_rec, 4 * self.n_rec);
        let b = ctx.batch;
        let cl = 5 * h;
        let w_rec = &eff[self.offs()[2]..];
        let one = T::c(1.0);
        for s in 0..b {
            let c = &io.cache[s * cl..(s + 1) * cl];
            let sp = &io.s_prev[s * 2 * h..(s + 1) * 2 * h];
            let dsn = &io.d_s_next[s * 2 * h..(s + 1) * 2 * h];
            let du = &mut io.d_u[s * g..(s + 1) * g];
            for j in 0..h {
                let (ig, fg, gg, og, tc) =
                    (c[j], c[h + j], c[2 * h + j], c[3 * h + j], c[4 * h + j]);
                let dh = dsn[j] + io.d_r[s * h + j];
                let dc = dsn[h + j] + dh * og * (one - tc * tc);
                du[j] = dc * gg * ig * (one - ig);
                du[h + j] = dc * sp[h + j] * fg * (one - fg);
                du[2 * h + j] = dc * ig * (one - gg * gg);
                du[3 * h + j] = dh * tc * og * (one - og);
                io.d_s_prev[s * 2 * h + h + j] = dc * fg;
            }
        }
        // ∂h_{t−1} = ∂U · W_rec, written into the h half of each ∂state row.
        gemm_s(
            io.d_s_prev,
            b,
            h,
            2 * h,
            sv(io.d_u, b, g, g),
            Trans::N,
            sv(w_rec, g, h, h),
            Trans::N,
            false,
            ctx.threads,
        );
    }

    fn finish_backward(&self, _eff: &[T], ctx: StepCtx, seq: Seq<'_, T>, d_eff: &mut [T]) {
        let (h, g) = (self.n_rec, 4 * self.n_rec);
        let tb = seq.n_steps * seq.batch;
        // ∂W_rec = Σ_t ∂U_tᵀ h_{t−1}: rate blocks 0..T are h_{t−1}.
        gemm(
            &mut d_eff[self.offs()[2]..],
            g,
            h,
            m(seq.d_u, tb, g),
            Trans::T,
            m(&seq.rates[..tb * h], tb, h),
            Trans::N,
            true,
            ctx.threads,
        );
    }

    fn backprop_params(&self, params: &[T], d_eff: &[T], d_params: &mut [T]) {
        let (h, g) = (self.n_rec, 4 * self.n_rec);
        let o = self.offs();
        let (p_in, rest) = params.split_at(g * self.n_in);
        let p_rec = &rest[..g * h];
        let (g_in, rest) = d_params.split_at_mut(g * self.n_in);
        let (g_rec, g_b) = rest.split_at_mut(g * h);
        self.c_in.backprop(p_in, &d_eff[o[0]..o[1]], g_in);
        self.c_rec.backprop(p_rec, &d_eff[o[2]..], g_rec);
        for (gv, &d) in g_b.iter_mut().zip(&d_eff[o[1]..o[2]]) {
            *gv += d;
        }
    }
}
