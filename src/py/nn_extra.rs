//! Bindings of the special functions (`isnan`, `nan_to_num`, `logit`, `erfinv`, `erfc`, `exp2`,
//! `sinc`, `xlogy`) as `Tensor` methods, and of the extra activations and group norm as private
//! module functions behind `rustgrad.nn.functional` (argument checks PyTorch makes in Python live
//! there).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::convert::{scalar, type_name};
use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::error::Result;
use crate::ops::{self, FloatClass};
use crate::tensor::Tensor;

type T<'py> = PyRef<'py, PyTensor>;

pub(super) fn apply<'py>(py: Python<'py>, t: &Tensor, f: impl FnOnce(&Tensor) -> Result<Tensor> + Send) -> PyResult<Bound<'py, PyAny>> {
    let t = t.clone();
    let out = maybe_detach(py, t.numel(), move || f(&t))?;
    wrap_tensor(py, out)
}

/// Runs an in-place op and returns `input` itself.
pub(super) fn in_place<'py>(input: &Bound<'py, PyTensor>, f: impl FnOnce(&Tensor) -> Result<()> + Send) -> PyResult<Bound<'py, PyTensor>> {
    let target = input.get().inner.clone();
    maybe_detach(input.py(), target.numel(), move || f(&target))?;
    Ok(input.clone())
}

#[pymethods]
impl PyTensor {
    /// True where NaN.
    fn isnan<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, |t| ops::classify(t, FloatClass::Nan))
    }
    /// True where +inf or -inf.
    fn isinf<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, |t| ops::classify(t, FloatClass::Inf))
    }
    /// True where neither NaN nor infinite.
    fn isfinite<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, |t| ops::classify(t, FloatClass::Finite))
    }
    /// True where +inf.
    fn isposinf<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, |t| ops::classify(t, FloatClass::PosInf))
    }
    /// True where -inf.
    fn isneginf<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, |t| ops::classify(t, FloatClass::NegInf))
    }
    /// NaN, +inf and -inf replaced by finite numbers.
    #[pyo3(signature = (*args, **kwargs))]
    fn nan_to_num<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let [nan, posinf, neginf] = floats("Tensor.nan_to_num", args, kwargs, ["nan", "posinf", "neginf"])?;
        apply(py, &self.inner, move |t| ops::nan_to_num(t, nan.unwrap_or(0.0), posinf, neginf))
    }
    /// In place: NaN, +inf and -inf replaced by finite numbers.
    #[pyo3(signature = (*args, **kwargs))]
    fn nan_to_num_<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        let [nan, posinf, neginf] = floats("Tensor.nan_to_num_", args, kwargs, ["nan", "posinf", "neginf"])?;
        in_place(slf, move |t| ops::in_place(t, |x| ops::nan_to_num(x, nan.unwrap_or(0.0), posinf, neginf)))
    }
    /// `log(p/(1-p))`, `p` clamped to `[eps, 1-eps]` when `eps` is given.
    #[pyo3(signature = (*args, **kwargs))]
    fn logit<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let [eps] = floats("Tensor.logit", args, kwargs, ["eps"])?;
        apply(py, &self.inner, move |t| ops::logit(t, eps))
    }
    /// Inverse error function.
    fn erfinv<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, ops::erfinv)
    }
    /// Complementary error function.
    fn erfc<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, ops::erfc)
    }
    /// `2**x`.
    fn exp2<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, ops::exp2)
    }
    /// Normalised sinc, `sin(pi x)/(pi x)`.
    fn sinc<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        apply(py, &self.inner, ops::sinc)
    }
    /// `self * log(other)`, 0 where `self == 0`.
    fn xlogy<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        if let Ok(o) = other.cast::<PyTensor>() {
            let o = o.get().inner.clone();
            return apply(py, &self.inner, move |t| ops::xlogy(t, &o));
        }
        match scalar(other) {
            Some(s) => apply(py, &self.inner, move |t| ops::xlogy_scalar_other(t, s)),
            None => Err(PyTypeError::new_err(format!("xlogy(): argument 'other' (position 1) must be Tensor, not {}", type_name(other)))),
        }
    }
}

#[pymethods]
impl PyTensor {
    /// `max(self, min)` with a number bound (ClampMinBackward0).
    /// With a tensor bound: broadcast (ClampMinBackward1).
    fn clamp_min<'py>(&self, py: Python<'py>, min: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        if let Ok(m) = min.cast::<PyTensor>() {
            let m = m.get().inner.clone();
            return apply(py, &self.inner, move |t| ops::clamp_min_tensor(t, &m));
        }
        let m = scalar(min).ok_or_else(|| refuse("Tensor.clamp_min", min))?;
        apply(py, &self.inner, move |t| ops::clamp_min(t, m))
    }
    /// In place: `max(self, min)`.
    fn clamp_min_<'py>(slf: &Bound<'py, Self>, min: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        if let Ok(m) = min.cast::<PyTensor>() {
            let m = m.get().inner.clone();
            return in_place(slf, move |t| ops::clamp_min_tensor_(t, &m));
        }
        let m = scalar(min).ok_or_else(|| refuse("Tensor.clamp_min_", min))?;
        in_place(slf, move |t| ops::clamp_min_(t, m))
    }
    /// `min(self, max)` with a number bound (ClampMaxBackward0).
    /// With a tensor bound: broadcast (ClampMaxBackward1).
    fn clamp_max<'py>(&self, py: Python<'py>, max: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        if let Ok(m) = max.cast::<PyTensor>() {
            let m = m.get().inner.clone();
            return apply(py, &self.inner, move |t| ops::clamp_max_tensor(t, &m));
        }
        let m = scalar(max).ok_or_else(|| refuse("Tensor.clamp_max", max))?;
        apply(py, &self.inner, move |t| ops::clamp_max(t, m))
    }
    /// In place: `min(self, max)`.
    fn clamp_max_<'py>(slf: &Bound<'py, Self>, max: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        if let Ok(m) = max.cast::<PyTensor>() {
            let m = m.get().inner.clone();
            return in_place(slf, move |t| ops::clamp_max_tensor_(t, &m));
        }
        let m = scalar(max).ok_or_else(|| refuse("Tensor.clamp_max_", max))?;
        in_place(slf, move |t| ops::clamp_max_(t, m))
    }
}

/// PyTorch's parser error for a one-argument method given `arg`.
fn refuse(key: &str, arg: &Bound<'_, PyAny>) -> PyErr {
    let fallback = PyTypeError::new_err(format!("{key}(): invalid argument"));
    match PyTuple::new(arg.py(), [arg]) {
        Ok(args) => super::argparse::refine(key, &args, None, fallback),
        Err(e) => e,
    }
}

/// The optional float parameters `names` of a method whose parameters are all `double?`, bound
/// by PyTorch's parser (its errors for anything else).
fn floats<const N: usize>(key: &str, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>, names: [&str; N]) -> PyResult<[Option<f64>; N]> {
    let bound = super::argparse::bind(key, args, kwargs)?;
    let mut out = [None; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = bound.get(name).map(|v| v.extract::<f64>()).transpose()?;
    }
    Ok(out)
}

fn number_arg(obj: &Bound<'_, PyAny>, method: &str, arg: &str) -> PyResult<crate::tensor::Scalar> {
    scalar(obj).ok_or_else(|| PyTypeError::new_err(format!("{method}(): argument '{arg}' (position 1) must be Number, not {}", type_name(obj))))
}

/// `at::norm(input, p, dim, keepdim)` (NormBackward1).
#[pyfunction]
fn _norm_p<'py>(py: Python<'py>, input: T<'py>, p: f64, dim: Vec<i64>, keepdim: bool) -> PyResult<Bound<'py, PyAny>> {
    apply(py, &input.inner, move |t| ops::norm_p(t, p, &dim, keepdim))
}

/// `input + number` recorded as AddBackward1 (ATen's `add.Scalar`).
#[pyfunction]
fn _add_scalar<'py>(py: Python<'py>, input: T<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let c = number_arg(other, "add", "other")?;
    apply(py, &input.inner, move |t| ops::add_scalar_node(t, c))
}

/// `xlogy(number, tensor)` (XlogyBackward1).
#[pyfunction]
fn _xlogy_scalar_self<'py>(py: Python<'py>, value: &Bound<'py, PyAny>, other: T<'py>) -> PyResult<Bound<'py, PyAny>> {
    let s = scalar(value).ok_or_else(|| PyTypeError::new_err(format!("xlogy(): argument 'self' must be Number, not {}", type_name(value))))?;
    apply(py, &other.inner, move |t| ops::xlogy_scalar_self(s, t))
}

/// `name`: one of the one-input activations without parameters.
#[pyfunction]
fn _activation<'py>(py: Python<'py>, name: &str, input: T<'py>) -> PyResult<Bound<'py, PyAny>> {
    let f: fn(&Tensor) -> Result<Tensor> = match name {
        "mish" => ops::mish,
        "hardswish" => ops::hardswish,
        "hardsigmoid" => ops::hardsigmoid,
        "selu" => ops::selu,
        "log_sigmoid" => ops::log_sigmoid,
        _ => return Err(pyo3::exceptions::PyValueError::new_err(format!("unknown activation {name}"))),
    };
    apply(py, &input.inner, f)
}

/// In-place forms of [`_activation`]; returns `input`.
#[pyfunction]
fn _activation_<'py>(name: &str, input: &Bound<'py, PyTensor>) -> PyResult<Bound<'py, PyTensor>> {
    let f: fn(&Tensor) -> Result<()> = match name {
        "mish" => ops::mish_,
        "hardswish" => ops::hardswish_,
        "hardsigmoid" => ops::hardsigmoid_,
        "selu" => ops::selu_,
        _ => return Err(pyo3::exceptions::PyValueError::new_err(format!("unknown activation {name}"))),
    };
    in_place(input, f)
}

/// `celu(input, alpha)`.
#[pyfunction]
fn _celu<'py>(py: Python<'py>, input: T<'py>, alpha: f64) -> PyResult<Bound<'py, PyAny>> {
    apply(py, &input.inner, move |t| ops::celu(t, alpha))
}

/// `celu_(input, alpha)`.
#[pyfunction]
fn _celu_<'py>(input: &Bound<'py, PyTensor>, alpha: f64) -> PyResult<Bound<'py, PyTensor>> {
    in_place(input, move |t| ops::celu_(t, alpha))
}

/// `softshrink(input, lambd)` / `hardshrink(input, lambd)`.
#[pyfunction]
fn _shrink<'py>(py: Python<'py>, soft: bool, input: T<'py>, lambd: f64) -> PyResult<Bound<'py, PyAny>> {
    apply(py, &input.inner, move |t| if soft { ops::softshrink(t, lambd) } else { ops::hardshrink(t, lambd) })
}

/// `_prelu_kernel(input, weight)` (weight already shaped to broadcast).
#[pyfunction]
fn _prelu_kernel<'py>(py: Python<'py>, input: T<'py>, weight: T<'py>) -> PyResult<Bound<'py, PyAny>> {
    let w = weight.inner.clone();
    apply(py, &input.inner, move |t| ops::prelu_kernel(t, &w))
}

/// `glu(input, dim)`.
#[pyfunction]
fn _glu<'py>(py: Python<'py>, input: T<'py>, dim: i64) -> PyResult<Bound<'py, PyAny>> {
    apply(py, &input.inner, move |t| ops::glu(t, dim))
}

/// `group_norm(input, num_groups, weight, bias, eps)`.
#[pyfunction]
#[pyo3(signature = (input, num_groups, weight, bias, eps))]
fn _group_norm<'py>(py: Python<'py>, input: T<'py>, num_groups: usize, weight: Option<T<'py>>, bias: Option<T<'py>>, eps: f64) -> PyResult<Bound<'py, PyAny>> {
    let (w, b) = (weight.map(|w| w.inner.clone()), bias.map(|b| b.inner.clone()));
    apply(py, &input.inner, move |t| ops::group_norm(t, num_groups, w.as_ref(), b.as_ref(), eps))
}

/// `upsample_{nearest,bilinear}2d`, `upsample_{nearest,trilinear}3d` and
/// `_upsample_nearest_exact{2,3}d(input, output_size, scales)`, over the last
/// `output_size.len()` (2 or 3) dims.
#[pyfunction]
#[pyo3(signature = (input, mode, align_corners, output_size, scales))]
fn _upsample<'py>(
    py: Python<'py>,
    input: T<'py>,
    mode: &str,
    align_corners: bool,
    output_size: Vec<usize>,
    scales: Vec<Option<f64>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mode = match mode {
        "nearest" => ops::UpsampleMode::Nearest,
        "nearest-exact" => ops::UpsampleMode::NearestExact,
        _ => ops::UpsampleMode::Bilinear { align_corners },
    };
    let spatial = output_size.len().clamp(2, 3);
    let lead = 3 - spatial;
    let out = std::array::from_fn(|a| if a < lead { 1 } else { output_size.get(a - lead).copied().unwrap_or(1) });
    let scales = std::array::from_fn(|a| if a < lead { None } else { scales.get(a - lead).copied().flatten() });
    let spec = ops::UpsampleSpec { mode, spatial, out, scales };
    apply(py, &input.inner, move |t| ops::upsample(t, spec))
}

/// `conv_transpose{2,3}d(input, weight, bias, stride, padding, output_padding, groups, dilation)`
/// with (d, h, w) parameters (depth 1 for 2-d).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn _conv_transpose<'py>(
    py: Python<'py>,
    input: T<'py>,
    weight: T<'py>,
    bias: Option<T<'py>>,
    stride: [usize; 3],
    padding: [usize; 3],
    output_padding: [usize; 3],
    groups: usize,
    dilation: [usize; 3],
) -> PyResult<Bound<'py, PyAny>> {
    let (w, b) = (weight.inner.clone(), bias.map(|b| b.inner.clone()));
    let p = ops::ConvTransposeParams { stride, padding, output_padding, dilation, groups };
    let work = input.inner.numel() * w.numel();
    let x = input.inner.clone();
    wrap_tensor(py, maybe_detach(py, work, move || ops::conv_transpose(&x, &w, b.as_ref(), &p))?)
}

/// Adds this file's functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_xlogy_scalar_self, m)?)?;
    m.add_function(wrap_pyfunction!(_activation, m)?)?;
    m.add_function(wrap_pyfunction!(_activation_, m)?)?;
    m.add_function(wrap_pyfunction!(_celu, m)?)?;
    m.add_function(wrap_pyfunction!(_celu_, m)?)?;
    m.add_function(wrap_pyfunction!(_shrink, m)?)?;
    m.add_function(wrap_pyfunction!(_prelu_kernel, m)?)?;
    m.add_function(wrap_pyfunction!(_glu, m)?)?;
    m.add_function(wrap_pyfunction!(_group_norm, m)?)?;
    m.add_function(wrap_pyfunction!(_norm_p, m)?)?;
    m.add_function(wrap_pyfunction!(_add_scalar, m)?)?;
    m.add_function(wrap_pyfunction!(_upsample, m)?)?;
    m.add_function(wrap_pyfunction!(_conv_transpose, m)?)?;
    Ok(())
}
