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
#include <sys/resource.h>
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
		/*
		 * A cancelled call counts against the peer's budget until
		 * the server answers it: let the server keep up.
		 */
		while (i - __atomic_load_n(&x.answered, __ATOMIC_ACQUIRE) > 256)
			sched_yield();
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

/* A SIGNAL through the ring wakes a receiver parked on the owner's ring. */
TEST_F(ur, signal_through_the_ring_wakes_a_receiver)
{
	struct fastipc_cmd sg = fipc_cmd_op(FASTIPC_CMD_SIGNAL, 0, 0x30);
	struct fastipc_cmd zero = fipc_cmd_op(FASTIPC_CMD_SIGNAL, 0, 0);
	struct fastipc_version v;
	struct fastipc_ret r, junk;
	__u64 ud, res2;
	__u32 n, hn;
	int res, i;

	ASSERT_EQ(0, ioctl(self->c.fd, FASTIPC_IOC_VERSION, &v));
	if (!(v.features & FASTIPC_FEAT_SIGNAL))
		SKIP(return, "module without FASTIPC_FEAT_SIGNAL");
	ASSERT_EQ(0, fipc_node_create(self->s.fd, FASTIPC_NODE_ACCEPT_SIGNALS,
				      0x516, &n));
	ASSERT_EQ(0, fipc_share(self->s.fd, n, self->c.fd, &hn));
	sg.handle = hn;
	zero.handle = hn;
	/* Refused at once: mask 0, a record pointer. */
	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CMD,
				 &zero, NULL, 7));
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	EXPECT_EQ(7, ud);
	EXPECT_EQ(-EINVAL, res);
	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CMD,
				 &sg, &junk, 8));
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	EXPECT_EQ(8, ud);
	EXPECT_EQ(-EINVAL, res);

	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, submit_fipc(&self->ring, self->s.fd, FASTIPC_URING_RECV,
				 NULL, &r, 1));
	EXPECT_FALSE(cqe_within(&self->ring, 20));
	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CMD,
				 &sg, NULL, 2));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
		if (ud == 2) {
			EXPECT_EQ(0, res);
			continue;
		}
		ASSERT_EQ(1, ud);
		EXPECT_EQ(FASTIPC_RET_SIGNAL, res);
		EXPECT_EQ(0, res2);
	}
	EXPECT_EQ(FASTIPC_RET_SIGNAL, r.op);
	EXPECT_EQ(0x516, r.cookie);
	EXPECT_EQ(0x30, r.code);
	EXPECT_EQ(-EAGAIN, fipc_read(self->s.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	FIPC_EXPECT_STAT(0, "signals");
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
	/*
	 * Unknown flags, a deadline on a SEND, an argument without one, an
	 * unknown handle, a bad op.
	 */
	cmd = call;
	cmd.flags = 0x80;
	EXPECT_SQE(-EINVAL, self->c.fd, FASTIPC_URING_CMD, &cmd, &r);
	cmd = fipc_cmd_send(self->h, 1, NULL, 0);
	cmd.flags = FASTIPC_TXN_DEADLINE;
	cmd.arg = 1;
	EXPECT_SQE(-EINVAL, self->c.fd, FASTIPC_URING_CMD, &cmd, NULL);
	cmd = call;
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

/* ---- deadlines, the ring's own cancel, priority given back -------------- */

static struct fastipc_cmd call_dl(__u32 h, __u64 code, __u64 deadline)
{
	struct fastipc_cmd c = fipc_cmd_call(h, code, "d", 1);

	c.flags = FASTIPC_TXN_DEADLINE;
	c.arg = deadline;
	return c;
}

static __u64 ms_from_now(unsigned int ms)
{
	return fipc_now_ns() + (__u64)ms * 1000000ULL;
}

static int nice_of(pid_t tid)
{
	errno = 0;
	return getpriority(PRIO_PROCESS, tid);
}

TEST_F(ur, ring_call_deadline)
{
	struct fastipc_cmd cmd = call_dl(self->h, 9, ms_from_now(300));
	struct fastipc_version v;
	struct fastipc_ret r, sr;
	__u64 ud, res2, id;
	int res;

	ASSERT_EQ(0, ioctl(self->c.fd, FASTIPC_IOC_VERSION, &v));
	ASSERT_TRUE(v.features & FASTIPC_FEAT_URING_DEADLINE);
	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CMD,
				 &cmd, &r, 7));
	id = r.txn_id;
	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &sr, NULL));
	EXPECT_EQ(id, sr.txn_id);
	EXPECT_FALSE(cqe_within(&self->ring, 20));
	EXPECT_EQ(0, txn_waited(self->s.fd, id));
	/* The server holds it past its deadline: ETIMEDOUT, once. */
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	EXPECT_EQ(7, ud);
	EXPECT_EQ(FASTIPC_RET_FAILED_REPLY, res);
	EXPECT_EQ((__u64)FASTIPC_REASON_TIMED_OUT << 32 | ETIMEDOUT, res2);
	EXPECT_EQ(FASTIPC_RET_FAILED_REPLY, r.op);
	EXPECT_EQ(ETIMEDOUT, r.code);
	EXPECT_EQ(FASTIPC_REASON_TIMED_OUT, r.reason);
	EXPECT_EQ(id, r.txn_id);
	EXPECT_EQ(-ECANCELED, txn_waited(self->s.fd, id));
	EXPECT_EQ(-ENOENT, cancel_id(self->c.fd, id));
	EXPECT_EQ(0, fipc_write1(self->s.fd, fipc_cmd_reply(id, 1, "late", 4)));
	EXPECT_FALSE(cqe_within(&self->ring, 50));

	/* Answered in time: its answer, and nothing when the deadline passes. */
	cmd = call_dl(self->h, 10, ms_from_now(300));
	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CMD,
				 &cmd, &r, 8));
	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &sr, NULL));
	EXPECT_EQ(0, fipc_write1(self->s.fd,
				 fipc_cmd_reply(sr.txn_id, 11, "ok", 2)));
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	EXPECT_EQ(8, ud);
	EXPECT_EQ(FASTIPC_RET_REPLY, res);
	EXPECT_EQ(11, r.code);
	EXPECT_FALSE(cqe_within(&self->ring, 500));

	/* A deadline that passed already (0 is one): ETIMEDOUT at once. */
	cmd = call_dl(self->h, 12, 0);
	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CMD,
				 &cmd, &r, 9));
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	EXPECT_EQ(9, ud);
	EXPECT_EQ(FASTIPC_RET_FAILED_REPLY, res);
	EXPECT_EQ(ETIMEDOUT, r.code);
	/* The server still gets it, given up; its answer is dropped. */
	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &sr, NULL));
	EXPECT_EQ(r.txn_id, sr.txn_id);
	EXPECT_EQ(-ECANCELED, txn_waited(self->s.fd, sr.txn_id));
	EXPECT_EQ(0, fipc_write1(self->s.fd,
				 fipc_cmd_reply(sr.txn_id, 1, NULL, 0)));
	EXPECT_FALSE(cqe_within(&self->ring, 50));
}

/* FASTIPC_URING_CANCEL: the event loop cancels from its ring. */
TEST_F(ur, cancel_from_the_ring)
{
	struct fastipc_cmd cmd = fipc_cmd_call(self->h, 9, "c", 1);
	struct fastipc_ret r, sr;
	__u64 ud, res2, id;
	int res, i, got = 0;

	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CMD,
				 &cmd, &r, 1));
	id = r.txn_id;
	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &sr, NULL));
	/* Bad cancels change nothing. */
	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CANCEL,
				 (void *)(uintptr_t)id, &r, 2));
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	EXPECT_EQ(2, ud);
	EXPECT_EQ(-EINVAL, res);
	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CANCEL,
				 (void *)(uintptr_t)(id + 1000), NULL, 3));
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	EXPECT_EQ(3, ud);
	EXPECT_EQ(-ENOENT, res);
	EXPECT_EQ(0, txn_waited(self->s.fd, id));
	/* The real one: two completions, the cancel's and the call's. */
	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CANCEL,
				 (void *)(uintptr_t)id, NULL, 4));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
		if (ud == 4) {
			EXPECT_EQ(0, res);
			got |= 1;
		} else {
			EXPECT_EQ(1, ud);
			EXPECT_EQ(FASTIPC_RET_FAILED_REPLY, res);
			EXPECT_EQ((__u64)FASTIPC_REASON_CANCELLED << 32 |
				  ECANCELED, res2);
			got |= 2;
		}
	}
	EXPECT_EQ(3, got);
	EXPECT_EQ(-ECANCELED, txn_waited(self->s.fd, id));
	EXPECT_FALSE(cqe_within(&self->ring, 50));
}

/*
 * IORING_OP_ASYNC_CANCEL reaches no driver command on 6.1 or 6.12 (io_uring
 * cancels io-wq work, polls, timeouts, waitid and futex requests only): it
 * finds nothing, and the call goes on, to be cancelled by FASTIPC.
 */
TEST_F(ur, async_cancel_finds_no_fastipc_command)
{
	struct fastipc_cmd cmd = fipc_cmd_call(self->h, 9, "c", 1);
	struct io_uring_sqe *sqe;
	struct fastipc_ret r, sr;
	__u64 ud, res2;
	int res;

	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CMD,
				 &cmd, &r, 77));
	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &sr, NULL));
	sqe = io_uring_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	io_uring_prep_cancel64(sqe, 77, 0);
	sqe->user_data = 78;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	EXPECT_EQ(78, ud);
	EXPECT_EQ(-ENOENT, res);
	EXPECT_EQ(0, txn_waited(self->s.fd, sr.txn_id));
	EXPECT_EQ(0, cancel_id(self->c.fd, sr.txn_id));
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	EXPECT_EQ(77, ud);
	EXPECT_EQ(FASTIPC_RET_FAILED_REPLY, res);
}

/*
 * Defect: a cancelled ring call lives on in its server, and its op was
 * freed at once: submit, cancel, again, and a server that never reads
 * held any number of calls.  Calls given up count against the peer's
 * max_oneway until answered (ENOSPC, reason UNANSWERED), as timed-out
 * synchronous ones do.
 */
TEST_F(ur, given_up_ring_calls_are_bounded)
{
	long max = fipc_param_get("max_oneway");
	struct fastipc_cmd cmd = fipc_cmd_call(self->h, 9, "g", 1);
	struct fastipc_ret r;
	__u64 ud, res2;
	long i;
	int res = 0;

	ASSERT_LT(0, max);
	for (i = 0; i < 2 * max; i++) {
		struct io_uring_cqe *cqe;

		ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd,
					 FASTIPC_URING_CMD, &cmd, &r, i));
		/* Refused during its submission: its CQE is there. */
		if (!io_uring_peek_cqe(&self->ring, &cqe)) {
			EXPECT_EQ(i, cqe->user_data);
			res = cqe->res;
			res2 = cqe->big_cqe[0];
			io_uring_cqe_seen(&self->ring, cqe);
			break;
		}
		ASSERT_EQ(0, cancel_id(self->c.fd, r.txn_id));
		ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
		ASSERT_EQ(FASTIPC_RET_FAILED_REPLY, res);
	}
	EXPECT_EQ(max, i);
	EXPECT_EQ(-ENOSPC, res);
	EXPECT_EQ(FASTIPC_REASON_UNANSWERED, res2);
	/* The server dies: its calls are answered (dropped), room again. */
	fipc_peer_close(&self->s);
	cmd = fipc_cmd_call(self->h, 9, "g", 1);
	ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd, FASTIPC_URING_CMD,
				 &cmd, &r, 1));
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	EXPECT_EQ(FASTIPC_RET_DEAD_REPLY, res);
}

/*
 * A caller that gives its call up (cancel, deadline) no longer lends the
 * thread serving it its priority: the thread is back to its own at once,
 * unless it serves another call still waited for.
 */
TEST_F(ur, given_up_ring_call_withdraws_the_priority_it_lent)
{
	pid_t me = fipc_gettid();
	struct fastipc_cmd cmd = fipc_cmd_call(self->h, 9, "p", 1);
	struct fastipc_ret r, sr;
	__u64 ud, res2;
	int res, round;

	if (setpriority(PRIO_PROCESS, me, -5))
		SKIP(return, "lending nice -5 needs CAP_SYS_NICE");
	ASSERT_EQ(0, setpriority(PRIO_PROCESS, me, 0));
	for (round = 0; round < 2; round++) {
		/* Submitted at nice -5, served by this very thread at 0. */
		cmd = round ? call_dl(self->h, 9, ms_from_now(300)) :
			      fipc_cmd_call(self->h, 9, "p", 1);
		ASSERT_EQ(0, setpriority(PRIO_PROCESS, me, -5));
		ASSERT_EQ(0, submit_fipc(&self->ring, self->c.fd,
					 FASTIPC_URING_CMD, &cmd, &r, round));
		ASSERT_EQ(0, setpriority(PRIO_PROCESS, me, 0));
		ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK,
					   &sr, NULL));
		EXPECT_EQ(-5, nice_of(me));
		if (!round)
			EXPECT_EQ(0, cancel_id(self->c.fd, sr.txn_id));
		ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
		EXPECT_EQ(FASTIPC_RET_FAILED_REPLY, res);
		EXPECT_EQ(round ? ETIMEDOUT : ECANCELED, r.code);
		EXPECT_EQ(0, nice_of(me));
		EXPECT_EQ(0, fipc_write1(self->s.fd,
					 fipc_cmd_reply(sr.txn_id, 1, NULL, 0)));
		EXPECT_EQ(0, nice_of(me));
	}
}

/* A thread calling at a nice value, with a deadline or not. */
struct nice_caller {
	int fd;
	__u32 h;
	int nice;
	__u64 deadline;
	pid_t tid;
	int started;
	int ret;
	struct fastipc_ret r;
	pthread_t t;
};

static void *nice_caller_main(void *arg)
{
	struct nice_caller *nc = arg;
	struct fastipc_cmd c = nc->deadline ? call_dl(nc->h, 11, nc->deadline) :
			       fipc_cmd_call(nc->h, 11, "n", 1);

	nc->tid = fipc_gettid();
	nc->ret = setpriority(PRIO_PROCESS, nc->tid, nc->nice) ? -errno : 0;
	__atomic_store_n(&nc->started, 1, __ATOMIC_RELEASE);
	if (!nc->ret)
		nc->ret = fipc_transact(nc->fd, &c, 1, &nc->r);
	return NULL;
}

static int nice_caller_start(struct nice_caller *nc, int fd, __u32 h,
			     int nice, __u64 deadline)
{
	memset(nc, 0, sizeof(*nc));
	nc->fd = fd;
	nc->h = h;
	nc->nice = nice;
	nc->deadline = deadline;
	return pthread_create(&nc->t, NULL, nice_caller_main, nc);
}

TEST_F(ur, given_up_sync_call_withdraws_the_priority_it_lent)
{
	pid_t me = fipc_gettid();
	struct nice_caller a, b, c;
	struct fastipc_ret ra, rb, rc;

	if (setpriority(PRIO_PROCESS, me, -5))
		SKIP(return, "lending nice -5 needs CAP_SYS_NICE");
	ASSERT_EQ(0, setpriority(PRIO_PROCESS, me, 0));
	/* Two calls at -5 served by this thread; one is cancelled. */
	ASSERT_EQ(0, nice_caller_start(&a, self->c.fd, self->h, -5, 0));
	ASSERT_EQ(0, fipc_read_one(self->s.fd, 0, &ra, NULL));
	ASSERT_EQ(0, nice_caller_start(&b, self->c.fd, self->h, -5, 0));
	ASSERT_EQ(0, fipc_read_one(self->s.fd, 0, &rb, NULL));
	EXPECT_EQ(-5, nice_of(me));
	ASSERT_EQ(0, fipc_wait_sleeping(a.tid));
	EXPECT_EQ(0, cancel_tid(self->c.fd, a.tid));
	pthread_join(a.t, NULL);
	EXPECT_EQ(0, a.ret);
	EXPECT_EQ(ECANCELED, a.r.code);
	/* The other still waits: what it lends stays. */
	EXPECT_EQ(-5, nice_of(me));
	/* Answered, it leaves only a call given up: back to our own. */
	EXPECT_EQ(0, fipc_write1(self->s.fd,
				 fipc_cmd_reply(rb.txn_id, 1, NULL, 0)));
	EXPECT_EQ(0, nice_of(me));
	pthread_join(b.t, NULL);
	EXPECT_EQ(0, b.ret);
	EXPECT_EQ(FASTIPC_RET_REPLY, b.r.op);
	EXPECT_EQ(0, fipc_write1(self->s.fd,
				 fipc_cmd_reply(ra.txn_id, 1, NULL, 0)));

	/* A call whose deadline passes while this thread serves it. */
	ASSERT_EQ(0, nice_caller_start(&c, self->c.fd, self->h, -5,
				       ms_from_now(300)));
	ASSERT_EQ(0, fipc_read_one(self->s.fd, 0, &rc, NULL));
	EXPECT_EQ(-5, nice_of(me));
	pthread_join(c.t, NULL);
	EXPECT_EQ(0, c.ret);
	EXPECT_EQ(ETIMEDOUT, c.r.code);
	EXPECT_EQ(0, nice_of(me));
	EXPECT_EQ(0, fipc_write1(self->s.fd,
				 fipc_cmd_reply(rc.txn_id, 1, NULL, 0)));
	EXPECT_EQ(0, nice_of(me));
}

/* A thread of c blocked in a call to s, serving what s sends back. */
struct nested_caller {
	int fd;
	__u32 h;
	pid_t tid;
	int ret;
	int served;
	__u64 served_id;
	struct fastipc_ret r;
	pthread_t t;
};

static void *nested_caller_main(void *arg)
{
	struct nested_caller *n = arg;
	struct fastipc_cmd c = fipc_cmd_call(n->h, 20, "x", 1);

	n->tid = fipc_gettid();
	n->ret = fipc_transact(n->fd, &c, 1, &n->r);
	while (!n->ret && n->r.op == FASTIPC_RET_TRANSACTION) {
		n->served++;
		n->served_id = n->r.txn_id;
		c = fipc_cmd_reply(n->r.txn_id, n->r.code + 1, "y", 1);
		n->ret = fipc_transact(n->fd, &c, 1, &n->r);
	}
	return NULL;
}

/*
 * Defect: a ring call made while serving a call went to its target's
 * queue, not to the target's thread blocked in that call's chain: with
 * no other thread there, nobody served it.  It is nested as a synchronous
 * call is, under its own ID.
 */
TEST_F(ur, ring_call_from_a_handler_goes_to_the_blocked_caller)
{
	struct nested_caller n = { .fd = self->c.fd, .h = self->h };
	struct fastipc_ret sr, r;
	struct fastipc_cmd cmd;
	__u32 cnode, hc;
	__u64 ud, res2;
	int res;

	ASSERT_EQ(0, fipc_node_create(self->c.fd, 0, 0x77, &cnode));
	ASSERT_EQ(0, fipc_share(self->c.fd, cnode, self->s.fd, &hc));
	ASSERT_EQ(0, pthread_create(&n.t, NULL, nested_caller_main, &n));
	ASSERT_EQ(0, fipc_read_one(self->s.fd, 0, &sr, NULL));
	ASSERT_EQ(20, sr.code);
	cmd = fipc_cmd_call(hc, 30, "z", 1);
	ASSERT_EQ(0, submit_fipc(&self->ring, self->s.fd, FASTIPC_URING_CMD,
				 &cmd, &r, 5));
	ASSERT_EQ(0, reap(&self->ring, &ud, &res, &res2));
	EXPECT_EQ(5, ud);
	EXPECT_EQ(FASTIPC_RET_REPLY, res);
	EXPECT_EQ(31, r.code);
	EXPECT_NE(sr.txn_id, r.txn_id);
	EXPECT_EQ(0, fipc_write1(self->s.fd,
				 fipc_cmd_reply(sr.txn_id, 21, "x", 1)));
	pthread_join(n.t, NULL);
	EXPECT_EQ(0, n.ret);
	EXPECT_EQ(FASTIPC_RET_REPLY, n.r.op);
	EXPECT_EQ(21, n.r.code);
	EXPECT_EQ(1, n.served);
	EXPECT_EQ(r.txn_id, n.served_id);
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
