//! The gamma-function family PyTorch computes with Cephes (`aten/src/ATen/native/Math.h`):
//! digamma, trigamma, the Hurwitz zeta function and polygamma. Evaluated in f64 (float32 callers
//! round the result), with PyTorch's special values at poles and negative integers.

use std::f64::consts::PI;

/// `coef[0] x^n + ... + coef[n]` (Cephes `polevl`).
fn polevl(x: f64, coef: &[f64]) -> f64 {
    coef.iter().fold(0.0, |acc, &c| acc * x + c)
}

/// `psi(x) = d ln Gamma(x) / dx`: -inf at +0, +inf at -0, NaN at negative integers.
pub fn digamma(x: f64) -> f64 {
    const PSI_10: f64 = 2.25175258906672110764;
    if x == 0.0 {
        return f64::INFINITY.copysign(-x);
    }
    if x < 0.0 {
        if x == x.trunc() {
            return f64::NAN;
        }
        // Reflection; tan(pi * frac(x)) is more accurate than tan(pi * x) for |x| > 1.
        let r = x - x.trunc();
        return digamma(1.0 - x) - PI / (PI * r).tan();
    }
    let (mut x, mut result) = (x, 0.0);
    while x < 10.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    if x == 10.0 {
        return result + PSI_10;
    }
    const A: [f64; 7] = [
        8.33333333333333333333E-2,
        -2.10927960927960927961E-2,
        7.57575757575757575758E-3,
        -4.16666666666666666667E-3,
        3.96825396825396825397E-3,
        -8.33333333333333333333E-3,
        8.33333333333333333333E-2,
    ];
    let y = if x < 1.0e17 {
        let z = 1.0 / (x * x);
        z * polevl(z, &A)
    } else {
        0.0
    };
    result + x.ln() - 0.5 / x - y
}

/// `psi'(x)`, by reflection below 1/2, six recurrence steps and the asymptotic series.
pub fn trigamma(x: f64) -> f64 {
    let (mut x, mut sign, mut result) = (x, 1.0, 0.0);
    if x < 0.5 {
        sign = -1.0;
        let s = (PI * x).sin();
        result -= PI * PI / (s * s);
        x = 1.0 - x;
    }
    for _ in 0..6 {
        result += 1.0 / (x * x);
        x += 1.0;
    }
    let ixx = 1.0 / (x * x);
    result += (1.0 + 1.0 / (2.0 * x) + ixx * (1.0 / 6.0 - ixx * (1.0 / 30.0 - ixx * (1.0 / 42.0)))) / x;
    sign * result
}

/// The Hurwitz zeta function `sum_k (k + q)^-x` (Cephes `zeta`, Euler-Maclaurin summation).
pub fn zeta(x: f64, q: f64) -> f64 {
    const MACHEP: f64 = 1.11022302462515654042E-16;
    const A: [f64; 12] = [
        12.0,
        -720.0,
        30240.0,
        -1209600.0,
        47900160.0,
        -1.8924375803183791606e9,
        7.47242496e10,
        -2.950130727918164224e12,
        1.1646782814350067249e14,
        -4.5979787224074726105e15,
        1.8152105401943546773e17,
        -7.1661652561756670113e18,
    ];
    if x == 1.0 {
        return f64::INFINITY;
    }
    if x < 1.0 {
        return f64::NAN;
    }
    if q <= 0.0 {
        if q == q.floor() {
            return f64::INFINITY;
        }
        if x != x.floor() {
            return f64::NAN;
        }
    }
    let mut s = q.powf(-x);
    let mut a = q;
    let mut b = 0.0;
    let mut i = 0;
    while i < 9 || a <= 9.0 {
        i += 1;
        a += 1.0;
        b = a.powf(-x);
        s += b;
        if -MACHEP * s < b && b < MACHEP * s {
            return s;
        }
    }
    let w = a;
    s += b * w / (x - 1.0);
    s -= 0.5 * b;
    let mut a = 1.0;
    let mut k = 0.0;
    for coef in A {
        a *= x + k;
        b /= w;
        let t = a * b / coef;
        s += t;
        if (t / s).abs() < MACHEP {
            return s;
        }
        k += 1.0;
        a *= x + k;
        b /= w;
        k += 1.0;
    }
    s
}

/// `psi^(n)(x)` for `n >= 0`: digamma, trigamma, then `(-1)^(n+1) n! zeta(n+1, x)`.
pub fn polygamma(n: u32, x: f64) -> f64 {
    match n {
        0 => digamma(x),
        1 => trigamma(x),
        _ => {
            let sign = if n % 2 == 1 { 1.0 } else { -1.0 };
            sign * libm::lgamma(n as f64 + 1.0).exp() * zeta(n as f64 + 1.0, x)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn digamma_matches_known_values_and_pytorchs_special_cases() {
        const EULER: f64 = 0.5772156649015329;
        assert!(close(digamma(1.0), -EULER, 1e-15));
        assert!(close(digamma(0.5), -EULER - 2.0 * 2f64.ln(), 1e-14));
        assert!(close(digamma(10.0), 2.251752589066721, 1e-15));
        assert!(close(digamma(123.25), 123.25f64.ln() - 0.5 / 123.25 - 1.0 / (12.0 * 123.25 * 123.25), 1e-9));
        // psi(1 - x) - psi(x) = pi cot(pi x)
        assert!(close(digamma(-1.5) - digamma(2.5), PI / (PI * 2.5).tan(), 1e-12));
        assert_eq!(digamma(0.0), f64::NEG_INFINITY);
        assert_eq!(digamma(-0.0), f64::INFINITY);
        assert!(digamma(-3.0).is_nan());
    }

    #[test]
    fn trigamma_and_polygamma_agree_with_series_and_differences() {
        // PyTorch's series stops at x^-7 after six recurrence steps: about 1e-9 relative.
        assert!(close(trigamma(1.0), PI * PI / 6.0, 1e-8));
        assert!(close(trigamma(0.5), PI * PI / 2.0, 1e-8));
        assert!(close(trigamma(-0.5), PI * PI / 2.0 + 4.0, 1e-8));
        // zeta(2, 1) = pi^2/6 and zeta(4, 1) = pi^4/90
        assert!(close(zeta(2.0, 1.0), PI * PI / 6.0, 1e-14));
        assert!(close(zeta(4.0, 1.0), PI.powi(4) / 90.0, 1e-14));
        // psi''(1) = -2 zeta(3); psi'''(x) from a central difference of psi''.
        assert!(close(polygamma(2, 1.0), -2.0 * 1.2020569031595942, 1e-13));
        for x in [0.3, 1.7, 4.2, 12.5] {
            let h = 1e-5;
            let fd = (polygamma(2, x + h) - polygamma(2, x - h)) / (2.0 * h);
            assert!(close(polygamma(3, x), fd, 1e-6), "x={x}");
            let fd1 = (digamma(x + h) - digamma(x - h)) / (2.0 * h);
            assert!(close(polygamma(1, x), fd1, 1e-7), "x={x}");
        }
        assert_eq!(zeta(1.0, 2.0), f64::INFINITY);
        assert!(zeta(0.5, 2.0).is_nan());
    }
}
