//! Running products and extremes along a lane (cumprod, cummax, cummin) and cumprod's fused
//! backward. Lanes are independent and run in parallel blocks through `reduce::map_lanes` /
//! `sort::map_lanes_indexed` (or here, for the three-input backward).

use std::ops::{Add, Div, Mul};

use super::sort::{lanes_of, map_lanes_indexed, restore_order};
use super::GRAIN;
use crate::tensor::{Element, Layout};

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

/// A block of whole lanes: (((output, x), grad), y).
type Piece<'a, T> = (((&'a mut [T], &'a [T]), &'a [T]), &'a [T]);

/// [`cumprod_backward_lane`] over every lane along `dim` of three same-shaped tensors; the
/// result is contiguous in logical order.
pub fn cumprod_backward<T>(x: (&[T], &Layout), g: (&[T], &Layout), y: (&[T], &Layout), dim: usize) -> Vec<T>
where
    T: Element + Mul<Output = T> + Div<Output = T> + Add<Output = T>,
{
    let (xs, lanes, len) = lanes_of(x.0, x.1, dim);
    let (gs, _, _) = lanes_of(g.0, g.1, dim);
    let (ys, _, _) = lanes_of(y.0, y.1, dim);
    let mut out = vec![T::default(); xs.len()];
    if lanes > 0 && len > 0 {
        let step = (GRAIN / len).max(1) * len;
        let pieces = out.chunks_mut(step).zip(xs.chunks(step)).zip(gs.chunks(step)).zip(ys.chunks(step));
        let run = |(((o, x), g), y): Piece<'_, T>| {
            for (((o, x), g), y) in o.chunks_mut(len).zip(x.chunks(len)).zip(g.chunks(len)).zip(y.chunks(len)) {
                cumprod_backward_lane(x, g, y, o);
            }
        };
        if lanes > 1 && super::parallel(xs.len()) {
            super::split::for_pieces(pieces.collect(), run);
        } else {
            pieces.for_each(run);
        }
    }
    restore_order(out, &x.1.shape, dim)
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
        }
    }
}
