//! `rustgrad.float32` and friends.

use pyo3::prelude::*;

use crate::tensor::DType;

/// A dtype object (`rustgrad.float32`).
#[pyclass(name = "dtype", module = "rustgrad", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PyDType(pub DType);

#[pymethods]
impl PyDType {
    fn __repr__(&self) -> String {
        format!("rustgrad.{}", self.0.name())
    }

    /// True for float32 and float64.
    #[getter]
    fn is_floating_point(&self) -> bool {
        self.0.is_float()
    }

    /// The short name (`float32`).
    #[getter]
    fn name(&self) -> &'static str {
        self.0.name()
    }

    /// Bytes per element.
    #[getter]
    fn itemsize(&self) -> usize {
        self.0.size_in_bytes()
    }

    fn __reduce__(&self) -> String {
        // Pickles by name: `rustgrad.float32` is a module attribute.
        self.0.name().to_string()
    }
}

static DTYPE_OBJECTS: pyo3::sync::PyOnceLock<Vec<Py<PyDType>>> = pyo3::sync::PyOnceLock::new();

/// The one Python object of each dtype, so that `x.dtype is rustgrad.float32` holds as in PyTorch.
pub fn dtype_object(py: Python<'_>, dtype: DType) -> PyResult<Py<PyDType>> {
    let all = DTYPE_OBJECTS.get_or_try_init(py, || DType::ALL.iter().map(|&d| Py::new(py, PyDType(d))).collect())?;
    let i = DType::ALL.iter().position(|&d| d == dtype).expect("every dtype is listed");
    Ok(all[i].clone_ref(py))
}
