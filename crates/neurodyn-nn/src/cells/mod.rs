//! The recurrent cells. One file per cell; each implements [`crate::cell::Cell`].
//!
//! - [`ctrnn`]: continuous-time rate RNN (three discretised forms, per-unit τ, noise, Dale).
//! - [`vanilla`]: discrete Elman RNN (PyTorch `nn.RNN`).
//! - [`gru`]: gated recurrent unit (PyTorch `nn.GRU`).
//! - [`lstm`]: long short-term memory (PyTorch `nn.LSTM`), state `[h | c]`.
//! - [`light_gru`]: light GRU with batch norm, and its ENU and EI variants.
//! - [`stp`]: CTRNN with short-term facilitation and depression (state `[r | d | φ]`).
//! - [`hebb`]: CTRNN with Hebbian fast weights (state `[r | A]`).
//!
//! [`rate_core`] holds what the three leaky rate cells (`ctrnn`, `stp`, `hebb`) share.

pub mod ctrnn;
mod ctrnn_rows;
pub mod gru;
pub mod hebb;
pub mod light_gru;
pub mod lstm;
pub mod rate_core;
pub mod stp;
pub mod vanilla;

pub use ctrnn::{Ctrnn, CtrnnForm};
pub use gru::Gru;
pub use hebb::HebbCtrnn;
pub use light_gru::LightGru;
pub use lstm::Lstm;
pub use stp::StpCtrnn;
pub use vanilla::VanillaRnn;

use crate::activation::Activation;
use crate::cell::Cell;
use crate::constraint::{dale_signs, no_autapse_mask, Constraint, Rectify};
use crate::real::Real;
use neurodyn_core::Rng;

/// The sizes of a catalogue cell: inputs, units, time step (ms, for the leaky cells) and the seed
/// of its initial weights.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellShape {
    /// Input channels.
    pub n_in: usize,
    /// Units.
    pub n_units: usize,
    /// Time step (ms) of the continuous-time cells (τ is 100 ms).
    pub dt_ms: f64,
    /// Seed of the initial weights.
    pub seed: u64,
}

/// One cell of [`CELLS`]: a name (each model kind's config name, plus variants that take other
/// code paths) and a constructor per precision. The conformance suites (gradient checks of long
/// passes, f32 against f64 on every SIMD path) iterate the catalogue, so a cell listed here is
/// covered without editing them.
pub struct CellEntry {
    /// Name: a model kind (`gru`) or a variant (`ctrnn-state`).
    pub name: &'static str,
    f32: fn(&CellShape) -> Box<dyn Cell<f32>>,
    f64: fn(&CellShape) -> Box<dyn Cell<f64>>,
}

impl CellEntry {
    /// The cell in f32.
    pub fn f32(&self, shape: &CellShape) -> Box<dyn Cell<f32>> {
        (self.f32)(shape)
    }
    /// The cell in f64.
    pub fn f64(&self, shape: &CellShape) -> Box<dyn Cell<f64>> {
        (self.f64)(shape)
    }
}

impl std::fmt::Debug for CellEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CellEntry")
            .field("name", &self.name)
            .finish()
    }
}

/// Dale's law on a leaky cell's recurrent weights: 80 % excitatory columns, no autapses.
fn dale<T: Real>(n: usize) -> Constraint<T> {
    Constraint {
        conn: Some(no_autapse_mask::<T>(n)),
        col_sign: Some(dale_signs::<T>(n, 0.8)),
        rectify: Rectify::Abs,
        ..Constraint::none(n, n)
    }
}

fn ctrnn<T: Real>(s: &CellShape) -> Box<dyn Cell<T>> {
    let mut c = Ctrnn::<T>::new(s.n_in, s.n_units, s.dt_ms, 100.0, &mut Rng::new(s.seed));
    c.activation = Activation::Tanh;
    c.learn_tau = true;
    Box::new(c)
}

fn ctrnn_state<T: Real>(s: &CellShape) -> Box<dyn Cell<T>> {
    let mut c = Ctrnn::<T>::new(s.n_in, s.n_units, s.dt_ms, 100.0, &mut Rng::new(s.seed));
    c.form = CtrnnForm::State;
    c.activation = Activation::Sigmoid;
    Box::new(c)
}

fn ctrnn_tutorial<T: Real>(s: &CellShape) -> Box<dyn Cell<T>> {
    let mut c = Ctrnn::<T>::new(s.n_in, s.n_units, s.dt_ms, 100.0, &mut Rng::new(s.seed));
    c.form = CtrnnForm::Tutorial;
    c.activation = Activation::Softplus;
    Box::new(c)
}

fn ei_ctrnn<T: Real>(s: &CellShape) -> Box<dyn Cell<T>> {
    let mut c = Ctrnn::<T>::new(s.n_in, s.n_units, s.dt_ms, 100.0, &mut Rng::new(s.seed));
    c.activation = Activation::Softplus;
    c.c_rec = dale(s.n_units);
    Box::new(c)
}

fn stp_ctrnn<T: Real>(s: &CellShape) -> Box<dyn Cell<T>> {
    let mut c = StpCtrnn::<T>::new(s.n_in, s.n_units, s.dt_ms, 100.0, &mut Rng::new(s.seed));
    c.activation = Activation::Sigmoid;
    Box::new(c)
}

fn hebb_ctrnn<T: Real>(s: &CellShape) -> Box<dyn Cell<T>> {
    let mut c = HebbCtrnn::<T>::new(s.n_in, s.n_units, s.dt_ms, 100.0, &mut Rng::new(s.seed));
    c.activation = Activation::Tanh;
    c.a_max = 0.05;
    Box::new(c)
}

fn vanilla<T: Real>(s: &CellShape) -> Box<dyn Cell<T>> {
    Box::new(VanillaRnn::<T>::new(
        s.n_in,
        s.n_units,
        &mut Rng::new(s.seed),
    ))
}

fn gru<T: Real>(s: &CellShape) -> Box<dyn Cell<T>> {
    Box::new(Gru::<T>::new(s.n_in, s.n_units, &mut Rng::new(s.seed)))
}

fn lstm<T: Real>(s: &CellShape) -> Box<dyn Cell<T>> {
    Box::new(Lstm::<T>::new(s.n_in, s.n_units, &mut Rng::new(s.seed)))
}

fn light_gru<T: Real>(s: &CellShape) -> Box<dyn Cell<T>> {
    Box::new(LightGru::<T>::new(s.n_in, s.n_units, &mut Rng::new(s.seed)))
}

fn enu_light_gru<T: Real>(s: &CellShape) -> Box<dyn Cell<T>> {
    Box::new(LightGru::<T>::enu(
        s.n_in,
        s.n_units,
        2,
        &mut Rng::new(s.seed),
    ))
}

fn ei_light_gru<T: Real>(s: &CellShape) -> Box<dyn Cell<T>> {
    Box::new(LightGru::<T>::ei(
        s.n_in,
        s.n_units,
        0.8,
        &mut Rng::new(s.seed),
    ))
}

/// One catalogue line.
macro_rules! entry {
    ($name:literal, $make:ident) => {
        CellEntry {
            name: $name,
            f32: $make::<f32>,
            f64: $make::<f64>,
        }
    };
}

/// Every cell, each with the options that exercise its code paths (smooth activations, so that
/// central differences apply; learned τ; Dale's law), and the CTRNN's other two forms. A new
/// cell adds one line here.
pub static CELLS: &[CellEntry] = &[
    entry!("ctrnn", ctrnn),
    entry!("ctrnn-state", ctrnn_state),
    entry!("ctrnn-tutorial", ctrnn_tutorial),
    entry!("ei-ctrnn", ei_ctrnn),
    entry!("stp-ctrnn", stp_ctrnn),
    entry!("hebb-ctrnn", hebb_ctrnn),
    entry!("vanilla", vanilla),
    entry!("gru", gru),
    entry!("lstm", lstm),
    entry!("light-gru", light_gru),
    entry!("enu-light-gru", enu_light_gru),
    entry!("ei-light-gru", ei_light_gru),
];
