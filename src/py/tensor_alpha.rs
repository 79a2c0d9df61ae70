//! `add`/`sub` and their in-place forms with `alpha`: PyTorch's `alpha_check`, its checked
//! conversion of alpha to the result type, and the order of its refusals.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::convert::{alpha_arg, big_int, checked_scalar, BigInt};
use super::tensor::PyTensor;
use crate::ops::{self, Arith, InPlaceArith};
use crate::tensor::{Scalar, Tensor};

/// `a op alpha * other`'s alpha argument. A uint64 alpha overflowing an integer result is refused
/// after the bool-subtraction checks, as PyTorch orders them.
fn alpha_for(a: &Tensor, other: &Tensor, alpha: Option<&Bound<'_, PyAny>>, op: Arith, method: &str) -> PyResult<Scalar> {
    let dtype = ops::result_dtype(op, a, other);
    let big = alpha.and_then(big_int);
    if let (Arith::Sub, Some(BigInt::U64(v))) = (op, big) {
        // PyTorch negates a uint64 alpha as an int64 (sub is add with -alpha): 2**63 passes.
        return Ok(Scalar::Int(v as i64));
    }
    let uint64 = matches!(big, Some(BigInt::U64(_)));
    alpha_arg(alpha, method, dtype).map_err(|e| match ops::check_bool_operands(op, a, other, dtype) {
        Err(first) if uint64 => first.into(),
        _ => e,
    })
}

/// `target op= alpha * other`'s alpha, after the refusals PyTorch makes first: the argument
/// parser's OverflowError for an int past uint64, sub's bool check, then a result type the
/// target cannot hold.
fn in_place_alpha(target: &Tensor, other: &Tensor, alpha: Option<&Bound<'_, PyAny>>, op: Arith, method: &str) -> PyResult<Scalar> {
    if let Some(a) = alpha.filter(|a| matches!(big_int(a), Some(b) if !matches!(b, BigInt::U64(_)))) {
        checked_scalar(a, None)?;
    }
    let result = ops::result_dtype(op, target, other);
    ops::check_bool_operands(op, target, other, result)?;
    ops::check_result_castable(result, target.dtype())?;
    alpha_for(target, other, alpha, op, method)
}

/// The `alpha=` keyword of `add`/`sub`/`add_`/`sub_`, read from the keywords as given: PyO3 maps
/// an explicit None to "absent", but PyTorch refuses `alpha=None` (alpha is a Number, not optional).
fn alpha_kwarg<'py>(kwargs: Option<&Bound<'py, PyDict>>, method: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    let Some(kwargs) = kwargs else { return Ok(None) };
    let mut alpha = None;
    for (key, value) in kwargs.iter() {
        if key.to_string() != "alpha" {
            return Err(PyTypeError::new_err(format!("{method}() got an unexpected keyword argument '{key}'")));
        }
        if value.is_none() {
            return Err(PyTypeError::new_err(format!("{method}(): argument 'alpha' must be Number, not NoneType")));
        }
        alpha = Some(value);
    }
    Ok(alpha)
}

/// `(other, alpha)` of a call with more than one positional argument: PyTorch's deprecated
/// `add(Scalar alpha, Tensor other)` overload (with its warning), else its parser's error.
fn deprecated_alpha<'py>(
    key: &str,
    other: &Bound<'py, PyAny>,
    rest: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let given: Vec<Bound<'py, PyAny>> = std::iter::once(other.clone()).chain(rest.iter()).collect();
    let args = PyTuple::new(other.py(), given)?;
    let bound = super::argparse::bind(key, &args, kwargs)?;
    match (bound.get("other"), bound.get("alpha")) {
        (Some(o), Some(a)) => Ok((o.clone(), a.clone())),
        _ => Err(PyTypeError::new_err(format!("{key}(): invalid arguments"))),
    }
}

/// `other` and the alpha argument as given: the keyword (checked) or the deprecated positional one.
fn other_alpha<'py>(
    key: &str,
    method: &str,
    other: &Bound<'py, PyAny>,
    rest: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Bound<'py, PyAny>, Option<Bound<'py, PyAny>>)> {
    if rest.is_empty() {
        return Ok((other.clone(), alpha_kwarg(kwargs, method)?));
    }
    let (other, alpha) = deprecated_alpha(key, other, rest, kwargs)?;
    Ok((other, Some(alpha)))
}

#[pymethods]
impl PyTensor {
    /// `self + alpha * other`.
    #[pyo3(signature = (other, *rest, **kwargs))]
    fn add<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>, rest: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (other, alpha) = other_alpha("Tensor.add", "add", other, rest, kwargs)?;
        let alpha = alpha.as_ref();
        let other = Self::in_place_operand(&other, self.inner.dtype())?;
        let alpha = alpha_for(self.t(), &other, alpha, Arith::Add, "add")?;
        self.with_other(py, other, move |t, o| ops::add_scaled(t, o, alpha))
    }
    /// `self - alpha * other`.
    #[pyo3(signature = (other, *rest, **kwargs))]
    fn sub<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>, rest: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (other, alpha) = other_alpha("Tensor.sub", "sub", other, rest, kwargs)?;
        let alpha = alpha.as_ref();
        let other = Self::in_place_operand(&other, self.inner.dtype())?;
        let alpha = alpha_for(self.t(), &other, alpha, Arith::Sub, "sub")?;
        self.with_other(py, other, move |t, o| ops::sub_scaled(t, o, alpha))
    }
    /// In-place `self += alpha * other`.
    #[pyo3(signature = (other, *rest, **kwargs))]
    fn add_<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>, rest: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        let (other, alpha) = other_alpha("Tensor.add_", "add_", other, rest, kwargs)?;
        let alpha = alpha.as_ref();
        let other = Self::in_place_operand(&other, slf.get().inner.dtype())?;
        let alpha = in_place_alpha(&slf.get().inner, &other, alpha, Arith::Add, "add_")?;
        Self::arith_in_place(slf, other, InPlaceArith::Add, alpha)
    }
    /// In-place `self -= alpha * other`.
    #[pyo3(signature = (other, *rest, **kwargs))]
    fn sub_<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>, rest: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        let (other, alpha) = other_alpha("Tensor.sub_", "sub_", other, rest, kwargs)?;
        let alpha = alpha.as_ref();
        let other = Self::in_place_operand(&other, slf.get().inner.dtype())?;
        let alpha = in_place_alpha(&slf.get().inner, &other, alpha, Arith::Sub, "sub_")?;
        Self::arith_in_place(slf, other, InPlaceArith::Sub, alpha)
    }
}
