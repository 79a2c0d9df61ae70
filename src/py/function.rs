//! The bridge for Python custom Functions (`rustgrad.autograd.Function`): recording a node whose
//! backward calls the Python `backward` with the GIL, the saved tensors of its context, and the
//! DelayedError node behind `@once_differentiable`.
//!
//! The context object (`MySquareBackward` instance) is the node's Python face, as in PyTorch: the
//! node holds it strongly, it holds the node weakly (no cycle).

use std::any::Any;
use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use parking_lot::Mutex;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyWeakrefReference};

use super::convert::type_name;
use super::error::foreign;
use super::node::PyNode;
use super::tensor::{wrap_tensor, PyTensor};
use crate::autograd::{is_grad_enabled, Backward, CreationMeta, Edge, GradMeta, Node, NodeKind, NodeRef, SavedSet, SavedTensor};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// What a Function's context shares with its node: the saved tensors, and the node rebuilt for a
/// context that outlived its node (see `Drop for PyFunctionBackward`).
#[derive(Default)]
pub struct FunctionState {
    saved: Mutex<Option<SavedSet>>,
    successor: Mutex<Option<NodeRef>>,
}

/// What both node kinds of a Function know: its name, state and argument kinds.
#[derive(Clone)]
struct FunctionCore {
    name: String,
    state: Arc<FunctionState>,
    /// Per forward argument: is it a tensor (only tensors have edges and gradients).
    is_tensor_input: Vec<bool>,
    /// Per forward output: is it a tensor (`backward` gets `None` for the others).
    is_tensor_output: Vec<bool>,
}

/// The backward node of a Python custom Function.
pub struct PyFunctionBackward {
    /// The context (an instance of `<Name>Backward`), which also carries the Function class.
    pub ctx: Py<PyAny>,
    core: FunctionCore,
    /// Copies of the node's edges and input metadata, to rebuild it for a context that outlives it.
    edges: Vec<Option<Edge>>,
    meta: Vec<GradMeta>,
}

impl Drop for PyFunctionBackward {
    // PyTorch's node and context live and die together: a context still referenced from Python
    // (`f = Fn.apply(x).grad_fn`) keeps its node usable. Here the node owns the context and the
    // context only points back weakly (no reference cycle), so when the node goes while Python
    // still holds the context, the context gets an equivalent node (same name, edges, saved
    // tensors) that it owns and that refers back to it weakly.
    fn drop(&mut self) {
        Python::attach(|py| {
            let ctx = self.ctx.bind(py);
            // SAFETY: `ctx` is a live object and we hold the GIL.
            if unsafe { pyo3::ffi::Py_REFCNT(ctx.as_ptr()) } <= 1 {
                return;
            }
            let (Ok(face), Ok(weak)) = (ctx.cast::<PyNode>(), PyWeakrefReference::new(ctx)) else { return };
            let backward = DetachedFunctionBackward { ctx: weak.unbind(), core: self.core.clone() };
            let edges = std::mem::take(&mut self.edges);
            let node = Node::new(NodeKind::Op(Box::new(backward)), edges, std::mem::take(&mut self.meta));
            node.py_object.store(ctx.as_ptr() as *mut std::ffi::c_void, Ordering::Release);
            *self.core.state.successor.lock() = Some(node.clone());
            face.get().attach_function(&node, self.core.state.clone());
        });
    }
}

/// The node rebuilt for a context that outlived its first node; it reaches the context weakly.
struct DetachedFunctionBackward {
    ctx: Py<PyWeakrefReference>,
    core: FunctionCore,
}

impl Backward for DetachedFunctionBackward {
    fn name(&self) -> Cow<'static, str> {
        Cow::Owned(self.core.name.clone())
    }

    fn apply(&self, node: &NodeRef, grads: Vec<Option<Tensor>>) -> Result<Vec<Option<Tensor>>> {
        Python::attach(|py| match self.ctx.bind(py).upgrade() {
            Some(ctx) => self.core.call_backward(&ctx, node, grads),
            None => Err(PyRuntimeError::new_err("the context of this Function node was freed")),
        })
        .map_err(foreign)
    }

    fn release_saved(&self) {
        if let Some(saved) = self.core.state.saved.lock().as_ref() {
            saved.release();
        }
    }
}

impl FunctionCore {
    fn call_backward(&self, ctx: &Bound<'_, PyAny>, node: &NodeRef, grads: Vec<Option<Tensor>>) -> PyResult<Vec<Option<Tensor>>> {
        {
            let py = ctx.py();
            let materialize = match ctx.getattr("materialize_grads") {
                Ok(v) => v.is_truthy()?,
                Err(_) => true,
            };
            let grads = if materialize { node.materialize_grads(grads).into_iter().map(Some).collect() } else { grads };
            let mut grads = grads.into_iter();
            let args = self
                .is_tensor_output
                .iter()
                .map(|&is_tensor| match if is_tensor { grads.next().flatten() } else { None } {
                    Some(t) => wrap_tensor(py, t),
                    None => Ok(py.None().into_bound(py)),
                })
                .collect::<PyResult<Vec<_>>>()?;
            let result = ctx.call_method1("apply", PyTuple::new(py, args)?)?;
            let result = match result.cast::<PyTuple>() {
                Ok(t) => t.clone(),
                Err(_) => PyTuple::new(py, [result])?,
            };
            let expected = self.is_tensor_input.len();
            let got = result.len();
            let extra_are_none = (expected..got).all(|i| result.get_item(i).is_ok_and(|g| g.is_none()));
            if got < expected || !extra_are_none {
                return Err(PyRuntimeError::new_err(format!(
                    "function {} returned an incorrect number of gradients (expected {expected}, got {got})",
                    self.name
                )));
            }
            let mut grads = Vec::new();
            for (i, &is_tensor) in self.is_tensor_input.iter().enumerate() {
                let g = result.get_item(i)?;
                if !is_tensor {
                    if !g.is_none() {
                        return Err(PyRuntimeError::new_err(format!(
                            "function {} returned a gradient different than None at position {}, but the corresponding forward input was not a Variable",
                            self.name,
                            i + 1
                        )));
                    }
                    continue;
                }
                if g.is_none() {
                    grads.push(None);
                } else if let Ok(t) = g.cast::<PyTensor>() {
                    grads.push(Some(t.get().inner.clone()));
                } else {
                    return Err(PyRuntimeError::new_err(format!("expected Variable or None (got {})", type_name(&g))));
                }
            }
            Ok(grads)
        }
    }
}

impl Backward for PyFunctionBackward {
    fn name(&self) -> Cow<'static, str> {
        Cow::Owned(self.core.name.clone())
    }

    fn apply(&self, node: &NodeRef, grads: Vec<Option<Tensor>>) -> Result<Vec<Option<Tensor>>> {
        Python::attach(|py| self.core.call_backward(self.ctx.bind(py), node, grads)).map_err(foreign)
    }

    fn release_saved(&self) {
        if let Some(saved) = self.core.state.saved.lock().as_ref() {
            saved.release();
        }
    }

    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }

    fn saved(&self) -> Option<&SavedSet> {
        None // retargeting for in-place ops does not apply: Functions mark_dirty instead
    }
}

fn tensor_of(obj: &Bound<'_, PyAny>) -> Option<Tensor> {
    obj.cast::<PyTensor>().ok().map(|t| t.get().inner.clone())
}

fn contains(list: &[Tensor], t: &Tensor) -> bool {
    list.iter().any(|x| x.same(t))
}

/// Records the node of one `Function.apply` call after its forward ran; returns the outputs to
/// hand to the user (inputs returned unchanged become views of them, or detached aliases when not
/// differentiable; dirty inputs are rebased).
#[pyfunction]
#[pyo3(signature = (ctx, args, outputs, to_save, dirty, non_differentiable))]
pub fn _function_record<'py>(
    py: Python<'py>,
    ctx: &Bound<'py, PyNode>,
    args: &Bound<'py, PyTuple>,
    outputs: &Bound<'py, PyTuple>,
    to_save: Option<&Bound<'py, PyTuple>>,
    dirty: &Bound<'py, PyTuple>,
    non_differentiable: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyTuple>> {
    let inputs: Vec<Option<Tensor>> = args.iter().map(|a| tensor_of(&a)).collect();
    let dirty: Vec<Tensor> = dirty.iter().filter_map(|t| tensor_of(&t)).collect();
    let non_diff: Vec<Tensor> = non_differentiable.iter().filter_map(|t| tensor_of(&t)).collect();
    let executable = is_grad_enabled() && inputs.iter().flatten().any(Tensor::requires_grad);

    // The tensors handed back, before attaching history.
    let mut results: Vec<Bound<'py, PyAny>> = Vec::new();
    let mut tensor_outputs: Vec<(usize, Tensor, bool)> = Vec::new();
    for out in outputs.iter() {
        let Some(t) = tensor_of(&out) else {
            results.push(out);
            continue;
        };
        let is_input = inputs.iter().flatten().any(|i| i.same(&t));
        let is_dirty = contains(&dirty, &t);
        let is_non_diff = contains(&non_diff, &t);
        let t = if is_dirty {
            if executable && t.is_leaf()? && t.requires_grad() {
                return Err(PyRuntimeError::new_err("a leaf Variable that requires grad has been used in an in-place operation."));
            }
            t.version_counter().bump(); // as PyTorch: marking dirty counts as a modification
            t
        } else if is_input && (is_non_diff || !executable || !t.dtype().is_float()) && t.requires_grad() {
            t.detach() // a non-differentiable input returned as is (no node, or marked): a detached alias
        } else if is_input {
            // An input returned as is becomes a new tensor object: a view of the input (marked
            // below), so that modifying it in place cannot bypass this Function's backward.
            let layout = t.layout().clone();
            t.view_with_layout_as(layout, CreationMeta::InCustomFunction)
        } else {
            t
        };
        if !is_dirty {
            // Every view among the outputs counts as made inside the Function (PyTorch's
            // IN_CUSTOM_FUNCTION), whatever its differentiability.
            t.set_view_creation(CreationMeta::InCustomFunction);
        }
        tensor_outputs.push((results.len(), t.clone(), is_non_diff));
        results.push(if is_input && !is_dirty { wrap_tensor(py, t)? } else { out });
    }
    // Several differentiable outputs: their views may not be modified in place at all.
    let differentiable = tensor_outputs.iter().filter(|(_, t, non_diff)| !non_diff && t.dtype().is_float()).count();
    if executable && differentiable > 1 {
        for (_, t, _) in &tensor_outputs {
            t.set_view_creation(CreationMeta::MultipleOutput);
        }
    }
    let non_diff_outputs: Vec<bool> = tensor_outputs.iter().map(|(_, _, non_diff)| *non_diff).collect();
    let tensor_outputs: Vec<(usize, Tensor)> = tensor_outputs.into_iter().map(|(i, t, _)| (i, t)).collect();

    if executable {
        let class_name: String = ctx.get_type().name()?.extract()?;
        let next_edges: Vec<_> = inputs.iter().flatten().map(Tensor::gradient_edge).collect::<crate::error::Result<_>>()?;
        let input_meta: Vec<_> = tensor_outputs.iter().map(|(_, t)| GradMeta { shape: t.shape(), dtype: t.dtype() }).collect();
        let state = Arc::new(FunctionState::default());
        let backward = PyFunctionBackward {
            ctx: ctx.clone().into_any().unbind(),
            core: FunctionCore {
                name: class_name,
                state: state.clone(),
                is_tensor_input: inputs.iter().map(Option::is_some).collect(),
                is_tensor_output: outputs.iter().map(|o| o.is_instance_of::<PyTensor>()).collect(),
            },
            edges: next_edges.clone(),
            meta: input_meta.clone(),
        };
        let node = Node::new(NodeKind::Op(Box::new(backward)), next_edges, input_meta);
        for (nr, (_, t)) in tensor_outputs.iter().enumerate() {
            if !non_diff_outputs[nr] {
                t.set_grad_fn(node.clone(), nr);
            }
        }
        if let Some(to_save) = to_save {
            let saved = to_save
                .iter()
                .map(|s| {
                    if s.is_none() {
                        return Ok(None);
                    }
                    let t = tensor_of(&s).ok_or_else(|| PyTypeError::new_err("save_for_backward can only save variables"))?;
                    Ok(Some(match tensor_outputs.iter().position(|(_, o)| o.same(&t)) {
                        Some(nr) => SavedTensor::output(&t, nr),
                        None => SavedTensor::input(&t),
                    }))
                })
                .collect::<PyResult<Vec<_>>>()?;
            let saved = SavedSet::new(saved);
            saved.apply_pack_hooks(&tensor_outputs.iter().map(|(_, t)| t).collect::<Vec<_>>())?; // saved-tensor hooks apply to save_for_backward too
            *state.saved.lock() = Some(saved);
        }
        ctx.get().attach_function(&node, state);
        node.py_object.store(ctx.as_ptr() as *mut std::ffi::c_void, Ordering::Release);
    }
    PyTuple::new(py, results)
}

/// `ctx.saved_tensors`: the saved tensors, checked for in-place modification and release.
#[pyfunction]
pub fn _function_saved_tensors<'py>(py: Python<'py>, ctx: &Bound<'py, PyNode>) -> PyResult<Bound<'py, PyTuple>> {
    let (node, state) = ctx.get().function_parts()?;
    let saved = state.saved.lock();
    let tensors = match saved.as_ref() {
        Some(set) => set.unpack(&node)?,
        None => Vec::new(),
    };
    let items = tensors
        .into_iter()
        .map(|t| match t {
            Some(t) => wrap_tensor(py, t),
            None => Ok(py.None().into_bound(py)),
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

/// The node behind `@once_differentiable`: outputs pass through, and differentiating them again
/// raises `message`.
struct DelayedError {
    message: String,
}

impl Backward for DelayedError {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("DelayedError")
    }
    fn apply(&self, _node: &NodeRef, _grads: Vec<Option<Tensor>>) -> Result<Vec<Option<Tensor>>> {
        Err(Error::runtime(self.message.clone()))
    }
}

/// Wraps `tensors` (which need grad) in aliases whose backward raises `message`.
#[pyfunction]
pub fn _delayed_error<'py>(py: Python<'py>, tensors: &Bound<'py, PyTuple>, message: String) -> PyResult<Bound<'py, PyTuple>> {
    let inputs: Vec<Option<Tensor>> = tensors.iter().map(|t| tensor_of(&t)).collect();
    let outputs: Vec<Option<Tensor>> = inputs.iter().map(|t| t.as_ref().map(Tensor::alias)).collect();
    let edges = inputs.iter().flatten().map(Tensor::gradient_edge).collect::<crate::error::Result<_>>()?;
    let meta = outputs.iter().flatten().map(|t| GradMeta { shape: t.shape(), dtype: t.dtype() }).collect();
    let node = Node::new(NodeKind::Op(Box::new(DelayedError { message })), edges, meta);
    let mut nr = 0;
    let items = tensors
        .iter()
        .zip(outputs)
        .map(|(orig, out)| match out {
            Some(t) => {
                t.set_grad_fn(node.clone(), nr);
                nr += 1;
                wrap_tensor(py, t)
            }
            None => Ok(orig),
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}
