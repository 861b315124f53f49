// SPDX-License-Identifier: GPL-2.0

//! Tracepoints of the IPv4 input route cache (system `rdst`).
//!
//! C header: [`include/trace/events/rdst.h`](srctree/include/trace/events/rdst.h)
//!
//! The events are defined in C the usual way, so that ftrace, perf and bpftrace see
//! `rdst:rdst_*` with typed fields and no Rust symbol names. The lifecycle events of entries
//! (`alloc`, `retire`, `garbage`, `destroy`, `dev_put`) are emitted by [`super::dst_ops`] itself; the cache's
//! decisions (`hit`, `miss`, `insert`, `decline`, `evict`, `gc`) by its user through the
//! functions here. A disabled event costs one call and a static-key test.

use super::dst::Dst;
use crate::{bindings, ffi::c_void, str::CStr};
use core::ptr;

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

fn id(dst: &Dst) -> *const c_void {
    ptr::from_ref(dst).cast()
}

/// `rdst_hit`: `entry` served the packet.
#[inline]
pub fn hit(entry: &Dst, flow: &Flow) {
    // SAFETY: the event only records the pointer value and plain integers.
    unsafe { bindings::trace_rdst_hit(id(entry), flow.daddr, flow.saddr, flow.iif) }
}

/// `rdst_miss`: the cache could not serve the packet; `stale` is the entry found out of date.
#[inline]
pub fn miss(stale: Option<&Dst>, flow: &Flow) {
    let entry = stale.map_or(ptr::null(), id);
    // SAFETY: as in `hit`.
    unsafe { bindings::trace_rdst_miss(entry, flow.daddr, flow.saddr, flow.iif) }
}

/// `rdst_insert`: `entry` now serves `flow`.
pub fn insert(entry: &Dst, flow: &Flow) {
    // SAFETY: as in `hit`.
    unsafe { bindings::trace_rdst_insert(id(entry), flow.daddr, flow.saddr, flow.iif) }
}

/// `rdst_decline`: the packet (or its route) is left to the kernel, for `reason`.
#[inline]
pub fn decline(flow: &Flow, reason: &CStr) {
    // SAFETY: `reason` is a valid C string that the event copies.
    unsafe { bindings::trace_rdst_decline(flow.daddr, flow.saddr, flow.iif, reason.as_char_ptr()) }
}

/// `rdst_evict`: `entry`, `age_ms` old, leaves the cache for `reason`.
pub fn evict(entry: &Dst, reason: &CStr, age_ms: u32) {
    // SAFETY: as in `decline`.
    unsafe { bindings::trace_rdst_evict(id(entry), reason.as_char_ptr(), age_ms) }
}

/// `rdst_gc`: a run of the collector left `cached` entries after evicting `evicted`.
pub fn gc(cached: usize, evicted: usize, garbage: usize) {
    // SAFETY: plain integers.
    unsafe { bindings::trace_rdst_gc(cached as _, evicted as _, garbage as _) }
}

pub(crate) fn alloc(entry: &Dst, oif: i32, rt_type: u8, entries: i64) {
    // SAFETY: as in `hit`.
    unsafe { bindings::trace_rdst_alloc(id(entry), oif, rt_type, entries as _) }
}

pub(crate) fn retire(entry: &Dst, others: u32, garbage: usize) {
    // SAFETY: as in `hit`.
    unsafe { bindings::trace_rdst_retire(id(entry), others, garbage as _) }
}

pub(crate) fn destroy(entry: &Dst, age_ms: u32, from_garbage: bool) {
    // SAFETY: as in `hit`.
    unsafe { bindings::trace_rdst_destroy(id(entry), age_ms, from_garbage) }
}

pub(crate) fn dev_put(ifindex: i32, count: usize) {
    // SAFETY: plain integers.
    unsafe { bindings::trace_rdst_dev_put(ifindex, count as _) }
}

pub(crate) fn garbage_enabled() -> bool {
    // SAFETY: reads a static key.
    unsafe { bindings::trace_rdst_garbage_enabled() }
}

pub(crate) fn garbage(entry: &Dst, age_ms: u32, others: u32, ifindex: i32) {
    // SAFETY: as in `hit`.
    unsafe { bindings::trace_rdst_garbage(id(entry), age_ms, others, ifindex) }
}
