// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: what a worker process knows: node and death cookies, the
 * handles it holds (approximately: other threads release them under our
 * feet), fds kept for later, IDs of finished transactions, delivered
 * buffers not freed yet, and the calls it received and did not answer.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "worker.h"

static __u64 fz_cookie(struct fz_proc *p, __u64 tag, __u32 low)
{
	return tag << 56 | (__u64)(p->slot & 0xff) << 48 |
	       (__u64)(p->inc & 0xff) << 40 |
	       (__u64)(p->peer_gen & 0xff) << 32 | low;
}

bool fz_cookie_is(struct fz_proc *p, __u64 c, __u64 tag)
{
	return (c & ~0xffffffffULL) == (fz_cookie(p, tag, 0) & ~0xffffffffULL);
}

__u64 fz_node_cookie(struct fz_proc *p, __u32 idx)
{
	return fz_cookie(p, FZ_COOKIE_NODE, idx);
}

bool fz_cookie_ours(struct fz_proc *p, __u64 cookie)
{
	return fz_cookie_is(p, cookie, FZ_COOKIE_NODE);
}

int fz_handle_find(struct fz_proc *p, __u32 h)
{
	unsigned int i;

	for (i = 0; i < p->nhandles; i++)
		if (p->handles[i].h == h)
			return i;
	return -1;
}

void fz_handle_del(struct fz_proc *p, int i)
{
	p->handles[i] = p->handles[--p->nhandles];
}

/* One more reference on @h; return its index or -1 when the table is full. */
int fz_handle_add(struct fz_proc *p, __u32 h, bool own)
{
	int i;

	pthread_mutex_lock(&p->lock);
	i = fz_handle_find(p, h);
	if (i >= 0) {
		p->handles[i].refs++;
	} else if (p->nhandles < FZ_HTAB) {
		i = p->nhandles++;
		memset(&p->handles[i], 0, sizeof(p->handles[i]));
		p->handles[i].h = h;
		p->handles[i].refs = 1;
		p->handles[i].own = own;
	}
	pthread_mutex_unlock(&p->lock);
	return i;
}

static __u32 fz_handle_max(struct fz_proc *p)
{
	__u32 max = 0;
	unsigned int i;

	for (i = 0; i < p->nhandles; i++)
		if (p->handles[i].h > max)
			max = p->handles[i].h;
	return max;
}

/* Does @h name a node of ours (or maybe: handle 0, if we set a manager)? */
bool fz_handle_own(struct fz_proc *p, __u32 h)
{
	bool own;
	int i;

	if (!h)
		return p->ctx_mgr;
	pthread_mutex_lock(&p->lock);
	i = fz_handle_find(p, h);
	own = i >= 0 && p->handles[i].own;
	pthread_mutex_unlock(&p->lock);
	return own;
}

/* A handle to use: mostly one we hold, sometimes a boundary value. */
__u32 fz_handle_pick(struct fz_thread *t, bool *valid)
{
	struct fz_proc *p = t->p;
	__u32 h;

	pthread_mutex_lock(&p->lock);
	if (p->nhandles && !fz_chance(&t->r, 1, 10)) {
		h = p->handles[fz_below(&t->r, p->nhandles)].h;
		*valid = true;
	} else {
		h = fz_bad_handle(&t->r, fz_handle_max(p));
		*valid = false;
	}
	pthread_mutex_unlock(&p->lock);
	return h;
}

/* @n handles we hold (repeats allowed), for a message. */
void fz_handle_fill(struct fz_thread *t, __u32 *out, unsigned int n)
{
	struct fz_proc *p = t->p;
	unsigned int i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < n; i++)
		out[i] = p->nhandles ?
			 p->handles[fz_below(&t->r, p->nhandles)].h : 1;
	pthread_mutex_unlock(&p->lock);
}

void fz_fd_add(struct fz_proc *p, int fd, int kind)
{
	int old = -1;

	pthread_mutex_lock(&p->lock);
	if (p->nfds == FZ_FDTAB) {
		/* Full: the oldest goes. */
		old = p->fds[0].fd;
		memmove(&p->fds[0], &p->fds[1], sizeof(p->fds[0]) * (FZ_FDTAB - 1));
		p->nfds--;
	}
	p->fds[p->nfds].fd = fd;
	p->fds[p->nfds].kind = kind;
	p->nfds++;
	pthread_mutex_unlock(&p->lock);
	if (old >= 0)
		close(old);
}

/* Take an fd of @kind (or any kind when @kind < 0) out of the table. */
int fz_fd_take(struct fz_proc *p, int kind)
{
	unsigned int i;
	int fd = -1;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nfds; i++) {
		if (kind >= 0 && p->fds[i].kind != kind)
			continue;
		fd = p->fds[i].fd;
		p->fds[i] = p->fds[--p->nfds];
		break;
	}
	pthread_mutex_unlock(&p->lock);
	return fd;
}

/* An fd of @kind still in the table (it may be closed under our feet). */
int fz_fd_peek(struct fz_thread *t, int kind)
{
	struct fz_proc *p = t->p;
	unsigned int i, n = 0;
	int fd = -1;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nfds; i++)
		if (p->fds[i].kind == kind)
			n++;
	if (n) {
		n = fz_below(&t->r, n);
		for (i = 0; i < p->nfds; i++)
			if (p->fds[i].kind == kind && !n--) {
				fd = p->fds[i].fd;
				break;
			}
	}
	pthread_mutex_unlock(&p->lock);
	return fd;
}

void fz_seen_add(struct fz_proc *p, __u64 id)
{
	pthread_mutex_lock(&p->lock);
	p->seen[p->seen_next++ % FZ_SEEN] = id;
	pthread_mutex_unlock(&p->lock);
}

void fz_buf_add(struct fz_proc *p, __u64 off)
{
	pthread_mutex_lock(&p->lock);
	if (p->nbufs < FZ_BUFS)
		p->bufs[p->nbufs++] = off;
	pthread_mutex_unlock(&p->lock);
	/* A full table leaks the buffer until the peer goes: that is fine. */
}

int fz_open_find(struct fz_proc *p, __u64 id)
{
	unsigned int i;

	for (i = p->nopen; i-- > 0;)
		if (p->open[i].id == id)
			return i;
	return -1;
}

/*
 * The latest open transaction that thread @slot read in its kernel-thread
 * generation @kgen, with ID @id, or with any ID when @id is 0 (the one
 * its REPLY(0) answers); -1 when there is none.  IDs are not unique: a
 * nested call carries the ID of the transaction its chain serves, so two
 * threads may hold calls with one ID.
 */
int fz_open_find_own(struct fz_proc *p, __u64 id, int slot, __u16 kgen)
{
	unsigned int i;

	for (i = p->nopen; i-- > 0;) {
		const struct fz_open_txn *o = &p->open[i];

		if (o->origin == slot && o->kgen == kgen && (!id || o->id == id))
			return i;
	}
	return -1;
}

/* Remove open transaction @i.  p->lock held. */
void fz_open_del(struct fz_proc *p, int i)
{
	struct fz_open_txn *o = &p->open[i];

	if (o->deferred && o->origin >= 0 && p->deferred_out[o->origin] > 0)
		p->deferred_out[o->origin]--;
	memmove(o, o + 1, sizeof(*o) * (p->nopen - i - 1));
	p->nopen--;
}

/*
 * A REPLY by ID @id was accepted: the kernel answered the latest call read
 * with that ID.  Of several (threads serving calls of one chain) we
 * cannot tell which: the last we registered goes, and each thread holding
 * one of them is untracked; so is the one holding it when @stolen (a
 * REPLY to an ID we did not hold when it was built: its thread may have
 * queued a REPLY(0) for it).  While slots @readers read, the call answered
 * may be one they read and did not register yet: the one of them that
 * registers a call with @id is untracked (fz_open_registered()); if we
 * held none, one of them must (fz_read_over(), @op: the REPLY's).
 * p->lock held.
 */
void fz_open_answered(struct fz_proc *p, __u64 id, bool stolen,
		      __u32 readers, __u32 op)
{
	unsigned int i, n = 0;
	int last = -1;

	for (i = 0; i < p->nopen; i++) {
		if (p->open[i].id != id)
			continue;
		n++;
		last = i;
	}
	for (i = 0; (n > 1 || stolen || readers) && i < p->nopen; i++)
		if (p->open[i].id == id && p->open[i].origin >= 0)
			fz_untrack(p, p->open[i].origin);
	if (readers) {
		/* Full: the oldest goes unchecked. */
		if (p->nstolen == FZ_STOLEN)
			memmove(p->stolen, p->stolen + 1,
				sizeof(p->stolen[0]) * --p->nstolen);
		p->stolen[p->nstolen++] = (struct fz_stolen){ .id = id,
			.readers = readers, .op = n ? 0 : op };
	}
	if (last >= 0)
		fz_open_del(p, last);
}

static void fz_stolen_del(struct fz_proc *p, unsigned int i)
{
	memmove(p->stolen + i, p->stolen + i + 1,
		sizeof(p->stolen[0]) * (--p->nstolen - i));
}

/* Thread @t registers a call with ID @id it read.  p->lock held. */
void fz_open_registered(struct fz_thread *t, __u64 id)
{
	struct fz_proc *p = t->p;
	unsigned int i;

	for (i = 0; i < p->nstolen; i++) {
		if (p->stolen[i].id != id ||
		    !(p->stolen[i].readers & 1U << t->slot))
			continue;
		/* A REPLY by ID may have answered this very call. */
		fz_untrack(p, t->slot);
		fz_stolen_del(p, i);
		return;
	}
}

/*
 * Thread @t has registered the calls of its read: a REPLY by ID run
 * meanwhile answered one of them (fz_open_registered()) or none of its.
 * One that succeeded with no call of ours of its ID, and that no reader
 * can explain any more, is an unexpected success.  p->lock held.
 */
void fz_read_over(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	unsigned int i;
	char what[80];

	p->reading &= ~(1U << t->slot);
	for (i = 0; i < p->nstolen;) {
		struct fz_stolen *s = &p->stolen[i];

		s->readers &= ~(1U << t->slot);
		if (s->readers) {
			i++;
			continue;
		}
		if (s->op) {
			snprintf(what, sizeof(what),
				 " [txn %llu: no thread of ours read a call with that ID]",
				 (unsigned long long)s->id);
			fz_result(FZ_SITE_CMD + s->op, 0, FZ_E(EPROTO), what);
		}
		fz_stolen_del(p, i);
	}
}

/*
 * The kernel's calls of thread @slot may not be the ones we hold for it
 * (see fz_proc.untracked): its REPLY(0) may have answered any of them,
 * and any may have been answered in its stead.  p->lock held.
 */
void fz_untrack(struct fz_proc *p, int slot)
{
	unsigned int i;

	p->untracked[slot] = true;
	for (i = 0; i < p->nopen; i++)
		if (p->open[i].origin == slot)
			p->open[i].vague = true;
}

/* Mark open transaction @i answerable by any thread.  p->lock held. */
void fz_open_defer(struct fz_proc *p, int i)
{
	struct fz_open_txn *o = &p->open[i];

	o->taken = false;
	if (!o->deferred && o->origin >= 0)
		p->deferred_out[o->origin]++;
	o->deferred = true;
}
