//! Factory functions of `rustgrad` (`tensor`, `zeros`, `arange`, `randn`, `randint`, ...), the
//! random in-place fills `normal_` / `uniform_`, dtype casts (`.int()`, `.type()`) and `.device`.

use pyo3::exceptions::{PyAssertionError, PyNotImplementedError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use super::argparse;
use super::convert::{big_int, checked_scalar, dtype_arg, BigInt, scalar, size_from_args, size_from_sequence, tensor_from_data, type_name};
use super::generator::generator_arg;
use super::tensor::{wrap_tensor, PyTensor};
use crate::ops;
use crate::error::catch_alloc_failure;
use crate::random::SharedGenerator;
use crate::tensor::check_storage_nbytes;
use crate::tensor::{DType, Scalar, Tensor};

/// Accepts `device=None`, `"cpu"`, `"cpu:0"` or `rustgrad.device("cpu")`.
pub fn check_device(device: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    let Some(device) = device.filter(|d| !d.is_none()) else {
        return Ok(());
    };
    let text = device.str()?.to_string();
    let kind = text.split(':').next().unwrap_or_default();
    match kind {
        "cpu" => Ok(()),
        "cuda" => Err(PyAssertionError::new_err("rustgrad not compiled with CUDA enabled")),
        _ => {
            // Let rustgrad.device word the error for malformed names.
            device.py().import("rustgrad._device")?.getattr("device")?.call1((device,))?;
            Err(PyRuntimeError::new_err(format!("rustgrad supports only the cpu device, not {text}")))
        }
    }
}

/// `rustgrad.device("cpu")`.
pub fn cpu_device(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static DEVICE: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    super::tensor::cached_attr(py, &DEVICE, "rustgrad._device", "device")?.call1(("cpu",))
}

fn finish<'py>(py: Python<'py>, t: Tensor, requires_grad: bool) -> PyResult<Bound<'py, PyAny>> {
    wrap_tensor(py, t.with_requires_grad(requires_grad)?)
}

/// The keyword tail the factories share: checks `device`, resolves `dtype` (else `default`),
/// makes the tensor with `make(dtype)` and sets `requires_grad`.
fn factory<'py>(
    py: Python<'py>,
    dtype: Option<&Bound<'py, PyAny>>,
    default: DType,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
    make: impl FnOnce(DType) -> PyResult<Tensor>,
) -> PyResult<Bound<'py, PyAny>> {
    check_device(device)?;
    let dtype = dtype_arg(dtype)?.unwrap_or(default);
    finish(py, catch_alloc_failure(|| make(dtype))?, requires_grad)
}

/// A sampler of the `random` module (`randn_with`, `rand_with`).
type Sampler = fn(&[usize], DType, Option<&SharedGenerator>) -> Tensor;

/// A sampling factory's tail: `generator`, a float `dtype` (else `default`; PyTorch names its
/// `kernel` when it is not), then `sample(shape, dtype, generator)` with the GIL released.
#[allow(clippy::too_many_arguments)]
fn sampled<'py>(
    py: Python<'py>,
    name: &str,
    kernel: &str,
    generator: Option<&Bound<'py, PyAny>>,
    dtype: Option<&Bound<'py, PyAny>>,
    default: DType,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
    shape: impl FnOnce() -> PyResult<Vec<usize>>,
    sample: Sampler,
) -> PyResult<Bound<'py, PyAny>> {
    check_device(device)?;
    let generator = generator_arg(generator, name)?;
    let dtype = float_dtype(dtype_arg(dtype)?.unwrap_or(default), kernel)?;
    let shape = shape()?;
    check_storage_nbytes(&shape, dtype.size_in_bytes(), None)?;
    let sampled = py.detach(|| catch_alloc_failure(|| Ok::<_, crate::error::Error>(sample(&shape, dtype, generator.as_ref()))))?;
    finish(py, sampled, requires_grad)
}

/// `rustgrad.tensor(data, *, dtype=None, requires_grad=False)`: a new tensor copying `data`.
#[pyfunction]
#[pyo3(signature = (data, *, dtype=None, device=None, requires_grad=false))]
fn tensor<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    dtype: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    check_device(device)?;
    finish(py, tensor_from_data(data, dtype_arg(dtype)?)?, requires_grad)
}

/// `zeros` / `ones` / `empty`: `*size` filled with `value` (`empty` gives zeros: its contents are
/// unspecified in PyTorch, and zeros are a valid choice).
macro_rules! filled_factory {
    ($name:ident, $value:expr, $doc:literal) => {
        #[doc = $doc]
        #[pyfunction]
        #[pyo3(signature = (*size, dtype=None, device=None, requires_grad=None))]
        fn $name<'py>(
            py: Python<'py>,
            size: &Bound<'py, PyTuple>,
            dtype: Option<&Bound<'py, PyAny>>,
            device: Option<&Bound<'py, PyAny>>,
            requires_grad: Option<&Bound<'py, PyAny>>,
        ) -> PyResult<Bound<'py, PyAny>> {
            let kw = [("dtype", dtype), ("device", device), ("requires_grad", requires_grad)];
            let refine = |e| argparse::refine_kw(stringify!($name), size, &kw, e);
            let requires_grad = argparse::bool_arg(requires_grad, false).map_err(refine)?;
            if size.is_empty() {
                return Err(refine(PyTypeError::new_err("size is missing")));
            }
            factory(py, dtype, DType::default_float(), device, requires_grad, |dtype| {
                let shape = size_from_args(size)?;
                check_storage_nbytes(&shape, dtype.size_in_bytes(), None)?;
                Ok(Tensor::full(&shape, $value, dtype))
            })
            .map_err(refine)
        }
    };
}

filled_factory!(zeros, 0.0, "A tensor of zeros.");
filled_factory!(ones, 1.0, "A tensor of ones.");
filled_factory!(empty, 0.0, "An uninitialised tensor (zero-filled here).");

fn natural_dtype(value: Scalar) -> DType {
    match value {
        Scalar::Bool(_) => DType::Bool,
        Scalar::Int(_) => DType::I64,
        Scalar::Float(_) => DType::default_float(),
    }
}

/// A Python number (or one-element tensor) argument.
fn number_arg(obj: &Bound<'_, PyAny>, function: &str, name: &str) -> PyResult<Scalar> {
    if let Some(s) = scalar(obj) {
        return Ok(s);
    }
    if let Ok(t) = obj.cast::<PyTensor>() {
        let t = &t.get().inner;
        if t.dim() == 0 && !t.requires_grad() {
            let v = t.item_f64()?;
            return Ok(if t.dtype().is_float() { Scalar::Float(v) } else { Scalar::Int(v as i64) });
        }
    }
    Err(PyTypeError::new_err(format!("{function}(): argument '{name}' must be Number, not {}", type_name(obj))))
}

/// A tensor filled with `fill_value` (its dtype follows the value unless given).
#[pyfunction]
#[pyo3(signature = (size, fill_value=None, *, dtype=None, device=None, requires_grad=None))]
fn full<'py>(
    py: Python<'py>,
    size: &Bound<'py, PyAny>,
    fill_value: Option<&Bound<'py, PyAny>>,
    dtype: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let kw = [("dtype", dtype), ("device", device), ("requires_grad", requires_grad)];
    let Some(fill_value) = fill_value else {
        let err = PyTypeError::new_err("fill_value is missing");
        return Err(argparse::refine_kw("full", &PyTuple::new(py, [size])?, &kw, err));
    };
    let args = PyTuple::new(py, [size, fill_value])?;
    full_checked(py, size, fill_value, dtype, device, requires_grad).map_err(|e| argparse::refine_kw("full", &args, &kw, e))
}

fn full_checked<'py>(
    py: Python<'py>,
    size: &Bound<'py, PyAny>,
    fill_value: &Bound<'py, PyAny>,
    dtype: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let requires_grad = argparse::bool_arg(requires_grad, false)?;
    check_device(device)?;
    let requested = dtype_arg(dtype)?;
    let value = checked_scalar(fill_value, requested)?
        .ok_or_else(|| PyTypeError::new_err("full(): argument 'fill_value' must be a Number"))?;
    let dtype = requested.unwrap_or(natural_dtype(value));
    crate::ops::check_scalar_fits(value, dtype)?;
    let shape = size_from_sequence(size)?;
    check_storage_nbytes(&shape, dtype.size_in_bytes(), None)?;
    finish(py, catch_alloc_failure(|| Ok::<_, PyErr>(ops::full_exact(&shape, value, dtype)))?, requires_grad)
}

fn like<'py>(
    py: Python<'py>,
    input: &PyTensor,
    value: Scalar,
    dtype: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    factory(py, dtype, input.inner.dtype(), None, requires_grad, |dtype| {
        let shape = input.inner.shape();
        // PyTorch's empty_like goes through empty_strided, which names the strides
        check_storage_nbytes(&shape, dtype.size_in_bytes(), Some(&crate::tensor::contiguous_strides(&shape)))?;
        Ok(ops::full_exact(&shape, value, dtype))
    })
}

/// `zeros_like` / `ones_like` / `empty_like`.
macro_rules! like_factory {
    ($name:ident, $value:expr, $doc:literal) => {
        #[doc = $doc]
        #[pyfunction]
        #[pyo3(signature = (input, *, dtype=None, device=None, requires_grad=false, memory_format=None))]
        fn $name<'py>(
            py: Python<'py>,
            input: PyRef<'py, PyTensor>,
            dtype: Option<&Bound<'py, PyAny>>,
            device: Option<&Bound<'py, PyAny>>,
            requires_grad: bool,
            memory_format: Option<&Bound<'py, PyAny>>,
        ) -> PyResult<Bound<'py, PyAny>> {
            let _ = memory_format; // every tensor made here is contiguous
            check_device(device)?;
            like(py, &input, $value, dtype, requires_grad)
        }
    };
}

like_factory!(zeros_like, Scalar::Float(0.0), "Zeros shaped like `input`.");
like_factory!(ones_like, Scalar::Float(1.0), "Ones shaped like `input`.");
like_factory!(empty_like, Scalar::Float(0.0), "An uninitialised (zero-filled) tensor shaped like `input`.");

/// `fill_value` shaped like `input` (in `input`'s dtype unless given).
#[pyfunction]
#[pyo3(signature = (input, fill_value, *, dtype=None, device=None, requires_grad=false, memory_format=None))]
fn full_like<'py>(
    py: Python<'py>,
    input: PyRef<'py, PyTensor>,
    fill_value: &Bound<'py, PyAny>,
    dtype: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
    memory_format: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = memory_format;
    check_device(device)?;
    let target = dtype_arg(dtype)?.unwrap_or(input.inner.dtype());
    let value = match checked_scalar(fill_value, Some(target))? {
        Some(s) => s,
        None => number_arg(fill_value, "full_like", "fill_value").map_err(|e| {
            // PyTorch's parser names the position (the arguments are taken as positional here)
            let Ok(input) = pyo3::IntoPyObject::into_pyobject(&input, py);
            let args = PyTuple::new(py, [input.to_owned().into_any(), fill_value.clone()]);
            args.map_or_else(|e| e, |args| super::argparse::refine("full_like", &args, None, e))
        })?,
    };
    crate::ops::check_scalar_fits(value, target)?;
    like(py, &input, value, dtype, requires_grad)
}

/// Checks that `dtype` is a float type for a kernel named `kernel` (PyTorch's message).
fn float_dtype(dtype: DType, kernel: &str) -> PyResult<DType> {
    if !dtype.is_float() {
        return Err(PyNotImplementedError::new_err(format!(
            "\"{kernel}\" not implemented for '{}'",
            dtype.scalar_type_name()
        )));
    }
    Ok(dtype)
}

/// `randn`/`rand` and their `_like` forms, drawing with `sample`.
macro_rules! random_factory {
    ($name:ident, $like:ident, $sample:path, $kernel:literal, $doc:literal) => {
        #[doc = $doc]
        #[pyfunction]
        #[pyo3(signature = (*size, generator=None, dtype=None, device=None, requires_grad=None, **unknown))]
        #[allow(clippy::too_many_arguments)]
        fn $name<'py>(
            py: Python<'py>,
            size: &Bound<'py, PyTuple>,
            generator: Option<&Bound<'py, PyAny>>,
            dtype: Option<&Bound<'py, PyAny>>,
            device: Option<&Bound<'py, PyAny>>,
            requires_grad: Option<&Bound<'py, PyAny>>,
            unknown: Option<&Bound<'py, PyDict>>,
        ) -> PyResult<Bound<'py, PyAny>> {
            let kw = [("generator", generator), ("dtype", dtype), ("device", device), ("requires_grad", requires_grad)];
            let refine = |e| argparse::refine_kw(stringify!($name), size, &kw, e);
            if let Some(unknown) = unknown.filter(|u| !u.is_empty()) {
                // PyTorch's two overloads word an unexpected keyword as an invalid combination
                let all = PyDict::new(py);
                for (k, v) in kw.iter().filter_map(|(k, v)| Some((*k, (*v)?))) {
                    all.set_item(k, v)?;
                }
                all.update(unknown.as_mapping())?;
                return Err(argparse::refine(stringify!($name), size, Some(&all), PyTypeError::new_err("unexpected keyword")));
            }
            let requires_grad = argparse::bool_arg(requires_grad, false).map_err(refine)?;
            let shape = || size_from_args(size);
            let name = stringify!($name);
            sampled(py, name, $kernel, generator, dtype, DType::default_float(), device, requires_grad, shape, $sample)
                .map_err(refine)
        }

        #[doc = concat!($doc, " shaped like `input`.")]
        #[pyfunction]
        #[pyo3(signature = (input, *, generator=None, dtype=None, device=None, requires_grad=false, memory_format=None))]
        #[allow(clippy::too_many_arguments)]
        fn $like<'py>(
            py: Python<'py>,
            input: PyRef<'py, PyTensor>,
            generator: Option<&Bound<'py, PyAny>>,
            dtype: Option<&Bound<'py, PyAny>>,
            device: Option<&Bound<'py, PyAny>>,
            requires_grad: bool,
            memory_format: Option<&Bound<'py, PyAny>>,
        ) -> PyResult<Bound<'py, PyAny>> {
            let _ = memory_format; // every tensor made here is contiguous
            let (name, shape) = (stringify!($like), || Ok(input.inner.shape()));
            sampled(py, name, $kernel, generator, dtype, input.inner.dtype(), device, requires_grad, shape, $sample)
        }
    };
}

random_factory!(randn, randn_like, crate::random::randn_with, "normal_kernel_cpu", "Standard normal samples");
random_factory!(rand, rand_like, crate::random::rand_with, "check_uniform_bounds", "Uniform samples in [0, 1)");

const RANDINT_SIGNATURES: &str = " * (int high, tuple of ints size, *, rustgrad.Generator generator, Tensor out = None, rustgrad.dtype dtype = None, rustgrad.layout layout = None, rustgrad.device device = None, bool pin_memory = False, bool requires_grad = False)
 * (int high, tuple of ints size, *, Tensor out = None, rustgrad.dtype dtype = None, rustgrad.layout layout = None, rustgrad.device device = None, bool pin_memory = False, bool requires_grad = False)
 * (int low, int high, tuple of ints size, *, rustgrad.Generator generator, Tensor out = None, rustgrad.dtype dtype = None, rustgrad.layout layout = None, rustgrad.device device = None, bool pin_memory = False, bool requires_grad = False)
 * (int low, int high, tuple of ints size, *, Tensor out = None, rustgrad.dtype dtype = None, rustgrad.layout layout = None, rustgrad.device device = None, bool pin_memory = False, bool requires_grad = False)
";

/// The inclusive value range of an integer dtype with its C++ name (for randint's bound checks).
fn int_bounds(dtype: DType) -> Option<(i64, i64, &'static str)> {
    match dtype {
        DType::Bool => Some((0, 1, "bool")),
        DType::U8 => Some((0, 255, "unsigned char")),
        DType::I32 => Some((i32::MIN as i64, i32::MAX as i64, "int")),
        _ => None,
    }
}

/// `randint(low=0, high, size, *, generator=None, dtype=int64, requires_grad=False)`.
#[pyfunction]
#[pyo3(signature = (*args, **kwargs))]
fn randint<'py>(
    py: Python<'py>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let kw = |name: &str| -> PyResult<Option<Bound<'py, PyAny>>> {
        match kwargs {
            Some(k) => k.get_item(name),
            None => Ok(None),
        }
    };
    let mut positional: Vec<Bound<'py, PyAny>> = args.iter().collect();
    for name in ["low", "high", "size"] {
        if let Some(v) = kw(name)? {
            if name == "low" && positional.is_empty() {
                positional.push(v);
            } else if name == "low" {
                positional.insert(0, v);
            } else {
                positional.push(v);
            }
        }
    }
    let explicit_low = kw("low")?.is_some() || positional.len() == 3;
    let described = || {
        let kinds: Vec<String> = positional.iter().map(type_name).collect();
        PyTypeError::new_err(format!(
            "randint() received an invalid combination of arguments - got ({}), but expected one of:\n{RANDINT_SIGNATURES}",
            kinds.join(", ")
        ))
    };
    let is_int = |o: &Bound<'py, PyAny>| o.is_instance_of::<PyInt>();
    let (low, high, size) = match positional.as_slice() {
        [high, size] if !explicit_low && is_int(high) => (None, high, size),
        [low, high, size] if is_int(low) && is_int(high) => (Some(low), high, size),
        _ => return Err(described()),
    };
    let size_position = if low.is_some() { 3 } else { 2 };
    if size.is_instance_of::<PyInt>() || !(size.is_instance_of::<PyTuple>() || size.is_instance_of::<PyList>()) {
        return Err(PyTypeError::new_err(format!(
            "randint(): argument 'size' (position {size_position}) must be tuple of ints, not {}",
            type_name(size)
        )));
    }
    let shape = size_from_sequence(size)?;
    let low: i64 = low.map(|l| l.extract()).transpose()?.unwrap_or(0);
    let high: i64 = high.extract()?;
    let generator = generator_arg(kw("generator")?.as_ref(), "randint")?;
    let dtype = dtype_arg(kw("dtype")?.as_ref())?.unwrap_or(DType::I64);
    check_device(kw("device")?.as_ref())?;
    let requires_grad = kw("requires_grad")?.map(|r| r.extract::<bool>()).transpose()?.unwrap_or(false);
    if low < high {
        if let Some((min, max, name)) = int_bounds(dtype) {
            if low < min {
                return Err(PyRuntimeError::new_err(format!("from is out of bounds for {name}")));
            }
            if high - 1 > max {
                return Err(PyRuntimeError::new_err(format!("to - 1 is out of bounds for {name}")));
            }
        }
    }
    check_storage_nbytes(&shape, dtype.size_in_bytes(), None)?;
    let t = catch_alloc_failure(|| ops::randint(low, high, &shape, dtype, generator.as_ref()))?;
    finish(py, t, requires_grad)
}

/// A random permutation of `0..n`.
#[pyfunction]
#[pyo3(signature = (n, *, generator=None, dtype=None, device=None, requires_grad=false))]
fn randperm<'py>(
    py: Python<'py>,
    n: i64,
    generator: Option<&Bound<'py, PyAny>>,
    dtype: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    check_device(device)?;
    if n < 0 {
        return Err(PyRuntimeError::new_err(format!("Trying to create tensor with negative dimension {n}: [{n}]")));
    }
    let generator = generator_arg(generator, "randperm")?;
    factory(py, dtype, DType::I64, None, requires_grad, |dtype| {
        check_storage_nbytes(&[n as usize], dtype.size_in_bytes(), None)?;
        Ok(ops::randperm(n as usize, dtype, generator.as_ref())?)
    })
}

/// `arange(end)` / `arange(start, end, step=1)`: int64 unless a bound or the step is a float.
#[pyfunction]
#[pyo3(signature = (start, end=argparse::Given(None), step=argparse::Given(None), *, dtype=None, device=None, requires_grad=false))]
fn arange<'py>(
    py: Python<'py>,
    start: &Bound<'py, PyAny>,
    end: argparse::Given<'py>,
    step: argparse::Given<'py>,
    dtype: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    check_device(device)?;
    // A bound is a number, or a uint64 int (`2**63 <= n < 2**64`) usable only in a float range.
    let bound = |obj: &Bound<'py, PyAny>, name: &str| -> PyResult<Result<Scalar, u64>> {
        match big_int(obj) {
            Some(BigInt::U64(v)) => Ok(Err(v)),
            Some(_) => Err(checked_scalar(obj, None).expect_err("only uint64 ints are left")),
            None => number_arg(obj, "arange", name).map(Ok),
        }
    };
    // an explicit None is refused (as by PyTorch's parser), an absent bound takes its default
    let (end, step) = (end.0.as_ref(), step.0.as_ref());
    let parsed = || -> PyResult<_> {
        let first = bound(start, "start")?;
        let (start, end) = match end {
            Some(e) => (first, bound(e, "end")?),
            None => (Ok(Scalar::Int(0)), first),
        };
        let step = match step {
            Some(s) => bound(s, "step")?,
            None => Ok(Scalar::Int(1)),
        };
        Ok((start, end, step))
    };
    let (start, end, step) = parsed().map_err(|e| {
        // PyTorch's parser error (the bounds taken as positional)
        let given: Vec<Bound<'py, PyAny>> = std::iter::once(start.clone()).chain(end.cloned()).chain(step.cloned()).collect();
        PyTuple::new(py, given).map_or_else(|e| e, |args| super::argparse::refine("arange", &args, None, e))
    })?;
    let any_float = [start, end, step].iter().any(|s| matches!(s, Ok(Scalar::Float(_))));
    let natural = if any_float { DType::default_float() } else { DType::I64 };
    factory(py, dtype, natural, None, requires_grad, |dtype| {
        // PyTorch sizes an int64 range in int64 (every bound converted, checked), any other in
        // double; its kernel then converts start and step to the accumulate type (int64 for
        // integer dtypes): a uint64 bound is a float only where it is never converted.
        let overflow = || crate::Error::runtime("value cannot be converted to type int64_t without overflow");
        let as_float = |b: Result<Scalar, u64>| b.unwrap_or_else(|v| Scalar::Float(v as f64));
        if dtype == DType::I64 && [start, end, step].iter().any(Result::is_err) {
            return Err(overflow().into());
        }
        if !dtype.is_float() && dtype != DType::I64 && (start.is_err() || step.is_err()) {
            ops::arange(as_float(start).to_f64(), as_float(end).to_f64(), as_float(step).to_f64(), dtype)?;
            return Err(overflow().into());
        }
        Ok(ops::arange_scalars(as_float(start), as_float(end), as_float(step), dtype)?)
    })
}

/// `steps` evenly spaced values from `start` to `end` inclusive.
#[pyfunction]
#[pyo3(signature = (start, end, steps, *, dtype=None, device=None, requires_grad=false))]
fn linspace<'py>(
    py: Python<'py>,
    start: &Bound<'py, PyAny>,
    end: &Bound<'py, PyAny>,
    steps: i64,
    dtype: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    check_device(device)?;
    let start = number_arg(start, "linspace", "start")?.to_f64();
    let end = number_arg(end, "linspace", "end")?.to_f64();
    factory(py, dtype, DType::default_float(), None, requires_grad, |dtype| {
        if steps >= 0 {
            check_storage_nbytes(&[steps as usize], dtype.size_in_bytes(), None)?;
        }
        Ok(ops::linspace(start, end, steps, dtype)?)
    })
}

/// The `n x m` identity matrix.
#[pyfunction]
#[pyo3(signature = (n, m=None, *, dtype=None, device=None, requires_grad=false))]
fn eye<'py>(
    py: Python<'py>,
    n: i64,
    m: Option<i64>,
    dtype: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    factory(py, dtype, DType::default_float(), device, requires_grad, |dtype| Ok(ops::eye(n, m, dtype)?))
}

fn cast<'py>(slf: &Bound<'py, PyTensor>, dtype: DType) -> PyResult<Bound<'py, PyAny>> {
    if slf.get().inner.dtype() == dtype {
        return Ok(slf.clone().into_any());
    }
    slf.get().unary(slf.py(), move |t| ops::to_dtype(t, dtype))
}

/// `normal_` / `uniform_`: `fill(tensor, generator)` in place on a float tensor, GIL released.
fn fill_random<'py>(
    slf: &Bound<'py, PyTensor>,
    name: &str,
    kernel: &str,
    generator: Option<&Bound<'py, PyAny>>,
    fill: impl FnOnce(&Tensor, Option<&SharedGenerator>) -> crate::error::Result<()> + Send,
) -> PyResult<Bound<'py, PyTensor>> {
    let generator = generator_arg(generator, name)?;
    let target = slf.get().inner.clone();
    float_dtype(target.dtype(), kernel)?;
    slf.py().detach(|| fill(&target, generator.as_ref()))?;
    Ok(slf.clone())
}

/// The `(double a, double b, *, Generator? generator)` arguments of normal_ / uniform_: plain
/// numbers skip the parser; anything else is bound by it (0-d tensors) or refused with its error.
fn two_floats<'py>(
    key: &str,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
    names: [&str; 3],
    defaults: (f64, f64),
) -> PyResult<(f64, f64, Option<Bound<'py, PyAny>>)> {
    let number = |o: &Bound<'py, PyAny>| if o.is_instance_of::<PyFloat>() || o.is_instance_of::<PyInt>() { o.extract::<f64>().ok() } else { None };
    let fast = super::argparse::slots(args, kwargs, names, 2).and_then(|[a, b, g]| {
        let a = a.map_or(Some(defaults.0), |a| number(&a))?;
        let b = b.map_or(Some(defaults.1), |b| number(&b))?;
        Some((a, b, g))
    });
    if let Some(f) = fast {
        return Ok(f);
    }
    let bound = super::argparse::bind(key, args, kwargs)?;
    let value = |name: &str, default: f64| bound.get(name).map_or(Ok(default), |o| o.extract::<f64>());
    Ok((value(names[0], defaults.0)?, value(names[1], defaults.1)?, bound.get(names[2]).cloned()))
}

#[pymethods]
impl PyTensor {
    /// Fills in place with samples of N(mean, std^2).
    #[pyo3(signature = (*args, **kwargs))]
    fn normal_<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        let (mean, std, generator) = two_floats("Tensor.normal_", args, kwargs, ["mean", "std", "generator"], (0.0, 1.0))?;
        fill_random(slf, "normal_", "normal_kernel_cpu", generator.as_ref(), |t, g| ops::normal_(t, mean, std, g))
    }

    /// Fills in place with samples uniform in [from, to).
    #[pyo3(signature = (*args, **kwargs))]
    fn uniform_<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        let (from, to, generator) = two_floats("Tensor.uniform_", args, kwargs, ["from", "to", "generator"], (0.0, 1.0))?;
        fill_random(slf, "uniform_", "check_uniform_bounds", generator.as_ref(), |t, g| ops::uniform_(t, from, to, g))
    }

    /// As int32.
    fn int<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        cast(slf, DType::I32)
    }

    /// As uint8.
    fn byte<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        cast(slf, DType::U8)
    }

    /// `x.type()`: the legacy type name (`'rustgrad.FloatTensor'`); `x.type(dtype)`: a cast.
    #[pyo3(signature = (dtype=None))]
    fn r#type<'py>(slf: &Bound<'py, Self>, dtype: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        match dtype.filter(|d| !d.is_none()) {
            None => Ok(PyString::new(py, slf.get().inner.dtype().legacy_type_name()).into_any()),
            Some(d) => {
                if let Ok(name) = d.extract::<String>() {
                    let target = DType::ALL.into_iter().find(|t| t.legacy_type_name() == name);
                    return match target {
                        Some(t) => cast(slf, t),
                        None => Err(pyo3::exceptions::PyValueError::new_err(format!("invalid type: '{name}'"))),
                    };
                }
                cast(slf, dtype_arg(Some(d))?.expect("not None"))
            }
        }
    }

    /// The device holding the data (always the CPU).
    #[getter]
    fn device<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        cpu_device(py)
    }

    /// True: rustgrad tensors live on the CPU.
    #[getter]
    fn is_cpu(&self) -> bool {
        true
    }
}

/// Adds this file's functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(tensor, m)?)?;
    m.add_function(wrap_pyfunction!(zeros, m)?)?;
    m.add_function(wrap_pyfunction!(ones, m)?)?;
    m.add_function(wrap_pyfunction!(empty, m)?)?;
    m.add_function(wrap_pyfunction!(full, m)?)?;
    m.add_function(wrap_pyfunction!(zeros_like, m)?)?;
    m.add_function(wrap_pyfunction!(ones_like, m)?)?;
    m.add_function(wrap_pyfunction!(empty_like, m)?)?;
    m.add_function(wrap_pyfunction!(full_like, m)?)?;
    m.add_function(wrap_pyfunction!(randn, m)?)?;
    m.add_function(wrap_pyfunction!(rand, m)?)?;
    m.add_function(wrap_pyfunction!(randn_like, m)?)?;
    m.add_function(wrap_pyfunction!(rand_like, m)?)?;
    m.add_function(wrap_pyfunction!(randint, m)?)?;
    m.add_function(wrap_pyfunction!(randperm, m)?)?;
    m.add_function(wrap_pyfunction!(arange, m)?)?;
    m.add_function(wrap_pyfunction!(linspace, m)?)?;
    m.add_function(wrap_pyfunction!(eye, m)?)?;
    Ok(())
}
