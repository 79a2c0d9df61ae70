//! Graph nodes as Python objects. Each node name gets its own Python class (`PowBackward0`,
//! module `builtins`, as PyTorch shows them), subclassing `rustgrad.autograd.graph.Node`; one node
//! is always the same Python object while that object lives.

use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::exceptions::PyAttributeError;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};

use super::function::FunctionState;
use super::tensor::wrap_tensor;
use crate::autograd::{anomaly, NodeKind, NodeRef, SavedAttr, SavedValue, WeakNodeRef};

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
            NodeKind::Op(_) if node.name() == "NotImplemented" => "torch::autograd::NotImplemented".to_string(),
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

    /// A free-form dict for users (PyTorch's `Node.metadata`): one dict per node, kept on the
    /// node itself, so it survives the Python wrapper object.
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Py<PyDict>> {
        let Ok(node) = self.node() else {
            return Ok(self.metadata.lock().get_or_insert_with(|| PyDict::new(py).unbind()).clone_ref(py));
        };
        let data = node.metadata.user_data(|| Box::new(PyDict::new(py).unbind()));
        let dict = data.downcast_ref::<Py<PyDict>>().expect("the bindings store the metadata dict");
        Ok(dict.clone_ref(py))
    }

    /// `_saved_<name>`: what the op saved for backward under PyTorch's name (a tensor, a tuple of
    /// tensors, a number, a tuple of ints, a string or None). Other missing attributes raise
    /// AttributeError as usual.
    fn __getattr__<'py>(slf: &Bound<'py, Self>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let missing = || {
            let type_name = slf.get_type().name().map(|n| n.to_string()).unwrap_or_default();
            PyAttributeError::new_err(format!("'{type_name}' object has no attribute '{name}'"))
        };
        let Some(key) = name.strip_prefix("_saved_") else { return Err(missing()) };
        let Ok(node) = slf.get().node() else { return Err(missing()) };
        let NodeKind::Op(backward) = node.kind() else { return Err(missing()) };
        let Some(set) = backward.saved() else { return Err(missing()) };
        match set.get(key, &node) {
            None => Err(missing()),
            Some(value) => saved_to_python(py, value?),
        }
    }

    /// `dir()` lists the `_saved_*` attributes too, as PyTorch's node classes do.
    fn __dir__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyList>> {
        let py = slf.py();
        let object = py.get_type::<pyo3::types::PyAny>();
        let base = object.getattr("__dir__")?.call1((slf,))?;
        let names = PyList::new(py, base.try_iter()?.collect::<PyResult<Vec<_>>>()?)?;
        if let Ok(node) = slf.get().node() {
            if let NodeKind::Op(backward) = node.kind() {
                for n in backward.saved().map(|s| s.names()).unwrap_or_default() {
                    names.append(format!("_saved_{n}"))?;
                }
            }
        }
        names.sort()?;
        Ok(names)
    }
}

/// PyTorch shows an int64 argument through its unsigned 64-bit pattern (`dim=-1` reads
/// 18446744073709551615); Python numbers (`alpha`) stay signed.
fn int64_arg(py: Python<'_>, v: i64) -> PyResult<Bound<'_, PyAny>> {
    Ok(if v < 0 { (v as u64).into_pyobject(py)?.into_any() } else { v.into_pyobject(py)?.into_any() })
}

fn saved_to_python(py: Python<'_>, value: SavedAttr) -> PyResult<Bound<'_, PyAny>> {
    Ok(match value {
        SavedAttr::Tensor(None) => py.None().into_bound(py),
        SavedAttr::Tensor(Some(t)) => wrap_tensor(py, t)?,
        SavedAttr::Tensors(ts) => {
            let items = ts.into_iter().map(|t| saved_to_python(py, SavedAttr::Tensor(t))).collect::<PyResult<Vec<_>>>()?;
            PyTuple::new(py, items)?.into_any()
        }
        SavedAttr::Value(v) => match v {
            SavedValue::None => py.None().into_bound(py),
            SavedValue::Bool(b) => pyo3::types::PyBool::new(py, b).to_owned().into_any(),
            SavedValue::Int(i) => int64_arg(py, i)?,
            SavedValue::ScalarInt(i) => i.into_pyobject(py)?.into_any(),
            SavedValue::Float(f) => f.into_pyobject(py)?.into_any(),
            SavedValue::Ints(v) => PyTuple::new(py, v.into_iter().map(|i| int64_arg(py, i)).collect::<PyResult<Vec<_>>>()?)?.into_any(),
            SavedValue::Str(s) => s.into_pyobject(py)?.into_any(),
        },
    })
}

/// Anomaly mode's forward traceback: `rustgrad.autograd.anomaly_mode._forward_stack()` (the
/// Python stack of the op being recorded, library frames left out). Called by the core only
/// while anomaly mode is on.
fn capture_forward_stack() -> Option<String> {
    Python::attach(|py| -> PyResult<String> {
        py.import("rustgrad.autograd.anomaly_mode")?.getattr("_forward_stack")?.call0()?.extract()
    })
    .ok()
}

/// Anomaly mode's warning when backward fails in a node (a UserWarning, before the error is
/// raised).
fn emit_anomaly_warning(message: &str) {
    Python::attach(|py| {
        let warned = py.import("rustgrad.autograd.anomaly_mode").and_then(|m| m.getattr("_warn_anomaly")?.call1((message,)).map(drop));
        if let Err(e) = warned {
            e.write_unraisable(py, None);
        }
    });
}

/// Registers the anomaly-mode callbacks with the core (once, at import).
pub fn register_anomaly_callbacks() {
    anomaly::set_callbacks(capture_forward_stack, emit_anomaly_warning);
}
