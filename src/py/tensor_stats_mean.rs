//! `rustgrad.var_mean` / `std_mean` (PyTorch has no method forms): `_core._var_mean`, called by
//! the Python function forms once they have read `dim` / `unbiased` / `correction`.

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops;

/// `(var, mean)` (or `(std, mean)` when `root`) of `input` over `dim` (None: every dim).
#[pyfunction]
#[pyo3(signature = (input, dim, correction, keepdim, root))]
fn _var_mean<'py>(py: Python<'py>, input: PyRef<'py, PyTensor>, dim: Option<Vec<i64>>, correction: f64, keepdim: bool, root: bool) -> PyResult<Bound<'py, PyTuple>> {
    let t = input.inner.clone();
    let (spread, mean) = maybe_detach(py, t.numel(), move || ops::var_mean(&t, dim.as_deref(), correction, keepdim, root))?;
    PyTuple::new(py, [wrap_tensor(py, spread)?, wrap_tensor(py, mean)?])
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_var_mean, m)?)
}
