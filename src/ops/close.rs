//! Closeness tests: `isclose` (elementwise, with rtol/atol/equal_nan) and `equal` (same shape and
//! values). Bool results, never differentiable.

use super::compare::{compare, Cmp};
use crate::cpu::elementwise;
use crate::error::{Error, Result};
use crate::tensor::{broadcast_shapes, DType, Element, Tensor};

/// A double as C++'s `ostream` prints it in PyTorch's messages (`-1`, `-0.5`, `1e-05`).
pub(crate) fn cpp_double(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e16 {
        return format!("{}", v as i64);
    }
    let exp = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        let mantissa = v / 10f64.powi(exp);
        let m = format!("{:.5}", mantissa);
        let m = m.trim_end_matches('0').trim_end_matches('.');
        return format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    let s = format!("{:.*}", (5 - exp).max(0) as usize, v);
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// `|a - b| <= atol + rtol * |b|` elementwise, or both equal (infinities), or both NaN with
/// `equal_nan`. Integer operands compare in the default float dtype, as PyTorch's.
pub fn isclose(a: &Tensor, b: &Tensor, rtol: f64, atol: f64, equal_nan: bool) -> Result<Tensor> {
    if a.dtype() != b.dtype() {
        return Err(Error::runtime(format!("{} did not match {}", a.dtype().scalar_type_name(), b.dtype().scalar_type_name())));
    }
    if rtol < 0.0 {
        return Err(Error::runtime(format!("rtol must be greater than or equal to zero, but got {}", cpp_double(rtol))));
    }
    if atol < 0.0 {
        return Err(Error::runtime(format!("atol must be greater than or equal to zero, but got {}", cpp_double(atol))));
    }
    let shape = broadcast_shapes(&a.shape(), &b.shape())?;
    if a.dtype() == DType::Bool {
        return compare(Cmp::Eq, a, b);
    }
    match a.dtype() {
        DType::F32 => close_kernel::<f32>(a, b, &shape, rtol, atol, equal_nan),
        DType::F64 => close_kernel::<f64>(a, b, &shape, rtol, atol, equal_nan),
        _ => {
            let d = DType::default_float();
            let (a, b) = (super::shape::convert(a, d), super::shape::convert(b, d));
            isclose(&a, &b, rtol, atol, equal_nan)
        }
    }
}

fn close_kernel<T: Element + num_like::Float>(a: &Tensor, b: &Tensor, shape: &[usize], rtol: f64, atol: f64, equal_nan: bool) -> Result<Tensor> {
    let (da, db) = (a.data_ref(), b.data_ref());
    let (ba, bb) = (da.storage.read(), db.storage.read());
    let (rtol, atol) = (T::from_f64(rtol), T::from_f64(atol));
    let out = elementwise::binary(T::slice(&ba), &da.layout, T::slice(&bb), &db.layout, shape, move |x: T, y: T| {
        if x == y {
            return true;
        }
        if equal_nan && x.is_nan() && y.is_nan() {
            return true;
        }
        let actual = x.sub(y).abs();
        let allowed = atol.add(rtol.mul(y).abs());
        actual.is_finite() && actual <= allowed
    });
    Tensor::from_vec(out, shape)
}

/// The float arithmetic `close_kernel` needs, in the element type.
mod num_like {
    pub trait Float: Copy + PartialOrd {
        fn sub(self, o: Self) -> Self;
        fn add(self, o: Self) -> Self;
        fn mul(self, o: Self) -> Self;
        fn abs(self) -> Self;
        fn is_nan(self) -> bool;
        fn is_finite(self) -> bool;
    }
    macro_rules! float {
        ($t:ty) => {
            impl Float for $t {
                fn sub(self, o: Self) -> Self { self - o }
                fn add(self, o: Self) -> Self { self + o }
                fn mul(self, o: Self) -> Self { self * o }
                fn abs(self) -> Self { <$t>::abs(self) }
                fn is_nan(self) -> bool { <$t>::is_nan(self) }
                fn is_finite(self) -> bool { <$t>::is_finite(self) }
            }
        };
    }
    float!(f32);
    float!(f64);
}

/// True when `a` and `b` have the same shape and equal values (NaN is never equal; dtypes may
/// differ, values compare after promotion).
pub fn equal(a: &Tensor, b: &Tensor) -> Result<bool> {
    if a.shape() != b.shape() {
        return Ok(false);
    }
    let eq = compare(Cmp::Eq, a, b)?;
    Ok(eq.to_vec::<bool>()?.iter().all(|&v| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpp_doubles() {
        assert_eq!(cpp_double(-1.0), "-1");
        assert_eq!(cpp_double(-0.5), "-0.5");
        assert_eq!(cpp_double(-1e-5), "-1e-05");
        assert_eq!(cpp_double(-0.125), "-0.125");
    }

    #[test]
    fn isclose_tolerances() {
        let a = Tensor::from_vec(vec![1.0f64, 2.0, f64::NAN, f64::INFINITY], &[4]).unwrap();
        let b = Tensor::from_vec(vec![1.0f64, 2.1, f64::NAN, f64::INFINITY], &[4]).unwrap();
        assert_eq!(isclose(&a, &b, 1e-5, 1e-8, false).unwrap().to_vec::<bool>().unwrap(), vec![true, false, false, true]);
        assert_eq!(isclose(&a, &b, 0.1, 0.0, true).unwrap().to_vec::<bool>().unwrap(), vec![true, true, true, true]);
        assert!(equal(&a.clone(), &Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[4]).unwrap()).is_ok());
    }
}
