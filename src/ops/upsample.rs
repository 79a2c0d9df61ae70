//! 2-D and 3-D upsampling of `[N, C, H, W]` / `[N, C, D, H, W]` tensors, PyTorch's
//! `upsample_nearest{2,3}d`, `_upsample_nearest_exact{2,3}d`, `upsample_bilinear2d` and
//! `upsample_trilinear3d` (with `align_corners`): the source index/weight rules of ATen's CPU
//! kernels (nearest in float32 arithmetic, linear in the tensor's type), applied separably along
//! (d, h, w) (a 2-d input has depth 1), a backward that scatters the gradient with the same
//! weights, and that backward's own node (its derivative is the forward again), so
//! `create_graph=True` works.

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
    /// Nearest neighbour of the pixel centres (`mode='nearest-exact'`).
    NearestExact,
    /// Bilinear / trilinear (`mode='bilinear'` / `'trilinear'`), with PyTorch's `align_corners`.
    Bilinear {
        /// Corner pixels' centres aligned (source = dst * (in-1)/(out-1)) instead of half-pixel centres.
        align_corners: bool,
    },
}

/// The output size and the user's scale factors (used for the source coordinates when given),
/// per (d, h, w); `spatial` (2 or 3) says how many of them the input has.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpsampleSpec {
    /// The interpolation.
    pub mode: UpsampleMode,
    /// Resampled dims: 2 or 3.
    pub spatial: usize,
    /// Output depth, height and width (depth 1 in 2-d).
    pub out: [usize; 3],
    /// The scale factors the user gave (d, h, w), if any.
    pub scales: [Option<f64>; 3],
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

/// ATen's `nearest_exact_idx`: the source pixel whose centre is nearest (float32 arithmetic).
fn nearest_exact_index(dst: usize, input: usize, output: usize, scale: Option<f64>) -> usize {
    let s = scale_value(scale, input, output) as f32;
    (((dst as f32 + 0.5) * s).floor() as usize).min(input - 1)
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

/// For each output index along one axis: the (source index, weight) pairs it reads (a nearest
/// mode reads one source with weight 1; the second pair has weight 0).
fn taps<T: Element + num_traits::Float>(mode: UpsampleMode, input: usize, output: usize, scale: Option<f64>) -> Vec<[(usize, T); 2]> {
    let one = |i: usize| [(i, num_traits::one::<T>()), (0, T::zero())];
    (0..output)
        .map(|d| match mode {
            UpsampleMode::Nearest => one(nearest_index(d, input, output, scale)),
            UpsampleMode::NearestExact => one(nearest_exact_index(d, input, output, scale)),
            UpsampleMode::Bilinear { align_corners } => {
                let (i0, i1, w0, w1) = linear_weights::<T>(d, input, output, scale, align_corners);
                [(i0, w0), (i1, w1)]
            }
        })
        .collect()
}

/// The taps along (d, h, w) for an input of `inp`.
type Taps3<T> = [Vec<[(usize, T); 2]>; 3];

fn taps3<T: Element + num_traits::Float>(inp: [usize; 3], spec: &UpsampleSpec) -> Taps3<T> {
    std::array::from_fn(|a| taps::<T>(spec.mode, inp[a], spec.out[a], spec.scales[a]))
}

/// `out[p, i, j, k] = sum of wd * wh * ww * x[p, d, h, w]` over the taps, over `planes` volumes.
fn forward_kernel<T: Element + num_traits::Float>(x: &[T], planes: usize, inp: [usize; 3], spec: &UpsampleSpec) -> Vec<T> {
    let [td, th, tw] = taps3::<T>(inp, spec);
    let [_, ih, iw] = inp;
    let vol = inp.iter().product::<usize>();
    let linear = matches!(spec.mode, UpsampleMode::Bilinear { .. });
    let mut out = Vec::with_capacity(planes * spec.out.iter().product::<usize>());
    for p in 0..planes {
        let plane = &x[p * vol..(p + 1) * vol];
        for d in &td {
            for h in &th {
                for w in &tw {
                    let v = if linear {
                        let row = |z: usize, r: usize| {
                            let base = (z * ih + r) * iw;
                            w[0].1 * plane[base + w[0].0] + w[1].1 * plane[base + w[1].0]
                        };
                        let slice = |z: usize| h[0].1 * row(z, h[0].0) + h[1].1 * row(z, h[1].0);
                        // A 2-d input (depth 1, weights 1 and 0) skips the depth blend, keeping
                        // bilinear's arithmetic bit for bit.
                        if d[1].1 == T::zero() { slice(d[0].0) } else { d[0].1 * slice(d[0].0) + d[1].1 * slice(d[1].0) }
                    } else {
                        plane[(d[0].0 * ih + h[0].0) * iw + w[0].0]
                    };
                    out.push(v);
                }
            }
        }
    }
    out
}

/// The adjoint of [`forward_kernel`]: scatters `g` (`[planes, out_d, out_h, out_w]`) to the input grid.
fn backward_kernel<T: Element + num_traits::Float>(g: &[T], planes: usize, inp: [usize; 3], spec: &UpsampleSpec) -> Vec<T> {
    let [td, th, tw] = taps3::<T>(inp, spec);
    let [_, ih, iw] = inp;
    let vol = inp.iter().product::<usize>();
    let mut out = vec![T::zero(); planes * vol];
    let mut k = 0;
    for p in 0..planes {
        let dst = &mut out[p * vol..(p + 1) * vol];
        for d in &td {
            for h in &th {
                for w in &tw {
                    let v = g[k];
                    k += 1;
                    for &(di, dw) in d.iter().filter(|t| t.1 != T::zero()) {
                        for &(hi, hw) in h.iter().filter(|t| t.1 != T::zero()) {
                            for &(wi, ww) in w.iter().filter(|t| t.1 != T::zero()) {
                                let at = (di * ih + hi) * iw + wi;
                                // 2-d: dw is 1, so this is bilinear's hw * ww * v exactly.
                                dst[at] = dst[at] + dw * hw * ww * v;
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// (kernel name for dtype errors, as PyTorch's CPU dispatch names it, node name, backward's node name).
fn names(spec: &UpsampleSpec) -> (&'static str, &'static str, &'static str) {
    match (spec.mode, spec.spatial) {
        (UpsampleMode::Nearest, 2) => ("upsample_nearest2d_channels_last", "UpsampleNearest2DBackward0", "UpsampleNearest2DBackwardBackward0"),
        (UpsampleMode::Nearest, _) => ("compute_indices_weights_nearest", "UpsampleNearest3DBackward0", "UpsampleNearest3DBackwardBackward0"),
        (UpsampleMode::NearestExact, 2) => {
            ("upsample_nearest2d_channels_last", "UpsampleNearestExact2DBackward0", "UpsampleNearestExact2DBackwardBackward0")
        }
        (UpsampleMode::NearestExact, _) => {
            ("compute_indices_weights_nearest", "UpsampleNearestExact3DBackward0", "UpsampleNearestExact3DBackwardBackward0")
        }
        (UpsampleMode::Bilinear { .. }, 2) => {
            ("upsample_bilinear2d_channels_last", "UpsampleBilinear2DBackward0", "UpsampleBilinear2DBackwardBackward0")
        }
        (UpsampleMode::Bilinear { .. }, _) => {
            ("compute_indices_weights_linear", "UpsampleTrilinear3DBackward0", "UpsampleTrilinear3DBackwardBackward0")
        }
    }
}

fn spec_values(spec: &UpsampleSpec) -> Vec<(&'static str, SavedValue)> {
    let lead = 3 - spec.spatial;
    let scale = |s: Option<f64>| s.map_or(SavedValue::None, SavedValue::Float);
    let mut v = vals![("output_size", spec.out[lead..].iter().map(|&d| d as i64).collect::<Vec<_>>())];
    for (a, name) in ["scales_d", "scales_h", "scales_w"].into_iter().enumerate().skip(lead) {
        v.push((name, scale(spec.scales[a])));
    }
    if let UpsampleMode::Bilinear { align_corners } = spec.mode {
        v.push(("align_corners", SavedValue::Bool(align_corners)));
    }
    v
}

/// The input's (d, h, w) sizes, depth 1 for a 2-d input.
fn volume(shape: &[usize], spatial: usize) -> [usize; 3] {
    std::array::from_fn(|a| if a < 3 - spatial { 1 } else { shape[shape.len() - 3 + a] })
}

/// `upsample_*{2,3}d(t, output_size, scales)` for a `[N, C, H, W]` / `[N, C, D, H, W]` float tensor.
pub fn upsample(t: &Tensor, spec: UpsampleSpec) -> Result<Tensor> {
    let shape = t.shape();
    let sp = spec.spatial;
    if shape.len() != sp + 2 {
        return Err(Error::runtime(format!("Expected {}D input for {sp}-D upsampling, but got {}D input", sp + 2, shape.len())));
    }
    let (kernel, name, _) = names(&spec);
    let inp = volume(&shape, sp);
    let lead = 3 - sp;
    if inp.contains(&0) || spec.out.contains(&0) {
        let dims = ["D", "H", "W"];
        let list = |v: [usize; 3]| (lead..3).map(|a| format!("{}: {}", dims[a], v[a])).collect::<Vec<_>>().join(", ");
        return Err(Error::runtime(format!(
            "Input and output sizes should be greater than 0, but got input ({}) output ({})",
            list(inp),
            list(spec.out)
        )));
    }
    if !t.dtype().is_float() {
        return Err(super::unary::not_implemented(kernel, t.dtype()));
    }
    let planes = shape[0] * shape[1];
    let mut out_shape = vec![shape[0], shape[1]];
    out_shape.extend(&spec.out[lead..]);
    let out = with_float_dtype!(t.dtype(), T => Tensor::from_vec(forward_kernel::<T>(&dense::<T>(t), planes, inp, &spec), &out_shape)?);
    record(&[t], &[&out], || {
        // d upsample = the adjoint scatter of grad with the same taps and weights
        let mut v = spec_values(&spec);
        v.push(("self_sym_sizes", SavedValue::Ints(shape.iter().map(|&d| d as i64).collect())));
        backward_fn(name, vec![], move |_, _, g| Ok(vec![Some(upsample_backward(&g[0], &shape, spec)?)])).values(v)
    })?;
    Ok(out)
}

/// The backward of [`upsample`] for an input of `input_shape` (itself differentiable: its
/// derivative is the forward).
pub fn upsample_backward(g: &Tensor, input_shape: &[usize], spec: UpsampleSpec) -> Result<Tensor> {
    let (_, _, name) = names(&spec);
    let planes = input_shape[0] * input_shape[1];
    let dtype = g.dtype();
    let inp = volume(input_shape, spec.spatial);
    let out = with_float_dtype!(dtype, T => Tensor::from_vec(backward_kernel::<T>(&dense::<T>(g), planes, inp, &spec), input_shape)?);
    record(&[g], &[&out], || {
        // d upsample_backward(grad) = upsample(grad of the result)
        backward_fn(name, vec![], move |_, _, gg| Ok(vec![Some(upsample(&gg[0], spec)?)])).values(spec_values(&spec))
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
        let spec = UpsampleSpec { mode: UpsampleMode::Nearest, spatial: 2, out: [1, 4, 4], scales: [None, Some(2.0), Some(2.0)] };
        let y = upsample(&x, spec).unwrap().to_vec::<f64>().unwrap();
        assert_eq!(&y[..8], &[1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]);
        let spec = UpsampleSpec { mode: UpsampleMode::Bilinear { align_corners: true }, spatial: 2, out: [1, 3, 3], scales: [None; 3] };
        let y = upsample(&x, spec).unwrap().to_vec::<f64>().unwrap();
        assert_eq!(y, vec![1.0, 1.5, 2.0, 2.0, 2.5, 3.0, 3.0, 3.5, 4.0]);
        // The backward is the adjoint: <up(x), g> = <x, up^T(g)>.
        let g = Tensor::from_vec((0..9).map(|v| v as f64).collect::<Vec<_>>(), &[1, 1, 3, 3]).unwrap();
        let gx = upsample_backward(&g, &[1, 1, 2, 2], spec).unwrap().to_vec::<f64>().unwrap();
        let lhs: f64 = y.iter().zip(0..9).map(|(a, b)| a * b as f64).sum();
        let rhs: f64 = gx.iter().zip([1.0, 2.0, 3.0, 4.0]).map(|(a, b)| a * b).sum();
        assert!((lhs - rhs).abs() < 1e-12);
    }

    #[test]
    fn trilinear_blends_along_depth_and_nearest_exact_takes_centres() {
        // Depth 2 -> 3 with aligned corners: the middle slice is the mean of the two.
        let x = Tensor::from_vec(vec![0.0f64, 2.0], &[1, 1, 2, 1, 1]).unwrap();
        let spec = UpsampleSpec { mode: UpsampleMode::Bilinear { align_corners: true }, spatial: 3, out: [3, 1, 1], scales: [None; 3] };
        assert_eq!(upsample(&x, spec).unwrap().to_vec::<f64>().unwrap(), vec![0.0, 1.0, 2.0]);
        // 3 -> 2 nearest-exact reads the centres 0.75 and 2.25: sources 0 and 2.
        let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[1, 1, 3, 1, 1]).unwrap();
        let spec = UpsampleSpec { mode: UpsampleMode::NearestExact, spatial: 3, out: [2, 1, 1], scales: [None; 3] };
        assert_eq!(upsample(&x, spec).unwrap().to_vec::<f64>().unwrap(), vec![1.0, 3.0]);
    }
}
