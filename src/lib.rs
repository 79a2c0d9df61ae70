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
pub use tensor::{DType, Scalar, Tensor};
