#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# spawnstack-guest.sh - the spawn-stack benchmark inside the VM (the
# test-list script of its initramfs, see spawnstack).
#
# What: the release tokio_bench with many spawns (N tasks x K yields:
# every task is one spawn, each copying the user stack at its spawn
# probes), traced by "catctl start -o none" with the default spawn stack
# copies ("stack") and with --no-spawn-stack ("nostack"), alternating
# within every round; then each raw trace converted by "catctl convert"
# (DWARF and unwinding included), timed. Only ratios between the two
# configurations of one boot mean something (TCG).
#
# Output: /out/runs.txt, one line per run
#   run CONFIG ROUND elapsed_ns=T convert_ns=C raw_bytes=B records=R rc=RC
set -eu

out=${1:-/out}
b=/cat/spawnstack
read -r N K REPS < "$b/params"
runs=$out/runs.txt
log=$out/bench.log
: > "$runs"
: > "$log"

# ns of CLOCK_REALTIME; busybox date without nanoseconds: /proc/uptime (10 ms)
ns() {
	t=$(date +%s%N)
	case $t in
	*N) read -r up _ < /proc/uptime; echo $(( ${up%.*} * 1000000000 + ${up#*.} * 10000000 )) ;;
	*) echo "$t" ;;
	esac
}

one() { # $1 config, $2 round
	opt=""
	[ "$1" = nostack ] && opt=--no-spawn-stack
	rc=0
	"$b/catctl" start -q -o none --raw "/tmp/$1.cat" $opt \
		-b "$b/tokio_bench" -- "$N" "$K" > "/tmp/$1.out" 2>>"$log" || rc=$?
	t=$(sed -n 's/.*elapsed_ns=\([0-9]*\).*/\1/p' "/tmp/$1.out" | head -n 1)
	c0=$(ns)
	"$b/catctl" convert "/tmp/$1.cat" -o /tmp/conv.json 2> "/tmp/$1.conv" || rc=$?
	c1=$(ns)
	recs=$(sed -n 's/^catctl convert: \([0-9]*\) records.*/\1/p' "/tmp/$1.conv")
	bytes=$(wc -c < "/tmp/$1.cat")
	echo "run $1 $2 elapsed_ns=${t:-0} convert_ns=$((c1 - c0)) raw_bytes=$bytes records=${recs:-0} rc=$rc" >> "$runs"
	cat "/tmp/$1.conv" >> "$log"
	rm -f "/tmp/$1.cat" /tmp/conv.json
	echo "cat-spawnstack-vm: $1 round $2 rc=$rc"
}

r=1
while [ "$r" -le "$REPS" ]; do
	one stack "$r"
	one nostack "$r"
	r=$((r + 1))
done
