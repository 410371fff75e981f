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
use crate::cells::vanilla::rnn_uniform;
use crate::constraint::Constraint;
use crate::kernels::strided::{gemm_s, sv, RecCopies};
use crate::kernels::Pointwise;
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

    // eff layout: [w_in (3H, n_in) | b_in (3H) | w_rec (3H, H) | b_rec (3H) | copies of w_rec
    // for the per-step products (`RecCopies`)]; ∂eff stops before the copies.
    fn offs(&self) -> [usize; 5] {
        let g = 3 * self.n_rec;
        let a = g * self.n_in;
        let r = a + g + g * self.n_rec;
        [0, a, a + g, r, r + g]
    }

    fn copies(&self) -> RecCopies {
        RecCopies {
            g: 3 * self.n_rec,
            h: self.n_rec,
        }
    }
}

/// The element-wise part of a forward step, for [`crate::kernels::vectorized`]: the gates from
/// `U_t` and the recurrent products left in the cache.
struct Fwd<'a, T> {
    h: usize,
    batch: usize,
    b_rec: &'a [T],
    io: StepFwd<'a, T>,
}

impl<T: Real> Pointwise for Fwd<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let (h, io) = (self.h, self.io);
        for s in 0..self.batch {
            let c = &mut io.cache[s * 4 * h..(s + 1) * 4 * h];
            let (cr, c) = c.split_at_mut(h);
            let (cz, c) = c.split_at_mut(h);
            let (chn, cn) = c.split_at_mut(h);
            let k = s * h..(s + 1) * h;
            let sn = &mut io.s_next[k.clone()];
            let u = &io.u[s * 3 * h..(s + 1) * 3 * h];
            fwd_row(cr, cz, chn, cn, u, self.b_rec, &io.r_prev[k.clone()], sn);
            io.r_next[k].copy_from_slice(sn);
        }
    }
}

/// One sample's gates: on entry `cr`, `cz`, `chn` hold the recurrent products `h W_recᵀ` of the
/// three gates; on exit `r`, `z`, `W_hn h + b_hn`, and `cn` holds `n`. Written as short passes
/// over few slices each: inlined, the slices lose their no-alias facts, and a loop over many of
/// them needs more overlap checks than the compiler makes before it vectorises.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn fwd_row<T: Real>(
    cr: &mut [T],
    cz: &mut [T],
    chn: &mut [T],
    cn: &mut [T],
    u: &[T],
    b_rec: &[T],
    rp: &[T],
    sn: &mut [T],
) {
    let h = sn.len();
    let one = T::c(1.0);
    let (cr, cz, chn, cn, rp) = (
        &mut cr[..h],
        &mut cz[..h],
        &mut chn[..h],
        &mut cn[..h],
        &rp[..h],
    );
    let (ur, uz, un) = (&u[..h], &u[h..2 * h], &u[2 * h..3 * h]);
    let (br, bz, bn) = (&b_rec[..h], &b_rec[h..2 * h], &b_rec[2 * h..3 * h]);
    for i in 0..h {
        cr[i] = sigmoid(ur[i] + cr[i] + br[i]);
    }
    for i in 0..h {
        cz[i] = sigmoid(uz[i] + cz[i] + bz[i]);
    }
    for i in 0..h {
        chn[i] += bn[i];
    }
    for i in 0..h {
        cn[i] = (un[i] + cr[i] * chn[i]).tanh();
    }
    for i in 0..h {
        sn[i] = (one - cz[i]) * cn[i] + cz[i] * rp[i];
    }
}

/// The element-wise part of a backward step, for [`crate::kernels::vectorized`]: `∂U`, `∂G` (in
/// `d_aux`) and the direct part `g z` of `∂h_{t−1}`. Hands the step's slices back.
struct Bwd<'a, T> {
    h: usize,
    batch: usize,
    io: StepBwd<'a, T>,
}

impl<'a, T: Real> Pointwise for Bwd<'a, T> {
    type Output = StepBwd<'a, T>;
    #[inline(always)]
    fn run(self) -> StepBwd<'a, T> {
        let (h, io) = (self.h, self.io);
        for s in 0..self.batch {
            let k = s * h..(s + 1) * h;
            let g = s * 3 * h..(s + 1) * 3 * h;
            bwd_row(
                &io.cache[s * 4 * h..(s + 1) * 4 * h],
                &io.d_s_next[k.clone()],
                &io.d_r[k.clone()],
                &io.r_prev[k.clone()],
                &mut io.d_u[g.clone()],
                &mut io.d_aux[g],
                &mut io.d_s_prev[k],
            );
        }
        io
    }
}

/// One sample's `∂U`, `∂G` and `g z` from its cache row `[r | z | W_hn h + b_hn | n]`, in short
/// passes as [`fwd_row`] (`g` is kept in `dsp` until its last use).
#[inline(always)]
fn bwd_row<T: Real>(
    c: &[T],
    dsn: &[T],
    dr_in: &[T],
    rp: &[T],
    du: &mut [T],
    da: &mut [T],
    dsp: &mut [T],
) {
    let h = dsp.len();
    let one = T::c(1.0);
    let (r, z, hn, n) = (&c[..h], &c[h..2 * h], &c[2 * h..3 * h], &c[3 * h..4 * h]);
    let (dsn, dr_in, rp) = (&dsn[..h], &dr_in[..h], &rp[..h]);
    let (du_r, du) = du.split_at_mut(h);
    let (du_z, du_n) = du.split_at_mut(h);
    let (da_r, da) = da.split_at_mut(h);
    let (da_z, da_n) = da.split_at_mut(h);
    let (du_r, du_z, du_n) = (&mut du_r[..h], &mut du_z[..h], &mut du_n[..h]);
    let (da_r, da_z, da_n) = (&mut da_r[..h], &mut da_z[..h], &mut da_n[..h]);
    for i in 0..h {
        dsp[i] = dsn[i] + dr_in[i];
    }
    for i in 0..h {
        du_n[i] = dsp[i] * (one - z[i]) * (one - n[i] * n[i]);
    }
    for i in 0..h {
        du_z[i] = dsp[i] * (rp[i] - n[i]) * z[i] * (one - z[i]);
    }
    for i in 0..h {
        du_r[i] = du_n[i] * hn[i] * r[i] * (one - r[i]);
    }
    da_r.copy_from_slice(du_r);
    da_z.copy_from_slice(du_z);
    for i in 0..h {
        da_n[i] = du_n[i] * r[i];
    }
    for i in 0..h {
        dsp[i] *= z[i];
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
        self.offs()[4] + self.copies().len()
    }
    fn grad_len(&self) -> usize {
        self.offs()[4]
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
        eff[o[3]..o[4]].copy_from_slice(p_bh);
        let (head, copies) = eff.split_at_mut(o[4]);
        self.copies().write(&head[o[2]..o[3]], copies);
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
        let b_rec = &eff[o[3]..o[4]];
        // G = h_{t−1} W_recᵀ into the first 3H of each cache row.
        gemm_s(
            io.cache,
            b,
            g,
            cl,
            sv(io.r_prev, b, h, h),
            Trans::N,
            self.copies().w_t(&eff[o[4]..]),
            Trans::N,
            false,
            ctx.threads,
        );
        crate::kernels::vectorized(Fwd {
            h,
            b_rec,
            io,
            batch: b,
        });
    }

    fn backward_step(&self, eff: &[T], ctx: StepCtx, io: StepBwd<'_, T>) {
        let (h, g) = (self.n_rec, 3 * self.n_rec);
        let b = ctx.batch;
        let o = self.offs();
        let w_rec = self.copies().w(&eff[o[2]..o[3]], &eff[o[4]..]);
        let io = crate::kernels::vectorized(Bwd { h, io, batch: b });
        // ∂h_{t−1} += ∂G · W_rec.
        gemm_s(
            io.d_s_prev,
            b,
            h,
            h,
            sv(io.d_aux, b, g, g),
            Trans::N,
            w_rec,
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
