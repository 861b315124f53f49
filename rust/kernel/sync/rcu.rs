// SPDX-License-Identifier: GPL-2.0

//! RCU read-side critical sections and grace periods.
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)

use crate::bindings;
use core::marker::PhantomData;

/// Evidence that the current context is inside an RCU read-side critical section.
///
/// Objects that are only guaranteed to live until the end of the section (such as a noref dst
/// attached to a packet) are borrowed for the lifetime of a `&Guard`, so keeping them past the
/// section is a compile error.
///
/// The guard is upstream's (v6.13 and later): zero-sized, it ends the section it entered when
/// dropped. A section someone else entered (a netfilter hook runs inside `nf_hook`'s) is
/// witnessed by a borrowed guard, [`Guard::assume_held`], which ends nothing.
///
/// # Invariants
///
/// While a `Guard` exists, the current context is in an RCU read-side critical section that
/// the guard entered. A guard stays on the CPU/thread that created it (it is neither `Send` nor
/// `Sync`).
///
/// # Examples
///
/// ```
/// use kernel::sync::rcu;
///
/// let guard = rcu::read_lock();
/// // RCU-protected data may be read here.
/// guard.unlock();
/// ```
pub struct Guard(PhantomData<*mut ()>);

impl Guard {
    /// Enters an RCU read-side critical section.
    #[inline]
    pub fn new() -> Self {
        // SAFETY: `rcu_read_lock` may be called from any context; the matching unlock is in
        // `Drop`.
        unsafe { bindings::rcu_read_lock() };
        // INVARIANT: the section was entered just above.
        Self(PhantomData)
    }

    /// Ends the section (as dropping the guard does).
    #[inline]
    pub fn unlock(self) {}

    /// Witnesses a read-side critical section entered by someone else, for `'a`.
    ///
    /// # Safety
    ///
    /// The current context must stay in an RCU read-side critical section for all of `'a` (for
    /// example, a netfilter hook runs with `rcu_read_lock` held by `nf_hook` for the call).
    #[inline]
    pub unsafe fn assume_held<'a>() -> &'a Self {
        // SAFETY: `Guard` is zero-sized, so a dangling, aligned pointer is a valid reference to
        // one; no `Guard` value is made, so nothing is dropped and nothing is unlocked.
        // INVARIANT: the caller guarantees the section for `'a`; the reference cannot be
        // moved to another thread (`Guard` is not `Sync`).
        unsafe { core::ptr::NonNull::<Self>::dangling().as_ref() }
    }
}

impl Default for Guard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: by the type invariant, `new` entered the section this guard ends.
        unsafe { bindings::rcu_read_unlock() };
    }
}

/// Enters an RCU read-side critical section that lasts until the returned guard is dropped.
#[inline]
pub fn read_lock() -> Guard {
    Guard::new()
}

/// Waits until every RCU read-side critical section that started before the call has ended.
pub fn synchronize_rcu() {
    // SAFETY: may sleep; Rust code in process context may call it at any time.
    unsafe { bindings::synchronize_rcu() };
}

/// Waits until every RCU callback queued before the call (`call_rcu`) has run.
///
/// A module whose objects are freed by RCU callbacks that call back into it must call this
/// before its code or data goes away.
pub fn rcu_barrier() {
    // SAFETY: may sleep; Rust code in process context may call it at any time.
    unsafe { bindings::rcu_barrier() };
}
