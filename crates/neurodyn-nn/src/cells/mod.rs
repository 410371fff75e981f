//! The recurrent cells. One file per cell; each implements [`crate::cell::Cell`].

pub mod ctrnn;

pub use ctrnn::{Ctrnn, CtrnnForm};
