//! `neurodyn train` and `neurodyn eval` on image tasks (CNNs and MLPs; `neurodyn_train::vision`).
//!
//! ```text
//! neurodyn train --task Mnist --seed 0 --out runs/cnn     seed 000's CNN on the embedded digits
//! neurodyn train cnn.toml --out runs/mine                 a config with [model] kind = "cnn"/"mlp"
//! neurodyn train --task Mnist --model conv-ctrnn          the convolutional CTRNN (seed 002)
//! neurodyn eval runs/cnn                                  held-out accuracy, per class, from the weights
//! ```
//!
//! A `train` command is a vision one when its `--task` is an image task (`Mnist`, `FashionMnist`,
//! `Cifar10`) or its config's `[task] name` is, or the config's `[model] kind` is `cnn`, `mlp` or
//! `conv-ctrnn`, or, with neither a task nor a config, `--model` is one of those (then on Mnist).

use crate::eval_cmd::EvalArgs;
use crate::train_cmd::TrainArgs;
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use neurodyn_train::vision::{
    eval, is_image_task, is_vision_toml, load_vision_run, resume_vision, train_vision_with,
    ImageTask, NetKind, VisionConfig,
};
use std::path::PathBuf;

/// Whether `neurodyn train` with these arguments trains an image classifier. A config that is
/// not a vision config, asked to train an image task, is an error.
pub fn wants_vision(a: &TrainArgs) -> Result<bool> {
    let task_is_image = a.task.as_deref().is_some_and(is_image_task);
    // An image model without a task or config trains on the embedded digits (Mnist).
    let model_is_image = matches!(a.model.as_deref(), Some("cnn" | "mlp" | "conv-ctrnn"));
    let Some(path) = &a.config else {
        return Ok(task_is_image || (model_is_image && a.task.is_none()));
    };
    // An unreadable config is reported where it is read.
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(false);
    };
    if is_vision_toml(&text) {
        return Ok(true);
    }
    if task_is_image {
        // A config that names neither task nor model (only [train], say) serves an image task
        // when it parses as a vision config.
        if let Err(e) = VisionConfig::from_toml(&text) {
            if neurodyn_train::RunConfig::from_toml(&text).is_ok() {
                bail!(
                    "{} is a recurrent-network config; the image task {} needs a vision config \
                     ([model] kind = \"cnn\" or \"mlp\"; see the README)",
                    path.display(),
                    a.task.as_deref().unwrap_or_default()
                );
            }
            bail!("{}: {e}", path.display());
        }
        return Ok(true);
    }
    Ok(false)
}

/// The vision config the arguments describe.
fn resolve(a: &TrainArgs) -> Result<VisionConfig> {
    if a.dt.is_some() {
        bail!("--dt does not apply to image tasks");
    }
    if a.steps.is_some() {
        bail!("--steps does not apply to image tasks; set [train] epochs in a config");
    }
    let mut cfg = match &a.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read config {}", p.display()))?;
            let (cfg, recipe) = neurodyn_train::vision::from_user_toml(
                &text,
                a.model.as_deref() == Some("conv-ctrnn"),
            )
            .map_err(|m| anyhow::anyhow!("{}: {m}", p.display()))?;
            if recipe {
                eprintln!("{}: unset keys from the conv-ctrnn recipe", p.display());
            }
            cfg
        }
        None if a.model.as_deref() == Some("conv-ctrnn") => {
            neurodyn_train::vision::conv_rnn::recipe()
        }
        None => VisionConfig::default(),
    };
    if let Some(t) = &a.task {
        cfg.task.name = t.clone();
    }
    if let Some(s) = a.seed {
        cfg.seed = s;
    }
    if let Some(m) = &a.model {
        cfg.model.kind = match m.as_str() {
            "cnn" => NetKind::Cnn,
            "mlp" => NetKind::Mlp,
            "conv-ctrnn" => NetKind::ConvCtrnn,
            other => bail!("--model for an image task is cnn, mlp or conv-ctrnn, got `{other}`"),
        };
    }
    Ok(cfg)
}

/// `neurodyn train --check` for an image task: the config checked, the images read and the
/// network built (`vision::prepare`), nothing trained or written.
pub fn check(a: &TrainArgs) -> Result<()> {
    let cfg = resolve(a)?;
    if cfg.model.kind == NetKind::ConvCtrnn {
        let p = neurodyn_train::vision::conv_rnn_run::prepare(cfg)?;
        println!(
            "config ok: task {} ({} training images, {} held out); conv-ctrnn of areas {:?}, \
             {} parameters; {} + {} steps; {} epochs of batch {}, seed {}",
            p.cfg.task.name,
            p.train_idx.len(),
            p.data.test.len(),
            p.net.net.area_shapes(),
            p.params_len(),
            p.net.protocol.spont_steps,
            p.net.protocol.steps,
            p.cfg.train.epochs,
            p.cfg.train.batch_size,
            p.cfg.seed
        );
        return Ok(());
    }
    let p = neurodyn_train::vision::train::prepare(cfg)?;
    let [_, c, h, w] = p.data.train.shape();
    println!(
        "config ok: task {} ({} training images of {c}×{h}×{w}, {} held out); {} of {} layers, \
         {} parameters; {} epochs of batch {}, seed {}",
        p.cfg.task.name,
        p.train_idx.len(),
        p.data.test.len(),
        p.cfg.model.kind.name(),
        p.net.layers.len(),
        p.net.net.params.len(),
        p.cfg.train.epochs,
        p.cfg.train.batch_size,
        p.cfg.seed
    );
    Ok(())
}

/// Train an image classifier with a progress bar (or, with `--resume RUN`, continue one from
/// its checkpoint); returns the run directory.
pub fn train(a: &TrainArgs) -> Result<PathBuf> {
    let (cfg, dir) = match &a.resume {
        Some(d) => {
            if !d.join("checkpoint.safetensors").exists() {
                eprintln!(
                    "note: {} has no checkpoint; training starts from step 0",
                    d.display()
                );
            }
            (None, d.clone())
        }
        None => {
            let cfg = resolve(a)?;
            let dir = a.out.clone().unwrap_or_else(|| {
                let task =
                    ImageTask::parse(&cfg.task.name).map_or(cfg.task.name.as_str(), |t| t.name());
                PathBuf::from(format!(
                    "runs/{task}-{}-s{}",
                    cfg.model.kind.name(),
                    cfg.seed
                ))
            });
            (Some(cfg), dir)
        }
    };
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let progress = |r: &neurodyn_train::vision::VisionStep| {
        bar.set_length(r.total_steps);
        bar.set_position(r.step);
        if r.step.is_multiple_of(10) || r.step == r.total_steps {
            bar.set_message(format!(
                "epoch {} loss {:.4} acc {:.2}",
                r.epoch, r.loss, r.accuracy
            ));
        }
    };
    let out = match cfg {
        Some(cfg) => train_vision_with(cfg, &dir, a.force, progress),
        None => resume_vision(&dir, a.allow_config_change, progress),
    };
    bar.finish_and_clear();
    let out = out?;
    println!(
        "trained in {:.1} s; accuracy {:.3} on {} held-out {} (training images: {:.3})",
        out.train_seconds,
        out.test.accuracy,
        out.test.n,
        out.task.noun(),
        out.train.accuracy
    );
    println!("run directory: {}", dir.display());
    Ok(dir)
}

/// `neurodyn eval` on a vision run: rebuild the network from `config.toml` and
/// `model.safetensors`, score it on the held-out images, print the accuracy per class.
pub fn eval(a: &EvalArgs) -> Result<()> {
    if a.trials.is_some() || a.task.is_some() || a.seed.is_some() {
        bail!(
            "{} is a vision run: it is scored on its held-out images; --trials, --task and \
             --seed apply to recurrent runs",
            a.run.display()
        );
    }
    if let Some(j) = &a.json {
        crate::check_output(j, a.force)?;
    }
    let (s, data) = if neurodyn_train::vision::conv_rnn_run::is_run(&a.run) {
        let p = neurodyn_train::vision::conv_rnn_run::load_run(&a.run)?;
        let all: Vec<usize> = (0..p.data.test.len()).collect();
        let s = neurodyn_train::vision::conv_rnn_run::score(&p.net, &p.data.test, &all, &p.norm);
        (s, p.data)
    } else {
        let p = load_vision_run(&a.run)?;
        let all: Vec<usize> = (0..p.data.test.len()).collect();
        let s = eval::score(&p.net, &p.data.test, &all, &p.norm, p.cfg.train.threads);
        (s, p.data)
    };
    // The file before anything is printed (see `eval_cmd::run`).
    if let Some(j) = &a.json {
        let v = serde_json::json!({
            "accuracy": s.accuracy,
            "n_test": s.n,
            "loss": s.loss,
            "per_class": s.per_class,
            "confusion": s.confusion,
            "class_names": data.test.class_names(),
        });
        let text = serde_json::to_string_pretty(&v)?;
        neurodyn_train::checkpoint::write_atomic(j, text.as_bytes())?;
    }
    println!(
        "accuracy {:.4} on {} held-out {} (mean cross-entropy {:.4})",
        s.accuracy,
        s.n,
        data.task.noun(),
        s.loss
    );
    let width = s
        .per_class
        .iter()
        .map(|r| r.class.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    println!("  {:<width$}  accuracy      n", "class");
    for r in &s.per_class {
        println!("  {:<width$}  {:>8.4}  {:>5}", r.class, r.accuracy, r.n);
    }
    // The confusion matrix: a row per true class, a column per predicted class (by number).
    let cell = s
        .confusion
        .iter()
        .flatten()
        .map(|c| c.to_string().len())
        .max()
        .unwrap_or(1)
        .max(s.confusion.len().saturating_sub(1).to_string().len());
    println!("confusion (rows: true class; columns: predicted class)");
    let header: Vec<String> = (0..s.confusion.len())
        .map(|c| format!("{c:>cell$}"))
        .collect();
    println!("  {:<width$}  {}", "", header.join(" "));
    for (r, row) in s.per_class.iter().zip(&s.confusion) {
        let cells: Vec<String> = row.iter().map(|c| format!("{c:>cell$}")).collect();
        println!("  {:<width$}  {}", r.class, cells.join(" "));
    }
    Ok(())
}
