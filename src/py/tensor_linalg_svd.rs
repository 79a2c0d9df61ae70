//! Bindings of `rustgrad.linalg`'s Jacobi-based ops: private module functions behind
//! `python/rustgrad/linalg.py` (`_linalg_svd`, `_linalg_pinv`, `_linalg_qr`, `_linalg_eigh`,
//! `_linalg_solve_triangular`; the Python layer builds `svdvals`, `svd`, the spectral norms,
//! `cond`, `matrix_rank` and `eigvalsh` on them).

use pyo3::prelude::*;

use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops;

type T<'py> = PyRef<'py, PyTensor>;

/// `linalg.svd(A, full_matrices)` as a plain `(U, S, Vh)` tuple; `compute_uv=False` leaves U and
/// Vh empty.
#[pyfunction]
fn _linalg_svd<'py>(py: Python<'py>, a: T<'py>, full_matrices: bool, compute_uv: bool) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let t = a.inner.clone();
    let n = t.shape().last().copied().unwrap_or(1);
    let work = t.numel().saturating_mul(n).saturating_mul(8);
    let (u, s, vh) = maybe_detach(py, work, move || ops::linalg_svd(&t, full_matrices, compute_uv))?;
    Ok((wrap_tensor(py, u)?, wrap_tensor(py, s)?, wrap_tensor(py, vh)?))
}

/// `linalg.pinv(A, atol, rtol, hermitian)` with float tolerances (None: PyTorch's defaults).
#[pyfunction]
#[pyo3(signature = (a, atol, rtol, hermitian))]
fn _linalg_pinv<'py>(py: Python<'py>, a: T<'py>, atol: Option<f64>, rtol: Option<f64>, hermitian: bool) -> PyResult<Bound<'py, PyAny>> {
    let t = a.inner.clone();
    let n = t.shape().last().copied().unwrap_or(1);
    let work = t.numel().saturating_mul(n).saturating_mul(8);
    wrap_tensor(py, maybe_detach(py, work, move || ops::linalg_pinv(&t, atol, rtol, hermitian))?)
}

/// `linalg.qr(A, mode)` as a plain `(Q, R)` tuple.
#[pyfunction]
fn _linalg_qr<'py>(py: Python<'py>, a: T<'py>, mode: String) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let t = a.inner.clone();
    let n = t.shape().last().copied().unwrap_or(1);
    let (q, r) = maybe_detach(py, t.numel().saturating_mul(n), move || ops::linalg_qr(&t, &mode))?;
    Ok((wrap_tensor(py, q)?, wrap_tensor(py, r)?))
}

/// `linalg.eigh(A, UPLO)` as a plain `(eigenvalues, eigenvectors)` tuple (eigenvectors empty
/// without `vectors`).
#[pyfunction]
fn _linalg_eigh<'py>(py: Python<'py>, a: T<'py>, uplo: String, vectors: bool) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let t = a.inner.clone();
    let n = t.shape().last().copied().unwrap_or(1);
    let work = t.numel().saturating_mul(n).saturating_mul(8);
    let (w, v) = maybe_detach(py, work, move || ops::linalg_eigh(&t, &uplo, vectors))?;
    Ok((wrap_tensor(py, w)?, wrap_tensor(py, v)?))
}

/// `linalg.solve_triangular(A, B, upper, left, unitriangular)`.
#[pyfunction]
fn _linalg_solve_triangular<'py>(py: Python<'py>, a: T<'py>, b: T<'py>, upper: bool, left: bool, unitriangular: bool) -> PyResult<Bound<'py, PyAny>> {
    let (a, b) = (a.inner.clone(), b.inner.clone());
    let work = b.numel().saturating_mul(a.shape().last().copied().unwrap_or(1));
    wrap_tensor(py, maybe_detach(py, work, move || ops::linalg_solve_triangular(&a, &b, upper, left, unitriangular))?)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_linalg_svd, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_pinv, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_qr, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_eigh, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_solve_triangular, m)?)?;
    Ok(())
}
