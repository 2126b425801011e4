#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: install what is missing, build the module for the first
# kernel of tools/kernels.sh and fastipc-bench, then boot that kernel
# twice in QEMU:
#
#   1. deterministic mode (tools/vm/run -d: -icount shift=0,sleep=off, one
#      vCPU): the headline latency table, handle scale, the
#      priority-inheritance demo;
#   2. wall-clock mode (-c 2, idle=poll): latency again (client and server
#      pinned to CPU 0), scaling over 2 vCPUs, the priority-inheritance
#      demo.  idle=poll keeps an idle vCPU spinning: under TCG a halted
#      vCPU takes milliseconds to wake, which would make every cross-CPU
#      wake-up, and so the scaling figures, measure QEMU instead.
#
# Results go to bench/results/<YYYY-MM-DD>/ (results.json, summary.txt,
# PNG plots, the raw guest logs); the table is printed at the end.
# Speed never fails the run; wrong payload bytes, a kernel splat or a
# crashed benchmark do.
#
#   BENCH_QUICK=1   the smoke run only (a few round trips per mechanism)
#   BENCH_FACTOR=F  scale the number of round trips (default 1)
#   BENCH_OUT=DIR   write the results somewhere else
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/deps.sh
k=$(tools/kernels.sh)
k=${k%%$'\n'*}
make -s KVER="$k" module
make -s bench-build
bin=build/bench/fastipc-bench
files=(-f "build/$k/module/fastipc.ko" -f "$bin" -f bench/guest-bench.sh)
factor=${BENCH_FACTOR:-1}

if [ -n "${BENCH_QUICK:-}" ]; then
	tools/vm/run -k "$k" -d -t 300 "${files[@]}" -- 'sh guest-bench.sh smoke'
	exit
fi

out=${BENCH_OUT:-bench/results/$(date -u +%F)}
mkdir -p "$out"
status=0
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "make bench: host load average before the runs: $load"

echo "make bench: deterministic boot ($k, 1 vCPU, -icount shift=0)"
tools/vm/run -k "$k" -d -t 900 "${files[@]}" -- \
	"BENCH_FACTOR=$factor sh guest-bench.sh deterministic" \
	>"$out/guest-deterministic.log" 2>&1 || status=$?
grep -v '^@B ' "$out/guest-deterministic.log" | tail -n 5
[ "$status" = 0 ] || echo "make bench: deterministic boot failed ($status)"

echo "make bench: wall-clock boot ($k, 2 vCPUs)"
rc=0
tools/vm/run -k "$k" -c 2 -a idle=poll -t 900 "${files[@]}" -- \
	"BENCH_FACTOR=$factor sh guest-bench.sh wallclock" \
	>"$out/guest-wallclock.log" 2>&1 || rc=$?
grep -v '^@B ' "$out/guest-wallclock.log" | tail -n 5
[ "$rc" = 0 ] || echo "make bench: wall-clock boot failed ($rc)"
[ "$status" != 0 ] || status=$rc

FASTIPC_BENCH_KERNEL=$k \
FASTIPC_BENCH_COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown) \
FASTIPC_BENCH_HOST_LOAD="$load" \
	/usr/bin/python3 tools/bench-report.py "$out" \
	deterministic="$out/guest-deterministic.log" \
	wallclock="$out/guest-wallclock.log" || status=1
echo
echo "make bench: results in $out (results.json, summary.txt, *.png)"
exit "$status"
