//! What a vision training run reports, whichever network it trains: each step
//! ([`VisionStep`], a row of `metrics.csv`) and the outcome ([`VisionOutcome`]); and the check of
//! the `[train]` numbers that every vision run makes first.

use crate::error::{config, Result};
use crate::vision::config::VisionConfig;
use crate::vision::data;
use crate::vision::eval::ClassScore;

/// Check the `[train]` and `[eval]` numbers.
pub(crate) fn validate(cfg: &VisionConfig) -> Result<()> {
    let t = &cfg.train;
    for (key, v) in [
        ("train.epochs", t.epochs),
        ("train.batch_size", t.batch_size),
        ("train.threads", t.threads),
    ] {
        if v == 0 {
            return Err(config(key, "must be ≥ 1"));
        }
    }
    if !(t.lr.is_finite() && t.lr > 0.0) {
        return Err(config(
            "train.lr",
            format!("must be a finite number > 0, got {}", t.lr),
        ));
    }
    t.optimizer
        .validate()
        .map_err(|m| config("train.optimizer", m))?;
    if let Some(c) = &t.clip {
        c.validate()
            .map_err(|e| config("train.clip", e.to_string()))?;
    }
    if let Some(a) = &t.augment {
        a.validate().map_err(|(key, m)| config(&key, m))?;
    }
    t.schedule
        .validate()
        .map_err(|m| config("train.schedule", m))
}

/// One training step, as `metrics.csv` records it.
#[derive(Clone, Debug, PartialEq)]
pub struct VisionStep {
    /// Epoch, from 1.
    pub epoch: usize,
    /// Optimizer step, from 1 over all epochs.
    pub step: u64,
    /// Steps in the whole run.
    pub total_steps: u64,
    /// Mean cross-entropy of the batch.
    pub loss: f64,
    /// Fraction of the batch classified correctly.
    pub accuracy: f64,
    /// Learning rate of the step.
    pub lr: f64,
    /// Seconds since training began.
    pub wall_s: f64,
}

impl VisionStep {
    /// The step's row of `metrics.csv` (columns of `files::METRICS_HEADER`), without the newline.
    pub fn csv_row(&self) -> String {
        format!(
            "{},{},{:.6},{:.4},{:.6e},{:.3}",
            self.epoch, self.step, self.loss, self.accuracy, self.lr, self.wall_s
        )
    }
}

/// The result of a vision run.
#[derive(Clone, Debug)]
pub struct VisionOutcome {
    /// The task trained on.
    pub task: data::ImageTask,
    /// Score on the held-out images.
    pub test: ClassScore,
    /// Score on the training images.
    pub train: ClassScore,
    /// Wall time of the training loop (s).
    pub train_seconds: f64,
}
