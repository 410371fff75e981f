//! The [`Task`] trait and its [`TaskSpec`], plus the per-task [`Setup`] shared by every task file
//! (time step, compat mode, mask weights).
//!
//! A task is immutable once built: `trial(&self, rng)` draws a condition and renders it, so one
//! task can serve many threads, each with its own [`Rng`].

use crate::config::{Compat, MaskConfig, TaskConfig};
use crate::error::TaskError;
use crate::timeline::{Duration, Timeline};
use neurodyn_core::{Rng, Trial};

/// What a task is: sizes, channel names, labels and provenance.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskSpec {
    /// Paradigm name, e.g. `PerceptualDecisionMaking`.
    pub name: String,
    /// Input channels.
    pub n_in: usize,
    /// Output channels (for categorical tasks: classes including 0 = fixate).
    pub n_out: usize,
    /// Time step in ms.
    pub dt_ms: f64,
    /// `true`: targets are class indices; `false`: continuous `(n_steps, n_out)` targets.
    pub categorical: bool,
    /// One name per input channel.
    pub input_names: Vec<String>,
    /// One name per output channel / class.
    pub output_names: Vec<String>,
    /// Names of the condition labels every trial carries, in order.
    pub label_names: Vec<String>,
    /// The label to put on the x axis of a psychometric curve. Tasks with a
    /// `signed_coherence` label use that one: positive = evidence for choice 1.
    pub evidence_label: Option<String>,
    /// Free-form tags (`perceptual`, `working memory`, `timing`, `neurogym`, `yang19`, …).
    pub tags: Vec<String>,
    /// The paper the paradigm comes from.
    pub paper: String,
    /// One paragraph on what the network must do.
    pub description: String,
}

/// A cognitive task: a spec and a trial generator. Object safe and shareable across threads.
pub trait Task: Send + Sync {
    /// The task's description.
    fn spec(&self) -> &TaskSpec;
    /// Draw one trial.
    fn trial(&self, rng: &mut Rng) -> Trial;
    /// The same task on stimuli kept out of training, for evaluation and analysis; `None` (the
    /// default) where the task draws its stimuli afresh for every trial. Tasks on a fixed set of
    /// images (DelayMatchDigit) train on one part of it and are scored on the other.
    fn held_out(&self) -> Option<Box<dyn Task>> {
        None
    }
}

/// The part of a [`TaskConfig`] every task keeps: validated dt, compat mode, mask weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Setup {
    /// Time step in ms (> 0).
    pub dt_ms: f64,
    /// Semantics.
    pub compat: Compat,
    /// Loss-mask weights.
    pub mask: MaskConfig,
}

/// The finest time step a task accepts, in ms (50 000 steps for a 5 s trial).
pub const MIN_DT_MS: f64 = 0.1;

impl Setup {
    /// Validate the common part of a config (`default_dt` when the config leaves dt unset).
    pub fn new(task: &str, cfg: &TaskConfig, default_dt: f64) -> Result<Self, TaskError> {
        let dt_ms = cfg.dt_ms.unwrap_or(default_dt);
        if !(dt_ms.is_finite() && dt_ms > 0.0) {
            return Err(TaskError::InvalidDt {
                task: task.to_string(),
                dt_ms,
                message: "must be a positive number of ms".into(),
            });
        }
        if dt_ms < MIN_DT_MS {
            return Err(TaskError::InvalidDt {
                task: task.to_string(),
                dt_ms,
                message: format!(
                    "must be at least {MIN_DT_MS} ms: trials last seconds, and at finer steps a batch of them would not fit in memory"
                ),
            });
        }
        let m = &cfg.mask;
        let bad_w = m
            .period_weights
            .iter()
            .find(|(_, w)| !(w.is_finite() && **w >= 0.0));
        if let Some((name, w)) = bad_w {
            return Err(TaskError::InvalidParam {
                task: task.to_string(),
                key: format!("mask.period_weights.{name}"),
                message: format!("weight must be finite and ≥ 0, got {w}"),
            });
        }
        let ok = |x: f64| x.is_finite() && x >= 0.0;
        if !ok(f64::from(m.response_weight)) || !ok(m.grace_ms) {
            return Err(TaskError::InvalidParam {
                task: task.to_string(),
                key: "mask".into(),
                message: "response_weight and grace_ms must be finite and ≥ 0".into(),
            });
        }
        Ok(Setup {
            dt_ms,
            compat: cfg.compat,
            mask: cfg.mask.clone(),
        })
    }

    /// An empty timeline on this setup's grid.
    pub fn timeline(&self) -> Timeline {
        Timeline::new(self.dt_ms, self.compat)
    }

    /// Per-step input-noise SD for a noise level `sigma`: `sigma / √dt` (Euler–Maruyama scaling,
    /// so noise integrated over a fixed time has a dt-independent variance).
    pub fn noise_sd(&self, sigma: f64) -> f32 {
        (sigma / self.dt_ms.sqrt()) as f32
    }

    /// Whether neurogym-compatible semantics were asked for.
    pub fn neurogym(&self) -> bool {
        self.compat == Compat::Neurogym
    }
}

/// A categorical [`TaskSpec`] from its parts (set `categorical = false` afterwards for
/// continuous tasks).
pub(crate) fn make_spec(
    name: &str,
    setup: &Setup,
    input_names: Vec<String>,
    output_names: Vec<String>,
    labels: &[&str],
    evidence: Option<&str>,
    tags: &[&str],
    paper: &str,
    description: &str,
) -> TaskSpec {
    TaskSpec {
        name: name.to_string(),
        n_in: input_names.len(),
        n_out: output_names.len(),
        dt_ms: setup.dt_ms,
        categorical: true,
        input_names,
        output_names,
        label_names: names(labels),
        evidence_label: evidence.map(str::to_string),
        tags: names(tags),
        paper: paper.to_string(),
        description: description.to_string(),
    }
}

/// Lay out `(name, duration)` periods back to back on the setup's grid.
pub(crate) fn lay_out(setup: &Setup, timing: &[(&str, Duration)], rng: &mut Rng) -> Timeline {
    let mut tl = setup.timeline();
    for (name, d) in timing {
        tl.push_sampled(name, d, rng);
    }
    tl
}

/// `["fixate", "choice1", …]`-style output names: `fixate` then `n` choices.
pub(crate) fn choice_names(n: usize) -> Vec<String> {
    let mut v = names(&["fixate"]);
    v.extend((1..=n).map(|i| format!("choice{i}")));
    v
}

/// Owned strings from string slices (for spec fields).
pub(crate) fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// `prefix0 .. prefix{n-1}` names for a ring of channels.
pub(crate) fn ring_names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// Implement [`Task`] for a type with `spec` field and `sample`/`render` methods.
macro_rules! impl_task {
    ($t:ty) => {
        impl $crate::task::Task for $t {
            fn spec(&self) -> &$crate::task::TaskSpec {
                &self.spec
            }
            fn trial(&self, rng: &mut neurodyn_core::Rng) -> neurodyn_core::Trial {
                let c = self.sample(rng);
                self.render(&c, rng)
            }
        }
    };
}
pub(crate) use impl_task;

/// Types that build from a [`TaskConfig`].
pub trait FromConfig: Sized {
    /// Validate the config and build.
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError>;
}
