#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the benchmark guest (tools/vm/run ... -- sh guest-bench.sh
# MODE): loads binder and fastipc, runs the parts of fastipc-bench that
# belong to MODE and unloads fastipc.  Exit status: non-zero when any part
# failed (wrong payload bytes above all) or the module did not unload.
#
#   deterministic  latency table (one vCPU, -icount), handle scale
#   wallclock      latency table, scaling (2 vCPUs), priority inheritance
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
rc=0
run() {
	echo "# ---- fastipc-bench $* ----"
	./fastipc-bench "$@" || { rc=1; echo "# fastipc-bench $1 FAILED"; }
}
case $mode in
deterministic)
	run latency -l deterministic -x "$x"
	run handles
	;;
wallclock)
	run latency -l wallclock -x "$x" -r 11
	run scale -r 5
	run prio
	;;
smoke)
	run latency -q -l smoke
	run handles -q
	run prio -q
	;;
*)
	echo "guest-bench.sh: unknown mode $mode"
	rc=2
	;;
esac
rmmod fastipc || { echo "# rmmod fastipc failed"; rc=1; }
exit $rc
