//! Arithmetic between tensors (and Python numbers wrapped as tensors), with broadcasting and
//! PyTorch's type promotion.

use std::ops::{Add, Div, Mul, Sub};

use super::backward::{backward_fn, input, number, output, save_if, vals};
use super::{needs, record};
use crate::cpu::elementwise;
use crate::error::{Error, Result};
use crate::ops::{log, neg, shape::convert};
use crate::tensor::{broadcast_shapes, DType, Element, Scalar, Tensor};

/// An elementwise arithmetic operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

/// Element types arithmetic kernels run on (bool is computed as int64).
pub(crate) trait Numeric: Element + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> {
    fn pow(self, exponent: Self) -> Self;
    /// `+`, `-`, `*` wrapping on integer overflow, as PyTorch's int64 kernels (plain for floats).
    fn wrapping_add(self, other: Self) -> Self {
        self + other
    }
    fn wrapping_sub(self, other: Self) -> Self {
        self - other
    }
    fn wrapping_mul(self, other: Self) -> Self {
        self * other
    }
}

impl Numeric for f32 {
    fn pow(self, e: Self) -> Self {
        self.powf(e)
    }
}
impl Numeric for f64 {
    fn pow(self, e: Self) -> Self {
        self.powf(e)
    }
}
impl Numeric for i64 {
    fn wrapping_add(self, other: Self) -> Self {
        i64::wrapping_add(self, other)
    }
    fn wrapping_sub(self, other: Self) -> Self {
        i64::wrapping_sub(self, other)
    }
    fn wrapping_mul(self, other: Self) -> Self {
        i64::wrapping_mul(self, other)
    }
    fn pow(self, e: Self) -> Self {
        if e >= 0 {
            wrapping_pow(self, e as u64)
        } else {
            // Integer powers with a negative exponent truncate toward zero, as PyTorch's kernel.
            match self {
                1 => 1,
                -1 if e % 2 == 0 => 1,
                -1 => -1,
                _ => 0,
            }
        }
    }
}

/// `base ** e` by squaring, wrapping on overflow (PyTorch's `powi_impl`; `wrapping_pow` takes
/// only a u32 exponent, and `2**62` must give `3**(2**62) mod 2**64`, not a clamped power).
fn wrapping_pow(mut base: i64, mut e: u64) -> i64 {
    let mut acc: i64 = 1;
    while e > 0 {
        if e & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        e >>= 1;
        base = base.wrapping_mul(base);
    }
    acc
}

fn kernel<T: Numeric>(op: Arith, a: &Tensor, b: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let (da, db) = (a.data_ref(), b.data_ref());
    let (ba, bb) = (da.storage.read(), db.storage.read());
    let (sa, sb) = (T::slice(&ba), T::slice(&bb));
    let (la, lb) = (&da.layout, &db.layout);
    let out = match op {
        Arith::Add => elementwise::binary(sa, la, sb, lb, shape, |x: T, y| x.wrapping_add(y)),
        Arith::Sub => elementwise::binary(sa, la, sb, lb, shape, |x: T, y| x.wrapping_sub(y)),
        Arith::Mul => elementwise::binary(sa, la, sb, lb, shape, |x: T, y| x.wrapping_mul(y)),
        Arith::Div => elementwise::binary(sa, la, sb, lb, shape, |x, y| x / y),
        Arith::Pow => elementwise::binary(sa, la, sb, lb, shape, |x, y| x.pow(y)),
    };
    Tensor::from_vec(out, shape)
}

/// The dtype of `a op b` under PyTorch's promotion (true division of integers gives float).
pub(crate) fn result_dtype(op: Arith, a: &Tensor, b: &Tensor) -> DType {
    let dtype = DType::result_type(&[(a.dtype(), a.promotion_rank()), (b.dtype(), b.promotion_rank())]);
    if op == Arith::Div && !dtype.is_float() {
        DType::default_float()
    } else {
        dtype
    }
}

/// PyTorch's refusals before any arithmetic on bool operands.
pub(crate) fn check_bool_operands(op: Arith, a: &Tensor, b: &Tensor, dtype: DType) -> Result<()> {
    let (a_bool, b_bool) = (a.dtype() == DType::Bool, b.dtype() == DType::Bool);
    match op {
        Arith::Sub if a_bool && b_bool => Err(Error::runtime(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.",
        )),
        Arith::Sub if a_bool || b_bool => Err(Error::runtime(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
        )),
        Arith::Pow if dtype == DType::Bool => Err(Error::NotImplemented("\"pow\" not implemented for 'Bool'".into())),
        _ => Ok(()),
    }
}

/// `a op b` computed without recording.
pub(crate) fn arith_raw(op: Arith, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let shape = broadcast_shapes(&a.layout().shape, &b.layout().shape)?;
    let dtype = result_dtype(op, a, b);
    check_bool_operands(op, a, b, dtype)?;
    // Integer and bool arithmetic runs in int64, then wraps into the result type (as C++ does).
    let compute = if dtype.is_float() { dtype } else { DType::I64 };
    let (a, b) = if op == Arith::Pow && !dtype.is_float() && dtype != DType::I64 {
        // A power's value depends on the base itself (`-1` and `1` under negative exponents), so
        // the operands wrap into the narrow type first, as PyTorch computes there.
        (convert(&convert(a, dtype), compute), convert(&convert(b, dtype), compute))
    } else {
        (convert(a, compute), convert(b, compute))
    };
    let out = match compute {
        DType::F32 => kernel::<f32>(op, &a, &b, &shape)?,
        DType::F64 => kernel::<f64>(op, &a, &b, &shape)?,
        DType::I64 => kernel::<i64>(op, &a, &b, &shape)?,
        _ => unreachable!("narrow integer and bool arithmetic runs as int64"),
    };
    Ok(if compute != dtype { convert(&out, dtype) } else { out })
}

/// `t * c` without recording.
pub(crate) fn mul_scalar_raw(t: &Tensor, c: f64) -> Result<Tensor> {
    arith_raw(Arith::Mul, t, &Scalar::Float(c).to_tensor())
}

/// `t ** e` without recording.
pub(crate) fn pow_scalar_raw(t: &Tensor, e: Scalar) -> Result<Tensor> {
    if let Scalar::Int(i) = e {
        if i < 0 && !t.dtype().is_float() {
            return Err(Error::runtime("Integers to negative integer powers are not allowed."));
        }
    }
    // PyTorch answers x**0 and x**1 without a kernel (so even bool tensors accept them).
    let exponent = e.to_tensor();
    let v = e.to_f64();
    let dtype = result_dtype(Arith::Pow, t, &exponent);
    if v == 0.0 || v == 1.0 {
        return Ok(if v == 0.0 { Tensor::ones(&t.shape(), dtype) } else { Tensor::from_buffer(convert(t, dtype).contiguous_buffer(), &t.shape())? });
    }
    if !dtype.is_float() {
        // The kernel takes the exponent in the result type (`int32 ** 2**40` overflows).
        super::check_scalar_fits(e, dtype)?;
    }
    if v == 2.0 && dtype != DType::Bool {
        // PyTorch's pow kernel squares as `x * x` (the same value as a correctly rounded pow,
        // and the fast multiply kernel instead of a pow per element: 25x faster on 4M floats).
        let base = convert(t, dtype);
        return arith_raw(Arith::Mul, &base, &base);
    }
    if dtype.is_float() {
        if let Some(out) = pow_special(&convert(t, dtype), v)? {
            return Ok(out);
        }
    }
    arith_raw(Arith::Pow, t, &exponent)
}

/// PyTorch's float kernels for the exponents its `pow_tensor_scalar_kernel` special-cases, with
/// the same formulas (bit-identical results, and one cheap op instead of a pow per element):
/// 0.5 -> sqrt, -0.5 -> 1/sqrt, -1 -> 1/x, 3 -> x*x*x, -2 -> 1/(x*x). `base` is already in the
/// float result type. None for any other exponent.
fn pow_special(base: &Tensor, e: f64) -> Result<Option<Tensor>> {
    use super::unary::{float_map_raw, map_kernel, FloatFn};
    let f = match e {
        0.5 => FloatFn::Sqrt,
        -0.5 => FloatFn::Rsqrt,
        -1.0 => FloatFn::Reciprocal,
        3.0 => return crate::with_float_dtype!(base.dtype(), T => map_kernel(base, |x: T| x * x * x)).map(Some),
        -2.0 => return crate::with_float_dtype!(base.dtype(), T => map_kernel(base, |x: T| 1.0 / (x * x))).map(Some),
        _ => return Ok(None),
    };
    float_map_raw(f, base).map(Some)
}

/// True when `alpha` leaves the operand unscaled (`alpha=1`, the default).
fn is_one(alpha: Scalar) -> bool {
    match alpha {
        Scalar::Bool(b) => b,
        Scalar::Int(i) => i == 1,
        Scalar::Float(f) => f == 1.0,
    }
}

/// PyTorch's `alpha_check` for `add`/`sub` with a result of `dtype`, then the conversion of alpha
/// to that type (`value cannot be converted to type int without overflow`).
pub(crate) fn check_alpha(dtype: DType, alpha: Scalar) -> Result<()> {
    check_alpha_kind(dtype, alpha)?;
    super::check_scalar_fits(alpha, dtype)
}

/// `alpha_check`'s refusals of a bool alpha for a non-bool result and a float one for an integral result.
fn check_alpha_kind(dtype: DType, alpha: Scalar) -> Result<()> {
    if matches!(alpha, Scalar::Bool(_)) && dtype != DType::Bool {
        return Err(Error::runtime("Boolean alpha only supported for Boolean results."));
    }
    if matches!(alpha, Scalar::Float(_)) && !dtype.is_float() {
        return Err(Error::runtime("For integral input tensors, argument alpha must not be a floating point number."));
    }
    Ok(())
}

/// `a op alpha * b` without recording: alpha multiplies `b` in the result type (int64 wrapping
/// for integers, exactly; a bool result takes alpha's truth value), as PyTorch's kernel.
fn scaled_raw(op: Arith, a: &Tensor, b: &Tensor, alpha: Scalar) -> Result<Tensor> {
    let dtype = result_dtype(op, a, b);
    check_bool_operands(op, a, b, dtype)?;
    check_alpha_kind(dtype, alpha)?;
    if is_one(alpha) {
        return arith_raw(op, a, b);
    }
    // PyTorch's sub is add with `-alpha` (an int64 negation: -(-2**63) stays -2**63), converted
    // to the result type after the negation.
    let alpha = match (op, alpha) {
        (Arith::Sub, Scalar::Int(i)) => Scalar::Int(i.wrapping_neg()),
        (Arith::Sub, Scalar::Float(f)) => Scalar::Float(-f),
        _ => alpha,
    };
    super::check_scalar_fits(alpha, dtype)?;
    let factor = match dtype {
        DType::Bool => Scalar::Bool(alpha.to_f64() != 0.0),
        d if d.is_float() => Scalar::Float(alpha.to_f64()),
        _ => alpha,
    };
    let scaled = arith_raw(Arith::Mul, &convert(b, dtype), &factor.to_tensor())?;
    let out = arith_raw(Arith::Add, &convert(a, dtype), &scaled)?;
    Ok(if out.dtype() != dtype { convert(&out, dtype) } else { out })
}

/// `a + b`.
pub fn add(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    add_scaled(a, b, Scalar::Int(1))
}

/// `a + alpha * b` (`torch.add(a, b, alpha=...)`).
pub fn add_scaled(a: &Tensor, b: &Tensor, alpha: Scalar) -> Result<Tensor> {
    let out = scaled_raw(Arith::Add, a, b, alpha)?;
    record(&[a, b], &[&out], || {
        // d(a + alpha*b) = grad, alpha*grad
        backward_fn("AddBackward0", vec![], move |node, _, g| {
            let grad_b = if needs(node, 1) && !is_one(alpha) { Some(mul_scalar(&g[0], alpha.to_f64())?) } else { Some(g[0].clone()) };
            Ok(vec![Some(g[0].clone()), grad_b])
        })
        .values(vals![("alpha", alpha)])
    })?;
    Ok(out)
}

/// `a - b`.
pub fn sub(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    sub_scaled(a, b, Scalar::Int(1))
}

/// `a - alpha * b`.
pub fn sub_scaled(a: &Tensor, b: &Tensor, alpha: Scalar) -> Result<Tensor> {
    let out = scaled_raw(Arith::Sub, a, b, alpha)?;
    record(&[a, b], &[&out], || {
        // d(a - alpha*b) = grad, -alpha*grad
        backward_fn("SubBackward0", vec![], move |node, _, g| {
            let grad_b = if needs(node, 1) { Some(mul_scalar(&g[0], -alpha.to_f64())?) } else { None };
            Ok(vec![Some(g[0].clone()), grad_b])
        })
        .values(vals![("alpha", alpha)])
    })?;
    Ok(out)
}

/// `other - alpha * a` for a Python number `other` (`1 - a`).
pub fn rsub_scalar(a: &Tensor, other: Scalar) -> Result<Tensor> {
    let out = arith_raw(Arith::Sub, &other.to_tensor(), a)?;
    record(&[a], &[&out], || {
        // d(c - a) = -grad
        backward_fn("RsubBackward1", vec![], |_, _, g| Ok(vec![Some(neg(&g[0])?)])).values(vec![("alpha", number(1.0))])
    })?;
    Ok(out)
}

/// `a * b`.
pub fn mul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = arith_raw(Arith::Mul, a, b)?;
    record(&[a, b], &[&out], || {
        // d(a*b) = grad*b, grad*a
        let saved = vec![save_if(b.requires_grad(), "self", a), save_if(a.requires_grad(), "other", b)];
        backward_fn("MulBackward0", saved, |node, s, g| {
            let grad_a = if needs(node, 0) { Some(mul(&g[0], s[1].as_ref().expect("saved"))?) } else { None };
            let grad_b = if needs(node, 1) { Some(mul(&g[0], s[0].as_ref().expect("saved"))?) } else { None };
            Ok(vec![grad_a, grad_b])
        })
    })?;
    Ok(out)
}

/// `t * c` for a number `c`, recorded (used by backward formulas).
pub(crate) fn mul_scalar(t: &Tensor, c: f64) -> Result<Tensor> {
    mul(t, &Scalar::Float(c).to_tensor())
}

/// `a / b` (true division).
pub fn div(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = arith_raw(Arith::Div, a, b)?;
    record(&[a, b], &[&out], || {
        // d(a/b) = grad/b, -grad*a/b^2
        let saved = vec![save_if(b.requires_grad(), "self", a), input("other", b)];
        backward_fn("DivBackward0", saved, |node, s, g| {
            let b = s[1].as_ref().expect("saved");
            let grad_a = if needs(node, 0) { Some(div(&g[0], b)?) } else { None };
            let grad_b = if needs(node, 1) {
                let a = s[0].as_ref().expect("saved");
                Some(neg(&div(&mul(&g[0], a)?, &mul(b, b)?)?)?)
            } else {
                None
            };
            Ok(vec![grad_a, grad_b])
        })
    })?;
    Ok(out)
}

/// `a ** b` for two tensors.
pub fn pow(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = arith_raw(Arith::Pow, a, b)?;
    record(&[a, b], &[&out], || {
        // d(a^b) = grad*b*a^(b-1) (0 where b = 0), grad*a^b*ln(a)
        let saved = vec![input("self", a), input("exponent", b), output("result", &out, 0)];
        backward_fn("PowBackward1", saved, |node, s, g| {
            let (a, b, result) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"), s[2].as_ref().expect("saved"));
            let grad_a = if needs(node, 0) {
                // PyTorch masks exponent 0 (where 0 * a^-1 would give nan at a = 0).
                let b_minus_1 = sub(b, &Scalar::Int(1).to_tensor())?;
                let full = mul(&mul(&g[0], b)?, &pow(a, &b_minus_1)?)?;
                let exponent_is_zero = crate::ops::compare(crate::ops::Cmp::Eq, b, &Scalar::Float(0.0).to_tensor())?;
                Some(crate::ops::where_(&exponent_is_zero, &Tensor::zeros(&[], full.dtype()), &full)?)
            } else {
                None
            };
            let grad_b = if needs(node, 1) { Some(mul(&mul(&g[0], result)?, &log(a)?)?) } else { None };
            Ok(vec![grad_a, grad_b])
        })
    })?;
    Ok(out)
}

/// `a ** exponent` for a Python number exponent.
pub fn pow_scalar(a: &Tensor, exponent: Scalar) -> Result<Tensor> {
    let out = pow_scalar_raw(a, exponent)?;
    record(&[a], &[&out], || {
        // d(a^e) = grad*e*a^(e-1)
        backward_fn("PowBackward0", vec![input("self", a)], move |_, s, g| {
            let a = s[0].as_ref().expect("saved");
            let e = exponent.to_f64();
            if e == 0.0 {
                return Ok(vec![Some(Tensor::zeros(&a.shape(), g[0].dtype()))]);
            }
            let lowered = pow_scalar(a, Scalar::Float(e - 1.0))?;
            Ok(vec![Some(mul(&mul_scalar(&g[0], e)?, &lowered)?)])
        })
        .values(vals![("exponent", exponent)])
    })?;
    Ok(out)
}

/// `base ** a` for a Python number base.
pub fn rpow_scalar(base: Scalar, a: &Tensor) -> Result<Tensor> {
    let out = arith_raw(Arith::Pow, &base.to_tensor(), a)?;
    record(&[a], &[&out], || {
        // d(c^a) = grad*c^a*ln(c)
        backward_fn("PowBackward2", vec![input("exponent", a), output("result", &out, 0)], move |_, s, g| {
            let result = s[1].as_ref().expect("saved");
            Ok(vec![Some(mul_scalar(&mul(&g[0], result)?, base.to_f64().ln())?)])
        })
        .values(vals![("self", base)])
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::DType::*;

    fn t(values: &[f32], shape: &[usize]) -> Tensor {
        Tensor::from_vec(values.to_vec(), shape).unwrap()
    }

    #[test]
    fn int64_arithmetic_wraps_and_wrapped_ints_stay_exact() {
        let big = Tensor::from_vec(vec![i64::MAX, i64::MIN, 1 << 62], &[3]).unwrap();
        let one = Scalar::Int(1).to_tensor();
        assert_eq!(add(&big, &one).unwrap().to_vec::<i64>().unwrap(), vec![i64::MIN, i64::MIN + 1, (1 << 62) + 1]);
        assert_eq!(sub(&big, &one).unwrap().to_vec::<i64>().unwrap(), vec![i64::MAX - 1, i64::MAX, (1 << 62) - 1]);
        assert_eq!(mul(&big, &Scalar::Int(4).to_tensor()).unwrap().to_vec::<i64>().unwrap(), vec![-4, 0, 0]);
        let odd = Scalar::Int((1 << 60) + 1).to_tensor();
        assert_eq!(add(&Tensor::zeros(&[1], I64), &odd).unwrap().to_vec::<i64>().unwrap(), vec![(1 << 60) + 1]);
    }

    #[test]
    fn integer_powers_wrap_by_squaring_with_the_whole_exponent() {
        let t = Tensor::from_vec(vec![1i64, 2, 3, -1, -3, 7], &[6]).unwrap();
        let p = pow_scalar(&t, Scalar::Int(1 << 62)).unwrap().to_vec::<i64>().unwrap();
        assert_eq!(p, vec![1, 0, 1, 1, 1, 1]);
        let p = pow_scalar(&t, Scalar::Int((1 << 62) + 1)).unwrap().to_vec::<i64>().unwrap();
        assert_eq!(p, vec![1, 0, 3, -1, -3, 7]);
        assert_eq!(wrapping_pow(7, i64::MAX as u64), 7905747460161236407);
        assert_eq!(wrapping_pow(3, 1 << 40), -7860764868738023423);
        // an int32 tensor takes the exponent as int32; the base wraps into int32 first
        let i = Tensor::from_vec(vec![2i32, 7], &[2]).unwrap();
        assert_eq!(pow_scalar(&i, Scalar::Int(1 << 40)).unwrap_err().message(), "value cannot be converted to type int without overflow");
        let base = Scalar::Int(i64::MAX).to_tensor();
        let e = Tensor::from_vec(vec![-3i32, 2], &[2]).unwrap();
        assert_eq!(pow(&base, &e).unwrap().to_vec::<i32>().unwrap(), vec![-1, 1]);
        assert_eq!(pow_scalar(&t, Scalar::Int(-1)).unwrap_err().message(), "Integers to negative integer powers are not allowed.");
    }

    #[test]
    fn integer_alpha_stays_integer_and_exact() {
        let a = Tensor::from_vec(vec![1i64, 2, 3], &[3]).unwrap();
        let b = Tensor::from_vec(vec![1i64, 1, 1], &[3]).unwrap();
        let out = add_scaled(&a, &b, Scalar::Int(2)).unwrap();
        assert_eq!((out.dtype(), out.to_vec::<i64>().unwrap()), (I64, vec![3, 4, 5]));
        let out = sub_scaled(&a, &Tensor::from_vec(vec![3i64], &[1]).unwrap(), Scalar::Int(1 << 62)).unwrap();
        let three_alpha = 3i64.wrapping_mul(1 << 62); // wraps to -2**62
        assert_eq!(out.to_vec::<i64>().unwrap(), vec![1 - three_alpha, 2 - three_alpha, 3 - three_alpha]);
        let err = add_scaled(&a, &b, Scalar::Float(2.0)).unwrap_err();
        assert_eq!(err.message(), "For integral input tensors, argument alpha must not be a floating point number.");
        assert_eq!(add_scaled(&a, &b, Scalar::Bool(true)).unwrap_err().message(), "Boolean alpha only supported for Boolean results.");
        let i = Tensor::from_vec(vec![1i32], &[1]).unwrap();
        assert_eq!(add_scaled(&i, &i, Scalar::Int(1 << 40)).unwrap_err().message(), "value cannot be converted to type int without overflow");
        // a bool result takes alpha's truth value (-1 is true)
        let t = Tensor::from_vec(vec![true, false], &[2]).unwrap();
        assert_eq!(add_scaled(&t, &t, Scalar::Int(-1)).unwrap().to_vec::<bool>().unwrap(), vec![true, false]);
        // alpha scales in the result type: float32 other, float64 result
        let d = Tensor::from_vec(vec![1.0f64], &[1]).unwrap();
        let f = Tensor::from_vec(vec![0.1f32], &[1]).unwrap();
        assert_eq!(add_scaled(&d, &f, Scalar::Float(0.1)).unwrap().to_vec::<f64>().unwrap(), vec![1.0 + 0.1f32 as f64 * 0.1]);
    }

    #[test]
    fn broadcasting_add_and_promotion() {
        let a = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let b = t(&[10.0, 20.0, 30.0], &[3]);
        assert_eq!(add(&a, &b).unwrap().to_vec::<f32>().unwrap(), vec![11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
        let ints = Tensor::from_vec(vec![1i64, 2], &[2]).unwrap();
        let half = div(&ints, &Scalar::Int(2).to_tensor()).unwrap();
        assert_eq!(half.dtype(), F32);
        assert_eq!(half.to_vec::<f32>().unwrap(), vec![0.5, 1.0]);
        assert_eq!(mul(&ints, &Scalar::Float(1.5).to_tensor()).unwrap().dtype(), F32);
        assert_eq!(mul(&ints, &Scalar::Int(3).to_tensor()).unwrap().dtype(), I64);
    }

    #[test]
    fn shape_mismatch_is_reported_like_pytorch() {
        let err = add(&Tensor::ones(&[3], F32), &Tensor::ones(&[2], F32)).unwrap_err();
        assert_eq!(err.message(), "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0");
    }

    #[test]
    fn squaring_multiplies_and_matches_pow_bit_for_bit() {
        // odd sizes around the SIMD widths, values whose squares round
        for n in [1usize, 7, 16, 33, 1000] {
            let values: Vec<f32> = (0..n).map(|i| (i as f32 * 0.7311 - 13.1) / 3.3).collect();
            let sq = pow_scalar(&t(&values, &[n]), Scalar::Int(2)).unwrap().to_vec::<f32>().unwrap();
            let expected: Vec<f32> = values.iter().map(|x| x.powi(2)).collect();
            assert_eq!(sq, expected);
            let as_float = pow_scalar(&t(&values, &[n]), Scalar::Float(2.0)).unwrap().to_vec::<f32>().unwrap();
            assert_eq!(as_float, expected);
        }
        let ints = Tensor::from_vec(vec![3i64, -4, 1 << 33], &[3]).unwrap();
        assert_eq!(pow_scalar(&ints, Scalar::Int(2)).unwrap().to_vec::<i64>().unwrap(), vec![9, 16, 0]);
    }
}
