//! Running a trained network on trials (rates, outputs and, for gated cells, gates), and
//! scoring it.
//!
//! Trial accuracy (categorical tasks): a trial's response steps are those whose target is not 0
//! (fixate); the trial is correct when the argmax output at its **last** response step equals the
//! target there. A trial with no response step (e.g. a no-go trial, where the right answer is to
//! keep fixating) is scored at its last step with mask > 0 against target 0.
//!
//! Tasks with several response windows per trial (DualDelayMatchSample's two tests) are also
//! scored per window: a window is a maximal run of steps whose target is not 0, and it is correct
//! when the argmax at its last step equals the target there. `per_response[k]` is the accuracy of
//! the k-th window over the trials that have one; the trial accuracy above still follows the
//! last-response-step rule, so it equals the last window's.
//!
//! The strict rule (`strict_accuracy`, categorical tasks) also asks the network to hold fixation
//! as an animal must: a trial is correct under it when it is correct by the rule above, every
//! response window is right at its last step, and at every masked step whose target is fixate
//! (0) the argmax is fixate, except in the [`GRACE_STEPS`] steps right after a response window (a
//! leaky unit cannot drop its response at once). A premature response, a false alarm on a
//! non-matching test or a "go" held through a no-go period fails it, as breaking fixation aborts
//! a trial in the lab; the lenient rule sees none of these. A network that answers "match" on
//! every test of DelayMatchSampleDistractor1D, or "go" from the start of a timing task's
//! production period, scores 1.0 by the lenient rule and 0 by the strict one.
//!
//! Continuous tasks (e.g. flip-flop): a trial is correct when at ≥ 95 % of its masked steps every
//! output is within 0.5 of its target (for ±1 targets: the sign is right with margin). The slack
//! lets the network take a few steps to follow a target that jumps, as a leaky unit must.

use crate::error::{Result, TrainError};
use neurodyn_core::{Batch, RecTargets, Recording, Trial};
use neurodyn_nn::{Network, Workspace};
use serde::Serialize;
use std::collections::BTreeMap;

/// Run the network (noise off) on `trials` in chunks of `chunk`, returning the recording.
pub fn record(net: &mut Network<f32>, trials: &[Trial], chunk: usize) -> Result<Recording> {
    record_with_noise(net, trials, chunk, None)
}

/// [`record`], with the network's training noise (`sigma_rec`, `sigma_in`) drawn from `noise`
/// when given. Training mode also switches batch normalisation to batch statistics, so callers
/// keep it to cells without it (not the light-GRU kinds).
pub fn record_with_noise(
    net: &mut Network<f32>,
    trials: &[Trial],
    chunk: usize,
    mut noise: Option<&mut neurodyn_core::Rng>,
) -> Result<Recording> {
    let first = trials.first().ok_or_else(|| TrainError::Shape {
        what: "trials".into(),
        expected: "at least one".into(),
        got: "none".into(),
    })?;
    if first.n_in != net.cell.n_in() || first.n_out != net.n_out {
        return Err(TrainError::Shape {
            what: "(n_in, n_out)".into(),
            expected: format!("({}, {})", net.cell.n_in(), net.n_out),
            got: format!("({}, {})", first.n_in, first.n_out),
        });
    }
    let h = net.n_units();
    let o = net.n_out;
    let t_max = trials.iter().map(Trial::n_steps).max().unwrap_or(0);
    let n = trials.len();
    let mut rates = vec![0.0f32; n * t_max * h];
    let mut outputs = vec![0.0f32; n * t_max * o];
    let gate_names = net.cell.gates();
    let mut gates = vec![vec![0.0f32; n * t_max * h]; gate_names.len()];
    let block_names = net.cell.state_blocks();
    let s_len = net.cell.state_len();
    let mut blocks = vec![vec![0.0f32; n * t_max * h]; block_names.len()];
    let mut ws = Workspace::default();
    for (ci, part) in trials.chunks(chunk.max(1)).enumerate() {
        let b = Batch::from_trials(part)?;
        let noisy = noise.is_some();
        net.forward(
            &mut ws,
            &b.inputs,
            b.n_steps,
            b.batch_size,
            None,
            noise.as_deref_mut(),
            noisy,
        );
        let bs = b.batch_size;
        for j in 0..bs {
            let i = ci * chunk.max(1) + j;
            for t in 0..b.n_steps {
                let src = ((t + 1) * bs + j) * h;
                let dst = (i * t_max + t) * h;
                rates[dst..dst + h].copy_from_slice(&ws.rates[src..src + h]);
                let src = (t * bs + j) * o;
                let dst = (i * t_max + t) * o;
                outputs[dst..dst + o].copy_from_slice(&ws.y[src..src + o]);
                let dst = (i * t_max + t) * h;
                for (k, g) in gates.iter_mut().enumerate() {
                    g[dst..dst + h].copy_from_slice(net.gate(&ws, k, t, j, bs));
                }
                // State block k + 1 of sample j after step t (state block t + 1).
                let row = ((t + 1) * bs + j) * s_len;
                for (k, g) in blocks.iter_mut().enumerate() {
                    let src = row + (k + 1) * h;
                    g[dst..dst + h].copy_from_slice(&ws.states[src..src + h]);
                }
            }
        }
    }
    let mut rec = Recording::from_trials(trials, h, rates, outputs)?;
    rec.gates = gate_names
        .iter()
        .map(|(name, _)| name.to_string())
        .zip(gates)
        .collect();
    rec.states = block_names
        .iter()
        .map(|name| name.to_string())
        .zip(blocks)
        .collect();
    Ok(rec)
}

/// Accuracy overall and per condition.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Score {
    /// Fraction of trials correct.
    pub accuracy: f64,
    /// Fraction of trials correct by the strict rule, which also asks for fixation held
    /// (categorical tasks; see the module docs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict_accuracy: Option<f64>,
    /// Trials scored.
    pub n_trials: usize,
    /// Per label: value → (accuracy, trials).
    pub per_condition: BTreeMap<String, Vec<ConditionScore>>,
    /// Per response window (categorical tasks whose trials have more than one): the k-th window's
    /// accuracy. Empty when every trial has at most one window.
    pub per_response: Vec<ConditionScore>,
    /// Per trial: correct or not.
    #[serde(skip)]
    pub correct: Vec<bool>,
    /// Per trial: the network's choice (argmax at the scored step; −1 for continuous tasks).
    #[serde(skip)]
    pub choice: Vec<i64>,
}

/// Accuracy of the trials sharing one label value.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ConditionScore {
    /// Label value.
    pub value: f64,
    /// Fraction correct.
    pub accuracy: f64,
    /// Trials.
    pub n: usize,
}

/// Steps after a response window in which a fixate target is not yet asked of the strict rule.
pub const GRACE_STEPS: usize = 2;

fn argmax(v: &[f32]) -> i64 {
    let mut best = 0;
    for (k, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = k;
        }
    }
    best as i64
}

/// Score a recording (outputs against targets).
pub fn score(rec: &Recording) -> Score {
    let (t_max, o) = (rec.n_steps, rec.n_out);
    let mut correct = Vec::with_capacity(rec.n_trials);
    let mut choice = Vec::with_capacity(rec.n_trials);
    // Per response window k: (correct, trials).
    let mut windows: Vec<(usize, usize)> = Vec::new();
    let mut strict = 0usize;
    for i in 0..rec.n_trials {
        let len = rec.trial_len[i];
        let mask = &rec.mask[i * t_max..i * t_max + len];
        match &rec.targets {
            RecTargets::Class(c) => {
                let tg = &c[i * t_max..i * t_max + len];
                let output = |t: usize| &rec.outputs[(i * t_max + t) * o..(i * t_max + t + 1) * o];
                // The last step of each response window; the last of them is the trial's
                // response step.
                let ends: Vec<usize> = (0..len)
                    .filter(|&t| tg[t] != 0 && (t + 1 == len || tg[t + 1] == 0))
                    .collect();
                let step = ends
                    .last()
                    .copied()
                    .or_else(|| mask.iter().rposition(|&m| m > 0.0))
                    .unwrap_or(len.saturating_sub(1));
                let k = argmax(output(step));
                choice.push(k);
                correct.push(len > 0 && k == tg[step]);
                if windows.len() < ends.len() {
                    windows.resize(ends.len(), (0, 0));
                }
                let mut all_windows = true;
                for (w, &t) in ends.iter().enumerate() {
                    let right = argmax(output(t)) == tg[t];
                    all_windows &= right;
                    windows[w].0 += usize::from(right);
                    windows[w].1 += 1;
                }
                let mut since_response = usize::MAX;
                let mut held = true;
                for t in 0..len {
                    if tg[t] != 0 {
                        since_response = 0;
                        continue;
                    }
                    since_response = since_response.saturating_add(1);
                    if mask[t] > 0.0 && since_response > GRACE_STEPS && argmax(output(t)) != 0 {
                        held = false;
                        break;
                    }
                }
                strict += usize::from(len > 0 && k == tg[step] && all_windows && held);
            }
            RecTargets::Continuous(v) => {
                let (mut good, mut total) = (0usize, 0usize);
                for t in 0..len {
                    if mask[t] <= 0.0 {
                        continue;
                    }
                    total += 1;
                    let k0 = (i * t_max + t) * o;
                    good += usize::from((k0..k0 + o).all(|k| (rec.outputs[k] - v[k]).abs() < 0.5));
                }
                choice.push(-1);
                correct.push(total > 0 && good as f64 >= 0.95 * total as f64);
            }
        }
    }
    let n = rec.n_trials;
    let accuracy = correct.iter().filter(|&&c| c).count() as f64 / n.max(1) as f64;
    let strict_accuracy = match rec.targets {
        RecTargets::Class(_) => Some(strict as f64 / n.max(1) as f64),
        RecTargets::Continuous(_) => None,
    };
    let mut per_condition = BTreeMap::new();
    for col in &rec.labels {
        let mut groups: BTreeMap<i64, (f64, usize, usize)> = BTreeMap::new();
        for (i, &v) in col.values.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            // Group by value at 1e-6 resolution so float labels (coherence) bin exactly.
            let key = (v * 1e6).round() as i64;
            let e = groups.entry(key).or_insert((v, 0, 0));
            e.1 += usize::from(correct[i]);
            e.2 += 1;
        }
        if groups.len() > 64 {
            continue; // a continuous label (e.g. a sampled interval): no per-value table
        }
        per_condition.insert(
            col.name.clone(),
            groups
                .values()
                .map(|&(value, c, n)| ConditionScore {
                    value,
                    accuracy: c as f64 / n as f64,
                    n,
                })
                .collect(),
        );
    }
    let per_response = if windows.len() > 1 {
        windows
            .iter()
            .enumerate()
            .map(|(k, &(c, n))| ConditionScore {
                value: (k + 1) as f64,
                accuracy: c as f64 / n as f64,
                n,
            })
            .collect()
    } else {
        Vec::new()
    };
    Score {
        accuracy,
        strict_accuracy,
        n_trials: n,
        per_condition,
        per_response,
        correct,
        choice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two trials of 6 steps, 3 outputs, targets `0 1 1 0 2 2`: two response windows. Outputs are
    /// one-hot choices written per step.
    fn two_window_recording(choices: [[usize; 6]; 2]) -> Recording {
        let (n, t, o) = (2, 6, 3);
        let mut outputs = vec![0.0f32; n * t * o];
        for (i, ch) in choices.iter().enumerate() {
            for (s, &k) in ch.iter().enumerate() {
                outputs[(i * t + s) * o + k] = 1.0;
            }
        }
        Recording {
            n_trials: n,
            n_steps: t,
            n_units: 0,
            n_in: 0,
            n_out: o,
            rates: Vec::new(),
            inputs: Vec::new(),
            outputs,
            targets: RecTargets::Class([0, 1, 1, 0, 2, 2].repeat(n)),
            mask: vec![1.0; n * t],
            trial_len: vec![t; n],
            periods: Vec::new(),
            labels: Vec::new(),
            gates: Vec::new(),
            states: Vec::new(),
        }
    }

    #[test]
    fn each_response_window_is_scored_at_its_last_step() {
        // Trial 0: window 1 wrong at its last step (step 2), window 2 right.
        // Trial 1: window 1 right, window 2 wrong at step 5 (right at step 4, which does not count).
        let rec = two_window_recording([[0, 1, 2, 0, 2, 2], [0, 2, 1, 0, 2, 1]]);
        let sc = score(&rec);
        assert_eq!(
            sc.correct,
            vec![true, false],
            "trial rule: the last response step"
        );
        assert_eq!(sc.per_response.len(), 2);
        assert_eq!(
            (sc.per_response[0].accuracy, sc.per_response[0].n),
            (0.5, 2)
        );
        assert_eq!(
            (sc.per_response[1].accuracy, sc.per_response[1].n),
            (0.5, 2)
        );
        let all_right = score(&two_window_recording([[0, 1, 1, 0, 2, 2]; 2]));
        assert_eq!(all_right.per_response[0].accuracy, 1.0);
        assert_eq!(all_right.per_response[1].accuracy, 1.0);
        assert_eq!(all_right.strict_accuracy, Some(1.0));
    }

    /// The strict rule fails a premature response and a wrong earlier window, and forgives a
    /// response held into the grace steps.
    #[test]
    fn strict_rule_asks_for_fixation_held() {
        // Trial 0: responds 2 at step 0 (target fixate): premature. Trial 1: right everywhere.
        let sc = score(&two_window_recording([
            [2, 1, 1, 0, 2, 2],
            [0, 1, 1, 0, 2, 2],
        ]));
        assert_eq!(sc.correct, vec![true, true], "the lenient rule misses it");
        assert_eq!(sc.strict_accuracy, Some(0.5));
        // Window 1 wrong at its end: lenient (last window) right, strict wrong.
        let sc = score(&two_window_recording([[0, 1, 2, 0, 2, 2]; 2]));
        assert_eq!(sc.accuracy, 1.0);
        assert_eq!(sc.strict_accuracy, Some(0.0));
        // Still responding 1 at step 3, one step after window 1: within the grace steps.
        let sc = score(&two_window_recording([[0, 1, 1, 1, 2, 2]; 2]));
        assert_eq!(sc.strict_accuracy, Some(1.0));
    }
}
