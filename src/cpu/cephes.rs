//! Single-precision log and sincos in the exact operation order of the Cephes-derived AVX routines
//! PyTorch's CPU `randn` uses for float32 (its `normal_fill_16_AVX2`). Evaluating the same
//! polynomials in the same order makes rustgrad's float32 normal samples bit-identical to
//! PyTorch's; they are not used as general-purpose math. The compiler that built PyTorch fused
//! some multiply-adds into FMAs; the `mul_add`s below sit exactly where (found by comparing
//! millions of samples against PyTorch 2.13's output bit for bit).

const MIN_NORM_POS: f32 = f32::MIN_POSITIVE;
const SQRTHF: f32 = 0.707_106_77;
const LOG_P: [f32; 9] = [
    7.037_683_6e-2,
    -1.151_461e-1,
    1.167_699_9e-1,
    -1.242_014_1e-1,
    1.424_932_3e-1,
    -1.666_805_8e-1,
    2.000_071_5e-1,
    -2.499_999_4e-1,
    3.333_333e-1,
];
const LOG_Q1: f32 = -2.121_944_4e-4;
const LOG_Q2: f32 = 0.693_359_4;

/// Natural logarithm, NaN for `x <= 0`.
pub fn log(x: f32) -> f32 {
    if x <= 0.0 || x.is_nan() {
        return f32::NAN;
    }
    let x = x.max(MIN_NORM_POS);
    let exponent_bits = (x.to_bits() >> 23) as i32;
    // Keep the mantissa, with the exponent of 0.5: x in [0.5, 1).
    let mut x = f32::from_bits((x.to_bits() & !0x7f80_0000) | 0.5f32.to_bits());
    let mut e = (exponent_bits - 0x7f) as f32;
    e += 1.0;
    let below = x < SQRTHF;
    let tmp = if below { x } else { 0.0 };
    x -= 1.0;
    e -= if below { 1.0 } else { 0.0 };
    x += tmp;
    let z = x * x;
    let mut y = LOG_P[0];
    for &p in &LOG_P[1..] {
        y = y.mul_add(x, p);
    }
    y *= x;
    y = y.mul_add(z, e * LOG_Q1);
    y = (-z).mul_add(0.5, y);
    x += y;
    e.mul_add(LOG_Q2, x)
}

const FOPI: f32 = 1.273_239_5; // 4 / pi
const MINUS_DP: [f32; 3] = [-0.785_156_25, -2.418_756_5e-4, -3.774_895e-8];
const SIN_P: [f32; 3] = [-1.951_529_6e-4, 8.332_161e-3, -1.666_665_5e-1];
const COS_P: [f32; 3] = [2.443_315_7e-5, -1.388_731_6e-3, 4.166_664_6e-2];

/// Sine and cosine of `x`.
pub fn sincos(x: f32) -> (f32, f32) {
    let sign_sin = x.to_bits() & 0x8000_0000;
    let mut x = x.abs();
    let mut j = (x * FOPI) as i32;
    j = (j + 1) & !1;
    let y = j as f32;
    let swap_sin = ((j & 4) as u32) << 29;
    let use_sin_poly = (j & 2) == 0;
    for dp in MINUS_DP {
        x = y.mul_add(dp, x);
    }
    let sign_cos = ((!(j - 2) & 4) as u32) << 29;
    let sign_sin = sign_sin ^ swap_sin;
    let z = x * x;
    let mut c = COS_P[0];
    c = c.mul_add(z, COS_P[1]);
    c = c.mul_add(z, COS_P[2]);
    c *= z;
    c = c.mul_add(z, -(z * 0.5));
    c += 1.0;
    let mut s = SIN_P[0];
    s = s.mul_add(z, SIN_P[1]);
    s = s.mul_add(z, SIN_P[2]);
    s *= z;
    s = s.mul_add(x, x);
    let (sin_part, cos_part) = if use_sin_poly { (s, c) } else { (c, s) };
    (f32::from_bits(sin_part.to_bits() ^ sign_sin), f32::from_bits(cos_part.to_bits() ^ sign_cos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_to_the_precise_functions() {
        for i in 1..2000 {
            let x = i as f32 / 2000.0;
            assert!((log(x) - x.ln()).abs() <= 2e-7 * x.ln().abs().max(1.0), "log {x}");
            let t = x * std::f32::consts::TAU;
            let (s, c) = sincos(t);
            assert!((s - t.sin()).abs() < 3e-7 && (c - t.cos()).abs() < 3e-7, "sincos {t}");
        }
        assert!(log(0.0).is_nan() && log(-1.0).is_nan());
    }
}
