//! Reductions. Deterministic: the input is cut into fixed-size chunks whatever the thread count,
//! and partial results are combined in chunk order, so a sum is bit-identical on 1 or 16 threads.

use std::ops::Add;

use rayon::prelude::*;

use super::GRAIN;
use crate::tensor::{Element, Layout};

/// Elements per chunk of a parallel reduction (fixed, for determinism).
const CHUNK: usize = 8192;

/// Sums a contiguous slice with eight independent accumulators (vectorisable, and more accurate
/// than one running sum).
fn sum_slice<T: Element + Add<Output = T>>(values: &[T]) -> T {
    let mut lanes = [T::default(); 8];
    let mut chunks = values.chunks_exact(8);
    for c in &mut chunks {
        for i in 0..8 {
            lanes[i] = lanes[i] + c[i];
        }
    }
    let mut total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for &v in chunks.remainder() {
        total = total + v;
    }
    total
}

/// The sum of all elements.
pub fn sum_all<T: Element + Add<Output = T>>(data: &[T], layout: &Layout) -> T {
    let n = layout.numel();
    let gathered;
    let values = if layout.is_contiguous() {
        &data[layout.offset..layout.offset + n]
    } else {
        gathered = layout.gather(data);
        &gathered[..]
    };
    let partials: Vec<T> = if n >= GRAIN {
        super::install(|| values.par_chunks(CHUNK).map(sum_slice).collect())
    } else {
        values.chunks(CHUNK).map(sum_slice).collect()
    };
    partials.into_iter().fold(T::default(), |acc, p| acc + p)
}

/// Sums over the dimensions flagged in `reduce`; the result lists the kept dimensions' elements in
/// logical order (the caller decides whether reduced dims stay as size 1).
pub fn sum_dims<T: Element + Add<Output = T>>(data: &[T], layout: &Layout, reduce: &[bool]) -> Vec<T> {
    debug_assert_eq!(reduce.len(), layout.ndim());
    // Reorder the layout so the reduced dims are innermost: each output element is then one
    // contiguous run of `inner` visits.
    let (mut shape, mut strides) = (Vec::new(), Vec::new());
    let (mut inner_shape, mut inner_strides) = (Vec::new(), Vec::new());
    for d in 0..layout.ndim() {
        if reduce[d] {
            inner_shape.push(layout.shape[d]);
            inner_strides.push(layout.strides[d]);
        } else {
            shape.push(layout.shape[d]);
            strides.push(layout.strides[d]);
        }
    }
    let outer: usize = shape.iter().product();
    let inner: usize = inner_shape.iter().product();
    shape.extend(inner_shape);
    strides.extend(inner_strides);
    let reordered = Layout { shape, strides, offset: layout.offset };
    let mut out = vec![T::default(); outer];
    if inner == 0 {
        return out;
    }
    let mut run = Vec::with_capacity(inner);
    let mut k = 0;
    reordered.for_each_offset(|o| {
        run.push(data[o]);
        if run.len() == inner {
            out[k] = sum_slice(&run);
            run.clear();
            k += 1;
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_all_is_exact_on_integers_of_every_size() {
        for n in [0usize, 1, 7, 8, 9, GRAIN - 1, GRAIN + 3, 3 * CHUNK + 5] {
            let v: Vec<i64> = (0..n as i64).collect();
            assert_eq!(sum_all(&v, &Layout::contiguous(&[n])), (n as i64) * (n as i64 - 1).max(0) / 2);
        }
    }

    #[test]
    fn sum_dims_reduces_rows_and_columns() {
        let v = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0];
        let l = Layout::contiguous(&[2, 3]);
        assert_eq!(sum_dims(&v, &l, &[true, false]), vec![5.0, 7.0, 9.0]);
        assert_eq!(sum_dims(&v, &l, &[false, true]), vec![6.0, 15.0]);
        assert_eq!(sum_dims(&v, &l, &[true, true]), vec![21.0]);
    }

    #[test]
    fn float_sum_does_not_depend_on_thread_count() {
        let v: Vec<f32> = (0..200_000).map(|i| ((i * 7919) % 1000) as f32 * 0.001).collect();
        let l = Layout::contiguous(&[v.len()]);
        let many = sum_all(&v, &l);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let one = pool.install(|| sum_all(&v, &l));
        assert_eq!(many.to_bits(), one.to_bits());
    }
}
