// SPDX-License-Identifier: GPL-2.0
/*
 * rdst_kbench: the per-lookup cost of rdst's hit path against the kernel's
 * own input route lookup, in the manner of David S. Miller's kbench_mod:
 * one prepared packet, the same flow and configuration, a loop timed in the
 * kernel, results in the kernel log.  Loaded by `make bench`:
 *
 *   ip netns exec NS insmod rdst_kbench.ko iif=rtr0 src=192.0.2.2 \
 *           dst=203.0.113.1 [tos=0] [iters=1000000]
 *
 * in the namespace of the router (the loading process's).  It measures
 *
 *   kernel:   ip_route_input_noref() then skb_dst_drop(): what the stack
 *             does for a packet rdst does not serve;
 *   prerouting: nf_hook(NFPROTO_IPV4, NF_INET_PRE_ROUTING) then
 *             skb_dst_drop(): every PRE_ROUTING hook of the namespace, which
 *             with rdst loaded and the flow cached is rdst's hit (the
 *             packet leaves the hooks with rdst's dst), and without rdst an
 *             empty hook list;
 *   hookfns:  the same hook functions called one after the other with a
 *             state prepared once, as nf_hook_slow() calls them but without
 *             nf_hook()'s dispatch: against prerouting, what netfilter adds
 *             to a hook's work;
 *   direct:   ip_rcv_route() then skb_dst_drop(): the input route hook
 *             exactly as ip_rcv_finish_core() calls it (the inline of
 *             include/net/ip_rcv_route.h), which with rdst loaded as it is
 *             by default (direct_hook=Y) and the flow cached is rdst's hit,
 *             and otherwise a NULL pointer test;
 *
 * interleaved in ROUNDS rounds, and logs the median ns per lookup of each,
 * with the smallest and largest round, and for each variant but the
 * kernel's whether the packet left it with a dst (`served`).  Loading
 * always fails with -EAGAIN once the figures are logged, so the module
 * never stays (kbench_mod did the same).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/ip.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/skbuff.h>
#include <linux/sort.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ip_rcv_route.h>
#include <net/route.h>

#define ROUNDS 11
/* Lookups with bottom halves off at a time: short enough for a responsive
 * guest under TCG, long enough that the clock reads do not count.
 */
#define CHUNK 1000

static char *iif = "";
module_param(iif, charp, 0);
MODULE_PARM_DESC(iif, "input device of the packet (in the loading process's namespace)");
static char *src = "";
module_param(src, charp, 0);
MODULE_PARM_DESC(src, "source address, dotted quad");
static char *dst = "";
module_param(dst, charp, 0);
MODULE_PARM_DESC(dst, "destination address, dotted quad");
static uint tos;
module_param(tos, uint, 0);
MODULE_PARM_DESC(tos, "TOS byte (default 0)");
static uint iters = 1000000;
module_param(iters, uint, 0);
MODULE_PARM_DESC(iters, "lookups per variant (default 1000000)");

enum variant { KERNEL, PREROUTING, HOOKFNS, DIRECT, VARIANTS };
static const char *const names[VARIANTS] = { "kernel", "prerouting", "hookfns", "direct" };

static int okfn(struct net *net, struct sock *sk, struct sk_buff *skb)
{
	return 0;
}

/* What a lookup did with the packet. */
enum outcome {
	ROUTED,		/* it has a dst: the kernel's, or rdst's */
	UNROUTED,	/* the kernel found no route; the hooks set no dst */
	CONSUMED,	/* a hook did not accept it: the packet is gone */
};

/* The namespace's PRE_ROUTING hooks called in turn, each having to accept
 * the packet (as nf_hook_slow() does, less its verdict handling): 1 when all
 * did, as nf_hook() returns.  state is prepared once by the caller.
 */
static int hook_fns(struct net *net, struct sk_buff *skb, struct nf_hook_state *state)
{
	const struct nf_hook_entries *e = rcu_dereference(net->nf.hooks_ipv4[NF_INET_PRE_ROUTING]);
	unsigned int i;

	for (i = 0; e && i < e->num_hook_entries; i++)
		if (nf_hook_entry_hookfn(&e->hooks[i], skb, state) != NF_ACCEPT)
			return 0;
	return 1;
}

/* One lookup of variant v; the packet keeps what it got. */
static enum outcome route(enum variant v, struct net *net, struct sk_buff *skb,
			  __be32 daddr, __be32 saddr, struct net_device *dev,
			  struct nf_hook_state *state)
{
	switch (v) {
	case KERNEL:
		return ip_route_input_noref(skb, daddr, saddr, tos, dev) ? UNROUTED : ROUTED;
	case PREROUTING:
		if (nf_hook(NFPROTO_IPV4, NF_INET_PRE_ROUTING, net, NULL, skb, dev, NULL,
			    okfn) != 1)
			return CONSUMED;
		break;
	case HOOKFNS:
		if (hook_fns(net, skb, state) != 1)
			return CONSUMED;
		break;
	default:
		ip_rcv_route(net, skb, dev);
		break;
	}
	return skb_dst(skb) ? ROUTED : UNROUTED;
}

/* What routing and the hooks may have set, cleared for the next lookup. */
static void reset(struct sk_buff *skb)
{
	skb_dst_drop(skb);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
}

/* One lookup of variant v. */
static enum outcome lookup(enum variant v, struct net *net, struct sk_buff *skb,
			   __be32 daddr, __be32 saddr, struct net_device *dev,
			   struct nf_hook_state *state)
{
	enum outcome o = route(v, net, skb, daddr, saddr, dev, state);

	if (o != CONSUMED)
		reset(skb);
	return o;
}

/* n lookups of variant v, in chunks with bottom halves off as in softirq:
 * the time taken in ns, or a negative errno.
 */
static s64 run(enum variant v, u32 n, struct net *net, struct sk_buff *skb,
	       __be32 daddr, __be32 saddr, struct net_device *dev)
{
	struct nf_hook_state state;
	bool unrouted = false;
	u64 ns = 0;
	u32 i = 0;

	nf_hook_state_init(&state, NF_INET_PRE_ROUTING, NFPROTO_IPV4, dev, NULL, NULL, net, okfn);
	while (i < n) {
		u32 end = min(n, i + CHUNK);
		u64 t0;

		rcu_read_lock();
		local_bh_disable();
		t0 = ktime_get_ns();
		for (; i < end; i++) {
			enum outcome o = lookup(v, net, skb, daddr, saddr, dev, &state);

			if (unlikely(o == CONSUMED)) {
				local_bh_enable();
				rcu_read_unlock();
				return -EPERM;
			}
			unrouted |= o == UNROUTED;
		}
		ns += ktime_get_ns() - t0;
		local_bh_enable();
		rcu_read_unlock();
		cond_resched();
	}
	return v == KERNEL && unrouted ? -EHOSTUNREACH : ns;
}

/* ns for a round, in tenths of a ns per lookup. */
static u64 tenths(u64 ns)
{
	return div_u64(ns * 10, iters / ROUNDS);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static struct sk_buff *prepare(struct net_device *dev, __be32 saddr, __be32 daddr)
{
	struct sk_buff *skb = alloc_skb(LL_MAX_HEADER + sizeof(struct iphdr) + 8, GFP_KERNEL);
	struct iphdr *iph;

	if (!skb)
		return NULL;
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	iph = skb_put_zero(skb, sizeof(*iph) + 8);
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = tos;
	iph->tot_len = htons(sizeof(*iph) + 8);
	iph->ttl = 64;
	iph->protocol = IPPROTO_UDP;
	iph->saddr = saddr;
	iph->daddr = daddr;
	ip_send_check(iph);
	skb_set_transport_header(skb, sizeof(*iph));
	skb->dev = dev;
	skb->skb_iif = dev->ifindex;
	skb->protocol = htons(ETH_P_IP);
	skb->pkt_type = PACKET_HOST;
	return skb;
}

static int __init rdst_kbench_init(void)
{
	struct net *net = current->nsproxy->net_ns;
	u64 ns[VARIANTS][ROUNDS];
	struct net_device *dev;
	__be32 saddr, daddr;
	struct sk_buff *skb;
	bool served[VARIANTS] = {};
	struct nf_hook_state state;
	s64 err = 0;
	int r, v, i;

	if (!in4_pton(src, -1, (u8 *)&saddr, -1, NULL) ||
	    !in4_pton(dst, -1, (u8 *)&daddr, -1, NULL)) {
		pr_err("src= and dst= must be IPv4 addresses\n");
		return -EINVAL;
	}
	if (tos > 255 || iters < ROUNDS) {
		pr_err("tos= is a byte; iters= is at least %d\n", ROUNDS);
		return -EINVAL;
	}
	dev = dev_get_by_name(net, iif);
	if (!dev) {
		pr_err("no device '%s' in this namespace\n", iif);
		return -ENODEV;
	}
	skb = prepare(dev, saddr, daddr);
	if (!skb) {
		dev_put(dev);
		return -ENOMEM;
	}
	/* Warm up; with rdst loaded this caches the flow (cache_after). */
	for (i = 0; i < 16 && err >= 0; i++) {
		err = run(KERNEL, 1, net, skb, daddr, saddr, dev);
		for (v = PREROUTING; v < VARIANTS && err >= 0; v++)
			err = run(v, 1, net, skb, daddr, saddr, dev);
	}
	for (r = 0; r < ROUNDS && err >= 0; r++) {
		for (v = 0; v < VARIANTS && err >= 0; v++) {
			err = run(v, iters / ROUNDS, net, skb, daddr, saddr, dev);
			ns[v][r] = err;
		}
	}
	/* Whether each variant attaches a dst, the flow being cached if rdst is loaded. */
	nf_hook_state_init(&state, NF_INET_PRE_ROUTING, NFPROTO_IPV4, dev, NULL, NULL, net, okfn);
	for (v = PREROUTING; v < VARIANTS && err >= 0; v++) {
		enum outcome o;

		rcu_read_lock();
		local_bh_disable();
		o = route(v, net, skb, daddr, saddr, dev, &state);
		if (o == CONSUMED)
			err = -EPERM;
		else
			reset(skb);
		local_bh_enable();
		rcu_read_unlock();
		served[v] = o == ROUTED;
	}
	/* A packet a hook did not accept is the hook's to free. */
	if (err != -EPERM)
		kfree_skb(skb);
	dev_put(dev);
	if (err == -EHOSTUNREACH)
		pr_err("%pI4 -> %pI4 on %s: the kernel has no route\n", &saddr, &daddr, iif);
	if (err == -EPERM)
		pr_err("a PRE_ROUTING hook did not accept the packet\n");
	if (err < 0)
		return err;

	for (v = 0; v < VARIANTS; v++) {
		u64 med, lo, hi;

		sort(ns[v], ROUNDS, sizeof(u64), cmp_u64, NULL);
		med = tenths(ns[v][ROUNDS / 2]);
		lo = tenths(ns[v][0]);
		hi = tenths(ns[v][ROUNDS - 1]);
		pr_info("%s %pI4->%pI4 iif %s: %llu.%llu ns median (%llu.%llu-%llu.%llu) of %d rounds of %u%s\n",
			names[v], &saddr, &daddr, iif, med / 10, med % 10, lo / 10, lo % 10,
			hi / 10, hi % 10, ROUNDS, iters / ROUNDS,
			v == KERNEL ? "" : served[v] ? ", dst attached" : ", no dst attached");
	}
	return -EAGAIN;
}
module_init(rdst_kbench_init);

MODULE_DESCRIPTION("rdst: per-lookup cost of the hit path against ip_route_input_noref");
MODULE_LICENSE("GPL");
/* ip_rcv_route_hook, which the ip_rcv_route() inline reads */
MODULE_IMPORT_NS(IP_RCV_ROUTE);
