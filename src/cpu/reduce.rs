//! Reductions. Deterministic: the input is cut into fixed-size chunks whatever the thread count,
//! and partial results are combined in chunk order, so a sum is bit-identical on 1 or 16 threads.

use std::ops::Add;

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
    let partials: Vec<T> = if super::parallel(n) {
        super::split::map_pieces(values.chunks(CHUNK).collect(), sum_slice)
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

/// Applies `leaf` to fixed-size chunks of `values` (in parallel above [`GRAIN`]) and combines the
/// partial results left to right: the grouping depends only on the length, never on the threads.
pub fn chunked<T: Sync, A: Send>(values: &[T], leaf: impl Fn(&[T]) -> A + Sync, combine: impl Fn(A, A) -> A) -> A {
    if values.len() <= CHUNK {
        return leaf(values);
    }
    let partials: Vec<A> = if super::parallel(values.len()) {
        super::split::map_pieces(values.chunks(CHUNK).collect(), &leaf)
    } else {
        values.chunks(CHUNK).map(&leaf).collect()
    };
    partials.into_iter().reduce(combine).expect("at least one chunk")
}

/// The layout's elements reordered so the flagged dims come last: returns the gathered values,
/// the number of kept positions (`outer`) and the length of each reduced run (`inner`).
pub fn reduced_innermost<T: Element>(data: &[T], layout: &Layout, reduce: &[bool]) -> (Vec<T>, usize, usize) {
    debug_assert_eq!(reduce.len(), layout.ndim());
    let (mut shape, mut strides) = (Vec::new(), Vec::new());
    let (mut inner_shape, mut inner_strides) = (Vec::new(), Vec::new());
    for ((&size, &stride), &r) in layout.shape.iter().zip(&layout.strides).zip(reduce) {
        if r {
            inner_shape.push(size);
            inner_strides.push(stride);
        } else {
            shape.push(size);
            strides.push(stride);
        }
    }
    let outer = shape.iter().product();
    let inner = inner_shape.iter().product();
    shape.extend(inner_shape);
    strides.extend(inner_strides);
    let reordered = Layout { shape, strides, offset: layout.offset };
    (reordered.gather(data), outer, inner)
}

/// Calls `f` on each run of reduced elements (one run per kept position, in logical order of the
/// kept dims; a run lists its elements in logical order of the reduced dims). Runs are spread
/// over threads, and each is computed whole by one call, so results never depend on the pool.
pub fn map_runs<T: Element, U: Send>(data: &[T], layout: &Layout, reduce: &[bool], f: impl Fn(&[T]) -> U + Sync + Send) -> Vec<U> {
    let (values, outer, inner) = reduced_innermost(data, layout, reduce);
    if inner == 0 {
        return (0..outer).map(|_| f(&[])).collect();
    }
    if outer > 1 && super::parallel(values.len()) {
        let per_task = (GRAIN / inner).max(1) * inner;
        let blocks = super::split::map_pieces(values.chunks(per_task).collect(), |b| b.chunks(inner).map(&f).collect::<Vec<U>>());
        blocks.into_iter().flatten().collect()
    } else {
        values.chunks(inner).map(f).collect()
    }
}

/// Rewrites every lane along `dim` with `f(lane_in, lane_out)` and returns the result contiguous
/// in the layout's logical order (softmax, cumsum). Lanes run in parallel above [`GRAIN`].
pub fn map_lanes<T: Element, U: Element>(data: &[T], layout: &Layout, dim: usize, f: impl Fn(&[T], &mut [U]) + Sync + Send) -> Vec<U> {
    let ndim = layout.ndim();
    let mut reduce = vec![false; ndim];
    if ndim > 0 {
        reduce[dim] = true;
    }
    let (values, _, len) = reduced_innermost(data, layout, &reduce);
    let mut out = vec![U::default(); values.len()];
    if len == 0 || values.is_empty() {
        return out;
    }
    if super::parallel(values.len()) {
        let per_task = (GRAIN / len).max(1) * len;
        super::split::for_pieces(out.chunks_mut(per_task).zip(values.chunks(per_task)).collect(), |(o, v)| {
            o.chunks_mut(len).zip(v.chunks(len)).for_each(|(o, v)| f(v, o))
        });
    } else {
        out.chunks_mut(len).zip(values.chunks(len)).for_each(|(o, v)| f(v, o));
    }
    if ndim == 0 || dim == ndim - 1 {
        return out;
    }
    // `out` is laid out with `dim` innermost; read it back in the original dim order.
    let mut strides = vec![0; ndim];
    let mut step = 1;
    strides[dim] = 1;
    step *= layout.shape[dim];
    for d in (0..ndim).rev().filter(|&d| d != dim) {
        strides[d] = step;
        step *= layout.shape[d];
    }
    Layout { shape: layout.shape.clone(), strides, offset: 0 }.gather(&out)
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

    #[test]
    fn runs_follow_the_kept_dims_in_order() {
        let v: Vec<i64> = (0..24).collect();
        let l = Layout::contiguous(&[2, 3, 4]);
        // Reduce the middle dim: each run is 3 elements 4 apart.
        let runs = map_runs(&v, &l, &[false, true, false], |r| r.to_vec());
        assert_eq!(runs.len(), 8);
        assert_eq!(runs[0], vec![0, 4, 8]);
        assert_eq!(runs[5], vec![13, 17, 21]);
        let empty = map_runs(&Vec::<i64>::new(), &Layout::contiguous(&[2, 0]), &[false, true], |r| r.len());
        assert_eq!(empty, vec![0, 0]);
    }

    #[test]
    fn lanes_come_back_in_logical_order() {
        let v: Vec<i64> = (0..6).collect();
        let l = Layout::contiguous(&[2, 3]);
        let cumsum = |x: &[i64], o: &mut [i64]| {
            let mut acc = 0;
            for (a, b) in x.iter().zip(o.iter_mut()) {
                acc += a;
                *b = acc;
            }
        };
        assert_eq!(map_lanes(&v, &l, 0, cumsum), vec![0, 1, 2, 3, 5, 7]);
        assert_eq!(map_lanes(&v, &l, 1, cumsum), vec![0, 1, 3, 3, 7, 12]);
        // A transposed input gives the same result as its contiguous copy.
        let t = Layout { shape: vec![3, 2], strides: vec![1, 3], offset: 0 };
        assert_eq!(map_lanes(&v, &t, 0, cumsum), vec![0, 3, 1, 7, 3, 12]);
    }

    #[test]
    fn parallel_runs_and_chunks_do_not_depend_on_thread_count() {
        for n in [GRAIN - 1, GRAIN + 5, 3 * CHUNK + 1] {
            let v: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32 * 0.001).collect();
            let l = Layout::contiguous(&[n / 5, 5]);
            let cut = &v[..(n / 5) * 5];
            let prod = |x: &[f32]| x.iter().fold(1.0f32, |a, &b| a * (1.0 + b));
            let run = |reduce: &[bool]| map_runs(cut, &l, reduce, |r| chunked(r, prod, |a, b| a * b));
            let many = (run(&[false, true]), run(&[true, false]), run(&[true, true]));
            let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
            let one = pool.install(|| (run(&[false, true]), run(&[true, false]), run(&[true, true])));
            let bits = |v: &Vec<f32>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&many.0), bits(&one.0));
            assert_eq!(bits(&many.1), bits(&one.1));
            assert_eq!(bits(&many.2), bits(&one.2));
        }
    }
}
