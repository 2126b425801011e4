// SPDX-License-Identifier: GPL-2.0
/*
 * libfastipc: asynchronous calls, one-ways and receives through io_uring
 * (fastipc_prep_call() and friends), fastipc_cancel().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>

#include "lib_test.h"

#define N	64
#define CODE_HOLD	0x40	/* the handler keeps the call unanswered */

static uint64_t held_id;

static int async_handler(struct fastipc_txn *txn, void *cookie)
{
	struct iovec iov = { (void *)txn->data, txn->len };
	struct fastipc_msg m = { .code = txn->code + 1, .iov = &iov,
				 .iov_count = 1 };

	if (txn->code == CODE_HOLD) {
		if (fastipc_txn_abandoned(txn) != 0)
			return -EIO;
		__atomic_store_n(&held_id, txn->id, __ATOMIC_RELEASE);
		return FASTIPC_TXN_DEFERRED;
	}
	return fastipc_reply(txn, &m);
}

FIXTURE(as) {
	struct lt_server s;
	struct fastipc_peer *c;
	uint32_t h;
	struct io_uring ring;
};

FIXTURE_SETUP(as)
{
	ASSERT_EQ(0, lt_server_start(&self->s, 4, async_handler, LT_COOKIE, 0,
				     true));
	ASSERT_EQ(0, fastipc_peer_open(&self->c, NULL));
	if (!(fastipc_peer_features(self->c) & FASTIPC_FEAT_URING))
		SKIP(return, "module without FASTIPC_FEAT_URING");
	ASSERT_EQ(0, lt_share(self->s.p, self->s.node, self->c, &self->h));
	ASSERT_EQ(0, io_uring_queue_init(2 * N, &self->ring, 0));
}

FIXTURE_TEARDOWN(as)
{
	io_uring_queue_exit(&self->ring);
	fastipc_peer_close(self->c);
	lt_server_stop(&self->s);
	FIPC_EXPECT_ZERO();
}

/* 64 calls in flight from one thread, reaped with one ring. */
TEST_F(as, calls_in_flight)
{
	static struct fastipc_async calls[N];
	static char msgs[N][16];
	struct fastipc_reply rep;
	struct io_uring_cqe *cqe;
	struct fastipc_async *a;
	struct iovec iov[N];
	struct fastipc_msg m;
	unsigned int seen = 0;
	int i;

	for (i = 0; i < N; i++) {
		snprintf(msgs[i], sizeof(msgs[i]), "async %d", i);
		iov[i] = (struct iovec){ msgs[i], strlen(msgs[i]) };
		m = (struct fastipc_msg){ .code = 100 + i, .iov = &iov[i],
					  .iov_count = 1 };
		ASSERT_EQ(0, fastipc_prep_call(io_uring_get_sqe(&self->ring),
					       self->c, self->h, &m, &calls[i]));
	}
	ASSERT_EQ(N, io_uring_submit(&self->ring));
	for (i = 0; i < N; i++)
		EXPECT_NE(0, fastipc_async_id(&calls[i]));
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
		a = io_uring_cqe_get_data(cqe);
		ASSERT_EQ(0, fastipc_async_complete(self->c, cqe, a, &rep));
		io_uring_cqe_seen(&self->ring, cqe);
		EXPECT_EQ(101 + (a - calls), rep.code);
		EXPECT_EQ(strlen(msgs[a - calls]), rep.len);
		EXPECT_EQ(0, memcmp(rep.data, msgs[a - calls], rep.len));
		EXPECT_EQ(fastipc_async_id(a), rep.txn_id);
		EXPECT_EQ(0, fastipc_reply_release(self->c, &rep));
		seen++;
	}
	EXPECT_EQ(N, seen);
}

TEST_F(as, oneway_and_errors)
{
	struct fastipc_async a;
	struct fastipc_reply rep;
	struct io_uring_cqe *cqe;
	struct fastipc_msg m = { .code = 5, .deadline_ns = 1 };
	struct io_uring_sqe spare;

	/* A deadline is a call's only. */
	EXPECT_EQ(-EINVAL, fastipc_prep_send(io_uring_get_sqe(&self->ring),
					     self->c, self->h, &m, &a));
	EXPECT_EQ(-EINVAL, fastipc_prep_call(NULL, self->c, self->h, NULL,
					     &a));
	EXPECT_EQ(-EINVAL, fastipc_prep_cancel(&spare, self->c, 0, &a));
	io_uring_submit(&self->ring);	/* the SQE of the refused prep */
	if (!io_uring_wait_cqe(&self->ring, &cqe))
		io_uring_cqe_seen(&self->ring, cqe);
	m.deadline_ns = 0;
	ASSERT_EQ(0, fastipc_prep_send(io_uring_get_sqe(&self->ring), self->c,
				       self->h, &m, &a));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
	EXPECT_EQ(0, fastipc_async_complete(self->c, cqe, &a, &rep));
	io_uring_cqe_seen(&self->ring, cqe);
	/* A call to a handle that does not exist: the CQE says so. */
	ASSERT_EQ(0, fastipc_prep_call(io_uring_get_sqe(&self->ring), self->c,
				       999, NULL, &a));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
	EXPECT_EQ(-ENOENT, fastipc_async_complete(self->c, cqe, &a, &rep));
	EXPECT_EQ(-ENOENT, rep.error);
	io_uring_cqe_seen(&self->ring, cqe);
}

TEST_F(as, cancel)
{
	struct fastipc_msg m = { .code = CODE_HOLD };
	struct fastipc_async a;
	struct fastipc_reply rep;
	struct io_uring_cqe *cqe;
	int i;

	EXPECT_EQ(-ENOENT, fastipc_cancel(self->c, 1ULL << 60));
	__atomic_store_n(&held_id, 0, __ATOMIC_RELEASE);
	ASSERT_EQ(0, fastipc_prep_call(io_uring_get_sqe(&self->ring), self->c,
				       self->h, &m, &a));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	for (i = 0; i < 500 && !__atomic_load_n(&held_id, __ATOMIC_ACQUIRE); i++)
		fipc_msleep(10);
	EXPECT_EQ(fastipc_async_id(&a), held_id);
	EXPECT_EQ(0, fastipc_cancel(self->c, fastipc_async_id(&a)));
	ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
	EXPECT_EQ(-ECANCELED, fastipc_async_complete(self->c, cqe, &a, &rep));
	EXPECT_EQ(FASTIPC_REASON_CANCELLED, rep.reason);
	io_uring_cqe_seen(&self->ring, cqe);
	/* The server's late answer is dropped. */
	EXPECT_EQ(0, fastipc_reply_id(self->s.p, held_id, NULL));
}

/* Wait until the handler holds a call other than @old. */
static uint64_t held_after(uint64_t old)
{
	uint64_t id = 0;
	int i;

	for (i = 0; i < 500; i++) {
		id = __atomic_load_n(&held_id, __ATOMIC_ACQUIRE);
		if (id && id != old)
			return id;
		fipc_msleep(10);
	}
	return 0;
}

/* A deadline on an asynchronous call; a cancel from the ring. */
TEST_F(as, deadline_and_cancel_from_the_ring)
{
	struct fastipc_msg m = { .code = CODE_HOLD };
	struct fastipc_async a, c;
	struct fastipc_reply rep;
	struct io_uring_cqe *cqe;
	uint64_t id;
	int i, got = 0;

	ASSERT_TRUE(fastipc_peer_features(self->c) &
		    FASTIPC_FEAT_URING_DEADLINE);
	__atomic_store_n(&held_id, 0, __ATOMIC_RELEASE);
	m.deadline_ns = fipc_now_ns() + 200 * 1000000ULL;
	ASSERT_EQ(0, fastipc_prep_call(io_uring_get_sqe(&self->ring), self->c,
				       self->h, &m, &a));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	id = held_after(0);
	EXPECT_EQ(fastipc_async_id(&a), id);
	ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
	EXPECT_EQ(-ETIMEDOUT, fastipc_async_complete(self->c, cqe, &a, &rep));
	EXPECT_EQ(FASTIPC_REASON_TIMED_OUT, rep.reason);
	io_uring_cqe_seen(&self->ring, cqe);
	EXPECT_EQ(0, fastipc_reply_id(self->s.p, id, NULL));

	/* Held again, then cancelled by an SQE of the same ring. */
	m.deadline_ns = 0;
	ASSERT_EQ(0, fastipc_prep_call(io_uring_get_sqe(&self->ring), self->c,
				       self->h, &m, &a));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	id = held_after(id);
	ASSERT_EQ(fastipc_async_id(&a), id);
	ASSERT_EQ(0, fastipc_prep_cancel(io_uring_get_sqe(&self->ring), self->c,
					 id, &c));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
		if (io_uring_cqe_get_data(cqe) == &c) {
			EXPECT_EQ(0, fastipc_async_complete(self->c, cqe, &c,
							    &rep));
			got |= 1;
		} else {
			EXPECT_EQ(-ECANCELED,
				  fastipc_async_complete(self->c, cqe, &a,
							 &rep));
			got |= 2;
		}
		io_uring_cqe_seen(&self->ring, cqe);
	}
	EXPECT_EQ(3, got);
	/* Once: a second cancel finds nothing. */
	ASSERT_EQ(0, fastipc_prep_cancel(io_uring_get_sqe(&self->ring), self->c,
					 id, &c));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
	EXPECT_EQ(-ENOENT, fastipc_async_complete(self->c, cqe, &c, &rep));
	io_uring_cqe_seen(&self->ring, cqe);
	EXPECT_EQ(0, fastipc_reply_id(self->s.p, id, NULL));
}

/* A single-threaded server serving from its ring. */
static void *recv_server_main(void *arg)
{
	struct fastipc_peer *p = arg;
	struct fastipc_async a;
	struct fastipc_reply rep;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	long served = 0;

	if (io_uring_queue_init(4, &ring, 0))
		return (void *)-1L;
	while (served < 10) {
		if (fastipc_prep_recv(io_uring_get_sqe(&ring), p, &a) ||
		    io_uring_submit(&ring) != 1 ||
		    io_uring_wait_cqe(&ring, &cqe))
			break;
		if (fastipc_async_complete(p, cqe, &a, &rep) != 1) {
			io_uring_cqe_seen(&ring, cqe);
			break;
		}
		io_uring_cqe_seen(&ring, cqe);
		served++;
	}
	io_uring_queue_exit(&ring);
	return (void *)served;
}

TEST(recv_server)
{
	struct fastipc_peer *s, *c;
	struct fastipc_node_opts no = { 0 };
	uint32_t node, h;
	char buf[16];
	uint64_t code;
	pthread_t t;
	void *served;
	int i;

	ASSERT_EQ(0, fastipc_peer_open(&s, NULL));
	if (!(fastipc_peer_features(s) & FASTIPC_FEAT_URING))
		SKIP(return, "module without FASTIPC_FEAT_URING");
	ASSERT_EQ(0, fastipc_peer_open(&c, NULL));
	ASSERT_EQ(0, fastipc_node_create(s, async_handler, NULL, &no, &node));
	ASSERT_EQ(0, lt_share(s, node, c, &h));
	ASSERT_EQ(0, pthread_create(&t, NULL, recv_server_main, s));
	for (i = 0; i < 10; i++) {
		struct iovec iov = { "ring", 4 };
		struct fastipc_msg m = { .code = i, .iov = &iov,
					 .iov_count = 1 };

		ASSERT_EQ(4, fastipc_call_copy(c, h, &m, buf, sizeof(buf),
					       &code));
		EXPECT_EQ(i + 1, code);
	}
	pthread_join(t, &served);
	fastipc_peer_close(c);
	EXPECT_EQ(10, (long)served);
	fastipc_peer_close(s);
	FIPC_EXPECT_ZERO();
}

TEST_HARNESS_MAIN
