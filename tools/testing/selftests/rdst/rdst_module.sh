#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdst module lifecycle: loads, says so in the kernel log, unloads cleanly;
# the build chain's own sample does the same, and the netfilter/namespace/
# proc/per-CPU sample counts packets per namespace.

ALL_TESTS="
	sample_load_unload
	sample_nf_count
	sample_dst_ops
	rdst_load_unload
	rdst_bad_params
	rdst_modinfo
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

# nf_count NS COLUMN: rust_nf_count's column summed over CPUs in NS.
nf_count()
{
	ns_exec "$1" awk -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		{ n = 0; h = $k; for (i = 1; i <= length(h); i++) n = n * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1; s += n }
		END { print s + 0 }' /proc/net/stat/rust_nf_count
}

sample_nf_count()
{
	local ko=${RDST_KO%/*}/rust_nf_count.ko a b n

	setup_ns A B || { check_err 1 "no namespaces"; log_test "nf_count sample"; return; }
	insmod "$ko"
	check_err $? "insmod $ko failed"
	ip -n "$A" link set lo up
	ns_exec "$A" ping -c 5 -i 0.05 127.0.0.1 > /dev/null
	check_err $? "ping in the namespace failed"
	a=$(nf_count "$A" packets); b=$(nf_count "$B" packets)
	# Five echo requests and five replies over loopback.
	[ "$a" -ge 10 ]
	check_err $? "namespace A counted $a packets for 10"
	[ "$b" -eq 0 ]
	check_err $? "namespace B counted $b packets without traffic"
	n=$(nf_count "$A" with_dst)
	[ "$n" -le "$a" ]
	check_err $? "$n of $a packets with a dst"
	rmmod rust_nf_count
	check_err $? "rmmod rust_nf_count failed"
	[ ! -e /proc/net/stat/rust_nf_count ]
	check_err $? "the stat file outlived the module"
	cleanup_ns "$A" "$B"
	log_test "nf_count sample counts $a packets in one namespace, 0 in another"
}

# The dst_ops sample copies forwarding decisions into entries of its own slab:
# they show in /proc/slabinfo while it is loaded, every one allocated is
# destroyed by the unload, and the slab goes with the module.
sample_dst_ops()
{
	local ko=${RDST_KO%/*}/rust_dst_ops.ko objs mark line

	topo_create || { check_err 1 "no topology"; log_test "dst_ops sample"; return; }
	insmod "$ko"
	check_err $? "insmod $ko failed"
	ns_exec "$SND" ping -c 10 -i 0.05 -W 2 203.0.113.1 >/dev/null
	check_err $? "forwarding fails with the sample loaded"
	objs=$(awk '$1 == "rust_dst_ops" { print $2 }' /proc/slabinfo)
	[ "${objs:-0}" -ge 1 ]
	check_err $? "no live objects in the rust_dst_ops slab: ${objs:-no slab}"
	mark=$(kmsg_mark)
	rmmod rust_dst_ops
	check_err $? "rmmod rust_dst_ops failed"
	! grep -q '^rust_dst_ops ' /proc/slabinfo
	check_err $? "the slab outlived the module"
	line=$(dmesg | sed -n "/$mark/,\$p" | grep -oE 'rust_dst_ops: [0-9]+ entries allocated, [0-9]+ destroyed')
	echo "$line" | grep -qE ': ([0-9]+) entries allocated, \1 destroyed' &&
		[ "$(echo "$line" | awk '{ print $2 }')" -ge 10 ]
	check_err $? "allocations and destructions do not match: ${line:-no report}"
	topo_destroy
	log_test "dst_ops sample: slabinfo shows ${objs:-0} active objects, ${line#rust_dst_ops: }"
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

# Each bad value fails insmod with EINVAL and says why in the kernel log.
rdst_bad_params()
{
	local p mark out

	for p in gc_thresh=8 gc_thresh=9999999 buckets=3 idle_timeout_ms=5 \
		 cache_after=0 cache_after=3; do
		mark=$(kmsg_mark)
		out=$(rdst_load "$p" 2>&1)
		check_fail $? "rdst loaded with $p"
		echo "$out" | grep -qE "Invalid (argument|parameters)"
		check_err $? "loading with $p: expected EINVAL, got: $out"
		[ ! -d /sys/module/rdst ] || rdst_unload
		kmsg_since "$mark" "rdst: ${p%%=*}=${p#*=} "
		check_err $? "no kernel log line names the bad value $p"
	done
	log_test "bad module parameters fail insmod with EINVAL and a log line"
}

# modinfo documents every parameter.
rdst_modinfo()
{
	local p params

	params=$(modinfo -p "${RDST_KO:-rdst}" 2>&1)
	for p in gc_thresh buckets idle_timeout_ms cache_after direct_hook; do
		echo "$params" | grep -qE "^$p:.{20,}"
		check_err $? "modinfo has no description of $p: $params"
	done
	log_test "modinfo describes every parameter"
}

rdst_require
run_tests
