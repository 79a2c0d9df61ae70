//! `rustgrad.Tensor`: the Python face of a core tensor. Every operator and method is one call into
//! Rust; printing is delegated to `rustgrad._tensor_str` (a port of PyTorch's formatter).

use std::ffi::{c_void, CString};
use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PySequence, PyTuple};

use super::convert::{arith_operand, arith_scalar, checked_scalar, operand, scalar, size_from_args, to_nested_list, type_name};
use super::dtype::PyDType;
use super::node::wrap_node;
use crate::cpu::GRAIN;
use crate::ops;
use crate::error::catch_alloc_failure;
use crate::tensor::{DType, Scalar, Tensor};

/// A multi-dimensional array that records the operations done on it for automatic differentiation.
#[pyclass(name = "Tensor", module = "rustgrad", subclass, frozen, weakref)]
pub struct PyTensor {
    /// The core tensor.
    pub inner: Tensor,
    /// True when this object is the one registered in the tensor's Python-object slot.
    registered: AtomicBool,
}

impl Drop for PyTensor {
    fn drop(&mut self) {
        if self.registered.load(Ordering::Relaxed) {
            self.inner.py_object_slot().store(std::ptr::null_mut(), Ordering::Release);
        }
    }
}

/// The Python object of `t`: the existing one if `t` already has one, so identity is preserved
/// (`x.grad is x.grad`, `b.relu_() is b`).
pub fn wrap_tensor(py: Python<'_>, t: Tensor) -> PyResult<Bound<'_, PyAny>> {
    let ptr = t.py_object_slot().load(Ordering::Acquire);
    if !ptr.is_null() {
        // SAFETY: the slot holds a live object: it is cleared in Drop, under the GIL we hold.
        return Ok(unsafe { Bound::from_borrowed_ptr(py, ptr as *mut pyo3::ffi::PyObject) });
    }
    let obj = Bound::new(py, PyTensor { inner: t.clone(), registered: AtomicBool::new(true) })?;
    t.py_object_slot().store(obj.as_ptr() as *mut c_void, Ordering::Release);
    Ok(obj.into_any())
}

/// A fresh tensor object for `#[new]` (subclasses such as Parameter) that is not yet registered.
pub fn unregistered(t: Tensor) -> PyTensor {
    PyTensor { inner: t, registered: AtomicBool::new(false) }
}

/// Runs `f` with the GIL released when the work is big enough to be worth it, so other Python
/// threads run meanwhile. A buffer the system refuses becomes PyTorch's RuntimeError.
pub fn maybe_detach<R: Send>(py: Python<'_>, numel: usize, f: impl FnOnce() -> crate::Result<R> + Send) -> crate::Result<R> {
    if numel >= GRAIN {
        py.detach(|| catch_alloc_failure(f))
    } else {
        catch_alloc_failure(f)
    }
}

/// Emits a `UserWarning` attributed to the Python caller's line.
pub fn user_warning(py: Python<'_>, message: &str) -> PyResult<()> {
    let message = CString::new(message).expect("no NUL in warnings");
    PyErr::warn(py, &py.get_type::<PyUserWarning>(), &message, 1)
}

const NON_LEAF_GRAD_WARNING: &str = "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information.";

const CREATE_GRAPH_WARNING: &str = "Using backward() with create_graph=True will create a reference cycle between the parameter and its gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters to None after use to break the cycle and avoid the leak.";

/// Tensors from `None`, a tensor, or a sequence of tensors.
pub fn tensor_list(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<Tensor>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(None) };
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok(Some(vec![t.get().inner.clone()]));
    }
    let seq = obj
        .cast::<PySequence>()
        .map_err(|_| PyTypeError::new_err(format!("'{}' object is not iterable", type_name(obj))))?;
    (0..seq.len()?)
        .map(|i| {
            let item = seq.get_item(i)?;
            item.cast::<PyTensor>()
                .map(|t| t.get().inner.clone())
                .map_err(|_| PyTypeError::new_err(format!("expected Tensor as element {i}, but got {}", type_name(&item))))
        })
        .collect::<PyResult<Vec<_>>>()
        .map(Some)
}


/// `sum`/`mean`'s `(dim=None, keepdim=False, *, dtype=None)`, with PyTorch's parser errors.
fn reduction_args(
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
    key: &str,
) -> PyResult<(Option<Vec<i64>>, bool, Option<DType>)> {
    if kwargs.is_none_or(|k| k.is_empty()) {
        // the common spellings skip the parser: sum(), sum(dim), sum(dim, keepdim)
        match args.len() {
            0 => return Ok((None, false, None)),
            1 | 2 => {
                let dim = super::argparse::int_arg(&args.get_item(0)?);
                let keepdim = if args.len() == 2 { args.get_item(1)?.cast::<PyBool>().ok().map(|b| b.is_true()) } else { Some(false) };
                if let (Some(d), Some(k)) = (dim, keepdim) {
                    return Ok((Some(vec![d]), k, None));
                }
            }
            _ => {}
        }
    }
    let bound = super::argparse::bind(key, args, kwargs)?;
    let dtype = super::convert::dtype_arg(bound.get("dtype")).map_err(|e| super::argparse::refine(key, args, kwargs, e))?;
    Ok((bound.ints("dim")?, bound.flag("keepdim", false)?, dtype))
}


fn python_scalar<'py>(py: Python<'py>, t: &Tensor, value: f64) -> PyResult<Bound<'py, PyAny>> {
    Ok(match t.dtype() {
        DType::Bool => PyBool::new(py, value != 0.0).to_owned().into_any(),
        DType::U8 | DType::I32 | DType::I64 => (value as i64).into_pyobject(py)?.into_any(),
        DType::F32 | DType::F64 => PyFloat::new(py, value).into_any(),
    })
}

impl PyTensor {
    pub(crate) fn t(&self) -> &Tensor {
        &self.inner
    }

    /// Applies `op` to this tensor, with the GIL released when the work is big enough (so other
    /// Python threads run meanwhile) and a refused allocation raised as PyTorch's RuntimeError.
    pub(crate) fn unary<'py>(&self, py: Python<'py>, op: impl FnOnce(&Tensor) -> crate::Result<Tensor> + Send) -> PyResult<Bound<'py, PyAny>> {
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, t.numel(), move || op(&t))?)
    }

    /// [`unary`](Self::unary) for an op of this tensor and an already converted `other`.
    pub(crate) fn with_other<'py>(
        &self,
        py: Python<'py>,
        other: Tensor,
        op: impl FnOnce(&Tensor, &Tensor) -> crate::Result<Tensor> + Send,
    ) -> PyResult<Bound<'py, PyAny>> {
        let numel = self.inner.numel().max(other.numel());
        let t = self.inner.clone();
        wrap_tensor(py, maybe_detach(py, numel, move || op(&t, &other))?)
    }

    /// Applies a binary op with a tensor-or-number operand; `NotImplemented` for other operands.
    fn binary<'py>(
        &self,
        py: Python<'py>,
        other: &Bound<'py, PyAny>,
        op: fn(&Tensor, &Tensor) -> crate::Result<Tensor>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Some(other) = self.arith_operand(other)? else { return Ok(py.NotImplemented().into_bound(py)) };
        self.with_other(py, other, op)
    }

    /// An arithmetic operand: a tensor, or a Python number wrapped as a 0-d tensor. Next to a
    /// float tensor, a float (or an int that f64 holds exactly) is wrapped directly in that
    /// tensor's dtype: promotion keeps the tensor's dtype and the op would cast the number there
    /// anyway (one rounding either way), so results are identical and the per-op cast, a tensor
    /// allocation, is saved (`x * 0.999` cost twice `x * x`).
    fn arith_operand(&self, other: &Bound<'_, PyAny>) -> PyResult<Option<Tensor>> {
        if let Ok(t) = other.cast::<PyTensor>() {
            return Ok(Some(t.get().inner.clone()));
        }
        let dtype = self.inner.dtype();
        let Some(s) = arith_scalar(other, dtype)? else { return Ok(None) };
        Ok(Some(match s {
            Scalar::Float(v) if dtype.is_float() => Tensor::wrapped_scalar(v, dtype),
            Scalar::Int(i) if dtype.is_float() && i.unsigned_abs() <= 1 << 53 => Tensor::wrapped_scalar(i as f64, dtype),
            _ => s.to_tensor(),
        }))
    }

    /// True division computes in floats: a uint64 Python int (`2**63 <= n < 2**64`) keeps its value
    /// there (PyTorch casts its uint64 number to float) instead of wrapping into int64.
    fn true_division_operand<'py>(&self, other: &Bound<'py, PyAny>) -> Bound<'py, PyAny> {
        match super::convert::big_int(other) {
            Some(super::convert::BigInt::U64(v)) if self.inner.dtype() != DType::Bool => {
                pyo3::types::PyFloat::new(other.py(), v as f64).into_any()
            }
            _ => other.clone(),
        }
    }

    /// `self op= alpha * other` in place (straight into self when nothing is recorded), returning
    /// `self`.
    pub(crate) fn arith_in_place<'py>(slf: &Bound<'py, Self>, other: Tensor, op: ops::InPlaceArith, alpha: Scalar) -> PyResult<Bound<'py, Self>> {
        let target = slf.get().inner.clone();
        maybe_detach(slf.py(), target.numel(), move || ops::arith_(&target, &other, op, alpha))?;
        Ok(slf.clone())
    }

    /// `bool_tensor - 2**63`: PyTorch refuses the bool subtraction before promoting the uint64.
    fn refuse_bool_minus_uint64(&self, other: &Bound<'_, PyAny>) -> PyResult<()> {
        if self.inner.dtype() == DType::Bool && matches!(super::convert::big_int(other), Some(super::convert::BigInt::U64(_))) {
            ops::check_bool_operands(ops::Arith::Sub, &self.inner, &Scalar::Int(0).to_tensor(), DType::I64)?;
        }
        Ok(())
    }

    pub(crate) fn in_place_operand(other: &Bound<'_, PyAny>, dtype: DType) -> PyResult<Tensor> {
        arith_operand(other, dtype)?.ok_or_else(|| {
            PyTypeError::new_err(format!("unsupported operand type for in-place op: '{}'", type_name(other)))
        })
    }
}

#[pymethods]
impl PyTensor {
    #[new]
    #[pyo3(signature = (*args, _alias_of=None))]
    fn new(args: &Bound<'_, PyTuple>, _alias_of: Option<PyRef<'_, PyTensor>>) -> PyResult<Self> {
        // Subclasses (nn.Parameter) wrap a new tensor object over another's data.
        if let Some(source) = _alias_of {
            return Ok(unregistered(source.inner.data_alias()));
        }
        // Legacy constructor: Tensor(*sizes) gives uninitialised (here zero) data of the default
        // float dtype, Tensor(data) copies data as that dtype.
        if args.is_empty() {
            return Ok(unregistered(Tensor::zeros(&[0], DType::default_float())));
        }
        let first = args.get_item(0)?;
        if args.len() == 1 && first.extract::<i64>().is_err() {
            return Ok(unregistered(super::convert::tensor_from_data(&first, Some(DType::default_float()))?));
        }
        let shape = size_from_args(args)?;
        crate::tensor::check_storage_nbytes(&shape, DType::default_float().size_in_bytes(), None)?;
        Ok(unregistered(catch_alloc_failure(|| Ok::<_, PyErr>(Tensor::zeros(&shape, DType::default_float())))?))
    }

    /// Makes this object the one Python face of its tensor (called by subclasses such as
    /// nn.Parameter right after construction), so the engine hands back this very object.
    fn _register(slf: &Bound<'_, Self>) {
        let this = slf.get();
        let slot = this.inner.py_object_slot();
        if slot.load(Ordering::Acquire).is_null() {
            slot.store(slf.as_ptr() as *mut c_void, Ordering::Release);
            this.registered.store(true, Ordering::Relaxed);
        }
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        py.import("rustgrad._tensor_str")?.getattr("_str")?.call1((slf,))?.extract()
    }

    fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Self::__repr__(slf)
    }

    fn __format__(slf: &Bound<'_, Self>, spec: &str) -> PyResult<String> {
        let py = slf.py();
        py.import("rustgrad._tensor_str")?.getattr("_format")?.call1((slf, spec))?.extract()
    }

    // Lets Python's garbage collector see a cycle through a custom Function's context
    // (`ctx.out = out`): PyTorch's rule, visiting the context only when this object is the sole
    // owner of the tensor and the tensor the sole owner of its node, so no reference is counted twice.
    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if self.inner.handle_count() != 1 {
            return Ok(());
        }
        let Some(meta) = self.inner.try_autograd_meta() else { return Ok(()) };
        if let Some(node) = meta.grad_fn.as_ref().filter(|n| crate::autograd::NodeRef::strong_count(n) == 1) {
            if let crate::autograd::NodeKind::Op(backward) = node.kind() {
                if let Some(f) = backward.as_any().and_then(|a| a.downcast_ref::<super::function::PyFunctionBackward>()) {
                    visit.call(&f.ctx)?;
                }
            }
        }
        Ok(())
    }

    fn __hash__(slf: &Bound<'_, Self>) -> isize {
        slf.as_ptr() as isize
    }

    // ----- metadata -----

    /// The shape, as a `rustgrad.Size`.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        size_object(py, &self.t().shape())
    }

    /// The shape, or the size of one dimension.
    #[pyo3(signature = (dim=None, *rest))]
    fn size<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, rest: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        let dim = super::argparse::optional_dim("Tensor.size", dim, rest)?;
        let shape = self.t().shape();
        match dim {
            None => size_object(py, &shape),
            Some(d) => Ok(shape[ops::wrap_dim(d, shape.len())?].into_pyobject(py)?.into_any()),
        }
    }

    /// The element type.
    #[getter]
    fn dtype(&self, py: Python<'_>) -> PyResult<Py<PyDType>> {
        super::dtype::dtype_object(py, self.t().dtype())
    }

    /// Number of dimensions.
    fn dim(&self) -> usize {
        self.t().dim()
    }

    /// Number of dimensions.
    #[getter]
    fn ndim(&self) -> usize {
        self.t().dim()
    }

    /// Number of elements.
    fn numel(&self) -> usize {
        self.t().numel()
    }

    /// Number of elements.
    fn nelement(&self) -> usize {
        self.t().numel()
    }

    /// Element strides, or the stride of one dimension.
    #[pyo3(signature = (dim=None, *rest))]
    fn stride<'py>(&self, py: Python<'py>, dim: Option<&Bound<'py, PyAny>>, rest: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        let dim = super::argparse::optional_dim("Tensor.stride", dim, rest)?;
        let strides = self.t().strides();
        match dim {
            None => Ok(PyTuple::new(py, strides)?.into_any()),
            Some(d) => Ok(strides[ops::wrap_dim(d, strides.len())?].into_pyobject(py)?.into_any()),
        }
    }

    /// True when the elements are row-major without gaps.
    fn is_contiguous(&self) -> bool {
        self.t().is_contiguous()
    }

    /// True for a tensor created in inference mode.
    fn is_inference(&self) -> bool {
        self.t().is_inference()
    }

    /// True for float32 and float64 tensors.
    fn is_floating_point(&self) -> bool {
        self.t().dtype().is_float()
    }

    fn __len__(&self) -> PyResult<usize> {
        match self.t().shape().first() {
            Some(&n) => Ok(n),
            None => Err(PyTypeError::new_err("len() of a 0-d tensor")),
        }
    }

    // ----- conversion to Python -----

    /// The single value as a Python number.
    fn item<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if self.t().dtype().is_integral() && self.t().dtype() != DType::Bool {
            return Ok(self.t().item_i64()?.into_pyobject(py)?.into_any());
        }
        python_scalar(py, self.t(), self.t().item_f64()?)
    }

    /// The elements as nested lists.
    fn tolist<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_nested_list(py, self.t())
    }

    fn __float__(&self) -> PyResult<f64> {
        if self.t().numel() != 1 {
            return Err(PyValueError::new_err("only one element tensors can be converted to Python scalars"));
        }
        Ok(self.t().item_f64()?)
    }

    fn __int__(&self) -> PyResult<i64> {
        if self.t().numel() != 1 {
            return Err(PyValueError::new_err("only one element tensors can be converted to Python scalars"));
        }
        if self.t().dtype().is_float() {
            let v = self.t().item_f64()?;
            if !v.is_finite() {
                return Err(if v.is_nan() {
                    PyValueError::new_err("cannot convert float NaN to integer")
                } else {
                    pyo3::exceptions::PyOverflowError::new_err("cannot convert float infinity to integer")
                });
            }
        }
        Ok(self.t().item_i64()?)
    }

    fn __index__(&self) -> PyResult<i64> {
        if !self.t().dtype().is_integral() || self.t().numel() != 1 {
            return Err(PyTypeError::new_err("only integer tensors of a single element can be converted to an index"));
        }
        Ok(self.t().item_i64()?)
    }

    fn __bool__(&self) -> PyResult<bool> {
        match self.t().numel() {
            1 => Ok(self.t().item_f64()? != 0.0),
            0 => Err(PyRuntimeError::new_err("Boolean value of Tensor with no values is ambiguous")),
            _ => Err(PyRuntimeError::new_err("Boolean value of Tensor with more than one value is ambiguous")),
        }
    }

    // ----- autograd attributes -----

    /// Whether gradients flow to this tensor.
    #[getter]
    fn get_requires_grad(&self) -> bool {
        self.t().requires_grad()
    }

    #[setter]
    fn set_requires_grad(&self, value: bool) -> PyResult<()> {
        Ok(self.t().set_requires_grad_attribute(value)?)
    }

    /// Sets `requires_grad` in place and returns `self`.
    #[pyo3(signature = (requires_grad=true))]
    fn requires_grad_<'py>(slf: &Bound<'py, Self>, requires_grad: bool) -> PyResult<Bound<'py, Self>> {
        slf.get().t().set_requires_grad(requires_grad)?;
        Ok(slf.clone())
    }

    /// True for tensors not produced by a recorded op.
    #[getter]
    fn is_leaf(&self) -> PyResult<bool> {
        Ok(self.t().is_leaf()?)
    }

    /// The node that produced this tensor, or None.
    #[getter]
    fn grad_fn<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.t().grad_fn()?.map(|node| wrap_node(py, &node)).transpose()
    }

    /// The accumulated gradient (None until a backward reaches this leaf).
    #[getter]
    fn get_grad<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let t = self.t();
        if t.requires_grad() && !t.is_leaf()? && !t.retains_grad() {
            user_warning(py, NON_LEAF_GRAD_WARNING)?;
        }
        t.grad().map(|g| wrap_tensor(py, g)).transpose()
    }

    #[setter]
    fn set_grad(&self, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let grad = match value {
            None => None,
            Some(v) if v.is_none() => None,
            Some(v) => match v.cast::<PyTensor>() {
                Ok(t) => Some(t.get().inner.clone()),
                Err(_) => {
                    return Err(PyTypeError::new_err(format!(
                        "assigned grad expected to be a Tensor or None but got grad of type {}",
                        type_name(v)
                    )))
                }
            },
        };
        Ok(self.t().set_grad(grad)?)
    }

    /// True after `retain_grad()` on a non-leaf.
    #[getter]
    fn retains_grad(&self) -> bool {
        self.t().retains_grad()
    }

    /// Makes backward populate `.grad` of this non-leaf tensor.
    fn retain_grad(&self) -> PyResult<()> {
        Ok(self.t().retain_grad()?)
    }

    /// Which output of its grad_fn this tensor is.
    #[getter]
    fn output_nr(&self) -> usize {
        self.t().output_nr()
    }

    /// The number of in-place modifications of this tensor's data.
    #[getter]
    fn _version(&self) -> u64 {
        self.t().version()
    }

    /// The tensor's data as a tensor outside autograd (sharing storage, not the version counter).
    #[getter]
    fn get_data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        wrap_tensor(py, self.t().data_alias())
    }

    #[setter]
    fn set_data(&self, value: &Bound<'_, PyTensor>) {
        self.t().set_data(value.get().inner.data());
    }

    fn detach_impl(&self) -> PyTensor {
        unregistered(self.t().detach())
    }

    /// A new tensor sharing data, outside the graph.
    fn detach<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        wrap_tensor(py, self.t().detach())
    }

    /// Cuts this tensor out of the graph in place.
    fn detach_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        slf.get().t().detach_()?;
        Ok(slf.clone())
    }

    /// Computes the gradient of this tensor with respect to graph leaves.
    #[pyo3(signature = (gradient=None, retain_graph=None, create_graph=false, inputs=None))]
    fn backward(
        &self,
        py: Python<'_>,
        gradient: Option<&Bound<'_, PyAny>>,
        retain_graph: Option<bool>,
        create_graph: bool,
        inputs: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let gradient = match gradient.filter(|g| !g.is_none()) {
            None => None,
            Some(g) => Some(operand(g).ok_or_else(|| {
                PyTypeError::new_err(format!("gradient must be a Tensor, not {}", type_name(g)))
            })?),
        };
        let inputs = tensor_list(inputs)?;
        if create_graph {
            user_warning(py, CREATE_GRAPH_WARNING)?;
        }
        run_backward(py, vec![self.t().clone()], vec![gradient], retain_graph, create_graph, inputs)
    }

    // ----- arithmetic -----

    fn __add__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.binary(py, other, ops::add)
    }
    fn __radd__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.binary(py, other, |a, b| ops::add(b, a))
    }
    fn __sub__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.refuse_bool_minus_uint64(other)?;
        self.binary(py, other, ops::sub)
    }
    fn __rsub__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.refuse_bool_minus_uint64(other)?;
        match arith_scalar(other, self.t().dtype())? {
            Some(s) => self.unary(py, move |t| ops::rsub_scalar(t, s)),
            None => self.binary(py, other, |a, b| ops::sub(b, a)),
        }
    }
    fn __mul__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.binary(py, other, ops::mul)
    }
    fn __rmul__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.binary(py, other, |a, b| ops::mul(b, a))
    }
    fn __truediv__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let other = self.true_division_operand(other);
        self.binary(py, &other, ops::div)
    }
    fn __rtruediv__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        // PyTorch computes `c / a` as `a.reciprocal() * c` (so its node is MulBackward0), where a
        // uint64 number meets a float tensor whatever `a` is.
        let other = match super::convert::big_int(other) {
            Some(super::convert::BigInt::U64(v)) => PyFloat::new(py, v as f64).into_any(),
            _ => other.clone(),
        };
        self.binary(py, &other, |a, c| ops::mul(&ops::reciprocal(a)?, c))
    }
    fn __pow__<'py>(
        &self,
        py: Python<'py>,
        other: &Bound<'py, PyAny>,
        modulo: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = modulo;
        if let Some(big) = super::convert::big_int(other) {
            // A uint64 exponent keeps its value for a float result and overflows an integer one
            // (PyTorch converts it to int64_t whatever the integer type).
            return match big {
                super::convert::BigInt::U64(v) if self.t().dtype().is_float() => self.unary(py, move |t| ops::pow_scalar(t, Scalar::Float(v as f64))),
                super::convert::BigInt::U64(_) => Err(crate::Error::runtime("value cannot be converted to type int64_t without overflow").into()),
                _ => self.binary(py, other, ops::pow),
            };
        }
        match scalar(other) {
            Some(e) => self.unary(py, move |t| ops::pow_scalar(t, e)),
            None => self.binary(py, other, ops::pow),
        }
    }
    fn __rpow__<'py>(
        &self,
        py: Python<'py>,
        other: &Bound<'py, PyAny>,
        modulo: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = modulo;
        match scalar(other) {
            Some(base) => self.unary(py, move |t| ops::rpow_scalar(base, t)),
            None => self.binary(py, other, |a, b| ops::pow(b, a)),
        }
    }
    fn __neg__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.unary(py, ops::neg)
    }
    fn __pos__<'py>(slf: &Bound<'py, Self>) -> Bound<'py, Self> {
        slf.clone()
    }
    /// `abs(self)`, as `self.abs()`.
    fn __abs__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.unary(py, ops::abs)
    }

    fn __iadd__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let other = Self::in_place_operand(other, slf.get().inner.dtype())?;
        Self::arith_in_place(slf, other, ops::InPlaceArith::Add, Scalar::Int(1)).map(|_| ())
    }
    fn __isub__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let other = Self::in_place_operand(other, slf.get().inner.dtype())?;
        Self::arith_in_place(slf, other, ops::InPlaceArith::Sub, Scalar::Int(1)).map(|_| ())
    }
    fn __imul__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let other = Self::in_place_operand(other, slf.get().inner.dtype())?;
        Self::arith_in_place(slf, other, ops::InPlaceArith::Mul, Scalar::Int(1)).map(|_| ())
    }
    fn __itruediv__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let other = Self::in_place_operand(other, slf.get().inner.dtype())?;
        Self::arith_in_place(slf, other, ops::InPlaceArith::Div, Scalar::Int(1)).map(|_| ())
    }

    /// `self * other`.
    fn mul<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let other = Self::in_place_operand(other, self.inner.dtype())?;
        self.with_other(py, other, ops::mul)
    }
    /// `self / other`, optionally rounded (`rounding_mode="trunc"` or `"floor"`).
    #[pyo3(signature = (other, **kwargs))]
    fn div<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>, kwargs: Option<&Bound<'py, pyo3::types::PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        super::tensor_division::div_method(py, self.t(), other, kwargs)
    }
    /// `self ** exponent`.
    fn pow<'py>(&self, py: Python<'py>, exponent: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let out = self.__pow__(py, exponent, None)?;
        if out.is(py.NotImplemented()) {
            // `**` gives Python the NotImplemented; the method raises PyTorch's parser error
            let args = pyo3::types::PyTuple::new(py, [exponent])?;
            return Err(super::argparse::refine("Tensor.pow", &args, None, pyo3::exceptions::PyTypeError::new_err("pow(): invalid exponent")));
        }
        Ok(out)
    }
    /// `self * self`.
    fn square<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.unary(py, |t| ops::pow_scalar(t, Scalar::Int(2)))
    }
    /// `-self`.
    fn neg<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.__neg__(py)
    }
    /// `e ** self`.
    fn exp<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.unary(py, ops::exp)
    }
    /// Natural logarithm.
    fn log<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.unary(py, ops::log)
    }
    /// `1 / self`.
    fn reciprocal<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.unary(py, ops::reciprocal)
    }

    /// In-place `self *= other`.
    fn mul_<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let other = Self::in_place_operand(other, slf.get().inner.dtype())?;
        Self::arith_in_place(slf, other, ops::InPlaceArith::Mul, Scalar::Int(1))
    }
    /// In-place `self /= other` (optionally rounded, as `div`).
    #[pyo3(signature = (other, **kwargs))]
    fn div_<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>, kwargs: Option<&Bound<'py, pyo3::types::PyDict>>) -> PyResult<Bound<'py, Self>> {
        super::tensor_division::div_in_place(slf, other, kwargs)
    }
    /// Fills with zeros in place.
    fn zero_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        let target = slf.get().inner.clone();
        catch_alloc_failure(|| ops::fill_(&target, Scalar::Int(0), "ZeroBackward0"))?;
        Ok(slf.clone())
    }
    /// Fills with `value` in place: a Python number (FillBackward2), or a 0-d tensor whose
    /// gradient is the sum of the incoming gradient (FillBackward3, as `t[...] = value`).
    fn fill_<'py>(slf: &Bound<'py, Self>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        match checked_scalar(value, Some(slf.get().inner.dtype()))? {
            Some(s) => {
                ops::check_scalar_fits(s, slf.get().inner.dtype())?; // a 0-d tensor value wraps instead
                catch_alloc_failure(|| ops::fill_(&slf.get().inner, s, "FillBackward2"))?
            }
            None => {
                let value = value.extract::<PyRef<PyTensor>>()?.inner.clone();
                if value.dim() != 0 {
                    return Err(PyRuntimeError::new_err(format!(
                        "fill_ only supports 0-dimension value tensor but got tensor with {} dimensions.",
                        value.dim()
                    )));
                }
                catch_alloc_failure(|| ops::setitem(&slf.get().inner, &[ops::IndexItem::Ellipsis], &value))?;
            }
        }
        Ok(slf.clone())
    }

    // ----- reductions -----

    /// Sum of all elements, or over `dim`.
    #[pyo3(signature = (*args, **kwargs))]
    fn sum<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (dims, keepdim, dtype) = reduction_args(args, kwargs, "Tensor.sum")?;
        // `dtype`: the input is cast first and the sum kept in that type (an int32 or bool sum).
        let t = cast_to(self.t(), dtype)?;
        let out = maybe_detach(py, t.numel(), move || match dims {
            None => ops::sum(&t),
            Some(d) => ops::sum_dims(&t, &d, keepdim),
        })?;
        wrap_tensor(py, cast_to(&out, dtype)?)
    }

    /// Mean of all elements, or over `dim` (`dtype`, a float type, casts the input first).
    #[pyo3(signature = (*args, **kwargs))]
    fn mean<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let (dims, keepdim, dtype) = reduction_args(args, kwargs, "Tensor.mean")?;
        if let Some(d) = dtype.filter(|d| !d.is_float()) {
            return Err(PyRuntimeError::new_err(format!(
                "mean(): could not infer output dtype. Optional dtype must be either a floating point or complex dtype. Got: {}",
                d.scalar_type_name()
            )));
        }
        let t = cast_to(self.t(), dtype)?;
        
        let out = maybe_detach(py, t.numel(), move || match dims {
            None => ops::mean(&t),
            Some(d) => ops::mean_dims(&t, &d, keepdim),
        })?;
        wrap_tensor(py, out)
    }

    // ----- copies, casts, shapes -----

    /// A copy that stays in the graph.
    fn clone<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.unary(py, ops::clone)
    }

    /// The tensor in another dtype (`to(rustgrad.float64)`, `to("cpu", rustgrad.float64)`, or
    /// `to(other_tensor)`), with PyTorch's three overloads and their parser errors.
    #[pyo3(signature = (*args, **kwargs))]
    fn to<'py>(slf: &Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        if let (1, true) = (args.len(), kwargs.is_none_or(|k| k.is_empty())) {
            // to(dtype), the common spelling, skips the parser
            if let Ok(d) = args.get_item(0)?.cast::<PyDType>() {
                let d = d.get().0;
                if d == slf.get().inner.dtype() {
                    return Ok(slf.clone().into_any());
                }
                return slf.get().unary(slf.py(), move |t| ops::to_dtype(t, d));
            }
        }
        let bound = super::argparse::bind("Tensor.to", args, kwargs)?;
        let dtype = match bound.get("tensor") {
            // PyTorch wraps a number given for `tensor` (bool, int64 or float64)
            Some(t) => Some(match t.cast::<PyTensor>() {
                Ok(t) => t.get().inner.dtype(),
                Err(_) => super::convert::operand(t).map(|w| w.dtype()).ok_or_else(|| PyTypeError::new_err(format!("to(): cannot convert {} to a dtype", super::convert::type_name(t))))?,
            }),
            None => super::convert::dtype_arg(bound.get("dtype"))?,
        };
        if let Some(device) = bound.get("device") {
            if super::argparse::int_arg(device).is_some() {
                return Err(PyRuntimeError::new_err("Cannot access accelerator device when none is available."));
            }
            super::creation::check_device(Some(device))?;
        }
        match dtype {
            Some(d) if d != slf.get().inner.dtype() => slf.get().unary(slf.py(), move |t| ops::to_dtype(t, d)),
            _ => Ok(slf.clone().into_any()),
        }
    }

    /// As float32.
    fn float<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        cast(slf, DType::F32)
    }
    /// As float64.
    fn double<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        cast(slf, DType::F64)
    }
    /// As int64.
    fn long<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        cast(slf, DType::I64)
    }
    /// As bool.
    fn bool<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        cast(slf, DType::Bool)
    }

    /// The same data with another shape (a view when possible, else a copy).
    #[pyo3(signature = (*shape, **kwargs))]
    fn reshape<'py>(&self, py: Python<'py>, shape: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let shape = super::tensor_view::sizes(shape, kwargs, "Tensor.reshape", "shape")?;
        self.unary(py, move |t| ops::reshape(t, &shape))
    }

    /// A view repeating dimensions of size 1 (`-1` keeps a size).
    #[pyo3(signature = (*sizes, **kwargs))]
    fn expand<'py>(&self, py: Python<'py>, sizes: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let requested = super::tensor_view::sizes(sizes, kwargs, "Tensor.expand", "size")?;
        let shape = self.t().shape();
        let lead = requested.len().saturating_sub(shape.len());
        let target: Vec<usize> = requested
            .iter()
            .enumerate()
            .map(|(i, &s)| if s == -1 && i >= lead { shape[i - lead] } else { s.max(0) as usize })
            .collect();
        wrap_tensor(py, ops::expand(self.t(), &target)?)
    }

    /// `expand` to another tensor's shape.
    fn expand_as<'py>(&self, py: Python<'py>, other: PyRef<'py, PyTensor>) -> PyResult<Bound<'py, PyAny>> {
        wrap_tensor(py, ops::expand(self.t(), &other.inner.shape())?)
    }
}

/// `t` in `dtype` when one is given (recorded as `to` is).
pub(crate) fn cast_to(t: &Tensor, dtype: Option<DType>) -> PyResult<Tensor> {
    Ok(match dtype {
        Some(d) if d != t.dtype() => catch_alloc_failure(|| ops::to_dtype(t, d))?,
        _ => t.clone(),
    })
}

fn cast<'py>(slf: &Bound<'py, PyTensor>, dtype: DType) -> PyResult<Bound<'py, PyAny>> {
    if slf.get().inner.dtype() == dtype {
        return Ok(slf.clone().into_any());
    }
    slf.get().unary(slf.py(), move |t| ops::to_dtype(t, dtype))
}

/// `module.name`, looked up once per process: `py.import` goes through `builtins.__import__` on
/// every call (about 5000 instructions, more than a small tensor op), too slow for hot paths such
/// as `x.shape`.
pub fn cached_attr<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    module: &str,
    name: &str,
) -> PyResult<&'py Bound<'py, PyAny>> {
    Ok(cell.get_or_try_init(py, || py.import(module)?.getattr(name).map(Bound::unbind))?.bind(py))
}

/// `rustgrad.Size(shape)`.
pub fn size_object<'py>(py: Python<'py>, shape: &[usize]) -> PyResult<Bound<'py, PyAny>> {
    static SIZE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    cached_attr(py, &SIZE, "rustgrad._size", "Size")?.call1((PyTuple::new(py, shape)?,))
}

/// Runs the engine with the GIL released (it is retaken only by Python hooks and Functions).
pub fn run_backward(
    py: Python<'_>,
    tensors: Vec<Tensor>,
    grads: Vec<Option<Tensor>>,
    retain_graph: Option<bool>,
    create_graph: bool,
    inputs: Option<Vec<Tensor>>,
) -> PyResult<()> {
    py.detach(move || catch_alloc_failure(|| crate::autograd::backward(&tensors, grads, retain_graph, create_graph, inputs)))?;
    Ok(())
}
