// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - FASTIPC_IOC_CANCEL: end a call of the peer at once, ECANCELED
 * with reason CANCELLED, whoever waits for it: a ring call's command
 * (uring.c) or a thread blocked in a synchronous call.  And
 * FASTIPC_IOC_TXN_WAITED, by which a server learns that the caller of a
 * call it serves stopped waiting (cancelled, timed out, dead).
 *
 * Rules, beyond queue.c's:
 *  - A synchronous call is cancelled under its caller's peer->lock, where
 *    replies are queued (rule 7): either its answer is already on the
 *    thread's list (the cancel finds nothing: ENOENT), or a stand-in takes
 *    its place as the innermost call the thread waits for (same ID, depth
 *    and outer call) and is queued at once as its FAILED_REPLY answer.
 *    The call itself is then waited for by nobody: its answer is dropped
 *    when it comes, as after a time-out, and until then it counts in the
 *    peer's calls_unanswered (it still occupies its server).
 *  - The stand-in is an ordinary answered transaction on the thread's
 *    list: read, put back, abandoned or drained like any reply.
 *  - The server is not interrupted: it may ask (TXN_WAITED).  The
 *    priority the call lent its thread is withdrawn (prio.c), unless the
 *    thread serves another call still waited for.
 */
#include <linux/pid.h>

#include "internal.h"
#include "trace.h"

/* The thread of @peer waiting for call @id, or thread @tid.  peer->lock. */
static struct fastipc_thread *fastipc_cancel_find(struct fastipc_peer *peer,
						  u64 id, pid_t tid)
{
	struct fastipc_thread *t;
	unsigned long index;

	lockdep_assert_held(&peer->lock);
	xa_for_each(&peer->threads, index, t) {
		if (!t->waiting || t->gone)
			continue;
		if (tid ? task_pid_vnr(t->task) == tid : t->waiting_id == id)
			return t;
	}
	return NULL;
}

/* Is the answer of @t's innermost call already on its list?  peer->lock. */
static bool fastipc_cancel_answered(struct fastipc_thread *t)
{
	struct fastipc_work *w;

	lockdep_assert_held(&t->peer->lock);
	list_for_each_entry(w, &t->todo, entry)
		if (w == &t->waiting->work)
			return true;
	return false;
}

/* Cancel a synchronous call; see the rules above. */
static int fastipc_cancel_sync(struct fastipc_peer *peer, u64 id, pid_t tid)
{
	struct fastipc_txn *s, *w;
	struct fastipc_thread *t;
	struct fastipc_peer *to;

	s = fastipc_txn_alloc_bare();
	if (!s)
		return -ENOMEM;
	spin_lock(&peer->lock);
	t = peer->dead ? NULL : fastipc_cancel_find(peer, id, tid);
	if (!t || fastipc_cancel_answered(t)) {
		spin_unlock(&peer->lock);
		fastipc_txn_free(s);
		return -ENOENT;
	}
	w = t->waiting;
	s->id = w->id;
	s->outer = w->outer;
	s->outer_deadline = w->outer_deadline;
	s->depth = w->depth;
	kref_get(&t->kref);
	s->from = t;
	s->work.type = FASTIPC_WORK_REPLY;
	s->reply_op = FASTIPC_RET_FAILED_REPLY;
	s->reason = FASTIPC_REASON_CANCELLED;
	s->code = ECANCELED;
	s->msg.is_inline = true;
	/* Nobody waits for @w now: its answer is dropped (queue.c rule 7). */
	w->timed_out = true;
	peer->calls_unanswered++;
	to = w->to;
	kref_get(&to->kref);
	t->waiting = s;
	list_add_tail(&s->work.entry, &t->todo);
	fastipc_wake_thread(t);
	id = s->id;
	spin_unlock(&peer->lock);
	fastipc_prio_withdraw_call(to, id);
	fastipc_peer_put(to);
	fastipc_failed_log_id(id, pid_nr(peer->pid), 0, FASTIPC_RET_FAILED_REPLY,
			      FASTIPC_REASON_CANCELLED, ECANCELED);
	return 0;
}

/**
 * fastipc_txn_waited() - FASTIPC_IOC_TXN_WAITED: is the caller of a call
 *	this peer serves still waiting?
 * @peer: the server's peer.
 * @id: the transaction ID.
 *
 * The flags read belong to the caller's locks (timed_out, ring_op, dead):
 * read once, a hint that only ever turns from waited to not.
 *
 * Return: 0 (waited), -ECANCELED (given up), -ENOENT (no such call).
 */
int fastipc_txn_waited(struct fastipc_peer *peer, u64 id)
{
	struct fastipc_txn *t;
	int ret = -ENOENT;

	spin_lock(&peer->lock);
	list_for_each_entry_reverse(t, &peer->pending, pending_entry) {
		if (t->id != id)
			continue;
		if (READ_ONCE(t->timed_out) || READ_ONCE(t->from_peer->dead) ||
		    (!t->depth && !READ_ONCE(t->ring_op)))
			ret = -ECANCELED;
		else
			ret = 0;
		break;
	}
	spin_unlock(&peer->lock);
	return ret;
}

/**
 * fastipc_cancel() - FASTIPC_IOC_CANCEL.
 * @peer: the caller's peer (the caller is its owner).
 * @arg: the argument, read once.
 *
 * Return: 0 when the call was cancelled (its one answer is the cancel's),
 * -ENOENT when there was no such call waited for, -EINVAL.
 */
int fastipc_cancel(struct fastipc_peer *peer, const struct fastipc_cancel *arg)
{
	int ret;

	if (arg->flags || !arg->txn_id == !arg->tid || arg->tid > INT_MAX)
		return -EINVAL;
	if (arg->tid)
		return fastipc_cancel_sync(peer, 0, arg->tid);
	ret = fastipc_uring_cancel_id(peer, arg->txn_id);
	if (ret == -ENOENT)
		ret = fastipc_cancel_sync(peer, arg->txn_id, 0);
	return ret;
}
