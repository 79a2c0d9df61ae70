//! `Tensor.addmv` / `baddbmm` / `addbmm` (function forms in Python).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use super::convert::{scalar, type_name};
use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops;
use crate::tensor::{Scalar, Tensor};

pub(super) fn tensor_arg(op: &str, name: &str, position: usize, obj: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    obj.cast::<PyTensor>()
        .map(|t| t.get().inner.clone())
        .map_err(|_| PyTypeError::new_err(format!("{op}(): argument '{name}' (position {position}) must be Tensor, not {}", type_name(obj))))
}

fn factor(op: &str, name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Scalar> {
    match obj {
        None => Ok(Scalar::Int(1)),
        Some(o) => scalar(o).ok_or_else(|| PyTypeError::new_err(format!("{op}(): argument '{name}' must be Number, not {}", type_name(o)))),
    }
}

#[pymethods]
impl PyTensor {
    /// `beta * self + alpha * (mat @ vec)`.
    #[pyo3(signature = (mat, vec, *, beta=None, alpha=None))]
    fn addmv<'py>(&self, py: Python<'py>, mat: &Bound<'py, PyAny>, vec: &Bound<'py, PyAny>, beta: Option<&Bound<'py, PyAny>>, alpha: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let (m, v) = (tensor_arg("addmv", "mat", 1, mat)?, tensor_arg("addmv", "vec", 2, vec)?);
        let (b, a) = (factor("addmv", "beta", beta)?, factor("addmv", "alpha", alpha)?);
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, m.numel(), move || ops::addmv(&t, &m, &v, b, a))?)
    }

    /// `beta * self + alpha * bmm(batch1, batch2)`.
    #[pyo3(signature = (batch1, batch2, *, beta=None, alpha=None))]
    fn baddbmm<'py>(&self, py: Python<'py>, batch1: &Bound<'py, PyAny>, batch2: &Bound<'py, PyAny>, beta: Option<&Bound<'py, PyAny>>, alpha: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let (b1, b2) = (tensor_arg("baddbmm", "batch1", 1, batch1)?, tensor_arg("baddbmm", "batch2", 2, batch2)?);
        let (b, a) = (factor("baddbmm", "beta", beta)?, factor("baddbmm", "alpha", alpha)?);
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, b1.numel() * b2.numel(), move || ops::baddbmm(&t, &b1, &b2, b, a, false))?)
    }

    /// `beta * self + alpha * sum over the batch of bmm(batch1, batch2)`.
    #[pyo3(signature = (batch1, batch2, *, beta=None, alpha=None))]
    fn addbmm<'py>(&self, py: Python<'py>, batch1: &Bound<'py, PyAny>, batch2: &Bound<'py, PyAny>, beta: Option<&Bound<'py, PyAny>>, alpha: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let (b1, b2) = (tensor_arg("addbmm", "batch1", 1, batch1)?, tensor_arg("addbmm", "batch2", 2, batch2)?);
        let (b, a) = (factor("addbmm", "beta", beta)?, factor("addbmm", "alpha", alpha)?);
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, b1.numel() * b2.numel(), move || ops::baddbmm(&t, &b1, &b2, b, a, true))?)
    }
}
