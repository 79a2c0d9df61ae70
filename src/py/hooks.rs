//! Hook registration from Python: `Tensor.register_hook`, `register_post_accumulate_grad_hook`,
//! `Node.register_hook` / `register_prehook`, and the `RemovableHandle` they return. The Python
//! callables run with the GIL retaken inside the (GIL-free) backward.

use std::sync::Arc;

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::error::foreign;
use super::node::PyNode;
use super::tensor::{wrap_tensor, PyTensor};
use crate::autograd::{NodePostHook, NodePreHook, NodeRef, PostAccumulateHook, Registered, TensorHook};
use crate::tensor::Tensor;

/// Removes a hook; also a context manager that removes it on exit.
#[pyclass(name = "RemovableHandle", module = "rustgrad.utils.hooks", frozen)]
pub struct RemovableHandle {
    remove: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl RemovableHandle {
    fn new(remove: impl FnOnce() + Send + 'static) -> Self {
        RemovableHandle { remove: Mutex::new(Some(Box::new(remove))) }
    }
}

#[pymethods]
impl RemovableHandle {
    /// Removes the hook (calling it again does nothing).
    fn remove(&self) {
        if let Some(f) = self.remove.lock().take() {
            f();
        }
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) {
        self.remove();
    }
}

/// The name a hook error shows: the function's `__name__` (`<lambda>`).
fn hook_name(hook: &Bound<'_, PyAny>) -> String {
    hook.getattr("__name__").and_then(|n| n.extract()).unwrap_or_else(|_| "hook".to_string())
}

fn optional_tensor(value: &Bound<'_, PyAny>) -> PyResult<Option<Tensor>> {
    if value.is_none() {
        return Ok(None);
    }
    Ok(Some(value.extract::<PyRef<'_, PyTensor>>()?.inner.clone()))
}

fn tensors_to_py<'py>(py: Python<'py>, grads: &[Option<Tensor>]) -> PyResult<Bound<'py, PyTuple>> {
    let items = grads
        .iter()
        .map(|g| match g {
            Some(t) => wrap_tensor(py, t.clone()),
            None => Ok(py.None().into_bound(py)),
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

/// A returned tuple/list of tensors-or-None (or None for "no change").
fn replacement(value: &Bound<'_, PyAny>) -> PyResult<Option<Vec<Option<Tensor>>>> {
    if value.is_none() {
        return Ok(None);
    }
    let items: Vec<Bound<'_, PyAny>> = value.try_iter()?.collect::<PyResult<_>>()?;
    items.iter().map(optional_tensor).collect::<PyResult<Vec<_>>>().map(Some)
}

#[pymethods]
impl PyTensor {
    /// Registers `hook(grad) -> Tensor or None`, called with this tensor's gradient in backward.
    fn register_hook(&self, hook: Bound<'_, PyAny>) -> PyResult<RemovableHandle> {
        let name = hook_name(&hook);
        let hook = hook.unbind();
        let callback: TensorHook = Arc::new(move |grad: &Tensor| {
            Python::attach(|py| {
                let result = hook.bind(py).call1((wrap_tensor(py, grad.clone())?,))?;
                optional_tensor(&result)
            })
            .map_err(foreign)
        });
        let id = self.inner.register_hook(&name, callback)?;
        let tensor = self.inner.clone();
        Ok(RemovableHandle::new(move || tensor.remove_hook(id)))
    }

    /// Registers `hook(tensor)`, called after this leaf's `.grad` is accumulated.
    fn register_post_accumulate_grad_hook(&self, hook: Bound<'_, PyAny>) -> PyResult<RemovableHandle> {
        let name = hook_name(&hook);
        let hook = hook.unbind();
        let callback: PostAccumulateHook = Arc::new(move |tensor: &Tensor| {
            Python::attach(|py| hook.bind(py).call1((wrap_tensor(py, tensor.clone())?,)).map(|_| ())).map_err(foreign)
        });
        let id = self.inner.register_post_accumulate_grad_hook(&name, callback)?;
        let tensor = self.inner.clone();
        Ok(RemovableHandle::new(move || tensor.remove_post_accumulate_grad_hook(id)))
    }
}

#[pymethods]
impl PyNode {
    /// Registers `hook(grad_outputs) -> new grad_outputs or None`, run before the node.
    fn register_prehook(&self, hook: Bound<'_, PyAny>) -> PyResult<RemovableHandle> {
        let node = self.node_strong()?;
        let hook = Registered::new(hook_name(&hook), hook.unbind());
        let id = hook.id;
        let callable = hook.hook;
        let callback: NodePreHook = Arc::new(move |grads: &[Option<Tensor>]| {
            Python::attach(|py| replacement(&callable.bind(py).call1((tensors_to_py(py, grads)?,))?)).map_err(foreign)
        });
        node.pre_hooks.lock().push(Registered { id, name: hook.name, hook: callback });
        let node = NodeRef::downgrade(&node);
        Ok(RemovableHandle::new(move || {
            if let Some(n) = node.upgrade() {
                n.pre_hooks.lock().retain(|h| h.id != id);
            }
        }))
    }

    /// Registers `hook(grad_inputs, grad_outputs) -> new grad_inputs or None`, run after the node.
    fn register_hook(&self, hook: Bound<'_, PyAny>) -> PyResult<RemovableHandle> {
        let node = self.node_strong()?;
        let hook = Registered::new(hook_name(&hook), hook.unbind());
        let id = hook.id;
        let callable = hook.hook;
        let callback: NodePostHook = Arc::new(move |grad_inputs: &[Option<Tensor>], grad_outputs: &[Option<Tensor>]| {
            Python::attach(|py| {
                let result = callable.bind(py).call1((tensors_to_py(py, grad_inputs)?, tensors_to_py(py, grad_outputs)?))?;
                replacement(&result)
            })
            .map_err(foreign)
        });
        node.post_hooks.lock().push(Registered { id, name: hook.name, hook: callback });
        let node = NodeRef::downgrade(&node);
        Ok(RemovableHandle::new(move || {
            if let Some(n) = node.upgrade() {
                n.post_hooks.lock().retain(|h| h.id != id);
            }
        }))
    }
}
