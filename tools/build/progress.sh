#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a kernel make with its output in LOG, printing a progress line every
# 30 s: elapsed time, objects built and, once a previous build has told us
# how many there are, a percentage.
#
#   progress.sh LOG COUNTFILE MAKE-COMMAND...
set -euo pipefail

log=$1 countfile=$2
shift 2
total=$(cat "$countfile" 2>/dev/null || true)
start=$SECONDS
"$@" >"$log" 2>&1 &
pid=$!
count() { grep -cE '^\s+(CC|RUSTC|AS|LD|AR|BINDGEN)' "$log" || true; }
while kill -0 "$pid" 2>/dev/null; do
	sleep 30 & wait $!
	n=$(count)
	pct=""
	[ -n "$total" ] && [ "$total" -gt 0 ] && pct=" (~$(( n * 100 / total ))% of a full build)"
	printf '    %3dm%02ds  %5d objects%s  %s\n' $(( (SECONDS - start) / 60 )) $(( (SECONDS - start) % 60 )) \
		"$n" "$pct" "$(grep -E '^\s+(CC|RUSTC|LD)' "$log" | tail -1 | awk '{print $NF}')" >&2
done
if ! wait "$pid"; then
	grep -E -B2 -A8 'error|Error' "$log" | head -60 >&2
	echo "build failed; full log: $log" >&2
	exit 1
fi
n=$(count)
# Only a build that compiled most of the tree is a fair denominator.
[ "$n" -gt "${total:-0}" ] && echo "$n" > "$countfile"
grep -E '^(warning|.*: warning:)' "$log" >&2 || true
printf '    done in %dm%02ds, %d objects\n' $(( (SECONDS - start) / 60 )) $(( (SECONDS - start) % 60 )) "$n" >&2
