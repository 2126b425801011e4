// SPDX-License-Identifier: MIT
/*
 * fd-pass: a server hands a client a file it opened.
 *
 *   fd-pass server FILE   context manager: every call gets FILE, opened
 *                         read-only by the server; code 2 stops it
 *   fd-pass client        prints what it reads from the descriptor it got
 *   fd-pass quit
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "example.h"

#define CODE_OPEN	1
#define CODE_QUIT	2

static int serve(struct fastipc_txn *txn, void *cookie)
{
	struct fastipc_msg reply = { .n_fds = 1 };
	int fd, ret;

	if (txn->code == CODE_QUIT) {
		fastipc_loop_stop(txn->peer);
		return 0;
	}
	fd = open(cookie, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	reply.fds = &fd;
	/* The kernel takes the file now: our descriptor can go. */
	ret = fastipc_reply(txn, &reply);
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct fastipc_node_opts opts = { .flags = FASTIPC_NODE_ACCEPT_FDS };
	struct fastipc_msg msg = { .code = CODE_OPEN };
	struct fastipc_reply reply;
	struct fastipc_peer *p;
	char buf[256];
	uint32_t node;
	ssize_t n;
	int ret;

	ret = fastipc_peer_open(&p, NULL);
	if (ret) {
		fprintf(stderr, "fd-pass: open: %s\n", strerror(-ret));
		return 1;
	}
	if (!strcmp(mode, "server") && argc > 2) {
		ret = fastipc_node_create(p, serve, argv[2], &opts, &node);
		if (!ret)
			ret = ex_become_mgr(p, node);
		if (!ret)
			ret = fastipc_loop(p);
	} else if (!strcmp(mode, "client")) {
		ret = ex_call_mgr(p, &msg, &reply);
		if (!ret && (reply.n_fds != 1 || reply.fds[0] < 0))
			ret = -EBADMSG;
		if (!ret) {
			int fd = reply.fds[0];

			fastipc_reply_release(p, &reply);
			n = read(fd, buf, sizeof(buf) - 1);
			if (n < 0)
				ret = -errno;
			else
				printf("fd-pass: got fd %d: %.*s", fd, (int)n,
				       buf);
			close(fd);
		}
	} else if (!strcmp(mode, "quit")) {
		msg.code = CODE_QUIT;
		ret = ex_call_mgr(p, &msg, &reply);
	} else {
		fprintf(stderr, "usage: fd-pass server FILE | client | quit\n");
		ret = -EINVAL;
	}
	if (ret)
		fprintf(stderr, "fd-pass %s: %s\n", mode, strerror(-ret));
	fastipc_peer_close(p);
	return ret ? 1 : 0;
}
