//! Vectorised leaf kernels of the float reductions (sum, sum of squares, extremes, exp-sums,
//! softmax lanes) with runtime dispatch: [`simd`] runs a closure inside an AVX2+FMA function when
//! the CPU has both, so the `#[inline(always)]` loops below are compiled for 256-bit vectors there
//! and for baseline SSE2 elsewhere (same results either way: the loops fix their association order
//! with explicit lane arrays, so LLVM never reassociates and only the vector width differs).
//!
//! Summation order (float32 and float64): a leaf of at most [`CHUNK`] elements is summed into
//! [`LANES`] independent accumulators (element `i` goes to lane `i % LANES`), the lanes are then
//! folded pairwise (`lane[i] += lane[i + w]` for w = 16, 8, 4, 2, 1). The leaves of a longer run
//! are combined by a pairwise tree in index order (see `reduce::tree`). This is a cascade sum like
//! PyTorch's (multiple lanes, then pairwise), with an error bound of about
//! `(CHUNK / LANES + log2(LANES) + log2(leaves))` ulps, and it only depends on the run length,
//! never on the thread count.
//!
//! AVX-512 is not used: `#[target_feature(enable = "avx512f")]` needs Rust 1.89 and the crate's
//! MSRV is 1.85; these kernels are memory-bound at the sizes where it would matter.

use super::math::exp_f32;
use crate::tensor::Element;

/// Elements per leaf of a chunked reduction (fixed, for determinism).
pub const CHUNK: usize = 8192;
/// Independent accumulators of a leaf (4 AVX2 registers of float32, 8 of float64).
pub const LANES: usize = 32;

/// Runs `f` compiled for AVX2+FMA when the CPU supports it (the closure and everything
/// `#[inline(always)]` it calls are inlined into the feature-enabled function).
#[inline(always)]
pub fn simd<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        if has_avx2() {
            // SAFETY: the CPU supports AVX2 and FMA (checked at run time just above).
            return unsafe { avx2(f) };
        }
    }
    f()
}

/// True when the CPU has AVX2 and FMA (cached by the std macro).
#[inline]
pub fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// float32 / float64 as the reduction kernels need them.
pub trait Float: Element + num_traits::Float + std::ops::AddAssign + std::iter::Sum {
    /// `e^x`, branch-free and vectorisable for float32 (<= 1 ulp); libm for float64.
    fn exp_v(self) -> Self;
    /// Widening to f64 (exact).
    fn wide(self) -> f64;
    /// Narrowing from f64 (round to nearest).
    fn narrow(v: f64) -> Self;
}

impl Float for f32 {
    #[inline(always)]
    fn exp_v(self) -> Self {
        exp_f32(self)
    }
    #[inline(always)]
    fn wide(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn narrow(v: f64) -> Self {
        v as f32
    }
}

impl Float for f64 {
    #[inline(always)]
    fn exp_v(self) -> Self {
        self.exp()
    }
    #[inline(always)]
    fn wide(self) -> f64 {
        self
    }
    #[inline(always)]
    fn narrow(v: f64) -> Self {
        v
    }
}

/// Folds the lanes pairwise: `l[i] += l[i + w]` for w = LANES/2 .. 1.
#[inline(always)]
fn fold<T: Copy>(mut l: [T; LANES], f: impl Fn(T, T) -> T) -> T {
    let mut w = LANES / 2;
    while w > 0 {
        for i in 0..w {
            l[i] = f(l[i], l[i + w]);
        }
        w /= 2;
    }
    l[0]
}

/// `sum(g(x))` over a leaf with [`LANES`] accumulators of type `A`.
#[inline(always)]
fn lanes_sum<T: Copy, A: Copy + std::ops::Add<Output = A>>(x: &[T], zero: A, g: impl Fn(T) -> A) -> A {
    let mut acc = [zero; LANES];
    let mut it = x.chunks_exact(LANES);
    for c in &mut it {
        for i in 0..LANES {
            acc[i] = acc[i] + g(c[i]);
        }
    }
    for (i, &v) in it.remainder().iter().enumerate() {
        acc[i] = acc[i] + g(v);
    }
    fold(acc, |a, b| a + b)
}

/// Sum of a leaf.
#[inline(always)]
pub fn sum<T: Float>(x: &[T]) -> T {
    lanes_sum(x, T::zero(), |v| v)
}

/// Sum of squares of a leaf (2-norm).
#[inline(always)]
pub fn sum_sq<T: Float>(x: &[T]) -> T {
    lanes_sum(x, T::zero(), |v| v * v)
}

/// Sum of absolute values of a leaf (1-norm).
#[inline(always)]
pub fn sum_abs<T: Float>(x: &[T]) -> T {
    lanes_sum(x, T::zero(), |v| v.abs())
}

/// `sum((x - mean)^2)` of a leaf in float64 (variance, as PyTorch's double accumulation).
#[inline(always)]
pub fn sum_sq_dev<T: Float>(x: &[T], mean: f64) -> f64 {
    lanes_sum(x, 0.0f64, |v| {
        let d = v.wide() - mean;
        d * d
    })
}

/// Sum of a leaf in float64 (the mean used by the variance).
#[inline(always)]
pub fn sum_wide<T: Float>(x: &[T]) -> f64 {
    lanes_sum(x, 0.0f64, |v| v.wide())
}

/// `sum(exp(x - shift))` of a leaf.
#[inline(always)]
pub fn sum_exp<T: Float>(x: &[T], shift: T) -> T {
    lanes_sum(x, T::zero(), |v| (v - shift).exp_v())
}

/// Product of a leaf.
#[inline(always)]
pub fn prod<T: Float>(x: &[T]) -> T {
    let mut acc = [<T as num_traits::One>::one(); LANES];
    let mut it = x.chunks_exact(LANES);
    for c in &mut it {
        for i in 0..LANES {
            acc[i] = acc[i] * c[i];
        }
    }
    for (i, &v) in it.remainder().iter().enumerate() {
        acc[i] = acc[i] * v;
    }
    fold(acc, |a, b| a * b)
}

/// The larger of two values, NaN-sticky (a NaN on either side wins).
#[inline(always)]
pub fn max_nan<T: Float>(a: T, v: T) -> T {
    #[allow(clippy::eq_op)]
    let take = v > a || v != v;
    if take {
        v
    } else {
        a
    }
}

/// The smaller of two values, NaN-sticky.
#[inline(always)]
pub fn min_nan<T: Float>(a: T, v: T) -> T {
    #[allow(clippy::eq_op)]
    let take = v < a || v != v;
    if take {
        v
    } else {
        a
    }
}

/// The extreme of a non-empty leaf under `pick` (NaN-sticky: NaN if the leaf holds one).
#[inline(always)]
pub fn extreme<T: Float>(x: &[T], pick: impl Fn(T, T) -> T) -> T {
    let mut acc = [x[0]; LANES];
    let mut it = x.chunks_exact(LANES);
    for c in &mut it {
        for i in 0..LANES {
            acc[i] = pick(acc[i], c[i]);
        }
    }
    for (i, &v) in it.remainder().iter().enumerate() {
        acc[i] = pick(acc[i], v);
    }
    fold(acc, pick)
}

/// The largest `|x|` of a non-empty leaf (NaN-sticky).
#[inline(always)]
pub fn max_abs<T: Float>(x: &[T]) -> T {
    let mut acc = [x[0].abs(); LANES];
    let mut it = x.chunks_exact(LANES);
    for c in &mut it {
        for i in 0..LANES {
            acc[i] = max_nan(acc[i], c[i].abs());
        }
    }
    for (i, &v) in it.remainder().iter().enumerate() {
        acc[i] = max_nan(acc[i], v.abs());
    }
    fold(acc, max_nan)
}

/// The index of the first element of a non-empty leaf equal to its extreme under `pick` (the
/// first NaN when there is one): PyTorch's tie rule for max(dim)/argmax.
#[inline(always)]
pub fn arg_extreme<T: Float>(x: &[T], pick: impl Fn(T, T) -> T) -> usize {
    let m = extreme(x, pick);
    if m.is_nan() {
        x.iter().position(|v| v.is_nan()).expect("a NaN was seen")
    } else {
        x.iter().position(|&v| v == m).expect("the extreme is an element")
    }
}

/// Softmax (or log_softmax) of a contiguous lane into `out`, as PyTorch's vectorised last-dim
/// kernels: `m = max(x)`, `e = exp(x - m)`, `s = sum(e)`; softmax is `e * (1/s)`, log_softmax
/// `x - m - log(s)`. A lane holding +-inf or NaN gives NaN where PyTorch does (`inf - inf`).
#[inline(always)]
pub fn softmax_lane<T: Float>(x: &[T], out: &mut [T], log: bool) {
    if x.is_empty() {
        return;
    }
    let m = extreme(x, max_nan);
    if log {
        let s = sum_exp(x, m);
        let shift = m + s.ln();
        for (o, &v) in out.iter_mut().zip(x) {
            *o = v - shift;
        }
    } else {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = (v - m).exp_v();
        }
        let s = sum(out);
        let inv = <T as num_traits::One>::one() / s;
        for o in out.iter_mut() {
            *o = *o * inv;
        }
    }
}

/// Backward of softmax over a contiguous lane: `gx = y * (g - sum(g * y))`.
#[inline(always)]
pub fn softmax_backward_lane<T: Float>(y: &[T], g: &[T], out: &mut [T]) {
    let mut acc = [T::zero(); LANES];
    let (mut yc, mut gc) = (y.chunks_exact(LANES), g.chunks_exact(LANES));
    for (a, b) in (&mut yc).zip(&mut gc) {
        for i in 0..LANES {
            acc[i] = acc[i] + a[i] * b[i];
        }
    }
    for (i, (&a, &b)) in yc.remainder().iter().zip(gc.remainder()).enumerate() {
        acc[i] = acc[i] + a * b;
    }
    let s = fold(acc, |a, b| a + b);
    for ((o, &a), &b) in out.iter_mut().zip(y).zip(g) {
        *o = a * (b - s);
    }
}

/// Backward of log_softmax over a contiguous lane: `gx = g - exp(y) * sum(g)`.
#[inline(always)]
pub fn log_softmax_backward_lane<T: Float>(y: &[T], g: &[T], out: &mut [T]) {
    let s = sum(g);
    for ((o, &a), &b) in out.iter_mut().zip(y).zip(g) {
        *o = b - a.exp_v() * s;
    }
}
