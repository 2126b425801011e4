#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: install what is missing, build the module and the floor
# module (bench/floor) for the first kernel of tools/kernels.sh and
# fastipc-bench, then boot that kernel three times in QEMU:
#
#   1. deterministic mode (tools/vm/run -d: -icount shift=0,sleep=off, one
#      vCPU, CPU model max without ERMS/FSRM so that kernel and user copies
#      count alike): the headline latency table, handle scale, the
#      priority-inheritance demo and calls in flight on one vCPU;
#      It also prices the tracepoints: the 64 B round trip with a module
#      built from the same tree with them compiled out (KCFLAGS=-DNOTRACE,
#      the kernel's own switch in <linux/tracepoint.h>), with them in but
#      disabled, and with fastipc-trace attached;
#   2. wall-clock mode (-c 2): latency again and the priority-inheritance
#      demo, everything pinned to CPU 0;
#   3. wall-clock mode with idle=poll (-c 2): scaling over 2 vCPUs, and
#      calls per second with N calls in flight (fastipc-bench inflight:
#      io_uring, N synchronous threads, binder one-way + reply), whose
#      client and servers must run at once.
#      idle=poll keeps an idle vCPU spinning: under TCG a halted vCPU
#      takes milliseconds to wake, which would make every cross-CPU
#      wake-up, and so the scaling figures, measure QEMU instead.  It is
#      kept out of boot 2, where the spinning vCPU would only steal host
#      time from the pinned one.
#
# Results go to bench/results/<YYYY-MM-DD>/ (results.json, summary.txt,
# PNG plots, the raw guest logs); the table is printed at the end.
# Speed never fails the run; wrong payload bytes, a kernel splat or a
# crashed benchmark do.
#
#   BENCH_QUICK=1   the smoke run only (a few round trips per mechanism)
#   BENCH_FACTOR=F  scale the number of round trips (default 1)
#   BENCH_OUT=DIR   write the results somewhere else
#   BENCH_KERNEL=R  another kernel release of tools/kernels.sh (e.g. 6.12)
#   BENCH_CPU=M     QEMU CPU model of the deterministic and smoke boots
#                   (default max,-erms,-fsrm; BENCH_CPU=max for the variant
#                   whose kernel copies with "rep movsb", one count a byte)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/deps.sh
k=$(tools/kernels.sh)
k=${BENCH_KERNEL:-${k%%$'\n'*}}
make -s KVER="$k" module
make -s KVER="$k" BUILD="$top/build/notrace" KCFLAGS=-DNOTRACE module
mkdir -p build/notrace/stage
cp "build/notrace/$k/module/fastipc.ko" build/notrace/stage/fastipc-notrace.ko
make -s KVER="$k" bench-floor
make -s bench-build
make -s protobuf-bench
make -s trace
bin=build/bench/fastipc-bench
files=(-f "build/$k/module/fastipc.ko" -f "build/floor/$k/fastipc_floor.ko"
       -f "$bin" -f bench/guest-bench.sh
       -f build/user/lib/pb-bench/fastipc-pb-bench
       -f build/notrace/stage/fastipc-notrace.ko
       -f build/user/trace/fastipc-trace)
factor=${BENCH_FACTOR:-1}

det=(-d)
[ -z "${BENCH_CPU:-}" ] || det+=(-C "$BENCH_CPU")
if [ -n "${BENCH_QUICK:-}" ]; then
	tools/vm/run -k "$k" "${det[@]}" -t 300 "${files[@]}" -- \
		'sh guest-bench.sh smoke'
	exit
fi

out=${BENCH_OUT:-bench/results/$(date -u +%F)}
mkdir -p "$out"
# Only what this script writes, so that no stale plot or log survives.
rm -f "$out"/guest-*.log "$out"/*.png "$out"/*.dat "$out"/results.json \
	"$out"/summary.txt "$out"/headline.md
status=0
loads=()
boot() {	# boot NAME VMRUN-OPTIONS...: run guest-bench.sh NAME
	local name=$1 rc=0
	shift
	loads+=("$name: $(cut -d' ' -f1-3 /proc/loadavg)")
	echo "make bench: $name boot ($k, $*)"
	tools/vm/run -k "$k" "$@" -t 900 "${files[@]}" -- \
		"BENCH_FACTOR=$factor sh guest-bench.sh $name" \
		>"$out/guest-$name.log" 2>&1 || rc=$?
	grep -v -e '^@B ' -e '^\[' "$out/guest-$name.log" | tail -n 3 || true
	if [ "$rc" != 0 ]; then
		echo "make bench: $name boot failed ($rc)"
		status=1
	fi
}

boot deterministic "${det[@]}"
boot wallclock -c 2
boot scale -c 2 -a idle=poll

FASTIPC_BENCH_KERNEL=$k \
FASTIPC_BENCH_COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown) \
FASTIPC_BENCH_HOST_LOAD="$(IFS=';'; echo "${loads[*]}")" \
	/usr/bin/python3 tools/bench-report.py "$out" \
	deterministic="$out/guest-deterministic.log" \
	wallclock="$out/guest-wallclock.log" \
	wallclock-idle-poll="$out/guest-scale.log" || status=1
echo
echo "make bench: results in $out (results.json, summary.txt, *.png)," \
	"$((SECONDS / 60)) min $((SECONDS % 60)) s"
exit "$status"
