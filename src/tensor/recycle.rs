//! A bounded cache of freed large element buffers, so that a loop over big tensors reuses memory
//! instead of page-faulting fresh memory on every op.
//!
//! # Why
//! Rust's global allocator is glibc's malloc. Blocks above its mmap threshold (128 KiB at start,
//! raised dynamically up to 32 MiB after such a block is freed) are mapped with `mmap` and
//! returned with `munmap`; blocks on an arena's heap are given back with `MADV_DONTNEED`/trimming
//! when the top of the heap is free. Either way a 16 MiB result of a 4M-element op came back as
//! fresh zero pages, and writing it cost 4096 page faults (measured: 20k faults and 50 ms of system
//! time per step of `((x*1.5+0.5).tanh()*x).sum().backward()`, against 31 ms of actual compute).
//! PyTorch's CPU allocator has the same problem in principle but its buffers stay below glibc's
//! trimming pattern more often (2k faults per step).
//!
//! # What
//! [`Storage`](super::Storage) hands its `Vec` to [`give`] when it is dropped; kernels that write
//! every element of their result take it back with [`uninit_vec`] (a `Vec` of length 0, so safe
//! code can never read what the previous owner left in it) or [`filled_vec`] (initialised to a
//! value, for kernels that accumulate). Only buffers of at least [`MIN_BYTES`] are kept, at most
//! [`MAX_ENTRIES`] of them and [`MAX_BYTES`] in total (the oldest go first); a request takes the
//! smallest cached buffer of its element type whose capacity is at least the request and at most a
//! quarter above it. One mutex guards the cache: it is taken once per large allocation, which
//! costs far less than the allocation it saves, so threads share it without measurable contention.

use std::any::{Any, TypeId};
use std::sync::Mutex;

/// Buffers smaller than this (in bytes) go straight back to malloc (its small-block bins are fast).
pub const MIN_BYTES: usize = 128 * 1024;
/// Most bytes the global cache holds.
pub const MAX_BYTES: usize = 256 * 1024 * 1024;
/// Most buffers the global cache holds.
pub const MAX_ENTRIES: usize = 32;

struct Entry {
    type_id: TypeId,
    /// Capacity in elements.
    capacity: usize,
    bytes: usize,
    /// The `Vec<T>` itself (length 0).
    vec: Box<dyn Any + Send>,
}

/// A bounded set of spare buffers. The process uses one global instance; tests make their own.
pub struct Cache {
    entries: Vec<Entry>,
    bytes: usize,
    max_bytes: usize,
    max_entries: usize,
    min_bytes: usize,
}

impl Cache {
    /// An empty cache with the given bounds.
    pub const fn new(min_bytes: usize, max_bytes: usize, max_entries: usize) -> Self {
        Cache { entries: Vec::new(), bytes: 0, max_bytes, max_entries, min_bytes }
    }

    /// Keeps `v`'s allocation for reuse if it is large enough and fits the bounds (evicting the
    /// oldest entries to make room); otherwise frees it.
    pub fn give<T: Copy + Send + 'static>(&mut self, mut v: Vec<T>) {
        let capacity = v.capacity();
        let bytes = capacity * std::mem::size_of::<T>();
        if bytes < self.min_bytes || bytes > self.max_bytes || self.max_entries == 0 {
            return;
        }
        v.clear();
        while !self.entries.is_empty() && (self.bytes + bytes > self.max_bytes || self.entries.len() >= self.max_entries) {
            let old = self.entries.remove(0);
            self.bytes -= old.bytes;
        }
        self.bytes += bytes;
        self.entries.push(Entry { type_id: TypeId::of::<T>(), capacity, bytes, vec: Box::new(v) });
    }

    /// A cached `Vec<T>` of length 0 with capacity in `[n, n + n/4]`, if there is one.
    pub fn take<T: Copy + Send + 'static>(&mut self, n: usize) -> Option<Vec<T>> {
        if n * std::mem::size_of::<T>() < self.min_bytes {
            return None;
        }
        let id = TypeId::of::<T>();
        let best = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.type_id == id && e.capacity >= n && e.capacity - n <= n / 4)
            .min_by_key(|(_, e)| e.capacity)
            .map(|(i, _)| i)?;
        let entry = self.entries.remove(best);
        self.bytes -= entry.bytes;
        let v = *entry.vec.downcast::<Vec<T>>().expect("entries are keyed by their element type");
        debug_assert!(v.is_empty());
        Some(v)
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Buffers held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Frees everything held.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}

static GLOBAL: Mutex<Cache> = Mutex::new(Cache::new(MIN_BYTES, MAX_BYTES, MAX_ENTRIES));

fn global() -> std::sync::MutexGuard<'static, Cache> {
    // A panic while holding the lock leaves the cache consistent (every method finishes its
    // bookkeeping before anything can panic), so a poisoned lock is still usable.
    GLOBAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Hands a no longer used buffer to the global cache (or frees it).
pub fn give<T: Copy + Send + 'static>(v: Vec<T>) {
    if v.capacity() * std::mem::size_of::<T>() < MIN_BYTES {
        return;
    }
    global().give(v);
}

/// An empty `Vec<T>` with capacity for at least `n` elements, reusing a cached buffer when one
/// fits. Its length is 0: the caller writes every element (e.g. through `spare_capacity_mut`
/// followed by `set_len`, or `push`/`extend`) before reading any. When the system refuses the
/// memory it unwinds with [`AllocFailure`](crate::error::AllocFailure) rather than aborting.
pub fn uninit_vec<T: Copy + Send + 'static>(n: usize) -> Vec<T> {
    if n * std::mem::size_of::<T>() >= MIN_BYTES {
        if let Some(v) = global().take(n) {
            return v;
        }
    }
    crate::error::vec_with_capacity(n)
}

/// `n` copies of `value`, in a cached buffer when one fits (for kernels that accumulate into their
/// output, which must start from a known value).
pub fn filled_vec<T: Copy + Send + 'static>(n: usize, value: T) -> Vec<T> {
    let mut v = uninit_vec(n);
    v.resize(n, value);
    v
}

/// A copy of `src` in a cached buffer when one fits.
pub fn copied_vec<T: Copy + Send + 'static>(src: &[T]) -> Vec<T> {
    let mut v = uninit_vec(src.len());
    v.extend_from_slice(src);
    v
}

/// Frees every cached buffer (memory the process no longer needs goes back to the system).
pub fn clear() {
    global().clear();
}

/// Bytes the global cache holds.
pub fn cached_bytes() -> usize {
    global().bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const KB: usize = 1024;

    #[test]
    fn a_freed_buffer_is_reused_for_a_request_of_its_size() {
        let mut c = Cache::new(KB, 64 * KB, 8);
        let v: Vec<f32> = vec![1.0; 1000];
        let ptr = v.as_ptr();
        c.give(v);
        assert_eq!((c.len(), c.bytes()), (1, 4000));
        // Another element type of the same byte size does not match.
        assert!(c.take::<i32>(1000).is_none());
        let w = c.take::<f32>(900).expect("within a quarter of the request");
        assert_eq!((w.as_ptr(), w.len()), (ptr, 0));
        assert!(w.capacity() >= 900);
        assert_eq!((c.len(), c.bytes()), (0, 0));
    }

    #[test]
    fn requests_take_the_tightest_fit_and_never_a_much_larger_or_smaller_buffer() {
        let mut c = Cache::new(KB, 1024 * KB, 8);
        c.give(Vec::<f64>::with_capacity(1000));
        c.give(Vec::<f64>::with_capacity(1200));
        c.give(Vec::<f64>::with_capacity(5000));
        assert!(c.take::<f64>(1300).is_none(), "5000 is too big for 1300, 1200 too small");
        assert_eq!(c.take::<f64>(1100).unwrap().capacity(), 1200);
        assert_eq!(c.take::<f64>(1000).unwrap().capacity(), 1000);
        assert!(c.take::<f64>(1000).is_none());
        assert_eq!(c.take::<f64>(4500).unwrap().capacity(), 5000);
        assert!(c.is_empty());
    }

    #[test]
    fn bounds_on_size_count_and_total_bytes_hold() {
        let mut c = Cache::new(KB, 10 * KB, 3);
        c.give(Vec::<u8>::with_capacity(KB - 1)); // too small to keep
        c.give(Vec::<u8>::with_capacity(11 * KB)); // bigger than the whole cache
        assert!(c.is_empty());
        for _ in 0..5 {
            c.give(Vec::<u8>::with_capacity(2 * KB));
        }
        assert_eq!(c.len(), 3, "entry bound");
        c.give(Vec::<u8>::with_capacity(6 * KB));
        assert!(c.bytes() <= 10 * KB, "byte bound: {}", c.bytes());
        // The oldest went first: the newest buffer is still there.
        assert_eq!(c.take::<u8>(6 * KB).unwrap().capacity(), 6 * KB);
        c.clear();
        assert_eq!((c.len(), c.bytes()), (0, 0));
        assert!(c.take::<u8>(2 * KB).is_none());
    }

    #[test]
    fn reused_buffers_never_show_stale_elements() {
        // The global cache: a buffer full of a marker value comes back empty, and the helpers that
        // fill or copy overwrite every element.
        let n = MIN_BYTES; // f32: 4 * MIN_BYTES bytes
        for _ in 0..4 {
            give(vec![f32::NAN; n]);
            let v: Vec<f32> = uninit_vec(n);
            assert!(v.is_empty() && v.capacity() >= n);
            give(vec![f32::NAN; n]);
            let z = filled_vec(n, 0.0f32);
            assert_eq!(z.len(), n);
            assert!(z.iter().all(|&x| x == 0.0));
            give(vec![f32::NAN; n]);
            let src: Vec<f32> = (0..n).map(|i| i as f32).collect();
            let c = copied_vec(&src);
            assert_eq!(c, src);
        }
    }

    #[test]
    fn threads_share_the_cache_without_losing_or_duplicating_buffers() {
        let cache = Arc::new(Mutex::new(Cache::new(KB, 1024 * KB, 16)));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let cache = cache.clone();
                std::thread::spawn(move || {
                    for i in 0..500 {
                        let n = 1024 + (t * 7 + i) % 3 * 512;
                        let mut v = cache.lock().unwrap().take::<f32>(n).unwrap_or_else(|| Vec::with_capacity(n));
                        assert!(v.is_empty() && v.capacity() >= n);
                        // Each thread writes its own marker and checks no other thread wrote into
                        // the buffer while it owned it.
                        v.resize(n, t as f32);
                        std::thread::yield_now();
                        assert!(v.iter().all(|&x| x == t as f32));
                        cache.lock().unwrap().give(v);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let c = cache.lock().unwrap();
        assert!(c.len() <= 16 && c.bytes() <= 1024 * KB);
        let total: usize = c.entries.iter().map(|e| e.bytes).sum();
        assert_eq!(total, c.bytes(), "byte count matches the entries");
    }
}
