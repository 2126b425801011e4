// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: the REPLY(0) probes.  REPLY with transaction ID 0 answers
 * the latest call the thread received and has not answered: not one of an
 * exited thread that happened to live at the same address (spec item 9),
 * and not one whose REPLY failed and that the kernel moved to the end of
 * the pending list (spec item 10).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "worker.h"

/* ---- REPLY(0): whose transaction is "the latest"? ------------------------------ */

/* A caller thread for the reply probes: its own peer, one call. */
struct fz_caller {
	struct fz_thread *t;
	int efd;		/* the node to call, exported */
	int own;		/* call from a peer of its own (small area) */
	int fd;			/* else from this peer */
	__u32 h;
	__u64 code;
	int err;
	struct fastipc_ret r;
	unsigned int got;
	int started;
};

static void *fz_caller_main(void *arg)
{
	struct fz_caller *c = arg;
	struct fz_scratch own = { .fd = -1 };
	struct fastipc_cmd cmd;
	struct fastipc_handle_fd hf;
	int fd = c->fd;
	__u32 h = c->h;

	if (c->own) {
		c->err = -fz_scratch_open(&own, 4096);
		if (c->err)
			goto out;
		memset(&hf, 0, sizeof(hf));
		hf.fd = c->efd;
		if (ioctl(own.fd, FASTIPC_IOC_HANDLE_IMPORT, &hf)) {
			c->err = errno;
			goto out;
		}
		fd = own.fd;
		h = hf.handle;
	}
	fz_scmd(&cmd, FASTIPC_CMD_CALL, h, c->code);
	cmd.flags = FASTIPC_TXN_DEADLINE;
	cmd.arg = fz_now() + fz_limit_ms(1500) * 1000000ULL;
	c->started = 1;
	c->err = fz_swr(c->t, fd, &cmd, 1, &c->r, 1, 0, &c->got);
	while (!c->err && c->got == 1 && c->r.op == FASTIPC_RET_SPAWN_LOOPER)
		c->err = fz_swr(c->t, fd, NULL, 0, &c->r, 1, 0, &c->got);
out:
	c->started = 1;
	fz_scratch_close(&own);
	return NULL;
}

/* Read (non-blocking, a few tries) until a call with @code arrives. */
static __u64 fz_wait_call(struct fz_thread *t, int fd, __u64 code)
{
	struct fastipc_ret r[4];
	unsigned int got, i, loops;

	for (loops = 0; loops < fz_limit_ms(1000) / 2; loops++) {
		if (fz_swr(t, fd, NULL, 0, r, 1, FASTIPC_WR_NONBLOCK, &got) ||
		    !got) {
			usleep(2000);
			continue;
		}
		for (i = 0; i < got; i++)
			if (r[i].op == FASTIPC_RET_TRANSACTION &&
			    r[i].code == code)
				return r[i].txn_id;
	}
	return 0;
}

static bool fz_join(pthread_t th, unsigned int sec)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += fz_limit_ms(sec * 1000) / 1000;
	if (!pthread_timedjoin_np(th, NULL, &ts))
		return true;
	fz_finding(FZ_F_STUCK, "a probe's caller thread did not finish in %llu s",
		   (unsigned long long)fz_limit_ms(sec * 1000) / 1000);
	pthread_detach(th);
	return false;
}

/*
 * Spec 9: a thread that left (LOOPER_EXIT) serves nothing; its next
 * WRITE_READ makes it a new thread, whose REPLY(0) must be EPROTO even if
 * the kernel reuses the old one's memory.
 */
void fz_probe_reply0_exit(struct fz_thread *t, struct fz_scratch *s)
{
	struct fz_caller *c = calloc(1, sizeof(*c));
	struct fastipc_cmd cmd;
	bool wrong = false;
	pthread_t th;
	__u64 id;
	int err;

	if (!c || fz_node(s->fd, 0, 11, &c->h)) {
		free(c);
		return;
	}
	c->t = t;
	c->fd = s->fd;
	c->code = 0x11;
	if (pthread_create(&th, NULL, fz_caller_main, c)) {
		free(c);
		return;
	}
	id = fz_wait_call(t, s->fd, 0x11);
	if (id) {
		fz_scmd(&cmd, FASTIPC_CMD_LOOPER_EXIT, 0, 0);
		fz_swr(t, s->fd, &cmd, 1, NULL, 0, 0, NULL);
		usleep(60000);	/* an RCU grace period: the memory is free */
		fz_scmd(&cmd, FASTIPC_CMD_REPLY, 0, 0x22);
		err = fz_swr(t, s->fd, &cmd, 1, NULL, 0, 0, NULL);
		if (err != EPROTO) {
			wrong = true;
			fz_probe_fail(t, "reply0-exit",
				      "REPLY(0) after LOOPER_EXIT: %s (spec 9: it answered the exited thread's call %llu)",
				      err ? strerror(err) : "success",
				      (unsigned long long)id);
		}
		fz_scmd(&cmd, FASTIPC_CMD_REPLY, 0, 0x33);
		cmd.txn_id = id;
		fz_swr(t, s->fd, &cmd, 1, NULL, 0, 0, NULL);
	}
	if (!fz_join(th, 5))
		return;		/* still running: c stays allocated */
	if (!id)
		fz_probe_fail(t, "reply0-exit", "the call never arrived (%s)",
			      strerror(c->err));
	else if (!wrong && c->got == 1 && c->r.op == FASTIPC_RET_REPLY &&
		 c->r.code != 0x33)
		fz_probe_fail(t, "reply0-exit", "the caller got answer %#llx, want 0x33",
			      (unsigned long long)c->r.code);
	free(c);
}

/*
 * Spec 10: a REPLY that fails (ENOSPC: the caller's area is too small)
 * leaves its transaction where it was; REPLY(0) still answers the latest
 * call this thread received.
 */
void fz_probe_reply0_enospc(struct fz_thread *t, struct fz_scratch *s)
{
	struct fz_caller *c = calloc(2, sizeof(*c));
	struct fastipc_handle_fd hf;
	struct fastipc_cmd cmd;
	pthread_t th[2];
	unsigned int i, started = 0;
	__u64 id[2] = { 0, 0 };
	__u32 h;
	int err;

	if (!c || fz_node(s->fd, 0, 12, &h))
		goto out;
	memset(&hf, 0, sizeof(hf));
	hf.handle = h;
	if (ioctl(s->fd, FASTIPC_IOC_HANDLE_EXPORT, &hf))
		goto out;
	for (i = 0; i < 2; i++) {
		c[i].t = t;
		c[i].own = 1;
		c[i].efd = hf.fd;
		c[i].code = 1 + i;
		if (pthread_create(&th[i], NULL, fz_caller_main, &c[i]))
			break;
		started++;
		id[i] = fz_wait_call(t, s->fd, 1 + i);
		if (!id[i])
			break;
	}
	if (id[0] && id[1]) {
		fz_pattern_ensure(t->p, 8192);
		fz_scmd(&cmd, FASTIPC_CMD_REPLY, 0, 0x99);
		cmd.txn_id = id[0];
		cmd.data = (__u64)(uintptr_t)t->p->pat;
		cmd.data_len = 8192;	/* the caller's area is 4096 */
		err = fz_swr(t, s->fd, &cmd, 1, NULL, 0, 0, NULL);
		if (err != ENOSPC)
			fz_probe_fail(t, "reply0-enospc",
				      "a reply larger than the caller's area: %s",
				      err ? strerror(err) : "success");
		fz_scmd(&cmd, FASTIPC_CMD_REPLY, 0, 2);
		fz_swr(t, s->fd, &cmd, 1, NULL, 0, 0, NULL);
		fz_scmd(&cmd, FASTIPC_CMD_REPLY, 0, 1);
		cmd.txn_id = id[0];
		fz_swr(t, s->fd, &cmd, 1, NULL, 0, 0, NULL);
	}
	for (i = 0; i < started; i++)
		if (!fz_join(th[i], 5)) {
			close(hf.fd);
			return;		/* still used: c stays allocated */
		}
	if (!id[0] || !id[1]) {
		fz_probe_fail(t, "reply0-enospc", "the calls never arrived");
	} else {
		for (i = 0; i < 2; i++)
			if (c[i].got != 1 || c[i].r.op != FASTIPC_RET_REPLY ||
			    c[i].r.code != 1 + i)
				fz_probe_fail(t, "reply0-enospc",
					      "caller %u got op %u code %llu, want REPLY %u (spec 10: the failed REPLY moved call 1 to the latest place)",
					      i + 1, c[i].got ? c[i].r.op : 0,
					      (unsigned long long)c[i].r.code,
					      i + 1);
	}
	close(hf.fd);
out:
	free(c);
}
