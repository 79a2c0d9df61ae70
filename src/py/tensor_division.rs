//! The rounding divisions as `Tensor` methods and operators: `//`, `%` (and their reflected and
//! in-place forms), `floor_divide`, `remainder`, `fmod`, `div(rounding_mode=...)`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{arith_operand, arith_scalar, type_name};
use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::error::Result;
use crate::ops::{self, DivKind, Rounding};
use crate::tensor::{DType, Scalar, Tensor};

fn apply<'py>(py: Python<'py>, a: &Tensor, b: Tensor, f: impl FnOnce(&Tensor, &Tensor) -> Result<Tensor> + Send) -> PyResult<Bound<'py, PyAny>> {
    let a = a.clone();
    let out = maybe_detach(py, a.numel().max(b.numel()), move || f(&a, &b))?;
    wrap_tensor(py, out)
}

/// Runs `compute` in place on `self` with `other` as its operand: a result type the target cannot
/// hold is refused first, as PyTorch's TensorIterator does before the kernel (`ZeroDivisionError`).
fn in_place<'py>(slf: &Bound<'py, PyTensor>, other: &Tensor, compute: impl FnOnce(&Tensor) -> Result<Tensor> + Send) -> PyResult<Bound<'py, PyTensor>> {
    let target = slf.get().inner.clone();
    let other = other.clone();
    maybe_detach(slf.py(), target.numel(), move || {
        ops::in_place(&target, |t| {
            ops::check_result_castable(ops::result_dtype(ops::Arith::Add, t, &other), t.dtype())?;
            compute(t)
        })
    })?;
    Ok(slf.clone())
}

/// A tensor-or-number argument next to a tensor of `dtype` (a uint64 int wraps into int64 as for
/// arithmetic), with a TypeError naming the method otherwise.
fn other_arg(obj: &Bound<'_, PyAny>, method: &str, dtype: DType) -> PyResult<Tensor> {
    arith_operand(obj, dtype)?.ok_or_else(|| {
        PyTypeError::new_err(format!("{method}(): argument 'other' must be Tensor or Number, not {}", type_name(obj)))
    })
}

/// True division's operand: a uint64 int keeps its value as a float (the result is a float).
fn true_div_arg(obj: &Bound<'_, PyAny>, method: &str, dtype: DType) -> PyResult<Tensor> {
    match super::convert::big_int(obj) {
        Some(super::convert::BigInt::U64(v)) if dtype != DType::Bool => Ok(Scalar::Float(v as f64).to_tensor()),
        _ => other_arg(obj, method, dtype),
    }
}

/// `t % other` / `fmod(t, other)`: a Python number takes the Scalar overload (RemainderBackward0 /
/// FmodBackward0), a tensor the Tensor one.
type Op = Box<dyn FnOnce(&Tensor) -> Result<Tensor> + Send>;

fn remainder_or_fmod(kind: DivKind, other: &Bound<'_, PyAny>, method: &str, dtype: crate::tensor::DType) -> PyResult<Op> {
    if let Some(s) = arith_scalar(other, dtype)? {
        let c = s.to_tensor();
        return Ok(Box::new(move |t| ops::remainder_or_fmod_scalar(kind, t, &c)));
    }
    let other = other_arg(other, method, dtype)?;
    Ok(Box::new(move |t| if kind == DivKind::Remainder { ops::remainder(t, &other) } else { ops::fmod(t, &other) }))
}

/// Runs a prepared op on `t`.
fn run<'py>(py: Python<'py>, t: &Tensor, f: Op) -> PyResult<Bound<'py, PyAny>> {
    let t = t.clone();
    let out = maybe_detach(py, t.numel(), move || f(&t))?;
    wrap_tensor(py, out)
}

/// `rounding_mode=` from `div`'s keyword arguments: `None` when absent, `Some(None)` for an
/// explicit `rounding_mode=None` (PyTorch records DivBackward2 then, DivBackward0 otherwise).
fn rounding_kwarg(kwargs: Option<&Bound<'_, PyDict>>, method: &str) -> PyResult<Option<Option<Rounding>>> {
    let Some(kwargs) = kwargs else { return Ok(None) };
    let mut mode = None;
    for (key, value) in kwargs.iter() {
        let key: String = key.extract()?;
        if key != "rounding_mode" {
            return Err(PyTypeError::new_err(format!("{method}() got an unexpected keyword argument '{key}'")));
        }
        mode = Some(if value.is_none() {
            None
        } else {
            let text: String = value.extract().map_err(|_| {
                PyTypeError::new_err(format!("{method}(): argument 'rounding_mode' must be str, not {}", type_name(&value)))
            })?;
            Some(Rounding::parse(&text)?)
        });
    }
    Ok(mode)
}

/// `t.div(other, **kwargs)` (called by `Tensor.div`/`divide`).
pub fn div_method<'py>(py: Python<'py>, t: &Tensor, other: &Bound<'py, PyAny>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
    let mode = rounding_kwarg(kwargs, "div")?;
    let other = if mode.flatten().is_none() { true_div_arg(other, "div", t.dtype())? } else { other_arg(other, "div", t.dtype())? };
    match mode {
        None => apply(py, t, other, ops::div),
        Some(mode) => apply(py, t, other, move |a, b| ops::div_rounding(a, b, mode)),
    }
}

/// `t.div_(other, **kwargs)` (called by `Tensor.div_`).
pub fn div_in_place<'py>(slf: &Bound<'py, PyTensor>, other: &Bound<'py, PyAny>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyTensor>> {
    let mode = rounding_kwarg(kwargs, "div_")?;
    let dtype = slf.get().inner.dtype();
    let other = if mode.flatten().is_none() { true_div_arg(other, "div_", dtype)? } else { other_arg(other, "div_", dtype)? };
    match mode {
        None => PyTensor::arith_in_place(slf, other, ops::InPlaceArith::Div, Scalar::Int(1)),
        Some(mode) => in_place(slf, &other.clone(), move |t| ops::div_rounding(t, &other, mode)),
    }
}

#[pymethods]
impl PyTensor {
    fn __floordiv__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        match arith_operand(other, self.inner.dtype())? {
            Some(other) => apply(py, &self.inner, other, ops::floor_divide),
            None => Ok(py.NotImplemented().into_bound(py)),
        }
    }
    fn __rfloordiv__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        match arith_operand(other, self.inner.dtype())? {
            Some(other) => apply(py, &self.inner, other, |a, c| ops::floor_divide(c, a)),
            None => Ok(py.NotImplemented().into_bound(py)),
        }
    }
    fn __mod__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        if arith_operand(other, self.inner.dtype())?.is_none() {
            return Ok(py.NotImplemented().into_bound(py));
        }
        run(py, &self.inner, remainder_or_fmod(DivKind::Remainder, other, "remainder", self.inner.dtype())?)
    }
    fn __rmod__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        match arith_operand(other, self.inner.dtype())? {
            Some(c) => apply(py, &self.inner, c, |a, c| ops::rremainder_scalar(c, a)),
            None => Ok(py.NotImplemented().into_bound(py)),
        }
    }
    fn __ifloordiv__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let other = other_arg(other, "floor_divide_", slf.get().inner.dtype())?;
        in_place(slf, &other.clone(), move |t| ops::floor_divide(t, &other)).map(|_| ())
    }
    fn __imod__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        Self::remainder_(slf, other).map(|_| ())
    }

    /// `floor(self / other)` (`self // other`; not differentiable, as PyTorch).
    fn floor_divide<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let other = other_arg(other, "floor_divide", self.inner.dtype())?;
        apply(py, &self.inner, other, ops::floor_divide)
    }
    /// In-place `self //= other`.
    fn floor_divide_<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let other = other_arg(other, "floor_divide_", slf.get().inner.dtype())?;
        in_place(slf, &other.clone(), move |t| ops::floor_divide(t, &other))
    }
    /// Python's modulus: `self - floor(self / other) * other` (the divisor's sign).
    fn remainder<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        run(py, &self.inner, remainder_or_fmod(DivKind::Remainder, other, "remainder", self.inner.dtype())?)
    }
    /// In-place `remainder`.
    fn remainder_<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let dtype = slf.get().inner.dtype();
        in_place(slf, &other_arg(other, "remainder_", dtype)?, remainder_or_fmod(DivKind::Remainder, other, "remainder_", dtype)?)
    }
    /// C's fmod: `self - trunc(self / other) * other` (the dividend's sign).
    fn fmod<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        run(py, &self.inner, remainder_or_fmod(DivKind::Fmod, other, "fmod", self.inner.dtype())?)
    }
    /// In-place `fmod`.
    fn fmod_<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let dtype = slf.get().inner.dtype();
        in_place(slf, &other_arg(other, "fmod_", dtype)?, remainder_or_fmod(DivKind::Fmod, other, "fmod_", dtype)?)
    }
    /// `self / other`, optionally rounded (`rounding_mode="trunc"` or `"floor"`).
    #[pyo3(signature = (other, **kwargs))]
    fn divide<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        div_method(py, &self.inner, other, kwargs)
    }
    /// In-place `divide`.
    #[pyo3(signature = (other, **kwargs))]
    fn divide_<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        div_in_place(slf, other, kwargs)
    }
}
