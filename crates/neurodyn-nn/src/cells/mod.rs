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
