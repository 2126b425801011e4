// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: one binary, three roles: the driver (no role argument),
 * a worker (--worker SLOT INCARNATION, started by the driver or by a
 * worker re-executing itself) and the exec probe of a forked child
 * (--probe-exec FD).
 */
#include <stdlib.h>

#include "fuzz.h"

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "--worker"))
		return fz_worker_main(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 2 && !strcmp(argv[1], "--probe-exec"))
		return fz_probe_exec_main(argc, argv);
	return fz_driver_main(argc, argv);
}
