#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the debug kernel of make check-debug from Debian's
# linux-source-6.1: defconfig + kvm_guest.config + debug.config, with
# KASAN, UBSAN, lockdep, kmemleak, fault injection and friends, and the
# patches beside this script (*.patch, applied in name order).  The result
# is cached outside the clone, keyed by the source package's version and
# the hash of the fragment and the patches, so a later run on the same
# machine reuses it.
#
#   tools/debug-kernel/build.sh     prints the cache directory on stdout
#   tools/debug-kernel/build.sh --cached   the same, but never builds: exit
#                                   status 1 when nothing is cached
#
# The directory holds bzImage, the configured and prepared source tree
# (for building fastipc.ko against it, M=...) and a .done stamp.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tarball=/usr/src/linux-source-6.1.tar.xz
[ -r "$tarball" ] || { echo "debug-kernel: linux-source-6.1 is not installed" >&2; exit 1; }
srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1)
shopt -s nullglob
patches=("$here"/*.patch)
key=$( (echo "$srcver"; cat "$here/debug.config" "${patches[@]}") |
	sha256sum | cut -c1-12)
cache=${FASTIPC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fastipc}
dir=$cache/debug-kernel-$srcver-$key
if [ -f "$dir/.done" ]; then
	echo "$dir"
	exit 0
fi
[ "${1:-}" != --cached ] || exit 1

log() { echo "debug-kernel: $*" >&2; }
# Built in place (kbuild records absolute paths), made valid by .done last.
rm -rf "$dir"
mkdir -p "$dir"
log "extracting linux-source-6.1 $srcver into $dir"
tar -xJf "$tarball" -C "$dir"
src=$dir/linux-source-6.1
for p in "${patches[@]}"; do
	log "applying $(basename "$p")"
	patch -d "$src" -p1 -s --no-backup-if-mismatch <"$p" >&2
done
jobs=$(nproc)
mk() { make -C "$src" -j"$jobs" "$@" >&2; }
mk defconfig
mk kvm_guest.config
(cd "$src" && scripts/kconfig/merge_config.sh -m .config "$here/debug.config") >&2
mk olddefconfig
# Every option the fragment asks for must have survived olddefconfig.
missing=0
while IFS= read -r line; do
	case $line in CONFIG_*=n) opt=${line%%=*}
		grep -q "^$opt=" "$src/.config" && { log "$opt still set"; missing=1; } ;;
	CONFIG_*) grep -qx "$line" "$src/.config" || { log "not in .config: $line"; missing=1; } ;;
	esac
done <"$here/debug.config"
[ $missing = 0 ] || { log "config fragment not honoured"; exit 1; }
start=$(date +%s)
log "building bzImage + modules with -j$jobs (about 20-40 minutes)"
mk bzImage modules
log "built in $(( $(date +%s) - start )) s"
cp "$src/arch/x86/boot/bzImage" "$dir/bzImage"
touch "$dir/.done"
echo "$dir"
