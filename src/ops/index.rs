//! Indexing: `t[key]` and `t[key] = value`. A key is first turned into a plan: basic steps
//! (select, slice, unsqueeze: views) followed by optional advanced indices (integer tensors, bool
//! masks: copies), as PyTorch's `applySlicing` does. `index` / `index_put` are the advanced part.

use super::backward::backward_fn;
use super::reduce::sum_to_size;
use super::shape::{convert, to_dtype};
use super::view::{self, select_layout, slice_bounds, slice_layout, unsqueeze_layout, write_broadcast};
use super::{in_place, in_place_overlapping, needs, record};
use crate::autograd::{is_grad_enabled, SavedTensor};
use crate::cpu::index::{gather_offsets, layout_offsets, product_offsets, scatter_offsets};
use crate::error::{Error, Result};
use crate::tensor::{broadcast_shapes, numel, shape_str, DType, Element, Layout, Tensor};
use crate::with_dtype;

/// One entry of an indexing key.
#[derive(Clone, Debug)]
pub enum IndexItem {
    /// An integer: selects (removes) a dimension.
    Int(i64),
    /// A slice `start:stop:step`.
    Slice {
        /// first index (Python semantics: negative counts from the end)
        start: Option<i64>,
        /// end (exclusive)
        stop: Option<i64>,
        /// step (must be positive)
        step: i64,
    },
    /// `None`: a new dimension of size 1.
    NewAxis,
    /// `...`: as many full slices as needed.
    Ellipsis,
    /// `True` / `False`: a new dimension indexed by `[0]` or `[]`.
    Bool(bool),
    /// An int64 index tensor or a bool mask.
    Tensor(Tensor),
}

/// A normalised basic step, applied in order to the current view's dims.
#[derive(Clone, Debug)]
enum Step {
    Select { dim: usize, index: usize },
    Slice { dim: usize, start: usize, len: usize, step: usize },
    Unsqueeze { dim: usize },
}

/// What a key does to a tensor of a given shape.
#[derive(Clone)]
pub struct Plan {
    steps: Vec<Step>,
    /// One entry per dim of the view after the steps; `Some` for indexed dims (int64).
    advanced: Option<Vec<Option<Tensor>>>,
}

impl Plan {
    /// True when the key selects through a view (it has basic steps).
    pub fn makes_view(&self) -> bool {
        !self.steps.is_empty()
    }

    fn layout(&self, l: &Layout) -> Layout {
        self.steps.iter().fold(l.clone(), |l, step| match *step {
            Step::Select { dim, index } => select_layout(&l, dim, index),
            Step::Slice { dim, start, len, step } => slice_layout(&l, dim, start, len, step),
            Step::Unsqueeze { dim } => unsqueeze_layout(&l, dim),
        })
    }

    /// Applies the plan with recording (`t[key]`).
    fn apply(&self, t: &Tensor) -> Result<Tensor> {
        let mut out = t.clone();
        for step in &self.steps {
            out = match *step {
                Step::Select { dim, index } => view::select_checked(&out, dim, index)?,
                Step::Slice { dim, start, len, step } => view::slice_checked(&out, dim, start, len, step)?,
                Step::Unsqueeze { dim } => view::unsqueeze(&out, dim as i64)?,
            };
        }
        match &self.advanced {
            Some(indices) => index(&out, indices),
            None if self.steps.is_empty() => view::alias(t),
            None => Ok(out),
        }
    }
}

/// The 1-d int64 coordinates of the true elements of a bool mask, one tensor per mask dim.
pub(crate) fn nonzero(mask: &Tensor) -> Vec<Tensor> {
    let shape = mask.shape();
    let values = mask.to_vec::<bool>().expect("bool mask");
    let mut coords: Vec<Vec<i64>> = vec![Vec::new(); shape.len()];
    let strides = crate::tensor::contiguous_strides(&shape);
    for (flat, _) in values.iter().enumerate().filter(|(_, &v)| v) {
        for (d, c) in coords.iter_mut().enumerate() {
            c.push(((flat / strides[d]) % shape[d]) as i64);
        }
    }
    coords.into_iter().map(|c| { let n = c.len(); Tensor::from_vec(c, &[n]).expect("sized") }).collect()
}

/// Turns a key into a plan for a tensor of `shape`. `optimize`: skip full slices (PyTorch does
/// except for a key that is a single slice).
pub fn plan(shape: &[usize], key: &[IndexItem], optimize: bool) -> Result<Plan> {
    let ndim = shape.len();
    let specified: usize = key
        .iter()
        .map(|item| match item {
            IndexItem::Int(_) | IndexItem::Slice { .. } => 1,
            IndexItem::Tensor(t) if t.dtype() == DType::Bool => t.dim(),
            IndexItem::Tensor(_) => 1,
            _ => 0,
        })
        .sum();
    if specified > ndim {
        return Err(Error::index(format!("too many indices for tensor of dimension {ndim}")));
    }
    let mut cur = shape.to_vec();
    let (mut dim, mut real_dim) = (0usize, 0usize);
    let mut steps = Vec::new();
    let mut advanced: Vec<(usize, Tensor)> = Vec::new();
    for item in key {
        match item {
            IndexItem::Int(i) => {
                let size = cur[dim] as i64;
                if *i < -size || *i >= size {
                    return Err(Error::index(format!(
                        "index {i} is out of bounds for dimension {real_dim} with size {size}"
                    )));
                }
                steps.push(Step::Select { dim, index: if *i < 0 { i + size } else { *i } as usize });
                cur.remove(dim);
                real_dim += 1;
            }
            IndexItem::Slice { start, stop, step } => {
                if *step <= 0 {
                    return Err(Error::value("step must be greater than zero"));
                }
                let (s, len) = slice_bounds(*start, *stop, *step, cur[dim]);
                if !(optimize && s == 0 && len == cur[dim] && *step == 1) {
                    steps.push(Step::Slice { dim, start: s, len, step: *step as usize });
                    cur[dim] = len;
                }
                dim += 1;
                real_dim += 1;
            }
            IndexItem::NewAxis => {
                steps.push(Step::Unsqueeze { dim });
                cur.insert(dim, 1);
                dim += 1;
            }
            IndexItem::Ellipsis => {
                dim += ndim - specified;
                real_dim += ndim - specified;
            }
            IndexItem::Bool(b) => {
                steps.push(Step::Unsqueeze { dim });
                cur.insert(dim, 1);
                let idx: Vec<i64> = if *b { vec![0] } else { vec![] };
                let n = idx.len();
                advanced.push((dim, Tensor::from_vec(idx, &[n])?));
                dim += 1;
            }
            IndexItem::Tensor(t) => {
                let k = match t.dtype() {
                    DType::Bool => t.dim(),
                    DType::I64 => 1,
                    _ => return Err(Error::index("tensors used as indices must be long, int, byte or bool tensors")),
                };
                advanced.push((dim, t.clone()));
                dim += k;
                real_dim += k;
            }
        }
    }
    if advanced.is_empty() {
        return Ok(Plan { steps, advanced: None });
    }
    let mut indices: Vec<Option<Tensor>> = vec![None; cur.len()];
    for (pos, t) in advanced {
        if t.dtype() == DType::Bool {
            let mask_shape = t.shape();
            for (j, &m) in mask_shape.iter().enumerate() {
                if m != cur[pos + j] {
                    return Err(Error::index(format!(
                        "The shape of the mask {} at index {j} does not match the shape of the indexed tensor {} at index {}",
                        shape_str(&mask_shape),
                        shape_str(&cur),
                        pos + j
                    )));
                }
            }
            for (j, coords) in nonzero(&t).into_iter().enumerate() {
                indices[pos + j] = Some(coords);
            }
        } else {
            indices[pos] = Some(t);
        }
    }
    Ok(Plan { steps, advanced: Some(indices) })
}

/// Where the elements of `t[indices]` sit in the storage seen through `layout`, and the result's
/// shape (advanced-indexing rules: adjacent indexed dims stay in place, else they go first).
pub(crate) fn advanced_offsets(layout: &Layout, indices: &[Option<Tensor>]) -> Result<(Vec<usize>, Vec<usize>)> {
    let positions: Vec<usize> = (0..indices.len()).filter(|&d| indices[d].is_some()).collect();
    let mut bshape: Vec<usize> = Vec::new();
    for &p in &positions {
        let s = indices[p].as_ref().expect("some").shape();
        bshape = broadcast_shapes(&bshape, &s).map_err(|_| {
            let all: Vec<String> = positions.iter().map(|&q| shape_str(&indices[q].as_ref().expect("some").shape())).collect();
            Error::index(format!("shape mismatch: indexing tensors could not be broadcast together with shapes {}", all.join(", ")))
        })?;
    }
    let mut middle = vec![0usize; numel(&bshape)];
    for &p in &positions {
        let idx = indices[p].as_ref().expect("some");
        let expanded = idx.view_with_layout(idx.data().layout.broadcast_to(&bshape)?);
        let size = layout.shape[p] as i64;
        for (m, v) in middle.iter_mut().zip(expanded.to_vec::<i64>()?) {
            if v < -size || v >= size {
                return Err(Error::index(format!("index {v} is out of bounds for dimension {p} with size {size}")));
            }
            *m += (if v < 0 { v + size } else { v }) as usize * layout.strides[p];
        }
    }
    let adjacent = positions.windows(2).all(|w| w[1] == w[0] + 1);
    let rest: Vec<usize> = (0..indices.len()).filter(|d| indices[*d].is_none()).collect();
    let (before, after): (Vec<usize>, Vec<usize>) =
        if adjacent { rest.iter().partition(|&&d| d < positions[0]) } else { (vec![], rest) };
    let sub = |dims: &[usize], offset: usize| Layout {
        shape: dims.iter().map(|&d| layout.shape[d]).collect(),
        strides: dims.iter().map(|&d| layout.strides[d]).collect(),
        offset,
    };
    let outer = layout_offsets(&sub(&before, layout.offset));
    let inner = layout_offsets(&sub(&after, 0));
    let mut out_shape: Vec<usize> = before.iter().map(|&d| layout.shape[d]).collect();
    out_shape.extend(&bshape);
    out_shape.extend(after.iter().map(|&d| layout.shape[d]));
    Ok((out_shape, product_offsets(&outer, &middle, &inner)))
}

/// `t[indices]` for advanced indices (IndexBackward0, which saves the indices).
pub fn index(t: &Tensor, indices: &[Option<Tensor>]) -> Result<Tensor> {
    let data = t.data();
    let (shape, offsets) = advanced_offsets(&data.layout, indices)?;
    let out = with_dtype!(data.dtype, T => {
        let buffer = data.storage.read();
        Tensor::from_vec(gather_offsets(T::slice(&buffer), &offsets), &shape)?
    });
    record(&[t], &[&out], || {
        // d t[indices] = zeros of t's shape with grad accumulated at the indices
        let input_shape = data.layout.shape.clone();
        let saved = indices.iter().map(|i| Some(SavedTensor::maybe("indices", i.as_ref()).list_item("indices"))).collect();
        backward_fn("IndexBackward0", saved, move |_, s, g| {
            let zeros = Tensor::zeros(&input_shape, g[0].dtype());
            Ok(vec![Some(index_put(&zeros, &s, &g[0], true)?)])
        })
    })?;
    Ok(out)
}

/// Checks that `value` broadcasts to an indexing result of `shape` (index_put's wording).
fn check_put_shape(value: &Tensor, shape: &[usize]) -> Result<()> {
    let vs = value.shape();
    let ok = vs.len() <= shape.len() && vs.iter().rev().zip(shape.iter().rev()).all(|(&v, &s)| v == s || v == 1);
    if !ok {
        return Err(Error::runtime(format!(
            "shape mismatch: value tensor of shape {} cannot be broadcast to indexing result of shape {}",
            shape_str(&vs),
            shape_str(shape)
        )));
    }
    Ok(())
}

/// Writes `values` at `dst[indices]` (dst's own storage), without autograd or version bookkeeping.
pub(crate) fn index_put_into(dst: &Tensor, indices: &[Option<Tensor>], values: &Tensor, accumulate: bool) -> Result<()> {
    let data = dst.data();
    let (shape, offsets) = advanced_offsets(&data.layout, indices)?;
    check_put_shape(values, &shape)?;
    let values = convert(values, data.dtype);
    let vdata = values.data();
    let vlayout = vdata.layout.broadcast_to(&shape)?;
    with_dtype!(data.dtype, T => {
        let v = {
            let buffer = vdata.storage.read();
            vlayout.gather(T::slice(&buffer))
        };
        let mut buffer = data.storage.write();
        scatter_offsets(T::slice_mut(&mut buffer), &offsets, &v, accumulate);
    });
    Ok(())
}

/// Out-of-place `base.index_put(indices, values, accumulate)` (IndexPutBackward0).
pub fn index_put(base: &Tensor, indices: &[Option<Tensor>], values: &Tensor, accumulate: bool) -> Result<Tensor> {
    let out = Tensor::from_buffer(base.contiguous_buffer(), &base.shape())?;
    index_put_into(&out, indices, values, accumulate)?;
    record(&[base, values], &[&out], || {
        // d index_put = grad with the indexed part zeroed (kept when accumulating), grad[indices]
        let value_shape = values.shape();
        let saved = indices.iter().map(|i| Some(SavedTensor::maybe("indices", i.as_ref()).list_item("indices"))).collect();
        { let saved_values = super::backward::vals![("accumulate", accumulate)]; backward_fn("IndexPutBackward0", saved, move |node, s, g| {
            let grad_base = if !needs(node, 0) {
                None
            } else if accumulate {
                Some(g[0].clone())
            } else {
                Some(index_put(&g[0], &s, &Tensor::scalar(0.0, g[0].dtype()), false)?)
            };
            let grad_values = if needs(node, 1) { Some(sum_to_size(&index(&g[0], &s)?, &value_shape)?) } else { None };
            Ok(vec![grad_base, grad_values])
        }).values(saved_values) }
    })?;
    Ok(out)
}

/// `t[key]`; `single_slice` when the key is one bare slice (PyTorch then keeps a full slice).
pub fn getitem(t: &Tensor, key: &[IndexItem], single_slice: bool) -> Result<Tensor> {
    plan(&t.shape(), key, !single_slice)?.apply(t)
}

/// Writes `value` into the part of `target` that `plan` selects (no autograd, no version bump).
fn write_plan(target: &Tensor, plan: &Plan, value: &Tensor) -> Result<()> {
    let region = target.view_with_layout(plan.layout(&target.data().layout));
    match &plan.advanced {
        Some(indices) => index_put_into(&region, indices, value, false),
        None => {
            check_copy_shape(value, &region.shape())?;
            write_broadcast(&region, value)
        }
    }
}

/// copy_'s broadcast check, with expand's wording.
fn check_copy_shape(value: &Tensor, shape: &[usize]) -> Result<()> {
    let vs = value.shape();
    if vs.len() > shape.len() {
        return Err(Error::runtime(format!(
            "expand({}{{{}}}, size={}): the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})",
            value.dtype().legacy_type_name(),
            shape_str(&vs),
            shape_str(shape),
            shape.len(),
            vs.len()
        )));
    }
    value.data().layout.broadcast_to(shape).map(|_| ())
}

/// Out-of-place `t` with `value` written where `plan` selects: the CopySlices node of
/// `t[key] = value` on a tensor with history.
fn copy_slices(t: &Tensor, plan: &Plan, value: &Tensor) -> Result<Tensor> {
    let out = Tensor::from_buffer(t.contiguous_buffer(), &t.shape())?;
    write_plan(&out, plan, value)?;
    record(&[t, value], &[&out], || {
        // d = grad with the written part zeroed, grad[key] summed to value's shape
        let plan = plan.clone();
        let value_shape = value.shape();
        // PyTorch's CopySlices holds saved state that a backward frees: keep one so a second
        // backward without retain_graph fails the same way.
        let marker = Tensor::zeros(&[0], DType::Bool);
        backward_fn("CopySlices", vec![Some(SavedTensor::input(&marker))], move |node, _, g| {
            let grad_t = if needs(node, 0) { Some(copy_slices(&g[0], &plan, &Tensor::scalar(0.0, g[0].dtype()))?) } else { None };
            let grad_v = if needs(node, 1) { Some(sum_to_size(&plan.apply(&g[0])?, &value_shape)?) } else { None };
            Ok(vec![grad_t, grad_v])
        })
    })?;
    Ok(out)
}

/// Out-of-place whole-tensor assignment (`t[...] = v`, `t[:] = v`): FillBackward3 for a 0-d
/// value, CopyBackwards otherwise.
fn assign_whole(t: &Tensor, value: &Tensor) -> Result<Tensor> {
    let shape = t.shape();
    check_copy_shape(value, &shape)?;
    let out = Tensor::zeros(&shape, t.dtype());
    write_broadcast(&out, value)?;
    let name = if value.dim() == 0 { "FillBackward3" } else { "CopyBackwards" };
    record(&[t, value], &[&out], || {
        // d copy_(t, v) = 0, grad summed to v's shape
        let value_shape = value.shape();
        backward_fn(name, vec![], move |node, _, g| {
            let grad_t = needs(node, 0).then(|| Tensor::zeros(&g[0].shape(), g[0].dtype()));
            let grad_v = if needs(node, 1) { Some(sum_to_size(&g[0], &value_shape)?) } else { None };
            Ok(vec![grad_t, grad_v])
        })
    })?;
    Ok(out)
}

/// Refuses `target[key] = value` into a restricted view (made under no_grad, one of several
/// outputs, returned by a custom Function) when the target or the value requires grad. PyTorch
/// writes through the view the key's last basic step makes (`Output 0 of Select is a view ...`;
/// that view has no node when the target needs no grad), or into the target itself when the key
/// has no basic step.
fn check_restricted_view(target: &Tensor, plan: &Plan, value: &Tensor) -> Result<()> {
    let Some(view) = target.view_meta() else { return Ok(()) };
    if view.creation == crate::autograd::CreationMeta::Default || !(target.requires_grad() || value.requires_grad()) {
        return Ok(());
    }
    let err = match plan.steps.last() {
        Some(_) if !target.requires_grad() => super::inplace::view_rebase_error(None, 0, &view.creation),
        Some(step) => {
            let name = match step {
                Step::Select { .. } => "SelectBackward0",
                Step::Slice { .. } => "SliceBackward0",
                Step::Unsqueeze { .. } => "UnsqueezeBackward0",
            };
            super::inplace::view_rebase_error(Some(name), 0, &view.creation)
        }
        None => {
            let name = target.stored_grad_fn().map(|n| n.name().into_owned());
            super::inplace::view_rebase_error(name.as_deref(), target.output_nr(), &view.creation)
        }
    };
    Err(err)
}

/// `target[key] = value` in place: bumps the version; records CopySlices (or IndexPutBackward0,
/// FillBackward3, CopyBackwards) when the target or the value requires grad.
pub fn setitem(target: &Tensor, key: &[IndexItem], value: &Tensor) -> Result<()> {
    let plan = plan(&target.shape(), key, true)?;
    let dtype = target.dtype();
    // Leading size-1 dims of the value are dropped (PyTorch's slicePrefix1sSize).
    let mut value = value.clone();
    let vshape = value.shape();
    let lead = vshape.iter().take_while(|&&s| s == 1).count();
    if lead > 0 {
        value = view::reshape(&value, &vshape[lead..].iter().map(|&s| s as i64).collect::<Vec<_>>())?;
    }
    if !dtype.is_float() {
        value = value.detach();
    }
    if value.dtype() != dtype {
        value = to_dtype(&value, dtype)?;
    }
    let grad = is_grad_enabled();
    if grad {
        check_restricted_view(target, &plan, &value)?;
    }
    if grad && target.requires_grad() && target.is_leaf()? {
        return Err(Error::runtime(if plan.makes_view() {
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        } else {
            "a leaf Variable that requires grad is being used in an in-place operation."
        }));
    }
    if plan.advanced.is_none() {
        // Basic indexing writes through a view: refused where it overlaps itself, as copy_.
        super::inplace::check_no_internal_overlap(&plan.layout(&target.data().layout))?;
    }
    if !grad || !(target.requires_grad() || value.requires_grad()) {
        write_plan(target, &plan, &value)?;
        target.version_counter().bump();
        return Ok(());
    }
    match (&plan.advanced, plan.makes_view()) {
        (None, false) => in_place(target, |t| assign_whole(t, &value)),
        (Some(indices), false) => in_place_overlapping(target, |t| index_put(t, indices, &value, false)),
        _ => in_place_overlapping(target, |t| copy_slices(t, &plan, &value)),
    }
}

/// The positions `t.index_put_(indices, ...)` writes at: int64 / int32 index tensors and bool
/// (or uint8) masks, one per leading dim of `t` (a mask covers as many dims as it has), checked as
/// PyTorch's `index_put_` checks them.
pub fn index_put_positions(t: &Tensor, indices: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
    if indices.len() > t.dim() {
        return Err(Error::index(format!("too many indices for tensor of dimension {} (got {})", t.dim(), indices.len())));
    }
    let key = indices
        .iter()
        .map(|i| {
            Ok(IndexItem::Tensor(match i.dtype() {
                DType::I32 => to_dtype(i, DType::I64)?,
                DType::U8 => to_dtype(i, DType::Bool)?,
                _ => i.clone(),
            }))
        })
        .collect::<Result<Vec<_>>>()?;
    plan(&t.shape(), &key, true)?.advanced.ok_or_else(|| Error::runtime("sym_strides() called on an undefined Tensor"))
}

/// True when PyTorch's `index_put_` hands the write to `masked_fill_` (no accumulation, a single
/// mask index, a one-element value): it then takes the value's number, whatever its dtype.
pub fn index_put_is_masked_fill(indices: &[Tensor], values: &Tensor, accumulate: bool) -> bool {
    !accumulate && values.numel() == 1 && indices.len() == 1 && matches!(indices[0].dtype(), DType::Bool | DType::U8)
}

/// `index_put_`'s refusal of values of another dtype than the target's.
pub fn check_index_put_dtypes(target: &Tensor, values: &Tensor) -> Result<()> {
    if values.dtype() != target.dtype() {
        return Err(Error::runtime(format!(
            "Index put requires the source and destination dtypes match, got {} for the destination and {} for the source.",
            target.dtype().scalar_type_name(),
            values.dtype().scalar_type_name()
        )));
    }
    Ok(())
}

/// PyTorch's warning for `index_put_` (and advanced-index assignment) on an expanded tensor.
pub const INDEX_PUT_EXPANDED: &str = "Use of index_put_ on expanded tensors is deprecated. Please clone() the tensor before performing this operation. This also applies to advanced indexing e.g. tensor[indices] = tensor";

/// PyTorch's warning for `masked_fill_` (and `t[mask] = scalar`) on an expanded tensor.
pub const MASKED_FILL_EXPANDED: &str = "Use of masked_fill_ on expanded tensors is deprecated. Please clone() the tensor before performing this operation. This also applies to advanced indexing e.g. tensor[mask] = scalar";

/// The deprecation warnings PyTorch gives, in order, for `target[key] = value` where the indexed
/// region has internal overlap (an expanded tensor): advanced indexing goes through `index_put_`,
/// which warns; a single bool mask with a one-element value then goes on to `masked_fill_`, which
/// warns again. Errors PyTorch raises before warning (a bad key, an in-place write on a leaf that
/// requires grad) are returned instead. Basic indexing has no warning (it refuses overlap).
pub fn setitem_notices(target: &Tensor, key: &[IndexItem], value: &Tensor) -> Result<Vec<&'static str>> {
    if !super::has_internal_overlap(target) {
        return Ok(Vec::new());
    }
    let plan = plan(&target.shape(), key, true)?;
    if plan.advanced.is_none() {
        return Ok(Vec::new());
    }
    if is_grad_enabled() {
        check_restricted_view(target, &plan, &value)?;
    }
    if is_grad_enabled() && target.requires_grad() && target.is_leaf()? {
        return Err(Error::runtime(if plan.makes_view() {
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        } else {
            "a leaf Variable that requires grad is being used in an in-place operation."
        }));
    }
    super::inplace::check_in_place_allowed(target, target.view_meta().as_ref())?;
    let region = plan.layout(&target.data().layout);
    if super::inplace::check_no_internal_overlap(&region).is_ok() {
        return Ok(Vec::new());
    }
    let mut notices = vec![INDEX_PUT_EXPANDED];
    let mut tensors = key.iter().filter_map(|item| match item {
        IndexItem::Tensor(t) => Some(t),
        _ => None,
    });
    if let (Some(only), None) = (tensors.next(), tensors.next()) {
        if only.dtype() == DType::Bool && value.numel() == 1 {
            notices.push(MASKED_FILL_EXPANDED);
        }
    }
    Ok(notices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_util::{arange, ints};

    #[test]
    fn basic_keys_make_views() {
        let a = arange(12, &[3, 4]);
        let key = [IndexItem::Slice { start: Some(1), stop: None, step: 1 }, IndexItem::Int(-1)];
        let out = getitem(&a, &key, false).unwrap();
        assert_eq!(out.to_vec::<f64>().unwrap(), vec![7.0, 11.0]);
        assert!(std::sync::Arc::ptr_eq(&out.data().storage, &a.data().storage));
        let err = getitem(&a, &[IndexItem::Int(3)], false).unwrap_err();
        assert_eq!(err, Error::index("index 3 is out of bounds for dimension 0 with size 3"));
        let err = getitem(&a, &[IndexItem::Int(0), IndexItem::Int(0), IndexItem::Int(0)], false).unwrap_err();
        assert_eq!(err, Error::index("too many indices for tensor of dimension 2"));
    }

    #[test]
    fn advanced_indices_follow_numpy_placement() {
        let a = arange(24, &[2, 3, 4]);
        // Adjacent indexed dims stay in place: [2, idx] -> shape [2, 2].
        let key = [IndexItem::Slice { start: None, stop: None, step: 1 }, IndexItem::Tensor(ints(&[0, 2])), IndexItem::Tensor(ints(&[1, 3]))];
        let out = getitem(&a, &key, false).unwrap();
        assert_eq!(out.shape(), vec![2, 2]);
        assert_eq!(out.to_vec::<f64>().unwrap(), vec![1.0, 11.0, 13.0, 23.0]);
        // Separated indexed dims go first: [idx, 3].
        let key = [IndexItem::Tensor(ints(&[1, 0])), IndexItem::Slice { start: None, stop: None, step: 1 }, IndexItem::Tensor(ints(&[0, -1]))];
        let out = getitem(&a, &key, false).unwrap();
        assert_eq!(out.shape(), vec![2, 3]);
        assert_eq!(out.to_vec::<f64>().unwrap(), vec![12.0, 16.0, 20.0, 3.0, 7.0, 11.0]);
        let err = getitem(&a, &[IndexItem::Tensor(ints(&[0, 1])), IndexItem::Tensor(ints(&[0, 1, 2]))], false).unwrap_err();
        assert_eq!(err.message(), "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]");
    }

    #[test]
    fn setitem_writes_through_and_bumps_the_version() {
        let a = arange(6, &[2, 3]);
        setitem(&a, &[IndexItem::Int(1)], &Tensor::scalar(9.0, DType::F64)).unwrap();
        assert_eq!(a.to_vec::<f64>().unwrap(), vec![0.0, 1.0, 2.0, 9.0, 9.0, 9.0]);
        setitem(&a, &[IndexItem::Tensor(ints(&[0, 0])), IndexItem::Tensor(ints(&[0, 2]))], &Tensor::scalar(-1.0, DType::F64)).unwrap();
        assert_eq!(a.to_vec::<f64>().unwrap(), vec![-1.0, 1.0, -1.0, 9.0, 9.0, 9.0]);
        assert_eq!(a.version(), 2);
    }

    #[test]
    fn nonzero_lists_coordinates() {
        let mask = Tensor::from_vec(vec![true, false, false, true], &[2, 2]).unwrap();
        let nz = nonzero(&mask);
        assert_eq!(nz[0].to_vec::<i64>().unwrap(), vec![0, 1]);
        assert_eq!(nz[1].to_vec::<i64>().unwrap(), vec![0, 1]);
    }
}
