#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the test guest (make fuzz): load the module, run the fuzzer with
# our arguments, unload it.  The fuzzer prints its own TAP lines; this adds
# the rmmod and a kernel-log scan for lockups (tools/vm/run also fails the
# run on any splat).
cd /opt/fastipc || exit 1
uname -r
if ! insmod ./fastipc.ko; then
	echo "not ok - fuzz: insmod fastipc.ko"
	exit 1
fi
./fastipc-fuzz "$@"
rc=$?
echo "# fastipc-fuzz exited with $rc"
if rmmod fastipc; then
	echo "ok - fuzz: rmmod fastipc"
else
	echo "not ok - fuzz: rmmod fastipc"
	lsmod
	rc=1
fi
if dmesg | grep -E 'soft lockup|rcu_.*stall|hung task|blocked for more than|BUG:|WARNING:|list_(add|del) corruption' >/tmp/lockup.txt; then
	sed 's/^/# dmesg: /' /tmp/lockup.txt | head -n 40
	echo "not ok - fuzz: kernel log clean"
	rc=1
else
	echo "ok - fuzz: kernel log clean"
fi
exit $rc
