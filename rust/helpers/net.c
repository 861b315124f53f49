// SPDX-License-Identifier: GPL-2.0

#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/jiffies.h>
#include <linux/netdevice.h>
#include <linux/netfilter_bridge.h>
#include <linux/skbuff.h>
#include <net/dst.h>
#include <net/dst_metadata.h>
#include <net/fib_rules.h>
#include <net/ip.h>
#include <net/l3mdev.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/route.h>

/* dst_entry */

void rust_helper_dst_hold(struct dst_entry *dst)
{
	dst_hold(dst);
}

bool rust_helper_dst_hold_safe(struct dst_entry *dst)
{
	return dst_hold_safe(dst);
}

unsigned int rust_helper_dst_refcount(struct dst_entry *dst)
{
	return rcuref_read(&dst->__rcuref);
}

int rust_helper_dst_entries_init(struct dst_ops *ops)
{
	return dst_entries_init(ops);
}

void rust_helper_dst_entries_destroy(struct dst_ops *ops)
{
	dst_entries_destroy(ops);
}

int rust_helper_dst_entries_get_slow(struct dst_ops *ops)
{
	return dst_entries_get_slow(ops);
}

bool rust_helper_dst_metrics_default(const struct dst_entry *dst)
{
	return (dst->_metrics & ~DST_METRICS_FLAGS) ==
	       (unsigned long)dst_default_metrics.metrics;
}

void rust_helper_dst_init_default_metrics(struct dst_entry *dst)
{
	dst_init_metrics(dst, dst_default_metrics.metrics, true);
}

/* sk_buff */

struct dst_entry *rust_helper_skb_dst(const struct sk_buff *skb)
{
	return skb_dst(skb);
}

bool rust_helper_skb_dst_is_noref(const struct sk_buff *skb)
{
	return skb_dst_is_noref(skb);
}

void rust_helper_skb_dst_set(struct sk_buff *skb, struct dst_entry *dst)
{
	skb_dst_set(skb, dst);
}

void rust_helper_skb_dst_set_noref(struct sk_buff *skb, struct dst_entry *dst)
{
	skb_dst_set_noref(skb, dst);
}

void rust_helper_skb_dst_drop(struct sk_buff *skb)
{
	skb_dst_drop(skb);
}

void rust_helper_skb_dst_copy(struct sk_buff *nskb, const struct sk_buff *oskb)
{
	skb_dst_copy(nskb, oskb);
}

bool rust_helper_skb_dst_force(struct sk_buff *skb)
{
	return skb_dst_force(skb);
}

bool rust_helper_skb_has_tunnel_info(const struct sk_buff *skb)
{
	return skb_tunnel_info(skb) != NULL;
}

bool rust_helper_nf_bridge_in_prerouting(const struct sk_buff *skb)
{
	return nf_bridge_in_prerouting(skb);
}

/* net, net_device */

void *rust_helper_net_generic(const struct net *net, unsigned int id)
{
	return net_generic(net, id);
}

struct net *rust_helper_dev_net(const struct net_device *dev)
{
	return dev_net(dev);
}

struct net_device *rust_helper_netdev_notifier_info_to_dev(const struct netdev_notifier_info *info)
{
	return netdev_notifier_info_to_dev(info);
}

struct in_device *rust_helper___in_dev_get_rcu(const struct net_device *dev)
{
	return __in_dev_get_rcu(dev);
}

