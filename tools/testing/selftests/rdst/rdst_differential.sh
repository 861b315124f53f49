#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Differential equivalence: random router configurations and packet sets,
# every packet's fate recorded with rdst loaded and without it, must be
# identical (rdst_diff.py). `make check` runs the fixed seeds below; a soak
# run takes a count: RDST_DIFF_COUNT=200 ./rdst_differential.sh
# (rdst_fuzz.sh runs the same with malformed packets: RDST_DIFF_FUZZ=1.)

source "$(dirname "$(readlink -f "$0")")/rdst_lib.sh"

seeds=${RDST_DIFF_SEEDS:-"1 2 3"}
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
if [ -n "${RDST_KO:-}" ]; then
	load="insmod $RDST_KO cache_after=1"
else
	load="modprobe rdst cache_after=1"
fi

ktap_print_header
ktap_set_plan "$(echo $seeds | wc -w)"
python3 "$DIR/rdst_diff.py" ${RDST_DIFF_FUZZ:+--fuzz} --load "$load" --unload "rmmod rdst 2>/dev/null || true" $seeds
exit $?
