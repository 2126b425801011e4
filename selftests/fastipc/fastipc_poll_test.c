// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc: poll() and epoll on a peer, for event-loop servers: readable
 * exactly when the calling thread has a record to read.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fastipc_util.h"

#define AREA	FIPC_MIB

FIXTURE(pl) {
	struct fipc_peer s, c;
	__u32 node;	/* s's own handle */
	__u32 h;	/* c's handle to s's node */
};

FIXTURE_SETUP(pl)
{
	ASSERT_EQ(0, fipc_peer_open(&self->s, AREA));
	ASSERT_EQ(0, fipc_peer_open(&self->c, AREA));
	ASSERT_EQ(0, fipc_node_create(self->s.fd, 0, 0x5a, &self->node));
	ASSERT_EQ(0, fipc_share(self->s.fd, self->node, self->c.fd, &self->h));
}

FIXTURE_TEARDOWN(pl)
{
	fipc_peer_close(&self->c);
	fipc_peer_close(&self->s);
	FIPC_EXPECT_ZERO();
}

static short poll_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

TEST_F(pl, readable_only_with_work)
{
	struct fastipc_ret r;

	EXPECT_EQ(0, poll_now(self->s.fd));
	ASSERT_EQ(0, fipc_send(self->c.fd, self->h, 41, "ab", 2));
	EXPECT_EQ(POLLIN, poll_now(self->s.fd));
	/* The sender has nothing to read. */
	EXPECT_EQ(0, poll_now(self->c.fd));
	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(41, r.code);
	EXPECT_EQ(0, memcmp(r.inline_data, "ab", 2));
	EXPECT_EQ(0, poll_now(self->s.fd));
	EXPECT_EQ(-EAGAIN, fipc_read(self->s.fd, FASTIPC_WR_NONBLOCK, &r, 1));
}

struct ep_server {
	struct fipc_peer *p;
	int ep;
	int served;
	int fail;
};

/* An event-loop server: epoll_wait, then dispatch without blocking. */
static void *ep_main(void *arg)
{
	struct ep_server *e = arg;
	struct epoll_event ev;
	struct fastipc_ret r;
	int n;

	while (e->served < 3) {
		n = epoll_wait(e->ep, &ev, 1, 10000);
		if (n != 1) {
			e->fail = __LINE__;
			return NULL;
		}
		n = fipc_read(e->p->fd, FASTIPC_WR_NONBLOCK, &r, 1);
		if (n == -EAGAIN)
			continue;
		if (n != 1 || r.op != FASTIPC_RET_TRANSACTION) {
			e->fail = __LINE__;
			return NULL;
		}
		if (fipc_write1(e->p->fd, fipc_cmd_reply(r.txn_id, r.code + 1,
							 r.inline_data,
							 r.data_len))) {
			e->fail = __LINE__;
			return NULL;
		}
		e->served++;
	}
	return NULL;
}

TEST_F(pl, epoll_server_dispatches_calls)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ep_server e = { .p = &self->s };
	struct fastipc_ret r;
	pthread_t t;
	int i;

	e.ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, e.ep);
	ASSERT_EQ(0, epoll_ctl(e.ep, EPOLL_CTL_ADD, self->s.fd, &ev));
	ASSERT_EQ(0, pthread_create(&t, NULL, ep_main, &e));
	for (i = 0; i < 3; i++) {
		char msg[8];

		snprintf(msg, sizeof(msg), "m%d", i);
		ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 100 * i, msg,
				       strlen(msg), &r));
		ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
		EXPECT_EQ(100 * i + 1, r.code);
		EXPECT_EQ(0, memcmp(r.inline_data, msg, strlen(msg)));
	}
	pthread_join(t, NULL);
	EXPECT_EQ(0, e.fail);
	EXPECT_EQ(3, e.served);
	close(e.ep);
}

/* epoll keeps watching after the polling thread left the peer. */
static void *poll_then_leave(void *arg)
{
	struct fipc_peer *p = arg;

	poll_now(p->fd);
	fipc_write1(p->fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_ENTER, 0, 0));
	fipc_write1(p->fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_EXIT, 0, 0));
	return NULL;
}

TEST_F(pl, epoll_outlives_the_thread_that_polled)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct fastipc_ret r;
	pthread_t t;
	int ep;

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, pthread_create(&t, NULL, poll_then_leave, &self->s));
	pthread_join(t, NULL);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->s.fd, &ev));
	ASSERT_EQ(0, pthread_create(&t, NULL, poll_then_leave, &self->s));
	pthread_join(t, NULL);
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	ASSERT_EQ(0, fipc_send(self->c.fd, self->h, 1, NULL, 0));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 5000));
	EXPECT_EQ(EPOLLIN, ev.events);
	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	close(ep);
}

TEST_F(pl, non_owner_gets_an_error)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Not the owner: an error, never the owner's records. */
		_exit(poll_now(self->s.fd) == POLLERR ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
