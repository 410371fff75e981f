//! The network and its fused backpropagation through time, written once for every cell.
//!
//! A [`Network`] is a recurrent [`Cell`], a linear readout `y_t = W_out r_t + b_out` (optionally
//! constrained, e.g. reading from excitatory units only) and an initial state that is zero or
//! trainable. [`Network::forward`] runs all `T` steps of a time-major batch into a [`Workspace`];
//! [`Network::backward`] takes `∂L/∂Y` (and any extra `∂L/∂R` from activity penalties) and returns
//! the gradient of every parameter. The workspace is sized once per batch shape; nothing is
//! allocated inside the time loop.

use crate::cell::{Cell, Seq, StepBwd, StepCtx, StepFwd};
use crate::cells::strided::{gemm_s_onto, sv};
use crate::constraint::Constraint;
use crate::linalg::{add_col_sums, gemm, m, transpose_into, Trans};
use crate::params::{Layout, ParamSpec};
use crate::real::Real;
use neurodyn_core::Rng;

/// How the state at step 0 is set when the caller does not pass one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitialState {
    /// All zeros.
    Zero,
    /// A trained vector `h0` (parameter `h0`), the same for every trial.
    Trainable,
}

/// A recurrent network: cell + linear readout + initial state, with its parameters.
pub struct Network<T: Real> {
    /// The recurrent cell.
    pub cell: Box<dyn Cell<T>>,
    /// Output size.
    pub n_out: usize,
    /// Constraint on `W_out` `(n_out, n_units)` (E-only readout is a column mask).
    pub readout: Constraint<T>,
    /// How the initial state is set.
    pub initial: InitialState,
    /// Layout of `params`: `cell.*`, `readout.w_out`, `readout.b_out`, and `h0` when trainable.
    pub layout: Layout,
    /// Layout of `buffers` (non-trainable persistent state such as running statistics).
    pub buffer_layout: Layout,
    /// All trainable parameters.
    pub params: Vec<T>,
    /// Non-trainable buffers.
    pub buffers: Vec<T>,
    /// Standard deviation of Gaussian noise added to inputs in training.
    pub input_noise: f64,
    /// Threads for large GEMMs.
    pub threads: usize,
    n_cell_params: usize,
}

/// Buffers for one batch shape, reused across calls.
#[derive(Default)]
pub struct Workspace<T> {
    /// Steps of the last forward.
    pub n_steps: usize,
    /// Batch size of the last forward.
    pub batch: usize,
    /// Whether the last forward was in training mode.
    pub training: bool,
    /// Inputs `(T, B, n_in)` (with input noise when training).
    pub x: Vec<T>,
    /// Projected inputs `(T, B, G)`.
    pub u: Vec<T>,
    /// States `(T+1, B, S)`.
    pub states: Vec<T>,
    /// Rates `(T+1, B, H)`.
    pub rates: Vec<T>,
    /// Outputs `(T, B, n_out)`.
    pub y: Vec<T>,
    /// ∂L/∂Y `(T, B, n_out)`, set by the caller before `backward`.
    pub d_y: Vec<T>,
    /// ∂L/∂R `(T, B, H)`: extra gradients (activity penalties) set by the caller when
    /// `d_r_extra`; `backward` adds (or, without extras, writes) the readout's part.
    pub d_r: Vec<T>,
    /// Whether `d_r` holds extra gradients for `backward` to add to; when `false` its contents
    /// are ignored (so the caller need not zero `(T, B, H)` values every step).
    pub d_r_extra: bool,
    cache: Vec<T>,
    noise: Vec<T>,
    d_u: Vec<T>,
    d_aux: Vec<T>,
    d_s_a: Vec<T>,
    d_s_b: Vec<T>,
    eff: Vec<T>,
    d_eff: Vec<T>,
    d_eff2: Vec<T>,
    w_out: Vec<T>,
    w_out_t: Vec<T>,
    w_in_t: Vec<T>,
    d_w_out: Vec<T>,
}

fn resize<T: Real>(v: &mut Vec<T>, n: usize) {
    if v.len() != n {
        v.clear();
        v.resize(n, T::c(0.0));
    }
}

impl<T: Real> Network<T> {
    /// Assemble a network and initialise its parameters from `rng`. The readout is initialised
    /// uniformly in ±1/√n_units (PyTorch's default for `nn.Linear`).
    pub fn new(
        cell: Box<dyn Cell<T>>,
        n_out: usize,
        readout: Constraint<T>,
        initial: InitialState,
        rng: &mut Rng,
    ) -> Self {
        let h = cell.n_units();
        let mut specs: Vec<ParamSpec> = cell
            .param_specs()
            .into_iter()
            .map(|mut s| {
                s.name = format!("cell.{}", s.name);
                s
            })
            .collect();
        let n_cell_params: usize = specs.iter().map(ParamSpec::len).sum();
        specs.push(ParamSpec::new("readout.w_out", n_out, h));
        specs.push(ParamSpec::new("readout.b_out", 1, n_out));
        if initial == InitialState::Trainable {
            specs.push(ParamSpec::new("h0", 1, cell.state_len()));
        }
        let layout = Layout::new(specs);
        let buffer_layout = Layout::new(cell.buffer_specs());
        let mut params = vec![T::c(0.0); layout.total];
        let mut buffers = vec![T::c(0.0); buffer_layout.total];
        cell.init(&mut params[..n_cell_params], &mut buffers, rng);
        let bound = 1.0 / (h as f64).sqrt();
        for v in &mut params[n_cell_params..n_cell_params + n_out * (h + 1)] {
            *v = T::c(rng.uniform_range(-bound, bound));
        }
        Network {
            cell,
            n_out,
            readout,
            initial,
            layout,
            buffer_layout,
            params,
            buffers,
            input_noise: 0.0,
            threads: 1,
            n_cell_params,
        }
    }

    /// Number of recorded units.
    pub fn n_units(&self) -> usize {
        self.cell.n_units()
    }

    /// Gate `k` (of [`Cell::gates`]) of sample `s` at step `t` after a [`Network::forward`] over a
    /// batch of `batch` in `ws`: `n_units` values.
    pub fn gate<'a>(
        &self,
        ws: &'a Workspace<T>,
        k: usize,
        t: usize,
        s: usize,
        batch: usize,
    ) -> &'a [T] {
        let (c, h) = (self.cell.cache_len(), self.cell.n_units());
        let off = (t * batch + s) * c + self.cell.gates()[k].1;
        &ws.cache[off..off + h]
    }

    /// The parameter tensor called `name`.
    pub fn param(&self, name: &str) -> Option<&[T]> {
        self.layout.range_of(name).map(|r| &self.params[r])
    }

    /// The effective weights the cell uses (after masks, Dale and fixed weights), with the cell's
    /// own layout.
    pub fn effective(&self) -> Vec<T> {
        let mut eff = vec![T::c(0.0); self.cell.eff_len()];
        self.cell
            .prepare(&self.params[..self.n_cell_params], &mut eff);
        eff
    }

    /// The effective readout matrix `(n_out, n_units)`.
    pub fn effective_w_out(&self) -> Vec<T> {
        let r = self
            .layout
            .range(self.layout.specs.len() - self.tail_specs());
        let mut w = vec![T::c(0.0); r.len()];
        self.readout.apply(&self.params[r], &mut w);
        w
    }

    fn tail_specs(&self) -> usize {
        if self.initial == InitialState::Trainable {
            3
        } else {
            2
        }
    }

    /// Whether the time loop runs the two halves of the batch on two threads: only with more
    /// than one thread, for cells without batch-coupled buffers (batch norm needs the whole
    /// batch), and when each half's per-step GEMM is large enough to pay for the hand-off.
    fn split_batch(&self, batch: usize) -> bool {
        let c = &*self.cell;
        self.threads > 1
            && self.buffer_layout.total == 0
            && batch >= 2
            && (batch / 2) * c.input_width() * c.state_len() >= 1 << 17
    }

    fn ctx(&self, batch: usize, training: bool) -> StepCtx {
        StepCtx {
            batch,
            training,
            threads: self.threads,
        }
    }

    /// Run the network over a time-major batch `inputs (n_steps, batch, n_in)`.
    ///
    /// `s0` is the initial state `(batch, state_len)` (e.g. carried over from the previous
    /// window); `None` uses the zero or trained initial state. `rng` supplies recurrent and input
    /// noise in training; pass `None` for a noiseless run. Outputs are left in `ws.y`, rates in
    /// `ws.rates` (step t's rates at block t+1), the final state at the last block of `ws.states`.
    pub fn forward<S: Real>(
        &mut self,
        ws: &mut Workspace<T>,
        inputs: &[S],
        n_steps: usize,
        batch: usize,
        s0: Option<&[T]>,
        rng: Option<&mut Rng>,
        training: bool,
    ) {
        let cell = &*self.cell;
        let (n_in, g, s_len, h, c_len, o) = (
            cell.n_in(),
            cell.input_width(),
            cell.state_len(),
            cell.n_units(),
            cell.cache_len(),
            self.n_out,
        );
        assert_eq!(
            inputs.len(),
            n_steps * batch * n_in,
            "forward: inputs must be (T, B, n_in)"
        );
        let tb = n_steps * batch;
        ws.n_steps = n_steps;
        ws.batch = batch;
        ws.training = training;
        resize(&mut ws.x, tb * n_in);
        resize(&mut ws.u, tb * g);
        resize(&mut ws.states, (n_steps + 1) * batch * s_len);
        resize(&mut ws.rates, (n_steps + 1) * batch * h);
        resize(&mut ws.y, tb * o);
        resize(&mut ws.cache, tb * c_len);
        resize(&mut ws.noise, tb * cell.noise_len());
        resize(&mut ws.eff, cell.eff_len());
        for (d, &s) in ws.x.iter_mut().zip(inputs) {
            *d = T::c(s.f());
        }
        match rng {
            Some(r) if training => {
                if self.input_noise > 0.0 {
                    for v in &mut ws.x {
                        *v += T::c(self.input_noise * r.normal());
                    }
                }
                for v in &mut ws.noise {
                    *v = T::c(r.normal());
                }
            }
            _ => ws.noise.iter_mut().for_each(|v| *v = T::c(0.0)),
        }
        cell.prepare(&self.params[..self.n_cell_params], &mut ws.eff);
        // U = X · W_inᵀ + b, one GEMM over all steps starting from the bias (a stride-0 view
        // repeats it on every row); W_inᵀ is copied out because the products stream the rows of
        // their right operand.
        let (wo, bo) = cell.input_offsets();
        resize(&mut ws.w_in_t, g * n_in);
        transpose_into(&ws.eff[wo..wo + g * n_in], g, n_in, &mut ws.w_in_t);
        gemm_s_onto(
            &mut ws.u,
            tb,
            g,
            g,
            sv(&ws.eff[bo..bo + g], tb, g, 0),
            sv(&ws.x, tb, n_in, n_in),
            Trans::N,
            sv(&ws.w_in_t, n_in, g, g),
            Trans::N,
            self.threads,
        );
        // Initial state.
        let bs = batch * s_len;
        match (s0, self.initial) {
            (Some(s), _) => {
                assert_eq!(s.len(), bs, "forward: initial state must be (B, state_len)");
                ws.states[..bs].copy_from_slice(s);
            }
            (None, InitialState::Trainable) => {
                let r = self.layout.range(self.layout.specs.len() - 1);
                for row in ws.states[..bs].chunks_exact_mut(s_len) {
                    row.copy_from_slice(&self.params[r.clone()]);
                }
            }
            (None, InitialState::Zero) => ws.states[..bs].iter_mut().for_each(|v| *v = T::c(0.0)),
        }
        cell.rates_of_state(&ws.states[..bs], &mut ws.rates[..batch * h]);
        let ctx = self.ctx(batch, training);
        let nl = cell.noise_len();
        let split = self.split_batch(batch);
        let widths = Widths {
            g,
            s: s_len,
            h,
            nl,
            c: c_len,
            a: cell.aux_len(),
        };
        for t in 0..n_steps {
            let (s_done, s_rest) = ws.states.split_at_mut((t + 1) * bs);
            let (r_done, r_rest) = ws.rates.split_at_mut((t + 1) * batch * h);
            let io = StepFwd {
                u: &ws.u[t * batch * g..(t + 1) * batch * g],
                s_prev: &s_done[t * bs..],
                r_prev: &r_done[t * batch * h..],
                noise: &ws.noise[t * batch * nl..(t + 1) * batch * nl],
                s_next: &mut s_rest[..bs],
                r_next: &mut r_rest[..batch * h],
                cache: &mut ws.cache[t * batch * c_len..(t + 1) * batch * c_len],
                buffers: &mut self.buffers,
                t,
            };
            if split {
                let half = batch / 2;
                let (io0, io1) = split_fwd(io, half, &widths);
                let eff = &ws.eff;
                rayon::join(
                    || cell.step(eff, half_ctx(ctx, half), io0),
                    || cell.step(eff, half_ctx(ctx, batch - half), io1),
                );
            } else {
                cell.step(&ws.eff, ctx, io);
            }
        }
        // Readout, one GEMM over all steps.
        let wr = self
            .layout
            .range(self.layout.specs.len() - self.tail_specs());
        resize(&mut ws.w_out, wr.len());
        self.readout.apply(&self.params[wr.clone()], &mut ws.w_out);
        resize(&mut ws.w_out_t, wr.len());
        transpose_into(&ws.w_out, o, h, &mut ws.w_out_t);
        gemm_s_onto(
            &mut ws.y,
            tb,
            o,
            o,
            sv(&self.params[wr.end..wr.end + o], tb, o, 0),
            sv(&ws.rates[batch * h..], tb, h, h),
            Trans::N,
            sv(&ws.w_out_t, h, o, o),
            Trans::N,
            self.threads,
        );
    }

    /// Backpropagate `ws.d_y` (and, when `ws.d_r_extra`, the `(T, B, H)` activity-penalty
    /// gradients in `ws.d_r`) through the last forward pass; write `∂L/∂params` into `grads`
    /// (overwritten, same layout as `params`).
    pub fn backward(&self, ws: &mut Workspace<T>, grads: &mut [T]) {
        let cell = &*self.cell;
        let (n_steps, batch) = (ws.n_steps, ws.batch);
        let (n_in, g, s_len, h, c_len, o) = (
            cell.n_in(),
            cell.input_width(),
            cell.state_len(),
            cell.n_units(),
            cell.cache_len(),
            self.n_out,
        );
        let a_len = cell.aux_len();
        let nl = cell.noise_len();
        let tb = n_steps * batch;
        assert_eq!(grads.len(), self.params.len(), "backward: grads layout");
        assert_eq!(ws.d_y.len(), tb * o, "backward: d_y must be (T, B, n_out)");
        assert!(
            !ws.d_r_extra || ws.d_r.len() == tb * h,
            "backward: extra d_r must be (T, B, H)"
        );
        resize(&mut ws.d_r, tb * h);
        resize(&mut ws.d_u, tb * g);
        resize(&mut ws.d_aux, tb * a_len);
        resize(&mut ws.d_s_a, batch * s_len);
        resize(&mut ws.d_s_b, batch * s_len);
        resize(&mut ws.d_eff, cell.eff_len());
        resize(&mut ws.d_w_out, o * h);
        grads.iter_mut().for_each(|v| *v = T::c(0.0));
        ws.d_eff.iter_mut().for_each(|v| *v = T::c(0.0));
        // Readout: ∂W_out = ∂Yᵀ R, ∂b_out = Σ ∂Y, ∂R += ∂Y W_out.
        gemm(
            &mut ws.d_w_out,
            o,
            h,
            m(&ws.d_y, tb, o),
            Trans::T,
            m(&ws.rates[batch * h..], tb, h),
            Trans::N,
            false,
            self.threads,
        );
        let wr = self
            .layout
            .range(self.layout.specs.len() - self.tail_specs());
        add_col_sums(&mut grads[wr.end..wr.end + o], &ws.d_y, o);
        self.readout.backprop(
            &self.params[wr.clone()],
            &ws.d_w_out,
            &mut grads[wr.clone()],
        );
        gemm(
            &mut ws.d_r,
            tb,
            h,
            m(&ws.d_y, tb, o),
            Trans::N,
            m(&ws.w_out, o, h),
            Trans::N,
            ws.d_r_extra,
            self.threads,
        );
        // Backward through time.
        let ctx = self.ctx(batch, ws.training);
        let bs = batch * s_len;
        ws.d_s_a.iter_mut().for_each(|v| *v = T::c(0.0));
        let split = self.split_batch(batch);
        let widths = Widths {
            g,
            s: s_len,
            h,
            nl,
            c: c_len,
            a: a_len,
        };
        if split {
            resize(&mut ws.d_eff2, cell.eff_len());
            ws.d_eff2.iter_mut().for_each(|v| *v = T::c(0.0));
        }
        for t in (0..n_steps).rev() {
            let io = StepBwd {
                u: &ws.u[t * batch * g..(t + 1) * batch * g],
                s_prev: &ws.states[t * bs..(t + 1) * bs],
                r_prev: &ws.rates[t * batch * h..(t + 1) * batch * h],
                s_next: &ws.states[(t + 1) * bs..(t + 2) * bs],
                r_next: &ws.rates[(t + 1) * batch * h..(t + 2) * batch * h],
                cache: &ws.cache[t * batch * c_len..(t + 1) * batch * c_len],
                noise: &ws.noise[t * batch * nl..(t + 1) * batch * nl],
                d_s_next: &ws.d_s_a,
                d_r: &ws.d_r[t * batch * h..(t + 1) * batch * h],
                d_s_prev: &mut ws.d_s_b,
                d_u: &mut ws.d_u[t * batch * g..(t + 1) * batch * g],
                d_aux: &mut ws.d_aux[t * batch * a_len..(t + 1) * batch * a_len],
                d_eff: &mut ws.d_eff,
                t,
            };
            if split {
                let half = batch / 2;
                let (io0, io1) = split_bwd(io, &mut ws.d_eff2, half, &widths);
                let eff = &ws.eff;
                rayon::join(
                    || cell.backward_step(eff, half_ctx(ctx, half), io0),
                    || cell.backward_step(eff, half_ctx(ctx, batch - half), io1),
                );
            } else {
                cell.backward_step(&ws.eff, ctx, io);
            }
            std::mem::swap(&mut ws.d_s_a, &mut ws.d_s_b);
        }
        if split {
            for (d, &e) in ws.d_eff.iter_mut().zip(&ws.d_eff2) {
                *d += e;
            }
        }
        cell.finish_backward(
            &ws.eff,
            ctx,
            Seq {
                n_steps,
                batch,
                states: &ws.states,
                rates: &ws.rates,
                cache: &ws.cache,
                d_u: &ws.d_u,
                d_aux: &ws.d_aux,
            },
            &mut ws.d_eff,
        );
        // Input projection: ∂W_in = ∂Uᵀ X, ∂b = Σ ∂U.
        let (wo, bo) = cell.input_offsets();
        gemm(
            &mut ws.d_eff[wo..wo + g * n_in],
            g,
            n_in,
            m(&ws.d_u, tb, g),
            Trans::T,
            m(&ws.x, tb, n_in),
            Trans::N,
            true,
            self.threads,
        );
        add_col_sums(&mut ws.d_eff[bo..bo + g], &ws.d_u, g);
        cell.backprop_params(
            &self.params[..self.n_cell_params],
            &ws.d_eff,
            &mut grads[..self.n_cell_params],
        );
        if self.initial == InitialState::Trainable {
            let r = self.layout.range(self.layout.specs.len() - 1);
            add_col_sums(&mut grads[r], &ws.d_s_a, s_len);
        }
    }

    /// ∂L/∂s₀ of the last backward, `(B, state_len)`.
    pub fn d_initial_state<'a>(&self, ws: &'a Workspace<T>) -> &'a [T] {
        &ws.d_s_a
    }

    /// Final state of the last forward, `(B, state_len)`.
    pub fn final_state<'a>(&self, ws: &'a Workspace<T>) -> &'a [T] {
        let bs = ws.batch * self.cell.state_len();
        &ws.states[ws.n_steps * bs..(ws.n_steps + 1) * bs]
    }

    /// Apply the cell's parameter clamps (e.g. τ ≥ dt) after an optimizer step.
    pub fn clamp(&mut self) {
        let n = self.n_cell_params;
        self.cell.clamp_params(&mut self.params[..n]);
    }
}

/// Per-sample row widths of a cell's per-step buffers.
struct Widths {
    g: usize,
    s: usize,
    h: usize,
    nl: usize,
    c: usize,
    a: usize,
}

/// The context of one half of the batch: its own size, one thread (the halves run in parallel).
fn half_ctx(ctx: StepCtx, batch: usize) -> StepCtx {
    StepCtx {
        batch,
        threads: 1,
        ..ctx
    }
}

/// Split one step's slices at sample `half`: rows are per sample, so each half is contiguous.
fn split_fwd<'a, T>(
    io: StepFwd<'a, T>,
    half: usize,
    w: &Widths,
) -> (StepFwd<'a, T>, StepFwd<'a, T>) {
    let (u0, u1) = io.u.split_at(half * w.g);
    let (sp0, sp1) = io.s_prev.split_at(half * w.s);
    let (rp0, rp1) = io.r_prev.split_at(half * w.h);
    let (n0, n1) = io.noise.split_at(half * w.nl);
    let (sn0, sn1) = io.s_next.split_at_mut(half * w.s);
    let (rn0, rn1) = io.r_next.split_at_mut(half * w.h);
    let (c0, c1) = io.cache.split_at_mut(half * w.c);
    (
        StepFwd {
            u: u0,
            s_prev: sp0,
            r_prev: rp0,
            noise: n0,
            s_next: sn0,
            r_next: rn0,
            cache: c0,
            buffers: io.buffers,
            t: io.t,
        },
        StepFwd {
            u: u1,
            s_prev: sp1,
            r_prev: rp1,
            noise: n1,
            s_next: sn1,
            r_next: rn1,
            cache: c1,
            buffers: &mut [],
            t: io.t,
        },
    )
}

/// Split one backward step's slices at sample `half`; the second half accumulates its weight
/// gradient into `d_eff2`.
fn split_bwd<'a, T>(
    io: StepBwd<'a, T>,
    d_eff2: &'a mut [T],
    half: usize,
    w: &Widths,
) -> (StepBwd<'a, T>, StepBwd<'a, T>) {
    let (u0, u1) = io.u.split_at(half * w.g);
    let (sp0, sp1) = io.s_prev.split_at(half * w.s);
    let (rp0, rp1) = io.r_prev.split_at(half * w.h);
    let (sn0, sn1) = io.s_next.split_at(half * w.s);
    let (rn0, rn1) = io.r_next.split_at(half * w.h);
    let (c0, c1) = io.cache.split_at(half * w.c);
    let (n0, n1) = io.noise.split_at(half * w.nl);
    let (dsn0, dsn1) = io.d_s_next.split_at(half * w.s);
    let (dr0, dr1) = io.d_r.split_at(half * w.h);
    let (dsp0, dsp1) = io.d_s_prev.split_at_mut(half * w.s);
    let (du0, du1) = io.d_u.split_at_mut(half * w.g);
    let (da0, da1) = io.d_aux.split_at_mut(half * w.a);
    (
        StepBwd {
            u: u0,
            s_prev: sp0,
            r_prev: rp0,
            s_next: sn0,
            r_next: rn0,
            cache: c0,
            noise: n0,
            d_s_next: dsn0,
            d_r: dr0,
            d_s_prev: dsp0,
            d_u: du0,
            d_aux: da0,
            d_eff: io.d_eff,
            t: io.t,
        },
        StepBwd {
            u: u1,
            s_prev: sp1,
            r_prev: rp1,
            s_next: sn1,
            r_next: rn1,
            cache: c1,
            noise: n1,
            d_s_next: dsn1,
            d_r: dr1,
            d_s_prev: dsp1,
            d_u: du1,
            d_aux: da1,
            d_eff: d_eff2,
            t: io.t,
        },
    )
}
