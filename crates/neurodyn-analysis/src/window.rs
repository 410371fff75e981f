//! Which time steps of each trial an analysis looks at, and label/period look-ups that fail with
//! a message naming what the recording does have.
//!
//! A [`Window`] resolves, per trial, to a half-open step range `[start, end)` inside the trial's
//! real length (`trial_len`, padding never counts). A trial that lacks the named period is skipped
//! by the analyses (its range is `None`).

use crate::error::{AnalysisError, Result};
use neurodyn_core::{LabelColumn, Recording};
use serde::{Deserialize, Serialize};

/// A time window within each trial. In TOML: `window = "whole"`, `window = { period = "stimulus" }`
/// or `window = { steps = [10, 20] }`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// Every real step of the trial.
    #[default]
    Whole,
    /// The named period (trials lacking it are skipped).
    Period(String),
    /// Steps `[start, end)` counted from trial onset, clipped to the trial's length.
    Steps(usize, usize),
}

impl Window {
    /// Check that the window can apply to `rec` (the period exists, the range is not empty).
    pub fn validate(&self, rec: &Recording) -> Result<()> {
        match self {
            Window::Whole => Ok(()),
            Window::Period(name) => {
                if rec.periods.iter().any(|(n, _)| n == name) {
                    Ok(())
                } else {
                    Err(AnalysisError::UnknownPeriod {
                        name: name.clone(),
                        available: rec
                            .periods
                            .iter()
                            .map(|(n, _)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                }
            }
            Window::Steps(a, b) if a >= b => Err(AnalysisError::config(
                "window",
                format!("steps [{a}, {b}) is empty"),
            )),
            Window::Steps(..) => Ok(()),
        }
    }

    /// The `[start, end)` steps of trial `i`, or `None` if the trial lacks the window or it is
    /// empty there.
    pub fn bounds(&self, rec: &Recording, i: usize) -> Option<(usize, usize)> {
        let len = rec.trial_len[i].min(rec.n_steps);
        let (s, e) = match self {
            Window::Whole => (0, len),
            Window::Period(name) => rec.period(name, i)?,
            Window::Steps(a, b) => (*a, *b),
        };
        let e = e.min(len);
        (s < e).then_some((s, e))
    }
}

/// The label column `name`, or an error listing the labels present.
pub fn require_label<'a>(rec: &'a Recording, name: &str) -> Result<&'a LabelColumn> {
    rec.label(name).ok_or_else(|| AnalysisError::UnknownLabel {
        name: name.to_string(),
        available: rec
            .labels
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Rate of `unit` at `step` of trial `i`, as f64.
#[inline]
pub(crate) fn rate(rec: &Recording, i: usize, step: usize, unit: usize) -> f64 {
    rec.rates[(i * rec.n_steps + step) * rec.n_units + unit] as f64
}

/// Check the recording's arrays agree with its declared sizes.
pub(crate) fn check_recording(rec: &Recording) -> Result<()> {
    let want = rec.n_trials * rec.n_steps * rec.n_units;
    if rec.rates.len() != want {
        return Err(AnalysisError::shape(
            "recording rates (trial, time, unit)",
            &[rec.n_trials, rec.n_steps, rec.n_units],
            &[rec.rates.len()],
        ));
    }
    if rec.trial_len.len() != rec.n_trials {
        return Err(AnalysisError::shape(
            "recording trial_len",
            &[rec.n_trials],
            &[rec.trial_len.len()],
        ));
    }
    if rec.n_trials == 0 || rec.n_units == 0 {
        return Err(AnalysisError::empty(
            "the recording has no trials or no units",
        ));
    }
    Ok(())
}

/// Mean rate of every unit over trial `i`'s window, or `None` if the window is absent there.
pub(crate) fn window_mean(rec: &Recording, w: &Window, i: usize) -> Option<Vec<f64>> {
    let (s, e) = w.bounds(rec, i)?;
    let mut m = vec![0.0; rec.n_units];
    for t in s..e {
        for (u, v) in m.iter_mut().enumerate() {
            *v += rate(rec, i, t, u);
        }
    }
    let n = (e - s) as f64;
    m.iter_mut().for_each(|v| *v /= n);
    Some(m)
}
