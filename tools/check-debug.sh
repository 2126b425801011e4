#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-debug: the debug-kernel lane.  Builds (once, cached outside
# the clone) Debian's linux-source-6.1 with KASAN, UBSAN, lockdep,
# DEBUG_ATOMIC_SLEEP, kmemleak and object/list debugging, builds fastipc.ko
# against it, boots it and runs every suite there, each with a freshly
# loaded module that must unload, then a kmemleak scan.  A second boot runs
# the fault sweep (tools/vm/fault-sweep.sh): every suite again with a share
# of fastipc's allocations and user copies failing.  Any report fails the
# run.  Ends with "N passed, N failed, N skipped" as make check does.
#
#   FASTIPC_SWEEP=0      skip the fault sweep; =only: run nothing else
#   FASTIPC_FAULT_PROB, FASTIPC_FAULT_SUITES, FASTIPC_FAULT_TIMEOUT are
#   passed to the sweep (see tools/vm/fault-sweep.sh)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. tools/tap.sh

tools/deps.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

start=$(date +%s)
dir=$(tools/debug-kernel/build.sh 2>"$logs/debug-kernel.log")
rc=$?
[ $rc = 0 ] || tail -n 30 "$logs/debug-kernel.log"
result "build: debug kernel (cached in ${dir:-?}, $(( $(date +%s) - start )) s)" $rc
[ $rc = 0 ] || { echo "$pass passed, $fail failed, $skip skipped"; exit 1; }
kdir=$dir/linux-source-6.1
kver=debug-$(make -s -C "$kdir" kernelrelease 2>/dev/null)

make -s selftests >"$logs/user-debug.log" 2>&1
rc=$?
[ $rc = 0 ] || cat "$logs/user-debug.log"
result "build: userspace (selftests)" $rc

# libfastipc's suites and examples run here too (staged by stage-tests.sh).
make -s lib-tests examples >"$logs/lib-debug.log" 2>&1
rc=$?
[ $rc = 0 ] || cat "$logs/lib-debug.log"
result "build: libfastipc tests and examples" $rc

# The benchmark's smoke run too (binder is built into this kernel).
make -s bench-build >"$logs/bench-build-debug.log" 2>&1
bench_rc=$?
[ $bench_rc = 0 ] || cat "$logs/bench-build-debug.log"
result "build: fastipc-bench (static)" $bench_rc

klog=$logs/build-$kver.log
make KVER="$kver" KDIR="$kdir" module >"$klog" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q 'warning:' "$klog"; then rc=1; fi
[ $rc = 0 ] || grep -E 'warning:|error:' "$klog"
result "build: fastipc.ko for $kver, W=1, no warnings" $rc
[ $rc = 0 ] || { echo "$pass passed, $fail failed, $skip skipped"; exit 1; }

# The fuzzer's short run is a suite of this lane (tests/zz-fuzz).
make -s fuzz-build >"$logs/fuzz-build-debug.log" 2>&1
rc=$?
[ $rc = 0 ] || cat "$logs/fuzz-build-debug.log"
result "build: fastipc-fuzz (static)" $rc

FASTIPC_STAGE_FUZZ=1 tools/stage-tests.sh "$build/guest-tests-debug"
files=(-f "$build/$kver/module/fastipc.ko"
       -f "$build/guest-tests-debug/guest-check.sh"
       -f "$build/guest-tests-debug/asuser"
       -f "$build/guest-tests-debug/tests")
[ $bench_rc != 0 ] ||
	files+=(-f "$build/bench/fastipc-bench" -f bench/guest-bench.sh)
if [ -n "${FASTIPC_PROVOKE:-}" ]; then
	make -s -C tools/provoke KDIR="$kdir" >>"$klog" 2>&1
	files+=(-f tools/provoke/provoke.ko)
fi
# Binder is built in; no module directory to take it from.  Here the
# suites run once, as root (make check runs the unprivileged lane; a KASAN
# kernel under TCG is slow: FASTIPC_UNPRIV=1 adds it), the teardown
# suite with 2 x 10^4 objects, the signal floods with 3000 calls and the
# fuzzer's time limits ten times longer.
sweep=${FASTIPC_SWEEP:-1}
# No 5-level paging: with LA57 this KASAN kernel reported, at 2.6 s of
# boot and before any module, a wild access of an interrupt taken during
# identify_cpu() (seen twice in 10^6-op fuzz boots).  Not fastipc's; the
# lane boots the CPU model without it.
dbgcpu="max,la57=off"
if [ "$sweep" != only ]; then
	guest_suites "$kver" "$logs/vm-$kver.log" -k "$kver" -K "$dir/bzImage" \
		-M "$dir/no-modules" -C "$dbgcpu" -m 2048 -c 2 -t 3000 "${files[@]}" -- \
		"FASTIPC_KMEMLEAK=1 FASTIPC_PROVOKE='${FASTIPC_PROVOKE:-}' FASTIPC_TEARDOWN_N=20000 FASTIPC_FLOOD_N=3000 FASTIPC_FUZZ_SCALE=10 FASTIPC_UNPRIV='${FASTIPC_UNPRIV:-0}' sh guest-check.sh"
fi

# The fault sweep, in a boot of its own: its injected failures must not
# touch the plain run's verdicts, and it reads and clears dmesg itself (an
# allocation failure report is expected there).  A suite gets at most
# FASTIPC_FAULT_TIMEOUT seconds, so the guest's limit follows from it.
if [ "$sweep" != 0 ]; then
	fenv="FASTIPC_KMEMLEAK=1 FASTIPC_FAULT_PROB='${FASTIPC_FAULT_PROB:-}'"
	# The suites that drive the module's own paths; the examples, the
	# library's server suite, the floods (memcg, teardown) and the fuzzer
	# only add run time here (FASTIPC_FAULT_SUITES="" sweeps them all).
	fsuites="fastipc_version_test fastipc_call_test fastipc_handle_test"
	fsuites="$fsuites fastipc_area_test fastipc_error_test fastipc_poll_test"
	fsuites="$fsuites fastipc_prio_test fastipc_harden_test lib_api_test"
	fsuites="$fsuites fastipc_uring_test fastipc_signal_test"
	fenv="$fenv FASTIPC_FAULT_SUITES='${FASTIPC_FAULT_SUITES-$fsuites}'"
	fenv="$fenv FASTIPC_FAULT_TIMEOUT='${FASTIPC_FAULT_TIMEOUT:-}'"
	guest_suites "$kver fault-sweep" "$logs/vm-$kver-fault-sweep.log" \
		-k "$kver" -K "$dir/bzImage" -M "$dir/no-modules" -C "$dbgcpu" \
		-m 2048 -c 2 -t 2400 -f "$build/$kver/module/fastipc.ko" \
		-f "$build/guest-tests-debug/tests" -f tools/vm/fault-sweep.sh -- \
		"$fenv sh fault-sweep.sh"
fi

echo
echo "==== fastipc make check-debug ===="
echo "kernel $kver (KASAN, UBSAN, lockdep, kmemleak, fault injection)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
