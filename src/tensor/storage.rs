//! Storage: the typed buffer that a tensor and all of its views share.
//!
//! Why a `RwLock` rather than PyTorch's unsynchronised pointer: several Python threads run ops with
//! the GIL released, and an in-place op on one thread may meet a read on another. The lock keeps
//! that sound at the cost of one uncontended atomic per access. In-place kernels compute their
//! result before taking the write lock, so `x.add_(x)` never needs a read and a write at once.

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::dtype::DType;

/// A typed, owned element buffer.
#[derive(Clone, Debug, PartialEq)]
pub enum Buffer {
    /// bool elements
    Bool(Vec<bool>),
    /// int64 elements
    I64(Vec<i64>),
    /// float32 elements
    F32(Vec<f32>),
    /// float64 elements
    F64(Vec<f64>),
}

impl Buffer {
    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            Buffer::Bool(_) => DType::Bool,
            Buffer::I64(_) => DType::I64,
            Buffer::F32(_) => DType::F32,
            Buffer::F64(_) => DType::F64,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Buffer::Bool(v) => v.len(),
            Buffer::I64(v) => v.len(),
            Buffer::F32(v) => v.len(),
            Buffer::F64(v) => v.len(),
        }
    }

    /// True when the buffer holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The shared, lockable buffer behind one or more tensors.
#[derive(Debug)]
pub struct Storage {
    buffer: RwLock<Buffer>,
}

impl Storage {
    /// Wraps a buffer.
    pub fn new(buffer: Buffer) -> Self {
        Storage { buffer: RwLock::new(buffer) }
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
    /// Narrows from f64 with Rust's `as` rules (truncation toward zero for integers).
    fn from_f64(value: f64) -> Self;
    /// The value one.
    fn one() -> Self;
}

macro_rules! impl_element {
    ($t:ty, $variant:ident, $dtype:expr, $one:expr, $to:expr, $from:expr) => {
        impl Element for $t {
            const DTYPE: DType = $dtype;
            fn slice(buffer: &Buffer) -> &[Self] {
                match buffer {
                    Buffer::$variant(v) => v,
                    other => panic!("buffer holds {:?}, expected {:?}", other.dtype(), $dtype),
                }
            }
            fn slice_mut(buffer: &mut Buffer) -> &mut [Self] {
                match buffer {
                    Buffer::$variant(v) => v,
                    other => panic!("buffer holds {:?}, expected {:?}", other.dtype(), $dtype),
                }
            }
            fn into_buffer(values: Vec<Self>) -> Buffer {
                Buffer::$variant(values)
            }
            fn to_f64(self) -> f64 {
                ($to)(self)
            }
            fn from_f64(value: f64) -> Self {
                ($from)(value)
            }
            fn one() -> Self {
                $one
            }
        }
    };
}

impl_element!(f32, F32, DType::F32, 1.0, |v: f32| v as f64, |v: f64| v as f32);
impl_element!(f64, F64, DType::F64, 1.0, |v: f64| v, |v: f64| v);
impl_element!(i64, I64, DType::I64, 1, |v: i64| v as f64, |v: f64| v as i64);
impl_element!(bool, Bool, DType::Bool, true, |v: bool| if v { 1.0 } else { 0.0 }, |v: f64| v != 0.0);

/// Runs `$body` with `$T` bound to the Rust element type of `$dtype`.
#[macro_export]
macro_rules! with_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::tensor::DType::Bool => {
                type $T = bool;
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
