//! rustgrad: PyTorch's autograd rebuilt in Rust.
//!
//! Layers, bottom to top (arrows only go down):
//! - [`cpu`]: kernels over slices and layouts (rayon above a grain size);
//! - [`tensor`]: storage, layout, dtype and the tensor handle;
//! - [`autograd`]: graph nodes, saved tensors, grad mode and the backward engine;
//! - [`ops`]: differentiable ops (kernel + node recording);
//! - `py` (feature `python`): the PyO3 bindings, the only code that knows Python.
#![warn(missing_docs)]

pub mod autograd;
pub mod cpu;
pub mod error;
pub mod ops;
pub mod optim;
pub mod random;
pub mod tensor;

#[cfg(feature = "python")]
mod py;

pub use error::{Error, Result};

/// Tensor buffers start on a cache line and use huge pages (see [`tensor::alloc`]). A program that
/// links rustgrad and brings its own global allocator turns off the default feature
/// `tensor-allocator`.
#[cfg(all(unix, feature = "tensor-allocator"))]
#[global_allocator]
static GLOBAL_ALLOCATOR: tensor::alloc::TensorAllocator = tensor::alloc::TensorAllocator;
pub use tensor::{DType, Scalar, Tensor};
