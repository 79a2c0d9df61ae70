//! Ordering kernels along one dim: sort, topk, kthvalue and median. NaN orders above every number
//! (PyTorch's sort and topk put it last ascending, first descending) and `-0.0 == 0.0`. Lanes
//! (the elements along the dim for one position of the others) are independent: they are
//! gathered dim-innermost, cut into blocks of about `GRAIN` elements and handed to
//! `split::for_pieces`, each lane computed whole by one call, so results never depend on threads.

use std::cmp::Ordering;

use super::reduce::reduced_innermost;
use super::GRAIN;
use crate::tensor::{recycle, Element, Layout};

/// Ascending order with NaN above everything (two NaNs are equal).
#[inline]
pub fn cmp_nan_last<T: Element>(a: &T, b: &T) -> Ordering {
    #[allow(clippy::eq_op)]
    match (a != a, b != b) {
        (false, false) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
    }
}

/// True for NaN (never for integers and bools).
#[inline]
#[allow(clippy::eq_op)]
fn is_nan<T: Element>(v: T) -> bool {
    v != v
}

/// The elements of `layout` with `dim` innermost: (values, number of lanes, lane length).
/// A 0-d layout is one lane of one element.
pub fn lanes_of<T: Element>(data: &[T], layout: &Layout, dim: usize) -> (Vec<T>, usize, usize) {
    let mut reduce = vec![false; layout.ndim()];
    if let Some(r) = reduce.get_mut(dim) {
        *r = true;
    }
    reduced_innermost(data, layout, &reduce)
}

/// The layout's elements as a borrowed slice when they already lie dim-innermost (contiguous,
/// and `dim` the last dim or the only one longer than 1 after it): (values, lanes, lane length).
fn innermost_slice<'a, T: Element>(data: &'a [T], layout: &Layout, dim: usize) -> Option<(&'a [T], usize, usize)> {
    if !layout.is_contiguous() {
        return None;
    }
    let n = layout.numel();
    let len = layout.shape.get(dim).copied().unwrap_or(1);
    if layout.shape.iter().skip(dim + 1).any(|&s| s != 1) {
        return None;
    }
    Some((&data[layout.offset..layout.offset + n], n / len.max(1), len))
}

/// Lanes laid out dim-innermost (`shape` with `dim` moved last) back in `shape`'s logical order.
pub fn restore_order<T: Element>(lanes: Vec<T>, shape: &[usize], dim: usize) -> Vec<T> {
    let ndim = shape.len();
    if ndim == 0 || dim == ndim - 1 || lanes.is_empty() {
        return lanes;
    }
    let mut strides = vec![0; ndim];
    strides[dim] = 1;
    let mut step = shape[dim];
    for d in (0..ndim).rev().filter(|&d| d != dim) {
        strides[d] = step;
        step *= shape[d];
    }
    Layout { shape: shape.to_vec(), strides, offset: 0 }.gather(&lanes)
}

/// Runs `f(lane, values, indices, scratch)` over every lane along `dim`; each output lane holds
/// `out_len` values and int64 indices. Returns both in the logical order of the output shape
/// (`layout.shape` with `out_len` at `dim`). Lanes run in parallel blocks above [`GRAIN`].
pub fn map_lanes_indexed<T: Element>(
    data: &[T],
    layout: &Layout,
    dim: usize,
    out_len: usize,
    f: impl Fn(&[T], &mut [T], &mut [i64], &mut Vec<(T, i64)>) + Sync + Send,
) -> (Vec<T>, Vec<i64>) {
    let gathered;
    let (values, lanes, len) = match innermost_slice(data, layout, dim) {
        Some(found) => found,
        None => {
            gathered = lanes_of(data, layout, dim);
            (&gathered.0[..], gathered.1, gathered.2)
        }
    };
    // Recycled buffers: a fresh multi-megabyte vec page-faults on every page it touches.
    let mut out_v = recycle::filled_vec(lanes * out_len, T::default());
    let mut out_i = recycle::filled_vec(lanes * out_len, 0i64);
    if lanes > 0 && out_len > 0 {
        let per_piece = (GRAIN / len.max(1)).max(1);
        let run = |(v, o, i): (&[T], &mut [T], &mut [i64])| {
            let mut scratch = Vec::with_capacity(len);
            for ((lane, o), i) in v.chunks(len).zip(o.chunks_mut(out_len)).zip(i.chunks_mut(out_len)) {
                f(lane, o, i, &mut scratch);
            }
        };
        let pieces = values
            .chunks(per_piece * len)
            .zip(out_v.chunks_mut(per_piece * out_len))
            .zip(out_i.chunks_mut(per_piece * out_len))
            .map(|((v, o), i)| (v, o, i));
        if lanes > 1 && super::parallel(values.len()) {
            super::split::for_pieces(pieces.collect(), run);
        } else {
            pieces.for_each(run);
        }
    }
    let mut shape = layout.shape.clone();
    if let Some(s) = shape.get_mut(dim) {
        *s = out_len;
    }
    (restore_order(out_v, &shape, dim), restore_order(out_i, &shape, dim))
}

/// Fills `scratch` with the lane's (value, index) pairs.
fn pairs<T: Element>(lane: &[T], scratch: &mut Vec<(T, i64)>) {
    scratch.clear();
    scratch.extend(lane.iter().enumerate().map(|(i, &v)| (v, i as i64)));
}

/// Writes pairs out as values and indices.
fn write<T: Element>(from: &[(T, i64)], values: &mut [T], indices: &mut [i64]) {
    for ((&(v, i), o), oi) in from.iter().zip(values.iter_mut()).zip(indices.iter_mut()) {
        *o = v;
        *oi = i;
    }
}

/// Sorts one lane stably (equal elements keep their order, in both directions): NaNs are set
/// apart first, so the comparison of the rest is a plain `<`.
pub fn sort_lane<T: Element>(lane: &[T], values: &mut [T], indices: &mut [i64], scratch: &mut Vec<(T, i64)>, descending: bool) {
    pairs(lane, scratch);
    let nans = if T::DTYPE.is_float() { stable_partition_nan(scratch, descending) } else { 0 };
    let n = scratch.len();
    let numbers = if descending { &mut scratch[nans..] } else { &mut scratch[..n - nans] };
    if descending {
        numbers.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(Ordering::Equal));
    } else {
        numbers.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal));
    }
    write(scratch, values, indices);
}

/// Moves the NaN pairs to the end (`front`: to the start), keeping both groups in order; returns
/// how many there are.
fn stable_partition_nan<T: Element>(pairs: &mut Vec<(T, i64)>, front: bool) -> usize {
    let count = pairs.iter().filter(|p| is_nan(p.0)).count();
    if count == 0 {
        return 0;
    }
    let numbers: Vec<(T, i64)> = pairs.iter().copied().filter(|p| !is_nan(p.0)).collect();
    let nans: Vec<(T, i64)> = pairs.iter().copied().filter(|p| is_nan(p.0)).collect();
    pairs.clear();
    if front {
        pairs.extend(nans);
        pairs.extend(numbers);
    } else {
        pairs.extend(numbers);
        pairs.extend(nans);
    }
    count
}

/// The `k` largest (`largest`) or smallest elements of one lane, in order when `sorted`, with
/// PyTorch's CPU algorithm (`TopKImpl.h`), so that tied values come out with the same indices:
/// libstdc++'s `partial_sort` when `k * 64 <= n`, else `nth_element` at `k - 1` and, when
/// sorted, `sort` of the first `k - 1`; the comparison puts NaN above every number.
pub fn topk_lane<T: Element>(lane: &[T], values: &mut [T], indices: &mut [i64], scratch: &mut Vec<(T, i64)>, k: usize, largest: bool, sorted: bool) {
    if k == 0 {
        return;
    }
    pairs(lane, scratch);
    if largest {
        topk_select(scratch, k, sorted, &|a: &(T, i64), b: &(T, i64)| (is_nan(a.0) && !is_nan(b.0)) || a.0 > b.0);
    } else {
        topk_select(scratch, k, sorted, &|a: &(T, i64), b: &(T, i64)| (!is_nan(a.0) && is_nan(b.0)) || a.0 < b.0);
    }
    write(&scratch[..k], values, indices);
}

fn topk_select<P: Copy>(queue: &mut [P], k: usize, sorted: bool, less: &impl Fn(&P, &P) -> bool) {
    if k * 64 <= queue.len() {
        super::stl_sort::partial_sort(queue, k, less);
    } else {
        super::stl_sort::nth_element(queue, k - 1, less);
        if sorted {
            super::stl_sort::sort(&mut queue[..k - 1], less);
        }
    }
}

/// The `k`-th smallest element of one lane (1-based; NaN counts as the largest) and its index.
pub fn kth_lane<T: Element>(lane: &[T], scratch: &mut Vec<(T, i64)>, k: usize) -> (T, i64) {
    pairs(lane, scratch);
    let (_, nth, _) = scratch.select_nth_unstable_by(k - 1, |a, b| cmp_nan_last(&a.0, &b.0));
    *nth
}

/// The lower median of one lane and its index; a lane holding NaN gives its first NaN.
pub fn median_lane<T: Element>(lane: &[T], scratch: &mut Vec<(T, i64)>) -> (T, i64) {
    if let Some(i) = lane.iter().position(|&v| is_nan(v)) {
        return (lane[i], i as i64);
    }
    kth_lane(lane, scratch, (lane.len() - 1) / 2 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::split::with_forced_split;

    fn sort_all(v: &[f64], shape: &[usize], dim: usize, descending: bool) -> (Vec<f64>, Vec<i64>) {
        let layout = Layout::contiguous(shape);
        map_lanes_indexed(v, &layout, dim, shape[dim], |l, o, i, s| sort_lane(l, o, i, s, descending))
    }

    #[test]
    fn sort_is_stable_with_nan_last_and_signed_zeros_equal() {
        let v = [3.0, f64::NAN, 1.0, -0.0, 0.0, 1.0, f64::NAN, -2.0];
        let (vals, idx) = sort_all(&v, &[8], 0, false);
        assert_eq!(idx, vec![7, 3, 4, 2, 5, 0, 1, 6]);
        assert!(vals[6].is_nan() && vals[7].is_nan());
        let (_, idx) = sort_all(&v, &[8], 0, true);
        assert_eq!(idx, vec![1, 6, 0, 2, 5, 3, 4, 7]);
    }

    #[test]
    fn lanes_along_a_middle_dim_come_back_in_place() {
        // shape [2, 3, 2], sort along dim 1
        let v: Vec<f64> = vec![5., 0., 1., 9., 3., 4., 2., 2., 8., 1., 2., 7.];
        let (vals, idx) = sort_all(&v, &[2, 3, 2], 1, false);
        assert_eq!(vals, vec![1., 0., 3., 4., 5., 9., 2., 1., 2., 2., 8., 7.]);
        assert_eq!(idx, vec![1, 0, 2, 2, 0, 1, 0, 1, 2, 0, 1, 2]);
        // A transposed layout sorts as its contiguous copy.
        let t = Layout { shape: vec![2, 3], strides: vec![1, 2], offset: 0 };
        let w = [4.0, 1.0, 0.0, 5.0, 2.0, 2.0];
        let (vals, idx) = map_lanes_indexed(&w, &t, 1, 3, |l, o, i, s| sort_lane(l, o, i, s, false));
        assert_eq!(vals, vec![0.0, 2.0, 4.0, 1.0, 2.0, 5.0]);
        assert_eq!(idx, vec![1, 2, 0, 0, 2, 1]);
    }

    #[test]
    fn topk_kth_and_median_select_like_a_full_sort() {
        let lane: Vec<i64> = vec![5, 3, 9, 1, 3, 7, 0];
        let mut s = Vec::new();
        let (mut o, mut i) = (vec![0; 3], vec![0; 3]);
        topk_lane(&lane, &mut o, &mut i, &mut s, 3, true, true);
        assert_eq!(o, vec![9, 7, 5]);
        assert_eq!(i, vec![2, 5, 0]);
        topk_lane(&lane, &mut o, &mut i, &mut s, 3, false, true);
        assert_eq!(o, vec![0, 1, 3]);
        for k in 1..=lane.len() {
            let mut sorted = lane.clone();
            sorted.sort();
            let (v, at) = kth_lane(&lane, &mut s, k);
            assert_eq!(v, sorted[k - 1]);
            assert_eq!(lane[at as usize], v);
        }
        assert_eq!(median_lane(&lane, &mut s).0, 3);
        assert_eq!(median_lane(&[4i64, 1, 2, 3], &mut s), (2, 2));
        let (v, at) = median_lane(&[1.0, f64::NAN, 2.0, f64::NAN], &mut Vec::new());
        assert!(v.is_nan() && at == 1);
        let (v, at) = topk_first(&[1.0, f64::NAN, 2.0]);
        assert!(v.is_nan() && at == 1);
    }

    fn topk_first(lane: &[f64]) -> (f64, i64) {
        let (mut o, mut i) = (vec![0.0; 1], vec![0; 1]);
        topk_lane(lane, &mut o, &mut i, &mut Vec::new(), 1, true, true);
        (o[0], i[0])
    }

    #[test]
    fn topk_ties_come_out_as_pytorch_orders_them() {
        // torch.tensor([1., 3., 3., 3., 2., 3.]).topk(2) -> indices [3, 5] (nth_element path)
        let lane = [1.0f32, 3.0, 3.0, 3.0, 2.0, 3.0];
        let (mut o, mut i) = (vec![0.0; 2], vec![0; 2]);
        topk_lane(&lane, &mut o, &mut i, &mut Vec::new(), 2, true, true);
        assert_eq!((o, i), (vec![3.0, 3.0], vec![3, 5]));
        // partial_sort path (k * 64 <= n): 128 equal values, k = 2 -> torch gives [0, 1]
        let lane = vec![7i64; 128];
        let (mut o, mut i) = (vec![0; 2], vec![0; 2]);
        topk_lane(&lane, &mut o, &mut i, &mut Vec::new(), 2, true, true);
        assert_eq!(i, vec![0, 1]);
    }

    #[test]
    fn parallel_lanes_match_one_thread_around_the_grain() {
        for (lanes, len) in [(3, GRAIN / 2 + 1), (GRAIN / 7 + 3, 7), (5, 1), (GRAIN + 1, 1)] {
            let v: Vec<f64> = (0..lanes * len).map(|i| ((i * 7919) % 101) as f64).collect();
            let one = sort_all(&v, &[lanes, len], 1, false);
            let many = with_forced_split(2, || sort_all(&v, &[lanes, len], 1, false));
            assert_eq!(one, many);
            let many0 = with_forced_split(2, || sort_all(&v, &[lanes, len], 0, true));
            assert_eq!(sort_all(&v, &[lanes, len], 0, true), many0);
            for row in one.0.chunks(len) {
                assert!(row.windows(2).all(|w| w[0] <= w[1]));
            }
        }
    }
}
