//! `F.layer_norm` as PyTorch's `native_layer_norm`: one fused forward that also yields the
//! per-row mean and reciprocal standard deviation, saved for a fused backward
//! (`NativeLayerNormBackward0`). When the backward is itself recorded (`create_graph=True`) the
//! formula is re-derived with tensor ops from the input, so higher derivatives are exact.

use super::backward::backward_fn;
use super::{dense, needs, record};
use crate::autograd::{is_grad_enabled, SavedTensor};
use crate::cpu::norm as kernels;
use crate::error::{Error, Result};
use crate::ops::{add, mean_dims, mul, reshape, rsqrt, sub, sum_dims};
use crate::tensor::{shape_str, DType, Scalar, Tensor};
use crate::with_float_dtype;

fn check_shapes(input: &Tensor, normalized: &[usize], weight: Option<&Tensor>, bias: Option<&Tensor>) -> Result<()> {
    let shape = input.shape();
    let given = shape_str(normalized);
    if normalized.is_empty() {
        return Err(Error::runtime(format!(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = {given}"
        )));
    }
    for (name, t) in [("weight", weight), ("bias", bias)] {
        if let Some(t) = t {
            if t.shape() != normalized {
                return Err(Error::runtime(format!(
                    "Expected {name} to be of same shape as normalized_shape, but got {name} of shape {} and normalized_shape = {given}",
                    shape_str(&t.shape())
                )));
            }
        }
    }
    if shape.len() < normalized.len() || shape[shape.len() - normalized.len()..] != *normalized {
        let expected = normalized.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ");
        return Err(Error::runtime(format!(
            "Given normalized_shape={given}, expected input with shape [*, {expected}], but got input of size{}",
            shape_str(&shape)
        )));
    }
    Ok(())
}

/// `F.layer_norm(input, normalized_shape, weight, bias, eps)`.
pub fn layer_norm(input: &Tensor, normalized: &[usize], weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f64) -> Result<Tensor> {
    check_shapes(input, normalized, weight, bias)?;
    if !input.dtype().is_float() {
        return Err(Error::runtime(format!("\"LayerNormKernelImpl\" not implemented for '{}'", input.dtype().scalar_type_name())));
    }
    let dtype = input.dtype();
    let shape = input.shape();
    let axis = shape.len() - normalized.len();
    let width: usize = normalized.iter().product();
    let mut stat_shape = shape[..axis].to_vec();
    stat_shape.extend(std::iter::repeat_n(1, normalized.len()));
    let as_dtype = |t: &Tensor| super::shape::convert(t, dtype);
    let (out, mean, rstd) = with_float_dtype!(dtype, T => {
        let w = weight.map(|w| dense::<T>(&as_dtype(w)));
        let b = bias.map(|b| dense::<T>(&as_dtype(b)));
        let (y, m, r) = kernels::layer_norm(&dense::<T>(input), width, w.as_deref(), b.as_deref(), eps);
        (Tensor::from_vec(y, &shape)?, Tensor::from_vec(m, &stat_shape)?, Tensor::from_vec(r, &stat_shape)?)
    });
    // Absent affine parameters still count as (None) inputs of the node, as in PyTorch.
    let none = Tensor::scalar(0.0, dtype);
    let (w_in, b_in) = (weight.cloned().unwrap_or_else(|| none.clone()), bias.cloned().unwrap_or_else(|| none.clone()));
    let has_weight = weight.is_some();
    record(&[input, &w_in, &b_in], &[&out], || {
        let saved = vec![
            Some(SavedTensor::input(input).named("input")),
            Some(SavedTensor::maybe("weight", weight)),
            Some(SavedTensor::maybe("bias", bias)),
            Some(SavedTensor::input(&mean).named("result1")),
            Some(SavedTensor::input(&rstd).named("result2")),
        ];
        let dims: Vec<i64> = (axis..shape.len()).map(|d| d as i64).collect();
        let outer: Vec<i64> = (0..axis).map(|d| d as i64).collect();
        let nshape: Vec<i64> = normalized.iter().map(|&d| d as i64).collect();
        // xhat = (x - mean) rstd, h = grad w:
        // dx = rstd (h - mean(h) - xhat mean(h xhat)), dw = sum(grad xhat), db = sum(grad)
        backward_fn("NativeLayerNormBackward0", saved, move |node, s, g| {
            let x = s[0].as_ref().expect("saved");
            let w = if has_weight { s[1].clone() } else { None };
            let want = [needs(node, 0), needs(node, 1) && has_weight, needs(node, 2) && s[2].is_some()];
            if !is_grad_enabled() {
                let (m, r) = (s[3].as_ref().expect("saved"), s[4].as_ref().expect("saved"));
                let grad = super::shape::convert(&g[0], dtype);
                return with_float_dtype!(dtype, T => {
                    let wv = w.as_ref().map(|w| dense::<T>(&super::shape::convert(w, dtype)));
                    let (dx, dw, db) = kernels::layer_norm_backward(
                        &dense::<T>(&grad), &dense::<T>(x), &dense::<T>(m), &dense::<T>(r), wv.as_deref(), width, want,
                    );
                    let wrap = |v: Option<Vec<T>>, shape: &[usize]| v.map(|v| Tensor::from_vec(v, shape)).transpose();
                    let nshape: Vec<usize> = nshape.iter().map(|&d| d as usize).collect();
                    Ok(vec![wrap(dx, &shape)?, wrap(dw, &nshape)?, wrap(db, &nshape)?])
                });
            }
            // Recorded path: everything from x again, so the formula differentiates through mean/rstd.
            let m = mean_dims(x, &dims, true)?;
            let centered = sub(x, &m)?;
            let var = mean_dims(&mul(&centered, &centered)?, &dims, true)?;
            let r = rsqrt(&add(&var, &Scalar::Float(eps).to_tensor())?)?;
            let xhat = mul(&centered, &r)?;
            let h = match &w {
                Some(w) => mul(&g[0], w)?,
                None => g[0].clone(),
            };
            let dx = if want[0] {
                let mh = mean_dims(&h, &dims, true)?;
                let mhx = mean_dims(&mul(&h, &xhat)?, &dims, true)?;
                Some(mul(&r, &sub(&sub(&h, &mh)?, &mul(&xhat, &mhx)?)?)?)
            } else {
                None
            };
            let over_rows = |t: Tensor| -> Result<Tensor> {
                let t = if outer.is_empty() { t } else { sum_dims(&t, &outer, false)? };
                reshape(&t, &nshape)
            };
            let dw = if want[1] { Some(over_rows(mul(&g[0], &xhat)?)?) } else { None };
            let db = if want[2] { Some(over_rows(g[0].clone())?) } else { None };
            Ok(vec![dx, dw, db])
        })
    })?;
    debug_assert!(dtype == DType::F32 || dtype == DType::F64);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_norm_checks_shapes_with_pytorch_messages() {
        let x = Tensor::zeros(&[4, 2], DType::F32);
        assert_eq!(
            layer_norm(&x, &[3], None, None, 1e-5).unwrap_err().message(),
            "Given normalized_shape=[3], expected input with shape [*, 3], but got input of size[4, 2]"
        );
        let w = Tensor::ones(&[3], DType::F32);
        assert_eq!(
            layer_norm(&x, &[2], Some(&w), None, 1e-5).unwrap_err().message(),
            "Expected weight to be of same shape as normalized_shape, but got weight of shape [3] and normalized_shape = [2]"
        );
        let y = layer_norm(&x, &[2], None, None, 1e-5).unwrap();
        assert_eq!(y.to_vec::<f32>().unwrap(), vec![0.0; 8]);
    }
}
