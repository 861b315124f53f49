# SPDX-License-Identifier: GPL-2.0
# Shared settings for rdst's build and VM scripts (sourced, not run).

# Kernel trees, builds, tools and logs live outside the repository so that
# a fresh clone reuses them and `git clean` never throws a build away.
RDST_CACHE=${RDST_CACHE:-/var/cache/rdst}
RDST_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Logs of VM runs (guest kernel log, suite output); separate runs that
# overlap in time need separate directories.
RDST_LOG=${RDST_LOG:-$RDST_CACHE/log}
BINDGEN=$RDST_CACHE/tools/bin/bindgen
VNG=$RDST_CACHE/venv/bin/vng
# Debian's rustc-web comes with the matching rust-src; the rustup proxies
# on PATH have no rust-src, so name the compiler explicitly.
KMAKE=(make LLVM=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
       BINDGEN="$BINDGEN" HOSTRUSTC=/usr/bin/rustc)
export RDST_CACHE RDST_LOG RDST_TOP
