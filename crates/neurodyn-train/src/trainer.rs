//! The trainer: a task, its curriculum and a network built from a config, stepped until the
//! configured number of steps (see `step`), with every random draw from the seed's streams (see
//! `seeds`), so a run resumed from a checkpoint continues bit for bit.

use crate::checkpoint::CheckpointState;
use crate::config::{BatchMode, RunConfig};
use crate::curriculum::{advance, stop_met, Progress};
use crate::error::{config, Result};
use crate::plan::RunPlan;
use crate::seeds::DATA;
use crate::step::{force_step, step_once, StepReport};
use neurodyn_core::{Batch, Rng};
use neurodyn_nn::force::Force;
use neurodyn_nn::objective::BatchRef;
use neurodyn_nn::{LossTargets, Network, Objective, Optimizer, Workspace};
use neurodyn_tasks::{Layout, Stream, Task};

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

impl Trainer {
    /// Build the task and a freshly initialised network from a config, checking every value
    /// once ([`RunConfig::plan`]).
    pub fn new(cfg: RunConfig) -> Result<Trainer> {
        Ok(Trainer::from_plan(cfg.plan()?))
    }

    /// A trainer at step 0 over a checked and built run.
    pub fn from_plan(plan: RunPlan) -> Trainer {
        let RunPlan {
            cfg,
            task,
            stages,
            net,
            objective,
            force,
        } = plan;
        let opt = Optimizer::new(cfg.train.optimizer.clone(), net.params.len());
        let grads = vec![0.0; net.params.len()];
        Trainer {
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
        }
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
        while self.step < until && !self.stopped() {
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
                self.cfg.train.stop.as_ref(),
                &mut self.progress,
                self.step,
                report.accuracy,
            );
            report.stop = self.stopped();
            on_step(self, &report)?;
        }
        Ok(())
    }

    /// Whether the config's stop rule (`train.stop`) has ended training.
    pub fn stopped(&self) -> bool {
        stop_met(
            &self.cfg.train.curriculum,
            self.cfg.train.stop.as_ref(),
            &self.progress,
        )
    }

    /// What a checkpoint keeps of the training loop's state besides weights and optimizer.
    pub fn checkpoint_state(&self) -> CheckpointState {
        CheckpointState {
            step: self.step,
            carry: self.carry.clone(),
            progress: self.progress.clone(),
            force: self.force.clone(),
            config: Some(self.cfg.to_toml()),
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
