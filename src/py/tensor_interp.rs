//! `Tensor.atan2`, `Tensor.lerp` and `Tensor.lerp_` (function forms in Python).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::argparse;
use super::convert::{scalar, type_name};
use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops;
use crate::tensor::{Scalar, Tensor};

enum LerpWeight {
    Tensor(Tensor),
    Number(Scalar),
}

/// `end` and `weight` of lerp/lerp_ (PyTorch's parser error under `key` for anything else).
fn lerp_args(key: &str, end: &Bound<'_, PyAny>, weight: &Bound<'_, PyAny>) -> PyResult<(Tensor, LerpWeight)> {
    let refuse = || {
        let args = PyTuple::new(end.py(), [end.clone(), weight.clone()])?;
        Err(argparse::refine(key, &args, None, PyTypeError::new_err(format!("{key}(): invalid arguments"))))
    };
    let Ok(end) = end.cast::<PyTensor>() else { return refuse() };
    let e = end.get().inner.clone();
    if let Ok(w) = weight.cast::<PyTensor>() {
        return Ok((e, LerpWeight::Tensor(w.get().inner.clone())));
    }
    match scalar(weight) {
        Some(w) => Ok((e, LerpWeight::Number(w))),
        None => refuse(),
    }
}

#[pymethods]
impl PyTensor {
    /// The elementwise angle of the point `(other, self)`.
    fn atan2<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let other = other.cast::<PyTensor>().map_err(|_| {
            PyTypeError::new_err(format!("atan2(): argument 'other' (position 1) must be Tensor, not {}", type_name(other)))
        })?;
        let (t, o) = (self.inner.clone(), other.get().inner.clone());
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::atan2(&t, &o))?)
    }

    /// `self + weight * (end - self)` (weight a number or a tensor).
    fn lerp<'py>(&self, py: Python<'py>, end: &Bound<'py, PyAny>, weight: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let (e, w) = lerp_args("Tensor.lerp", end, weight)?;
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || match w {
            LerpWeight::Tensor(w) => ops::lerp_tensor(&t, &e, &w),
            LerpWeight::Number(w) => ops::lerp_scalar(&t, &e, w),
        })?)
    }

    /// In place: `self + weight * (end - self)` (LerpBackward0/1 on `self`).
    fn lerp_<'py>(slf: &Bound<'py, Self>, end: &Bound<'py, PyAny>, weight: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let (e, w) = lerp_args("Tensor.lerp_", end, weight)?;
        let target = slf.get().inner.clone();
        maybe_detach(slf.py(), target.numel(), move || match w {
            LerpWeight::Tensor(w) => ops::in_place(&target, |t| ops::lerp_tensor(t, &e, &w)),
            LerpWeight::Number(w) => ops::in_place(&target, |t| ops::lerp_scalar(t, &e, w)),
        })?;
        Ok(slf.clone())
    }
}
