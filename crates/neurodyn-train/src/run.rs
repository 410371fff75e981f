//! The run directory: everything a training run leaves behind, and how to resume it.
//!
//! ```text
//! RUN/
//!   config.toml              fully resolved config; `neurodyn train RUN/config.toml` re-runs it
//!   metrics.csv              step,loss,task_loss,reg,accuracy,lr,grad_norm,stage,wall_s
//!                            (stage: the curriculum stage the step trained on, from 1; 0 = the
//!                            task itself)
//!   checkpoint.safetensors   weights + optimizer state + step + curriculum progress (atomic,
//!                            every `checkpoint_every`)
//!   model.safetensors        final weights (config in the metadata)
//!   eval.json                accuracy overall and per condition on fresh trials, and the
//!                            network-health check (`health`)
//!   recording.npz            test trials: rates (trial, time, unit), inputs, outputs, targets,
//!                            mask, trial_len, period_<name>, gate_<name> (gated cells),
//!                            one array per condition label, and what the file is
//!                            (task_name, compat, seed, dt_ms, time_ms, channel names;
//!                            docs/FILES.md)
//!   figures/                 PNG + SVG
//! ```

use crate::checkpoint::{load_checkpoint, save_checkpoint, save_model, write_atomic};
use crate::config::RunConfig;
use crate::error::{file, io, Result, TrainError};
use crate::health::Health;
use crate::score::{record, score, Score};
use crate::step::StepReport;
use crate::trainer::Trainer;
use neurodyn_core::Recording;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Paths inside a run directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunDir {
    /// The directory.
    pub root: PathBuf,
}

impl RunDir {
    /// Wrap a path.
    pub fn new(root: &Path) -> Self {
        RunDir {
            root: root.to_path_buf(),
        }
    }
    /// `config.toml`.
    pub fn config(&self) -> PathBuf {
        self.root.join("config.toml")
    }
    /// `metrics.csv`.
    pub fn metrics(&self) -> PathBuf {
        self.root.join("metrics.csv")
    }
    /// `checkpoint.safetensors`.
    pub fn checkpoint(&self) -> PathBuf {
        self.root.join("checkpoint.safetensors")
    }
    /// `model.safetensors`.
    pub fn model(&self) -> PathBuf {
        self.root.join("model.safetensors")
    }
    /// `eval.json`.
    pub fn eval(&self) -> PathBuf {
        self.root.join("eval.json")
    }
    /// `recording.npz`.
    pub fn recording(&self) -> PathBuf {
        self.root.join("recording.npz")
    }
    /// `figures/`.
    pub fn figures(&self) -> PathBuf {
        self.root.join("figures")
    }

    /// Read the run's config. A run written before `[model]` keys were checked against the kind
    /// may set keys its kind does not take (`neurodyn train --task DelayMatchSample --model gru`
    /// wrote the recipe's identity `init`): they go back to their defaults
    /// ([`ModelConfig::reset_inapplicable`](crate::ModelConfig::reset_inapplicable)), which its
    /// build never read, so the network is the one trained. Except `init` on a rate network with
    /// Dale's law and a sparse `connectivity`: its draws came before the mask's, so it is kept and
    /// the run is refused naming it, rather than loaded with another mask.
    pub fn read_config(&self) -> Result<RunConfig> {
        let p = self.config();
        let text = std::fs::read_to_string(&p).map_err(|e| io(&p, e))?;
        let mut cfg = RunConfig::from_toml(&text).map_err(|m| TrainError::ConfigFile {
            path: p,
            message: m,
        })?;
        let m = &mut cfg.model;
        let init = m.init;
        m.reset_inapplicable();
        if m.connectivity < 1.0 && m.kind.takes(crate::ModelKey::Connectivity) {
            m.init = init;
        }
        Ok(cfg)
    }
}

const HEADER: &str = "step,loss,task_loss,reg,accuracy,lr,grad_norm,stage,wall_s\n";

/// Keep the metrics rows up to `step` (after a resume) and return the last wall time.
fn truncate_metrics(path: &Path, step: u64) -> Result<f64> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out = String::from(HEADER);
    let mut wall = 0.0;
    for line in text.lines().skip(1) {
        let mut parts = line.split(',');
        let s: u64 = match parts.next().and_then(|v| v.parse().ok()) {
            Some(s) => s,
            None => continue,
        };
        let fields = line.split(',').count();
        let columns = HEADER.split(',').count();
        if s > step || !(fields == columns || fields + 1 == columns) {
            continue;
        }
        let Some((head, wall_s)) = line.rsplit_once(',') else {
            continue;
        };
        wall = wall_s.parse().unwrap_or(wall);
        if fields == columns {
            out.push_str(line);
        } else {
            // A row from before the `stage` column: such runs had no curriculum.
            out.push_str(&format!("{head},0,{wall_s}"));
        }
        out.push('\n');
    }
    write_atomic(path, out.as_bytes())?;
    Ok(wall)
}

/// The result of a training run.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Score on fresh trials.
    pub score: Score,
    /// Wall time of training (s), summed over resumed segments.
    pub train_seconds: f64,
    /// The recording written.
    pub recording: Recording,
    /// The network-health check (also in `eval.json`).
    pub health: Health,
}

/// How [`train_run_with`] starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// A new run: the directory must not hold a run or another run's files
    /// ([`crate::claim::RUN_FILES`]).
    New,
    /// A new run that replaces what the directory holds of another run (`--force`): those
    /// files are removed first, nothing else is.
    Replace,
    /// Continue the run in the directory from its checkpoint, with the config it was trained
    /// with (a changed config is refused, naming the keys; see [`crate::resume`]).
    Resume,
    /// Continue, allowing changes of [`crate::resume::RESUMABLE_CHANGES`] (e.g. more steps).
    ResumeAllowingChanges,
}

/// Train (or resume) a run in `dir`, then evaluate it and write every file.
///
/// `resume = false` refuses a directory that already holds a run; `true` is
/// [`Start::Resume`]. `on_step` sees each step (for progress bars). A non-finite loss stops
/// training with [`TrainError::NonFinite`], which says which checkpoint, if any, is kept.
pub fn train_run(
    cfg: RunConfig,
    dir: &Path,
    resume: bool,
    on_step: impl FnMut(&StepReport),
) -> Result<Outcome> {
    let start = if resume { Start::Resume } else { Start::New };
    train_run_with(cfg, dir, start, on_step)
}

/// [`train_run`] with the way it starts spelled out.
pub fn train_run_with(
    cfg: RunConfig,
    dir: &Path,
    start_as: Start,
    mut on_step: impl FnMut(&StepReport),
) -> Result<Outcome> {
    let rd = RunDir::new(dir);
    let mut trainer = Trainer::new(cfg)?;
    let config_text = trainer.cfg.to_toml();
    let mut wall0 = 0.0;
    let mut last_checkpoint = None;
    let fresh = matches!(start_as, Start::New | Start::Replace);
    // The directory is claimed before anything is written into it, and held until the end.
    let mut lock = if fresh {
        crate::claim::new_run(dir, start_as == Start::Replace)?
    } else {
        if !dir.is_dir() {
            return Err(file(dir, "is not a run directory (it does not exist)"));
        }
        crate::claim::RunLock::claim(dir, &dir.display().to_string())?
    };
    if !fresh {
        if rd.checkpoint().exists() {
            let st = load_checkpoint(&rd.checkpoint(), &mut trainer.net, &mut trainer.opt)?;
            let step = st.step;
            if let Some(old) = &st.config {
                crate::resume::check_resume(
                    old,
                    &config_text,
                    step,
                    trainer.cfg.train.steps,
                    start_as == Start::ResumeAllowingChanges,
                )?;
            }
            trainer.restore(st)?;
            wall0 = truncate_metrics(&rd.metrics(), step)?;
            last_checkpoint = Some(step);
        } else {
            write_atomic(&rd.metrics(), HEADER.as_bytes())?;
        }
    } else {
        write_atomic(&rd.config(), config_text.as_bytes())?;
        write_atomic(&rd.metrics(), HEADER.as_bytes())?;
    }
    let mut metrics = std::fs::OpenOptions::new()
        .append(true)
        .open(rd.metrics())
        .map_err(|e| io(&rd.metrics(), e))?;
    let start = Instant::now();
    let total = trainer.cfg.train.steps;
    let every = trainer.cfg.train.checkpoint_every;
    let ckpt = rd.checkpoint();
    let mut step_walls = Vec::new();
    let trained = trainer.run(total, |t, r| {
        lock.beat();
        step_walls.push(start.elapsed().as_secs_f64());
        let wall = wall0 + start.elapsed().as_secs_f64();
        writeln!(
            metrics,
            "{},{:.6},{:.6},{:.6},{:.4},{:.6e},{:.4},{},{:.3}",
            r.step,
            r.loss,
            r.task_loss,
            r.reg,
            r.accuracy,
            r.lr,
            r.grad_norm,
            r.stage.map_or(0, |i| i + 1),
            wall
        )
        .map_err(|e| io(&rd.metrics(), e))?;
        if (every > 0 && r.step % every == 0) || r.step == total || r.stop {
            metrics.flush().map_err(|e| io(&rd.metrics(), e))?;
            save_checkpoint(&ckpt, &t.net, &t.opt, &t.checkpoint_state())?;
            last_checkpoint = Some(r.step);
        }
        on_step(r);
        Ok(())
    });
    match trained {
        Err(TrainError::NonFinite { step, what, .. }) => {
            return Err(TrainError::NonFinite {
                step,
                what,
                checkpoint: last_checkpoint,
            })
        }
        other => other?,
    }
    let train_seconds = wall0 + start.elapsed().as_secs_f64();
    save_model(&rd.model(), &trainer.net, &config_text)?;
    let (sc, rec) = evaluate(&mut trainer, None)?;
    let n_rec = trainer.cfg.eval.n_record.min(rec.n_trials).max(1);
    let kept = keep_trials(&rec, n_rec);
    kept.save_described(&rd.recording(), &recording_info(&trainer))?;
    let health = crate::health::check(&rec, &step_walls);
    write_eval(&rd.eval(), &sc, &health, &trainer, train_seconds)?;
    Ok(Outcome {
        score: sc,
        train_seconds,
        recording: kept,
        health,
    })
}

/// What a run's `recording.npz` says about itself: its task, compat mode, eval seed, time step,
/// channel and class names, and what `outputs` hold.
pub fn recording_info(trainer: &Trainer) -> neurodyn_core::FileInfo {
    let spec = trainer.task.spec();
    neurodyn_core::FileInfo {
        format: Some(neurodyn_core::RECORDING_FORMAT.to_string()),
        outputs_hold: Some(if spec.categorical { "logits" } else { "values" }.to_string()),
        ..neurodyn_tasks::file_info(spec, trainer.cfg.task.compat, trainer.cfg.eval.seed)
    }
}

/// Evaluate on fresh trials (`n` or the config's `eval.n_trials`, seed `eval.seed`), drawn from
/// the task's held-out stimuli where it has them ([`neurodyn_tasks::Task::held_out`]).
pub fn evaluate(trainer: &mut Trainer, n: Option<usize>) -> Result<(Score, Recording)> {
    let n = n.unwrap_or(trainer.cfg.eval.n_trials);
    let held_out = trainer.task.held_out();
    let task = held_out.as_deref().unwrap_or(trainer.task.as_ref());
    let trials = neurodyn_tasks::sample_trials(task, n, trainer.cfg.eval.seed);
    let rec = record(&mut trainer.net, &trials, 250)?;
    Ok((score(&rec), rec))
}

/// The first `n` trials of a recording.
pub fn keep_trials(rec: &Recording, n: usize) -> Recording {
    let n = n.min(rec.n_trials);
    let (t, u, i, o) = (rec.n_steps, rec.n_units, rec.n_in, rec.n_out);
    let mut r = rec.clone();
    r.n_trials = n;
    r.rates.truncate(n * t * u);
    for (_, g) in r.gates.iter_mut().chain(r.states.iter_mut()) {
        g.truncate(n * t * u);
    }
    r.inputs.truncate(n * t * i);
    r.outputs.truncate(n * t * o);
    r.mask.truncate(n * t);
    r.trial_len.truncate(n);
    r.targets = match &rec.targets {
        neurodyn_core::RecTargets::Class(c) => {
            neurodyn_core::RecTargets::Class(c[..n * t].to_vec())
        }
        neurodyn_core::RecTargets::Continuous(v) => {
            neurodyn_core::RecTargets::Continuous(v[..n * t * o].to_vec())
        }
    };
    for (_, b) in r.periods.iter_mut() {
        b.truncate(2 * n);
    }
    for c in r.labels.iter_mut() {
        c.values.truncate(n);
    }
    r
}

/// Write `eval.json`.
pub fn write_eval(
    path: &Path,
    sc: &Score,
    health: &Health,
    trainer: &Trainer,
    train_seconds: f64,
) -> Result<()> {
    let v = serde_json::json!({
        "accuracy": sc.accuracy,
        "strict_accuracy": sc.strict_accuracy,
        "health": health,
        "n_trials": sc.n_trials,
        "per_condition": sc.per_condition,
        "per_response": sc.per_response,
        "task": trainer.task.spec().name,
        "dt_ms": trainer.task.spec().dt_ms,
        "model": trainer.cfg.model.kind,
        "seed": trainer.cfg.seed,
        "eval_seed": trainer.cfg.eval.seed,
        "steps": trainer.step,
        "train_seconds": train_seconds,
    });
    let text = serde_json::to_string_pretty(&v).map_err(|e| file(path, e))?;
    write_atomic(path, text.as_bytes())
}

/// A trained run loaded back: its config, task and network (in f32 or f64).
pub struct Loaded<T: neurodyn_nn::Real> {
    /// The run's config.
    pub cfg: RunConfig,
    /// The task, on its held-out stimuli where it has them ([`neurodyn_tasks::Task::held_out`]):
    /// what evaluation and the analyses draw fresh trials from.
    pub task: Box<dyn neurodyn_tasks::Task>,
    /// The trained network.
    pub net: neurodyn_nn::Network<T>,
}

/// Load a trained run (config + `model.safetensors`) as a network of scalar type `T`.
pub fn load_run<T: neurodyn_nn::Real>(dir: &Path) -> Result<Loaded<T>> {
    let rd = RunDir::new(dir);
    let cfg = rd.read_config()?;
    let mut tr = Trainer::new(cfg.clone())?;
    crate::checkpoint::load_model(&rd.model(), &mut tr.net)?;
    let spec = tr.task.spec().clone();
    let mut rng = neurodyn_core::Rng::new(0);
    let mut net =
        crate::model::build::<T>(&cfg.model, spec.n_in, spec.n_out, spec.dt_ms, &mut rng)?;
    net.params = tr.net.params.iter().map(|&v| T::c(v as f64)).collect();
    net.buffers = tr.net.buffers.iter().map(|&v| T::c(v as f64)).collect();
    Ok(Loaded {
        cfg,
        task: tr.task.held_out().unwrap_or(tr.task),
        net,
    })
}

#[cfg(test)]
mod tests {
    use super::{truncate_metrics, HEADER};

    #[test]
    fn resuming_keeps_metrics_rows_from_before_the_stage_column() {
        let path =
            std::env::temp_dir().join(format!("neurodyn-metrics-{}.csv", std::process::id()));
        let old = "step,loss,task_loss,reg,accuracy,lr,grad_norm,wall_s\n\
                   1,0.5,0.5,0,0.5,1e-2,1.0,0.100\n\
                   2,0.4,0.4,0,0.6,1e-2,1.0,0.200\n\
                   3,0.3,0.3,0,0.7,1e-2,1.0,0.300\n";
        std::fs::write(&path, old).expect("write");
        let wall = truncate_metrics(&path, 2).expect("truncate");
        assert_eq!(wall, 0.2);
        let kept = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            kept,
            format!("{HEADER}1,0.5,0.5,0,0.5,1e-2,1.0,0,0.100\n2,0.4,0.4,0,0.6,1e-2,1.0,0,0.200\n")
        );
        let _ = std::fs::remove_file(&path);
    }
}
