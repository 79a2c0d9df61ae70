//! Graph nodes as Python objects. Each node name gets its own Python class (`PowBackward0`,
//! module `builtins`, as PyTorch shows them), subclassing `rustgrad.autograd.graph.Node`; one node
//! is always the same Python object while that object lives.

use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};

use super::function::FunctionState;
use super::tensor::wrap_tensor;
use crate::autograd::{NodeKind, NodeRef, WeakNodeRef};

/// How a Python node object refers to its node: built-in nodes strongly (the node holds only a
/// borrowed pointer back); a custom Function's context weakly (its node owns the context).
enum Link {
    Detached,
    Strong(NodeRef),
    Weak(WeakNodeRef),
}

/// A node of the autograd graph (the base of every `XBackward` class).
#[pyclass(name = "Node", module = "rustgrad.autograd.graph", subclass, frozen, weakref)]
pub struct PyNode {
    inner: Mutex<Link>,
    function: Mutex<Option<Arc<FunctionState>>>,
    metadata: Mutex<Option<Py<PyDict>>>,
}

impl PyNode {
    /// The node (alive), for hook registration.
    pub fn node_strong(&self) -> PyResult<NodeRef> {
        self.node()
    }

    fn node(&self) -> PyResult<NodeRef> {
        let node = match &*self.inner.lock() {
            Link::Strong(n) => Some(n.clone()),
            Link::Weak(w) => w.upgrade(),
            Link::Detached => None,
        };
        node.ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("this Node object is not attached to a graph"))
    }

    /// Makes this context object the face of a custom Function's node.
    pub fn attach_function(&self, node: &NodeRef, state: Arc<FunctionState>) {
        *self.inner.lock() = Link::Weak(NodeRef::downgrade(node));
        *self.function.lock() = Some(state);
    }

    /// The node and saved-tensor state of a custom Function's context.
    pub fn function_parts(&self) -> PyResult<(NodeRef, Arc<FunctionState>)> {
        let state = self.function.lock().clone();
        match (self.node(), state) {
            (Ok(node), Some(state)) => Ok((node, state)),
            _ => Ok((self.node()?, Arc::new(FunctionState::default()))),
        }
    }
}

impl Drop for PyNode {
    fn drop(&mut self) {
        if let Link::Strong(node) = std::mem::replace(self.inner.get_mut(), Link::Detached) {
            // Forget this Python object; the next access creates a new one.
            node.py_object.store(std::ptr::null_mut(), Ordering::Release);
        }
    }
}

static NODE_CLASSES: Mutex<Option<HashMap<String, Py<PyType>>>> = Mutex::new(None);

fn node_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    if let Some(cls) = NODE_CLASSES.lock().get_or_insert_with(HashMap::new).get(name) {
        return Ok(cls.bind(py).clone());
    }
    let namespace = PyDict::new(py);
    namespace.set_item("__module__", "builtins")?;
    namespace.set_item("__slots__", PyTuple::empty(py))?;
    let base = py.get_type::<PyNode>();
    let cls = py.get_type::<PyType>().call1((name, (base,), namespace))?.cast_into::<PyType>()?;
    NODE_CLASSES.lock().get_or_insert_with(HashMap::new).insert(name.to_string(), cls.clone().unbind());
    Ok(cls)
}

/// The Python object of `node` (created on first access).
pub fn wrap_node<'py>(py: Python<'py>, node: &NodeRef) -> PyResult<Bound<'py, PyAny>> {
    let ptr = node.py_object.load(Ordering::Acquire);
    if !ptr.is_null() {
        // SAFETY: the pointer is set only while the Python object lives (cleared in Drop, which
        // runs under the GIL we hold).
        return Ok(unsafe { Bound::from_borrowed_ptr(py, ptr as *mut pyo3::ffi::PyObject) });
    }
    let obj = node_class(py, &node.name())?.call0()?;
    *obj.cast::<PyNode>()?.get().inner.lock() = Link::Strong(node.clone());
    node.py_object.store(obj.as_ptr() as *mut c_void, Ordering::Release);
    Ok(obj)
}

#[pymethods]
impl PyNode {
    #[new]
    fn new() -> Self {
        PyNode { inner: Mutex::new(Link::Detached), function: Mutex::new(None), metadata: Mutex::new(None) }
    }

    /// The node's name (`PowBackward0`; `torch::autograd::AccumulateGrad` for leaves, as PyTorch).
    fn name(&self) -> PyResult<String> {
        let node = self.node()?;
        Ok(match node.kind() {
            NodeKind::AccumulateGrad(_) => "torch::autograd::AccumulateGrad".to_string(),
            NodeKind::Op(_) => node.name().into_owned(),
        })
    }

    /// `((node_or_None, output_nr), ...)`: one pair per input of the forward op.
    #[getter]
    fn next_functions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let node = self.node()?;
        let pairs = node
            .next_edges
            .iter()
            .map(|edge| match edge {
                Some(e) => PyTuple::new(py, [wrap_node(py, &e.node)?, e.input_nr.into_pyobject(py)?.into_any()]),
                None => PyTuple::new(py, [py.None().into_bound(py), 0usize.into_pyobject(py)?.into_any()]),
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, pairs)
    }

    /// The leaf an AccumulateGrad node accumulates into.
    #[getter]
    fn variable<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.node()?.kind() {
            NodeKind::AccumulateGrad(t) => wrap_tensor(py, t.clone()),
            NodeKind::Op(_) => Err(pyo3::exceptions::PyAttributeError::new_err(
                "'Node' object has no attribute 'variable'",
            )),
        }
    }

    /// A free-form dict for users (PyTorch's `Node.metadata`).
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> Py<PyDict> {
        self.metadata.lock().get_or_insert_with(|| PyDict::new(py).unbind()).clone_ref(py)
    }
}
