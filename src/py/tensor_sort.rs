//! Ordering methods of `rustgrad.Tensor`: sort / argsort / msort, topk, kthvalue, median,
//! cumprod, cummax / cummin (with `rustgrad.return_types`), and the function
//! `rustgrad.rsub`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyTuple};

use super::convert::{alpha_arg, dtype_arg, type_name};
use super::tensor::{cast_to, maybe_detach, wrap_tensor, PyTensor};
use crate::ops::{self, Arith};
use crate::tensor::{DType, Tensor};

/// `rustgrad.return_types.<name>(values, indices)`.
fn return_type<'py>(py: Python<'py>, name: &str, values: Tensor, indices: Tensor) -> PyResult<Bound<'py, PyAny>> {
    static MODULE: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    let module = super::tensor::cached_attr(py, &MODULE, "rustgrad", "return_types")?;
    module.getattr(name)?.call1(((wrap_tensor(py, values)?, wrap_tensor(py, indices)?),))
}

/// An int argument (bools refused, as PyTorch's parser does), with PyTorch's TypeError.
fn int_arg(op: &str, name: &str, position: usize, obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{op}(): argument '{name}' (position {position}) must be int, not {}",
            type_name(obj)
        )));
    }
    obj.extract::<i64>()
}

/// A bool argument given as `stable=` (None: False).
fn stable_arg(stable: Option<&Bound<'_, PyAny>>) -> PyResult<Option<bool>> {
    match stable {
        None => Ok(None),
        Some(s) if s.is_none() => Ok(Some(false)),
        Some(s) => Ok(Some(s.extract::<bool>()?)),
    }
}

impl PyTensor {
    fn sorted<'py>(&self, py: Python<'py>, dim: i64, descending: bool, stable: Option<bool>) -> PyResult<(Tensor, Tensor)> {
        let t = self.inner.clone();
        Ok(maybe_detach(py, t.numel(), move || ops::sort(&t, dim, descending, stable))?)
    }

    fn cum_extreme<'py>(&self, py: Python<'py>, dim: &Bound<'py, PyAny>, max: bool) -> PyResult<Bound<'py, PyAny>> {
        let name = if max { "cummax" } else { "cummin" };
        let dim = int_arg(name, "dim", 1, dim)?;
        let t = self.inner.clone();
        let (values, indices) = maybe_detach(py, t.numel(), move || ops::cum_extreme(&t, dim, max))?;
        return_type(py, name, values, indices)
    }
}

#[pymethods]
impl PyTensor {
    /// `(values, indices)` of the elements sorted along `dim` (NaN last; equal elements keep
    /// their order).
    #[pyo3(signature = (dim=-1, descending=false, *, stable=None))]
    fn sort<'py>(&self, py: Python<'py>, dim: i64, descending: bool, stable: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let (values, indices) = self.sorted(py, dim, descending, stable_arg(stable)?)?;
        return_type(py, "sort", values, indices)
    }

    /// The indices that sort the elements along `dim`.
    #[pyo3(signature = (*args, **kwargs))]
    fn argsort<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        // the sort is always stable: `stable` only picks PyTorch's overload
        let fast = super::argparse::slots(args, kwargs, ["dim", "descending", "stable"], 2).and_then(|[d, desc, stable]| {
            let dim = d.map_or(Some(-1), |d| super::argparse::plain_int(&d))?;
            let descending = desc.map_or(Some(false), |b| super::argparse::plain_bool(&b))?;
            stable.map_or(Some(false), |b| super::argparse::plain_bool(&b))?;
            Some((dim, descending))
        });
        let (dim, descending) = match fast {
            Some(f) => f,
            None => {
                let bound = super::argparse::bind("Tensor.argsort", args, kwargs)?;
                (bound.get("dim").map_or(Ok(-1), |d| d.extract::<i64>())?, bound.flag("descending", false)?)
            }
        };
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::argsort(&t, dim, descending))?)
    }

    /// The elements sorted along the first dim (`sort(dim=0).values`).
    fn msort<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        wrap_tensor(py, self.sorted(py, 0, false, None)?.0)
    }

    /// `(values, indices)` of the `k` largest (or smallest) elements along `dim`.
    #[pyo3(signature = (k, dim=-1, largest=true, sorted=true))]
    fn topk<'py>(&self, py: Python<'py>, k: &Bound<'py, PyAny>, dim: i64, largest: bool, sorted: bool) -> PyResult<Bound<'py, PyAny>> {
        let k = int_arg("topk", "k", 1, k)?;
        let t = self.inner.clone();
        let (values, indices) = maybe_detach(py, t.numel(), move || ops::topk(&t, k, dim, largest, sorted))?;
        return_type(py, "topk", values, indices)
    }

    /// `(values, indices)` of the `k`-th smallest element along `dim`.
    #[pyo3(signature = (k, dim=-1, keepdim=false))]
    fn kthvalue<'py>(&self, py: Python<'py>, k: &Bound<'py, PyAny>, dim: i64, keepdim: bool) -> PyResult<Bound<'py, PyAny>> {
        let k = int_arg("kthvalue", "k", 1, k)?;
        let t = self.inner.clone();
        let (values, indices) = maybe_detach(py, t.numel(), move || ops::kthvalue(&t, k, dim, keepdim))?;
        return_type(py, "kthvalue", values, indices)
    }

    /// The lower median of all elements, or `(values, indices)` of the medians along `dim`.
    #[pyo3(signature = (*args, **kwargs))]
    fn median<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let t = self.inner.clone();
        let (dim, keepdim, []) = super::argparse::dim_keepdim("Tensor.median", args, kwargs, [])?;
        match dim {
            None => wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::median_all(&t))?),
            Some(d) => {
                let (values, indices) = maybe_detach(py, t.numel(), move || ops::median_dim(&t, d, keepdim))?;
                return_type(py, "median", values, indices)
            }
        }
    }

    /// Running products along `dim` (ints and bools give int64; `dtype` casts the input first).
    #[pyo3(signature = (dim=None, *, dtype=None))]
    fn cumprod<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, dtype: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let dim = dim.ok_or_else(|| PyTypeError::new_err("cumprod() missing 1 required positional arguments: \"dim\""))?;
        let dim = int_arg("cumprod", "dim", 1, dim)?;
        let dtype = dtype_arg(dtype)?;
        if dtype == Some(DType::Bool) {
            return Err(crate::Error::not_implemented("\"cumprod_out_cpu\" not implemented for 'Bool'").into());
        }
        let t = cast_to(&self.inner, dtype)?;
        let out = maybe_detach(py, t.numel(), move || ops::cumprod(&t, dim))?;
        wrap_tensor(py, cast_to(&out, dtype)?)
    }

    /// `(values, indices)` of the running maxima along `dim`.
    fn cummax<'py>(&self, py: Python<'py>, dim: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.cum_extreme(py, dim, true)
    }

    /// `(values, indices)` of the running minima along `dim`.
    fn cummin<'py>(&self, py: Python<'py>, dim: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.cum_extreme(py, dim, false)
    }
}

/// `rustgrad.rsub(input, other, alpha=1)`: `other - alpha * input` (RsubBackward0, or
/// RsubBackward1 for a number `other`).
#[pyfunction]
#[pyo3(signature = (*args, **kwargs))]
fn rsub<'py>(py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
    let plain = args.len() == 2 && kwargs.is_none_or(|k| k.is_empty()) && args.get_item(0)?.cast::<PyTensor>().is_ok();
    let bound;
    let (input, other, alpha) = if plain {
        (args.get_item(0)?, args.get_item(1)?, None)
    } else {
        bound = super::argparse::bind("rsub", args, kwargs)?;
        let input = bound.get("input").cloned().ok_or_else(|| PyTypeError::new_err("rsub(): missing input"))?;
        let other = bound.get("other").cloned().ok_or_else(|| PyTypeError::new_err("rsub(): missing other"))?;
        (input, other, bound.get("alpha").cloned())
    };
    let a = input.cast::<PyTensor>()?.get().inner.clone();
    let is_number = other.cast::<PyTensor>().is_err();
    let other = PyTensor::in_place_operand(&other, a.dtype())?;
    let alpha = alpha_arg(alpha.as_ref(), "rsub", ops::result_dtype(Arith::Sub, &other, &a))?;
    wrap_tensor(py, maybe_detach(py, a.numel().max(other.numel()), move || ops::rsub(&a, &other, alpha, is_number))?)
}

/// Adds the module-level functions of this file to `rustgrad._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rsub, m)?)
}
