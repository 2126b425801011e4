#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, from Debian's archive, everything building and testing fastipc
# needs.  Does nothing when all of it is already there.
set -euo pipefail

pkgs=(
	build-essential gcc-12 make kmod cpio xz-utils gzip pahole dkms openssl
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-source-6.1 qemu-system-x86 busybox-static
	liburing-dev libbpf-dev clang bpftool gnuplot-nox python3
	flex bison bc libelf-dev libssl-dev patch
	protobuf-c-compiler libprotobuf-c-dev
)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages, run as root: ${missing[*]}" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

# The meta-packages may now point at a newer release than the headers
# installed before: make sure every image has its matching headers.
for rel in $("$(dirname "$0")/kernels.sh"); do
	[ -d "/usr/src/linux-headers-$rel" ] ||
		apt-get install -y -q --no-install-recommends "linux-headers-$rel"
done
