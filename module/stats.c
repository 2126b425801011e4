// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - device-wide state: the live object counters, the event
 * counters and the list of peers, as debugfs shows them.
 *
 * Rules:
 *  - fastipc_stats[] count live objects: each is incremented where the
 *    object becomes visible and decremented where it is freed, so every
 *    suite ends with all of them at 0.  Atomic, no lock.
 *  - fastipc_counters[] count events and only grow.
 *  - fastipc_peers lists every peer from open to release, under
 *    fastipc_peers_lock (a mutex: the walk prints and may sleep).  A
 *    peer on the list is alive: it leaves the list before its last put.
 */
#include <linux/pid.h>
#include <linux/seq_file.h>

#include "internal.h"

atomic_long_t fastipc_stats[FASTIPC_STAT_NR];
atomic_long_t fastipc_counters[FASTIPC_COUNT_NR];

static DEFINE_MUTEX(fastipc_peers_lock);
static LIST_HEAD(fastipc_peers);

void fastipc_peer_list_add(struct fastipc_peer *peer)
{
	mutex_lock(&fastipc_peers_lock);
	list_add_tail(&peer->peer_entry, &fastipc_peers);
	mutex_unlock(&fastipc_peers_lock);
}

void fastipc_peer_list_del(struct fastipc_peer *peer)
{
	mutex_lock(&fastipc_peers_lock);
	list_del(&peer->peer_entry);
	mutex_unlock(&fastipc_peers_lock);
}

/**
 * fastipc_peer_list_show() - one line per peer, for debugfs "state".
 * @m: the seq_file.
 */
void fastipc_peer_list_show(struct seq_file *m)
{
	struct fastipc_peer *peer;

	mutex_lock(&fastipc_peers_lock);
	list_for_each_entry(peer, &fastipc_peers, peer_entry) {
		spin_lock(&peer->lock);
		seq_printf(m, "peer pid %d%s area %zu buffers %u oneway %zu queued %u loopers %u spawn %u handles %u\n",
			   pid_nr(peer->pid), peer->dead ? " dead" : "",
			   peer->area.size, peer->area.buffers,
			   peer->area.oneway_bytes, peer->oneway_queued,
			   peer->loopers, peer->spawn_requested,
			   peer->nr_handles);
		spin_unlock(&peer->lock);
		cond_resched();
	}
	mutex_unlock(&fastipc_peers_lock);
}

/**
 * fastipc_peer_list_walk() - call @fn on every peer, rescheduling between.
 * @fn: called with no fastipc lock held but the list's mutex; it may not
 *	sleep long (uring.c's monitor).
 */
void fastipc_peer_list_walk(void (*fn)(struct fastipc_peer *peer))
{
	struct fastipc_peer *peer;

	mutex_lock(&fastipc_peers_lock);
	list_for_each_entry(peer, &fastipc_peers, peer_entry) {
		fn(peer);
		cond_resched();
	}
	mutex_unlock(&fastipc_peers_lock);
}
