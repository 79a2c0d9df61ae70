//! Float reductions over whole tensors or dims without gathering when the input is contiguous:
//! a reduction either runs along contiguous rows (`x[o, :]`, the reduced dims innermost) or down
//! columns (`x[o, :, k]`, reduced dims followed by kept ones: vector adds across rows, never
//! strided loads). Other layouts are gathered into rows first.
//!
//! Determinism: a row is cut into [`CHUNK`]-element leaves whatever the thread count, and the
//! leaves are combined by a pairwise tree in index order ([`tree`]); columns are summed row by row
//! in a fixed order inside fixed-width column blocks. Threads only choose who computes which leaf,
//! row or block, so results are bit-identical on 1 or N threads.

use std::borrow::Cow;

use super::reduce::reduced_innermost;
use super::reduce_simd::{self as k, Float, CHUNK};
use super::GRAIN;
use crate::tensor::Layout;

/// How a contiguous input meets the reduced dims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// `outer` rows of `inner` contiguous reduced elements.
    #[allow(missing_docs)]
    Rows { outer: usize, inner: usize },
    /// `[outer, red, inner]`: reduce the middle dim, the `inner` kept elements are contiguous.
    #[allow(missing_docs)]
    Cols { outer: usize, red: usize, inner: usize },
}

/// The plan of reducing the flagged dims of a contiguous layout (None: gather first). Size-1
/// dims are dropped and neighbouring dims with the same flag merged. A dense non-contiguous
/// layout (a permutation of a contiguous block, e.g. a transpose) is planned in memory order,
/// when its kept dims keep their logical order (so the output order is right): its reduced runs
/// then visit their elements in memory order, which only changes the rounding of a sum.
pub fn plan(layout: &Layout, reduce: &[bool]) -> Option<Plan> {
    plan_with(layout, reduce, false)
}

/// [`plan`]; `strict`: the reduced dims must keep their logical order too (reductions that
/// return positions inside the run, or pick the first of equal values).
fn plan_with(layout: &Layout, reduce: &[bool], strict: bool) -> Option<Plan> {
    let mut dims: Vec<usize> = (0..layout.ndim()).filter(|&d| layout.shape[d] != 1).collect();
    if !layout.is_contiguous() {
        // Memory order: largest stride first (stable, so equal strides keep logical order).
        dims.sort_by(|&a, &b| layout.strides[b].cmp(&layout.strides[a]));
        let mut expected = 1;
        for &d in dims.iter().rev() {
            if layout.strides[d] != expected {
                return None;
            }
            expected *= layout.shape[d];
        }
        let in_order = |flag: bool| dims.iter().filter(|&&d| reduce[d] == flag).collect::<Vec<_>>().windows(2).all(|w| w[0] < w[1]);
        if !in_order(false) || (strict && !in_order(true)) {
            return None;
        }
    }
    let mut groups: Vec<(bool, usize)> = Vec::new();
    for &d in &dims {
        let (size, r) = (layout.shape[d], reduce[d]);
        match groups.last_mut() {
            Some((flag, n)) if *flag == r => *n *= size,
            _ => groups.push((r, size)),
        }
    }
    match groups.as_slice() {
        [] => Some(Plan::Rows { outer: 1, inner: 1 }),
        [(true, n)] => Some(Plan::Rows { outer: 1, inner: *n }),
        [(false, n)] => Some(Plan::Rows { outer: *n, inner: 1 }),
        [(false, o), (true, n)] => Some(Plan::Rows { outer: *o, inner: *n }),
        [(true, r), (false, n)] => Some(Plan::Cols { outer: 1, red: *r, inner: *n }),
        [(false, o), (true, r), (false, n)] => Some(Plan::Cols { outer: *o, red: *r, inner: *n }),
        _ => None,
    }
}

/// Combines `parts` pairwise in index order: ((p0 p1) (p2 p3)) ..., an odd last part carried up.
pub fn tree<A>(mut parts: Vec<A>, combine: &impl Fn(A, A) -> A) -> A {
    while parts.len() > 1 {
        let mut next = Vec::with_capacity(parts.len().div_ceil(2));
        let mut it = parts.into_iter();
        while let Some(a) = it.next() {
            next.push(match it.next() {
                Some(b) => combine(a, b),
                None => a,
            });
        }
        parts = next;
    }
    parts.pop().expect("a non-empty list of parts")
}

/// Reduces one row: `leaf(offset, piece)` on each [`CHUNK`] piece, combined by [`tree`].
#[inline(always)]
fn row<T, A>(x: &[T], leaf: &impl Fn(usize, &[T]) -> A, combine: &impl Fn(A, A) -> A) -> A {
    if x.len() <= CHUNK {
        return leaf(0, x);
    }
    tree(x.chunks(CHUNK).enumerate().map(|(i, c)| leaf(i * CHUNK, c)).collect(), combine)
}

/// Leaves of one row handed to the pool together (a power of two).
const LEAVES_PER_PIECE: usize = 8;

/// [`row`] of one long row, its leaves split over the pool in aligned pieces of
/// [`LEAVES_PER_PIECE`]: the pairwise tree of each piece is exactly the subtree that `row`'s tree
/// builds over those leaves, so the result is bit-identical, with 8x fewer pieces to hand out
/// than one per leaf (on 4M floats 512 pieces cost about a tenth of a 2-thread amax).
fn row_in_pieces<T: Sync, A: Send>(x: &[T], leaf: &(impl Fn(usize, &[T]) -> A + Sync), combine: &(impl Fn(A, A) -> A + Sync)) -> A {
    let span = CHUNK * LEAVES_PER_PIECE;
    let parts: Vec<A> = super::split::map_pieces(x.chunks(span).enumerate().collect(), |(p, piece)| {
        tree(piece.chunks(CHUNK).enumerate().map(|(i, c)| leaf(p * span + i * CHUNK, c)).collect(), combine)
    });
    tree(parts, combine)
}

/// Reduces each of the `outer` rows of `inner` elements of `x` (`inner > 0`), in parallel above
/// [`GRAIN`] (leaves of one long row, or blocks of rows), with AVX2 when available.
pub fn rows<T: Sync, A: Send>(
    x: &[T],
    outer: usize,
    inner: usize,
    leaf: impl Fn(usize, &[T]) -> A + Sync,
    combine: impl Fn(A, A) -> A + Sync,
) -> Vec<A> {
    debug_assert!(inner > 0 && x.len() == outer * inner);
    if !super::parallel(x.len()) {
        return x.chunks(inner).map(|r| row(r, &leaf, &combine)).collect();
    }
    if outer == 1 {
        return vec![row_in_pieces(x, &leaf, &combine)];
    }
    let per_task = (GRAIN / inner).max(1);
    let blocks: Vec<Vec<A>> = super::split::map_pieces(x.chunks(per_task * inner).collect(), |b| b.chunks(inner).map(|r| row(r, &leaf, &combine)).collect());
    blocks.into_iter().flatten().collect()
}

/// Column blocks of the column-sum (floats: 1 KiB of float32 accumulators).
const COL_BLOCK: usize = 256;
/// Rows summed into a partial before it joins the running total (bounds the error growth).
const ROW_GROUP: usize = 64;

/// Most columns of one block of the column sum: its partial and total (8 KiB each) stay in L1.
const SUM_COL_BYTES: usize = 8192;

/// Width of the column blocks of [`sum_cols`] over `n` elements with `inner` columns: whole rows
/// up to [`SUM_COL_BYTES`] on one thread (each block then streams through memory once, row after
/// row, instead of reading a 1 KiB piece of every row per block); when the pool may split the
/// work, about four blocks per thread (at least [`COL_BLOCK`] columns). Only the blocking
/// depends on this: every column is summed in the same order whatever the width.
fn sum_col_width<T>(n: usize, inner: usize) -> usize {
    let widest = SUM_COL_BYTES / std::mem::size_of::<T>();
    let w = if super::parallel(n) { inner.div_ceil(4 * super::threads()).div_ceil(16) * 16 } else { inner };
    w.clamp(COL_BLOCK, widest).min(inner.max(1))
}

/// Sums `[outer, red, inner]` over the middle dim: row-by-row vector adds inside column blocks.
/// Order per output: groups of [`ROW_GROUP`] rows summed in order, group sums added in order.
pub fn sum_cols<T: Float>(x: &[T], outer: usize, red: usize, inner: usize) -> Vec<T> {
    let cw = sum_col_width::<T>(x.len(), inner);
    let blocks_per = inner.div_ceil(cw);
    let block = |b: usize| -> Vec<T> {
        let (o, kb) = (b / blocks_per, (b % blocks_per) * cw);
        let width = cw.min(inner - kb);
        let base = &x[o * red * inner..(o + 1) * red * inner];
        let mut total = vec![T::zero(); width];
        k::col_sum(base, red, inner, kb, &mut total, ROW_GROUP);
        total
    };
    let n = outer * blocks_per;
    let parts: Vec<Vec<T>> = if super::parallel(x.len()) && n > 1 {
        super::split::map_pieces((0..n).collect(), block)
    } else {
        (0..n).map(block).collect()
    };
    // Block b holds columns [kb, kb + width) of output row o: concatenation is the output order.
    parts.into_iter().flatten().collect()
}

/// Applies a row reduction to the flagged dims of any layout: rows in place when contiguous,
/// column sums when `cols` is given and the layout allows, otherwise gathered rows.
fn reduce_with<T: Float, A: Send>(
    data: &[T],
    layout: &Layout,
    reduce: &[bool],
    strict: bool,
    empty: impl Fn() -> A,
    leaf: impl Fn(usize, &[T]) -> A + Sync,
    combine: impl Fn(A, A) -> A + Sync,
) -> Vec<A> {
    let (x, outer, inner) = row_major_with(data, layout, reduce, strict);
    if inner == 0 {
        return (0..outer).map(|_| empty()).collect();
    }
    rows(&x, outer, inner, leaf, combine)
}

/// The flagged dims' runs as `outer` contiguous rows of `inner` elements: borrowed from `data`
/// when the layout allows ([`plan`] gives rows), else gathered (`reduced_innermost`).
pub fn row_major<'a, T: Float>(data: &'a [T], layout: &Layout, reduce: &[bool]) -> (Cow<'a, [T]>, usize, usize) {
    row_major_with(data, layout, reduce, false)
}

/// [`row_major`]; `strict` as in [`plan_with`].
fn row_major_with<'a, T: Float>(data: &'a [T], layout: &Layout, reduce: &[bool], strict: bool) -> (Cow<'a, [T]>, usize, usize) {
    let n = layout.numel();
    match plan_with(layout, reduce, strict) {
        Some(Plan::Rows { outer, inner }) if n > 0 => (Cow::Borrowed(&data[layout.offset..layout.offset + n]), outer, inner),
        _ => {
            let (values, outer, inner) = reduced_innermost(data, layout, reduce);
            (Cow::Owned(values), outer, inner)
        }
    }
}

/// Sum over the flagged dims (all flagged: one value), in the summation order of reduce_simd.
pub fn sum<T: Float>(data: &[T], layout: &Layout, reduce: &[bool]) -> Vec<T> {
    if let Some(Plan::Cols { outer, red, inner }) = plan(layout, reduce) {
        // Narrow column sets are faster as gathered rows.
        if inner >= 16 {
            let n = layout.numel();
            return sum_cols(&data[layout.offset..layout.offset + n], outer, red, inner);
        }
    }
    reduce_with(data, layout, reduce, false, T::zero, |_, c| k::sum(c), |a, b| a + b)
}

/// Product over the flagged dims.
pub fn prod<T: Float>(data: &[T], layout: &Layout, reduce: &[bool]) -> Vec<T> {
    reduce_with(data, layout, reduce, false, <T as num_traits::One>::one, |_, c| k::prod(c), |a, b| a * b)
}

/// True when `b` (found later) replaces `a` as the max (`max`) or min: NaN wins, ties keep `a`.
#[inline(always)]
pub fn better<T: Float>(max: bool, b: T, a: T) -> bool {
    if a.is_nan() {
        return false;
    }
    b.is_nan() || if max { b > a } else { b < a }
}

/// Max (`max`) or min of `[outer, red, inner]` over the middle dim (`red > 0`), with the index
/// of the first extreme when `with_index`: row-by-row vector compares inside column blocks.
pub fn extreme_cols<T: Float>(x: &[T], outer: usize, red: usize, inner: usize, max: bool, with_index: bool) -> (Vec<T>, Vec<u32>) {
    assert!(red > 0 && red <= u32::MAX as usize);
    let blocks_per = inner.div_ceil(COL_BLOCK);
    let block = |b: usize| -> (Vec<T>, Vec<u32>) {
        let (o, kb) = (b / blocks_per, (b % blocks_per) * COL_BLOCK);
        let width = COL_BLOCK.min(inner - kb);
        let base = &x[o * red * inner..(o + 1) * red * inner];
        let mut val = vec![T::zero(); width];
        let mut idx = if with_index { vec![0u32; width] } else { Vec::new() };
        k::extreme_cols(base, red, inner, kb, &mut val, if with_index { Some(&mut idx[..]) } else { None }, max);
        (val, idx)
    };
    let n = outer * blocks_per;
    let parts: Vec<(Vec<T>, Vec<u32>)> = if super::parallel(x.len()) && n > 1 {
        super::split::map_pieces((0..n).collect(), block)
    } else {
        (0..n).map(block).collect()
    };
    // Block b holds columns [kb, kb + width) of output row o: concatenation is the output order.
    let (mut vals, mut idxs) = (Vec::with_capacity(outer * inner), Vec::new());
    for (v, i) in parts {
        vals.extend(v);
        idxs.extend(i);
    }
    (vals, idxs)
}

/// The column plan of a reduction that [`extreme_cols`] handles well (wide enough columns).
fn wide_cols(layout: &Layout, reduce: &[bool]) -> Option<(usize, usize, usize)> {
    match plan_with(layout, reduce, true) {
        Some(Plan::Cols { outer, red, inner }) if inner >= 16 && red > 0 && red <= u32::MAX as usize => Some((outer, red, inner)),
        _ => None,
    }
}

/// The max (`max`) or min of each run of the flagged dims, NaN-sticky, without indices (amax /
/// amin). Runs must be non-empty (callers check).
pub fn extreme_values<T: Float>(data: &[T], layout: &Layout, reduce: &[bool], max: bool) -> Vec<T> {
    if let Some((outer, red, inner)) = wide_cols(layout, reduce) {
        let n = layout.numel();
        return extreme_cols(&data[layout.offset..layout.offset + n], outer, red, inner, max, false).0;
    }
    if max {
        reduce_with(data, layout, reduce, false, T::nan, |_, c| k::max(c), k::max_nan)
    } else {
        reduce_with(data, layout, reduce, false, T::nan, |_, c| k::min(c), k::min_nan)
    }
}

/// (value, index) of the max (`max`) or min of each run of the flagged dims: NaN propagates and
/// ties keep the first index, as PyTorch. Runs must be non-empty (callers check).
pub fn extreme<T: Float>(data: &[T], layout: &Layout, reduce: &[bool], max: bool) -> Vec<(T, usize)> {
    if let Some((outer, red, inner)) = wide_cols(layout, reduce) {
        let n = layout.numel();
        let (v, i) = extreme_cols(&data[layout.offset..layout.offset + n], outer, red, inner, max, true);
        return v.into_iter().zip(i).map(|(v, i)| (v, i as usize)).collect();
    }
    reduce_with(
        data,
        layout,
        reduce,
        true,
        || (T::nan(), 0),
        move |off, c| {
            let i = if max { k::argmax(c) } else { k::argmin(c) };
            (c[i], off + i)
        },
        move |a, b| if better(max, b.0, a.0) { b } else { a },
    )
}

/// Variance with `correction` (std when `root`): mean then squared deviations, in float64.
pub fn var<T: Float>(data: &[T], layout: &Layout, reduce: &[bool], correction: f64, root: bool) -> Vec<T> {
    let finish = move |sq: f64, n: usize| {
        let v = sq / (n as f64 - correction).max(0.0);
        T::narrow(if root { v.sqrt() } else { v })
    };
    let (rows_of, outer, inner) = row_major(data, layout, reduce);
    let x: &[T] = &rows_of;
    if inner == 0 {
        return (0..outer).map(|_| finish(f64::NAN, 0)).collect();
    }
    let means: Vec<f64> = rows(x, outer, inner, |_, c| k::sum_wide(c), |a, b| a + b).into_iter().map(|s| s / inner as f64).collect();
    let sq: Vec<f64> = if outer == 1 {
        let m = means[0];
        rows(x, 1, inner, move |_, c| k::sum_sq_dev(c, m), |a, b| a + b)
    } else {
        // Each row carries its own mean: index rows by their offset in `x`.
        let per_task = (GRAIN / inner).max(1);
        let work = |(bi, b): (usize, &[T])| -> Vec<f64> {
            b.chunks(inner)
                .enumerate()
                .map(|(j, r)| {
                    let m = means[bi * per_task + j];
                    row(r, &|_, c: &[T]| k::sum_sq_dev(c, m), &|a, b| a + b)
                })
                .collect()
        };
        let blocks: Vec<Vec<f64>> = if super::parallel(x.len()) {
            super::split::map_pieces(x.chunks(per_task * inner).enumerate().collect(), work)
        } else {
            x.chunks(per_task * inner).enumerate().map(work).collect()
        };
        blocks.into_iter().flatten().collect()
    };
    sq.into_iter().map(|s| finish(s, inner)).collect()
}

/// `ord`-norm for ord in {1, 2, inf, -inf} over the flagged dims (None for other orders).
pub fn norm<T: Float>(data: &[T], layout: &Layout, reduce: &[bool], ord: f64) -> Option<Vec<T>> {
    let combine_sum = |a: T, b: T| a + b;
    Some(if ord == 2.0 {
        reduce_with(data, layout, reduce, false, T::zero, |_, c| k::sum_sq(c), combine_sum).into_iter().map(|s| s.sqrt()).collect()
    } else if ord == 1.0 {
        reduce_with(data, layout, reduce, false, T::zero, |_, c| k::sum_abs(c), combine_sum)
    } else if ord == f64::INFINITY {
        reduce_with(data, layout, reduce, false, T::neg_infinity, |_, c| k::max_abs(c), k::max_nan)
    } else if ord == f64::NEG_INFINITY {
        reduce_with(data, layout, reduce, false, T::infinity, |_, c| k::min_abs(c), k::min_nan)
    } else {
        return None;
    })
}

/// `log(sum(exp(x)))` over the flagged dims, as PyTorch's composite: the max `m` of each run
/// (replaced by 0 when infinite) is subtracted before exponentiating and added back after `log`.
pub fn logsumexp<T: Float>(data: &[T], layout: &Layout, reduce: &[bool]) -> Vec<T> {
    let (rows_of, outer, inner) = row_major(data, layout, reduce);
    let x: &[T] = &rows_of;
    if inner == 0 {
        return vec![T::neg_infinity(); outer];
    }
    let one_row = |r: &[T]| -> T {
        let m = row(r, &|_, c: &[T]| k::max(c), &k::max_nan);
        let shift = if m.is_infinite() { T::zero() } else { m };
        row(r, &|_, c: &[T]| k::sum_exp(c, shift), &|a, b| a + b).ln() + shift
    };
    if outer == 1 && x.len() >= GRAIN {
        let m = rows(x, 1, inner, |_, c| k::max(c), k::max_nan)[0];
        let shift = if m.is_infinite() { T::zero() } else { m };
        return vec![rows(x, 1, inner, move |_, c| k::sum_exp(c, shift), |a, b| a + b)[0].ln() + shift];
    }
    map_rows(x, inner, one_row)
}

/// `f` of each contiguous row of `inner` elements, rows in parallel above [`GRAIN`], with AVX2.
fn map_rows<T: Sync, A: Send>(x: &[T], inner: usize, f: impl Fn(&[T]) -> A + Sync) -> Vec<A> {
    let per_task = (GRAIN / inner).max(1);
    if !super::parallel(x.len()) {
        return x.chunks(inner).map(&f).collect();
    }
    let blocks: Vec<Vec<A>> = super::split::map_pieces(x.chunks(per_task * inner).collect(), |b| b.chunks(inner).map(&f).collect());
    blocks.into_iter().flatten().collect()
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

    trait PermuteForTest {
        /// `[outer, red, inner]` seen as `[outer, inner, red]`.
        fn permute_for_test(&self) -> Layout;
    }
    impl PermuteForTest for Layout {
        fn permute_for_test(&self) -> Layout {
            let s = &self.shape;
            Layout { shape: vec![s[0], s[2], s[1]], strides: vec![s[1] * s[2], 1, s[2]], offset: 0 }
        }
    }

    fn sizes() -> Vec<usize> {
        let mut v = vec![1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, CHUNK - 1, CHUNK, CHUNK + 1];
        v.extend([GRAIN - 1, GRAIN, GRAIN + 1, 3 * CHUNK + 7]);
        v
    }

    fn on_threads<R>(n: usize, f: impl FnOnce() -> R + Send) -> R
    where
        R: Send,
    {
        rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap().install(f)
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn plans_merge_dims_and_fall_back_on_mixed_patterns() {
        let l = Layout::contiguous(&[4, 1, 5, 6]);
        assert_eq!(plan(&l, &[false, true, true, true]), Some(Plan::Rows { outer: 4, inner: 30 }));
        assert_eq!(plan(&l, &[true, false, true, false]), Some(Plan::Cols { outer: 1, red: 20, inner: 6 }));
        assert_eq!(plan(&l, &[false, false, true, false]), Some(Plan::Cols { outer: 4, red: 5, inner: 6 }));
        assert_eq!(plan(&l, &[true, false, false, true]), None);
        // A transpose is planned in memory order, as long as the kept dims keep their order.
        assert_eq!(plan(&Layout { shape: vec![3, 2], strides: vec![1, 3], offset: 0 }, &[true, false]), Some(Plan::Rows { outer: 2, inner: 3 }));
        assert_eq!(plan(&Layout { shape: vec![3, 2], strides: vec![1, 3], offset: 0 }, &[false, true]), Some(Plan::Cols { outer: 1, red: 2, inner: 3 }));
        let p = Layout { shape: vec![2, 3, 4], strides: vec![1, 8, 2], offset: 0 };
        // Memory order of p: dims 1, 2, 0.
        assert_eq!(plan(&p, &[true, false, false]), Some(Plan::Rows { outer: 12, inner: 2 }));
        assert_eq!(plan(&p, &[false, true, true]), Some(Plan::Cols { outer: 1, red: 12, inner: 2 }));
        assert_eq!(plan(&p, &[false, true, false]), None, "kept dims 2, 0 out of logical order");
        assert_eq!(plan_with(&Layout { shape: vec![2, 3, 4], strides: vec![12, 1, 3], offset: 0 }, &[false, true, true], true), None);
        assert_eq!(plan(&Layout { shape: vec![2, 3, 4], strides: vec![12, 1, 3], offset: 0 }, &[false, true, true]), Some(Plan::Rows { outer: 2, inner: 12 }));
        // Not dense: gather.
        assert_eq!(plan(&Layout { shape: vec![3, 2], strides: vec![1, 4], offset: 0 }, &[true, false]), None);
    }

    #[test]
    fn simd_and_scalar_leaves_agree_bit_for_bit() {
        // The lane arrays fix the association order, so vector width must not change a bit.
        for n in sizes().into_iter().filter(|&n| n <= CHUNK + 1) {
            let x = values(n, n as u64);
            // `k::x` is dispatched (AVX2 here when the CPU has it), `k::x_i` baseline code.
            assert_eq!(k::sum(&x).to_bits(), k::sum_i(&x).to_bits(), "sum n={n}");
            assert_eq!(k::sum_exp(&x, 0.5).to_bits(), k::sum_exp_i(&x, 0.5).to_bits(), "sum_exp n={n}");
            assert_eq!(k::sum_sq_dev(&x, 0.1).to_bits(), k::sum_sq_dev_i(&x, 0.1).to_bits());
        }
    }

    #[test]
    fn sums_are_accurate_at_every_size() {
        for n in sizes() {
            let x = values(n, 7 + n as u64);
            let exact: f64 = x.iter().map(|&v| v as f64).sum();
            let got = sum(&x, &Layout::contiguous(&[n]), &[true])[0] as f64;
            let scale: f64 = x.iter().map(|&v| v.abs() as f64).sum();
            assert!((got - exact).abs() <= 1e-6 * scale.max(1.0), "n={n}: {got} vs {exact}");
        }
    }

    #[test]
    fn row_and_column_sums_match_a_naive_reference() {
        for (o, r, i) in [(3, 5, 7), (2, 65, 17), (1, 130, 300), (4, 3, 513), (2, 200, 260)] {
            let x = values(o * r * i, (o * r * i) as u64);
            let l = Layout::contiguous(&[o, r, i]);
            let cols = sum(&x, &l, &[false, true, false]);
            let rows_ = sum(&x, &l, &[false, false, true]);
            for a in 0..o {
                for c in 0..i {
                    let want: f64 = (0..r).map(|b| x[(a * r + b) * i + c] as f64).sum();
                    assert!((cols[a * i + c] as f64 - want).abs() < 1e-4, "cols {o} {r} {i}");
                }
                for b in 0..r {
                    let want: f64 = (0..i).map(|c| x[(a * r + b) * i + c] as f64).sum();
                    assert!((rows_[a * r + b] as f64 - want).abs() < 1e-4, "rows {o} {r} {i}");
                }
            }
        }
    }

    #[test]
    fn a_row_split_in_pieces_sums_bit_for_bit_like_one_tree_over_its_leaves() {
        let span = CHUNK * LEAVES_PER_PIECE;
        for n in [CHUNK + 1, span - 1, span, span + 1, 3 * span + 5 * CHUNK + 17, 9 * span - CHUNK, 16 * span + 3] {
            let x = values(n, n as u64 + 3);
            let leaf = |_: usize, c: &[f32]| k::sum(c);
            let combine = |a: f32, b: f32| a + b;
            assert_eq!(row_in_pieces(&x, &leaf, &combine).to_bits(), row(&x, &leaf, &combine).to_bits(), "n={n}");
            // Offsets reach the leaves unchanged (argmax reports them).
            let arg = |off: usize, c: &[f32]| (c[k::argmax(c)], off + k::argmax(c));
            let first = |a: (f32, usize), b: (f32, usize)| if b.0 > a.0 { b } else { a };
            assert_eq!(row_in_pieces(&x, &arg, &first), row(&x, &arg, &first), "n={n}");
        }
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        for n in [GRAIN - 1, GRAIN + 1, 3 * CHUNK + 7, 5 * GRAIN + 3] {
            let x = values(n, n as u64);
            let full = Layout::contiguous(&[n]);
            let cut = n / 7 * 7;
            let rows7 = Layout::contiguous(&[cut / 7, 7]);
            let cols = Layout::contiguous(&[7, cut / 7]);
            let x7 = &x[..cut];
            let run = || {
                let mut out = vec![];
                out.extend(sum(&x, &full, &[true]));
                out.extend(sum(x7, &rows7, &[false, true]));
                out.extend(sum(x7, &rows7, &[true, false]));
                out.extend(sum(x7, &cols, &[true, false]));
                out.extend(var(&x, &full, &[true], 1.0, false));
                out.extend(var(x7, &cols, &[false, true], 1.0, true));
                out.extend(logsumexp(&x, &full, &[true]));
                out.extend(logsumexp(x7, &cols, &[false, true]));
                out.extend(norm(&x, &full, &[true], 2.0).unwrap());
                out.extend(prod(x7, &rows7, &[false, true]));
                let e = extreme(&x, &full, &[true], true);
                out.extend(e.iter().map(|p| p.0 + p.1 as f32));
                out
            };
            let (one, two, three) = (on_threads(1, run), on_threads(2, run), on_threads(3, run));
            assert_eq!(bits(&one), bits(&two), "n={n}");
            assert_eq!(bits(&one), bits(&three), "n={n}");
        }
    }

    #[test]
    fn extremes_keep_the_first_index_and_propagate_nan() {
        for n in sizes() {
            let mut x = values(n, 3);
            let l = Layout::contiguous(&[n]);
            // A tie for the max at two places: the first wins.
            let (a, b) = (n / 3, n - 1);
            x[a] = 2.0;
            x[b] = 2.0;
            assert_eq!(extreme(&x, &l, &[true], true)[0], (2.0, a), "n={n}");
            x[a] = -2.0;
            x[b] = -2.0;
            assert_eq!(extreme(&x, &l, &[true], false)[0], (-2.0, a), "n={n}");
            // The first NaN wins both, whatever comes after.
            x[b] = f32::NAN;
            if n > 1 {
                x[n / 2] = f32::NAN;
            }
            let first = if n > 1 { (n / 2).min(b) } else { 0 };
            for max in [true, false] {
                let (v, i) = extreme(&x, &l, &[true], max)[0];
                assert!(v.is_nan());
                assert_eq!(i, first, "n={n} max={max}");
            }
        }
        // Infinite runs, and -0.0 / 0.0 ties.
        let x = [f32::NEG_INFINITY, f32::NEG_INFINITY, -0.0, 0.0];
        let l = Layout::contiguous(&[2, 2]);
        assert_eq!(extreme(&x, &l, &[false, true], true), vec![(f32::NEG_INFINITY, 0), (-0.0, 0)]);
        assert_eq!(logsumexp(&x, &l, &[false, true])[0], f32::NEG_INFINITY);
        assert_eq!(norm(&[3.0f32, -4.0, f32::NAN], &Layout::contiguous(&[3]), &[true], f64::INFINITY).unwrap()[0].is_nan(), true);
    }

    #[test]
    fn column_extremes_match_the_gathered_rows() {
        for &(outer, red, inner) in &[(1, 1, 16), (2, 3, 17), (1, 33, 15), (3, 7, 257), (1, GRAIN / 16 + 3, 16), (2, 5, 600)] {
            let mut x = values(outer * red * inner, 21);
            // Ties, a NaN and an infinity in some columns.
            if red > 2 {
                x[inner + 1] = 5.0;
                x[2 * inner + 1] = 5.0;
                x[inner + 2] = f32::NAN;
                x[2 * inner + 2] = 7.0;
                x[3] = f32::INFINITY;
            }
            let l = Layout::contiguous(&[outer, red, inner]);
            let reduce = [false, true, false];
            let t = l.permute_for_test();
            for max in [true, false] {
                let got = extreme(&x, &l, &reduce, max);
                let vals = extreme_values(&x, &l, &reduce, max);
                // The generic path: rows of the transposed copy.
                let want = extreme(&t.gather(&x), &Layout::contiguous(&[outer, inner, red]), &[false, false, true], max);
                assert_eq!(got.len(), want.len());
                for (j, ((a, b), v)) in got.iter().zip(&want).zip(&vals).enumerate() {
                    assert_eq!((a.0.to_bits(), a.1), (b.0.to_bits(), b.1), "{outer}x{red}x{inner} max={max} j={j}");
                    assert_eq!(v.to_bits(), b.0.to_bits());
                }
            }
        }
        // Values only over rows and whole tensors.
        let x = values(3 * CHUNK + 5, 4);
        let l = Layout::contiguous(&[x.len()]);
        assert_eq!(extreme_values(&x, &l, &[true], true)[0], extreme(&x, &l, &[true], true)[0].0);
        assert_eq!(extreme_values(&x, &l, &[true], false)[0], extreme(&x, &l, &[true], false)[0].0);
    }

    #[test]
    fn transposed_inputs_reduce_in_place_like_their_copies() {
        for &(r, c) in &[(3, 5), (17, 33), (200, 300), (GRAIN / 100 + 1, 100)] {
            let x = values(r * c, 13);
            // x seen as its [c, r] transpose, and the same values gathered contiguous.
            let t = Layout { shape: vec![c, r], strides: vec![1, c], offset: 0 };
            let copy = t.gather(&x);
            let l = Layout::contiguous(&[c, r]);
            for reduce in [[true, false], [false, true], [true, true]] {
                let (a, b) = (sum(&x, &t, &reduce), sum(&copy, &l, &reduce));
                assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() <= 1e-4), "{r}x{c} {reduce:?}");
                let (a, b) = (var(&x, &t, &reduce, 1.0, false), var(&copy, &l, &reduce, 1.0, false));
                assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() <= 1e-5), "{r}x{c} {reduce:?}");
                for max in [true, false] {
                    assert_eq!(extreme(&x, &t, &reduce, max), extreme(&copy, &l, &reduce, max));
                    assert_eq!(extreme_values(&x, &t, &reduce, max), extreme_values(&copy, &l, &reduce, max));
                }
            }
        }
    }

    #[test]
    fn float64_kernels_and_empty_runs() {
        let x: Vec<f64> = (0..1000).map(|i| i as f64 * 0.5).collect();
        let l = Layout::contiguous(&[10, 100]);
        let s = sum(&x, &l, &[false, true]);
        assert_eq!(s[0], (0..100).map(|i| i as f64 * 0.5).sum::<f64>());
        let v = var(&x, &l, &[false, true], 1.0, false);
        assert!((v[3] - 210.41666666666666).abs() < 1e-9);
        let e: Vec<f32> = vec![];
        let l0 = Layout::contiguous(&[3, 0]);
        assert_eq!(sum(&e, &l0, &[false, true]), vec![0.0; 3]);
        assert_eq!(logsumexp(&e, &l0, &[false, true]), vec![f32::NEG_INFINITY; 3]);
        assert!(var(&e, &l0, &[false, true], 1.0, false).iter().all(|v| v.is_nan()));
        assert_eq!(prod(&e, &l0, &[false, true]), vec![1.0; 3]);
    }

    #[test]
    fn forced_splits_give_the_bits_of_one_thread() {
        use crate::cpu::split::with_forced_split;
        for n in [GRAIN - 1, GRAIN + 1, 3 * CHUNK + 7, 2 * GRAIN + 33] {
            let x = values(n, n as u64 + 11);
            let cut = n / 7 * 7;
            let x7 = &x[..cut];
            let (full, rows7, cols7) = (Layout::contiguous(&[n]), Layout::contiguous(&[cut / 7, 7]), Layout::contiguous(&[7, cut / 7]));
            let wide = Layout::contiguous(&[cut / 7 / 16, 7, 16]);
            let xw = &x[..cut / 7 / 16 * 7 * 16];
            let run = || {
                let mut out = vec![];
                for (data, l) in [(&x[..], &full), (x7, &rows7), (x7, &cols7)] {
                    for r in [vec![true; l.ndim()], (0..l.ndim()).map(|d| d == 0).collect(), (0..l.ndim()).map(|d| d > 0).collect()] {
                        out.extend(sum(data, l, &r));
                        out.extend(var(data, l, &r, 1.0, false));
                        out.extend(logsumexp(data, l, &r));
                        for ord in [1.0, 2.0, f64::INFINITY, f64::NEG_INFINITY] {
                            out.extend(norm(data, l, &r, ord).unwrap());
                        }
                        out.extend(extreme_values(data, l, &r, true));
                        out.extend(extreme(data, l, &r, false).iter().map(|p| p.0 + p.1 as f32));
                    }
                }
                out.extend(sum(xw, &wide, &[false, true, false]));
                out.extend(extreme(xw, &wide, &[false, true, false], true).iter().map(|p| p.0 + p.1 as f32));
                let xd: Vec<f64> = x.iter().map(|&v| v as f64 * 1.5).collect();
                let d = sum(&xd, &full, &[true])[0] + var(&xd, &full, &[true], 0.0, true)[0] + norm(&xd, &full, &[true], 2.0).unwrap()[0];
                out.push(d as f32);
                out.extend(crate::cpu::reduce::map_runs(x7, &rows7, &[true, false], |r| r.iter().sum::<f32>()));
                out
            };
            let (one, two, three) = (with_forced_split(1, run), with_forced_split(2, run), with_forced_split(3, run));
            assert_eq!(bits(&one), bits(&two), "n={n}");
            assert_eq!(bits(&one), bits(&three), "n={n}");
        }
    }
}
