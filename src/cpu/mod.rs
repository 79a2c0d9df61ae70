//! CPU kernels over typed slices and layouts. They know nothing of autograd or Python, never read
//! grad mode, and run on rayon workers above a grain size.

pub mod cephes;
pub mod gamma;
pub mod bessel;
pub mod igamma;
pub mod erfcx;
pub mod elementwise;
pub mod division;
pub mod math;
pub mod index;
pub mod index_ops;
pub mod matmul;
pub mod reduce;

mod pool;
pub mod split;
pub mod team;

pub use pool::{get_num_threads, install, set_num_threads, threads};

/// Elements below which a kernel stays on the calling thread: spawning rayon work costs more than
/// it saves for small tensors (PyTorch uses the same grain, 32768).
pub const GRAIN: usize = 32768;
pub mod conv;
pub mod norm;
pub mod range;
pub mod reduce_float;
pub mod reduce_simd;
pub mod reduce_x86;
pub mod softmax;
pub mod transpose;

/// Whether a kernel over `work` elements splits it over the kernel pool: at least [`GRAIN`]
/// elements and more than one kernel thread. With one thread kernels run on the calling thread,
/// as PyTorch's do with `set_num_threads(1)`: handing work to a pool worker costs a wake-up of
/// both threads (about 15 us here, five times a 32K-element relu) and gains nothing.
pub fn parallel(work: usize) -> bool {
    work >= GRAIN && threads() > 1
}
pub mod sort;
pub mod stl_sort;
pub mod scan;
pub mod search;
pub mod linalg_lu;
pub mod linalg_qr;
pub mod linalg_svd;
pub mod linalg_tri;
pub mod cdist;
