//! Tensor methods for strided views and in-place view ops: `as_strided(_)`, `unfold`, `squeeze_`,
//! `unsqueeze_`, `t_`, `transpose_` / `swapdims_` / `swapaxes_`; `storage_offset`, `data_ptr`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::argparse;
use super::tensor::{wrap_tensor, PyTensor};
use super::tensor_view::two_ints;
use crate::ops;
use crate::tensor::Element;
use crate::with_dtype;

/// `(size, stride, storage_offset)` of an `as_strided` call, bound by PyTorch's parser.
fn strided_args(key: &str, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<(Vec<i64>, Vec<i64>, Option<i64>)> {
    let bound = argparse::bind(key, args, kwargs)?;
    let size = bound.ints("size")?.unwrap_or_default();
    let stride = bound.ints("stride")?.unwrap_or_default();
    let offset = match bound.get("storage_offset") {
        Some(o) if !o.is_none() => Some(o.extract::<i64>()?),
        _ => None,
    };
    Ok((size, stride, offset))
}

/// The dims of `squeeze_()` / `squeeze_(d)` / `squeeze_((d0, d1))`: `None` for all, and whether one
/// int was given.
fn squeeze_dims(args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Option<(Vec<i64>, bool)>> {
    let bound = argparse::bind("Tensor.squeeze_", args, kwargs)?;
    Ok(match bound.get("dim") {
        None => None,
        Some(d) if argparse::is_sequence(d) => Some((d.extract::<Vec<i64>>()?, false)),
        Some(d) => Some((vec![d.extract::<i64>()?], true)),
    })
}

#[pymethods]
impl PyTensor {
    /// Where this tensor's first element sits in its storage, in elements.
    fn storage_offset(&self) -> usize {
        self.inner.layout().offset
    }

    /// The address of this tensor's first element (views of one storage agree).
    fn data_ptr(&self) -> usize {
        let data = self.inner.data();
        let buffer = data.storage.read();
        let start = with_dtype!(data.dtype, T => T::slice(&buffer).as_ptr() as usize);
        start + data.layout.offset * data.dtype.size_in_bytes()
    }

    /// A view of this tensor's storage with the given sizes, strides and storage offset (this
    /// tensor's own offset by default).
    #[pyo3(signature = (*args, **kwargs))]
    fn as_strided<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (size, stride, offset) = strided_args("Tensor.as_strided", args, kwargs)?;
        wrap_tensor(py, ops::as_strided(&self.inner, &size, &stride, offset)?)
    }

    /// `as_strided` applied to this tensor itself.
    #[pyo3(signature = (*args, **kwargs))]
    fn as_strided_<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        let (size, stride, offset) = strided_args("Tensor.as_strided_", args, kwargs)?;
        ops::as_strided_(&slf.get().inner, &size, &stride, offset)?;
        Ok(slf.clone())
    }

    /// The windows of `size` elements, `step` apart, along `dimension`, as a new last dim (a view).
    #[pyo3(signature = (*args, **kwargs))]
    fn unfold<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let v = argparse::all_ints("Tensor.unfold", args, kwargs)?;
        wrap_tensor(py, ops::unfold(&self.inner, v[0], v[1], v[2])?)
    }

    /// Drops size-1 dims (all, one, or a tuple of them) in place.
    #[pyo3(signature = (*args, **kwargs))]
    fn squeeze_<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        match squeeze_dims(args, kwargs)? {
            None => ops::squeeze_(&slf.get().inner, None, false)?,
            Some((dims, single)) => ops::squeeze_(&slf.get().inner, Some(&dims), single)?,
        }
        Ok(slf.clone())
    }

    /// Inserts a size-1 dim in place.
    #[pyo3(signature = (*args, **kwargs))]
    fn unsqueeze_<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        let dim = argparse::all_ints("Tensor.unsqueeze_", args, kwargs)?[0];
        ops::unsqueeze_(&slf.get().inner, dim)?;
        Ok(slf.clone())
    }

    /// Transposes a matrix in place.
    fn t_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        ops::t_in_place(&slf.get().inner)?;
        Ok(slf.clone())
    }

    /// Swaps two dims in place.
    #[pyo3(signature = (*args, **kwargs))]
    fn transpose_<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        let (dim0, dim1) = two_ints(args, kwargs, "Tensor.transpose_", ("dim0", "dim1"))?;
        ops::transpose_(&slf.get().inner, dim0, dim1)?;
        Ok(slf.clone())
    }

    /// Alias of `transpose_`.
    #[pyo3(signature = (*args, **kwargs))]
    fn swapdims_<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        let (dim0, dim1) = two_ints(args, kwargs, "Tensor.swapdims_", ("dim0", "dim1"))?;
        ops::transpose_(&slf.get().inner, dim0, dim1)?;
        Ok(slf.clone())
    }

    /// Alias of `transpose_`.
    #[pyo3(signature = (*args, **kwargs))]
    fn swapaxes_<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        let (axis0, axis1) = two_ints(args, kwargs, "Tensor.swapaxes_", ("axis0", "axis1"))?;
        ops::transpose_(&slf.get().inner, axis0, axis1)?;
        Ok(slf.clone())
    }
}
