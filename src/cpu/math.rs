//! Vectorisable float32 `exp`, `tanh` and `sigmoid`, and slice drivers that run such scalar
//! functions with AVX2+FMA when the CPU has it (runtime dispatch) and on rayon above
//! [`GRAIN`](super::GRAIN).
//!
//! The functions are branch-free (both sides of every case are computed and one is selected), use
//! only `+ - * /` and bit operations, and are `#[inline(always)]`, so LLVM vectorises the loops
//! that call them. Accuracy, measured by the tests below against f64 references over sweeps of
//! every float exponent: `exp` <= 1 ULP, `tanh` <= 2 ULP, `sigmoid` <= 3 ULP (normal results).

use std::mem::MaybeUninit;


use super::reduce_simd::Level;
use super::GRAIN;

const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split in two (Cody-Waite): `n * LN2_HI` is exact for the `n` that occur.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer held in the low bits.
const ROUND_MAGIC: f32 = 12_582_912.0;

#[inline(always)]
fn select(c: bool, a: f32, b: f32) -> f32 {
    if c {
        a
    } else {
        b
    }
}

/// `a * b + c`, fused (one rounding) when `FMA`: callers pass `FMA = true` only from code
/// compiled with the `fma` target feature, where it is one instruction.
#[inline(always)]
fn fmadd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// `e^r` on the reduced range and the power of two: `x = n ln2 + r`, `|r| <= ln2/2` (about),
/// returns `(e^r, n)`. NaN gives a NaN `e^r`.
#[inline(always)]
fn exp_reduced<const FMA: bool>(x: f32) -> (f32, i32) {
    let k = fmadd::<FMA>(x, LOG2E, ROUND_MAGIC);
    let n = k - ROUND_MAGIC;
    let ni = (k.to_bits() as i32).wrapping_sub(0x4B40_0000);
    let r = fmadd::<FMA>(-n, LN2_LO, fmadd::<FMA>(-n, LN2_HI, x));
    // e^r - 1 - r on [-ln2/2, ln2/2] (Cephes expf coefficients).
    let mut p = 1.987_569_1e-4f32;
    p = fmadd::<FMA>(p, r, 1.398_2e-3);
    p = fmadd::<FMA>(p, r, 8.333_452e-3);
    p = fmadd::<FMA>(p, r, 4.166_579_6e-2);
    p = fmadd::<FMA>(p, r, 1.666_666_5e-1);
    p = fmadd::<FMA>(p, r, 5.000_000_1e-1);
    (fmadd::<FMA>(p * r, r, r) + 1.0, ni)
}

/// `e^x` for float32. NaN stays NaN, large inputs give `inf`, small ones `0` (through subnormals).
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    exp_f32_with::<false>(x)
}

/// [`exp_f32`], with fused multiply-adds when `FMA` (for code compiled with the `fma` feature;
/// <= 1 ULP either way, the two may differ in the last bit).
#[inline(always)]
pub fn exp_f32_with<const FMA: bool>(x: f32) -> f32 {
    // Clamp in a way that keeps NaN (a comparison with NaN is false).
    let x = select(x > 100.0, 100.0, x);
    let x = select(x < -104.0, -104.0, x);
    let (er, ni) = exp_reduced::<FMA>(x);
    // 2^n as two factors so that subnormal results and overflow both come out right.
    let n1 = ni >> 1;
    let n2 = ni - n1;
    let s1 = f32::from_bits(((n1 + 127) as u32) << 23);
    let s2 = f32::from_bits(((n2 + 127) as u32) << 23);
    er * s1 * s2
}

/// Inputs `x` in `[EXP_FAST_LO, EXP_FAST_HI]` (and NaN) may use [`exp_f32_fast`].
pub const EXP_FAST_LO: f32 = -87.0;
/// See [`EXP_FAST_LO`].
pub const EXP_FAST_HI: f32 = 88.0;

/// [`exp_f32_with`] for `x` in `[EXP_FAST_LO, EXP_FAST_HI]` or NaN, bit-identical to it there
/// (the result is a normal float, so scaling by `2^n` in one step is exact) and cheaper: no
/// clamping, one scale factor. Other inputs give garbage.
#[inline(always)]
pub fn exp_f32_fast<const FMA: bool>(x: f32) -> f32 {
    let (er, ni) = exp_reduced::<FMA>(x);
    er * f32::from_bits(((ni + 127) as u32) << 23)
}

/// `tanh(x)` for float32: an odd polynomial near 0, `1 - 2/(e^{2|x|} + 1)` elsewhere.
#[inline(always)]
pub fn tanh_f32(x: f32) -> f32 {
    tanh_f32_with::<false>(x)
}

/// [`tanh_f32`], with fused multiply-adds when `FMA` (as [`exp_f32_with`]).
#[inline(always)]
pub fn tanh_f32_with<const FMA: bool>(x: f32) -> f32 {
    let bits = x.to_bits();
    let ax = f32::from_bits(bits & 0x7FFF_FFFF);
    // |x| < 0.55: x + x^3 P(x^2), a least-squares fit in relative error (max 0.8 ULP).
    let x2 = x * x;
    let mut p = -6.463_189e-3f32;
    p = fmadd::<FMA>(p, x2, 2.120_471_2e-2);
    p = fmadd::<FMA>(p, x2, -5.388_452_9e-2);
    p = fmadd::<FMA>(p, x2, 1.333_289_3e-1);
    p = fmadd::<FMA>(p, x2, -3.333_332_5e-1);
    let small = fmadd::<FMA>(x * x2, p, x);
    // |x| >= 0.55: the result is >= 0.5, so the subtraction loses at most one bit.
    let e = exp_f32_with::<FMA>(2.0 * select(ax > 20.0, 20.0, ax));
    let big = 1.0 - 2.0 / (e + 1.0);
    // NaN fails the comparison and takes `big`, which is NaN too. Both branches are >= 0 for
    // x >= 0; the sign of x (also of -0.0) is put back at the end, as tanh is odd.
    let r = select(ax < 0.55, small, big);
    f32::from_bits((r.to_bits() & 0x7FFF_FFFF) | (bits & 0x8000_0000))
}

/// `1 / (1 + e^-x)` for float32, computed from `e = e^{-|x|}` (which never overflows):
/// `1/(1+e)` for `x >= 0` and `e/(1+e)` for `x < 0`.
#[inline(always)]
pub fn sigmoid_f32(x: f32) -> f32 {
    sigmoid_f32_with::<false>(x)
}

/// [`sigmoid_f32`], with fused multiply-adds when `FMA` (as [`exp_f32_with`]).
#[inline(always)]
pub fn sigmoid_f32_with<const FMA: bool>(x: f32) -> f32 {
    let ax = f32::from_bits(x.to_bits() & 0x7FFF_FFFF);
    // e^{-|x|} as `exp_f32_with` computes it, cheaper for an argument known to be <= 0: one clamp
    // (below -104 the result is 0 either way; NaN fails the comparison and stays NaN), and 2^n
    // (n >= -150) as the exact, normal 2^(n+64) times 2^-64, which rounds once, as the two
    // factors there do.
    let (er, ni) = exp_reduced::<FMA>(select(ax > 104.0, -104.0, -ax));
    let e = er * f32::from_bits(((ni + 127 + 64) as u32) << 23) * f32::from_bits((127 - 64) << 23);
    select(x < 0.0, e, 1.0) / (1.0 + e)
}

/// A float32 function with a form that uses fused multiply-adds: the vector loops, compiled with
/// FMA, call `eval::<true>`; the baseline loop calls `eval::<false>` (the two may differ in the
/// last bit, as PyTorch's vectorised and scalar kernels do). Fusing cuts a quarter of the
/// instructions of `sigmoid`, which is compute-bound even on 4M floats.
pub trait FusedFn: Copy + Send + Sync {
    /// The function, fused when `FMA`.
    fn eval<const FMA: bool>(self, x: f32) -> f32;
}

/// [`exp_f32_with`] as a [`FusedFn`].
#[derive(Clone, Copy, Debug)]
pub struct ExpFn;
/// [`tanh_f32_with`] as a [`FusedFn`].
#[derive(Clone, Copy, Debug)]
pub struct TanhFn;
/// [`sigmoid_f32_with`] as a [`FusedFn`].
#[derive(Clone, Copy, Debug)]
pub struct SigmoidFn;

impl FusedFn for ExpFn {
    #[inline(always)]
    fn eval<const FMA: bool>(self, x: f32) -> f32 {
        exp_f32_with::<FMA>(x)
    }
}

impl FusedFn for TanhFn {
    #[inline(always)]
    fn eval<const FMA: bool>(self, x: f32) -> f32 {
        tanh_f32_with::<FMA>(x)
    }
}

impl FusedFn for SigmoidFn {
    #[inline(always)]
    fn eval<const FMA: bool>(self, x: f32) -> f32 {
        sigmoid_f32_with::<FMA>(x)
    }
}

/// Writes `f(src[i])` to `dst[i]`.
#[inline(always)]
fn map_into<T: Copy, U>(src: &[T], dst: &mut [MaybeUninit<U>], f: &impl Fn(T) -> U) {
    for (d, &s) in dst.iter_mut().zip(src) {
        d.write(f(s));
    }
}

/// Writes `f(a[i], b[i])` to `dst[i]`.
#[inline(always)]
fn zip_into<T: Copy, U>(a: &[T], b: &[T], dst: &mut [MaybeUninit<U>], f: &impl Fn(T, T) -> U) {
    for ((d, &x), &y) in dst.iter_mut().zip(a).zip(b) {
        d.write(f(x, y));
    }
}

/// Replaces `dst[i]` by `f(dst[i])` (an in-place op writing straight into its target).
#[inline(always)]
fn update<T: Copy>(dst: &mut [T], f: &impl Fn(T) -> T) {
    for d in dst.iter_mut() {
        *d = f(*d);
    }
}

/// Replaces `dst[i]` by `f(dst[i], b[i])`.
#[inline(always)]
fn zip_update<T: Copy>(dst: &mut [T], b: &[T], f: &impl Fn(T, T) -> T) {
    for (d, &y) in dst.iter_mut().zip(b) {
        *d = f(*d, y);
    }
}

/// Writes `f(src[i])` to `dst[i]`, unfused (the baseline of [`FusedFn`]'s vector loops).
#[inline(always)]
fn map_fused(src: &[f32], dst: &mut [MaybeUninit<f32>], f: &impl FusedFn) {
    map_into(src, dst, &|x| f.eval::<false>(x))
}

/// Replaces `dst[i]` by `f(dst[i])`, unfused.
#[inline(always)]
fn update_fused(dst: &mut [f32], f: &impl FusedFn) {
    update(dst, &|x| f.eval::<false>(x))
}

/// [`update`] for functions that return their argument unchanged in one branch (`relu`: `x < 0 ?
/// 0 : x`): LLVM turns `*d = if c { 0 } else { *d }` into a conditional store, which it does not
/// vectorise (8x slower). Staging each block through a small buffer makes the store unconditional.
#[inline(always)]
fn update_staged<T: Copy + Default>(dst: &mut [T], f: &impl Fn(T) -> T) {
    const BLOCK: usize = 256;
    let mut stage = [T::default(); BLOCK];
    for d in dst.chunks_mut(BLOCK) {
        let s = &mut stage[..d.len()];
        s.copy_from_slice(d);
        for (d, &x) in d.iter_mut().zip(s.iter()) {
            *d = f(x);
        }
    }
}

/// The loops above compiled with the vector instructions of one level (so LLVM vectorises them
/// that wide), `$features` its `target_feature` list (each includes FMA). The element functions
/// use no `mul_add` (except a [`FusedFn`] here), so LLVM keeps every rounding and the results are
/// the baseline loop's bits.
macro_rules! wide_loops {
    ($level:ident, $features:literal) => {
        #[cfg(target_arch = "x86_64")]
        mod $level {
            use std::mem::MaybeUninit;

            use super::FusedFn;

            #[target_feature(enable = $features)]
            pub(super) unsafe fn map_into<T: Copy, U>(src: &[T], dst: &mut [MaybeUninit<U>], f: &impl Fn(T) -> U) {
                super::map_into(src, dst, f)
            }

            #[target_feature(enable = $features)]
            pub(super) unsafe fn zip_into<T: Copy, U>(a: &[T], b: &[T], dst: &mut [MaybeUninit<U>], f: &impl Fn(T, T) -> U) {
                super::zip_into(a, b, dst, f)
            }

            #[target_feature(enable = $features)]
            pub(super) unsafe fn update<T: Copy>(dst: &mut [T], f: &impl Fn(T) -> T) {
                super::update(dst, f)
            }

            #[target_feature(enable = $features)]
            pub(super) unsafe fn update_staged<T: Copy + Default>(dst: &mut [T], f: &impl Fn(T) -> T) {
                super::update_staged(dst, f)
            }

            #[target_feature(enable = $features)]
            pub(super) unsafe fn zip_update<T: Copy>(dst: &mut [T], b: &[T], f: &impl Fn(T, T) -> T) {
                super::zip_update(dst, b, f)
            }

            #[target_feature(enable = $features)]
            pub(super) unsafe fn map_fused(src: &[f32], dst: &mut [MaybeUninit<f32>], f: &impl FusedFn) {
                super::map_into(src, dst, &|x| f.eval::<true>(x))
            }

            #[target_feature(enable = $features)]
            pub(super) unsafe fn update_fused(dst: &mut [f32], f: &impl FusedFn) {
                super::update(dst, &|x| f.eval::<true>(x))
            }
        }
    };
}

wide_loops!(avx2, "avx2,fma");
wide_loops!(avx512, "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma");

/// The widest vector instructions this CPU has (detected once).
fn width() -> Level {
    super::reduce_simd::level()
}

/// Runs one of the loops above with the vector instructions of `$width` (the caller's
/// [`width`]), `$name` the loop, `$args` its arguments.
macro_rules! dispatch {
    ($width:expr, $name:ident($($args:expr),*)) => {{
        #[cfg(target_arch = "x86_64")]
        match $width {
            // SAFETY: the CPU supports the features of each level (detected at runtime).
            Level::Avx512 => return unsafe { avx512::$name($($args),*) },
            Level::Avx2 => return unsafe { avx2::$name($($args),*) },
            Level::Base => {}
        }
        let _ = $width;
        $name($($args),*)
    }};
}

fn map_chunk<T: Copy, U>(src: &[T], dst: &mut [MaybeUninit<U>], f: &impl Fn(T) -> U, width: Level) {
    dispatch!(width, map_into(src, dst, f))
}

fn zip_chunk<T: Copy, U>(a: &[T], b: &[T], dst: &mut [MaybeUninit<U>], f: &impl Fn(T, T) -> U, width: Level) {
    dispatch!(width, zip_into(a, b, dst, f))
}

fn update_chunk<T: Copy>(dst: &mut [T], f: &impl Fn(T) -> T, width: Level) {
    dispatch!(width, update(dst, f))
}

fn update_staged_chunk<T: Copy + Default>(dst: &mut [T], f: &impl Fn(T) -> T, width: Level) {
    // AVX-512 vectorises the conditional store with a mask register: the plain loop is 1.6x faster
    // there than staging (no copy through the buffer, no `memcpy` call per block).
    #[cfg(target_arch = "x86_64")]
    if width == Level::Avx512 {
        // SAFETY: the CPU has AVX-512 (the caller's `width`).
        return unsafe { avx512::update(dst, f) };
    }
    dispatch!(width, update_staged(dst, f))
}

fn map_fused_chunk(src: &[f32], dst: &mut [MaybeUninit<f32>], f: &impl FusedFn, width: Level) {
    dispatch!(width, map_fused(src, dst, f))
}

fn update_fused_chunk(dst: &mut [f32], f: &impl FusedFn, width: Level) {
    dispatch!(width, update_fused(dst, f))
}

fn zip_update_chunk<T: Copy>(dst: &mut [T], b: &[T], f: &impl Fn(T, T) -> T, width: Level) {
    dispatch!(width, zip_update(dst, b, f))
}

/// Piece length of parallel maps: the first piece, timed, decides whether the rest is split
/// (see [`super::split`]); small enough that a probe costs little, big enough that each of the
/// many pieces outweighs its scheduling.
const CHUNK: usize = GRAIN / 4;

/// The one driver of every map here: `body(d, inputs(r))` over pieces of `dst` of `piece`
/// elements (`r`: the piece's range, to slice the inputs alike), split over the pool when
/// [`super::parallel`] and the timed probe of [`super::split`] say it pays, else in one call over
/// all of `dst`. `may_split: false` keeps it in one call.
fn drive<D: Send, I: Send>(
    dst: &mut [D],
    piece: usize,
    may_split: bool,
    inputs: impl Fn(std::ops::Range<usize>) -> I,
    body: impl Fn(&mut [D], I) + Sync + Send,
) {
    let n = dst.len();
    if may_split && super::parallel(n) {
        let mut start = 0;
        let pieces = dst
            .chunks_mut(piece)
            .map(|d| {
                let r = start..start + d.len();
                start = r.end;
                (d, inputs(r))
            })
            .collect();
        super::split::for_pieces(pieces, |(d, i)| body(d, i));
    } else {
        body(dst, inputs(0..n));
    }
}

/// A new vector of `n` elements written by `fill` (which must write every one).
fn fresh<U: Copy + Send + 'static>(n: usize, fill: impl FnOnce(&mut [MaybeUninit<U>])) -> Vec<U> {
    let mut out: Vec<U> = crate::tensor::recycle::uninit_vec(n);
    fill(&mut out.spare_capacity_mut()[..n]);
    // SAFETY: `fill` wrote every one of the n elements (each driver covers all of `dst`).
    unsafe { out.set_len(n) };
    out
}

/// `f` over a contiguous slice into a new vector: vectorised (AVX2 when available), parallel
/// above [`GRAIN`].
pub fn map<T: Copy + Sync, U: Copy + Send + 'static>(src: &[T], f: impl Fn(T) -> U + Sync) -> Vec<U> {
    let width = width();
    fresh(src.len(), |dst| drive(dst, CHUNK, true, |r| &src[r], |d, s| map_chunk(s, d, &f, width)))
}

/// A [`FusedFn`] over a contiguous slice into a new vector, as [`map`], with fused
/// multiply-adds where the CPU has FMA.
pub fn fused_map(src: &[f32], f: impl FusedFn) -> Vec<f32> {
    let width = width();
    fresh(src.len(), |dst| drive(dst, CHUNK, true, |r| &src[r], |d, s| map_fused_chunk(s, d, &f, width)))
}

/// [`fused_map`] in place.
pub fn fused_map_in_place(dst: &mut [f32], f: impl FusedFn) {
    let width = width();
    drive(dst, CHUNK, true, |_| (), |d, ()| update_fused_chunk(d, &f, width));
}

/// `f` pairwise over two contiguous slices of one length, as [`map`].
pub fn zip_map<T: Copy + Sync, U: Copy + Send + 'static>(a: &[T], b: &[T], f: impl Fn(T, T) -> U + Sync) -> Vec<U> {
    assert_eq!(a.len(), b.len(), "zip_map needs slices of one length");
    let width = width();
    fresh(a.len(), |dst| drive(dst, CHUNK, true, |r| (&a[r.clone()], &b[r]), |d, (x, y)| zip_chunk(x, y, d, &f, width)))
}

/// `f(a[i], row[i % row.len()])` for a contiguous `a` whose length is a multiple of `row.len()`
/// (a bias row broadcast over a matrix), as [`map`]: AVX2 when available, parallel over whole rows
/// above [`GRAIN`].
pub fn zip_map_rows<T: Copy + Sync, U: Copy + Send + 'static>(a: &[T], row: &[T], f: impl Fn(T, T) -> U + Sync) -> Vec<U> {
    let (n, r) = (a.len(), row.len());
    assert!(r > 0 && n % r == 0, "zip_map_rows needs whole rows");
    let width = width();
    let piece = (CHUNK / r).max(1) * r;
    fresh(n, |dst| {
        drive(dst, piece, n / r > 1, |range| &a[range], |d, s| {
            for (d, s) in d.chunks_mut(r).zip(s.chunks(r)) {
                zip_chunk(s, row, d, &f, width);
            }
        })
    })
}

/// `dst[i] = f(dst[i])` over a contiguous slice, in place: the writing counterpart of [`map`]
/// (vectorised, parallel when it pays).
pub fn map_in_place<T: Copy + Send + Sync>(dst: &mut [T], f: impl Fn(T) -> T + Sync) {
    let width = width();
    drive(dst, CHUNK, true, |_| (), |d, ()| update_chunk(d, &f, width));
}

/// [`map_in_place`] for a `f` that returns its argument unchanged in one branch (`relu`), which
/// vectorises only this way (see `update_staged`).
pub fn map_in_place_select<T: Copy + Default + Send + Sync>(dst: &mut [T], f: impl Fn(T) -> T + Sync) {
    let width = width();
    drive(dst, CHUNK, true, |_| (), |d, ()| update_staged_chunk(d, &f, width));
}

/// `dst[i] = f(dst[i], b[i])` over two contiguous slices of one length, in place (as
/// [`map_in_place`]).
pub fn zip_in_place<T: Copy + Send + Sync>(dst: &mut [T], b: &[T], f: impl Fn(T, T) -> T + Sync) {
    assert_eq!(dst.len(), b.len(), "zip_in_place needs slices of one length");
    let width = width();
    drive(dst, CHUNK, true, |r| &b[r], |d, y| zip_update_chunk(d, y, &f, width));
}

/// `dst[i] = f(dst[i], row[i % row.len()])` for a contiguous `dst` of whole rows, in place (as
/// [`zip_map_rows`]).
pub fn zip_rows_in_place<T: Copy + Send + Sync>(dst: &mut [T], row: &[T], f: impl Fn(T, T) -> T + Sync) {
    let (n, r) = (dst.len(), row.len());
    assert!(r > 0 && n % r == 0, "zip_rows_in_place needs whole rows");
    let width = width();
    let piece = (CHUNK / r).max(1) * r;
    drive(dst, piece, n / r > 1, |_| (), |d, ()| {
        for d in d.chunks_mut(r) {
            zip_update_chunk(d, row, &f, width);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place of `reference` (rounded to f32) between `got` and the
    /// exact value.
    fn ulp_error(got: f32, exact: f64) -> f64 {
        let r = exact as f32;
        if got == r {
            return 0.0;
        }
        if !r.is_finite() {
            return if got == r { 0.0 } else { f64::INFINITY };
        }
        let ulp = (f32::from_bits(r.abs().to_bits() + 1) - r.abs()) as f64;
        (got as f64 - exact).abs() / ulp
    }

    /// Inputs sweeping every exponent in [-2^-20, 2^7] with many mantissas, both signs.
    fn sweep() -> Vec<f32> {
        let mut xs = vec![0.0f32, -0.0];
        let mut bits = 0x3580_0000u32; // 2^-20
        while f32::from_bits(bits) < 128.0 {
            let x = f32::from_bits(bits);
            xs.push(x);
            xs.push(-x);
            bits += 977; // odd step: touches every mantissa pattern class
        }
        xs
    }

    fn max_ulp(f: impl Fn(f32) -> f32, reference: impl Fn(f64) -> f64, xs: &[f32], min_result: f64) -> f64 {
        xs.iter()
            .filter(|&&x| reference(x as f64).abs() >= min_result || reference(x as f64) == 0.0)
            .map(|&x| ulp_error(f(x), reference(x as f64)))
            .fold(0.0, f64::max)
    }

    #[test]
    fn exp_is_within_one_ulp() {
        let xs: Vec<f32> = sweep().into_iter().filter(|x| x.abs() < 87.0).collect();
        let worst = max_ulp(exp_f32, f64::exp, &xs, f32::MIN_POSITIVE as f64);
        assert!(worst <= 1.0, "exp max error {worst} ULP");
    }

    #[test]
    fn fused_and_fast_exp_are_within_one_ulp_and_agree_in_range() {
        let xs: Vec<f32> = sweep().into_iter().filter(|x| x.abs() < 87.0).collect();
        let worst = max_ulp(exp_f32_with::<true>, f64::exp, &xs, f32::MIN_POSITIVE as f64);
        assert!(worst <= 1.0, "fused exp max error {worst} ULP");
        for &x in xs.iter().filter(|&&x| (EXP_FAST_LO..=EXP_FAST_HI).contains(&x)).chain(&[EXP_FAST_LO, EXP_FAST_HI, -86.99, 87.99]) {
            assert_eq!(exp_f32_fast::<true>(x).to_bits(), exp_f32_with::<true>(x).to_bits(), "x={x}");
            assert_eq!(exp_f32_fast::<false>(x).to_bits(), exp_f32(x).to_bits(), "x={x}");
        }
        assert!(exp_f32_fast::<true>(f32::NAN).is_nan());
        assert_eq!(exp_f32_with::<true>(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32_with::<true>(f32::INFINITY), f32::INFINITY);
        let sub = exp_f32_with::<true>(-100.0);
        assert!(sub > 0.0 && ulp_error(sub, (-100.0f64).exp()) <= 1.0);
    }

    #[test]
    fn tanh_is_within_two_ulp() {
        let worst = max_ulp(tanh_f32, f64::tanh, &sweep(), f32::MIN_POSITIVE as f64);
        assert!(worst <= 2.0, "tanh max error {worst} ULP");
    }

    #[test]
    fn sigmoid_is_within_three_ulp() {
        let xs: Vec<f32> = sweep().into_iter().filter(|x| x.abs() < 87.0).collect();
        let worst = max_ulp(sigmoid_f32, |x| 1.0 / (1.0 + (-x).exp()), &xs, f32::MIN_POSITIVE as f64);
        assert!(worst <= 3.0, "sigmoid max error {worst} ULP");
    }

    #[test]
    fn fused_tanh_and_sigmoid_keep_their_bounds() {
        let worst = max_ulp(tanh_f32_with::<true>, f64::tanh, &sweep(), f32::MIN_POSITIVE as f64);
        assert!(worst <= 2.0, "fused tanh max error {worst} ULP");
        let xs: Vec<f32> = sweep().into_iter().filter(|x| x.abs() < 87.0).collect();
        let worst = max_ulp(sigmoid_f32_with::<true>, |x| 1.0 / (1.0 + (-x).exp()), &xs, f32::MIN_POSITIVE as f64);
        assert!(worst <= 3.0, "fused sigmoid max error {worst} ULP");
        for x in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, -100.0, -104.5, 1e-30] {
            for (fused, plain) in [(sigmoid_f32_with::<true>(x), sigmoid_f32(x)), (tanh_f32_with::<true>(x), tanh_f32(x))] {
                assert!(fused.to_bits() == plain.to_bits() || (fused - plain).abs() <= f32::EPSILON * plain.abs(), "x={x}");
            }
        }
        // Subnormal sigmoid results (x < -87) come out right, not flushed.
        let sub = sigmoid_f32_with::<true>(-100.0);
        assert!(sub > 0.0 && ulp_error(sub, (-100.0f64).exp()) <= 1.0);
    }

    #[test]
    fn special_values() {
        assert!(exp_f32(f32::NAN).is_nan() && tanh_f32(f32::NAN).is_nan() && sigmoid_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(89.0), f32::INFINITY);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32(0.0), 1.0);
        // Subnormal results come out right, not flushed.
        let sub = exp_f32(-100.0);
        assert!(sub > 0.0 && ulp_error(sub, (-100.0f64).exp()) <= 1.0);
        assert_eq!(tanh_f32(f32::INFINITY), 1.0);
        assert_eq!(tanh_f32(f32::NEG_INFINITY), -1.0);
        assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(sigmoid_f32(f32::INFINITY), 1.0);
        assert_eq!(sigmoid_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(sigmoid_f32(0.0), 0.5);
    }

    #[test]
    fn drivers_agree_with_scalar_code_around_grain_and_vector_widths() {
        for n in [0, 1, 7, 8, 9, 15, 16, 17, 33, GRAIN - 1, GRAIN, GRAIN + 7, 3 * GRAIN + 5] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 6.0).collect();
            let b: Vec<f32> = (0..n).map(|i| (i % 11) as f32 - 5.0).collect();
            let m = map(&a, tanh_f32);
            assert_eq!(m.len(), n);
            assert!(m.iter().zip(&a).all(|(&y, &x)| y.to_bits() == tanh_f32(x).to_bits()));
            let z = zip_map(&a, &b, |x, y| x * y - 1.0);
            assert!(z.iter().enumerate().all(|(i, &v)| v == a[i] * b[i] - 1.0));
        }
    }

    #[test]
    fn in_place_drivers_agree_with_the_allocating_ones_around_grain_and_vector_widths() {
        for n in [0, 1, 7, 8, 9, 15, 16, 17, 33, CHUNK - 1, CHUNK + 1, GRAIN - 1, GRAIN, GRAIN + 7, 3 * GRAIN + 5] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 6.0).collect();
            let b: Vec<f32> = (0..n).map(|i| (i % 11) as f32 - 5.0).collect();
            let mut m = a.clone();
            map_in_place(&mut m, sigmoid_f32);
            assert_eq!(m, map(&a, sigmoid_f32), "n={n}");
            let relu = |x: f32| if x < 0.0 { 0.0 } else { x };
            let mut r = a.clone();
            map_in_place_select(&mut r, relu);
            assert_eq!(r, map(&a, relu), "n={n}");
            let mut z = a.clone();
            zip_in_place(&mut z, &b, |x, y| x * y - 1.0);
            assert_eq!(z, zip_map(&a, &b, |x, y| x * y - 1.0), "n={n}");
        }
        for &(rows, r) in &[(1, 1), (3, 7), (5, 16), (2, 17), (GRAIN / 8 + 1, 9), (4, GRAIN + 3)] {
            let a: Vec<f64> = (0..rows * r).map(|i| (i as f64 * 0.37).sin()).collect();
            let row: Vec<f64> = (0..r).map(|i| i as f64 - 3.0).collect();
            let mut z = a.clone();
            zip_rows_in_place(&mut z, &row, |x, y| x / 2.0 - y);
            assert_eq!(z, zip_map_rows(&a, &row, |x, y| x / 2.0 - y), "{rows}x{r}");
        }
    }

    #[test]
    fn in_place_drivers_split_over_two_threads_give_the_same_values() {
        let _serial = crate::cpu::pool::THREAD_COUNT_TESTS.lock();
        let before = crate::cpu::threads();
        crate::cpu::set_num_threads(2);
        let n = 8 * GRAIN + 3;
        let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.01).cos()).collect();
        let mut t = a.clone();
        map_in_place(&mut t, tanh_f32); // slow enough per piece for the pool to take the rest
        assert!(t.iter().zip(&a).all(|(&y, &x)| y.to_bits() == tanh_f32(x).to_bits()));
        let mut z = a.clone();
        zip_in_place(&mut z, &a, |x, y| tanh_f32(x) + y);
        assert!(z.iter().zip(&a).all(|(&y, &x)| y == tanh_f32(x) + x));
        crate::cpu::set_num_threads(before);
    }

    #[test]
    fn row_broadcast_agrees_with_indexing_around_grain_and_vector_widths() {
        for &(rows, r) in &[(1, 1), (3, 7), (5, 16), (2, 17), (GRAIN / 8 + 1, 9), (4, GRAIN + 3), (GRAIN / 7, 7)] {
            let a: Vec<f32> = (0..rows * r).map(|i| (i as f32 * 0.37).sin()).collect();
            let row: Vec<f32> = (0..r).map(|i| i as f32 - 3.0).collect();
            let z = zip_map_rows(&a, &row, |x, y| x * 2.0 + y);
            assert_eq!(z.len(), rows * r);
            assert!(z.iter().enumerate().all(|(i, &v)| v == a[i] * 2.0 + row[i % r]), "{rows}x{r}");
        }
    }

    /// The fused loops give `eval::<true>`'s bits at every vector width (all of them have FMA),
    /// `eval::<false>`'s at the baseline, in new vectors and in place, split or not.
    #[test]
    fn fused_loops_give_the_scalar_bits_of_their_level() {
        fn check(f: impl FusedFn) {
            for n in [1usize, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 257, 1000, GRAIN + 17] {
                let a: Vec<f32> = (0..n).map(|i| ((i * 7919) % 2001) as f32 * 0.013 - 13.0).collect();
                for level in [Level::Base, width()] {
                    let fma = level != Level::Base;
                    let want: Vec<u32> = a.iter().map(|&x| if fma { f.eval::<true>(x) } else { f.eval::<false>(x) }.to_bits()).collect();
                    let mut got = vec![MaybeUninit::new(0.0f32); n];
                    map_fused_chunk(&a, &mut got, &f, level);
                    assert!(got.iter().zip(&want).all(|(v, w)| unsafe { v.assume_init() }.to_bits() == *w), "map {level:?} n={n}");
                    let mut upd = a.clone();
                    update_fused_chunk(&mut upd, &f, level);
                    assert!(upd.iter().zip(&want).all(|(v, w)| v.to_bits() == *w), "update {level:?} n={n}");
                }
                let want: Vec<u32> = a.iter().map(|&x| f.eval::<true>(x).to_bits()).collect();
                if width() != Level::Base {
                    let split = crate::cpu::split::with_forced_split(2, || fused_map(&a, f));
                    assert!(split.iter().zip(&want).all(|(v, w)| v.to_bits() == *w), "split n={n}");
                    let mut upd = a.clone();
                    crate::cpu::split::with_forced_split(2, || fused_map_in_place(&mut upd, f));
                    assert!(upd.iter().zip(&want).all(|(v, w)| v.to_bits() == *w), "split in place n={n}");
                }
            }
        }
        check(ExpFn);
        check(TanhFn);
        check(SigmoidFn);
    }

    /// Every vector width this CPU supports gives the bits of the baseline loop, for the math
    /// functions and for maps, zips and in-place updates, at lengths around the vector widths.
    #[test]
    fn every_width_gives_the_baseline_bits() {
        let mut levels = vec![Level::Base];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                levels.push(Level::Avx2);
            }
            if width() == Level::Avx512 {
                levels.push(Level::Avx512);
            }
        }
        let funcs: [fn(f32) -> f32; 4] = [exp_f32, tanh_f32, sigmoid_f32, |x| if x < 0.0 { 0.0 } else { x }];
        for n in [1usize, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 257, 1000] {
            let a: Vec<f32> = (0..n).map(|i| ((i * 7919) % 2001) as f32 * 0.013 - 13.0).collect();
            let b: Vec<f32> = (0..n).map(|i| ((i * 104729) % 997) as f32 * 0.011 - 5.0).collect();
            for f in funcs {
                let want: Vec<f32> = a.iter().map(|&x| f(x)).collect();
                for &level in &levels {
                    let mut got = vec![MaybeUninit::new(0.0f32); n];
                    map_chunk(&a, &mut got, &f, level);
                    let got: Vec<f32> = got.iter().map(|v| unsafe { v.assume_init() }).collect();
                    assert!(got.iter().zip(&want).all(|(x, y)| x.to_bits() == y.to_bits()), "map {level:?} n={n}");
                    let mut upd = a.clone();
                    update_chunk(&mut upd, &f, level);
                    assert!(upd.iter().zip(&want).all(|(x, y)| x.to_bits() == y.to_bits()), "update {level:?} n={n}");
                    let mut staged = a.clone();
                    update_staged_chunk(&mut staged, &f, level);
                    assert!(staged.iter().zip(&want).all(|(x, y)| x.to_bits() == y.to_bits()), "staged {level:?} n={n}");
                }
            }
            let div = |x: f32, y: f32| x / y + x * y;
            let want: Vec<f32> = a.iter().zip(&b).map(|(&x, &y)| div(x, y)).collect();
            for &level in &levels {
                let mut got = vec![MaybeUninit::new(0.0f32); n];
                zip_chunk(&a, &b, &mut got, &div, level);
                let got: Vec<f32> = got.iter().map(|v| unsafe { v.assume_init() }).collect();
                assert!(got.iter().zip(&want).all(|(x, y)| x.to_bits() == y.to_bits()), "zip {level:?} n={n}");
                let mut upd = a.clone();
                zip_update_chunk(&mut upd, &b, &div, level);
                assert!(upd.iter().zip(&want).all(|(x, y)| x.to_bits() == y.to_bits()), "zip_update {level:?} n={n}");
            }
        }
    }
}
