//! The one place where core errors become Python exceptions.

use pyo3::exceptions::{PyIndexError, PyNotImplementedError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::{PyErr, Python};

use crate::error::Error;

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        match e {
            Error::Runtime(m) => PyRuntimeError::new_err(m),
            Error::Index(m) => PyIndexError::new_err(m),
            Error::Value(m) => PyValueError::new_err(m),
            Error::Type(m) => PyTypeError::new_err(m),
            Error::NotImplemented(m) => PyNotImplementedError::new_err(m),
            Error::LinAlg(m) => super::tensor_linalg_decomp::_LinAlgError::new_err(m),
            Error::Foreign(f) => match f.payload.downcast_ref::<PyErr>() {
                Some(err) => Python::attach(|py| err.clone_ref(py)),
                None => PyRuntimeError::new_err(f.message),
            },
        }
    }
}

/// Wraps a Python exception so it can travel through the core (e.g. out of a custom Function's
/// backward, through the engine) and be re-raised unchanged.
pub fn foreign(err: PyErr) -> Error {
    let message = err.to_string();
    Error::Foreign(crate::error::ForeignError { payload: std::sync::Arc::new(err), message })
}
