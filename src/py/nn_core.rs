//! `_core.embedding` and `_core.native_batch_norm`, the ops behind `rustgrad.nn.functional`'s
//! embedding and batch_norm.

use pyo3::prelude::*;

use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops;

/// `embedding(weight, indices, padding_idx=None, scale_grad_by_freq=False)`.
#[pyfunction]
#[pyo3(signature = (weight, indices, padding_idx=None, scale_grad_by_freq=false))]
fn embedding<'py>(
    py: Python<'py>,
    weight: PyRef<'py, PyTensor>,
    indices: PyRef<'py, PyTensor>,
    padding_idx: Option<i64>,
    scale_grad_by_freq: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let (w, i) = (weight.inner.clone(), indices.inner.clone());
    let out = maybe_detach(py, i.numel() * w.shape().get(1).copied().unwrap_or(1), move || {
        ops::embedding(&w, &i, padding_idx, scale_grad_by_freq)
    })?;
    wrap_tensor(py, out)
}

/// `native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)`
/// -> `(output, save_mean, save_invstd)`; updates the running statistics in place when training.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn native_batch_norm<'py>(
    py: Python<'py>,
    input: PyRef<'py, PyTensor>,
    weight: Option<PyRef<'py, PyTensor>>,
    bias: Option<PyRef<'py, PyTensor>>,
    running_mean: Option<PyRef<'py, PyTensor>>,
    running_var: Option<PyRef<'py, PyTensor>>,
    training: bool,
    momentum: f64,
    eps: f64,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let x = input.inner.clone();
    let [w, b, rm, rv] = [weight, bias, running_mean, running_var].map(|t| t.map(|t| t.inner.clone()));
    let (out, mean, invstd) = maybe_detach(py, x.numel(), move || {
        ops::native_batch_norm(&x, w.as_ref(), b.as_ref(), rm.as_ref(), rv.as_ref(), training, momentum, eps)
    })?;
    Ok((wrap_tensor(py, out)?, wrap_tensor(py, mean)?, wrap_tensor(py, invstd)?))
}

/// Adds this file's functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(embedding, m)?)?;
    m.add_function(wrap_pyfunction!(native_batch_norm, m)?)?;
    Ok(())
}
