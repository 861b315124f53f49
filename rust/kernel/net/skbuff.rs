// SPDX-License-Identifier: GPL-2.0

//! Socket buffers, as seen by a packet hook: IPv4 header fields and the attached dst.
//!
//! C headers: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h),
//! [`include/net/dst.h`](srctree/include/net/dst.h), [`include/net/ip.h`](srctree/include/net/ip.h)

use super::{
    device::NetDevice,
    dst::{Dst, NorefDst},
};
use crate::{bindings, sync::rcu, types::ARef, types::Opaque};

/// `IPCB(skb)->flags` bits that input routing sets (`IPSKB_*` in `include/net/ip.h`, defined
/// with `BIT()`, which bindgen cannot evaluate).
pub mod ipskb {
    /// ICMP redirects should be sent for this packet (`__mkroute_input`).
    pub const DOREDIRECT: u16 = 1 << 5;
    /// Received on an L3 master device's slave.
    pub const L3SLAVE: u16 = 1 << 7;
    /// The input device has `disable_policy` set.
    pub const NOPOLICY: u16 = 1 << 8;
    /// Routed through a multipath route: the hash chose the next hop.
    pub const MULTIPATH: u16 = 1 << 9;
}

/// The IPv4 header fields input routing depends on, in network byte order where the header has
/// them so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Header {
    /// Destination address (network byte order).
    pub daddr: u32,
    /// Source address (network byte order).
    pub saddr: u32,
    /// The TOS byte (DSCP and ECN).
    pub tos: u8,
    /// Time to live.
    pub ttl: u8,
    /// Header length in 32-bit words (5 without options).
    pub ihl: u8,
    /// Fragment offset and flags (network byte order).
    pub frag_off: u16,
    /// The L4 protocol.
    pub protocol: u8,
}

impl Ipv4Header {
    /// Whether the header carries IP options.
    pub fn has_options(&self) -> bool {
        self.ihl > 5
    }

    /// Whether the packet is a fragment (MF set or a non-zero offset).
    pub fn is_fragment(&self) -> bool {
        u16::from_be(self.frag_off) & 0x3fff != 0
    }

    /// The DSCP part of the TOS byte, as `ip_route_input_noref` masks it.
    pub fn dscp(&self) -> u8 {
        self.tos & bindings::INET_DSCP_MASK as u8
    }
}

/// A socket buffer borrowed by a packet hook.
///
/// # Invariants
///
/// A `&SkBuff`/`&mut SkBuff` refers to a live `sk_buff` whose network header is an IPv4
/// header that `ip_rcv_core` validated and pulled (the `NF_INET_PRE_ROUTING` contract) and
/// whose `skb->dev` is set and stays allocated for the reference's lifetime; a `&mut` is only
/// created by the code path that owns the packet.
#[repr(transparent)]
pub struct SkBuff(Opaque<bindings::sk_buff>);

impl SkBuff {
    /// Creates a mutable reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be an IPv4 packet that satisfies the type invariants (its device too) and that
    /// the caller owns exclusively for `'a`.
    pub unsafe fn from_raw_mut<'a>(ptr: *mut bindings::sk_buff) -> &'a mut Self {
        // SAFETY: transparent wrapper; the rest is the caller's guarantee.
        unsafe { &mut *ptr.cast() }
    }

    /// Returns the raw pointer.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::sk_buff {
        self.0.get()
    }

    // The accessors below read the fields a hook needs on every packet through bindgen's
    // layout of `struct sk_buff`, inline, instead of calling a C helper each: the hot path of a
    // hook is a handful of loads. bindgen names anonymous members by position
    // (`__bindgen_anon_N`); a layout that moves them fails to compile here.

    /// `&skb->headers`, the `struct_group` that holds the packet's offsets and mark.
    #[inline]
    fn headers(&self) -> *mut bindings::sk_buff__bindgen_ty_4__bindgen_ty_1 {
        // SAFETY: the packet is live (type invariant); `headers` is a member of a union at
        // offset 0 of `__bindgen_anon_4`, which only a pointer is taken of.
        unsafe { (&raw mut (*self.as_ptr()).__bindgen_anon_4).cast() }
    }

    /// `&skb->_skb_refdst`: the attached dst, `SKB_DST_NOREF` in bit 0.
    #[inline]
    fn refdst(&self) -> *mut crate::ffi::c_ulong {
        // SAFETY: the packet is live (type invariant); only a pointer is taken.
        unsafe {
            &raw mut (*self.as_ptr())
                .__bindgen_anon_3
                .__bindgen_anon_1
                ._skb_refdst
        }
    }

    /// The IPv4 header fields.
    #[inline]
    pub fn ipv4_header(&self) -> Ipv4Header {
        // SAFETY: `ip_hdr`: `skb->head + skb->network_header` is a validated, linear IPv4 header
        // (type invariant) that the packet's owner does not change while it is borrowed.
        let iph = unsafe {
            let skb = self.as_ptr();
            &*(*skb)
                .head
                .add(usize::from((*self.headers()).network_header))
                .cast::<bindings::iphdr>()
        };
        Ipv4Header {
            // SAFETY: both views of the address union are plain `__be32` pairs.
            daddr: unsafe { iph.__bindgen_anon_1.addrs.daddr },
            // SAFETY: as above.
            saddr: unsafe { iph.__bindgen_anon_1.addrs.saddr },
            tos: iph.tos,
            ttl: iph.ttl,
            ihl: iph.ihl(),
            frag_off: iph.frag_off,
            protocol: iph.protocol,
        }
    }

    /// The device the packet is on (`skb->dev`): the one it arrived on, or at
    /// [`Ipv4Hook::PostRouting`](super::netfilter::Ipv4Hook::PostRouting) the one it leaves by.
    #[inline]
    pub fn dev(&self) -> &NetDevice {
        // SAFETY: `skb->dev` is set and allocated for `self`'s lifetime (type invariant): a hook
        // gets the packet for its call only, at a point where the device is set (`Ipv4Hook`
        // offers no other). The packet takes no reference on the device; what keeps it
        // allocated is that the call runs in an RCU read-side critical section (`nf_hook`)
        // and a device is freed only after a grace
        // period following its unlisting (`synchronize_net` in `unregister_netdevice_many_notify`).
        unsafe {
            NetDevice::from_raw(
                (*self.as_ptr())
                    .__bindgen_anon_1
                    .__bindgen_anon_1
                    .__bindgen_anon_1
                    .dev,
            )
        }
    }

    /// The packet mark.
    #[inline]
    pub fn mark(&self) -> u32 {
        // SAFETY: the packet is live (type invariant); the mark is a plain `u32`.
        unsafe { (*self.headers()).__bindgen_anon_4.mark }
    }

    /// Whether a socket is attached (early demux, TPROXY).
    #[inline]
    pub fn has_sock(&self) -> bool {
        // SAFETY: the packet is live (type invariant).
        unsafe { !(*self.as_ptr()).sk.is_null() }
    }

    /// Whether the packet carries tunnel metadata (collect_md tunnels), which routing keys on.
    #[inline]
    pub fn has_tunnel_info(&self) -> bool {
        // Tunnel metadata rides on a metadata dst: no dst, no metadata (`skb_tunnel_info`).
        // SAFETY: the packet is live (type invariant).
        unsafe { *self.refdst() != 0 && bindings::skb_has_tunnel_info(self.as_ptr()) }
    }

    /// Whether br_netfilter is passing the bridged frame through the IPv4 `PRE_ROUTING` hooks
    /// (`bridge-nf-call-iptables`): the bridge forwards it, nothing routes it, and
    /// `skb->dev` is the bridge device (`nf_bridge_in_prerouting`).
    #[inline]
    pub fn is_bridged_prerouting(&self) -> bool {
        // br_netfilter's state is an skb extension: none active, none to look at.
        // SAFETY: the packet is live (type invariant).
        unsafe {
            (*self.as_ptr()).active_extensions != 0
                && bindings::nf_bridge_in_prerouting(self.as_ptr())
        }
    }

    /// The attached dst, if any: borrowed without a reference of its own whether or not the
    /// packet holds one (`SKB_DST_NOREF`), since the packet may drop it as soon as it is not
    /// borrowed any more.
    #[inline]
    pub fn dst(&self) -> Option<&NorefDst> {
        // `skb_dst`: the pointer without its `SKB_DST_NOREF` bit.
        // SAFETY: the packet is live (type invariant).
        let dst = (unsafe { *self.refdst() } & !(bindings::SKB_DST_NOREF as crate::ffi::c_ulong))
            as *const bindings::dst_entry;
        // SAFETY: a counted dst lives while the packet holds it; a noref one was attached inside
        // the RCU section the packet is still processed in. `&self` keeps the packet, and so the
        // attachment, unchanged for the borrow.
        (!dst.is_null()).then(|| unsafe { NorefDst::from_raw(dst) })
    }

    /// Whether the attached dst is held without a reference (`SKB_DST_NOREF`).
    pub fn dst_is_noref(&self) -> bool {
        // SAFETY: the packet is live (type invariant).
        unsafe { bindings::skb_dst_is_noref(self.as_ptr()) }
    }

    /// Attaches `dst`, handing the packet the reference (`skb_dst_set`). A dst already attached
    /// is released first.
    pub fn set_dst(&mut self, dst: ARef<Dst>) {
        self.drop_dst();
        // SAFETY: `skb_dst_set` consumes the reference `dst` owns, hence the `forget`.
        unsafe { bindings::skb_dst_set(self.as_ptr(), dst.as_ptr()) };
        core::mem::forget(dst);
    }

    /// Attaches `dst` without taking a reference (`skb_dst_set_noref`): no atomic operation,
    /// valid while the RCU section `rcu` is. A dst already attached is released first.
    #[inline]
    pub fn set_dst_noref<'g>(&mut self, dst: &'g NorefDst, _rcu: &'g rcu::Guard) {
        self.drop_dst();
        // `skb_dst_set_noref`, whose RCU check `_rcu` makes static.
        // SAFETY: the packet is live and owned (type invariant). `dst` stays alive until the
        // end of the RCU section: the caller can only have borrowed it for `'g` from an
        // RCU-protected structure whose entries are freed after a grace period. Whoever keeps
        // the packet past the section calls `skb_dst_force`.
        unsafe {
            bindings::sk_buff__bindgen_ty_4__bindgen_ty_1::set_slow_gro_raw(self.headers(), 1);
            *self.refdst() = dst.as_ptr() as crate::ffi::c_ulong
                | bindings::SKB_DST_NOREF as crate::ffi::c_ulong;
        }
    }

    /// Turns a noref dst into a counted one, as needed before the packet leaves the RCU
    /// section (`skb_dst_force`). Returns false when the dst was already dead and got dropped.
    pub fn force_dst(&mut self) -> bool {
        // SAFETY: the packet is live and owned (type invariant).
        unsafe { bindings::skb_dst_force(self.as_ptr()) }
    }

    /// Copies `other`'s dst to this packet with the `skb_dst_copy` rule: a noref dst stays
    /// noref, a counted one gains a reference.
    pub fn copy_dst_from(&mut self, other: &SkBuff) {
        self.drop_dst();
        // SAFETY: both packets are live; `self` is owned (type invariant).
        unsafe { bindings::skb_dst_copy(self.as_ptr(), other.as_ptr()) };
    }

    /// Releases the attached dst, if any (`skb_dst_drop`).
    #[inline]
    pub fn drop_dst(&mut self) {
        // SAFETY: the packet is live and owned (type invariant).
        if unsafe { *self.refdst() } != 0 {
            // SAFETY: as above.
            unsafe { bindings::skb_dst_drop(self.as_ptr()) };
        }
    }

    /// The IPv4 control block flags (`IPCB(skb)->flags`, see [`ipskb`]).
    #[inline]
    pub fn ipcb_flags(&self) -> u16 {
        // SAFETY: `ip_rcv_core` initialised the control block as an `inet_skb_parm` (`IPCB`).
        unsafe { (*self.ipcb()).flags }
    }

    /// Sets the IPv4 control block flags in `flags`.
    #[inline]
    pub fn set_ipcb_flags(&mut self, flags: u16) {
        // SAFETY: as above; the packet is owned.
        unsafe { (*self.ipcb()).flags |= flags };
    }

    /// `IPCB(skb)`: the control block as IPv4 uses it.
    #[inline]
    fn ipcb(&self) -> *mut bindings::inet_skb_parm {
        // SAFETY: the packet is live (type invariant); only a pointer is taken.
        unsafe { (&raw mut (*self.as_ptr()).cb).cast() }
    }
}
