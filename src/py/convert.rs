//! Conversions between Python values and tensors: nested sequences and numpy arrays in, nested
//! lists out, Python numbers as operands, sizes from `*args`.

use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
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

/// A Python int outside int64 (PyTorch's arg parser reads `2**63 <= n < 2**64` as a uint64).
#[derive(Clone, Copy, Debug)]
pub enum BigInt {
    /// `2**63 <= n < 2**64`.
    U64(u64),
    /// `n >= 2**64`.
    TooBig,
    /// `n < -2**63`.
    TooNegative,
}

/// `Some` for a Python int (not a bool) that does not fit int64.
pub fn big_int(obj: &Bound<'_, PyAny>) -> Option<BigInt> {
    if !obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyBool>() || obj.extract::<i64>().is_ok() {
        return None;
    }
    if let Ok(v) = obj.extract::<u64>() {
        return Some(BigInt::U64(v));
    }
    Some(if obj.lt(0i64).unwrap_or(false) { BigInt::TooNegative } else { BigInt::TooBig })
}

/// PyTorch's OverflowError for an int that is neither int64 nor uint64.
fn big_int_overflow(b: BigInt) -> PyErr {
    PyOverflowError::new_err(match b {
        BigInt::TooNegative => "can't convert negative int to unsigned",
        _ => "int too big to convert",
    })
}

/// A Python number operand of an arithmetic op or comparison with a tensor of `dtype`: a uint64
/// int wraps into int64 next to an integer tensor (PyTorch's cast of its uint64 wrapped number),
/// keeps its value next to a float tensor, and cannot be promoted with bool; larger ints raise
/// OverflowError. `None` when `obj` is not a number.
pub fn arith_scalar(obj: &Bound<'_, PyAny>, dtype: DType) -> PyResult<Option<Scalar>> {
    match big_int(obj) {
        None => Ok(scalar(obj)),
        Some(BigInt::U64(v)) if dtype.is_float() => Ok(Some(Scalar::Float(v as f64))),
        Some(BigInt::U64(_)) if dtype == DType::Bool => Err(crate::Error::runtime(
            "Promotion for uint16, uint32, uint64 types is not supported, attempted to promote Bool and UInt64",
        )
        .into()),
        Some(BigInt::U64(v)) => Ok(Some(Scalar::Int(v as i64))),
        Some(b) => Err(big_int_overflow(b)),
    }
}

/// [`operand`] next to a tensor of `dtype`, with [`arith_scalar`]'s handling of big ints.
pub fn arith_operand(obj: &Bound<'_, PyAny>, dtype: DType) -> PyResult<Option<Tensor>> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok(Some(t.get().inner.clone()));
    }
    Ok(arith_scalar(obj, dtype)?.map(Scalar::to_tensor))
}

/// A Python number PyTorch converts with a range check to `dtype` (`full`, `fill_`, `where`,
/// `clamp`, `masked_fill`, `index_fill`; `None`: int64, the natural dtype of an int): a uint64
/// int is a float for float dtypes, true for bool, and overflows integer dtypes.
pub fn checked_scalar(obj: &Bound<'_, PyAny>, dtype: Option<DType>) -> PyResult<Option<Scalar>> {
    match (big_int(obj), dtype) {
        (None, _) => Ok(scalar(obj)),
        (Some(BigInt::U64(v)), Some(d)) if d.is_float() => Ok(Some(Scalar::Float(v as f64))),
        (Some(BigInt::U64(_)), Some(DType::Bool)) => Ok(Some(Scalar::Bool(true))),
        (Some(BigInt::U64(_)), d) => {
            // Every integer dtype overflows on the largest float: its message names the C++ type.
            let d = d.unwrap_or(DType::I64);
            Err(crate::ops::check_scalar_fits(Scalar::Float(f64::MAX), d).expect_err("integer dtypes overflow").into())
        }
        (Some(b), _) => Err(big_int_overflow(b)),
    }
}

/// [`checked_scalar`] for ops that promote the number with the tensor's dtype first (`clamp`,
/// `where`): a uint64 int cannot be promoted with bool (PyTorch's promotion error), where a fill
/// (`full`, `masked_fill`) just makes it true.
pub fn promoted_scalar(obj: &Bound<'_, PyAny>, dtype: Option<DType>) -> PyResult<Option<Scalar>> {
    if let (Some(BigInt::U64(_)), Some(DType::Bool)) = (big_int(obj), dtype) {
        return Err(crate::Error::runtime(
            "Promotion for uint16, uint32, uint64 types is not supported, attempted to promote Bool and UInt64",
        )
        .into());
    }
    checked_scalar(obj, dtype)
}

/// The `alpha` of `add`/`sub` (a Python number or a 0-d tensor; `None`: 1) for a result of
/// `dtype`: a uint64 int becomes a float for float results and overflows integer ones, as
/// [`checked_scalar`]; anything else is PyTorch's TypeError naming `method`.
pub fn alpha_arg(obj: Option<&Bound<'_, PyAny>>, method: &str, dtype: DType) -> PyResult<Scalar> {
    let Some(obj) = obj else { return Ok(Scalar::Int(1)) };
    if let Ok(t) = obj.cast::<PyTensor>() {
        let t = &t.get().inner;
        if t.dim() == 0 {
            return Ok(match t.dtype() {
                DType::Bool => Scalar::Bool(t.item_f64()? != 0.0),
                d if d.is_float() => Scalar::Float(t.item_f64()?),
                _ => Scalar::Int(t.item_i64()?),
            });
        }
    } else if let Some(s) = checked_scalar(obj, Some(dtype))? {
        return Ok(s);
    }
    Err(PyTypeError::new_err(format!("{method}(): argument 'alpha' must be Number, not {}", type_name(obj))))
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
        .collect::<PyResult<Vec<usize>>>()
        .and_then(|shape| match crate::tensor::checked_numel(&shape) {
            Some(_) => Ok(shape),
            None => Err(crate::Error::runtime(format!("Storage size calculation overflowed with sizes={shape:?}")).into()),
        })
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
    /// An int outside int64 was seen (its value is only in `floats`).
    big: bool,
    /// One of them is too large for f64.
    big_past_f64: bool,
    /// The kind (as `kind`) of the Python numbers alone, and the promoted dtype of the 0-d tensor
    /// elements: PyTorch infers a tensor element's own dtype (`[t64, t64]` is float64, not the
    /// default float type) and promotes it with the numbers' natural dtypes.
    number_kind: u8,
    tensor_dtype: Option<DType>,
}

impl Collector {
    fn push_scalar(&mut self, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        if big_int(obj).is_some() {
            // Usable only for a float or bool result: checked once the dtype is known.
            self.big = true;
            let f = obj.extract::<f64>().unwrap_or_else(|_| {
                self.big_past_f64 = true;
                f64::INFINITY
            });
            self.kind = self.kind.max(2);
            self.number_kind = self.number_kind.max(2);
            self.bools.push(true);
            self.ints.push(0);
            self.floats.push(f);
            self.count += 1;
            return Ok(());
        }
        let from_tensor = obj.cast::<PyTensor>().is_ok();
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
                    self.tensor_dtype = Some(self.tensor_dtype.map_or(t.dtype(), |d| d.promote(t.dtype())));
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
        if !from_tensor {
            let kind = match value {
                Scalar::Bool(_) => 1,
                Scalar::Int(_) => 2,
                Scalar::Float(_) => 3,
            };
            self.number_kind = self.number_kind.max(kind);
        }
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
        if obj.is_instance_of::<pyo3::types::PyBytes>() {
            return Err(PyTypeError::new_err(format!("new(): invalid data type '{}'", type_name(obj))));
        }
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
    // A numpy scalar (`np.float64(1.5)`, `a.sum()`): read as the 0-d array it converts to (its
    // `astype` returns a scalar again, which the widening below would chase forever).
    if obj.cast::<numpy::PyUntypedArray>().is_err() && obj.hasattr("__array_interface__")? && obj.hasattr("__array__")? {
        let array = obj.call_method0("__array__")?;
        if array.cast::<numpy::PyUntypedArray>().is_ok() {
            return read_numpy(&array, dtype);
        }
    }
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
    let mut collector = Collector {
        shape: Vec::new(),
        bools: vec![],
        ints: vec![],
        floats: vec![],
        kind: 0,
        count: 0,
        big: false,
        big_past_f64: false,
        number_kind: 0,
        tensor_dtype: None,
    };
    if let Err(e) = collector.walk(data, 0) {
        return Err(super::data_errors::data_error(data, dtype).unwrap_or(e));
    }
    let shape = collector.shape.clone();
    let numbers = match collector.number_kind {
        0 => None,
        1 => Some(DType::Bool),
        2 => Some(DType::I64),
        _ => Some(DType::default_float()),
    };
    let natural = match (numbers, collector.tensor_dtype) {
        (Some(n), Some(t)) => n.promote(t),
        (n, t) => n.or(t).unwrap_or(DType::default_float()),
    };
    let dtype = dtype.unwrap_or(natural);
    let big = collector.big;
    if big && dtype.is_integral() {
        // PyTorch unpacks each int as a C long long for an integer tensor.
        return Err(PyValueError::new_err("Overflow when unpacking long long"));
    }
    let values = if big {
        if dtype.is_float() && collector.big_past_f64 {
            // Python's own float(int) refusal (an int past f64's range).
            return Err(PyOverflowError::new_err("int too large to convert to float"));
        }
        Values::Float(collector.floats)
    } else {
        collector.values()
    };
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
            // PyTorch takes Python's number types for dtypes: float is float64, int int64
            Err(_) if o.is(o.py().get_type::<PyFloat>()) => Ok(Some(DType::F64)),
            Err(_) if o.is(o.py().get_type::<PyBool>()) => Ok(Some(DType::Bool)),
            Err(_) if o.is(o.py().get_type::<PyInt>()) => Ok(Some(DType::I64)),
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
