#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# guest.sh - the benchmark's test-list script inside the VM (mkinitramfs -s).
#
# What: runs the release tokio_bench (a tokio current_thread program doing
# exactly N*(K+1) task polls and timing itself) in several configurations,
# REPS times each, alternating configurations within every round so that
# drift of the emulated machine hits all of them alike:
#
#   native     the program alone
#   floor      catctl start --count-only (default tokio profile: cat.ko
#              probes, counts, writes no record)
#   full       catctl start, recording and draining (same probe set), no
#              JSON (-o none: conversion happens after the program ended
#              and is benchmarked on the host)
#   bigbuf     catctl start -o none --buffers 16777216:2: the same, with
#              one 16 MiB subbuffer per CPU, so catctl's reader has nothing
#              to drain until the program has ended
#   nodrain    the tokio profile's probes (as listed by catctl symbols)
#              in record mode, set up through the control file, buffers
#              large enough that nothing is drained during the run: the
#              kernel's share of "full" without catctl's reader
#   rawfloor   only tokio::runtime::task::raw::poll entry+return, count
#              mode, through the control file (catctl cannot restrict
#              its profile to raw::poll)
#   rawfull    the same probes in record mode, undrained like nodrain
#   uftrace    uftrace record -P 'Harness<T,S>::poll$' (dynamic patching)
#   fullhpet   "full" with the HPET as the clocksource, TCG's default (the
#              boot asks for tsc=reliable, see run): what an emulated clock
#              read costs each record
#
# Why in one boot: times under TCG are not hardware times and change
# between boots; only ratios between configurations of one boot mean
# something.
#
# Output: /out/runs.txt, one line per run
#   run CONFIG ROUND elapsed_ns=T polls=P rc=RC
# plus /out/bench.log (everything the programs printed) and /out/stats-*
# (cat.ko's counters after each module run). Parameters come from
# /cat/bench/params (N K REPS).
set -eu

out=${1:-/out}
bench=/cat/bench
bin=$bench/tokio_bench
catctl=$bench/catctl
ctl=${CAT_DEBUGFS:-/sys/kernel/debug/cat}/control
stats=${CAT_DEBUGFS:-/sys/kernel/debug/cat}/stats
read -r N K REPS < "$bench/params"
# one run that hangs must not hang the boot: it is killed and counted
run_timeout=${CAT_BENCH_RUN_TIMEOUT:-120}
runs=$out/runs.txt
log=$out/bench.log
: > "$runs"
: > "$log"

say() { echo "cat-bench-vm: $*" | tee -a "$log"; }

# The program prints "cat-bench: ... elapsed_ns=T" and "cat-expect: polls=P".
record_run() { # $1 config, $2 round, $3 rc, $4 program output file
	t=$(sed -n 's/.*elapsed_ns=\([0-9]*\).*/\1/p' "$4" | head -n 1)
	p=$(sed -n 's/^cat-expect: polls=\([0-9]*\).*/\1/p' "$4" | head -n 1)
	echo "run $1 $2 elapsed_ns=${t:-0} polls=${p:-0} rc=$3" >> "$runs"
	say "$1 round $2: rc=$3 elapsed_ns=${t:-?} polls=${p:-?}"
	{ echo "== $1 round $2"; cat "$4"; } >> "$log"
}

# on the console only: names the run that was going if the boot hangs
begin() { echo "cat-bench-vm: BEGIN $1 round $2"; }

ctl_cmd() {
	echo "$*" > "$ctl" || { say "control '$*' failed"; return 1; }
}

idle() {
	for c in stop reset clear; do
		echo "$c" 2>/dev/null > "$ctl" || true
	done
}

# The probes of the default profile, "id mode nargs offset" per line: all
# of them, or only the task polls (tokio::runtime::task::raw::poll).
profile_probes() { # $1: all|task-poll
	"$catctl" symbols -q --binary "$bin" |
		awk -v role="$1" '$1 !~ /^#/ && (role == "all" || $4 == role) {
			print $1, $2, $3, $6 }'
}

run_native() {
	begin native "$1"
	rc=0
	timeout "$run_timeout" "$bin" "$N" "$K" > /tmp/prog.out 2>&1 || rc=$?
	record_run native "$1" "$rc" /tmp/prog.out
}

run_catctl() { # $1 config, $2 round, catctl options...
	cfg=$1 r=$2
	shift 2
	begin "$cfg" "$r"
	idle
	rc=0
	timeout "$run_timeout" "$catctl" start "$@" -o none \
		--raw /tmp/bench.cat --binary "$bin" \
		-- "$N" "$K" > /tmp/prog.out 2>&1 || rc=$?
	record_run "$cfg" "$r" "$rc" /tmp/prog.out
	rm -f /tmp/bench.cat
}

# A session set up through the control file (this shell owns it), with
# the probes of file $4 and buffers large enough that nothing has to be
# drained while the program runs.
run_direct() { # $1 config, $2 round, $3 count|record, $4 probe list
	begin "$1" "$2"
	idle
	setup_ok=1
	ctl_cmd "buffers 1048576 32" && ctl_cmd "mode $3" || setup_ok=0
	while read -r id mode nargs off; do
		ctl_cmd "probe $id $mode $nargs $off $bin" || setup_ok=0
	done < "$4"
	[ -s "$4" ] || { say "no probes in $4"; setup_ok=0; }
	rm -f /tmp/go
	mkfifo /tmp/go
	# held before exec, so the whole program runs traced
	(read -r _ < /tmp/go; exec "$bin" "$N" "$K") > /tmp/prog.out 2>&1 &
	pid=$!
	rc=0
	if [ "$setup_ok" = 1 ] && ctl_cmd "target $pid" && ctl_cmd start; then
		echo go > /tmp/go
		# a watchdog, like timeout(1) for the other configurations
		(sleep "$run_timeout"; kill -KILL "$pid") 2>/dev/null &
		wd=$!
		wait "$pid" || rc=$?
		kill "$wd" 2>/dev/null || true
		ctl_cmd stop || true
	else
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		rc=99
	fi
	cp "$stats" "$out/stats-$1-$2.txt" 2>/dev/null || true
	idle
	record_run "$1" "$2" "$rc" /tmp/prog.out
}

run_fullhpet() {
	cs=/sys/devices/system/clocksource/clocksource0
	grep -qw hpet "$cs/available_clocksource" 2>/dev/null || return 0
	was=$(cat "$cs/current_clocksource")
	echo hpet > "$cs/current_clocksource" || return 0
	run_catctl fullhpet "$1"
	echo "$was" > "$cs/current_clocksource"
}

run_uftrace() {
	begin uftrace "$1"
	rm -rf /tmp/uftrace.data
	rc=0
	(cd /tmp && timeout "$run_timeout" "$bench/uftrace" record --libmcount-path="$bench/lib" \
		-d /tmp/uftrace.data -P 'Harness<T,S>::poll$' \
		"$bin" "$N" "$K") > /tmp/prog.out 2>&1 || rc=$?
	du -s /tmp/uftrace.data >> /tmp/prog.out 2>&1 || true
	record_run uftrace "$1" "$rc" /tmp/prog.out
	rm -rf /tmp/uftrace.data
}

say "kernel $(uname -r), $(nproc) cpus, N=$N K=$K reps=$REPS"
if ! grep -q '^cat ' /proc/modules; then
	say "cat.ko is not loaded: $(cat "$out/insmod.err" 2>/dev/null)"
fi
# uftrace's libmcount shares its buffers through shm_open(): /dev/shm
mkdir -p /dev/shm
grep -q ' /dev/shm ' /proc/mounts || mount -t tmpfs tmpfs /dev/shm
profile_probes all > /tmp/probes-all
profile_probes task-poll > /tmp/probes-rawpoll
say "tokio profile: $(wc -l < /tmp/probes-all) probes, raw::poll: $(wc -l < /tmp/probes-rawpoll)"
"$catctl" symbols --binary "$bin" > "$out/symbols.txt" 2>&1 || true

# One warm-up run of the program: page cache, first-exec costs.
"$bin" "$N" "$K" > /dev/null 2>&1 || true

r=1
while [ "$r" -le "$REPS" ]; do
	run_native "$r"
	run_catctl floor "$r" --count-only
	run_catctl full "$r"
	run_catctl bigbuf "$r" --buffers 16777216:2
	run_direct nodrain "$r" record /tmp/probes-all
	run_direct rawfloor "$r" count /tmp/probes-rawpoll
	run_direct rawfull "$r" record /tmp/probes-rawpoll
	run_uftrace "$r"
	run_fullhpet "$r"
	r=$((r + 1))
done
say "done"
