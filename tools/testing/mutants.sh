#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Mutants: rdst with one of its validity checks broken on purpose, to show
# that the differential test catches a module that makes other decisions
# than the kernel.  `make check` builds each mutant against the debug kernel
# (OUTDIR/NAME.ko, listed with its description in OUTDIR/list), and
# guest-check.sh loads each in turn and runs the differential test, which
# must fail and name a seed.  A mutant that survives is a gap in the tests.
#
# Usage: tools/testing/mutants.sh KDIR OUTDIR
set -euo pipefail

. "$(dirname "$0")/../build/env.sh"

kdir=$(readlink -f "$1")
mkdir -p "$2"
out=$(readlink -f "$2")

# NAME|seed to try first|what the broken module does|text of net/rdst/cache.rs|its replacement
# (The seed that caught the mutant when it was written: guest-check.sh tries
# it before the others, so that a mutant caught costs one run.)
MUTANTS=(
	"genid|1|serves entries cached before a routing change (ignores rt_genid_ipv4)|if e.genid() == genid|if e.genid() == e.genid()"
	"fnhe_seq|3|serves entries made before a next-hop exception changed (ignores fnhe_seq_ipv4: a redirect or PMTU accepted after caching, updated in place)|&& f.fnhe_seq == fnhe_seq|&& f.fnhe_seq == f.fnhe_seq"
)
# (No mutant ignores the held kernel route's obsolete mark: every change the
# differential test makes that marks it, an exception created, also bumps
# fnhe_seq, and a nexthop replaced under a group, whose old routes are
# marked a grace period later, flushes with patch 0013: the mark is the
# kernel's own signal, kept for what no count shows.)

: > "$out/list.new"
for m in "${MUTANTS[@]}"; do
	IFS='|' read -r name first what from to <<< "$m"
	dir=$out/$name
	mkdir -p "$dir"
	echo "obj-m += rdst.o" > "$dir/Kbuild.new"
	for f in "$RDST_TOP"/net/rdst/*.rs; do
		cp "$f" "$dir/$(basename "$f").new"
	done
	# The text must occur exactly once: a mutant that no longer applies
	# after a refactoring fails the build instead of testing nothing.
	python3 - "$dir/cache.rs.new" "$from" "$to" <<-'PY'
	import sys
	path, old, new = sys.argv[1:]
	src = open(path).read()
	if src.count(old) != 1:
	    sys.exit(f"mutants.sh: {old!r} occurs {src.count(old)} times in net/rdst/cache.rs")
	open(path, "w").write(src.replace(old, new))
	PY
	# Replace only what changed, so that an unchanged mutant is not rebuilt.
	for f in "$dir"/*.new; do
		if cmp -s "$f" "${f%.new}"; then rm "$f"; else mv "$f" "${f%.new}"; fi
	done
	echo ">>> mutants: building $name ($what)" >&2
	"${KMAKE[@]}" -C "$kdir" M="$dir" -j"$(( $(nproc) + 1 ))" modules > "$dir/build.log" 2>&1 || {
		echo "mutants.sh: building mutant $name failed, see $dir/build.log" >&2
		exit 1
	}
	cp "$dir/rdst.ko" "$out/$name.ko"
	printf '%s\t%s\t%s\n' "$name" "$first" "$what" >> "$out/list.new"
done
mv "$out/list.new" "$out/list"
