//! Elementwise functions of one tensor: exp/log family, trigonometry, tanh/sigmoid, erf, and the
//! dtype-preserving abs/sign/floor/ceil/round.
//!
//! Backward formulas are written with recorded ops (so `create_graph=True` differentiates them);
//! the hot ones (tanh, sigmoid) run a fused one-pass kernel when no graph is being built.

use num_traits::{Float, One, Zero};

use super::backward::{backward_fn, input};
use super::binary::{add, mul, mul_scalar, pow_scalar};
use super::record;
use crate::autograd::{is_grad_enabled, SavedTensor};
use crate::cpu::{elementwise, math};
use crate::error::{Error, Result};
use crate::ops::{div, shape::convert};
use crate::tensor::{broadcast_shapes, DType, Element, Scalar, Tensor};
use crate::with_dtype;

/// A float function of one variable.
#[derive(Clone, Copy)]
pub(crate) enum FloatFn {
    Exp,
    Log,
    Reciprocal,
    Sqrt,
    Rsqrt,
    Sin,
    Cos,
    Tan,
    Tanh,
    Sigmoid,
    Erf,
    Atan,
    Log1p,
    Expm1,
}

/// Float math the kernels need beyond `num_traits::Float`: vectorised f32 versions and libm.
pub(crate) trait FloatMath: Element + Float {
    fn fast_exp(self) -> Self;
    fn fast_tanh(self) -> Self;
    fn fast_sigmoid(self) -> Self;
    fn erf_libm(self) -> Self;
    fn c(v: f64) -> Self {
        Self::from_f64(v)
    }
}

impl FloatMath for f32 {
    fn fast_exp(self) -> Self {
        math::exp_f32(self)
    }
    fn fast_tanh(self) -> Self {
        math::tanh_f32(self)
    }
    fn fast_sigmoid(self) -> Self {
        math::sigmoid_f32(self)
    }
    fn erf_libm(self) -> Self {
        libm::erff(self)
    }
}

impl FloatMath for f64 {
    fn fast_exp(self) -> Self {
        self.exp()
    }
    fn fast_tanh(self) -> Self {
        self.tanh()
    }
    fn fast_sigmoid(self) -> Self {
        1.0 / (1.0 + (-self).exp())
    }
    fn erf_libm(self) -> Self {
        libm::erf(self)
    }
}

/// `f` over every element of `t` (typed `T`): the vectorised driver when contiguous.
pub(crate) fn map_kernel<T: Element, U: Element>(t: &Tensor, f: impl Fn(T) -> U + Sync + Send) -> Result<Tensor> {
    let data = t.data_ref();
    let buffer = data.storage.read();
    let s = T::slice(&buffer);
    let l = &data.layout;
    let out = if l.is_contiguous() { math::map(&s[l.offset..l.offset + l.numel()], f) } else { elementwise::unary(s, l, f) };
    Tensor::from_vec(out, &l.shape)
}

/// `f` pairwise over `a` and `b` (both typed `T`, broadcast together).
pub(crate) fn zip_kernel<T: Element, U: Element>(a: &Tensor, b: &Tensor, f: impl Fn(T, T) -> U + Sync + Send) -> Result<Tensor> {
    let (da, db) = (a.data_ref(), b.data_ref());
    let shape = broadcast_shapes(&da.layout.shape, &db.layout.shape)?;
    let (ba, bb) = (da.storage.read(), db.storage.read());
    let (sa, sb) = (T::slice(&ba), T::slice(&bb));
    let (la, lb) = (&da.layout, &db.layout);
    let out = if la.shape == shape && lb.shape == shape && la.is_contiguous() && lb.is_contiguous() {
        let n = la.numel();
        math::zip_map(&sa[la.offset..la.offset + n], &sb[lb.offset..lb.offset + n], f)
    } else {
        elementwise::binary(sa, la, sb, lb, &shape, f)
    };
    Tensor::from_vec(out, &shape)
}

/// `body` over the elements of a float tensor, instantiated for f32 and f64 (`$T` names the type).
macro_rules! float_map {
    ($t:expr, $T:ident, |$x:ident| $body:expr) => {{
        let t: &Tensor = $t;
        match t.dtype() {
            DType::F32 => {
                type $T = f32;
                $crate::ops::unary::map_kernel::<$T, $T>(t, |$x: $T| $body)
            }
            _ => {
                type $T = f64;
                $crate::ops::unary::map_kernel::<$T, $T>(&convert(t, DType::F64), |$x: $T| $body)
            }
        }
    }};
}

/// `body` pairwise over two float tensors (the second converted to the first's dtype).
macro_rules! float_zip {
    ($a:expr, $b:expr, $T:ident, |$x:ident, $y:ident| $body:expr) => {{
        let (a, b): (&Tensor, &Tensor) = ($a, $b);
        let b = convert(b, a.dtype());
        match a.dtype() {
            DType::F32 => {
                type $T = f32;
                $crate::ops::unary::zip_kernel::<$T, $T>(a, &b, |$x: $T, $y: $T| $body)
            }
            _ => {
                type $T = f64;
                $crate::ops::unary::zip_kernel::<$T, $T>(a, &b, |$x: $T, $y: $T| $body)
            }
        }
    }};
}
pub(crate) use {float_map, float_zip};

fn float_kernel<T: FloatMath>(f: FloatFn, t: &Tensor) -> Result<Tensor> {
    match f {
        FloatFn::Exp => map_kernel(t, |x: T| x.fast_exp()),
        FloatFn::Log => map_kernel(t, |x: T| x.ln()),
        FloatFn::Reciprocal => map_kernel(t, |x: T| x.recip()),
        FloatFn::Sqrt => map_kernel(t, |x: T| x.sqrt()),
        FloatFn::Rsqrt => map_kernel(t, |x: T| x.sqrt().recip()),
        FloatFn::Sin => map_kernel(t, |x: T| x.sin()),
        FloatFn::Cos => map_kernel(t, |x: T| x.cos()),
        FloatFn::Tan => map_kernel(t, |x: T| x.tan()),
        FloatFn::Tanh => map_kernel(t, |x: T| x.fast_tanh()),
        FloatFn::Sigmoid => map_kernel(t, |x: T| x.fast_sigmoid()),
        FloatFn::Erf => map_kernel(t, |x: T| x.erf_libm()),
        FloatFn::Atan => map_kernel(t, |x: T| x.atan()),
        FloatFn::Log1p => map_kernel(t, |x: T| x.ln_1p()),
        FloatFn::Expm1 => map_kernel(t, |x: T| x.exp_m1()),
    }
}

/// A float32 function with a fused-multiply-add form over `t`: the vector loops when contiguous
/// (the in-place ops use them for a contiguous target too, so both agree to the bit), the unfused
/// scalar form otherwise.
fn fused_kernel(t: &Tensor, f: impl math::FusedFn) -> Result<Tensor> {
    let data = t.data_ref();
    let buffer = data.storage.read();
    let s = f32::slice(&buffer);
    let l = &data.layout;
    let out = if l.is_contiguous() {
        math::fused_map(&s[l.offset..l.offset + l.numel()], f)
    } else {
        elementwise::unary(s, l, move |x| f.eval::<false>(x))
    };
    Tensor::from_vec(out, &l.shape)
}

/// `t` itself when float, else `t` in the default float type (PyTorch's promotion of integer and
/// bool inputs of float functions).
pub(crate) fn as_float(t: &Tensor) -> Tensor {
    if t.dtype().is_float() {
        t.clone()
    } else {
        convert(t, DType::default_float())
    }
}

/// Applies a float function without recording; integer and bool inputs give the default float type.
pub(crate) fn float_map_raw(f: FloatFn, t: &Tensor) -> Result<Tensor> {
    let t = as_float(t);
    match (t.dtype(), f) {
        (DType::F32, FloatFn::Exp) => fused_kernel(&t, math::ExpFn),
        (DType::F32, FloatFn::Tanh) => fused_kernel(&t, math::TanhFn),
        (DType::F32, FloatFn::Sigmoid) => fused_kernel(&t, math::SigmoidFn),
        (DType::F32, _) => float_kernel::<f32>(f, &t),
        _ => float_kernel::<f64>(f, &t),
    }
}

fn saved(s: &[Option<Tensor>], i: usize) -> &Tensor {
    s[i].as_ref().expect("saved tensor")
}

/// Runs `fused` (one pass, not recorded) during a plain backward and `composed` (recorded ops)
/// when the backward itself is being recorded (`create_graph=True`).
pub(crate) fn grad_formula(fused: impl FnOnce() -> Result<Tensor>, composed: impl FnOnce() -> Result<Tensor>) -> Result<Tensor> {
    if is_grad_enabled() {
        composed()
    } else {
        fused()
    }
}

/// A float function whose backward uses only the saved input or output, named `name`.
fn unary_float(
    t: &Tensor,
    f: FloatFn,
    name: &'static str,
    save_result: bool,
    grad: fn(&Tensor, &Tensor) -> Result<Tensor>,
) -> Result<Tensor> {
    let out = float_map_raw(f, t)?;
    record(&[t], &[&out], || {
        let s = if save_result { SavedTensor::output(&out, 0).named("result") } else { SavedTensor::input(t).named("self") };
        backward_fn(name, vec![Some(s)], move |_, s, g| Ok(vec![Some(grad(&g[0], saved(&s, 0))?)]))
    })?;
    Ok(out)
}

/// `-t`.
pub fn neg(t: &Tensor) -> Result<Tensor> {
    let data = t.data_ref();
    if data.dtype == DType::Bool {
        return Err(Error::runtime(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
        ));
    }
    let out = {
        let buffer = data.storage.read();
        with_dtype!(data.dtype, T => {
            let values = elementwise::unary(T::slice(&buffer), &data.layout, negate::<T>);
            Tensor::from_vec(values, &data.layout.shape)?
        })
    };
    drop(data);
    record(&[t], &[&out], || {
        // d(-t) = -grad
        backward_fn("NegBackward0", vec![], |_, _, g| Ok(vec![Some(neg(&g[0])?)]))
    })?;
    Ok(out)
}

/// `-x` for every element type (bool never gets here): floats flip the sign (`-0.0` stays signed),
/// integers negate exactly with wrap-around (uint8 `-5` is 251, as C++).
pub(crate) fn negate<T: Element>(x: T) -> T {
    if T::DTYPE.is_float() {
        T::from_f64(-x.to_f64())
    } else {
        T::from_i64(x.to_i64().wrapping_neg())
    }
}

/// `exp(t)`.
pub fn exp(t: &Tensor) -> Result<Tensor> {
    // d exp(t) = grad*exp(t)
    unary_float(t, FloatFn::Exp, "ExpBackward0", true, mul)
}

/// `ln(t)`.
pub fn log(t: &Tensor) -> Result<Tensor> {
    // d ln(t) = grad/t
    unary_float(t, FloatFn::Log, "LogBackward0", false, div)
}

/// `1/t`.
pub fn reciprocal(t: &Tensor) -> Result<Tensor> {
    // d(1/t) = -grad/t^2 = -grad*r*r
    unary_float(t, FloatFn::Reciprocal, "ReciprocalBackward0", true, |g, r| mul_scalar(&mul(g, &mul(r, r)?)?, -1.0))
}

/// `sqrt(t)`.
pub fn sqrt(t: &Tensor) -> Result<Tensor> {
    // d sqrt(t) = grad/(2*sqrt(t))
    unary_float(t, FloatFn::Sqrt, "SqrtBackward0", true, |g, r| div(g, &mul_scalar(r, 2.0)?))
}

/// `1/sqrt(t)`.
pub fn rsqrt(t: &Tensor) -> Result<Tensor> {
    // d t^-1/2 = -grad*r^3/2
    unary_float(t, FloatFn::Rsqrt, "RsqrtBackward0", true, |g, r| mul(&mul_scalar(g, -0.5)?, &pow_scalar(r, Scalar::Int(3))?))
}

/// `sin(t)`.
pub fn sin(t: &Tensor) -> Result<Tensor> {
    // d sin(t) = grad*cos(t)
    unary_float(t, FloatFn::Sin, "SinBackward0", false, |g, x| mul(g, &cos(x)?))
}

/// `cos(t)`.
pub fn cos(t: &Tensor) -> Result<Tensor> {
    // d cos(t) = -grad*sin(t)
    unary_float(t, FloatFn::Cos, "CosBackward0", false, |g, x| mul(g, &neg(&sin(x)?)?))
}

/// `tan(t)`.
pub fn tan(t: &Tensor) -> Result<Tensor> {
    // d tan(t) = grad*(1 + tan(t)^2)
    unary_float(t, FloatFn::Tan, "TanBackward0", true, |g, r| mul(g, &add(&mul(r, r)?, &Scalar::Int(1).to_tensor())?))
}

/// `tanh(t)`.
pub fn tanh(t: &Tensor) -> Result<Tensor> {
    // d tanh(t) = grad*(1 - tanh(t)^2)
    unary_float(t, FloatFn::Tanh, "TanhBackward0", true, |g, r| {
        grad_formula(
            || float_zip!(g, r, T, |g, r| g * (1.0 - r * r)),
            || mul(g, &super::binary::rsub_scalar(&mul(r, r)?, Scalar::Int(1))?),
        )
    })
}

/// `1/(1 + exp(-t))`.
pub fn sigmoid(t: &Tensor) -> Result<Tensor> {
    // d sigmoid(t) = grad*s*(1 - s)
    unary_float(t, FloatFn::Sigmoid, "SigmoidBackward0", true, |g, s| {
        grad_formula(
            || float_zip!(g, s, T, |g, s| g * s * (1.0 - s)),
            || mul(&mul(g, s)?, &super::binary::rsub_scalar(s, Scalar::Int(1))?),
        )
    })
}

/// `erf(t)`.
pub fn erf(t: &Tensor) -> Result<Tensor> {
    // d erf(t) = grad*2/sqrt(pi)*exp(-t^2)
    unary_float(t, FloatFn::Erf, "ErfBackward0", false, |g, x| {
        let e = exp(&neg(&mul(x, x)?)?)?;
        mul(&mul_scalar(g, std::f64::consts::FRAC_2_SQRT_PI)?, &e)
    })
}

/// `atan(t)`.
pub fn atan(t: &Tensor) -> Result<Tensor> {
    // d atan(t) = grad/(1 + t^2)
    unary_float(t, FloatFn::Atan, "AtanBackward0", false, |g, x| div(g, &add(&mul(x, x)?, &Scalar::Int(1).to_tensor())?))
}

/// `ln(1 + t)`.
pub fn log1p(t: &Tensor) -> Result<Tensor> {
    // d ln(1+t) = grad/(1 + t)
    unary_float(t, FloatFn::Log1p, "Log1PBackward0", false, |g, x| div(g, &add(x, &Scalar::Int(1).to_tensor())?))
}

/// `exp(t) - 1`.
pub fn expm1(t: &Tensor) -> Result<Tensor> {
    // d (e^t - 1) = grad*(r + 1)
    unary_float(t, FloatFn::Expm1, "Expm1Backward0", true, |g, r| mul(g, &add(r, &Scalar::Int(1).to_tensor())?))
}

/// PyTorch's error for a kernel that has no version for `dtype`.
pub(crate) fn not_implemented(kernel: &str, dtype: DType) -> Error {
    Error::not_implemented(format!("\"{kernel}\" not implemented for '{}'", dtype.scalar_type_name()))
}

/// The gradient of a piecewise-constant function: zeros like `grad`.
fn zero_grad(g: &Tensor) -> Result<Tensor> {
    Ok(Tensor::zeros(&g.shape(), g.dtype()))
}

/// A dtype-preserving map over float and int64 tensors, not recorded.
fn same_dtype_map(
    t: &Tensor,
    float_f: fn(f64) -> f64,
    f32_f: fn(f32) -> f32,
    int_f: fn(i64) -> i64,
) -> Result<Tensor> {
    match t.dtype() {
        DType::F32 => map_kernel(t, f32_f),
        DType::F64 => map_kernel(t, float_f),
        DType::I64 => map_kernel(t, int_f),
        // Narrower integers go through int64 and back (exact for these maps).
        DType::I32 | DType::U8 => Ok(convert(&map_kernel(&convert(t, DType::I64), int_f)?, t.dtype())),
        DType::Bool => unreachable!("bool inputs are handled by the callers"),
    }
}

fn record_zero_grad(t: &Tensor, out: &Tensor, name: &'static str) -> Result<()> {
    record(&[t], &[out], || {
        // d f(t) = 0 (piecewise constant)
        backward_fn(name, vec![], |_, _, g| Ok(vec![Some(zero_grad(&g[0])?)]))
    })
}

/// `|t|`.
pub fn abs(t: &Tensor) -> Result<Tensor> {
    if t.dtype() == DType::Bool {
        return Err(not_implemented("abs_cpu", DType::Bool));
    }
    let out = same_dtype_map(t, f64::abs, f32::abs, i64::wrapping_abs)?;
    record(&[t], &[&out], || {
        // d|t| = grad*sign(t)
        backward_fn("AbsBackward0", vec![input("self", t)], |_, s, g| Ok(vec![Some(mul(&g[0], &sign(saved(&s, 0))?)?)]))
    })?;
    Ok(out)
}

/// `(0 < x) - (x < 0)`, as PyTorch computes it: sign(-0.0) = 0.0 and sign(NaN) = 0.
fn sign_f<T: Float>(x: T) -> T {
    let (zero, one) = (<T as Zero>::zero(), <T as One>::one());
    (if zero < x { one } else { zero }) - (if x < zero { one } else { zero })
}

/// `sign(t)`: -1, 0 or 1 (bool stays bool).
pub fn sign(t: &Tensor) -> Result<Tensor> {
    let out = if t.dtype() == DType::Bool {
        Tensor::from_buffer(t.contiguous_buffer(), &t.shape())?
    } else {
        same_dtype_map(t, sign_f, sign_f, i64::signum)?
    };
    record_zero_grad(t, &out, "SignBackward0")?;
    Ok(out)
}

fn int_rounding(t: &Tensor, kernel: &str, f64_f: fn(f64) -> f64, f32_f: fn(f32) -> f32, name: &'static str) -> Result<Tensor> {
    if t.dtype() == DType::Bool {
        return Err(not_implemented(kernel, DType::Bool));
    }
    let out = same_dtype_map(t, f64_f, f32_f, |x| x)?;
    record_zero_grad(t, &out, name)?;
    Ok(out)
}

/// `floor(t)` (integers unchanged).
pub fn floor(t: &Tensor) -> Result<Tensor> {
    int_rounding(t, "floor_vml_cpu", f64::floor, f32::floor, "FloorBackward0")
}

/// `ceil(t)` (integers unchanged).
pub fn ceil(t: &Tensor) -> Result<Tensor> {
    int_rounding(t, "ceil_vml_cpu", f64::ceil, f32::ceil, "CeilBackward0")
}

/// `round(t)`, halves to even (integers unchanged).
pub fn round(t: &Tensor) -> Result<Tensor> {
    int_rounding(t, "round_vml_cpu", f64::round_ties_even, f32::round_ties_even, "RoundBackward0")
}

/// `round(t, decimals=d)`: `round(t * 10^d) / 10^d` (floats only).
pub fn round_decimals(t: &Tensor, decimals: i64) -> Result<Tensor> {
    if !t.dtype().is_float() {
        return Err(not_implemented("round_cpu", t.dtype()));
    }
    // PyTorch scales by 10^d (or divides by 10^-d for negative d) in the tensor's own type.
    let (neg_d, ten_pow) = (decimals < 0, 10f64.powi(decimals.unsigned_abs() as i32));
    let out = float_map!(t, T, |x| {
        let p = T::c(ten_pow);
        if neg_d {
            (x / p).round_ties_even() * p
        } else {
            (x * p).round_ties_even() / p
        }
    })?;
    record_zero_grad(t, &out, "RoundBackward1")?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t32(v: &[f32]) -> Tensor {
        Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap()
    }

    #[test]
    fn float_functions_promote_integers_and_keep_values() {
        let ints = Tensor::from_vec(vec![1i64, 4, 9], &[3]).unwrap();
        let r = sqrt(&ints).unwrap();
        assert_eq!(r.dtype(), DType::F32);
        assert_eq!(r.to_vec::<f32>().unwrap(), vec![1.0, 2.0, 3.0]);
        assert_eq!(tanh(&t32(&[0.0])).unwrap().to_vec::<f32>().unwrap(), vec![0.0]);
        assert_eq!(sigmoid(&t32(&[0.0])).unwrap().to_vec::<f32>().unwrap(), vec![0.5]);
    }

    #[test]
    fn rounding_is_half_to_even_and_sign_keeps_zero() {
        let x = t32(&[0.5, 1.5, 2.5, -0.5, -1.5]);
        assert_eq!(round(&x).unwrap().to_vec::<f32>().unwrap(), vec![0.0, 2.0, 2.0, -0.0, -2.0]);
        assert_eq!(sign(&t32(&[-3.0, 0.0, 2.0])).unwrap().to_vec::<f32>().unwrap(), vec![-1.0, 0.0, 1.0]);
        let err = abs(&Tensor::from_vec(vec![true], &[1]).unwrap()).unwrap_err();
        assert_eq!(err, Error::not_implemented("\"abs_cpu\" not implemented for 'Bool'"));
    }

    #[test]
    fn fused_backward_kernels_handle_broadcast_gradients() {
        // A stride-0 gradient (what sum's backward produces) against a contiguous saved result.
        let r = t32(&[0.5, -0.25, 0.0]);
        let g = crate::ops::expand(&Tensor::scalar(2.0, DType::F32), &[3]).unwrap();
        let out = float_zip!(&g, &r, T, |g, r| g * (1.0 - r * r)).unwrap();
        assert_eq!(out.to_vec::<f32>().unwrap(), vec![1.5, 1.875, 2.0]);
    }
}
