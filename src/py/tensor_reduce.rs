//! Reduction methods of `rustgrad.Tensor` beyond sum/mean: prod, max/min (with
//! `rustgrad.return_types`), amax/amin, argmax/argmin, var/std, norm, logsumexp, all/any, cumsum,
//! softmax and log_softmax.

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use crate::error::catch_alloc_failure;
use pyo3::types::{PyBool, PyString};

use super::convert::{dtype_arg, type_name};
use super::tensor::{cast_to, maybe_detach, wrap_tensor, PyTensor};
use crate::ops::{self, Extreme};
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

/// The `correction` of var/std from PyTorch's `unbiased` / `correction` arguments.
fn correction_of(unbiased: Option<bool>, correction: Option<f64>) -> PyResult<f64> {
    match (unbiased, correction) {
        (Some(_), Some(_)) => Err(PyTypeError::new_err(
            "var() received an invalid combination of arguments - got both 'unbiased' and 'correction'",
        )),
        (Some(u), None) => Ok(if u { 1.0 } else { 0.0 }),
        (None, Some(c)) => Ok(c),
        (None, None) => Ok(1.0),
    }
}

impl PyTensor {
    fn extreme<'py>(&self, py: Python<'py>, which: Extreme, dim: Option<&Bound<'py, PyAny>>, keepdim: bool) -> PyResult<Bound<'py, PyAny>> {
        let t = self.inner.clone();
        let name = if which == Extreme::Max { "max" } else { "min" };
        match dim.filter(|d| !d.is_none()) {
            None => wrap_tensor(py, maybe_detach(py, t.numel(), move || ops::extreme_all(which, &t))?),
            Some(d) => {
                let d = one_dim(name, d)?;
                let (values, indices) = maybe_detach(py, t.numel(), move || ops::extreme_dim(which, &t, d, keepdim))?;
                return_type(py, name, values, indices)
            }
        }
    }

    fn var_std<'py>(
        &self,
        py: Python<'py>,
        dim: Option<&Bound<'py, PyAny>>,
        unbiased: Option<bool>,
        keepdim: bool,
        correction: Option<f64>,
        root: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        // `var(False)`: a lone bool is `unbiased`.
        let (dim, unbiased) = match dim {
            Some(d) if d.is_instance_of::<PyBool>() && unbiased.is_none() => (None, Some(d.extract::<bool>()?)),
            _ => (dim, unbiased),
        };
        let dims = dims_of(dim)?;
        let correction = correction_of(unbiased, correction)?;
        let t = self.inner.clone();
        let out = maybe_detach(py, t.numel(), move || ops::var_std(&t, dims.as_deref(), correction, keepdim, root))?;
        wrap_tensor(py, out)
    }
}

#[pymethods]
impl PyTensor {
    /// Product of all elements, or over `dim`.
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn prod<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, keepdim: bool, dtype: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        if dim.is_some_and(|d| !d.is_none() && d.extract::<i64>().is_err()) {
            return Err(PyTypeError::new_err(format!(
                "prod() received an invalid combination of arguments - got ({}), but expected one of:\n * (*, rustgrad.dtype dtype = None)\n * (int dim, bool keepdim = False, *, rustgrad.dtype dtype = None)\n",
                type_name(dim.expect("checked"))
            )));
        }
        let dim = dim.filter(|d| !d.is_none()).map(|d| one_dim("prod", d)).transpose()?;
        // `dtype`: the input is cast first and the product kept in that type (int32, bool)
        let dtype = dtype_arg(dtype)?;
        let t = cast_to(&self.inner, dtype)?;
        let out = maybe_detach(py, t.numel(), move || ops::prod(&t, dim, keepdim))?;
        wrap_tensor(py, cast_to(&out, dtype)?)
    }

    /// The largest element, or `(values, indices)` of the largest along `dim`.
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn max<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, keepdim: bool) -> PyResult<Bound<'py, PyAny>> {
        self.extreme(py, Extreme::Max, dim, keepdim)
    }

    /// The smallest element, or `(values, indices)` of the smallest along `dim`.
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn min<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, keepdim: bool) -> PyResult<Bound<'py, PyAny>> {
        self.extreme(py, Extreme::Min, dim, keepdim)
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
    #[pyo3(signature = (dim=None, unbiased=None, keepdim=false, *, correction=None))]
    fn var<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, unbiased: Option<bool>, keepdim: bool, correction: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        self.var_std(py, dim, unbiased, keepdim, correction, false)
    }

    /// Standard deviation over `dim` (all dims by default).
    #[pyo3(signature = (dim=None, unbiased=None, keepdim=false, *, correction=None))]
    fn std<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, unbiased: Option<bool>, keepdim: bool, correction: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        self.var_std(py, dim, unbiased, keepdim, correction, true)
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
            Some(p) => p.extract::<f64>()?,
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
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn all<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, keepdim: bool) -> PyResult<Bound<'py, PyAny>> {
        let dims = dims_of(dim)?;
        wrap_tensor(py, catch_alloc_failure(|| ops::all_any(&self.inner, dims.as_deref(), keepdim, false))?)
    }

    /// True when some element is nonzero (over `dim` when given).
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn any<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, keepdim: bool) -> PyResult<Bound<'py, PyAny>> {
        let dims = dims_of(dim)?;
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
