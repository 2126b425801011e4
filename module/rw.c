// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - FASTIPC_IOC_WRITE_READ: run the commands of the write buffer,
 * then the read phase (deliver.c).
 */
#include <linux/uaccess.h>

#include "internal.h"
#include "trace.h"

/**
 * fastipc_cmd_check_plain() - a command without payload has none.
 * @cmd: the command; only @op, @handle and @arg may be set.
 *
 * Return: 0 or -EINVAL.
 */
int fastipc_cmd_check_plain(const struct fastipc_cmd *cmd)
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
		trace_fastipc_looper_entered(thread);
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
	case FASTIPC_CMD_SIGNAL:
		return fastipc_signal_send(peer, cmd->handle, cmd->arg);
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
	/* Both filled by copy_from_user() before any use. */
	struct fastipc_write_read wr __uninitialized;
	struct fastipc_cmd __user *ucmd;
	struct fastipc_thread *thread;
	struct fastipc_cmd cmd __uninitialized;
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

	/* Only the two counters change, and the reason (0 on entry). */
	if (!user_access_begin(uwr, sizeof(*uwr)))
		return -EFAULT;
	unsafe_put_user(wr.write_consumed, &uwr->write_consumed, efault);
	unsafe_put_user(wr.read_consumed, &uwr->read_consumed, efault);
	if (reason)
		unsafe_put_user(reason, &uwr->reason, efault);
	user_access_end();
	return ret;
efault:
	user_access_end();
	return -EFAULT;
}
