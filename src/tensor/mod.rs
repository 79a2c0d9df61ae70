//! The tensor handle: data (storage + layout + dtype), a version counter shared with views, and
//! the autograd metadata of this particular tensor.

#[cfg(unix)]
pub mod alloc;
mod dtype;
mod layout;
pub mod recycle;
mod storage;

pub use dtype::{DType, PromotionRank};

pub use layout::{broadcast_shapes, check_storage_nbytes, checked_numel, contiguous_strides, numel, shape_str, Layout};
pub use storage::{Buffer, Element, Storage};

use std::ffi::c_void;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{MappedRwLockReadGuard, Mutex, MutexGuard, RwLock, RwLockReadGuard};

use crate::autograd::AutogradMeta;
use crate::error::{Error, Result};
use crate::with_dtype;

/// A Python number given to an op (`x * 2`, `x ** 0.5`); its kind takes part in type promotion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// `True` / `False`
    Bool(bool),
    /// a Python int
    Int(i64),
    /// a Python float
    Float(f64),
}

impl Scalar {
    /// The dtype of a wrapped number of this kind (floats count as the default float type).
    pub fn dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::I64,
            Scalar::Float(_) => DType::F64,
        }
    }
    /// The value as f64.
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
        }
    }
    /// The number as a wrapped 0-d tensor.
    pub fn to_tensor(self) -> Tensor {
        match self {
            // Exact: an int past 2**53 does not survive a trip through f64.
            Scalar::Int(i) => Tensor::wrapped_i64(i),
            _ => Tensor::wrapped_scalar(self.to_f64(), self.dtype()),
        }
    }
}

/// A tensor: a cheap handle (`Arc`) to one tensor object. Views are distinct tensors that share
/// storage and the version counter, exactly as PyTorch's TensorImpls do.
#[derive(Clone)]
pub struct Tensor(pub(crate) Arc<TensorImpl>);

/// What a tensor points at. Replaced as a whole by `x.data = y`.
#[derive(Clone, Debug)]
pub struct TensorData {
    /// The shared buffer.
    pub storage: Arc<Storage>,
    /// Where this tensor's elements sit in it.
    pub layout: Layout,
    /// Element type (always the storage's dtype).
    pub dtype: DType,
}

/// Counts in-place modifications; shared by a tensor, its views and its `detach()`ed aliases.
#[derive(Debug, Default)]
pub struct VersionCounter(AtomicU64);

impl VersionCounter {
    /// The current version.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
    /// Records one in-place modification.
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// The object behind a [`Tensor`] handle.
pub struct TensorImpl {
    data: RwLock<TensorData>,
    version: Arc<VersionCounter>,
    autograd: Mutex<AutogradMeta>,
    /// A Python number wrapped as a 0-d tensor: it ranks lowest in type promotion.
    wrapped_number: bool,
    /// Created inside inference mode: never recorded, never saved for backward.
    inference: bool,
    /// Borrowed pointer to the Python object that wraps this tensor, or null. Owned and cleared by
    /// the bindings so that one tensor always shows up in Python as one object (`x.grad is x.grad`,
    /// `acc.variable is x`), as PyTorch's PyObject slot does. The core never dereferences it.
    pub py_object: AtomicPtr<c_void>,
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor(shape={:?}, dtype={:?}, data={:?})", self.shape(), self.dtype(), self.to_f64_vec())
    }
}

impl Tensor {
    fn from_parts(data: TensorData, version: Arc<VersionCounter>, wrapped_number: bool) -> Tensor {
        Tensor(Arc::new(TensorImpl {
            data: RwLock::new(data),
            version,
            autograd: Mutex::new(AutogradMeta::default()),
            wrapped_number,
            inference: crate::autograd::is_inference_mode_enabled(),
            py_object: AtomicPtr::new(std::ptr::null_mut()),
        }))
    }

    /// A new contiguous tensor owning `buffer`, shaped `shape`.
    pub fn from_buffer(buffer: Buffer, shape: &[usize]) -> Result<Tensor> {
        if buffer.len() != numel(shape) {
            return Err(Error::runtime(format!(
                "shape '{}' is invalid for input of size {}",
                shape_str(shape),
                buffer.len()
            )));
        }
        let dtype = buffer.dtype();
        let data = TensorData { storage: Arc::new(Storage::new(buffer)), layout: Layout::contiguous(shape), dtype };
        Ok(Self::from_parts(data, Arc::default(), false))
    }

    /// A new tensor viewing `storage` through `layout` (e.g. memory shared with numpy).
    pub fn from_storage(storage: Arc<Storage>, layout: Layout, dtype: DType) -> Tensor {
        Self::from_parts(TensorData { storage, layout, dtype }, Arc::default(), false)
    }

    /// A new contiguous tensor from a vector of elements.
    pub fn from_vec<T: Element>(values: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        Self::from_buffer(T::into_buffer(values), shape)
    }

    /// A 0-d tensor holding `value` converted to `dtype`.
    pub fn scalar(value: f64, dtype: DType) -> Tensor {
        with_dtype!(dtype, T => Self::from_vec(vec![T::from_f64(value)], &[]).expect("one element"))
    }

    /// A Python number wrapped as a 0-d tensor (lowest rank in type promotion).
    pub fn wrapped_scalar(value: f64, dtype: DType) -> Tensor {
        let t = Self::scalar(value, dtype);
        Self::from_parts(t.data(), Arc::default(), true)
    }

    /// An int64 wrapped number holding `value` exactly.
    pub fn wrapped_i64(value: i64) -> Tensor {
        let t = Self::from_vec(vec![value], &[]).expect("one element");
        Self::from_parts(t.data(), Arc::default(), true)
    }

    /// A tensor of `shape` filled with `value`.
    pub fn full(shape: &[usize], value: f64, dtype: DType) -> Tensor {
        with_dtype!(dtype, T => Self::from_vec(recycle::filled_vec(numel(shape), T::from_f64(value)), shape).expect("sized"))
    }

    /// Zeros of `shape`.
    pub fn zeros(shape: &[usize], dtype: DType) -> Tensor {
        Self::full(shape, 0.0, dtype)
    }

    /// Ones of `shape`.
    pub fn ones(shape: &[usize], dtype: DType) -> Tensor {
        Self::full(shape, 1.0, dtype)
    }

    /// A new tensor object over the same data and version counter, with fresh autograd metadata
    /// (what `detach()` returns).
    pub fn alias(&self) -> Tensor {
        Self::from_parts(self.data(), self.0.version.clone(), false)
    }

    /// A new tensor object over `data` sharing this one's version counter, with fresh autograd
    /// metadata (`view(dtype)`: another dtype over the same memory).
    pub fn alias_with(&self, data: TensorData) -> Tensor {
        Self::from_parts(data, self.0.version.clone(), false)
    }

    /// A new tensor object over the same data with its own version counter (what `.data` returns:
    /// in-place changes through it are invisible to autograd's checks, as in PyTorch).
    pub fn data_alias(&self) -> Tensor {
        Self::from_parts(self.data(), Arc::default(), false)
    }

    /// A new tensor object viewing this one's storage through `layout`; it shares the version
    /// counter, as every view does, and remembers its base for in-place autograd (a view made
    /// under no_grad is marked so).
    pub fn view_with_layout(&self, layout: Layout) -> Tensor {
        let creation = if crate::autograd::is_grad_enabled() {
            crate::autograd::CreationMeta::Default
        } else {
            crate::autograd::CreationMeta::NoGradMode
        };
        self.view_with_layout_as(layout, creation)
    }

    /// [`Tensor::view_with_layout`] with an explicit creation kind (`unbind`/`split` outputs).
    pub fn view_with_layout_as(&self, mut layout: Layout, creation: crate::autograd::CreationMeta) -> Tensor {
        let data = self.data();
        if layout.numel() == 0 {
            // An empty view of an empty buffer (`zeros(0, 3)[:, 2:]`) would start past its end,
            // and kernels slice `[offset, offset + numel)`: keep the offset inside the buffer.
            layout.offset = layout.offset.min(data.storage.read().len());
        }
        let view = Self::from_parts(TensorData { storage: data.storage, layout, dtype: data.dtype }, self.0.version.clone(), false);
        view.set_view_of(self, creation);
        view
    }

    /// A snapshot of the data description (cheap: an `Arc` and a small layout).
    pub fn data(&self) -> TensorData {
        self.0.data.read().clone()
    }

    /// The data description, borrowed (no copy of the layout). Hold it only for the duration of a
    /// kernel: `set_data` on this tensor waits until it is dropped. Several guards of one tensor may
    /// be held at once (`x * x`).
    pub fn data_ref(&self) -> RwLockReadGuard<'_, TensorData> {
        // Recursive, so that a second guard on the same tensor never queues behind a writer.
        self.0.data.read_recursive()
    }

    /// The layout, borrowed (see [`Tensor::data_ref`]): `t.layout().shape` reads the shape without
    /// copying it.
    pub fn layout(&self) -> MappedRwLockReadGuard<'_, Layout> {
        RwLockReadGuard::map(self.data_ref(), |d| &d.layout)
    }

    /// Points this tensor at other data (`x.data = y`); the version counter and autograd state stay.
    pub fn set_data(&self, data: TensorData) {
        *self.0.data.write() = data;
    }

    /// The autograd metadata, locked.
    pub fn autograd_meta(&self) -> MutexGuard<'_, AutogradMeta> {
        self.0.autograd.lock()
    }

    /// The autograd metadata if it can be locked without waiting (for the garbage collector,
    /// which must never block).
    pub fn try_autograd_meta(&self) -> Option<MutexGuard<'_, AutogradMeta>> {
        self.0.autograd.try_lock()
    }

    /// How many handles share this tensor object.
    pub fn handle_count(&self) -> usize {
        Arc::strong_count(&self.0)
    }

    /// The shape.
    pub fn shape(&self) -> Vec<usize> {
        self.0.data.read().layout.shape.clone()
    }

    /// The element strides.
    pub fn strides(&self) -> Vec<usize> {
        self.0.data.read().layout.strides.clone()
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.0.data.read().dtype
    }

    /// Number of dimensions.
    pub fn dim(&self) -> usize {
        self.0.data.read().layout.ndim()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.0.data.read().layout.numel()
    }

    /// True when the elements are row-major without gaps.
    pub fn is_contiguous(&self) -> bool {
        self.0.data.read().layout.is_contiguous()
    }

    /// True for a tensor created in inference mode (`is_inference()`).
    pub fn is_inference(&self) -> bool {
        self.0.inference
    }

    /// True for a Python number wrapped as a tensor.
    pub fn is_wrapped_number(&self) -> bool {
        self.0.wrapped_number
    }

    /// This tensor's rank in type promotion.
    pub fn promotion_rank(&self) -> PromotionRank {
        if self.0.wrapped_number {
            PromotionRank::Wrapped
        } else if self.dim() == 0 {
            PromotionRank::ZeroDim
        } else {
            PromotionRank::Dimensioned
        }
    }

    /// The version counter shared with views and aliases.
    pub fn version_counter(&self) -> &Arc<VersionCounter> {
        &self.0.version
    }

    /// The current version (`_version`).
    pub fn version(&self) -> u64 {
        self.0.version.get()
    }

    /// True when both handles are the same tensor object.
    pub fn same(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// A stable identity for this tensor object while it lives.
    pub fn id(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }

    /// True when this handle is the only reference to the tensor object, and the object is the only
    /// user of a storage it covers exactly (nothing else can observe a write to it).
    pub fn is_exclusively_owned(&self) -> bool {
        if Arc::strong_count(&self.0) != 1 {
            return false;
        }
        let data = self.0.data.read();
        // One count for this tensor's own TensorData.
        Arc::strong_count(&data.storage) == 1
            && data.layout.offset == 0
            && data.layout.is_contiguous()
            && data.storage.read().len() == data.layout.numel()
            && !data.storage.is_shared()
    }

    /// The raw pointer slot used by the bindings (see [`TensorImpl::py_object`]).
    pub fn py_object_slot(&self) -> &AtomicPtr<c_void> {
        &self.0.py_object
    }

    /// The elements in logical (row-major) order, typed.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        let data = self.data();
        if data.dtype != T::DTYPE {
            return Err(Error::runtime(format!("expected dtype {:?}, got {:?}", T::DTYPE, data.dtype)));
        }
        let buffer = data.storage.read();
        Ok(data.layout.gather(T::slice(&buffer)))
    }

    /// The elements in logical order, widened to f64.
    pub fn to_f64_vec(&self) -> Vec<f64> {
        let data = self.data();
        let buffer = data.storage.read();
        with_dtype!(data.dtype, T => data.layout.gather(T::slice(&buffer)).into_iter().map(|v| v.to_f64()).collect())
    }

    /// The single element of a one-element tensor (`item()`), widened to f64.
    pub fn item_f64(&self) -> Result<f64> {
        let n = self.numel();
        if n != 1 {
            return Err(Error::runtime(format!("a Tensor with {n} elements cannot be converted to Scalar")));
        }
        Ok(self.to_f64_vec()[0])
    }

    /// The one element as i64 (floats truncate toward zero): exact for every int64, which the
    /// f64 route of [`Tensor::item_f64`] is not past 2^53.
    pub fn item_i64(&self) -> Result<i64> {
        let n = self.numel();
        if n != 1 {
            return Err(Error::runtime(format!("a Tensor with {n} elements cannot be converted to Scalar")));
        }
        let data = self.data_ref();
        let buffer = data.storage.read();
        Ok(with_dtype!(data.dtype, T => T::slice(&buffer)[data.layout.offset].to_i64()))
    }

    /// The elements as a new contiguous buffer in logical order.
    pub fn contiguous_buffer(&self) -> Buffer {
        let data = self.data();
        let buffer = data.storage.read();
        with_dtype!(data.dtype, T => T::into_buffer(data.layout.gather(T::slice(&buffer))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construction_checks_the_element_count() {
        let err = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[2, 2]).unwrap_err();
        assert_eq!(err.message(), "shape '[2, 2]' is invalid for input of size 3");
        let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
        assert_eq!(t.shape(), vec![2, 2]);
        assert_eq!(t.dtype(), DType::F32);
        assert_eq!(t.to_vec::<f32>().unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn item_needs_exactly_one_element() {
        assert_eq!(Tensor::scalar(2.5, DType::F64).item_f64().unwrap(), 2.5);
        let err = Tensor::zeros(&[2], DType::F32).item_f64().unwrap_err();
        assert_eq!(err.message(), "a Tensor with 2 elements cannot be converted to Scalar");
    }

    #[test]
    fn aliases_share_data_and_version() {
        let t = Tensor::ones(&[3], DType::F32);
        let a = t.alias();
        assert!(!a.same(&t));
        a.version_counter().bump();
        assert_eq!(t.version(), 1);
        assert!(Arc::ptr_eq(&t.data().storage, &a.data().storage));
    }
}
