//! Data-movement kernels for indexing ops: element offsets computed once (in logical output
//! order), then gathered from or scattered into a storage slice.

use rayon::prelude::*;

use super::GRAIN;
use crate::tensor::Layout;
use crate::error::CheckedCollect;

/// Element types that scatter with accumulation (`index_put_(accumulate=True)`, `scatter_add`).
pub trait Accumulate: Copy {
    /// `a + b` (logical or for bool).
    fn accumulate(self, other: Self) -> Self;
}

impl Accumulate for f32 {
    fn accumulate(self, other: Self) -> Self {
        self + other
    }
}
impl Accumulate for f64 {
    fn accumulate(self, other: Self) -> Self {
        self + other
    }
}
impl Accumulate for i64 {
    fn accumulate(self, other: Self) -> Self {
        self.wrapping_add(other)
    }
}
impl Accumulate for i32 {
    fn accumulate(self, other: Self) -> Self {
        self.wrapping_add(other)
    }
}
impl Accumulate for u8 {
    fn accumulate(self, other: Self) -> Self {
        self.wrapping_add(other)
    }
}
impl Accumulate for bool {
    fn accumulate(self, other: Self) -> Self {
        self || other
    }
}

/// The storage offsets of a layout's elements in logical order.
pub fn layout_offsets(layout: &Layout) -> Vec<usize> {
    let mut out = Vec::with_capacity(layout.numel());
    layout.for_each_offset(|o| out.push(o));
    out
}

/// `data[offsets[i]]` for every `i` (in parallel above the grain).
pub fn gather_offsets<T: Copy + Send + Sync>(data: &[T], offsets: &[usize]) -> Vec<T> {
    gather_offsets_into(crate::error::vec_with_capacity(offsets.len()), data, offsets)
}

/// [`gather_offsets`] written into `out` (emptied first), for callers that allocate the output
/// before the offset table.
pub fn gather_offsets_into<T: Copy + Send + Sync>(mut out: Vec<T>, data: &[T], offsets: &[usize]) -> Vec<T> {
    if super::parallel(offsets.len()) {
        super::install(|| offsets.par_iter().with_min_len(GRAIN / 4).map(|&o| data[o]).collect_into_vec(&mut out));
    } else {
        out.clear();
        out.extend(offsets.iter().map(|&o| data[o]));
    }
    out
}

/// `dst[offsets[i]] = values[i]` (or `+=` when `accumulate`); later writes win on duplicates.
pub fn scatter_offsets<T: Accumulate>(dst: &mut [T], offsets: &[usize], values: &[T], accumulate: bool) {
    debug_assert_eq!(offsets.len(), values.len());
    if accumulate {
        for (&o, &v) in offsets.iter().zip(values) {
            dst[o] = dst[o].accumulate(v);
        }
    } else {
        for (&o, &v) in offsets.iter().zip(values) {
            dst[o] = v;
        }
    }
}

/// Offsets of `out[i0, i1, ...] = src[maps[0][i0], maps[1][i1], ...]` where `src` is seen
/// through `layout` (flip, roll, repeat, index_select): one index table per dimension.
pub fn mapped_offsets(layout: &Layout, maps: &[Vec<usize>]) -> Vec<usize> {
    debug_assert_eq!(maps.len(), layout.ndim());
    let tables: Vec<Vec<usize>> =
        maps.iter().zip(&layout.strides).map(|(m, &s)| m.iter().map(|&i| i * s).checked_collect()).collect();
    let n: usize = maps.iter().map(Vec::len).product();
    let mut out = crate::error::vec_with_capacity(n);
    if n == 0 {
        return out;
    }
    if tables.is_empty() {
        out.push(layout.offset);
        return out;
    }
    let ndim = tables.len();
    let mut index = vec![0usize; ndim - 1];
    loop {
        let base = layout.offset + index.iter().zip(&tables).map(|(&i, t)| t[i]).sum::<usize>();
        out.extend(tables[ndim - 1].iter().map(|&o| base + o));
        let mut d = ndim - 1;
        loop {
            if d == 0 {
                return out;
            }
            d -= 1;
            index[d] += 1;
            if index[d] < tables[d].len() {
                break;
            }
            index[d] = 0;
        }
    }
}

/// Offsets of an advanced-indexing result: `outer` x `middle` x `inner` sums (the dims before the
/// indexed block, the broadcast index positions, and the dims after it).
pub fn product_offsets(outer: &[usize], middle: &[usize], inner: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(outer.len() * middle.len() * inner.len());
    for &o in outer {
        for &m in middle {
            out.extend(inner.iter().map(|&i| o + m + i));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_offsets_flip_and_repeat() {
        let l = Layout::contiguous(&[2, 3]);
        // Flip the columns.
        assert_eq!(mapped_offsets(&l, &[vec![0, 1], vec![2, 1, 0]]), vec![2, 1, 0, 5, 4, 3]);
        // Repeat the rows twice.
        assert_eq!(mapped_offsets(&l, &[vec![0, 1, 0, 1], vec![0, 1, 2]]).len(), 12);
        assert_eq!(mapped_offsets(&Layout::contiguous(&[]), &[]), vec![0]);
        assert!(mapped_offsets(&l, &[vec![], vec![0]]).is_empty());
    }

    #[test]
    fn scatter_accumulates_duplicates() {
        let mut dst = vec![0.0f64; 3];
        scatter_offsets(&mut dst, &[0, 0, 2], &[1.0, 2.0, 3.0], true);
        assert_eq!(dst, vec![3.0, 0.0, 3.0]);
        scatter_offsets(&mut dst, &[0, 0], &[5.0, 6.0], false);
        assert_eq!(dst[0], 6.0);
    }

    #[test]
    fn gather_agrees_around_the_grain() {
        for n in [GRAIN - 1, GRAIN, GRAIN + 5] {
            let data: Vec<i64> = (0..n as i64).collect();
            let offsets: Vec<usize> = (0..n).rev().collect();
            let got = gather_offsets(&data, &offsets);
            assert!(got.iter().enumerate().all(|(i, &v)| v as usize == n - 1 - i));
        }
    }

    #[test]
    fn product_offsets_orders_outer_middle_inner() {
        assert_eq!(product_offsets(&[0, 100], &[10, 20], &[1, 2]), vec![11, 12, 21, 22, 111, 112, 121, 122]);
    }
}
