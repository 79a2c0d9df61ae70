//! `index_fill(_)`, `index_copy(_)`, `index_add(_)`, `put(_)`, `take`, `fill_diagonal_`: argument
//! parsing with PyTorch's TypeErrors; the semantics live in `ops::index_ops`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use crate::error::catch_alloc_failure;

use super::convert::{checked_scalar, scalar, type_name};
use super::error::foreign;
use super::tensor::{maybe_detach, user_warning, wrap_tensor, PyTensor};
use crate::ops::{self, FillValue};
use crate::tensor::{DType, Scalar, Tensor};

/// PyTorch's warning for `index_fill_` on an expanded tensor.
const INDEX_FILL_EXPANDED: &str = "Use of index_fill_ on expanded tensors is deprecated. Please clone() the tensor before performing this operation. This also applies to advanced indexing e.g. tensor[mask] = scalar";

/// A tensor argument, with the arg parser's TypeError otherwise.
fn tensor_arg(obj: &Bound<'_, PyAny>, method: &str, name: &str, position: usize) -> PyResult<Tensor> {
    obj.cast::<PyTensor>().map(|t| t.get().inner.clone()).map_err(|_| {
        PyTypeError::new_err(format!("{method}(): argument '{name}' (position {position}) must be Tensor, not {}", type_name(obj)))
    })
}

/// How PyTorch's arg parser describes an argument's type in its overload errors.
fn describe(obj: &Bound<'_, PyAny>) -> String {
    if obj.cast::<PyTensor>().is_ok() {
        return "Tensor".into();
    }
    if let Ok(list) = obj.cast::<pyo3::types::PyList>() {
        let mut kinds: Vec<String> = list.iter().map(|i| type_name(&i)).collect();
        kinds.dedup();
        return format!("list of [{}]", kinds.join(", "));
    }
    type_name(obj)
}

/// `index_fill`'s `(index, value)`: a tensor index and a number or tensor value, else PyTorch's
/// overload error.
fn index_fill_args(method: &str, dtype: DType, dim: &Bound<'_, PyAny>, index: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<(i64, Tensor, FillValue)> {
    let fill = match value.cast::<PyTensor>() {
        Ok(v) => Some(FillValue::Tensor(v.get().inner.clone())),
        Err(_) => checked_scalar(value, Some(dtype))?.map(FillValue::Number),
    };
    let index_tensor = index.cast::<PyTensor>().ok().map(|t| t.get().inner.clone());
    let dim_value = dim.extract::<i64>().ok().filter(|_| !dim.is_instance_of::<pyo3::types::PyFloat>());
    match (dim_value, index_tensor, fill) {
        (Some(d), Some(i), Some(f)) => Ok((d, i, f)),
        (d, i, _) => {
            let got = [describe(dim), describe(index), describe(value)];
            let mark = |ok: bool, s: &str| if ok { s.to_string() } else { format!("!{s}!") };
            let is_tensor = value.cast::<PyTensor>().is_ok();
            let line = |value_ok: bool| {
                format!("({}, {}, {})", mark(d.is_some(), &got[0]), mark(i.is_some(), &got[1]), mark(value_ok, &got[2]))
            };
            Err(PyTypeError::new_err(format!(
                "{method}() received an invalid combination of arguments - got ({}), but expected one of:\n * (int dim, Tensor index, Tensor value)\n      didn't match because some of the arguments have invalid types: {}\n * (int dim, Tensor index, Number value)\n      didn't match because some of the arguments have invalid types: {}\n",
                got.join(", "),
                line(is_tensor),
                line(scalar(value).is_some()),
            )))
        }
    }
}

/// A number argument (a Python number or a 0-d tensor's item), as PyTorch's `Scalar` arguments.
fn number_arg(obj: &Bound<'_, PyAny>, dtype: DType, method: &str, name: &str) -> PyResult<Scalar> {
    if let Some(s) = checked_scalar(obj, Some(dtype))? {
        return Ok(s);
    }
    if let Ok(t) = obj.cast::<PyTensor>() {
        let t = &t.get().inner;
        if t.numel() == 1 {
            let v = t.item_f64()?;
            return Ok(match t.dtype() {
                DType::Bool => Scalar::Bool(v != 0.0),
                DType::U8 | DType::I32 | DType::I64 => Scalar::Int(v as i64),
                _ => Scalar::Float(v),
            });
        }
    }
    Err(PyTypeError::new_err(format!("{method}(): argument '{name}' must be Number, not {}", type_name(obj))))
}

#[pymethods]
impl PyTensor {
    /// A copy with the slices at `index` along `dim` set to `value` (a number or a 0-d tensor).
    fn index_fill<'py>(&self, py: Python<'py>, dim: &Bound<'py, PyAny>, index: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let (dim, index, value) = index_fill_args("index_fill", self.inner.dtype(), dim, index, value)?;
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::index_fill(&t, dim, &index, &value))?)
    }

    /// `index_fill` in place (allowed on expanded tensors, with PyTorch's deprecation warning).
    fn index_fill_<'py>(slf: &Bound<'py, Self>, dim: &Bound<'py, PyAny>, index: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let (dim, index, value) = index_fill_args("index_fill_", slf.get().inner.dtype(), dim, index, value)?;
        let py = slf.py();
        ops::in_place_overlapping(&slf.get().inner, |t| {
            ops::check_index_fill_args(&index, &value)?;
            if ops::has_internal_overlap(t) {
                user_warning(py, INDEX_FILL_EXPANDED).map_err(foreign)?;
            }
            ops::index_fill(t, dim, &index, &value)
        })?;
        Ok(slf.clone())
    }

    /// A copy with `source`'s slices along `dim` written at `index`.
    fn index_copy<'py>(&self, py: Python<'py>, dim: i64, index: &Bound<'py, PyAny>, source: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let (index, source) = (tensor_arg(index, "index_copy", "index", 2)?, tensor_arg(source, "index_copy", "source", 3)?);
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::index_copy(&t, dim, &index, &source))?)
    }

    /// `index_copy` in place (refused on expanded tensors).
    fn index_copy_<'py>(slf: &Bound<'py, Self>, dim: i64, index: &Bound<'py, PyAny>, source: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let (index, source) = (tensor_arg(index, "index_copy_", "index", 2)?, tensor_arg(source, "index_copy_", "source", 3)?);
        catch_alloc_failure(|| ops::in_place(&slf.get().inner, |t| ops::index_copy(t, dim, &index, &source)))?;
        Ok(slf.clone())
    }

    /// A copy with `alpha * source`'s slices along `dim` added at `index`.
    #[pyo3(signature = (dim, index, source, *, alpha=None))]
    fn index_add<'py>(
        &self,
        py: Python<'py>,
        dim: i64,
        index: &Bound<'py, PyAny>,
        source: &Bound<'py, PyAny>,
        alpha: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (index, source) = (tensor_arg(index, "index_add", "index", 2)?, tensor_arg(source, "index_add", "source", 3)?);
        let alpha = match alpha {
            Some(a) => number_arg(a, self.inner.dtype(), "index_add", "alpha")?,
            None => Scalar::Int(1),
        };
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::index_add(&t, dim, &index, &source, alpha))?)
    }

    /// `index_add` in place (refused on expanded tensors).
    #[pyo3(signature = (dim, index, source, *, alpha=None))]
    fn index_add_<'py>(
        slf: &Bound<'py, Self>,
        dim: i64,
        index: &Bound<'py, PyAny>,
        source: &Bound<'py, PyAny>,
        alpha: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let (index, source) = (tensor_arg(index, "index_add_", "index", 2)?, tensor_arg(source, "index_add_", "source", 3)?);
        let alpha = match alpha {
            Some(a) => number_arg(a, slf.get().inner.dtype(), "index_add_", "alpha")?,
            None => Scalar::Int(1),
        };
        catch_alloc_failure(|| ops::in_place(&slf.get().inner, |t| ops::index_add(t, dim, &index, &source, alpha)))?;
        Ok(slf.clone())
    }

    /// A copy with `source`'s elements written (or added) at the flat positions `index`.
    #[pyo3(signature = (index, source, accumulate=false))]
    fn put<'py>(&self, py: Python<'py>, index: &Bound<'py, PyAny>, source: &Bound<'py, PyAny>, accumulate: bool) -> PyResult<Bound<'py, PyAny>> {
        let (index, source) = (tensor_arg(index, "put", "index", 1)?, tensor_arg(source, "put", "source", 2)?);
        wrap_tensor(py, catch_alloc_failure(|| ops::put(&self.inner, &index, &source, accumulate))?)
    }

    /// `put` in place (refused on expanded tensors).
    #[pyo3(signature = (index, source, accumulate=false))]
    fn put_<'py>(slf: &Bound<'py, Self>, index: &Bound<'py, PyAny>, source: &Bound<'py, PyAny>, accumulate: bool) -> PyResult<Bound<'py, Self>> {
        let (index, source) = (tensor_arg(index, "put_", "index", 1)?, tensor_arg(source, "put_", "source", 2)?);
        catch_alloc_failure(|| ops::in_place(&slf.get().inner, |t| ops::put(t, &index, &source, accumulate)))?;
        Ok(slf.clone())
    }

    /// The elements at the flat (row-major) positions `index`, shaped as `index`.
    fn take<'py>(&self, py: Python<'py>, index: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let index = tensor_arg(index, "take", "index", 1)?;
        wrap_tensor(py, catch_alloc_failure(|| ops::take(&self.inner, &index))?)
    }

    /// Fills the main diagonal (all coordinates equal) in place; `wrap` restarts it every
    /// `width + 1` rows of a tall matrix.
    #[pyo3(signature = (fill_value, wrap=false))]
    fn fill_diagonal_<'py>(slf: &Bound<'py, Self>, fill_value: &Bound<'py, PyAny>, wrap: bool) -> PyResult<Bound<'py, Self>> {
        let value = number_arg(fill_value, slf.get().inner.dtype(), "fill_diagonal_", "fill_value")?;
        let t = slf.get().inner.clone();
        if t.dim() >= 2 {
            ops::check_scalar_fits(value, t.dtype())?;
        }
        catch_alloc_failure(|| ops::fill_diagonal_(&t, value, wrap))?;
        Ok(slf.clone())
    }
}
