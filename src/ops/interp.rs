//! `atan2(a, b)` and `lerp(start, end, weight)` (number or tensor weight), broadcasting.

use super::backward::{backward_fn, input, vals};
use super::binary::mul_scalar;
use super::shape::convert;
use super::unary::not_implemented;
use super::{add, mul, neg, needs, record, reciprocal, sub};
use crate::error::{Error, Result};
use crate::tensor::{broadcast_shapes, DType, Element, Scalar, Tensor};

/// The elements of `t` broadcast to `shape`, in logical order.
fn broadcast_values<T: Element>(t: &Tensor, shape: &[usize]) -> Result<Vec<T>> {
    let data = t.data_ref();
    let layout = data.layout.broadcast_to(shape)?;
    let buffer = data.storage.read();
    Ok(layout.gather(T::slice(&buffer)))
}

/// `atan2(a, b)`: the angle of the point `(b, a)`; integer operands give the default float dtype.
pub fn atan2(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let shape = broadcast_shapes(&a.shape(), &b.shape())?;
    let promoted = DType::result_type(&[(a.dtype(), a.promotion_rank()), (b.dtype(), b.promotion_rank())]);
    let dtype = if promoted.is_float() { promoted } else { DType::default_float() };
    let (ca, cb) = (convert(a, dtype), convert(b, dtype));
    let out = match dtype {
        DType::F32 => {
            let (x, y) = (broadcast_values::<f32>(&ca, &shape)?, broadcast_values::<f32>(&cb, &shape)?);
            Tensor::from_vec(x.iter().zip(&y).map(|(p, q)| p.atan2(*q)).collect::<Vec<f32>>(), &shape)?
        }
        _ => {
            let (x, y) = (broadcast_values::<f64>(&ca, &shape)?, broadcast_values::<f64>(&cb, &shape)?);
            Tensor::from_vec(x.iter().zip(&y).map(|(p, q)| p.atan2(*q)).collect::<Vec<f64>>(), &shape)?
        }
    };
    record(&[a, b], &[&out], || {
        // d atan2(a, b) = grad*b/(a^2+b^2), -grad*a/(a^2+b^2)
        backward_fn("Atan2Backward0", vec![input("other", b), input("self", a)], |node, s, g| {
            let (b, a) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
            let recip = reciprocal(&add(&mul(a, a)?, &mul(b, b)?)?)?;
            let ga = if needs(node, 0) { Some(mul(&mul(&g[0], b)?, &recip)?) } else { None };
            let gb = if needs(node, 1) { Some(mul(&mul(&g[0], &neg(a)?)?, &recip)?) } else { None };
            Ok(vec![ga, gb])
        })
    })?;
    Ok(out)
}

/// PyTorch's checks of lerp's operand dtypes (floats only, `end` and `weight` of `start`'s dtype;
/// a 0-d weight may differ).
fn check_lerp(start: &Tensor, end: &Tensor, weight: Option<&Tensor>) -> Result<()> {
    let expected = |name: &str, t: &Tensor| {
        Error::runtime(format!("expected dtype {} for `{name}` but got dtype {}", start.dtype().cpp_type_name(), t.dtype().cpp_type_name()))
    };
    if end.dtype() != start.dtype() {
        return Err(expected("end", end));
    }
    if let Some(w) = weight {
        if w.dtype() != start.dtype() && w.dim() > 0 {
            return Err(expected("weight", w));
        }
    }
    if !start.dtype().is_float() {
        let kernel = if weight.is_some() { "lerp_kernel_tensor" } else { "lerp_kernel_scalar" };
        return Err(not_implemented(kernel, start.dtype()));
    }
    Ok(())
}

/// PyTorch's lerp of one element (`w < 0.5`: from the start, else from the end, for accuracy).
fn lerp1<T: Element>(s: f64, e: f64, w: f64) -> T {
    T::from_f64(if w.abs() < 0.5 { s + w * (e - s) } else { e - (e - s) * (1.0 - w) })
}

fn lerp_values<T: Element>(start: &Tensor, end: &Tensor, weight: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let s = broadcast_values::<T>(start, shape)?;
    let e = broadcast_values::<T>(end, shape)?;
    let w = broadcast_values::<T>(&convert(weight, T::DTYPE), shape)?;
    let out: Vec<T> = (0..s.len()).map(|i| lerp1::<T>(s[i].to_f64(), e[i].to_f64(), w[i].to_f64())).collect();
    Tensor::from_vec(out, shape)
}

fn lerp_raw(start: &Tensor, end: &Tensor, weight: &Tensor, shape: &[usize]) -> Result<Tensor> {
    match start.dtype() {
        DType::F32 => lerp_values::<f32>(start, end, weight, shape),
        _ => lerp_values::<f64>(start, end, weight, shape),
    }
}

/// `start + weight * (end - start)` with a number weight.
pub fn lerp_scalar(start: &Tensor, end: &Tensor, weight: Scalar) -> Result<Tensor> {
    check_lerp(start, end, None)?;
    let shape = broadcast_shapes(&start.shape(), &end.shape())?;
    let w = weight.to_f64();
    let out = lerp_raw(start, end, &Tensor::scalar(w, DType::F64), &shape)?;
    record(&[start, end], &[&out], || {
        // d lerp(s, e, w) = grad*(1-w), grad*w
        backward_fn("LerpBackward0", vec![], move |node, _, g| {
            let gs = if needs(node, 0) { Some(mul_scalar(&g[0], 1.0 - w)?) } else { None };
            let ge = if needs(node, 1) { Some(mul_scalar(&g[0], w)?) } else { None };
            Ok(vec![gs, ge])
        })
        .values(vals![("weight", weight)])
    })?;
    Ok(out)
}

/// `start + weight * (end - start)` with a tensor weight (all three broadcast).
pub fn lerp_tensor(start: &Tensor, end: &Tensor, weight: &Tensor) -> Result<Tensor> {
    check_lerp(start, end, Some(weight))?;
    let shape = broadcast_shapes(&broadcast_shapes(&start.shape(), &end.shape())?, &weight.shape())?;
    let out = lerp_raw(start, end, weight, &shape)?;
    record(&[start, end, weight], &[&out], || {
        // d lerp(s, e, w) = grad*(1-w), grad*w, grad*(e-s)
        backward_fn("LerpBackward1", vec![input("end", end), input("self", start), input("weight", weight)], |node, s, g| {
            let (e, st, w) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"), s[2].as_ref().expect("saved"));
            let gs = if needs(node, 0) { Some(mul(&g[0], &super::rsub_scalar(w, Scalar::Int(1))?)?) } else { None };
            let ge = if needs(node, 1) { Some(mul(&g[0], w)?) } else { None };
            let gw = if needs(node, 2) { Some(mul(&g[0], &sub(e, st)?)?) } else { None };
            Ok(vec![gs, ge, gw])
        })
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atan2_and_lerp_values() {
        let a = Tensor::from_vec(vec![1.0f64, -1.0], &[2]).unwrap();
        let b = Tensor::from_vec(vec![1.0f64], &[1]).unwrap();
        let r = atan2(&a, &b).unwrap().to_vec::<f64>().unwrap();
        assert!((r[0] - std::f64::consts::FRAC_PI_4).abs() < 1e-12 && (r[1] + std::f64::consts::FRAC_PI_4).abs() < 1e-12);
        let e = Tensor::from_vec(vec![3.0f64, 5.0], &[2]).unwrap();
        assert_eq!(lerp_scalar(&a, &e, Scalar::Float(0.5)).unwrap().to_vec::<f64>().unwrap(), vec![2.0, 2.0]);
        let w = Tensor::from_vec(vec![0.0f64, 1.0], &[2]).unwrap();
        assert_eq!(lerp_tensor(&a, &e, &w).unwrap().to_vec::<f64>().unwrap(), vec![1.0, 5.0]);
        let i = Tensor::from_vec(vec![1i64], &[1]).unwrap();
        assert_eq!(lerp_scalar(&i, &i, Scalar::Float(0.5)).unwrap_err().message(), "\"lerp_kernel_scalar\" not implemented for 'Long'");
    }
}
