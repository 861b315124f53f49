#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build rdst's kernel (FLAVOUR = fast | debug) and the project's modules.
#
#   tools/build/kernel.sh FLAVOUR
#
# The current Debian linux-source-6.12 is unpacked once under $RDST_CACHE;
# each flavour builds out of tree (O=) in a directory keyed by the kernel
# version, the flavour's resolved configuration and the toolchain, so a
# changed key starts a fresh build while everything else is incremental.
# The overlay (include/, rust/, patches/) is laid onto the source touching only files
# whose content changed; the modules are built with M= from a copy of the
# repository's module sources and copied to build/ (fast) or build/debug/.
set -euo pipefail

. "$(dirname "$0")/env.sh"

flavour=${1:?usage: kernel.sh fast|debug}
case $flavour in fast|debug) ;; *) echo "kernel.sh: unknown flavour '$flavour'" >&2; exit 2 ;; esac

step() { printf '>>> kernel[%s]: %s\n' "$flavour" "$*" >&2; }

"$RDST_TOP/tools/build/deps.sh"

version=$(dpkg-query -W -f='${Version}' linux-source-6.12)
src=$RDST_CACHE/src/linux-$version
if [ ! -e "$src/.rdst-unpacked" ]; then
	step "unpacking linux-source $version"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -C "$src.tmp" -xf /usr/src/linux-source-6.12.tar.xz --strip-components=1
	mv "$src.tmp" "$src"
	touch "$src/.rdst-unpacked"
fi

# The overlay first: a "# merge:" line below may name one of its files.
python3 "$RDST_TOP/tools/build/overlay.py" "$RDST_TOP" "$src"

# The flavour's fragment: common lines, then its own section, with
# "# merge: PATH" lines (PATH in the kernel tree) expanded; tristates in
# merged files are built in (the guest has no modules dir).
fragment=$(awk -v want="$flavour" -v src="$src" '
	/^# \[[a-z]+\]$/ { sec = substr($2, 2, length($2) - 2); next }
	sec != "" && sec != want { next }
	/^# merge: / {
		while ((getline l < (src "/" $3)) > 0) { sub(/=m$/, "=y", l); print l }
		next
	}
	{ print }' "$RDST_TOP/.config.fragment")
# dropped_options CONFIG: each option the fragment requests that CONFIG
# does not have, as OPTION=WANTED(got:VALUE); the fragment's last word on
# an option counts, as in merge_config.  "is not set" and "=n" are met by
# an absent option too (one whose dependencies are off is off).
dropped_options()
{
	printf '%s\n' "$fragment" | awk -v cfg="$1" '
		function opt(l) { return substr(l, 1, index(l, "=") - 1) }
		BEGIN {
			while ((getline l < cfg) > 0)
				if (l ~ /^CONFIG_[A-Za-z0-9_]+=/) have[opt(l)] = substr(l, index(l, "=") + 1)
		}
		/^CONFIG_[A-Za-z0-9_]+=/ { want[opt($0)] = substr($0, index($0, "=") + 1); next }
		/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { want[$2] = "n" }
		END {
			for (o in want) {
				v = (o in have) ? have[o] : "n"
				if (v != want[o]) printf "%s=%s(got:%s)\n", o, want[o], v
			}
		}' | LC_ALL=C sort
}
key=$( { echo "$version"; echo "$fragment"; /usr/bin/rustc --version; clang --version | head -1
	"$BINDGEN" --version; } | sha256sum | cut -c1-12)
obj=$RDST_CACHE/build/$flavour-$version-$key
mkdir -p "$obj"
K=("${KMAKE[@]}" -C "$src" O="$obj")

if [ ! -e "$obj/.config" ]; then
	step "configuring $obj"
	printf '%s\n' "$fragment" > "$obj/rdst.fragment"
	"${K[@]}" -s x86_64_defconfig kvm_guest.config >/dev/null
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$obj/rdst.fragment") >"$obj/merge.log"
	# Kconfig's "override: reassigning" notes (an option the merged file
	# repeats) go to merge.log with merge_config's own report.
	"${K[@]}" -s olddefconfig 2>>"$obj/merge.log" || {
		tail -n 20 "$obj/merge.log" >&2; echo "kernel.sh: configuring failed (log: $obj/merge.log)" >&2; exit 1; }
	# merge_config only warns when Kconfig drops a requested value (a
	# dependency not met, a symbol renamed): fail on every one of them.
	dropped=$(dropped_options "$obj/.config")
	[ -z "$dropped" ] || {
		printf 'kernel.sh: requested but dropped by Kconfig: %s\n' $dropped >&2
		rm -f "$obj/.config"; exit 1; }
fi

# Rebuild only when an input changed: the overlay, the module sources or
# this script.  A build interrupted half-way leaves no stamp.
inputs=$(cd "$RDST_TOP" && find include rust patches net samples Kbuild tools/build -type f 2>/dev/null \
	| LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
stamp=$obj/.rdst-built-$inputs
if [ -e "$stamp" ]; then
	step "up to date ($obj)"
else
	jobs=$(( $(nproc) + 1 ))
	step "building bzImage (make -j$jobs, log in $obj/build.log)"
	"$RDST_TOP/tools/build/progress.sh" "$obj/build.log" "$RDST_CACHE/objcount.$flavour" \
		"${K[@]}" -j"$jobs" bzImage modules
	ext=$obj/rdst-ext
	step "building rdst modules (M=$ext)"
	mkdir -p "$ext"
	rsync -rc --delete --exclude '*.o' --exclude '*.ko' --exclude '.*' \
		--exclude '*.mod*' --exclude 'modules.order' --exclude 'Module.symvers' \
		"$RDST_TOP/Kbuild" "$RDST_TOP/net" "$RDST_TOP/samples" "$ext/" 
	# pahole 1.24 complains about DWARF it cannot read in the Rust units
	# that --lang_exclude=rust then leaves out of the modules' BTF: the
	# complaints stay in modules.log.
	"${KMAKE[@]}" -C "$obj" M="$ext" -j"$jobs" modules 2>&1 | tee "$obj/modules.log" \
		| sed -E '/^(die__[a-z_]+|tag__recode_dwarf_type): /d' >&2
	rm -f "$obj"/.rdst-built-*
	touch "$stamp"
fi

out=$RDST_TOP/build
[ "$flavour" = debug ] && out=$out/debug
mkdir -p "$out"
find "$obj/rdst-ext" -name '*.ko' -exec cp {} "$out/" \;
ln -sfn "$obj" "$out/kernel"
step "kernel $(cat "$obj/include/config/kernel.release"): $out/kernel/arch/x86/boot/bzImage"
step "modules: $(cd "$RDST_TOP" && ls "${out#"$RDST_TOP"/}"/*.ko | tr '\n' ' ')"
