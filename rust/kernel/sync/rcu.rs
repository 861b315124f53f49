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
/// # Invariants
///
/// While a `Guard` exists, the current context is in an RCU read-side critical section. A guard
/// stays on the CPU/thread that created it (it is neither `Send` nor `Sync`).
///
/// # Examples
///
/// ```
/// use kernel::sync::rcu;
///
/// let guard = rcu::read_lock();
/// // RCU-protected data may be read here.
/// drop(guard);
/// ```
pub struct Guard {
    /// Whether dropping the guard ends the section (false when it only witnesses one that the
    /// caller's caller holds).
    owned: bool,
    _not_send: PhantomData<*mut ()>,
}

impl Guard {
    /// Enters an RCU read-side critical section.
    pub fn new() -> Self {
        // SAFETY: `rcu_read_lock` may be called from any context; the matching unlock is in
        // `Drop`.
        unsafe { bindings::rcu_read_lock() };
        // INVARIANT: the section was entered just above.
        Self {
            owned: true,
            _not_send: PhantomData,
        }
    }

    /// Witnesses a read-side critical section entered by someone else.
    ///
    /// # Safety
    ///
    /// The caller must guarantee that the current context is in an RCU read-side critical
    /// section for as long as the returned guard exists (for example, a netfilter hook runs with
    /// `rcu_read_lock` held by `nf_hook`).
    pub unsafe fn assume_held() -> Self {
        // INVARIANT: guaranteed by the caller.
        Self {
            owned: false,
            _not_send: PhantomData,
        }
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
        if self.owned {
            // SAFETY: by the type invariant, `new` entered the section this guard ends.
            unsafe { bindings::rcu_read_unlock() };
        }
    }
}

/// Enters an RCU read-side critical section that lasts until the returned guard is dropped.
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
