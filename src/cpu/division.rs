//! Scalar semantics of PyTorch's rounding divisions (`div(rounding_mode=...)`, `//`, `%`, `fmod`),
//! as c10's `div_floor_floating` / `div_floor_integer` and ATen's remainder/fmod kernels. The ops
//! map them over tensors with [`super::elementwise::binary`].

/// Which rounding division.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DivKind {
    /// `trunc(a / b)` (`div(rounding_mode="trunc")`).
    Trunc,
    /// `floor(a / b)` (`div(rounding_mode="floor")`, `//`, `floor_divide`).
    Floor,
    /// `a - floor(a / b) * b`: the sign of the divisor, as Python's `%` (`remainder`).
    Remainder,
    /// `a - trunc(a / b) * b`: the sign of the dividend, as C's `fmod`.
    Fmod,
}

impl DivKind {
    /// PyTorch's CPU kernel name (its "not implemented for 'Bool'" message names it).
    pub fn kernel_name(self) -> &'static str {
        match self {
            DivKind::Trunc => "div_trunc_cpu",
            DivKind::Floor => "div_floor_cpu",
            DivKind::Remainder => "remainder_cpu",
            DivKind::Fmod => "fmod_cpu",
        }
    }
}

/// Element types the rounding divisions run on (narrow integers run as int64).
pub trait RoundingDiv: Copy {
    /// `a kind b`.
    fn rounding_div(kind: DivKind, a: Self, b: Self) -> Self;
}

macro_rules! float_impl {
    ($t:ty) => {
        impl RoundingDiv for $t {
            #[inline]
            fn rounding_div(kind: DivKind, a: $t, b: $t) -> $t {
                match kind {
                    DivKind::Trunc => (a / b).trunc(),
                    DivKind::Floor => floor_div_float(a, b),
                    DivKind::Remainder => {
                        let m = a % b; // Rust's float `%` is C's fmod
                        if m != 0.0 && (b < 0.0) != (m < 0.0) {
                            m + b
                        } else {
                            m
                        }
                    }
                    DivKind::Fmod => a % b,
                }
            }
        }
    };
}

float_impl!(f32);
float_impl!(f64);

/// c10's `div_floor_floating`: exact for quotients a plain `floor(a / b)` would round wrongly
/// (`1 // 0.1` is 9, as Python).
#[inline]
fn floor_div_float<T: num_float::Float>(a: T, b: T) -> T {
    if b == T::ZERO {
        return a / b; // IEEE result: inf, -inf or nan
    }
    let m = a % b;
    let mut div = (a - m) / b;
    if m != T::ZERO && (b < T::ZERO) != (m < T::ZERO) {
        div = div - T::ONE;
    }
    if div != T::ZERO {
        let mut f = div.floor();
        if div - f > T::HALF {
            f = f + T::ONE;
        }
        f
    } else {
        T::ZERO.copysign(a / b)
    }
}

/// The few float operations `floor_div_float` needs, for f32 and f64.
mod num_float {
    use std::ops::{Add, Div, Rem, Sub};

    pub trait Float: Copy + PartialOrd + Add<Output = Self> + Sub<Output = Self> + Div<Output = Self> + Rem<Output = Self> {
        const ZERO: Self;
        const ONE: Self;
        const HALF: Self;
        fn floor(self) -> Self;
        fn copysign(self, sign: Self) -> Self;
    }

    macro_rules! imp {
        ($t:ty) => {
            impl Float for $t {
                const ZERO: $t = 0.0;
                const ONE: $t = 1.0;
                const HALF: $t = 0.5;
                fn floor(self) -> $t {
                    <$t>::floor(self)
                }
                fn copysign(self, sign: $t) -> $t {
                    <$t>::copysign(self, sign)
                }
            }
        };
    }
    imp!(f32);
    imp!(f64);
}

impl RoundingDiv for i64 {
    /// `b` is never 0 here (the op raises ZeroDivisionError first). `i64::MIN / -1` wraps, as
    /// PyTorch's results show.
    #[inline]
    fn rounding_div(kind: DivKind, a: i64, b: i64) -> i64 {
        match kind {
            DivKind::Trunc => a.wrapping_div(b),
            DivKind::Floor => {
                let q = a.wrapping_div(b);
                if (a < 0) != (b < 0) && a.wrapping_rem(b) != 0 {
                    q - 1
                } else {
                    q
                }
            }
            DivKind::Remainder => {
                let r = a.wrapping_rem(b);
                if r != 0 && (r < 0) != (b < 0) {
                    r + b
                } else {
                    r
                }
            }
            DivKind::Fmod => a.wrapping_rem(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DivKind::*;
    use super::*;

    #[test]
    fn integer_semantics_follow_python_for_floor_and_remainder_and_c_for_trunc_and_fmod() {
        let cases = [(7i64, 2i64), (-7, 2), (7, -2), (-7, -2), (0, 3), (6, 3), (-6, 3)];
        for (a, b) in cases {
            let (fa, fb) = (a as f64, b as f64);
            assert_eq!(i64::rounding_div(Floor, a, b), (fa / fb).floor() as i64, "{a} // {b}");
            assert_eq!(i64::rounding_div(Trunc, a, b), (fa / fb).trunc() as i64, "{a} trunc {b}");
            assert_eq!(i64::rounding_div(Remainder, a, b), a - b * (fa / fb).floor() as i64, "{a} % {b}");
            assert_eq!(i64::rounding_div(Fmod, a, b), a % b, "fmod({a}, {b})");
        }
        assert_eq!(i64::rounding_div(Floor, i64::MIN, -1), i64::MIN);
        assert_eq!(i64::rounding_div(Remainder, i64::MIN, -1), 0);
    }

    #[test]
    fn float_floor_division_is_exact_and_keeps_signed_zeros() {
        assert_eq!(f64::rounding_div(Floor, 1.0, 0.1), 9.0); // floor(1 / 0.1) would say 10
        assert_eq!(f32::rounding_div(Floor, -0.5, 1.0), -1.0);
        assert!(f64::rounding_div(Floor, 0.5, -1.0) == -1.0);
        let z = f64::rounding_div(Floor, -0.0, 3.0);
        assert!(z == 0.0 && z.is_sign_negative());
        assert_eq!(f64::rounding_div(Floor, 1.0, 0.0), f64::INFINITY);
        assert!(f64::rounding_div(Floor, 0.0, 0.0).is_nan());
        assert_eq!(f64::rounding_div(Floor, -5.0, f64::INFINITY), -1.0);
        assert_eq!(f64::rounding_div(Floor, 5.0, f64::INFINITY), 0.0);
    }

    #[test]
    fn float_remainder_takes_the_divisor_sign_and_fmod_the_dividend_sign() {
        assert_eq!(f64::rounding_div(Remainder, -7.5, 2.0), 0.5);
        assert_eq!(f64::rounding_div(Remainder, 7.5, -2.0), -0.5);
        assert_eq!(f64::rounding_div(Fmod, -7.5, 2.0), -1.5);
        assert_eq!(f32::rounding_div(Fmod, 7.5, -2.0), 1.5);
        assert!(f64::rounding_div(Remainder, 1.0, 0.0).is_nan());
        assert_eq!(f64::rounding_div(Remainder, -5.0, f64::INFINITY), f64::INFINITY);
        assert_eq!(f64::rounding_div(Trunc, -7.5, 2.0), -3.0);
    }
}
