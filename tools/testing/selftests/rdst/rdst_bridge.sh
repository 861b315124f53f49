#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bridged traffic under br_netfilter: with bridge-nf-call-iptables, the
# bridge passes each IPv4 frame it bridges through the IPv4 PRE_ROUTING
# hooks (skb->dev is the bridge) and then bridges it; nothing routes it.
# rdst's hook must leave those frames alone: every kind of bridged frame
# reaches the other port the same with and without rdst, and traffic the
# same host routes through the bridge is still served from the cache.
#
#   SND snd0 ---- rtr0 -+- br0 192.0.2.1/24  RTR  rtr1 198.51.100.1 ---- RCV
#   192.0.2.2/24        |  (rp_filter=1,          (default route)    203.0.113.1
#   10.9.0.2/24         |   br_netfilter)
#   H2  h2p0 ---- brp1 -+
#   192.0.2.3/24, 10.9.0.3/24, 02:00:00:00:02:03

ALL_TESTS="
	bridged_frames_same_fates
	bridged_frames_not_routed
	routed_through_bridge_cached
"

source "$(dirname "$(readlink -f "$0")")/rdst_lib.sh"

H2_MAC=02:00:00:00:02:03
# Frames per kind.
COUNT=4
# Each kind of bridged frame: name, destination MAC, source, destination,
# and the UDP port H2 counts it by.  Those the router could not route (a
# source that fails rp_filter, a multicast group it did not join, a zero
# source to a unicast address) are the ones routing would drop.
KINDS="
	unicast       $H2_MAC           192.0.2.2 192.0.2.3       4001
	unicast_rpf   $H2_MAC           10.9.0.2  10.9.0.3        4002
	broadcast     ff:ff:ff:ff:ff:ff 192.0.2.2 192.0.2.255     4003
	multicast     01:00:5e:01:02:03 192.0.2.2 239.1.2.3       4004
	dhcp_discover ff:ff:ff:ff:ff:ff 0.0.0.0   255.255.255.255 4005
	zero_source   $H2_MAC           0.0.0.0   192.0.2.3       4006
"

cleanup()
{
	topo_destroy
	[ -n "${H2:-}" ] && cleanup_ns "$H2" 2>/dev/null
	rdst_unload 2>/dev/null
}

# The router's rtr0 becomes a port of br0, which takes its address; H2 is
# the bridge's second port.
bridge_create()
{
	setup_ns H2 || return 1
	ip -n "$RTR" -batch - <<-EOF || return 1
		addr del 192.0.2.1/24 dev rtr0
		link add br0 type bridge
		link set rtr0 master br0
		addr add 192.0.2.1/24 dev br0
		link set br0 up
		link add brp1 type veth peer name h2p0 netns $H2
		link set brp1 master br0
		link set brp1 up
		route add default via 198.51.100.2
	EOF
	ip -n "$H2" -batch - <<-EOF || return 1
		link set h2p0 address $H2_MAC
		addr add 192.0.2.3/24 dev h2p0
		addr add 10.9.0.3/24 dev h2p0
		link set h2p0 up
	EOF
	ip -n "$SND" addr add 10.9.0.2/24 dev snd0 || return 1
	ns_exec "$RTR" sysctl -qw net.bridge.bridge-nf-call-iptables=1 \
		net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.br0.rp_filter=1 || return 1
	# H2 counts what reaches its IPv4 layer, by UDP port, before anything
	# else sees it, and drops it: no port-unreachable error comes back
	# across the bridge.
	ns_exec "$H2" nft -f - <<-EOF || return 1
		table ip rdst_bridge {
			chain pre {
				type filter hook prerouting priority -300; policy accept;
				udp dport 4001-4006 counter
				$(for p in 4001 4002 4003 4004 4005 4006; do
					echo "udp dport $p counter drop"
				done)
			}
		}
	EOF
	ns_hold "$H2"
	# The bridge's ports forward once STP-less learning is up: wait for H2
	# to answer through it.
	slowwait 30 ns_exec "$SND" ping -c 1 -W 1 192.0.2.3 > /dev/null
}

# send_frames COUNT KIND...: COUNT Ethernet frames of each KIND (a line of
# $KINDS) from SND's snd0, through a packet socket: addresses no IP socket
# would send (a zero source, another host's MAC) go out as written.
send_frames()
{
	local count=$1 kind specs=() name mac src dst port

	shift
	for kind in "$@"; do
		read -r name mac src dst port < <(kind_line "$kind")
		specs+=("$mac,$src,$dst,$port")
	done
	ns_exec "$SND" python3 -I -S - snd0 "$count" "${specs[@]}" <<'PY'
import socket, struct, sys
ifname, count, specs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
smac = s.getsockname()[4]

def checksum(b):
    n = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while n >> 16:
        n = (n & 0xffff) + (n >> 16)
    return ~n & 0xffff

for spec in specs:
    mac, src, dst, port = spec.split(",")
    udp = struct.pack("!HHHH", 4000, int(port), 12, 0) + b"rdst"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    frame = bytes.fromhex(mac.replace(":", "")) + smac + b"\x08\x00" + ip + udp
    for _ in range(count):
        s.send(frame)
PY
}

kind_line() { echo "$KINDS" | awk -v k="$1" '$1 == k'; }
kind_names() { echo "$KINDS" | awk 'NF { print $1 }'; }

# h2_counters: the packets H2 has counted, all kinds first, then each kind
# in $KINDS order (the rules' counters, in the chain's order).
h2_counters()
{
	ns_exec "$H2" nft list chain ip rdst_bridge pre |
		sed -n 's/.*udp dport [0-9-]* counter packets \([0-9]*\) .*/\1/p' | tr '\n' ' '
}

h2_total_is() { local n; read -r n _ < <(h2_counters); [ $((n - $1)) -eq "$2" ]; }

# bridged_run: every kind bridged to H2; prints what H2 received of each
# kind and the router's rp_filter drops.  Waits for all frames to arrive,
# or 10 s.
bridged_run()
{
	local -a before after
	local rpf0 kinds want i=0 kind out=

	kinds=$(kind_names)
	want=$(( COUNT * $(echo $kinds | wc -w) ))
	read -r -a before < <(h2_counters)
	rpf0=$(rpf_drops "$RTR")
	send_frames "$COUNT" $kinds
	slowwait 10 h2_total_is "${before[0]}" "$want"
	read -r -a after < <(h2_counters)
	for kind in $kinds; do
		i=$((i + 1))
		out="$out$kind=$(( after[i] - before[i] )) "
	done
	echo "${out}rp_filter_drops=$(( $(rpf_drops "$RTR") - rpf0 ))"
}

bridged_frames_same_fates()
{
	local kernel with_rdst kind expect mode

	rdst_unload
	kernel=$(bridged_run)
	for kind in $(kind_names); do
		expect="$expect$kind=$COUNT "
	done
	[ "$kernel" = "${expect}rp_filter_drops=0" ]
	check_err $? "without rdst, the bridge delivered: $kernel"
	# Both of rdst's hooks: the input route hook (the default) and the
	# PRE_ROUTING one.
	for mode in N Y; do
		rdst_load_afresh direct_hook=$mode
		check_err $? "rdst failed to load (direct_hook=$mode)"
		with_rdst=$(bridged_run)
		[ "$with_rdst" = "$kernel" ]
		check_err $? "with rdst (direct_hook=$mode): $with_rdst; without: $kernel"
	done
	log_test "bridged frames ($(kind_names | tr '\n' ' ' | sed 's/ $//')) fare as without rdst"
}

# rdst's PRE_ROUTING hook (direct_hook=N) declines the frames the bridge
# passes through PRE_ROUTING; the input route hook never sees them, since
# nothing routes them.  Either way none is looked up.
bridged_frames_not_routed()
{
	local mode d0 m0 h0 d m h total want out= n=$((3 * COUNT))

	for mode in N Y; do
		rdst_load_afresh direct_hook=$mode
		check_err $? "rdst failed to load (direct_hook=$mode)"
		d0=$(rdst_stat "$RTR" decline_bridged)
		check_err $? "no decline_bridged counter"
		m0=$(rdst_stat "$RTR" misses)
		h0=$(rdst_stat "$RTR" hits)
		read -r total _ < <(h2_counters)
		# Only the frames that are not the router's own: broadcasts and the
		# multicast also go up its stack, which may route them.
		send_frames "$COUNT" unicast unicast_rpf zero_source
		slowwait 10 h2_total_is "$total" "$n"
		check_err $? "direct_hook=$mode: H2 did not receive the $n frames"
		d=$(( $(rdst_stat "$RTR" decline_bridged) - d0 ))
		m=$(( $(rdst_stat "$RTR" misses) - m0 ))
		h=$(( $(rdst_stat "$RTR" hits) - h0 ))
		want=$n
		[ $mode = Y ] && want=0
		[ "$d" -eq "$want" ] && [ "$m" -eq 0 ] && [ "$h" -eq 0 ]
		check_err $? "direct_hook=$mode: $n frames bridged to H2: $d declined as bridged (want $want), $m missed, $h hit"
		out="$out direct_hook=$mode: $d of $n declined;"
	done
	rdst_load_afresh
	log_test "bridged frames are never looked up ($out)"
}

# With br_netfilter, a packet the bridge passes up to its own IPv4 stack
# meets br_netfilter's ip_sabotage_in first in PRE_ROUTING, which hands it
# to ip_rcv_finish itself: no later PRE_ROUTING hook sees it, rdst's input
# route hook (the default) does.  Traffic routed through the bridge is
# rdst's to cache: the echo replies, which come in on rtr1, and with the
# input route hook the requests the bridge passes up.
routed_through_bridge_cached()
{
	local h0 h want=15 what="replies"

	if rdst_direct_hook; then
		want=30 what="requests and replies"
	fi
	h0=$(rdst_stat "$RTR" hits)
	ns_exec "$SND" ping -c 20 -i 0.02 -W 2 203.0.113.1 > /dev/null
	check_err $? "ping through br0 to 203.0.113.1 failed"
	h=$(( $(rdst_stat "$RTR" hits) - h0 ))
	# Each flow misses twice (cache_after=2), then hits.
	[ "$h" -ge "$want" ]
	check_err $? "$h of 20 $what routed through br0 served from the cache (want $want)"
	log_test "traffic routed through the bridge is cached ($h hits for 20 $what)"
}

trap cleanup EXIT
rdst_require
rdst_load || exit 1
topo_create || exit $KSFT_SKIP
if [ ! -d /proc/sys/net/bridge ]; then
	ktap_skip_all "no br_netfilter (CONFIG_BRIDGE_NETFILTER)"
	exit $KSFT_SKIP
fi
bridge_create || exit 1
run_tests
