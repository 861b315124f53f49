#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdst-graph.sh: a function_graph of one cache miss and one cache hit
# through rdst's hook, with ftrace alone (no bpftrace needed).
#
#   rdst-graph.sh [-a] [-d DEPTH] [-o FILE] -- CMD [ARGS...]
#
# Runs CMD (something that sends packets through a namespace where rdst is
# loaded, e.g. "ip netns exec snd ping -c 3 203.0.113.1") while ftrace
# records the kernel function that calls rdst's hook, to DEPTH levels
# (default 4): ip_rcv_finish, whose ip_rcv_finish_core calls the input route
# hook (rdst's default), or nf_hook_slow, netfilter's entry (direct_hook=N).
# Rust code has no ftrace entry of its own, so rdst's hook shows as the C
# functions it calls directly (on a miss the kernel's ip_route_input_noref,
# dst_alloc, rust_helper_*; a hit calls none), with the
# rdst:rdst_miss/rdst_hit/rdst_insert/rdst_decline events printed in place.
# Prints the first graph that contains a miss, then the first with a hit;
# the whole trace is kept in FILE if given.  Needs root and tracefs.
#
# Only the functions of the hook's path are instrumented (set_ftrace_filter:
# netfilter's entry, the kernel's input routing, dst allocation and the Rust
# helpers), so that recording costs little even on a KASAN kernel under TCG;
# -a instruments every function, for a complete graph on a fast kernel.
set -eu

usage="usage: $0 [-a] [-d DEPTH] [-o FILE] -- CMD [ARGS...]"
depth=4 keep= all=
while getopts ad:o: opt; do
	case $opt in
	a) all=1 ;;
	d) depth=$OPTARG ;;
	o) keep=$OPTARG ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }

T=/sys/kernel/tracing
[ -d "$T/events" ] || mount -t tracefs nodev "$T"
[ -d "$T/events/rdst" ] || { echo "$0: no rdst tracepoints in this kernel" >&2; exit 1; }
[ -d /sys/module/rdst ] || { echo "$0: rdst is not loaded" >&2; exit 1; }

reset()
{
	echo 0 > "$T/tracing_on"
	echo nop > "$T/current_tracer"
	: > "$T/set_graph_function"
	: > "$T/set_ftrace_filter"
	echo 0 > "$T/max_graph_depth"
	echo 0 > "$T/events/enable"
}
# Leave the top-level buffer on or off as it was found.
was_on=$(cat "$T/tracing_on")
trap 'reset; echo "$was_on" > "$T/tracing_on"' EXIT
reset
: > "$T/trace"

if [ "$(cat /sys/module/rdst/parameters/direct_hook)" = Y ]; then
	root=ip_rcv_finish
else
	root=nf_hook_slow
fi
echo $root > "$T/set_graph_function"
if [ -z "$all" ]; then
	# Globs that match nothing (a function inlined away) are skipped.
	for f in $root 'ip_route_input*' 'ip_rcv_finish*' 'fib_table_lookup' \
		 'fib_validate_source' '__fib_validate_source' 'fib4_rule_action' \
		 'fib_rules_lookup' 'dst_alloc' 'dst_init' 'rust_helper_*'; do
		echo "$f" >> "$T/set_ftrace_filter" 2>/dev/null || true
	done
fi
echo "$depth" > "$T/max_graph_depth"
echo function_graph > "$T/current_tracer"
for e in rdst_miss rdst_hit rdst_insert rdst_decline; do
	echo 1 > "$T/events/rdst/$e/enable"
done
echo 1 > "$T/tracing_on"
"$@" >/dev/null 2>&1 || true
echo 0 > "$T/tracing_on"

cat "$T/trace" > "${keep:-/dev/null}"
# Split the trace into top-level graphs per CPU and print the first with a
# miss, then the first with a hit.
awk -v root="$root" '
	/^#/ { next }
	match($0, /^ *[0-9]+\)/) {
		cpu = substr($0, RSTART, RLENGTH) + 0
		if (index($0, "|  " root "() {")) { buf[cpu] = ""; open_[cpu] = 1 }
		if (!open_[cpu]) next
		buf[cpu] = buf[cpu] $0 "\n"
		if ($0 ~ /\|  \}/) {		# the top level closes
			g = buf[cpu]; open_[cpu] = 0
			# A graph interrupted on its CPU (the softirq of an interrupt may
			# receive a second packet inside it) shows neither alone.
			if (g ~ /==========>/ || (g ~ /rdst_miss:/ && g ~ /rdst_hit:/)) next
			if (miss == "" && g ~ /rdst_miss:/) miss = g
			else if (hit == "" && g ~ /rdst_hit:/) hit = g
		}
	}
	END {
		if (miss != "") { print "=== a cache miss ==="; printf "%s", miss }
		if (hit != "") { print "=== a cache hit ==="; printf "%s", hit }
		if (miss == "" || hit == "") {
			print "rdst-graph: no cache " (miss != "" ? "hit" : "miss") " recorded" > "/dev/stderr"
			exit 1
		}
	}
' "$T/trace"
