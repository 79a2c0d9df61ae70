//! Per-tensor autograd state and the tensor methods that read or change it.

use std::sync::Arc;

use super::arena::{NodeRef, WeakNodeRef};
use super::hooks::{PostAccumulateHook, Registered, TensorHook};
use super::node::{Edge, GradMeta, Node, NodeKind, TensorObserver};
use crate::error::{Error, Result};
use crate::tensor::{shape_str, Tensor};

/// The autograd side of one tensor object.
#[derive(Default)]
pub struct AutogradMeta {
    /// For a leaf: whether it requires grad. (A non-leaf requires grad because it has a grad_fn.)
    pub requires_grad: bool,
    /// The accumulated gradient (`.grad`).
    pub grad: Option<Tensor>,
    /// The node that produced this tensor; `None` for leaves.
    pub grad_fn: Option<NodeRef>,
    /// Which output of `grad_fn` this tensor is.
    pub output_nr: usize,
    /// A leaf's AccumulateGrad node, shared by every graph the leaf is used in while one lives.
    pub grad_accumulator: WeakNodeRef,
    /// `retain_grad()` was called on this non-leaf.
    pub retains_grad: bool,
    /// For a view: its base and how it was made (decides what an in-place op on it may do).
    pub view: Option<ViewMeta>,
    /// Hooks on the gradient flowing into this tensor, each with the `seq` of the node that was
    /// its history when it was registered (`None` on a leaf): as in PyTorch, a hook stays with that
    /// node when an in-place op or a view's regeneration gives the tensor a new history.
    pub hooks: Vec<(Option<u64>, Registered<TensorHook>)>,
    /// The node new hooks attach to (`Some(None)`: a leaf), as PyTorch's `_backward_hooks` dict:
    /// made by the first `register_hook` (which reads `grad_fn`, regenerating a stale view's
    /// history), dropped when the tensor gets a new history. While it exists, `register_hook`
    /// adds to it without reading `grad_fn` (so a hook can land on a stale view's old node).
    pub hook_dict: Option<Option<u64>>,
    /// Hooks called after a leaf's `.grad` was accumulated.
    pub post_accumulate_hooks: Vec<Registered<PostAccumulateHook>>,
}

/// How a view was created, as PyTorch's `CreationMeta`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreationMeta {
    /// An ordinary view with grad mode on.
    Default,
    /// Made under `no_grad`: modifying it in place with grad mode on is an error.
    NoGradMode,
    /// One of several views returned by one op (`unbind`, `split`, a custom Function with several
    /// differentiable outputs): in-place changes are refused.
    MultipleOutput,
    /// Returned by a custom Function (an input returned as is, or a view made in its forward):
    /// in-place changes are refused, as they would bypass the Function's backward.
    InCustomFunction,
}

impl CreationMeta {
    /// The kind of a new view of a view made as `new`: an ordinary view inherits its base's
    /// restriction (PyTorch's `propagate_creation_meta`).
    fn propagate(previous: &CreationMeta, new: CreationMeta) -> CreationMeta {
        if new == CreationMeta::Default {
            previous.clone()
        } else {
            new
        }
    }
}

/// The base of a view (the tensor that owns the storage, never itself a view).
#[derive(Clone)]
pub struct ViewMeta {
    /// The root tensor whose storage this view looks into.
    pub base: Tensor,
    /// How the view was made.
    pub creation: CreationMeta,
    /// The version of the shared storage when this view's history was last set: a newer version
    /// means the base or another view was modified in place since, and the history is stale.
    pub attr_version: u64,
}

impl Tensor {
    /// True when gradients flow to or through this tensor. A view requires grad when its base
    /// does, even one made under no_grad (PyTorch's `DifferentiableViewMeta::requires_grad`).
    pub fn requires_grad(&self) -> bool {
        let meta = self.autograd_meta();
        if meta.requires_grad || meta.grad_fn.is_some() {
            return true;
        }
        let base = meta.view.as_ref().map(|v| v.base.clone());
        drop(meta);
        base.is_some_and(|b| b.requires_grad()) // a view's base is never a view itself
    }

    /// True for tensors not produced by a recorded op (reads the history as `grad_fn()` does, so
    /// a stale restricted view refuses).
    pub fn is_leaf(&self) -> Result<bool> {
        Ok(self.grad_fn()?.is_none())
    }

    /// Which output of its grad_fn this tensor is.
    pub fn output_nr(&self) -> usize {
        self.autograd_meta().output_nr
    }

    /// Marks a leaf as requiring grad (`requires_grad=` in a factory call), with that path's wording.
    pub fn with_requires_grad(self, requires_grad: bool) -> Result<Tensor> {
        if requires_grad && !self.dtype().is_float() {
            return Err(Error::runtime("Only Tensors of floating point and complex dtype can require gradients"));
        }
        self.autograd_meta().requires_grad = requires_grad;
        Ok(self)
    }

    /// `requires_grad_()`.
    pub fn set_requires_grad(&self, requires_grad: bool) -> Result<()> {
        self.set_requires_grad_worded(requires_grad, "only Tensors of floating point dtype can require gradients")
    }

    /// The `requires_grad` attribute setter (PyTorch words its dtype error differently).
    pub fn set_requires_grad_attribute(&self, requires_grad: bool) -> Result<()> {
        self.set_requires_grad_worded(requires_grad, "only Tensors of floating point and complex dtype can require gradients")
    }

    fn set_requires_grad_worded(&self, requires_grad: bool, dtype_message: &str) -> Result<()> {
        let leaf = self.is_leaf()?; // refreshes a stale view's history first
        let mut meta = self.autograd_meta();
        if !leaf {
            if requires_grad {
                return Ok(()); // already requires grad through its history: a no-op, as in PyTorch
            }
            return Err(Error::runtime(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().",
            ));
        }
        if requires_grad && !self.dtype().is_float() {
            return Err(Error::runtime(dtype_message));
        }
        if requires_grad && self.is_inference() && !super::is_inference_mode_enabled() {
            return Err(Error::runtime("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."));
        }
        meta.requires_grad = requires_grad;
        Ok(())
    }

    /// The accumulated gradient.
    pub fn grad(&self) -> Option<Tensor> {
        self.autograd_meta().grad.clone()
    }

    /// Assigns `.grad`, checking size and dtype as PyTorch does.
    pub fn set_grad(&self, grad: Option<Tensor>) -> Result<()> {
        if let Some(g) = &grad {
            let (gs, ts) = (g.shape(), self.shape());
            if gs != ts {
                return Err(Error::runtime(format!(
                    "attempting to assign a gradient of size '{}' to a tensor of size '{}'. Please ensure that the gradient and the tensor are the same size",
                    shape_str(&gs),
                    shape_str(&ts)
                )));
            }
            if g.dtype() != self.dtype() {
                return Err(Error::runtime(format!(
                    "attempting to assign a gradient with dtype '{}' to a tensor with grad_dtype '{}'. The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may break downstream systems that assume they match.",
                    g.dtype().cpp_type_name(),
                    self.dtype().scalar_type_name()
                )));
            }
        }
        self.autograd_meta().grad = grad;
        Ok(())
    }

    /// True after `retain_grad()` on a non-leaf.
    pub fn retains_grad(&self) -> bool {
        self.autograd_meta().retains_grad
    }

    /// Makes backward fill `.grad` of this non-leaf too (a no-op on leaves).
    pub fn retain_grad(&self) -> Result<()> {
        if !self.requires_grad() {
            return Err(Error::runtime("can't retain_grad on Tensor that has requires_grad=False"));
        }
        self.grad_fn()?; // a stale view's history is regenerated first, as PyTorch's is_leaf()
        let mut meta = self.autograd_meta();
        if meta.grad_fn.is_none() || meta.retains_grad {
            return Ok(());
        }
        meta.retains_grad = true;
        let node = meta.grad_fn.clone().expect("non-leaf");
        observe(&node, meta.output_nr, self);
        Ok(())
    }

    /// Registers a hook on the gradient of this tensor; returns the id that removes it.
    pub fn register_hook(&self, name: &str, hook: TensorHook) -> Result<u64> {
        if !self.requires_grad() {
            return Err(Error::runtime("cannot register a hook on a tensor that doesn't require gradient"));
        }
        let has_dict = self.autograd_meta().hook_dict.is_some();
        if !has_dict {
            let node = self.grad_fn()?; // a stale view's history is regenerated first
            let mut meta = self.autograd_meta();
            meta.hook_dict = Some(node.as_ref().map(|n| n.seq));
            if let Some(node) = node {
                observe(&node, meta.output_nr, self);
            }
        }
        let registered = Registered::new(name, hook);
        let id = registered.id;
        let mut meta = self.autograd_meta();
        let tag = meta.hook_dict.flatten();
        meta.hooks.push((tag, registered));
        Ok(id)
    }

    /// Removes a tensor hook (no effect when already removed).
    pub fn remove_hook(&self, id: u64) {
        self.autograd_meta().hooks.retain(|(_, h)| h.id != id);
    }

    /// Registers a hook called with this leaf after its `.grad` is accumulated.
    pub fn register_post_accumulate_grad_hook(&self, name: &str, hook: PostAccumulateHook) -> Result<u64> {
        if !self.is_leaf()? {
            return Err(Error::runtime("post accumulate grad hooks cannot be registered on non-leaf tensors"));
        }
        if !self.requires_grad() {
            return Err(Error::runtime("cannot register a hook on a tensor that doesn't require gradient"));
        }
        let registered = Registered::new(name, hook);
        let id = registered.id;
        self.autograd_meta().post_accumulate_hooks.push(registered);
        Ok(id)
    }

    /// Removes a post-accumulate hook.
    pub fn remove_post_accumulate_grad_hook(&self, id: u64) {
        self.autograd_meta().post_accumulate_hooks.retain(|h| h.id != id);
    }

    /// A new leaf sharing data and version counter, outside the graph.
    pub fn detach(&self) -> Tensor {
        self.alias()
    }

    /// Cuts this tensor out of the graph in place: it becomes a leaf that does not require grad.
    pub fn detach_(&self) -> Result<()> {
        let mut meta = self.autograd_meta();
        if meta.view.is_some() {
            return Err(Error::runtime("Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence detach_() cannot be called on these gradients. To fix this error, please refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."));
        }
        meta.grad_fn = None;
        meta.output_nr = 0;
        meta.requires_grad = false;
        meta.retains_grad = false;
        Ok(())
    }

    /// The view information when this tensor is a view.
    pub fn view_meta(&self) -> Option<ViewMeta> {
        self.autograd_meta().view.clone()
    }

    /// Records that this tensor views `base`'s storage (called by view ops; the root base is kept).
    /// A view of a restricted view (made under no_grad, one of several outputs, made in a custom
    /// Function) inherits the restriction.
    pub fn set_view_of(&self, base: &Tensor, creation: CreationMeta) {
        let (root, creation) = match base.view_meta() {
            Some(v) => (v.base, CreationMeta::propagate(&v.creation, creation)),
            None => (base.clone(), creation),
        };
        let attr_version = self.version();
        self.autograd_meta().view = Some(ViewMeta { base: root, creation, attr_version });
    }

    /// Changes how this view counts as made (a custom Function marks its view outputs); no-op for
    /// a tensor that is not a view.
    pub fn set_view_creation(&self, creation: CreationMeta) {
        if let Some(view) = self.autograd_meta().view.as_mut() {
            view.creation = creation;
        }
    }

    /// Where a gradient for this tensor goes: its grad_fn, or its leaf's AccumulateGrad node
    /// (created on first use), or nowhere when it does not require grad. A stale view's history
    /// is regenerated first, as [`Tensor::grad_fn`].
    pub fn gradient_edge(&self) -> Result<Option<Edge>> {
        if let Some(node) = self.grad_fn()? {
            return Ok(Some(Edge { node, input_nr: self.output_nr() }));
        }
        let mut meta = self.autograd_meta();
        if !meta.requires_grad {
            return Ok(None);
        }
        let node = match meta.grad_accumulator.upgrade() {
            Some(node) => node,
            None => {
                let grad_meta = GradMeta { shape: self.shape(), dtype: self.dtype() };
                let node = Node::new(NodeKind::AccumulateGrad(self.clone()), Vec::new(), vec![grad_meta]);
                meta.grad_accumulator = NodeRef::downgrade(&node);
                node
            }
        };
        Ok(Some(Edge { node, input_nr: 0 }))
    }

    /// Makes `node` this tensor's history (a new op output, or an in-place op rewriting it).
    /// A `retain_grad()` registration moves to the new node; hooks stay with the node they were
    /// registered on (PyTorch's `update_tensor_hooks_on_new_gradfn`). A view's history counts as
    /// current from here on (PyTorch's `set_gradient_edge`).
    pub(crate) fn set_grad_fn(&self, node: NodeRef, output_nr: usize) {
        let version = self.version();
        let mut meta = self.autograd_meta();
        if let Some(view) = meta.view.as_mut() {
            view.attr_version = version;
        }
        if let Some(old) = &meta.grad_fn {
            if !meta.hooks.iter().any(|(seq, _)| *seq == Some(old.seq)) {
                old.observers.lock().retain(|r| !std::ptr::eq(r.tensor.as_ptr(), Arc::as_ptr(&self.0)));
            }
        }
        if meta.retains_grad {
            observe(&node, output_nr, self);
        }
        meta.hook_dict = None;
        meta.grad_fn = Some(node);
        meta.output_nr = output_nr;
    }
}

/// Makes `node` run `tensor`'s hooks / `retain_grad` on its input `input_nr` (once per tensor).
fn observe(node: &NodeRef, input_nr: usize, tensor: &Tensor) {
    let mut observers = node.observers.lock();
    if !observers.iter().any(|r| std::ptr::eq(r.tensor.as_ptr(), Arc::as_ptr(&tensor.0))) {
        observers.push(TensorObserver { input_nr, tensor: Arc::downgrade(&tensor.0) });
    }
}
