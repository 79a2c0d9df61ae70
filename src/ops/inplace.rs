//! In-place ops. An in-place op computes its result out of place (recording its node as usual),
//! then writes the values into the target's storage, bumps the version counter, and makes the
//! node the target's history. Computing first means a failing op leaves the target untouched, and
//! `x.add_(x)` never reads and writes one buffer at once.
//!
//! When the target is a view whose base is in a graph (or the op brings one), the base's history
//! is rewritten instead, as PyTorch's `CopySlices`: the base's new node routes the gradient of the
//! viewed region through the op's backward and the rest straight to the base's old history.

use std::borrow::Cow;
use std::sync::Arc;

use super::backward::backward_fn;
use super::shape::{clone, convert};
use super::record;
use crate::autograd::{is_grad_enabled, is_inference_mode_enabled, Backward, CreationMeta, GradMeta, Node, NodeKind, NodeRef, ViewMeta};
use crate::cpu::elementwise::scatter_into;
use crate::error::{Error, Result};
use crate::tensor::{shape_str, Buffer, DType, Element, Layout, Scalar, Storage, Tensor};
use crate::with_dtype;

/// Refuses in-place ops that PyTorch refuses before computing anything.
pub(crate) fn check_in_place_allowed(target: &Tensor, view: Option<&ViewMeta>) -> Result<()> {
    if target.is_inference() && !is_inference_mode_enabled() {
        return Err(Error::runtime("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details."));
    }
    if !is_grad_enabled() {
        return Ok(());
    }
    match view {
        Some(v) => {
            // PyTorch's handle_view_on_rebase comes before the leaf check.
            if v.base.requires_grad() && v.creation != CreationMeta::Default {
                let name = target.grad_fn().map(|n| n.name().into_owned());
                return Err(view_rebase_error(name.as_deref(), target.output_nr(), &v.creation));
            }
            if v.base.is_leaf() && v.base.requires_grad() {
                return Err(Error::runtime("a view of a leaf Variable that requires grad is being used in an in-place operation."));
            }
            Ok(())
        }
        None if target.is_leaf() && target.requires_grad() => {
            Err(Error::runtime("a leaf Variable that requires grad is being used in an in-place operation."))
        }
        None => Ok(()),
    }
}

/// The op name PyTorch's view errors print: the node's name without `Backward<N>`
/// (`UnbindBackward0` -> `Unbind`, a custom Function's `IdentBackward` -> `Ident`).
fn view_op_name(node_name: &str) -> &str {
    let trimmed = node_name.trim_end_matches(|c: char| c.is_ascii_digit());
    trimmed.strip_suffix("Backward").unwrap_or(trimmed)
}

/// PyTorch's `handle_view_on_rebase` error for an in-place write into a restricted view (`creation`
/// not `Default`). `grad_fn`: the name of the view's node, if it has one (a view op's node, or the
/// custom Function's); `output_nr`: which output of it the view is.
pub(crate) fn view_rebase_error(grad_fn: Option<&str>, output_nr: usize, creation: &CreationMeta) -> Error {
    let message = match grad_fn {
        Some(name) if *creation != CreationMeta::NoGradMode => {
            format!("Output {output_nr} of {} is a view and is being modified inplace.", view_op_name(name))
        }
        Some(name) => format!(
            "Output {output_nr} of {} is a view of a view which was created in no_grad mode and is being modified inplace with grad mode enabled.",
            view_op_name(name)
        ),
        None => "A view was created in no_grad mode and is being modified inplace with grad mode enabled.".to_string(),
    };
    let reason = match creation {
        CreationMeta::MultipleOutput => " This view is the output of a function that returns multiple views. Such functions do not allow the output views to be modified inplace. You should replace the inplace operation by an out-of-place one.",
        CreationMeta::InCustomFunction => " This view was created inside a custom Function (or because an input was returned as-is) and the autograd logic to handle view+inplace would override the custom backward associated with the custom Function, leading to incorrect gradients. This behavior is forbidden. You can fix this by cloning the output of the custom Function.",
        _ => " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked).",
    };
    Error::runtime(message + reason)
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
    let node = result.grad_fn();
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
        (Some(node), Some(view)) => rebase_view_history(target, &view.base, node),
        (Some(node), None) => target.set_grad_fn(node, 0),
        (None, _) => {}
    }
    Ok(())
}

/// After an in-place op (node `op`) on `view`: the base gets a CopySlices node, and the view a
/// node that reads its region back out of the base's gradient.
fn rebase_view_history(view: &Tensor, base: &Tensor, op: NodeRef) {
    let (base_layout, view_layout) = (base.data().layout, view.data().layout);
    let mut edges = vec![base.gradient_edge()];
    edges.extend(op.next_edges.iter().skip(1).cloned());
    let base_meta = GradMeta { shape: base.shape(), dtype: base.dtype() };
    let copy_slices = CopySlices { base_layout: base_layout.clone(), view_layout: view_layout.clone(), op };
    let base_node = Node::new(NodeKind::Op(Box::new(copy_slices)), edges, vec![base_meta]);
    base.set_grad_fn(base_node.clone(), 0);
    let view_meta = GradMeta { shape: view.shape(), dtype: view.dtype() };
    let as_strided = AsStridedBackward { base_layout, view_layout };
    let view_node = Node::new(NodeKind::Op(Box::new(as_strided)), vec![Some(crate::autograd::Edge { node: base_node, input_nr: 0 })], vec![view_meta]);
    view.set_grad_fn(view_node, 0);
}

/// Elements a storage needs so that `layout` fits in it.
fn extent(layout: &Layout) -> usize {
    if layout.numel() == 0 {
        return layout.offset;
    }
    layout.offset + layout.shape.iter().zip(&layout.strides).map(|(&n, &s)| (n - 1) * s).sum::<usize>() + 1
}

/// A zeroed scratch storage shared by a base's layout and a view's layout.
fn scratch(base: &Layout, view: &Layout, dtype: DType) -> Arc<Storage> {
    let len = extent(base).max(extent(view));
    Arc::new(Storage::new(with_dtype!(dtype, T => T::into_buffer(vec![T::default(); len]))))
}

/// Reads the elements `layout` addresses in `storage` into a new contiguous tensor.
fn read_region(storage: &Arc<Storage>, layout: &Layout, dtype: DType) -> Result<Tensor> {
    let buffer = storage.read();
    let values: Buffer = with_dtype!(dtype, T => T::into_buffer(layout.gather(T::slice(&buffer))));
    Tensor::from_buffer(values, &layout.shape)
}

/// Gradient of a view that was modified in place: its region of the base's gradient (d view =
/// grad placed at the view's elements of a zero base).
struct AsStridedBackward {
    base_layout: Layout,
    view_layout: Layout,
}

impl Backward for AsStridedBackward {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("AsStridedBackward0")
    }

    fn apply(&self, node: &NodeRef, grads: Vec<Option<Tensor>>) -> Result<Vec<Option<Tensor>>> {
        if grads.iter().all(Option::is_none) {
            return Ok(vec![None; node.next_edges.len()]); // no gradient arrived: none flows on
        }
        let grad = node.materialize_grads(grads).remove(0);
        let storage = scratch(&self.base_layout, &self.view_layout, grad.dtype());
        write_values(&Tensor::from_storage(storage.clone(), self.view_layout.clone(), grad.dtype()), &grad);
        Ok(vec![Some(read_region(&storage, &self.base_layout, grad.dtype())?)])
    }
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

/// Copies the elements of `values` (same shape and dtype) into `target`'s storage.
fn write_values(target: &Tensor, values: &Tensor) {
    let source = values.contiguous_buffer();
    let data = target.data();
    let mut buffer = data.storage.write();
    with_dtype!(data.dtype, T => scatter_into(T::slice_mut(&mut buffer), &data.layout, T::slice(&source)));
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
    in_place_overlapping(target, |t| {
        let out = Tensor::full(&t.shape(), value.to_f64(), t.dtype());
        record(&[t], &[&out], || {
            // d fill(t) = 0
            backward_fn(node_name, vec![], |_, _, g| Ok(vec![Some(Tensor::zeros(&g[0].shape(), g[0].dtype()))]))
        })?;
        Ok(out)
    })
}
