// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: the io_uring commands (FASTIPC_URING_CMD: CALL, with or
 * without a deadline, and SEND; malformed SQEs), FASTIPC_IOC_CANCEL and
 * FASTIPC_URING_CANCEL.  Each operation makes a ring, submits a few
 * commands, cancels some calls (by ioctl, by SQE), reaps what completes within
 * a few milliseconds and closes the ring with the rest in flight: the
 * kernel must complete (or cancel) every one of them exactly once, leak
 * nothing, and never write a record after its ring went away into memory
 * we reused (the records of commands left in flight are never freed).
 *
 * Not in the default operation set (-o uring,... turns it on), so that the
 * default runs replay as before.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <liburing.h>

#include "worker.h"

#define FZ_URING_MAX	8

struct fz_uslot {
	struct fastipc_cmd cmd;
	struct fastipc_ret ret;
	fz_emask expect;	/* errnos of the CQE */
	bool call;
	bool done;
};

static void fz_uring_prep(struct io_uring_sqe *sqe, int fd, __u32 cmd_op,
			  const void *cmd, const void *ret, void *slot)
{
	struct fastipc_uring_cmd uc = { (__u64)(uintptr_t)cmd,
					(__u64)(uintptr_t)ret };

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = cmd_op;
	sqe->__pad1 = 0;
	sqe->uring_cmd_flags = 0;
	memcpy(sqe->cmd, &uc, sizeof(uc));
	io_uring_sqe_set_data(sqe, slot);
}

/* One command by WRITE_READ, no read phase; its outcome is not checked. */
static void fz_uring_cmd1(int fd, const struct fastipc_cmd *c)
{
	struct fastipc_write_read wr;

	memset(&wr, 0, sizeof(wr));
	wr.write_buffer = (__u64)(uintptr_t)c;
	wr.write_size = sizeof(*c);
	(void)ioctl(fd, FASTIPC_IOC_WRITE_READ, &wr);
}

/* Give back what an answer brought: handles, fds, its buffer. */
static void fz_uring_answer(struct fz_thread *t, struct fz_uslot *s)
{
	struct fz_proc *p = t->p;
	const struct fastipc_ret *r = &s->ret;
	struct fastipc_cmd c;
	const __u32 *hs;
	const __s32 *fs;
	unsigned int i;

	if (r->op != FASTIPC_RET_REPLY || (r->flags & FASTIPC_RET_INLINE))
		return;
	if (!p->area || r->offset >= p->area_size ||
	    r->data_len > p->area_size - r->offset) {
		fz_finding(FZ_F_RECORD, "uring: reply buffer %llu+%llu outside the area",
			   (unsigned long long)r->offset,
			   (unsigned long long)r->data_len);
		return;
	}
	hs = (const __u32 *)((const char *)p->area + r->offset +
			     ((r->data_len + 7) & ~7ULL));
	fs = (const __s32 *)(hs + r->n_handles);
	for (i = 0; i < r->n_handles; i++) {
		if (hs[i] == 0xffffffffU)
			continue;
		fz_cmd_plain(&c, FASTIPC_CMD_RELEASE, hs[i], 0);
		fz_uring_cmd1(p->fd, &c);
	}
	for (i = 0; i < r->n_fds; i++)
		if (fs[i] >= 0)
			close(fs[i]);
	fz_cmd_plain(&c, FASTIPC_CMD_FREE, 0, r->offset);
	fz_uring_cmd1(p->fd, &c);
}

static void fz_uring_check(struct fz_thread *t, struct fz_uslot *s, int res)
{
	if (s->done) {
		fz_finding(FZ_F_RECORD, "uring: a second CQE for one SQE");
		return;
	}
	s->done = true;
	if (res < 0) {
		fz_result(FZ_SITE_URING, -res, s->expect, "uring CQE");
		return;
	}
	fz_count_site(FZ_SITE_URING, 0);
	if (!s->call) {
		if (res)
			fz_finding(FZ_F_RECORD, "uring: SEND completed with %d", res);
		return;
	}
	if (res < FASTIPC_RET_REPLY || res > FASTIPC_RET_FAILED_REPLY ||
	    (int)s->ret.op != res)
		fz_finding(FZ_F_RECORD, "uring: CALL completed with %d, record op %u",
			   res, s->ret.op);
	else
		fz_uring_answer(t, s);
}

void fz_op_uring(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	struct fz_rng *r = &t->r;
	struct io_uring_params prm;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	struct fz_uslot *s[2 * FZ_URING_MAX];
	struct fastipc_cancel cancel;
	unsigned int n, m, i, reaped = 0;
	struct __kernel_timespec ts;
	bool valid;
	__u32 op;
	int err;

	if (p->fd < 0)
		return;
	memset(&prm, 0, sizeof(prm));
	if (fz_chance(r, 1, 2))
		prm.flags |= IORING_SETUP_CQE32;
	if (io_uring_queue_init_params(2 * FZ_URING_MAX, &ring, &prm))
		return;		/* no io_uring for us (limits): nothing to do */
	n = 1 + fz_below(r, FZ_URING_MAX);
	for (i = 0; i < n; i++) {
		/* Never freed if left in flight: see the top of the file. */
		s[i] = calloc(1, sizeof(*s[i]));
		if (!s[i]) {
			n = i;
			break;
		}
		s[i]->call = fz_chance(r, 2, 3);
		s[i]->cmd.op = s[i]->call ? FASTIPC_CMD_CALL : FASTIPC_CMD_SEND;
		s[i]->cmd.handle = fz_handle_pick(t, &valid);
		s[i]->cmd.code = fz_next(r);
		s[i]->cmd.data_len = fz_below(r, fz_chance(r, 1, 4) ? 4096 : 65);
		fz_pattern_ensure(p, s[i]->cmd.data_len);
		s[i]->cmd.data = (__u64)(uintptr_t)p->pat;
		s[i]->expect = FZ_E(EPIPE) | FZ_E(ENOENT) | FZ_E(ENOSPC) |
			       FZ_E(ECANCELED) | FZ_E(ENOMEM) | FZ_E(EPERM);
		op = FASTIPC_URING_CMD;
		switch (fz_below(r, 12)) {
		case 0:		/* an unknown command */
			op = (__u32)fz_next(r);
			s[i]->expect = FZ_E(EOPNOTSUPP) | FZ_E(EINVAL);
			break;
		case 1:		/* a deadline: a CALL's, a few ms or passed */
			s[i]->cmd.flags = FASTIPC_TXN_DEADLINE;
			s[i]->cmd.arg = fz_chance(r, 1, 4) ? 0 :
					fz_now() + fz_below(r, 5000000);
			if (!s[i]->call)
				s[i]->expect = FZ_E(EINVAL);
			break;
		case 2:		/* unknown flags */
			s[i]->cmd.flags = 1U << (2 + fz_below(r, 30));
			s[i]->expect = FZ_E(EINVAL);
			break;
		case 3:		/* a payload that faults */
			s[i]->cmd.data = (__u64)(uintptr_t)p->guard;
			s[i]->cmd.data_len |= 1;
			s[i]->expect |= FZ_E(EFAULT);
			break;
		case 4:		/* notification bits, done at once */
			if (s[i]->call)
				break;
			memset(&s[i]->cmd, 0, sizeof(s[i]->cmd));
			s[i]->cmd.op = FASTIPC_CMD_SIGNAL;
			s[i]->cmd.handle = fz_handle_pick(t, &valid);
			s[i]->cmd.arg = fz_next(r) | 1;
			s[i]->expect = FZ_E(EPIPE) | FZ_E(ENOENT) |
				       FZ_E(EPERM);
			break;
		}
		fz_uring_prep(io_uring_get_sqe(&ring), p->fd, op, &s[i]->cmd,
			      s[i]->call ? &s[i]->ret : NULL, s[i]);
	}
	if (!n) {
		io_uring_queue_exit(&ring);
		return;
	}
	fz_timer_arm(t, 500);
	err = io_uring_submit(&ring);
	if (err < 0)
		fz_result(FZ_SITE_URING, -err, FZ_E(EINTR) | FZ_E(ENOMEM),
			  "io_uring_submit");
	/*
	 * Cancel some calls by the ID the submission wrote: by ioctl, or by
	 * an SQE of the ring (a slot of its own, completed at once).
	 */
	m = n;
	for (i = 0; i < n; i++) {
		if (!s[i]->call || !s[i]->ret.txn_id || !fz_chance(r, 1, 3))
			continue;
		if (fz_chance(r, 1, 2)) {
			memset(&cancel, 0, sizeof(cancel));
			cancel.txn_id = s[i]->ret.txn_id;
			err = ioctl(p->fd, FASTIPC_IOC_CANCEL, &cancel) ?
			      errno : 0;
			fz_result(FZ_SITE_URING, err, FZ_E(0) | FZ_E(ENOENT),
				  "CANCEL");
			continue;
		}
		s[m] = calloc(1, sizeof(*s[m]));
		if (!s[m])
			continue;
		s[m]->expect = FZ_E(ENOENT);
		fz_uring_prep(io_uring_get_sqe(&ring), p->fd,
			      FASTIPC_URING_CANCEL,
			      (const void *)(uintptr_t)s[i]->ret.txn_id, NULL,
			      s[m]);
		m++;
	}
	if (m > n) {
		err = io_uring_submit(&ring);
		if (err < 0)
			fz_result(FZ_SITE_URING, -err,
				  FZ_E(EINTR) | FZ_E(ENOMEM), "io_uring_submit");
		n = m;
	}
	ts.tv_sec = 0;
	ts.tv_nsec = (long long)fz_below(r, 5) * 1000000;
	while (reaped < n && !io_uring_wait_cqe_timeout(&ring, &cqe, &ts)) {
		struct fz_uslot *u = io_uring_cqe_get_data(cqe);

		fz_uring_check(t, u, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
		reaped++;
	}
	fz_timer_disarm(t);
	/* Whatever is still in flight goes with the ring. */
	io_uring_queue_exit(&ring);
	for (i = 0; i < n; i++)
		if (s[i]->done)
			free(s[i]);
}
