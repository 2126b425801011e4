// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench inflight: 64-byte calls per second with N calls in flight
 * from one client thread, against synchronous calls, in the same boot:
 *
 *   ring    one thread, N fastipc calls in flight through io_uring
 *           (IORING_OP_URING_CMD); every answer reaped is followed by a
 *           new call, submitted with the next io_uring_enter() that waits
 *   sync    N threads, each one synchronous fastipc call at a time
 *           (one WRITE_READ); N = 1 is the baseline of the ratios
 *   binder  one thread, N one-way binder transactions in flight to a
 *           server that answers each with a one-way transaction back to
 *           a node of the client (binder_oneway.c)
 *
 * fastipc's server is the latency server (fb_serve(), a forked process
 * with -s looper threads answering at once); binder's has as many looper
 * threads.  A round runs every line for -t seconds, in an order that
 * rotates by one each round.  calls/s is the median over -r rounds and
 * every ratio the median of per-round ratios, so a drift of the
 * emulation's speed between rounds cancels out.  Every request and every
 * answer is checked in full against the sequence number of its call
 * (msg.c): a wrong byte, or the answer to another call, fails the run
 * with "WRONG PAYLOAD BYTES".
 *
 * System calls per call: the client's wrappers count them in the timed
 * runs (each ioctl(); each io_uring_submit_and_wait(), one
 * io_uring_enter()).  After the rounds, one more run per line counts the
 * client's system calls in the kernel (sysc.c: the named one and all of
 * them), which proves the wrapper counts; it is not timed, since counting
 * slows every system call.  Servers count their ioctls per call as in the
 * latency runs.
 *
 *   fastipc-bench inflight [-q] [-t SECONDS] [-r ROUNDS] [-s THREADS]
 *                          [-F ring|sync|binder -X K -D req|rep] [N...]
 *
 * -X K -D req|rep sends the K-th call of each run of kind -F with one
 * wrong byte in the request (caught by the server) or in the answer
 * (caught by the client): the run must fail.
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
#include <liburing.h>

#include "bench.h"
#include "binder.h"
#include "fipc.h"

#define MSG	64
#define MAXN	BB_OW_MAXN
#define MAXR	16		/* rounds */
#define MAXNS	8		/* values of N */

enum kind { RING, SYNC, BINDER };
static const char * const kind_name[] = { "ring", "sync", "binder" };
static const char * const kind_sys[] = { "io_uring_enter", "ioctl",
					 "ioctl" };

/*
 * struct line - one line of the table: a kind with N calls in flight.
 * @cps: calls per second, per round.
 * @sys: the client's system calls per call (its wrappers), per round.
 * @srv: the server's ioctls per call, per round.
 * @k_named: the counted run: the client's @kind_sys calls per call.
 * @k_all: the counted run: all its system calls per call.
 * @k_wrap: the counted run: what its wrappers counted per call.
 * @counted: the counted run counted (tracepoints available).
 */
struct line {
	enum kind kind;
	unsigned int n;
	double cps[MAXR], sys[MAXR], srv[MAXR];
	double k_named, k_all, k_wrap;
	bool counted;
};

/* What one run of a line measured. */
struct run {
	uint64_t calls, ns, sys;
	uint64_t k_named, k_all;
	bool counted;
};

static struct fb_client fcli;		/* fastipc: the client's peer */
static struct srv_stats *fst, *bst;	/* the servers' counters */
static struct bb_ow_client bcli;
static struct io_uring ring;
static int stop;			/* the sync threads: stop calling */

/* A call's sequence number: its kind, client thread and number. */
static uint64_t seq_of(enum kind k, unsigned int thread, uint64_t call)
{
	return ((uint64_t)(k + 1) << 48) | ((uint64_t)thread << 32) | call;
}

struct slot {
	struct fastipc_cmd cmd;
	struct fastipc_ret ret;
	uint64_t seq;
	unsigned char req[MSG];
};

static struct slot slots[MAXN];

static void ring_prep(struct slot *s, uint64_t seq)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	struct fastipc_uring_cmd uc;

	if (!sqe)
		die("inflight: submission queue full");
	/* Read when io_uring_enter() submits it: each call its own copy. */
	memcpy(s->req, msg_prepare(MSG, seq, false), MSG);
	s->seq = seq;
	s->cmd = fb_cmd(FASTIPC_CMD_CALL, fcli.handle, FB_CODE_RT, s->req,
			MSG);
	uc.cmd = fb_ptr(&s->cmd);
	uc.ret = fb_ptr(&s->ret);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fcli.peer.fd, NULL, 0, 0);
	sqe->cmd_op = FASTIPC_URING_CMD;
	sqe->__pad1 = 0;
	sqe->uring_cmd_flags = 0;
	memcpy(sqe->cmd, &uc, sizeof(uc));
	io_uring_sqe_set_data(sqe, s);
}

/* Is @cqe of slot @s the answer to exactly the call the slot sent? */
static int ring_check(const struct io_uring_cqe *cqe, const struct slot *s)
{
	if (cqe->res < 0)
		return cqe->res;
	if (cqe->res != FASTIPC_RET_REPLY)
		return -EPIPE;		/* dead or failed */
	if (s->ret.op != FASTIPC_RET_REPLY ||
	    !(s->ret.flags & FASTIPC_RET_INLINE) || s->ret.data_len != MSG ||
	    !msg_check(s->ret.inline_data, MSG, s->seq, true))
		return -EBADMSG;
	return 0;
}

/* One thread keeps @n calls in flight through the ring for @ns. */
static int ring_run(unsigned int n, uint64_t ns, struct run *r, bool count)
{
	struct io_uring_cqe *cqe;
	unsigned int inflight = 0, head, seen;
	uint64_t call = 0, end;
	bool more = true;
	struct slot *s;
	struct sysc sc;
	int ret = 0;

	r->counted = count && !sysc_start(&sc, "io_uring_enter");
	r->ns = now_ns();
	end = r->ns + ns;
	while (inflight < n)
		ring_prep(&slots[inflight++], seq_of(RING, 0, ++call));
	while (inflight) {
		r->sys++;
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR)
			break;
		ret = 0;
		seen = 0;
		more = more && now_ns() < end;
		io_uring_for_each_cqe(&ring, head, cqe) {
			s = io_uring_cqe_get_data(cqe);
			seen++;
			ret = ring_check(cqe, s);
			if (ret)
				break;
			inflight--;
			r->calls++;
			if (more) {
				ring_prep(s, seq_of(RING, 0, ++call));
				inflight++;
			}
		}
		io_uring_cq_advance(&ring, seen);
		if (ret)
			break;
	}
	r->ns = now_ns() - r->ns;
	if (r->counted)
		r->counted = !sysc_stop(&sc, &r->k_named, &r->k_all);
	return ret;
}

struct sync_thread {
	struct fb_client c;
	unsigned int id;
	bool count;
	pthread_barrier_t *go;
	struct run r;
	int err;
};

static void *sync_main(void *arg)
{
	struct sync_thread *t = arg;
	uint64_t call = 0, before = t->c.peer.ioctls;
	struct sysc sc;

	t->err = msg_init(MSG) ? -ENOMEM : 0;
	pthread_barrier_wait(t->go);
	t->r.counted = t->count && !sysc_start(&sc, "ioctl");
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED) && !t->err) {
		t->err = fb_client_rt(&t->c, MSG, seq_of(SYNC, t->id, ++call));
		if (!t->err)
			t->r.calls++;
	}
	t->r.sys = t->c.peer.ioctls - before;
	if (t->r.counted)
		t->r.counted = !sysc_stop(&sc, &t->r.k_named, &t->r.k_all);
	return NULL;
}

/* @n client threads, one synchronous call each at a time, for @ns. */
static int sync_run(unsigned int n, uint64_t ns, struct run *r, bool count)
{
	static struct sync_thread t[MAXN];
	pthread_barrier_t go;
	pthread_t thr[MAXN];
	unsigned int i;
	int ret = 0;

	if (pthread_barrier_init(&go, NULL, n + 1))
		return -ENOMEM;
	__atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
	r->counted = count;
	for (i = 0; i < n; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].c = fcli;		/* the same peer, a reply state each */
		t[i].id = i;
		t[i].count = count;
		t[i].go = &go;
		if (pthread_create(&thr[i], NULL, sync_main, &t[i]))
			die("inflight: pthread_create failed");
	}
	pthread_barrier_wait(&go);
	r->ns = now_ns();
	usleep((useconds_t)(ns / 1000));
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < n; i++) {
		pthread_join(thr[i], NULL);
		if (t[i].err && !ret)
			ret = t[i].err;
		r->calls += t[i].r.calls;
		r->sys += t[i].r.sys;
		r->k_named += t[i].r.k_named;
		r->k_all += t[i].r.k_all;
		r->counted = r->counted && t[i].r.counted;
	}
	r->ns = now_ns() - r->ns;
	pthread_barrier_destroy(&go);
	return ret;
}

static int binder_run(unsigned int n, uint64_t ns, struct run *r,
		      bool count)
{
	uint64_t before = bcli.p.ioctls;
	struct sysc sc;
	int ret;

	r->counted = count && !sysc_start(&sc, "ioctl");
	r->ns = now_ns();
	ret = bb_ow_run(&bcli, n, r->ns + ns, seq_of(BINDER, 0, 1),
			&r->calls);
	r->ns = now_ns() - r->ns;
	r->sys = bcli.p.ioctls - before;
	if (r->counted)
		r->counted = !sysc_stop(&sc, &r->k_named, &r->k_all);
	return ret;
}

/* Run @l once for @ns; fail the whole run loudly on any error. */
static void run_line(struct line *l, uint64_t ns, struct run *r,
		     uint64_t *srv_sys, uint64_t *srv_calls, bool count)
{
	struct srv_stats *st = l->kind == BINDER ? bst : fst;
	uint64_t sys0 = st->syscalls, rts0 = st->rts;
	int ret;

	memset(r, 0, sizeof(*r));
	if (l->kind == RING)
		ret = ring_run(l->n, ns, r, count);
	else if (l->kind == SYNC)
		ret = sync_run(l->n, ns, r, count);
	else
		ret = binder_run(l->n, ns, r, count);
	if (ret || !r->calls || !r->ns)
		die("inflight %s N=%u: %s", kind_name[l->kind], l->n,
		    ret == -EBADMSG || st->bad ? "WRONG PAYLOAD BYTES" :
		    ret ? strerror(-ret) : "no call answered");
	*srv_sys = st->syscalls - sys0;
	*srv_calls = st->rts - rts0;
}

static double median_of(const double *v, unsigned int n)
{
	double c[MAXR];

	memcpy(c, v, n * sizeof(*v));
	return median_double(c, n);
}

static struct line *find_line(struct line *l, unsigned int nl,
			      enum kind k, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < nl; i++)
		if (l[i].kind == k && l[i].n == n)
			return &l[i];
	return NULL;
}

/* Median over rounds of @a's calls/s divided by @b's, 0 without @b. */
static double ratio(const struct line *a, const struct line *b,
		    unsigned int rounds)
{
	double v[MAXR];
	unsigned int r;

	if (!b)
		return 0;
	for (r = 0; r < rounds; r++)
		v[r] = a->cps[r] / b->cps[r];
	return median_double(v, rounds);
}

static void report(struct line *lines, unsigned int nl, unsigned int rounds)
{
	struct line *l, *base = find_line(lines, nl, SYNC, 1);
	unsigned int i;

	for (i = 0; i < nl; i++) {
		l = &lines[i];
		printf("%s inflight mech=%s n=%u calls_per_s=%.0f cli_sys=%s cli_sys_per_call=%.4f srv_sys_per_call=%.3f vs_sync1=%.3f",
		       OUT_TAG, kind_name[l->kind], l->n,
		       median_of(l->cps, rounds), kind_sys[l->kind],
		       median_of(l->sys, rounds), median_of(l->srv, rounds),
		       ratio(l, base, rounds));
		if (l->kind == RING)
			printf(" vs_sync_n=%.3f vs_binder=%.3f",
			       ratio(l, find_line(lines, nl, SYNC, l->n),
				     rounds),
			       ratio(l, find_line(lines, nl, BINDER, l->n),
				     rounds));
		if (l->counted)
			printf(" counted_sys_per_call=%.4f counted_all_per_call=%.4f wrapper_sys_per_call=%.4f",
			       l->k_named, l->k_all, l->k_wrap);
		printf("\n");
		if (l->counted && l->k_named != l->k_wrap)
			note("inflight %s N=%u: the kernel counted %.4f %s per call, the wrappers %.4f",
			     kind_name[l->kind], l->n, l->k_named,
			     kind_sys[l->kind], l->k_wrap);
	}
}

int cmd_inflight(int argc, char **argv)
{
	unsigned int ns[MAXNS] = { 1, 8, 64 }, nn = 3, rounds = 3, nl = 0;
	int threads = 2, opt, efd, dirs = 0, fkind = -1, status;
	uint64_t fault = 0, srv_sys, srv_calls;
	struct line lines[3 * MAXNS + 1], *l;
	bool binder = !access(BB_DEV, F_OK);
	unsigned int i, j, r;
	double secs = 1;
	pid_t fpid, bpid = -1;
	struct run run;

	while ((opt = getopt(argc, argv, "qt:r:s:F:X:D:")) != -1) {
		switch (opt) {
		case 'q':
			secs = 0.1;
			rounds = 1;
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'r':
			rounds = (unsigned int)atoi(optarg);
			break;
		case 's':
			threads = atoi(optarg);
			break;
		case 'F':
			for (i = 0; i < 3; i++)
				if (!strcmp(optarg, kind_name[i]))
					fkind = (int)i;
			break;
		case 'X':
			fault = strtoull(optarg, NULL, 0);
			break;
		case 'D':
			dirs = !strcmp(optarg, "req") ? 1 :
			       !strcmp(optarg, "rep") ? 2 : 0;
			break;
		default:
			goto usage;
		}
	}
	if (optind < argc)
		nn = 0;
	for (; optind < argc; optind++) {
		if (nn == MAXNS)
			goto usage;
		ns[nn++] = (unsigned int)atoi(argv[optind]);
	}
	if (threads < 1 || threads > 16 || !rounds || rounds > MAXR ||
	    secs <= 0 || (fault && (fkind < 0 || !dirs)))
		goto usage;
	for (i = 0; i < nn; i++)
		if (ns[i] < 1 || ns[i] > MAXN)
			goto usage;

	/* The lines: sync with 1 thread (the baseline) and each N. */
	lines[nl++] = (struct line){ .kind = SYNC, .n = 1 };
	for (i = 0; i < nn; i++) {
		lines[nl++] = (struct line){ .kind = RING, .n = ns[i] };
		if (!find_line(lines, nl, SYNC, ns[i]))
			lines[nl++] = (struct line){ .kind = SYNC, .n = ns[i] };
		if (binder)
			lines[nl++] = (struct line){ .kind = BINDER,
						     .n = ns[i] };
	}
	/* A hung server must not hang the boot: 4x the planned time. */
	alarm((unsigned int)(4 * secs * nl * (rounds + 1)) + 120);

	if (msg_init(MSG))
		die("out of memory");
	if (fault)
		msg_corrupt(seq_of((enum kind)fkind, 0, fault), dirs);
	fst = shared_alloc(sizeof(*fst));
	bst = shared_alloc(sizeof(*bst));
	if (!fst || !bst)
		die("out of memory");
	fpid = fb_spawn_server(65536, 0, false, threads, fst, &efd);
	if (fpid < 0)
		die("inflight: fastipc server: %s", strerror(-fpid));
	if (fb_client_open(&fcli, 65536, efd))
		die("inflight: fastipc client: %s", strerror(errno));
	close(efd);
	if (io_uring_queue_init(2 * MAXN, &ring, 0))
		die("inflight: io_uring_queue_init failed");
	if (binder) {
		bpid = bb_ow_spawn(threads, bst);
		if (bpid < 0)
			die("inflight: binder server: %s", strerror(-bpid));
		status = bb_ow_connect(&bcli);
		if (status)
			die("inflight: binder client: %s", strerror(-status));
	} else {
		printf("%s unavailable mech=binder-oneway err=%d\n", OUT_TAG,
		       -ENODEV);
	}
	printf("%s meta cmd=inflight secs=%g rounds=%u server_threads=%d cpus=%ld\n",
	       OUT_TAG, secs, rounds, threads, sysconf(_SC_NPROCESSORS_ONLN));

	for (r = 0; r < rounds; r++) {
		for (j = 0; j < nl; j++) {
			l = &lines[(j + r) % nl];
			run_line(l, (uint64_t)(secs * 1e9), &run, &srv_sys,
				 &srv_calls, false);
			l->cps[r] = run.calls * 1e9 / run.ns;
			l->sys[r] = (double)run.sys / run.calls;
			l->srv[r] = srv_calls ? (double)srv_sys / srv_calls : 0;
		}
		note("inflight round %u/%u done", r + 1, rounds);
	}
	/* The counted runs: half as long, not timed. */
	for (j = 0; j < nl; j++) {
		l = &lines[j];
		run_line(l, (uint64_t)(secs * 0.5e9), &run, &srv_sys,
			 &srv_calls, true);
		l->counted = run.counted;
		l->k_named = (double)run.k_named / run.calls;
		l->k_all = (double)run.k_all / run.calls;
		l->k_wrap = (double)run.sys / run.calls;
	}
	if (!lines[0].counted)
		note("inflight: syscall tracepoints not available: system calls counted by the wrappers only");
	report(lines, nl, rounds);

	status = fb_client_quit(&fcli);
	fb_close(&fcli.peer);
	if (reap(fpid) || status)
		die("inflight: the fastipc server failed%s",
		    fst->bad ? ": WRONG PAYLOAD BYTES" : "");
	if (binder) {
		status = bb_ow_quit(&bcli);
		if (reap(bpid) || status)
			die("inflight: the binder server failed%s",
			    bst->bad ? ": WRONG PAYLOAD BYTES" : "");
	}
	io_uring_queue_exit(&ring);
	printf("%s done cmd=inflight status=0\n", OUT_TAG);
	return 0;
usage:
	fprintf(stderr,
		"usage: fastipc-bench inflight [-q] [-t SECONDS] [-r ROUNDS] [-s THREADS]\n"
		"	[-F ring|sync|binder -X K -D req|rep] [N...]\n");
	return 2;
}
