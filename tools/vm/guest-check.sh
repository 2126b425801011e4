#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test guest: every suite under ./tests gets a freshly
# loaded module, and the module must unload cleanly after it (proof that the
# suite left no reference behind).  Prints TAP lines for the host to count.
# With FASTIPC_KMEMLEAK=1 (debug kernels), kmemleak's suspects from boot are
# cleared first and a scan after the last suite must find none.
cd /opt/fastipc || exit 1
uname -r
kml=/sys/kernel/debug/kmemleak
if [ "$FASTIPC_KMEMLEAK" = 1 ]; then
	echo scan >$kml
	echo clear >$kml
fi
[ -n "$FASTIPC_PROVOKE" ] && insmod ./provoke.ko "what=$FASTIPC_PROVOKE"

for t in tests/*; do
	name=${t##*/}
	if ! insmod ./fastipc.ko; then
		echo "not ok - $name: insmod fastipc.ko"
		continue
	fi
	echo "# ---- suite $name ----"
	"./$t"
	echo "# ---- suite $name exited with $? ----"
	if rmmod fastipc; then
		echo "ok - $name: module unloads cleanly"
	else
		echo "not ok - $name: rmmod fastipc failed"
		lsmod
	fi
done

# The benchmark's smoke run (when make check staged it): every mechanism,
# payloads checked, one TAP line.
if [ -x ./fastipc-bench ]; then
	if sh ./guest-bench.sh smoke >/tmp/bench-smoke.log 2>&1; then
		echo "ok - bench smoke"
	else
		sed 's/^/# /' /tmp/bench-smoke.log
		echo "not ok - bench smoke"
	fi
fi

if [ "$FASTIPC_KMEMLEAK" = 1 ]; then
	# Objects younger than 5 s are never reported: wait, then scan twice.
	sleep 6
	echo scan >$kml
	echo scan >$kml
	cat $kml >/tmp/leaks.txt
	if [ -s /tmp/leaks.txt ]; then
		echo "# ---- kmemleak ----"
		sed 's/^/# /' /tmp/leaks.txt
		echo "not ok - kmemleak: no leaked object"
	else
		echo "ok - kmemleak: no leaked object"
	fi
fi
exit 0
