//! Graph nodes: one per recorded op (its backward function) or per leaf (`AccumulateGrad`).
//!
//! Nodes live in an arena (`super::arena`): slots in chunks that never move, reached through a
//! strong handle [`NodeRef`] (reference counted: tensors hold their `grad_fn`, nodes hold the
//! nodes they feed in `next_edges`) or a generation-checked [`WeakNodeRef`] (a leaf's
//! `grad_accumulator`, hook handles), so a node is freed exactly when nothing can reach it any more
//! and its slot is reused. Freeing is iterative, so a chain of a million ops frees without deep
//! recursion.

use std::borrow::Cow;
use std::ffi::c_void;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::Weak;

use parking_lot::Mutex;

use super::arena::NodeRef;
use super::hooks::{NodePostHook, NodePreHook, Registered};
use crate::error::Result;
use crate::tensor::{DType, Tensor, TensorImpl};

/// Where a gradient flows: input `input_nr` of `node` (that is, the gradient of the forward op's
/// output number `input_nr`).
#[derive(Clone)]
pub struct Edge {
    /// The node that receives the gradient.
    pub node: NodeRef,
    /// Which of its inputs.
    pub input_nr: usize,
}

/// Shape and dtype of a gradient a node expects on one input (its forward op's output).
#[derive(Clone, Debug, PartialEq)]
pub struct GradMeta {
    /// Expected shape.
    pub shape: Vec<usize>,
    /// Expected dtype; gradients of another dtype are cast to it.
    pub dtype: DType,
}

/// A backward function: gradients of the forward op's outputs in, gradients of its inputs out.
/// Formulas are written with rustgrad ops, so running one with grad mode on records the graph of
/// the backward pass itself (higher-order gradients).
pub trait Backward: Send + Sync {
    /// PyTorch's node name (`MulBackward0`).
    fn name(&self) -> Cow<'static, str>;
    /// Computes one gradient per forward input (`None` where the input needs none). `grads` has
    /// one entry per forward output, `None` where no gradient arrived for that output (built-in
    /// formulas materialise those as zeros with [`Node::materialize_grads`]).
    fn apply(&self, node: &NodeRef, grads: Vec<Option<Tensor>>) -> Result<Vec<Option<Tensor>>>;
    /// Drops the tensors saved for backward (after a backward without `retain_graph`).
    fn release_saved(&self) {}
    /// The concrete type, for code that created the node and needs it back (the bindings find a
    /// Python Function's context this way).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
    /// The saved tensors, for in-place ops that must retarget them.
    fn saved(&self) -> Option<&super::saved::SavedSet> {
        None
    }
}

/// What a node does.
pub enum NodeKind {
    /// A recorded op.
    Op(Box<dyn Backward>),
    /// The sink of a leaf: adds incoming gradients into `variable.grad`.
    AccumulateGrad(Tensor),
}

/// A non-leaf tensor that watches one of a node's inputs: its hooks run on that gradient and,
/// after `retain_grad()`, its `.grad` is filled from it.
pub(crate) struct TensorObserver {
    pub input_nr: usize,
    pub tensor: Weak<TensorImpl>,
}

/// One node of the graph.
pub struct Node {
    /// Creation order; the engine runs ready nodes latest-first, as PyTorch's ready queue does.
    pub seq: u64,
    kind: NodeKind,
    /// Where the gradients of the forward op's inputs go, one entry per input (`None` for inputs
    /// that need no gradient).
    pub next_edges: Vec<Option<Edge>>,
    /// What gradient each input of this node must have.
    pub input_meta: Vec<GradMeta>,
    pub(crate) observers: Mutex<Vec<TensorObserver>>,
    /// Hooks run on the node's incoming gradients before it runs.
    pub pre_hooks: Mutex<Vec<Registered<NodePreHook>>>,
    /// Hooks run on the gradients the node produced.
    pub post_hooks: Mutex<Vec<Registered<NodePostHook>>>,
    /// Borrowed pointer to the Python object wrapping this node, or null; owned by the bindings.
    pub py_object: AtomicPtr<c_void>,
    /// Anomaly mode's forward traceback and the bindings' per-node data (`Node.metadata`).
    pub metadata: super::anomaly::NodeMetadata,
}

static NEXT_SEQ: AtomicU64 = AtomicU64::new(0);

impl Node {
    /// A new node; `seq` is taken from a global counter so later ops run first in backward.
    pub fn new(kind: NodeKind, next_edges: Vec<Option<Edge>>, input_meta: Vec<GradMeta>) -> NodeRef {
        super::arena::alloc(Node {
            seq: NEXT_SEQ.fetch_add(1, Ordering::Relaxed),
            kind,
            next_edges,
            input_meta,
            observers: Mutex::new(Vec::new()),
            pre_hooks: Mutex::new(Vec::new()),
            post_hooks: Mutex::new(Vec::new()),
            py_object: AtomicPtr::new(std::ptr::null_mut()),
            metadata: super::anomaly::NodeMetadata::capture(),
        })
    }

    /// What the node does.
    pub fn kind(&self) -> &NodeKind {
        &self.kind
    }

    /// PyTorch's name for the node (`PowBackward0`, `AccumulateGrad`).
    pub fn name(&self) -> Cow<'static, str> {
        match &self.kind {
            NodeKind::Op(b) => b.name(),
            NodeKind::AccumulateGrad(_) => Cow::Borrowed("AccumulateGrad"),
        }
    }

    /// True when the forward op's input `i` needs a gradient.
    pub fn needs_input_grad(&self, i: usize) -> bool {
        self.next_edges.get(i).is_some_and(Option::is_some)
    }

    /// Gradients for every output, with zeros where none arrived.
    pub fn materialize_grads(&self, grads: Vec<Option<Tensor>>) -> Vec<Tensor> {
        grads
            .into_iter()
            .zip(&self.input_meta)
            .map(|(g, meta)| g.unwrap_or_else(|| Tensor::zeros(&meta.shape, meta.dtype)))
            .collect()
    }

    /// A stable identity while the node lives (its arena slot's address; a later node may reuse it).
    pub fn id(&self) -> usize {
        self as *const Node as usize
    }
}
