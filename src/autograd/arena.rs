//! The node arena: every graph node lives in a slot of a chunk that is never freed or moved, and
//! is reached through handles instead of one heap object per node.
//!
//! - A slot holds one `AtomicU64` state, `generation << 32 | strong count`, and the node itself.
//! - [`NodeRef`] is a strong handle (the slot's address): clone adds one to the count, drop takes
//!   one away. At zero the node is dropped in place, the slot's generation is bumped and the slot
//!   goes back to a free list. Chunks stay allocated, so a live handle derefs to `&Node` with no
//!   lock and no table lookup.
//! - [`WeakNodeRef`] is (slot, generation): `upgrade` succeeds only while the generation matches and
//!   the count is positive, so a handle to a freed (and maybe reused) slot is detected, never
//!   dereferenced.
//! - Free slots are kept per thread (no lock when building a graph), refilled from and spilled to
//!   a global pool in batches; a thread's slots go back to the pool when it exits. Slots freed on
//!   another thread than the one that made them go to the freeing thread's list. New chunks are
//!   made only when both are empty, so the arena's size is bounded by the peak number of live
//!   nodes (plus a few batches per thread).
//! - Freeing is iterative: a node whose count reaches zero is queued on its thread, and the first
//!   release on a thread loops over the queue. Dropping a node drops its edges (and saved tensors),
//!   which only queue the nodes they free, so a chain of 10^6 nodes frees in constant stack.

use std::cell::{Cell, RefCell, UnsafeCell};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::mem::MaybeUninit;
use std::ops::Deref;
use std::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};

use parking_lot::Mutex;

use super::node::Node;

// The unsafe impls for `Slot` rely on nodes being shareable and sendable across threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Node>();
};

/// Slots per chunk.
const CHUNK: usize = 1024;
/// Slots moved between a thread's free list and the global pool at a time.
const BATCH: usize = 256;
/// A thread's free list above this length gives its oldest half back to the pool.
const LOCAL_MAX: usize = 4 * CHUNK;

const COUNT_MASK: u64 = 0xffff_ffff;
/// Counts above this abort (as `Arc` does), long before they could carry into the generation.
const MAX_COUNT: u64 = COUNT_MASK >> 1;
/// A slot reaching this generation is retired instead of reused, so generations never wrap and a
/// stale weak handle can never match a later node.
const LAST_GENERATION: u64 = u32::MAX as u64;

fn generation(state: u64) -> u64 {
    state >> 32
}

/// One node's place in the arena.
struct Slot {
    /// `generation << 32 | strong count`. Count zero: free, or being freed.
    state: AtomicU64,
    node: UnsafeCell<MaybeUninit<Node>>,
}

// SAFETY: the cell is written only by the one party that owns the slot exclusively (the allocator
// of a free slot, before any handle exists; the releaser of the last strong handle, after which no
// handle can reach it). In between it is only read, as `&Node`, and `Node` is `Sync`.
unsafe impl Sync for Slot {}
// SAFETY: as above; a `Node` may be dropped on any thread (`Node: Send`).
unsafe impl Send for Slot {}

impl Slot {
    const fn new() -> Self {
        Slot { state: AtomicU64::new(0), node: UnsafeCell::new(MaybeUninit::uninit()) }
    }
}

/// Slots ever created (the arena's size; slots are never returned to the allocator).
static CAPACITY: AtomicUsize = AtomicUsize::new(0);
/// Free slots not held by any thread.
static POOL: Mutex<Vec<&'static Slot>> = Mutex::new(Vec::new());

/// A thread's free slots; given back to the pool when the thread exits.
struct LocalFree(RefCell<Vec<&'static Slot>>);

impl Drop for LocalFree {
    fn drop(&mut self) {
        POOL.lock().append(self.0.get_mut());
    }
}

/// Nodes of this thread whose count reached zero, waiting to be dropped, and whether a loop
/// dropping them is running.
struct Releases {
    pending: RefCell<Vec<&'static Slot>>,
    draining: Cell<bool>,
}

thread_local! {
    static LOCAL_FREE: LocalFree = const { LocalFree(RefCell::new(Vec::new())) };
    static RELEASES: Releases = const { Releases { pending: RefCell::new(Vec::new()), draining: Cell::new(false) } };
}

/// Moves up to a batch of free slots from the pool into `local`, making a new chunk if the pool
/// is empty.
fn refill(local: &mut Vec<&'static Slot>) {
    {
        let mut pool = POOL.lock();
        let n = pool.len().min(BATCH);
        if n > 0 {
            let from = pool.len() - n;
            local.extend(pool.drain(from..));
            return;
        }
    }
    let chunk: &'static [Slot] = Box::leak((0..CHUNK).map(|_| Slot::new()).collect());
    CAPACITY.fetch_add(CHUNK, Ordering::Relaxed);
    // Reversed, so the thread hands slots out in address order.
    local.extend(chunk.iter().rev());
}

fn take_free_slot() -> &'static Slot {
    let from_local = LOCAL_FREE.try_with(|l| {
        let mut local = l.0.borrow_mut();
        if local.is_empty() {
            refill(&mut local);
        }
        local.pop().expect("refill gives at least one slot")
    });
    from_local.unwrap_or_else(|_| {
        // This thread is exiting and its free list is gone: go to the pool directly.
        let mut one = Vec::new();
        refill(&mut one);
        let slot = one.pop().expect("refill gives at least one slot");
        POOL.lock().append(&mut one);
        slot
    })
}

fn put_free_slot(slot: &'static Slot) {
    let kept = LOCAL_FREE.try_with(|l| {
        let mut local = l.0.borrow_mut();
        local.push(slot);
        if local.len() > LOCAL_MAX {
            // Give back the least recently freed half; the recent ones are warm in cache.
            POOL.lock().extend(local.drain(..LOCAL_MAX / 2));
        }
    });
    if kept.is_err() {
        POOL.lock().push(slot);
    }
}

/// Puts `node` into a free slot and returns the first strong handle to it.
pub(crate) fn alloc(node: Node) -> NodeRef {
    let slot = take_free_slot();
    let state = slot.state.load(Ordering::Relaxed);
    debug_assert_eq!(state & COUNT_MASK, 0, "a free slot has no handles");
    // SAFETY: the slot came off a free list, so no handle refers to it (count zero, and weak
    // handles of earlier generations never dereference); we own it exclusively until the count
    // below is published.
    unsafe { (*slot.node.get()).write(node) };
    // Release: a weak handle upgraded later (Acquire) sees the written node.
    slot.state.store(state | 1, Ordering::Release);
    NodeRef { slot }
}

/// Frees the node in `slot` (its count just reached zero), iteratively: see the module doc.
fn release(slot: &'static Slot) {
    let first = RELEASES.try_with(|r| {
        r.pending.borrow_mut().push(slot);
        !r.draining.replace(true)
    });
    match first {
        Ok(false) => {}
        Ok(true) => {
            /// Ends the drain loop even if a destructor panics (later releases then drain again).
            struct Draining;
            impl Drop for Draining {
                fn drop(&mut self) {
                    let _ = RELEASES.try_with(|r| r.draining.set(false));
                }
            }
            let _draining = Draining;
            while let Some(next) = RELEASES.with(|r| r.pending.borrow_mut().pop()) {
                free(next);
            }
        }
        // The thread is exiting and its queue is gone: free right here.
        Err(_) => free(slot),
    }
}

fn free(slot: &'static Slot) {
    // SAFETY: the count reached zero, so no strong handle exists and no weak handle can upgrade
    // (it sees count zero until the generation changes below): we own the node exclusively. It
    // was initialised by `alloc` and is dropped exactly once, here.
    unsafe { (*slot.node.get()).assume_init_drop() };
    let next = generation(slot.state.load(Ordering::Relaxed)) + 1;
    slot.state.store(next << 32, Ordering::Release);
    if next < LAST_GENERATION {
        put_free_slot(slot);
    }
}

/// Slots the arena holds (live, queued for freeing and free): bounded by the peak number of live
/// nodes plus a few batches per thread.
pub fn capacity() -> usize {
    CAPACITY.load(Ordering::Relaxed)
}

/// A strong handle to a graph node: keeps it alive and derefs to it.
pub struct NodeRef {
    slot: &'static Slot,
}

impl NodeRef {
    /// A handle that does not keep the node alive.
    pub fn downgrade(this: &NodeRef) -> WeakNodeRef {
        let generation = generation(this.slot.state.load(Ordering::Relaxed)) as u32;
        WeakNodeRef { slot: Some(this.slot), generation }
    }

    /// True when both handles refer to the same node.
    pub fn ptr_eq(a: &NodeRef, b: &NodeRef) -> bool {
        std::ptr::eq(a.slot, b.slot)
    }

    /// The number of strong handles to this node.
    pub fn strong_count(this: &NodeRef) -> usize {
        (this.slot.state.load(Ordering::Relaxed) & COUNT_MASK) as usize
    }
}

impl Deref for NodeRef {
    type Target = Node;

    fn deref(&self) -> &Node {
        // SAFETY: this handle holds one count, so the node was initialised (`alloc`) and is not
        // dropped before the handle is; the chunk is never freed or moved.
        unsafe { (*self.slot.node.get()).assume_init_ref() }
    }
}

impl Clone for NodeRef {
    fn clone(&self) -> Self {
        // Relaxed as `Arc::clone`: the new handle comes from an existing one.
        let old = self.slot.state.fetch_add(1, Ordering::Relaxed);
        if old & COUNT_MASK >= MAX_COUNT {
            std::process::abort();
        }
        NodeRef { slot: self.slot }
    }
}

impl Drop for NodeRef {
    fn drop(&mut self) {
        // Release/Acquire as `Arc`: every use of the node through other handles happens before it
        // is dropped.
        if self.slot.state.fetch_sub(1, Ordering::Release) & COUNT_MASK != 1 {
            return;
        }
        fence(Ordering::Acquire);
        release(self.slot);
    }
}

impl PartialEq for NodeRef {
    fn eq(&self, other: &Self) -> bool {
        NodeRef::ptr_eq(self, other)
    }
}
impl Eq for NodeRef {}

impl Hash for NodeRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.slot, state);
    }
}

impl fmt::Debug for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeRef({})", self.name())
    }
}

/// A handle that does not keep its node alive; `upgrade` fails once the node was freed, even if
/// its slot now holds another node.
#[derive(Clone, Default)]
pub struct WeakNodeRef {
    /// `None`: never referred to a node (upgrade always fails).
    slot: Option<&'static Slot>,
    generation: u32,
}

impl WeakNodeRef {
    /// A strong handle, if the node still lives.
    pub fn upgrade(&self) -> Option<NodeRef> {
        let slot = self.slot?;
        let mut state = slot.state.load(Ordering::Relaxed);
        loop {
            if generation(state) != u64::from(self.generation) || state & COUNT_MASK == 0 {
                return None;
            }
            if state & COUNT_MASK >= MAX_COUNT {
                std::process::abort();
            }
            // Acquire: see the node `alloc` wrote before publishing the count.
            match slot.state.compare_exchange_weak(state, state + 1, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => return Some(NodeRef { slot }),
                Err(now) => state = now,
            }
        }
    }
}

impl fmt::Debug for WeakNodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WeakNodeRef({:?}, {})", self.slot.map(|s| s as *const Slot), self.generation)
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::sync::mpsc;

    use super::*;
    use crate::autograd::{Backward, Edge, GradMeta, NodeKind};
    use crate::error::Result;
    use crate::tensor::{DType, Tensor};

    struct Nop;
    impl Backward for Nop {
        fn name(&self) -> Cow<'static, str> {
            Cow::Borrowed("NopBackward")
        }
        fn apply(&self, _node: &NodeRef, grads: Vec<Option<Tensor>>) -> Result<Vec<Option<Tensor>>> {
            Ok(grads)
        }
    }

    fn node(next: Option<NodeRef>) -> NodeRef {
        let meta = GradMeta { shape: vec![], dtype: DType::F64 };
        Node::new(NodeKind::Op(Box::new(Nop)), vec![next.map(|node| Edge { node, input_nr: 0 })], vec![meta])
    }

    fn chain(n: usize) -> NodeRef {
        let mut last = node(None);
        for _ in 1..n {
            last = node(Some(last));
        }
        last
    }

    // Tests run in parallel threads sharing the arena: capacity bounds allow for small graphs built
    // by other tests, and the tests that measure capacity or build huge graphs take turns.
    const SLACK: usize = 64 * CHUNK;
    static ARENA_SIZE_TESTS: Mutex<()> = Mutex::new(());

    #[test]
    fn slots_are_reused_and_capacity_stays_bounded() {
        let _turn = ARENA_SIZE_TESTS.lock();
        let _warm = chain(100);
        let before = capacity();
        for _ in 0..100_000 {
            let a = node(None);
            let b = node(Some(a.clone()));
            let c = b.clone();
            drop((a, b, c));
        }
        assert!(capacity() <= before + SLACK, "capacity grew from {before} to {}", capacity());
    }

    #[test]
    fn freed_slot_is_reused_with_a_new_generation() {
        let a = node(None);
        let weak = NodeRef::downgrade(&a);
        let id = a.id();
        assert!(weak.upgrade().is_some_and(|b| b == a));
        drop(a);
        assert!(weak.upgrade().is_none());
        // LIFO free list: the next node on this thread takes the same slot.
        let b = node(None);
        assert_eq!(b.id(), id);
        assert!(weak.upgrade().is_none(), "a stale handle must not reach the slot's new node");
        assert!(WeakNodeRef::default().upgrade().is_none());
        let weak_b = NodeRef::downgrade(&b);
        assert!(weak_b.upgrade().is_some_and(|c| NodeRef::ptr_eq(&c, &b)));
    }

    #[test]
    fn counts_follow_clones_and_upgrades() {
        let a = node(None);
        assert_eq!(NodeRef::strong_count(&a), 1);
        let b = a.clone();
        let c = NodeRef::downgrade(&a).upgrade().unwrap();
        assert_eq!(NodeRef::strong_count(&a), 3);
        drop((b, c));
        assert_eq!(NodeRef::strong_count(&a), 1);
        let child = node(Some(a.clone()));
        assert_eq!(NodeRef::strong_count(&a), 2);
        drop(child);
        assert_eq!(NodeRef::strong_count(&a), 1);
    }

    #[test]
    fn threads_build_and_drop_graphs_across_threads() {
        let _turn = ARENA_SIZE_TESTS.lock();
        let before = capacity();
        let (send, recv) = mpsc::sync_channel::<(NodeRef, WeakNodeRef)>(64);
        let dropper = std::thread::spawn(move || {
            let mut stale = 0;
            for (node, weak) in recv {
                assert!(weak.upgrade().is_some());
                drop(node);
                stale += usize::from(weak.upgrade().is_none());
            }
            stale
        });
        let builders: Vec<_> = (0..4)
            .map(|t| {
                let send = send.clone();
                std::thread::spawn(move || {
                    for i in 0..2_000 {
                        let root = chain(1 + (i + t) % 50);
                        let weak = NodeRef::downgrade(&root);
                        if i % 2 == 0 {
                            send.send((root, weak)).unwrap();
                        } else {
                            drop(root);
                            assert!(weak.upgrade().is_none());
                        }
                    }
                })
            })
            .collect();
        drop(send);
        for b in builders {
            b.join().unwrap();
        }
        assert_eq!(dropper.join().unwrap(), 4 * 1_000);
        // 8000 chains of <= 50 nodes; at most 64 in flight at once.
        assert!(capacity() <= before + SLACK, "capacity grew from {before} to {}", capacity());
    }

    #[test]
    fn a_million_node_chain_builds_backpropagates_and_drops() {
        let _turn = ARENA_SIZE_TESTS.lock();
        // Run on a small stack: any recursion over the chain would overflow it.
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let n = 1_000_000;
                let x = Tensor::scalar(2.0, DType::F64);
                x.set_requires_grad(true).unwrap();
                // Pass-through nodes keep this fast in debug builds; the engine, edges and
                // freeing are the real ones (tests/test_autograd.py runs deep chains of real ops).
                let mut last = x.gradient_edge().unwrap().unwrap().node;
                for _ in 0..n {
                    last = node(Some(last));
                }
                let head = NodeRef::downgrade(&last);
                let y = Tensor::scalar(3.0, DType::F64);
                y.set_grad_fn(last, 0);
                crate::autograd::backward(&[y.clone()], vec![None], None, false, None).unwrap();
                assert_eq!(x.grad().unwrap().to_f64_vec(), vec![1.0]);
                drop(y);
                assert!(head.upgrade().is_none(), "the chain is freed with its last tensor");
                // And without backward.
                let built = chain(n);
                let head = NodeRef::downgrade(&built);
                drop(built);
                assert!(head.upgrade().is_none());
                // The second chain reused the first one's slots.
                assert!(capacity() < 2 * n, "capacity {} after two chains of {n}", capacity());
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
