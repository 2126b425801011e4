// SPDX-License-Identifier: GPL-2.0
/*
 * An external program built against an installed libfastipc with
 * $(pkg-config --cflags --libs fastipc): prints the library's view of the
 * module.  Without the module it reports that and exits 0; any other
 * failure exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <fastipc.h>

int main(void)
{
	struct fastipc_peer *p;
	int ret;

	printf("libfastipc %d.%d.%d (running 0x%06x), reason %u is \"%s\"\n",
	       FASTIPC_LIB_MAJOR, FASTIPC_LIB_MINOR, FASTIPC_LIB_PATCH,
	       fastipc_lib_version(), FASTIPC_REASON_TIMED_OUT,
	       fastipc_strreason(FASTIPC_REASON_TIMED_OUT));
	if (fastipc_lib_version() != FASTIPC_LIB_VERSION_CODE) {
		printf("the library is not the one of the header\n");
		return 1;
	}
	ret = fastipc_peer_open(&p, NULL);
	if (ret == -ENOENT) {
		printf("no /dev/fastipc: module not loaded\n");
		return 0;
	}
	if (ret) {
		printf("fastipc_peer_open: %s\n", strerror(-ret));
		return 1;
	}
	printf("module features 0x%llx\n",
	       (unsigned long long)fastipc_peer_features(p));
	fastipc_peer_close(p);
	return 0;
}
