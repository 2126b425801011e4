// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench: the fastipc server loop and client call, shared by every
 * sub-command.
 *
 * A looper thread answers each call with one WRITE_READ that frees the
 * request's buffer (when it has one), replies, and waits for the next
 * call.  Requests are checked byte for byte against the pattern their
 * own sequence number selects; the client checks that the reply answers
 * exactly the request it sent.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "fipc.h"

static void spin(uint64_t n)
{
	volatile uint64_t x = 0;

	while (n--)
		x += n;
}

/*
 * fb_serve() - serve calls on @p until a batch header with count 0.
 * @p: the server's peer, area mapped, node created.
 * @st: counters for the client (round trips, ioctls, bad payloads).
 * @verify: check request payloads.
 *
 * Return: 0, -EBADMSG on a bad payload, or -errno.
 */
int fb_serve(struct fb_peer *p, struct srv_stats *st, bool verify)
{
	struct fastipc_cmd c[2];
	struct fastipc_ret r;
	struct fb_batch b;
	unsigned int n = 0;
	uint64_t mark, seq, expect = 0;
	bool prev_rt = false, quit = false;
	const void *data;
	int ret;

	if (fb_looper_enter(p))
		return -errno;
	mark = p->ioctls;
	for (;;) {
		ret = fb_transact(p, c, n, &r);
		if (ret)
			return ret;
		if (prev_rt)
			__atomic_fetch_add(&st->syscalls, p->ioctls - mark,
					   __ATOMIC_RELAXED);
		mark = p->ioctls;
		n = 0;
		prev_rt = false;
		if (r.op != FASTIPC_RET_TRANSACTION)
			return -EPROTO;
		data = fb_payload(p, &r);
		if (!data)
			return -EFAULT;
		switch (r.code) {
		case FB_CODE_RT:
			seq = msg_seq(data, r.data_len);
			if (expect && seq != expect++)
				seq = 0;	/* not the one due: fails below */
			if (verify && !msg_check(data, r.data_len, seq, false)) {
				__atomic_fetch_add(&st->bad, 1,
						   __ATOMIC_RELAXED);
				fprintf(stderr,
					"fastipc server: bad request seq %llu len %llu\n",
					(unsigned long long)seq,
					(unsigned long long)r.data_len);
				return -EBADMSG;
			}
			if (fb_has_buffer(&r))
				c[n++] = fb_cmd_free(r.offset);
			c[n++] = fb_cmd(FASTIPC_CMD_REPLY, 0, FB_CODE_RT,
					msg_prepare(r.data_len, seq, true),
					r.data_len);
			__atomic_fetch_add(&st->rts, 1, __ATOMIC_RELAXED);
			prev_rt = true;
			break;
		case FB_CODE_WORK:
		case FB_CODE_BATCH:
			if (r.data_len != sizeof(b))
				return -EPROTO;
			memcpy(&b, data, sizeof(b));
			if (fb_has_buffer(&r))
				c[n++] = fb_cmd_free(r.offset);
			if (r.code == FB_CODE_WORK)
				spin(b.count);
			else if (!b.count)
				quit = true;
			else
				expect = b.first;
			if (r.code == FB_CODE_BATCH)
				msg_stamps_only(b.stamps_first,
						b.stamps_count);
			c[n++] = fb_cmd(FASTIPC_CMD_REPLY, 0, r.code, NULL, 0);
			break;
		default:
			return -EPROTO;
		}
		if (quit)
			return fb_wr(p, c, n, NULL, 0) < 0 ? -errno : 0;
	}
}

/**
 * fb_client_call() - one call: FREE of the previous reply (if any) and
 * CALL in one WRITE_READ that waits for the answer.
 * @c: the client.
 * @code: FB_CODE_*.
 * @data: payload.
 * @len: its size.
 * @r: out: the reply record.
 *
 * Return: 0, -EPROTO when the answer is not a REPLY, or -errno.
 */
int fb_client_call(struct fb_client *c, uint64_t code, const void *data,
		   size_t len, struct fastipc_ret *r)
{
	struct fastipc_cmd cmd[2];
	unsigned int n = 0;
	int ret;

	if (c->has_pending)
		cmd[n++] = fb_cmd_free(c->pending);
	cmd[n++] = fb_cmd(FASTIPC_CMD_CALL, c->handle, code, data, len);
	ret = fb_transact(&c->peer, cmd, n, r);
	if (ret)
		return ret;
	c->has_pending = false;
	if (r->op != FASTIPC_RET_REPLY)
		return -EPROTO;
	if (fb_has_buffer(r)) {
		c->pending = r->offset;
		c->has_pending = true;
	}
	return 0;
}

/* A checked round trip of @len bytes.  Return: 0, -EBADMSG or -errno. */
int fb_client_rt(struct fb_client *c, size_t len, uint64_t seq)
{
	struct fastipc_ret r;
	const void *data;
	int ret;

	ret = fb_client_call(c, FB_CODE_RT, msg_prepare(len, seq, false), len,
			     &r);
	if (ret)
		return ret;
	data = fb_payload(&c->peer, &r);
	if (!data || r.data_len != len || !msg_check(data, len, seq, true))
		return -EBADMSG;
	return 0;
}

/* Tell the server behind @c to stop (a batch header with count 0). */
int fb_client_quit(struct fb_client *c)
{
	struct fb_batch b = { 0 };
	struct fastipc_ret r;

	return fb_client_call(c, FB_CODE_BATCH, &b, sizeof(b), &r);
}

/*
 * Open a client peer with an area of @area bytes; with @efd >= 0 import
 * the exported node as its handle, else call handle 0 (context manager).
 */
int fb_client_open(struct fb_client *c, size_t area, int efd)
{
	int ret;

	memset(c, 0, sizeof(*c));
	ret = fb_open(&c->peer, fb_area_size(area));
	if (!ret && efd >= 0)
		ret = fb_import(&c->peer, efd, &c->handle);
	return ret;
}

struct fb_srv_thread {
	struct fb_peer *p;
	struct srv_stats *st;
	size_t max;
};

static void *fb_srv_thread(void *arg)
{
	struct fb_srv_thread *t = arg;

	if (msg_init(t->max) || fb_serve(t->p, t->st, true))
		_exit(3);
	_exit(0);
	return NULL;
}

/**
 * fb_spawn_server() - fork a fastipc server process.
 * @area: its receive area (and largest payload).
 * @node_flags: FASTIPC_NODE_* flags of its node.
 * @ctx_mgr: make the node the context manager (retried while EBUSY: the
 *	previous manager's teardown may still run).
 * @threads: looper threads (1 to 16), each with its own ioctl counter.
 * @st: shared counters.
 * @efd: out: an exported fd of the node, for the caller to import.
 *
 * The server exits (status 0) when a thread receives a zero batch
 * header, 3 on a bad payload, 2 on any other failure.
 * Return: the server's pid, or -errno.
 */
pid_t fb_spawn_server(size_t area, uint32_t node_flags, bool ctx_mgr,
		      int threads, struct srv_stats *st, int *efd)
{
	int sv[2], i, fd;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	pid = fork_child();
	if (pid < 0)
		return -errno;
	if (!pid) {
		/* A peer copy each: the ioctl counts must not mix. */
		static struct fb_srv_thread t[16];
		static struct fb_peer tp[16];
		struct fb_peer p;
		pthread_t thr;
		uint32_t node = 0;

		close(sv[0]);
		if (threads < 1 || threads > 16 ||
		    fb_open(&p, fb_area_size(area)) ||
		    fb_node_create(&p, node_flags, 0xfa57, &node))
			_exit(2);
		for (i = 0; ctx_mgr && fb_set_ctx_mgr(&p, node); i++) {
			struct timespec ts = { 0, 10000000 };

			if (errno != EBUSY || i > 300)
				_exit(2);
			nanosleep(&ts, NULL);
		}
		fd = fb_export(&p, node);
		if (fd < 0 || send_fd(sv[1], fd))
			_exit(2);
		close(fd);
		close(sv[1]);
		for (i = 0; i < threads; i++) {
			tp[i] = p;
			t[i].p = &tp[i];
			t[i].st = st;
			t[i].max = area;
		}
		for (i = 1; i < threads; i++)
			if (pthread_create(&thr, NULL, fb_srv_thread, &t[i]))
				_exit(2);
		fb_srv_thread(&t[0]);
	}
	close(sv[1]);
	*efd = recv_fd(sv[0]);
	close(sv[0]);
	if (*efd < 0) {
		reap(pid);
		return -ENODEV;
	}
	return pid;
}
