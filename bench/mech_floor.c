// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench: the floor, bench/floor/fastipc_floor.ko.  Two opens of
 * /dev/fastipc_floor make a channel with one preallocated kernel slot per
 * end.  A round trip is one FLOOR_IOC_XCHG per side: the client's copies
 * the request into the server's slot, wakes the server and waits for the
 * reply; the server's copies the reply into the client's slot and waits
 * for the next request.  Each side checks the message in a private buffer
 * it was copied out to.  This is what one ioctl per side costs at the least
 * on this kernel: every other mechanism is reported relative to it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"
#include "fipc.h"
#include "floor/fastipc_floor.h"

struct floor {
	int fd;			/* client's end */
	size_t max;
	void *rbuf;
};

/*
 * One exchange: send @slen bytes of @sbuf (NULL: nothing), then receive
 * into @rbuf (NULL: do not wait).  Return the length received or -errno.
 */
static long floor_xchg(int fd, const void *sbuf, size_t slen, void *rbuf,
		       size_t rlen)
{
	struct floor_xchg x = {
		.send_buf = (uintptr_t)sbuf, .send_len = slen,
		.recv_buf = (uintptr_t)rbuf, .recv_len = rlen,
	};
	long n;

	/* A restarted call only waits: the module remembers what it sent. */
	do {
		n = ioctl(fd, FLOOR_IOC_XCHG, &x);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static void floor_serve(int fd, size_t max, struct srv_stats *st)
{
	struct fb_batch b;
	void *rbuf;
	uint64_t i, seq;
	long n;

	rbuf = malloc(max);
	if (!rbuf || msg_init(max))
		_exit(2);
	n = floor_xchg(fd, NULL, 0, rbuf, max);	/* the first batch header */
	for (;;) {
		if (n != sizeof(b))
			_exit(2);
		memcpy(&b, rbuf, sizeof(b));
		msg_stamps_only(b.stamps_first, b.stamps_count);
		if (!b.count) {
			floor_xchg(fd, &b, sizeof(b), NULL, 0);
			_exit(0);
		}
		/* Echo the header, wait for the first request. */
		n = floor_xchg(fd, &b, sizeof(b), rbuf, max);
		for (i = 0; i < b.count; i++) {
			if (n != (long)b.len)
				_exit(2);
			seq = msg_seq(rbuf, b.len);
			if (b.first && seq != b.first + i)
				seq = 0;	/* not the one due: fails below */
			if (!msg_check(rbuf, b.len, seq, false)) {
				st->bad++;
				fprintf(stderr, "floor server: bad request seq %llu len %llu\n",
					(unsigned long long)seq,
					(unsigned long long)b.len);
				_exit(3);
			}
			/*
			 * Reply, wait for the next request (or header).
			 * Counted first: the call returns only with the
			 * next message, after the client read the counters.
			 */
			st->syscalls++;
			st->rts++;
			n = floor_xchg(fd, msg_prepare(b.len, seq, true), b.len,
				       rbuf, max);
		}
	}
}

static int floor_setup(struct mech *m, size_t max)
{
	struct floor *f = m->priv;
	int sfd;

	if (max > FLOOR_MSG_MAX)
		max = FLOOR_MSG_MAX;
	f->rbuf = malloc(max);
	if (!f->rbuf)
		return -ENOMEM;
	/* Two opens in a row are the two ends of one channel. */
	f->fd = open(FLOOR_DEV, O_RDWR | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	sfd = open(FLOOR_DEV, O_RDWR | O_CLOEXEC);
	if (sfd < 0) {
		close(f->fd);
		return -errno;
	}
	m->pid = fork_child();
	if (m->pid < 0)
		return -errno;
	if (!m->pid) {
		close(f->fd);
		floor_serve(sfd, max, m->srv);
		_exit(0);
	}
	close(sfd);
	f->max = max;
	m->max_size = max;
	return 0;
}

static int floor_batch(struct mech *m, size_t len, uint64_t count,
		       uint64_t first)
{
	struct floor *f = m->priv;
	struct fb_batch b, e;
	long n;

	msg_batch(&b, len, count, first);
	n = floor_xchg(f->fd, &b, sizeof(b), &e, sizeof(e));
	if (n < 0)
		return (int)n;
	return n != sizeof(e) || memcmp(&b, &e, sizeof(b)) ? -EPROTO : 0;
}

static int floor_rt(struct mech *m, size_t len, uint64_t seq)
{
	struct floor *f = m->priv;
	long n;

	n = floor_xchg(f->fd, msg_prepare(len, seq, false), len, f->rbuf,
		       f->max);
	if (n < 0)
		return (int)n;
	m->syscalls++;
	if (n != (long)len)
		return -EBADMSG;
	return msg_check(f->rbuf, len, seq, true) ? 0 : -EBADMSG;
}

static int floor_finish(struct mech *m)
{
	struct floor *f = m->priv;

	if (floor_batch(m, 0, 0, 0))
		kill(m->pid, SIGKILL);
	close(f->fd);
	return reap(m->pid);
}

void mech_floor_init(struct mech *m)
{
	struct floor *f = calloc(1, sizeof(*f));

	if (!f)
		die("out of memory");
	m->name = "floor";
	m->priv = f;
	m->setup = floor_setup;
	m->batch = floor_batch;
	m->rt = floor_rt;
	m->finish = floor_finish;
}
