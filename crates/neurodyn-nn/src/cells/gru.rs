//! Gated recurrent unit, exactly PyTorch's one-layer `nn.GRU` (Cho et al. 2014 with the reset
//! gate applied after the recurrent product).
//!
//! ```text
//! r  = σ(W_ir x + b_ir + W_hr h + b_hr)
//! z  = σ(W_iz x + b_iz + W_hz h + b_hz)
//! n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
//! h' = (1 − z) ⊙ n + z ⊙ h
//! ```
//!
//! Gate order in every stacked tensor is PyTorch's `(r, z, n)`: `w_in (3H, n_in)` is
//! `weight_ih_l0`, `w_rec (3H, H)` is `weight_hh_l0`, `b_in (3H)` is `bias_ih_l0` and
//! `b_rec (3H)` is `bias_hh_l0`. The recurrent bias stays separate because `b_hn` sits inside the
//! reset gate's product. Constraints apply to the stacked `w_in` and `w_rec` (a Dale sign per
//! presynaptic column of `w_rec` constrains all three gates alike).
//!
//! Backward (g = ∂L/∂h'):
//!
//! ```text
//! ∂n_pre = g (1−z)(1−n²)     ∂z_pre = g (h−n) z(1−z)     ∂r_pre = ∂n_pre (W_hn h + b_hn) r(1−r)
//! ∂U     = [∂r_pre, ∂z_pre, ∂n_pre]
//! ∂G     = [∂r_pre, ∂z_pre, ∂n_pre ⊙ r]        (gradient of G = h W_recᵀ + b_rec; kept in aux)
//! ∂h     = g z + ∂G · W_rec
//! ```
//!
//! and after the loop `∂W_rec = Σ_t ∂G_tᵀ h_{t−1}`, `∂b_rec = Σ_t Σ_b ∂G_t`, one GEMM over all
//! steps. ∂G differs from ∂U only in the n gate, which is why it needs its own buffer.

use crate::activation::sigmoid;
use crate::cell::{Cell, Seq, StepBwd, StepCtx, StepFwd};
use crate::cells::strided::{gemm_s, sv};
use crate::cells::vanilla::rnn_uniform;
use crate::constraint::Constraint;
use crate::linalg::{add_col_sums, gemm, m, Trans};
use crate::params::{write_initial, ParamSpec};
use crate::real::Real;
use neurodyn_core::Rng;

/// A GRU cell. Build it with [`Gru::new`] and set the public fields for constraints.
pub struct Gru<T> {
    /// Inputs.
    pub n_in: usize,
    /// Units.
    pub n_rec: usize,
    /// Constraint on `w_in (3H, n_in)`.
    pub c_in: Constraint<T>,
    /// Constraint on `w_rec (3H, H)`.
    pub c_rec: Constraint<T>,
    /// Initial `w_in`, `(3H, n_in)`, gate order (r, z, n).
    pub w_in_init: Vec<f64>,
    /// Initial `w_rec`, `(3H, H)`.
    pub w_rec_init: Vec<f64>,
    /// Initial input bias `b_in`, `(3H)`.
    pub b_in_init: Vec<f64>,
    /// Initial recurrent bias `b_rec`, `(3H)`.
    pub b_rec_init: Vec<f64>,
}

impl<T: Real> Gru<T> {
    /// A cell with PyTorch's initial weights (U(±1/√H) everywhere) drawn from `rng`, no
    /// constraints.
    pub fn new(n_in: usize, n_rec: usize, rng: &mut Rng) -> Self {
        let g = 3 * n_rec;
        Gru {
            n_in,
            n_rec,
            c_in: Constraint::none(g, n_in),
            c_rec: Constraint::none(g, n_rec),
            w_in_init: rnn_uniform(g * n_in, n_rec, rng),
            w_rec_init: rnn_uniform(g * n_rec, n_rec, rng),
            b_in_init: rnn_uniform(g, n_rec, rng),
            b_rec_init: rnn_uniform(g, n_rec, rng),
        }
    }

    // eff layout: [w_in (3H, n_in) | b_in (3H) | w_rec (3H, H) | b_rec (3H)]
    fn offs(&self) -> [usize; 4] {
        let g = 3 * self.n_rec;
        let a = g * self.n_in;
        [0, a, a + g, a + g + g * self.n_rec]
    }
}

impl<T: Real> Cell<T> for Gru<T> {
    fn kind(&self) -> &'static str {
        "gru"
    }
    fn n_in(&self) -> usize {
        self.n_in
    }
    fn n_units(&self) -> usize {
        self.n_rec
    }
    fn input_width(&self) -> usize {
        3 * self.n_rec
    }
    // Cache row per sample: [r | z | W_hn h + b_hn | n].
    fn cache_len(&self) -> usize {
        4 * self.n_rec
    }
    fn gates(&self) -> Vec<(&'static str, usize)> {
        let h = self.n_rec;
        vec![("reset", 0), ("update", h), ("candidate", 3 * h)]
    }
    // Aux row per sample: ∂G = [∂r_pre | ∂z_pre | ∂n_pre ⊙ r].
    fn aux_len(&self) -> usize {
        3 * self.n_rec
    }
    fn param_specs(&self) -> Vec<ParamSpec> {
        let (h, g) = (self.n_rec, 3 * self.n_rec);
        vec![
            ParamSpec::new("w_in", g, self.n_in),
            ParamSpec::new("w_rec", g, h),
            ParamSpec::new("b_in", 1, g),
            ParamSpec::new("b_rec", 1, g),
        ]
    }
    fn init(&self, params: &mut [T], _buffers: &mut [T], _rng: &mut Rng) {
        let pieces = [
            &self.w_in_init[..],
            &self.w_rec_init,
            &self.b_in_init,
            &self.b_rec_init,
        ];
        write_initial(params, &self.param_specs(), &pieces);
    }
    fn eff_len(&self) -> usize {
        self.offs()[3] + 3 * self.n_rec
    }
    fn prepare(&self, params: &[T], eff: &mut [T]) {
        let (h, g) = (self.n_rec, 3 * self.n_rec);
        let o = self.offs();
        let (p_in, rest) = params.split_at(g * self.n_in);
        let (p_rec, rest) = rest.split_at(g * h);
        let (p_bi, p_bh) = rest.split_at(g);
        self.c_in.apply(p_in, &mut eff[o[0]..o[1]]);
        eff[o[1]..o[2]].copy_from_slice(p_bi);
        self.c_rec.apply(p_rec, &mut eff[o[2]..o[3]]);
        eff[o[3]..].copy_from_slice(p_bh);
    }
    fn input_offsets(&self) -> (usize, usize) {
        let o = self.offs();
        (o[0], o[1])
    }

    fn step(&self, eff: &[T], ctx: StepCtx, io: StepFwd<'_, T>) {
        let (h, g) = (self.n_rec, 3 * self.n_rec);
        let b = ctx.batch;
        let o = self.offs();
        let cl = 4 * h;
        let (w_rec, b_rec) = (&eff[o[2]..o[3]], &eff[o[3]..]);
        let one = T::c(1.0);
        // G = h_{t−1} W_recᵀ into the first 3H of each cache row.
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
            for i in 0..h {
                let r = sigmoid(u[i] + c[i] + b_rec[i]);
                let z = sigmoid(u[h + i] + c[h + i] + b_rec[h + i]);
                let hn = c[2 * h + i] + b_rec[2 * h + i];
                let n = (u[2 * h + i] + r * hn).tanh();
                let k = s * h + i;
                let v = (one - z) * n + z * io.r_prev[k];
                c[i] = r;
                c[h + i] = z;
                c[2 * h + i] = hn;
                c[3 * h + i] = n;
                io.s_next[k] = v;
                io.r_next[k] = v;
            }
        }
    }

    fn backward_step(&self, eff: &[T], ctx: StepCtx, io: StepBwd<'_, T>) {
        let (h, g) = (self.n_rec, 3 * self.n_rec);
        let b = ctx.batch;
        let o = self.offs();
        let cl = 4 * h;
        let w_rec = &eff[o[2]..o[3]];
        let one = T::c(1.0);
        for s in 0..b {
            let c = &io.cache[s * cl..(s + 1) * cl];
            for i in 0..h {
                let k = s * h + i;
                let (r, z, hn, n) = (c[i], c[h + i], c[2 * h + i], c[3 * h + i]);
                let gr = io.d_s_next[k] + io.d_r[k];
                let dn = gr * (one - z) * (one - n * n);
                let dz = gr * (io.r_prev[k] - n) * z * (one - z);
                let dr = dn * hn * r * (one - r);
                let (du, da) = (
                    &mut io.d_u[s * g..(s + 1) * g],
                    &mut io.d_aux[s * g..(s + 1) * g],
                );
                du[i] = dr;
                du[h + i] = dz;
                du[2 * h + i] = dn;
                da[i] = dr;
                da[h + i] = dz;
                da[2 * h + i] = dn * r;
                io.d_s_prev[k] = gr * z;
            }
        }
        gemm(
            io.d_s_prev,
            b,
            h,
            m(io.d_aux, b, g),
            Trans::N,
            m(w_rec, g, h),
            Trans::N,
            true,
            ctx.threads,
        );
    }

    fn finish_backward(&self, _eff: &[T], ctx: StepCtx, seq: Seq<'_, T>, d_eff: &mut [T]) {
        let (h, g) = (self.n_rec, 3 * self.n_rec);
        let o = self.offs();
        let tb = seq.n_steps * seq.batch;
        let (d_w, d_b) = d_eff[o[2]..].split_at_mut(g * h);
        // ∂W_rec = Σ_t ∂G_tᵀ h_{t−1}, ∂b_rec = Σ ∂G: one GEMM and one reduction over all steps.
        gemm(
            d_w,
            g,
            h,
            m(seq.d_aux, tb, g),
            Trans::T,
            m(&seq.rates[..tb * h], tb, h),
            Trans::N,
            true,
            ctx.threads,
        );
        add_col_sums(d_b, seq.d_aux, g);
    }

    fn backprop_params(&self, params: &[T], d_eff: &[T], d_params: &mut [T]) {
        let (h, g) = (self.n_rec, 3 * self.n_rec);
        let o = self.offs();
        let (p_in, rest) = params.split_at(g * self.n_in);
        let p_rec = &rest[..g * h];
        let (g_in, rest) = d_params.split_at_mut(g * self.n_in);
        let (g_rec, rest) = rest.split_at_mut(g * h);
        let (g_bi, g_bh) = rest.split_at_mut(g);
        self.c_in.backprop(p_in, &d_eff[o[0]..o[1]], g_in);
        self.c_rec.backprop(p_rec, &d_eff[o[2]..o[3]], g_rec);
        for (gv, &d) in g_bi.iter_mut().zip(&d_eff[o[1]..o[2]]) {
            *gv += d;
        }
        for (gv, &d) in g_bh.iter_mut().zip(&d_eff[o[3]..]) {
            *gv += d;
        }
    }
}
