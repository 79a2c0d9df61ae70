//! Views and in-place changes of their base (PyTorch's "view + inplace" logic in
//! `VariableHooks::grad_fn`): a view remembers the version of its storage when its history was
//! last set. When the base or another view of it has been modified in place since, reading the
//! view's history regenerates it: an `AsStridedBackward0` that takes the view's region out of the
//! gradient of the base's current history. Views that must not be rebased this way (made under
//! no_grad, one of several outputs, made in a custom Function) refuse instead.

use std::borrow::Cow;
use std::sync::Arc;

use super::arena::NodeRef;
use super::meta::CreationMeta;
use super::node::{Backward, GradMeta, Node, NodeKind};
use super::saved::{SavedSet, SavedValue};
use crate::cpu::elementwise::{dense_span, scatter_into};
use crate::error::{Error, Result};
use crate::tensor::{Buffer, DType, Element, Layout, Storage, Tensor};
use crate::with_dtype;

impl Tensor {
    /// The node that produced this tensor (PyTorch's `grad_fn()`): for a view whose base or a
    /// sibling view was modified in place since its history was set, a regenerated
    /// `AsStridedBackward0` into the base's current history, or PyTorch's refusal for a view that
    /// cannot be rebased.
    pub fn grad_fn(&self) -> Result<Option<NodeRef>> {
        let (view, grad_fn, output_nr) = {
            let meta = self.autograd_meta();
            match &meta.view {
                None => return Ok(meta.grad_fn.clone()),
                Some(view) => (view.clone(), meta.grad_fn.clone(), meta.output_nr),
            }
        };
        if grad_fn.is_none() && !view.base.requires_grad() {
            return Ok(None);
        }
        let current = self.version();
        if view.attr_version == current {
            return Ok(grad_fn);
        }
        if view.creation != CreationMeta::Default {
            let name = grad_fn.map(|node| node.name().into_owned());
            return Err(view_rebase_error(name.as_deref(), output_nr, &view.creation, true));
        }
        let base_edge = view.base.gradient_edge()?;
        let (base_layout, view_layout) = (view.base.data().layout, self.data().layout);
        let meta = GradMeta { shape: view_layout.shape.clone(), dtype: self.dtype() };
        let node = Node::new(NodeKind::Op(Box::new(AsStridedBackward::new(base_layout, view_layout))), vec![base_edge], vec![meta]);
        self.set_grad_fn(node.clone(), 0);
        Ok(Some(node))
    }

    /// The node stored as this tensor's history, as it is (no regeneration; PyTorch's raw
    /// `grad_fn_`, which its view errors name).
    pub fn stored_grad_fn(&self) -> Option<NodeRef> {
        self.autograd_meta().grad_fn.clone()
    }
}

/// The op name PyTorch's view errors print: the node's name without `Backward<N>`
/// (`UnbindBackward0` -> `Unbind`, a custom Function's `IdentBackward` -> `Ident`).
fn view_op_name(node_name: &str) -> &str {
    let trimmed = node_name.trim_end_matches(|c: char| c.is_ascii_digit());
    trimmed.strip_suffix("Backward").unwrap_or(trimmed)
}

/// PyTorch's `handle_view_on_rebase` error for a restricted view (`creation` not `Default`):
/// modified in place itself, or (`indirect`) used after its base or another view of its base was.
/// `grad_fn`: the name of the view's node, if it has one (a view op's node, or the custom
/// Function's); `output_nr`: which output of it the view is.
pub(crate) fn view_rebase_error(grad_fn: Option<&str>, output_nr: usize, creation: &CreationMeta, indirect: bool) -> Error {
    let modified = if indirect { "its base or another view of its base has been" } else { "is being" };
    let message = match grad_fn {
        Some(name) if *creation != CreationMeta::NoGradMode => {
            format!("Output {output_nr} of {} is a view and {modified} modified inplace.", view_op_name(name))
        }
        Some(name) => format!(
            "Output {output_nr} of {} is a view of a view which was created in no_grad mode and {modified} modified inplace with grad mode enabled.",
            view_op_name(name)
        ),
        None => format!("A view was created in no_grad mode and {modified} modified inplace with grad mode enabled."),
    };
    let reason = match creation {
        CreationMeta::MultipleOutput => " This view is the output of a function that returns multiple views. Such functions do not allow the output views to be modified inplace. You should replace the inplace operation by an out-of-place one.",
        CreationMeta::InCustomFunction => " This view was created inside a custom Function (or because an input was returned as-is) and the autograd logic to handle view+inplace would override the custom backward associated with the custom Function, leading to incorrect gradients. This behavior is forbidden. You can fix this by cloning the output of the custom Function.",
        _ => " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked).",
    };
    Error::runtime(message + reason)
}

/// Gradient of a view whose history was regenerated: its region of the base's gradient (d base =
/// grad placed at the view's elements of a zero base). Saves only sizes, as PyTorch's node.
pub(crate) struct AsStridedBackward {
    /// `AsStridedBackward0`; `AsStridedBackward1` for the in-place `as_strided_`.
    name: &'static str,
    base_layout: Layout,
    view_layout: Layout,
    values: SavedSet,
}

impl AsStridedBackward {
    pub(crate) fn new(base_layout: Layout, view_layout: Layout) -> Self {
        let ints = |v: &[usize]| SavedValue::Ints(v.iter().map(|&x| x as i64).collect());
        let values = SavedSet::new(Vec::new()).with_values(vec![
            ("size", ints(&view_layout.shape)),
            ("storage_offset", SavedValue::ScalarInt(view_layout.offset as i64)),
            ("stride", ints(&view_layout.strides)),
        ]);
        AsStridedBackward { name: "AsStridedBackward0", base_layout, view_layout, values }
    }

    /// The same node under another name.
    pub(crate) fn named(self, name: &'static str) -> Self {
        AsStridedBackward { name, ..self }
    }
}

impl Backward for AsStridedBackward {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.name)
    }

    fn apply(&self, node: &NodeRef, grads: Vec<Option<Tensor>>) -> Result<Vec<Option<Tensor>>> {
        if grads.iter().all(Option::is_none) {
            return Ok(vec![None; node.next_edges.len()]); // no gradient arrived: none flows on
        }
        let grad = node.materialize_grads(grads).remove(0);
        let storage = scratch(&self.base_layout, &self.view_layout, grad.dtype());
        let l = &self.view_layout;
        if may_overlap(l) {
            // Elements sharing one location (an expanded or overlapping view): their gradients add
            // up there.
            let source = grad.contiguous_buffer();
            let mut buffer = storage.write();
            with_dtype!(grad.dtype(), T => {
                let (src, dst) = (T::slice(&source), T::slice_mut(&mut buffer));
                let mut i = 0;
                l.for_each_offset(|o| {
                    dst[o] = T::from_f64(dst[o].to_f64() + src[i].to_f64());
                    i += 1;
                });
            });
        } else {
            write_values(&Tensor::from_storage(storage.clone(), self.view_layout.clone(), grad.dtype()), &grad);
        }
        Ok(vec![Some(read_region(&storage, &self.base_layout, grad.dtype())?)])
    }

    fn saved(&self) -> Option<&SavedSet> {
        Some(&self.values)
    }
}

/// False when no two elements of `layout` can share a location: with the dims of more than one
/// element sorted by stride, each stride passes the span of the smaller dims.
fn may_overlap(layout: &Layout) -> bool {
    let mut dims: Vec<(usize, usize)> = layout.shape.iter().zip(&layout.strides).filter(|(&n, _)| n > 1).map(|(&n, &s)| (s, n)).collect();
    dims.sort_unstable();
    let mut span = 0;
    for (stride, n) in dims {
        if stride <= span {
            return true;
        }
        span += stride * (n - 1);
    }
    false
}

/// Elements a storage needs so that `layout` fits in it.
fn extent(layout: &Layout) -> usize {
    if layout.numel() == 0 {
        return layout.offset;
    }
    layout.offset + layout.shape.iter().zip(&layout.strides).map(|(&n, &s)| (n - 1) * s).sum::<usize>() + 1
}

/// A zeroed scratch storage shared by a base's layout and a view's layout.
pub(crate) fn scratch(base: &Layout, view: &Layout, dtype: DType) -> Arc<Storage> {
    let len = extent(base).max(extent(view));
    Arc::new(Storage::new(with_dtype!(dtype, T => T::into_buffer(vec![T::default(); len]))))
}

/// Reads the elements `layout` addresses in `storage` into a new contiguous tensor.
pub(crate) fn read_region(storage: &Arc<Storage>, layout: &Layout, dtype: DType) -> Result<Tensor> {
    let buffer = storage.read();
    let values: Buffer = with_dtype!(dtype, T => T::into_buffer(layout.gather(T::slice(&buffer))));
    Tensor::from_buffer(values, &layout.shape)
}

/// Copies the elements of `values` (same shape and dtype) into `target`'s storage.
pub(crate) fn write_values(target: &Tensor, values: &Tensor) {
    let data = target.data_ref();
    {
        let src = values.data_ref();
        let l = &src.layout;
        // One value broadcast everywhere (`fill_`, `zero_`): a fill, no copy of a full buffer.
        if l.numel() > 0 && l.strides.iter().zip(&l.shape).all(|(&st, &n)| st == 0 || n == 1) {
            let buffer = src.storage.read();
            with_dtype!(data.dtype, T => {
                let value = T::slice(&buffer)[l.offset];
                drop(buffer);
                fill_layout(T::slice_mut(&mut data.storage.write()), &data.layout, value);
            });
            return;
        }
        // A contiguous result that no other tensor can reach (the fresh output of an in-place
        // op's kernel): copied straight from its storage, once. Holding its lock with the
        // target's cannot deadlock, as no other thread can lock it.
        if l.is_contiguous() && Arc::strong_count(&src.storage) == 1 && !Arc::ptr_eq(&src.storage, &data.storage) {
            let buffer = src.storage.read();
            with_dtype!(data.dtype, T => {
                let s = &T::slice(&buffer)[l.offset..l.offset + l.numel()];
                scatter_into(T::slice_mut(&mut data.storage.write()), &data.layout, s);
            });
            return;
        }
    }
    let source = values.contiguous_buffer();
    let mut buffer = data.storage.write();
    with_dtype!(data.dtype, T => scatter_into(T::slice_mut(&mut buffer), &data.layout, T::slice(&source)));
}

/// Sets every element `layout` addresses to `value` (elements addressed twice, as in an expanded
/// layout, simply get it twice): in storage order, split over threads when it pays, when dense.
pub(crate) fn fill_layout<T: Element>(dst: &mut [T], layout: &Layout, value: T) {
    match dense_span(layout) {
        Some(span) => crate::cpu::math::map_in_place(&mut dst[span], |_| value),
        None => layout.for_each_offset(|o| dst[o] = value),
    }
}

#[cfg(test)]
mod tests {
    use crate::ops;
    use crate::tensor::{DType, Scalar, Tensor};

    #[test]
    fn in_place_writes_touch_only_the_addressed_elements() -> crate::error::Result<()> {
        // fill_ through the broadcast-value path, on a step-2 slice and on a whole tensor
        let base = Tensor::from_vec((0..8).map(f64::from).collect(), &[8])?;
        let every_other = ops::slice(&base, 0, Some(1), None, 2)?;
        ops::fill_(&every_other, Scalar::Float(-1.0), "FillBackward0")?;
        assert_eq!(base.to_f64_vec(), vec![0.0, -1.0, 2.0, -1.0, 4.0, -1.0, 6.0, -1.0]);
        // a fresh kernel output copied once into a contiguous narrow view
        let middle = ops::narrow(&base, 0, 2, 3)?;
        ops::in_place(&middle, |t| ops::add(t, &Tensor::full(&[3], 10.0, DType::F64)))?;
        assert_eq!(base.to_f64_vec(), vec![0.0, -1.0, 12.0, 9.0, 14.0, -1.0, 6.0, -1.0]);
        ops::fill_(&base, Scalar::Float(0.5), "FillBackward0")?;
        assert_eq!(base.to_f64_vec(), vec![0.5; 8]);
        Ok(())
    }

    #[test]
    fn a_view_read_after_its_base_changed_gets_the_base_history() -> crate::error::Result<()> {
        let a = Tensor::ones(&[2, 3], DType::F64).with_requires_grad(true)?;
        let two = Tensor::full(&[2, 3], 2.0, DType::F64);
        let x = ops::mul(&a, &Tensor::ones(&[2, 3], DType::F64))?;
        let v = ops::select(&x, 0, 0)?;
        assert_eq!(v.grad_fn()?.unwrap().name(), "SelectBackward0");
        ops::in_place(&x, |t| ops::mul(t, &two))?;
        let node = v.grad_fn()?.unwrap();
        assert_eq!(node.name(), "AsStridedBackward0");
        assert!(node.next_edges[0].as_ref().is_some_and(|e| e.node == x.grad_fn().unwrap().unwrap()));
        crate::autograd::backward(&[ops::sum(&v)?], vec![None], None, false, None)?;
        assert_eq!(a.grad().unwrap().to_f64_vec(), vec![2.0, 2.0, 2.0, 0.0, 0.0, 0.0]);
        Ok(())
    }

    #[test]
    fn a_multi_output_view_refuses_after_its_base_changed() -> crate::error::Result<()> {
        let x = ops::mul(&Tensor::ones(&[2, 3], DType::F64).with_requires_grad(true)?, &Tensor::ones(&[2, 3], DType::F64))?;
        let parts = ops::unbind(&x, 0)?;
        ops::in_place(&x, |t| ops::mul(t, &Tensor::full(&[2, 3], 2.0, DType::F64)))?;
        let err = parts[1].grad_fn().err().expect("refused").to_string();
        assert!(err.starts_with("Output 1 of Unbind is a view and its base or another view of its base has been modified inplace."), "{err}");
        assert!(parts[1].requires_grad()); // requires_grad reads the stored history, no refusal
        Ok(())
    }
}
