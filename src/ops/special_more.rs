//! The `torch.special` functions PyTorch computes with Cephes kernels: modified Bessel functions
//! (i0, i0e, i1, i1e), the regularized incomplete gamma functions (igamma/igammac), the
//! multivariate log-gamma, the normal distribution's ndtr/ndtri/log_ndtr, erfcx, entr, xlog1py,
//! the Hurwitz zeta, plus frexp and nextafter.
//!
//! Integer and bool inputs give the default float type, as in PyTorch; backward formulas are
//! PyTorch's `derivatives.yaml` written with recorded ops, so `create_graph=True` differentiates
//! them.

use super::backward::{backward_fn, input, number, output};
use super::binary::{add, div, mul, mul_scalar, sub};
use super::compare::{compare, keep_where, logical, where_, Cmp, Logic};
use super::record;
use super::shape::convert;
use super::unary::{abs, as_float, erf, exp, float_map, float_zip, log, map_kernel, neg, not_implemented, reciprocal, FloatMath};
use super::unary_more::{digamma, lgamma, sgn};
use crate::autograd::GradModeGuard;
use crate::cpu::{bessel, erfcx as erfcx_kernel, gamma, igamma as ig};
use crate::error::{Error, Result};
use crate::tensor::{DType, Element, Scalar, Tensor};

fn saved(s: &[Option<Tensor>], i: usize) -> &Tensor {
    s[i].as_ref().expect("saved tensor")
}

fn num(v: f64) -> Tensor {
    Tensor::wrapped_scalar(v, DType::F64)
}

/// A float function of one tensor (integers and bools give the default float type) whose
/// backward reads the saved input `self` and output `result`.
fn special_unary(
    t: &Tensor,
    name: &'static str,
    f32_f: fn(f32) -> f32,
    f64_f: fn(f64) -> f64,
    grad: fn(&Tensor, &Tensor, &Tensor) -> Result<Tensor>,
) -> Result<Tensor> {
    let x = as_float(t);
    let out = match x.dtype() {
        DType::F32 => map_kernel(&x, f32_f)?,
        _ => map_kernel(&convert(&x, DType::F64), f64_f)?,
    };
    record(&[t], &[&out], || {
        backward_fn(name, vec![input("self", t), output("result", &out, 0)], move |_, s, g| {
            Ok(vec![Some(grad(&g[0], saved(&s, 0), saved(&s, 1))?)])
        })
    })?;
    Ok(out)
}

/// `where(|x| > eps, x, eps)` and the mask: PyTorch's guard of the `1/x` in the I1 gradients.
fn safe_nonzero(x: &Tensor) -> Result<(Tensor, Tensor)> {
    let eps = if x.dtype() == DType::F32 { f32::EPSILON as f64 } else { f64::EPSILON };
    let not_tiny = compare(Cmp::Gt, &abs(x)?, &num(eps))?;
    Ok((where_(&not_tiny, x, &Tensor::scalar(eps, x.dtype()))?, not_tiny))
}

/// `I0(x)` (torch.i0 / special.i0).
pub fn i0(t: &Tensor) -> Result<Tensor> {
    // d i0(x) = grad * i1(x)
    special_unary(t, "I0Backward0", bessel::i0::<f32>, bessel::i0::<f64>, |g, x, _| mul(g, &special_i1(x)?))
}

/// `exp(-|x|) I0(x)`.
pub fn special_i0e(t: &Tensor) -> Result<Tensor> {
    // d i0e(x) = grad * (i1e(x) - sgn(x) * i0e(x))
    special_unary(t, "SpecialI0EBackward0", bessel::i0e::<f32>, bessel::i0e::<f64>, |g, x, r| {
        mul(g, &sub(&special_i1e(x)?, &mul(&sgn(x)?, r)?)?)
    })
}

/// `I1(x)`.
pub fn special_i1(t: &Tensor) -> Result<Tensor> {
    // d i1(x) = grad * (i0(x) - i1(x) / x), 1/2 at |x| <= eps
    special_unary(t, "SpecialI1Backward0", bessel::i1::<f32>, bessel::i1::<f64>, |g, x, r| {
        let (safe, not_tiny) = safe_nonzero(x)?;
        let gx = sub(&i0(&safe)?, &mul(r, &reciprocal(&safe)?)?)?;
        mul(g, &where_(&not_tiny, &gx, &Tensor::scalar(0.5, x.dtype()))?)
    })
}

/// `exp(-|x|) I1(x)`.
pub fn special_i1e(t: &Tensor) -> Result<Tensor> {
    // d i1e(x) = grad * (i0e(x) - i1e(x) * (sgn(x) + 1/x)), 1/2 at |x| <= eps
    special_unary(t, "SpecialI1EBackward0", bessel::i1e::<f32>, bessel::i1e::<f64>, |g, x, r| {
        let (safe, not_tiny) = safe_nonzero(x)?;
        let gx = sub(&special_i0e(&safe)?, &mul(r, &add(&sgn(&safe)?, &reciprocal(&safe)?)?)?)?;
        mul(g, &where_(&not_tiny, &gx, &Tensor::scalar(0.5, x.dtype()))?)
    })
}

/// The promoted float dtype of a binary float kernel, or PyTorch's refusal for integer operands
/// (`"igamma_cpu" not implemented for 'Long'`).
fn float_dtype_or_refuse(kernel: &str, a: &Tensor, b: &Tensor) -> Result<DType> {
    let dtype = DType::result_type(&[(a.dtype(), a.promotion_rank()), (b.dtype(), b.promotion_rank())]);
    if dtype.is_float() {
        Ok(dtype)
    } else {
        Err(not_implemented(kernel, dtype))
    }
}

/// The promoted dtype of a binary float function, the default float type for integer operands.
fn float_dtype_or_default(a: &Tensor, b: &Tensor) -> DType {
    let dtype = DType::result_type(&[(a.dtype(), a.promotion_rank()), (b.dtype(), b.promotion_rank())]);
    if dtype.is_float() {
        dtype
    } else {
        DType::default_float()
    }
}

/// `exp((a - 1) ln x - x - lgamma(a))`: the density `d P(a, x) / dx`, recorded.
fn igamma_density(a: &Tensor, x: &Tensor) -> Result<Tensor> {
    let a_minus_1 = super::binary::sub(a, &Scalar::Int(1).to_tensor())?;
    exp(&sub(&sub(&mul(&a_minus_1, &log(x)?)?, x)?, &lgamma(a)?)?)
}

fn incomplete_gamma(a: &Tensor, x: &Tensor, upper: bool) -> Result<Tensor> {
    let (kernel, name, label) =
        if upper { ("igammac_cpu", "IgammacBackward0", "igammac: input") } else { ("igamma_cpu", "IgammaBackward0", "igamma: input") };
    let dtype = float_dtype_or_refuse(kernel, a, x)?;
    let (ca, cx) = (convert(a, dtype), convert(x, dtype));
    let out = if upper { float_zip!(&ca, &cx, T, |p, q| ig::igammac(p, q))? } else { float_zip!(&ca, &cx, T, |p, q| ig::igamma(p, q))? };
    record(&[a, x], &[&out], || {
        // d P(a, x) / dx = exp((a - 1) ln x - x - lgamma(a)) = -d Q(a, x) / dx; PyTorch has no
        // derivative in a
        backward_fn(name, vec![input("self", a), input("other", x)], move |node, s, g| {
            if super::needs(node, 0) {
                return Err(Error::not_implemented(format!("the derivative for '{label}' is not implemented.")));
            }
            let d = mul(&g[0], &igamma_density(saved(&s, 0), saved(&s, 1))?)?;
            Ok(vec![None, Some(if upper { neg(&d)? } else { d })])
        })
    })?;
    Ok(out)
}

/// The regularized lower incomplete gamma function `P(self, other)` (special.gammainc).
pub fn igamma(a: &Tensor, x: &Tensor) -> Result<Tensor> {
    incomplete_gamma(a, x, false)
}

/// The regularized upper incomplete gamma function `Q(self, other)` (special.gammaincc).
pub fn igammac(a: &Tensor, x: &Tensor) -> Result<Tensor> {
    incomplete_gamma(a, x, true)
}

/// `sum_{j<p} lgamma(x - j/2) + p(p-1)/4 ln(pi)`, the multivariate log-gamma in PyTorch's order:
/// arguments `x - (p-1)/2, ..., x - 1/2, x`, summed left to right, then the constant.
fn mvlgamma_value<T: num_traits::Float + ig::Real>(x: T, p: i64, constant: f64) -> T {
    let half = T::from(0.5).expect("half");
    let start = T::from(-(p as f64) * 0.5 + 0.5).expect("start");
    let sum = (0..p).fold(T::zero(), |acc, i| acc + (x + (start + T::from(i as f64).expect("i") * half)).lgamma());
    sum + T::from(constant).expect("constant")
}

/// The multivariate log-gamma function of dimension `p` (mvlgamma, special.multigammaln).
pub fn mvlgamma(t: &Tensor, p: i64) -> Result<Tensor> {
    if t.dtype() == DType::Bool {
        return Err(Error::runtime("The input tensor may not be a boolean tensor."));
    }
    if p < 1 {
        return Err(Error::runtime("p has to be greater than or equal to 1"));
    }
    let constant = (p * (p - 1)) as f64 * std::f64::consts::PI.ln() / 4.0;
    let out = float_map!(&as_float(t), T, |x| mvlgamma_value(x, p, constant))?;
    record(&[t], &[&out], || {
        // d mvlgamma(x, p) = grad * sum_{j<p} digamma(x - j/2)
        backward_fn("MvlgammaBackward0", vec![input("self", t)], move |_, s, g| {
            let x = saved(&s, 0);
            let mut total = digamma(x)?;
            for j in 1..p {
                total = add(&total, &digamma(&super::binary::sub(x, &num(j as f64 * 0.5))?)?)?;
            }
            Ok(vec![Some(mul(&g[0], &total)?)])
        })
        .values(vec![("p", number(p as f64))])
    })?;
    Ok(out)
}

/// `(mantissa, exponent)` with `x = mantissa * 2^exponent`, `|mantissa|` in [0.5, 1); exponent
/// int32; zeros, infinities and NaN keep their value with exponent 0.
pub fn frexp(t: &Tensor) -> Result<(Tensor, Tensor)> {
    if !t.dtype().is_float() {
        return Err(Error::runtime("torch.frexp() only supports floating-point dtypes"));
    }
    let (mantissa, exponent) = match t.dtype() {
        DType::F32 => (map_kernel(t, |x: f32| frexp32(x).0)?, map_kernel(t, |x: f32| frexp32(x).1)?),
        _ => (map_kernel(t, |x: f64| frexp64(x).0)?, map_kernel(t, |x: f64| frexp64(x).1)?),
    };
    record(&[t], &[&mantissa], || {
        // d mantissa = grad / 2^exponent
        backward_fn("FrexpBackward0", vec![output("exponent", &exponent, 1)], |_, s, g| {
            Ok(vec![Some(div(&g[0], &super::special::exp2(saved(&s, 0))?)?)])
        })
    })?;
    Ok((mantissa, exponent))
}

fn frexp32(x: f32) -> (f32, i32) {
    if x == 0.0 || !x.is_finite() {
        (x, 0)
    } else {
        libm::frexpf(x)
    }
}

fn frexp64(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        (x, 0)
    } else {
        libm::frexp(x)
    }
}

/// The next representable value after `self` toward `other`.
pub fn nextafter(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dtype = float_dtype_or_refuse("nextafter_cpu", a, b)?;
    let (ca, cb) = (convert(a, dtype), convert(b, dtype));
    let out = match dtype {
        DType::F32 => super::unary::zip_kernel::<f32, f32>(&ca, &cb, libm::nextafterf)?,
        _ => super::unary::zip_kernel::<f64, f64>(&ca, &cb, libm::nextafter)?,
    };
    record(&[a, b], &[&out], || {
        // d nextafter = grad where self != other (0 where they are equal) for self, 0 for other
        backward_fn("NextafterBackward0", vec![input("self", a), input("other", b)], |node, s, g| {
            let ga = if super::needs(node, 0) { Some(keep_where(&compare(Cmp::Ne, saved(&s, 0), saved(&s, 1))?, &g[0])?) } else { None };
            let gb = if super::needs(node, 1) { Some(Tensor::zeros(&g[0].shape(), g[0].dtype())) } else { None };
            Ok(vec![ga, gb])
        })
    })?;
    Ok(out)
}

/// `t * c` recorded as ATen's C++ composites spell it (`mul.Scalar`, MulBackward1).
fn mul_scalar_node(t: &Tensor, c: f64) -> Result<Tensor> {
    let out = {
        let _no_grad = GradModeGuard::new(false);
        mul_scalar(t, c)?
    };
    record(&[t], &[&out], || {
        // d(t * c) = grad * c
        backward_fn("MulBackward1", vec![], move |_, _, g| Ok(vec![Some(mul_scalar(&g[0], c)?)])).values(vec![("other", number(c))])
    })?;
    Ok(out)
}

/// The standard normal CDF, PyTorch's composite `(1 + erf(x / sqrt 2)) * 0.5`.
pub fn special_ndtr(t: &Tensor) -> Result<Tensor> {
    let x = as_float(t);
    let e = erf(&mul_scalar_node(&x, std::f64::consts::FRAC_1_SQRT_2)?)?;
    mul_scalar_node(&super::add_scalar_node(&e, Scalar::Int(1))?, 0.5)
}

/// The inverse of the standard normal CDF.
pub fn special_ndtri(t: &Tensor) -> Result<Tensor> {
    // d ndtri(p) = grad * sqrt(2 pi) * exp(ndtri(p)^2 / 2)
    special_unary(t, "SpecialNdtriBackward0", erfcx_kernel::ndtri::<f32>, erfcx_kernel::ndtri::<f64>, |g, _, r| {
        mul(&mul_scalar(g, (2.0 * std::f64::consts::PI).sqrt())?, &exp(&mul_scalar(&mul(r, r)?, 0.5)?)?)
    })
}

/// `ln ndtr(x)`, accurate far into the lower tail.
pub fn special_log_ndtr(t: &Tensor) -> Result<Tensor> {
    // d log_ndtr(x) = grad / sqrt(2 pi) * exp(-(log_ndtr(x) + x^2 / 2))
    special_unary(t, "SpecialLogNdtrBackward0", erfcx_kernel::log_ndtr::<f32>, erfcx_kernel::log_ndtr::<f64>, |g, x, r| {
        let e = exp(&neg(&add(r, &mul_scalar(&mul(x, x)?, 0.5)?)?)?)?;
        mul(&mul_scalar(g, 1.0 / (2.0 * std::f64::consts::PI).sqrt())?, &e)
    })
}

/// The scaled complementary error function `exp(x^2) erfc(x)`.
pub fn special_erfcx(t: &Tensor) -> Result<Tensor> {
    // d erfcx(x) = grad * (2 x erfcx(x) - 2 / sqrt(pi))
    special_unary(t, "SpecialErfcxBackward0", erfcx_kernel::erfcx::<f32>, erfcx_kernel::erfcx::<f64>, |g, x, r| {
        let two_x_r = mul_scalar(&mul(x, r)?, 2.0)?;
        mul(&super::binary::sub(&two_x_r, &num(2.0 / std::f64::consts::PI.sqrt()))?, g)
    })
}

fn entr_value<T: num_traits::Float>(x: T) -> T {
    if x.is_nan() {
        x
    } else if x > T::zero() {
        -x * x.ln()
    } else if x == T::zero() {
        T::zero()
    } else {
        T::neg_infinity()
    }
}

/// The elementwise entropy `-x ln x` (0 at 0, -inf below).
pub fn special_entr(t: &Tensor) -> Result<Tensor> {
    // d entr(x) = grad * -(1 + ln x)
    special_unary(t, "SpecialEntrBackward0", entr_value::<f32>, entr_value::<f64>, |g, x, _| {
        mul(g, &neg(&add(&log(x)?, &Scalar::Int(1).to_tensor())?)?)
    })
}

fn xlog1py_value<T: num_traits::Float>(x: T, y: T) -> T {
    if y.is_nan() {
        y
    } else if x == T::zero() {
        T::zero()
    } else {
        x * y.ln_1p()
    }
}

/// `x * log1p(y)` with the value computed in the promoted float type (0 where `x == 0`).
fn xlog1py_forward(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dtype = float_dtype_or_default(a, b);
    float_zip!(&convert(a, dtype), &convert(b, dtype), T, |x, y| xlog1py_value(x, y))
}

/// `grad * log1p(y)`, 0 where `x == 0` and `y <= -1`: the derivative of xlog1py in `x`.
fn xlog1py_self_grad(g: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let gx = special_xlog1py(g, y)?;
    let zero_x = compare(Cmp::Eq, x, &num(0.0))?;
    let at_pole = logical(Logic::And, &zero_x, &compare(Cmp::Le, y, &num(-1.0))?)?;
    where_(&at_pole, &Tensor::scalar(0.0, gx.dtype()), &gx)
}

/// `x * log1p(y)` (0 where `x == 0` unless `y` is NaN).
pub fn special_xlog1py(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = xlog1py_forward(a, b)?;
    let (a_num, b_num) = (a.is_wrapped_number(), b.is_wrapped_number());
    let name = if a_num { "SpecialXlog1PyBackward1" } else if b_num { "SpecialXlog1PyBackward2" } else { "SpecialXlog1PyBackward0" };
    record(&[a, b], &[&out], || {
        // d xlog1py = grad * log1p(y) (0 at x = 0, y <= -1) for x, grad * x / (1 + y) for y
        backward_fn(name, vec![input("self", a), input("other", b)], move |node, s, g| {
            let (x, y) = (saved(&s, 0), saved(&s, 1));
            let gx = if super::needs(node, 0) { Some(xlog1py_self_grad(&g[0], x, y)?) } else { None };
            let gy = if super::needs(node, 1) { Some(div(&mul(&g[0], x)?, &add(y, &Scalar::Int(1).to_tensor())?)?) } else { None };
            Ok(vec![gx, gy])
        })
    })?;
    Ok(out)
}

/// The Hurwitz zeta function `zeta(self, other) = sum_k (k + other)^-self`.
pub fn special_zeta(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dtype = float_dtype_or_default(a, b);
    let out = float_zip!(&convert(a, dtype), &convert(b, dtype), T, |x, q| T::c(gamma::zeta(Element::to_f64(x), Element::to_f64(q))))?;
    let name = if a.is_wrapped_number() {
        "SpecialZetaBackward1"
    } else if b.is_wrapped_number() {
        "SpecialZetaBackward2"
    } else {
        "SpecialZetaBackward0"
    };
    record(&[a, b], &[&out], || {
        // d zeta(x, q) / dq = -x zeta(x + 1, q); PyTorch has no derivative in x
        backward_fn(name, vec![input("self", a), input("other", b)], |node, s, g| {
            if super::needs(node, 0) {
                return Err(Error::not_implemented("the derivative for 'zeta' is not implemented."));
            }
            let (x, q) = (saved(&s, 0), saved(&s, 1));
            let shifted = special_zeta(&add(x, &Scalar::Int(1).to_tensor())?, q)?;
            Ok(vec![None, Some(mul(&mul(&g[0], &neg(x)?)?, &shifted)?)])
        })
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f64]) -> Tensor {
        Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap()
    }

    #[test]
    fn dtype_rules_follow_pytorch() {
        let ints = Tensor::from_vec(vec![1i64, 2], &[2]).unwrap();
        assert_eq!(i0(&ints).unwrap().dtype(), DType::F32);
        assert_eq!(igamma(&ints, &ints).unwrap_err().message(), "\"igamma_cpu\" not implemented for 'Long'");
        assert_eq!(special_zeta(&ints, &ints).unwrap().dtype(), DType::F32);
        assert_eq!(frexp(&ints).unwrap_err().message(), "torch.frexp() only supports floating-point dtypes");
        assert_eq!(mvlgamma(&t(&[1.0]), 0).unwrap_err().message(), "p has to be greater than or equal to 1");
    }

    #[test]
    fn values_at_known_points() {
        let (m, e) = frexp(&t(&[8.0, -3.0, 0.0])).unwrap();
        assert_eq!(m.to_f64_vec(), vec![0.5, -0.75, 0.0]);
        assert_eq!(e.dtype(), DType::I32);
        assert_eq!(e.to_f64_vec(), vec![4.0, 2.0, 0.0]);
        // mvlgamma(x, 1) = lgamma(x); mvlgamma(x, 2) = lgamma(x) + lgamma(x - 1/2) + ln(pi)/2
        let x = 3.7;
        let m2 = mvlgamma(&t(&[x]), 2).unwrap().to_f64_vec()[0];
        assert!((m2 - (libm::lgamma(x) + libm::lgamma(x - 0.5) + std::f64::consts::PI.ln() / 2.0)).abs() < 1e-14);
        let e = special_entr(&t(&[0.0, 1.0, -1.0])).unwrap().to_f64_vec();
        assert_eq!(e, vec![0.0, -0.0, f64::NEG_INFINITY]);
        let n = special_ndtr(&t(&[0.0])).unwrap().to_f64_vec();
        assert_eq!(n, vec![0.5]);
        assert_eq!(nextafter(&t(&[1.0]), &t(&[2.0])).unwrap().to_f64_vec(), vec![1.0 + f64::EPSILON]);
    }
}
