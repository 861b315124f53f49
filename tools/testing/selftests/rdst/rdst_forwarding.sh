#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdst forwards exactly as the kernel does: traffic through a router
# namespace is served from the cache, every kind of change invalidates it,
# ICMP errors and drops are the same with and without rdst, and faults
# (device unregister, rmmod under traffic, a flood of flows) stay bounded.

# list_receive_hint_same first: the kernel's route hint is off for good in
# a namespace that ever had a policy rule (fib_has_custom_rules is never
# cleared), and rule_change_invalidates adds one.
ALL_TESTS="
	list_receive_hint_same
	forwarding_served_from_cache
	route_change_invalidates
	rule_change_invalidates
	device_down_up_invalidates
	nexthop_member_replace_moves_flow
	forwarding_sysctl_invalidates
	rp_filter_sysctl_invalidates
	linkdown_sysctl_invalidates
	linkdown_rtnetlink_invalidates
	mtu_change_same_icmp
	ttl_exceeded_same_icmp
	unreachable_same_icmp
	redirect_same_icmp
	declines_counted
	declines_by_origin_rule_route_device
	declines_by_socket_tunnel_exception
	flood_bounded_by_gc_thresh
	idle_entries_expire
	single_packet_flows_not_cached
	garbage_list_drains
	namespaces_independent
	router_namespace_deleted_under_traffic
	route_churn_under_traffic
	unregister_under_traffic
	rmmod_under_traffic
"

source "$(dirname "$(readlink -f "$0")")/rdst_lib.sh"

cleanup()
{
	rm -f "$FRAG_COUNT"
	topo_destroy
	[ -n "${RTR2:-}" ] && cleanup_ns "$RTR2" 2>/dev/null
	rdst_unload 2>/dev/null
}

ping_ok()
{
	ns_exec "$SND" ping -c "${2:-5}" -i 0.05 -W 2 "$1" >/dev/null 2>&1
}

# ping_lost DEST: none of three echo requests is answered (the last is given
# a second: a forwarded answer takes milliseconds even on the debug kernel).
ping_lost()
{
	! ns_exec "$SND" ping -c 3 -i 0.05 -W 1 "$1" >/dev/null 2>&1
}

# ping_twice DEST [PING OPTIONS...]: two echo requests from the sender, for
# checks that count what the router did with them, not whether they arrived.
ping_twice()
{
	local dst=$1
	shift
	ns_exec "$SND" ping -c 2 -i 0.1 -W 1 "$@" "$dst"
}

# With either of rdst's hooks: the input route hook (the default) and the
# PRE_ROUTING one (direct_hook=N).
forwarding_served_from_cache()
{
	local hits0 ins0 hits ins mode out=

	for mode in N Y; do
		rdst_load_afresh direct_hook=$mode
		check_err $? "rdst failed to load (direct_hook=$mode)"
		hits0=$(rdst_stat "$RTR" hits)
		ins0=$(rdst_stat "$RTR" inserts)
		ns_exec "$SND" ping -c 20 -i 0.02 -W 2 203.0.113.1 >/dev/null
		check_err $? "direct_hook=$mode: ping through the router lost packets"
		hits=$(( $(rdst_stat "$RTR" hits) - hits0 ))
		ins=$(( $(rdst_stat "$RTR" inserts) - ins0 ))
		[ "$hits" -ge 30 ]
		check_err $? "direct_hook=$mode: only $hits cache hits for 40 forwarded packets"
		[ "$ins" -ge 1 ] && [ "$ins" -le 4 ]
		check_err $? "direct_hook=$mode: $ins inserts for two flows"
		out="$out direct_hook=$mode: $hits hits;"
	done
	log_test "forwarded traffic is served from the cache ($out)"
}

route_change_invalidates()
{
	ping_ok 203.0.113.1
	check_err $? "baseline ping failed"
	ip -n "$RTR" route replace blackhole 203.0.113.0/24
	ping_lost 203.0.113.1
	check_err $? "ping still works after the route became a blackhole"
	ip -n "$RTR" route replace 203.0.113.0/24 via 198.51.100.2
	ping_ok 203.0.113.1
	check_err $? "ping fails after the route came back"
	ip -n "$RTR" route del 203.0.113.0/24
	ping_lost 203.0.113.1
	check_err $? "ping still works after the route was deleted"
	ip -n "$RTR" route add 203.0.113.0/24 via 198.51.100.2
	ping_ok 203.0.113.1
	check_err $? "ping fails after the route was re-added"
	log_test "route add/replace/delete invalidates cached decisions"
}

rule_change_invalidates()
{
	ping_ok 203.0.113.1
	check_err $? "baseline ping failed"
	ip -n "$RTR" route add unreachable 203.0.113.0/24 table 100
	ip -n "$RTR" rule add from 192.0.2.2 lookup 100 pref 100
	ping_lost 203.0.113.1
	check_err $? "ping still works after a rule sent it to an unreachable route"
	ip -n "$RTR" rule del pref 100
	ping_ok 203.0.113.1
	check_err $? "ping fails after the rule was deleted"
	ip -n "$RTR" route flush table 100
	log_test "rule add/delete invalidates cached decisions"
}

device_down_up_invalidates()
{
	ping_ok 198.51.100.2
	check_err $? "baseline ping failed"
	ip -n "$RTR" link set rtr1 down
	ping_lost 198.51.100.2
	check_err $? "ping still works with the output device down"
	ip -n "$RTR" link set rtr1 up
	ip -n "$RTR" route replace 203.0.113.0/24 via 198.51.100.2
	slowwait 30 ping_ok 198.51.100.2 1
	check_err $? "ping fails after the device came back"
	log_test "device down/up invalidates cached decisions"
}

# udp_out NS: the UDP packets NS has sent out of fb0 and out of rtr1, as
# "fb0 N, rtr1 M", counted by the rdst_nh table nexthop_member_replace_moves_flow
# sets up.
udp_out()
{
	ns_exec "$1" nft list chain ip rdst_nh post |
		awk '/oifname/ { for (i = 1; i < NF; i++) {
				if ($i == "oifname") dev = $(i + 1)
				if ($i == "packets") n[dev] = $(i + 1) } }
			END { printf "fb0 %d, rtr1 %d", n["\"fb0\""], n["\"rtr1\""] }'
}

# A nexthop replaced in the group a route uses: the kernel's next lookup
# takes the new one at once, while the routes cached from the old one are
# marked dead only when it is freed, an RCU grace period later (patch 0013
# flushes).  One process replaces it and sends the packets the moment the
# kernel acknowledges, so that they arrive as early as they can.  With rdst
# and without it, every packet must take the new nexthop.
nexthop_member_replace_moves_flow()
{
	local way out result=

	ip -n "$RTR" -batch - <<-EOF
		link add fb0 type dummy
		addr add 10.77.0.1/24 dev fb0
		link set fb0 up
		neigh add 10.77.0.2 lladdr 02:00:00:00:77:02 dev fb0 nud permanent
	EOF
	for way in with without; do
		ns_exec "$RTR" nft -f - <<-EOF
			table ip rdst_nh {
				chain post {
					type filter hook postrouting priority 0;
					meta l4proto udp oifname "fb0" counter
					meta l4proto udp oifname "rtr1" counter
				}
			}
		EOF
		ip -n "$RTR" -batch - <<-EOF
			nexthop add id 71 via 198.51.100.2 dev rtr1
			nexthop add id 70 group 71
			route replace 203.0.113.0/24 nhid 70
		EOF
		# Cached on the flow's second packet.
		ping_ok 203.0.113.1 3
		check_err $? "ping through the nexthop group failed $way rdst"
		ns_exec "$SND" python3 -I -S "$DIR/rdst_diff.py" --replace-nexthop-then-send \
			"$RTR" "$SND" 71 10.77.0.2 fb0 192.0.2.2 203.0.113.1 20
		check_err $? "replacing nexthop 71 failed"
		out=$(udp_out "$RTR")
		result+="; $way rdst: $out"
		[ "$out" = "fb0 20, rtr1 0" ]
		check_err $? "of 20 packets sent after the replace, $out $way rdst"
		ns_exec "$RTR" nft delete table ip rdst_nh
		ip -n "$RTR" route replace 203.0.113.0/24 via 198.51.100.2
		ip -n "$RTR" nexthop flush >/dev/null
		[ "$way" = with ] && rdst_unload
	done
	rdst_load
	ip -n "$RTR" link del fb0
	log_test "a nexthop replaced in a route's group moves the flow at once (${result#; })"
}

forwarding_sysctl_invalidates()
{
	ping_ok 198.51.100.2
	check_err $? "baseline ping failed"
	ns_exec "$RTR" sysctl -qw net.ipv4.conf.rtr0.forwarding=0
	ping_lost 198.51.100.2
	check_err $? "ping still works with forwarding off on the input device"
	ns_exec "$RTR" sysctl -qw net.ipv4.conf.rtr0.forwarding=1
	ping_ok 198.51.100.2
	check_err $? "ping fails with forwarding back on"
	log_test "forwarding sysctl change invalidates cached decisions"
}

rp_filter_sysctl_invalidates()
{
	local drops0 drops

	# Make the route back to the sender leave through rtr1: strict rp_filter
	# on rtr0 then rejects the sender's packets, with no FIB change after
	# the cache has been warmed.
	ip -n "$RTR" route add 192.0.2.2/32 via 198.51.100.2
	ping_ok 198.51.100.2 3
	ns_exec "$RTR" ping -c1 -W1 198.51.100.2 >/dev/null 2>&1
	drops0=$(rpf_drops "$RTR")
	ns_exec "$RTR" sysctl -qw net.ipv4.conf.rtr0.rp_filter=1
	ns_exec "$RTR" sysctl -qw net.ipv4.conf.all.rp_filter=1
	ns_exec "$SND" ping -c 3 -i 0.05 -W 1 198.51.100.2 >/dev/null 2>&1
	check_fail $? "ping passes strict rp_filter with an asymmetric route"
	drops=$(rpf_drops "$RTR")
	[ "$((drops - drops0))" -ge 3 ]
	check_err $? "IPReversePathFilter rose by $((drops - drops0)), not by 3"
	ns_exec "$RTR" sysctl -qw net.ipv4.conf.rtr0.rp_filter=0
	ns_exec "$RTR" sysctl -qw net.ipv4.conf.all.rp_filter=0
	ip -n "$RTR" route del 192.0.2.2/32
	ping_ok 198.51.100.2
	check_err $? "ping fails after rp_filter was turned off"
	log_test "rp_filter sysctl change invalidates cached decisions"
}

# dev_tx_packets NS DEV: packets DEV has sent (/proc/net/dev, read through
# NS's holder).
dev_tx_packets()
{
	awk -v d="$2:" '$1 == d { print $11 }' "/proc/${NS_HOLDER[$1]}/net/dev"
}

# devconf_set WAY NS DEV SETTING VALUE: net.ipv4.conf.DEV.SETTING = VALUE in
# NS, written by sysctl or by rtnetlink (RTM_SETLINK with IFLA_AF_SPEC /
# AF_INET / IFLA_INET_CONF, which `ip` cannot send): the two ways the
# kernel offers, which must invalidate alike.
devconf_set()
{
	local way=$1 ns=$2 dev=$3 setting=$4 value=$5

	if [ "$way" = sysctl ]; then
		ns_exec "$ns" sysctl -qw "net.ipv4.conf.$dev.$setting=$value"
		return
	fi
	ns_exec "$ns" python3 -I -S "$DIR/rdst_diff.py" --devconf "$dev" "$setting" "$value"
}

# The egress device loses its carrier and its route stays in use (flagged
# linkdown); then ignore_routes_with_linkdown is set on it (by WAY, as
# devconf_set).  The FIB reads the setting at each lookup and in 6.12
# neither write flushes anything: the flow must move to the fallback route
# at once, as it does without rdst.
linkdown_setting_moves_flow()
{
	local way=$1 tx0 tx

	ip -n "$RTR" -batch - <<-EOF
		link add fb0 type dummy
		addr add 10.77.0.1/24 dev fb0
		link set fb0 up
		neigh add 10.77.0.2 lladdr 02:00:00:00:77:02 dev fb0 nud permanent
		route add 203.0.113.0/24 via 10.77.0.2 metric 100
	EOF
	ip -n "$RCV" link set rcv0 down		# rtr1 loses its carrier
	# Lost on the dead link, and cached there (a flow is cached on its
	# second packet).
	ns_exec "$SND" ping -c 4 -i 0.05 -W 1 203.0.113.1 > /dev/null
	tx0=$(dev_tx_packets "$RTR" fb0)
	devconf_set "$way" "$RTR" rtr1 ignore_routes_with_linkdown 1
	check_err $? "setting ignore_routes_with_linkdown by $way failed"
	ns_exec "$SND" ping -c 4 -i 0.05 -W 1 203.0.113.1 > /dev/null
	tx=$(( $(dev_tx_packets "$RTR" fb0) - tx0 ))
	[ "$tx" -ge 4 ]
	check_err $? "$tx of 4 packets took the fallback route after ignore_routes_with_linkdown=1 by $way"
	devconf_set "$way" "$RTR" rtr1 ignore_routes_with_linkdown 0
	ip -n "$RTR" link del fb0
	# The receiver's default route went with its device.
	ip -n "$RCV" link set rcv0 up
	ip -n "$RCV" route add default via 198.51.100.1
	slowwait 30 ping_ok 203.0.113.1
	check_err $? "forwarding did not come back with the carrier"
	log_test "ignore_routes_with_linkdown by $way on a carrier-less egress moves the flow ($tx of 4 on the fallback)"
}

linkdown_sysctl_invalidates() { linkdown_setting_moves_flow sysctl; }
linkdown_rtnetlink_invalidates() { linkdown_setting_moves_flow rtnetlink; }

# same_with_and_without NAME CMD...: CMD's packet fates with rdst loaded and
# without it must be identical.
same_with_and_without()
{
	local name=$1 with without
	shift

	# Warm the cache: a flow is cached on its second miss.
	"$@" >/dev/null 2>&1
	"$@" >/dev/null 2>&1
	with=$(fates "$@")
	rdst_unload
	without=$(fates "$@")
	rdst_load
	[ "$with" = "$without" ] && [ -n "$with" ]
	check_err $? "$name differs: with rdst [$with], without [$without]"
}

# frag_probe: one DF packet too big for the router's output MTU, to an
# address of the routed prefix the sender has no learned path MTU for (a new
# one each time: a repeated address would meet the sender's own "message too
# long"), so that the router must answer.  Runs in subshells: the count is a
# file.
FRAG_COUNT=$(mktemp)
frag_probe()
{
	local n=$(( $(cat "$FRAG_COUNT" 2>/dev/null || echo 0) + 1 ))
	local dst=203.0.113.$(( n % 200 + 20 ))

	echo "$n" > "$FRAG_COUNT"

	ns_exec "$SND" ping -n -c 1 -W 1 -s 1400 -M do "$dst"
}

mtu_change_same_icmp()
{
	ns_exec "$SND" ping -c 2 -W 2 -s 1400 -M do 203.0.113.1 >/dev/null
	check_err $? "1428-byte packets do not pass at MTU 1500"
	ip -n "$RTR" link set rtr1 mtu 1280
	same_with_and_without "fragmentation needed" frag_probe
	frag_probe 2>&1 | grep -q 'mtu = 1280'
	check_err $? "no fragmentation-needed error after the MTU change"
	ip -n "$RTR" link set rtr1 mtu 1500
	ip -n "$RTR" route replace 203.0.113.0/24 via 198.51.100.2
	ip -n "$SND" route flush cache
	log_test "MTU change: same fragmentation-needed errors with and without rdst"
}

ttl_exceeded_same_icmp()
{
	same_with_and_without "TTL exceeded" \
		ns_exec "$SND" ping -n -c 3 -i 0.3 -W 1 -t 1 203.0.113.1
	ns_exec "$SND" ping -n -c 1 -W 1 -t 1 203.0.113.1 2>&1 | grep -q 'Time to live exceeded'
	check_err $? "no time-exceeded error for TTL 1"
	log_test "TTL exceeded: same ICMP errors with and without rdst"
}

unreachable_same_icmp()
{
	ip -n "$RTR" route add unreachable 203.0.113.128/25
	ip -n "$RTR" route add prohibit 203.0.113.64/26
	same_with_and_without "net unreachable" \
		ns_exec "$SND" ping -n -c 3 -i 0.3 -W 1 203.0.113.129
	same_with_and_without "prohibited" \
		ns_exec "$SND" ping -n -c 3 -i 0.3 -W 1 203.0.113.65
	ns_exec "$SND" ping -n -c 1 -W 1 203.0.113.129 2>&1 | grep -q 'Unreachable'
	check_err $? "no unreachable error from an unreachable route"
	ip -n "$RTR" route del unreachable 203.0.113.128/25
	ip -n "$RTR" route del prohibit 203.0.113.64/26
	log_test "unreachable/prohibit: same ICMP errors with and without rdst"
}

# snmp_counter NS GROUP FIELD: the namespace's GROUP FIELD counter
# (/proc/net/snmp), e.g. Ip ForwDatagrams.
snmp_counter()
{
	ns_exec "$1" awk -v g="$2:" -v f="$3" '$1 == g {
		if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c[f] }' /proc/net/snmp
}

# redirects_for SRC: redirects the router sends for five packets from SRC
# (a source address of its own: redirects are rate-limited per source, and
# five packets half a second apart stay under the limit).
redirects_for()
{
	local n0

	n0=$(snmp_counter "$RTR" Icmp OutRedirects)
	ns_exec "$SND" ping -n -q -c 5 -i 0.5 -W 1 -I "$1" 198.18.0.1 >/dev/null 2>&1
	echo $(( $(snmp_counter "$RTR" Icmp OutRedirects) - n0 ))
}

# A packet the router sends back out of the interface it came in on, to a
# next hop on the sender's own link, earns the sender a redirect: the
# kernel's routing flags it (IPSKB_DOREDIRECT), rdst records the flag and
# re-applies it on every hit.
redirect_same_icmp()
{
	local h0 with without

	ns_exec "$SND" sysctl -qw net.ipv4.conf.all.accept_redirects=0
	ns_exec "$SND" sysctl -qw net.ipv4.conf.snd0.accept_redirects=0
	ip -n "$SND" addr add 192.0.2.3/24 dev snd0	# the better next hop
	ip -n "$SND" addr add 192.0.2.10/24 dev snd0
	ip -n "$SND" addr add 192.0.2.11/24 dev snd0
	ip -n "$RTR" route add 198.18.0.0/24 via 192.0.2.3
	h0=$(rdst_stat "$RTR" hits)
	with=$(redirects_for 192.0.2.10)
	[ "$(rdst_stat "$RTR" hits)" -ge $((h0 + 2)) ]
	check_err $? "redirected packets were not served from the cache"
	rdst_unload
	without=$(redirects_for 192.0.2.11)
	rdst_load
	[ "$with" -eq "$without" ] && [ "$with" -gt 0 ]
	check_err $? "redirects differ: $with with rdst, $without without"
	ip -n "$RTR" route del 198.18.0.0/24 via 192.0.2.3
	ip -n "$SND" addr del 192.0.2.3/24 dev snd0
	ip -n "$SND" addr del 192.0.2.10/24 dev snd0
	ip -n "$SND" addr del 192.0.2.11/24 dev snd0
	log_test "redirect: same ICMP redirects with and without rdst ($with)"
}

# hint_fates HOW: a packet from the sender's own address and one from a
# source strict rp_filter refuses, both to the same destination, sent
# TOGETHER (held by a plug qdisc on the sender, then released in one go:
# the router's ingress receives them through NAPI in one list) or ALONE;
# what the router forwarded and what its rp_filter dropped.
hint_fates()
{
	local how=$1 fwd0 rpf0

	fwd0=$(snmp_counter "$RTR" Ip ForwDatagrams)
	rpf0=$(rpf_drops "$RTR")
	[ "$how" = together ] && tc -n "$SND" qdisc add dev snd0 root plug limit 100000
	send_udp 203.0.113.77 192.0.2.2 10.99.0.1
	if [ "$how" = together ]; then
		tc -n "$SND" qdisc change dev snd0 root plug release_indefinite
		tc -n "$SND" qdisc del dev snd0 root
	fi
	sleep 0.3
	echo "$how: forwarded $(( $(snmp_counter "$RTR" Ip ForwDatagrams) - fwd0 ))," \
		"rp_filter dropped $(( $(rpf_drops "$RTR") - rpf0 ))"
}

# ip_list_rcv_finish gives a packet received in a list with the destination
# and TOS of the one before it that one's route (ip_route_use_hint), which
# for a forwarded route skips fib_validate_source: the source strict
# rp_filter refuses is forwarded when it follows a valid one in a list, and
# dropped alone.  rdst serves the first by its own key and must leave the
# second to the kernel.  GRO on the router's ingress gives it a NAPI
# instance; veth hands it a sender's packets only with TSO off on the
# sender (veth_skb_is_eligible_for_gro), else they take netif_rx one by one.
list_receive_hint_same()
{
	local mac with without expect

	ns_exec "$RTR" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.rtr0.rp_filter=1
	ns_exec "$RTR" ethtool -K rtr0 gro on
	ns_exec "$SND" ethtool -K snd0 tso off
	# The sender's neighbour stays resolved: packets waiting for ARP would
	# leave one by one when the answer comes, not in one go from the qdisc.
	mac=$(ip -n "$RTR" link show rtr0 | awk '/link\/ether/ { print $2 }')
	ip -n "$SND" neigh replace 192.0.2.1 lladdr "$mac" dev snd0 nud permanent
	with="$(hint_fates together); $(hint_fates alone)"
	rdst_unload
	without="$(hint_fates together); $(hint_fates alone)"
	rdst_load
	ip -n "$SND" neigh del 192.0.2.1 dev snd0
	ns_exec "$SND" ethtool -K snd0 tso on
	ns_exec "$RTR" ethtool -K rtr0 gro off
	ns_exec "$RTR" sysctl -qw net.ipv4.conf.rtr0.rp_filter=0
	expect="together: forwarded 2, rp_filter dropped 0; alone: forwarded 1, rp_filter dropped 1"
	[ "$without" = "$expect" ]
	check_err $? "without rdst [$without], not [$expect]: the kernel took no route hint (had the router a policy rule before?)"
	[ "$with" = "$without" ]
	check_err $? "with rdst [$with], without [$without]"
	log_test "list receive: the kernel's route hint forwards the same with and without rdst"
}

# declined_by NAME REASON CMD...: CMD's packets raise decline_REASON.
declined_by()
{
	local what=$1 reason=$2 v0
	shift 2

	v0=$(rdst_stat "$RTR" "decline_$reason")
	"$@" >/dev/null 2>&1
	[ "$(rdst_stat "$RTR" "decline_$reason")" -gt "$v0" ]
	check_err $? "$what: not counted as decline_$reason"
}

# unseen_or_declined NAME REASON CMD...: packets the input route hook is
# not called for (they carry a dst, or an L3 master device took them over)
# and rdst's PRE_ROUTING hook declines: with direct_hook=N CMD's packets
# raise decline_REASON; with the input route hook (the default, loaded
# again after) none is counted, the hook never saw them.  CMD ends the same
# way with either (the kernel decides those packets' fate).
unseen_or_declined()
{
	local what=$1 reason=$2 v0 rc_nf rc
	shift 2

	rdst_load_afresh direct_hook=N
	v0=$(rdst_stat "$RTR" "decline_$reason")
	"$@" >/dev/null 2>&1
	rc_nf=$?
	[ "$(rdst_stat "$RTR" "decline_$reason")" -gt "$v0" ]
	check_err $? "$what: not counted as decline_$reason by the PRE_ROUTING hook"
	rdst_load_afresh
	v0=$(rdst_stat "$RTR" "decline_$reason")
	"$@" >/dev/null 2>&1
	rc=$?
	[ "$(rdst_stat "$RTR" "decline_$reason")" -eq "$v0" ]
	check_err $? "$what: seen by the input route hook (counted as decline_$reason)"
	[ "$rc" -eq "$rc_nf" ]
	check_err $? "$what: '$*' exited $rc with the input route hook, $rc_nf with the PRE_ROUTING one"
}

declines_counted()
{
	local v0 v

	declined_by "packets with IP options" options \
		ping_twice 203.0.113.1 -R
	declined_by "local delivery" local \
		ping_twice 192.0.2.1

	ip -n "$RCV" addr add 198.51.100.3/24 dev rcv0
	ip -n "$RTR" route replace 203.0.113.0/24 nexthop via 198.51.100.2 nexthop via 198.51.100.3
	declined_by "multipath decisions" multipath \
		ping_twice 203.0.113.1
	ip -n "$RTR" route replace 203.0.113.0/24 via 198.51.100.2
	ip -n "$RCV" addr del 198.51.100.3/24 dev rcv0

	# A loopback source is a martian: the kernel's lookup fails (-EINVAL).
	v0=$(rdst_stat "$RTR" decline_route_error)
	send_udp 198.51.100.2 127.0.0.5 127.0.0.6
	v=$(rdst_stat "$RTR" decline_route_error)
	[ "$v" -ge $((v0 + 2)) ]
	check_err $? "routing failures were not counted ($v0 -> $v)"
	log_test "declined packets are counted by reason"
}

declines_by_origin_rule_route_device()
{
	# Looped-back packets keep the dst they were sent with.
	unseen_or_declined "looped-back packets" has_dst \
		ns_exec "$RTR" ping -c 2 -i 0.1 -W 1 127.0.0.1

	ip -n "$RTR" rule add ipproto udp dport 9999 table main prio 100
	declined_by "rules matching on ports" rules_l4 ping_twice 203.0.113.1
	ip -n "$RTR" rule del ipproto udp dport 9999 table main prio 100

	ip -n "$RTR" route replace 203.0.113.0/24 via 198.51.100.2 mtu 1400
	declined_by "a route with its own metrics" metrics ping_twice 203.0.113.1

	ip -n "$RTR" route replace 203.0.113.0/24 encap ip id 7 dst 198.51.100.2 via 198.51.100.2 dev rtr1
	declined_by "a route with lightweight tunnel state" lwtunnel ping_twice 203.0.113.1
	ip -n "$RTR" route replace 203.0.113.0/24 via 198.51.100.2

	ip -n "$RTR" link add rdst-vrf type vrf table 10
	ip -n "$RTR" link set rdst-vrf up
	ip -n "$RTR" link set rtr0 master rdst-vrf
	unseen_or_declined "packets from a VRF slave" l3mdev ping_twice 203.0.113.1
	ip -n "$RTR" link set rtr0 nomaster
	ip -n "$RTR" link del rdst-vrf
	slowwait 30 ping_ok 203.0.113.1 1
	check_err $? "forwarding fails after the input device left the VRF"
	log_test "declines by origin, rules, route and device are counted by reason"
}

# sk_assign_load DEV: attach sk_assign.bpf.c to DEV's ingress in the router:
# the object the selftest Makefile builds (make check builds it on the host),
# or one compiled here when that is missing or older than its source.
sk_assign_load()
{
	local obj=$DIR/sk_assign.bpf.o tmp= rc

	if [ ! "$obj" -nt "$DIR/sk_assign.bpf.c" ]; then
		# (make check builds it on the host: this costs 17 s and more here)
		ktap_print_msg "sk_assign.bpf.o not built (the Makefile's TEST_GEN_FILES): compiling it"
		tmp=$(mktemp --suffix=.o)
		obj=$tmp
		clang -O2 -target bpf -I"/usr/include/$(gcc -dumpmachine)" \
			-c "$DIR/sk_assign.bpf.c" -o "$obj" || { rm -f "$tmp"; return 1; }
	fi
	tc -n "$RTR" qdisc add dev "$1" clsact &&
	tc -n "$RTR" filter add dev "$1" ingress bpf direct-action obj "$obj" sec classifier
	rc=$?
	[ -z "$tmp" ] || rm -f "$tmp"
	return $rc
}

declines_by_socket_tunnel_exception()
{
	local holder

	# A socket assigned at tc ingress (bpf_sk_assign) stays on the packet.
	nsenter --net="/run/netns/$RTR" python3 -I -S -c 'import signal, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9999))
signal.pause()' &
	holder=$!
	slowwait 30 sh -c "nsenter --net=/run/netns/$RTR ss -Hlun | grep -q ':9999 '"
	sk_assign_load rtr0
	check_err $? "could not attach the sk_assign program"
	declined_by "packets with an assigned socket" socket ping_twice 203.0.113.1
	tc -n "$RTR" qdisc del dev rtr0 clsact
	kill "$holder"; wait "$holder" 2>/dev/null

	# Packets decapsulated by a collect_md tunnel carry its metadata dst.
	ip -n "$RTR" link add rdst-tun type ipip external
	ip -n "$RTR" link set rdst-tun up
	ip -n "$SND" link add rdst-tun type ipip local 192.0.2.2 remote 192.0.2.1
	ip -n "$SND" link set rdst-tun up
	ip -n "$SND" route add 203.0.113.1/32 dev rdst-tun src 192.0.2.2
	unseen_or_declined "packets from a collect_md tunnel" tunnel ping_twice 203.0.113.1
	ip -n "$SND" link del rdst-tun
	ip -n "$RTR" link del rdst-tun

	# A path MTU the router learned (frag-needed from the receiver, which
	# forwards 198.18.99.0/24 onto a 1280-byte link) is a next-hop exception.
	ns_exec "$RCV" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$RCV" link add rdst-narrow mtu 1280 type dummy
	ip -n "$RCV" link set rdst-narrow up
	ip -n "$RCV" route add 198.18.99.0/24 dev rdst-narrow
	ip -n "$RTR" route add 198.18.99.0/24 via 198.51.100.2
	ns_exec "$RTR" ping -c 1 -W 1 -M do -s 1400 198.18.99.1 >/dev/null 2>&1
	ip -n "$RTR" route get 198.18.99.1 | grep -q "mtu 1280"
	check_err $? "the router learned no path MTU for 198.18.99.1"
	declined_by "a route with a learned path MTU" exception \
		ping_twice 198.18.99.1
	ip -n "$RTR" route del 198.18.99.0/24
	ip -n "$RCV" link del rdst-narrow
	ns_exec "$RCV" sysctl -qw net.ipv4.ip_forward=0

	ping_ok 203.0.113.1 2
	check_err $? "forwarding fails after the socket, tunnel and exception cases"
	log_test "declines for assigned sockets, tunnel metadata and next-hop exceptions are counted"
}

flood_bounded_by_gc_thresh()
{
	local cached ins evict

	rdst_unload
	rdst_load gc_thresh=64 buckets=32 cache_after=1
	check_err $? "loading rdst with gc_thresh=64 failed"
	send_random_sources 2000
	cached=$(rdst_stat "$RTR" cached)
	ins=$(rdst_stat "$RTR" inserts)
	evict=$(( $(rdst_stat "$RTR" gc_evictions) + $(rdst_stat "$RTR" chain_evictions) ))
	[ "$cached" -le 64 ]
	check_err $? "$cached entries cached with gc_thresh=64"
	[ "$ins" -ge 500 ]
	check_err $? "only $ins of 2000 random flows were inserted"
	[ "$evict" -ge $((ins - 64)) ]
	check_err $? "$evict evictions for $ins inserts"
	ping_ok 203.0.113.1
	check_err $? "forwarding fails after the flood"
	rdst_unload
	rdst_load
	log_test "a flood of random flows stays within gc_thresh"
}

# Admission control (cache_after=2, the default): a flood of single-packet
# flows allocates nothing; the same flows are cached when they come back.
single_packet_flows_not_cached()
{
	local ins0 first0 ins first

	ins0=$(rdst_stat "$RTR" inserts)
	first0=$(rdst_stat "$RTR" decline_first_miss)
	send_random_sources 200
	ins=$(( $(rdst_stat "$RTR" inserts) - ins0 ))
	first=$(( $(rdst_stat "$RTR" decline_first_miss) - first0 ))
	[ "$ins" -eq 0 ]
	check_err $? "$ins single-packet flows were cached"
	[ "$first" -ge 100 ]
	check_err $? "only $first first misses counted for 200 new flows"
	send_random_sources 200
	ins=$(( $(rdst_stat "$RTR" inserts) - ins0 ))
	[ "$ins" -ge $((first / 2)) ]
	check_err $? "$ins of $first flows cached on their second packet"
	log_test "single-packet flows are not cached ($first first misses), second packets are ($ins)"
}

# The periodic sweep evicts idle entries without any cache pressure.  The
# count of entries made is read from `inserts`, which nothing takes back: on a
# slow host the first entries may expire before the last flow is sent.
idle_entries_expire()
{
	local ins c g

	rdst_unload
	rdst_load idle_timeout_ms=3000 buckets=64 cache_after=1
	check_err $? "loading rdst with idle_timeout_ms=3000 failed"
	ping_ok 203.0.113.1 3
	send_random_sources 20
	ins=$(rdst_stat "$RTR" inserts)
	# The timeout plus a sweep period is about 4 s; the wait only bounds a
	# cache that never empties, on however slow a host.
	timed slowwait 60 rdst_stat_is "$RTR" cached 0
	c=$(rdst_stat "$RTR" cached)
	g=$(rdst_stat "$RTR" gc_runs)
	[ "$ins" -ge 20 ]
	check_err $? "$ins entries cached for 20+ flows"
	[ "$c" -eq 0 ]
	check_err $? "$c of $ins entries still cached after 60 s idle"
	[ "$g" -eq 0 ]
	check_err $? "$g dst_ops.gc runs: expiry should need no cache pressure"
	rdst_unload
	rdst_load
	log_test "idle entries expire without traffic ($ins cached, none left $elapsed_ms ms later)"
}

garbage_list_drains()
{
	local n

	ping_ok 203.0.113.1 10
	ip -n "$RTR" route replace 203.0.113.0/24 via 198.51.100.2
	ping_ok 203.0.113.1 2
	n=$(rdst_stat "$RTR" invalidations)
	ip -n "$RTR" link set rtr1 mtu 1400
	ip -n "$RTR" link set rtr1 mtu 1500
	[ "$(rdst_stat "$RTR" invalidations)" -gt "$n" ]
	check_err $? "device events did not invalidate"
	slowwait 60 rdst_stat_is "$RTR" garbage 0
	check_err $? "garbage list did not drain: $(rdst_stat "$RTR" garbage) entries"
	[ "$(rdst_stat "$RTR" garbage_age_ms)" -eq 0 ]
	check_err $? "an empty garbage list reports an oldest age"
	log_test "the garbage list drains once holders let go"
}

namespaces_independent()
{
	local h0 h2

	setup_ns RTR2
	h0=$(rdst_stat "$RTR" hits)
	h2=$(rdst_stat "$RTR2" hits)
	ping_ok 203.0.113.1 10
	[ "$(rdst_stat "$RTR2" hits)" -eq "$h2" ]
	check_err $? "traffic in one namespace counted in another"
	[ "$(rdst_stat "$RTR" hits)" -gt "$h0" ]
	check_err $? "traffic not counted in its own namespace"
	cleanup_ns "$RTR2"
	RTR2=
	log_test "namespaces have independent caches"
}

# The router's namespace deleted under a flood, with entries cached on its
# devices and rdst staying loaded.  A dying namespace stops serving packets
# from its cache first (pernet pre_exit, then a grace period), unregisters
# its devices next, and drops the cache last (exit): the device events in
# between must still reach the cache, or its entries' device references keep
# the unregistration waiting for ever ("waiting for rtr1 to become free").
# Unloading rdst waits for the namespace's cleanup to finish (it takes
# pernet_ops_rwsem); the limit only catches a hang.
router_namespace_deleted_under_traffic()
{
	local unloader

	ping_ok 203.0.113.1 5
	check_err $? "forwarding fails before the deletion"
	[ "$(rdst_stat "$RTR" cached)" -gt 0 ]
	check_err $? "no entry cached before the deletion"
	# (cleanup_ns kills the namespace's holder process too)
	under_flood cleanup_ns "$RTR"
	check_err $? "deleting the router's namespace failed"
	rdst_unload &
	unloader=$!
	slowwait 300 eval '[ ! -d /sys/module/rdst ]'
	check_err $? "rdst still loaded 300 s after the namespace's deletion (a cleanup that hangs)"
	wait "$unloader"
	check_err $? "unloading rdst after the namespace's deletion failed"
	! grep -q '^rdst_cache ' /proc/slabinfo
	check_err $? "the unload left the rdst_cache slab behind"
	topo_destroy
	rdst_load
	check_err $? "reloading rdst failed"
	topo_create
	check_err $? "re-creating the topology failed"
	slowwait 30 ping_ok 203.0.113.1 1
	check_err $? "forwarding fails in a new topology"
	log_test "router namespace deleted under traffic, entries cached: cleaned up, slab destroyed on unload"
}

# under_flood CMD...: run CMD while the sender floods the receiver with pings
# (from a second before CMD starts until it ends); sets $elapsed_ms to how
# long CMD took (timed) and returns its status.
under_flood()
{
	local rc flood

	# (-w: ends a flood that is not killed)
	# (nsenter itself, not ns_exec: $! must be ping's pid, to kill it)
	nsenter --net="/run/netns/$SND" ping -f -w 120 203.0.113.1 >/dev/null 2>&1 &
	flood=$!
	sleep 1
	timed "$@"
	rc=$?
	# (ping -w leaves at its first ICMP error, which the deletion
	# under test may already have provoked)
	kill "$flood" 2>/dev/null
	wait "$flood"
	return $rc
}

# Routes and rules changing while new flows arrive: a decision that raced
# with a change is used for its packet but not cached (decline_race), and
# forwarding is right afterwards.  Rounds repeat until a race was seen: each
# is a window of a few microseconds.
route_churn_under_traffic()
{
	local batch stop v0 v i churner

	batch=$(mktemp)
	stop=$batch.stop
	for i in $(seq 200); do echo "route add 198.18.$i.0/24 dev rtr1"; done > "$batch"
	for i in $(seq 100); do echo "rule add from 10.255.0.$i table main prio $((1000 + i))"; done >> "$batch"
	sed -e 's/^route add/route del/' -e 's/^rule add/rule del/' "$batch" > "$batch.del"
	cat "$batch.del" >> "$batch"
	v0=$(rdst_stat "$RTR" decline_race)
	for i in 1 2 3 4 5 6 7 8; do
		# Churn for as long as the flows take to send.  The churner
		# stops between batches, not by a signal: killing the loop
		# leaves its running `ip -batch` behind, re-adding routes
		# after the cleanup below has run.
		rm -f "$stop"
		(while [ ! -e "$stop" ]; do ip -n "$RTR" -force -batch "$batch"; done) >/dev/null 2>&1 &
		churner=$!
		send_random_sources 1500
		touch "$stop"
		wait "$churner"
		ip -n "$RTR" -force -batch "$batch.del" >/dev/null 2>&1
		v=$(rdst_stat "$RTR" decline_race)
		[ "$v" -gt "$v0" ] && break
	done
	rm -f "$batch" "$batch.del" "$stop"
	[ "$v" -gt "$v0" ]
	check_err $? "no decision raced with $i rounds of route and rule churn"
	[ "$(ip -n "$RTR" route show | grep -c 198.18.)" -eq 0 ]
	check_err $? "the churn left routes behind"
	slowwait 30 ping_ok 203.0.113.1 1
	check_err $? "forwarding fails after the churn"
	log_test "route and rule churn under new flows: $((v - v0)) raced decisions not cached, forwarding intact"
}

# within_reference T REF: a time measured with rdst (T, in ms) against the
# same operation without it in this boot (REF): at most three times REF and
# a second more.  Both scale with the host, so the bound holds on a slow one;
# a real hang is caught by the kernel's own detectors ("waiting for ... to
# become free" after 10 s), which fail the run through the kernel log.
within_reference()
{
	[ "$1" -le $((3 * $2 + 1000)) ]
}

# The egress device deleted under a flood, first without rdst (the
# reference), then with rdst loaded and entries cached on the device.
unregister_under_traffic()
{
	local ref t

	rdst_unload
	under_flood ip -n "$RTR" link del rtr1
	check_err $? "deleting the output device without rdst failed"
	ref=$elapsed_ms
	topo_link_receiver
	rdst_load
	check_err $? "reloading rdst failed"
	slowwait 30 ping_ok 203.0.113.1 1
	check_err $? "forwarding fails after the device was re-created"
	under_flood ip -n "$RTR" link del rtr1
	check_err $? "deleting the output device failed"
	t=$elapsed_ms
	within_reference "$t" "$ref"
	check_err $? "unregistering the device took $t ms with rdst, $ref ms without"
	topo_link_receiver
	slowwait 30 ping_ok 203.0.113.1 1
	check_err $? "forwarding fails after the device was re-created"
	log_test "device unregister under traffic: $t ms with rdst, $ref ms without"
}

# Unloading while packets are in the hook on another CPU: the module must wait
# for them, so no entry outlives its dst_ops and the slab is destroyed each time
# (a leaked cache stays in /proc/slabinfo). Repeated, as the race is a window.
# The reference is the same rmmod with no traffic.
rmmod_under_traffic()
{
	local i t ref max=0

	timed rdst_unload
	check_err $? "rmmod without traffic failed"
	ref=$elapsed_ms
	rdst_load
	for i in 1 2 3; do
		under_flood rdst_unload
		check_err $? "rmmod $i failed"
		t=$elapsed_ms
		[ "$t" -gt "$max" ] && max=$t
		[ ! -d /sys/module/rdst ]
		check_err $? "module still loaded after rmmod $i"
		! grep -q '^rdst_cache ' /proc/slabinfo
		check_err $? "rmmod $i left the rdst_cache slab behind (entries outlived the module)"
		rdst_load
		check_err $? "reload $i failed"
	done
	within_reference "$max" "$ref"
	check_err $? "rmmod under traffic took $max ms, $ref ms without traffic"
	rdst_unload
	ping_ok 203.0.113.1
	check_err $? "forwarding fails without rdst after the unload"
	rdst_load
	log_test "rmmod under traffic (3 times): at most $max ms ($ref ms without traffic), slab destroyed"
}

trap cleanup EXIT
rdst_require
rdst_load || exit 1
topo_create || exit $KSFT_SKIP
run_tests
