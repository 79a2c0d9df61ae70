//! The private binding behind `rustgrad.nn.functional.pad` (checks in
//! `python/rustgrad/nn/_functional_pad.py`).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops::{self, PadMode};

/// `mode`: "constant" (with `value`), "reflect" or "replicate"; `pad` in PyTorch's order.
#[pyfunction]
fn _pad<'py>(py: Python<'py>, input: PyRef<'py, PyTensor>, pad: Vec<i64>, mode: &str, value: f64) -> PyResult<Bound<'py, PyAny>> {
    let mode = match mode {
        "constant" => PadMode::Constant(value),
        "reflect" => PadMode::Reflect,
        "replicate" => PadMode::Replicate,
        other => return Err(PyValueError::new_err(format!("_pad: unknown mode {other}"))),
    };
    let t = input.inner.clone();
    let work = t.numel();
    wrap_tensor(py, maybe_detach(py, work, move || ops::pad(&t, &pad, mode))?)
}

/// Adds this file's functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_pad, m)?)?;
    Ok(())
}
