#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The fault sweep: runs inside the debug-kernel guest of make check-debug
# (a boot of its own, after the plain run of every suite).  For each suite
# in ./tests it loads fastipc.ko, makes a share of the module's slab and
# page allocations and user copies fail, runs the suite with injection
# enabled for its processes only, then checks what must hold whatever
# failed: no kernel report, every live debugfs counter back to 0 once the
# suite's processes are gone, and a clean rmmod.  The suite's own verdict
# is ignored (injected failures make its assertions fail); its output is
# kept as "# " lines so that the host counts only our TAP lines.
#
# Injection: failslab, fail_page_alloc and fail_usercopy in debugfs, each
# with task-filter=Y (only tasks with /proc/<pid>/make-it-fail=1, which
# the suite's first process sets and its threads and children inherit)
# and the stacktrace filter require-start/require-end set to fastipc.ko's
# core (from /proc/modules), so only calls made on a call chain through
# the module can fail, never the suite's fork() or mmap().
#
# Environment (all optional):
#   FASTIPC_FAULT_PROB     percentage of eligible calls that fail (10)
#   FASTIPC_FAULT_SUITES   space-separated suite names (default: tests/*)
#   FASTIPC_FAULT_TIMEOUT  seconds a suite may run before it is killed (90)
#   FASTIPC_KMEMLEAK=1     clear kmemleak first, scan after the last suite
cd /opt/fastipc || exit 1
uname -r
dbg=/sys/kernel/debug
kml=$dbg/kmemleak
caps="failslab fail_page_alloc fail_usercopy"
prob=${FASTIPC_FAULT_PROB:-10}
tmo=${FASTIPC_FAULT_TIMEOUT:-90}
live="peers threads nodes refs txns buffers deaths exports boosted"

# What the lane's splat scan (tools/vm/init) looks for, plus the stall and
# hung-task reports, which start with "INFO:", and a debug facility that
# switched itself off (kmemleak and ODEBUG do when their own allocations
# fail for good), which would make the rest of the run blind.
pat='BUG|WARNING|Oops|KASAN|UBSAN|refcount_t|lockdep|hung task|general protection|Call Trace|suspected memory leak|INFO: |detected stall|leak detector disabled|ODEBUG disabled'
benign='RCU lockdep checking is enabled'

# scan_kmsg FILE: print the lines of FILE that report a kernel problem.
# An allocation failure report (warn_alloc(): "vmalloc error:" or "page
# allocation failure:", with a stack dump and Mem-Info) is what a failed
# allocation without __GFP_NOWARN prints; it is expected here and only
# counted, so a "Call Trace" that follows one is not a finding.  Any other
# report line ends that allowance.  Exit status 0 when something was found.
scan_kmsg() {
	awk -v pat="$pat" -v benign="$benign" -v cnt=/tmp/alloc-reports '
		/vmalloc error:|page allocation failure:/ { n++; inalloc = 1; next }
		$0 ~ benign { next }
		$0 ~ pat {
			if (inalloc && $0 ~ /Call Trace/)
				next
			inalloc = 0; bad = 1; print
		}
		END { print n + 0 >cnt; exit !bad }' "$1"
}

# session_pids SID: the processes of session SID (the suite and whatever
# it forked; the kselftest harness puts each test in a process group of
# its own, but all stay in the session).
session_pids() {
	for s in /proc/[0-9]*/stat; do
		read -r st 2>/dev/null <"$s" || continue
		# After "comm) ": state ppid pgrp session ...
		set -- ${st##*) }
		[ "$4" = "$sid" ] || continue
		p=${s#/proc/}
		echo "${p%/stat}"
	done
}

# wait_session SECS: wait until session $sid is empty; status 1 if not.
wait_session() {
	i=0
	while [ -n "$(session_pids)" ]; do
		[ $i -ge "$1" ] && return 1
		sleep 1
		i=$((i + 1))
	done
	return 0
}

# inject_on START END / inject_off: arm and disarm the three capabilities.
inject_on() {
	for c in $caps; do
		d=$dbg/$c
		echo 0 >$d/probability
		echo Y >$d/task-filter
		echo 0 >$d/verbose
		echo -1 >$d/times
		echo 1 >$d/interval
		echo 0 >$d/space
		echo 32 >$d/stacktrace-depth
		echo "$1" >$d/require-start
		echo "$2" >$d/require-end
		echo 0 >$d/reject-start
		echo 0 >$d/reject-end
	done
	# Also fail the GFP_KERNEL (sleeping) and order-0 allocations, which
	# are nearly all of fastipc's; the defaults would spare them.
	echo N >$dbg/failslab/ignore-gfp-wait
	echo N >$dbg/fail_page_alloc/ignore-gfp-wait
	echo N >$dbg/fail_page_alloc/ignore-gfp-highmem
	echo 0 >$dbg/fail_page_alloc/min-order
	for c in $caps; do
		echo "$prob" >$dbg/$c/probability
	done
}
inject_off() {
	for c in $caps; do
		echo 0 >$dbg/$c/probability
	done
}

# stats_live: the live counters that are not 0, as "name=value" words.
stats_live() {
	for n in $live; do
		v=$(sed -n "s/^$n[[:space:]]\{1,\}//p" $dbg/fastipc/stats)
		[ "${v:-missing}" = 0 ] || printf '%s=%s ' "$n" "${v:-missing}"
	done
}

# The kernel must have all three capabilities and the stacktrace filter.
for c in $caps; do
	if [ ! -e $dbg/$c/require-start ]; then
		echo "not ok - fault-sweep: $c with stacktrace filter in debugfs"
		exit 0
	fi
done
if [ "$FASTIPC_KMEMLEAK" = 1 ]; then
	echo scan >$kml
	echo clear >$kml
fi
# From here on each suite's kernel messages are read and cleared by us,
# so that the expected allocation failure reports do not fail the boot
# (init's scan); the boot's own messages are scanned first.
dmesg -c >/tmp/kmsg.txt
if scan_kmsg /tmp/kmsg.txt >/tmp/splat.txt; then
	sed 's/^/# /' /tmp/kmsg.txt
	echo "not ok - fault-sweep: boot without kernel reports"
fi

if [ -n "$FASTIPC_FAULT_SUITES" ]; then
	list=
	for s in $FASTIPC_FAULT_SUITES; do
		list="$list tests/$s"
	done
else
	list=$(echo tests/*)
fi
echo "# fault sweep: failslab, fail_page_alloc, fail_usercopy at $prob %" \
	"within fastipc.ko, $tmo s per suite"
sweep_start=$(date +%s)
for t in $list; do
	name=${t##*/}
	if [ ! -x "$t" ]; then
		echo "not ok - fault-sweep $name: no such suite"
		continue
	fi
	if ! insmod ./fastipc.ko; then
		echo "not ok - fault-sweep $name: insmod fastipc.ko"
		continue
	fi
	# The module's core (text first, then data) from /proc/modules; its
	# .text must lie inside.
	set -- $(grep '^fastipc ' /proc/modules)
	base=$(($6)) size=$2
	text=$(($(cat /sys/module/fastipc/sections/.text)))
	if [ "$base" = 0 ] || [ "$text" -lt "$base" ] ||
	   [ "$text" -ge $((base + size)) ]; then
		echo "not ok - fault-sweep $name: fastipc.ko's text range"
		rmmod fastipc
		continue
	fi
	inject_on "$(printf '0x%x' "$base")" "$(printf '0x%x' $((base + size)))"

	start=$(date +%s)
	# The suite runs in a session of its own, injection on for it alone.
	setsid sh -c 'echo 1 >/proc/self/make-it-fail && exec "$0"' "./$t" \
		>/tmp/suite.out 2>&1 </dev/null &
	sid=$!
	killed=
	while kill -0 $sid 2>/dev/null; do
		if [ $(($(date +%s) - start)) -ge "$tmo" ]; then
			killed=" (killed after $tmo s)"
			break
		fi
		sleep 1
	done
	# The suite's first process may be gone while others are not: give
	# them a moment, then kill what is left of the session.
	wait_session 5 || kill -KILL $(session_pids) 2>/dev/null
	wait $sid 2>/dev/null
	src=$?
	inject_off
	secs=$(($(date +%s) - start))
	tests=$(grep -cE '^(not )?ok [0-9]' /tmp/suite.out)
	failed=$(grep -cE '^not ok [0-9]' /tmp/suite.out)
	sed 's/^/# | /' /tmp/suite.out | tail -n 40
	echo "# $name: status $src$killed after $secs s, $failed of $tests" \
		"tests failed under injection"

	bad=
	if ! wait_session 10; then
		bad="$bad, processes stuck"
		for p in $(session_pids); do
			echo "# stuck: pid $p $(cat /proc/$p/comm) in" \
				"$(cat /proc/$p/wchan 2>/dev/null)"
			sed 's/^/#   /' /proc/$p/stack 2>/dev/null
		done
	fi
	# Counters drop when the last file reference goes; that may be a
	# moment after exit (deferred fput, RCU, workqueues).
	i=0
	while [ -n "$(stats_live)" ] && [ $i -lt 5 ]; do
		sleep 1
		i=$((i + 1))
	done
	nz=$(stats_live)
	if [ -n "$nz" ]; then
		bad="$bad, counters not 0: $nz"
		sed 's/^/# stats: /' $dbg/fastipc/stats
	fi
	if ! rmmod fastipc; then
		bad="$bad, rmmod failed"
		lsmod
	fi
	dmesg -c >/tmp/kmsg.txt
	if scan_kmsg /tmp/kmsg.txt >/tmp/splat.txt; then
		bad="$bad, kernel report"
		echo "# ---- kernel messages during $name ----"
		sed 's/^/# /' /tmp/kmsg.txt
	fi
	allocs=$(cat /tmp/alloc-reports)
	[ "$allocs" = 0 ] ||
		echo "# $name: $allocs allocation failure report(s) (warn_alloc)"
	if [ -z "$bad" ]; then
		echo "ok - fault-sweep $name: clean errors, counters 0, rmmod"
	else
		echo "not ok - fault-sweep $name: ${bad#, }"
	fi
done
echo "# fault sweep took $(($(date +%s) - sweep_start)) s"

if [ "$FASTIPC_KMEMLEAK" = 1 ]; then
	# Objects younger than 5 s are never reported: wait, then scan twice.
	# A write error means kmemleak switched itself off.
	sleep 6
	if echo scan >$kml && echo scan >$kml; then
		cat $kml >/tmp/leaks.txt
	else
		echo "kmemleak is off" >/tmp/leaks.txt
	fi
	if [ -s /tmp/leaks.txt ]; then
		echo "# ---- kmemleak ----"
		sed 's/^/# /' /tmp/leaks.txt
		echo "not ok - fault-sweep kmemleak: no leaked object"
	else
		echo "ok - fault-sweep kmemleak: no leaked object"
	fi
fi
exit 0
