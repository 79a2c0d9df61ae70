//! The in-place form of an op that the Python layer composes from other ops (`tril_`, `addmm_`,
//! `cumsum_`, ...): the core's [`ops::in_place`] runs the Python composition out of place, then
//! writes its values into the target and makes its node the target's history, exactly as the
//! in-place ops written in Rust do (version bump, view rebase, leaf and cast checks).

use pyo3::prelude::*;

use super::error::foreign;
use super::tensor::{wrap_tensor, PyTensor};
use crate::error::Error;
use crate::ops;

/// `_core._in_place_from(target, compute)`: `compute(target)` (a Python callable returning a
/// tensor of `target`'s shape) stored into `target`; returns `target`.
#[pyfunction]
pub fn _in_place_from<'py>(target: &Bound<'py, PyTensor>, compute: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTensor>> {
    let py = target.py();
    let inner = target.get().inner.clone();
    ops::in_place(&inner, |t| {
        let result = compute.call1((wrap_tensor(py, t.clone()).map_err(foreign)?,)).map_err(foreign)?;
        match result.cast::<PyTensor>() {
            Ok(r) => Ok(r.get().inner.clone()),
            Err(_) => Err(Error::runtime("an in-place composition must return a Tensor")),
        }
    })?;
    Ok(target.clone())
}
