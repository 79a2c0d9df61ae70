//! `Tensor.cuda()` and `Tensor.is_cuda` as a CPU-only PyTorch build answers them.

use pyo3::exceptions::{PyAssertionError, PyRuntimeError};
use pyo3::prelude::*;

use super::tensor::PyTensor;

#[pymethods]
impl PyTensor {
    /// Always refused: rustgrad has no CUDA backend (PyTorch's CPU-build errors: an integer device
    /// asks for an accelerator index, anything else for CUDA itself).
    #[pyo3(signature = (device=None, non_blocking=false, memory_format=None))]
    fn cuda(&self, device: Option<&Bound<'_, PyAny>>, non_blocking: bool, memory_format: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let _ = (non_blocking, memory_format);
        if let Some(d) = device {
            if super::argparse::int_arg(d).is_some() {
                return Err(PyRuntimeError::new_err("Cannot access accelerator device when none is available."));
            }
        }
        Err(PyAssertionError::new_err("rustgrad not compiled with CUDA enabled"))
    }

    /// The tensor itself: it is already on the CPU.
    #[pyo3(signature = (memory_format=None))]
    fn cpu<'py>(slf: &Bound<'py, Self>, memory_format: Option<&Bound<'py, PyAny>>) -> Bound<'py, Self> {
        let _ = memory_format;
        slf.clone()
    }

    /// False: every rustgrad tensor lives on the CPU.
    #[getter]
    fn is_cuda(&self) -> bool {
        false
    }
}
