//! Float reductions over whole tensors or dims without gathering when the input is contiguous:
//! a reduction either runs along contiguous rows (`x[o, :]`, the reduced dims innermost) or down
//! columns (`x[o, :, k]`, reduced dims followed by kept ones: vector adds across rows, never
//! strided loads). Other layouts are gathered into rows first.
//!
//! Determinism: a row is cut into [`CHUNK`]-element leaves whatever the thread count, and the
//! leaves are combined by a pairwise tree in index order ([`tree`]); columns are summed row by row
//! in a fixed order inside fixed-width column blocks. Threads only choose who computes which leaf,
//! row or block, so results are bit-identical on 1 or N threads.

use rayon::prelude::*;

use super::reduce::reduced_innermost;
use super::reduce_simd::{self as k, simd, Float, CHUNK};
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
/// dims are dropped and neighbouring dims with the same flag merged.
pub fn plan(layout: &Layout, reduce: &[bool]) -> Option<Plan> {
    if !layout.is_contiguous() {
        return None;
    }
    let mut groups: Vec<(bool, usize)> = Vec::new();
    for (&size, &r) in layout.shape.iter().zip(reduce) {
        if size == 1 {
            continue;
        }
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
    if x.len() < GRAIN {
        return simd(|| x.chunks(inner).map(|r| row(r, &leaf, &combine)).collect());
    }
    if outer == 1 {
        let parts: Vec<A> = super::install(|| x.par_chunks(CHUNK).enumerate().map(|(i, c)| simd(|| leaf(i * CHUNK, c))).collect());
        return vec![tree(parts, &combine)];
    }
    let per_task = (GRAIN / inner).max(1);
    let blocks: Vec<Vec<A>> = super::install(|| {
        x.par_chunks(per_task * inner)
            .map(|b| simd(|| b.chunks(inner).map(|r| row(r, &leaf, &combine)).collect()))
            .collect()
    });
    blocks.into_iter().flatten().collect()
}

/// Column blocks of the column-sum (floats: 1 KiB of float32 accumulators).
const COL_BLOCK: usize = 256;
/// Rows summed into a partial before it joins the running total (bounds the error growth).
const ROW_GROUP: usize = 64;

/// Sums `[outer, red, inner]` over the middle dim: row-by-row vector adds inside column blocks.
/// Order per output: groups of [`ROW_GROUP`] rows summed in order, group sums added in order.
pub fn sum_cols<T: Float>(x: &[T], outer: usize, red: usize, inner: usize) -> Vec<T> {
    let blocks_per = inner.div_ceil(COL_BLOCK);
    let block = |b: usize| -> Vec<T> {
        let (o, kb) = (b / blocks_per, (b % blocks_per) * COL_BLOCK);
        let width = COL_BLOCK.min(inner - kb);
        let base = &x[o * red * inner..(o + 1) * red * inner];
        simd(|| {
            let mut total = [T::zero(); COL_BLOCK];
            let mut part = [T::zero(); COL_BLOCK];
            for g in (0..red).step_by(ROW_GROUP) {
                part[..width].copy_from_slice(&base[g * inner + kb..g * inner + kb + width]);
                for r in g + 1..(g + ROW_GROUP).min(red) {
                    let src = &base[r * inner + kb..r * inner + kb + width];
                    for (p, &v) in part[..width].iter_mut().zip(src) {
                        *p += v;
                    }
                }
                for (t, &p) in total[..width].iter_mut().zip(&part[..width]) {
                    *t += p;
                }
            }
            total[..width].to_vec()
        })
    };
    let n = outer * blocks_per;
    let parts: Vec<Vec<T>> = if x.len() >= GRAIN && n > 1 {
        super::install(|| (0..n).into_par_iter().map(block).collect())
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
    empty: impl Fn() -> A,
    leaf: impl Fn(usize, &[T]) -> A + Sync,
    combine: impl Fn(A, A) -> A + Sync,
) -> Vec<A> {
    let n = layout.numel();
    match plan(layout, reduce) {
        Some(Plan::Rows { outer, inner }) if n > 0 => rows(&data[layout.offset..layout.offset + n], outer, inner, leaf, combine),
        _ => {
            let (values, outer, inner) = reduced_innermost(data, layout, reduce);
            if inner == 0 {
                return (0..outer).map(|_| empty()).collect();
            }
            rows(&values, outer, inner, leaf, combine)
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
    reduce_with(data, layout, reduce, T::zero, |_, c| k::sum(c), |a, b| a + b)
}

/// Product over the flagged dims.
pub fn prod<T: Float>(data: &[T], layout: &Layout, reduce: &[bool]) -> Vec<T> {
    reduce_with(data, layout, reduce, <T as num_traits::One>::one, |_, c| k::prod(c), |a, b| a * b)
}

/// True when `b` (found later) replaces `a` as the max (`max`) or min: NaN wins, ties keep `a`.
#[inline(always)]
pub fn better<T: Float>(max: bool, b: T, a: T) -> bool {
    if a.is_nan() {
        return false;
    }
    b.is_nan() || if max { b > a } else { b < a }
}

/// (value, index) of the max (`max`) or min of each run of the flagged dims: NaN propagates and
/// ties keep the first index, as PyTorch. Runs must be non-empty (callers check).
pub fn extreme<T: Float>(data: &[T], layout: &Layout, reduce: &[bool], max: bool) -> Vec<(T, usize)> {
    reduce_with(
        data,
        layout,
        reduce,
        || (T::nan(), 0),
        move |off, c| {
            let i = if max { k::arg_extreme(c, k::max_nan) } else { k::arg_extreme(c, k::min_nan) };
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
    let (values, outer, inner);
    let x: &[T] = match plan(layout, reduce) {
        Some(Plan::Rows { outer: o, inner: i }) if layout.numel() > 0 => {
            (outer, inner) = (o, i);
            &data[layout.offset..layout.offset + layout.numel()]
        }
        _ => {
            (values, outer, inner) = reduced_innermost(data, layout, reduce);
            &values
        }
    };
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
            simd(|| {
                b.chunks(inner)
                    .enumerate()
                    .map(|(j, r)| {
                        let m = means[bi * per_task + j];
                        row(r, &|_, c: &[T]| k::sum_sq_dev(c, m), &|a, b| a + b)
                    })
                    .collect()
            })
        };
        let blocks: Vec<Vec<f64>> = if x.len() >= GRAIN {
            super::install(|| x.par_chunks(per_task * inner).enumerate().map(work).collect())
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
        reduce_with(data, layout, reduce, T::zero, |_, c| k::sum_sq(c), combine_sum).into_iter().map(|s| s.sqrt()).collect()
    } else if ord == 1.0 {
        reduce_with(data, layout, reduce, T::zero, |_, c| k::sum_abs(c), combine_sum)
    } else if ord == f64::INFINITY {
        reduce_with(data, layout, reduce, T::neg_infinity, |_, c| k::max_abs(c), k::max_nan)
    } else if ord == f64::NEG_INFINITY {
        reduce_with(data, layout, reduce, T::infinity, |_, c| k::extreme(c, |a, b| k::min_nan(a.abs(), b.abs())), k::min_nan)
    } else {
        return None;
    })
}

/// `log(sum(exp(x)))` over the flagged dims, as PyTorch's composite: the max `m` of each run
/// (replaced by 0 when infinite) is subtracted before exponentiating and added back after `log`.
pub fn logsumexp<T: Float>(data: &[T], layout: &Layout, reduce: &[bool]) -> Vec<T> {
    let (values, outer, inner);
    let x: &[T] = match plan(layout, reduce) {
        Some(Plan::Rows { outer: o, inner: i }) if layout.numel() > 0 => {
            (outer, inner) = (o, i);
            &data[layout.offset..layout.offset + layout.numel()]
        }
        _ => {
            (values, outer, inner) = reduced_innermost(data, layout, reduce);
            &values
        }
    };
    if inner == 0 {
        return vec![T::neg_infinity(); outer];
    }
    let one_row = |r: &[T]| -> T {
        let m = row(r, &|_, c: &[T]| k::extreme(c, k::max_nan), &k::max_nan);
        let shift = if m.is_infinite() { T::zero() } else { m };
        row(r, &|_, c: &[T]| k::sum_exp(c, shift), &|a, b| a + b).ln() + shift
    };
    if outer == 1 && x.len() >= GRAIN {
        let m = rows(x, 1, inner, |_, c| k::extreme(c, k::max_nan), k::max_nan)[0];
        let shift = if m.is_infinite() { T::zero() } else { m };
        return vec![rows(x, 1, inner, move |_, c| k::sum_exp(c, shift), |a, b| a + b)[0].ln() + shift];
    }
    map_rows(x, inner, one_row)
}

/// `f` of each contiguous row of `inner` elements, rows in parallel above [`GRAIN`], with AVX2.
fn map_rows<T: Sync, A: Send>(x: &[T], inner: usize, f: impl Fn(&[T]) -> A + Sync) -> Vec<A> {
    let per_task = (GRAIN / inner).max(1);
    if x.len() < GRAIN {
        return simd(|| x.chunks(inner).map(&f).collect());
    }
    let blocks: Vec<Vec<A>> = super::install(|| x.par_chunks(per_task * inner).map(|b| simd(|| b.chunks(inner).map(&f).collect())).collect());
    blocks.into_iter().flatten().collect()
}

/// Writes `f(lane_in, lane_out)` for each contiguous lane of `len` elements (rows in parallel
/// above [`GRAIN`], with AVX2): the last-dim softmax drivers.
pub fn map_lanes_contig<T: Sync, U: Send + Default + Clone>(x: &[T], len: usize, f: impl Fn(&[T], &mut [U]) + Sync) -> Vec<U> {
    let mut out = vec![U::default(); x.len()];
    if len == 0 || x.is_empty() {
        return out;
    }
    let per_task = (GRAIN / len).max(1) * len;
    if x.len() < GRAIN {
        simd(|| x.chunks(len).zip(out.chunks_mut(len)).for_each(|(a, o)| f(a, o)));
    } else {
        super::install(|| {
            x.par_chunks(per_task)
                .zip(out.par_chunks_mut(per_task))
                .for_each(|(a, o)| simd(|| a.chunks(len).zip(o.chunks_mut(len)).for_each(|(a, o)| f(a, o))))
        });
    }
    out
}

/// Writes `f(a_lane, b_lane, out_lane)` for each pair of contiguous lanes (softmax backward).
pub fn zip_lanes_contig<T: Sync, U: Send + Default + Clone>(a: &[T], b: &[T], len: usize, f: impl Fn(&[T], &[T], &mut [U]) + Sync) -> Vec<U> {
    debug_assert_eq!(a.len(), b.len());
    let mut out = vec![U::default(); a.len()];
    if len == 0 || a.is_empty() {
        return out;
    }
    let per_task = (GRAIN / len).max(1) * len;
    if a.len() < GRAIN {
        simd(|| a.chunks(len).zip(b.chunks(len)).zip(out.chunks_mut(len)).for_each(|((x, y), o)| f(x, y, o)));
    } else {
        super::install(|| {
            a.par_chunks(per_task).zip(b.par_chunks(per_task)).zip(out.par_chunks_mut(per_task)).for_each(|((x, y), o)| {
                simd(|| x.chunks(len).zip(y.chunks(len)).zip(o.chunks_mut(len)).for_each(|((x, y), o)| f(x, y, o)))
            })
        });
    }
    out
}
