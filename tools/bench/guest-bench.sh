#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the fast guest (tools/bench/run.sh): forwarding throughput of
# a router namespace for each scenario and variant, in one boot.
#
#   SND --veth--> RTR --veth--> RCV
#   pktgen        forwards      drops at PRE_ROUTING (nft, priority -300,
#                               before any rdst hook: the same cost for all)
#
# Variants, interleaved run by run: vanilla (rdst not loaded), rdst, and the
# nftables flowtable software fast path (rdst not loaded).  A run lets
# pktgen (kpktgend_0, count 0) saturate the router for WARM s, then counts
# what the receiver gets from it over SECS s.  Writes CSV lines
#   scenario,variant,run,pps
# to $1, path costs (bpftrace) to $1.costs, and slab figures to $1.slab.
set -u

out=${1:?usage: guest-bench.sh OUT.csv}
RUNS=${RDST_BENCH_RUNS:-5}
SECS=${RDST_BENCH_SECS:-3}
WARM=1
FIB=${RDST_BENCH_FIB:-500000}
RULES=1000
KO=$RDST_BUILD/rdst.ko
SND=bsnd RTR=brtr RCV=brcv

say() { echo ">>> bench: $*" >&2; }
rdst_off() { [ -d /sys/module/rdst ] && rmmod rdst; return 0; }
rdst_on() { [ -d /sys/module/rdst ] || insmod "$KO" "$@"; }

topo()
{
	local ns
	for ns in $SND $RTR $RCV; do ip netns del $ns 2>/dev/null; ip netns add $ns; done
	ip -n $SND link add snd0 type veth peer name rtr0 netns $RTR
	ip -n $RTR link add rtr1 type veth peer name rcv0 netns $RCV
	ip -n $SND addr add 192.0.2.2/24 dev snd0
	ip -n $RTR addr add 192.0.2.1/24 dev rtr0
	ip -n $RTR addr add 198.51.100.1/24 dev rtr1
	ip -n $RCV addr add 198.51.100.2/24 dev rcv0
	for l in "$SND snd0" "$RTR rtr0" "$RTR rtr1" "$RCV rcv0"; do
		set -- $l; ip -n "$1" link set "$2" up
	done
	topo_routes
	ip netns exec $RTR sysctl -qw net.ipv4.ip_forward=1
	ip -n $RTR neigh replace 198.51.100.2 lladdr "$(mac $RCV rcv0)" dev rtr1 nud permanent
	ip -n $RTR neigh replace 192.0.2.2 lladdr "$(mac $SND snd0)" dev rtr0 nud permanent
	ip netns exec $RCV nft -f - <<-NFT || { say "nft sink failed"; exit 1; }
	table ip bench_sink {
		chain bench_pre {
			type filter hook prerouting priority -300; policy drop;
		}
	}
	NFT
}

mac() { ip -n "$1" -br link show "$2" | awk '{ print $3 }'; }

topo_routes()
{
	ip -n $RTR route replace 203.0.113.0/24 via 198.51.100.2 proto static
	# flood sources route back (rp_filter)
	ip -n $RTR route replace 10.0.0.0/8 via 192.0.2.2 proto static
	# the mixed workload's destinations
	ip -n $RTR route replace 198.18.0.0/16 via 198.51.100.2 proto static
}

rpf() { ip netns exec $RTR sysctl -qw net.ipv4.conf.all.rp_filter="$1" net.ipv4.conf.rtr0.rp_filter="$1"; }

flowtable_on()
{
	ip netns exec $RTR nft -f - <<-NFT || { say "nft flowtable failed"; exit 1; }
	table inet bench {
		flowtable bench_ft {
			hook ingress priority 0; devices = { rtr0, rtr1 };
		}
		chain bench_fwd {
			type filter hook forward priority 0;
			meta l4proto udp counter flow add @bench_ft
		}
	}
	NFT
}
flowtable_off() { ip netns exec $RTR nft delete table inet bench 2>/dev/null; true; }

# pg FILE CMD: one pktgen command in the sender's namespace.
pg()
{
	ip netns exec $SND sh -c "echo '$2' > /proc/net/pktgen/$1" ||
		{ echo "pktgen: $1: $2 failed" >&2; exit 1; }
}

# pktgen_cfg SRC_MIN SRC_MAX FLOWS FLOWLEN: 64-byte UDP packets from
# SRC_MIN..SRC_MAX (random when they differ) to 203.0.113.1, until stopped.
pktgen_cfg()
{
	local c
	pg pgctrl reset
	pg kpktgend_0 rem_device_all
	pg kpktgend_0 "add_device snd0"
	for c in "count 0" "pkt_size 64" "delay 0" "dst 203.0.113.1" \
		 "dst_mac $(mac $RTR rtr0)" "src_min $1" "src_max $2" \
		 "udp_src_min 9" "udp_src_max 9" "udp_dst_min 9" "udp_dst_max 9" \
		 "flows $3" "flowlen $4"; do
		pg snd0 "$c"
	done
	[ "$1" = "$2" ] || pg snd0 "flag IPSRC_RND"
}

# forwarded: packets the receiver got from the router.  Counted at rcv0, not
# by Ip:ForwDatagrams: the flowtable's fast path bypasses ip_forward.
forwarded() { ip -n $RCV -s link show rcv0 | awk '/RX:/ { getline; print $2; exit }'; }

pgctl() { ip netns exec $SND sh -c "echo $1 > /proc/net/pktgen/pgctrl"; }

# under_load CMD...: run CMD while pktgen sends, from WARM s after it starts.
# ("start" returns only once pktgen is stopped.)
under_load()
{
	local gen
	pgctl start &
	gen=$!
	sleep "$WARM"
	"$@"
	pgctl stop
	wait "$gen"
}

window()
{
	local a b
	a=$(forwarded); sleep "$SECS"; b=$(forwarded)
	echo $(( (b - a) / SECS ))
}

# measure: pps forwarded by RTR while pktgen saturates it.
measure() { under_load window; }

# slow_path: packets the flowtable variant's forward chain saw (not offloaded).
slow_path()
{
	ip netns exec $RTR nft list chain inet bench bench_fwd 2>/dev/null |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

variant()
{
	case $1 in
	vanilla) flowtable_off; rdst_off ;;
	# $RDST_PARAMS: module parameters of a scenario or measurement.
	rdst) flowtable_off; rdst_on ${RDST_PARAMS:-} ;;
	flowtable) rdst_off; flowtable_on ;;
	esac
}

scenario()
{
	local s=$1 run v pps
	for run in $(seq 1 "$RUNS"); do
		for v in vanilla rdst flowtable; do
			variant $v
			pps=$(measure)
			echo "$s,$v,$run,$pps" >> "$out"
			say "$s $v run $run: $pps pps$([ $v = flowtable ] &&
				echo ", $(slow_path) packets not offloaded")"
		done
	done
	variant vanilla
}

# Scenario set-up and tear-down around the shared topology.
fib_add()
{
	# Random prefixes of length 16..28 over the unicast space (fixed seed), so
	# that the trie is deep around the benchmark's destinations as well;
	# none covers the topology's own networks, which stay more specific.
	say "adding $FIB prefixes to RTR's main table"
	python3 -c "
import random, socket, struct, sys
random.seed(7)
n, seen = int(sys.argv[1]), set()
own = [(0x0a000000, 8), (0x7f000000, 8), (0xac100000, 12), (0xc0000200, 24), (0xc6336400, 24),
       (0xcb007100, 24)]
lens = (16, 20, 22, 23, 24, 24, 24, 24, 25, 26, 28)
while len(seen) < n:
    plen = random.choice(lens)
    a = random.randrange(1 << 24, 224 << 24) >> (32 - plen) << (32 - plen)
    if (a, plen) in seen or any((a ^ o) >> (32 - min(plen, l)) == 0 for o, l in own):
        continue
    seen.add((a, plen))
    print('route add %s/%d via 198.51.100.2' % (socket.inet_ntoa(struct.pack('!I', a)), plen))
" "$FIB" | ip -n $RTR -batch -
	say "RTR has $(ip -n $RTR route show | wc -l) routes"
}
fib_del() { ip -n $RTR route flush proto boot; topo_routes; }

rules_add()
{
	python3 -c "
for i in range($RULES):
    print('rule add from 172.16.%d.%d/32 lookup 100 pref %d' % (i >> 8, i & 255, 100 + i))
" | ip -n $RTR -batch -
	say "RTR has $(ip -n $RTR rule show | wc -l) rules"
}
rules_del() { ip -n $RTR rule show | awk -F: '$1 >= 100 && $1 < 32766 { print "rule del pref " $1 }' | ip -n $RTR -batch - ; }

# probe NAME PROGRAM: run a bpftrace PROGRAM while pktgen sends for 3 s,
# started by bpftrace itself (-c) once the probes are attached.
probe()
{
	local run=$out.pktgen.sh
	{ declare -p SND WARM; declare -f pgctl under_load; echo "under_load sleep 3"; } > "$run"
	timeout 120 bpftrace -c "/bin/bash $run" -e "$2" > "$out.costs.$1" 2>&1 ||
		say "bpftrace for $1 costs failed (see $out.costs.$1)"
}

costs()
{
	# Per-packet cost of rdst's hit path (nf_hook_slow entry to rdst_hit,
	# the dst attached) and miss path (to rdst_insert), against the
	# kernel's ip_route_input_noref on the same packets without rdst.
	# pktgen is slowed to 5 kpps: the probes, not the load, are measured;
	# their overhead is in every figure alike.
	say "path costs (bpftrace)"
	pktgen_cfg 192.0.2.2 192.0.2.2 0 0
	pg snd0 "delay 200000"
	variant rdst
	probe hit 'kprobe:nf_hook_slow { @t[cpu] = nsecs; }
		tracepoint:rdst:rdst_hit /@t[cpu]/ { @ns[nsecs - @t[cpu]] = count(); delete(@t[cpu]); }
		END { clear(@t); }'
	# The miss path that allocates and inserts: every new flow cached.
	pktgen_cfg 10.0.0.1 10.255.255.254 0 0
	pg snd0 "delay 200000"
	rdst_off; RDST_PARAMS=cache_after=1 variant rdst
	probe miss 'kprobe:nf_hook_slow { @t[cpu] = nsecs; }
		tracepoint:rdst:rdst_insert /@t[cpu]/ { @ns[nsecs - @t[cpu]] = count(); delete(@t[cpu]); }
		END { clear(@t); }'
	variant vanilla
	pktgen_cfg 192.0.2.2 192.0.2.2 0 0
	pg snd0 "delay 200000"
	probe kernel 'kprobe:ip_route_input_noref { @t[tid] = nsecs; }
		kretprobe:ip_route_input_noref /@t[tid]/ { @ns[nsecs - @t[tid]] = count(); delete(@t[tid]); }
		END { clear(@t); }'
}

# profile VARIANT: where the CPU goes with pktgen saturating the router on
# the one-route, rp_filter=1 scenario (perf, all CPUs, 3 s).
profile()
{
	local f=$out.profile.$1
	variant "$1"
	under_load perf record -q -a -o "$f.data" -- sleep 3 2>/dev/null
	perf report -q -i "$f.data" --stdio --no-children --sort sym 2>/dev/null |
		grep -v '^$' | head -40 > "$f"
	rm -f "$f.data"
}

mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
topo
say "kernel $(uname -r), $(nproc) CPUs, runs=$RUNS secs=$SECS"

if [ "${RDST_BENCH_ONLY:-}" = profile ]; then
	pktgen_cfg 192.0.2.2 192.0.2.2 0 0
	rpf 1
	command -v perf >/dev/null && { profile vanilla; profile rdst; variant vanilla; }
	say "profiles in $out.profile.*"
	exit 0
fi
: > "$out"

pktgen_cfg 192.0.2.2 192.0.2.2 0 0
rpf 0; scenario one_route_rpf0
rpf 1; scenario one_route_rpf1
rpf 0
fib_add; scenario large_fib_$FIB; fib_del
rules_add; scenario rules_$RULES; rules_del
pktgen_cfg 10.0.0.1 10.255.255.254 0 0
scenario miss_flood
# The same flood with admission control off: every new flow is cached.
RDST_PARAMS=cache_after=1 scenario flood_cache_after1
# 1000 concurrent flows (pktgen's flows are destinations), each renewed with
# a random destination after 10 packets: about 90 % of packets hit, 10 % are
# new flows.
pktgen_cfg 192.0.2.2 192.0.2.2 1000 10
pg snd0 "dst_min 198.18.0.1"
pg snd0 "dst_max 198.18.255.254"
pg snd0 "flag IPDST_RND"
scenario mixed_1k_hot

# Slab at the end of a flood with rdst caching every flow (gc_thresh
# default), then costs.
RDST_PARAMS=cache_after=1 variant rdst
pktgen_cfg 10.0.0.1 10.255.255.254 0 0
measure > /dev/null
{ grep -E '^rdst_cache ' /proc/slabinfo
  dmesg | sed -n 's/.*rdst: loaded: gc_thresh=\([0-9]*\).*/\1/p' | tail -1; } > "$out.slab"
costs
variant vanilla
say "done"
