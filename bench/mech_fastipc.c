// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench: fastipc.  The server is the context manager (handle 0);
 * a round trip is one WRITE_READ on each side: the client's carries the
 * FREE of the previous reply (when it had a buffer) and the CALL, and
 * waits for the reply; the server's carries the FREE of the request, the
 * REPLY, and waits for the next call.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "fipc.h"

struct fb_mech {
	struct fb_peer peer;
	uint64_t pending;	/* offset of the last reply's buffer */
	bool has_pending;
};

static int fastipc_setup(struct mech *m, size_t max)
{
	struct fb_mech *f = calloc(1, sizeof(*f));
	int sync[2], ret;
	char c;

	if (!f || pipe(sync))
		return -ENOMEM;
	m->priv = f;
	m->pid = fork();
	if (m->pid < 0)
		return -errno;
	if (!m->pid) {
		struct fb_peer p;
		uint32_t node = 0;

		close(sync[0]);
		if (msg_init(max) || fb_open(&p, fb_area_size(max)) ||
		    fb_node_create(&p, 0, 0xfa57, &node) ||
		    fb_set_ctx_mgr(&p, node))
			_exit(2);
		if (write(sync[1], "r", 1) != 1)
			_exit(2);
		close(sync[1]);
		ret = fb_serve(&p, m->srv, true);
		if (ret)
			fprintf(stderr, "fastipc server: %s\n", strerror(-ret));
		_exit(ret == -EBADMSG ? 3 : ret ? 2 : 0);
	}
	close(sync[1]);
	ret = read(sync[0], &c, 1);
	close(sync[0]);
	if (ret != 1)
		return -ENODEV;
	ret = fb_open(&f->peer, fb_area_size(max));
	if (ret)
		return ret;
	m->max_size = max;
	return 0;
}

/* A call; the reply record lands in @r.  Frees the previous reply. */
static int fastipc_call(struct fb_mech *f, uint64_t code, const void *data,
			size_t len, struct fastipc_ret *r)
{
	struct fastipc_cmd c[2];
	unsigned int n = 0;
	int ret;

	if (f->has_pending)
		c[n++] = fb_cmd_free(f->pending);
	c[n++] = fb_cmd(FASTIPC_CMD_CALL, 0, code, data, len);
	ret = fb_transact(&f->peer, c, n, r);
	if (ret)
		return ret;
	f->has_pending = false;
	if (r->op != FASTIPC_RET_REPLY)
		return -EPROTO;
	if (fb_has_buffer(r)) {
		f->pending = r->offset;
		f->has_pending = true;
	}
	return 0;
}

static int fastipc_batch(struct mech *m, size_t len, uint64_t count)
{
	struct fb_batch b = { len, count, 0 };
	struct fastipc_ret r;

	return fastipc_call(m->priv, FB_CODE_BATCH, &b, sizeof(b), &r);
}

static int fastipc_rt(struct mech *m, size_t len, uint64_t seq)
{
	struct fb_mech *f = m->priv;
	struct fastipc_ret r;
	const void *data;
	uint64_t before = f->peer.ioctls;
	int ret;

	ret = fastipc_call(f, FB_CODE_RT, msg_prepare(len, seq, false), len,
			   &r);
	m->syscalls += f->peer.ioctls - before;
	if (ret)
		return ret;
	data = fb_payload(&f->peer, &r);
	if (!data || r.data_len != len || !msg_check(data, len, seq, true))
		return -EBADMSG;
	return 0;
}

static int fastipc_finish(struct mech *m)
{
	struct fb_mech *f = m->priv;
	int ret = fastipc_batch(m, 0, 0);

	if (ret)
		kill(m->pid, SIGKILL);
	fb_close(&f->peer);
	return reap(m->pid);
}

void mech_fastipc_init(struct mech *m)
{
	m->name = "fastipc";
	m->setup = fastipc_setup;
	m->batch = fastipc_batch;
	m->rt = fastipc_rt;
	m->finish = fastipc_finish;
}
