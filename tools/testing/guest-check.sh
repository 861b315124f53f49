#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the debug guest (tools/vm/run --debug): the suites of
# `make check` named as arguments (all of them when none is), each printing
# TAP.  A part is a program of selftests/rdst, "mutants" or "docs".  The host
# (check.sh) counts the results and judges the kernel log, so this script
# only has to run things, bound their time and force a final kmemleak scan.
#
#   guest-check.sh [PART...]
set -u

ksrc=$(readlink -f "$RDST_BUILD/kernel/source")
selftests=$ksrc/tools/testing/selftests
kmemleak=/sys/kernel/debug/kmemleak

# The boot's time, as the suites' are below (summarize.py tabulates them).
read -r uptime _ < /proc/uptime
echo "# boot took ${uptime%.*} s"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
# The host judges the kernel log from here on (summarize.py).
echo "rdst-check: suites start" > /dev/kmsg
if [ -w "$kmemleak" ]; then
	# Boot-time allocations are not ours to judge.
	echo clear > "$kmemleak"
	# The periodic scan walks all memory every 10 minutes, 15 to 40 s each
	# under TCG; the two forced scans at the end find the same leaks.
	echo scan=off > "$kmemleak"
fi

# Each ping opens a socket with SO_TIMESTAMP, and the first and last such
# socket flip netstamp_needed_key: code patched at run time, twice per ping.
# Under MTTCG (QEMU 7.2) a vCPU can then trap on the int3 of a site that
# already holds its final bytes ("Oops: int3" in netif_rx_internal, seen
# mid-suite).  One socket held open for the whole run keeps the key on.
python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 29, 1)  # SO_TIMESTAMP (x86; not in Python 3.11)
time.sleep(1 << 30)' &
netstamp_holder=$!

# The differential runs' fates without rdst, by seed: the mutants run seeds
# the differential test has run already, and need only their runs with rdst.
export RDST_DIFF_KERNEL_RESULTS
RDST_DIFF_KERNEL_RESULTS=$(mktemp -d)
trap 'kill $netstamp_holder 2>/dev/null; rm -rf "$RDST_DIFF_KERNEL_RESULTS"' EXIT

run_suite() {
	local dir=$1 prog=$2 limit=$3 start=$SECONDS
	echo "# suite: $dir/$prog"
	(cd "$selftests/$dir" && timeout --kill-after=10 "$limit" "./$prog")
	local rc=$?
	echo "# $dir/$prog took $((SECONDS - start)) s"
	# A suite that dies before reporting still counts as a failure.
	case $rc in
	0|4) ;;
	124|137) echo "not ok 1 $dir/$prog # timed out after $limit" ;;
	*) echo "# $dir/$prog exited with status $rc" ;;
	esac
}

# Mutants (tools/testing/mutants.sh): with a validity check broken on
# purpose, the differential test must fail and name a seed.  Seeds are tried
# one by one, the mutant's own first (the one that caught it when it was
# written), until one fails; only this verdict is printed as TAP.
run_mutants() {
	local mutants=$RDST_BUILD/mutants name first what n=0 caught broken seed diff_out start=$SECONDS
	local mutant_seeds seeds
	# The differential test's own seeds first (their runs without rdst are
	# kept, so each costs only its run with the mutant), then more.
	mutant_seeds="$(sed -n 's/^seeds=${RDST_DIFF_SEEDS:-"\(.*\)"}$/\1/p' \
		"$selftests/rdst/rdst_differential.sh") 2 4 5 6"
	[ -s "$mutants/list" ] || { echo "not ok 1 mutants: no $mutants/list (tools/testing/mutants.sh)"; return; }
	echo "TAP version 13"
	echo "1..$(wc -l < "$mutants/list")"
	while IFS=$'\t' read -r name first what; do
		n=$((n + 1))
		caught= broken=
		seeds="$first $(echo " $mutant_seeds " | sed "s/ $first / /")"
		for seed in $seeds; do
			diff_out=$(cd "$selftests/rdst" && RDST_KO=$mutants/$name.ko RDST_DIFF_SEEDS=$seed RDST_DIFF_HOOKS=Y \
				timeout --kill-after=10 900 ./rdst_differential.sh 2>&1)
			if echo "$diff_out" | grep -q "^# seed $seed: .* differ"; then
				caught=$seed
				break
			fi
			# A run that broke (it also says "not ok") tested nothing:
			# it is shown, and the mutant is not counted as caught.
			if ! echo "$diff_out" | grep -q "^ok 1 "; then
				broken+=" $seed"
				echo "# mutant $name, seed $seed: the run broke:"
				echo "$diff_out" | grep -v -e "^TAP" -e "^1\.\." | head -n 3 | cut -c 1-240 | sed 's/^/#   /'
			fi
		done
		if [ -n "$caught" ]; then
			echo "ok $n mutant $name is caught by the differential test (seed $caught): $what"
			echo "$diff_out" | grep -m 1 -e " differ" | sed 's/^#/#  /'
			echo "$diff_out" | grep -m 1 -e "^#   phase" | cut -c 1-240 | sed 's/^#/#  /'
		else
			echo "not ok $n mutant $name survives the differential test (seeds $seeds${broken:+; runs broke for seeds$broken}): $what"
		fi
	done < "$mutants/list"
	rmmod rdst 2>/dev/null
	echo "# mutants took $((SECONDS - start)) s"
}

parts=("$@")
if [ ${#parts[@]} -eq 0 ]; then
	read -ra parts <<< "$(sed -n 's/^TEST_PROGS *[:+]\?= *//p' "$selftests/rdst/Makefile")"
	parts+=(mutants docs)
fi
# The documentation check touches nothing the suites do (docutils on the rst
# files): it runs beside them from the start, on the CPU a suite leaves idle,
# and reports in its turn.
docs_out=$(mktemp)
if [[ " ${parts[*]} " == *" docs "* ]]; then
	(SECONDS=0
	 python3 "$RDST_TOP/tools/testing/docs_check.py" || echo "# docs_check.py exited with status $?"
	 echo "# docs took $SECONDS s") > "$docs_out" 2>&1 &
	docs_pid=$!
fi

for p in "${parts[@]}"; do
	case $p in
	# Limits only catch a hang: twice what a suite took on the slowest host
	# seen (forwarding 1048 s, tracing 897 s; the kernel peers may run twice).
	rdst_kernel_peers.sh) run_suite rdst "$p" 3600 ;;
	rdst_*.sh) run_suite rdst "$p" 2400 ;;
	mutants) echo "# suite: mutants"; run_mutants ;;
	# The documentation renders without warnings (docutils, as TAP).
	docs)
		echo "# suite: docs"
		wait "$docs_pid"
		cat "$docs_out"
		;;
	*) echo "# suite: $p"; echo "not ok 1 $p: no such part of the check" ;;
	esac
done
rm -f "$docs_out"

if [ -w "$kmemleak" ]; then
	echo scan > "$kmemleak"; sleep 5; echo scan > "$kmemleak"
	# The report goes to the kernel log so that the host judges it there.
	while IFS= read -r line; do echo "kmemleak: $line" > /dev/kmsg; done < "$kmemleak"
fi
exit 0
