//! 2-d and 3-d pooling over the last two or three dims of a (c, [d,] h, w) or (n, c, [d,] h, w)
//! tensor: max pooling with indices (`MaxPool{2,3}DWithIndicesBackward0`), average pooling
//! (`AvgPool{2,3}DBackward0`), adaptive average pooling (`AdaptiveAvgPool{2,3}DBackward0`) and
//! adaptive max pooling (`AdaptiveMaxPool3DBackward0`), with PyTorch's output-size rules and
//! checks. Each backward is itself a recorded op (linear in the gradient), so double backward works.

use super::backward::backward_fn;
use super::{dense, shape_i64, record};
use crate::autograd::SavedTensor;
use crate::cpu::conv::{self as kernels, AvgRule, Window};
use crate::error::{Error, Result};
use crate::ops::{gather, reshape};
use crate::tensor::{shape_str, DType, Tensor};
use crate::{with_dtype, with_float_dtype};

/// Kernel size, stride, padding and dilation (d, h, w) of a pooling op over `spatial` (2 or 3)
/// dims, and `ceil_mode`; a 2-d op has depth 1 with unit stride and dilation, no padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolParams {
    /// Pooled dims: 2 or 3.
    pub spatial: usize,
    /// Window size.
    pub kernel: [i64; 3],
    /// Step between windows.
    pub stride: [i64; 3],
    /// Implicit padding on both sides.
    pub padding: [i64; 3],
    /// Spacing of window taps (1 for average pooling).
    pub dilation: [i64; 3],
    /// Round output sizes up instead of down.
    pub ceil_mode: bool,
}

impl PoolParams {
    /// Parameters over the last `kernel.len()` (2 or 3) dims, padded to (d, h, w).
    pub fn new(kernel: &[i64], stride: &[i64], padding: &[i64], dilation: &[i64], ceil_mode: bool) -> PoolParams {
        let lead = 3 - kernel.len();
        let pad3 = |v: &[i64], fill: i64| -> [i64; 3] { std::array::from_fn(|d| if d < lead { fill } else { v[d - lead] }) };
        PoolParams { spatial: kernel.len(), kernel: pad3(kernel, 1), stride: pad3(stride, 1), padding: pad3(padding, 0), dilation: pad3(dilation, 1), ceil_mode }
    }
}

/// PyTorch's `pooling_output_shape`.
fn output_size(input: i64, k: i64, pad: i64, stride: i64, dil: i64, ceil: bool) -> Result<i64> {
    if stride == 0 {
        return Err(Error::runtime("stride should not be zero"));
    }
    if pad < 0 {
        return Err(Error::runtime(format!("pad must be non-negative, but got pad: {pad}")));
    }
    if pad > ((k - 1) * dil + 1) / 2 {
        return Err(Error::runtime(format!(
            "pad should be at most half of effective kernel size, but got pad={pad}, kernel_size={k} and dilation={dil}"
        )));
    }
    let numerator = input + 2 * pad - dil * (k - 1) - 1 + if ceil { stride - 1 } else { 0 };
    let mut out = numerator.div_euclid(stride) + 1;
    if ceil && (out - 1) * stride >= input + pad {
        out -= 1;
    }
    Ok(out)
}

/// `name: value` pairs of the pooled dims, as PyTorch's messages list them (`kT: 2 kH: 2 kW: 2`).
fn named(prefix: &str, v: [i64; 3], spatial: usize) -> String {
    let dims = ["T", "H", "W"];
    (3 - spatial..3).map(|d| format!("{prefix}{}: {}", dims[d], v[d])).collect::<Vec<_>>().join(" ")
}

/// The window geometry over `planes` planes of the input, with PyTorch's shape checks; `op`
/// names the 3-d op in its empty-input message, `check_input_size` adds avg_pool3d's check that
/// the kernel fits the unpadded input.
fn window(input: &Tensor, p: &PoolParams, op: &str, check_input_size: bool) -> Result<(Window, Vec<usize>)> {
    let shape = input.shape();
    let (nd, sp) = (shape.len(), p.spatial);
    if !(nd == sp + 1 || nd == sp + 2) || (sp == 2 && shape[nd - 3..].contains(&0)) {
        return Err(Error::runtime(format!("non-empty {}D or {}D (batch mode) tensor expected for input", sp + 1, sp + 2)));
    }
    let lead = 3 - sp;
    let size: [i64; 3] = std::array::from_fn(|d| if d < lead { 1 } else { shape[nd - 3 + d] as i64 });
    let mut out = [1i64; 3];
    for d in lead..3 {
        out[d] = output_size(size[d], p.kernel[d], p.padding[d], p.stride[d], p.dilation[d], p.ceil_mode)?;
    }
    let (k, s, dl) = (p.kernel, p.stride, p.dilation);
    if k.iter().any(|&v| v <= 0) {
        return Err(Error::runtime(format!("kernel size should be greater than zero, but got {}", named("k", k, sp))));
    }
    if s.iter().any(|&v| v <= 0) {
        return Err(Error::runtime(format!("stride should be greater than zero, but got {}", named("d", s, sp))));
    }
    if dl.iter().any(|&v| v <= 0) {
        return Err(Error::runtime(format!("dilation should be greater than zero, but got {}", named("dilation", dl, sp))));
    }
    let c = shape[nd - sp - 1];
    if sp == 3 && shape[nd - 4..].contains(&0) {
        // PyTorch's message numbers the empty dim 0 whichever it is.
        return Err(Error::runtime(format!(
            "{op}(): Expected input's non-batch dimensions to have positive length, but input has a shape of {} and non-batch dimension 0 has length zero!",
            shape_str(&shape)
        )));
    }
    if check_input_size && (0..3).any(|d| size[d] < k[d]) {
        return Err(Error::runtime(format!(
            "input image ({}) smaller than kernel size ({})",
            named("", size, sp),
            named("k", k, sp)
        )));
    }
    if sp == 3 && (0..3).any(|d| k[d] / 2 < p.padding[d]) {
        // pool3d_shape_check's own (undilated) bound, in its T, W, H order.
        let (pd, kk) = (p.padding, k);
        return Err(Error::runtime(format!(
            "pad should be smaller than or equal to half of kernel size, but got kT: {} kW: {} kH: {} padT: {} padW: {} padH: {}",
            kk[0], kk[2], kk[1], pd[0], pd[2], pd[1]
        )));
    }
    if out[lead..].iter().any(|&v| v < 1) {
        let join = |v: &[i64]| v.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("x");
        return Err(Error::runtime(format!(
            "Given input size: ({c}x{}). Calculated output size: ({c}x{}). Output size is too small",
            join(&size[lead..]),
            join(&out[lead..])
        )));
    }
    let planes: usize = shape[..nd - sp].iter().product();
    let u = |v: [i64; 3]| v.map(|x| x as usize);
    let g = Window::new(planes, 1, u(size), u(k), u(s), u(p.padding), u(dl), u(out));
    let mut out_shape = shape[..nd - sp].to_vec();
    out_shape.extend(out[lead..].iter().map(|&v| v as usize));
    Ok((g, out_shape))
}

fn float_only(t: &Tensor, kernel: &str) -> Result<()> {
    if t.dtype().is_float() {
        Ok(())
    } else {
        Err(Error::not_implemented(format!("\"{kernel}\" not implemented for '{}'", t.dtype().scalar_type_name())))
    }
}

/// `F.max_pool{2,3}d(..., return_indices=True)`: the maxima and their flat indices in each plane
/// (3-d pooling also takes integer tensors, as PyTorch's).
pub fn max_pool(input: &Tensor, p: &PoolParams) -> Result<(Tensor, Tensor)> {
    let sp = p.spatial;
    let (g, out_shape) = window(input, p, "max_pool3d_with_indices_out_cpu_template", false)?;
    let dtype = input.dtype();
    if dtype == DType::Bool || (sp == 2 && !dtype.is_float()) {
        float_only(input, &format!("max_pool{sp}d"))?;
    }
    let (out, idx) = with_dtype!(dtype, T => {
        let (v, i) = kernels::max_pool(&dense::<T>(input), &g);
        (Tensor::from_vec(v, &out_shape)?, Tensor::from_vec(i, &out_shape)?)
    });
    let in_shape = input.shape();
    record(&[input], &[&out], || {
        let saved = vec![Some(SavedTensor::input(input).named("self")), Some(SavedTensor::input(&idx).named("result1"))];
        // d maxpool = grad added at the index of each window's maximum
        backward_fn(if sp == 3 { "MaxPool3DWithIndicesBackward0" } else { "MaxPool2DWithIndicesBackward0" }, saved, move |_, s, gr| {
            let names = if sp == 3 { "MaxPool3DWithIndicesBackwardBackward0" } else { "MaxPool2DWithIndicesBackwardBackward0" };
            Ok(vec![Some(scatter_at_indices(&gr[0], s[1].as_ref().expect("saved"), g.n, g.in_plane(), &in_shape, names)?)])
        })
    })?;
    Ok((out, idx))
}

/// The gradient of (fixed or adaptive) max pooling, linear in `grad`: each output gradient added
/// at its index in one of `planes` input planes. Recorded as `name`; its own gradient gathers at `idx`.
fn scatter_at_indices(grad: &Tensor, idx: &Tensor, planes: usize, in_plane: usize, in_shape: &[usize], name: &'static str) -> Result<Tensor> {
    let out_plane = grad.numel() / planes.max(1);
    let gx = with_float_dtype!(grad.dtype(), T => {
        Tensor::from_vec(kernels::max_pool_backward(&dense::<T>(grad), &dense::<i64>(idx), planes, in_plane, out_plane), in_shape)?
    });
    let out_shape = grad.shape();
    record(&[grad], &[&gx], || {
        // d (scatter of grad at idx) = gather of the incoming gradient at idx
        backward_fn(name, vec![Some(SavedTensor::input(idx).named("indices"))], move |_, s, gr| {
            let idx = reshape(s[0].as_ref().expect("saved"), &[planes as i64, out_plane as i64])?;
            let flat = reshape(&gr[0], &[planes as i64, in_plane as i64])?;
            Ok(vec![Some(reshape(&gather(&flat, 1, &idx)?, &shape_i64(&out_shape))?)])
        })
    })?;
    Ok(gx)
}

/// `F.avg_pool{2,3}d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)`.
pub fn avg_pool(input: &Tensor, p: &PoolParams, rule: AvgRule) -> Result<Tensor> {
    let sp = p.spatial;
    if sp == 2 && input.dim() < 3 {
        return Err(crate::ops::wrap_dim(-3, input.dim()).unwrap_err());
    }
    if rule.divisor == Some(0) {
        return Err(Error::runtime("divisor must be not zero"));
    }
    let (g, out_shape) = window(input, p, "avg_pool3d", sp == 3)?;
    float_only(input, if sp == 3 { "avg_pool3d_out_frame" } else { "avg_pool2d_out_frame" })?;
    avg_pool_window(input, g, rule, &out_shape, sp)
}

fn avg_pool_window(input: &Tensor, g: Window, rule: AvgRule, out_shape: &[usize], sp: usize) -> Result<Tensor> {
    let out = with_float_dtype!(input.dtype(), T => Tensor::from_vec(kernels::avg_pool(&dense::<T>(input), &g, rule), out_shape)?);
    let in_shape = input.shape();
    record(&[input], &[&out], || {
        // d avgpool = grad / divisor spread over each window
        backward_fn(if sp == 3 { "AvgPool3DBackward0" } else { "AvgPool2DBackward0" }, vec![Some(SavedTensor::input(input).named("self"))], move |_, _, gr| {
            Ok(vec![Some(avg_pool_backward(&gr[0], g, rule, &in_shape, sp)?)])
        })
    })?;
    Ok(out)
}

/// The gradient of average pooling; its own gradient is average pooling again.
fn avg_pool_backward(grad: &Tensor, g: Window, rule: AvgRule, in_shape: &[usize], sp: usize) -> Result<Tensor> {
    let gx = with_float_dtype!(grad.dtype(), T => Tensor::from_vec(kernels::avg_pool_backward(&dense::<T>(grad), &g, rule), in_shape)?);
    let out_shape = grad.shape();
    record(&[grad], &[&gx], || {
        // d avgpool_backward(grad) = avgpool(incoming gradient)
        let name = if sp == 3 { "AvgPool3DBackwardBackward0" } else { "AvgPool2DBackwardBackward0" };
        backward_fn(name, vec![], move |_, _, gr| Ok(vec![Some(avg_pool_window(&gr[0], g, rule, &out_shape, sp)?)]))
    })?;
    Ok(gx)
}

/// The geometry of an adaptive pooling of the last `out.len()` (2 or 3) dims, with PyTorch's
/// checks: (planes, input size (d, h, w), output size (d, h, w), output shape).
fn adaptive_geometry(input: &Tensor, out: &[usize], op: &str) -> Result<(usize, [usize; 3], [usize; 3], Vec<usize>)> {
    let shape = input.shape();
    let (nd, sp) = (shape.len(), out.len());
    if !(nd == sp + 1 || nd == sp + 2) {
        let sep = if sp == 3 { ": " } else { " " };
        return Err(Error::runtime(format!("{op}(): Expected {}D or {}D tensor, but got{sep}{}", sp + 1, sp + 2, shape_str(&shape))));
    }
    if let Some(d) = (1..nd).find(|&d| shape[d] == 0) {
        return Err(Error::runtime(format!(
            "{op}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes {} with dimension {d} being empty",
            shape_str(&shape)
        )));
    }
    float_only(input, &format!("{op}_cpu"))?;
    let lead = 3 - sp;
    let size: [usize; 3] = std::array::from_fn(|d| if d < lead { 1 } else { shape[nd - 3 + d] });
    let out3: [usize; 3] = std::array::from_fn(|d| if d < lead { 1 } else { out[d - lead] });
    let planes: usize = shape[..nd - sp].iter().product();
    let mut out_shape = shape[..nd - sp].to_vec();
    out_shape.extend(out);
    Ok((planes, size, out3, out_shape))
}

/// `F.adaptive_avg_pool{2,3}d(input, out)` (an all-ones output size is handled by the caller as
/// a mean, as PyTorch does).
pub fn adaptive_avg_pool(input: &Tensor, out: &[usize]) -> Result<Tensor> {
    let op = if out.len() == 3 { "adaptive_avg_pool3d" } else { "adaptive_avg_pool2d" };
    let (planes, size, out3, out_shape) = adaptive_geometry(input, out, op)?;
    adaptive(input, planes, size, out3, &out_shape, out.len())
}

fn adaptive(input: &Tensor, planes: usize, size: [usize; 3], out: [usize; 3], out_shape: &[usize], sp: usize) -> Result<Tensor> {
    let y = with_float_dtype!(input.dtype(), T => Tensor::from_vec(kernels::adaptive_avg_pool(&dense::<T>(input), planes, size, out), out_shape)?);
    let in_shape = input.shape();
    record(&[input], &[&y], || {
        // d adaptive avgpool = grad / window size spread over each window
        let name = if sp == 3 { "AdaptiveAvgPool3DBackward0" } else { "AdaptiveAvgPool2DBackward0" };
        backward_fn(name, vec![Some(SavedTensor::input(input).named("self"))], move |_, _, gr| {
            Ok(vec![Some(adaptive_backward(&gr[0], planes, size, out, &in_shape, sp)?)])
        })
    })?;
    Ok(y)
}

fn adaptive_backward(grad: &Tensor, planes: usize, size: [usize; 3], out: [usize; 3], in_shape: &[usize], sp: usize) -> Result<Tensor> {
    let gx = with_float_dtype!(grad.dtype(), T => {
        Tensor::from_vec(kernels::adaptive_avg_pool_backward(&dense::<T>(grad), planes, size, out), in_shape)?
    });
    let out_shape = grad.shape();
    record(&[grad], &[&gx], || {
        // d adaptive_backward(grad) = adaptive avgpool(incoming gradient)
        let name = if sp == 3 { "AdaptiveAvgPool3DBackwardBackward0" } else { "AdaptiveAvgPool2DBackwardBackward0" };
        backward_fn(name, vec![], move |_, _, gr| Ok(vec![Some(adaptive(&gr[0], planes, size, out, &out_shape, sp)?)]))
    })?;
    Ok(gx)
}

/// `F.adaptive_max_pool{2,3}d(input, out, return_indices=True)`: each adaptive window's maximum
/// and its flat index in the input plane.
pub fn adaptive_max_pool(input: &Tensor, out: &[usize]) -> Result<(Tensor, Tensor)> {
    let sp = out.len();
    let op = if sp == 3 { "adaptive_max_pool3d" } else { "adaptive_max_pool2d" };
    let (planes, size, out3, out_shape) = adaptive_geometry(input, out, op)?;
    let (y, idx) = with_float_dtype!(input.dtype(), T => {
        let (v, i) = kernels::adaptive_max_pool(&dense::<T>(input), planes, size, out3);
        (Tensor::from_vec(v, &out_shape)?, Tensor::from_vec(i, &out_shape)?)
    });
    let in_shape = input.shape();
    let in_plane = size.iter().product();
    record(&[input], &[&y], || {
        let saved = vec![Some(SavedTensor::input(input).named("self")), Some(SavedTensor::input(&idx).named("result1"))];
        // d adaptive maxpool = grad added at the index of each window's maximum
        let name = if sp == 3 { "AdaptiveMaxPool3DBackward0" } else { "AdaptiveMaxPool2DBackward0" };
        backward_fn(name, saved, move |_, s, gr| {
            let names = if sp == 3 { "AdaptiveMaxPool3DBackwardBackward0" } else { "AdaptiveMaxPool2DBackwardBackward0" };
            Ok(vec![Some(scatter_at_indices(&gr[0], s[1].as_ref().expect("saved"), planes, in_plane, &in_shape, names)?)])
        })
    })?;
    Ok((y, idx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::DType;

    fn params(k: i64, s: i64, p: i64, ceil: bool) -> PoolParams {
        PoolParams::new(&[k; 2], &[s; 2], &[p; 2], &[1; 2], ceil)
    }

    #[test]
    fn output_sizes_follow_ceil_mode() {
        assert_eq!(output_size(5, 2, 0, 2, 1, false).unwrap(), 2);
        assert_eq!(output_size(5, 2, 0, 2, 1, true).unwrap(), 3);
        // The last window would start in the right padding: dropped.
        assert_eq!(output_size(4, 2, 1, 2, 1, true).unwrap(), 3);
        assert_eq!(
            output_size(5, 3, 2, 1, 1, false).unwrap_err().message(),
            "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"
        );
    }

    #[test]
    fn pools_of_a_3d_input() {
        let x = Tensor::from_vec((0..16).map(|v| v as f64).collect::<Vec<_>>(), &[1, 4, 4]).unwrap();
        let (m, i) = max_pool(&x, &params(2, 2, 0, false)).unwrap();
        assert_eq!(m.to_vec::<f64>().unwrap(), vec![5.0, 7.0, 13.0, 15.0]);
        assert_eq!(i.dtype(), DType::I64);
        let a = avg_pool(&x, &params(2, 2, 0, false), AvgRule { count_include_pad: true, divisor: None }).unwrap();
        assert_eq!(a.to_vec::<f64>().unwrap(), vec![2.5, 4.5, 10.5, 12.5]);
        let small = Tensor::zeros(&[1, 1, 1], DType::F32);
        assert_eq!(
            max_pool(&small, &params(2, 2, 0, false)).unwrap_err().message(),
            "Given input size: (1x1x1). Calculated output size: (1x0x0). Output size is too small"
        );
    }

    #[test]
    fn pools_of_a_4d_input_over_three_dims() {
        let x = Tensor::from_vec((0..27).map(|v| v as f64).collect::<Vec<_>>(), &[1, 3, 3, 3]).unwrap();
        let p = PoolParams::new(&[2; 3], &[1; 3], &[0; 3], &[1; 3], false);
        let (m, i) = max_pool(&x, &p).unwrap();
        assert_eq!(m.shape(), vec![1, 2, 2, 2]);
        assert_eq!(i.to_vec::<i64>().unwrap(), vec![13, 14, 16, 17, 22, 23, 25, 26]);
        let (a, ai) = adaptive_max_pool(&x, &[1, 1, 1]).unwrap();
        assert_eq!((a.to_vec::<f64>().unwrap(), ai.to_vec::<i64>().unwrap()), (vec![26.0], vec![26]));
        let small = Tensor::zeros(&[1, 1, 1, 4], DType::F32);
        assert_eq!(
            avg_pool(&small, &p, AvgRule { count_include_pad: true, divisor: None }).unwrap_err().message(),
            "input image (T: 1 H: 1 W: 4) smaller than kernel size (kT: 2 kH: 2 kW: 2)"
        );
    }
}
