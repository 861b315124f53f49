#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make clippy`: lint the project's Rust with Clippy the way the kernel's
# `make CLIPPY=1` does (clippy-driver in rustc's place, with the kernel's
# own lint flags and -Dwarnings), against a built kernel tree:
#
#   tools/build/clippy.sh [fast|debug]     (default: debug, what `make check` builds)
#
# - The crates of the tree the overlay changes, `kernel` (the abstractions
#   under rust/kernel/) and `macros` (module parameters): the rustc command
#   Kbuild saved for each (rust/.kernel.o.cmd, rust/.libmacros.so.cmd) is
#   run again through clippy-driver, emitting only metadata, into a scratch
#   directory.  A CLIPPY=1 make in the tree would change those command lines
#   and so rebuild the crates, vmlinux and everything after them, and again
#   on the next plain build.
# - The modules (net/rdst, samples/rust): built with M= and CLIPPY=1 from a
#   scratch copy.
#
# Prints each finding; exits non-zero if there is any.
set -euo pipefail

. "$(dirname "$0")/env.sh"

flavour=${1:-debug}
case $flavour in fast) out=$RDST_TOP/build ;; debug) out=$RDST_TOP/build/debug ;;
*) echo "usage: tools/build/clippy.sh [fast|debug]" >&2; exit 2 ;; esac
kdir=$(readlink -f "$out/kernel") || true
[ -e "$kdir/rust/.kernel.o.cmd" ] || {
	echo "clippy.sh: no built $flavour kernel; run 'tools/build/kernel.sh $flavour' (or make check) first" >&2
	exit 2
}
CLIPPY_DRIVER=/usr/bin/clippy-driver
[ -x "$CLIPPY_DRIVER" ] || { echo "clippy.sh: no $CLIPPY_DRIVER (Debian rust-web-clippy; tools/build/deps.sh)" >&2; exit 2; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
rc=0

# lint_crate NAME CMDFILE: the crate's saved rustc command through
# clippy-driver, its outputs replaced by metadata in the scratch directory.
lint_crate()
{
	local name=$1 cmd

	cmd=$(sed -n 's/^savedcmd_[^ ]* := //p' "$kdir/$2")
	# (-Dwarnings: the kernel crate has it from Kbuild, the macros crate not.)
	cmd=$(printf '%s\n' "$cmd" | sed -E -e "s#(^| )/usr/bin/rustc #\\1$CLIPPY_DRIVER -Dwarnings #" \
		-e 's/ --emit=[^ ]+//g' -e "s#( --crate-type)# --emit=metadata=$scratch/$name.rmeta\\1#")
	echo ">>> clippy: crate $name" >&2
	# (Kbuild's environment for rustc: RUSTC_BOOTSTRAP for the -Z flags,
	# CLIPPY_CONF_DIR for the tree's .clippy.toml.)
	(cd "$kdir" && RUSTC_BOOTSTRAP=1 CLIPPY_CONF_DIR=$(readlink -f source) sh -c "$cmd") || rc=1
}

lint_crate kernel rust/.kernel.o.cmd
lint_crate macros rust/.libmacros.so.cmd

echo ">>> clippy: modules (net/rdst, samples/rust)" >&2
cp -r "$RDST_TOP/Kbuild" "$RDST_TOP/net" "$RDST_TOP/samples" "$scratch/"
# pahole's complaints about the Rust units' DWARF are not Clippy's: dropped,
# as in kernel.sh.
"${KMAKE[@]}" -s -C "$kdir" M="$scratch" CLIPPY=1 CLIPPY_DRIVER="$CLIPPY_DRIVER" \
	-j"$(( $(nproc) + 1 ))" modules 2>&1 | sed -E '/^(die__[a-z_]+|tag__recode_dwarf_type): /d' >&2 \
	|| rc=1

if [ "$rc" -eq 0 ]; then
	echo ">>> clippy: no findings" >&2
fi
exit "$rc"
