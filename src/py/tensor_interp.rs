//! `Tensor.atan2` and `Tensor.lerp` (function forms in Python).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::argparse;
use super::convert::{scalar, type_name};
use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops;

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
        let refuse = || {
            let args = PyTuple::new(py, [end.clone(), weight.clone()])?;
            Err::<(), PyErr>(argparse::refine("Tensor.lerp", &args, None, PyTypeError::new_err("lerp(): invalid arguments")))
        };
        let Ok(end) = end.cast::<PyTensor>() else {
            refuse()?;
            unreachable!("refine reports the parser error")
        };
        let (t, e) = (self.inner.clone(), end.get().inner.clone());
        if let Ok(w) = weight.cast::<PyTensor>() {
            let w = w.get().inner.clone();
            return wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::lerp_tensor(&t, &e, &w))?);
        }
        let Some(w) = scalar(weight) else {
            refuse()?;
            unreachable!("refine reports the parser error")
        };
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::lerp_scalar(&t, &e, w))?)
    }
}
