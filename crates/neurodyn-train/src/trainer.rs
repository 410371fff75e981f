//! The training loop: one optimizer step at a time, every random draw derived from the seed.
//!
//! Step k's batch is generated from seed stream `(seed, DATA + k)` and its noise from
//! `(seed, NOISE + k)`; initial weights come from `(seed, INIT)`, a feedback-alignment
//! matrix from `(seed, FEEDBACK)` and FORCE's feedback weights from `(seed, FORCE)`. Nothing else is random, so a run resumed from a checkpoint at
//! step k continues with exactly the draws an uninterrupted run would have made, and its final
//! weights are bit-identical.

use crate::checkpoint::CheckpointState;
use crate::config::{BatchMode, Feedback, Method, RunConfig, Stage};
use crate::error::{config, Result, TrainError};
use crate::model::{self, ModelKind};
use neurodyn_core::{Batch, BatchTargets, Rng};
use neurodyn_nn::force::Force;
use neurodyn_nn::objective::BatchRef;
use neurodyn_nn::NnError;
use neurodyn_nn::{Loss, LossTargets, Network, Objective, Optimizer, Workspace};
use neurodyn_tasks::{Layout, Stream, Task};

const INIT: u64 = 0;
const DATA: u64 = 1 << 40;
const NOISE: u64 = 2 << 40;
const WEIGHTS: u64 = 3 << 40;
const FEEDBACK: u64 = 4 << 40;
const FORCE: u64 = 5 << 40;

/// What one step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepReport {
    /// Steps completed after this one (1-based).
    pub step: u64,
    /// Total loss.
    pub loss: f64,
    /// Task loss.
    pub task_loss: f64,
    /// Penalties.
    pub reg: f64,
    /// Trial accuracy on this training batch (NaN in stream mode).
    pub accuracy: f64,
    /// Learning rate used (FORCE: the mean RLS gain `1/(1/m + rᵀPr)` of the batch's updates).
    pub lr: f64,
    /// Gradient norm before clipping (FORCE: the norm of the batch's change of `W_out`).
    pub grad_norm: f64,
    /// The curriculum stage this step trained on (0-based); `None`: the task itself.
    pub stage: Option<usize>,
}

/// Where a curriculum stands: the stage that trains next (`stage` = the number of stages once
/// the task itself trains), the step it began at, and, for a stage that ends on accuracy, the
/// training accuracies of its latest steps (as many as it averages over). Checkpoints keep it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    /// The stage that trains next (0-based).
    pub stage: usize,
    /// The step that stage began at.
    pub since: u64,
    /// Its latest training-batch accuracies, oldest first.
    pub recent: Vec<f64>,
}

/// A network being trained on a task.
pub struct Trainer {
    /// The resolved config.
    pub cfg: RunConfig,
    /// The task (after the curriculum, if any; evaluation uses it).
    pub task: Box<dyn Task>,
    /// The curriculum's tasks, in stage order.
    pub stages: Vec<Box<dyn Task>>,
    /// Where the curriculum stands.
    pub progress: Progress,
    /// The network (f32).
    pub net: Network<f32>,
    /// Optimizer state.
    pub opt: Optimizer,
    /// Loss and penalties.
    pub objective: Objective,
    /// Steps completed.
    pub step: u64,
    /// Carried state in stream mode.
    pub carry: Option<Vec<f32>>,
    /// FORCE's state when `train.method` is FORCE (the network then holds the folded weights).
    pub force: Option<Force>,
    ws: Workspace<f32>,
    grads: Vec<f32>,
}

/// Check the training section.
fn validate(cfg: &RunConfig, categorical: bool) -> Result<()> {
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

/// Build the curriculum's tasks, checking that every stage fits the network built for `task`,
/// that its accuracy criterion can be met, and that the stages leave steps for the task itself.
fn build_stages(cfg: &RunConfig, task: &dyn Task) -> Result<Vec<Box<dyn Task>>> {
    let spec = task.spec();
    let mut stages = Vec::with_capacity(cfg.train.curriculum.len());
    for (i, stage) in cfg.train.curriculum.iter().enumerate() {
        let key = format!("train.curriculum[{i}]");
        if stage.steps == 0 {
            return Err(config(&key, "steps must be ≥ 1"));
        }
        if let Some(a) = stage.until_accuracy {
            if !(a > 0.0 && a <= 1.0) {
                return Err(config(
                    &key,
                    format!("until_accuracy must be in (0, 1], got {a}"),
                ));
            }
            if !spec.categorical {
                return Err(config(
                    &key,
                    "until_accuracy needs a task with class targets (trial accuracy is undefined for continuous ones)",
                ));
            }
        }
        match (stage.accuracy_steps, stage.until_accuracy) {
            (Some(_), None) => {
                return Err(config(&key, "accuracy_steps needs until_accuracy"));
            }
            (Some(n), Some(_)) if n == 0 || n > stage.steps => {
                return Err(config(
                    &key,
                    format!(
                        "accuracy_steps must be between 1 and the stage's steps ({}), got {n}",
                        stage.steps
                    ),
                ));
            }
            _ => {}
        }
        let (name, tc) = cfg.task.stage_config(stage);
        let t = neurodyn_tasks::build(&name, &tc).map_err(|e| config(&key, e.to_string()))?;
        let s = t.spec();
        let fits = |what: &str, ours: String, theirs: String| {
            if ours == theirs {
                Ok(())
            } else {
                let hint = if what == "dt_ms" {
                    " (set [task] dt_ms: it applies to every stage)"
                } else {
                    ""
                };
                Err(config(
                    &key,
                    format!(
                        "{what}: {ours} in this stage ({name}), {theirs} in the [task] section's task ({}); a stage must fit the same network{hint}",
                        spec.name
                    ),
                ))
            }
        };
        fits("inputs", s.n_in.to_string(), spec.n_in.to_string())?;
        fits("outputs", s.n_out.to_string(), spec.n_out.to_string())?;
        fits("dt_ms", s.dt_ms.to_string(), spec.dt_ms.to_string())?;
        let kind = |c: bool| if c { "classes" } else { "continuous" }.to_string();
        fits("targets", kind(s.categorical), kind(spec.categorical))?;
        stages.push(t);
    }
    let end = cfg
        .train
        .curriculum
        .iter()
        .fold(0u64, |sum, s| sum.saturating_add(s.steps));
    if !stages.is_empty() && end >= cfg.train.steps {
        return Err(config(
            "train.curriculum",
            format!(
                "its stages take up to {end} of the train.steps = {} steps; the task itself must get some",
                cfg.train.steps
            ),
        ));
    }
    Ok(stages)
}

impl Trainer {
    /// Build the task and a freshly initialised network from a config.
    pub fn new(cfg: RunConfig) -> Result<Trainer> {
        let task = neurodyn_tasks::build(&cfg.task.name, &cfg.task.task_config())?;
        let spec = task.spec().clone();
        validate(&cfg, spec.categorical)?;
        if matches!(cfg.train.method, Method::Force { .. }) {
            // Before the model's own checks: FORCE's refusal of the kind comes first.
            validate_force(&cfg)?;
        }
        let stages = build_stages(&cfg, task.as_ref())?;
        let mut rng = Rng::with_stream(cfg.seed, INIT);
        let mut net = model::build::<f32>(&cfg.model, spec.n_in, spec.n_out, spec.dt_ms, &mut rng)?;
        net.threads = cfg.train.threads;
        if cfg.train.feedback == Feedback::ReadoutAlignment {
            net.set_random_feedback(&mut Rng::with_stream(cfg.seed, FEEDBACK));
        }
        for r in &cfg.train.regularizers {
            r.validate(&net.layout)
                .map_err(|m| config("train.regularizers", m))?;
        }
        let force = match &cfg.train.method {
            Method::Bptt => None,
            &Method::Force {
                alpha,
                every,
                feedback_scale,
            } => {
                let mut rng = Rng::with_stream(cfg.seed, FORCE);
                Some(
                    Force::new(&mut net, alpha, every, feedback_scale, &mut rng)
                        .map_err(|m| config("train.method", m))?,
                )
            }
        };
        let mut loss = cfg.train.loss.clone().unwrap_or(if spec.categorical {
            Loss::CrossEntropy
        } else {
            Loss::Mse
        });
        if let Loss::WeightedCrossEntropy { weights } = &mut loss {
            if weights.is_empty() {
                *weights = frequency_weights(task.as_ref(), cfg.train.batch_size, cfg.seed)?;
            }
        }
        let objective = Objective {
            loss,
            regularizers: cfg.train.regularizers.clone(),
        };
        let opt = Optimizer::new(cfg.train.optimizer.clone(), net.params.len());
        let grads = vec![0.0; net.params.len()];
        Ok(Trainer {
            cfg,
            task,
            stages,
            progress: Progress::default(),
            net,
            opt,
            objective,
            step: 0,
            carry: None,
            force,
            ws: Workspace::default(),
            grads,
        })
    }

    fn data_seed(&self, k: u64) -> u64 {
        Rng::with_stream(self.cfg.seed, DATA + k).next_u64()
    }

    /// The task the next step trains on: the current curriculum stage's, or the task itself.
    pub fn current_task(&self) -> &dyn Task {
        self.stages
            .get(self.progress.stage)
            .map_or(self.task.as_ref(), |t| t.as_ref())
    }

    /// The trial-aligned training batch of step `k`, drawn from [`Trainer::current_task`].
    pub fn batch_at(&self, k: u64) -> Result<Batch> {
        Ok(neurodyn_tasks::sample_batch(
            self.current_task(),
            self.cfg.train.batch_size,
            self.data_seed(k),
        )?)
    }

    /// Run steps until `until` steps are done, calling `on_step` after each.
    pub fn run(
        &mut self,
        until: u64,
        mut on_step: impl FnMut(&Trainer, &StepReport) -> Result<()>,
    ) -> Result<()> {
        let mut stream = match self.cfg.train.batching {
            BatchMode::Stream => {
                let task: &dyn Task = self.task.as_ref();
                let mut s = Stream::new(
                    task,
                    self.cfg.train.batch_size,
                    self.cfg.train.window,
                    self.data_seed(0),
                    Layout::TimeMajor,
                    false,
                )?;
                for _ in 0..self.step {
                    s.next_window();
                }
                Some(s)
            }
            BatchMode::Trials => None,
        };
        while self.step < until {
            // Stream mode: the next window, starting from the carried state. Trial mode: step k's
            // own batch of whole trials, from a fresh state.
            let (window, batch);
            let (b, s0, trials) = match stream.as_mut() {
                Some(s) => {
                    window = s.next_window();
                    let b = BatchRef {
                        inputs: &window.inputs,
                        targets: LossTargets::of(&window.targets),
                        mask: &window.mask,
                        n_steps: window.seq_len,
                        batch: window.batch_size,
                    };
                    (b, self.carry.as_deref(), None)
                }
                None => {
                    batch = self.batch_at(self.step)?;
                    (BatchRef::of(&batch), None, Some(&batch))
                }
            };
            let (mut report, carry) = match self.force.as_mut() {
                Some(force) => force_step(
                    force,
                    &mut self.net,
                    &mut self.ws.y,
                    &self.cfg,
                    self.step,
                    b,
                    s0,
                    trials,
                )?,
                None => step_once(
                    &mut self.net,
                    &mut self.opt,
                    &self.objective,
                    &mut self.ws,
                    &mut self.grads,
                    &self.cfg,
                    self.step,
                    b,
                    s0,
                    trials,
                )?,
            };
            if self.cfg.train.batching == BatchMode::Stream {
                self.carry = Some(carry);
            }
            self.step += 1;
            report.stage = advance(
                &self.cfg.train.curriculum,
                &mut self.progress,
                self.step,
                report.accuracy,
            );
            on_step(self, &report)?;
        }
        Ok(())
    }

    /// What a checkpoint keeps of the training loop's state besides weights and optimizer.
    pub fn checkpoint_state(&self) -> CheckpointState {
        CheckpointState {
            step: self.step,
            carry: self.carry.clone(),
            progress: self.progress.clone(),
            force: self.force.clone(),
        }
    }

    /// Continue from a checkpoint's state (weights and optimizer are loaded separately). Refuses
    /// curriculum progress that this config's curriculum cannot have reached.
    pub fn restore(&mut self, st: CheckpointState) -> Result<()> {
        let p = &st.progress;
        if p.stage > self.stages.len() || p.since > st.step {
            return Err(config(
                "train.curriculum",
                format!(
                    "the checkpoint stands at stage {} (begun at step {}) at step {}, which this curriculum of {} stages cannot reach; was the config edited?",
                    p.stage,
                    p.since,
                    st.step,
                    self.stages.len()
                ),
            ));
        }
        match (&self.force, st.force) {
            (Some(_), None) => {
                return Err(config(
                    "train.method",
                    "FORCE, but the checkpoint holds no FORCE state (was it written by a backpropagation run?)",
                ))
            }
            (Some(f), Some(saved)) => {
                // Sizes come from this network; `every` from this config.
                self.force = Some(Force {
                    every: f.every,
                    ..saved
                });
            }
            (None, Some(_)) => {
                return Err(config(
                    "train.method",
                    "backpropagation, but the checkpoint holds FORCE state (was the config edited?)",
                ))
            }
            (None, None) => {}
        }
        self.step = st.step;
        self.carry = st.carry;
        self.progress = st.progress;
        Ok(())
    }
}

/// After step `step` (1-based, just taken, with this training accuracy): move the curriculum on
/// when its stage has taken its steps or met its accuracy criterion. Returns the stage the step
/// trained on.
fn advance(curriculum: &[Stage], p: &mut Progress, step: u64, accuracy: f64) -> Option<usize> {
    let i = p.stage;
    let stage = curriculum.get(i)?;
    let met = stage.until_accuracy.is_some_and(|target| {
        let over = stage
            .accuracy_steps
            .unwrap_or(Stage::DEFAULT_ACCURACY_STEPS.min(stage.steps));
        p.recent.push(accuracy);
        let excess = p.recent.len().saturating_sub(over as usize);
        p.recent.drain(..excess);
        // Batch accuracies are fractions k/B: a mean of exactly the target may round below it.
        p.recent.len() as u64 == over
            && p.recent.iter().sum::<f64>() / p.recent.len() as f64 >= target - 1e-9
    });
    if met || step - p.since >= stage.steps {
        *p = Progress {
            stage: i + 1,
            since: step,
            recent: Vec::new(),
        };
    }
    Some(i)
}

/// Class weights `N / (K · count_c)` from the masked steps of a few training batches (drawn from
/// a seed stream of their own, so the training data itself is unchanged).
fn frequency_weights(task: &dyn Task, batch_size: usize, seed: u64) -> Result<Vec<f64>> {
    let n_out = task.spec().n_out;
    let mut counts = vec![0u64; n_out];
    for k in 0..8 {
        let b = neurodyn_tasks::sample_batch(
            task,
            batch_size,
            Rng::with_stream(seed, WEIGHTS + k).next_u64(),
        )?;
        if let BatchTargets::Class(c) = &b.targets {
            for (&cls, &m) in c.iter().zip(&b.mask) {
                if m > 0.0 && (cls as usize) < n_out {
                    counts[cls as usize] += 1;
                }
            }
        }
    }
    Ok(neurodyn_nn::loss::class_weights_from_counts(&counts))
}

/// Trial accuracy of a time-major batch's outputs (see `score` for the rule).
fn batch_accuracy(y: &[f32], n_out: usize, b: &Batch) -> f64 {
    let BatchTargets::Class(c) = &b.targets else {
        return f64::NAN;
    };
    let bs = b.batch_size;
    let mut ok = 0usize;
    for j in 0..bs {
        let len = b.trial_len[j];
        let step = (0..len)
            .rev()
            .find(|&t| c[t * bs + j] != 0)
            .or_else(|| (0..len).rev().find(|&t| b.mask[t * bs + j] > 0.0));
        if let Some(t) = step {
            let row = &y[(t * bs + j) * n_out..(t * bs + j + 1) * n_out];
            let mut best = 0;
            for k in 1..n_out {
                if row[k] > row[best] {
                    best = k;
                }
            }
            ok += usize::from(best as i64 == c[t * bs + j]);
        }
    }
    ok as f64 / bs.max(1) as f64
}

/// What FORCE cannot train, and the settings of the objective it would ignore (penalties, a
/// loss, feedback alignment), named by key. The optimizer's settings (`lr`, `schedule`,
/// `optimizer`, `clip`, `warmup_steps`) all have defaults, so they cannot tell set from unset;
/// FORCE does not use them.
fn validate_force(cfg: &RunConfig) -> Result<()> {
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

/// One batch of FORCE learning (see [`neurodyn_nn::force`]).
#[allow(clippy::too_many_arguments)]
fn force_step(
    force: &mut Force,
    net: &mut Network<f32>,
    y: &mut Vec<f32>,
    cfg: &RunConfig,
    k: u64,
    b: BatchRef<'_>,
    s0: Option<&[f32]>,
    trials: Option<&Batch>,
) -> Result<(StepReport, Vec<f32>)> {
    let step = k + 1;
    let mut noise = Rng::with_stream(cfg.seed, NOISE + k);
    let (report, last) =
        force
            .train_batch(net, b, s0, Some(&mut noise), y)
            .map_err(|e| match e {
                NnError::NonFinite(_) => TrainError::NonFinite {
                    step,
                    what: "readout".into(),
                },
                other => TrainError::Shape {
                    what: "FORCE batch".into(),
                    expected: "what the network takes".into(),
                    got: other.to_string(),
                },
            })?;
    if !report.loss.is_finite() || net.params.iter().any(|w| !w.is_finite()) {
        return Err(TrainError::NonFinite {
            step,
            what: if report.loss.is_finite() {
                "weights"
            } else {
                "loss"
            }
            .into(),
        });
    }
    let accuracy = trials.map_or(f64::NAN, |t| batch_accuracy(y, net.n_out, t));
    Ok((
        StepReport {
            step,
            loss: report.loss,
            task_loss: report.loss,
            reg: 0.0,
            accuracy,
            lr: report.mean_gain,
            grad_norm: report.dw_norm,
            stage: None,
        },
        if trials.is_none() { last } else { Vec::new() },
    ))
}

#[allow(clippy::too_many_arguments)]
fn step_once(
    net: &mut Network<f32>,
    opt: &mut Optimizer,
    obj: &Objective,
    ws: &mut Workspace<f32>,
    grads: &mut [f32],
    cfg: &RunConfig,
    k: u64,
    b: BatchRef<'_>,
    s0: Option<&[f32]>,
    trials: Option<&Batch>,
) -> Result<(StepReport, Vec<f32>)> {
    // Flush-to-zero for the whole step (loss, penalties, clipping, update), not only the passes.
    let _ftz = neurodyn_nn::kernels::FlushDenormals::new();
    let n_in = net.cell.n_in();
    if b.inputs.len() != b.n_steps * b.batch * n_in {
        return Err(TrainError::Shape {
            what: "batch inputs".into(),
            expected: format!("({}, {}, {n_in})", b.n_steps, b.batch),
            got: format!("{} values", b.inputs.len()),
        });
    }
    let mut noise = Rng::with_stream(cfg.seed, NOISE + k);
    let terms = obj.evaluate(net, ws, b, s0, Some(&mut noise), true, Some(grads));
    let step = k + 1;
    if !terms.total().is_finite() {
        return Err(TrainError::NonFinite {
            step,
            what: "loss".into(),
        });
    }
    if grads.iter().any(|g| !g.is_finite()) {
        return Err(TrainError::NonFinite {
            step,
            what: "gradient".into(),
        });
    }
    let grad_norm = match &cfg.train.clip {
        Some(c) => c.apply(grads),
        None => neurodyn_nn::optim::grad_norm(grads),
    };
    let mut lr = cfg.train.schedule.lr(cfg.train.lr, k, cfg.train.steps);
    if k < cfg.train.warmup_steps {
        // Linear warm-up: the first Adam steps move every weight by ≈ lr whatever the gradient's
        // size, which on a network that starts out exploding can kill most ReLU units at once.
        lr *= (k + 1) as f64 / cfg.train.warmup_steps as f64;
    }
    opt.update(&mut net.params, grads, lr);
    net.clamp();
    if net.params.iter().any(|w| !w.is_finite()) {
        return Err(TrainError::NonFinite {
            step,
            what: "weights".into(),
        });
    }
    let accuracy = trials.map_or(f64::NAN, |t| batch_accuracy(&ws.y, net.n_out, t));
    let carry = if trials.is_none() {
        net.final_state(ws).to_vec()
    } else {
        Vec::new()
    };
    Ok((
        StepReport {
            step,
            loss: terms.total(),
            task_loss: terms.task,
            reg: terms.reg,
            accuracy,
            lr,
            grad_norm,
            stage: None,
        },
        carry,
    ))
}
