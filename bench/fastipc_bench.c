// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench: the benchmark driver run inside the guest.
 *
 *   fastipc-bench latency [-q] [-r ROUNDS] [-x FACTOR] [-M MAX] [-l LABEL]
 *   fastipc-bench scale   [-q] [-d SECONDS] [-r ROUNDS]
 *   fastipc-bench handles [-q] [-n HANDLES]
 *   fastipc-bench prio    [-q] [-n CALLS]
 *   fastipc-bench inflight [-q] [-t SECONDS] [-r ROUNDS] [-s THREADS]
 *                          [-F ring|sync|binder -X K -D req|rep] [N...]
 *   fastipc-bench notify  [-r ROUNDS] [-n PINGPONGS] [-b BURST]
 *
 * Human notes go to stdout as "# ..." lines; results as "@B ..." lines of
 * key=value pairs that tools/bench-report.py turns into JSON and tables.
 * Exit status: 0, or 1 when anything failed, wrong payload bytes above all.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr,
			"usage: fastipc-bench latency|scale|handles|prio|inflight|notify [options]\n");
		return 2;
	}
	if (!strcmp(argv[1], "latency"))
		return cmd_latency(argc - 1, argv + 1);
	if (!strcmp(argv[1], "scale"))
		return cmd_scale(argc - 1, argv + 1);
	if (!strcmp(argv[1], "handles"))
		return cmd_handles(argc - 1, argv + 1);
	if (!strcmp(argv[1], "prio"))
		return cmd_prio(argc - 1, argv + 1);
	if (!strcmp(argv[1], "inflight"))
		return cmd_inflight(argc - 1, argv + 1);
	if (!strcmp(argv[1], "notify"))
		return cmd_notify(argc - 1, argv + 1);
	fprintf(stderr, "fastipc-bench: unknown command %s\n", argv[1]);
	return 2;
}
