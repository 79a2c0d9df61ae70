//! Elementwise functions of one tensor.

use num_traits::Float;

use super::backward::backward_fn;
use super::binary::{mul, mul_scalar};
use super::record;
use crate::autograd::SavedTensor;
use crate::cpu::elementwise;
use crate::error::{Error, Result};
use crate::ops::{div, shape::convert};
use crate::tensor::{DType, Element, Tensor};
use crate::with_dtype;

/// A float function of one variable.
#[derive(Clone, Copy)]
enum FloatFn {
    Exp,
    Log,
    Reciprocal,
}

fn float_kernel<T: Element + Float>(f: FloatFn, t: &Tensor) -> Result<Tensor> {
    let data = t.data();
    let buffer = data.storage.read();
    let s = T::slice(&buffer);
    let out = match f {
        FloatFn::Exp => elementwise::unary(s, &data.layout, |x: T| x.exp()),
        FloatFn::Log => elementwise::unary(s, &data.layout, |x: T| x.ln()),
        FloatFn::Reciprocal => elementwise::unary(s, &data.layout, |x: T| x.recip()),
    };
    Tensor::from_vec(out, &data.layout.shape)
}

/// Applies a float function; integer and bool inputs are computed in the default float type.
fn float_map(f: FloatFn, t: &Tensor) -> Result<Tensor> {
    let t = if t.dtype().is_float() { t.clone() } else { convert(t, DType::DEFAULT_FLOAT) };
    match t.dtype() {
        DType::F32 => float_kernel::<f32>(f, &t),
        _ => float_kernel::<f64>(f, &t),
    }
}

/// `-t`.
pub fn neg(t: &Tensor) -> Result<Tensor> {
    let data = t.data();
    if data.dtype == DType::Bool {
        return Err(Error::runtime(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
        ));
    }
    let out = {
        let buffer = data.storage.read();
        with_dtype!(data.dtype, T => {
            let zero = T::default();
            let values = elementwise::unary(T::slice(&buffer), &data.layout, |x: T| negate(zero, x));
            Tensor::from_vec(values, &data.layout.shape)?
        })
    };
    record(&[t], &[&out], || {
        // d(-t) = -grad
        backward_fn("NegBackward0", vec![], |_, _, g| Ok(vec![Some(neg(&g[0])?)]))
    })?;
    Ok(out)
}

/// `0 - x` for every element type (bool never gets here).
fn negate<T: Element>(zero: T, x: T) -> T {
    T::from_f64(zero.to_f64() - x.to_f64())
}

/// `exp(t)`.
pub fn exp(t: &Tensor) -> Result<Tensor> {
    let out = float_map(FloatFn::Exp, t)?;
    record(&[t], &[&out], || {
        // d exp(t) = grad*exp(t)
        backward_fn("ExpBackward0", vec![Some(SavedTensor::output(&out, 0))], |_, s, g| {
            Ok(vec![Some(mul(&g[0], s[0].as_ref().expect("saved"))?)])
        })
    })?;
    Ok(out)
}

/// `ln(t)`.
pub fn log(t: &Tensor) -> Result<Tensor> {
    let out = float_map(FloatFn::Log, t)?;
    record(&[t], &[&out], || {
        // d ln(t) = grad/t
        backward_fn("LogBackward0", vec![Some(SavedTensor::input(t))], |_, s, g| {
            Ok(vec![Some(div(&g[0], s[0].as_ref().expect("saved"))?)])
        })
    })?;
    Ok(out)
}

/// `1/t`.
pub fn reciprocal(t: &Tensor) -> Result<Tensor> {
    let out = float_map(FloatFn::Reciprocal, t)?;
    record(&[t], &[&out], || {
        // d(1/t) = -grad/t^2 = -grad*r*r
        backward_fn("ReciprocalBackward0", vec![Some(SavedTensor::output(&out, 0))], |_, s, g| {
            let r = s[0].as_ref().expect("saved");
            Ok(vec![Some(mul_scalar(&mul(&g[0], &mul(r, r)?)?, -1.0)?)])
        })
    })?;
    Ok(out)
}
