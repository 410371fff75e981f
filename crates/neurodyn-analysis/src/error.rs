//! The one error type of the analysis crate: bad shapes, missing labels or periods, empty
//! selections and numerical failures, each naming what is wrong.

use neurodyn_core::CoreError;

/// What went wrong in an analysis.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// Two shapes that must agree do not.
    #[error("shape mismatch for {what}: expected {expected:?}, got {got:?}")]
    ShapeMismatch {
        /// Which array or quantity.
        what: String,
        /// The shape required.
        expected: Vec<usize>,
        /// The shape found.
        got: Vec<usize>,
    },
    /// The recording has no label of that name.
    #[error("the recording has no label '{name}' (it has: {available})")]
    UnknownLabel {
        /// The label asked for.
        name: String,
        /// Comma-separated labels the recording does have.
        available: String,
    },
    /// The recording has no period of that name.
    #[error("the recording has no period '{name}' (it has: {available})")]
    UnknownPeriod {
        /// The period asked for.
        name: String,
        /// Comma-separated periods the recording does have.
        available: String,
    },
    /// A selection (trials, time steps, units) that must not be empty is.
    #[error("nothing to analyse: {what}")]
    Empty {
        /// What turned out empty.
        what: String,
    },
    /// A configuration value is out of range.
    #[error("invalid config {field}: {message}")]
    InvalidConfig {
        /// The field.
        field: String,
        /// What is allowed.
        message: String,
    },
    /// An iterative method stopped without meeting its tolerance.
    #[error("{what} did not converge after {iterations} iterations (residual {residual:e})")]
    NotConverged {
        /// The method.
        what: String,
        /// Iterations done.
        iterations: usize,
        /// Residual reached.
        residual: f64,
    },
    /// A decomposition failed (faer reported no convergence or a singular system).
    #[error("linear algebra failed in {what}: {message}")]
    LinearAlgebra {
        /// The analysis step.
        what: String,
        /// faer's message.
        message: String,
    },
    /// An error from the core layer (npz writing, recordings).
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Result alias for the analysis crate.
pub type Result<T> = std::result::Result<T, AnalysisError>;

impl AnalysisError {
    /// An [`AnalysisError::InvalidConfig`].
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        AnalysisError::InvalidConfig {
            field: field.into(),
            message: message.into(),
        }
    }

    /// An [`AnalysisError::ShapeMismatch`].
    pub fn shape(what: impl Into<String>, expected: &[usize], got: &[usize]) -> Self {
        AnalysisError::ShapeMismatch {
            what: what.into(),
            expected: expected.to_vec(),
            got: got.to_vec(),
        }
    }

    /// An [`AnalysisError::Empty`].
    pub fn empty(what: impl Into<String>) -> Self {
        AnalysisError::Empty { what: what.into() }
    }
}
