//! CPU kernels over typed slices and layouts. They know nothing of autograd or Python, never read
//! grad mode, and run on rayon workers above a grain size.

pub mod cephes;
pub mod elementwise;
pub mod division;
pub mod math;
pub mod index;
pub mod matmul;
pub mod reduce;

mod pool;

pub use pool::{get_num_threads, install, set_num_threads};

/// Elements below which a kernel stays on the calling thread: spawning rayon work costs more than
/// it saves for small tensors (PyTorch uses the same grain, 32768).
pub const GRAIN: usize = 32768;
pub mod conv;
pub mod norm;
pub mod range;
pub mod reduce_float;
pub mod reduce_simd;
pub mod softmax;
