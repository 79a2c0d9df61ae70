//! In-place ops written straight into their target, when nothing is recorded.
//!
//! The general path ([`super::in_place`]) computes the result out of place, then copies it into
//! the target: a second pass over memory and a second buffer. When no node is recorded (grad mode
//! off, or neither the target nor the operand requires grad: optimizer steps under `no_grad`,
//! `zero_()`, `+=` on plain tensors), the op here checks everything the general path would refuse
//! (shape, dtype, internal overlap, inference tensor) without touching the target, then updates
//! each element in place with the same scalar function as the out-of-place kernel (so results are
//! bit-identical), and bumps the version counter once. Whatever it does not handle (a recorded
//! node, an error to raise, an operand whose values would need a second rounding, integer
//! targets) goes down the general path unchanged.
//!
//! Aliasing: an operand on the target's storage with the target's very layout (`x.add_(x)`) is
//! read element by element as it is written, which is what the out-of-place result holds. Any
//! other operand on the same storage (`x.add_(x.t())`, `x[1:].add_(x[:-1])`) is copied out first.

use std::sync::Arc;

use super::activation::relu_value;
use super::binary::{result_dtype, Arith};
use super::compare::extremum_value;
use super::inplace::check_no_internal_overlap;
use super::shape::convert;
use super::unary::{negate, FloatMath};
use super::{add_scaled, div, in_place, mul, sub_scaled};
use crate::autograd::{is_grad_enabled, is_inference_mode_enabled};
use crate::cpu::math;
use crate::cpu::elementwise::{binary_in_place, dense_span, select_in_place, unary_in_place};
use crate::error::{Error, Result};
use crate::tensor::{broadcast_shapes, DType, Element, Layout, Scalar, Tensor};
use crate::with_dtype;

/// The arithmetic of `add_`, `sub_`, `mul_`, `div_` and `+=`, `-=`, `*=`, `/=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InPlaceArith {
    /// `+=` / `add_`
    Add,
    /// `-=` / `sub_`
    Sub,
    /// `*=` / `mul_`
    Mul,
    /// `/=` / `div_` (no rounding mode)
    Div,
}

/// An elementwise function of the target alone that has a direct in-place form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InPlaceUnary {
    /// `relu_`
    Relu,
    /// `neg_`
    Neg,
    /// `abs_`
    Abs,
    /// `exp_`
    Exp,
    /// `sigmoid_`
    Sigmoid,
    /// `tanh_`
    Tanh,
}

/// True when an in-place op on `target` with `operands` records no node and the general path's
/// checks before computing (inference tensor, leaf, view rebase) cannot refuse it, nor its check
/// for internal overlap (an expanded target).
fn direct_allowed(target: &Tensor, operands: &[&Tensor]) -> bool {
    if target.is_inference() && !is_inference_mode_enabled() {
        return false; // refused by the general path
    }
    if is_grad_enabled() && (target.requires_grad() || operands.iter().any(|t| t.requires_grad())) {
        return false; // a node is recorded
    }
    check_no_internal_overlap(&target.data_ref().layout).is_ok()
}

/// True when `other` broadcasts to exactly `target`'s shape.
fn broadcasts_to_target(target: &Tensor, other: &Tensor) -> bool {
    let shape = target.shape();
    broadcast_shapes(&shape, &other.shape()).is_ok_and(|s| s == shape)
}

/// `target op= alpha * other` (alpha only for add and sub): written straight into `target` when
/// [`direct_allowed`], else through [`in_place`] with the out-of-place op.
pub fn arith_(target: &Tensor, other: &Tensor, op: InPlaceArith, alpha: Scalar) -> Result<()> {
    if !arith_direct(target, other, op, alpha)? {
        in_place(target, |t| {
            check_no_partial_overlap(t, other)?;
            match op {
                InPlaceArith::Add => add_scaled(t, other, alpha),
                InPlaceArith::Sub => sub_scaled(t, other, alpha),
                InPlaceArith::Mul => mul(t, other),
                InPlaceArith::Div => div(t, other),
            }
        })?;
    }
    Ok(())
}

/// PyTorch's `assert_no_partial_overlap` (TensorIterator's memory-overlap check) between the
/// written-to `target` and an input: refused when both are dense views of one storage whose
/// ranges overlap without being the very same elements in the same order. Layouts that are not
/// dense (PyTorch's "too hard" to tell) pass; the write then reads the input as it was.
pub(crate) fn check_no_partial_overlap(target: &Tensor, input: &Tensor) -> Result<()> {
    if target.same(input) {
        return Ok(());
    }
    let (a, b) = (target.data(), input.data());
    if a.layout.numel() == 0 || b.layout.numel() == 0 || !Arc::ptr_eq(&a.storage, &b.storage) {
        return Ok(());
    }
    let (Some(ra), Some(rb)) = (dense_span(&a.layout), dense_span(&b.layout)) else { return Ok(()) };
    let partial = if ra == rb { a.layout.strides != b.layout.strides } else { ra.start < rb.end && rb.start < ra.end };
    if partial {
        return Err(Error::runtime("unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory location. Please clone() the tensor before performing the operation."));
    }
    Ok(())
}

/// The direct form of [`arith_`]: false (nothing done) when it does not apply.
fn arith_direct(target: &Tensor, other: &Tensor, op: InPlaceArith, alpha: Scalar) -> Result<bool> {
    let dtype = target.dtype();
    let arith = match op {
        InPlaceArith::Add => Arith::Add,
        InPlaceArith::Sub => Arith::Sub,
        InPlaceArith::Mul => Arith::Mul,
        InPlaceArith::Div => Arith::Div,
    };
    // Float targets whose dtype the result keeps (an int target with a float result is refused
    // by the general path); bool operands have their own refusals there. With alpha, the
    // out-of-place op rounds `alpha * other` in other's dtype first: only the same dtype matches.
    if !dtype.is_float()
        || other.dtype() == DType::Bool
        || result_dtype(arith, target, other) != dtype
        || (alpha.to_f64() != 1.0 && other.dtype() != dtype)
        || super::binary::check_alpha(dtype, alpha).is_err()
        || alpha == Scalar::Int(i64::MIN) // sub negates it in int64, where it stays i64::MIN
        || !broadcasts_to_target(target, other)
        || !direct_allowed(target, &[other])
    {
        return Ok(false);
    }
    check_no_partial_overlap(target, other)?;
    let other = convert(other, dtype);
    match dtype {
        DType::F32 => arith_typed::<f32>(target, &other, op, alpha.to_f64()),
        _ => arith_typed::<f64>(target, &other, op, alpha.to_f64()),
    }
    target.version_counter().bump();
    Ok(true)
}

fn arith_typed<T: Element + FloatMath>(target: &Tensor, other: &Tensor, op: InPlaceArith, alpha: f64) {
    // The out-of-place kernels' functions (binary.rs); alpha, in T as the out-of-place op casts
    // it, multiplies the operand first.
    let (unscaled, alpha) = (alpha == 1.0, T::from_f64(alpha));
    match (op, unscaled) {
        (InPlaceArith::Add, true) => write_binary(target, other, |x: T, y: T| x + y),
        (InPlaceArith::Add, false) => write_binary(target, other, move |x: T, y: T| x + y * alpha),
        (InPlaceArith::Sub, true) => write_binary(target, other, |x: T, y: T| x - y),
        (InPlaceArith::Sub, false) => write_binary(target, other, move |x: T, y: T| x - y * alpha),
        (InPlaceArith::Mul, _) => write_binary(target, other, |x: T, y: T| x * y),
        (InPlaceArith::Div, _) => write_binary(target, other, |x: T, y: T| x / y),
    }
}

/// `target[i] = f(target[i], other[i])` (other broadcast, same dtype), locking both storages in
/// address order (two threads running `a.add_(b)` and `b.add_(a)` cannot deadlock).
fn write_binary<T: Element>(target: &Tensor, other: &Tensor, f: impl Fn(T, T) -> T + Sync + Send) {
    let (dt, ds) = (target.data(), other.data());
    if Arc::ptr_eq(&dt.storage, &ds.storage) {
        let mut buffer = dt.storage.write();
        if dt.layout == ds.layout {
            // x.add_(x): each element is read, then written, once.
            return unary_in_place(T::slice_mut(&mut buffer), &dt.layout, |x| f(x, x));
        }
        // Another view of the same memory: its values as they were before any write.
        let values = ds.layout.gather(T::slice(&buffer));
        let lv = Layout::contiguous(&ds.layout.shape);
        return binary_in_place(T::slice_mut(&mut buffer), &dt.layout, &values, &lv, f);
    }
    let target_first = Arc::as_ptr(&dt.storage) < Arc::as_ptr(&ds.storage);
    let early = target_first.then(|| dt.storage.write());
    let source = ds.storage.read();
    let mut buffer = early.unwrap_or_else(|| dt.storage.write());
    binary_in_place(T::slice_mut(&mut buffer), &dt.layout, T::slice(&source), &ds.layout, f);
}

/// `target.copy_(src)`: written straight into `target` when [`direct_allowed`] (any dtypes: the
/// source is cast to the target's, as the general path), else through [`super::copy_`].
pub fn copy_into(target: &Tensor, src: &Tensor) -> Result<()> {
    if !broadcasts_to_target(target, src) || !direct_allowed(target, &[src]) {
        return super::copy_(target, src); // checks the overlap itself, after the leaf checks
    }
    check_no_partial_overlap(target, src)?;
    let src = convert(src, target.dtype());
    with_dtype!(target.dtype(), T => write_binary(target, &src, |_: T, y: T| y));
    target.version_counter().bump();
    Ok(())
}

/// `target.fill_(value)` when nothing is recorded: every element set to `value` (in the target's
/// dtype, as `Tensor::scalar` converts it), expanded targets included. False when not applicable.
pub(crate) fn fill_direct(target: &Tensor, value: Scalar) -> bool {
    if (target.is_inference() && !is_inference_mode_enabled()) || (is_grad_enabled() && target.requires_grad()) {
        return false;
    }
    let data = target.data();
    let mut buffer = data.storage.write();
    with_dtype!(data.dtype, T => {
        let v = match value {
            Scalar::Int(i) => T::from_i64(i), // exact past 2**53
            _ => T::from_f64(value.to_f64()),
        };
        crate::autograd::fill_layout(T::slice_mut(&mut buffer), &data.layout, v);
    });
    drop(buffer);
    target.version_counter().bump();
    true
}

/// `op` of `target`, in place: written straight into `target` when [`direct_allowed`] and float,
/// else through [`in_place`] with the out-of-place op `general`.
pub fn unary_(target: &Tensor, op: InPlaceUnary, general: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<()> {
    let dtype = target.dtype();
    if !dtype.is_float() || !direct_allowed(target, &[]) {
        return in_place(target, general);
    }
    match dtype {
        DType::F32 => unary_typed::<f32>(target, op),
        _ => unary_typed::<f64>(target, op),
    }
    target.version_counter().bump();
    Ok(())
}

fn unary_typed<T: Element + FloatMath>(target: &Tensor, op: InPlaceUnary) {
    // The out-of-place kernels' functions (unary.rs, activation.rs).
    match op {
        InPlaceUnary::Relu => {
            let data = target.data();
            select_in_place(T::slice_mut(&mut data.storage.write()), &data.layout, relu_value::<T>);
        }
        InPlaceUnary::Neg => write_unary(target, negate::<T>),
        InPlaceUnary::Abs => write_unary(target, |x: T| x.abs()),
        InPlaceUnary::Exp if T::DTYPE == DType::F32 => write_fused(target, math::ExpFn),
        InPlaceUnary::Sigmoid if T::DTYPE == DType::F32 => write_fused(target, math::SigmoidFn),
        InPlaceUnary::Tanh if T::DTYPE == DType::F32 => write_fused(target, math::TanhFn),
        InPlaceUnary::Exp => write_unary(target, |x: T| x.fast_exp()),
        InPlaceUnary::Sigmoid => write_unary(target, |x: T| x.fast_sigmoid()),
        InPlaceUnary::Tanh => write_unary(target, |x: T| x.fast_tanh()),
    }
}

/// A float32 function with a fused form written into `target`: the vector loops of the
/// out-of-place kernel when `target` is contiguous, its unfused scalar form otherwise, so that
/// both paths give the same bits (see `unary::fused_kernel`).
fn write_fused(target: &Tensor, f: impl math::FusedFn) {
    let data = target.data();
    let mut buffer = data.storage.write();
    let dst = f32::slice_mut(&mut buffer);
    let l = &data.layout;
    if l.is_contiguous() {
        math::fused_map_in_place(&mut dst[l.offset..l.offset + l.numel()], f);
    } else {
        unary_in_place(dst, l, move |x| f.eval::<false>(x));
    }
}

fn write_unary<T: Element>(target: &Tensor, f: impl Fn(T) -> T + Sync + Send) {
    let data = target.data();
    let mut buffer = data.storage.write();
    unary_in_place(T::slice_mut(&mut buffer), &data.layout, f);
}

/// `target.clamp_(min, max)` with number bounds: written straight into a float `target` when
/// [`direct_allowed`] and the bounds keep its dtype, else through [`in_place`] with `general`.
pub fn clamp_(target: &Tensor, min: Option<Scalar>, max: Option<Scalar>, general: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<()> {
    let dtype = target.dtype();
    // Number bounds never change a float target's dtype; they must fit it (else the general path
    // raises), and an int bound must be exact in f64 (the cast then rounds once, as the kernel's).
    let bounds_ok = [min, max].into_iter().flatten().all(|b| {
        super::check_scalar_fits(b, dtype).is_ok() && !matches!(b, Scalar::Int(i) if i.unsigned_abs() > 1 << 53)
    });
    if !dtype.is_float() || (min.is_none() && max.is_none()) || !bounds_ok || !direct_allowed(target, &[]) {
        return in_place(target, general);
    }
    match dtype {
        DType::F32 => clamp_typed::<f32>(target, min, max),
        _ => clamp_typed::<f64>(target, min, max),
    }
    target.version_counter().bump();
    Ok(())
}

fn clamp_typed<T: Element>(target: &Tensor, min: Option<Scalar>, max: Option<Scalar>) {
    use super::Extremum::{Max, Min};
    // As the out-of-place clamp: maximum with min, then minimum with max (NaN propagating).
    let (lo, hi) = (min.map(|b| T::from_f64(b.to_f64())), max.map(|b| T::from_f64(b.to_f64())));
    match (lo, hi) {
        (Some(lo), Some(hi)) => write_unary(target, move |x: T| extremum_value(Min, extremum_value(Max, x, lo), hi)),
        (Some(lo), None) => write_unary(target, move |x: T| extremum_value(Max, x, lo)),
        (None, Some(hi)) => write_unary(target, move |x: T| extremum_value(Min, x, hi)),
        (None, None) => unreachable!("refused above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops;

    fn t(values: &[f64], shape: &[usize]) -> Tensor {
        Tensor::from_vec(values.to_vec(), shape).unwrap()
    }

    #[test]
    fn direct_arithmetic_matches_the_general_path_on_views_and_aliases() -> Result<()> {
        let values: Vec<f64> = (0..12).map(|i| i as f64 * 0.5 - 2.0).collect();
        let cases: Vec<(&str, Box<dyn Fn(&Tensor) -> Result<(Tensor, Tensor)>>)> = vec![
            ("x += x", Box::new(|x| Ok((x.clone(), x.clone())))),
            ("x += x.t()", Box::new(|x| { let s = ops::view(x, &[3, 4])?; let s = ops::narrow(&s, 1, 0, 3)?; Ok((s.clone(), ops::transpose(&s, 0, 1)?)) })),
            ("m[1:, :3] += m[:-1, 1:]", Box::new(|x| {
                let m = ops::view(x, &[3, 4])?;
                Ok((ops::narrow(&ops::narrow(&m, 0, 1, 2)?, 1, 0, 3)?, ops::narrow(&ops::narrow(&m, 0, 0, 2)?, 1, 1, 3)?))
            })),
            ("x.t() += row", Box::new(|x| { let m = ops::view(x, &[3, 4])?; Ok((ops::transpose(&m, 0, 1)?, t(&[1.0, 2.0, 3.0], &[3]))) })),
            ("x[:, 1:3] += col", Box::new(|x| { let m = ops::view(x, &[3, 4])?; Ok((ops::narrow(&m, 1, 1, 2)?, t(&[1.0, -1.0, 5.0], &[3, 1]))) })),
        ];
        for (name, make) in &cases {
            for op in [InPlaceArith::Add, InPlaceArith::Sub, InPlaceArith::Mul, InPlaceArith::Div] {
                for alpha in [1.0, 2.5] {
                    let alpha = Scalar::Float(if matches!(op, InPlaceArith::Add | InPlaceArith::Sub) { alpha } else { 1.0 });
                    let (direct, general) = (t(&values, &[12]), t(&values, &[12]));
                    let (target, other) = make(&direct)?;
                    let version = target.version();
                    arith_(&target, &other, op, alpha)?;
                    assert_eq!(target.version(), version + 1, "{name} {op:?}");
                    let (target, other) = make(&general)?;
                    in_place(&target, |x| match op {
                        InPlaceArith::Add => add_scaled(x, &other, alpha),
                        InPlaceArith::Sub => sub_scaled(x, &other, alpha),
                        InPlaceArith::Mul => mul(x, &other),
                        InPlaceArith::Div => div(x, &other),
                    })?;
                    let bits = |t: &Tensor| t.to_f64_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&direct), bits(&general), "{name} {op:?} alpha {alpha:?}");
                }
            }
        }
        Ok(())
    }

    #[test]
    fn refusals_leave_the_target_unchanged() {
        let x = Tensor::from_vec(vec![1i64, 2, 3], &[3]).unwrap();
        assert!(arith_(&x, &Scalar::Float(1.5).to_tensor(), InPlaceArith::Add, Scalar::Int(1)).is_err());
        let y = t(&[1.0, 2.0, 3.0], &[3]);
        assert!(arith_(&y, &t(&[1.0, 2.0], &[2]), InPlaceArith::Add, Scalar::Int(1)).is_err());
        assert!(arith_(&y, &t(&[1.0; 6], &[2, 3]), InPlaceArith::Mul, Scalar::Int(1)).is_err());
        assert!(copy_into(&y, &t(&[1.0; 6], &[2, 3])).is_err());
        // dense views of one storage overlapping in part: PyTorch's overlap refusal
        let z = t(&[1.0, 2.0, 3.0, 4.0], &[4]);
        let (head, tail) = (ops::narrow(&z, 0, 0, 3).unwrap(), ops::narrow(&z, 0, 1, 3).unwrap());
        let err = arith_(&tail, &head, InPlaceArith::Add, Scalar::Int(1)).unwrap_err().to_string();
        assert!(err.starts_with("unsupported operation: some elements of the input tensor"), "{err}");
        assert!(copy_into(&head, &tail).is_err());
        assert_eq!((z.to_f64_vec(), z.version()), (vec![1.0, 2.0, 3.0, 4.0], 0));
        assert_eq!((x.to_f64_vec(), y.to_f64_vec()), (vec![1.0, 2.0, 3.0], vec![1.0, 2.0, 3.0]));
        assert_eq!((x.version(), y.version()), (0, 0));
    }
}
