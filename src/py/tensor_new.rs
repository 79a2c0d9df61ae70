//! `Tensor.new_zeros` / `new_ones` / `new_empty` / `new_full` / `new_tensor`: factories that take
//! the calling tensor's dtype unless one is given (and never its `requires_grad` or history).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyTuple};

use super::convert::{checked_scalar, dtype_arg, size_from_args, size_from_sequence, tensor_from_data, type_name};
use super::creation::check_device;
use super::tensor::{user_warning, wrap_tensor, PyTensor};
use crate::error::catch_alloc_failure;
use crate::ops;
use crate::tensor::{DType, Scalar, Tensor};

const NEW_TENSOR_FROM_TENSOR_WARNING: &str = "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True), rather than tensor.new_tensor(sourceTensor).";

/// A new tensor of `shape` filled with `value`, in `dtype` or else `like`'s dtype.
fn new_filled<'py>(
    py: Python<'py>,
    like: &Tensor,
    shape: Vec<usize>,
    value: Scalar,
    dtype: Option<DType>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let dtype = dtype.unwrap_or(like.dtype());
    ops::check_scalar_fits(value, dtype)?;
    let t = catch_alloc_failure(|| Ok::<_, PyErr>(ops::full_exact(&shape, value, dtype)))?;
    wrap_tensor(py, t.with_requires_grad(requires_grad)?)
}

/// The `*size` of `new_zeros(2, 3)` / `new_zeros((2, 3))`, with PyTorch's error when absent.
fn new_size(name: &str, size: &Bound<'_, PyTuple>) -> PyResult<Vec<usize>> {
    if size.is_empty() {
        return Err(PyTypeError::new_err(format!("{name}() missing 1 required positional arguments: \"size\"")));
    }
    if size.len() > 1 {
        if let Some((pos, item)) = size.iter().enumerate().find(|(_, item)| !item.is_instance_of::<PyInt>()) {
            return Err(PyTypeError::new_err(format!(
                "{name}(): argument 'size' failed to unpack the object at pos {} with error \"type must be tuple of ints,but got {}\"",
                pos + 1,
                type_name(&item)
            )));
        }
    }
    size_from_args(size).map_err(|e| match e.is_instance_of::<PyTypeError>(size.py()) {
        true if size.len() == 1 => PyTypeError::new_err(format!(
            "{name}(): argument 'size' (position 1) must be tuple of ints, not {}",
            type_name(&size.get_item(0).expect("one item"))
        )),
        _ => e,
    })
}

/// The `dtype=` keyword, with PyTorch's error naming the method.
fn new_dtype(name: &str, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Option<DType>> {
    dtype_arg(dtype).map_err(|e| match dtype {
        Some(d) if e.is_instance_of::<PyTypeError>(d.py()) => {
            PyTypeError::new_err(format!("{name}(): argument 'dtype' must be rustgrad.dtype, not {}", type_name(d)))
        }
        _ => e,
    })
}

macro_rules! new_filled_methods {
    ($($name:ident, $value:expr, $doc:literal;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                #[doc = $doc]
                #[pyo3(signature = (*size, dtype=None, device=None, requires_grad=false, layout=None, pin_memory=false))]
                #[allow(clippy::too_many_arguments)]
                fn $name<'py>(
                    &self,
                    py: Python<'py>,
                    size: &Bound<'py, PyTuple>,
                    dtype: Option<&Bound<'py, PyAny>>,
                    device: Option<&Bound<'py, PyAny>>,
                    requires_grad: bool,
                    layout: Option<&Bound<'py, PyAny>>,
                    pin_memory: bool,
                ) -> PyResult<Bound<'py, PyAny>> {
                    let _ = (layout, pin_memory); // strided CPU tensors only
                    let shape = new_size(stringify!($name), size)?;
                    check_device(device)?;
                    new_filled(py, &self.inner, shape, $value, new_dtype(stringify!($name), dtype)?, requires_grad)
                }
            )*
        }
    };
}

new_filled_methods! {
    new_zeros, Scalar::Int(0), "A tensor of zeros in this tensor's dtype (unless `dtype` is given).";
    new_ones, Scalar::Int(1), "A tensor of ones in this tensor's dtype (unless `dtype` is given).";
    new_empty, Scalar::Int(0), "An uninitialised (here zero-filled) tensor in this tensor's dtype.";
}

#[pymethods]
impl PyTensor {
    /// A tensor of `size` filled with `fill_value`, in this tensor's dtype unless given.
    #[pyo3(signature = (size, fill_value, *, dtype=None, device=None, requires_grad=false, layout=None, pin_memory=false))]
    #[allow(clippy::too_many_arguments)]
    fn new_full<'py>(
        &self,
        py: Python<'py>,
        size: &Bound<'py, PyAny>,
        fill_value: &Bound<'py, PyAny>,
        dtype: Option<&Bound<'py, PyAny>>,
        device: Option<&Bound<'py, PyAny>>,
        requires_grad: bool,
        layout: Option<&Bound<'py, PyAny>>,
        pin_memory: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = (layout, pin_memory); // strided CPU tensors only
        if size.is_instance_of::<PyInt>() {
            return Err(PyTypeError::new_err(format!(
                "new_full(): argument 'size' (position 1) must be tuple of ints, not {}",
                type_name(size)
            )));
        }
        check_device(device)?;
        let dtype = new_dtype("new_full", dtype)?;
        let value = checked_scalar(fill_value, Some(dtype.unwrap_or(self.inner.dtype())))?.ok_or_else(|| {
            PyTypeError::new_err(format!("new_full(): argument 'fill_value' (position 2) must be Number, not {}", type_name(fill_value)))
        })?;
        new_filled(py, &self.inner, size_from_sequence(size)?, value, dtype, requires_grad)
    }

    /// A copy of `data` (nested lists, numbers, arrays or a tensor) in this tensor's dtype unless
    /// `dtype` is given, with no history.
    #[pyo3(signature = (data=super::argparse::Given(None), *, dtype=None, device=None, requires_grad=false, layout=None, pin_memory=false))]
    #[allow(clippy::too_many_arguments)]
    fn new_tensor<'py>(
        &self,
        py: Python<'py>,
        data: super::argparse::Given<'py>,
        dtype: Option<&Bound<'py, PyAny>>,
        device: Option<&Bound<'py, PyAny>>,
        requires_grad: bool,
        layout: Option<&Bound<'py, PyAny>>,
        pin_memory: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = (layout, pin_memory); // strided CPU tensors only
        let data = data.0;
        let data = data.as_ref().ok_or_else(|| PyTypeError::new_err("new_tensor() missing 1 required positional arguments: \"data\""))?;
        check_device(device)?;
        if data.is_instance_of::<PyTensor>() {
            user_warning(py, NEW_TENSOR_FROM_TENSOR_WARNING)?;
        }
        let dtype = new_dtype("new_tensor", dtype)?.unwrap_or(self.inner.dtype());
        let t = tensor_from_data(data, Some(dtype))?;
        wrap_tensor(py, t.with_requires_grad(requires_grad)?)
    }
}
