//! Several tasks as one: multi-task training with rule inputs (Yang et al. 2019).
//!
//! A task name joining registered names with `+` (`Yang19Go+Yang19Anti+Yang19Dm1`) builds a
//! [`MultiTask`]. Each trial draws one of the tasks, renders it with that task's own semantics,
//! and appends one rule input per task that is 1 on every step of the trial for the task drawn
//! (the network is told which task it is doing, as in Yang et al. 2019). The draw is uniform, or
//! in proportion to the mix's own parameter `task_weights`: a list with one weight per task in
//! name order, or weights by task name with unnamed tasks at 0 (Yang et al. 2019 drew some tasks
//! more often, and a curriculum stage can train a subset while the rule inputs stay the same). A
//! weighted draw takes other random numbers than the uniform one, so equal weights give other
//! trials than none. Inputs are the widest task's channels (narrower tasks leave the extra ones
//! at 0) followed by the rule channels. Every task must have the same outputs (size and kind),
//! since one readout serves them all; the Yang19 tasks share 33 inputs and 17 outputs. Labels:
//! the integer `task` (index in the name) plus every label of every task (a trial carries only
//! its own task's labels; recordings hold NaN for the others).

use crate::config::{ParamValue, TaskConfig};
use crate::error::TaskError;
use crate::registry::build_registered;
use crate::task::{Task, TaskSpec};
use neurodyn_core::{Label, Rng, Trial};

/// Several registered tasks mixed trial by trial, with a rule input per task.
pub struct MultiTask {
    tasks: Vec<Box<dyn Task>>,
    /// Cumulative draw weights (`task_weights`), or `None` for a uniform draw.
    cumulative: Option<Vec<f64>>,
    width: usize,
    spec: TaskSpec,
}

/// Parameter giving the tasks' draw weights.
const WEIGHTS: &str = "task_weights";

/// The cumulative draw weights of `task_weights` for tasks named `names`, or the reason not.
fn cumulative_weights(names: &[String], value: &ParamValue) -> Result<Vec<f64>, String> {
    let weights: Vec<f64> =
        match value {
            ParamValue::List(w) if w.len() == names.len() => w.clone(),
            ParamValue::List(w) => {
                return Err(format!(
                    "{} weights for {} tasks ({})",
                    w.len(),
                    names.len(),
                    names.join(", ")
                ))
            }
            ParamValue::Map(m) => {
                if let Some(k) = m.keys().find(|k| !names.contains(k)) {
                    return Err(format!(
                        "'{k}' is not one of the tasks ({})",
                        names.join(", ")
                    ));
                }
                names
                    .iter()
                    .map(|n| m.get(n).copied().unwrap_or(0.0))
                    .collect()
            }
            _ => return Err(
                "a list with one weight per task, or weights by task name (e.g. { Yang19Go = 2 })"
                    .into(),
            ),
        };
    if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
        return Err(format!("weights must be finite and ≥ 0, got {weights:?}"));
    }
    if !weights.iter().sum::<f64>().is_finite() {
        return Err(format!("the weights' sum must be finite, got {weights:?}"));
    }
    let cumulative: Vec<f64> = weights
        .iter()
        .scan(0.0, |sum, w| {
            *sum += w;
            Some(*sum)
        })
        .collect();
    if cumulative.last().is_none_or(|&t| t <= 0.0) {
        return Err("at least one weight must be positive".into());
    }
    Ok(cumulative)
}

impl MultiTask {
    /// Build from registered names (at least two), each with `cfg`.
    pub fn new(names: &[&str], cfg: &TaskConfig) -> Result<MultiTask, TaskError> {
        let joined = names.join("+");
        let invalid = |message: String| TaskError::InvalidParam {
            task: joined.clone(),
            key: "name".into(),
            message,
        };
        if names.len() < 2 {
            return Err(invalid(
                "a multi-task name joins at least two tasks with '+'".into(),
            ));
        }
        // The draw weights are the mixture's own parameter; the tasks get every other one.
        let mut own = cfg.clone();
        let weights = own.params.remove(WEIGHTS);
        let tasks = names
            .iter()
            .map(|n| build_registered(n.trim(), &own))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| match e {
                // The mixture's own parameter is allowed too.
                TaskError::UnknownParam {
                    task,
                    key,
                    mut allowed,
                } => {
                    allowed.push(WEIGHTS.to_string());
                    TaskError::UnknownParam { task, key, allowed }
                }
                e => e,
            })?;
        let cumulative = match &weights {
            None => None,
            Some(w) => {
                let spec_names: Vec<String> = tasks.iter().map(|t| t.spec().name.clone()).collect();
                Some(cumulative_weights(&spec_names, w).map_err(|message| {
                    TaskError::InvalidParam {
                        task: joined.clone(),
                        key: WEIGHTS.into(),
                        message,
                    }
                })?)
            }
        };
        let first = tasks[0].spec().clone();
        for t in &tasks[1..] {
            let s = t.spec();
            if s.n_out != first.n_out || s.categorical != first.categorical {
                return Err(invalid(format!(
                    "every task needs the same outputs: {} has {} ({}), {} has {} ({})",
                    first.name,
                    first.n_out,
                    if first.categorical {
                        "classes"
                    } else {
                        "continuous"
                    },
                    s.name,
                    s.n_out,
                    if s.categorical {
                        "classes"
                    } else {
                        "continuous"
                    },
                )));
            }
            if s.dt_ms != first.dt_ms {
                return Err(invalid(format!(
                    "every task needs the same dt: {} has {} ms, {} has {} ms (set task.dt_ms)",
                    first.name, first.dt_ms, s.name, s.dt_ms
                )));
            }
        }
        let widest = tasks
            .iter()
            .max_by_key(|t| t.spec().n_in)
            .map(|t| t.spec().clone())
            .unwrap_or(first.clone());
        let width = widest.n_in;
        let mut input_names = widest.input_names.clone();
        input_names.extend(tasks.iter().map(|t| format!("rule_{}", t.spec().name)));
        // `first` followed by every task's `field`, each name once, in order.
        let union = |first: &str, field: fn(&TaskSpec) -> &Vec<String>| {
            let mut out = vec![first.to_string()];
            for name in tasks.iter().flat_map(|t| field(t.spec())) {
                if !out.contains(name) {
                    out.push(name.clone());
                }
            }
            out
        };
        let label_names = union("task", |s| &s.label_names);
        let tags = union("multi-task", |s| &s.tags);
        let spec = TaskSpec {
            name: tasks
                .iter()
                .map(|t| t.spec().name.as_str())
                .collect::<Vec<_>>()
                .join("+"),
            n_in: input_names.len(),
            n_out: first.n_out,
            dt_ms: first.dt_ms,
            categorical: first.categorical,
            input_names,
            output_names: first.output_names.clone(),
            label_names,
            evidence_label: None,
            tags,
            paper: "Yang, Joglekar, Song, Newsome & Wang (2019) Task representations in neural networks trained to perform many cognitive tasks. Nat. Neurosci. 22:297".into(),
            description: "Several tasks mixed trial by trial; a rule input says which.".into(),
        };
        Ok(MultiTask {
            tasks,
            cumulative,
            width,
            spec,
        })
    }

    /// The tasks, in name order.
    pub fn tasks(&self) -> impl Iterator<Item = &dyn Task> {
        self.tasks.iter().map(|t| t.as_ref())
    }

    /// A trial of task `k` with its rule input on.
    pub fn trial_of(&self, k: usize, rng: &mut Rng) -> Trial {
        let tr = self.tasks[k].trial(rng);
        let (n_in, width, n_rules) = (tr.n_in, self.width, self.tasks.len());
        let wide = width + n_rules;
        let mut inputs = vec![0.0f32; tr.n_steps() * wide];
        for (row, src) in inputs
            .chunks_exact_mut(wide)
            .zip(tr.inputs.chunks_exact(n_in))
        {
            row[..n_in].copy_from_slice(src);
            row[width + k] = 1.0;
        }
        let mut labels = tr.labels;
        labels
            .0
            .insert(0, ("task".to_string(), Label::Int(k as i64)));
        Trial {
            n_in: wide,
            inputs,
            labels,
            ..tr
        }
    }

    /// `n` trials of task `k` only (trial i from `Rng::with_stream(seed, i)`), e.g. to measure
    /// each task's variance or accuracy.
    pub fn trials_of(&self, k: usize, n: usize, seed: u64) -> Vec<Trial> {
        (0..n)
            .map(|i| self.trial_of(k, &mut Rng::with_stream(seed, i as u64)))
            .collect()
    }
}

impl Task for MultiTask {
    fn spec(&self) -> &TaskSpec {
        &self.spec
    }

    fn trial(&self, rng: &mut Rng) -> Trial {
        let k = match &self.cumulative {
            None => rng.below(self.tasks.len() as u64) as usize,
            Some(c) => {
                let total = c[c.len() - 1];
                let u = rng.uniform() * total;
                // The first task whose cumulative weight exceeds u (zero weights never match;
                // should rounding put u at the total, the last task with a positive weight).
                c.iter().position(|&x| u < x).unwrap_or_else(|| {
                    (0..c.len())
                        .rev()
                        .find(|&i| c[i] > if i == 0 { 0.0 } else { c[i - 1] })
                        .unwrap_or(0)
                })
            }
        };
        self.trial_of(k, rng)
    }
}
