#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test guest: every suite under ./tests gets a freshly
# loaded module, and the module must unload cleanly after it (proof that the
# suite left no reference behind).  Prints TAP lines for the host to count.
cd /opt/fastipc || exit 1
uname -r
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

# The benchmark's smoke run: every mechanism, payloads checked.
if [ -x ./fastipc-bench ]; then
	if sh ./guest-bench.sh smoke >/tmp/bench-smoke.log 2>&1; then
		echo "ok - bench smoke"
	else
		sed 's/^/# /' /tmp/bench-smoke.log
		echo "not ok - bench smoke"
	fi
fi
exit 0
