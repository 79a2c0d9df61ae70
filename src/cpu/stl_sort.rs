//! libstdc++'s `std::partial_sort`, `std::nth_element` and `std::sort`, step for step, over a
//! slice with a strict-weak-order `less`. PyTorch's CPU topk (`TopKImpl.h`) runs these on
//! `(value, index)` pairs whose comparator looks at values only, so the order of tied values in
//! its output is whatever these particular algorithms leave; reproducing them gives the same
//! indices as the PyTorch wheels (built with GCC's libstdc++).

/// `floor(log2(n))` for `n > 0` (`std::__lg`).
fn lg(n: usize) -> usize {
    (usize::BITS - 1 - n.leading_zeros()) as usize
}

/// `std::__push_heap`: moves `value` up from `hole` while its parent is less.
fn push_heap<T: Copy>(v: &mut [T], mut hole: usize, top: usize, value: T, less: &impl Fn(&T, &T) -> bool) {
    while hole > top {
        let parent = (hole - 1) / 2;
        if !less(&v[parent], &value) {
            break;
        }
        v[hole] = v[parent];
        hole = parent;
    }
    v[hole] = value;
}

/// `std::__adjust_heap`: sifts the hole at `hole` down to a leaf, then pushes `value` up.
fn adjust_heap<T: Copy>(v: &mut [T], mut hole: usize, len: usize, value: T, less: &impl Fn(&T, &T) -> bool) {
    let top = hole;
    let mut child = hole;
    while len >= 2 && child < (len - 1) / 2 {
        child = 2 * (child + 1);
        if less(&v[child], &v[child - 1]) {
            child -= 1;
        }
        v[hole] = v[child];
        hole = child;
    }
    if len >= 2 && len % 2 == 0 && child == (len - 2) / 2 {
        child = 2 * (child + 1);
        v[hole] = v[child - 1];
        hole = child - 1;
    }
    push_heap(v, hole, top, value, less);
}

/// `std::__make_heap` over `v`.
fn make_heap<T: Copy>(v: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    let len = v.len();
    if len < 2 {
        return;
    }
    let mut parent = (len - 2) / 2;
    loop {
        adjust_heap(v, parent, len, v[parent], less);
        if parent == 0 {
            return;
        }
        parent -= 1;
    }
}

/// `std::__pop_heap(first, last, result)` with the heap `v[..last]` and `result` past it or at
/// `last`.
fn pop_heap<T: Copy>(v: &mut [T], last: usize, result: usize, less: &impl Fn(&T, &T) -> bool) {
    let value = v[result];
    v[result] = v[0];
    adjust_heap(v, 0, last, value, less);
}

/// `std::__heap_select(first, middle, last)`.
fn heap_select<T: Copy>(v: &mut [T], middle: usize, less: &impl Fn(&T, &T) -> bool) {
    make_heap(&mut v[..middle], less);
    for i in middle..v.len() {
        if less(&v[i], &v[0]) {
            pop_heap(v, middle, i, less);
        }
    }
}

/// `std::__sort_heap`.
fn sort_heap<T: Copy>(v: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    let mut last = v.len();
    while last > 1 {
        last -= 1;
        pop_heap(v, last, last, less);
    }
}

/// `std::partial_sort(first, first + middle, last)`: the `middle` least elements, sorted, first.
pub fn partial_sort<T: Copy>(v: &mut [T], middle: usize, less: &impl Fn(&T, &T) -> bool) {
    heap_select(v, middle, less);
    sort_heap(&mut v[..middle], less);
}

/// `std::__move_median_to_first(result, a, b, c)`.
fn move_median_to_first<T: Copy>(v: &mut [T], result: usize, a: usize, b: usize, c: usize, less: &impl Fn(&T, &T) -> bool) {
    let pick = if less(&v[a], &v[b]) {
        if less(&v[b], &v[c]) {
            b
        } else if less(&v[a], &v[c]) {
            c
        } else {
            a
        }
    } else if less(&v[a], &v[c]) {
        a
    } else if less(&v[b], &v[c]) {
        c
    } else {
        b
    };
    v.swap(result, pick);
}

/// `std::__unguarded_partition_pivot` over `v[first..last]`: the cut index.
fn partition_pivot<T: Copy>(v: &mut [T], first: usize, last: usize, less: &impl Fn(&T, &T) -> bool) -> usize {
    let mid = first + (last - first) / 2;
    move_median_to_first(v, first, first + 1, mid, last - 1, less);
    // std::__unguarded_partition(first + 1, last, pivot = first)
    let (mut lo, mut hi) = (first + 1, last);
    loop {
        while less(&v[lo], &v[first]) {
            lo += 1;
        }
        hi -= 1;
        while less(&v[first], &v[hi]) {
            hi -= 1;
        }
        if lo >= hi {
            return lo;
        }
        v.swap(lo, hi);
        lo += 1;
    }
}

/// `std::__unguarded_linear_insert(last)`.
fn linear_insert<T: Copy>(v: &mut [T], mut last: usize, less: &impl Fn(&T, &T) -> bool) {
    let value = v[last];
    while less(&value, &v[last - 1]) {
        v[last] = v[last - 1];
        last -= 1;
    }
    v[last] = value;
}

/// `std::__insertion_sort` over `v[first..last]`.
fn insertion_sort<T: Copy>(v: &mut [T], first: usize, last: usize, less: &impl Fn(&T, &T) -> bool) {
    for i in first + 1..last.max(first + 1) {
        if less(&v[i], &v[first]) {
            let value = v[i];
            v.copy_within(first..i, first + 1);
            v[first] = value;
        } else {
            linear_insert(v, i, less);
        }
    }
}

/// `std::nth_element(first, first + nth, last)`.
pub fn nth_element<T: Copy>(v: &mut [T], nth: usize, less: &impl Fn(&T, &T) -> bool) {
    if v.is_empty() || nth == v.len() {
        return;
    }
    let (mut first, mut last) = (0, v.len());
    let mut depth = lg(v.len()) * 2;
    while last - first > 3 {
        if depth == 0 {
            heap_select(&mut v[first..last], nth - first + 1, less);
            v.swap(first, nth);
            return;
        }
        depth -= 1;
        let cut = partition_pivot(v, first, last, less);
        if cut <= nth {
            first = cut;
        } else {
            last = cut;
        }
    }
    insertion_sort(v, first, last, less);
}

/// `std::sort`: introsort, then the final insertion sort over runs of 16.
pub fn sort<T: Copy>(v: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    if v.is_empty() {
        return;
    }
    introsort_loop(v, 0, v.len(), lg(v.len()) * 2, less);
    if v.len() > 16 {
        insertion_sort(v, 0, 16, less);
        for i in 16..v.len() {
            linear_insert(v, i, less);
        }
    } else {
        insertion_sort(v, 0, v.len(), less);
    }
}

/// `std::__introsort_loop` over `v[first..last]`.
fn introsort_loop<T: Copy>(v: &mut [T], first: usize, mut last: usize, mut depth: usize, less: &impl Fn(&T, &T) -> bool) {
    while last - first > 16 {
        if depth == 0 {
            partial_sort(&mut v[first..last], last - first, less);
            return;
        }
        depth -= 1;
        let cut = partition_pivot(v, first, last, less);
        introsort_loop(v, cut, last, depth, less);
        last = cut;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(n: usize, m: u64, seed: u64) -> Vec<u64> {
        let mut s = seed;
        (0..n).map(|_| { s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); (s >> 33) % m }).collect()
    }

    #[test]
    fn the_algorithms_order_like_their_contracts() {
        let less = |a: &(u64, usize), b: &(u64, usize)| a.0 < b.0;
        for n in [0usize, 1, 2, 3, 4, 5, 16, 17, 33, 100, 1000] {
            for m in [2u64, 5, 1000] {
                let v: Vec<(u64, usize)> = lcg(n, m, n as u64 + m).into_iter().enumerate().map(|(i, x)| (x, i)).collect();
                let mut expected: Vec<u64> = v.iter().map(|p| p.0).collect();
                expected.sort();
                let mut s = v.clone();
                sort(&mut s, &less);
                assert_eq!(s.iter().map(|p| p.0).collect::<Vec<_>>(), expected);
                for k in [1usize, 2, n / 2, n].into_iter().filter(|&k| k >= 1 && k <= n) {
                    let mut p = v.clone();
                    partial_sort(&mut p, k, &less);
                    assert_eq!(p[..k].iter().map(|p| p.0).collect::<Vec<_>>(), expected[..k]);
                    let mut q = v.clone();
                    nth_element(&mut q, k - 1, &less);
                    assert_eq!(q[k - 1].0, expected[k - 1]);
                    assert!(q[..k].iter().all(|p| p.0 <= expected[k - 1]) && q[k..].iter().all(|p| p.0 >= expected[k - 1]));
                    // A permutation of the input.
                    let mut idx: Vec<usize> = q.iter().map(|p| p.1).collect();
                    idx.sort();
                    assert_eq!(idx, (0..n).collect::<Vec<_>>());
                }
            }
        }
    }
}
