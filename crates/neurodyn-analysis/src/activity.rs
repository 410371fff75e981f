//! Simple population summaries: the mean activity of each trial and the maximum activation of
//! each unit (coursework seed 001, fig. 7: a stem plot that reveals units that never fire).
//!
//! `trial_mean[i]` = mean of the rates over all units and the window's steps of trial `i` (NaN if
//! the trial lacks the window); `max_rate[u]` = max over all trials and window steps, with the
//! trial and step where it happens. Padding never counts.

use crate::error::{AnalysisError, Result};
use crate::window::{check_recording, rate, Window};
use neurodyn_core::{Npz, Recording};
use serde::{Deserialize, Serialize};

/// Which steps count.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActivityConfig {
    /// Window of each trial.
    pub window: Window,
}

/// Per-trial means and per-unit maxima.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActivityResult {
    /// Trials.
    pub n_trials: usize,
    /// Units.
    pub n_units: usize,
    /// Mean over units and steps, per trial (NaN where the window is absent).
    pub trial_mean: Vec<f64>,
    /// Maximum rate of each unit.
    pub max_rate: Vec<f64>,
    /// Trial of each unit's maximum.
    pub argmax_trial: Vec<usize>,
    /// Step of each unit's maximum.
    pub argmax_step: Vec<usize>,
}

impl ActivityResult {
    /// Arrays for `.npz`: `trial_mean`, `max_rate`, `argmax_trial`, `argmax_step`.
    pub fn to_npz(&self) -> Result<Npz> {
        let mut z = Npz::new();
        z.f64("trial_mean", &[self.n_trials], self.trial_mean.clone())?;
        z.f64("max_rate", &[self.n_units], self.max_rate.clone())?;
        let ints = |v: &[usize]| v.iter().map(|&x| x as i64).collect::<Vec<_>>();
        z.i64("argmax_trial", &[self.n_units], ints(&self.argmax_trial))?;
        z.i64("argmax_step", &[self.n_units], ints(&self.argmax_step))?;
        Ok(z)
    }
}

/// Compute the summaries over `rec`.
pub fn run(rec: &Recording, config: &ActivityConfig) -> Result<ActivityResult> {
    check_recording(rec)?;
    config.window.validate(rec)?;
    let u = rec.n_units;
    let mut trial_mean = vec![f64::NAN; rec.n_trials];
    let mut max_rate = vec![f64::NEG_INFINITY; u];
    let mut argmax_trial = vec![0; u];
    let mut argmax_step = vec![0; u];
    let mut any = false;
    for i in 0..rec.n_trials {
        let Some((s, e)) = config.window.bounds(rec, i) else {
            continue;
        };
        any = true;
        let mut sum = 0.0;
        for t in s..e {
            for k in 0..u {
                let r = rate(rec, i, t, k);
                sum += r;
                if r > max_rate[k] {
                    max_rate[k] = r;
                    argmax_trial[k] = i;
                    argmax_step[k] = t;
                }
            }
        }
        trial_mean[i] = sum / ((e - s) * u) as f64;
    }
    if !any {
        return Err(AnalysisError::empty("activity: no trial has the window"));
    }
    Ok(ActivityResult {
        n_trials: rec.n_trials,
        n_units: u,
        trial_mean,
        max_rate,
        argmax_trial,
        argmax_step,
    })
}
