//! `F.conv_transpose2d` (input (n, cin, h, w), weight (cin, cout/groups, kh, kw)) and
//! `F.conv_transpose3d` (input (n, cin, d, h, w)): the adjoint of a convolution, computed as `col2im(W^T @ x)` and recorded as PyTorch's
//! `ConvolutionBackward0` (transposed). The backward uses recorded ops (im2col/col2im, matmul),
//! so `create_graph=True` differentiates it again.

use super::backward::{backward_fn, input as save_input, vals};
use super::conv::{col2im, im2col};
use super::linalg::transpose_last2;
use super::{needs, record, shape_i64};
use crate::autograd::GradModeGuard;
use crate::cpu::conv::Window;
use crate::error::{Error, Result};
use crate::ops::{add, matmul, reshape, sum_dims};
use crate::tensor::{shape_str, DType, Tensor};

/// Stride, padding, output padding, dilation and groups of a transposed convolution over
/// (d, h, w); a 2-d one has depth 1 and unit parameters along it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTransposeParams {
    /// Strides (d, h, w).
    pub stride: [usize; 3],
    /// Padding removed from each side of the output (d, h, w).
    pub padding: [usize; 3],
    /// Extra planes/rows/columns added at the end of the output (d, h, w).
    pub output_padding: [usize; 3],
    /// Dilations (d, h, w).
    pub dilation: [usize; 3],
    /// Groups.
    pub groups: usize,
}

/// `conv_transpose{2,3}d(input, weight, bias, params)` for a batched 4-d or 5-d input.
pub fn conv_transpose(input: &Tensor, weight: &Tensor, bias: Option<&Tensor>, p: &ConvTransposeParams) -> Result<Tensor> {
    let (xs, ws) = (input.shape(), weight.shape());
    if !(4..=5).contains(&ws.len()) || xs.len() != ws.len() {
        let k = ws.len().clamp(4, 5) - 2;
        return Err(Error::runtime(format!(
            "Expected {}D (unbatched) or {}D (batched) input to conv_transpose{k}d, but got input of size: {}",
            k + 1,
            k + 2,
            shape_str(&xs)
        )));
    }
    let spatial = xs.len() - 2;
    let lead = 3 - spatial;
    if input.dtype() != weight.dtype() {
        return Err(Error::runtime(format!(
            "expected scalar type {} but found {}",
            input.dtype().scalar_type_name(),
            weight.dtype().scalar_type_name()
        )));
    }
    if !input.dtype().is_float() {
        return Err(Error::not_implemented(format!("\"slow_conv_transpose{spatial}d_out_cpu\" not implemented for '{}'", input.dtype().scalar_type_name())));
    }
    let groups = p.groups;
    if groups == 0 {
        return Err(Error::runtime("non-positive groups is not supported"));
    }
    let (n, cin) = (xs[0], xs[1]);
    // Sizes padded to (d, h, w) with a leading 1 for 2-d.
    let size: [usize; 3] = std::array::from_fn(|d| if d < lead { 1 } else { xs[2 + d - lead] });
    let kernel: [usize; 3] = std::array::from_fn(|d| if d < lead { 1 } else { ws[2 + d - lead] });
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
    let og = ws[1];
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
    let dim_names = ["depth", "height", "width"];
    if (lead..3).any(|d| p.output_padding[d] >= p.stride[d] && p.output_padding[d] >= p.dilation[d]) {
        let part = |what: &str, v: &[usize; 3]| (lead..3).map(|d| format!("{what}_{}: {}", dim_names[d], v[d])).collect::<Vec<_>>().join(" ");
        return Err(Error::runtime(format!(
            "output padding must be smaller than either stride or dilation, but got {} {} {}",
            part("output_padding", &p.output_padding),
            part("stride", &p.stride),
            part("dilation", &p.dilation)
        )));
    }
    // Output size: (in - 1) * stride - 2 * pad + dil * (k - 1) + output_padding + 1.
    let full: [i64; 3] = std::array::from_fn(|d| {
        (size[d] as i64 - 1) * p.stride[d] as i64 + (p.dilation[d] * (kernel[d] - 1)) as i64 + p.output_padding[d] as i64 + 1 - 2 * p.padding[d] as i64
    });
    if full.iter().any(|&v| v <= 0) {
        let join = |v: Vec<String>| v.join(" x ");
        return Err(Error::runtime(format!(
            "Given input size per channel: ({}). Calculated output size per channel: ({}). Output size is too small",
            join((lead..3).map(|d| size[d].to_string()).collect()),
            join((lead..3).map(|d| full[d].to_string()).collect())
        )));
    }
    let out_size = full.map(|v| v as usize);
    // The convolution whose adjoint this is: volume `out_size` -> positions `size`.
    let g = Window::new(n, cout, out_size, kernel, p.stride, p.padding, p.dilation, size);
    let (cg, taps, l) = (cin / groups, g.taps(), g.out_plane());
    let grouped_weight = [groups as i64, cg as i64, (og * taps) as i64];
    let grouped_x = [n as i64, groups as i64, cg as i64, l as i64];
    let mut out_shape = vec![n, cout];
    out_shape.extend(&out_size[lead..]);
    // The output gradient as the 5-d volume the im2col kernel reads.
    let grad_volume: Vec<i64> = [n, cout].iter().chain(&out_size).map(|&v| v as i64).collect();
    let bias_shape: Vec<i64> = std::iter::once(cout as i64).chain(std::iter::repeat_n(1, spatial)).collect();
    let out = {
        let _guard = GradModeGuard::new(false);
        // (g, og*k, cg) @ (n, g, cg, l) -> (n, g, og*k, l) -> columns of the output volume
        let wt = transpose_last2(&reshape(weight, &grouped_weight)?)?;
        let cols = reshape(&matmul(&wt, &reshape(input, &grouped_x)?)?, &[n as i64, (cout * taps) as i64, l as i64])?;
        let y = reshape(&col2im(&cols, g)?, &shape_i64(&out_shape))?;
        let y = match bias {
            Some(b) => add(&y, &reshape(&super::shape::convert(b, y.dtype()), &bias_shape)?)?,
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
            let cols = reshape(&im2col(&reshape(&gr[0], &grad_volume)?, g)?, &[n as i64, groups as i64, (og * taps) as i64, l as i64])?;
            let dx = if needs(node, 0) { Some(reshape(&matmul(&reshape(wt, &grouped_weight)?, &cols)?, &in_shape)?) } else { None };
            let dw = if needs(node, 1) {
                let per_sample = matmul(&reshape(x, &grouped_x)?, &transpose_last2(&cols)?)?;
                Some(reshape(&sum_dims(&per_sample, &[0], false)?, &w_shape)?)
            } else {
                None
            };
            let db = if has_bias && needs(node, 2) { Some(sum_dims(&gr[0], &(0..spatial + 2).filter(|&d| d != 1).map(|d| d as i64).collect::<Vec<_>>(), false)?) } else { None };
            Ok(vec![dx, dw, db])
        })
        .values(vals![
            ("bias_sym_sizes_opt", vec![if has_bias { cout as i64 } else { 0 }]),
            ("dilation", p.dilation[lead..].iter().map(|&v| v as i64).collect::<Vec<_>>()),
            ("groups", groups as i64),
            ("output_padding", p.output_padding[lead..].iter().map(|&v| v as i64).collect::<Vec<_>>()),
            ("padding", p.padding[lead..].iter().map(|&v| v as i64).collect::<Vec<_>>()),
            ("stride", p.stride[lead..].iter().map(|&v| v as i64).collect::<Vec<_>>()),
            ("transposed", true),
        ])
    })?;
    Ok(out)
}
