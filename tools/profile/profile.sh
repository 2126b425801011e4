#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench-profile: where the instructions of a 64-byte round trip go,
# fastipc next to the floor (bench/floor).  Boots the first kernel of
# tools/kernels.sh (BENCH_KERNEL=R for another) in deterministic mode
# (-icount: guest nanoseconds are instructions), traces a short latency run
# of each mechanism with function_graph (tools/profile/guest-profile.sh)
# and prints, per task (client, server), the self instructions of each
# traced function per ioctl (tools/profile/ftrace-self.py), the tracer's
# own cost subtracted.  Inlined functions count in their caller.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
tools/deps.sh
k=$(tools/kernels.sh)
k=${BENCH_KERNEL:-${k%%$'\n'*}}
make -s KVER="$k" module
make -s KVER="$k" bench-floor
make -s bench-build
log=$(mktemp /tmp/fastipc-profile.XXXXXX)
trap 'rm -f "$log"' EXIT
tools/vm/run -k "$k" -d -t 900 -f "build/$k/module/fastipc.ko" \
	-f "build/floor/$k/fastipc_floor.ko" -f build/bench/fastipc-bench \
	-f tools/profile/guest-profile.sh -- 'sh guest-profile.sh' >"$log" 2>&1
grep '^@B lat' "$log" || true
for m in fastipc floor; do
	python3 tools/profile/ftrace-self.py "$m" <"$log"
done
