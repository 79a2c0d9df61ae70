//! Explicit AVX2+FMA and AVX-512F leaf kernels (x86_64 `std::arch` intrinsics) of the hottest
//! float reductions: sum, sum of squares, sum of absolute values, max and min of a leaf.
//!
//! Why: LLVM compiles the portable lane loops of `reduce_simd` well for a plain sum, but turns
//! some of them (the sum of squares, the compare-and-select extremes) into 128-bit SLP code and
//! folds the 32 lanes with scalar adds, which costs about a fifth of a 2048-element row.
//!
//! Results are bit-identical to the portable kernels (`reduce_simd::*_i`), whatever the level:
//! element `i` of a leaf goes to lane `i % LANES` (the [`LANES`] lanes are the registers side by
//! side: `R = LANES / W` registers of `W` elements), the tail is added lane by lane, then the
//! lanes are folded pairwise (`l[i] op= l[i + w]`, w = LANES/2 .. 1) with the same operand order:
//! first across registers, then by halving each register. No fused multiply-adds (the portable
//! code rounds `v * v` before adding it).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use super::reduce_simd::{Float, Level, LANES};

/// The leaf reductions with an explicit vector kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `sum(x)`
    Sum,
    /// `sum(x * x)`
    SumSq,
    /// `sum(|x|)`
    SumAbs,
    /// `max(x)`, NaN-sticky
    Max,
    /// `min(x)`, NaN-sticky
    Min,
}

/// Element types with explicit vector leaf kernels.
pub trait Leaf: Sized {
    /// `op` over a leaf with the kernel of `level` (non-empty for Max/Min). Callers check that
    /// the CPU supports `level`; `Level::Base` runs the portable code.
    fn leaf(level: Level, x: &[Self], op: Op) -> Self;
}

/// The portable kernel of `op` (the reference the vector ones reproduce bit for bit).
#[inline(always)]
fn portable<T: Float>(x: &[T], op: Op) -> T {
    use super::reduce_simd as k;
    match op {
        Op::Sum => k::sum_i(x),
        Op::SumSq => k::sum_sq_i(x),
        Op::SumAbs => k::sum_abs_i(x),
        Op::Max => k::max_min_i(x, true),
        Op::Min => k::max_min_i(x, false),
    }
}

/// One vector register of `W` elements of `T`, as the kernels need it.
#[cfg(target_arch = "x86_64")]
trait V: Copy {
    type T: Float;
    const W: usize;
    unsafe fn zero() -> Self;
    unsafe fn splat(v: Self::T) -> Self;
    unsafe fn load(p: *const Self::T) -> Self;
    unsafe fn store(self, p: *mut Self::T);
    unsafe fn add(a: Self, b: Self) -> Self;
    unsafe fn sub(a: Self, b: Self) -> Self;
    unsafe fn mul(a: Self, b: Self) -> Self;
    /// `|a|` (clears the sign bit, as `f32::abs`).
    unsafe fn abs(a: Self) -> Self;
    /// `if b > a { b } else { a }` per element (the portable max rule, NaN in `b` ignored).
    unsafe fn max_pick(a: Self, b: Self) -> Self;
    /// `if b < a { b } else { a }` per element.
    unsafe fn min_pick(a: Self, b: Self) -> Self;
    /// Pairwise fold of the register's elements: `l[i] = f(l[i], l[i + w])`, w = W/2 .. 1.
    unsafe fn hsum(self) -> Self::T;
    unsafe fn hmax(self) -> Self::T;
    unsafe fn hmin(self) -> Self::T;
}

#[cfg(target_arch = "x86_64")]
mod vecs {
    use super::*;

    /// The 128-bit pairwise fold of four float32 lanes: (l0 f l2) f (l1 f l3).
    #[inline(always)]
    unsafe fn fold128(s: __m128, f: impl Fn(__m128, __m128) -> __m128) -> f32 {
        let s = f(s, _mm_movehl_ps(s, s));
        _mm_cvtss_f32(f(s, _mm_shuffle_ps::<1>(s, s)))
    }

    /// The 128-bit pairwise fold of two float64 lanes.
    #[inline(always)]
    unsafe fn fold128d(s: __m128d, f: impl Fn(__m128d, __m128d) -> __m128d) -> f64 {
        _mm_cvtsd_f64(f(s, _mm_unpackhi_pd(s, s)))
    }

    #[inline(always)]
    unsafe fn fold256(v: __m256, f: impl Fn(__m128, __m128) -> __m128) -> f32 {
        fold128(f(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v)), f)
    }

    #[inline(always)]
    unsafe fn fold256d(v: __m256d, f: impl Fn(__m128d, __m128d) -> __m128d) -> f64 {
        fold128d(f(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v)), f)
    }

    impl V for __m256 {
        type T = f32;
        const W: usize = 8;
        #[inline(always)]
        unsafe fn zero() -> Self {
            _mm256_setzero_ps()
        }
        #[inline(always)]
        unsafe fn splat(v: f32) -> Self {
            _mm256_set1_ps(v)
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            _mm256_loadu_ps(p)
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            _mm256_storeu_ps(p, self)
        }
        #[inline(always)]
        unsafe fn add(a: Self, b: Self) -> Self {
            _mm256_add_ps(a, b)
        }
        #[inline(always)]
        unsafe fn sub(a: Self, b: Self) -> Self {
            _mm256_sub_ps(a, b)
        }
        #[inline(always)]
        unsafe fn mul(a: Self, b: Self) -> Self {
            _mm256_mul_ps(a, b)
        }
        #[inline(always)]
        unsafe fn abs(a: Self) -> Self {
            _mm256_andnot_ps(_mm256_set1_ps(-0.0), a)
        }
        #[inline(always)]
        unsafe fn max_pick(a: Self, b: Self) -> Self {
            // MAXPS(b, a) = b > a ? b : a.
            _mm256_max_ps(b, a)
        }
        #[inline(always)]
        unsafe fn min_pick(a: Self, b: Self) -> Self {
            _mm256_min_ps(b, a)
        }
        #[inline(always)]
        unsafe fn hsum(self) -> f32 {
            fold256(self, |a, b| _mm_add_ps(a, b))
        }
        #[inline(always)]
        unsafe fn hmax(self) -> f32 {
            fold256(self, |a, b| _mm_max_ps(b, a))
        }
        #[inline(always)]
        unsafe fn hmin(self) -> f32 {
            fold256(self, |a, b| _mm_min_ps(b, a))
        }
    }

    impl V for __m256d {
        type T = f64;
        const W: usize = 4;
        #[inline(always)]
        unsafe fn zero() -> Self {
            _mm256_setzero_pd()
        }
        #[inline(always)]
        unsafe fn splat(v: f64) -> Self {
            _mm256_set1_pd(v)
        }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> Self {
            _mm256_loadu_pd(p)
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f64) {
            _mm256_storeu_pd(p, self)
        }
        #[inline(always)]
        unsafe fn add(a: Self, b: Self) -> Self {
            _mm256_add_pd(a, b)
        }
        #[inline(always)]
        unsafe fn sub(a: Self, b: Self) -> Self {
            _mm256_sub_pd(a, b)
        }
        #[inline(always)]
        unsafe fn mul(a: Self, b: Self) -> Self {
            _mm256_mul_pd(a, b)
        }
        #[inline(always)]
        unsafe fn abs(a: Self) -> Self {
            _mm256_andnot_pd(_mm256_set1_pd(-0.0), a)
        }
        #[inline(always)]
        unsafe fn max_pick(a: Self, b: Self) -> Self {
            _mm256_max_pd(b, a)
        }
        #[inline(always)]
        unsafe fn min_pick(a: Self, b: Self) -> Self {
            _mm256_min_pd(b, a)
        }
        #[inline(always)]
        unsafe fn hsum(self) -> f64 {
            fold256d(self, |a, b| _mm_add_pd(a, b))
        }
        #[inline(always)]
        unsafe fn hmax(self) -> f64 {
            fold256d(self, |a, b| _mm_max_pd(b, a))
        }
        #[inline(always)]
        unsafe fn hmin(self) -> f64 {
            fold256d(self, |a, b| _mm_min_pd(b, a))
        }
    }

    impl V for __m512 {
        type T = f32;
        const W: usize = 16;
        #[inline(always)]
        unsafe fn zero() -> Self {
            _mm512_setzero_ps()
        }
        #[inline(always)]
        unsafe fn splat(v: f32) -> Self {
            _mm512_set1_ps(v)
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            _mm512_loadu_ps(p)
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            _mm512_storeu_ps(p, self)
        }
        #[inline(always)]
        unsafe fn add(a: Self, b: Self) -> Self {
            _mm512_add_ps(a, b)
        }
        #[inline(always)]
        unsafe fn sub(a: Self, b: Self) -> Self {
            _mm512_sub_ps(a, b)
        }
        #[inline(always)]
        unsafe fn mul(a: Self, b: Self) -> Self {
            _mm512_mul_ps(a, b)
        }
        #[inline(always)]
        unsafe fn abs(a: Self) -> Self {
            _mm512_abs_ps(a)
        }
        #[inline(always)]
        unsafe fn max_pick(a: Self, b: Self) -> Self {
            _mm512_max_ps(b, a)
        }
        #[inline(always)]
        unsafe fn min_pick(a: Self, b: Self) -> Self {
            _mm512_min_ps(b, a)
        }
        #[inline(always)]
        unsafe fn hsum(self) -> f32 {
            let (lo, hi) = halves(self);
            <__m256 as V>::hsum(_mm256_add_ps(lo, hi))
        }
        #[inline(always)]
        unsafe fn hmax(self) -> f32 {
            let (lo, hi) = halves(self);
            <__m256 as V>::hmax(_mm256_max_ps(hi, lo))
        }
        #[inline(always)]
        unsafe fn hmin(self) -> f32 {
            let (lo, hi) = halves(self);
            <__m256 as V>::hmin(_mm256_min_ps(hi, lo))
        }
    }

    /// Low and high 256-bit halves of a float32 register.
    #[inline(always)]
    unsafe fn halves(v: __m512) -> (__m256, __m256) {
        (_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v))))
    }

    impl V for __m512d {
        type T = f64;
        const W: usize = 8;
        #[inline(always)]
        unsafe fn zero() -> Self {
            _mm512_setzero_pd()
        }
        #[inline(always)]
        unsafe fn splat(v: f64) -> Self {
            _mm512_set1_pd(v)
        }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> Self {
            _mm512_loadu_pd(p)
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f64) {
            _mm512_storeu_pd(p, self)
        }
        #[inline(always)]
        unsafe fn add(a: Self, b: Self) -> Self {
            _mm512_add_pd(a, b)
        }
        #[inline(always)]
        unsafe fn sub(a: Self, b: Self) -> Self {
            _mm512_sub_pd(a, b)
        }
        #[inline(always)]
        unsafe fn mul(a: Self, b: Self) -> Self {
            _mm512_mul_pd(a, b)
        }
        #[inline(always)]
        unsafe fn abs(a: Self) -> Self {
            _mm512_abs_pd(a)
        }
        #[inline(always)]
        unsafe fn max_pick(a: Self, b: Self) -> Self {
            _mm512_max_pd(b, a)
        }
        #[inline(always)]
        unsafe fn min_pick(a: Self, b: Self) -> Self {
            _mm512_min_pd(b, a)
        }
        #[inline(always)]
        unsafe fn hsum(self) -> f64 {
            let (lo, hi) = (_mm512_castpd512_pd256(self), _mm512_extractf64x4_pd::<1>(self));
            <__m256d as V>::hsum(_mm256_add_pd(lo, hi))
        }
        #[inline(always)]
        unsafe fn hmax(self) -> f64 {
            let (lo, hi) = (_mm512_castpd512_pd256(self), _mm512_extractf64x4_pd::<1>(self));
            <__m256d as V>::hmax(_mm256_max_pd(hi, lo))
        }
        #[inline(always)]
        unsafe fn hmin(self) -> f64 {
            let (lo, hi) = (_mm512_castpd512_pd256(self), _mm512_extractf64x4_pd::<1>(self));
            <__m256d as V>::hmin(_mm256_min_pd(hi, lo))
        }
    }
}

/// Folds `R` registers (lanes side by side) across registers: `acc[i] = f(acc[i], acc[i + h])`
/// for h = R/2 .. 1, which is the portable fold's steps w = LANES/2 .. W.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn fold_regs<X: V, const R: usize>(mut acc: [X; R], f: impl Fn(X, X) -> X) -> X {
    let mut h = R / 2;
    while h > 0 {
        for i in 0..h {
            acc[i] = f(acc[i], acc[i + h]);
        }
        h /= 2;
    }
    acc[0]
}

/// Adds the tail (fewer than LANES elements) to the lanes with `g` as the portable code does
/// (element `j` of the tail into lane `j`), through a stack copy of the registers.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn tail<X: V, const R: usize>(acc: &mut [X; R], rest: &[X::T], g: impl Fn(X::T, X::T) -> X::T) {
    if rest.is_empty() {
        return;
    }
    let mut l = [<X::T as num_traits::Zero>::zero(); LANES];
    for (r, a) in acc.iter().enumerate() {
        a.store(l.as_mut_ptr().add(r * X::W));
    }
    for (a, &v) in l.iter_mut().zip(rest) {
        *a = g(*a, v);
    }
    for (r, a) in acc.iter_mut().enumerate() {
        *a = X::load(l.as_ptr().add(r * X::W));
    }
}

/// `sum(g(x))` over a leaf: R registers of accumulators, tail, pairwise fold.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn lanes_sum<X: V, const R: usize>(x: &[X::T], g: impl Fn(X) -> X, gs: impl Fn(X::T) -> X::T) -> X::T {
    debug_assert_eq!(R * X::W, LANES);
    let mut acc = [X::zero(); R];
    let body = x.len() / LANES * LANES;
    let p = x.as_ptr();
    let mut i = 0;
    while i < body {
        for (r, a) in acc.iter_mut().enumerate() {
            *a = X::add(*a, g(X::load(p.add(i + r * X::W))));
        }
        i += LANES;
    }
    tail(&mut acc, &x[body..], |a, v| a + gs(v));
    fold_regs(acc, |a, b| X::add(a, b)).hsum()
}

/// Max (`max`) or min of a non-empty leaf as `reduce_simd::max_min_i`: plain compares in the
/// lanes and a sum of `v - v` that turns NaN when the leaf holds a NaN or an infinity; only then
/// is the leaf rescanned with the NaN-sticky rule (portable code: rare).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn lanes_extreme<X: V, const R: usize>(x: &[X::T], max: bool) -> X::T {
    let mut acc = [X::splat(x[0]); R];
    let mut z = [X::zero(); R];
    let body = x.len() / LANES * LANES;
    let p = x.as_ptr();
    let mut i = 0;
    while i < body {
        for r in 0..R {
            let v = X::load(p.add(i + r * X::W));
            acc[r] = if max { X::max_pick(acc[r], v) } else { X::min_pick(acc[r], v) };
            z[r] = X::add(z[r], X::sub(v, v));
        }
        i += LANES;
    }
    let rest = &x[body..];
    tail(&mut acc, rest, |a, v| if if max { v > a } else { v < a } { v } else { a });
    tail(&mut z, rest, |a, v| a + (v - v));
    if num_traits::Float::is_nan(fold_regs(z, |a, b| X::add(a, b)).hsum()) {
        use super::reduce_simd::{extreme_i, max_nan, min_nan};
        return if max { extreme_i(x, max_nan) } else { extreme_i(x, min_nan) };
    }
    if max {
        fold_regs(acc, |a, b| X::max_pick(a, b)).hmax()
    } else {
        fold_regs(acc, |a, b| X::min_pick(a, b)).hmin()
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn run<X: V, const R: usize>(x: &[X::T], op: Op) -> X::T {
    match op {
        Op::Sum => lanes_sum::<X, R>(x, |v| v, |v| v),
        Op::SumSq => lanes_sum::<X, R>(x, |v| X::mul(v, v), |v| v * v),
        Op::SumAbs => lanes_sum::<X, R>(x, |v| X::abs(v), |v| num_traits::Float::abs(v)),
        Op::Max => lanes_extreme::<X, R>(x, true),
        Op::Min => lanes_extreme::<X, R>(x, false),
    }
}

macro_rules! leaf_impl {
    ($t:ty, $v2:ty, $r2:literal, $v5:ty, $r5:literal) => {
        impl Leaf for $t {
            #[inline]
            fn leaf(level: Level, x: &[$t], op: Op) -> $t {
                #[cfg(target_arch = "x86_64")]
                {
                    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
                    unsafe fn avx512(x: &[$t], op: Op) -> $t {
                        run::<$v5, $r5>(x, op)
                    }
                    #[target_feature(enable = "avx2,fma")]
                    unsafe fn avx2(x: &[$t], op: Op) -> $t {
                        run::<$v2, $r2>(x, op)
                    }
                    match level {
                        // SAFETY: callers pass a level the CPU supports (`reduce_simd::level`).
                        Level::Avx512 => return unsafe { avx512(x, op) },
                        // SAFETY: as above.
                        Level::Avx2 => return unsafe { avx2(x, op) },
                        Level::Base => {}
                    }
                }
                let _ = level;
                portable(x, op)
            }
        }
    };
}

leaf_impl!(f32, __m256, 4, __m512, 2);
leaf_impl!(f64, __m256d, 8, __m512d, 4);

#[cfg(test)]
mod tests {
    use super::super::reduce_simd::level;
    use super::*;

    /// The levels this CPU can run (each one is tested directly).
    fn levels() -> Vec<Level> {
        match level() {
            Level::Avx512 => vec![Level::Base, Level::Avx2, Level::Avx512],
            Level::Avx2 => vec![Level::Base, Level::Avx2],
            Level::Base => vec![Level::Base],
        }
    }

    fn sizes() -> Vec<usize> {
        let mut v: Vec<usize> = (1..=70).collect();
        v.extend([95, 96, 97, 127, 128, 129, 1000, 8191, 8192, 8193]);
        v
    }

    fn values<T: Float>(n: usize, seed: u64) -> Vec<T> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                T::narrow(((s >> 40) as f64 / (1u64 << 24) as f64) * 2.0 - 1.0)
            })
            .collect()
    }

    const OPS: [Op; 5] = [Op::Sum, Op::SumSq, Op::SumAbs, Op::Max, Op::Min];

    fn agree<T: Float + Leaf + Bits>(x: &[T], what: &str) {
        for op in OPS {
            let want = portable(x, op);
            for l in levels() {
                let got = T::leaf(l, x, op);
                assert!(got.to_bits_u64() == want.to_bits_u64(), "{what} n={} {op:?} {l:?}: {got:?} vs {want:?}", x.len());
            }
        }
    }

    trait Bits {
        fn to_bits_u64(self) -> u64;
    }
    impl Bits for f32 {
        fn to_bits_u64(self) -> u64 {
            self.to_bits() as u64
        }
    }
    impl Bits for f64 {
        fn to_bits_u64(self) -> u64 {
            self.to_bits()
        }
    }

    #[test]
    fn every_level_matches_the_portable_kernels_bit_for_bit() {
        for n in sizes() {
            agree(&values::<f32>(n, n as u64), "f32");
            agree(&values::<f64>(n, n as u64 + 1), "f64");
        }
    }

    #[test]
    fn values_are_right_around_the_simd_widths() {
        for n in sizes() {
            let x = values::<f64>(n, 5 * n as u64);
            let exact: f64 = x.iter().sum();
            let sq: f64 = x.iter().map(|v| v * v).sum();
            let ab: f64 = x.iter().map(|v| v.abs()).sum();
            let mx = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let mn = x.iter().cloned().fold(f64::INFINITY, f64::min);
            let xf: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            for l in levels() {
                assert!((f64::leaf(l, &x, Op::Sum) - exact).abs() < 1e-12 * n as f64);
                assert!((f64::leaf(l, &x, Op::SumSq) - sq).abs() < 1e-12 * n as f64);
                assert!((f64::leaf(l, &x, Op::SumAbs) - ab).abs() < 1e-12 * n as f64);
                assert_eq!(f64::leaf(l, &x, Op::Max), mx);
                assert_eq!(f64::leaf(l, &x, Op::Min), mn);
                assert!((f32::leaf(l, &xf, Op::Sum) as f64 - exact).abs() < 1e-5 * (n as f64).max(1.0));
                assert_eq!(f32::leaf(l, &xf, Op::Max), mx as f32);
                assert_eq!(f32::leaf(l, &xf, Op::Min), mn as f32);
            }
        }
    }

    #[test]
    fn nan_inf_and_signed_zero_follow_pytorch() {
        for n in [1usize, 7, 8, 15, 16, 17, 31, 32, 33, 63, 65, 129, 1000] {
            for pos in [0, n / 2, n - 1] {
                for l in levels() {
                    let mut x = values::<f32>(n, 9);
                    x[pos] = f32::NAN;
                    for op in OPS {
                        assert!(f32::leaf(l, &x, op).is_nan(), "NaN at {pos} of {n}, {op:?} {l:?}");
                    }
                    let mut y = values::<f64>(n, 9);
                    y[pos] = f64::NAN;
                    for op in OPS {
                        assert!(f64::leaf(l, &y, op).is_nan(), "f64 NaN at {pos} of {n}, {op:?} {l:?}");
                    }
                    x[pos] = f32::INFINITY;
                    assert_eq!(f32::leaf(l, &x, Op::Sum), f32::INFINITY);
                    assert_eq!(f32::leaf(l, &x, Op::Max), f32::INFINITY);
                    assert_eq!(f32::leaf(l, &x, Op::SumSq), f32::INFINITY);
                    x[pos] = f32::NEG_INFINITY;
                    assert_eq!(f32::leaf(l, &x, Op::Min), f32::NEG_INFINITY);
                    assert_eq!(f32::leaf(l, &x, Op::SumAbs), f32::INFINITY);
                    // inf + -inf is NaN, as in PyTorch.
                    x[(pos + 1) % n] = f32::INFINITY;
                    if n > 1 {
                        assert!(f32::leaf(l, &x, Op::Sum).is_nan());
                    }
                }
            }
            // Sums of -0.0 are +0.0 (the lanes start at +0.0), as PyTorch's; max(-0.0) is -0.0.
            let z = vec![-0.0f32; n];
            let zd = vec![-0.0f64; n];
            for l in levels() {
                assert_eq!(f32::leaf(l, &z, Op::Sum).to_bits(), 0, "n={n} {l:?}");
                assert_eq!(f64::leaf(l, &zd, Op::Sum).to_bits(), 0, "n={n} {l:?}");
                assert_eq!(f64::leaf(l, &zd, Op::Min).to_bits(), (-0.0f64).to_bits());
                assert_eq!(f32::leaf(l, &z, Op::Max).to_bits(), (-0.0f32).to_bits());
                assert_eq!(f32::leaf(l, &z, Op::SumAbs).to_bits(), 0);
            }
            agree(&z, "-0.0");
            // Mixed zeros: whichever the portable rule keeps, every level keeps the same.
            let mixed: Vec<f32> = (0..n).map(|i| if i % 3 == 0 { -0.0 } else { 0.0 }).collect();
            agree(&mixed, "mixed zeros");
        }
    }
}
