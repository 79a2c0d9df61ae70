//! Arithmetic reductions beyond sum/mean: prod, var/std, vector norms, logsumexp, all/any.
//! Float runs accumulate in f64 over fixed chunks, so results do not depend on the threads.

use super::backward::{backward_fn, input, number, output, vals};
use super::binary::{mul_scalar, Arith};
use super::reduce::{float_reduce, keepdim_shape, plan_dims, run_reduce};
use super::{add, div, exp, expand, mean_dims, mul, pow_scalar, record, reshape, sub};
use crate::cpu::{elementwise, reduce as kernels, reduce_float};
use crate::error::{Error, Result};
use crate::tensor::{DType, Element, Scalar, Tensor};
use crate::{with_dtype, with_float_dtype};

/// Sum of `g(x)` over a run in f64, chunked deterministically.
fn fsum<T: Element>(run: &[T], g: impl Fn(f64) -> f64 + Sync) -> f64 {
    kernels::chunked(run, |c| c.iter().map(|&x| g(x.to_f64())).sum::<f64>(), |a, b| a + b)
}

/// `grad` of a reduction (shape `out`) reshaped with reduced dims as 1 and expanded to `shape`.
pub(crate) fn expand_grad(g: &Tensor, shape: &[usize], reduce: &[bool]) -> Result<Tensor> {
    expand(&reshape(g, &keepdim_shape(shape, reduce))?, shape)
}

/// `result` (shape `out`) as a keepdim-shaped tensor expanded to `shape`, recorded.
fn expand_result(r: &Tensor, shape: &[usize], reduce: &[bool]) -> Result<Tensor> {
    expand_grad(r, shape, reduce)
}

/// A raw elementwise function of a float tensor (a constant in backward formulas).
pub(crate) fn float_unary(t: &Tensor, f: fn(f64) -> f64) -> Result<Tensor> {
    let data = t.data();
    let buffer = data.storage.read();
    with_float_dtype!(data.dtype, T => {
        let values = elementwise::unary(T::slice(&buffer), &data.layout, |x: T| T::from_f64(f(x.to_f64())));
        Tensor::from_vec(values, &data.layout.shape)
    })
}

fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x * 0.0 // keeps NaN
    }
}

pub(crate) fn is_zero(x: f64) -> f64 {
    (x == 0.0) as u8 as f64
}

// ----- prod -----

/// Product over the flagged dims, without recording (ints and bools multiply as int64).
fn prod_raw(t: &Tensor, reduce: &[bool], out_shape: &[usize]) -> Result<Tensor> {
    match t.dtype() {
        DType::F32 => float_reduce::<f32>(t, out_shape, |x, l| reduce_float::prod(x, l, reduce)),
        DType::F64 => float_reduce::<f64>(t, out_shape, |x, l| reduce_float::prod(x, l, reduce)),
        DType::I64 => run_reduce::<i64, i64>(t, reduce, out_shape, |r| r.iter().fold(1i64, |a, &b| a.wrapping_mul(b))),
        DType::I32 | DType::U8 => prod_raw(&super::shape::convert(t, DType::I64), reduce, out_shape),
        DType::Bool => run_reduce::<bool, i64>(t, reduce, out_shape, |r| r.iter().all(|&b| b) as i64),
    }
}

/// For each element, the product of the other elements of its run (exact with zeros).
fn exclusive_prod(t: &Tensor, reduce: &[bool]) -> Result<Tensor> {
    let shape = t.shape();
    let data = t.data();
    let buffer = data.storage.read();
    with_float_dtype!(data.dtype, T => {
        let (values, outer, inner) = kernels::reduced_innermost(T::slice(&buffer), &data.layout, reduce);
        let mut out = vec![T::default(); values.len()];
        for (run, dst) in values.chunks(inner.max(1)).zip(out.chunks_mut(inner.max(1))).take(outer) {
            let mut prefix = 1.0f64;
            for (d, &x) in dst.iter_mut().zip(run) {
                *d = T::from_f64(prefix);
                prefix *= x.to_f64();
            }
            let mut suffix = 1.0f64;
            for (d, &x) in dst.iter_mut().zip(run).rev() {
                *d = T::from_f64(d.to_f64() * suffix);
                suffix *= x.to_f64();
            }
        }
        // `out` lists reduced dims innermost; put it back in the input's dim order.
        let kept: Vec<usize> = (0..shape.len()).filter(|&d| !reduce[d]).chain((0..shape.len()).filter(|&d| reduce[d])).collect();
        let permuted: Vec<usize> = kept.iter().map(|&d| shape[d]).collect();
        let buf = Tensor::from_vec(out, &permuted)?;
        let mut inverse = vec![0; kept.len()];
        for (i, &d) in kept.iter().enumerate() {
            inverse[d] = i;
        }
        let l = buf.data().layout;
        let layout = crate::tensor::Layout { shape: shape.clone(), strides: inverse.iter().map(|&i| l.strides[i]).collect(), offset: 0 };
        Tensor::from_buffer(T::into_buffer(layout.gather(&buf.to_vec::<T>()?)), &shape)
    })
}

/// `t.prod()` (ProdBackward0) or `t.prod(dim, keepdim)` (ProdBackward1).
pub fn prod(t: &Tensor, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
    let shape = t.shape();
    let dims = dim.map(|d| vec![d]);
    let (reduce, out_shape) = plan_dims(&shape, dims.as_deref(), keepdim && dim.is_some())?;
    let out = prod_raw(t, &reduce, &out_shape)?;
    let name = if dim.is_some() { "ProdBackward1" } else { "ProdBackward0" };
    record(&[t], &[&out], || {
        // d prod(t) = grad * prod(others): grad*result/t without zeros, exclusive products with
        let saved = vec![input("self", t), output("result", &out, 0)];
        { let saved_values = match dim { Some(d) => vals![("dim", d), ("keepdim", keepdim)], None => vec![] }; backward_fn(name, saved, move |_, s, g| {
            let (x, result) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
            let grad = expand_grad(&g[0], &shape, &reduce)?;
            let has_zero = x.to_f64_vec().contains(&0.0);
            let others = if has_zero { exclusive_prod(x, &reduce)? } else { div(&expand_result(result, &shape, &reduce)?, x)? };
            Ok(vec![Some(mul(&grad, &others)?)])
        }).values(saved_values) }
    })?;
    Ok(out)
}

// ----- var / std -----

fn check_float_for_var(t: &Tensor) -> Result<()> {
    if !t.dtype().is_float() {
        return Err(Error::runtime("std and var only support floating point and complex dtypes"));
    }
    Ok(())
}

/// Variance (two-pass, f64) over the flagged dims with `correction` subtracted from the count.
pub(crate) fn var_raw(t: &Tensor, reduce: &[bool], out_shape: &[usize], correction: f64, root: bool) -> Result<Tensor> {
    with_float_dtype!(t.dtype(), T => float_reduce::<T>(t, out_shape, |x, l| reduce_float::var(x, l, reduce, correction, root)))
}

/// What VarBackward0 / StdBackward0 show: `dim`, `correction` (None for the full reduction with
/// the default correction, as PyTorch's unset optionals), `keepdim`.
pub(crate) fn var_values(dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Vec<(&'static str, crate::autograd::SavedValue)> {
    let correction = if dims.is_none() && correction == 1.0 { crate::autograd::SavedValue::None } else { number(correction) };
    vals![("correction", correction), ("dim", dims.map(<[i64]>::to_vec)), ("keepdim", keepdim)]
}

/// `t.var(dims, correction=, keepdim=)` (VarBackward0); `std` when `root` (StdBackward0).
pub fn var_std(t: &Tensor, dims: Option<&[i64]>, correction: f64, keepdim: bool, root: bool) -> Result<Tensor> {
    check_float_for_var(t)?;
    let shape = t.shape();
    let (reduce, out_shape) = plan_dims(&shape, dims, keepdim)?;
    let count: usize = shape.iter().zip(&reduce).filter(|(_, &r)| r).map(|(&s, _)| s).product();
    let out = var_raw(t, &reduce, &out_shape, correction, root)?;
    let dims_all: Vec<i64> = (0..shape.len()).filter(|&d| reduce[d]).map(|d| d as i64).collect();
    let denom = count as f64 - correction;
    if root {
        record(&[t], &[&out], || {
            // d std(t) = grad * (t - mean) / ((N - c) * std), zero where std == 0
            let saved = vec![input("self", t), output("result", &out, 0)];
            { let saved_values = var_values(dims, correction, keepdim); backward_fn("StdBackward0", saved, move |_, s, g| {
                let (x, result) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
                let centered = sub(x, &mean_dims(x, &dims_all, true)?)?;
                let zero = float_unary(result, is_zero)?;
                let safe = add(&mul_scalar(result, denom)?, &zero)?; // 1 where std == 0: no 0/0
                let scale = mul(&div(&g[0], &safe)?, &float_unary(&zero, |z| 1.0 - z)?)?;
                Ok(vec![Some(mul(&expand_grad(&scale, &shape, &reduce)?, &centered)?)])
            }).values(saved_values) }
        })?;
    } else {
        record(&[t], &[&out], || {
            // d var(t) = grad * 2 (t - mean) / (N - c)
            { let saved_values = var_values(dims, correction, keepdim); backward_fn("VarBackward0", vec![input("self", t)], move |_, s, g| {
                let x = s[0].as_ref().expect("saved");
                let centered = sub(x, &mean_dims(x, &dims_all, true)?)?;
                Ok(vec![Some(mul(&expand_grad(&mul_scalar(&g[0], 2.0 / denom)?, &shape, &reduce)?, &centered)?)])
            }).values(saved_values) }
        })?;
    }
    Ok(out)
}

// ----- norm -----

/// `torch.linalg.vector_norm(t, ord, dims, keepdim)` (what `t.norm(p, dim)` computes).
pub fn vector_norm(t: &Tensor, ord: f64, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
    if !t.dtype().is_float() {
        return Err(Error::runtime(format!(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got {}",
            t.dtype().scalar_type_name()
        )));
    }
    let shape = t.shape();
    let (reduce, out_shape) = plan_dims(&shape, dims, keepdim)?;
    if ord.is_infinite() {
        let name = if ord > 0.0 { "inf" } else { "-inf" };
        if t.numel() == 0 && dims.is_none_or(|d| d.is_empty()) {
            return Err(Error::runtime(format!(
                "linalg.vector_norm cannot compute the {name} norm on an empty tensor because the operation does not have an identity"
            )));
        }
        if let Some(d) = shape.iter().zip(&reduce).position(|(&s, &r)| r && s == 0) {
            // PyTorch's message has no space before "because".
            return Err(Error::runtime(format!(
                "linalg.vector_norm cannot compute the {name} norm on the dimension {d}because this dimension is empty and the operation does not have an identity"
            )));
        }
    }
    let fast = with_float_dtype!(t.dtype(), T => {
        let data = t.data();
        let buffer = data.storage.read();
        reduce_float::norm(T::slice(&buffer), &data.layout, &reduce, ord).map(|v| Tensor::from_vec(v, &out_shape))
    });
    let out = if let Some(out) = fast { out? } else { with_float_dtype!(t.dtype(), T => run_reduce::<T, T>(t, &reduce, &out_shape, move |r| {
        let v = if ord == f64::INFINITY {
            r.iter().map(|x| x.to_f64().abs()).fold(f64::NEG_INFINITY, |a, b| if b.is_nan() || b > a { b } else { a })
        } else if ord == f64::NEG_INFINITY {
            r.iter().map(|x| x.to_f64().abs()).fold(f64::INFINITY, |a, b| if b.is_nan() || b < a { b } else { a })
        } else if ord == 0.0 {
            fsum(r, |x| (x != 0.0) as u8 as f64)
        } else if ord == 1.0 {
            fsum(r, f64::abs)
        } else if ord == 2.0 {
            fsum(r, |x| x * x).sqrt()
        } else {
            fsum(r, |x| x.abs().powf(ord)).powf(1.0 / ord)
        };
        T::from_f64(v)
    }))? };
    record(&[t], &[&out], || {
        let saved = vec![input("self", t), output("result", &out, 0)];
        { let saved_values = vals![("dim", dims.map(<[i64]>::to_vec)), ("keepdim", keepdim), ("ord", number(ord))]; backward_fn("LinalgVectorNormBackward0", saved, move |_, s, g| {
            let (x, result) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
            if ord == 0.0 {
                // d ||t||_0 = 0: PyTorch returns no gradient at all
                return Ok(vec![None]);
            }
            let grad = expand_grad(&g[0], &shape, &reduce)?;
            let sgn = float_unary(x, sign)?;
            let grad_x = if ord == 1.0 {
                // d ||t||_1 = grad * sign(t)
                mul(&grad, &sgn)?
            } else if ord.is_infinite() {
                // d ||t||_inf = grad * sign(t) spread evenly over the |t| equal to the norm
                let abs = float_unary(x, f64::abs)?;
                let kd = keepdim_shape(&shape, &reduce);
                let r_kd = reshape(&result.detach(), &kd)?;
                let mask = super::binary::arith_raw(Arith::Sub, &abs, &r_kd)?;
                let mask = float_unary(&mask, is_zero)?;
                let count = super::reduce::sum_dims_raw(&mask, &reduce, &shape.iter().zip(&reduce).map(|(&s, &r)| if r { 1 } else { s }).collect::<Vec<_>>())?;
                let weights = super::binary::arith_raw(Arith::Div, &super::binary::arith_raw(Arith::Mul, &mask, &sgn)?, &count)?;
                mul(&grad, &super::shape::convert(&weights, x.dtype()))?
            } else {
                // d ||t||_p = grad * sign(t) |t|^(p-1) / ||t||^(p-1), zero where the norm is 0
                let zero = float_unary(result, is_zero)?;
                let safe = add(result, &zero)?;
                let denom = if ord == 2.0 { safe } else { pow_scalar(&safe, Scalar::Float(ord - 1.0))? };
                let scale = div(&g[0], &denom)?;
                let scale = expand_grad(&mul(&scale, &float_unary(&zero, |z| 1.0 - z)?)?, &shape, &reduce)?;
                let num = if ord == 2.0 { x.clone() } else { mul(&sgn, &pow_scalar(&mul(x, &sgn)?, Scalar::Float(ord - 1.0))?)? };
                mul(&scale, &num)?
            };
            Ok(vec![Some(grad_x)])
        }).values(saved_values) }
    })?;
    Ok(out)
}

// ----- logsumexp -----

/// `t.logsumexp(dims, keepdim)`: `max + log(sum(exp(t - max)))` (ints computed as float32).
pub fn logsumexp(t: &Tensor, dims: &[i64], keepdim: bool) -> Result<Tensor> {
    let t = &if t.dtype().is_float() { t.clone() } else { super::to_dtype(t, DType::default_float())? };
    let shape = t.shape();
    let (reduce, out_shape) = plan_dims(&shape, Some(dims), keepdim)?;
    let out = with_float_dtype!(t.dtype(), T => float_reduce::<T>(t, &out_shape, |x, l| reduce_float::logsumexp(x, l, &reduce)))?;
    record(&[t], &[&out], || {
        // d logsumexp(t) = grad * exp(t - result)
        let saved = vec![input("self", t), output("result", &out, 0)];
        { let saved_values = vals![("dim", dims.to_vec()), ("keepdim", keepdim)]; backward_fn("LogsumexpBackward0", saved, move |_, s, g| {
            let (x, result) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
            let weights = exp(&sub(x, &expand_result(result, &shape, &reduce)?)?)?;
            Ok(vec![Some(mul(&expand_grad(&g[0], &shape, &reduce)?, &weights)?)])
        }).values(saved_values) }
    })?;
    Ok(out)
}

// ----- all / any -----

/// `t.all(dims)` (`any` when `any`): a bool tensor (uint8 for a uint8 input, as PyTorch); no gradient.
pub fn all_any(t: &Tensor, dims: Option<&[i64]>, keepdim: bool, any: bool) -> Result<Tensor> {
    let shape = t.shape();
    let (reduce, out_shape) = plan_dims(&shape, dims, keepdim)?;
    let out = with_dtype!(t.dtype(), T => run_reduce::<T, bool>(t, &reduce, &out_shape, |r| {
        // Nonzero counts as true (NaN too).
        let truth = |x: &T| x.to_f64() != 0.0;
        // Blocks of 64 tested branch-free (vectorisable), stopping at the first deciding block.
        if any {
            r.chunks(64).any(|c| c.iter().fold(false, |a, x| a | truth(x)))
        } else {
            r.chunks(64).all(|c| c.iter().fold(true, |a, x| a & truth(x)))
        }
    }))?;
    Ok(if t.dtype() == DType::U8 { super::shape::convert(&out, DType::U8) } else { out })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(values: &[f64], shape: &[usize]) -> Tensor {
        Tensor::from_vec(values.to_vec(), shape).unwrap()
    }

    #[test]
    fn exclusive_products_handle_zeros() {
        let x = t(&[2.0, 0.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let rows = exclusive_prod(&x, &[false, true]).unwrap().to_vec::<f64>().unwrap();
        assert_eq!(rows, vec![0.0, 6.0, 0.0, 30.0, 24.0, 20.0]);
        let cols = exclusive_prod(&x, &[true, false]).unwrap().to_vec::<f64>().unwrap();
        assert_eq!(cols, vec![4.0, 5.0, 6.0, 2.0, 0.0, 3.0]);
    }

    #[test]
    fn var_norm_and_logsumexp_values() {
        let x = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
        assert_eq!(var_std(&x, None, 1.0, false, false).unwrap().to_vec::<f64>().unwrap(), vec![5.0 / 3.0]);
        assert_eq!(var_std(&x, Some(&[1]), 0.0, false, false).unwrap().to_vec::<f64>().unwrap(), vec![0.25, 0.25]);
        assert_eq!(vector_norm(&x, 1.0, None, false).unwrap().to_vec::<f64>().unwrap(), vec![10.0]);
        assert_eq!(vector_norm(&x, f64::INFINITY, Some(&[0]), false).unwrap().to_vec::<f64>().unwrap(), vec![3.0, 4.0]);
        let big = t(&[1000.0, 1000.0], &[2]);
        let lse = logsumexp(&big, &[0], false).unwrap().to_vec::<f64>().unwrap()[0];
        assert!((lse - (1000.0 + 2f64.ln())).abs() < 1e-9);
        let ints = Tensor::from_vec(vec![1i64, 0, 3], &[3]).unwrap();
        assert_eq!(all_any(&ints, None, false, false).unwrap().to_vec::<bool>().unwrap(), vec![false]);
        let bytes = Tensor::from_vec(vec![1u8, 0, 7, 2], &[2, 2]).unwrap();
        let rows = all_any(&bytes, Some(&[1]), false, false).unwrap();
        assert_eq!((rows.dtype(), rows.to_vec::<u8>().unwrap()), (DType::U8, vec![0, 1]));
        assert_eq!(prod(&ints, None, false).unwrap().to_vec::<i64>().unwrap(), vec![0]);
    }
}
