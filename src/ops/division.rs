//! The rounding divisions: `div(rounding_mode="trunc"|"floor")`, `floor_divide` (`//`),
//! `remainder` (`%`) and `fmod`, with broadcasting and PyTorch's type promotion (no promotion to
//! float: `int // int` stays an integer; integer division by zero raises
//! `RuntimeError: ZeroDivisionError`).

use super::backward::{backward_fn, input, save_if};
use super::binary::{arith_raw, Arith};
use super::{mul, needs, neg, record};
use crate::autograd::SavedValue;
use crate::cpu::division::{DivKind, RoundingDiv};
use crate::cpu::elementwise;
use crate::error::{Error, Result};
use crate::ops::shape::convert;
use crate::tensor::{broadcast_shapes, DType, Element, Tensor};

/// `Tensor.div`'s rounding mode (`None` is true division).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Toward zero.
    Trunc,
    /// Toward negative infinity.
    Floor,
}

impl Rounding {
    /// Parses `rounding_mode=` with PyTorch's error for other strings.
    pub fn parse(mode: &str) -> Result<Rounding> {
        match mode {
            "trunc" => Ok(Rounding::Trunc),
            "floor" => Ok(Rounding::Floor),
            other => Err(Error::runtime(format!(
                "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{other}'"
            ))),
        }
    }

    fn kind(self) -> DivKind {
        match self {
            Rounding::Trunc => DivKind::Trunc,
            Rounding::Floor => DivKind::Floor,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Rounding::Trunc => "trunc",
            Rounding::Floor => "floor",
        }
    }
}

fn kernel<T: Element + RoundingDiv>(kind: DivKind, a: &Tensor, b: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let (da, db) = (a.data(), b.data());
    let (ba, bb) = (da.storage.read(), db.storage.read());
    let out = elementwise::binary(T::slice(&ba), &da.layout, T::slice(&bb), &db.layout, shape, |x, y| T::rounding_div(kind, x, y));
    Tensor::from_vec(out, shape)
}

/// `a kind b` without recording. The result dtype is PyTorch's promoted dtype; integer operands
/// are first cast to it (so `uint8 // -2` divides by 254, as PyTorch), then computed as int64.
pub(crate) fn rounding_div_raw(kind: DivKind, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let shape = broadcast_shapes(&a.shape(), &b.shape())?;
    let dtype = DType::result_type(&[(a.dtype(), a.promotion_rank()), (b.dtype(), b.promotion_rank())]);
    match dtype {
        DType::F32 => kernel::<f32>(kind, &convert(a, dtype), &convert(b, dtype), &shape),
        DType::F64 => kernel::<f64>(kind, &convert(a, dtype), &convert(b, dtype), &shape),
        DType::Bool => Err(Error::not_implemented(format!("\"{}\" not implemented for 'Bool'", kind.kernel_name()))),
        _ => {
            let wide = |t: &Tensor| convert(&convert(t, dtype), DType::I64);
            let (a, b) = (wide(a), wide(b));
            if shape.iter().product::<usize>() > 0 && b.to_vec::<i64>()?.contains(&0) {
                return Err(Error::runtime("ZeroDivisionError"));
            }
            Ok(convert(&kernel::<i64>(kind, &a, &b, &shape)?, dtype))
        }
    }
}

/// `a.div(b, rounding_mode=mode)` (DivBackward2, also for an explicit `rounding_mode=None`).
pub fn div_rounding(a: &Tensor, b: &Tensor, mode: Option<Rounding>) -> Result<Tensor> {
    let out = match mode {
        Some(m) => rounding_div_raw(m.kind(), a, b)?,
        None => arith_raw(Arith::Div, a, b)?,
    };
    record(&[a, b], &[&out], || {
        // d(a/b) = grad/b, -grad*a/b^2; rounded quotients are piecewise constant: 0, 0
        let saved = vec![save_if(b.requires_grad(), "self", a), input("other", b)];
        let value = mode.map_or(SavedValue::None, |m| SavedValue::Str(m.name()));
        backward_fn("DivBackward2", saved, move |node, s, g| {
            let other = s[1].as_ref().expect("saved");
            if mode.is_some() {
                let zeros = |i: usize, dtype: DType| needs(node, i).then(|| Tensor::zeros(&g[0].shape(), dtype));
                return Ok(vec![zeros(0, g[0].dtype()), zeros(1, g[0].dtype())]);
            }
            let grad_a = if needs(node, 0) { Some(super::div(&g[0], other)?) } else { None };
            let grad_b = if needs(node, 1) {
                let a = s[0].as_ref().expect("saved");
                Some(neg(&super::div(&mul(&g[0], a)?, &mul(other, other)?)?)?)
            } else {
                None
            };
            Ok(vec![grad_a, grad_b])
        })
        .values(vec![("rounding_mode", value)])
    })?;
    Ok(out)
}

/// The node PyTorch records for ops without a derivative formula: building the graph works,
/// backward through it raises.
pub(crate) fn not_differentiable(inputs: &[&Tensor], out: &Tensor, aten_name: &'static str) -> Result<()> {
    record(inputs, &[out], || {
        // no derivative: backward raises
        backward_fn("NotImplemented", vec![], move |_, _, _| {
            Err(Error::runtime(format!("derivative for {aten_name} is not implemented")))
        })
    })
}

/// `a // b` (`floor_divide`): not differentiable in PyTorch (its node raises at backward).
pub fn floor_divide(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = rounding_div_raw(DivKind::Floor, a, b)?;
    not_differentiable(&[a, b], &out, "aten::floor_divide")?;
    Ok(out)
}

/// `a % b` for two tensors (`remainder.Tensor`, RemainderBackward1).
pub fn remainder(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    remainder_or_fmod(DivKind::Remainder, a, b)
}

/// `fmod(a, b)` for two tensors (FmodBackward1).
pub fn fmod(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    remainder_or_fmod(DivKind::Fmod, a, b)
}

fn remainder_or_fmod(kind: DivKind, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = rounding_div_raw(kind, a, b)?;
    let (name, rounding) =
        if kind == DivKind::Remainder { ("RemainderBackward1", Rounding::Floor) } else { ("FmodBackward1", Rounding::Trunc) };
    record(&[a, b], &[&out], || {
        // d(a - round(a/b)*b) = grad, -grad*round(a/b)   (round: floor for remainder, trunc for fmod)
        // Saved only for other's gradient. Unlike an undefined saved slot, saving nothing lets a
        // second backward through the node work, as PyTorch's never-assigned SavedVariables.
        let (saved, unsaved) = if b.requires_grad() {
            (vec![input("self", a), input("other", b)], vec![])
        } else {
            (vec![], vec![("self", SavedValue::None), ("other", SavedValue::None)])
        };
        backward_fn(name, saved, move |node, s, g| {
            let grad_b = if needs(node, 1) {
                let (a, b) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
                Some(neg(&mul(&g[0], &div_rounding(a, b, Some(rounding))?)?)?)
            } else {
                None
            };
            Ok(vec![Some(g[0].clone()), grad_b])
        })
        .values(unsaved)
    })?;
    Ok(out)
}

/// `a % c` / `fmod(a, c)` for a Python number `c` (RemainderBackward0 / FmodBackward0).
pub fn remainder_or_fmod_scalar(kind: DivKind, a: &Tensor, c: &Tensor) -> Result<Tensor> {
    let out = rounding_div_raw(kind, a, c)?;
    let name = if kind == DivKind::Remainder { "RemainderBackward0" } else { "FmodBackward0" };
    record(&[a], &[&out], || {
        // d(a - round(a/c)*c) = grad
        backward_fn(name, vec![], |_, _, g| Ok(vec![Some(g[0].clone())]))
    })?;
    Ok(out)
}

/// `c % a` for a Python number `c` (`remainder.Scalar_Tensor`: not differentiable in PyTorch).
pub fn rremainder_scalar(c: &Tensor, a: &Tensor) -> Result<Tensor> {
    let out = rounding_div_raw(DivKind::Remainder, c, a)?;
    not_differentiable(&[a], &out, "aten::remainder")?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Scalar;

    fn ints(v: &[i64]) -> Tensor {
        Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap()
    }

    #[test]
    fn integer_results_keep_the_integer_dtype_and_zero_divisors_raise() {
        let a = ints(&[7, -7, 5]);
        let b = ints(&[2, 2, -3]);
        assert_eq!(floor_divide(&a, &b).unwrap().to_vec::<i64>().unwrap(), vec![3, -4, -2]);
        assert_eq!(remainder(&a, &b).unwrap().to_vec::<i64>().unwrap(), vec![1, 1, -1]);
        assert_eq!(fmod(&a, &b).unwrap().to_vec::<i64>().unwrap(), vec![1, -1, 2]);
        assert_eq!(div_rounding(&a, &b, Some(Rounding::Trunc)).unwrap().to_vec::<i64>().unwrap(), vec![3, -3, -1]);
        assert_eq!(div_rounding(&a, &b, None).unwrap().dtype(), DType::F32);
        let err = floor_divide(&a, &ints(&[1, 0, 1])).unwrap_err();
        assert_eq!(err, Error::runtime("ZeroDivisionError"));
        // An empty result divides nothing, so a zero divisor does not matter.
        assert!(floor_divide(&ints(&[]), &Scalar::Int(0).to_tensor()).is_ok());
    }

    #[test]
    fn narrow_integers_cast_the_scalar_first_and_bool_is_refused() {
        let u = convert(&ints(&[5, 7]), DType::U8);
        let q = floor_divide(&u, &Scalar::Int(-2).to_tensor()).unwrap();
        assert_eq!(q.dtype(), DType::U8);
        assert_eq!(q.to_vec::<u8>().unwrap(), vec![0, 0]); // 5 // 254
        let b = convert(&ints(&[1, 0]), DType::Bool);
        assert_eq!(remainder(&b, &b).unwrap_err(), Error::not_implemented("\"remainder_cpu\" not implemented for 'Bool'"));
        assert_eq!(Rounding::parse("round").unwrap_err().message(), "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'");
    }
}
