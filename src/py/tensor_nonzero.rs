//! `Tensor.nonzero` (`as_tuple=`), `argwhere` and `count_nonzero` (function forms in Python).

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use pyo3::types::PyBool;

use super::argparse;
use crate::ops;

#[pymethods]
impl PyTensor {
    /// The int64 coordinates of the nonzero elements, one row each (`as_tuple=True`: one index
    /// tensor per dim).
    #[pyo3(signature = (*, as_tuple=false))]
    fn nonzero<'py>(&self, py: Python<'py>, as_tuple: bool) -> PyResult<Bound<'py, PyAny>> {
        let t = self.inner.clone();
        if as_tuple {
            let parts = maybe_detach(py, t.numel(), move || ops::nonzero_tuple(&t))?;
            let objs = parts.into_iter().map(|p| wrap_tensor(py, p)).collect::<PyResult<Vec<_>>>()?;
            return Ok(PyTuple::new(py, objs)?.into_any());
        }
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::nonzero(&t))?)
    }

    /// `nonzero()`: the coordinates of the nonzero elements as rows.
    fn argwhere<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::nonzero(&t))?)
    }

    /// The number of nonzero elements (over `dim`: an int or a tuple of ints).
    #[pyo3(signature = (dim=None))]
    fn count_nonzero<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let dims = dims_arg(dim).map_err(|e| argparse::refine_kw("Tensor.count_nonzero", &PyTuple::empty(py), &[("dim", dim)], e))?;
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::count_nonzero(&t, dims.as_deref()))?)
    }
}

/// Dims from `None`, an int, or a sequence of ints.
fn dims_arg(dim: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<i64>>> {
    match dim {
        None => Ok(None),
        Some(d) if d.is_none() => Ok(None),
        Some(d) if d.is_instance_of::<PyBool>() => Err(pyo3::exceptions::PyTypeError::new_err("bool dim")),
        Some(d) => match d.extract::<i64>() {
            Ok(i) => Ok(Some(vec![i])),
            Err(_) => Ok(Some(d.extract::<Vec<i64>>()?)),
        },
    }
}
