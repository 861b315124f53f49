// SPDX-License-Identifier: GPL-2.0

//! Typed dst entries with their own `struct dst_ops`, an RCU hash table to cache them in and a
//! garbage list for the ones retired from it.
//!
//! C headers: [`include/net/dst_ops.h`](srctree/include/net/dst_ops.h),
//! [`include/net/dst.h`](srctree/include/net/dst.h)
//!
//! An [`Entry<T>`] is a real IPv4 route (`struct rtable`, so every consumer after routing can
//! use it as one) followed by the owner's typed data. Entries are allocated with `dst_alloc`
//! from a [`Registration<T>`]'s `dst_ops` and slab, copying a decision the kernel's own input
//! routing made ([`Registration::alloc_from`]); the `dst_ops` callbacks the owner does not
//! implement behave exactly as IPv4's (`ipv4_dst_ops`), reached through the ops of the route the
//! entry was copied from.
//!
//! Lifecycle, as the 3.x `dst_alloc` → `dst_free` pair, made safe:
//!
//! - the creator gets the first reference as an [`ARef<Entry<T>>`];
//! - a [`Table<T>`] owns one reference per cached entry and hands out noref borrows
//!   ([`NorefEntry<T>`], whose count may be zero) to RCU readers without atomics or locks;
//! - removing an entry gives its reference back, and [`GarbageList::retire`] marks the entry
//!   obsolete, keeps it listed while anyone else still holds it, and drops the reference; the
//!   last `dst_release` frees it after an RCU grace period through the `destroy` callback, which
//!   takes it off the list: an entry cannot be freed while it is listed.

use super::{
    device::NetDevice,
    dst::{obsolete, NorefDst},
    dst_trace,
    namespace::{Net, NetInit},
    route::Rtable,
};
use crate::{
    bindings, build_error, c_str,
    error::to_result,
    kmem_cache::KmemCache,
    prelude::*,
    static_lock_class,
    sync::{rcu, Arc, LockClassKey, SpinLockBh},
    time::{jiffies, jiffies_to_msecs, Jiffies},
    types::{ARef, AlwaysRefCounted, Opaque},
};
use core::{
    cell::Cell,
    marker::PhantomData,
    ptr::{self, NonNull},
    sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering},
};

/// The callbacks of a `struct dst_ops` for entries carrying `Self::Data`.
///
/// Every callback that is not implemented behaves as IPv4's own: `check`, `mtu`,
/// `default_advmss`, `cow_metrics`, `negative_advice`, `link_failure`, `update_pmtu`,
/// `redirect`, `neigh_lookup`, `confirm_neigh` and `local_out` are delegated to the ops of the
/// route the entry was copied from (`ipv4_dst_ops`), called with the entry itself, which is a
/// complete `struct rtable`.
#[vtable]
pub trait DstOps: Sized + Send + Sync + 'static {
    /// The owner's data stored after the route in each entry.
    type Data: Send + Sync;

    /// `dst_check`: whether a holder may keep using `entry` (`cookie` is the holder's).
    fn check(_entry: &NorefEntry<Self>, _cookie: u32) -> bool {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// The path MTU of `entry`.
    fn mtu(_entry: &NorefEntry<Self>) -> u32 {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// The TCP MSS to advertise for `entry`.
    fn default_advmss(_entry: &NorefEntry<Self>) -> u32 {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Called once when the last reference to `entry` is gone, after an RCU grace period,
    /// right before its data is dropped and its memory freed.
    fn destroy(_entry: &NorefEntry<Self>) {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Called by `dst_dev_put` before `entry` is moved off `dev`.
    fn ifdown(_entry: &NorefEntry<Self>, _dev: &NetDevice) {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Called by `dst_alloc` when the registration has more than its `gc_thresh` entries:
    /// should give references back so that the count goes down. Runs in an RCU read-side
    /// critical section, which `rcu` witnesses.
    fn gc(_reg: &Registration<Self>, _rcu: &rcu::Guard) {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }
}

/// Bookkeeping an [`Entry`] carries for its [`Table`] and [`GarbageList`].
struct Links<T: DstOps> {
    /// The ops of the route this entry was copied from (IPv4's): delegated callbacks go there.
    inherit: *const bindings::dst_ops,
    /// The cache key's hash; stored before the entry is published, read by lookups without
    /// the table lock.
    hash: AtomicU64,
    /// Next entry in the hash chain (RCU: readers follow it without the table lock).
    next: AtomicPtr<NorefEntry<T>>,
    /// The table the entry is in, or null: set by compare-and-swap under that table's lock
    /// and cleared under it, so that only that table's lock guards the insertion-order links,
    /// and another table's writer, which holds another lock, never touches them.
    table: AtomicPtr<Table<T>>,
    /// Insertion-order list of the table (under the lock of `table`).
    fifo_prev: Cell<*mut NorefEntry<T>>,
    fifo_next: Cell<*mut NorefEntry<T>>,
    /// Whether the entry is on its registration's garbage list (under that list's lock: an
    /// entry is only ever listed on its own registration's, see [`Entry::retire`]).
    on_garbage: Cell<bool>,
    garbage_prev: Cell<*mut NorefEntry<T>>,
    garbage_next: Cell<*mut NorefEntry<T>>,
    born: Jiffies,
    retired: Cell<Jiffies>,
}

/// A cached IPv4 input route: a `struct rtable` followed by the owner's data, borrowed without a
/// reference of the borrower's own (as [`NorefDst`]).
///
/// # Invariants
///
/// The memory was allocated by `dst_alloc` from the ops of a [`Registration<T>`], all fields are
/// initialised, and a `&NorefEntry<T>` is alive for its lifetime (as a `&NorefDst`: its count
/// may be zero).
#[repr(C)]
pub struct NorefEntry<T: DstOps> {
    rt: Opaque<bindings::rtable>,
    links: Links<T>,
    data: T::Data,
}

/// An entry of which a reference is held for as long as it is borrowed (as [`super::dst::Dst`]):
/// what [`ARef<Entry<T>>`] owns, and what a table's writer lends while the table holds it.
///
/// # Invariants
///
/// A `&Entry<T>` refers to an entry whose count is at least one for the reference's lifetime.
#[repr(transparent)]
pub struct Entry<T: DstOps>(NorefEntry<T>);

impl<T: DstOps> core::ops::Deref for Entry<T> {
    type Target = NorefEntry<T>;

    #[inline]
    fn deref(&self) -> &NorefEntry<T> {
        &self.0
    }
}

// SAFETY: the insertion-order `Cell`s are only accessed under the lock of the table `links.table`
// names, which only that table's writer sets and clears; the garbage `Cell`s and `retired` only
// under the lock of the entry's own registration's garbage list; `hash`, `next` and `table` are
// atomics; everything else is immutable after publication or synchronised by the kernel (see
// `Dst`).
unsafe impl<T: DstOps> Send for NorefEntry<T> {}
// SAFETY: as above.
unsafe impl<T: DstOps> Sync for NorefEntry<T> {}

// SAFETY: an entry is a dst; its reference count is the dst's, at least one while a `&Entry` is
// borrowed (type invariant), so `dst_hold` never revives a released entry.
unsafe impl<T: DstOps> AlwaysRefCounted for Entry<T> {
    fn inc_ref(&self) {
        // SAFETY: the entry is alive with a count of at least one (type invariant).
        unsafe { bindings::dst_hold(self.dst().as_ptr()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller owns a reference (trait contract); the dst is the first member.
        unsafe { bindings::dst_release(obj.cast().as_ptr()) };
    }
}

impl<T: DstOps> Entry<T> {
    /// Retires the entry from its cache onto its own registration's garbage list: marks it
    /// obsolete (so `dst_check` fails for holders), lists it and gives the caller's reference
    /// back. An entry nobody else holds is freed after the RCU grace period, leaving the list
    /// then, as `dst_free` freed unreferenced entries at once.
    ///
    /// The list is found from the entry itself, so an entry cannot be listed on another
    /// registration's list, from which its `destroy` would not unlink it.
    pub fn retire(this: ARef<Self>) {
        // SAFETY: the entry was allocated from the ops of a `Registration<T>` (type invariant),
        // which outlives its entries (its drop waits until `destroy` ran for each), and the
        // caller's reference keeps this one alive.
        let reg = unsafe { Registration::<T>::from_ops((*this.dst().as_ptr()).ops) };
        reg.garbage.retire(this);
    }
}

impl<T: DstOps> NorefEntry<T> {
    /// # Safety
    ///
    /// `dst` must belong to an entry allocated through a `Registration<T>` and alive for `'a`.
    unsafe fn from_dst<'a>(dst: *const bindings::dst_entry) -> &'a Self {
        // SAFETY: `rt` (whose first member is the dst) is the first field of the `repr(C)`
        // entry; the rest is the caller's guarantee.
        unsafe { &*dst.cast() }
    }

    /// The entry as a dst, borrowed as the entry is.
    #[inline]
    pub fn dst(&self) -> &NorefDst {
        // SAFETY: the dst is the first member of the route and lives as long as the entry.
        unsafe { NorefDst::from_raw(self.rt.get().cast()) }
    }

    /// Takes a reference unless the entry is already released (`dst_hold_safe`): the way to
    /// keep an entry found under RCU beyond the read-side section.
    pub fn hold_safe(&self, rcu: &rcu::Guard) -> Option<ARef<Entry<T>>> {
        let dst = self.dst().hold_safe(rcu)?;
        // SAFETY: the reference just taken on the entry's dst is a reference to the entry,
        // handed to the `ARef`; `Entry` is a transparent wrapper of `NorefEntry`.
        Some(unsafe { ARef::from_raw(ARef::into_raw(dst).cast()) })
    }

    /// The entry as an IPv4 route.
    pub fn route(&self) -> &Rtable {
        // SAFETY: the route lives as long as the entry.
        unsafe { Rtable::from_raw(self.rt.get()) }
    }

    /// The owner's data.
    #[inline]
    pub fn data(&self) -> &T::Data {
        &self.data
    }

    /// The key hash the entry was inserted with.
    #[inline]
    pub fn hash(&self) -> u64 {
        self.links.hash.load(Ordering::Relaxed)
    }

    /// When the entry was allocated (jiffies).
    pub fn born(&self) -> Jiffies {
        self.links.born
    }

    /// The routing generation the entry was made under.
    #[inline]
    pub fn genid(&self) -> i32 {
        // SAFETY: written before publication, constant afterwards.
        unsafe { (*self.rt.get()).rt_genid }
    }

    /// The entry's address, as the table's and the list's links hold it.
    fn as_mut_ptr(&self) -> *mut Self {
        ptr::from_ref(self).cast_mut()
    }
}

/// A `struct dst_ops` of entries of type `T`, with its entry counter, bound to one namespace.
///
/// Every namespace gets its own, as IPv6 does (`net->ipv6.ip6_dst_ops`), so that `gc_thresh`
/// and the entry count are per namespace; the slab is shared.
///
/// # Invariants
///
/// `ops` is initialised, its per-CPU entry counter (`dst_entries_init`) is live, and it stays
/// pinned for as long as entries allocated from it exist (drop waits for them). `undestroyed`
/// counts the entries allocated from `ops` whose `destroy` has not finished. The registration
/// lies in `net`'s state of some `PernetData` type ([`NetInit`]), which is dropped before `net`
/// is freed.
#[pin_data(PinnedDrop)]
pub struct Registration<T: DstOps> {
    #[pin]
    ops: Opaque<bindings::dst_ops>,
    slab: Arc<KmemCache<Entry<T>>>,
    net: *const bindings::net,
    /// What teardown waits on. Not the ops' own counter: `dst_release` decrements that before
    /// it queues `dst_destroy` (`net/core/dst.c`), so it can read 0 while an entry is still on
    /// its way to `destroy`; this one is decremented by `destroy` itself, as its last access.
    undestroyed: AtomicUsize,
    #[pin]
    garbage: GarbageList<T>,
}

// SAFETY: the kernel synchronises the ops' counter; `net` outlives the registration (type
// invariant).
unsafe impl<T: DstOps> Send for Registration<T> {}
// SAFETY: as above.
unsafe impl<T: DstOps> Sync for Registration<T> {}

/// Creates the slab cache for entries of `T` (one per module, shared by its registrations).
pub fn new_slab<T: DstOps>(name: &'static CStr) -> Result<Arc<KmemCache<Entry<T>>>> {
    Ok(Arc::new(KmemCache::new(name)?, GFP_KERNEL)?)
}

impl<T: DstOps> Registration<T> {
    /// Builds the ops for namespace `net` with entries from `slab`; `dst_alloc` calls
    /// [`DstOps::gc`] once more than `gc_thresh` entries are alive.
    ///
    /// Fails with `EINVAL` unless built as a field of `net`'s state ([`NetInit`]).
    pub fn new<'a>(
        net: &'a NetInit<'a>,
        slab: Arc<KmemCache<Entry<T>>>,
        gc_thresh: u32,
    ) -> impl PinInit<Self, Error> + 'a {
        let cachep = slab.as_ptr();
        let netp = net.as_ptr();
        try_pin_init!(&this in Self {
            ops <- Opaque::try_ffi_init(move |slot: *mut bindings::dst_ops| {
                net.holds(this.as_ptr())?;
                // SAFETY: `slot` is valid for writes; `build_ops` returns a complete value.
                unsafe { slot.write(Adapter::<T>::build_ops(cachep, gc_thresh)) };
                // SAFETY: `slot` is initialised and pinned; the counter is destroyed in drop.
                to_result(unsafe { bindings::dst_entries_init(slot) })
            }),
            slab,
            net: netp,
            undestroyed: AtomicUsize::new(0),
            garbage <- GarbageList::new(),
        })
    }

    /// The namespace the registration belongs to.
    pub fn net(&self) -> &Net {
        // SAFETY: the registration lies in the namespace's state, which the namespace outlives
        // (type invariant).
        unsafe { Net::from_raw(self.net) }
    }

    /// The garbage list of entries retired from this registration's caches.
    pub fn garbage(&self) -> &GarbageList<T> {
        &self.garbage
    }

    /// Entries alive (cached, retired but referenced, or waiting for their grace period).
    pub fn entries(&self) -> i64 {
        // SAFETY: the counter is live (type invariant).
        unsafe { bindings::dst_entries_get_slow(self.ops.get()) as i64 }
    }

    /// The `gc_thresh` the ops were built with.
    pub fn gc_thresh(&self) -> u32 {
        // SAFETY: written at construction only.
        unsafe { (*self.ops.get()).gc_thresh }
    }

    /// Allocates an entry that reproduces `route`, a decision of the kernel's input routing,
    /// marked with routing generation `genid`. May call [`DstOps::gc`] first (so the caller must
    /// not hold a lock that `gc` takes).
    ///
    /// Fails with `EINVAL` for routes an entry cannot reproduce: non-IPv4, with lightweight
    /// tunnel state or with non-default metrics (whose references the entry does not take).
    pub fn alloc_from(
        &self,
        route: &Rtable,
        genid: i32,
        data: T::Data,
        rcu: &rcu::Guard,
    ) -> Result<ARef<Entry<T>>> {
        // The route's fields are read through the pointer, never a `&bindings::rtable`
        // ([`Rtable::as_ptr`]).
        let src = route.as_ptr();
        // SAFETY: the route is alive for the section `rcu`; a route's ops pointer is valid for
        // the route's life (static for IPv4).
        let family = unsafe { (*(*src).dst.ops).family };
        if family != bindings::AF_INET as u16 || route.has_lwtstate() || route.has_metrics() {
            return Err(EINVAL);
        }
        let flags = route.dst().flags() & (bindings::DST_NOXFRM | bindings::DST_NOPOLICY) as u16;
        // SAFETY: the ops are initialised (type invariant); the device is the route's, alive
        // while the caller's RCU section keeps the route. `dst_alloc` takes its own device
        // reference and initialises the `dst_entry` part.
        let raw = unsafe {
            bindings::dst_alloc(
                self.ops.get(),
                (*src).dst.__bindgen_anon_1.dev,
                obsolete::FORCE_CHK as _,
                flags,
            )
        }
        .cast::<NorefEntry<T>>();
        if raw.is_null() {
            return Err(ENOMEM);
        }
        self.undestroyed.fetch_add(1, Ordering::Relaxed);
        self.slab.account(1);
        // SAFETY: `raw` is a fresh object of `Entry<T>`'s size from our slab whose `dst_entry`
        // part `dst_alloc` initialised; the rest is written here before anyone else sees it,
        // from the route, alive for the section `rcu`.
        unsafe {
            let rt = Opaque::raw_get(ptr::addr_of!((*raw).rt));
            (*rt).dst.input = (*src).dst.input;
            (*rt).dst.output = (*src).dst.output;
            (*rt).dst.error = (*src).dst.error;
            (*rt).dst.tclassid = (*src).dst.tclassid;
            (*rt).rt_genid = genid;
            (*rt).rt_flags = route.flags();
            (*rt).rt_type = (*src).rt_type;
            (*rt).rt_is_input = (*src).rt_is_input;
            (*rt).rt_uses_gateway = (*src).rt_uses_gateway;
            (*rt).rt_iif = (*src).rt_iif;
            (*rt).rt_gw_family = (*src).rt_gw_family;
            (*rt).__bindgen_anon_1 = (*src).__bindgen_anon_1;
            (*rt)._bitfield_1 = (*src)._bitfield_1;
            ptr::addr_of_mut!((*raw).links).write(Links {
                inherit: (*src).dst.ops,
                hash: AtomicU64::new(0),
                next: AtomicPtr::new(ptr::null_mut()),
                table: AtomicPtr::new(ptr::null_mut()),
                fifo_prev: Cell::new(ptr::null_mut()),
                fifo_next: Cell::new(ptr::null_mut()),
                on_garbage: Cell::new(false),
                garbage_prev: Cell::new(ptr::null_mut()),
                garbage_next: Cell::new(ptr::null_mut()),
                born: jiffies(),
                retired: Cell::new(0),
            });
            ptr::addr_of_mut!((*raw).data).write(data);
        }
        // SAFETY: `dst_alloc` returned the one reference, owned by the `ARef` from now on.
        // `Entry` is a transparent wrapper of `NorefEntry`.
        let entry: ARef<Entry<T>> = unsafe { ARef::from_raw(NonNull::new_unchecked(raw).cast()) };
        dst_trace::alloc(
            entry.dst(),
            route.dev(rcu).ifindex(),
            route.rt_type() as u8,
            self.entries(),
        );
        Ok(entry)
    }

    /// # Safety
    ///
    /// `ops` must be the `ops` field of a live `Registration<T>`.
    unsafe fn from_ops<'a>(ops: *mut bindings::dst_ops) -> &'a Self {
        let offset = core::mem::offset_of!(Self, ops);
        // SAFETY: the caller guarantees `ops` is embedded in a live registration.
        unsafe { &*ops.cast::<u8>().sub(offset).cast::<Self>() }
    }
}

#[pinned_drop]
impl<T: DstOps> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // Entries point at these ops until `destroy` has run for the last of them. They are
        // held by packets in queues or sockets; wait, saying so, rather than free ops in use.
        let mut waited = 0u32;
        loop {
            let n = self.undestroyed.load(Ordering::Acquire);
            if n == 0 {
                break;
            }
            if waited % 10 == 0 {
                pr_info!(
                    "dst_ops: waiting for {} entries ({} on the garbage list) to be released\n",
                    n,
                    self.garbage.len()
                );
            }
            waited += 1;
            // SAFETY: drop runs in process context (namespace exit or module unload).
            unsafe { bindings::msleep(100) };
        }
        // The last `destroy` has returned, but `dst_destroy` still reads `ops->kmem_cachep` to
        // free the entry after it. Entries are only destroyed from the RCU callback that
        // `dst_release` queues (`ARef`'s release; the kernel keeps `dst_release_immediate`
        // for its own nexthop routes and xfrm bundles): once every callback queued so far has
        // run, nothing refers to the ops.
        rcu::rcu_barrier();
        // SAFETY: no entry refers to the ops any more; the counter was initialised in `new`.
        unsafe { bindings::dst_entries_destroy(self.ops.get()) };
    }
}

// The lock classes of tables and garbage lists, a name and a key each, in statics of this
// crate. `new_spinlock_bh!` inside the generic `new`s made one key for every instantiation, in
// the kernel and in every module, while each instantiation carried its own copy of the name:
// lockdep reports a second name for a key as a corrupted class ("found a different class ...
// with the same key"), as soon as two crates make a table.

/// The lock class of every [`Table`]'s lock.
fn table_lock_class() -> (&'static CStr, &'static LockClassKey) {
    static NAME: &CStr = c_str!("dst_ops::Table");
    (NAME, static_lock_class!())
}

/// The lock class of every [`GarbageList`]'s lock.
fn garbage_lock_class() -> (&'static CStr, &'static LockClassKey) {
    static NAME: &CStr = c_str!("dst_ops::GarbageList");
    (NAME, static_lock_class!())
}

/// The `extern "C"` callbacks of [`Registration<T>`]'s ops.
struct Adapter<T: DstOps>(PhantomData<T>);

/// Looks up the ops the entry's callbacks are delegated to.
///
/// # Safety
///
/// `dst` must be a live entry of a `Registration<T>`.
unsafe fn inherit<'a, T: DstOps>(dst: *const bindings::dst_entry) -> &'a bindings::dst_ops {
    // SAFETY: `inherit` points to the static `ipv4_dst_ops` (checked in `alloc_from`).
    unsafe { &*NorefEntry::<T>::from_dst(dst).links.inherit }
}

macro_rules! delegate {
    ($t:ty, $dst:expr, $op:ident ( $($arg:expr),* )) => {
        // SAFETY: the callback's contract gives a live entry; IPv4's op accepts any
        // `struct rtable`, which an entry is.
        match unsafe { inherit::<$t>($dst) }.$op {
            // SAFETY: as above: the arguments are the callback's own, for an entry, which IPv4's
            // op takes as the `struct rtable` it is.
            Some(f) => unsafe { f($($arg),*) },
            None => Default::default(),
        }
    };
}

impl<T: DstOps> Adapter<T> {
    fn build_ops(cachep: *mut bindings::kmem_cache, gc_thresh: u32) -> bindings::dst_ops {
        // SAFETY: all-zero is a valid `dst_ops` (no callbacks, counter not yet initialised).
        let mut ops: bindings::dst_ops = unsafe { core::mem::zeroed() };
        ops.family = bindings::AF_INET as u16;
        ops.gc_thresh = gc_thresh;
        ops.gc = T::HAS_GC.then_some(Self::gc_callback as _);
        ops.check = Some(Self::check_callback);
        ops.default_advmss = Some(Self::default_advmss_callback);
        ops.mtu = Some(Self::mtu_callback);
        ops.cow_metrics = Some(Self::cow_metrics_callback);
        ops.destroy = Some(Self::destroy_callback);
        ops.ifdown = Some(Self::ifdown_callback);
        ops.negative_advice = Some(Self::negative_advice_callback);
        ops.link_failure = Some(Self::link_failure_callback);
        ops.update_pmtu = Some(Self::update_pmtu_callback);
        ops.redirect = Some(Self::redirect_callback);
        ops.local_out = Some(Self::local_out_callback);
        ops.neigh_lookup = Some(Self::neigh_lookup_callback);
        ops.confirm_neigh = Some(Self::confirm_neigh_callback);
        ops.kmem_cachep = cachep;
        ops
    }

    /// # Safety
    ///
    /// `ops` must be the `dst_ops` of a live `Registration<T>`: the kernel calls `dst_ops.gc`
    /// (from `dst_alloc`) with the ops it allocates from.
    unsafe extern "C" fn gc_callback(ops: *mut bindings::dst_ops) {
        // `dst_alloc` may be called outside a read-side section; the one entered here nests.
        let rcu = rcu::Guard::new();
        // SAFETY: the kernel calls `gc` with the ops it allocates from, a registration's.
        T::gc(unsafe { Registration::<T>::from_ops(ops) }, &rcu);
    }

    /// # Safety
    ///
    /// `dst` must be a live entry of a `Registration<T>` (the `dst_ops.check` contract).
    unsafe extern "C" fn check_callback(
        dst: *mut bindings::dst_entry,
        cookie: u32,
    ) -> *mut bindings::dst_entry {
        if T::HAS_CHECK {
            // SAFETY: `dst` is a live entry of ours (callback contract).
            let keep = T::check(unsafe { NorefEntry::from_dst(dst) }, cookie);
            return if keep { dst } else { ptr::null_mut() };
        }
        // SAFETY: `dst` is a live entry of ours (callback contract).
        match unsafe { inherit::<T>(dst) }.check {
            // SAFETY: IPv4's `check` accepts any `struct rtable`, which an entry is.
            Some(f) => unsafe { f(dst, cookie) },
            None => dst,
        }
    }

    /// # Safety
    ///
    /// `dst` must be a live entry of a `Registration<T>` (the `dst_ops.default_advmss` contract).
    unsafe extern "C" fn default_advmss_callback(dst: *const bindings::dst_entry) -> u32 {
        if T::HAS_DEFAULT_ADVMSS {
            // SAFETY: `dst` is a live entry of ours (callback contract).
            return T::default_advmss(unsafe { NorefEntry::from_dst(dst) });
        }
        delegate!(T, dst, default_advmss(dst))
    }

    /// # Safety
    ///
    /// `dst` must be a live entry of a `Registration<T>` (the `dst_ops.mtu` contract).
    unsafe extern "C" fn mtu_callback(dst: *const bindings::dst_entry) -> u32 {
        if T::HAS_MTU {
            // SAFETY: `dst` is a live entry of ours (callback contract).
            return T::mtu(unsafe { NorefEntry::from_dst(dst) });
        }
        delegate!(T, dst, mtu(dst))
    }

    /// # Safety
    ///
    /// `dst` must be a live entry of a `Registration<T>` (the `dst_ops.cow_metrics` contract).
    unsafe extern "C" fn cow_metrics_callback(
        dst: *mut bindings::dst_entry,
        old: crate::ffi::c_ulong,
    ) -> *mut u32 {
        // SAFETY: `dst` is a live entry of ours (callback contract).
        match unsafe { inherit::<T>(dst) }.cow_metrics {
            // SAFETY: as in `delegate!`.
            Some(f) => unsafe { f(dst, old) },
            None => ptr::null_mut(),
        }
    }

    /// # Safety
    ///
    /// `dst` must be an entry of a live `Registration<T>` whose last reference is gone, passed once
    /// (`dst_destroy` after an RCU grace period): nothing else can reach it.
    unsafe extern "C" fn destroy_callback(dst: *mut bindings::dst_entry) {
        // SAFETY: `destroy` runs once, for a live entry of a registration of ours, after its
        // last reference and an RCU grace period: nothing else can reach it.
        let entry = unsafe { NorefEntry::<T>::from_dst(dst) };
        // SAFETY: the entry was allocated from the ops of a live registration.
        let reg = unsafe { Registration::<T>::from_ops((*dst).ops) };
        if T::HAS_DESTROY {
            T::destroy(entry);
        }
        let from_garbage = reg.garbage.unlink(entry);
        let age = jiffies_to_msecs(jiffies().wrapping_sub(entry.born()));
        dst_trace::destroy(entry.dst(), age, from_garbage);
        // SAFETY: the data was initialised in `alloc_from` and is never used again; the kernel
        // frees the memory after this returns.
        unsafe { ptr::drop_in_place(ptr::addr_of_mut!((*entry.as_mut_ptr()).data)) };
        reg.slab.account(-1);
        // The registration may be dropped from here on (its drop then waits for this callback
        // to return with `rcu_barrier`): `reg` is not used again.
        reg.undestroyed.fetch_sub(1, Ordering::Release);
    }

    /// # Safety
    ///
    /// `dst` must be a live entry of a `Registration<T>` and `dev` its device (the `dst_ops.ifdown`
    /// contract).
    unsafe extern "C" fn ifdown_callback(
        dst: *mut bindings::dst_entry,
        dev: *mut bindings::net_device,
    ) {
        if T::HAS_IFDOWN {
            // SAFETY: `dst` is a live entry of ours and `dev` its device (callback contract).
            T::ifdown(unsafe { NorefEntry::from_dst(dst) }, unsafe {
                NetDevice::from_raw(dev)
            });
        }
    }

    /// # Safety
    ///
    /// `dst` must be a live entry of a `Registration<T>` cached by the socket `sk` (the
    /// `dst_ops.negative_advice` contract).
    unsafe extern "C" fn negative_advice_callback(
        sk: *mut bindings::sock,
        dst: *mut bindings::dst_entry,
    ) {
        delegate!(T, dst, negative_advice(sk, dst))
    }

    /// # Safety
    ///
    /// `skb` must be a live packet whose dst is an entry of a `Registration<T>` (the
    /// `dst_ops.link_failure` contract).
    unsafe extern "C" fn link_failure_callback(skb: *mut bindings::sk_buff) {
        // SAFETY: the kernel calls `link_failure` through the ops of the packet's dst, ours.
        let dst = unsafe { bindings::skb_dst(skb) };
        if !dst.is_null() {
            delegate!(T, dst, link_failure(skb))
        }
    }

    /// # Safety
    ///
    /// `dst` must be a live entry of a `Registration<T>`, with the other arguments of
    /// `dst_ops.update_pmtu`.
    unsafe extern "C" fn update_pmtu_callback(
        dst: *mut bindings::dst_entry,
        sk: *mut bindings::sock,
        skb: *mut bindings::sk_buff,
        mtu: u32,
        confirm_neigh: bool,
    ) {
        delegate!(T, dst, update_pmtu(dst, sk, skb, mtu, confirm_neigh))
    }

    /// # Safety
    ///
    /// `dst` must be a live entry of a `Registration<T>`, with the other arguments of
    /// `dst_ops.redirect`.
    unsafe extern "C" fn redirect_callback(
        dst: *mut bindings::dst_entry,
        sk: *mut bindings::sock,
        skb: *mut bindings::sk_buff,
    ) {
        delegate!(T, dst, redirect(dst, sk, skb))
    }

    /// # Safety
    ///
    /// `skb` must be a live packet whose dst is an entry of a `Registration<T>`, with the other
    /// arguments of `dst_ops.local_out`.
    unsafe extern "C" fn local_out_callback(
        net: *mut bindings::net,
        sk: *mut bindings::sock,
        skb: *mut bindings::sk_buff,
    ) -> crate::ffi::c_int {
        // SAFETY: the kernel calls `local_out` through the ops of the packet's dst, ours.
        let dst = unsafe { bindings::skb_dst(skb) };
        if dst.is_null() {
            return -(bindings::EINVAL as crate::ffi::c_int);
        }
        delegate!(T, dst, local_out(net, sk, skb))
    }

    /// # Safety
    ///
    /// `dst` must be a live entry of a `Registration<T>`, with the other arguments of
    /// `dst_ops.neigh_lookup`.
    unsafe extern "C" fn neigh_lookup_callback(
        dst: *const bindings::dst_entry,
        skb: *mut bindings::sk_buff,
        daddr: *const crate::ffi::c_void,
    ) -> *mut bindings::neighbour {
        // SAFETY: `dst` is a live entry of ours (callback contract).
        match unsafe { inherit::<T>(dst) }.neigh_lookup {
            // SAFETY: as in `delegate!`.
            Some(f) => unsafe { f(dst, skb, daddr) },
            None => ptr::null_mut(),
        }
    }

    /// # Safety
    ///
    /// `dst` must be a live entry of a `Registration<T>`, with the other arguments of
    /// `dst_ops.confirm_neigh`.
    unsafe extern "C" fn confirm_neigh_callback(
        dst: *const bindings::dst_entry,
        daddr: *const crate::ffi::c_void,
    ) {
        delegate!(T, dst, confirm_neigh(dst, daddr))
    }
}

/// Entries retired from a cache that are still referenced elsewhere (queued packets, sockets),
/// oldest first.
///
/// # Invariants
///
/// Every listed entry is alive: the `destroy` callback unlinks an entry before it is freed.
#[pin_data]
pub struct GarbageList<T: DstOps> {
    #[pin]
    inner: SpinLockBh<GarbageInner<T>>,
}

struct GarbageInner<T: DstOps> {
    head: *mut NorefEntry<T>,
    tail: *mut NorefEntry<T>,
    len: usize,
}

// SAFETY: the raw pointers are only followed under the lock.
unsafe impl<T: DstOps> Send for GarbageInner<T> {}

impl<T: DstOps> GarbageList<T> {
    fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- SpinLockBh::new(GarbageInner {
                head: ptr::null_mut(),
                tail: ptr::null_mut(),
                len: 0,
            }, garbage_lock_class().0, garbage_lock_class().1),
        })
    }

    /// Lists `entry`, of this list's registration, and gives the caller's reference back
    /// (see [`Entry::retire`], the only caller).
    fn retire(&self, entry: ARef<Entry<T>>) {
        entry.dst().set_obsolete(obsolete::KILL);
        let listed = {
            let mut g = self.inner.lock();
            let e = &entry.links;
            if !e.on_garbage.get() {
                e.on_garbage.set(true);
                e.retired.set(jiffies());
                e.garbage_prev.set(g.tail);
                e.garbage_next.set(ptr::null_mut());
                let p = entry.as_mut_ptr();
                // SAFETY: listed entries are alive (type invariant) and we hold the lock.
                match unsafe { g.tail.as_ref() } {
                    Some(t) => t.links.garbage_next.set(p),
                    None => g.head = p,
                }
                g.tail = p;
                g.len += 1;
            }
            g.len
        };
        // Diagnostic only: other holders may come and go meanwhile.
        dst_trace::retire(
            entry.dst(),
            entry.dst().refcount().saturating_sub(1),
            listed,
        );
        drop(entry);
    }

    /// Takes `entry` off the list; returns whether it was listed.
    fn unlink(&self, entry: &NorefEntry<T>) -> bool {
        let mut g = self.inner.lock();
        let e = &entry.links;
        if !e.on_garbage.replace(false) {
            return false;
        }
        let (prev, next) = (e.garbage_prev.get(), e.garbage_next.get());
        // SAFETY: neighbours of a listed entry are listed, hence alive; we hold the lock.
        match unsafe { prev.as_ref() } {
            Some(p) => p.links.garbage_next.set(next),
            None => g.head = next,
        }
        // SAFETY: as above.
        match unsafe { next.as_ref() } {
            Some(n) => n.links.garbage_prev.set(prev),
            None => g.tail = prev,
        }
        g.len -= 1;
        true
    }

    /// Calls `f` on every listed entry, oldest first, under the list's lock (softirqs off): `f`
    /// must not sleep nor retire entries. A listed entry may be on its way to `destroy` (its
    /// count zero): `f` gets a noref borrow, which [`NorefEntry::hold_safe`] turns into a
    /// reference only while the entry is still held.
    pub fn for_each(&self, mut f: impl FnMut(&NorefEntry<T>)) {
        let g = self.inner.lock();
        let mut p = g.head;
        // SAFETY: listed entries are alive while we hold the lock (type invariant).
        while let Some(e) = unsafe { p.as_ref() } {
            f(e);
            p = e.links.garbage_next.get();
        }
    }

    /// Moves every listed entry whose device is `dev` to `blackhole_netdev` (`dst_dev_put`), so
    /// that unregistering `dev` does not wait for the entries' holders. Returns how many.
    pub fn dev_put(&self, dev: &NetDevice) -> usize {
        let mut n = 0;
        self.for_each(|e| {
            if e.dst().is_on(dev) {
                e.dst().dev_put();
                n += 1;
            }
        });
        dst_trace::dev_put(dev.ifindex(), n);
        n
    }

    /// Emits an `rdst_garbage` event for every listed entry, if that event is enabled: how
    /// leak finders see entries that nothing else happens to.
    pub fn trace(&self) {
        if !dst_trace::garbage_enabled() {
            return;
        }
        let now = jiffies();
        let rcu = rcu::Guard::new();
        self.for_each(|e| {
            let age = jiffies_to_msecs(now.wrapping_sub(e.links.retired.get()));
            let ifindex = e.dst().dev(&rcu).ifindex();
            // Listed entries hold no reference of the list's: every count is someone else's.
            dst_trace::garbage(e.dst(), age, e.dst().refcount(), ifindex);
        });
        drop(rcu);
    }

    /// The number of listed entries.
    pub fn len(&self) -> usize {
        self.inner.lock().len
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How long (jiffies) the oldest listed entry has been retired.
    pub fn oldest_age(&self) -> Option<Jiffies> {
        let g = self.inner.lock();
        // SAFETY: listed entries are alive while we hold the lock (type invariant).
        unsafe { g.head.as_ref() }.map(|e| jiffies().wrapping_sub(e.links.retired.get()))
    }
}

/// An RCU hash table of entries: lookups take no lock and no reference, changes take the
/// table's lock (softirqs off). The table owns one reference per entry.
///
/// # Examples
///
/// The table, the garbage list and the entries' lifecycle, without a packet: entries copied
/// from a route of the loopback device, cached, looked up, retired while one is still held.
///
/// ```
/// use kernel::net::{
///     dst_ops::{self, DstOps, Entry, Registration, Table},
///     namespace::{Net, NetInit, PernetData, PernetId, Subsys},
///     route::{rtn, OwnedRoute},
/// };
/// use kernel::{c_str, kmem_cache::KmemCache, sync::{rcu, Arc}};
///
/// struct Ops;
///
/// #[vtable]
/// impl DstOps for Ops {
///     type Data = u32;
/// }
///
/// // The ops belong to a namespace: they are a field of its state.
/// #[pin_data]
/// struct PerNet {
///     #[pin]
///     table: Table<Ops>,
///     #[pin]
///     reg: Registration<Ops>,
/// }
///
/// static ID: PernetId<PerNet> = PernetId::new();
///
/// impl PernetData for PerNet {
///     type Shared = Arc<KmemCache<Entry<Ops>>>;
///     const ID: &'static PernetId<Self> = &ID;
///
///     fn init<'a>(net: &'a NetInit<'a>, slab: &'a Self::Shared) -> impl PinInit<Self, Error> + 'a {
///         try_pin_init!(PerNet {
///             table <- Table::new(16),
///             reg <- Registration::new(net, slab.clone(), 64),
///         }? Error)
///     }
/// }
///
/// let net = Net::init_net();
/// let slab = dst_ops::new_slab::<Ops>(c_str!("rust_doctest_dst_ops"))?;
/// let subsys = KBox::pin_init(Subsys::<PerNet>::register(slab), GFP_KERNEL)?;
/// let state = subsys.init_net_state().ok_or(EINVAL)?;
/// let (reg, table) = (&state.reg, &state.table);
/// let route = OwnedRoute::alloc(net.loopback(), rtn::UNICAST)?;
/// let guard = rcu::read_lock();
/// let (a, b) = (reg.alloc_from(&route, 1, 7, &guard)?, reg.alloc_from(&route, 1, 8, &guard)?);
/// drop(guard);
/// assert_eq!(reg.entries(), 2);
///
/// let held = a.clone();
/// {
///     let mut w = table.lock();
///     assert!(w.insert(a, 42).is_ok());
///     assert!(w.insert(b, 42).is_ok());
///     assert_eq!((w.len(), w.bucket_entries(42).count()), (2, 2));
///     // An entry is in one table at most.
///     assert!(w.insert(held.clone(), 5).is_err());
/// }
/// let guard = rcu::read_lock();
/// assert_eq!(table.lookup(42, &guard, |e| *e.data() == 8).map(|e| *e.data()), Some(8));
/// assert!(table.lookup(42, &guard, |e| *e.data() == 9).is_none());
/// assert!(table.lookup(5, &guard, |_| true).is_none());
/// drop(guard);
///
/// // Retired, both are listed; the one nobody holds is freed after a grace period, which
/// // takes it off the list; the held one stays until its holder lets go.
/// table.lock().clear(Entry::retire);
/// assert!(table.lock().is_empty());
/// rcu::rcu_barrier();
/// assert_eq!((reg.garbage().len(), reg.entries()), (1, 1));
/// assert!(held.dst().obsolete() == kernel::net::dst::obsolete::KILL);
/// drop(held);
/// rcu::rcu_barrier();
/// assert_eq!((reg.garbage().len(), reg.entries()), (0, 0));
/// drop(subsys);
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// Every entry reachable from `buckets` or the insertion-order list is alive, has `links.table`
/// pointing to this table and is owned (one reference) by it; removed entries keep their `next` pointer so
/// that readers already on them continue along the chain.
#[pin_data(PinnedDrop)]
pub struct Table<T: DstOps> {
    buckets: KVVec<AtomicPtr<NorefEntry<T>>>,
    mask: usize,
    #[pin]
    writer: SpinLockBh<TableInner<T>>,
}

/// What the table's lock protects.
pub struct TableInner<T: DstOps> {
    fifo_head: *mut NorefEntry<T>,
    fifo_tail: *mut NorefEntry<T>,
    len: usize,
    _p: PhantomData<T>,
}

// SAFETY: the raw pointers are only followed under the lock.
unsafe impl<T: DstOps> Send for TableInner<T> {}

impl<T: DstOps> Table<T> {
    /// Creates a table of `buckets` chains (rounded up to a power of two).
    pub fn new(buckets: usize) -> impl PinInit<Self, Error> {
        let n = buckets.max(1).next_power_of_two();
        try_pin_init!(Self {
            buckets: KVVec::from_fn(n, |_| AtomicPtr::new(ptr::null_mut()), GFP_KERNEL)?,
            mask: n - 1,
            writer <- SpinLockBh::new(TableInner {
                fifo_head: ptr::null_mut(),
                fifo_tail: ptr::null_mut(),
                len: 0,
                _p: PhantomData,
            }, table_lock_class().0, table_lock_class().1),
        }? Error)
    }

    /// The number of chains.
    pub fn buckets(&self) -> usize {
        self.mask + 1
    }

    /// Finds the entry with key hash `hash` that `matches`, without a lock or a reference: the
    /// result is valid for the RCU section `rcu`.
    #[inline]
    pub fn lookup<'g>(
        &self,
        hash: u64,
        _rcu: &'g rcu::Guard,
        mut matches: impl FnMut(&NorefEntry<T>) -> bool,
    ) -> Option<&'g NorefEntry<T>> {
        let mut p = self.buckets[hash as usize & self.mask].load(Ordering::Acquire);
        // SAFETY: chain entries are alive until a grace period after their removal (type
        // invariant, and entries are freed through `call_rcu`); we are in an RCU section.
        while let Some(e) = unsafe { p.as_ref() } {
            if e.links.hash.load(Ordering::Relaxed) == hash && matches(e) {
                return Some(e);
            }
            p = e.links.next.load(Ordering::Acquire);
        }
        None
    }

    /// Locks the table for changes.
    pub fn lock(&self) -> TableWriter<'_, T> {
        TableWriter {
            table: self,
            inner: self.writer.lock(),
        }
    }
}

#[pinned_drop]
impl<T: DstOps> PinnedDrop for Table<T> {
    fn drop(self: Pin<&mut Self>) {
        // The owner flushes (and retires) before dropping; whatever is left is released here.
        self.lock().clear(drop);
    }
}

/// The table, locked for changes.
pub struct TableWriter<'a, T: DstOps> {
    table: &'a Table<T>,
    inner: crate::sync::lock::Guard<
        'a,
        TableInner<T>,
        crate::sync::lock::spinlock_bh::SpinLockBhBackend,
    >,
}

impl<T: DstOps> TableWriter<'_, T> {
    /// The table's identity in the entries' `links.table`.
    fn table_ptr(&self) -> *mut Table<T> {
        ptr::from_ref(self.table).cast_mut()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.inner.len
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.inner.len == 0
    }

    /// Inserts `entry` under key hash `hash` at the head of its chain, visible to lookups at
    /// once. Returns the entry back if it is already in a table.
    pub fn insert(
        &mut self,
        entry: ARef<Entry<T>>,
        hash: u64,
    ) -> core::result::Result<(), ARef<Entry<T>>> {
        let l = &entry.links;
        // Claim the entry: only one table can, and only its writer touches the links below.
        if l.table
            .compare_exchange(
                ptr::null_mut(),
                self.table_ptr(),
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .is_err()
        {
            return Err(entry);
        }
        l.hash.store(hash, Ordering::Relaxed);
        let bucket = &self.table.buckets[hash as usize & self.table.mask];
        l.next
            .store(bucket.load(Ordering::Relaxed), Ordering::Relaxed);
        let p = entry.as_mut_ptr();
        l.fifo_prev.set(self.inner.fifo_tail);
        l.fifo_next.set(ptr::null_mut());
        // SAFETY: table entries are alive and we hold the lock (type invariant).
        match unsafe { self.inner.fifo_tail.as_ref() } {
            Some(t) => t.links.fifo_next.set(p),
            None => self.inner.fifo_head = p,
        }
        self.inner.fifo_tail = p;
        self.inner.len += 1;
        // The table now owns the caller's reference.
        core::mem::forget(entry);
        // Publish: readers that see the pointer see the initialised entry (`rcu_assign_pointer`).
        bucket.store(p, Ordering::Release);
        Ok(())
    }

    /// Removes `entry` (found by a lookup, say) and returns the table's reference to it, or
    /// `None` if it is not in this table.
    pub fn remove(&mut self, entry: &NorefEntry<T>) -> Option<ARef<Entry<T>>> {
        let l = &entry.links;
        // Only this table's entries, whose links our lock guards.
        if l.table.load(Ordering::Relaxed) != self.table_ptr() {
            return None;
        }
        let target = entry.as_mut_ptr();
        let bucket = &self.table.buckets[l.hash.load(Ordering::Relaxed) as usize & self.table.mask];
        // Unlink from the chain; `entry.next` stays as is for readers standing on it.
        let mut link: &AtomicPtr<NorefEntry<T>> = bucket;
        loop {
            let p = link.load(Ordering::Relaxed);
            // SAFETY: chain entries are alive and we hold the lock (type invariant).
            let e = unsafe { p.as_ref() }?;
            if p == target {
                link.store(l.next.load(Ordering::Relaxed), Ordering::Release);
                break;
            }
            link = &e.links.next;
        }
        let (prev, next) = (l.fifo_prev.get(), l.fifo_next.get());
        // SAFETY: insertion-order neighbours are table entries, alive under the lock.
        match unsafe { prev.as_ref() } {
            Some(p) => p.links.fifo_next.set(next),
            None => self.inner.fifo_head = next,
        }
        // SAFETY: as above.
        match unsafe { next.as_ref() } {
            Some(n) => n.links.fifo_prev.set(prev),
            None => self.inner.fifo_tail = prev,
        }
        self.inner.len -= 1;
        // Last: the entry may be claimed by another table from here on.
        l.table.store(ptr::null_mut(), Ordering::Release);
        // SAFETY: the table owned one reference to the entry; it is handed to the caller.
        // `Entry` is a transparent wrapper of `NorefEntry`.
        Some(unsafe { ARef::from_raw(NonNull::new_unchecked(target).cast()) })
    }

    /// The oldest entry (first inserted).
    pub fn oldest(&self) -> Option<&Entry<T>> {
        // SAFETY: table entries are alive and hold the table's reference while the lock is
        // held (type invariant); `Entry` is a transparent wrapper of `NorefEntry`.
        unsafe { self.inner.fifo_head.cast::<Entry<T>>().as_ref() }
    }

    /// Removes and returns the oldest entry.
    pub fn pop_oldest(&mut self) -> Option<ARef<Entry<T>>> {
        let e = ptr::from_ref(self.oldest()?);
        // SAFETY: `e` is a table entry, alive while we hold the lock.
        self.remove(unsafe { &*e })
    }

    /// Removes and returns the entry of `hash`'s chain for which `key` is smallest.
    pub fn remove_min_in_chain<K: Ord>(
        &mut self,
        hash: u64,
        key: impl FnMut(&Entry<T>) -> K,
    ) -> Option<ARef<Entry<T>>> {
        let mut key = key;
        let e = ptr::from_ref(self.bucket_entries(hash).min_by_key(|e| key(e))?);
        // SAFETY: `e` is a table entry, alive while we hold the lock.
        self.remove(unsafe { &*e })
    }

    /// The entries of the chain `hash` falls in.
    pub fn bucket_entries(&self, hash: u64) -> impl Iterator<Item = &Entry<T>> {
        let mut p = self.table.buckets[hash as usize & self.table.mask].load(Ordering::Relaxed);
        core::iter::from_fn(move || {
            // SAFETY: chain entries are alive and hold the table's reference while the lock
            // (borrowed by `self`) is held; `Entry` is a transparent wrapper of `NorefEntry`.
            let e = unsafe { p.cast::<Entry<T>>().as_ref() }?;
            p = e.links.next.load(Ordering::Relaxed);
            Some(e)
        })
    }

    /// Removes, from the chains `start..start + count` (wrapping), every entry for which
    /// `remove` returns true, handing each to `removed`. Returns the next chain to scan.
    pub fn sweep(
        &mut self,
        start: usize,
        count: usize,
        mut remove: impl FnMut(&Entry<T>) -> bool,
        mut removed: impl FnMut(ARef<Entry<T>>),
    ) -> usize {
        let n = self.table.buckets();
        let mut b = start % n;
        for _ in 0..count.min(n) {
            let mut p = self.table.buckets[b].load(Ordering::Relaxed);
            // SAFETY: chain entries are alive and hold the table's reference while we hold the
            // lock; `next` is read before the entry is unlinked (unlinking keeps it anyway).
            // `Entry` is a transparent wrapper of `NorefEntry`.
            while let Some(e) = unsafe { p.cast::<Entry<T>>().as_ref() } {
                p = e.links.next.load(Ordering::Relaxed);
                if remove(e) {
                    if let Some(r) = self.remove(e) {
                        removed(r);
                    }
                }
            }
            b = (b + 1) % n;
        }
        b
    }

    /// Removes every entry, handing each to `removed`.
    pub fn clear(&mut self, mut removed: impl FnMut(ARef<Entry<T>>)) {
        while let Some(e) = self.pop_oldest() {
            removed(e);
        }
    }
}
