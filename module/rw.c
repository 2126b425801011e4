// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - FASTIPC_IOC_WRITE_READ: run the commands of the write buffer,
 * then wait for work and fill the read buffer with records.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/pid.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "internal.h"

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

/*
 * Run one command.  Return: 0, 1 to stop after LOOPER_EXIT, or -errno
 * with *@reason set where the errno alone is ambiguous.
 */
static int fastipc_cmd_exec(struct fastipc_thread *thread,
			    const struct fastipc_cmd *cmd, u32 *reason)
{
	struct fastipc_peer *peer = thread->peer;
	int ret;

	switch (cmd->op) {
	case FASTIPC_CMD_CALL:
	case FASTIPC_CMD_SEND:
		return fastipc_txn_send(thread, cmd,
					cmd->op == FASTIPC_CMD_SEND, reason);
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

/*
 * Turn the nodes of a delivered message into the reader's handles,
 * written after the payload in the area (which the reader cannot write).
 * A node the reader cannot take (handle limit) reads 0xffffffff.
 */
static void fastipc_translate(struct fastipc_peer *peer,
			      struct fastipc_delivery *d)
{
	struct fastipc_msg *msg = &d->msg;
	u32 i;

	if (!msg->n_handles)
		return;
	d->handles = peer->area.kaddr + msg->offset + round_up(msg->len, 8);
	for (i = 0; i < msg->n_handles; i++) {
		if (fastipc_handle_take(peer, msg->nodes[i], &d->handles[i])) {
			d->handles[i] = U32_MAX;
			d->rec.flags |= FASTIPC_RET_HANDLES_FAILED;
		}
	}
}

/* The record did not reach userspace: give its handles back. */
static void fastipc_untranslate(struct fastipc_peer *peer,
				struct fastipc_delivery *d)
{
	u32 i;

	for (i = 0; d->handles && i < d->msg.n_handles; i++)
		if (d->handles[i] != U32_MAX)
			fastipc_handle_release(peer, d->handles[i]);
	d->handles = NULL;
}

/*
 * The record is out: install its fds, with the LSM and cgroup hooks of
 * SCM_RIGHTS, as the last step (nothing can fail after), write their
 * numbers after the handles, and let the reader FREE the buffer.
 */
static void fastipc_install(struct fastipc_thread *thread,
			    struct fastipc_delivery *d,
			    struct fastipc_ret __user *urec)
{
	struct fastipc_peer *peer = thread->peer;
	struct fastipc_msg *msg = &d->msg;
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
			(void)put_user(d->rec.flags | FASTIPC_RET_FDS_FAILED,
				       &urec->flags);
	}
	/* Else fastipc_take_work() delivered it already. */
	if (msg->has_buf && (msg->n_handles || msg->n_fds))
		fastipc_area_deliver(peer, msg->offset);
}

/* Drop what the delivery still holds once its record is out or back. */
static void fastipc_finish(struct fastipc_thread *thread,
			   struct fastipc_delivery *d)
{
	struct fastipc_msg *msg = &d->msg;
	u32 i;

	for (i = 0; msg->files && i < msg->n_fds; i++)
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
	d->work = NULL;
	d->txn = NULL;
	d->node = NULL;
	d->handles = NULL;
	d->lend.valid = false;
	d->spawn = false;
}

/*
 * Probe the record slot at @urec: a buffer that cannot take a record must
 * fail before any work is taken off a list.  Both ends (a record is
 * smaller than a page), the last byte rewritten with its own value.
 */
static int fastipc_probe_rec(struct fastipc_ret __user *urec)
{
	u8 __user *last = (u8 __user *)(urec + 1) - 1;
	u8 tail;

	if (put_user(0, &urec->op) || get_user(tail, last) ||
	    put_user(tail, last))
		return -EFAULT;
	return 0;
}

/* Write the SPAWN_LOOPER record owed after @d, or give the request back. */
static bool fastipc_spawn_rec(struct fastipc_thread *thread,
			      struct fastipc_delivery *d,
			      struct fastipc_ret __user *urec)
{
	memset(&d->rec, 0, offsetof(struct fastipc_ret, inline_data));
	d->rec.op = FASTIPC_RET_SPAWN_LOOPER;
	if (urec && !copy_to_user(urec, &d->rec, fastipc_rec_size(&d->rec)))
		return true;
	spin_lock(&thread->peer->lock);
	thread->peer->spawn_requested--;
	spin_unlock(&thread->peer->lock);
	return false;
}

static int fastipc_read(struct fastipc_thread *thread,
			struct fastipc_write_read *wr, bool nonblock)
{
	struct fastipc_ret __user *ubuf;
	struct fastipc_delivery dd, *d = &dd;
	size_t room, got = 0;
	bool oneway;
	int ret = 0;

	ubuf = u64_to_user_ptr(wr->read_buffer + wr->read_consumed);
	room = (wr->read_size - wr->read_consumed) / sizeof(*ubuf);
	if (fastipc_probe_rec(ubuf))
		return -EFAULT;

	while (got < room) {
		if (got && fastipc_probe_rec(ubuf + got))
			break;
		fastipc_delivery_init(d);
		ret = fastipc_take_work(thread, !got && !nonblock, d);
		if (ret <= 0)
			break;
		if (d->lend.valid)
			fastipc_prio_boost(thread, &d->lend);
		fastipc_translate(thread->peer, d);
		if (copy_to_user(ubuf + got, &d->rec,
				 fastipc_rec_size(&d->rec))) {
			/* Nothing lost: the work goes back where it was. */
			fastipc_untranslate(thread->peer, d);
			fastipc_work_untake(thread, d);
			fastipc_finish(thread, d);
			ret = -EFAULT;
			break;
		}
		fastipc_install(thread, d, ubuf + got);
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
	u32 reason = FASTIPC_REASON_NONE;
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
	/* Back from the one-way we took: the next of its node may go. */
	if (thread->oneway_node)
		fastipc_oneway_done(thread);

	ucmd = u64_to_user_ptr(wr.write_buffer);
	while (wr.write_consumed < wr.write_size) {
		if (copy_from_user(&cmd, (void __user *)ucmd +
				   wr.write_consumed, sizeof(cmd))) {
			ret = -EFAULT;
			break;
		}
		ret = fastipc_cmd_exec(thread, &cmd, &reason);
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

	/* Only the two counters and the reason change. */
	if (put_user(wr.write_consumed, &uwr->write_consumed) ||
	    put_user(wr.read_consumed, &uwr->read_consumed) ||
	    put_user(reason, &uwr->reason))
		return -EFAULT;
	return ret;
}
