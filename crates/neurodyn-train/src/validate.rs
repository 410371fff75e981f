//! Checks of the training section that need the task (its kind of targets) and of what FORCE
//! can train; the model's own checks are `model::validate`.

use crate::config::{BatchMode, Feedback, RunConfig};
use crate::error::{config, Result};
use crate::model::ModelKind;

/// Check the training section.
pub(crate) fn validate(cfg: &RunConfig, categorical: bool) -> Result<()> {
    let t = &cfg.train;
    if t.batch_size == 0 {
        return Err(config("train.batch_size", "must be ≥ 1"));
    }
    if !(t.lr.is_finite() && t.lr > 0.0) {
        return Err(config(
            "train.lr",
            format!("must be a positive number, got {}", t.lr),
        ));
    }
    t.optimizer
        .validate()
        .map_err(|m| config("train.optimizer", m))?;
    t.schedule
        .validate()
        .map_err(|m| config("train.schedule", m))?;
    if let Some(c) = &t.clip {
        c.validate().map_err(|m| config("train.clip", m))?;
    }
    if t.batching == BatchMode::Stream && t.window == 0 {
        return Err(config("train.window", "must be ≥ 1 in stream mode"));
    }
    if t.threads == 0 || t.threads > 64 {
        return Err(config("train.threads", "must be between 1 and 64"));
    }
    if let Some(l) = &t.loss {
        if l.is_categorical() != categorical {
            return Err(config(
                "train.loss",
                if categorical {
                    "this task has class targets: use cross-entropy, weighted-cross-entropy or mutual-information"
                } else {
                    "this task has continuous targets: use mse"
                },
            ));
        }
    }
    if let Some(stop) = &t.stop {
        if !(stop.accuracy > 0.0 && stop.accuracy <= 1.0) {
            return Err(config(
                "train.stop.accuracy",
                format!("must be in (0, 1], got {}", stop.accuracy),
            ));
        }
        if stop.window == 0 {
            return Err(config("train.stop.window", "must be ≥ 1"));
        }
        if !categorical || t.batching == BatchMode::Stream {
            return Err(config(
                "train.stop",
                "needs a task with class targets and batching = \"trials\" (training accuracy is undefined otherwise)",
            ));
        }
    }
    if cfg.eval.n_trials == 0 {
        return Err(config("eval.n_trials", "must be ≥ 1"));
    }
    if !t.curriculum.is_empty() && t.batching == BatchMode::Stream {
        return Err(config(
            "train.curriculum",
            "needs batching = \"trials\" (a stream of trials cannot change task between windows)",
        ));
    }
    Ok(())
}

/// What FORCE cannot train, and the settings of the objective it would ignore (penalties, a
/// loss, feedback alignment), named by key. The optimizer's settings (`lr`, `schedule`,
/// `optimizer`, `clip`, `warmup_steps`) all have defaults, so they cannot tell set from unset;
/// FORCE does not use them.
pub(crate) fn validate_force(cfg: &RunConfig) -> Result<()> {
    let (m, t) = (&cfg.model, &cfg.train);
    let refuse = |key: &str, why: &str| Err(config(key, format!("{why} (train.method is FORCE)")));
    if m.kind != ModelKind::Ctrnn {
        return refuse(
            "model.kind",
            "FORCE folds the output feedback into the recurrent weights: it needs kind = \"ctrnn\"",
        );
    }
    if m.dale.is_some() || m.connectivity < 1.0 {
        return refuse(
            "model",
            "the feedback loop adds a dense rank-n_out matrix to W_rec, which Dale's law or a connectivity mask would cut",
        );
    }
    if m.train_h0 || m.learn_tau {
        return refuse(
            if m.train_h0 {
                "model.train_h0"
            } else {
                "model.learn_tau"
            },
            "FORCE learns only the readout",
        );
    }
    if !t.regularizers.is_empty() {
        return refuse(
            "train.regularizers",
            "recursive least squares has its own penalty, alpha; penalties on weights or activity do not apply",
        );
    }
    if t.loss.is_some() {
        return refuse(
            "train.loss",
            "FORCE minimises the squared error to the targets (classes as one-hot vectors); leave the loss unset",
        );
    }
    if t.feedback != Feedback::Backprop {
        return refuse(
            "train.feedback",
            "feedback alignment is a variant of backpropagation",
        );
    }
    // The gradient step's settings: accepted only at their defaults, which nothing reads, so
    // that a value someone set on purpose is not silently dropped.
    let d = crate::config::TrainConfig::default();
    let set = [
        ("train.lr", t.lr != d.lr),
        ("train.schedule", t.schedule != d.schedule),
        ("train.warmup_steps", t.warmup_steps != d.warmup_steps),
        ("train.optimizer", t.optimizer != d.optimizer),
        ("train.clip", t.clip != d.clip),
    ];
    if let Some((key, _)) = set.iter().find(|(_, differs)| *differs) {
        return refuse(
            key,
            "recursive least squares sets its own step (its gain, from alpha); the optimizer, learning rate, schedule, warm-up and clipping do not apply: leave them unset",
        );
    }
    Ok(())
}
