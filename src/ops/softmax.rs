//! Ops along one dim that keep the shape: softmax, log_softmax (fused, numerically stable: the
//! lane maximum is subtracted before exponentiating) and cumsum.

use super::backward::{backward_fn, output, vals};
use super::{exp, mul, record, sub, sum_dims, wrap_dim};
use crate::autograd::is_grad_enabled;
use crate::cpu::reduce as kernels;
use crate::cpu::reduce_simd::Float;
use crate::cpu::softmax as cpu_softmax;
use crate::error::{Error, Result};
use crate::tensor::{DType, Element, Tensor};
use crate::with_float_dtype;

fn lanes_raw<T: Element, U: Element>(t: &Tensor, dim: usize, f: impl Fn(&[T], &mut [U]) + Sync + Send) -> Result<Tensor> {
    let data = t.data();
    let buffer = data.storage.read();
    let values = kernels::map_lanes(T::slice(&buffer), &data.layout, dim, f);
    Tensor::from_vec(values, &data.layout.shape)
}

/// Softmax (`log`: log_softmax) of `t` along `dim` without recording: contiguous inputs in
/// place (lanes when `dim` is innermost, column blocks otherwise), other layouts through a
/// contiguous copy.
fn softmax_raw<T: Float>(t: &Tensor, dim: usize, log: bool) -> Result<Tensor> {
    let data = t.data();
    let buffer = data.storage.read();
    let shape = &data.layout.shape;
    let n = data.layout.numel();
    let gathered;
    let x = if data.layout.is_contiguous() {
        &T::slice(&buffer)[data.layout.offset..data.layout.offset + n]
    } else {
        gathered = data.layout.gather(T::slice(&buffer));
        &gathered[..]
    };
    let len = shape.get(dim).copied().unwrap_or(1);
    let inner: usize = shape.iter().skip(dim + 1).product();
    let values = if inner == 1 {
        cpu_softmax::softmax_lanes(x, len, log)
    } else {
        cpu_softmax::softmax_cols(x, n / (len * inner).max(1), len, inner, log)
    };
    Tensor::from_vec(values, shape)
}

/// The fused backward of softmax / log_softmax along `dim` of contiguous `y`, with `g` of any
/// layout (None when the dtypes differ: the caller composes it from recorded ops).
fn softmax_backward_raw(y: &Tensor, g: &Tensor, dim: usize, log: bool) -> Option<Result<Tensor>> {
    let (dy, dg) = (y.data(), g.data());
    let shape = dy.layout.shape.clone();
    if dy.dtype != dg.dtype || dg.layout.shape != shape || !dy.layout.is_contiguous() {
        return None;
    }
    let len = shape.get(dim).copied().unwrap_or(1);
    let inner: usize = shape.iter().skip(dim + 1).product();
    let n = dy.layout.numel();
    let (by, bg) = (dy.storage.read(), dg.storage.read());
    Some(with_float_dtype!(dy.dtype, T => {
        let ys = &T::slice(&by)[dy.layout.offset..dy.layout.offset + n];
        let out = if inner == 1 {
            cpu_softmax::softmax_backward_lanes(ys, T::slice(&bg), &dg.layout, len, log)
        } else {
            // Columns need `g` contiguous too.
            let gathered;
            let gs = if dg.layout.is_contiguous() {
                &T::slice(&bg)[dg.layout.offset..dg.layout.offset + n]
            } else {
                gathered = dg.layout.gather(T::slice(&bg));
                &gathered[..]
            };
            cpu_softmax::softmax_backward_cols(ys, gs, n / (len * inner).max(1), len, inner, log)
        };
        Tensor::from_vec(out, &shape)
    }))
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
    let out = with_float_dtype!(t.dtype(), T => softmax_raw::<T>(t, d, log))?;
    let dims = [d as i64];
    let is_scalar = t.dim() == 0;
    let saved = || vec![output("result", &out, 0)];
    if log {
        record(&[t], &[&out], || {
            // d log_softmax = grad - exp(y) * sum(grad, dim)
            backward_fn("LogSoftmaxBackward0", saved(), move |_, s, g| {
                let y = s[0].as_ref().expect("saved");
                if !is_grad_enabled() {
                    if let Some(fused) = softmax_backward_raw(y, &g[0], d, true) {
                        return Ok(vec![Some(fused?)]);
                    }
                }
                let total = if is_scalar { g[0].clone() } else { sum_dims(&g[0], &dims, true)? };
                Ok(vec![Some(sub(&g[0], &mul(&exp(y)?, &total)?)?)])
            }).values(vals![("dim", dim)])
        })?;
    } else {
        record(&[t], &[&out], || {
            // d softmax = y * (grad - sum(grad * y, dim))
            backward_fn("SoftmaxBackward0", saved(), move |_, s, g| {
                let y = s[0].as_ref().expect("saved");
                if !is_grad_enabled() {
                    if let Some(fused) = softmax_backward_raw(y, &g[0], d, false) {
                        return Ok(vec![Some(fused?)]);
                    }
                }
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
    // float32 accumulates in double and rounds each output, as PyTorch's cpu_cum_base_kernel.
    fn scan_f32(x: &[f32], o: &mut [f32], reverse: bool) {
        let mut acc = 0.0f64;
        if reverse {
            for (v, d) in x.iter().zip(o.iter_mut()).rev() {
                acc += *v as f64;
                *d = acc as f32;
            }
        } else {
            for (v, d) in x.iter().zip(o.iter_mut()) {
                acc += *v as f64;
                *d = acc as f32;
            }
        }
    }
    match t.dtype() {
        DType::F32 => lanes_raw::<f32, f32>(t, dim, |x, o| scan_f32(x, o, reverse)),
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
