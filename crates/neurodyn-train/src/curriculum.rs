//! Curricula: the stages' tasks built and checked against the task itself, where a curriculum
//! stands ([`Progress`], kept in checkpoints), and when it moves on.

use crate::config::{RunConfig, Stage, StopRule};
use crate::error::{config, Result};
use neurodyn_tasks::Task;

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

/// Build the curriculum's tasks, checking that every stage fits the network built for `task`,
/// that its accuracy criterion can be met, and that the stages leave steps for the task itself.
pub(crate) fn build_stages(cfg: &RunConfig, task: &dyn Task) -> Result<Vec<Box<dyn Task>>> {
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

/// After step `step` (1-based, just taken, with this training accuracy): move the curriculum on
/// when its stage has taken its steps or met its accuracy criterion. Returns the stage the step
/// trained on. On the task itself, the accuracies of the stop rule's window are kept in
/// `p.recent` instead.
pub(crate) fn advance(
    curriculum: &[Stage],
    stop: Option<&StopRule>,
    p: &mut Progress,
    step: u64,
    accuracy: f64,
) -> Option<usize> {
    let i = p.stage;
    let Some(stage) = curriculum.get(i) else {
        if let Some(rule) = stop {
            p.recent.push(accuracy);
            let excess = p.recent.len().saturating_sub(rule.window as usize);
            p.recent.drain(..excess);
        }
        return None;
    };
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

/// Whether the stop rule is met: the curriculum done and the window's mean accuracy reached.
pub(crate) fn stop_met(curriculum: &[Stage], stop: Option<&StopRule>, p: &Progress) -> bool {
    stop.is_some_and(|rule| {
        p.stage >= curriculum.len()
            && p.recent.len() as u64 == rule.window
            // Batch accuracies are fractions k/B: a mean of exactly the target may round below.
            && p.recent.iter().sum::<f64>() / p.recent.len() as f64 >= rule.accuracy - 1e-9
    })
}
