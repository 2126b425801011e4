// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: the checks on every record read, and what a worker does
 * with it: verify the payload, take the handles and fds, free the buffer
 * now or later, and answer a call (at once, with an error, later from
 * another thread, after a nested call, or never).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "worker.h"

static void fz_rec_bad(struct fz_thread *t, const struct fastipc_ret *r,
		       const char *why)
{
	fz_finding(FZ_F_RECORD,
		   "%s: op %u flags %#x txn %llu len %llu off %llu nh %u nf %u reason %u (slot %d.%d)",
		   why, r->op, r->flags, (unsigned long long)r->txn_id,
		   (unsigned long long)r->data_len,
		   (unsigned long long)r->offset, r->n_handles, r->n_fds,
		   r->reason, t->p->slot, t->slot);
}

/* The message's payload, handles and fds; false when malformed. */
static bool fz_rx_msg(struct fz_thread *t, const struct fastipc_ret *r)
{
	struct fz_proc *p = t->p;
	bool inl = r->flags & FASTIPC_RET_INLINE;
	const unsigned char *d;
	const __u32 *hs;
	const __s32 *fs;
	__u64 need;
	unsigned int i;
	long bad;

	if (r->n_handles > FZ_MAX_HANDLES || r->n_fds > FZ_MAX_FDS) {
		fz_rec_bad(t, r, "too many handles or fds");
		return false;
	}
	if (inl != (r->data_len <= FASTIPC_INLINE_MAX && !r->n_handles &&
		    !r->n_fds)) {
		fz_rec_bad(t, r, "INLINE flag does not match the message");
		return false;
	}
	if (!inl && !p->area)
		return true;	/* unmapped on purpose: nothing to look at */
	if (!inl) {
		need = ((r->data_len + 7) & ~7ULL) + 4ULL * r->n_handles +
		       4ULL * r->n_fds;
		if (r->offset % 8 || r->offset >= p->area_size ||
		    need > p->area_size - r->offset) {
			fz_rec_bad(t, r, "buffer outside the area");
			return false;
		}
	}
	d = inl ? r->inline_data :
	    (const unsigned char *)p->area + r->offset;
	bad = fz_payload_check(d, r->data_len, &t->r);
	if (bad >= 0)
		fz_finding(FZ_F_PAYLOAD,
			   "op %u txn %llu len %llu: byte %ld is %#x, key %#x (slot %d.%d)",
			   r->op, (unsigned long long)r->txn_id,
			   (unsigned long long)r->data_len, bad, d[bad], d[0],
			   p->slot, t->slot);
	if (inl)
		return true;

	hs = (const __u32 *)(d + ((r->data_len + 7) & ~7ULL));
	for (i = 0; i < r->n_handles; i++) {
		if (hs[i] == 0xffffffffU)
			fz_info(FZ_I_HANDLES_FAILED);
		else if (!hs[i])
			fz_rec_bad(t, r, "handle 0 in a message");
		else
			fz_handle_add(p, hs[i], false);
	}
	if (r->n_handles >= 64 && fz_chance(&t->r, 1, 2) && t->depth < 2) {
		/* Many handles at once: watch them all die (once each). */
		__u32 *copy = malloc(4 * r->n_handles);
		unsigned int n = 0, j;
		int k;

		for (i = 0; copy && i < r->n_handles; i++) {
			pthread_mutex_lock(&p->lock);
			k = fz_handle_find(p, hs[i]);
			if (k >= 0 && !p->handles[k].death) {
				for (j = 0; j < n && copy[j] != hs[i]; j++)
					;
				if (j == n)
					copy[n++] = hs[i];
			}
			pthread_mutex_unlock(&p->lock);
		}
		if (copy)
			fz_death_sweep(t, copy, n, true);
		free(copy);
	}
	fs = (const __s32 *)(hs + r->n_handles);
	for (i = 0; i < r->n_fds; i++) {
		struct stat st;
		int fd = fs[i];

		if (fd < 0) {
			if (!(r->flags & FASTIPC_RET_FDS_FAILED))
				fz_rec_bad(t, r, "fd -1 without FDS_FAILED");
			continue;
		}
		if (fstat(fd, &st)) {
			fz_rec_bad(t, r, "installed fd is not open");
			continue;
		}
		if (ioctl(fd, FASTIPC_IOC_VERSION, &(struct fastipc_version){ 0 }) == 0) {
			fz_finding(FZ_F_MISROUTE,
				   "a fastipc fd (%d) arrived in a message (txn %llu)",
				   fd, (unsigned long long)r->txn_id);
			close(fd);
			continue;
		}
		if (fz_chance(&t->r, 1, 2)) {
			close(fd);
			continue;
		}
		fz_fd_add(p, fd, S_ISSOCK(st.st_mode) ? FZ_FD_UNIX :
			  S_ISFIFO(st.st_mode) ? FZ_FD_PIPE : FZ_FD_OTHER);
	}
	if (r->flags & FASTIPC_RET_FDS_FAILED)
		fz_info(FZ_I_FDS_FAILED);
	return true;
}

/* Does the user pointer @ptr point into the @size bytes at @pool? */
static bool fz_in_pool(const void *pool, size_t size, __u64 ptr)
{
	return ptr >= (__u64)(uintptr_t)pool &&
	       ptr < (__u64)(uintptr_t)pool + size;
}

/*
 * Queue a command for this thread's next WRITE_READ; false when full, or
 * when its arrays (built in the thread's scratch ones, which the next
 * message overwrites) do not fit the queue slot's own.
 */
bool fz_out(struct fz_thread *t, const struct fastipc_cmd *c,
	    const struct fz_cmdx *x)
{
	struct fz_outbuf *b = &t->outbuf[t->nout];
	struct fastipc_cmd *q = &t->out[t->nout];

	if (t->nout == FZ_OUT)
		return false;
	*q = *c;
	if (c->flags & FASTIPC_TXN_IOVEC && fz_in_pool(t->iovp, sizeof(t->iovp), c->data)) {
		if (c->data_len > FZ_ARRAY_SIZE(b->iov))
			return false;
		memcpy(b->iov, (void *)(uintptr_t)c->data,
		       sizeof(b->iov[0]) * c->data_len);
		q->data = (__u64)(uintptr_t)b->iov;
	}
	if (c->n_handles && fz_in_pool(t->hp, sizeof(t->hp), c->handles)) {
		if (c->n_handles > FZ_ARRAY_SIZE(b->h))
			return false;
		memcpy(b->h, (void *)(uintptr_t)c->handles,
		       sizeof(b->h[0]) * c->n_handles);
		q->handles = (__u64)(uintptr_t)b->h;
	}
	if (c->n_fds && fz_in_pool(t->fp, sizeof(t->fp), c->fds)) {
		if (c->n_fds > FZ_ARRAY_SIZE(b->fd))
			return false;
		memcpy(b->fd, (void *)(uintptr_t)c->fds,
		       sizeof(b->fd[0]) * c->n_fds);
		q->fds = (__u64)(uintptr_t)b->fd;
	}
	t->outx[t->nout] = *x;
	t->nout++;
	return true;
}

void fz_cmd_plain(struct fastipc_cmd *c, __u32 op, __u32 handle, __u64 arg)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->handle = handle;
	c->arg = arg;
}

/* The buffer of a delivered message: free it now, or some time later. */
static void fz_rx_buffer(struct fz_thread *t, const struct fastipc_ret *r)
{
	struct fz_cmdx x = { .kind = FZ_CX_FREE, .arg = r->offset,
			     .expect = FZ_E(0) | FZ_E(EPIPE) };
	struct fastipc_cmd c;

	unsigned int i;

	if (r->flags & FASTIPC_RET_INLINE)
		return;
	pthread_mutex_lock(&t->p->lock);
	for (i = 0; i < t->p->nbufs; i++)
		if (t->p->bufs[i] == r->offset)
			fz_finding(FZ_F_MISROUTE,
				   "buffer at %llu delivered again before its FREE (txn %llu, op %u)",
				   (unsigned long long)r->offset,
				   (unsigned long long)r->txn_id, r->op);
	pthread_mutex_unlock(&t->p->lock);
	for (i = 0; i < t->nout; i++)
		if (t->out[i].op == FASTIPC_CMD_FREE &&
		    t->out[i].arg == r->offset)
			fz_finding(FZ_F_MISROUTE,
				   "buffer at %llu delivered again before its queued FREE (txn %llu)",
				   (unsigned long long)r->offset,
				   (unsigned long long)r->txn_id);
	fz_cmd_plain(&c, FASTIPC_CMD_FREE, 0, r->offset);
	if (fz_chance(&t->r, 1, 3) || !fz_out(t, &c, &x))
		fz_buf_add(t->p, r->offset);
}

/* Can this thread answer @id with REPLY(0)?  p->lock held. */
static bool fz_reply0_ok(struct fz_thread *t, __u64 id)
{
	struct fz_proc *p = t->p;
	unsigned int i;

	for (i = 0; i < t->nout; i++)
		if (t->out[i].op == FASTIPC_CMD_REPLY ||
		    t->out[i].op == FASTIPC_CMD_REPLY_ERROR)
			return false;
	if (p->deferred_out[t->slot] || p->untracked[t->slot])
		return false;
	for (i = p->nopen; i-- > 0;) {
		struct fz_open_txn *o = &p->open[i];

		if (o->origin == t->slot && o->kgen == t->kgen)
			return o->id == id;
	}
	return false;
}

/* Queue the answer to open transaction @id (taken by us). */
static bool fz_queue_reply(struct fz_thread *t, __u64 id, bool error)
{
	struct fz_proc *p = t->p;
	struct fz_cmdx x = { .kind = FZ_CX_REPLY, .id = id };
	struct fastipc_cmd c;
	bool zero;

	pthread_mutex_lock(&p->lock);
	zero = fz_chance(&t->r, 1, 2) && fz_reply0_ok(t, id);
	pthread_mutex_unlock(&p->lock);
	memset(&c, 0, sizeof(c));
	c.op = error ? FASTIPC_CMD_REPLY_ERROR : FASTIPC_CMD_REPLY;
	c.txn_id = zero ? 0 : id;
	/* ENOSPC: the caller's area is full; EPIPE: our peer died. */
	x.expect = FZ_E(0) | FZ_E(EPIPE) | FZ_E(ENOSPC);
	if (error) {
		static const __u64 codes[] = { 1, EACCES, ENOENT, 4095 };

		c.code = codes[fz_below(&t->r, FZ_ARRAY_SIZE(codes))];
	} else {
		c.code = fz_next(&t->r);
		x.expect |= fz_msg_build(t, &c, true);
	}
	return fz_out(t, &c, &x);
}

/*
 * Register the calls of one read as ours before handling any: the kernel
 * made this thread their server as it copied them out, so REPLY(0) for
 * the first one already means the last one.  The read is over then
 * (fz_read_over()).
 */
static void fz_rx_register(struct fz_thread *t, const struct fastipc_ret *r,
			   unsigned int n)
{
	struct fz_proc *p = t->p;
	unsigned int i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < n; i++, r++) {
		struct fz_open_txn *o;

		if (r->op != FASTIPC_RET_TRANSACTION ||
		    r->flags & FASTIPC_RET_ONEWAY || r->reserved ||
		    !fz_cookie_ours(p, r->cookie))
			continue;
		if (p->nopen == FZ_OPEN) {
			/* Our latest call is now one we do not know. */
			fz_untrack(p, t->slot);
			continue;
		}
		o = &p->open[p->nopen++];
		memset(o, 0, sizeof(*o));
		o->id = r->txn_id;
		o->origin = t->slot;
		o->kgen = t->kgen;
		o->taken = true;
		o->vague = p->untracked[t->slot];
		fz_open_registered(t, r->txn_id);
	}
	if (p->reading & 1U << t->slot)
		fz_read_over(t);
	pthread_mutex_unlock(&p->lock);
}

/* A call arrived for one of our nodes: decide how it is answered. */
static void fz_rx_call(struct fz_thread *t, const struct fastipc_ret *r)
{
	static const unsigned int w[] = { 60, 10, 15, 7, 3, 5 };
	struct fz_proc *p = t->p;
	unsigned int how = fz_pick(&t->r, w, FZ_ARRAY_SIZE(w));
	int i;

	pthread_mutex_lock(&p->lock);
	i = fz_open_find_own(p, r->txn_id, t->slot, t->kgen);
	pthread_mutex_unlock(&p->lock);
	/* Not ours: the table was full, or a LOOPER_EXIT orphaned it since. */
	if (i < 0)
		return;

	if (how == 3 && !t->in_call && t->depth < 2) {
		/* A nested call while serving (carries the same ID). */
		fz_op_call(t);
		fz_call_wait(t, 3);
		how = 0;
	}
	if (how == 5) {
		/* A malformed answer first: REPLY_ERROR 0 must be refused. */
		struct fz_cmdx x = { .kind = FZ_CX_PLAIN,
				     .expect = FZ_E(EINVAL) | FZ_E(EPIPE) };
		struct fastipc_cmd c;

		memset(&c, 0, sizeof(c));
		c.op = FASTIPC_CMD_REPLY_ERROR;
		c.txn_id = r->txn_id;
		c.code = fz_chance(&t->r, 1, 2) ? 0 : 4096;
		fz_out(t, &c, &x);
		how = 0;
	}
	if ((how == 0 || how == 1) && fz_queue_reply(t, r->txn_id, how == 1))
		return;
	if (how == 4)
		return;		/* never answered: the caller copes */
	pthread_mutex_lock(&p->lock);
	i = fz_open_find_own(p, r->txn_id, t->slot, t->kgen);
	if (i >= 0)
		fz_open_defer(p, i);
	pthread_mutex_unlock(&p->lock);
}

static void fz_rx_txn(struct fz_thread *t, const struct fastipc_ret *r)
{
	struct fz_proc *p = t->p;

	if (!fz_cookie_ours(p, r->cookie)) {
		fz_finding(FZ_F_MISROUTE,
			   "transaction %llu for cookie %#llx, not a node of slot %d inc %d gen %u",
			   (unsigned long long)r->txn_id,
			   (unsigned long long)r->cookie, p->slot, p->inc,
			   p->peer_gen);
		return;
	}
	if (!r->txn_id)
		fz_rec_bad(t, r, "transaction ID 0");
	if (r->reason)
		fz_rec_bad(t, r, "reason set on a transaction");
	if (!fz_rx_msg(t, r))
		return;
	fz_rx_buffer(t, r);
	if (!(r->flags & FASTIPC_RET_ONEWAY))
		fz_rx_call(t, r);
}

/* The end of our own call: REPLY, DEAD_REPLY or FAILED_REPLY. */
static void fz_rx_reply(struct fz_thread *t, const struct fastipc_ret *r)
{
	if (!t->in_call) {
		fz_finding(FZ_F_MISROUTE,
			   "%s record (txn %llu) but no call of ours waits (slot %d.%d)",
			   r->op == FASTIPC_RET_REPLY ? "REPLY" :
			   r->op == FASTIPC_RET_DEAD_REPLY ? "DEAD_REPLY" :
			   "FAILED_REPLY", (unsigned long long)r->txn_id,
			   t->p->slot, t->slot);
		if (r->op == FASTIPC_RET_REPLY && !(r->flags & FASTIPC_RET_INLINE))
			fz_rx_buffer(t, r);
		return;
	}
	/* The innermost call of a chain ends first (A -> B -> A -> C). */
	t->in_call--;
	/*
	 * The ID of a transaction another process served: a REPLY with it
	 * must be EPROTO here.  Not so for calls to our own nodes (a sibling
	 * may hold that very transaction).
	 */
	if (!t->call_self)
		fz_seen_add(t->p, r->txn_id);
	switch (r->op) {
	case FASTIPC_RET_REPLY:
		if (r->reason || r->flags & FASTIPC_RET_ONEWAY)
			fz_rec_bad(t, r, "REPLY with a reason or ONEWAY");
		if (fz_rx_msg(t, r))
			fz_rx_buffer(t, r);
		break;
	case FASTIPC_RET_DEAD_REPLY:
		if (r->reason != FASTIPC_REASON_DEAD_TARGET || r->code != EPIPE)
			fz_rec_bad(t, r, "DEAD_REPLY not DEAD_TARGET/EPIPE");
		break;
	default:
		if (r->reason == FASTIPC_REASON_TIMED_OUT) {
			fz_info(FZ_I_TIMEOUTS);
			if (r->code != ETIMEDOUT)
				fz_rec_bad(t, r, "TIMED_OUT without ETIMEDOUT");
		} else if (r->reason == FASTIPC_REASON_NO_SPACE ||
			   r->reason == FASTIPC_REASON_NO_AREA) {
			if (r->code != ENOSPC)
				fz_rec_bad(t, r, "NO_SPACE/NO_AREA without ENOSPC");
		} else if (r->reason == FASTIPC_REASON_REPLIED_ERROR) {
			if (!r->code || r->code > 4095)
				fz_rec_bad(t, r, "REPLIED_ERROR with a bad errno");
		} else if (r->reason > FASTIPC_REASON_UNANSWERED ||
			   r->reason == FASTIPC_REASON_NONE) {
			fz_rec_bad(t, r, "FAILED_REPLY with a bad reason");
		}
		if (r->data_len || r->n_handles || r->n_fds)
			fz_rec_bad(t, r, "FAILED_REPLY with a payload");
	}
}

static void fz_rx_dead_node(struct fz_thread *t, const struct fastipc_ret *r)
{
	struct fz_proc *p = t->p;
	struct fz_cmdx x = { .expect = FZ_E(0) | FZ_E(ENOENT) | FZ_E(EPIPE) };
	struct fastipc_cmd c;
	__u32 h = (__u32)r->cookie;
	int i;

	if (!fz_cookie_is(p, r->cookie, FZ_COOKIE_DEATH)) {
		fz_finding(FZ_F_MISROUTE,
			   "DEAD_NODE with cookie %#llx: not a request of slot %d inc %d",
			   (unsigned long long)r->cookie, p->slot, p->inc);
		return;
	}
	pthread_mutex_lock(&p->lock);
	i = fz_handle_find(p, h);
	if (i >= 0)
		p->handles[i].dead = true;
	pthread_mutex_unlock(&p->lock);
	/* Forget the request, drop the handle, or keep it for more fun. */
	switch (fz_below(&t->r, 4)) {
	case 0:
		fz_cmd_plain(&c, FASTIPC_CMD_CLEAR_DEATH, h, r->cookie);
		x.kind = FZ_CX_DEATH_CLEAR;
		x.arg = h;
		fz_out(t, &c, &x);
		break;
	case 1:
		fz_cmd_plain(&c, FASTIPC_CMD_RELEASE, h, 0);
		x.kind = FZ_CX_RELEASE;
		x.arg = h;
		fz_out(t, &c, &x);
		break;
	default:
		break;
	}
}

/*
 * Notification bits: never zero, nothing of a transaction, for a node of
 * ours created with FASTIPC_NODE_ACCEPT_SIGNALS.
 */
static void fz_rx_signal(struct fz_thread *t, const struct fastipc_ret *r)
{
	struct fz_proc *p = t->p;
	int accepts = -1;
	unsigned int i;

	if (!r->code || r->txn_id || r->flags || r->offset || r->data_len ||
	    r->n_handles || r->n_fds || r->sender_pid || r->reason) {
		fz_rec_bad(t, r, "SIGNAL without bits or with other fields");
		return;
	}
	if (!fz_cookie_ours(p, r->cookie)) {
		fz_finding(FZ_F_MISROUTE,
			   "SIGNAL for cookie %#llx, not ours (slot %d inc %d)",
			   (unsigned long long)r->cookie, p->slot, p->inc);
		return;
	}
	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nnodes; i++) {
		if (p->nodes[i].cookie == r->cookie) {
			accepts = !!(p->nodes[i].flags &
				     FASTIPC_NODE_ACCEPT_SIGNALS);
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	if (!accepts)
		fz_finding(FZ_F_MISROUTE,
			   "SIGNAL for node %#llx, created without ACCEPT_SIGNALS",
			   (unsigned long long)r->cookie);
}

/* Every record of one read. */
void fz_records(struct fz_thread *t, const struct fastipc_ret *r,
		unsigned int n)
{
	unsigned int i;

	t->depth++;
	fz_rx_register(t, r, n);
	for (i = 0; i < n; i++, r++) {
		unsigned int op = r->op;

		__atomic_fetch_add(&fz_sh->rec_count[op < FZ_REC_NR ? op : 0],
				   1, __ATOMIC_RELAXED);
		if (r->reserved || r->flags & ~0xfU) {
			fz_rec_bad(t, r, "reserved field or unknown flag set");
			continue;
		}
		switch (op) {
		case FASTIPC_RET_TRANSACTION:
			fz_rx_txn(t, r);
			break;
		case FASTIPC_RET_REPLY:
		case FASTIPC_RET_DEAD_REPLY:
		case FASTIPC_RET_FAILED_REPLY:
			fz_rx_reply(t, r);
			break;
		case FASTIPC_RET_DEAD_NODE:
			fz_rx_dead_node(t, r);
			break;
		case FASTIPC_RET_NODE_RELEASED:
			if (!fz_cookie_ours(t->p, r->cookie))
				fz_finding(FZ_F_MISROUTE,
					   "NODE_RELEASED for cookie %#llx, not ours (slot %d inc %d)",
					   (unsigned long long)r->cookie,
					   t->p->slot, t->p->inc);
			break;
		case FASTIPC_RET_SPAWN_LOOPER:
			if (fz_chance(&t->r, 1, 2))
				fz_spawn_extra(t);
			break;
		case FASTIPC_RET_SIGNAL:
			fz_rx_signal(t, r);
			break;
		default:
			fz_rec_bad(t, r, "unknown record");
		}
	}
	t->depth--;
}
