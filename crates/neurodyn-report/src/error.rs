//! The report crate's error: what a run directory or an analysis' options do not allow, or a
//! step that failed with what was being done, keeping the library error underneath.

use std::path::PathBuf;

/// What went wrong in an analysis or the report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The run directory does not hold what is needed: not a run, the other kind of run, a file
    /// missing or malformed, a network the analysis cannot read.
    #[error("{0}")]
    Run(String),
    /// An option that does not fit the run: a unit, label, period, layer or class it lacks, or
    /// options that contradict each other.
    #[error("{0}")]
    Options(String),
    /// A step that failed, and what was being done (`cannot load the network of RUN`).
    #[error("{what}: {source}")]
    While {
        /// What was being done.
        what: String,
        /// Why it failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// From training: loading a run, its config or its network, re-running it.
    #[error(transparent)]
    Train(#[from] neurodyn_train::TrainError),
    /// From an analysis on arrays.
    #[error(transparent)]
    Analysis(#[from] neurodyn_analysis::AnalysisError),
    /// From drawing a figure.
    #[error(transparent)]
    Plot(#[from] neurodyn_plot::PlotError),
    /// From reading recordings and `.npz` files.
    #[error(transparent)]
    Core(#[from] neurodyn_core::CoreError),
    /// From building a task.
    #[error(transparent)]
    Task(#[from] neurodyn_tasks::TaskError),
    /// From the engine.
    #[error(transparent)]
    Nn(#[from] neurodyn_nn::NnError),
}

/// The report crate's result.
pub type Result<T> = std::result::Result<T, ReportError>;

/// Say what was being done when a step failed (as `anyhow::Context` does, keeping the error as
/// the source), or, on an `Option`, what is missing.
pub trait Context<T> {
    /// On failure, [`ReportError::While`] with `what`.
    fn context(self, what: &str) -> Result<T>;
    /// On failure, [`ReportError::While`] with `what()`.
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Context<T> for std::result::Result<T, E> {
    fn context(self, what: &str) -> Result<T> {
        self.with_context(|| what.to_string())
    }
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| ReportError::While {
            what: what(),
            source: Box::new(e),
        })
    }
}

/// On `None`, [`ReportError::Run`] with the message: the run lacks it.
impl<T> Context<T> for Option<T> {
    fn context(self, what: &str) -> Result<T> {
        self.ok_or_else(|| ReportError::Run(what.to_string()))
    }
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.ok_or_else(|| ReportError::Run(what()))
    }
}
