// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench inflight: 64-byte calls per second from one client thread
 * keeping N calls in flight through io_uring (N = 1, 8, 64 by default),
 * against N client threads making synchronous calls, to the same server
 * (one process, -s looper threads answering at once), in the same run.
 * Also io_uring_enter per call on the ring side (an upper bound: every
 * io_uring_submit_and_wait() counted as one).
 *
 *   fastipc-bench inflight [-t SECONDS] [-s SERVER_THREADS] [N...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <liburing.h>

#include "bench.h"
#include "fipc.h"

#define MSG	64
#define MAXN	256

static struct fb_peer srv, cli;
static uint32_t node, handle;
static volatile int stop;

/* A server thread: answer every call with its payload, at once. */
static void *srv_main(void *arg)
{
	struct fastipc_cmd c;
	struct fastipc_ret r;
	unsigned int n = 0;

	for (;;) {
		if (fb_wr(&srv, n ? &c : NULL, n, &r, 1) != 1)
			return NULL;
		n = 0;
		if (r.op != FASTIPC_RET_TRANSACTION)
			continue;
		c = fb_cmd(FASTIPC_CMD_REPLY, 0, r.code, r.inline_data,
			   r.data_len);
		c.txn_id = r.txn_id;
		n = 1;
		if (r.code == 0) {	/* quit: answer, then leave */
			fb_wr(&srv, &c, 1, NULL, 0);
			return NULL;
		}
	}
}

struct sync_client {
	uint64_t calls;
	int fail;
};

static void *sync_main(void *arg)
{
	struct sync_client *sc = arg;
	unsigned char buf[MSG];
	struct fastipc_cmd c;
	struct fastipc_ret r;

	memset(buf, 0x5a, sizeof(buf));
	while (!stop) {
		c = fb_cmd(FASTIPC_CMD_CALL, handle, 1, buf, sizeof(buf));
		if (fb_transact(&cli, &c, 1, &r) || r.op != FASTIPC_RET_REPLY ||
		    r.data_len != MSG || memcmp(r.inline_data, buf, MSG)) {
			sc->fail = 1;
			return NULL;
		}
		sc->calls++;
	}
	return NULL;
}

/* N synchronous client threads for @secs: calls per second. */
static double run_sync(int n, double secs)
{
	static struct sync_client sc[MAXN];
	pthread_t t[MAXN];
	uint64_t t0, total = 0;
	int i;

	stop = 0;
	memset(sc, 0, sizeof(sc));
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, sync_main, &sc[i]))
			return -1;
	usleep((useconds_t)(secs * 1e6));
	stop = 1;
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		if (sc[i].fail)
			return -1;
		total += sc[i].calls;
	}
	return total / ((now_ns() - t0) / 1e9);
}

struct slot {
	struct fastipc_cmd cmd;
	struct fastipc_ret ret;
};

static void prep(struct io_uring *ring, struct slot *s, const void *buf)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct fastipc_uring_cmd uc;

	s->cmd = fb_cmd(FASTIPC_CMD_CALL, handle, 1, buf, MSG);
	uc.cmd = fb_ptr(&s->cmd);
	uc.ret = fb_ptr(&s->ret);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, cli.fd, NULL, 0, 0);
	sqe->cmd_op = FASTIPC_URING_CMD;
	sqe->__pad1 = 0;
	sqe->uring_cmd_flags = 0;
	memcpy(sqe->cmd, &uc, sizeof(uc));
	io_uring_sqe_set_data(sqe, s);
}

/* One thread, @n calls in flight through a ring for @secs. */
static double run_ring(int n, double secs, double *enters_per_call)
{
	static struct slot slots[MAXN];
	unsigned char buf[MSG];
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	uint64_t t0, end, calls = 0, enters = 0;
	int i, inflight = 0;
	struct slot *s;

	memset(buf, 0x5a, sizeof(buf));
	if (io_uring_queue_init(2 * MAXN, &ring, 0))
		return -1;
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	for (i = 0; i < n; i++, inflight++)
		prep(&ring, &slots[i], buf);
	while (inflight) {
		if (io_uring_submit_and_wait(&ring, 1) < 0)
			return -1;
		enters++;
		while (!io_uring_peek_cqe(&ring, &cqe)) {
			s = io_uring_cqe_get_data(cqe);
			if (cqe->res != FASTIPC_RET_REPLY ||
			    s->ret.data_len != MSG ||
			    memcmp(s->ret.inline_data, buf, MSG))
				return -1;
			io_uring_cqe_seen(&ring, cqe);
			inflight--;
			calls++;
			if (now_ns() < end) {
				prep(&ring, s, buf);
				inflight++;
			}
		}
	}
	*enters_per_call = (double)enters / calls;
	io_uring_queue_exit(&ring);
	return calls / ((now_ns() - t0) / 1e9);
}

int cmd_inflight(int argc, char **argv)
{
	int ns[16] = { 1, 8, 64 }, nn = 3, threads = 2, i, opt;
	double secs = 2, ring, sync, epc;
	struct fastipc_cmd quit;
	struct fastipc_ret r;
	pthread_t st[16];
	int efd;

	while ((opt = getopt(argc, argv, "t:s:")) != -1) {
		if (opt == 't')
			secs = atof(optarg);
		else if (opt == 's')
			threads = atoi(optarg);
		else
			return 2;
	}
	if (optind < argc)
		nn = 0;
	for (; optind < argc && nn < 16; optind++)
		ns[nn++] = atoi(argv[optind]);
	if (threads < 1 || threads > 16)
		return 2;
	for (i = 0; i < nn; i++)
		if (ns[i] < 1 || ns[i] > MAXN)
			return 2;
	if (fb_open(&srv, 1 << 20) || fb_open(&cli, 1 << 20) ||
	    fb_node_create(&srv, 0, 1, &node))
		return 1;
	efd = fb_export(&srv, node);
	if (efd < 0 || fb_import(&cli, efd, &handle))
		return 1;
	close(efd);
	for (i = 0; i < threads; i++)
		if (pthread_create(&st[i], NULL, srv_main, NULL))
			return 1;
	printf("# inflight: %d-byte calls, %d server threads, %.1f s each\n",
	       MSG, threads, secs);
	for (i = 0; i < nn; i++) {
		ring = run_ring(ns[i], secs, &epc);
		sync = run_sync(ns[i], secs);
		if (ring < 0 || sync < 0) {
			fprintf(stderr, "inflight: a call failed\n");
			return 1;
		}
		printf("inflight N=%d ring %.0f calls/s (%.3f io_uring_enter/call) sync-threads %.0f calls/s ratio %.2f\n",
		       ns[i], ring, epc, sync, ring / sync);
	}
	quit = fb_cmd(FASTIPC_CMD_CALL, handle, 0, NULL, 0);
	for (i = 0; i < threads; i++)
		fb_transact(&cli, &quit, 1, &r);
	for (i = 0; i < threads; i++)
		pthread_join(st[i], NULL);
	fb_close(&cli);
	fb_close(&srv);
	return 0;
}
