//! `neurodyn train`: resolve a config (file, recipe, flags), train into a run directory. Image
//! tasks (CNNs, MLPs) go to `vision_cmd`.

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use neurodyn_train::vision::front_end;
use neurodyn_train::{recipes, train_run_with, Outcome, RunConfig, RunDir, Start};
use std::path::{Path, PathBuf};

/// Arguments of `neurodyn train`.
#[derive(Args, Debug, Clone, Default)]
pub struct TrainArgs {
    /// A TOML config (see the README); flags below override it.
    pub config: Option<PathBuf>,
    /// Task name (e.g. PerceptualDecisionMaking, yang19.dms-v0, or the image tasks Mnist,
    /// FashionMnist, Cifar10). Without a config, its default recipe.
    #[arg(long)]
    pub task: Option<String>,
    /// Model kind: ctrnn, ei-ctrnn, stp-ctrnn, hebb-ctrnn, vanilla, gru, lstm, light-gru, enu-light-gru, ei-light-gru;
    /// cnn, mlp or conv-ctrnn for an image task.
    #[arg(long)]
    pub model: Option<String>,
    /// Time step (ms).
    #[arg(long)]
    pub dt: Option<f64>,
    /// Seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Optimizer steps.
    #[arg(long)]
    pub steps: Option<u64>,
    /// Run directory (default runs/TASK-MODEL-sSEED).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Resume the run in this directory from its last checkpoint, with the config it was
    /// trained with (an edited config.toml is refused, naming the keys that differ).
    #[arg(long, conflicts_with_all = ["config", "task", "model", "dt", "seed", "steps", "out"])]
    pub resume: Option<PathBuf>,
    /// With --resume: continue although config.toml changed `train.steps` (e.g. to train
    /// longer), `train.checkpoint_every`, `train.threads` or `[eval]` (other keys stay refused).
    #[arg(long, requires = "resume")]
    pub allow_config_change: bool,
    /// Replace what --out holds of another run (its config, weights, checkpoint, metrics,
    /// recording, figures, analyses and report are removed first; other files are kept).
    /// Without it a directory holding any of those is refused.
    #[arg(long, conflicts_with_all = ["resume", "check"])]
    pub force: bool,
    /// A trained vision run (`--task Mnist`: cnn, mlp or conv-ctrnn) as the frozen visual front
    /// end of an image task (DelayMatchDigit): one layer's features of the run's training and
    /// held-out images are written to FRONT_END/front_end/LAYER.npz (also with --check), and the
    /// task reads them.
    /// Without it (and without [task.params] front_end), DelayMatchDigit first trains seed 000's
    /// CNN into OUT/front_end_cnn.
    #[arg(long, conflicts_with = "resume")]
    pub front_end: Option<PathBuf>,
    /// With --front-end: the layer, by its name in the run's activations.npz (default: the
    /// layer before the output; a conv-ctrnn's `pool`, what its readout reads).
    #[arg(long, requires = "front_end")]
    pub front_end_layer: Option<String>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Check the config and say what it builds (task, network, parameters, steps), without
    /// training or writing anything; exits non-zero naming the first key that is wrong.
    #[arg(long, conflicts_with = "resume")]
    pub check: bool,
}

/// `neurodyn train --check`: every check a run's config gets ([`RunConfig::plan`]), then what it
/// builds.
pub fn check(a: &TrainArgs) -> Result<()> {
    let (cfg, base) = resolve(a)?;
    if a.config.is_some() {
        println!("unset keys from {base}");
    }
    if front_end::needs_default_front_end(&cfg) {
        println!(
            "front end: `train` would first train seed 000's CNN (seed {}) into OUT/front_end_cnn \
             and feed its features to the network; checked here with the pixel front end",
            cfg.seed
        );
    }
    let plan = cfg.plan()?;
    let spec = plan.task.spec();
    let cfg = &plan.cfg;
    println!(
        "config ok: task {} ({} inputs, {} outputs, dt {} ms{}); {} network of {} units, {} \
         parameters; {} steps of {} trials, seed {}",
        spec.name,
        spec.n_in,
        spec.n_out,
        spec.dt_ms,
        if plan.stages.is_empty() {
            String::new()
        } else {
            format!(", {} curriculum stages", plan.stages.len())
        },
        cfg.model.kind,
        plan.net.n_units(),
        plan.net.params.len(),
        cfg.train.steps,
        cfg.train.batch_size,
        cfg.seed
    );
    Ok(())
}

/// Resolve the config the flags describe, and say what its unset keys came from.
pub fn resolve(a: &TrainArgs) -> Result<(RunConfig, recipes::Base)> {
    let kind = a.model.as_deref().map(str::parse).transpose()?;
    let (mut cfg, base) = match &a.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read config {}", p.display()))?;
            recipes::from_user_toml(&text, a.task.as_deref(), kind)
                .map_err(|m| anyhow::anyhow!("{}: {m}", p.display()))?
        }
        None => {
            let mut cfg = recipes::recipe(
                a.task.as_deref().unwrap_or("PerceptualDecisionMaking"),
                a.seed.unwrap_or(0),
            );
            if let Some(k) = kind {
                // The recipe's per-model adjustments apply.
                cfg = recipes::with_model(cfg, k);
            }
            let base = recipes::Base::Recipe(cfg.task.name.clone());
            (cfg, base)
        }
    };
    if let Some(dt) = a.dt {
        cfg.task.dt_ms = Some(dt);
    }
    if let Some(s) = a.seed {
        cfg.seed = s;
    }
    if let Some(s) = a.steps {
        cfg.train.steps = s;
    }
    if let Some(run) = &a.front_end {
        let path = front_end::write_front_end(run, a.front_end_layer.as_deref())?;
        set_front_end(&mut cfg, &path);
    }
    Ok((cfg, base))
}

/// Point the task's `front_end` at a features file (by its absolute path, so the run's
/// config.toml reads the same from anywhere).
fn set_front_end(cfg: &mut RunConfig, path: &Path) {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    eprintln!("front end: {}", path.display());
    cfg.task.params.insert(
        "front_end".into(),
        neurodyn_tasks::ParamValue::Text(path.display().to_string()),
    );
}

/// A progress bar over `total` with `template` (indicatif's), hidden when `quiet`.
pub fn progress_bar(total: u64, quiet: bool, template: &str) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// Train with a progress bar; returns the run directory and outcome.
pub fn train_with_progress(
    cfg: RunConfig,
    dir: &Path,
    start: Start,
    quiet: bool,
) -> Result<Outcome> {
    let total = cfg.train.steps;
    let bar = progress_bar(
        total,
        quiet,
        "{elapsed_precise} [{bar:30}] {pos}/{len} {per_sec:>9} eta {eta:>3} {msg}",
    );
    let n_stages = cfg.train.curriculum.len();
    let mut stopped_at = None;
    let out = train_run_with(cfg, dir, start, |r| {
        bar.set_position(r.step);
        if r.stop {
            stopped_at = Some(r.step);
        }
        if r.step % 10 == 0 || r.step == total {
            let stage = match r.stage {
                Some(i) => format!("stage {}/{n_stages} ", i + 1),
                None if n_stages == 0 => String::new(),
                None => "task ".into(),
            };
            bar.set_message(format!("{stage}loss {:.4} acc {:.2}", r.loss, r.accuracy));
        }
    });
    bar.finish_and_clear();
    let out = out?;
    if let Some(k) = stopped_at {
        eprintln!("stopped early after step {k} of {total}: train.stop's accuracy was reached");
    }
    for w in &out.health.warnings {
        eprintln!("warning: network health: {w}");
    }
    Ok(out)
}

/// Run `neurodyn train` on a cognitive task (`main` sends image tasks to `vision_cmd::train`).
pub fn run(a: TrainArgs) -> Result<PathBuf> {
    let (cfg, dir, start) = match &a.resume {
        Some(d) => {
            let rd = RunDir::new(d);
            let cfg = rd.read_config()?;
            if !rd.checkpoint().exists() {
                eprintln!(
                    "note: {} has no checkpoint; training starts from step 0",
                    d.display()
                );
            }
            let start = if a.allow_config_change {
                Start::ResumeAllowingChanges
            } else {
                Start::Resume
            };
            (cfg, d.clone(), start)
        }
        None => {
            let (mut cfg, base) = resolve(&a)?;
            if let Some(p) = &a.config {
                eprintln!("{}: unset keys from {base}", p.display());
            }
            let dir = a.out.clone().unwrap_or_else(|| {
                PathBuf::from(format!(
                    "runs/{}-{}-s{}",
                    cfg.task.name, cfg.model.kind, cfg.seed
                ))
            });
            if front_end::needs_default_front_end(&cfg) {
                // An occupied --out is refused before the CNN trains, not after.
                drop(neurodyn_train::claim::new_run(&dir, a.force)?);
                let cnn = dir.join("front_end_cnn");
                eprintln!(
                    "front end: seed 000's CNN on the embedded digits (seed {}) in {} (~10 s; \
                     --front-end RUN gives a trained one)",
                    cfg.seed,
                    cnn.display()
                );
                let path = front_end::default_front_end(&cnn, cfg.seed, a.force)?;
                set_front_end(&mut cfg, &path);
            }
            (cfg, dir, if a.force { Start::Replace } else { Start::New })
        }
    };
    let out = train_with_progress(cfg, &dir, start, a.quiet)?;
    let strict = out
        .score
        .strict_accuracy
        .map_or(String::new(), |s| format!(" ({s:.3} holding fixation)"));
    println!(
        "trained in {:.1} s; accuracy {:.3}{strict} on {} fresh trials",
        out.train_seconds, out.score.accuracy, out.score.n_trials
    );
    if !out.score.per_response.is_empty() {
        let cells: Vec<String> = out
            .score
            .per_response
            .iter()
            .map(|r| format!("{:.3}", r.accuracy))
            .collect();
        println!("accuracy per response window: {}", cells.join(" / "));
    }
    println!("run directory: {}", dir.display());
    Ok(dir)
}
