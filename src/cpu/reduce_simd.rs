//! Vectorised leaf kernels of the float reductions (sum, sum of squares, extremes, exp-sums,
//! softmax lanes and columns) with runtime dispatch: each public kernel runs its
//! `#[inline(always)]` body inside a `#[target_feature(enable = "avx512f,...")]` function when the
//! CPU has AVX-512 (F, BW, DQ, VL), an `avx2,fma` one when it has AVX2 and FMA, and as baseline
//! SSE2 code elsewhere. The loops fix their association order with explicit lane arrays, so LLVM
//! never reassociates and only the vector width differs: AVX-512 and AVX2 give identical bits.
//! Kernels that exponentiate (`<fma>` below) use fused multiply-adds in the two vector paths and
//! separate ones in the baseline path (both <= 1 ULP; they may differ in the last bit).
//!
//! Summation order (float32 and float64): a leaf of at most [`CHUNK`] elements is summed into
//! [`LANES`] independent accumulators (element `i` goes to lane `i % LANES`), the lanes are then
//! folded pairwise (`lane[i] += lane[i + w]` for w = 16, 8, 4, 2, 1). The leaves of a longer run
//! are combined by a pairwise tree in index order (see `reduce::tree`). This is a cascade sum like
//! PyTorch's (multiple lanes, then pairwise), with an error bound of about
//! `(CHUNK / LANES + log2(LANES) + log2(leaves))` ulps, and it only depends on the run length,
//! never on the thread count.
//!
//! The AVX-512 target features need Rust 1.89 (the crate's MSRV since these kernels).

use std::mem::MaybeUninit;
use std::sync::OnceLock;

use super::math::{exp_f32, exp_f32_fast, exp_f32_with, EXP_FAST_LO};
use super::reduce_x86::{Leaf, Op};
use crate::tensor::Element;

/// Elements per leaf of a chunked reduction (fixed, for determinism).
pub const CHUNK: usize = 8192;
/// Independent accumulators of a leaf (4 AVX2 registers of float32, 8 of float64).
pub const LANES: usize = 32;

/// Declares `pub fn $name` that runs the `#[inline(always)]` body `$imp` inside an AVX-512 or an
/// AVX2+FMA `#[target_feature]` function when the CPU has them (checked at run time, see
/// [`level`]), and as baseline code otherwise. The body is inlined into each, so it is compiled
/// three times. `$imp<fma>` bodies take a `const FMA: bool` (true in the vector paths).
macro_rules! dispatched {
    ($(#[$doc:meta])* $name:ident = $imp:ident ($($a:ident: $t:ty),*) -> $r:ty) => {
        dispatched!(@emit $(#[$doc])* $name = $imp [] [] ($($a: $t),*) -> $r);
    };
    ($(#[$doc:meta])* $name:ident = $imp:ident<fma> ($($a:ident: $t:ty),*) -> $r:ty) => {
        dispatched!(@emit $(#[$doc])* $name = $imp [, true] [, false] ($($a: $t),*) -> $r);
    };
    (@emit $(#[$doc:meta])* $name:ident = $imp:ident [$($fast:tt)*] [$($slow:tt)*] ($($a:ident: $t:ty),*) -> $r:ty) => {
        $(#[$doc])*
        #[inline]
        pub fn $name<T: Float>($($a: $t),*) -> $r {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
                unsafe fn avx512<T: Float>($($a: $t),*) -> $r {
                    $imp::<T $($fast)*>($($a),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2<T: Float>($($a: $t),*) -> $r {
                    $imp::<T $($fast)*>($($a),*)
                }
                match level() {
                    // SAFETY: the CPU has these features (checked by `level`).
                    Level::Avx512 => return unsafe { avx512::<T>($($a),*) },
                    // SAFETY: as above.
                    Level::Avx2 => return unsafe { avx2::<T>($($a),*) },
                    Level::Base => {}
                }
            }
            $imp::<T $($slow)*>($($a),*)
        }
    };
}

/// The vector instruction sets the dispatched kernels use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Baseline (SSE2 on x86_64).
    Base,
    /// AVX2 and FMA.
    Avx2,
    /// AVX-512 F/BW/DQ/VL (with AVX2 and FMA).
    Avx512,
}

/// The best [`Level`] of this CPU (detected once).
#[inline]
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            use std::is_x86_feature_detected as has;
            if has!("avx2") && has!("fma") {
                if has!("avx512f") && has!("avx512bw") && has!("avx512dq") && has!("avx512vl") {
                    return Level::Avx512;
                }
                return Level::Avx2;
            }
        }
        Level::Base
    })
}

/// True when the CPU has AVX2 and FMA (cached by the std macro).
#[inline]
pub fn has_avx2() -> bool {
    level() != Level::Base
}

/// float32 / float64 as the reduction kernels need them.
pub trait Float: Element + num_traits::Float + std::ops::AddAssign + std::iter::Sum + Leaf {
    /// `e^x`, branch-free and vectorisable for float32 (<= 1 ulp); libm for float64.
    fn exp_v(self) -> Self;
    /// `e^x` with fused multiply-adds when `FMA`; when `FAST`, only for arguments that passed
    /// [`Float::exp_fast_ok`] (bit-identical to the full version there, and cheaper).
    fn exp_sel<const FMA: bool, const FAST: bool>(self) -> Self;
    /// True when every argument `>= lo` (and `<= 0`) may use the `FAST` exp (false for NaN).
    fn exp_fast_ok(lo: Self) -> bool;
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
    fn exp_sel<const FMA: bool, const FAST: bool>(self) -> Self {
        if FAST {
            exp_f32_fast::<FMA>(self)
        } else {
            exp_f32_with::<FMA>(self)
        }
    }
    #[inline(always)]
    fn exp_fast_ok(lo: Self) -> bool {
        lo >= EXP_FAST_LO
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
    fn exp_sel<const FMA: bool, const FAST: bool>(self) -> Self {
        self.exp()
    }
    #[inline(always)]
    fn exp_fast_ok(_lo: Self) -> bool {
        false
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
pub(crate) fn sum_sq_i<T: Float>(x: &[T]) -> T {
    lanes_sum(x, T::zero(), |v| v * v)
}

/// Sum of absolute values of a leaf (1-norm).
#[inline(always)]
pub(crate) fn sum_abs_i<T: Float>(x: &[T]) -> T {
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
pub(crate) fn max_min_i<T: Float>(x: &[T], max: bool) -> T {
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

/// `(max, min)` of a non-empty leaf: the max NaN-sticky (as [`max_min_i`]), the min of the
/// non-NaN values only when the leaf starts with one (callers only compare it against a bound).
#[inline(always)]
#[allow(clippy::eq_op)]
fn max_and_min_i<T: Float>(x: &[T]) -> (T, T) {
    let (mut hi, mut lo) = ([x[0]; LANES], [x[0]; LANES]);
    let mut z = [T::zero(); LANES];
    let mut it = x.chunks_exact(LANES);
    for c in &mut it {
        for i in 0..LANES {
            let v = c[i];
            hi[i] = if v > hi[i] { v } else { hi[i] };
            lo[i] = if v < lo[i] { v } else { lo[i] };
            z[i] = z[i] + (v - v);
        }
    }
    for (i, &v) in it.remainder().iter().enumerate() {
        hi[i] = if v > hi[i] { v } else { hi[i] };
        lo[i] = if v < lo[i] { v } else { lo[i] };
        z[i] = z[i] + (v - v);
    }
    let lo = fold(lo, |a, b| if b < a { b } else { a });
    if fold(z, |a, b| a + b).is_nan() {
        return (extreme_i(x, max_nan), lo);
    }
    (fold(hi, |a, b| if b > a { b } else { a }), lo)
}

/// The initialised view of `out` (every element written).
///
/// # Safety
/// Every element of `out` must have been written.
#[inline(always)]
unsafe fn assume_init<T>(out: &mut [MaybeUninit<T>]) -> &mut [T] {
    // SAFETY: MaybeUninit<T> has T's layout, and the caller wrote every element.
    unsafe { &mut *(out as *mut [MaybeUninit<T>] as *mut [T]) }
}

/// Writes `exp(x - shift)` to every element of `out` and returns it initialised. `FAST`: every
/// `x - shift` passed [`Float::exp_fast_ok`]. (A plain map loop: fusing the sum into it makes
/// LLVM keep the 32 lane accumulators in scalar registers.)
#[inline(always)]
fn exp_into<'a, T: Float, const FMA: bool, const FAST: bool>(x: &[T], shift: T, out: &'a mut [MaybeUninit<T>]) -> &'a mut [T] {
    for (d, &v) in out.iter_mut().zip(x) {
        d.write((v - shift).exp_sel::<FMA, FAST>());
    }
    // SAFETY: every element of `out` was written just above (the callers pass equal lengths).
    debug_assert_eq!(x.len(), out.len());
    unsafe { assume_init(out) }
}

/// Softmax (or log_softmax) of a contiguous lane into `out` (every element written), as
/// PyTorch's vectorised last-dim kernels: `m = max(x)`, `e = exp(x - m)`, `s = sum(e)`; softmax is
/// `e * (1/s)`, log_softmax `x - m - log(s)`. Four passes over the lane (max, exp, sum, scale),
/// each a simple vectorised loop over L1/L2-resident data. A lane holding +-inf or NaN gives NaN where PyTorch does (`inf - inf`).
#[inline(always)]
pub(crate) fn softmax_lane_i<T: Float, const FMA: bool>(x: &[T], out: &mut [MaybeUninit<T>], log: bool) {
    if x.is_empty() {
        return;
    }
    let (m, lo) = max_and_min_i(x);
    // Every x - m lies in [lo - m, 0]; NaN or infinite m fails the test.
    let e = if T::exp_fast_ok(lo - m) { exp_into::<T, FMA, true>(x, m, out) } else { exp_into::<T, FMA, false>(x, m, out) };
    let s = sum_i(e);
    if log {
        // `out` held the exponentials only for their sum.
        let shift = m + s.ln();
        for (o, &v) in e.iter_mut().zip(x) {
            *o = v - shift;
        }
    } else {
        let inv = <T as num_traits::One>::one() / s;
        for o in e.iter_mut() {
            *o = *o * inv;
        }
    }
}

/// Backward of softmax over a contiguous lane: `gx = y * (g - sum(g * y))`.
#[inline(always)]
fn softmax_backward_lane_i<T: Float>(y: &[T], g: &[T], out: &mut [MaybeUninit<T>]) {
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
        o.write(a * (b - s));
    }
}

/// Backward of log_softmax over a contiguous lane: `gx = g - exp(y) * sum(g)`.
#[inline(always)]
fn log_softmax_backward_lane_i<T: Float, const FMA: bool>(y: &[T], g: &[T], out: &mut [MaybeUninit<T>]) {
    let s = sum_i(g);
    if y.is_empty() {
        return;
    }
    // Log-probabilities are <= 0 (up to rounding): the fast exp needs min(y) >= its bound and
    // max(y) <= 0.
    let (hi, lo) = max_and_min_i(y);
    if T::exp_fast_ok(lo) && hi <= T::zero() {
        for ((o, &a), &b) in out.iter_mut().zip(y).zip(g) {
            o.write(b - a.exp_sel::<FMA, true>() * s);
        }
    } else {
        for ((o, &a), &b) in out.iter_mut().zip(y).zip(g) {
            o.write(b - a.exp_sel::<FMA, false>() * s);
        }
    }
}

/// Softmax (log_softmax) down the columns of a `[len, inner]` block: columns `[kb, kb + w)` of
/// `x` into the same columns of `out` (every one written). Per column, in row order: the
/// NaN-sticky max, then the exponentials and their sum, then the scale (or `x - m - log(s)`).
#[inline(always)]
fn softmax_cols_i<T: Float, const FMA: bool>(x: &[T], out: &mut ColBlock<T>, len: usize, log: bool) {
    const W: usize = COL_MAX;
    let (inner, kb, w) = (out.inner, out.kb, out.w);
    debug_assert!(w <= W && len > 0);
    let (mut m, mut s) = ([T::zero(); W], [T::zero(); W]);
    let (m, s) = (&mut m[..w], &mut s[..w]);
    m.copy_from_slice(&x[kb..kb + w]);
    for r in 1..len {
        let row = &x[r * inner + kb..r * inner + kb + w];
        for (a, &v) in m.iter_mut().zip(row) {
            *a = max_nan(*a, v);
        }
    }
    for r in 0..len {
        let row = &x[r * inner + kb..r * inner + kb + w];
        let o = out.row(r);
        if log {
            for ((t, &v), &mx) in s.iter_mut().zip(row).zip(m.iter()) {
                *t = *t + (v - mx).exp_sel::<FMA, false>();
            }
        } else {
            for (((t, d), &v), &mx) in s.iter_mut().zip(o.iter_mut()).zip(row).zip(m.iter()) {
                let e = (v - mx).exp_sel::<FMA, false>();
                d.write(e);
                *t = *t + e;
            }
        }
    }
    if log {
        for (t, &mx) in s.iter_mut().zip(m.iter()) {
            *t = mx + t.ln();
        }
    } else {
        for t in s.iter_mut() {
            *t = <T as num_traits::One>::one() / *t;
        }
    }
    for r in 0..len {
        let o = out.row(r);
        if log {
            let row = &x[r * inner + kb..r * inner + kb + w];
            for ((d, &v), &sh) in o.iter_mut().zip(row).zip(s.iter()) {
                d.write(v - sh);
            }
        } else {
            // SAFETY: the exponential pass wrote these elements.
            for (d, &inv) in unsafe { assume_init(o) }.iter_mut().zip(s.iter()) {
                *d = *d * inv;
            }
        }
    }
}

/// Backward of softmax (`log`: log_softmax) down the columns of `[len, inner]` blocks of `y`
/// and `g` into `out`'s columns: per column, in row order, `s = sum(g * y)` (`sum(g)`), then
/// `y * (g - s)` (`g - exp(y) * s`).
#[inline(always)]
fn softmax_backward_cols_i<T: Float, const FMA: bool>(y: &[T], g: &[T], out: &mut ColBlock<T>, len: usize, log: bool) {
    let (inner, kb, w) = (out.inner, out.kb, out.w);
    let mut s = [T::zero(); COL_MAX];
    let s = &mut s[..w];
    for r in 0..len {
        let (yr, gr) = (&y[r * inner + kb..r * inner + kb + w], &g[r * inner + kb..r * inner + kb + w]);
        if log {
            for (t, &b) in s.iter_mut().zip(gr) {
                *t = *t + b;
            }
        } else {
            for ((t, &a), &b) in s.iter_mut().zip(yr).zip(gr) {
                *t = *t + a * b;
            }
        }
    }
    for r in 0..len {
        let (yr, gr) = (&y[r * inner + kb..r * inner + kb + w], &g[r * inner + kb..r * inner + kb + w]);
        let o = out.row(r);
        if log {
            for (((d, &a), &b), &t) in o.iter_mut().zip(yr).zip(gr).zip(s.iter()) {
                d.write(b - a.exp_sel::<FMA, false>() * t);
            }
        } else {
            for (((d, &a), &b), &t) in o.iter_mut().zip(yr).zip(gr).zip(s.iter()) {
                d.write(a * (b - t));
            }
        }
    }
}

/// Exclusive access to columns `[kb, kb + w)` of every row of a row-major output with `inner`
/// columns: column kernels running on several threads write disjoint column blocks of one buffer.
pub struct ColBlock<T> {
    ptr: *mut MaybeUninit<T>,
    rows: usize,
    inner: usize,
    kb: usize,
    w: usize,
}

// SAFETY: a ColBlock is the only access to its elements (see `new`), like a `&mut [T]`.
unsafe impl<T: Send> Send for ColBlock<T> {}

impl<T> ColBlock<T> {
    /// # Safety
    /// `ptr` must be valid for writes of `rows * inner` elements, `kb + w <= inner`, and nothing
    /// else may access columns `[kb, kb + w)` of those rows while the block lives.
    pub unsafe fn new(ptr: *mut MaybeUninit<T>, rows: usize, inner: usize, kb: usize, w: usize) -> Self {
        debug_assert!(kb + w <= inner);
        ColBlock { ptr, rows, inner, kb, w }
    }

    /// Columns `[kb, kb + w)` of row `r`.
    #[inline(always)]
    fn row(&mut self, r: usize) -> &mut [MaybeUninit<T>] {
        assert!(r < self.rows);
        // SAFETY: in bounds by `new`'s contract and the assert; exclusive by `new`'s contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(r * self.inner + self.kb), self.w) }
    }
}

/// Widest column block of the column kernels (stack arrays).
pub const COL_MAX: usize = 256;

/// The max (`max`) or min down the columns `[kb, kb + w)` of a `[red, inner]` block into `val`,
/// with the row of the first extreme into `idx` when given: NaN wins, ties keep the first row.
#[inline(always)]
fn extreme_cols_i<T: Float>(x: &[T], red: usize, inner: usize, kb: usize, val: &mut [T], idx: Option<&mut [u32]>, max: bool) {
    let w = val.len();
    val.copy_from_slice(&x[kb..kb + w]);
    match idx {
        Some(idx) => {
            idx.fill(0);
            for r in 1..red {
                let row = &x[r * inner + kb..r * inner + kb + w];
                let ri = r as u32;
                for ((a, i), &v) in val.iter_mut().zip(idx.iter_mut()).zip(row) {
                    #[allow(clippy::eq_op)]
                    let take = *a == *a && (v != v || if max { v > *a } else { v < *a });
                    *a = if take { v } else { *a };
                    *i = if take { ri } else { *i };
                }
            }
        }
        None => {
            for r in 1..red {
                let row = &x[r * inner + kb..r * inner + kb + w];
                for (a, &v) in val.iter_mut().zip(row) {
                    *a = if max { max_nan(*a, v) } else { min_nan(*a, v) };
                }
            }
        }
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
    /// Softmax (`log`: log_softmax) of a contiguous lane into `out` (every element written).
    softmax_lane = softmax_lane_i<fma>(x: &[T], out: &mut [MaybeUninit<T>], log: bool) -> ());
dispatched!(
    /// Softmax (`log`: log_softmax) down columns `[kb, kb + w)` of a `[len, inner]` block.
    softmax_cols = softmax_cols_i<fma>(x: &[T], out: &mut ColBlock<T>, len: usize, log: bool) -> ());
dispatched!(
    /// Backward of softmax (`log`: log_softmax) down columns of `[len, inner]` blocks.
    softmax_backward_cols = softmax_backward_cols_i<fma>(y: &[T], g: &[T], out: &mut ColBlock<T>, len: usize, log: bool) -> ());
dispatched!(
    /// Backward of softmax over a contiguous lane (every element of `out` written).
    softmax_backward_lane = softmax_backward_lane_i(y: &[T], g: &[T], out: &mut [MaybeUninit<T>]) -> ());
dispatched!(
    /// Backward of log_softmax over a contiguous lane (every element of `out` written).
    log_softmax_backward_lane = log_softmax_backward_lane_i<fma>(y: &[T], g: &[T], out: &mut [MaybeUninit<T>]) -> ());
dispatched!(
    /// Max (`max`) or min down columns of a `[red, inner]` block, with first-row indices.
    extreme_cols = extreme_cols_i(x: &[T], red: usize, inner: usize, kb: usize, val: &mut [T], idx: Option<&mut [u32]>, max: bool) -> ());
dispatched!(
    /// Column-block sum of `[red, inner]` (see `col_sum_i`).
    col_sum = col_sum_i(base: &[T], red: usize, inner: usize, kb: usize, total: &mut [T], group: usize) -> ());

/// Sum of a leaf (lane order in the module docs). Explicit AVX-512 / AVX2 kernels (`reduce_x86`), bit-identical to the portable one.
#[inline]
pub fn sum<T: Float>(x: &[T]) -> T {
    T::leaf(level(), x, Op::Sum)
}

/// Sum of squares of a leaf (2-norm). Explicit AVX-512 / AVX2 kernels (`reduce_x86`), bit-identical to the portable one.
#[inline]
pub fn sum_sq<T: Float>(x: &[T]) -> T {
    T::leaf(level(), x, Op::SumSq)
}

/// Sum of absolute values of a leaf (1-norm). Explicit AVX-512 / AVX2 kernels (`reduce_x86`), bit-identical to the portable one.
#[inline]
pub fn sum_abs<T: Float>(x: &[T]) -> T {
    T::leaf(level(), x, Op::SumAbs)
}

/// The max of a non-empty leaf (NaN-sticky). Explicit AVX-512 / AVX2 kernels (`reduce_x86`), bit-identical to the portable one.
#[inline]
pub fn max<T: Float>(x: &[T]) -> T {
    T::leaf(level(), x, Op::Max)
}

/// The min of a non-empty leaf (NaN-sticky). Explicit AVX-512 / AVX2 kernels (`reduce_x86`), bit-identical to the portable one.
#[inline]
pub fn min<T: Float>(x: &[T]) -> T {
    T::leaf(level(), x, Op::Min)
}
