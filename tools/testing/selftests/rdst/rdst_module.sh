#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdst module lifecycle: loads, says so in the kernel log, unloads cleanly;
# the build chain's own sample does the same.

ALL_TESTS="
	sample_load_unload
	rdst_load_unload
"

source "$(dirname "$(readlink -f "$0")")/rdst_lib.sh"

# kmsg_since MARK PATTERN: does the kernel log after MARK match PATTERN?
kmsg_mark()
{
	local mark="rdst-selftest-mark-$RANDOM$RANDOM"

	echo "$mark" > /dev/kmsg
	echo "$mark"
}

kmsg_since()
{
	dmesg | sed -n "/$1/,\$p" | grep -q -- "$2"
}

sample_load_unload()
{
	local ko=${RDST_KO%/*}/rust_rdst_hello.ko mark

	mark=$(kmsg_mark)
	insmod "$ko"
	check_err $? "insmod $ko failed"
	kmsg_since "$mark" "rust_rdst_hello: loaded"
	check_err $? "no load message in the kernel log"
	rmmod rust_rdst_hello
	check_err $? "rmmod failed"
	kmsg_since "$mark" "rust_rdst_hello: unloaded"
	check_err $? "no unload message in the kernel log"
	log_test "sample module loads and unloads"
}

rdst_load_unload()
{
	rdst_load
	check_err $? "loading rdst failed"
	[ -d /sys/module/rdst ]
	check_err $? "/sys/module/rdst missing after load"
	rdst_unload
	check_err $? "rmmod rdst failed"
	[ ! -d /sys/module/rdst ]
	check_err $? "/sys/module/rdst still present after rmmod"
	log_test "rdst loads and unloads"
}

rdst_require
run_tests
