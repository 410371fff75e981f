//! FORCE learning (Sussillo & Abbott 2009, *Neuron* 63:544): the readout learns online by
//! recursive least squares while the network runs, its output fed back into the units.
//!
//! The network's output `y_t = W_out r_t + b_out` is fed back through a fixed random matrix
//! `W_fb (H, n_out)` into the next step's drive, `U_{t+1} = W_in x_{t+1} + b + W_fb y_t`, with
//! `y_t` read out by the readout as it stands after any update at step `t` (the output a batch
//! reports at an update step is the one before it, whose error the update uses). Every
//! `every` steps, for each sample of the batch whose mask is on, `W_out` moves towards the target
//! by one RLS step with the running inverse correlation matrix `P` (`P₀ = I/α`):
//!
//! ```text
//! k = P r,   c = 1 / (1/m + rᵀ k),   P ← P − c k kᵀ,   e = W_out r + b_out − target,
//! W_out ← W_out − c e kᵀ          (= W_out − m e (P r)ᵀ with the updated P)
//! ```
//!
//! where `m` is the row's mask weight: a sample of weight 5 counts as five of weight 1, and the
//! classic rule is `m = 1`.
//!
//! For a cell whose recurrence reads `W_rec r_{t−1} + U_t` ([`Cell::folds_output_feedback`]: the
//! CTRNN without constraints on `w_rec`), feeding `y` back is the same as a recurrent matrix
//! `W_rec = W_rec⁰ + W_fb W_out` (with `b_out` held at 0): the primer's eq. 30, a rank-`n_out`
//! change of the initial weights. The network is kept in that folded form at every moment, so
//! between updates it runs as any other, and what FORCE leaves behind is an ordinary
//! [`Network`] that evaluation, recordings, fixed points and lesions take as they are, while
//! [`Force`] keeps `W_rec⁰`, `W_fb` and `P`.
//!
//! Only the readout learns; the input weights, bias, τ and initial state stay as initialised.
//! `P` (updated symmetrically) and the master copy of `W_out` are kept in f64 whatever the
//! network's precision; inputs, their noise and their projection are formed in f64 too, so an
//! f32 network's batch differs from its forward pass by rounding (in f64 they agree to 1e-12). With
//! `W_fb = 0` the rates do not depend on `W_out`, and after any sequence of updates `W_out` is
//! the ridge regression of the targets on the rates seen (weighted by the mask), with penalty `α`
//! (tested).
//! Class targets are regressed as one-hot vectors.

use crate::bptt::Network;
use crate::cell::{project_sample, StepCtx, StepFwd};
use crate::error::NnError;
use crate::loss::LossTargets;
use crate::objective::BatchRef;
use crate::real::Real;
use neurodyn_core::Rng;

/// The state of FORCE learning on one network.
#[derive(Clone, Debug, PartialEq)]
pub struct Force {
    /// Units.
    pub n_units: usize,
    /// Outputs.
    pub n_out: usize,
    /// Steps between updates (an update at steps `every − 1`, `2·every − 1`, … of a batch).
    pub every: usize,
    /// The fixed feedback matrix `(H, n_out)`.
    pub w_fb: Vec<f64>,
    /// The recurrent weights before feedback, `(H, H)`.
    pub w_rec0: Vec<f64>,
    /// The readout being learned, `(n_out, H)` (the network holds it in its own precision).
    pub w_out: Vec<f64>,
    /// The running inverse correlation matrix of the rates, `(H, H)`.
    pub p: Vec<f64>,
}

/// What one batch of FORCE learning did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ForceReport {
    /// Mean squared error of the outputs the network produced (before each update), over the
    /// masked steps and outputs, weighted by the mask (as [`crate::Loss::Mse`]).
    pub loss: f64,
    /// RLS updates made (one per sample and update step with the mask on).
    pub updates: usize,
    /// Mean gain `c = 1/(1/m + rᵀPr)` of those updates: the rule's effective learning rate, which
    /// falls as `P` learns the rates' correlations (NaN without updates).
    pub mean_gain: f64,
    /// Frobenius norm of the batch's change of `W_out`.
    pub dw_norm: f64,
}

fn range<T: Real>(net: &Network<T>, name: &str) -> Result<std::ops::Range<usize>, NnError> {
    net.layout.range_of(name).ok_or_else(|| {
        NnError::Unsupported(format!(
            "FORCE needs a parameter `{name}`, which this network lacks"
        ))
    })
}

impl Force {
    /// Start FORCE on `net`: zero its readout (`W_out` and `b_out`), draw `W_fb` uniform in
    /// `±feedback_scale` from `rng`, and set `P = I/alpha`. Refuses a cell whose recurrence does
    /// not fold the feedback ([`Cell::folds_output_feedback`]), a constrained readout, and
    /// `alpha ≤ 0`, `every = 0` or a negative scale.
    pub fn new<T: Real>(
        net: &mut Network<T>,
        alpha: f64,
        every: usize,
        feedback_scale: f64,
        rng: &mut Rng,
    ) -> Result<Force, NnError> {
        if !net.cell.folds_output_feedback() {
            return Err(NnError::Unsupported(format!(
                "FORCE folds the output feedback into the recurrent weights, which needs a ctrnn \
                 whose recurrent weights are unconstrained (no Dale's law, connectivity mask or \
                 fixed weights); this network's cell is `{}` with constraints or another recurrence",
                net.cell.kind()
            )));
        }
        if !net.readout.is_identity() {
            return Err(NnError::Unsupported(
                "FORCE learns the whole readout: it cannot be masked (e.g. read out from \
                        excitatory units only)"
                    .into(),
            ));
        }
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(NnError::Invalid(format!(
                "alpha must be a positive number, got {alpha}"
            )));
        }
        if every == 0 {
            return Err(NnError::Invalid("every must be ≥ 1".to_string()));
        }
        if !(feedback_scale.is_finite() && feedback_scale >= 0.0) {
            return Err(NnError::Invalid(format!(
                "feedback_scale must be a number ≥ 0, got {feedback_scale}"
            )));
        }
        let (h, o) = (net.n_units(), net.n_out);
        let rec = range(net, "cell.w_rec")?;
        for name in ["readout.w_out", "readout.b_out"] {
            let r = range(net, name)?;
            net.params[r].iter_mut().for_each(|v| *v = T::c(0.0));
        }
        let w_rec0 = net.params[rec].iter().map(|v| v.f()).collect();
        let w_fb = (0..h * o)
            .map(|_| rng.uniform_range(-feedback_scale, feedback_scale))
            .collect();
        let mut p = vec![0.0; h * h];
        for i in 0..h {
            p[i * h + i] = 1.0 / alpha;
        }
        Ok(Force {
            n_units: h,
            n_out: o,
            every,
            w_fb,
            w_rec0,
            w_out: vec![0.0; o * h],
            p,
        })
    }

    /// Write `W_out` and `W_rec⁰ + W_fb W_out` into the network's parameters.
    pub fn fold_into<T: Real>(&self, net: &mut Network<T>) -> Result<(), NnError> {
        let (h, o) = (self.n_units, self.n_out);
        if net.n_units() != h || net.n_out != o {
            return Err(NnError::Shape(format!(
                "FORCE state for {h} units and {o} outputs, network with {} and {}",
                net.n_units(),
                net.n_out
            )));
        }
        let rec = range(net, "cell.w_rec")?;
        let out = range(net, "readout.w_out")?;
        for (d, &w) in net.params[out].iter_mut().zip(&self.w_out) {
            *d = T::c(w);
        }
        let w_rec = &mut net.params[rec];
        for i in 0..h {
            let fb = &self.w_fb[i * o..(i + 1) * o];
            for j in 0..h {
                let mut v = self.w_rec0[i * h + j];
                for (k, &f) in fb.iter().enumerate() {
                    v += f * self.w_out[k * h + j];
                }
                w_rec[i * h + j] = T::c(v);
            }
        }
        Ok(())
    }

    /// Run `net` over one time-major batch in training mode, learning as it goes. `s0` is the
    /// initial state (a stream's carried state; `None`: the network's own), `rng` the noise
    /// (drawn as [`Network::forward`] draws it, so with no update due the outputs are the
    /// forward pass's). The outputs the network produced are left in `y` `(T, B, n_out)`; the
    /// final state is returned.
    pub fn train_batch<T: Real>(
        &mut self,
        net: &mut Network<T>,
        b: BatchRef<'_>,
        s0: Option<&[T]>,
        rng: Option<&mut Rng>,
        y: &mut Vec<T>,
    ) -> Result<(ForceReport, Vec<T>), NnError> {
        let _ftz = crate::kernels::FlushDenormals::new();
        let cell = &*net.cell;
        let (n_in, g, s_len, h, o) = (
            cell.n_in(),
            cell.input_width(),
            cell.state_len(),
            cell.n_units(),
            net.n_out,
        );
        let (n_t, bs) = (b.n_steps, b.batch);
        if h != self.n_units || o != self.n_out {
            return Err(NnError::Shape(format!(
                "FORCE state for {} units and {} outputs, network with {h} and {o}",
                self.n_units, self.n_out
            )));
        }
        if b.inputs.len() != n_t * bs * n_in || b.mask.len() != n_t * bs {
            return Err(NnError::Shape(format!(
                "batch of {} inputs and {} mask values for (T, B, n_in) = ({n_t}, {bs}, {n_in})",
                b.inputs.len(),
                b.mask.len()
            )));
        }
        // The regression target of every row: its values, or its class one-hot.
        let target = |row: usize, k: usize| -> f64 {
            match b.targets {
                LossTargets::Continuous(t) => f64::from(t[row * o + k]),
                LossTargets::Class(c) => f64::from(u8::from(c[row] == k as i64)),
            }
        };
        match b.targets {
            LossTargets::Continuous(t) if t.len() != n_t * bs * o => {
                return Err(NnError::Shape(format!(
                    "{} targets for (T, B, n_out)",
                    t.len()
                )))
            }
            LossTargets::Class(c) if c.len() != n_t * bs => {
                return Err(NnError::Shape(format!(
                    "{} class targets for (T, B)",
                    c.len()
                )))
            }
            _ => {}
        }
        // Inputs and noise as the forward pass draws them: input noise over all of X, then the
        // recurrent noise of every step.
        let mut x: Vec<f64> = b.inputs.iter().map(|&v| f64::from(v)).collect();
        let mut noise = vec![T::c(0.0); n_t * bs * cell.noise_len()];
        if let Some(r) = rng {
            if net.input_noise > 0.0 {
                for v in &mut x {
                    *v += net.input_noise * r.normal();
                }
            }
            for v in &mut noise {
                *v = T::c(r.normal());
            }
        }
        let n_cell = range(net, "readout.w_out")?.start;
        let b_out: Vec<f64> = net.params[range(net, "readout.b_out")?]
            .iter()
            .map(|v| v.f())
            .collect();
        let mut eff = net.effective();
        let mut s_prev = vec![T::c(0.0); bs * s_len];
        match s0 {
            Some(s) if s.len() == bs * s_len => s_prev.copy_from_slice(s),
            Some(s) => {
                return Err(NnError::Shape(format!(
                    "initial state of {} values for (B, state) = ({bs}, {s_len})",
                    s.len()
                )))
            }
            None => {
                if let Some(r) = net.layout.range_of("h0") {
                    for row in s_prev.chunks_exact_mut(s_len) {
                        row.copy_from_slice(&net.params[r.clone()]);
                    }
                }
            }
        }
        let mut r_prev = vec![T::c(0.0); bs * h];
        cell.rates_of_state(&s_prev, &mut r_prev);
        let (mut s_next, mut r_next) = (vec![T::c(0.0); bs * s_len], vec![T::c(0.0); bs * h]);
        let mut u = vec![T::c(0.0); bs * g];
        let mut cache = vec![T::c(0.0); bs * cell.cache_len()];
        let nl = cell.noise_len();
        let mut w_out_t: Vec<T> = self.w_out.iter().map(|&v| T::c(v)).collect();
        let (mut k, mut r64, mut e) = (vec![0.0; h], vec![0.0; h], vec![0.0; o]);
        let w_out_start = self.w_out.clone();
        y.clear();
        y.resize(n_t * bs * o, T::c(0.0));
        let mut report = ForceReport::default();
        let (mut sq, mut msum, mut gain) = (0.0, 0.0, 0.0);
        for t in 0..n_t {
            for s in 0..bs {
                let xr = &x[(t * bs + s) * n_in..(t * bs + s + 1) * n_in];
                project_sample(&*net.cell, &eff, xr, &mut u[s * g..(s + 1) * g]);
            }
            net.cell.step(
                &eff,
                StepCtx {
                    batch: bs,
                    training: true,
                    threads: 1,
                },
                StepFwd {
                    u: &u,
                    s_prev: &s_prev,
                    r_prev: &r_prev,
                    noise: &noise[t * bs * nl..(t + 1) * bs * nl],
                    s_next: &mut s_next,
                    r_next: &mut r_next,
                    cache: &mut cache,
                    buffers: &mut net.buffers,
                    t,
                },
            );
            std::mem::swap(&mut s_prev, &mut s_next);
            std::mem::swap(&mut r_prev, &mut r_next);
            // The outputs the network produces, and their error.
            for s in 0..bs {
                let row = t * bs + s;
                let r = &r_prev[s * h..(s + 1) * h];
                let mw = f64::from(b.mask[row]);
                for q in 0..o {
                    let w = &w_out_t[q * h..(q + 1) * h];
                    let v = b_out[q] + w.iter().zip(r).map(|(a, b)| a.f() * b.f()).sum::<f64>();
                    y[row * o + q] = T::c(v);
                    if mw != 0.0 {
                        let d = v - target(row, q);
                        sq += mw * d * d;
                    }
                }
                msum += mw;
            }
            if (t + 1) % self.every != 0 {
                continue;
            }
            let mut updated = false;
            for s in 0..bs {
                let row = t * bs + s;
                if b.mask[row] <= 0.0 {
                    continue;
                }
                for (d, v) in r64.iter_mut().zip(&r_prev[s * h..(s + 1) * h]) {
                    *d = v.f();
                }
                for (i, ki) in k.iter_mut().enumerate() {
                    *ki = self.p[i * h..(i + 1) * h]
                        .iter()
                        .zip(&r64)
                        .map(|(a, b)| a * b)
                        .sum();
                }
                let mw = f64::from(b.mask[row]);
                let c = 1.0 / (1.0 / mw + r64.iter().zip(&k).map(|(a, b)| a * b).sum::<f64>());
                // The upper triangle, mirrored: P stays exactly symmetric over long runs.
                for i in 0..h {
                    let cki = c * k[i];
                    for j in i..h {
                        let v = self.p[i * h + j] - cki * k[j];
                        self.p[i * h + j] = v;
                        self.p[j * h + i] = v;
                    }
                }
                for q in 0..o {
                    let w = &self.w_out[q * h..(q + 1) * h];
                    e[q] = b_out[q] + w.iter().zip(&r64).map(|(a, b)| a * b).sum::<f64>()
                        - target(row, q);
                }
                for q in 0..o {
                    let ce = c * e[q];
                    for (w, &kj) in self.w_out[q * h..(q + 1) * h].iter_mut().zip(&k) {
                        *w -= ce * kj;
                    }
                }
                gain += c;
                report.updates += 1;
                updated = true;
            }
            if updated {
                if self.w_out.iter().chain(&self.p).any(|v| !v.is_finite()) {
                    return Err(NnError::NonFinite(format!(
                        "the readout became non-finite at step {t}"
                    )));
                }
                self.fold_into(net)?;
                for (d, &v) in w_out_t.iter_mut().zip(&self.w_out) {
                    *d = T::c(v);
                }
                net.cell.prepare(&net.params[..n_cell], &mut eff);
            }
        }
        report.loss = if msum > 0.0 {
            sq / (msum * o as f64)
        } else {
            0.0
        };
        report.mean_gain = gain / report.updates as f64;
        report.dw_norm = self
            .w_out
            .iter()
            .zip(&w_out_start)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        Ok((report, s_prev))
    }
}
