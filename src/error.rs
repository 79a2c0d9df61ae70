//! The one error type of the core. Each variant names the Python exception it becomes;
//! `src/py/error.rs` is the only place that maps them. Messages are worded as PyTorch words them.

use std::fmt;

/// An error raised by a tensor op, the autograd engine or a kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Raised as `RuntimeError`: shape mismatches, autograd misuse, dtype problems.
    Runtime(String),
    /// Raised as `IndexError`: out-of-range indices and dimensions.
    Index(String),
    /// Raised as `ValueError`: malformed input data (ragged lists, bad conversions).
    Value(String),
    /// Raised as `TypeError`: an argument of the wrong kind.
    Type(String),
    /// Raised as `NotImplementedError`: an op without a kernel for a dtype.
    NotImplemented(String),
}

/// The core's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A `RuntimeError` with the given message.
    pub fn runtime(msg: impl Into<String>) -> Self {
        Error::Runtime(msg.into())
    }
    /// An `IndexError` with the given message.
    pub fn index(msg: impl Into<String>) -> Self {
        Error::Index(msg.into())
    }
    /// A `ValueError` with the given message.
    pub fn value(msg: impl Into<String>) -> Self {
        Error::Value(msg.into())
    }
    /// A `TypeError` with the given message.
    pub fn type_error(msg: impl Into<String>) -> Self {
        Error::Type(msg.into())
    }
    /// A `NotImplementedError` with the given message.
    pub fn not_implemented(msg: impl Into<String>) -> Self {
        Error::NotImplemented(msg.into())
    }
    /// The message without the kind.
    pub fn message(&self) -> &str {
        match self {
            Error::Runtime(m) | Error::Index(m) | Error::Value(m) | Error::Type(m) | Error::NotImplemented(m) => m,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}
