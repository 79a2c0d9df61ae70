//! `Tensor.bincount` / `histc` / `unique`, and `_core._searchsorted` behind the Python functions
//! `rustgrad.searchsorted` / `bucketize`.

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops;

#[pymethods]
impl PyTensor {
    /// Occurrences of each value of a 1-D non-negative int tensor (weighted with `weights`).
    #[pyo3(signature = (weights=None, minlength=0))]
    fn bincount<'py>(&self, py: Python<'py>, weights: Option<PyRef<'py, PyTensor>>, minlength: i64) -> PyResult<Bound<'py, PyAny>> {
        let w = weights.map(|w| w.inner.clone());
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::bincount(&t, w.as_ref(), minlength))?)
    }

    /// A histogram in `bins` equal bins over `[min, max]` (both 0: the data's range).
    #[pyo3(signature = (bins=100, min=0.0, max=0.0))]
    fn histc<'py>(&self, py: Python<'py>, bins: i64, min: f64, max: f64) -> PyResult<Bound<'py, PyAny>> {
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::histc(&t, bins, min, max))?)
    }

    /// The sorted distinct elements (with the inverse indices and the counts when asked).
    #[pyo3(signature = (sorted=true, return_inverse=false, return_counts=false, dim=None))]
    fn unique<'py>(&self, py: Python<'py>, sorted: bool, return_inverse: bool, return_counts: bool, dim: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        let _ = sorted; // the values always come out sorted, as PyTorch's CPU kernel gives them
        if dim.is_some() {
            return Err(pyo3::exceptions::PyNotImplementedError::new_err("rustgrad: unique(dim=...) is not implemented yet"));
        }
        let t = self.inner.clone();
        let (values, inverse, counts) = maybe_detach(py, t.numel(), move || ops::unique(&t))?;
        let mut out = vec![wrap_tensor(py, values)?];
        if return_inverse {
            out.push(wrap_tensor(py, inverse)?);
        }
        if return_counts {
            out.push(wrap_tensor(py, counts)?);
        }
        if out.len() == 1 {
            return Ok(out.pop().expect("one"));
        }
        Ok(PyTuple::new(py, out)?.into_any())
    }
}

/// Insertion indices of `values` in the lanes of `sorted_sequence` (bucketize when `bucketize`).
#[pyfunction]
fn _searchsorted<'py>(py: Python<'py>, sorted_sequence: PyRef<'py, PyTensor>, values: PyRef<'py, PyTensor>, right: bool, out_int32: bool, bucketize: bool) -> PyResult<Bound<'py, PyAny>> {
    let (s, v) = (sorted_sequence.inner.clone(), values.inner.clone());
    let out = if bucketize { ops::bucketize(&v, &s, right, out_int32)? } else { ops::searchsorted(&s, &v, right, out_int32)? };
    wrap_tensor(py, out)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_searchsorted, m)?)
}
