//! Bindings of `rustgrad.linalg`'s factorization-based ops: private module functions behind
//! `python/rustgrad/linalg.py` (`_linalg_det`, `_linalg_slogdet`, `_linalg_inv`, `_linalg_solve`,
//! `_linalg_cholesky`, `_cdist`), the `Tensor.det` / `Tensor.inverse` methods, and
//! `_LinAlgError` (`rustgrad.linalg.LinAlgError`, as PyTorch's `torch._C._LinAlgError`), the `RuntimeError` subclass singular or indefinite inputs raise.

use pyo3::prelude::*;

use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::error::Result;
use crate::ops;
use crate::tensor::Tensor;

pyo3::create_exception!(rustgrad._core, _LinAlgError, pyo3::exceptions::PyRuntimeError, "A linear algebra routine failed on its input.");

type T<'py> = PyRef<'py, PyTensor>;

/// Work estimate of a factorization of `t` (n^3 per matrix) for the GIL decision.
fn cubic(t: &Tensor) -> usize {
    let n = t.shape().last().copied().unwrap_or(1);
    t.numel().saturating_mul(n)
}

fn apply<'py>(py: Python<'py>, t: &Tensor, f: impl FnOnce(&Tensor) -> Result<Tensor> + Send) -> PyResult<Bound<'py, PyAny>> {
    let t = t.clone();
    let out = maybe_detach(py, cubic(&t), move || f(&t))?;
    wrap_tensor(py, out)
}

#[pymethods]
impl PyTensor {
    /// The determinant of each matrix (LinalgDetBackward0).
    fn det<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, ops::linalg_det)
    }

    /// The inverse of each matrix (LinalgInvExBackward0).
    fn inverse<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, ops::linalg_inv)
    }
}

/// `linalg.det(A)`.
#[pyfunction]
fn _linalg_det<'py>(py: Python<'py>, a: T<'py>) -> PyResult<Bound<'py, PyAny>> {
    apply(py, &a.inner, ops::linalg_det)
}

/// `linalg.slogdet(A)` as a plain `(sign, logabsdet)` tuple.
#[pyfunction]
fn _linalg_slogdet<'py>(py: Python<'py>, a: T<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let t = a.inner.clone();
    let (sign, logabs) = maybe_detach(py, cubic(&t), move || ops::linalg_slogdet(&t))?;
    Ok((wrap_tensor(py, sign)?, wrap_tensor(py, logabs)?))
}

/// `linalg.inv(A)`.
#[pyfunction]
fn _linalg_inv<'py>(py: Python<'py>, a: T<'py>) -> PyResult<Bound<'py, PyAny>> {
    apply(py, &a.inner, ops::linalg_inv)
}

/// `linalg.solve(A, B, left)`.
#[pyfunction]
fn _linalg_solve<'py>(py: Python<'py>, a: T<'py>, b: T<'py>, left: bool) -> PyResult<Bound<'py, PyAny>> {
    let b = b.inner.clone();
    apply(py, &a.inner, move |a| ops::linalg_solve(a, &b, left))
}

/// `linalg.cholesky(A, upper)`.
#[pyfunction]
fn _linalg_cholesky<'py>(py: Python<'py>, a: T<'py>, upper: bool) -> PyResult<Bound<'py, PyAny>> {
    apply(py, &a.inner, move |a| ops::linalg_cholesky(a, upper))
}

/// `cdist(x1, x2, p, compute_mode)` (compute_mode: 0 if necessary, 1 always, 2 never use mm).
#[pyfunction]
fn _cdist<'py>(py: Python<'py>, x1: T<'py>, x2: T<'py>, p: f64, compute_mode: i64) -> PyResult<Bound<'py, PyAny>> {
    let x2 = x2.inner.clone();
    let work = x1.inner.numel().saturating_mul(x2.shape().iter().rev().nth(1).copied().unwrap_or(1));
    let x1 = x1.inner.clone();
    wrap_tensor(py, maybe_detach(py, work, move || ops::cdist(&x1, &x2, p, compute_mode))?)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("_LinAlgError", m.py().get_type::<_LinAlgError>())?;
    m.add_function(wrap_pyfunction!(_linalg_det, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_slogdet, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_inv, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_solve, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_cholesky, m)?)?;
    m.add_function(wrap_pyfunction!(_cdist, m)?)?;
    Ok(())
}
