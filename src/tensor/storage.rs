//! Storage: the typed buffer that a tensor and all of its views share.
//!
//! Why a `RwLock` rather than PyTorch's unsynchronised pointer: several Python threads run ops with
//! the GIL released, and an in-place op on one thread may meet a read on another. The lock keeps
//! that sound at the cost of one uncontended atomic per access. In-place kernels compute their
//! result before taking the write lock, so `x.add_(x)` never needs a read and a write at once.
//!
//! # Memory shared with a foreign owner (numpy)
//!
//! A buffer's elements live in a [`Mem`]: either a plain `Vec` (every tensor made by rustgrad), or
//! memory owned by someone else and kept alive by an opaque owner (`rustgrad.from_numpy(a)` keeps
//! the numpy array alive this way; `Tensor.numpy()` goes the other way and hands numpy an owner of
//! our memory). Soundness rests on four points:
//!
//! 1. *Lifetime.* A shared `Mem` holds an `Arc` to its owner, and the memory stays valid while the
//!    owner lives (the owner is the numpy array itself, or the `Vec` allocation moved into an
//!    [`OwnedAllocation`]). Whoever else sees the memory holds another `Arc` to the same owner, so
//!    the memory outlives every user, whichever side is dropped first. Even replacing a storage's
//!    buffer wholesale (`*storage.write() = ...`) only drops one reference.
//! 2. *No reallocation.* `Mem` never exposes its `Vec`: only slices of a fixed length, so the
//!    address numpy was given can never move.
//! 3. *Validity.* The constructor of foreign memory ([`Storage::from_foreign`]) is `unsafe` and its
//!    caller (the bindings) checks alignment, element type, byte order and, for bool, that every
//!    byte is 0 or 1.
//! 4. *Aliasing.* Rust code only forms `&[T]` / `&mut [T]` while holding this storage's lock, so
//!    rustgrad never aliases itself. The foreign side does not take the lock: a numpy write that
//!    runs *while* a rustgrad kernel on another thread reads or writes the same elements is a data
//!    race, exactly as it is between numpy and PyTorch (which shares memory the same way). Under the
//!    GIL, numpy and rustgrad calls are serialised and the race cannot happen; kernels that release
//!    the GIL (big tensors) race only with a second Python thread that writes the array
//!    concurrently, which is the user's documented responsibility in PyTorch too.

use std::any::Any;
use std::ptr::NonNull;
use std::sync::Arc;

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::dtype::DType;

/// A `Vec`'s allocation turned into a shareable owner (freed when the last `Arc` goes).
struct OwnedAllocation<T> {
    ptr: NonNull<T>,
    len: usize,
    capacity: usize,
}

// SAFETY: it only frees the allocation on drop; the elements are `Send + Sync` (`T: Element`).
unsafe impl<T: Send + Sync> Send for OwnedAllocation<T> {}
unsafe impl<T: Send + Sync> Sync for OwnedAllocation<T> {}

impl<T> Drop for OwnedAllocation<T> {
    fn drop(&mut self) {
        // SAFETY: the three parts came from `Vec::into_raw_parts`-equivalent code in `Mem::share`,
        // and this is the only place that frees them.
        drop(unsafe { Vec::from_raw_parts(self.ptr.as_ptr(), self.len, self.capacity) });
    }
}

enum Repr<T> {
    /// Memory rustgrad allocated and nobody else sees.
    Owned(Vec<T>),
    /// Memory also visible to a foreign owner, valid while `owner` lives (module docs).
    Shared { ptr: NonNull<T>, len: usize, owner: Arc<dyn Any + Send + Sync> },
}

/// The elements of one buffer: a fixed-length slice of owned or shared memory.
pub struct Mem<T>(Repr<T>);

// SAFETY: `Mem` is a slice with an owner; the owner is `Send + Sync` and so are the elements. The
// raw pointer is only dereferenced through `&self` / `&mut self` (see the module docs, point 4).
unsafe impl<T: Send + Sync> Send for Mem<T> {}
unsafe impl<T: Send + Sync> Sync for Mem<T> {}

impl<T: Copy + Send + Sync + 'static> Mem<T> {
    /// The elements.
    pub fn as_slice(&self) -> &[T] {
        match &self.0 {
            Repr::Owned(v) => v,
            // SAFETY: valid for `len` elements while `owner` lives (module docs, points 1 and 3).
            Repr::Shared { ptr, len, .. } => unsafe { std::slice::from_raw_parts(ptr.as_ptr(), *len) },
        }
    }

    /// The elements, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        match &mut self.0 {
            Repr::Owned(v) => v,
            // SAFETY: as above; `&mut self` excludes every other rustgrad reference (point 4).
            Repr::Shared { ptr, len, .. } => unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr(), *len) },
        }
    }

    /// True when a foreign owner may also see these elements.
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Shared { .. })
    }

    /// Hands owned memory to the buffer cache ([`super::recycle`]) and leaves this empty.
    fn recycle(&mut self) {
        if let Repr::Owned(v) = &mut self.0 {
            super::recycle::give(std::mem::take(v));
        }
    }

    /// Makes the memory shareable (without moving it) and returns its address and an owner that
    /// keeps it alive.
    fn share(&mut self) -> (*mut T, Arc<dyn Any + Send + Sync>) {
        if let Repr::Owned(v) = &mut self.0 {
            let mut v = std::mem::ManuallyDrop::new(std::mem::take(v));
            let (len, capacity) = (v.len(), v.capacity());
            let ptr = NonNull::new(v.as_mut_ptr()).expect("Vec pointers are non-null");
            let owner: Arc<dyn Any + Send + Sync> = Arc::new(OwnedAllocation { ptr, len, capacity });
            self.0 = Repr::Shared { ptr, len, owner };
        }
        match &self.0 {
            Repr::Shared { ptr, owner, .. } => (ptr.as_ptr(), owner.clone()),
            Repr::Owned(_) => unreachable!("converted above"),
        }
    }
}

impl<T> From<Vec<T>> for Mem<T> {
    fn from(v: Vec<T>) -> Self {
        Mem(Repr::Owned(v))
    }
}

impl<T: Copy + Send + Sync + 'static> Clone for Mem<T> {
    /// A copy is always owned memory of its own.
    fn clone(&self) -> Self {
        Mem(Repr::Owned(super::recycle::copied_vec(self.as_slice())))
    }
}

impl<T: Copy + Send + Sync + std::fmt::Debug + 'static> std::fmt::Debug for Mem<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_slice().fmt(f)
    }
}

impl<T: Copy + Send + Sync + PartialEq + 'static> PartialEq for Mem<T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// A typed element buffer.
#[derive(Clone, Debug, PartialEq)]
pub enum Buffer {
    /// bool elements
    Bool(Mem<bool>),
    /// uint8 elements
    U8(Mem<u8>),
    /// int32 elements
    I32(Mem<i32>),
    /// int64 elements
    I64(Mem<i64>),
    /// float32 elements
    F32(Mem<f32>),
    /// float64 elements
    F64(Mem<f64>),
}

/// Runs `$body` with `$m` bound to the `Mem` inside `$buffer`, whatever its element type.
macro_rules! each_mem {
    ($buffer:expr, $m:ident => $body:expr) => {
        match $buffer {
            Buffer::Bool($m) => $body,
            Buffer::U8($m) => $body,
            Buffer::I32($m) => $body,
            Buffer::I64($m) => $body,
            Buffer::F32($m) => $body,
            Buffer::F64($m) => $body,
        }
    };
}

impl Buffer {
    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            Buffer::Bool(_) => DType::Bool,
            Buffer::U8(_) => DType::U8,
            Buffer::I32(_) => DType::I32,
            Buffer::I64(_) => DType::I64,
            Buffer::F32(_) => DType::F32,
            Buffer::F64(_) => DType::F64,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        each_mem!(self, m => m.as_slice().len())
    }

    /// True when the buffer holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when a foreign owner (a numpy array) may also see the elements.
    pub fn is_shared(&self) -> bool {
        each_mem!(self, m => m.is_shared())
    }
}

impl Drop for Storage {
    /// Large owned buffers go to the cache of [`super::recycle`] for the next op's result.
    fn drop(&mut self) {
        each_mem!(self.buffer.get_mut(), m => m.recycle())
    }
}

/// Memory of a storage handed to a foreign viewer (`Tensor.numpy()`).
pub struct SharedMemory {
    /// Address of element 0.
    pub ptr: *mut u8,
    /// Number of elements.
    pub len: usize,
    /// Element type.
    pub dtype: DType,
    /// Keeps the memory valid while it lives (also after the storage is gone).
    pub owner: Arc<dyn Any + Send + Sync>,
}

/// The shared, lockable buffer behind one or more tensors.
#[derive(Debug)]
pub struct Storage {
    buffer: RwLock<Buffer>,
    /// The storages reinterpreting this one's memory as other dtypes (`Tensor.view(dtype)`),
    /// shared by all of them (see [`Storage::reinterpret`]).
    family: parking_lot::Mutex<Option<Arc<Family>>>,
}

/// Storages over one memory region, at most one per dtype, so that tensors of one dtype over that
/// memory always share one `Storage` (its lock, and the same-storage checks of in-place ops).
#[derive(Debug)]
struct Family {
    /// Address of the memory.
    ptr: usize,
    members: parking_lot::Mutex<Vec<std::sync::Weak<Storage>>>,
}

impl Storage {
    /// Wraps a buffer.
    pub fn new(buffer: Buffer) -> Self {
        Storage { buffer: RwLock::new(buffer), family: parking_lot::Mutex::new(None) }
    }

    /// A storage of `dtype` over this storage's memory (as many whole elements as its bytes
    /// hold), for `Tensor.view(dtype)`: writes through either are seen by the other. The same
    /// storage is returned for the same dtype while it lives (viewing back gives `self`).
    ///
    /// Fails when the memory is not aligned for `dtype`, or, for bool, when a byte is neither 0
    /// nor 1 (a Rust `bool` cannot hold other bytes).
    pub fn reinterpret(self: &Arc<Self>, dtype: DType) -> Result<Arc<Storage>, String> {
        let shared = self.share();
        if shared.dtype == dtype {
            return Ok(self.clone());
        }
        let family = {
            let mut slot = self.family.lock();
            match &*slot {
                Some(f) if f.ptr == shared.ptr as usize => f.clone(),
                _ => {
                    let f = Arc::new(Family { ptr: shared.ptr as usize, members: parking_lot::Mutex::new(vec![Arc::downgrade(self)]) });
                    *slot = Some(f.clone());
                    f
                }
            }
        };
        let mut members = family.members.lock();
        members.retain(|m| m.strong_count() > 0);
        if let Some(found) = members.iter().filter_map(|m| m.upgrade()).find(|m| m.read().dtype() == dtype) {
            return Ok(found);
        }
        let bytes = shared.len * shared.dtype.size_in_bytes();
        if bytes == 0 {
            // Nothing to share (and an empty Vec's address is only aligned for its own type).
            return Ok(Arc::new(crate::with_dtype!(dtype, T => Storage::new(T::into_buffer(Vec::new())))));
        }
        if shared.ptr as usize % dtype.size_in_bytes() != 0 {
            return Err(format!("the memory of this tensor is not aligned for {}", dtype.name()));
        }
        if dtype == DType::Bool {
            // SAFETY: `bytes` bytes live at `ptr` while `shared.owner` does.
            let raw = unsafe { std::slice::from_raw_parts(shared.ptr as *const u8, bytes) };
            if raw.iter().any(|&b| b > 1) {
                return Err("rustgrad cannot view bytes other than 0 and 1 as bool".to_string());
            }
        }
        let owner: Box<dyn Any + Send + Sync> = Box::new(shared.owner);
        // SAFETY: the owner keeps `bytes` bytes alive at `ptr`, which is aligned for `dtype`
        // (checked), bool bytes are 0/1 (checked), and every value of the other dtypes is valid.
        let storage = Arc::new(unsafe { Storage::from_foreign(dtype, shared.ptr, bytes / dtype.size_in_bytes(), owner) });
        *storage.family.lock() = Some(family.clone());
        members.push(Arc::downgrade(&storage));
        Ok(storage)
    }

    /// A storage over foreign memory: `len` elements of `dtype` at `ptr`, kept alive by `owner`.
    ///
    /// # Safety
    /// `ptr` must be non-null, aligned for `dtype`, and valid for reads and writes of `len`
    /// elements for as long as `owner` lives; every element must be a valid value of `dtype`
    /// (bool: bytes 0 or 1). Writes by other code follow the rules in the module docs (point 4).
    pub unsafe fn from_foreign(dtype: DType, ptr: *mut u8, len: usize, owner: Box<dyn Any + Send + Sync>) -> Self {
        let owner: Arc<dyn Any + Send + Sync> = Arc::from(owner);
        fn mem<T>(ptr: *mut u8, len: usize, owner: Arc<dyn Any + Send + Sync>) -> Mem<T> {
            let ptr = NonNull::new(ptr as *mut T).expect("foreign memory pointer is non-null");
            Mem(Repr::Shared { ptr, len, owner })
        }
        let buffer = match dtype {
            DType::Bool => Buffer::Bool(mem(ptr, len, owner)),
            DType::U8 => Buffer::U8(mem(ptr, len, owner)),
            DType::I32 => Buffer::I32(mem(ptr, len, owner)),
            DType::I64 => Buffer::I64(mem(ptr, len, owner)),
            DType::F32 => Buffer::F32(mem(ptr, len, owner)),
            DType::F64 => Buffer::F64(mem(ptr, len, owner)),
        };
        Storage::new(buffer)
    }

    /// Shared access for kernels that read.
    pub fn read(&self) -> RwLockReadGuard<'_, Buffer> {
        // Recursive: a binary op on two views of one storage takes two read guards; a plain read
        // could deadlock behind a waiting writer between them.
        self.buffer.read_recursive()
    }

    /// Exclusive access for in-place writes.
    pub fn write(&self) -> RwLockWriteGuard<'_, Buffer> {
        self.buffer.write()
    }

    /// True when a foreign owner (a numpy array) may also see this storage's elements.
    pub fn is_shared(&self) -> bool {
        self.read().is_shared()
    }

    /// Hands the memory to a foreign viewer without copying: the result's `owner` keeps it alive
    /// (module docs). The storage keeps using the same memory.
    pub fn share(&self) -> SharedMemory {
        let mut buffer = self.write();
        let dtype = buffer.dtype();
        let len = buffer.len();
        let (ptr, owner) = each_mem!(&mut *buffer, m => {
            let (p, o) = m.share();
            (p as *mut u8, o)
        });
        SharedMemory { ptr, len, dtype, owner }
    }
}

/// A Rust type that can be a tensor element.
pub trait Element: Copy + Send + Sync + PartialEq + PartialOrd + Default + std::fmt::Debug + 'static {
    /// Its dtype.
    const DTYPE: DType;
    /// The typed slice of a buffer of this dtype (callers have checked the dtype).
    fn slice(buffer: &Buffer) -> &[Self];
    /// The typed mutable slice of a buffer of this dtype.
    fn slice_mut(buffer: &mut Buffer) -> &mut [Self];
    /// Moves a vector into a buffer.
    fn into_buffer(values: Vec<Self>) -> Buffer;
    /// Widens to f64 (bool -> 0/1).
    fn to_f64(self) -> f64;
    /// Narrows from f64: truncation toward zero for integers, wrapping into narrow integer types
    /// as C++ casts do on x86 (`-1.0` -> 255 as uint8).
    fn from_f64(value: f64) -> Self;
    /// As i64 (floats truncate toward zero, bool -> 0/1).
    fn to_i64(self) -> i64;
    /// From i64, wrapping into narrower integer types (`300` -> 44 as uint8), as PyTorch's casts.
    fn from_i64(value: i64) -> Self;
    /// The value one.
    fn one() -> Self;
    /// Converts to another element type as PyTorch's `.to(dtype)` does (integers stay exact).
    fn cast<D: Element>(self) -> D {
        if Self::DTYPE.is_float() {
            D::from_f64(self.to_f64())
        } else {
            D::from_i64(self.to_i64())
        }
    }
}

macro_rules! impl_element {
    ($t:ty, $variant:ident, $dtype:expr, $one:expr, $to:expr, $from:expr, $to_i:expr, $from_i:expr) => {
        impl Element for $t {
            const DTYPE: DType = $dtype;
            fn slice(buffer: &Buffer) -> &[Self] {
                match buffer {
                    Buffer::$variant(v) => v.as_slice(),
                    other => panic!("buffer holds {:?}, expected {:?}", other.dtype(), $dtype),
                }
            }
            fn slice_mut(buffer: &mut Buffer) -> &mut [Self] {
                match buffer {
                    Buffer::$variant(v) => v.as_mut_slice(),
                    other => panic!("buffer holds {:?}, expected {:?}", other.dtype(), $dtype),
                }
            }
            fn into_buffer(values: Vec<Self>) -> Buffer {
                Buffer::$variant(Mem::from(values))
            }
            fn to_f64(self) -> f64 {
                ($to)(self)
            }
            fn from_f64(value: f64) -> Self {
                ($from)(value)
            }
            fn to_i64(self) -> i64 {
                ($to_i)(self)
            }
            fn from_i64(value: i64) -> Self {
                ($from_i)(value)
            }
            fn one() -> Self {
                $one
            }
        }
    };
}

impl_element!(f32, F32, DType::F32, 1.0, |v: f32| v as f64, |v: f64| v as f32, |v: f32| v as i64, |v: i64| v as f32);
impl_element!(f64, F64, DType::F64, 1.0, |v: f64| v, |v: f64| v, |v: f64| v as i64, |v: i64| v as f64);
impl_element!(i64, I64, DType::I64, 1, |v: i64| v as f64, |v: f64| v as i64, |v: i64| v, |v: i64| v);
impl_element!(i32, I32, DType::I32, 1, |v: i32| v as f64, |v: f64| v as i64 as i32, |v: i32| v as i64, |v: i64| v
    as i32);
impl_element!(u8, U8, DType::U8, 1, |v: u8| v as f64, |v: f64| v as i64 as u8, |v: u8| v as i64, |v: i64| v as u8);
impl_element!(
    bool,
    Bool,
    DType::Bool,
    true,
    |v: bool| if v { 1.0 } else { 0.0 },
    |v: f64| v != 0.0,
    |v: bool| v as i64,
    |v: i64| v != 0
);

/// Runs `$body` with `$T` bound to the Rust element type of `$dtype`.
#[macro_export]
macro_rules! with_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::tensor::DType::Bool => {
                type $T = bool;
                $body
            }
            $crate::tensor::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::tensor::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::tensor::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::tensor::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::tensor::DType::F64 => {
                type $T = f64;
                $body
            }
        }
    };
}

/// Runs `$body` with `$T` bound to the float type of `$dtype`; other dtypes are an internal error.
#[macro_export]
macro_rules! with_float_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::tensor::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::tensor::DType::F64 => {
                type $T = f64;
                $body
            }
            other => unreachable!("float kernel called with {:?}", other),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_memory_outlives_the_storage_and_sees_writes() {
        let storage = Storage::new(f32::into_buffer(vec![1.0, 2.0, 3.0]));
        let before = f32::slice(&storage.read()).as_ptr();
        let shared = storage.share();
        assert_eq!(shared.ptr as *const f32, before, "sharing must not move the elements");
        assert!(storage.is_shared());
        f32::slice_mut(&mut storage.write())[1] = 20.0;
        // SAFETY: `shared.owner` keeps three f32 alive at `shared.ptr`.
        let view = unsafe { std::slice::from_raw_parts(shared.ptr as *const f32, shared.len) };
        assert_eq!(view, &[1.0, 20.0, 3.0]);
        drop(storage);
        // Still valid: the owner holds the allocation.
        let view = unsafe { std::slice::from_raw_parts(shared.ptr as *const f32, shared.len) };
        assert_eq!(view, &[1.0, 20.0, 3.0]);
    }

    #[test]
    fn foreign_memory_is_used_in_place_and_kept_alive() {
        let backing: Arc<parking_lot::Mutex<Vec<i32>>> = Arc::new(parking_lot::Mutex::new(vec![5, 6, 7]));
        let ptr = backing.lock().as_mut_ptr() as *mut u8;
        // SAFETY: the Vec is never resized and lives inside `owner`.
        let storage = unsafe { Storage::from_foreign(DType::I32, ptr, 3, Box::new(backing.clone())) };
        i32::slice_mut(&mut storage.write())[0] = 50;
        assert_eq!(backing.lock()[0], 50);
        assert_eq!(Arc::strong_count(&backing), 2);
        let copy = storage.read().clone();
        assert!(!copy.is_shared() && storage.is_shared());
        drop(storage);
        assert_eq!(Arc::strong_count(&backing), 1);
    }

    #[test]
    fn casts_keep_integers_exact_and_wrap_like_pytorch() {
        assert_eq!((i64::MAX - 1).cast::<i64>(), i64::MAX - 1);
        assert_eq!(300i64.cast::<u8>(), 44);
        assert_eq!((-1i64).cast::<u8>(), 255);
        assert_eq!(((1i64 << 31) + 5).cast::<i32>(), i32::MIN + 5);
        assert_eq!((-2.7f64).cast::<i32>(), -2);
        assert_eq!(f64::NAN.cast::<bool>(), true);
        assert_eq!(255u8.cast::<f32>(), 255.0);
    }
}
