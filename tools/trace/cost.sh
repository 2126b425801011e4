#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make trace-cost: what the tracepoints cost a 64 B round trip, disabled
# and with fastipc-trace attached.  Builds fastipc.ko from the working tree
# and from REV (default: the commit before module/trace.h came, the module
# without tracepoints), boots KVER (default: the first of tools/kernels.sh)
# in deterministic mode (tools/vm/run -d, as make bench's headline table,
# with the same sched features off) and runs "fastipc-bench latency -m
# fastipc -M 64" with each module three times, alternating, then once with
# the tree's module and fastipc-trace attached.  Prints each run's 64 B
# median and the ratios of the fastest and of the slowest runs to those of
# the module without tracepoints: a run may take one of two scheduler
# paths, some hundred instructions apart (6.12), so like is compared with
# like.
#   tools/trace/cost.sh [REV]       KVER=..., BUILD=...
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
build=${BUILD:-$top/build}
k=${KVER:-$(tools/kernels.sh | head -n1)}
added=$(git log --diff-filter=A --format=%H -- module/trace.h | tail -n1)
rev=${1:-$added^}
out=$build/trace-cost
rm -rf "$out"
mkdir -p "$out/base" "$out/trace" "$out/src"

git archive "$rev" Kbuild VERSION module uapi | tar -x -C "$out/src"
make -s -C "/lib/modules/$k/build" M="$out/src" modules >"$out/build.log" 2>&1
cp "$out/src/module/fastipc.ko" "$out/base/"
make -s KVER="$k" BUILD="$build" module >>"$out/build.log" 2>&1
cp "$build/$k/module/fastipc.ko" "$out/trace/"
make -s BUILD="$build" bench-build trace >>"$out/build.log" 2>&1

cat >"$out/guest.sh" <<'EOT'
sf=/sys/kernel/debug/sched/features
for feat in WAKEUP_PREEMPTION DELAY_DEQUEUE; do
	grep -qw "$feat" $sf 2>/dev/null && echo "NO_$feat" >$sf
done
for v in base trace base trace base trace; do
	insmod ./$v/fastipc.ko
	./fastipc-bench latency -m fastipc -M 64 -l "$v"
	rmmod fastipc
done
insmod ./trace/fastipc.ko
./fastipc-trace >/tmp/t.out 2>/tmp/t.err &
t=$!
until grep -q tracing /tmp/t.err 2>/dev/null; do sleep 0.2; done
./fastipc-bench latency -m fastipc -M 64 -l attached
kill -INT $t
wait $t
head -n 1 /tmp/t.out
rmmod fastipc
EOT
tools/vm/run -k "$k" -d -t 900 -f "$out/base" -f "$out/trace" \
	-f "$build/bench/fastipc-bench" -f "$build/user/trace/fastipc-trace" \
	-f "$out/guest.sh" -- "sh guest.sh" >"$out/guest.log" 2>&1
awk -v rev="$(git rev-parse --short "$rev")" -v k="$k" '
	/^@B lat / && / size=64 / {
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			f[kv[1]] = kv[2]
		}
		l = f["label"]
		v[l, ++n[l]] = f["median_ns"]
		runs[l] = runs[l] " " f["median_ns"]
	}
	function lo(l,    i, m) {
		for (i = 1; i <= n[l]; i++)
			if (i == 1 || v[l, i] < m)
				m = v[l, i]
		return m
	}
	function hi(l,    i, m) {
		for (i = 1; i <= n[l]; i++)
			if (i == 1 || v[l, i] > m)
				m = v[l, i]
		return m
	}
	function pct(a, b) {
		return sprintf("%+.2f %%", 100 * (a / b - 1))
	}
	END {
		if (!n["base"] || !n["trace"] || !n["attached"]) {
			print "trace-cost: the guest run is incomplete" > "/dev/stderr"
			exit 1
		}
		printf "64 B round trip, %s, deterministic (-icount), median ns of each run\n", k
		printf "  without tracepoints (%s):%s\n", rev, runs["base"]
		printf "  tracepoints disabled:%s  fastest %s, slowest %s\n",
		       runs["trace"], pct(lo("trace"), lo("base")),
		       pct(hi("trace"), hi("base"))
		printf "  fastipc-trace attached:%s  %s of the fastest, %s of the slowest\n",
		       runs["attached"], pct(lo("attached"), lo("base")),
		       pct(lo("attached"), hi("base"))
	}' "$out/guest.log"
