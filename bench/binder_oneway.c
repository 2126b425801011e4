// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench: binder's asynchronous pattern, one-way + reply, with raw
 * ioctls.  Binder has no asynchronous call; what comes closest is a client
 * that sends one-way transactions (TF_ONE_WAY) to a server, which answers
 * each with a one-way transaction back to a node of the client.
 *
 * Set-up: the client enters the looper (so that it reads work for its
 * node), passes its node to the server in a synchronous transaction
 * (OW_CODE_NODE, one flat_binder_object), acknowledges the references
 * binder asks it to take on that node (BR_INCREFS, BR_ACQUIRE), takes a
 * reference on handle 0 and asks for the server's death notice, so that
 * a server that dies (on a bad request) fails the run instead of hanging
 * it.  The server takes references of its own
 * on the handle it got (BC_INCREFS, BC_ACQUIRE) before it frees the
 * transaction that carried it.
 *
 * What binder allows, and so what this does:
 *  - One-way transactions to one node are delivered one at a time: the
 *    next only once the previous one's buffer is freed.  The server
 *    therefore writes its answer before BC_FREE_BUFFER of the request, in
 *    one ioctl, so answers reach the client in the order of the requests:
 *    the client checks each against the oldest call it has in flight.
 *  - A read returns at most one transaction, and none while the thread's
 *    own BR_TRANSACTION_COMPLETEs wait to be read: every ioctl that sends
 *    one-way transactions comes back with those only.  The client reads
 *    one answer per ioctl (freeing the previous answer in the same
 *    ioctl) and refills its window in one more ioctl whenever at most
 *    half of it is in flight (with N = 1: none), which is the fewest
 *    ioctls binder leaves room for: 1 + 2/N per call at best.
 *
 * Every ioctl is counted (bb_wr()).  The server counts its own per call
 * into struct srv_stats, like bb_serve().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/android/binder.h>

#include "bench.h"
#include "binder.h"
#include "fipc.h"

#define OW_CODE_NODE	0x6e6f6465	/* carries the client's node */
#define OW_COOKIE	0xb1dec0deULL	/* the client node's cookie */
#define OW_DEATH	0xdeadULL	/* cookie of the death notice */

/* The server: the handle of the client's node, once it came. */
static uint32_t ow_back;
static bool ow_have_back;

/*
 * Acknowledge what binder asks of a node's owner (BR_INCREFS and
 * BR_ACQUIRE: the same binder_ptr_cookie back with *_DONE); releases need
 * no answer.  Return: true when @cmd was one of these.
 */
static bool ow_node_ref(struct bb_wbuf *w, uint32_t cmd, const void *arg)
{
	switch (cmd) {
	case BR_INCREFS:
		bb_put(w, BC_INCREFS_DONE, arg, sizeof(struct binder_ptr_cookie));
		return true;
	case BR_ACQUIRE:
		bb_put(w, BC_ACQUIRE_DONE, arg, sizeof(struct binder_ptr_cookie));
		return true;
	case BR_RELEASE:
	case BR_DECREFS:
		return true;
	}
	return false;
}

/* Records that carry nothing for us. */
static bool ow_noise(uint32_t cmd)
{
	return cmd == BR_NOOP || cmd == BR_SPAWN_LOOPER ||
	       cmd == BR_TRANSACTION_COMPLETE;
}

/*
 * The next record of @n bytes read into @rbuf at *@off: its command and
 * argument.  Return: false at the end, or on a record that overruns.
 */
static bool ow_next(const void *rbuf, size_t n, size_t *off, uint32_t *cmd,
		    const unsigned char **arg)
{
	const unsigned char *b = rbuf;

	if (*off + 4 > n)
		return false;
	memcpy(cmd, b + *off, 4);
	if (*off + 4 + _IOC_SIZE(*cmd) > n)
		return false;
	*arg = b + *off + 4;
	*off += 4 + _IOC_SIZE(*cmd);
	return true;
}

/*
 * One server thread.  Return: 0 after the quit transaction (a batch
 * header with count 0), -EBADMSG on a bad request, or -errno.
 */
static int ow_serve(struct bb_peer *p, struct srv_stats *st)
{
	struct binder_transaction_data tr;
	struct flat_binder_object fbo;
	unsigned char wb[512];
	struct bb_wbuf w = BB_WBUF(wb);
	const unsigned char *arg;
	uint64_t rbuf[64], mark, seq;
	const void *data;
	bool prev_rt = false;
	size_t off;
	uint32_t cmd;
	int n;

	bb_put(&w, BC_ENTER_LOOPER, NULL, 0);
	mark = p->ioctls;
	for (;;) {
		n = bb_wr(p, &w, rbuf, sizeof(rbuf));
		if (n < 0)
			return n;
		for (off = 0; ow_next(rbuf, (size_t)n, &off, &cmd, &arg);) {
			if (ow_noise(cmd) || ow_node_ref(&w, cmd, arg))
				continue;
			if (cmd == BR_FAILED_REPLY)
				return -ENOSPC;	/* an answer was refused */
			if (cmd != BR_TRANSACTION)
				return -EPROTO;
			memcpy(&tr, arg, sizeof(tr));
			if (prev_rt)
				__atomic_fetch_add(&st->syscalls,
						   p->ioctls - mark,
						   __ATOMIC_RELAXED);
			mark = p->ioctls;
			prev_rt = false;
			data = (const void *)(uintptr_t)tr.data.ptr.buffer;
			switch (tr.code) {
			case FB_CODE_RT:
				seq = msg_seq(data, tr.data_size);
				if (!(tr.flags & TF_ONE_WAY) ||
				    !__atomic_load_n(&ow_have_back,
						     __ATOMIC_ACQUIRE))
					return -EPROTO;
				if (!msg_check(data, tr.data_size, seq, false)) {
					__atomic_fetch_add(&st->bad, 1,
							   __ATOMIC_RELAXED);
					fprintf(stderr,
						"binder server: bad request seq %llu len %llu\n",
						(unsigned long long)seq,
						(unsigned long long)tr.data_size);
					return -EBADMSG;
				}
				/* The answer first: see the top of the file. */
				bb_put_txn(&w, BC_TRANSACTION, ow_back, TF_ONE_WAY,
					   FB_CODE_RT,
					   msg_prepare(tr.data_size, seq, true),
					   tr.data_size);
				bb_put_free(&w, tr.data.ptr.buffer);
				__atomic_fetch_add(&st->rts, 1, __ATOMIC_RELAXED);
				prev_rt = true;
				break;
			case OW_CODE_NODE:
				if (tr.data_size != sizeof(fbo) ||
				    tr.offsets_size != sizeof(binder_size_t))
					return -EPROTO;
				memcpy(&fbo, data, sizeof(fbo));
				if (fbo.hdr.type != BINDER_TYPE_HANDLE)
					return -EPROTO;
				/* Ours before the transaction's go with it. */
				bb_put(&w, BC_INCREFS, &fbo.handle, 4);
				bb_put(&w, BC_ACQUIRE, &fbo.handle, 4);
				ow_back = fbo.handle;
				__atomic_store_n(&ow_have_back, true,
						 __ATOMIC_RELEASE);
				bb_put_free(&w, tr.data.ptr.buffer);
				bb_put_txn(&w, BC_REPLY, 0, 0, tr.code, NULL, 0);
				break;
			case FB_CODE_BATCH:	/* quit */
				bb_put_free(&w, tr.data.ptr.buffer);
				bb_put_txn(&w, BC_REPLY, 0, 0, tr.code, NULL, 0);
				n = bb_wr(p, &w, NULL, 0);
				return n < 0 ? n : 0;
			default:
				return -EPROTO;
			}
		}
		if (off != (size_t)n)
			return -EPROTO;
	}
}

struct ow_thread {
	struct bb_peer p;
	struct srv_stats *st;
};

static void *ow_thread_main(void *arg)
{
	struct ow_thread *t = arg;
	int ret;

	if (msg_init(4096))
		_exit(2);
	ret = ow_serve(&t->p, t->st);
	if (ret)
		fprintf(stderr, "binder one-way server: %s\n", strerror(-ret));
	_exit(ret == -EBADMSG ? 3 : ret ? 2 : 0);
	return NULL;
}

/**
 * bb_ow_spawn() - fork the one-way server: binder's context manager with
 * @threads looper threads, each with its own ioctl counter.
 * @threads: 1 to 16.
 * @st: shared counters.
 *
 * The server exits 0 after the quit transaction, 3 on a bad request, 2 on
 * any other failure.  Return: its pid, or -errno.
 */
pid_t bb_ow_spawn(int threads, struct srv_stats *st)
{
	static struct ow_thread t[16];
	int sync[2], i;
	pthread_t thr;
	pid_t pid;
	char ch;

	if (threads < 1 || threads > 16 || pipe(sync))
		return -EINVAL;
	pid = fork_child();
	if (pid < 0)
		return -errno;
	if (!pid) {
		close(sync[0]);
		if (bb_open(&t[0].p))
			_exit(2);
		/* A previous manager's teardown may still be running. */
		for (i = 0; bb_become_ctx_mgr(&t[0].p); i++)
			if (i > 300 || usleep(10000))
				_exit(2);
		for (i = 0; i < threads; i++) {
			t[i].p = t[0].p;
			t[i].st = st;
		}
		for (i = 1; i < threads; i++)
			if (pthread_create(&thr, NULL, ow_thread_main, &t[i]))
				_exit(2);
		if (write(sync[1], "r", 1) != 1)
			_exit(2);
		ow_thread_main(&t[0]);
	}
	close(sync[1]);
	i = (int)read(sync[0], &ch, 1);
	close(sync[0]);
	if (i != 1) {
		reap(pid);
		return -ENODEV;
	}
	return pid;
}

/*
 * Read until BR_REPLY, acknowledging node references on the way; the
 * reply's buffer is left in @c->p.pending.  Return: 0 or -errno.
 */
static int ow_wait_reply(struct bb_ow_client *c, struct bb_wbuf *w)
{
	struct binder_transaction_data tr;
	const unsigned char *arg;
	uint64_t rbuf[64];
	size_t off;
	uint32_t cmd;
	int n;

	for (;;) {
		n = bb_wr(&c->p, w, rbuf, sizeof(rbuf));
		if (n < 0)
			return n;
		for (off = 0; ow_next(rbuf, (size_t)n, &off, &cmd, &arg);) {
			if (ow_noise(cmd) || ow_node_ref(w, cmd, arg))
				continue;
			if (cmd != BR_REPLY)
				return cmd == BR_DEAD_REPLY ? -EPIPE : -EPROTO;
			memcpy(&tr, arg, sizeof(tr));
			c->p.pending = tr.data.ptr.buffer;
			return 0;
		}
	}
}

/**
 * bb_ow_connect() - open binder as the one-way client of the server
 * bb_ow_spawn() started: enter the looper, hand the server our node, ask
 * for its death notice.
 * @c: the client.
 *
 * Return: 0 or -errno.
 */
int bb_ow_connect(struct bb_ow_client *c)
{
	struct flat_binder_object fbo;
	struct binder_handle_cookie hc;
	binder_size_t offsets[1] = { 0 };
	struct binder_transaction_data tr;
	struct bb_wbuf w = BB_WBUF(c->wb);
	int ret;

	memset(c->wb, 0, sizeof(c->wb));
	ret = bb_open(&c->p);
	if (ret)
		return ret;
	memset(&fbo, 0, sizeof(fbo));
	fbo.hdr.type = BINDER_TYPE_BINDER;
	fbo.binder = (binder_uintptr_t)(uintptr_t)c;
	fbo.cookie = OW_COOKIE;
	memset(&tr, 0, sizeof(tr));
	tr.target.handle = 0;
	tr.code = OW_CODE_NODE;
	tr.data_size = sizeof(fbo);
	tr.offsets_size = sizeof(offsets);
	tr.data.ptr.buffer = (binder_uintptr_t)(uintptr_t)&fbo;
	tr.data.ptr.offsets = (binder_uintptr_t)(uintptr_t)offsets;
	bb_put(&w, BC_ENTER_LOOPER, NULL, 0);
	bb_put(&w, BC_TRANSACTION, &tr, sizeof(tr));
	ret = ow_wait_reply(c, &w);
	if (ret)
		return ret;
	/*
	 * A death notice needs a reference of ours on handle 0: messages to
	 * the context manager alone do not make one.
	 */
	hc.handle = 0;
	hc.cookie = OW_DEATH;
	bb_put(&w, BC_INCREFS, &hc.handle, 4);
	bb_put(&w, BC_REQUEST_DEATH_NOTIFICATION, &hc, sizeof(hc));
	ret = bb_wr(&c->p, &w, NULL, 0);
	return ret < 0 ? ret : 0;
}

/**
 * bb_ow_run() - keep up to @n one-way calls in flight until @end_ns
 * (CLOCK_MONOTONIC), then reap what is still in flight.
 * @c: the client.
 * @n: calls in flight, 1 to BB_OW_MAXN.
 * @end_ns: when to stop sending.
 * @seq: sequence number of the first call; the calls are @seq, @seq + 1...
 * @calls: out: calls answered.
 *
 * Every answer must be the reply (full check) to the oldest call in
 * flight.  Return: 0, -EBADMSG on a wrong answer, -EPIPE when the
 * server died, or -errno.
 */
int bb_ow_run(struct bb_ow_client *c, unsigned int n, uint64_t end_ns,
	      uint64_t seq, uint64_t *calls)
{
	struct bb_wbuf w = BB_WBUF(c->wb);
	struct binder_transaction_data tr;
	uint64_t next = seq, due = seq, rbuf[256];
	const unsigned char *arg;
	unsigned int inflight = 0;
	bool sending = true, refill;
	unsigned char *req;
	size_t off;
	uint32_t cmd;
	int got;

	*calls = 0;
	for (;;) {
		refill = false;
		if (sending && inflight <= n / 2) {
			sending = now_ns() < end_ns;
			refill = sending;
		}
		if (!inflight && !refill)
			break;
		/* The last answer's buffer is freed by the next run. */
		if (c->p.pending)
			bb_put_free(&w, c->p.pending);
		c->p.pending = 0;
		while (refill && inflight < n) {
			/* Binder copies it when this ioctl writes it. */
			req = c->req[next % n];
			memcpy(req, msg_prepare(BB_OW_MSG, next, false),
			       BB_OW_MSG);
			bb_put_txn(&w, BC_TRANSACTION, 0, TF_ONE_WAY,
				   FB_CODE_RT, req, BB_OW_MSG);
			next++;
			inflight++;
		}
		got = bb_wr(&c->p, &w, rbuf, sizeof(rbuf));
		if (got < 0)
			return got;
		for (off = 0; ow_next(rbuf, (size_t)got, &off, &cmd, &arg);) {
			if (ow_noise(cmd) || ow_node_ref(&w, cmd, arg))
				continue;
			if (cmd == BR_DEAD_BINDER || cmd == BR_DEAD_REPLY)
				return -EPIPE;
			if (cmd == BR_FAILED_REPLY)
				return -ENOSPC;	/* a one-way was refused */
			if (cmd != BR_TRANSACTION)
				return -EPROTO;
			memcpy(&tr, arg, sizeof(tr));
			if (c->p.pending)	/* never two in one read */
				return -EPROTO;
			c->p.pending = tr.data.ptr.buffer;
			if (!inflight || tr.code != FB_CODE_RT ||
			    !(tr.flags & TF_ONE_WAY) ||
			    tr.target.ptr != (uintptr_t)c ||
			    tr.cookie != OW_COOKIE ||
			    tr.data_size != BB_OW_MSG ||
			    !msg_check((const void *)(uintptr_t)tr.data.ptr.buffer,
				       BB_OW_MSG, due, true))
				return -EBADMSG;
			due++;
			inflight--;
			(*calls)++;
		}
		if (off != (size_t)got)
			return -EPROTO;
	}
	/* Acknowledgements of node references still to write, if any. */
	got = w.n ? bb_wr(&c->p, &w, NULL, 0) : 0;
	return got < 0 ? got : 0;
}

/* Tell the server to exit (a synchronous call); close the client. */
int bb_ow_quit(struct bb_ow_client *c)
{
	struct fb_batch b = { 0 };
	const void *r;
	size_t rlen;
	int ret;

	ret = bb_call(&c->p, FB_CODE_BATCH, &b, sizeof(b), &r, &rlen);
	bb_close(&c->p);
	return ret;
}
