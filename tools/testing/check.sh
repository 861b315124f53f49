#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: build the debug kernel (when anything changed), lint the
# Rust with Clippy (`make clippy`), boot the kernel once, run every suite
# inside it (tools/testing/guest-check.sh), then judge the results on the
# host: per-case TAP lines from the suites and Clippy's verdict, the KUnit
# results from the boot log,
# and the whole guest kernel log as an oracle (any WARN, BUG, KASAN,
# kmemleak, lockdep or "waiting for ... to become free" fails the run).
# Ends with a table of the time each part took (the builds, the boot, each
# suite) and "N passed, N failed, N skipped", with a non-zero exit on failure.
set -euo pipefail

. "$(dirname "$0")/../build/env.sh"

log=$RDST_LOG
mkdir -p "$log"
out=$log/check.out
start=$SECONDS
# NAME=SECONDS of each host-side part, for the summary's table of times.
times=()

# timed_part NAME CMD...: run CMD and note how long it took.
timed_part()
{
	local name=$1 t0=$SECONDS rc=0
	shift
	"$@" || rc=$?
	times+=("$name=$((SECONDS - t0))")
	return $rc
}

# The debug kernel and the modules for it (`make kernel-debug`): a no-op
# when nothing changed since the last build.
timed_part "debug kernel build" "$RDST_TOP/tools/build/kernel.sh" debug

# What the selftests build (their Makefile's TEST_GEN_FILES: a BPF object),
# built here: clang takes a second on the host, 17 s in the debug guest.
# OUTPUT is given: lib.mk defaults it to the directory only at MAKELEVEL 0,
# and under `make check` the object went to /sk_assign.bpf.o, leaving the
# suite to compile it in the guest on every run.
selftests=$RDST_TOP/build/debug/kernel/source/tools/testing/selftests/rdst
timed_part "selftests build" make -s -C "$selftests" OUTPUT="$selftests"

# rdst with checks broken on purpose: the differential test must catch each.
timed_part "mutants build" \
	"$RDST_TOP/tools/testing/mutants.sh" "$RDST_TOP/build/debug/kernel" "$RDST_TOP/build/debug/mutants"

# Clippy over the abstractions, rdst and the samples (`make clippy`): a
# finding fails the run as a case of its own, after the suites have run.
clippy_tap=$log/clippy.tap
if timed_part "clippy" "$RDST_TOP/tools/build/clippy.sh" debug; then
	clippy_result="ok 1 clippy: the abstractions, rdst and the samples are clean under CLIPPY=1"
else
	clippy_result="not ok 1 clippy: findings under CLIPPY=1 (above, or tools/build/clippy.sh)"
fi
printf '# suite: clippy\nTAP version 13\n1..1\n%s\n' "$clippy_result" > "$clippy_tap"

# The misuses the abstractions' types rule out (a noref borrow counted or kept
# past its guard, an entry retired to another registration's list, hook state
# reached without a guard), each refused by the compiler: cases of their own.
compile_fail_tap=$log/compile_fail.tap
{
	echo "# suite: compile_fail"
	timed_part "compile_fail" "$RDST_TOP/tools/testing/compile_fail.sh" debug || true
} > "$compile_fail_tap"

echo ">>> check: booting the debug kernel and running the suites (output in $out)" >&2
rc=0
t0=$SECONDS
RDST_KUNIT=1 "$RDST_TOP/tools/vm/run" --debug -- "$RDST_TOP/tools/testing/guest-check.sh" 2>&1 \
	| tee "$out" || rc=$?
times+=("guest run=$((SECONDS - t0))")
[ "$rc" -eq 0 ] || echo ">>> check: the guest run exited with status $rc" >&2
cat "$clippy_tap" "$compile_fail_tap" | tee -a "$out"

status=0
python3 "$RDST_TOP/tools/testing/summarize.py" "$out" "$log/guest-dmesg.log" "$rc" \
	"${times[@]}" "total=$((SECONDS - start))" || status=$?
exit $status
