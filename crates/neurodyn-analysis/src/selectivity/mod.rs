//! Per-unit selectivity between two sets of trials, the two conventions in use.
//!
//! Trials are split by a label (`group_a` / `group_b` hold the label values of each set); each
//! trial contributes one number per unit, its mean rate over the [`Window`]. With `μ`, `σ²` the
//! mean and variance of those numbers in each set (variance denominator `n − ddof`, default
//! `ddof = 0` as `np.var`):
//!
//! - `d_prime` — nn-brain tutorial (Yang lab):  `d′ = (μ_a − μ_b) / √((σ_a² + σ_b²)/2)`
//! - `selectivity` — coursework seed 001, eq. 19: `s = 2(μ_a − μ_b) / √(σ_a² + σ_b²)` (= √2·d′)
//!
//! Positive values mean the unit prefers set `a`. Units whose maximum rate over every real step of
//! every trial is below `active_threshold` are *inactive*: their values are NaN (`null` in JSON).
//! With both variances zero (a spread below 1e-9 of the means: rounding noise between identical
//! trials) the value is 0 for equal means and ±∞ otherwise.
//! The Monte-Carlo max-|selectivity| histogram over repeated recordings is in [`monte_carlo`].

pub mod monte_carlo;

pub use monte_carlo::{
    max_selectivity, max_selectivity_repeats, Comparison, MaxSelectivityConfig,
    MaxSelectivityResult, Measure,
};

use crate::error::{AnalysisError, Result};
use crate::window::{check_recording, rate, require_label, window_mean, Window};
use neurodyn_core::{Npz, Recording};
use serde::{Deserialize, Serialize};

/// One two-set comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SelectivityConfig {
    /// Label that defines the sets.
    pub label: String,
    /// Label values of set `a`.
    pub group_a: Vec<f64>,
    /// Label values of set `b`.
    pub group_b: Vec<f64>,
    /// Window averaged per trial.
    pub window: Window,
    /// Units whose maximum rate is below this are inactive.
    pub active_threshold: f64,
    /// Variance denominator `n − ddof`.
    pub ddof: usize,
}

impl Default for SelectivityConfig {
    fn default() -> Self {
        SelectivityConfig {
            label: "ground_truth".into(),
            group_a: vec![1.0],
            group_b: vec![0.0],
            window: Window::Whole,
            active_threshold: 1e-3,
            ddof: 0,
        }
    }
}

/// Per-unit statistics and selectivities.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SelectivityResult {
    /// Units.
    pub n_units: usize,
    /// Trials in set `a` / `b` (having the window).
    pub n_a: usize,
    /// See `n_a`.
    pub n_b: usize,
    /// Mean of the window-averaged rate in set `a`, per unit.
    pub mean_a: Vec<f64>,
    /// Same for set `b`.
    pub mean_b: Vec<f64>,
    /// Variance in set `a`, per unit.
    pub var_a: Vec<f64>,
    /// Variance in set `b`, per unit.
    pub var_b: Vec<f64>,
    /// Maximum rate of each unit over all real steps.
    pub max_rate: Vec<f64>,
    /// `max_rate ≥ active_threshold`.
    pub active: Vec<bool>,
    /// `d′ = (μa − μb)/√((σa² + σb²)/2)`; NaN for inactive units.
    pub d_prime: Vec<f64>,
    /// Coursework `s = √2·d′`; NaN for inactive units.
    pub selectivity: Vec<f64>,
}

impl SelectivityResult {
    /// Arrays for `.npz`: every per-unit vector above (`active` as 0/1).
    pub fn to_npz(&self) -> Result<Npz> {
        let u = [self.n_units];
        let mut z = Npz::new();
        z.f64("mean_a", &u, self.mean_a.clone())?;
        z.f64("mean_b", &u, self.mean_b.clone())?;
        z.f64("var_a", &u, self.var_a.clone())?;
        z.f64("var_b", &u, self.var_b.clone())?;
        z.f64("max_rate", &u, self.max_rate.clone())?;
        z.i64(
            "active",
            &u,
            self.active.iter().map(|&a| a as i64).collect(),
        )?;
        z.f64("d_prime", &u, self.d_prime.clone())?;
        z.f64("selectivity", &u, self.selectivity.clone())?;
        Ok(z)
    }
}

/// Maximum rate of each unit over every real step of every trial.
pub(crate) fn max_rates(rec: &Recording) -> Vec<f64> {
    let mut m = vec![f64::NEG_INFINITY; rec.n_units];
    for i in 0..rec.n_trials {
        for t in 0..rec.trial_len[i].min(rec.n_steps) {
            for (u, v) in m.iter_mut().enumerate() {
                *v = v.max(rate(rec, i, t, u));
            }
        }
    }
    m
}

fn mean_var(rows: &[Vec<f64>], n_units: usize, ddof: usize) -> (Vec<f64>, Vec<f64>) {
    let n = rows.len() as f64;
    let mut mean = vec![0.0; n_units];
    for r in rows {
        mean.iter_mut().zip(r).for_each(|(m, v)| *m += v / n);
    }
    let mut var = vec![0.0; n_units];
    for r in rows {
        var.iter_mut()
            .zip(r)
            .zip(&mean)
            .for_each(|((s, v), m)| *s += (v - m) * (v - m));
    }
    let denom = (rows.len().saturating_sub(ddof)).max(1) as f64;
    var.iter_mut().for_each(|s| *s /= denom);
    (mean, var)
}

/// `num / √den` with the zero-variance cases made explicit. A spread below 1e-9 of the rates'
/// `scale` is rounding noise (trials of a condition that are identical, e.g. without input noise,
/// differ in the last bits only) and counts as zero: without this, such units got d′ ≈ 1e15.
fn ratio(num: f64, den: f64, scale: f64) -> f64 {
    if den.sqrt() > 1e-9 * scale {
        num / den.sqrt()
    } else if num == 0.0 {
        0.0
    } else {
        num.signum() * f64::INFINITY
    }
}

/// Selectivity of every unit of `rec` for the comparison in `config`.
pub fn run(rec: &Recording, config: &SelectivityConfig) -> Result<SelectivityResult> {
    check_recording(rec)?;
    config.window.validate(rec)?;
    let col = require_label(rec, &config.label)?;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..rec.n_trials {
        let v = col.values[i];
        let in_a = config.group_a.contains(&v);
        let in_b = config.group_b.contains(&v);
        if in_a && in_b {
            return Err(AnalysisError::config(
                "group_a/group_b",
                format!("label value {v} is in both sets"),
            ));
        }
        if !(in_a || in_b) {
            continue;
        }
        if let Some(m) = window_mean(rec, &config.window, i) {
            if in_a {
                a.push(m)
            } else {
                b.push(m)
            }
        }
    }
    if a.is_empty() || b.is_empty() {
        return Err(AnalysisError::empty(format!(
            "selectivity on '{}': set a has {} trials and set b {} (both need ≥ 1 with the window)",
            config.label,
            a.len(),
            b.len()
        )));
    }
    Ok(compare(rec, &a, &b, config.ddof, config.active_threshold))
}

/// Selectivity of every unit between two sets of *time steps*, the sets given by the target
/// class at each step (seed 001's fig. 9: "active" steps, where the target is a response, against
/// "inactive" ones, where it is fixation; or "accept" against "reject"). Every masked real step
/// of every trial whose target is in `classes_a` (`classes_b`) is one sample of set a (b); the
/// statistics are those of [`run`] over these samples, so `selectivity` is the seed's
/// `s = 2(μa − μb)/√(σa² + σb²)`. Needs class targets.
pub fn by_target_steps(
    rec: &Recording,
    classes_a: &[i64],
    classes_b: &[i64],
    active_threshold: f64,
) -> Result<SelectivityResult> {
    check_recording(rec)?;
    let neurodyn_core::RecTargets::Class(targets) = &rec.targets else {
        return Err(AnalysisError::config(
            "targets",
            "step selectivity by target needs class targets; this recording's are continuous",
        ));
    };
    if let Some(c) = classes_a.iter().find(|c| classes_b.contains(c)) {
        return Err(AnalysisError::config(
            "classes",
            format!("class {c} is in both sets"),
        ));
    }
    let u = rec.n_units;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..rec.n_trials {
        for t in 0..rec.trial_len[i].min(rec.n_steps) {
            let k = i * rec.n_steps + t;
            if rec.mask.get(k).is_some_and(|&m| m <= 0.0) {
                continue;
            }
            let row = || {
                (0..u)
                    .map(|unit| rate(rec, i, t, unit))
                    .collect::<Vec<f64>>()
            };
            if classes_a.contains(&targets[k]) {
                a.push(row());
            } else if classes_b.contains(&targets[k]) {
                b.push(row());
            }
        }
    }
    if a.is_empty() || b.is_empty() {
        return Err(AnalysisError::empty(format!(
            "step selectivity: classes {classes_a:?} have {} masked steps and {classes_b:?} {} \
             (both need ≥ 1)",
            a.len(),
            b.len()
        )));
    }
    Ok(compare(rec, &a, &b, 0, active_threshold))
}

/// The statistics of two sets of samples (one rate vector each) and the selectivities.
fn compare(
    rec: &Recording,
    a: &[Vec<f64>],
    b: &[Vec<f64>],
    ddof: usize,
    active_threshold: f64,
) -> SelectivityResult {
    let u = rec.n_units;
    let (mean_a, var_a) = mean_var(a, u, ddof);
    let (mean_b, var_b) = mean_var(b, u, ddof);
    let max_rate = max_rates(rec);
    let active: Vec<bool> = max_rate.iter().map(|&m| m >= active_threshold).collect();
    let mut d_prime = vec![f64::NAN; u];
    let mut selectivity = vec![f64::NAN; u];
    for k in (0..u).filter(|&k| active[k]) {
        let diff = mean_a[k] - mean_b[k];
        let scale = mean_a[k].abs().max(mean_b[k].abs());
        d_prime[k] = ratio(diff, 0.5 * (var_a[k] + var_b[k]), scale);
        selectivity[k] = ratio(2.0 * diff, var_a[k] + var_b[k], scale);
    }
    SelectivityResult {
        n_units: u,
        n_a: a.len(),
        n_b: b.len(),
        mean_a,
        mean_b,
        var_a,
        var_b,
        max_rate,
        active,
        d_prime,
        selectivity,
    }
}

#[cfg(test)]
mod ratio_tests {
    use super::ratio;

    /// Identical trials whose means differ in the last bits have no spread: ±∞, not 1e15.
    #[test]
    fn rounding_noise_is_no_spread() {
        let (a, b) = (0.3_f64, 0.1_f64);
        let var = 1e-33; // what identical trials leave after summation
        assert_eq!(ratio(a - b, var, 0.3), f64::INFINITY);
        assert_eq!(ratio(0.0, var, 0.3), 0.0);
        // A real spread is kept.
        assert!((ratio(0.2, 0.01, 0.3) - 2.0).abs() < 1e-12);
    }
}
