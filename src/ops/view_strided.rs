//! Views with explicit strides and views made in place: `as_strided` (any layout into the
//! storage), `unfold` (sliding windows along one dim), and `squeeze_` / `unsqueeze_` / `t_` /
//! `transpose_` / `as_strided_`, which give the tensor itself a new layout.

use super::backward::{backward_fn, vals};
use super::inplace::check_in_place_allowed;
use super::view::{squeeze_named, transpose_named, unsqueeze_named};
use super::{record, wrap_dim};
use crate::autograd::AsStridedBackward;
use crate::error::{Error, Result};
use crate::tensor::{shape_str, Element, Layout, Tensor};
use crate::with_dtype;

/// Elements a storage needs so that `layout` fits in it.
fn extent(layout: &Layout) -> usize {
    if layout.numel() == 0 {
        return 0;
    }
    layout.offset + layout.shape.iter().zip(&layout.strides).map(|(&n, &s)| (n - 1) * s).sum::<usize>() + 1
}

/// The layout `t.as_strided(size, stride, storage_offset)` asks for (the offset defaults to
/// `t`'s own), with PyTorch's argument checks.
fn strided_layout(t: &Tensor, size: &[i64], stride: &[i64], storage_offset: Option<i64>) -> Result<Layout> {
    if size.len() != stride.len() {
        return Err(Error::runtime("mismatch in length of strides and shape"));
    }
    if stride.iter().any(|&s| s < 0) {
        return Err(Error::runtime(format!("as_strided: Negative strides are not supported at the moment, got strides: {stride:?}")));
    }
    if size.iter().any(|&s| s < 0) {
        return Err(Error::runtime(format!(
            "Storage size calculation overflowed with sizes={size:?} and strides={stride:?}"
        )));
    }
    let offset = storage_offset.unwrap_or(t.layout().offset as i64);
    if offset < 0 {
        return Err(Error::runtime(format!("Tensor: invalid storage offset {offset}")));
    }
    let layout = Layout {
        shape: size.iter().map(|&s| s as usize).collect(),
        strides: stride.iter().map(|&s| s as usize).collect(),
        offset: offset as usize,
    };
    let data = t.data();
    let available = data.storage.read().len();
    let needed = extent(&layout);
    if needed > available {
        let item = data.dtype.size_in_bytes();
        return Err(Error::runtime(format!(
            "setStorage: sizes {}, strides {}, storage offset {}, and itemsize {item} requiring a storage size of {} are out of bounds for storage of size {}",
            shape_str(&layout.shape),
            shape_str(&layout.strides),
            layout.offset,
            needed * item,
            available * item
        )));
    }
    Ok(layout)
}

/// `t.as_strided(size, stride, storage_offset)`: a view of `t`'s storage through any layout
/// (offsets absolute), recorded as AsStridedBackward0.
pub fn as_strided(t: &Tensor, size: &[i64], stride: &[i64], storage_offset: Option<i64>) -> Result<Tensor> {
    let layout = strided_layout(t, size, stride, storage_offset)?;
    as_strided_layout(t, layout, "AsStridedBackward0")
}

/// A view of `t` with `layout`, already checked against the storage. Its node puts the gradient
/// at the view's storage locations (elements sharing one location add up there) and reads back
/// `t`'s region: d as_strided(t) = grad scattered through the view's layout, gathered through t's.
pub(crate) fn as_strided_layout(t: &Tensor, layout: Layout, name: &'static str) -> Result<Tensor> {
    let base_layout = t.data().layout;
    let out = t.view_with_layout(layout.clone());
    record(&[t], &[&out], || AsStridedBackward::new(base_layout, layout).named(name))?;
    Ok(out)
}

/// `t.unfold(dimension, size, step)`: every window of `size` elements along `dimension`, `step`
/// apart, as a new last dim (a view: the windowed dim's stride times `step`, the window's stride
/// the dim's own).
pub fn unfold(t: &Tensor, dimension: i64, size: i64, step: i64) -> Result<Tensor> {
    let layout = t.data().layout;
    let ndim = layout.ndim();
    let d = wrap_dim(dimension, ndim)?;
    let max_size = if ndim == 0 { 1 } else { layout.shape[d] as i64 };
    if size > max_size {
        return Err(Error::runtime(format!("maximum size for tensor at dimension {d} is {max_size} but size is {size}")));
    }
    if size < 0 {
        return Err(Error::runtime(format!("size is {size} but must be >= 0")));
    }
    if step <= 0 {
        return Err(Error::runtime(format!("step is {step} but must be > 0")));
    }
    let (size_u, step_u) = (size as usize, step as usize);
    let mut shape = layout.shape.clone();
    let mut strides = layout.strides.clone();
    if ndim == 0 {
        shape.push(size_u);
        strides.push(1);
    } else {
        shape[d] = (shape[d] - size_u) / step_u + 1;
        strides[d] *= step_u;
        shape.push(size_u);
        strides.push(layout.strides[d]);
    }
    let out = t.view_with_layout(Layout { shape, strides, offset: layout.offset });
    let input_sizes: Vec<i64> = layout.shape.iter().map(|&s| s as i64).collect();
    record(&[t], &[&out], || {
        let saved = vals![("dimension", d as i64), ("self_sym_sizes", input_sizes.clone()), ("size", size), ("step", step)];
        // d unfold(t) = each window's gradient added back at the window's elements
        backward_fn("UnfoldBackward0", vec![], move |_, _, g| Ok(vec![Some(unfold_backward(&g[0], &input_sizes, d, size_u, step_u)?)]))
            .values(saved)
    })?;
    Ok(out)
}

/// The gradient of `unfold` for an input of `input_sizes`: a zero tensor with every element of
/// `grad` (one per window position) added at the input element it was read from. Recorded, as
/// PyTorch's, so that double backward works: d unfold_backward(g) = unfold(gg).
fn unfold_backward(grad: &Tensor, input_sizes: &[i64], d: usize, size: usize, step: usize) -> Result<Tensor> {
    let shape: Vec<usize> = input_sizes.iter().map(|&s| s as usize).collect();
    let base = Layout::contiguous(&shape);
    let mut windows = base.clone();
    if shape.is_empty() {
        windows.shape.push(size);
        windows.strides.push(1);
    } else {
        windows.shape[d] = (shape[d] - size) / step + 1;
        windows.strides[d] *= step;
        windows.shape.push(size);
        windows.strides.push(base.strides[d]);
    }
    let source = grad.contiguous_buffer();
    let dtype = grad.dtype();
    let out = with_dtype!(dtype, T => {
        let src = T::slice(&source);
        let mut dst = vec![T::default(); base.numel()];
        let mut i = 0;
        windows.for_each_offset(|o| {
            dst[o] = T::from_f64(dst[o].to_f64() + src[i].to_f64());
            i += 1;
        });
        Tensor::from_vec(dst, &shape)?
    });
    record(&[grad], &[&out], || {
        // d unfold_backward(g) = unfold(gg)
        backward_fn("UnfoldBackwardBackward0", vec![], move |_, _, g| Ok(vec![Some(unfold(&g[0], d as i64, size as i64, step as i64)?)]))
    })?;
    Ok(out)
}

/// An in-place view op: `t` takes the layout of `view(t)` (same storage), its version is bumped,
/// and the view's node (named as PyTorch's in-place form) becomes its history.
fn view_in_place(t: &Tensor, view: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<()> {
    check_in_place_allowed(t, t.view_meta().as_ref())?;
    let out = view(t)?;
    let node = out.stored_grad_fn();
    t.set_data(out.data());
    t.version_counter().bump();
    if let Some(node) = node {
        t.set_grad_fn(node, 0);
    }
    Ok(())
}

/// `t.squeeze_()`, `t.squeeze_(d)` (`single`) or `t.squeeze_((d0, d1))`.
pub fn squeeze_(t: &Tensor, dims: Option<&[i64]>, single: bool) -> Result<()> {
    let name = match (dims, single) {
        (None, _) => "SqueezeBackward3",
        (Some(_), true) => "SqueezeBackward4",
        (Some(_), false) => "SqueezeBackward5",
    };
    view_in_place(t, |t| squeeze_named(t, dims, name))
}

/// `t.unsqueeze_(dim)`.
pub fn unsqueeze_(t: &Tensor, dim: i64) -> Result<()> {
    view_in_place(t, |t| unsqueeze_named(t, dim, "UnsqueezeBackward1"))
}

/// `t.transpose_(dim0, dim1)` (also `swapdims_` / `swapaxes_`).
pub fn transpose_(t: &Tensor, dim0: i64, dim1: i64) -> Result<()> {
    view_in_place(t, |t| transpose_named(t, dim0, dim1, "TransposeBackward1"))
}

/// `t.t_()`: a matrix transposed in place (vectors and scalars unchanged).
pub fn t_in_place(t: &Tensor) -> Result<()> {
    let ndim = t.dim();
    if ndim > 2 {
        return Err(Error::runtime(format!("t_() expects a tensor with <= 2 dimensions, but self is {ndim}D")));
    }
    view_in_place(t, |t| transpose_named(t, 0, if ndim == 2 { 1 } else { 0 }, "TBackward1"))
}

/// `t.as_strided_(size, stride, storage_offset)`.
pub fn as_strided_(t: &Tensor, size: &[i64], stride: &[i64], storage_offset: Option<i64>) -> Result<()> {
    let layout = strided_layout(t, size, stride, storage_offset)?;
    view_in_place(t, |t| as_strided_layout(t, layout, "AsStridedBackward1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(t: &Tensor) -> Vec<f64> {
        t.to_f64_vec()
    }

    #[test]
    fn unfold_makes_overlapping_windows_and_its_backward_adds_them_up() {
        let x = Tensor::from_vec((0..8).map(|v| v as f64).collect::<Vec<_>>(), &[2, 4]).unwrap();
        let w = unfold(&x, 1, 2, 1).unwrap();
        assert_eq!(w.shape(), vec![2, 3, 2]);
        assert_eq!(values(&w), vec![0., 1., 1., 2., 2., 3., 4., 5., 5., 6., 6., 7.]);
        let g = Tensor::from_vec(vec![1.0f64; 12], &[2, 3, 2]).unwrap();
        // each middle element is read by two windows
        assert_eq!(values(&unfold_backward(&g, &[2, 4], 1, 2, 1).unwrap()), vec![1., 2., 2., 1., 1., 2., 2., 1.]);
        // a step past the window skips elements, which get no gradient
        let g = Tensor::from_vec(vec![1.0f64; 4], &[2, 2]).unwrap();
        let x1 = Tensor::from_vec(vec![0.0f64; 6], &[6]).unwrap();
        assert_eq!(unfold(&x1, 0, 2, 3).unwrap().shape(), vec![2, 2]);
        assert_eq!(values(&unfold_backward(&g, &[6], 0, 2, 3).unwrap()), vec![1., 1., 0., 1., 1., 0.]);
    }

    #[test]
    fn as_strided_checks_its_layout_against_the_storage() {
        let x = Tensor::from_vec(vec![1.0f32; 12], &[3, 4]).unwrap();
        assert_eq!(as_strided(&x, &[2, 2], &[1, 1], None).unwrap().shape(), vec![2, 2]);
        assert!(as_strided(&x, &[20, 2], &[1, 1], None).is_err());
        assert!(as_strided(&x, &[2, 2], &[1], None).is_err());
        assert!(as_strided(&x, &[2, 2], &[1, 1], Some(-1)).is_err());
    }
}
