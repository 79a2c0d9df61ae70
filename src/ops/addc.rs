//! `addcmul` and `addcdiv`: `self + value * t1 * t2` and `self + value * t1 / t2`, evaluated in
//! the order of PyTorch's kernels (`(value * t1) op t2`, then `self +`), each step rounded as
//! there, so the results are PyTorch's floats. One node records the whole expression.

use super::backward::{backward_fn, save_if, vals};
use super::binary::{arith_raw, Arith};
use super::{mul, needs, neg, record};
use crate::error::{CheckedCollect, Error, Result};
use super::compare::broadcast_values;
use super::shape::convert;
use crate::tensor::{broadcast_shapes, DType, Element, Scalar, Tensor};

/// PyTorch's refusal of integer operands to `addcdiv`.
const INTEGER_ADDCDIV: &str = "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes.";

/// The broadcast of the three operands, checked in PyTorch's operand order (self, t1, t2) so a
/// mismatch names the sizes its iterator meets.
fn check_shapes(s: &Tensor, t1: &Tensor, t2: &Tensor) -> Result<()> {
    let first = broadcast_shapes(&s.shape(), &t1.shape())?;
    broadcast_shapes(&first, &t2.shape())?;
    Ok(())
}

/// `s + (value * t1) op t2`, unrecorded: the operands in their common dtype and `value` cast to
/// it (an int64 `addcmul` truncates `value=0.5` to 0, as PyTorch's kernel).
fn evaluate(kernel: &str, op: Arith, s: &Tensor, t1: &Tensor, t2: &Tensor, value: Scalar) -> Result<Tensor> {
    check_shapes(s, t1, t2)?;
    let dtype = DType::result_type(&[(s.dtype(), s.promotion_rank()), (t1.dtype(), t1.promotion_rank()), (t2.dtype(), t2.promotion_rank())]);
    if dtype == DType::Bool {
        return Err(Error::not_implemented(format!("\"{kernel}\" not implemented for 'Bool'")));
    }
    let value = if dtype.is_float() { Scalar::Float(value.to_f64()) } else { Scalar::Int(value.to_f64() as i64) };
    let [s, t1, t2] = [s, t1, t2].map(|t| convert(t, dtype));
    let scaled = arith_raw(Arith::Mul, &value.to_tensor(), &t1)?;
    match (op, dtype) {
        // PyTorch's float addcmul kernel is compiled with FMA contraction: fma(value * t1, t2, s).
        (Arith::Mul, DType::F32) => fused_multiply_add::<f32>(&scaled, &t2, &s),
        (Arith::Mul, DType::F64) => fused_multiply_add::<f64>(&scaled, &t2, &s),
        _ => arith_raw(Arith::Add, &s, &arith_raw(op, &scaled, &t2)?),
    }
}

/// `a * b + c` with one rounding, `a`, `b`, `c` broadcast together.
fn fused_multiply_add<T: Element + num_traits::Float>(a: &Tensor, b: &Tensor, c: &Tensor) -> Result<Tensor> {
    let shape = broadcast_shapes(&broadcast_shapes(&c.shape(), &a.shape())?, &b.shape())?;
    let (av, bv, cv) = (broadcast_values::<T>(a, &shape)?, broadcast_values::<T>(b, &shape)?, broadcast_values::<T>(c, &shape)?);
    let out: Vec<T> = av.iter().zip(&bv).zip(&cv).map(|((&x, &y), &z)| x.mul_add(y, z)).checked_collect();
    Tensor::from_vec(out, &shape)
}

/// `s + value * t1 * t2`.
pub fn addcmul(s: &Tensor, t1: &Tensor, t2: &Tensor, value: Scalar) -> Result<Tensor> {
    let out = evaluate("addcmul_cpu_out", Arith::Mul, s, t1, t2, value)?;
    record(&[s, t1, t2], &[&out], || {
        // d/ds = grad, d/dt1 = grad * t2 * value, d/dt2 = grad * t1 * value
        let saved = vec![save_if(t2.requires_grad(), "tensor1", t1), save_if(t1.requires_grad(), "tensor2", t2)];
        backward_fn("AddcmulBackward0", saved, move |node, saved, g| {
            let scaled = |t: &Tensor| -> Result<Tensor> { mul(&g[0], &mul(t, &value.to_tensor())?) };
            let grad_t1 = if needs(node, 1) { Some(scaled(saved[1].as_ref().expect("saved"))?) } else { None };
            let grad_t2 = if needs(node, 2) { Some(scaled(saved[0].as_ref().expect("saved"))?) } else { None };
            Ok(vec![needs(node, 0).then(|| g[0].clone()), grad_t1, grad_t2])
        })
        .values(vals![("value", value)])
    })?;
    Ok(out)
}

/// `s + value * t1 / t2` (refused for two integer tensors, as PyTorch).
pub fn addcdiv(s: &Tensor, t1: &Tensor, t2: &Tensor, value: Scalar) -> Result<Tensor> {
    if !t1.dtype().is_float() && !t2.dtype().is_float() {
        return Err(Error::runtime(INTEGER_ADDCDIV));
    }
    let out = evaluate("addcdiv_cpu_out", Arith::Div, s, t1, t2, value)?;
    record(&[s, t1, t2], &[&out], || {
        // d/ds = grad, d/dt1 = grad * (value / t2), d/dt2 = -grad * value * t1 / (t2 * t2)
        let saved = vec![save_if(t2.requires_grad(), "tensor1", t1), save_if(t1.requires_grad() || t2.requires_grad(), "tensor2", t2)];
        backward_fn("AddcdivBackward0", saved, move |node, saved, g| {
            let v = value.to_tensor();
            let t2 = || saved[1].as_ref().expect("saved when t1 or t2 needs a gradient");
            let grad_t1 = if needs(node, 1) { Some(mul(&g[0], &super::div(&v, t2())?)?) } else { None };
            let grad_t2 = if needs(node, 2) {
                let (t1, t2) = (saved[0].as_ref().expect("saved"), t2());
                Some(super::div(&mul(&neg(&mul(&g[0], &v)?)?, t1)?, &mul(t2, t2)?)?)
            } else {
                None
            };
            Ok(vec![needs(node, 0).then(|| g[0].clone()), grad_t1, grad_t2])
        })
        .values(vals![("value", value)])
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f32], shape: &[usize]) -> Tensor {
        Tensor::from_vec(v.to_vec(), shape).unwrap()
    }

    #[test]
    fn addcmul_scales_the_product_before_adding() {
        let out = addcmul(&t(&[1.0, 2.0], &[2]), &t(&[3.0, 4.0], &[2]), &t(&[0.5], &[1]), Scalar::Float(2.0)).unwrap();
        assert_eq!(out.to_vec::<f32>().unwrap(), vec![4.0, 6.0]);
    }

    #[test]
    fn addcdiv_divides_and_refuses_integers() {
        let out = addcdiv(&t(&[1.0, 1.0], &[2]), &t(&[3.0, 4.0], &[2]), &t(&[2.0, 8.0], &[2]), Scalar::Float(-1.0)).unwrap();
        assert_eq!(out.to_vec::<f32>().unwrap(), vec![-0.5, 0.5]);
        let ints = Tensor::from_vec(vec![1i64, 2], &[2]).unwrap();
        assert!(addcdiv(&ints, &ints, &ints, Scalar::Int(1)).is_err());
    }

    #[test]
    fn mismatched_shapes_are_reported_in_operand_order() {
        let err = addcmul(&t(&[0.0; 4], &[4]), &t(&[0.0; 3], &[3]), &t(&[0.0; 4], &[4]), Scalar::Int(1)).unwrap_err();
        assert!(err.to_string().contains("tensor a (4) must match the size of tensor b (3)"), "{err}");
    }
}
