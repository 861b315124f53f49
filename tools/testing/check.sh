#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: boot the debug kernel once, run every suite inside it
# (tools/testing/guest-check.sh), then judge the results on the host:
# per-case TAP lines from the suites, the KUnit results from the boot log,
# and the whole guest kernel log as an oracle (any WARN, BUG, KASAN,
# kmemleak, lockdep or "waiting for ... to become free" fails the run).
# Ends with "N passed, N failed, N skipped" and a non-zero exit on failure.
set -euo pipefail

. "$(dirname "$0")/../build/env.sh"

log=$RDST_LOG
mkdir -p "$log"
out=$log/check.out
start=$SECONDS

# rdst with checks broken on purpose: the differential test must catch each.
"$RDST_TOP/tools/testing/mutants.sh" "$RDST_TOP/build/debug/kernel" "$RDST_TOP/build/debug/mutants"

echo ">>> check: booting the debug kernel and running the suites (output in $out)" >&2
rc=0
RDST_KUNIT=1 "$RDST_TOP/tools/vm/run" --debug -- "$RDST_TOP/tools/testing/guest-check.sh" 2>&1 \
	| tee "$out" || rc=$?
[ "$rc" -eq 0 ] || echo ">>> check: the guest run exited with status $rc" >&2

status=0
python3 "$RDST_TOP/tools/testing/summarize.py" "$out" "$log/guest-dmesg.log" "$rc" || status=$?
echo ">>> check: took $(( (SECONDS - start) / 60 ))m$(( (SECONDS - start) % 60 ))s" >&2
exit $status
