// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libfastipc: nodes, handle references, export and import, the context
 * manager.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "internal.h"

#define FIPC_NODE_FLAGS	(FASTIPC_NODE_ACCEPT_FDS | FASTIPC_NODE_INHERIT_RT | \
			 FASTIPC_NODE_MIN_PRIO | FASTIPC_NODE_ACCEPT_SIGNALS)
#define FIPC_PRIO_FLAGS	(FASTIPC_NODE_INHERIT_RT | FASTIPC_NODE_MIN_PRIO)

int fastipc_node_create(struct fastipc_peer *peer, fastipc_handler_fn handler,
			void *cookie, const struct fastipc_node_opts *opts,
			uint32_t *handle)
{
	static const struct fastipc_node_opts defaults;
	struct fastipc_node_create nc = { 0 };
	struct fipc_node *node;

	if (handle)
		*handle = 0;
	if (!peer || !handler || !handle)
		return -EINVAL;
	if (!opts)
		opts = &defaults;
	if ((opts->flags & ~FIPC_NODE_FLAGS) || opts->reserved)
		return -EINVAL;
	if (!(opts->flags & FASTIPC_NODE_MIN_PRIO) &&
	    (opts->min_policy || opts->min_priority))
		return -EINVAL;
	if ((opts->flags & FIPC_PRIO_FLAGS) &&
	    !(peer->features & FASTIPC_FEAT_PRIO))
		return -EOPNOTSUPP;
	if ((opts->flags & FASTIPC_NODE_ACCEPT_SIGNALS) &&
	    !(peer->features & FASTIPC_FEAT_SIGNAL))
		return -EOPNOTSUPP;
	node = calloc(1, sizeof(*node));
	if (!node)
		return -ENOMEM;
	node->handler = handler;
	node->cookie = cookie;
	node->released = opts->released;
	node->flags = opts->flags;
	nc.flags = opts->flags;
	nc.cookie = fipc_u64(node);
	nc.min_policy = (uint32_t)opts->min_policy;
	nc.min_priority = opts->min_priority;
	if (ioctl(peer->fd, FASTIPC_IOC_NODE_CREATE, &nc)) {
		int ret = -errno;

		free(node);
		return ret;
	}
	node->handle = nc.handle;
	pthread_mutex_lock(&peer->lock);
	node->next = peer->nodes;
	peer->nodes = node;
	pthread_mutex_unlock(&peer->lock);
	*handle = nc.handle;
	return 0;
}

void __fastipc_nodes_free(struct fastipc_peer *peer)
{
	struct fipc_node *node;

	while ((node = peer->nodes)) {
		peer->nodes = node->next;
		free(node);
	}
}

int fastipc_handle_acquire(struct fastipc_peer *peer, uint32_t handle)
{
	if (!peer)
		return -EINVAL;
	return __fastipc_cmd1(peer, FASTIPC_CMD_ACQUIRE, handle, 0);
}

int fastipc_handle_release(struct fastipc_peer *peer, uint32_t handle)
{
	if (!peer)
		return -EINVAL;
	return __fastipc_cmd1(peer, FASTIPC_CMD_RELEASE, handle, 0);
}

int fastipc_handle_export(struct fastipc_peer *peer, uint32_t handle)
{
	struct fastipc_handle_fd hf = { .handle = handle, .fd = -1 };

	if (!peer)
		return -EINVAL;
	if (ioctl(peer->fd, FASTIPC_IOC_HANDLE_EXPORT, &hf))
		return -errno;
	return hf.fd;
}

int fastipc_handle_import(struct fastipc_peer *peer, int fd,
			  uint32_t *handle)
{
	struct fastipc_handle_fd hf = { .fd = fd };

	if (!peer || !handle)
		return -EINVAL;
	*handle = 0;
	if (ioctl(peer->fd, FASTIPC_IOC_HANDLE_IMPORT, &hf))
		return -errno;
	*handle = hf.handle;
	return 0;
}

int fastipc_context_mgr_set(struct fastipc_peer *peer, uint32_t handle)
{
	uint32_t h = handle;

	if (!peer)
		return -EINVAL;
	return ioctl(peer->fd, FASTIPC_IOC_SET_CONTEXT_MGR, &h) ? -errno : 0;
}

int fastipc_context_mgr_get(struct fastipc_peer *peer, uint32_t *handle)
{
	if (!peer || !handle)
		return -EINVAL;
	*handle = FASTIPC_HANDLE_CONTEXT_MGR;
	return 0;
}
