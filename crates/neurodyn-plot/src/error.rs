//! The crate's one error type. Every variant names the figure file it concerns, so a failed
//! `plot` command can tell the user exactly which output went wrong.

use std::path::PathBuf;

/// Why a figure could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Creating, writing or renaming the output file failed (e.g. the directory does not exist).
    #[error("cannot write figure {}: {source}", path.display())]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// plotters failed while drawing or encoding the figure.
    #[error("drawing figure {} failed: {message}", path.display())]
    Draw {
        /// The file being drawn.
        path: PathBuf,
        /// plotters' description of the failure.
        message: String,
    },
    /// The data handed to a builder has inconsistent lengths.
    #[error("figure {}: {what} has length {got}, expected {expected}", path.display())]
    ShapeMismatch {
        /// The figure's path stem.
        path: PathBuf,
        /// Which input (e.g. `"series 'loss' y"`).
        what: String,
        /// The length implied by the other inputs.
        expected: usize,
        /// The length received.
        got: usize,
    },
    /// The embedded DejaVu font could not be registered with plotters.
    #[error("the embedded DejaVu Sans font could not be registered with plotters")]
    Font,
}
