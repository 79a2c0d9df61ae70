//! The process's allocator: glibc's malloc, except that large blocks (tensor buffers) start on a
//! cache line and, from 2 MiB, ask the kernel for transparent huge pages.
//!
//! # Why
//! A `Vec<f32>` from plain malloc starts 16 bytes past a cache line. Every 64-byte vector load or
//! store of a kernel then straddles two lines, and a streaming kernel over a buffer that lives in
//! L3 pays for it: relu_ on 4M floats took 290 us against 250 us from a 64-byte-aligned buffer
//! (standalone loop, this machine). PyTorch's CPU allocator aligns to 64 bytes for the same reason.
//! With 4 KiB pages a 16 MiB buffer also spans 4096 TLB entries, more than the CPU's second-level
//! TLB holds, so a pass over it misses the TLB on most pages; backed by 2 MiB pages the same relu_
//! took 186 us. The kernel here runs transparent huge pages in `madvise` mode, so a buffer gets
//! them only when asked (PyTorch asks too when `THP_MEM_ALLOC_ENABLE=1`).
//!
//! # What
//! [`TensorAllocator`] forwards to the C library's `malloc`/`posix_memalign`/`realloc`/`free`.
//! Blocks of at least [`ALIGN_FROM`] bytes are aligned to [`CACHE_LINE`] (at least); blocks of at
//! least [`HUGE_FROM`] bytes get `madvise(MADV_HUGEPAGE)` over the whole pages they cover, which is
//! only a hint: contents and lifetime are unchanged. Small blocks (shapes, graph nodes) keep
//! malloc's fast path. `free` accepts every pointer these functions return, so `dealloc` needs no
//! bookkeeping. It is registered as the global allocator in `lib.rs` under the default feature
//! `tensor-allocator`; a Rust program that brings its own global allocator turns that feature off.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// Bytes in a cache line of the CPUs rustgrad targets.
pub const CACHE_LINE: usize = 64;
/// Blocks of at least this many bytes start on a cache line.
pub const ALIGN_FROM: usize = 16 * 1024;
/// Blocks of at least this many bytes are advised to use transparent huge pages.
pub const HUGE_FROM: usize = 2 * 1024 * 1024;
/// The alignment `malloc` guarantees on 64-bit glibc.
const MALLOC_ALIGN: usize = 16;

extern "C" {
    fn malloc(size: usize) -> *mut c_void;
    fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
    fn posix_memalign(out: *mut *mut c_void, align: usize, size: usize) -> i32;
}

#[cfg(target_os = "linux")]
extern "C" {
    fn madvise(addr: *mut c_void, len: usize, advice: i32) -> i32;
}

/// glibc's allocator with cache-line alignment and huge pages for large blocks (module docs).
pub struct TensorAllocator;

/// The alignment a block of `layout` gets.
fn alignment_for(layout: Layout) -> usize {
    if layout.size() >= ALIGN_FROM {
        layout.align().max(CACHE_LINE)
    } else {
        layout.align()
    }
}

/// `size` bytes aligned to `align` (a power of two), or null.
unsafe fn allocate(size: usize, align: usize) -> *mut u8 {
    if align <= MALLOC_ALIGN && align <= size {
        return malloc(size) as *mut u8;
    }
    let mut out = std::ptr::null_mut();
    // posix_memalign wants a multiple of the pointer size.
    if posix_memalign(&mut out, align.max(std::mem::size_of::<usize>()), size) != 0 {
        return std::ptr::null_mut();
    }
    out as *mut u8
}

/// Asks for huge pages over the whole pages inside `[ptr, ptr + size)` of a large block.
#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, size: usize) {
    const PAGE: usize = 4096;
    const MADV_HUGEPAGE: i32 = 14;
    if size < HUGE_FROM || ptr.is_null() {
        return;
    }
    let start = (ptr as usize + PAGE - 1) & !(PAGE - 1);
    let end = (ptr as usize + size) & !(PAGE - 1);
    if end > start {
        // SAFETY: the range lies inside a block we own; the advice only changes how the kernel
        // backs it. A refusal (kernel without THP) is harmless and ignored.
        unsafe { madvise(start as *mut c_void, end - start, MADV_HUGEPAGE) };
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _size: usize) {}

// SAFETY: every block comes from malloc/posix_memalign/realloc with at least the layout's size and
// alignment, and goes back through free, which accepts all of them.
unsafe impl GlobalAlloc for TensorAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = allocate(layout.size(), alignment_for(layout));
        advise_huge_pages(ptr, layout.size());
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        free(ptr as *mut c_void)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let align = alignment_for(new_layout);
        if layout.align() <= MALLOC_ALIGN && new_size >= layout.align() {
            // realloc keeps malloc's alignment and often grows in place (mremap for big blocks,
            // which keeps the offset within the page); only move again when it lands off a line.
            let moved = realloc(ptr as *mut c_void, new_size) as *mut u8;
            if moved.is_null() || (moved as usize) % align == 0 {
                advise_huge_pages(moved, new_size);
                return moved;
            }
            let aligned = allocate(new_size, align);
            if aligned.is_null() {
                // The moved block already satisfies the layout (malloc's alignment): the cache
                // line is only a preference, so keep it rather than fail.
                return moved;
            }
            std::ptr::copy_nonoverlapping(moved, aligned, new_size);
            advise_huge_pages(aligned, new_size);
            free(moved as *mut c_void);
            return aligned;
        }
        // Over-aligned layouts: malloc's realloc cannot keep the alignment.
        let fresh = allocate(new_size, align);
        if !fresh.is_null() {
            std::ptr::copy_nonoverlapping(ptr, fresh, layout.size().min(new_size));
            advise_huge_pages(fresh, new_size);
            free(ptr as *mut c_void);
        }
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn large_blocks_start_on_a_cache_line_and_small_ones_keep_their_alignment() {
        let a = TensorAllocator;
        for (size, align, want) in [(24, 8, 8), (100, 32, 32), (ALIGN_FROM - 4, 4, 4), (ALIGN_FROM, 4, 64), (3 << 20, 4, 64), (1 << 20, 128, 128)] {
            unsafe {
                let p = a.alloc(layout(size, align));
                assert!(!p.is_null());
                assert_eq!(p as usize % want, 0, "size {size} align {align}");
                // The whole block is writable.
                std::ptr::write_bytes(p, 0xAB, size);
                a.dealloc(p, layout(size, align));
            }
        }
    }

    #[test]
    fn realloc_keeps_contents_and_reaches_the_large_alignment() {
        let a = TensorAllocator;
        unsafe {
            let mut size = 1000;
            let mut p = a.alloc(layout(size, 4));
            for i in 0..size {
                *p.add(i) = (i % 251) as u8;
            }
            // Grow across ALIGN_FROM and HUGE_FROM, then shrink back below them.
            for new_size in [ALIGN_FROM + 4, 5 << 20, 9 << 20, 2000] {
                p = a.realloc(p, layout(size, 4), new_size);
                assert!(!p.is_null());
                if new_size >= ALIGN_FROM {
                    assert_eq!(p as usize % CACHE_LINE, 0);
                }
                for i in 0..size.min(new_size).min(1000) {
                    assert_eq!(*p.add(i), (i % 251) as u8);
                }
                size = new_size;
            }
            a.dealloc(p, layout(size, 4));
            // An over-aligned layout keeps its alignment through realloc.
            let q = a.alloc(layout(256, 256));
            *q = 7;
            let q = a.realloc(q, layout(256, 256), 1 << 20);
            assert_eq!((q as usize % 256, *q), (0, 7));
            a.dealloc(q, layout(1 << 20, 256));
        }
    }

    #[test]
    fn an_impossible_request_returns_null() {
        let a = TensorAllocator;
        unsafe {
            assert!(a.alloc(layout(1 << 60, 4)).is_null());
            let p = a.alloc(layout(64, 4));
            assert!(a.realloc(p, layout(64, 4), 1 << 60).is_null());
            a.dealloc(p, layout(64, 4));
        }
    }
}
