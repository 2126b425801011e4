// SPDX-License-Identifier: GPL-2.0
/*
 * An external program built against an installed libfastipc-protobuf with
 * $(pkg-config --cflags --libs fastipc-protobuf) and the example service:
 * serves it on a node.  Without the module it says so and exits 0; any
 * other failure exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <fastipc-protobuf.h>

#include "demo-service.h"

int main(void)
{
	struct fastipc_peer *p;
	uint32_t node;
	int ret;

	ret = fastipc_peer_open(&p, NULL);
	if (ret == -ENOENT) {
		printf("no /dev/fastipc: module not loaded\n");
		return 0;
	}
	if (!ret)
		ret = fastipc_pb_node_create(p, &demo_service.base, NULL, &node);
	printf("%s: %s\n", demo_service.base.descriptor->name, strerror(-ret));
	fastipc_peer_close(p);
	return ret ? 1 : 0;
}
