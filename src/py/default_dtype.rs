//! `rustgrad.get_default_dtype()` / `rustgrad.set_default_dtype(d)`: the process-wide default
//! float dtype (float32 or float64), which Python floats and float factories follow.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use super::dtype::{dtype_object, PyDType};
use crate::tensor::DType;

/// The dtype of Python floats and of float factories called without `dtype=`.
#[pyfunction]
fn get_default_dtype(py: Python<'_>) -> PyResult<Py<PyDType>> {
    dtype_object(py, DType::default_float())
}

/// Sets the default float dtype (float32 or float64), for every thread, as PyTorch's.
#[pyfunction]
fn set_default_dtype(d: &Bound<'_, PyAny>) -> PyResult<()> {
    const MESSAGE: &str = "only floating-point types are supported as the default type";
    let Ok(d) = d.cast::<PyDType>() else {
        return Err(PyTypeError::new_err(format!("invalid dtype object: {MESSAGE}")));
    };
    let dtype = d.get().0;
    if !dtype.is_float() {
        return Err(PyTypeError::new_err(MESSAGE));
    }
    DType::set_default_float(dtype);
    Ok(())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(get_default_dtype, m)?)?;
    m.add_function(wrap_pyfunction!(set_default_dtype, m)?)?;
    Ok(())
}
