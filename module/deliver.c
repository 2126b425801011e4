// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - delivery: the read phase of WRITE_READ.  A thread takes work
 * off its own list, then the peer's (queue.c's rules 1 and 3), turns it
 * into a record (the nodes of a message become its handles, its files its
 * fds), writes the record to the read buffer, and puts the work back
 * where it was if the record cannot be written (rule 9).
 *
 * Rules, beyond queue.c's:
 *  - Work taken off a list is owned by the reading thread (its
 *    &struct fastipc_delivery) until the record is out or the work is back,
 *    with one exception: a call is on peer->pending from the moment it is
 *    taken, so a sibling thread that guessed its ID may answer it, and the
 *    drain of the peer's death may, while its record is being written.
 *    The reader then no longer owns the call and must not touch it: a
 *    reader putting a call back first finds it on the pending list, under
 *    the lock (fastipc_work_untake()).  Its message was detached already
 *    and stays the reader's.
 *  - A buffer becomes FREE-able (delivered) only once its record is out
 *    and its handles and fds are written: a sibling thread guessing the
 *    offset can neither free it under the writer nor free a buffer whose
 *    record goes back to its list.
 *  - fds are installed last, after the record is out, with receive_fd():
 *    nothing can fail after a file landed in the reader's table.
 *  - A thread reads no record after a one-way transaction: the node's next
 *    one-way waits for it to come back (rule 8).
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/instrumented.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "internal.h"
#include "trace.h"

/*
 * @thread stops waiting for its innermost call (answered or timed out):
 * the call before it is waited for again, and its reply, if it came
 * already, is next.  peer->lock held.
 */
static __always_inline void fastipc_wait_pop(struct fastipc_thread *thread)
{
	struct fastipc_txn *txn = thread->waiting, *t;

	lockdep_assert_held(&thread->peer->lock);
	thread->waiting = txn->outer;
	thread->deadline = txn->outer_deadline;
	thread->wait_depth = txn->outer ? txn->depth - 1 : 0;
	if (likely(!thread->waiting))
		return;
	list_for_each_entry(t, &thread->parked, work.entry) {
		if (t == thread->waiting) {
			list_move(&t->work.entry, &thread->todo);
			break;
		}
	}
}

/* Undo fastipc_wait_pop() of @txn: its record went back.  peer->lock held. */
static void fastipc_wait_unpop(struct fastipc_thread *thread,
			       struct fastipc_txn *txn, ktime_t deadline)
{
	lockdep_assert_held(&thread->peer->lock);
	fastipc_park_reply(thread);
	thread->waiting = txn;
	thread->waiting_id = txn->id;
	thread->wait_depth = txn->depth;
	thread->deadline = deadline;
}

/* Detach a transaction's message for delivery.  peer->lock held. */
static void fastipc_take_msg(struct fastipc_delivery *d,
			     struct fastipc_txn *txn)
{
	struct fastipc_msg *msg = &txn->msg;
	struct fastipc_ret *rec = &d->rec;

	rec->txn_id = txn->id;
	rec->code = txn->code;
	rec->data_len = msg->len;
	rec->n_handles = msg->n_handles;
	rec->n_fds = msg->n_fds;
	if (msg->is_inline) {
		rec->flags |= FASTIPC_RET_INLINE;
		memcpy(rec->inline_data, msg->inline_data, msg->len);
	} else {
		rec->offset = msg->offset;
	}
	memcpy(&d->msg, msg, offsetof(struct fastipc_msg, inline_data));
	msg->nodes = NULL;
	msg->files = NULL;
	msg->has_buf = false;
}

/* Give a transaction its message back.  peer->lock held. */
static void fastipc_untake_msg(struct fastipc_delivery *d,
			       struct fastipc_txn *txn)
{
	memcpy(&txn->msg, &d->msg, offsetof(struct fastipc_msg, inline_data));
	d->msg.nodes = NULL;
	d->msg.files = NULL;
	d->msg.has_buf = false;
}

/* Fill @d from a transaction just taken off a list.  peer->lock held. */
static void fastipc_claim_txn(struct fastipc_thread *thread,
			      struct fastipc_txn *txn,
			      struct fastipc_delivery *d)
{
	struct fastipc_peer *peer = thread->peer;
	struct fastipc_ret *rec = &d->rec;

	trace_fastipc_txn_received(txn, thread);
	rec->op = FASTIPC_RET_TRANSACTION;
	rec->cookie = txn->node->cookie;
	rec->sender_pid = pid_vnr(txn->from_peer->pid);
	rec->sender_euid = from_kuid_munged(current_user_ns(),
					    txn->from_peer->cred->euid);
	fastipc_take_msg(d, txn);
	if (!txn->handoff)
		d->lend = txn->lend;
	d->from_peer_list |= txn->handoff;
	txn->handoff = false;
	if (txn->oneway) {
		rec->flags |= FASTIPC_RET_ONEWAY;
		fastipc_oneway_uncharge(peer, txn);
		kref_get(&txn->node->kref);
		thread->oneway_node = txn->node;
		d->txn = txn;
	} else {
		/* From now on any thread of the peer may answer it. */
		txn->server = thread->serial;
		txn->taken = ++peer->pending_seq;
		d->taken = txn->taken;
		list_add_tail(&txn->pending_entry, &peer->pending);
	}
	if (d->from_peer_list && thread->looper && list_empty(&peer->idle) &&
	    peer->loopers + peer->spawn_requested <
	    min(peer->max_threads, READ_ONCE(fastipc_max_threads))) {
		peer->spawn_requested++;
		d->spawn = true;
		trace_fastipc_spawn_requested(thread);
	}
}

/* Fill @d from work @w, just taken off a list.  peer->lock held. */
static void fastipc_claim(struct fastipc_thread *thread,
			  struct fastipc_work *w, struct fastipc_delivery *d)
{
	struct fastipc_ret *rec = &d->rec;
	struct fastipc_txn *txn;
	struct fastipc_node *node;
	struct fastipc_death *death;

	lockdep_assert_held(&thread->peer->lock);
	d->work = w;
	switch (w->type) {
	case FASTIPC_WORK_TXN:
		txn = container_of(w, struct fastipc_txn, work);
		fastipc_claim_txn(thread, txn, d);
		break;
	case FASTIPC_WORK_REPLY:
		txn = container_of(w, struct fastipc_txn, work);
		rec->op = txn->reply_op;
		rec->reason = txn->reason;
		trace_fastipc_txn_returned(txn, thread);
		fastipc_take_msg(d, txn);
		d->deadline = thread->deadline;
		fastipc_wait_pop(thread);
		d->txn = txn;
		break;
	case FASTIPC_WORK_DEAD_NODE:
		death = container_of(w, struct fastipc_death, work);
		rec->op = FASTIPC_RET_DEAD_NODE;
		rec->cookie = death->cookie;
		death->state = FASTIPC_DEATH_DELIVERED;
		trace_fastipc_death_delivered(death->ref);
		/* To find the request again if the record goes back. */
		d->node = death->ref->node;
		kref_get(&d->node->kref);
		break;
	case FASTIPC_WORK_NODE_RELEASED:
		node = container_of(w, struct fastipc_node, released_work);
		rec->op = FASTIPC_RET_NODE_RELEASED;
		rec->cookie = node->cookie;
		node->released_queued = false;
		d->node = node;	/* the queued work's reference */
		break;
	case FASTIPC_WORK_SIGNAL:
		fastipc_signal_claim(w, d);
		break;
	}
}

/* Put a NODE_RELEASED record back, unless it no longer holds. */
static void fastipc_released_untake(struct fastipc_peer *peer,
				    struct fastipc_delivery *d)
{
	struct fastipc_node *node = d->node;

	spin_lock(&node->lock);
	spin_lock(&peer->lock);
	if (!peer->dead && !node->released_queued && !node->remote_refs) {
		node->released_queued = true;
		list_add(&node->released_work.entry, &peer->todo);
		fastipc_wake_one(peer);
		d->node = NULL;	/* the reference goes back with the work */
	}
	spin_unlock(&peer->lock);
	spin_unlock(&node->lock);
}

/**
 * fastipc_work_untake() - put back work whose record could not be written.
 * @thread: the reading thread.
 * @d: the delivery, its handles already given back (rw.c).
 *
 * The work goes to the head of the list it came from with what taking it
 * changed undone (rule 9); if the peer died meanwhile it is abandoned.  A
 * call that was answered meanwhile (see the rules above) is not ours any
 * more: only its message, detached, is dropped.  What @d still holds
 * afterwards is dropped by fastipc_finish().  The kind of work is read from
 * the record: the work itself may be gone.
 */
static void fastipc_work_untake(struct fastipc_thread *thread,
				struct fastipc_delivery *d)
{
	struct fastipc_peer *peer = thread->peer;
	struct fastipc_work *w = d->work;
	struct list_head *head = &thread->todo;
	struct fastipc_node *oneway_node = NULL;
	struct fastipc_txn *txn;
	bool restore = false, answered = false;
	LIST_HEAD(dropped);

	if (!w)
		return;
	d->work = NULL;
	if (d->rec.op == FASTIPC_RET_DEAD_NODE) {
		fastipc_death_untake(peer, d->node, d->rec.cookie);
		return;
	}
	if (d->rec.op == FASTIPC_RET_NODE_RELEASED) {
		fastipc_released_untake(peer, d);
		return;
	}
	if (d->rec.op == FASTIPC_RET_SIGNAL) {
		fastipc_signal_untake(peer, d);
		return;
	}
	txn = container_of(w, struct fastipc_txn, work);
	spin_lock(&peer->lock);
	if (d->rec.op != FASTIPC_RET_TRANSACTION) {
		fastipc_untake_msg(d, txn);
		d->txn = NULL;
		/*
		 * A dead peer's waits are over (the drain ended them) and its
		 * answer is dropped below: waiting for it again would leave
		 * the thread waiting for a call that is freed.
		 */
		if (!peer->dead)
			fastipc_wait_unpop(thread, txn, d->deadline);
	} else {
		if (d->rec.flags & FASTIPC_RET_ONEWAY) {
			fastipc_untake_msg(d, txn);
			d->txn = NULL;
			fastipc_oneway_recharge(peer, txn);
			oneway_node = thread->oneway_node;
			thread->oneway_node = NULL;
		} else if (fastipc_pending_unlink(peer, txn, d->taken)) {
			fastipc_untake_msg(d, txn);
			txn->server = 0;
		} else {
			answered = true;
		}
		restore = thread->boosted && !fastipc_serves_waited(thread);
		if (d->spawn)
			peer->spawn_requested--;
		d->spawn = false;
		if (d->from_peer_list)
			head = &peer->todo;
	}
	if (answered) {
		/* Nothing to put back. */
	} else if (peer->dead) {
		list_add(&w->entry, &dropped);
	} else {
		list_add(&w->entry, head);
		if (head == &peer->todo)
			fastipc_wake_one(peer);
	}
	spin_unlock(&peer->lock);
	if (answered)
		fastipc_msg_discard(peer, &d->msg);
	fastipc_work_abandon_list(peer, &dropped);
	if (oneway_node)
		fastipc_node_put(oneway_node);	/* the node stays busy */
	if (restore)
		fastipc_prio_restore(thread);
}

/* The call @thread waits for passed its deadline.  peer->lock held. */
static bool fastipc_timed_out(struct fastipc_thread *thread)
{
	return thread->waiting && thread->deadline &&
	       ktime_compare(ktime_get(), thread->deadline) >= 0;
}

/*
 * End the call of @thread with a time-out record.  peer->lock held.
 * Return: the call's server peer, counted, for the caller to withdraw the
 * priority the call lent (prio.c) once the lock is dropped; or NULL.
 */
static struct fastipc_peer *fastipc_time_out(struct fastipc_thread *thread,
					     struct fastipc_delivery *d)
{
	struct fastipc_peer *to = thread->waiting->to;

	trace_fastipc_txn_timed_out(thread);
	d->rec.op = FASTIPC_RET_FAILED_REPLY;
	d->rec.flags = FASTIPC_RET_INLINE;
	d->rec.txn_id = thread->waiting_id;
	d->rec.code = ETIMEDOUT;
	d->rec.reason = FASTIPC_REASON_TIMED_OUT;
	/*
	 * The reply, if it ever comes, finds nobody waiting: dropped.  Until
	 * then the call still waits in (or is served by) its server: counted
	 * against the peer's calls_unanswered.
	 */
	thread->waiting->timed_out = true;
	thread->peer->calls_unanswered++;
	fastipc_wait_pop(thread);
	if (to)		/* NULL for a cancelled call's stand-in (cancel.c) */
		kref_get(&to->kref);
	return to;
}

/*
 * Sleep for work (queue.c, rule 3): until a waker of that rule, the
 * deadline of the awaited call, or a signal.  Called with peer->lock held
 * and @thread's conditions just looked at under it; returns with it held
 * again, for the caller to look again.  A deadline that passed meanwhile
 * ends the sleep at once: the caller then times the call out.
 *
 * When the thread we just woke (the server of our call, the caller of our
 * reply) is due to run on this CPU, it runs first, while we are still
 * runnable: the work it gives us then needs no wake-up, the most costly
 * step of a round trip, and we look again before sleeping.
 *
 * Return: 0, or -ERESTARTSYS when a signal is pending.
 */
static __always_inline int fastipc_sleep(struct fastipc_thread *thread)
	__must_hold(&thread->peer->lock)
{
	struct fastipc_peer *peer = thread->peer;
	ktime_t deadline = thread->waiting ? thread->deadline : 0;

	lockdep_assert_held(&peer->lock);
	if (need_resched()) {
		spin_unlock(&peer->lock);
		cond_resched();
		spin_lock(&peer->lock);
		return signal_pending(current) ? -ERESTARTSYS : 0;
	}
	thread->sleeping = true;
	set_current_state(TASK_INTERRUPTIBLE);
	spin_unlock(&peer->lock);
	if (deadline)
		schedule_hrtimeout(&deadline, HRTIMER_MODE_ABS);
	else
		schedule();
	spin_lock(&peer->lock);
	thread->sleeping = false;
	return signal_pending(current) ? -ERESTARTSYS : 0;
}

/**
 * fastipc_take_work() - take the next record of @thread into @d.
 * @thread: the reading thread, in its own ioctl.
 * @block: wait for work when there is none.
 * @d: the delivery to fill, cleared by the caller.
 *
 * Its own work comes first, then the peer's unless it waits for a reply.
 * A thread that serves nothing is back to its own priority before it
 * waits or returns empty-handed.  A fatal signal makes it leave the peer.
 *
 * Return: 1 with @d filled, 0 when there is none and @block is false, or
 * -errno: -EPIPE (peer dead), -EINTR (the owner closed a descriptor of the
 * peer), -ERESTARTSYS (signal).
 */
static __always_inline int fastipc_take_work(struct fastipc_thread *thread,
					     bool block,
					     struct fastipc_delivery *d)
{
	struct fastipc_peer *peer = thread->peer;
	struct fastipc_work *w;
	unsigned int gen;
	bool peer_ok;
	int ret;

	spin_lock(&peer->lock);
	gen = peer->flush_gen;
	for (;;) {
		if (thread->handoff) {
			/* A sender is raising us before handing us a call. */
			spin_unlock(&peer->lock);
			fastipc_thread_wait_handoff(thread);
			spin_lock(&peer->lock);
			continue;
		}
		list_del_init(&thread->idle_entry);
		/* A dead peer's list is the drain's (rule 6). */
		peer_ok = !thread->waiting && !peer->dead;
		d->from_peer_list = false;
		w = list_first_entry_or_null(&thread->todo,
					     struct fastipc_work, entry);
		if (!w && peer_ok) {
			d->from_peer_list = true;
			w = list_first_entry_or_null(&peer->todo,
						     struct fastipc_work,
						     entry);
		}
		if (w) {
			list_del_init(&w->entry);
			fastipc_claim(thread, w, d);
			spin_unlock(&peer->lock);
			return 1;
		}
		if (fastipc_timed_out(thread)) {
			struct fastipc_peer *to = fastipc_time_out(thread, d);

			spin_unlock(&peer->lock);
			/* Its server runs on for nobody: not at our priority. */
			if (to) {
				fastipc_prio_withdraw_call(to, d->rec.txn_id);
				fastipc_peer_put(to);
			}
			fastipc_count(FASTIPC_COUNT_TIMEOUTS);
			fastipc_failed_log_id(d->rec.txn_id, pid_nr(peer->pid),
					      0, d->rec.op, d->rec.reason,
					      ETIMEDOUT);
			return 1;
		}
		if (peer_ok && thread->boosted &&
		    !fastipc_serves_waited(thread)) {
			/*
			 * Serving nothing waited for: back to our own priority
			 * before waiting or leaving.  A thread that still
			 * serves a call (it read on past it) keeps what the
			 * call lent.
			 */
			spin_unlock(&peer->lock);
			fastipc_prio_restore(thread);
			spin_lock(&peer->lock);
			continue;
		}
		ret = peer->dead ? -EPIPE :
		      peer->flush_gen != gen ? -EINTR :
		      block ? 0 : -EAGAIN;
		if (ret) {
			spin_unlock(&peer->lock);
			return ret == -EAGAIN ? 0 : ret;
		}
		if (peer_ok)
			list_add(&thread->idle_entry, &peer->idle);
		ret = fastipc_sleep(thread);
		if (ret) {
			list_del_init(&thread->idle_entry);
			spin_unlock(&peer->lock);
			fastipc_thread_unhand(thread);
			/* A killed thread never comes back: leave now. */
			if (fatal_signal_pending(current))
				fastipc_thread_exit(thread);
			return ret;
		}
	}
}

/**
 * fastipc_msg_take_handles() - turn the nodes of a delivered message into
 *	the reader's handles, written after the payload in its area (which
 *	the reader cannot write).
 * @peer: the reader's peer.
 * @msg: the message, detached from its transaction.
 * @flags: the record's flags: %FASTIPC_RET_HANDLES_FAILED is set when a
 *	node could not be taken (handle limit); its handle reads 0xffffffff.
 *
 * Return: the handles written, or NULL when the message has none.
 */
u32 *fastipc_msg_take_handles(struct fastipc_peer *peer,
			      const struct fastipc_msg *msg, u32 *flags)
{
	u32 *handles;
	u32 i;

	if (!msg->n_handles)
		return NULL;
	handles = peer->area.kaddr + msg->offset + round_up(msg->len, 8);
	for (i = 0; i < msg->n_handles; i++) {
		if (fastipc_handle_take(peer, msg->nodes[i], &handles[i])) {
			handles[i] = U32_MAX;
			*flags |= FASTIPC_RET_HANDLES_FAILED;
		}
	}
	return handles;
}

/**
 * fastipc_msg_put_handles() - the record did not reach userspace: give
 *	back the handles fastipc_msg_take_handles() took.
 * @peer: the reader's peer.
 * @msg: the message.
 * @handles: what fastipc_msg_take_handles() returned.
 */
void fastipc_msg_put_handles(struct fastipc_peer *peer,
			     const struct fastipc_msg *msg, u32 *handles)
{
	u32 i;

	for (i = 0; handles && i < msg->n_handles; i++)
		if (handles[i] != U32_MAX)
			fastipc_handle_release(peer, handles[i]);
}

/**
 * fastipc_msg_install() - the record is out: install the message's fds
 *	and let the reader FREE its buffer.
 * @peer: the reader's peer.
 * @msg: the message; its buffer is the reader's afterwards.
 * @rec_flags: the flags of the record written to @urec.
 * @urec: the record, for %FASTIPC_RET_FDS_FAILED.
 *
 * The fds are installed with the LSM and cgroup hooks of SCM_RIGHTS, as
 * the last step (nothing can fail after), their numbers written after the
 * handles.
 */
void fastipc_msg_install(struct fastipc_peer *peer, struct fastipc_msg *msg,
			 u32 rec_flags, struct fastipc_ret __user *urec)
{
	bool failed = false;
	s32 *fds;
	u32 i;

	if (msg->n_fds) {
		fds = peer->area.kaddr + msg->offset + round_up(msg->len, 8) +
		      sizeof(u32) * msg->n_handles;
		for (i = 0; i < msg->n_fds; i++) {
			fds[i] = fastipc_receive_fd(msg->files[i], O_CLOEXEC);
			if (fds[i] < 0) {
				fds[i] = -1;
				failed = true;
			}
		}
		/*
		 * The record was written a moment ago: only a racing munmap
		 * can fail this, and the -1 in the area say it too.
		 */
		if (failed)
			(void)put_user(rec_flags | FASTIPC_RET_FDS_FAILED,
				       &urec->flags);
	}
	/* Everything is written: userspace may FREE it from now on. */
	if (msg->has_buf) {
		fastipc_area_deliver(peer, msg->offset);
		msg->has_buf = false;
	}
}

/* Drop what the delivery still holds once its record is out or back. */
static __always_inline void fastipc_finish(struct fastipc_thread *thread,
					   struct fastipc_delivery *d)
{
	struct fastipc_msg *msg = &d->msg;
	u32 i;

	if (unlikely(msg->files)) {
		for (i = 0; i < msg->n_fds; i++)
			fput(msg->files[i]);
		kfree(msg->files);
	}
	if (unlikely(msg->nodes)) {
		for (i = 0; i < msg->n_handles; i++)
			fastipc_node_put(msg->nodes[i]);
		kfree(msg->nodes);
	}

	if (d->node)
		fastipc_node_put(d->node);
	if (d->txn) {
		if (d->txn->oneway)
			fastipc_txn_free(d->txn);
		else
			fastipc_txn_recycle(thread, d->txn);
	}
}

/*
 * Bytes of a record that go out: the header and the inline payload.  The
 * rest of @inline_data is neither cleared nor written.
 */
static size_t fastipc_rec_size(const struct fastipc_ret *rec)
{
	size_t len = offsetof(struct fastipc_ret, inline_data);

	if (rec->flags & FASTIPC_RET_INLINE)
		len += rec->data_len;
	return len;
}

/*
 * Write the header and inline payload of @rec (the reader's fixed-size
 * record on our stack) to @urec, as copy_to_user() would but without
 * hardened usercopy's look-up of a source that is a fixed-size record:
 * one string copy rather than a loop of single stores.
 */
static __always_inline int fastipc_rec_copy_out(struct fastipc_ret __user *urec,
						const struct fastipc_ret *rec)
{
	size_t len = fastipc_rec_size(rec);
	unsigned long left;

	if (should_fail_usercopy() || !access_ok(urec, len))
		return -EFAULT;
	instrument_copy_to_user(urec, rec, len);
	left = raw_copy_to_user(urec, rec, len);
	return left ? -EFAULT : 0;
}

/* Clear what fastipc_take_work() and the copy-out rely on. */
static void fastipc_delivery_init(struct fastipc_delivery *d)
{
	memset(&d->rec, 0, offsetof(struct fastipc_ret, inline_data));
	memset(&d->msg, 0, offsetof(struct fastipc_msg, inline_data));
	d->work = NULL;
	d->txn = NULL;
	d->node = NULL;
	d->handles = NULL;
	d->lend.valid = false;
	d->spawn = false;
}

/*
 * Probe the first record slot at @urec: a buffer that cannot take a record
 * fails at once rather than after waiting for work (which would then go
 * back to its list).  Both ends (a record is smaller than a page), the
 * last byte rewritten with its own value.
 */
static int fastipc_probe_rec(struct fastipc_ret __user *urec)
{
	u8 __user *last = (u8 __user *)(urec + 1) - 1;
	u8 tail;

	if (should_fail_usercopy() || !user_access_begin(urec, sizeof(*urec)))
		return -EFAULT;
	unsafe_put_user(0, &urec->op, efault);
	unsafe_get_user(tail, last, efault);
	unsafe_put_user(tail, last, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/* Write the SPAWN_LOOPER record owed after @d, or give the request back. */
static bool fastipc_spawn_rec(struct fastipc_thread *thread,
			      struct fastipc_delivery *d,
			      struct fastipc_ret __user *urec)
{
	memset(&d->rec, 0, offsetof(struct fastipc_ret, inline_data));
	d->rec.op = FASTIPC_RET_SPAWN_LOOPER;
	if (urec && !fastipc_rec_copy_out(urec, &d->rec))
		return true;
	spin_lock(&thread->peer->lock);
	thread->peer->spawn_requested--;
	spin_unlock(&thread->peer->lock);
	return false;
}

/**
 * fastipc_read() - the read phase of WRITE_READ.
 * @thread: the calling thread.
 * @wr: the ioctl's argument; read_consumed grows by the records written.
 * @nonblock: do not wait for a first record.
 *
 * Return: 0 with at least one record written, or -errno (-EAGAIN when
 * there was none and @nonblock).
 */
int fastipc_read(struct fastipc_thread *thread, struct fastipc_write_read *wr,
		 bool nonblock)
{
	struct fastipc_ret __user *ubuf;
	/* Not zeroed on entry: fastipc_delivery_init() sets what is read. */
	struct fastipc_delivery dd __uninitialized, *d = &dd;
	size_t room, got = 0;
	bool oneway;
	int ret = 0;

	ubuf = u64_to_user_ptr(wr->read_buffer + wr->read_consumed);
	room = (wr->read_size - wr->read_consumed) / sizeof(*ubuf);
	if (fastipc_probe_rec(ubuf))
		return -EFAULT;

	while (got < room) {
		fastipc_delivery_init(d);
		ret = fastipc_take_work(thread, !got && !nonblock, d);
		if (ret <= 0)
			break;
		if (d->lend.valid)
			fastipc_prio_boost(thread, &d->lend);
		d->handles = fastipc_msg_take_handles(thread->peer, &d->msg,
						      &d->rec.flags);
		if (fastipc_rec_copy_out(ubuf + got, &d->rec)) {
			/* Nothing lost: the work goes back where it was. */
			fastipc_msg_put_handles(thread->peer, &d->msg,
						d->handles);
			d->handles = NULL;
			fastipc_work_untake(thread, d);
			fastipc_finish(thread, d);
			ret = -EFAULT;
			break;
		}
		fastipc_msg_install(thread->peer, &d->msg, d->rec.flags,
				    ubuf + got);
		fastipc_finish(thread, d);
		got++;
		oneway = d->rec.flags & FASTIPC_RET_ONEWAY;
		if (d->spawn &&
		    fastipc_spawn_rec(thread, d, got < room ? ubuf + got : NULL))
			got++;
		/* The next one-way of its node waits for us: read no more. */
		if (oneway)
			break;
	}
	wr->read_consumed += got * sizeof(*ubuf);
	if (got)
		return 0;
	return ret ? ret : -EAGAIN;
}

