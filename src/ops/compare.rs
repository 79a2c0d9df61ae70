//! Comparisons, logical and bitwise ops (not differentiable: they return bool or integer
//! tensors), and the selecting ops built on masks: maximum/minimum, where, masked_fill, copy_.

use super::backward::{backward_fn, input};
use super::binary::{mul, result_dtype, Arith};
use super::inplace::in_place;
use super::record;
use super::shape::convert;
use super::unary::{not_implemented, zip_kernel};
use super::needs;
use crate::cpu::elementwise;
use crate::error::{Error, Result};
use crate::tensor::{broadcast_shapes, DType, Element, Scalar, Tensor};
use crate::with_dtype;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Cmp {
    fn apply<T: PartialOrd>(self, x: T, y: T) -> bool {
        match self {
            Cmp::Eq => x == y,
            Cmp::Ne => x != y,
            Cmp::Lt => x < y,
            Cmp::Le => x <= y,
            Cmp::Gt => x > y,
            Cmp::Ge => x >= y,
        }
    }
}

/// `f` pairwise over `a` and `b` converted to `compute`, broadcast together.
fn zip_as<U: Element>(a: &Tensor, b: &Tensor, compute: DType, f: impl Fn(f64, f64) -> U + Sync + Send + Copy) -> Result<Tensor> {
    let shape = broadcast_shapes(&a.shape(), &b.shape())?;
    let (a, b) = (convert(a, compute), convert(b, compute));
    let (da, db) = (a.data(), b.data());
    let (ba, bb) = (da.storage.read(), db.storage.read());
    with_dtype!(compute, T => {
        let out = elementwise::binary(T::slice(&ba), &da.layout, T::slice(&bb), &db.layout, &shape, |x: T, y: T| f(x.to_f64(), y.to_f64()));
        Tensor::from_vec(out, &shape)
    })
}

/// The dtype both operands are compared in (PyTorch's promotion).
fn common_dtype(a: &Tensor, b: &Tensor) -> DType {
    result_dtype(Arith::Add, a, b)
}

/// `a <op> b` as a bool tensor.
pub fn compare(op: Cmp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let compute = common_dtype(a, b);
    broadcast_shapes(&a.shape(), &b.shape())?; // before any conversion
    let (a, b) = (convert(a, compute), convert(b, compute));
    // Compared in the operands' own type: exact for int64 beyond 2^53. One closure per operator
    // (not a match per element) so the contiguous loop vectorises.
    with_dtype!(compute, T => match op {
        Cmp::Eq => zip_kernel::<T, bool>(&a, &b, |x, y| x == y),
        Cmp::Ne => zip_kernel::<T, bool>(&a, &b, |x, y| x != y),
        Cmp::Lt => zip_kernel::<T, bool>(&a, &b, |x, y| x < y),
        Cmp::Le => zip_kernel::<T, bool>(&a, &b, |x, y| x <= y),
        Cmp::Gt => zip_kernel::<T, bool>(&a, &b, |x, y| x > y),
        Cmp::Ge => zip_kernel::<T, bool>(&a, &b, |x, y| x >= y),
    })
}

/// A logical operator on the truth values of its operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logic {
    /// and
    And,
    /// or
    Or,
    /// exclusive or
    Xor,
}

/// `logical_and/or/xor(a, b)`: a bool tensor.
pub fn logical(op: Logic, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    zip_as(a, b, DType::F64, move |x, y| {
        let (x, y) = (x != 0.0, y != 0.0);
        match op {
            Logic::And => x && y,
            Logic::Or => x || y,
            Logic::Xor => x != y,
        }
    })
}

/// `logical_not(t)`: a bool tensor.
pub fn logical_not(t: &Tensor) -> Result<Tensor> {
    let t = convert(t, DType::Bool);
    super::unary::map_kernel(&t, |x: bool| !x)
}

/// `a & b`, `a | b`, `a ^ b` on bool and integer tensors.
pub fn bitwise(op: Logic, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dtype = common_dtype(a, b);
    let kernel = match op {
        Logic::And => "bitwise_and_cpu",
        Logic::Or => "bitwise_or_cpu",
        Logic::Xor => "bitwise_xor_cpu",
    };
    // TensorIterator broadcasts before the kernel's dtype refusal
    let shape = broadcast_shapes(&a.shape(), &b.shape())?;
    if dtype.is_float() {
        return Err(not_implemented(kernel, dtype));
    }
    let (a, b) = (convert(a, dtype), convert(b, dtype));
    let (da, db) = (a.data(), b.data());
    let (ba, bb) = (da.storage.read(), db.storage.read());
    macro_rules! run {
        ($T:ty) => {{
            let out = elementwise::binary(<$T>::slice(&ba), &da.layout, <$T>::slice(&bb), &db.layout, &shape, move |x: $T, y: $T| match op {
                Logic::And => x & y,
                Logic::Or => x | y,
                Logic::Xor => x ^ y,
            });
            Tensor::from_vec(out, &shape)
        }};
    }
    match dtype {
        DType::Bool => run!(bool),
        DType::U8 => run!(u8),
        DType::I32 => run!(i32),
        _ => run!(i64),
    }
}

/// A bit-shift direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shift {
    /// `<<`, `bitwise_left_shift`
    Left,
    /// `>>`, `bitwise_right_shift`
    Right,
}

/// `a << b` / `a >> b` on integer tensors, in the promoted type (a wrapped number wraps into it:
/// `int32 << 2**40` shifts by 0), with PyTorch's answers past the width: a left shift by a
/// negative amount or by the width or more gives 0; a right shift there gives the sign fill
/// (`-8 >> 70` is -1, `8 >> -1` is 0).
pub fn bitshift(dir: Shift, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dtype = common_dtype(a, b);
    let shape = broadcast_shapes(&a.shape(), &b.shape())?;
    if dtype.is_float() || dtype == DType::Bool {
        return Err(not_implemented(if dir == Shift::Left { "lshift_cpu" } else { "rshift_cpu" }, dtype));
    }
    let (a, b) = (convert(a, dtype), convert(b, dtype));
    let (da, db) = (a.data(), b.data());
    let (ba, bb) = (da.storage.read(), db.storage.read());
    macro_rules! run {
        ($T:ty, $U:ty, $S:ty) => {{
            const BITS: $T = <$T>::BITS as $T;
            // the right shift's limit keeps the sign bit of a signed type
            const RIGHT: $T = BITS - (<$T>::MIN != 0) as $T;
            let (sa, sb) = (<$T>::slice(&ba), <$T>::slice(&bb));
            let out = match dir {
                Shift::Left => elementwise::binary(sa, &da.layout, sb, &db.layout, &shape, |x: $T, y: $T| {
                    if (y as $S) < 0 || y >= BITS { 0 } else { ((x as $U) << y) as $T }
                }),
                Shift::Right => elementwise::binary(sa, &da.layout, sb, &db.layout, &shape, |x: $T, y: $T| {
                    if (y as $S) < 0 || y >= RIGHT { x.checked_shr(RIGHT as u32).unwrap_or(0) } else { x >> y }
                }),
            };
            Tensor::from_vec(out, &shape)
        }};
    }
    match dtype {
        DType::U8 => run!(u8, u8, i8),
        DType::I32 => run!(i32, u32, i32),
        _ => run!(i64, u64, i64),
    }
}

/// PyTorch's refusal to write a result of `result` type into a `target` tensor (a float into an
/// integer tensor, anything but bool into a bool one), checked before the kernel runs.
pub(crate) fn check_result_castable(result: DType, target: DType) -> Result<()> {
    if (result.is_float() && !target.is_float()) || (result != DType::Bool && target == DType::Bool) {
        return Err(Error::runtime(format!(
            "result type {} can't be cast to the desired output type {}",
            result.scalar_type_name(),
            target.scalar_type_name()
        )));
    }
    Ok(())
}

/// `target <<= other` / `target >>= other` in place.
pub fn bitshift_(dir: Shift, target: &Tensor, other: &Tensor) -> Result<()> {
    in_place(target, |t| {
        check_result_castable(common_dtype(t, other), t.dtype())?;
        bitshift(dir, t, other)
    })
}

/// `target &= other` (`|=`, `^=`) in place: the result type is checked before the kernel's dtype.
pub fn bitwise_(op: Logic, target: &Tensor, other: &Tensor) -> Result<()> {
    in_place(target, |t| {
        check_result_castable(common_dtype(t, other), t.dtype())?;
        bitwise(op, t, other)
    })
}

/// `~t` on bool and integer tensors.
pub fn bitwise_not(t: &Tensor) -> Result<Tensor> {
    match t.dtype() {
        DType::Bool => super::unary::map_kernel(t, |x: bool| !x),
        DType::U8 => super::unary::map_kernel(t, |x: u8| !x),
        DType::I32 => super::unary::map_kernel(t, |x: i32| !x),
        DType::I64 => super::unary::map_kernel(t, |x: i64| !x),
        other => Err(not_implemented("bitwise_not_cpu", other)),
    }
}

/// `cond ? a : b` elementwise in `dtype`, all three broadcast together; not recorded.
pub(crate) fn select_raw(cond: &Tensor, a: &Tensor, b: &Tensor, dtype: DType) -> Result<Tensor> {
    let shape = broadcast_shapes(&broadcast_shapes(&cond.shape(), &a.shape())?, &b.shape())?;
    let (a, b) = (convert(a, dtype), convert(b, dtype));
    with_dtype!(dtype, T => {
        // The output is allocated before the broadcast operands, so a refused allocation names
        // its size (as PyTorch's error does).
        let mut out: Vec<T> = crate::tensor::recycle::uninit_vec(crate::tensor::numel(&shape));
        let mask = broadcast_values::<bool>(cond, &shape)?;
        match (scalar_value::<T>(&a), scalar_value::<T>(&b)) {
            (Some(x), Some(y)) => out.extend(mask.iter().map(|&m| if m { x } else { y })),
            (Some(x), None) => {
                let bv = broadcast_values::<T>(&b, &shape)?;
                out.extend(mask.iter().zip(bv).map(|(&m, y)| if m { x } else { y }))
            }
            (None, Some(y)) => {
                let av = broadcast_values::<T>(&a, &shape)?;
                out.extend(mask.iter().zip(av).map(|(&m, x)| if m { x } else { y }))
            }
            (None, None) => {
                let (av, bv) = (broadcast_values::<T>(&a, &shape)?, broadcast_values::<T>(&b, &shape)?);
                out.extend(mask.iter().zip(av.iter().zip(bv)).map(|(&m, (&x, y))| if m { x } else { y }))
            }
        }
        Tensor::from_vec(out, &shape)
    })
}

/// The single value of a one-element tensor.
fn scalar_value<T: Element>(t: &Tensor) -> Option<T> {
    (t.numel() == 1).then(|| {
        let d = t.data();
        let buffer = d.storage.read();
        T::slice(&buffer)[d.layout.offset]
    })
}

/// The elements of `t` broadcast to `shape`, in logical order.
pub(crate) fn broadcast_values<T: Element>(t: &Tensor, shape: &[usize]) -> Result<Vec<T>> {
    let d = t.data();
    let buffer = d.storage.read();
    let s = T::slice(&buffer);
    if d.layout.shape == shape && d.layout.is_contiguous() {
        return Ok(crate::tensor::recycle::copied_vec(&s[d.layout.offset..d.layout.offset + d.layout.numel()]));
    }
    Ok(d.layout.broadcast_to(shape)?.gather(s))
}

/// `where(cond, grad, 0)` recorded, for backward formulas (zero where the mask is false).
pub(crate) fn keep_where(cond: &Tensor, g: &Tensor) -> Result<Tensor> {
    where_(cond, g, &Tensor::wrapped_scalar(0.0, DType::F64))
}

/// `where(cond, 0, grad)` recorded.
fn zero_where(cond: &Tensor, g: &Tensor) -> Result<Tensor> {
    where_(cond, &Tensor::wrapped_scalar(0.0, DType::F64), g)
}

/// `rustgrad.where(cond, a, b)`; `a` / `b` may be wrapped Python numbers.
pub fn where_(cond: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if cond.dtype() != DType::Bool {
        return Err(Error::runtime(format!(
            "where expected condition to be a boolean tensor, but got a tensor with dtype {}",
            cond.dtype().scalar_type_name()
        )));
    }
    let out = select_raw(cond, a, b, common_dtype(a, b))?;
    record(&[a, b], &[&out], || {
        // d where(c, a, b) = where(c, grad, 0), where(c, 0, grad)
        backward_fn("WhereBackward0", vec![input("condition", cond)], |node, s, g| {
            let cond = s[0].as_ref().expect("saved");
            let ga = if needs(node, 0) { Some(keep_where(cond, &g[0])?) } else { None };
            let gb = if needs(node, 1) { Some(zero_where(cond, &g[0])?) } else { None };
            Ok(vec![ga, gb])
        })
    })?;
    Ok(out)
}

/// `rustgrad.where(cond, a, b)` where `a` / `b` came from Python numbers (`a_num` / `b_num`): as
/// PyTorch's `where.ScalarOther`/`ScalarSelf`/`Scalar`, each number must fit the result dtype
/// (`where(c, uint8_tensor, 300)` raises `value cannot be converted to type uint8_t without
/// overflow`), checked before the condition's dtype.
pub fn where_numbers(cond: &Tensor, a: &Tensor, b: &Tensor, a_num: Option<Scalar>, b_num: Option<Scalar>) -> Result<Tensor> {
    let dtype = common_dtype(a, b);
    for s in [a_num, b_num].into_iter().flatten() {
        super::check_scalar_fits(s, dtype)?;
    }
    where_(cond, a, b)
}

fn check_mask(mask: &Tensor) -> Result<()> {
    if mask.dtype() != DType::Bool {
        return Err(Error::runtime(format!(
            "masked_fill_ only supports boolean masks, but got mask with dtype {}",
            mask.dtype().cpp_type_name()
        )));
    }
    Ok(())
}

/// `t.masked_fill(mask, value)` for a Python number `value` (MaskedFillBackward0).
pub fn masked_fill(t: &Tensor, mask: &Tensor, value: Scalar) -> Result<Tensor> {
    check_mask(mask)?;
    super::check_scalar_fits(value, t.dtype())?;
    let out = select_raw(mask, &super::full_exact(&[], value, t.dtype()), t, t.dtype())?;
    record(&[t], &[&out], || {
        // d masked_fill(t, m, v) = grad with masked entries zeroed
        backward_fn("MaskedFillBackward0", vec![input("mask", mask)], |_, s, g| {
            Ok(vec![Some(zero_where(s[0].as_ref().expect("saved"), &g[0])?)])
        })
    })?;
    Ok(out)
}

/// `t.masked_fill(mask, value)` for a 0-d tensor `value` (MaskedFillBackward1).
pub fn masked_fill_tensor(t: &Tensor, mask: &Tensor, value: &Tensor) -> Result<Tensor> {
    check_mask(mask)?;
    if value.dim() != 0 {
        return Err(Error::runtime(format!(
            "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {} dimension(s).",
            value.dim()
        )));
    }
    // PyTorch fills with value.item(), converted (checked) to t's dtype.
    let item = value.item_f64()?;
    let as_scalar = match value.dtype() {
        DType::Bool => Scalar::Bool(item != 0.0),
        d if d.is_float() => Scalar::Float(item),
        _ => Scalar::Int(item as i64),
    };
    super::check_scalar_fits(as_scalar, t.dtype())?;
    let out = select_raw(mask, value, t, t.dtype())?;
    record(&[t, value], &[&out], || {
        // d masked_fill(t, m, v) = grad with masked entries zeroed, sum(grad over masked entries)
        backward_fn("MaskedFillBackward1", vec![input("mask", mask)], |node, s, g| {
            let mask = s[0].as_ref().expect("saved");
            let gt = if needs(node, 0) { Some(zero_where(mask, &g[0])?) } else { None };
            let gv = if needs(node, 1) { Some(super::sum(&keep_where(mask, &g[0])?)?) } else { None };
            Ok(vec![gt, gv])
        })
    })?;
    Ok(out)
}

/// Which of maximum / minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extremum {
    /// maximum
    Max,
    /// minimum
    Min,
}

/// `maximum(x, y)` / `minimum(x, y)` of two elements, NaN propagating (shared with the direct
/// `clamp_`).
#[inline(always)]
pub(crate) fn extremum_value<T: PartialOrd + Copy>(which: Extremum, x: T, y: T) -> T {
    #[allow(clippy::eq_op)]
    let nan = x != x || y != y;
    // Ties keep x (maximum(-0.0, 0.0) is -0.0 in PyTorch).
    let take_y = if which == Extremum::Max { x < y } else { y < x };
    if nan {
        if x != x {
            x
        } else {
            y
        }
    } else if take_y {
        y
    } else {
        x
    }
}

/// `maximum(a, b)` / `minimum(a, b)`, propagating NaN.
pub fn extremum(which: Extremum, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dtype = common_dtype(a, b);
    let shape = broadcast_shapes(&a.shape(), &b.shape())?;
    let (ca, cb) = (convert(a, dtype), convert(b, dtype));
    let out = {
        let (da, db) = (ca.data(), cb.data());
        let (ba, bb) = (da.storage.read(), db.storage.read());
        with_dtype!(dtype, T => {
            let out = elementwise::binary(T::slice(&ba), &da.layout, T::slice(&bb), &db.layout, &shape, move |x: T, y: T| extremum_value(which, x, y));
            Tensor::from_vec(out, &shape)?
        })
    };
    let name = if which == Extremum::Max { "MaximumBackward0" } else { "MinimumBackward0" };
    record(&[a, b], &[&out], || {
        // d max(a, b) = grad*(1 - [a<b] - [a==b]/2), grad*(1 - [a>b] - [a==b]/2) (min: swap < and >)
        let saved = vec![input("self", a), input("other", b)];
        backward_fn(name, saved, move |node, s, g| {
            let (a, b) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
            let weight = |loses: Cmp| -> Result<Tensor> {
                let w = zip_as(a, b, DType::F64, move |x, y| 1.0 - (loses.apply(x, y) as u8 as f64) - 0.5 * ((x == y) as u8 as f64))?;
                Ok(convert(&w, g[0].dtype()))
            };
            let (lose_a, lose_b) = if which == Extremum::Max { (Cmp::Lt, Cmp::Gt) } else { (Cmp::Gt, Cmp::Lt) };
            let ga = if needs(node, 0) { Some(mul(&g[0], &weight(lose_a)?)?) } else { None };
            let gb = if needs(node, 1) { Some(mul(&g[0], &weight(lose_b)?)?) } else { None };
            Ok(vec![ga, gb])
        })
    })?;
    Ok(out)
}

/// `target.copy_(src)`: `src` broadcast to `target`'s shape and cast to its dtype (CopyBackwards).
pub fn copy_(target: &Tensor, src: &Tensor) -> Result<()> {
    in_place(target, |t| {
        super::inplace_direct::check_no_partial_overlap(t, src)?;
        let shape = broadcast_shapes(&t.shape(), &src.shape())?;
        let out = Tensor::from_buffer(broadcast_values_any(src, &shape, t.dtype())?, &shape)?;
        record(&[t, src], &[&out], || {
            // d copy_(t, s) = 0, grad (summed back to s's shape and dtype by the engine)
            backward_fn("CopyBackwards", vec![], |node, _, g| {
                let gt = if needs(node, 0) { Some(Tensor::zeros(&g[0].shape(), g[0].dtype())) } else { None };
                Ok(vec![gt, Some(g[0].clone())])
            })
        })?;
        Ok(out)
    })
}

fn broadcast_values_any(src: &Tensor, shape: &[usize], dtype: DType) -> Result<crate::tensor::Buffer> {
    let c = convert(src, dtype);
    with_dtype!(dtype, T => Ok(T::into_buffer(broadcast_values::<T>(&c, shape)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitwise_ops_keep_int32_and_uint8() {
        let a = Tensor::from_vec(vec![6i32, -1, 5], &[3]).unwrap();
        let b = Tensor::from_vec(vec![3i32, 12, 4], &[3]).unwrap();
        assert_eq!(bitwise(Logic::And, &a, &b).unwrap().to_vec::<i32>().unwrap(), vec![2, 12, 4]);
        assert_eq!(bitwise_not(&a).unwrap().to_vec::<i32>().unwrap(), vec![-7, 0, -6]);
        let u = Tensor::from_vec(vec![6u8, 255, 5], &[3]).unwrap();
        let v = Tensor::from_vec(vec![3u8, 12, 4], &[3]).unwrap();
        let x = bitwise(Logic::Xor, &u, &v).unwrap();
        assert_eq!((x.dtype(), x.to_vec::<u8>().unwrap()), (DType::U8, vec![5, 243, 1]));
        assert_eq!(bitwise_not(&u).unwrap().to_vec::<u8>().unwrap(), vec![249, 0, 250]);
    }

    #[test]
    fn shifts_past_the_width_follow_pytorch() {
        let shifts: Vec<i64> = vec![0, 1, 62, 63, 64, 65, 200, -1, i64::MIN];
        let n = shifts.len();
        let (one, minus8) = (Tensor::from_vec(vec![1i64; n], &[n]).unwrap(), Tensor::from_vec(vec![-8i64; n], &[n]).unwrap());
        let by = Tensor::from_vec(shifts, &[n]).unwrap();
        let left = bitshift(Shift::Left, &one, &by).unwrap().to_vec::<i64>().unwrap();
        assert_eq!(left, vec![1, 2, 1 << 62, i64::MIN, 0, 0, 0, 0, 0]);
        let right = bitshift(Shift::Right, &minus8, &by).unwrap().to_vec::<i64>().unwrap();
        assert_eq!(right, vec![-8, -4, -1, -1, -1, -1, -1, -1, -1]);
        let right = bitshift(Shift::Right, &Tensor::from_vec(vec![8i64; n], &[n]).unwrap(), &by).unwrap().to_vec::<i64>().unwrap();
        assert_eq!(right, vec![8, 4, 0, 0, 0, 0, 0, 0, 0]);
        // int32 shifts in 32 bits; a wrapped number wraps into int32 first (2**40 shifts by 0)
        let a = Tensor::from_vec(vec![1i32, 3, -5], &[3]).unwrap();
        let b = Tensor::from_vec(vec![31i32, 32, 40], &[3]).unwrap();
        assert_eq!(bitshift(Shift::Left, &a, &b).unwrap().to_vec::<i32>().unwrap(), vec![i32::MIN, 0, 0]);
        assert_eq!(bitshift(Shift::Right, &a, &b).unwrap().to_vec::<i32>().unwrap(), vec![0, 0, -1]);
        let out = bitshift(Shift::Left, &a, &Scalar::Int(1 << 40).to_tensor()).unwrap();
        assert_eq!((out.dtype(), out.to_vec::<i32>().unwrap()), (DType::I32, vec![1, 3, -5]));
        // uint8: no sign fill, 8 bits
        let u = Tensor::from_vec(vec![255u8, 1, 128], &[3]).unwrap();
        let by = Tensor::from_vec(vec![1u8, 8, 200], &[3]).unwrap();
        assert_eq!(bitshift(Shift::Right, &u, &by).unwrap().to_vec::<u8>().unwrap(), vec![127, 0, 0]);
        assert_eq!(bitshift(Shift::Left, &u, &by).unwrap().to_vec::<u8>().unwrap(), vec![254, 0, 0]);
    }

    #[test]
    fn shifts_refuse_floats_and_bools_and_in_place_casts() {
        let f = Tensor::from_vec(vec![1.0f32], &[1]).unwrap();
        assert_eq!(bitshift(Shift::Left, &f, &Scalar::Int(1).to_tensor()).unwrap_err().message(), "\"lshift_cpu\" not implemented for 'Float'");
        let b = Tensor::from_vec(vec![true], &[1]).unwrap();
        assert_eq!(bitshift(Shift::Right, &b, &b).unwrap_err().message(), "\"rshift_cpu\" not implemented for 'Bool'");
        // bool << int promotes to int64
        assert_eq!(bitshift(Shift::Left, &b, &Scalar::Int(3).to_tensor()).unwrap().to_vec::<i64>().unwrap(), vec![8]);
        let t = Tensor::from_vec(vec![1i64, 2], &[2]).unwrap();
        let err = bitshift_(Shift::Left, &t, &Scalar::Float(1.5).to_tensor()).unwrap_err();
        assert_eq!(err.message(), "result type Float can't be cast to the desired output type Long");
        let err = bitwise_(Logic::Xor, &t, &Scalar::Float(1.5).to_tensor()).unwrap_err();
        assert_eq!(err.message(), "result type Float can't be cast to the desired output type Long");
        bitshift_(Shift::Left, &t, &Scalar::Int(3).to_tensor()).unwrap();
        assert_eq!((t.to_vec::<i64>().unwrap(), t.version()), (vec![8, 16], 1));
    }
}
