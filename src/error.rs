//! The one error type of the core. Each variant names the Python exception it becomes;
//! `src/py/error.rs` is the only place that maps them. Messages are worded as PyTorch words them.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// An error raised by a tensor op, the autograd engine or a kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Raised as `RuntimeError`: shape mismatches, autograd misuse, dtype problems.
    Runtime(String),
    /// Raised as `IndexError`: out-of-range indices and dimensions.
    Index(String),
    /// Raised as `ValueError`: malformed input data (ragged lists, bad conversions).
    Value(String),
    /// Raised as `TypeError`: an argument of the wrong kind.
    Type(String),
    /// Raised as `NotImplementedError`: an op without a kernel for a dtype.
    NotImplemented(String),
    /// Raised as `rustgrad.linalg.LinAlgError` (a `RuntimeError`): a singular or indefinite matrix.
    LinAlg(String),
    /// An error raised by user code the core called back into (a Python hook or custom Function),
    /// carried through the engine unchanged and re-raised as it was.
    Foreign(ForeignError),
}

/// An opaque error from outside the core (the bindings put a Python exception in it).
#[derive(Clone)]
pub struct ForeignError {
    /// The error object, recovered by whoever created it.
    pub payload: Arc<dyn Any + Send + Sync>,
    /// Its text, for Display.
    pub message: String,
}

impl fmt::Debug for ForeignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ForeignError({})", self.message)
    }
}

impl PartialEq for ForeignError {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.payload, &other.payload)
    }
}

impl Eq for ForeignError {}

/// The core's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A `RuntimeError` with the given message.
    pub fn runtime(msg: impl Into<String>) -> Self {
        Error::Runtime(msg.into())
    }
    /// An `IndexError` with the given message.
    pub fn index(msg: impl Into<String>) -> Self {
        Error::Index(msg.into())
    }
    /// A `ValueError` with the given message.
    pub fn value(msg: impl Into<String>) -> Self {
        Error::Value(msg.into())
    }
    /// A `TypeError` with the given message.
    pub fn type_error(msg: impl Into<String>) -> Self {
        Error::Type(msg.into())
    }
    /// A `NotImplementedError` with the given message.
    pub fn not_implemented(msg: impl Into<String>) -> Self {
        Error::NotImplemented(msg.into())
    }
    /// A `LinAlgError` (singular or not positive-definite input) with the given message.
    pub fn linalg(msg: impl Into<String>) -> Self {
        Error::LinAlg(msg.into())
    }
    /// The message without the kind.
    pub fn message(&self) -> &str {
        match self {
            Error::Runtime(m) | Error::Index(m) | Error::Value(m) | Error::Type(m) | Error::NotImplemented(m) | Error::LinAlg(m) => m,
            Error::Foreign(e) => &e.message,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}

/// The panic payload of a buffer allocation that failed: what `malloc` refusing a request becomes,
/// instead of Rust's process abort, so a user's `zeros(2**40)` raises PyTorch's RuntimeError.
///
/// Kernels allocate their outputs deep inside infallible code (`Vec` growth, `filled_vec`), so a
/// failure unwinds as this payload to the nearest [`catch_alloc_failure`], which turns it into an
/// [`Error`]. Unwinding frees every buffer allocated so far and touches no tensor a user holds:
/// outputs are allocated before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocFailure {
    /// Bytes requested.
    pub bytes: usize,
}

impl AllocFailure {
    /// Unwinds with this payload (silently: the error reaches the user as an exception, so the
    /// panic hook prints nothing for it).
    pub fn raise(bytes: usize) -> ! {
        static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
        QUIET_HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !info.payload().is::<AllocFailure>() {
                    previous(info);
                }
            }));
        });
        std::panic::panic_any(AllocFailure { bytes })
    }

    /// PyTorch's message for the same failure.
    pub fn message(&self) -> String {
        format!(
            "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to allocate {} bytes. Error code 12 (Cannot allocate memory)",
            self.bytes
        )
    }
}

/// Runs `f`, turning an [`AllocFailure`] unwinding out of it into a `RuntimeError`; any other
/// panic keeps unwinding.
pub fn catch_alloc_failure<R, E: From<Error>>(f: impl FnOnce() -> std::result::Result<R, E>) -> std::result::Result<R, E> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => match payload.downcast::<AllocFailure>() {
            Ok(failure) => Err(Error::runtime(failure.message()).into()),
            Err(other) => std::panic::resume_unwind(other),
        },
    }
}

/// `collect()` into a `Vec` whose buffer is reserved up front for the iterator's length (its size
/// hint), so that a refused allocation unwinds as [`AllocFailure`] instead of aborting: for
/// buffers whose size comes from the user (factories, index tables of an output shape).
pub trait CheckedCollect: Iterator + Sized {
    /// The items in a `Vec`.
    fn checked_collect(self) -> Vec<Self::Item> {
        let mut v = vec_with_capacity(self.size_hint().0);
        v.extend(self);
        v
    }
}

impl<I: Iterator> CheckedCollect for I {}

/// An empty `Vec<T>` with room for `n` elements, or an [`AllocFailure`] unwind when the system
/// refuses the memory (Rust's own `Vec::with_capacity` would abort the process).
pub fn vec_with_capacity<T>(n: usize) -> Vec<T> {
    let mut v = Vec::new();
    if v.try_reserve_exact(n).is_err() {
        AllocFailure::raise(n.saturating_mul(std::mem::size_of::<T>()));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_allocation_becomes_pytorchs_runtime_error() {
        // 2**46 floats (256 TiB) exceed any process's address space, whatever the overcommit policy.
        let result: Result<Vec<f32>> = catch_alloc_failure(|| Ok(vec_with_capacity::<f32>(1 << 46)));
        let expected = "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to allocate 281474976710656 bytes. Error code 12 (Cannot allocate memory)";
        assert_eq!(result.unwrap_err(), Error::runtime(expected));
        let collected: Result<Vec<u8>> = catch_alloc_failure(|| Ok((0..1usize << 50).map(|_| 0u8).checked_collect()));
        assert!(collected.unwrap_err().message().contains("you tried to allocate 1125899906842624 bytes"));
    }

    #[test]
    fn other_panics_and_errors_pass_through() {
        let caught = std::panic::catch_unwind(|| catch_alloc_failure::<(), Error>(|| panic!("a bug")));
        assert_eq!(*caught.unwrap_err().downcast::<&str>().unwrap(), "a bug");
        assert_eq!(catch_alloc_failure::<(), Error>(|| Err(Error::index("out"))), Err(Error::index("out")));
        let v: Vec<u32> = (0..5u32).checked_collect();
        assert_eq!((v, vec_with_capacity::<u8>(3).capacity() >= 3), (vec![0, 1, 2, 3, 4], true));
    }
}
