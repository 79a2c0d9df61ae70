//! Convolution (1-d, 2-d and 3-d, with stride, padding, dilation and groups) by im2col + gemm, recorded
//! as PyTorch's `ConvolutionBackward0`. The backward is written with recorded ops (the im2col and
//! col2im ops below, which are each other's adjoint, and matmul), so it costs one im2col and two
//! gemms and differentiates again under `create_graph=True`.

use super::backward::{backward_fn, input as save_input};
use super::linalg::transpose_last2;
use super::{dense, shape_i64, needs, record};
use crate::autograd::GradModeGuard;
use crate::cpu::conv::{self as kernels, Window};
use crate::error::{Error, Result};
use crate::ops::{add, matmul, reshape, sum_dims};
use crate::tensor::{shape_str, DType, Tensor};
use crate::with_float_dtype;

/// Stride, padding (before; after), dilation and groups of a convolution over 3 spatial dims
/// (d, h, w): 2-d and 1-d convolutions have depth (and height) 1 and unit parameters along them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvParams {
    /// Strides (d, h, w).
    pub stride: [usize; 3],
    /// Zero padding before each spatial dim.
    pub pad_before: [usize; 3],
    /// Zero padding after each spatial dim (differs from `pad_before` only for `padding='same'`
    /// with an even effective kernel).
    pub pad_after: [usize; 3],
    /// Dilations (d, h, w).
    pub dilation: [usize; 3],
    /// Groups.
    pub groups: usize,
}

/// `x` (n, c, d, h, w) unfolded to (n, c*kd*kh*kw, od*oh*ow), recorded as `Im2ColBackward0`.
pub(crate) fn im2col(x: &Tensor, g: Window) -> Result<Tensor> {
    let cols = with_float_dtype!(x.dtype(), T => Tensor::from_vec(kernels::im2col(&dense::<T>(x), &g), &[g.n, g.c * g.taps(), g.out_plane()])?);
    record(&[x], &[&cols], || {
        // d im2col = col2im(grad) (the adjoint scatter-add)
        backward_fn("Im2ColBackward0", vec![], move |_, _, gr| Ok(vec![Some(col2im(&gr[0], g)?)]))
    })?;
    Ok(cols)
}

/// Columns (n, c*taps, od*oh*ow) summed back into a volume (n, c, d, h, w), recorded as `Col2ImBackward0`.
pub(crate) fn col2im(cols: &Tensor, g: Window) -> Result<Tensor> {
    let x = with_float_dtype!(cols.dtype(), T => Tensor::from_vec(kernels::col2im(&dense::<T>(cols), &g), &[g.n, g.c, g.d, g.h, g.w])?);
    record(&[cols], &[&x], || {
        // d col2im = im2col(grad)
        backward_fn("Col2ImBackward0", vec![], move |_, _, gr| Ok(vec![Some(im2col(&gr[0], g)?)]))
    })?;
    Ok(x)
}

/// The output length of one spatial dim, or PyTorch's error when the kernel does not fit.
fn out_len(size: usize, before: usize, after: usize, k: usize, stride: usize, dil: usize) -> Option<usize> {
    let padded = size + before + after;
    let span = dil * (k - 1) + 1;
    (padded >= span).then(|| (padded - span) / stride + 1)
}

/// `F.conv1d` (input (n, c, l), weight (o, c/groups, k)), `F.conv2d` (input (n, c, h, w),
/// weight (o, c/groups, kh, kw)) or `F.conv3d` (input (n, c, d, h, w), weight (o, c/groups, kd,
/// kh, kw)); batched inputs only (the caller unsqueezes unbatched ones).
pub fn convolution(input: &Tensor, weight: &Tensor, bias: Option<&Tensor>, p: &ConvParams) -> Result<Tensor> {
    let (xs, ws) = (input.shape(), weight.shape());
    let spatial = xs.len().saturating_sub(2);
    if ws.len() != xs.len() || !(1..=3).contains(&spatial) {
        return Err(Error::runtime(format!(
            "Expected {}D (unbatched) or {}D (batched) input to conv{}d, but got input of size: {}",
            ws.len() - 1,
            ws.len(),
            ws.len().saturating_sub(2),
            shape_str(&xs)
        )));
    }
    if input.dtype() != weight.dtype() {
        return Err(Error::runtime(format!(
            "expected scalar type {} but found {}",
            input.dtype().scalar_type_name(),
            weight.dtype().scalar_type_name()
        )));
    }
    if !input.dtype().is_float() {
        return Err(Error::not_implemented(format!("\"slow_conv2d_cpu\" not implemented for '{}'", input.dtype().scalar_type_name())));
    }
    let groups = p.groups;
    let (n, c, o) = (xs[0], xs[1], ws[0]);
    if groups == 0 {
        return Err(Error::runtime("non-positive groups is not supported"));
    }
    if o % groups != 0 {
        // PyTorch's message prints the size list inside brackets again.
        return Err(Error::runtime(format!(
            "Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size [{}] instead",
            shape_str(&ws)
        )));
    }
    if ws[1] * groups != c {
        return Err(Error::runtime(format!(
            "Given groups={groups}, weight of size {}, expected input{} to have {} channels, but got {c} channels instead",
            shape_str(&ws),
            shape_str(&xs),
            ws[1] * groups
        )));
    }
    if let Some(b) = bias {
        if b.shape() != [o] {
            return Err(Error::runtime(format!("Given weight of size {}, expected bias to be 1-dimensional with {o} elements, but got bias of size {} instead", shape_str(&ws), shape_str(&b.shape()))));
        }
    }
    // Spatial sizes padded to (d, h, w) with leading 1s: 2-d has depth 1, 1-d also height 1.
    let lead = 3 - spatial;
    let size: [usize; 3] = std::array::from_fn(|d| if d < lead { 1 } else { xs[2 + d - lead] });
    let kernel: [usize; 3] = std::array::from_fn(|d| if d < lead { 1 } else { ws[2 + d - lead] });
    let outs: Vec<Option<usize>> = (0..3).map(|d| out_len(size[d], p.pad_before[d], p.pad_after[d], kernel[d], p.stride[d], p.dilation[d])).collect();
    if outs.iter().any(Option::is_none) {
        let join = |v: Vec<usize>| v.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" x ");
        let padded = (lead..3).map(|d| size[d] + p.pad_before[d] + p.pad_after[d]).collect();
        let span = (lead..3).map(|d| (kernel[d] - 1) * p.dilation[d] + 1).collect();
        return Err(Error::runtime(format!(
            "Calculated padded input size per channel: ({}). Kernel size: ({}). Kernel size can't be greater than actual input size",
            join(padded),
            join(span)
        )));
    }
    let out_size: [usize; 3] = std::array::from_fn(|d| outs[d].expect("checked"));
    let g = Window::new(n, c, size, kernel, p.stride, p.pad_before, p.dilation, out_size);
    let [d, h, w] = size;
    let (cg, og, taps, l) = (c / groups, o / groups, g.taps(), g.out_plane());
    let mut out_shape = vec![n, o];
    out_shape.extend(&out_size[lead..]);
    let grouped_weight = [groups as i64, og as i64, (cg * taps) as i64];
    let grouped_cols = [n as i64, groups as i64, (cg * taps) as i64, l as i64];
    let bias_shape: Vec<i64> = std::iter::once(o as i64).chain(std::iter::repeat_n(1, spatial)).collect();
    let out = {
        let _guard = GradModeGuard::new(false);
        let x5 = reshape(input, &[n as i64, c as i64, d as i64, h as i64, w as i64])?;
        let cols = reshape(&im2col(&x5, g)?, &grouped_cols)?;
        // (g, og, cg*k) @ (n, g, cg*k, l) -> (n, g, og, l)
        let y = reshape(&matmul(&reshape(weight, &grouped_weight)?, &cols)?, &shape_i64(&out_shape))?;
        let y = match bias {
            Some(b) => add(&y, &reshape(&super::shape::convert(b, y.dtype()), &bias_shape)?)?,
            None => y,
        };
        // A fresh tensor, so the node's output is not a view of an unrecorded intermediate.
        Tensor::from_buffer(y.contiguous_buffer(), &out_shape)?
    };
    let none = Tensor::scalar(0.0, DType::F32);
    let bias_in = bias.cloned().unwrap_or(none);
    let has_bias = bias.is_some();
    let (in_shape, w_shape) = (shape_i64(&xs), shape_i64(&ws));
    record(&[input, weight, &bias_in], &[&out], || {
        let saved = vec![save_input("input", input), save_input("weight", weight)];
        // With G = grad viewed (n, g, og, l), X = im2col(x), W viewed (g, og, cg*k):
        // dx = col2im(W^T @ G), dw = sum_n G @ X^T, db = sum of G over all but the channel dim
        backward_fn("ConvolutionBackward0", saved, move |node, s, gr| {
            let (x, wt) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
            let grad = reshape(&gr[0], &[n as i64, groups as i64, og as i64, l as i64])?;
            let dx = if needs(node, 0) {
                let wg = transpose_last2(&reshape(wt, &grouped_weight)?)?;
                let cols = reshape(&matmul(&wg, &grad)?, &[n as i64, (c * taps) as i64, l as i64])?;
                Some(reshape(&col2im(&cols, g)?, &in_shape)?)
            } else {
                None
            };
            let dw = if needs(node, 1) {
                let x5 = reshape(x, &[n as i64, c as i64, d as i64, h as i64, w as i64])?;
                let cols = reshape(&im2col(&x5, g)?, &grouped_cols)?;
                let per_sample = matmul(&grad, &transpose_last2(&cols)?)?;
                Some(reshape(&sum_dims(&per_sample, &[0], false)?, &w_shape)?)
            } else {
                None
            };
            let db = if has_bias && needs(node, 2) { Some(sum_dims(&grad, &[0, 3], false).and_then(|t| reshape(&t, &[o as i64]))?) } else { None };
            Ok(vec![dx, dw, db])
        })
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(stride: usize, pad: usize, dilation: usize, groups: usize) -> ConvParams {
        ConvParams { stride: [1, stride, stride], pad_before: [0, pad, pad], pad_after: [0, pad, pad], dilation: [1, dilation, dilation], groups }
    }

    /// A direct 2-d convolution, for comparison.
    fn naive(x: &[f64], xs: [usize; 4], w: &[f64], ws: [usize; 4], p: &ConvParams) -> Vec<f64> {
        let [n, c, h, wd] = xs;
        let [o, cg, kh, kw] = ws;
        let og = o / p.groups;
        let oh = (h + 2 * p.pad_before[1] - p.dilation[1] * (kh - 1) - 1) / p.stride[1] + 1;
        let ow = (wd + 2 * p.pad_before[2] - p.dilation[2] * (kw - 1) - 1) / p.stride[2] + 1;
        let mut out = vec![0.0; n * o * oh * ow];
        for b in 0..n {
            for oc in 0..o {
                let grp = oc / og;
                for y in 0..oh {
                    for xo in 0..ow {
                        let mut s = 0.0;
                        for ic in 0..cg {
                            for i in 0..kh {
                                for j in 0..kw {
                                    let iy = (y * p.stride[1] + i * p.dilation[1]) as isize - p.pad_before[1] as isize;
                                    let ix = (xo * p.stride[2] + j * p.dilation[2]) as isize - p.pad_before[2] as isize;
                                    if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                        continue;
                                    }
                                    let ch = grp * cg + ic;
                                    s += x[((b * c + ch) * h + iy as usize) * wd + ix as usize] * w[((oc * cg + ic) * kh + i) * kw + j];
                                }
                            }
                        }
                        out[((b * o + oc) * oh + y) * ow + xo] = s;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn conv2d_matches_direct_loops() {
        for (xs, ws, p) in [
            ([2, 3, 6, 5], [4, 3, 3, 3], params(1, 1, 1, 1)),
            ([1, 4, 7, 7], [6, 2, 2, 3], params(2, 0, 2, 2)),
            ([2, 2, 5, 5], [2, 1, 3, 3], params(1, 2, 1, 2)),
        ] {
            let x: Vec<f64> = (0..xs.iter().product()).map(|i: usize| ((i * 7 % 11) as f64) - 5.0).collect();
            let w: Vec<f64> = (0..ws.iter().product()).map(|i: usize| ((i * 5 % 13) as f64) * 0.1 - 0.6).collect();
            let xt = Tensor::from_vec(x.clone(), &xs).unwrap();
            let wt = Tensor::from_vec(w.clone(), &ws).unwrap();
            let got = convolution(&xt, &wt, None, &p).unwrap().to_vec::<f64>().unwrap();
            let want = naive(&x, xs, &w, ws, &p);
            assert_eq!(got.len(), want.len());
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() < 1e-9, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn conv_rejects_channel_mismatch() {
        let x = Tensor::zeros(&[1, 2, 4, 4], DType::F32);
        let w = Tensor::zeros(&[3, 3, 3, 3], DType::F32);
        assert_eq!(
            convolution(&x, &w, None, &params(1, 0, 1, 1)).unwrap_err().message(),
            "Given groups=1, weight of size [3, 3, 3, 3], expected input[1, 2, 4, 4] to have 3 channels, but got 2 channels instead"
        );
    }
}
