// SPDX-License-Identifier: GPL-2.0

//! Tracepoints of the IPv4 input route cache (system `rdst`).
//!
//! C header: [`include/trace/events/rdst.h`](srctree/include/trace/events/rdst.h)
//!
//! The events are defined in C the usual way, so that ftrace, perf and bpftrace see
//! `rdst:rdst_*` with typed fields and no Rust symbol names. The lifecycle events of entries
//! (`alloc`, `retire`, `garbage`, `destroy`, `dev_put`) are emitted by [`super::dst_ops`] itself; the cache's
//! decisions (`hit`, `miss`, `insert`, `decline`, `evict`, `gc`) by its user through the
//! functions here. A disabled event costs a no-op: each function tests its event's static key
//! inline ([`crate::static_branch_unlikely!`], as upstream's `declare_trace!`) and calls the C
//! helper that emits the event only while the event is enabled.

use super::dst::NorefDst;
use crate::{bindings, ffi::c_void, str::CStr};
use core::ptr;

// Only the statics' addresses and their `key` are used; `struct tracepoint` reaches types
// bindgen leaves empty, as the `bindings` crate allows.
#[allow(improper_ctypes)]
extern "C" {
    // Defined by `net/core/net-traces.c` (`CREATE_TRACE_POINTS`), exported with
    // `EXPORT_TRACEPOINT_SYMBOL_GPL`.
    static __tracepoint_rdst_hit: bindings::tracepoint;
    static __tracepoint_rdst_miss: bindings::tracepoint;
    static __tracepoint_rdst_insert: bindings::tracepoint;
    static __tracepoint_rdst_decline: bindings::tracepoint;
    static __tracepoint_rdst_evict: bindings::tracepoint;
    static __tracepoint_rdst_gc: bindings::tracepoint;
    static __tracepoint_rdst_alloc: bindings::tracepoint;
    static __tracepoint_rdst_retire: bindings::tracepoint;
    static __tracepoint_rdst_destroy: bindings::tracepoint;
    static __tracepoint_rdst_dev_put: bindings::tracepoint;
    static __tracepoint_rdst_garbage: bindings::tracepoint;
}

/// Whether the tracepoint `__tracepoint_$event` has a probe attached.
macro_rules! enabled {
    ($tracepoint:ident) => {
        // SAFETY: a tracepoint's `key` is a static key, always valid to test.
        unsafe { crate::static_branch_unlikely!($tracepoint, bindings::tracepoint, key) }
    };
}

/// A packet's flow as the cache keys it, addresses in network byte order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    /// Destination address (`iph->daddr`).
    pub daddr: u32,
    /// Source address (`iph->saddr`).
    pub saddr: u32,
    /// Input interface index.
    pub iif: i32,
}

fn id(dst: &NorefDst) -> *const c_void {
    ptr::from_ref(dst).cast()
}

/// `rdst_hit`: `entry` served the packet.
#[inline]
pub fn hit(entry: &NorefDst, flow: &Flow) {
    if enabled!(__tracepoint_rdst_hit) {
        // SAFETY: the event only records the pointer value and plain integers.
        unsafe { bindings::trace_rdst_hit(id(entry), flow.daddr, flow.saddr, flow.iif) }
    }
}

/// `rdst_miss`: the cache could not serve the packet; `stale` is the entry found out of date.
#[inline]
pub fn miss(stale: Option<&NorefDst>, flow: &Flow) {
    if enabled!(__tracepoint_rdst_miss) {
        let entry = stale.map_or(ptr::null(), id);
        // SAFETY: as in `hit`.
        unsafe { bindings::trace_rdst_miss(entry, flow.daddr, flow.saddr, flow.iif) }
    }
}

/// `rdst_insert`: `entry` now serves `flow`.
pub fn insert(entry: &NorefDst, flow: &Flow) {
    if enabled!(__tracepoint_rdst_insert) {
        // SAFETY: as in `hit`.
        unsafe { bindings::trace_rdst_insert(id(entry), flow.daddr, flow.saddr, flow.iif) }
    }
}

/// `rdst_decline`: the packet (or its route) is left to the kernel, for `reason`.
#[inline]
pub fn decline(flow: &Flow, reason: &CStr) {
    if enabled!(__tracepoint_rdst_decline) {
        // SAFETY: `reason` is a valid C string that the event copies.
        unsafe {
            bindings::trace_rdst_decline(flow.daddr, flow.saddr, flow.iif, reason.as_char_ptr())
        }
    }
}

/// `rdst_evict`: `entry`, `age_ms` old, leaves the cache for `reason`.
pub fn evict(entry: &NorefDst, reason: &CStr, age_ms: u32) {
    if enabled!(__tracepoint_rdst_evict) {
        // SAFETY: as in `decline`.
        unsafe { bindings::trace_rdst_evict(id(entry), reason.as_char_ptr(), age_ms) }
    }
}

/// `rdst_gc`: a run of the collector left `cached` entries after evicting `evicted`.
pub fn gc(cached: usize, evicted: usize, garbage: usize) {
    if enabled!(__tracepoint_rdst_gc) {
        // SAFETY: plain integers.
        unsafe { bindings::trace_rdst_gc(cached as _, evicted as _, garbage as _) }
    }
}

pub(crate) fn alloc(entry: &NorefDst, oif: i32, rt_type: u8, entries: i64) {
    if enabled!(__tracepoint_rdst_alloc) {
        // SAFETY: as in `hit`.
        unsafe { bindings::trace_rdst_alloc(id(entry), oif, rt_type, entries as _) }
    }
}

pub(crate) fn retire(entry: &NorefDst, others: u32, garbage: usize) {
    if enabled!(__tracepoint_rdst_retire) {
        // SAFETY: as in `hit`.
        unsafe { bindings::trace_rdst_retire(id(entry), others, garbage as _) }
    }
}

pub(crate) fn destroy(entry: &NorefDst, age_ms: u32, from_garbage: bool) {
    if enabled!(__tracepoint_rdst_destroy) {
        // SAFETY: as in `hit`.
        unsafe { bindings::trace_rdst_destroy(id(entry), age_ms, from_garbage) }
    }
}

pub(crate) fn dev_put(ifindex: i32, count: usize) {
    if enabled!(__tracepoint_rdst_dev_put) {
        // SAFETY: plain integers.
        unsafe { bindings::trace_rdst_dev_put(ifindex, count as _) }
    }
}

pub(crate) fn garbage_enabled() -> bool {
    enabled!(__tracepoint_rdst_garbage)
}

pub(crate) fn garbage(entry: &NorefDst, age_ms: u32, others: u32, ifindex: i32) {
    if enabled!(__tracepoint_rdst_garbage) {
        // SAFETY: as in `hit`.
        unsafe { bindings::trace_rdst_garbage(id(entry), age_ms, others, ifindex) }
    }
}
