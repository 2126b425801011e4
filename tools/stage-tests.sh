#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Gather every program the guest runs as a suite (kselftests, and whatever
# else make check builds for the guest) into DIR/tests, plus the guest-side
# driver.  Used by make check and make check-debug alike.
#   tools/stage-tests.sh DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
out=${1:?usage: stage-tests.sh DIR}
rm -rf "$out/tests"
mkdir -p "$out/tests"
cp "$build"/user/selftests/*_test "$out/tests/"
cp "$top/tools/vm/guest-check.sh" "$out/"
