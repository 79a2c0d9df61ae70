//! numpy interop without copies: `rustgrad.from_numpy(a)` views the array's memory, and
//! `Tensor.numpy()` / `__array__` give numpy a view of the tensor's storage. Either side sees the
//! other's writes, as with PyTorch. Why this is sound: `src/tensor/storage.rs` (module docs).

use std::any::Any;
use std::ffi::{c_int, c_void};
use std::sync::Arc;

use numpy::npyffi::{self, npy_intp, NPY_ARRAY_WRITEABLE, PY_ARRAY_API};
use numpy::{PyArrayDescrMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::IntoPyDict;

use super::tensor::{user_warning, wrap_tensor, PyTensor};
use crate::tensor::{DType, Layout, Storage, Tensor};

/// Keeps a tensor's memory alive for the numpy arrays viewing it (their `base`).
#[pyclass(name = "_SharedMemory", module = "rustgrad", frozen)]
struct SharedMemoryOwner {
    _owner: Arc<dyn Any + Send + Sync>,
}

/// What keeps a numpy array alive while a storage uses its memory.
struct NumpyOwner(#[allow(dead_code)] Py<PyAny>);

/// `numpy.float64`-style qualified type names, as PyTorch prints them.
fn qualified_type_name(obj: &Bound<'_, PyAny>) -> String {
    let t = obj.get_type();
    let name = t.qualname().map(|n| n.to_string()).unwrap_or_else(|_| "object".into());
    match t.module().map(|m| m.to_string()) {
        Ok(m) if m != "builtins" => format!("{m}.{name}"),
        _ => name,
    }
}

fn numpy_dtype(array: &Bound<'_, PyUntypedArray>) -> PyResult<DType> {
    let py = array.py();
    let descr = array.dtype();
    let candidates = [
        (numpy::dtype::<f64>(py), DType::F64),
        (numpy::dtype::<f32>(py), DType::F32),
        (numpy::dtype::<i64>(py), DType::I64),
        (numpy::dtype::<i32>(py), DType::I32),
        (numpy::dtype::<u8>(py), DType::U8),
        (numpy::dtype::<bool>(py), DType::Bool),
    ];
    if descr.is_native_byteorder() == Some(false) {
        return Err(PyValueError::new_err(
            "given numpy array has byte order different from the native byte order. Conversion between byte orders is currently not supported.",
        ));
    }
    for (candidate, dtype) in candidates {
        if descr.is_equiv_to(&candidate) {
            return Ok(dtype);
        }
    }
    let name: String = descr.typeobj().qualname().map(|n| n.to_string()).unwrap_or_default();
    Err(PyTypeError::new_err(format!(
        "can't convert np.ndarray of type numpy.{name}. The only supported types are: float64, float32, int64, int32, uint8, and bool."
    )))
}

/// `rustgrad.from_numpy(a)`: a tensor sharing `a`'s memory (it keeps `a` alive).
#[pyfunction]
pub fn from_numpy<'py>(py: Python<'py>, array: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let array = array
        .cast::<PyUntypedArray>()
        .map_err(|_| PyTypeError::new_err(format!("expected np.ndarray (got {})", qualified_type_name(array))))?;
    let dtype = numpy_dtype(array)?;
    let itemsize = dtype.size_in_bytes() as isize;
    let shape = array.shape().to_vec();
    let mut strides = Vec::with_capacity(shape.len());
    for &s in array.strides() {
        if s < 0 {
            return Err(PyValueError::new_err("At least one stride in the given numpy array is negative, and tensors with negative strides are not currently supported. (You can probably work around this by making a copy of your array  with array.copy().) "));
        }
        if s % itemsize != 0 {
            return Err(PyValueError::new_err(
                "given numpy array strides not a multiple of the element byte size. Copy the numpy array to reallocate the memory.",
            ));
        }
        strides.push((s / itemsize) as usize);
    }
    let numel: usize = shape.iter().product();
    if numel == 0 {
        // Nothing to share; an empty tensor of the same shape behaves identically.
        return wrap_tensor(py, Tensor::zeros(&shape, dtype));
    }
    // SAFETY: `as_array_ptr` points at the live PyArrayObject we hold a reference to.
    let (data, flags) = unsafe {
        let raw = array.as_array_ptr();
        ((*raw).fields.data as *mut u8, (*raw).fields.flags)
    };
    if !array.is_aligned() || (data as usize) % dtype.size_in_bytes() != 0 {
        return Err(PyValueError::new_err(
            "given numpy array is not aligned for its element type. Copy the numpy array to reallocate the memory.",
        ));
    }
    if flags & NPY_ARRAY_WRITEABLE == 0 {
        user_warning(py, "The given NumPy array is not writable, and rustgrad does not support non-writable tensors. This means writing to this tensor will result in undefined behavior. You may want to copy the array to protect its data or make it writable before converting it to a tensor. This type of warning will be suppressed for the rest of this program.")?;
    }
    // Elements from offset 0 up to the farthest one the strides reach.
    let len = 1 + shape.iter().zip(&strides).map(|(&n, &s)| (n - 1) * s).sum::<usize>();
    if dtype == DType::Bool {
        // SAFETY: `len` bytes are inside the array's buffer (computed from its own strides).
        let bytes = unsafe { std::slice::from_raw_parts(data, len) };
        if bytes.iter().any(|&b| b > 1) {
            return Err(PyValueError::new_err("numpy bool array holds bytes other than 0 and 1"));
        }
    }
    let owner: Box<dyn Any + Send + Sync> = Box::new(NumpyOwner(array.clone().into_any().unbind()));
    // SAFETY: checked above: non-null (numel > 0), aligned, element type and byte order match
    // `dtype`, bools are 0/1, and the memory stays valid while the owner holds the array.
    let storage = unsafe { Storage::from_foreign(dtype, data, len, owner) };
    let layout = Layout { shape, strides, offset: 0 };
    wrap_tensor(py, Tensor::from_storage(Arc::new(storage), layout, dtype))
}

/// A numpy array viewing `t`'s elements (no copy).
fn numpy_view<'py>(py: Python<'py>, t: &Tensor) -> PyResult<Bound<'py, PyAny>> {
    let data = t.data();
    let shared = data.storage.share();
    let itemsize = data.dtype.size_in_bytes();
    let mut dims: Vec<npy_intp> = data.layout.shape.iter().map(|&d| d as npy_intp).collect();
    let mut strides: Vec<npy_intp> = data.layout.strides.iter().map(|&s| (s * itemsize) as npy_intp).collect();
    let descr = crate::with_dtype!(data.dtype, T => numpy::dtype::<T>(py));
    let base = Bound::new(py, SharedMemoryOwner { _owner: shared.owner })?;
    let numel = data.layout.numel();
    // An empty tensor may sit past the end of its storage; numpy never reads through it.
    let offset = if numel == 0 { 0 } else { data.layout.offset * itemsize };
    // SAFETY: `offset` and the strides stay within the shared memory (the layout is valid for the
    // storage); `base` keeps that memory alive for the array's lifetime; `descr` is consumed.
    unsafe {
        let array_type = npyffi::get_type_object(py, npyffi::NpyTypes::PyArray_Type);
        let ptr = PY_ARRAY_API.PyArray_NewFromDescr(
            py,
            array_type,
            descr.into_dtype_ptr(),
            dims.len() as c_int,
            dims.as_mut_ptr(),
            strides.as_mut_ptr(),
            shared.ptr.add(offset) as *mut c_void,
            NPY_ARRAY_WRITEABLE,
            std::ptr::null_mut(),
        );
        if ptr.is_null() {
            return Err(PyErr::fetch(py));
        }
        let array = Bound::from_owned_ptr(py, ptr);
        if PY_ARRAY_API.PyArray_SetBaseObject(py, ptr as *mut npyffi::PyArrayObject, base.into_ptr()) < 0 {
            return Err(PyErr::fetch(py));
        }
        Ok(array)
    }
}

#[pymethods]
impl PyTensor {
    /// A numpy array sharing this tensor's memory (`force=True` detaches first).
    #[pyo3(signature = (*, force=false))]
    fn numpy<'py>(&self, py: Python<'py>, force: bool) -> PyResult<Bound<'py, PyAny>> {
        if self.inner.requires_grad() && !force {
            return Err(PyRuntimeError::new_err(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
            ));
        }
        numpy_view(py, &self.inner)
    }

    /// numpy's conversion protocol: `np.asarray(t)` shares memory; `dtype` casts, `copy=True` copies.
    #[pyo3(signature = (dtype=None, copy=None))]
    fn __array__<'py>(
        &self,
        py: Python<'py>,
        dtype: Option<&Bound<'py, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let array = self.numpy(py, false)?;
        let array = match dtype.filter(|d| !d.is_none()) {
            Some(d) => array.call_method("astype", (d,), Some(&[("copy", false)].into_py_dict(py)?))?,
            None => array,
        };
        if copy == Some(true) {
            return array.call_method0("copy");
        }
        Ok(array)
    }
}

/// Adds `from_numpy` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(from_numpy, m)?)?;
    m.add_class::<SharedMemoryOwner>()?;
    Ok(())
}
