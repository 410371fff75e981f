//! Initial states for the fixed-point search: states visited on recorded trajectories plus
//! Gaussian noise (Sussillo & Barak 2013; FixedPointFinder's `sample_states`).
//!
//! Each start picks a trial uniformly, then a real (unpadded) step of it uniformly, takes the
//! recorded state there and adds `N(0, noise_std²)` to every coordinate. The recorded state is the
//! rates followed by the recording's state blocks (`Recording::states`: LSTM `[h | c]`,
//! stp-ctrnn `[r | d | φ]`), which is the network's state for every cell but the `state` CTRNN
//! form (whose starts are then rates, an approximation). With a period name, only steps inside
//! that period (on the trials that have it) are candidates.

use crate::error::{AnalysisError, Result};
use crate::window::check_recording;
use neurodyn_core::{Recording, Rng};

/// `n_starts` states `(n_starts, n_units · (1 + blocks))` row-major sampled from `rec`'s
/// trajectories.
pub fn sample_starts(
    rec: &Recording,
    n_starts: usize,
    noise_std: f64,
    period: Option<&str>,
    rng: &mut Rng,
) -> Result<Vec<f64>> {
    check_recording(rec)?;
    if !noise_std.is_finite() || noise_std < 0.0 {
        return Err(AnalysisError::config(
            "noise_std",
            format!("must be finite and ≥ 0, got {noise_std}"),
        ));
    }
    // Candidate step ranges per trial: the whole real trial, or the named period within it.
    let mut ranges: Vec<(usize, usize, usize)> = Vec::new();
    for i in 0..rec.n_trials {
        let len = rec.trial_len[i].min(rec.n_steps);
        let (a, b) = match period {
            None => (0, len),
            Some(name) => match rec.period(name, i) {
                Some((a, b)) => (a.min(len), b.min(len)),
                None if rec.periods.iter().any(|(n, _)| n == name) => (0, 0),
                None => {
                    let known: Vec<&str> = rec.periods.iter().map(|(n, _)| n.as_str()).collect();
                    return Err(AnalysisError::config(
                        "start_period",
                        format!(
                            "no period `{name}` in the recording (it has: {})",
                            known.join(", ")
                        ),
                    ));
                }
            },
        };
        if b > a {
            ranges.push((i, a, b));
        }
    }
    if ranges.is_empty() {
        return Err(AnalysisError::empty(match period {
            None => "every trial of the recording has length 0".to_string(),
            Some(name) => format!("no recorded trial has a step in period `{name}`"),
        }));
    }
    if let Some((name, v)) = rec.states.iter().find(|(_, v)| v.len() != rec.rates.len()) {
        return Err(AnalysisError::shape(
            format!("recorded state block `{name}` (trial, time, unit)"),
            &[rec.rates.len()],
            &[v.len()],
        ));
    }
    let u = rec.n_units;
    let blocks: Vec<&[f32]> = std::iter::once(&rec.rates[..])
        .chain(rec.states.iter().map(|(_, v)| &v[..]))
        .collect();
    let mut out = Vec::with_capacity(n_starts * u * blocks.len());
    for _ in 0..n_starts {
        let &(i, a, b) = rng.choose(&ranges);
        let t = a + rng.below((b - a) as u64) as usize;
        let o = (i * rec.n_steps + t) * u;
        for block in &blocks {
            for &r in &block[o..o + u] {
                out.push(r as f64 + noise_std * rng.normal());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::RecTargets;

    /// Two trials of 5 steps, 1 unit whose rate is the step index; period `delay` = steps 2..4.
    fn recording() -> Recording {
        Recording {
            n_trials: 2,
            n_steps: 5,
            n_units: 1,
            n_in: 0,
            n_out: 0,
            rates: [0.0, 1.0, 2.0, 3.0, 4.0].repeat(2),
            inputs: Vec::new(),
            outputs: Vec::new(),
            targets: RecTargets::Class(vec![0; 10]),
            mask: vec![1.0; 10],
            trial_len: vec![5, 5],
            periods: vec![("delay".into(), vec![2, 4, 2, 4])],
            labels: Vec::new(),
            gates: Vec::new(),
            states: Vec::new(),
        }
    }

    #[test]
    fn starts_come_from_the_named_period_only() {
        let rec = recording();
        let all = sample_starts(&rec, 200, 0.0, None, &mut Rng::new(1)).expect("starts");
        assert!(all.contains(&0.0) && all.contains(&4.0));
        let delay = sample_starts(&rec, 200, 0.0, Some("delay"), &mut Rng::new(1)).expect("starts");
        assert!(delay.iter().all(|&x| x == 2.0 || x == 3.0), "{delay:?}");
        assert!(delay.contains(&2.0) && delay.contains(&3.0));
        let err = sample_starts(&rec, 1, 0.0, Some("dleay"), &mut Rng::new(1)).unwrap_err();
        assert!(
            err.to_string().contains("dleay") && err.to_string().contains("delay"),
            "{err}"
        );
    }
}
