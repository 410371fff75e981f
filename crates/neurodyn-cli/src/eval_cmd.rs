//! `neurodyn eval`: score a trained network on fresh trials or on trials from an `.npz` file.

use anyhow::{bail, Context, Result};
use clap::Args;
use neurodyn_core::{Labels, Npz, Targets, Trial};
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
    let y: Vec<i64> = targets.to_f64().iter().map(|&v| v as i64).collect();
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
    let n_out = y.iter().copied().max().unwrap_or(0).max(1) as usize + 1;
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
                labels: Labels::new(),
            }
        })
        .collect())
}

/// Run `neurodyn eval` on a recurrent run (`main` sends vision runs to `vision_cmd::eval`).
pub fn run(a: EvalArgs) -> Result<()> {
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
    let trials = match &a.trials {
        Some(p) => {
            // Files from `neurodyn tasks sample` say their time step; others are taken as given.
            let z = Npz::load(p)?;
            let dt = tr.task.spec().dt_ms;
            if let Some(file_dt) = z.get("dt_ms").map(|a| a.to_f64()) {
                if file_dt
                    .first()
                    .is_some_and(|&d| (d - dt).abs() > 1e-9 * dt.abs().max(1.0))
                {
                    bail!(
                        "{}: the trials were made at dt = {} ms, but this network steps at dt = \
                         {dt} ms (sample them with --dt {dt})",
                        p.display(),
                        file_dt[0]
                    );
                }
            }
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
        None => neurodyn_tasks::sample_trials(tr.task.as_ref(), a.n, tr.cfg.eval.seed),
    };
    let rec = record(&mut tr.net, &trials, 250)?;
    let sc = score(&rec);
    // The file first: printing ends the process quietly when stdout's reader has gone
    // (`eval RUN --json x.json | true`), and the file must not be lost with it.
    if let Some(j) = &a.json {
        let v = serde_json::json!({"accuracy": sc.accuracy, "strict_accuracy": sc.strict_accuracy, "n_trials": sc.n_trials, "per_condition": sc.per_condition, "per_response": sc.per_response});
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
