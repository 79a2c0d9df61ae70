//! More elementwise math: inverse trigonometric and hyperbolic functions, log2/log10, the gamma
//! family (lgamma, digamma, polygamma), degree conversion, trunc/frac/sgn/signbit, and the binary
//! hypot, logaddexp(2), copysign, fmax/fmin, ldexp, heaviside and gcd/lcm.
//!
//! Integer and bool inputs of float functions give the default float type, as in PyTorch; backward
//! formulas are written with recorded ops, so `create_graph=True` differentiates them.

use super::backward::{backward_fn, input, output};
use super::binary::{add, div, mul, mul_scalar, rsub_scalar, sub};
use super::compare::{compare, keep_where, logical, Cmp, Logic};
use super::record;
use super::shape::convert;
use super::special::{classify, exp2, FloatClass};
use super::unary::{as_float, exp, float_map, float_zip, map_kernel, not_implemented, rsqrt, sign, FloatMath};
use crate::autograd::SavedTensor;
use crate::cpu::gamma;
use crate::error::{Error, Result};
use crate::tensor::{DType, Element, Scalar, Tensor};
use crate::with_dtype;

fn saved(s: &[Option<Tensor>], i: usize) -> &Tensor {
    s[i].as_ref().expect("saved tensor")
}

fn one() -> Tensor {
    Scalar::Int(1).to_tensor()
}

/// A float function of one tensor named `name`, whose backward reads the saved input
/// (`save_result` false) or output.
fn float_unary(
    t: &Tensor,
    name: &'static str,
    save_result: bool,
    f32_f: fn(f32) -> f32,
    f64_f: fn(f64) -> f64,
    grad: fn(&Tensor, &Tensor) -> Result<Tensor>,
) -> Result<Tensor> {
    let x = as_float(t);
    let out = match x.dtype() {
        DType::F32 => map_kernel(&x, f32_f)?,
        _ => map_kernel(&convert(&x, DType::F64), f64_f)?,
    };
    record(&[t], &[&out], || {
        let s = if save_result { SavedTensor::output(&out, 0).named("result") } else { SavedTensor::input(t).named("self") };
        backward_fn(name, vec![Some(s)], move |_, s, g| Ok(vec![Some(grad(&g[0], saved(&s, 0))?)]))
    })?;
    Ok(out)
}

/// `1 - x^2`, recorded.
fn one_minus_square(x: &Tensor) -> Result<Tensor> {
    rsub_scalar(&mul(x, x)?, Scalar::Int(1))
}

/// `arcsin(t)`.
pub fn asin(t: &Tensor) -> Result<Tensor> {
    // d asin(x) = grad / sqrt(1 - x^2)
    float_unary(t, "AsinBackward0", false, f32::asin, f64::asin, |g, x| mul(g, &rsqrt(&one_minus_square(x)?)?))
}

/// `arccos(t)`.
pub fn acos(t: &Tensor) -> Result<Tensor> {
    // d acos(x) = -grad / sqrt(1 - x^2)
    float_unary(t, "AcosBackward0", false, f32::acos, f64::acos, |g, x| mul(g, &mul_scalar(&rsqrt(&one_minus_square(x)?)?, -1.0)?))
}

/// `arsinh(t)`.
pub fn asinh(t: &Tensor) -> Result<Tensor> {
    // d asinh(x) = grad / sqrt(x^2 + 1)
    float_unary(t, "AsinhBackward0", false, f32::asinh, f64::asinh, |g, x| mul(g, &rsqrt(&add(&mul(x, x)?, &one())?)?))
}

/// `arcosh(t)`.
pub fn acosh(t: &Tensor) -> Result<Tensor> {
    // d acosh(x) = grad / sqrt(x^2 - 1)
    float_unary(t, "AcoshBackward0", false, f32::acosh, f64::acosh, |g, x| mul(g, &rsqrt(&sub(&mul(x, x)?, &one())?)?))
}

/// `artanh(t)`.
pub fn atanh(t: &Tensor) -> Result<Tensor> {
    // d atanh(x) = grad / (1 - x^2)
    float_unary(t, "AtanhBackward0", false, f32::atanh, f64::atanh, |g, x| div(g, &one_minus_square(x)?))
}

/// `sinh(t)`.
pub fn sinh(t: &Tensor) -> Result<Tensor> {
    // d sinh(x) = grad * cosh(x)
    float_unary(t, "SinhBackward0", false, f32::sinh, f64::sinh, |g, x| mul(g, &cosh(x)?))
}

/// `cosh(t)`.
pub fn cosh(t: &Tensor) -> Result<Tensor> {
    // d cosh(x) = grad * sinh(x)
    float_unary(t, "CoshBackward0", false, f32::cosh, f64::cosh, |g, x| mul(g, &sinh(x)?))
}

/// `log2(t)`.
pub fn log2(t: &Tensor) -> Result<Tensor> {
    // d log2(x) = grad / (x ln 2)
    float_unary(t, "Log2Backward0", false, f32::log2, f64::log2, |g, x| div(g, &mul_scalar(x, std::f64::consts::LN_2)?))
}

/// `log10(t)`.
pub fn log10(t: &Tensor) -> Result<Tensor> {
    // d log10(x) = grad / (x ln 10)
    float_unary(t, "Log10Backward0", false, f32::log10, f64::log10, |g, x| div(g, &mul_scalar(x, std::f64::consts::LN_10)?))
}

/// `t` degrees in radians.
pub fn deg2rad(t: &Tensor) -> Result<Tensor> {
    const R: f64 = std::f64::consts::PI / 180.0;
    // d deg2rad(x) = grad * pi/180
    float_unary(t, "Deg2RadBackward0", false, |x| x * R as f32, |x| x * R, |g, _| mul_scalar(g, R))
}

/// `t` radians in degrees.
pub fn rad2deg(t: &Tensor) -> Result<Tensor> {
    const D: f64 = 180.0 / std::f64::consts::PI;
    // d rad2deg(x) = grad * 180/pi
    float_unary(t, "Rad2DegBackward0", false, |x| x * D as f32, |x| x * D, |g, _| mul_scalar(g, D))
}

/// `ln |Gamma(t)|`.
pub fn lgamma(t: &Tensor) -> Result<Tensor> {
    // d lgamma(x) = grad * digamma(x)
    float_unary(t, "LgammaBackward0", false, libm::lgammaf, libm::lgamma, |g, x| mul(g, &digamma(x)?))
}

/// `digamma(t)`: the derivative of `lgamma`.
pub fn digamma(t: &Tensor) -> Result<Tensor> {
    // d digamma(x) = grad * polygamma(1, x)
    float_unary(t, "DigammaBackward0", false, |x| gamma::digamma(x as f64) as f32, gamma::digamma, |g, x| mul(g, &polygamma(1, x)?))
}

/// `polygamma(n, t)`: the `n`-th derivative of `digamma`.
pub fn polygamma(n: i64, t: &Tensor) -> Result<Tensor> {
    if n < 0 {
        return Err(Error::runtime("polygamma(n, x) does not support negative n."));
    }
    let order = n as u32;
    let out = float_map!(&as_float(t), T, |x| T::c(gamma::polygamma(order, Element::to_f64(x))))?;
    record(&[t], &[&out], || {
        // d polygamma(n, x) = grad * polygamma(n + 1, x)
        backward_fn("PolygammaBackward0", vec![input("self", t)], move |_, s, g| Ok(vec![Some(mul(&g[0], &polygamma(n + 1, saved(&s, 0))?)?)]))
    })?;
    Ok(out)
}

/// Rounds toward zero (integers are copied; bool is refused as PyTorch's `trunc_vml_cpu`).
pub fn trunc(t: &Tensor) -> Result<Tensor> {
    let out = match t.dtype() {
        DType::Bool => return Err(not_implemented("trunc_vml_cpu", DType::Bool)),
        d if d.is_float() => float_map!(t, T, |x| x.trunc())?,
        _ => Tensor::from_buffer(t.contiguous_buffer(), &t.shape())?,
    };
    record(&[t], &[&out], || {
        // d trunc(x) = 0 (piecewise constant)
        backward_fn("TruncBackward0", vec![], |_, _, g| Ok(vec![Some(Tensor::zeros(&g[0].shape(), g[0].dtype()))]))
    })?;
    Ok(out)
}

/// `t - trunc(t)` (float only, as PyTorch's `frac_cpu`).
pub fn frac(t: &Tensor) -> Result<Tensor> {
    if !t.dtype().is_float() {
        return Err(not_implemented("frac_cpu", t.dtype()));
    }
    let out = float_map!(t, T, |x| x - x.trunc())?;
    record(&[t], &[&out], || {
        // d frac(x) = grad
        backward_fn("FracBackward0", vec![], |_, _, g| Ok(vec![Some(g[0].clone())]))
    })?;
    Ok(out)
}

/// `sgn(t)`: `sign` for real tensors, recorded as SgnBackward0 (its gradient is zero).
pub fn sgn(t: &Tensor) -> Result<Tensor> {
    if !t.dtype().is_float() {
        // Integer and bool tensors never require grad: `sign` records nothing for them.
        return sign(t);
    }
    let out = float_map!(t, T, |x| {
        let zero = T::c(0.0);
        T::c(if zero < x { 1.0 } else { 0.0 }) - T::c(if x < zero { 1.0 } else { 0.0 })
    })?;
    record(&[t], &[&out], || {
        // d sgn(x) = 0 for real x
        backward_fn("SgnBackward0", vec![], |_, _, g| Ok(vec![Some(Tensor::zeros(&g[0].shape(), g[0].dtype()))]))
    })?;
    Ok(out)
}

/// True where the sign bit is set (`-0.0` included), as bool; never differentiable.
pub fn signbit(t: &Tensor) -> Result<Tensor> {
    match t.dtype() {
        DType::F32 => map_kernel(t, |x: f32| x.is_sign_negative()),
        DType::F64 => map_kernel(t, |x: f64| x.is_sign_negative()),
        d => with_dtype!(d, T => map_kernel(t, |x: T| Element::to_f64(x) < 0.0)),
    }
}

/// The promoted float dtype of a binary float function, or PyTorch's refusal for integer
/// operands (`"hypot_cpu" not implemented for 'Long'`).
fn binary_float_dtype(kernel: &str, a: &Tensor, b: &Tensor) -> Result<DType> {
    let dtype = DType::result_type(&[(a.dtype(), a.promotion_rank()), (b.dtype(), b.promotion_rank())]);
    if dtype.is_float() {
        Ok(dtype)
    } else {
        Err(not_implemented(kernel, dtype))
    }
}

/// A binary float function whose backward reads both inputs and the result.
fn float_binary(
    a: &Tensor,
    b: &Tensor,
    kernel: &str,
    name: &'static str,
    forward: fn(&Tensor, &Tensor) -> Result<Tensor>,
    grads: fn(&Tensor, &Tensor, &Tensor, &Tensor) -> Result<(Tensor, Tensor)>,
) -> Result<Tensor> {
    let dtype = binary_float_dtype(kernel, a, b)?;
    let out = forward(&convert(a, dtype), &convert(b, dtype))?;
    record(&[a, b], &[&out], || {
        backward_fn(name, vec![input("self", a), input("other", b), output("result", &out, 0)], move |_, s, g| {
            let (ga, gb) = grads(&g[0], saved(&s, 0), saved(&s, 1), saved(&s, 2))?;
            Ok(vec![Some(ga), Some(gb)])
        })
    })?;
    Ok(out)
}

/// `sqrt(a^2 + b^2)` without overflow.
pub fn hypot(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    // d hypot = grad * a / r, grad * b / r
    float_binary(a, b, "hypot_cpu", "HypotBackward0", |a, b| float_zip!(a, b, T, |x, y| x.hypot(y)), |g, a, b, r| {
        Ok((mul(g, &div(a, r)?)?, mul(g, &div(b, r)?)?))
    })
}

/// `log(exp(a) + exp(b))` without overflow.
pub fn logaddexp(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    // d logaddexp = grad / (1 + exp(b - a)), grad / (1 + exp(a - b))
    float_binary(
        a,
        b,
        "logaddexp_cpu",
        "LogaddexpBackward0",
        |a, b| {
            float_zip!(a, b, T, |x, y| {
                if x.is_infinite() && x == y {
                    x
                } else {
                    let m = x.max(y);
                    m + (-(x - y).abs()).exp().ln_1p()
                }
            })
        },
        |g, a, b, _| Ok((div(g, &add(&exp(&sub(b, a)?)?, &one())?)?, div(g, &add(&exp(&sub(a, b)?)?, &one())?)?)),
    )
}

/// `log2(2^a + 2^b)` without overflow.
pub fn logaddexp2(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    // d logaddexp2 = grad / (1 + 2^(b - a)), grad / (1 + 2^(a - b))
    float_binary(
        a,
        b,
        "logaddexp2_cpu",
        "Logaddexp2Backward0",
        |a, b| {
            float_zip!(a, b, T, |x, y| {
                if x.is_infinite() && x == y {
                    x
                } else {
                    let m = x.max(y);
                    m + (-(x - y).abs()).exp2().ln_1p() * T::c(std::f64::consts::LOG2_E)
                }
            })
        },
        |g, a, b, _| Ok((div(g, &add(&exp2(&sub(b, a)?)?, &one())?)?, div(g, &add(&exp2(&sub(a, b)?)?, &one())?)?)),
    )
}

/// `grad * result / self`, 0 where `self == 0`: the derivative of `copysign` in `self`.
fn copysign_self_grad(g: &Tensor, x: &Tensor, r: &Tensor) -> Result<Tensor> {
    let nonzero = compare(Cmp::Ne, x, &Tensor::wrapped_scalar(0.0, DType::F64))?;
    mul(g, &keep_where(&nonzero, &div(r, x)?)?)
}

/// `|a|` with the sign of `b` (integers promote to the default float type).
pub fn copysign(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let mut dtype = DType::result_type(&[(a.dtype(), a.promotion_rank()), (b.dtype(), b.promotion_rank())]);
    if !dtype.is_float() {
        dtype = DType::default_float();
    }
    let out = float_zip!(&convert(a, dtype), &convert(b, dtype), T, |x, y| x.abs().copysign(y))?;
    record(&[a, b], &[&out], || {
        // d copysign = grad * result / self (0 at self = 0); 0 for other
        backward_fn("CopysignBackward0", vec![input("self", a), output("result", &out, 0)], |node, s, g| {
            let ga = if super::needs(node, 0) { Some(copysign_self_grad(&g[0], saved(&s, 0), saved(&s, 1))?) } else { None };
            let gb = if super::needs(node, 1) { Some(Tensor::zeros(&g[0].shape(), g[0].dtype())) } else { None };
            Ok(vec![ga, gb])
        })
    })?;
    Ok(out)
}

/// `copysign(a, number)` (CopysignBackward1).
pub fn copysign_scalar(a: &Tensor, b: Scalar) -> Result<Tensor> {
    let other = Tensor::wrapped_scalar(b.to_f64(), DType::F64);
    let dtype = if a.dtype().is_float() { a.dtype() } else { DType::default_float() };
    let out = float_zip!(&convert(a, dtype), &other, T, |x, y| x.abs().copysign(y))?;
    record(&[a], &[&out], || {
        // d copysign(x, c) = grad * result / self (0 at self = 0)
        backward_fn("CopysignBackward1", vec![input("self", a), output("result", &out, 0)], |_, s, g| {
            Ok(vec![Some(copysign_self_grad(&g[0], saved(&s, 0), saved(&s, 1))?)])
        })
    })?;
    Ok(out)
}

/// Elementwise maximum (`max`) or minimum that ignores NaN: NaN only where both are NaN.
fn nan_ignoring(a: &Tensor, b: &Tensor, max: bool) -> Result<Tensor> {
    let dtype = DType::result_type(&[(a.dtype(), a.promotion_rank()), (b.dtype(), b.promotion_rank())]);
    let (a, b) = (convert(a, dtype), convert(b, dtype));
    if dtype.is_float() {
        // Float::max/min return the other operand when one is NaN, which is fmax/fmin.
        return if max { float_zip!(&a, &b, T, |x, y| x.max(y)) } else { float_zip!(&a, &b, T, |x, y| x.min(y)) };
    }
    with_dtype!(dtype, T => super::unary::zip_kernel::<T, T>(&a, &b, move |x: T, y: T| if (x >= y) == max { x } else { y }))
}

/// Records fmax/fmin: the gradient goes to `self` where it won (`self >= other` for fmax, or
/// `other` is NaN) and to `other` elsewhere.
fn record_nan_ignoring(a: &Tensor, b: &Tensor, out: &Tensor, max: bool) -> Result<()> {
    let name = if max { "FmaxBackward0" } else { "FminBackward0" };
    record(&[a, b], &[out], || {
        // d fmax = grad where (a >= b or b is NaN) for a, elsewhere for b (<= for fmin)
        backward_fn(name, vec![input("self", a), input("other", b)], move |_, s, g| {
            let (x, y) = (saved(&s, 0), saved(&s, 1));
            let won = compare(if max { Cmp::Ge } else { Cmp::Le }, x, y)?;
            let self_wins = logical(Logic::Or, &won, &classify(y, FloatClass::Nan)?)?;
            let other_wins = super::compare::logical_not(&self_wins)?;
            Ok(vec![Some(keep_where(&self_wins, &g[0])?), Some(keep_where(&other_wins, &g[0])?)])
        })
    })
}

/// Elementwise maximum ignoring NaN.
pub fn fmax(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = nan_ignoring(a, b, true)?;
    record_nan_ignoring(a, b, &out, true)?;
    Ok(out)
}

/// Elementwise minimum ignoring NaN.
pub fn fmin(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = nan_ignoring(a, b, false)?;
    record_nan_ignoring(a, b, &out, false)?;
    Ok(out)
}

/// `a * 2^b` (LdexpBackward0 saves `other` and the result); integers give the default float type.
pub fn ldexp(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let mut dtype = DType::result_type(&[(a.dtype(), a.promotion_rank()), (b.dtype(), b.promotion_rank())]);
    if !dtype.is_float() {
        dtype = DType::default_float();
    }
    let out = float_zip!(&convert(a, dtype), &convert(b, dtype), T, |x, y| x * y.exp2())?;
    record(&[a, b], &[&out], || {
        // d ldexp = grad * 2^other for self, grad * result * ln 2 for other
        backward_fn("LdexpBackward0", vec![input("other", b), output("result", &out, 0)], |node, s, g| {
            let (other, result) = (saved(&s, 0), saved(&s, 1));
            let ga = if super::needs(node, 0) { Some(mul(&g[0], &exp2(other)?)?) } else { None };
            let gb = if super::needs(node, 1) { Some(mul(&mul_scalar(&g[0], std::f64::consts::LN_2)?, result)?) } else { None };
            Ok(vec![ga, gb])
        })
    })?;
    Ok(out)
}

/// The Heaviside step: 0 below zero, `values` at zero, 1 above (NaN gives 0, as PyTorch's
/// `a == 0 ? b : a > 0`). Both tensors must share a dtype; not differentiable (its node raises).
pub fn heaviside(t: &Tensor, values: &Tensor) -> Result<Tensor> {
    if t.dtype() != values.dtype() {
        return Err(Error::runtime("heaviside is not yet implemented for tensors with different dtypes."));
    }
    let out = with_dtype!(t.dtype(), T => super::unary::zip_kernel::<T, T>(t, values, |x: T, v: T| {
        let x64 = Element::to_f64(x);
        if x64 == 0.0 {
            v
        } else {
            T::from_f64(if x64 > 0.0 { 1.0 } else { 0.0 })
        }
    }))?;
    super::division::not_differentiable(&[t, values], &out, "aten::heaviside")?;
    Ok(out)
}

/// `gcd(a, b)` of integers, non-negative (`gcd(0, 0) = 0`).
fn gcd_i64(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.wrapping_abs(), b.wrapping_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `gcd` (`lcm` when `lcm`) of two integer tensors, in their promoted dtype.
fn gcd_lcm(a: &Tensor, b: &Tensor, lcm: bool) -> Result<Tensor> {
    let dtype = DType::result_type(&[(a.dtype(), a.promotion_rank()), (b.dtype(), b.promotion_rank())]);
    if !dtype.is_integral() || dtype == DType::Bool {
        return Err(not_implemented(if lcm { "lcm_cpu" } else { "gcd_cpu" }, dtype));
    }
    let (a, b) = (convert(a, dtype), convert(b, dtype));
    with_dtype!(dtype, T => super::unary::zip_kernel::<T, T>(&a, &b, move |x: T, y: T| {
        let (x, y) = (Element::to_i64(x), Element::to_i64(y));
        let g = gcd_i64(x, y);
        // PyTorch's calc_lcm: abs(a / g * b), 0 when g is 0
        T::from_i64(if !lcm { g } else if g == 0 { 0 } else { (x / g).wrapping_mul(y).wrapping_abs() })
    }))
}

/// Greatest common divisor of integer tensors (not differentiable: integers never require grad).
pub fn gcd(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    gcd_lcm(a, b, false)
}

/// Least common multiple of integer tensors.
pub fn lcm(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    gcd_lcm(a, b, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f64]) -> Tensor {
        Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap()
    }

    fn values(x: &Tensor) -> Vec<f64> {
        x.to_f64_vec()
    }

    #[test]
    fn inverse_and_hyperbolic_functions_invert_each_other() {
        let x = t(&[-0.9, -0.3, 0.0, 0.4, 0.8]);
        for (f, g) in [(asin as fn(&Tensor) -> Result<Tensor>, super::super::sin as fn(&Tensor) -> Result<Tensor>), (atanh, super::super::tanh), (asinh, sinh)] {
            let back = values(&g(&f(&x).unwrap()).unwrap());
            for (a, b) in back.iter().zip(values(&x)) {
                assert!((a - b).abs() < 1e-12);
            }
        }
        let big = t(&[1.0, 1.5, 7.0]);
        let back = values(&cosh(&acosh(&big).unwrap()).unwrap());
        assert!(back.iter().zip(values(&big)).all(|(a, b)| (a - b).abs() < 1e-12));
    }

    #[test]
    fn trunc_frac_sgn_signbit_follow_the_sign_rules() {
        let x = t(&[-2.5, -0.0, 0.0, 1.75, f64::NAN]);
        let tr = values(&trunc(&x).unwrap());
        assert_eq!(&tr[..4], &[-2.0, 0.0, 0.0, 1.0]);
        assert_eq!(values(&frac(&x).unwrap())[3], 0.75);
        let s = values(&sgn(&x).unwrap());
        assert_eq!(&s[..4], &[-1.0, 0.0, 0.0, 1.0]);
        assert_eq!(values(&signbit(&x).unwrap())[..3], [1.0, 1.0, 0.0]);
        let ints = Tensor::from_vec(vec![3i64, -2], &[2]).unwrap();
        assert_eq!(trunc(&ints).unwrap().dtype(), DType::I64);
        assert_eq!(frac(&ints).unwrap_err().message(), "\"frac_cpu\" not implemented for 'Long'");
    }

    #[test]
    fn binary_functions_handle_infinities_and_nan_as_pytorch() {
        let inf = f64::INFINITY;
        let a = t(&[3.0, -inf, 1000.0, f64::NAN, 1.0]);
        let b = t(&[4.0, -inf, 1000.0, 2.0, f64::NAN]);
        assert_eq!(values(&hypot(&a, &b).unwrap())[0], 5.0);
        let l = values(&logaddexp(&a, &b).unwrap());
        assert_eq!(l[1], -inf);
        assert!((l[2] - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(values(&logaddexp2(&t(&[3.0]), &t(&[3.0])).unwrap()), vec![4.0]);
        let m = values(&fmax(&a, &b).unwrap());
        assert_eq!((m[3], m[4]), (2.0, 1.0));
        assert_eq!(values(&copysign(&t(&[2.0, -3.0]), &t(&[-0.0, 1.0])).unwrap()), vec![-2.0, 3.0]);
        let ints = Tensor::from_vec(vec![3i64], &[1]).unwrap();
        assert_eq!(hypot(&ints, &ints).unwrap_err().message(), "\"hypot_cpu\" not implemented for 'Long'");
        assert_eq!(copysign(&ints, &ints).unwrap().dtype(), DType::F32);
    }

    #[test]
    fn ldexp_heaviside_gcd_lcm_follow_pytorch() {
        assert_eq!(values(&ldexp(&t(&[1.5, -2.0]), &t(&[2.0, 3.0])).unwrap()), vec![6.0, -16.0]);
        assert_eq!(values(&heaviside(&t(&[-1.0, 0.0, 2.0, f64::NAN]), &t(&[0.5])).unwrap()), vec![0.0, 0.5, 1.0, 0.0]);
        let ints = |v: &[i64]| Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap();
        assert_eq!(gcd(&ints(&[12, -18, 0]), &ints(&[8, 12, 0])).unwrap().to_f64_vec(), vec![4.0, 6.0, 0.0]);
        assert_eq!(lcm(&ints(&[4, -6, 0]), &ints(&[6, 4, 3])).unwrap().to_f64_vec(), vec![12.0, 12.0, 0.0]);
        assert_eq!(gcd(&t(&[1.0]), &t(&[2.0])).unwrap_err().message(), "\"gcd_cpu\" not implemented for 'Double'");
        assert!(heaviside(&t(&[1.0]), &ints(&[1])).is_err());
    }
}
