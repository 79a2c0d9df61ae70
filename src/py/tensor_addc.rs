//! `addcmul` / `addcdiv` (methods, in-place forms and functions): `self + value * t1 * t2` and
//! `self + value * t1 / t2`, with PyTorch's argument errors.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{checked_scalar, type_name};
use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops;
use crate::tensor::{Scalar, Tensor};

type AddcOp = fn(&Tensor, &Tensor, &Tensor, Scalar) -> crate::Result<Tensor>;

fn op_of(name: &str) -> AddcOp {
    if name.starts_with("addcmul") { ops::addcmul } else { ops::addcdiv }
}

/// `tensor1` / `tensor2`: tensors only (a number is refused, as PyTorch's parser does).
fn operand(name: &str, arg: &str, position: usize, obj: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    obj.cast::<PyTensor>().map(|t| t.get().inner.clone()).map_err(|_| {
        PyTypeError::new_err(format!("{name}(): argument '{arg}' (position {position}) must be Tensor, not {}", type_name(obj)))
    })
}

/// `value=`: a Python number (bool included), 1 when absent. Read from the keywords as given:
/// PyTorch refuses an explicit `value=None`, which PyO3 would map to "absent".
fn value_arg(name: &str, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Scalar> {
    let mut value = None;
    for (key, v) in kwargs.into_iter().flat_map(|k| k.iter()) {
        if key.to_string() != "value" {
            return Err(PyTypeError::new_err(format!("{name}() got an unexpected keyword argument '{key}'")));
        }
        value = Some(v);
    }
    let Some(value) = value else { return Ok(Scalar::Int(1)) };
    match checked_scalar(&value, None)? {
        Some(v) => Ok(v),
        None => Err(PyTypeError::new_err(format!("{name}(): argument 'value' must be Number, not {}", type_name(&value)))),
    }
}

/// The three operands and value of a call, positions counted from `first` (1 for methods, 2 for
/// the function form whose first argument is `input`).
fn args(name: &str, t1: &Bound<'_, PyAny>, t2: &Bound<'_, PyAny>, kwargs: Option<&Bound<'_, PyDict>>, first: usize) -> PyResult<(Tensor, Tensor, Scalar)> {
    Ok((operand(name, "tensor1", first, t1)?, operand(name, "tensor2", first + 1, t2)?, value_arg(name, kwargs)?))
}

fn apply<'py>(py: Python<'py>, name: &str, s: &Tensor, t1: Tensor, t2: Tensor, value: Scalar) -> PyResult<Bound<'py, PyAny>> {
    let (s, op) = (s.clone(), op_of(name));
    let numel = s.numel().max(t1.numel()).max(t2.numel());
    wrap_tensor(py, maybe_detach(py, numel, move || op(&s, &t1, &t2, value))?)
}

fn apply_in_place<'py>(slf: &Bound<'py, PyTensor>, name: &str, t1: Tensor, t2: Tensor, value: Scalar) -> PyResult<Bound<'py, PyTensor>> {
    let (target, op) = (slf.get().inner.clone(), op_of(name));
    maybe_detach(slf.py(), target.numel(), move || ops::in_place(&target, |t| op(t, &t1, &t2, value)))?;
    Ok(slf.clone())
}

#[pymethods]
impl PyTensor {
    /// `self + value * tensor1 * tensor2`.
    #[pyo3(signature = (tensor1, tensor2, **kwargs))]
    fn addcmul<'py>(&self, py: Python<'py>, tensor1: &Bound<'py, PyAny>, tensor2: &Bound<'py, PyAny>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (t1, t2, v) = args("addcmul", tensor1, tensor2, kwargs, 1)?;
        apply(py, "addcmul", &self.inner, t1, t2, v)
    }
    /// `self += value * tensor1 * tensor2`.
    #[pyo3(signature = (tensor1, tensor2, **kwargs))]
    fn addcmul_<'py>(slf: &Bound<'py, Self>, tensor1: &Bound<'py, PyAny>, tensor2: &Bound<'py, PyAny>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyTensor>> {
        let (t1, t2, v) = args("addcmul_", tensor1, tensor2, kwargs, 1)?;
        apply_in_place(slf, "addcmul_", t1, t2, v)
    }
    /// `self + value * tensor1 / tensor2`.
    #[pyo3(signature = (tensor1, tensor2, **kwargs))]
    fn addcdiv<'py>(&self, py: Python<'py>, tensor1: &Bound<'py, PyAny>, tensor2: &Bound<'py, PyAny>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (t1, t2, v) = args("addcdiv", tensor1, tensor2, kwargs, 1)?;
        apply(py, "addcdiv", &self.inner, t1, t2, v)
    }
    /// `self += value * tensor1 / tensor2`.
    #[pyo3(signature = (tensor1, tensor2, **kwargs))]
    fn addcdiv_<'py>(slf: &Bound<'py, Self>, tensor1: &Bound<'py, PyAny>, tensor2: &Bound<'py, PyAny>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyTensor>> {
        let (t1, t2, v) = args("addcdiv_", tensor1, tensor2, kwargs, 1)?;
        apply_in_place(slf, "addcdiv_", t1, t2, v)
    }
}

fn function<'py>(py: Python<'py>, name: &str, input: &Bound<'py, PyAny>, tensor1: &Bound<'py, PyAny>, tensor2: &Bound<'py, PyAny>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
    let input = operand(name, "input", 1, input)?;
    let (t1, t2, v) = args(name, tensor1, tensor2, kwargs, 2)?;
    apply(py, name, &input, t1, t2, v)
}

/// `rustgrad.addcmul(input, tensor1, tensor2, *, value=1)`.
#[pyfunction]
#[pyo3(signature = (input, tensor1, tensor2, **kwargs))]
fn addcmul<'py>(py: Python<'py>, input: &Bound<'py, PyAny>, tensor1: &Bound<'py, PyAny>, tensor2: &Bound<'py, PyAny>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
    function(py, "addcmul", input, tensor1, tensor2, kwargs)
}

/// `rustgrad.addcdiv(input, tensor1, tensor2, *, value=1)`.
#[pyfunction]
#[pyo3(signature = (input, tensor1, tensor2, **kwargs))]
fn addcdiv<'py>(py: Python<'py>, input: &Bound<'py, PyAny>, tensor1: &Bound<'py, PyAny>, tensor2: &Bound<'py, PyAny>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
    function(py, "addcdiv", input, tensor1, tensor2, kwargs)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(addcmul, m)?)?;
    m.add_function(wrap_pyfunction!(addcdiv, m)?)
}
