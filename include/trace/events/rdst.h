/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rdst: IPv4 input route cache events.
 *
 * The entry lifecycle (alloc, insert, hit, evict, retire, garbage, destroy,
 * dev_put) and the decisions (miss, decline, gc) of rdst's cache, emitted through the
 * Rust abstractions in rust/kernel/net/dst_trace.rs.  An entry is identified
 * by its address, stable from alloc to destroy.  Addresses are recorded as
 * network-order u32 so that tools can ntop() them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM rdst

#if !defined(_TRACE_RDST_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_RDST_H

#include <linux/tracepoint.h>
#include <linux/types.h>

/* A packet's flow, as rdst keys it. */
DECLARE_EVENT_CLASS(rdst_flow,

	TP_PROTO(const void *dst, __be32 daddr, __be32 saddr, int iif),

	TP_ARGS(dst, daddr, saddr, iif),

	TP_STRUCT__entry(
		__field(const void *,	dst)
		__field(__be32,		daddr)
		__field(__be32,		saddr)
		__field(int,		iif)
	),

	TP_fast_assign(
		__entry->dst = dst;
		__entry->daddr = daddr;
		__entry->saddr = saddr;
		__entry->iif = iif;
	),

	TP_printk("dst=%p daddr=%pI4 saddr=%pI4 iif=%d", __entry->dst,
		  &__entry->daddr, &__entry->saddr, __entry->iif)
);

/* A packet served from the cache: its dst is the entry, attached noref. */
DEFINE_EVENT(rdst_flow, rdst_hit,
	TP_PROTO(const void *dst, __be32 daddr, __be32 saddr, int iif),
	TP_ARGS(dst, daddr, saddr, iif));

/* A packet the cache could not serve: the kernel's own routing runs. */
DEFINE_EVENT(rdst_flow, rdst_miss,
	TP_PROTO(const void *dst, __be32 daddr, __be32 saddr, int iif),
	TP_ARGS(dst, daddr, saddr, iif));

/* A new entry went into the hash table. */
DEFINE_EVENT(rdst_flow, rdst_insert,
	TP_PROTO(const void *dst, __be32 daddr, __be32 saddr, int iif),
	TP_ARGS(dst, daddr, saddr, iif));

/* A packet (or its route) the cache does not take, and why. */
TRACE_EVENT(rdst_decline,

	TP_PROTO(__be32 daddr, __be32 saddr, int iif, const char *reason),

	TP_ARGS(daddr, saddr, iif, reason),

	TP_STRUCT__entry(
		__field(__be32,		daddr)
		__field(__be32,		saddr)
		__field(int,		iif)
		__string(reason,	reason)
	),

	TP_fast_assign(
		__entry->daddr = daddr;
		__entry->saddr = saddr;
		__entry->iif = iif;
		__assign_str(reason);
	),

	TP_printk("daddr=%pI4 saddr=%pI4 iif=%d reason=%s", &__entry->daddr,
		  &__entry->saddr, __entry->iif, __get_str(reason))
);

/* An entry was allocated from the ops' slab, copying a kernel route. */
TRACE_EVENT(rdst_alloc,

	TP_PROTO(const void *dst, int oif, u8 rt_type, long entries),

	TP_ARGS(dst, oif, rt_type, entries),

	TP_STRUCT__entry(
		__field(const void *,	dst)
		__field(int,		oif)
		__field(u8,		rt_type)
		__field(long,		entries)
	),

	TP_fast_assign(
		__entry->dst = dst;
		__entry->oif = oif;
		__entry->rt_type = rt_type;
		__entry->entries = entries;
	),

	TP_printk("dst=%p oif=%d type=%u entries=%ld", __entry->dst,
		  __entry->oif, __entry->rt_type, __entry->entries)
);

/* An entry left the hash table; it goes to the garbage list next. */
TRACE_EVENT(rdst_evict,

	TP_PROTO(const void *dst, const char *reason, unsigned int age_ms),

	TP_ARGS(dst, reason, age_ms),

	TP_STRUCT__entry(
		__field(const void *,	dst)
		__field(unsigned int,	age_ms)
		__string(reason,	reason)
	),

	TP_fast_assign(
		__entry->dst = dst;
		__entry->age_ms = age_ms;
		__assign_str(reason);
	),

	TP_printk("dst=%p reason=%s age_ms=%u", __entry->dst,
		  __get_str(reason), __entry->age_ms)
);

/*
 * The cache gave up its reference.  refcnt is what others still hold:
 * 0 means the entry is being freed now, otherwise it waits on the garbage
 * list (garbage entries long, counting it) for its last holder.
 */
TRACE_EVENT(rdst_retire,

	TP_PROTO(const void *dst, unsigned int refcnt, unsigned long garbage),

	TP_ARGS(dst, refcnt, garbage),

	TP_STRUCT__entry(
		__field(const void *,	dst)
		__field(unsigned int,	refcnt)
		__field(unsigned long,	garbage)
	),

	TP_fast_assign(
		__entry->dst = dst;
		__entry->refcnt = refcnt;
		__entry->garbage = garbage;
	),

	TP_printk("dst=%p refcnt=%u garbage=%lu", __entry->dst,
		  __entry->refcnt, __entry->garbage)
);

/* dst_ops.destroy: the last reference went; age since alloc. */
TRACE_EVENT(rdst_destroy,

	TP_PROTO(const void *dst, unsigned int age_ms, bool garbage),

	TP_ARGS(dst, age_ms, garbage),

	TP_STRUCT__entry(
		__field(const void *,	dst)
		__field(unsigned int,	age_ms)
		__field(bool,		garbage)
	),

	TP_fast_assign(
		__entry->dst = dst;
		__entry->age_ms = age_ms;
		__entry->garbage = garbage;
	),

	TP_printk("dst=%p age_ms=%u from_garbage=%d", __entry->dst,
		  __entry->age_ms, __entry->garbage)
);

/*
 * One entry still on the garbage list, reported by a walk of the list (on
 * gc runs, device events and reads of /proc/net/stat/rdst, while this event
 * is enabled): retired age_ms ago and still held by refcnt others.
 */
TRACE_EVENT(rdst_garbage,

	TP_PROTO(const void *dst, unsigned int age_ms, unsigned int refcnt, int ifindex),

	TP_ARGS(dst, age_ms, refcnt, ifindex),

	TP_STRUCT__entry(
		__field(const void *,	dst)
		__field(unsigned int,	age_ms)
		__field(unsigned int,	refcnt)
		__field(int,		ifindex)
	),

	TP_fast_assign(
		__entry->dst = dst;
		__entry->age_ms = age_ms;
		__entry->refcnt = refcnt;
		__entry->ifindex = ifindex;
	),

	TP_printk("dst=%p retired_ms=%u refcnt=%u ifindex=%d", __entry->dst,
		  __entry->age_ms, __entry->refcnt, __entry->ifindex)
);

/* One run of dst_ops.gc: what is cached after it, what it evicted. */
TRACE_EVENT(rdst_gc,

	TP_PROTO(unsigned long cached, unsigned long evicted, unsigned long garbage),

	TP_ARGS(cached, evicted, garbage),

	TP_STRUCT__entry(
		__field(unsigned long,	cached)
		__field(unsigned long,	evicted)
		__field(unsigned long,	garbage)
	),

	TP_fast_assign(
		__entry->cached = cached;
		__entry->evicted = evicted;
		__entry->garbage = garbage;
	),

	TP_printk("cached=%lu evicted=%lu garbage=%lu", __entry->cached,
		  __entry->evicted, __entry->garbage)
);

/* Garbage entries pointing at an unregistering device were moved off it. */
TRACE_EVENT(rdst_dev_put,

	TP_PROTO(int ifindex, unsigned long count),

	TP_ARGS(ifindex, count),

	TP_STRUCT__entry(
		__field(int,		ifindex)
		__field(unsigned long,	count)
	),

	TP_fast_assign(
		__entry->ifindex = ifindex;
		__entry->count = count;
	),

	TP_printk("ifindex=%d count=%lu", __entry->ifindex, __entry->count)
);

#endif /* _TRACE_RDST_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
