//! Module-level functions of `rustgrad._core`: grad mode, thread count, and the
//! autograd entry points behind `rustgrad.autograd.backward` / `grad`.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::tensor::{run_backward, tensor_list, wrap_tensor, PyTensor};
use crate::autograd;
use crate::error::catch_alloc_failure;
use crate::tensor::Tensor;

/// True when ops record the graph on this thread.
#[pyfunction]
fn is_grad_enabled() -> bool {
    autograd::is_grad_enabled()
}

/// Turns graph recording on or off for this thread.
#[pyfunction]
fn _set_grad_enabled(mode: bool) {
    autograd::set_grad_enabled(mode);
}

/// True inside inference mode on this thread.
#[pyfunction]
fn is_inference_mode_enabled() -> bool {
    autograd::is_inference_mode_enabled()
}

/// Sets this thread's inference-mode flag.
#[pyfunction]
fn _set_inference_mode(mode: bool) {
    autograd::set_inference_mode(mode);
}

/// True when anomaly detection is on.
#[pyfunction]
fn is_anomaly_enabled() -> bool {
    autograd::is_anomaly_enabled()
}

/// True when anomaly detection checks for NaN.
#[pyfunction]
fn is_anomaly_check_nan_enabled() -> bool {
    autograd::is_anomaly_check_nan_enabled()
}

/// Sets the process-wide anomaly-detection flags.
#[pyfunction]
#[pyo3(signature = (mode, check_nan=true))]
fn _set_anomaly_enabled(mode: bool, check_nan: bool) {
    autograd::set_anomaly_enabled(mode, check_nan);
}

/// The engine behind `rustgrad.autograd.backward` (arguments already normalised to lists).
#[pyfunction]
#[pyo3(signature = (tensors, grad_tensors, retain_graph, create_graph, inputs))]
fn _backward(
    py: Python<'_>,
    tensors: &Bound<'_, PyAny>,
    grad_tensors: Vec<Option<PyRef<'_, PyTensor>>>,
    retain_graph: Option<bool>,
    create_graph: bool,
    inputs: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let tensors = tensor_list(Some(tensors))?.unwrap_or_default();
    let grads = grad_tensors.into_iter().map(|g| g.map(|g| g.inner.clone())).collect();
    let inputs = tensor_list(inputs)?;
    run_backward(py, tensors, grads, retain_graph, create_graph, inputs)
}

/// The engine behind `rustgrad.autograd.grad`; returns a tuple with one entry per input.
#[pyfunction]
#[pyo3(signature = (outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads))]
#[allow(clippy::too_many_arguments)]
fn _grad<'py>(
    py: Python<'py>,
    outputs: &Bound<'py, PyAny>,
    inputs: &Bound<'py, PyAny>,
    grad_outputs: Vec<Option<PyRef<'py, PyTensor>>>,
    retain_graph: Option<bool>,
    create_graph: bool,
    allow_unused: bool,
    materialize_grads: bool,
) -> PyResult<Bound<'py, PyTuple>> {
    let outputs = tensor_list(Some(outputs))?.unwrap_or_default();
    let inputs = tensor_list(Some(inputs))?.unwrap_or_default();
    let grads: Vec<Option<Tensor>> = grad_outputs.into_iter().map(|g| g.map(|g| g.inner.clone())).collect();
    let result = py.detach(move || {
        catch_alloc_failure(|| autograd::grad(&outputs, &inputs, grads, retain_graph, create_graph, allow_unused, materialize_grads))
    })?;
    let items = result
        .into_iter()
        .map(|g| match g {
            Some(g) => wrap_tensor(py, g),
            None => Ok(py.None().into_bound(py)),
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

/// Sets the number of threads parallel kernels use (takes effect for the next kernel).
#[pyfunction]
fn set_num_threads(n: i64) -> PyResult<()> {
    if n <= 0 {
        return Err(PyRuntimeError::new_err("set_num_threads expects a positive integer"));
    }
    crate::cpu::set_num_threads(n as usize);
    Ok(())
}

/// The number of kernel threads.
#[pyfunction]
fn get_num_threads() -> usize {
    crate::cpu::get_num_threads()
}

/// Adds this file's functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(is_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(_set_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(is_inference_mode_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(_set_inference_mode, m)?)?;
    m.add_function(wrap_pyfunction!(is_anomaly_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(is_anomaly_check_nan_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(_set_anomaly_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(_backward, m)?)?;
    m.add_function(wrap_pyfunction!(_grad, m)?)?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    Ok(())
}
