//! What a run leaves for analysis: rates, inputs, outputs, targets, periods and labels per trial.
//!
//! Axis order is `(trial, time, unit)` everywhere. Trials of different lengths are padded to the
//! longest with zeros and `mask = 0`; `trial_len` gives each trial's real length. On disk a
//! recording is an `.npz` with arrays `rates`, `inputs`, `outputs`, `targets`, `mask`, `trial_len`,
//! one `period_<name>` array `(trial, 2)` of `[start, end)` steps per period (−1 where a trial lacks
//! it), one `gate_<name>` array `(trial, time, unit)` per gate of a gated cell (GRU, LSTM,
//! light-GRU), one `state_<name>` array `(trial, time, unit)` per block of state beyond the rates
//! (LSTM, stp-ctrnn), and one array per condition label under the label's own name.

use crate::describe::{FileInfo, DESCRIBING_ARRAYS, RECORDING_FORMAT};
use crate::error::{CoreError, Result};
use crate::npz::{NpArray, Npz};
use crate::trial::{Label, Targets, Trial};
use std::path::Path;

/// Targets of a recording.
#[derive(Clone, Debug, PartialEq)]
pub enum RecTargets {
    /// `(trial, time)` class indices.
    Class(Vec<i64>),
    /// `(trial, time, n_out)` values.
    Continuous(Vec<f32>),
}

/// One condition label over all trials.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelColumn {
    /// Label name.
    pub name: String,
    /// One value per trial.
    pub values: Vec<f64>,
    /// Whether the label is discrete.
    pub discrete: bool,
}

/// Activity and context of a set of trials.
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    /// Trials.
    pub n_trials: usize,
    /// Padded steps per trial.
    pub n_steps: usize,
    /// Recorded units.
    pub n_units: usize,
    /// Input channels.
    pub n_in: usize,
    /// Output channels.
    pub n_out: usize,
    /// `(trial, time, unit)`.
    pub rates: Vec<f32>,
    /// `(trial, time, n_in)`.
    pub inputs: Vec<f32>,
    /// `(trial, time, n_out)` network outputs (logits for categorical tasks).
    pub outputs: Vec<f32>,
    /// Targets.
    pub targets: RecTargets,
    /// `(trial, time)` loss mask; 0 on padding.
    pub mask: Vec<f32>,
    /// Real length of each trial.
    pub trial_len: Vec<usize>,
    /// `(name, bounds)` with bounds `(trial, 2)` row-major, −1 where absent.
    pub periods: Vec<(String, Vec<i64>)>,
    /// Condition labels.
    pub labels: Vec<LabelColumn>,
    /// Gate activations of gated cells, `(name, (trial, time, unit))`; saved as `gate_<name>`.
    pub gates: Vec<(String, Vec<f32>)>,
    /// The rest of the network state for cells whose state is longer than their rates, one block
    /// of `n_units` per name in the cell's order after the rates (LSTM `cell`; stp-ctrnn
    /// `depletion`, `facilitation`), `(name, (trial, time, unit))`; saved as `state_<name>`, in
    /// order. With the rates they make the full state (fixed-point starts need it).
    pub states: Vec<(String, Vec<f32>)>,
}

const FIXED: [&str; 6] = ["rates", "inputs", "outputs", "targets", "mask", "trial_len"];

impl Recording {
    /// Assemble a recording from trials and what the network did on them.
    /// `rates` is `(trial, time, n_units)` and `outputs` `(trial, time, n_out)`, both padded to the
    /// longest trial.
    pub fn from_trials(
        trials: &[Trial],
        n_units: usize,
        rates: Vec<f32>,
        outputs: Vec<f32>,
    ) -> Result<Recording> {
        let first = trials
            .first()
            .ok_or_else(|| CoreError::invalid("recording", "no trials"))?;
        let (n_in, n_out) = (first.n_in, first.n_out);
        let n = trials.len();
        let t_max = trials.iter().map(Trial::n_steps).max().unwrap_or(0);
        if rates.len() != n * t_max * n_units {
            return Err(CoreError::shape(
                "recording rates",
                &[n, t_max, n_units],
                &[rates.len()],
            ));
        }
        if outputs.len() != n * t_max * n_out {
            return Err(CoreError::shape(
                "recording outputs",
                &[n, t_max, n_out],
                &[outputs.len()],
            ));
        }
        let mut inputs = vec![0.0; n * t_max * n_in];
        let mut mask = vec![0.0; n * t_max];
        let continuous = matches!(first.targets, Targets::Continuous(_));
        let mut cls = vec![0i64; if continuous { 0 } else { n * t_max }];
        let mut cont = vec![0.0f32; if continuous { n * t_max * n_out } else { 0 }];
        let mut period_names: Vec<String> = Vec::new();
        for tr in trials {
            for p in &tr.periods {
                if !period_names.contains(&p.name) {
                    period_names.push(p.name.clone());
                }
            }
        }
        let mut periods: Vec<(String, Vec<i64>)> = period_names
            .iter()
            .map(|nm| (nm.clone(), vec![-1i64; n * 2]))
            .collect();
        // Every label any trial carries (trials of a multi-task mix carry different ones); NaN
        // where a trial lacks it.
        let mut labels: Vec<LabelColumn> = Vec::new();
        for tr in trials {
            for (nm, v) in &tr.labels.0 {
                if !labels.iter().any(|c| c.name == *nm) {
                    labels.push(LabelColumn {
                        name: nm.clone(),
                        values: vec![f64::NAN; n],
                        discrete: matches!(v, Label::Int(_)),
                    });
                }
            }
        }
        for (i, tr) in trials.iter().enumerate() {
            let len = tr.n_steps();
            inputs[i * t_max * n_in..(i * t_max + len) * n_in].copy_from_slice(&tr.inputs);
            mask[i * t_max..i * t_max + len].copy_from_slice(&tr.mask);
            match &tr.targets {
                Targets::Class(c) if !continuous => {
                    cls[i * t_max..i * t_max + len].copy_from_slice(c)
                }
                Targets::Continuous(v) if continuous => {
                    cont[i * t_max * n_out..(i * t_max + len) * n_out].copy_from_slice(v)
                }
                _ => return Err(CoreError::invalid("recording", "trials mix target kinds")),
            }
            for p in &tr.periods {
                if let Some((_, b)) = periods.iter_mut().find(|(nm, _)| *nm == p.name) {
                    b[2 * i] = p.start as i64;
                    b[2 * i + 1] = p.end as i64;
                }
            }
            for col in labels.iter_mut() {
                if let Some(v) = tr.labels.get(&col.name) {
                    col.values[i] = v.as_f64();
                }
            }
        }
        if labels.iter().any(|c| {
            FIXED.contains(&c.name.as_str())
                || DESCRIBING_ARRAYS.contains(&c.name.as_str())
                || c.name.starts_with("period_")
                || c.name.starts_with("gate_")
                || c.name.starts_with("state_")
        }) {
            return Err(CoreError::invalid(
                "labels",
                "a label name collides with a recording array",
            ));
        }
        Ok(Recording {
            n_trials: n,
            n_steps: t_max,
            n_units,
            n_in,
            n_out,
            rates,
            inputs,
            outputs,
            targets: if continuous {
                RecTargets::Continuous(cont)
            } else {
                RecTargets::Class(cls)
            },
            mask,
            trial_len: trials.iter().map(Trial::n_steps).collect(),
            periods,
            gates: Vec::new(),
            states: Vec::new(),
            labels,
        })
    }

    /// Rates of trial `i`, `(time, unit)` over its real length.
    pub fn trial_rates(&self, i: usize) -> &[f32] {
        let s = i * self.n_steps * self.n_units;
        &self.rates[s..s + self.trial_len[i] * self.n_units]
    }

    /// The label column called `name`.
    pub fn label(&self, name: &str) -> Option<&LabelColumn> {
        self.labels.iter().find(|c| c.name == name)
    }

    /// `[start, end)` of the named period in trial `i`, if present.
    pub fn period(&self, name: &str, i: usize) -> Option<(usize, usize)> {
        let (_, b) = self.periods.iter().find(|(n, _)| n == name)?;
        (b[2 * i] >= 0).then(|| (b[2 * i] as usize, b[2 * i + 1] as usize))
    }

    /// Save as `.npz` (atomic), without describing arrays.
    pub fn save(&self, path: &Path) -> Result<()> {
        self.save_described(path, &FileInfo::default())
    }

    /// Save as `.npz` (atomic) with the arrays of `info` (task, dt, time axis, channel names;
    /// see [`FileInfo`]) beside the data.
    pub fn save_described(&self, path: &Path, info: &FileInfo) -> Result<()> {
        let (n, t) = (self.n_trials, self.n_steps);
        let mut z = Npz::new();
        z.f32("rates", &[n, t, self.n_units], self.rates.clone())?;
        z.f32("inputs", &[n, t, self.n_in], self.inputs.clone())?;
        z.f32("outputs", &[n, t, self.n_out], self.outputs.clone())?;
        match &self.targets {
            RecTargets::Class(c) => z.i64("targets", &[n, t], c.clone())?,
            RecTargets::Continuous(v) => z.f32("targets", &[n, t, self.n_out], v.clone())?,
        };
        z.f32("mask", &[n, t], self.mask.clone())?;
        z.i64(
            "trial_len",
            &[n],
            self.trial_len.iter().map(|&v| v as i64).collect(),
        )?;
        for (name, b) in &self.periods {
            z.i64(&format!("period_{name}"), &[n, 2], b.clone())?;
        }
        for (name, g) in &self.gates {
            z.f32(&format!("gate_{name}"), &[n, t, self.n_units], g.clone())?;
        }
        for (name, g) in &self.states {
            z.f32(&format!("state_{name}"), &[n, t, self.n_units], g.clone())?;
        }
        for c in &self.labels {
            if c.discrete {
                z.i64(&c.name, &[n], c.values.iter().map(|&v| v as i64).collect())?;
            } else {
                z.f64(&c.name, &[n], c.values.clone())?;
            }
        }
        info.write(&mut z, t)?;
        z.save(path)
    }

    /// Load a recording saved by [`Recording::save`], checking every shape.
    pub fn load(path: &Path) -> Result<Recording> {
        Self::from_npz(&Npz::load(path)?, path)
    }

    /// A recording from the arrays of an `.npz` already read (`path` names it in errors),
    /// checking every shape.
    pub fn from_npz(z: &Npz, path: &Path) -> Result<Recording> {
        if let Some(f) = z.get_text("format").filter(|f| f != RECORDING_FORMAT) {
            return Err(CoreError::invalid(
                path.display().to_string(),
                format!("is a `{f}` file, not a recording (`{RECORDING_FORMAT}`)"),
            ));
        }
        let rates = z.require("rates", path)?;
        let sh = rates.shape().to_vec();
        if sh.len() != 3 {
            return Err(CoreError::shape(
                "rates (trial, time, unit)",
                &[0, 0, 0],
                &sh,
            ));
        }
        let (n, t, u) = (sh[0], sh[1], sh[2]);
        let dims = |name: &str, rank: usize| -> Result<Vec<usize>> {
            let s = z.require(name, path)?.shape().to_vec();
            if s.len() != rank || s[0] != n || (rank > 1 && s[1] != t) {
                return Err(CoreError::shape(
                    format!("{} in {}", name, path.display()),
                    &[n, t],
                    &s,
                ));
            }
            Ok(s)
        };
        let n_in = dims("inputs", 3)?[2];
        let n_out = dims("outputs", 3)?[2];
        dims("mask", 2)?;
        let tg = z.require("targets", path)?;
        let targets = match tg.to_i64() {
            Some(c) if tg.shape() == [n, t] => RecTargets::Class(c),
            _ if tg.shape() == [n, t, n_out] => RecTargets::Continuous(tg.to_f32()),
            _ => return Err(CoreError::shape("targets", &[n, t], tg.shape())),
        };
        let lens = z.require("trial_len", path)?.to_f64();
        if lens.len() != n {
            return Err(CoreError::shape("trial_len", &[n], &[lens.len()]));
        }
        if let Some((i, v)) = lens
            .iter()
            .enumerate()
            .find(|(_, &v)| !(0.0..=t as f64).contains(&v) || v.fract() != 0.0)
        {
            return Err(CoreError::invalid(
                format!("trial_len in {}", path.display()),
                format!("trial {i} has length {v}; lengths are whole numbers of steps from 0 to the {t} steps of the time axis"),
            ));
        }
        let trial_len: Vec<usize> = lens.iter().map(|&v| v as usize).collect();
        let mut periods = Vec::new();
        let mut labels = Vec::new();
        let mut gates = Vec::new();
        let mut states = Vec::new();
        for (name, a) in &z.arrays {
            let traces = [("gate_", &mut gates), ("state_", &mut states)];
            if let Some((g, into)) = traces
                .into_iter()
                .find_map(|(prefix, into)| name.strip_prefix(prefix).map(|g| (g, into)))
            {
                if a.shape() != [n, t, u] {
                    return Err(CoreError::shape(name, &[n, t, u], a.shape()));
                }
                into.push((g.to_string(), a.to_f32()));
            } else if let Some(p) = name.strip_prefix("period_") {
                if a.shape() != [n, 2] {
                    return Err(CoreError::shape(name, &[n, 2], a.shape()));
                }
                let b = a.to_f64();
                let bad = b.chunks_exact(2).position(|se| {
                    let absent = se == [-1.0, -1.0];
                    let inside = 0.0 <= se[0]
                        && se[0] <= se[1]
                        && se[1] <= t as f64
                        && se.iter().all(|v| v.fract() == 0.0);
                    !(absent || inside)
                });
                if let Some(i) = bad {
                    return Err(CoreError::invalid(
                        format!("{name} in {}", path.display()),
                        format!(
                            "trial {i} has [{}, {}); a period is [start, end) with 0 ≤ start ≤ end ≤ {t}, or [-1, -1] where the trial lacks it",
                            b[2 * i], b[2 * i + 1]
                        ),
                    ));
                }
                periods.push((p.to_string(), b.iter().map(|&v| v as i64).collect()));
            } else if !FIXED.contains(&name.as_str()) && !DESCRIBING_ARRAYS.contains(&name.as_str())
            {
                if a.is_text() {
                    return Err(CoreError::invalid(
                        format!("label {name} in {}", path.display()),
                        "holds text; a condition label holds one number per trial",
                    ));
                }
                if a.shape() != [n] {
                    return Err(CoreError::shape(format!("label {name}"), &[n], a.shape()));
                }
                labels.push(LabelColumn {
                    name: name.clone(),
                    values: a.to_f64(),
                    discrete: matches!(a, NpArray::I64(_) | NpArray::U8(_)),
                });
            }
        }
        Ok(Recording {
            n_trials: n,
            n_steps: t,
            n_units: u,
            n_in,
            n_out,
            rates: rates.to_f32(),
            inputs: z.require("inputs", path)?.to_f32(),
            outputs: z.require("outputs", path)?.to_f32(),
            targets,
            mask: z.require("mask", path)?.to_f32(),
            trial_len,
            periods,
            gates,
            states,
            labels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two trials of 3 steps, one unit, one period.
    fn small() -> Recording {
        let (n, t) = (2, 3);
        Recording {
            n_trials: n,
            n_steps: t,
            n_units: 1,
            n_in: 1,
            n_out: 1,
            rates: vec![0.5; n * t],
            inputs: vec![0.0; n * t],
            outputs: vec![0.0; n * t],
            targets: RecTargets::Class(vec![0; n * t]),
            mask: vec![1.0; n * t],
            trial_len: vec![3, 2],
            periods: vec![("stimulus".into(), vec![0, 2, -1, -1])],
            labels: Vec::new(),
            gates: Vec::new(),
            states: Vec::new(),
        }
    }

    /// Save `small()`, replace the array `name` with `values` (shape `shape`), load it back.
    fn load_with(name: &str, shape: &[usize], values: Vec<i64>) -> Result<Recording> {
        let dir = std::env::temp_dir().join(format!("nd-rec-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("recording.npz");
        small().save(&p).expect("save");
        let mut z = Npz::load(&p).expect("load npz");
        z.arrays.retain(|(n, _)| n != name);
        z.i64(name, shape, values).expect("array");
        z.save(&p).expect("save npz");
        let back = Recording::load(&p);
        std::fs::remove_dir_all(&dir).ok();
        back
    }

    #[test]
    fn lengths_and_periods_must_fit_the_time_axis() {
        let ok = load_with("trial_len", &[2], vec![3, 0]).expect("lengths within the axis");
        assert_eq!(ok.trial_len, [3, 0]);
        let e = load_with("trial_len", &[2], vec![3, 1_000_000])
            .expect_err("longer than the axis")
            .to_string();
        assert!(
            e.contains("trial_len") && e.contains("trial 1") && e.contains("1000000"),
            "{e}"
        );
        assert!(load_with("trial_len", &[2], vec![-1, 2]).is_err());
        let e = load_with("period_stimulus", &[2, 2], vec![0, 2, 1, 9])
            .expect_err("period past the axis")
            .to_string();
        assert!(
            e.contains("period_stimulus") && e.contains("trial 1"),
            "{e}"
        );
        assert!(load_with("period_stimulus", &[2, 2], vec![2, 1, -1, -1]).is_err());
        assert!(load_with("period_stimulus", &[2, 2], vec![0, 3, -1, -1]).is_ok());
    }
}
