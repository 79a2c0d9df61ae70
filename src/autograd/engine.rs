//! The backward engine: runs the graph from some roots in reverse topological order.
//!
//! 1. Discover the nodes reachable from the roots (iterative DFS) and count, for each, how many
//!    edges from reachable nodes point at it.
//! 2. When only some inputs are wanted (`autograd.grad`, `backward(inputs=...)`), mark the nodes
//!    that lead to them; others are never run.
//! 3. Run ready nodes (all incoming gradients arrived) latest-created first from a max-heap keyed
//!    by the node's sequence number, summing gradients into per-node input buffers.
//! No recursion anywhere, so graph depth is bounded only by memory.

use std::collections::BinaryHeap;
use std::hash::{BuildHasherDefault, Hasher};

use super::hooks::{check_replacement, run_tensor_hooks};
use super::grad_mode::{is_anomaly_check_nan_enabled, is_anomaly_enabled, GradModeGuard};
use super::arena::NodeRef;
use super::node::{Edge, GradMeta, Node, NodeKind};
use crate::error::{Error, Result};
use crate::ops;
use crate::tensor::{shape_str, Tensor};

/// What a backward run delivers.
pub enum Delivery {
    /// `backward()`: accumulate into every reachable leaf's `.grad`.
    AccumulateAll,
    /// `backward(inputs=...)`: accumulate only into these tensors' `.grad`.
    AccumulateInto(Vec<Tensor>),
    /// `autograd.grad(...)`: return the gradients of these tensors, touch no `.grad`.
    Capture(Vec<Tensor>),
}

/// Options of one backward run.
pub struct RunOptions {
    /// Keep saved tensors for another backward.
    pub retain_graph: bool,
    /// Record the backward pass itself (grad mode on while it runs).
    pub create_graph: bool,
}

// Maps and sets keyed by node id (an arena slot's address): a folded multiply hashes such keys
// well and far more cheaply than the default SipHash.
type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<NodeIdHasher>>;
type HashSet<K> = std::collections::HashSet<K, BuildHasherDefault<NodeIdHasher>>;

#[derive(Default)]
struct NodeIdHasher(u64);

impl Hasher for NodeIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        let product = u128::from(self.0 ^ i) * 0x9e37_79b9_7f4a_7c15;
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

fn node_key(node: &NodeRef) -> usize {
    node.id()
}

/// A node waiting in the ready queue, ordered by sequence number.
struct Ready(NodeRef);

impl PartialEq for Ready {
    fn eq(&self, other: &Self) -> bool {
        self.0.seq == other.0.seq
    }
}
impl Eq for Ready {}
impl PartialOrd for Ready {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ready {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.seq.cmp(&other.0.seq)
    }
}

/// The gradient edge of each root, or PyTorch's error for a root outside any graph.
pub fn root_edges(roots: &[Tensor]) -> Result<Vec<Edge>> {
    roots
        .iter()
        .enumerate()
        .map(|(i, t)| {
            t.gradient_edge()?.ok_or_else(|| {
                Error::runtime(format!("element {i} of tensors does not require grad and does not have a grad_fn"))
            })
        })
        .collect()
}

/// The backward run executing on this thread (PyTorch's graph task): its id, and whether it
/// accumulates into every leaf (reentrant checkpointing only works then: it cannot see a
/// `.grad()` / `inputs=` run's targets).
#[derive(Clone, Copy, Debug)]
pub struct GraphTask {
    /// Distinct for every backward run.
    pub id: u64,
    /// False for `autograd.grad` and `backward(inputs=...)`.
    pub can_checkpoint: bool,
}

thread_local! {
    static GRAPH_TASKS: std::cell::RefCell<Vec<GraphTask>> = const { std::cell::RefCell::new(Vec::new()) };
}
static NEXT_GRAPH_TASK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The innermost backward run executing on this thread, if any.
pub fn current_graph_task() -> Option<GraphTask> {
    GRAPH_TASKS.with(|g| g.borrow().last().copied())
}

/// Marks a backward run as current for its duration (runs nest: a custom backward may call backward).
struct GraphTaskGuard;

impl GraphTaskGuard {
    fn enter(delivery: &Delivery) -> Self {
        let id = NEXT_GRAPH_TASK.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let can_checkpoint = matches!(delivery, Delivery::AccumulateAll);
        GRAPH_TASKS.with(|g| g.borrow_mut().push(GraphTask { id, can_checkpoint }));
        GraphTaskGuard
    }
}

impl Drop for GraphTaskGuard {
    fn drop(&mut self) {
        GRAPH_TASKS.with(|g| g.borrow_mut().pop());
    }
}

/// Runs backward from `roots` with the given root gradients (already checked against the roots'
/// shapes). For `Delivery::Capture`, returns one entry per requested tensor (`None` if unreached).
pub fn run_backward(roots: &[Tensor], root_grads: Vec<Tensor>, delivery: &Delivery, options: &RunOptions) -> Result<Vec<Option<Tensor>>> {
    let edges = root_edges(roots)?;
    let _grad_mode = GradModeGuard::new(options.create_graph);
    let _graph_task = GraphTaskGuard::enter(delivery);

    // Targets: (node, input_nr) pairs whose incoming gradient is delivered or captured.
    let targets: Vec<Option<Edge>> = match delivery {
        Delivery::AccumulateAll => Vec::new(),
        Delivery::AccumulateInto(ts) | Delivery::Capture(ts) => ts.iter().map(Tensor::gradient_edge).collect::<Result<_>>()?,
    };
    let (dependencies, order) = discover(&edges);
    let needed = match delivery {
        Delivery::AccumulateAll => None,
        _ => Some(mark_needed(&order, &targets)),
    };

    let mut buffers: HashMap<usize, Vec<Option<Tensor>>> = HashMap::default();
    let mut remaining = dependencies;
    for (edge, grad) in edges.iter().zip(root_grads) {
        add_to_buffer(&mut buffers, edge, grad)?;
    }
    let mut heap = BinaryHeap::new();
    let mut queued = HashSet::default();
    for edge in &edges {
        let key = node_key(&edge.node);
        if remaining.get(&key).copied().unwrap_or(0) == 0 && queued.insert(key) {
            heap.push(Ready(edge.node.clone()));
        }
    }

    let mut captured: Vec<Option<Tensor>> = vec![None; targets.len()];
    let mut anomaly_report = super::anomaly::FailureReport::default();
    while let Some(Ready(node)) = heap.pop() {
        anomaly_report.evaluating(&node);
        let key = node_key(&node);
        let mut inputs = buffers.remove(&key).unwrap_or_else(|| vec![None; node.input_meta.len()]);
        inputs.resize(node.input_meta.len(), None);
        run_input_hooks(&node, &mut inputs)?;
        for (slot, target) in captured.iter_mut().zip(&targets) {
            if let Some(t) = target {
                if node_key(&t.node) == key {
                    *slot = inputs[t.input_nr].clone();
                }
            }
        }
        if needed.as_ref().is_some_and(|n| !n.contains(&key)) {
            continue;
        }
        let outputs = match node.kind() {
            NodeKind::AccumulateGrad(variable) => {
                if !matches!(delivery, Delivery::Capture(_)) {
                    if let Some(grad) = inputs.into_iter().next().flatten() {
                        accumulate_grad(variable, grad, options.create_graph)?;
                        let hooks = variable.autograd_meta().post_accumulate_hooks.clone();
                        for h in hooks {
                            (h.hook)(variable)?;
                        }
                    }
                }
                continue;
            }
            NodeKind::Op(backward) => {
                let has_post_hooks = !node.post_hooks.lock().is_empty();
                let grad_outputs = if has_post_hooks { inputs.clone() } else { Vec::new() };
                // Called even when no gradient arrived, as PyTorch does: Python Functions then see
                // zeros or None, built-in formulas check their saved tensors and return None.
                let mut outputs = backward.apply(&node, inputs)?;
                if has_post_hooks {
                    // As PyTorch's engine, post-hooks see the gradients already validated: reduced
                    // to the shape the next node expects (AddmmBackward0's bias gradient is [out],
                    // not [batch, out]) and cast to its dtype.
                    for (i, (edge, grad)) in node.next_edges.iter().zip(outputs.iter_mut()).enumerate() {
                        if let (Some(edge), Some(g)) = (edge, grad.as_ref()) {
                            *grad = Some(validate_grad(&node, i, g.clone(), &edge.node.input_meta[edge.input_nr])?);
                        }
                    }
                    outputs = run_post_hooks(&node, outputs, &grad_outputs)?;
                }
                if is_anomaly_enabled() && is_anomaly_check_nan_enabled() {
                    check_nan(&node, &outputs)?;
                }
                if !options.retain_graph {
                    backward.release_saved();
                }
                outputs
            }
        };
        if outputs.len() < node.next_edges.len() {
            return Err(Error::runtime(format!(
                "function {} returned an incorrect number of gradients (expected {}, got {})",
                node.name(),
                node.next_edges.len(),
                outputs.len()
            )));
        }
        for (i, (edge, grad)) in node.next_edges.iter().zip(outputs).enumerate() {
            let Some(edge) = edge else { continue };
            if let Some(grad) = grad {
                let grad = validate_grad(&node, i, grad, &edge.node.input_meta[edge.input_nr])?;
                add_to_buffer(&mut buffers, edge, grad)?;
            }
            let next_key = node_key(&edge.node);
            let count = remaining.get_mut(&next_key).expect("discovered");
            *count -= 1;
            let is_needed = needed.as_ref().is_none_or(|n| n.contains(&next_key));
            if *count == 0 && is_needed && queued.insert(next_key) {
                heap.push(Ready(edge.node.clone()));
            }
        }
    }
    anomaly_report.finish();

    if let Delivery::AccumulateInto(tensors) = delivery {
        // Non-leaf inputs get their .grad like retain_grad; leaves were handled by AccumulateGrad.
        for (tensor, grad) in tensors.iter().zip(&captured) {
            if !tensor.is_leaf()? {
                // As PyTorch: a non-leaf named in `inputs` is treated as if retain_grad() was called.
                tensor.autograd_meta().retains_grad = true;
                if let Some(grad) = grad {
                    accumulate_grad(tensor, grad.clone(), options.create_graph)?;
                }
            }
        }
    }
    Ok(captured)
}

/// Anomaly mode: fails naming the node when one of its gradients contains NaN.
fn check_nan(node: &Node, outputs: &[Option<Tensor>]) -> Result<()> {
    for (i, grad) in outputs.iter().enumerate() {
        if let Some(g) = grad {
            if g.dtype().is_float() && g.to_f64_vec().iter().any(|v| v.is_nan()) {
                return Err(Error::runtime(format!("Function '{}' returned nan values in its {i}th output.", node.name())));
            }
        }
    }
    Ok(())
}

/// Counts incoming edges of every node reachable from the roots; returns the counts and the nodes
/// in DFS post-order (every node after all nodes it leads to).
fn discover(roots: &[Edge]) -> (HashMap<usize, usize>, Vec<NodeRef>) {
    let mut dependencies: HashMap<usize, usize> = HashMap::default();
    let mut seen = HashSet::default();
    let mut post_order = Vec::new();
    let mut stack: Vec<(NodeRef, usize)> = Vec::new();
    for root in roots {
        dependencies.entry(node_key(&root.node)).or_insert(0);
        if seen.insert(node_key(&root.node)) {
            stack.push((root.node.clone(), 0));
        }
        while let Some((node, child)) = stack.pop() {
            if child < node.next_edges.len() {
                stack.push((node.clone(), child + 1));
                if let Some(edge) = &node.next_edges[child] {
                    let key = node_key(&edge.node);
                    *dependencies.entry(key).or_insert(0) += 1;
                    if seen.insert(key) {
                        stack.push((edge.node.clone(), 0));
                    }
                }
            } else {
                post_order.push(node);
            }
        }
    }
    (dependencies, post_order)
}

/// The nodes from which some target can be reached (targets included).
fn mark_needed(post_order: &[NodeRef], targets: &[Option<Edge>]) -> HashSet<usize> {
    let mut needed: HashSet<usize> = targets.iter().flatten().map(|e| node_key(&e.node)).collect();
    for node in post_order {
        let leads_to_target =
            node.next_edges.iter().flatten().any(|e| needed.contains(&node_key(&e.node)));
        if leads_to_target {
            needed.insert(node_key(node));
        }
    }
    needed
}

fn add_to_buffer(buffers: &mut HashMap<usize, Vec<Option<Tensor>>>, edge: &Edge, grad: Tensor) -> Result<()> {
    let slots = buffers.entry(node_key(&edge.node)).or_insert_with(|| vec![None; edge.node.input_meta.len()]);
    let slot = &mut slots[edge.input_nr];
    *slot = Some(match slot.take() {
        None => grad,
        Some(existing) => ops::add(&existing, &grad)?,
    });
    Ok(())
}

/// Checks a gradient a node produced against what the next node expects: reduces a broadcast
/// shape, casts the dtype (a float32 leaf used in a float64 op gets a float32 grad).
fn validate_grad(node: &Node, index: usize, grad: Tensor, meta: &GradMeta) -> Result<Tensor> {
    let mut grad = grad;
    let shape = grad.shape();
    if shape != meta.shape {
        if crate::tensor::broadcast_shapes(&meta.shape, &shape).ok().as_deref() != Some(&shape[..]) {
            return Err(Error::runtime(format!(
                "Function {} returned an invalid gradient at index {index} - got {} but expected shape compatible with {}",
                node.name(),
                shape_str(&shape),
                shape_str(&meta.shape)
            )));
        }
        grad = ops::sum_to_size(&grad, &meta.shape)?;
    }
    if grad.dtype() != meta.dtype {
        grad = ops::to_dtype(&grad, meta.dtype)?;
    }
    Ok(grad)
}

/// Before a node runs: the hooks of the tensors whose gradients arrive here (a leaf's hooks for
/// AccumulateGrad), then `retain_grad()` copies (post-hook values), then the node's pre-hooks.
fn run_input_hooks(node: &NodeRef, inputs: &mut [Option<Tensor>]) -> Result<()> {
    match node.kind() {
        NodeKind::AccumulateGrad(variable) => {
            let hooks: Vec<_> = variable.autograd_meta().hooks.iter().map(|(_, h)| h.clone()).collect();
            if !hooks.is_empty() {
                if let Some(grad) = inputs[0].take() {
                    inputs[0] = Some(run_tensor_hooks(&hooks, grad)?);
                }
            }
        }
        NodeKind::Op(_) => {
            let observers: Vec<_> = node.observers.lock().iter().map(|r| (r.input_nr, r.tensor.upgrade())).collect();
            for (input_nr, tensor) in observers {
                let Some(impl_) = tensor else { continue };
                let tensor = Tensor(impl_);
                // The hooks registered while this node was the tensor's history; `retain_grad` only
                // where it still is (PyTorch keeps hooks on the old node, moves retain_grad).
                let (hooks, retains) = {
                    let meta = tensor.autograd_meta();
                    let hooks: Vec<_> = meta.hooks.iter().filter(|(seq, _)| *seq == Some(node.seq)).map(|(_, h)| h.clone()).collect();
                    let current = meta.grad_fn.as_ref().is_some_and(|g| NodeRef::ptr_eq(g, node)) && meta.output_nr == input_nr;
                    (hooks, meta.retains_grad && current)
                };
                let Some(grad) = inputs.get_mut(input_nr).and_then(Option::take) else { continue };
                let grad = run_tensor_hooks(&hooks, grad)?;
                if retains {
                    let existing = tensor.autograd_meta().grad.take();
                    let new = match existing {
                        // PyTorch's retain_grad hook clones the first gradient (CloneBackward0 under create_graph).
                        None => ops::clone(&grad)?,
                        Some(existing) => ops::add(&existing, &grad)?,
                    };
                    tensor.autograd_meta().grad = Some(new);
                }
                inputs[input_nr] = Some(grad);
            }
        }
    }
    let pre_hooks = node.pre_hooks.lock().clone();
    for h in pre_hooks {
        if let Some(new) = (h.hook)(inputs)? {
            let new = check_replacement(&h.name, inputs, new)?;
            inputs.clone_from_slice(&new);
        }
    }
    Ok(())
}

/// After a node ran: its post-hooks may replace the gradients it produced.
fn run_post_hooks(node: &NodeRef, grad_inputs: Vec<Option<Tensor>>, grad_outputs: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
    let hooks = node.post_hooks.lock().clone();
    let mut grads = grad_inputs;
    for h in hooks {
        if let Some(new) = (h.hook)(&grads, grad_outputs)? {
            grads = check_replacement(&h.name, &grads, new)?;
        }
    }
    Ok(grads)
}

/// AccumulateGrad: adds `grad` into `variable.grad` as PyTorch does. Without create_graph the
/// first gradient is stored (copied unless it is an unshared contiguous tensor) and later ones
/// are added in place; with create_graph the sum is out of place and recorded.
pub fn accumulate_grad(variable: &Tensor, grad: Tensor, create_graph: bool) -> Result<()> {
    // Backward calls from several threads on graphs sharing this leaf: take, add and store must
    // not interleave, or one thread's gradient is lost (PyTorch's AccumulateGrad holds a mutex).
    // Striped by tensor address so unrelated leaves rarely wait on each other.
    static LOCKS: [parking_lot::Mutex<()>; 64] = [const { parking_lot::const_mutex(()) }; 64];
    let _serialised = LOCKS[(variable.id() >> 6) % LOCKS.len()].lock();
    let existing = variable.autograd_meta().grad.take();
    let updated = match existing {
        None if create_graph => ops::copy_with_history(&grad)?,
        // Steal a gradient nobody else can see; copy one that is shared or a view (an expanded
        // ones, a slice, the user's own root gradient): later in-place accumulation into .grad
        // must not write through to it.
        None if grad.is_exclusively_owned() && !grad.requires_grad() => grad,
        None => ops::clone(&grad.detach())?,
        Some(existing) if !create_graph => {
            if let Err(e) = ops::add_in_place(&existing, &grad) {
                variable.autograd_meta().grad = Some(existing);
                return Err(e);
            }
            existing
        }
        Some(existing) => ops::add(&existing, &grad)?,
    };
    variable.autograd_meta().grad = Some(updated);
    Ok(())
}
