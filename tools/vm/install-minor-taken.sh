#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest suite: with misc minor 247 held by another driver
# (tools/minor-holder, staged by make check as minor_holder.ko), the
# module still loads, on a dynamic minor, says so in the kernel log, and
# /dev/fastipc is that device.  Needs root (insmod): the unprivileged lane
# skips it.
name="install: minor 247 taken: the module loads on a dynamic minor"
if [ "$(id -u)" != 0 ]; then
	echo "ok - $name # SKIP needs root"
	exit 0
fi
if [ ! -f ./minor_holder.ko ]; then
	echo "ok - $name # SKIP no minor_holder.ko staged"
	exit 0
fi
rmmod fastipc
if ! insmod ./minor_holder.ko; then
	echo "not ok - $name: insmod minor_holder.ko"
	insmod ./fastipc.ko
	exit 1
fi
if insmod ./fastipc.ko; then
	dev=$(cat /sys/class/misc/fastipc/dev)
	node=$(stat -c '%t:%T' /dev/fastipc)
	echo "# fastipc is $dev, /dev/fastipc is (hex) $node"
	if [ "$dev" != 10:247 ] &&
	   [ "$node" = "$(printf '%x:%x' "${dev%:*}" "${dev#*:}")" ] &&
	   dmesg | grep -q 'misc minor 247 is taken' &&
	   (exec 3<>/dev/fastipc); then
		echo "ok - $name"
	else
		echo "not ok - $name"
	fi
	rmmod fastipc
else
	echo "not ok - $name: insmod fastipc.ko"
fi
rmmod minor_holder
# The suite runner unloads the module after the suite.
insmod ./fastipc.ko
