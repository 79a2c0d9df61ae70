//! In-place ops. An in-place op computes its result out of place (recording its node as usual),
//! then writes the values into the target's storage, bumps the version counter, and makes the
//! node the target's history. Computing first means a failing op leaves the target untouched, and
//! `x.add_(x)` never reads and writes one buffer at once.
//!
//! When the target is a view whose base is in a graph (or the op brings one), the base's history
//! is rewritten instead, as PyTorch's `CopySlices`: the base's new node routes the gradient of the
//! viewed region through the op's backward and the rest straight to the base's old history.

use std::borrow::Cow;

use super::backward::backward_fn;
use super::shape::{clone, convert};
use super::record;
use crate::autograd::{is_grad_enabled, is_inference_mode_enabled, read_region, scratch, write_values, Backward, CreationMeta, GradMeta, Node, NodeKind, NodeRef, ViewMeta};
use crate::error::{Error, Result};
use crate::tensor::{shape_str, DType, Element, Layout, Scalar, Tensor};
use crate::with_dtype;

/// Refuses in-place ops that PyTorch refuses before computing anything (its `check_inplace`,
/// which runs when an input requires grad: here the target; an operand bringing grad into a
/// target that needs none is checked after computing, by [`check_view_gains_history`]).
pub(crate) fn check_in_place_allowed(target: &Tensor, view: Option<&ViewMeta>) -> Result<()> {
    if target.is_inference() && !is_inference_mode_enabled() {
        return Err(Error::runtime("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details."));
    }
    if !is_grad_enabled() || !target.requires_grad() {
        return Ok(());
    }
    if let Some(v) = view {
        // PyTorch's handle_view_on_rebase comes before the leaf checks; it names the stored node.
        if v.creation != CreationMeta::Default {
            let name = target.stored_grad_fn().map(|n| n.name().into_owned());
            return Err(view_rebase_error(name.as_deref(), target.output_nr(), &v.creation));
        }
        if v.base.is_leaf()? {
            return Err(Error::runtime("a view of a leaf Variable that requires grad is being used in an in-place operation."));
        }
    }
    if target.is_leaf()? {
        return Err(Error::runtime("a leaf Variable that requires grad is being used in an in-place operation."));
    }
    Ok(())
}

/// The rest of PyTorch's `check_inplace` for a target that does not require grad written with an
/// operand that does (`node`: the op's recorded node): a restricted view refuses to gain a history.
fn check_view_gains_history(target: &Tensor, view: Option<&ViewMeta>, node: Option<&NodeRef>) -> Result<()> {
    match (view, node) {
        (Some(v), Some(_)) if v.creation != CreationMeta::Default && !target.requires_grad() => {
            let name = target.stored_grad_fn().map(|n| n.name().into_owned());
            Err(view_rebase_error(name.as_deref(), target.output_nr(), &v.creation))
        }
        _ => Ok(()),
    }
}

/// PyTorch's `handle_view_on_rebase` error for an in-place write into a restricted view (`creation`
/// not `Default`). `grad_fn`: the name of the view's node, if it has one (a view op's node, or the
/// custom Function's); `output_nr`: which output of it the view is.
pub(crate) fn view_rebase_error(grad_fn: Option<&str>, output_nr: usize, creation: &CreationMeta) -> Error {
    crate::autograd::view_rebase_error(grad_fn, output_nr, creation, false)
}

/// PyTorch's refusal to write where several elements share one memory location (its
/// `has_internal_overlap` answering YES: a dim of stride 0 with more than one element).
pub(crate) fn check_no_internal_overlap(layout: &Layout) -> Result<()> {
    if layout.shape.iter().zip(&layout.strides).any(|(&n, &s)| s == 0 && n > 1) {
        return Err(Error::runtime("unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation."));
    }
    Ok(())
}

/// True when several elements of `t` share one memory location (a dim of stride 0 with more than
/// one element, as an `expand`ed tensor): where PyTorch's `masked_fill_` / `index_put_` warn.
pub fn has_internal_overlap(t: &Tensor) -> bool {
    check_no_internal_overlap(&t.data().layout).is_err()
}

/// Runs `compute(target)` and stores its result into `target` in place (refused, before anything
/// is computed, when `target` has internal overlap such as an `expand`ed tensor).
pub fn in_place(target: &Tensor, compute: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<()> {
    check_no_internal_overlap(&target.data().layout)?;
    in_place_overlapping(target, compute)
}

/// [`in_place`] without the overlap check, for the writes PyTorch allows on expanded tensors
/// (`fill_`, `zero_`, `masked_fill_`, `index_put_`: every element gets a value not depending on
/// the others), and for `setitem`, which checks the written region itself.
pub fn in_place_overlapping(target: &Tensor, compute: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<()> {
    let view = target.view_meta();
    check_in_place_allowed(target, view.as_ref())?;
    let result = compute(target)?;
    let (rs, ts) = (result.shape(), target.shape());
    if rs != ts {
        return Err(Error::runtime(format!(
            "output with shape {} doesn't match the broadcast shape {}",
            shape_str(&ts),
            shape_str(&rs)
        )));
    }
    let (rd, td) = (result.dtype(), target.dtype());
    if (rd.is_float() && !td.is_float()) || (rd != DType::Bool && td == DType::Bool) {
        return Err(Error::runtime(format!(
            "result type {} can't be cast to the desired output type {}",
            rd.scalar_type_name(),
            td.scalar_type_name()
        )));
    }
    let node = result.stored_grad_fn();
    check_view_gains_history(target, view.as_ref(), node.as_ref())?;
    if let Some(node) = &node {
        if let NodeKind::Op(backward) = node.kind() {
            if let Some(saved) = backward.saved() {
                saved.retarget_for_in_place(target, || clone(target), target.version() + 1)?;
            }
        }
    }
    if check_no_internal_overlap(&target.data().layout).is_err() {
        write_changed_values(target, &convert(&result, td));
    } else {
        write_values(target, &convert(&result, td));
    }
    target.version_counter().bump();
    match (node, view) {
        (Some(node), Some(view)) => rebase_view_history(target, &view.base, node)?,
        (Some(node), None) => target.set_grad_fn(node, 0),
        (None, _) => {}
    }
    Ok(())
}

/// After an in-place op (node `op`) on `view`: the base gets a CopySlices node; the view's own
/// history, now stale, is regenerated from it (an `AsStridedBackward0`, as PyTorch's
/// `rebase_history` triggering `grad_fn()`).
fn rebase_view_history(view: &Tensor, base: &Tensor, op: NodeRef) -> Result<()> {
    let (base_layout, view_layout) = (base.data().layout, view.data().layout);
    let mut edges = vec![base.gradient_edge()?];
    edges.extend(op.next_edges.iter().skip(1).cloned());
    let base_meta = GradMeta { shape: base.shape(), dtype: base.dtype() };
    let copy_slices = CopySlices { base_layout, view_layout, op };
    let base_node = Node::new(NodeKind::Op(Box::new(copy_slices)), edges, vec![base_meta]);
    base.set_grad_fn(base_node, 0);
    view.grad_fn()?;
    Ok(())
}

/// The base's node after an in-place op on one of its views: d base = grad outside the view, and
/// the op's input gradient inside it; the op's other inputs get their gradients from the op.
struct CopySlices {
    base_layout: Layout,
    view_layout: Layout,
    op: NodeRef,
}

impl Backward for CopySlices {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("CopySlices")
    }

    fn apply(&self, node: &NodeRef, grads: Vec<Option<Tensor>>) -> Result<Vec<Option<Tensor>>> {
        if grads.iter().all(Option::is_none) {
            return Ok(vec![None; node.next_edges.len()]); // no gradient arrived: none flows on
        }
        let grad = node.materialize_grads(grads).remove(0);
        let dtype = grad.dtype();
        let storage = scratch(&self.base_layout, &self.view_layout, dtype);
        write_values(&Tensor::from_storage(storage.clone(), self.base_layout.clone(), dtype), &grad);
        let grad_of_view = read_region(&storage, &self.view_layout, dtype)?;
        let NodeKind::Op(op) = self.op.kind() else { unreachable!("CopySlices wraps an op node") };
        let mut op_grads = op.apply(&self.op, vec![Some(grad_of_view)])?;
        let region = Tensor::from_storage(storage.clone(), self.view_layout.clone(), dtype);
        let into_view = match op_grads.first_mut().and_then(Option::take) {
            Some(g) => convert(&g, dtype),
            None => Tensor::zeros(&self.view_layout.shape, dtype),
        };
        if super::needs(node, 0) {
            // PyTorch copies the op's gradient into the view's slice of the base's gradient: a
            // view whose elements share memory (an expanded tensor written by `index_put_`) is
            // refused there, at backward time.
            check_no_internal_overlap(&self.view_layout)?;
        }
        write_values(&region, &into_view);
        let mut outputs = vec![Some(read_region(&storage, &self.base_layout, dtype)?)];
        outputs.extend(op_grads.into_iter().skip(1));
        Ok(outputs)
    }

    fn release_saved(&self) {
        if let NodeKind::Op(op) = self.op.kind() {
            op.release_saved();
        }
    }
}

/// `write_values` into a target whose elements share memory (an allowed fill of an expanded
/// tensor): only the elements the op changed are written, so an unchanged alias of a written
/// element cannot write its old value back (as PyTorch's kernels, which write only those).
fn write_changed_values(target: &Tensor, values: &Tensor) {
    let source = values.contiguous_buffer();
    let data = target.data();
    let mut buffer = data.storage.write();
    with_dtype!(data.dtype, T => {
        let (dst, src) = (T::slice_mut(&mut buffer), T::slice(&source));
        let mut offsets = Vec::with_capacity(src.len());
        data.layout.for_each_offset(|o| offsets.push(o));
        let old: Vec<T> = offsets.iter().map(|&o| dst[o]).collect();
        for (i, &o) in offsets.iter().enumerate() {
            if src[i] != old[i] {
                dst[o] = src[i];
            }
        }
    });
}

/// `target += grad` without autograd checks (the engine accumulating into an existing `.grad`).
pub fn add_in_place(target: &Tensor, grad: &Tensor) -> Result<()> {
    in_place(target, |t| super::add(t, grad))
}

/// `target.fill_(value)` (`zero_()` is `fill_(0)` named `ZeroBackward0`).
pub fn fill_(target: &Tensor, value: Scalar, node_name: &'static str) -> Result<()> {
    if super::inplace_direct::fill_direct(target, value) {
        return Ok(()); // nothing recorded: the value written straight into the target
    }
    in_place_overlapping(target, |t| {
        // One element broadcast to the target's shape: `write_values` fills from it.
        let shape = t.shape();
        let one = super::full_exact(&[], value, t.dtype());
        let layout = Layout { strides: vec![0; shape.len()], shape, offset: 0 };
        let out = Tensor::from_storage(one.data().storage, layout, t.dtype());
        record(&[t], &[&out], || {
            // d fill(t) = 0
            backward_fn(node_name, vec![], |_, _, g| Ok(vec![Some(Tensor::zeros(&g[0].shape(), g[0].dtype()))]))
        })?;
        Ok(out)
    })
}
