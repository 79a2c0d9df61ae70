//! A team of kernel threads that the calling thread works alongside, as OpenMP's master thread
//! does in PyTorch.
//!
//! Handing a kernel to the rayon pool parks the calling thread and wakes the workers: two
//! wake-ups, 12-15 us on this VM, paid by every split kernel and every split matrix product (an
//! MLP step has about ten). Here the caller takes tasks itself, and the `threads - 1` helpers
//! spin for [`SPIN`] after each job before they sleep, so in a loop of kernels they pick up the
//! next job within a fraction of a microsecond.
//!
//! One job runs at a time: a second calling thread that finds the team busy (two Python threads
//! with `set_num_threads(2)`), a kernel nested in a task, and a forked child whose helper threads
//! do not exist all get `false` from [`run`] and split their work on the rayon pool as before.

use std::any::Any;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use parking_lot::Mutex as PlMutex;

/// How long a helper keeps looking for the next job before it sleeps: long enough to span the
/// Python code between two kernels of a training step, short enough that an idle program stops
/// using the core quickly (libgomp, PyTorch's OpenMP, spins for 300,000 rounds by default).
const SPIN: Duration = Duration::from_micros(200);

/// The bit of `Shared::active` that closes a job to helpers not yet in it.
const CLOSED: usize = 1 << (usize::BITS - 1);

/// A job's tasks, lifetime erased: the caller of [`run`] keeps the closure alive until every
/// helper has finished with it.
type Task = *const (dyn Fn(usize) + Sync);

struct Shared {
    /// Bumped for each job; a helper works when it differs from the last it saw.
    epoch: AtomicU64,
    job: PlMutex<Option<SendTask>>,
    tasks: AtomicUsize,
    next: AtomicUsize,
    /// Helpers working on the current job, plus [`CLOSED`] once the caller has finished its share:
    /// a helper that wakes late (descheduled by the OS) finds the job closed and leaves it alone,
    /// so the caller never waits for a helper that took no task.
    active: AtomicUsize,
    panic: PlMutex<Option<Box<dyn Any + Send>>>,
    sleeping: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
    shutdown: AtomicBool,
}

#[derive(Clone, Copy)]
struct SendTask(Task);
// SAFETY: the closure is Sync and outlives its use (see `Task`).
unsafe impl Send for SendTask {}

struct Team {
    pid: u32,
    helpers: usize,
    busy: AtomicBool,
    shared: Arc<Shared>,
}

impl Team {
    fn new(helpers: usize) -> Team {
        let shared = Arc::new(Shared {
            epoch: AtomicU64::new(0),
            job: PlMutex::new(None),
            tasks: AtomicUsize::new(0),
            next: AtomicUsize::new(0),
            active: AtomicUsize::new(CLOSED),
            panic: PlMutex::new(None),
            sleeping: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            shutdown: AtomicBool::new(false),
        });
        for i in 0..helpers {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("rustgrad-team-{i}"))
                .spawn(move || helper(&shared))
                .expect("spawn a kernel team thread");
        }
        Team { pid: std::process::id(), helpers, busy: AtomicBool::new(false), shared }
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        if self.pid != std::process::id() {
            return; // inherited through fork(): its threads are not ours to signal
        }
        self.shared.shutdown.store(true, SeqCst);
        self.shared.epoch.fetch_add(1, SeqCst);
        let _guard = self.shared.lock.lock();
        self.shared.wake.notify_all();
    }
}

thread_local! {
    /// Set while this thread runs a task of a team job: kernels nested in it run serially.
    static IN_TASK: Cell<bool> = const { Cell::new(false) };
}

/// The team for the current thread count (replaced when `set_num_threads` changes it).
static TEAM: PlMutex<Option<Arc<Team>>> = PlMutex::new(None);

/// Whether the calling thread is inside a team task (its kernels must not split again).
pub fn in_task() -> bool {
    IN_TASK.with(|f| f.get())
}

/// Runs `task(0..tasks)` on the calling thread and the team's helpers, each taking the next index
/// until none is left; returns when all have finished. `false` (nothing ran) when the team cannot
/// take the job (see the module comment); the caller then splits its work another way. A panic
/// in a task is re-raised here once every task has stopped.
pub fn run(tasks: usize, task: &(dyn Fn(usize) + Sync)) -> bool {
    let threads = super::threads();
    if threads < 2 || in_task() || rayon::current_thread_index().is_some() {
        return false;
    }
    let team = {
        let mut slot = TEAM.lock();
        let stale = slot.as_ref().is_none_or(|t| t.helpers != threads - 1 || t.pid != std::process::id());
        if stale {
            if let Some(old) = slot.take() {
                if old.pid != std::process::id() {
                    std::mem::forget(old);
                }
            }
            *slot = Some(Arc::new(Team::new(threads - 1)));
        }
        slot.as_ref().expect("just set").clone()
    };
    if team.busy.compare_exchange(false, true, Acquire, Relaxed).is_err() {
        return false;
    }
    let shared = &*team.shared;
    // SAFETY (lifetime erasure): this function closes the job and waits below until no helper is
    // in it, after which no helper can reach `task`, before it returns.
    let erased: Task = unsafe { std::mem::transmute::<&(dyn Fn(usize) + Sync), Task>(task) };
    *shared.job.lock() = Some(SendTask(erased));
    shared.tasks.store(tasks, SeqCst);
    shared.next.store(0, SeqCst);
    shared.active.store(0, SeqCst);
    shared.epoch.fetch_add(1, SeqCst);
    if shared.sleeping.load(SeqCst) > 0 {
        let _guard = shared.lock.lock();
        shared.wake.notify_all();
    }
    work(shared, task);
    shared.active.fetch_or(CLOSED, SeqCst);
    let mut spins = 0u32;
    while shared.active.load(Acquire) != CLOSED {
        spins += 1;
        if spins < 1 << 16 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now(); // a helper inside a task was descheduled: let it run
        }
    }
    *shared.job.lock() = None;
    let panic = shared.panic.lock().take();
    team.busy.store(false, Release);
    if let Some(payload) = panic {
        std::panic::resume_unwind(payload);
    }
    true
}

/// Takes tasks until none is left, as a task runner (nested kernels serial); a panic is kept
/// for [`run`] to re-raise and ends this thread's share of the job.
fn work(shared: &Shared, task: &(dyn Fn(usize) + Sync)) {
    let outer = IN_TASK.with(|f| f.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| loop {
        let i = shared.next.fetch_add(1, Relaxed);
        if i >= shared.tasks.load(Relaxed) {
            break;
        }
        task(i);
    }));
    IN_TASK.with(|f| f.set(outer));
    if let Err(payload) = result {
        shared.next.store(usize::MAX / 2, SeqCst); // the others stop taking tasks
        shared.panic.lock().get_or_insert(payload);
    }
}

/// A helper thread: spins for [`SPIN`] after each job, then sleeps until the next.
fn helper(shared: &Shared) {
    // 0, the epoch before the first job: this thread may start after that job is posted.
    let mut seen = 0;
    loop {
        let start = Instant::now();
        let mut rounds = 0u32;
        while shared.epoch.load(Acquire) == seen {
            rounds += 1;
            if rounds % 64 != 0 {
                std::hint::spin_loop();
                continue;
            }
            if start.elapsed() < SPIN {
                // Let another thread that is ready on this core (a rayon worker, another
                // program) run rather than spin against it.
                std::thread::yield_now();
                continue;
            }
            let mut guard = shared.lock.lock().unwrap_or_else(|e| e.into_inner());
            shared.sleeping.fetch_add(1, SeqCst);
            while shared.epoch.load(SeqCst) == seen {
                guard = shared.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
            }
            shared.sleeping.fetch_sub(1, SeqCst);
        }
        seen = shared.epoch.load(Acquire);
        if shared.shutdown.load(SeqCst) {
            return;
        }
        if shared.active.fetch_add(1, SeqCst) & CLOSED == 0 {
            let job = *shared.job.lock();
            if let Some(SendTask(task)) = job {
                // SAFETY: `run` keeps the closure alive until `active` shows no helper in the job.
                work(shared, unsafe { &*task });
            }
        }
        shared.active.fetch_sub(1, Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[test]
    fn every_task_runs_once_across_the_caller_and_helpers() {
        let _serial = super::super::pool::THREAD_COUNT_TESTS.lock();
        let before = super::super::get_num_threads();
        super::super::set_num_threads(2);
        for tasks in [0usize, 1, 2, 7, 64, 1000] {
            let counts: Vec<AtomicU32> = (0..tasks).map(|_| AtomicU32::new(0)).collect();
            let ran = run(tasks, &|i| {
                counts[i].fetch_add(1, SeqCst);
                assert!(in_task());
                // A nested split is refused: kernels inside a task run serially.
                assert!(!run(2, &|_| {}));
            });
            assert!(ran);
            assert!(counts.iter().all(|c| c.load(SeqCst) == 1), "{tasks} tasks");
        }
        // Two threads at once: one gets the team, the other is told to split another way.
        let (started, refused) = (AtomicBool::new(false), AtomicBool::new(false));
        let results: Vec<bool> = std::thread::scope(|s| {
            let a = s.spawn(|| {
                run(1, &|_| {
                    started.store(true, SeqCst);
                    while !refused.load(SeqCst) {
                        std::hint::spin_loop();
                    }
                })
            });
            let b = s.spawn(|| {
                while !started.load(SeqCst) {
                    std::hint::spin_loop();
                }
                let ran = run(4, &|_| {});
                refused.store(true, SeqCst);
                ran
            });
            vec![a.join().unwrap(), b.join().unwrap()]
        });
        assert_eq!(results, vec![true, false]);
        super::super::set_num_threads(before);
    }

    #[test]
    fn a_panicking_task_reaches_the_caller_and_the_team_stays_usable() {
        let _serial = super::super::pool::THREAD_COUNT_TESTS.lock();
        let before = super::super::get_num_threads();
        super::super::set_num_threads(2);
        let caught = std::panic::catch_unwind(|| run(16, &|i| assert!(i != 9, "task nine")));
        assert!(caught.is_err());
        let total = AtomicUsize::new(0);
        assert!(run(10, &|i| {
            total.fetch_add(i, SeqCst);
        }));
        assert_eq!(total.load(SeqCst), 45);
        super::super::set_num_threads(before);
    }
}
