#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz: build fastipc.ko and fastipc-fuzz, boot a kernel in QEMU and
# run the fuzzer there (tools/fuzz/guest-fuzz.sh: insmod, fuzz, rmmod).
#
#   N=OPS        operations (default 100000)
#   SEED=S       seed (default: from the clock; printed first, replays)
#   TIME=SEC     the fuzzer's time limit, its checks included (default 300)
#   KVER=R       kernel release (default: the first of tools/kernels.sh)
#   DEBUG=1      the KASAN/lockdep kernel of make check-debug, if cached;
#                its time limits scaled by FUZZ_SCALE (default 10: a debug
#                kernel under TCG is 5 to 10 times slower)
#   FUZZ_ARGS=.. more fastipc-fuzz options (-p, -T, -x death_storm, -q ...)
#
# Exit status: the guest's (0: every TAP line ok), 125 on a kernel splat,
# 124 when the guest did not finish (a wedged kernel).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
build=${BUILD:-$top/build}
n=${N:-100000}
secs=${TIME:-300}
seed=${SEED:-}
args=(-n "$n" -t "$secs")
[ -z "$seed" ] || args+=(-s "$seed")
[ "${DEBUG:-0}" != 1 ] || args+=(-z "${FUZZ_SCALE:-10}")
# shellcheck disable=SC2206
args+=(${FUZZ_ARGS:-})

tools/deps.sh
vmrun=(-m 2048 -c 2)
if [ "${DEBUG:-0}" = 1 ]; then
	dir=$(tools/debug-kernel/build.sh --cached) || {
		echo "make fuzz: DEBUG=1 but no debug kernel is cached (make check-debug builds it)" >&2
		exit 2
	}
	kdir=$dir/linux-source-6.1
	k=debug-$(make -s -C "$kdir" kernelrelease 2>/dev/null)
	make -s KVER="$k" KDIR="$kdir" module
	# No LA57, as make check-debug boots it (tools/check-debug.sh).
	vmrun=(-K "$dir/bzImage" -M "$dir/no-modules" -C max,la57=off -m 2048 -c 2)
else
	k=${KVER:-$(tools/kernels.sh | head -n1)}
	make -s KVER="$k" module
fi
make -s fuzz-build
echo "make fuzz: kernel $k, fastipc-fuzz ${args[*]}"
# The guest gets the fuzzer's time plus boot, rmmod and some slack.
tools/vm/run -k "$k" "${vmrun[@]}" -t $((secs + 180)) \
	-f "$build/$k/module/fastipc.ko" -f "$build/fuzz/fastipc-fuzz" \
	-f tools/fuzz/guest-fuzz.sh -- "sh guest-fuzz.sh ${args[*]}"
