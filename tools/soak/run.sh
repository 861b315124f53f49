#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make soak`: rdst at scale (tools/soak/guest-soak.sh says what each part
# does).  Not part of `make check`.
#
#   make soak                    on the debug kernel (KASAN, kmemleak,
#                                lockdep) the unload and namespace cycles
#                                whole and the other parts at a tenth of
#                                their scale, then every part at full scale
#                                on the fast kernel
#   RDST_SOAK_QUICK=1 make soak  every part at a tenth of its scale on the
#                                fast kernel (under 10 minutes)
#   RDST_SOAK_PARTS="bgp flood"  only these parts
#   RDST_SOAK_RUNS="fast:0"      only these boots (FLAVOUR:QUICK)
#
# The other parts' full scale does not fit the debug kernel under TCG: it
# forwards the flood at a few hundred packets a second (a tenth of the
# flood took 5 minutes there), and 100 device cycles would take 16.  The
# debug kernel's run is the oracle for memory and locking, the fast
# kernel's for scale.  Each boot's output and kernel log are judged as
# `make check`'s are (tools/testing/summarize.py: TAP, and any WARN, BUG,
# KASAN, kmemleak, lockdep report or "waiting for ... to become free" in
# the log fails it); the figures are printed as a table and kept in
# build/soak/figures.md.  Ends with "N passed, N failed".
set -euo pipefail

. "$(dirname "$0")/../build/env.sh"

out=$RDST_TOP/build/soak
mkdir -p "$out"
start=$SECONDS
runs="debug:1 fast:0"
[ "${RDST_SOAK_QUICK:-0}" = 1 ] && runs="fast:1"
runs=${RDST_SOAK_RUNS:-$runs}

status=0 passed=0 failed=0
: > "$out/figures.txt"
for run in $runs; do
	flavour=${run%:*} quick=${run#*:}
	"$RDST_TOP/tools/build/kernel.sh" "$flavour"
	scale="at full scale"
	[ "$quick" = 1 ] && scale="at a tenth of its scale"
	flags=() full=
	if [ "$flavour" = debug ]; then
		flags=(--debug) full="unload namespaces"
		[ "$quick" = 1 ] && scale+=" (unload and namespaces whole)"
	fi
	echo ">>> soak: booting the $flavour kernel, every part $scale" >&2
	log=$out/$flavour
	mkdir -p "$log"
	rc=0 t0=$SECONDS
	RDST_LOG=$log "$RDST_TOP/tools/vm/run" "${flags[@]}" -- env RDST_SOAK_QUICK="$quick" RDST_SOAK_FULL="$full" \
		bash "$RDST_TOP/tools/soak/guest-soak.sh" ${RDST_SOAK_PARTS:-} 2>&1 | tee "$log/soak.out" || rc=$?
	sed -n "s/^# figure: /$flavour $quick /p" "$log/soak.out" >> "$out/figures.txt"
	RDST_KUNIT=0 python3 "$RDST_TOP/tools/testing/summarize.py" "$log/soak.out" "$log/guest-dmesg.log" "$rc" \
		"guest run=$((SECONDS - t0))" | tee "$log/summary.txt" || status=1
	read -r p f _ <<< "$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$log/summary.txt")"
	passed=$((passed + ${p:-0})) failed=$((failed + ${f:-1}))
done

python3 - "$out/figures.txt" "$(cat "$RDST_TOP/build/kernel/include/config/kernel.release" 2>/dev/null)" \
	> "$out/figures.md" <<'PY'
import sys, datetime
rows = {}
cols = []
for line in open(sys.argv[1]):
    flavour, quick, name, value = line.split(None, 3)
    col = f"{flavour} kernel, {'1/10 scale' if quick == '1' else 'full scale'}"
    if col not in cols:
        cols.append(col)
    rows.setdefault(name, {})[col] = value.strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"soak of {datetime.date.today()} on {cpu}, {len(open('/proc/cpuinfo').read().split('processor')) - 1} CPUs, "
      f"QEMU TCG, kernel {sys.argv[2]}\n")
print("| figure | " + " | ".join(cols) + " |")
print("|---|" + "---|" * len(cols))
for name, vals in rows.items():
    print(f"| {name} | " + " | ".join(vals.get(c, "") for c in cols) + " |")
PY
cat "$out/figures.md"
echo ">>> soak: took $(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s" >&2
echo "$passed passed, $failed failed"
exit $status
