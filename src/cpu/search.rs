//! Index-producing kernels: the coordinates of nonzero elements, binary search of sorted lanes
//! (searchsorted / bucketize), counting (bincount) and histograms (histc). No autograd.

use crate::tensor::{Element, Layout};

/// The coordinates (row-major, one row of `ndim` int64 per element) of the nonzero elements of
/// `data` seen through `layout`, in logical order.
pub fn nonzero<T: Element>(data: &[T], layout: &Layout) -> Vec<i64> {
    let shape = &layout.shape;
    let mut index = vec![0i64; shape.len()];
    let mut out = Vec::new();
    let zero = T::default();
    layout.for_each_offset(|o| {
        if data[o] != zero {
            out.extend_from_slice(&index);
        }
        // Advance the logical index (last dim fastest).
        for d in (0..shape.len()).rev() {
            index[d] += 1;
            if (index[d] as usize) < shape[d] {
                break;
            }
            index[d] = 0;
        }
    });
    out
}

/// The insertion point of `v` in the sorted `lane`: the first position whose element is `>= v`
/// (`right`: `> v`), by PyTorch's binary search (whose comparisons treat NaN as it does: a NaN
/// element compares neither `>=` nor `>`).
pub fn search_lane(lane: &[f64], v: f64, right: bool) -> usize {
    let (mut start, mut end) = (0usize, lane.len());
    while start < end {
        let mid = start + ((end - start) >> 1);
        let past = if right { !(lane[mid] > v) } else { !(lane[mid] >= v) };
        if past {
            start = mid + 1;
        } else {
            end = mid;
        }
    }
    start
}

/// Per-bin sums of `weights` (or counts when None) at the int64 `values`, with at least
/// `minlength` bins (`max(values) + 1` otherwise). The caller has checked `values >= 0`.
pub fn bincount(values: &[i64], weights: Option<&[f64]>, minlength: usize) -> Vec<f64> {
    let bins = values.iter().map(|&v| v as usize + 1).max().unwrap_or(0).max(minlength);
    let mut out = vec![0.0; bins];
    for (i, &v) in values.iter().enumerate() {
        out[v as usize] += weights.map_or(1.0, |w| w[i]);
    }
    out
}

/// The histogram of `values` in `bins` equal bins over `[lo, hi]` (values outside are ignored;
/// `hi` falls in the last bin), as PyTorch's histc.
pub fn histc<T: Element>(values: &[T], bins: usize, lo: f64, hi: f64) -> Vec<T> {
    let mut counts = vec![0i64; bins];
    for &x in values {
        let x = x.to_f64();
        if !(x >= lo && x <= hi) {
            continue;
        }
        // PyTorch's formula: (x - lo) * bins / (hi - lo), computed in the element type.
        let pos = T::from_f64(T::from_f64(x - lo).to_f64() * bins as f64 / T::from_f64(hi - lo).to_f64()).to_f64();
        let b = (pos as usize).min(bins - 1);
        counts[b] += 1;
    }
    counts.into_iter().map(|c| T::from_f64(c as f64)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonzero_walks_logical_order_of_strided_views() {
        // A transposed 2x3 (shape [3, 2]).
        let data = [0.0f64, 1.0, 0.0, 2.0, 0.0, 3.0];
        let layout = Layout { shape: vec![3, 2], strides: vec![1, 3], offset: 0 };
        // Logical [[0, 2], [1, 0], [0, 3]].
        assert_eq!(nonzero(&data, &layout), vec![0, 1, 1, 0, 2, 1]);
        let big: Vec<i64> = (0..(crate::cpu::GRAIN as i64 + 3)).map(|i| i % 3).collect();
        let found = nonzero(&big, &Layout::contiguous(&[big.len()]));
        assert_eq!(found.len(), big.iter().filter(|&&v| v != 0).count());
    }

    #[test]
    fn search_sides_and_nan() {
        let lane = [1.0, 2.0, 2.0, 3.0];
        assert_eq!(search_lane(&lane, 2.0, false), 1);
        assert_eq!(search_lane(&lane, 2.0, true), 3);
        assert_eq!(search_lane(&lane, 0.0, true), 0);
        assert_eq!(search_lane(&lane, 9.0, false), 4);
        // PyTorch's results with a NaN boundary: [5, 5, 1] (left) and [5, 5, 5] (right).
        let lane = [1.0, 2.0, 2.0, 3.0, f64::NAN];
        let got = |right| [f64::NAN, 3.0, 2.0].map(|v| search_lane(&lane, v, right));
        assert_eq!(got(false), [5, 5, 1]);
        assert_eq!(got(true), [5, 5, 5]);
    }

    #[test]
    fn bincount_and_histc() {
        assert_eq!(bincount(&[0, 2, 2], None, 5), vec![1.0, 0.0, 2.0, 0.0, 0.0]);
        assert_eq!(bincount(&[1, 1], Some(&[0.5, 2.0]), 0), vec![0.0, 2.5]);
        assert_eq!(histc(&[0.0f32, 1.0, 2.0, 3.0, 5.0], 3, 0.0, 3.0), vec![1.0, 1.0, 2.0]);
    }
}
