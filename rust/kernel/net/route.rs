// SPDX-License-Identifier: GPL-2.0

//! IPv4 routes (`struct rtable`) and the kernel's own input route lookup.
//!
//! C header: [`include/net/route.h`](srctree/include/net/route.h)

use super::{
    device::NetDevice,
    dst::{Dst, NorefDst},
    skbuff::SkBuff,
};
use crate::{
    bindings,
    error::to_result,
    prelude::*,
    sync::rcu,
    types::{ARef, Opaque},
};
use core::ptr::{read_volatile, NonNull};

/// `rt_flags` bits (`RTCF_*`).
pub mod rtcf {
    /// Delivered locally.
    pub const LOCAL: u32 = bindings::RTCF_LOCAL;
    /// Broadcast.
    pub const BROADCAST: u32 = bindings::RTCF_BROADCAST;
    /// Multicast.
    pub const MULTICAST: u32 = bindings::RTCF_MULTICAST;
    /// Created from an ICMP redirect.
    pub const REDIRECTED: u32 = bindings::RTCF_REDIRECTED;
    /// Redirects are to be sent for packets using the route.
    pub const DOREDIRECT: u32 = bindings::RTCF_DOREDIRECT;
}

/// Route types (`RTN_*`).
pub mod rtn {
    /// A gateway or direct route.
    pub const UNICAST: u16 = bindings::RTN_UNICAST as u16;
    /// Accept locally.
    pub const LOCAL: u16 = bindings::RTN_LOCAL as u16;
    /// Accept locally as broadcast.
    pub const BROADCAST: u16 = bindings::RTN_BROADCAST as u16;
    /// Multicast route.
    pub const MULTICAST: u16 = bindings::RTN_MULTICAST as u16;
    /// Drop silently.
    pub const BLACKHOLE: u16 = bindings::RTN_BLACKHOLE as u16;
    /// Destination unreachable.
    pub const UNREACHABLE: u16 = bindings::RTN_UNREACHABLE as u16;
    /// Administratively prohibited.
    pub const PROHIBIT: u16 = bindings::RTN_PROHIBIT as u16;
}

/// An IPv4 route (`struct rtable`): a [`NorefDst`] followed by the IPv4 decision.
///
/// # Invariants
///
/// Same as [`NorefDst`]: alive for the reference's lifetime, its count possibly zero.
#[repr(transparent)]
pub struct Rtable(Opaque<bindings::rtable>);

impl Rtable {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an IPv4 route that stays alive for `'a`.
    pub unsafe fn from_raw<'a>(ptr: *const bindings::rtable) -> &'a Self {
        // SAFETY: transparent wrapper; validity is the caller's guarantee.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer.
    ///
    /// The fields are read through it, never through a `&bindings::rtable`: the kernel rewrites
    /// some of them in place on a route in use (`fill_route_from_fnhe`: the gateway, the PMTU,
    /// `RTCF_REDIRECTED`, `dst.expires`; `obsolete`, `lastuse` and the count on any route),
    /// which a shared reference to the whole struct would declare impossible. Those are read
    /// once each, as `READ_ONCE` does; the rest is written before the route is published.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::rtable {
        self.0.get()
    }

    /// The route's dst.
    pub fn dst(&self) -> &NorefDst {
        // SAFETY: `dst` is the first member of `rtable` and lives as long as it (the route is
        // alive: type invariant).
        unsafe { NorefDst::from_raw(&raw const (*self.as_ptr()).dst) }
    }

    /// The route type (see [`rtn`]).
    pub fn rt_type(&self) -> u16 {
        // SAFETY: alive (type invariant); set before the route is published.
        unsafe { (*self.as_ptr()).rt_type }
    }

    /// The `RTCF_*` flags (see [`rtcf`]).
    pub fn flags(&self) -> u32 {
        // SAFETY: alive (type invariant); `RTCF_REDIRECTED` may be set in place: read once.
        unsafe { read_volatile(&raw const (*self.as_ptr()).rt_flags) }
    }

    /// The routing generation the route was made under.
    pub fn genid(&self) -> i32 {
        // SAFETY: alive (type invariant); set before the route is published.
        unsafe { (*self.as_ptr()).rt_genid }
    }

    /// Whether this is an input route.
    pub fn is_input(&self) -> bool {
        // SAFETY: alive (type invariant); set before the route is published.
        unsafe { (*self.as_ptr()).rt_is_input != 0 }
    }

    /// Whether the next hop is a gateway (rather than the destination itself).
    pub fn uses_gateway(&self) -> bool {
        // SAFETY: alive (type invariant); rewritten in place with the gateway: read once.
        unsafe { read_volatile(&raw const (*self.as_ptr()).rt_uses_gateway) != 0 }
    }

    /// The gateway's address family (0, `AF_INET` or `AF_INET6`).
    pub fn gw_family(&self) -> u8 {
        // SAFETY: alive (type invariant); rewritten in place with the gateway: read once.
        unsafe { read_volatile(&raw const (*self.as_ptr()).rt_gw_family) }
    }

    /// The IPv4 gateway (network byte order), 0 without one.
    pub fn gw4(&self) -> u32 {
        if self.gw_family() == bindings::AF_INET as u8 {
            // SAFETY: alive (type invariant); the union holds `rt_gw4` when the family is
            // `AF_INET`, and an IPv4 route's gateway stays IPv4 when rewritten: read once.
            unsafe { read_volatile(&raw const (*self.as_ptr()).__bindgen_anon_1.rt_gw4) }
        } else {
            0
        }
    }

    /// A learned path MTU (from an exception), 0 without one.
    pub fn pmtu(&self) -> u32 {
        // SAFETY: alive (type invariant); the bitfield is read through the pointer, as C reads
        // `rt->rt_pmtu`.
        unsafe { bindings::rtable::rt_pmtu_raw(self.as_ptr()) }
    }

    /// Whether the route carries non-default metrics (MTU, advmss, ...) that the dst
    /// references.
    pub fn has_metrics(&self) -> bool {
        // SAFETY: the route is alive (type invariant).
        !unsafe { bindings::dst_metrics_default(&raw const (*self.as_ptr()).dst) }
    }

    /// Whether the route carries lightweight tunnel state.
    pub fn has_lwtstate(&self) -> bool {
        // SAFETY: alive (type invariant); set before the route is published.
        !unsafe { (*self.as_ptr()).dst.lwtstate }.is_null()
    }

    /// Whether the kernel keeps this route for the flows of its next hop (in the nexthop's
    /// `nhc_rth_input` or in an exception), rather than having made it for one packet or
    /// replaced it since ([`NorefDst::on_uncached_list`]). Only a kept route is marked obsolete when
    /// the decision it records changes (`update_or_create_fnhe`, `rt_fibinfo_free`), so a holder
    /// that relies on the mark must check this too, each time: `rt_cache_route` can replace a
    /// kept route at any moment without marking it.
    pub fn is_kept_by_nexthop(&self) -> bool {
        !self.dst().on_uncached_list()
    }

    /// When the route expires (jiffies), 0 for never ([`NorefDst::expires`]).
    pub fn expires(&self) -> crate::time::Jiffies {
        self.dst().expires()
    }

    /// The output device, valid for the RCU section `rcu` ([`NorefDst::dev`]).
    pub fn dev<'g>(&'g self, rcu: &'g rcu::Guard) -> &'g NetDevice {
        self.dst().dev(rcu)
    }
}

/// Asks the kernel's own IPv4 input routing for `skb`'s route (`ip_route_input_noref`) from
/// `skb`'s input device, as `ip_rcv_finish_core` would: on success the packet carries the
/// kernel's (noref) route and it is returned for inspection, valid for the RCU section `rcu`.
///
/// `tos` is the TOS byte of the header; the kernel masks it itself.
pub fn input_noref<'g>(
    skb: &mut SkBuff,
    daddr: u32,
    saddr: u32,
    tos: u8,
    _rcu: &'g rcu::Guard,
) -> Result<&'g Rtable> {
    let dev = skb.dev().as_ptr();
    // SAFETY: the packet is live and owned; `dev` is its input device; the caller is in an RCU
    // read-side section that covers the noref dst the kernel attaches.
    to_result(unsafe { bindings::ip_route_input_noref(skb.as_ptr(), daddr, saddr, tos, dev) })?;
    let dst = skb.dst().ok_or(EINVAL)?.as_ptr();
    // SAFETY: `ip_route_input_noref` attaches an IPv4 route (a `struct rtable`, the dst as its
    // first member) that lives until the end of the RCU section `'g`, whatever then happens to
    // the packet.
    Ok(unsafe { Rtable::from_raw(dst.cast()) })
}

/// An IPv4 route with a reference of its own: one the owner made, not the kernel's lookup.
///
/// # Invariants
///
/// `dst` is the dst of a `struct rtable` (its first member), counted by the `ARef`.
pub struct OwnedRoute {
    dst: ARef<Dst>,
}

impl OwnedRoute {
    /// Allocates a route of type `rt_type` out of `dev`, as IPv4 does for a decision it makes
    /// (`rt_dst_alloc`): its fields are the kernel's defaults. For owners that build routes of
    /// their own, and for tests that need one without a packet.
    pub fn alloc(dev: &NetDevice, rt_type: u16) -> Result<Self> {
        // SAFETY: `dev` is a live device; `rt_dst_alloc` takes its own reference on it and
        // returns a route with one reference, or null.
        let rt = unsafe { bindings::rt_dst_alloc(dev.as_ptr(), 0, rt_type, false) };
        let rt = NonNull::new(rt).ok_or(ENOMEM)?;
        // SAFETY: the route's one reference is handed to the `ARef`; its dst is its first
        // member, and `Dst` is a transparent wrapper of `struct dst_entry`.
        let dst = unsafe { ARef::from_raw(rt.cast()) };
        // INVARIANT: `dst` is the dst of the route just allocated.
        Ok(Self { dst })
    }
}

impl core::ops::Deref for OwnedRoute {
    type Target = Rtable;

    fn deref(&self) -> &Rtable {
        // SAFETY: the dst is the first member of a route (type invariant), alive while the
        // reference is held.
        unsafe { Rtable::from_raw(self.dst.as_ptr().cast()) }
    }
}
