//! `Tensor.isclose` / `allclose` / `equal` and `type_as` (function forms in Python).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use super::convert::type_name;
use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops;
use crate::tensor::Tensor;

/// The `other` tensor argument of `op`, with PyTorch's TypeError for anything else.
fn other_tensor(op: &str, position: usize, obj: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    obj.cast::<PyTensor>()
        .map(|t| t.get().inner.clone())
        .map_err(|_| PyTypeError::new_err(format!("{op}(): argument 'other' (position {position}) must be Tensor, not {}", type_name(obj))))
}

/// A float argument (ints accepted), with PyTorch's TypeError.
fn float_arg(op: &str, name: &str, obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    if obj.is_instance_of::<pyo3::types::PyBool>() {
        return Ok(if obj.extract::<bool>()? { 1.0 } else { 0.0 });
    }
    obj.extract::<f64>()
        .map_err(|_| PyTypeError::new_err(format!("{op}(): argument '{name}' must be float, not {}", type_name(obj))))
}

impl PyTensor {
    fn close<'py>(&self, py: Python<'py>, op: &str, other: &Bound<'py, PyAny>, rtol: &Bound<'py, PyAny>, atol: &Bound<'py, PyAny>, equal_nan: bool) -> PyResult<Tensor> {
        let other = other_tensor(op, 1, other)?;
        let (rtol, atol) = (float_arg(op, "rtol", rtol)?, float_arg(op, "atol", atol)?);
        let t = self.inner.clone();
        Ok(maybe_detach(py, t.numel(), move || ops::isclose(&t, &other, rtol, atol, equal_nan))?)
    }
}

#[pymethods]
impl PyTensor {
    /// Elementwise `|self - other| <= atol + rtol * |other|` (NaNs equal with `equal_nan`).
    #[pyo3(signature = (other, rtol=None, atol=None, equal_nan=false))]
    fn isclose<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>, rtol: Option<&Bound<'py, PyAny>>, atol: Option<&Bound<'py, PyAny>>, equal_nan: bool) -> PyResult<Bound<'py, PyAny>> {
        let (r, a) = defaults(py, rtol, atol);
        let out = self.close(py, "isclose", other, &r, &a, equal_nan)?;
        wrap_tensor(py, out)
    }

    /// True when every element is close to `other` (`isclose(...).all()`).
    #[pyo3(signature = (other, rtol=None, atol=None, equal_nan=false))]
    fn allclose<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>, rtol: Option<&Bound<'py, PyAny>>, atol: Option<&Bound<'py, PyAny>>, equal_nan: bool) -> PyResult<bool> {
        let (r, a) = defaults(py, rtol, atol);
        let out = self.close(py, "allclose", other, &r, &a, equal_nan)?;
        Ok(out.to_vec::<bool>()?.iter().all(|&v| v))
    }

    /// True when `other` has the same shape and values.
    fn equal(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let other = other_tensor("equal", 1, other)?;
        let t = self.inner.clone();
        Ok(maybe_detach(py, t.numel(), move || ops::equal(&t, &other))?)
    }

    /// `self.to(other.dtype)` (self itself when the dtypes match).
    fn type_as<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let other = other.cast::<PyTensor>().map_err(|_| {
            PyTypeError::new_err(format!("type_as(): argument 'other' (position 1) must be Tensor, not {}", type_name(other)))
        })?;
        let dtype = other.get().inner.dtype();
        if slf.get().inner.dtype() == dtype {
            return Ok(slf.clone().into_any());
        }
        let t = slf.get().inner.clone();
        wrap_tensor(slf.py(), maybe_detach(slf.py(), t.numel(), move || ops::to_dtype(&t, dtype))?)
    }
}

/// `rtol=1e-05`, `atol=1e-08` unless given.
fn defaults<'py>(py: Python<'py>, rtol: Option<&Bound<'py, PyAny>>, atol: Option<&Bound<'py, PyAny>>) -> (Bound<'py, PyAny>, Bound<'py, PyAny>) {
    let f = |o: Option<&Bound<'py, PyAny>>, d: f64| o.cloned().unwrap_or_else(|| pyo3::types::PyFloat::new(py, d).into_any());
    (f(rtol, 1e-05), f(atol, 1e-08))
}
