//! `rustgrad.Generator`: a Python handle on a core generator (the default one or a private one).

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyInt, PyTuple};

use super::convert::type_name;
use super::tensor::{wrap_tensor, PyTensor};
use crate::random::{default_generator, Generator, SharedGenerator, DEFAULT_SEED};
use crate::tensor::{DType, Tensor};

/// A pseudo-random number generator (`rustgrad.Generator()`, seeded with PyTorch's default seed).
#[pyclass(name = "Generator", module = "rustgrad", frozen, weakref)]
pub struct PyGenerator {
    /// The generator this handle draws from.
    pub inner: SharedGenerator,
}

/// A seed as PyTorch takes it: any int in [-2^63, 2^64), negative values wrapping to u64.
fn seed_arg(seed: &Bound<'_, PyAny>) -> PyResult<u64> {
    if !seed.is_instance_of::<PyInt>() {
        return Err(PyRuntimeError::new_err(format!("manual_seed expected a long, but got {}", type_name(seed))));
    }
    let v: i128 = seed.extract().map_err(|_| PyValueError::new_err("Overflow when unpacking long long"))?;
    if v < i64::MIN as i128 || v > u64::MAX as i128 {
        return Err(PyValueError::new_err("Overflow when unpacking long long"));
    }
    Ok(v as u64)
}

#[pymethods]
impl PyGenerator {
    #[new]
    #[pyo3(signature = (device=None))]
    fn new(device: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        super::creation::check_device(device)?;
        Ok(PyGenerator { inner: std::sync::Arc::new(parking_lot::Mutex::new(Generator::new(DEFAULT_SEED))) })
    }

    /// Seeds the generator and returns it (so `g = Generator().manual_seed(42)` works).
    fn manual_seed<'py>(slf: &Bound<'py, Self>, seed: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let seed = seed_arg(seed)?;
        slf.get().inner.lock().manual_seed(seed);
        Ok(slf.clone())
    }

    /// The seed it was last seeded with.
    fn initial_seed(&self) -> u64 {
        self.inner.lock().initial_seed()
    }

    /// Re-seeds from the operating system's entropy and returns the new seed.
    fn seed(&self) -> u64 {
        let seed = Generator::nondeterministic_seed();
        self.inner.lock().manual_seed(seed);
        seed
    }

    /// The full state as a uint8 tensor (PyTorch's byte layout).
    fn get_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let bytes = self.inner.lock().get_state();
        let n = bytes.len();
        wrap_tensor(py, Tensor::from_vec(bytes, &[n])?)
    }

    /// Restores a state from `get_state()`; returns the generator.
    fn set_state<'py>(slf: &Bound<'py, Self>, new_state: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let t = match new_state.cast::<PyTensor>() {
            Ok(t) if t.get().inner.dtype() == DType::U8 => t.get().inner.clone(),
            Ok(_) => return Err(PyTypeError::new_err("RNG state must be a rustgrad.ByteTensor")),
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "expected a rustgrad.ByteTensor, but got {}",
                    type_name(new_state)
                )))
            }
        };
        if !t.is_contiguous() {
            return Err(PyRuntimeError::new_err("RNG state must be contiguous"));
        }
        let bytes = t.to_vec::<u8>()?;
        slf.get().inner.lock().set_state(&bytes)?;
        Ok(slf.clone())
    }

    /// Pickles as PyTorch's generators do: `(Generator, (device,), (initial_seed, None, state))`
    /// (the `None` is the CUDA-only offset), so the copy draws the same numbers from there on.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let g = slf.get();
        let seed = g.initial_seed();
        let state = g.get_state(py)?;
        let args = PyTuple::new(py, [super::creation::cpu_device(py)?])?;
        let state = (seed, py.None(), state).into_pyobject(py)?;
        PyTuple::new(py, [slf.get_type().into_any(), args.into_any(), state.into_any()])
    }

    /// Restores `(initial_seed, offset, state)` from [`Self::__reduce__`]: seeds, then sets the state.
    fn __setstate__<'py>(slf: &Bound<'py, Self>, state: &Bound<'py, PyAny>) -> PyResult<()> {
        let (seed, _offset, rng_state): (Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>) = state.extract()?;
        Self::manual_seed(slf, &seed)?;
        if !rng_state.is_none() {
            Self::set_state(slf, &rng_state)?;
        }
        Ok(())
    }

    /// The device the generator draws for (always the CPU).
    #[getter]
    fn device<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        super::creation::cpu_device(py)
    }
}

static DEFAULT: PyOnceLock<Py<PyGenerator>> = PyOnceLock::new();

/// The Python object of the default generator (always the same object, as `torch.default_generator`).
#[pyfunction]
pub fn _default_generator(py: Python<'_>) -> PyResult<Py<PyGenerator>> {
    DEFAULT
        .get_or_try_init(py, || Py::new(py, PyGenerator { inner: default_generator().clone() }))
        .map(|g| g.clone_ref(py))
}

/// A `generator=` argument: `None` (the default generator) or a `rustgrad.Generator`.
pub fn generator_arg(obj: Option<&Bound<'_, PyAny>>, function: &str) -> PyResult<Option<SharedGenerator>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => match o.cast::<PyGenerator>() {
            Ok(g) => Ok(Some(g.get().inner.clone())),
            Err(_) => Err(PyTypeError::new_err(format!(
                "{function}(): argument 'generator' must be rustgrad.Generator, not {}",
                type_name(o)
            ))),
        },
    }
}

/// Adds the generator class and functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyGenerator>()?;
    m.add_function(wrap_pyfunction!(_default_generator, m)?)?;
    Ok(())
}
