//! The error PyTorch raises for data `rustgrad.tensor` / `Tensor.new_tensor` cannot use
//! (torch/csrc/utils/tensor_new.cpp: a str or bytes is refused, then `compute_sizes` follows the
//! first elements, `infer_scalar_type` scans everything when no dtype is given, and
//! `recursive_store` checks lengths and converts each number), asked only after the one-pass
//! reader of `convert.rs` failed, so that the first problem reported is PyTorch's.

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyComplex, PyFloat, PyInt, PySequence, PyString};

use super::argparse::tp_name;
use super::tensor::PyTensor;
use crate::tensor::DType;

/// `MAX_DIMS` of tensor_new.cpp.
const MAX_DIMS: usize = 128;

/// What the element conversion of `store_scalar` needs.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Kind {
    Bool,
    Int,
    Float,
}

/// Gives up (the reader's own error stands) on what this check does not model: tensors and
/// numpy arrays inside the data, complex numbers.
struct Unmodelled;

type Check<T> = Result<T, Unmodelled>;

fn is_str(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>()
}

fn is_sequence(obj: &Bound<'_, PyAny>) -> bool {
    obj.cast::<PySequence>().is_ok()
}

fn modelled(obj: &Bound<'_, PyAny>) -> Check<()> {
    if obj.cast::<PyTensor>().is_ok() || obj.is_instance_of::<PyComplex>() || obj.hasattr("__array_interface__").unwrap_or(false) {
        return Err(Unmodelled);
    }
    Ok(())
}

/// `compute_sizes`: the lengths along the first elements.
fn compute_sizes(data: &Bound<'_, PyAny>) -> Check<Result<Vec<usize>, PyErr>> {
    let mut sizes = Vec::new();
    let mut seq = data.clone();
    while is_sequence(&seq) {
        modelled(&seq)?;
        let len = seq.len().map_err(|_| Unmodelled)?;
        sizes.push(len);
        if sizes.len() > MAX_DIMS {
            return Ok(Err(PyValueError::new_err(format!("too many dimensions '{}'", tp_name(&seq)))));
        }
        if len == 0 {
            break;
        }
        seq = seq.get_item(0).map_err(|_| Unmodelled)?;
    }
    Ok(Ok(sizes))
}

/// `infer_scalar_type` over everything.
fn infer(obj: &Bound<'_, PyAny>) -> Check<Result<Kind, PyErr>> {
    modelled(obj)?;
    if obj.is_instance_of::<PyFloat>() {
        return Ok(Ok(Kind::Float));
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(Ok(Kind::Bool));
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(Ok(Kind::Int));
    }
    if is_str(obj) {
        return Ok(Err(PyTypeError::new_err(format!("new(): invalid data type '{}'", tp_name(obj)))));
    }
    if is_sequence(obj) {
        let mut kind = None;
        for item in obj.try_iter().map_err(|_| Unmodelled)? {
            let item = item.map_err(|_| Unmodelled)?;
            match infer(&item)? {
                Ok(k) => kind = Some(kind.map_or(k, |old: Kind| if k > old { k } else { old })),
                Err(e) => return Ok(Err(e)),
            }
        }
        return Ok(Ok(kind.unwrap_or(Kind::Float)));
    }
    // numpy scalars and other numbers
    if obj.hasattr("__index__").unwrap_or(false) || obj.hasattr("__float__").unwrap_or(false) {
        return Err(Unmodelled);
    }
    Ok(Err(PyRuntimeError::new_err(format!("Could not infer dtype of {}", tp_name(obj)))))
}

/// `store_scalar`'s conversion of one element.
fn store_scalar(obj: &Bound<'_, PyAny>, kind: Kind) -> Check<Option<PyErr>> {
    modelled(obj)?;
    let number = obj.is_instance_of::<PyFloat>() || obj.is_instance_of::<PyInt>();
    let ok = match kind {
        // PyFloat_AsDouble
        Kind::Float => number || obj.hasattr("__float__").unwrap_or(false) || obj.hasattr("__index__").unwrap_or(false),
        // a float, else PyLong_AsLongLong
        Kind::Int | Kind::Bool => number || obj.hasattr("__index__").unwrap_or(false),
    };
    Ok((!ok).then(|| match kind {
        Kind::Float => PyTypeError::new_err(format!("must be real number, not {}", tp_name(obj))),
        _ => PyTypeError::new_err(format!("'{}' object cannot be interpreted as an integer", tp_name(obj))),
    }))
}

/// `recursive_store`'s checks.
fn store(obj: &Bound<'_, PyAny>, sizes: &[usize], dim: usize, kind: Kind) -> Check<Option<PyErr>> {
    if dim == sizes.len() {
        return store_scalar(obj, kind);
    }
    modelled(obj)?;
    // PySequence_Fast: any iterable
    let Ok(items) = obj.try_iter() else { return Ok(Some(PyTypeError::new_err("not a sequence"))) };
    let items: Vec<Bound<'_, PyAny>> = items.collect::<PyResult<_>>().map_err(|_| Unmodelled)?;
    if items.len() != sizes[dim] {
        return Ok(Some(PyValueError::new_err(format!(
            "expected sequence of length {} at dim {dim} (got {})",
            sizes[dim],
            items.len()
        ))));
    }
    for item in &items {
        if let Some(e) = store(item, sizes, dim + 1, kind)? {
            return Ok(Some(e));
        }
    }
    Ok(None)
}

/// PyTorch's error for `data` (with `dtype` when given), or `None` when it is not one of the
/// refusals modelled here.
pub fn data_error(data: &Bound<'_, PyAny>, dtype: Option<DType>) -> Option<PyErr> {
    let check = || -> Check<Option<PyErr>> {
        if is_str(data) {
            return Ok(Some(PyTypeError::new_err(format!("new(): invalid data type '{}'", tp_name(data)))));
        }
        let sizes = match compute_sizes(data)? {
            Ok(s) => s,
            Err(e) => return Ok(Some(e)),
        };
        let kind = match dtype {
            Some(d) if d.is_float() => Kind::Float,
            Some(DType::Bool) => Kind::Bool,
            Some(_) => Kind::Int,
            None => match infer(data)? {
                Ok(k) => k,
                Err(e) => return Ok(Some(e)),
            },
        };
        store(data, &sizes, 0, kind)
    };
    check().unwrap_or(None)
}
