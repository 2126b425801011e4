// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - notification bits: FASTIPC_CMD_SIGNAL ORs a mask into a node's
 * pending bits, and the owner reads them, clearing them, in one
 * FASTIPC_RET_SIGNAL record however many signals came before.  The
 * cheapest way to say "something changed": no transaction, no area
 * buffer, no allocation, no budget, no reply, no priority lent.
 *
 * Rules (queue.c's apply; these are the signal's own):
 *  1. Storage.  Only a node created with FASTIPC_NODE_ACCEPT_SIGNALS has
 *     bits: it is the first member of a &struct fastipc_signal_node, from
 *     a slab cache of its own (node.c), so that the nodes which never take
 *     a signal keep their size.  The owner opts in: a node without the
 *     flag refuses signals (EPERM), as one without ACCEPT_FDS refuses fds,
 *     and a server loop that does not know the record never sees one.
 *  2. Coalescing.  sig->bits and the link of sig->work are protected by
 *     the owner's peer->lock.  The work is on owner->todo exactly while
 *     the bits are non-zero: the signal that makes them non-zero links
 *     it, later ones only OR into them, and the reader that takes the
 *     work clears them in the same locked section.  N signals before a
 *     read are one record.
 *  3. Lifetime.  Linking the work takes a node reference: the node stays
 *     alive while its work is linked.  The reader takes that reference
 *     over with the work (&fastipc_delivery.node) and drops it once the
 *     record is out; the drain of a dead owner (queue.c, rule 6) clears
 *     the bits and drops it.  Nothing else unlinks the work.
 *  4. Waking.  The work is linked as any peer work is
 *     (fastipc_queue_peer_work()): one idle thread is woken, else the
 *     pollers and the parked io_uring receivers of the peer's poll_wait.
 *     A thread blocked in a call never reads it (it is peer work).
 *  5. Death.  Signals are accepted only while the owner lives (queue.c,
 *     rule 2): a signal to a node whose owner died fails with EPIPE, as a
 *     SEND does.  Bits pending when the owner dies are dropped with it.
 *  6. Putting back.  A record the reader's buffer cannot take puts its
 *     bits back (queue.c, rule 9): ORed into the node's bits, the work
 *     linked again at the head of owner->todo when no newer signal linked
 *     it meanwhile.  Bits are never lost while the owner lives.
 */
#include "internal.h"
#include "trace.h"

/**
 * fastipc_signal_send() - FASTIPC_CMD_SIGNAL: OR @mask into the pending
 *	bits of the node @peer names by @handle.
 * @peer: the signalling peer.
 * @handle: its handle to the node (0: the context manager).
 * @mask: the bits to set, non-zero.
 *
 * Context: process context, no lock held.  Takes spinlocks only, waits
 * for nobody, allocates nothing.
 *
 * Return: 0, -EINVAL (mask 0), -ENOENT (no such handle), -EPERM (the node
 * does not accept signals), -EPIPE (its owner died).
 */
int fastipc_signal_send(struct fastipc_peer *peer, u32 handle, u64 mask)
{
	struct fastipc_signal *sig;
	struct fastipc_peer *owner;
	struct fastipc_node *node;
	int ret = 0;

	if (!mask)
		return -EINVAL;
	node = fastipc_handle_node(peer, handle);
	if (!node)
		return -ENOENT;
	if (!(node->flags & FASTIPC_NODE_ACCEPT_SIGNALS)) {
		fastipc_node_put(node);
		return -EPERM;
	}
	owner = node->owner;
	sig = fastipc_node_signal(node);
	spin_lock(&owner->lock);
	if (owner->dead) {
		ret = -EPIPE;
	} else if (sig->bits) {
		sig->bits |= mask;	/* rule 2: its record is queued */
	} else if (fastipc_queue_peer_work(owner, &sig->work)) {
		sig->bits = mask;
		kref_get(&node->kref);	/* rule 3 */
		fastipc_stat_inc(FASTIPC_STAT_SIGNALS);
	}
	if (!ret)
		trace_fastipc_node_signalled(node, peer, mask, sig->bits);
	spin_unlock(&owner->lock);
	fastipc_node_put(node);
	if (!ret)
		fastipc_count(FASTIPC_COUNT_SIGNALS_SENT);
	return ret;
}

/**
 * fastipc_signal_claim() - fill a SIGNAL record from work just taken off
 *	the owner's list, and clear the bits (rule 2).
 * @w: the node's &fastipc_signal.work.
 * @d: the reader's delivery; it takes over the link's node reference.
 *
 * Context: the owner's peer->lock held.
 */
void fastipc_signal_claim(struct fastipc_work *w, struct fastipc_delivery *d)
{
	struct fastipc_node *node = fastipc_signal_work_node(w);
	struct fastipc_signal *sig = fastipc_node_signal(node);

	lockdep_assert_held(&node->owner->lock);
	d->rec.op = FASTIPC_RET_SIGNAL;
	d->rec.cookie = node->cookie;
	d->rec.code = sig->bits;
	sig->bits = 0;
	d->node = node;
	fastipc_stat_dec(FASTIPC_STAT_SIGNALS);
	fastipc_count(FASTIPC_COUNT_SIGNALS_READ);
	trace_fastipc_signal_delivered(node, d->rec.code);
}

/**
 * fastipc_signal_untake() - put back the bits of a SIGNAL record that
 *	could not be written (rule 6).
 * @peer: the reader's peer, the node's owner.
 * @d: the delivery; its node reference goes back with a relinked work,
 *	else fastipc_finish() drops it.
 */
void fastipc_signal_untake(struct fastipc_peer *peer,
			   struct fastipc_delivery *d)
{
	struct fastipc_signal *sig = fastipc_node_signal(d->node);

	spin_lock(&peer->lock);
	if (sig->bits) {
		/* A newer signal queued the record again: join it. */
		sig->bits |= d->rec.code;
	} else if (fastipc_requeue_peer_work(peer, &sig->work)) {
		sig->bits = d->rec.code;
		d->node = NULL;	/* the reference goes back with the work */
		fastipc_stat_inc(FASTIPC_STAT_SIGNALS);
	}
	spin_unlock(&peer->lock);
}

/**
 * fastipc_signal_drop() - the owner is dead: forget the bits of work the
 *	drain took off its list (rule 5).  The link's node reference is
 *	dropped without the lock, by fastipc_work_abandon_list().
 * @w: the node's &fastipc_signal.work, unlinked.
 *
 * Context: the owner's peer->lock held.
 */
void fastipc_signal_drop(struct fastipc_work *w)
{
	struct fastipc_node *node = fastipc_signal_work_node(w);

	lockdep_assert_held(&node->owner->lock);
	fastipc_node_signal(node)->bits = 0;
	fastipc_stat_dec(FASTIPC_STAT_SIGNALS);
}
