#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The DKMS install paths of the README, as TAP lines: "dkms add" of a
# clone's files and of an unpacked "make dist" tarball, then "dkms build"
# and "dkms install" for every tested kernel, "dkms status", "dkms remove".
# Every dkms command runs on scratch trees (--dkmstree, --sourcetree,
# --installtree, no depmod), so parallel runs never meet and the host's
# /usr/src, /var/lib/dkms and /lib/modules stay untouched.  Needs root
# (dkms insists); dkms signs with its own key (/var/lib/dkms/mok.key,
# created by its first build on the host).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
ver=$(cat "$top/VERSION")
kernels=$("$top/tools/kernels.sh") || exit 1
scratch=$(mktemp -d "${TMPDIR:-/tmp}/fastipc-dkms.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
. "$top/tools/tap-steps.sh"
tap_prefix="dkms: "
tap_log="$scratch/log"

global_before=$(ls -d /var/lib/dkms/fastipc /usr/src/fastipc-* 2>/dev/null)

# The helpers below run inside check_source: they see its $s and $dkms.
module_installed() {	# module_installed KVER
	local ko

	ko=$(find "$s/modules/$1" -name 'fastipc.ko*' | head -n1)
	echo "installed: $ko"
	[ -n "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$1 " &&
		modinfo -F alias "$ko" | grep -qx devname:fastipc
}

status_installed() {
	local out

	out=$("${dkms[@]}" status -m fastipc -v "$ver")
	echo "$out"
	[ "$(echo "$out" | grep -c ': installed')" = "$(echo "$kernels" | wc -l)" ]
}

# check_source LABEL DIR: the whole DKMS life of the tree at DIR.
check_source() {
	local label=$1 dir=$2 s=$scratch/$1 k
	local dkms=(dkms --dkmstree "$s/dkms" --sourcetree "$s/src"
		    --installtree "$s/modules")

	mkdir -p "$s/dkms" "$s/src"
	for k in $kernels; do
		mkdir -p "$s/modules/$k"
	done
	tap "$label: dkms add" "${dkms[@]}" add "$dir"
	tap "$label: dkms.conf reads version $ver from VERSION" \
		test -f "$s/src/fastipc-$ver/dkms.conf"
	for k in $kernels; do
		# The clone builds first; the tarball is the README's two
		# commands, "dkms install" building on its own.
		[ "$label" = dist ] ||
			tap "$label: dkms build -k $k" \
				"${dkms[@]}" build -m fastipc -v "$ver" -k "$k"
		tap "$label: dkms install -k $k" "${dkms[@]}" install \
			--no-depmod -m fastipc -v "$ver" -k "$k"
		tap "$label: $k: module installed, built for $k, with its aliases" \
			module_installed "$k"
	done
	tap "$label: dkms status: installed for every kernel" status_installed
	tap "$label: dkms remove --all" \
		"${dkms[@]}" remove -m fastipc -v "$ver" --all
	tap "$label: no module left in the install tree" \
		sh -c "! find '$s/modules' -name 'fastipc.ko*' | grep ."
}

# A clone's files: what git tracks, copied as a fresh clone has them.
mkdir -p "$scratch/clone"
git -C "$top" ls-files -z | tar -C "$top" --null -T - -cf - |
	tar -C "$scratch/clone" -xf -
check_source clone "$scratch/clone"

tap "make dist" make -s -C "$top" dist DISTDIR="$scratch"
tarball=$scratch/fastipc-$ver.tar.gz
tap "the tarball unpacks into fastipc-$ver/ with no build output" sh -c \
	"tar -C '$scratch' -xzf '$tarball' &&
	 [ -f '$scratch/fastipc-$ver/dkms.conf' ] &&
	 ! tar -tzf '$tarball' | grep -E '^fastipc-$ver/build/|\\.(o|ko)\$'"
check_source dist "$scratch/fastipc-$ver"

tap "the host's /usr/src and /var/lib/dkms untouched" \
	test "$(ls -d /var/lib/dkms/fastipc /usr/src/fastipc-* 2>/dev/null)" = \
	"$global_before"
tap_end
