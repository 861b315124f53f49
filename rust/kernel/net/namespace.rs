// SPDX-License-Identifier: GPL-2.0

//! Network namespaces and per-namespace state.
//!
//! C headers: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h),
//! [`include/net/netns/generic.h`](srctree/include/net/netns/generic.h)

use crate::{
    bindings,
    error::{from_result, to_result},
    init::PinInit,
    net::device::{NetDevice, Rtnl},
    prelude::*,
    sync::rcu,
    types::Opaque,
};
use core::{
    marker::PhantomData,
    ptr::addr_of,
    sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU32, Ordering},
};

/// A network namespace (`struct net`).
///
/// # Invariants
///
/// A `&Net` is only created for a namespace that is alive for the reference's lifetime.
#[repr(transparent)]
pub struct Net(Opaque<bindings::net>);

// SAFETY: `struct net` is shared between all CPUs by design; the fields this wrapper reads are
// either constant for the namespace's life or read with the accessors the C code uses.
unsafe impl Sync for Net {}

impl Net {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a namespace that stays alive for `'a`.
    pub unsafe fn from_raw<'a>(ptr: *const bindings::net) -> &'a Self {
        // SAFETY: `Net` is a transparent wrapper of `struct net`; validity is the caller's
        // guarantee.
        unsafe { &*ptr.cast() }
    }

    /// The initial namespace (`init_net`), which is never freed.
    pub fn init_net() -> &'static Net {
        // SAFETY: `init_net` is a static object that lives as long as the kernel.
        unsafe { Net::from_raw(&raw const bindings::init_net) }
    }

    /// The namespace's loopback device, registered first and unregistered last.
    pub fn loopback(&self) -> &NetDevice {
        // SAFETY: the namespace is alive (type invariant); its loopback device is created by
        // the first device pernet subsystem (`loopback_net_ops`) and unregistered last, after
        // every subsystem registered later has run its `exit`.
        unsafe { NetDevice::from_raw((*self.as_ptr()).loopback_dev) }
    }

    /// Returns the raw pointer.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::net {
        self.0.get()
    }

    /// The IPv4 routing generation (`rt_genid_ipv4`): it changes on every FIB or rule change,
    /// which makes every route created under an older value stale.
    #[inline]
    pub fn rt_genid_ipv4(&self) -> i32 {
        // SAFETY: the namespace is alive (type invariant); `rt_genid` is an `atomic_t`, only
        // ever accessed atomically (`atomic_read`, `atomic_add`).
        unsafe { AtomicI32::from_ptr(&raw mut (*self.as_ptr()).ipv4.rt_genid.counter) }
            .load(Ordering::Relaxed)
    }

    /// The count of IPv4 next-hop exception changes (`fnhe_seq_ipv4`, patch `ipv4: route: count
    /// next-hop exception changes per namespace`): it changes after a learned PMTU or an
    /// accepted redirect is recorded, with acquire ordering, so that a route looked up after
    /// reading it sees every exception counted up to the value read.
    #[inline]
    pub fn fnhe_seq_ipv4(&self) -> i32 {
        // SAFETY: the namespace is alive (type invariant); `fnhe_seq` is an `atomic_t`, only
        // ever accessed atomically (`atomic_read_acquire`, `atomic_inc`).
        unsafe { AtomicI32::from_ptr(&raw mut (*self.as_ptr()).ipv4.fnhe_seq.counter) }
            .load(Ordering::Acquire)
    }

    /// Whether the IPv4 policy rules look at L4 fields (ports), so that the route of a packet
    /// may depend on more than its addresses, TOS, mark and input interface.
    #[inline]
    pub fn fib4_rules_need_l4(&self) -> bool {
        #[cfg(CONFIG_IP_MULTIPLE_TABLES)]
        // SAFETY: the namespace is alive (type invariant). The count is changed under RTNL as
        // rules come and go, and read without it, once, as `fib4_rules_early_flow_dissect` reads it.
        return unsafe {
            (&raw const (*self.as_ptr()).ipv4.fib_rules_require_fldissect).read_volatile()
        } > 0;
        #[cfg(not(CONFIG_IP_MULTIPLE_TABLES))]
        false
    }

    /// The namespace's inode number, a stable name for it in logs.
    pub fn inum(&self) -> u32 {
        // SAFETY: `ns.inum` is set at creation and never changes.
        unsafe { (*self.as_ptr()).ns.inum }
    }

    /// The namespace's `/proc/net/stat` directory.
    pub(crate) fn proc_net_stat(&self) -> *mut bindings::proc_dir_entry {
        // SAFETY: set at creation (when procfs is enabled) and constant afterwards.
        unsafe { (*self.as_ptr()).proc_net_stat }
    }
}

/// The namespace whose [`PernetData`] state [`PernetData::init`] is building, and where that
/// state lies.
///
/// What registers something in a namespace (a netfilter hook, a `/proc/net/stat` file, periodic
/// work, `dst_ops` that find the namespace from their `gc`) keeps a pointer to it and uses it
/// until dropped, so it must not outlive the namespace. Taking a `&NetInit` instead of a `&Net`
/// makes that a checked rule: such a registration is built only during `init`, and only as a
/// field of the state being built (its initializer fails with `EINVAL` anywhere else, in a
/// `KBox` say), which the namespace's exit drops before the namespace goes away. A `&Net` alone
/// proves the namespace alive for a borrow, not for as long as a registration may be kept.
///
/// Derefs to the namespace.
///
/// # Invariants
///
/// `net` is alive, and `state..state + size` is the memory of its state being built, which is
/// dropped before `net` is freed; the token exists only during that `init` call.
pub struct NetInit<'a> {
    net: &'a Net,
    state: *const u8,
    size: usize,
}

impl NetInit<'_> {
    /// Whether an object of type `U` at `ptr` lies within the state being built: `EINVAL` if
    /// not, which is what a registration's initializer fails with anywhere else.
    pub(crate) fn holds<U>(&self, ptr: *const U) -> Result {
        let (start, at) = (self.state as usize, ptr as usize);
        let inside = at >= start
            && at
                .checked_add(core::mem::size_of::<U>())
                .is_some_and(|end| end <= start + self.size);
        if inside {
            Ok(())
        } else {
            Err(EINVAL)
        }
    }
}

impl core::ops::Deref for NetInit<'_> {
    type Target = Net;

    fn deref(&self) -> &Net {
        self.net
    }
}

/// Where a per-namespace subsystem of `T` is found: the id the kernel assigns to it
/// (`pernet_operations.id`) and the registered [`Subsys`].
///
/// Declared as a `static` by the user of [`Subsys`] and named by [`PernetData::ID`]: the C
/// callbacks receive only the namespace, and find everything else through it.
///
/// # Invariants
///
/// `published` is 0, or the id of the registered `Subsys<T>` from the end of its registration
/// until its unregistration begins: readers never see an id the kernel has freed (a failed
/// registration frees it without clearing `id`) or reassigned.
pub struct PernetId<T: PernetData> {
    /// Where the kernel writes the id it assigns (`pernet_operations.id`), which the C
    /// callbacks use while the subsystem is (being) registered.
    id: AtomicU32,
    /// The id readers ([`PernetData::of`], [`PernetData::of_rtnl`]) use.
    published: AtomicU32,
    subsys: AtomicPtr<Subsys<T>>,
}

impl<T: PernetData> PernetId<T> {
    /// Creates an empty slot, filled while a `Subsys<T>` is registered.
    pub const fn new() -> Self {
        Self {
            id: AtomicU32::new(0),
            published: AtomicU32::new(0),
            subsys: AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// The id for readers: 0 unless a `Subsys<T>` is registered.
    #[inline]
    fn get(&self) -> u32 {
        self.published.load(Ordering::Acquire)
    }

    /// The id for the C callbacks, which the kernel calls only with it assigned.
    fn assigned(&self) -> u32 {
        self.id.load(Ordering::Acquire)
    }
}

impl<T: PernetData> Default for PernetId<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// State that exists once per network namespace while its [`Subsys`] is registered.
///
/// The kernel allocates the memory (`net_generic`) before `init` and frees it after the state is
/// dropped, so the state is pinned; dropping it is the namespace's exit.
///
/// Two kinds of callers find it, and each gets it for as long as the kernel guarantees:
///
/// - RCU readers (packet hooks, timers, `/proc` files) through [`PernetData::of`], from the end
///   of `init` to the namespace's `pre_exit`. The kernel waits for an RCU grace period between
///   `pre_exit` and `exit`, so no reader still holds the state when it is dropped;
/// - RTNL holders (netdevice notifiers) through [`PernetData::of_rtnl`], until `exit`, which
///   takes RTNL before it drops the state. A dying namespace unregisters its devices between
///   `pre_exit` and `exit`: their events still find the state and can release what it holds.
pub trait PernetData: Sized + Send + Sync + 'static {
    /// What every namespace's state is built from (configuration, shared caches); owned by the
    /// [`Subsys`], which outlives all the states.
    type Shared: Send + Sync;

    /// The slot of this type's registration.
    const ID: &'static PernetId<Self>;

    /// Builds the state of a new namespace (or of each existing one at registration). What
    /// registers itself in the namespace is built from `net` as a field of the state
    /// ([`NetInit`]).
    fn init<'a>(net: &'a NetInit<'a>, shared: &'a Self::Shared) -> impl PinInit<Self, Error> + 'a;

    /// Returns the state of `net` to an RCU reader if it is ready: the subsystem is registered,
    /// the state is fully built, and the namespace's exit has not begun. Callbacks registered
    /// while the state is being built (a netfilter hook, say) get `None` until `init` has
    /// returned. The state stays valid for the read-side critical section `_rcu` witnesses.
    #[inline]
    fn of<'g>(net: &'g Net, rcu: &'g rcu::Guard) -> Option<&'g Self> {
        let slot = Slot::<Self>::find_rcu(net, rcu)?;
        // SAFETY: `slot` is valid (`find`).
        if !unsafe { Slot::flag(slot, Flag::RcuReaders) }.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: the flag is set (Release) after the state was built and cleared in
        // `pre_exit`; the kernel waits for a grace period between `pre_exit` and `exit`, and the
        // reader is in a read-side critical section that started before the flag was read.
        Some(unsafe { &*addr_of!((*slot).data) })
    }

    /// Returns the state of `net` to an RTNL holder if it is built and not yet dropped: from
    /// the end of `init` until `exit`, later than [`PernetData::of`] finds it (the devices of a
    /// dying namespace are unregistered in between). The state stays valid while RTNL is held.
    #[inline]
    fn of_rtnl<'r>(net: &'r Net, _rtnl: &'r Rtnl) -> Option<&'r Self> {
        let slot = Slot::<Self>::find_built(net, Flag::RtnlHolders)?;
        // SAFETY: the flag is set (Release) after the state was built and cleared under RTNL in
        // `exit` before the state is dropped; the caller holds RTNL, so `exit` cannot clear it
        // until the caller is done.
        Some(unsafe { &*addr_of!((*slot).data) })
    }
}

/// Which of a [`Slot`]'s readiness flags.
#[derive(Clone, Copy)]
enum Flag {
    /// Read by [`PernetData::of`]; cleared in `pre_exit`.
    RcuReaders,
    /// Read by [`PernetData::of_rtnl`]; cleared in `exit`, under RTNL.
    RtnlHolders,
}

/// The per-namespace memory the kernel allocates (zeroed) for a [`Subsys<T>`], at the first
/// address in that memory aligned for it (see [`Slot::ALLOC_SIZE`]).
#[repr(C)]
struct Slot<T> {
    /// Whether `data` is built and RCU readers may still find it.
    rcu_ready: AtomicBool,
    /// Whether `data` is built and RTNL holders may still find it.
    rtnl_ready: AtomicBool,
    data: T,
}

impl<T: PernetData> Slot<T> {
    /// The slot of `T` in `net`, if `T`'s subsystem is registered, the namespace has one, and
    /// its flag `which` is set, read in a read-side section of its own. The kernel frees a slot
    /// (`ops_free_list`, or `ops_init` when `init` fails) only once its flags are clear: the
    /// caller keeps the slot for as long as the flag's clearing waits for it.
    fn find_built(net: &Net, which: Flag) -> Option<*mut Self> {
        let rcu = rcu::read_lock();
        let slot = Self::find_rcu(net, &rcu)?;
        // SAFETY: `slot` is valid (`find_rcu`) for the section.
        unsafe { Slot::flag(slot, which) }
            .load(Ordering::Acquire)
            .then_some(slot)
    }

    /// As [`Self::find_built`] without the flag, for an RCU reader: `net_generic` inline, in
    /// the reader's section instead of one of its own. `id` was assigned by
    /// `register_pernet_subsys` for `T`, so the namespace's slot for it, if any, is a `Slot<T>`.
    #[inline]
    fn find_rcu(net: &Net, _rcu: &rcu::Guard) -> Option<*mut Self> {
        let id = T::ID.get();
        if id == 0 {
            return None;
        }
        // SAFETY: the namespace is alive (type invariant of `Net`). `net->gen` is replaced
        // under `pernet_ops_rwsem` with `rcu_assign_pointer` and the old array freed after a
        // grace period, so the array read once here stays valid for the section `_rcu`; its
        // `s.len` slots are readable (the header overlaps the first ids, which are never
        // assigned). A namespace that `T`'s registration has not reached yet may have fewer
        // slots than `id`: then it has no state of `T`.
        let slot = unsafe {
            let ng = (&raw const (*net.as_ptr()).gen_).read_volatile();
            // The members of `net_generic`'s anonymous union (`s`, `ptr`) are at its start.
            let len = (*ng.cast::<bindings::net_generic__bindgen_ty_1__bindgen_ty_1>()).len;
            if id >= len {
                return None;
            }
            ng.byte_add(core::mem::offset_of!(
                bindings::net_generic__bindgen_ty_1__bindgen_ty_2,
                ptr
            ))
            .cast::<*mut crate::ffi::c_void>()
            .add(id as usize)
            .read_volatile()
        };
        // A null slot: the namespace is still being set up.
        (!slot.is_null()).then(|| Slot::aligned(slot))
    }
}

impl<T> Slot<T> {
    /// What the kernel allocates for a slot (`pernet_operations.size`). kmalloc aligns its
    /// objects to `ARCH_SLAB_MINALIGN` only; a state that needs more (`struct dst_ops` is
    /// cache-line aligned) is placed at the first suitably aligned address within.
    const ALLOC_SIZE: usize = core::mem::size_of::<Self>()
        + core::mem::align_of::<Self>().saturating_sub(bindings::ARCH_SLAB_MINALIGN);

    /// The slot within the memory the kernel allocated at `mem`.
    fn aligned(mem: *mut crate::ffi::c_void) -> *mut Self {
        let align = core::mem::align_of::<Self>();
        let pad = (mem as usize).wrapping_neg() & (align - 1);
        mem.cast::<u8>().wrapping_add(pad).cast()
    }

    /// The slot of pernet id `id` in `net`; null if the namespace has none (yet).
    ///
    /// # Safety
    ///
    /// `net` is a live namespace and `id` the id of a registered `Subsys<T>`.
    unsafe fn of(net: *mut bindings::net, id: u32) -> *mut Self {
        // SAFETY: as the caller guarantees; the kernel sized the memory for an aligned
        // `Slot<T>` (`ALLOC_SIZE`).
        let mem = unsafe { bindings::net_generic(net, id) };
        if mem.is_null() {
            return core::ptr::null_mut();
        }
        Self::aligned(mem)
    }

    /// One of the readiness flags of `slot`.
    ///
    /// # Safety
    ///
    /// `slot` is a non-null result of [`Self::of`], valid as long as the namespace is.
    unsafe fn flag<'a>(slot: *mut Self, which: Flag) -> &'a AtomicBool {
        // SAFETY: `slot` is valid (caller); the flags are atomics that zeroed memory
        // initialises.
        unsafe {
            match which {
                Flag::RcuReaders => &*addr_of!((*slot).rcu_ready),
                Flag::RtnlHolders => &*addr_of!((*slot).rtnl_ready),
            }
        }
    }
}

/// A registered per-namespace subsystem (`register_pernet_subsys`).
///
/// # Examples
///
/// State that remembers its namespace's inode number, built for every namespace:
///
/// ```
/// use core::sync::atomic::{AtomicUsize, Ordering};
/// use kernel::net::namespace::{NetInit, PernetData, PernetId, Subsys};
///
/// static BUILT: AtomicUsize = AtomicUsize::new(0);
/// static DROPPED: AtomicUsize = AtomicUsize::new(0);
///
/// struct PerNet {
///     inum: u32,
/// }
///
/// impl Drop for PerNet {
///     fn drop(&mut self) {
///         assert_ne!(self.inum, 0);
///         DROPPED.fetch_add(1, Ordering::Relaxed);
///     }
/// }
///
/// static ID: PernetId<PerNet> = PernetId::new();
///
/// impl PernetData for PerNet {
///     type Shared = ();
///     const ID: &'static PernetId<Self> = &ID;
///
///     fn init<'a>(net: &'a NetInit<'a>, _shared: &'a ()) -> impl PinInit<Self, Error> + 'a {
///         BUILT.fetch_add(1, Ordering::Relaxed);
///         PerNet { inum: net.inum() }
///     }
/// }
///
/// let subsys = KBox::pin_init(Subsys::<PerNet>::register(()), GFP_KERNEL)?;
/// // Built for every existing namespace, the initial one included.
/// let built = BUILT.load(Ordering::Relaxed);
/// assert!(built >= 1);
/// // A type is registered once at a time.
/// let again = KBox::pin_init(Subsys::<PerNet>::register(()), GFP_KERNEL);
/// assert_eq!(again.err(), Some(EBUSY));
/// // Unregistering drops every namespace's state.
/// drop(subsys);
/// assert_eq!(DROPPED.load(Ordering::Relaxed), built);
/// // And the type can be registered again.
/// drop(KBox::pin_init(Subsys::<PerNet>::register(()), GFP_KERNEL)?);
/// # Ok::<(), Error>(())
/// ```
///
/// A registration that fails leaves its type nothing to find, even once the id the kernel gave
/// it (and freed) belongs to another subsystem:
///
/// ```
/// use kernel::net::namespace::{Net, NetInit, PernetData, PernetId, Subsys};
/// use kernel::sync::rcu;
///
/// #[pin_data]
/// struct Failing {
///     v: u64,
/// }
///
/// static FAILING: PernetId<Failing> = PernetId::new();
///
/// impl PernetData for Failing {
///     type Shared = ();
///     const ID: &'static PernetId<Self> = &FAILING;
///
///     fn init<'a>(_net: &'a NetInit<'a>, _shared: &'a ()) -> impl PinInit<Self, Error> + 'a {
///         try_pin_init!(Failing {
///             v: Err::<u64, Error>(ENOMEM)?,
///         }? Error)
///     }
/// }
///
/// struct Other {
///     v: u64,
/// }
///
/// static OTHER: PernetId<Other> = PernetId::new();
///
/// impl PernetData for Other {
///     type Shared = ();
///     const ID: &'static PernetId<Self> = &OTHER;
///
///     fn init<'a>(_net: &'a NetInit<'a>, _shared: &'a ()) -> impl PinInit<Self, Error> + 'a {
///         Other { v: 7 }
///     }
/// }
///
/// let failed = KBox::pin_init(Subsys::<Failing>::register(()), GFP_KERNEL);
/// assert_eq!(failed.err(), Some(ENOMEM));
/// let other = KBox::pin_init(Subsys::<Other>::register(()), GFP_KERNEL)?;
/// let guard = rcu::read_lock();
/// assert!(Failing::of(Net::init_net(), &guard).is_none());
/// assert_eq!(Other::of(Net::init_net(), &guard).map(|o| o.v), Some(7));
/// drop(guard);
/// drop(other);
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `ops` is registered with the kernel from construction until drop.
#[pin_data(PinnedDrop)]
pub struct Subsys<T: PernetData> {
    #[pin]
    ops: Opaque<bindings::pernet_operations>,
    shared: T::Shared,
    _p: PhantomData<T>,
}

// SAFETY: the kernel serialises calls through `ops`; the object has no other state.
unsafe impl<T: PernetData> Send for Subsys<T> {}
// SAFETY: as above.
unsafe impl<T: PernetData> Sync for Subsys<T> {}

impl<T: PernetData> Subsys<T> {
    /// Registers the subsystem: `T::init` runs for every existing namespace now and for every
    /// new one later; the state is dropped when a namespace goes away or on unregistration.
    ///
    /// Fails with `EBUSY` if a `Subsys<T>` is already registered.
    pub fn register(shared: T::Shared) -> impl PinInit<Self, Error> {
        try_pin_init!(&this in Self {
            shared,
            _p: PhantomData,
            ops <- Opaque::try_ffi_init(move |slot: *mut bindings::pernet_operations| {
                let me = this.as_ptr();
                T::ID
                    .subsys
                    .compare_exchange(core::ptr::null_mut(), me, Ordering::AcqRel, Ordering::Acquire)
                    .map_err(|_| EBUSY)?;
                // SAFETY: `slot` is valid for writes; all-zero is a valid `pernet_operations`.
                unsafe { slot.write(core::mem::zeroed()) };
                // SAFETY: `slot` was initialised above.
                let ops = unsafe { &mut *slot };
                ops.init = Some(Self::init_callback);
                ops.pre_exit = Some(Self::pre_exit_callback);
                ops.exit = Some(Self::exit_callback);
                ops.id = T::ID.id.as_ptr();
                ops.size = Slot::<T>::ALLOC_SIZE;
                // SAFETY: `ops` is pinned (it is initialised in place) and stays registered until
                // `drop` unregisters it; `shared` is initialised (it comes first).
                let r = to_result(unsafe { bindings::register_pernet_subsys(slot) });
                match r {
                    // INVARIANT: registered; readers may find the namespaces' states from now
                    // on (each once its `init` has returned).
                    Ok(()) => T::ID.published.store(T::ID.assigned(), Ordering::Release),
                    // The kernel freed the id without clearing it.
                    Err(_) => {
                        T::ID.id.store(0, Ordering::Release);
                        T::ID.subsys.store(core::ptr::null_mut(), Ordering::Release);
                    }
                }
                r
            }),
        })
    }

    /// What every namespace's state is built from.
    pub fn shared(&self) -> &T::Shared {
        &self.shared
    }

    /// The initial namespace's state. `init_net` never exits, so its state is dropped only when
    /// the subsystem is unregistered, which takes the subsystem itself: it lives as long as the
    /// borrow of `self`.
    pub fn init_net_state(&self) -> Option<&T> {
        let slot = Slot::<T>::find_built(Net::init_net(), Flag::RtnlHolders)?;
        // SAFETY: the state is built (the flag is set after `init`); it is dropped by
        // `exit_callback` only, which runs for `init_net` only from `drop`, which cannot run
        // while `self` is borrowed.
        Some(unsafe { &*addr_of!((*slot).data) })
    }

    /// # Safety
    ///
    /// `net` must be a live namespace, passed by `ops_init` after it allocated this
    /// subsystem's zeroed `net_generic` slot.
    unsafe extern "C" fn init_callback(net: *mut bindings::net) -> crate::ffi::c_int {
        from_result(|| {
            // SAFETY: the kernel calls `init` with a live namespace.
            let net = unsafe { Net::from_raw(net) };
            let id = T::ID.assigned();
            // SAFETY: `register` stored the subsys before registering it; it stays pinned and
            // alive until after its unregistration, which ends all `init` calls.
            let subsys = unsafe { &*T::ID.subsys.load(Ordering::Acquire) };
            // SAFETY: the kernel allocated zeroed memory for an aligned `Slot<T>` for `id`
            // before calling `init` (`ops_init`).
            let slot = unsafe { Slot::<T>::of(net.as_ptr(), id) };
            // SAFETY: `slot` points to the allocation (above); no reference is made.
            let data = unsafe { core::ptr::addr_of_mut!((*slot).data) };
            // INVARIANT: `data` is where the state is built; it is dropped in `exit_callback`
            // (or by unregistration, which runs it), before the namespace is freed. The token
            // lives until the end of this call.
            let ns = NetInit {
                net,
                state: data.cast(),
                size: core::mem::size_of::<T>(),
            };
            // SAFETY: `data` is valid for writes and pinned until `exit_callback`; on error
            // the initialiser leaves nothing to drop and the kernel frees the memory.
            unsafe { T::init(&ns, &subsys.shared).__pinned_init(data)? };
            // SAFETY: `slot` is valid (above). From here on `of` and `of_rtnl` find the state.
            unsafe {
                Slot::flag(slot, Flag::RtnlHolders).store(true, Ordering::Release);
                Slot::flag(slot, Flag::RcuReaders).store(true, Ordering::Release);
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `net` must be a namespace whose `init_callback` succeeded, passed by the kernel's
    /// `pernet_operations.pre_exit`.
    unsafe extern "C" fn pre_exit_callback(net: *mut bindings::net) {
        // SAFETY: the kernel calls `pre_exit` (and then `exit`) only for a namespace whose
        // `init` succeeded, so its `net_generic` slot holds a `Slot<T>` with a built `T`.
        let slot = unsafe { Slot::<T>::of(net, T::ID.assigned()) };
        // SAFETY: as above. No RCU reader finds the state from here on; the kernel waits for
        // the readers that already have it (`synchronize_rcu` in `ops_undo_list`) before it
        // calls `exit`.
        unsafe { Slot::flag(slot, Flag::RcuReaders) }.store(false, Ordering::Release);
    }

    /// # Safety
    ///
    /// `net` must be a namespace whose `pre_exit_callback` ran, passed once by the kernel's
    /// `pernet_operations.exit` after a grace period, in process context without RTNL.
    unsafe extern "C" fn exit_callback(net: *mut bindings::net) {
        // SAFETY: as in `pre_exit_callback`.
        let slot = unsafe { Slot::<T>::of(net, T::ID.assigned()) };
        // An RTNL holder that found the state is done with it once RTNL is ours; later ones do
        // not find it. (`exit` runs without RTNL, under `pernet_ops_rwsem`, which is taken
        // before RTNL everywhere.)
        // SAFETY: `exit` runs in process context without RTNL.
        unsafe { bindings::rtnl_lock() };
        // SAFETY: `slot` is valid (above).
        unsafe { Slot::flag(slot, Flag::RtnlHolders) }.store(false, Ordering::Release);
        // SAFETY: taken above.
        unsafe { bindings::rtnl_unlock() };
        // SAFETY: `data` is initialised, nobody can find it any more (both flags are clear and
        // their readers are gone), and it is dropped once, here.
        unsafe { core::ptr::drop_in_place(core::ptr::addr_of_mut!((*slot).data)) };
    }
}

#[pinned_drop]
impl<T: PernetData> PinnedDrop for Subsys<T> {
    fn drop(self: Pin<&mut Self>) {
        // INVARIANT: no reader finds the id from here on. One that already has it is in an RCU
        // read-side section (`of`), which `pre_exit` and the grace period after it account
        // for, or holds RTNL (`of_rtnl`), which `exit` takes before it drops a state.
        T::ID.published.store(0, Ordering::Release);
        // SAFETY: `ops` is registered (type invariant); this runs every namespace's exit.
        unsafe { bindings::unregister_pernet_subsys(self.ops.get()) };
        T::ID.id.store(0, Ordering::Release);
        T::ID.subsys.store(core::ptr::null_mut(), Ordering::Release);
    }
}

/// Per-namespace state with periodic work: [`Periodic`] calls [`PernetPeriodic::periodic`] on
/// the namespace's state every period, from the system workqueue, in an RCU read-side
/// critical section (the state is found with [`PernetData::of`]): the job must not sleep.
pub trait PernetPeriodic: PernetData {
    /// The periodic job.
    fn periodic(&self, rcu: &rcu::Guard);
}

/// A delayed work item that runs [`PernetPeriodic::periodic`] for one namespace's state and
/// re-arms itself, until dropped.
///
/// # Examples
///
/// A job that runs every jiffy in every namespace, waited for with a condition variable:
///
/// ```
/// use core::sync::atomic::{AtomicUsize, Ordering};
/// use kernel::net::namespace::{NetInit, PernetData, PernetId, PernetPeriodic, Periodic, Subsys};
/// use kernel::{new_condvar, new_mutex};
///
/// static RUNS: AtomicUsize = AtomicUsize::new(0);
///
/// #[pin_data]
/// struct Ticker {
///     #[pin]
///     job: Periodic<Ticker>,
/// }
///
/// static ID: PernetId<Ticker> = PernetId::new();
///
/// impl PernetData for Ticker {
///     type Shared = ();
///     const ID: &'static PernetId<Self> = &ID;
///
///     fn init<'a>(net: &'a NetInit<'a>, _shared: &'a ()) -> impl PinInit<Self, Error> + 'a {
///         try_pin_init!(Ticker {
///             job <- Periodic::new(net, 1),
///         }? Error)
///     }
/// }
///
/// impl PernetPeriodic for Ticker {
///     fn periodic(&self, _rcu: &kernel::sync::rcu::Guard) {
///         RUNS.fetch_add(1, Ordering::Relaxed);
///     }
/// }
///
/// let subsys = KBox::pin_init(Subsys::<Ticker>::register(()), GFP_KERNEL)?;
/// let lock = KBox::pin_init(new_mutex!(()), GFP_KERNEL)?;
/// let wake = KBox::pin_init(new_condvar!(), GFP_KERNEL)?;
/// let mut guard = lock.lock();
/// for _ in 0..100 {
///     if RUNS.load(Ordering::Relaxed) >= 3 {
///         break;
///     }
///     // Sleeps for up to 10 jiffies; nobody signals `wake`.
///     let _ = wake.wait_interruptible_timeout(&mut guard, 10);
/// }
/// drop(guard);
/// assert!(RUNS.load(Ordering::Relaxed) >= 3);
/// // Dropping the state cancels the job and waits for a run in progress.
/// drop(subsys);
/// let runs = RUNS.load(Ordering::Relaxed);
/// let mut guard = lock.lock();
/// let _ = wake.wait_interruptible_timeout(&mut guard, 5);
/// drop(guard);
/// assert_eq!(RUNS.load(Ordering::Relaxed), runs);
/// # Ok::<(), Error>(())
/// ```
///
/// Meant as a field of the state itself. A run finds the state only from the end of `init` to
/// the namespace's `pre_exit` (through [`PernetData::of`], whose grace period also waits for a
/// run in progress), so neither the field's place nor its initialisation order matter for
/// soundness; dropping it cancels the work.
///
/// # Invariants
///
/// `work` is initialised with [`Self::run_callback`]; `net` is the namespace whose state (of
/// some per-namespace subsystem: [`Self::new`] checks that much) holds this item, so `net`
/// outlives it. `run_callback` finds `T`'s state through [`PernetData::of`].
#[pin_data(PinnedDrop)]
#[repr(C)]
pub struct Periodic<T: PernetPeriodic> {
    #[pin]
    work: Opaque<bindings::delayed_work>,
    net: *const bindings::net,
    period: crate::time::Jiffies,
    _p: PhantomData<T>,
}

// SAFETY: the work item is driven by the workqueue; the namespace pointer is only read.
unsafe impl<T: PernetPeriodic> Send for Periodic<T> {}
// SAFETY: as above.
unsafe impl<T: PernetPeriodic> Sync for Periodic<T> {}

impl<T: PernetPeriodic> Periodic<T> {
    /// Starts running `T::periodic` on `net`'s state every `period` jiffies (at least one).
    ///
    /// Fails with `EINVAL` unless built as a field of `net`'s state ([`NetInit`]).
    pub fn new<'a>(
        net: &'a NetInit<'a>,
        period: crate::time::Jiffies,
    ) -> impl PinInit<Self, Error> + 'a {
        let delay = period.max(1);
        // (Named apart from the field `net`, which the initializer binds once it is set.)
        let ns = net;
        try_pin_init!(&this in Self {
            net: ns.as_ptr(),
            period: delay,
            _p: PhantomData,
            work <- Opaque::try_ffi_init(move |slot: *mut bindings::delayed_work| -> Result {
                ns.holds(this.as_ptr())?;
                // SAFETY: `slot` is valid for writes and pinned until `drop` cancels the work.
                unsafe {
                    bindings::init_delayed_work(slot, Some(Self::run_callback));
                    bindings::schedule_delayed_work(slot, delay);
                }
                Ok(())
            }),
        }? Error)
    }

    /// # Safety
    ///
    /// `work` must be the work item of a live, pinned `Periodic<T>` (the workqueue passes the
    /// item it runs).
    unsafe extern "C" fn run_callback(work: *mut bindings::work_struct) {
        // SAFETY: `work` is the first member of the `delayed_work`, itself the first field of a
        // pinned, live `Periodic<T>` (`drop` cancels the work before it goes away).
        let this = unsafe { &*work.cast::<Self>() };
        // SAFETY: the namespace lives at least as long as its state, which holds `this`.
        let net = unsafe { Net::from_raw(this.net) };
        let rcu = rcu::Guard::new();
        if let Some(state) = T::of(net, &rcu) {
            state.periodic(&rcu);
        }
        drop(rcu);
        // SAFETY: the item is initialised; `cancel_delayed_work_sync` in `drop` also stops a
        // work that re-arms itself.
        unsafe { bindings::schedule_delayed_work(this.work.get(), this.period) };
    }
}

#[pinned_drop]
impl<T: PernetPeriodic> PinnedDrop for Periodic<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: the item is initialised (type invariant); afterwards it is neither pending nor
        // running, and it cannot re-arm.
        unsafe { bindings::cancel_delayed_work_sync(self.work.get()) };
    }
}
