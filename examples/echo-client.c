// SPDX-License-Identifier: MIT
/*
 * echo-client: the hello world of libfastipc, client side.  It calls the
 * context manager (handle 0) with its argument and prints the reply;
 * "--quit" asks the server to stop.
 */
#include <stdio.h>
#include <string.h>

#include "example.h"

#define CODE_ECHO	1
#define CODE_QUIT	2

int main(int argc, char **argv)
{
	const char *text = argc > 1 ? argv[1] : "hello, fastipc";
	struct iovec iov = { (void *)text, strlen(text) };
	struct fastipc_msg msg = { .code = CODE_ECHO, .iov = &iov,
				   .iov_count = 1 };
	struct fastipc_reply reply;
	struct fastipc_peer *p;
	int ret;

	if (!strcmp(text, "--quit"))
		msg.code = CODE_QUIT;
	ret = fastipc_peer_open(&p, NULL);
	if (ret) {
		fprintf(stderr, "echo-client: open: %s\n", strerror(-ret));
		return 1;
	}
	ret = ex_call_mgr(p, &msg, &reply);
	if (ret) {
		fprintf(stderr, "echo-client: call: %s (%s)\n", strerror(-ret),
			fastipc_strreason(reply.reason));
		fastipc_peer_close(p);
		return 1;
	}
	printf("echo-client: reply (txn %llu): %.*s\n",
	       (unsigned long long)reply.txn_id, (int)reply.len,
	       (const char *)reply.data);
	ret = reply.len == iov.iov_len && !memcmp(reply.data, text, reply.len);
	fastipc_reply_release(p, &reply);
	fastipc_peer_close(p);
	return ret ? 0 : 1;
}
