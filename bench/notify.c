// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench notify: the cheapest way to say "something changed".
 * Three mechanisms, interleaved round by round in one run:
 *
 *   signal   FASTIPC_CMD_SIGNAL to a node with FASTIPC_NODE_ACCEPT_SIGNALS,
 *            read as one FASTIPC_RET_SIGNAL record
 *   oneway   FASTIPC_CMD_SEND of an empty one-way, read as a TRANSACTION
 *   eventfd  write(2) of 1 to an eventfd, read(2) of its counter
 *
 * Two measures each:
 *
 *   ping-pong  two threads notify each other in turn, each blocked until
 *              notified: the round trip of notify + wake-up + read.  fastipc
 *              sends and waits in one WRITE_READ per side; eventfd needs a
 *              write and a read per side.
 *   burst      one thread notifies -b times (one syscall each), then the
 *              receiver drains what is there without blocking: the sender's
 *              cost per notification and the receiver's syscalls.  Signals
 *              coalesce into one record (OR of the masks); each one-way is
 *              its own record, and the read phase stops after a one-way, so
 *              it takes one WRITE_READ each; eventfd adds up its counter.
 *
 * Every notification is checked: the bits of each signal record, the code
 * of each one-way, the eventfd counter.
 *
 *   fastipc-bench notify [-r ROUNDS] [-n PINGPONGS] [-b BURST]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"
#include "fipc.h"

enum { M_SIGNAL, M_ONEWAY, M_EVENTFD, M_NR };

static const char * const mech_names[M_NR] = { "signal", "oneway", "eventfd" };

/* Two peers, each with a node the other holds a handle to. */
static struct fb_peer pa, pb;
static uint32_t to_a[M_NR], to_b[M_NR];	/* handles, by mechanism */
static int efd_a, efd_b;			/* eventfds: wake A, wake B */

/* A notification of round @i: its mask (signal) or code (one-way). */
static uint64_t note_bits(uint64_t i)
{
	return 1ULL << (i % 64);
}

/* The notification command of @m to handle @h, number @i. */
static struct fastipc_cmd note_cmd(int m, uint32_t h, uint64_t i)
{
	struct fastipc_cmd c;

	if (m == M_SIGNAL) {
		c = fb_cmd(FASTIPC_CMD_SIGNAL, h, 0, NULL, 0);
		c.arg = note_bits(i);
	} else {
		c = fb_cmd(FASTIPC_CMD_SEND, h, note_bits(i), NULL, 0);
	}
	return c;
}

/* Is @r notification @i of @m (cookie @cookie)? */
static bool note_ok(int m, const struct fastipc_ret *r, uint64_t cookie,
		    uint64_t i)
{
	if (r->cookie != cookie || r->code != note_bits(i))
		return false;
	if (m == M_SIGNAL)
		return r->op == FASTIPC_RET_SIGNAL;
	return r->op == FASTIPC_RET_TRANSACTION &&
	       (r->flags & FASTIPC_RET_ONEWAY) && !r->data_len;
}

/*
 * Notify the other side (@h, or eventfd @wfd) then wait for its notice
 * (peer @p, or eventfd @rfd), @n times; the first side (@first) starts.
 * Return: 0, or the line that failed.
 */
static int pingpong(int m, bool first, struct fb_peer *p, uint32_t h,
		    int wfd, int rfd, uint64_t cookie, uint64_t n,
		    uint64_t *ns)
{
	struct fastipc_cmd c;
	struct fastipc_ret r;
	uint64_t i, v, want, t0 = now_ns();
	int nread;

	/* The other side waits for the first notification alone. */
	if (m != M_EVENTFD && !first &&
	    (fb_wr(p, NULL, 0, &r, 1) != 1 || !note_ok(m, &r, cookie, 0)))
		return __LINE__;
	for (i = 0; i < n; i++) {
		if (m == M_EVENTFD) {
			if (!first && (read(rfd, &v, 8) != 8 || v != 1))
				return __LINE__;
			v = 1;
			if (write(wfd, &v, 8) != 8)
				return __LINE__;
			if (first && (read(rfd, &v, 8) != 8 || v != 1))
				return __LINE__;
			continue;
		}
		/*
		 * Notify and wait in one ioctl: the first side for the answer
		 * to notification @i, the other for notification @i + 1.
		 */
		want = first ? i : i + 1;
		nread = want < n ? 1 : 0;
		c = note_cmd(m, h, i);
		if (fb_wr(p, &c, 1, &r, nread) != nread ||
		    (nread && !note_ok(m, &r, cookie, want)))
			return __LINE__;
	}
	if (ns)
		*ns = now_ns() - t0;
	return 0;
}

struct ponger {
	int m;
	uint64_t n;
	int fail;
};

static void *ponger_main(void *arg)
{
	struct ponger *pg = arg;

	pg->fail = pingpong(pg->m, false, &pb, to_a[pg->m], efd_a, efd_b,
			    0xb0 + pg->m, pg->n, NULL);
	return NULL;
}

/* @n round trips of @m between two threads: ns per round trip. */
static double run_pingpong(int m, uint64_t n)
{
	struct ponger pg = { .m = m, .n = n };
	uint64_t ns = 0;
	pthread_t t;
	int fail;

	if (pthread_create(&t, NULL, ponger_main, &pg))
		return -1;
	fail = pingpong(m, true, &pa, to_b[m], efd_b, efd_a, 0xa0 + m, n,
			&ns);
	pthread_join(t, NULL);
	if (fail || pg.fail) {
		fprintf(stderr, "notify: %s ping-pong failed at line %d/%d\n",
			mech_names[m], fail, pg.fail);
		return -1;
	}
	return (double)ns / n;
}

/*
 * @burst notifications of @m from A to B, one syscall each, then B drains
 * without blocking.  Return: 0 with the sender's ns per notification and
 * the receiver's syscalls, or -1.
 */
static int run_burst(int m, uint64_t burst, double *send_ns,
		     uint64_t *rx_calls)
{
	struct fastipc_ret r[16];
	struct fastipc_cmd c;
	uint64_t i, t0, v, want = 0, got = 0, calls = 0;
	int n, k;

	t0 = now_ns();
	for (i = 0; i < burst; i++) {
		if (m == M_EVENTFD) {
			v = 1;
			if (write(efd_b, &v, 8) != 8)
				return -1;
		} else {
			c = note_cmd(m, to_b[m], i);
			if (fb_wr(&pa, &c, 1, NULL, 0))
				return -1;
		}
	}
	*send_ns = (double)(now_ns() - t0) / burst;
	if (m == M_EVENTFD) {
		calls = 1;
		if (read(efd_b, &v, 8) != 8 || v != burst)
			return -1;
		*rx_calls = calls;
		return 0;
	}
	for (i = 0; i < burst; i++)
		want |= note_bits(i);
	for (;;) {
		n = fb_wr_flags(&pb, FASTIPC_WR_NONBLOCK, NULL, 0, r, 16);
		calls++;
		if (n == -EAGAIN)
			break;
		if (n <= 0)
			return -1;
		for (k = 0; k < n; k++) {
			if (m == M_SIGNAL) {
				if (r[k].op != FASTIPC_RET_SIGNAL ||
				    r[k].cookie != 0xb0ULL + m ||
				    r[k].code != want)
					return -1;
				got += burst;
			} else if (!note_ok(m, &r[k], 0xb0 + m, got++)) {
				return -1;
			}
		}
	}
	if (got != burst)
		return -1;
	*rx_calls = calls;
	return 0;
}

static int setup(void)
{
	uint32_t na = 0, nb = 0, flags;
	int m, e;

	if (fb_open(&pa, 1 << 20) || fb_open(&pb, 1 << 20))
		return -1;
	for (m = M_SIGNAL; m <= M_ONEWAY; m++) {
		flags = m == M_SIGNAL ? FASTIPC_NODE_ACCEPT_SIGNALS : 0;
		if (fb_node_create(&pa, flags, 0xa0 + m, &na) ||
		    fb_node_create(&pb, flags, 0xb0 + m, &nb))
			return -1;
		e = fb_export(&pa, na);
		if (e < 0 || fb_import(&pb, e, &to_a[m]))
			return -1;
		close(e);
		e = fb_export(&pb, nb);
		if (e < 0 || fb_import(&pa, e, &to_b[m]))
			return -1;
		close(e);
	}
	efd_a = eventfd(0, EFD_CLOEXEC);
	efd_b = eventfd(0, EFD_CLOEXEC);
	return efd_a < 0 || efd_b < 0 ? -1 : 0;
}

int cmd_notify(int argc, char **argv)
{
	unsigned int rounds = 7, r;
	uint64_t n = 2000, burst = 256, rx[M_NR];
	double *rt[M_NR], *snd[M_NR];
	int opt, m;

	while ((opt = getopt(argc, argv, "r:n:b:")) != -1) {
		if (opt == 'r')
			rounds = (unsigned int)atoi(optarg);
		else if (opt == 'n')
			n = strtoull(optarg, NULL, 0);
		else if (opt == 'b')
			burst = strtoull(optarg, NULL, 0);
		else
			return 2;
	}
	/* A one-way burst must fit the sender's share of max_oneway. */
	if (!rounds || !n || !burst || burst > 512)
		return 2;
	if (setup())
		die("notify: setup: %s", strerror(errno));
	for (m = 0; m < M_NR; m++) {
		rt[m] = calloc(rounds, sizeof(double));
		snd[m] = calloc(rounds, sizeof(double));
		if (!rt[m] || !snd[m])
			die("out of memory");
	}
	note("notify: %u rounds of %llu ping-pongs and a burst of %llu, mechanisms interleaved",
	     rounds, (unsigned long long)n, (unsigned long long)burst);
	for (r = 0; r < rounds; r++) {
		for (m = 0; m < M_NR; m++) {
			/* Rotate who goes first. */
			int mm = (m + r) % M_NR;

			rt[mm][r] = run_pingpong(mm, n);
			if (rt[mm][r] < 0)
				return 1;
			if (run_burst(mm, burst, &snd[mm][r], &rx[mm])) {
				fprintf(stderr, "notify: %s burst failed (WRONG NOTIFICATION)\n",
					mech_names[mm]);
				return 1;
			}
		}
	}
	for (m = 0; m < M_NR; m++) {
		printf("%s notify mech=%s pingpong_ns=%.0f send_ns=%.0f burst=%llu rx_syscalls=%llu\n",
		       OUT_TAG, mech_names[m], median_double(rt[m], rounds),
		       median_double(snd[m], rounds),
		       (unsigned long long)burst, (unsigned long long)rx[m]);
	}
	note("ping-pong: notify + wake-up + read, one way each, per round trip; send: the sender's cost per notification; rx_syscalls: reads to drain a burst");
	fb_close(&pb);
	fb_close(&pa);
	close(efd_a);
	close(efd_b);
	return 0;
}
