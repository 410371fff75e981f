//! The seed streams of a run: every random draw of training comes from `(seed, stream)` with one
//! of these streams. Step k's batch is generated from `(seed, DATA + k)` and its noise from
//! `(seed, NOISE + k)`; initial weights come from `(seed, INIT)`, a feedback-alignment matrix from
//! `(seed, FEEDBACK)`, FORCE's feedback weights from `(seed, FORCE)`, and the class frequencies
//! behind an empty weighted cross-entropy from `(seed, WEIGHTS + k)`. Nothing else is random, so
//! a run resumed from a checkpoint at step k continues with exactly the draws an uninterrupted
//! run would have made, and its final weights are bit-identical.

pub(crate) const INIT: u64 = 0;
pub(crate) const DATA: u64 = 1 << 40;
pub(crate) const NOISE: u64 = 2 << 40;
pub(crate) const WEIGHTS: u64 = 3 << 40;
pub(crate) const FEEDBACK: u64 = 4 << 40;
pub(crate) const FORCE: u64 = 5 << 40;
