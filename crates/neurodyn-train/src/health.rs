//! The network-health check after training: is the trained network one whose dynamics are worth
//! analysing? Written to `eval.json` (`health`), printed by `neurodyn train` when something is
//! off, and shown as a warning box at the top of the report.
//!
//! Measured on the evaluation recording (every fresh trial, noise off, valid steps only):
//!
//! | quantity | warning when |
//! |---|---|
//! | `max_rate`, `mean_rate` (max and mean of \|r\|) | max \|r\| > [`MAX_RATE`] |
//! | `silent_fraction`: units with \|r\| < 1e-6 on every step | > [`MAX_SILENT`] |
//! | `saturated_fraction`: units at \|r\| ≥ 0.99 on ≥ 90 % of steps (rates bounded by 1 only) | > [`MAX_SATURATED`] |
//! | `max_abs_output` (largest \|logit\| or output) | > [`MAX_OUTPUT`] |
//! | `step_time_drift`: mean step time over the last tenth of training ÷ the first tenth | > [`MAX_DRIFT`] |
//!
//! The thresholds flag networks no analysis should trust: GoNogo without its activity penalty
//! reached 100 % accuracy with rates up to 66,715 and logits of ±170,000, its steps 6× slower, and
//! its report then showed d′ = 7e15 without a word.

use neurodyn_core::Recording;
use serde::Serialize;

/// Rates above this are called exploding. Every default recipe stays below 153 (seed 0); without
/// their activity penalty, 18 of 50 went above 200 (up to 8.9e8).
pub const MAX_RATE: f64 = 200.0;
/// Outputs (logits) above this in magnitude are called exploding (the recipes: within ±320).
pub const MAX_OUTPUT: f64 = 500.0;
/// More than this fraction of silent units is flagged.
pub const MAX_SILENT: f64 = 0.5;
/// More than this fraction of saturated units is flagged.
pub const MAX_SATURATED: f64 = 0.5;
/// Training steps slowing by more than this factor are flagged. A busy host alone slowed steps
/// up to 2.6× (two recipes trained beside a compiler on 2 cores); GoNogo's exploding rates, 6×.
pub const MAX_DRIFT: f64 = 4.0;

/// The health of a trained network.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Health {
    /// Largest |rate| on the evaluation trials.
    pub max_rate: f64,
    /// Mean |rate| over units, valid steps and trials.
    pub mean_rate: f64,
    /// Fraction of units with |rate| < 1e-6 on every valid step.
    pub silent_fraction: f64,
    /// Fraction of units at |rate| ≥ 0.99 on ≥ 90 % of valid steps (only when every rate is
    /// within ±1, i.e. bounded units).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saturated_fraction: Option<f64>,
    /// Largest |output| (logit for class targets).
    pub max_abs_output: f64,
    /// Mean step time over the last tenth of the training steps run ÷ over the first tenth
    /// (when at least 20 steps ran in this process).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_time_drift: Option<f64>,
    /// What is off, in words (empty: healthy).
    pub warnings: Vec<String>,
}

/// Check a recording; `step_walls` are the wall-clock times (s) at the end of each training step
/// run in this process, in order.
pub fn check(rec: &Recording, step_walls: &[f64]) -> Health {
    let (t_max, u, o) = (rec.n_steps, rec.n_units, rec.n_out);
    let mut max_rate = 0.0f64;
    let mut sum = 0.0f64;
    let mut count = 0usize;
    let mut unit_max = vec![0.0f64; u];
    let mut unit_high = vec![0usize; u];
    let mut max_abs_output = 0.0f64;
    for i in 0..rec.n_trials {
        for t in 0..rec.trial_len[i].min(t_max) {
            let row = &rec.rates[(i * t_max + t) * u..(i * t_max + t + 1) * u];
            for (k, &r) in row.iter().enumerate() {
                let a = f64::from(r.abs());
                max_rate = max_rate.max(a);
                sum += a;
                unit_max[k] = unit_max[k].max(a);
                unit_high[k] += usize::from(a >= 0.99);
            }
            count += 1;
            let out = &rec.outputs[(i * t_max + t) * o..(i * t_max + t + 1) * o];
            for &y in out {
                max_abs_output = max_abs_output.max(f64::from(y.abs()));
            }
        }
    }
    // A NaN rate makes every comparison false: count it as exploding.
    if rec.rates.iter().any(|r| !r.is_finite()) {
        max_rate = f64::INFINITY;
    }
    let units = u.max(1) as f64;
    let mean_rate = sum / (count.max(1) as f64 * units);
    let silent_fraction = unit_max.iter().filter(|&&m| m < 1e-6).count() as f64 / units;
    let saturated_fraction = (max_rate <= 1.0 + 1e-6).then(|| {
        unit_high
            .iter()
            .filter(|&&n| n as f64 >= 0.9 * count.max(1) as f64)
            .count() as f64
            / units
    });
    let step_time_drift = drift(step_walls);
    let mut warnings = Vec::new();
    if max_rate > MAX_RATE {
        warnings.push(format!(
            "rates up to {max_rate:.3e}: the network's activity is exploding (an activity \
             penalty, a smaller learning rate or fewer steps help)"
        ));
    }
    if max_abs_output > MAX_OUTPUT {
        warnings.push(format!(
            "outputs up to ±{max_abs_output:.3e}: the readout is exploding"
        ));
    }
    if silent_fraction > MAX_SILENT {
        warnings.push(format!(
            "{:.0} % of the units are silent on every trial",
            100.0 * silent_fraction
        ));
    }
    if let Some(s) = saturated_fraction.filter(|&s| s > MAX_SATURATED) {
        warnings.push(format!(
            "{:.0} % of the units are saturated (|r| ≥ 0.99 on ≥ 90 % of steps)",
            100.0 * s
        ));
    }
    if let Some(d) = step_time_drift.filter(|&d| d > MAX_DRIFT) {
        warnings.push(format!(
            "training steps slowed {d:.1}× from the first tenth of training to the last \
             (often growing activity or subnormal numbers)"
        ));
    }
    Health {
        max_rate,
        mean_rate,
        silent_fraction,
        saturated_fraction,
        max_abs_output,
        step_time_drift,
        warnings,
    }
}

/// Mean step time over the last tenth of `walls` ÷ over the first tenth.
fn drift(walls: &[f64]) -> Option<f64> {
    if walls.len() < 20 {
        return None;
    }
    let tenth = walls.len() / 10;
    // Step k's time is walls[k] − walls[k−1]; the first step has no predecessor here.
    let first = (walls[tenth] - walls[0]) / tenth as f64;
    let n = walls.len();
    let last = (walls[n - 1] - walls[n - 1 - tenth]) / tenth as f64;
    (first > 0.0).then(|| last / first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::RecTargets;

    fn recording(rates: Vec<f32>, outputs: Vec<f32>, units: usize) -> Recording {
        let steps = rates.len() / units;
        Recording {
            n_trials: 1,
            n_steps: steps,
            n_units: units,
            n_in: 0,
            n_out: 1,
            rates,
            inputs: Vec::new(),
            outputs,
            targets: RecTargets::Class(vec![0; steps]),
            mask: vec![1.0; steps],
            trial_len: vec![steps],
            periods: Vec::new(),
            labels: Vec::new(),
            gates: Vec::new(),
            states: Vec::new(),
        }
    }

    #[test]
    fn a_healthy_network_has_no_warnings() {
        // 2 units over 3 steps: one active, one silent.
        let h = check(
            &recording(vec![0.5, 0.0, 1.5, 0.0, 0.2, 0.0], vec![1.0, -2.0, 3.0], 2),
            &[],
        );
        assert_eq!(h.max_rate, 1.5);
        assert!((h.mean_rate - 2.2 / 6.0).abs() < 1e-6);
        assert_eq!(h.silent_fraction, 0.5);
        assert_eq!(
            h.saturated_fraction, None,
            "rates above 1: not bounded units"
        );
        assert_eq!(h.max_abs_output, 3.0);
        assert!(h.warnings.is_empty(), "{:?}", h.warnings);
    }

    #[test]
    fn exploding_silent_saturated_and_slowing_networks_are_flagged() {
        let h = check(
            &recording(vec![66_715.0, 0.0], vec![-170_000.0, 1.0], 1),
            &[],
        );
        assert_eq!(h.warnings.len(), 2, "{:?}", h.warnings);
        assert!(
            h.warnings[0].contains("rates up to 6.672e4"),
            "{:?}",
            h.warnings
        );
        let h = check(&recording(vec![0.0; 8], vec![0.0; 4], 2), &[]);
        assert_eq!(h.silent_fraction, 1.0);
        assert!(h.warnings[0].contains("100 % of the units are silent"));
        let h = check(
            &recording(vec![1.0, -0.995, 1.0, -1.0], vec![0.0; 2], 2),
            &[],
        );
        assert_eq!(h.saturated_fraction, Some(1.0));
        assert_eq!(h.warnings.len(), 1);
        // Steps of 1 ms for the first half, 5 ms for the second.
        let mut walls = Vec::new();
        let mut t = 0.0;
        for k in 0..100 {
            t += if k < 50 { 0.001 } else { 0.005 };
            walls.push(t);
        }
        let h = check(&recording(vec![0.5], vec![0.0], 1), &walls);
        // 3× slower: what a busy host alone can do, not flagged.
        let busy: Vec<f64> = (0..100)
            .map(|k| {
                if k < 50 {
                    0.001 * k as f64
                } else {
                    0.05 + 0.003 * (k - 50) as f64
                }
            })
            .collect();
        let h3 = check(&recording(vec![0.5], vec![0.0], 1), &busy);
        assert!(
            h3.warnings.is_empty() && h3.step_time_drift.is_some_and(|d| d > 2.5),
            "{h3:?}"
        );
        let d = h.step_time_drift.expect("drift");
        assert!((d - 5.0).abs() < 1e-9, "{d}");
        assert!(h.warnings[0].contains("slowed 5.0×"), "{:?}", h.warnings);
    }
}
