//! The one error type of the task crate: [`TaskError`].
//!
//! Every variant names what the user got wrong (task name, parameter key, dt) and, where it
//! helps, what would have been accepted.

use neurodyn_core::CoreError;

/// What went wrong while building a task or generating trials.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// No task of that name or alias is registered.
    #[error("unknown task {name:?}; closest names: {}", suggestions.join(", "))]
    UnknownTask {
        /// The name asked for.
        name: String,
        /// Registered names closest to it (edit distance), best first.
        suggestions: Vec<String>,
    },
    /// A parameter key the task does not know.
    #[error("task {task}: unknown parameter {key:?}; {}", if allowed.is_empty() {
        "it takes none".to_string()
    } else {
        format!("allowed parameters: {}", allowed.join(", "))
    })]
    UnknownParam {
        /// The task.
        task: String,
        /// The offending key.
        key: String,
        /// The keys the task accepts.
        allowed: Vec<String>,
    },
    /// A parameter has the wrong type or an out-of-range value.
    #[error("task {task}: parameter {key:?}: {message}")]
    InvalidParam {
        /// The task.
        task: String,
        /// The parameter key.
        key: String,
        /// What is allowed.
        message: String,
    },
    /// The time step is not usable for this task.
    #[error("task {task}: invalid dt_ms = {dt_ms}: {message}")]
    InvalidDt {
        /// The task.
        task: String,
        /// The time step asked for, in ms.
        dt_ms: f64,
        /// Why it is refused.
        message: String,
    },
    /// A request that is not meaningful (e.g. zero trials, zero-length windows).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// An error from the core layer (shapes, batching).
    #[error(transparent)]
    Core(#[from] CoreError),
}
