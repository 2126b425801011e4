#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: install what is missing, build the module for every kernel,
# the library, selftests and examples, run checkpatch and the dkms build,
# then boot each kernel and run every suite in it.  Ends with the line
# "N passed, N failed" (totals across kernels).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. tools/tap.sh

tools/deps.sh || { echo "0 passed, 1 failed"; exit 1; }
kernels=$(tools/kernels.sh) || { echo "0 passed, 1 failed"; exit 1; }

make -s selftests >"$logs/user.log" 2>&1
rc=$?
[ $rc = 0 ] || cat "$logs/user.log"
result "build: userspace (selftests)" $rc

make -s lib lib-tests examples >"$logs/lib.log" 2>&1
rc=$?
[ $rc = 0 ] || cat "$logs/lib.log"
result "build: libfastipc (.so, .a), its tests and examples, -Werror" $rc

make -s trace trace-tests >"$logs/trace.log" 2>&1
rc=$?
[ $rc = 0 ] || cat "$logs/trace.log"
result "build: fastipc-trace (clang, bpftool skeleton, static) and its workload" $rc

# Packaging on the host: install to a staging DESTDIR, SONAME, exported
# symbols, pkg-config (dynamic and static external program), man pages.
tools/lib-check.sh >"$logs/lib-check.log" 2>&1
tap_count "$logs/lib-check.log" $? "lib-check.sh"

make -s bench-build >"$logs/bench-build.log" 2>&1
bench_rc=$?
[ $bench_rc = 0 ] || cat "$logs/bench-build.log"
result "build: fastipc-bench (static)" $bench_rc

make -s uapi-check >"$logs/uapi.log" 2>&1
rc=$?
[ $rc = 0 ] || cat "$logs/uapi.log"
result "uapi/linux/fastipc.h compiles alone with -std=c90 -pedantic" $rc

make -s checkpatch >"$logs/checkpatch.log" 2>&1
rc=$?
[ $rc = 0 ] || cat "$logs/checkpatch.log"
result "checkpatch --strict: module/ uapi/" $rc

# DKMS on scratch trees: add (a clone's files, a make dist tarball),
# build and install for every kernel, status, remove.
tools/dkms-check.sh >"$logs/dkms.log" 2>&1
tap_count "$logs/dkms.log" $? "dkms-check.sh"

summary=()
for k in $kernels; do
	kp=$pass kf=$fail ks=$skip
	klog=$logs/build-$k.log
	make KVER="$k" module >"$klog" 2>&1
	rc=$?
	# W=1 and still not a single compiler warning.
	if [ $rc = 0 ] && grep -q 'warning:' "$klog"; then rc=1; fi
	[ $rc = 0 ] || grep -E 'warning:|error:' "$klog"
	result "build: fastipc.ko for $k, W=1, no warnings" $rc
	if [ $rc != 0 ]; then
		summary+=("$k: module does not build")
		continue
	fi

	# make install / uninstall into staging roots; the guest's autoload
	# suite uses the first one.
	tools/install-check.sh "$k" >"$logs/install-$k.log" 2>&1
	tap_count "$logs/install-$k.log" $? "install-check.sh $k"

	vmlog=$logs/vm-$k.log
	tools/stage-tests.sh "$build/guest-tests"
	files=(-f "$build/$k/module/fastipc.ko"
	       -f "$build/guest-tests/guest-check.sh"
	       -f "$build/guest-tests/asuser"
	       -f "$build/guest-tests/tests")
	[ ! -d "$build/install-stage/$k" ] ||
		files+=(-f "$build/install-stage/$k")
	# The module holding misc minor 247, for the fallback suite.
	! make -s KVER="$k" minor-holder >>"$klog" 2>&1 ||
		files+=(-f "$build/minor-holder/$k/minor_holder.ko")
	[ $bench_rc != 0 ] ||
		files+=(-f "$build/bench/fastipc-bench" -f bench/guest-bench.sh)
	# The bench's floor module, for the smoke run (skipped if it fails).
	! make -s KVER="$k" bench-floor >>"$klog" 2>&1 ||
		files+=(-f "$build/floor/$k/fastipc_floor.ko")
	if [ -n "${FASTIPC_PROVOKE:-}" ]; then
		make -s -C tools/provoke KDIR="/lib/modules/$k/build" >>"$klog" 2>&1
		files+=(-f tools/provoke/provoke.ko)
	fi
	guest_suites "$k" "$vmlog" -k "$k" "${files[@]}" -- \
		"FASTIPC_PROVOKE='${FASTIPC_PROVOKE:-}' sh guest-check.sh"
	summary+=("$k: $((pass - kp)) passed, $((fail - kf)) failed, $((skip - ks)) skipped")
done

echo
echo "==== fastipc make check ===="
for line in "${summary[@]}"; do
	echo "kernel $line"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
