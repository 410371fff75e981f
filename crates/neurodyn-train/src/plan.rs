//! A run config checked and built, in one place: [`RunConfig::plan`] makes every check a run
//! config gets (the task and its parameters, the training section, what FORCE can train, the
//! curriculum's stages against the task, the model's keys and values for its kind, the penalties
//! against the network's parameters, FORCE's settings) and builds what the run needs from the
//! seed. [`crate::Trainer::from_plan`] trains it.

use crate::config::{Feedback, Method, RunConfig};
use crate::curriculum::build_stages;
use crate::error::{config, Result};
use crate::model;
use crate::seeds::{FEEDBACK, FORCE, INIT, WEIGHTS};
use crate::validate::{validate, validate_force};
use neurodyn_core::{BatchTargets, Rng};
use neurodyn_nn::force::Force;
use neurodyn_nn::{Loss, Network, Objective};
use neurodyn_tasks::Task;

/// What a checked run config builds: the task, the stages, the network, the objective.
pub struct RunPlan {
    /// The config, as given.
    pub cfg: RunConfig,
    /// The task (after the curriculum, if any; evaluation uses it).
    pub task: Box<dyn Task>,
    /// The curriculum's tasks, in stage order.
    pub stages: Vec<Box<dyn Task>>,
    /// The network (f32), initialised from the seed.
    pub net: Network<f32>,
    /// Loss (class weights filled in) and penalties.
    pub objective: Objective,
    /// FORCE's state when `train.method` is FORCE.
    pub force: Option<Force>,
}

impl RunConfig {
    /// Check every value of the config and build what a run needs: the task, the curriculum's
    /// stages, the network (initial weights from the seed), the objective and FORCE's state.
    /// Nothing is written.
    pub fn plan(self) -> Result<RunPlan> {
        let cfg = self;
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
        ensure_memory(&cfg, task.as_ref(), net.n_units())?;
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
        Ok(RunPlan {
            cfg,
            task,
            stages,
            net,
            objective,
            force,
        })
    }
}

/// Refuse a config whose training batch or evaluation would need more memory than the machine
/// has, before anything is allocated for them ([`ensure_trials_fit`]).
fn ensure_memory(cfg: &RunConfig, task: &dyn Task, n_units: usize) -> Result<()> {
    for (key, n) in [
        ("train.batch_size", cfg.train.batch_size),
        ("eval.n_trials", cfg.eval.n_trials),
    ] {
        ensure_trials_fit(
            task,
            n_units,
            n,
            &format!("{key} = {n}"),
            &format!("lower {key}"),
        )?;
    }
    Ok(())
}

/// Refuse `n` trials of `task` run through a network of `n_units` units (0: the trials alone)
/// when they would need more memory than the machine has; `what` names the request and `advice`
/// says how to ask for less. The estimate per trial step: the inputs, targets and mask twice (the
/// trials and their padded copy), and six blocks of `n_units` f32 (state, pre-activations, gates
/// and their gradients kept for BPTT; a recording's rates and gates), over the longest of 16
/// trials ×1.5 (lengths vary).
pub fn ensure_trials_fit(
    task: &dyn Task,
    n_units: usize,
    n: usize,
    what: &str,
    advice: &str,
) -> Result<()> {
    let spec = task.spec();
    let probe = neurodyn_tasks::sample_trials(task, 16, 0);
    let steps = probe.iter().map(|t| t.n_steps()).max().unwrap_or(1) as f64 * 1.5;
    let trial = 4.0 * (spec.n_in as f64 + 1.0) + 8.0 + 4.0 * spec.n_out as f64;
    let per_step = 2.0 * trial + 4.0 * (6 * n_units + spec.n_out) as f64;
    neurodyn_core::memory::ensure_fits(what, n as f64 * steps * per_step, advice)?;
    Ok(())
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
