#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract from Debian's linux-source-6.1 only what fastipc uses: the
# kselftest harness headers and checkpatch.pl with its data files.
# Usage: tools/ksft.sh OUTDIR
set -euo pipefail

out=${1:?usage: ksft.sh OUTDIR}
stamp="$out/.extracted"
tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
[ -n "$tarball" ] || { echo "ksft.sh: linux-source-6.1 is not installed" >&2; exit 1; }
[ -f "$stamp" ] && [ "$stamp" -nt "$tarball" ] && exit 0

files=(
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest_harness.h
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
	Documentation/userspace-api/ioctl/ioctl-number.rst
)
mkdir -p "$out"
tar -xJf "$tarball" -C "$out" --strip-components=1 \
	"${files[@]/#/linux-source-6.1/}"
mv "$out"/tools/testing/selftests/kselftest*.h "$out/"
touch "$stamp"
