// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libfastipc: the server side.  Records are handled by
 * __fastipc_handle_record() wherever they are read: on a looper of
 * fastipc_loop() (which sends its replies and buffer releases with its next
 * wait, in one ioctl), in fastipc_dispatch(), or on a thread waiting in
 * fastipc_call().
 *
 * Loopers are woken for fastipc_loop_stop() by one-way messages to a
 * private node of the peer; each looper that leaves passes the message on
 * while others remain.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"

#define FIPC_WORKER_CMDS	(sizeof(((struct fipc_worker *)0)->cmds) / \
				 FIPC_CMD_SIZE)

/*
 * Run a WRITE_READ whose write buffer is @w's commands.  A failing command
 * is never retried as is: a reply becomes REPLY_ERROR with its errno (so
 * that the caller is not left waiting), anything else is skipped.
 */
static int fipc_worker_wr(struct fastipc_peer *peer, struct fipc_worker *w,
			  struct fastipc_write_read *wr)
{
	unsigned int i;
	int ret;

	wr->write_buffer = fipc_u64(w->cmds);
	wr->write_size = w->ncmds * FIPC_CMD_SIZE;
	for (;;) {
		ret = __fastipc_wr(peer, wr);
		i = wr->write_consumed / FIPC_CMD_SIZE;
		if (!ret || i >= w->ncmds)
			break;
		if (w->cmds[i].op == FASTIPC_CMD_REPLY) {
			struct fastipc_cmd c = {
				.op = FASTIPC_CMD_REPLY_ERROR,
				.txn_id = w->cmds[i].txn_id,
				.code = (uint64_t)-ret,
			};
			w->cmds[i] = c;
		} else {
			wr->write_consumed += FIPC_CMD_SIZE;
		}
	}
	w->ncmds = 0;
	w->reply_pending = false;
	return ret;
}

static int fipc_worker_flush(struct fastipc_peer *peer, struct fipc_worker *w)
{
	struct fastipc_write_read wr = { 0 };

	if (!w->ncmds)
		return 0;
	return fipc_worker_wr(peer, w, &wr);
}

static void fipc_worker_queue(struct fastipc_peer *peer, struct fipc_worker *w,
			      const struct fastipc_cmd *c)
{
	if (w->ncmds == FIPC_WORKER_CMDS)
		fipc_worker_flush(peer, w);
	w->cmds[w->ncmds++] = *c;
}

static int fipc_reply_cmd(struct fastipc_peer *peer, struct fipc_worker *w,
			  struct fastipc_cmd *c)
{
	if (w) {
		fipc_worker_queue(peer, w, c);
		return 0;
	}
	return __fastipc_write(peer, c, 1);
}

static int fipc_reply_msg(struct fastipc_peer *peer, struct fipc_worker *w,
			  uint64_t txn_id, const struct fastipc_msg *msg)
{
	struct fastipc_cmd c = { .op = FASTIPC_CMD_REPLY, .txn_id = txn_id };
	size_t len = 0;
	unsigned int i;
	int ret;

	if (!txn_id)
		return -EINVAL;
	if (msg && msg->deadline_ns)
		return -EINVAL;
	ret = __fastipc_msg_fill(&c, msg);
	if (ret)
		return ret;
	if (!w || c.n_handles || c.n_fds)
		return __fastipc_write(peer, &c, 1);
	for (i = 0; msg && i < msg->iov_count; i++) {
		len += msg->iov[i].iov_len;
		if (len > FASTIPC_REPLY_DEFER_MAX)
			return __fastipc_write(peer, &c, 1);
	}
	/* Small and plain: copy it aside, send it with the next wait. */
	if (w->reply_pending)
		fipc_worker_flush(peer, w);
	len = 0;
	for (i = 0; msg && i < msg->iov_count; i++) {
		if (!msg->iov[i].iov_len)
			continue;
		memcpy(w->buf + len, msg->iov[i].iov_base, msg->iov[i].iov_len);
		len += msg->iov[i].iov_len;
	}
	c.flags = 0;
	c.data = len ? fipc_u64(w->buf) : 0;
	c.data_len = len;
	fipc_worker_queue(peer, w, &c);
	w->reply_pending = true;
	return 0;
}

int fastipc_reply(struct fastipc_txn *txn, const struct fastipc_msg *msg)
{
	int ret;

	if (!txn || (txn->flags & FASTIPC_RET_ONEWAY) ||
	    TXN_STATE(txn) == TXN_ANSWERED)
		return -EINVAL;
	ret = fipc_reply_msg(txn->peer, TXN_WORKER(txn), txn->id, msg);
	if (!ret)
		TXN_STATE(txn) = TXN_ANSWERED;
	return ret;
}

static int fipc_reply_err(struct fastipc_peer *peer, struct fipc_worker *w,
			  uint64_t txn_id, int err)
{
	struct fastipc_cmd c = { .op = FASTIPC_CMD_REPLY_ERROR, .txn_id = txn_id };

	if (!txn_id || !err || err == INT32_MIN)
		return -EINVAL;
	c.code = (uint64_t)(err < 0 ? -err : err);
	return fipc_reply_cmd(peer, w, &c);
}

int fastipc_reply_error(struct fastipc_txn *txn, int err)
{
	int ret;

	if (!txn || (txn->flags & FASTIPC_RET_ONEWAY) ||
	    TXN_STATE(txn) == TXN_ANSWERED)
		return -EINVAL;
	ret = fipc_reply_err(txn->peer, TXN_WORKER(txn), txn->id, err);
	if (!ret)
		TXN_STATE(txn) = TXN_ANSWERED;
	return ret;
}

int fastipc_reply_id(struct fastipc_peer *peer, uint64_t txn_id,
		     const struct fastipc_msg *msg)
{
	if (!peer)
		return -EINVAL;
	return fipc_reply_msg(peer, NULL, txn_id, msg);
}

int fastipc_reply_error_id(struct fastipc_peer *peer, uint64_t txn_id,
			   int err)
{
	if (!peer)
		return -EINVAL;
	return fipc_reply_err(peer, NULL, txn_id, err);
}

static void fipc_release_buf(struct fastipc_peer *peer, struct fipc_worker *w,
			     const struct fastipc_ret *r)
{
	struct fastipc_cmd c = { .op = FASTIPC_CMD_FREE, .arg = r->offset };

	if (r->flags & FASTIPC_RET_INLINE)
		return;
	fipc_reply_cmd(peer, w, &c);
	/*
	 * A deferred reply holds a copy of its payload: free the request
	 * before the reply wakes the caller, so that the caller never sees
	 * the server's buffer still in use.
	 */
	if (w && w->reply_pending && w->ncmds >= 2 &&
	    w->cmds[w->ncmds - 2].op == FASTIPC_CMD_REPLY) {
		c = w->cmds[w->ncmds - 2];
		w->cmds[w->ncmds - 2] = w->cmds[w->ncmds - 1];
		w->cmds[w->ncmds - 1] = c;
	}
}

static void fipc_serve(struct fastipc_peer *peer, const struct fastipc_ret *r,
		       struct fipc_worker *w)
{
	struct fipc_node *node = (struct fipc_node *)(uintptr_t)r->cookie;
	struct fastipc_txn txn = {
		.peer = peer,
		.id = r->txn_id,
		.code = r->code,
		.len = r->data_len,
		.n_handles = r->n_handles,
		.n_fds = r->n_fds,
		.flags = r->flags,
		.sender_pid = (pid_t)r->sender_pid,
		.sender_euid = (uid_t)r->sender_euid,
	};
	int ret;

	__fastipc_view(peer, r, &txn.data, &txn.handles, &txn.fds);
	TXN_WORKER(&txn) = w;
	ret = node->handler(&txn, node->cookie);
	if (!(r->flags & FASTIPC_RET_ONEWAY) &&
	    TXN_STATE(&txn) != TXN_ANSWERED && ret != FASTIPC_TXN_DEFERRED) {
		if (ret < 0)
			fipc_reply_err(peer, w, txn.id, ret);
		else
			fipc_reply_msg(peer, w, txn.id, NULL);
	}
	fipc_release_buf(peer, w, r);
}

static void *fipc_looper_thread(void *arg);

/*
 * Start the looper the kernel asked for (@peer->spawn_owed), unless the
 * pool is at its limit or stopping.  Called when a looper is about to be
 * busy, after the spawn request that came with its record was counted.
 */
static void fipc_maybe_spawn(struct fastipc_peer *peer)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	bool go = false;

	pthread_mutex_lock(&peer->lock);
	if (peer->spawn_owed && !peer->stopping &&
	    peer->loopers < peer->max_threads) {
		peer->spawn_owed--;
		peer->loopers++;
		go = true;
	}
	pthread_mutex_unlock(&peer->lock);
	if (!go)
		return;
	/* Library threads take no signal meant for the application. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, fipc_looper_thread, peer)) {
		pthread_mutex_lock(&peer->lock);
		peer->loopers--;
		pthread_cond_broadcast(&peer->cond);
		pthread_mutex_unlock(&peer->lock);
	}
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Wake one looper for fastipc_loop_stop(). */
static int fipc_wake(struct fastipc_peer *peer)
{
	return fastipc_send(peer, peer->ctl_handle, NULL);
}

/*
 * Handle one record.  @w: the looper's state, NULL elsewhere (replies and
 * releases are then sent at once).  Return: 1 when a looper must leave.
 */
int __fastipc_handle_record(struct fastipc_peer *peer,
			    struct fastipc_ret *r, struct fipc_worker *w)
{
	struct fipc_node *node;

	switch (r->op) {
	case FASTIPC_RET_TRANSACTION:
		if (r->cookie != fipc_u64(&peer->ctl)) {
			fipc_serve(peer, r, w);
			return 0;
		}
		if (!__atomic_load_n(&peer->stopping, __ATOMIC_RELAXED))
			return 0;
		if (w)
			return 1;
		/* Not a looper: pass the stop on to one. */
		fipc_wake(peer);
		return 0;
	case FASTIPC_RET_DEAD_NODE:
		__fastipc_death_deliver(peer, r->cookie);
		return 0;
	case FASTIPC_RET_NODE_RELEASED:
		node = (struct fipc_node *)(uintptr_t)r->cookie;
		if (node->released)
			node->released(peer, node->handle, node->cookie);
		return 0;
	case FASTIPC_RET_SIGNAL:
		__fastipc_signal_deliver(peer, r);
		return 0;
	case FASTIPC_RET_SPAWN_LOOPER:
		pthread_mutex_lock(&peer->lock);
		peer->spawn_owed++;
		pthread_mutex_unlock(&peer->lock);
		return 0;
	case FASTIPC_RET_REPLY:
		/* Not expected outside a call: do not leak its buffer. */
		fipc_release_buf(peer, w, r);
		return 0;
	}
	return 0;
}

/* Serve until stopped; the caller counted us in peer->loopers. */
static int fipc_looper(struct fastipc_peer *peer)
{
	struct fastipc_write_read wr;
	struct fastipc_ret r[2];
	struct fipc_worker *w;
	unsigned int i, n;
	bool leave = false;
	unsigned int others;
	int ret;

	w = calloc(1, sizeof(*w));
	if (!w) {
		ret = -ENOMEM;
		goto out;
	}
	w->cmds[0].op = FASTIPC_CMD_LOOPER_ENTER;
	w->ncmds = 1;
	while (!leave) {
		memset(&wr, 0, sizeof(wr));
		wr.read_buffer = fipc_u64(r);
		wr.read_size = sizeof(r);
		ret = fipc_worker_wr(peer, w, &wr);
		if (ret)
			break;
		n = wr.read_consumed / FIPC_RET_SIZE;
		/* A spawn request follows the transaction it is about. */
		for (i = 0; i < n; i++)
			if (r[i].op == FASTIPC_RET_SPAWN_LOOPER)
				__fastipc_handle_record(peer, &r[i], w);
		for (i = 0; i < n; i++) {
			if (r[i].op == FASTIPC_RET_SPAWN_LOOPER)
				continue;
			/* Never hold a reply back while serving another. */
			if (i && r[i].op == FASTIPC_RET_TRANSACTION)
				fipc_worker_flush(peer, w);
			/* About to be busy: start the thread asked for. */
			fipc_maybe_spawn(peer);
			if (__fastipc_handle_record(peer, &r[i], w))
				leave = true;
		}
	}
	fipc_worker_flush(peer, w);
	free(w);
out:
	/*
	 * Pass a stop on while others remain (one wake too many is ignored),
	 * then leave the kernel's pool.  Once the count is dropped the peer
	 * may be freed by fastipc_peer_close(): nothing touches it after.
	 */
	pthread_mutex_lock(&peer->lock);
	others = peer->loopers - 1;
	pthread_mutex_unlock(&peer->lock);
	if (leave && others)
		fipc_wake(peer);
	fastipc_thread_leave(peer);
	pthread_mutex_lock(&peer->lock);
	if (!--peer->loopers)
		peer->stopping = false;
	pthread_cond_broadcast(&peer->cond);
	pthread_mutex_unlock(&peer->lock);
	return leave ? 0 : ret;
}

static void *fipc_looper_thread(void *arg)
{
	fipc_looper(arg);
	return NULL;
}

static int fipc_ctl_node(struct fastipc_peer *peer)
{
	struct fastipc_node_create nc = { .cookie = fipc_u64(&peer->ctl) };

	if (peer->ctl_handle)
		return 0;
	if (ioctl(peer->fd, FASTIPC_IOC_NODE_CREATE, &nc))
		return -errno;
	peer->ctl_handle = nc.handle;
	return 0;
}

int fastipc_loop(struct fastipc_peer *peer)
{
	int ret;

	if (!peer)
		return -EINVAL;
	pthread_mutex_lock(&peer->lock);
	if (peer->stopping && !peer->loopers) {
		/* Stopped before it started. */
		peer->stopping = false;
		pthread_mutex_unlock(&peer->lock);
		return 0;
	}
	ret = fipc_ctl_node(peer);
	if (!ret)
		peer->loopers++;
	pthread_mutex_unlock(&peer->lock);
	if (ret)
		return ret;
	return fipc_looper(peer);
}

int fastipc_loop_stop(struct fastipc_peer *peer)
{
	int ret = 0;

	if (!peer)
		return -EINVAL;
	pthread_mutex_lock(&peer->lock);
	if (!peer->stopping) {
		peer->stopping = true;
		if (peer->loopers)
			ret = fipc_wake(peer);
	}
	pthread_mutex_unlock(&peer->lock);
	return ret;
}

unsigned int fastipc_loop_threads(struct fastipc_peer *peer)
{
	unsigned int n;

	if (!peer)
		return 0;
	pthread_mutex_lock(&peer->lock);
	n = peer->loopers;
	pthread_mutex_unlock(&peer->lock);
	return n;
}

int fastipc_dispatch(struct fastipc_peer *peer, unsigned int flags)
{
	struct fastipc_ret r;
	struct fastipc_write_read wr = {
		.read_buffer = fipc_u64(&r),
		.read_size = FIPC_RET_SIZE,
	};
	int ret;

	if (!peer || (flags & ~FASTIPC_DISPATCH_WAIT))
		return -EINVAL;
	if (!(flags & FASTIPC_DISPATCH_WAIT))
		wr.flags = FASTIPC_WR_NONBLOCK;
	ret = __fastipc_wr(peer, &wr);
	if (ret)
		return ret;
	__fastipc_handle_record(peer, &r, NULL);
	return 1;
}
