// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc: calls, one-ways, replies and receiving through io_uring
 * (FASTIPC_URING_CMD, FASTIPC_URING_RECV), many calls in flight from one
 * thread, completions in any order, cancellation (FASTIPC_IOC_CANCEL), and
 * exactly one completion per SQE when the server dies, the ring is closed
 * or the submitter is killed.  Built with liburing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <liburing.h>

#include "kselftest_harness.h"
#include "fastipc_util.h"

#define AREA		FIPC_MIB
#define INFLIGHT	64
#define CODE_BIG	0xb16	/* the server answers with a 1000-byte reply */

/* The 16-byte payload of a fastipc SQE, built by hand (liburing 2.3). */
static void prep_fipc(struct io_uring_sqe *sqe, int fd, __u32 cmd_op,
		      const void *cmd, const void *ret, __u64 user_data)
{
	struct fastipc_uring_cmd uc = { fipc_ptr(cmd), fipc_ptr(ret) };

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = cmd_op;
	sqe->__pad1 = 0;
	sqe->uring_cmd_flags = 0;
	memcpy(sqe->cmd, &uc, sizeof(uc));
	sqe->user_data = user_data;
}

static int ring_init(struct io_uring *ring, unsigned int entries)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQE32;
	return io_uring_queue_init_params(entries, ring, &p);
}

/* Submit one fastipc command.  Return: 0 or -errno from the submission. */
static int submit_fipc(struct io_uring *ring, int fd, __u32 cmd_op,
		       const void *cmd, const void *ret, __u64 user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	int n;

	if (!sqe)
		return -EBUSY;
	prep_fipc(sqe, fd, cmd_op, cmd, ret, user_data);
	n = io_uring_submit(ring);
	return n == 1 ? 0 : n < 0 ? n : -EIO;
}

/* Reap one CQE (within 10 s): its user_data, res and big_cqe[0]. */
static int reap(struct io_uring *ring, __u64 *ud, int *res, __u64 *res2)
{
	struct __kernel_timespec ts = { .tv_sec = 10 };
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret;
	*ud = cqe->user_data;
	*res = cqe->res;
	if (res2)
		*res2 = cqe->big_cqe[0];
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

/* Is a CQE there within @ms? */
static bool cqe_within(struct io_uring *ring, unsigned int ms)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000,
					.tv_nsec = (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;

	return !io_uring_wait_cqe_timeout(ring, &cqe, &ts);
}

/* 0 while the caller waits, -ECANCELED once it gave up, -ENOENT. */
static int txn_waited(int fd, __u64 id)
{
	return ioctl(fd, FASTIPC_IOC_TXN_WAITED, &id) ? -errno : 0;
}

static int cancel_id(int fd, __u64 id)
{
	struct fastipc_cancel c = { .txn_id = id };

	return ioctl(fd, FASTIPC_IOC_CANCEL, &c) ? -errno : 0;
}

/* ---- a synchronous server ------------------------------------------------ */

/**
 * struct srv - a server thread on peer @p.
 * @batch: read this many transactions before answering them, last first.
 * @silent: read transactions but never answer them (until QUIT).
 * @served: transactions answered.
 * @fail: the line that failed, or 0.
 */
struct srv {
	struct fipc_peer *p;
	int batch;
	bool silent;
	int served;
	int fail;
	pthread_t t;
};

static int srv_answer(struct srv *s, const struct fastipc_ret *r)
{
	static char big[1000];
	const void *data = r->flags & FASTIPC_RET_INLINE ? r->inline_data :
			   fipc_payload(s->p, r);
	int ret;

	if (r->code == CODE_BIG) {
		memset(big, 'B', sizeof(big));
		ret = fipc_write1(s->p->fd, fipc_cmd_reply(r->txn_id, r->code + 1,
							   big, sizeof(big)));
	} else {
		ret = fipc_write1(s->p->fd, fipc_cmd_reply(r->txn_id, r->code + 1,
							   data, r->data_len));
	}
	if (!(r->flags & FASTIPC_RET_INLINE))
		fipc_free(s->p->fd, r->offset);
	return ret;
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	struct fastipc_ret rs[INFLIGHT];
	int n = 0, i;

	for (;;) {
		if (fipc_read_one(s->p->fd, 0, &rs[n], NULL)) {
			s->fail = __LINE__;
			return NULL;
		}
		if (rs[n].op != FASTIPC_RET_TRANSACTION)
			continue;
		if (rs[n].code == FIPC_CODE_QUIT) {
			if (!(rs[n].flags & FASTIPC_RET_ONEWAY))
				fipc_write1(s->p->fd,
					    fipc_cmd_reply(rs[n].txn_id, 0, NULL, 0));
			return NULL;
		}
		if (rs[n].flags & FASTIPC_RET_ONEWAY) {
			s->served++;
			continue;
		}
		if (s->silent)
			continue;
		if (++n < s->batch)
			continue;
		for (i = n - 1; i >= 0; i--) {
			if (srv_answer(s, &rs[i])) {
				s->fail = __LINE__;
				return NULL;
			}
			s->served++;
		}
		n = 0;
	}
}

static int srv_start(struct srv *s, struct fipc_peer *p, int batch)
{
	memset(s, 0, sizeof(*s));
	s->p = p;
	s->batch = batch;
	return pthread_create(&s->t, NULL, srv_main, s);
}

/* ---- the fixture --------------------------------------------------------- */

FIXTURE(ur) {
	struct fipc_peer s, c;
	__u32 node;	/* s's own handle */
	__u32 h;	/* c's handle to s's node */
	struct io_uring ring;
	bool ring_up;
	struct srv srv;
	bool srv_up;
};

FIXTURE_SETUP(ur)
{
	struct fastipc_version v;

	ASSERT_EQ(0, fipc_peer_open(&self->s, AREA));
	ASSERT_EQ(0, fipc_peer_open(&self->c, AREA));
	ASSERT_EQ(0, ioctl(self->c.fd, FASTIPC_IOC_VERSION, &v));
	if (!(v.features & FASTIPC_FEAT_URING))
		SKIP(return, "module without FASTIPC_FEAT_URING");
	ASSERT_EQ(0, fipc_node_create(self->s.fd, 0, 0x5a, &self->node));
	ASSERT_EQ(0, fipc_share(self->s.fd, self->node, self->c.fd, &self->h));
	ASSERT_EQ(0, ring_init(&self->ring, 256));
	self->ring_up = true;
}

FIXTURE_TEARDOWN(ur)
{
	struct fastipc_ret r;

	if (self->srv_up) {
		fipc_send(self->c.fd, self->h, FIPC_CODE_QUIT, NULL, 0);
		pthread_join(self->srv.t, NULL);
		EXPECT_EQ(0, self->srv.fail);
	}
	(void)r;
	if (self->ring_up)
		io_uring_queue_exit(&self->ring);
	fipc_peer_close(&self->c);
	fipc_peer_close(&self->s);
	FIPC_EXPECT_ZERO();
	FIPC_EXPECT_STAT_SOON(0, "ring_ops");
}

static void start_srv(struct __test_metadata *_metadata,
		      FIXTURE_DATA(ur) *self, int batch)
{
	ASSERT_EQ(0, srv_start(&self->srv, &self->s, batch));
	self->srv_up = true;
}

/* ---- tests --------------------------------------------------------------- */

TEST_F(ur, feature_bit_and_cancel_of_nothing)
{
	EXPECT_EQ(-ENOENT, cancel_id(self->c.fd, 12345));
}

TEST_F(ur, one_call)
{
	struct fastipc_cmd cmd = fipc_cmd_call(self->h, 7, "hello", 5);
	struct fastipc_ret r;
	__u64 ud, res2;
	int res;

	start_srv(_metadata, self, 1);
	memset(&r, 0xff, sizeof(r));
	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CMD,
				 &cmd, &r, 42));
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	EXPECT_EQ(42, ud);
	EXPECT_EQ(FASTIPC_RET_REPLY, res);
	EXPECT_EQ((__u64)FASTIPC_URING_INLINE << 32 | 5, res2);
	EXPECT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_EQ(8, r.code);
	EXPECT_NE(0, r.txn_id);
	EXPECT_EQ(5, r.data_len);
	EXPECT_TRUE(r.flags & FASTIPC_RET_INLINE);
	EXPECT_EQ(0, memcmp(r.inline_data, "hello", 5));
}

TEST_F(ur, reply_in_the_area)
{
	struct fastipc_cmd cmd = fipc_cmd_call(self->h, CODE_BIG, "x", 1);
	struct fastipc_ret r;
	const char *p;
	__u64 ud, res2;
	int res, i;

	start_srv(_metadata, self, 1);
	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CMD,
				 &cmd, &r, 1));
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	ASSERT_EQ(FASTIPC_RET_REPLY, res);
	EXPECT_FALSE(r.flags & FASTIPC_RET_INLINE);
	EXPECT_EQ(1000, r.data_len);
	EXPECT_EQ(r.offset << 32 | 1000, res2);
	p = fipc_payload(&self->c, &r);
	for (i = 0; i < 1000; i++)
		if (p[i] != 'B')
			break;
	EXPECT_EQ(1000, i);
	EXPECT_EQ(0, fipc_free(self->c.fd, r.offset));
}

/*
 * 64 calls in flight from one thread, answered last first: each answer
 * completes its own SQE (the order of the CQEs is io_uring's task work's).
 */
TEST_F(ur, many_in_flight_complete_in_any_order)
{
	static struct fastipc_cmd cmds[INFLIGHT];
	static struct fastipc_ret rs[INFLIGHT];
	static char msgs[INFLIGHT][8];
	__u64 seen = 0, ids[INFLIGHT], ud, res2;
	struct io_uring_sqe *sqe;
	int i, j, res;

	start_srv(_metadata, self, INFLIGHT);
	for (i = 0; i < INFLIGHT; i++) {
		snprintf(msgs[i], sizeof(msgs[i]), "m%d", i);
		cmds[i] = fipc_cmd_call(self->h, 1000 + i, msgs[i],
					strlen(msgs[i]));
		sqe = io_uring_get_sqe(&self->ring);
		ASSERT_NE(NULL, sqe);
		prep_fipc(sqe, self->c.fd, FASTIPC_URING_CMD, &cmds[i], &rs[i],
			  i);
	}
	ASSERT_EQ(INFLIGHT, io_uring_submit(&self->ring));
	/* Each has its own ID, known as soon as the submission returned. */
	for (i = 0; i < INFLIGHT; i++) {
		ids[i] = rs[i].txn_id;
		EXPECT_NE(0, ids[i]);
		for (j = 0; j < i; j++)
			EXPECT_NE(ids[j], ids[i]);
	}
	for (i = 0; i < INFLIGHT; i++) {
		ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
		ASSERT_GT(INFLIGHT, ud);
		EXPECT_FALSE(seen & (1ULL << ud));
		seen |= 1ULL << ud;
		EXPECT_EQ(FASTIPC_RET_REPLY, res);
		EXPECT_EQ(1001 + ud, rs[ud].code);
		EXPECT_EQ(ids[ud], rs[ud].txn_id);
		EXPECT_EQ(strlen(msgs[ud]), rs[ud].data_len);
		EXPECT_EQ(0, memcmp(rs[ud].inline_data, msgs[ud],
				    strlen(msgs[ud])));
	}
	EXPECT_EQ(~0ULL, seen);
	EXPECT_FALSE(cqe_within(&self->ring, 50));
}

/* A synchronous call between ring calls of the same thread and peer. */
TEST_F(ur, mixed_sync_and_async_on_one_peer)
{
	struct fastipc_cmd cmds[8];
	struct fastipc_ret rs[8], r;
	__u64 seen = 0, ud, res2;
	int i, res;

	start_srv(_metadata, self, 1);
	for (i = 0; i < 8; i++) {
		cmds[i] = fipc_cmd_call(self->h, 10 * i, "a", 1);
		ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd,
					 FASTIPC_URING_CMD, &cmds[i], &rs[i], i));
		if (i == 3) {
			ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 5000, "s",
					       1, &r));
			EXPECT_EQ(FASTIPC_RET_REPLY, r.op);
			EXPECT_EQ(5001, r.code);
		}
	}
	ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 6000, "t", 1, &r));
	EXPECT_EQ(6001, r.code);
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
		ASSERT_GT(8, ud);
		EXPECT_EQ(FASTIPC_RET_REPLY, res);
		EXPECT_EQ(10 * ud + 1, rs[ud].code);
		seen |= 1ULL << ud;
	}
	EXPECT_EQ(0xff, seen);
}

TEST_F(ur, send_and_reply_error_through_the_ring)
{
	struct fastipc_cmd send = fipc_cmd_send(self->h, 77, "ow", 2);
	struct fastipc_cmd call = fipc_cmd_call(self->h, 1, NULL, 0);
	struct fastipc_cmd rerr;
	struct fastipc_ret r, cr;
	__u64 ud, res2;
	int res, i;

	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CMD,
				 &send, NULL, 1));
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	EXPECT_EQ(0, res);
	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_TRUE(r.flags & FASTIPC_RET_ONEWAY);
	EXPECT_EQ(77, r.code);

	/* The server answers a ring call with REPLY_ERROR, through its ring. */
	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CMD,
				 &call, &cr, 2));
	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(cr.txn_id, r.txn_id);
	rerr = fipc_cmd_reply_error(r.txn_id, EACCES);
	ASSERT_EQ(0, submit_fipc(&self->ring, self->s.fd, FASTIPC_URING_CMD,
				 &rerr, NULL, 3));
	/* The two completions may come in any order. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
		if (ud == 2) {
			EXPECT_EQ(FASTIPC_RET_FAILED_REPLY, res);
			EXPECT_EQ((__u64)FASTIPC_REASON_REPLIED_ERROR << 32 |
				  EACCES, res2);
		} else {
			EXPECT_EQ(3, ud);
			EXPECT_EQ(0, res);
		}
	}
	EXPECT_EQ(FASTIPC_RET_FAILED_REPLY, cr.op);
	EXPECT_EQ(EACCES, cr.code);
	EXPECT_EQ(FASTIPC_REASON_REPLIED_ERROR, cr.reason);
}

/* An event-loop server: RECV and REPLY through its ring, no blocking ioctl. */
struct ring_srv {
	struct fipc_peer *p;
	int n;
	int fail;
};

static void *ring_srv_main(void *arg)
{
	struct ring_srv *s = arg;
	struct fastipc_ret r;
	struct fastipc_cmd rep;
	struct io_uring ring;
	__u64 ud, res2;
	int i, res;

	if (ring_init(&ring, 8)) {
		s->fail = __LINE__;
		return NULL;
	}
	for (i = 0; i < s->n; i++) {
		if (submit_fipc(&ring, s->p->fd, FASTIPC_URING_RECV, NULL, &r,
				100) ||
		    reap(&ring, &ud, &res, &res2) || ud != 100 ||
		    res != FASTIPC_RET_TRANSACTION || r.op != res ||
		    res2 != r.txn_id) {
			s->fail = __LINE__;
			break;
		}
		rep = fipc_cmd_reply(0, r.code + 1, r.inline_data, r.data_len);
		if (submit_fipc(&ring, s->p->fd, FASTIPC_URING_CMD, &rep, NULL,
				200) ||
		    reap(&ring, &ud, &res, &res2) || ud != 200 || res) {
			s->fail = __LINE__;
			break;
		}
	}
	io_uring_queue_exit(&ring);
	return NULL;
}

TEST_F(ur, server_receives_and_replies_through_its_ring)
{
	struct ring_srv rs = { .p = &self->s, .n = 20 };
	struct fastipc_ret r;
	pthread_t t;
	int i;

	ASSERT_EQ(0, pthread_create(&t, NULL, ring_srv_main, &rs));
	for (i = 0; i < 20; i++) {
		/* Sometimes the server's RECV waits, sometimes the call does. */
		if (i & 1)
			fipc_msleep(2);
		ASSERT_EQ(0, fipc_call(self->c.fd, self->h, i, "rv", 2, &r));
		EXPECT_EQ(FASTIPC_RET_REPLY, r.op);
		EXPECT_EQ(i + 1, r.code);
		EXPECT_EQ(0, memcmp(r.inline_data, "rv", 2));
	}
	pthread_join(t, NULL);
	EXPECT_EQ(0, rs.fail);
}

TEST_F(ur, cancel_a_ring_call)
{
	struct fastipc_cmd cmd = fipc_cmd_call(self->h, 9, "c", 1);
	struct fastipc_ret r, sr;
	__u64 ud, res2, id;
	int res;

	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CMD,
				 &cmd, &r, 5));
	id = r.txn_id;
	ASSERT_NE(0, id);
	/* The server took it and is working on it. */
	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &sr, NULL));
	EXPECT_EQ(id, sr.txn_id);
	EXPECT_FALSE(cqe_within(&self->ring, 20));
	EXPECT_EQ(0, txn_waited(self->s.fd, id));
	EXPECT_EQ(-ENOENT, txn_waited(self->c.fd, id));
	EXPECT_EQ(0, cancel_id(self->c.fd, id));
	/* The server can learn it. */
	EXPECT_EQ(-ECANCELED, txn_waited(self->s.fd, id));
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	EXPECT_EQ(5, ud);
	EXPECT_EQ(FASTIPC_RET_FAILED_REPLY, res);
	EXPECT_EQ((__u64)FASTIPC_REASON_CANCELLED << 32 | ECANCELED, res2);
	EXPECT_EQ(FASTIPC_RET_FAILED_REPLY, r.op);
	EXPECT_EQ(ECANCELED, r.code);
	EXPECT_EQ(FASTIPC_REASON_CANCELLED, r.reason);
	EXPECT_EQ(id, r.txn_id);
	/* Once only. */
	EXPECT_EQ(-ENOENT, cancel_id(self->c.fd, id));
	/* The server's late reply is dropped: no second completion. */
	EXPECT_EQ(0, fipc_write1(self->s.fd, fipc_cmd_reply(id, 1, "late", 4)));
	EXPECT_EQ(-ENOENT, txn_waited(self->s.fd, id));
	EXPECT_FALSE(cqe_within(&self->ring, 50));
}

/* Cancel against reply: exactly one completion, and it says which won. */
struct racer {
	struct fipc_peer *p;
	int n;
	int fail;
	int answered;
};

static void *reply_racer(void *arg)
{
	struct racer *x = arg;
	struct fastipc_ret r;
	int i;

	for (i = 0; i < x->n; i++) {
		if (fipc_read_one(x->p->fd, 0, &r, NULL) ||
		    r.op != FASTIPC_RET_TRANSACTION) {
			x->fail = __LINE__;
			return NULL;
		}
		/* Dropped or not, the reply itself always succeeds. */
		if (fipc_write1(x->p->fd, fipc_cmd_reply(r.txn_id, 1, "r", 1))) {
			x->fail = __LINE__;
			return NULL;
		}
		__atomic_store_n(&x->answered, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

TEST_F_TIMEOUT(ur, cancel_races_reply_10k, 600)
{
	struct racer x = { .p = &self->s, .n = 10000 };
	struct fastipc_cmd cmd = fipc_cmd_call(self->h, 3, "q", 1);
	int i, res, c, won_cancel = 0, won_reply = 0;
	struct fastipc_ret r;
	__u64 ud, res2, id;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, reply_racer, &x));
	for (i = 0; i < x.n; i++) {
		ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd,
					 FASTIPC_URING_CMD, &cmd, &r, i));
		id = r.txn_id;
		if (i & 1)
			sched_yield();
		c = cancel_id(self->c.fd, id);
		ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
		ASSERT_EQ(i, ud);
		if (c == 0) {
			ASSERT_EQ(FASTIPC_RET_FAILED_REPLY, res);
			ASSERT_EQ(ECANCELED, r.code);
			won_cancel++;
		} else {
			ASSERT_EQ(-ENOENT, c);
			ASSERT_EQ(FASTIPC_RET_REPLY, res);
			ASSERT_EQ(1, r.code);
			won_reply++;
		}
		ASSERT_EQ(id, r.txn_id);
	}
	pthread_join(t, NULL);
	EXPECT_EQ(0, x.fail);
	EXPECT_FALSE(cqe_within(&self->ring, 50));
	TH_LOG("cancel won %d, reply won %d", won_cancel, won_reply);
}

/* The server dies with calls in flight: each gets DEAD_REPLY, once. */
TEST_F(ur, server_death_completes_every_call)
{
	static struct fastipc_cmd cmds[16];
	static struct fastipc_ret rs[16];
	struct fastipc_ret r;
	__u64 seen = 0, ud, res2;
	int i, res;

	for (i = 0; i < 16; i++) {
		cmds[i] = fipc_cmd_call(self->h, i, "d", 1);
		ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd,
					 FASTIPC_URING_CMD, &cmds[i], &rs[i], i));
	}
	/* Some taken by the server, the rest still queued. */
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &r,
					   NULL));
	fipc_peer_close(&self->s);
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
		ASSERT_GT(16, ud);
		EXPECT_EQ(FASTIPC_RET_DEAD_REPLY, res);
		EXPECT_EQ(FASTIPC_RET_DEAD_REPLY, rs[ud].op);
		EXPECT_EQ((__u64)FASTIPC_REASON_DEAD_TARGET << 32 | EPIPE, res2);
		EXPECT_FALSE(seen & (1ULL << ud));
		seen |= 1ULL << ud;
	}
	EXPECT_FALSE(cqe_within(&self->ring, 50));
}

/* Cancel against the server's death, 10^4 times. */
TEST_F_TIMEOUT(ur, cancel_races_death_10k, 600)
{
	struct fastipc_cmd cmd;
	struct fastipc_ret r;
	struct fipc_peer s2;
	__u64 ud, res2, id;
	__u32 node, h;
	int i, res, c;

	for (i = 0; i < 10000; i++) {
		ASSERT_EQ(0, fipc_peer_open(&s2, 64 * 1024));
		ASSERT_EQ(0, fipc_node_create(s2.fd, 0, 1, &node));
		ASSERT_EQ(0, fipc_share(s2.fd, node, self->c.fd, &h));
		cmd = fipc_cmd_call(h, 1, "k", 1);
		ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd,
					 FASTIPC_URING_CMD, &cmd, &r, i));
		id = r.txn_id;
		if (i & 1)
			fipc_peer_close(&s2);
		c = cancel_id(self->c.fd, id);
		if (!(i & 1))
			fipc_peer_close(&s2);
		ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
		ASSERT_EQ(i, ud);
		if (c == 0) {
			ASSERT_EQ(FASTIPC_RET_FAILED_REPLY, res);
			ASSERT_EQ(FASTIPC_REASON_CANCELLED, r.reason);
		} else {
			ASSERT_EQ(-ENOENT, c);
			ASSERT_EQ(FASTIPC_RET_DEAD_REPLY, res);
		}
		ASSERT_EQ(0, fipc_write1(self->c.fd,
					 fipc_cmd_op(FASTIPC_CMD_RELEASE, h, 0)));
	}
	EXPECT_FALSE(cqe_within(&self->ring, 50));
}

/* The ring goes away with calls parked: nothing leaks. */
TEST_F(ur, ring_closed_mid_call)
{
	static struct fastipc_cmd cmds[16];
	static struct fastipc_ret rs[16];
	struct fastipc_ret r;
	int i;

	for (i = 0; i < 16; i++) {
		cmds[i] = fipc_cmd_call(self->h, i, "z", 1);
		ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd,
					 FASTIPC_URING_CMD, &cmds[i], &rs[i], i));
	}
	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	io_uring_queue_exit(&self->ring);
	self->ring_up = false;
	/* Cancelled by the ring's teardown (or the monitor before 6.7). */
	FIPC_EXPECT_STAT_SOON(0, "ring_ops");
	/* The server answers the one it took: dropped. */
	EXPECT_EQ(0, fipc_write1(self->s.fd, fipc_cmd_reply(r.txn_id, 0, NULL,
							    0)));
	/* The rest wait in the server's queue until it goes (teardown). */
}

/* A receiver parked when its ring goes away. */
TEST_F(ur, ring_closed_with_a_receiver)
{
	struct fastipc_ret r;

	ASSERT_EQ(0, submit_fipc(&self->ring, self->s.fd, FASTIPC_URING_RECV,
				 NULL, &r, 1));
	EXPECT_FALSE(cqe_within(&self->ring, 20));
	io_uring_queue_exit(&self->ring);
	self->ring_up = false;
	FIPC_EXPECT_STAT_SOON(0, "ring_ops");
	/* Without debugfs: past the 6.1 monitor's period (100 ms). */
	fipc_msleep(300);
	/* Work comes later: an ordinary read gets it. */
	ASSERT_EQ(0, fipc_send(self->c.fd, self->h, 1, NULL, 0));
	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_TRANSACTION, r.op);
}

/* The submitter is killed with calls in flight and a receiver parked. */
TEST_F(ur, submitter_killed)
{
	int pfd[2], efd, status, i;
	struct fastipc_ret r;
	pid_t pid;
	char c;

	efd = fipc_export(self->s.fd, self->node);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		static struct fastipc_cmd cmds[8];
		static struct fastipc_ret rs[9];
		struct fipc_peer p;
		struct io_uring ring;
		__u32 h;

		if (fipc_peer_open(&p, AREA) || fipc_import(p.fd, efd, &h) ||
		    ring_init(&ring, 32))
			_exit(1);
		for (i = 0; i < 8; i++) {
			cmds[i] = fipc_cmd_call(h, i, "k", 1);
			if (submit_fipc(&ring, p.fd, FASTIPC_URING_CMD,
					&cmds[i], &rs[i], i))
				_exit(2);
		}
		if (submit_fipc(&ring, p.fd, FASTIPC_URING_RECV, NULL, &rs[8],
				8))
			_exit(3);
		if (write(pfd[1], "r", 1) != 1)
			_exit(4);
		pause();
		_exit(5);
	}
	close(pfd[1]);
	ASSERT_EQ(1, read(pfd[0], &c, 1));
	close(pfd[0]);
	close(efd);
	/* The server takes three of the calls, then the caller dies. */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &r,
					   NULL));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	FIPC_EXPECT_STAT_SOON(0, "ring_ops");
	/* Its answer goes nowhere, and nothing is left behind. */
	EXPECT_EQ(0, fipc_write1(self->s.fd, fipc_cmd_reply(r.txn_id, 0, NULL,
							    0)));
}

/* exec with calls and a receiver parked: exec does not wait for them. */
TEST_F(ur, exec_with_commands_parked)
{
	int efd, status, i;
	struct fastipc_ret r;
	pid_t pid;

	efd = fipc_export(self->s.fd, self->node);
	ASSERT_LE(0, efd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		static struct fastipc_cmd cmds[4];
		static struct fastipc_ret rs[5];
		struct fipc_peer p;
		struct io_uring ring;
		__u32 h;

		if (fipc_peer_open(&p, AREA) || fipc_import(p.fd, efd, &h) ||
		    ring_init(&ring, 32))
			_exit(1);
		for (i = 0; i < 4; i++) {
			cmds[i] = fipc_cmd_call(h, i, "x", 1);
			if (submit_fipc(&ring, p.fd, FASTIPC_URING_CMD,
					&cmds[i], &rs[i], i))
				_exit(2);
		}
		if (submit_fipc(&ring, p.fd, FASTIPC_URING_RECV, NULL, &rs[4],
				4))
			_exit(3);
		alarm(20);	/* survives the exec: a hang fails the test */
		execl("/bin/sh", "sh", "-c", "exit 7", (char *)NULL);
		_exit(4);
	}
	close(efd);
	for (i = 0; i < 1500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		fipc_msleep(10);
	}
	ASSERT_GT(1500, i);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(7, WEXITSTATUS(status));
	FIPC_EXPECT_STAT_SOON(0, "ring_ops");
	/* The calls reached the server; their answers go nowhere. */
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &r,
					   NULL));
		EXPECT_EQ(0, fipc_write1(self->s.fd,
					 fipc_cmd_reply(r.txn_id, 0, NULL, 0)));
	}
}

/* Bad SQEs: a CQE with the error, nothing done. */
TEST_F(ur, bad_sqes_change_nothing)
{
	struct fastipc_cmd call = fipc_cmd_call(self->h, 1, "b", 1);
	struct fastipc_cmd cmd;
	struct fastipc_ret r, *kaddr = (void *)0xffff888000000000UL;
	long txns = fipc_debugfs_readable() ? fipc_stat("txns") : -1;
	__u64 ud, res2;
	int res;

#define EXPECT_SQE(err, fd, op, c, ret) do { \
	ASSERT_EQ(0, submit_fipc(&self->ring, (fd), (op), (c), (ret), 9)); \
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2)); \
	EXPECT_EQ((err), res); \
} while (0)

	/* Unknown command. */
	EXPECT_SQE(-EOPNOTSUPP, self->c.fd, 0x1234, &call, &r);
	/* Unreadable command, unwritable or misaligned record. */
	EXPECT_SQE(-EFAULT, self->c.fd, FASTIPC_URING_CMD, (void *)8, &r);
	EXPECT_SQE(-EFAULT, self->c.fd, FASTIPC_URING_CMD, &call, kaddr);
	EXPECT_SQE(-EINVAL, self->c.fd, FASTIPC_URING_CMD, &call,
		   (char *)&r + 4);
	EXPECT_SQE(-EINVAL, self->c.fd, FASTIPC_URING_CMD, &call, NULL);
	/* Unknown flags, a deadline, an unknown handle, a bad op. */
	cmd = call;
	cmd.flags = 0x80;
	EXPECT_SQE(-EINVAL, self->c.fd, FASTIPC_URING_CMD, &cmd, &r);
	cmd = call;
	cmd.flags = FASTIPC_TXN_DEADLINE;
	cmd.arg = 1;
	EXPECT_SQE(-EINVAL, self->c.fd, FASTIPC_URING_CMD, &cmd, &r);
	cmd = call;
	cmd.handle = 999;
	EXPECT_SQE(-ENOENT, self->c.fd, FASTIPC_URING_CMD, &cmd, &r);
	cmd = call;
	cmd.op = FASTIPC_CMD_FREE;
	EXPECT_SQE(-EINVAL, self->c.fd, FASTIPC_URING_CMD, &cmd, &r);
	cmd = call;
	cmd.data = 8;	/* unreadable payload */
	EXPECT_SQE(-EFAULT, self->c.fd, FASTIPC_URING_CMD, &cmd, &r);
	/* SEND with a record, RECV with a command or without a record. */
	cmd = fipc_cmd_send(self->h, 1, NULL, 0);
	EXPECT_SQE(-EINVAL, self->c.fd, FASTIPC_URING_CMD, &cmd, &r);
	EXPECT_SQE(-EINVAL, self->s.fd, FASTIPC_URING_RECV, &cmd, &r);
	EXPECT_SQE(-EINVAL, self->s.fd, FASTIPC_URING_RECV, NULL, NULL);
	EXPECT_SQE(-EFAULT, self->s.fd, FASTIPC_URING_RECV, NULL, kaddr);
	/* REPLY of nothing. */
	cmd = fipc_cmd_reply(12345, 0, NULL, 0);
	EXPECT_SQE(-EPROTO, self->s.fd, FASTIPC_URING_CMD, &cmd, NULL);
#undef EXPECT_SQE

	/* Nothing was sent, nothing is parked or allocated. */
	EXPECT_EQ(-EAGAIN, fipc_read(self->s.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	if (txns >= 0)
		EXPECT_EQ(txns, fipc_stat("txns"));
	FIPC_EXPECT_STAT(0, "ring_ops");
}

/* ---- cancelling synchronous calls ---------------------------------------- */

static int cancel_tid(int fd, pid_t tid)
{
	struct fastipc_cancel c = { .tid = tid };

	return ioctl(fd, FASTIPC_IOC_CANCEL, &c) ? -errno : 0;
}

struct sync_caller {
	int fd;
	__u32 h;
	pid_t tid;
	int started;
	int ret;
	struct fastipc_ret r;
	pthread_t t;
};

static void *sync_caller_main(void *arg)
{
	struct sync_caller *sc = arg;

	sc->tid = fipc_gettid();
	__atomic_store_n(&sc->started, 1, __ATOMIC_RELEASE);
	sc->ret = fipc_call(sc->fd, sc->h, 11, "sc", 2, &sc->r);
	return NULL;
}

/* A thread blocked in a call; cancelled by its thread ID, then by its ID. */
TEST_F(ur, cancel_a_blocked_synchronous_call)
{
	struct sync_caller sc = { .fd = self->c.fd, .h = self->h, .ret = 0 };
	struct fastipc_cancel bad = { .txn_id = 1, .tid = 1 };
	struct fastipc_ret sr;
	int by;

	EXPECT_EQ(-1, ioctl(self->c.fd, FASTIPC_IOC_CANCEL, &bad));
	EXPECT_EQ(EINVAL, errno);
	for (by = 0; by < 2; by++) {
		memset(&sc.r, 0, sizeof(sc.r));
		sc.ret = 0;
		sc.started = 0;
		ASSERT_EQ(0, pthread_create(&sc.t, NULL, sync_caller_main, &sc));
		ASSERT_EQ(0, fipc_read_one(self->s.fd, 0, &sr, NULL));
		ASSERT_EQ(FASTIPC_RET_TRANSACTION, sr.op);
		ASSERT_EQ(0, fipc_wait_sleeping(sc.tid));
		EXPECT_EQ(0, txn_waited(self->s.fd, sr.txn_id));
		if (by == 0) {
			EXPECT_EQ(0, cancel_tid(self->c.fd, sc.tid));
		} else {
			EXPECT_EQ(0, cancel_id(self->c.fd, sr.txn_id));
		}
		pthread_join(sc.t, NULL);
		EXPECT_EQ(0, sc.ret);
		EXPECT_EQ(FASTIPC_RET_FAILED_REPLY, sc.r.op);
		EXPECT_EQ(ECANCELED, sc.r.code);
		EXPECT_EQ(FASTIPC_REASON_CANCELLED, sc.r.reason);
		EXPECT_EQ(sr.txn_id, sc.r.txn_id);
		EXPECT_EQ(-ENOENT, cancel_id(self->c.fd, sr.txn_id));
		EXPECT_EQ(-ECANCELED, txn_waited(self->s.fd, sr.txn_id));
		/* The server's late reply is dropped without an error. */
		EXPECT_EQ(0, fipc_write1(self->s.fd,
					 fipc_cmd_reply(sr.txn_id, 1, "l", 1)));
	}
}

/* Cancel against the reply of a synchronous call, 10^4 times. */
TEST_F_TIMEOUT(ur, sync_cancel_races_reply_10k, 600)
{
	struct racer x = { .p = &self->s, .n = 10000 };
	struct sync_caller sc = { .fd = self->c.fd, .h = self->h };
	int i, c, won_cancel = 0, won_reply = 0;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, reply_racer, &x));
	for (i = 0; i < x.n; i++) {
		/*
		 * A cancelled call counts against the peer's unanswered calls
		 * until the server answers it: let the server keep up.
		 */
		while (i - __atomic_load_n(&x.answered, __ATOMIC_ACQUIRE) > 256)
			sched_yield();
		sc.ret = 0;
		sc.started = 0;
		memset(&sc.r, 0, sizeof(sc.r));
		ASSERT_EQ(0, pthread_create(&sc.t, NULL, sync_caller_main, &sc));
		while (!__atomic_load_n(&sc.started, __ATOMIC_ACQUIRE))
			sched_yield();
		if (i & 1)
			sched_yield();
		c = cancel_tid(self->c.fd, sc.tid);
		pthread_join(sc.t, NULL);
		ASSERT_EQ(0, sc.ret);
		if (c == 0 && sc.r.op == FASTIPC_RET_FAILED_REPLY) {
			ASSERT_EQ(ECANCELED, sc.r.code);
			won_cancel++;
		} else {
			/* Cancelled nothing (not yet waiting, or answered). */
			ASSERT_EQ(-ENOENT, c);
			ASSERT_EQ(FASTIPC_RET_REPLY, sc.r.op);
			won_reply++;
		}
	}
	pthread_join(t, NULL);
	EXPECT_EQ(0, x.fail);
	TH_LOG("cancel won %d, reply won %d", won_cancel, won_reply);
}

/* Only the opener submits on its peer. */
TEST_F(ur, non_owner_is_refused)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct fastipc_cmd cmd = fipc_cmd_send(self->h, 1, NULL, 0);
		struct io_uring ring;
		__u64 ud, res2;
		int res;

		if (ring_init(&ring, 4) ||
		    submit_fipc(&ring, self->c.fd, FASTIPC_URING_CMD, &cmd,
				NULL, 1) ||
		    reap(&ring, &ud, &res, &res2))
			_exit(2);
		_exit(res == -ECHILD ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
