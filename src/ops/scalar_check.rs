//! PyTorch's checked conversion of a Python number into a tensor's dtype (c10's
//! `checked_convert`), used where PyTorch converts a number argument to the tensor's type: clamp
//! bounds, fill values, masked_fill values, `full`, `t[i] = number`.

use crate::error::{Error, Result};
use crate::tensor::{DType, Scalar};

/// The C++ type PyTorch's overflow message names.
fn cpp_name(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "bool",
        DType::U8 => "uint8_t",
        DType::I32 => "int",
        DType::I64 => "int64_t",
        DType::F32 => "float",
        DType::F64 => "double",
    }
}

/// True when c10's `overflows<dtype>(value)` holds. Negative integers wrap into unsigned types down
/// to -max (`uint8` takes -255..=255); infinities and nan fit float types only.
fn overflows(value: Scalar, dtype: DType) -> bool {
    let (lowest, max) = match dtype {
        DType::Bool | DType::F64 => return false,
        DType::U8 => (0.0, u8::MAX as f64),
        DType::I32 => (i32::MIN as f64, i32::MAX as f64),
        DType::I64 => (i64::MIN as f64, i64::MAX as f64),
        DType::F32 => (f32::MIN as f64, f32::MAX as f64),
    };
    match value {
        Scalar::Bool(_) => false,
        Scalar::Int(i) => match dtype {
            DType::U8 => i > 255 || i < -255,
            DType::I32 => i32::try_from(i).is_err(),
            _ => false,
        },
        Scalar::Float(f) if dtype.is_float() => !f.is_infinite() && !f.is_nan() && (f < lowest || f > max),
        Scalar::Float(f) => f.is_nan() || f < lowest || f > max,
    }
}

/// Refuses `value` where PyTorch cannot convert it to `dtype`:
/// `value cannot be converted to type uint8_t without overflow`.
pub fn check_scalar_fits(value: Scalar, dtype: DType) -> Result<()> {
    if overflows(value, dtype) {
        return Err(Error::runtime(format!("value cannot be converted to type {} without overflow", cpp_name(dtype))));
    }
    Ok(())
}

/// `tensor(data, dtype=<integer type>)` checks every number the same way, but its message names the
/// dtype (`value cannot be converted to type uint8 without overflow`). Float targets take anything
/// (`1e300` becomes `inf` in float32).
pub fn check_value_fits_tensor(value: Scalar, dtype: DType) -> Result<()> {
    let name = match dtype {
        DType::U8 => "uint8",
        DType::I32 => "int32",
        DType::I64 => "int64",
        _ => return Ok(()),
    };
    if overflows(value, dtype) {
        return Err(Error::runtime(format!("value cannot be converted to type {name} without overflow")));
    }
    Ok(())
}

/// `value` in `dtype` filling `shape`, with an int converted straight from int64 (an int past
/// 2**53 stays exact in int64, as PyTorch's `full`, `fill_`, `masked_fill`, not rounded via f64).
pub fn full_exact(shape: &[usize], value: Scalar, dtype: DType) -> crate::tensor::Tensor {
    match value {
        // Past 2**53 an f64 no longer holds the int (below, `full`'s fast fill is exact).
        Scalar::Int(i) if i.unsigned_abs() > 1 << 53 => crate::with_dtype!(dtype, T => {
            use crate::tensor::Element;
            let n = shape.iter().product();
            crate::tensor::Tensor::from_vec(crate::tensor::recycle::filled_vec(n, T::from_i64(i)), shape).expect("the values fill the shape")
        }),
        _ => crate::tensor::Tensor::full(shape, value.to_f64(), dtype),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::DType::*;

    #[test]
    fn ranges_follow_c10_checked_convert() {
        let ok = |v, d| check_scalar_fits(v, d).is_ok();
        assert!(ok(Scalar::Int(255), U8) && ok(Scalar::Int(-255), U8) && !ok(Scalar::Int(256), U8) && !ok(Scalar::Int(-256), U8));
        assert!(ok(Scalar::Float(255.0), U8) && ok(Scalar::Float(-0.0), U8) && !ok(Scalar::Float(255.5), U8) && !ok(Scalar::Float(-0.5), U8) && !ok(Scalar::Float(f64::NAN), U8));
        assert!(!ok(Scalar::Float(f64::INFINITY), I64) && ok(Scalar::Float(1e18), I64) && !ok(Scalar::Float(1e19), I64));
        assert!(ok(Scalar::Int(i32::MIN as i64), I32) && !ok(Scalar::Int(i32::MAX as i64 + 1), I32));
        assert!(ok(Scalar::Float(f64::INFINITY), F32) && ok(Scalar::Float(f64::NAN), F32) && !ok(Scalar::Float(3.5e38), F32));
        assert!(ok(Scalar::Int(i64::MAX), F32) && ok(Scalar::Int(1000), Bool) && ok(Scalar::Float(1e300), F64));
        assert_eq!(
            check_scalar_fits(Scalar::Int(300), U8).unwrap_err().message(),
            "value cannot be converted to type uint8_t without overflow"
        );
        assert_eq!(check_scalar_fits(Scalar::Float(1e10), I32).unwrap_err().message(), "value cannot be converted to type int without overflow");
    }

    #[test]
    fn full_exact_keeps_big_ints() {
        let big = (1i64 << 62) + 1;
        assert_eq!(full_exact(&[2], Scalar::Int(big), I64).to_vec::<i64>().unwrap(), vec![big, big]);
        assert_eq!(full_exact(&[1], Scalar::Int(i64::MIN + 1), F32).to_vec::<f32>().unwrap(), vec![(i64::MIN + 1) as f32]);
        assert_eq!(full_exact(&[3], Scalar::Int(7), I32).to_vec::<i32>().unwrap(), vec![7; 3]);
        assert_eq!(full_exact(&[], Scalar::Float(2.5), F32).to_vec::<f32>().unwrap(), vec![2.5]);
    }
}
