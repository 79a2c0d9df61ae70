//! More activations, each PyTorch's native op with its own node: mish, hardswish, hardsigmoid,
//! celu, elu with scales (selu), log_sigmoid, softshrink, hardshrink, prelu (`_prelu_kernel`) and
//! glu. Backward formulas are recorded ops, so `create_graph=True` differentiates them.

use super::backward::{backward_fn, input, number, output, vals};
use super::binary::{add, mul, mul_scalar, rsub_scalar};
use super::compare::{compare, keep_where, logical, where_, Cmp, Logic};
use super::inplace::in_place;
use super::join::cat;
use super::unary::{exp, float_map, float_zip, log1p, not_implemented, sigmoid, tanh, FloatMath};
use super::view::narrow;
use super::{needs, record, wrap_dim};
use crate::autograd::{GradModeGuard, SavedTensor};
use crate::error::{Error, Result};
use crate::ops::shape::convert;
use crate::tensor::{DType, Scalar, Tensor};

fn saved(s: &[Option<Tensor>], i: usize) -> &Tensor {
    s[i].as_ref().expect("saved tensor")
}

fn num(v: f64) -> Tensor {
    Tensor::wrapped_scalar(v, DType::F64)
}

fn float_only(t: &Tensor, kernel: &str) -> Result<()> {
    if t.dtype().is_float() {
        Ok(())
    } else {
        Err(not_implemented(kernel, t.dtype()))
    }
}

/// Formats `v` as C++'s `ostream << double` (6 significant digits, `%g`): `-0.5`, `3.40282e+38`.
pub(crate) fn cpp_g(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_nan() { "nan".into() } else if v.is_infinite() { (if v > 0.0 { "inf" } else { "-inf" }).into() } else { "0".into() };
    }
    let sci = format!("{v:.5e}");
    let (mantissa, exp) = sci.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("int");
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
    } else {
        trim(&format!("{v:.*}", (5 - exp) as usize))
    }
}

/// `mish(t) = t * tanh(softplus(t))` (MishBackward0 saves the input).
pub fn mish(t: &Tensor) -> Result<Tensor> {
    float_only(t, "mish_cpu")?;
    let out = float_map!(t, T, |x| x * x.exp().ln_1p().tanh())?;
    record(&[t], &[&out], || {
        // d mish = grad * (tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2)), sp = log(1 + e^x)
        backward_fn("MishBackward0", vec![input("self", t)], |_, s, g| {
            let x = saved(&s, 0);
            let ts = tanh(&log1p(&exp(x)?)?)?;
            let slope = mul(&mul(x, &sigmoid(x)?)?, &rsub_scalar(&mul(&ts, &ts)?, Scalar::Int(1))?)?;
            Ok(vec![Some(mul(&g[0], &add(&ts, &slope)?)?)])
        })
    })?;
    Ok(out)
}

/// In-place mish (also MishBackward0 saving the input).
pub fn mish_(target: &Tensor) -> Result<()> {
    in_place(target, mish)
}

/// `hardswish(t) = t * relu6(t + 3) / 6`.
pub fn hardswish(t: &Tensor) -> Result<Tensor> {
    float_only(t, "hardswish_cpu")?;
    let out = float_map!(t, T, |x| x * (x + T::c(3.0)).max(T::c(0.0)).min(T::c(6.0)) / T::c(6.0))?;
    record(&[t], &[&out], || {
        // d hardswish = 0 for x <= -3, grad*(x/3 + 1/2) for -3 < x < 3, grad for x >= 3
        backward_fn("HardswishBackward0", vec![input("self", t)], |_, s, g| {
            let (x, g) = (saved(&s, 0), &g[0]);
            let middle = mul(g, &add(&super::div(x, &num(3.0))?, &num(0.5))?)?;
            let upper = where_(&compare(Cmp::Lt, x, &num(3.0))?, &middle, g)?;
            Ok(vec![Some(where_(&compare(Cmp::Le, x, &num(-3.0))?, &Tensor::scalar(0.0, upper.dtype()), &upper)?)])
        })
    })?;
    Ok(out)
}

/// In-place hardswish.
pub fn hardswish_(target: &Tensor) -> Result<()> {
    in_place(target, hardswish)
}

/// `hardsigmoid(t) = relu6(t + 3) / 6`.
pub fn hardsigmoid(t: &Tensor) -> Result<Tensor> {
    float_only(t, "hardsigmoid_cpu")?;
    let out = float_map!(t, T, |x| (x + T::c(3.0)).max(T::c(0.0)).min(T::c(6.0)) / T::c(6.0))?;
    record(&[t], &[&out], || {
        // d hardsigmoid = grad/6 for -3 < x < 3, else 0
        backward_fn("HardsigmoidBackward0", vec![input("self", t)], |_, s, g| {
            let x = saved(&s, 0);
            let inside = logical(Logic::And, &compare(Cmp::Gt, x, &num(-3.0))?, &compare(Cmp::Lt, x, &num(3.0))?)?;
            // PyTorch's kernel multiplies by the float32 constant 1/6, also for float64.
            Ok(vec![Some(keep_where(&inside, &mul_scalar(&g[0], (1.0f32 / 6.0) as f64)?)?)])
        })
    })?;
    Ok(out)
}

/// In-place hardsigmoid.
pub fn hardsigmoid_(target: &Tensor) -> Result<()> {
    in_place(target, hardsigmoid)
}

/// PyTorch's ELU family: `scale*x` for `x > 0`, `scale*alpha*(exp(input_scale*x) - 1)` otherwise.
fn elu_kernel(t: &Tensor, alpha: f64, scale: f64, input_scale: f64) -> Result<Tensor> {
    float_only(t, "elu_cpu")?;
    float_map!(t, T, |x| if x <= T::c(0.0) { ((x * T::c(input_scale)).exp() - T::c(1.0)) * T::c(alpha * scale) } else { x * T::c(scale) })
}

/// `grad*scale` where `x > 0`, else `grad*input_scale*alpha*scale*exp(x*input_scale)`; from the
/// result `r` (in-place forms) the negative side is `grad*input_scale*(r + alpha*scale)`.
fn elu_grad(g: &Tensor, v: &Tensor, alpha: f64, scale: f64, input_scale: f64, is_result: bool) -> Result<Tensor> {
    let neg = if is_result {
        mul_scalar(&mul(g, &add(v, &num(alpha * scale))?)?, input_scale)?
    } else {
        mul(&mul_scalar(g, input_scale * alpha * scale)?, &exp(&mul_scalar(v, input_scale)?)?)?
    };
    where_(&compare(Cmp::Gt, v, &num(0.0))?, &mul_scalar(g, scale)?, &neg)
}

const SELU_ALPHA: f64 = 1.673_263_242_354_377_2;
const SELU_SCALE: f64 = 1.050_700_987_355_480_5;

/// `selu(t) = elu(t, alpha, scale)` with the self-normalising constants (EluBackward0).
pub fn selu(t: &Tensor) -> Result<Tensor> {
    let out = elu_kernel(t, SELU_ALPHA, SELU_SCALE, 1.0)?;
    record(&[t], &[&out], || {
        // d elu = grad*scale for x > 0, grad*input_scale*alpha*scale*exp(input_scale*x) otherwise
        backward_fn("EluBackward0", vec![input("self", t)], |_, s, g| {
            Ok(vec![Some(elu_grad(&g[0], saved(&s, 0), SELU_ALPHA, SELU_SCALE, 1.0, false)?)])
        })
        .values(vals![("alpha", SELU_ALPHA), ("input_scale", number(1.0)), ("scale", SELU_SCALE)])
    })?;
    Ok(out)
}

/// In-place selu (EluBackward1 saves the result).
pub fn selu_(target: &Tensor) -> Result<()> {
    in_place(target, |t| {
        let out = elu_kernel(t, SELU_ALPHA, SELU_SCALE, 1.0)?;
        record(&[t], &[&out], || {
            // d elu = grad*scale for r > 0, grad*input_scale*(r + alpha*scale) otherwise
            backward_fn("EluBackward1", vec![output("result", &out, 0)], |_, s, g| {
                Ok(vec![Some(elu_grad(&g[0], saved(&s, 0), SELU_ALPHA, SELU_SCALE, 1.0, true)?)])
            })
            .values(vals![("alpha", SELU_ALPHA), ("input_scale", number(1.0)), ("scale", SELU_SCALE)])
        })?;
        Ok(out)
    })
}

/// The input scale CELU's backward uses: `1/alpha` with `alpha` rounded to float32 first, as
/// PyTorch's derivative formula (`1.0/alpha.toFloat()`) does; the forward uses double.
fn celu_grad_scale(alpha: f64) -> f64 {
    1.0 / (alpha as f32 as f64)
}

fn celu_check(alpha: f64) -> Result<()> {
    if alpha == 0.0 {
        return Err(Error::runtime("ZeroDivisionError: alpha cannot be 0 for CELU"));
    }
    Ok(())
}

/// `celu(t, alpha) = max(0, t) + min(0, alpha*(exp(t/alpha) - 1))` (CeluBackward0 saves the input).
pub fn celu(t: &Tensor, alpha: f64) -> Result<Tensor> {
    float_only(t, "elu_cpu")?;
    celu_check(alpha)?;
    let out = elu_kernel(t, alpha, 1.0, 1.0 / alpha)?;
    record(&[t], &[&out], || {
        // d celu = grad for x > 0, grad*exp(x/alpha) otherwise
        backward_fn("CeluBackward0", vec![input("self", t)], move |_, s, g| {
            Ok(vec![Some(elu_grad(&g[0], saved(&s, 0), alpha, 1.0, celu_grad_scale(alpha), false)?)])
        })
        .values(vals![("alpha", number(alpha))])
    })?;
    Ok(out)
}

/// In-place celu (CeluBackward1 saves the result).
pub fn celu_(target: &Tensor, alpha: f64) -> Result<()> {
    float_only(target, "elu_cpu")?;
    celu_check(alpha)?;
    in_place(target, |t| {
        let out = elu_kernel(t, alpha, 1.0, 1.0 / alpha)?;
        record(&[t], &[&out], || {
            // d celu = grad for r > 0, grad*(r + alpha)/alpha otherwise
            backward_fn("CeluBackward1", vec![output("result", &out, 0)], move |_, s, g| {
                Ok(vec![Some(elu_grad(&g[0], saved(&s, 0), alpha, 1.0, celu_grad_scale(alpha), true)?)])
            })
            .values(vals![("alpha", number(alpha))])
        })?;
        Ok(out)
    })
}

/// `log_sigmoid(t) = -(max(-t, 0) + log1p(exp(-|t|)))`; the node also saves `buffer = exp(-|t|)`.
pub fn log_sigmoid(t: &Tensor) -> Result<Tensor> {
    float_only(t, "log_sigmoid_cpu")?;
    let buffer = float_map!(t, T, |x| (-x.abs()).exp())?;
    let out = float_zip!(t, &buffer, T, |x, z| -((-x).max(T::c(0.0)) + z.ln_1p()))?;
    record(&[t], &[&out], || {
        // d log_sigmoid = grad * sigmoid(-x) = grad * (x < 0 ? 1 : z) / (1 + z), z = exp(-|x|)
        let to_save = vec![Some(SavedTensor::input(&buffer).named("buffer")), input("self", t)];
        backward_fn("LogSigmoidBackward0", to_save, |_, s, g| {
            let x = saved(&s, 1);
            Ok(vec![Some(mul(&g[0], &sigmoid(&super::unary::neg(x)?)?)?)])
        })
    })?;
    Ok(out)
}

/// `softshrink(t, lambd)`: `t - lambd` above `lambd`, `t + lambd` below `-lambd`, 0 between.
pub fn softshrink(t: &Tensor, lambd: f64) -> Result<Tensor> {
    float_only(t, "softshrink_check")?;
    let max = if t.dtype() == DType::F32 { f32::MAX as f64 } else { f64::MAX };
    if !(0.0..=max).contains(&lambd) {
        return Err(Error::runtime(format!(
            "lambda must be in range [0, {}] for input dtype {}, but found {}",
            cpp_g(max),
            t.dtype().scalar_type_name(),
            cpp_g(lambd)
        )));
    }
    let out = float_map!(t, T, |x| {
        let l = T::c(lambd);
        if x > l {
            x - l
        } else if x < -l {
            x + l
        } else {
            x * T::c(0.0)
        }
    })?;
    record(&[t], &[&out], || {
        // d softshrink = grad where |x| > lambd, else 0
        backward_fn("SoftshrinkBackward0", vec![input("self", t)], move |_, s, g| Ok(vec![Some(shrink_grad(saved(&s, 0), &g[0], lambd)?)]))
            .values(vals![("lambd", number(lambd))])
    })?;
    Ok(out)
}

/// `grad` outside `[-lambd, lambd]`, 0 inside.
fn shrink_grad(x: &Tensor, g: &Tensor, lambd: f64) -> Result<Tensor> {
    let inside = logical(Logic::And, &compare(Cmp::Ge, x, &num(-lambd))?, &compare(Cmp::Le, x, &num(lambd))?)?;
    where_(&inside, &Tensor::scalar(0.0, g.dtype()), g)
}

/// `hardshrink(t, lambd)`: `t` outside `[-lambd, lambd]`, 0 inside.
pub fn hardshrink(t: &Tensor, lambd: f64) -> Result<Tensor> {
    float_only(t, "hardshrink_cpu")?;
    let out = float_map!(t, T, |x| if x >= T::c(-lambd) && x <= T::c(lambd) { T::c(0.0) } else { x })?;
    record(&[t], &[&out], || {
        // d hardshrink = grad where |x| > lambd, else 0
        backward_fn("HardshrinkBackward0", vec![input("self", t)], move |_, s, g| Ok(vec![Some(shrink_grad(saved(&s, 0), &g[0], lambd)?)]))
            .values(vals![("lambd", number(lambd))])
    })?;
    Ok(out)
}

/// `_prelu_kernel(t, weight)`: `t` where positive, `weight*t` elsewhere (weight broadcast).
pub fn prelu_kernel(t: &Tensor, weight: &Tensor) -> Result<Tensor> {
    float_only(t, "prelu_cpu")?;
    let w = convert(weight, t.dtype());
    let out = float_zip!(t, &w, T, |x, w| if x > T::c(0.0) { x } else { w * x })?;
    record(&[t, weight], &[&out], || {
        // d prelu = grad (x > 0) or weight*grad for x; 0 (x > 0) or x*grad for weight (summed to its shape)
        backward_fn("PreluKernelBackward0", vec![input("self", t), input("weight", weight)], |node, s, g| {
            let (x, w, g) = (saved(&s, 0), saved(&s, 1), &g[0]);
            let positive = compare(Cmp::Gt, x, &num(0.0))?;
            let gx = if needs(node, 0) { Some(where_(&positive, g, &mul(w, g)?)?) } else { None };
            let gw = if needs(node, 1) { Some(where_(&positive, &Tensor::scalar(0.0, g.dtype()), &mul(x, g)?)?) } else { None };
            Ok(vec![gx, gw])
        })
    })?;
    Ok(out)
}

/// `glu(t, dim) = a * sigmoid(b)` with `a, b` the two halves of `t` along `dim`.
pub fn glu(t: &Tensor, dim: i64) -> Result<Tensor> {
    if t.dim() == 0 {
        return Err(Error::runtime("glu does not support scalars because halving size must be even"));
    }
    let d = wrap_dim(dim, t.dim())?;
    let size = t.shape()[d];
    if size % 2 != 0 {
        return Err(Error::runtime(format!("Halving dimension must be even, but dimension {d} is size {size}")));
    }
    float_only(t, "glu_cpu")?;
    let h = (size / 2) as i64;
    let out = {
        let _no_grad = GradModeGuard::new(false);
        mul(&narrow(t, d as i64, 0, h)?, &sigmoid(&narrow(t, d as i64, h, h)?)?)?
    };
    record(&[t], &[&out], || {
        // d glu: grad*sigmoid(b) for a, grad*a*sigmoid(b)*(1 - sigmoid(b)) for b
        backward_fn("GluBackward0", vec![input("self", t)], move |_, s, g| {
            let x = saved(&s, 0);
            let (a, b) = (narrow(x, d as i64, 0, h)?, narrow(x, d as i64, h, h)?);
            let sb = sigmoid(&b)?;
            let ga = mul(&g[0], &sb)?;
            let gb = mul(&mul(&ga, &a)?, &rsub_scalar(&sb, Scalar::Int(1))?)?;
            Ok(vec![Some(cat(&[ga, gb], d as i64)?)])
        })
        .values(vals![("dim", d as i64)])
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpp_g_matches_ostream() {
        assert_eq!(cpp_g(-0.5), "-0.5");
        assert_eq!(cpp_g(-1.0), "-1");
        assert_eq!(cpp_g(-1e-7), "-1e-07");
        assert_eq!(cpp_g(-123456789.0), "-1.23457e+08");
        assert_eq!(cpp_g(f32::MAX as f64), "3.40282e+38");
        assert_eq!(cpp_g(f64::MAX), "1.79769e+308");
        assert_eq!(cpp_g(0.0001), "0.0001");
        assert_eq!(cpp_g(123456.0), "123456");
    }

    #[test]
    fn glu_checks_the_halved_dimension() {
        let t = Tensor::zeros(&[4, 5], DType::F32);
        assert_eq!(glu(&t, 1).unwrap_err().message(), "Halving dimension must be even, but dimension 1 is size 5");
        let r = glu(&Tensor::zeros(&[2, 4], DType::F32), -1).unwrap();
        assert_eq!(r.shape(), vec![2, 2]);
    }
}
