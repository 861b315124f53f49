# SPDX-License-Identifier: GPL-2.0
#
# Reading rdst's counters, sourced by rdst_lib.sh and by the soak
# (tools/soak/guest-soak.sh), which does not take the rest of rdst_lib.sh.

# rdst_stat_parse COLUMN < /proc/net/stat/rdst
rdst_stat_parse()
{
	local col=$1 hdr line i c= sum=0

	read -r -a hdr
	for i in "${!hdr[@]}"; do
		[ "${hdr[$i]}" = "$col" ] && c=$i
	done
	if [ -z "$c" ]; then
		echo "rdst_stat: no column $col" >&2
		return 1
	fi
	while read -r -a line; do
		case $col in
		entries|cached|garbage|garbage_age_ms) echo $((16#${line[$c]})); return 0 ;;
		esac
		sum=$((sum + 16#${line[$c]}))
	done
	echo "$sum"
}
