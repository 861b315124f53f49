// SPDX-License-Identifier: GPL-2.0

/*
 * rdst's tracepoints (include/trace/events/rdst.h, instantiated in
 * net/core/net-traces.c).  Rust tests each event's static key inline
 * (kernel::static_branch_unlikely!) and calls these only while it is enabled.
 */

#include <trace/events/rdst.h>

void rust_helper_trace_rdst_hit(const void *dst, __be32 daddr, __be32 saddr, int iif)
{
	trace_rdst_hit(dst, daddr, saddr, iif);
}

void rust_helper_trace_rdst_miss(const void *dst, __be32 daddr, __be32 saddr, int iif)
{
	trace_rdst_miss(dst, daddr, saddr, iif);
}

void rust_helper_trace_rdst_insert(const void *dst, __be32 daddr, __be32 saddr, int iif)
{
	trace_rdst_insert(dst, daddr, saddr, iif);
}

void rust_helper_trace_rdst_decline(__be32 daddr, __be32 saddr, int iif, const char *reason)
{
	trace_rdst_decline(daddr, saddr, iif, reason);
}

void rust_helper_trace_rdst_alloc(const void *dst, int oif, u8 rt_type, long entries)
{
	trace_rdst_alloc(dst, oif, rt_type, entries);
}

void rust_helper_trace_rdst_evict(const void *dst, const char *reason, unsigned int age_ms)
{
	trace_rdst_evict(dst, reason, age_ms);
}

void rust_helper_trace_rdst_retire(const void *dst, unsigned int refcnt, unsigned long garbage)
{
	trace_rdst_retire(dst, refcnt, garbage);
}

void rust_helper_trace_rdst_destroy(const void *dst, unsigned int age_ms, bool garbage)
{
	trace_rdst_destroy(dst, age_ms, garbage);
}

void rust_helper_trace_rdst_gc(unsigned long cached, unsigned long evicted, unsigned long garbage)
{
	trace_rdst_gc(cached, evicted, garbage);
}

void rust_helper_trace_rdst_dev_put(int ifindex, unsigned long count)
{
	trace_rdst_dev_put(ifindex, count);
}

void rust_helper_trace_rdst_garbage(const void *dst, unsigned int age_ms, unsigned int refcnt,
				    int ifindex)
{
	trace_rdst_garbage(dst, age_ms, refcnt, ifindex);
}
