// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench prio: the priority-inheritance demonstration.
 *
 * Everything runs on CPU 0.  A SCHED_FIFO (priority 50) client calls a
 * SCHED_OTHER server whose node has FASTIPC_NODE_INHERIT_RT; each call
 * makes the server spin for a fixed amount of work (about 4 ms unloaded)
 * before it answers, and the client calls back to back.  Cases,
 * interleaved round by round:
 *
 *   unloaded     no other load, inheritance on
 *   hog+inherit  a CPU-bound SCHED_OTHER hog on CPU 0, inheritance on
 *   hog+off      the same hog, inherit_priority=0
 *
 * With inheritance the server runs at the client's SCHED_FIFO priority
 * and the hog cannot delay it; without, the server competes with the hog
 * as an equal and gets about half the CPU once its sleeper credit is
 * spent.  The module parameter is restored to its first value.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "fipc.h"

/* The bool parameter reads Y or N (1 or 0 on some kernels); -1: none. */
static int param_read(void)
{
	FILE *f = fopen(FIPC_PRIO_PARAM, "re");
	int c;

	if (!f)
		return -1;
	c = fgetc(f);
	fclose(f);
	if (c == 'Y' || c == 'y' || c == '1')
		return 1;
	if (c == 'N' || c == 'n' || c == '0')
		return 0;
	return -1;
}

static int param_write(int v)
{
	FILE *f = fopen(FIPC_PRIO_PARAM, "we");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%d\n", v) > 0 ? 0 : -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

static pid_t start_hog(void)
{
	pid_t pid = fork_child();

	if (!pid) {
		volatile uint64_t x = 0;

		for (;;)
			x++;
	}
	return pid;
}

static int work_call(struct fb_client *c, uint64_t spins)
{
	struct fb_batch b = { .count = spins };
	struct fastipc_ret r;

	return fb_client_call(c, FB_CODE_WORK, &b, sizeof(b), &r);
}

int cmd_prio(int argc, char **argv)
{
	static const char *const names[] = { "unloaded", "hog+inherit",
					     "hog+off" };
	unsigned int calls = 60, rounds = 5, r, k, i;
	struct sched_param sp = { .sched_priority = 50 };
	uint64_t spins = 100000, *t[3], t0, dt;
	struct fb_client c;
	struct srv_stats *st;
	int opt, efd, orig, ret = 0;
	pid_t pid, hog;

	while ((opt = getopt(argc, argv, "qn:r:")) != -1) {
		switch (opt) {
		case 'q':
			calls = 10;
			rounds = 1;
			break;
		case 'n':
			calls = (unsigned int)atoi(optarg);
			break;
		case 'r':
			rounds = (unsigned int)atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: fastipc-bench prio [-q] [-n CALLS] [-r ROUNDS]\n");
			return 2;
		}
	}
	printf("%s meta cmd=prio calls=%u rounds=%u\n", OUT_TAG, calls,
	       rounds);
	orig = param_read();
	if (orig < 0) {
		printf("priority inheritance: not available in this module\n");
		printf("%s prio_unavailable\n", OUT_TAG);
		printf("%s done cmd=prio status=0\n", OUT_TAG);
		return 0;
	}
	pin_cpu(0);
	st = shared_alloc(sizeof(*st));
	for (k = 0; k < 3; k++)
		t[k] = calloc((size_t)calls * rounds, sizeof(uint64_t));
	if (!st || !t[0] || !t[1] || !t[2] || msg_init(4096))
		die("out of memory");
	pid = fb_spawn_server(65536, FASTIPC_NODE_INHERIT_RT, false, 1, st,
			      &efd);
	if (pid < 0)
		die("prio: server: %s", strerror(-pid));
	if (fb_client_open(&c, 65536, efd))
		die("prio: client: %s", strerror(errno));
	close(efd);

	/*
	 * Calibrate: about 4 ms of server work per call, unloaded, judged on
	 * the median of 5 calls (a single one may hit a host hiccup).
	 */
	for (i = 0; i < 8; i++) {
		uint64_t d[5];
		unsigned int j;

		for (j = 0; j < 5; j++) {
			t0 = now_ns();
			if (work_call(&c, spins))
				die("prio: call failed");
			d[j] = now_ns() - t0;
		}
		dt = pct_u64(d, 5, 50);
		if (dt > 3200000 && dt < 5000000)
			break;
		spins = spins * 4000000 / (dt ? dt : 1);
	}
	note("server work per call: %llu spins (%.2f ms unloaded)",
	     (unsigned long long)spins, dt / 1e6);

	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		die("prio: SCHED_FIFO: %s", strerror(errno));
	for (r = 0; r < rounds; r++) {
		for (k = 0; k < 3; k++) {
			hog = 0;
			if (param_write(k == 2 ? 0 : 1))
				die("prio: cannot write %s", FIPC_PRIO_PARAM);
			if (k) {
				/* The hog must stay SCHED_OTHER. */
				struct sched_param zero = { 0 };

				hog = start_hog();
				if (hog < 0)
					die("prio: fork: %s", strerror(errno));
				if (sched_setscheduler(hog, SCHED_OTHER, &zero))
					die("prio: hog policy: %s",
					    strerror(errno));
				usleep(20000);
			}
			for (i = 0; i < calls; i++) {
				t0 = now_ns();
				if (work_call(&c, spins)) {
					ret = 1;
					break;
				}
				t[k][r * calls + i] = now_ns() - t0;
			}
			if (hog > 0) {
				kill(hog, SIGKILL);
				reap(hog);
			}
			if (ret)
				die("prio: call failed");
		}
	}
	sp.sched_priority = 0;
	sched_setscheduler(0, SCHED_OTHER, &sp);
	param_write(orig);
	if (fb_client_quit(&c))
		kill(pid, SIGKILL);
	ret = reap(pid) ? 1 : 0;
	for (k = 0; k < 3; k++) {
		size_t n = (size_t)calls * rounds;
		uint64_t p50 = pct_u64(t[k], n, 50);	/* sorts t[k] */
		uint64_t p99 = pct_u64(t[k], n, 99);
		double mean = 0;

		for (i = 0; i < n; i++)
			mean += (double)t[k][i] / (double)n;
		printf("%s prio case=%s n=%zu p50_ns=%llu p99_ns=%llu",
		       OUT_TAG, names[k], n, (unsigned long long)p50,
		       (unsigned long long)p99);
		printf(" max_ns=%llu mean_ns=%.0f work_spins=%llu\n",
		       (unsigned long long)t[k][n - 1], mean,
		       (unsigned long long)spins);
	}
	fb_close(&c.peer);
	printf("%s done cmd=prio status=%d\n", OUT_TAG, ret);
	return ret;
}
