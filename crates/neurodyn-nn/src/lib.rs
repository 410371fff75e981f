//! neurodyn-nn: the engine. Recurrent cells with hand-derived backward steps, one fused BPTT
//! driver, readout, losses, penalties, optimizers, schedules and initialisers, and FORCE learning
//! of the readout as the one rule that is not gradient descent.
//!
//! Everything is generic over [`Real`] (f32 to train, f64 to check gradients). See
//! [`cell`] for how a cell plugs into the time loop and [`bptt`] for the driver around it.

pub mod activation;
pub mod bptt;
pub mod cell;
pub mod cells;
pub mod constraint;
pub mod dynamics;
mod error;
pub mod force;
pub mod init;
pub mod kernels;
pub mod layers;
pub mod linalg;
pub mod loss;
pub mod math32;
pub mod objective;
pub mod optim;
pub mod params;
pub mod real;
pub mod regularizer;
mod time_loop;

pub use activation::Activation;
pub use bptt::{InitialState, Network, Workspace};
pub use cell::Cell;
pub use constraint::{Constraint, Rectify};
pub use dynamics::Frozen;
pub use error::{NnError, Result};
pub use loss::{Loss, LossTargets};
pub use objective::{central_difference, grad_check, BatchRef, Objective, Terms};
pub use optim::{Clip, Optimizer, OptimizerConfig, Schedule};
pub use real::Real;
pub use regularizer::Regularizer;
