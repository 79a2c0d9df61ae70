//! Elementwise kernels: unary maps and broadcasting binary maps. Contiguous operands go to the
//! drivers of [`super::math`] (AVX2 when the CPU has it, rayon above [`GRAIN`](super::GRAIN),
//! results in recycled buffers).

#[cfg(test)]
use super::GRAIN;
use super::math;
use crate::tensor::recycle::uninit_vec;
use crate::tensor::{Element, Layout};

/// Applies `f` to every element of `a` (seen through `layout`), in logical order.
pub fn unary<T: Element, U: Element>(a: &[T], layout: &Layout, f: impl Fn(T) -> U + Sync + Send) -> Vec<U> {
    let n = layout.numel();
    if layout.is_contiguous() {
        return math::map(&a[layout.offset..layout.offset + n], f);
    }
    let mut out = uninit_vec(n);
    layout.for_each_offset(|o| out.push(f(a[o])));
    out
}

/// Applies `f` pairwise to `a` and `b` broadcast to `out_shape` (both layouts must broadcast to it).
pub fn binary<T: Element, U: Element>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    out_shape: &[usize],
    f: impl Fn(T, T) -> U + Sync + Send,
) -> Vec<U> {
    let n: usize = out_shape.iter().product();
    let a_full = la.shape == out_shape && la.is_contiguous();
    let b_full = lb.shape == out_shape && lb.is_contiguous();
    if a_full && b_full {
        return math::zip_map(&a[la.offset..la.offset + n], &b[lb.offset..lb.offset + n], f);
    }
    // One side a single value (a Python scalar, a 0-d tensor, or one value expanded with stride 0
    // such as the gradient of sum()): map the other side.
    if a_full && (lb.numel() == 1 || is_single_value(lb)) {
        let y = b[lb.offset];
        return unary(a, la, |x| f(x, y));
    }
    if b_full && (la.numel() == 1 || is_single_value(la)) {
        let x = a[la.offset];
        return unary(b, lb, |y| f(x, y));
    }
    // One side a contiguous row repeated over the leading dims (a bias added to a batch).
    if a_full && is_trailing_row(lb, out_shape) {
        let r = lb.numel();
        return math::zip_map_rows(&a[la.offset..la.offset + n], &b[lb.offset..lb.offset + r], f);
    }
    if b_full && is_trailing_row(la, out_shape) {
        let r = la.numel();
        return math::zip_map_rows(&b[lb.offset..lb.offset + n], &a[la.offset..la.offset + r], |y, x| f(x, y));
    }
    let la = la.broadcast_to(out_shape).expect("operands broadcast to the output shape");
    let lb = lb.broadcast_to(out_shape).expect("operands broadcast to the output shape");
    let mut out = uninit_vec(n);
    for_each_offset_pair(&la, &lb, |oa, ob| out.push(f(a[oa], b[ob])));
    out
}

/// True when `l` is contiguous, non-empty, and its shape without leading 1s is a proper suffix of
/// `out_shape` (so it repeats whole over the leading dims of the output).
fn is_trailing_row(l: &Layout, out_shape: &[usize]) -> bool {
    let first = l.shape.iter().position(|&s| s != 1).unwrap_or(l.shape.len());
    let row = &l.shape[first..];
    !row.is_empty() && row.len() < out_shape.len() && out_shape.ends_with(row) && l.numel() > 0 && l.is_contiguous()
}

/// True when every element of a non-empty layout is one storage element (all strides 0).
fn is_single_value(l: &Layout) -> bool {
    l.numel() > 0 && l.strides.iter().all(|&s| s == 0)
}

/// Calls `f` with the storage offsets of the same logical element in two layouts of one shape.
pub fn for_each_offset_pair(la: &Layout, lb: &Layout, mut f: impl FnMut(usize, usize)) {
    debug_assert_eq!(la.shape, lb.shape);
    let n = la.numel();
    if n == 0 {
        return;
    }
    let ndim = la.ndim();
    if ndim == 0 {
        f(la.offset, lb.offset);
        return;
    }
    let inner = la.shape[ndim - 1];
    let (sa, sb) = (la.strides[ndim - 1], lb.strides[ndim - 1]);
    let mut index = vec![0usize; ndim - 1];
    let (mut base_a, mut base_b) = (la.offset, lb.offset);
    loop {
        let (mut oa, mut ob) = (base_a, base_b);
        for _ in 0..inner {
            f(oa, ob);
            oa += sa;
            ob += sb;
        }
        let mut d = ndim - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            index[d] += 1;
            base_a += la.strides[d];
            base_b += lb.strides[d];
            if index[d] < la.shape[d] {
                break;
            }
            base_a -= la.strides[d] * la.shape[d];
            base_b -= lb.strides[d] * lb.shape[d];
            index[d] = 0;
        }
    }
}

/// Writes `values` (in logical order) into the elements of `dst` that `layout` addresses.
pub fn scatter_into<T: Element>(dst: &mut [T], layout: &Layout, values: &[T]) {
    if values.is_empty() {
        // An empty view may sit past the end of an empty buffer (a zero-size piece of `cat`).
        return;
    }
    if layout.is_contiguous() {
        dst[layout.offset..layout.offset + values.len()].copy_from_slice(values);
        return;
    }
    let mut i = 0;
    layout.for_each_offset(|o| {
        dst[o] = values[i];
        i += 1;
    });
}

/// The storage range `[offset, offset + numel)` when `layout` addresses exactly those elements
/// once each (contiguous, or a permutation of a contiguous layout such as a transpose): an
/// elementwise write may then run over the range in storage order.
pub fn dense_span(layout: &Layout) -> Option<std::ops::Range<usize>> {
    let mut dims: Vec<(usize, usize)> = layout.strides.iter().copied().zip(layout.shape.iter().copied()).filter(|&(_, n)| n != 1).collect();
    dims.sort_unstable();
    let mut expected = 1;
    for (stride, n) in dims {
        if stride != expected {
            return None;
        }
        expected *= n;
    }
    Some(layout.offset..layout.offset + layout.numel())
}

/// `dst[o] = f(dst[o])` for every element `layout` addresses (in place; the layout must not
/// address one element twice): vectorised over the storage range when dense.
pub fn unary_in_place<T: Element>(dst: &mut [T], layout: &Layout, f: impl Fn(T) -> T + Sync + Send) {
    if layout.numel() == 0 {
        return;
    }
    match dense_span(layout) {
        Some(span) => math::map_in_place(&mut dst[span], f),
        None => layout.for_each_offset(|o| dst[o] = f(dst[o])),
    }
}

/// [`unary_in_place`] for a `f` that returns its argument unchanged in one branch (`relu`): see
/// [`math::map_in_place_select`].
pub fn select_in_place<T: Element>(dst: &mut [T], layout: &Layout, f: impl Fn(T) -> T + Sync + Send) {
    match dense_span(layout) {
        Some(span) => math::map_in_place_select(&mut dst[span], f),
        None => layout.for_each_offset(|o| dst[o] = f(dst[o])),
    }
}

/// `dst[o] = f(dst[o], b[ob])` for every element `ld` addresses, `b` (layout `lb`) broadcast to
/// `ld`'s shape. `dst` and `b` are different buffers (the caller copies an operand that shares the
/// target's memory).
pub fn binary_in_place<T: Element>(dst: &mut [T], ld: &Layout, b: &[T], lb: &Layout, f: impl Fn(T, T) -> T + Sync + Send) {
    let n = ld.numel();
    if n == 0 {
        return;
    }
    if lb.numel() == 1 || is_single_value(lb) {
        let y = b[lb.offset];
        return unary_in_place(dst, ld, |x| f(x, y));
    }
    let span = dense_span(ld);
    if let Some(span) = &span {
        // The same dense layout on both sides: element k of one range pairs with element k of the
        // other (a transposed target with a transposed operand, or both contiguous).
        if lb.shape == ld.shape && lb.strides == ld.strides {
            return math::zip_in_place(&mut dst[span.clone()], &b[lb.offset..lb.offset + n], f);
        }
        if ld.is_contiguous() && is_trailing_row(lb, &ld.shape) {
            return math::zip_rows_in_place(&mut dst[span.clone()], &b[lb.offset..lb.offset + lb.numel()], f);
        }
    }
    let lb = lb.broadcast_to(&ld.shape).expect("the operand broadcasts to the target's shape");
    for_each_offset_pair(ld, &lb, |od, ob| dst[od] = f(dst[od], b[ob]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_broadcasts_a_row_over_a_matrix() {
        let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [10.0f32, 20.0, 30.0];
        let out = binary(&a, &Layout::contiguous(&[2, 3]), &b, &Layout::contiguous(&[3]), &[2, 3], |x, y| x + y);
        assert_eq!(out, vec![11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
    }

    #[test]
    fn binary_broadcasts_a_row_from_either_side_and_keeps_operand_order() {
        for &(rows, cols) in &[(1, 1), (2, 3), (7, 17), (GRAIN / 16 + 3, 16)] {
            let m: Vec<f64> = (0..rows * cols).map(|i| i as f64).collect();
            let row: Vec<f64> = (0..cols).map(|j| 1.0 + j as f64 * 0.5).collect();
            let (lm, lr) = (Layout::contiguous(&[rows, cols]), Layout::contiguous(&[1, cols]));
            let want = |i: usize| m[i] - row[i % cols];
            let out = binary(&m, &lm, &row, &lr, &[rows, cols], |x, y| x - y);
            assert!(out.iter().enumerate().all(|(i, &v)| v == want(i)));
            let out = binary(&row, &Layout::contiguous(&[cols]), &m, &lm, &[rows, cols], |x, y| y - x);
            assert!(out.iter().enumerate().all(|(i, &v)| v == want(i)));
        }
        // A 3-d batch with a 2-d trailing block.
        let m: Vec<i64> = (0..24).collect();
        let blk: Vec<i64> = (0..12).map(|i| 100 * i).collect();
        let out = binary(&m, &Layout::contiguous(&[2, 3, 4]), &blk, &Layout::contiguous(&[3, 4]), &[2, 3, 4], |x, y| x + y);
        assert!(out.iter().enumerate().all(|(i, &v)| v == i as i64 + 100 * (i as i64 % 12)));
    }

    #[test]
    fn binary_handles_a_column_times_a_row() {
        let col = [1i64, 2];
        let row = [10i64, 20, 30];
        let out = binary(&col, &Layout::contiguous(&[2, 1]), &row, &Layout::contiguous(&[1, 3]), &[2, 3], |x, y| x * y);
        assert_eq!(out, vec![10, 20, 30, 20, 40, 60]);
    }

    #[test]
    fn parallel_and_serial_paths_agree_around_the_grain() {
        for n in [GRAIN - 1, GRAIN, GRAIN + 7] {
            let a: Vec<f64> = (0..n).map(|i| i as f64).collect();
            let b: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
            let l = Layout::contiguous(&[n]);
            let out = binary(&a, &l, &b, &l, &[n], |x, y| x * 2.0 - y);
            assert!(out.iter().enumerate().all(|(i, &v)| v == 2.0 * i as f64 - (i % 7) as f64));
        }
    }

    #[test]
    fn dense_span_accepts_permutations_and_refuses_gaps_and_repeats() {
        let t = Layout { shape: vec![3, 4], strides: vec![1, 3], offset: 2 };
        assert_eq!(dense_span(&t), Some(2..14));
        assert_eq!(dense_span(&Layout::contiguous(&[2, 1, 5])), Some(0..10));
        assert_eq!(dense_span(&Layout { shape: vec![3, 2], strides: vec![4, 1], offset: 0 }), None); // a column slice
        assert_eq!(dense_span(&Layout { shape: vec![3, 2], strides: vec![0, 1], offset: 0 }), None); // expanded
        assert_eq!(dense_span(&Layout { shape: vec![4], strides: vec![2], offset: 1 }), None); // step 2
    }

    /// `binary_in_place` against the allocating `binary` followed by a scatter, over target and
    /// operand layouts that take each path.
    #[test]
    fn in_place_binary_matches_compute_then_scatter() {
        let f = |x: f64, y: f64| x * 3.0 - y;
        let storage: Vec<f64> = (0..(GRAIN + 40)).map(|i| (i as f64 * 0.7).sin()).collect();
        let operand: Vec<f64> = (0..(GRAIN + 40)).map(|i| i as f64 * 0.25 - 7.0).collect();
        let r = GRAIN / 32 + 1; // rows of 32: above the grain in total
        let cases: Vec<(Layout, Layout)> = vec![
            (Layout::contiguous(&[7, 5]), Layout::contiguous(&[7, 5])),
            (Layout::contiguous(&[r, 32]), Layout::contiguous(&[r, 32])),
            (Layout::contiguous(&[r, 32]), Layout::contiguous(&[32])),
            (Layout::contiguous(&[r, 32]), Layout { shape: vec![r, 1], strides: vec![1, 1], offset: 3 }),
            (Layout { shape: vec![5, 7], strides: vec![1, 5], offset: 1 }, Layout { shape: vec![5, 7], strides: vec![1, 5], offset: 0 }),
            (Layout { shape: vec![5, 7], strides: vec![1, 5], offset: 1 }, Layout::contiguous(&[5, 7])),
            (Layout { shape: vec![6, 3], strides: vec![5, 1], offset: 2 }, Layout::contiguous(&[3])),
            (Layout { shape: vec![4, 4], strides: vec![4, 1], offset: 0 }, Layout { shape: vec![], strides: vec![], offset: 9 }),
            (Layout { shape: vec![32, 33], strides: vec![1, 32], offset: 0 }, Layout { shape: vec![32, 33], strides: vec![0, 0], offset: 4 }),
        ];
        for (ld, lb) in cases {
            let mut got = storage.clone();
            binary_in_place(&mut got, &ld, &operand, &lb, f);
            let mut want = storage.clone();
            let values = binary(&storage, &ld, &operand, &lb, &ld.shape, f);
            scatter_into(&mut want, &ld, &values);
            assert_eq!(got, want, "{ld:?} <- {lb:?}");
            let mut got = storage.clone();
            unary_in_place(&mut got, &ld, |x| x - 1.0);
            let mut want = storage.clone();
            scatter_into(&mut want, &ld, &unary(&storage, &ld, |x| x - 1.0));
            assert_eq!(got, want, "{ld:?}");
        }
    }

    #[test]
    fn unary_reads_strided_input_in_logical_order() {
        let t = Layout { shape: vec![2, 2], strides: vec![1, 2], offset: 0 };
        assert_eq!(unary(&[1.0f32, 2.0, 3.0, 4.0], &t, |x| x * 10.0), vec![10.0, 30.0, 20.0, 40.0]);
    }
}
