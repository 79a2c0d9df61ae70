//! Bindings of the Cephes special functions (`src/ops/special_more.rs`): the `Tensor` methods
//! mvlgamma(_) and frexp (igamma/igammac/nextafter are in `tensor_unary_more.rs`'s binary tables,
//! i0 in `tensor_elementwise.rs`'s `unary_methods!`), and the module functions behind
//! `rustgrad.special` (`_special_unary`, `_special_binary`).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use super::convert::{scalar, type_name};
use super::nn_extra::{apply, in_place};
use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::error::Result;
use crate::ops;
use crate::tensor::Tensor;

type UnaryOp = fn(&Tensor) -> Result<Tensor>;
type BinaryOp = fn(&Tensor, &Tensor) -> Result<Tensor>;

#[pymethods]
impl PyTensor {
    /// The multivariate log-gamma function of dimension `p`.
    fn mvlgamma<'py>(&self, py: Python<'py>, p: i64) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, move |t| ops::mvlgamma(t, p))
    }
    /// In place: the multivariate log-gamma function of dimension `p`.
    fn mvlgamma_<'py>(slf: &Bound<'py, Self>, p: i64) -> PyResult<Bound<'py, Self>> {
        in_place(slf, move |t| ops::in_place(t, |x| ops::mvlgamma(x, p)))
    }
    /// `return_types.frexp(mantissa, exponent)`: `self = mantissa * 2^exponent`.
    fn frexp<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let t = self.inner.clone();
        let (mantissa, exponent) = maybe_detach(py, t.numel(), move || ops::frexp(&t))?;
        static MODULE: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
        let module = super::tensor::cached_attr(py, &MODULE, "rustgrad", "return_types")?;
        module.getattr("frexp")?.call1(((wrap_tensor(py, mantissa)?, wrap_tensor(py, exponent)?),))
    }
}

/// `rustgrad.special.<name>(input)` for the one-tensor special functions.
#[pyfunction]
fn _special_unary<'py>(py: Python<'py>, name: &str, input: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let f: UnaryOp = match name {
        "i0" => ops::i0,
        "i0e" => ops::special_i0e,
        "i1" => ops::special_i1,
        "i1e" => ops::special_i1e,
        "ndtr" => ops::special_ndtr,
        "ndtri" => ops::special_ndtri,
        "log_ndtr" => ops::special_log_ndtr,
        "erfcx" => ops::special_erfcx,
        "entr" => ops::special_entr,
        _ => return Err(PyValueError::new_err(format!("unknown special function {name}"))),
    };
    let t = input.cast::<PyTensor>().map_err(|_| {
        PyTypeError::new_err(format!("special_{name}(): argument 'input' (position 1) must be Tensor, not {}", type_name(input)))
    })?;
    apply(py, &t.get().inner, f)
}

/// A tensor operand, or a Python number as a wrapped 0-d tensor.
fn operand(obj: &Bound<'_, PyAny>) -> Option<(Tensor, bool)> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Some((t.get().inner.clone(), true));
    }
    scalar(obj).map(|s| (s.to_tensor(), false))
}

/// `rustgrad.special.<name>(input, other)` for xlog1py / zeta: either side may be a number (not
/// both), with PyTorch's TypeError listing the overloads otherwise.
#[pyfunction]
fn _special_binary<'py>(py: Python<'py>, name: &str, input: &Bound<'py, PyAny>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let f: BinaryOp = match name {
        "xlog1py" => ops::special_xlog1py,
        "zeta" => ops::special_zeta,
        _ => return Err(PyValueError::new_err(format!("unknown special function {name}"))),
    };
    match (operand(input), operand(other)) {
        (Some((a, a_tensor)), Some((b, b_tensor))) if a_tensor || b_tensor => {
            let keep = if a_tensor { a.clone() } else { b.clone() };
            apply(py, &keep, move |_| f(&a, &b))
        }
        _ => Err(PyTypeError::new_err(format!(
            "special_{name}() received an invalid combination of arguments - got ({}, {}), but expected one of:\n \
             * (Tensor input, Tensor other, *, Tensor out = None)\n \
             * (Number self, Tensor other, *, Tensor out = None)\n \
             * (Tensor input, Number other, *, Tensor out = None)\n",
            type_name(input),
            type_name(other)
        ))),
    }
}

/// Adds this file's functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_special_unary, m)?)?;
    m.add_function(wrap_pyfunction!(_special_binary, m)?)?;
    Ok(())
}
