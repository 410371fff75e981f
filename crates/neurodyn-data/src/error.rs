//! The error type of the data crate: every variant names the file (or directory) it is about and
//! says what was expected and what was found.

use std::path::PathBuf;

/// What went wrong reading or splitting a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be read, or its gzip stream is corrupt.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file a dataset directory must hold is absent.
    #[error("{dir}: no {file} in this directory")]
    Missing {
        /// The directory searched.
        dir: PathBuf,
        /// The file name looked for (with the alternatives accepted).
        file: String,
    },
    /// A file does not start like an IDX file (two zero bytes, a type code, a rank).
    #[error("{file}: not an IDX file: magic 0x{found:08x} does not start with two zero bytes")]
    NotIdx {
        /// The file.
        file: PathBuf,
        /// The first four bytes, big-endian.
        found: u32,
    },
    /// An IDX file has the wrong rank for its role (e.g. a labels file given as images).
    #[error("{file}: IDX magic 0x{found:08x}, expected 0x{expected:08x} ({})", describe_magic(*expected))]
    BadMagic {
        /// The file.
        file: PathBuf,
        /// The magic number required.
        expected: u32,
        /// The magic number found.
        found: u32,
    },
    /// An IDX file holds a type other than unsigned bytes.
    #[error("{file}: IDX type code 0x{code:02x} ({}) is not supported; only 0x08 (unsigned byte) is", type_name(*code))]
    UnsupportedType {
        /// The file.
        file: PathBuf,
        /// The type code (third byte of the magic number).
        code: u8,
    },
    /// A file ends inside its header.
    #[error("{file}: truncated header: needs {expected} bytes, found {found}")]
    TruncatedHeader {
        /// The file.
        file: PathBuf,
        /// Header bytes required.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// A file holds fewer data bytes than its header declares (`expected` saturates at `u64::MAX`).
    #[error("{file}: truncated: dims {dims:?} need {expected} data bytes, found {found}")]
    Truncated {
        /// The file.
        file: PathBuf,
        /// The dimensions the header declares.
        dims: Vec<u32>,
        /// Data bytes declared.
        expected: u64,
        /// Data bytes present.
        found: u64,
    },
    /// A file holds more bytes than its header declares.
    #[error(
        "{file}: {extra} extra byte(s) after the {expected} data bytes that dims {dims:?} declare"
    )]
    TrailingData {
        /// The file.
        file: PathBuf,
        /// The dimensions the header declares.
        dims: Vec<u32>,
        /// Data bytes declared.
        expected: u64,
        /// Bytes beyond them.
        extra: u64,
    },
    /// An images file and its labels file disagree on the number of items.
    #[error("{images_file} holds {images} images but {labels_file} holds {labels} labels")]
    CountMismatch {
        /// The images file.
        images_file: PathBuf,
        /// The labels file.
        labels_file: PathBuf,
        /// Images found.
        images: usize,
        /// Labels found.
        labels: usize,
    },
    /// A CIFAR batch is not a whole, positive number of records.
    #[error("{file}: {len} bytes is not a positive whole number of {record}-byte CIFAR records")]
    PartialRecord {
        /// The file.
        file: PathBuf,
        /// The file's length in bytes.
        len: u64,
        /// The record size (1 label byte + the pixels).
        record: usize,
    },
    /// A label is not a valid class index.
    #[error("{file}: item {index} has label {label}, but there are {n_classes} classes")]
    BadLabel {
        /// The file (`<memory>` for [`crate::ImageSet::new`]).
        file: PathBuf,
        /// The item.
        index: usize,
        /// Its label.
        label: u8,
        /// The number of classes.
        n_classes: usize,
    },
    /// A class-names file does not list the expected number of names.
    #[error("{file}: {found} class names, expected {expected}")]
    ClassNames {
        /// The file.
        file: PathBuf,
        /// Names required.
        expected: usize,
        /// Non-empty lines found.
        found: usize,
    },
    /// Pixel and label buffers do not fit the declared image shape.
    #[error("shape mismatch for {what}: expected {expected} bytes, got {got}")]
    ShapeMismatch {
        /// Which buffer.
        what: String,
        /// Length required.
        expected: usize,
        /// Length found.
        got: usize,
    },
    /// A test split asks for more items of a class than the class has, or is otherwise invalid.
    #[error("invalid split: {message}")]
    InvalidSplit {
        /// What is wrong.
        message: String,
    },
}

/// Result alias for the data crate.
pub type Result<T> = std::result::Result<T, DataError>;

/// The name of an IDX type code.
fn type_name(code: u8) -> &'static str {
    match code {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown",
    }
}

/// What an expected magic number means, for messages.
fn describe_magic(magic: u32) -> String {
    format!("{}-dim {}", magic & 0xff, type_name((magic >> 8) as u8))
}
