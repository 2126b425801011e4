// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libfastipc: notification bits.  fastipc_signal() sends them;
 * __fastipc_handle_record() hands a SIGNAL record of one of our nodes to
 * the callback fastipc_node_on_signal() set (node->signalled, read and
 * written atomically: a looper may be reading it while it is set).
 */
#include <errno.h>

#include "internal.h"

int fastipc_signal(struct fastipc_peer *peer, uint32_t handle, uint64_t mask)
{
	if (!peer || !mask)
		return -EINVAL;
	if (!(peer->features & FASTIPC_FEAT_SIGNAL))
		return -EOPNOTSUPP;
	return __fastipc_cmd1(peer, FASTIPC_CMD_SIGNAL, handle, mask);
}

int fastipc_node_on_signal(struct fastipc_peer *peer, uint32_t handle,
			   fastipc_signal_fn fn)
{
	struct fipc_node *node;
	int ret = -ENOENT;

	if (!peer || !handle)
		return -EINVAL;
	pthread_mutex_lock(&peer->lock);
	for (node = peer->nodes; node; node = node->next) {
		if (node->handle != handle)
			continue;
		if (node->flags & FASTIPC_NODE_ACCEPT_SIGNALS) {
			__atomic_store_n(&node->signalled, fn,
					 __ATOMIC_RELEASE);
			ret = 0;
		} else {
			ret = -EINVAL;
		}
		break;
	}
	pthread_mutex_unlock(&peer->lock);
	return ret;
}

void __fastipc_signal_deliver(struct fastipc_peer *peer,
			      const struct fastipc_ret *r)
{
	struct fipc_node *node = (struct fipc_node *)(uintptr_t)r->cookie;
	fastipc_signal_fn fn = __atomic_load_n(&node->signalled,
					       __ATOMIC_ACQUIRE);

	if (fn)
		fn(peer, node->handle, r->code, node->cookie);
}
