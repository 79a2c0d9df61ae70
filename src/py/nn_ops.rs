//! Private module functions behind `rustgrad.nn.functional`'s losses, layer norm, convolution and
//! pooling. Argument parsing and PyTorch's Python-level checks live in
//! `python/rustgrad/nn/_functional_{loss,conv}.py`; these take normalised arguments, release the
//! GIL for large work (measured in multiply-adds) and return tensors.

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::cpu::conv::AvgRule;
use crate::ops::{self, ConvParams, PoolParams, Reduction};
use crate::tensor::Tensor;

type T<'py> = PyRef<'py, PyTensor>;

fn inner(t: &T<'_>) -> Tensor {
    t.inner.clone()
}

fn opt(t: &Option<T<'_>>) -> Option<Tensor> {
    t.as_ref().map(inner)
}

#[pyfunction]
#[pyo3(signature = (input, target, weight, ignore_index, reduction))]
fn _nll_loss<'py>(py: Python<'py>, input: T<'py>, target: T<'py>, weight: Option<T<'py>>, ignore_index: i64, reduction: &str) -> PyResult<Bound<'py, PyAny>> {
    let r = Reduction::parse(reduction)?;
    let (x, y, w) = (inner(&input), inner(&target), opt(&weight));
    let work = x.numel();
    wrap_tensor(py, maybe_detach(py, work, move || ops::nll_loss(&x, &y, w.as_ref(), ignore_index, r))?)
}

/// `kind`: "mse" | "huber" | "smooth_l1"; `param` is delta or beta.
#[pyfunction]
#[pyo3(signature = (kind, input, target, reduction, param=1.0))]
fn _pointwise_loss<'py>(py: Python<'py>, kind: &str, input: T<'py>, target: T<'py>, reduction: &str, param: f64) -> PyResult<Bound<'py, PyAny>> {
    let r = Reduction::parse(reduction)?;
    let (x, y) = (inner(&input), inner(&target));
    let work = x.numel().max(y.numel());
    let kind = kind.to_string();
    let out = maybe_detach(py, work, move || match kind.as_str() {
        "mse" => ops::mse_loss(&x, &y, r),
        "huber" => ops::huber_loss(&x, &y, r, param),
        _ => ops::smooth_l1_loss(&x, &y, r, param),
    })?;
    wrap_tensor(py, out)
}

#[pyfunction]
#[pyo3(signature = (input, target, weight, reduction))]
fn _binary_cross_entropy<'py>(py: Python<'py>, input: T<'py>, target: T<'py>, weight: Option<T<'py>>, reduction: &str) -> PyResult<Bound<'py, PyAny>> {
    let r = Reduction::parse(reduction)?;
    let (x, y, w) = (inner(&input), inner(&target), opt(&weight));
    let work = x.numel();
    wrap_tensor(py, maybe_detach(py, work, move || ops::binary_cross_entropy(&x, &y, w.as_ref(), r))?)
}

#[pyfunction]
#[pyo3(signature = (input, target, weight, pos_weight, reduction))]
fn _binary_cross_entropy_with_logits<'py>(
    py: Python<'py>,
    input: T<'py>,
    target: T<'py>,
    weight: Option<T<'py>>,
    pos_weight: Option<T<'py>>,
    reduction: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let r = Reduction::parse(reduction)?;
    let (x, y, w, p) = (inner(&input), inner(&target), opt(&weight), opt(&pos_weight));
    let work = x.numel();
    wrap_tensor(py, maybe_detach(py, work, move || ops::binary_cross_entropy_with_logits(&x, &y, w.as_ref(), p.as_ref(), r))?)
}

#[pyfunction]
#[pyo3(signature = (input, normalized_shape, weight, bias, eps))]
fn _layer_norm<'py>(py: Python<'py>, input: T<'py>, normalized_shape: Vec<usize>, weight: Option<T<'py>>, bias: Option<T<'py>>, eps: f64) -> PyResult<Bound<'py, PyAny>> {
    let (x, w, b) = (inner(&input), opt(&weight), opt(&bias));
    let work = x.numel() * 4;
    wrap_tensor(py, maybe_detach(py, work, move || ops::layer_norm(&x, &normalized_shape, w.as_ref(), b.as_ref(), eps))?)
}

#[pyfunction]
#[pyo3(signature = (input, weight, bias, stride, pad_before, pad_after, dilation, groups))]
#[allow(clippy::too_many_arguments)]
fn _convolution<'py>(
    py: Python<'py>,
    input: T<'py>,
    weight: T<'py>,
    bias: Option<T<'py>>,
    stride: [usize; 3],
    pad_before: [usize; 3],
    pad_after: [usize; 3],
    dilation: [usize; 3],
    groups: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let (x, w, b) = (inner(&input), inner(&weight), opt(&bias));
    let p = ConvParams { stride, pad_before, pad_after, dilation, groups };
    // Multiply-adds: every input element meets every weight of its group (upper bound).
    let work = x.numel().saturating_mul(w.numel() / w.shape().first().copied().unwrap_or(1).max(1));
    wrap_tensor(py, maybe_detach(py, work, move || ops::convolution(&x, &w, b.as_ref(), &p))?)
}

/// Max pooling over the last `kernel_size.len()` (2 or 3) dims: (values, indices).
#[pyfunction]
#[pyo3(signature = (input, kernel_size, stride, padding, dilation, ceil_mode))]
fn _max_pool<'py>(
    py: Python<'py>,
    input: T<'py>,
    kernel_size: Vec<i64>,
    stride: Vec<i64>,
    padding: Vec<i64>,
    dilation: Vec<i64>,
    ceil_mode: bool,
) -> PyResult<Bound<'py, PyTuple>> {
    let x = inner(&input);
    let p = PoolParams::new(&kernel_size, &stride, &padding, &dilation, ceil_mode);
    let work = x.numel().saturating_mul(p.kernel.iter().product::<i64>().max(1) as usize);
    let (out, idx) = maybe_detach(py, work, move || ops::max_pool(&x, &p))?;
    PyTuple::new(py, [wrap_tensor(py, out)?, wrap_tensor(py, idx)?])
}

/// Average pooling over the last `kernel_size.len()` (2 or 3) dims.
#[pyfunction]
#[pyo3(signature = (input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override))]
#[allow(clippy::too_many_arguments)]
fn _avg_pool<'py>(
    py: Python<'py>,
    input: T<'py>,
    kernel_size: Vec<i64>,
    stride: Vec<i64>,
    padding: Vec<i64>,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let x = inner(&input);
    let p = PoolParams::new(&kernel_size, &stride, &padding, &vec![1; kernel_size.len()], ceil_mode);
    let rule = AvgRule { count_include_pad, divisor: divisor_override };
    let work = x.numel().saturating_mul(p.kernel.iter().product::<i64>().max(1) as usize);
    wrap_tensor(py, maybe_detach(py, work, move || ops::avg_pool(&x, &p, rule))?)
}

/// Adaptive average pooling of the last `output_size.len()` (2 or 3) dims.
#[pyfunction]
#[pyo3(signature = (input, output_size))]
fn _adaptive_avg_pool<'py>(py: Python<'py>, input: T<'py>, output_size: Vec<usize>) -> PyResult<Bound<'py, PyAny>> {
    let x = inner(&input);
    let work = x.numel();
    wrap_tensor(py, maybe_detach(py, work, move || ops::adaptive_avg_pool(&x, &output_size))?)
}

/// Adaptive max pooling of the last `output_size.len()` (2 or 3) dims: (values, indices).
#[pyfunction]
#[pyo3(signature = (input, output_size))]
fn _adaptive_max_pool<'py>(py: Python<'py>, input: T<'py>, output_size: Vec<usize>) -> PyResult<Bound<'py, PyTuple>> {
    let x = inner(&input);
    let work = x.numel();
    let (out, idx) = maybe_detach(py, work, move || ops::adaptive_max_pool(&x, &output_size))?;
    PyTuple::new(py, [wrap_tensor(py, out)?, wrap_tensor(py, idx)?])
}

/// Adds this file's module functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_nll_loss, m)?)?;
    m.add_function(wrap_pyfunction!(_pointwise_loss, m)?)?;
    m.add_function(wrap_pyfunction!(_binary_cross_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(_binary_cross_entropy_with_logits, m)?)?;
    m.add_function(wrap_pyfunction!(_layer_norm, m)?)?;
    m.add_function(wrap_pyfunction!(_convolution, m)?)?;
    m.add_function(wrap_pyfunction!(_max_pool, m)?)?;
    m.add_function(wrap_pyfunction!(_avg_pool, m)?)?;
    m.add_function(wrap_pyfunction!(_adaptive_avg_pool, m)?)?;
    m.add_function(wrap_pyfunction!(_adaptive_max_pool, m)?)?;
    Ok(())
}
