//! Joining and splitting along a dimension: cat, stack, split / chunk, unbind, repeat.

use super::backward::{backward_fn, vals};
use super::reduce::sum_dims;
use super::view::{self, select_layout, slice_layout, write_broadcast};
use super::{needs, record, wrap_dim};
use crate::autograd::GradModeGuard;
use crate::cpu::index::{gather_offsets_into, mapped_offsets};
use crate::error::{CheckedCollect, Error, Result};
use crate::tensor::{shape_str, DType, Element, Tensor};
use crate::with_dtype;

/// `rustgrad.cat(tensors, dim)` (CatBackward0). Legacy empty 1-d tensors (shape `[0]`) are skipped
/// in the shape checks, as in PyTorch.
pub fn cat(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    if tensors.is_empty() {
        return Err(Error::value("torch.cat(): expected a non-empty list of Tensors"));
    }
    for (i, t) in tensors.iter().enumerate() {
        if t.dim() == 0 {
            return Err(Error::runtime(format!("zero-dimensional tensor (at position {i}) cannot be concatenated")));
        }
    }
    let dtype = DType::result_type(&tensors.iter().map(|t| (t.dtype(), t.promotion_rank())).collect::<Vec<_>>());
    let skipped: Vec<bool> = tensors.iter().map(|t| t.shape() == [0]).collect();
    let Some(first) = (0..tensors.len()).find(|&i| !skipped[i]) else {
        let out = Tensor::zeros(&[0], dtype);
        record(&tensors.iter().collect::<Vec<_>>(), &[&out], || {
            // d cat(empty...) = empty
            backward_fn("CatBackward0", vec![], |_, _, g| Ok(g.iter().map(|_| None).collect()))
        })?;
        return Ok(out);
    };
    let reference = tensors[first].shape();
    let d = wrap_dim(dim, reference.len())?;
    let mut sizes = Vec::with_capacity(tensors.len());
    for (i, t) in tensors.iter().enumerate() {
        if skipped[i] {
            sizes.push(0);
            continue;
        }
        let shape = t.shape();
        if shape.len() != reference.len() {
            return Err(Error::runtime(format!(
                "Tensors must have same number of dimensions: got {} and {}",
                reference.len(),
                shape.len()
            )));
        }
        for k in (0..shape.len()).filter(|&k| k != d) {
            if shape[k] != reference[k] {
                return Err(Error::runtime(format!(
                    "Sizes of tensors must match except in dimension {d}. Expected size {} but got size {} for tensor number {i} in the list.",
                    reference[k], shape[k]
                )));
            }
        }
        sizes.push(shape[d]);
    }
    let mut out_shape = reference.clone();
    out_shape[d] = sizes.iter().sum();
    let out = Tensor::zeros(&out_shape, dtype);
    let layout = out.data().layout;
    let mut start = 0;
    for (t, &size) in tensors.iter().zip(&sizes) {
        if size > 0 {
            write_broadcast(&out.view_with_layout(slice_layout(&layout, d, start, size, 1)), t)?;
        }
        start += size;
    }
    let shapes: Vec<Vec<usize>> = tensors.iter().map(Tensor::shape).collect();
    record(&tensors.iter().collect::<Vec<_>>(), &[&out], || {
        // d cat(ts) = the matching slice of grad for each input
        { let saved_values = vals![("dim", dim)]; backward_fn("CatBackward0", vec![], move |node, _, g| {
            let mut start = 0i64;
            let mut grads = Vec::with_capacity(sizes.len());
            for (i, &size) in sizes.iter().enumerate() {
                grads.push(match (needs(node, i), skipped[i]) {
                    (false, _) => None,
                    (true, true) => Some(Tensor::zeros(&shapes[i], g[0].dtype())),
                    (true, false) => Some(view::narrow(&g[0], d as i64, start, size as i64)?),
                });
                start += size as i64;
            }
            Ok(grads)
        }).values(saved_values) }
    })?;
    Ok(out)
}

/// `rustgrad.stack(tensors, dim)` (StackBackward0).
pub fn stack(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    let Some(first) = tensors.first() else {
        return Err(Error::runtime("stack expects a non-empty TensorList"));
    };
    let shape = first.shape();
    for (i, t) in tensors.iter().enumerate().skip(1) {
        if t.shape() != shape {
            return Err(Error::runtime(format!(
                "stack expects each tensor to be equal size, but got {} at entry 0 and {} at entry {i}",
                shape_str(&shape),
                shape_str(&t.shape())
            )));
        }
    }
    let d = wrap_dim(dim, shape.len() + 1)?;
    let out = {
        let _no_grad = GradModeGuard::new(false);
        let parts = tensors.iter().map(|t| view::unsqueeze(t, d as i64)).collect::<Result<Vec<_>>>()?;
        cat(&parts, d as i64)?
    };
    record(&tensors.iter().collect::<Vec<_>>(), &[&out], || {
        // d stack(ts) = grad.select(dim, i) for each input
        let n = tensors.len();
        { let saved_values = vals![("dim", dim)]; backward_fn("StackBackward0", vec![], move |node, _, g| {
            (0..n).map(|i| if needs(node, i) { view::select_checked(&g[0], d, i).map(Some) } else { Ok(None) }).collect()
        }).values(saved_values) }
    })?;
    Ok(out)
}

/// Views of `t` along `d` with the given sizes, recorded as one multi-output node `name`.
fn split_views(t: &Tensor, d: usize, sizes: &[usize], name: &'static str) -> Result<Vec<Tensor>> {
    let layout = t.data().layout;
    let mut start = 0;
    let outs: Vec<Tensor> = sizes
        .iter()
        .map(|&size| {
            // In-place changes to one of several views from one op are refused ("Output 0 of Split ...").
            let op = &name[..name.len() - "Backward0".len()];
            let v = t.view_with_layout_as(slice_layout(&layout, d, start, size, 1), multiple_output(op));
            start += size;
            v
        })
        .collect();
    record(&[t], &outs.iter().collect::<Vec<_>>(), || {
        // d split(t) = cat(grads) along dim (missing grads are zeros)
        backward_fn(name, vec![], move |_, _, g| Ok(vec![Some(cat(&g, d as i64)?)]))
    })?;
    Ok(outs)
}

/// `t.split(split_size, dim)` (SplitBackward0): pieces of `split_size`, the last one smaller.
pub fn split(t: &Tensor, split_size: i64, dim: i64) -> Result<Vec<Tensor>> {
    let shape = t.shape();
    let d = wrap_dim(dim, shape.len())?;
    if shape.is_empty() {
        return Err(Error::runtime("split expects at least a 1-dimensional tensor"));
    }
    let size = shape[d];
    if split_size < 0 {
        return Err(Error::runtime(format!("split expects split_size be non-negative, but got split_size={split_size}")));
    }
    if split_size == 0 && size != 0 {
        return Err(Error::runtime(format!(
            "split_size can only be 0 if dimension size is 0, but got dimension size of {size}"
        )));
    }
    let step = split_size as usize;
    let pieces = if step == 0 { 1 } else { size.div_ceil(step).max(1) };
    let sizes: Vec<usize> = (0..pieces).map(|i| step.min(size - (i * step).min(size))).collect();
    split_views(t, d, &sizes, "SplitBackward0")
}

/// `t.split([sizes], dim)` (SplitWithSizesBackward0).
pub fn split_with_sizes(t: &Tensor, sizes: &[i64], dim: i64) -> Result<Vec<Tensor>> {
    let shape = t.shape();
    let d = wrap_dim(dim, shape.len())?;
    if sizes.iter().any(|&s| s < 0) {
        return Err(Error::runtime(format!(
            "split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes={sizes:?}"
        )));
    }
    if sizes.iter().sum::<i64>() != shape[d] as i64 {
        return Err(Error::runtime(format!(
            "split_with_sizes expects split_sizes to sum exactly to {} (input tensor's size at dimension {d}), but got split_sizes={sizes:?}",
            shape[d]
        )));
    }
    let sizes: Vec<usize> = sizes.iter().map(|&s| s as usize).collect();
    split_views(t, d, &sizes, "SplitWithSizesBackward0")
}

/// `t.chunk(chunks, dim)`: split into pieces of `ceil(size / chunks)`.
pub fn chunk(t: &Tensor, chunks: i64, dim: i64) -> Result<Vec<Tensor>> {
    if t.dim() == 0 {
        return Err(Error::runtime("chunk expects at least a 1-dimensional tensor"));
    }
    if chunks <= 0 {
        return Err(Error::runtime(format!("chunk expects `chunks` to be greater than 0, got: {chunks}")));
    }
    let d = wrap_dim(dim, t.dim())?;
    let size = t.shape()[d] as i64;
    split(t, (size + chunks - 1) / chunks, d as i64)
}

/// `t.unbind(dim)` (UnbindBackward0): the selects along `dim`.
pub fn unbind(t: &Tensor, dim: i64) -> Result<Vec<Tensor>> {
    let shape = t.shape();
    if shape.is_empty() {
        return Err(Error::index("Dimension specified as 0 but tensor has no dimensions"));
    }
    let d = wrap_dim(dim, shape.len())?;
    let layout = t.data().layout;
    let outs: Vec<Tensor> =
        (0..shape[d]).map(|i| t.view_with_layout_as(select_layout(&layout, d, i), multiple_output("Unbind"))).collect();
    record(&[t], &outs.iter().collect::<Vec<_>>(), || {
        // d unbind(t) = stack(grads) along dim
        { let saved_values = vals![("dim", dim)]; backward_fn("UnbindBackward0", vec![], move |_, _, g| Ok(vec![Some(stack(&g, d as i64)?)])).values(saved_values) }
    })?;
    Ok(outs)
}

/// `t.repeat(reps)` (RepeatBackward0): tiles `t`, padded with leading dims to `reps.len()`.
pub fn repeat(t: &Tensor, reps: &[i64]) -> Result<Tensor> {
    let data = t.data();
    let ndim = data.layout.ndim();
    if reps.len() < ndim {
        return Err(Error::runtime(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor",
        ));
    }
    let lead = reps.len() - ndim;
    let mut padded = vec![1usize; lead];
    padded.extend(&data.layout.shape);
    let out_sizes: Vec<i64> = padded.iter().zip(reps).map(|(&s, &r)| (s as i64).saturating_mul(r)).collect();
    if let Some(&neg) = out_sizes.iter().find(|&&s| s < 0) {
        return Err(Error::runtime(format!("Trying to create tensor with negative dimension {neg}: {out_sizes:?}")));
    }
    let out_shape: Vec<usize> = out_sizes.iter().map(|&s| s as usize).collect();
    let mut layout = data.layout.clone();
    layout.shape = padded.clone();
    layout.strides = [vec![0; lead], data.layout.strides.clone()].concat();
    let out = with_dtype!(data.dtype, T => {
        // The output is allocated before the index tables, so a refused allocation names its
        // size (as PyTorch's error does) rather than a table's.
        let out_buffer = crate::tensor::recycle::uninit_vec::<T>(crate::tensor::numel(&out_shape));
        let maps: Vec<Vec<usize>> = out_shape.iter().zip(&padded).map(|(&n, &p)| (0..n).map(|i| i % p.max(1)).checked_collect()).collect();
        let offsets = mapped_offsets(&layout, &maps);
        let buffer = data.storage.read();
        Tensor::from_vec(gather_offsets_into(out_buffer, T::slice(&buffer), &offsets), &out_shape)?
    });
    record(&[t], &[&out], || {
        // d repeat(t) = grad viewed as [r0, s0, r1, s1, ...] summed over the r dims
        let input_shape: Vec<i64> = data.layout.shape.iter().map(|&s| s as i64).collect();
        let reps = reps.to_vec();
        { let saved_values = vals![("repeats", reps.clone()), ("self_sym_sizes", input_shape.clone())]; backward_fn("RepeatBackward0", vec![], move |_, _, g| {
            let split: Vec<i64> = reps.iter().zip(&padded).flat_map(|(&r, &p)| [r, p as i64]).collect();
            let dims: Vec<i64> = (0..reps.len() as i64).map(|i| 2 * i).collect();
            let summed = sum_dims(&view::reshape(&g[0], &split)?, &dims, false)?;
            Ok(vec![Some(view::reshape(&summed, &input_shape)?)])
        }).values(saved_values) }
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arange(n: usize, shape: &[usize]) -> Tensor {
        Tensor::from_vec((0..n).map(|v| v as f32).collect::<Vec<_>>(), shape).unwrap()
    }

    #[test]
    fn cat_joins_and_checks_sizes() {
        let a = arange(6, &[2, 3]);
        let out = cat(&[a.clone(), a.clone()], 1).unwrap();
        assert_eq!(out.shape(), vec![2, 6]);
        assert_eq!(out.to_vec::<f32>().unwrap(), vec![0., 1., 2., 0., 1., 2., 3., 4., 5., 3., 4., 5.]);
        let err = cat(&[a.clone(), arange(4, &[2, 2])], 0).unwrap_err();
        assert_eq!(
            err.message(),
            "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 2 for tensor number 1 in the list."
        );
        // A legacy empty tensor is skipped.
        assert_eq!(cat(&[a.clone(), Tensor::zeros(&[0], DType::F32)], 0).unwrap().shape(), vec![2, 3]);
    }

    #[test]
    fn split_sizes_and_repeat_tiles() {
        let a = arange(5, &[5]);
        let parts = split(&a, 2, 0).unwrap();
        assert_eq!(parts.iter().map(|p| p.shape()[0]).collect::<Vec<_>>(), vec![2, 2, 1]);
        assert_eq!(chunk(&a, 3, 0).unwrap().len(), 3);
        let r = repeat(&arange(2, &[2]), &[2, 2]).unwrap();
        assert_eq!(r.shape(), vec![2, 4]);
        assert_eq!(r.to_vec::<f32>().unwrap(), vec![0., 1., 0., 1., 0., 1., 0., 1.]);
    }
}

/// The creation kind of one of several views returned by `op` (grad mode decides first, as PyTorch).
/// Errors name the op through the views' grad_fn (`UnbindBackward0` -> `Unbind`).
fn multiple_output(op: &'static str) -> crate::autograd::CreationMeta {
    let _ = op;
    if crate::autograd::is_grad_enabled() {
        crate::autograd::CreationMeta::MultipleOutput
    } else {
        crate::autograd::CreationMeta::NoGradMode
    }
}
