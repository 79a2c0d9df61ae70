//! Convolution and pooling kernels over contiguous NCHW planes: im2col/col2im (a convolution is
//! then one gemm per sample), max pooling with PyTorch's flat plane indices, average pooling with
//! its padding/divisor rules, and adaptive average pooling. 1-d ops use these with a height of 1.
//! Work is split over (sample, channel) planes: above [`GRAIN`](super::GRAIN) elements of work
//! the planes are `cpu::split` pieces (handed to the pool only when the first one shows it pays).

use num_traits::Float;

use crate::tensor::Element;

/// The sizes of one sliding-window op (convolution or pooling) over `n*c` volumes of up to 3
/// spatial dims (depth, height, width); 2-d ops have depth 1 and 1-d ops also height 1, with unit
/// kernel, stride and dilation and no padding along the missing dims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Samples.
    pub n: usize,
    /// Channels.
    pub c: usize,
    /// Input depth.
    pub d: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Kernel depth.
    pub kd: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Stride along the depth.
    pub sd: usize,
    /// Stride along the height.
    pub sh: usize,
    /// Stride along the width.
    pub sw: usize,
    /// Zero padding before (and for pooling after) the depth.
    pub pd: usize,
    /// Padding along the height.
    pub ph: usize,
    /// Padding along the width.
    pub pw: usize,
    /// Dilation along the depth.
    pub dd: usize,
    /// Dilation along the height.
    pub dh: usize,
    /// Dilation along the width.
    pub dw: usize,
    /// Output depth.
    pub od: usize,
    /// Output height.
    pub oh: usize,
    /// Output width.
    pub ow: usize,
}

impl Window {
    /// A window from per-dim (depth, height, width) sizes.
    #[allow(clippy::too_many_arguments)]
    pub fn new(n: usize, c: usize, size: [usize; 3], kernel: [usize; 3], stride: [usize; 3], pad: [usize; 3], dil: [usize; 3], out: [usize; 3]) -> Window {
        let ([d, h, w], [kd, kh, kw], [sd, sh, sw], [pd, ph, pw], [dd, dh, dw], [od, oh, ow]) = (size, kernel, stride, pad, dil, out);
        Window { n, c, d, h, w, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw, od, oh, ow }
    }
    /// Output positions per (sample, channel).
    pub fn out_plane(&self) -> usize {
        self.od * self.oh * self.ow
    }
    /// Input elements per (sample, channel).
    pub fn in_plane(&self) -> usize {
        self.d * self.h * self.w
    }
    /// Kernel taps.
    pub fn taps(&self) -> usize {
        self.kd * self.kh * self.kw
    }
    /// The input row (or column) read by output position `o` at kernel tap `k`, if inside.
    #[inline]
    fn source(o: usize, k: usize, stride: usize, pad: usize, dil: usize, size: usize) -> Option<usize> {
        let pos = (o * stride + k * dil) as isize - pad as isize;
        (pos >= 0 && (pos as usize) < size).then_some(pos as usize)
    }
    /// The first in-bounds tap's input position for output `o` (PyTorch's max-pool start).
    #[inline]
    fn first_tap(o: usize, stride: usize, pad: usize, dil: usize) -> usize {
        let mut p = o as isize * stride as isize - pad as isize;
        while p < 0 {
            p += dil as isize;
        }
        p as usize
    }
}

/// Runs `f(i, chunk)` over consecutive `chunk`-sized pieces of `out`, as `cpu::split` pieces
/// when `work` is large.
fn for_chunks<T: Send>(out: &mut [T], chunk: usize, work: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    if chunk == 0 {
        return;
    }
    if super::parallel(work) && out.len() > chunk {
        super::split::for_pieces(out.chunks_mut(chunk).enumerate().collect(), |(i, c)| f(i, c));
    } else {
        out.chunks_mut(chunk).enumerate().for_each(|(i, c)| f(i, c));
    }
}

/// Calls `f(tap, out_row_start, in_row_start)` for every kernel tap and every output row
/// (oz, oy) whose input row (iz, iy) is inside: the row offsets are into an output plane of
/// `ow`-long rows and an input plane of `w`-long rows. The width loop is left to `f`.
#[inline]
fn for_rows(g: &Window, mut f: impl FnMut(usize, usize, usize, usize)) {
    for a in 0..g.kd {
        for i in 0..g.kh {
            for j in 0..g.kw {
                let tap = (a * g.kh + i) * g.kw + j;
                for oz in 0..g.od {
                    let Some(iz) = Window::source(oz, a, g.sd, g.pd, g.dd, g.d) else { continue };
                    for oy in 0..g.oh {
                        let Some(iy) = Window::source(oy, i, g.sh, g.ph, g.dh, g.h) else { continue };
                        f(tap, j, (oz * g.oh + oy) * g.ow, (iz * g.h + iy) * g.w);
                    }
                }
            }
        }
    }
}

/// Unfolds `x` (n, c, d, h, w) into columns (n, c*kd*kh*kw, od*oh*ow): row
/// `((ci*kd + a)*kh + i)*kw + j` holds the input under kernel tap (a, i, j) of channel `ci` for
/// every output position (zeros in the padding).
pub fn im2col<T: Element>(x: &[T], g: &Window) -> Vec<T> {
    let (l, taps) = (g.out_plane(), g.taps());
    let mut cols = vec![T::default(); g.n * g.c * taps * l];
    let g = *g;
    for_chunks(&mut cols, taps * l, g.n * g.c * taps * l, |nc, block| {
        let plane = &x[nc * g.in_plane()..(nc + 1) * g.in_plane()];
        for_rows(&g, |tap, j, out_row, in_row| {
            let dst = &mut block[tap * l + out_row..tap * l + out_row + g.ow];
            let src = &plane[in_row..in_row + g.w];
            for (ox, d) in dst.iter_mut().enumerate() {
                if let Some(ix) = Window::source(ox, j, g.sw, g.pw, g.dw, g.w) {
                    *d = src[ix];
                }
            }
        });
    });
    cols
}

/// The adjoint of [`im2col`]: sums columns (n, c*taps, od*oh*ow) back into a volume (n, c, d, h, w).
pub fn col2im<T: Element + Float>(cols: &[T], g: &Window) -> Vec<T> {
    let (l, taps) = (g.out_plane(), g.taps());
    let mut x = vec![T::zero(); g.n * g.c * g.in_plane()];
    let g = *g;
    for_chunks(&mut x, g.in_plane(), g.n * g.c * taps * l, |nc, plane| {
        let block = &cols[nc * taps * l..(nc + 1) * taps * l];
        for_rows(&g, |tap, j, out_row, in_row| {
            let src = &block[tap * l + out_row..tap * l + out_row + g.ow];
            let dst = &mut plane[in_row..in_row + g.w];
            for (ox, &v) in src.iter().enumerate() {
                if let Some(ix) = Window::source(ox, j, g.sw, g.pw, g.dw, g.w) {
                    dst[ix] = dst[ix] + v;
                }
            }
        });
    });
    x
}

/// Max pooling: the maximum of each window (NaN wins, as in PyTorch) and its flat index in the
/// input volume (`(iz * h + iy) * w + ix`). Generic over ordered elements: PyTorch's 3-d pooling
/// also takes integer tensors.
pub fn max_pool<T: Element + PartialOrd>(x: &[T], g: &Window) -> (Vec<T>, Vec<i64>) {
    let l = g.out_plane();
    let g = *g;
    let work = g.n * g.c * l * g.taps();
    // Pair values with indices so one parallel pass fills both.
    let mut pairs: Vec<(T, i64)> = vec![(T::default(), 0); g.n * g.c * l];
    for_chunks(&mut pairs, l, work, |nc, dst| {
        let plane = &x[nc * g.in_plane()..(nc + 1) * g.in_plane()];
        for oz in 0..g.od {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    // PyTorch starts at the first in-bounds tap.
                    let z0 = Window::first_tap(oz, g.sd, g.pd, g.dd);
                    let y0 = Window::first_tap(oy, g.sh, g.ph, g.dh);
                    let x0 = Window::first_tap(ox, g.sw, g.pw, g.dw);
                    let mut at = (z0 * g.h + y0) * g.w + x0;
                    let mut best: Option<T> = None;
                    for a in 0..g.kd {
                        let Some(iz) = Window::source(oz, a, g.sd, g.pd, g.dd, g.d) else { continue };
                        for i in 0..g.kh {
                            let Some(iy) = Window::source(oy, i, g.sh, g.ph, g.dh, g.h) else { continue };
                            for j in 0..g.kw {
                                let Some(ix) = Window::source(ox, j, g.sw, g.pw, g.dw, g.w) else { continue };
                                let k = (iz * g.h + iy) * g.w + ix;
                                let v = plane[k];
                                // A NaN (the one value unequal to itself) wins, as in PyTorch.
                                #[allow(clippy::eq_op)]
                                if best.is_none_or(|b| v > b) || v != v {
                                    best = Some(v);
                                    at = k;
                                }
                            }
                        }
                    }
                    // A window with no tap inside (possible with dilation) gives the lowest value, as PyTorch.
                    dst[(oz * g.oh + oy) * g.ow + ox] = (best.unwrap_or_else(|| T::from_f64(f64::NEG_INFINITY)), at as i64);
                }
            }
        }
    });
    pairs.into_iter().unzip()
}

/// The backward of max pooling (fixed or adaptive): each output gradient is added at its
/// recorded index in an `in_plane`-element input plane.
pub fn max_pool_backward<T: Element + Float>(grad: &[T], idx: &[i64], planes: usize, in_plane: usize, out_plane: usize) -> Vec<T> {
    let mut gx = vec![T::zero(); planes * in_plane];
    for_chunks(&mut gx, in_plane, planes * out_plane, |nc, plane| {
        for k in nc * out_plane..(nc + 1) * out_plane {
            let at = idx[k] as usize;
            plane[at] = plane[at] + grad[k];
        }
    });
    gx
}

/// Average-pooling rules: `count_include_pad` divides by the window clipped to the padded input,
/// otherwise by the in-bounds part; `divisor` overrides both.
#[derive(Clone, Copy, Debug)]
pub struct AvgRule {
    /// Count padding zeros in the divisor.
    pub count_include_pad: bool,
    /// `divisor_override`.
    pub divisor: Option<usize>,
}

/// The in-bounds window `[z0, z1) x [y0, y1) x [x0, x1)` of output (oz, oy, ox) and its divisor
/// (0: empty window).
#[inline]
fn avg_window(g: &Window, rule: AvgRule, o: [usize; 3]) -> ([(usize, usize); 3], usize) {
    let dims = [(g.d, g.kd, g.sd, g.pd), (g.h, g.kh, g.sh, g.ph), (g.w, g.kw, g.sw, g.pw)];
    let mut ranges = [(0, 0); 3];
    let (mut pool, mut inside) = (1, 1);
    for (r, ((size, k, s, p), o)) in ranges.iter_mut().zip(dims.into_iter().zip(o)) {
        let start = o as isize * s as isize - p as isize;
        let end = (start + k as isize).min((size + p) as isize);
        pool *= (end - start) as usize;
        let (lo, hi) = (start.max(0) as usize, end.min(size as isize).max(0) as usize);
        if lo >= hi {
            return ([(0, 0); 3], 0);
        }
        inside *= hi - lo;
        *r = (lo, hi);
    }
    let divisor = match (rule.divisor, rule.count_include_pad) {
        (Some(d), _) => d,
        (None, true) => pool,
        (None, false) => inside,
    };
    (ranges, divisor)
}

/// Calls `f(output_index, input_row_range, divisor)` for every input row of every non-empty
/// average-pooling window.
#[inline]
fn for_avg_rows(g: &Window, rule: AvgRule, mut f: impl FnMut(usize, std::ops::Range<usize>, usize)) {
    for oz in 0..g.od {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let ([(z0, z1), (y0, y1), (x0, x1)], divisor) = avg_window(g, rule, [oz, oy, ox]);
                if divisor == 0 {
                    continue;
                }
                let o = (oz * g.oh + oy) * g.ow + ox;
                for iz in z0..z1 {
                    for iy in y0..y1 {
                        let row = (iz * g.h + iy) * g.w;
                        f(o, row + x0..row + x1, divisor);
                    }
                }
            }
        }
    }
}

/// Average pooling (dilation 1).
pub fn avg_pool<T: Element + Float>(x: &[T], g: &Window, rule: AvgRule) -> Vec<T> {
    let l = g.out_plane();
    let mut out = vec![T::zero(); g.n * g.c * l];
    let g = *g;
    for_chunks(&mut out, l, g.n * g.c * l * g.taps(), |nc, dst| {
        let plane = &x[nc * g.in_plane()..(nc + 1) * g.in_plane()];
        // Sums first (rows of one window are visited consecutively), divided once at the end.
        let mut divisors = vec![0usize; l];
        for_avg_rows(&g, rule, |o, row, divisor| {
            dst[o] = plane[row].iter().fold(dst[o], |s, &v| s + v);
            divisors[o] = divisor;
        });
        for (d, &div) in dst.iter_mut().zip(&divisors) {
            if div != 0 {
                *d = *d / T::from(div).expect("small");
            }
        }
    });
    out
}

/// The backward of average pooling: each output gradient, divided by its divisor, spread over
/// its in-bounds window.
pub fn avg_pool_backward<T: Element + Float>(grad: &[T], g: &Window, rule: AvgRule) -> Vec<T> {
    let l = g.out_plane();
    let mut gx = vec![T::zero(); g.n * g.c * g.in_plane()];
    let g = *g;
    for_chunks(&mut gx, g.in_plane(), g.n * g.c * l * g.taps(), |nc, plane| {
        let gp = &grad[nc * l..(nc + 1) * l];
        for_avg_rows(&g, rule, |o, row, divisor| {
            let v = gp[o] / T::from(divisor).expect("small");
            for d in &mut plane[row] {
                *d = *d + v;
            }
        });
    });
    gx
}

/// The input range `[start, end)` pooled into adaptive output `o` of `out` from `size` inputs.
#[inline]
fn adaptive_range(o: usize, out: usize, size: usize) -> (usize, usize) {
    (o * size / out, ((o + 1) * size).div_ceil(out))
}

/// Calls `f(output_index, input_row_range)` for every input row of every adaptive window of a
/// `size` (d, h, w) plane pooled to `out`.
#[inline]
fn for_adaptive_rows(size: [usize; 3], out: [usize; 3], mut f: impl FnMut(usize, std::ops::Range<usize>)) {
    let ([_, h, w], [od, oh, ow]) = (size, out);
    for oz in 0..od {
        let (z0, z1) = adaptive_range(oz, od, size[0]);
        for oy in 0..oh {
            let (y0, y1) = adaptive_range(oy, oh, h);
            for ox in 0..ow {
                let (x0, x1) = adaptive_range(ox, ow, w);
                let o = (oz * oh + oy) * ow + ox;
                for iz in z0..z1 {
                    for iy in y0..y1 {
                        let row = (iz * h + iy) * w;
                        f(o, row + x0..row + x1);
                    }
                }
            }
        }
    }
}

/// The number of inputs in adaptive window `o` (flat over `out`).
fn adaptive_count(size: [usize; 3], out: [usize; 3], o: usize) -> usize {
    let pos = [o / (out[1] * out[2]), o / out[2] % out[1], o % out[2]];
    (0..3).map(|d| {
        let (a, b) = adaptive_range(pos[d], out[d], size[d]);
        b - a
    }).product()
}

/// The number of inputs of every adaptive window, computed once per call (not per plane or row).
fn adaptive_counts<T: Float>(size: [usize; 3], out: [usize; 3]) -> Vec<T> {
    (0..out.iter().product::<usize>()).map(|o| T::from(adaptive_count(size, out, o)).expect("small")).collect()
}

/// Adaptive average pooling of `planes` planes of `size` (d, h, w) to `out`.
pub fn adaptive_avg_pool<T: Element + Float>(x: &[T], planes: usize, size: [usize; 3], out: [usize; 3]) -> Vec<T> {
    let (inp, outp) = (size.iter().product::<usize>(), out.iter().product::<usize>());
    let counts = adaptive_counts::<T>(size, out);
    let mut y = vec![T::zero(); planes * outp];
    for_chunks(&mut y, outp, planes * inp, |nc, dst| {
        let plane = &x[nc * inp..(nc + 1) * inp];
        for_adaptive_rows(size, out, |o, row| dst[o] = plane[row].iter().fold(dst[o], |s, &v| s + v));
        for (d, &n) in dst.iter_mut().zip(&counts) {
            *d = *d / n;
        }
    });
    y
}

/// The backward of adaptive average pooling.
pub fn adaptive_avg_pool_backward<T: Element + Float>(grad: &[T], planes: usize, size: [usize; 3], out: [usize; 3]) -> Vec<T> {
    let (inp, outp) = (size.iter().product::<usize>(), out.iter().product::<usize>());
    let counts = adaptive_counts::<T>(size, out);
    let mut gx = vec![T::zero(); planes * inp];
    for_chunks(&mut gx, inp, planes * inp, |nc, plane| {
        let gp = &grad[nc * outp..(nc + 1) * outp];
        for_adaptive_rows(size, out, |o, row| {
            let v = gp[o] / counts[o];
            for d in &mut plane[row] {
                *d = *d + v;
            }
        });
    });
    gx
}

/// Adaptive max pooling: each window's maximum (NaN wins) and its flat index in the input plane.
pub fn adaptive_max_pool<T: Element + Float>(x: &[T], planes: usize, size: [usize; 3], out: [usize; 3]) -> (Vec<T>, Vec<i64>) {
    let (inp, outp) = (size.iter().product::<usize>(), out.iter().product::<usize>());
    let mut pairs: Vec<(T, i64)> = vec![(T::neg_infinity(), -1); planes * outp];
    for_chunks(&mut pairs, outp, planes * inp, |nc, dst| {
        let plane = &x[nc * inp..(nc + 1) * inp];
        for_adaptive_rows(size, out, |o, row| {
            for k in row {
                let (best, at) = dst[o];
                // The first maximum wins, and any NaN over it (PyTorch's comparison).
                if at < 0 || plane[k] > best || plane[k].is_nan() {
                    dst[o] = (plane[k], k as i64);
                }
            }
        });
    });
    pairs.into_iter().unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(n: usize, c: usize, h: usize, w: usize, k: usize, s: usize, p: usize, d: usize) -> Window {
        let out = |size: usize| (size + 2 * p - d * (k - 1) - 1) / s + 1;
        Window::new(n, c, [1, h, w], [1, k, k], [1, s, s], [0, p, p], [1, d, d], [1, out(h), out(w)])
    }

    fn window3(n: usize, c: usize, size: [usize; 3], k: usize, s: usize, p: usize, d: usize) -> Window {
        let out = |size: usize| (size + 2 * p - d * (k - 1) - 1) / s + 1;
        Window::new(n, c, size, [k; 3], [s; 3], [p; 3], [d; 3], size.map(out))
    }

    fn values(len: usize) -> Vec<f64> {
        (0..len).map(|i| ((i * 37 % 101) as f64) * 0.25 - 7.0).collect()
    }

    /// <col2im(c), x> == <c, im2col(x)>: the two kernels are adjoint, serial or parallel.
    #[test]
    fn im2col_and_col2im_are_adjoint() {
        let flat = [(1, 1, 5, 4, 3, 1, 1, 1), (2, 3, 7, 6, 3, 2, 1, 2), (3, 70, 20, 19, 3, 1, 1, 1)].map(|(n, c, h, w, k, s, p, d)| window(n, c, h, w, k, s, p, d));
        let deep = [window3(1, 2, [4, 5, 3], 2, 1, 1, 1), window3(2, 3, [6, 5, 7], 3, 2, 1, 2)];
        for g in flat.into_iter().chain(deep) {
            let (n, c) = (g.n, g.c);
            let (h, w) = (g.d * g.h, g.w);
            let x = values(n * c * h * w);
            let cols = im2col(&x, &g);
            let probe = values(cols.len()).iter().map(|v| v * 0.5 + 1.0).collect::<Vec<_>>();
            let back = col2im(&probe, &g);
            let lhs: f64 = back.iter().zip(&x).map(|(a, b)| a * b).sum();
            let rhs: f64 = probe.iter().zip(&cols).map(|(a, b)| a * b).sum();
            assert!((lhs - rhs).abs() < 1e-6 * lhs.abs().max(1.0), "{lhs} vs {rhs}");
        }
    }

    #[test]
    fn max_pool_picks_window_maxima_and_routes_gradients() {
        let g = window(1, 1, 4, 4, 2, 2, 0, 1);
        let x: Vec<f64> = (0..16).map(|i| i as f64).collect();
        let (out, idx) = max_pool(&x, &g);
        assert_eq!(out, vec![5.0, 7.0, 13.0, 15.0]);
        assert_eq!(idx, vec![5, 7, 13, 15]);
        let gx = max_pool_backward(&[1.0, 2.0, 3.0, 4.0], &idx, 1, 16, 4);
        assert_eq!(gx[5] + gx[7] + gx[13] + gx[15], 10.0);
        assert_eq!(gx.iter().sum::<f64>(), 10.0);
    }

    #[test]
    fn avg_pool_divisors_follow_count_include_pad() {
        let g = window(1, 1, 2, 2, 2, 1, 1, 1);
        let x = vec![1.0f64, 2.0, 3.0, 4.0];
        let with = avg_pool(&x, &g, AvgRule { count_include_pad: true, divisor: None });
        let without = avg_pool(&x, &g, AvgRule { count_include_pad: false, divisor: None });
        assert_eq!(with[0], 0.25);
        assert_eq!(without[0], 1.0);
        assert_eq!(with[4], 2.5);
        // Gradients of the sum: each input collects 1/divisor from every window covering it.
        let gx = avg_pool_backward(&[1.0; 9], &g, AvgRule { count_include_pad: true, divisor: None });
        assert_eq!(gx, vec![1.0; 4]);
    }

    #[test]
    fn adaptive_pool_ranges_cover_the_input() {
        let x: Vec<f64> = (0..10).map(|i| i as f64).collect();
        let out = adaptive_avg_pool(&x, 1, [1, 1, 10], [1, 1, 3]);
        assert_eq!(out, vec![1.5, 4.5, 7.5]);
        let gx = adaptive_avg_pool_backward(&[1.0, 1.0, 1.0], 1, [1, 1, 10], [1, 1, 3]);
        assert!((gx.iter().sum::<f64>() - 3.0).abs() < 1e-12);
    }

    #[test]
    fn forced_splits_give_the_bits_of_one_thread() {
        use crate::cpu::split::with_forced_split;
        let g = window(3, 70, 20, 19, 3, 1, 1, 1);
        let x: Vec<f64> = (0..g.n * g.c * g.in_plane()).map(|i| ((i * 7919) % 1013) as f64 * 0.01).collect();
        let run = || {
            let cols = im2col(&x, &g);
            let back = col2im(&cols, &g);
            let (m, idx) = max_pool(&x, &g);
            (cols, back, m, idx)
        };
        assert_eq!(with_forced_split(1, run), with_forced_split(2, run));
    }
}
