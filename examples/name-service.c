// SPDX-License-Identifier: MIT
/*
 * name-service: a tiny name service showing handle passing.
 *
 *   name-service registry        the context manager: a name -> handle table
 *   name-service provide NAME    a service: registers its node as NAME, serves
 *   name-service lookup NAME     a client: looks NAME up, calls the service
 *   name-service quit NAME       stop the service NAME (or the registry)
 *
 * The registry keeps one reference on every handle it is given and hands
 * the handle on in its LOOKUP replies; the kernel translates it into a
 * handle of the asking process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "example.h"

#define CODE_REGISTER	1	/* payload: name; one handle */
#define CODE_LOOKUP	2	/* payload: name; reply: one handle */
#define CODE_HELLO	3	/* to a service */
#define CODE_QUIT	4

#define MAX_NAMES	16
#define NAME_LEN	32

static struct {
	char name[NAME_LEN];
	uint32_t handle;
} table[MAX_NAMES];

static int find(const void *name, size_t len)
{
	int i;

	for (i = 0; i < MAX_NAMES; i++)
		if (table[i].handle && strlen(table[i].name) == len &&
		    !memcmp(table[i].name, name, len))
			return i;
	return -1;
}

static int free_slot(void)
{
	int i;

	for (i = 0; i < MAX_NAMES; i++)
		if (!table[i].handle)
			return i;
	return -1;
}

static int registry_handler(struct fastipc_txn *txn, void *cookie)
{
	struct fastipc_msg reply = { 0 };
	int i;

	if (txn->len >= NAME_LEN)
		return -ENAMETOOLONG;
	switch (txn->code) {
	case CODE_REGISTER:
		if (txn->n_handles != 1)
			return -EINVAL;
		i = find(txn->data, txn->len) < 0 ? free_slot() : -1;
		if (i < 0) {
			fastipc_handle_release(txn->peer, txn->handles[0]);
			return -EEXIST;
		}
		memcpy(table[i].name, txn->data, txn->len);
		table[i].name[txn->len] = 0;
		table[i].handle = txn->handles[0];	/* keep the reference */
		printf("registry: %s is handle %u\n", table[i].name,
		       table[i].handle);
		return 0;
	case CODE_LOOKUP:
		i = find(txn->data, txn->len);
		if (i < 0)
			return -ENOENT;
		reply.handles = &table[i].handle;
		reply.n_handles = 1;
		return fastipc_reply(txn, &reply);
	case CODE_QUIT:
		fastipc_loop_stop(txn->peer);
		return 0;
	}
	return -EOPNOTSUPP;
}

static int service(struct fastipc_txn *txn, void *cookie)
{
	char text[64];
	struct iovec iov = { text, 0 };
	struct fastipc_msg reply = { .iov = &iov, .iov_count = 1 };

	if (txn->code == CODE_QUIT) {
		fastipc_loop_stop(txn->peer);
		return 0;
	}
	iov.iov_len = snprintf(text, sizeof(text), "%s says hello to pid %d",
			       (const char *)cookie, txn->sender_pid);
	return fastipc_reply(txn, &reply);
}

static int name_msg(struct fastipc_peer *p, uint32_t handle, uint64_t code,
		    const char *name, const uint32_t *h,
		    struct fastipc_reply *reply)
{
	struct iovec iov = { (void *)name, strlen(name) };
	struct fastipc_msg msg = { .code = code, .iov = &iov, .iov_count = 1,
				   .handles = h, .n_handles = h ? 1 : 0 };

	if (handle == FASTIPC_HANDLE_CONTEXT_MGR)
		return ex_call_mgr(p, &msg, reply);
	return fastipc_call(p, handle, &msg, reply);
}

/* Look @name up, waiting up to 10 s for it to be registered. */
static int lookup(struct fastipc_peer *p, const char *name, bool wait,
		  uint32_t *h)
{
	struct fastipc_reply reply;
	int i, ret;

	for (i = 0; i < 1000; i++) {
		ret = name_msg(p, 0, CODE_LOOKUP, name, NULL, &reply);
		if (ret != -ENOENT || !wait)
			break;
		ex_msleep(10);
	}
	if (ret)
		return ret;
	if (reply.n_handles != 1)
		return -EPROTO;
	*h = reply.handles[0];	/* ours now, one reference */
	return fastipc_reply_release(p, &reply);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	const char *name = argc > 2 ? argv[2] : "";
	struct fastipc_reply reply;
	struct fastipc_peer *p;
	uint32_t node, h;
	int ret;

	ret = fastipc_peer_open(&p, NULL);
	if (ret) {
		fprintf(stderr, "name-service: open: %s\n", strerror(-ret));
		return 1;
	}
	if (!strcmp(mode, "registry")) {
		ret = fastipc_node_create(p, registry_handler, NULL, NULL,
					  &node);
		if (!ret)
			ret = ex_become_mgr(p, node);
		if (!ret)
			ret = fastipc_loop(p);
	} else if (!strcmp(mode, "provide") && *name) {
		ret = fastipc_node_create(p, service, (void *)name, NULL,
					  &node);
		if (!ret)
			ret = name_msg(p, 0, CODE_REGISTER, name, &node,
				       &reply);
		if (!ret)
			ret = fastipc_loop(p);
	} else if (!strcmp(mode, "lookup") && *name) {
		ret = lookup(p, name, false, &h);
		if (!ret)
			ret = name_msg(p, h, CODE_HELLO, "", NULL, &reply);
		if (!ret) {
			printf("lookup: %s is handle %u: %.*s\n", name, h,
			       (int)reply.len, (const char *)reply.data);
			fastipc_reply_release(p, &reply);
			fastipc_handle_release(p, h);
		}
	} else if (!strcmp(mode, "quit") && !strcmp(name, "registry")) {
		ret = name_msg(p, 0, CODE_QUIT, "", NULL, &reply);
	} else if (!strcmp(mode, "quit") && *name) {
		ret = lookup(p, name, true, &h);
		if (!ret)
			ret = fastipc_send(p, h, &(struct fastipc_msg){
						.code = CODE_QUIT });
	} else {
		fprintf(stderr, "usage: name-service registry|provide N|lookup N|quit N\n");
		ret = -EINVAL;
	}
	if (ret)
		fprintf(stderr, "name-service %s %s: %s\n", mode, name,
			strerror(-ret));
	fastipc_peer_close(p);
	return ret ? 1 : 0;
}
