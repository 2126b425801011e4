// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - FASTIPC_IOC_WRITE_READ: run the commands of the write buffer,
 * then wait for work and fill the read buffer with records.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/pid.h>
#include <linux/uaccess.h>

#include "internal.h"

/**
 * struct fastipc_delivery - one record being handed to userspace.
 * @rec: the record.
 * @msg: the message's buffer, nodes and files, detached from the work.
 * @txn: the transaction to free or recycle once the record is out.
 * @node: a node reference to drop once the record is out.
 * @lend: the priority the transaction lends to the reading thread, when
 *	no sender raised it already.
 * @fds: fd numbers reserved for @msg's files.
 * @spawn: a SPAWN_LOOPER record is owed after this one.
 */
struct fastipc_delivery {
	struct fastipc_ret rec;
	struct fastipc_msg msg;
	struct fastipc_txn *txn;
	struct fastipc_node *node;
	struct fastipc_prio lend;
	int fds[FASTIPC_MAX_TXN_FDS];
	bool spawn;
};

static int fastipc_cmd_check_plain(const struct fastipc_cmd *cmd)
{
	if (cmd->flags || cmd->n_handles || cmd->txn_id || cmd->code ||
	    cmd->data || cmd->data_len || cmd->handles || cmd->fds ||
	    cmd->n_fds || cmd->reserved0)
		return -EINVAL;
	return 0;
}

static void fastipc_looper_enter(struct fastipc_thread *thread)
{
	struct fastipc_peer *peer = thread->peer;

	spin_lock(&peer->lock);
	if (!thread->looper) {
		thread->looper = true;
		peer->loopers++;
		if (peer->spawn_requested)
			peer->spawn_requested--;
	}
	spin_unlock(&peer->lock);
}

/* Run one command.  Return: 0, 1 to stop after LOOPER_EXIT, or -errno. */
static int fastipc_cmd_exec(struct fastipc_thread *thread,
			    const struct fastipc_cmd *cmd)
{
	struct fastipc_peer *peer = thread->peer;
	int ret;

	switch (cmd->op) {
	case FASTIPC_CMD_CALL:
	case FASTIPC_CMD_SEND:
		return fastipc_txn_send(thread, cmd,
					cmd->op == FASTIPC_CMD_SEND);
	case FASTIPC_CMD_REPLY:
	case FASTIPC_CMD_REPLY_ERROR:
		return fastipc_txn_reply(thread, cmd,
					 cmd->op == FASTIPC_CMD_REPLY_ERROR);
	}

	ret = fastipc_cmd_check_plain(cmd);
	if (ret)
		return ret;
	switch (cmd->op) {
	case FASTIPC_CMD_FREE:
		return cmd->handle ? -EINVAL :
			fastipc_area_free_user(peer, cmd->arg);
	case FASTIPC_CMD_ACQUIRE:
		return cmd->arg ? -EINVAL :
			fastipc_handle_acquire(peer, cmd->handle);
	case FASTIPC_CMD_RELEASE:
		return cmd->arg ? -EINVAL :
			fastipc_handle_release(peer, cmd->handle);
	case FASTIPC_CMD_REQUEST_DEATH:
		return fastipc_death_request(peer, cmd->handle, cmd->arg);
	case FASTIPC_CMD_CLEAR_DEATH:
		return fastipc_death_clear(peer, cmd->handle, cmd->arg);
	case FASTIPC_CMD_LOOPER_ENTER:
		if (cmd->handle || cmd->arg)
			return -EINVAL;
		fastipc_looper_enter(thread);
		return 0;
	case FASTIPC_CMD_LOOPER_EXIT:
		if (cmd->handle || cmd->arg)
			return -EINVAL;
		fastipc_thread_exit(thread);
		return 1;
	}
	return -EINVAL;
}

static bool fastipc_thread_has_work(struct fastipc_thread *thread)
{
	struct fastipc_peer *peer = thread->peer;

	return (!list_empty_careful(&thread->todo) &&
		!READ_ONCE(thread->handoff)) ||
	       (!READ_ONCE(thread->waiting) &&
		!list_empty_careful(&peer->todo)) ||
	       READ_ONCE(peer->dead);
}

/* Detach a transaction's message for delivery.  peer->lock held. */
static void fastipc_take_msg(struct fastipc_peer *peer,
			     struct fastipc_delivery *d, struct fastipc_txn *txn)
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
		if (msg->has_buf)
			fastipc_area_deliver(peer, msg->offset);
	}
	memcpy(&d->msg, msg, offsetof(struct fastipc_msg, inline_data));
	msg->nodes = NULL;
	msg->files = NULL;
	msg->has_buf = false;
}

/* Fill @d from work @w, just taken off a list.  peer->lock held. */
static void fastipc_claim(struct fastipc_thread *thread,
			  struct fastipc_work *w, struct fastipc_delivery *d,
			  bool from_peer_list)
{
	struct fastipc_peer *peer = thread->peer;
	struct fastipc_ret *rec = &d->rec;
	struct fastipc_txn *txn;
	struct fastipc_node *node;
	struct fastipc_ref *ref;

	switch (w->type) {
	case FASTIPC_WORK_TXN:
		txn = container_of(w, struct fastipc_txn, work);
		rec->op = FASTIPC_RET_TRANSACTION;
		rec->cookie = txn->node->cookie;
		rec->sender_pid = pid_vnr(txn->from_peer->pid);
		rec->sender_euid = from_kuid_munged(current_user_ns(),
						    txn->from_peer->cred->euid);
		fastipc_take_msg(peer, d, txn);
		if (!txn->handoff)
			d->lend = txn->lend;
		from_peer_list |= txn->handoff;
		txn->handoff = false;
		if (txn->oneway) {
			rec->flags |= FASTIPC_RET_ONEWAY;
			d->txn = txn;
		} else {
			/* From now on any thread of the peer may answer it. */
			txn->server = thread;
			list_add_tail(&txn->pending_entry, &peer->pending);
		}
		if (from_peer_list && thread->looper &&
		    list_empty(&peer->idle) &&
		    peer->loopers + peer->spawn_requested <
		    min(peer->max_threads, READ_ONCE(fastipc_max_threads))) {
			peer->spawn_requested++;
			d->spawn = true;
		}
		break;
	case FASTIPC_WORK_REPLY:
		txn = container_of(w, struct fastipc_txn, work);
		rec->op = txn->reply_op;
		rec->reason = txn->reason;
		fastipc_take_msg(peer, d, txn);
		thread->waiting = NULL;
		thread->deadline = 0;
		d->txn = txn;
		break;
	case FASTIPC_WORK_DEAD_NODE:
		ref = container_of(w, struct fastipc_ref, death_work);
		rec->op = FASTIPC_RET_DEAD_NODE;
		rec->cookie = ref->death_cookie;
		fastipc_death_delivered(ref);
		break;
	case FASTIPC_WORK_NODE_RELEASED:
		node = container_of(w, struct fastipc_node, released_work);
		rec->op = FASTIPC_RET_NODE_RELEASED;
		rec->cookie = node->cookie;
		node->released_queued = false;
		d->node = node;
		break;
	}
}

/* The call @thread waits for passed its deadline.  peer->lock held. */
static bool fastipc_timed_out(struct fastipc_thread *thread)
{
	return thread->waiting && thread->deadline &&
	       ktime_compare(ktime_get(), thread->deadline) >= 0;
}

/* End the call of @thread with a time-out record.  peer->lock held. */
static void fastipc_time_out(struct fastipc_thread *thread,
			     struct fastipc_delivery *d)
{
	d->rec.op = FASTIPC_RET_FAILED_REPLY;
	d->rec.flags = FASTIPC_RET_INLINE;
	d->rec.txn_id = thread->waiting_id;
	d->rec.code = ETIMEDOUT;
	d->rec.reason = FASTIPC_REASON_TIMED_OUT;
	/* The reply, if it ever comes, finds nobody waiting: dropped. */
	thread->waiting = NULL;
	thread->deadline = 0;
}

/*
 * Sleep until @thread has work, its deadline passes, or a signal.  A thread
 * on the idle list (@idle) also wakes up when a sender takes it off that
 * list: the work it was woken for may have gone to another thread, and it
 * must then put itself back on the list rather than sleep unseen.
 */
static int fastipc_wait_work(struct fastipc_thread *thread, bool idle)
{
	ktime_t deadline = READ_ONCE(thread->deadline);
	int ret;

	if (!deadline || !READ_ONCE(thread->waiting))
		return wait_event_interruptible(thread->wait,
			fastipc_thread_has_work(thread) ||
			(idle && list_empty_careful(&thread->idle_entry)));
	ret = wait_event_interruptible_hrtimeout(thread->wait,
						 fastipc_thread_has_work(thread),
						 ktime_sub(deadline, ktime_get()));
	return ret == -ETIME ? 0 : ret;
}

/*
 * Take the next work of @thread into @d: its own first, then the peer's
 * unless it waits for a reply.  Return: 1 with @d filled, 0 when there is
 * none and @block is false, or -errno.
 */
static int fastipc_take_work(struct fastipc_thread *thread, bool block,
			     struct fastipc_delivery *d)
{
	struct fastipc_peer *peer = thread->peer;
	struct fastipc_work *w;
	bool peer_ok;
	int ret;

	for (;;) {
		spin_lock(&peer->lock);
		if (thread->handoff) {
			/* A sender is raising us before handing us a call. */
			spin_unlock(&peer->lock);
			wait_event(thread->wait, !READ_ONCE(thread->handoff));
			continue;
		}
		list_del_init(&thread->idle_entry);
		peer_ok = !thread->waiting;
		w = list_first_entry_or_null(&thread->todo,
					     struct fastipc_work, entry);
		if (w || peer_ok) {
			bool from_peer = !w;

			if (!w)
				w = list_first_entry_or_null(&peer->todo,
							     struct fastipc_work,
							     entry);
			if (w) {
				list_del_init(&w->entry);
				fastipc_claim(thread, w, d, from_peer);
				spin_unlock(&peer->lock);
				return 1;
			}
		}
		if (fastipc_timed_out(thread)) {
			fastipc_time_out(thread, d);
			spin_unlock(&peer->lock);
			atomic_long_inc(&fastipc_counters[FASTIPC_COUNT_TIMEOUTS]);
			fastipc_failed_log_id(d->rec.txn_id, pid_nr(peer->pid), 0,
					      d->rec.op, d->rec.reason, ETIMEDOUT);
			return 1;
		}
		ret = peer->dead ? -EPIPE : block ? 0 : -EAGAIN;
		if (ret) {
			spin_unlock(&peer->lock);
			return ret == -EAGAIN ? 0 : ret;
		}
		if (peer_ok && thread->boosted) {
			/* Back to our own priority before waiting for work. */
			spin_unlock(&peer->lock);
			fastipc_prio_restore(thread);
			continue;
		}
		if (peer_ok)
			list_add(&thread->idle_entry, &peer->idle);
		spin_unlock(&peer->lock);

		ret = fastipc_wait_work(thread, peer_ok);
		if (ret) {
			spin_lock(&peer->lock);
			list_del_init(&thread->idle_entry);
			spin_unlock(&peer->lock);
			fastipc_thread_unhand(thread);
			return ret;
		}
	}
}

/*
 * Turn the nodes and files of a delivered message into the reader's
 * handles and reserved fd numbers, written after the payload in the area.
 */
static void fastipc_translate(struct fastipc_peer *peer,
			      struct fastipc_delivery *d)
{
	struct fastipc_msg *msg = &d->msg;
	u32 *handles;
	s32 *fds;
	u32 i;

	if (msg->is_inline || (!msg->n_handles && !msg->n_fds))
		return;
	handles = peer->area.kaddr + msg->offset + round_up(msg->len, 8);
	fds = (s32 *)(handles + msg->n_handles);
	for (i = 0; i < msg->n_handles; i++)
		if (fastipc_handle_take(peer, msg->nodes[i], &handles[i]))
			handles[i] = U32_MAX;
	for (i = 0; i < msg->n_fds; i++) {
		d->fds[i] = get_unused_fd_flags(O_CLOEXEC);
		fds[i] = d->fds[i] < 0 ? -1 : d->fds[i];
		if (d->fds[i] < 0)
			d->rec.flags |= FASTIPC_RET_FDS_FAILED;
	}
}

/* The record reached userspace (@ok) or not: finish the delivery. */
static void fastipc_finish(struct fastipc_thread *thread,
			   struct fastipc_delivery *d, bool ok)
{
	struct fastipc_msg *msg = &d->msg;
	u32 i;

	for (i = 0; msg->files && i < msg->n_fds; i++) {
		if (d->fds[i] < 0)
			continue;
		if (ok) {
			fd_install(d->fds[i], msg->files[i]);
			msg->files[i] = NULL;
		} else {
			put_unused_fd(d->fds[i]);
		}
	}
	for (i = 0; msg->files && i < msg->n_fds; i++)
		if (msg->files[i])
			fput(msg->files[i]);
	kfree(msg->files);
	for (i = 0; msg->nodes && i < msg->n_handles; i++)
		fastipc_node_put(msg->nodes[i]);
	kfree(msg->nodes);

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

/* Clear what fastipc_take_work() and the copy-out rely on. */
static void fastipc_delivery_init(struct fastipc_delivery *d)
{
	memset(&d->rec, 0, offsetof(struct fastipc_ret, inline_data));
	memset(&d->msg, 0, offsetof(struct fastipc_msg, inline_data));
	d->txn = NULL;
	d->node = NULL;
	d->lend.valid = false;
	d->spawn = false;
}

static int fastipc_read(struct fastipc_thread *thread,
			struct fastipc_write_read *wr, bool nonblock)
{
	struct fastipc_ret __user *ubuf;
	struct fastipc_delivery dd, *d = &dd;
	size_t room, got = 0;
	u8 __user *last;
	int ret = 0;
	u8 tail;

	ubuf = u64_to_user_ptr(wr->read_buffer + wr->read_consumed);
	room = (wr->read_size - wr->read_consumed) / sizeof(*ubuf);
	/*
	 * A read buffer that cannot take a record must fail before any work
	 * is taken off a list, so that nothing is lost: probe both ends of
	 * the first record (it is smaller than a page), the last byte
	 * rewritten with its own value.
	 */
	last = (u8 __user *)(ubuf + 1) - 1;
	if (put_user(0, &ubuf->op) || get_user(tail, last) ||
	    put_user(tail, last))
		return -EFAULT;

	while (got < room) {
		fastipc_delivery_init(d);
		ret = fastipc_take_work(thread, !got && !nonblock, d);
		if (ret <= 0)
			break;
		if (d->lend.valid)
			fastipc_prio_boost(thread, &d->lend);
		fastipc_translate(thread->peer, d);
		ret = copy_to_user(ubuf + got, &d->rec,
				   fastipc_rec_size(&d->rec)) ? -EFAULT : 0;
		fastipc_finish(thread, d, !ret);
		if (ret)
			break;
		got++;
		if (d->spawn) {
			memset(&d->rec, 0, offsetof(struct fastipc_ret,
						    inline_data));
			d->rec.op = FASTIPC_RET_SPAWN_LOOPER;
			if (got < room &&
			    !copy_to_user(ubuf + got, &d->rec,
					  fastipc_rec_size(&d->rec))) {
				got++;
			} else {
				spin_lock(&thread->peer->lock);
				thread->peer->spawn_requested--;
				spin_unlock(&thread->peer->lock);
			}
		}
	}
	wr->read_consumed += got * sizeof(*ubuf);
	if (got)
		return 0;
	return ret ? ret : -EAGAIN;
}

/**
 * fastipc_write_read() - FASTIPC_IOC_WRITE_READ.
 * @peer: the peer; the caller is its owner.
 * @file: the file, for O_NONBLOCK.
 * @arg: user pointer to &struct fastipc_write_read.
 *
 * Return: 0 or -errno; the consumed counters are written back either way.
 */
long fastipc_write_read(struct fastipc_peer *peer, struct file *file,
			void __user *arg)
{
	struct fastipc_write_read __user *uwr = arg;
	struct fastipc_write_read wr;
	struct fastipc_cmd __user *ucmd;
	struct fastipc_thread *thread;
	struct fastipc_cmd cmd;
	bool nonblock;
	int ret = 0;

	if (copy_from_user(&wr, arg, sizeof(wr)))
		return -EFAULT;
	if (wr.flags & ~FASTIPC_WR_NONBLOCK || wr.reason ||
	    wr.write_size % sizeof(cmd) || wr.write_consumed % sizeof(cmd) ||
	    wr.write_consumed > wr.write_size ||
	    wr.read_size % sizeof(struct fastipc_ret) ||
	    wr.read_consumed % sizeof(struct fastipc_ret) ||
	    wr.read_consumed > wr.read_size)
		return -EINVAL;
	nonblock = (wr.flags & FASTIPC_WR_NONBLOCK) ||
		   (file->f_flags & O_NONBLOCK);

	thread = fastipc_thread_get(peer);
	if (IS_ERR(thread))
		return PTR_ERR(thread);

	ucmd = u64_to_user_ptr(wr.write_buffer);
	while (wr.write_consumed < wr.write_size) {
		if (copy_from_user(&cmd, (void __user *)ucmd +
				   wr.write_consumed, sizeof(cmd))) {
			ret = -EFAULT;
			break;
		}
		ret = fastipc_cmd_exec(thread, &cmd);
		if (ret < 0)
			break;
		wr.write_consumed += sizeof(cmd);
		if (ret > 0)
			break;
	}
	if (!ret && wr.read_size > wr.read_consumed)
		ret = fastipc_read(thread, &wr, nonblock);
	ret = ret > 0 ? 0 : ret;
	fastipc_thread_put(thread);

	/* Only the two counters change. */
	if (put_user(wr.write_consumed, &uwr->write_consumed) ||
	    put_user(wr.read_consumed, &uwr->read_consumed))
		return -EFAULT;
	return ret;
}
