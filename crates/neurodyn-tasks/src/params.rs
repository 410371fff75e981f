//! Validated access to [`TaskConfig::params`]: every task states the keys it accepts, an unknown
//! key is an error naming the key and the allowed ones, and a value of the wrong kind or range is an
//! error naming the key.
//!
//! [`crate::parameters`] lists a task's keys with their defaults by building it once while the readers
//! below note each key and default they are asked for (on this thread only, and only then), so
//! the list cannot drift from what the task actually reads.

use crate::config::{ParamValue, TaskConfig};
use crate::error::TaskError;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// A parameter a task accepts, as `neurodyn tasks show` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamInfo {
    /// The key under `[task.params]`.
    pub key: String,
    /// Its default, as TOML would write it; `None` where the task reads it only in some modes
    /// (e.g. with `compat = "neurogym"`) or not at all with these settings.
    pub default: Option<String>,
}

thread_local! {
    /// The parameters noted while [`crate::parameters`] builds a task; `None` otherwise.
    static NOTED: RefCell<Option<Vec<ParamInfo>>> = const { RefCell::new(None) };
}

/// Note `key` (with `default`, if the first reader to give one) while [`crate::parameters`] runs.
fn note(key: &str, default: Option<String>) {
    NOTED.with(|n| {
        if let Some(list) = n.borrow_mut().as_mut() {
            match list.iter_mut().find(|p| p.key == key) {
                Some(p) => {
                    if p.default.is_none() {
                        p.default = default;
                    }
                }
                None => list.push(ParamInfo {
                    key: key.to_string(),
                    default,
                }),
            }
        }
    });
}

/// TOML for a list of numbers (one number alone).
fn numbers(v: &[f64]) -> String {
    match v {
        [x] => format!("{x}"),
        _ => format!(
            "[{}]",
            v.iter()
                .map(|x| format!("{x}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Start noting the parameters tasks read, on this thread ([`crate::parameters`]).
pub(crate) fn start_noting() {
    NOTED.with(|n| *n.borrow_mut() = Some(Vec::new()));
}

/// Stop noting and return what was noted.
pub(crate) fn stop_noting() -> Vec<ParamInfo> {
    NOTED.with(|n| n.borrow_mut().take()).unwrap_or_default()
}

/// Typed reader over a task's parameters, built once the keys have been checked.
pub(crate) struct Params<'a> {
    task: &'static str,
    cfg: &'a TaskConfig,
}

impl<'a> Params<'a> {
    /// Check that every key in `cfg.params` is in `allowed`.
    pub fn new(
        task: &'static str,
        cfg: &'a TaskConfig,
        allowed: &[&str],
    ) -> Result<Self, TaskError> {
        if let Some(key) = cfg.params.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(TaskError::UnknownParam {
                task: task.to_string(),
                key: key.clone(),
                allowed: allowed.iter().map(|s| s.to_string()).collect(),
            });
        }
        for key in allowed {
            note(key, None);
        }
        Ok(Params { task, cfg })
    }

    fn invalid(&self, key: &str, message: impl Into<String>) -> TaskError {
        TaskError::InvalidParam {
            task: self.task.to_string(),
            key: key.to_string(),
            message: message.into(),
        }
    }

    /// A finite number (default if absent).
    pub fn f64(&self, key: &str, default: f64) -> Result<f64, TaskError> {
        note(key, Some(format!("{default}")));
        match self.cfg.params.get(key) {
            None => Ok(default),
            Some(ParamValue::Num(v)) if v.is_finite() => Ok(*v),
            Some(other) => {
                Err(self.invalid(key, format!("expected a finite number, got {other:?}")))
            }
        }
    }

    /// A non-negative number.
    pub fn nonneg(&self, key: &str, default: f64) -> Result<f64, TaskError> {
        let v = self.f64(key, default)?;
        if v < 0.0 {
            return Err(self.invalid(key, format!("must be ≥ 0, got {v}")));
        }
        Ok(v)
    }

    /// An integer in `min..=max`.
    pub fn usize(
        &self,
        key: &str,
        default: usize,
        min: usize,
        max: usize,
    ) -> Result<usize, TaskError> {
        let v = self.f64(key, default as f64)?;
        if v.fract() != 0.0 || v < min as f64 || v > max as f64 {
            return Err(self.invalid(
                key,
                format!("expected an integer in {min}..={max}, got {v}"),
            ));
        }
        Ok(v as usize)
    }

    /// A flag.
    pub fn bool(&self, key: &str, default: bool) -> Result<bool, TaskError> {
        note(key, Some(format!("{default}")));
        match self.cfg.params.get(key) {
            None => Ok(default),
            Some(ParamValue::Bool(b)) => Ok(*b),
            Some(other) => Err(self.invalid(key, format!("expected true or false, got {other:?}"))),
        }
    }

    /// A non-empty string (a word or a path).
    pub fn text(&self, key: &str, default: &str) -> Result<String, TaskError> {
        note(key, Some(format!("{default:?}")));
        match self.cfg.params.get(key) {
            None => Ok(default.to_string()),
            Some(ParamValue::Text(t)) if !t.trim().is_empty() => Ok(t.clone()),
            Some(other) => {
                Err(self.invalid(key, format!("expected a word or a path, got {other:?}")))
            }
        }
    }

    /// A non-empty list of finite numbers (a single number counts as a list of one).
    pub fn list(&self, key: &str, default: &[f64]) -> Result<Vec<f64>, TaskError> {
        note(key, Some(numbers(default)));
        let v = match self.cfg.params.get(key) {
            None => return Ok(default.to_vec()),
            Some(ParamValue::List(v)) => v.clone(),
            Some(ParamValue::Num(x)) => vec![*x],
            Some(other) => {
                return Err(self.invalid(key, format!("expected a list of numbers, got {other:?}")))
            }
        };
        if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
            return Err(self.invalid(key, "expected a non-empty list of finite numbers"));
        }
        Ok(v)
    }

    /// A non-empty table of finite numbers by name (default if absent).
    pub fn map(
        &self,
        key: &str,
        default: &[(&str, f64)],
    ) -> Result<BTreeMap<String, f64>, TaskError> {
        let table: Vec<String> = default.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        note(key, Some(format!("{{ {} }}", table.join(", "))));
        match self.cfg.params.get(key) {
            None => Ok(default.iter().map(|(k, v)| (k.to_string(), *v)).collect()),
            Some(ParamValue::Map(m)) if !m.is_empty() && m.values().all(|v| v.is_finite()) => {
                Ok(m.clone())
            }
            Some(other) => Err(self.invalid(
                key,
                format!("expected a non-empty table of finite numbers by name, got {other:?}"),
            )),
        }
    }

    /// A period duration in ms: one number (fixed) or a list (drawn uniformly per trial); the
    /// default likewise.
    pub fn duration(&self, key: &str, default_ms: &[f64]) -> Result<crate::Duration, TaskError> {
        let v = self.list(key, default_ms)?;
        if v.iter().any(|&x| x < 0.0) {
            return Err(self.invalid(key, "durations must be ≥ 0 ms"));
        }
        Ok(if v.len() == 1 {
            crate::Duration::Fixed(v[0])
        } else {
            crate::Duration::Choice(v)
        })
    }
}
