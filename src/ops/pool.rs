//! 2-d pooling over the last two dims of a (c, h, w) or (n, c, h, w) tensor: max pooling with
//! indices (`MaxPool2DWithIndicesBackward0`), average pooling (`AvgPool2DBackward0`) and adaptive
//! average pooling (`AdaptiveAvgPool2DBackward0`), with PyTorch's output-size rules and checks.
//! Each backward is itself a recorded op (linear in the gradient), so double backward works.

use super::backward::backward_fn;
use super::{dense, shape_i64, record};
use crate::autograd::SavedTensor;
use crate::cpu::conv::{self as kernels, AvgRule, Window};
use crate::error::{Error, Result};
use crate::ops::{gather, reshape};
use crate::tensor::Tensor;
use crate::with_float_dtype;

/// Kernel size, stride, padding and dilation (h, w) of a pooling op, and `ceil_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolParams {
    /// Window size.
    pub kernel: [i64; 2],
    /// Step between windows.
    pub stride: [i64; 2],
    /// Implicit padding on both sides.
    pub padding: [i64; 2],
    /// Spacing of window taps (1 for average pooling).
    pub dilation: [i64; 2],
    /// Round output sizes up instead of down.
    pub ceil_mode: bool,
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

/// The window geometry over `planes` planes of the input, with PyTorch's shape checks.
fn window(input: &Tensor, p: &PoolParams) -> Result<(Window, Vec<usize>)> {
    let shape = input.shape();
    let nd = shape.len();
    if !(nd == 3 || nd == 4) || shape[nd - 3..].contains(&0) {
        return Err(Error::runtime("non-empty 3D or 4D (batch mode) tensor expected for input"));
    }
    let (h, w) = (shape[nd - 2] as i64, shape[nd - 1] as i64);
    let oh = output_size(h, p.kernel[0], p.padding[0], p.stride[0], p.dilation[0], p.ceil_mode)?;
    let ow = output_size(w, p.kernel[1], p.padding[1], p.stride[1], p.dilation[1], p.ceil_mode)?;
    let [kh, kw] = p.kernel;
    if kh <= 0 || kw <= 0 {
        return Err(Error::runtime(format!("kernel size should be greater than zero, but got kH: {kh} kW: {kw}")));
    }
    let [sh, sw] = p.stride;
    if sh <= 0 || sw <= 0 {
        return Err(Error::runtime(format!("stride should be greater than zero, but got dH: {sh} dW: {sw}")));
    }
    let [dh, dw] = p.dilation;
    if dh <= 0 || dw <= 0 {
        return Err(Error::runtime(format!("dilation should be greater than zero, but got dilationH: {dh} dilationW: {dw}")));
    }
    let c = shape[nd - 3];
    if oh < 1 || ow < 1 {
        return Err(Error::runtime(format!("Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{oh}x{ow}). Output size is too small")));
    }
    let planes: usize = shape[..nd - 2].iter().product();
    let g = Window {
        n: planes,
        c: 1,
        h: h as usize,
        w: w as usize,
        kh: kh as usize,
        kw: kw as usize,
        sh: sh as usize,
        sw: sw as usize,
        ph: p.padding[0] as usize,
        pw: p.padding[1] as usize,
        dh: dh as usize,
        dw: dw as usize,
        oh: oh as usize,
        ow: ow as usize,
    };
    let mut out_shape = shape[..nd - 2].to_vec();
    out_shape.extend([g.oh, g.ow]);
    Ok((g, out_shape))
}

fn float_only(t: &Tensor, kernel: &str) -> Result<()> {
    if t.dtype().is_float() {
        Ok(())
    } else {
        Err(Error::not_implemented(format!("\"{kernel}\" not implemented for '{}'", t.dtype().scalar_type_name())))
    }
}

/// `F.max_pool2d(..., return_indices=True)`: the maxima and their flat indices in each plane.
pub fn max_pool2d(input: &Tensor, p: &PoolParams) -> Result<(Tensor, Tensor)> {
    let (g, out_shape) = window(input, p)?;
    float_only(input, "max_pool2d")?;
    let (out, idx) = with_float_dtype!(input.dtype(), T => {
        let (v, i) = kernels::max_pool2d(&dense::<T>(input), &g);
        (Tensor::from_vec(v, &out_shape)?, Tensor::from_vec(i, &out_shape)?)
    });
    let in_shape = input.shape();
    record(&[input], &[&out], || {
        let saved = vec![Some(SavedTensor::input(input).named("self")), Some(SavedTensor::input(&idx).named("result1"))];
        // d maxpool = grad added at the index of each window's maximum
        backward_fn("MaxPool2DWithIndicesBackward0", saved, move |_, s, gr| {
            Ok(vec![Some(max_pool2d_backward(&gr[0], s[1].as_ref().expect("saved"), g, &in_shape)?)])
        })
    })?;
    Ok((out, idx))
}

/// The gradient of max pooling (linear in `grad`): recorded, its own gradient gathers at `idx`.
fn max_pool2d_backward(grad: &Tensor, idx: &Tensor, g: Window, in_shape: &[usize]) -> Result<Tensor> {
    let dtype = grad.dtype();
    let gx = with_float_dtype!(dtype, T => {
        Tensor::from_vec(kernels::max_pool2d_backward(&dense::<T>(grad), &dense::<i64>(idx), &g), in_shape)?
    });
    let out_shape = grad.shape();
    record(&[grad], &[&gx], || {
        // d (scatter of grad at idx) = gather of the incoming gradient at idx
        backward_fn("MaxPool2DWithIndicesBackwardBackward0", vec![Some(SavedTensor::input(idx).named("indices"))], move |_, s, gr| {
            let idx = reshape(s[0].as_ref().expect("saved"), &[g.n as i64, (g.oh * g.ow) as i64])?;
            let planes = reshape(&gr[0], &[g.n as i64, (g.h * g.w) as i64])?;
            Ok(vec![Some(reshape(&gather(&planes, 1, &idx)?, &shape_i64(&out_shape))?)])
        })
    })?;
    Ok(gx)
}

/// `F.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)`.
pub fn avg_pool2d(input: &Tensor, p: &PoolParams, rule: AvgRule) -> Result<Tensor> {
    if input.dim() < 3 {
        return Err(crate::ops::wrap_dim(-3, input.dim()).unwrap_err());
    }
    if rule.divisor == Some(0) {
        return Err(Error::runtime("divisor must be not zero"));
    }
    let (g, out_shape) = window(input, p)?;
    float_only(input, "avg_pool2d_out_frame")?;
    avg_pool_window(input, g, rule, &out_shape)
}

fn avg_pool_window(input: &Tensor, g: Window, rule: AvgRule, out_shape: &[usize]) -> Result<Tensor> {
    let out = with_float_dtype!(input.dtype(), T => Tensor::from_vec(kernels::avg_pool2d(&dense::<T>(input), &g, rule), out_shape)?);
    let in_shape = input.shape();
    record(&[input], &[&out], || {
        // d avgpool = grad / divisor spread over each window
        backward_fn("AvgPool2DBackward0", vec![Some(SavedTensor::input(input).named("self"))], move |_, _, gr| {
            Ok(vec![Some(avg_pool2d_backward(&gr[0], g, rule, &in_shape)?)])
        })
    })?;
    Ok(out)
}

/// The gradient of average pooling; its own gradient is average pooling again.
fn avg_pool2d_backward(grad: &Tensor, g: Window, rule: AvgRule, in_shape: &[usize]) -> Result<Tensor> {
    let gx = with_float_dtype!(grad.dtype(), T => Tensor::from_vec(kernels::avg_pool2d_backward(&dense::<T>(grad), &g, rule), in_shape)?);
    let out_shape = grad.shape();
    record(&[grad], &[&gx], || {
        // d avgpool_backward(grad) = avgpool(incoming gradient)
        backward_fn("AvgPool2DBackwardBackward0", vec![], move |_, _, gr| Ok(vec![Some(avg_pool_window(&gr[0], g, rule, &out_shape)?)]))
    })?;
    Ok(gx)
}

/// `F.adaptive_avg_pool2d(input, (oh, ow))` (an output size of 1x1 is handled by the caller as a
/// mean, as PyTorch does).
pub fn adaptive_avg_pool2d(input: &Tensor, oh: usize, ow: usize) -> Result<Tensor> {
    let shape = input.shape();
    let nd = shape.len();
    if !(nd == 3 || nd == 4) || shape[nd - 3..].contains(&0) {
        return Err(Error::runtime(format!(
            "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {}",
            crate::tensor::shape_str(&shape)
        )));
    }
    float_only(input, "adaptive_avg_pool2d")?;
    let (h, w) = (shape[nd - 2], shape[nd - 1]);
    let planes: usize = shape[..nd - 2].iter().product();
    let mut out_shape = shape[..nd - 2].to_vec();
    out_shape.extend([oh, ow]);
    adaptive(input, planes, [h, w], [oh, ow], &out_shape)
}

fn adaptive(input: &Tensor, planes: usize, size: [usize; 2], out: [usize; 2], out_shape: &[usize]) -> Result<Tensor> {
    let ([h, w], [oh, ow]) = (size, out);
    let y = with_float_dtype!(input.dtype(), T => Tensor::from_vec(kernels::adaptive_avg_pool2d(&dense::<T>(input), planes, h, w, oh, ow), out_shape)?);
    let in_shape = input.shape();
    record(&[input], &[&y], || {
        // d adaptive avgpool = grad / window size spread over each window
        backward_fn("AdaptiveAvgPool2DBackward0", vec![Some(SavedTensor::input(input).named("self"))], move |_, _, gr| {
            Ok(vec![Some(adaptive_backward(&gr[0], planes, size, out, &in_shape)?)])
        })
    })?;
    Ok(y)
}

fn adaptive_backward(grad: &Tensor, planes: usize, size: [usize; 2], out: [usize; 2], in_shape: &[usize]) -> Result<Tensor> {
    let ([h, w], [oh, ow]) = (size, out);
    let gx = with_float_dtype!(grad.dtype(), T => {
        Tensor::from_vec(kernels::adaptive_avg_pool2d_backward(&dense::<T>(grad), planes, h, w, oh, ow), in_shape)?
    });
    let out_shape = grad.shape();
    record(&[grad], &[&gx], || {
        // d adaptive_backward(grad) = adaptive avgpool(incoming gradient)
        backward_fn("AdaptiveAvgPool2DBackwardBackward0", vec![], move |_, _, gr| {
            Ok(vec![Some(adaptive(&gr[0], planes, size, out, &out_shape)?)])
        })
    })?;
    Ok(gx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::DType;

    fn params(k: i64, s: i64, p: i64, ceil: bool) -> PoolParams {
        PoolParams { kernel: [k; 2], stride: [s; 2], padding: [p; 2], dilation: [1; 2], ceil_mode: ceil }
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
        let (m, i) = max_pool2d(&x, &params(2, 2, 0, false)).unwrap();
        assert_eq!(m.to_vec::<f64>().unwrap(), vec![5.0, 7.0, 13.0, 15.0]);
        assert_eq!(i.dtype(), DType::I64);
        let a = avg_pool2d(&x, &params(2, 2, 0, false), AvgRule { count_include_pad: true, divisor: None }).unwrap();
        assert_eq!(a.to_vec::<f64>().unwrap(), vec![2.5, 4.5, 10.5, 12.5]);
        let small = Tensor::zeros(&[1, 1, 1], DType::F32);
        assert_eq!(
            max_pool2d(&small, &params(2, 2, 0, false)).unwrap_err().message(),
            "Given input size: (1x1x1). Calculated output size: (1x0x0). Output size is too small"
        );
    }
}
