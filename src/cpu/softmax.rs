//! Drivers of softmax / log_softmax and of their backward over contiguous float data: lanes
//! (the softmax dim innermost), columns (`[outer, len, inner]`, the softmax dim in the middle:
//! vector operations across the `inner` columns, no gathering), and a backward whose gradient may
//! have any layout (each lane of it is read in place or copied into a small buffer, never the
//! whole tensor gathered). Outputs are recycled buffers written once (no zeroing pass).
//!
//! Determinism: every lane or column is computed whole by one call in a fixed order, so results
//! do not depend on the thread count.

use std::mem::MaybeUninit;

use super::reduce_simd::{self as k, ColBlock, Float, COL_MAX};
use super::GRAIN;
use crate::tensor::recycle::uninit_vec;
use crate::tensor::Layout;

/// A recycled vector of `n` elements, all written by `fill` (which gets the uninitialised
/// elements).
fn written<T: Copy + Send + 'static>(n: usize, fill: impl FnOnce(&mut [MaybeUninit<T>])) -> Vec<T> {
    let mut out: Vec<T> = uninit_vec(n);
    fill(&mut out.spare_capacity_mut()[..n]);
    // SAFETY: `fill` writes every element (the callers' kernels write whole lanes / blocks).
    unsafe { out.set_len(n) };
    out
}

/// Softmax (`log`: log_softmax) of each contiguous lane of `len` elements of `x`; lanes in
/// parallel above [`GRAIN`].
pub fn softmax_lanes<T: Float>(x: &[T], len: usize, log: bool) -> Vec<T> {
    let n = x.len();
    if len == 0 || n == 0 {
        return Vec::new();
    }
    written(n, |dst| {
        let per_task = (GRAIN / len).max(1) * len;
        let body = |a: &[T], o: &mut [MaybeUninit<T>]| a.chunks(len).zip(o.chunks_mut(len)).for_each(|(a, o)| k::softmax_lane(a, o, log));
        if !super::parallel(n) {
            body(x, dst);
        } else {
            super::split::for_pieces(x.chunks(per_task).zip(dst.chunks_mut(per_task)).collect(), |(a, o)| body(a, o));
        }
    })
}

/// Width of the column blocks for runs of `len`: about 64K elements per block (it stays in L2
/// across the three passes), a multiple of 16 in `[16, COL_MAX]`, at most `inner`.
fn col_width(len: usize, inner: usize) -> usize {
    ((65536 / len.max(1)) / 16 * 16).clamp(16, COL_MAX).min(inner)
}

/// Softmax (`log`: log_softmax) over the middle dim of a contiguous `[outer, len, inner]`
/// (`len > 0`): column blocks in parallel above [`GRAIN`].
pub fn softmax_cols<T: Float>(x: &[T], outer: usize, len: usize, inner: usize, log: bool) -> Vec<T> {
    let n = x.len();
    debug_assert_eq!(n, outer * len * inner);
    if n == 0 {
        return Vec::new();
    }
    let w = col_width(len, inner);
    let per = inner.div_ceil(w);
    let slab = len * inner;
    written(n, |dst| {
        let base = dst.as_mut_ptr() as usize;
        let item = |b: usize| {
            let (o, kb) = (b / per, (b % per) * w);
            let width = w.min(inner - kb);
            let ptr = (base as *mut MaybeUninit<T>).wrapping_add(o * slab);
            // SAFETY: `ptr` starts slab `o` of `dst` (len rows of `inner`), and each item owns
            // its own (slab, column block): no other item touches these columns.
            let mut block = unsafe { ColBlock::new(ptr, len, inner, kb, width) };
            k::softmax_cols(&x[o * slab..(o + 1) * slab], &mut block, len, log);
        };
        let items = outer * per;
        if super::parallel(n) && items > 1 {
            super::split::for_pieces((0..items).collect(), item);
        } else {
            (0..items).for_each(item);
        }
    })
}

/// The backward of softmax (`log`: log_softmax) over the middle dim of contiguous
/// `[outer, len, inner]` `y` (the forward's output) and `g`: column blocks, in parallel above
/// [`GRAIN`].
pub fn softmax_backward_cols<T: Float>(y: &[T], g: &[T], outer: usize, len: usize, inner: usize, log: bool) -> Vec<T> {
    let n = y.len();
    debug_assert!(n == outer * len * inner && g.len() == n);
    if n == 0 {
        return Vec::new();
    }
    let w = col_width(len, inner);
    let per = inner.div_ceil(w);
    let slab = len * inner;
    written(n, |dst| {
        let base = dst.as_mut_ptr() as usize;
        let item = |b: usize| {
            let (o, kb) = (b / per, (b % per) * w);
            let ptr = (base as *mut MaybeUninit<T>).wrapping_add(o * slab);
            // SAFETY: as in `softmax_cols`: each item owns its (slab, column block).
            let mut block = unsafe { ColBlock::new(ptr, len, inner, kb, w.min(inner - kb)) };
            k::softmax_backward_cols(&y[o * slab..(o + 1) * slab], &g[o * slab..(o + 1) * slab], &mut block, len, log);
        };
        let items = outer * per;
        if super::parallel(n) && items > 1 {
            super::split::for_pieces((0..items).collect(), item);
        } else {
            (0..items).for_each(item);
        }
    })
}

/// Offset in `layout` of the first element of lane `r` along its last dim (lanes numbered in
/// row-major order of the other dims).
fn lane_offset(layout: &Layout, mut r: usize) -> usize {
    let nd = layout.ndim();
    let mut off = layout.offset;
    for d in (0..nd.saturating_sub(1)).rev() {
        let size = layout.shape[d];
        off += (r % size) * layout.strides[d];
        r /= size;
    }
    off
}

/// The backward of softmax (`log`: log_softmax) along the last dim: `y` the contiguous output of
/// the forward, `g` the incoming gradient with any `layout` of `y`'s shape. Each lane of `g` is
/// read in place when its elements are adjacent, otherwise copied into a lane buffer.
pub fn softmax_backward_lanes<T: Float>(y: &[T], g: &[T], layout: &Layout, len: usize, log: bool) -> Vec<T> {
    let n = y.len();
    debug_assert_eq!(n, layout.numel());
    if len == 0 || n == 0 {
        return Vec::new();
    }
    let contiguous = layout.is_contiguous();
    let step = layout.strides.last().copied().unwrap_or(1);
    written(n, |dst| {
        let per_task = (GRAIN / len).max(1) * len;
        // Lanes [first, first + count) of `y` and `dst`.
        let body = |first: usize, ys: &[T], o: &mut [MaybeUninit<T>]| {
            let mut buf: Vec<T> = Vec::new();
            for (j, (yl, ol)) in ys.chunks(len).zip(o.chunks_mut(len)).enumerate() {
                let r = first + j;
                let gl: &[T] = if contiguous {
                    &g[layout.offset + r * len..layout.offset + (r + 1) * len]
                } else {
                    let off = lane_offset(layout, r);
                    buf.clear();
                    match step {
                        1 => &g[off..off + len],
                        // Broadcast along the lane (e.g. the gradient of a sum): one value.
                        0 => {
                            buf.resize(len, g[off]);
                            &buf
                        }
                        _ => {
                            buf.extend(g[off..=off + (len - 1) * step].iter().step_by(step));
                            &buf
                        }
                    }
                };
                if log {
                    k::log_softmax_backward_lane(yl, gl, ol);
                } else {
                    k::softmax_backward_lane(yl, gl, ol);
                }
            }
        };
        if !super::parallel(n) {
            body(0, y, dst);
        } else {
            super::split::for_pieces(y.chunks(per_task).zip(dst.chunks_mut(per_task)).enumerate().collect(), |(t, (a, o))| body(t * per_task / len, a, o));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random values in [-1, 1).
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    fn on_threads<R: Send>(n: usize, f: impl FnOnce() -> R + Send) -> R {
        rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap().install(f)
    }

    /// Lane lengths around the vector widths, the exp block and the grain.
    const LENS: [usize; 14] = [1, 2, 7, 15, 16, 17, 31, 32, 33, 255, 257, 1000, GRAIN - 1, GRAIN + 1];

    /// Softmax / log_softmax of one lane in f64.
    fn reference(x: &[f32], log: bool) -> Vec<f64> {
        let m = x.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b as f64));
        let z: f64 = x.iter().map(|&v| (v as f64 - m).exp()).sum();
        x.iter().map(|&v| if log { v as f64 - m - z.ln() } else { (v as f64 - m).exp() / z }).collect()
    }

    fn close(got: f32, want: f64, log: bool) -> bool {
        if log {
            (got as f64 - want).abs() <= 1e-5 * want.abs().max(1.0)
        } else {
            (got as f64 - want).abs() <= 1e-5 * want + 1e-37
        }
    }

    #[test]
    fn lanes_match_a_double_reference_on_both_exp_paths() {
        for len in LENS {
            for (spread, seed) in [(20.0f32, 1u64), (150.0, 2)] {
                // spread 150: x - max reaches below -87, the careful exp path (subnormal results).
                let x: Vec<f32> = values(2 * len, seed).iter().map(|v| v * spread).collect();
                for log in [false, true] {
                    let got = softmax_lanes(&x, len, log);
                    for (lane, out) in x.chunks(len).zip(got.chunks(len)) {
                        let want = reference(lane, log);
                        for i in 0..len {
                            assert!(close(out[i], want[i], log), "len={len} spread={spread} log={log} i={i}: {} vs {}", out[i], want[i]);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn dispatched_lanes_match_the_portable_body_bit_for_bit() {
        let fma = k::level() != k::Level::Base;
        for len in LENS {
            let x: Vec<f32> = values(len, 3).iter().map(|v| v * 30.0).collect();
            for log in [false, true] {
                let mut want = vec![MaybeUninit::<f32>::uninit(); len];
                if fma {
                    k::softmax_lane_i::<f32, true>(&x, &mut want, log);
                } else {
                    k::softmax_lane_i::<f32, false>(&x, &mut want, log);
                }
                // SAFETY: the kernel wrote every element.
                let want: Vec<f32> = want.into_iter().map(|v| unsafe { v.assume_init() }).collect();
                assert_eq!(bits(&softmax_lanes(&x, len, log)), bits(&want), "len={len} log={log}");
            }
        }
    }

    #[test]
    fn special_values_follow_pytorch() {
        // +inf in a lane makes it all NaN (inf - inf), an all -inf lane is NaN, a NaN spreads.
        assert!(softmax_lanes(&[f32::INFINITY, 1.0], 2, false).iter().all(|v| v.is_nan()));
        assert!(softmax_lanes(&[f32::NEG_INFINITY, f32::NEG_INFINITY], 2, true).iter().all(|v| v.is_nan()));
        assert!(softmax_lanes(&[0.0, f32::NAN, 1.0], 3, false).iter().all(|v| v.is_nan()));
        assert_eq!(softmax_lanes(&[f32::NEG_INFINITY, 0.0], 2, false), vec![0.0, 1.0]);
        assert_eq!(softmax_lanes(&[f32::NEG_INFINITY, 0.0], 2, true), vec![f32::NEG_INFINITY, 0.0]);
        // The same by columns.
        let x = [f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY, 1.0, f32::NEG_INFINITY, 0.0];
        let c = softmax_cols(&x, 1, 2, 3, false);
        assert!(c[0].is_nan() && c[3].is_nan() && c[1].is_nan() && c[4].is_nan());
        assert_eq!((c[2], c[5]), (0.0, 1.0));
        assert!(softmax_lanes::<f32>(&[], 0, false).is_empty());
    }

    #[test]
    fn columns_match_the_lanes_reference() {
        for &(outer, len, inner) in &[(1, 1, 16), (2, 3, 1), (1, 7, 15), (3, 17, 16), (2, 33, 17), (1, 100, 300), (1, 2049, 33), (2, GRAIN / 16 + 3, 16)] {
            let x: Vec<f32> = values(outer * len * inner, 5).iter().map(|v| v * 40.0).collect();
            for log in [false, true] {
                let got = softmax_cols(&x, outer, len, inner, log);
                for o in 0..outer {
                    for c in 0..inner {
                        let lane: Vec<f32> = (0..len).map(|r| x[(o * len + r) * inner + c]).collect();
                        let want = reference(&lane, log);
                        for r in 0..len {
                            let v = got[(o * len + r) * inner + c];
                            assert!(close(v, want[r], log), "{outer}x{len}x{inner} log={log} ({o},{r},{c}): {v} vs {}", want[r]);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn column_backward_matches_the_formulas() {
        for &(outer, len, inner) in &[(1, 1, 16), (2, 3, 1), (1, 7, 15), (3, 17, 16), (2, 33, 17), (1, 100, 300), (2, GRAIN / 16 + 3, 16)] {
            let n = outer * len * inner;
            let g = values(n, 6);
            for log in [false, true] {
                let y = softmax_cols(&values(n, 7).iter().map(|v| v * 30.0).collect::<Vec<_>>(), outer, len, inner, log);
                let got = softmax_backward_cols(&y, &g, outer, len, inner, log);
                let one = on_threads(1, || softmax_backward_cols(&y, &g, outer, len, inner, log));
                assert_eq!(bits(&got), bits(&one));
                for o in 0..outer {
                    for c in 0..inner {
                        let at = |r: usize| (o * len + r) * inner + c;
                        let s: f64 = (0..len).map(|r| if log { g[at(r)] as f64 } else { g[at(r)] as f64 * y[at(r)] as f64 }).sum();
                        for r in 0..len {
                            let (a, b) = (y[at(r)] as f64, g[at(r)] as f64);
                            let want = if log { b - a.exp() * s } else { a * (b - s) };
                            assert!((got[at(r)] as f64 - want).abs() <= 1e-5 * (1.0 + s.abs()), "{outer}x{len}x{inner} log={log}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        for &(rows, len) in &[(GRAIN / 1000 + 1, 1000), (3, GRAIN + 1), (GRAIN / 7 + 2, 7)] {
            let x: Vec<f32> = values(rows * len, 9).iter().map(|v| v * 10.0).collect();
            let g = values(rows * len, 10);
            let run = || {
                (
                    softmax_lanes(&x, len, false),
                    softmax_cols(&x, 1, rows, len, true),
                    softmax_backward_lanes(&x, &g, &Layout::contiguous(&[rows, len]), len, true),
                )
            };
            let (one, three) = (on_threads(1, run), on_threads(3, run));
            assert_eq!(bits(&one.0), bits(&three.0));
            assert_eq!(bits(&one.1), bits(&three.1));
            assert_eq!(bits(&one.2), bits(&three.2));
        }
    }

    #[test]
    fn backward_reads_any_gradient_layout_like_its_contiguous_copy() {
        for &(rows, len) in &[(1, 1), (3, 7), (2, 33), (5, 257), (GRAIN / 100 + 1, 100), (2, GRAIN + 3)] {
            let n = rows * len;
            let y = softmax_lanes(&values(n, 4), len, false);
            let ly: Vec<f32> = values(n, 4).iter().map(|v| v * 50.0).collect();
            let ly = softmax_lanes(&ly, len, true);
            // A gradient stored transposed ([len, rows] memory), one broadcast from a row, one
            // broadcast from a scalar: each against its gathered copy.
            let storage = values(n, 8);
            let layouts = [
                Layout { shape: vec![rows, len], strides: vec![1, rows], offset: 0 },
                Layout { shape: vec![rows, len], strides: vec![0, 1], offset: 3 },
                Layout { shape: vec![rows, len], strides: vec![0, 0], offset: 5 },
                Layout { shape: vec![rows, len], strides: vec![len, 1], offset: 0 },
            ];
            for l in layouts.iter().filter(|l| l.offset + (rows - 1) * l.strides[0] + (len - 1) * l.strides[1] < n) {
                let copy = l.gather(&storage);
                for log in [false, true] {
                    let yy = if log { &ly } else { &y };
                    let got = softmax_backward_lanes(yy, &storage, l, len, log);
                    let want = softmax_backward_lanes(yy, &copy, &Layout::contiguous(&[rows, len]), len, log);
                    assert_eq!(bits(&got), bits(&want), "{rows}x{len} {:?} log={log}", l.strides);
                    // And the formulas, in f64.
                    for (r, ((yl, gl), ol)) in yy.chunks(len).zip(copy.chunks(len)).zip(got.chunks(len)).enumerate() {
                        let s: f64 = if log { gl.iter().map(|&b| b as f64).sum() } else { yl.iter().zip(gl).map(|(&a, &b)| a as f64 * b as f64).sum() };
                        for i in 0..len {
                            let want = if log { gl[i] as f64 - (yl[i] as f64).exp() * s } else { yl[i] as f64 * (gl[i] as f64 - s) };
                            assert!((ol[i] as f64 - want).abs() <= 1e-5 * (1.0 + s.abs()), "row {r} i={i} log={log}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn forced_splits_give_the_bits_of_one_thread() {
        use crate::cpu::split::with_forced_split;
        for (rows, len) in [(GRAIN / 100 + 1, 100), (3, GRAIN + 1), (40, 1000), (GRAIN / 7, 7)] {
            let x: Vec<f32> = values(rows * len, 5).iter().map(|v| v * 10.0).collect();
            let g = values(rows * len, 6);
            let run = || {
                let mut out = vec![];
                for log in [false, true] {
                    let y = softmax_lanes(&x, len, log);
                    out.extend(softmax_backward_lanes(&y, &g, &Layout::contiguous(&[rows, len]), len, log));
                    out.extend(y);
                    // The same data as [1, rows, len] reduced over the rows (columns of len).
                    let yc = softmax_cols(&x, 1, rows, len, log);
                    out.extend(softmax_backward_cols(&yc, &g, 1, rows, len, log));
                    out.extend(yc);
                }
                out.extend(crate::cpu::reduce::map_lanes(&x, &Layout::contiguous(&[rows, len]), 0, |a: &[f32], o: &mut [f32]| {
                    let mut acc = 0.0;
                    for (v, d) in a.iter().zip(o) {
                        acc += v;
                        *d = acc;
                    }
                }));
                out
            };
            let (one, two) = (with_forced_split(1, run), with_forced_split(2, run));
            assert_eq!(bits(&one), bits(&two), "{rows}x{len}");
        }
    }
}
