//! Default recipes: a config per task that actually learns, used by `neurodyn train --task NAME`.
//!
//! The base recipe (every task): CTRNN, 64 ReLU units, τ = 100 ms, dt = 20 ms, whole trials
//! (state reset per trial), batch 32, Adam with lr 0.01 decaying exponentially to 5e-4, gradient
//! norm clipped at 1, cross-entropy over every step. Tasks needing longer memory get more steps.

use crate::config::RunConfig;

/// The recipe for a task name (any accepted spelling), with `seed`.
pub fn recipe(task: &str, seed: u64) -> RunConfig {
    let mut cfg = RunConfig::default();
    cfg.seed = seed;
    let canonical = neurodyn_tasks::find(task).map_or(task.to_string(), |e| e.name.to_string());
    cfg.task.name = canonical.clone();
    cfg.task.dt_ms = Some(20.0);
    cfg.train.steps = match canonical.as_str() {
        "PerceptualDecisionMaking" | "GoNogo" | "MultiSensoryIntegration" => 600,
        _ => 1500,
    };
    cfg
}
