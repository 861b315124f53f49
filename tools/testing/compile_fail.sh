#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The misuses the abstractions' types rule out, shown by failing to compile:
# each tools/testing/compile_fail/NAME.rs is compiled as a module crate
# against the built kernel and must fail with the error its `// expect:`
# line names.  (Doctests marked compile_fail do not work for the kernel
# crate: its doctests become KUnit cases, see rust/kernel/init.rs.)
#
#   tools/testing/compile_fail.sh [fast|debug]      (default: debug)
#
# Each snippet goes through the rustc command Kbuild saved for rdst's own
# object (so the same flags, cfgs and `kernel` crate), emitting metadata
# only, about a second each.  Prints TAP.
set -euo pipefail

. "$(dirname "$0")/../build/env.sh"

flavour=${1:-debug}
case $flavour in fast) out=$RDST_TOP/build ;; debug) out=$RDST_TOP/build/debug ;;
*) echo "usage: tools/testing/compile_fail.sh [fast|debug]" >&2; exit 2 ;; esac
kdir=$(readlink -f "$out/kernel") || true
saved=$kdir/rdst-ext/net/rdst/.rdst.o.cmd
[ -e "$saved" ] || { echo "compile_fail.sh: no built $flavour kernel and rdst; run 'tools/build/kernel.sh $flavour' first" >&2; exit 2; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# rdst's command: rustc only (not the objtool run after it), writing metadata
# to the scratch directory, the source file left as SRC.
cmd=$(sed -n 's/^savedcmd_[^ ]* := //p' "$saved" | sed -E -e 's/ ; .*//' \
	-e 's/ --emit=[^ ]+//g' -e 's/ --out-dir [^ ]+//' -e 's/ --crate-name [^ ]+//' \
	-e 's#[^ ]+/rdst\.rs *$##')

snippets=("$RDST_TOP"/tools/testing/compile_fail/*.rs)
echo "TAP version 13"
echo "1..${#snippets[@]}"
n=0 rc=0
for src in "${snippets[@]}"; do
	n=$((n + 1))
	name=$(basename "$src" .rs)
	expect=$(sed -n 's#^// expect: ##p' "$src")
	what=$(sed -n '2s#^//! ##p' "$src")
	# (RUSTC_BOOTSTRAP: Kbuild's environment for rustc's -Z flags.)
	if (cd "$kdir" && RUSTC_BOOTSTRAP=1 sh -c "$cmd --crate-name cf_$name --emit=metadata=$scratch/$name.rmeta $src") \
		> "$scratch/$name.err" 2>&1; then
		echo "not ok $n compile_fail $name: compiles, but must not ($what)"
		rc=1
	elif grep -qF -- "$expect" "$scratch/$name.err"; then
		echo "ok $n compile_fail $name: refused with \"$expect\""
	else
		echo "not ok $n compile_fail $name: failed, but not with \"$expect\":"
		sed 's/^/# /' "$scratch/$name.err" | head -30
		rc=1
	fi
done
exit "$rc"
