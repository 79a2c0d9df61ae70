//! `rustgrad.nn.functional` ops that need their own node: `embedding` (EmbeddingBackward0) and
//! `native_batch_norm` (NativeBatchNormBackward0).
//!
//! Forwards are computed with the existing kernels under a no-grad guard and recorded as one
//! node. Backward formulas are written with recorded ops and recompute the batch statistics from
//! the saved input, so `create_graph=True` gives exact higher-order gradients.

use super::backward::{backward_fn, input};
use super::binary::{add, mul, mul_scalar, sub};
use super::compare::{compare, keep_where, Cmp};
use super::index::index_put;
use super::reduce::{mean_dims, sum_dims};
use super::reduce_stats::var_std;
use super::shape::{convert, to_dtype};
use super::unary::rsqrt;
use super::view::reshape;
use super::{gather, needs, record};
use crate::autograd::{GradModeGuard, SavedTensor};
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

fn saved(s: &[Option<Tensor>], i: usize) -> &Tensor {
    s[i].as_ref().expect("saved tensor")
}

// ----- embedding -----

/// `F.embedding(indices, weight, padding_idx, scale_grad_by_freq)`: rows of the 2-d `weight`
/// picked by `indices` (any shape), shape `indices.shape + [embedding_dim]`.
pub fn embedding(weight: &Tensor, indices: &Tensor, padding_idx: Option<i64>, scale_grad_by_freq: bool) -> Result<Tensor> {
    if !matches!(indices.dtype(), DType::I64 | DType::I32) {
        return Err(Error::runtime(format!(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got {} instead (while checking arguments for embedding)",
            indices.dtype().legacy_type_name()
        )));
    }
    if weight.dim() != 2 {
        return Err(Error::runtime("'weight' must be 2-D"));
    }
    let (num_weights, dim) = (weight.shape()[0], weight.shape()[1]);
    let flat = convert(&reshape(indices, &[-1])?, DType::I64);
    let ids = flat.to_vec::<i64>()?;
    if ids.iter().any(|&i| i < 0 || i as usize >= num_weights) {
        return Err(Error::index("index out of range in self"));
    }
    let mut out_shape: Vec<i64> = indices.shape().iter().map(|&s| s as i64).collect();
    out_shape.push(dim as i64);
    let out = {
        let _guard = GradModeGuard::new(false);
        reshape(&gather::index_select(weight, 0, &flat)?, &out_shape)?
    };
    let out = Tensor::from_buffer(out.contiguous_buffer(), &out.shape())?;
    let padding = padding_idx.map(|p| if p < 0 { p + num_weights as i64 } else { p });
    record(&[weight], &[&out], || {
        // d embedding(w)[i] = sum of grad rows whose index is i (zero for padding_idx; / count(i) when scaling by freq)
        backward_fn("EmbeddingBackward0", vec![input("indices", &flat)], move |_, s, g| {
            let idx = saved(&s, 0);
            let rows = reshape(&g[0], &[-1, dim as i64])?;
            let mut rows = match padding {
                Some(p) => {
                    let keep = compare(Cmp::Ne, idx, &Tensor::scalar(p as f64, DType::I64))?;
                    keep_where(&reshape(&keep, &[-1, 1])?, &rows)?
                }
                None => rows,
            };
            if scale_grad_by_freq {
                let ids = idx.to_vec::<i64>()?;
                let mut counts = vec![0usize; num_weights];
                ids.iter().for_each(|&i| counts[i as usize] += 1);
                let scale: Vec<f64> = ids.iter().map(|&i| 1.0 / counts[i as usize] as f64).collect();
                let scale = to_dtype(&Tensor::from_vec(scale, &[ids.len(), 1])?, rows.dtype())?;
                rows = mul(&rows, &scale)?;
            }
            let zeros = Tensor::zeros(&[num_weights, dim], g[0].dtype());
            Ok(vec![Some(index_put(&zeros, &[Some(idx.clone()), None], &rows, true)?)])
        })
    })?;
    Ok(out)
}

// ----- batch norm -----

/// Shape `[1, C, 1, ...]` for a per-channel vector against an `ndim`-d input.
fn channel_shape(c: usize, ndim: usize) -> Vec<i64> {
    (0..ndim).map(|d| if d == 1 { c as i64 } else { 1 }).collect()
}

/// The per-channel statistics of a training batch: `(mean, invstd)` kept as `[1, C, 1, ...]`.
fn batch_stats(x: &Tensor, dims: &[i64], eps: f64) -> Result<(Tensor, Tensor)> {
    let mean = mean_dims(x, dims, true)?;
    let var = var_std(x, Some(dims), 0.0, true, false)?;
    Ok((mean, rsqrt(&add(&var, &Tensor::wrapped_scalar(eps, DType::F64))?)?))
}

/// `torch.native_batch_norm`: returns `(output, save_mean, save_invstd)`; in training the batch
/// statistics normalize the input and `running_mean`/`running_var` (when given) are updated in
/// place with `momentum` (the variance unbiased), in eval the running statistics are used.
#[allow(clippy::too_many_arguments)]
pub fn native_batch_norm(
    x: &Tensor,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    running_mean: Option<&Tensor>,
    running_var: Option<&Tensor>,
    training: bool,
    momentum: f64,
    eps: f64,
) -> Result<(Tensor, Tensor, Tensor)> {
    let shape = x.shape();
    if shape.len() < 2 {
        let n = shape.len() as i64;
        return Err(Error::index(format!(
            "Dimension out of range (expected to be in range of [{}, {}], but got 1)",
            -n.max(1),
            n.max(1) - 1
        )));
    }
    let c = shape[1];
    for (name, t) in [("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)] {
        if let Some(t) = t {
            if t.numel() != c {
                return Err(Error::runtime(format!("{name} should contain {c} elements not {}", t.numel())));
            }
        }
    }
    if !training {
        for (name, t) in [("running_mean", running_mean), ("running_var", running_var)] {
            if t.is_none() {
                return Err(Error::runtime(format!("{name} must be defined in evaluation mode")));
            }
        }
    }
    let dims: Vec<i64> = (0..shape.len() as i64).filter(|&d| d != 1).collect();
    let cshape = channel_shape(c, shape.len());
    let count = x.numel() / c.max(1);
    let (out, save_mean, save_invstd) = {
        let _guard = GradModeGuard::new(false);
        let (mean, invstd) = if training {
            batch_stats(x, &dims, eps)?
        } else {
            let rm = to_dtype(&reshape(running_mean.expect("checked"), &cshape)?, x.dtype())?;
            let rv = to_dtype(&reshape(running_var.expect("checked"), &cshape)?, x.dtype())?;
            (rm, rsqrt(&add(&rv, &Tensor::wrapped_scalar(eps, DType::F64))?)?)
        };
        let mut out = mul(&sub(x, &mean)?, &invstd)?;
        if let Some(w) = weight {
            out = mul(&out, &reshape(w, &cshape)?)?;
        }
        if let Some(b) = bias {
            out = add(&out, &reshape(b, &cshape)?)?;
        }
        if training {
            let keep = Tensor::wrapped_scalar(1.0 - momentum, DType::F64);
            if let Some(rm) = running_mean {
                // running_mean = momentum * mean + (1 - momentum) * running_mean
                let new = add(&mul_scalar(&reshape(&mean, &[-1])?, momentum)?, &mul(rm, &keep)?)?;
                super::copy_(rm, &new)?;
            }
            if let Some(rv) = running_var {
                // running_var = momentum * var * n / (n - 1) + (1 - momentum) * running_var
                let var = var_std(x, Some(&dims), 0.0, false, false)?;
                let unbiased = mul_scalar(&var, count as f64 / (count as f64 - 1.0))?;
                let new = add(&mul_scalar(&unbiased, momentum)?, &mul(rv, &keep)?)?;
                super::copy_(rv, &new)?;
            }
        }
        let (m, s) = if training {
            (reshape(&mean, &[-1])?, reshape(&invstd, &[-1])?)
        } else {
            (Tensor::zeros(&[0], x.dtype()), Tensor::zeros(&[0], x.dtype()))
        };
        (out, m, s)
    };
    let out = Tensor::from_buffer(out.contiguous_buffer(), &shape)?;
    let inputs: Vec<&Tensor> = [Some(x), weight, bias].into_iter().flatten().collect();
    let (has_w, has_b) = (weight.is_some(), bias.is_some());
    record(&inputs, &[&out], || {
        // xhat = (x - mean) * invstd; d x = invstd * (gw - mean(gw) - xhat * mean(gw * xhat)) with gw = grad * w
        // (training; eval: gw * invstd), d w = sum(grad * xhat), d b = sum(grad)
        let mut to_save = vec![input("input", x), Some(SavedTensor::maybe("weight", weight))];
        if !training {
            to_save.push(Some(SavedTensor::maybe("running_mean", running_mean)));
            to_save.push(Some(SavedTensor::maybe("running_var", running_var)));
        }
        backward_fn("NativeBatchNormBackward0", to_save, move |node, s, g| {
            let x = saved(&s, 0);
            let g = &g[0];
            let (mean, invstd) = if training {
                batch_stats(x, &dims, eps)?
            } else {
                let rm = to_dtype(&reshape(saved(&s, 2), &cshape)?, x.dtype())?;
                let rv = to_dtype(&reshape(saved(&s, 3), &cshape)?, x.dtype())?;
                (rm, rsqrt(&add(&rv, &Tensor::wrapped_scalar(eps, DType::F64))?)?)
            };
            let xhat = mul(&sub(x, &mean)?, &invstd)?;
            let gw = match &s[1] {
                Some(w) => mul(g, &reshape(w, &cshape)?)?,
                None => g.clone(),
            };
            let mut grads = Vec::with_capacity(3);
            grads.push(if !needs(node, 0) {
                None
            } else if training {
                let centered = sub(&sub(&gw, &mean_dims(&gw, &dims, true)?)?, &mul(&xhat, &mean_dims(&mul(&gw, &xhat)?, &dims, true)?)?)?;
                Some(mul(&centered, &invstd)?)
            } else {
                Some(mul(&gw, &invstd)?)
            });
            if has_w {
                grads.push(if needs(node, 1) { Some(sum_dims(&mul(g, &xhat)?, &dims, false)?) } else { None });
            }
            if has_b {
                grads.push(if needs(node, grads.len()) { Some(sum_dims(g, &dims, false)?) } else { None });
            }
            Ok(grads)
        })
    })?;
    Ok((out, save_mean, save_invstd))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(n: usize, shape: &[usize]) -> Tensor {
        Tensor::from_vec((0..n).map(|v| (v as f64 * 0.7).sin() * 3.0).collect::<Vec<_>>(), shape).unwrap()
    }

    #[test]
    fn embedding_picks_rows_and_checks_indices() {
        let w = vals(8, &[4, 2]);
        let idx = Tensor::from_vec(vec![3i64, 0, 3], &[3]).unwrap();
        let out = embedding(&w, &idx, None, false).unwrap();
        let wv = w.to_vec::<f64>().unwrap();
        assert_eq!(out.shape(), vec![3, 2]);
        assert_eq!(out.to_vec::<f64>().unwrap(), vec![wv[6], wv[7], wv[0], wv[1], wv[6], wv[7]]);
        let bad = Tensor::from_vec(vec![4i64], &[1]).unwrap();
        assert_eq!(embedding(&w, &bad, None, false).unwrap_err().message(), "index out of range in self");
        let float = Tensor::zeros(&[1], DType::F32);
        assert!(embedding(&w, &float, None, false).unwrap_err().message().contains("'indices'"));
    }

    #[test]
    fn batch_norm_normalizes_each_channel_and_updates_running_stats() {
        // 5 rows x 3 channels, an odd batch around rayon's grain would not change the math.
        let x = vals(15, &[5, 3]);
        let rm = Tensor::zeros(&[3], DType::F64);
        let rv = Tensor::ones(&[3], DType::F64);
        let (out, mean, invstd) = native_batch_norm(&x, None, None, Some(&rm), Some(&rv), true, 0.1, 0.0).unwrap();
        let (o, xv) = (out.to_vec::<f64>().unwrap(), x.to_vec::<f64>().unwrap());
        for c in 0..3 {
            let col: Vec<f64> = (0..5).map(|r| xv[r * 3 + c]).collect();
            let m = col.iter().sum::<f64>() / 5.0;
            let var = col.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / 5.0;
            assert!((mean.to_vec::<f64>().unwrap()[c] - m).abs() < 1e-12);
            assert!((invstd.to_vec::<f64>().unwrap()[c] - 1.0 / var.sqrt()).abs() < 1e-9);
            let normalized: Vec<f64> = (0..5).map(|r| o[r * 3 + c]).collect();
            assert!(normalized.iter().sum::<f64>().abs() < 1e-9);
            assert!((normalized.iter().map(|v| v * v).sum::<f64>() / 5.0 - 1.0).abs() < 1e-9);
            assert!((rm.to_vec::<f64>().unwrap()[c] - 0.1 * m).abs() < 1e-12);
            assert!((rv.to_vec::<f64>().unwrap()[c] - (0.9 + 0.1 * var * 5.0 / 4.0)).abs() < 1e-12);
        }
        let short = Tensor::zeros(&[2], DType::F64);
        let err = native_batch_norm(&x, Some(&short), None, None, None, true, 0.1, 1e-5).unwrap_err();
        assert_eq!(err.message(), "weight should contain 3 elements not 2");
        let err = native_batch_norm(&x, None, None, None, Some(&rv), false, 0.1, 1e-5).unwrap_err();
        assert_eq!(err.message(), "running_mean must be defined in evaluation mode");
    }
}
