#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything rdst needs on a Debian 12 host: the kernel source
# package, the matched rustc/rust-src pair, LLVM, QEMU, virtme-ng and a
# pinned bindgen.  Idempotent: a stamp keyed by this file's contents makes
# the second run a no-op.
set -euo pipefail

. "$(dirname "$0")/env.sh"

stamp="$RDST_CACHE/deps.$(sha256sum "$0" | cut -c1-16).stamp"
[ -e "$stamp" ] && exit 0

DEB_PACKAGES=(
	linux-source-6.12 rustc-web rust-web-src rust-web-clippy
	clang llvm lld libclang-dev
	make flex bison bc libelf-dev libssl-dev dwarves cpio kmod xz-utils rsync
	qemu-system-x86 busybox-static udev
	iproute2 iputils-ping nftables ethtool tcpdump procps socat iptables
	bpftrace trace-cmd python3-docutils bird2
)
BINDGEN_VERSION=0.73.2
VIRTME_NG_VERSION=1.42

step() { printf '>>> deps: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: must run as root to install packages" >&2
	exit 1
fi

mkdir -p "$RDST_CACHE"

# bindgen is built by the machine's own cargo, from crates.io: nothing it
# needs comes from apt, so it builds while apt and pip install (about a
# minute each on a fresh machine; on a slow host the kernel build that
# follows waits for both).  Its output goes to a log, shown if it fails.
bindgen_pid=
if ! "$BINDGEN" --version 2>/dev/null | grep -q " $BINDGEN_VERSION\$"; then
	step "cargo install bindgen-cli $BINDGEN_VERSION (beside apt; log in $RDST_CACHE/bindgen.log)"
	cargo install --locked --root "$RDST_CACHE/tools" bindgen-cli --version "$BINDGEN_VERSION" \
		> "$RDST_CACHE/bindgen.log" 2>&1 &
	bindgen_pid=$!
fi

missing=()
for p in "${DEB_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	step "apt-get install ${missing[*]}"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! "$RDST_CACHE/venv/bin/vng" --version 2>/dev/null | grep -q "$VIRTME_NG_VERSION"; then
	step "pip install virtme-ng $VIRTME_NG_VERSION"
	python3 -m venv "$RDST_CACHE/venv"
	"$RDST_CACHE/venv/bin/pip" install -q "virtme-ng==$VIRTME_NG_VERSION"
fi

if [ -n "$bindgen_pid" ] && ! wait "$bindgen_pid"; then
	tail -n 30 "$RDST_CACHE/bindgen.log" >&2
	echo "deps: cargo install bindgen-cli $BINDGEN_VERSION failed (log: $RDST_CACHE/bindgen.log)" >&2
	exit 1
fi

touch "$stamp"
step "done"
