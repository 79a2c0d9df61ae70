//! The kernels' own rayon pool, so that `set_num_threads` takes effect at any time (rayon's global
//! pool is fixed once built). Parallel kernels run their rayon work inside [`install`]; changing
//! the thread count builds a new pool, and work already running finishes on the old one (which is
//! dropped, and its threads end, when the last such job returns).

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use parking_lot::RwLock;
use rayon::{ThreadPool, ThreadPoolBuilder};

/// A pool and the process it belongs to: after `fork()` (DataLoader workers, multiprocessing)
/// the child inherits the pool but not its worker threads, so a job sent to it would wait forever.
struct Owned {
    pid: u32,
    pool: Arc<ThreadPool>,
}

impl Owned {
    fn new(n: usize) -> Owned {
        Owned { pid: std::process::id(), pool: Arc::new(build(n)) }
    }
}

/// Replaces `slot` with a fresh pool of `n` threads; a pool inherited through `fork()` is leaked,
/// not dropped (dropping would signal worker threads that do not exist in this process).
fn replace(slot: &mut Owned, n: usize) {
    let old = std::mem::replace(slot, Owned::new(n));
    if old.pid != slot.pid {
        std::mem::forget(old);
    }
}

static POOL: LazyLock<RwLock<Owned>> = LazyLock::new(|| {
    // rayon's default size: RAYON_NUM_THREADS, else the number of logical CPUs.
    let owned = Owned::new(0);
    THREADS.store(owned.pool.current_num_threads(), Ordering::Relaxed);
    RwLock::new(owned)
});

/// The pool's size, readable without the lock (0 until the pool is first built): kernels ask
/// [`threads`] before every parallel loop.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// The number of kernel threads, as [`get_num_threads`] but without locking or cloning the pool.
pub fn threads() -> usize {
    if super::team::in_task() {
        return 1; // a task of a team job: its kernels run on this thread alone
    }
    match THREADS.load(Ordering::Relaxed) {
        0 => get_num_threads(),
        n => n,
    }
}

fn build(n: usize) -> ThreadPool {
    ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("rustgrad-worker-{i}"))
        .build()
        .expect("rayon thread pool")
}

fn current() -> Arc<ThreadPool> {
    let pid = std::process::id();
    {
        let owned = POOL.read();
        if owned.pid == pid {
            return owned.pool.clone();
        }
    }
    let mut owned = POOL.write();
    if owned.pid != pid {
        let n = owned.pool.current_num_threads();
        replace(&mut owned, n); // a forked child: same size, its own threads
    }
    owned.pool.clone()
}

/// Runs `f` inside the kernel pool: rayon work started by `f` uses that pool's threads. Cheap when
/// already on one of its workers (nested parallel kernels).
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let pool = current();
    if pool.current_thread_index().is_some() {
        return f();
    }
    if pool.current_num_threads() == 1 {
        return install_solo(f);
    }
    pool.install(f)
}

thread_local! {
    /// This calling thread's own one-worker pool (see [`install_solo`]).
    static SOLO: RefCell<Option<Owned>> = const { RefCell::new(None) };
}

/// With one kernel thread, each calling thread runs its kernels on a one-worker pool of its own.
/// A single shared worker would serialise Python threads that train independently (each with
/// `set_num_threads(1)`, PyTorch's advice for thread-parallel training); OpenMP, which PyTorch
/// uses, likewise gives every calling thread its own team. (Running `f` inline instead would send
/// its rayon calls to rayon's global pool, with as many threads as CPUs.)
fn install_solo<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() {
        return f(); // already on a worker (this thread's solo pool): nested kernels run inline
    }
    let pool = SOLO.with(|solo| {
        let mut solo = solo.borrow_mut();
        match &mut *solo {
            Some(owned) if owned.pid != std::process::id() => replace(owned, 1),
            Some(_) => {}
            None => *solo = Some(Owned::new(1)),
        }
        solo.as_ref().expect("just set").pool.clone()
    });
    pool.install(f)
}

/// Sets the number of threads used by parallel kernels (PyTorch's `set_num_threads`; `n >= 1`).
pub fn set_num_threads(n: usize) {
    let n = n.max(1);
    let mut owned = POOL.write();
    if owned.pid != std::process::id() || owned.pool.current_num_threads() != n {
        replace(&mut owned, n);
    }
    THREADS.store(n, Ordering::Relaxed);
}

/// The number of threads parallel kernels use.
pub fn get_num_threads() -> usize {
    current().current_num_threads()
}

/// Serialises the unit tests that change the thread count (cargo runs tests on parallel threads).
#[cfg(test)]
pub(crate) static THREAD_COUNT_TESTS: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

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
        let _serial = THREAD_COUNT_TESTS.lock();
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
        // with one thread, two calling threads run their kernels on two different workers
        set_num_threads(1);
        let worker = || install(|| std::thread::current().id());
        let (a, b) = std::thread::scope(|s| (s.spawn(worker).join().unwrap(), s.spawn(worker).join().unwrap()));
        assert_ne!(a, b, "calling threads share one kernel worker");
        assert_eq!(install(rayon::current_num_threads), 1);
    }
}
