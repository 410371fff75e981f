//! The `Cell` trait: one recurrent update with its hand-derived backward step.
//!
//! The time loop is written once, in [`crate::bptt`]; a cell only says how to go from the state at
//! step t−1 to the state at step t for a whole batch, and back. The driver hoists everything that
//! does not depend on the recurrence out of the loop as single large GEMMs:
//!
//! ```text
//! U   = X · W_inᵀ + b            (all T·B rows at once; X is time-major (T, B, n_in))
//! s_t = step(s_{t−1}, U_t)        (per step; the cell's own recurrent GEMM B×S·S×G)
//! Y   = R · W_outᵀ + b_out       (readout, all steps at once)
//! ```
//!
//! and on the way back `∂W_in = ∂Uᵀ·X`, `∂W_out = ∂Yᵀ·R` in one GEMM each, with the cell's
//! recurrent-weight gradient deferred to [`Cell::finish_backward`], where it is again one GEMM over
//! all steps. No buffer is allocated inside the loop: the driver sizes every per-step buffer from
//! the widths a cell declares (`state_len`, `cache_len`, `aux_len`, `noise_len`).
//!
//! Cells with extra hidden synaptic state fit as they are: their state vector per sample is longer
//! than their rate vector (`state_len > n_units`), and `rates_of_state` reads the rates out of it.
//! [`crate::cells::stp`] (short-term facilitation and depression, state `[r | d | φ]`) is built
//! that way, and so is [`crate::cells::hebb`] (Hebbian fast weights, state `[r | A]` with an
//! `H × H` matrix per sample).

use crate::params::ParamSpec;
use crate::real::Real;
use neurodyn_core::Rng;

/// What a step needs to know besides the data.
#[derive(Clone, Copy, Debug)]
pub struct StepCtx {
    /// Samples in the batch.
    pub batch: usize,
    /// Training (noise on, batch statistics) or evaluation.
    pub training: bool,
    /// Threads the cell may use for its GEMM.
    pub threads: usize,
}

/// Per-step slices handed to [`Cell::step`]. Shapes are per batch: `(batch, width)` row-major.
pub struct StepFwd<'a, T> {
    /// Projected input `U_t`, `(B, input_width)`.
    pub u: &'a [T],
    /// Previous state `(B, state_len)`.
    pub s_prev: &'a [T],
    /// Previous rates `(B, n_units)`.
    pub r_prev: &'a [T],
    /// Standard-normal noise `(B, noise_len)` (zeros when not training).
    pub noise: &'a [T],
    /// New state, written.
    pub s_next: &'a mut [T],
    /// New rates, written.
    pub r_next: &'a mut [T],
    /// Values saved for the backward step, `(B, cache_len)`, written.
    pub cache: &'a mut [T],
    /// Persistent non-trainable buffers (e.g. batch-norm running statistics), updated in training.
    pub buffers: &'a mut [T],
    /// The step index t (batch-norm keeps statistics per step).
    pub t: usize,
}

/// Per-step slices handed to [`Cell::backward_step`].
pub struct StepBwd<'a, T> {
    /// State at t−1.
    pub s_prev: &'a [T],
    /// Rates at t−1.
    pub r_prev: &'a [T],
    /// State at t.
    pub s_next: &'a [T],
    /// Rates at t.
    pub r_next: &'a [T],
    /// Saved values of step t.
    pub cache: &'a [T],
    /// Noise used at step t.
    pub noise: &'a [T],
    /// ∂L/∂s_t arriving from steps after t (not including the readout at t).
    pub d_s_next: &'a [T],
    /// ∂L/∂r_t from the readout and activity penalties at step t.
    pub d_r: &'a [T],
    /// ∂L/∂s_{t−1}, written (overwrite).
    pub d_s_prev: &'a mut [T],
    /// ∂L/∂U_t, written (overwrite).
    pub d_u: &'a mut [T],
    /// Per-step auxiliary gradient the cell keeps for `finish_backward`, `(B, aux_len)`, written.
    pub d_aux: &'a mut [T],
    /// Gradient of the effective weights, accumulated.
    pub d_eff: &'a mut [T],
    /// The step index t.
    pub t: usize,
}

/// Whole-sequence buffers handed to [`Cell::finish_backward`] (time-major, `T` steps).
pub struct Seq<'a, T> {
    /// Steps.
    pub n_steps: usize,
    /// Batch size.
    pub batch: usize,
    /// `(T+1, B, state_len)`: index 0 is the initial state.
    pub states: &'a [T],
    /// `(T+1, B, n_units)`: index 0 is the rates of the initial state.
    pub rates: &'a [T],
    /// `(T, B, cache_len)`.
    pub cache: &'a [T],
    /// `(T, B, input_width)` input gradients.
    pub d_u: &'a [T],
    /// `(T, B, aux_len)`.
    pub d_aux: &'a [T],
}

/// `u = W_in x + b` for one sample from a cell's effective weights (at
/// [`Cell::input_offsets`]), summed in f64: the projection the time loop makes in one GEMM, for
/// the callers that step a cell one sample or one step at a time.
pub(crate) fn project_sample<T: Real>(cell: &dyn Cell<T>, eff: &[T], x: &[f64], u: &mut [T]) {
    let n_in = cell.n_in();
    let (wo, bo) = cell.input_offsets();
    for (i, ui) in u.iter_mut().enumerate().take(cell.input_width()) {
        let w = &eff[wo + i * n_in..wo + (i + 1) * n_in];
        let dot: f64 = w.iter().zip(x).map(|(a, &b)| a.f() * b).sum();
        *ui = T::c(eff[bo + i].f() + dot);
    }
}

/// A recurrent cell: forward and hand-derived backward for one time step of a batch.
pub trait Cell<T: Real>: Send + Sync {
    /// Short name (`ctrnn`, `gru`, …).
    fn kind(&self) -> &'static str;
    /// Input size.
    fn n_in(&self) -> usize;
    /// Number of units whose rates are read out and recorded.
    fn n_units(&self) -> usize;
    /// Per-sample state length (≥ `n_units` for cells with hidden synaptic state or LSTM cells).
    fn state_len(&self) -> usize {
        self.n_units()
    }
    /// Width of the projected input `U_t` (n_units × gates).
    fn input_width(&self) -> usize;
    /// Per-sample, per-step cache length.
    fn cache_len(&self) -> usize;
    /// Per-sample, per-step auxiliary gradient length.
    fn aux_len(&self) -> usize {
        0
    }
    /// Per-sample, per-step standard-normal noise values wanted in training (0 = none).
    fn noise_len(&self) -> usize {
        0
    }
    /// Trainable tensors (unprefixed names).
    fn param_specs(&self) -> Vec<ParamSpec>;
    /// Non-trainable persistent buffers (running statistics).
    fn buffer_specs(&self) -> Vec<ParamSpec> {
        Vec::new()
    }
    /// Initialise parameters (and buffers) for a new network.
    fn init(&self, params: &mut [T], buffers: &mut [T], rng: &mut Rng);
    /// Length of the effective-weight buffer.
    fn eff_len(&self) -> usize;
    /// Length of the prefix of the effective-weight buffer that has gradients (`∂eff`): all of
    /// it by default; a cell that keeps derived copies at the end of `eff` (transposed or packed
    /// weights for its per-step products) stops before them.
    fn grad_len(&self) -> usize {
        self.eff_len()
    }
    /// Build effective weights (masks, Dale, fixed weights, α from τ) from the parameters.
    fn prepare(&self, params: &[T], eff: &mut [T]);
    /// Offsets in `eff` of the input weight `(input_width, n_in)` and input bias `(input_width)`.
    fn input_offsets(&self) -> (usize, usize);
    /// Gates kept for analysis: `(name, offset)` of each gate's `n_units` values (after its
    /// nonlinearity) in a sample's cache row once [`Cell::step`] has run. Empty for cells without
    /// gates; `Network::gate` reads them out of a forward pass.
    fn gates(&self) -> Vec<(&'static str, usize)> {
        Vec::new()
    }
    /// Names of the blocks of a sample's state after its rates, each `n_units` wide, for cells
    /// whose state is `[rates | block 1 | …]` (LSTM `[h | c]`: `cell`); recordings keep them so
    /// that analyses can rebuild whole states. Empty when the state is the rates.
    fn state_blocks(&self) -> Vec<&'static str> {
        Vec::new()
    }
    /// Rates of a state, `(B, state_len) → (B, n_units)`.
    fn rates_of_state(&self, s: &[T], rates: &mut [T]) {
        rates.copy_from_slice(s);
    }
    /// One forward step.
    fn step(&self, eff: &[T], ctx: StepCtx, io: StepFwd<'_, T>);
    /// One backward step.
    fn backward_step(&self, eff: &[T], ctx: StepCtx, io: StepBwd<'_, T>);
    /// After the backward loop: deferred whole-sequence gradient GEMMs into `d_eff`.
    fn finish_backward(&self, eff: &[T], ctx: StepCtx, seq: Seq<'_, T>, d_eff: &mut [T]);
    /// Map `∂L/∂eff` to `∂L/∂params` (accumulate).
    fn backprop_params(&self, params: &[T], d_eff: &[T], d_params: &mut [T]);
    /// The time step (ms) when a step is the Euler discretisation `s + dt·G(s)` of an ODE
    /// (see [`neurodyn_core::Dynamics::dt_ms`]); `None` for cells that are discrete by nature.
    fn dt_ms(&self) -> Option<f64> {
        None
    }
    /// The Jacobian `∂s_t/∂s_{t−1}` of one sample at state `s_prev` with projected input `u`
    /// (length `input_width`), row-major `state_len × state_len`, noise off. Returns `false` when
    /// the cell has no analytic form (callers then use central differences).
    fn jacobian(&self, _eff: &[T], _s_prev: &[T], _u: &[T], _out: &mut [T]) -> bool {
        false
    }
    /// Zero the initial state's gradient entries that are not trainable, etc. Default: nothing.
    fn clamp_params(&self, _params: &mut [T]) {}
    /// Whether the recurrence reads its units only through `W_rec r_{t−1} + U_t`, with the
    /// trained `w_rec` used as is: then an output `y = W_out r` fed back into `U_t` through a
    /// matrix `W_fb` is exactly the network with `w_rec + W_fb W_out` (how [`crate::force`] keeps
    /// a FORCE-trained network an ordinary one). A CTRNN without constraints on `w_rec`, in any
    /// of its forms; no cell by default.
    fn folds_output_feedback(&self) -> bool {
        false
    }
}
