// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - io_uring commands on the device (file_operations.uring_cmd):
 * calls submitted through a ring, any number in flight per thread, each
 * with its own transaction ID and completed in any order; SEND and REPLY
 * through a ring; work received through a ring (RECV), so that an event
 * loop never blocks in an ioctl; and their cancellation.
 *
 * A command that cannot finish during its submission is parked: a
 * &struct fastipc_uop, which the command's pdu points to, on its peer's
 * ring_ops list.  A ring call is an ordinary transaction (txn.c, queue.c)
 * with depth 0, which no thread waits for: its answer, whatever it is
 * (reply, REPLY_ERROR, death of the server, no room), reaches
 * fastipc_queue_reply() like any other and comes here.
 *
 * Rules:
 *  1. peer->ring_ops, peer->ring_nr, each op's @parked and @txn, and each
 *     ring call's txn->ring_op are protected by peer->poll_wait.lock, the
 *     lock of the peer's poll wait queue, taken irqsave (wake functions
 *     run under it).  Order: peer->lock, then poll_wait.lock; nothing is
 *     taken under it but io_uring's task-work queueing.
 *  2. Exactly once.  A parked op is completed by whoever unparks it, that
 *     is takes it off ring_ops under the lock: the answer of its call
 *     (fastipc_uring_reply()), a wake-up for a receiver, a cancel
 *     (FASTIPC_IOC_CANCEL; io_uring's own cancel on 6.7+, the monitor of
 *     rule 6 before), the peer's death.  The unparker owns the op and
 *     hands it to io_uring_cmd_complete_in_task() (or, called by io_uring
 *     with IO_URING_F_CANCEL, to io_uring_cmd_done() with its flags).  The
 *     task-work callback, in the submitting task, writes the record and
 *     frees the op, before io_uring_cmd_done(): on 6.7+ the cancel hook
 *     reads the pdu only under the ring's lock, which the callback holds.
 *  3. A cancelled call's transaction lives on in its server: unparking
 *     clears txn->ring_op, and the answer, when it comes, is dropped
 *     (fastipc_uring_reply() finds no op).  An op unparked by its answer
 *     takes the transaction with it (@txn) and frees it once delivered.
 *     A call's transaction is alive while its ring_op is set: calls are
 *     only freed after fastipc_queue_reply().
 *  4. A receiver waits on peer->poll_wait with its own wake function,
 *     which unparks it and takes its entry off the queue in one section.
 *     Its callback reads one record as a non-blocking WRITE_READ read
 *     phase of the submitting thread would (deliver.c), and parks the op
 *     again when there was none.  Parking adds the entry and links the op
 *     in one section, then looks for work (and the peer's death) under
 *     peer->lock: work is linked under that lock before the wake-up
 *     (queue.c, rule 5), so either the wake-up sees the entry or the look
 *     sees the work.  A receiver does not read while its thread waits for
 *     a synchronous reply (the reply is that call's).
 *  5. An op holds a reference on its peer; io_uring holds the file while
 *     a command is in flight, so the peer is never released with an op
 *     parked: its death (fastipc_peer_die(): exit, exec, munmap of the
 *     area, a flush by the exiting owner) completes them, EPIPE.  An op
 *     parked after that (rule 4's look sees the death) completes too.
 *  6. Before 6.7 nobody tells a driver that a ring was closed or its
 *     submitting task exited with commands in flight, and exec waits in
 *     io_uring until every request of the task ended.  A monitor (delayed
 *     work, every 100 ms while ops exist) looks at each parked op's ring
 *     and task and cancels, ECANCELED, those whose ring is dying or whose
 *     task exits or cancels its requests (exec), as ublk did.  It walks
 *     the peers (stats.c) and takes each peer's lock in turn.
 *  7. Flood limit: a peer has at most max_oneway ops and given-up calls
 *     together (ENOSPC, reason UNANSWERED), as many as one-ways it may
 *     leave queued.  A call given up (cancelled, timed out, its submitter
 *     dead) lives on in its server: it counts in peer->ring_given_up from
 *     its unparking to its answer, both under poll_wait.lock.  Every walk
 *     of ring_ops is thus bounded; the death walk goes by batches.
 *  8. Deadlines.  A call with FASTIPC_TXN_DEADLINE arms @timer when it is
 *     parked; the timer (hard interrupt context, so only poll_wait.lock)
 *     unparks it like a cancel, ETIMEDOUT with reason TIMED_OUT.  Whoever
 *     frees an op cancels its timer first, outside the lock: the callback
 *     finds the op unparked, or completes it, never a freed one.
 *  9. A call given up withdraws the priority it lent its server's thread
 *     (prio.c) when its op is freed, in process context: @to and @id say
 *     which call.
 */
#include <linux/hrtimer.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "internal.h"
#include "trace.h"

/**
 * struct fastipc_uop - a parked io_uring command of a peer.
 * @entry: link in &fastipc_peer.ring_ops while parked, then in a private
 *	list of its unparker; poll_wait.lock.
 * @wait: RECV: on &fastipc_peer.poll_wait while parked; poll_wait.lock.
 * @ioucmd: the command; const.
 * @peer: the submitter's peer (counted); const.
 * @txn: CALL: the call while parked, then the answered call when its
 *	answer unparked the op, else NULL; poll_wait.lock, then the owner's.
 * @id: CALL: the transaction ID; const once parked.
 * @to: CALL: the peer of its server (counted), once parked; const then.
 * @timer: CALL with a deadline: ends it then (rule 8).
 * @urec: where the record goes; const.
 * @res: a cancelled op: its negative errno; set by the unparker.
 * @reason: a cancelled call: the reason its record says, or 0 for none.
 * @recv: RECV, not CALL; const.
 * @timed: @timer is armed (or ran); const once parked.
 * @parked: on @entry in ring_ops; poll_wait.lock.
 */
struct fastipc_uop {
	struct list_head entry;
	struct wait_queue_entry wait;
	struct io_uring_cmd *ioucmd;
	struct fastipc_peer *peer;
	struct fastipc_txn *txn;
	u64 id;
	struct fastipc_peer *to;
	struct hrtimer timer;
	struct fastipc_ret __user *urec;
	int res;
	u32 reason;
	bool recv;
	bool timed;
	bool parked;
};

#define FASTIPC_URING_BATCH	64

static void fastipc_uring_monitor_start(void);

static struct fastipc_uop **fastipc_uop_slot(struct io_uring_cmd *ioucmd)
{
	BUILD_BUG_ON(sizeof(struct fastipc_uop *) > sizeof(ioucmd->pdu));
	return (struct fastipc_uop **)ioucmd->pdu;
}

/* The submitting task runs, in its address space: records can go out. */
static bool fastipc_uring_in_owner(struct fastipc_peer *peer)
{
	return current->mm == peer->mm && !(current->flags & PF_EXITING);
}

static int fastipc_urecv_wake(struct wait_queue_entry *wait,
			      unsigned int mode, int sync, void *key);

static struct fastipc_uop *fastipc_uop_alloc(struct fastipc_peer *peer,
					     struct io_uring_cmd *ioucmd,
					     u64 urec, bool recv, u32 *reason)
{
	struct fastipc_uop *op;
	unsigned long flags;
	bool full;

	op = kzalloc(sizeof(*op), FASTIPC_GFP);
	if (!op)
		return ERR_PTR(-ENOMEM);
	spin_lock_irqsave(&peer->poll_wait.lock, flags);
	full = peer->ring_nr + peer->ring_given_up >=
	       READ_ONCE(fastipc_max_oneway);
	if (!full)
		peer->ring_nr++;
	spin_unlock_irqrestore(&peer->poll_wait.lock, flags);
	if (full) {
		kfree(op);
		*reason = FASTIPC_REASON_UNANSWERED;
		return ERR_PTR(-ENOSPC);
	}
	INIT_LIST_HEAD(&op->entry);
	init_waitqueue_func_entry(&op->wait, fastipc_urecv_wake);
	INIT_LIST_HEAD(&op->wait.entry);
	op->ioucmd = ioucmd;
	kref_get(&peer->kref);
	op->peer = peer;
	op->urec = u64_to_user_ptr(urec);
	op->recv = recv;
	*fastipc_uop_slot(ioucmd) = op;
	fastipc_stat_inc(FASTIPC_STAT_RING_OPS);
	return op;
}

/*
 * Free an op nobody else can reach any more (rule 2).  A call given up
 * (@res set) withdraws what it lent its server (rule 9).
 * Context: process context, no fastipc lock held.
 */
static void fastipc_uop_free(struct fastipc_uop *op)
{
	struct fastipc_peer *peer = op->peer;
	unsigned long flags;

	if (op->timed)
		hrtimer_cancel(&op->timer);
	if (op->to) {
		if (op->res)
			fastipc_prio_withdraw_call(op->to, op->id);
		fastipc_peer_put(op->to);
	}
	spin_lock_irqsave(&peer->poll_wait.lock, flags);
	peer->ring_nr--;
	spin_unlock_irqrestore(&peer->poll_wait.lock, flags);
	fastipc_stat_dec(FASTIPC_STAT_RING_OPS);
	fastipc_peer_put(peer);
	kfree(op);
}

/* Link @op to its peer's ring_ops (rule 1). */
static void fastipc_uop_park(struct fastipc_uop *op)
{
	lockdep_assert_held(&op->peer->poll_wait.lock);
	list_add_tail(&op->entry, &op->peer->ring_ops);
	op->parked = true;
}

/* Take @op off ring_ops (and its receiver's entry off the queue). */
static void fastipc_uop_unpark(struct fastipc_uop *op)
{
	lockdep_assert_held(&op->peer->poll_wait.lock);
	list_del_init(&op->entry);
	if (op->recv)
		list_del_init(&op->wait.entry);
	op->parked = false;
}

/*
 * Unpark @op to end it with @res (and a record saying @reason), unless it
 * is not parked: then someone else completes it (rule 2).  A call's
 * transaction stays with its server, its answer to be dropped (rule 3).
 */
static bool fastipc_uop_cancel_locked(struct fastipc_uop *op, int res,
				      u32 reason)
{
	lockdep_assert_held(&op->peer->poll_wait.lock);
	if (!op->parked)
		return false;
	fastipc_uop_unpark(op);
	if (op->txn) {
		op->txn->ring_op = NULL;
		op->txn = NULL;
		op->peer->ring_given_up++;	/* till its answer (rule 7) */
	}
	op->res = res;
	op->reason = reason;
	return true;
}

static void fastipc_uop_task(struct io_uring_cmd *ioucmd,
			     unsigned int issue_flags);

/* Rule 8: the deadline of a parked call passed.  Hard interrupt context. */
static enum hrtimer_restart fastipc_ucall_expire(struct hrtimer *timer)
{
	struct fastipc_uop *op = container_of(timer, struct fastipc_uop, timer);
	unsigned long flags;
	bool mine;

	spin_lock_irqsave(&op->peer->poll_wait.lock, flags);
	mine = fastipc_uop_cancel_locked(op, -ETIMEDOUT,
					 FASTIPC_REASON_TIMED_OUT);
	spin_unlock_irqrestore(&op->peer->poll_wait.lock, flags);
	if (mine) {
		fastipc_count(FASTIPC_COUNT_TIMEOUTS);
		io_uring_cmd_complete_in_task(op->ioucmd, fastipc_uop_task);
	}
	return HRTIMER_NORESTART;
}

/**
 * fastipc_uring_link() - park the command of a ring call before it is sent.
 * @op: the command, from fastipc_uring_exec().
 * @txn: the call, numbered, not yet visible to its server.
 * @deadline: its CLOCK_MONOTONIC deadline, or 0 for none.
 */
void fastipc_uring_link(struct fastipc_uop *op, struct fastipc_txn *txn,
			ktime_t deadline)
{
	struct fastipc_peer *peer = op->peer;
	unsigned long flags;

	op->id = txn->id;
	kref_get(&txn->to->kref);
	op->to = txn->to;
	if (deadline) {
		hrtimer_init(&op->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
		op->timer.function = fastipc_ucall_expire;
		op->timed = true;
	}
	/* Its ID, for FASTIPC_IOC_CANCEL; a fault only loses that. */
	if (put_user(0, &op->urec->op) || put_user(op->id, &op->urec->txn_id))
		pr_debug("fastipc: ring call %llu: record not writable\n",
			 op->id);
	spin_lock_irqsave(&peer->poll_wait.lock, flags);
	op->txn = txn;
	txn->ring_op = op;
	fastipc_uop_park(op);
	spin_unlock_irqrestore(&peer->poll_wait.lock, flags);
	if (deadline)
		hrtimer_start(&op->timer, deadline, HRTIMER_MODE_ABS);
	fastipc_uring_monitor_start();
}

/* Write a record's header and inline payload to the submitter. */
static int fastipc_urec_copy_out(struct fastipc_uop *op,
				 const struct fastipc_ret *rec)
{
	size_t len = offsetof(struct fastipc_ret, inline_data);

	if (rec->flags & FASTIPC_RET_INLINE)
		len += rec->data_len;
	return copy_to_user(op->urec, rec, len) ? -EFAULT : 0;
}

/*
 * Deliver the answer of a ring call to its submitter, in its task: the
 * record deliver.c would have written for a synchronous call, its handles
 * taken and fds installed (those last, nothing fails after them).
 * Return: the record's op, or -EFAULT with nothing delivered (the caller
 * discards the message).
 */
static int fastipc_ucall_deliver(struct fastipc_uop *op,
				 struct fastipc_txn *txn, u64 *res2)
{
	struct fastipc_peer *peer = op->peer;
	struct fastipc_msg *msg = &txn->msg;
	struct fastipc_ret rec;
	u32 *handles;

	memset(&rec, 0, offsetof(struct fastipc_ret, inline_data));
	rec.op = txn->reply_op;
	rec.reason = txn->reason;
	rec.txn_id = txn->id;
	rec.code = txn->code;
	rec.data_len = msg->len;
	rec.n_handles = msg->n_handles;
	rec.n_fds = msg->n_fds;
	if (msg->is_inline) {
		rec.flags |= FASTIPC_RET_INLINE;
		memcpy(rec.inline_data, msg->inline_data, msg->len);
	} else {
		rec.offset = msg->offset;
	}
	handles = fastipc_msg_take_handles(peer, msg, &rec.flags);
	if (fastipc_urec_copy_out(op, &rec)) {
		fastipc_msg_put_handles(peer, msg, handles);
		return -EFAULT;
	}
	fastipc_msg_install(peer, msg, rec.flags, op->urec);
	if (rec.op == FASTIPC_RET_REPLY)
		*res2 = (u64)(msg->is_inline ? FASTIPC_URING_INLINE :
			      (u32)msg->offset) << 32 | (u32)msg->len;
	else
		*res2 = (u64)rec.reason << 32 | (u32)rec.code;
	return rec.op;
}

/* The record of a call cancelled (FASTIPC_IOC_CANCEL) or timed out. */
static int fastipc_ucall_cancelled(struct fastipc_uop *op, u64 *res2)
{
	struct fastipc_ret rec;

	memset(&rec, 0, offsetof(struct fastipc_ret, inline_data));
	rec.op = FASTIPC_RET_FAILED_REPLY;
	rec.flags = FASTIPC_RET_INLINE;
	rec.txn_id = op->id;
	rec.code = -op->res;
	rec.reason = op->reason;
	if (fastipc_urec_copy_out(op, &rec))
		return -EFAULT;
	*res2 = (u64)rec.reason << 32 | (u32)rec.code;
	return rec.op;
}

static void fastipc_urecv_park(struct fastipc_uop *op,
			       struct fastipc_thread *thread, bool any);

/*
 * RECV: read one record for the submitting thread.  Return: the record's
 * op (its transaction ID in *@res2), -errno, or 0 when the op was parked
 * again (no record yet).
 */
static int fastipc_urecv_read(struct fastipc_uop *op, u64 *res2)
{
	struct fastipc_peer *peer = op->peer;
	struct fastipc_write_read wr = {
		.read_buffer = (u64)(uintptr_t)op->urec,
		.read_size = sizeof(struct fastipc_ret),
	};
	struct fastipc_thread *thread;
	bool waiting;
	u32 rop;
	int ret;

	thread = fastipc_thread_get(peer);
	if (IS_ERR(thread))
		return PTR_ERR(thread);
	spin_lock(&peer->lock);
	waiting = thread->waiting;
	spin_unlock(&peer->lock);
	if (waiting) {
		/* Its reply is the synchronous call's: wait for later work. */
		fastipc_urecv_park(op, thread, false);
		fastipc_thread_put(thread);
		return 0;
	}
	/* Back from the one-way it took: the next of its node may go. */
	if (thread->oneway_node)
		fastipc_oneway_done(thread);
	ret = fastipc_read(thread, &wr, true);
	if (ret == -EAGAIN) {
		fastipc_urecv_park(op, thread, true);
		fastipc_thread_put(thread);
		return 0;
	}
	fastipc_thread_put(thread);
	if (ret)
		return ret;
	if (get_user(rop, &op->urec->op) || get_user(*res2, &op->urec->txn_id))
		return -EFAULT;
	return rop;
}

/*
 * Task work of an unparked op, in the submitting task (or, when it exits,
 * in io_uring's fallback worker): its record, then its CQE (rule 2).
 */
static void fastipc_uop_task(struct io_uring_cmd *ioucmd,
			     unsigned int issue_flags)
{
	struct fastipc_uop *op = *fastipc_uop_slot(ioucmd);
	struct fastipc_peer *peer = op->peer;
	struct fastipc_txn *txn = op->txn;
	bool owner = fastipc_uring_in_owner(peer);
	u64 res2 = 0;
	int res;

	if (op->res) {
		res = op->res;
		if (op->reason && owner)
			res = fastipc_ucall_cancelled(op, &res2);
	} else if (op->recv) {
		res = owner ? fastipc_urecv_read(op, &res2) : -ECANCELED;
		if (!res)
			return;		/* parked again */
	} else {
		res = owner ? fastipc_ucall_deliver(op, txn, &res2) :
			      -ECANCELED;
		fastipc_msg_discard(peer, &txn->msg);
		fastipc_txn_free(txn);
	}
	fastipc_uop_free(op);
	io_uring_cmd_done(ioucmd, res, res2, issue_flags);
}

/**
 * fastipc_uring_reply() - the answer of a ring call (fastipc_queue_reply()).
 * @txn: the call, answered (reply or failure), owned by the caller.
 *
 * Completes its command, or drops the answer when the command was
 * cancelled (rule 3).
 */
void fastipc_uring_reply(struct fastipc_txn *txn)
{
	struct fastipc_peer *peer = txn->from_peer;
	struct fastipc_uop *op;
	unsigned long flags;

	spin_lock_irqsave(&peer->poll_wait.lock, flags);
	op = txn->ring_op;
	if (op) {
		txn->ring_op = NULL;
		fastipc_uop_unpark(op);	/* op->txn is @txn: the op's now */
	} else {
		peer->ring_given_up--;	/* rule 7 */
	}
	spin_unlock_irqrestore(&peer->poll_wait.lock, flags);
	if (op) {
		io_uring_cmd_complete_in_task(op->ioucmd, fastipc_uop_task);
		return;
	}
	fastipc_msg_discard(peer, &txn->msg);
	fastipc_txn_free(txn);
}

/*
 * Wake function of a parked receiver, under poll_wait.lock (rule 4): it
 * leaves the queue and runs its callback, which reads.
 */
static int fastipc_urecv_wake(struct wait_queue_entry *wait,
			      unsigned int mode, int sync, void *key)
{
	struct fastipc_uop *op = container_of(wait, struct fastipc_uop, wait);

	if (!op->parked)
		return 0;
	fastipc_uop_unpark(op);
	io_uring_cmd_complete_in_task(op->ioucmd, fastipc_uop_task);
	return 1;
}

/*
 * Park a receiver (rule 4) and look for what would wake it: work for
 * @thread when @any, the peer's death always.
 */
static void fastipc_urecv_park(struct fastipc_uop *op,
			       struct fastipc_thread *thread, bool any)
{
	struct fastipc_peer *peer = op->peer;
	unsigned long flags;
	bool ready;

	spin_lock_irqsave(&peer->poll_wait.lock, flags);
	__add_wait_queue(&peer->poll_wait, &op->wait);
	fastipc_uop_park(op);
	spin_unlock_irqrestore(&peer->poll_wait.lock, flags);
	fastipc_uring_monitor_start();

	spin_lock(&peer->lock);
	ready = peer->dead ||
		(any && ((!list_empty(&thread->todo) && !thread->handoff) ||
			 (!thread->waiting && !list_empty(&peer->todo))));
	spin_unlock(&peer->lock);
	if (!ready)
		return;
	spin_lock_irqsave(&peer->poll_wait.lock, flags);
	ready = op->parked;
	if (ready)
		fastipc_uop_unpark(op);
	spin_unlock_irqrestore(&peer->poll_wait.lock, flags);
	if (ready)
		io_uring_cmd_complete_in_task(op->ioucmd, fastipc_uop_task);
}

/* Hand the ops of a private list to their task work. */
static void fastipc_uop_complete_list(struct list_head *list)
{
	struct fastipc_uop *op, *tmp;

	list_for_each_entry_safe(op, tmp, list, entry) {
		list_del_init(&op->entry);
		io_uring_cmd_complete_in_task(op->ioucmd, fastipc_uop_task);
	}
}

/**
 * fastipc_uring_peer_die() - complete every parked command of a dead peer.
 * @peer: the peer, dead (rule 5).
 *
 * Context: process context, no fastipc lock held; reschedules.
 */
void fastipc_uring_peer_die(struct fastipc_peer *peer)
{
	struct fastipc_uop *op;
	unsigned long flags;
	LIST_HEAD(batch);
	int n;

	do {
		n = 0;
		spin_lock_irqsave(&peer->poll_wait.lock, flags);
		while (n < FASTIPC_URING_BATCH &&
		       (op = list_first_entry_or_null(&peer->ring_ops,
						      struct fastipc_uop,
						      entry))) {
			fastipc_uop_cancel_locked(op, -EPIPE, 0);
			list_add_tail(&op->entry, &batch);
			n++;
		}
		spin_unlock_irqrestore(&peer->poll_wait.lock, flags);
		fastipc_uop_complete_list(&batch);
		cond_resched();
	} while (n);
}

/**
 * fastipc_uring_cancel_id() - FASTIPC_IOC_CANCEL of a ring call.
 * @peer: the caller's peer.
 * @id: the transaction ID.
 *
 * Return: 0 when a parked call of @peer had that ID (it completes with
 * ECANCELED, reason CANCELLED), else -ENOENT.
 */
int fastipc_uring_cancel_id(struct fastipc_peer *peer, u64 id)
{
	struct fastipc_uop *op, *found = NULL;
	unsigned long flags;

	spin_lock_irqsave(&peer->poll_wait.lock, flags);
	list_for_each_entry(op, &peer->ring_ops, entry) {
		if (!op->recv && op->id == id) {
			fastipc_uop_cancel_locked(op, -ECANCELED,
						  FASTIPC_REASON_CANCELLED);
			found = op;
			break;
		}
	}
	spin_unlock_irqrestore(&peer->poll_wait.lock, flags);
	if (!found)
		return -ENOENT;
	io_uring_cmd_complete_in_task(found->ioucmd, fastipc_uop_task);
	return 0;
}

/*
 * io_uring cancels a command (6.7+: its ring or task goes away), holding
 * the ring's lock, under which the op in the pdu is alive (rule 2).
 */
static void fastipc_uring_cancel_cmd(struct io_uring_cmd *ioucmd,
				     unsigned int issue_flags)
{
	struct fastipc_uop *op = *fastipc_uop_slot(ioucmd);
	unsigned long flags;
	bool mine;

	spin_lock_irqsave(&op->peer->poll_wait.lock, flags);
	mine = fastipc_uop_cancel_locked(op, -ECANCELED, 0);
	spin_unlock_irqrestore(&op->peer->poll_wait.lock, flags);
	if (!mine)
		return;		/* its task work completes it */
	fastipc_uop_free(op);
	io_uring_cmd_done(ioucmd, -ECANCELED, 0, issue_flags);
}

/* Submissions whose thread matters do not come from io_uring workers. */
static bool fastipc_uring_worker(void)
{
	return current->flags & PF_IO_WORKER;
}

/* End a command during its submission, with a second result. */
static int fastipc_uring_done_now(struct io_uring_cmd *ioucmd, int res,
				  u64 res2, unsigned int issue_flags)
{
	if (!res2)
		return res;
	io_uring_cmd_done(ioucmd, res, res2, issue_flags);
	return -EIOCBQUEUED;
}

/*
 * FASTIPC_URING_CMD: CALL (parked), SEND, REPLY, REPLY_ERROR, SIGNAL (at
 * once).
 */
static int fastipc_uring_exec(struct fastipc_peer *peer,
			      struct io_uring_cmd *ioucmd,
			      const struct fastipc_uring_cmd *uc,
			      unsigned int issue_flags)
{
	struct fastipc_thread *thread;
	struct fastipc_uop *op;
	struct fastipc_cmd cmd;
	u32 reason = 0;
	int ret;

	if (copy_from_user(&cmd, u64_to_user_ptr(uc->cmd), sizeof(cmd)))
		return -EFAULT;
	switch (cmd.op) {
	case FASTIPC_CMD_CALL:
		if (!uc->ret || !IS_ALIGNED(uc->ret, 8))
			return -EINVAL;
		if (!access_ok(u64_to_user_ptr(uc->ret),
			       sizeof(struct fastipc_ret)))
			return -EFAULT;
		break;
	case FASTIPC_CMD_REPLY:
	case FASTIPC_CMD_REPLY_ERROR:
		if (fastipc_uring_worker())
			return -EOPNOTSUPP;
		fallthrough;
	case FASTIPC_CMD_SEND:
		if (uc->ret)
			return -EINVAL;
		break;
	case FASTIPC_CMD_SIGNAL:
		if (uc->ret || fastipc_cmd_check_plain(&cmd))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}

	thread = fastipc_thread_get(peer);
	if (IS_ERR(thread))
		return PTR_ERR(thread);
	/* Back from the one-way it took: the next of its node may go. */
	if (thread->oneway_node && !fastipc_uring_worker())
		fastipc_oneway_done(thread);

	switch (cmd.op) {
	case FASTIPC_CMD_CALL:
		op = fastipc_uop_alloc(peer, ioucmd, uc->ret, false, &reason);
		if (IS_ERR(op)) {
			ret = PTR_ERR(op);
			break;
		}
		io_uring_cmd_mark_cancelable(ioucmd, issue_flags);
		ret = fastipc_txn_send_ring(thread, &cmd, op, &reason);
		if (!ret) {
			fastipc_thread_put(thread);
			return -EIOCBQUEUED;
		}
		/* Never linked: nobody else knows the op. */
		fastipc_uop_free(op);
		fastipc_thread_put(thread);
		io_uring_cmd_done(ioucmd, ret, reason, issue_flags);
		return -EIOCBQUEUED;
	case FASTIPC_CMD_SEND:
		ret = fastipc_txn_send(thread, &cmd, true, &reason);
		break;
	case FASTIPC_CMD_SIGNAL:
		ret = fastipc_signal_send(peer, cmd.handle, cmd.arg);
		break;
	default:
		ret = fastipc_txn_reply(thread, &cmd,
					cmd.op == FASTIPC_CMD_REPLY_ERROR);
		break;
	}
	fastipc_thread_put(thread);
	return fastipc_uring_done_now(ioucmd, ret, ret ? reason : 0,
				      issue_flags);
}

/* FASTIPC_URING_RECV: parked until the submitting thread has a record. */
static int fastipc_uring_recv(struct fastipc_peer *peer,
			      struct io_uring_cmd *ioucmd,
			      const struct fastipc_uring_cmd *uc,
			      unsigned int issue_flags)
{
	struct fastipc_thread *thread;
	struct fastipc_uop *op;
	u32 reason = 0;

	if (uc->cmd || !uc->ret || !IS_ALIGNED(uc->ret, 8))
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(uc->ret), sizeof(struct fastipc_ret)))
		return -EFAULT;
	if (fastipc_uring_worker())
		return -EOPNOTSUPP;
	thread = fastipc_thread_get(peer);
	if (IS_ERR(thread))
		return PTR_ERR(thread);
	op = fastipc_uop_alloc(peer, ioucmd, uc->ret, true, &reason);
	if (IS_ERR(op)) {
		fastipc_thread_put(thread);
		return fastipc_uring_done_now(ioucmd, PTR_ERR(op), reason,
					      issue_flags);
	}
	io_uring_cmd_mark_cancelable(ioucmd, issue_flags);
	fastipc_urecv_park(op, thread, true);
	fastipc_thread_put(thread);
	return -EIOCBQUEUED;
}

/* FASTIPC_URING_CANCEL: FASTIPC_IOC_CANCEL of a transaction ID. */
static int fastipc_uring_cancel_op(struct fastipc_peer *peer,
				   const struct fastipc_uring_cmd *uc)
{
	struct fastipc_cancel arg = { .txn_id = uc->cmd };

	if (uc->ret)
		return -EINVAL;
	return fastipc_cancel(peer, &arg);
}

/**
 * fastipc_uring_cmd() - file_operations.uring_cmd of the device.
 * @ioucmd: the command; its payload is a &struct fastipc_uring_cmd.
 * @issue_flags: io_uring's; passed on, never made up.
 *
 * Return: a result for the CQE, or -EIOCBQUEUED when the command
 * completes later (or completed already, with a second result).
 */
int fastipc_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	struct fastipc_peer *peer = ioucmd->file->private_data;
	const struct fastipc_uring_cmd *payload;
	struct fastipc_uring_cmd uc;

	if (fastipc_uring_cancel_call(issue_flags)) {
		fastipc_uring_cancel_cmd(ioucmd, issue_flags);
		return 0;
	}
	/* The SQE is the ring's: read it once. */
	payload = fastipc_uring_payload(ioucmd);
	uc.cmd = READ_ONCE(payload->cmd);
	uc.ret = READ_ONCE(payload->ret);
	/* As the ioctls: only the opener acts on the peer. */
	if (current->mm != peer->mm)
		return -ECHILD;
	if (ioucmd->flags & IORING_URING_CMD_FIXED)
		return -EINVAL;
	switch (ioucmd->cmd_op) {
	case FASTIPC_URING_CMD:
		return fastipc_uring_exec(peer, ioucmd, &uc, issue_flags);
	case FASTIPC_URING_RECV:
		return fastipc_uring_recv(peer, ioucmd, &uc, issue_flags);
	case FASTIPC_URING_CANCEL:
		return fastipc_uring_cancel_op(peer, &uc);
	}
	return -EOPNOTSUPP;
}

#ifdef FASTIPC_HAVE_URING_CMD_CANCELABLE
static void fastipc_uring_monitor_start(void)
{
}

void fastipc_uring_exit(void)
{
}
#else
/*
 * Rule 6, before 6.7: the monitor.  A parked op's request stays allocated
 * while it is parked, so its ring and task may be looked at under the lock.
 */
static void fastipc_uring_monitor_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(fastipc_uring_monitor, fastipc_uring_monitor_fn);

/*
 * The ring is closing, the task exits, or the task waits in io_uring for
 * all its requests to end (exec, exit): io_uring would wait for ours
 * forever.  The task's io_uring context lives while it has requests.
 */
static bool fastipc_uop_orphaned(struct fastipc_uop *op)
{
	struct io_kiocb *req = cmd_to_io_kiocb(op->ioucmd);

	return percpu_ref_is_dying(&req->ctx->refs) ||
	       (READ_ONCE(req->task->flags) & PF_EXITING) ||
	       fastipc_tctx_cancelling(req->task->io_uring);
}

static void fastipc_uring_monitor_peer(struct fastipc_peer *peer)
{
	struct fastipc_uop *op, *tmp;
	unsigned long flags;
	LIST_HEAD(orphans);

	spin_lock_irqsave(&peer->poll_wait.lock, flags);
	list_for_each_entry_safe(op, tmp, &peer->ring_ops, entry) {
		if (!fastipc_uop_orphaned(op))
			continue;
		fastipc_uop_cancel_locked(op, -ECANCELED, 0);
		list_add_tail(&op->entry, &orphans);
	}
	spin_unlock_irqrestore(&peer->poll_wait.lock, flags);
	/*
	 * No record goes out to an orphan, so no task work either (the task
	 * may not run it soon: it waits in io_uring for these very ops).
	 * Before 6.7 io_uring_cmd_done() completes from any process context
	 * (ublk's monitor did the same).
	 */
	list_for_each_entry_safe(op, tmp, &orphans, entry) {
		struct io_uring_cmd *ioucmd = op->ioucmd;

		list_del_init(&op->entry);
		fastipc_uop_free(op);
		io_uring_cmd_done(ioucmd, -ECANCELED, 0, 0);
	}
}

static void fastipc_uring_monitor_fn(struct work_struct *work)
{
	fastipc_peer_list_walk(fastipc_uring_monitor_peer);
	if (atomic_long_read(&fastipc_stats[FASTIPC_STAT_RING_OPS]))
		schedule_delayed_work(&fastipc_uring_monitor, HZ / 10);
}

static void fastipc_uring_monitor_start(void)
{
	if (!delayed_work_pending(&fastipc_uring_monitor))
		schedule_delayed_work(&fastipc_uring_monitor, HZ / 10);
}

/**
 * fastipc_uring_exit() - module unload: no op is left (each holds a file).
 */
void fastipc_uring_exit(void)
{
	cancel_delayed_work_sync(&fastipc_uring_monitor);
}
#endif
