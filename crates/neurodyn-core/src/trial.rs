//! One trial of a cognitive task: what the network sees, what it should do, and what happened.
//!
//! Layout (row-major, one axis order everywhere):
//! - `inputs`: `(n_steps, n_in)` f32
//! - `targets`: per step a class index (`0` = fixate, `1..n_out` = choices) for categorical tasks,
//!   or `(n_steps, n_out)` f32 for continuous ones
//! - `mask`: `(n_steps,)` f32 loss weight; 0 means the step is ignored by the loss
//! - `periods`: named half-open step ranges that tile `0..n_steps` in order
//! - `labels`: the trial's condition (coherence, ground truth, context, …) for analyses

use crate::error::{CoreError, Result};

/// What the network should output at each step.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// One class index per step (`0` = fixate). Length `n_steps`.
    Class(Vec<i64>),
    /// A continuous target vector per step, `(n_steps, n_out)` row-major.
    Continuous(Vec<f32>),
}

/// A named, half-open range of time steps `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    /// Period name (`fixation`, `stimulus`, `delay`, `decision`, …).
    pub name: String,
    /// First step of the period.
    pub start: usize,
    /// One past the last step.
    pub end: usize,
}

/// The value of one condition label.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Label {
    /// A discrete label (choice, context, sample index…).
    Int(i64),
    /// A continuous label (coherence, frequency, interval…).
    Float(f64),
}

impl Label {
    /// The value as f64.
    pub fn as_f64(self) -> f64 {
        match self {
            Label::Int(v) => v as f64,
            Label::Float(v) => v,
        }
    }
}

/// The condition labels of one trial, in a fixed order given by the task.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Labels(pub Vec<(String, Label)>);

impl Labels {
    /// Empty label set.
    pub fn new() -> Self {
        Labels(Vec::new())
    }
    /// Add an integer label.
    pub fn int(mut self, name: &str, v: i64) -> Self {
        self.0.push((name.to_string(), Label::Int(v)));
        self
    }
    /// Add a float label.
    pub fn float(mut self, name: &str, v: f64) -> Self {
        self.0.push((name.to_string(), Label::Float(v)));
        self
    }
    /// Look up a label by name.
    pub fn get(&self, name: &str) -> Option<Label> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

/// One trial: inputs, targets, mask, periods and condition labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// Number of input channels.
    pub n_in: usize,
    /// Number of output channels (classes, including fixation, for categorical tasks).
    pub n_out: usize,
    /// `(n_steps, n_in)` row-major.
    pub inputs: Vec<f32>,
    /// Targets, see [`Targets`].
    pub targets: Targets,
    /// `(n_steps,)` loss weights.
    pub mask: Vec<f32>,
    /// Named step ranges tiling the trial.
    pub periods: Vec<Period>,
    /// Condition labels.
    pub labels: Labels,
}

impl Trial {
    /// Number of time steps.
    pub fn n_steps(&self) -> usize {
        self.mask.len()
    }

    /// Step range of the named period, if present.
    pub fn period(&self, name: &str) -> Option<std::ops::Range<usize>> {
        self.periods
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.start..p.end)
    }

    /// Check that all arrays agree with `n_steps`, `n_in`, `n_out` and that periods tile the trial.
    pub fn validate(&self) -> Result<()> {
        let t = self.n_steps();
        if self.inputs.len() != t * self.n_in {
            return Err(CoreError::shape(
                "trial inputs",
                &[t, self.n_in],
                &[self.inputs.len()],
            ));
        }
        match &self.targets {
            Targets::Class(c) => {
                if c.len() != t {
                    return Err(CoreError::shape("trial targets", &[t], &[c.len()]));
                }
                if let Some(bad) = c.iter().find(|&&v| v < 0 || v as usize >= self.n_out) {
                    return Err(CoreError::invalid(
                        "trial target",
                        format!("class {bad} outside 0..{}", self.n_out),
                    ));
                }
            }
            Targets::Continuous(v) => {
                if v.len() != t * self.n_out {
                    return Err(CoreError::shape(
                        "trial targets",
                        &[t, self.n_out],
                        &[v.len()],
                    ));
                }
            }
        }
        let mut at = 0;
        for p in &self.periods {
            if p.start != at || p.end < p.start {
                return Err(CoreError::invalid(
                    "trial periods",
                    format!(
                        "period {} [{}, {}) does not start at step {at}",
                        p.name, p.start, p.end
                    ),
                ));
            }
            at = p.end;
        }
        if !self.periods.is_empty() && at != t {
            return Err(CoreError::invalid(
                "trial periods",
                format!("periods end at step {at} but the trial has {t} steps"),
            ));
        }
        Ok(())
    }
}
