#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# README command 1's last step, run inside the guest by `make`: build a
# sender -> router -> receiver topology, load rdst, forward real traffic
# through the router and show what rdst did.
# Not -u: the kselftest libraries sourced below read unset variables.
set -eo pipefail

lib=$(readlink -f "$RDST_BUILD/kernel/source")/tools/testing/selftests/rdst/rdst_lib.sh
# shellcheck source=testing/selftests/rdst/rdst_lib.sh
source "$lib"

say() { printf '\n=== %s\n' "$*"; }
slab() { grep -E '^(# name|rdst_cache)' /proc/slabinfo | awk '{printf "%-12s %8s %8s %8s\n", $1, $2, $3, $4}'; }

trap 'topo_destroy; rdst_unload 2>/dev/null || true' EXIT

say "kernel $(uname -r); loading $RDST_KO"
rdst_load
modinfo -F parm "$RDST_KO" | sed 's/^/    parm: /'
topo_create

say "router counters before traffic (/proc/net/stat/rdst in the router namespace)"
ip netns exec "$RTR" cat /proc/net/stat/rdst | awk 'NR <= 2' | cut -c1-150
slab

say "forwarding: 200 pings sender -> receiver through the router, and 300 UDP flows"
ip netns exec "$SND" ping -q -c 200 -i 0.005 203.0.113.1 | tail -2
send_random_sources 300

say "router counters after traffic"
for c in entries cached garbage hits misses inserts gc_evictions decline_local decline_route_error; do
	printf '    %-22s %s\n' "$c" "$(rdst_stat "$RTR" "$c")"
done
slab

say "the rdst:* tracepoints while 3 more pings cross the router (ftrace)"
T=/sys/kernel/tracing
mountpoint -q "$T" || mount -t tracefs nodev "$T"
: > "$T/trace"
for e in rdst_miss rdst_hit rdst_insert rdst_alloc rdst_decline; do echo 1 > "$T/events/rdst/$e/enable"; done
ip netns exec "$SND" ping -q -c 3 -i 0.1 198.51.100.2 > /dev/null
echo 0 > "$T/events/rdst/enable"
grep -v '^#' "$T/trace" | sed -E 's/^ *//; s/^(\S+)\s+\[[0-9]+\]\s+\S+\s+/\1 /' | head -12 | sed 's/^/    /'

say "unloading: hooks off, cache flushed, garbage drained, slab destroyed"
rdst_unload
dmesg | grep -E '\] rdst: ' | tail -4 | sed 's/^/    /'

cat <<'NEXT'

Where to look next:
    /proc/net/stat/rdst                    per-namespace counters (one line per CPU)
    /proc/slabinfo (rdst_cache)             rdst's own slab
    tools/testing/selftests/rdst/           the kselftests (make check runs them)
    /sys/kernel/tracing/events/rdst/        tracepoints of every decision and entry
    tools/tracing/rdst/                     bpftrace tools (rates, lifetimes, gc, leaks)
                                            and rdst-graph.sh (function_graph of a hit/miss)
    Documentation/networking/rdst.rst       design, parameters, counters, tracing, limits
    Documentation/rust/net-dst.rst          the Rust abstractions rdst is built on
    make bench                              throughput against vanilla and the flowtable
NEXT
