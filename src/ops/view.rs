//! Views: ops whose result shares the input's storage (and version counter) through another
//! layout: view, transpose / t / permute, squeeze / unsqueeze, select, slice / narrow, alias.
//! Their layout arithmetic is kept in pure functions so indexing (`__getitem__` / `__setitem__`)
//! can apply the same steps to any layout.

use std::sync::Arc;

use super::backward::{backward_fn, vals};
use super::shape::{clone, convert};
use super::{record, wrap_dim};
use crate::autograd::GradModeGuard;
use crate::cpu::elementwise::scatter_into;
use crate::error::{Error, Result};
use crate::tensor::{numel, Element, Layout, Tensor};
use crate::with_dtype;

// ----- layout arithmetic -----

/// PyTorch's `computeStride`: the strides that view `shape`/`strides` as `new_shape` without a
/// copy, or `None` when some new dimension would span two non-mergeable chunks of memory.
pub fn view_strides(shape: &[usize], strides: &[usize], new_shape: &[usize]) -> Option<Vec<usize>> {
    let n = numel(shape);
    if shape.is_empty() || n == 0 {
        // A 0-d or empty tensor can take any shape of its size with row-major strides.
        return Some(crate::tensor::contiguous_strides(new_shape));
    }
    let mut new_strides = vec![0usize; new_shape.len()];
    let mut view_d = new_shape.len() as isize - 1;
    let mut chunk_base_stride = *strides.last().expect("non-empty");
    let (mut tensor_numel, mut view_numel) = (1usize, 1usize);
    for tensor_d in (0..shape.len()).rev() {
        tensor_numel *= shape[tensor_d];
        // A chunk ends where the next-outer dim does not continue this one's memory.
        let chunk_ends =
            tensor_d == 0 || (shape[tensor_d - 1] != 1 && strides[tensor_d - 1] != tensor_numel * chunk_base_stride);
        if chunk_ends {
            while view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d as usize] == 1) {
                new_strides[view_d as usize] = view_numel * chunk_base_stride;
                view_numel *= new_shape[view_d as usize];
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if tensor_d > 0 {
                chunk_base_stride = strides[tensor_d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    (view_d == -1).then_some(new_strides)
}

/// The layout of `select(dim, index)` (index already checked).
pub(crate) fn select_layout(l: &Layout, dim: usize, index: usize) -> Layout {
    let mut out = l.clone();
    out.offset += index * l.strides[dim];
    out.shape.remove(dim);
    out.strides.remove(dim);
    out
}

/// The layout of `[start : start + len*step : step]` along `dim` (bounds already checked).
pub(crate) fn slice_layout(l: &Layout, dim: usize, start: usize, len: usize, step: usize) -> Layout {
    let mut out = l.clone();
    if len > 0 {
        out.offset += start * l.strides[dim];
    }
    out.shape[dim] = len;
    out.strides[dim] *= step;
    out
}

/// The layout with a new dimension of size 1 at `dim` (0..=ndim).
pub(crate) fn unsqueeze_layout(l: &Layout, dim: usize) -> Layout {
    let mut out = l.clone();
    let stride = if dim < l.ndim() { l.shape[dim] * l.strides[dim] } else { 1 };
    out.shape.insert(dim, 1);
    out.strides.insert(dim, stride);
    out
}

/// The layout with dimensions listed by `perm` (a permutation, already checked).
pub(crate) fn permute_layout(l: &Layout, perm: &[usize]) -> Layout {
    Layout {
        shape: perm.iter().map(|&d| l.shape[d]).collect(),
        strides: perm.iter().map(|&d| l.strides[d]).collect(),
        offset: l.offset,
    }
}

/// Normalises Python-style slice bounds against `size`: (start, length) for a positive `step`.
pub fn slice_bounds(start: Option<i64>, stop: Option<i64>, step: i64, size: usize) -> (usize, usize) {
    let size = size as i64;
    let clamp = |v: i64| if v < 0 { (v + size).max(0) } else { v.min(size) };
    let start = start.map_or(0, clamp);
    let stop = stop.map_or(size, clamp);
    let len = if stop > start { (stop - start + step - 1) / step } else { 0 };
    (start as usize, len as usize)
}

// ----- recording helpers -----

type ViewFn = Arc<dyn Fn(&Tensor) -> Result<Tensor> + Send + Sync>;

/// Zeros of `shape` with `grad` written into the part that the view op `region` selects: the
/// gradient of `region` (select, slice...). Recorded as `name`, whose own gradient is `region`.
fn embed(grad: &Tensor, shape: &[usize], name: &'static str, region: ViewFn) -> Result<Tensor> {
    let out = Tensor::zeros(shape, grad.dtype());
    let target = {
        let _no_grad = GradModeGuard::new(false);
        region(&out)?
    };
    write_broadcast(&target, grad)?;
    record(&[grad], &[&out], || {
        // d embed(g) = the same region of the incoming gradient
        backward_fn(name, vec![], move |_, _, g| Ok(vec![Some(region(&g[0])?)]))
    })?;
    Ok(out)
}

/// Writes `src` (broadcast to `dst`'s shape and cast to its dtype) into `dst`'s elements, without
/// autograd or version bookkeeping. Reads fully before writing, so overlapping tensors are safe.
pub(crate) fn write_broadcast(dst: &Tensor, src: &Tensor) -> Result<()> {
    let dst_data = dst.data();
    let src = convert(src, dst_data.dtype);
    let src_data = src.data();
    let layout = src_data.layout.broadcast_to(&dst_data.layout.shape)?;
    with_dtype!(dst_data.dtype, T => {
        let values = {
            let buffer = src_data.storage.read();
            layout.gather(T::slice(&buffer))
        };
        let mut buffer = dst_data.storage.write();
        scatter_into(T::slice_mut(&mut buffer), &dst_data.layout, &values);
    });
    Ok(())
}

fn to_i64(shape: &[usize]) -> Vec<i64> {
    shape.iter().map(|&d| d as i64).collect()
}

// ----- view ops -----

/// Formats `[2, -1]` as PyTorch prints a requested shape.
fn requested_str(requested: &[i64]) -> String {
    format!("[{}]", requested.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "))
}

/// Resolves a requested shape (one `-1` allowed) against `numel` elements, with PyTorch's errors.
pub fn infer_size(requested: &[i64], numel_in: usize) -> Result<Vec<usize>> {
    let mut inferred = None;
    let mut known = 1usize;
    for (i, &d) in requested.iter().enumerate() {
        match d {
            -1 if inferred.is_some() => return Err(Error::runtime("only one dimension can be inferred")),
            -1 => inferred = Some(i),
            d if d < 0 => {
                return Err(Error::runtime(format!(
                    "invalid shape dimension {d} at index {i} of shape {}",
                    requested_str(requested)
                )))
            }
            d => known *= d as usize,
        }
    }
    let mut shape: Vec<usize> = requested.iter().map(|&d| d.max(0) as usize).collect();
    let invalid = || Error::runtime(format!("shape '{}' is invalid for input of size {numel_in}", requested_str(requested)));
    if let Some(i) = inferred {
        if known == 0 || numel_in % known != 0 {
            return Err(invalid());
        }
        shape[i] = numel_in / known;
    }
    if numel(&shape) != numel_in {
        return Err(invalid());
    }
    Ok(shape)
}

/// Records a view-producing op whose gradient is `grad.reshape(input shape)`.
fn record_reshape_like(t: &Tensor, out: &Tensor, name: &'static str) -> Result<()> {
    let input_shape = to_i64(&t.shape());
    record(&[t], &[out], || {
        // d view(t) = grad viewed back to t's shape
        { let saved_values = vals![("self_sym_sizes", input_shape.clone())]; backward_fn(name, vec![], move |_, _, g| Ok(vec![Some(super::reshape(&g[0], &input_shape)?)])).values(saved_values) }
    })?;
    Ok(())
}

/// `t.view(shape)`: a view with another shape; fails when the strides do not allow one.
pub fn view(t: &Tensor, requested: &[i64]) -> Result<Tensor> {
    let data = t.data();
    let shape = infer_size(requested, data.layout.numel())?;
    let strides = view_strides(&data.layout.shape, &data.layout.strides, &shape).ok_or_else(|| {
        Error::runtime("view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    })?;
    let out = t.view_with_layout(Layout { shape, strides, offset: data.layout.offset });
    record_reshape_like(t, &out, "ViewBackward0")?;
    Ok(out)
}

/// `t.reshape(shape)`: a view when the strides allow one, else a copy.
pub fn reshape(t: &Tensor, requested: &[i64]) -> Result<Tensor> {
    let data = t.data();
    let shape = infer_size(requested, data.layout.numel())?;
    if data.layout.is_contiguous() {
        return view(t, requested);
    }
    if let Some(strides) = view_strides(&data.layout.shape, &data.layout.strides, &shape) {
        let out = t.view_with_layout(Layout { shape, strides, offset: data.layout.offset });
        record_reshape_like(t, &out, "ReshapeAliasBackward0")?;
        return Ok(out);
    }
    // PyTorch: _unsafe_view(clone(t), shape).
    let copy = clone(t)?;
    let out = copy.view_with_layout(Layout::contiguous(&shape));
    record_reshape_like(&copy, &out, "UnsafeViewBackward0")?;
    Ok(out)
}

/// `t.flatten(start_dim, end_dim)`: merges the dims in between (the input itself when none merge).
pub fn flatten(t: &Tensor, start_dim: i64, end_dim: i64) -> Result<Tensor> {
    let shape = t.shape();
    let (start, end) = (wrap_dim(start_dim, shape.len())?, wrap_dim(end_dim, shape.len())?);
    if start > end {
        return Err(Error::runtime("flatten() has invalid args: start_dim cannot come after end_dim"));
    }
    if shape.is_empty() {
        return reshape(t, &[1]);
    }
    if start == end {
        return Ok(t.clone());
    }
    let mut target = to_i64(&shape[..start]);
    target.push(numel(&shape[start..=end]) as i64);
    target.extend(to_i64(&shape[end + 1..]));
    reshape(t, &target)
}

/// `t.transpose(dim0, dim1)`.
pub fn transpose(t: &Tensor, dim0: i64, dim1: i64) -> Result<Tensor> {
    transpose_named(t, dim0, dim1, "TransposeBackward0")
}

/// [`transpose`] recording a node named `name` (`TBackward0` for `t()`; the `1` names are the
/// in-place forms `t_()` / `transpose_()`).
pub(crate) fn transpose_named(t: &Tensor, dim0: i64, dim1: i64, name: &'static str) -> Result<Tensor> {
    let data = t.data();
    let ndim = data.layout.ndim();
    let (d0, d1) = (wrap_dim(dim0, ndim)?, wrap_dim(dim1, ndim)?);
    let mut perm: Vec<usize> = (0..ndim).collect();
    if ndim > 0 {
        perm.swap(d0, d1);
    }
    let out = t.view_with_layout(permute_layout(&data.layout, &perm));
    record(&[t], &[&out], || {
        // d transpose(t) = grad transposed back
        let is_t = name.starts_with("TBackward");
        { let saved_values = if is_t { vec![] } else { vals![("dim0", d0), ("dim1", d1)] }; backward_fn(name, vec![], move |_, _, g| {
            let back = if is_t { t_(&g[0])? } else { transpose(&g[0], d0 as i64, d1 as i64)? };
            Ok(vec![Some(back)])
        }).values(saved_values) }
    })?;
    Ok(out)
}

/// `t.t()`: the transpose of a matrix (vectors and scalars unchanged).
pub fn t_(t: &Tensor) -> Result<Tensor> {
    let ndim = t.dim();
    if ndim > 2 {
        return Err(Error::runtime(format!("t() expects a tensor with <= 2 dimensions, but self is {ndim}D")));
    }
    transpose_named(t, 0, if ndim == 2 { 1 } else { 0 }, "TBackward0")
}

/// `t.permute(dims)`.
pub fn permute(t: &Tensor, dims: &[i64]) -> Result<Tensor> {
    let data = t.data();
    let ndim = data.layout.ndim();
    if dims.len() != ndim {
        return Err(Error::runtime(format!(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal to len(dims) = {}",
            dims.len()
        )));
    }
    let perm = dims.iter().map(|&d| wrap_dim(d, ndim)).collect::<Result<Vec<_>>>()?;
    let mut seen = vec![false; ndim];
    for &d in &perm {
        if std::mem::replace(&mut seen[d], true) {
            return Err(Error::runtime("permute(): duplicate dims are not allowed."));
        }
    }
    let out = t.view_with_layout(permute_layout(&data.layout, &perm));
    record(&[t], &[&out], || {
        // d permute(t) = grad permuted by the inverse permutation
        let mut inverse = vec![0i64; perm.len()];
        for (i, &p) in perm.iter().enumerate() {
            inverse[p] = i as i64;
        }
        { let saved_values = vals![("dims", dims.to_vec())]; backward_fn("PermuteBackward0", vec![], move |_, _, g| Ok(vec![Some(permute(&g[0], &inverse)?)])).values(saved_values) }
    })?;
    Ok(out)
}

/// `t.T`: all dims reversed (PyTorch warns for other than 2-d; the caller does that).
pub fn reverse_dims(t: &Tensor) -> Result<Tensor> {
    let dims: Vec<i64> = (0..t.dim() as i64).rev().collect();
    permute(t, &dims)
}

/// `t.mT`: the last two dims swapped.
pub fn matrix_transpose(t: &Tensor) -> Result<Tensor> {
    let ndim = t.dim();
    if ndim < 2 {
        return Err(Error::runtime(format!(
            "tensor.mT is only supported on matrices or batches of matrices. Got {ndim}-D tensor."
        )));
    }
    transpose(t, -2, -1)
}

/// `t.squeeze()` (dims `None`: every size-1 dim), `t.squeeze(d)` or `t.squeeze((d0, d1))`.
pub fn squeeze(t: &Tensor, dims: Option<&[i64]>, single: bool) -> Result<Tensor> {
    let name = match (dims, single) {
        (None, _) => "SqueezeBackward0",
        (Some(_), true) => "SqueezeBackward1",
        (Some(_), false) => "SqueezeBackward2",
    };
    squeeze_named(t, dims, name)
}

/// [`squeeze`] recording a node named `name` (the in-place forms are `SqueezeBackward3..5`).
pub(crate) fn squeeze_named(t: &Tensor, dims: Option<&[i64]>, name: &'static str) -> Result<Tensor> {
    let data = t.data();
    let l = &data.layout;
    let mut drop = vec![false; l.ndim()];
    match dims {
        None => drop.iter_mut().zip(&l.shape).for_each(|(d, &s)| *d = s == 1),
        Some(dims) => {
            for &d in dims {
                let d = wrap_dim(d, l.ndim())?;
                if l.ndim() > 0 && l.shape[d] == 1 {
                    drop[d] = true;
                }
            }
        }
    }
    let keep: Vec<usize> = (0..l.ndim()).filter(|&d| !drop[d]).collect();
    let layout = Layout {
        shape: keep.iter().map(|&d| l.shape[d]).collect(),
        strides: keep.iter().map(|&d| l.strides[d]).collect(),
        offset: l.offset,
    };
    let out = t.view_with_layout(layout);
    record_reshape_like(t, &out, name)?;
    Ok(out)
}

/// `t.unsqueeze(dim)`.
pub fn unsqueeze(t: &Tensor, dim: i64) -> Result<Tensor> {
    unsqueeze_named(t, dim, "UnsqueezeBackward0")
}

/// [`unsqueeze`] recording a node named `name` (`UnsqueezeBackward1` for `unsqueeze_`).
pub(crate) fn unsqueeze_named(t: &Tensor, dim: i64, name: &'static str) -> Result<Tensor> {
    let data = t.data();
    let d = wrap_dim(dim, data.layout.ndim() + 1)?;
    let out = t.view_with_layout(unsqueeze_layout(&data.layout, d));
    record(&[t], &[&out], || {
        // d unsqueeze(t) = grad.squeeze(dim)
        { let saved_values = vals![("dim", dim)]; backward_fn(name, vec![], move |_, _, g| Ok(vec![Some(squeeze(&g[0], Some(&[d as i64]), true)?)])).values(saved_values) }
    })?;
    Ok(out)
}

/// `t.select(dim, index)` (also `t[i]`); `real_dim` names the dimension in the index error.
pub fn select(t: &Tensor, dim: i64, index: i64) -> Result<Tensor> {
    let shape = t.shape();
    if shape.is_empty() {
        return Err(Error::index("select() cannot be applied to a 0-dim tensor."));
    }
    let d = wrap_dim(dim, shape.len())?;
    let size = shape[d] as i64;
    if index < -size || index >= size {
        return Err(Error::index(format!(
            "select(): index {index} out of range for tensor of size {} at dimension {d}",
            crate::tensor::shape_str(&shape)
        )));
    }
    select_checked(t, d, if index < 0 { index + size } else { index } as usize)
}

/// `select` with a wrapped dim and index already in range.
pub(crate) fn select_checked(t: &Tensor, d: usize, index: usize) -> Result<Tensor> {
    let data = t.data();
    let out = t.view_with_layout(select_layout(&data.layout, d, index));
    record(&[t], &[&out], || {
        // d select(t) = zeros of t's shape with grad at the selected index
        let shape = data.layout.shape.clone();
        { let saved_values = vals![("dim", d), ("index", index), ("self_sym_sizes", &shape[..])]; backward_fn("SelectBackward0", vec![], move |_, _, g| {
            let region: ViewFn = Arc::new(move |x| select_checked(x, d, index));
            Ok(vec![Some(embed(&g[0], &shape, "SelectBackwardBackward0", region)?)])
        }).values(saved_values) }
    })?;
    Ok(out)
}

/// `t[start:start+len*step:step]` along `d` with bounds already normalised (SliceBackward0).
pub(crate) fn slice_checked(t: &Tensor, d: usize, start: usize, len: usize, step: usize) -> Result<Tensor> {
    let data = t.data();
    let out = t.view_with_layout(slice_layout(&data.layout, d, start, len, step));
    record(&[t], &[&out], || {
        // d slice(t) = zeros of t's shape with grad in the sliced part
        let shape = data.layout.shape.clone();
        { let saved_values = vals![("dim", d), ("end", start + len * step), ("self_sym_sizes", &shape[..]), ("start", start), ("step", step)]; backward_fn("SliceBackward0", vec![], move |_, _, g| {
            let region: ViewFn = Arc::new(move |x| slice_checked(x, d, start, len, step));
            Ok(vec![Some(embed(&g[0], &shape, "SliceBackwardBackward0", region)?)])
        }).values(saved_values) }
    })?;
    Ok(out)
}

/// `t.narrow(dim, start, length)`.
pub fn narrow(t: &Tensor, dim: i64, start: i64, length: i64) -> Result<Tensor> {
    let shape = t.shape();
    if shape.is_empty() {
        return Err(Error::runtime("narrow() cannot be applied to a 0-dim tensor."));
    }
    let d = wrap_dim(dim, shape.len())?;
    let size = shape[d] as i64;
    if length < 0 {
        return Err(Error::runtime("narrow(): length must be non-negative."));
    }
    if start < -size || start > size {
        return Err(Error::index(format!(
            "start out of range (expected to be in range of [{}, {size}], but got {start})",
            -size
        )));
    }
    let start = if start < 0 { start + size } else { start };
    if start + length > size {
        return Err(Error::runtime(format!("start ({start}) + length ({length}) exceeds dimension size ({size}).")));
    }
    slice_checked(t, d, start as usize, length as usize, 1)
}

/// `t.slice(dim, start, end, step)` with Python slice semantics (used by indexing).
pub fn slice(t: &Tensor, dim: i64, start: Option<i64>, end: Option<i64>, step: i64) -> Result<Tensor> {
    if step <= 0 {
        return Err(Error::value("step must be greater than zero"));
    }
    let shape = t.shape();
    let d = wrap_dim(dim, shape.len())?;
    let (start, len) = slice_bounds(start, end, step, shape[d]);
    slice_checked(t, d, start, len, step as usize)
}

/// A new tensor object viewing the same elements (`t[...]`): AliasBackward0.
pub fn alias(t: &Tensor) -> Result<Tensor> {
    let out = t.view_with_layout(t.data().layout);
    record(&[t], &[&out], || {
        // d alias(t) = grad
        backward_fn("AliasBackward0", vec![], |_, _, g| Ok(vec![Some(g[0].clone())]))
    })?;
    Ok(out)
}

/// `t.contiguous()`: `t` itself when already contiguous, else a row-major copy (CloneBackward0).
pub fn contiguous(t: &Tensor) -> Result<Tensor> {
    if t.is_contiguous() {
        Ok(t.clone())
    } else {
        clone(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::DType;

    fn arange(n: usize, shape: &[usize]) -> Tensor {
        Tensor::from_vec((0..n).map(|v| v as f64).collect::<Vec<_>>(), shape).unwrap()
    }

    #[test]
    fn view_strides_follow_pytorch() {
        // A transposed 2x3 (shape [3, 2], strides [1, 3]) can be split but not merged.
        assert_eq!(view_strides(&[3, 2], &[1, 3], &[3, 1, 2]), Some(vec![1, 6, 3]));
        assert_eq!(view_strides(&[3, 2], &[1, 3], &[6]), None);
        assert_eq!(view_strides(&[2, 3], &[3, 1], &[3, 2]), Some(vec![2, 1]));
        assert_eq!(view_strides(&[], &[], &[1, 1]), Some(vec![1, 1]));
        // A row slice of a wider matrix keeps its row stride.
        assert_eq!(view_strides(&[2, 2], &[4, 1], &[2, 1, 2]), Some(vec![4, 2, 1]));
        assert_eq!(view_strides(&[2, 2], &[4, 1], &[4]), None);
    }

    #[test]
    fn views_share_storage_and_version() {
        let a = arange(6, &[2, 3]);
        let t = transpose(&a, 0, 1).unwrap();
        assert_eq!(t.shape(), vec![3, 2]);
        assert_eq!(t.to_vec::<f64>().unwrap(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        assert!(Arc::ptr_eq(&t.data().storage, &a.data().storage));
        t.version_counter().bump();
        assert_eq!(a.version(), 1);
        let s = slice(&a, 1, Some(1), None, 2).unwrap();
        assert_eq!(s.to_vec::<f64>().unwrap(), vec![1.0, 4.0]);
        let row = select(&a, 0, -1).unwrap();
        assert_eq!(row.to_vec::<f64>().unwrap(), vec![3.0, 4.0, 5.0]);
    }

    #[test]
    fn view_errors_match_pytorch() {
        let a = arange(6, &[2, 3]);
        let err = view(&t_(&a).unwrap(), &[6]).unwrap_err();
        assert!(err.message().starts_with("view size is not compatible"));
        assert_eq!(view(&a, &[-1, 4]).unwrap_err().message(), "shape '[-1, 4]' is invalid for input of size 6");
        assert_eq!(view(&a, &[-2, 3]).unwrap_err().message(), "invalid shape dimension -2 at index 0 of shape [-2, 3]");
        assert_eq!(
            narrow(&a, 1, 2, 2).unwrap_err().message(),
            "start (2) + length (2) exceeds dimension size (3)."
        );
        assert_eq!(
            select(&a, 1, 3).unwrap_err(),
            Error::index("select(): index 3 out of range for tensor of size [2, 3] at dimension 1")
        );
    }

    #[test]
    fn reshape_copies_only_when_it_must() {
        let a = arange(6, &[2, 3]);
        let t = t_(&a).unwrap();
        let split = reshape(&t, &[3, 1, 2]).unwrap();
        assert!(Arc::ptr_eq(&split.data().storage, &a.data().storage));
        let merged = reshape(&t, &[6]).unwrap();
        assert!(!Arc::ptr_eq(&merged.data().storage, &a.data().storage));
        assert_eq!(merged.to_vec::<f64>().unwrap(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        assert_eq!(flatten(&Tensor::scalar(1.0, DType::F32), 0, -1).unwrap().shape(), vec![1]);
    }

    #[test]
    fn embed_writes_the_gradient_into_zeros() {
        let g = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap();
        let region: ViewFn = Arc::new(|x| select_checked(x, 1, 2));
        let out = embed(&g, &[2, 3], "SelectBackwardBackward0", region).unwrap();
        assert_eq!(out.to_vec::<f64>().unwrap(), vec![0.0, 0.0, 1.0, 0.0, 0.0, 2.0]);
    }
}
