//! Errors of training, evaluation and the run directory.

use std::path::PathBuf;

/// What went wrong in a run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A config value is impossible; names the key and what is allowed.
    #[error("config key `{key}`: {message}")]
    Config {
        /// Dotted key.
        key: String,
        /// What is allowed.
        message: String,
    },
    /// The config file could not be parsed.
    #[error("{path}: {message}")]
    ConfigFile {
        /// File.
        path: PathBuf,
        /// Parser message (names the key and line).
        message: String,
    },
    /// Task construction failed.
    #[error(transparent)]
    Task(#[from] neurodyn_tasks::TaskError),
    /// Core data error.
    #[error(transparent)]
    Core(#[from] neurodyn_core::CoreError),
    /// An image dataset could not be read (names the file and what was expected).
    #[error(transparent)]
    Data(#[from] neurodyn_data::DataError),
    /// A file could not be read or written; the operating system's error is kept as the source
    /// (its `kind()` tells a missing file from a permission problem).
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// The error the system call returned.
        source: std::io::Error,
    },
    /// A file was read but is not what it should be (not a safetensors file, a missing tensor, a
    /// checkpoint from another kind of run), or could not be serialised.
    #[error("{path}: {message}")]
    File {
        /// File.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Loss, gradient or weights became NaN/Inf.
    #[error("training stopped at step {step}: non-finite {what}; {}", checkpoint_note(.checkpoint))]
    NonFinite {
        /// Step.
        step: u64,
        /// `loss`, `gradient` or `weights`.
        what: String,
        /// The step of the last checkpoint written before, kept on disk (`None`: none was).
        checkpoint: Option<u64>,
    },
    /// The loss of a vision run became NaN or infinite; the files written so far are kept.
    #[error(
        "training stopped at epoch {epoch}, step {step}: non-finite loss {loss} (config.toml and \
         metrics.csv up to the step before are kept; no model was written)"
    )]
    NonFiniteLoss {
        /// Epoch, from 1.
        epoch: usize,
        /// Optimizer step, from 1, counted over all epochs.
        step: u64,
        /// The loss.
        loss: f64,
    },
    /// A sweep is wrong: names what (a grid key and value, a run) and why.
    #[error("{what}: {message}")]
    Sweep {
        /// The key, value or run at fault.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// Data does not fit the model.
    #[error("shape mismatch: {what}: the model expects {expected}, the data has {got}")]
    Shape {
        /// What.
        what: String,
        /// Expected shape.
        expected: String,
        /// Found.
        got: String,
    },
}

fn checkpoint_note(checkpoint: &Option<u64>) -> String {
    match checkpoint {
        Some(k) => format!("the checkpoint of step {k} is kept"),
        None => "no checkpoint was written before it".into(),
    }
}

/// Result alias.
pub type Result<T> = std::result::Result<T, TrainError>;

/// Wrap an I/O error with its path.
pub fn io(path: &std::path::Path, source: std::io::Error) -> TrainError {
    TrainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A file that is not what it should be, with its path.
pub fn file(path: &std::path::Path, message: impl std::fmt::Display) -> TrainError {
    TrainError::File {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// A config error.
pub fn config(key: &str, message: impl Into<String>) -> TrainError {
    TrainError::Config {
        key: key.to_string(),
        message: message.into(),
    }
}
