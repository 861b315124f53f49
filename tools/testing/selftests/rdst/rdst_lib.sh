#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for rdst's selftests: TAP through ktap_helpers, the
# check_err/log_test idiom of net/forwarding, and finding the module.

DIR="$(dirname "$(readlink -f "$0")")"
KSFT_SKIP=4

source "$DIR/../kselftest/ktap_helpers.sh" || exit $KSFT_SKIP
source "$DIR/../net/lib.sh" || exit $KSFT_SKIP

# The module: $RDST_KO, else the build matching this kernel ($RDST_BUILD is
# set by rdst's tools/vm/run), else whatever modprobe finds.
if [ -z "${RDST_KO:-}" ] && [ -n "${RDST_BUILD:-}" ]; then
	RDST_KO=$RDST_BUILD/rdst.ko
fi

rdst_available()
{
	if [ -n "${RDST_KO:-}" ]; then
		[ -e "$RDST_KO" ]
	else
		modprobe -n -q rdst
	fi
}

# rdst_load [PARAM=VALUE...]
rdst_load()
{
	if [ -n "${RDST_KO:-}" ]; then
		insmod "$RDST_KO" "$@"
	else
		modprobe rdst "$@"
	fi
}

rdst_unload()
{
	if [ -d /sys/module/rdst ]; then
		rmmod rdst
	fi
}

rdst_require()
{
	if [ "$(id -u)" -ne 0 ]; then
		ktap_skip_all "must be run as root"
		exit $KSFT_SKIP
	fi
	if ! rdst_available; then
		ktap_skip_all "rdst module not found (set RDST_KO)"
		exit $KSFT_SKIP
	fi
}

# The net/forwarding idiom: RET accumulates the first failure of a case,
# log_test turns it into one TAP line.
RET=0
RETMSG=

check_err()
{
	local err=$1 msg=$2

	if [ "$RET" -eq 0 ] && [ "$err" -ne 0 ]; then
		RET=$err
		RETMSG=$msg
	fi
}

check_fail()
{
	local err=$1 msg=$2

	if [ "$RET" -eq 0 ] && [ "$err" -eq 0 ]; then
		RET=1
		RETMSG=$msg
	fi
}

log_test()
{
	local name=$1

	if [ "$RET" -eq 0 ]; then
		ktap_test_pass "$name"
	else
		ktap_print_msg "$name: $RETMSG"
		ktap_test_fail "$name"
	fi
	RET=0
	RETMSG=
}

# run_tests: run every case named in $ALL_TESTS with a plan.
run_tests()
{
	local t

	ktap_print_header
	ktap_set_plan "$(echo $ALL_TESTS | wc -w)"
	for t in $ALL_TESTS; do
		"$t"
	done
	ktap_finished
}
