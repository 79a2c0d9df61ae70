//! Bit shifts (`<<`, `>>`, `<<=`, `>>=`, `bitwise_left_shift`/`bitwise_right_shift` and their
//! in-place forms) on integer tensors.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use super::convert::{arith_operand, type_name};
use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops::{self, Shift};
use crate::tensor::Tensor;

/// A shift's other operand: a tensor, or a Python number (a uint64 int wraps into int64 as for
/// arithmetic); `None` for anything else.
fn shift_operand(obj: &Bound<'_, PyAny>, dtype: crate::tensor::DType) -> PyResult<Option<Tensor>> {
    arith_operand(obj, dtype)
}

/// The operand of a named method, with PyTorch's TypeError otherwise.
fn shift_arg(obj: &Bound<'_, PyAny>, dtype: crate::tensor::DType, method: &str) -> PyResult<Tensor> {
    shift_operand(obj, dtype)?.ok_or_else(|| {
        PyTypeError::new_err(format!("{method}(): argument 'other' must be Tensor or Number, not {}", type_name(obj)))
    })
}

impl PyTensor {
    /// `self << other` (`reflected`: `other << self`); `NotImplemented` for a non-number.
    fn shift_op<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>, dir: Shift, reflected: bool) -> PyResult<Bound<'py, PyAny>> {
        let Some(o) = shift_operand(other, self.inner.dtype())? else { return Ok(py.NotImplemented().into_bound(py)) };
        let t = self.inner.clone();
        let out = maybe_detach(py, t.numel(), move || if reflected { ops::bitshift(dir, &o, &t) } else { ops::bitshift(dir, &t, &o) })?;
        wrap_tensor(py, out)
    }

    fn shift_in_place<'py>(slf: &Bound<'py, Self>, other: Tensor, dir: Shift) -> PyResult<Bound<'py, Self>> {
        let target = slf.get().inner.clone();
        maybe_detach(slf.py(), target.numel(), move || ops::bitshift_(dir, &target, &other))?;
        Ok(slf.clone())
    }
}

#[pymethods]
impl PyTensor {
    fn __lshift__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.shift_op(py, other, Shift::Left, false)
    }
    fn __rlshift__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.shift_op(py, other, Shift::Left, true)
    }
    fn __rshift__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.shift_op(py, other, Shift::Right, false)
    }
    fn __rrshift__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.shift_op(py, other, Shift::Right, true)
    }
    fn __ilshift__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let other = shift_arg(other, slf.get().inner.dtype(), "__ilshift__")?;
        Self::shift_in_place(slf, other, Shift::Left).map(|_| ())
    }
    fn __irshift__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let other = shift_arg(other, slf.get().inner.dtype(), "__irshift__")?;
        Self::shift_in_place(slf, other, Shift::Right).map(|_| ())
    }
    /// `self << other` elementwise.
    fn bitwise_left_shift<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        shift_arg(other, self.inner.dtype(), "bitwise_left_shift")?;
        self.shift_op(py, other, Shift::Left, false)
    }
    /// `self >> other` elementwise.
    fn bitwise_right_shift<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        shift_arg(other, self.inner.dtype(), "bitwise_right_shift")?;
        self.shift_op(py, other, Shift::Right, false)
    }
    /// In-place `self <<= other`.
    fn bitwise_left_shift_<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let other = shift_arg(other, slf.get().inner.dtype(), "bitwise_left_shift_")?;
        Self::shift_in_place(slf, other, Shift::Left)
    }
    /// In-place `self >>= other`.
    fn bitwise_right_shift_<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let other = shift_arg(other, slf.get().inner.dtype(), "bitwise_right_shift_")?;
        Self::shift_in_place(slf, other, Shift::Right)
    }
}
