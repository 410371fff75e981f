//! Trials as the arrays `neurodyn tasks sample` writes and the Python package returns: `inputs`
//! (trial, time, n_in) f32; `targets` (trial, time) i64 class indices or (trial, time, n_out) f32;
//! `mask` (trial, time) f32; `trial_len` (trial,) i64; one `period_<name>` (trial, 2) i64 of
//! `[start, end)` steps per period (−1 where a trial lacks it); one array per condition label
//! (i64 when every value is an integer, else f64); and the describing arrays of
//! [`neurodyn_core::FileInfo`] (`format`, `task_name`, `compat`, `seed`, `dt_ms`, `time_ms`,
//! channel and class names), so a reader can refuse trials made at another time step or for
//! another task. Trials shorter than the longest are zero-padded, mask 0.

use crate::config::Compat;
use crate::error::TaskError;
use crate::task::TaskSpec;
use neurodyn_core::{FileInfo, Label, Npz, Targets, Trial};

/// What a file of trials of the task `spec` (drawn with `compat` and `seed`) says about itself.
/// `format` is left for the caller.
pub fn file_info(spec: &TaskSpec, compat: Compat, seed: u64) -> FileInfo {
    FileInfo {
        format: None,
        task: Some(spec.name.clone()),
        compat: Some(compat.as_str().to_string()),
        seed: Some(seed),
        dt_ms: Some(spec.dt_ms),
        input_names: Some(spec.input_names.clone()),
        output_names: Some(spec.output_names.clone()),
        class_names: spec.categorical.then(|| spec.output_names.clone()),
        outputs_hold: None,
    }
}

/// The arrays of `trials` of the task described by `spec`, drawn with `compat` and `seed`.
pub fn trials_npz(
    spec: &TaskSpec,
    trials: &[Trial],
    compat: Compat,
    seed: u64,
) -> Result<Npz, TaskError> {
    let n = trials.len();
    let t_max = trials.iter().map(|t| t.n_steps()).max().unwrap_or(0);
    let (n_in, n_out) = (spec.n_in, spec.n_out);
    let mut inputs = vec![0f32; n * t_max * n_in];
    let mut mask = vec![0f32; n * t_max];
    let mut cls = vec![0i64; n * t_max];
    let mut cont = vec![0f32; n * t_max * n_out];
    for (i, tr) in trials.iter().enumerate() {
        let len = tr.n_steps();
        inputs[i * t_max * n_in..(i * t_max + len) * n_in].copy_from_slice(&tr.inputs);
        mask[i * t_max..i * t_max + len].copy_from_slice(&tr.mask);
        match &tr.targets {
            Targets::Class(c) => cls[i * t_max..i * t_max + len].copy_from_slice(c),
            Targets::Continuous(v) => {
                cont[i * t_max * n_out..(i * t_max + len) * n_out].copy_from_slice(v)
            }
        }
    }
    let mut npz = Npz::new();
    npz.f32("inputs", &[n, t_max, n_in], inputs)?;
    if spec.categorical {
        npz.i64("targets", &[n, t_max], cls)?;
    } else {
        npz.f32("targets", &[n, t_max, n_out], cont)?;
    }
    npz.f32("mask", &[n, t_max], mask)?;
    npz.i64(
        "trial_len",
        &[n],
        trials.iter().map(|t| t.n_steps() as i64).collect(),
    )?;
    let mut periods: Vec<&str> = Vec::new();
    for p in trials.iter().flat_map(|t| &t.periods) {
        if !periods.contains(&p.name.as_str()) {
            periods.push(&p.name);
        }
    }
    for name in periods {
        let bounds = trials
            .iter()
            .flat_map(|t| match t.periods.iter().find(|p| p.name == name) {
                Some(p) => [p.start as i64, p.end as i64],
                None => [-1, -1],
            })
            .collect();
        npz.i64(&format!("period_{name}"), &[n, 2], bounds)?;
    }
    for label in &spec.label_names {
        let vals: Vec<Label> = trials
            .iter()
            .map(|t| {
                t.labels.get(label).ok_or_else(|| {
                    TaskError::InvalidRequest(format!(
                        "a trial of {} lacks label {label}",
                        spec.name
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        if vals.iter().all(|v| matches!(v, Label::Int(_))) {
            let v = vals
                .iter()
                .map(|v| if let Label::Int(x) = v { *x } else { 0 })
                .collect();
            npz.i64(label, &[n], v)?;
        } else {
            npz.f64(label, &[n], vals.iter().map(|v| v.as_f64()).collect())?;
        }
    }
    let info = FileInfo {
        format: Some(neurodyn_core::TRIALS_FORMAT.to_string()),
        ..file_info(spec, compat, seed)
    };
    info.write(&mut npz, t_max)?;
    Ok(npz)
}
