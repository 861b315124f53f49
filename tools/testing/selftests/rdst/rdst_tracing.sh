#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdst's tracepoints and tracing tools against real forwarded traffic: the
# rdst:* events exist and count what /proc/net/stat/rdst counts, every
# bpftrace tool of tools/tracing/rdst runs for a few seconds and prints
# plausible output, bpftrace reads dst_alloc()'s arguments by their BTF
# types, and the ftrace recipe shows one miss and one hit.

ALL_TESTS="
	tracepoints_defined
	hook_symbols_findable
	ftrace_events_match_counters
	bpftrace_rates
	bpftrace_lifetime
	bpftrace_gc
	tools_end_on_duration
	bpftrace_leaks
	bpftrace_btf
	ftrace_graph_recipe
"

source "$(dirname "$(readlink -f "$0")")/rdst_lib.sh"

# The tools live in the rdst repository; the kernel tree carries only the
# tests.  RDST_TOOLS overrides.
TOOLS=${RDST_TOOLS:-${RDST_TOP:-$DIR/../../../..}/tools/tracing/rdst}
T=/sys/kernel/tracing
OUT=$(mktemp -d)

EVENTS="rdst_hit rdst_miss rdst_insert rdst_decline rdst_alloc rdst_evict rdst_retire
	rdst_garbage rdst_destroy rdst_gc rdst_dev_put"

cleanup()
{
	echo 0 > "$T/events/rdst/enable" 2>/dev/null
	topo_destroy
	rdst_unload 2>/dev/null
	rm -rf "$OUT"
}

# stat_all COLUMN: a counter summed over every namespace the tools see.
stat_all()
{
	local ns sum=0

	# The tools' own namespace has no traffic of its own, but count it.
	for ns in - "$SND" "$RTR" "$RCV"; do
		sum=$((sum + $(rdst_stat "$ns" "$1")))
	done
	echo "$sum"
}

traffic()
{
	ns_exec "$SND" ping -c "${1:-50}" -i 0.01 -W 2 203.0.113.1 >/dev/null 2>&1
}

# rdst_reload [PARAMS...]: rdst loaded again with PARAMS added to the
# suite's own (the cases count entries made by single packets of many flows).
rdst_reload()
{
	rdst_load_afresh cache_after=1 "$@"
}

# near A B: A and B differ by at most 2 % (and 2).
near()
{
	local d=$(($1 - $2))
	[ "${d#-}" -le $(( ($2 / 50) + 2 )) ]
}

# bt_run NAME FUNCTION TOOL [ARGS...]: run a bpftrace tool (of $TOOLS, or
# a path) with FUNCTION (of this script) as its command (bpftrace -c):
# bpftrace starts the command once every probe is attached, and ends when it
# exits.  Output in $OUT/NAME.
bt_run()
{
	local name=$1 fn=$2 tool=$3

	shift 3
	[ "${tool#/}" != "$tool" ] || tool=$TOOLS/$tool
	# The command is a script carrying the functions and variables it needs
	# (bpftrace need not pass exported shell functions on).
	{
		echo '#!/bin/bash'
		declare -p SND RTR RCV OUT NS_HOLDER
		declare -f ns_exec stat_all rdst_stat rdst_stat_parse traffic send_udp send_random_sources evictions \
			flush_router "$fn"
		echo "$fn"
	} > "$OUT/$name.sh"
	# (through bash: /tmp may be mounted noexec)
	timeout 600 bpftrace -c "/bin/bash $OUT/$name.sh" "$tool" "$@" > "$OUT/$name" 2>&1
}

# map_value FILE NAME: the value printed for "@NAME: V" at the end.
map_value()
{
	sed -n "s/^@$2: \([0-9]*\)$/\1/p" "$1" | tail -1
}

tracepoints_defined()
{
	local e

	for e in $EVENTS; do
		[ -e "$T/events/rdst/$e/format" ]
		check_err $? "no tracepoint rdst:$e"
	done
	grep -q 'field:__data_loc char\[\] reason' "$T/events/rdst/rdst_decline/format"
	check_err $? "rdst_decline has no reason string"
	log_test "rdst:* tracepoints are defined with typed fields"
}

hook_symbols_findable()
{
	local syms

	syms=$(awk '$NF == "[rdst]" && $3 ~ /rdst/ && $3 ~ /(5input|4miss|7collect)$/' /proc/kallsyms)
	for f in 5input 4miss 7collect; do
		echo "$syms" | grep -q "$f\b"
		check_err $? "no out-of-line symbol *rdst*$f in /proc/kallsyms"
	done
	log_test "the hook, miss path and collector are out-of-line symbols matching rdst"
}

ftrace_events_match_counters()
{
	local h0 m0 h m th tm

	echo 1 > "$T/events/rdst/rdst_hit/enable"
	echo 1 > "$T/events/rdst/rdst_miss/enable"
	: > "$T/trace"
	h0=$(stat_all hits); m0=$(stat_all misses)
	traffic 30
	h=$(( $(stat_all hits) - h0 )); m=$(( $(stat_all misses) - m0 ))
	echo 0 > "$T/events/rdst/enable"
	th=$(grep -c ' rdst_hit: ' "$T/trace")
	tm=$(grep -c ' rdst_miss: ' "$T/trace")
	[ "$h" -ge 40 ]
	check_err $? "only $h hits for 60 forwarded packets"
	near "$th" "$h"
	check_err $? "$th rdst_hit events for $h counted hits"
	near "$tm" "$m"
	check_err $? "$tm rdst_miss events for $m counted misses"
	grep -q 'rdst_hit: dst=.* daddr=203.0.113.1 saddr=192.0.2.2 iif=' "$T/trace"
	check_err $? "rdst_hit does not show the flow"
	log_test "ftrace: $th hit and $tm miss events, as counted"
}

rates_traffic()
{
	stat_all hits > "$OUT/h0"; stat_all misses > "$OUT/m0"; stat_all inserts > "$OUT/i0"
	traffic 100
	send_random_sources 50
	sleep 1.5	# a per-second line with the traffic in it
	echo $(( $(stat_all hits) - $(cat "$OUT/h0") )) > "$OUT/h"
	echo $(( $(stat_all misses) - $(cat "$OUT/m0") )) > "$OUT/m"
	echo $(( $(stat_all inserts) - $(cat "$OUT/i0") )) > "$OUT/i"
}

bpftrace_rates()
{
	local f=$OUT/rates h m i bh bm bi lines

	bt_run rates rates_traffic rdst-rates.bt
	check_err $? "rdst-rates.bt failed"
	h=$(cat "$OUT/h" 2>/dev/null || echo 0); m=$(cat "$OUT/m" 2>/dev/null || echo 0)
	i=$(cat "$OUT/i" 2>/dev/null || echo 0)
	bh=$(map_value "$f" total_hits); bm=$(map_value "$f" total_misses)
	bi=$(map_value "$f" total_inserts)
	lines=$(grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2} +[1-9][0-9]* +[0-9]+ +[0-9]+ +[0-9]+$' "$f")
	[ "$lines" -ge 1 ]
	check_err $? "no per-second line shows hits"
	near "${bh:-0}" "$h" && near "${bm:-0}" "$m" && near "${bi:-0}" "$i"
	check_err $? "tool saw hits/misses/inserts ${bh:-none}/${bm:-none}/${bi:-none}, counters $h/$m/$i"
	grep -q '^@top_flows\[192.0.2.2, 203.0.113.1, [0-9]*\]: [0-9]*$' "$f"
	check_err $? "the ping flow is not among the top flows"
	grep -q '^@declines\[local\]: [0-9]*$' "$f"
	check_err $? "no local declines reported (the receiver's own packets)"
	[ "$RET" -eq 0 ] || sed 's/^/# /' "$f"
	log_test "bpftrace: rdst-rates.bt counts $bh hits, $bm misses, $bi inserts"
}

flush_router() { ip -n "$RTR" link add rdst-t0 type dummy; ip -n "$RTR" link del rdst-t0; }

lifetime_traffic()
{
	flush_router	# earlier cases' flows are cached: start empty
	send_random_sources 40
	traffic 20
	# Any device event flushes the namespace's cache: every entry retires.
	flush_router
	sleep 1		# an RCU grace period: the entries are destroyed
}

bpftrace_lifetime()
{
	local f=$OUT/lifetime a d

	bt_run lifetime lifetime_traffic rdst-lifetime.bt
	check_err $? "rdst-lifetime.bt failed"
	a=$(map_value "$f" allocs); d=$(map_value "$f" destroys)
	[ "${a:-0}" -ge 40 ] && [ "${d:-0}" -ge 40 ]
	check_err $? "${a:-no} allocations and ${d:-no} destroys seen for 40+ flushed flows"
	grep -qE '^\[[0-9KM]+, [0-9KM]+\) +[0-9]+ \|@+ *\|$' "$f"
	check_err $? "no lifetime histogram"
	[ "$RET" -eq 0 ] || sed 's/^/# /' "$f"
	log_test "bpftrace: rdst-lifetime.bt histograms $d entry lifetimes"
}

evictions() { echo $(( $(stat_all gc_evictions) + $(stat_all chain_evictions) + $(stat_all stale) )); }

gc_traffic()
{
	evictions > "$OUT/e0"
	send_random_sources 600
	sleep 1.5
	echo $(( $(evictions) - $(cat "$OUT/e0") )) > "$OUT/e"
}

bpftrace_gc()
{
	local f=$OUT/gc e be

	# A small cache: a flood of new flows keeps evicting.
	rdst_reload gc_thresh=64 buckets=32
	bt_run gc gc_traffic rdst-gc.bt
	check_err $? "rdst-gc.bt failed"
	e=$(cat "$OUT/e" 2>/dev/null || echo 0)
	be=$(map_value "$f" total_evicted)
	[ "$e" -ge 400 ]
	check_err $? "only $e evictions for 600 flows over gc_thresh=64"
	near "${be:-0}" "$e"
	check_err $? "tool saw ${be:-no} evictions, counters $e"
	grep -qE '^@evict_reason\[(thresh|chain)\]: [0-9]+$' "$f"
	check_err $? "no evictions by reason"
	grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2} +[0-9]+ +[0-9]+ +[1-9][0-9]* ' "$f"
	check_err $? "no per-second line shows evictions"
	[ "$RET" -eq 0 ] || sed 's/^/# /' "$f"
	rdst_reload
	log_test "bpftrace: rdst-gc.bt sees $be evictions"
}

# Packets waiting for ARP resolution hold references on their (cached)
# routes; a flush then leaves those entries on the garbage list until ARP
# gives up: what the leak finder must report.  ARP is kept waiting far
# longer than the case needs (see bpftrace_leaks), the garbage list is read
# until it has held an entry across two reads a second apart (so that a
# walk saw one retired at least 1 s before, however slow the host), and the
# neighbour is deleted then, which drops the queued packets at once.
leaks_traffic()
{
	local held=0 i

	ns_exec "$SND" ping -c 3 -i 0.2 -W 1 203.0.113.200 > /dev/null
	flush_router		# held entries go to the garbage list
	# Reading the counters walks the garbage list (rdst_garbage events).
	for i in $(seq 30); do
		sleep 1
		[ "$(rdst_stat "$RTR" garbage)" -gt 0 ] && held=$((held + 1))
		[ "$held" -ge 2 ] && break
	done
	ip -n "$RTR" neigh del 198.51.100.99 dev rtr1 2> /dev/null
}

bpftrace_leaks()
{
	local f=$OUT/leaks

	# A gateway that never answers ARP: packets wait 9 probes of 5 s
	# (3 unicast, 6 multicast), then are dropped.
	ip -n "$RTR" route add 203.0.113.128/25 via 198.51.100.99
	ns_exec "$RTR" sysctl -qw net.ipv4.neigh.rtr1.mcast_solicit=6 \
		net.ipv4.neigh.rtr1.retrans_time_ms=5000
	# Report what has been held for 1 s or more.
	bt_run leaks leaks_traffic rdst-leaks.bt 1
	check_err $? "rdst-leaks.bt failed"
	ip -n "$RTR" route del 203.0.113.128/25
	ns_exec "$RTR" sysctl -qw net.ipv4.neigh.rtr1.mcast_solicit=3 \
		net.ipv4.neigh.rtr1.retrans_time_ms=1000
	grep -q '^LEAK? dst 0x[0-9a-f]* retired [0-9]* ms ago, refcnt [1-9]' "$f"
	check_err $? "held garbage entries not reported"
	grep -A3 '^retired at:' "$f" | grep -q 'rdst\|dst\|notifier\|netdev'
	check_err $? "no stack for the retirement"
	[ "$RET" -eq 0 ] || sed 's/^/# /' "$f"
	log_test "bpftrace: rdst-leaks.bt reports entries held past retirement"
}

btf_traffic()
{
	stat_all inserts > "$OUT/i0"
	send_random_sources 50
	echo $(( $(stat_all inserts) - $(cat "$OUT/i0") )) > "$OUT/i"
}

# With BTF (CONFIG_DEBUG_INFO_BTF), bpftrace attaches to a kernel function
# through a BPF trampoline (kfunc) and follows its arguments by type, with
# no kernel headers: dst_alloc() calls for rdst's dst_ops are told from the
# kernel's by the ops' gc_thresh, and their slab is rdst's own.
bpftrace_btf()
{
	# gc_thresh marks rdst's dst_ops among the kernel's (bpftrace's $1).
	local f=$OUT/btf mark=3000 i n other

	if [ ! -e /sys/kernel/btf/vmlinux ]; then
		log_test_skip "bpftrace: kfunc:dst_alloc with BTF types" \
			"kernel without BTF (CONFIG_DEBUG_INFO_BTF)"
		return
	fi
	rdst_reload gc_thresh=$mark buckets=1024
	cat > "$OUT/btf.bt" <<-'EOF'
	kfunc:dst_alloc
	{
		if (args->ops->gc_thresh == $1) {
			@rdst = count();
			@slab[str(args->ops->kmem_cachep->name)] = count();
		} else {
			@other = count();
		}
	}
	EOF
	# (types from BTF alone: no kernel headers)
	(unset BPFTRACE_KERNEL_SOURCE BPFTRACE_KERNEL_BUILD; bt_run btf btf_traffic "$OUT/btf.bt" "$mark")
	check_err $? "bpftrace failed on kfunc:dst_alloc"
	i=$(cat "$OUT/i" 2>/dev/null || echo 0)
	n=$(map_value "$f" rdst)
	other=$(map_value "$f" other)
	[ "$i" -ge 40 ] && near "${n:-0}" "$i"
	check_err $? "${n:-no} dst_alloc calls with rdst's ops, $i entries inserted"
	grep -q '^@slab\[rdst_cache\]: [1-9][0-9]*$' "$f"
	check_err $? "rdst's entries do not come from its rdst_cache slab"
	[ "$RET" -eq 0 ] || sed 's/^/# /' "$f"
	rdst_reload
	log_test "bpftrace: kfunc:dst_alloc sees $n allocations with rdst's ops (${other:-0} other)"
}

# Given a duration, every tool ends by itself (attaching included).  Each
# tool's arguments: rdst-leaks.bt takes its hold threshold first.
declare -A DURATION_ARGS=([rdst-rates.bt]=2 [rdst-lifetime.bt]=2 [rdst-gc.bt]=2 [rdst-leaks.bt]="10 2")
declare -A DURATION_PID

# duration_start: the tools of tools_end_on_duration, started in the
# background before the first case.  A bpftrace start is mostly one CPU's
# work (header lookups and clang, then the BPF verifier: 10 to 30 s each
# in the debug guest, two thirds of it in the kernel), and the cases
# before tools_end_on_duration run one bpftrace at a time, which leaves the
# guest's other CPU to these.  They trace the traffic of those
# cases, which changes none of their counts.  rdst-leaks.bt reports entries
# held 10 s after retirement: none are before bpftrace_leaks holds some on
# purpose, so tools_end_on_duration runs before it.
duration_start()
{
	local t

	for t in "${!DURATION_ARGS[@]}"; do
		timeout 600 bpftrace "$TOOLS/$t" ${DURATION_ARGS[$t]} > "$OUT/dur.$t" 2>&1 &
		DURATION_PID[$t]=$!
	done
}

tools_end_on_duration()
{
	local t rc

	[ ${#DURATION_PID[@]} -gt 0 ] || duration_start
	for t in "${!DURATION_PID[@]}"; do
		wait "${DURATION_PID[$t]}"
		rc=$?
		[ "$rc" -eq 0 ] && grep -q '^Tracing' "$OUT/dur.$t"
		check_err $? "$t ${DURATION_ARGS[$t]} exited with status $rc"
	done
	DURATION_PID=()
	grep -q '^0 suspected leaks' "$OUT/dur.rdst-leaks.bt"
	check_err $? "rdst-leaks.bt reports leaks on an idle system"
	log_test "bpftrace: every tool ends on its own after its duration"
}

ftrace_graph_recipe()
{
	local f=$OUT/graph

	"$TOOLS/rdst-graph.sh" -- nsenter --net="/run/netns/$SND" ping -c 3 -i 0.1 198.51.100.2 > "$f" 2>&1
	check_err $? "rdst-graph.sh failed"
	grep -q '^=== a cache miss ===' "$f" && grep -q '^=== a cache hit ===' "$f"
	check_err $? "no miss and hit graphs"
	sed -n '/^=== a cache miss/,/^===/p' "$f" | grep -q 'ip_route_input_noref'
	check_err $? "the miss graph does not show the kernel's route lookup"
	sed -n '/^=== a cache hit/,$p' "$f" | grep -q 'ip_route_input_noref'
	check_fail $? "the hit graph shows a route lookup"
	[ "$RET" -eq 0 ] || sed 's/^/# /' "$f"
	log_test "ftrace: rdst-graph.sh shows a miss and a hit"
}

trap cleanup EXIT
rdst_require
if [ ! -d "$T/events" ]; then
	mount -t tracefs nodev "$T" 2>/dev/null || { ktap_skip_all "no tracefs"; exit $KSFT_SKIP; }
fi
if [ ! -d "$T/events/rdst" ]; then
	ktap_skip_all "kernel without rdst tracepoints"
	exit $KSFT_SKIP
fi
command -v bpftrace >/dev/null || { ktap_skip_all "bpftrace not installed"; exit $KSFT_SKIP; }
rdst_reload || exit 1
topo_create || exit $KSFT_SKIP
echo ${TESTS:-$ALL_TESTS} | grep -qw tools_end_on_duration && duration_start
run_tests
