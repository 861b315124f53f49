#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: forwarding throughput of rdst against the kernel's own paths,
# every variant in the same boot of the fast kernel (tools/bench/guest-bench.sh),
# then the table, the ratios, build/bench/results.csv and build/bench/pps.svg
# (tools/bench/report.py).  Not part of `make check`: it measures, it does
# not judge.  RDST_BENCH_RUNS, RDST_BENCH_SECS and RDST_BENCH_FIB override the
# number of runs (5), seconds per run (3) and FIB size (500000);
# RDST_BENCH_MODE the receive modes, one or more of backlog (default: the
# router alone on CPU 1, pktgen on CPU 0), napi (threaded veth NAPI on CPU 1)
# and single (everything on CPU 0, the old set-up); RDST_BENCH_ONLY a list
# of scenarios (globs) and kbench, slab or profile to run only those;
# RDST_BENCH_POLL=0 leaves out the busy loop that keeps CPU 1 from halting;
# RDST_BENCH_GEN=veth makes backlog mode's generator the veth sender instead
# of pktgen injecting into the router's receive path (inject);
# RDST_BENCH_ONLY=profile records perf profiles of vanilla, rdst and the flowtable instead.
set -euo pipefail

. "$(dirname "$0")/../build/env.sh"

out=$RDST_TOP/build/bench
mkdir -p "$out"
start=$SECONDS
# The guest runs a copy: bash reads a script as it goes, so editing the
# original during a run would change what runs.
cp "$RDST_TOP/tools/bench/guest-bench.sh" "$out/guest-bench.sh"
modes=${RDST_BENCH_MODE:-backlog}
echo ">>> bench: booting the fast kernel (10 scenarios x 4 variants x ${RDST_BENCH_RUNS:-5} runs x $(echo $modes | wc -w) mode(s))" >&2
"$RDST_TOP/tools/vm/run" --cpus 2 --memory 4G -- env RDST_BENCH_RUNS="${RDST_BENCH_RUNS:-5}" \
	RDST_BENCH_SECS="${RDST_BENCH_SECS:-3}" RDST_BENCH_FIB="${RDST_BENCH_FIB:-500000}" \
	RDST_BENCH_ONLY="${RDST_BENCH_ONLY:-}" RDST_BENCH_MODE="$modes" \
	RDST_BENCH_POLL="${RDST_BENCH_POLL:-1}" RDST_BENCH_GEN="${RDST_BENCH_GEN:-inject}" \
	bash "$out/guest-bench.sh" "$out/results.csv"
[ "${RDST_BENCH_ONLY:-}" = profile ] && { head -25 "$out"/results.csv.profile.*; exit 0; }
python3 "$RDST_TOP/tools/bench/report.py" "$out/results.csv" \
	"$(cat "$RDST_TOP/build/kernel/include/config/kernel.release")"
echo ">>> bench: took $(( (SECONDS - start) / 60 ))m$(( (SECONDS - start) % 60 ))s" >&2
