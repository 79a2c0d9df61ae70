//! Elementwise `Tensor` methods and operators (unary math, activations, clamp, comparisons,
//! logical/bitwise ops, where, masked_fill, copy_) and their module-level functions in `_core`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use crate::error::catch_alloc_failure;
use pyo3::types::{PyDict, PyTuple};

use super::argparse::{self, Given};
use super::convert::{arith_operand, big_int, checked_scalar, operand, promoted_scalar, type_name};
use super::error::foreign;
use super::tensor::{maybe_detach, user_warning, wrap_tensor, PyTensor};
use crate::error::Result;
use crate::ops::{self, Cmp, Extremum, GeluApprox, InPlaceUnary, Logic};
use crate::tensor::{DType, Scalar, Tensor};

type UnaryOp = fn(&Tensor) -> Result<Tensor>;

fn apply<'py>(py: Python<'py>, t: &Tensor, f: impl FnOnce(&Tensor) -> Result<Tensor> + Send) -> PyResult<Bound<'py, PyAny>> {
    let t = t.clone();
    let out = maybe_detach(py, t.numel(), move || f(&t))?;
    wrap_tensor(py, out)
}

/// Runs an in-place op and returns `self` (`b.relu_() is b`).
fn in_place<'py>(slf: &Bound<'py, PyTensor>, compute: impl FnOnce(&Tensor) -> Result<Tensor> + Send) -> PyResult<Bound<'py, PyTensor>> {
    let target = slf.get().inner.clone();
    maybe_detach(slf.py(), target.numel(), move || ops::in_place(&target, compute))?;
    Ok(slf.clone())
}

/// Runs a unary in-place op with a direct form (written straight into `self` when nothing is
/// recorded, else `general` computed out of place) and returns `self`.
fn direct_unary<'py>(slf: &Bound<'py, PyTensor>, op: InPlaceUnary, general: UnaryOp) -> PyResult<Bound<'py, PyTensor>> {
    let target = slf.get().inner.clone();
    maybe_detach(slf.py(), target.numel(), move || ops::unary_(&target, op, general))?;
    Ok(slf.clone())
}

/// A tensor-or-number argument, with PyTorch's TypeError naming the method otherwise.
fn tensor_arg(obj: &Bound<'_, PyAny>, method: &str, arg: &str) -> PyResult<Tensor> {
    operand(obj).ok_or_else(|| {
        PyTypeError::new_err(format!("{method}(): argument '{arg}' must be Tensor or Number, not {}", type_name(obj)))
    })
}

/// A `where` operand: a tensor, or its number (already range-checked) wrapped.
fn where_operand(obj: &Bound<'_, PyAny>, number: Option<Scalar>, arg: &str) -> PyResult<Tensor> {
    match number {
        Some(s) if big_int(obj).is_some() => Ok(s.to_tensor()),
        _ => tensor_arg(obj, "where", arg),
    }
}

/// A bitwise op's operand next to a tensor of `dtype`: [`tensor_arg`] with a uint64 Python int
/// wrapped into int64 (`t & 2**63`), as arithmetic takes it.
fn bit_arg(obj: &Bound<'_, PyAny>, dtype: DType, method: &str) -> PyResult<Tensor> {
    match arith_operand(obj, dtype)? {
        Some(t) => Ok(t),
        None => tensor_arg(obj, method, "other"),
    }
}

/// A tensor argument (no numbers).
fn tensor_only(obj: &Bound<'_, PyAny>, method: &str, arg: &str) -> PyResult<Tensor> {
    obj.cast::<PyTensor>()
        .map(|t| t.get().inner.clone())
        .map_err(|_| PyTypeError::new_err(format!("{method}(): argument '{arg}' (position 1) must be Tensor, not {}", type_name(obj))))
}

/// A clamp bound: absent, a number, or a tensor.
enum Bound_ {
    Num(Scalar),
    Tensor(Tensor),
}

fn bound_arg(obj: Option<&Bound<'_, PyAny>>, dtype: DType) -> PyResult<Option<Bound_>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => {
            if let Some(s) = promoted_scalar(o, Some(dtype))? {
                return Ok(Some(Bound_::Num(s)));
            }
            o.cast::<PyTensor>()
                .map(|t| Some(Bound_::Tensor(t.get().inner.clone())))
                .map_err(|_| PyTypeError::new_err(format!("clamp(): argument 'min' must be Number, not {}", type_name(o))))
        }
    }
}

/// `t.clamp(min, max)` with any mix of number and tensor bounds.
fn clamp_any(t: &Tensor, min: Option<Bound_>, max: Option<Bound_>) -> Result<Tensor> {
    match (&min, &max) {
        (Some(Bound_::Tensor(_)), _) | (_, Some(Bound_::Tensor(_))) => {
            let as_tensor = |b: Option<Bound_>| {
                b.map(|b| match b {
                    Bound_::Tensor(t) => t,
                    Bound_::Num(s) => s.to_tensor(),
                })
            };
            let (lo, hi) = (as_tensor(min), as_tensor(max));
            ops::clamp_tensor(t, lo.as_ref(), hi.as_ref())
        }
        _ => {
            let num = |b: Option<Bound_>| {
                b.map(|b| match b {
                    Bound_::Num(s) => s,
                    Bound_::Tensor(_) => unreachable!("tensor bounds take the other branch"),
                })
            };
            ops::clamp(t, num(min), num(max))
        }
    }
}

/// `t.masked_fill(mask, value)` with a number or 0-d tensor value.
fn masked_fill_any(t: &Tensor, mask: &Tensor, value: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    if let Some(s) = checked_scalar(value, Some(t.dtype()))? {
        return Ok(catch_alloc_failure(|| ops::masked_fill(t, mask, s))?);
    }
    let v = tensor_arg(value, "masked_fill", "value")?;
    Ok(catch_alloc_failure(|| ops::masked_fill_tensor(t, mask, &v))?)
}

impl PyTensor {
    /// `clamp_`/`clip_`: number bounds write in place directly, tensor bounds go through `in_place`.
    fn clamp_in_place<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>, key: &str) -> PyResult<Bound<'py, Self>> {
        let (lo, hi) = clamp_bounds(args, kwargs, slf.get().inner.dtype(), key)?;
        let target = slf.get().inner.clone();
        maybe_detach(slf.py(), target.numel(), move || match (&lo, &hi) {
            (Some(Bound_::Tensor(_)), _) | (_, Some(Bound_::Tensor(_))) => ops::in_place(&target, |t| clamp_any(t, lo, hi)),
            _ => {
                let num = |b: &Option<Bound_>| match b {
                    Some(Bound_::Num(s)) => Some(*s),
                    _ => None,
                };
                let (min, max) = (num(&lo), num(&hi));
                ops::clamp_(&target, min, max, |t| {
                    // Number bounds: PyTorch's refusal names the target's C++ type ("long int").
                    for b in [min, max].into_iter().flatten() {
                        let result = ops::result_dtype(ops::Arith::Add, t, &b.to_tensor());
                        if ops::check_result_castable(result, t.dtype()).is_err() {
                            return Err(crate::Error::runtime(format!(
                                "result type {} can't be cast to the desired output type {}",
                                result.scalar_type_name(),
                                t.dtype().cpp_type_name()
                            )));
                        }
                    }
                    clamp_any(t, lo, hi)
                })
            }
        })?;
        Ok(slf.clone())
    }
}

/// `clamp`'s `(min=None, max=None)`, both numbers or both tensors as PyTorch's two overloads
/// (a mix, another type or another keyword: its parser error).
fn clamp_bounds(args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>, dtype: DType, key: &str) -> PyResult<(Option<Bound_>, Option<Bound_>)> {
    let refine = |e| argparse::refine(key, args, kwargs, e);
    let kwargs_ = kwargs.filter(|k| !k.is_empty());
    let (min, max) = match (args.len(), kwargs_) {
        (0..=2, None) => (args.get_item(0).ok(), args.get_item(1).ok()),
        _ => {
            let bound = argparse::bind(key, args, kwargs)?;
            (bound.get("min").cloned(), bound.get("max").cloned())
        }
    };
    let (mut lo, mut hi) = (bound_arg(min.as_ref(), dtype).map_err(refine)?, bound_arg(max.as_ref(), dtype).map_err(refine)?);
    // PyTorch's parser takes a 0-d tensor that does not require grad as a Number, so a mix of
    // such a tensor and a number is the Number overload (ClampBackward1).
    if matches!((&lo, &hi), (Some(Bound_::Num(_)), Some(Bound_::Tensor(_))) | (Some(Bound_::Tensor(_)), Some(Bound_::Num(_)))) {
        for b in [&mut lo, &mut hi] {
            if let Some(Bound_::Tensor(t)) = b {
                if t.dim() == 0 && !t.requires_grad() {
                    *b = Some(Bound_::Num(zero_dim_scalar(t)?));
                }
            }
        }
    }
    if let (Some(Bound_::Num(_)), Some(Bound_::Tensor(_))) | (Some(Bound_::Tensor(_)), Some(Bound_::Num(_))) = (&lo, &hi) {
        return Err(refine(PyTypeError::new_err("clamp bounds mix a number and a tensor")));
    }
    Ok((lo, hi))
}

/// The value of a 0-d tensor as the Python number PyTorch's parser reads from it.
fn zero_dim_scalar(t: &Tensor) -> PyResult<Scalar> {
    Ok(match t.dtype() {
        DType::Bool => Scalar::Bool(t.item_f64()? != 0.0),
        d if d.is_float() => Scalar::Float(t.item_f64()?),
        _ => Scalar::Int(t.item_i64()?),
    })
}

macro_rules! unary_methods {
    ($($name:ident, $name_:ident, $op:path, $doc:literal;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                #[doc = $doc]
                fn $name<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    apply(py, &self.inner, $op as UnaryOp)
                }
                #[doc = concat!("In-place: ", $doc)]
                fn $name_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
                    in_place(slf, $op as UnaryOp)
                }
            )*
        }
    };
}

unary_methods! {
    sign, sign_, ops::sign, "-1, 0 or 1 by sign.";
    sqrt, sqrt_, ops::sqrt, "Square root.";
    rsqrt, rsqrt_, ops::rsqrt, "Reciprocal square root.";
    sin, sin_, ops::sin, "Sine.";
    cos, cos_, ops::cos, "Cosine.";
    tan, tan_, ops::tan, "Tangent.";
    erf, erf_, ops::erf, "Error function.";
    atan, atan_, ops::atan, "Arctangent.";
    log1p, log1p_, ops::log1p, "log(1 + x).";
    expm1, expm1_, ops::expm1, "exp(x) - 1.";
    floor, floor_, ops::floor, "Round down.";
    ceil, ceil_, ops::ceil, "Round up.";
    logical_not, logical_not_, ops::logical_not, "Elementwise not, as bool.";
    bitwise_not, bitwise_not_, ops::bitwise_not, "Bitwise not of bool and integer tensors.";
    asin, asin_, ops::asin, "Arcsine.";
    acos, acos_, ops::acos, "Arccosine.";
    asinh, asinh_, ops::asinh, "Inverse hyperbolic sine.";
    acosh, acosh_, ops::acosh, "Inverse hyperbolic cosine.";
    atanh, atanh_, ops::atanh, "Inverse hyperbolic tangent.";
    sinh, sinh_, ops::sinh, "Hyperbolic sine.";
    cosh, cosh_, ops::cosh, "Hyperbolic cosine.";
    log2, log2_, ops::log2, "Base-2 logarithm.";
    log10, log10_, ops::log10, "Base-10 logarithm.";
    lgamma, lgamma_, ops::lgamma, "ln |Gamma(x)|.";
    digamma, digamma_, ops::digamma, "The logarithmic derivative of Gamma.";
    deg2rad, deg2rad_, ops::deg2rad, "Degrees to radians.";
    rad2deg, rad2deg_, ops::rad2deg, "Radians to degrees.";
    trunc, trunc_, ops::trunc, "Round toward zero.";
    frac, frac_, ops::frac, "x - trunc(x).";
    sgn, sgn_, ops::sgn, "The sign (sign for real tensors).";
    i0, i0_, ops::i0, "The modified Bessel function I0.";
}

fn square_op(t: &Tensor) -> Result<Tensor> {
    ops::pow_scalar(t, Scalar::Int(2))
}

macro_rules! compare_methods {
    ($($name:ident, $name_:ident, $dunder:ident, $op:expr;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                #[doc = concat!("Elementwise `", stringify!($name), "` as a bool tensor.")]
                fn $name<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
                    let other = match arith_operand(other, self.inner.dtype())? {
                        Some(other) => other,
                        None => tensor_arg(other, stringify!($name), "other")?,
                    };
                    apply(py, &self.inner, move |t| ops::compare($op, t, &other))
                }
                #[doc = concat!("In-place `", stringify!($name), "`: 1 where true, 0 elsewhere, in self's dtype.")]
                fn $name_<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
                    let other = tensor_arg(other, stringify!($name_), "other")?;
                    in_place(slf, move |t| ops::compare($op, t, &other))
                }
                fn $dunder<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
                    match arith_operand(other, self.inner.dtype())? {
                        Some(other) => apply(py, &self.inner, move |t| ops::compare($op, t, &other)),
                        None => Ok(py.NotImplemented().into_bound(py)),
                    }
                }
            )*
        }
    };
}

compare_methods! {
    eq, eq_, __eq__, Cmp::Eq;
    ne, ne_, __ne__, Cmp::Ne;
    lt, lt_, __lt__, Cmp::Lt;
    le, le_, __le__, Cmp::Le;
    gt, gt_, __gt__, Cmp::Gt;
    ge, ge_, __ge__, Cmp::Ge;
}

macro_rules! binary_logic_methods {
    ($($name:ident, $name_:ident, $op:expr, $func:path, $func_:path, $arg:path;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                #[doc = concat!("Elementwise `", stringify!($name), "`.")]
                fn $name<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
                    let other = $arg(other, self.inner.dtype(), stringify!($name))?;
                    apply(py, &self.inner, move |t| $func($op, t, &other))
                }
                #[doc = concat!("In-place `", stringify!($name), "`.")]
                fn $name_<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
                    let other = $arg(other, slf.get().inner.dtype(), stringify!($name_))?;
                    let target = slf.get().inner.clone();
                    maybe_detach(slf.py(), target.numel(), move || $func_(&target, $op, &other))?;
                    Ok(slf.clone())
                }
            )*
        }
    };
}

binary_logic_methods! {
    logical_and, logical_and_, Logic::And, ops::logical, logical_in_place, tensor_only_of;
    logical_or, logical_or_, Logic::Or, ops::logical, logical_in_place, tensor_only_of;
    logical_xor, logical_xor_, Logic::Xor, ops::logical, logical_in_place, tensor_only_of;
    bitwise_and, bitwise_and_, Logic::And, ops::bitwise, bitwise_in_place, bit_arg;
    bitwise_or, bitwise_or_, Logic::Or, ops::bitwise, bitwise_in_place, bit_arg;
    bitwise_xor, bitwise_xor_, Logic::Xor, ops::bitwise, bitwise_in_place, bit_arg;
}

/// [`tensor_only`] in the argument order of the bitwise ops' [`bit_arg`].
fn tensor_only_of(obj: &Bound<'_, PyAny>, _dtype: DType, method: &str) -> PyResult<Tensor> {
    tensor_only(obj, method, "other")
}

/// `logical_and_` etc.: the general in-place path.
fn logical_in_place(target: &Tensor, op: Logic, other: &Tensor) -> Result<()> {
    ops::in_place(target, |t| ops::logical(op, t, other))
}

/// `bitwise_and_` etc.: the result type is checked before the kernel's dtype refusal.
fn bitwise_in_place(target: &Tensor, op: Logic, other: &Tensor) -> Result<()> {
    ops::bitwise_(op, target, other)
}

impl PyTensor {
    fn bit_op<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>, op: Logic, reflected: bool) -> PyResult<Bound<'py, PyAny>> {
        match arith_operand(other, self.inner.dtype())? {
            Some(o) => apply(py, &self.inner, move |t| if reflected { ops::bitwise(op, &o, t) } else { ops::bitwise(op, t, &o) }),
            None => Ok(py.NotImplemented().into_bound(py)),
        }
    }
}

#[pymethods]
impl PyTensor {
    /// `self ** exponent` in place (a number: PowBackward0, a tensor: PowBackward1).
    fn pow_<'py>(slf: &Bound<'py, Self>, exponent: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let dtype = slf.get().inner.dtype();
        let number = match big_int(exponent) {
            // a uint64 exponent keeps its value for a float tensor and overflows an integer one
            Some(super::convert::BigInt::U64(v)) if dtype.is_float() => Some(Scalar::Float(v as f64)),
            Some(super::convert::BigInt::U64(_)) => {
                return Err(crate::Error::runtime("value cannot be converted to type int64_t without overflow").into())
            }
            Some(_) => return Err(arith_operand(exponent, dtype).expect_err("ints past uint64 overflow")),
            None => super::convert::scalar(exponent),
        };
        match number {
            Some(e) => in_place(slf, move |t| ops::pow_scalar(t, e)),
            None => {
                let e = tensor_arg(exponent, "pow_", "exponent").map_err(|err| {
                    let args = pyo3::types::PyTuple::new(slf.py(), [exponent]);
                    args.map_or_else(|e| e, |args| super::argparse::refine("Tensor.pow_", &args, None, err))
                })?;
                in_place(slf, move |t| ops::pow(t, &e))
            }
        }
    }
    fn __ipow__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, _modulo: &Bound<'_, PyAny>) -> PyResult<()> {
        Self::pow_(slf, other).map(|_| ())
    }
    /// `self * self`, in place.
    fn square_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        in_place(slf, square_op)
    }
    /// `e ** self`, in place.
    fn exp_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        direct_unary(slf, InPlaceUnary::Exp, ops::exp)
    }
    /// Natural logarithm, in place.
    fn log_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        in_place(slf, ops::log as UnaryOp)
    }
    /// `-self`, in place.
    fn neg_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        direct_unary(slf, InPlaceUnary::Neg, ops::neg)
    }
    /// `1 / self`, in place.
    fn reciprocal_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        in_place(slf, ops::reciprocal as UnaryOp)
    }

    /// Round half to even, or to `decimals` places.
    #[pyo3(signature = (*, decimals=None))]
    fn round<'py>(&self, py: Python<'py>, decimals: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, move |t| match decimals {
            None => ops::round(t),
            Some(d) => ops::round_decimals(t, d),
        })
    }
    /// Round in place.
    #[pyo3(signature = (*, decimals=None))]
    fn round_<'py>(slf: &Bound<'py, Self>, decimals: Option<i64>) -> PyResult<Bound<'py, Self>> {
        in_place(slf, move |t| match decimals {
            None => ops::round(t),
            Some(d) => ops::round_decimals(t, d),
        })
    }

    /// Limits every element to `[min, max]` (numbers or tensors; either may be None).
    #[pyo3(signature = (*args, **kwargs))]
    fn clamp<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (lo, hi) = clamp_bounds(args, kwargs, self.inner.dtype(), "Tensor.clamp")?;
        apply(py, &self.inner, move |t| clamp_any(t, lo, hi))
    }
    /// Alias of `clamp`.
    #[pyo3(signature = (*args, **kwargs))]
    fn clip<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (lo, hi) = clamp_bounds(args, kwargs, self.inner.dtype(), "Tensor.clip")?;
        apply(py, &self.inner, move |t| clamp_any(t, lo, hi))
    }
    /// `clamp` in place.
    #[pyo3(signature = (*args, **kwargs))]
    fn clamp_<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        Self::clamp_in_place(slf, args, kwargs, "Tensor.clamp_")
    }
    /// `clip` in place.
    #[pyo3(signature = (*args, **kwargs))]
    fn clip_<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        Self::clamp_in_place(slf, args, kwargs, "Tensor.clip_")
    }

    /// Elementwise maximum (NaN propagates).
    fn maximum<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let other = tensor_only(other, "maximum", "other")?;
        apply(py, &self.inner, move |t| ops::extremum(Extremum::Max, t, &other))
    }
    /// Elementwise minimum (NaN propagates).
    fn minimum<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let other = tensor_only(other, "minimum", "other")?;
        apply(py, &self.inner, move |t| ops::extremum(Extremum::Min, t, &other))
    }

    /// `rustgrad.where(condition, self, other)`.
    #[pyo3(name = "where")]
    fn where_method<'py>(&self, py: Python<'py>, condition: PyRef<'py, PyTensor>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let (cond, other_num) = (condition.inner.clone(), promoted_scalar(other, Some(self.inner.dtype()))?);
        let other = where_operand(other, other_num, "other")?;
        apply(py, &self.inner, move |t| ops::where_numbers(&cond, t, &other, None, other_num))
    }

    /// `value` where `mask` is true.
    fn masked_fill<'py>(&self, py: Python<'py>, mask: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let mask = tensor_only(mask, "masked_fill", "mask")?;
        wrap_tensor(py, masked_fill_any(&self.inner, &mask, value)?)
    }
    /// `masked_fill` in place.
    fn masked_fill_<'py>(slf: &Bound<'py, Self>, mask: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let mask = tensor_only(mask, "masked_fill_", "mask")?;
        let target = slf.get().inner.clone();
        // Evaluate the argument kinds with the GIL held, then run the op.
        let value = match checked_scalar(value, Some(target.dtype()))? {
            Some(s) => Err(s),
            None => Ok(tensor_arg(value, "masked_fill_", "value")?),
        };
        // Allowed on expanded tensors, as PyTorch, which warns there (once the in-place checks,
        // the value's dim and the mask's dtype passed).
        let py = slf.py();
        ops::in_place_overlapping(&target, |t| {
            let value_ok = value.as_ref().map_or(true, |v| v.dim() == 0);
            if value_ok && mask.dtype() == DType::Bool && ops::has_internal_overlap(t) {
                user_warning(py, ops::MASKED_FILL_EXPANDED).map_err(foreign)?;
            }
            match &value {
                Err(s) => ops::masked_fill(t, &mask, *s),
                Ok(v) => ops::masked_fill_tensor(t, &mask, v),
            }
        })?;
        Ok(slf.clone())
    }

    /// Copies `src` (broadcast, cast to self's dtype) into self.
    #[pyo3(signature = (src, non_blocking=false))]
    fn copy_<'py>(slf: &Bound<'py, Self>, src: &Bound<'py, PyAny>, non_blocking: bool) -> PyResult<Bound<'py, Self>> {
        let _ = non_blocking;
        let src = tensor_arg(src, "copy_", "src")?;
        let target = slf.get().inner.clone();
        maybe_detach(slf.py(), target.numel(), move || ops::copy_into(&target, &src))?;
        Ok(slf.clone())
    }

    fn __invert__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if self.inner.dtype().is_float() {
            return Err(PyTypeError::new_err("~ (operator.invert) is only implemented on integer and Boolean-type tensors"));
        }
        apply(py, &self.inner, ops::bitwise_not as UnaryOp)
    }
    fn __and__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.bit_op(py, other, Logic::And, false)
    }
    fn __rand__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.bit_op(py, other, Logic::And, true)
    }
    fn __or__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.bit_op(py, other, Logic::Or, false)
    }
    fn __ror__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.bit_op(py, other, Logic::Or, true)
    }
    fn __xor__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.bit_op(py, other, Logic::Xor, false)
    }
    fn __rxor__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.bit_op(py, other, Logic::Xor, true)
    }
    fn __iand__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let other = bit_arg(other, slf.get().inner.dtype(), "__iand__")?;
        let target = slf.get().inner.clone();
        maybe_detach(slf.py(), target.numel(), move || ops::bitwise_(Logic::And, &target, &other))?;
        Ok(())
    }
    fn __ior__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let other = bit_arg(other, slf.get().inner.dtype(), "__ior__")?;
        let target = slf.get().inner.clone();
        maybe_detach(slf.py(), target.numel(), move || ops::bitwise_(Logic::Or, &target, &other))?;
        Ok(())
    }
    fn __ixor__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let other = bit_arg(other, slf.get().inner.dtype(), "__ixor__")?;
        let target = slf.get().inner.clone();
        maybe_detach(slf.py(), target.numel(), move || ops::bitwise_(Logic::Xor, &target, &other))?;
        Ok(())
    }
}

// ----- module functions (`rustgrad._core.*`): the ones PyTorch has outside Tensor -----

/// `where(condition)`: one int64 tensor of coordinates per dim of `condition` (a 0-d condition
/// counts as 1-d), for its nonzero elements (NaN included).
fn where_nonzero<'py>(py: Python<'py>, condition: &Tensor) -> PyResult<Bound<'py, PyAny>> {
    let coords = ops::nonzero_tuple(condition)?;
    let items = coords.into_iter().map(|t| wrap_tensor(py, t)).collect::<PyResult<Vec<_>>>()?;
    Ok(PyTuple::new(py, items)?.into_any())
}

/// `where(condition, input, other)`; input / other may be numbers.
/// With `condition` alone: the coordinates of its nonzero elements (`condition.nonzero(as_tuple=True)`).
#[pyfunction]
#[pyo3(name = "where", signature = (condition, input=Given(None), other=Given(None)))]
fn where_fn<'py>(py: Python<'py>, condition: &Bound<'py, PyAny>, input: Given<'py>, other: Given<'py>) -> PyResult<Bound<'py, PyAny>> {
    let (condition, input, other) = match (condition.cast::<PyTensor>(), input.0, other.0) {
        (Ok(c), Some(i), Some(o)) if !i.is_none() && !o.is_none() => (c.borrow(), i, o),
        (Ok(c), None, None) => return where_nonzero(py, &c.get().inner),
        (_, i, o) => {
            let given: Vec<Bound<'py, PyAny>> = std::iter::once(condition.clone()).chain(i).chain(o).collect();
            let args = PyTuple::new(py, given)?;
            return Err(super::argparse::refine("where", &args, None, PyTypeError::new_err("where(): invalid arguments")));
        }
    };
    let (input, other) = (&input, &other);
    // A number is checked against the dtype of the tensor beside it (int64 when both are numbers).
    let partner = |obj: &Bound<'py, PyAny>| obj.cast::<PyTensor>().ok().map(|t| t.get().inner.dtype());
    if let (None, None) = (partner(input), partner(other)) {
        // Two numbers: a uint64 one cannot be promoted with an int.
        let kind = |obj: &Bound<'py, PyAny>| match big_int(obj) {
            Some(_) => Some("UInt64"),
            None if obj.is_instance_of::<pyo3::types::PyInt>() && !obj.is_instance_of::<pyo3::types::PyBool>() => Some("Long"),
            None => None,
        };
        if let (Some(a), Some(b)) = (kind(input), kind(other)) {
            if a != b {
                return Err(crate::Error::runtime(format!(
                    "Promotion for uint16, uint32, uint64 types is not supported, attempted to promote {a} and {b}"
                ))
                .into());
            }
        }
    }
    let (a_num, b_num) = (promoted_scalar(input, partner(other))?, promoted_scalar(other, partner(input))?);
    let (a, b) = (where_operand(input, a_num, "input")?, where_operand(other, b_num, "other")?);
    apply(py, &condition.inner, move |c| ops::where_numbers(c, &a, &b, a_num, b_num))
}

/// `gelu(input, approximate='none')`.
#[pyfunction]
#[pyo3(signature = (input, approximate="none"))]
fn gelu<'py>(py: Python<'py>, input: PyRef<'py, PyTensor>, approximate: &str) -> PyResult<Bound<'py, PyAny>> {
    let approx = GeluApprox::parse(approximate)?;
    apply(py, &input.inner, move |t| ops::gelu(t, approx))
}

/// `silu(input)`.
#[pyfunction]
fn silu<'py>(py: Python<'py>, input: PyRef<'py, PyTensor>) -> PyResult<Bound<'py, PyAny>> {
    apply(py, &input.inner, ops::silu as UnaryOp)
}

/// `silu_(input)`: silu in place.
#[pyfunction]
fn silu_<'py>(input: &Bound<'py, PyTensor>) -> PyResult<Bound<'py, PyTensor>> {
    in_place(input, ops::silu as UnaryOp)
}

/// `softplus(input, beta=1, threshold=20)`.
#[pyfunction]
#[pyo3(signature = (input, beta=1.0, threshold=20.0))]
fn softplus<'py>(py: Python<'py>, input: PyRef<'py, PyTensor>, beta: f64, threshold: f64) -> PyResult<Bound<'py, PyAny>> {
    apply(py, &input.inner, move |t| ops::softplus(t, beta, threshold))
}

/// `elu(input, alpha=1.0)`.
#[pyfunction]
#[pyo3(signature = (input, alpha=1.0))]
fn elu<'py>(py: Python<'py>, input: PyRef<'py, PyTensor>, alpha: f64) -> PyResult<Bound<'py, PyAny>> {
    apply(py, &input.inner, move |t| ops::elu(t, alpha))
}

/// `elu_(input, alpha=1.0)`: elu in place.
#[pyfunction]
#[pyo3(signature = (input, alpha=1.0))]
fn elu_<'py>(input: &Bound<'py, PyTensor>, alpha: f64) -> PyResult<Bound<'py, PyTensor>> {
    catch_alloc_failure(|| ops::elu_(&input.get().inner, alpha))?;
    Ok(input.clone())
}

/// `leaky_relu(input, negative_slope=0.01)`.
#[pyfunction]
#[pyo3(signature = (input, negative_slope=0.01))]
fn leaky_relu<'py>(py: Python<'py>, input: PyRef<'py, PyTensor>, negative_slope: f64) -> PyResult<Bound<'py, PyAny>> {
    apply(py, &input.inner, move |t| ops::leaky_relu(t, negative_slope))
}

/// `leaky_relu_(input, negative_slope=0.01)`: leaky_relu in place.
#[pyfunction]
#[pyo3(signature = (input, negative_slope=0.01))]
fn leaky_relu_<'py>(input: &Bound<'py, PyTensor>, negative_slope: f64) -> PyResult<Bound<'py, PyTensor>> {
    catch_alloc_failure(|| ops::leaky_relu_(&input.get().inner, negative_slope))?;
    Ok(input.clone())
}

/// `hardtanh(input, min_val=-1, max_val=1)`.
#[pyfunction]
#[pyo3(signature = (input, min_val=-1.0, max_val=1.0))]
fn hardtanh<'py>(py: Python<'py>, input: PyRef<'py, PyTensor>, min_val: f64, max_val: f64) -> PyResult<Bound<'py, PyAny>> {
    apply(py, &input.inner, move |t| ops::hardtanh(t, min_val, max_val))
}

/// `hardtanh_(input, min_val=-1, max_val=1)`: hardtanh in place.
#[pyfunction]
#[pyo3(signature = (input, min_val=-1.0, max_val=1.0))]
fn hardtanh_<'py>(input: &Bound<'py, PyTensor>, min_val: f64, max_val: f64) -> PyResult<Bound<'py, PyTensor>> {
    in_place(input, move |t| ops::hardtanh(t, min_val, max_val))
}

/// `relu6(input)`: `hardtanh(input, 0, 6)`.
#[pyfunction]
fn relu6<'py>(py: Python<'py>, input: PyRef<'py, PyTensor>) -> PyResult<Bound<'py, PyAny>> {
    apply(py, &input.inner, |t| ops::hardtanh(t, 0.0, 6.0))
}

/// Adds this file's functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(where_fn, m)?)?;
    m.add_function(wrap_pyfunction!(gelu, m)?)?;
    m.add_function(wrap_pyfunction!(silu, m)?)?;
    m.add_function(wrap_pyfunction!(silu_, m)?)?;
    m.add_function(wrap_pyfunction!(softplus, m)?)?;
    m.add_function(wrap_pyfunction!(elu, m)?)?;
    m.add_function(wrap_pyfunction!(elu_, m)?)?;
    m.add_function(wrap_pyfunction!(leaky_relu, m)?)?;
    m.add_function(wrap_pyfunction!(leaky_relu_, m)?)?;
    m.add_function(wrap_pyfunction!(hardtanh, m)?)?;
    m.add_function(wrap_pyfunction!(hardtanh_, m)?)?;
    m.add_function(wrap_pyfunction!(relu6, m)?)?;
    Ok(())
}

#[pymethods]
impl PyTensor {
    /// Absolute value.
    fn abs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, ops::abs as UnaryOp)
    }
    /// In-place: absolute value.
    fn abs_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        direct_unary(slf, InPlaceUnary::Abs, ops::abs)
    }
    /// Hyperbolic tangent.
    fn tanh<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, ops::tanh as UnaryOp)
    }
    /// In-place: hyperbolic tangent.
    fn tanh_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        direct_unary(slf, InPlaceUnary::Tanh, ops::tanh)
    }
    /// Logistic sigmoid.
    fn sigmoid<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, ops::sigmoid as UnaryOp)
    }
    /// In-place: logistic sigmoid.
    fn sigmoid_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        direct_unary(slf, InPlaceUnary::Sigmoid, ops::sigmoid)
    }
    /// max(x, 0).
    fn relu<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, ops::relu as UnaryOp)
    }
    /// In-place: max(x, 0).
    fn relu_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        direct_unary(slf, InPlaceUnary::Relu, ops::relu)
    }
}
