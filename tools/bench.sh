#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the main job.  Builds everything and runs the demo/benchmark
# in a guest of the first tested kernel.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/deps.sh
k=$(tools/kernels.sh)
k=${k%%$'\n'*}
make -s KVER="$k" module
make -s selftests
tools/vm/run -k "$k" -f "build/$k/module/fastipc.ko" \
	-f build/user/selftests/fastipc_version_test -- \
	'insmod fastipc.ko && ./fastipc_version_test && rmmod fastipc'
