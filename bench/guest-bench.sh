#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the benchmark guest (tools/vm/run ... -- sh guest-bench.sh
# MODE): loads binder, fastipc and the floor module (fastipc_floor.ko, when
# staged), runs the parts of fastipc-bench that belong to MODE and unloads
# fastipc and the floor.  Exit status: non-zero when any part failed (wrong
# payload bytes above all) or a module did not unload.
#
#   deterministic  latency table (one vCPU, -icount), handle scale,
#                  priority inheritance
#   wallclock      latency table, priority inheritance (all on CPU 0)
#   scale          scaling over 2 vCPUs (boot with idle=poll)
#   smoke          a few round trips of every mechanism, a small handle
#                  scale and priority run (make check, make bench-smoke)
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
# (fastipc-bench latency -X).
fault_injection() {
	for m in fastipc fastipc-16m binder pipe unix-stream unix-seqpacket \
		 shm-eventfd shm-futex floor; do
		[ "$m" != binder ] || [ -e /dev/binder ] || continue
		[ "$m" != floor ] || [ -e /dev/fastipc_floor ] || continue
		for d in req rep; do
			if ./fastipc-bench latency -q -m "$m" -X 5 -D "$d" \
			   >/tmp/fi.log 2>&1; then
				echo "# $m: a wrong byte in the $d went unnoticed"
				rc=1
			elif grep -q '^@B unavailable' /tmp/fi.log; then
				echo "# $m: not available, fault injection not run"
				rc=1
			elif grep -q 'WRONG PAYLOAD BYTES' /tmp/fi.log &&
			     { [ "$d" = rep ] ||
			       grep -q 'server: bad request' /tmp/fi.log; }; then
				# A bad request is caught by the server itself.
				echo "# $m: wrong byte in the $d detected"
			else
				echo "# $m: the $d run failed for another reason:"
				sed 's/^/#   /' /tmp/fi.log
				rc=1
			fi
		done
	done
}

case $mode in
deterministic)
	run latency -l deterministic -x "$x"
	run handles
	run prio
	;;
wallclock)
	run latency -l wallclock -x "$x" -r 11
	run prio
	;;
scale)
	run scale -r 5
	;;
smoke)
	run latency -q -l smoke
	run handles -q
	run prio -q
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
