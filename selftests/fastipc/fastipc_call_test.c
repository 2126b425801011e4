// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc: calls and replies, one-way messages, transaction IDs, failures
 * (REPLY_ERROR, dead server, dead client), nested calls, buffers and flow
 * control of the receive area.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fastipc_util.h"

#define AREA		(4 * FIPC_MIB)
#define COOKIE_S	0x5e5e00015e5e0001ULL
#define COOKIE_A	0xa0a0000aULL
#define COOKIE_B	0xb0b0000bULL

/* Low byte of a code: the seed of the payload pattern.  Bits above: what
 * the checking server does with the call.
 */
#define CODE_SEED(c)	((unsigned int)((c) & 0xff))
#define CODE_IOV	0x100	/* answer with a gathered (iovec) reply */
#define CODE_ERROR	0x200	/* answer with REPLY_ERROR EACCES */

/* ---- an in-process server: a second open served by a thread ------------ */

struct server;
typedef int (*handler_t)(struct server *s, const struct fastipc_ret *r);

struct server {
	struct fipc_peer p;
	__u32 node;		/* the server's own handle to its node */
	pthread_t thr;
	bool running;
	handler_t handler;
	pid_t expect_pid;	/* sender_pid every transaction must carry */
	/* Written by the thread, read after the join. */
	int fail;		/* source line of the first failure */
	long fail_val;
	pid_t tid;
	unsigned int served;
	unsigned int spawn;
	__u64 txn[128];
	long priv[8];
};

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct fastipc_ret r;
	int ret;

	s->tid = fipc_gettid();
	ret = fipc_write1(s->p.fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_ENTER, 0, 0));
	if (ret)
		FIPC_SFAIL(s, ret);
	for (;;) {
		ret = fipc_read_one(s->p.fd, 0, &r, &s->spawn);
		if (ret) {
			FIPC_SFAIL(s, ret);
			break;
		}
		if (r.op != FASTIPC_RET_TRANSACTION) {
			FIPC_SFAIL(s, r.op);
			continue;
		}
		if ((r.flags & FASTIPC_RET_ONEWAY) && r.code == FIPC_CODE_QUIT) {
			fipc_release_ret(s->p.fd, &r);
			break;
		}
		if (s->served < ARRAY_SIZE(s->txn))
			s->txn[s->served] = r.txn_id;
		s->served++;
		ret = s->handler(s, &r);
		if (ret)
			FIPC_SFAIL(s, ret);
	}
	fipc_write1(s->p.fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_EXIT, 0, 0));
	return NULL;
}

/*
 * The checking server: the payload must be the pattern of the code's seed,
 * inline exactly when small; the reply is the same length with the next
 * seed and code + 1.
 */
static int handle_check(struct server *s, const struct fastipc_ret *r)
{
	bool want_inline = r->data_len <= FASTIPC_INLINE_MAX &&
			   !r->n_handles && !r->n_fds;
	unsigned int seed = CODE_SEED(r->code);
	const void *data = fipc_payload(&s->p, r);
	struct fastipc_cmd c[2];
	struct iovec iov[3];
	unsigned int n = 0;
	char *buf;
	int ret;

	if (r->cookie != COOKIE_S)
		FIPC_SFAIL(s, r->cookie);
	if (r->sender_pid != (__u32)s->expect_pid)
		FIPC_SFAIL(s, r->sender_pid);
	if (r->sender_euid != geteuid())
		FIPC_SFAIL(s, r->sender_euid);
	if (!r->txn_id)
		FIPC_SFAIL(s, 0);
	if (!!(r->flags & FASTIPC_RET_INLINE) != want_inline)
		FIPC_SFAIL(s, r->flags);
	if (!data)
		FIPC_SFAIL(s, r->offset);
	else if (fipc_check(data, r->data_len, seed) >= 0)
		FIPC_SFAIL(s, fipc_check(data, r->data_len, seed));

	buf = malloc(r->data_len + 1);
	if (!buf)
		return -ENOMEM;
	fipc_fill(buf, r->data_len, seed + 1);
	if (!(r->flags & FASTIPC_RET_INLINE))
		c[n++] = fipc_cmd_op(FASTIPC_CMD_FREE, 0, r->offset);
	if (r->flags & FASTIPC_RET_ONEWAY) {
		/* nothing to answer */
	} else if (r->code & CODE_ERROR) {
		c[n++] = fipc_cmd_reply_error(0, EACCES);
	} else if (r->code & CODE_IOV) {
		size_t half = r->data_len / 2;

		iov[0].iov_base = buf;
		iov[0].iov_len = half;
		iov[1].iov_base = NULL;
		iov[1].iov_len = 0;
		iov[2].iov_base = buf + half;
		iov[2].iov_len = r->data_len - half;
		c[n] = fipc_cmd_reply(0, r->code + 1, iov, 3);
		c[n++].flags = FASTIPC_TXN_IOVEC;
	} else {
		c[n++] = fipc_cmd_reply(0, r->code + 1, buf, r->data_len);
	}
	ret = n ? fipc_write(s->p.fd, c, n, NULL) : 0;
	free(buf);
	return ret;
}

static void server_start(struct __test_metadata *_metadata, struct server *s,
			 handler_t handler)
{
	s->handler = handler;
	if (!s->expect_pid)
		s->expect_pid = getpid();
	ASSERT_EQ(0, pthread_create(&s->thr, NULL, server_main, s));
	s->running = true;
}

/* Ask the server to quit through @fd's handle @h and join it (bounded). */
static int server_stop(struct server *s, int fd, __u32 h)
{
	struct timespec ts;
	int ret;

	if (!s->running)
		return 0;
	ret = fipc_send(fd, h, FIPC_CODE_QUIT, NULL, 0);
	if (ret)
		return ret;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	ret = pthread_timedjoin_np(s->thr, NULL, &ts);
	if (ret)
		return -ret;
	s->running = false;
	return 0;
}

/* ---- the common fixture: client C, server S with node, C holds h ------- */

FIXTURE(call) {
	struct fipc_peer c;
	struct server s;
	__u32 h;
};

static void env_setup(struct __test_metadata *_metadata,
		       struct fipc_peer *c, struct server *s, __u32 *h,
		       size_t server_area)
{
	c->fd = s->p.fd = -1;
	ASSERT_EQ(0, fipc_peer_open(c, AREA));
	ASSERT_EQ(0, fipc_peer_open(&s->p, server_area));
	ASSERT_EQ(0, fipc_node_create(s->p.fd, 0, COOKIE_S, &s->node));
	ASSERT_EQ(1, s->node);
	ASSERT_EQ(0, fipc_share(s->p.fd, s->node, c->fd, h));
	ASSERT_EQ(1, *h);
}

static void env_teardown(struct __test_metadata *_metadata,
			  struct fipc_peer *c, struct server *s, __u32 h)
{
	if (s->running)
		EXPECT_EQ(0, server_stop(s, c->fd, h));
	if (s->running)
		return;	/* cannot close under a stuck thread */
	EXPECT_EQ(0, s->fail) TH_LOG("server failed at line %d (value %ld)",
				     s->fail, s->fail_val);
	fipc_peer_close(c);
	fipc_peer_close(&s->p);
	FIPC_EXPECT_ZERO();
}

FIXTURE_SETUP(call)
{
	env_setup(_metadata, &self->c, &self->s, &self->h, AREA);
}

FIXTURE_TEARDOWN(call)
{
	env_teardown(_metadata, &self->c, &self->s, self->h);
}

/* ---- payload sizes both ways -------------------------------------------- */

FIXTURE(payload) {
	struct fipc_peer c;
	struct server s;
	__u32 h;
};

FIXTURE_VARIANT(payload) {
	size_t len;
};

FIXTURE_VARIANT_ADD(payload, empty) { .len = 0 };
FIXTURE_VARIANT_ADD(payload, one) { .len = 1 };
FIXTURE_VARIANT_ADD(payload, inline_max) { .len = FASTIPC_INLINE_MAX };
FIXTURE_VARIANT_ADD(payload, pooled_min) { .len = FASTIPC_INLINE_MAX + 1 };
FIXTURE_VARIANT_ADD(payload, page) { .len = 4096 };
FIXTURE_VARIANT_ADD(payload, mib) { .len = FIPC_MIB };

FIXTURE_SETUP(payload)
{
	env_setup(_metadata, &self->c, &self->s, &self->h, AREA);
}

FIXTURE_TEARDOWN(payload)
{
	env_teardown(_metadata, &self->c, &self->s, self->h);
}

TEST_F(payload, roundtrip)
{
	size_t len = variant->len;
	bool pooled = len > FASTIPC_INLINE_MAX;
	struct fastipc_ret r;
	const void *data;
	char *buf;

	buf = malloc(len + 1);
	ASSERT_NE(NULL, buf);
	fipc_fill(buf, len, 7);
	server_start(_metadata, &self->s, handle_check);

	ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 7, buf, len, &r));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_EQ(8, r.code);
	EXPECT_EQ(len, r.data_len);
	EXPECT_NE(0, r.txn_id);
	EXPECT_EQ(0, r.n_handles);
	EXPECT_EQ(0, r.n_fds);
	EXPECT_EQ(FASTIPC_REASON_NONE, r.reason);
	EXPECT_EQ(0, r.flags & FASTIPC_RET_ONEWAY);
	EXPECT_EQ(!pooled, !!(r.flags & FASTIPC_RET_INLINE));
	data = fipc_payload(&self->c, &r);
	ASSERT_NE(NULL, data);
	EXPECT_EQ(-1, fipc_check(data, len, 8));
	if (pooled) {
		/* The server freed its buffer before replying: ours is left. */
		FIPC_EXPECT_STAT(1, "buffers");
		EXPECT_EQ(0, fipc_free(self->c.fd, r.offset));
	}
	FIPC_EXPECT_STAT(0, "buffers");

	ASSERT_EQ(0, server_stop(&self->s, self->c.fd, self->h));
	EXPECT_EQ(0, self->s.fail) TH_LOG("server line %d value %ld",
					  self->s.fail, self->s.fail_val);
	EXPECT_EQ(1, self->s.served);
	EXPECT_EQ(r.txn_id, self->s.txn[0]);
	free(buf);
}

/* ---- fixture tests ---------------------------------------------------------- */

TEST_F(call, iovec_gather)
{
	char whole[110];
	struct iovec iov[3] = {
		{ whole, 10 }, { NULL, 0 }, { whole + 10, 100 },
	};
	struct fastipc_cmd c = fipc_cmd_call(self->h, 3 | CODE_IOV, iov, 3);
	struct fastipc_ret r;
	const void *data;

	c.flags = FASTIPC_TXN_IOVEC;
	fipc_fill(whole, sizeof(whole), 3);
	server_start(_metadata, &self->s, handle_check);

	ASSERT_EQ(0, fipc_transact(self->c.fd, &c, 1, &r));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_EQ((3 | CODE_IOV) + 1, r.code);
	ASSERT_EQ(sizeof(whole), r.data_len);
	data = fipc_payload(&self->c, &r);
	ASSERT_NE(NULL, data);
	/* The server gathered its reply from two pieces and an empty one. */
	EXPECT_EQ(-1, fipc_check(data, sizeof(whole), 4));
	EXPECT_EQ(0, fipc_release_ret(self->c.fd, &r));

	/* A small gathered call stays inline. */
	iov[0].iov_len = 5;
	iov[2].iov_base = whole + 5;
	iov[2].iov_len = 3;
	fipc_fill(whole, 8, 9);
	c = fipc_cmd_call(self->h, 9, iov, 3);
	c.flags = FASTIPC_TXN_IOVEC;
	ASSERT_EQ(0, fipc_transact(self->c.fd, &c, 1, &r));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_EQ(8, r.data_len);
	EXPECT_TRUE(r.flags & FASTIPC_RET_INLINE);
	EXPECT_EQ(-1, fipc_check(r.inline_data, 8, 10));
}

TEST_F(call, transaction_ids)
{
	struct fastipc_ret r[3];
	char b[200];
	int i;

	server_start(_metadata, &self->s, handle_check);
	for (i = 0; i < 3; i++) {
		/* inline, pooled, inline */
		size_t len = i == 1 ? sizeof(b) : 16;

		fipc_fill(b, len, 20 + i);
		ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 20 + i, b, len, &r[i]));
		ASSERT_EQ(FASTIPC_RET_REPLY, r[i].op);
		EXPECT_EQ(21 + i, r[i].code);
		EXPECT_EQ(0, fipc_release_ret(self->c.fd, &r[i]));
	}
	ASSERT_EQ(0, server_stop(&self->s, self->c.fd, self->h));
	ASSERT_EQ(3, self->s.served);
	for (i = 0; i < 3; i++) {
		EXPECT_NE(0, r[i].txn_id);
		EXPECT_EQ(self->s.txn[i], r[i].txn_id);
	}
	EXPECT_NE(r[0].txn_id, r[1].txn_id);
	EXPECT_NE(r[1].txn_id, r[2].txn_id);
	EXPECT_NE(r[0].txn_id, r[2].txn_id);
}

TEST_F(call, call_own_node)
{
	struct fastipc_ret r;
	char b[100];

	/* The server's test thread calls its own node; the looper serves. */
	server_start(_metadata, &self->s, handle_check);
	fipc_fill(b, sizeof(b), 40);
	ASSERT_EQ(0, fipc_call(self->s.p.fd, self->s.node, 40, b, sizeof(b), &r));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_EQ(41, r.code);
	ASSERT_EQ(sizeof(b), r.data_len);
	EXPECT_EQ(-1, fipc_check(fipc_payload(&self->s.p, &r), sizeof(b), 41));
	EXPECT_EQ(0, fipc_release_ret(self->s.p.fd, &r));
	ASSERT_EQ(0, server_stop(&self->s, self->c.fd, self->h));
	EXPECT_EQ(1, self->s.served);
	EXPECT_EQ(r.txn_id, self->s.txn[0]);
}

TEST_F(call, reply_error)
{
	struct fastipc_ret r;
	char b[8] = "x";

	server_start(_metadata, &self->s, handle_check);
	fipc_fill(b, 8, 5);
	ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 5 | CODE_ERROR, b, 8, &r));
	ASSERT_EQ(FASTIPC_RET_FAILED_REPLY, r.op);
	EXPECT_EQ(EACCES, r.code);
	EXPECT_EQ(FASTIPC_REASON_REPLIED_ERROR, r.reason);
	EXPECT_EQ(0, r.data_len);
	EXPECT_NE(0, r.txn_id);
	/* Both sides still work. */
	ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 6, b, 0, &r));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_EQ(7, r.code);
	ASSERT_EQ(0, server_stop(&self->s, self->c.fd, self->h));
	ASSERT_EQ(2, self->s.served);
	EXPECT_NE(self->s.txn[0], self->s.txn[1]);
}

/* Reader of the one-way test: collects 100 records as they come. */
struct oneway_reader {
	struct fipc_peer *p;
	unsigned int n;
	int fail;
	long fail_val;
	__u64 code[100], txn[100], seq[100], flags[100], len[100];
};

static void *oneway_main(void *arg)
{
	struct oneway_reader *o = arg;
	struct fastipc_ret r[16];
	int i, n;

	while (o->n < 100) {
		n = fipc_read(o->p->fd, 0, r, 16);
		if (n <= 0) {
			o->fail = __LINE__;
			o->fail_val = n;
			return NULL;
		}
		for (i = 0; i < n && o->n < 100; i++) {
			const void *d;
			__u32 seq = ~0U;

			if (r[i].op == FASTIPC_RET_SPAWN_LOOPER)
				continue;
			if (r[i].op != FASTIPC_RET_TRANSACTION) {
				o->fail = __LINE__;
				o->fail_val = r[i].op;
				continue;
			}
			d = fipc_payload(o->p, &r[i]);
			if (d && r[i].data_len >= 4)
				memcpy(&seq, d, 4);
			o->code[o->n] = r[i].code;
			o->txn[o->n] = r[i].txn_id;
			o->seq[o->n] = seq;
			o->flags[o->n] = r[i].flags;
			o->len[o->n] = r[i].data_len;
			o->n++;
			if (fipc_release_ret(o->p->fd, &r[i]) && !o->fail)
				o->fail = __LINE__;
		}
	}
	return NULL;
}

TEST_F(call, oneway_order)
{
	struct oneway_reader *o = calloc(1, sizeof(*o));
	struct fastipc_cmd c[10];
	struct fastipc_ret r;
	unsigned char msg[100][128];
	struct timespec ts;
	pthread_t t;
	int i, j;

	ASSERT_NE(NULL, o);
	o->p = &self->s.p;
	ASSERT_EQ(0, pthread_create(&t, NULL, oneway_main, o));
	/* Ten batches of ten; odd messages are pooled, even ones inline. */
	for (i = 0; i < 100; i += 10) {
		for (j = 0; j < 10; j++) {
			__u32 seq = i + j;

			memset(msg[seq], 0x5a, sizeof(msg[seq]));
			memcpy(msg[seq], &seq, 4);
			c[j] = fipc_cmd_send(self->h, 1000 + seq, msg[seq],
					     seq & 1 ? 128 : 4);
		}
		ASSERT_EQ(0, fipc_write(self->c.fd, c, 10, NULL));
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	ASSERT_EQ(0, pthread_timedjoin_np(t, NULL, &ts));
	EXPECT_EQ(0, o->fail) TH_LOG("reader line %d value %ld", o->fail,
				     o->fail_val);
	ASSERT_EQ(100, o->n);
	for (i = 0; i < 100; i++) {
		EXPECT_EQ(1000 + i, o->code[i]);
		EXPECT_EQ(i, o->seq[i]);
		EXPECT_EQ(i & 1 ? 128 : 4, o->len[i]);
		EXPECT_TRUE(o->flags[i] & FASTIPC_RET_ONEWAY);
		EXPECT_EQ(!(i & 1), !!(o->flags[i] & FASTIPC_RET_INLINE));
		EXPECT_NE(0, o->txn[i]);
		for (j = 0; j < i; j++)
			EXPECT_NE(o->txn[j], o->txn[i]);
	}
	/* Nothing more, and one-way transactions cannot be answered. */
	EXPECT_EQ(-EAGAIN, fipc_read(self->s.p.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	EXPECT_EQ(-EPROTO, fipc_write1(self->s.p.fd,
				       fipc_cmd_reply(o->txn[99], 0, NULL, 0)));
	FIPC_EXPECT_STAT(0, "buffers");
	free(o);
}

/* The server thread answers by ID from another thread it starts. */
struct late_reply {
	struct server *s;
	__u64 txn;
	int ret;
	pid_t tid;
};

static void *late_reply_main(void *arg)
{
	struct late_reply *l = arg;
	char b[100];

	l->tid = fipc_gettid();
	fipc_fill(b, sizeof(b), 77);
	l->ret = fipc_write1(l->s->p.fd, fipc_cmd_reply(l->txn, 77, b, sizeof(b)));
	return NULL;
}

static int handle_by_other_thread(struct server *s, const struct fastipc_ret *r)
{
	struct late_reply l = { .s = s, .txn = r->txn_id, .ret = -1 };
	pthread_t t;

	if (pthread_create(&t, NULL, late_reply_main, &l))
		return -EAGAIN;
	pthread_join(t, NULL);
	s->priv[0] = l.ret;
	s->priv[1] = l.tid;
	/* Answered already: this thread has nothing left to reply to. */
	s->priv[2] = fipc_write1(s->p.fd, fipc_cmd_reply(0, 0, NULL, 0));
	s->priv[3] = fipc_write1(s->p.fd, fipc_cmd_reply(r->txn_id, 0, NULL, 0));
	return 0;
}

TEST_F(call, reply_by_id_from_other_thread)
{
	struct fastipc_ret r;

	server_start(_metadata, &self->s, handle_by_other_thread);
	ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 1, "hi", 2, &r));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_EQ(77, r.code);
	ASSERT_EQ(100, r.data_len);
	EXPECT_EQ(-1, fipc_check(fipc_payload(&self->c, &r), 100, 77));
	EXPECT_EQ(0, fipc_release_ret(self->c.fd, &r));
	ASSERT_EQ(0, server_stop(&self->s, self->c.fd, self->h));
	EXPECT_EQ(r.txn_id, self->s.txn[0]);
	EXPECT_EQ(0, self->s.priv[0]);
	EXPECT_NE(self->s.tid, self->s.priv[1]);
	EXPECT_EQ(-EPROTO, self->s.priv[2]);
	EXPECT_EQ(-EPROTO, self->s.priv[3]);
}

struct one_call {
	int fd;
	__u32 h;
	unsigned int seed;
	int ret;
	struct fastipc_ret r;
};

/* A thread that makes one call and ends without LOOPER_EXIT. */
static void *one_call_main(void *arg)
{
	struct one_call *oc = arg;
	char b[16];

	fipc_fill(b, sizeof(b), oc->seed);
	oc->ret = fipc_call(oc->fd, oc->h, oc->seed, b, sizeof(b), &oc->r);
	return NULL;
}

TEST_F(call, exited_threads_are_forgotten)
{
	struct one_call oc = { .fd = self->c.fd, .h = self->h };
	long base;
	pthread_t t;
	int i;

	server_start(_metadata, &self->s, handle_check);
	/* This thread and the server's are known: one call each. */
	ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 30, NULL, 0, &oc.r));
	base = fipc_stat("threads");
	for (i = 0; i < 20; i++) {
		oc.seed = 40 + i;
		ASSERT_EQ(0, pthread_create(&t, NULL, one_call_main, &oc));
		ASSERT_EQ(0, pthread_join(t, NULL));
		ASSERT_EQ(0, oc.ret);
		ASSERT_EQ(FASTIPC_RET_REPLY, oc.r.op);
		EXPECT_EQ(41 + i, oc.r.code);
	}
	/* Each new thread's first call forgot the one that died before. */
	FIPC_EXPECT_STAT(base + 1, "threads");
	ASSERT_EQ(0, server_stop(&self->s, self->c.fd, self->h));
	EXPECT_EQ(21, self->s.served);
}

struct idle_reader {
	int fd;
	int note;	/* write end: one byte per message */
	pid_t tid;
};

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *idle_reader_main(void *arg)
{
	struct idle_reader *ir = arg;
	struct fastipc_ret r;

	pin_cpu0();
	ir->tid = fipc_gettid();
	for (;;) {
		if (fipc_read_one(ir->fd, 0, &r, NULL))
			break;
		if (r.code == FIPC_CODE_QUIT)
			break;
		fipc_signal(ir->note, 'M');
	}
	return NULL;
}

/*
 * A thread woken for work that another thread took first goes back on the
 * idle list: the next message still wakes it.  The test thread, real-time
 * on the same CPU, sends and takes the message before the woken thread can
 * run.
 */
TEST_F(call, woken_thread_that_finds_nothing_stays_idle)
{
	struct sched_param fifo = { .sched_priority = 10 }, other = { 0 };
	struct idle_reader ir = { .fd = self->s.p.fd };
	struct pollfd pfd;
	struct fastipc_ret r;
	int note[2];
	pthread_t t;

	FIPC_REQUIRE_CAP(CAP_SYS_NICE, "the test thread runs SCHED_FIFO");
	ASSERT_EQ(0, pipe2(note, O_CLOEXEC));
	ir.note = note[1];
	pin_cpu0();
	ASSERT_EQ(0, pthread_create(&t, NULL, idle_reader_main, &ir));
	while (!__atomic_load_n(&ir.tid, __ATOMIC_ACQUIRE))
		fipc_msleep(1);
	ASSERT_EQ(0, fipc_wait_sleeping(ir.tid));

	ASSERT_EQ(0, sched_setscheduler(0, SCHED_FIFO, &fifo));
	ASSERT_EQ(0, fipc_send(self->c.fd, self->h, 1, "one", 3));
	/* The reader is woken but cannot run before this read. */
	ASSERT_EQ(0, fipc_read_one(self->s.p.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(1, r.code);
	/* Done with it: the node's next one-way may go (one at a time). */
	EXPECT_EQ(-EAGAIN, fipc_read_one(self->s.p.fd, FASTIPC_WR_NONBLOCK,
					 &r, NULL));
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_OTHER, &other));
	fipc_msleep(20);
	ASSERT_EQ(0, fipc_wait_sleeping(ir.tid));

	ASSERT_EQ(0, fipc_send(self->c.fd, self->h, 2, "two", 3));
	pfd.fd = note[0];
	pfd.events = POLLIN;
	EXPECT_EQ(1, poll(&pfd, 1, 5000)) TH_LOG("the idle thread was lost");
	EXPECT_EQ('M', fipc_wait(note[0]));
	ASSERT_EQ(0, fipc_send(self->c.fd, self->h, FIPC_CODE_QUIT, NULL, 0));
	pthread_join(t, NULL);
	close(note[0]);
	close(note[1]);
}

TEST_F(call, free_buffers)
{
	struct fastipc_ret r;
	char b[1000];

	server_start(_metadata, &self->s, handle_check);
	fipc_fill(b, sizeof(b), 50);
	ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 50, b, sizeof(b), &r));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	ASSERT_EQ(0, r.flags & FASTIPC_RET_INLINE);
	EXPECT_GE(self->c.size, r.offset + r.data_len);
	FIPC_EXPECT_STAT(1, "buffers");
	/* Not the start of a live buffer. */
	EXPECT_EQ(-EINVAL, fipc_free(self->c.fd, r.offset + 8));
	EXPECT_EQ(-EINVAL, fipc_free(self->c.fd, self->c.size));
	EXPECT_EQ(-EINVAL, fipc_free(self->c.fd, ~0ULL));
	FIPC_EXPECT_STAT(1, "buffers");
	EXPECT_EQ(-1, fipc_check((char *)self->c.area + r.offset, sizeof(b), 51));
	EXPECT_EQ(0, fipc_free(self->c.fd, r.offset));
	FIPC_EXPECT_STAT(0, "buffers");
	/* Twice is once too many. */
	EXPECT_EQ(-EINVAL, fipc_free(self->c.fd, r.offset));
}

TEST_F(call, spawn_looper)
{
	struct fastipc_ret r[4];
	int n, i, txn = 0, spawn = 0;

	/* One looper, busy (here, not reading) while work arrives. */
	ASSERT_EQ(0, fipc_write1(self->s.p.fd,
				 fipc_cmd_op(FASTIPC_CMD_LOOPER_ENTER, 0, 0)));
	ASSERT_EQ(0, fipc_send(self->c.fd, self->h, 9, "abc", 3));
	n = fipc_read(self->s.p.fd, FASTIPC_WR_NONBLOCK, r, 4);
	ASSERT_LE(1, n);
	for (i = 0; i < n; i++) {
		if (r[i].op == FASTIPC_RET_TRANSACTION)
			txn++;
		else if (r[i].op == FASTIPC_RET_SPAWN_LOOPER)
			spawn++;
	}
	EXPECT_EQ(1, txn);
	EXPECT_EQ(1, spawn);
	EXPECT_EQ(n, txn + spawn);
	EXPECT_EQ(0, fipc_write1(self->s.p.fd,
				 fipc_cmd_op(FASTIPC_CMD_LOOPER_EXIT, 0, 0)));
}

/* Count the TRANSACTION and SPAWN_LOOPER records of one non-blocking read. */
static void read_counting(struct __test_metadata *_metadata, int fd,
			  int *txn, int *spawn)
{
	struct fastipc_ret r[4];
	int n, i;

	*txn = *spawn = 0;
	n = fipc_read(fd, FASTIPC_WR_NONBLOCK, r, 4);
	ASSERT_LE(1, n);
	for (i = 0; i < n; i++) {
		if (r[i].op == FASTIPC_RET_TRANSACTION)
			(*txn)++;
		else if (r[i].op == FASTIPC_RET_SPAWN_LOOPER)
			(*spawn)++;
	}
	ASSERT_EQ(n, *txn + *spawn);
}

TEST_F(call, per_peer_thread_limit)
{
	__u32 max = 1;
	int txn, spawn;

	ASSERT_EQ(0, fipc_write1(self->s.p.fd,
				 fipc_cmd_op(FASTIPC_CMD_LOOPER_ENTER, 0, 0)));
	/* One looper wanted, one there: no spawn request. */
	ASSERT_EQ(0, ioctl(self->s.p.fd, FASTIPC_IOC_SET_MAX_THREADS, &max));
	ASSERT_EQ(0, fipc_send(self->c.fd, self->h, 1, "a", 1));
	read_counting(_metadata, self->s.p.fd, &txn, &spawn);
	EXPECT_EQ(1, txn);
	EXPECT_EQ(0, spawn);
	/* Two wanted: asked once, and not again while that one is due. */
	max = 2;
	ASSERT_EQ(0, ioctl(self->s.p.fd, FASTIPC_IOC_SET_MAX_THREADS, &max));
	ASSERT_EQ(0, fipc_send(self->c.fd, self->h, 2, "b", 1));
	read_counting(_metadata, self->s.p.fd, &txn, &spawn);
	EXPECT_EQ(1, txn);
	EXPECT_EQ(1, spawn);
	ASSERT_EQ(0, fipc_send(self->c.fd, self->h, 3, "c", 1));
	read_counting(_metadata, self->s.p.fd, &txn, &spawn);
	EXPECT_EQ(1, txn);
	EXPECT_EQ(0, spawn);
	EXPECT_EQ(-1, ioctl(self->s.p.fd, FASTIPC_IOC_SET_MAX_THREADS,
			    (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, fipc_write1(self->s.p.fd,
				 fipc_cmd_op(FASTIPC_CMD_LOOPER_EXIT, 0, 0)));
}

TEST_F(call, flood_then_recover)
{
	struct fastipc_write_read wr;
	struct fastipc_ret r;
	struct fastipc_cmd c;
	unsigned long consumed = 1;
	char b[4096], *big;
	int i, sent, ret = 0;

	/* Replace the server's area by a small one: 64 KiB. */
	fipc_peer_close(&self->s.p);
	fipc_peer_close(&self->c);
	env_setup(_metadata, &self->c, &self->s, &self->h, 64 * 1024);

	for (sent = 0; sent < 64; sent++) {
		fipc_fill(b, sizeof(b), sent);
		c = fipc_cmd_send(self->h, sent, b, sizeof(b));
		ret = fipc_write(self->c.fd, &c, 1, &consumed);
		if (ret)
			break;
	}
	EXPECT_EQ(-ENOSPC, ret);
	EXPECT_EQ(0, consumed);
	/* One-way traffic may use at most half of the area. */
	EXPECT_LE(1, sent);
	EXPECT_GE(8, sent);
	FIPC_EXPECT_STAT(sent, "buffers");

	/* The receiver frees one: there is room for one more. */
	ASSERT_EQ(0, fipc_read_one(self->s.p.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(0, r.code);
	EXPECT_EQ(-1, fipc_check(fipc_payload(&self->s.p, &r), sizeof(b), 0));
	ASSERT_EQ(0, fipc_free(self->s.p.fd, r.offset));
	fipc_fill(b, sizeof(b), sent);
	EXPECT_EQ(0, fipc_send(self->c.fd, self->h, sent, b, sizeof(b)));

	/* Drain: everything arrives, in order, intact. */
	for (i = 1; i <= sent; i++) {
		ASSERT_EQ(0, fipc_read_one(self->s.p.fd, FASTIPC_WR_NONBLOCK,
					   &r, NULL));
		ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
		EXPECT_EQ(i, r.code);
		EXPECT_EQ(-1, fipc_check(fipc_payload(&self->s.p, &r),
					 sizeof(b), i));
		ASSERT_EQ(0, fipc_free(self->s.p.fd, r.offset));
	}
	EXPECT_EQ(-EAGAIN, fipc_read(self->s.p.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	FIPC_EXPECT_STAT(0, "buffers");
	/* Empty again: the full budget is back. */
	for (i = 0; i < sent; i++)
		EXPECT_EQ(0, fipc_send(self->c.fd, self->h, i, b, sizeof(b)));
	for (i = 0; i < sent; i++) {
		ASSERT_EQ(0, fipc_read_one(self->s.p.fd, FASTIPC_WR_NONBLOCK,
					   &r, NULL));
		ASSERT_EQ(0, fipc_free(self->s.p.fd, r.offset));
	}

	/* A call that can never fit fails at delivery, as a record. */
	big = calloc(1, 128 * 1024);
	ASSERT_NE(NULL, big);
	c = fipc_cmd_call(self->h, 1, big, 128 * 1024);
	ASSERT_EQ(0, fipc_wr(self->c.fd, 0, &c, 1, &r, 1, &wr));
	EXPECT_EQ(FIPC_CMD_SIZE, wr.write_consumed);
	ASSERT_EQ(FIPC_RET_SIZE, wr.read_consumed);
	EXPECT_EQ(FASTIPC_RET_FAILED_REPLY, r.op);
	EXPECT_EQ(FASTIPC_REASON_NO_SPACE, r.reason);
	EXPECT_EQ(ENOSPC, r.code);
	free(big);
}

/* ---- nested A -> B -> A ------------------------------------------------------ */

struct nest {
	struct fipc_peer a, b;
	__u32 na, nb;	/* owners' handles */
	__u32 a_hb;	/* A's handle to B's node */
	__u32 b_ha;	/* B's handle to A's node */
	int go[2];	/* idle looper announces itself */
	/* idle looper of A */
	pid_t idle_tid;
	unsigned int idle_got;
	pid_t idle_txn_tid;
	int idle_fail;
	/* B's server */
	__u64 b_txn;
	__u64 b_nested_reply_txn;
	__u32 b_nested_reply_op;
	__u64 b_nested_reply_code;
	int b_fail;
};

static void *nest_idle_main(void *arg)
{
	struct nest *n = arg;
	struct fastipc_ret r;

	n->idle_tid = fipc_gettid();
	if (fipc_write1(n->a.fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_ENTER, 0, 0)))
		n->idle_fail = __LINE__;
	fipc_signal(n->go[1], 'I');
	for (;;) {
		if (fipc_read_one(n->a.fd, 0, &r, NULL)) {
			n->idle_fail = __LINE__;
			break;
		}
		if (r.op == FASTIPC_RET_TRANSACTION &&
		    (r.flags & FASTIPC_RET_ONEWAY) && r.code == FIPC_CODE_QUIT)
			break;
		n->idle_got++;
		n->idle_txn_tid = fipc_gettid();
		/* Answer anyway so that a misrouted call does not hang. */
		if (r.op == FASTIPC_RET_TRANSACTION &&
		    !(r.flags & FASTIPC_RET_ONEWAY))
			fipc_write1(n->a.fd, fipc_cmd_reply(r.txn_id, 0, NULL, 0));
	}
	fipc_write1(n->a.fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_EXIT, 0, 0));
	return NULL;
}

static void *nest_b_main(void *arg)
{
	struct nest *n = arg;
	struct fastipc_ret r;

	for (;;) {
		if (fipc_read_one(n->b.fd, 0, &r, NULL)) {
			n->b_fail = __LINE__;
			return NULL;
		}
		if (r.op != FASTIPC_RET_TRANSACTION) {
			n->b_fail = __LINE__;
			continue;
		}
		if (r.flags & FASTIPC_RET_ONEWAY)
			return NULL;	/* quit */
		break;
	}
	if (r.cookie != COOKIE_B || memcmp(r.inline_data, "outer", 5))
		n->b_fail = __LINE__;
	n->b_txn = r.txn_id;
	/* Call back into A while serving A's call. */
	if (fipc_call(n->b.fd, n->b_ha, 2, "nested", 6, &r)) {
		n->b_fail = __LINE__;
	} else {
		n->b_nested_reply_op = r.op;
		n->b_nested_reply_txn = r.txn_id;
		n->b_nested_reply_code = r.code;
		if (r.data_len != 5 || memcmp(r.inline_data, "inner", 5))
			n->b_fail = __LINE__;
	}
	if (fipc_write1(n->b.fd, fipc_cmd_reply(0, 3, "done", 4)))
		n->b_fail = __LINE__;
	return NULL;
}

TEST(nested_call_goes_to_calling_thread)
{
	struct nest *n = calloc(1, sizeof(*n));
	struct fastipc_cmd c;
	struct fastipc_ret r;
	pthread_t idle, srv;
	struct timespec ts;
	__u64 nested_txn;

	ASSERT_NE(NULL, n);
	ASSERT_EQ(0, pipe2(n->go, O_CLOEXEC));
	ASSERT_EQ(0, fipc_peer_open(&n->a, AREA));
	ASSERT_EQ(0, fipc_peer_open(&n->b, AREA));
	ASSERT_EQ(0, fipc_node_create(n->a.fd, 0, COOKIE_A, &n->na));
	ASSERT_EQ(0, fipc_node_create(n->b.fd, 0, COOKIE_B, &n->nb));
	ASSERT_EQ(0, fipc_share(n->b.fd, n->nb, n->a.fd, &n->a_hb));
	ASSERT_EQ(0, fipc_share(n->a.fd, n->na, n->b.fd, &n->b_ha));

	ASSERT_EQ(0, pthread_create(&idle, NULL, nest_idle_main, n));
	ASSERT_EQ('I', fipc_wait(n->go[0]));
	ASSERT_EQ(0, fipc_wait_sleeping(n->idle_tid));
	ASSERT_EQ(0, pthread_create(&srv, NULL, nest_b_main, n));

	/* This thread calls B and gets B's call back, with the same ID. */
	ASSERT_EQ(0, fipc_call(n->a.fd, n->a_hb, 1, "outer", 5, &r));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op)
		TH_LOG("the nested call did not come to the calling thread");
	EXPECT_EQ(COOKIE_A, r.cookie);
	EXPECT_EQ(2, r.code);
	EXPECT_EQ(0, r.flags & FASTIPC_RET_ONEWAY);
	EXPECT_EQ(6, r.data_len);
	EXPECT_EQ(0, memcmp(r.inline_data, "nested", 6));
	EXPECT_NE(0, r.txn_id);
	nested_txn = r.txn_id;
	EXPECT_EQ(0, n->idle_got);

	/* Answer it, then keep waiting for B's answer. */
	c = fipc_cmd_reply(0, 4, "inner", 5);
	ASSERT_EQ(0, fipc_transact(n->a.fd, &c, 1, &r));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_EQ(3, r.code);
	EXPECT_EQ(4, r.data_len);
	EXPECT_EQ(0, memcmp(r.inline_data, "done", 4));
	EXPECT_EQ(nested_txn, r.txn_id);

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	ASSERT_EQ(0, pthread_timedjoin_np(srv, NULL, &ts));
	EXPECT_EQ(0, n->b_fail) TH_LOG("B failed at line %d", n->b_fail);
	EXPECT_EQ(nested_txn, n->b_txn);
	EXPECT_EQ(FASTIPC_RET_REPLY, n->b_nested_reply_op);
	EXPECT_EQ(4, n->b_nested_reply_code);
	EXPECT_EQ(nested_txn, n->b_nested_reply_txn);

	/* The idle looper saw nothing but its QUIT. */
	ASSERT_EQ(0, fipc_send(n->b.fd, n->b_ha, FIPC_CODE_QUIT, NULL, 0));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	ASSERT_EQ(0, pthread_timedjoin_np(idle, NULL, &ts));
	EXPECT_EQ(0, n->idle_fail);
	EXPECT_EQ(0, n->idle_got) TH_LOG("looper %d got a transaction (caller %d)",
				      n->idle_txn_tid, fipc_gettid());

	fipc_peer_close(&n->a);
	fipc_peer_close(&n->b);
	close(n->go[0]);
	close(n->go[1]);
	free(n);
	FIPC_EXPECT_ZERO();
}

/* ---- A -> B -> A -> C: a nested handler calls a third peer ----------- */

struct chain {
	struct fipc_peer a, b, c;
	__u32 a_hb, a_hc, b_ha;
	int c_go[2];		/* C answers when told */
	int b_early[2];		/* B's second thread answers A's outer call */
	volatile __u64 outer_txn;
	int early;		/* 0, CHAIN_EARLY_BEFORE or CHAIN_EARLY_WHILE */
	pid_t a_tid;
	int ack[2];		/* B's second thread answered */
	int fail;
	__u64 b_nested_code;
};

/* C: answer one call with 42 "from-c" once told, then quit on a one-way. */
static void *chain_c_main(void *arg)
{
	struct chain *ch = arg;
	struct fastipc_ret r;

	for (;;) {
		if (fipc_read_one(ch->c.fd, 0, &r, NULL)) {
			ch->fail = __LINE__;
			return NULL;
		}
		if (r.flags & FASTIPC_RET_ONEWAY)
			return NULL;
		if (fipc_wait(ch->c_go[0]) != 'C')
			ch->fail = __LINE__;
		if (fipc_write1(ch->c.fd, fipc_cmd_reply(0, 42, "from-c", 6)))
			ch->fail = __LINE__;
	}
}

/* B: take A's outer call, call back into A, then answer "done". */
static void *chain_b_main(void *arg)
{
	struct chain *ch = arg;
	struct fastipc_ret r;

	if (fipc_read_one(ch->b.fd, 0, &r, NULL) ||
	    r.op != FASTIPC_RET_TRANSACTION) {
		ch->fail = __LINE__;
		return NULL;
	}
	__atomic_store_n(&ch->outer_txn, r.txn_id, __ATOMIC_RELEASE);
	if (fipc_call(ch->b.fd, ch->b_ha, 2, "nested", 6, &r) ||
	    r.op != FASTIPC_RET_REPLY)
		ch->fail = __LINE__;
	ch->b_nested_code = r.code;
	/* The early variant answered the outer call already. */
	if (fipc_write1(ch->b.fd, fipc_cmd_reply(0, 3, "done", 4)) !=
	    (ch->early ? -EPROTO : 0))
		ch->fail = __LINE__;
	return NULL;
}

#define CHAIN_EARLY_BEFORE	1	/* before A's handler calls C */
#define CHAIN_EARLY_WHILE	2	/* while A waits for C */

/* B's second thread: answer A's outer call by ID ahead of C's answer. */
static void *chain_b_early_main(void *arg)
{
	struct chain *ch = arg;

	if (fipc_wait(ch->b_early[0]) != 'E')
		ch->fail = __LINE__;
	if (ch->early == CHAIN_EARLY_WHILE && fipc_wait_sleeping(ch->a_tid))
		ch->fail = __LINE__;
	if (fipc_write1(ch->b.fd, fipc_cmd_reply(ch->outer_txn, 7, "early", 5)))
		ch->fail = __LINE__;
	fipc_signal(ch->ack[1], 'D');
	fipc_signal(ch->c_go[1], 'C');
	return NULL;
}

static void chain_run(struct __test_metadata *_metadata, int early)
{
	struct chain *ch = calloc(1, sizeof(*ch));
	pthread_t b, b2, c;
	struct fastipc_cmd cmd;
	struct fastipc_ret r;
	__u32 na, nb, nc;
	__u64 nested;

	ASSERT_NE(NULL, ch);
	ch->early = early;
	ch->a_tid = fipc_gettid();
	ASSERT_EQ(0, pipe2(ch->ack, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(ch->c_go, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(ch->b_early, O_CLOEXEC));
	ASSERT_EQ(0, fipc_peer_open(&ch->a, AREA));
	ASSERT_EQ(0, fipc_peer_open(&ch->b, AREA));
	ASSERT_EQ(0, fipc_peer_open(&ch->c, AREA));
	ASSERT_EQ(0, fipc_node_create(ch->a.fd, 0, COOKIE_A, &na));
	ASSERT_EQ(0, fipc_node_create(ch->b.fd, 0, COOKIE_B, &nb));
	ASSERT_EQ(0, fipc_node_create(ch->c.fd, 0, 0xc, &nc));
	ASSERT_EQ(0, fipc_share(ch->b.fd, nb, ch->a.fd, &ch->a_hb));
	ASSERT_EQ(0, fipc_share(ch->c.fd, nc, ch->a.fd, &ch->a_hc));
	ASSERT_EQ(0, fipc_share(ch->a.fd, na, ch->b.fd, &ch->b_ha));
	ASSERT_EQ(0, pthread_create(&c, NULL, chain_c_main, ch));
	ASSERT_EQ(0, pthread_create(&b, NULL, chain_b_main, ch));
	if (early)
		ASSERT_EQ(0, pthread_create(&b2, NULL, chain_b_early_main, ch));

	/* A calls B and is called back, with the same transaction ID. */
	ASSERT_EQ(0, fipc_call(ch->a.fd, ch->a_hb, 1, "outer", 5, &r));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	nested = r.txn_id;
	/* Its handler calls C: allowed, as binder allows A->B->A->C. */
	if (early)
		fipc_signal(ch->b_early[1], 'E');
	else
		fipc_signal(ch->c_go[1], 'C');
	/* The outer answer is there before the inner call is made. */
	if (early == CHAIN_EARLY_BEFORE)
		ASSERT_EQ('D', fipc_wait(ch->ack[0]));
	ASSERT_EQ(0, fipc_call(ch->a.fd, ch->a_hc, 9, "third", 5, &r));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_EQ(42, r.code);
	EXPECT_EQ(0, memcmp(r.inline_data, "from-c", 6));
	EXPECT_EQ(nested, r.txn_id);	/* the chain keeps its ID */
	/* Answer B's nested call, then read the answer to the outer call. */
	cmd = fipc_cmd_reply(0, 4, "inner", 5);
	ASSERT_EQ(0, fipc_transact(ch->a.fd, &cmd, 1, &r));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_EQ(early ? 7 : 3, r.code);
	EXPECT_EQ(0, memcmp(r.inline_data, early ? "early" : "done", 4));
	EXPECT_EQ(nested, r.txn_id);

	ASSERT_EQ(0, pthread_join(b, NULL));
	if (early)
		ASSERT_EQ(0, pthread_join(b2, NULL));
	EXPECT_EQ(0, ch->fail) TH_LOG("failed at line %d", ch->fail);
	EXPECT_EQ(4, ch->b_nested_code);
	ASSERT_EQ(0, fipc_send(ch->a.fd, ch->a_hc, FIPC_CODE_QUIT, NULL, 0));
	ASSERT_EQ(0, pthread_join(c, NULL));
	fipc_peer_close(&ch->a);
	fipc_peer_close(&ch->b);
	fipc_peer_close(&ch->c);
	close(ch->c_go[0]);
	close(ch->c_go[1]);
	close(ch->b_early[0]);
	close(ch->b_early[1]);
	close(ch->ack[0]);
	close(ch->ack[1]);
	free(ch);
	FIPC_EXPECT_ZERO();
}

TEST(nested_handler_calls_a_third_peer)
{
	chain_run(_metadata, 0);
}

/*
 * The answer to A's outer call comes (from another thread of B) before
 * C's answer: it is kept until A waits for the outer call again, not
 * dropped and not read in place of C's answer; whether it came before
 * A's handler called C or while A waited for C.
 */
TEST(outer_reply_before_inner_call_is_kept)
{
	chain_run(_metadata, CHAIN_EARLY_BEFORE);
}

TEST(outer_reply_while_inner_call_waits_is_kept)
{
	chain_run(_metadata, CHAIN_EARLY_WHILE);
}

/* ---- servers and clients in other processes -------------------------- */

/* Receive one call, say so, and die with it pending. */
static void body_die_mid_call(int fd, void *area, int ctl, int ack)
{
	struct fastipc_ret r;

	if (fipc_read_one(fd, 0, &r, NULL) || r.op != FASTIPC_RET_TRANSACTION)
		_exit(20);
	fipc_signal(ack, 'R');
	raise(SIGKILL);
}

/* Never read: calls stay queued until the parent kills us. */
static void body_never_read(int fd, void *area, int ctl, int ack)
{
	fipc_signal(ack, 'U');
	fipc_wait(ctl);
	_exit(0);
}

static void check_dead_handle(struct __test_metadata *_metadata, int fd,
			      __u32 h)
{
	struct fastipc_write_read wr;
	struct fastipc_cmd c = fipc_cmd_call(h, 1, "x", 1);
	struct fastipc_ret r;

	/* A call to a dead node is consumed and fails as a record. */
	ASSERT_EQ(0, fipc_wr(fd, 0, &c, 1, &r, 1, &wr));
	EXPECT_EQ(FIPC_CMD_SIZE, wr.write_consumed);
	ASSERT_EQ(FIPC_RET_SIZE, wr.read_consumed);
	EXPECT_EQ(FASTIPC_RET_DEAD_REPLY, r.op);
	EXPECT_EQ(FASTIPC_REASON_DEAD_TARGET, r.reason);
	EXPECT_EQ(EPIPE, r.code);
	EXPECT_EQ(-EPIPE, fipc_send(fd, h, 1, "x", 1));
}

/* The debugfs failed-transaction log names transaction @id. */
static bool failed_log_has(__u64 id, __u32 op, __u32 reason)
{
	char line[160], want[64];
	bool found = false;
	FILE *f;

	f = fopen("/sys/kernel/debug/fastipc/failed", "r");
	if (!f)
		return false;
	snprintf(want, sizeof(want), "txn %llu ", (unsigned long long)id);
	while (fgets(line, sizeof(line), f)) {
		unsigned int o, rs;
		char *p = strstr(line, " op ");

		if (strncmp(line, want, strlen(want)) || !p ||
		    sscanf(p, " op %u reason %u", &o, &rs) != 2)
			continue;
		found |= o == op && rs == reason;
	}
	fclose(f);
	return found;
}

TEST(dead_reply_server_killed_mid_call)
{
	struct fipc_peer c;
	struct fipc_child ch;
	struct fastipc_ret r;
	char b[100];
	int status;
	__u32 h;

	ASSERT_EQ(0, fipc_peer_open(&c, AREA));
	ASSERT_EQ(0, fipc_child_spawn(&ch, c.fd, COOKIE_S, &h, body_die_mid_call));
	fipc_fill(b, sizeof(b), 1);
	ASSERT_EQ(0, fipc_call(c.fd, h, 1, b, sizeof(b), &r));
	EXPECT_EQ(FASTIPC_RET_DEAD_REPLY, r.op);
	EXPECT_EQ(FASTIPC_REASON_DEAD_TARGET, r.reason);
	EXPECT_NE(0, r.txn_id);
	if (fipc_debugfs_ok())
		EXPECT_TRUE(failed_log_has(r.txn_id, FASTIPC_RET_DEAD_REPLY,
					   FASTIPC_REASON_DEAD_TARGET));
	EXPECT_EQ('R', fipc_wait(ch.ack));
	status = fipc_child_reap(&ch);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	check_dead_handle(_metadata, c.fd, h);
	EXPECT_EQ(0, fipc_write1(c.fd, fipc_cmd_op(FASTIPC_CMD_RELEASE, h, 0)));
	fipc_peer_close(&c);
	FIPC_EXPECT_ZERO();
}

struct killer {
	pid_t pid;
	pid_t caller;	/* the thread that makes the call */
	long txns;
};

static void *killer_main(void *arg)
{
	struct killer *k = arg;

	/*
	 * Kill once the call is queued (one transaction is alive) or, where
	 * debugfs is out of reach, once the caller sleeps waiting for it.
	 */
	if (fipc_debugfs_readable())
		k->txns = fipc_wait_stat("txns", 1);
	else
		k->txns = fipc_wait_sleeping(k->caller) ? -1 : 1;
	kill(k->pid, SIGKILL);
	return NULL;
}

TEST(dead_reply_server_killed_call_queued)
{
	struct killer k;
	struct fipc_peer c;
	struct fipc_child ch;
	struct fastipc_ret r;
	pthread_t t;
	int status;
	__u32 h;

	ASSERT_EQ(0, fipc_peer_open(&c, AREA));
	ASSERT_EQ(0, fipc_child_spawn(&ch, c.fd, COOKIE_S, &h, body_never_read));
	ASSERT_EQ('U', fipc_wait(ch.ack));
	k.pid = ch.pid;
	k.caller = fipc_gettid();
	ASSERT_EQ(0, pthread_create(&t, NULL, killer_main, &k));
	ASSERT_EQ(0, fipc_call(c.fd, h, 1, "queued", 6, &r));
	EXPECT_EQ(FASTIPC_RET_DEAD_REPLY, r.op);
	EXPECT_EQ(FASTIPC_REASON_DEAD_TARGET, r.reason);
	pthread_join(t, NULL);
	EXPECT_EQ(1, k.txns);
	status = fipc_child_reap(&ch);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	check_dead_handle(_metadata, c.fd, h);
	fipc_peer_close(&c);
	FIPC_EXPECT_ZERO();
}

TEST(reply_to_dead_client_is_discarded)
{
	struct fipc_peer s;
	struct fastipc_ret r;
	char b[300];
	int efd, status;
	__u32 node;
	pid_t pid;

	ASSERT_EQ(0, fipc_peer_open(&s, AREA));
	ASSERT_EQ(0, fipc_node_create(s.fd, 0, COOKIE_S, &node));
	efd = fipc_export(s.fd, node);
	ASSERT_LE(0, efd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct fipc_peer c;
		__u32 h;

		alarm(30);
		close(s.fd);
		if (fipc_peer_open(&c, FIPC_MIB) || fipc_import(c.fd, efd, &h))
			_exit(10);
		fipc_fill(b, sizeof(b), 3);
		fipc_call(c.fd, h, 3, b, sizeof(b), &r);
		_exit(11);	/* never: the parent kills us first */
	}
	close(efd);
	ASSERT_EQ(0, fipc_read_one(s.fd, 0, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(pid, r.sender_pid);
	EXPECT_EQ(COOKIE_S, r.cookie);
	EXPECT_EQ(sizeof(b), r.data_len);
	EXPECT_EQ(-1, fipc_check(fipc_payload(&s, &r), sizeof(b), 3));
	EXPECT_EQ(0, fipc_free(s.fd, r.offset));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* The reply has nowhere to go: it is dropped, but the REPLY works. */
	fipc_fill(b, sizeof(b), 4);
	EXPECT_EQ(0, fipc_write1(s.fd, fipc_cmd_reply(0, 4, b, sizeof(b))));
	/* And it was answered: nothing left to answer. */
	EXPECT_EQ(-EPROTO, fipc_write1(s.fd, fipc_cmd_reply(r.txn_id, 0, NULL, 0)));
	/* The client's handle died with it; nothing else is queued. */
	ASSERT_EQ(0, fipc_read_one(s.fd, 0, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_NODE_RELEASED, r.op);
	EXPECT_EQ(COOKIE_S, r.cookie);
	EXPECT_EQ(-EAGAIN, fipc_read(s.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	fipc_peer_close(&s);
	FIPC_EXPECT_ZERO();
}

TEST_HARNESS_MAIN
