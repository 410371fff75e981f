//! The network and its fused backpropagation through time, written once for every cell.
//!
//! A [`Network`] is a recurrent [`Cell`], a linear readout `y_t = W_out r_t + b_out` (optionally
//! constrained, e.g. reading from excitatory units only) and an initial state that is zero or
//! trainable. [`Network::forward`] runs all `T` steps of a time-major batch into a [`Workspace`];
//! [`Network::backward`] takes `∂L/∂Y` (and any extra `∂L/∂R` from activity penalties) and returns
//! the gradient of every parameter. The workspace is sized once per batch shape; nothing is
//! allocated inside the time loop.

use crate::cell::{Cell, Seq, StepCtx};
use crate::constraint::Constraint;
use crate::kernels::strided::{gemm_s_onto, sv};
use crate::linalg::{add_col_sums, gemm, m, transpose_into, Trans};
use crate::params::{Layout, ParamSpec};
use crate::real::Real;
use crate::time_loop::{BwdBufs, BwdEdges, Edges, FwdBufs, Right};
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
    /// A fixed matrix `(n_out, n_units)` that carries the output error back to the units in
    /// place of the readout's effective `W_out` (feedback alignment, Lillicrap et al. 2016):
    /// `∂R_t = ∂Y_t B`. The readout's own gradients and everything after `∂R` are unchanged, so
    /// with `B = W_out` this is backpropagation exactly. `None`: backpropagation.
    pub feedback: Option<Vec<T>>,
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
    /// Projected inputs `(T, B, G)`; after a long pass (edge products inside the loop, see
    /// [`crate::time_loop`]), the last step's `(B, G)`.
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
    /// `d_r_extra`; `backward` adds (or, without extras, writes) the readout's part. Scratch
    /// afterwards: a long pass without extras keeps one step's rows in it.
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
    d_eff_parts: Vec<Vec<T>>,
    w_out: Vec<T>,
    w_out_t: Vec<T>,
    w_in_t: Vec<T>,
    d_w_in_t: Vec<T>,
    d_w_out: Vec<T>,
    w_in_panels: Vec<T>,
    w_out_t_panels: Vec<T>,
    w_out_panels: Vec<T>,
    d_w_in_t_parts: Vec<Vec<T>>,
    d_w_out_parts: Vec<Vec<T>>,
}

fn resize<T: Real>(v: &mut Vec<T>, n: usize) {
    if v.len() != n {
        v.clear();
        v.resize(n, T::c(0.0));
    }
}

/// Pack the `k × n` row-major `src` into `dst` in the AVX2 kernel's panels.
fn pack<T: Real>(dst: &mut Vec<T>, src: &[T], k: usize, n: usize) {
    resize(dst, crate::kernels::packed_len(k, n));
    crate::kernels::pack_panels(src, k, n, n, T::c(0.0), dst);
}

/// One gradient buffer per part: the network's own for the first, then the others'.
fn with_parts<'a, T>(first: &'a mut [T], extra: &'a mut [Vec<T>]) -> Vec<&'a mut [T]> {
    std::iter::once(first)
        .chain(extra.iter_mut().map(|d| &mut d[..]))
        .collect()
}

/// Size `extra` to `n` zeroed buffers of `len` values: the gradient buffers of the parts of a
/// cut batch after the first, which accumulates into the network's own.
fn zeroed_parts<T: Real>(extra: &mut Vec<Vec<T>>, n: usize, len: usize) {
    extra.resize_with(n, Vec::new);
    for d in extra {
        resize(d, len);
        d.iter_mut().for_each(|v| *v = T::c(0.0));
    }
}

/// Add the other parts' gradient buffers to `dst`, in order (nothing for a whole batch).
fn add_parts<T: Real>(dst: &mut [T], extra: &[Vec<T>]) {
    for part in extra {
        for (d, &e) in dst.iter_mut().zip(part) {
            *d += e;
        }
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
            feedback: None,
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

    /// Use a random fixed feedback matrix (see [`Network::feedback`]), drawn as the readout
    /// is initialised: uniform in ±1/√n_units.
    pub fn set_random_feedback(&mut self, rng: &mut Rng) {
        let h = self.n_units();
        let bound = 1.0 / (h as f64).sqrt();
        self.feedback = Some(
            (0..self.n_out * h)
                .map(|_| T::c(rng.uniform_range(-bound, bound)))
                .collect(),
        );
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

    /// How the time loops run a pass (see [`crate::time_loop`]): into how many parts they cut
    /// the batch, and whether the products at the edges of the recurrence run inside the loop.
    /// Passes under 2²² multiply-adds in the recurrence, and cells with batch-coupled buffers
    /// (batch norm needs the whole batch), run whole with the edge products over the whole
    /// sequence; otherwise the edge products run step by step, and the batch is cut into one
    /// part per thread, parts of at least 8 samples (smaller ones lose the per-step products'
    /// row tiles).
    fn plan(&self, batch: usize, n_steps: usize) -> (usize, bool) {
        let c = &*self.cell;
        let work = n_steps * batch * c.input_width() * c.state_len();
        if self.buffer_layout.total > 0 || work < 1 << 22 {
            (1, false)
        } else {
            (self.threads.min(batch / 8).max(1), true)
        }
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
        let _ftz = crate::kernels::FlushDenormals::new();
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
        // A long pass projects its inputs step by step into one block of rows (no backward step
        // reads them), a short one all at once before the loop.
        let (parts, fused) = self.plan(batch, n_steps);
        let cuts = crate::time_loop::cuts(batch, parts);
        resize(&mut ws.u, if fused { batch * g } else { tb * g });
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
        // The products stream the rows of their right operand, so W_inᵀ and W_outᵀ are copied
        // out (and packed in panels for the per-step products of a long pass).
        let (wo, bo) = cell.input_offsets();
        resize(&mut ws.w_in_t, g * n_in);
        transpose_into(&ws.eff[wo..wo + g * n_in], g, n_in, &mut ws.w_in_t);
        let wr = self
            .layout
            .range(self.layout.specs.len() - self.tail_specs());
        resize(&mut ws.w_out, wr.len());
        self.readout.apply(&self.params[wr.clone()], &mut ws.w_out);
        resize(&mut ws.w_out_t, wr.len());
        transpose_into(&ws.w_out, o, h, &mut ws.w_out_t);
        let b_out = &self.params[wr.end..wr.end + o];
        if fused {
            pack(&mut ws.w_in_panels, &ws.w_in_t, n_in, g);
            pack(&mut ws.w_out_t_panels, &ws.w_out_t, h, o);
        } else {
            // U = X · W_inᵀ + b, one GEMM over all steps starting from the bias (a stride-0 view
            // repeats it on every row).
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
        }
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
        let edges = fused.then(|| Edges {
            x: &ws.x,
            w_in_t: Right {
                rows: &ws.w_in_t,
                panels: &ws.w_in_panels,
                k: n_in,
                n: g,
            },
            bias: &ws.eff[bo..bo + g],
            y: &mut ws.y,
            w_out_t: Right {
                rows: &ws.w_out_t,
                panels: &ws.w_out_t_panels,
                k: h,
                n: o,
            },
            b_out,
        });
        crate::time_loop::forward(
            cell,
            &ws.eff,
            self.ctx(batch, training),
            n_steps,
            &cuts,
            FwdBufs {
                u: &mut ws.u,
                noise: &ws.noise,
                states: &mut ws.states,
                rates: &mut ws.rates,
                cache: &mut ws.cache,
                buffers: &mut self.buffers,
            },
            edges,
        );
        if !fused {
            // Readout, one GEMM over all steps.
            gemm_s_onto(
                &mut ws.y,
                tb,
                o,
                o,
                sv(b_out, tb, o, 0),
                sv(&ws.rates[batch * h..], tb, h, h),
                Trans::N,
                sv(&ws.w_out_t, h, o, o),
                Trans::N,
                self.threads,
            );
        }
    }

    /// Backpropagate `ws.d_y` (and, when `ws.d_r_extra`, the `(T, B, H)` activity-penalty
    /// gradients in `ws.d_r`) through the last forward pass; write `∂L/∂params` into `grads`
    /// (overwritten, same layout as `params`).
    pub fn backward(&self, ws: &mut Workspace<T>, grads: &mut [T]) {
        let _ftz = crate::kernels::FlushDenormals::new();
        let cell = &*self.cell;
        let (n_steps, batch) = (ws.n_steps, ws.batch);
        let (n_in, g, s_len, h, o) = (
            cell.n_in(),
            cell.input_width(),
            cell.state_len(),
            cell.n_units(),
            self.n_out,
        );
        let a_len = cell.aux_len();
        let tb = n_steps * batch;
        assert_eq!(grads.len(), self.params.len(), "backward: grads layout");
        assert_eq!(ws.d_y.len(), tb * o, "backward: d_y must be (T, B, n_out)");
        assert!(
            !ws.d_r_extra || ws.d_r.len() == tb * h,
            "backward: extra d_r must be (T, B, H)"
        );
        let (parts, fused) = self.plan(batch, n_steps);
        let cuts = crate::time_loop::cuts(batch, parts);
        // A long pass forms ∂R_t inside the loop; without penalties to start from, each part
        // reuses one block of rows, which stays in cache.
        let d_r_steps = if fused && !ws.d_r_extra { 1 } else { n_steps };
        resize(&mut ws.d_r, d_r_steps * batch * h);
        resize(&mut ws.d_u, tb * g);
        resize(&mut ws.d_aux, tb * a_len);
        resize(&mut ws.d_s_a, batch * s_len);
        resize(&mut ws.d_s_b, batch * s_len);
        resize(&mut ws.d_eff, cell.grad_len());
        resize(&mut ws.d_w_out, o * h);
        resize(&mut ws.d_w_in_t, n_in * g);
        grads.iter_mut().for_each(|v| *v = T::c(0.0));
        ws.d_eff.iter_mut().for_each(|v| *v = T::c(0.0));
        // Readout: ∂W_out = ∂Yᵀ R, ∂b_out = Σ ∂Y, ∂R += ∂Y W_out (in the loop for a long pass),
        // or ∂Y B with a fixed feedback matrix.
        let back: &[T] = match &self.feedback {
            Some(b) => {
                assert_eq!(b.len(), o * h, "feedback must be (n_out, n_units)");
                b
            }
            None => &ws.w_out,
        };
        let wr = self
            .layout
            .range(self.layout.specs.len() - self.tail_specs());
        add_col_sums(&mut grads[wr.end..wr.end + o], &ws.d_y, o);
        let (wo, bo) = cell.input_offsets();
        if fused {
            pack(&mut ws.w_out_panels, back, o, h);
            ws.d_w_out.iter_mut().for_each(|v| *v = T::c(0.0));
            ws.d_w_in_t.iter_mut().for_each(|v| *v = T::c(0.0));
        } else {
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
            gemm(
                &mut ws.d_r,
                tb,
                h,
                m(&ws.d_y, tb, o),
                Trans::N,
                m(back, o, h),
                Trans::N,
                ws.d_r_extra,
                self.threads,
            );
        }
        // Backward through time, each part of the batch into its own gradient buffers.
        let ctx = self.ctx(batch, ws.training);
        ws.d_s_a.iter_mut().for_each(|v| *v = T::c(0.0));
        let extra_parts = cuts.len() - 2;
        zeroed_parts(&mut ws.d_eff_parts, extra_parts, cell.grad_len());
        let edge_parts = if fused { extra_parts } else { 0 };
        zeroed_parts(&mut ws.d_w_in_t_parts, edge_parts, n_in * g);
        zeroed_parts(&mut ws.d_w_out_parts, edge_parts, o * h);
        let d_eff = with_parts(&mut ws.d_eff, &mut ws.d_eff_parts);
        let edges = fused.then(|| BwdEdges {
            d_y: &ws.d_y,
            w_out: Right {
                rows: back,
                panels: &ws.w_out_panels,
                k: o,
                n: h,
            },
            extra: ws.d_r_extra,
            x: &ws.x,
            n_in,
            bias_at: bo,
            d_w_in_t: with_parts(&mut ws.d_w_in_t, &mut ws.d_w_in_t_parts),
            d_w_out: with_parts(&mut ws.d_w_out, &mut ws.d_w_out_parts),
        });
        let odd = crate::time_loop::backward(
            cell,
            &ws.eff,
            ctx,
            n_steps,
            &cuts,
            BwdBufs {
                states: &ws.states,
                rates: &ws.rates,
                cache: &ws.cache,
                noise: &ws.noise,
                d_r: &mut ws.d_r,
                d_u: &mut ws.d_u,
                d_aux: &mut ws.d_aux,
                d_s_a: &mut ws.d_s_a,
                d_s_b: &mut ws.d_s_b,
                d_eff,
            },
            edges,
        );
        if odd {
            std::mem::swap(&mut ws.d_s_a, &mut ws.d_s_b);
        }
        add_parts(&mut ws.d_w_out, &ws.d_w_out_parts);
        self.readout.backprop(
            &self.params[wr.clone()],
            &ws.d_w_out,
            &mut grads[wr.clone()],
        );
        add_parts(&mut ws.d_eff, &ws.d_eff_parts);
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
        // Input projection: ∂W_in = ∂Uᵀ X, ∂b = Σ ∂U, unless the parts added theirs in the loop.
        // Computed as ∂W_inᵀ = Xᵀ ∂U and transposed into place: a product n_in × G is as wide as
        // the layer, which the AVX2 kernel runs well, where ∂Uᵀ X (G × n_in, a few dozen columns)
        // would not.
        if fused {
            add_parts(&mut ws.d_w_in_t, &ws.d_w_in_t_parts);
        } else {
            gemm(
                &mut ws.d_w_in_t,
                n_in,
                g,
                m(&ws.x, tb, n_in),
                Trans::T,
                m(&ws.d_u, tb, g),
                Trans::N,
                false,
                self.threads,
            );
            add_col_sums(&mut ws.d_eff[bo..bo + g], &ws.d_u, g);
        }
        for (i, row) in ws.d_eff[wo..wo + g * n_in]
            .chunks_exact_mut(n_in.max(1))
            .enumerate()
        {
            for (j, v) in row.iter_mut().enumerate() {
                *v += ws.d_w_in_t[j * g + i];
            }
        }
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
