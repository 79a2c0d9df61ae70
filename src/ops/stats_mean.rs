//! `var_mean` / `std_mean`: the variance (or standard deviation) and the mean in one node with
//! two outputs (VarMeanBackward0 / StdMeanBackward0), as PyTorch's.

use super::backward::{backward_fn, input, output};
use super::binary::mul_scalar;
use super::reduce::plan_dims;
use super::reduce_stats::{expand_grad, float_unary, is_zero, var_raw, var_values};
use super::{add, div, mean_dims, mul, needs, record, sub};
use crate::autograd::GradModeGuard;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// `(var, mean)` of `t` over `dims` (None: all) with `correction`; `(std, mean)` when `root`.
pub fn var_mean(t: &Tensor, dims: Option<&[i64]>, correction: f64, keepdim: bool, root: bool) -> Result<(Tensor, Tensor)> {
    let name = if root { "std_mean" } else { "var_mean" };
    if !t.dtype().is_float() {
        return Err(Error::runtime(format!("{name} only support floating point and complex dtypes")));
    }
    let shape = t.shape();
    let (reduce, out_shape) = plan_dims(&shape, dims, keepdim)?;
    let count: usize = shape.iter().zip(&reduce).filter(|(_, &r)| r).map(|(&s, _)| s).product();
    let dims_all: Vec<i64> = (0..shape.len()).filter(|&d| reduce[d]).map(|d| d as i64).collect();
    let spread = var_raw(t, &reduce, &out_shape, correction, root)?;
    let mean = {
        let _no_grad = GradModeGuard::new(false);
        let m = mean_dims(t, &dims_all, keepdim)?;
        debug_assert_eq!(m.shape(), out_shape);
        m
    };
    let denom = count as f64 - correction;
    let values = var_values(dims, correction, keepdim);
    let mean_grad = {
        let (shape, reduce) = (shape.clone(), reduce.clone());
        move |g: &Tensor| expand_grad(&mul_scalar(g, 1.0 / count as f64)?, &shape, &reduce)
    };
    if root {
        record(&[t], &[&spread, &mean], || {
            // d std_mean(t) = grad0 * (t - mean) / ((N - c) * std) (0 where std == 0) + grad1 / N
            let saved = vec![output("result0", &spread, 0), input("self", t)];
            backward_fn("StdMeanBackward0", saved, move |node, s, g| {
                if !needs(node, 0) {
                    return Ok(vec![None]);
                }
                let (result, x) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
                let centered = sub(x, &mean_dims(x, &dims_all, true)?)?;
                let zero = float_unary(result, is_zero)?;
                let safe = add(&mul_scalar(result, denom)?, &zero)?;
                let scale = mul(&div(&g[0], &safe)?, &float_unary(&zero, |z| 1.0 - z)?)?;
                let from_std = mul(&expand_grad(&scale, &shape, &reduce)?, &centered)?;
                Ok(vec![Some(add(&from_std, &mean_grad(&g[1])?)?)])
            })
            .values(values)
        })?;
    } else {
        record(&[t], &[&spread, &mean], || {
            // d var_mean(t) = grad0 * 2 (t - mean) / (N - c) + grad1 / N
            backward_fn("VarMeanBackward0", vec![input("self", t)], move |node, s, g| {
                if !needs(node, 0) {
                    return Ok(vec![None]);
                }
                let x = s[0].as_ref().expect("saved");
                let centered = sub(x, &mean_dims(x, &dims_all, true)?)?;
                let from_var = mul(&expand_grad(&mul_scalar(&g[0], 2.0 / denom)?, &shape, &reduce)?, &centered)?;
                Ok(vec![Some(add(&from_var, &mean_grad(&g[1])?)?)])
            })
            .values(values)
        })?;
    }
    Ok((spread, mean))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_mean_values() {
        let t = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 5.0], &[2, 2]).unwrap();
        let (v, m) = var_mean(&t, Some(&[1]), 1.0, false, false).unwrap();
        assert_eq!(v.to_vec::<f64>().unwrap(), vec![0.5, 2.0]);
        assert_eq!(m.to_vec::<f64>().unwrap(), vec![1.5, 4.0]);
        let (s, m) = var_mean(&t, None, 0.0, true, true).unwrap();
        assert_eq!(s.shape(), vec![1, 1]);
        assert_eq!(m.to_vec::<f64>().unwrap(), vec![2.75]);
    }
}
