//! Time-resolved RDMs of a recurrent network: at each step of the trial, the dissimilarity
//! between the population states of the task's conditions, so the geometry can be watched as
//! it forms (stimulus), holds (delay) and turns into a choice.
//!
//! ```text
//! conditions  the values of a trial label (default `ground_truth`)
//! x_c(t)      mean rates over the trials of condition c running at step t
//! RDM(t)      dissimilarity(x_1(t), …, x_C(t))   ([`crate::rdm::dissimilarity`])
//! ```
//!
//! Steps count from trial onset, or, with `align` naming a period, from that period's onset in
//! each trial (then negative before it). A step enters when every condition has at least
//! `min_trials` trials running then; other steps, and steps where the measure is undefined (a
//! constant pattern under the correlation distance, e.g. all rates equal at onset), are `NaN`
//! and counted. Every `stride`-th step is computed (0: at most 60 of them).

use crate::error::{AnalysisError, Result};
use crate::rdm::{dissimilarity, RdmMethod};
use crate::window::{require_label, Window};
use neurodyn_core::{Npz, Recording};
use serde::{Deserialize, Serialize};

/// What to compute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeRdmConfig {
    /// The trial label whose values are the conditions.
    pub label: String,
    /// Dissimilarity measure.
    pub method: RdmMethod,
    /// Count steps from the onset of this period (default: trial onset).
    pub align: Option<String>,
    /// Every `stride`-th step (0: at most 60 steps).
    pub stride: usize,
    /// Trials each condition needs at a step for the step to count.
    pub min_trials: usize,
}

impl Default for TimeRdmConfig {
    fn default() -> Self {
        TimeRdmConfig {
            label: "ground_truth".into(),
            method: RdmMethod::Euclidean,
            align: None,
            stride: 0,
            min_trials: 2,
        }
    }
}

/// The RDM at each computed step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimeRdmResult {
    /// The label.
    pub label: String,
    /// Dissimilarity measure.
    pub method: RdmMethod,
    /// The alignment period, if any.
    pub align: Option<String>,
    /// The label's values, ascending: the conditions.
    pub conditions: Vec<f64>,
    /// Steps computed (from trial onset or the `align` period's onset).
    pub steps: Vec<i64>,
    /// `(step, condition)`: trials averaged.
    #[serde(skip)]
    pub n_trials: Vec<usize>,
    /// `(step, condition, condition)`, `NaN` at steps that did not count.
    #[serde(skip)]
    pub rdms: Vec<f64>,
    /// Mean off-diagonal dissimilarity at each step (`None`: the step did not count).
    pub mean_dissimilarity: Vec<Option<f64>>,
    /// Steps without `min_trials` trials of every condition.
    pub n_short: usize,
    /// Steps where the measure was undefined.
    pub n_undefined: usize,
}

impl TimeRdmResult {
    /// `rdms (step, condition, condition)`, `steps`, `conditions`, `n_trials (step, condition)`,
    /// `mean_dissimilarity` (NaN where undefined).
    pub fn to_npz(&self) -> Result<Npz> {
        let (t, c) = (self.steps.len(), self.conditions.len());
        let mut z = Npz::new();
        z.f64("rdms", &[t, c, c], self.rdms.clone())?;
        z.i64("steps", &[t], self.steps.clone())?;
        z.f64("conditions", &[c], self.conditions.clone())?;
        z.i64(
            "n_trials",
            &[t, c],
            self.n_trials.iter().map(|&n| n as i64).collect(),
        )?;
        z.f64(
            "mean_dissimilarity",
            &[t],
            self.mean_dissimilarity
                .iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect(),
        )?;
        Ok(z)
    }
}

/// The RDMs of `config.label`'s conditions over the trial.
pub fn run(rec: &Recording, config: &TimeRdmConfig) -> Result<TimeRdmResult> {
    if rec.n_trials == 0 || rec.n_units == 0 {
        return Err(AnalysisError::empty(
            "time-resolved RDM: no trials or no units",
        ));
    }
    if config.min_trials == 0 {
        return Err(AnalysisError::config("min_trials", "must be ≥ 1"));
    }
    let col = require_label(rec, &config.label)?;
    let mut conditions: Vec<f64> = col
        .values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    conditions.sort_by(f64::total_cmp);
    conditions.dedup();
    if conditions.len() < 2 {
        return Err(AnalysisError::empty(format!(
            "time-resolved RDM: label '{}' takes fewer than two values",
            config.label
        )));
    }
    if conditions.len() > 200 {
        return Err(AnalysisError::config(
            "label",
            format!(
                "'{}' takes {} values; a condition RDM wants a discrete label (at most 200)",
                config.label,
                conditions.len()
            ),
        ));
    }
    if let Some(name) = &config.align {
        Window::Period(name.clone()).validate(rec)?;
    }
    // (trial, condition, onset, length) of every trial that takes part.
    let trials: Vec<(usize, usize, i64, i64)> = (0..rec.n_trials)
        .filter_map(|i| {
            let c = conditions.iter().position(|&v| v == col.values[i])?;
            let onset = match &config.align {
                None => 0,
                Some(name) => rec.period(name, i)?.0,
            };
            let len = rec.trial_len[i].min(rec.n_steps);
            (onset < len).then_some((i, c, onset as i64, len as i64))
        })
        .collect();
    let first = trials.iter().map(|t| -t.2).min().unwrap_or(0);
    let last = trials.iter().map(|t| t.3 - t.2).max().unwrap_or(0);
    let stride = match config.stride {
        0 => ((last - first) as usize).div_ceil(60).max(1),
        s => s,
    } as i64;
    let (k, p) = (conditions.len(), rec.n_units);
    let names: Vec<String> = conditions
        .iter()
        .map(|v| format!("{} = {v}", config.label))
        .collect();
    let mut res = TimeRdmResult {
        label: config.label.clone(),
        method: config.method,
        align: config.align.clone(),
        conditions: conditions.clone(),
        steps: Vec::new(),
        n_trials: Vec::new(),
        rdms: Vec::new(),
        mean_dissimilarity: Vec::new(),
        n_short: 0,
        n_undefined: 0,
    };
    let mut means = vec![0.0f64; k * p];
    let mut counts = vec![0usize; k];
    for t in (first.div_euclid(stride)..).map(|m| m * stride) {
        if t >= last {
            break;
        }
        means.iter_mut().for_each(|v| *v = 0.0);
        counts.iter_mut().for_each(|v| *v = 0);
        for &(i, c, onset, len) in &trials {
            let s = onset + t;
            if !(0..len).contains(&s) {
                continue;
            }
            let at = (i * rec.n_steps + s as usize) * p;
            for (m, &r) in means[c * p..(c + 1) * p]
                .iter_mut()
                .zip(&rec.rates[at..at + p])
            {
                *m += f64::from(r);
            }
            counts[c] += 1;
        }
        res.steps.push(t);
        res.n_trials.extend_from_slice(&counts);
        let rdm = if counts.iter().all(|&n| n >= config.min_trials) {
            for (c, &n) in counts.iter().enumerate() {
                means[c * p..(c + 1) * p]
                    .iter_mut()
                    .for_each(|v| *v /= n as f64);
            }
            let r = dissimilarity(&config.label, &means, p, &names, config.method).ok();
            if r.is_none() {
                res.n_undefined += 1;
            }
            r
        } else {
            res.n_short += 1;
            None
        };
        match rdm {
            Some(r) => {
                let off: f64 = (0..k)
                    .flat_map(|a| (0..k).filter(move |&b| b != a).map(move |b| (a, b)))
                    .map(|(a, b)| r[a * k + b])
                    .sum();
                res.mean_dissimilarity
                    .push(Some(off / (k * (k - 1)) as f64));
                res.rdms.extend(r);
            }
            None => {
                res.mean_dissimilarity.push(None);
                res.rdms.extend(std::iter::repeat_n(f64::NAN, k * k));
            }
        }
    }
    if res.mean_dissimilarity.iter().all(|v| v.is_none()) {
        return Err(AnalysisError::empty(format!(
            "time-resolved RDM: at no step did every value of '{}' have {} trials with a defined \
             {} dissimilarity",
            config.label,
            config.min_trials,
            config.method.name()
        )));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::LabelColumn;

    /// Two conditions whose rates part from step 5 on, one unit per condition.
    fn rec() -> Recording {
        let (n, t, p) = (6, 10, 2);
        let rates = (0..n * t * p)
            .map(|k| {
                let (i, s, u) = (k / (t * p), (k / p) % t, k % p);
                if s >= 5 && u == i % 2 {
                    1.0
                } else {
                    0.2
                }
            })
            .collect();
        let mut r = Recording {
            n_trials: n,
            n_steps: t,
            n_units: p,
            n_in: 0,
            n_out: 0,
            rates,
            inputs: Vec::new(),
            outputs: Vec::new(),
            targets: neurodyn_core::RecTargets::Class(vec![0; n * t]),
            mask: vec![1.0; n * t],
            trial_len: vec![t; n],
            periods: Vec::new(),
            labels: Vec::new(),
            gates: Vec::new(),
            states: Vec::new(),
        };
        r.labels = vec![LabelColumn {
            name: "ground_truth".into(),
            values: (0..n).map(|i| (i % 2) as f64).collect(),
            discrete: true,
        }];
        r
    }

    #[test]
    fn conditions_part_when_their_rates_do() {
        let r = run(&rec(), &TimeRdmConfig::default()).expect("run");
        assert_eq!(r.steps, (0..10).collect::<Vec<i64>>());
        assert_eq!(r.n_trials[..2], [3, 3]);
        for (s, d) in r.mean_dissimilarity.iter().enumerate() {
            let d = d.expect("defined");
            if s < 5 {
                assert_eq!(d, 0.0);
            } else {
                // Squared Euclidean / P: (0.8² + 0.8²) / 2.
                assert!((d - 0.64).abs() < 1e-6, "{d}");
            }
        }
        // Correlation: both patterns are constant before step 5, so those steps are undefined.
        let c = TimeRdmConfig {
            method: RdmMethod::Correlation,
            ..TimeRdmConfig::default()
        };
        let r = run(&rec(), &c).expect("correlation");
        assert_eq!(r.n_undefined, 5);
        assert!(r.rdms[..4].iter().all(|v| v.is_nan()));
        let bad = TimeRdmConfig {
            label: "choice".into(),
            ..TimeRdmConfig::default()
        };
        assert!(run(&rec(), &bad)
            .unwrap_err()
            .to_string()
            .contains("ground_truth"));
    }
}
