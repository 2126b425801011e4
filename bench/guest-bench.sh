#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the benchmark guest (tools/vm/run ... -- sh guest-bench.sh
# MODE): loads binder, fastipc and the floor module (fastipc_floor.ko, when
# staged), runs the parts of fastipc-bench that belong to MODE and unloads
# fastipc and the floor.  Exit status: non-zero when any part failed (wrong
# payload bytes above all) or a module did not unload.
#
#   deterministic  latency table (one vCPU, -icount), handle scale (both
#                  on one scheduler path: sched_paths), calls in flight
#                  (inflight), priority inheritance
#   wallclock      latency table, priority inheritance (all on CPU 0)
#   scale          scaling over 2 vCPUs, calls in flight (inflight), and
#                  the latency table up to 64 KiB with the client on CPU 0
#                  and the servers on CPU 1 (boot with idle=poll)
#   smoke          a few round trips of every mechanism, a small handle
#                  scale, priority and inflight run (make check, make
#                  bench-smoke)
mode=${1:-smoke}
x=${BENCH_FACTOR:-1}
cd /opt/fastipc || exit 1
echo "# kernel $(uname -r), $(nproc) CPU(s), mode $mode"
if [ -e binder_linux.ko ]; then
	insmod ./binder_linux.ko 2>/dev/null || echo "# binder_linux.ko: insmod failed"
fi
[ -e /dev/binder ] || echo "# no /dev/binder: binder is skipped"
insmod ./fastipc.ko || { echo "@B fail what=insmod"; exit 1; }
if [ -e fastipc_floor.ko ]; then
	insmod ./fastipc_floor.ko || { echo "@B fail what=insmod-floor"; exit 1; }
fi
[ -e /dev/fastipc_floor ] || echo "# no fastipc_floor.ko: floor is skipped"
rc=0
run() {
	echo "# ---- fastipc-bench $* ----"
	./fastipc-bench "$@" || { rc=1; echo "# fastipc-bench $1 FAILED"; }
}
# Every mechanism must fail loudly when one byte of a request (caught by
# its server) or of a reply (caught by the client) is wrong
# (fastipc-bench latency -X), both in a timed round trip, checked by its
# stamps (the byte is in the tail stamp), and in an untimed one, checked
# in full (the byte is in the middle of the body).  In a -q run of one
# mechanism, round trips 24-46 are 64 B: 24-25 warm-up, 26-45 timed,
# 46 final.
fault_injection() {
	for m in fastipc fastipc-16m binder pipe unix-stream unix-seqpacket \
		 shm-eventfd shm-futex floor; do
		[ "$m" != binder ] || [ -e /dev/binder ] || continue
		[ "$m" != floor ] || [ -e /dev/fastipc_floor ] || continue
		for d in req rep; do
			inject "$m" "$d" 30 stamp
			inject "$m" "$d" 46 full
		done
	done
	for k in ring sync binder; do
		[ "$k" != binder ] || [ -e /dev/binder ] || continue
		inject_inflight "$k" req
		inject_inflight "$k" rep
	done
}

inject() {	# inject MECH req|rep SEQ stamp|full
	if ./fastipc-bench latency -q -m "$1" -X "$3" -D "$2" \
	   >/tmp/fi.log 2>&1; then
		echo "# $1: a wrong byte in the $2 went unnoticed ($4 check)"
		rc=1
	elif grep -q '^@B unavailable' /tmp/fi.log; then
		echo "# $1: not available, fault injection not run"
		rc=1
	elif ! grep -q "(64 B, $4 check)" /tmp/fi.log; then
		echo "# $1: round trip $3 is not a 64 B $4 check:"
		sed 's/^/#   /' /tmp/fi.log
		rc=1
	elif grep -q 'WRONG PAYLOAD BYTES' /tmp/fi.log &&
	     { [ "$2" = rep ] || grep -q 'server: bad request' /tmp/fi.log; }
	then
		# A bad request is caught by the server itself.
		echo "# $1: wrong byte in the $2 detected ($4 check)"
	else
		echo "# $1: the $2 run failed for another reason:"
		sed 's/^/#   /' /tmp/fi.log
		rc=1
	fi
}

# The same for calls in flight (fastipc-bench inflight -F KIND -X 5): the
# fifth call of every run of KIND carries the wrong byte, in the middle
# of its body (every call is checked in full there).
inject_inflight() {	# inject_inflight ring|sync|binder req|rep
	if ./fastipc-bench inflight -q -F "$1" -X 5 -D "$2" \
	   >/tmp/fi.log 2>&1; then
		echo "# inflight $1: a wrong byte in the $2 went unnoticed"
		rc=1
	elif grep -q 'WRONG PAYLOAD BYTES' /tmp/fi.log &&
	     grep -q '^# fault injection' /tmp/fi.log &&
	     { [ "$2" = rep ] || grep -q 'server: bad request' /tmp/fi.log; }
	then
		echo "# inflight $1: wrong byte in the $2 detected"
	else
		echo "# inflight $1: the $2 run failed for another reason:"
		sed 's/^/#   /' /tmp/fi.log
		rc=1
	fi
}

# Which copy routines the instruction counts of -icount reflect: with ERMS
# or FSRM the kernel copies with "rep movsb", counted once per byte.
cpu_note() {
	f=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
	    grep -x -e erms -e fsrm | tr '\n' ' ')
	echo "# cpu: ${f:-no erms/fsrm} (tools/vm/run -C)"
}

# sched_paths one|default.  On one CPU a round trip's wake-up either
# preempts the waker (which then finds its answer waiting when it runs
# again) or not (the waker runs on until it blocks); which one a process
# pair gets depends on its scheduling history, 2-3k instructions apart.
# Under -icount that splits every small cell into two exact values, so the
# deterministic runs switch wake-up preemption off (6.1's CFS and 6.12's
# EEVDF both have WAKEUP_PREEMPTION): every round trip of every mechanism
# takes the second path.  6.12 also leaves a sleeper with negative lag
# queued (DELAY_DEQUEUE), so its wake-up is cheaper or not by history
# again: that goes off too, where the kernel has it.
sched_paths() {
	sf=/sys/kernel/debug/sched/features
	no=NO_
	[ "$1" = one ] || no=
	for feat in WAKEUP_PREEMPTION DELAY_DEQUEUE; do
		grep -qw -e "$feat" -e "NO_$feat" "$sf" 2>/dev/null || continue
		echo "$no$feat" >"$sf" || continue
		grep -qw "$no$feat" "$sf" && echo "# sched feature: $no$feat" ||
			echo "# sched feature: cannot set $no$feat"
	done
	grep -qw -e WAKEUP_PREEMPTION -e NO_WAKEUP_PREEMPTION "$sf" \
		2>/dev/null || echo "# sched features: not available"
}

# What protobuf costs over a raw call (make bench stages it; not in smoke).
pb_bench() {
	[ -x ./fastipc-pb-bench ] || return 0
	echo "# ---- fastipc-pb-bench $* ----"
	./fastipc-pb-bench "$@" || { rc=1; echo "# fastipc-pb-bench FAILED"; }
}

# What the tracepoints cost a 64 B round trip (make bench stages the
# module built with them compiled out, and fastipc-trace; not in smoke):
# compiled out, compiled in and disabled (alternating, twice each), and
# with fastipc-trace attached.  Labels tc-*; fastipc.ko is loaded after.
trace_cost() {
	[ -e fastipc-notrace.ko ] && [ -x fastipc-trace ] || return 0
	echo "# ---- tracepoints' cost ----"
	rmmod fastipc || { rc=1; return; }
	for v in notrace traced notrace traced; do
		if [ $v = notrace ]; then insmod ./fastipc-notrace.ko; else insmod ./fastipc.ko; fi ||
			{ rc=1; echo "@B fail what=insmod-$v"; return; }
		run latency -m fastipc -M 64 -r 3 -l tc-$v
		rmmod fastipc
	done
	insmod ./fastipc.ko || { rc=1; echo "@B fail what=insmod"; return; }
	./fastipc-trace >/tmp/tc.out 2>/tmp/tc.err &
	t=$!
	i=0
	until grep -q tracing /tmp/tc.err 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat /tmp/tc.err; rc=1; kill $t; return; }
		sleep 0.2
	done
	run latency -m fastipc -M 64 -r 3 -l tc-attached
	kill -INT $t
	wait $t
}

case $mode in
deterministic)
	cpu_note
	sched_paths one
	run latency -l deterministic -x "$x"
	run handles
	trace_cost
	pb_bench
	# The priority demo is about scheduling: the kernel's defaults.
	sched_paths default
	# Calls in flight on one vCPU, with the kernel's defaults too: a
	# path length per call (guest time), next to the scale boot's.
	run inflight -r 3 -t 0.5
	run prio
	;;
wallclock)
	run latency -l wallclock -x "$x" -r 11
	pb_bench
	run prio
	;;
scale)
	run scale -r 5
	# Calls in flight need client and servers running at once: here,
	# with both vCPUs awake (idle=poll), nothing pinned.
	run inflight -r 5
	run latency -l split -S -M 65536 -r 7 -x "$x"
	;;
smoke)
	cpu_note
	run latency -q -l smoke
	run handles -q
	run prio -q
	run inflight -q
	fault_injection
	;;
*)
	echo "guest-bench.sh: unknown mode $mode"
	rc=2
	;;
esac
# Peers of killed processes are torn down asynchronously: give it time.
for i in 1 2 3 4 5 6 7 8 9 10; do
	rmmod fastipc 2>/dev/null && break
	sleep 1
done
if lsmod | grep -q '^fastipc '; then
	echo "# rmmod fastipc failed"
	rc=1
fi
if lsmod | grep -q '^fastipc_floor ' && ! rmmod fastipc_floor; then
	echo "# rmmod fastipc_floor failed"
	rc=1
fi
exit $rc
