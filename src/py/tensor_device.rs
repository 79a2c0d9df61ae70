//! `Tensor.cuda()` and `Tensor.is_cuda` as a CPU-only PyTorch build answers them.

use pyo3::exceptions::{PyAssertionError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

use super::argparse;

use super::tensor::PyTensor;

#[pymethods]
impl PyTensor {
    /// Always refused: rustgrad has no CUDA backend (PyTorch's CPU-build errors after its parser's:
    /// an integer device asks for an accelerator index, a non-CUDA device is invalid, anything
    /// else asks for CUDA itself).
    #[pyo3(signature = (*args, **kwargs))]
    fn cuda(&self, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        let bound = argparse::bind("Tensor.cuda", args, kwargs)?;
        if let Some(d) = bound.get("device") {
            if argparse::int_arg(d).is_some() {
                return Err(PyRuntimeError::new_err("Cannot access accelerator device when none is available."));
            }
            // a name is parsed as rustgrad.device parses it (its error for a malformed one)
            let device = if d.is_instance_of::<PyString>() { d.py().import("rustgrad._device")?.getattr("device")?.call1((d,))? } else { d.clone() };
            if device.getattr("type")?.extract::<String>()? != "cuda" {
                return Err(PyRuntimeError::new_err("Invalid device, must be cuda device"));
            }
        }
        Err(PyAssertionError::new_err("rustgrad not compiled with CUDA enabled"))
    }

    /// The tensor itself: it is already on the CPU (PyTorch's parser errors for other arguments).
    #[pyo3(signature = (*args, **kwargs))]
    fn cpu<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        if !args.is_empty() || kwargs.is_some_and(|k| !k.is_empty()) {
            argparse::bind("Tensor.cpu", args, kwargs)?;
        }
        Ok(slf.clone())
    }

    /// False: every rustgrad tensor lives on the CPU.
    #[getter]
    fn is_cuda(&self) -> bool {
        false
    }
}
