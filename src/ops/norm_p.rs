//! `at::norm(t, p, dim, keepdim)` (NormBackward1) and `clamp_min(t, min)` (ClampMinBackward0):
//! the nodes PyTorch's `pairwise_distance` and `F.normalize` record. Forward values come from
//! `vector_norm` and `clamp`, computed without recording.

use super::backward::{backward_fn, input, output, vals};
use super::binary::{div, mul, pow_scalar};
use super::compare::{compare, keep_where, Cmp};
use super::inplace::in_place;
use super::record;
use super::shape::reshape;
use super::unary::{abs, sign};
use crate::autograd::GradModeGuard;
use crate::error::Result;
use crate::tensor::{DType, Scalar, Tensor};

fn saved(s: &[Option<Tensor>], i: usize) -> &Tensor {
    s[i].as_ref().expect("saved tensor")
}

/// The result reshaped to keep the reduced dims (so it broadcasts against the input).
fn keep(t: &Tensor, shape: &[usize], dims: &[usize], keepdim: bool) -> Result<Tensor> {
    if keepdim {
        return Ok(t.clone());
    }
    let kd: Vec<i64> = shape.iter().enumerate().map(|(i, &s)| if dims.contains(&i) { 1 } else { s as i64 }).collect();
    reshape(t, &kd)
}

/// `norm(t, p, dims, keepdim)` for a finite `p > 0` or `p = inf`.
pub fn norm_p(t: &Tensor, p: f64, dims: &[i64], keepdim: bool) -> Result<Tensor> {
    let out = {
        let _no_grad = GradModeGuard::new(false);
        super::vector_norm(t, p, Some(dims), keepdim)?
    };
    let shape = t.shape();
    let reduced: Vec<usize> = dims.iter().map(|&d| super::wrap_dim(d, shape.len())).collect::<Result<_>>()?;
    let dim_vals = dims.to_vec();
    record(&[t], &[&out], || {
        // d ||x||_p = grad * sign(x) |x|^(p-1) / ||x||^(p-1) (0 where the norm is 0); inf: grad*sign(x) shared by the maxima
        backward_fn("NormBackward1", vec![input("self", t), output("result", &out, 0)], move |_, s, g| {
            let (x, r) = (saved(&s, 0), saved(&s, 1));
            let (r, g) = (keep(r, &shape, &reduced, keepdim)?, keep(&g[0], &shape, &reduced, keepdim)?);
            let sgn = sign(x)?;
            let grad = if p.is_infinite() {
                let hit = compare(Cmp::Eq, &abs(x)?, &r)?;
                let hit = super::to_dtype(&hit, x.dtype())?;
                let count = super::sum_dims(&hit, &dim_vals, true)?;
                mul(&div(&mul(&hit, &sgn)?, &count)?, &g)?
            } else {
                let nonzero = compare(Cmp::Ne, &r, &Tensor::wrapped_scalar(0.0, DType::F64))?;
                let numer = if p == 2.0 { x.clone() } else if p == 1.0 { sgn.clone() } else { mul(&sgn, &pow_scalar(&abs(x)?, Scalar::Float(p - 1.0))?)? };
                let denom = if p == 2.0 { r.clone() } else if p == 1.0 { Tensor::scalar(1.0, r.dtype()) } else { pow_scalar(&r, Scalar::Float(p - 1.0))? };
                keep_where(&nonzero, &div(&mul(&g, &numer)?, &denom)?)?
            };
            Ok(vec![Some(grad)])
        })
        .values(vals![("dim", dims.to_vec()), ("keepdim", keepdim), ("p", p)])
    })?;
    Ok(out)
}

/// `t + c` as ATen's C++ composites spell it (`add.Scalar`, AddBackward1, nothing saved): what
/// `pairwise_distance` records for its `+ eps` (Python's `t + c` records AddBackward0).
pub fn add_scalar_node(t: &Tensor, c: Scalar) -> Result<Tensor> {
    let out = {
        let _no_grad = GradModeGuard::new(false);
        super::add(t, &c.to_tensor())?
    };
    record(&[t], &[&out], || {
        // d(t + c) = grad
        backward_fn("AddBackward1", vec![], |_, _, g| Ok(vec![Some(g[0].clone())]))
    })?;
    Ok(out)
}

/// `max(t, min)` with a number bound (ClampMinBackward0).
pub fn clamp_min(t: &Tensor, min: Scalar) -> Result<Tensor> {
    clamp_bound(t, min, Bound::Min)
}

/// `min(t, max)` with a number bound (ClampMaxBackward0).
pub fn clamp_max(t: &Tensor, max: Scalar) -> Result<Tensor> {
    clamp_bound(t, max, Bound::Max)
}

/// Which side a one-sided clamp bounds.
#[derive(Clone, Copy)]
enum Bound {
    Min,
    Max,
}

fn clamp_bound(t: &Tensor, bound: Scalar, side: Bound) -> Result<Tensor> {
    let out = {
        let _no_grad = GradModeGuard::new(false);
        match side {
            Bound::Min => super::clamp(t, Some(bound), None)?,
            Bound::Max => super::clamp(t, None, Some(bound))?,
        }
    };
    record(&[t], &[&out], || {
        // d clamp_min = grad where x >= min, else 0; d clamp_max = grad where x <= max, else 0
        let (name, keep, key) = match side {
            Bound::Min => ("ClampMinBackward0", Cmp::Ge, "min"),
            Bound::Max => ("ClampMaxBackward0", Cmp::Le, "max"),
        };
        backward_fn(name, vec![input("self", t)], move |_, s, g| {
            Ok(vec![Some(keep_where(&compare(keep, saved(&s, 0), &bound.to_tensor())?, &g[0])?)])
        })
        .values(vals![(key, bound)])
    })?;
    Ok(out)
}

/// `max(t, min)` with a tensor bound, broadcast (ClampMinBackward1).
pub fn clamp_min_tensor(t: &Tensor, min: &Tensor) -> Result<Tensor> {
    clamp_bound_tensor(t, min, Bound::Min)
}

/// `min(t, max)` with a tensor bound, broadcast (ClampMaxBackward1).
pub fn clamp_max_tensor(t: &Tensor, max: &Tensor) -> Result<Tensor> {
    clamp_bound_tensor(t, max, Bound::Max)
}

fn clamp_bound_tensor(t: &Tensor, bound: &Tensor, side: Bound) -> Result<Tensor> {
    let out = {
        let _no_grad = GradModeGuard::new(false);
        match side {
            Bound::Min => super::clamp_tensor(t, Some(bound), None)?,
            Bound::Max => super::clamp_tensor(t, None, Some(bound))?,
        }
    };
    record(&[t, bound], &[&out], || {
        // d clamp_min = grad to x where x >= min, grad to min where x < min (clamp_max: <=, >)
        let (name, key, keep_x, keep_b) = match side {
            Bound::Min => ("ClampMinBackward1", "min", Cmp::Ge, Cmp::Lt),
            Bound::Max => ("ClampMaxBackward1", "max", Cmp::Le, Cmp::Gt),
        };
        backward_fn(name, vec![input(key, bound), input("self", t)], move |node, s, g| {
            let (b, x) = (saved(&s, 0), saved(&s, 1));
            let gx = if super::needs(node, 0) { Some(keep_where(&compare(keep_x, x, b)?, &g[0])?) } else { None };
            let gb = if super::needs(node, 1) { Some(keep_where(&compare(keep_b, x, b)?, &g[0])?) } else { None };
            Ok(vec![gx, gb])
        })
    })?;
    Ok(out)
}

/// In-place `clamp_min_(t, min)` with a tensor bound.
pub fn clamp_min_tensor_(target: &Tensor, min: &Tensor) -> Result<()> {
    in_place(target, |t| clamp_min_tensor(t, min))
}

/// In-place `clamp_min_(t, min)`.
pub fn clamp_min_(target: &Tensor, min: Scalar) -> Result<()> {
    in_place(target, |t| clamp_min(t, min))
}

/// In-place `clamp_max_(t, max)` with a tensor bound.
pub fn clamp_max_tensor_(target: &Tensor, max: &Tensor) -> Result<()> {
    in_place(target, |t| clamp_max_tensor(t, max))
}

/// In-place `clamp_max_(t, max)`.
pub fn clamp_max_(target: &Tensor, max: Scalar) -> Result<()> {
    in_place(target, |t| clamp_max(t, max))
}
