// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench latency: round-trip latency of every mechanism, sizes and
 * mechanisms interleaved.
 *
 * Every mechanism's server runs from start to end.  A round visits every
 * size and, for each size, every mechanism (the order rotates by one each
 * round); a visit is a batch of warm-up round trips followed by measured
 * ones, each timed alone with CLOCK_MONOTONIC, and one final untimed
 * round trip.  The warm-up and final round trips are checked byte for
 * byte, the timed ones by their stamps only (msg.c), so that the checks
 * do not add the same large constant to every mechanism.  Per mechanism
 * and size we print the median, p99, minimum and mean over all measured
 * round trips, and the ratios to pipe, binder, shm-futex and the floor
 * (bench/floor) as the median over rounds of (this round's median / the
 * reference's median in the same round), so a drift of the host's speed
 * between rounds cancels out.
 *
 * Everything runs on CPU 0, or with -S the servers on CPU 1 and the client
 * on CPU 0: every round trip then crosses CPUs twice.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define NMECH	9
#define NSIZE	7

static const size_t sizes[NSIZE] = {
	8, 64, 4096, 65536, MIB, 4 * MIB, 16 * MIB
};

/*
 * Measured round trips per visit, plus a tenth, at least 2, of warm-up
 * (so that each side has sent from both of its send buffers at this size)
 * and a final one.
 */
static const unsigned int iters_full[NSIZE] = { 400, 400, 300, 60, 8, 3, 2 };
static const unsigned int iters_quick[NSIZE] = { 20, 20, 10, 4, 2, 0, 0 };
#define OTHERS_MAX	MIB	/* every mechanism but fastipc stops here */

static volatile sig_atomic_t servers_may_exit;

static void on_sigchld(int sig)
{
	static const char msg[] =
		"fastipc-bench: FAIL: a server exited during the run\n@B fail\n";
	static const char bad[] =
		"fastipc-bench: FAIL: a server saw WRONG PAYLOAD BYTES\n@B fail\n";
	int st = 0;

	(void)sig;
	if (servers_may_exit)
		return;
	/* Only async-signal-safe calls here. */
	if (waitpid(-1, &st, WNOHANG) > 0 && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 3) {
		if (write(2, bad, sizeof(bad) - 1) < 0)
			_exit(1);
	} else if (write(2, msg, sizeof(msg) - 1) < 0) {
		_exit(1);
	}
	_exit(1);
}

/* After a failed round trip: did the server exit, and how?  (<0: no.) */
static int server_status(struct mech *m)
{
	int i, st;

	servers_may_exit = 1;	/* we reap it here */
	for (i = 0; i < 100; i++) {
		if (waitpid(m->pid, &st, WNOHANG) == m->pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		usleep(10000);
	}
	return -1;
}

struct cell {
	uint64_t *t;		/* samples, ns */
	size_t n;
	double *round_med;	/* per-round median */
	unsigned int rounds;
	uint64_t cli_sc, srv_sc, rts;
};

static void latency_usage(void)
{
	fprintf(stderr,
		"usage: fastipc-bench latency [-q] [-S] [-r ROUNDS] [-x FACTOR]\n"
		"       [-M MAXSIZE] [-l LABEL] [-m MECH] [-X SEQ [-D req|rep]]\n"
		"  -S       servers on CPU 1, the client on CPU 0 (else all on 0)\n"
		"  -m MECH  run only this mechanism (repeatable)\n"
		"  -X SEQ   send round trip SEQ with one wrong byte (must fail)\n"
		"  -D DIR   in the request (req, default) or the reply (rep)\n");
	exit(2);
}

int cmd_latency(int argc, char **argv)
{
	void (*init[NMECH])(struct mech *) = {
		mech_fastipc_init, mech_binder_init, mech_pipe_init,
		mech_unix_stream_init, mech_unix_seqpacket_init,
		mech_shm_eventfd_init, mech_shm_futex_init, mech_floor_init,
		mech_fastipc_16m_init,
	};
	static struct mech mechs[NMECH];
	static struct cell cells[NMECH][NSIZE];
	const unsigned int *iters = iters_full;
	unsigned int rounds = 7, r, si, k, i, warm, n;
	const char *label = "default", *only[NMECH];
	unsigned int nonly = 0;
	uint64_t bad_seq = 0;
	int bad_dir = 1;
	size_t maxsize = 16 * MIB, fmax;
	struct srv_stats *srv;
	double factor = 1.0;
	uint64_t seq = 1;
	int opt, ret, pipe_i = 2, binder_i = 1, futex_i = 6, floor_i = 7;
	bool quick = false, split = false;

	while ((opt = getopt(argc, argv, "qSr:x:M:l:m:X:D:")) != -1) {
		switch (opt) {
		case 'q':
			quick = true;
			iters = iters_quick;
			rounds = 2;
			maxsize = MIB;
			break;
		case 'S':
			split = true;
			break;
		case 'r':
			rounds = (unsigned int)atoi(optarg);
			break;
		case 'x':
			factor = atof(optarg);
			break;
		case 'M':
			maxsize = strtoul(optarg, NULL, 0);
			break;
		case 'l':
			label = optarg;
			break;
		case 'm':
			if (nonly == NMECH)
				latency_usage();
			only[nonly++] = optarg;
			break;
		case 'X':
			bad_seq = strtoull(optarg, NULL, 0);
			break;
		case 'D':
			bad_dir = strcmp(optarg, "rep") ? 1 : 2;
			break;
		default:
			latency_usage();
		}
	}
	if (!rounds || factor <= 0)
		latency_usage();
	/* The servers, forked by the setups below, inherit this. */
	if (pin_cpu(split ? 1 : 0))
		note("cannot pin to CPU %d: %s", split, strerror(errno));
	msg_corrupt(bad_seq, bad_dir);

	srv = shared_alloc(NMECH * sizeof(*srv));
	if (!srv)
		die("out of memory");
	fmax = maxsize;
	for (k = 0; k < NMECH; k++) {
		size_t max = fmax < OTHERS_MAX ? fmax : OTHERS_MAX;

		/* fastipc's own setup caps this at its area size. */
		if (k == 0 || k == NMECH - 1)
			max = fmax;

		init[k](&mechs[k]);
		mechs[k].srv = &srv[k];
		for (i = 0; i < nonly; i++)
			if (!strcmp(only[i], mechs[k].name))
				break;
		if (nonly && i == nonly)
			continue;
		ret = mechs[k].setup(&mechs[k], max);
		if (ret) {
			note("%s: not available (%s), skipped", mechs[k].name,
			     strerror(-ret));
			printf("%s unavailable mech=%s err=%d\n", OUT_TAG,
			       mechs[k].name, -ret);
			mechs[k].max_size = 0;
		}
	}
	if (split && pin_cpu(0))
		note("cannot pin to CPU 0: %s", strerror(errno));
	if (msg_init(fmax))
		die("out of memory");
	/* From now on a server that exits is a failure. */
	signal(SIGCHLD, on_sigchld);

	printf("%s meta cmd=latency label=%s rounds=%u quick=%d factor=%g",
	       OUT_TAG, label, rounds, quick, factor);
	printf(" split=%d\n", split);
	for (k = 0; k < NMECH; k++)
		for (si = 0; si < NSIZE; si++) {
			n = (unsigned int)(iters[si] * factor + 0.5);
			if (iters[si] && !n)
				n = 1;
			cells[k][si].t = calloc((size_t)rounds * n + 1,
						sizeof(uint64_t));
			cells[k][si].round_med = calloc(rounds,
							sizeof(double));
			if (!cells[k][si].t || !cells[k][si].round_med)
				die("out of memory");
		}

	for (r = 0; r < rounds; r++) {
		for (si = 0; si < NSIZE; si++) {
			size_t len = sizes[si];

			n = (unsigned int)(iters[si] * factor + 0.5);
			if (iters[si] && !n)
				n = 1;
			if (!n || len > fmax)
				continue;
			warm = n / 10 > 2 ? n / 10 : 2;
			for (i = 0; i < NMECH; i++) {
				struct mech *m = &mechs[(i + r) % NMECH];
				struct cell *c = &cells[(i + r) % NMECH][si];
				uint64_t sc0, ssc0, srt0, t0, t1, j;
				uint64_t *row = c->t + c->n;

				if (len > m->max_size)
					continue;
				sc0 = m->syscalls;
				ssc0 = m->srv->syscalls;
				srt0 = m->srv->rts;
				msg_stamps_only(seq + warm, n);
				ret = m->batch(m, len, warm + n + 1, seq);
				if (ret)
					die("%s: batch of %zu B: %s", m->name,
					    len, strerror(-ret));
				for (j = 0; j < warm + n + 1; j++) {
					t0 = now_ns();
					ret = m->rt(m, len, seq);
					t1 = now_ns();
					if (ret && ret != -EBADMSG &&
					    server_status(m) == 3)
						ret = -EBADMSG;	/* server saw it */
					if (ret)
						die("%s: round trip %llu of %zu B: %s",
						    m->name,
						    (unsigned long long)seq,
						    len, ret == -EBADMSG ?
						    "WRONG PAYLOAD BYTES" :
						    strerror(-ret));
					seq++;
					if (j >= warm && j < warm + n)
						row[j - warm] = t1 - t0;
				}
				msg_stamps_only(0, 0);
				c->cli_sc += m->syscalls - sc0;
				c->srv_sc += m->srv->syscalls - ssc0;
				c->rts += m->srv->rts - srt0;
				c->n += n;
				/* per-round median (pct_u64 sorts, copy) */
				{
					uint64_t *tmp = malloc(n * sizeof(*tmp));

					if (!tmp)
						die("out of memory");
					memcpy(tmp, row, n * sizeof(*tmp));
					c->round_med[c->rounds++] =
						(double)pct_u64(tmp, n, 50);
					free(tmp);
				}
			}
		}
		note("round %u/%u done", r + 1, rounds);
	}

	servers_may_exit = 1;
	ret = 0;
	for (k = 0; k < NMECH; k++) {
		int st;

		if (!mechs[k].max_size)
			continue;
		st = mechs[k].finish(&mechs[k]);
		if (st) {
			fprintf(stderr, "fastipc-bench: FAIL: %s server exit status %d%s\n",
				mechs[k].name, st,
				st == 3 ? " (WRONG PAYLOAD BYTES)" : "");
			ret = 1;
		}
		if (mechs[k].srv->bad)
			ret = 1;
	}

	for (si = 0; si < NSIZE; si++) {
		for (k = 0; k < NMECH; k++) {
			struct cell *c = &cells[k][si];
			struct cell *cp = &cells[pipe_i][si];
			struct cell *cb = &cells[binder_i][si];
			struct cell *cf = &cells[futex_i][si];
			struct cell *cl = &cells[floor_i][si];
			double rp[64], rb[64], rf[64], rl[64], mean = 0, med;
			unsigned int np = 0, nb = 0, nf = 0, nl = 0;
			uint64_t p50, p99, mn, mx;
			size_t j;

			if (!c->n)
				continue;
			for (r = 0; r < c->rounds && r < 64; r++) {
				if (cp->rounds > r && cp->round_med[r] > 0)
					rp[np++] = c->round_med[r] /
						   cp->round_med[r];
				if (cb->rounds > r && cb->round_med[r] > 0)
					rb[nb++] = c->round_med[r] /
						   cb->round_med[r];
				if (cf->rounds > r && cf->round_med[r] > 0)
					rf[nf++] = c->round_med[r] /
						   cf->round_med[r];
				if (cl->rounds > r && cl->round_med[r] > 0)
					rl[nl++] = c->round_med[r] /
						   cl->round_med[r];
			}
			for (j = 0; j < c->n; j++)
				mean += (double)c->t[j];
			mean /= (double)c->n;
			p50 = pct_u64(c->t, c->n, 50);
			p99 = pct_u64(c->t, c->n, 99);
			mn = c->t[0];
			mx = c->t[c->n - 1];
			med = (double)p50;
			printf("%s lat label=%s mech=%s size=%zu n=%zu rounds=%u",
			       OUT_TAG, label, mechs[k].name, sizes[si], c->n,
			       c->rounds);
			printf(" median_ns=%llu p99_ns=%llu min_ns=%llu",
			       (unsigned long long)p50,
			       (unsigned long long)p99,
			       (unsigned long long)mn);
			printf(" max_ns=%llu mean_ns=%.0f",
			       (unsigned long long)mx, mean);
			if (np)
				printf(" ratio_pipe=%.4f",
				       median_double(rp, np));
			if (nb)
				printf(" ratio_binder=%.4f",
				       median_double(rb, nb));
			if (nf)
				printf(" ratio_futex=%.4f",
				       median_double(rf, nf));
			if (nl)
				printf(" ratio_floor=%.4f",
				       median_double(rl, nl));
			printf(" mbps=%.2f cli_syscalls=%.3f srv_syscalls=%.3f\n",
			       med > 0 ? 2.0 * (double)sizes[si] / med * 1e3 : 0,
			       c->rts ? (double)c->cli_sc / (double)c->rts : 0,
			       c->rts ? (double)c->srv_sc / (double)c->rts : 0);
		}
	}
	printf("%s done cmd=latency label=%s status=%d\n", OUT_TAG, label, ret);
	fflush(stdout);
	return ret;
}
