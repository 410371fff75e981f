//! PCA of population activity: fit on the time steps of a recording, project every trial.
//!
//! The fit ([`Pca::fit`], sklearn conventions, see `fit.rs`) sees each selected time step of each
//! trial as one sample of the `n_units`-dimensional population state; the result projects every
//! trial's full (padded) trajectory onto the first `k` components, `(trial, time, k)`, with zeros
//! on padding, so state-space trajectories can be plotted per condition.

mod fit;

pub(crate) use fit::fix_sign;
pub use fit::Pca;

use crate::error::{AnalysisError, Result};
use crate::window::{check_recording, Window};
use neurodyn_core::{Npz, Recording};
use serde::{Deserialize, Serialize};

/// Which steps the PCA fit sees.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PcaConfig {
    /// Components kept; `None` = `min(n_samples, n_units)`.
    pub n_components: Option<usize>,
    /// Window of each trial used for the fit (real steps only).
    pub window: Window,
    /// If true, only steps with `mask > 0` are used for the fit.
    pub masked_only: bool,
}

impl Default for PcaConfig {
    fn default() -> Self {
        PcaConfig {
            n_components: Some(3),
            window: Window::Whole,
            masked_only: false,
        }
    }
}

/// The fit and the projected trajectories.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PcaResult {
    /// The fitted model.
    pub pca: Pca,
    /// Trials.
    pub n_trials: usize,
    /// Padded steps per trial.
    pub n_steps: usize,
    /// Real length of each trial.
    pub trial_len: Vec<usize>,
    /// `(trial, time, n_components)`; zero on padding.
    pub projected: Vec<f64>,
}

impl PcaResult {
    /// Arrays for `.npz`: `components`, `mean`, `explained_variance`, `explained_variance_ratio`,
    /// `singular_values`, `projected`, `trial_len`.
    pub fn to_npz(&self) -> Result<Npz> {
        let p = &self.pca;
        let mut z = Npz::new();
        z.f64(
            "components",
            &[p.n_components, p.n_features],
            p.components.clone(),
        )?;
        z.f64("mean", &[p.n_features], p.mean.clone())?;
        z.f64(
            "explained_variance",
            &[p.n_components],
            p.explained_variance.clone(),
        )?;
        z.f64(
            "explained_variance_ratio",
            &[p.n_components],
            p.explained_variance_ratio.clone(),
        )?;
        z.f64(
            "singular_values",
            &[p.n_components],
            p.singular_values.clone(),
        )?;
        z.f64(
            "projected",
            &[self.n_trials, self.n_steps, p.n_components],
            self.projected.clone(),
        )?;
        z.i64(
            "trial_len",
            &[self.n_trials],
            self.trial_len.iter().map(|&v| v as i64).collect(),
        )?;
        Ok(z)
    }
}

/// The selected steps of `rec` as `(n_samples, n_units)` rows.
pub fn gather_rows(rec: &Recording, window: &Window, masked_only: bool) -> Result<Vec<f64>> {
    check_recording(rec)?;
    window.validate(rec)?;
    let u = rec.n_units;
    let mut rows = Vec::new();
    for i in 0..rec.n_trials {
        let Some((s, e)) = window.bounds(rec, i) else {
            continue;
        };
        for t in s..e {
            if masked_only && rec.mask.get(i * rec.n_steps + t).is_none_or(|&m| m <= 0.0) {
                continue;
            }
            let o = (i * rec.n_steps + t) * u;
            rows.extend(rec.rates[o..o + u].iter().map(|&v| v as f64));
        }
    }
    Ok(rows)
}

/// Fit PCA on the selected steps of `rec` and project every trial.
pub fn run(rec: &Recording, config: &PcaConfig) -> Result<PcaResult> {
    let rows = gather_rows(rec, &config.window, config.masked_only)?;
    let u = rec.n_units;
    if rows.is_empty() {
        return Err(AnalysisError::empty(
            "pca: the window selects no time steps",
        ));
    }
    let pca = Pca::fit(&rows, rows.len() / u, u, config.n_components)?;
    let k = pca.n_components;
    let mut projected = vec![0.0; rec.n_trials * rec.n_steps * k];
    let mut buf = vec![0.0; u];
    for i in 0..rec.n_trials {
        for t in 0..rec.trial_len[i].min(rec.n_steps) {
            let o = (i * rec.n_steps + t) * u;
            for (b, r) in buf.iter_mut().zip(&rec.rates[o..o + u]) {
                *b = *r as f64;
            }
            let dst = &mut projected[(i * rec.n_steps + t) * k..(i * rec.n_steps + t + 1) * k];
            for (d, s) in dst.iter_mut().zip(pca.project_one(&buf)) {
                *d = s;
            }
        }
    }
    Ok(PcaResult {
        pca,
        n_trials: rec.n_trials,
        n_steps: rec.n_steps,
        trial_len: rec.trial_len.clone(),
        projected,
    })
}
