// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libfastipc: the version of the library that runs.
 */
#include "internal.h"

unsigned int fastipc_lib_version(void)
{
	return FASTIPC_LIB_VERSION_CODE;
}
