// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench handles: does a peer holding 10^5 handles call as fast as
 * one holding a single handle, and what do a node and a handle cost in
 * kernel memory?
 *
 * A server process owns one node.  In this process, peer A imports it as
 * its only handle (1).  OWNERS peers (default 1) create N nodes between
 * them (N / OWNERS each); peer B imports a handle to every one of them
 * (export + import) and then the server's node (handle N + 1).  A and B
 * then alternate batches of 64-byte round trips; the ratio is the median
 * over rounds of B's median / A's median.  Memory: the Slab line of
 * /proc/meminfo before and after the node creations (a node plus its
 * owner's handle) and after B's imports (a handle to another peer's node).
 * Closing the owner of 10^5 nodes also exercises the module's teardown
 * (it was quadratic before b750bf1 and stalled RCU).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "fipc.h"

/* Slab memory in KiB (reclaimable + unreclaimable), or -1. */
static long slab_kib(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void settle(void)
{
	/* Let RCU-freed objects go before reading the counters. */
	usleep(200000);
	sync();
	usleep(200000);
}

int cmd_handles(int argc, char **argv)
{
	unsigned int n = 100000, rounds = 7, iters = 300, owners = 1;
	unsigned int r, i, j, per;
	struct fb_client a, b;
	struct fb_peer *own;
	uint32_t *nodes;
	struct srv_stats *st;
	double ratio[64];
	uint64_t med_a[64], med_b[64];
	uint64_t *ta, *tb, *tmp, seq = 1, t0;
	long s0, s1, s2;
	int efd, opt, ret;
	uint32_t h = 0;
	pid_t pid;

	while ((opt = getopt(argc, argv, "qn:r:i:o:")) != -1) {
		switch (opt) {
		case 'q':
			n = 1000;
			rounds = 2;
			iters = 20;
			break;
		case 'n':
			n = (unsigned int)atoi(optarg);
			break;
		case 'r':
			rounds = (unsigned int)atoi(optarg);
			break;
		case 'i':
			iters = (unsigned int)atoi(optarg);
			break;
		case 'o':
			owners = (unsigned int)atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: fastipc-bench handles [-q] [-n N] [-o OWNERS]\n"
				"                             [-r ROUNDS] [-i ITERS]\n");
			return 2;
		}
	}
	if (rounds > 64 || !rounds || !iters || !owners || n < owners)
		return 2;
	per = n / owners;
	n = per * owners;
	printf("%s meta cmd=handles handles=%u owners=%u rounds=%u iters=%u\n",
	       OUT_TAG, n, owners, rounds, iters);
	pin_cpu(0);
	st = shared_alloc(sizeof(*st));
	ta = calloc((size_t)rounds * iters, sizeof(*ta));
	tb = calloc((size_t)rounds * iters, sizeof(*tb));
	tmp = calloc(iters, sizeof(*tmp));
	own = calloc(owners, sizeof(*own));
	nodes = calloc(n, sizeof(*nodes));
	if (!st || !ta || !tb || !tmp || !own || !nodes || msg_init(4096))
		die("out of memory");
	pid = fb_spawn_server(65536, 0, false, 1, st, &efd);
	if (pid < 0)
		die("handles: server: %s", strerror(-pid));
	if (fb_client_open(&a, 65536, efd))
		die("handles: peer A: %s", strerror(errno));
	if (fb_client_open(&b, 65536, -1))
		die("handles: peer B: %s", strerror(errno));
	for (i = 0; i < owners; i++)
		if (fb_open(&own[i], 0))
			die("handles: owner %u: %s", i, strerror(errno));

	settle();
	s0 = slab_kib();
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		ret = fb_node_create(&own[i / per], 0, i, &nodes[i]);
		if (ret)
			die("handles: node %u: %s", i, strerror(-ret));
	}
	note("%u nodes created in %.1f ms", n, (now_ns() - t0) / 1e6);
	settle();
	s1 = slab_kib();
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		int x = fb_export(&own[i / per], nodes[i]);

		if (x < 0)
			die("handles: export %u: %s", i, strerror(-x));
		ret = fb_import(&b.peer, x, &h);
		close(x);
		if (ret)
			die("handles: import %u: %s", i, strerror(-ret));
	}
	note("%u handles imported in %.1f ms", n, (now_ns() - t0) / 1e6);
	settle();
	s2 = slab_kib();
	ret = fb_import(&b.peer, efd, &b.handle);
	close(efd);
	if (ret)
		die("handles: import into B: %s", strerror(-ret));
	note("peer A calls handle %u, peer B handle %u", a.handle, b.handle);

	for (r = 0; r < rounds; r++) {
		uint64_t ma, mb;

		for (j = 0; j < 2; j++) {
			/* Alternate who goes first. */
			struct fb_client *cl = (j ^ r) & 1 ? &b : &a;
			uint64_t *row = (cl == &a ? ta : tb) + r * iters;

			for (i = 0; i < iters / 10 + iters; i++) {
				uint64_t t1;

				t0 = now_ns();
				ret = fb_client_rt(cl, 64, seq);
				t1 = now_ns();
				if (ret)
					die("handles: round trip: %s",
					    ret == -EBADMSG ?
					    "WRONG PAYLOAD BYTES" :
					    strerror(-ret));
				seq++;
				if (i >= iters / 10)
					row[i - iters / 10] = t1 - t0;
			}
		}
		memcpy(tmp, ta + r * iters, iters * sizeof(*tmp));
		ma = pct_u64(tmp, iters, 50);
		memcpy(tmp, tb + r * iters, iters * sizeof(*tmp));
		mb = pct_u64(tmp, iters, 50);
		ratio[r] = (double)mb / (double)ma;
		med_a[r] = ma;
		med_b[r] = mb;
	}
	if (fb_client_quit(&a))
		kill(pid, SIGKILL);
	ret = reap(pid);
	printf("%s handles handles=%u", OUT_TAG, n + 1);
	printf(" rt_1_ns=%llu rt_many_ns=%llu",
	       (unsigned long long)pct_u64(ta, (size_t)rounds * iters, 50),
	       (unsigned long long)pct_u64(tb, (size_t)rounds * iters, 50));
	printf(" p99_1_ns=%llu p99_many_ns=%llu",
	       (unsigned long long)pct_u64(ta, (size_t)rounds * iters, 99),
	       (unsigned long long)pct_u64(tb, (size_t)rounds * iters, 99));
	printf(" ratio=%.4f slab_kib_before=%ld slab_kib_nodes=%ld",
	       median_double(ratio, rounds), s0, s1);
	printf(" slab_kib_handles=%ld bytes_per_node=%.1f bytes_per_handle=%.1f",
	       s2,
	       (double)(s1 - s0) * 1024.0 / n - (double)(s2 - s1) * 1024.0 / n,
	       (double)(s2 - s1) * 1024.0 / n);
	/* Per-round medians, "A/B,A/B,...": the rounds may differ. */
	printf(" rounds_ns=");
	for (r = 0; r < rounds; r++)
		printf("%s%llu/%llu", r ? "," : "",
		       (unsigned long long)med_a[r],
		       (unsigned long long)med_b[r]);
	printf("\n");
	t0 = now_ns();
	fb_close(&b.peer);
	for (i = 0; i < owners; i++)
		fb_close(&own[i]);
	note("peers closed in %.1f ms", (now_ns() - t0) / 1e6);
	fb_close(&a.peer);
	printf("%s done cmd=handles status=%d\n", OUT_TAG, ret ? 1 : 0);
	return ret ? 1 : 0;
}
