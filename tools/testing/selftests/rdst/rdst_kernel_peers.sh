#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own IPv4 routing selftests as rdst's peers: with rdst loaded,
# each group passes every case, or gives the same per-case results as
# without rdst. A group that fails without rdst too is compared all the
# same: rdst must not change the kernel's behaviour, whatever it is.

# net/fib_rule_tests.sh needs the nettest binary, which this suite does not
# build yet; policy rules are covered by rdst_differential.sh meanwhile.
ALL_TESTS="
	fib_tests_ipv4
"
# net/icmp_redirect.sh takes about 8 minutes a run (16 with and without
# rdst) on the KASAN kernel under TCG, too long for `make check`:
# RDST_PEERS_ALL=1 adds it.
[ -n "${RDST_PEERS_ALL:-}" ] && ALL_TESTS="$ALL_TESTS icmp_redirect"

source "$(dirname "$(readlink -f "$0")")/rdst_lib.sh"

cleanup()
{
	rdst_unload 2>/dev/null
}

# results SCRIPT GROUP...: the script's "TEST: name [ OK|FAIL ]" lines, group
# by group in the order given; its whole output is left in /tmp/rdst_peer.out.
# Each group is a run of its own (SCRIPT -t GROUP), two at a time: a shell
# script keeps one of the guest's two CPUs busy, and every group works in
# namespaces of its own (net/lib.sh's setup_ns names them at random).  The
# limit only catches a hang: the longest group, ipv4_rt, took 331 s on the
# slowest host measured.
results()
{
	local script=$1 out g i=0 f
	shift

	out=$(mktemp -d)
	for g in "$@"; do
		while [ "$(jobs -pr | wc -l)" -ge 2 ]; do wait -n; done
		f=$out/$((i++))
		(SECONDS=0
		 cd "$DIR/../net" && timeout 1500 "./$script" -t "$g" > "$f" 2>&1
		 echo "# $script -t $g: exit status $?, $SECONDS s" >&2) &
	done
	wait
	for ((f = 0; f < i; f++)); do cat "$out/$f"; done > /tmp/rdst_peer.out
	rm -rf "$out"
	sed -n -E 's/^ *TEST: (.*[^ ]) +\[ ?(OK|FAIL|SKIP) ?\]$/\1 = \2/p' /tmp/rdst_peer.out
}

# tally RESULTS: how many of each result, e.g. "55 OK, 2 SKIP".
tally()
{
	echo "$1" | sed -n 's/.* = //p' | sort | uniq -c |
		awk '{ printf "%s%d %s", (NR > 1 ? ", " : ""), $1, $2 }'
}

# compare NAME SCRIPT GROUP...: the script's cases with rdst loaded.  Each
# case asserts what the kernel itself must do, so when all pass, rdst kept
# the kernel's behaviour; when any does not, the script runs again without
# rdst and the results must be the same (the run without rdst is half of
# this suite's time under TCG: it is spent only when it tells something).
compare()
{
	local name=$1 without with n skipped
	shift

	rdst_unload
	# The kernel's scripts send few packets per flow: cache from the first.
	rdst_load cache_after=1
	with=$(results "$@")
	# A group that skips itself (a missing tool) compares nothing.
	skipped=$(grep -i -m 3 'skipping' /tmp/rdst_peer.out | tr '\n' ' ')
	[ -z "$skipped" ]
	check_err $? "$1 skipped a group: $skipped"
	n=$(echo "$with" | grep -c .)
	[ "$n" -gt 0 ]
	check_err $? "$1 reported no cases"
	if ! echo "$with" | grep -q -v ' = OK$'; then
		log_test "$name: $n cases ($(tally "$with")) with rdst, as the kernel expects"
		return
	fi
	rdst_unload
	without=$(results "$@")
	diff <(echo "$without") <(echo "$with") > /tmp/rdst_peer.diff
	check_err $? "results differ (< without, > with rdst): $(grep '^[<>]' /tmp/rdst_peer.diff | head -6 | tr '\n' ' ')"
	log_test "$name: $n cases ($(tally "$with")), same results with and without rdst"
}

fib_tests_ipv4()
{
	# The groups that forward or route input; the others test notifications
	# and IPv6, which rdst does not touch.  ipv4_mpath_list is not a peer:
	# it counts fib_table_lookup tracepoint hits per received packet, and
	# saving those lookups is what a route cache is for.
	compare "net/fib_tests.sh (IPv4 groups)" fib_tests.sh \
		ipv4_rt ipv4_route_metrics rp_filter ipv4_del_addr ipv4_mangle
}

icmp_redirect()
{
	# A router forwarding back out of its input device: redirects, and
	# next-hop exceptions (learned MTU, redirect) on the hosts around it,
	# with and without VRF and nexthop objects.
	compare "net/icmp_redirect.sh" icmp_redirect.sh
}

trap cleanup EXIT
rdst_require
run_tests
