//! Running products and extremes along a lane (cumprod, cummax, cummin) and cumprod's fused
//! backward. Lanes are independent and run in parallel blocks through `reduce::map_lanes` /
//! `sort::map_lanes_indexed` (or here, for the three-input backward).

use std::ops::{Add, Div, Mul};

use super::sort::map_lanes_indexed;
use super::GRAIN;
use crate::tensor::{recycle, Element, Layout};

/// Running products of one float lane; float32 accumulates in double and rounds each output, as
/// PyTorch's `cpu_cum_base_kernel` (its accumulation type on CPU).
pub fn cumprod_lane_f32(x: &[f32], o: &mut [f32]) {
    let mut acc = 1.0f64;
    for (v, d) in x.iter().zip(o.iter_mut()) {
        acc *= *v as f64;
        *d = acc as f32;
    }
}

/// Running products of one double lane.
pub fn cumprod_lane_f64(x: &[f64], o: &mut [f64]) {
    let mut acc = 1.0f64;
    for (v, d) in x.iter().zip(o.iter_mut()) {
        acc *= *v;
        *d = acc;
    }
}

/// Running products of one int64 lane (wrapping on overflow, as C++ does).
pub fn cumprod_lane_i64(x: &[i64], o: &mut [i64]) {
    let mut acc = 1i64;
    for (v, d) in x.iter().zip(o.iter_mut()) {
        acc = acc.wrapping_mul(*v);
        *d = acc;
    }
}

/// Running maxima (`max`) or minima of every lane along `dim`, with the index of the element
/// each one came from: NaN, once seen, stays; ties move the index to the later element
/// (PyTorch's `>=` / `<=`).
pub fn cum_extreme<T: Element>(data: &[T], layout: &Layout, dim: usize, max: bool) -> (Vec<T>, Vec<i64>) {
    let len = layout.shape.get(dim).copied().unwrap_or(1);
    map_lanes_indexed(data, layout, dim, len, |lane, values, indices, _| {
        #[allow(clippy::eq_op)]
        let nan = |v: T| v != v;
        let (mut best, mut at) = (lane[0], 0i64);
        for (i, &v) in lane.iter().enumerate() {
            let better = if max { v >= best } else { v <= best };
            if nan(v) || (!nan(best) && better) {
                best = v;
                at = i as i64;
            }
            values[i] = best;
            indices[i] = at;
        }
    })
}

/// The gradient of one lane of `y = cumprod(x)` for the incoming `g`, exact with zeros in `x`:
/// before the first zero z1, `sum_{k<=j<z1} g_j y_j / x_k`; at z1, `prod(x[..z1])` times
/// `sum_{z1<=j<z2} g_j prod(x[z1+1..=j])` (z2 the second zero); after z1, zero. Sums run from the
/// end in double, as PyTorch's reversed cumsum does for float32.
pub fn cumprod_backward_lane<T>(x: &[T], g: &[T], y: &[T], out: &mut [T])
where
    T: Element + Mul<Output = T> + Div<Output = T> + Add<Output = T>,
{
    let n = x.len();
    let zero = T::default();
    let z1 = x.iter().position(|&v| v == zero).unwrap_or(n);
    let mut acc = 0.0f64;
    for k in (0..z1).rev() {
        acc += (y[k] * g[k]).to_f64();
        out[k] = T::from_f64(acc) / x[k];
    }
    if z1 < n {
        let z2 = x[z1 + 1..].iter().position(|&v| v == zero).map_or(n, |p| z1 + 1 + p);
        let (mut running, mut sum) = (T::one(), g[z1]);
        for j in z1 + 1..z2 {
            running = running * x[j];
            sum = sum + g[j] * running;
        }
        let before = if z1 == 0 { T::one() } else { y[z1 - 1] };
        out[z1] = sum * before;
        for o in &mut out[z1 + 1..] {
            *o = zero;
        }
    }
}

/// `(outer, len, inner)` of `shape` around `dim`: element `(o, k, i)` of a contiguous tensor sits
/// at `(o * len + k) * inner + i`.
fn around(shape: &[usize], dim: usize) -> (usize, usize, usize) {
    let len = shape.get(dim).copied().unwrap_or(1);
    (shape[..dim.min(shape.len())].iter().product(), len, shape.iter().skip(dim + 1).product())
}

/// The elements of `(data, layout)` contiguous: borrowed when already so.
fn dense<'a, T: Element>(data: &'a [T], layout: &Layout) -> std::borrow::Cow<'a, [T]> {
    if layout.is_contiguous() {
        std::borrow::Cow::Borrowed(&data[layout.offset..layout.offset + layout.numel()])
    } else {
        std::borrow::Cow::Owned(layout.gather(data))
    }
}

/// cummax/cummin's backward, `zeros.scatter_add(dim, indices, grad)`, fused: each lane adds its
/// grads into the positions its indices name, in lane order (PyTorch's summation order, so the
/// same float sums). Works on the tensors in place (no transposition to dim-innermost): for
/// `dim` not last, the inner positions of one step run together. Blocks of outer positions run
/// in parallel above the grain. The indices come from the forward and are in range.
pub fn cum_extreme_backward<T: Element + Add<Output = T>>(g: (&[T], &Layout), idx: (&[i64], &Layout), dim: usize) -> Vec<T> {
    let shape = &g.1.shape;
    let (outer, len, inner) = around(shape, dim);
    let (gs, is) = (dense(g.0, g.1), dense(idx.0, idx.1));
    let mut out = recycle::filled_vec(gs.len(), T::default());
    let block = len * inner;
    if block == 0 {
        return out;
    }
    let run = |((o, g), ix): ((&mut [T], &[T]), &[i64])| {
        for ((o, g), ix) in o.chunks_mut(block).zip(g.chunks(block)).zip(ix.chunks(block)) {
            for (gk, ik) in g.chunks(inner).zip(ix.chunks(inner)) {
                for (i, (&v, &at)) in gk.iter().zip(ik).enumerate() {
                    let slot = &mut o[at as usize * inner + i];
                    *slot = *slot + v;
                }
            }
        }
    };
    let step = (GRAIN / block).max(1) * block;
    let pieces = out.chunks_mut(step).zip(gs.chunks(step)).zip(is.chunks(step));
    if outer > 1 && super::parallel(gs.len()) {
        super::split::for_pieces(pieces.collect(), run);
    } else {
        pieces.for_each(run);
    }
    out
}

/// [`cumprod_backward_lane`]'s result over every lane along `dim` of three same-shaped tensors,
/// computed in place (no transposition to dim-innermost: for `dim` not last, the inner positions
/// of one step run together, each with its own double accumulator), contiguous in logical
/// order. Per lane the arithmetic is exactly [`cumprod_backward_lane`]'s. Blocks of outer
/// positions run in parallel above the grain.
pub fn cumprod_backward<T>(x: (&[T], &Layout), g: (&[T], &Layout), y: (&[T], &Layout), dim: usize) -> Vec<T>
where
    T: Element + Mul<Output = T> + Div<Output = T> + Add<Output = T>,
{
    let (outer, len, inner) = around(&x.1.shape, dim);
    let (xs, gs, ys) = (dense(x.0, x.1), dense(g.0, g.1), dense(y.0, y.1));
    let mut out = recycle::filled_vec(xs.len(), T::default());
    let block = len * inner;
    if block == 0 {
        return out;
    }
    let zero = T::default();
    let run = |(((o, x), g), y): (((&mut [T], &[T]), &[T]), &[T])| {
        let (mut first_zero, mut acc) = (vec![len; inner], vec![0.0f64; inner]);
        for (((o, x), g), y) in o.chunks_mut(block).zip(x.chunks(block)).zip(g.chunks(block)).zip(y.chunks(block)) {
            first_zero.fill(len);
            for (k, xk) in x.chunks(inner).enumerate() {
                for (z, &v) in first_zero.iter_mut().zip(xk) {
                    if v == zero && *z == len {
                        *z = k;
                    }
                }
            }
            acc.fill(0.0);
            for k in (0..len).rev() {
                let at = k * inner;
                let row = o[at..at + inner].iter_mut().zip(&x[at..at + inner]).zip(&g[at..at + inner]).zip(&y[at..at + inner]);
                for ((((o, &xv), &gv), &yv), (a, &z)) in row.zip(acc.iter_mut().zip(&first_zero)) {
                    if k < z {
                        *a += (yv * gv).to_f64();
                        *o = T::from_f64(*a) / xv;
                    }
                }
            }
            // Lanes holding a zero: the element at the first zero (the rest after it stays 0).
            for (i, &z1) in first_zero.iter().enumerate().filter(|&(_, &z)| z < len) {
                let (mut running, mut sum) = (T::one(), g[z1 * inner + i]);
                for j in z1 + 1..len {
                    let xj = x[j * inner + i];
                    if xj == zero {
                        break;
                    }
                    running = running * xj;
                    sum = sum + g[j * inner + i] * running;
                }
                let before = if z1 == 0 { T::one() } else { y[(z1 - 1) * inner + i] };
                o[z1 * inner + i] = sum * before;
            }
        }
    };
    let step = (GRAIN / block).max(1) * block;
    let pieces = out.chunks_mut(step).zip(xs.chunks(step)).zip(gs.chunks(step)).zip(ys.chunks(step));
    if outer > 1 && super::parallel(xs.len()) {
        super::split::for_pieces(pieces.collect(), run);
    } else {
        pieces.for_each(run);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::split::with_forced_split;

    /// d/dx_k of sum_j g_j prod_{i<=j} x_i by brute force (products omitting x_k).
    fn brute(x: &[f64], g: &[f64]) -> Vec<f64> {
        (0..x.len())
            .map(|k| (k..x.len()).map(|j| g[j] * (0..=j).filter(|&i| i != k).map(|i| x[i]).product::<f64>()).sum())
            .collect()
    }

    #[test]
    fn cumprod_backward_is_exact_with_zeros() {
        let g = [0.5, -1.0, 2.0, 1.5, -0.25, 3.0];
        for x in [
            [2.0, 3.0, -1.0, 0.5, 4.0, 1.5],
            [2.0, 0.0, -1.0, 0.5, 4.0, 1.5],
            [0.0, 3.0, -1.0, 0.0, 4.0, 1.5],
            [2.0, 3.0, 0.0, 0.5, 0.0, 0.0],
            [2.0, 3.0, -1.0, 0.5, 4.0, 0.0],
        ] {
            let mut y = vec![0.0; 6];
            cumprod_lane_f64(&x, &mut y);
            let mut out = vec![0.0; 6];
            cumprod_backward_lane(&x, &g, &y, &mut out);
            for (a, b) in out.iter().zip(brute(&x, &g)) {
                assert!((a - b).abs() < 1e-12, "{x:?}: {out:?}");
            }
        }
    }

    #[test]
    fn cumprod_backward_along_a_middle_dim_matches_the_lane_kernel() {
        // shape [2, 4, 3], dim 1, zeros in some lanes (one lane with two zeros, one starting with one)
        let shape = [2usize, 4, 3];
        let n = 24;
        let x: Vec<f64> = (0..n).map(|i| if [4, 10, 13, 19, 7].contains(&i) { 0.0 } else { 0.5 + (i % 5) as f64 * 0.3 }).collect();
        let g: Vec<f64> = (0..n).map(|i| ((i * 7) % 5) as f64 - 1.5).collect();
        let l = Layout::contiguous(&shape);
        let lane = |v: &[f64], o: usize, i: usize| (0..4).map(|k| v[(o * 4 + k) * 3 + i]).collect::<Vec<f64>>();
        let mut y = vec![0.0; n];
        for o in 0..2 {
            for i in 0..3 {
                let mut yl = vec![0.0; 4];
                cumprod_lane_f64(&lane(&x, o, i), &mut yl);
                for k in 0..4 {
                    y[(o * 4 + k) * 3 + i] = yl[k];
                }
            }
        }
        let out = cumprod_backward((&x, &l), (&g, &l), (&y, &l), 1);
        for o in 0..2 {
            for i in 0..3 {
                let mut expected = vec![0.0; 4];
                cumprod_backward_lane(&lane(&x, o, i), &lane(&g, o, i), &lane(&y, o, i), &mut expected);
                assert_eq!(lane(&out, o, i), expected, "lane {o} {i}");
            }
        }
    }

    #[test]
    fn cum_extremes_keep_nan_and_move_to_later_ties() {
        let v = [2.0, 2.0, 0.0, f64::NAN, 5.0];
        let (vals, idx) = cum_extreme(&v, &Layout::contiguous(&[5]), 0, true);
        assert_eq!(idx, vec![0, 1, 1, 3, 3]);
        assert!(vals[4].is_nan());
        let (vals, idx) = cum_extreme(&v, &Layout::contiguous(&[5]), 0, false);
        assert_eq!(&vals[..3], &[2.0, 2.0, 0.0]);
        assert_eq!(idx, vec![0, 1, 2, 3, 3]);
        let b = [true, false, true];
        assert_eq!(cum_extreme(&b, &Layout::contiguous(&[3]), 0, true).1, vec![0, 0, 2]);
    }

    #[test]
    fn cum_extreme_backward_adds_into_the_named_positions() {
        // shape [2, 3, 2], dim 1: lanes (o, i) of 3 steps
        let shape = [2usize, 3, 2];
        let l = Layout::contiguous(&shape);
        let g: Vec<f64> = (0..12).map(|v| v as f64 + 1.0).collect();
        let idx: Vec<i64> = vec![0, 0, 0, 1, 2, 1, 0, 0, 1, 0, 1, 2];
        let out = cum_extreme_backward((&g, &l), (&idx, &l), 1);
        let mut expected = vec![0.0; 12];
        for o in 0..2 {
            for k in 0..3 {
                for i in 0..2 {
                    let at = (o * 3 + k) * 2 + i;
                    expected[(o * 3 + idx[at] as usize) * 2 + i] += g[at];
                }
            }
        }
        assert_eq!(out, expected);
        // A transposed grad gives the same as its contiguous copy.
        let t = Layout { shape: vec![3, 2], strides: vec![1, 3], offset: 0 };
        let gt = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let it = [0i64, 1, 1, 0, 0, 2];
        let dense_g = t.gather(&gt);
        assert_eq!(cum_extreme_backward((&gt, &t), (&it, &Layout::contiguous(&[3, 2])), 0), cum_extreme_backward((&dense_g, &Layout::contiguous(&[3, 2])), (&it, &Layout::contiguous(&[3, 2])), 0));
        for (outer, len) in [(GRAIN / 5 + 3, 5), (3, GRAIN / 2 + 7)] {
            let l = Layout::contiguous(&[outer, len]);
            let g: Vec<f32> = (0..outer * len).map(|i| ((i * 17) % 5) as f32 - 2.0).collect();
            let idx: Vec<i64> = (0..outer * len).map(|i| ((i % len) / 2) as i64).collect();
            let one = cum_extreme_backward((&g, &l), (&idx, &l), 1);
            assert_eq!(one, with_forced_split(2, || cum_extreme_backward((&g, &l), (&idx, &l), 1)));
        }
    }

    #[test]
    fn parallel_backward_matches_one_thread() {
        for (lanes, len) in [(GRAIN / 5 + 3, 5), (3, GRAIN / 2 + 7)] {
            let n = lanes * len;
            let x: Vec<f64> = (0..n).map(|i| if i % 11 == 3 { 0.0 } else { 1.0 + ((i * 31) % 7) as f64 * 1e-3 }).collect();
            let g: Vec<f64> = (0..n).map(|i| ((i * 17) % 5) as f64 - 2.0).collect();
            let l = Layout::contiguous(&[lanes, len]);
            let mut y = vec![0.0; n];
            for (xs, ys) in x.chunks(len).zip(y.chunks_mut(len)) {
                cumprod_lane_f64(xs, ys);
            }
            let one = cumprod_backward((&x, &l), (&g, &l), (&y, &l), 1);
            let many = with_forced_split(2, || cumprod_backward((&x, &l), (&g, &l), (&y, &l), 1));
            assert_eq!(one, many);
            // Each lane exactly as the lane kernel computes it.
            for (((o, xs), gs), ys) in one.chunks(len).zip(x.chunks(len)).zip(g.chunks(len)).zip(y.chunks(len)) {
                let mut expected = vec![0.0; len];
                cumprod_backward_lane(xs, gs, ys, &mut expected);
                assert_eq!(o, &expected[..]);
            }
        }
    }
}
