//! Plain serde data that configures a task: [`TaskConfig`], [`Compat`], [`MaskConfig`],
//! [`ParamValue`]. No logic beyond defaults; [`crate::build`] validates.
//!
//! A TOML example (every field optional):
//! ```toml
//! dt_ms = 20
//! compat = "neurogym"
//! [mask]
//! response_weight = 5.0   # Yang et al. 2019
//! grace_ms = 100.0
//! [params]
//! sigma = 0.5
//! cohs = [0, 12.8, 51.2]
//! ```

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which semantics a task follows where neurogym 2.3.1 is defective.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compat {
    /// Correct by default: go cues present, ground truth fixed, short cues kept ≥ 1 step.
    #[default]
    Default,
    /// Reproduce neurogym 2.3.1's inputs and labels, defects included (statistically).
    Neurogym,
}

impl Compat {
    /// `default` or `neurogym`, as written in configs and files.
    pub fn as_str(self) -> &'static str {
        match self {
            Compat::Default => "default",
            Compat::Neurogym => "neurogym",
        }
    }
}

/// `default` or `neurogym`, in any case (the command line's and Python's spelling).
impl std::str::FromStr for Compat {
    type Err = String;

    fn from_str(s: &str) -> Result<Compat, String> {
        match s.to_ascii_lowercase().as_str() {
            "default" => Ok(Compat::Default),
            "neurogym" => Ok(Compat::Neurogym),
            other => Err(format!("must be `default` or `neurogym`, got {other:?}")),
        }
    }
}

/// Loss-mask weights. By default every real step has weight 1.
///
/// The weight of a step is the product of its period's weight (`period_weights`, default 1) and,
/// from the task's response onset on, `response_weight`, except that the first `grace_ms` after the
/// response onset get weight 0. Yang et al. 2019 use `response_weight = 5`, `grace_ms = 100`
/// ([`MaskConfig::yang2019`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MaskConfig {
    /// Weight per period name (periods not listed get 1).
    pub period_weights: BTreeMap<String, f32>,
    /// Weight of the steps from the response onset on.
    pub response_weight: f32,
    /// Length of the zero-weight grace window at the response onset, in ms.
    pub grace_ms: f64,
}

impl Default for MaskConfig {
    fn default() -> Self {
        MaskConfig {
            period_weights: BTreeMap::new(),
            response_weight: 1.0,
            grace_ms: 0.0,
        }
    }
}

impl MaskConfig {
    /// The mask of Yang et al. 2019: ×5 after the response onset, 0 for the first 100 ms of it.
    pub fn yang2019() -> Self {
        MaskConfig {
            period_weights: BTreeMap::new(),
            response_weight: 5.0,
            grace_ms: 100.0,
        }
    }
}

/// A task parameter value: a number, a flag, a list of numbers, or numbers by name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A flag (e.g. `use_expl_context`).
    Bool(bool),
    /// A number (e.g. `sigma`, `dim_ring`).
    Num(f64),
    /// A list of numbers (e.g. `cohs`).
    List(Vec<f64>),
    /// Numbers by name (e.g. AnnubesEnv's `session = { v = 0.5, a = 0.5 }`).
    Map(BTreeMap<String, f64>),
    /// A word or a path (e.g. DelayMatchDigit's `front_end = "pixels"`).
    Text(String),
}

/// Everything that configures one task. Unknown fields are an error.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TaskConfig {
    /// Time step in ms; `None` = the task's default (neurogym's).
    pub dt_ms: Option<f64>,
    /// Correct-by-default or neurogym-compatible semantics.
    pub compat: Compat,
    /// Loss-mask weights.
    pub mask: MaskConfig,
    /// Task keyword arguments (`sigma`, `cohs`, `dim_ring`, …); each task lists what it accepts.
    pub params: BTreeMap<String, ParamValue>,
}

impl TaskConfig {
    /// A config with this dt and everything else default.
    pub fn with_dt(dt_ms: f64) -> Self {
        TaskConfig {
            dt_ms: Some(dt_ms),
            ..Default::default()
        }
    }

    /// The same config with `compat` set.
    pub fn compat(mut self, compat: Compat) -> Self {
        self.compat = compat;
        self
    }

    /// The same config with a parameter set.
    pub fn param(mut self, key: &str, value: ParamValue) -> Self {
        self.params.insert(key.to_string(), value);
        self
    }
}
