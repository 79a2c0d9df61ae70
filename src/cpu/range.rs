//! Float `arange` values bit-identical to PyTorch's CPU kernel (RangeFactoriesKernel.cpp).
//!
//! PyTorch computes in the accumulation type (double for float32 and float64): the output is cut
//! into `parallel_for` segments (one per thread above the 32768 grain), and inside a segment the
//! vectorised loop fills two vectors per step. A vector starting at index `idx` holds
//! `base = T(start + step * idx)` followed by `T(base + j * step)` for lanes `j = 1..V` (V = 8
//! float32 or 4 float64 lanes of its AVX2 kernel), and the scalar tail `T(start + step * idx)`.
//! The compiled kernel contracts `a + b * c` into fused multiply-adds, so `mul_add` is used here.
//! Measured against the reference wheel by tests/test_creation_exact.py.

use super::GRAIN;

/// One `parallel_for` segment `[begin, end)` of PyTorch's arange loop, appended to `out`.
fn segment<T>(start: f64, step: f64, begin: usize, end: usize, lanes: usize, cast: impl Fn(f64) -> T, wide: impl Fn(&T) -> f64, out: &mut Vec<T>) {
    let len = end - begin;
    let mut idx = begin;
    let mut i = 0;
    while i + 2 * lanes <= len {
        for _ in 0..2 {
            let base = cast(step.mul_add(idx as f64, start));
            let b = wide(&base);
            out.push(base);
            for j in 1..lanes {
                out.push(cast((j as f64).mul_add(step, b)));
            }
            idx += lanes;
            i += lanes;
        }
    }
    while i < len {
        out.push(cast(step.mul_add(idx as f64, start)));
        idx += 1;
        i += 1;
    }
}

/// The segments PyTorch's `parallel_for(0, n, GRAIN)` gives `threads` OpenMP threads.
fn segments(n: usize, threads: usize) -> Vec<(usize, usize)> {
    if n <= GRAIN {
        return vec![(0, n)];
    }
    let tasks = threads.max(1).min(n.div_ceil(GRAIN));
    let chunk = n.div_ceil(tasks);
    (0..tasks).map(|t| (t * chunk, ((t + 1) * chunk).min(n))).filter(|(b, e)| b < e).collect()
}

/// `n` float32 values of `arange(start, step)` as PyTorch computes them with `threads` threads.
pub fn arange_f32(start: f64, step: f64, n: usize, threads: usize) -> Vec<f32> {
    let mut out = crate::error::vec_with_capacity(n);
    for (b, e) in segments(n, threads) {
        segment(start, step, b, e, 8, |v| v as f32, |&v| v as f64, &mut out);
    }
    out
}

/// `n` float64 values of `arange(start, step)` as PyTorch computes them with `threads` threads.
pub fn arange_f64(start: f64, step: f64, n: usize, threads: usize) -> Vec<f64> {
    let mut out = crate::error::vec_with_capacity(n);
    for (b, e) in segments(n, threads) {
        segment(start, step, b, e, 4, |v| v, |&v| v, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cover_the_range_in_order() {
        for n in [0usize, 1, 17, GRAIN, GRAIN + 1, 3 * GRAIN + 5] {
            for threads in [1, 2, 3, 8] {
                let s = segments(n, threads);
                assert_eq!(s.first().map_or(0, |x| x.0), 0);
                assert_eq!(s.last().map_or(0, |x| x.1), n);
                assert!(s.windows(2).all(|w| w[0].1 == w[1].0));
            }
        }
        assert_eq!(segments(GRAIN + 1, 4), vec![(0, 16385), (16385, GRAIN + 1)]);
    }

    #[test]
    fn small_ranges_are_exact_where_the_arithmetic_is() {
        // Integer-valued starts and steps are exact in every formula.
        for n in [0usize, 1, 7, 8, 15, 16, 17, 33] {
            let f = arange_f32(-3.0, 2.0, n, 2);
            let d = arange_f64(-3.0, 2.0, n, 2);
            assert_eq!(f.len(), n);
            for i in 0..n {
                assert_eq!(f[i], -3.0 + 2.0 * i as f32);
                assert_eq!(d[i], -3.0 + 2.0 * i as f64);
            }
        }
        // A vector lane is `base + j * step` (float64: 4 lanes, two vectors per step), and the
        // tail after the last full pair of vectors is `start + i * step`.
        let v = arange_f64(1.3, 0.7, 43, 1);
        assert_eq!(v[22], 2.0f64.mul_add(0.7, 0.7f64.mul_add(20.0, 1.3)));
        assert_eq!(v[42], 0.7f64.mul_add(42.0, 1.3));
        let f = arange_f32(1.3, 0.7, 43, 1);
        assert_eq!(f[19], (3.0f64.mul_add(0.7, 0.7f64.mul_add(16.0, 1.3) as f32 as f64)) as f32);
    }
}
