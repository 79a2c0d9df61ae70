//! 2-D upsampling of `[N, C, H, W]` tensors, PyTorch's `upsample_nearest2d` and
//! `upsample_bilinear2d` (with `align_corners`): the source index/weight rules of ATen's CPU
//! kernels (nearest in float32 arithmetic, bilinear in the tensor's type), a backward that
//! scatters the gradient with the same weights, and that backward's own node (its derivative is
//! the forward again), so `create_graph=True` works.

use super::backward::{backward_fn, vals};
use super::{dense, record};
use crate::autograd::SavedValue;
use crate::error::{Error, Result};
use crate::tensor::{DType, Element, Tensor};
use crate::with_float_dtype;

/// Which interpolation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UpsampleMode {
    /// Nearest neighbour (`mode='nearest'`).
    Nearest,
    /// Bilinear (`mode='bilinear'`), with PyTorch's `align_corners`.
    Bilinear {
        /// Corner pixels' centres aligned (source = dst * (in-1)/(out-1)) instead of half-pixel centres.
        align_corners: bool,
    },
}

/// The output size and the user's scale factors (used for the source coordinates when given).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpsampleSpec {
    /// The interpolation.
    pub mode: UpsampleMode,
    /// Output height and width.
    pub out: [usize; 2],
    /// The scale factors the user gave (h, w), if any.
    pub scales: [Option<f64>; 2],
}

/// ATen's `compute_scales_value`: `1/scale` when a positive scale was given, else `in/out`.
fn scale_value(scale: Option<f64>, input: usize, output: usize) -> f64 {
    match scale {
        Some(s) if s > 0.0 => 1.0 / s,
        _ => input as f64 / output as f64,
    }
}

/// ATen's `nearest_idx` (float32 arithmetic, as PyTorch's CPU kernel).
fn nearest_index(dst: usize, input: usize, output: usize, scale: Option<f64>) -> usize {
    if output == input {
        dst
    } else if output == 2 * input {
        dst >> 1
    } else {
        let s = scale_value(scale, input, output) as f32;
        ((dst as f32 * s).floor() as usize).min(input - 1)
    }
}

/// ATen's linear source indices and weights `(i0, i1, w0, w1)` for output index `dst`, in `T`.
fn linear_weights<T: Element + num_traits::Float>(dst: usize, input: usize, output: usize, scale: Option<f64>, align: bool) -> (usize, usize, T, T) {
    let s = if align {
        if output > 1 {
            T::from_f64((input as f64 - 1.0) / (output as f64 - 1.0))
        } else {
            T::zero()
        }
    } else {
        T::from_f64(scale_value(scale, input, output))
    };
    let real = if align {
        s * T::from_f64(dst as f64)
    } else {
        let r = s * (T::from_f64(dst as f64) + T::from_f64(0.5)) - T::from_f64(0.5);
        if r < T::zero() {
            T::zero()
        } else {
            r
        }
    };
    let i0 = real.to_f64() as usize;
    let i1 = if i0 < input - 1 { i0 + 1 } else { i0 };
    let l1 = (real - T::from_f64(i0 as f64)).max(T::zero()).min(num_traits::one::<T>());
    (i0, i1, num_traits::one::<T>() - l1, l1)
}

/// For each output index along one axis: the (source index, weight) pairs it reads.
fn taps<T: Element + num_traits::Float>(mode: UpsampleMode, input: usize, output: usize, scale: Option<f64>) -> Vec<[(usize, T); 2]> {
    (0..output)
        .map(|d| match mode {
            UpsampleMode::Nearest => [(nearest_index(d, input, output, scale), num_traits::one::<T>()), (0, T::zero())],
            UpsampleMode::Bilinear { align_corners } => {
                let (i0, i1, w0, w1) = linear_weights::<T>(d, input, output, scale, align_corners);
                [(i0, w0), (i1, w1)]
            }
        })
        .collect()
}

/// `out[p, i, j] = sum over taps wh * (sum over taps ww * x[p, h, w])` over `planes` planes.
fn forward_kernel<T: Element + num_traits::Float>(x: &[T], planes: usize, inp: [usize; 2], spec: &UpsampleSpec) -> Vec<T> {
    let th = taps::<T>(spec.mode, inp[0], spec.out[0], spec.scales[0]);
    let tw = taps::<T>(spec.mode, inp[1], spec.out[1], spec.scales[1]);
    let (ih, iw) = (inp[0], inp[1]);
    let mut out = Vec::with_capacity(planes * spec.out[0] * spec.out[1]);
    for p in 0..planes {
        let plane = &x[p * ih * iw..(p + 1) * ih * iw];
        for h in &th {
            for w in &tw {
                let v = match spec.mode {
                    UpsampleMode::Nearest => plane[h[0].0 * iw + w[0].0],
                    UpsampleMode::Bilinear { .. } => {
                        let row = |r: usize| w[0].1 * plane[r * iw + w[0].0] + w[1].1 * plane[r * iw + w[1].0];
                        h[0].1 * row(h[0].0) + h[1].1 * row(h[1].0)
                    }
                };
                out.push(v);
            }
        }
    }
    out
}

/// The adjoint of [`forward_kernel`]: scatters `g` (`[planes, out_h, out_w]`) to the input grid.
fn backward_kernel<T: Element + num_traits::Float>(g: &[T], planes: usize, inp: [usize; 2], spec: &UpsampleSpec) -> Vec<T> {
    let th = taps::<T>(spec.mode, inp[0], spec.out[0], spec.scales[0]);
    let tw = taps::<T>(spec.mode, inp[1], spec.out[1], spec.scales[1]);
    let (ih, iw, oh, ow) = (inp[0], inp[1], spec.out[0], spec.out[1]);
    let mut out = vec![T::zero(); planes * ih * iw];
    for p in 0..planes {
        let dst = &mut out[p * ih * iw..(p + 1) * ih * iw];
        for (i, h) in th.iter().enumerate() {
            for (j, w) in tw.iter().enumerate() {
                let v = g[(p * oh + i) * ow + j];
                for &(hi, hw) in h {
                    for &(wi, ww) in w {
                        if hw != T::zero() && ww != T::zero() {
                            dst[hi * iw + wi] = dst[hi * iw + wi] + hw * ww * v;
                        }
                    }
                }
            }
        }
    }
    out
}

fn names(mode: UpsampleMode) -> (&'static str, &'static str, &'static str) {
    match mode {
        UpsampleMode::Nearest => ("upsample_nearest2d_channels_last", "UpsampleNearest2DBackward0", "UpsampleNearest2DBackwardBackward0"),
        UpsampleMode::Bilinear { .. } => {
            ("upsample_bilinear2d_channels_last", "UpsampleBilinear2DBackward0", "UpsampleBilinear2DBackwardBackward0")
        }
    }
}

fn spec_values(spec: &UpsampleSpec) -> Vec<(&'static str, SavedValue)> {
    let scale = |s: Option<f64>| s.map_or(SavedValue::None, SavedValue::Float);
    let mut v = vals![("output_size", spec.out.iter().map(|&d| d as i64).collect::<Vec<_>>())];
    v.push(("scales_h", scale(spec.scales[0])));
    v.push(("scales_w", scale(spec.scales[1])));
    if let UpsampleMode::Bilinear { align_corners } = spec.mode {
        v.push(("align_corners", SavedValue::Bool(align_corners)));
    }
    v
}

/// `upsample_{nearest,bilinear}2d(t, output_size, scales)` for a `[N, C, H, W]` float tensor.
pub fn upsample2d(t: &Tensor, spec: UpsampleSpec) -> Result<Tensor> {
    let shape = t.shape();
    if shape.len() != 4 {
        return Err(Error::runtime(format!("Expected 4D input for 2-D upsampling, but got {}D input", shape.len())));
    }
    let (kernel, name, _) = names(spec.mode);
    if shape[2] == 0 || shape[3] == 0 || spec.out[0] == 0 || spec.out[1] == 0 {
        return Err(Error::runtime(format!(
            "Input and output sizes should be greater than 0, but got input (H: {}, W: {}) output (H: {}, W: {})",
            shape[2], shape[3], spec.out[0], spec.out[1]
        )));
    }
    if !t.dtype().is_float() {
        return Err(super::unary::not_implemented(kernel, t.dtype()));
    }
    let planes = shape[0] * shape[1];
    let out_shape = [shape[0], shape[1], spec.out[0], spec.out[1]];
    let out = with_float_dtype!(t.dtype(), T => Tensor::from_vec(forward_kernel::<T>(&dense::<T>(t), planes, [shape[2], shape[3]], &spec), &out_shape)?);
    record(&[t], &[&out], || {
        // d upsample = the adjoint scatter of grad with the same taps and weights
        let mut v = spec_values(&spec);
        v.push(("self_sym_sizes", SavedValue::Ints(shape.iter().map(|&d| d as i64).collect())));
        backward_fn(name, vec![], move |_, _, g| Ok(vec![Some(upsample2d_backward(&g[0], &shape, spec)?)])).values(v)
    })?;
    Ok(out)
}

/// The backward of [`upsample2d`] for an input of `input_shape` (itself differentiable: its
/// derivative is the forward).
pub fn upsample2d_backward(g: &Tensor, input_shape: &[usize], spec: UpsampleSpec) -> Result<Tensor> {
    let (_, _, name) = names(spec.mode);
    let planes = input_shape[0] * input_shape[1];
    let dtype = g.dtype();
    let out = with_float_dtype!(dtype, T => Tensor::from_vec(backward_kernel::<T>(&dense::<T>(g), planes, [input_shape[2], input_shape[3]], &spec), input_shape)?);
    record(&[g], &[&out], || {
        // d upsample_backward(grad) = upsample(grad of the result)
        backward_fn(name, vec![], move |_, _, gg| Ok(vec![Some(upsample2d(&gg[0], spec)?)])).values(spec_values(&spec))
    })?;
    debug_assert!(dtype == DType::F32 || dtype == DType::F64);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_doubles_and_bilinear_aligned_corners_keep_the_ends() {
        let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[1, 1, 2, 2]).unwrap();
        let spec = UpsampleSpec { mode: UpsampleMode::Nearest, out: [4, 4], scales: [Some(2.0), Some(2.0)] };
        let y = upsample2d(&x, spec).unwrap().to_vec::<f64>().unwrap();
        assert_eq!(&y[..8], &[1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]);
        let spec = UpsampleSpec { mode: UpsampleMode::Bilinear { align_corners: true }, out: [3, 3], scales: [None, None] };
        let y = upsample2d(&x, spec).unwrap().to_vec::<f64>().unwrap();
        assert_eq!(y, vec![1.0, 1.5, 2.0, 2.0, 2.5, 3.0, 3.0, 3.5, 4.0]);
        // The backward is the adjoint: <up(x), g> = <x, up^T(g)>.
        let g = Tensor::from_vec((0..9).map(|v| v as f64).collect::<Vec<_>>(), &[1, 1, 3, 3]).unwrap();
        let gx = upsample2d_backward(&g, &[1, 1, 2, 2], spec).unwrap().to_vec::<f64>().unwrap();
        let lhs: f64 = y.iter().zip(0..9).map(|(a, b)| a * b as f64).sum();
        let rhs: f64 = gx.iter().zip([1.0, 2.0, 3.0, 4.0]).map(|(a, b)| a * b).sum();
        assert!((lhs - rhs).abs() < 1e-12);
    }
}
