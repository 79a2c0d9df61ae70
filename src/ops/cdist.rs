//! `torch.cdist(x1, x2, p)`: p-norm distances between the rows of two (batches of) matrices,
//! batch dims broadcast. Recorded as CdistBackward0, or, for p = 2 when PyTorch takes its
//! matrix-product path, as EuclideanDistBackward0 under a ViewBackward0 (same gradient).

use super::backward::{backward_fn, input, output, vals};
use super::compare::{compare, keep_where, Cmp};
use super::{dense, record};
use crate::autograd::GradModeGuard;
use crate::error::{Error, Result};
use crate::tensor::{broadcast_shapes, DType, Scalar, Tensor};
use crate::with_float_dtype;

fn arg(s: &[Option<Tensor>], i: usize) -> &Tensor {
    s[i].as_ref().expect("saved tensor")
}

/// The gradients of `dist = ||x1_i - x2_j||_p` (`d` = x1_i - x2_j):
/// gx1_i = sum_j g_ij sign(d) |d|^(p-1) / dist^(p-1), gx2_j = -sum_i (same); 0 where dist = 0;
/// p = inf: g_ij sign(d) where |d| = dist; p = 0: 0.
fn cdist_backward(g: &Tensor, x1: &Tensor, x2: &Tensor, result: &Tensor, p: f64) -> Result<(Tensor, Tensor)> {
    let diff = super::sub(&super::unsqueeze(x1, -2)?, &super::unsqueeze(x2, -3)?)?;
    if p == 0.0 {
        let zero = super::mul(&diff, &Tensor::wrapped_scalar(0.0, DType::F64))?;
        return Ok((super::sum_dims(&zero, &[-2], false)?, super::sum_dims(&zero, &[-3], false)?));
    }
    let (g, r) = (super::unsqueeze(g, -1)?, super::unsqueeze(result, -1)?);
    let sgn = super::sign(&diff)?;
    let w = if p == 1.0 {
        sgn
    } else if p.is_infinite() {
        keep_where(&compare(Cmp::Eq, &super::abs(&diff)?, &r)?, &sgn)?
    } else {
        let nonzero = compare(Cmp::Ne, &r, &Tensor::wrapped_scalar(0.0, DType::F64))?;
        let w = if p == 2.0 {
            super::div(&diff, &r)?
        } else {
            let num = super::mul(&sgn, &super::pow_scalar(&super::abs(&diff)?, Scalar::Float(p - 1.0))?)?;
            let num = if p < 1.0 { keep_where(&compare(Cmp::Ne, &diff, &Tensor::wrapped_scalar(0.0, DType::F64))?, &num)? } else { num };
            super::div(&num, &super::pow_scalar(&r, Scalar::Float(p - 1.0))?)?
        };
        keep_where(&nonzero, &w)?
    };
    let gw = super::mul(&g, &w)?;
    Ok((super::sum_dims(&gw, &[-2], false)?, super::neg(&super::sum_dims(&gw, &[-3], false)?)?))
}

/// `cdist(x1, x2, p)`; `use_mm` says whether PyTorch would take its matrix-product path for the
/// Euclidean distance (`compute_mode`: 0 if necessary (more than 25 rows), 1 always, 2 never).
pub fn cdist(x1: &Tensor, x2: &Tensor, p: f64, compute_mode: i64) -> Result<Tensor> {
    for (name, t) in [("X1", x1), ("X2", x2)] {
        if t.dim() < 2 {
            return Err(Error::runtime(format!("cdist only supports at least 2D tensors, {name} got: {}D", t.dim())));
        }
    }
    let (s1, s2) = (x1.shape(), x2.shape());
    let m = s1[s1.len() - 1];
    if m != s2[s2.len() - 1] {
        return Err(Error::runtime(format!("X1 and X2 must have the same number of columns. X1: {m} X2: {}", s2[s2.len() - 1])));
    }
    for (name, t) in [("X1", x1), ("X2", x2)] {
        if !t.dtype().is_float() {
            return Err(Error::runtime(format!("cdist only supports floating-point dtypes, {name} got: {}", t.dtype().scalar_type_name())));
        }
    }
    if p < 0.0 || p.is_nan() {
        return Err(Error::runtime("cdist only supports non-negative p values"));
    }
    let (r1, r2) = (s1[s1.len() - 2], s2[s2.len() - 2]);
    let use_mm = p == 2.0 && (compute_mode == 1 || (compute_mode == 0 && (r1 > 25 || r2 > 25)));
    if x1.dtype() != x2.dtype() {
        return Err(Error::runtime(if use_mm {
            format!("expected m1 and m2 to have the same dtype, but got: {} != {}", x1.dtype().cpp_type_name(), x2.dtype().cpp_type_name())
        } else {
            format!("expected scalar type {} but found {}", x1.dtype().scalar_type_name(), x2.dtype().scalar_type_name())
        }));
    }
    let batch_shape = broadcast_shapes(&s1[..s1.len() - 2], &s2[..s2.len() - 2])?;
    let batch: usize = batch_shape.iter().product();
    let mut out_shape = batch_shape.clone();
    out_shape.extend([r1, r2]);
    let out = {
        let _no_grad = GradModeGuard::new(false);
        let full = |rows: usize| batch_shape.iter().copied().chain([rows, m]).collect::<Vec<_>>();
        let (e1, e2) = (super::expand(x1, &full(r1))?, super::expand(x2, &full(r2))?);
        with_float_dtype!(x1.dtype(), T => Tensor::from_vec(crate::cpu::cdist::cdist(&dense::<T>(&e1), &dense::<T>(&e2), batch, r1, r2, m, p), &out_shape)?)
    };
    let saved = |out: &Tensor| vec![input("x1", x1), input("x2", x2), output("result", out, 0)];
    if use_mm {
        let dist = out;
        record(&[x1, x2], &[&dist], || {
            // d ||x1_i - x2_j|| = g_ij (x1_i - x2_j) / dist_ij (0 where dist = 0), negated for x2
            backward_fn("EuclideanDistBackward0", saved(&dist), move |_, s, g| {
                let (g1, g2) = cdist_backward(&g[0], arg(&s, 0), arg(&s, 1), arg(&s, 2), 2.0)?;
                Ok(vec![Some(g1), Some(g2)])
            })
        })?;
        return super::view(&dist, &super::shape_i64(&out_shape));
    }
    record(&[x1, x2], &[&out], || {
        // d ||x1_i - x2_j||_p = g_ij sign(d) |d|^(p-1) / dist^(p-1) for x1, negated for x2
        backward_fn("CdistBackward0", saved(&out), move |_, s, g| {
            let (g1, g2) = cdist_backward(&g[0], arg(&s, 0), arg(&s, 1), arg(&s, 2), p)?;
            Ok(vec![Some(g1), Some(g2)])
        })
        .values(vals![("p", p)])
    })?;
    Ok(out)
}
