// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc: notification bits (FASTIPC_CMD_SIGNAL, FASTIPC_RET_SIGNAL).
 * Signals coalesce into one record holding the OR of their masks, read
 * and cleared at once; only a handle names the node; the owner's death,
 * a record that cannot be written, poll and a blocked reader.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fastipc_util.h"

#define AREA	FIPC_MIB
#define COOKIE	0x5167ULL
#define COOKIE2	0x5168ULL

static inline struct fastipc_cmd sig_cmd(__u32 handle, __u64 mask)
{
	return fipc_cmd_op(FASTIPC_CMD_SIGNAL, handle, mask);
}

static inline int sig(int fd, __u32 handle, __u64 mask)
{
	return fipc_write1(fd, sig_cmd(handle, mask));
}

static short poll_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

/* An event counter, or -1 when debugfs cannot be read. */
static long counter(const char *name)
{
	return fipc_debugfs_readable() ? fipc_stat(name) : -1;
}

FIXTURE(sg) {
	struct fipc_peer o, s;	/* owner, signaller */
	__u32 node;		/* o's own handle to its signal node */
	__u32 h;		/* s's handle to it */
	struct fipc_stats base;
};

FIXTURE_SETUP(sg)
{
	ASSERT_EQ(0, fipc_baseline(&self->base));
	ASSERT_EQ(0, fipc_peer_open(&self->o, AREA));
	ASSERT_EQ(0, fipc_peer_open(&self->s, AREA));
	ASSERT_EQ(0, fipc_node_create(self->o.fd, FASTIPC_NODE_ACCEPT_SIGNALS,
				      COOKIE, &self->node));
	ASSERT_EQ(0, fipc_share(self->o.fd, self->node, self->s.fd, &self->h));
}

FIXTURE_TEARDOWN(sg)
{
	fipc_peer_close(&self->s);
	fipc_peer_close(&self->o);
	FIPC_EXPECT_BASELINE(self->base, 5000);
	FIPC_EXPECT_STAT_SOON(0, "signals");
}

TEST(feature_bit)
{
	struct fastipc_version v;
	int fd = fipc_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, FASTIPC_IOC_VERSION, &v));
	EXPECT_TRUE(v.features & FASTIPC_FEAT_SIGNAL);
	close(fd);
}

TEST_F(sg, signals_coalesce_into_one_record)
{
	struct fastipc_cmd c[5] = {
		sig_cmd(self->h, 0x1), sig_cmd(self->h, 0x2),
		sig_cmd(self->h, 0x1), sig_cmd(self->h, 0x40),
		sig_cmd(self->h, 0x8000000000000000ULL),
	};
	long sent = counter("signals_sent"), read = counter("signals_read");
	struct fastipc_ret r[4];
	unsigned long consumed;

	/* Five signals batched in one WRITE_READ. */
	ASSERT_EQ(0, fipc_write(self->s.fd, c, 5, &consumed));
	EXPECT_EQ(5 * FIPC_CMD_SIZE, consumed);
	FIPC_EXPECT_STAT(1, "signals");
	/* The signaller has nothing to read. */
	EXPECT_EQ(0, poll_now(self->s.fd));
	memset(r, 0xa5, sizeof(r));
	ASSERT_EQ(1, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK, r, 4));
	EXPECT_EQ(FASTIPC_RET_SIGNAL, r[0].op);
	EXPECT_EQ(COOKIE, r[0].cookie);
	EXPECT_EQ(0x8000000000000043ULL, r[0].code);
	EXPECT_EQ(0, r[0].flags);
	EXPECT_EQ(0, r[0].txn_id);
	EXPECT_EQ(0, r[0].data_len);
	EXPECT_EQ(0, r[0].sender_pid);
	/* Read and cleared at once: nothing more. */
	EXPECT_EQ(-EAGAIN, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK, r, 4));
	EXPECT_EQ(0, poll_now(self->o.fd));
	FIPC_EXPECT_STAT(0, "signals");
	if (sent >= 0) {
		EXPECT_EQ(sent + 5, counter("signals_sent"));
		EXPECT_EQ(read + 1, counter("signals_read"));
	}
}

TEST_F(sg, bits_are_cleared_by_the_read)
{
	struct fastipc_ret r;

	ASSERT_EQ(0, sig(self->s.fd, self->h, 0x3));
	ASSERT_EQ(0, fipc_read_one(self->o.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_SIGNAL, r.op);
	EXPECT_EQ(0x3, r.code);
	/* A later signal starts from zero, not from the bits read. */
	ASSERT_EQ(0, sig(self->s.fd, self->h, 0x4));
	ASSERT_EQ(0, fipc_read_one(self->o.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_SIGNAL, r.op);
	EXPECT_EQ(0x4, r.code);
	EXPECT_EQ(-EAGAIN, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK, &r, 1));
}

TEST_F(sg, owner_may_signal_its_own_node)
{
	struct fastipc_ret r;

	ASSERT_EQ(0, sig(self->o.fd, self->node, 0x10));
	ASSERT_EQ(0, fipc_read_one(self->o.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_SIGNAL, r.op);
	EXPECT_EQ(COOKIE, r.cookie);
	EXPECT_EQ(0x10, r.code);
}

/* Each node has its own bits and its own record, in signalling order. */
TEST_F(sg, nodes_have_their_own_bits)
{
	struct fastipc_ret r[3];
	__u32 n2, h2;

	ASSERT_EQ(0, fipc_node_create(self->o.fd, FASTIPC_NODE_ACCEPT_SIGNALS,
				      COOKIE2, &n2));
	ASSERT_EQ(0, fipc_share(self->o.fd, n2, self->s.fd, &h2));
	ASSERT_EQ(0, sig(self->s.fd, h2, 0x100));
	ASSERT_EQ(0, sig(self->s.fd, self->h, 0x1));
	ASSERT_EQ(0, sig(self->s.fd, h2, 0x200));
	ASSERT_EQ(2, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK, r, 3));
	EXPECT_EQ(FASTIPC_RET_SIGNAL, r[0].op);
	EXPECT_EQ(COOKIE2, r[0].cookie);
	EXPECT_EQ(0x300, r[0].code);
	EXPECT_EQ(FASTIPC_RET_SIGNAL, r[1].op);
	EXPECT_EQ(COOKIE, r[1].cookie);
	EXPECT_EQ(0x1, r[1].code);
}

TEST_F(sg, refused_signals_change_nothing)
{
	struct fastipc_cmd c[3] = {
		sig_cmd(self->h, 0x1), sig_cmd(self->h, 0), sig_cmd(self->h, 2),
	};
	struct fastipc_cmd bad = sig_cmd(self->h, 0x1);
	struct fastipc_write_read wr;
	struct fastipc_ret r;
	__u32 plain, hp;

	/* Mask 0 stops the write phase there; the first signal stands. */
	EXPECT_EQ(-EINVAL, fipc_wr(self->s.fd, 0, c, 3, NULL, 0, &wr));
	EXPECT_EQ(FIPC_CMD_SIZE, wr.write_consumed);
	/* Fields a signal does not take must be zero. */
	bad.code = 1;
	EXPECT_EQ(-EINVAL, fipc_write1(self->s.fd, bad));
	bad.code = 0;
	bad.flags = FASTIPC_TXN_IOVEC;
	EXPECT_EQ(-EINVAL, fipc_write1(self->s.fd, bad));
	/* A node created without ACCEPT_SIGNALS refuses them. */
	ASSERT_EQ(0, fipc_node_create(self->o.fd, 0, 0x77, &plain));
	ASSERT_EQ(0, fipc_share(self->o.fd, plain, self->s.fd, &hp));
	EXPECT_EQ(-EPERM, sig(self->s.fd, hp, 0x1));
	EXPECT_EQ(-EPERM, sig(self->o.fd, plain, 0x1));
	ASSERT_EQ(0, fipc_read_one(self->o.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_SIGNAL, r.op);
	EXPECT_EQ(0x1, r.code);
	EXPECT_EQ(-EAGAIN, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK, &r, 1));
}

/*
 * Isolation: a handle is the only way to name a node.  A peer holding no
 * handle gets ENOENT for the number the signaller uses; the same number in
 * a peer with a node of its own names that node, never the owner's.
 */
TEST_F(sg, a_peer_without_a_handle_cannot_signal)
{
	struct fipc_peer x;
	struct fastipc_ret r;
	__u32 own;
	int status;
	pid_t pid;

	ASSERT_EQ(0, fipc_peer_open(&x, AREA));
	EXPECT_EQ(-ENOENT, sig(x.fd, self->h, 0x1));
	EXPECT_EQ(-ENOENT, sig(x.fd, self->node, 0x1));
	EXPECT_EQ(-ENOENT, sig(x.fd, 12345, 0x1));
	EXPECT_EQ(-ENOENT, sig(x.fd, 0, 0x1));	/* no context manager */
	/* x's first handle has the number o and s use: it names x's node. */
	ASSERT_EQ(0, fipc_node_create(x.fd, FASTIPC_NODE_ACCEPT_SIGNALS,
				      0x99, &own));
	ASSERT_EQ(self->h, own);
	ASSERT_EQ(0, sig(x.fd, own, 0x8));
	ASSERT_EQ(0, fipc_read_one(x.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_SIGNAL, r.op);
	EXPECT_EQ(0x99, r.cookie);
	EXPECT_EQ(0x8, r.code);
	EXPECT_EQ(-EAGAIN, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK, &r, 1));

	/* A child that inherited s's descriptor cannot use it. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(sig(self->s.fd, self->h, 0x1) == -ECHILD ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(-EAGAIN, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	/* After RELEASE the number is gone for s too. */
	ASSERT_EQ(0, fipc_write1(self->s.fd,
				 fipc_cmd_op(FASTIPC_CMD_RELEASE, self->h, 0)));
	EXPECT_EQ(-ENOENT, sig(self->s.fd, self->h, 0x1));
	fipc_peer_close(&x);
}

TEST_F(sg, signal_to_a_dead_owner_fails_with_epipe)
{
	ASSERT_EQ(0, sig(self->s.fd, self->h, 0x1));
	fipc_peer_close(&self->o);
	/* s's handle keeps the node; its owner is gone. */
	EXPECT_EQ(-EPIPE, sig(self->s.fd, self->h, 0x2));
	FIPC_EXPECT_STAT_SOON(0, "signals");
}

/* The owner exits with bits pending: everything goes back to the baseline. */
TEST_F(sg, owner_exits_with_bits_pending)
{
	int sock[2], status, efd;
	__u32 hc;
	pid_t pid;
	char c;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct fipc_peer p;
		__u32 n;
		int efd;

		close(sock[0]);
		if (fipc_peer_open(&p, AREA) ||
		    fipc_node_create(p.fd, FASTIPC_NODE_ACCEPT_SIGNALS, 1, &n))
			_exit(1);
		efd = fipc_export(p.fd, n);
		if (efd < 0 || fipc_sock_send_fd(sock[1], efd))
			_exit(2);
		/* Exit without reading, once the bits are there. */
		if (read(sock[1], &c, 1) != 1)
			_exit(3);
		_exit(0);
	}
	close(sock[1]);
	efd = fipc_sock_recv_fd(sock[0]);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, fipc_import(self->s.fd, efd, &hc));
	close(efd);
	ASSERT_EQ(0, sig(self->s.fd, hc, 0x5));
	ASSERT_EQ(0, sig(self->s.fd, hc, 0x6));
	FIPC_EXPECT_STAT(1, "signals");
	ASSERT_EQ(1, write(sock[0], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(sock[0]);
	FIPC_EXPECT_STAT_SOON(0, "signals");
	EXPECT_EQ(-EPIPE, sig(self->s.fd, hc, 0x1));
	ASSERT_EQ(0, fipc_write1(self->s.fd,
				 fipc_cmd_op(FASTIPC_CMD_RELEASE, hc, 0)));
}

/*
 * A SIGNAL record the read buffer cannot take goes back with its bits:
 * the next read sees them, ORed with those signalled meanwhile.
 */
TEST_F(sg, bits_survive_a_faulting_read_buffer)
{
	long page = sysconf(_SC_PAGESIZE);
	struct fastipc_ret r[2], *slot;
	__u32 n2, h2;
	char *mem;

	ASSERT_EQ(0, fipc_node_create(self->o.fd, FASTIPC_NODE_ACCEPT_SIGNALS,
				      COOKIE2, &n2));
	ASSERT_EQ(0, fipc_share(self->o.fd, n2, self->s.fd, &h2));
	mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, mprotect(mem + page, page, PROT_NONE));
	/* Room for one record, the second slot unwritable. */
	slot = (struct fastipc_ret *)(mem + page) - 1;

	ASSERT_EQ(0, sig(self->s.fd, h2, 0x100));
	ASSERT_EQ(0, sig(self->s.fd, self->h, 0x1));
	ASSERT_EQ(1, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK, slot, 2));
	EXPECT_EQ(FASTIPC_RET_SIGNAL, slot->op);
	EXPECT_EQ(COOKIE2, slot->cookie);
	EXPECT_EQ(0x100, slot->code);
	/* The node's record went back: still one, still counted. */
	FIPC_EXPECT_STAT(1, "signals");
	EXPECT_EQ(POLLIN, poll_now(self->o.fd));
	/* Nothing writable at all: EFAULT, nothing lost. */
	EXPECT_EQ(-EFAULT, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK,
				     (struct fastipc_ret *)(mem + page), 1));
	ASSERT_EQ(0, sig(self->s.fd, self->h, 0x2));
	ASSERT_EQ(1, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK, r, 2));
	EXPECT_EQ(FASTIPC_RET_SIGNAL, r[0].op);
	EXPECT_EQ(COOKIE, r[0].cookie);
	EXPECT_EQ(0x3, r[0].code);
	EXPECT_EQ(-EAGAIN, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK, r, 1));
	munmap(mem, 2 * page);
}

struct blocked {
	struct fipc_peer *p;
	pid_t tid;
	int mode;	/* 0: blocking read, 1: poll */
	struct fastipc_ret r;
	int ret;
	short revents;
};

static void *blocked_main(void *arg)
{
	struct blocked *b = arg;
	struct pollfd p = { .fd = b->p->fd, .events = POLLIN };

	__atomic_store_n(&b->tid, fipc_gettid(), __ATOMIC_RELEASE);
	if (b->mode) {
		b->ret = poll(&p, 1, 10000);
		b->revents = p.revents;
	} else {
		b->ret = fipc_read_one(b->p->fd, 0, &b->r, NULL);
	}
	return NULL;
}

TEST_F(sg, signal_wakes_a_blocked_reader)
{
	struct blocked b = { .p = &self->o };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, blocked_main, &b));
	while (!__atomic_load_n(&b.tid, __ATOMIC_ACQUIRE))
		fipc_msleep(1);
	ASSERT_EQ(0, fipc_wait_sleeping(b.tid));
	ASSERT_EQ(0, sig(self->s.fd, self->h, 0x20));
	pthread_join(t, NULL);
	ASSERT_EQ(0, b.ret);
	EXPECT_EQ(FASTIPC_RET_SIGNAL, b.r.op);
	EXPECT_EQ(COOKIE, b.r.cookie);
	EXPECT_EQ(0x20, b.r.code);
}

TEST_F(sg, signal_wakes_poll)
{
	struct blocked b = { .p = &self->o, .mode = 1 };
	struct fastipc_ret r;
	pthread_t t;

	EXPECT_EQ(0, poll_now(self->o.fd));
	ASSERT_EQ(0, pthread_create(&t, NULL, blocked_main, &b));
	while (!__atomic_load_n(&b.tid, __ATOMIC_ACQUIRE))
		fipc_msleep(1);
	ASSERT_EQ(0, fipc_wait_sleeping(b.tid));
	ASSERT_EQ(0, sig(self->s.fd, self->h, 0x1));
	pthread_join(t, NULL);
	ASSERT_EQ(1, b.ret);
	EXPECT_EQ(POLLIN, b.revents);
	ASSERT_EQ(0, fipc_read_one(self->o.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_SIGNAL, r.op);
	EXPECT_EQ(0x1, r.code);
}

/*
 * A thread blocked in a call reads only its own records: a signal is the
 * peer's, for another thread.
 */
struct caller {
	struct fipc_peer *p;
	__u32 h;
	pid_t tid;
	struct fastipc_ret r;
	int ret;
};

static void *caller_main(void *arg)
{
	struct caller *c = arg;

	__atomic_store_n(&c->tid, fipc_gettid(), __ATOMIC_RELEASE);
	c->ret = fipc_call(c->p->fd, c->h, 7, "q", 1, &c->r);
	return NULL;
}

TEST_F(sg, a_caller_waiting_for_its_reply_does_not_read_it)
{
	struct caller c = { .p = &self->o };
	struct fastipc_ret r;
	pthread_t t;
	__u32 back;

	/* o calls a node of s; s answers only after the signal was read. */
	ASSERT_EQ(0, fipc_node_create(self->s.fd, 0, 0x42, &back));
	ASSERT_EQ(0, fipc_share(self->s.fd, back, self->o.fd, &c.h));
	ASSERT_EQ(0, pthread_create(&t, NULL, caller_main, &c));
	while (!__atomic_load_n(&c.tid, __ATOMIC_ACQUIRE))
		fipc_msleep(1);
	ASSERT_EQ(0, fipc_wait_sleeping(c.tid));
	ASSERT_EQ(0, sig(self->s.fd, self->h, 0x1));
	/* Still blocked, the record waits for another thread of o. */
	ASSERT_EQ(0, fipc_read_one(self->o.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_SIGNAL, r.op);
	EXPECT_EQ(0x1, r.code);
	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(7, r.code);
	ASSERT_EQ(0, fipc_write1(self->s.fd,
				 fipc_cmd_reply(r.txn_id, 8, "a", 1)));
	pthread_join(t, NULL);
	ASSERT_EQ(0, c.ret);
	EXPECT_EQ(FASTIPC_RET_REPLY, c.r.op);
	EXPECT_EQ(8, c.r.code);
}

TEST(context_manager_takes_signals_on_handle_0)
{
	struct fipc_peer m, x;
	struct fastipc_ret r;
	__u32 n;

	FIPC_REQUIRE_CAP(CAP_SYS_ADMIN, "SET_CONTEXT_MGR");
	ASSERT_EQ(0, fipc_peer_open(&m, AREA));
	ASSERT_EQ(0, fipc_peer_open(&x, AREA));
	ASSERT_EQ(0, fipc_node_create(m.fd, FASTIPC_NODE_ACCEPT_SIGNALS,
				      0xc0, &n));
	if (ioctl(m.fd, FASTIPC_IOC_SET_CONTEXT_MGR, &n)) {
		fipc_peer_close(&x);
		fipc_peer_close(&m);
		SKIP(return, "another context manager is set");
	}
	ASSERT_EQ(0, sig(x.fd, 0, 0x7));
	ASSERT_EQ(0, fipc_read_one(m.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_SIGNAL, r.op);
	EXPECT_EQ(0xc0, r.cookie);
	EXPECT_EQ(0x7, r.code);
	fipc_peer_close(&m);
	EXPECT_EQ(-ENOENT, sig(x.fd, 0, 0x7));
	fipc_peer_close(&x);
	FIPC_EXPECT_ZERO();
}

TEST_HARNESS_MAIN
