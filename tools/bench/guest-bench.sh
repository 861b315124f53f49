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
# Receive modes (RDST_BENCH_MODE, a list; default backlog), so that the
# router, not the generator, is what a run measures:
#   single   everything in one softirq chain on CPU 0 (pktgen, router,
#            receiver; CPU 1 idles): the old set-up.
#   backlog  rtr0 without NAPI, RPS steers it to CPU 1's backlog; pktgen
#            alone on CPU 0, injecting into rtr0's receive path (GEN).
#   napi     rtr0 with veth NAPI (GRO on), threaded, its kthread pinned to
#            CPU 1; packets arrive in lists (the kernel's ip_route_use_hint
#            applies to vanilla).
# In backlog and napi modes the receiver's rcv0 uses veth NAPI (GRO on, not
# threaded): it is scheduled on the CPU that transmits to it, CPU 1, and has
# its own ring instead of sharing CPU 1's backlog queue with pktgen, which
# keeps that queue full and would drop forwarded packets.  There, too, a
# lowest-priority busy loop keeps CPU 1 from halting (poll_on;
# RDST_BENCH_POLL=0 leaves it out).
#
# Variants, interleaved run by run: vanilla (rdst not loaded),
# vanilla_nodemux (vanilla with net.ipv4.ip_early_demux=0 in RTR), rdst, and
# the nftables flowtable software fast path (rdst not loaded).  A run lets
# pktgen (kpktgend_0, count 0) saturate the router for WARM s, then counts
# over about SECS s; every rate is over the time measured between two
# snapshots of the counters.  Writes $1 (CSV with a header line, one line a
# run; see HEADER), $1.meta, the microbenchmark's per-lookup figures to
# $1.kbench (kbench), slab figures to $1.slab and, for
# RDST_BENCH_ONLY=profile, $1.profile.*.  RDST_BENCH_ONLY: words, each a
# scenario name or glob (one_route_*), "kbench", "slab" or "profile"; empty
# runs every scenario, the microbenchmark and slab.
set -u

out=${1:?usage: guest-bench.sh OUT.csv}
RUNS=${RDST_BENCH_RUNS:-5}
SECS=${RDST_BENCH_SECS:-3}
WARM=1
FIB=${RDST_BENCH_FIB:-500000}
RULES=1000
KO=$RDST_BUILD/rdst.ko
SND=bsnd RTR=brtr RCV=brcv
MODES=${RDST_BENCH_MODE:-backlog}
ONLY=${RDST_BENCH_ONLY:-}
VARIANTS="vanilla vanilla_nodemux rdst flowtable"
# Rates are per second over the window: pps what rcv0 received, offered
# what pktgen sent on snd0 (TX packets plus TX drops: what rtr0's backlog
# or ring refused), or injected into rtr0 (pkts-sofar); shares in % of each CPU's time
# (idle includes iowait, sys is kernel time outside softirq: threaded NAPI's
# kthread counts there); drops are /proc/net/softnet_stat's (backlog queue
# full) and fwd_drop rtr1's tx_dropped (forwarded, refused by rcv0).
HEADER=mode,scenario,variant,run,pps,offered,secs,cpu0_idle,cpu0_sirq,cpu0_sys,cpu1_idle,cpu1_sirq,cpu1_sys,cpu1_poll,drops0,drops1,fwd_drop,bound
# A run is router-bound when CPU 1 had less than IDLE_MAX % idle or polling
# (cpu1_poll: the time of POLLER, see poll_on) and pktgen offered at least
# OFFER_MIN times what was forwarded.
IDLE_MAX=5 OFFER_MIN=1.1

say() { echo ">>> bench: $*" >&2; }

# want NAME: whether RDST_BENCH_ONLY selects NAME (all but profile when empty).
want()
{
	local w
	[ -z "$ONLY" ] && { [ "$1" != profile ]; return; }
	for w in ${ONLY//,/ }; do
		# shellcheck disable=SC2254 # w is a glob on purpose
		case $1 in $w) return 0 ;; esac
	done
	return 1
}
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
	# veth hands a packet to the peer's NAPI only if it may be aggregated,
	# which for pktgen's and forwarded packets means no TSO on the sending
	# device (veth_skb_is_eligible_for_gro); it changes nothing else here.
	ip netns exec $SND ethtool -K snd0 tso off
	ip netns exec $RTR ethtool -K rtr1 tso off
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

# holders: one idle process in each namespace, so that /proc/PID/net/dev
# gives that namespace's device counters to a read without a process start
# (ip netns exec execs the command in place: $! is in the namespace).
holders()
{
	ip netns exec $SND sleep 1d & SND_PID=$!
	ip netns exec $RTR sleep 1d & RTR_PID=$!
	ip netns exec $RCV sleep 1d & RCV_PID=$!
	trap 'poll_off; kill $SND_PID $RTR_PID $RCV_PID 2>/dev/null' EXIT
	sleep 1
}

# nsx NS SCRIPT: a shell script inside namespace NS, which mounts that
# namespace's sysfs (/sys/class/net shows its devices).
nsx() { ip netns exec "$1" sh -c "$2"; }

# poll_on, poll_off: a busy loop on CPU 1 at the lowest priority (SCHED_IDLE,
# nice 19: its time is /proc/stat's "nice"), like idle=poll.  Under TCG a
# halted vCPU takes long to wake: without it CPU 1 sat idle for 5-50 % of
# a run while pktgen overflowed its backlog or rtr0's ring in the meantime.
# Any wake-up preempts it at once.
POLLER= NAPI_K=
poll_on()
{
	[ -n "$POLLER" ] && return
	nice -n 19 chrt -i 0 taskset -c 1 sh -c 'while :; do :; done' &
	POLLER=$!
}
poll_off() { [ -n "$POLLER" ] && kill "$POLLER"; POLLER=; return 0; }

# mode_set MODE: where RTR's and RCV's receive work runs (see the top).  The
# order matters: NAPI exists only while GRO is on, "threaded" needs it, and
# every GRO on creates a new kthread to pin.
mode_set()
{
	local k
	GEN_NS=$SND
	[ "$1" = backlog ] && [ "$GEN" = inject ] && GEN_NS=$RTR
	case $1 in single) poll_off ;; *) [ "${RDST_BENCH_POLL:-1}" = 1 ] && poll_on ;; esac
	case $1 in
	single | backlog)
		nsx $RTR "echo 0 > /sys/class/net/rtr0/threaded 2>/dev/null
			ethtool -K rtr0 gro off
			echo $([ "$1" = backlog ] && echo 2 || echo 0) > /sys/class/net/rtr0/queues/rx-0/rps_cpus"
		;;
	napi)
		nsx $RTR "echo 0 > /sys/class/net/rtr0/queues/rx-0/rps_cpus
			ethtool -K rtr0 gro on
			echo 1 > /sys/class/net/rtr0/threaded"
		k=$(pgrep '^napi/rtr0-'); NAPI_K=$k
		[ -n "$k" ] && taskset -pc 1 "$k" > /dev/null ||
			{ say "napi: no napi/rtr0-* kthread to pin"; exit 1; }
		say "napi: $(ps -o comm=,pid=,psr= -p "$k" | tr -s ' ') (comm pid cpu),$(taskset -p "$k" | sed 's/.*:/ affinity/')"
		;;
	*) say "unknown mode $1"; exit 1 ;;
	esac
	nsx $RCV "ethtool -K rcv0 gro $([ "$1" = single ] && echo off || echo on)"
	say "mode $1: $(nsx $RTR "ethtool -k rtr0 | grep -w generic-receive-offload
		echo threaded \$(cat /sys/class/net/rtr0/threaded) rps_cpus \$(cat /sys/class/net/rtr0/queues/rx-0/rps_cpus)" | tr '\n' ' ')
		rcv0 $(nsx $RCV "ethtool -k rcv0" | grep -w generic-receive-offload)"
}

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

# Two generators, configured alike, one started at a time (GEN_NS, set by
# mode_set): pktgen in SND sending on snd0 through the veth pair, and, for
# backlog mode, pktgen in RTR injecting into rtr0's receive path
# (xmit_mode netif_receive: netif_receive_skb, which RPS turns into an
# enqueue on CPU 1's backlog, as netif_rx does).  Injecting costs pktgen's
# CPU no veth transmit, so that it offers well above what the router
# forwards (RDST_BENCH_GEN=veth keeps the veth sender in backlog mode too).
GEN=${RDST_BENCH_GEN:-inject} GEN_NS=$SND

# pg FILE CMD: one pktgen command, to both generators (snd0's commands to
# rtr0's too).
pg()
{
	local f=$1 c=$2
	ip netns exec $SND sh -c "echo '$c' > /proc/net/pktgen/$f" ||
		{ echo "pktgen: $f: $c failed" >&2; exit 1; }
	[ "$f" = snd0 ] && f=rtr0
	[ "$c" = "add_device snd0" ] && c="add_device rtr0"
	ip netns exec $RTR sh -c "echo '$c' > /proc/net/pktgen/$f" ||
		{ echo "pktgen in $RTR: $f: $c failed" >&2; exit 1; }
	[ "$c" = "add_device rtr0" ] && pg_rtr rtr0 "xmit_mode netif_receive"
	return 0
}
pg_rtr() { ip netns exec $RTR sh -c "echo '$2' > /proc/net/pktgen/$1"; }

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

pgctl() { ip netns exec $GEN_NS sh -c "echo $1 > /proc/net/pktgen/pgctrl"; }

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

# snap: the counters a window needs and a timestamp, read together with
# shell builtins only (a process start takes 0.1-0.5 s under TCG), into
# SNAP as "@name" section lines followed by the file's lines.  Forwarded
# packets are counted at rcv0, not by Ip:ForwDatagrams: the flowtable's fast
# path bypasses ip_forward.
snap()
{
	local f t0=$EPOCHREALTIME
	SNAP=()
	for f in stat:/proc/stat softnet:/proc/net/softnet_stat snd:/proc/$SND_PID/net/dev \
		 rtr:/proc/$RTR_PID/net/dev rcv:/proc/$RCV_PID/net/dev \
		 gen:/proc/$RTR_PID/net/pktgen/rtr0; do
		SNAP+=("@${f%%:*}")
		mapfile -t -O ${#SNAP[@]} SNAP < "${f#*:}"
	done
	SNAP+=("@t $t0 $EPOCHREALTIME")
}

# The CSV fields after mode,scenario,variant,run from two snapshots, the
# first before "@end"; -v mode=MODE for the router-bound check.
WINDOW_AWK='
function hex(s,  i, v) { v = 0; s = tolower(s)
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v }
# dev NAME: the fields after "NAME:" in a /proc/net/dev line into f[]
function dev(name) { sub(".*" name ":", ""); return split($0, f) }
BEGIN { w = 0 }
$0 == "@end" { w = 1; next }
/^@t / { t[w] = ($2 + $3) / 2; next }
/^@/ { sec = substr($1, 2); ncpu = 0; next }
sec == "stat" && $1 ~ /^cpu[01]$/ { c = substr($1, 4); tot = 0
	for (i = 2; i <= NF; i++) tot += $i
	T[w, c] = tot; I[w, c] = $5 + $6; Q[w, c] = $8; S[w, c] = $4; N[w, c] = $3 }
sec == "softnet" { D[w, ncpu++] = hex($2) }
sec == "snd" && /snd0:/ { dev("snd0"); O[w] = f[10] + f[12] }
sec == "gen" && $1 == "pkts-sofar:" { G[w] = $2 }
sec == "rtr" && /rtr1:/ { dev("rtr1"); X[w] = f[12] }
sec == "rcv" && /rcv0:/ { dev("rcv0"); R[w] = f[2] }
function share(a, c,  d) { d = T[1, c] - T[0, c]; return d > 0 ? sprintf("%.1f", 100 * (a[1, c] - a[0, c]) / d) : "" }
END {
	dt = t[1] - t[0]
	pps = (R[1] - R[0]) / dt; off = (inject ? G[1] - G[0] : O[1] - O[0]) / dt
	idle1 = share(I, 1); poll1 = share(N, 1)
	bound = mode == "single" ? "na" : (idle1 != "" && idle1 + poll1 < idle_max && off >= offer_min * pps) ? 1 : 0
	printf "%d,%d,%.3f,%s,%s,%s,%s,%s,%s,%s,%d,%d,%d,%s\n", pps, off, dt,
		share(I, 0), share(Q, 0), share(S, 0), idle1, share(Q, 1), share(S, 1), poll1,
		(D[1, 0] - D[0, 0]) / dt, (D[1, 1] - D[0, 1]) / dt, (X[1] - X[0]) / dt, bound
}'

# window MODE: the CSV fields of one window of about SECS s (see HEADER).
window()
{
	local a
	snap; a=("${SNAP[@]}")
	sleep "$SECS"
	snap
	printf '%s\n' "${a[@]}" @end "${SNAP[@]}" |
		awk -v mode="$1" -v inject=$([ "$GEN_NS" = "$RTR" ] && echo 1 || echo 0) -v idle_max=$IDLE_MAX -v offer_min=$OFFER_MIN "$WINDOW_AWK"
}

# measure MODE: the window's fields while pktgen saturates the router.
measure() { under_load window "$1"; }

# slow_path: packets the flowtable variant's forward chain saw (not offloaded).
slow_path()
{
	ip netns exec $RTR nft list chain inet bench bench_fwd 2>/dev/null |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

# demux 0|1: the router namespace's early demux (skipped when unchanged).
DEMUX=1
demux()
{
	[ "$DEMUX" = "$1" ] && return
	ip netns exec $RTR sysctl -qw net.ipv4.ip_early_demux="$1"
	DEMUX=$1
}

variant()
{
	case $1 in
	vanilla) flowtable_off; rdst_off; demux 1 ;;
	vanilla_nodemux) flowtable_off; rdst_off; demux 0 ;;
	# $RDST_PARAMS: module parameters of a scenario or measurement.
	rdst) flowtable_off; demux 1; rdst_on ${RDST_PARAMS:-} ;;
	flowtable) rdst_off; demux 1; flowtable_on ;;
	esac
}

# scenario NAME: RUNS runs of every variant in every mode, if selected.
# Modes alternate per scenario (switching them takes process starts),
# variants per run.
scenario()
{
	local s=$1 m run v r
	want "$s" || return 0
	for m in $MODES; do
		mode_set "$m"
		for run in $(seq 1 "$RUNS"); do
			for v in $VARIANTS; do
				variant $v
				r=$(measure "$m")
				echo "$m,$s,$v,$run,$r" >> "$out"
				say "$m $s $v run $run: $r$([ $v = flowtable ] &&
					echo ", $(slow_path) packets not offloaded")"
			done
		done
		[ "$m" = napi ] && say "napi: $(ps -o comm=,psr= -p "$NAPI_K") (comm, CPU it last ran on)"
	done
	variant vanilla
}

# Scenario set-up and tear-down around the shared topology.
fib_add()
{
	# Random prefixes of length 16..28 over the unicast space (fixed seed), so
	# that the trie is deep around the benchmark's destinations as well;
	# none covers the topology's own networks, which stay more specific.
	# The first 23 cover DST1K (198.18.0.0/22, the 1000-destination
	# scenarios' range; the topology routes 198.18.0.0/16) with /24, /25,
	# /26 and /28 prefixes, so that every one of those destinations' longest
	# match is a prefix of the large FIB, as deep as its random ones, and not
	# the topology's /16 (random prefixes may cover parts of the /22 too,
	# shorter or longer; all route via the receiver).
	say "adding $FIB prefixes to RTR's main table"
	python3 -c "
import random, socket, struct, sys
random.seed(7)
n, seen = int(sys.argv[1]), set()
blk = 0xc6120000
for a, plen, k in ((blk, 24, 1), (blk + 256, 25, 2), (blk + 512, 26, 4), (blk + 768, 28, 16)):
    for i in range(k):
        seen.add((a + i * (1 << (32 - plen)), plen))
        print('route add %s/%d via 198.51.100.2' % (socket.inet_ntoa(struct.pack('!I', a + i * (1 << (32 - plen)))), plen))
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
	say "RTR has $(ip -n $RTR route show | wc -l) routes; routes matching 198.18.3.100 (longest last):" \
		"$(ip -n $RTR route show match 198.18.3.100 | tr '\n' ';')"
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

# kbench NAME: the per-lookup cost of the scenario's flow (192.0.2.2 ->
# 203.0.113.1 in on rtr0), measured in the kernel by rdst_kbench.ko
# (net/rdst/rdst_kbench.c: 10^6 lookups of one prepared packet, medians of 11
# rounds), without rdst (the kernel's ip_route_input_noref, and an empty
# PRE_ROUTING), with the rust_nf_count sample (a PRE_ROUTING hook that only
# counts: what netfilter's dispatch to a Rust hook costs) and with rdst (its
# hit: as loaded by default, from the kernel's input route hook, "direct";
# with direct_hook=N, "rdst_nf", the PRE_ROUTING hooks attach rdst's dst,
# and the same hook functions called without netfilter's dispatch,
# "hookfns").  Appends to $out.kbench lines of
#   scenario,variant,measure,median_ns,min_ns,max_ns,dst_attached
kbench()
{
	local name=$1 v n
	want kbench || return 0
	for v in vanilla nf_count rdst rdst_nf; do
		case $v in
		nf_count) variant vanilla; insmod "$RDST_BUILD/rust_nf_count.ko" ;;
		rdst_nf) variant vanilla; RDST_PARAMS="${RDST_PARAMS:-} direct_hook=N" variant rdst ;;
		*) variant $v ;;
		esac
		n=$(dmesg | wc -l)
		# Always refused (-EAGAIN) once the figures are logged.
		ip netns exec $RTR insmod "$RDST_BUILD/rdst_kbench.ko" iif=rtr0 src=192.0.2.2 \
			dst=203.0.113.1 2>/dev/null
		dmesg | tail -n +$((n + 1)) | awk -v pre="$name,$v" '
			/rdst_kbench: [a-z]+ .* ns median/ {
				sub(/.*rdst_kbench: /, ""); split($0, w, /[ ()-]+/)
				# w: measure, src, >dst, iif, dev:, median, ns, median, min, max, ...
				served = /no dst attached/ ? 0 : /dst attached/ ? 1 : "na"
				print pre "," w[1] "," w[6] "," w[9] "," w[10] "," served
			}' >> "$out.kbench"
		[ $v = nf_count ] && rmmod rust_nf_count
	done
	say "kbench $name: $(grep "^$name," "$out.kbench" | tr '\n' ' ')"
	variant vanilla
}

# profile VARIANT: where the router's CPU goes with pktgen saturating it on
# the one-route, rp_filter=1 scenario in backlog mode (perf on CPU 1, the
# router's and the receiver's, not pktgen's CPU 0; 3 s).
profile()
{
	local f=$out.profile.$1
	variant "$1"
	under_load perf record -q -C 1 -o "$f.data" -- sleep 3 2>/dev/null
	perf report -q -i "$f.data" --stdio --no-children --sort sym 2>/dev/null |
		grep -v '^$' | head -40 > "$f"
	rm -f "$f.data"
}

# dst1k: pktgen's destinations become 1000 addresses of DST1K in random
# order, packet by packet.
dst1k()
{
	pg snd0 "dst_min 198.18.0.1"
	pg snd0 "dst_max 198.18.3.232"
	pg snd0 "flag IPDST_RND"
}

mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
topo
holders
# No figures of an earlier run left to be reported as this one's.
rm -f "$out".kbench "$out".slab "$out".profile.*
say "kernel $(uname -r), $(nproc) CPUs, modes=$MODES runs=$RUNS secs=$SECS fib=$FIB only=${ONLY:-all}"

if want profile; then
	pktgen_cfg 192.0.2.2 192.0.2.2 0 0
	rpf 1
	mode_set backlog
	command -v perf >/dev/null && { profile vanilla; profile rdst; profile flowtable; variant vanilla; }
	say "profiles in $out.profile.*"
	[ "$ONLY" = profile ] && exit 0
fi
echo "$HEADER" > "$out"
echo "modes=$MODES runs=$RUNS secs=$SECS warm=$WARM fib=$FIB rules=$RULES idle_max=$IDLE_MAX offer_min=$OFFER_MIN backlog_generator=$GEN" > "$out.meta"

pktgen_cfg 192.0.2.2 192.0.2.2 0 0
rpf 0; scenario one_route_rpf0; kbench one_route_rpf0
rpf 1; scenario one_route_rpf1; kbench one_route_rpf1
# 1000 destinations over the topology's one /16 route, rp_filter=1.
dst1k; scenario one_route_dst1k
pktgen_cfg 192.0.2.2 192.0.2.2 0 0
if want large_fib_rpf0 || want large_fib_rpf1 || want large_fib_dst1k || want kbench; then
	fib_add
	rpf 0; scenario large_fib_rpf0
	rpf 1; scenario large_fib_rpf1; kbench large_fib_rpf1
	# 1000 destinations, each matched by one of the FIB's prefixes (fib_add).
	dst1k; scenario large_fib_dst1k
	pktgen_cfg 192.0.2.2 192.0.2.2 0 0
	fib_del
fi
rpf 0
if want "rules_$RULES" || want kbench; then
	rules_add; scenario rules_$RULES; kbench rules_$RULES; rules_del
fi
if want miss_flood || want flood_cache_after1; then
	pktgen_cfg 10.0.0.1 10.255.255.254 0 0
	scenario miss_flood
	# The same flood with admission control off: every new flow is cached.
	RDST_PARAMS=cache_after=1 scenario flood_cache_after1
fi
# 1000 concurrent flows (pktgen's flows are destinations), each renewed with
# a random destination after 10 packets: about 90 % of packets hit, 10 % are
# new flows.
if want mixed_1k_hot; then
	pktgen_cfg 192.0.2.2 192.0.2.2 1000 10
	pg snd0 "dst_min 198.18.0.1"
	pg snd0 "dst_max 198.18.255.254"
	pg snd0 "flag IPDST_RND"
	scenario mixed_1k_hot
fi

# Slab at the end of a flood with rdst caching every flow (gc_thresh
# default), in single mode, the old set-up.
if want slab; then
	mode_set single
	RDST_PARAMS=cache_after=1 variant rdst
	pktgen_cfg 10.0.0.1 10.255.255.254 0 0
	measure single > /dev/null
	{ grep -E '^rdst_cache ' /proc/slabinfo
	  dmesg | sed -n 's/.*rdst: loaded: gc_thresh=\([0-9]*\).*/\1/p' | tail -1; } > "$out.slab"
fi
variant vanilla
say "done"
