// SPDX-License-Identifier: GPL-2.0

//! Netfilter hooks on IPv4, registered per network namespace.
//!
//! C header: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)

use super::{
    namespace::{Net, NetInit, PernetData},
    skbuff::SkBuff,
};
use crate::{bindings, error::to_result, prelude::*, sync::rcu, types::Opaque};
use core::marker::PhantomData;

/// The IPv4 hook points (`NF_INET_*`) a [`Hook`] can be registered at: those where every
/// packet has a device (`skb->dev`), as [`SkBuff::dev`] requires. `NF_INET_LOCAL_OUT` is not
/// one: locally generated packets get their device only in `ip_output`, after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Ipv4Hook {
    /// After `ip_rcv_core`, before input routing.
    PreRouting = bindings::nf_inet_hooks_NF_INET_PRE_ROUTING,
    /// Before local delivery.
    LocalIn = bindings::nf_inet_hooks_NF_INET_LOCAL_IN,
    /// Forwarded packets.
    Forward = bindings::nf_inet_hooks_NF_INET_FORWARD,
    /// Before transmission (`skb->dev` is the output device, set by `ip_output` and
    /// `ip_forward_finish`'s callees before the hook).
    PostRouting = bindings::nf_inet_hooks_NF_INET_POST_ROUTING,
}

/// Hook priorities (`NF_IP_PRI_*`): lower runs first.
pub mod priority {
    /// Connection tracking.
    pub const CONNTRACK: i32 = bindings::nf_ip_hook_priorities_NF_IP_PRI_CONNTRACK;
    /// Destination NAT (may drop the dst).
    pub const NAT_DST: i32 = bindings::nf_ip_hook_priorities_NF_IP_PRI_NAT_DST;
    /// The usual filter table.
    pub const FILTER: i32 = bindings::nf_ip_hook_priorities_NF_IP_PRI_FILTER;
    /// Last (`NF_IP_PRI_LAST`), after everything that may change the packet or its route.
    pub const LAST: i32 = bindings::nf_ip_hook_priorities_NF_IP_PRI_LAST;
}

/// What a hook decides about a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Continue with the next hook and, after the last, the stack.
    Accept,
    /// Free the packet (`NF_DROP`).
    Drop,
}

/// A hook function with its per-namespace state `Self::Net`.
pub trait Hook: Sync + 'static {
    /// The per-namespace state the hook works with.
    type Net: PernetData;

    /// Called for each packet, in softirq context inside an RCU read-side section (`rcu`).
    fn hook(net: &Self::Net, skb: &mut SkBuff, rcu: &rcu::Guard) -> Verdict;
}

/// An IPv4 hook registered in one namespace (`nf_register_net_hook`).
///
/// # Examples
///
/// A filter in every namespace that drops IPv4 packets with options, and a
/// `/proc/net/stat/` file that shows how many it dropped:
///
/// ```
/// use core::sync::atomic::{AtomicI32, AtomicU64, Ordering};
/// use kernel::{c_str, seq_file::SeqFile, seq_print};
/// use kernel::net::{
///     namespace::{NetInit, PernetData, PernetId, Subsys},
///     netfilter::{priority, Hook, Ipv4Hook, Registration, Verdict},
///     proc::{StatFile, StatShow},
///     skbuff::SkBuff,
/// };
/// use kernel::sync::rcu;
///
/// #[pin_data]
/// struct NoOptions {
///     dropped: AtomicU64,
///     #[pin]
///     stat: StatFile<NoOptions>,
///     #[pin]
///     hook: Registration<NoOptions>,
/// }
///
/// static ID: PernetId<NoOptions> = PernetId::new();
/// static ELSEWHERE: AtomicI32 = AtomicI32::new(0);
///
/// impl PernetData for NoOptions {
///     type Shared = ();
///     const ID: &'static PernetId<Self> = &ID;
///
///     fn init<'a>(net: &'a NetInit<'a>, _shared: &'a ()) -> impl PinInit<Self, Error> + 'a {
///         // Kept anywhere but in the state (here, in a box of its own), a hook could outlive
///         // the namespace: refused.
///         let hook = Registration::<NoOptions>::new(net, Ipv4Hook::PreRouting, priority::FILTER);
///         let boxed = KBox::pin_init(hook, GFP_KERNEL);
///         ELSEWHERE.store(boxed.err().map_or(0, |e| e.to_errno()), Ordering::Relaxed);
///         try_pin_init!(NoOptions {
///             dropped: AtomicU64::new(0),
///             stat <- StatFile::new(net, c_str!("rust_doctest_no_options")),
///             hook <- Registration::new(net, Ipv4Hook::PreRouting, priority::FILTER),
///         }? Error)
///     }
/// }
///
/// impl Hook for NoOptions {
///     type Net = NoOptions;
///
///     fn hook(state: &NoOptions, skb: &mut SkBuff, _rcu: &rcu::Guard) -> Verdict {
///         if skb.ipv4_header().has_options() {
///             state.dropped.fetch_add(1, Ordering::Relaxed);
///             return Verdict::Drop;
///         }
///         Verdict::Accept
///     }
/// }
///
/// impl StatShow for NoOptions {
///     fn show(&self, m: &SeqFile) {
///         seq_print!(m, "dropped {}\n", self.dropped.load(Ordering::Relaxed));
///     }
/// }
///
/// // Registered in every namespace, unregistered (hooks first waited for) on drop.
/// let filter = KBox::pin_init(Subsys::<NoOptions>::register(()), GFP_KERNEL)?;
/// assert_eq!(ELSEWHERE.load(Ordering::Relaxed), EINVAL.to_errno());
/// drop(filter);
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// Unless built inert (`registered` false), `ops` is registered in `net` from construction
/// until drop. The registration lies in `net`'s state of some [`PernetData`] type
/// ([`NetInit`]), which is dropped before `net` is freed.
#[pin_data(PinnedDrop)]
pub struct Registration<H: Hook> {
    #[pin]
    ops: Opaque<bindings::nf_hook_ops>,
    net: *mut bindings::net,
    /// False for an inert registration ([`Self::new_if`]).
    registered: bool,
    _p: PhantomData<H>,
}

// SAFETY: the kernel synchronises hook (un)registration; the object has no other state.
unsafe impl<H: Hook> Send for Registration<H> {}
// SAFETY: as above.
unsafe impl<H: Hook> Sync for Registration<H> {}

impl<H: Hook> Registration<H> {
    /// Registers `H` at `hook` with `priority` in `net`. The callback finds its state with
    /// [`PernetData::of`]: packets that arrive while the state is still being built (the
    /// registration is usually one of its fields) are accepted without calling `H`.
    ///
    /// Fails with `EINVAL` unless built as a field of `net`'s state ([`NetInit`]).
    pub fn new<'a>(
        net: &'a NetInit<'a>,
        hook: Ipv4Hook,
        priority: i32,
    ) -> impl PinInit<Self, Error> + 'a {
        Self::new_if(true, net, hook, priority)
    }

    /// As [`Self::new`] if `register`; otherwise an inert registration that hooks nothing, for
    /// state whose hook is optional (a pinned field cannot be an `Option` built in place).
    pub fn new_if<'a>(
        register: bool,
        net: &'a NetInit<'a>,
        hook: Ipv4Hook,
        priority: i32,
    ) -> impl PinInit<Self, Error> + 'a {
        let netp = net.as_ptr();
        try_pin_init!(&this in Self {
            registered: register,
            ops <- Opaque::try_ffi_init(move |slot: *mut bindings::nf_hook_ops| {
                net.holds(this.as_ptr())?;
                // SAFETY: `slot` is valid for writes; all-zero is a valid `nf_hook_ops`.
                unsafe { slot.write(core::mem::zeroed()) };
                // SAFETY: initialised above.
                let ops = unsafe { &mut *slot };
                ops.hook = Some(Self::callback);
                ops.pf = bindings::NFPROTO_IPV4 as u8;
                ops.hooknum = hook as u32;
                ops.priority = priority;
                if !register {
                    return Ok(());
                }
                // SAFETY: `slot` is pinned and unregistered in drop, before it goes away;
                // `netp` outlives the registration, a field of its state (checked above).
                to_result(unsafe { bindings::nf_register_net_hook(netp, slot) })
            }),
            net: netp,
            _p: PhantomData,
        })
    }

    /// # Safety
    ///
    /// Called by `nf_hook` only, inside its RCU read-side section, with a packet it owns and the
    /// hook state of a `Registration` of `T`.
    unsafe extern "C" fn callback(
        _priv: *mut crate::ffi::c_void,
        skb: *mut bindings::sk_buff,
        state: *const bindings::nf_hook_state,
    ) -> crate::ffi::c_uint {
        // SAFETY: `nf_hook` calls hooks with `rcu_read_lock` held, for the whole call.
        let rcu = unsafe { rcu::Guard::assume_held() };
        // SAFETY: the hook state names the namespace the packet is in, alive during the call.
        let net = unsafe { Net::from_raw((*state).net) };
        let Some(data) = H::Net::of(net, rcu) else {
            return bindings::NF_ACCEPT;
        };
        // SAFETY: an IPv4 hook gets an IPv4 packet that it owns for the call, whose header
        // `ip_rcv_core` validated (or the local stack built); at the hook points `Ipv4Hook`
        // offers, `skb->dev` is set, and the RCU section of the call keeps it allocated.
        let skb = unsafe { SkBuff::from_raw_mut(skb) };
        match H::hook(data, skb, rcu) {
            Verdict::Accept => bindings::NF_ACCEPT,
            Verdict::Drop => bindings::NF_DROP,
        }
    }
}

#[pinned_drop]
impl<H: Hook> PinnedDrop for Registration<H> {
    fn drop(self: Pin<&mut Self>) {
        if !self.registered {
            return;
        }
        // SAFETY: `ops` is registered in `net` (type invariant).
        unsafe { bindings::nf_unregister_net_hook(self.net, self.ops.get()) };
        // Unregistering only swaps the hook table; a CPU already in `callback` keeps running
        // it and using the owner's state. Wait for those (they run under `rcu_read_lock`)
        // before the owner's state can go.
        // SAFETY: drop runs in process context (namespace exit or module unload).
        unsafe { bindings::synchronize_net() };
    }
}
