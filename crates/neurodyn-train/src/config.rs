//! The run configuration: plain serde data, every field defaulted, unknown keys rejected.
//!
//! The `[model]` section's types ([`ModelConfig`], [`ModelKind`], …) live with the catalogue of
//! kinds in [`crate::model`] and are re-exported here.
//!
//! A resolved config is written into every run directory as `config.toml` and can be re-run as
//! is (`neurodyn train RUN/config.toml`). Example:
//!
//! ```toml
//! seed = 0
//! [task]
//! name = "PerceptualDecisionMaking"
//! dt_ms = 20
//! [model]
//! kind = "ctrnn"
//! n_rec = 64
//! tau_ms = 100
//! [train]
//! steps = 800
//! batch_size = 32
//! lr = 0.01
//! schedule = { kind = "exponential", lr_end = 0.0005 }
//! ```

pub use crate::model::{DaleConfig, HebbConfig, ModelConfig, ModelKey, ModelKind};
use neurodyn_nn::{Clip, Loss, OptimizerConfig, Regularizer, Schedule};
use neurodyn_tasks::{Compat, MaskConfig, ParamValue};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything a run needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Master seed: weights, data and noise all derive from it.
    pub seed: u64,
    /// The task.
    pub task: TaskSection,
    /// The network.
    pub model: ModelConfig,
    /// The optimisation.
    pub train: TrainConfig,
    /// Final evaluation and recording.
    pub eval: EvalConfig,
}

/// The task and its options (see `neurodyn tasks show NAME`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TaskSection {
    /// Task name (`PerceptualDecisionMaking`, `PerceptualDecisionMaking-v0`, `yang19.dms-v0`, …).
    pub name: String,
    /// Time step in ms (the task's default when absent).
    pub dt_ms: Option<f64>,
    /// `default` (correct by default) or `neurogym` (reproduce neurogym 2.3.1).
    pub compat: Compat,
    /// Loss-mask weights per period.
    pub mask: MaskConfig,
    /// Task parameters (coherences, noise σ, …).
    pub params: BTreeMap<String, ParamValue>,
}

impl Default for TaskSection {
    fn default() -> Self {
        TaskSection {
            name: "PerceptualDecisionMaking".into(),
            dt_ms: Some(20.0),
            compat: Compat::Default,
            mask: MaskConfig::default(),
            params: BTreeMap::new(),
        }
    }
}

impl TaskSection {
    /// As the task crate's config.
    pub fn task_config(&self) -> neurodyn_tasks::TaskConfig {
        neurodyn_tasks::TaskConfig {
            dt_ms: self.dt_ms,
            compat: self.compat,
            mask: self.mask.clone(),
            params: self.params.clone(),
        }
    }

    /// The task name and config of a curriculum stage: this section with the stage's changes.
    /// A stage on this section's task sets its parameters over `[task.params]`; a stage naming
    /// another task starts from none (the other task need not know this one's). Its mask, if
    /// given, replaces `[task.mask]` whole.
    pub fn stage_config(&self, stage: &Stage) -> (String, neurodyn_tasks::TaskConfig) {
        let mut c = self.task_config();
        if stage.task.is_some() {
            c.params.clear();
        }
        c.params
            .extend(stage.params.iter().map(|(k, v)| (k.clone(), v.clone())));
        if let Some(m) = &stage.mask {
            c.mask = m.clone();
        }
        (stage.task.clone().unwrap_or_else(|| self.name.clone()), c)
    }
}

/// How batches are formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum BatchMode {
    /// Whole trials, padded to the longest, state reset per trial.
    #[default]
    Trials,
    /// A continuous stream of back-to-back trials in windows of `window` steps, with the
    /// state carried from one window to the next (truncated BPTT).
    Stream,
}

/// The optimisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Optimizer steps.
    pub steps: u64,
    /// Trials (or stream rows) per batch.
    pub batch_size: usize,
    /// Base learning rate.
    pub lr: f64,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// Steps of linear warm-up: step k < warmup_steps uses (k+1)/warmup_steps of the scheduled
    /// rate (0 = none).
    pub warmup_steps: u64,
    /// Optimizer.
    pub optimizer: OptimizerConfig,
    /// Gradient clipping.
    pub clip: Option<Clip>,
    /// Task loss.
    pub loss: Option<Loss>,
    /// Penalties.
    pub regularizers: Vec<Regularizer>,
    /// Whole trials or a stream of windows.
    pub batching: BatchMode,
    /// Window length for `batching = "stream"`.
    pub window: usize,
    /// Steps between checkpoints (0 = only at the end).
    pub checkpoint_every: u64,
    /// Threads for large GEMMs.
    pub threads: usize,
    /// How the output error reaches the units.
    pub feedback: Feedback,
    /// The learning rule: backpropagation through time with the optimizer above, or FORCE.
    pub method: Method,
    /// Stages trained before the task itself (see [`Stage`]); empty = none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub curriculum: Vec<Stage>,
    /// End training before `steps` once the task is learned (see [`StopRule`]); none by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<StopRule>,
}

/// Early stopping: training ends after the first step at which the mean training-batch accuracy
/// over the last `window` steps on the task itself (after any curriculum) reaches `accuracy`;
/// `steps` is then the most it takes. The window's accuracies are kept in checkpoints, so a
/// resumed run stops where an uninterrupted one would, and resuming a run that stopped trains no
/// further. `eval.json`'s `steps` says how many were taken.
///
/// ```toml
/// [train]
/// steps = 5000
/// stop = { accuracy = 0.99, window = 50 }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopRule {
    /// Mean training-batch accuracy to reach, in (0, 1].
    pub accuracy: f64,
    /// Steps it is averaged over (default 50).
    #[serde(default = "fifty")]
    pub window: u64,
}

fn fifty() -> u64 {
    50
}

/// The learning rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Method {
    /// Backpropagation through time: every trainable weight follows the gradient of the loss
    /// (with `optimizer`, `lr`, `schedule`, `clip`, `regularizers`, `feedback`).
    #[default]
    Bptt,
    /// FORCE (Sussillo & Abbott 2009; `neurodyn_nn::force`): the output is fed back into the
    /// units through a fixed random matrix and the readout alone learns online, by recursive
    /// least squares, while each batch runs; `steps` counts batches. Needs a `ctrnn` without
    /// Dale's law, connectivity mask or trained initial state, and continuous targets or classes
    /// (regressed as one-hot vectors); the gradient settings do not apply, and setting one is
    /// refused by key.
    Force {
        /// `P₀ = I/alpha`: the ridge penalty, i.e. how far the first updates may move (small
        /// alpha, large steps).
        #[serde(default = "one")]
        alpha: f64,
        /// Steps between updates.
        #[serde(default = "two")]
        every: usize,
        /// The feedback weights are uniform in ±feedback_scale.
        #[serde(default = "one")]
        feedback_scale: f64,
    },
}

fn one() -> f64 {
    1.0
}

fn two() -> usize {
    2
}

/// How the output error reaches the recurrent units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Feedback {
    /// Through the transposed readout, as the gradient says (backpropagation through time).
    #[default]
    Backprop,
    /// From the readout through a fixed random matrix drawn from the seed instead of the
    /// readout's transpose (feedback alignment, Lillicrap et al. 2016, at the output layer): the
    /// readout learns with its own gradient and comes to align with that matrix. Inside the
    /// network, through time, the gradient is still backpropagated (the recurrent weights'
    /// transpose is not replaced).
    ReadoutAlignment,
}

/// One stage of a curriculum: the optimizer steps after the earlier stages train on the task as
/// this stage changes it, for `steps` steps or, with `until_accuracy`, until the training-batch
/// accuracy averaged over the stage's last `accuracy_steps` steps reaches it (at most `steps`).
/// After the last stage, the `[task]` section's task takes the remaining steps. Step k's batch
/// is drawn from the seed and k whichever task it comes from, and a checkpoint keeps where the
/// curriculum stands, so a resumed run repeats an uninterrupted one bit for bit. Evaluation, and
/// the class weights of an empty `weighted-cross-entropy`, use the task itself, not the stages.
///
/// ```toml
/// [[train.curriculum]]          # 600 steps with a 200 ms delay
/// steps = 600
/// params = { delay_ms = 200 }
/// [[train.curriculum]]          # then 500 ms until 90 % correct (at most 2000 steps);
/// steps = 2000                  # then the task's own 1000 ms
/// until_accuracy = 0.9
/// params = { delay_ms = 500 }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Optimizer steps in this stage (≥ 1).
    pub steps: u64,
    /// The task of this stage (default: the `[task]` section's); it must have the same inputs,
    /// outputs, kind of target and time step (`[task] dt_ms` sets it for both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Task parameters set for this stage: over `[task.params]` on the section's own task, alone
    /// on another task.
    #[serde(default)]
    pub params: BTreeMap<String, ParamValue>,
    /// Loss-mask weights for this stage, replacing `[task.mask]` whole (default: `[task.mask]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<MaskConfig>,
    /// End the stage once the mean training-batch accuracy over its last `accuracy_steps` steps
    /// reaches this (tasks with class targets; `steps` is then the most the stage takes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_accuracy: Option<f64>,
    /// Steps that `until_accuracy` averages over (default [`Stage::DEFAULT_ACCURACY_STEPS`], or
    /// the stage's `steps` if fewer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_steps: Option<u64>,
}

impl Stage {
    /// Steps `until_accuracy` averages over when `accuracy_steps` is not given.
    pub const DEFAULT_ACCURACY_STEPS: u64 = 20;

    /// A stage of `steps` steps on the `[task]` section's task with these parameters.
    pub fn with_params(steps: u64, params: BTreeMap<String, ParamValue>) -> Stage {
        Stage {
            steps,
            task: None,
            params,
            mask: None,
            until_accuracy: None,
            accuracy_steps: None,
        }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            steps: 1000,
            batch_size: 32,
            lr: 0.01,
            schedule: Schedule::Exponential { lr_end: 5e-4 },
            warmup_steps: 0,
            optimizer: OptimizerConfig::default(),
            clip: Some(Clip::Norm { max_norm: 1.0 }),
            loss: None,
            regularizers: Vec::new(),
            batching: BatchMode::Trials,
            window: 100,
            checkpoint_every: 100,
            threads: 1,
            feedback: Feedback::Backprop,
            method: Method::Bptt,
            curriculum: Vec::new(),
            stop: None,
        }
    }
}

/// Final evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvalConfig {
    /// Fresh trials scored after training.
    pub n_trials: usize,
    /// Trials kept in `recording.npz`.
    pub n_record: usize,
    /// Seed of the evaluation trials (distinct from training data by construction).
    pub seed: u64,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            n_trials: 1000,
            n_record: 200,
            seed: 1_000_003,
        }
    }
}

impl RunConfig {
    /// Parse TOML, naming the offending key on error.
    pub fn from_toml(text: &str) -> Result<RunConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Serialise as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self)
            .unwrap_or_else(|e| format!("# could not serialise config: {e}\n"))
    }
}
