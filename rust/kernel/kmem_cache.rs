// SPDX-License-Identifier: GPL-2.0

//! Named slab caches.
//!
//! C header: [`include/linux/slab.h`](srctree/include/linux/slab.h)

use crate::{bindings, error::code::ENOMEM, prelude::*, str::CStr, sync::rcu};
use core::{
    marker::PhantomData,
    ptr::NonNull,
    sync::atomic::{AtomicIsize, Ordering},
};

/// A slab cache of `T`-sized objects (`kmem_cache_create`), listed under its name in
/// `/proc/slabinfo`.
///
/// Objects may be allocated and freed by C code on the owner's behalf (`dst_alloc` does); the
/// owner reports each with [`KmemCache::account`], which lets teardown refuse to destroy a cache
/// that still has live objects: it waits for pending RCU callbacks first (objects are often
/// freed by them), then, if objects remain, says so and leaks the cache rather than free memory
/// that is still in use.
///
/// # Examples
///
/// ```
/// use kernel::{c_str, kmem_cache::KmemCache};
///
/// #[repr(align(64))]
/// struct Object([u8; 200]);
///
/// let cache = KmemCache::<Object>::new(c_str!("rust_doctest_objects"))?;
/// // What C code allocated and freed on the owner's behalf.
/// cache.account(2);
/// cache.account(-2);
/// assert_eq!(cache.live(), 0);
/// // No live objects: dropping destroys the cache.
/// drop(cache);
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `cache` is a live cache created for objects of `T`'s size and alignment.
pub struct KmemCache<T> {
    cache: NonNull<bindings::kmem_cache>,
    name: &'static CStr,
    live: AtomicIsize,
    _p: PhantomData<T>,
}

// SAFETY: slab caches are used from any CPU and context; the allocator synchronises itself.
unsafe impl<T> Send for KmemCache<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for KmemCache<T> {}

impl<T> KmemCache<T> {
    /// Creates a cache named `name`, aligned to the hardware cache line and never merged with
    /// another cache (so `/proc/slabinfo` shows its objects under `name`).
    pub fn new(name: &'static CStr) -> Result<Self> {
        // SAFETY: all-zero arguments are the defaults (no constructor, no usercopy region).
        let mut args: bindings::kmem_cache_args = unsafe { core::mem::zeroed() };
        args.align = core::mem::align_of::<T>() as u32;
        // SAFETY: `name` is a static NUL-terminated string; `args` is valid for the call; the
        // size and alignment are `T`'s.
        let cache = unsafe {
            bindings::__kmem_cache_create_args(
                name.as_char_ptr(),
                core::mem::size_of::<T>() as u32,
                &mut args,
                // Never merged with a compatible cache: the owner's objects stay
                // countable under its own name.
                (1 << bindings::_slab_flag_bits__SLAB_HWCACHE_ALIGN)
                    | (1 << bindings::_slab_flag_bits__SLAB_NO_MERGE),
            )
        };
        // INVARIANT: a non-null return is a live cache with `T`'s layout.
        Ok(Self {
            cache: NonNull::new(cache).ok_or(ENOMEM)?,
            name,
            live: AtomicIsize::new(0),
            _p: PhantomData,
        })
    }

    /// The raw cache pointer, for C allocators that take one (`dst_ops.kmem_cachep`).
    pub fn as_ptr(&self) -> *mut bindings::kmem_cache {
        self.cache.as_ptr()
    }

    /// Records `delta` objects allocated (positive) or freed (negative) from the cache.
    pub fn account(&self, delta: isize) {
        self.live.fetch_add(delta, Ordering::Relaxed);
    }

    /// The number of live objects, as accounted.
    pub fn live(&self) -> isize {
        self.live.load(Ordering::Relaxed)
    }
}

impl<T> Drop for KmemCache<T> {
    fn drop(&mut self) {
        // Objects are commonly freed from RCU callbacks: let the queued ones run first.
        rcu::rcu_barrier();
        let live = self.live();
        if live != 0 {
            pr_err!(
                "kmem_cache {}: {} objects still live at teardown; leaking the cache\n",
                self.name,
                live
            );
            return;
        }
        // SAFETY: the cache is live (type invariant) and has no objects left.
        unsafe { bindings::kmem_cache_destroy(self.cache.as_ptr()) };
    }
}
