//! Bindings of the extra elementwise math (`src/ops/unary_more.rs`) as `Tensor` methods: signbit,
//! polygamma, hypot/logaddexp(2)/copysign/fmax/fmin. The one-argument functions with in-place
//! forms (asin, ..., trunc, frac, sgn) are in `tensor_elementwise.rs`'s `unary_methods!` table.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use super::convert::{scalar, type_name};
use super::nn_extra::{apply, in_place};
use super::tensor::PyTensor;
use super::tensor_addmm_family::tensor_arg;
use crate::error::Result;
use crate::ops;
use crate::tensor::Tensor;

type BinaryOp = fn(&Tensor, &Tensor) -> Result<Tensor>;

/// `other` of a binary function that takes only tensors, with PyTorch's TypeError otherwise
/// (heaviside calls it `values`).
fn tensor_other(op: &str, other: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    tensor_arg(op, if op.starts_with("heaviside") { "values" } else { "other" }, 1, other)
}

macro_rules! binary_more_methods {
    ($($name:ident, $op:path, $doc:literal;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                #[doc = $doc]
                fn $name<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
                    let other = tensor_other(stringify!($name), other)?;
                    apply(py, &self.inner, move |t| ($op as BinaryOp)(t, &other))
                }
            )*
        }
    };
}

binary_more_methods! {
    hypot, ops::hypot, "sqrt(self^2 + other^2).";
    logaddexp, ops::logaddexp, "log(exp(self) + exp(other)).";
    logaddexp2, ops::logaddexp2, "log2(2^self + 2^other).";
    fmax, ops::fmax, "Elementwise maximum ignoring NaN.";
    fmin, ops::fmin, "Elementwise minimum ignoring NaN.";
    ldexp, ops::ldexp, "self * 2^other.";
    heaviside, ops::heaviside, "0 below zero, `values` at zero, 1 above.";
    gcd, ops::gcd, "Greatest common divisor (integers).";
    lcm, ops::lcm, "Least common multiple (integers).";
    igamma, ops::igamma, "The regularized lower incomplete gamma function P(self, other).";
    igammac, ops::igammac, "The regularized upper incomplete gamma function Q(self, other).";
    nextafter, ops::nextafter, "The next float after self toward other.";
}

macro_rules! binary_more_in_place {
    ($($name_:ident, $op:path;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                #[doc = concat!("In place: `", stringify!($op), "`.")]
                fn $name_<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
                    let other = tensor_other(stringify!($name_), other)?;
                    in_place(slf, move |t| ops::in_place(t, |x| ($op as BinaryOp)(x, &other)))
                }
            )*
        }
    };
}

binary_more_in_place! {
    hypot_, ops::hypot;
    ldexp_, ops::ldexp;
    heaviside_, ops::heaviside;
    gcd_, ops::gcd;
    lcm_, ops::lcm;
    igamma_, ops::igamma;
    igammac_, ops::igammac;
    nextafter_, ops::nextafter;
}

/// `copysign(self, other)` with `other` a tensor or a number.
fn copysign_any(other: &Bound<'_, PyAny>, op: &str) -> PyResult<Box<dyn FnOnce(&Tensor) -> Result<Tensor> + Send>> {
    if let Ok(o) = other.cast::<PyTensor>() {
        let o = o.get().inner.clone();
        return Ok(Box::new(move |t| ops::copysign(t, &o)));
    }
    match scalar(other) {
        Some(s) => Ok(Box::new(move |t| ops::copysign_scalar(t, s))),
        None => Err(PyTypeError::new_err(format!("{op}(): argument 'other' (position 1) must be Tensor or Number, not {}", type_name(other)))),
    }
}

#[pymethods]
impl PyTensor {
    /// True where the sign bit is set.
    fn signbit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, ops::signbit)
    }
    /// The `n`-th derivative of digamma.
    fn polygamma<'py>(&self, py: Python<'py>, n: i64) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, move |t| ops::polygamma(n, t))
    }
    /// In place: the `n`-th derivative of digamma.
    fn polygamma_<'py>(slf: &Bound<'py, Self>, n: i64) -> PyResult<Bound<'py, Self>> {
        in_place(slf, move |t| ops::in_place(t, |x| ops::polygamma(n, x)))
    }
    /// `|self|` with the sign of `other`.
    fn copysign<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let f = copysign_any(other, "copysign")?;
        apply(py, &self.inner, f)
    }
    /// `copysign` in place.
    fn copysign_<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let f = copysign_any(other, "copysign_")?;
        in_place(slf, move |t| ops::in_place(t, f))
    }
}
