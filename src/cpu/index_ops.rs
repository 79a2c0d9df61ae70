//! Kernels for the index ops that write along a dimension or into the flattened tensor
//! (`index_fill_`, `index_add_`, `put_`, `take`) and for accumulating writes into a target whose
//! elements share memory (`index_put_(accumulate=True)` on an expanded tensor).

use std::collections::HashMap;

use super::index::Accumulate;

/// Element types `index_add_` scales by `alpha` before adding.
pub trait Scale: Accumulate {
    /// `self * alpha` (logical and for bool, wrapping for integers).
    fn scale(self, alpha: Self) -> Self;
}

impl Scale for f32 {
    fn scale(self, alpha: Self) -> Self {
        self * alpha
    }
}
impl Scale for f64 {
    fn scale(self, alpha: Self) -> Self {
        self * alpha
    }
}
impl Scale for i64 {
    fn scale(self, alpha: Self) -> Self {
        self.wrapping_mul(alpha)
    }
}
impl Scale for i32 {
    fn scale(self, alpha: Self) -> Self {
        self.wrapping_mul(alpha)
    }
}
impl Scale for u8 {
    fn scale(self, alpha: Self) -> Self {
        self.wrapping_mul(alpha)
    }
}
impl Scale for bool {
    fn scale(self, alpha: Self) -> Self {
        self && alpha
    }
}

/// `dst[o] = value` for every offset.
pub fn fill_offsets<T: Copy>(dst: &mut [T], offsets: &[usize], value: T) {
    for &o in offsets {
        dst[o] = value;
    }
}

/// `dst[offsets[i]] += values[i] * alpha`, in order (duplicates add up in index order, as
/// PyTorch's serial loop over the index).
pub fn add_scaled_offsets<T: Scale>(dst: &mut [T], offsets: &[usize], values: &[T], alpha: T) {
    debug_assert_eq!(offsets.len(), values.len());
    for (&o, &v) in offsets.iter().zip(values) {
        dst[o] = dst[o].accumulate(v.scale(alpha));
    }
}

/// Wraps flat indices into `0..n` (negative count from the end): the positions `put_` / `take`
/// address in the row-major order of a tensor of `n` elements. `Err(i)`: the first index out of
/// range.
pub fn wrap_flat(index: &[i64], n: usize) -> Result<Vec<usize>, i64> {
    let n = n as i64;
    index.iter().map(|&i| if i < -n || i >= n { Err(i) } else { Ok((if i < 0 { i + n } else { i }) as usize) }).collect()
}

/// The values of a target whose logical elements sit at storage offsets `element_offsets` (with
/// repeats: an expanded tensor), after `values[i]` were added in order at storage offsets
/// `write_offsets[i]`. `current[k]` is the value of logical element `k` before the writes. Every
/// write lands in the shared memory location once, so all aliases of a location see the sum of
/// all the values written to any of them (PyTorch's `index_put_(accumulate=True)` on an expanded
/// tensor adds once per index entry, not once per alias).
pub fn accumulate_aliased<T: Accumulate>(current: &[T], element_offsets: &[usize], write_offsets: &[usize], values: &[T]) -> Vec<T> {
    debug_assert_eq!(current.len(), element_offsets.len());
    let mut before: HashMap<usize, T> = HashMap::with_capacity(write_offsets.len());
    for (&o, &v) in element_offsets.iter().zip(current) {
        before.entry(o).or_insert(v);
    }
    let mut after: HashMap<usize, T> = HashMap::with_capacity(write_offsets.len());
    for (&o, &v) in write_offsets.iter().zip(values) {
        let slot = after.entry(o).or_insert_with(|| before[&o]);
        *slot = slot.accumulate(v);
    }
    element_offsets.iter().zip(current).map(|(o, &v)| after.get(o).copied().unwrap_or(v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::GRAIN;

    #[test]
    fn add_scaled_adds_duplicates_in_order() {
        let mut dst = vec![1.0f32; 4];
        add_scaled_offsets(&mut dst, &[3, 0, 3], &[1.0, 2.0, 4.0], 0.5);
        assert_eq!(dst, vec![2.0, 1.0, 1.0, 3.5]);
        let mut ints = vec![0i64; 2];
        add_scaled_offsets(&mut ints, &[1, 1], &[i64::MAX, 1], 1);
        assert_eq!(ints, vec![0, i64::MIN]);
        let mut flags = vec![false; 2];
        add_scaled_offsets(&mut flags, &[0, 1], &[true, true], false);
        assert_eq!(flags, vec![false, false]);
    }

    #[test]
    fn fill_and_wrap_flat() {
        let mut dst = vec![0u8; 5];
        fill_offsets(&mut dst, &[4, 1, 4], 7);
        assert_eq!(dst, vec![0, 7, 0, 0, 7]);
        assert_eq!(wrap_flat(&[0, -1, 4, -5], 5), Ok(vec![0, 4, 4, 0]));
        assert_eq!(wrap_flat(&[0, 5, -9], 5), Err(5));
        assert_eq!(wrap_flat(&[-6], 5), Err(-6));
        assert_eq!(wrap_flat(&[], 0), Ok(vec![]));
    }

    #[test]
    fn aliased_accumulation_adds_each_write_once() {
        // Three logical elements sharing offset 0 (an expand of one element), writes at all three.
        let out = accumulate_aliased(&[1.0f64, 1.0, 1.0], &[0, 0, 0], &[0, 0, 0], &[1.0, 2.0, 4.0]);
        assert_eq!(out, vec![8.0, 8.0, 8.0]);
        // Rows of an expanded [2] vector: two locations, each row adds its values once.
        let out = accumulate_aliased(&[0i64, 0, 0, 0], &[0, 1, 0, 1], &[0, 1, 0, 1], &[1, 2, 1, 2]);
        assert_eq!(out, vec![2, 4, 2, 4]);
        // Untouched locations keep their values.
        let out = accumulate_aliased(&[5i32, 6], &[0, 1], &[1], &[1]);
        assert_eq!(out, vec![5, 7]);
    }

    #[test]
    fn aliased_accumulation_around_the_grain() {
        for n in [GRAIN - 1, GRAIN, GRAIN + 3] {
            let offsets = vec![0usize; n];
            let current = vec![0.0f64; n];
            let out = accumulate_aliased(&current, &offsets, &offsets, &vec![1.0; n]);
            assert!(out.iter().all(|&v| v == n as f64));
        }
    }
}
