#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzzed input: malformed and unusual IPv4 packets (bad checksums, lengths
# and IHL, options, fragments, TTL 0/1, martian and multicast addresses),
# sent as raw frames through a router with random configurations, with rdst
# loaded and without it: every packet's fate and the router's IP/ICMP
# counters must be identical (rdst_diff.py --fuzz), and the kernel log stays
# clean (judged by make check).  A longer run takes a count:
#   RDST_DIFF_COUNT=100 ./rdst_fuzz.sh

RDST_DIFF_FUZZ=1 RDST_DIFF_SEEDS=${RDST_DIFF_SEEDS:-"11 12 13"} \
	exec "$(dirname "$(readlink -f "$0")")/rdst_differential.sh" "$@"
