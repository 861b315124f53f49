// SPDX-License-Identifier: GPL-2.0
/*
 * tc ingress program for rdst's "socket" decline test: every packet gets the
 * UDP socket bound to port 9999 of its namespace assigned with bpf_sk_assign(),
 * so it reaches NF_INET_PRE_ROUTING with skb->sk set (ip_rcv_core keeps a
 * prefetched socket), as TPROXY-style steering does.
 *
 * Helpers are declared by number: this builds with only <linux/bpf.h>.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

static struct bpf_sock *(*sk_lookup_udp)(void *ctx, struct bpf_sock_tuple *tuple,
					 __u32 tuple_size, __u64 netns, __u64 flags) =
	(void *)BPF_FUNC_sk_lookup_udp;
static long (*sk_assign)(void *ctx, void *sk, __u64 flags) = (void *)BPF_FUNC_sk_assign;
static long (*sk_release)(void *sk) = (void *)BPF_FUNC_sk_release;

__attribute__((section("classifier"), used))
int assign_port_9999(struct __sk_buff *skb)
{
	/* A wildcard-bound, unconnected socket matches any address and source port. */
	struct bpf_sock_tuple t = { .ipv4.dport = __builtin_bswap16(9999) };
	struct bpf_sock *sk;

	sk = sk_lookup_udp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (sk) {
		sk_assign(skb, sk, 0);
		sk_release(sk);
	}
	return TC_ACT_OK;
}

char __license[] __attribute__((section("license"), used)) = "GPL";
