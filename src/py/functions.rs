//! Module-level functions of `rustgrad._core`: factories, random numbers, grad mode, and the
//! autograd entry points behind `rustgrad.autograd.backward` / `grad`.

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::convert::{dtype_arg, scalar, size_from_args, tensor_from_data};
use super::tensor::{run_backward, tensor_list, wrap_tensor, PyTensor};
use crate::autograd;
use crate::tensor::{DType, Scalar, Tensor};

fn finish<'py>(py: Python<'py>, t: Tensor, requires_grad: bool) -> PyResult<Bound<'py, PyAny>> {
    wrap_tensor(py, t.with_requires_grad(requires_grad)?)
}

/// `rustgrad.tensor(data, *, dtype=None, requires_grad=False)`: a new tensor copying `data`.
#[pyfunction]
#[pyo3(signature = (data, *, dtype=None, device=None, requires_grad=false))]
fn tensor<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    dtype: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = device; // CPU only
    finish(py, tensor_from_data(data, dtype_arg(dtype)?)?, requires_grad)
}

fn filled<'py>(
    py: Python<'py>,
    size: &Bound<'py, PyTuple>,
    value: f64,
    dtype: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let dtype = dtype_arg(dtype)?.unwrap_or(DType::DEFAULT_FLOAT);
    finish(py, Tensor::full(&size_from_args(size)?, value, dtype), requires_grad)
}

/// A tensor of zeros.
#[pyfunction]
#[pyo3(signature = (*size, dtype=None, device=None, requires_grad=false))]
fn zeros<'py>(
    py: Python<'py>,
    size: &Bound<'py, PyTuple>,
    dtype: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = device;
    filled(py, size, 0.0, dtype, requires_grad)
}

/// A tensor of ones.
#[pyfunction]
#[pyo3(signature = (*size, dtype=None, device=None, requires_grad=false))]
fn ones<'py>(
    py: Python<'py>,
    size: &Bound<'py, PyTuple>,
    dtype: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = device;
    filled(py, size, 1.0, dtype, requires_grad)
}

/// A tensor filled with `fill_value` (its dtype follows the value unless given).
#[pyfunction]
#[pyo3(signature = (size, fill_value, *, dtype=None, device=None, requires_grad=false))]
fn full<'py>(
    py: Python<'py>,
    size: &Bound<'py, PyAny>,
    fill_value: &Bound<'py, PyAny>,
    dtype: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = device;
    let value = scalar(fill_value)
        .ok_or_else(|| PyTypeError::new_err("full(): argument 'fill_value' must be a Number"))?;
    let natural = match value {
        Scalar::Bool(_) => DType::Bool,
        Scalar::Int(_) => DType::I64,
        Scalar::Float(_) => DType::DEFAULT_FLOAT,
    };
    let dtype = dtype_arg(dtype)?.unwrap_or(natural);
    let shape = super::convert::size_from_sequence(size)?;
    finish(py, Tensor::full(&shape, value.to_f64(), dtype), requires_grad)
}

fn like<'py>(
    py: Python<'py>,
    input: &PyTensor,
    value: f64,
    dtype: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let dtype = dtype_arg(dtype)?.unwrap_or(input.inner.dtype());
    finish(py, Tensor::full(&input.inner.shape(), value, dtype), requires_grad)
}

/// Zeros shaped like `input`.
#[pyfunction]
#[pyo3(signature = (input, *, dtype=None, requires_grad=false))]
fn zeros_like<'py>(py: Python<'py>, input: PyRef<'py, PyTensor>, dtype: Option<&Bound<'py, PyAny>>, requires_grad: bool) -> PyResult<Bound<'py, PyAny>> {
    like(py, &input, 0.0, dtype, requires_grad)
}

/// Ones shaped like `input`.
#[pyfunction]
#[pyo3(signature = (input, *, dtype=None, requires_grad=false))]
fn ones_like<'py>(py: Python<'py>, input: PyRef<'py, PyTensor>, dtype: Option<&Bound<'py, PyAny>>, requires_grad: bool) -> PyResult<Bound<'py, PyAny>> {
    like(py, &input, 1.0, dtype, requires_grad)
}

fn float_dtype(dtype: Option<&Bound<'_, PyAny>>, kernel: &str) -> PyResult<DType> {
    let dtype = dtype_arg(dtype)?.unwrap_or(DType::DEFAULT_FLOAT);
    if !dtype.is_float() {
        return Err(PyRuntimeError::new_err(format!("\"{kernel}\" not implemented for '{}'", dtype.scalar_type_name())));
    }
    Ok(dtype)
}

/// Standard normal samples.
#[pyfunction]
#[pyo3(signature = (*size, dtype=None, device=None, requires_grad=false, generator=None))]
fn randn<'py>(
    py: Python<'py>,
    size: &Bound<'py, PyTuple>,
    dtype: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
    generator: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = (device, generator);
    let dtype = float_dtype(dtype, "normal_kernel_cpu")?;
    finish(py, crate::random::randn(&size_from_args(size)?, dtype), requires_grad)
}

/// Uniform samples in [0, 1).
#[pyfunction]
#[pyo3(signature = (*size, dtype=None, device=None, requires_grad=false, generator=None))]
fn rand<'py>(
    py: Python<'py>,
    size: &Bound<'py, PyTuple>,
    dtype: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
    generator: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = (device, generator);
    let dtype = float_dtype(dtype, "check_uniform_bounds")?;
    finish(py, crate::random::rand(&size_from_args(size)?, dtype), requires_grad)
}

/// Seeds the global generator.
#[pyfunction]
fn _manual_seed(seed: i128) {
    // PyTorch accepts any int and keeps its low 64 bits.
    crate::random::manual_seed(seed as u64);
}

/// The seed of the global generator.
#[pyfunction]
fn initial_seed() -> u64 {
    crate::random::with_default_generator(|g| g.initial_seed())
}

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
        autograd::grad(&outputs, &inputs, grads, retain_graph, create_graph, allow_unused, materialize_grads)
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

/// Sets the number of kernel threads (effective before the first parallel kernel runs).
#[pyfunction]
fn set_num_threads(n: usize) {
    crate::cpu::set_num_threads(n);
}

/// The number of kernel threads.
#[pyfunction]
fn get_num_threads() -> usize {
    crate::cpu::get_num_threads()
}

/// Adds this file's functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(tensor, m)?)?;
    m.add_function(wrap_pyfunction!(zeros, m)?)?;
    m.add_function(wrap_pyfunction!(ones, m)?)?;
    m.add_function(wrap_pyfunction!(full, m)?)?;
    m.add_function(wrap_pyfunction!(zeros_like, m)?)?;
    m.add_function(wrap_pyfunction!(ones_like, m)?)?;
    m.add_function(wrap_pyfunction!(randn, m)?)?;
    m.add_function(wrap_pyfunction!(rand, m)?)?;
    m.add_function(wrap_pyfunction!(_manual_seed, m)?)?;
    m.add_function(wrap_pyfunction!(initial_seed, m)?)?;
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
