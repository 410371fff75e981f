//! The interface analyses use to probe a network's dynamics without knowing its type.
//!
//! A trained recurrent network, frozen, is a discrete-time map `x_{t+1} = F(x_t, u)` on its hidden
//! state `x` for a constant input `u`. Fixed-point search (Sussillo & Barak 2013), Jacobian spectra,
//! lesions and activation maximisation need only this map and its Jacobian, so the engine
//! implements [`Dynamics`] for its networks and the analysis crate never imports the engine.
//! Everything here is f64: fixed points are sought to `q < 1e-12`, beyond f32's reach.
//!
//! A state of thousands of units (a convolutional RNN's maps) has no dense Jacobian to form:
//! such a network implements [`MatrixFreeMap`], the map and its Jacobian-vector products, which
//! Krylov methods (Arnoldi spectra, Newton–Krylov fixed points) need and nothing more.

/// A frozen network seen as a discrete-time dynamical system on its hidden state.
pub trait Dynamics: Sync {
    /// Dimension of the hidden state `x`.
    fn n_state(&self) -> usize;
    /// Dimension of the input `u`.
    fn n_in(&self) -> usize;
    /// `out = F(x, u)`, one update of the network (noise off).
    fn step(&self, x: &[f64], u: &[f64], out: &mut [f64]);
    /// `out = ∂F/∂x` at `(x, u)`, row-major `n_state × n_state` (`out[i*n + j] = ∂F_i/∂x_j`).
    fn jacobian(&self, x: &[f64], u: &[f64], out: &mut [f64]);
    /// For a network that is the Euler discretisation `x_{t+1} = x_t + dt·G(x_t)` of an ODE
    /// `ẋ = G(x)`, `Some(dt)` in ms. A discrete eigenvalue `μ` then maps exactly to the
    /// continuous one `λ = (μ − 1)/dt`, whatever the time constants of the state's components
    /// (per-unit τ, synaptic variables). `None` for networks that are discrete by nature (GRU,
    /// LSTM).
    fn dt_ms(&self) -> Option<f64>;
    /// The firing rates `r(x)` of the hidden state, length `n_units` (the state itself for
    /// rate-form networks).
    fn rates(&self, x: &[f64], out: &mut [f64]) {
        out.copy_from_slice(x);
    }
}

/// A frozen network's one-step map `F` on its state, under an input fixed when the map was made,
/// known through Jacobian-vector products rather than a dense Jacobian.
pub trait MatrixFreeMap {
    /// Dimension of the state.
    fn dim(&self) -> usize;
    /// `out = F(x)`; later [`MatrixFreeMap::jvp`] calls use the Jacobian at this `x`.
    fn step(&mut self, x: &[f64], out: &mut [f64]);
    /// `out = J_F(x) v` at the `x` of the last [`MatrixFreeMap::step`].
    fn jvp(&mut self, v: &[f64], out: &mut [f64]);
}
