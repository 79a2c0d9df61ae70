//! `F.conv_transpose2d` (input (n, cin, h, w), weight (cin, cout/groups, kh, kw)): the adjoint
//! of a convolution, computed as `col2im(W^T @ x)` and recorded as PyTorch's
//! `ConvolutionBackward0` (transposed). The backward uses recorded ops (im2col/col2im, matmul),
//! so `create_graph=True` differentiates it again.

use super::backward::{backward_fn, input as save_input, vals};
use super::conv::{col2im, im2col};
use super::linalg::transpose_last2;
use super::{needs, record};
use crate::autograd::GradModeGuard;
use crate::cpu::conv::Window;
use crate::error::{Error, Result};
use crate::ops::{add, matmul, reshape, sum_dims};
use crate::tensor::{shape_str, DType, Tensor};

/// Stride, padding, output padding, dilation and groups of a transposed 2-d convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTransposeParams {
    /// Strides (h, w).
    pub stride: [usize; 2],
    /// Padding removed from each side of the output (h, w).
    pub padding: [usize; 2],
    /// Extra rows/columns added at the end of the output (h, w).
    pub output_padding: [usize; 2],
    /// Dilations (h, w).
    pub dilation: [usize; 2],
    /// Groups.
    pub groups: usize,
}

/// `conv_transpose2d(input, weight, bias, params)` for a batched 4-d input.
pub fn conv_transpose2d(input: &Tensor, weight: &Tensor, bias: Option<&Tensor>, p: &ConvTransposeParams) -> Result<Tensor> {
    let (xs, ws) = (input.shape(), weight.shape());
    if xs.len() != 4 || ws.len() != 4 {
        return Err(Error::runtime(format!(
            "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: {}",
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
        return Err(Error::not_implemented(format!("\"slow_conv_transpose2d_out_cpu\" not implemented for '{}'", input.dtype().scalar_type_name())));
    }
    let groups = p.groups;
    if groups == 0 {
        return Err(Error::runtime("non-positive groups is not supported"));
    }
    let (n, cin, h, w) = (xs[0], xs[1], xs[2], xs[3]);
    if ws[0] != cin {
        return Err(Error::runtime(format!(
            "Given transposed=1, weight of size {}, expected input{} to have {} channels, but got {cin} channels instead",
            shape_str(&ws),
            shape_str(&xs),
            ws[0]
        )));
    }
    if cin % groups != 0 {
        return Err(Error::runtime(format!(
            "Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size [{}] instead",
            shape_str(&ws)
        )));
    }
    let (og, kh, kw) = (ws[1], ws[2], ws[3]);
    let cout = og * groups;
    if let Some(b) = bias {
        if b.shape() != [cout] {
            return Err(Error::runtime(format!(
                "Given transposed=1, weight of size {}, expected bias to be 1-dimensional with {cout} elements, but got bias of size {} instead",
                shape_str(&ws),
                shape_str(&b.shape())
            )));
        }
    }
    for d in 0..2 {
        if p.output_padding[d] >= p.stride[d] && p.output_padding[d] >= p.dilation[d] {
            return Err(Error::runtime(format!(
                "output padding must be smaller than either stride or dilation, but got output_padding_height: {} output_padding_width: {} stride_height: {} stride_width: {} dilation_height: {} dilation_width: {}",
                p.output_padding[0], p.output_padding[1], p.stride[0], p.stride[1], p.dilation[0], p.dilation[1]
            )));
        }
    }
    // Output size: (in - 1) * stride - 2 * pad + dil * (k - 1) + output_padding + 1.
    let size = |i: usize, k: usize, d: usize| -> Option<usize> {
        let full = (i as i64 - 1) * p.stride[d] as i64 + (p.dilation[d] * (k - 1)) as i64 + p.output_padding[d] as i64 + 1;
        let v = full - 2 * p.padding[d] as i64;
        (v > 0).then_some(v as usize)
    };
    let (oh, ow) = match (size(h, kh, 0), size(w, kw, 1)) {
        (Some(a), Some(b)) => (a, b),
        (a, b) => {
            let show = |v: Option<usize>, i: usize, k: usize, d: usize| {
                v.map_or_else(
                    || ((i as i64 - 1) * p.stride[d] as i64 + (p.dilation[d] * (k - 1)) as i64 + p.output_padding[d] as i64 + 1 - 2 * p.padding[d] as i64).to_string(),
                    |v| v.to_string(),
                )
            };
            return Err(Error::runtime(format!(
                "Given input size per channel: ({h} x {w}). Calculated output size per channel: ({} x {}). Output size is too small",
                show(a, h, kh, 0),
                show(b, w, kw, 1)
            )));
        }
    };
    // The convolution whose adjoint this is: image (oh, ow) -> positions (h, w).
    let g = Window { n, c: cout, h: oh, w: ow, kh, kw, sh: p.stride[0], sw: p.stride[1], ph: p.padding[0], pw: p.padding[1], dh: p.dilation[0], dw: p.dilation[1], oh: h, ow: w };
    let (cg, taps, l) = (cin / groups, kh * kw, h * w);
    let grouped_weight = [groups as i64, cg as i64, (og * taps) as i64];
    let grouped_x = [n as i64, groups as i64, cg as i64, l as i64];
    let out_shape = [n, cout, oh, ow];
    let out = {
        let _guard = GradModeGuard::new(false);
        // (g, og*k, cg) @ (n, g, cg, l) -> (n, g, og*k, l) -> columns of the output image
        let wt = transpose_last2(&reshape(weight, &grouped_weight)?)?;
        let cols = reshape(&matmul(&wt, &reshape(input, &grouped_x)?)?, &[n as i64, (cout * taps) as i64, l as i64])?;
        let y = col2im(&cols, g)?;
        let y = match bias {
            Some(b) => add(&y, &reshape(&super::shape::convert(b, y.dtype()), &[cout as i64, 1, 1])?)?,
            None => y,
        };
        Tensor::from_buffer(y.contiguous_buffer(), &out_shape)?
    };
    let none = Tensor::scalar(0.0, DType::F32);
    let bias_in = bias.cloned().unwrap_or(none);
    let has_bias = bias.is_some();
    let (in_shape, w_shape): (Vec<i64>, Vec<i64>) = (xs.iter().map(|&d| d as i64).collect(), ws.iter().map(|&d| d as i64).collect());
    record(&[input, weight, &bias_in], &[&out], || {
        let saved = vec![save_input("input", input), save_input("weight", weight)];
        // With G = im2col(grad) viewed (n, g, og*k, l), X = x viewed (n, g, cg, l), W viewed (g, cg, og*k):
        // dx = W @ G, dw = sum_n X @ G^T, db = sum of grad over all but the channel dim
        backward_fn("ConvolutionBackward0", saved, move |node, s, gr| {
            let (x, wt) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
            let cols = reshape(&im2col(&gr[0], g)?, &[n as i64, groups as i64, (og * taps) as i64, l as i64])?;
            let dx = if needs(node, 0) { Some(reshape(&matmul(&reshape(wt, &grouped_weight)?, &cols)?, &in_shape)?) } else { None };
            let dw = if needs(node, 1) {
                let per_sample = matmul(&reshape(x, &grouped_x)?, &transpose_last2(&cols)?)?;
                Some(reshape(&sum_dims(&per_sample, &[0], false)?, &w_shape)?)
            } else {
                None
            };
            let db = if has_bias && needs(node, 2) { Some(sum_dims(&gr[0], &[0, 2, 3], false)?) } else { None };
            Ok(vec![dx, dw, db])
        })
        .values(vals![
            ("bias_sym_sizes_opt", vec![if has_bias { cout as i64 } else { 0 }]),
            ("dilation", p.dilation.iter().map(|&v| v as i64).collect::<Vec<_>>()),
            ("groups", groups as i64),
            ("output_padding", p.output_padding.iter().map(|&v| v as i64).collect::<Vec<_>>()),
            ("padding", p.padding.iter().map(|&v| v as i64).collect::<Vec<_>>()),
            ("stride", p.stride.iter().map(|&v| v as i64).collect::<Vec<_>>()),
            ("transposed", true),
        ])
    })?;
    Ok(out)
}
