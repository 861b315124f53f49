#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Differential equivalence: random router configurations and packet sets,
# every packet's fate recorded with rdst loaded and without it, must be
# identical (rdst_diff.py). `make check` runs the fixed seeds below; a soak
# run takes a count: RDST_DIFF_COUNT=200 ./rdst_differential.sh
# (rdst_fuzz.sh runs the same with malformed packets: RDST_DIFF_FUZZ=1.)

source "$(dirname "$(readlink -f "$0")")/rdst_lib.sh"

# Seed 1 loses the egress carrier with ignore_routes_with_linkdown set, 3
# has redirects accepted after caching, and again after a route cache flush
# (phase 7: the exceptions updated in place), 14 a path MTU learned with
# ip_forward_use_pmtu=1 (phases 4-7, rdst_diff.py).
seeds=${RDST_DIFF_SEEDS:-"1 3 14"}
if [ -n "${RDST_DIFF_COUNT:-}" ]; then
	base=${RDST_DIFF_BASE:-$RANDOM}
	seeds=$(seq "$base" $((base + RDST_DIFF_COUNT - 1)))
fi

rdst_require
if ! command -v python3 >/dev/null || ! command -v nft >/dev/null; then
	ktap_skip_all "python3 and nft are needed"
	exit $KSFT_SKIP
fi
rdst_unload

# Every packet is sent twice per phase: cache_after=1 makes the second a hit.
# Entries must not expire between phases, however long a phase takes on the
# host: an entry that expires between a change and the next phase is never
# served stale, so a stale decision would go unseen.
params="cache_after=1 idle_timeout_ms=3600000"
if [ -n "${RDST_KO:-}" ]; then
	load="insmod $RDST_KO $params"
else
	load="modprobe rdst $params"
fi
# Each seed with each of rdst's hooks: the input route hook (Y, the
# default) and the PRE_ROUTING one (N).  The runs without rdst are made
# once (kept in RDST_DIFF_KERNEL_RESULTS, or here).
hooks=${RDST_DIFF_HOOKS:-"Y N"}
if [ -z "${RDST_DIFF_KERNEL_RESULTS:-}" ]; then
	RDST_DIFF_KERNEL_RESULTS=$(mktemp -d)
	trap 'rm -rf "$RDST_DIFF_KERNEL_RESULTS"' EXIT
fi

nseeds=$(echo $seeds | wc -w)
ktap_print_header
ktap_set_plan $((nseeds * $(echo $hooks | wc -w)))
rc=0 first=1
for hook in $hooks; do
	python3 -I -S "$DIR/rdst_diff.py" ${RDST_DIFF_FUZZ:+--fuzz} --load "$load direct_hook=$hook" \
		--unload "rmmod rdst 2>/dev/null || true" --kernel-results "$RDST_DIFF_KERNEL_RESULTS" \
		--number-from $first --label "direct_hook=$hook" $seeds || rc=1
	first=$((first + nseeds))
done
exit $rc
