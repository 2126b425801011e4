#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test guest: every suite under ./tests runs twice, as root
# and as an unprivileged user (uid FASTIPC_UNPRIV_UID, default 65534, through
# ./asuser: no groups, no capabilities), each time with a freshly loaded
# module.  After each run every live debugfs counter must read 0 (read here,
# as root: the unprivileged suites cannot) and the module must unload cleanly
# (proof that the suite left no reference behind).  Prints TAP lines for the
# host to count; those of the unprivileged runs say "unpriv:".
# FASTIPC_UNPRIV=0 leaves the unprivileged lane out.
# With FASTIPC_KMEMLEAK=1 (debug kernels), kmemleak's suspects from boot are
# cleared first and a scan after the last suite must find none.
cd /opt/fastipc || exit 1
uname -r
uid=${FASTIPC_UNPRIV_UID:-65534}
stats=/sys/kernel/debug/fastipc/stats
live='peers threads nodes refs txns buffers deaths exports boosted signals'
kml=/sys/kernel/debug/kmemleak
if [ "$FASTIPC_KMEMLEAK" = 1 ]; then
	echo scan >$kml
	echo clear >$kml
fi
[ -n "$FASTIPC_PROVOKE" ] && insmod ./provoke.ko "what=$FASTIPC_PROVOKE"

# counters_zero LABEL: one TAP line, every live counter reads 0 (within 2 s:
# teardown may finish after the suite's exit).
counters_zero() {
	i=0
	while :; do
		bad=$(awk -v live="$live" '
			BEGIN { n = split(live, l); for (i = 1; i <= n; i++) want[l[i]] = 1 }
			($1 in want) { seen++; if ($2 != 0) printf "%s %s ", $1, $2 }
			END { if (seen != n) printf "(%d of %d counters found)", seen, n }
		' $stats 2>&1)
		if [ -z "$bad" ] || [ $i -ge 20 ]; then
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	if [ -z "$bad" ]; then
		echo "ok - $1: debugfs counters back to 0"
	else
		echo "not ok - $1: debugfs counters back to 0: $bad"
	fi
}

# run_suite LABEL COMMAND...: one run with a fresh module.
run_suite() {
	label=$1
	shift
	if ! insmod ./fastipc.ko; then
		echo "not ok - $label: insmod fastipc.ko"
		return
	fi
	echo "# ---- suite $label ----"
	"$@"
	echo "# ---- suite $label exited with $? ----"
	counters_zero "$label"
	if rmmod fastipc; then
		echo "ok - $label: module unloads cleanly"
	else
		echo "not ok - $label: rmmod fastipc failed"
		lsmod
	fi
}

# unpriv NAME: tests/NAME as uid $uid, its TAP names prefixed "unpriv: ".
# The examples' servers register as the context manager (CAP_SYS_ADMIN):
# they stay root and every client of theirs runs as $uid (FASTIPC_AS).
unpriv() {
	{
		case $1 in
		example-*) FASTIPC_AS="$PWD/asuser $uid" "./tests/$1" 2>&1 ;;
		*) ./asuser "$uid" "./tests/$1" 2>&1 ;;
		esac
		echo $? >/tmp/unpriv.rc
	} | sed -E 's/^((not )?ok [0-9-]+) /\1 unpriv: /'
	return "$(cat /tmp/unpriv.rc)"
}

if [ "$FASTIPC_UNPRIV" != 0 ]; then
	# Every local user may use the device: devtmpfs gives the misc
	# device's mode, and the suites must be theirs to run.
	chmod -R a+rX tests
	insmod ./fastipc.ko
	mode=$(stat -c %a /dev/fastipc 2>&1)
	if [ "$mode" = 666 ]; then
		echo "ok - unpriv: /dev/fastipc is mode 0666"
	else
		echo "not ok - unpriv: /dev/fastipc is mode 0666 (it is $mode)"
	fi
	if ./asuser "$uid" /bin/sh -c \
		"[ \$(id -u) = $uid ] && exec 3<>/dev/fastipc"; then
		echo "ok - unpriv: uid $uid opens /dev/fastipc"
	else
		echo "not ok - unpriv: uid $uid opens /dev/fastipc"
	fi
	rmmod fastipc
fi

for t in tests/*; do
	name=${t##*/}
	run_suite "$name" "./$t"
	[ "$FASTIPC_UNPRIV" = 0 ] || run_suite "unpriv: $name" unpriv "$name"
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
