//! Special functions and float classification: isnan/isinf/isfinite/isposinf/isneginf,
//! nan_to_num, logit, erfinv, erfc, exp2, sinc, xlogy (PyTorch's `torch.special` family).
//!
//! Forward passes are kernels over f32/f64 (integer and bool inputs of float functions give the
//! default float type, as in PyTorch); backward formulas are written with recorded ops, so
//! `create_graph=True` differentiates them.

use num_traits::Float;

use super::backward::{backward_fn, input, output, vals};
use super::binary::{div, mul, mul_scalar, rsub_scalar};
use super::compare::{compare, keep_where, logical, where_, Cmp, Logic};
use super::record;
use super::shape::convert;
use super::unary::{as_float, cos, exp, float_map, float_zip, map_kernel, neg, sin, FloatMath};
use crate::autograd::SavedValue;
use crate::error::Result;
use crate::tensor::{DType, Element, Scalar, Tensor};
use crate::with_dtype;

fn saved(s: &[Option<Tensor>], i: usize) -> &Tensor {
    s[i].as_ref().expect("saved tensor")
}

fn num(v: f64) -> Tensor {
    Tensor::wrapped_scalar(v, DType::F64)
}

/// Which float class `classify` tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatClass {
    /// NaN.
    Nan,
    /// +inf or -inf.
    Inf,
    /// Neither NaN nor infinite.
    Finite,
    /// +inf.
    PosInf,
    /// -inf.
    NegInf,
}

/// `isnan`/`isinf`/`isfinite`/`isposinf`/`isneginf`: a bool tensor, never recorded (integers and
/// bools are finite).
pub fn classify(t: &Tensor, class: FloatClass) -> Result<Tensor> {
    let test = move |v: f64| match class {
        FloatClass::Nan => v.is_nan(),
        FloatClass::Inf => v.is_infinite(),
        FloatClass::Finite => v.is_finite(),
        FloatClass::PosInf => v == f64::INFINITY,
        FloatClass::NegInf => v == f64::NEG_INFINITY,
    };
    match t.dtype() {
        DType::F32 => map_kernel(t, move |x: f32| test(x as f64)),
        DType::F64 => map_kernel(t, test),
        d => with_dtype!(d, T => map_kernel(t, move |_x: T| class == FloatClass::Finite)),
    }
}

/// `nan_to_num(t, nan, posinf, neginf)`: NaN -> `nan`, +inf -> `posinf` (default the dtype's
/// largest finite value), -inf -> `neginf` (default the lowest); other dtypes are copied.
pub fn nan_to_num(t: &Tensor, nan: f64, posinf: Option<f64>, neginf: Option<f64>) -> Result<Tensor> {
    let out = if t.dtype().is_float() {
        float_map!(t, T, |x| {
            if x.is_nan() {
                T::c(nan)
            } else if x == T::infinity() {
                posinf.map_or(T::max_value(), T::c)
            } else if x == T::neg_infinity() {
                neginf.map_or(T::min_value(), T::c)
            } else {
                x
            }
        })?
    } else {
        Tensor::from_buffer(t.contiguous_buffer(), &t.shape())?
    };
    record(&[t], &[&out], || {
        // d nan_to_num = grad * isfinite(x)
        backward_fn("NanToNumBackward0", vec![input("self", t)], |_, s, g| {
            Ok(vec![Some(keep_where(&classify(saved(&s, 0), FloatClass::Finite)?, &g[0])?)])
        })
    })?;
    Ok(out)
}

/// `logit(t, eps)`: `log(z/(1-z))` with `z = clamp(t, eps, 1-eps)` when `eps` is given.
pub fn logit(t: &Tensor, eps: Option<f64>) -> Result<Tensor> {
    let x = as_float(t);
    let out = float_map!(&x, T, |x| {
        let z = match eps {
            Some(e) => {
                let (lo, hi) = (T::c(e), T::c(1.0) - T::c(e));
                if x < lo {
                    lo
                } else if x > hi {
                    hi
                } else {
                    x
                }
            }
            None => x,
        };
        (z / (T::c(1.0) - z)).ln()
    })?;
    record(&[t], &[&out], || {
        // d logit = grad/(x(1-x)) inside [eps, 1-eps] (0 outside; NaN outside [0, 1] without eps)
        backward_fn("LogitBackward0", vec![input("self", t)], move |_, s, g| {
            let x = saved(&s, 0);
            let inner = div(&g[0], &mul(x, &rsub_scalar(x, Scalar::Int(1))?)?)?;
            let (lo, hi, fill) = match eps {
                Some(e) => (e, 1.0 - e, 0.0),
                None => (0.0, 1.0, f64::NAN),
            };
            let outside = logical(Logic::Or, &compare(Cmp::Lt, x, &num(lo))?, &compare(Cmp::Gt, x, &num(hi))?)?;
            let fill = Tensor::scalar(fill, inner.dtype());
            Ok(vec![Some(where_(&outside, &fill, &inner)?)])
        })
        .values(vec![("eps", eps.map_or(SavedValue::None, SavedValue::Float))])
    })?;
    Ok(out)
}

/// The inverse error function of one value: a rational first guess refined by Newton steps on
/// `erf(x) - y` (exact to a few ULP in f64); `erfinv(+-1) = +-inf`, NaN outside [-1, 1].
pub(crate) fn erfinv_f64(y: f64) -> f64 {
    if y.is_nan() || !(-1.0..=1.0).contains(&y) {
        return f64::NAN;
    }
    if y == 1.0 {
        return f64::INFINITY;
    }
    if y == -1.0 {
        return f64::NEG_INFINITY;
    }
    // Giles' approximation (single precision) as the starting point.
    let w = -((1.0 - y) * (1.0 + y)).ln();
    let mut x = if w < 5.0 {
        let w = w - 2.5;
        let mut p = 2.810_226_36e-08;
        for c in [3.432_739_39e-07, -3.523_387_7e-06, -4.391_506_54e-06, 0.000_218_580_87, -0.001_253_725_03, -0.004_177_681_64, 0.246_640_727, 1.501_409_41] {
            p = c + p * w;
        }
        p * y
    } else {
        let w = w.sqrt() - 3.0;
        let mut p = -0.000_200_214_257;
        for c in [0.000_100_950_558, 0.001_349_343_22, -0.003_673_428_44, 0.005_739_507_73, -0.007_622_461_3, 0.009_438_870_47, 1.001_674_06, 2.832_976_82] {
            p = c + p * w;
        }
        p * y
    };
    for _ in 0..3 {
        let err = libm::erf(x) - y;
        let slope = std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp();
        if slope == 0.0 || !slope.is_finite() {
            break;
        }
        x -= err / slope;
    }
    x
}

/// `erfinv(t)`.
pub fn erfinv(t: &Tensor) -> Result<Tensor> {
    let out = float_map!(&as_float(t), T, |y| T::c(erfinv_f64(y.to_f64())))?;
    record(&[t], &[&out], || {
        // d erfinv = grad * sqrt(pi)/2 * exp(erfinv(x)^2)
        backward_fn("ErfinvBackward0", vec![input("self", t)], |_, s, g| {
            let r = erfinv(saved(&s, 0))?;
            let e = exp(&mul(&r, &r)?)?;
            Ok(vec![Some(mul(&mul_scalar(&g[0], std::f64::consts::PI.sqrt() * 0.5)?, &e)?)])
        })
    })?;
    Ok(out)
}

/// `erfc(t) = 1 - erf(t)`, accurate in the tail.
pub fn erfc(t: &Tensor) -> Result<Tensor> {
    let x = as_float(t);
    let out = match x.dtype() {
        DType::F32 => map_kernel(&x, libm::erfcf)?,
        _ => map_kernel(&convert(&x, DType::F64), libm::erfc)?,
    };
    record(&[t], &[&out], || {
        // d erfc = -grad * 2/sqrt(pi) * exp(-x^2)
        backward_fn("ErfcBackward0", vec![input("self", t)], |_, s, g| {
            let x = saved(&s, 0);
            let e = exp(&neg(&mul(x, x)?)?)?;
            Ok(vec![Some(mul(&mul_scalar(&g[0], -std::f64::consts::FRAC_2_SQRT_PI)?, &e)?)])
        })
    })?;
    Ok(out)
}

/// `exp2(t) = 2^t`.
pub fn exp2(t: &Tensor) -> Result<Tensor> {
    let out = float_map!(&as_float(t), T, |x| x.exp2())?;
    record(&[t], &[&out], || {
        // d 2^x = grad * 2^x * ln 2
        backward_fn("Exp2Backward0", vec![output("result", &out, 0)], |_, s, g| {
            Ok(vec![Some(mul(&mul_scalar(&g[0], std::f64::consts::LN_2)?, saved(&s, 0))?)])
        })
    })?;
    Ok(out)
}

/// `sinc(t) = sin(pi t)/(pi t)`, 1 at 0.
pub fn sinc(t: &Tensor) -> Result<Tensor> {
    let out = float_map!(&as_float(t), T, |x| {
        if x == T::c(0.0) {
            T::c(1.0)
        } else {
            let p = T::c(std::f64::consts::PI) * x;
            p.sin() / p
        }
    })?;
    record(&[t], &[&out], || {
        // d sinc = grad * (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 at x = 0
        backward_fn("SincBackward0", vec![input("self", t)], |_, s, g| {
            let x = saved(&s, 0);
            let px = mul_scalar(x, std::f64::consts::PI)?;
            let top = super::binary::sub(&mul(&px, &cos(&px)?)?, &sin(&px)?)?;
            let grad = div(&mul(&g[0], &top)?, &mul(&px, x)?)?;
            let zero = compare(Cmp::Eq, x, &num(0.0))?;
            Ok(vec![Some(where_(&zero, &Tensor::scalar(0.0, grad.dtype()), &grad)?)])
        })
    })?;
    Ok(out)
}

/// The float dtype of `xlogy(a, b)`: the promoted type, or the default float for integers.
fn xlogy_dtype(a: &Tensor, b: &Tensor) -> DType {
    let d = DType::result_type(&[(a.dtype(), a.promotion_rank()), (b.dtype(), b.promotion_rank())]);
    if d.is_float() {
        d
    } else {
        DType::default_float()
    }
}

/// `x * log(y)`, 0 where `x == 0` (unless `y` is NaN), not recorded.
fn xlogy_raw(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dtype = xlogy_dtype(a, b);
    let (a, b) = (convert(a, dtype), convert(b, dtype));
    float_zip!(&a, &b, T, |x, y| {
        if y.is_nan() {
            y
        } else if x == T::c(0.0) {
            T::c(0.0)
        } else {
            x * y.ln()
        }
    })
}

/// `grad` times the derivative of `xlogy` in `x`, as PyTorch writes it (recorded): `xlogy(grad, y)`
/// (log y even where x == 0), zeroed only where x == 0 and y <= 0.
fn xlogy_dx(grad: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let zeroed = logical(Logic::And, &compare(Cmp::Eq, x, &num(0.0))?, &compare(Cmp::Le, y, &num(0.0))?)?;
    super::masked_fill(&xlogy(grad, y)?, &zeroed, Scalar::Float(0.0))
}

/// `xlogy(x, y)` of two tensors (XlogyBackward0 saves both).
pub fn xlogy(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = xlogy_raw(a, b)?;
    record(&[a, b], &[&out], || {
        // d xlogy = xlogy(grad, y) (0 where x == 0 and y <= 0) for x, grad * x / y for y
        backward_fn("XlogyBackward0", vec![input("other", b), input("self", a)], |node, s, g| {
            let (y, x) = (saved(&s, 0), saved(&s, 1));
            let gx = if super::needs(node, 0) { Some(xlogy_dx(&g[0], x, y)?) } else { None };
            let gy = if super::needs(node, 1) { Some(div(&mul(&g[0], x)?, y)?) } else { None };
            Ok(vec![gx, gy])
        })
    })?;
    Ok(out)
}

/// `xlogy(x, number)` (XlogyBackward2 saves `self` and the number).
pub fn xlogy_scalar_other(a: &Tensor, other: Scalar) -> Result<Tensor> {
    let b = other.to_tensor();
    let out = xlogy_raw(a, &b)?;
    record(&[a], &[&out], || {
        // d xlogy(x, c) = xlogy(grad, c) (0 where x == 0 and c <= 0)
        backward_fn("XlogyBackward2", vec![input("self", a)], move |_, s, g| {
            Ok(vec![Some(xlogy_dx(&g[0], saved(&s, 0), &other.to_tensor())?)])
        })
        .values(vals![("other", other)])
    })?;
    Ok(out)
}

/// `xlogy(number, y)` (XlogyBackward1 saves `other` and the number).
pub fn xlogy_scalar_self(value: Scalar, b: &Tensor) -> Result<Tensor> {
    let a = value.to_tensor();
    let out = xlogy_raw(&a, b)?;
    record(&[b], &[&out], || {
        // d xlogy(c, y) = grad * c / y
        backward_fn("XlogyBackward1", vec![input("other", b)], move |_, s, g| {
            Ok(vec![Some(div(&mul(&g[0], &value.to_tensor())?, saved(&s, 0))?)])
        })
        .values(vals![("self", value)])
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfinv_inverts_erf() {
        // erf(erfinv(y)) = y to a few ULP (the well-conditioned direction; near |y| = 1 the
        // inverse itself is ill-conditioned, so x is only recovered to about eps/erf'(x)).
        for &x in &[-3.0, -1.2, -0.5, -1e-9, 0.0, 0.3, 0.9, 2.0, 4.5] {
            let y = libm::erf(x);
            if y.abs() < 1.0 {
                let back = erfinv_f64(y);
                assert!((libm::erf(back) - y).abs() <= 4.0 * f64::EPSILON * y.abs().max(1e-300), "{x} -> {back}");
                assert!((back - x).abs() <= 1e-12 * x.abs().max(1.0) || x.abs() > 4.0, "{x} -> {back}");
            }
        }
        assert_eq!(erfinv_f64(1.0), f64::INFINITY);
        assert!(erfinv_f64(1.5).is_nan());
    }

    #[test]
    fn classify_and_nan_to_num_follow_pytorch() {
        let t = Tensor::from_vec(vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1.0], &[4]).unwrap();
        assert_eq!(classify(&t, FloatClass::Finite).unwrap().to_vec::<bool>().unwrap(), vec![false, false, false, true]);
        let r = nan_to_num(&t, 0.0, None, Some(-3.0)).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(r, vec![0.0, f32::MAX, -3.0, 1.0]);
        let ints = Tensor::from_vec(vec![3i64], &[1]).unwrap();
        assert_eq!(classify(&ints, FloatClass::Nan).unwrap().to_vec::<bool>().unwrap(), vec![false]);
    }
}
