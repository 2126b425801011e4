// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench: fastipc.  "fastipc": the server is the context manager
 * (handle 0) and both sides map a 4 MiB receive area, as binder's client
 * and server do here.  "fastipc-16m": a second server reached through an
 * exported and imported handle, 16 MiB areas, so 16 MiB payloads fit (and
 * the cost of a bigger area shows).
 *
 * A round trip is one WRITE_READ on each side: the client's carries the
 * FREE of the previous reply (when it had a buffer) and the CALL, and
 * waits for the reply; the server's carries the FREE of the request, the
 * REPLY, and waits for the next call.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "fipc.h"

struct fb_mech {
	struct fb_peer peer;
	size_t area;		/* area size of both sides */
	bool ctx_mgr;		/* server reached as handle 0 */
	uint32_t handle;	/* the client's handle to the server's node */
	uint64_t pending;	/* offset of the last reply's buffer */
	bool has_pending;
};

static int fastipc_setup(struct mech *m, size_t max)
{
	struct fb_mech *f = m->priv;
	int sync[2], ret, efd;

	if (max > f->area)
		max = f->area;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync))
		return -errno;
	m->pid = fork_child();
	if (m->pid < 0)
		return -errno;
	if (!m->pid) {
		struct fb_peer p;
		uint32_t node = 0;
		int i;

		close(sync[0]);
		if (msg_init(max) || fb_open(&p, fb_area_size(f->area)) ||
		    fb_node_create(&p, 0, 0xfa57, &node))
			_exit(2);
		/* A previous manager's teardown may still be running. */
		for (i = 0; f->ctx_mgr && fb_set_ctx_mgr(&p, node); i++)
			if (errno != EBUSY || i > 300 || usleep(10000))
				_exit(2);
		efd = fb_export(&p, node);
		if (efd < 0 || send_fd(sync[1], efd))
			_exit(2);
		close(efd);
		close(sync[1]);
		ret = fb_serve(&p, m->srv, true);
		if (ret)
			fprintf(stderr, "fastipc server: %s\n", strerror(-ret));
		_exit(ret == -EBADMSG ? 3 : ret ? 2 : 0);
	}
	close(sync[1]);
	efd = recv_fd(sync[0]);
	close(sync[0]);
	if (efd < 0)
		return -ENODEV;
	ret = fb_open(&f->peer, fb_area_size(f->area));
	if (!ret && !f->ctx_mgr)
		ret = fb_import(&f->peer, efd, &f->handle);
	close(efd);
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
	c[n++] = fb_cmd(FASTIPC_CMD_CALL, f->handle, code, data, len);
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

static int fastipc_batch(struct mech *m, size_t len, uint64_t count,
			 uint64_t first)
{
	struct fb_batch b;
	struct fastipc_ret r;

	msg_batch(&b, len, count, first);
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
	int ret = fastipc_batch(m, 0, 0, 0);

	if (ret)
		kill(m->pid, SIGKILL);
	fb_close(&f->peer);
	return reap(m->pid);
}

static void fastipc_init(struct mech *m, const char *name, size_t area,
			 bool ctx_mgr)
{
	struct fb_mech *f = calloc(1, sizeof(*f));

	if (!f)
		die("out of memory");
	f->area = area;
	f->ctx_mgr = ctx_mgr;
	m->priv = f;
	m->name = name;
	m->setup = fastipc_setup;
	m->batch = fastipc_batch;
	m->rt = fastipc_rt;
	m->finish = fastipc_finish;
}

void mech_fastipc_init(struct mech *m)
{
	fastipc_init(m, "fastipc", 4 * MIB, true);
}

void mech_fastipc_16m_init(struct mech *m)
{
	fastipc_init(m, "fastipc-16m", 16 * MIB, false);
}
