// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - peers: one per open of the device; their death and release.
 *
 * Rules:
 *  - A peer is counted (kref) by its file, each of its nodes, each
 *    transaction to or from it, and each sender in the middle of a
 *    hand-off to one of its threads (queue.c, rule 4).  The last put frees
 *    it with its area; by then no list of it holds anything.
 *  - The peer dies once (peer->dead under peer->lock): when its owner's
 *    address space goes (the area's vma closed at exit/exec, flush from
 *    the exiting owner, a send finding the owner's mm without users), on
 *    munmap of its area, and at release.  Death may run concurrently with
 *    the peer's own ioctls in sibling threads and with senders: queue.c's
 *    rules make that safe.  It may run with the mmap_lock held (vma
 *    close), so it never takes it.
 *  - Release (last close of the file) runs after every ioctl of the file
 *    returned: it drops the references the peer holds and forgets its
 *    threads.  Every walk rescheduled: handles, nodes, threads and work
 *    are user-controlled lengths.
 */
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "internal.h"

static atomic_long_t fastipc_next_peer_id = ATOMIC_LONG_INIT(0);

struct fastipc_peer *fastipc_peer_create(void)
{
	struct fastipc_peer *peer;

	peer = kzalloc(sizeof(*peer), FASTIPC_GFP);
	if (!peer)
		return NULL;
	kref_init(&peer->kref);
	spin_lock_init(&peer->lock);
	mutex_init(&peer->refs_lock);
	peer->id = atomic_long_inc_return(&fastipc_next_peer_id);
	INIT_LIST_HEAD(&peer->todo);
	INIT_LIST_HEAD(&peer->idle);
	INIT_LIST_HEAD(&peer->pending);
	INIT_LIST_HEAD(&peer->oneway_held);
	INIT_LIST_HEAD(&peer->nodes);
	INIT_LIST_HEAD(&peer->nodes_dead);
	peer->max_threads = UINT_MAX;	/* the module parameter rules */
	init_waitqueue_head(&peer->poll_wait);
	INIT_LIST_HEAD(&peer->ring_ops);
	xa_init(&peer->oneway_shares);
	xa_init(&peer->threads);
	xa_init_flags(&peer->refs, XA_FLAGS_ALLOC1);
	peer->mm = current->mm;
	mmgrab(peer->mm);
	peer->pid = get_pid(task_tgid(current));
	peer->cred = get_current_cred();
	fastipc_stat_inc(FASTIPC_STAT_PEERS);
	fastipc_peer_list_add(peer);
	return peer;
}

static void fastipc_peer_free(struct kref *kref)
{
	struct fastipc_peer *peer = container_of(kref, struct fastipc_peer,
						 kref);

	fastipc_area_free(peer);
	xa_destroy(&peer->oneway_shares);
	xa_destroy(&peer->threads);
	xa_destroy(&peer->refs);
	mmdrop(peer->mm);
	put_pid(peer->pid);
	put_cred(peer->cred);
	fastipc_stat_dec(FASTIPC_STAT_PEERS);
	kfree(peer);
}

void fastipc_peer_put(struct fastipc_peer *peer)
{
	kref_put(&peer->kref, fastipc_peer_free);
}

/**
 * fastipc_peer_die() - the owner of @peer is gone: fail its work.
 * @peer: the peer.
 *
 * Idempotent.  Callers blocked on the peer's transactions get DEAD_REPLY,
 * holders of death requests on its nodes get DEAD_NODE, its own threads
 * stop waiting.
 *
 * Context: process context, no fastipc lock held; reschedules.
 */
void fastipc_peer_die(struct fastipc_peer *peer)
{
	spin_lock(&peer->lock);
	if (peer->dead) {
		spin_unlock(&peer->lock);
		return;
	}
	peer->dead = true;
	spin_unlock(&peer->lock);

	fastipc_queue_drain(peer);
	fastipc_uring_peer_die(peer);
	fastipc_nodes_die(peer);
}

/**
 * fastipc_peer_flush() - the owner closed a descriptor of the peer.
 * @peer: the peer.
 *
 * Its threads blocked in the read phase return EINTR: the descriptor they
 * wait on may be the one just closed (queue.c, rule 3).
 */
void fastipc_peer_flush(struct fastipc_peer *peer)
{
	struct fastipc_thread *t;
	unsigned long index;

	spin_lock(&peer->lock);
	peer->flush_gen++;
	/* As many threads as the process has. */
	xa_for_each(&peer->threads, index, t)
		fastipc_thread_wake(t);
	spin_unlock(&peer->lock);
}

/**
 * fastipc_peer_release() - last close of the file: tear the peer down.
 * @peer: the peer, dead already or about to be.
 */
void fastipc_peer_release(struct fastipc_peer *peer)
{
	fastipc_peer_die(peer);
	fastipc_refs_release_all(peer);
	fastipc_threads_release(peer);
	fastipc_peer_list_del(peer);
	fastipc_peer_put(peer);
}
