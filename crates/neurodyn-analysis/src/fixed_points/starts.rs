//! Initial states for the fixed-point search: states visited on recorded trajectories plus
//! Gaussian noise (Sussillo & Barak 2013; FixedPointFinder's `sample_states`).
//!
//! Each start picks a trial uniformly, then a real (unpadded) step of it uniformly, takes the
//! recorded rates there as the state and adds `N(0, noise_std²)` to every coordinate. This assumes
//! the network's state is what was recorded (rate-form CTRNN `h`, GRU `h`); callers whose state
//! differs from the recorded rates build starts themselves.

use crate::error::{AnalysisError, Result};
use crate::window::check_recording;
use neurodyn_core::{Recording, Rng};

/// `n_starts` states `(n_starts, n_units)` row-major sampled from `rec`'s trajectories.
pub fn sample_starts(
    rec: &Recording,
    n_starts: usize,
    noise_std: f64,
    rng: &mut Rng,
) -> Result<Vec<f64>> {
    check_recording(rec)?;
    if !noise_std.is_finite() || noise_std < 0.0 {
        return Err(AnalysisError::config(
            "noise_std",
            format!("must be finite and ≥ 0, got {noise_std}"),
        ));
    }
    let trials: Vec<usize> = (0..rec.n_trials)
        .filter(|&i| rec.trial_len[i] > 0)
        .collect();
    if trials.is_empty() {
        return Err(AnalysisError::empty(
            "every trial of the recording has length 0",
        ));
    }
    let u = rec.n_units;
    let mut out = Vec::with_capacity(n_starts * u);
    for _ in 0..n_starts {
        let i = *rng.choose(&trials);
        let t = rng.below(rec.trial_len[i].min(rec.n_steps) as u64) as usize;
        let o = (i * rec.n_steps + t) * u;
        for &r in &rec.rates[o..o + u] {
            out.push(r as f64 + noise_std * rng.normal());
        }
    }
    Ok(out)
}
