/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A route cache's hook in IPv4 input.
 *
 * ip_rcv_finish_core() calls the hook for a packet that still has no route
 * where it would look one up: after the PRE_ROUTING hooks (which may have
 * rewritten the addresses), the list-receive route hint and early demux,
 * just before ip_route_input_noref().  The hook may attach a route, which
 * the kernel then uses as if its own lookup had made it, or leave the
 * packet to that lookup.  Compared with a PRE_ROUTING hook at
 * NF_IP_PRI_LAST that routes, it costs no netfilter dispatch, runs after
 * every PRE_ROUTING hook whatever their priorities, leaves the route hint
 * and early demux to the kernel, and never sees the frames a bridge passes
 * through PRE_ROUTING under br_netfilter, which nothing routes.
 *
 * One hook at a time: a second registration fails with -EBUSY.  While none
 * is registered the call site costs one load of a read-mostly pointer (no
 * static key: toggling one patches ip_rcv_finish_core() at every
 * registration, under traffic).
 */
#ifndef _NET_IP_RCV_ROUTE_H
#define _NET_IP_RCV_ROUTE_H

#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>

struct net;

/*
 * Called inside the receive path's RCU read-side section with bottom halves
 * disabled (softirq, or a packet nf_queue re-injects), with skb->dev the
 * device the kernel would route the packet from.  It must not free the
 * packet, change its headers, or attach anything but the route the kernel's
 * lookup would give it; a route attached without a reference must stay
 * valid until the end of the RCU section.
 */
typedef void ip_rcv_route_fn_t(struct net *net, struct sk_buff *skb);

/* For ip_rcv_route() only: exported in a namespace for a module that times it. */
extern ip_rcv_route_fn_t __rcu *ip_rcv_route_hook;

int ip_rcv_route_register(ip_rcv_route_fn_t *fn);
void ip_rcv_route_unregister(ip_rcv_route_fn_t *fn);

/*
 * The call site, for ip_rcv_finish_core() (and a benchmark that times it).
 * @dev is the device the packet is routed from: a packet an L3 master device
 * took over (skb->dev changed by l3mdev_ip_rcv()) is left to the kernel.
 */
static inline void ip_rcv_route(struct net *net, struct sk_buff *skb,
				const struct net_device *dev)
{
	ip_rcv_route_fn_t *fn = rcu_dereference(ip_rcv_route_hook);

	if (fn && !skb_dst(skb) && skb->dev == dev)
		fn(net, skb);
}

#endif /* _NET_IP_RCV_ROUTE_H */
