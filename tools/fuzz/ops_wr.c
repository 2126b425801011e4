// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: operations made of WRITE_READ commands: calls, one-way
 * floods, serving, answering by ID, buffers, references, death requests,
 * looper entry and exit, bulk node creation, and random command batches
 * with a malformed struct now and then.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "worker.h"

/* Errnos any command may see: our own peer died. */
#define FZ_E_BASE	(FZ_E(0) | FZ_E(EPIPE))

static void fz_set(struct fz_thread *t, unsigned int i, int kind,
		   fz_emask expect)
{
	t->cx[i] = (struct fz_cmdx){ .kind = kind, .expect = expect };
}

/* ---- CALL ------------------------------------------------------------------------ */

/* Build a CALL at t->cmds[@i]; @busy: a call of ours is pending already. */
static void fz_build_call(struct fz_thread *t, unsigned int i, bool busy)
{
	struct fastipc_cmd *c = &t->cmds[i];
	struct fz_rng *r = &t->r;
	/* ENOSPC: max_oneway of our calls timed out and are unanswered. */
	fz_emask e = FZ_E_BASE | FZ_E(ENOENT) | FZ_E(ENOSPC);
	bool valid, far;

	memset(c, 0, sizeof(*c));
	c->op = FASTIPC_CMD_CALL;
	c->handle = fz_chance(r, 1, 12) ? 0 : fz_handle_pick(t, &valid);
	c->code = fz_next(r);
	e |= fz_msg_build(t, c, false);
	switch (fz_below(r, 40)) {
	case 0:
		c->flags |= 1U << (2 + fz_below(r, 30));	/* unknown flag */
		e = (e & ~FZ_E(0)) | FZ_E(EINVAL);
		break;
	case 1:
		c->arg = 1 + fz_below(r, 1000);	/* arg without DEADLINE */
		e = (e & ~FZ_E(0)) | FZ_E(EINVAL);
		break;
	case 2:
		c->txn_id = 1 + fz_below(r, 100000);
		e = (e & ~FZ_E(0)) | FZ_E(EINVAL);
		break;
	case 3:
		c->reserved0 = 1;
		e = (e & ~FZ_E(0)) | FZ_E(EINVAL);
		break;
	case 4:
	case 5:
	case 6:
		break;			/* no deadline: timer and abandon */
	default:
		c->flags |= FASTIPC_TXN_DEADLINE;
		c->arg = fz_deadline(r, &far);
	}
	if (busy)
		e |= FZ_E(EBUSY);
	t->cx[i] = (struct fz_cmdx){ .kind = FZ_CX_CALL, .expect = e,
		.arg = fz_handle_own(t->p, c->handle) };
}

void fz_op_call(struct fz_thread *t)
{
	static const unsigned int wr[] = { 5, 60, 20, 10, 5 };
	static const unsigned int nr[] = { 0, 1, 2, 4, 8 };
	unsigned int n;
	__u32 flags = 0;

	if (t->in_call) {
		if (fz_chance(&t->r, 1, 3)) {
			/*
			 * A second CALL while the first waits: EBUSY, unless
			 * this thread serves a nested transaction of its call:
			 * then it is accepted and waited for first (a chain,
			 * A -> B -> A -> C): FZ_CX_CALL counts it.
			 */
			n = fz_take_out(t, 0);
			fz_build_call(t, n, true);
			fz_wr(t, n + 1, 0, 0, false, NULL);
		}
		fz_call_wait(t, 2);
		return;
	}
	n = fz_take_out(t, 0);
	fz_build_call(t, n, false);
	if (fz_chance(&t->r, 1, 12))
		flags |= FASTIPC_WR_NONBLOCK;
	fz_wr(t, n + 1, nr[fz_pick(&t->r, wr, FZ_ARRAY_SIZE(wr))], flags,
	      true, NULL);
	fz_call_wait(t, 1 + fz_below(&t->r, 4));
}

/* ---- SEND --------------------------------------------------------------------------- */

static void fz_build_send(struct fz_thread *t, unsigned int i, __u32 h,
			  bool small)
{
	struct fastipc_cmd *c = &t->cmds[i];
	struct fz_rng *r = &t->r;
	fz_emask e = FZ_E_BASE | FZ_E(ENOENT) | FZ_E(ENOSPC);

	memset(c, 0, sizeof(*c));
	c->op = FASTIPC_CMD_SEND;
	c->handle = h;
	c->code = i;
	if (small) {
		c->data = (__u64)(uintptr_t)t->p->pat;
		c->data_len = fz_below(r, 65);
	} else {
		e |= fz_msg_build(t, c, false);
	}
	switch (fz_below(r, 60)) {
	case 0:
		c->flags |= FASTIPC_TXN_DEADLINE;	/* CALL only */
		c->arg = 1;
		e = (e & ~FZ_E(0)) | FZ_E(EINVAL);
		break;
	case 1:
		c->txn_id = 7;
		e = (e & ~FZ_E(0)) | FZ_E(EINVAL);
		break;
	default:
		break;
	}
	fz_set(t, i, FZ_CX_PLAIN, e);
}

void fz_op_send(struct fz_thread *t)
{
	static const unsigned int w[] = { 60, 25, 8, 5 };
	static const unsigned int burst[] = { 1, 10, 100, 1100 };
	unsigned int total = burst[fz_pick(&t->r, w, FZ_ARRAY_SIZE(w))];
	bool same = fz_chance(&t->r, 3, 4), valid;
	__u32 h = fz_handle_pick(t, &valid);
	unsigned int sent = 0;

	if (total > 1)
		total = total / 2 + fz_below(&t->r, total);
	while (sent < total && !t->p->restart) {
		unsigned int n = fz_take_out(t, 0), k;
		struct fastipc_write_read wr;
		int err;

		for (k = 0; n < FZ_CMDS && sent + k < total; k++, n++)
			fz_build_send(t, n, same ? h : fz_handle_pick(t, &valid),
				      total > 10);
		err = fz_wr(t, n, fz_chance(&t->r, 1, 4) ? 2 : 0,
			    FASTIPC_WR_NONBLOCK, false, &wr);
		sent += k;
		if (err && err != EAGAIN)
			break;
	}
}

/* ---- serving --------------------------------------------------------------------------- */

void fz_op_serve(struct fz_thread *t)
{
	static const unsigned int w[] = { 30, 20, 20, 20, 10 };
	static const unsigned int nr[] = { 1, 2, 4, 16, 32 };
	unsigned int rounds = 1 + fz_below(&t->r, 3);

	while (rounds-- && !t->p->restart) {
		unsigned int n = fz_take_out(t, 0);
		__u32 flags = fz_chance(&t->r, 2, 5) ? FASTIPC_WR_NONBLOCK : 0;

		if (!t->looper && fz_chance(&t->r, 1, 3)) {
			fz_cmd_plain(&t->cmds[n], FASTIPC_CMD_LOOPER_ENTER, 0, 0);
			fz_set(t, n++, FZ_CX_LOOPER_ENTER, FZ_E_BASE);
		}
		if (fz_wr(t, n, nr[fz_pick(&t->r, w, FZ_ARRAY_SIZE(w))], flags,
			  true, NULL) == EPIPE)
			break;
		if (t->in_call)
			fz_call_wait(t, 1);
	}
}

/* ---- answering by ID ------------------------------------------------------------------------ */

/*
 * A transaction ID that is not one we owe: EPROTO, unless a thread of ours
 * reads a call with that ID before the REPLY runs (see fz_cmd_expect()).
 */
static __u64 fz_foreign_id(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	__u64 id = fz_next(&t->r) >> 1;
	unsigned int i;

	pthread_mutex_lock(&p->lock);
	if (fz_chance(&t->r, 3, 4) && p->seen_next)
		id = p->seen[fz_below(&t->r, p->seen_next < FZ_SEEN ?
				      p->seen_next : FZ_SEEN)];
	for (i = 0; i < p->nopen; i++)
		if (p->open[i].id == id)
			id = 0;
	pthread_mutex_unlock(&p->lock);
	return id ? id : 0x7fffffffffffULL;
}

/* Do we owe nothing at all from this thread (REPLY(0) must fail)? */
static bool fz_owe_nothing(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	unsigned int i;
	bool none;

	pthread_mutex_lock(&p->lock);
	none = !p->untracked[t->slot];
	for (i = 0; i < p->nopen; i++)
		if (p->open[i].origin == t->slot)
			none = false;
	pthread_mutex_unlock(&p->lock);
	return none;
}

/* Build an answer at t->cmds[@i]: to a deferred call, or a wrong one. */
static void fz_build_reply(struct fz_thread *t, unsigned int i)
{
	struct fastipc_cmd *c = &t->cmds[i];
	struct fz_proc *p = t->p;
	struct fz_rng *r = &t->r;
	unsigned int k, cand = 0;
	fz_emask e = FZ_E_BASE | FZ_E(ENOSPC);
	__u64 id = 0;

	memset(c, 0, sizeof(*c));
	pthread_mutex_lock(&p->lock);
	for (k = 0; k < p->nopen; k++)
		cand += p->open[k].deferred && !p->open[k].taken;
	if (cand && !fz_chance(r, 1, 6)) {
		cand = fz_below(r, cand);
		for (k = 0; k < p->nopen; k++) {
			struct fz_open_txn *o = &p->open[k];

			if (!o->deferred || o->taken || cand--)
				continue;
			o->taken = true;
			id = o->id;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);

	c->op = fz_chance(r, 1, 5) ? FASTIPC_CMD_REPLY_ERROR : FASTIPC_CMD_REPLY;
	if (id) {
		c->txn_id = id;
		t->cx[i] = (struct fz_cmdx){ .kind = FZ_CX_REPLY, .id = id };
	} else if (fz_chance(r, 1, 3) && fz_owe_nothing(t)) {
		c->txn_id = 0;		/* we serve nothing: EPROTO */
		e = FZ_E(EPROTO) | FZ_E(EPIPE);
		t->cx[i] = (struct fz_cmdx){ .kind = FZ_CX_PLAIN };
	} else {
		c->txn_id = fz_foreign_id(t);
		e = FZ_E(EPROTO) | FZ_E(EPIPE);
		t->cx[i] = (struct fz_cmdx){ .kind = FZ_CX_FOREIGN_REPLY };
	}
	if (c->op == FASTIPC_CMD_REPLY_ERROR) {
		c->code = fz_chance(r, 1, 10) ? 0 : 1 + fz_below(r, 4095);
		if (!c->code) {
			e = (e & ~(FZ_E(0) | FZ_E(EPROTO))) | FZ_E(EINVAL);
			if (fz_chance(r, 1, 2))
				c->code = 4096;
		} else if (fz_chance(r, 1, 20)) {
			c->data_len = 1;	/* no payload allowed */
			e = (e & ~(FZ_E(0) | FZ_E(EPROTO))) | FZ_E(EINVAL);
		}
	} else {
		c->code = fz_next(r);
		e |= fz_msg_build(t, c, true);
		if (fz_chance(r, 1, 40)) {
			c->handle = 1;		/* REPLY takes no handle */
			e = (e & ~(FZ_E(0) | FZ_E(EPROTO))) | FZ_E(EINVAL);
		}
	}
	/* A malformed answer leaves the transaction pending: defer it. */
	t->cx[i].expect = e;
}

void fz_op_reply(struct fz_thread *t)
{
	unsigned int n = fz_take_out(t, 0), k = 1 + fz_below(&t->r, 3);

	while (k-- && n < FZ_CMDS)
		fz_build_reply(t, n++);
	fz_wr(t, n, fz_chance(&t->r, 1, 3) ? 4 : 0, FASTIPC_WR_NONBLOCK, false,
	      NULL);
}

/* ---- buffers, references, deaths, loopers ------------------------------ */

static void fz_build_free(struct fz_thread *t, unsigned int i)
{
	struct fz_proc *p = t->p;
	__u64 off = ~0ULL;
	bool legit = false;

	pthread_mutex_lock(&p->lock);
	if (p->nbufs && !fz_chance(&t->r, 1, 6)) {
		unsigned int k = fz_below(&t->r, p->nbufs);

		off = p->bufs[k];
		p->bufs[k] = p->bufs[--p->nbufs];
		legit = true;
	}
	pthread_mutex_unlock(&p->lock);
	if (!legit) {
		/* Never a buffer start: misaligned, or past the area. */
		static const __u64 bad[] = { 4, 4100, 1ULL << 40, ~0ULL };

		off = bad[fz_below(&t->r, FZ_ARRAY_SIZE(bad))];
		if (fz_chance(&t->r, 1, 2))
			off = t->p->area_size + fz_below(&t->r, 2) * 64;
	}
	fz_cmd_plain(&t->cmds[i], FASTIPC_CMD_FREE, 0, off);
	t->cx[i] = (struct fz_cmdx){ .kind = legit ? FZ_CX_FREE : FZ_CX_PLAIN,
		.arg = off,
		.expect = legit ? FZ_E_BASE : FZ_E(EINVAL) | FZ_E(EPIPE) };
}

void fz_op_free(struct fz_thread *t)
{
	unsigned int n = fz_take_out(t, 0), k = 1 + fz_below(&t->r, 8);

	while (k-- && n < FZ_CMDS)
		fz_build_free(t, n++);
	fz_wr(t, n, 0, 0, false, NULL);
}

static void fz_build_ref(struct fz_thread *t, unsigned int i, bool acquire)
{
	bool valid;
	__u32 h = fz_handle_pick(t, &valid);
	fz_emask e = FZ_E_BASE | FZ_E(ENOENT);

	fz_cmd_plain(&t->cmds[i], acquire ? FASTIPC_CMD_ACQUIRE :
		     FASTIPC_CMD_RELEASE, h, 0);
	if (acquire)
		e |= FZ_E(EOVERFLOW);
	if (fz_chance(&t->r, 1, 40)) {
		t->cmds[i].arg = 1;
		e = FZ_E(EINVAL) | FZ_E(EPIPE);
	} else if (fz_chance(&t->r, 1, 40)) {
		t->cmds[i].code = 1;
		e = FZ_E(EINVAL) | FZ_E(EPIPE);
	}
	t->cx[i] = (struct fz_cmdx){ .kind = acquire ? FZ_CX_ACQUIRE :
		FZ_CX_RELEASE, .arg = h, .expect = e };
}

void fz_op_refs(struct fz_thread *t)
{
	unsigned int n = fz_take_out(t, 0), k = 1 + fz_below(&t->r, 12);

	while (k-- && n < FZ_CMDS) {
		fz_build_ref(t, n, fz_chance(&t->r, 1, 2));
		n++;
	}
	fz_wr(t, n, 0, 0, false, NULL);
}

static __u64 fz_death_cookie(struct fz_proc *p, __u32 h)
{
	return (0xdeULL << 56) | (__u64)(p->slot & 0xff) << 48 |
	       (__u64)(p->inc & 0xff) << 40 |
	       (__u64)(p->peer_gen & 0xff) << 32 | h;
}

static void fz_build_death(struct fz_thread *t, unsigned int i, __u32 h,
			   bool request)
{
	__u64 cookie = fz_death_cookie(t->p, h);
	fz_emask e = FZ_E_BASE | FZ_E(ENOENT);

	if (request) {
		e |= FZ_E(EBUSY);
	} else if (fz_chance(&t->r, 1, 10)) {
		cookie ^= 1;		/* the wrong cookie */
		e = FZ_E(ENOENT) | FZ_E(EPIPE);
	}
	fz_cmd_plain(&t->cmds[i], request ? FASTIPC_CMD_REQUEST_DEATH :
		     FASTIPC_CMD_CLEAR_DEATH, h, cookie);
	t->cx[i] = (struct fz_cmdx){ .kind = request ? FZ_CX_DEATH_REQ :
		FZ_CX_DEATH_CLEAR, .arg = h, .id = cookie, .expect = e };
}

/*
 * Death requests (@request) or clears and releases on @n handles, by
 * batches that go on past failures: a dying owner's notices then race with
 * our clears and releases (1024 at once after a bulk message).
 */
void fz_death_sweep(struct fz_thread *t, const __u32 *hs, unsigned int n,
		    bool request)
{
	struct fastipc_write_read wr;
	unsigned int i = 0, k, done;

	while (i < n && !t->p->restart) {
		/*
		 * Not the queued commands: a batch here runs again past a
		 * failed command, which would account a queued FREE twice.
		 */
		k = 0;
		for (; i < n && k + 2 <= FZ_CMDS; i++) {
			fz_build_death(t, k++, hs[i], request);
			if (!request && fz_chance(&t->r, 1, 3))
				fz_build_ref(t, k++, false);
		}
		for (done = 0; done < k;) {
			memset(&wr, 0, sizeof(wr));
			wr.write_buffer = (__u64)(uintptr_t)t->cmds;
			wr.write_size = k * FZ_CMD_SIZE;
			wr.write_consumed = done * FZ_CMD_SIZE;
			fz_wr_ex(t, &wr, k, false, false);
			done = wr.write_consumed / FZ_CMD_SIZE + 1;
		}
	}
}

void fz_op_death(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	unsigned int mode = fz_below(&t->r, 6), n, k, i, total = 0;
	bool valid;

	if (mode < 4) {
		n = fz_take_out(t, 0);
		for (k = 1 + fz_below(&t->r, 6); k-- && n < FZ_CMDS; n++)
			fz_build_death(t, n, fz_handle_pick(t, &valid),
				       fz_chance(&t->r, 1, 2));
		fz_wr(t, n, 0, 0, false, NULL);
		return;
	}
	/* Every handle we hold without a request, or with one. */
	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nhandles && total < FZ_MAX_HANDLES; i++)
		if (!p->handles[i].death == (bool)(mode == 4))
			t->hbuf[total++] = p->handles[i].h;
	pthread_mutex_unlock(&p->lock);
	fz_death_sweep(t, t->hbuf, total, mode == 4);
}

void fz_op_looper(struct fz_thread *t)
{
	unsigned int n = fz_take_out(t, 0);
	bool enter = fz_chance(&t->r, 1, 2);

	fz_cmd_plain(&t->cmds[n], enter ? FASTIPC_CMD_LOOPER_ENTER :
		     FASTIPC_CMD_LOOPER_EXIT, 0, 0);
	fz_set(t, n, enter ? FZ_CX_LOOPER_ENTER : FZ_CX_LOOPER_EXIT, FZ_E_BASE);
	if (fz_chance(&t->r, 1, 20)) {
		t->cmds[n].handle = 1;
		fz_set(t, n, FZ_CX_PLAIN, FZ_E(EINVAL) | FZ_E(EPIPE));
	}
	fz_wr(t, n + 1, fz_chance(&t->r, 1, 2) ? 2 : 0, FASTIPC_WR_NONBLOCK,
	      false, NULL);
}

/* ---- bulk: many nodes, a message with 1024 handles --------------------- */

void fz_op_bulk(struct fz_thread *t)
{
	static const unsigned int counts[] = { 64, 500, 1025, 2000 };
	struct fz_proc *p = t->p;
	unsigned int want = counts[fz_below(&t->r, FZ_ARRAY_SIZE(counts))];
	unsigned int i, made = 0, n;
	bool valid;
	__u32 h;

	for (i = 0; i < want && !p->restart; i++) {
		struct fastipc_node_create nc;
		int err;

		memset(&nc, 0, sizeof(nc));
		pthread_mutex_lock(&p->lock);
		if (p->nnodes >= FZ_NODES) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		nc.cookie = fz_node_cookie(p, p->node_seq++);
		pthread_mutex_unlock(&p->lock);
		nc.flags = fz_chance(&t->r, 1, 4) ? FASTIPC_NODE_ACCEPT_FDS : 0;
		err = ioctl(p->fd, FASTIPC_IOC_NODE_CREATE, &nc) ? errno : 0;
		fz_result(FZ_SITE_NODE_CREATE, err, FZ_E(0) | FZ_E(EPIPE) |
			  FZ_E(ENOSPC), "bulk");
		if (err == EPIPE)
			fz_peer_dead_check(t, "NODE_CREATE");
		if (err)
			break;
		pthread_mutex_lock(&p->lock);
		p->nodes[p->nnodes].h = nc.handle;
		p->nodes[p->nnodes].flags = nc.flags;
		p->nodes[p->nnodes].cookie = nc.cookie;
		p->nnodes++;
		pthread_mutex_unlock(&p->lock);
		fz_handle_add(p, nc.handle, true);
		made++;
	}
	if (!made)
		return;
	/* One message carrying up to 1024 of them (or one too many). */
	h = fz_handle_pick(t, &valid);
	n = fz_take_out(t, 0);
	memset(&t->cmds[n], 0, sizeof(t->cmds[n]));
	t->cmds[n].op = FASTIPC_CMD_SEND;
	t->cmds[n].handle = h;
	t->cmds[n].n_handles = fz_chance(&t->r, 1, 10) ? FZ_MAX_HANDLES + 1 :
			       FZ_MAX_HANDLES;
	pthread_mutex_lock(&p->lock);
	for (i = 0; i < t->cmds[n].n_handles; i++)
		t->hbuf[i] = p->nodes[p->nnodes - 1 - i % (made < p->nnodes ?
						       made : p->nnodes)].h;
	pthread_mutex_unlock(&p->lock);
	t->cmds[n].handles = (__u64)(uintptr_t)t->hbuf;
	fz_set(t, n, FZ_CX_PLAIN, t->cmds[n].n_handles > FZ_MAX_HANDLES ?
	       FZ_E(EINVAL) | FZ_E(EPIPE) :
	       FZ_E_BASE | FZ_E(ENOENT) | FZ_E(ENOSPC));
	fz_wr(t, n + 1, 0, 0, false, NULL);
	/* Give the receiver a moment to ask for deaths, then maybe die. */
	if (fz_chance(&t->r, 1, 3)) {
		usleep(20000 + fz_below(&t->r, 200000));
		fz_request_restart(t, "bulk owner dies");
	}
}

/* ---- notification bits ------------------------------------------------- */

/*
 * A SIGNAL at t->cmds[@i]: to a handle we hold (its node may refuse
 * signals: EPERM; its owner may be dead: EPIPE), a bad handle (ENOENT),
 * with mask 0 or a stray field (EINVAL), or to a node of ours made to take
 * them, which must.
 */
static void fz_build_signal(struct fz_thread *t, unsigned int i)
{
	struct fz_proc *p = t->p;
	fz_emask e = FZ_E_BASE | FZ_E(ENOENT) | FZ_E(EPERM);
	__u64 mask = fz_next(&t->r) | 1ULL << fz_below(&t->r, 64);
	__u32 h = 0, k;
	bool valid;

	if (fz_chance(&t->r, 1, 3)) {
		/*
		 * One of our own nodes that takes signals, if any, by a number
		 * we still hold for it: a released number may name another
		 * node now (the lowest free number is reused), so only the
		 * latest node recorded with it counts, and only while the
		 * table says the handle is ours.  A sibling's RELEASE racing
		 * us gives ENOENT, and a sibling's import or read reusing the
		 * number before it updated the table EPERM (seen a few times
		 * a minute): the record oracle (fz_rx_signal) is the check.
		 */
		unsigned int j, m, start = fz_below(&t->r, p->nnodes + 1);

		pthread_mutex_lock(&p->lock);
		for (k = 0; k < p->nnodes && !h; k++) {
			const struct fz_node *n;
			int hi;

			j = (k + start) % p->nnodes;
			n = &p->nodes[j];
			if (!(n->flags & FASTIPC_NODE_ACCEPT_SIGNALS))
				continue;
			for (m = j + 1; m < p->nnodes; m++)
				if (p->nodes[m].h == n->h)
					break;
			hi = fz_handle_find(p, n->h);
			if (m == p->nnodes && hi >= 0 && p->handles[hi].own)
				h = n->h;
		}
		pthread_mutex_unlock(&p->lock);
		e = FZ_E_BASE | FZ_E(ENOENT) | FZ_E(EPERM);
	}
	if (!h)
		h = fz_handle_pick(t, &valid);
	if (fz_chance(&t->r, 1, 4))
		mask = 1ULL << fz_below(&t->r, 4);	/* coalescing */
	fz_cmd_plain(&t->cmds[i], FASTIPC_CMD_SIGNAL, h, mask);
	switch (fz_below(&t->r, 30)) {
	case 0:
		t->cmds[i].arg = 0;
		e = FZ_E(EINVAL) | FZ_E(EPIPE);
		break;
	case 1:
		t->cmds[i].code = 1;
		e = FZ_E(EINVAL) | FZ_E(EPIPE);
		break;
	case 2:
		t->cmds[i].txn_id = 1;
		e = FZ_E(EINVAL) | FZ_E(EPIPE);
		break;
	default:
		break;
	}
	fz_set(t, i, FZ_CX_PLAIN, e);
}

/* A well-formed SIGNAL: its outcome depends on its handle only. */
static bool fz_signal_clean(const struct fastipc_cmd *c)
{
	return c->op == FASTIPC_CMD_SIGNAL && c->arg && !c->code &&
	       !c->txn_id;
}

/* A burst of signals in one WRITE_READ, some to the same node. */
void fz_op_notify(struct fz_thread *t)
{
	unsigned int n = fz_take_out(t, 0), k = 1 + fz_below(&t->r, 8);

	while (k-- && n < FZ_CMDS) {
		fz_build_signal(t, n);
		if (n && fz_chance(&t->r, 1, 3) &&
		    fz_signal_clean(&t->cmds[n - 1]) &&
		    fz_signal_clean(&t->cmds[n])) {
			/* Again to the previous one's node: they coalesce. */
			t->cmds[n].handle = t->cmds[n - 1].handle;
			t->cx[n] = t->cx[n - 1];
		}
		n++;
	}
	fz_wr(t, n, 0, 0, false, NULL);
}

/* ---- random batches ---------------------------------------------------- */

/* One random command at t->cmds[@i], well-formed or not. */
static void fz_build_any(struct fz_thread *t, unsigned int i, bool *calling)
{
	struct fastipc_cmd *c = &t->cmds[i];
	bool valid;

	switch (fz_below(&t->r, 15)) {
	case 0:
		fz_build_call(t, i, *calling || t->in_call);
		*calling = true;
		break;
	case 1:
	case 2:
		fz_build_send(t, i, fz_handle_pick(t, &valid), false);
		break;
	case 3:
	case 4:
		fz_build_reply(t, i);
		break;
	case 5:
		fz_build_free(t, i);
		break;
	case 6:
	case 7:
		fz_build_ref(t, i, fz_chance(&t->r, 1, 2));
		break;
	case 8:
	case 9:
		fz_build_death(t, i, fz_handle_pick(t, &valid),
			       fz_chance(&t->r, 1, 2));
		break;
	case 10:
		fz_cmd_plain(c, FASTIPC_CMD_LOOPER_ENTER, 0, 0);
		fz_set(t, i, FZ_CX_LOOPER_ENTER, FZ_E_BASE);
		break;
	case 11:
		fz_cmd_plain(c, FASTIPC_CMD_LOOPER_EXIT, 0, 0);
		fz_set(t, i, FZ_CX_LOOPER_EXIT, FZ_E_BASE);
		break;
	case 12:
		/* An op that does not exist. */
		fz_cmd_plain(c, fz_chance(&t->r, 1, 2) ? 0 :
			     FASTIPC_CMD_SIGNAL + 1 + fz_below(&t->r, 3), 0, 0);
		if (fz_chance(&t->r, 1, 4))
			c->op = ~0U;
		fz_set(t, i, FZ_CX_PLAIN, FZ_E(EINVAL) | FZ_E(EPIPE));
		break;
	case 13:
		fz_build_signal(t, i);
		break;
	default:
		/* A plain command with a stray field. */
		fz_cmd_plain(c, FASTIPC_CMD_ACQUIRE + fz_below(&t->r, 2),
			     fz_handle_pick(t, &valid), 0);
		switch (fz_below(&t->r, 4)) {
		case 0:
			c->data_len = 8;
			break;
		case 1:
			c->flags = FASTIPC_TXN_IOVEC;
			break;
		case 2:
			c->n_fds = 1;
			break;
		default:
			c->reserved0 = 1;
		}
		fz_set(t, i, FZ_CX_PLAIN, FZ_E(EINVAL) | FZ_E(EPIPE));
	}
}

void fz_op_batch(struct fz_thread *t)
{
	struct fastipc_write_read wr;
	unsigned int n = fz_take_out(t, 0), k = 1 + fz_below(&t->r, 10);
	unsigned int nrets = fz_below(&t->r, 9);
	bool calling = false, fuzzed = false;

	while (k-- && n < FZ_CMDS)
		fz_build_any(t, n++, &calling);
	memset(&wr, 0, sizeof(wr));
	wr.write_buffer = (__u64)(uintptr_t)t->cmds;
	wr.write_size = n * FZ_CMD_SIZE;
	wr.read_buffer = (__u64)(uintptr_t)t->rets;
	wr.read_size = nrets * FZ_RET_SIZE;
	if (fz_chance(&t->r, 1, 4))
		wr.flags = FASTIPC_WR_NONBLOCK;
	if (fz_chance(&t->r, 1, 10)) {
		fuzzed = true;
		switch (fz_below(&t->r, 8)) {
		case 0:
			wr.flags |= 1U << (1 + fz_below(&t->r, 31));
			break;
		case 1:
			wr.reason = 1 + fz_below(&t->r, 10);
			break;
		case 2:
			wr.write_size += 1 + fz_below(&t->r, 79);
			break;
		case 3:
			wr.write_consumed = 8;
			break;
		case 4:
			wr.write_consumed = wr.write_size + FZ_CMD_SIZE;
			break;
		case 5:
			wr.read_size += 1 + fz_below(&t->r, 135);
			break;
		case 6:
			wr.read_consumed = 4;
			break;
		default:
			wr.read_consumed = wr.read_size + FZ_RET_SIZE;
		}
	} else if (fz_chance(&t->r, 1, 30)) {
		/* Start in the middle: earlier commands are not run. */
		k = fz_below(&t->r, n + 1);
		wr.write_consumed = k * FZ_CMD_SIZE;
		fz_cmds_unrun(t, 0, k);
	} else if (fz_chance(&t->r, 1, 30) && nrets) {
		wr.read_buffer = (__u64)(uintptr_t)t->p->guard;
	}
	fz_wr_ex(t, &wr, n, !(wr.flags & FASTIPC_WR_NONBLOCK), fuzzed);
	if (t->in_call)
		fz_call_wait(t, 1);
}
