// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - transactions: calls, one-way messages and replies.
 *
 * A call is one &struct fastipc_txn from the CALL to the caller reading
 * its reply.  The caller's thread keeps a spare one, so a steady stream of
 * calls allocates nothing.  Payloads are copied once, from the sender's
 * user memory into a buffer reserved in the receiver's area (or into the
 * record itself when small: L4's message registers).  Handles and fds
 * travel as counted nodes and files and are turned into the receiver's
 * handles and fds when it reads the message, in its own context.
 */
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "internal.h"
#include "trace.h"

static struct kmem_cache *fastipc_txn_cache;

static struct fastipc_txn *fastipc_txn_alloc(struct fastipc_thread *thread)
{
	struct fastipc_txn *txn = NULL;

	if (thread) {
		txn = thread->spare;
		thread->spare = NULL;
	}
	if (!txn) {
		txn = kmem_cache_alloc(fastipc_txn_cache, FASTIPC_GFP);
		if (!txn)
			return NULL;
	}
	/*
	 * Field by field, not one memset: every byte cleared is an
	 * instruction of the hot path (fastipc_txn_send() sets the rest:
	 * code, node, to, from_peer, lend, and the chain of a call).
	 */
	INIT_LIST_HEAD(&txn->work.entry);
	txn->work.type = FASTIPC_WORK_TXN;
	txn->id = 0;
	txn->oneway = false;
	txn->handoff = false;
	txn->timed_out = false;
	txn->from = NULL;
	txn->outer = NULL;
	txn->depth = 0;
	txn->server = 0;
	txn->taken = 0;
	INIT_LIST_HEAD(&txn->pending_entry);
	txn->share_granules = 0;
	txn->reply_op = 0;
	txn->reason = 0;
	memset(&txn->msg, 0, offsetof(struct fastipc_msg, inline_data));
	fastipc_stat_inc(FASTIPC_STAT_TXNS);
	return txn;
}

/**
 * fastipc_txn_alloc_bare() - a transaction that refers to nothing yet.
 *
 * Return: the transaction (counted in the stats), or NULL.
 */
struct fastipc_txn *fastipc_txn_alloc_bare(void)
{
	struct fastipc_txn *txn = fastipc_txn_alloc(NULL);

	if (txn) {
		txn->code = 0;
		txn->node = NULL;
		txn->from_peer = NULL;
		txn->to = NULL;
		txn->ring_op = NULL;
	}
	return txn;
}

static void fastipc_msg_put_objects(struct fastipc_msg *msg)
{
	u32 i;

	if (msg->nodes) {
		for (i = 0; i < msg->n_handles; i++)
			fastipc_node_put(msg->nodes[i]);
		kfree(msg->nodes);
		msg->nodes = NULL;
	}
	if (msg->files) {
		for (i = 0; i < msg->n_fds; i++)
			fput(msg->files[i]);
		kfree(msg->files);
		msg->files = NULL;
	}
}

/**
 * fastipc_msg_discard() - drop an undelivered message.
 * @owner: the peer whose area holds its buffer.
 * @msg: the message.
 */
void fastipc_msg_discard(struct fastipc_peer *owner, struct fastipc_msg *msg)
{
	if (msg->has_buf) {
		fastipc_area_release(owner, msg->offset);
		msg->has_buf = false;
	}
	fastipc_msg_put_objects(msg);
}

/* Drop the references a transaction holds; keep the memory. */
static void fastipc_txn_clear(struct fastipc_txn *txn)
{
	trace_fastipc_txn_freed(txn);
	fastipc_msg_put_objects(&txn->msg);
	if (txn->node)
		fastipc_node_put(txn->node);
	if (txn->from)
		fastipc_thread_put(txn->from);
	if (txn->from_peer)
		fastipc_peer_put(txn->from_peer);
	if (txn->to)
		fastipc_peer_put(txn->to);
	txn->node = NULL;
	txn->from = NULL;
	txn->from_peer = NULL;
	txn->to = NULL;
	fastipc_stat_dec(FASTIPC_STAT_TXNS);
}

void fastipc_txn_free(struct fastipc_txn *txn)
{
	fastipc_txn_clear(txn);
	kmem_cache_free(fastipc_txn_cache, txn);
}

/**
 * fastipc_txn_free_spare() - free a thread's spare transaction.
 * @txn: a transaction kept by fastipc_txn_recycle(), holding nothing.
 */
void fastipc_txn_free_spare(struct fastipc_txn *txn)
{
	kmem_cache_free(fastipc_txn_cache, txn);
}

/**
 * fastipc_txn_recycle() - a caller is done with its transaction.
 * @thread: the calling thread, in its own context.
 * @txn: the transaction, off every list.
 */
void fastipc_txn_recycle(struct fastipc_thread *thread, struct fastipc_txn *txn)
{
	fastipc_txn_clear(txn);
	if (!thread->spare)
		thread->spare = txn;
	else
		kmem_cache_free(fastipc_txn_cache, txn);
}

/* Gather the sender's handles as counted nodes. */
static int fastipc_msg_get_nodes(struct fastipc_msg *msg,
				 struct fastipc_peer *sender,
				 const struct fastipc_cmd *cmd)
{
	u32 __user *uh = u64_to_user_ptr(cmd->handles);
	u32 i, h;

	if (!cmd->n_handles)
		return 0;
	msg->nodes = kcalloc(cmd->n_handles, sizeof(*msg->nodes),
			     FASTIPC_GFP);
	if (!msg->nodes)
		return -ENOMEM;
	for (i = 0; i < cmd->n_handles; i++) {
		if (get_user(h, uh + i))
			return -EFAULT;
		msg->nodes[i] = fastipc_handle_node(sender, h);
		if (!msg->nodes[i])
			return -ENOENT;
		msg->n_handles = i + 1;
	}
	return 0;
}

/* Gather the sender's fds as counted files; never fastipc's own files. */
static int fastipc_msg_get_files(struct fastipc_msg *msg,
				 const struct fastipc_cmd *cmd)
{
	s32 __user *ufd = u64_to_user_ptr(cmd->fds);
	struct file *file;
	u32 i;
	s32 fd;

	if (!cmd->n_fds)
		return 0;
	msg->files = kcalloc(cmd->n_fds, sizeof(*msg->files),
			     FASTIPC_GFP);
	if (!msg->files)
		return -ENOMEM;
	for (i = 0; i < cmd->n_fds; i++) {
		if (get_user(fd, ufd + i))
			return -EFAULT;
		file = fget(fd);
		if (!file)
			return -EBADF;
		if (fastipc_is_own_file(file)) {
			fput(file);
			return -EINVAL;
		}
		msg->files[i] = file;
		msg->n_fds = i + 1;
	}
	return 0;
}

/**
 * struct fastipc_src - where a payload comes from in the sender's memory.
 * @iter: the gathered iovecs, imported once (FASTIPC_TXN_IOVEC).
 * @iov: the iovec array import_iovec() allocated, or NULL.
 * @stack: room for short iovec arrays.
 * @data: the flat buffer, or the user's iovec array.
 * @vec: the payload is gathered through @iter.
 */
struct fastipc_src {
	struct iov_iter iter;
	struct iovec *iov;
	bool vec;
	struct iovec stack[UIO_FASTIOV];
	const void __user *data;
};

/* Read the payload's description once; return its length or -errno. */
static ssize_t fastipc_src_init(struct fastipc_src *src,
				const struct fastipc_cmd *cmd)
{
	src->iov = NULL;
	src->vec = cmd->flags & FASTIPC_TXN_IOVEC;
	src->data = u64_to_user_ptr(cmd->data);
	if (!(cmd->flags & FASTIPC_TXN_IOVEC))
		return cmd->data_len > fastipc_max_area_size ? -EINVAL :
			cmd->data_len;
	if (cmd->data_len > UIO_MAXIOV)
		return -EINVAL;
	src->iov = src->stack;
	return import_iovec(ITER_SOURCE, src->data, cmd->data_len,
			    UIO_FASTIOV, &src->iov, &src->iter);
}

static void fastipc_src_done(struct fastipc_src *src)
{
	if (src->vec)	/* NULL, or what import_iovec allocated */
		kfree(src->iov);
}

/*
 * Copy the payload from the sender's memory to @dst: the one copy.  The
 * destination was sized for @len by the caller (the inline array, checked
 * against FASTIPC_INLINE_MAX, or a buffer the area allocator reserved for
 * @len), so the flat copy goes as the iov_iter one does (lib/iov_iter.c's
 * copyin()): access_ok(), the sanitizers' hooks and usercopy fault
 * injection, but no hardened-usercopy lookup of @dst, which for an area
 * buffer is a walk of the vmap-area tree on every reply (about 300
 * instructions, a tenth of fastipc's cost over the bench floor) to prove
 * what the allocator already guarantees.
 */
static int fastipc_src_copy(struct fastipc_src *src, void *dst, size_t len)
{
	unsigned long left;

	if (src->vec)
		return _copy_from_iter(dst, len, &src->iter) == len ? 0 : -EFAULT;
	if (should_fail_usercopy() || !access_ok(src->data, len))
		return -EFAULT;
	instrument_copy_from_user_before(dst, src->data, len);
	left = raw_copy_from_user(dst, src->data, len);
	instrument_copy_from_user_after(dst, src->data, len, left);
	return left ? -EFAULT : 0;
}

/* Buffer bytes: payload, then handles and fds at the next 8-byte mark. */
static size_t fastipc_msg_size(const struct fastipc_msg *msg)
{
	return round_up(msg->len, 8) + sizeof(u32) * msg->n_handles +
	       sizeof(s32) * msg->n_fds;
}

/*
 * Build @msg for @to from a CALL, SEND or REPLY command.  Errors from the
 * command itself are negative errnos with nothing kept; errors from the
 * receiver's area come back as *@area_err with the message empty.
 */
static int fastipc_msg_prepare(struct fastipc_msg *msg,
			       struct fastipc_peer *sender,
			       struct fastipc_peer *to,
			       const struct fastipc_cmd *cmd, bool oneway,
			       int *area_err)
{
	/* Not zeroed on entry: fastipc_src_init() sets what is read. */
	struct fastipc_src src __uninitialized;
	ssize_t len;
	int ret;

	*area_err = 0;
	len = fastipc_src_init(&src, cmd);
	if (len < 0)
		return len;
	ret = -EINVAL;
	if (len > fastipc_max_area_size)
		goto err;
	msg->len = len;
	ret = fastipc_msg_get_nodes(msg, sender, cmd);
	if (!ret)
		ret = fastipc_msg_get_files(msg, cmd);
	if (ret)
		goto err;

	if (len <= FASTIPC_INLINE_MAX && !msg->n_handles && !msg->n_fds) {
		msg->is_inline = true;
		ret = len ? fastipc_src_copy(&src, msg->inline_data, len) : 0;
		if (ret)
			goto err;
		goto out;
	}
	*area_err = fastipc_area_alloc(to, fastipc_msg_size(msg), oneway,
				       &msg->offset);
	if (*area_err) {
		fastipc_msg_put_objects(msg);
		goto out;
	}
	msg->has_buf = true;
	/* The area is mapped read-only by @to and never freed under us. */
	ret = fastipc_src_copy(&src, to->area.kaddr + msg->offset, len);
	if (ret)
		goto err;
out:
	fastipc_src_done(&src);
	return 0;
err:
	fastipc_msg_discard(to, msg);
	fastipc_src_done(&src);
	return ret;
}

/**
 * fastipc_txn_fail() - answer a call with a failure record.
 * @txn: the call, owned by the caller of this function, its message gone.
 * @op: %FASTIPC_RET_DEAD_REPLY or %FASTIPC_RET_FAILED_REPLY.
 * @reason: &enum fastipc_reason.
 * @err: positive errno for the caller.
 */
void fastipc_txn_fail(struct fastipc_txn *txn, u32 op, u32 reason, int err)
{
	trace_fastipc_txn_failed(txn, op, reason, err);
	fastipc_failed_log(txn, op, reason, err);
	txn->reply_op = op;
	txn->reason = reason;
	txn->code = err;
	memset(&txn->msg, 0, offsetof(struct fastipc_msg, inline_data));
	txn->msg.is_inline = true;
	fastipc_queue_reply(txn);
}

static void fastipc_txn_area_fail(struct fastipc_txn *txn, int area_err)
{
	if (area_err == -EPIPE)
		fastipc_txn_fail(txn, FASTIPC_RET_DEAD_REPLY,
				 FASTIPC_REASON_DEAD_TARGET, EPIPE);
	else
		fastipc_txn_fail(txn, FASTIPC_RET_FAILED_REPLY,
				 area_err == -ENXIO ? FASTIPC_REASON_NO_AREA :
				 FASTIPC_REASON_NO_SPACE, ENOSPC);
}

static int fastipc_cmd_check_txn(const struct fastipc_cmd *cmd)
{
	bool deadline = cmd->op == FASTIPC_CMD_CALL &&
			cmd->flags & FASTIPC_TXN_DEADLINE;

	if (cmd->flags & ~(FASTIPC_TXN_IOVEC | FASTIPC_TXN_DEADLINE) ||
	    (cmd->flags & FASTIPC_TXN_DEADLINE && !deadline) ||
	    cmd->reserved0 || (cmd->arg && !deadline))
		return -EINVAL;
	if (cmd->n_handles > FASTIPC_MAX_TXN_HANDLES ||
	    cmd->n_fds > FASTIPC_MAX_TXN_FDS)
		return -EINVAL;
	return 0;
}

/*
 * A thread waiting for a call may call again only from the handler of a
 * transaction of that call's chain (A -> B -> A -> C, as binder allows).
 */
static bool fastipc_may_call_again(struct fastipc_thread *thread)
{
	bool ok;

	spin_lock(&thread->peer->lock);
	ok = !thread->waiting ||
	     fastipc_served_id(thread) == thread->waiting_id;
	spin_unlock(&thread->peer->lock);
	return ok;
}

/*
 * Refuse a one-way: say why to the sender (and in debugfs).  Its message
 * is discarded; @txn is freed.
 */
static int fastipc_oneway_refuse(struct fastipc_txn *txn, int err, u32 reason)
{
	fastipc_count(FASTIPC_COUNT_ONEWAY_REFUSED);
	trace_fastipc_txn_failed(txn, 0, reason, -err);
	fastipc_failed_log(txn, 0, reason, -err);
	fastipc_msg_discard(txn->to, &txn->msg);
	fastipc_txn_free(txn);
	return err;
}

/* The area error of a one-way's message as an errno and a reason. */
static int fastipc_oneway_area_err(int area_err, u32 *reason)
{
	switch (area_err) {
	case -EPIPE:
		*reason = FASTIPC_REASON_DEAD_TARGET;
		return -EPIPE;
	case -EDQUOT:
		*reason = FASTIPC_REASON_ONEWAY_BUDGET;
		return -ENOSPC;
	case -ENXIO:
		*reason = FASTIPC_REASON_NO_AREA;
		return -ENOSPC;
	}
	*reason = FASTIPC_REASON_NO_SPACE;
	return -ENOSPC;
}

/*
 * CALL or SEND; @op: the io_uring command of a ring call, NULL for
 * WRITE_READ (then everything about @op compiles away).
 */
static __always_inline int __fastipc_txn_send(struct fastipc_thread *thread,
					      const struct fastipc_cmd *cmd,
					      bool oneway,
					      struct fastipc_uop *op,
					      u32 *reason)
{
	struct fastipc_peer *peer = thread->peer, *to;
	struct fastipc_node *node;
	struct fastipc_txn *txn;
	ktime_t deadline;
	int ret, area_err;

	ret = fastipc_cmd_check_txn(cmd);
	if (ret || cmd->txn_id)
		return ret ? ret : -EINVAL;
	/*
	 * A dead peer sends nothing: no answer could reach it.  A hint; a
	 * death after it drops the answer (fastipc_queue_reply()).
	 */
	if (unlikely(READ_ONCE(peer->dead)))
		return -EPIPE;
	if (!op && !oneway && thread->waiting &&
	    !fastipc_may_call_again(thread))
		return -EBUSY;
	/*
	 * Calls its threads gave up on wait in their servers like one-ways:
	 * a peer may leave as many of them unanswered as one-ways queued.
	 * A lockless hint: concurrent callers may pass it by one each.
	 */
	if (!oneway && unlikely(READ_ONCE(peer->calls_unanswered) >=
				READ_ONCE(fastipc_max_oneway))) {
		*reason = FASTIPC_REASON_UNANSWERED;
		return -ENOSPC;
	}
	node = fastipc_handle_node(peer, cmd->handle);
	if (!node)
		return -ENOENT;
	if (cmd->n_fds && !(node->flags & FASTIPC_NODE_ACCEPT_FDS)) {
		fastipc_node_put(node);
		return -EPERM;
	}
	to = node->owner;
	/* An owner whose address space is gone never reads again. */
	if (unlikely(!atomic_read(&to->mm->mm_users)))
		fastipc_peer_die(to);
	txn = fastipc_txn_alloc(oneway || op ? NULL : thread);
	if (!txn) {
		fastipc_node_put(node);
		return -ENOMEM;
	}
	kref_get(&to->kref);
	txn->to = to;
	txn->node = node;
	txn->oneway = oneway;
	txn->code = cmd->code;
	kref_get(&peer->kref);
	txn->from_peer = peer;
	fastipc_prio_lend(node, oneway, &txn->lend);

	ret = fastipc_msg_prepare(&txn->msg, peer, to, cmd, oneway, &area_err);
	if (ret) {
		fastipc_txn_free(txn);
		return ret;
	}
	if (oneway && area_err) {
		ret = fastipc_oneway_area_err(area_err, reason);
		return fastipc_oneway_refuse(txn, ret, *reason);
	}
	if (!oneway) {
		kref_get(&thread->kref);
		txn->from = thread;
	}
	/* 0 means none: a deadline of 0 is one that has passed. */
	deadline = cmd->flags & FASTIPC_TXN_DEADLINE ?
		   clamp_t(u64, cmd->arg, 1, KTIME_MAX) : 0;
	if (op) {
		/* Its own ID, and its command parked before anyone answers. */
		txn->id = fastipc_txn_new_id();
		trace_fastipc_txn_sent(txn, thread);
		fastipc_uring_link(op, txn, deadline);
	}
	if (area_err) {
		/* A call that cannot be delivered: its answer says why. */
		if (!op)
			fastipc_txn_begin(thread, txn, deadline);
		fastipc_txn_area_fail(txn, area_err);
		return 0;
	}

	if (op)
		ret = fastipc_queue_ring_txn(thread, txn, reason);
	else
		ret = fastipc_queue_txn(thread, txn, deadline, reason);
	if (!ret)
		return 0;
	if (oneway)
		return fastipc_oneway_refuse(txn, ret, *reason);
	/* A call to a dead target: its answer says so. */
	fastipc_msg_discard(to, &txn->msg);
	fastipc_txn_fail(txn, FASTIPC_RET_DEAD_REPLY,
			 FASTIPC_REASON_DEAD_TARGET, EPIPE);
	return 0;
}

/**
 * fastipc_txn_send() - CALL or SEND command.
 * @thread: the sending thread.
 * @cmd: the command, read once from userspace.
 * @oneway: SEND.
 * @reason: out: why a SEND was refused (&enum fastipc_reason).
 *
 * Return: 0 when the command is consumed (a call's failure to deliver then
 * comes back as its reply record), or a negative errno with nothing done.
 */
int fastipc_txn_send(struct fastipc_thread *thread,
		     const struct fastipc_cmd *cmd, bool oneway, u32 *reason)
{
	return __fastipc_txn_send(thread, cmd, oneway, NULL, reason);
}

/**
 * fastipc_txn_send_ring() - a CALL submitted through io_uring.
 * @thread: the submitting thread (lends its priority).
 * @cmd: the command, read once from userspace.
 * @op: its parked command (uring.c), linked to the call here.
 * @reason: out: why the call was refused (&enum fastipc_reason).
 *
 * Return: 0 when the call is consumed: its answer, whatever it is, comes
 * through fastipc_uring_reply() and completes @op.  A negative errno with
 * nothing done and @op never linked.
 */
int fastipc_txn_send_ring(struct fastipc_thread *thread,
			  const struct fastipc_cmd *cmd, struct fastipc_uop *op,
			  u32 *reason)
{
	return __fastipc_txn_send(thread, cmd, false, op, reason);
}

/**
 * fastipc_txn_reply() - REPLY or REPLY_ERROR command.
 * @thread: the replying thread.
 * @cmd: the command, read once from userspace.
 * @error: REPLY_ERROR.
 *
 * Return: 0, or a negative errno with the transaction still pending.
 */
int fastipc_txn_reply(struct fastipc_thread *thread,
		      const struct fastipc_cmd *cmd, bool error)
{
	struct fastipc_peer *caller_peer;
	struct fastipc_txn *txn;
	int ret, area_err;

	ret = fastipc_cmd_check_txn(cmd);
	if (ret)
		return ret;
	if (cmd->handle)
		return -EINVAL;
	if (error && (cmd->flags || cmd->data || cmd->data_len ||
		      cmd->n_handles || cmd->n_fds || !cmd->code ||
		      cmd->code > MAX_ERRNO))
		return -EINVAL;
	txn = fastipc_pending_claim(thread, cmd->txn_id);
	if (!txn)
		return -EPROTO;
	if (error) {
		fastipc_prio_withdraw(thread);
		trace_fastipc_txn_replied(txn, thread, cmd->code, true);
		fastipc_txn_fail(txn, FASTIPC_RET_FAILED_REPLY,
				 FASTIPC_REASON_REPLIED_ERROR, cmd->code);
		return 0;
	}

	caller_peer = txn->from->peer;
	memset(&txn->msg, 0, offsetof(struct fastipc_msg, inline_data));
	ret = fastipc_msg_prepare(&txn->msg, thread->peer, caller_peer, cmd,
				  false, &area_err);
	if (!ret && area_err && area_err != -EPIPE)
		ret = -ENOSPC;
	if (ret) {
		fastipc_pending_unclaim(thread->peer, txn);
		return ret;
	}
	/* Back to our own priority before the caller can see the answer. */
	fastipc_prio_withdraw(thread);
	/*
	 * The caller's peer died (-EPIPE): the empty reply is dropped by
	 * fastipc_queue_reply(), which ends the caller's wait; not an error.
	 */
	txn->reply_op = FASTIPC_RET_REPLY;
	txn->code = cmd->code;
	trace_fastipc_txn_replied(txn, thread, cmd->code, false);
	fastipc_queue_reply(txn);
	return 0;
}

int fastipc_txn_cache_init(void)
{
	/* Only the inline payload is ever copied from userspace. */
	fastipc_txn_cache = KMEM_CACHE_USERCOPY(fastipc_txn, SLAB_ACCOUNT,
						msg.inline_data);
	return fastipc_txn_cache ? 0 : -ENOMEM;
}

void fastipc_txn_cache_exit(void)
{
	kmem_cache_destroy(fastipc_txn_cache);
}
