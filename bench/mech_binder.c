// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench: Android binder as a mechanism (see binder.c).  Binder
 * maps at most 4 MiB, so payloads stop at 1 MiB.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "binder.h"
#include "fipc.h"

static int binder_setup(struct mech *m, size_t max)
{
	struct bb_peer *p = calloc(1, sizeof(*p));
	int sync[2], ret;
	char c;

	if (!p || pipe(sync))
		return -ENOMEM;
	if (access(BB_DEV, F_OK))
		return -ENODEV;
	m->priv = p;
	if (max > MIB)
		max = MIB;
	m->pid = fork_child();
	if (m->pid < 0)
		return -errno;
	if (!m->pid) {
		struct bb_peer s;
		int i;

		close(sync[0]);
		if (msg_init(max) || bb_open(&s))
			_exit(2);
		/* A previous manager's teardown may still be running. */
		for (i = 0; bb_become_ctx_mgr(&s); i++)
			if (errno != EBUSY || i > 300 || usleep(10000))
				_exit(2);
		if (write(sync[1], "r", 1) != 1)
			_exit(2);
		close(sync[1]);
		ret = bb_serve(&s, m->srv, true);
		if (ret)
			fprintf(stderr, "binder server: %s\n", strerror(-ret));
		_exit(ret == -EBADMSG ? 3 : ret ? 2 : 0);
	}
	close(sync[1]);
	ret = read(sync[0], &c, 1);
	close(sync[0]);
	if (ret != 1) {
		reap(m->pid);
		return -ENODEV;
	}
	ret = bb_open(p);
	if (ret)
		return ret;
	m->max_size = max;
	return 0;
}

static int binder_batch(struct mech *m, size_t len, uint64_t count,
			uint64_t first)
{
	struct fb_batch b;
	const void *r;
	size_t rlen;

	msg_batch(&b, len, count, first);
	return bb_call(m->priv, FB_CODE_BATCH, &b, sizeof(b), &r, &rlen);
}

static int binder_rt(struct mech *m, size_t len, uint64_t seq)
{
	struct bb_peer *p = m->priv;
	uint64_t before = p->ioctls;
	const void *r;
	size_t rlen;
	int ret;

	ret = bb_call(p, FB_CODE_RT, msg_prepare(len, seq, false), len, &r,
		      &rlen);
	m->syscalls += p->ioctls - before;
	if (ret)
		return ret;
	if (rlen != len || !msg_check(r, len, seq, true))
		return -EBADMSG;
	return 0;
}

static int binder_finish(struct mech *m)
{
	struct bb_peer *p = m->priv;

	if (binder_batch(m, 0, 0, 0))
		kill(m->pid, SIGKILL);
	bb_close(p);
	return reap(m->pid);
}

void mech_binder_init(struct mech *m)
{
	m->name = "binder";
	m->setup = binder_setup;
	m->batch = binder_batch;
	m->rt = binder_rt;
	m->finish = binder_finish;
}
