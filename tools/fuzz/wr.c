// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: running a WRITE_READ.  Each command carries the errnos it
 * may fail with; the result of each executed command, of the read phase and
 * the records read are counted and checked, and the worker's tables follow
 * what the kernel did (answered calls, freed buffers, references, death
 * requests, looper state, the pending call).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "worker.h"

/* ---- bookkeeping of executed commands -------------------------------------- */

/*
 * The sibling slots reading, their calls not registered yet: a REPLY by ID
 * may have answered one of them.  p->lock held.
 */
static __u32 fz_sibling_reads(struct fz_thread *t)
{
	return t->p->reading & ~(1U << t->slot);
}

/* Is a call of ours with ID @id maybe answered already?  p->lock held. */
static bool fz_open_vague(struct fz_proc *p, __u64 id)
{
	unsigned int i;

	for (i = 0; i < p->nopen; i++)
		if (p->open[i].id == id && p->open[i].vague)
			return true;
	return false;
}

/* @err: its errno; @ran: false when the write phase stopped before it. */
static void fz_cmd_done(struct fz_thread *t, const struct fastipc_cmd *c,
			const struct fz_cmdx *x, int err, bool ran)
{
	struct fz_proc *p = t->p;
	int i;

	switch (x->kind) {
	case FZ_CX_REPLY:
		if (ran && err && err != EPROTO)
			p->skew |= FZ_SKEW_FAILED;
		pthread_mutex_lock(&p->lock);
		/*
		 * By ID the kernel answers the latest call read with that ID,
		 * maybe a sibling's; REPLY(0) the latest this thread read.
		 */
		i = c->txn_id ? fz_open_find(p, c->txn_id) :
		    fz_open_find_own(p, 0, t->slot, t->kgen);
		if (ran && !err && c->txn_id) {
			fz_open_answered(p, c->txn_id, false,
					 fz_sibling_reads(t), 0);
		} else if (i >= 0) {
			if (ran && (!err || err == EPROTO))
				fz_open_del(p, i);
			else
				fz_open_defer(p, i);
		}
		pthread_mutex_unlock(&p->lock);
		break;
	case FZ_CX_FOREIGN_REPLY:
		if (!ran || err)
			break;
		/* It answered a call a sibling read since: see fz_cmd_expect(). */
		pthread_mutex_lock(&p->lock);
		fz_open_answered(p, c->txn_id, true, fz_sibling_reads(t),
				 c->op);
		pthread_mutex_unlock(&p->lock);
		break;
	case FZ_CX_FREE:
		if (!ran)
			fz_buf_add(p, x->arg);
		break;
	case FZ_CX_CALL:
		if (ran && !err) {
			t->in_call++;
			t->call_start = fz_now();
			t->call_self = x->arg;
		}
		break;
	case FZ_CX_LOOPER_ENTER:
		if (ran && !err)
			t->looper = true;
		break;
	case FZ_CX_LOOPER_EXIT:
		if (ran && !err) {
			if (t->in_call)
				fz_info(FZ_I_ABANDONED);
			t->looper = false;
			t->in_call = 0;
			fz_thread_orphan_txns(t);
			t->kgen++;
			p->skew |= FZ_SKEW_EXIT;
		}
		break;
	case FZ_CX_ACQUIRE:
	case FZ_CX_RELEASE:
	case FZ_CX_DEATH_REQ:
	case FZ_CX_DEATH_CLEAR:
		if (!ran)
			break;
		pthread_mutex_lock(&p->lock);
		i = fz_handle_find(p, (__u32)x->arg);
		if (i >= 0 && err == ENOENT) {
			fz_handle_del(p, i);
		} else if (i >= 0 && !err) {
			struct fz_handle *h = &p->handles[i];

			if (x->kind == FZ_CX_ACQUIRE)
				h->refs++;
			else if (x->kind == FZ_CX_DEATH_REQ)
				h->death = x->id;
			else if (x->kind == FZ_CX_DEATH_CLEAR)
				h->death = 0;
			else if (!--h->refs)
				fz_handle_del(p, i);
		}
		pthread_mutex_unlock(&p->lock);
		break;
	default:
		break;
	}
}

/* Commands t->cmds[@from..@to) will never run: undo their bookkeeping. */
void fz_cmds_unrun(struct fz_thread *t, unsigned int from, unsigned int to)
{
	for (; from < to; from++)
		fz_cmd_done(t, &t->cmds[from], &t->cx[from], 0, false);
}

/* Move this thread's queued commands to t->cmds[@at...]; return how many. */
unsigned int fz_take_out(struct fz_thread *t, unsigned int at)
{
	unsigned int n = t->nout;

	/* All or nothing: queue slots own the arrays their commands use. */
	if (n > FZ_CMDS - at)
		return 0;
	memcpy(&t->cmds[at], t->out, sizeof(t->out[0]) * n);
	memcpy(&t->cx[at], t->outx, sizeof(t->outx[0]) * n);
	t->nout = 0;
	t->iov_used = 0;
	t->h_used = 0;
	t->f_used = 0;
	return n;
}

static enum fz_site fz_cmd_site(__u32 op)
{
	return FZ_SITE_CMD + (op >= 1 && op <= FASTIPC_CMD_SIGNAL ? op :
			      FASTIPC_CMD_SIGNAL + 1);
}

/*
 * For a note on an odd REPLY or CALL outcome: what happened before in this
 * process that the old module mishandles (spec 7: a faulting read loses a
 * record; spec 9: a new thread answers an exited one's calls with
 * REPLY(0); spec 10: a failed REPLY moves its transaction).
 */
static void fz_skew_what(struct fz_thread *t, const struct fastipc_cmd *c,
			 char *buf, size_t len)
{
	unsigned int sk = t->p->skew;

	buf[0] = 0;
	if (c->op != FASTIPC_CMD_REPLY && c->op != FASTIPC_CMD_REPLY_ERROR &&
	    c->op != FASTIPC_CMD_CALL)
		return;
	snprintf(buf, len, " [txn %llu; before: %s%s%s%s]",
		 (unsigned long long)c->txn_id,
		 sk & FZ_SKEW_FAULT ? "faulting read (spec 7) " : "",
		 sk & FZ_SKEW_EXIT ? "thread exit (spec 9) " : "",
		 sk & FZ_SKEW_FAILED ? "failed REPLY (spec 10)" : "",
		 sk ? "" : "nothing odd");
}

/*
 * The errnos command @c may have returned, decided once it ran.  A REPLY to
 * an ID no thread of ours held when it was built succeeds if one has read
 * a call with that ID since: a nested call carries the ID of the
 * transaction its chain serves, and once the thread that waited for the
 * chain stopped waiting (its deadline, LOOPER_EXIT) it goes to any
 * thread.  Such an ID may be one of a call of ours that ended.  A REPLY(0)
 * fails if a REPLY by ID answered the call in its stead (an ID shared by
 * calls of several threads: the thread is untracked).
 */
static fz_emask fz_cmd_expect(struct fz_thread *t, const struct fastipc_cmd *c,
			      const struct fz_cmdx *x)
{
	struct fz_proc *p = t->p;
	fz_emask e = x->expect;

	pthread_mutex_lock(&p->lock);
	/*
	 * With no such call of ours, one of the siblings reading now must
	 * register one: checked by fz_read_over().
	 */
	if (x->kind == FZ_CX_FOREIGN_REPLY && e & FZ_E(EPROTO) &&
	    (fz_open_find(p, c->txn_id) >= 0 || fz_sibling_reads(t)))
		e |= FZ_E(0) | FZ_E(ENOSPC);
	/*
	 * A call of ours answered by a sibling's REPLY by ID, or by an
	 * untracked thread's REPLY(0): see fz_untrack().
	 */
	if (x->kind == FZ_CX_REPLY && e & FZ_E(0) &&
	    (c->txn_id ? fz_open_vague(p, c->txn_id) : p->untracked[t->slot]))
		e |= FZ_E(EPROTO);
	pthread_mutex_unlock(&p->lock);
	return e;
}

/*
 * Run one WRITE_READ prepared in @wr over t->cmds[0..@ncmds) (whose
 * expectations are in t->cx), then count and check everything: each
 * executed command's errno, the read phase, the records.  @fuzzed: @wr is
 * malformed on purpose and must be refused whole (EINVAL or EFAULT).
 * Return the ioctl's errno.
 */
int fz_wr_ex(struct fz_thread *t, struct fastipc_write_read *wr,
	     unsigned int ncmds, bool block, bool fuzzed)
{
	struct fz_proc *p = t->p;
	struct fastipc_write_read in = *wr;
	__u64 first = wr->write_consumed / FZ_CMD_SIZE;
	__u64 done, r0 = wr->read_consumed, nrec;
	fz_emask rexp, expect;
	char what[200];
	unsigned int i;
	int ret, err;

	if (!fuzzed && in.read_size > r0) {
		/* Until its calls are registered: see fz_sibling_reads(). */
		pthread_mutex_lock(&p->lock);
		p->reading |= 1U << t->slot;
		pthread_mutex_unlock(&p->lock);
	}
	if (block)
		fz_timer_arm(t, 2 + fz_below(&t->r, fz_chance(&t->r, 1, 10) ?
						 400 : 60));
	ret = ioctl(p->fd, FASTIPC_IOC_WRITE_READ, wr);
	err = ret < 0 ? errno : 0;
	if (block)
		fz_timer_disarm(t);

	if (fuzzed) {
		fz_result(FZ_SITE_WR, err, FZ_E(EINVAL) | FZ_E(EFAULT),
			  "malformed struct fastipc_write_read");
		if (!err)
			fz_finding(FZ_F_ORACLE,
				   "a malformed WRITE_READ was accepted (flags %#x reason %u wsize %llu wcons %llu rsize %llu rcons %llu)",
				   in.flags, in.reason,
				   (unsigned long long)in.write_size,
				   (unsigned long long)in.write_consumed,
				   (unsigned long long)in.read_size,
				   (unsigned long long)in.read_consumed);
		for (i = 0; i < ncmds; i++)
			fz_cmd_done(t, &t->cmds[i], &t->cx[i], 0, false);
		return err;
	}

	done = wr->write_consumed / FZ_CMD_SIZE;
	if (done > ncmds)
		done = ncmds;
	for (i = 0; i < ncmds; i++) {
		const struct fastipc_cmd *c = &t->cmds[i];
		const struct fz_cmdx *x = &t->cx[i];

		if (i < first) {
			continue;	/* the caller's, see fz_cmds_unrun() */
		} else if (i < done) {
			fz_skew_what(t, c, what, sizeof(what));
			fz_result(fz_cmd_site(c->op), 0, fz_cmd_expect(t, c, x),
				  what);
			fz_cmd_done(t, c, x, 0, true);
		} else if (i == done && err && wr->write_consumed < wr->write_size) {
			int k = snprintf(what, sizeof(what),
					 "cmd %u/%u handle %u txn %llu len %llu nh %u nf %u flags %#x",
					 i, ncmds, c->handle,
					 (unsigned long long)c->txn_id,
					 (unsigned long long)c->data_len,
					 c->n_handles, c->n_fds, c->flags);

			fz_skew_what(t, c, what + k, sizeof(what) - k);
			expect = fz_cmd_expect(t, c, x);
			/* Everything may fail once our own peer is dead. */
			if (!(expect & FZ_E(err)) && fz_peer_is_dead(p))
				expect |= FZ_E(err);
			fz_result(fz_cmd_site(c->op), err, expect, what);
			fz_cmd_done(t, c, x, err, true);
		} else {
			fz_cmd_done(t, c, x, 0, false);
		}
	}

	if (wr->write_consumed == wr->write_size && in.read_size > r0) {
		rexp = FZ_E(0) | FZ_E(EINTR) | FZ_E(EPIPE);
		if (in.flags & FASTIPC_WR_NONBLOCK || !block)
			rexp |= FZ_E(EAGAIN);
		if (in.read_buffer == (__u64)(uintptr_t)p->guard ||
		    in.read_buffer < 4096)
			rexp |= FZ_E(EFAULT);
		fz_result(FZ_SITE_READ, err, rexp, NULL);
	}
	if (err && wr->reason > FASTIPC_REASON_UNANSWERED)
		fz_finding(FZ_F_RECORD, "WRITE_READ reason %u out of range",
			   wr->reason);
	if (wr->write_consumed > in.write_size ||
	    wr->write_consumed < in.write_consumed ||
	    wr->read_consumed > in.read_size || wr->read_consumed < r0 ||
	    (wr->read_consumed - r0) % FZ_RET_SIZE)
		fz_finding(FZ_F_RECORD, "WRITE_READ counters: write %llu/%llu read %llu/%llu",
			   (unsigned long long)wr->write_consumed,
			   (unsigned long long)in.write_size,
			   (unsigned long long)wr->read_consumed,
			   (unsigned long long)in.read_size);
	nrec = (wr->read_consumed - r0) / FZ_RET_SIZE;
	if (nrec > FZ_RETS)
		nrec = 0;
	if (nrec && in.read_buffer == (__u64)(uintptr_t)t->faulty + 4096 -
	    FZ_RET_SIZE)
		p->skew |= FZ_SKEW_FAULT;	/* the old module may lose one */
	if (nrec && in.read_buffer >= 4096 &&
	    in.read_buffer != (__u64)(uintptr_t)p->guard) {
		/* Copied: handling a record may run WRITE_READs of its own. */
		struct fastipc_ret recs[FZ_RETS];

		memcpy(recs, (const void *)(uintptr_t)(in.read_buffer + r0),
		       nrec * FZ_RET_SIZE);
		fz_records(t, recs, nrec);
	}
	pthread_mutex_lock(&p->lock);
	if (p->reading & 1U << t->slot)
		fz_read_over(t);
	pthread_mutex_unlock(&p->lock);
	if (err == EPIPE)
		fz_peer_dead_check(t, "EPIPE");
	return err;
}

/*
 * The common WRITE_READ: t->cmds[0..@ncmds), then a read into @nrets
 * records (sometimes a buffer whose second slot faults).
 */
int fz_wr(struct fz_thread *t, unsigned int ncmds, unsigned int nrets,
	  __u32 flags, bool block, struct fastipc_write_read *wr_out)
{
	struct fastipc_write_read wr;
	int err;

	memset(&wr, 0, sizeof(wr));
	wr.flags = flags;
	wr.write_buffer = (__u64)(uintptr_t)t->cmds;
	wr.write_size = ncmds * FZ_CMD_SIZE;
	if (nrets) {
		wr.read_buffer = (__u64)(uintptr_t)t->rets;
		wr.read_size = nrets * FZ_RET_SIZE;
		if (nrets >= 2 && fz_chance(&t->r, 1, 25)) {
			/* The second record slot is unmapped. */
			wr.read_buffer = (__u64)(uintptr_t)t->faulty +
					 4096 - FZ_RET_SIZE;
		}
	}
	err = fz_wr_ex(t, &wr, ncmds, block && !(flags & FASTIPC_WR_NONBLOCK),
		       false);
	if (wr_out)
		*wr_out = wr;
	return err;
}

bool fz_peer_is_dead(struct fz_proc *p)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0 && pfd.revents & POLLHUP;
}

/* Is our own peer dead?  Then restart, and say so if nothing explains it. */
bool fz_peer_dead_check(struct fz_thread *t, const char *after)
{
	struct fz_proc *p = t->p;

	/*
	 * A non-blocking read could take work we would then have to handle:
	 * ask poll() instead, EPOLLHUP means dead.
	 */
	if (!fz_peer_is_dead(p))
		return false;
	if (!p->dead_cause)
		fz_finding(FZ_F_PEER_DIED,
			   "slot %d inc %d thread %d: peer dead (EPOLLHUP) after %s, op %s #%llu",
			   p->slot, p->inc, t->slot, after,
			   fz_op_name(t->hb->op), (unsigned long long)t->idx);
	else if (p->dead_cause & (FZ_DEAD_UNSHARE | FZ_DEAD_CLONE) &&
		 !(p->dead_cause & FZ_DEAD_MUNMAP))
		fz_info(FZ_I_PEER_DEATH_UNSHARE);
	fz_request_restart(t, "peer dead");
	return true;
}

/*
 * Wait (at most @rounds reads) for the end of our call, answering nested
 * calls on the way; abandon it with LOOPER_EXIT when it takes too long.
 */
void fz_call_wait(struct fz_thread *t, unsigned int rounds)
{
	__u64 limit = fz_stopping() ? 300000000ULL : 2500000000ULL;
	struct fastipc_write_read wr;
	unsigned int n;
	int err;

	while (t->in_call && !t->p->restart) {
		if (fz_now() - t->call_start > limit || !rounds--) {
			if (fz_now() - t->call_start <= limit)
				return;	/* keep it for later operations */
			n = fz_take_out(t, 0);
			fz_cmd_plain(&t->cmds[n], FASTIPC_CMD_LOOPER_EXIT, 0, 0);
			t->cx[n] = (struct fz_cmdx){ .kind = FZ_CX_LOOPER_EXIT,
				.expect = FZ_E(0) | FZ_E(EPIPE) };
			fz_wr(t, n + 1, 0, 0, false, NULL);
			return;
		}
		n = fz_take_out(t, 0);
		err = fz_wr(t, n, 1 + fz_below(&t->r, 4), 0, true, &wr);
		/* EPIPE of the read phase: our peer is dead, the call too. */
		if (err == EPIPE && wr.write_consumed == wr.write_size) {
			t->in_call = 0;
			return;
		}
	}
}
