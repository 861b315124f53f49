# SPDX-License-Identifier: GPL-2.0
#
# rdst: an IPv4 input route cache for Linux, written in Rust.
#
#   make          build the fast kernel and rdst, boot it, forward traffic
#                 through rdst and show what it did (README command 1)
#   make check    build the debug kernel and run the whole test suite in it
#                 (README command 2; what CI runs)
#   make kernel   build both kernel flavours and the modules, run nothing
#   make clippy   lint the abstractions, rdst and the samples with Clippy
#                 (as the kernel's CLIPPY=1; also part of check)
#   make bench    forwarding benchmark (not part of check)
#   make soak     rdst at scale: BGP churn, a million flows, unload, device
#                 and namespace cycles, fuzz (not part of check;
#                 RDST_SOAK_QUICK=1: a tenth of the scale on the fast kernel)
#   make clean    remove build/ (the kernel cache stays in $RDST_CACHE)
#
# Out-of-tree the kernel way also works once a kernel is built:
#   make -C build/kernel M=$PWD

# Kbuild re-reads this file through `M=`; only the targets above are ours.
ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

.PHONY: all demo check clippy kernel kernel-fast kernel-debug bench soak clean

all: demo

kernel-fast:
	tools/build/kernel.sh fast

kernel-debug:
	tools/build/kernel.sh debug

kernel: kernel-fast kernel-debug

demo: kernel-fast
	tools/vm/run -- tools/demo.sh

check:
	tools/testing/check.sh

clippy: kernel-debug
	tools/build/clippy.sh debug

bench: kernel-fast
	tools/bench/run.sh

soak:
	tools/soak/run.sh

clean:
	rm -rf build

endif
