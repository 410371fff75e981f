//! The engine's error: what a constructor or validator refuses, in words that name the setting.

/// What the engine refuses. Each message names the setting or array and what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NnError {
    /// A setting out of range or inconsistent: a layer's kernel, stride or padding for its input,
    /// an optimizer's β, a schedule, a penalty's anchor, FORCE's α.
    #[error("{0}")]
    Invalid(String),
    /// Arrays whose sizes do not fit: targets for `(T, B, n_out)`, layers that do not chain.
    #[error("{0}")]
    Shape(String),
    /// A value became NaN or infinite while running (FORCE's readout).
    #[error("{0}")]
    NonFinite(String),
    /// The network cannot be used this way (FORCE on a gated cell, Dale's law or masked readout).
    #[error("{0}")]
    Unsupported(String),
}

/// The engine's result.
pub type Result<T> = std::result::Result<T, NnError>;

/// The message alone, for callers that attach it to a config key.
impl From<NnError> for String {
    fn from(e: NnError) -> String {
        e.to_string()
    }
}
