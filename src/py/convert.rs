//! Conversions between Python values and tensors: nested sequences and numpy arrays in, nested
//! lists out, Python numbers as operands, sizes from `*args`.

use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyList, PySequence, PyString, PyTuple};

use super::dtype::PyDType;
use super::tensor::PyTensor;
use crate::tensor::{Buffer, DType, Element, Scalar, Tensor};
use crate::with_dtype;

/// A Python number as an op operand, or `None` when `obj` is not a number.
pub fn scalar(obj: &Bound<'_, PyAny>) -> Option<Scalar> {
    if obj.is_instance_of::<PyBool>() {
        return obj.extract::<bool>().ok().map(Scalar::Bool);
    }
    if obj.is_instance_of::<PyInt>() {
        return obj.extract::<i64>().ok().map(Scalar::Int);
    }
    if obj.is_instance_of::<PyFloat>() {
        return obj.extract::<f64>().ok().map(Scalar::Float);
    }
    None
}

/// An op operand: a tensor, or a Python number wrapped as a tensor. `None` for anything else, so
/// operators can return `NotImplemented`.
pub fn operand(obj: &Bound<'_, PyAny>) -> Option<Tensor> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Some(t.get().inner.clone());
    }
    scalar(obj).map(Scalar::to_tensor)
}

/// A shape from `*size` arguments: `f(2, 3)`, `f((2, 3))` or `f([2, 3])`.
pub fn size_from_args(args: &Bound<'_, PyTuple>) -> PyResult<Vec<usize>> {
    if args.len() == 1 {
        let first = args.get_item(0)?;
        if !first.is_instance_of::<PyInt>() {
            return size_from_sequence(&first);
        }
    }
    size_from_sequence(args.as_any())
}

/// A shape from a sequence of ints.
pub fn size_from_sequence(obj: &Bound<'_, PyAny>) -> PyResult<Vec<usize>> {
    let seq = obj
        .cast::<PySequence>()
        .map_err(|_| PyTypeError::new_err(format!("size must be a tuple of ints, not {}", type_name(obj))))?;
    (0..seq.len()?)
        .map(|i| {
            let item = seq.get_item(i)?;
            let v: i64 = item.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "size must be a tuple of ints, but got element of type {}",
                    type_name(&item)
                ))
            })?;
            usize::try_from(v).map_err(|_| {
                crate::Error::runtime(format!(
                    "Trying to create tensor with negative dimension {v}: {:?}",
                    seq_repr(seq)
                ))
                .into()
            })
        })
        .collect()
}

fn seq_repr(seq: &Bound<'_, PySequence>) -> Vec<i64> {
    (0..seq.len().unwrap_or(0)).filter_map(|i| seq.get_item(i).ok()?.extract().ok()).collect()
}

/// The Python type name of `obj` (for messages).
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into())
}

/// Values collected from nested Python data, in the widest kind seen.
enum Values {
    Bool(Vec<bool>),
    Int(Vec<i64>),
    Float(Vec<f64>),
}

/// Walks nested sequences, recording the shape and the values in row-major order.
struct Collector {
    shape: Vec<usize>,
    bools: Vec<bool>,
    ints: Vec<i64>,
    floats: Vec<f64>,
    kind: u8, // 0 none, 1 bool, 2 int, 3 float
    count: usize,
}

impl Collector {
    fn push_scalar(&mut self, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = match scalar(obj) {
            Some(s) => s,
            None => match obj.cast::<PyTensor>() {
                Ok(t) => {
                    let t = &t.get().inner;
                    if t.numel() != 1 || t.dim() != 0 {
                        return Err(PyValueError::new_err(
                            "only one element tensors can be converted to Python scalars",
                        ));
                    }
                    let v = t.item_f64()?;
                    match t.dtype() {
                        DType::Bool => Scalar::Bool(v != 0.0),
                        DType::U8 | DType::I32 | DType::I64 => Scalar::Int(v as i64),
                        _ => Scalar::Float(v),
                    }
                }
                Err(_) => {
                    // numpy scalars and other numbers with __float__/__index__
                    if let Ok(i) = obj.call_method0("__index__").and_then(|v| v.extract::<i64>()) {
                        Scalar::Int(i)
                    } else if let Ok(f) = obj.call_method0("__float__").and_then(|v| v.extract::<f64>()) {
                        Scalar::Float(f)
                    } else {
                        return Err(PyTypeError::new_err(format!("new(): invalid data type '{}'", type_name(obj))));
                    }
                }
            },
        };
        match value {
            Scalar::Bool(b) => {
                self.kind = self.kind.max(1);
                self.bools.push(b);
                self.ints.push(b as i64);
                self.floats.push(b as u8 as f64);
            }
            Scalar::Int(i) => {
                self.kind = self.kind.max(2);
                self.bools.push(i != 0);
                self.ints.push(i);
                self.floats.push(i as f64);
            }
            Scalar::Float(f) => {
                self.kind = 3;
                self.floats.push(f);
            }
        }
        self.count += 1;
        Ok(())
    }

    fn walk(&mut self, obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<()> {
        let is_sequence = !obj.is_instance_of::<PyString>()
            && obj.cast::<PyTensor>().is_err()
            && (obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() || obj.cast::<PySequence>().is_ok());
        if !is_sequence {
            if depth < self.shape.len() {
                return Err(PyValueError::new_err(format!(
                    "expected sequence of length {} at dim {depth} (got {})",
                    self.shape[depth],
                    type_name(obj)
                )));
            }
            return self.push_scalar(obj);
        }
        let seq = obj.cast::<PySequence>()?;
        let len = seq.len()?;
        if depth == self.shape.len() {
            if self.count > 0 {
                return Err(PyValueError::new_err(format!("expected sequence of length 0 at dim {depth} (got {len})")));
            }
            self.shape.push(len);
        } else if self.shape[depth] != len {
            return Err(PyValueError::new_err(format!(
                "expected sequence of length {} at dim {depth} (got {len})",
                self.shape[depth]
            )));
        }
        for i in 0..len {
            self.walk(&seq.get_item(i)?, depth + 1)?;
        }
        Ok(())
    }

    fn values(self) -> Values {
        match self.kind {
            1 => Values::Bool(self.bools),
            2 => Values::Int(self.ints),
            3 => Values::Float(self.floats),
            _ => Values::Float(Vec::new()), // an empty list is float32, as in PyTorch
        }
    }
}

fn cast_values<T: Element>(values: Values) -> Vec<T> {
    match values {
        Values::Bool(v) => v.into_iter().map(|b| T::from_i64(b as i64)).collect(),
        // Integers go through i64, not f64, so values past 2^53 stay exact.
        Values::Int(v) => v.into_iter().map(T::from_i64).collect(),
        Values::Float(v) => v.into_iter().map(T::from_f64).collect(),
    }
}

/// Reads a numpy array into a new tensor (any of our dtypes, or one numpy can cast to them).
fn read_numpy(obj: &Bound<'_, PyAny>, dtype: Option<DType>) -> PyResult<Option<Tensor>> {
    macro_rules! try_array {
        ($t:ty) => {
            if let Ok(array) = obj.cast::<PyArrayDyn<$t>>() {
                let shape = array.shape().to_vec();
                // Logical (C) order whatever the array's strides (Fortran order, transposes).
                let values: Vec<$t> = if array.is_c_contiguous() {
                    array.to_vec().expect("contiguous")
                } else {
                    array.to_owned_array().iter().copied().collect()
                };
                let t = Tensor::from_vec(values, &shape)?;
                return Ok(Some(match dtype {
                    Some(d) => crate::ops::to_dtype(&t, d)?,
                    None => t,
                }));
            }
        };
    }
    try_array!(f32);
    try_array!(f64);
    try_array!(i64);
    try_array!(i32);
    try_array!(u8);
    try_array!(bool);
    // Other numeric numpy arrays (int32, float16, ...): let numpy widen them.
    if obj.hasattr("__array_interface__")? && obj.hasattr("astype")? {
        let kind: String = obj.getattr("dtype")?.getattr("kind")?.extract()?;
        let target = match kind.as_str() {
            "f" => "float64",
            "i" | "u" => "int64",
            "b" => "bool",
            _ => return Ok(None),
        };
        let widened = obj.call_method1("astype", (target,))?;
        let t = read_numpy(&widened, None)?.expect("widened array");
        let natural = if kind == "f" { DType::F32 } else { t.dtype() };
        // numpy float16/float32 become float32; float64 arrays were handled above.
        return Ok(Some(crate::ops::to_dtype(&t, dtype.unwrap_or(natural))?));
    }
    Ok(None)
}

/// `rustgrad.tensor(data, dtype)`: a new tensor from numbers, nested sequences, numpy arrays or
/// tensors (always a copy).
pub fn tensor_from_data(data: &Bound<'_, PyAny>, dtype: Option<DType>) -> PyResult<Tensor> {
    if let Ok(t) = data.cast::<PyTensor>() {
        let t = crate::ops::clone(&t.get().inner.detach())?;
        return Ok(match dtype {
            Some(d) => crate::ops::to_dtype(&t, d)?,
            None => t,
        });
    }
    if let Some(t) = read_numpy(data, dtype)? {
        // A copy, detached from numpy's buffer.
        return Ok(if t.is_exclusively_owned() { t } else { crate::ops::clone(&t)? });
    }
    let mut collector = Collector { shape: Vec::new(), bools: vec![], ints: vec![], floats: vec![], kind: 0, count: 0 };
    collector.walk(data, 0)?;
    let shape = collector.shape.clone();
    let natural = match collector.kind {
        1 => DType::Bool,
        2 => DType::I64,
        _ => DType::DEFAULT_FLOAT,
    };
    let dtype = dtype.unwrap_or(natural);
    let values = collector.values();
    if dtype.is_integral() {
        match &values {
            Values::Int(v) => v.iter().try_for_each(|&x| crate::ops::check_value_fits_tensor(Scalar::Int(x), dtype))?,
            Values::Float(v) => v.iter().try_for_each(|&x| crate::ops::check_value_fits_tensor(Scalar::Float(x), dtype))?,
            Values::Bool(_) => {}
        }
    }
    let buffer: Buffer = with_dtype!(dtype, T => T::into_buffer(cast_values::<T>(values)));
    Ok(Tensor::from_buffer(buffer, &shape)?)
}

/// A dtype argument (`None` or a `rustgrad.dtype`).
pub fn dtype_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<DType>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => match o.cast::<PyDType>() {
            Ok(d) => Ok(Some(d.get().0)),
            Err(_) => Err(PyTypeError::new_err(format!("dtype must be rustgrad.dtype, not {}", type_name(o)))),
        },
    }
}

/// The elements of `t` as nested Python lists (a bare number for 0-d tensors).
pub fn to_nested_list<'py>(py: Python<'py>, t: &Tensor) -> PyResult<Bound<'py, PyAny>> {
    let shape = t.shape();
    with_dtype!(t.dtype(), T => {
        let values = t.to_vec::<T>()?;
        nest(py, &values, &shape)
    })
}

fn nest<'py, T: Element + IntoPyObjectClone>(
    py: Python<'py>,
    values: &[T],
    shape: &[usize],
) -> PyResult<Bound<'py, PyAny>> {
    match shape.split_first() {
        None => values[0].to_py(py),
        Some((&n, rest)) => {
            let step: usize = rest.iter().product();
            let items =
                (0..n).map(|i| nest(py, &values[i * step..(i + 1) * step], rest)).collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, items)?.into_any())
        }
    }
}

/// Element types that become Python numbers.
pub trait IntoPyObjectClone {
    /// The element as a Python number.
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
}

impl IntoPyObjectClone for f32 {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyFloat::new(py, *self as f64).into_any())
    }
}
impl IntoPyObjectClone for f64 {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyFloat::new(py, *self).into_any())
    }
}
impl IntoPyObjectClone for i32 {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.into_pyobject(py)?.into_any())
    }
}
impl IntoPyObjectClone for u8 {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.into_pyobject(py)?.into_any())
    }
}
impl IntoPyObjectClone for i64 {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.into_pyobject(py)?.into_any())
    }
}
impl IntoPyObjectClone for bool {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyBool::new(py, *self).to_owned().into_any())
    }
}
