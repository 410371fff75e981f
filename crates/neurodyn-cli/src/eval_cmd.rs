//! `neurodyn eval`: score a trained network on fresh trials or on trials from an `.npz` file.

use anyhow::{bail, Context, Result};
use clap::Args;
use neurodyn_core::{FileInfo, Labels, Npz, Targets, Trial, DESCRIBING_ARRAYS};
use neurodyn_train::{checkpoint, record, score, RunDir, Trainer};
use std::path::PathBuf;

/// Arguments of `neurodyn eval`.
#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// Run directory.
    pub run: PathBuf,
    /// Evaluate on this task instead of the run's (must have the same n_in/n_out).
    #[arg(long)]
    pub task: Option<String>,
    /// Number of fresh trials.
    #[arg(long, default_value_t = 1000)]
    pub n: usize,
    /// Seed of the fresh trials (default: the run's eval seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Score trials from an npz with `inputs` (trial, time, n_in), `targets` (trial, time) and
    /// `mask` (trial, time), as written by `neurodyn tasks sample`.
    #[arg(long, conflicts_with_all = ["task", "seed"])]
    pub trials: Option<PathBuf>,
    /// Also write the result as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Overwrite the --json file if it exists.
    #[arg(long, requires = "json")]
    pub force: bool,
}

/// The trials of `z`, the arrays of the file at `path` (named in errors).
fn trials_from_npz(z: &Npz, path: &std::path::Path) -> Result<Vec<Trial>> {
    let inputs = z.require("inputs", path)?;
    let targets = z.require("targets", path)?;
    let mask = z.require("mask", path)?;
    let sh = inputs.shape().to_vec();
    if sh.len() != 3 {
        bail!(
            "{}: inputs must be (trial, time, n_in), got shape {:?}",
            path.display(),
            sh
        );
    }
    let (n, t, n_in) = (sh[0], sh[1], sh[2]);
    if t == 0 {
        bail!(
            "{}: the trials have no time steps (inputs of shape {:?})",
            path.display(),
            sh
        );
    }
    if targets.shape() != [n, t] {
        bail!(
            "{}: targets must be (trial, time) = {:?} class indices, got shape {:?}",
            path.display(),
            [n, t],
            targets.shape()
        );
    }
    if mask.shape() != [n, t] {
        bail!(
            "{}: mask must be (trial, time) = {:?}, got shape {:?}",
            path.display(),
            [n, t],
            mask.shape()
        );
    }
    let x = inputs.to_f32();
    let m = mask.to_f32();
    // (trial, step) of a flat index into a (trial, time, width) array.
    let at = |k: usize, width: usize| (k / width / t, k / width % t);
    if let Some(k) = x.iter().position(|v| !v.is_finite()) {
        let (i, s) = at(k, n_in);
        bail!(
            "{}: inputs hold {} at trial {i}, step {s}; inputs must be finite",
            path.display(),
            x[k]
        );
    }
    if let Some(k) = m.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        let (i, s) = at(k, 1);
        bail!(
            "{}: mask holds {} at trial {i}, step {s}; mask values are finite and ≥ 0",
            path.display(),
            m[k]
        );
    }
    let y_raw = targets.to_f64();
    if let Some(k) = y_raw
        .iter()
        .position(|v| !(v.is_finite() && v.fract() == 0.0 && *v >= 0.0))
    {
        let (i, s) = at(k, 1);
        bail!(
            "{}: targets hold {} at trial {i}, step {s}; targets are class indices (whole \
             numbers ≥ 0: 0 = fixate)",
            path.display(),
            y_raw[k]
        );
    }
    let y: Vec<i64> = y_raw.iter().map(|&v| v as i64).collect();
    if let Some(i) = (0..n).find(|&i| m[i * t..(i + 1) * t].iter().all(|&v| v == 0.0)) {
        bail!(
            "{}: trial {i} has mask 0 at every step, so nothing of it would be scored; drop \
             the trial or give its response steps mask > 0",
            path.display()
        );
    }
    let n_out = y.iter().copied().max().unwrap_or(0).max(1) as usize + 1;
    // Condition labels: the other numeric (trial,) arrays, for accuracy per condition.
    let reserved = ["inputs", "targets", "mask", "trial_len"];
    let labels: Vec<(&str, Vec<f64>, bool)> = z
        .arrays
        .iter()
        .filter(|(name, a)| {
            !reserved.contains(&name.as_str())
                && !DESCRIBING_ARRAYS.contains(&name.as_str())
                && !name.starts_with("period_")
                && !a.is_text()
                && a.shape() == [n]
        })
        .map(|(name, a)| (name.as_str(), a.to_f64(), a.to_i64().is_some()))
        .collect();
    Ok((0..n)
        .map(|i| {
            // A trial's length is up to its last step with mask > 0 (padding has mask 0).
            let len = (0..t)
                .rev()
                .find(|&s| m[i * t + s] > 0.0)
                .map_or(t, |s| s + 1);
            Trial {
                n_in,
                n_out,
                inputs: x[i * t * n_in..(i * t + len) * n_in].to_vec(),
                targets: Targets::Class(y[i * t..i * t + len].to_vec()),
                mask: m[i * t..i * t + len].to_vec(),
                periods: Vec::new(),
                labels: {
                    let mut l = Labels::new();
                    for (name, v, int) in &labels {
                        l = if *int {
                            l.int(name, v[i] as i64)
                        } else {
                            l.float(name, v[i])
                        };
                    }
                    l
                },
            }
        })
        .collect())
}

/// What a trials file says about itself against the network about to score it: an error where
/// the trials cannot be scored meaningfully (another time step, other input channels), warnings
/// where they can but the result may surprise (another task or compat mode, a file that says
/// nothing about itself).
fn check_trials_file(
    info: &FileInfo,
    z: &Npz,
    tr: &Trainer,
    run: &std::path::Path,
    path: &std::path::Path,
) -> Result<Vec<String>> {
    let spec = tr.task.spec();
    let (dt, file) = (spec.dt_ms, path.display());
    let mut warnings = Vec::new();
    if let Some(f) = info.format.as_deref().filter(|f| {
        ![
            neurodyn_core::TRIALS_FORMAT,
            neurodyn_core::RECORDING_FORMAT,
        ]
        .contains(f)
    }) {
        bail!("{file}: a `{f}` file holds no trials this version can score");
    }
    if let Some(file_dt) = info.dt_ms {
        if (file_dt - dt).abs() > 1e-9 * dt.abs().max(1.0) {
            bail!(
                "{file}: the trials were made at dt = {file_dt} ms, but this network steps at dt = \
                 {dt} ms (sample them with --dt {dt})"
            );
        }
    }
    let n_in = z.require("inputs", path)?.shape().get(2).copied();
    if n_in.is_some_and(|k| k != spec.n_in) {
        bail!(
            "{file}: the trials have {} input channels, but the network in {} takes {}",
            n_in.unwrap_or(0),
            run.display(),
            spec.n_in
        );
    }
    if let Some(names) = info
        .input_names
        .as_ref()
        .filter(|v| **v != spec.input_names)
    {
        warnings.push(format!(
            "{file}: input channels [{}] differ from the network's [{}]",
            names.join(", "),
            spec.input_names.join(", ")
        ));
    }
    if let Some(task) = info.task.as_ref().filter(|t| **t != spec.name) {
        warnings.push(format!(
            "{file}: the trials are from {task}, the network was trained on {}",
            spec.name
        ));
    }
    let compat = tr.cfg.task.compat.as_str();
    if let Some(c) = info.compat.as_ref().filter(|c| c.as_str() != compat) {
        warnings.push(format!(
            "{file}: the trials were drawn with compat = \"{c}\", the network trained with \
             compat = \"{compat}\"; their input statistics differ"
        ));
    }
    if info.is_empty() {
        warnings.push(format!(
            "{file} does not say its task, time step or channels (not written by neurodyn); \
             the trials are taken as made for this network at dt = {dt} ms"
        ));
    }
    Ok(warnings)
}

/// Run `neurodyn eval` on a recurrent run (`main` sends vision runs to `vision_cmd::eval`).
pub fn run(a: EvalArgs) -> Result<()> {
    if let Some(j) = &a.json {
        crate::check_output(j, a.force)?;
    }
    let rd = RunDir::new(&a.run);
    let mut cfg = rd.read_config()?;
    if let Some(t) = &a.task {
        cfg.task.name = t.clone();
    }
    if let Some(s) = a.seed {
        cfg.eval.seed = s;
    }
    let mut tr = Trainer::new(cfg)?;
    let model = rd.model();
    checkpoint::load_model(&model, &mut tr.net).with_context(|| {
        if model.exists() {
            format!(
                "{}: cannot be loaded into the network that {} describes",
                model.display(),
                rd.config().display()
            )
        } else {
            format!(
                "{} holds no trained model (did training finish?)",
                a.run.display()
            )
        }
    })?;
    let mut warnings = Vec::new();
    let trials = match &a.trials {
        Some(p) => {
            let z = Npz::load(p)?;
            warnings = check_trials_file(&FileInfo::read(&z), &z, &tr, &a.run, p)?;
            let mut t = trials_from_npz(&z, p)?;
            let want = tr.net.n_out;
            for tr_ in &mut t {
                if tr_.n_out > want {
                    bail!(
                        "{}: targets use class {} but the model has {want} outputs",
                        p.display(),
                        tr_.n_out - 1
                    );
                }
                tr_.n_out = want;
            }
            t
        }
        None => {
            neurodyn_train::ensure_trials_fit(
                tr.task.as_ref(),
                tr.net.n_units(),
                a.n,
                &format!("eval --n {}", a.n),
                "ask for fewer trials (--n)",
            )?;
            // Scored on the task's held-out stimuli where it has them, as training's evaluation.
            let held_out = tr.task.held_out();
            let task = held_out.as_deref().unwrap_or(tr.task.as_ref());
            neurodyn_tasks::sample_trials(task, a.n, tr.cfg.eval.seed)
        }
    };
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let rec = record(&mut tr.net, &trials, 250)?;
    let sc = score(&rec);
    // The file first: printing ends the process quietly when stdout's reader has gone
    // (`eval RUN --json x.json | true`), and the file must not be lost with it.
    if let Some(j) = &a.json {
        let v = serde_json::json!({"accuracy": sc.accuracy, "strict_accuracy": sc.strict_accuracy, "n_trials": sc.n_trials, "per_condition": sc.per_condition, "per_response": sc.per_response, "warnings": warnings});
        let text = serde_json::to_string_pretty(&v)?;
        neurodyn_train::checkpoint::write_atomic(j, text.as_bytes())?;
    }
    let strict = sc
        .strict_accuracy
        .map_or(String::new(), |s| format!(" ({s:.4} holding fixation)"));
    println!(
        "accuracy {:.4}{strict} on {} trials",
        sc.accuracy, sc.n_trials
    );
    for (label, rows) in &sc.per_condition {
        let cells: Vec<String> = rows
            .iter()
            .map(|r| format!("{}: {:.3} (n={})", r.value, r.accuracy, r.n))
            .collect();
        println!("  by {label}: {}", cells.join(", "));
    }
    if !sc.per_response.is_empty() {
        let cells: Vec<String> = sc
            .per_response
            .iter()
            .map(|r| format!("{}: {:.3} (n={})", r.value, r.accuracy, r.n))
            .collect();
        println!("  by response window: {}", cells.join(", "));
    }
    Ok(())
}
