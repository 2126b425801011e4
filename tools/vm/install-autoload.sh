#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest suite: the module as "make install" staged it for this kernel
# (tools/install-check.sh, copied to /opt/fastipc/KVER/ with depmod's
# output) is loaded by the first open of its device node, as kmod's
# static-nodes and the devname alias arrange at boot.  Needs root (rmmod,
# /lib/modules): the unprivileged lane skips it.
k=$(uname -r)
stage=$PWD/$k/lib/modules/$k
name="install: the first open of /dev/fastipc (c 10:247) loads the module"
if [ "$(id -u)" != 0 ]; then
	echo "ok - $name # SKIP needs root"
	exit 0
fi
if [ ! -f "$stage/modules.devname" ]; then
	echo "ok - $name # SKIP no staged install for $k"
	exit 0
fi
if [ -e "/lib/modules/$k" ] || [ -e /sbin/modprobe ]; then
	echo "ok - $name # SKIP the guest has /lib/modules/$k or /sbin/modprobe"
	exit 0
fi
# Both are taken away again at the end: later suites see no autoload.
mkdir -p /lib/modules
cp -r "$stage" /lib/modules/
# The kernel's request_module() runs /sbin/modprobe.
ln -s /bin/busybox /sbin/modprobe
grep fastipc /lib/modules/$k/modules.devname | sed 's/^/# /'
rmmod fastipc 2>/dev/null
if [ -e /sys/module/fastipc ]; then
	echo "not ok - install: the module unloads before the test"
	exit 1
fi
# What kmod static-nodes and the udev rule's static_node= make at boot.
mknod -m 0666 /dev/fastipc c 10 247
if (exec 3<>/dev/fastipc) && [ -e /sys/module/fastipc ]; then
	echo "ok - $name"
else
	echo "not ok - $name"
fi
# The node is ours, not devtmpfs's: it would outlive the module.
rm -rf "/lib/modules/$k" /sbin/modprobe /dev/fastipc
