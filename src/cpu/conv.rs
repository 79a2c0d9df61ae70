//! Convolution and pooling kernels over contiguous NCHW planes: im2col/col2im (a convolution is
//! then one gemm per sample), max pooling with PyTorch's flat plane indices, average pooling with
//! its padding/divisor rules, and adaptive average pooling. 1-d ops use these with a height of 1.
//! Work is split over (sample, channel) planes: above [`GRAIN`](super::GRAIN) elements of work
//! the planes are `cpu::split` pieces (handed to the pool only when the first one shows it pays).

use num_traits::Float;

use crate::tensor::Element;

/// The sizes of one 2-d sliding-window op (convolution or pooling) over `n*c` planes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Samples.
    pub n: usize,
    /// Channels.
    pub c: usize,
    /// Input height and width.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Kernel height and width.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Strides.
    pub sh: usize,
    /// Stride along the width.
    pub sw: usize,
    /// Zero padding on each side.
    pub ph: usize,
    /// Padding along the width.
    pub pw: usize,
    /// Dilations.
    pub dh: usize,
    /// Dilation along the width.
    pub dw: usize,
    /// Output height and width.
    pub oh: usize,
    /// Output width.
    pub ow: usize,
}

impl Window {
    fn out_plane(&self) -> usize {
        self.oh * self.ow
    }
    fn in_plane(&self) -> usize {
        self.h * self.w
    }
    /// The input row (or column) read by output position `o` at kernel tap `k`, if inside.
    #[inline]
    fn source(o: usize, k: usize, stride: usize, pad: usize, dil: usize, size: usize) -> Option<usize> {
        let pos = (o * stride + k * dil) as isize - pad as isize;
        (pos >= 0 && (pos as usize) < size).then_some(pos as usize)
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

/// Unfolds `x` (n, c, h, w) into columns (n, c*kh*kw, oh*ow): row `(ci*kh + i)*kw + j` holds the
/// input under kernel tap (i, j) of channel `ci` for every output position (zeros in the padding).
pub fn im2col<T: Element>(x: &[T], g: &Window) -> Vec<T> {
    let (l, taps) = (g.out_plane(), g.kh * g.kw);
    let mut cols = vec![T::default(); g.n * g.c * taps * l];
    let g = *g;
    for_chunks(&mut cols, taps * l, g.n * g.c * taps * l, |nc, block| {
        let plane = &x[nc * g.in_plane()..(nc + 1) * g.in_plane()];
        for i in 0..g.kh {
            for j in 0..g.kw {
                let row = &mut block[(i * g.kw + j) * l..(i * g.kw + j + 1) * l];
                for oy in 0..g.oh {
                    let dst = &mut row[oy * g.ow..(oy + 1) * g.ow];
                    let Some(iy) = Window::source(oy, i, g.sh, g.ph, g.dh, g.h) else { continue };
                    let src = &plane[iy * g.w..(iy + 1) * g.w];
                    for (ox, d) in dst.iter_mut().enumerate() {
                        if let Some(ix) = Window::source(ox, j, g.sw, g.pw, g.dw, g.w) {
                            *d = src[ix];
                        }
                    }
                }
            }
        }
    });
    cols
}

/// The adjoint of [`im2col`]: sums columns (n, c*kh*kw, oh*ow) back into an image (n, c, h, w).
pub fn col2im<T: Element + Float>(cols: &[T], g: &Window) -> Vec<T> {
    let (l, taps) = (g.out_plane(), g.kh * g.kw);
    let mut x = vec![T::zero(); g.n * g.c * g.in_plane()];
    let g = *g;
    for_chunks(&mut x, g.in_plane(), g.n * g.c * taps * l, |nc, plane| {
        let block = &cols[nc * taps * l..(nc + 1) * taps * l];
        for i in 0..g.kh {
            for j in 0..g.kw {
                let row = &block[(i * g.kw + j) * l..(i * g.kw + j + 1) * l];
                for oy in 0..g.oh {
                    let Some(iy) = Window::source(oy, i, g.sh, g.ph, g.dh, g.h) else { continue };
                    let dst = &mut plane[iy * g.w..(iy + 1) * g.w];
                    for (ox, &v) in row[oy * g.ow..(oy + 1) * g.ow].iter().enumerate() {
                        if let Some(ix) = Window::source(ox, j, g.sw, g.pw, g.dw, g.w) {
                            dst[ix] = dst[ix] + v;
                        }
                    }
                }
            }
        }
    });
    x
}

/// Max pooling: the maximum of each window (NaN wins, as in PyTorch) and its flat index in the
/// input plane (`iy * w + ix`).
pub fn max_pool2d<T: Element + Float>(x: &[T], g: &Window) -> (Vec<T>, Vec<i64>) {
    let l = g.out_plane();
    let g = *g;
    let work = g.n * g.c * l * g.kh * g.kw;
    // Pair values with indices so one parallel pass fills both.
    let mut pairs: Vec<(T, i64)> = vec![(T::zero(), 0); g.n * g.c * l];
    for_chunks(&mut pairs, l, work, |nc, dst| {
        let plane = &x[nc * g.in_plane()..(nc + 1) * g.in_plane()];
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                // PyTorch starts at the first in-bounds tap.
                let mut y0 = oy as isize * g.sh as isize - g.ph as isize;
                while y0 < 0 {
                    y0 += g.dh as isize;
                }
                let mut x0 = ox as isize * g.sw as isize - g.pw as isize;
                while x0 < 0 {
                    x0 += g.dw as isize;
                }
                let mut best = T::neg_infinity();
                let mut at = (y0 as usize * g.w + x0 as usize) as i64;
                for i in 0..g.kh {
                    let Some(iy) = Window::source(oy, i, g.sh, g.ph, g.dh, g.h) else { continue };
                    for j in 0..g.kw {
                        let Some(ix) = Window::source(ox, j, g.sw, g.pw, g.dw, g.w) else { continue };
                        let v = plane[iy * g.w + ix];
                        if v > best || v.is_nan() {
                            best = v;
                            at = (iy * g.w + ix) as i64;
                        }
                    }
                }
                dst[oy * g.ow + ox] = (best, at);
            }
        }
    });
    pairs.into_iter().unzip()
}

/// The backward of max pooling: each output gradient is added at its recorded input index.
pub fn max_pool2d_backward<T: Element + Float>(grad: &[T], idx: &[i64], g: &Window) -> Vec<T> {
    let l = g.out_plane();
    let mut gx = vec![T::zero(); g.n * g.c * g.in_plane()];
    let g = *g;
    for_chunks(&mut gx, g.in_plane(), g.n * g.c * l, |nc, plane| {
        for k in nc * l..(nc + 1) * l {
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

/// The in-bounds window `(y0, y1, x0, x1)` of output (oy, ox) and its divisor (0: empty window).
#[inline]
fn avg_window(g: &Window, rule: AvgRule, oy: usize, ox: usize) -> (usize, usize, usize, usize, usize) {
    let ys = oy as isize * g.sh as isize - g.ph as isize;
    let xs = ox as isize * g.sw as isize - g.pw as isize;
    let ye = (ys + g.kh as isize).min((g.h + g.ph) as isize);
    let xe = (xs + g.kw as isize).min((g.w + g.pw) as isize);
    let pool = ((ye - ys) * (xe - xs)) as usize;
    let (y0, x0) = (ys.max(0) as usize, xs.max(0) as usize);
    let (y1, x1) = ((ye.min(g.h as isize)).max(0) as usize, (xe.min(g.w as isize)).max(0) as usize);
    if y0 >= y1 || x0 >= x1 {
        return (0, 0, 0, 0, 0);
    }
    let divisor = match (rule.divisor, rule.count_include_pad) {
        (Some(d), _) => d,
        (None, true) => pool,
        (None, false) => (y1 - y0) * (x1 - x0),
    };
    (y0, y1, x0, x1, divisor)
}

/// Average pooling (dilation 1).
pub fn avg_pool2d<T: Element + Float>(x: &[T], g: &Window, rule: AvgRule) -> Vec<T> {
    let l = g.out_plane();
    let mut out = vec![T::zero(); g.n * g.c * l];
    let g = *g;
    for_chunks(&mut out, l, g.n * g.c * l * g.kh * g.kw, |nc, dst| {
        let plane = &x[nc * g.in_plane()..(nc + 1) * g.in_plane()];
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let (y0, y1, x0, x1, divisor) = avg_window(&g, rule, oy, ox);
                if divisor == 0 {
                    continue;
                }
                let mut s = T::zero();
                for iy in y0..y1 {
                    for &v in &plane[iy * g.w + x0..iy * g.w + x1] {
                        s = s + v;
                    }
                }
                dst[oy * g.ow + ox] = s / T::from(divisor).expect("small");
            }
        }
    });
    out
}

/// The backward of average pooling: each output gradient, divided by its divisor, spread over
/// its in-bounds window.
pub fn avg_pool2d_backward<T: Element + Float>(grad: &[T], g: &Window, rule: AvgRule) -> Vec<T> {
    let l = g.out_plane();
    let mut gx = vec![T::zero(); g.n * g.c * g.in_plane()];
    let g = *g;
    for_chunks(&mut gx, g.in_plane(), g.n * g.c * l * g.kh * g.kw, |nc, plane| {
        let gp = &grad[nc * l..(nc + 1) * l];
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let (y0, y1, x0, x1, divisor) = avg_window(&g, rule, oy, ox);
                if divisor == 0 {
                    continue;
                }
                let v = gp[oy * g.ow + ox] / T::from(divisor).expect("small");
                for iy in y0..y1 {
                    for d in &mut plane[iy * g.w + x0..iy * g.w + x1] {
                        *d = *d + v;
                    }
                }
            }
        }
    });
    gx
}

/// The input range `[start, end)` pooled into adaptive output `o` of `out` from `size` inputs.
#[inline]
fn adaptive_range(o: usize, out: usize, size: usize) -> (usize, usize) {
    (o * size / out, ((o + 1) * size).div_ceil(out))
}

/// Adaptive average pooling of (n*c) planes of `h x w` to `oh x ow`.
pub fn adaptive_avg_pool2d<T: Element + Float>(x: &[T], planes: usize, h: usize, w: usize, oh: usize, ow: usize) -> Vec<T> {
    let mut out = vec![T::zero(); planes * oh * ow];
    for_chunks(&mut out, oh * ow, planes * h * w, |nc, dst| {
        let plane = &x[nc * h * w..(nc + 1) * h * w];
        for oy in 0..oh {
            let (y0, y1) = adaptive_range(oy, oh, h);
            for ox in 0..ow {
                let (x0, x1) = adaptive_range(ox, ow, w);
                let mut s = T::zero();
                for iy in y0..y1 {
                    for &v in &plane[iy * w + x0..iy * w + x1] {
                        s = s + v;
                    }
                }
                dst[oy * ow + ox] = s / T::from((y1 - y0) * (x1 - x0)).expect("small");
            }
        }
    });
    out
}

/// The backward of adaptive average pooling.
pub fn adaptive_avg_pool2d_backward<T: Element + Float>(grad: &[T], planes: usize, h: usize, w: usize, oh: usize, ow: usize) -> Vec<T> {
    let mut gx = vec![T::zero(); planes * h * w];
    for_chunks(&mut gx, h * w, planes * h * w, |nc, plane| {
        let gp = &grad[nc * oh * ow..(nc + 1) * oh * ow];
        for oy in 0..oh {
            let (y0, y1) = adaptive_range(oy, oh, h);
            for ox in 0..ow {
                let (x0, x1) = adaptive_range(ox, ow, w);
                let v = gp[oy * ow + ox] / T::from((y1 - y0) * (x1 - x0)).expect("small");
                for iy in y0..y1 {
                    for d in &mut plane[iy * w + x0..iy * w + x1] {
                        *d = *d + v;
                    }
                }
            }
        }
    });
    gx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(n: usize, c: usize, h: usize, w: usize, k: usize, s: usize, p: usize, d: usize) -> Window {
        let out = |size: usize| (size + 2 * p - d * (k - 1) - 1) / s + 1;
        Window { n, c, h, w, kh: k, kw: k, sh: s, sw: s, ph: p, pw: p, dh: d, dw: d, oh: out(h), ow: out(w) }
    }

    fn values(len: usize) -> Vec<f64> {
        (0..len).map(|i| ((i * 37 % 101) as f64) * 0.25 - 7.0).collect()
    }

    /// <col2im(c), x> == <c, im2col(x)>: the two kernels are adjoint, serial or parallel.
    #[test]
    fn im2col_and_col2im_are_adjoint() {
        for &(n, c, h, w, k, s, p, d) in &[(1, 1, 5, 4, 3, 1, 1, 1), (2, 3, 7, 6, 3, 2, 1, 2), (3, 70, 20, 19, 3, 1, 1, 1)] {
            let g = window(n, c, h, w, k, s, p, d);
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
        let (out, idx) = max_pool2d(&x, &g);
        assert_eq!(out, vec![5.0, 7.0, 13.0, 15.0]);
        assert_eq!(idx, vec![5, 7, 13, 15]);
        let gx = max_pool2d_backward(&[1.0, 2.0, 3.0, 4.0], &idx, &g);
        assert_eq!(gx[5] + gx[7] + gx[13] + gx[15], 10.0);
        assert_eq!(gx.iter().sum::<f64>(), 10.0);
    }

    #[test]
    fn avg_pool_divisors_follow_count_include_pad() {
        let g = window(1, 1, 2, 2, 2, 1, 1, 1);
        let x = vec![1.0f64, 2.0, 3.0, 4.0];
        let with = avg_pool2d(&x, &g, AvgRule { count_include_pad: true, divisor: None });
        let without = avg_pool2d(&x, &g, AvgRule { count_include_pad: false, divisor: None });
        assert_eq!(with[0], 0.25);
        assert_eq!(without[0], 1.0);
        assert_eq!(with[4], 2.5);
        // Gradients of the sum: each input collects 1/divisor from every window covering it.
        let gx = avg_pool2d_backward(&[1.0; 9], &g, AvgRule { count_include_pad: true, divisor: None });
        assert_eq!(gx, vec![1.0; 4]);
    }

    #[test]
    fn adaptive_pool_ranges_cover_the_input() {
        let x: Vec<f64> = (0..10).map(|i| i as f64).collect();
        let out = adaptive_avg_pool2d(&x, 1, 1, 10, 1, 3);
        assert_eq!(out, vec![1.5, 4.5, 7.5]);
        let gx = adaptive_avg_pool2d_backward(&[1.0, 1.0, 1.0], 1, 1, 10, 1, 3);
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
            let (m, idx) = max_pool2d(&x, &g);
            (cols, back, m, idx)
        };
        assert_eq!(with_forced_split(1, run), with_forced_split(2, run));
    }
}
