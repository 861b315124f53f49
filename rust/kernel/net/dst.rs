// SPDX-License-Identifier: GPL-2.0

//! Destination cache entries (`struct dst_entry`) and their reference count.
//!
//! C header: [`include/net/dst.h`](srctree/include/net/dst.h)
//!
//! A dst is the result of a routing decision attached to a packet. Its reference count is an
//! `rcuref_t`, and it is reached in two ways, with two types (as `File` and `LocalFile` in
//! upstream's `fs/file.rs`):
//!
//! - counted: [`ARef<Dst>`] owns one reference (`dst_hold`/`dst_release`), and a `&Dst` is only
//!   ever borrowed from a holder of one, so that [`AlwaysRefCounted`] can take another;
//! - noref: a `&'g NorefDst` borrowed inside an RCU read-side section (next to an
//!   [`rcu::Guard`] of the same lifetime) costs nothing, and its count may already be zero: the
//!   last `dst_release` frees the entry only after a grace period (`call_rcu`), which is what
//!   keeps the borrow valid. Its only way to a counted reference is [`NorefDst::hold_safe`],
//!   which fails for an entry already released.
//!
//! `Dst` dereferences to `NorefDst`, which has the accessors; nothing converts the other way.

use super::device::NetDevice;
use crate::{
    bindings,
    sync::rcu,
    types::{ARef, AlwaysRefCounted, Opaque},
};
use core::ptr::NonNull;

/// `dst->obsolete` values.
pub mod obsolete {
    /// Valid, no check needed.
    pub const NONE: i16 = bindings::DST_OBSOLETE_NONE as i16;
    /// Dead: `dst_dev_put` or a flush made it unusable.
    pub const DEAD: i16 = bindings::DST_OBSOLETE_DEAD as i16;
    /// Holders must call `dst_check` (the `check` op) before each use.
    pub const FORCE_CHK: i16 = bindings::DST_OBSOLETE_FORCE_CHK as i16;
    /// Invalidated by its owner: `dst_check` fails, holders drop it.
    pub const KILL: i16 = bindings::DST_OBSOLETE_KILL as i16;
}

/// A destination cache entry, borrowed without a reference of the borrower's own.
///
/// # Invariants
///
/// A `&NorefDst` refers to an entry that is alive for the reference's lifetime: either someone
/// holds a reference for at least that long, or the borrow is tied to an RCU read-side section,
/// during which an entry cannot be freed. Its reference count may be zero.
#[repr(transparent)]
pub struct NorefDst(Opaque<bindings::dst_entry>);

// SAFETY: dst entries are shared between CPUs by design; mutation goes through the kernel's own
// synchronisation (rcuref, RCU, WRITE_ONCE).
unsafe impl Send for NorefDst {}
// SAFETY: as above.
unsafe impl Sync for NorefDst {}

/// A destination cache entry of which a reference is held for as long as it is borrowed.
///
/// # Invariants
///
/// A `&Dst` refers to an entry whose count is at least one for the reference's lifetime,
/// because the lender owns a reference (an [`ARef<Dst>`], a packet's counted dst).
#[repr(transparent)]
pub struct Dst(NorefDst);

impl core::ops::Deref for Dst {
    type Target = NorefDst;

    #[inline]
    fn deref(&self) -> &NorefDst {
        &self.0
    }
}

// SAFETY: `dst_hold` and `dst_release` manage the entry's `rcuref_t`; a `&Dst` implies a count of
// at least one (type invariant), so `dst_hold` never revives a released entry; the last release
// frees the entry only after an RCU grace period.
unsafe impl AlwaysRefCounted for Dst {
    fn inc_ref(&self) {
        // SAFETY: the entry is alive with a count of at least one (type invariant).
        unsafe { bindings::dst_hold(self.as_ptr()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller owns a reference (trait contract).
        unsafe { bindings::dst_release(obj.cast().as_ptr()) };
    }
}

impl NorefDst {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an entry that stays alive for `'a` (see the type invariants).
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *const bindings::dst_entry) -> &'a Self {
        // SAFETY: transparent wrapper; validity is the caller's guarantee.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::dst_entry {
        self.0.get()
    }

    /// Takes a reference unless the entry is already dead (`dst_hold_safe`); the way to keep an
    /// entry found under RCU beyond the read-side section.
    pub fn hold_safe(&self, _rcu: &rcu::Guard) -> Option<ARef<Dst>> {
        // SAFETY: the entry is alive for the section (type invariant).
        if unsafe { bindings::dst_hold_safe(self.as_ptr()) } {
            // SAFETY: the reference was just taken and is handed to the `ARef`; `Dst` is a
            // transparent wrapper.
            Some(unsafe { ARef::from_raw(NonNull::from(self).cast()) })
        } else {
            None
        }
    }

    /// Detaches the entry from its device (`dst_dev_put`): input and output discard from now
    /// on and the device reference moves to `blackhole_netdev`, so that unregistering the
    /// device does not wait for the entry's holders.
    pub fn dev_put(&self) {
        // SAFETY: the entry is alive (type invariant); `dst_dev_put` may run in any context and
        // on an entry whose last reference is already gone but that is not yet destroyed.
        unsafe { bindings::dst_dev_put(self.as_ptr()) };
    }

    /// The output device, valid for the RCU read-side section `_rcu` (as `dst_dev_rcu`):
    /// `dst_dev_put` may move the entry to `blackhole_netdev` at any time and give back its
    /// reference on the old device, which then only the grace period keeps allocated.
    pub fn dev<'g>(&'g self, _rcu: &'g rcu::Guard) -> &'g NetDevice {
        // SAFETY: the entry is alive (type invariant); `dev` is read once, as `READ_ONCE` in
        // `dst_dev_rcu`. The device read stays allocated until the section ends: while the
        // entry still points at it, the entry's reference keeps it; once `dst_dev_put` has
        // moved the entry away, it is either still registered, or unregistering, and
        // `unregister_netdevice_many_notify` waits for a grace period (`synchronize_net`)
        // after the `NETDEV_UNREGISTER` notifiers, where `dst_dev_put` runs, before it lets go
        // of the device.
        unsafe {
            NetDevice::from_raw(
                core::ptr::read_volatile(&raw const (*self.as_ptr()).__bindgen_anon_1.dev)
                    .cast_const(),
            )
        }
    }

    /// Whether the entry's output device is `dev` (compares the pointer; needs no RCU section,
    /// since nothing is dereferenced).
    pub fn is_on(&self, dev: &NetDevice) -> bool {
        // SAFETY: the entry is alive (type invariant); `dev` is read once (`READ_ONCE`).
        let cur =
            unsafe { core::ptr::read_volatile(&raw const (*self.as_ptr()).__bindgen_anon_1.dev) };
        core::ptr::eq(cur, dev.as_ptr())
    }

    /// The obsolete state, see [`obsolete`].
    #[inline]
    pub fn obsolete(&self) -> i16 {
        // SAFETY: the entry is alive (type invariant); `obsolete` is written with WRITE_ONCE by
        // the kernel.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_ptr()).obsolete) }
    }

    /// Marks the entry obsolete, so that `dst_check` fails and holders let go of it.
    pub fn set_obsolete(&self, v: i16) {
        // SAFETY: the kernel writes `obsolete` with WRITE_ONCE from any context; so do we.
        unsafe { core::ptr::write_volatile(&raw mut (*self.as_ptr()).obsolete, v) };
    }

    /// Whether the route is on its family's list of uncached routes (`rt_add_uncached_list`,
    /// `rt6_uncached_list_add`): made for one packet, or no longer its nexthop's cached route
    /// (replaced by `rt_cache_route`, which marks nothing). The mark is set once and stays while
    /// the dst lives (`rt_del_uncached_list` unlinks the entry, not the mark).
    #[inline]
    pub fn on_uncached_list(&self) -> bool {
        // SAFETY: the entry is alive (type invariant). `rt_uncached_list` goes from NULL to its
        // list once, possibly on another CPU while we read: a volatile read of the pointer sees
        // one value or the other, and either answer was true an instant ago.
        !unsafe { core::ptr::read_volatile(&raw const (*self.as_ptr()).rt_uncached_list) }.is_null()
    }

    /// When the entry expires (jiffies), 0 for never. IPv4 sets it on a route that carries a
    /// next-hop exception (a learned PMTU or an accepted redirect); `fill_route_from_fnhe`
    /// rewrites it in place, on a route in use, whenever its exception is updated.
    pub fn expires(&self) -> crate::time::Jiffies {
        // SAFETY: the entry is alive (type invariant). The kernel stores `expires` (one aligned
        // word) under `fnhe_lock` while other CPUs read it: a volatile read sees the old value
        // or the new one.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_ptr()).expires) }
    }

    /// The `DST_*` flags.
    pub fn flags(&self) -> u16 {
        // SAFETY: the entry is alive (type invariant); set before the entry is published.
        unsafe { (*self.as_ptr()).flags }
    }

    /// The error the entry reports (for `ip_error`-style routes), negative errno or 0.
    pub fn error(&self) -> i16 {
        // SAFETY: the entry is alive (type invariant); set before the entry is published.
        unsafe { (*self.as_ptr()).error }
    }

    /// The last time (jiffies) the entry was used.
    pub fn lastuse(&self) -> crate::time::Jiffies {
        // SAFETY: the entry is alive (type invariant); `lastuse` is written with WRITE_ONCE by
        // the kernel.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_ptr()).lastuse) }
    }

    /// Records a use at `now` (jiffies), as `dst_use_noref` does: a plain store, only when the
    /// value changes, so a hot entry does not bounce its cache line every packet.
    #[inline]
    pub fn touch(&self, now: crate::time::Jiffies) {
        if self.lastuse() != now {
            // SAFETY: the kernel writes `lastuse` with WRITE_ONCE from any context; so do we.
            unsafe { core::ptr::write_volatile(&raw mut (*self.as_ptr()).lastuse, now) };
        }
    }

    /// The current reference count, for diagnostics only: it may change at any moment.
    pub fn refcount(&self) -> u32 {
        // SAFETY: the entry is alive (type invariant).
        unsafe { bindings::dst_refcount(self.as_ptr()) }
    }
}
