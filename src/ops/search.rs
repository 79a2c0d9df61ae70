//! Searching and counting: `searchsorted` / `bucketize`, `bincount`, `histc`, `unique`. Integer or
//! float results, never differentiable.

use crate::cpu::search as kernels;
use super::backward::backward_fn;
use super::record;
use crate::error::{Error, Result};
use crate::tensor::{shape_str, DType, Tensor};
use crate::with_dtype;

/// The elements of `t` widened to f64, in logical order.
fn values_f64(t: &Tensor) -> Vec<f64> {
    t.to_f64_vec()
}

/// Indices where `values` would be inserted into the lanes of `sorted` (its last dim; a 1-D
/// `sorted` serves every value, else its leading dims match `values`'). int64 (int32 when
/// `out_int32`).
pub fn searchsorted(sorted: &Tensor, values: &Tensor, right: bool, out_int32: bool) -> Result<Tensor> {
    let (bs, vs) = (sorted.shape(), values.shape());
    if sorted.dim() == 0 {
        return Err(Error::runtime("rustgrad.searchsorted(): boundaries tensor should have positive dimension, but got 0 dimension"));
    }
    if sorted.dim() != 1 && (bs.len() != vs.len() || bs[..bs.len() - 1] != vs[..vs.len() - 1]) {
        return Err(Error::runtime(format!(
            "rustgrad.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor {} and input value tensor {}",
            shape_str(&bs),
            shape_str(&vs)
        )));
    }
    let lane_len = *bs.last().expect("1-d or more");
    let seq = values_f64(sorted);
    let vals = values_f64(values);
    let per_lane = if sorted.dim() == 1 { vals.len().max(1) } else { *vs.last().unwrap_or(&1) };
    let found: Vec<i64> = vals
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let lane = if sorted.dim() == 1 { 0 } else { i / per_lane.max(1) };
            kernels::search_lane(&seq[lane * lane_len..(lane + 1) * lane_len], v, right) as i64
        })
        .collect();
    if out_int32 {
        Tensor::from_vec(found.into_iter().map(|i| i as i32).collect::<Vec<_>>(), &vs)
    } else {
        Tensor::from_vec(found, &vs)
    }
}

/// `bucketize(input, boundaries)`: `searchsorted(boundaries, input)` for 1-D boundaries.
pub fn bucketize(input: &Tensor, boundaries: &Tensor, right: bool, out_int32: bool) -> Result<Tensor> {
    if boundaries.dim() != 1 {
        return Err(Error::runtime(format!("boundaries tensor must be 1 dimension, but got dim({})", boundaries.dim())));
    }
    searchsorted(boundaries, input, right, out_int32)
}

/// Occurrences of each value of a 1-D non-negative integer tensor (weighted sums with
/// `weights`), at least `minlength` bins.
pub fn bincount(input: &Tensor, weights: Option<&Tensor>, minlength: i64) -> Result<Tensor> {
    if input.dtype().is_float() {
        return Err(super::unary::not_implemented("bincount_cpu", input.dtype()));
    }
    if minlength < 0 {
        return Err(Error::runtime("minlength should be >= 0"));
    }
    let refuse = || Error::runtime("bincount only supports 1-d non-negative integral inputs.");
    if input.dim() != 1 {
        return Err(refuse());
    }
    let values: Vec<i64> = values_f64(input).into_iter().map(|v| v as i64).collect();
    if values.iter().any(|&v| v < 0) {
        return Err(refuse());
    }
    if let Some(w) = weights {
        if w.dim() != 1 || w.numel() != input.numel() {
            return Err(Error::runtime("weights should be 1-d and have the same length as input"));
        }
    }
    let w = weights.map(values_f64);
    let counts = kernels::bincount(&values, w.as_deref(), minlength as usize);
    let n = counts.len();
    match weights.map(Tensor::dtype) {
        None => Tensor::from_vec(counts.into_iter().map(|c| c as i64).collect::<Vec<_>>(), &[n]),
        Some(DType::F32) => Tensor::from_vec(counts.into_iter().map(|c| c as f32).collect::<Vec<_>>(), &[n]),
        Some(_) => Tensor::from_vec(counts, &[n]),
    }
}

/// A histogram of `t` in `bins` equal bins over `[min, max]` (both 0: the data's range).
pub fn histc(t: &Tensor, bins: i64, min: f64, max: f64) -> Result<Tensor> {
    if !t.dtype().is_float() {
        return Err(super::unary::not_implemented("histogram_cpu", t.dtype()));
    }
    if bins <= 0 {
        return Err(Error::runtime(format!("rustgrad.histogram(): bins must be > 0, but got {bins} for dimension 0")));
    }
    let values = values_f64(t);
    let (mut lo, mut hi) = (min, max);
    if lo == hi && !values.is_empty() {
        lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    }
    if lo == hi {
        lo -= 1.0;
        hi += 1.0;
    }
    if lo > hi {
        return Err(Error::runtime("rustgrad.histc: max must be larger than min"));
    }
    if !lo.is_finite() || !hi.is_finite() {
        return Err(Error::runtime(format!("rustgrad.histc: range of [{lo}, {hi}] is not finite")));
    }
    let bins = bins as usize;
    match t.dtype() {
        DType::F32 => {
            let v: Vec<f32> = values.iter().map(|&x| x as f32).collect();
            Tensor::from_vec(kernels::histc(&v, bins, lo, hi), &[bins])
        }
        _ => Tensor::from_vec(kernels::histc(&values, bins, lo, hi), &[bins]),
    }
}

/// The sorted distinct elements of `t` (NaNs each kept), the index of each element's value in
/// them (shaped as `t`) and each value's count.
pub fn unique(t: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
    let shape = t.shape();
    with_dtype!(t.dtype(), T => {
        let values: Vec<T> = t.to_vec::<T>()?;
        let mut order: Vec<usize> = (0..values.len()).collect();
        // NaN sorts last, as PyTorch's sort; the sort is stable.
        order.sort_by(|&a, &b| {
            let (x, y) = (values[a], values[b]);
            x.partial_cmp(&y).unwrap_or_else(|| (x != x).cmp(&(y != y)))
        });
        let mut uniques: Vec<T> = Vec::new();
        let mut counts: Vec<i64> = Vec::new();
        let mut inverse = vec![0i64; values.len()];
        for &i in &order {
            let v = values[i];
            if uniques.last().is_some_and(|&u| u == v) {
                *counts.last_mut().expect("a value") += 1;
            } else {
                uniques.push(v);
                counts.push(1);
            }
            inverse[i] = uniques.len() as i64 - 1;
        }
        let n = uniques.len();
        Ok((Tensor::from_vec(uniques, &[n])?, Tensor::from_vec(inverse, &shape)?, Tensor::from_vec(counts, &[n])?))
    })
}

/// The distinct slices of `t` along `dim` in lexicographic order (PyTorch's `unique_dim`), the
/// index of each slice's unique slice, and each unique slice's count. The values come back as
/// PyTorch's `moveaxis(0, dim)` view of a contiguous result.
pub fn unique_dim(t: &Tensor, dim: i64) -> Result<(Tensor, Tensor, Tensor)> {
    let shape = t.shape();
    if shape.is_empty() {
        return Err(Error::index(format!("Dimension specified as {dim} but tensor has no dimensions")));
    }
    let d = super::wrap_dim(dim, shape.len())?;
    let zero_dims = shape.iter().filter(|&&s| s == 0).count();
    let empty_ints = || Tensor::from_vec(Vec::<i64>::new(), &[0]);
    if shape[d] == 0 {
        if zero_dims != 1 {
            return Err(Error::runtime("Number of zero sized dimensions is more than one, so unique cannot be applied "));
        }
        return Ok((Tensor::zeros(&shape, t.dtype()), empty_ints()?, empty_ints()?));
    }
    if zero_dims != 0 {
        return Err(Error::runtime("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied"));
    }
    // dim first: slice i is row i of the moved tensor
    let mut to_front: Vec<i64> = vec![d as i64];
    to_front.extend((0..shape.len() as i64).filter(|&i| i != d as i64));
    let moved = super::permute(&t.detach(), &to_front)?;
    let moved_shape = moved.shape();
    let (n, row) = (shape[d], t.numel() / shape[d]);
    let mut back: Vec<i64> = (1..shape.len() as i64).collect();
    back.insert(d, 0);
    let (values, inverse, counts) = with_dtype!(t.dtype(), T => {
        let data: Vec<T> = moved.to_vec::<T>()?;
        let rows: Vec<&[T]> = data.chunks(row).collect();
        let mut order: Vec<usize> = (0..n).collect();
        // lexicographic, NaN after every number; the sort is stable
        order.sort_by(|&a, &b| {
            rows[a]
                .iter()
                .zip(rows[b])
                .map(|(&x, &y)| x.partial_cmp(&y).unwrap_or_else(|| (x != x).cmp(&(y != y))))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut uniques: Vec<T> = Vec::new();
        let mut counts: Vec<i64> = Vec::new();
        let mut inverse = vec![0i64; n];
        let mut last: Option<usize> = None;
        for &i in &order {
            if last.is_some_and(|l| rows[l] == rows[i]) {
                *counts.last_mut().expect("a slice") += 1;
            } else {
                uniques.extend_from_slice(rows[i]);
                counts.push(1);
                last = Some(i);
            }
            inverse[i] = counts.len() as i64 - 1;
        }
        let mut out_shape = moved_shape.clone();
        out_shape[0] = counts.len();
        let m = counts.len();
        (Tensor::from_vec(uniques, &out_shape)?, Tensor::from_vec(inverse, &[n])?, Tensor::from_vec(counts, &[m])?)
    });
    // a plain tensor (not a view) with the moved strides, as PyTorch's kernel returns it
    let values = super::permute(&values, &back)?.data_alias();
    record(&[t], &[&values], || {
        // no derivative: PyTorch's UniqueDimBackward0 raises at backward
        backward_fn("UniqueDimBackward0", vec![], |_, _, _| {
            Err(Error::not_implemented("the derivative for 'unique_dim' is not implemented."))
        })
    })?;
    Ok((values, inverse, counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_count_histogram_unique() {
        let b = Tensor::from_vec(vec![1.0f64, 3.0, 5.0, 7.0, 9.0], &[5]).unwrap();
        let v = Tensor::from_vec(vec![3.0f64, 6.0, 9.0], &[3]).unwrap();
        assert_eq!(searchsorted(&b, &v, false, false).unwrap().to_vec::<i64>().unwrap(), vec![1, 3, 4]);
        assert_eq!(searchsorted(&b, &v, true, false).unwrap().to_vec::<i64>().unwrap(), vec![2, 3, 5]);
        let i = Tensor::from_vec(vec![0i64, 2, 2], &[3]).unwrap();
        assert_eq!(bincount(&i, None, 0).unwrap().to_vec::<i64>().unwrap(), vec![1, 0, 2]);
        let h = histc(&Tensor::from_vec(vec![1.0f32, 2.0, 1.0], &[3]).unwrap(), 4, 0.0, 3.0).unwrap();
        assert_eq!(h.to_vec::<f32>().unwrap(), vec![0.0, 2.0, 1.0, 0.0]);
        let (u, inv, c) = unique(&Tensor::from_vec(vec![3i64, 1, 2, 3, 1], &[5]).unwrap()).unwrap();
        assert_eq!(u.to_vec::<i64>().unwrap(), vec![1, 2, 3]);
        assert_eq!(inv.to_vec::<i64>().unwrap(), vec![2, 0, 1, 2, 0]);
        assert_eq!(c.to_vec::<i64>().unwrap(), vec![2, 1, 2]);
    }

    #[test]
    fn unique_dim_rows_and_columns() {
        let x = Tensor::from_vec(vec![1i64, 2, 1, 1, 2, 1, 0, 5, 0], &[3, 3]).unwrap();
        let (u, inv, c) = unique_dim(&x, 0).unwrap();
        assert_eq!(u.shape(), vec![2, 3]);
        assert_eq!(u.to_vec::<i64>().unwrap(), vec![0, 5, 0, 1, 2, 1]);
        assert_eq!(inv.to_vec::<i64>().unwrap(), vec![1, 1, 0]);
        assert_eq!(c.to_vec::<i64>().unwrap(), vec![1, 2]);
        let (u, inv, c) = unique_dim(&x, -1).unwrap();
        assert_eq!(u.shape(), vec![3, 2]);
        assert_eq!(u.to_vec::<i64>().unwrap(), vec![1, 2, 1, 2, 0, 5]);
        assert_eq!(inv.to_vec::<i64>().unwrap(), vec![0, 1, 0]);
        assert_eq!(c.to_vec::<i64>().unwrap(), vec![2, 1]);
        assert!(unique_dim(&Tensor::from_vec(vec![1.0f32], &[]).unwrap(), 0).is_err());
    }
}
