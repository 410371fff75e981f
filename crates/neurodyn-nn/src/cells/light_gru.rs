//! Light GRU (Ravanelli et al. 2018, "Light gated recurrent units for speech recognition") with
//! its two biologically motivated variants from the brain-like-constraints coursework (seed 001,
//! §2.1): ENU-light-GRU and EI-light-GRU.
//!
//! ```text
//! z_t = σ(BN_z(W_zx x_t) + U_z h_{t−1})
//! h̃_t = ReLU(BN_h(a_t) + U_h h_{t−1})          a_t = W_hx x_t                (light-GRU)
//!                                               a_t = W_ĥh ĥ_t,
//!                                               ĥ_t = ReLU(W_ĥx x_t + b_ĥ)     (ENU-light-GRU)
//! h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ h̃_t
//! BN(a) = γ ⊙ (a − μ) / √(σ² + ε) + β
//! ```
//!
//! No reset gate, a ReLU candidate, and batch normalisation of the input projections (β replaces
//! the biases). **Batch norm**: while training, μ and σ² are the batch mean and (biased) variance
//! of each feature at each step; in evaluation they are running estimates, updated at every
//! training step with PyTorch's rule `r ← (1 − m) r + m s` (momentum m = 0.1; the unbiased batch
//! variance for the variance), starting at 0 and 1. γ and β are shared by all steps.
//!
//! The running statistics are kept **per time step** by default (`bn_steps` rows of the buffers
//! `bn_running_mean` and `bn_running_var`, 512 by default; steps past the last row share it, and
//! evaluation past the last step trained uses that step's row; buffer `bn_steps_trained` counts
//! the rows trained), as in recurrent batch norm (Cooijmans et al. 2017). The seed's code calls one
//! `BatchNorm1d` at every step, so its running statistics are shared by all steps and follow the
//! last steps of each sequence: evaluation then normalises early steps with late-step statistics.
//! On GoNogo (1000 training steps) that network scored 0.502 in evaluation against 1.000 with batch
//! statistics. `bn_steps = 1` reproduces the seed's shared statistics (the PyTorch golden test
//! uses it). Ravanelli et al. pooled the statistics over all time steps; per-step statistics let
//! the batch norm run inside the time loop.
//!
//! **ENU-light-GRU** ([`LightGru::enu`]): each unit is a private two-layer network (an "embedded
//! neural unit"). Unit i owns E embedding units `ĥ[iE..(i+1)E]`; `W_ĥh (H, H·E)` is a full
//! parameter times the fixed block mask of eq. 17 (`conn[i, k] = 1` iff `k / E = i`), so masked
//! entries neither act nor train. The z gate keeps its direct input projection.
//!
//! **EI-light-GRU** ([`LightGru::ei`], or [`LightGru::set_dale`] on any variant): Dale's law on
//! the candidate's recurrent weights, `U_h,eff = |U_h| ⊙ sign ⊙ (1 − I)` via [`Constraint`]
//! (excitatory columns first). The seed's code multiplies `U_h` by the signed mask without
//! rectifying, which lets trained weights cross zero; here the magnitudes are rectified so the
//! signs hold. The L2 activity penalty of that model is `Regularizer::ActivityL2`.
//!
//! Backward (g = ∂L/∂h_t, d = ∂L/∂BN output of a feature over the batch, x̂ its normalised input):
//!
//! ```text
//! ∂z_pre = g (h_{t−1} − h̃) z(1−z)      ∂h̃_pre = g (1−z) [h̃ > 0]       ∂h_{t−1} = g z + ∂pre · [U_z; U_h]
//! ∂γ = Σ_b d x̂    ∂β = Σ_b d
//! ∂a = γ/√(σ²+ε) · (d − mean_b(d) − x̂ mean_b(d x̂))      (training: μ, σ² depend on the batch)
//! ∂a = γ/√(σ²+ε) · d                                     (evaluation: running statistics)
//! ENU: ∂ĥ = ∂a · W_ĥh,   ∂(W_ĥx x + b_ĥ) = ∂ĥ ⊙ [ĥ > 0]
//! ```
//!
//! and after the loop `∂[U_z; U_h] = Σ_t ∂pre_tᵀ h_{t−1}` and `∂W_ĥh = Σ_t ∂a_tᵀ ĥ_t`, one GEMM each
//! over all steps.

use crate::activation::sigmoid;
use crate::cell::{Cell, Seq, StepBwd, StepCtx, StepFwd};
use crate::constraint::{dale_signs, no_autapse_mask, Constraint, Rectify};
use crate::kernels::strided::{gemm_s, sv, RecCopies};
use crate::kernels::Pointwise;
use crate::linalg::Trans;
use crate::params::ParamSpec;
use crate::real::Real;
use neurodyn_core::Rng;

/// Rows of per-step running statistics a light-GRU keeps by default.
pub const DEFAULT_BN_STEPS: usize = 512;

/// A light-GRU cell (optionally ENU and/or EI). Build it with [`LightGru::new`],
/// [`LightGru::enu`] or [`LightGru::ei`]; the constraint fields may then be changed.
pub struct LightGru<T> {
    /// Inputs.
    pub n_in: usize,
    /// Units.
    pub n_rec: usize,
    /// Embedding units per unit E (ENU-light-GRU); 0 for the plain light-GRU. Fixed at build
    /// time because the parameter shapes depend on it.
    embed: usize,
    /// Batch-norm ε.
    pub bn_eps: f64,
    /// Batch-norm momentum of the running statistics.
    pub bn_momentum: f64,
    /// Rows of running statistics, one per time step (1: shared by all steps, as in the seed's
    /// code). Fixed at build time (the buffer shapes depend on it).
    bn_steps: usize,
    /// Constraint on `w_in (H + H_c, n_in)`, rows `[W_zx; W_hx]` (or `[W_zx; W_ĥx]`, H_c = H·E).
    pub c_in: Constraint<T>,
    /// Constraint on the gate's recurrent weights `w_rec_z (H, H)`.
    pub c_rec_z: Constraint<T>,
    /// Constraint on the candidate's recurrent weights `w_rec_h (H, H)` (Dale in EI-light-GRU).
    pub c_rec_h: Constraint<T>,
    /// Constraint on `w_emb = W_ĥh (H, H·E)`: the per-unit block mask (ENU only).
    pub c_emb: Constraint<T>,
    /// Initial `w_in`.
    pub w_in_init: Vec<f64>,
    /// Initial embedding bias `b_emb (H·E)` (ENU only).
    pub b_emb_init: Vec<f64>,
    /// Initial `w_rec_z`.
    pub w_rec_z_init: Vec<f64>,
    /// Initial `w_rec_h`.
    pub w_rec_h_init: Vec<f64>,
    /// Initial `w_emb` (ENU only).
    pub w_emb_init: Vec<f64>,
}

impl<T: Real> LightGru<T> {
    /// A plain light-GRU: input weights U(±1/√n_in) (PyTorch's `nn.Linear`), orthogonal recurrent
    /// weights (Ravanelli et al.), γ = 1, β = 0, ε = 1e-5, momentum 0.1.
    pub fn new(n_in: usize, n_rec: usize, rng: &mut Rng) -> Self {
        Self::build(n_in, n_rec, 0, rng)
    }

    /// An ENU-light-GRU with `embed` ≥ 1 private embedding units per unit.
    pub fn enu(n_in: usize, n_rec: usize, embed: usize, rng: &mut Rng) -> Self {
        assert!(embed >= 1, "LightGru::enu: embed must be at least 1");
        Self::build(n_in, n_rec, embed, rng)
    }

    /// An EI-light-GRU: a plain light-GRU with [`LightGru::set_dale`]`(frac_exc)`.
    pub fn ei(n_in: usize, n_rec: usize, frac_exc: f64, rng: &mut Rng) -> Self {
        let mut c = Self::new(n_in, n_rec, rng);
        c.set_dale(frac_exc, rng);
        c
    }

    /// Impose Dale's law on the candidate's recurrent weights: the first `round(frac_exc·H)`
    /// units excitatory, no autapses, magnitudes `|U_h|` re-initialised E/I-balanced per row with
    /// spectral radius 1.
    pub fn set_dale(&mut self, frac_exc: f64, rng: &mut Rng) {
        let h = self.n_rec;
        let signs = dale_signs::<f64>(h, frac_exc);
        let conn = no_autapse_mask::<f64>(h);
        self.w_rec_h_init = crate::init::dale_balanced(&signs, &conn, 1.0, rng);
        self.c_rec_h = Constraint {
            conn: Some(conn.iter().map(|&v| T::c(v)).collect()),
            col_sign: Some(signs.iter().map(|&v| T::c(v)).collect()),
            rectify: Rectify::Abs,
            ..Constraint::none(h, h)
        };
    }

    fn build(n_in: usize, h: usize, embed: usize, rng: &mut Rng) -> Self {
        let hc = if embed == 0 { h } else { h * embed };
        let w_in_init = crate::init::uniform_fan_in(h + hc, n_in, rng);
        let w_rec_z_init = crate::init::orthogonal(h, rng);
        let w_rec_h_init = crate::init::orthogonal(h, rng);
        let (mut b_emb_init, mut w_emb_init) = (Vec::new(), Vec::new());
        let mut c_emb = Constraint::none(h, if embed == 0 { 0 } else { hc });
        if embed > 0 {
            let bound = 1.0 / (n_in.max(1) as f64).sqrt();
            b_emb_init = (0..hc).map(|_| rng.uniform_range(-bound, bound)).collect();
            let block = |k: usize| -> bool { (k % hc) / embed == k / hc };
            let eb = 1.0 / (embed as f64).sqrt();
            w_emb_init = (0..h * hc)
                .map(|k| {
                    if block(k) {
                        rng.uniform_range(-eb, eb)
                    } else {
                        0.0
                    }
                })
                .collect();
            c_emb.conn = Some(
                (0..h * hc)
                    .map(|k| if block(k) { T::c(1.0) } else { T::c(0.0) })
                    .collect(),
            );
        }
        LightGru {
            n_in,
            n_rec: h,
            embed,
            bn_eps: 1e-5,
            bn_momentum: 0.1,
            bn_steps: DEFAULT_BN_STEPS,
            c_in: Constraint::none(h + hc, n_in),
            c_rec_z: Constraint::none(h, h),
            c_rec_h: Constraint::none(h, h),
            c_emb,
            w_in_init,
            b_emb_init,
            w_rec_z_init,
            w_rec_h_init,
            w_emb_init,
        }
    }

    /// Embedding units per unit (0 = plain light-GRU).
    pub fn embed(&self) -> usize {
        self.embed
    }

    /// The same cell with `rows` rows of running statistics (≥ 1; 1 = shared by all steps, the
    /// seed's and PyTorch's behaviour).
    pub fn with_bn_steps(mut self, rows: usize) -> Self {
        assert!(rows >= 1, "LightGru::with_bn_steps: at least one row");
        self.bn_steps = rows;
        self
    }

    /// Width of the candidate's input projection: H, or H·E with embeddings.
    fn hc(&self) -> usize {
        if self.embed == 0 {
            self.n_rec
        } else {
            self.n_rec * self.embed
        }
    }

    /// Width of the embedding block (0 without embeddings).
    fn he(&self) -> usize {
        self.n_rec * self.embed
    }

    // Parameter lengths: [w_in, b_emb, w_rec_z, w_rec_h, w_emb, bn_gamma, bn_beta].
    fn param_lens(&self) -> [usize; 7] {
        let h = self.n_rec;
        let g = h + self.hc();
        [
            g * self.n_in,
            self.he(),
            h * h,
            h * h,
            h * self.he(),
            2 * h,
            2 * h,
        ]
    }

    // eff layout: [w_in (G, n_in) | b_in (G) | w_rec (2H, H) = [U_z; U_h] | w_emb | γ (2H) | β (2H)
    // | copies of w_rec for the per-step products (`RecCopies`)] → offsets [w_in, b_in, w_rec,
    // w_emb, γ, β, copies]; ∂eff stops before the copies.
    fn offs(&self) -> [usize; 7] {
        let h = self.n_rec;
        let g = h + self.hc();
        let mut o = [0; 7];
        o[1] = g * self.n_in;
        o[2] = o[1] + g;
        o[3] = o[2] + 2 * h * h;
        o[4] = o[3] + h * self.he();
        o[5] = o[4] + 2 * h;
        o[6] = o[5] + 2 * h;
        o
    }

    fn copies(&self) -> RecCopies {
        RecCopies {
            g: 2 * self.n_rec,
            h: self.n_rec,
        }
    }
}

fn pieces<'a, T>(mut p: &'a [T], lens: &[usize; 7]) -> [&'a [T]; 7] {
    let mut out: [&[T]; 7] = [&[]; 7];
    for (o, &n) in out.iter_mut().zip(lens) {
        let (a, b) = p.split_at(n);
        *o = a;
        p = b;
    }
    out
}

fn pieces_mut<'a, T>(mut p: &'a mut [T], lens: &[usize; 7]) -> [&'a mut [T]; 7] {
    let mut out: [&mut [T]; 7] = Default::default();
    for (o, &n) in out.iter_mut().zip(lens) {
        let (a, b) = std::mem::take(&mut p).split_at_mut(n);
        *o = a;
        p = b;
    }
    out
}

/// Batch norm and the gates of a forward step, for [`crate::kernels::vectorized`], row by row so
/// that every loop runs along the features. The batch sums accumulate in the inverse-deviation
/// slots of the cache's first two rows (the mean in row 0's, the variance and then 1/√(σ²+ε) in
/// row 1's; row 0's slot gets its final value last), sample after sample, in the order a loop
/// down each column would take.
struct BnFwd<'a, 'b, T> {
    h: usize,
    b: usize,
    cl: usize,
    training: bool,
    eps: T,
    momentum: T,
    r_mean: &'b mut [T],
    r_var: &'b mut [T],
    gamma: &'b [T],
    beta: &'b [T],
    io: StepFwd<'a, T>,
}

impl<T: Real> Pointwise for BnFwd<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let (h, b, cl) = (self.h, self.b, self.cl);
        let (zero, one) = (T::c(0.0), T::c(1.0));
        let (nb, eps, mom) = (T::c(b as f64), self.eps, self.momentum);
        let (r_mean, r_var) = (&mut self.r_mean[..2 * h], &mut self.r_var[..2 * h]);
        let io = self.io;
        let (row0, rest) = io.cache.split_at_mut(cl);
        let (row1, rest) = rest.split_at_mut(if b > 1 { cl } else { 0 });
        let (a0, slot0) = row0[2 * h..6 * h].split_at_mut(2 * h);
        if self.training {
            // μ into row 0's slots.
            slot0.iter_mut().for_each(|v| *v = zero);
            add_into(slot0, a0);
            if b > 1 {
                add_into(slot0, &row1[2 * h..4 * h]);
            }
            for r in rest.chunks_exact(cl) {
                add_into(slot0, &r[2 * h..4 * h]);
            }
            slot0.iter_mut().for_each(|v| *v /= nb);
            let mean: &[T] = slot0;
            if b > 1 {
                // σ² into row 1's slots, then the running statistics, then 1/√(σ²+ε) there.
                let (a1, slot1) = row1[2 * h..6 * h].split_at_mut(2 * h);
                slot1.iter_mut().for_each(|v| *v = zero);
                add_sq_dev(slot1, a0, mean);
                add_sq_dev(slot1, a1, mean);
                for r in rest.chunks_exact(cl) {
                    add_sq_dev(slot1, &r[2 * h..4 * h], mean);
                }
                let slot1 = &mut slot1[..2 * h];
                for j in 0..2 * h {
                    let var = slot1[j] / nb;
                    r_mean[j] = (one - mom) * r_mean[j] + mom * mean[j];
                    r_var[j] = (one - mom) * r_var[j] + mom * (var * nb / (nb - one));
                    slot1[j] = one / (var + eps).sqrt();
                }
                let inv: &[T] = slot1;
                for r in rest.chunks_exact_mut(cl) {
                    let (a, slot) = r[2 * h..6 * h].split_at_mut(2 * h);
                    normalise(a, mean, inv);
                    slot.copy_from_slice(inv);
                }
                normalise(a1, mean, inv);
                normalise(a0, mean, inv);
                slot0.copy_from_slice(inv);
            } else {
                // One sample: σ² = 0.
                for j in 0..2 * h {
                    r_mean[j] = (one - mom) * r_mean[j] + mom * slot0[j];
                    r_var[j] = (one - mom) * r_var[j];
                    let inv = one / eps.sqrt();
                    a0[j] = (a0[j] - slot0[j]) * inv;
                    slot0[j] = inv;
                }
            }
        } else {
            // Running statistics: 1/√(σ²+ε) into row 0's slots, then every row.
            for (v, &var) in slot0.iter_mut().zip(&*r_var) {
                *v = one / (var + eps).sqrt();
            }
            let (mean, inv): (&[T], &[T]) = (r_mean, slot0);
            for r in rest.chunks_exact_mut(cl).chain((b > 1).then_some(row1)) {
                let (a, slot) = r[2 * h..6 * h].split_at_mut(2 * h);
                normalise(a, mean, inv);
                slot.copy_from_slice(inv);
            }
            normalise(a0, mean, inv);
        }
        // Gates and the new state; z and h̃ replace the recurrent pre-activations.
        let (gz, gh) = self.gamma[..2 * h].split_at(h);
        let (bz, bh) = self.beta[..2 * h].split_at(h);
        for s in 0..b {
            let c = &mut io.cache[s * cl..(s + 1) * cl];
            let (cz, c) = c.split_at_mut(h);
            let (ch, c) = c.split_at_mut(h);
            let (xz, xh) = (&c[..h], &c[h..2 * h]);
            let k = s * h..(s + 1) * h;
            let sn = &mut io.s_next[k.clone()];
            gates_row(
                cz,
                ch,
                (xz, xh),
                (gz, gh),
                (bz, bh),
                &io.r_prev[k.clone()],
                sn,
            );
            io.r_next[k].copy_from_slice(sn);
        }
    }
}

/// One sample's gates from its normalised inputs `x̂`: `cz` and `ch` hold the recurrent
/// pre-activations on entry and `z`, `h̃` on exit; `sn` gets `z h_{t−1} + (1−z) h̃`. Short
/// passes, as the GRU's (`super::gru`).
#[inline(always)]
fn gates_row<T: Real>(
    cz: &mut [T],
    ch: &mut [T],
    (xz, xh): (&[T], &[T]),
    (gz, gh): (&[T], &[T]),
    (bz, bh): (&[T], &[T]),
    rp: &[T],
    sn: &mut [T],
) {
    let h = sn.len();
    let (zero, one) = (T::c(0.0), T::c(1.0));
    let (cz, ch, rp) = (&mut cz[..h], &mut ch[..h], &rp[..h]);
    let (xz, xh, gz, gh, bz, bh) = (&xz[..h], &xh[..h], &gz[..h], &gh[..h], &bz[..h], &bh[..h]);
    for i in 0..h {
        cz[i] = sigmoid(gz[i] * xz[i] + bz[i] + cz[i]);
    }
    for i in 0..h {
        ch[i] = (gh[i] * xh[i] + bh[i] + ch[i]).max(zero);
    }
    for i in 0..h {
        sn[i] = cz[i] * rp[i] + (one - cz[i]) * ch[i];
    }
}

/// `acc += (a − mean)²` element-wise.
#[inline(always)]
fn add_sq_dev<T: Real>(acc: &mut [T], a: &[T], mean: &[T]) {
    let n = acc.len();
    let (a, mean) = (&a[..n], &mean[..n]);
    for j in 0..n {
        acc[j] += (a[j] - mean[j]) * (a[j] - mean[j]);
    }
}

/// `a ← (a − mean) · inv` element-wise.
#[inline(always)]
fn normalise<T: Real>(a: &mut [T], mean: &[T], inv: &[T]) {
    let n = a.len();
    let (mean, inv) = (&mean[..n], &inv[..n]);
    for j in 0..n {
        a[j] = (a[j] - mean[j]) * inv[j];
    }
}

/// `acc += a` element-wise.
#[inline(always)]
fn add_into<T: Real>(acc: &mut [T], a: &[T]) {
    let a = &a[..acc.len()];
    for (v, &x) in acc.iter_mut().zip(a) {
        *v += x;
    }
}

/// The gates' part of a backward step, for [`crate::kernels::vectorized`]: `∂z_pre`, `∂h̃_pre`
/// into `d_aux` and the direct part `g z` of `∂h_{t−1}`. Hands the step's slices back.
struct GatesBwd<'a, T> {
    h: usize,
    b: usize,
    cl: usize,
    al: usize,
    io: StepBwd<'a, T>,
}

impl<'a, T: Real> Pointwise for GatesBwd<'a, T> {
    type Output = StepBwd<'a, T>;
    #[inline(always)]
    fn run(self) -> StepBwd<'a, T> {
        let (h, cl, al, io) = (self.h, self.cl, self.al, self.io);
        for s in 0..self.b {
            let k = s * h..(s + 1) * h;
            let c = &io.cache[s * cl..s * cl + 2 * h];
            let (daz, dah) = io.d_aux[s * al..s * al + 2 * h].split_at_mut(h);
            gates_bwd_row(
                (&c[..h], &c[h..]),
                (&io.d_s_next[k.clone()], &io.d_r[k.clone()]),
                &io.r_prev[k.clone()],
                (daz, dah),
                &mut io.d_s_prev[k],
            );
        }
        io
    }
}

/// One sample's gate gradients (short passes; `g` is kept in `dsp` until its last use).
#[inline(always)]
fn gates_bwd_row<T: Real>(
    (z, hc): (&[T], &[T]),
    (dsn, dr): (&[T], &[T]),
    rp: &[T],
    (daz, dah): (&mut [T], &mut [T]),
    dsp: &mut [T],
) {
    let h = dsp.len();
    let (zero, one) = (T::c(0.0), T::c(1.0));
    let (z, hc, dsn, dr, rp) = (&z[..h], &hc[..h], &dsn[..h], &dr[..h], &rp[..h]);
    let (daz, dah) = (&mut daz[..h], &mut dah[..h]);
    for i in 0..h {
        dsp[i] = dsn[i] + dr[i];
    }
    for i in 0..h {
        daz[i] = dsp[i] * (rp[i] - hc[i]) * z[i] * (one - z[i]);
    }
    for i in 0..h {
        dah[i] = if hc[i] > zero {
            dsp[i] * (one - z[i])
        } else {
            zero
        };
    }
    for i in 0..h {
        dsp[i] *= z[i];
    }
}

/// The batch norm's part of a backward step, for [`crate::kernels::vectorized`]: `∂γ`, `∂β` and
/// `∂a` (into `∂U`, or for the ENU's candidate into `d_aux[2H..3H)`), row by row. The batch sums
/// `Σ d` and `Σ d x̂` accumulate in `∂U`'s first two rows, sample after sample; those two rows'
/// own `∂a` is computed last, in one pass that reads both sums before it overwrites them.
struct BnBwd<'a, 'b, T> {
    h: usize,
    b: usize,
    cl: usize,
    al: usize,
    g: usize,
    training: bool,
    enu: bool,
    gamma: &'b [T],
    d_gamma_beta: &'b mut [T],
    io: StepBwd<'a, T>,
}

impl<'a, T: Real> Pointwise for BnBwd<'a, '_, T> {
    type Output = StepBwd<'a, T>;
    #[inline(always)]
    fn run(self) -> StepBwd<'a, T> {
        let (h, b, cl, al, g) = (self.h, self.b, self.cl, self.al, self.g);
        let (nb, training, io) = (T::c(b as f64), self.training, self.io);
        let gamma = &self.gamma[..2 * h];
        let (d_gamma, d_beta) = self.d_gamma_beta[..4 * h].split_at_mut(2 * h);
        // Sample s's cache columns [x̂ | 1/√(σ²+ε)].
        let x_inv = |s: usize| &io.cache[s * cl + 2 * h..s * cl + 6 * h];
        if b == 1 {
            let (d, dest) = io.d_aux[..al].split_at_mut(2 * h);
            let (x, inv) = x_inv(0).split_at(2 * h);
            for j in 0..2 * h {
                let (s1, s2) = (d[j], d[j] * x[j]);
                d_beta[j] += s1;
                d_gamma[j] += s2;
                let da = bn_da(d[j], x[j], gamma[j] * inv[j], s1, s2, nb, training);
                if self.enu && j >= h {
                    dest[j - h] = da;
                } else {
                    io.d_u[j] = da;
                }
            }
            return io;
        }
        let (du0, rest) = io.d_u.split_at_mut(g);
        let (du1, du_rest) = rest.split_at_mut(g);
        let (s1, s2) = (&mut du0[..2 * h], &mut du1[..2 * h]);
        s1.iter_mut().for_each(|v| *v = T::c(0.0));
        s2.iter_mut().for_each(|v| *v = T::c(0.0));
        for s in 0..b {
            let d = &io.d_aux[s * al..s * al + 2 * h];
            add_into(s1, d);
            add_prod(s2, d, &x_inv(s)[..2 * h]);
        }
        add_into(d_gamma, s2);
        add_into(d_beta, s1);
        for s in 2..b {
            let (d, dest) = io.d_aux[s * al..(s + 1) * al].split_at_mut(2 * h);
            let (x, inv) = x_inv(s).split_at(2 * h);
            let u = &mut du_rest[(s - 2) * g..(s - 1) * g];
            let (uz, uh) = u.split_at_mut(h);
            let sums = (&*s1, &*s2);
            bn_da_row(d, x, inv, gamma, sums, (0, h), nb, training, uz);
            let out = if self.enu {
                &mut dest[..h]
            } else {
                &mut uh[..h]
            };
            bn_da_row(d, x, inv, gamma, sums, (h, 2 * h), nb, training, out);
        }
        let (d0, d1) = (&io.d_aux[..2 * h], &io.d_aux[al..al + 2 * h]);
        let ((x0, inv0), (x1, inv1)) = (x_inv(0).split_at(2 * h), x_inv(1).split_at(2 * h));
        for j in 0..2 * h {
            let (a, c) = (s1[j], s2[j]);
            s1[j] = bn_da(d0[j], x0[j], gamma[j] * inv0[j], a, c, nb, training);
            s2[j] = bn_da(d1[j], x1[j], gamma[j] * inv1[j], a, c, nb, training);
        }
        if self.enu {
            // The candidate's ∂a of rows 0 and 1 to where the embedding's backward reads it.
            io.d_aux[2 * h..3 * h].copy_from_slice(&du0[h..2 * h]);
            io.d_aux[al + 2 * h..al + 3 * h].copy_from_slice(&du1[h..2 * h]);
        }
        io
    }
}

/// `∂a` of one feature of one sample: `scale (d − (Σd + x̂ Σd x̂)/B)` with the batch's statistics,
/// `scale d` with running ones (`scale = γ/√(σ²+ε)`).
#[inline(always)]
fn bn_da<T: Real>(d: T, x: T, scale: T, s1: T, s2: T, nb: T, training: bool) -> T {
    if training {
        scale * (d - (s1 + x * s2) / nb)
    } else {
        scale * d
    }
}

/// [`bn_da`] over the features `lo..hi` of one sample, into `out`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn bn_da_row<T: Real>(
    d: &[T],
    x: &[T],
    inv: &[T],
    gamma: &[T],
    (s1, s2): (&[T], &[T]),
    (lo, hi): (usize, usize),
    nb: T,
    training: bool,
    out: &mut [T],
) {
    let n = hi - lo;
    let (d, x, inv, gamma) = (&d[lo..hi], &x[lo..hi], &inv[lo..hi], &gamma[lo..hi]);
    let (s1, s2, out) = (&s1[lo..hi], &s2[lo..hi], &mut out[..n]);
    for j in 0..n {
        out[j] = bn_da(d[j], x[j], gamma[j] * inv[j], s1[j], s2[j], nb, training);
    }
}

/// `acc += a ⊙ b` element-wise.
#[inline(always)]
fn add_prod<T: Real>(acc: &mut [T], a: &[T], b: &[T]) {
    let n = acc.len();
    let (a, b) = (&a[..n], &b[..n]);
    for j in 0..n {
        acc[j] += a[j] * b[j];
    }
}

impl<T: Real> Cell<T> for LightGru<T> {
    fn kind(&self) -> &'static str {
        "light-gru"
    }
    fn n_in(&self) -> usize {
        self.n_in
    }
    fn n_units(&self) -> usize {
        self.n_rec
    }
    fn input_width(&self) -> usize {
        self.n_rec + self.hc()
    }
    // Cache row per sample: [z | h̃ | x̂ (2H) | 1/√(σ²+ε) (2H) | ĥ (H·E, ENU)].
    fn cache_len(&self) -> usize {
        6 * self.n_rec + self.he()
    }
    fn gates(&self) -> Vec<(&'static str, usize)> {
        vec![("update", 0), ("candidate", self.n_rec)]
    }
    // Aux row per sample: [∂z_pre | ∂h̃_pre | ∂a (H, ENU)].
    fn aux_len(&self) -> usize {
        if self.embed == 0 {
            2 * self.n_rec
        } else {
            3 * self.n_rec
        }
    }
    fn param_specs(&self) -> Vec<ParamSpec> {
        let h = self.n_rec;
        let mut v = vec![ParamSpec::new("w_in", h + self.hc(), self.n_in)];
        if self.embed > 0 {
            v.push(ParamSpec::new("b_emb", 1, self.he()));
        }
        v.push(ParamSpec::new("w_rec_z", h, h));
        v.push(ParamSpec::new("w_rec_h", h, h));
        if self.embed > 0 {
            v.push(ParamSpec::new("w_emb", h, self.he()));
        }
        v.push(ParamSpec::new("bn_gamma", 1, 2 * h));
        v.push(ParamSpec::new("bn_beta", 1, 2 * h));
        v
    }
    fn buffer_specs(&self) -> Vec<ParamSpec> {
        let h = self.n_rec;
        vec![
            ParamSpec::new("bn_running_mean", self.bn_steps, 2 * h),
            ParamSpec::new("bn_running_var", self.bn_steps, 2 * h),
            ParamSpec::new("bn_steps_trained", 1, 1),
        ]
    }
    fn init(&self, params: &mut [T], buffers: &mut [T], _rng: &mut Rng) {
        let h = self.n_rec;
        let [w_in, b_emb, w_rec_z, w_rec_h, w_emb, gamma, beta] =
            pieces_mut(params, &self.param_lens());
        let inits = [
            &self.w_in_init,
            &self.b_emb_init,
            &self.w_rec_z_init,
            &self.w_rec_h_init,
            &self.w_emb_init,
        ];
        for (dst, src) in [w_in, b_emb, w_rec_z, w_rec_h, w_emb]
            .into_iter()
            .zip(inits)
        {
            dst.iter_mut()
                .zip(src.iter())
                .for_each(|(d, &s)| *d = T::c(s));
        }
        gamma.iter_mut().for_each(|v| *v = T::c(1.0));
        beta.iter_mut().for_each(|v| *v = T::c(0.0));
        let (mean, rest) = buffers.split_at_mut(self.bn_steps * 2 * h);
        let (var, trained) = rest.split_at_mut(self.bn_steps * 2 * h);
        mean.iter_mut().for_each(|v| *v = T::c(0.0));
        var.iter_mut().for_each(|v| *v = T::c(1.0));
        trained[0] = T::c(0.0);
    }
    fn eff_len(&self) -> usize {
        self.offs()[6] + self.copies().len()
    }
    fn grad_len(&self) -> usize {
        self.offs()[6]
    }
    fn prepare(&self, params: &[T], eff: &mut [T]) {
        let h = self.n_rec;
        let o = self.offs();
        let [p_in, p_bemb, p_rz, p_rh, p_emb, p_gamma, p_beta] = pieces(params, &self.param_lens());
        self.c_in.apply(p_in, &mut eff[o[0]..o[1]]);
        // The input bias of the driver's projection is zero except for the ENU embedding: β
        // replaces the biases that batch norm would cancel.
        eff[o[1]..o[2]].iter_mut().for_each(|v| *v = T::c(0.0));
        eff[o[1] + h..o[1] + h + p_bemb.len()].copy_from_slice(p_bemb);
        self.c_rec_z.apply(p_rz, &mut eff[o[2]..o[2] + h * h]);
        self.c_rec_h.apply(p_rh, &mut eff[o[2] + h * h..o[3]]);
        self.c_emb.apply(p_emb, &mut eff[o[3]..o[4]]);
        eff[o[4]..o[5]].copy_from_slice(p_gamma);
        eff[o[5]..o[6]].copy_from_slice(p_beta);
        let (head, copies) = eff.split_at_mut(o[6]);
        self.copies().write(&head[o[2]..o[3]], copies);
    }
    fn input_offsets(&self) -> (usize, usize) {
        let o = self.offs();
        (o[0], o[1])
    }

    fn step(&self, eff: &[T], ctx: StepCtx, mut io: StepFwd<'_, T>) {
        let h = self.n_rec;
        let (he, g, cl) = (self.he(), self.input_width(), self.cache_len());
        let b = ctx.batch;
        let o = self.offs();
        let (gamma, beta) = (&eff[o[4]..o[5]], &eff[o[5]..o[6]]);
        // Recurrent pre-activations h_{t−1} [U_z; U_h]ᵀ into cache columns [0, 2H).
        gemm_s(
            io.cache,
            b,
            2 * h,
            cl,
            sv(io.r_prev, b, h, h),
            Trans::N,
            self.copies().w_t(&eff[o[6]..]),
            Trans::N,
            false,
            ctx.threads,
        );
        // Batch-norm inputs a = [W_zx x | a_h] into cache columns [2H, 4H).
        if self.embed == 0 {
            for s in 0..b {
                io.cache[s * cl + 2 * h..s * cl + 4 * h]
                    .copy_from_slice(&io.u[s * g..s * g + 2 * h]);
            }
        } else {
            for s in 0..b {
                io.cache[s * cl + 2 * h..s * cl + 3 * h].copy_from_slice(&io.u[s * g..s * g + h]);
                for k in 0..he {
                    io.cache[s * cl + 6 * h + k] = io.u[s * g + h + k].max(T::c(0.0));
                }
            }
            // a_h = ĥ W_ĥhᵀ, staged in s_next (written for real below).
            gemm_s(
                io.s_next,
                b,
                h,
                h,
                sv(&io.cache[6 * h..], b, he, cl),
                Trans::N,
                sv(&eff[o[3]..o[4]], h, he, he),
                Trans::T,
                false,
                ctx.threads,
            );
            for s in 0..b {
                io.cache[s * cl + 3 * h..s * cl + 4 * h]
                    .copy_from_slice(&io.s_next[s * h..(s + 1) * h]);
            }
        }
        // Normalise each feature over the batch; x̂ and 1/√(σ²+ε) replace a in the cache.
        // This step's row of running statistics (see the module notes).
        let rows = self.bn_steps;
        let buffers = std::mem::take(&mut io.buffers);
        let (all_mean, rest) = buffers.split_at_mut(rows * 2 * h);
        let (all_var, trained) = rest.split_at_mut(rows * 2 * h);
        let done = trained[0].f() as usize;
        let row = if ctx.training {
            io.t.min(rows - 1)
        } else {
            io.t.min(rows - 1).min(done.max(1) - 1)
        };
        if ctx.training && row + 1 > done {
            trained[0] = T::c((row + 1) as f64);
        }
        crate::kernels::vectorized(BnFwd {
            h,
            b,
            cl,
            training: ctx.training,
            eps: T::c(self.bn_eps),
            momentum: T::c(self.bn_momentum),
            r_mean: &mut all_mean[row * 2 * h..(row + 1) * 2 * h],
            r_var: &mut all_var[row * 2 * h..(row + 1) * 2 * h],
            gamma,
            beta,
            io,
        });
    }

    fn backward_step(&self, eff: &[T], ctx: StepCtx, io: StepBwd<'_, T>) {
        let h = self.n_rec;
        let (he, g, cl, al) = (
            self.he(),
            self.input_width(),
            self.cache_len(),
            self.aux_len(),
        );
        let b = ctx.batch;
        let o = self.offs();
        let zero = T::c(0.0);
        let mut io = crate::kernels::vectorized(GatesBwd { h, b, cl, al, io });
        gemm_s(
            io.d_s_prev,
            b,
            h,
            h,
            sv(io.d_aux, b, 2 * h, al),
            Trans::N,
            self.copies().w(&eff[o[2]..o[3]], &eff[o[6]..]),
            Trans::N,
            true,
            ctx.threads,
        );
        // Batch norm, per feature over the batch.
        let d_eff = std::mem::take(&mut io.d_eff);
        let io = crate::kernels::vectorized(BnBwd {
            h,
            b,
            cl,
            al,
            g,
            training: ctx.training,
            enu: self.embed > 0,
            gamma: &eff[o[4]..o[5]],
            d_gamma_beta: &mut d_eff[o[4]..o[6]],
            io,
        });
        if self.embed > 0 {
            // ∂ĥ = ∂a W_ĥh, then through the embedding's ReLU.
            gemm_s(
                &mut io.d_u[h..],
                b,
                he,
                g,
                sv(&io.d_aux[2 * h..], b, h, al),
                Trans::N,
                sv(&eff[o[3]..o[4]], h, he, he),
                Trans::N,
                false,
                ctx.threads,
            );
            for s in 0..b {
                for k in 0..he {
                    if io.cache[s * cl + 6 * h + k] <= zero {
                        io.d_u[s * g + h + k] = zero;
                    }
                }
            }
        }
    }

    fn finish_backward(&self, _eff: &[T], ctx: StepCtx, seq: Seq<'_, T>, d_eff: &mut [T]) {
        let h = self.n_rec;
        let (he, cl, al) = (self.he(), self.cache_len(), self.aux_len());
        let o = self.offs();
        let tb = seq.n_steps * seq.batch;
        // ∂[U_z; U_h] = Σ_t ∂pre_tᵀ h_{t−1}, one GEMM over all steps.
        gemm_s(
            &mut d_eff[o[2]..o[3]],
            2 * h,
            h,
            h,
            sv(seq.d_aux, tb, 2 * h, al),
            Trans::T,
            sv(&seq.rates[..tb * h], tb, h, h),
            Trans::N,
            true,
            ctx.threads,
        );
        if self.embed > 0 {
            // ∂W_ĥh = Σ_t ∂a_tᵀ ĥ_t.
            gemm_s(
                &mut d_eff[o[3]..o[4]],
                h,
                he,
                he,
                sv(&seq.d_aux[2 * h..], tb, h, al),
                Trans::T,
                sv(&seq.cache[6 * h..], tb, he, cl),
                Trans::N,
                true,
                ctx.threads,
            );
        }
    }

    fn backprop_params(&self, params: &[T], d_eff: &[T], d_params: &mut [T]) {
        let h = self.n_rec;
        let o = self.offs();
        let lens = self.param_lens();
        let [p_in, _, p_rz, p_rh, p_emb, _, _] = pieces(params, &lens);
        let [g_in, g_bemb, g_rz, g_rh, g_emb, g_gamma, g_beta] = pieces_mut(d_params, &lens);
        self.c_in.backprop(p_in, &d_eff[o[0]..o[1]], g_in);
        let add = |dst: &mut [T], src: &[T]| dst.iter_mut().zip(src).for_each(|(a, &b)| *a += b);
        add(g_bemb, &d_eff[o[1] + h..o[2]]);
        self.c_rec_z
            .backprop(p_rz, &d_eff[o[2]..o[2] + h * h], g_rz);
        self.c_rec_h
            .backprop(p_rh, &d_eff[o[2] + h * h..o[3]], g_rh);
        self.c_emb.backprop(p_emb, &d_eff[o[3]..o[4]], g_emb);
        add(g_gamma, &d_eff[o[4]..o[5]]);
        add(g_beta, &d_eff[o[5]..o[6]]);
    }
}
