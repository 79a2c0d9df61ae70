//! Ops along one dim that keep the shape: softmax, log_softmax (fused, numerically stable: the
//! lane maximum is subtracted before exponentiating) and cumsum.

use super::backward::{backward_fn, output, vals};
use super::{exp, mul, record, sub, sum_dims, wrap_dim};
use crate::cpu::reduce as kernels;
use crate::error::{Error, Result};
use crate::tensor::{DType, Element, Tensor};
use crate::with_float_dtype;

fn lanes_raw<T: Element, U: Element>(t: &Tensor, dim: usize, f: impl Fn(&[T], &mut [U]) + Sync + Send) -> Result<Tensor> {
    let data = t.data();
    let buffer = data.storage.read();
    let values = kernels::map_lanes(T::slice(&buffer), &data.layout, dim, f);
    Tensor::from_vec(values, &data.layout.shape)
}

/// The softmax of each lane in f64 (`log` gives log_softmax).
fn softmax_lane<T: Element>(x: &[T], out: &mut [T], log: bool) {
    let m = x.iter().map(|v| v.to_f64()).fold(f64::NEG_INFINITY, f64::max);
    // A lane of -inf (or +inf) has no finite shift; subtracting 0 keeps PyTorch's NaN results.
    let m = if m.is_finite() { m } else { 0.0 };
    if log {
        let lse = x.iter().map(|v| (v.to_f64() - m).exp()).sum::<f64>().ln();
        for (o, v) in out.iter_mut().zip(x) {
            *o = T::from_f64(v.to_f64() - m - lse);
        }
    } else {
        // One exp per element: keep exp(x - m) in f64 while summing, then scale.
        let e: Vec<f64> = x.iter().map(|v| (v.to_f64() - m).exp()).collect();
        let inv = 1.0 / e.iter().sum::<f64>();
        for (o, v) in out.iter_mut().zip(e) {
            *o = T::from_f64(v * inv);
        }
    }
}

/// `t.softmax(dim)` (SoftmaxBackward0) or `t.log_softmax(dim)` (LogSoftmaxBackward0); `dtype`
/// casts the input first, as PyTorch's `dtype=` argument does.
pub fn softmax(t: &Tensor, dim: i64, log: bool, dtype: Option<DType>) -> Result<Tensor> {
    let t = &match dtype {
        Some(d) if d != t.dtype() => super::to_dtype(t, d)?,
        _ => t.clone(),
    };
    let d = wrap_dim(dim, t.dim())?;
    if !t.dtype().is_float() {
        let kernel = if log { "log_softmax_lastdim_kernel_impl" } else { "softmax_lastdim_kernel_impl" };
        return Err(Error::not_implemented(format!("\"{kernel}\" not implemented for '{}'", t.dtype().scalar_type_name())));
    }
    let out = with_float_dtype!(t.dtype(), T => lanes_raw::<T, T>(t, d, |x, o| softmax_lane(x, o, log)))?;
    let dims = [d as i64];
    let is_scalar = t.dim() == 0;
    let saved = || vec![output("result", &out, 0)];
    if log {
        record(&[t], &[&out], || {
            // d log_softmax = grad - exp(y) * sum(grad, dim)
            backward_fn("LogSoftmaxBackward0", saved(), move |_, s, g| {
                let y = s[0].as_ref().expect("saved");
                let total = if is_scalar { g[0].clone() } else { sum_dims(&g[0], &dims, true)? };
                Ok(vec![Some(sub(&g[0], &mul(&exp(y)?, &total)?)?)])
            }).values(vals![("dim", dim)])
        })?;
    } else {
        record(&[t], &[&out], || {
            // d softmax = y * (grad - sum(grad * y, dim))
            backward_fn("SoftmaxBackward0", saved(), move |_, s, g| {
                let y = s[0].as_ref().expect("saved");
                let gy = mul(&g[0], y)?;
                let total = if is_scalar { gy.clone() } else { sum_dims(&gy, &dims, true)? };
                Ok(vec![Some(mul(y, &sub(&g[0], &total)?)?)])
            }).values(vals![("dim", dim)])
        })?;
    }
    Ok(out)
}

/// Running sums along `dim` (from the end when `reverse`), without recording.
fn cumsum_raw(t: &Tensor, dim: usize, reverse: bool) -> Result<Tensor> {
    fn scan<T: Element + std::ops::Add<Output = T>>(x: &[T], o: &mut [T], reverse: bool) {
        let mut acc = T::default();
        if reverse {
            for (v, d) in x.iter().zip(o.iter_mut()).rev() {
                acc = acc + *v;
                *d = acc;
            }
        } else {
            for (v, d) in x.iter().zip(o.iter_mut()) {
                acc = acc + *v;
                *d = acc;
            }
        }
    }
    match t.dtype() {
        DType::F32 => lanes_raw::<f32, f32>(t, dim, |x, o| scan(x, o, reverse)),
        DType::F64 => lanes_raw::<f64, f64>(t, dim, |x, o| scan(x, o, reverse)),
        DType::I64 => lanes_raw::<i64, i64>(t, dim, |x, o| scan(x, o, reverse)),
        DType::Bool | DType::I32 | DType::U8 => cumsum_raw(&super::shape::convert(t, DType::I64), dim, reverse),
    }
}

/// Recorded running sums: the backward of a forward scan is the reverse scan, and vice versa.
fn cumsum_dir(t: &Tensor, dim: usize, reverse: bool) -> Result<Tensor> {
    let out = cumsum_raw(t, dim, reverse)?;
    let name = if reverse { "FlipCumsumFlipBackward0" } else { "CumsumBackward0" };
    record(&[t], &[&out], || {
        // d cumsum(t) = reversed cumsum of grad
        backward_fn(name, vec![], move |_, _, g| Ok(vec![Some(cumsum_dir(&g[0], dim, !reverse)?)])).values(vals![("dim", dim)])
    })?;
    Ok(out)
}

/// `t.cumsum(dim)` (ints and bools accumulate as int64).
pub fn cumsum(t: &Tensor, dim: i64) -> Result<Tensor> {
    let d = wrap_dim(dim, t.dim())?;
    cumsum_dir(t, d, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_is_stable_for_large_inputs() {
        let t = Tensor::from_vec(vec![1000.0f32, 1000.0, -1000.0, 0.0], &[2, 2]).unwrap();
        let s = softmax(&t, 1, false, None).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(s[0], 0.5);
        assert_eq!(s[1], 0.5);
        let l = softmax(&t, 0, true, None).unwrap().to_vec::<f32>().unwrap();
        assert!(l.iter().all(|v| v.is_finite()));
        let ints = Tensor::from_vec(vec![1i64, 2], &[2]).unwrap();
        assert_eq!(
            softmax(&ints, 0, false, None).unwrap_err(),
            Error::not_implemented("\"softmax_lastdim_kernel_impl\" not implemented for 'Long'")
        );
    }

    #[test]
    fn cumsum_along_each_dim() {
        let t = Tensor::from_vec(vec![1i64, 2, 3, 4, 5, 6], &[2, 3]).unwrap();
        assert_eq!(cumsum(&t, 0).unwrap().to_vec::<i64>().unwrap(), vec![1, 2, 3, 5, 7, 9]);
        assert_eq!(cumsum(&t, -1).unwrap().to_vec::<i64>().unwrap(), vec![1, 3, 6, 4, 9, 15]);
        assert_eq!(cumsum_raw(&t, 1, true).unwrap().to_vec::<i64>().unwrap(), vec![6, 5, 3, 15, 11, 6]);
    }
}
