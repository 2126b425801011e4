#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make install" and "make uninstall" for one kernel, into staging roots
# (DESTDIR), as TAP lines: the files where the README says, no signing
# noise without a key, a signed module with one, the aliases depmod turns
# into modules.devname (load on first open), and nothing left after
# uninstall.  The first staging root, with its depmod output, stays in
# build/install-stage/KVER for the guest's autoload suite.
#   tools/install-check.sh KVER
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
k=${1:?usage: install-check.sh KVER}
stage=$build/install-stage/$k
scratch=$(mktemp -d "${TMPDIR:-/tmp}/fastipc-install.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
. "$top/tools/tap-steps.sh"
tap_prefix="install $k: "
tap_log="$scratch/log"

# make_install ROOT MAKE-ARGS...: the output goes to ROOT.log.
make_install() {
	local root=$1
	shift
	make -s -C "$top" install KVER="$k" DESTDIR="$root" PREFIX=/usr "$@" \
		>"$root.log" 2>&1
	local rc=$?
	cat "$root.log"
	return $rc
}

quiet_unsigned() {
	make_install "$stage" SIGN_KEY= &&
	grep -qx 'fastipc.ko not signed (no readable SIGN_KEY, SIGN_CERT)' \
		"$stage.log" &&
	! grep -iE 'error|warning|ssl' "$stage.log"
}

files_in_place() {
	local f ko=$stage/lib/modules/$k/extra/fastipc.ko
	for f in "$ko" "$stage/lib/udev/rules.d/60-fastipc.rules" \
		 "$stage/etc/modules-load.d/fastipc.conf" \
		 "$stage/usr/include/fastipc.h" \
		 "$stage/usr/include/linux/fastipc.h" \
		 "$stage/usr/lib/pkgconfig/fastipc.pc"; do
		[ -f "$f" ] || { echo "missing $f"; return 1; }
	done
	ls "$stage"/usr/lib/libfastipc.so.*.*.* &&
	modinfo -F vermagic "$ko" | grep -q "^$k " &&
	grep -qx fastipc "$stage/etc/modules-load.d/fastipc.conf" &&
	grep -q 'static_node=fastipc' "$stage/lib/udev/rules.d/60-fastipc.rules"
}

devname_listed() {
	depmod -b "$stage" "$k" &&
	cat "$stage/lib/modules/$k/modules.devname" &&
	grep -qx 'fastipc fastipc c10:247' "$stage/lib/modules/$k/modules.devname" &&
	grep -qx 'alias char-major-10-247 fastipc' \
		"$stage/lib/modules/$k/modules.alias"
}

signed_install() {
	openssl req -new -x509 -nodes -days 1 -subj "/CN=fastipc install check" \
		-newkey rsa:2048 -keyout "$scratch/key" -outform DER \
		-out "$scratch/cert" >/dev/null 2>&1 &&
	make_install "$scratch/signed" SIGN_KEY="$scratch/key" \
		SIGN_CERT="$scratch/cert" &&
	modinfo -F signer "$scratch/signed/lib/modules/$k/extra/fastipc.ko" |
		grep -qx 'fastipc install check'
}

uninstalled() {
	make -s -C "$top" uninstall KVER="$k" DESTDIR="$scratch/signed" \
		PREFIX=/usr &&
	! find "$scratch/signed" ! -type d | grep .
}

rm -rf "$stage"
mkdir -p "$stage"
tap "make install, no key: unsigned, quietly" quiet_unsigned
tap "module in /lib/modules/$k/extra, udev rule, modules-load.d, library" \
	files_in_place
tap "depmod: modules.devname lists /dev/fastipc (c 10:247)" devname_listed
tap "make install with SIGN_KEY, SIGN_CERT: module signed" signed_install
tap "make uninstall leaves no file behind" uninstalled
tap_end
