#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside a deterministic guest (tools/profile/profile.sh): traces
# fastipc-bench's 64-byte round trips with function_graph, filtered to the
# module's functions and a few core ones, for one mechanism at a time, and
# prints each trace between @@TRACE-BEGIN MECH and @@TRACE-END.
cd /opt/fastipc || exit 1
insmod ./fastipc.ko || exit 1
insmod ./fastipc_floor.ko || exit 1
T=/sys/kernel/tracing
[ -e $T/trace ] || mount -t tracefs nodev $T
echo NO_WAKEUP_PREEMPTION > /sys/kernel/debug/sched/features
echo NO_DELAY_DEQUEUE > /sys/kernel/debug/sched/features 2>/dev/null
# Core functions a round trip may call; those this kernel lacks are skipped.
core="__x64_sys_ioctl __fget_light fput schedule try_to_wake_up
__wake_up_sync_key __check_object_size kmem_cache_alloc kmem_cache_free
kfree mutex_lock mutex_unlock ktime_get"
for m in fastipc floor; do
	echo 0 > $T/tracing_on
	echo > $T/trace
	echo 20000 > $T/buffer_size_kb
	mod=fastipc
	[ $m = floor ] && mod=fastipc_floor
	echo "*:mod:$mod" > $T/set_ftrace_filter
	for f in $core; do
		echo "$f" >> $T/set_ftrace_filter 2>/dev/null
	done
	echo function_graph > $T/current_tracer
	echo 1 > $T/options/funcgraph-proc
	echo 1 > $T/tracing_on
	./fastipc-bench latency -q -m $m -M 64 -r 1 -l profile | grep '^@B lat'
	echo 0 > $T/tracing_on
	echo "@@TRACE-BEGIN $m"
	cat $T/trace
	echo "@@TRACE-END"
	echo nop > $T/current_tracer
done
rmmod fastipc_floor && rmmod fastipc
