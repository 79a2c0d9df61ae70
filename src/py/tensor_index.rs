//! `t[key]`, `t[key] = value`, and the index-taking methods (gather, scatter, index_select,
//! masked_select). Keys are parsed here into `ops::IndexItem`s; all semantics live in the core.

use pyo3::exceptions::{PyIndexError, PyTypeError};
use pyo3::prelude::*;
use crate::error::catch_alloc_failure;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PySequence, PySlice, PyString, PyTuple};

use super::convert::{big_int, scalar, tensor_from_data, type_name};
use super::error::foreign;
use super::tensor::{user_warning, wrap_tensor, PyTensor};
use crate::ops::{self, IndexItem, ScatterSource};
use crate::tensor::{shape_str, DType, Tensor};

fn invalid_index(obj: &Bound<'_, PyAny>) -> PyErr {
    PyIndexError::new_err(format!(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got {})",
        type_name(obj)
    ))
}

/// A slice bound: None, an int, or anything with `__index__` (a 0-d integer tensor).
fn slice_bound(obj: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if obj.is_none() {
        return Ok(None);
    }
    obj.extract::<i64>().map(Some).map_err(|_| {
        PyTypeError::new_err("slice indices must be integers or None or have an __index__ method")
    })
}

/// A sequence used as an index tensor (`t[[0, 2]]`, `t[[True, False]]`).
fn sequence_index(obj: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    let t = tensor_from_data(obj, None)?;
    if t.numel() == 0 {
        return Ok(Tensor::zeros(&t.shape(), DType::I64));
    }
    Ok(t)
}

fn parse_item(obj: &Bound<'_, PyAny>) -> PyResult<IndexItem> {
    let py = obj.py();
    if obj.is_instance_of::<PyBool>() {
        return Ok(IndexItem::Bool(obj.extract()?));
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(IndexItem::Int(obj.extract()?));
    }
    if obj.is_instance_of::<PyString>() {
        // PyTorch tries to build an index tensor from it.
        return Err(PyTypeError::new_err("new(): invalid data type 'str'"));
    }
    if obj.is_none() {
        return Ok(IndexItem::NewAxis);
    }
    if obj.is(py.Ellipsis()) {
        return Ok(IndexItem::Ellipsis);
    }
    if let Ok(slice) = obj.cast::<PySlice>() {
        let step = slice_bound(&slice.getattr("step")?)?.unwrap_or(1);
        return Ok(IndexItem::Slice {
            start: slice_bound(&slice.getattr("start")?)?,
            stop: slice_bound(&slice.getattr("stop")?)?,
            step,
        });
    }
    if let Ok(t) = obj.cast::<PyTensor>() {
        let t = t.get().inner.clone();
        return Ok(match (t.dtype(), t.dim()) {
            (DType::I64, 0) => IndexItem::Int(t.item_f64()? as i64),
            (DType::Bool, 0) => IndexItem::Bool(t.item_f64()? != 0.0),
            _ => IndexItem::Tensor(t),
        });
    }
    if obj.cast::<PySequence>().is_ok() && !obj.is_instance_of::<PyString>() {
        return Ok(IndexItem::Tensor(sequence_index(obj)?));
    }
    if obj.hasattr("__index__")? {
        return Ok(IndexItem::Int(obj.call_method0("__index__")?.extract()?));
    }
    Err(invalid_index(obj))
}

/// True when a non-tuple sequence key is read as a tuple of indices (NumPy's legacy rule: it
/// holds slices, `...`, `None`, tensors or sequences).
fn sequence_is_tuple(seq: &Bound<'_, PyAny>) -> PyResult<bool> {
    for item in seq.try_iter()? {
        let item = item?;
        let py = item.py();
        if item.is_none()
            || item.is(py.Ellipsis())
            || item.cast::<PySlice>().is_ok()
            || item.cast::<PyTensor>().is_ok()
            || (item.cast::<PySequence>().is_ok() && !item.is_instance_of::<PyString>())
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The key's items and whether it is a single bare slice.
fn parse_key(key: &Bound<'_, PyAny>) -> PyResult<(Vec<IndexItem>, bool)> {
    if let Ok(tuple) = key.cast::<PyTuple>() {
        return Ok((tuple.iter().map(|i| parse_item(&i)).collect::<PyResult<_>>()?, false));
    }
    if key.is_instance_of::<PyList>() && sequence_is_tuple(key)? {
        let items = key.try_iter()?.map(|i| parse_item(&i?)).collect::<PyResult<_>>()?;
        return Ok((items, false));
    }
    Ok((vec![parse_item(key)?], key.cast::<PySlice>().is_ok()))
}

fn int_tensor(obj: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    match obj.cast::<PyTensor>() {
        Ok(t) => Ok(t.get().inner.clone()),
        Err(_) => Err(PyTypeError::new_err(format!("expected Tensor as index, but got {}", type_name(obj)))),
    }
}

/// `(int64_t dim, Tensor index, ...)` of gather / index_select: the plain spelling skips the
/// parser, anything else gets its binding or its error.
fn dim_and_index(key: &str, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>, names: [&str; 3]) -> PyResult<(i64, Tensor)> {
    let fast = super::argparse::slots(args, kwargs, names, 2).and_then(|[dim, index, flag]| {
        let flag_ok = flag.is_none_or(|f| f.is_instance_of::<PyBool>());
        let index = index?.cast::<PyTensor>().ok()?.get().inner.clone();
        flag_ok.then_some((super::argparse::plain_int(&dim?)?, index))
    });
    if let Some(f) = fast {
        return Ok(f);
    }
    let bound = super::argparse::bind(key, args, kwargs)?;
    let dim = bound.get("dim").map(|d| d.extract::<i64>()).transpose()?;
    let index = bound.get("index").map(int_tensor).transpose()?;
    match (dim, index) {
        (Some(d), Some(i)) => Ok((d, i)),
        _ => Err(PyTypeError::new_err(format!("{key}(): missing dim or index"))),
    }
}

/// The `src`/`value` argument of scatter.
/// A scatter source next to a target of `dtype`: a tensor, or a number range-checked as PyTorch
/// converts it (an int past int64 overflows an integer target and is true for a bool one).
fn scatter_source(obj: &Bound<'_, PyAny>, dtype: DType) -> PyResult<ScatterSource> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok(ScatterSource::Tensor(t.get().inner.clone()));
    }
    super::convert::checked_scalar(obj, Some(dtype))?
        .map(ScatterSource::Value)
        .ok_or_else(|| PyTypeError::new_err(format!("scatter(): argument 'src' must be Tensor, not {}", type_name(obj))))
}

fn scatter_args(src: Option<&Bound<'_, PyAny>>, value: Option<&Bound<'_, PyAny>>, dtype: DType) -> PyResult<ScatterSource> {
    match (src, value) {
        (Some(s), _) => scatter_source(s, dtype),
        (None, Some(v)) => scatter_source(v, dtype),
        (None, None) => Err(PyTypeError::new_err("scatter() missing required argument 'src' or 'value'")),
    }
}

/// The `indices` (a tuple or list of tensors) and `values` (a tensor) of `index_put(_)`.
fn index_put_args(method: &str, indices: &Bound<'_, PyAny>, values: &Bound<'_, PyAny>) -> PyResult<(Vec<Tensor>, Tensor)> {
    if !(indices.is_instance_of::<PyTuple>() || indices.is_instance_of::<PyList>()) {
        return Err(PyTypeError::new_err(format!(
            "{method}(): argument 'indices' (position 1) must be tuple of Tensors, not {}",
            type_name(indices)
        )));
    }
    let indices = indices
        .try_iter()?
        .enumerate()
        .map(|(i, item)| {
            let item = item?;
            item.cast::<PyTensor>().map(|t| t.get().inner.clone()).map_err(|_| {
                PyTypeError::new_err(format!("expected Tensor as element {i} in argument 0, but got {}", type_name(&item)))
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let values = values.cast::<PyTensor>().map(|t| t.get().inner.clone()).map_err(|_| {
        PyTypeError::new_err(format!("{method}(): argument 'values' (position 2) must be Tensor, not {}", type_name(values)))
    })?;
    Ok((indices, values))
}

/// `index_put(_)`'s write into `t` (a copy for `index_put`): the values, cast when PyTorch hands
/// the write to masked_fill_, else of `t`'s dtype.
fn index_put_into_copy(t: &Tensor, indices: &[Tensor], values: &Tensor, accumulate: bool) -> crate::error::Result<Tensor> {
    let positions = catch_alloc_failure(|| ops::index_put_positions(t, indices))?;
    let values = if ops::index_put_is_masked_fill(indices, values, accumulate) {
        if values.dtype() == t.dtype() { values.clone() } else { catch_alloc_failure(|| ops::to_dtype(values, t.dtype()))? }
    } else {
        ops::check_index_put_dtypes(t, values)?;
        values.clone()
    };
    ops::index_put(t, &positions, &values, accumulate)
}

/// The `mask` and `source` tensors of `masked_scatter(_)`.
fn masked_scatter_args(method: &str, mask: &Bound<'_, PyAny>, source: &Bound<'_, PyAny>) -> PyResult<(Tensor, Tensor)> {
    let tensor = |obj: &Bound<'_, PyAny>, name: &str, position: usize| {
        obj.cast::<PyTensor>().map(|t| t.get().inner.clone()).map_err(|_| {
            PyTypeError::new_err(format!("{method}(): argument '{name}' (position {position}) must be Tensor, not {}", type_name(obj)))
        })
    };
    Ok((tensor(mask, "mask", 1)?, tensor(source, "source", 2)?))
}

#[pymethods]
impl PyTensor {
    /// A copy with `values` written (or added, `accumulate`) at `indices` (IndexPutBackward0).
    #[pyo3(signature = (indices, values, accumulate=false))]
    fn index_put<'py>(&self, py: Python<'py>, indices: &Bound<'py, PyAny>, values: &Bound<'py, PyAny>, accumulate: bool) -> PyResult<Bound<'py, PyAny>> {
        let (indices, values) = index_put_args("index_put", indices, values)?;
        wrap_tensor(py, index_put_into_copy(&self.inner, &indices, &values, accumulate)?)
    }

    /// `index_put` in place. Allowed on expanded tensors with PyTorch's deprecation warnings.
    #[pyo3(signature = (indices, values, accumulate=false))]
    fn index_put_<'py>(slf: &Bound<'py, Self>, indices: &Bound<'py, PyAny>, values: &Bound<'py, PyAny>, accumulate: bool) -> PyResult<Bound<'py, Self>> {
        let (indices, values) = index_put_args("index_put_", indices, values)?;
        let py = slf.py();
        ops::in_place_overlapping(&slf.get().inner, |t| {
            if indices.len() <= t.dim() && ops::has_internal_overlap(t) {
                user_warning(py, ops::INDEX_PUT_EXPANDED).map_err(foreign)?;
                if ops::index_put_is_masked_fill(&indices, &values, accumulate) {
                    user_warning(py, ops::MASKED_FILL_EXPANDED).map_err(foreign)?;
                }
            }
            if accumulate && ops::has_internal_overlap(t) {
                // Each value lands once in the memory its position shares with other elements.
                let positions = ops::index_put_positions(t, &indices)?;
                ops::check_index_put_dtypes(t, &values)?;
                return ops::index_put_accumulate_aliased(t, &positions, &values);
            }
            index_put_into_copy(t, &indices, &values, accumulate)
        })?;
        Ok(slf.clone())
    }

    fn __getitem__<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let (items, single_slice) = parse_key(key)?;
        wrap_tensor(py, catch_alloc_failure(|| ops::getitem(&self.inner, &items, single_slice))?)
    }

    fn __setitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let (items, _) = parse_key(key)?;
        let target = &self.inner;
        if big_int(value).is_some() {
            // PyTorch unpacks the number as a C long long, whatever the tensor's dtype.
            return Err(pyo3::exceptions::PyValueError::new_err("Overflow when unpacking long long"));
        }
        let value = match value.cast::<PyTensor>() {
            Ok(v) => v.get().inner.clone(),
            Err(_) => match scalar(value) {
                Some(s) => {
                    crate::ops::check_scalar_fits(s, target.dtype())?;
                    crate::ops::full_exact(&[], s, target.dtype())
                }
                None => {
                    return Err(PyTypeError::new_err(format!(
                        "can't assign a {} to a {}",
                        type_name(value),
                        target.dtype().legacy_type_name()
                    )))
                }
            },
        };
        if ops::has_internal_overlap(target) {
            // An expanded target: PyTorch's index_put_ / masked_fill_ deprecation warnings.
            for notice in ops::setitem_notices(target, &items, &value)? {
                user_warning(py, notice)?;
            }
        }
        Ok(catch_alloc_failure(|| ops::setitem(target, &items, &value))?)
    }

    /// Elements picked along `dim` by `index`.
    #[pyo3(signature = (*args, **kwargs))]
    fn gather<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        // sparse_grad only changes the gradient's layout in PyTorch
        let (dim, index) = dim_and_index("Tensor.gather", args, kwargs, ["dim", "index", "sparse_grad"])?;
        wrap_tensor(py, catch_alloc_failure(|| ops::gather(&self.inner, dim, &index))?)
    }

    /// A copy with `src` (or `value`) written along `dim` at `index`.
    #[pyo3(signature = (dim, index, src=None, *, value=None))]
    fn scatter<'py>(
        &self,
        py: Python<'py>,
        dim: i64,
        index: &Bound<'py, PyAny>,
        src: Option<&Bound<'py, PyAny>>,
        value: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (index, src) = (int_tensor(index)?, scatter_args(src, value, self.inner.dtype())?);
        wrap_tensor(py, catch_alloc_failure(|| ops::scatter(&self.inner, dim, &index, &src))?)
    }

    /// In-place `scatter`.
    #[pyo3(signature = (dim, index, src=None, *, value=None))]
    fn scatter_<'py>(
        slf: &Bound<'py, Self>,
        dim: i64,
        index: &Bound<'py, PyAny>,
        src: Option<&Bound<'py, PyAny>>,
        value: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let (index, source) = (int_tensor(index)?, scatter_args(src, value, slf.get().inner.dtype())?);
        catch_alloc_failure(|| ops::in_place(&slf.get().inner, |t| ops::scatter(t, dim, &index, &source)))?;
        Ok(slf.clone())
    }

    /// A copy with `src` added along `dim` at `index`.
    fn scatter_add<'py>(&self, py: Python<'py>, dim: i64, index: &Bound<'py, PyAny>, src: PyRef<'py, PyTensor>) -> PyResult<Bound<'py, PyAny>> {
        let index = int_tensor(index)?;
        wrap_tensor(py, catch_alloc_failure(|| ops::scatter_add(&self.inner, dim, &index, &src.inner))?)
    }

    /// In-place `scatter_add`.
    fn scatter_add_<'py>(slf: &Bound<'py, Self>, dim: i64, index: &Bound<'py, PyAny>, src: PyRef<'py, PyTensor>) -> PyResult<Bound<'py, Self>> {
        let (index, src) = (int_tensor(index)?, src.inner.clone());
        catch_alloc_failure(|| ops::in_place(&slf.get().inner, |t| ops::scatter_add(t, dim, &index, &src)))?;
        Ok(slf.clone())
    }

    /// The slices at `index` along `dim` (a copy).
    #[pyo3(signature = (*args, **kwargs))]
    fn index_select<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (dim, index) = dim_and_index("Tensor.index_select", args, kwargs, ["dim", "index", ""])?;
        wrap_tensor(py, catch_alloc_failure(|| ops::index_select(&self.inner, dim, &index))?)
    }

    /// A copy with the elements where `mask` is true replaced, in order, by `source`'s.
    fn masked_scatter<'py>(&self, py: Python<'py>, mask: &Bound<'py, PyAny>, source: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let (mask, source) = masked_scatter_args("masked_scatter", mask, source)?;
        wrap_tensor(py, catch_alloc_failure(|| ops::masked_scatter(&self.inner, &mask, &source))?)
    }

    /// `masked_scatter` in place (refused on expanded tensors, as PyTorch).
    fn masked_scatter_<'py>(slf: &Bound<'py, Self>, mask: &Bound<'py, PyAny>, source: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let (mask, source) = masked_scatter_args("masked_scatter_", mask, source)?;
        ops::in_place(&slf.get().inner, |t| {
            if t.dtype() == source.dtype() && mask.dtype() == DType::Bool {
                // The mask must broadcast to self, with the errors of PyTorch's internal expand.
                if mask.dim() > t.dim() {
                    return Err(crate::error::Error::runtime(format!(
                        "expand(CPU{}Type{{{}}}, size={}): the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})",
                        mask.dtype().scalar_type_name(),
                        shape_str(&mask.shape()),
                        shape_str(&t.shape()),
                        t.dim(),
                        mask.dim()
                    )));
                }
                ops::expand(&mask, &t.shape())?;
            }
            ops::masked_scatter(t, &mask, &source)
        })?;
        Ok(slf.clone())
    }

    /// The elements where `mask` (broadcast) is true, as a 1-d tensor.
    fn masked_select<'py>(&self, py: Python<'py>, mask: PyRef<'py, PyTensor>) -> PyResult<Bound<'py, PyAny>> {
        wrap_tensor(py, catch_alloc_failure(|| ops::masked_select(&self.inner, &mask.inner))?)
    }
}
