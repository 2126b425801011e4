#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The fuzzer's short run as a guest suite (staged as tests/zz-fuzz, last,
# by tools/stage-tests.sh when build/fuzz/fastipc-fuzz exists): guest-check.sh
# loads the module before it and requires a clean rmmod after it.  The
# fuzzer prints its own TAP lines and always ends within -t seconds.
#   FASTIPC_FUZZ_SEED  seed (default 1: the same run every time)
#   FASTIPC_FUZZ_TIME  time limit in seconds (default 100)
#   FASTIPC_FUZZ_OPS   operations (default 20000; the time limit usually
#                      ends a run on the debug kernel first)
#   FASTIPC_FUZZ_SCALE time scale of every limit (default 1; make
#                      check-debug: 10, its kernel is that much slower)
#   FASTIPC_FUZZ_ARGS  more options; by default the death storm (spec
#                      item 11, which wedges the old module's kernel) is
#                      left out: set it to "" once the module is hardened
exec ./tests/.fuzz/fastipc-fuzz -s "${FASTIPC_FUZZ_SEED:-1}" \
	-t "${FASTIPC_FUZZ_TIME:-100}" -n "${FASTIPC_FUZZ_OPS:-20000}" \
	-w 40 -z "${FASTIPC_FUZZ_SCALE:-1}" ${FASTIPC_FUZZ_ARGS--x death_storm}
