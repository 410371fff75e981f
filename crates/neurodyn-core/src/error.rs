//! The error type shared by the core vocabulary: shapes, files and values a user handed us.

use std::path::PathBuf;

/// What went wrong with data, a file or a value in the core layer.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
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
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An `.npz` file is malformed, truncated, or lacks an array.
    #[error("{path}: {message}")]
    Npz {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A value is outside what is allowed.
    #[error("invalid {what}: {message}")]
    Invalid {
        /// The quantity.
        what: String,
        /// What is allowed.
        message: String,
    },
    /// A request would need more memory than the machine has.
    #[error(
        "{what} needs about {needed} of memory, more than the {available} available; {advice}"
    )]
    TooLarge {
        /// The request, as the user wrote it.
        what: String,
        /// The estimate, e.g. `1207.0 GiB`.
        needed: String,
        /// What the machine has.
        available: String,
        /// How to ask for less.
        advice: String,
    },
}

/// Result alias for the core crate.
pub type Result<T> = std::result::Result<T, CoreError>;

impl CoreError {
    /// An [`CoreError::Invalid`] with the given parts.
    pub fn invalid(what: impl Into<String>, message: impl Into<String>) -> Self {
        CoreError::Invalid {
            what: what.into(),
            message: message.into(),
        }
    }

    /// A [`CoreError::ShapeMismatch`] with the given parts.
    pub fn shape(what: impl Into<String>, expected: &[usize], got: &[usize]) -> Self {
        CoreError::ShapeMismatch {
            what: what.into(),
            expected: expected.to_vec(),
            got: got.to_vec(),
        }
    }
}
