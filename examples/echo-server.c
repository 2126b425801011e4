// SPDX-License-Identifier: MIT
/*
 * echo-server: the hello world of libfastipc, server side.  It becomes the
 * context manager (handle 0 for every peer) and answers every call with
 * the payload it got; code 2 makes it stop.  Needs CAP_SYS_ADMIN.
 */
#include <stdio.h>
#include <string.h>

#include <fastipc.h>

#define CODE_ECHO	1
#define CODE_QUIT	2

static int echo(struct fastipc_txn *txn, void *cookie)
{
	struct iovec iov = { (void *)txn->data, txn->len };
	struct fastipc_msg reply = {
		.code = txn->code, .iov = &iov, .iov_count = 1,
	};

	if (txn->code == CODE_QUIT)
		fastipc_loop_stop(txn->peer);
	return fastipc_reply(txn, &reply);
}

int main(void)
{
	struct fastipc_peer *p;
	uint32_t node;
	int ret;

	ret = fastipc_peer_open(&p, NULL);
	if (ret) {
		fprintf(stderr, "echo-server: open: %s\n", strerror(-ret));
		return 1;
	}
	ret = fastipc_node_create(p, echo, NULL, NULL, &node);
	if (!ret)
		ret = fastipc_context_mgr_set(p, node);
	if (!ret) {
		printf("echo-server: ready\n");
		fflush(stdout);
		ret = fastipc_loop(p);
	}
	if (ret)
		fprintf(stderr, "echo-server: %s\n", strerror(-ret));
	fastipc_peer_close(p);
	return ret ? 1 : 0;
}
