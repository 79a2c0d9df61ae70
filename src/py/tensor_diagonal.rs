//! `Tensor.diagonal` / `diag` / `diag_embed` / `trace` (function forms in Python).

use pyo3::prelude::*;

use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops;

#[pymethods]
impl PyTensor {
    /// The `offset` diagonal over `dim1`, `dim2`, as a view (appended as the last dim).
    #[pyo3(signature = (offset=0, dim1=0, dim2=1))]
    fn diagonal<'py>(&self, py: Python<'py>, offset: i64, dim1: i64, dim2: i64) -> PyResult<Bound<'py, PyAny>> {
        wrap_tensor(py, ops::diagonal(&self.inner, offset, dim1, dim2)?)
    }

    /// A 1-D tensor on the `diagonal`-th diagonal of a square matrix, or a matrix's diagonal.
    #[pyo3(signature = (diagonal=0))]
    fn diag<'py>(&self, py: Python<'py>, diagonal: i64) -> PyResult<Bound<'py, PyAny>> {
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::diag(&t, diagonal))?)
    }

    /// The last dim placed on the `offset` diagonal over `dim1`, `dim2` of zeros.
    #[pyo3(signature = (offset=0, dim1=-2, dim2=-1))]
    fn diag_embed<'py>(&self, py: Python<'py>, offset: i64, dim1: i64, dim2: i64) -> PyResult<Bound<'py, PyAny>> {
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::diag_embed(&t, offset, dim1, dim2))?)
    }

    /// The sum of the main diagonal of a matrix.
    fn trace<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        wrap_tensor(py, ops::trace(&self.inner)?)
    }
}
