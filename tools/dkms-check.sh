#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms add + dkms build of the current tree for every tested kernel, then
# remove it again.  Needs root (dkms writes /usr/src and /var/lib/dkms).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(cat "$top/VERSION")
src=/usr/src/fastipc-$ver

cleanup() {
	dkms remove -m fastipc -v "$ver" --all >/dev/null 2>&1 || true
	rm -rf "$src"
}
cleanup
trap cleanup EXIT

mkdir -p "$src"
cp -r "$top"/{Kbuild,VERSION,dkms.conf,module,uapi} "$src/"
dkms add -m fastipc -v "$ver"
for k in $("$top/tools/kernels.sh"); do
	dkms build -m fastipc -v "$ver" -k "$k"
	ko=$(find "/var/lib/dkms/fastipc/$ver/$k" -name 'fastipc.ko*' | head -n1)
	[ -n "$ko" ] || { echo "dkms-check: no fastipc.ko for $k" >&2; exit 1; }
	echo "dkms-check: $k -> $ko"
done
