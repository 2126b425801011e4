/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libfastipc internals shared by the source files; nothing here is
 * exported.
 */
#ifndef _FASTIPC_INTERNAL_H
#define _FASTIPC_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

/* The API keeps default visibility; everything else is hidden. */
#pragma GCC visibility push(default)
#include "fastipc.h"
#pragma GCC visibility pop

#define FIPC_CMD_SIZE	sizeof(struct fastipc_cmd)
#define FIPC_RET_SIZE	sizeof(struct fastipc_ret)

/**
 * struct fipc_node - a node created through the library.
 * @handler: its handler.
 * @cookie: the user's cookie.
 * @released: node-released callback or NULL.
 * @signalled: fastipc_node_on_signal()'s callback or NULL; atomic.
 * @handle: the owner's handle.
 * @flags: the %FASTIPC_NODE_* flags it was created with.
 * @next: list of the peer's nodes (freed at close).
 */
struct fipc_node {
	fastipc_handler_fn handler;
	void *cookie;
	fastipc_released_fn released;
	fastipc_signal_fn signalled;
	uint32_t handle;
	uint32_t flags;
	struct fipc_node *next;
};

/**
 * struct fipc_death - a death watch; the kernel cookie is @id.
 * @id: unique per peer, never zero.
 * @handle: the watched handle.
 * @fn: the callback.
 * @arg: its argument.
 * @next: list of the peer's watches.
 */
struct fipc_death {
	uint64_t id;
	uint32_t handle;
	fastipc_death_fn fn;
	void *arg;
	struct fipc_death *next;
};

/**
 * struct fastipc_peer - one open of the device.
 * @fd: the descriptor.
 * @area: the mapped receive area.
 * @area_size: its size.
 * @features: %FASTIPC_FEAT_* of the module.
 * @max_threads: limit of loopers.
 * @key: thread-specific key whose destructor sends LOOPER_EXIT.
 * @lock: protects what follows.
 * @cond: signalled when @loopers drops.
 * @nodes: nodes created through the library.
 * @deaths: live death watches.
 * @next_death: the next watch ID.
 * @loopers: threads in or started by fastipc_loop().
 * @spawn_owed: spawn requests of the kernel not acted upon yet.
 * @stopping: fastipc_loop_stop() was called.
 * @ctl_handle: handle of the private node used to wake loopers, 0: none.
 * @ctl: its address is the private node's cookie.
 */
struct fastipc_peer {
	int fd;
	void *area;
	size_t area_size;
	uint64_t features;
	unsigned int max_threads;
	pthread_key_t key;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct fipc_node *nodes;
	struct fipc_death *deaths;
	uint64_t next_death;
	unsigned int loopers;
	unsigned int spawn_owed;
	bool stopping;
	uint32_t ctl_handle;
	char ctl;
};

/**
 * struct fipc_worker - state of a looper thread.
 * @cmds: commands to send with the next wait.
 * @ncmds: entries used in @cmds.
 * @reply_pending: @cmds holds a deferred reply using @buf.
 * @buf: copy of a deferred reply's payload.
 */
struct fipc_worker {
	struct fastipc_cmd cmds[4];
	unsigned int ncmds;
	bool reply_pending;
	unsigned char buf[FASTIPC_REPLY_DEFER_MAX];
};

/* Private fields of struct fastipc_txn. */
#define TXN_WORKER(t)	((t)->__priv[0])
#define TXN_STATE(t)	((t)->__priv[1])
#define TXN_ANSWERED	((void *)1)

static inline uint64_t fipc_u64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/*
 * Internal helpers, global in libfastipc.a: named __fastipc_* so that they
 * cannot clash with an application's names (hidden in the .so).
 */

/* peer.c */
void __fastipc_thread_register(struct fastipc_peer *peer);
int __fastipc_wr(struct fastipc_peer *peer, struct fastipc_write_read *wr);
int __fastipc_write(struct fastipc_peer *peer,
		    const struct fastipc_cmd *cmds, unsigned int n);
int __fastipc_cmd1(struct fastipc_peer *peer, uint32_t op, uint32_t handle,
		   uint64_t arg);

/* call.c */
int __fastipc_msg_fill(struct fastipc_cmd *c, const struct fastipc_msg *msg);
void __fastipc_view(struct fastipc_peer *peer, const struct fastipc_ret *r,
		    const void **data, const uint32_t **handles,
		    const int **fds);
int __fastipc_fill_reply(struct fastipc_peer *peer,
			 const struct fastipc_ret *r,
			 struct fastipc_reply *reply);

/* server.c */
int __fastipc_handle_record(struct fastipc_peer *peer,
			    struct fastipc_ret *r, struct fipc_worker *w);
void __fastipc_nodes_free(struct fastipc_peer *peer);

/* death.c */
void __fastipc_death_deliver(struct fastipc_peer *peer, uint64_t id);
void __fastipc_signal_deliver(struct fastipc_peer *peer,
			      const struct fastipc_ret *r);
void __fastipc_deaths_free(struct fastipc_peer *peer);

#endif /* _FASTIPC_INTERNAL_H */
