//! `rustgrad.autograd.graph.saved_tensors_hooks` from Python (the pack/unpack callables run with
//! the GIL retaken, also inside the GIL-free backward), and the current backward run's identity
//! for `rustgrad.utils.checkpoint`.

use std::sync::Arc;

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;

use super::convert::type_name;
use super::error::foreign;
use super::tensor::{wrap_tensor, PyTensor};
use crate::autograd::{current_graph_task, pop_saved_tensors_hooks, push_saved_tensors_hooks, PackedTensor, SavedTensorHooks};
use crate::error::Result;
use crate::tensor::Tensor;

/// A pair of Python hooks.
struct PyHooks {
    pack: Py<PyAny>,
    unpack: Arc<Py<PyAny>>,
}

/// What the Python pack hook returned, with the unpack hook that turns it back into a tensor.
struct PyPacked {
    value: Py<PyAny>,
    unpack: Arc<Py<PyAny>>,
}

impl SavedTensorHooks for PyHooks {
    fn pack(&self, tensor: &Tensor) -> Result<Arc<dyn PackedTensor>> {
        Python::attach(|py| {
            let value = self.pack.call1(py, (wrap_tensor(py, tensor.clone())?,))?;
            Ok(Arc::new(PyPacked { value, unpack: self.unpack.clone() }) as Arc<dyn PackedTensor>)
        })
        .map_err(foreign)
    }
}

impl PackedTensor for PyPacked {
    fn unpack(&self) -> Result<Tensor> {
        Python::attach(|py| {
            let out = self.unpack.call1(py, (self.value.clone_ref(py),))?.into_bound(py);
            match out.cast::<PyTensor>() {
                Ok(t) => Ok(t.get().inner.clone()),
                Err(_) => Err(PyTypeError::new_err(format!(
                    "Output of saved tensor unpack_hook expected to be a Tensor but got result of type {}",
                    type_name(&out)
                ))),
            }
        })
        .map_err(foreign)
    }
}

/// Pushes a pair of hooks for this thread (entering `saved_tensors_hooks`).
#[pyfunction]
fn _push_saved_tensors_hooks(pack_hook: Py<PyAny>, unpack_hook: Py<PyAny>) {
    push_saved_tensors_hooks(Arc::new(PyHooks { pack: pack_hook, unpack: Arc::new(unpack_hook) }));
}

/// Pops the innermost pair (leaving `saved_tensors_hooks`).
#[pyfunction]
fn _pop_saved_tensors_hooks() -> PyResult<()> {
    if pop_saved_tensors_hooks() {
        Ok(())
    } else {
        Err(PyRuntimeError::new_err("no saved tensors hooks to pop"))
    }
}

/// False while a `.grad()` or `backward(inputs=...)` run executes (reentrant checkpointing cannot
/// work there), true otherwise.
#[pyfunction]
fn _is_checkpoint_valid() -> bool {
    current_graph_task().is_none_or(|t| t.can_checkpoint)
}

/// The id of the backward run executing on this thread, or -1 outside backward.
#[pyfunction]
fn _current_graph_task_id() -> i64 {
    current_graph_task().map_or(-1, |t| t.id as i64)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_push_saved_tensors_hooks, m)?)?;
    m.add_function(wrap_pyfunction!(_pop_saved_tensors_hooks, m)?)?;
    m.add_function(wrap_pyfunction!(_is_checkpoint_valid, m)?)?;
    m.add_function(wrap_pyfunction!(_current_graph_task_id, m)?)?;
    Ok(())
}
