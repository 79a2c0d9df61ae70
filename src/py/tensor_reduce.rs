//! Reduction methods of `rustgrad.Tensor` beyond sum/mean: prod, max/min (with
//! `rustgrad.return_types`), amax/amin, argmax/argmin, var/std, norm, logsumexp, all/any, cumsum,
//! softmax and log_softmax.

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use crate::error::catch_alloc_failure;
use pyo3::types::{PyBool, PyDict, PyFloat, PyString, PyTuple};

use super::argparse::{self, plain_bool, plain_int};

use super::convert::{dtype_arg, type_name};
use super::tensor::{cast_to, maybe_detach, wrap_tensor, PyTensor};
use crate::ops::{self, Extreme, Extremum};
use crate::tensor::{DType, Tensor};

/// Dims from `None`, an int, or a sequence of ints.
fn dims_of(dim: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<i64>>> {
    match dim {
        None => Ok(None),
        Some(d) if d.is_none() => Ok(None),
        Some(d) => match d.extract::<i64>() {
            Ok(i) if !d.is_instance_of::<PyBool>() => Ok(Some(vec![i])),
            _ => Ok(Some(d.extract::<Vec<i64>>()?)),
        },
    }
}

/// `(dims, keepdim)` of all/any: plain ints and bools directly, anything else through PyTorch's
/// parser (its errors).
fn all_any_args(key: &str, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<(Option<Vec<i64>>, bool)> {
    if let Some([dim, keepdim]) = argparse::slots(args, kwargs, ["dim", "keepdim"], 2) {
        let keep = match &keepdim {
            None => Some(false),
            Some(k) => plain_bool(k),
        };
        if let (Ok(dims), Some(keep)) = (dims_of(dim.as_ref()), keep) {
            return Ok((dims, keep));
        }
    }
    let bound = argparse::bind(key, args, kwargs)?;
    Ok((bound.ints("dim")?, bound.flag("keepdim", false)?))
}

/// An int dim (PyTorch rejects tuples where one dim is expected).
fn one_dim(op: &str, dim: &Bound<'_, PyAny>) -> PyResult<i64> {
    if dim.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!("{op}(): argument 'dim' (position 1) must be int, not bool")));
    }
    dim.extract::<i64>()
        .map_err(|_| PyTypeError::new_err(format!("{op}(): argument 'dim' (position 1) must be int, not {}", type_name(dim))))
}

/// The required `dim` argument, with PyTorch's message when it is missing.
fn required_dim<'a, 'py>(op: &str, dim: Option<&'a Bound<'py, PyAny>>) -> PyResult<&'a Bound<'py, PyAny>> {
    dim.ok_or_else(|| PyTypeError::new_err(format!("{op}() missing 1 required positional arguments: \"dim\"")))
}

/// `rustgrad.return_types.<name>(values, indices)`.
fn return_type<'py>(py: Python<'py>, name: &str, values: Tensor, indices: Tensor) -> PyResult<Bound<'py, PyAny>> {
    static MODULE: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    let module = super::tensor::cached_attr(py, &MODULE, "rustgrad", "return_types")?;
    let cls = module.getattr(name)?;
    cls.call1(((wrap_tensor(py, values)?, wrap_tensor(py, indices)?),))
}

impl PyTensor {
    fn extreme<'py>(&self, py: Python<'py>, which: Extreme, dim: Option<i64>, keepdim: bool) -> PyResult<Bound<'py, PyAny>> {
        let t = self.inner.clone();
        let name = if which == Extreme::Max { "max" } else { "min" };
        match dim {
            None => wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::extreme_all(which, &t))?),
            Some(d) => {
                let (values, indices) = maybe_detach(py, t.numel(), move || ops::extreme_dim(which, &t, d, keepdim))?;
                return_type(py, name, values, indices)
            }
        }
    }

    /// `max`/`min`: `()`, `(Tensor other)` or `(int dim, bool keepdim=False)`; the common
    /// spellings skip the parser.
    fn extreme_overloads<'py>(&self, py: Python<'py>, which: Extreme, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let elementwise = |other: &Bound<'py, PyAny>| {
            let other = other.cast::<PyTensor>()?.get().inner.clone();
            let op = if which == Extreme::Max { Extremum::Max } else { Extremum::Min };
            let t = self.inner.clone();
            wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::extremum(op, &t, &other))?)
        };
        if args.len() == 1 && kwargs.is_none_or(|k| k.is_empty()) {
            let first = args.get_item(0)?;
            if first.cast::<PyTensor>().is_ok() {
                return elementwise(&first);
            }
        }
        if let Some((dim, keepdim)) = argparse::dim_keepdim_fast(args, kwargs) {
            return self.extreme(py, which, dim, keepdim);
        }
        let key = if which == Extreme::Max { "Tensor.max" } else { "Tensor.min" };
        let bound = argparse::bind(key, args, kwargs)?;
        if let Some(other) = bound.get("other") {
            return elementwise(other);
        }
        let dim = bound.get("dim").map(|d| d.extract::<i64>()).transpose()?;
        self.extreme(py, which, dim, bound.flag("keepdim", false)?)
    }

    /// var/std: `(dim, unbiased=True, keepdim=False)`, `(dim=None, *, correction=None,
    /// keepdim=False)` or `(unbiased=True)`; the common spellings skip the parser.
    fn var_std<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>, root: bool) -> PyResult<Bound<'py, PyAny>> {
        let fast = argparse::slots(args, kwargs, ["dim", "unbiased", "keepdim", "correction"], 3).and_then(|[d, u, k, c]| {
            let lone = args.len() == 1 && kwargs.is_none_or(|k| k.is_empty());
            // `var(False)`: a lone bool is `unbiased`
            if let (true, Some(b)) = (lone, d.as_ref().and_then(plain_bool)) {
                return Some((None, if b { 1.0 } else { 0.0 }, false));
            }
            let dims = match d {
                None => None,
                Some(d) => match plain_int(&d) {
                    Some(i) => Some(vec![i]),
                    None if argparse::is_sequence(&d) => Some(argparse::items(&d).iter().map(plain_int).collect::<Option<Vec<i64>>>()?),
                    None => return None,
                },
            };
            let keepdim = k.map_or(Some(false), |k| plain_bool(&k))?;
            let correction = match (u, c) {
                (None, None) => 1.0,
                (Some(u), None) => if plain_bool(&u)? { 1.0 } else { 0.0 },
                (None, Some(c)) if c.is_instance_of::<PyFloat>() || plain_int(&c).is_some() => c.extract::<f64>().ok()?,
                _ => return None,
            };
            Some((dims, correction, keepdim))
        });
        let (dims, correction, keepdim) = match fast {
            Some(f) => f,
            None => {
                let bound = argparse::bind(if root { "Tensor.std" } else { "Tensor.var" }, args, kwargs)?;
                let correction = match (bound.get("unbiased"), bound.get("correction")) {
                    (Some(u), _) => if u.extract::<bool>()? { 1.0 } else { 0.0 },
                    (None, Some(c)) => c.extract::<f64>()?,
                    (None, None) => 1.0,
                };
                (bound.ints("dim")?, correction, bound.flag("keepdim", false)?)
            }
        };
        let t = self.inner.clone();
        let out = maybe_detach(py, t.numel(), move || ops::var_std(&t, dims.as_deref(), correction, keepdim, root))?;
        wrap_tensor(py, out)
    }
}

#[pymethods]
impl PyTensor {
    /// Product of all elements, or over `dim`.
    #[pyo3(signature = (*args, **kwargs))]
    fn prod<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (dim, keepdim, [dtype]) = argparse::dim_keepdim("Tensor.prod", args, kwargs, ["dtype"])?;
        // `dtype`: the input is cast first and the product kept in that type (int32, bool)
        let dtype = dtype_arg(dtype.as_ref())?;
        let t = cast_to(&self.inner, dtype)?;
        let out = maybe_detach(py, t.numel(), move || ops::prod(&t, dim, keepdim))?;
        wrap_tensor(py, cast_to(&out, dtype)?)
    }

    /// The largest element, `(values, indices)` of the largest along `dim`, or the elementwise
    /// maximum with a tensor `other` (PyTorch's `max(Tensor other)` overload).
    #[pyo3(signature = (*args, **kwargs))]
    fn max<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.extreme_overloads(py, Extreme::Max, args, kwargs)
    }

    /// The smallest element, `(values, indices)` of the smallest along `dim`, or the elementwise
    /// minimum with a tensor `other`.
    #[pyo3(signature = (*args, **kwargs))]
    fn min<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.extreme_overloads(py, Extreme::Min, args, kwargs)
    }

    /// The largest values over `dim` (all dims when empty).
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn amax<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, keepdim: bool) -> PyResult<Bound<'py, PyAny>> {
        let dims = dims_of(dim)?.unwrap_or_default();
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::amax_amin(Extreme::Max, &t, &dims, keepdim))?)
    }

    /// The smallest values over `dim` (all dims when empty).
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn amin<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, keepdim: bool) -> PyResult<Bound<'py, PyAny>> {
        let dims = dims_of(dim)?.unwrap_or_default();
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::amax_amin(Extreme::Min, &t, &dims, keepdim))?)
    }

    /// Index of the largest element (of the flattened tensor without `dim`).
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn argmax<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, keepdim: bool) -> PyResult<Bound<'py, PyAny>> {
        let dim = dim.filter(|d| !d.is_none()).map(|d| one_dim("argmax", d)).transpose()?;
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::arg_extreme(Extreme::Max, &t, dim, keepdim))?)
    }

    /// Index of the smallest element (of the flattened tensor without `dim`).
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn argmin<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, keepdim: bool) -> PyResult<Bound<'py, PyAny>> {
        let dim = dim.filter(|d| !d.is_none()).map(|d| one_dim("argmin", d)).transpose()?;
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::arg_extreme(Extreme::Min, &t, dim, keepdim))?)
    }

    /// Variance over `dim` (all dims by default), with Bessel's correction unless told otherwise.
    #[pyo3(signature = (*args, **kwargs))]
    fn var<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.var_std(py, args, kwargs, false)
    }

    /// Standard deviation over `dim` (all dims by default).
    #[pyo3(signature = (*args, **kwargs))]
    fn std<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.var_std(py, args, kwargs, true)
    }

    /// The vector p-norm over `dim` (all elements by default): p a number, `inf`, or `'fro'`.
    #[pyo3(signature = (p=None, dim=None, keepdim=false, dtype=None))]
    fn norm<'py>(
        &self,
        py: Python<'py>,
        p: Option<&Bound<'py, PyAny>>,
        dim: Option<&Bound<'py, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ord = match p.filter(|p| !p.is_none()) {
            None => 2.0,
            Some(p) if p.is_instance_of::<PyString>() => match p.extract::<String>()?.as_str() {
                "fro" => 2.0,
                other => return Err(PyRuntimeError::new_err(format!("rustgrad.norm: the '{other}' norm of a matrix is not supported"))),
            },
            Some(p) => match super::convert::scalar(p) {
                Some(s) => s.to_f64(),
                // PyTorch's norm calls linalg_vector_norm, whose parser takes 0-d tensors
                None if p.is_instance_of::<pyo3::types::PyComplex>() => {
                    return Err(PyRuntimeError::new_err("linalg.vector_norm: Expected a non-complex scalar as the order of norm."))
                }
                None => match p.cast::<PyTensor>() {
                    Ok(t) if t.get().inner.dim() == 0 && !t.get().inner.requires_grad() => t.get().inner.item_f64()?,
                    _ => {
                        return Err(PyTypeError::new_err(format!(
                            "linalg_vector_norm(): argument 'ord' (position 2) must be Number, not {}",
                            type_name(p)
                        )))
                    }
                },
            },
        };
        let dims = dims_of(dim)?;
        let t = match dtype_arg(dtype)? {
            Some(d) if d != self.inner.dtype() => catch_alloc_failure(|| ops::to_dtype(&self.inner, d))?,
            _ => self.inner.clone(),
        };
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::vector_norm(&t, ord, dims.as_deref(), keepdim))?)
    }

    /// `log(sum(exp(self), dim))`, computed stably.
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn logsumexp<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, keepdim: bool) -> PyResult<Bound<'py, PyAny>> {
        let dims = dims_of(Some(required_dim("logsumexp", dim)?))?.unwrap_or_default();
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::logsumexp(&t, &dims, keepdim))?)
    }

    /// True when every element is nonzero (over `dim` when given).
    #[pyo3(signature = (*args, **kwargs))]
    fn all<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (dims, keepdim) = all_any_args("Tensor.all", args, kwargs)?;
        wrap_tensor(py, catch_alloc_failure(|| ops::all_any(&self.inner, dims.as_deref(), keepdim, false))?)
    }

    /// True when some element is nonzero (over `dim` when given).
    #[pyo3(signature = (*args, **kwargs))]
    fn any<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (dims, keepdim) = all_any_args("Tensor.any", args, kwargs)?;
        wrap_tensor(py, catch_alloc_failure(|| ops::all_any(&self.inner, dims.as_deref(), keepdim, true))?)
    }

    /// Running sums along `dim`.
    #[pyo3(signature = (dim=None, *, dtype=None))]
    fn cumsum<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, dtype: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let dim = one_dim("cumsum", required_dim("cumsum", dim)?)?;
        let dtype = dtype_arg(dtype)?;
        if dtype == Some(DType::Bool) {
            return Err(crate::Error::NotImplemented("\"cumsum_out_cpu\" not implemented for 'Bool'".into()).into());
        }
        let t = cast_to(&self.inner, dtype)?;
        let out = maybe_detach(py, t.numel(), move || ops::cumsum(&t, dim))?;
        wrap_tensor(py, cast_to(&out, dtype)?)
    }

    /// `exp(self) / sum(exp(self), dim)`, computed stably.
    #[pyo3(signature = (dim=None, dtype=None))]
    fn softmax<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, dtype: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let dim = one_dim("softmax", required_dim("softmax", dim)?)?;
        let dtype: Option<DType> = dtype_arg(dtype)?;
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::softmax(&t, dim, false, dtype))?)
    }

    /// `log(softmax(self, dim))`, computed stably.
    #[pyo3(signature = (dim=None, dtype=None))]
    fn log_softmax<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, dtype: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let dim = one_dim("log_softmax", required_dim("log_softmax", dim)?)?;
        let dtype: Option<DType> = dtype_arg(dtype)?;
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::softmax(&t, dim, true, dtype))?)
    }
}
