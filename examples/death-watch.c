// SPDX-License-Identifier: MIT
/*
 * death-watch: a client learns that its server died and reconnects.
 *
 *   death-watch server   context manager: HELLO hands out a handle to its
 *                        service node, which answers PING with its pid
 *   death-watch client   connects, watches the service for death, waits;
 *                        when it dies, connects to the next server
 *
 * Death notices arrive as records on the peer: this single-threaded client
 * waits for them with fastipc_dispatch(), which runs the callback.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "example.h"

#define CODE_HELLO	1
#define CODE_PING	2

static uint32_t service_node;

static int manager(struct fastipc_txn *txn, void *cookie)
{
	struct fastipc_msg reply = { .handles = &service_node, .n_handles = 1 };

	return fastipc_reply(txn, &reply);
}

static int service(struct fastipc_txn *txn, void *cookie)
{
	struct fastipc_msg reply = { .code = (uint64_t)getpid() };

	return fastipc_reply(txn, &reply);
}

static int run_server(struct fastipc_peer *p)
{
	uint32_t node;
	int ret;

	ret = fastipc_node_create(p, service, NULL, NULL, &service_node);
	if (!ret)
		ret = fastipc_node_create(p, manager, NULL, NULL, &node);
	if (!ret)
		ret = ex_become_mgr(p, node);
	if (!ret) {
		printf("death-watch: server %d ready\n", getpid());
		fflush(stdout);
		ret = fastipc_loop(p);
	}
	return ret;
}

static bool died;

static void on_death(struct fastipc_peer *p, uint32_t handle, void *arg)
{
	printf("death-watch: server %llu died\n",
	       (unsigned long long)*(uint64_t *)arg);
	fastipc_handle_release(p, handle);
	died = true;
}

/* Get a handle to the current server's service, watch it, ping it. */
static int connect_server(struct fastipc_peer *p, uint64_t *pid)
{
	struct fastipc_msg hello = { .code = CODE_HELLO };
	struct fastipc_msg ping = { .code = CODE_PING };
	struct fastipc_reply reply;
	uint32_t h;
	int i, ret;

	/* The old manager may still be registered while it dies. */
	for (i = 0; i < 1000; i++) {
		ret = ex_call_mgr(p, &hello, &reply);
		if (ret != -EPIPE)
			break;
		ex_msleep(10);
	}
	if (ret)
		return ret;
	if (reply.n_handles != 1) {
		fastipc_reply_release(p, &reply);
		return -EPROTO;
	}
	h = reply.handles[0];
	fastipc_reply_release(p, &reply);
	ret = fastipc_call(p, h, &ping, &reply);
	if (ret)
		return ret;
	*pid = reply.code;
	died = false;
	return fastipc_death_watch(p, h, on_death, pid, NULL);
}

static int run_client(struct fastipc_peer *p)
{
	uint64_t first, second;
	int ret;

	ret = connect_server(p, &first);
	if (ret)
		return ret;
	printf("death-watch: connected to server %llu\n",
	       (unsigned long long)first);
	fflush(stdout);
	while (!died) {
		ret = fastipc_dispatch(p, FASTIPC_DISPATCH_WAIT);
		if (ret < 0)
			return ret;
	}
	ret = connect_server(p, &second);
	if (ret)
		return ret;
	printf("death-watch: reconnected to server %llu\n",
	       (unsigned long long)second);
	return first != second ? 0 : -EPROTO;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct fastipc_peer *p;
	int ret;

	ret = fastipc_peer_open(&p, NULL);
	if (ret) {
		fprintf(stderr, "death-watch: open: %s\n", strerror(-ret));
		return 1;
	}
	if (!strcmp(mode, "server")) {
		ret = run_server(p);
	} else if (!strcmp(mode, "client")) {
		ret = run_client(p);
	} else {
		fprintf(stderr, "usage: death-watch server | client\n");
		ret = -EINVAL;
	}
	if (ret)
		fprintf(stderr, "death-watch %s: %s\n", mode, strerror(-ret));
	fastipc_peer_close(p);
	return ret ? 1 : 0;
}
