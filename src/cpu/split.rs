//! Splitting a kernel's independent pieces over the kernel pool only when it pays.
//!
//! Handing work to a pool worker from a Python thread costs two wake-ups (the worker's, then the
//! caller's when the work is done): about 12-15 us on this 2-core VM. A fixed grain cannot tell a
//! relu over 128K floats (12 us on one thread: splitting makes it slower) from a tanh over as many
//! (170 us: splitting nearly halves it), and the kernels here are generic over the element
//! function. So [`map_pieces`] runs the first piece on the calling thread and times it: the rest
//! go to the pool only when one thread would need more than [`PARALLEL_MIN_NANOS`] for them.
//! Pieces are computed the same way wherever they run, so results never depend on the decision.

use std::time::Instant;

use parking_lot::Mutex;
use rayon::prelude::*;

/// Estimated one-thread time of the remaining pieces above which they are split over the pool:
/// about twice the hand-off cost, so that halving the work saves more than the hand-off takes.
pub const PARALLEL_MIN_NANOS: u128 = 30_000;

/// `f` of every piece, results in piece order: all on the calling thread with one kernel thread,
/// else the first piece here and timed, the rest split over the pool when they are estimated to
/// take longer than [`PARALLEL_MIN_NANOS`] on this thread alone.
pub fn map_pieces<P: Send, A: Send>(pieces: Vec<P>, f: impl Fn(P) -> A + Sync + Send) -> Vec<A> {
    if pieces.len() < 2 || super::threads() == 1 || rayon::current_thread_index().is_some() {
        return pieces.into_iter().map(f).collect();
    }
    let mut pieces = pieces.into_iter();
    let first = pieces.next().expect("two or more pieces");
    let start = Instant::now();
    let mut out = Vec::with_capacity(pieces.len() + 1);
    out.push(f(first));
    let estimate = start.elapsed().as_nanos() * pieces.len() as u128;
    if estimate < PARALLEL_MIN_NANOS && !forced() {
        out.extend(pieces.map(f));
    } else {
        let rest: Vec<P> = pieces.collect();
        out.extend(on_team(rest, &f).unwrap_or_else(|rest| {
            // A few tasks per thread: enough to balance, few enough that scheduling stays cheap.
            let min_len = (rest.len() / (4 * super::threads())).max(1);
            super::install(|| rest.into_par_iter().with_min_len(min_len).map(&f).collect())
        }));
    }
    out
}

/// `f` of every piece on the calling thread and the kernel team (see [`super::team`]), results in
/// piece order; the pieces back when the team cannot take the job. Each thread gets one task of
/// consecutive pieces (a fixed share of the tensor, so a core reads the same memory each call).
fn on_team<P: Send, A: Send>(pieces: Vec<P>, f: &(impl Fn(P) -> A + Sync)) -> Result<Vec<A>, Vec<P>> {
    let count = pieces.len();
    let slots: Vec<Mutex<Option<P>>> = pieces.into_iter().map(|p| Mutex::new(Some(p))).collect();
    let results: Vec<Mutex<Option<A>>> = (0..count).map(|_| Mutex::new(None)).collect();
    let tasks = count.min(super::threads());
    let ran = super::team::run(tasks, &|t| {
        for i in t * count / tasks..(t + 1) * count / tasks {
            let piece = slots[i].lock().take().expect("each piece is taken once");
            *results[i].lock() = Some(f(piece));
        }
    });
    if ran {
        Ok(results.into_iter().map(|r| r.into_inner().expect("every piece was computed")).collect())
    } else {
        Err(slots.into_iter().map(|s| s.into_inner().expect("no piece was taken")).collect())
    }
}

/// Test hook: split whatever the estimate (see [`with_forced_split`]).
#[cfg(test)]
static FORCE_SPLIT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(test)]
fn forced() -> bool {
    FORCE_SPLIT.load(std::sync::atomic::Ordering::SeqCst)
}

#[cfg(not(test))]
#[inline(always)]
fn forced() -> bool {
    false
}

/// Runs `f` with `threads` kernel threads and, above one, every `map_pieces` call that gets that
/// far splitting its pieces over the pool whatever they cost (so tests reach the parallel paths
/// with small inputs). Serialised with the other tests that change the thread count.
#[cfg(test)]
pub(crate) fn with_forced_split<R>(threads: usize, f: impl FnOnce() -> R) -> R {
    use std::sync::atomic::Ordering::SeqCst;
    let _serial = super::pool::THREAD_COUNT_TESTS.lock();
    let before = super::get_num_threads();
    super::set_num_threads(threads);
    FORCE_SPLIT.store(threads > 1, SeqCst);
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    FORCE_SPLIT.store(false, SeqCst);
    super::set_num_threads(before);
    out.unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// [`map_pieces`] for pieces that return nothing (each writes its own part of an output).
pub fn for_pieces<P: Send>(pieces: Vec<P>, f: impl Fn(P) + Sync + Send) {
    map_pieces(pieces, f);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_piece_order_whatever_runs_them() {
        for cheap in [true, false] {
            let pieces: Vec<usize> = (0..64).collect();
            let out = map_pieces(pieces, |i| {
                if !cheap {
                    std::thread::sleep(std::time::Duration::from_micros(50));
                }
                i * 3
            });
            assert_eq!(out, (0..64).map(|i| i * 3).collect::<Vec<_>>());
        }
    }

    #[test]
    fn slow_pieces_reach_another_thread_and_cheap_ones_stay() {
        let _serial = crate::cpu::pool::THREAD_COUNT_TESTS.lock();
        let before = crate::cpu::get_num_threads();
        crate::cpu::set_num_threads(2);
        let caller = std::thread::current().id();
        let elsewhere = |slow: bool| {
            let ran: Vec<bool> = map_pieces((0..16).collect::<Vec<u32>>(), |_| {
                if slow {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
                std::thread::current().id() != caller
            });
            ran[1..].iter().any(|&w| w)
        };
        assert!(elsewhere(true), "200 us pieces all stayed on the calling thread");
        assert!(!elsewhere(false), "empty pieces were handed to another thread");
        crate::cpu::set_num_threads(before);
    }
}
