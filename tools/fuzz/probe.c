// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: probes, small deterministic scenarios on private peers
 * (opened by the probing thread, used by nobody else) whose outcome the
 * ABI fixes exactly.  A probe that fails is a finding.  They run between
 * the random operations, so the kernel state around them is anything but
 * quiet.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "worker.h"

void fz_probe_fail(struct fz_thread *t, const char *probe,
		   const char *fmt, ...)
{
	struct pollfd pfd = { .fd = t->probe_fd, .events = POLLIN };
	char buf[160];
	va_list ap;

	/*
	 * A sibling's unshare/clone thread exit may have killed our private
	 * peer (the old module's flush): then the probe proves nothing.
	 */
	if (t->probe_fd >= 0 && poll(&pfd, 1, 0) > 0 && pfd.revents & POLLHUP &&
	    t->p->dead_cause & (FZ_DEAD_UNSHARE | FZ_DEAD_CLONE)) {
		fz_info(FZ_I_PROBE_VOID);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fz_finding(FZ_F_ORACLE, "probe %s (slot %d.%d #%llu): %s", probe,
		   t->p->slot, t->slot, (unsigned long long)t->idx, buf);
}

int fz_scratch_open(struct fz_scratch *s, size_t size)
{
	s->fd = open(FZ_DEV, O_RDWR | O_CLOEXEC);
	s->area = NULL;
	s->size = 0;
	if (s->fd < 0)
		return -errno;
	s->area = mmap(NULL, size, PROT_READ, MAP_SHARED, s->fd, 0);
	if (s->area == MAP_FAILED) {
		int err = -errno;

		close(s->fd);
		s->area = NULL;
		return err;
	}
	s->size = size;
	return 0;
}

void fz_scratch_close(struct fz_scratch *s)
{
	if (s->area)
		munmap(s->area, s->size);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->area = NULL;
}

int fz_node(int fd, __u32 flags, __u64 cookie, __u32 *h)
{
	struct fastipc_node_create nc;

	memset(&nc, 0, sizeof(nc));
	nc.flags = flags;
	nc.cookie = cookie;
	*h = 0;
	if (ioctl(fd, FASTIPC_IOC_NODE_CREATE, &nc))
		return errno;
	*h = nc.handle;
	return 0;
}

/* One WRITE_READ on a scratch peer, restarted after EINTR. */
int fz_swr(struct fz_thread *t, int fd, struct fastipc_cmd *c,
	   unsigned int n, void *rets, unsigned int nr, __u32 flags,
	   unsigned int *got)
{
	struct fastipc_write_read wr;
	__u64 until = fz_now() + fz_limit_ms(3000) * 1000000ULL;
	int ret;

	memset(&wr, 0, sizeof(wr));
	wr.flags = flags;
	wr.write_buffer = (__u64)(uintptr_t)c;
	wr.write_size = n * FZ_CMD_SIZE;
	wr.read_buffer = (__u64)(uintptr_t)rets;
	wr.read_size = nr * FZ_RET_SIZE;
	do {
		fz_timer_arm(t, 2000);
		ret = ioctl(fd, FASTIPC_IOC_WRITE_READ, &wr);
		fz_timer_disarm(t);
	} while (ret < 0 && errno == EINTR && fz_now() < until);
	if (got)
		*got = wr.read_consumed / FZ_RET_SIZE;
	return ret < 0 ? errno : 0;
}

void fz_scmd(struct fastipc_cmd *c, __u32 op, __u32 h, __u64 code)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->handle = h;
	c->code = code;
}

/*
 * Spec 7: a record whose copy to the read buffer faults is not lost.
 * Three one-ways to three nodes, read into a buffer whose second slot is
 * unmapped, then into a good one: each arrives exactly once.
 */
static void fz_probe_fault(struct fz_thread *t, struct fz_scratch *s)
{
	struct fastipc_cmd c[3];
	struct fastipc_ret r[8];
	unsigned int seen[4] = { 0 }, got, i, loops;
	__u32 h[3];
	int err;

	for (i = 0; i < 3; i++)
		if (fz_node(s->fd, 0, 100 + i, &h[i]))
			return;
	for (i = 0; i < 3; i++) {
		fz_scmd(&c[i], FASTIPC_CMD_SEND, h[i], 1 + i);
		c[i].data = (__u64)(uintptr_t)"abc";
		c[i].data_len = 3;
	}
	err = fz_swr(t, s->fd, c, 3, NULL, 0, 0, NULL);
	if (err) {
		fz_probe_fail(t, "fault", "three SENDs: %s", strerror(err));
		return;
	}
	err = fz_swr(t, s->fd, NULL, 0, t->faulty + 4096 - FZ_RET_SIZE, 2,
		     FASTIPC_WR_NONBLOCK, &got);
	if (!err && got == 1) {
		const struct fastipc_ret *fr = (const void *)(t->faulty +
							      4096 - FZ_RET_SIZE);

		if (fr->op == FASTIPC_RET_TRANSACTION && fr->code >= 1 &&
		    fr->code <= 3)
			seen[fr->code]++;
	} else if (err != EFAULT) {
		fz_probe_fail(t, "fault", "faulting read: %s, %u records",
			      strerror(err), got);
	}
	for (loops = 0; loops < 6; loops++) {
		err = fz_swr(t, s->fd, NULL, 0, r, 8, FASTIPC_WR_NONBLOCK, &got);
		if (err)
			break;
		for (i = 0; i < got; i++)
			if (r[i].op == FASTIPC_RET_TRANSACTION && r[i].code >= 1 &&
			    r[i].code <= 3)
				seen[r[i].code]++;
	}
	if (err != EAGAIN)
		fz_probe_fail(t, "fault", "draining read: %s", strerror(err));
	if (seen[1] != 1 || seen[2] != 1 || seen[3] != 1)
		fz_probe_fail(t, "fault",
			      "one-ways seen %u %u %u times after a read whose second slot faults (spec 7: a record is lost)",
			      seen[1], seen[2], seen[3]);
}

/*
 * fds in messages: a fastipc fd (ours, or an exported handle) is refused
 * with EINVAL; a pipe arrives as a new fd on the same pipe.
 */
static void fz_probe_fds(struct fz_thread *t, struct fz_scratch *s)
{
	struct fastipc_cmd c;
	struct fastipc_ret r[2];
	struct fastipc_handle_fd hf;
	struct stat a, b;
	unsigned int got, i;
	__u32 h;
	int err, fd;

	if (fz_node(s->fd, FASTIPC_NODE_ACCEPT_FDS, 7, &h))
		return;
	memset(&hf, 0, sizeof(hf));
	hf.handle = h;
	if (ioctl(s->fd, FASTIPC_IOC_HANDLE_EXPORT, &hf))
		return;
	for (i = 0; i < 3; i++) {
		fz_scmd(&c, FASTIPC_CMD_SEND, h, 1);
		t->fbuf[0] = i == 0 ? s->fd : i == 1 ? hf.fd : t->p->fd;
		c.fds = (__u64)(uintptr_t)t->fbuf;
		c.n_fds = 1;
		err = fz_swr(t, s->fd, &c, 1, NULL, 0, 0, NULL);
		if (err != EINVAL)
			fz_probe_fail(t, "fds", "a %s fd in a message: %s",
				      i == 0 ? "fastipc (own)" : i == 1 ?
				      "exported handle" : "fastipc (other)",
				      err ? strerror(err) : "accepted");
	}
	close(hf.fd);
	fz_scmd(&c, FASTIPC_CMD_SEND, h, 2);
	t->fbuf[0] = t->p->pipe[1];
	c.fds = (__u64)(uintptr_t)t->fbuf;
	c.n_fds = 1;
	err = fz_swr(t, s->fd, &c, 1, NULL, 0, 0, NULL);
	if (err) {
		fz_probe_fail(t, "fds", "a pipe in a message: %s", strerror(err));
		return;
	}
	err = fz_swr(t, s->fd, NULL, 0, r, 2, FASTIPC_WR_NONBLOCK, &got);
	if (err || got != 1 || r[0].op != FASTIPC_RET_TRANSACTION ||
	    r[0].n_fds != 1 || r[0].flags & FASTIPC_RET_INLINE) {
		fz_probe_fail(t, "fds", "reading it: %s, %u records, op %u n_fds %u",
			      strerror(err), got, got ? r[0].op : 0,
			      got ? r[0].n_fds : 0);
		return;
	}
	fd = *(const __s32 *)((const char *)s->area + r[0].offset);
	if (fd < 0 || fstat(fd, &a) || fstat(t->p->pipe[1], &b) ||
	    a.st_ino != b.st_ino)
		fz_probe_fail(t, "fds", "the fd received (%d) is not the pipe sent",
			      fd);
	if (fd >= 0)
		close(fd);
	fz_scmd(&c, FASTIPC_CMD_FREE, 0, 0);
	c.arg = r[0].offset;
	err = fz_swr(t, s->fd, &c, 1, NULL, 0, 0, NULL);
	if (err)
		fz_probe_fail(t, "fds", "FREE: %s", strerror(err));
}

/*
 * Deadlines: a call to our own node that nobody serves ends with
 * FAILED_REPLY ETIMEDOUT, at once for a deadline of 0, after it for one
 * 30 ms ahead; our later answer to it is dropped and succeeds.
 */
static void fz_probe_deadline(struct fz_thread *t, struct fz_scratch *s)
{
	struct fastipc_cmd c;
	struct fastipc_ret r[4];
	unsigned int got, i, round;
	__u64 start, took;
	__u32 h;
	int err;

	if (fz_node(s->fd, 0, 9, &h))
		return;
	for (round = 0; round < 2; round++) {
		fz_scmd(&c, FASTIPC_CMD_CALL, h, round);
		c.flags = FASTIPC_TXN_DEADLINE;
		start = fz_now();
		c.arg = round ? start + 30000000ULL : 0;
		err = fz_swr(t, s->fd, &c, 1, r, 1, 0, &got);
		took = fz_now() - start;
		if (err || got != 1 || r[0].op != FASTIPC_RET_FAILED_REPLY ||
		    r[0].code != ETIMEDOUT ||
		    r[0].reason != FASTIPC_REASON_TIMED_OUT) {
			fz_probe_fail(t, "deadline",
				      "deadline %s: %s, %u records, op %u code %llu reason %u",
				      round ? "+30 ms" : "0",
				      strerror(err), got, got ? r[0].op : 0,
				      got ? (unsigned long long)r[0].code : 0,
				      got ? r[0].reason : 0);
			return;
		}
		if (round && took < 25000000ULL)
			fz_probe_fail(t, "deadline", "a 30 ms deadline ended after %llu us",
				      (unsigned long long)took / 1000);
	}
	/* Both calls wait in our queue: serve them, the answers vanish. */
	err = fz_swr(t, s->fd, NULL, 0, r, 4, FASTIPC_WR_NONBLOCK, &got);
	for (i = 0; !err && i < got; i++) {
		if (r[i].op != FASTIPC_RET_TRANSACTION)
			continue;
		fz_scmd(&c, FASTIPC_CMD_REPLY, 0, 1);
		c.txn_id = r[i].txn_id;
		err = fz_swr(t, s->fd, &c, 1, NULL, 0, 0, NULL);
		if (err)
			fz_probe_fail(t, "deadline", "REPLY to a timed-out call: %s",
				      strerror(err));
	}
}

/*
 * Handles: numbers start at 1, lowest free first; references count;
 * REPLY(0) with nothing served is EPROTO; REPLY_ERROR 0 is EINVAL.
 */
static void fz_probe_handles(struct fz_thread *t, struct fz_scratch *s)
{
	struct fastipc_cmd c[4];
	__u32 h1, h2, h3;
	int err;

	if (fz_node(s->fd, 0, 1, &h1) || fz_node(s->fd, 0, 2, &h2))
		return;
	if (h1 != 1 || h2 != 2)
		fz_probe_fail(t, "handles", "first handles of a new peer: %u %u",
			      h1, h2);
	fz_scmd(&c[0], FASTIPC_CMD_ACQUIRE, h1, 0);
	fz_scmd(&c[1], FASTIPC_CMD_RELEASE, h1, 0);
	fz_scmd(&c[2], FASTIPC_CMD_RELEASE, h1, 0);
	err = fz_swr(t, s->fd, c, 3, NULL, 0, 0, NULL);
	if (err)
		fz_probe_fail(t, "handles", "ACQUIRE, RELEASE x2: %s",
			      strerror(err));
	err = fz_swr(t, s->fd, &c[2], 1, NULL, 0, 0, NULL);
	if (err != ENOENT)
		fz_probe_fail(t, "handles", "RELEASE of a released handle: %s",
			      err ? strerror(err) : "success");
	if (fz_node(s->fd, 0, 3, &h3) || h3 != 1)
		fz_probe_fail(t, "handles", "lowest free number: got %u, want 1",
			      h3);
	fz_scmd(&c[0], FASTIPC_CMD_REPLY, 0, 0);
	err = fz_swr(t, s->fd, c, 1, NULL, 0, 0, NULL);
	if (err != EPROTO)
		fz_probe_fail(t, "handles", "REPLY(0) serving nothing: %s",
			      err ? strerror(err) : "success");
	fz_scmd(&c[0], FASTIPC_CMD_REPLY_ERROR, 0, 0);
	err = fz_swr(t, s->fd, c, 1, NULL, 0, 0, NULL);
	if (err != EINVAL)
		fz_probe_fail(t, "handles", "REPLY_ERROR with errno 0: %s",
			      err ? strerror(err) : "success");
}

/*
 * Death: R's node, watched from S; R goes away: S reads DEAD_NODE with the
 * cookie once; a later request on the dead node is answered at once;
 * CLEAR_DEATH after delivery succeeds once.
 */
static void fz_probe_death(struct fz_thread *t, struct fz_scratch *s)
{
	struct fz_scratch rr;
	struct fastipc_handle_fd hf;
	struct fastipc_cmd c;
	struct fastipc_ret r[4];
	unsigned int got, i, dead = 0, loops;
	__u32 hn, h;
	int err;

	if (fz_scratch_open(&rr, 4096))
		return;
	if (fz_node(rr.fd, 0, 5, &hn))
		goto out;
	memset(&hf, 0, sizeof(hf));
	hf.handle = hn;
	if (ioctl(rr.fd, FASTIPC_IOC_HANDLE_EXPORT, &hf))
		goto out;
	hf.handle = 0;
	err = ioctl(s->fd, FASTIPC_IOC_HANDLE_IMPORT, &hf) ? errno : 0;
	close(hf.fd);
	if (err)
		goto out;
	h = hf.handle;
	fz_scmd(&c, FASTIPC_CMD_REQUEST_DEATH, h, 0);
	c.arg = 0xd1e;
	err = fz_swr(t, s->fd, &c, 1, NULL, 0, 0, NULL);
	if (err) {
		fz_probe_fail(t, "death", "REQUEST_DEATH: %s", strerror(err));
		goto out;
	}
	fz_scratch_close(&rr);
	for (loops = 0; loops < 50 && !dead; loops++) {
		err = fz_swr(t, s->fd, NULL, 0, r, 4, FASTIPC_WR_NONBLOCK, &got);
		if (err == EAGAIN) {
			usleep(2000);
			continue;
		}
		for (i = 0; !err && i < got; i++)
			if (r[i].op == FASTIPC_RET_DEAD_NODE &&
			    r[i].cookie == 0xd1e)
				dead++;
	}
	err = fz_swr(t, s->fd, NULL, 0, r, 4, FASTIPC_WR_NONBLOCK, &got);
	if (dead != 1 || err != EAGAIN)
		fz_probe_fail(t, "death", "DEAD_NODE seen %u times, then %s", dead,
			      err ? strerror(err) : "more records");
	fz_scmd(&c, FASTIPC_CMD_CLEAR_DEATH, h, 0);
	c.arg = 0xd1e;
	err = fz_swr(t, s->fd, &c, 1, NULL, 0, 0, NULL);
	if (err)
		fz_probe_fail(t, "death", "CLEAR_DEATH after delivery: %s",
			      strerror(err));
	err = fz_swr(t, s->fd, &c, 1, NULL, 0, 0, NULL);
	if (err != ENOENT)
		fz_probe_fail(t, "death", "CLEAR_DEATH twice: %s",
			      err ? strerror(err) : "success");
	/* Asking again on a dead node: the notice comes at once. */
	fz_scmd(&c, FASTIPC_CMD_REQUEST_DEATH, h, 0);
	c.arg = 0xd2e;
	err = fz_swr(t, s->fd, &c, 1, r, 4, FASTIPC_WR_NONBLOCK, &got);
	if (err || got != 1 || r[0].op != FASTIPC_RET_DEAD_NODE ||
	    r[0].cookie != 0xd2e)
		fz_probe_fail(t, "death", "REQUEST_DEATH on a dead node: %s, %u records",
			      strerror(err), got);
out:
	fz_scratch_close(&rr);
}

void fz_op_probe(struct fz_thread *t)
{
	struct fz_scratch s;
	sigset_t set, old;

	if (fz_scratch_open(&s, fz_chance(&t->r, 1, 2) ? 4096 : 65536))
		return;
	t->probe_fd = s.fd;
	/* Floods of SIGUSR1 would only make the probes retry. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	switch (fz_below(&t->r, 10)) {
	case 0:
		fz_probe_fault(t, &s);
		break;
	case 5:
		fz_probe_reply0_exit(t, &s);
		break;
	case 6:
		fz_probe_reply0_enospc(t, &s);
		break;
	case 7:
		fz_probe_munmap(t, &s);
		break;
	case 8:
		fz_probe_close(t, &s);
		break;
	case 9:
		fz_probe_oneway(t, &s);
		break;
	case 1:
		fz_probe_fds(t, &s);
		break;
	case 2:
		fz_probe_deadline(t, &s);
		break;
	case 3:
		fz_probe_handles(t, &s);
		break;
	default:
		fz_probe_death(t, &s);
	}
	fz_scratch_close(&s);
	t->probe_fd = -1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}
