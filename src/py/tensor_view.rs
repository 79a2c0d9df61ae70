//! Tensor methods for views and shape ops (view, transpose, squeeze, narrow, split, cat...), and
//! the module functions `cat` / `stack`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use crate::error::catch_alloc_failure;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::argparse;
use super::convert::type_name;
use super::tensor::{tensor_list, user_warning, wrap_tensor, PyTensor};
use crate::ops;
use crate::tensor::Tensor;

/// Ints from `*args` or from one sequence argument (`permute(1, 0)` / `permute((1, 0))`).
fn ints(args: &Bound<'_, PyTuple>) -> PyResult<Vec<i64>> {
    if args.len() == 1 {
        let first = args.get_item(0)?;
        if let Ok(v) = first.extract::<i64>() {
            return Ok(vec![v]);
        }
        return first.extract::<Vec<i64>>();
    }
    args.extract::<Vec<i64>>()
}

/// The int list of `view(2, 3)` / `view((2, 3))` / `view(size=(2, 3))`; PyTorch's parser error
/// (for the overloads under `key`) when the arguments are not one.
pub(crate) fn sizes(args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>, key: &str, name: &str) -> PyResult<Vec<i64>> {
    match kwargs.filter(|k| !k.is_empty()) {
        None if !args.is_empty() => ints(args).map_err(|e| argparse::refine(key, args, None, e)),
        _ => argparse::bind(key, args, kwargs)?.ints(name)?.ok_or_else(|| argparse::refine(key, args, kwargs, PyTypeError::new_err(format!("{name} must be given")))),
    }
}

/// Two int arguments (`transpose(dim0, dim1)`), positional or by name.
pub(crate) fn two_ints(args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>, key: &str, names: (&str, &str)) -> PyResult<(i64, i64)> {
    if args.len() == 2 && kwargs.is_none_or(|k| k.is_empty()) {
        if let (Some(a), Some(b)) = (argparse::int_arg(&args.get_item(0)?), argparse::int_arg(&args.get_item(1)?)) {
            return Ok((a, b));
        }
    }
    let bound = argparse::bind(key, args, kwargs)?;
    let get = |n: &str| bound.get(n).map(|o| o.extract::<i64>()).transpose();
    match (get(names.0)?, get(names.1)?) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(argparse::refine(key, args, kwargs, PyTypeError::new_err("missing dims"))),
    }
}

/// An int or a sequence of ints (Python ints only: anything else goes to the parser).
fn plain_ints(obj: &Bound<'_, PyAny>) -> Option<Vec<i64>> {
    match argparse::plain_int(obj) {
        Some(v) => Some(vec![v]),
        None if argparse::is_sequence(obj) => argparse::items(obj).iter().map(argparse::plain_int).collect(),
        None => None,
    }
}

/// The dtype of `view(dtype)` / `view(dtype=...)`, or None for the shape overload.
fn view_dtype_arg(args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Option<crate::tensor::DType>> {
    let kwargs = kwargs.filter(|k| !k.is_empty());
    match (args.len(), kwargs) {
        (1, None) => Ok(args.get_item(0)?.cast::<super::dtype::PyDType>().ok().map(|d| d.get().0)),
        (0, Some(k)) if k.contains("dtype")? => {
            let bound = argparse::bind("Tensor.view", args, Some(k))?;
            Ok(bound.get("dtype").and_then(|d| d.cast::<super::dtype::PyDType>().ok().map(|d| d.get().0)))
        }
        _ => Ok(None),
    }
}

fn tuple_of<'py>(py: Python<'py>, tensors: Vec<Tensor>) -> PyResult<Bound<'py, PyTuple>> {
    let items = tensors.into_iter().map(|t| wrap_tensor(py, t)).collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

const T_WARNING: &str = "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or `x.permute(*rustgrad.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.";
const T_SCALAR_WARNING: &str = "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.";

#[pymethods]
impl PyTensor {
    /// A view with another shape (`-1` infers one size); fails when the strides do not allow it.
    #[pyo3(signature = (*shape, **kwargs))]
    fn view<'py>(&self, py: Python<'py>, shape: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        if let Some(dtype) = view_dtype_arg(shape, kwargs)? {
            return wrap_tensor(py, ops::view_dtype(&self.inner, dtype)?);
        }
        let shape = sizes(shape, kwargs, "Tensor.view", "size")?;
        wrap_tensor(py, ops::view(&self.inner, &shape)?)
    }

    /// `view` to another tensor's shape.
    fn view_as<'py>(&self, py: Python<'py>, other: PyRef<'py, PyTensor>) -> PyResult<Bound<'py, PyAny>> {
        let shape: Vec<i64> = other.inner.shape().iter().map(|&s| s as i64).collect();
        wrap_tensor(py, ops::view(&self.inner, &shape)?)
    }

    /// `reshape` to another tensor's shape.
    fn reshape_as<'py>(&self, py: Python<'py>, other: PyRef<'py, PyTensor>) -> PyResult<Bound<'py, PyAny>> {
        let shape: Vec<i64> = other.inner.shape().iter().map(|&s| s as i64).collect();
        wrap_tensor(py, catch_alloc_failure(|| ops::reshape(&self.inner, &shape))?)
    }

    /// Merges dims `start_dim..=end_dim` into one.
    #[pyo3(signature = (*args, **kwargs))]
    fn flatten<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let [start_dim, end_dim] = argparse::all_ints("Tensor.flatten", args, kwargs)?[..] else { unreachable!("two params") };
        wrap_tensor(slf.py(), catch_alloc_failure(|| ops::flatten(&slf.get().inner, start_dim, end_dim))?)
    }

    /// Swaps two dims (a view).
    #[pyo3(signature = (*args, **kwargs))]
    fn transpose<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (dim0, dim1) = two_ints(args, kwargs, "Tensor.transpose", ("dim0", "dim1"))?;
        wrap_tensor(py, ops::transpose(&self.inner, dim0, dim1)?)
    }

    /// Alias of `transpose`.
    #[pyo3(signature = (*args, **kwargs))]
    fn swapaxes<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (axis0, axis1) = two_ints(args, kwargs, "Tensor.swapaxes", ("axis0", "axis1"))?;
        wrap_tensor(py, ops::transpose(&self.inner, axis0, axis1)?)
    }

    /// The transpose of a matrix (at most 2 dims).
    #[pyo3(name = "t")]
    fn t_method<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        wrap_tensor(py, ops::t_(&self.inner)?)
    }

    /// All dims reversed.
    #[getter(T)]
    fn reversed_t<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.inner.dim() {
            2 => {}
            0 => user_warning(py, T_SCALAR_WARNING)?,
            _ => user_warning(py, T_WARNING)?,
        }
        wrap_tensor(py, ops::reverse_dims(&self.inner)?)
    }

    /// The last two dims swapped.
    #[getter(mT)]
    fn matrix_t<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        wrap_tensor(py, ops::matrix_transpose(&self.inner)?)
    }

    /// The dims reordered (a view).
    #[pyo3(signature = (*dims, **kwargs))]
    fn permute<'py>(&self, py: Python<'py>, dims: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let dims = sizes(dims, kwargs, "Tensor.permute", "dims")?;
        wrap_tensor(py, ops::permute(&self.inner, &dims)?)
    }

    /// Removes dims of size 1 (all, one, or those listed).
    #[pyo3(signature = (*args, **kwargs))]
    fn squeeze<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let fast = argparse::slots(args, kwargs, ["dim"], 1).and_then(|[dim]| match dim {
            None => Some(None),
            Some(d) => match argparse::plain_int(&d) {
                Some(i) => Some(Some((vec![i], true))),
                None if argparse::is_sequence(&d) => {
                    Some(Some((argparse::items(&d).iter().map(argparse::plain_int).collect::<Option<Vec<i64>>>()?, false)))
                }
                None => None,
            },
        });
        let dims = match fast {
            Some(d) => d,
            None => {
                // `squeeze(0, 1)` is `squeeze((0, 1))`, as PyTorch's parser reads it
                let bound = argparse::bind("Tensor.squeeze", args, kwargs)?;
                match bound.get("dim") {
                    None => None,
                    Some(d) if argparse::is_sequence(d) => Some((d.extract::<Vec<i64>>()?, false)),
                    Some(d) => Some((vec![d.extract::<i64>()?], true)),
                }
            }
        };
        let out = match dims {
            None => ops::squeeze(&self.inner, None, false)?,
            Some((dims, single)) => ops::squeeze(&self.inner, Some(&dims), single)?,
        };
        wrap_tensor(py, out)
    }

    /// Inserts a dim of size 1.
    #[pyo3(signature = (*args, **kwargs))]
    fn unsqueeze<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let dim = argparse::all_ints("Tensor.unsqueeze", args, kwargs)?[0];
        wrap_tensor(py, ops::unsqueeze(&self.inner, dim)?)
    }

    /// `length` elements from `start` along `dim` (a view).
    #[pyo3(signature = (*args, **kwargs))]
    fn narrow<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let plain = || -> Option<[i64; 3]> {
            let [a, b, c] = argparse::slots(args, kwargs, ["dim", "start", "length"], 3)?;
            Some([argparse::plain_int(&a?)?, argparse::plain_int(&b?)?, argparse::plain_int(&c?)?])
        };
        let [dim, start, length] = match plain() {
            Some(v) => v,
            None => {
                // `start` may also be a 0-d int tensor
                let bound = argparse::bind("Tensor.narrow", args, kwargs)?;
                let get = |n: &str| bound.get(n).map_or_else(|| Err(PyTypeError::new_err(format!("narrow(): missing {n}"))), |o| o.extract::<i64>());
                [get("dim")?, get("start")?, get("length")?]
            }
        };
        wrap_tensor(py, ops::narrow(&self.inner, dim, start, length)?)
    }

    /// The slice at `index` along `dim` (a view without that dim).
    #[pyo3(signature = (*args, **kwargs))]
    fn select<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (dim, index) = two_ints(args, kwargs, "Tensor.select", ("dim", "index"))?;
        wrap_tensor(py, ops::select(&self.inner, dim, index)?)
    }

    /// `self` when contiguous, else a row-major copy.
    #[pyo3(signature = (*args, memory_format=None))]
    fn contiguous<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, memory_format: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let _ = memory_format;
        if !args.is_empty() {
            return Err(argparse::refine("Tensor.contiguous", args, None, PyTypeError::new_err("contiguous() takes no positional arguments")));
        }
        let t = &slf.get().inner;
        if t.is_contiguous() {
            return Ok(slf.clone().into_any());
        }
        slf.get().unary(slf.py(), ops::contiguous)
    }

    /// Views of pieces of `split_size` (an int) or of the listed sizes along `dim`.
    #[pyo3(signature = (split_size_or_sections, dim=0))]
    fn split<'py>(&self, py: Python<'py>, split_size_or_sections: &Bound<'py, PyAny>, dim: i64) -> PyResult<Bound<'py, PyTuple>> {
        let parts = match split_size_or_sections.extract::<i64>() {
            Ok(size) => ops::split(&self.inner, size, dim)?,
            Err(_) => ops::split_with_sizes(&self.inner, &split_size_or_sections.extract::<Vec<i64>>()?, dim)?,
        };
        tuple_of(py, parts)
    }

    /// Views of the listed sizes along `dim`.
    #[pyo3(signature = (split_sizes, dim=0))]
    fn split_with_sizes<'py>(&self, py: Python<'py>, split_sizes: Vec<i64>, dim: i64) -> PyResult<Bound<'py, PyTuple>> {
        tuple_of(py, ops::split_with_sizes(&self.inner, &split_sizes, dim)?)
    }

    /// `chunks` views of (nearly) equal size along `dim`.
    #[pyo3(signature = (*args, **kwargs))]
    fn chunk<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyTuple>> {
        let [chunks, dim] = argparse::all_ints("Tensor.chunk", args, kwargs)?[..] else { unreachable!("two params") };
        tuple_of(py, ops::chunk(&self.inner, chunks, dim)?)
    }

    /// The slices along `dim`, as views.
    #[pyo3(signature = (*args, **kwargs))]
    fn unbind<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyTuple>> {
        let dim = argparse::all_ints("Tensor.unbind", args, kwargs)?[0];
        tuple_of(py, ops::unbind(&self.inner, dim)?)
    }

    /// Tiles the tensor `sizes` times along each dim.
    #[pyo3(signature = (*args, **kwargs))]
    fn repeat<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let sizes = sizes(args, kwargs, "Tensor.repeat", "repeats")?;
        self.unary(py, move |t| ops::repeat(t, &sizes))
    }

    /// Reverses the order of elements along `dims`.
    #[pyo3(signature = (*args, **kwargs))]
    fn flip<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let dims = sizes(args, kwargs, "Tensor.flip", "dims")?;
        self.unary(py, move |t| ops::flip(t, &dims))
    }

    /// Rolls elements along `dims` by `shifts` (the flattened tensor without dims).
    #[pyo3(signature = (*args, **kwargs))]
    fn roll<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let plain = || -> Option<(Vec<i64>, Vec<i64>)> {
            // (an explicit None dims goes through the parser, which takes it as the default)
            let [shifts, dims] = argparse::slots(args, kwargs, ["shifts", "dims"], 2)?;
            Some((plain_ints(&shifts?)?, dims.map_or(Some(vec![]), |d| plain_ints(&d))?))
        };
        let (shifts, dims) = match plain() {
            Some(v) => v,
            None => {
                let bound = argparse::bind("Tensor.roll", args, kwargs)?;
                (bound.ints("shifts")?.unwrap_or_default(), bound.ints("dims")?.unwrap_or_default())
            }
        };
        self.unary(py, move |t| ops::roll(t, &shifts, &dims))
    }

    /// The lower triangle (elements above the `diagonal`-th diagonal zeroed).
    #[pyo3(signature = (diagonal=0))]
    fn tril<'py>(&self, py: Python<'py>, diagonal: i64) -> PyResult<Bound<'py, PyAny>> {
        self.unary(py, move |t| ops::triangle(t, diagonal, true))
    }

    /// The upper triangle (elements below the `diagonal`-th diagonal zeroed).
    #[pyo3(signature = (diagonal=0))]
    fn triu<'py>(&self, py: Python<'py>, diagonal: i64) -> PyResult<Bound<'py, PyAny>> {
        self.unary(py, move |t| ops::triangle(t, diagonal, false))
    }
}

/// A list of tensors for cat / stack, with PyTorch's TypeError for other arguments.
fn tensors_arg(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Vec<Tensor>> {
    if obj.cast::<PyTensor>().is_ok() || !(obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>()) {
        return Err(PyTypeError::new_err(format!(
            "{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not {}",
            type_name(obj)
        )));
    }
    Ok(tensor_list(Some(obj))?.unwrap_or_default())
}

/// `rustgrad.cat(tensors, dim=0)`: joins tensors along an existing dim.
#[pyfunction]
#[pyo3(signature = (tensors, dim=0))]
fn cat<'py>(py: Python<'py>, tensors: &Bound<'py, PyAny>, dim: i64) -> PyResult<Bound<'py, PyAny>> {
    let tensors = tensors_arg("cat", tensors)?;
    wrap_tensor(py, catch_alloc_failure(|| ops::cat(&tensors, dim))?)
}

/// `rustgrad.stack(tensors, dim=0)`: joins equal-shaped tensors along a new dim.
#[pyfunction]
#[pyo3(signature = (tensors, dim=0))]
fn stack<'py>(py: Python<'py>, tensors: &Bound<'py, PyAny>, dim: i64) -> PyResult<Bound<'py, PyAny>> {
    let tensors = tensors_arg("stack", tensors)?;
    wrap_tensor(py, catch_alloc_failure(|| ops::stack(&tensors, dim))?)
}

/// Adds this file's functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cat, m)?)?;
    m.add_function(wrap_pyfunction!(stack, m)?)?;
    Ok(())
}

/// What PyTorch shows of a view's base: `t._base` (the root tensor a view looks into, `None` for a
/// non-view) and `t._is_view()`.
#[pymethods]
impl PyTensor {
    #[getter]
    fn _base<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner.view_meta().map(|v| wrap_tensor(py, v.base)).transpose()
    }

    fn _is_view(&self) -> bool {
        self.inner.view_meta().is_some()
    }
}
