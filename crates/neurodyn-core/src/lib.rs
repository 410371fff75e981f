//! neurodyn-core: the shared vocabulary of the toolkit.
//!
//! - [`Rng`]: the one explicit, seeded random generator.
//! - [`Trial`], [`Batch`]: what a task produces and what the engine consumes (time-major).
//! - [`Recording`]: what a run leaves for analysis, `(trial, time, unit)`.
//! - [`Npz`]: `.npz` files numpy opens, written atomically.
//! - [`FileInfo`]: what a trial or recording file says about itself (task, dt, channel names).
//! - [`Dynamics`]: a frozen network as a map `x → F(x, u)`, for analyses that probe it.
//! - [`CoreError`]: shape, file and value errors that name what is wrong.
//! - [`memory::ensure_fits`]: refuse a request larger than the machine's memory, before allocating.
//! - [`cpu::clear_upper_vector_state`]: `vzeroupper` after faer's kernels.

mod batch;
pub mod cpu;
mod describe;
mod dynamics;
mod error;
pub mod memory;
mod npz;
mod recording;
mod rng;
mod trial;

pub use batch::{Batch, BatchTargets};
pub use describe::{
    FileInfo, ACTIVATIONS_FORMAT, DESCRIBING_ARRAYS, RECORDING_FORMAT, TRIALS_FORMAT,
};
pub use dynamics::{Dynamics, MatrixFreeMap};
pub use error::{CoreError, Result};
pub use npz::{NpArray, Npz};
pub use recording::{LabelColumn, RecTargets, Recording};
pub use rng::Rng;
pub use trial::{Label, Labels, Period, Targets, Trial};
