// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench scale: aggregate 64-byte round trips per second of 1, 2
 * and 4 client processes against one server process with 1 or 2 looper
 * threads, fastipc and binder, on all vCPUs (no pinning).
 *
 * Each configuration runs for a fixed wall-clock time; every client
 * counts its own checked round trips and its own elapsed time.  Rounds
 * repeat all configurations (fastipc and binder alternate) and the median
 * over rounds is printed, with the ratio to the same mechanism's
 * 1 client x 1 thread figure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "binder.h"
#include "fipc.h"

#define MAXC	4

struct client_res {
	volatile uint64_t rts;
	volatile uint64_t ns;
	volatile int status;
};

struct bb_srv_thread {
	struct bb_peer *p;
	struct srv_stats *st;
};

static void *bb_thread(void *arg)
{
	struct bb_srv_thread *t = arg;

	if (msg_init(4096) || bb_serve(t->p, t->st, true))
		_exit(3);
	_exit(0);
	return NULL;
}

/* A binder context-manager server with @threads loopers. */
static pid_t bb_spawn_server(int threads, struct srv_stats *st)
{
	int sync[2], i;
	char ch;
	pid_t pid;

	if (pipe(sync))
		return -errno;
	pid = fork_child();
	if (pid < 0)
		return -errno;
	if (!pid) {
		static struct bb_srv_thread t;
		static struct bb_peer p;
		pthread_t thr;

		close(sync[0]);
		if (bb_open(&p))
			_exit(2);
		for (i = 0; bb_become_ctx_mgr(&p); i++) {
			if (i > 300)
				_exit(2);
			usleep(10000);
		}
		t.p = &p;
		t.st = st;
		for (i = 1; i < threads; i++)
			if (pthread_create(&thr, NULL, bb_thread, &t))
				_exit(2);
		if (write(sync[1], "r", 1) != 1)
			_exit(2);
		bb_thread(&t);
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

/* One client process: round trips until @ms elapsed. */
static void client_run(bool binder, int go, unsigned int ms,
		       struct client_res *res, unsigned int id)
{
	uint64_t seq = (uint64_t)id << 40, n = 0, t0, end;
	struct fb_client fc;
	struct bb_peer bp;
	char ch;
	int ret;

	if (msg_init(4096))
		_exit(2);
	if (binder ? bb_open(&bp) : fb_client_open(&fc, 65536, -1))
		_exit(2);
	if (read(go, &ch, 1) != 1)
		_exit(2);
	t0 = now_ns();
	end = t0 + (uint64_t)ms * 1000000;
	do {
		if (binder) {
			const void *r;
			size_t rlen;

			ret = bb_call(&bp, FB_CODE_RT,
				      msg_prepare(64, seq, false), 64, &r,
				      &rlen);
			if (!ret && (rlen != 64 || !msg_check(r, 64, seq, true)))
				ret = -EBADMSG;
		} else {
			ret = fb_client_rt(&fc, 64, seq);
		}
		if (ret) {
			fprintf(stderr, "scale client %u: %s\n", id,
				ret == -EBADMSG ? "WRONG PAYLOAD BYTES" :
				strerror(-ret));
			res->status = ret == -EBADMSG ? 3 : 2;
			_exit(res->status);
		}
		seq++;
		n++;
	} while (now_ns() < end);
	res->ns = now_ns() - t0;
	res->rts = n;
	_exit(0);
}

/* Run @clients clients for @ms against the running server; rts/s. */
static double run_clients(bool binder, unsigned int clients, unsigned int ms,
			  struct client_res *res)
{
	pid_t pids[MAXC];
	int go[2];
	unsigned int i;
	double total = 0;
	int bad = 0;

	if (pipe(go))
		die("pipe: %s", strerror(errno));
	memset((void *)res, 0, MAXC * sizeof(*res));
	for (i = 0; i < clients; i++) {
		pids[i] = fork_child();
		if (pids[i] < 0)
			die("fork: %s", strerror(errno));
		if (!pids[i]) {
			close(go[1]);
			client_run(binder, go[0], ms, &res[i], i + 1);
		}
	}
	close(go[0]);
	usleep(100000);
	for (i = 0; i < clients; i++)
		if (write(go[1], "g", 1) != 1)
			die("write: %s", strerror(errno));
	close(go[1]);
	for (i = 0; i < clients; i++) {
		int st = reap(pids[i]);

		if (st)
			bad = st;
		else if (res[i].ns)
			total += (double)res[i].rts * 1e9 / (double)res[i].ns;
	}
	if (bad)
		die("scale: a %s client failed (status %d)%s",
		    binder ? "binder" : "fastipc", bad,
		    bad == 3 ? ": WRONG PAYLOAD BYTES" : "");
	return total;
}

int cmd_scale(int argc, char **argv)
{
	static const unsigned int nclients[] = { 1, 2, 4 };
	double v[2][2][3][16];
	unsigned int ms = 1000, rounds = 3, r, mi, ti, ci;
	struct client_res *res;
	struct srv_stats *st;
	int opt, efd;

	while ((opt = getopt(argc, argv, "qd:r:")) != -1) {
		switch (opt) {
		case 'q':
			ms = 100;
			rounds = 1;
			break;
		case 'd':
			ms = (unsigned int)atoi(optarg);
			break;
		case 'r':
			rounds = (unsigned int)atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: fastipc-bench scale [-q] [-d MS] [-r ROUNDS]\n");
			return 2;
		}
	}
	if (!rounds || rounds > 16)
		return 2;
	res = shared_alloc(MAXC * sizeof(*res));
	st = shared_alloc(sizeof(*st));
	if (!res || !st)
		die("out of memory");
	printf("%s meta cmd=scale ms=%u rounds=%u cpus=%ld\n", OUT_TAG, ms,
	       rounds, sysconf(_SC_NPROCESSORS_ONLN));
	for (r = 0; r < rounds; r++) {
		for (ti = 0; ti < 2; ti++) {
			for (mi = 0; mi < 2; mi++) {
				bool binder = (mi ^ r) & 1;
				pid_t pid;

				if (binder && access(BB_DEV, F_OK)) {
					for (ci = 0; ci < 3; ci++)
						v[1][ti][ci][r] = 0;
					continue;
				}
				pid = binder ? bb_spawn_server(ti + 1, st) :
				      fb_spawn_server(65536, 0, true, ti + 1,
						      st, &efd);
				if (pid < 0)
					die("scale: %s server: %s",
					    binder ? "binder" : "fastipc",
					    strerror(-pid));
				if (!binder)
					close(efd);
				for (ci = 0; ci < 3; ci++)
					v[binder][ti][ci][r] =
						run_clients(binder,
							    nclients[ci], ms,
							    res);
				kill(pid, SIGKILL);
				reap(pid);
			}
		}
		note("scale round %u/%u done", r + 1, rounds);
	}
	for (mi = 0; mi < 2; mi++) {
		double base = 0;

		if (mi == 1 && access(BB_DEV, F_OK))
			continue;
		for (ti = 0; ti < 2; ti++)
			for (ci = 0; ci < 3; ci++) {
				double m = median_double(v[mi][ti][ci], rounds);

				if (!ti && !ci)
					base = m;
				printf("%s scale mech=%s clients=%u threads=%u rts_per_s=%.0f vs_1x1=%.3f\n",
				       OUT_TAG, mi ? "binder" : "fastipc",
				       nclients[ci], ti + 1, m,
				       base > 0 ? m / base : 0);
			}
	}
	printf("%s done cmd=scale status=0\n", OUT_TAG);
	return 0;
}
