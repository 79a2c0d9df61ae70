//! Vectorised leaf kernels of the float reductions (sum, sum of squares, extremes, exp-sums,
//! softmax lanes) with runtime dispatch: each public kernel runs its `#[inline(always)]` body
//! inside an `#[target_feature(enable = "avx2,fma")]` function when the CPU has both (256-bit
//! vectors), as baseline SSE2 code elsewhere (same results either way: the loops fix their association order
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

/// Declares `pub fn $name` that runs the `#[inline(always)]` body `$imp` inside an
/// `#[target_feature(enable = "avx2,fma")]` function when the CPU has both (checked at run time),
/// and as baseline code otherwise. The body is inlined into each, so it is compiled twice.
macro_rules! dispatched {
    ($(#[$doc:meta])* $name:ident = $imp:ident ($($a:ident: $t:ty),*) -> $r:ty) => {
        $(#[$doc])*
        #[inline]
        pub fn $name<T: Float>($($a: $t),*) -> $r {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2<T: Float>($($a: $t),*) -> $r {
                    $imp::<T>($($a),*)
                }
                if has_avx2() {
                    // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                    return unsafe { avx2::<T>($($a),*) };
                }
            }
            $imp::<T>($($a),*)
        }
    };
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
pub(crate) fn sum_i<T: Float>(x: &[T]) -> T {
    lanes_sum(x, T::zero(), |v| v)
}

/// Sum of squares of a leaf (2-norm).
#[inline(always)]
fn sum_sq_i<T: Float>(x: &[T]) -> T {
    lanes_sum(x, T::zero(), |v| v * v)
}

/// Sum of absolute values of a leaf (1-norm).
#[inline(always)]
fn sum_abs_i<T: Float>(x: &[T]) -> T {
    lanes_sum(x, T::zero(), |v| v.abs())
}

/// `sum((x - mean)^2)` of a leaf in float64 (variance, as PyTorch's double accumulation).
#[inline(always)]
pub(crate) fn sum_sq_dev_i<T: Float>(x: &[T], mean: f64) -> f64 {
    lanes_sum(x, 0.0f64, |v| {
        let d = v.wide() - mean;
        d * d
    })
}

/// Sum of a leaf in float64 (the mean used by the variance).
#[inline(always)]
fn sum_wide_i<T: Float>(x: &[T]) -> f64 {
    lanes_sum(x, 0.0f64, |v| v.wide())
}

/// Elements per block of the exp kernels: exponentials are computed by a plain map loop (which
/// LLVM's loop vectoriser handles, unlike a 32-lane unrolled body) into a stack buffer, then
/// summed in the lane order of [`sum_i`] (blocks are a multiple of LANES, so lane `i % LANES`).
const EXP_BLOCK: usize = 256;

/// `sum(exp(x - shift))` of a leaf.
#[inline(always)]
pub(crate) fn sum_exp_i<T: Float>(x: &[T], shift: T) -> T {
    let mut acc = [T::zero(); LANES];
    let mut buf = [T::zero(); EXP_BLOCK];
    for c in x.chunks(EXP_BLOCK) {
        let b = &mut buf[..c.len()];
        for (o, &v) in b.iter_mut().zip(c) {
            *o = (v - shift).exp_v();
        }
        let mut it = b.chunks_exact(LANES);
        for l in &mut it {
            for i in 0..LANES {
                acc[i] = acc[i] + l[i];
            }
        }
        for (i, &v) in it.remainder().iter().enumerate() {
            acc[i] = acc[i] + v;
        }
    }
    fold(acc, |a, b| a + b)
}

/// Product of a leaf.
#[inline(always)]
fn prod_i<T: Float>(x: &[T]) -> T {
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
pub(crate) fn max_nan<T: Float>(a: T, v: T) -> T {
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
pub(crate) fn min_nan<T: Float>(a: T, v: T) -> T {
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
pub(crate) fn extreme_i<T: Float>(x: &[T], pick: impl Fn(T, T) -> T) -> T {
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

/// `max` (or min) of a non-empty leaf, NaN-sticky, cheaper than [`extreme_i`]: plain compares
/// in the lanes, plus a sum of `v - v` that turns NaN when the leaf holds a NaN or an infinity;
/// only then is the leaf rescanned with the NaN-sticky rule.
#[inline(always)]
fn max_min_i<T: Float>(x: &[T], max: bool) -> T {
    let mut acc = [x[0]; LANES];
    let mut z = [T::zero(); LANES];
    let mut it = x.chunks_exact(LANES);
    for c in &mut it {
        for i in 0..LANES {
            let v = c[i];
            let take = if max { v > acc[i] } else { v < acc[i] };
            acc[i] = if take { v } else { acc[i] };
            z[i] = z[i] + (v - v);
        }
    }
    for (i, &v) in it.remainder().iter().enumerate() {
        let take = if max { v > acc[i] } else { v < acc[i] };
        acc[i] = if take { v } else { acc[i] };
        z[i] = z[i] + (v - v);
    }
    if fold(z, |a, b| a + b).is_nan() {
        return if max { extreme_i(x, max_nan) } else { extreme_i(x, min_nan) };
    }
    fold(acc, |a, b| if if max { b > a } else { b < a } { b } else { a })
}

/// The largest `|x|` of a non-empty leaf (NaN-sticky).
#[inline(always)]
fn max_abs_i<T: Float>(x: &[T]) -> T {
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
fn arg_extreme_i<T: Float>(x: &[T], is_max: bool) -> usize {
    let m = max_min_i(x, is_max);
    let nan = m.is_nan();
    #[allow(clippy::eq_op)]
    let hit = |v: T| if nan { v != v } else { v == m };
    // Find the first block of LANES holding a hit with a branch-free (vectorised) test, then
    // the element inside it.
    for (b, c) in x.chunks(LANES).enumerate() {
        if c.iter().fold(false, |a, &v| a | hit(v)) {
            return b * LANES + c.iter().position(|&v| hit(v)).expect("the block has a hit");
        }
    }
    unreachable!("the extreme is an element of the leaf")
}

/// Softmax (or log_softmax) of a contiguous lane into `out`, as PyTorch's vectorised last-dim
/// kernels: `m = max(x)`, `e = exp(x - m)`, `s = sum(e)`; softmax is `e * (1/s)`, log_softmax
/// `x - m - log(s)`. A lane holding +-inf or NaN gives NaN where PyTorch does (`inf - inf`).
#[inline(always)]
pub(crate) fn softmax_lane_i<T: Float>(x: &[T], out: &mut [T], log: bool) {
    if x.is_empty() {
        return;
    }
    let m = max_min_i(x, true);
    if log {
        let s = sum_exp_i(x, m);
        let shift = m + s.ln();
        for (o, &v) in out.iter_mut().zip(x) {
            *o = v - shift;
        }
    } else {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = (v - m).exp_v();
        }
        let s = sum_i(out);
        let inv = <T as num_traits::One>::one() / s;
        for o in out.iter_mut() {
            *o = *o * inv;
        }
    }
}

/// Backward of softmax over a contiguous lane: `gx = y * (g - sum(g * y))`.
#[inline(always)]
fn softmax_backward_lane_i<T: Float>(y: &[T], g: &[T], out: &mut [T]) {
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
fn log_softmax_backward_lane_i<T: Float>(y: &[T], g: &[T], out: &mut [T]) {
    let s = sum_i(g);
    for ((o, &a), &b) in out.iter_mut().zip(y).zip(g) {
        *o = b - a.exp_v() * s;
    }
}

/// Sums rows `[0, red)` of the `width` columns starting at `kb` of a `[red, inner]` block into
/// `total`: groups of `group` rows are summed in order into a partial, partials added in order.
#[inline(always)]
fn col_sum_i<T: Float>(base: &[T], red: usize, inner: usize, kb: usize, total: &mut [T], group: usize) {
    let width = total.len();
    let mut part = vec![T::zero(); width];
    for g in (0..red).step_by(group) {
        part.copy_from_slice(&base[g * inner + kb..g * inner + kb + width]);
        for r in g + 1..(g + group).min(red) {
            let src = &base[r * inner + kb..r * inner + kb + width];
            for (p, &v) in part.iter_mut().zip(src) {
                *p += v;
            }
        }
        for (t, &p) in total.iter_mut().zip(&part) {
            *t += p;
        }
    }
}

#[inline(always)]
fn max_i<T: Float>(x: &[T]) -> T {
    max_min_i(x, true)
}
#[inline(always)]
fn min_abs_i<T: Float>(x: &[T]) -> T {
    extreme_i(x, |a: T, b: T| min_nan(a.abs(), b.abs()))
}
#[inline(always)]
fn argmax_i<T: Float>(x: &[T]) -> usize {
    arg_extreme_i(x, true)
}
#[inline(always)]
fn argmin_i<T: Float>(x: &[T]) -> usize {
    arg_extreme_i(x, false)
}

dispatched!(
    /// Sum of a leaf (lane order in the module docs).
    sum = sum_i(x: &[T]) -> T);
dispatched!(
    /// Sum of squares of a leaf (2-norm).
    sum_sq = sum_sq_i(x: &[T]) -> T);
dispatched!(
    /// Sum of absolute values of a leaf (1-norm).
    sum_abs = sum_abs_i(x: &[T]) -> T);
dispatched!(
    /// `sum((x - mean)^2)` of a leaf in float64 (variance, as PyTorch's double accumulation).
    sum_sq_dev = sum_sq_dev_i(x: &[T], mean: f64) -> f64);
dispatched!(
    /// Sum of a leaf in float64 (the mean of the variance).
    sum_wide = sum_wide_i(x: &[T]) -> f64);
dispatched!(
    /// `sum(exp(x - shift))` of a leaf.
    sum_exp = sum_exp_i(x: &[T], shift: T) -> T);
dispatched!(
    /// Product of a leaf.
    prod = prod_i(x: &[T]) -> T);
dispatched!(
    /// The max of a non-empty leaf (NaN-sticky).
    max = max_i(x: &[T]) -> T);
dispatched!(
    /// The largest `|x|` of a non-empty leaf (NaN-sticky).
    max_abs = max_abs_i(x: &[T]) -> T);
dispatched!(
    /// The smallest `|x|` of a non-empty leaf (NaN-sticky).
    min_abs = min_abs_i(x: &[T]) -> T);
dispatched!(
    /// Index of the first max of a non-empty leaf (first NaN if any).
    argmax = argmax_i(x: &[T]) -> usize);
dispatched!(
    /// Index of the first min of a non-empty leaf (first NaN if any).
    argmin = argmin_i(x: &[T]) -> usize);
dispatched!(
    /// Softmax (`log`: log_softmax) of a contiguous lane.
    softmax_lane = softmax_lane_i(x: &[T], out: &mut [T], log: bool) -> ());
dispatched!(
    /// Backward of softmax over a contiguous lane.
    softmax_backward_lane = softmax_backward_lane_i(y: &[T], g: &[T], out: &mut [T]) -> ());
dispatched!(
    /// Backward of log_softmax over a contiguous lane.
    log_softmax_backward_lane = log_softmax_backward_lane_i(y: &[T], g: &[T], out: &mut [T]) -> ());
dispatched!(
    /// Column-block sum of `[red, inner]` (see `col_sum_i`).
    col_sum = col_sum_i(base: &[T], red: usize, inner: usize, kb: usize, total: &mut [T], group: usize) -> ());
