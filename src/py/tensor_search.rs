//! `Tensor.bincount` / `histc` / `unique`, and `_core._searchsorted` behind the Python functions
//! `rustgrad.searchsorted` / `bucketize`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::argparse;

use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops;

#[pymethods]
impl PyTensor {
    /// Occurrences of each value of a 1-D non-negative int tensor (weighted with `weights`).
    #[pyo3(signature = (*args, **kwargs))]
    fn bincount<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let bound = argparse::bind("Tensor.bincount", args, kwargs)?;
        let w = bound.get("weights").map(|w| w.cast::<PyTensor>().map(|w| w.get().inner.clone())).transpose()?;
        let minlength = bound.get("minlength").map_or(Ok(0), |m| m.extract::<i64>())?;
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::bincount(&t, w.as_ref(), minlength))?)
    }

    /// A histogram in `bins` equal bins over `[min, max]` (both 0: the data's range).
    #[pyo3(signature = (*args, **kwargs))]
    fn histc<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let bound = argparse::bind("Tensor.histc", args, kwargs)?;
        let bins = bound.get("bins").map_or(Ok(100), |b| b.extract::<i64>())?;
        let [min, max] = ["min", "max"].map(|name| bound.get(name).map_or(Ok(0.0), |v| v.extract::<f64>()));
        let (min, max) = (min?, max?);
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::histc(&t, bins, min, max))?)
    }

    /// `(values, inverse, counts)` of `rustgrad.unique` (whose Python form checks the arguments and
    /// picks the outputs): the sorted distinct elements, or the distinct slices along `dim`.
    #[pyo3(signature = (dim=None))]
    fn _unique<'py>(&self, py: Python<'py>, dim: Option<i64>) -> PyResult<Bound<'py, PyTuple>> {
        let t = self.inner.clone();
        let (values, inverse, counts) = match dim {
            None => maybe_detach(py, t.numel(), move || ops::unique(&t))?,
            Some(d) => maybe_detach(py, t.numel(), move || ops::unique_dim(&t, d))?,
        };
        PyTuple::new(py, [wrap_tensor(py, values)?, wrap_tensor(py, inverse)?, wrap_tensor(py, counts)?])
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
