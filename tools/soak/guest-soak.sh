#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdst at scale, inside the guest (tools/soak/run.sh boots it):
#
#   bgp         BIRD 2 on the router learns PREFIXES routes over iBGP from a
#               peer namespace's BIRD, which then churns a set of them
#               (withdrawn, re-announced, moved to the other egress) for
#               CHURN_SECS s while pktgen sends probes to those prefixes
#               through the router: each must be forwarded or answered.
#               Each time the FIB has taken the set's next state (all via
#               RCV1, all via RCV2, withdrawn), step probes go to it twice:
#               the receivers' and the sender's counters must show every
#               one where the FIB then says.  Run with rdst and without
#               it (the method's control).
#   flood       FLOWS distinct flows (two packets each, so that every one is
#               cached with cache_after=2) from pktgen at full speed, with the
#               default gc_thresh: the slab is sampled every second and must
#               stay within the bound, the counters must add up, the garbage
#               list must drain; an established flow's delivery during the
#               flood is measured with and without rdst.
#   unload      UNLOAD_CYCLES rmmod/insmod cycles of rdst under pktgen load: each
#               bounded, the slab gone after each rmmod.
#   device      DEVICE_CYCLES deletions and re-creations of the egress device under
#               load, with rdst serving it.
#   namespaces  NAMESPACES namespaces created and destroyed while rdst
#               forwards in another.
#   fuzz        FUZZ_FRAMES malformed frames through the fuzz suite's
#               generator (rdst_diff.py --fuzz), with rdst and without it:
#               fates and IP/ICMP counters identical.
#
# RDST_SOAK_QUICK=1 runs every part at a tenth of its scale.  Prints TAP
# (one case per claim), "# figure: NAME VALUE" lines for the host's table,
# and "# PART took N s"; the kernel log is judged on the host.
#
#   guest-soak.sh [PART...]
set -u

# RDST_SOAK_FULL: parts that run at full scale even so (the debug kernel's
# boot runs the unload and namespace cycles whole: KASAN and kmemleak watch
# the teardown paths 100 times).
quick=${RDST_SOAK_QUICK:-0}
full=" ${RDST_SOAK_FULL:-} "
# scale N [PART]: N, or a tenth of it in a quick run (unless PART runs whole).
scale()
{
	if [ "$quick" = 1 ] && { [ -z "${2:-}" ] || [[ "$full" != *" $2 "* ]]; }; then
		echo $(($1 / 10))
	else
		echo "$1"
	fi
}
PREFIXES=$(scale 100000)
# The churned set keeps its size at a tenth of the scale: BIRD's rate of
# changes comes from steps of this many routes.
CHURN_PREFIXES=4000
CHURN_SECS=60
[ "$quick" = 1 ] && CHURN_SECS=20
CHURN_RATE_MIN=$(scale 1000)
FLOWS=$(scale 1000000)
UNLOAD_CYCLES=$(scale 100 unload)
DEVICE_CYCLES=$(scale 100 device)
NAMESPACES=$(scale 100 namespaces)
FUZZ_FRAMES=$(scale 1000000)

# RDST_KO: another build of the module (a mutant of make check, to see the
# soak catch it).
KO=${RDST_KO:-$RDST_BUILD/rdst.ko}
SND=soak_snd RTR=soak_rtr RCV1=soak_rcv1 RCV2=soak_rcv2 PEER=soak_peer
WORK=$(mktemp -d /tmp/soak.XXXXXX)
case_no=0 failed=0

say() { echo ">>> soak: $*" >&2; }
figure() { echo "# figure: $1 $2"; }

# case_result OK NAME [DETAIL]: one TAP line (the plan comes at the end).
case_result()
{
	case_no=$((case_no + 1))
	if [ "$1" = 0 ]; then
		echo "ok $case_no $2"
	else
		echo "not ok $case_no $2"
		[ -z "${3:-}" ] || echo "#   $3"
		failed=$((failed + 1))
	fi
}
check() { local name=$1; shift; if "$@"; then case_result 0 "$name"; else case_result 1 "$name" "failed: $*"; fi; }
# all_of TEST...: each TEST (a command line, word-split) succeeds.
all_of() { local t; for t in "$@"; do $t || return 1; done; }

rdst_on() { [ -d /sys/module/rdst ] || insmod "$KO" "$@" || { case_result 1 "insmod $KO $*"; return 1; }; }
rdst_off() { [ -d /sys/module/rdst ] && rmmod rdst; return 0; }
nsx() { ip netns exec "$@"; }
mac() { ip -n "$1" -br link show "$2" | awk '{ print $3 }'; }
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

# stat NS|snapshot COLUMN: a counter of NS's /proc/net/stat/rdst (or of the
# last quiesce's reading), as rdst_stat reads it in the suites; 0 while rdst
# is not loaded.
# shellcheck source=../testing/selftests/rdst/rdst_stat.sh
source "$RDST_TOP/tools/testing/selftests/rdst/rdst_stat.sh"
stat()
{
	rdst_stat_parse "$2" 2>/dev/null \
		< <(if [ "$1" = snapshot ]; then echo "$SNAPSHOT"; else nsx "$1" cat /proc/net/stat/rdst 2>/dev/null; fi) \
		|| echo 0
}

# quiesce NS: wait until NS's cache has stopped taking packets (a debug
# guest works through its backlog for a while after the senders stop), then
# take SNAPSHOT of its counters, for `stat snapshot COLUMN`: the columns of
# one reading add up.
quiesce()
{
	local last= now tries
	for ((tries = 0; tries < 60; tries++)); do
		now=$(($(stat "$1" hits) + $(stat "$1" misses)))
		[ "$now" = "$last" ] && break
		last=$now
		sleep 1
	done
	SNAPSHOT=$(nsx "$1" cat /proc/net/stat/rdst)
}

# slab: "ACTIVE TOTAL OBJSIZE" of rdst's cache, nothing when it is gone.
slab() { awk '$1 == "rdst_cache" { print $2, $3, $4 }' /proc/slabinfo; }

# The router and its neighbours:
#
#   SND snd0 192.0.2.2 --- rtr0 192.0.2.1  RTR  rtr1 198.51.100.1 --- rcv0 198.51.100.2 RCV1
#                                               rtr2 198.51.101.1 --- rcv0 198.51.101.2 RCV2
#                                               rtr3 100.64.0.1   --- peer0 100.64.0.2  PEER (BGP)
# 203.0.0.0/8 goes via RCV1 (the flood, the load), 198.18.0.0/15 via RCV2
# (the established flow during the flood, counted apart).  The
# receivers drop everything at PRE_ROUTING: they cost nothing.
topo()
{
	local ns
	for ns in $SND $RTR $RCV1 $RCV2 $PEER; do ip netns del $ns 2>/dev/null; ip netns add $ns; done
	ip -n $SND link add snd0 type veth peer name rtr0 netns $RTR
	ip -n $RTR link add rtr3 type veth peer name peer0 netns $PEER
	ip -n $SND addr add 192.0.2.2/24 dev snd0
	ip -n $SND addr add 192.0.2.3/24 dev snd0
	ip -n $SND link set snd0 up
	ip -n $SND route add default via 192.0.2.1
	ip -n $PEER addr add 100.64.0.2/30 dev peer0
	ip -n $PEER link set peer0 up
	ip -n $RTR -batch - <<-EOF
		addr add 192.0.2.1/24 dev rtr0
		link set rtr0 up
		addr add 100.64.0.1/30 dev rtr3
		link set rtr3 up
	EOF
	egress 1
	egress 2
	ip -n $RTR route add 203.0.0.0/8 via 198.51.100.2
	ip -n $RTR route add 198.18.0.0/15 via 198.51.101.2
	ip netns exec $SND ethtool -K snd0 tso off >/dev/null
	nsx $RTR sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0 \
		net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=1000000
	sysctl -qw net.ipv4.route.error_cost=0
	ip -n $RTR neigh replace 192.0.2.2 lladdr "$(mac $SND snd0)" dev rtr0 nud permanent
	ip -n $RTR neigh replace 192.0.2.3 lladdr "$(mac $SND snd0)" dev rtr0 nud permanent
	# The ICMP errors the router sends back, for each of SND's addresses.
	nsx $SND nft -f - <<-EOF
	table ip soak_snd {
		counter unreach_2 {}
		counter unreach_3 {}
		chain in {
			type filter hook prerouting priority -300; policy accept;
			ip daddr 192.0.2.2 icmp type destination-unreachable counter name unreach_2
			ip daddr 192.0.2.3 icmp type destination-unreachable counter name unreach_3
		}
	}
	EOF
	# The peer's BIRD announces routes via the receivers' addresses: it
	# needs them on a network of its own (static routes' gateways must be
	# neighbours), a dummy device each.
	ip -n $PEER -batch - <<-EOF
		link add nh1 type dummy
		addr add 198.51.100.3/24 dev nh1
		link set nh1 up
		link add nh2 type dummy
		addr add 198.51.101.3/24 dev nh2
		link set nh2 up
	EOF
}

# egress N: (re)create the router's link to receiver N.
egress()
{
	local rcv=$SND
	[ "$1" = 1 ] && rcv=$RCV1
	[ "$1" = 2 ] && rcv=$RCV2
	ip -n $RTR link add rtr$1 type veth peer name rcv0 netns $rcv
	ip -n $RTR addr add 198.51.10$(($1 - 1)).1/24 dev rtr$1
	ip -n $rcv addr add 198.51.10$(($1 - 1)).2/24 dev rcv0
	ip -n $rcv link set rcv0 up
	ip -n $RTR link set rtr$1 up
	ip netns exec $RTR ethtool -K rtr$1 tso off >/dev/null
	ip -n $RTR neigh replace 198.51.10$(($1 - 1)).2 lladdr "$(mac $rcv rcv0)" dev rtr$1 nud permanent
	nsx $rcv nft -f - <<-NFT
	table ip soak_sink {
		counter bg {}
		counter steps {}
		chain pre {
			type filter hook prerouting priority -300; policy drop;
			udp dport 9 counter name bg
			udp dport 10 counter name steps
		}
	}
	NFT
}

# --- pktgen ---------------------------------------------------------------

# pg DEV|pgctrl|kpktgend_N CMD: one pktgen command in SND.
pg()
{
	nsx $SND sh -c "echo '$2' > /proc/net/pktgen/$1" ||
		{ say "pktgen: $1: $2: $(nsx $SND grep Result: /proc/net/pktgen/$1)"; return 1; }
}

# pg_dev THREAD DEV CMD...: add DEV (snd0, or snd0@N for a second
# generator on the same device) to pktgen thread THREAD and configure it:
# 64-byte UDP packets to the router, then CMD...
pg_dev()
{
	local thread=$1 dev=$2 c
	shift 2
	pg "kpktgend_$thread" "add_device $dev"
	for c in "pkt_size 64" "delay 0" "count 0" "dst_mac $(mac $RTR rtr0)" "src_min 192.0.2.2" \
		 "src_max 192.0.2.2" "udp_src_min 4000" "udp_src_max 4000" "udp_dst_min 9" \
		 "udp_dst_max 9" "$@"; do
		pg "$dev" "$c"
	done
}

pg_reset()
{
	pg pgctrl stop 2>/dev/null
	pg pgctrl reset
	pg kpktgend_0 rem_device_all
	pg kpktgend_1 rem_device_all
}

# pg_start: start the generators in the background; pg_wait waits for them
# (pktgen's "start" returns when they have sent their counts, or on stop).
PG_PID=
pg_start() { nsx $SND sh -c "echo start > /proc/net/pktgen/pgctrl" & PG_PID=$!; sleep 0.5; }
pg_stop() { pg pgctrl stop; pg_wait; }
pg_wait() { [ -z "$PG_PID" ] || wait "$PG_PID"; PG_PID=; }

# pg_sent DEV: what pktgen sent on DEV.
pg_sent() { nsx $SND awk '/pkts-sofar:/ { print $2 }' "/proc/net/pktgen/$1"; }

# delivered N: packets receiver N took in (its PRE_ROUTING counter).
delivered()
{
	local rcv=$RCV1
	[ "$1" = 2 ] && rcv=$RCV2
	sink_get "$1" bg
}

# --- BGP under churn ------------------------------------------------------

bird_configs()
{
	# Stable routes from 17.0.0.0 (into 18/8 past 65 536), churned ones
	# from 16.0.0.0, as /24s; the churned set twice, via RCV1 (preferred)
	# and via RCV2.
	awk -v n=$((PREFIXES - CHURN_PREFIXES)) -v c=$CHURN_PREFIXES '
	function routes(base, count, gw,   i) {
		for (i = 0; i < count; i++)
			printf "\troute %d.%d.%d.0/24 via %s;\n", base + int(i / 65536), int(i / 256) % 256, i % 256, gw
	}
	BEGIN {
		print "router id 100.64.0.2;"
		print "protocol device { scan time 60; }"
		print "protocol static stable {\n\tipv4;"; routes(17, n, "198.51.100.2"); print "}"
		print "protocol static churn_a {\n\tipv4 { preference 200; };"; routes(16, c, "198.51.100.2"); print "}"
		print "protocol static churn_b {\n\tipv4 { preference 100; };"; routes(16, c, "198.51.101.2"); print "}"
		print "protocol bgp rtr {\n\tlocal 100.64.0.2 as 65000;\n\tneighbor 100.64.0.1 as 65000;"
		print "\tipv4 { import none; export all; next hop keep; };\n}"
	}' > "$WORK/peer.conf"
	cat > "$WORK/rtr.conf" <<-EOF
	router id 100.64.0.1;
	protocol device { scan time 60; }
	protocol direct { ipv4; interface "rtr1", "rtr2"; }
	# A large buffer for the kernel's notifications: 100 000 routes
	# written at once overflow the default ("Kernel dropped some netlink
	# messages, will resync on next scan").
	protocol kernel fib {
		ipv4 { import none; export where source = RTS_BGP; };
		netlink rx buffer 67108864;
	}
	protocol bgp peer {
		local 100.64.0.1 as 65000;
		neighbor 100.64.0.2 as 65000;
		ipv4 { import all; export none; gateway recursive; };
	}
	EOF
}

birdc_rtr() { nsx $RTR birdc -s "$WORK/rtr.ctl" "$@"; }
birdc_peer() { nsx $PEER birdc -s "$WORK/peer.ctl" "$@"; }

# fib_changes: routes the router's BIRD has written to the kernel so far
# (its kernel protocol's accepted export updates and withdraws).
fib_changes()
{
	birdc_rtr show protocols all fib | awk '/Export (updates|withdraws):/ { s += $3 } END { print s + 0 }'
}

bird_routes() { ip -n $RTR route show proto bird | wc -l; }

# settle: wait until the router's FIB holds every announced route and
# BIRD has stopped writing (at most 10 minutes), saying how far it got
# every 10 s.
settle()
{
	local last=-1 n routes t0=$SECONDS next=$((SECONDS + 10))
	while [ $((SECONDS - t0)) -lt 600 ]; do
		n=$(fib_changes) routes=$(bird_routes)
		[ "$n" = "$last" ] && [ "$routes" -eq "$PREFIXES" ] && return 0
		if [ $SECONDS -ge $next ]; then
			say "settling: $routes of $PREFIXES routes in the FIB, $n written by BIRD, after $((SECONDS - t0)) s"
			next=$((SECONDS + 10))
		fi
		last=$n
		sleep 1
	done
	return 1
}

# fib_state: "VIA_RTR1 VIA_RTR2", the churned set's routes in the router's
# FIB by egress.
fib_state()
{
	ip -n $RTR route show root 16.0.0.0/8 |
		awk '/dev rtr1/ { a++ } /dev rtr2/ { b++ } END { print a + 0, b + 0 }'
}

# The churned set's four states, in the order churn_run goes through them:
# the peer's command that enters the state, the FIB it makes (fib_state),
# and where probes to the set must then go.
STATE_CMD=("enable churn_a" "disable churn_a" "disable churn_b" "enable churn_b")
STATE_FIB=("$CHURN_PREFIXES 0" "0 $CHURN_PREFIXES" "0 0" "0 $CHURN_PREFIXES")
STATE_FATE=(rcv1 rcv2 unreachable rcv2)

# sink_get N COUNTER: receiver N's counter (bg: pktgen's packets, UDP port 9; steps: the
# step probes, UDP port 10).
sink_get()
{
	local rcv=$RCV1
	[ "$1" = 2 ] && rcv=$RCV2
	nsx $rcv nft list counter ip soak_sink "$2" | awk '/packets/ { print $2 }'
}

# unreach_get N: the ICMP destination unreachable errors SND got for
# 192.0.2.N.
unreach_get() { nsx $SND nft list counter ip soak_snd "unreach_$1" | awk '/packets/ { print $2 }'; }

# step_fates: "RCV1 RCV2 UNREACHABLE", the step probes' fates so far.
step_fates() { echo "$(sink_get 1 steps) $(sink_get 2 steps) $(unreach_get 3)"; }

# step_probe ROUNDS: one UDP packet (port 10, from 192.0.2.3) to an address
# in each of up to 1000 churned prefixes, ROUNDS times; prints how many.
step_probe()
{
	nsx $SND python3 -I -S - "$CHURN_PREFIXES" "$1" <<-'PY'
	import socket, struct, sys, time
	n, rounds = int(sys.argv[1]), int(sys.argv[2])
	dsts = ["16.%d.%d.1" % (i // 256, i % 256) for i in range(0, n, max(n // 1000, 1))]
	s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
	udp = struct.pack("!HHHH", 4000, 10, 8, 0)
	for r in range(rounds):
	    for d in dsts:
	        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0,
	                         socket.inet_aton("192.0.2.3"), socket.inet_aton(d))
	        s.sendto(ip + udp, (d, 0))
	    time.sleep(0.05)
	print(len(dsts) * rounds)
	PY
}

# background_probes COUNT: pktgen sends COUNT probes (UDP port 9, from
# 192.0.2.2) at 2000/s to 2048 flows of random addresses in the churned
# prefixes, in the background: whatever the moment, each must be forwarded
# or answered.
background_probes()
{
	local last=$((CHURN_PREFIXES - 1))
	pg_reset
	pg_dev 0 snd0 "count $1" "delay 500000" "dst_min 16.0.0.1" \
		"dst_max 16.$((last / 256)).$((last % 256)).254" "flag IPDST_RND" "flows 2048" "flowlen 1000000000"
	pg_start
}

# wait_fib STATE: until the router's FIB holds the churned set as STATE
# says (BIRD writes it route by route).
wait_fib()
{
	local tries
	for ((tries = 0; tries < 1200; tries++)); do
		[ "$(fib_state)" = "${STATE_FIB[$1]}" ] && return 0
		sleep 0.1
	done
	say "the FIB did not reach state $1: $(fib_state), want ${STATE_FIB[$1]}"
	return 1
}

# churn_run LABEL: the churned set through its states for CHURN_SECS s,
# with background probes throughout, and step probes sent twice (a miss and
# a hit, or two misses) each time the FIB has taken a state.  Sets RATE
# (FIB changes per second), STEPS, STEP_PROBES, WRONG (step probes whose
# fate was not the state's), SENT and LOST (background probes neither
# forwarded nor answered).
churn_run()
{
	local c0 t0 state=0 before after want got n bg0
	STEPS=0 STEP_PROBES=0 WRONG=0
	bg0="$(sink_get 1 bg) $(sink_get 2 bg) $(unreach_get 2)"
	background_probes $((CHURN_SECS * 2000 + 4000))
	c0=$(fib_changes) t0=$(now_ms)
	# At least twice round the states, however slow the guest: every
	# change then meets flows cached in the state before it.
	while [ $(($(now_ms) - t0)) -lt $((CHURN_SECS * 1000)) ] || [ "$state" != 0 ] || [ $STEPS -lt 8 ]; do
		state=$(((state + 1) % 4))
		birdc_peer ${STATE_CMD[$state]} > /dev/null
		wait_fib "$state" || { WRONG=$((WRONG + 1)); break; }
		before=($(step_fates))
		n=$(step_probe 2)
		sleep 0.2
		after=($(step_fates))
		got="$((after[0] - before[0])) $((after[1] - before[1])) $((after[2] - before[2]))"
		case ${STATE_FATE[$state]} in
		rcv1) want="$n 0 0" ;;
		rcv2) want="0 $n 0" ;;
		unreachable) want="0 0 $n" ;;
		esac
		if [ "$got" != "$want" ]; then
			say "$1: state $state: step probes went $got (rcv1 rcv2 unreachable), want $want"
			WRONG=$((WRONG + n))
		fi
		STEPS=$((STEPS + 1)) STEP_PROBES=$((STEP_PROBES + n))
	done
	RATE=$((($(fib_changes) - c0) * 1000 / ($(now_ms) - t0)))
	pg_wait
	sleep 0.5
	SENT=$(pg_sent snd0)
	set -- $bg0
	LOST=$((SENT - ($(sink_get 1 bg) - $1) - ($(sink_get 2 bg) - $2) - ($(unreach_get 2) - $3)))
	say "$STEPS steps at $RATE FIB changes/s, $STEP_PROBES step probes ($WRONG wrong), $SENT background probes ($LOST lost)"
}

# after_churn: once the churn has stopped (the set back in its first state),
# the flows rdst cached during it decide as the FIB does: step probes, twice
# (hits the second time), all to RCV1.
after_churn()
{
	local before after n hits
	sleep 1
	hits=$(stat $RTR hits)
	before=($(step_fates))
	n=$(step_probe 2)
	sleep 0.2
	after=($(step_fates))
	hits=$(($(stat $RTR hits) - hits))
	check "bgp: after the churn, rdst's cached flows agree with the FIB (of $n step probes $((after[0] - before[0])) to RCV1, $((after[1] - before[1])) to RCV2, $((after[2] - before[2])) unreachable; $hits hits)" \
		all_of "[ $((after[0] - before[0])) -eq $n ]" "[ $((after[1] - before[1] + after[2] - before[2])) -eq 0 ]" \
		"[ $hits -ge $((n / 2)) ]"
}

part_bgp()
{
	local t0 hits stale
	bird_configs
	nsx $PEER bird -c "$WORK/peer.conf" -s "$WORK/peer.ctl" -P "$WORK/peer.pid" || return
	nsx $RTR bird -c "$WORK/rtr.conf" -s "$WORK/rtr.ctl" -P "$WORK/rtr.pid" || return
	t0=$SECONDS
	settle
	check "bgp: the router's FIB holds the $PREFIXES prefixes BIRD learned over BGP ($(bird_routes) after $((SECONDS - t0)) s)" \
		[ "$(bird_routes)" -eq "$PREFIXES" ]
	figure bgp_prefixes "$(bird_routes)"
	figure bgp_converge_s $((SECONDS - t0))

	rdst_on
	hits=$(stat $RTR hits) stale=$(stat $RTR stale)
	churn_run "with rdst"
	hits=$(($(stat $RTR hits) - hits)) stale=$(($(stat $RTR stale) - stale))
	figure bgp_churn_changes_per_s "$RATE"
	figure bgp_churn_steps "$STEPS"
	figure bgp_step_probes_wrong_rdst "$WRONG/$STEP_PROBES"
	figure bgp_background_probes_lost_rdst "$LOST/$SENT"
	check "bgp: BIRD churned the router's FIB at $RATE changes/s (at least $CHURN_RATE_MIN) for $CHURN_SECS s" \
		[ "$RATE" -ge "$CHURN_RATE_MIN" ]
	check "bgp: with rdst, every step probe went where the FIB said at that moment ($WRONG of $STEP_PROBES did not, $STEPS steps)" \
		all_of "[ $WRONG -eq 0 ]" "[ $STEPS -ge 8 ]"
	check "bgp: with rdst, every background probe was forwarded or answered ($LOST of $SENT not)" [ "$LOST" -eq 0 ]
	check "bgp: rdst served from its cache and saw its entries go stale ($hits hits, $stale stale)" \
		all_of "[ $hits -gt 0 ]" "[ $stale -gt 0 ]"
	figure bgp_rdst_hits "$hits"
	after_churn


	rdst_off
	churn_run "without rdst"
	figure bgp_step_probes_wrong_kernel "$WRONG/$STEP_PROBES"
	figure bgp_background_probes_lost_kernel "$LOST/$SENT"
	check "bgp: without rdst, the same (the method's control: $WRONG of $STEP_PROBES step probes wrong, $LOST of $SENT lost)" \
		all_of "[ $WRONG -eq 0 ]" "[ $LOST -eq 0 ]"
	kill "$(cat "$WORK/rtr.pid")" "$(cat "$WORK/peer.pid")"
	ip -n $RTR route flush proto bird 2>/dev/null
}

# --- a million flows ------------------------------------------------------

# flood_run: FLOWS flows of two packets each from snd0 at full speed, and
# an established flow of 10 000 packets/s from snd0@1 to 198.18.0.1 (via
# RCV2, which counts it alone).
# Samples the slab and the cache each second into $WORK/flood.samples; sets
# FLOOD_SENT, FLOOD_MS (how long it took) and EST, the established flow's
# "DELIVERED_of_SENT" packets.
flood_run()
{
	local last=$((FLOWS - 1)) d0 t0 slab_line
	pg_reset
	pg_dev 0 snd0 "count $((2 * FLOWS))" "dst_min 203.0.0.0" \
		"dst_max 203.$((last / 65536)).$((last / 256 % 256)).$((last % 256))" \
		"flows 4096" "flowlen 2" "flag FLOW_SEQ"
	pg_dev 1 snd0@1 "count 0" "delay 100000" "dst 198.18.0.1"
	d0=$(delivered 2)
	: > "$WORK/flood.samples"
	t0=$(now_ms)
	pg_start
	(while sleep 1; do
		slab_line=$(slab)
		echo "$slab_line $(stat $RTR cached) $(stat $RTR garbage)"
	done) >> "$WORK/flood.samples" &
	local sampler=$!
	while [ "$(pg_sent snd0)" -lt $((2 * FLOWS)) ]; do sleep 1; done
	FLOOD_MS=$(($(now_ms) - t0))
	pg_stop
	kill $sampler
	sleep 0.5
	FLOOD_SENT=$(pg_sent snd0)
	EST="$(($(delivered 2) - d0))_of_$(pg_sent snd0@1)"
}

part_flood()
{
	local i0 e0 s0 v0 inserts evictions cached stale maxobjs objsize thresh slack tries est_rdst garbage
	rdst_on
	thresh=$(cat /sys/module/rdst/parameters/gc_thresh)
	quiesce $RTR
	i0=$(stat snapshot inserts) e0=$(($(stat snapshot gc_evictions) + $(stat snapshot chain_evictions)))
	s0=$(stat snapshot stale) v0=$(stat snapshot invalidations)
	flood_run
	quiesce $RTR
	est_rdst=$EST
	inserts=$(($(stat snapshot inserts) - i0))
	evictions=$(($(stat snapshot gc_evictions) + $(stat snapshot chain_evictions) - e0))
	cached=$(stat snapshot cached) stale=$(($(stat snapshot stale) - s0))
	read -r _ _ objsize <<< "$(slab)"
	maxobjs=$(awk 'max < $2 { max = $2 } END { print max + 0 }' "$WORK/flood.samples")
	# Slack: half of gc_thresh, for the entries retired but still
	# referenced (the garbage list), the freed ones waiting for an RCU grace
	# period (dst_release frees through call_rcu; on the debug kernel under
	# TCG grace periods are long) and the slab's per-CPU partial pages.
	slack=$((thresh / 2))
	figure flood_flows "$((FLOOD_SENT / 2))"
	figure flood_inserts "$inserts"
	figure flood_slab_max_bytes "$((maxobjs * objsize))"
	figure flood_slab_bound_bytes "$(((thresh + slack) * objsize))"
	figure flood_entry_bytes "$objsize"
	check "flood: $((FLOOD_SENT / 2)) distinct flows sent (at least $FLOWS)" [ $((FLOOD_SENT / 2)) -ge "$FLOWS" ]
	check "flood: rdst cached them ($inserts inserts, $evictions evictions)" [ "$inserts" -ge $((FLOWS / 2)) ]
	check "flood: the slab stayed within gc_thresh ($thresh) x $objsize B + $slack objects (at most $maxobjs objects)" \
		[ "$maxobjs" -le $((thresh + slack)) ]
	check "flood: inserts = evictions + stale + cached ($inserts = $evictions + $stale + $cached; $(($(stat snapshot invalidations) - v0)) device flushes)" \
		[ "$inserts" -eq $((evictions + stale + cached)) ]
	for ((tries = 0; tries < 30; tries++)); do garbage=$(stat $RTR garbage); [ "$garbage" -eq 0 ] && break; sleep 1; done
	check "flood: the garbage list drained ($garbage left)" [ "$garbage" -eq 0 ]

	figure flood_ms "$FLOOD_MS"
	figure flood_established_rdst "$est_rdst"

	# The same flood without rdst, for the established flow's figure (on
	# the fast kernel: the debug kernel's rates say nothing).
	[ "${RDST_FLAVOUR:-}" = debug ] && return
	rdst_off
	flood_run
	figure flood_ms_kernel "$FLOOD_MS"
	figure flood_established_kernel "$EST"
}

# --- unload and device cycles under load ----------------------------------

# load_on: 64 flows to 203.0.0.0/26 at full speed until load_off.
load_on()
{
	pg_reset
	pg_dev 0 snd0 "dst_min 203.0.0.0" "dst_max 203.0.0.63" "flows 64" "flowlen 1000000000" \
		"flag IPDST_RND"
	pg_start
}
load_off() { pg_stop; }

part_unload()
{
	local i t worst_rm=0 worst_ins=0 slab_left=0 hits=0 failures=0
	rdst_on
	load_on
	for ((i = 0; i < UNLOAD_CYCLES; i++)); do
		sleep 0.3
		hits=$(stat $RTR hits)
		t=$(now_ms)
		rmmod rdst || failures=$((failures + 1))
		t=$(($(now_ms) - t)); [ $t -gt $worst_rm ] && worst_rm=$t
		[ -z "$(slab)" ] || slab_left=$((slab_left + 1))
		t=$(now_ms)
		insmod "$KO" || failures=$((failures + 1))
		t=$(($(now_ms) - t)); [ $t -gt $worst_ins ] && worst_ins=$t
	done
	sleep 1
	local d0; d0=$(delivered 1); sleep 1
	load_off
	figure unload_cycles "$UNLOAD_CYCLES"
	figure unload_worst_rmmod_ms "$worst_rm"
	figure unload_worst_insmod_ms "$worst_ins"
	check "unload: $UNLOAD_CYCLES rmmod/insmod cycles under load, none failed ($failures)" [ "$failures" -eq 0 ]
	check "unload: the slab was gone after every rmmod ($slab_left times not)" [ "$slab_left" -eq 0 ]
	check "unload: the last rmmod saw the cache serving ($hits hits), forwarding goes on" \
		all_of "[ $hits -gt 0 ]" "[ $(delivered 1) -gt $d0 ]"
}

part_device()
{
	local i t worst=0 failures=0 d0 served=0 leaks
	rdst_on
	load_on
	for ((i = 0; i < DEVICE_CYCLES; i++)); do
		sleep 0.3
		t=$(now_ms)
		ip -n $RTR link del rtr1 || failures=$((failures + 1))
		t=$(($(now_ms) - t)); [ $t -gt $worst ] && worst=$t
		nsx $RCV1 nft delete table ip soak_sink 2>/dev/null
		egress 1 || failures=$((failures + 1))
		ip -n $RTR route replace 203.0.0.0/8 via 198.51.100.2 || failures=$((failures + 1))
	done
	sleep 1
	d0=$(delivered 1); sleep 1
	served=$(( $(delivered 1) - d0 ))
	load_off
	figure device_cycles "$DEVICE_CYCLES"
	figure device_worst_del_ms "$worst"
	check "device: $DEVICE_CYCLES deletions and re-creations of the egress under load, none failed ($failures)" \
		[ "$failures" -eq 0 ]
	check "device: forwarding through the re-created egress goes on ($served packets in 1 s)" [ "$served" -gt 0 ]
	leaks=$(stat $RTR leak_warnings)
	check "device: no reference left on a deleted device (dev_puts $(stat $RTR dev_puts), leak_warnings $leaks)" \
		[ "$leaks" -eq 0 ]
}

part_namespaces()
{
	local i t worst=0 failures=0 seen=0 d0
	rdst_on
	load_on
	for ((i = 0; i < NAMESPACES; i++)); do
		t=$(now_ms)
		ip netns add soak_ns$i || failures=$((failures + 1))
		ip -n soak_ns$i -batch - <<-EOF || failures=$((failures + 1))
			link set lo up
			link add va type veth peer name vb
			addr add 10.9.0.1/24 dev va
			link set va up
			link set vb up
		EOF
		nsx soak_ns$i test -e /proc/net/stat/rdst && seen=$((seen + 1))
		ip netns del soak_ns$i || failures=$((failures + 1))
		t=$(($(now_ms) - t)); [ $t -gt $worst ] && worst=$t
	done
	d0=$(delivered 1); sleep 1
	local served=$(( $(delivered 1) - d0 ))
	load_off
	figure namespaces "$NAMESPACES"
	figure namespaces_worst_ms "$worst"
	check "namespaces: $NAMESPACES created and destroyed while rdst forwards, none failed ($failures)" \
		[ "$failures" -eq 0 ]
	check "namespaces: rdst was in every one ($seen of $NAMESPACES)" [ "$seen" -eq "$NAMESPACES" ]
	check "namespaces: forwarding in the router went on ($served packets in 1 s)" [ "$served" -gt 0 ]
}

# --- fuzz -------------------------------------------------------------------

part_fuzz()
{
	local per_seed seeds out
	rdst_off
	# Three phases of PACKETS packets sent twice per seed, as make check's
	# fuzz suite does, with 5000 packets a phase.
	per_seed=$((3 * 2 * 5000))
	seeds=$(( (FUZZ_FRAMES + per_seed - 1) / per_seed ))
	out=$(RDST_DIFF_PACKETS=5000 RDST_DIFF_BURST=32 python3 -I -S \
		"$RDST_TOP/tools/testing/selftests/rdst/rdst_diff.py" --fuzz \
		--load "insmod $KO cache_after=1 idle_timeout_ms=3600000" --unload "rmmod rdst 2>/dev/null || true" \
		$(seq 1000 $((1000 + seeds - 1))) 2>&1)
	echo "$out" | grep -v '^ok\|^TAP\|^1\.\.' | head -n 20 | sed 's/^/#   /'
	figure fuzz_frames $((seeds * per_seed))
	check "fuzz: $((seeds * per_seed)) fuzzed frames, fates and IP/ICMP counters identical with and without rdst ($seeds seeds)" \
		[ "$(echo "$out" | grep -c '^ok ')" -eq "$seeds" ]
}

# ---------------------------------------------------------------------------

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(bgp flood unload device namespaces fuzz)
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
kmemleak=/sys/kernel/debug/kmemleak
[ -w $kmemleak ] && { echo clear > $kmemleak; echo scan=off > $kmemleak; }
echo "rdst-check: suites start" > /dev/kmsg
modprobe pktgen
echo "# suite: soak (quick=$quick)"
echo "TAP version 13"
topo
for p in "${parts[@]}"; do
	start=$SECONDS
	say "$p"
	"part_$p"
	echo "# $p took $((SECONDS - start)) s"
	figure "${p}_s" $((SECONDS - start))
done
rdst_off
echo "1..$case_no"
for ns in $SND $RTR $RCV1 $RCV2 $PEER; do ip netns del $ns; done
rm -rf "$WORK"
if [ -w $kmemleak ]; then
	echo scan > $kmemleak; sleep 5; echo scan > $kmemleak
	while IFS= read -r line; do echo "kmemleak: $line" > /dev/kmsg; done < $kmemleak
fi
exit 0
