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
use crate::cells::vanilla::rnn_uniform;
use crate::constraint::Constraint;
use crate::kernels::strided::{gemm_s, sv, RecCopies};
use crate::kernels::Pointwise;
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

    // eff layout: [w_in (4H, n_in) | b (4H) | w_rec (4H, H) | copies of w_rec for the per-step
    // products (`RecCopies`)]; ∂eff stops before the copies.
    fn offs(&self) -> [usize; 4] {
        let g = 4 * self.n_rec;
        let a = g * self.n_in;
        [0, a, a + g, a + g + g * self.n_rec]
    }

    fn copies(&self) -> RecCopies {
        RecCopies {
            g: 4 * self.n_rec,
            h: self.n_rec,
        }
    }
}

/// The element-wise part of a forward step, for [`crate::kernels::vectorized`]: gates, cell and
/// output from `U_t` and the recurrent products left in the cache.
struct Fwd<'a, T> {
    h: usize,
    batch: usize,
    io: StepFwd<'a, T>,
}

impl<T: Real> Pointwise for Fwd<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let (h, io) = (self.h, self.io);
        for s in 0..self.batch {
            let k = s * h..(s + 1) * h;
            let (sn, rn) = (
                &mut io.s_next[2 * s * h..2 * (s + 1) * h],
                &mut io.r_next[k],
            );
            let (hn, cn) = sn.split_at_mut(h);
            fwd_row(
                &mut io.cache[s * 5 * h..(s + 1) * 5 * h],
                &io.u[s * 4 * h..(s + 1) * 4 * h],
                &io.s_prev[(2 * s + 1) * h..2 * (s + 1) * h],
                hn,
                cn,
            );
            rn.copy_from_slice(hn);
        }
    }
}

/// One sample's step: `c` holds the recurrent products of the four gates on entry and
/// `[i | f | g | o | tanh c']` on exit; `cp` is `c_{t−1}`. Written as short passes over few
/// slices each: inlined, the slices lose their no-alias facts, and a loop over many of them
/// needs more overlap checks than the compiler makes before it vectorises (one loop over all
/// of them ran scalar: a forward step 3.5× slower).
#[inline(always)]
fn fwd_row<T: Real>(c: &mut [T], u: &[T], cp: &[T], hn: &mut [T], cn: &mut [T]) {
    let h = hn.len();
    let (ci, c) = c.split_at_mut(h);
    let (cf, c) = c.split_at_mut(h);
    let (cg, c) = c.split_at_mut(h);
    let (co, ct) = c.split_at_mut(h);
    let (ci, cf, cg, co, ct) = (
        &mut ci[..h],
        &mut cf[..h],
        &mut cg[..h],
        &mut co[..h],
        &mut ct[..h],
    );
    let (ui, uf, ug, uo) = (&u[..h], &u[h..2 * h], &u[2 * h..3 * h], &u[3 * h..4 * h]);
    let (cp, cn) = (&cp[..h], &mut cn[..h]);
    gate(ci, ui, sigmoid);
    gate(cf, uf, sigmoid);
    gate(cg, ug, T::tanh);
    gate(co, uo, sigmoid);
    for j in 0..h {
        cn[j] = cf[j] * cp[j] + ci[j] * cg[j];
    }
    for j in 0..h {
        ct[j] = cn[j].tanh();
    }
    for j in 0..h {
        hn[j] = co[j] * ct[j];
    }
}

/// `v ← f(u + v)` element-wise.
#[inline(always)]
fn gate<T: Real>(v: &mut [T], u: &[T], f: impl Fn(T) -> T) {
    let u = &u[..v.len()];
    for (v, &u) in v.iter_mut().zip(u) {
        *v = f(u + *v);
    }
}

/// The element-wise part of a backward step, for [`crate::kernels::vectorized`]: `∂U` and
/// `∂c_{t−1}`. Hands the step's slices back.
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
            let (dh, dc) = io.d_s_next[2 * s * h..2 * (s + 1) * h].split_at(h);
            bwd_row(
                &io.cache[s * 5 * h..(s + 1) * 5 * h],
                &io.s_prev[(2 * s + 1) * h..2 * (s + 1) * h],
                (dh, dc),
                &io.d_r[s * h..(s + 1) * h],
                &mut io.d_u[s * 4 * h..(s + 1) * 4 * h],
                &mut io.d_s_prev[(2 * s + 1) * h..2 * (s + 1) * h],
            );
        }
        io
    }
}

/// One sample's `∂U` and `∂c_{t−1}` from its cache row, in short passes as [`fwd_row`]
/// (`∂h` is kept in `∂U_o` and `∂c'` in `∂c_{t−1}` until they are last used).
#[inline(always)]
fn bwd_row<T: Real>(
    c: &[T],
    cp: &[T],
    (dh_next, dc_next): (&[T], &[T]),
    dr: &[T],
    du: &mut [T],
    dcp: &mut [T],
) {
    let h = dcp.len();
    let one = T::c(1.0);
    let (ig, fg, gg) = (&c[..h], &c[h..2 * h], &c[2 * h..3 * h]);
    let (og, tc) = (&c[3 * h..4 * h], &c[4 * h..5 * h]);
    let (cp, dh_next, dc_next, dr) = (&cp[..h], &dh_next[..h], &dc_next[..h], &dr[..h]);
    let (du_i, du) = du.split_at_mut(h);
    let (du_f, du) = du.split_at_mut(h);
    let (du_g, du_o) = du.split_at_mut(h);
    let (du_i, du_f, du_g, du_o) = (
        &mut du_i[..h],
        &mut du_f[..h],
        &mut du_g[..h],
        &mut du_o[..h],
    );
    for j in 0..h {
        du_o[j] = dh_next[j] + dr[j];
    }
    for j in 0..h {
        dcp[j] = dc_next[j] + du_o[j] * og[j] * (one - tc[j] * tc[j]);
    }
    for j in 0..h {
        du_o[j] = du_o[j] * tc[j] * og[j] * (one - og[j]);
    }
    for j in 0..h {
        du_i[j] = dcp[j] * gg[j] * ig[j] * (one - ig[j]);
    }
    for j in 0..h {
        du_f[j] = dcp[j] * cp[j] * fg[j] * (one - fg[j]);
    }
    for j in 0..h {
        du_g[j] = dcp[j] * ig[j] * (one - gg[j] * gg[j]);
    }
    for j in 0..h {
        dcp[j] *= fg[j];
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
        self.offs()[3] + self.copies().len()
    }
    fn grad_len(&self) -> usize {
        self.offs()[3]
    }
    fn prepare(&self, params: &[T], eff: &mut [T]) {
        let (h, g) = (self.n_rec, 4 * self.n_rec);
        let o = self.offs();
        let (p_in, rest) = params.split_at(g * self.n_in);
        let (p_rec, p_b) = rest.split_at(g * h);
        self.c_in.apply(p_in, &mut eff[o[0]..o[1]]);
        eff[o[1]..o[2]].copy_from_slice(p_b);
        self.c_rec.apply(p_rec, &mut eff[o[2]..o[3]]);
        let (head, copies) = eff.split_at_mut(o[3]);
        self.copies().write(&head[o[2]..o[3]], copies);
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
        let o = self.offs();
        // Gate pre-activations h_{t−1} W_recᵀ into the first 4H of each cache row (U added below).
        gemm_s(
            io.cache,
            b,
            g,
            5 * h,
            sv(io.r_prev, b, h, h),
            Trans::N,
            self.copies().w_t(&eff[o[3]..]),
            Trans::N,
            false,
            ctx.threads,
        );
        crate::kernels::vectorized(Fwd { h, batch: b, io });
    }

    fn backward_step(&self, eff: &[T], ctx: StepCtx, io: StepBwd<'_, T>) {
        let (h, g) = (self.n_rec, 4 * self.n_rec);
        let b = ctx.batch;
        let o = self.offs();
        let w_rec = self.copies().w(&eff[o[2]..o[3]], &eff[o[3]..]);
        let io = crate::kernels::vectorized(Bwd { h, batch: b, io });
        // ∂h_{t−1} = ∂U · W_rec, written into the h half of each ∂state row.
        gemm_s(
            io.d_s_prev,
            b,
            h,
            2 * h,
            sv(io.d_u, b, g, g),
            Trans::N,
            w_rec,
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
