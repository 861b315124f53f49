#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for rdst's selftests: TAP through ktap_helpers, the
# check_err/log_test idiom of net/forwarding, and finding the module.

DIR="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
KSFT_SKIP=4

source "$DIR/../kselftest/ktap_helpers.sh" || exit $KSFT_SKIP
source "$DIR/../net/lib.sh" || exit $KSFT_SKIP
# shellcheck source=rdst_stat.sh
source "$DIR/rdst_stat.sh" || exit $KSFT_SKIP

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

# rdst_load_afresh [PARAM=VALUE...]: rdst unloaded if loaded, then loaded with
# these parameters.
rdst_load_afresh()
{
	rdst_unload
	rdst_load "$@"
}

# rdst_direct_hook: whether the loaded rdst uses the input route hook.
rdst_direct_hook()
{
	[ "$(cat /sys/module/rdst/parameters/direct_hook)" = Y ]
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

# log_test_skip NAME REASON: a case that cannot run here.
log_test_skip()
{
	ktap_test_skip "$1 ($2)"
	RET=0
	RETMSG=
}

# timed CMD...: run CMD; sets $elapsed_ms to how long it took and returns
# its status.  (Bash's own clock: a `date` process costs 0.2 s and more on
# the debug kernel under TCG, and would be measured with CMD.)
timed()
{
	local t0=${EPOCHREALTIME/./} rc

	"$@"
	rc=$?
	elapsed_ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
	return $rc
}

# run_tests: run every case named in $ALL_TESTS (or in $TESTS, as in
# net/forwarding: TESTS="case1 case2" ./rdst_forwarding.sh) with a plan.
# Each case's time follows its result, so that a slow host, or a slow case,
# shows in the output.
run_tests()
{
	local _case tests=${TESTS:-$ALL_TESTS}

	ktap_print_header
	ktap_set_plan "$(echo $tests | wc -w)"
	for _case in $tests; do
		timed "$_case"
		ktap_print_msg "$_case took $((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100)) s"
	done
	ktap_finished
}

# rdst_stat NS COLUMN: a counter of /proc/net/stat/rdst in NS ("-": the
# caller's own namespace), summed over CPUs (gauges are the same on every
# line: take the first).  Read through NS's holder (ns_hold) when it has
# one: no process is spawned then.
rdst_stat()
{
	local ns=$1 col=$2 holder=${NS_HOLDER[$1]:-}

	if [ "$ns" = - ]; then
		rdst_stat_parse "$col" < /proc/net/stat/rdst
	elif [ -n "$holder" ] && [ "/proc/$holder/ns/net" -ef "/var/run/netns/$ns" ]; then
		rdst_stat_parse "$col" < "/proc/$holder/net/stat/rdst"
	else
		rdst_stat_parse "$col" < <(ns_exec "$ns" cat /proc/net/stat/rdst)
	fi
}

# rpf_drops NS: the reverse-path-filter drops NS counted (TcpExt
# IPReversePathFilter), read as rdst_stat reads its counters.
rpf_drops()
{
	local ns=$1 holder=${NS_HOLDER[$1]:-} netstat

	if [ -n "$holder" ] && [ "/proc/$holder/ns/net" -ef "/var/run/netns/$ns" ]; then
		netstat=(cat "/proc/$holder/net/netstat")
	else
		netstat=(ns_exec "$ns" cat /proc/net/netstat)
	fi
	"${netstat[@]}" | awk '/^TcpExt:/ { if (!seen++) { for (i = 2; i <= NF; i++) name[i] = $i; next }
		for (i = 2; i <= NF; i++) if (name[i] == "IPReversePathFilter") print $i }'
}

# rdst_stat_is NS COLUMN VALUE: whether the counter has that value (for
# slowwait).
rdst_stat_is()
{
	[ "$(rdst_stat "$1" "$2")" -eq "$3" ]
}

# ns_exec NS CMD...: CMD in network namespace NS.  Unlike `ip netns exec`,
# which also makes a mount namespace and mounts a sysfs of NS for CMD (about
# half a second more on the debug kernel under TCG), nsenter only enters the
# network namespace: for commands that see it through sockets, netlink and
# /proc (ping, sysctl, ss, nstat, /proc/net), not through /sys.
ns_exec()
{
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# ns_hold NS...: a sleeping process in each namespace, whose /proc/PID/net
# is that namespace's: the suites read counters there many times, and each
# process costs a fifth of a second and more on the debug kernel under TCG.
# cleanup_ns kills it with the namespace's other processes.
declare -A NS_HOLDER
ns_hold()
{
	local ns pid tries

	for ns in "$@"; do
		# (nsenter itself: $! must be the process that enters NS)
		nsenter --net="/run/netns/$ns" sleep infinity > /dev/null 2>&1 &
		pid=$!
		# Not a job: a bare `wait` must not wait for it.
		disown "$pid"
		# Until it has entered the namespace, it is no holder.
		for ((tries = 100; tries > 0; tries--)); do
			if [ "/proc/$pid/ns/net" -ef "/var/run/netns/$ns" ]; then
				NS_HOLDER[$ns]=$pid
				break
			fi
			sleep 0.1
		done
	done
}

# The sender -> router -> receiver topology every forwarding test uses:
#
#   SND snd0 192.0.2.2/24 --- rtr0 192.0.2.1/24  RTR  rtr1 198.51.100.1/24 --- rcv0 198.51.100.2/24 RCV
#                                                                         203.0.113.1/32 on RCV's lo
# The router forwards 203.0.113.0/24 via 198.51.100.2 (a gateway route).
# Commands go in batches (ip -batch): a process costs 0.2 s and more under
# TCG on the debug kernel.
topo_create()
{
	setup_ns SND RTR RCV || return 1
	ip -n "$SND" -batch - <<-EOF || return 1
		link add snd0 type veth peer name rtr0 netns $RTR
		addr add 192.0.2.2/24 dev snd0
		link set snd0 up
		route add default via 192.0.2.1
	EOF
	ip -n "$RTR" -batch - <<-EOF || return 1
		addr add 192.0.2.1/24 dev rtr0
		link set rtr0 up
	EOF
	ip -n "$RCV" addr add 203.0.113.1/32 dev lo
	topo_link_receiver
	# ICMP errors are rate-limited per peer and globally; fates compare
	# only if every packet gets its answer.
	ns_exec "$RTR" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0 \
		net.ipv4.icmp_msgs_per_sec=100000 net.ipv4.icmp_msgs_burst=100000
	sysctl -qw net.ipv4.route.error_cost=0
	ns_hold "$SND" "$RTR" "$RCV"
	# Warm ARP both ways so the first measured packets are not queued.
	ns_exec "$SND" ping -c1 -W2 198.51.100.2 >/dev/null 2>&1
}

# topo_link_receiver: (re)create the router -> receiver link and its routes.
topo_link_receiver()
{
	ip -n "$RTR" -batch - <<-EOF
		link add rtr1 type veth peer name rcv0 netns $RCV
		addr add 198.51.100.1/24 dev rtr1
		link set rtr1 up
	EOF
	ip -n "$RCV" -batch - <<-EOF
		addr add 198.51.100.2/24 dev rcv0
		link set rcv0 up
		route add default via 198.51.100.1
	EOF
	ip -n "$RTR" route add 203.0.113.0/24 via 198.51.100.2
}

topo_destroy()
{
	cleanup_ns "$SND" "$RTR" "$RCV" 2>/dev/null
}

# fates CMD...: run a command whose output describes packet fates, with the
# per-run noise (timings, statistics) removed, so that two runs compare.
fates()
{
	"$@" 2>&1 | sed -E -e 's/time=[0-9.]+ ms//' -e '/^rtt|packets transmitted|^---|^PING/d' \
		-e 's/, time [0-9]+ms//' | sort
}

# send_udp DST SRC...: one UDP packet from each SRC (any address) to DST,
# sent from the sender namespace with a hand-made IPv4 header.  "random:N"
# as the only SRC stands for N random 10/8 sources, the same every run (a
# fixed seed).  Python runs without site (-I -S): the standard library is all
# it needs, and site's imports cost a second a run on the debug kernel.
send_udp()
{
	ns_exec "$SND" python3 -I -S - "$@" <<'PY'
import random, socket, struct, sys
dst, srcs = sys.argv[1], sys.argv[2:]
if len(srcs) == 1 and srcs[0].startswith("random:"):
    random.seed(1)
    srcs = ["10.%d.%d.%d" % tuple(random.randrange(1, 255) for _ in range(3))
            for _ in range(int(srcs[0][7:]))]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
udp = struct.pack("!HHHH", 4000, 9, 8, 0)
for src in srcs:
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    s.sendto(ip + udp, (dst, 0))
PY
}

# send_random_sources N: N UDP packets from random 10/8 sources (a fixed
# seed: the same addresses every run) to the receiver.
send_random_sources()
{
	send_udp 198.51.100.2 "random:$1"
}
