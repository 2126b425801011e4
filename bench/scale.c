// SPDX-License-Identifier: GPL-2.0
#include "bench.h"
int cmd_scale(int argc, char **argv)
{
	return 2;
}
