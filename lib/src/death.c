// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libfastipc: death notifications as callbacks.  The kernel cookie of a
 * request is a per-peer watch ID, looked up when the notice comes, so that
 * a watch cancelled meanwhile is never called.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

/* Unlink the watch @id.  peer->lock held.  Return: it, or NULL. */
static struct fipc_death *fipc_death_take(struct fastipc_peer *peer,
					  uint64_t id)
{
	struct fipc_death **pp, *d;

	for (pp = &peer->deaths; (d = *pp); pp = &d->next) {
		if (d->id == id) {
			*pp = d->next;
			return d;
		}
	}
	return NULL;
}

int fastipc_death_watch(struct fastipc_peer *peer, uint32_t handle,
			fastipc_death_fn fn, void *arg, uint64_t *id)
{
	struct fipc_death *d;
	uint64_t did;
	int ret;

	if (id)
		*id = 0;
	if (!peer || !fn)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->handle = handle;
	d->fn = fn;
	d->arg = arg;
	pthread_mutex_lock(&peer->lock);
	did = peer->next_death++;
	d->id = did;
	d->next = peer->deaths;
	peer->deaths = d;
	pthread_mutex_unlock(&peer->lock);
	ret = __fastipc_cmd1(peer, FASTIPC_CMD_REQUEST_DEATH, handle, did);
	if (ret) {
		pthread_mutex_lock(&peer->lock);
		d = fipc_death_take(peer, did);
		pthread_mutex_unlock(&peer->lock);
		free(d);
		return ret;
	}
	if (id)
		*id = did;
	return 0;
}

int fastipc_death_unwatch(struct fastipc_peer *peer, uint64_t id)
{
	struct fipc_death *d;
	int ret;

	if (!peer)
		return -EINVAL;
	pthread_mutex_lock(&peer->lock);
	d = fipc_death_take(peer, id);
	pthread_mutex_unlock(&peer->lock);
	if (!d)
		return -ENOENT;
	ret = __fastipc_cmd1(peer, FASTIPC_CMD_CLEAR_DEATH, d->handle, id);
	free(d);
	return ret;
}

void __fastipc_death_deliver(struct fastipc_peer *peer, uint64_t id)
{
	struct fipc_death *d;

	pthread_mutex_lock(&peer->lock);
	d = fipc_death_take(peer, id);
	pthread_mutex_unlock(&peer->lock);
	if (!d)
		return;
	/* Let the kernel forget the request before the handle may go. */
	__fastipc_cmd1(peer, FASTIPC_CMD_CLEAR_DEATH, d->handle, id);
	d->fn(peer, d->handle, d->arg);
	free(d);
}

void __fastipc_deaths_free(struct fastipc_peer *peer)
{
	struct fipc_death *d;

	while ((d = peer->deaths)) {
		peer->deaths = d->next;
		free(d);
	}
}
