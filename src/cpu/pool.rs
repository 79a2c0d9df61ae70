//! The kernels' own rayon pool, so that `set_num_threads` takes effect at any time (rayon's global
//! pool is fixed once built). Parallel kernels run their rayon work inside [`install`]; changing
//! the thread count builds a new pool, and work already running finishes on the old one (which is
//! dropped, and its threads end, when the last such job returns).

use std::sync::{Arc, LazyLock};

use parking_lot::RwLock;
use rayon::{ThreadPool, ThreadPoolBuilder};

static POOL: LazyLock<RwLock<Arc<ThreadPool>>> = LazyLock::new(|| {
    // rayon's default size: RAYON_NUM_THREADS, else the number of logical CPUs.
    RwLock::new(Arc::new(build(0)))
});

fn build(n: usize) -> ThreadPool {
    ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("rustgrad-worker-{i}"))
        .build()
        .expect("rayon thread pool")
}

fn current() -> Arc<ThreadPool> {
    POOL.read().clone()
}

/// Runs `f` inside the kernel pool: rayon work started by `f` uses that pool's threads. Cheap when
/// already on one of its workers (nested parallel kernels).
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let pool = current();
    if pool.current_thread_index().is_some() {
        return f();
    }
    pool.install(f)
}

/// Sets the number of threads used by parallel kernels (PyTorch's `set_num_threads`; `n >= 1`).
pub fn set_num_threads(n: usize) {
    let n = n.max(1);
    let mut pool = POOL.write();
    if pool.current_num_threads() != n {
        *pool = Arc::new(build(n));
    }
}

/// The number of threads parallel kernels use.
pub fn get_num_threads() -> usize {
    current().current_num_threads()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    /// The distinct worker indices that ran a parallel loop inside `install`.
    fn workers_used() -> usize {
        let mut seen: Vec<usize> = install(|| {
            (0..256)
                .into_par_iter()
                .with_max_len(1)
                .map(|_| {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                    rayon::current_thread_index().expect("on a worker")
                })
                .collect()
        });
        seen.sort();
        seen.dedup();
        seen.len()
    }

    #[test]
    fn set_num_threads_takes_effect_each_time() {
        for n in [1, 3, 2, 1] {
            set_num_threads(n);
            assert_eq!(get_num_threads(), n);
            assert_eq!(install(rayon::current_num_threads), n);
            let used = workers_used();
            assert!(used <= n, "{used} workers ran with {n} threads");
            if n > 1 {
                assert!(used > 1, "parallel work stayed on one of {n} threads");
            }
        }
        // nested installs run inline on the same pool
        assert_eq!(install(|| install(rayon::current_num_threads)), 1);
    }
}
