//! `F.group_norm` as PyTorch's `native_group_norm`: per (sample, group) mean and reciprocal
//! standard deviation over the group's channels and positions, then the per-channel affine
//! transform (`NativeGroupNormBackward0`, saving the input, weight, mean and rstd).

use super::backward::{backward_fn, vals};
use super::{dense, needs, record};
use crate::autograd::SavedTensor;
use crate::error::{Error, Result};
use crate::ops::{add, mean_dims, mul, reshape, rsqrt, sub, sum_dims};
use crate::tensor::{shape_str, DType, Element, Scalar, Tensor};
use crate::with_float_dtype;

/// Mean and rstd of each of the `rows` contiguous rows of `width` elements of `x`, and the
/// normalised, affine-transformed output (channel `c` of row `r` spans `hw` elements).
#[allow(clippy::too_many_arguments)]
fn group_norm_kernel<T: Element>(
    x: &[T],
    rows: usize,
    channels_per_group: usize,
    hw: usize,
    weight: Option<&[T]>,
    bias: Option<&[T]>,
    groups: usize,
    eps: f64,
) -> (Vec<T>, Vec<T>, Vec<T>) {
    let width = channels_per_group * hw;
    let mut out = Vec::with_capacity(x.len());
    let (mut means, mut rstds) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    for r in 0..rows {
        let row = &x[r * width..(r + 1) * width];
        let n = width.max(1) as f64;
        let mean = row.iter().map(|v| v.to_f64()).sum::<f64>() / n;
        let var = row.iter().map(|v| (v.to_f64() - mean).powi(2)).sum::<f64>() / n;
        let rstd = 1.0 / (var + eps).sqrt();
        let group = r % groups;
        for (k, chunk) in row.chunks(hw.max(1)).enumerate() {
            let c = group * channels_per_group + k;
            let w = weight.map_or(1.0, |w| w[c].to_f64());
            let b = bias.map_or(0.0, |b| b[c].to_f64());
            out.extend(chunk.iter().map(|v| T::from_f64((v.to_f64() - mean) * rstd * w + b)));
        }
        means.push(T::from_f64(mean));
        rstds.push(T::from_f64(rstd));
    }
    (out, means, rstds)
}

fn check(input: &Tensor, groups: usize, weight: Option<&Tensor>, bias: Option<&Tensor>) -> Result<()> {
    let shape = input.shape();
    let c = shape[1];
    if groups == 0 || c % groups != 0 {
        return Err(Error::runtime(format!(
            "Expected number of channels in input to be divisible by num_groups, but got input of shape {} and num_groups={groups}",
            shape_str(&shape)
        )));
    }
    // PyTorch's bias message shows the weight's shape ([0] without a weight): mirrored as is.
    let weight_shape = weight.map_or(vec![0], |w| w.shape());
    for (name, t) in [("weight", weight), ("bias", bias)] {
        if let Some(t) = t {
            if t.dim() != 1 || t.numel() != c {
                return Err(Error::runtime(format!(
                    "Expected {name} to be a vector of size equal to the number of channels in input, but got {name} of shape {} and input of shape {}",
                    shape_str(&weight_shape),
                    shape_str(&shape)
                )));
            }
        }
    }
    if !input.dtype().is_float() {
        return Err(super::unary::not_implemented("GroupNormKernelImpl", input.dtype()));
    }
    Ok(())
}

/// `F.group_norm(input, num_groups, weight, bias, eps)` for an input of shape `[N, C, *]`.
pub fn group_norm(input: &Tensor, groups: usize, weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f64) -> Result<Tensor> {
    if input.dim() < 2 {
        return Err(Error::runtime(format!("Expected at least 2 dimensions for input tensor but received {}", input.dim())));
    }
    check(input, groups, weight, bias)?;
    let dtype = input.dtype();
    let shape = input.shape();
    let (n, c) = (shape[0], shape[1]);
    let hw: usize = shape[2..].iter().product();
    let as_dtype = |t: &Tensor| super::shape::convert(t, dtype);
    let (out, mean, rstd) = with_float_dtype!(dtype, T => {
        let w = weight.map(|w| dense::<T>(&as_dtype(w)));
        let b = bias.map(|b| dense::<T>(&as_dtype(b)));
        let (y, m, r) = group_norm_kernel(&dense::<T>(input), n * groups, c / groups, hw, w.as_deref(), b.as_deref(), groups, eps);
        (Tensor::from_vec(y, &shape)?, Tensor::from_vec(m, &[n, groups])?, Tensor::from_vec(r, &[n, groups])?)
    });
    // Absent affine parameters still count as (None) inputs of the node, as in PyTorch.
    let none = Tensor::scalar(0.0, dtype);
    let (w_in, b_in) = (weight.cloned().unwrap_or_else(|| none.clone()), bias.cloned().unwrap_or_else(|| none.clone()));
    let (has_weight, has_bias) = (weight.is_some(), bias.is_some());
    record(&[input, &w_in, &b_in], &[&out], || {
        let saved = vec![
            Some(SavedTensor::input(input).named("input")),
            Some(SavedTensor::maybe("weight", weight)),
            Some(SavedTensor::input(&mean).named("result1")),
            Some(SavedTensor::input(&rstd).named("result2")),
        ];
        let (ni, ci, gi) = (n as i64, c as i64, groups as i64);
        let mut affine_shape = vec![1i64, ci];
        affine_shape.extend(std::iter::repeat_n(1, shape.len() - 2));
        let full: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        // xhat = (x - mean) rstd per group, h = grad w:
        // dx = rstd (h - mean(h) - xhat mean(h xhat)), dw = sum(grad xhat), db = sum(grad) over N and positions
        backward_fn("NativeGroupNormBackward0", saved, move |node, s, g| {
            let x = s[0].as_ref().expect("saved");
            let g = &g[0];
            // Recomputed from x with recorded ops, so create_graph differentiates through mean/rstd.
            let xg = reshape(x, &[ni, gi, -1])?;
            let m = mean_dims(&xg, &[2], true)?;
            let centered = sub(&xg, &m)?;
            let var = mean_dims(&mul(&centered, &centered)?, &[2], true)?;
            let r = rsqrt(&add(&var, &Scalar::Float(eps).to_tensor())?)?;
            let xhat = mul(&centered, &r)?;
            let mut grads = vec![None, None, None];
            if needs(node, 0) {
                let h = match (has_weight, &s[1]) {
                    (true, Some(w)) => mul(g, &reshape(w, &affine_shape)?)?,
                    _ => g.clone(),
                };
                let h = reshape(&h, &[ni, gi, -1])?;
                let mh = mean_dims(&h, &[2], true)?;
                let mhx = mean_dims(&mul(&h, &xhat)?, &[2], true)?;
                grads[0] = Some(reshape(&mul(&r, &sub(&sub(&h, &mh)?, &mul(&xhat, &mhx)?)?)?, &full)?);
            }
            let per_channel = |t: &Tensor| -> Result<Tensor> { sum_dims(&reshape(t, &[ni, ci, -1])?, &[0, 2], false) };
            if has_weight && needs(node, 1) {
                grads[1] = Some(per_channel(&mul(g, &reshape(&xhat, &full)?)?)?);
            }
            if has_bias && needs(node, 2) {
                grads[2] = Some(per_channel(g)?);
            }
            Ok(grads)
        })
        .values(vals![("C", ci), ("HxW", hw as i64), ("N", ni), ("eps", eps), ("group", gi)])
    })?;
    debug_assert!(dtype == DType::F32 || dtype == DType::F64);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_norm_normalises_each_group_and_checks_shapes() {
        let x = Tensor::from_vec((0..12).map(|v| v as f64).collect::<Vec<_>>(), &[1, 4, 3]).unwrap();
        let y = group_norm(&x, 2, None, None, 0.0).unwrap().to_vec::<f64>().unwrap();
        let first: f64 = y[..6].iter().sum();
        assert!(first.abs() < 1e-12);
        let var: f64 = y[..6].iter().map(|v| v * v).sum::<f64>() / 6.0;
        assert!((var - 1.0).abs() < 1e-12);
        assert_eq!(
            group_norm(&x, 3, None, None, 1e-5).unwrap_err().message(),
            "Expected number of channels in input to be divisible by num_groups, but got input of shape [1, 4, 3] and num_groups=3"
        );
    }
}
