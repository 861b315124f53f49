#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdst forwards exactly as the kernel does: traffic through a router
# namespace is served from the cache, every kind of change invalidates it,
# ICMP errors and drops are the same with and without rdst, and faults
# (device unregister, rmmod under traffic, a flood of flows) stay bounded.

ALL_TESTS="
	forwarding_served_from_cache
	route_change_invalidates
	rule_change_invalidates
	device_down_up_invalidates
	forwarding_sysctl_invalidates
	rp_filter_sysctl_invalidates
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
	ip netns exec "$SND" ping -c "${2:-5}" -i 0.05 -W 2 "$1" >/dev/null 2>&1
}

# ping_twice DEST [PING OPTIONS...]: two echo requests from the sender, for
# checks that count what the router did with them, not whether they arrived.
ping_twice()
{
	local dst=$1
	shift
	ip netns exec "$SND" ping -c 2 -i 0.1 -W 1 "$@" "$dst"
}

forwarding_served_from_cache()
{
	local hits0 ins0 hits ins

	hits0=$(rdst_stat "$RTR" hits)
	ins0=$(rdst_stat "$RTR" inserts)
	ip netns exec "$SND" ping -c 20 -i 0.02 -W 2 203.0.113.1 >/dev/null
	check_err $? "ping through the router lost packets"
	hits=$(( $(rdst_stat "$RTR" hits) - hits0 ))
	ins=$(( $(rdst_stat "$RTR" inserts) - ins0 ))
	[ "$hits" -ge 30 ]
	check_err $? "only $hits cache hits for 40 forwarded packets"
	[ "$ins" -ge 1 ] && [ "$ins" -le 4 ]
	check_err $? "$ins inserts for two flows"
	log_test "forwarded traffic is served from the cache"
}

route_change_invalidates()
{
	ping_ok 203.0.113.1
	check_err $? "baseline ping failed"
	ip -n "$RTR" route replace blackhole 203.0.113.0/24
	! ping_ok 203.0.113.1 3
	check_err $? "ping still works after the route became a blackhole"
	ip -n "$RTR" route replace 203.0.113.0/24 via 198.51.100.2
	ping_ok 203.0.113.1
	check_err $? "ping fails after the route came back"
	ip -n "$RTR" route del 203.0.113.0/24
	! ping_ok 203.0.113.1 3
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
	! ping_ok 203.0.113.1 3
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
	! ping_ok 198.51.100.2 3
	check_err $? "ping still works with the output device down"
	ip -n "$RTR" link set rtr1 up
	ip -n "$RTR" route replace 203.0.113.0/24 via 198.51.100.2
	slowwait 5 ping_ok 198.51.100.2 1
	check_err $? "ping fails after the device came back"
	log_test "device down/up invalidates cached decisions"
}

forwarding_sysctl_invalidates()
{
	ping_ok 198.51.100.2
	check_err $? "baseline ping failed"
	ip netns exec "$RTR" sysctl -qw net.ipv4.conf.rtr0.forwarding=0
	! ping_ok 198.51.100.2 3
	check_err $? "ping still works with forwarding off on the input device"
	ip netns exec "$RTR" sysctl -qw net.ipv4.conf.rtr0.forwarding=1
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
	ip netns exec "$RTR" ping -c1 -W1 198.51.100.2 >/dev/null 2>&1
	drops0=$(ip netns exec "$RTR" nstat -az TcpExtIPReversePathFilter | awk '/IPReverse/ {print $2}')
	ip netns exec "$RTR" sysctl -qw net.ipv4.conf.rtr0.rp_filter=1
	ip netns exec "$RTR" sysctl -qw net.ipv4.conf.all.rp_filter=1
	ip netns exec "$SND" ping -c 3 -i 0.05 -W 1 198.51.100.2 >/dev/null 2>&1
	check_fail $? "ping passes strict rp_filter with an asymmetric route"
	drops=$(ip netns exec "$RTR" nstat -az TcpExtIPReversePathFilter | awk '/IPReverse/ {print $2}')
	[ "$((drops - drops0))" -ge 3 ]
	check_err $? "IPReversePathFilter rose by $((drops - drops0)), not by 3"
	ip netns exec "$RTR" sysctl -qw net.ipv4.conf.rtr0.rp_filter=0
	ip netns exec "$RTR" sysctl -qw net.ipv4.conf.all.rp_filter=0
	ip -n "$RTR" route del 192.0.2.2/32
	ping_ok 198.51.100.2
	check_err $? "ping fails after rp_filter was turned off"
	log_test "rp_filter sysctl change invalidates cached decisions"
}

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

	ip netns exec "$SND" ping -n -c 1 -W 1 -s 1400 -M do "$dst"
}

mtu_change_same_icmp()
{
	ip netns exec "$SND" ping -c 2 -W 2 -s 1400 -M do 203.0.113.1 >/dev/null
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
		ip netns exec "$SND" ping -n -c 3 -i 0.3 -W 1 -t 1 203.0.113.1
	ip netns exec "$SND" ping -n -c 1 -W 1 -t 1 203.0.113.1 2>&1 | grep -q 'Time to live exceeded'
	check_err $? "no time-exceeded error for TTL 1"
	log_test "TTL exceeded: same ICMP errors with and without rdst"
}

unreachable_same_icmp()
{
	ip -n "$RTR" route add unreachable 203.0.113.128/25
	ip -n "$RTR" route add prohibit 203.0.113.64/26
	same_with_and_without "net unreachable" \
		ip netns exec "$SND" ping -n -c 3 -i 0.3 -W 1 203.0.113.129
	same_with_and_without "prohibited" \
		ip netns exec "$SND" ping -n -c 3 -i 0.3 -W 1 203.0.113.65
	ip netns exec "$SND" ping -n -c 1 -W 1 203.0.113.129 2>&1 | grep -q 'Unreachable'
	check_err $? "no unreachable error from an unreachable route"
	ip -n "$RTR" route del unreachable 203.0.113.128/25
	ip -n "$RTR" route del prohibit 203.0.113.64/26
	log_test "unreachable/prohibit: same ICMP errors with and without rdst"
}

# icmp_counter NS FIELD: the namespace's Icmp FIELD counter (/proc/net/snmp).
icmp_counter()
{
	ip netns exec "$1" awk -v f="$2" '/^Icmp:/ {
		if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c[f] }' /proc/net/snmp
}

# redirects_for SRC: redirects the router sends for five packets from SRC
# (a source address of its own: redirects are rate-limited per source, and
# five packets half a second apart stay under the limit).
redirects_for()
{
	local n0

	n0=$(icmp_counter "$RTR" OutRedirects)
	ip netns exec "$SND" ping -n -q -c 5 -i 0.5 -W 1 -I "$1" 198.18.0.1 >/dev/null 2>&1
	echo $(( $(icmp_counter "$RTR" OutRedirects) - n0 ))
}

# A packet the router sends back out of the interface it came in on, to a
# next hop on the sender's own link, earns the sender a redirect: the
# kernel's routing flags it (IPSKB_DOREDIRECT), rdst records the flag and
# re-applies it on every hit.
redirect_same_icmp()
{
	local h0 with without

	ip netns exec "$SND" sysctl -qw net.ipv4.conf.all.accept_redirects=0
	ip netns exec "$SND" sysctl -qw net.ipv4.conf.snd0.accept_redirects=0
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
	declined_by "looped-back packets" has_dst \
		ip netns exec "$RTR" ping -c 2 -i 0.1 -W 1 127.0.0.1

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
	declined_by "packets from a VRF slave" l3mdev ping_twice 203.0.113.1
	ip -n "$RTR" link set rtr0 nomaster
	ip -n "$RTR" link del rdst-vrf
	slowwait 5 ping_ok 203.0.113.1 1
	check_err $? "forwarding fails after the input device left the VRF"
	log_test "declines by origin, rules, route and device are counted by reason"
}

# sk_assign_load DEV: attach sk_assign.bpf.c to DEV's ingress in the router.
sk_assign_load()
{
	local obj rc

	obj=$(mktemp --suffix=.o)
	clang -O2 -target bpf -I"/usr/include/$(gcc -dumpmachine)" \
		-c "$DIR/sk_assign.bpf.c" -o "$obj" &&
	tc -n "$RTR" qdisc add dev "$1" clsact &&
	tc -n "$RTR" filter add dev "$1" ingress bpf direct-action obj "$obj" sec classifier
	rc=$?
	rm -f "$obj"
	return $rc
}

declines_by_socket_tunnel_exception()
{
	local holder

	# A socket assigned at tc ingress (bpf_sk_assign) stays on the packet.
	ip netns exec "$RTR" python3 -c 'import signal, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9999))
signal.pause()' &
	holder=$!
	slowwait 5 sh -c "ip netns exec $RTR ss -Hlun | grep -q ':9999 '"
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
	declined_by "packets from a collect_md tunnel" tunnel ping_twice 203.0.113.1
	ip -n "$SND" link del rdst-tun
	ip -n "$RTR" link del rdst-tun

	# A path MTU the router learned (frag-needed from the receiver, which
	# forwards 198.18.99.0/24 onto a 1280-byte link) is a next-hop exception.
	ip netns exec "$RCV" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$RCV" link add rdst-narrow mtu 1280 type dummy
	ip -n "$RCV" link set rdst-narrow up
	ip -n "$RCV" route add 198.18.99.0/24 dev rdst-narrow
	ip -n "$RTR" route add 198.18.99.0/24 via 198.51.100.2
	ip netns exec "$RTR" ping -c 1 -W 1 -M do -s 1400 198.18.99.1 >/dev/null 2>&1
	ip -n "$RTR" route get 198.18.99.1 | grep -q "mtu 1280"
	check_err $? "the router learned no path MTU for 198.18.99.1"
	declined_by "a route with a learned path MTU" exception \
		ping_twice 198.18.99.1
	ip -n "$RTR" route del 198.18.99.0/24
	ip -n "$RCV" link del rdst-narrow
	ip netns exec "$RCV" sysctl -qw net.ipv4.ip_forward=0

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

# The periodic sweep evicts idle entries without any cache pressure.
idle_entries_expire()
{
	local c1 c2 g0 g

	rdst_unload
	rdst_load idle_timeout_ms=3000 buckets=64 cache_after=1
	check_err $? "loading rdst with idle_timeout_ms=3000 failed"
	ping_ok 203.0.113.1 3
	send_random_sources 20
	c1=$(rdst_stat "$RTR" cached)
	g0=$(rdst_stat "$RTR" gc_runs)
	# Sending takes about a second on a KASAN guest: the timeout must
	# outlast it for the count above, the sleep must outlast the timeout
	# plus one sweep period.
	sleep 7
	c2=$(rdst_stat "$RTR" cached)
	g=$(( $(rdst_stat "$RTR" gc_runs) - g0 ))
	[ "$c1" -ge 20 ]
	check_err $? "$c1 entries cached for 20+ flows"
	[ "$c2" -eq 0 ]
	check_err $? "$c2 of $c1 entries still cached after 7 s idle"
	[ "$g" -eq 0 ]
	check_err $? "$g dst_ops.gc runs: expiry should need no cache pressure"
	rdst_unload
	rdst_load
	log_test "idle entries expire without traffic ($c1 -> $c2)"
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
	slowwait 10 bash -c "[ \"\$(source $DIR/rdst_lib.sh; rdst_stat $RTR garbage)\" -eq 0 ]"
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

# under_flood CMD...: run CMD while the sender floods the receiver with pings;
# sets $elapsed_ms to how long CMD took and returns its status.
under_flood()
{
	local t0 rc flood

	ip netns exec "$SND" ping -f -w 6 203.0.113.1 >/dev/null 2>&1 &
	flood=$!
	sleep 1
	t0=$(date +%s%N)
	"$@"
	rc=$?
	elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	wait "$flood"
	return $rc
}

# Routes and rules changing while new flows arrive: a decision that raced
# with a change is used for its packet but not cached (decline_race), and
# forwarding is right afterwards.  Rounds repeat until a race was seen: each
# is a window of a few microseconds.
route_churn_under_traffic()
{
	local batch v0 v i churner

	batch=$(mktemp)
	for i in $(seq 200); do echo "route add 198.18.$i.0/24 dev rtr1"; done > "$batch"
	for i in $(seq 100); do echo "rule add from 10.255.0.$i table main prio $((1000 + i))"; done >> "$batch"
	sed -e 's/^route add/route del/' -e 's/^rule add/rule del/' "$batch" > "$batch.del"
	cat "$batch.del" >> "$batch"
	v0=$(rdst_stat "$RTR" decline_race)
	for i in 1 2 3 4 5 6 7 8; do
		# Churn for as long as the flows take to send.
		(while :; do ip -n "$RTR" -batch "$batch"; done) >/dev/null 2>&1 &
		churner=$!
		send_random_sources 1500
		kill "$churner"
		wait "$churner" 2>/dev/null
		ip -n "$RTR" -force -batch "$batch.del" >/dev/null 2>&1
		v=$(rdst_stat "$RTR" decline_race)
		[ "$v" -gt "$v0" ] && break
	done
	rm -f "$batch" "$batch.del"
	[ "$v" -gt "$v0" ]
	check_err $? "no decision raced with $i rounds of route and rule churn"
	[ "$(ip -n "$RTR" route show | grep -c 198.18.)" -eq 0 ]
	check_err $? "the churn left routes behind"
	slowwait 5 ping_ok 203.0.113.1 1
	check_err $? "forwarding fails after the churn"
	log_test "route and rule churn under new flows: $((v - v0)) raced decisions not cached, forwarding intact"
}

unregister_under_traffic()
{
	local t

	under_flood ip -n "$RTR" link del rtr1
	check_err $? "deleting the output device failed"
	t=$elapsed_ms
	[ "$t" -lt 5000 ]
	check_err $? "unregistering the device took $t ms"
	topo_link_receiver
	slowwait 5 ping_ok 203.0.113.1 1
	check_err $? "forwarding fails after the device was re-created"
	log_test "device unregister under traffic completes in $t ms"
}

# Unloading while packets are in the hook on another CPU: the module must wait
# for them, so no entry outlives its dst_ops and the slab is destroyed each time
# (a leaked cache stays in /proc/slabinfo). Repeated, as the race is a window.
rmmod_under_traffic()
{
	local i t max=0

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
	[ "$max" -lt 10000 ]
	check_err $? "rmmod took $max ms"
	rdst_unload
	ping_ok 203.0.113.1
	check_err $? "forwarding fails without rdst after the unload"
	rdst_load
	log_test "rmmod under traffic (3 times) completes in at most $max ms, slab destroyed"
}

trap cleanup EXIT
rdst_require
rdst_load || exit 1
topo_create || exit $KSFT_SKIP
run_tests
