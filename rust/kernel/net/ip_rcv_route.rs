// SPDX-License-Identifier: GPL-2.0

//! The IPv4 input route hook: a route cache's call in `ip_rcv_finish_core`.
//!
//! C header: [`include/net/ip_rcv_route.h`](srctree/include/net/ip_rcv_route.h)
//!
//! The kernel calls one function, for every namespace, for each received IPv4 packet that still
//! has no route where the kernel would look one up: after the `PRE_ROUTING` hooks, the
//! list-receive route hint and early demux, just before `ip_route_input_noref`. What a
//! `PRE_ROUTING` netfilter hook at `NF_IP_PRI_LAST` that attaches routes does, without
//! netfilter's dispatch, and never for the frames a bridge passes through `PRE_ROUTING` under
//! br_netfilter.

use super::{
    namespace::{Net, PernetData},
    skbuff::SkBuff,
};
use crate::{bindings, error::to_result, prelude::*, sync::rcu};
use core::marker::PhantomData;

/// A route cache's input hook with its per-namespace state `Self::Net`.
pub trait RouteInput: Sync + 'static {
    /// The per-namespace state the hook works with.
    type Net: PernetData;

    /// Called for a received packet without a route, with bottom halves disabled (in softirq,
    /// or for a packet `nf_queue` re-injects) inside an RCU read-side section (`rcu`), in the
    /// namespaces where `Self::Net` is built. The hook may attach a route; the kernel then uses
    /// it as if its own lookup had made it, so the route must be the one that lookup would give
    /// the packet. Otherwise the kernel routes it.
    fn route(net: &Self::Net, skb: &mut SkBuff, rcu: &rcu::Guard);
}

/// The registered IPv4 input route hook (`ip_rcv_route_register`): one in the whole kernel.
///
/// # Examples
///
/// A hook that counts the packets it sees in the namespaces where its state is built, and
/// leaves them all to the kernel's lookup:
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use kernel::net::{
///     ip_rcv_route::{Registration, RouteInput},
///     namespace::{NetInit, PernetData, PernetId, Subsys},
///     skbuff::SkBuff,
/// };
/// use kernel::sync::rcu;
///
/// struct Seen(AtomicU64);
/// static ID: PernetId<Seen> = PernetId::new();
///
/// impl PernetData for Seen {
///     type Shared = ();
///     const ID: &'static PernetId<Self> = &ID;
///
///     fn init<'a>(_net: &'a NetInit<'a>, _shared: &'a ()) -> impl PinInit<Self, Error> + 'a {
///         Seen(AtomicU64::new(0))
///     }
/// }
///
/// struct Counter;
///
/// impl RouteInput for Counter {
///     type Net = Seen;
///
///     fn route(seen: &Seen, _skb: &mut SkBuff, _rcu: &rcu::Guard) {
///         seen.0.fetch_add(1, Ordering::Relaxed);
///     }
/// }
///
/// let states = KBox::pin_init(Subsys::<Seen>::register(()), GFP_KERNEL)?;
/// let hook = Registration::<Counter>::register()?;
/// // One hook at a time.
/// assert_eq!(Registration::<Counter>::register().err(), Some(EBUSY));
/// // Unregistered (the CPUs in the hook waited for) on drop; the slot is free again.
/// drop(hook);
/// drop(Registration::<Counter>::register()?);
/// drop(states);
/// # Ok::<(), Error>(())
/// ```
///
/// Like any registration a module keeps, it must be dropped before the module's code goes (as
/// a field of the module's state is); a registration leaked with `mem::forget` would leave the
/// kernel calling into an unloaded module.
///
/// # Invariants
///
/// `hook` is the registered hook from construction until drop.
pub struct Registration<R: RouteInput> {
    /// The function registered, kept for unregistering: a function's address is not guaranteed
    /// to be the same each time it is taken.
    hook: unsafe extern "C" fn(*mut bindings::net, *mut bindings::sk_buff),
    _p: PhantomData<R>,
}

// SAFETY: the kernel synchronises (un)registration; the object holds only a function pointer.
unsafe impl<R: RouteInput> Send for Registration<R> {}
// SAFETY: as above.
unsafe impl<R: RouteInput> Sync for Registration<R> {}

impl<R: RouteInput> Registration<R> {
    /// Installs `R`'s hook. It finds its state with [`PernetData::of`]: in namespaces where
    /// the state is not built (yet, or any more) packets are left to the kernel.
    ///
    /// Fails with `EBUSY` if a hook is installed already.
    pub fn register() -> Result<Self> {
        let hook: unsafe extern "C" fn(*mut bindings::net, *mut bindings::sk_buff) = Self::callback;
        // SAFETY: `hook` stays callable until drop unregisters it and waits for its callers,
        // which for a function of a module happens before the module's code goes (see above).
        to_result(unsafe { bindings::ip_rcv_route_register(Some(hook)) })?;
        // INVARIANT: registered above.
        Ok(Self {
            hook,
            _p: PhantomData,
        })
    }

    /// # Safety
    ///
    /// Called by `ip_rcv_route` only, inside the receive path's RCU read-side section with bottom
    /// halves disabled, with a live namespace and a packet without a route that the receive
    /// path owns.
    unsafe extern "C" fn callback(net: *mut bindings::net, skb: *mut bindings::sk_buff) {
        // SAFETY: `ip_rcv_finish_core` runs inside `rcu_read_lock` (the receive path's, or
        // `nf_reinject`'s), for the whole call.
        let rcu = unsafe { rcu::Guard::assume_held() };
        // SAFETY: the namespace the packet is received in, alive during the call.
        let net = unsafe { Net::from_raw(net) };
        let Some(data) = R::Net::of(net, rcu) else {
            return;
        };
        // SAFETY: the packet is IPv4, owned by the receive path for the call, its header
        // validated by `ip_rcv_core`, `skb->dev` set (the device it is routed from) and kept
        // allocated by the RCU section of the call: what a `PRE_ROUTING` hook gets.
        let skb = unsafe { SkBuff::from_raw_mut(skb) };
        R::route(data, skb, rcu);
    }
}

impl<R: RouteInput> Drop for Registration<R> {
    fn drop(&mut self) {
        // SAFETY: `hook` is registered (type invariant). The call returns after every CPU that
        // was calling it has returned (`synchronize_net`); drop runs in process context.
        unsafe { bindings::ip_rcv_route_unregister(Some(self.hook)) };
    }
}
