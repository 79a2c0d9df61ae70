//! CPU kernels over typed slices and layouts. They know nothing of autograd or Python, never read
//! grad mode, and run on rayon workers above a grain size.

pub mod elementwise;
pub mod matmul;
pub mod reduce;

/// Elements below which a kernel stays on the calling thread: spawning rayon work costs more than
/// it saves for small tensors (PyTorch uses the same grain, 32768).
pub const GRAIN: usize = 32768;

/// Sets the number of rayon worker threads used by kernels. Only the first call before any kernel
/// runs can take effect (rayon's global pool is built once); later calls return false.
pub fn set_num_threads(n: usize) -> bool {
    rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global().is_ok()
}

/// The number of threads kernels may use.
pub fn get_num_threads() -> usize {
    rayon::current_num_threads()
}
