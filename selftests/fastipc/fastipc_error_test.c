// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc: every bad input gets its errno, changes nothing (the debugfs
 * counters are the same afterwards) and write_consumed points at it.  Also
 * the positive side of passing file descriptors.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fastipc_util.h"

#define COOKIE_PLAIN	0x91a140000001ULL
#define COOKIE_FDS	0xfd5000000002ULL
#define BAD_PTR		8UL	/* never mapped */
#define NO_HANDLE	99

FIXTURE(err) {
	struct fipc_peer s, c;
	__u32 s_plain, s_fds;	/* server's own handles */
	__u32 h_plain, h_fds;	/* the client's handles to them */
	struct fipc_stats base;
};

FIXTURE_SETUP(err)
{
	self->s.fd = self->c.fd = -1;
	ASSERT_EQ(0, fipc_peer_open(&self->s, FIPC_MIB));
	ASSERT_EQ(0, fipc_peer_open(&self->c, FIPC_MIB));
	ASSERT_EQ(0, fipc_node_create(self->s.fd, 0, COOKIE_PLAIN, &self->s_plain));
	ASSERT_EQ(0, fipc_node_create(self->s.fd, FASTIPC_NODE_ACCEPT_FDS,
				      COOKIE_FDS, &self->s_fds));
	ASSERT_EQ(0, fipc_share(self->s.fd, self->s_plain, self->c.fd,
				&self->h_plain));
	ASSERT_EQ(0, fipc_share(self->s.fd, self->s_fds, self->c.fd,
				&self->h_fds));
	/* Let both peers know this thread before taking the reference. */
	ASSERT_EQ(0, fipc_write1(self->c.fd, fipc_cmd_op(FASTIPC_CMD_ACQUIRE,
							 self->h_plain, 0)));
	ASSERT_EQ(0, fipc_write1(self->c.fd, fipc_cmd_op(FASTIPC_CMD_RELEASE,
							 self->h_plain, 0)));
	ASSERT_EQ(0, fipc_write1(self->s.fd, fipc_cmd_op(FASTIPC_CMD_ACQUIRE,
							 self->s_plain, 0)));
	ASSERT_EQ(0, fipc_write1(self->s.fd, fipc_cmd_op(FASTIPC_CMD_RELEASE,
							 self->s_plain, 0)));
	if (fipc_debugfs_ok()) {
		EXPECT_EQ(0, fipc_wait_stat("exports", 0));
		ASSERT_EQ(0, fipc_stats_read(&self->base));
		ASSERT_EQ(2, self->base.peers);
		ASSERT_EQ(2, self->base.nodes);
	}
}

FIXTURE_TEARDOWN(err)
{
	fipc_peer_close(&self->s);
	fipc_peer_close(&self->c);
	FIPC_EXPECT_ZERO();
}

static void expect_unchanged(struct __test_metadata *_metadata,
			     const struct fipc_stats *base, int line)
{
	struct fipc_stats now;

	if (!fipc_debugfs_ok())
		return;
	ASSERT_EQ(0, fipc_stats_read(&now));
	EXPECT_TRUE(fipc_stats_equal(base, &now))
		TH_LOG("line %d: before " FIPC_STATS_FMT "; after "
		       FIPC_STATS_FMT, line, FIPC_STATS_ARGS(*base),
		       FIPC_STATS_ARGS(now));
}

/*
 * @bad must be rejected with @err: alone (consumed 0), and after two good
 * commands (ACQUIRE then RELEASE of @good: consumed 160).  Nothing may
 * change: not the counters, nor the reference count of @good.
 */
static void expect_rejected(struct __test_metadata *_metadata,
			    const struct fipc_stats *base, int fd, __u32 good,
			    struct fastipc_cmd bad, int err, int line)
{
	struct fastipc_cmd c[3];
	unsigned long consumed = ~0UL;

	EXPECT_EQ(-err, fipc_write(fd, &bad, 1, &consumed))
		TH_LOG("line %d: op %u alone", line, bad.op);
	EXPECT_EQ(0, consumed) TH_LOG("line %d", line);
	c[0] = fipc_cmd_op(FASTIPC_CMD_ACQUIRE, good, 0);
	c[1] = fipc_cmd_op(FASTIPC_CMD_RELEASE, good, 0);
	c[2] = bad;
	consumed = ~0UL;
	EXPECT_EQ(-err, fipc_write(fd, c, 3, &consumed))
		TH_LOG("line %d: op %u third", line, bad.op);
	EXPECT_EQ(2 * FIPC_CMD_SIZE, consumed) TH_LOG("line %d", line);
	expect_unchanged(_metadata, base, line);
}

#define REJECT_C(cmd, err) expect_rejected(_metadata, &self->base, self->c.fd, \
					   self->h_plain, cmd, err, __LINE__)
#define REJECT_S(cmd, err) expect_rejected(_metadata, &self->base, self->s.fd, \
					   self->s_plain, cmd, err, __LINE__)

TEST_F(err, unknown_op)
{
	REJECT_C(fipc_cmd_op(0, self->h_plain, 0), EINVAL);
	REJECT_C(fipc_cmd_op(FASTIPC_CMD_SIGNAL + 1, self->h_plain, 0),
		 EINVAL);
	REJECT_C(fipc_cmd_op(0xffffffff, self->h_plain, 0), EINVAL);
	REJECT_C(fipc_cmd_op(0x10000 | FASTIPC_CMD_ACQUIRE, self->h_plain, 0),
		 EINVAL);
}

TEST_F(err, unknown_flags)
{
	struct fastipc_cmd c;

	c = fipc_cmd_call(self->h_plain, 0, "x", 1);
	c.flags = FASTIPC_TXN_DEADLINE << 1;
	REJECT_C(c, EINVAL);
	c = fipc_cmd_send(self->h_plain, 0, "x", 1);
	c.flags = 1U << 31;
	REJECT_C(c, EINVAL);
	/* A deadline is for calls only; @arg means nothing without it. */
	c = fipc_cmd_send(self->h_plain, 0, "x", 1);
	c.flags = FASTIPC_TXN_DEADLINE;
	c.arg = 1;
	REJECT_C(c, EINVAL);
	c = fipc_cmd_call(self->h_plain, 0, "x", 1);
	c.arg = 1;
	REJECT_C(c, EINVAL);
	c = fipc_cmd_op(FASTIPC_CMD_ACQUIRE, self->h_plain, 0);
	c.flags = 1;
	REJECT_C(c, EINVAL);
	c = fipc_cmd_op(FASTIPC_CMD_RELEASE, self->h_plain, 0);
	c.flags = FASTIPC_TXN_IOVEC;
	REJECT_C(c, EINVAL);
	c = fipc_cmd_op(FASTIPC_CMD_REQUEST_DEATH, self->h_plain, 1);
	c.flags = 1;
	REJECT_C(c, EINVAL);
}

TEST_F(err, reserved_nonzero)
{
	struct fastipc_write_read wr;
	struct fastipc_cmd c;

	c = fipc_cmd_send(self->h_plain, 0, "x", 1);
	c.reserved0 = 1;
	REJECT_C(c, EINVAL);
	c = fipc_cmd_op(FASTIPC_CMD_ACQUIRE, self->h_plain, 0);
	c.reserved0 = 0x80000000;
	REJECT_C(c, EINVAL);

	/* The WRITE_READ's own flags and reserved field. */
	c = fipc_cmd_op(FASTIPC_CMD_ACQUIRE, self->h_plain, 0);
	memset(&wr, 0, sizeof(wr));
	wr.write_buffer = fipc_ptr(&c);
	wr.write_size = FIPC_CMD_SIZE;
	wr.reason = 1;
	EXPECT_EQ(-1, ioctl(self->c.fd, FASTIPC_IOC_WRITE_READ, &wr));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, wr.write_consumed);
	wr.reason = 0;
	wr.flags = FASTIPC_WR_NONBLOCK << 1;
	EXPECT_EQ(-1, ioctl(self->c.fd, FASTIPC_IOC_WRITE_READ, &wr));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, wr.write_consumed);
	/* Not executed: the handle still has exactly its one reference. */
	expect_unchanged(_metadata, &self->base, __LINE__);
	EXPECT_EQ(0, fipc_write1(self->c.fd, fipc_cmd_op(FASTIPC_CMD_ACQUIRE,
							 self->h_plain, 0)));
	EXPECT_EQ(0, fipc_write1(self->c.fd, fipc_cmd_op(FASTIPC_CMD_RELEASE,
							 self->h_plain, 0)));
}

TEST_F(err, node_create_and_handle_fd_reserved)
{
	struct fastipc_node_create nc;

	static const struct { __u32 flags, policy; __s32 prio; } bad[] = {
		{ FASTIPC_NODE_ACCEPT_SIGNALS << 1, 0, 0 },
		{ 0, 0, -5 },			/* minimum without the flag */
		{ 0, 1, 0 },
		{ FASTIPC_NODE_MIN_PRIO, 0, -21 },
		{ FASTIPC_NODE_MIN_PRIO, 0, 20 },
		{ FASTIPC_NODE_MIN_PRIO, 1, 0 },
		{ FASTIPC_NODE_MIN_PRIO, 2, 100 },
		{ FASTIPC_NODE_MIN_PRIO, 3, 0 },	/* SCHED_BATCH */
		{ FASTIPC_NODE_MIN_PRIO, 5, 0 },	/* SCHED_IDLE */
		{ FASTIPC_NODE_MIN_PRIO, 6, 0 },	/* SCHED_DEADLINE */
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&nc, 0, sizeof(nc));
		nc.flags = bad[i].flags;
		nc.min_policy = bad[i].policy;
		nc.min_priority = bad[i].prio;
		EXPECT_EQ(-1, ioctl(self->s.fd, FASTIPC_IOC_NODE_CREATE, &nc));
		EXPECT_EQ(EINVAL, errno) TH_LOG("case %u", i);
	}
	memset(&nc, 0, sizeof(nc));
	nc.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->s.fd, FASTIPC_IOC_NODE_CREATE, &nc));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->s.fd, FASTIPC_IOC_NODE_CREATE, (void *)BAD_PTR));
	EXPECT_EQ(EFAULT, errno);
	expect_unchanged(_metadata, &self->base, __LINE__);
}

TEST_F(err, sizes_not_multiple)
{
	struct fastipc_cmd c[3];
	struct fastipc_ret r[2];
	struct fastipc_write_read wr;
	unsigned long sizes[] = { 1, FIPC_CMD_SIZE - 1, FIPC_CMD_SIZE + 1,
				  2 * FIPC_CMD_SIZE + 8 };
	unsigned int i;

	c[0] = fipc_cmd_op(FASTIPC_CMD_ACQUIRE, self->h_plain, 0);
	c[1] = fipc_cmd_op(FASTIPC_CMD_RELEASE, self->h_plain, 0);
	c[2] = fipc_cmd_op(FASTIPC_CMD_ACQUIRE, self->h_plain, 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(&wr, 0, sizeof(wr));
		wr.write_buffer = fipc_ptr(c);
		wr.write_size = sizes[i];
		EXPECT_EQ(-1, ioctl(self->c.fd, FASTIPC_IOC_WRITE_READ, &wr));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(0, wr.write_consumed);
	}
	memset(&wr, 0, sizeof(wr));
	wr.flags = FASTIPC_WR_NONBLOCK;
	wr.read_buffer = fipc_ptr(r);
	wr.read_size = FIPC_RET_SIZE - 1;
	EXPECT_EQ(-1, ioctl(self->c.fd, FASTIPC_IOC_WRITE_READ, &wr));
	EXPECT_EQ(EINVAL, errno);
	wr.read_size = FIPC_RET_SIZE + 8;
	EXPECT_EQ(-1, ioctl(self->c.fd, FASTIPC_IOC_WRITE_READ, &wr));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, wr.read_consumed);
	expect_unchanged(_metadata, &self->base, __LINE__);
}

TEST_F(err, bad_handle)
{
	struct fastipc_cmd c;
	__u32 hs[2];

	REJECT_C(fipc_cmd_call(NO_HANDLE, 0, "x", 1), ENOENT);
	REJECT_C(fipc_cmd_send(NO_HANDLE, 0, "x", 1), ENOENT);
	REJECT_C(fipc_cmd_op(FASTIPC_CMD_ACQUIRE, NO_HANDLE, 0), ENOENT);
	REJECT_C(fipc_cmd_op(FASTIPC_CMD_RELEASE, NO_HANDLE, 0), ENOENT);
	REJECT_C(fipc_cmd_op(FASTIPC_CMD_REQUEST_DEATH, NO_HANDLE, 1), ENOENT);
	REJECT_C(fipc_cmd_op(FASTIPC_CMD_CLEAR_DEATH, NO_HANDLE, 1), ENOENT);
	/* A handle of another peer means nothing here. */
	REJECT_C(fipc_cmd_send(self->s_fds + 5, 0, "x", 1), ENOENT);
	/* A bad handle among the ones passed. */
	hs[0] = self->h_fds;
	hs[1] = NO_HANDLE;
	c = fipc_cmd_send(self->h_plain, 0, "x", 1);
	c.handles = fipc_ptr(hs);
	c.n_handles = 2;
	REJECT_C(c, ENOENT);
	/* No death request to clear. */
	REJECT_C(fipc_cmd_op(FASTIPC_CMD_CLEAR_DEATH, self->h_plain, 1), ENOENT);
}

TEST_F(err, bad_pointers)
{
	struct fastipc_write_read wr;
	struct fastipc_cmd c;
	struct iovec iov[2] = { { "ab", 2 }, { (void *)BAD_PTR, 100 } };

	/* Data: a pooled and an inline size, SEND and CALL. */
	REJECT_C(fipc_cmd_send(self->h_plain, 0, (void *)BAD_PTR, 100), EFAULT);
	REJECT_C(fipc_cmd_send(self->h_plain, 0, (void *)BAD_PTR, 10), EFAULT);
	REJECT_C(fipc_cmd_call(self->h_plain, 0, (void *)BAD_PTR, 100), EFAULT);
	REJECT_C(fipc_cmd_call(self->h_plain, 0, (void *)BAD_PTR, 10), EFAULT);
	/* The iovec array, then one of its entries. */
	c = fipc_cmd_send(self->h_plain, 0, (void *)BAD_PTR, 2);
	c.flags = FASTIPC_TXN_IOVEC;
	REJECT_C(c, EFAULT);
	c = fipc_cmd_call(self->h_plain, 0, iov, 2);
	c.flags = FASTIPC_TXN_IOVEC;
	REJECT_C(c, EFAULT);
	/* Handles and fds arrays. */
	c = fipc_cmd_send(self->h_plain, 0, "x", 1);
	c.handles = BAD_PTR;
	c.n_handles = 1;
	REJECT_C(c, EFAULT);
	c = fipc_cmd_send(self->h_fds, 0, "x", 1);
	c.fds = BAD_PTR;
	c.n_fds = 1;
	REJECT_C(c, EFAULT);

	/* The write buffer itself. */
	memset(&wr, 0, sizeof(wr));
	wr.write_buffer = BAD_PTR;
	wr.write_size = FIPC_CMD_SIZE;
	EXPECT_EQ(-1, ioctl(self->c.fd, FASTIPC_IOC_WRITE_READ, &wr));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, wr.write_consumed);
	EXPECT_EQ(-1, ioctl(self->c.fd, FASTIPC_IOC_WRITE_READ, (void *)BAD_PTR));
	EXPECT_EQ(EFAULT, errno);
	expect_unchanged(_metadata, &self->base, __LINE__);
}

/*
 * A read buffer the kernel cannot write fails with EFAULT before any work is
 * taken: the message is still there for a good read.  Also a record whose
 * end runs into an unmapped page, and a read-only buffer.
 */
TEST_F(err, bad_read_buffer_loses_nothing)
{
	long page = sysconf(_SC_PAGESIZE);
	struct fastipc_ret r;
	char *map;
	int i;

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + page, page));
	ASSERT_EQ(0, fipc_send(self->c.fd, self->h_plain, 5, "kept", 4));
	EXPECT_EQ(-EFAULT, fipc_read(self->s.fd, FASTIPC_WR_NONBLOCK,
				     (void *)BAD_PTR, 1));
	/* Starts mapped, ends 8 bytes into the hole. */
	EXPECT_EQ(-EFAULT, fipc_read(self->s.fd, FASTIPC_WR_NONBLOCK,
				     (void *)(map + page - FIPC_RET_SIZE + 8),
				     1));
	ASSERT_EQ(0, mprotect(map, page, PROT_READ));
	EXPECT_EQ(-EFAULT, fipc_read(self->s.fd, FASTIPC_WR_NONBLOCK,
				     (void *)map, 1));
	/* Only the header and data_len bytes are written. */
	memset(&r, 0xa5, sizeof(r));
	ASSERT_EQ(1, fipc_read(self->s.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	EXPECT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(5, r.code);
	ASSERT_EQ(4, r.data_len);
	EXPECT_EQ(0, memcmp(r.inline_data, "kept", 4));
	for (i = 4; i < FASTIPC_INLINE_MAX; i++)
		ASSERT_EQ(0xa5, r.inline_data[i]) TH_LOG("byte %d", i);
	EXPECT_EQ(0, r.reserved);
	munmap(map, page);
	expect_unchanged(_metadata, &self->base, __LINE__);
}

TEST_F(err, bad_fds)
{
	struct fastipc_cmd c;
	int p[2];
	__s32 fds[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	c = fipc_cmd_send(self->h_fds, 0, "x", 1);
	c.fds = fipc_ptr(fds);
	c.n_fds = 2;

	/* Not open. */
	fds[0] = p[0];
	fds[1] = 999;
	REJECT_C(c, EBADF);
	fds[1] = -1;
	REJECT_C(c, EBADF);
	/* A fastipc fd may not travel (reference loops). */
	fds[1] = self->c.fd;
	REJECT_C(c, EINVAL);
	/* The node did not ask for fds. */
	fds[1] = p[1];
	c.handle = self->h_plain;
	REJECT_C(c, EPERM);
	c.op = FASTIPC_CMD_CALL;
	REJECT_C(c, EPERM);
	close(p[0]);
	close(p[1]);
}

TEST_F(err, too_large)
{
	struct fastipc_cmd c;
	static __u32 hs[1025];
	static __s32 fds[65];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hs); i++)
		hs[i] = self->h_plain;
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		fds[i] = 0;
	c = fipc_cmd_send(self->h_fds, 0, "x", 1);
	c.handles = fipc_ptr(hs);
	c.n_handles = 1025;
	REJECT_C(c, EINVAL);
	c = fipc_cmd_send(self->h_fds, 0, "x", 1);
	c.fds = fipc_ptr(fds);
	c.n_fds = 65;
	REJECT_C(c, EINVAL);
	/* The length alone is refused, before any copy. */
	REJECT_C(fipc_cmd_send(self->h_plain, 0, (void *)BAD_PTR,
			       FIPC_DEF_MAX_AREA + 1), EINVAL);
	REJECT_C(fipc_cmd_call(self->h_plain, 0, (void *)BAD_PTR, ~0ULL), EINVAL);
}

TEST_F(err, reply_nothing_pending)
{
	REJECT_S(fipc_cmd_reply(0, 0, NULL, 0), EPROTO);
	REJECT_S(fipc_cmd_reply(12345, 0, "x", 1), EPROTO);
	REJECT_S(fipc_cmd_reply_error(0, EIO), EPROTO);
	REJECT_S(fipc_cmd_reply_error(12345, EIO), EPROTO);
	REJECT_C(fipc_cmd_reply(0, 0, NULL, 0), EPROTO);
}

TEST_F(err, free_bogus)
{
	REJECT_S(fipc_cmd_op(FASTIPC_CMD_FREE, 0, 0), EINVAL);
	REJECT_S(fipc_cmd_op(FASTIPC_CMD_FREE, 0, 8), EINVAL);
	REJECT_S(fipc_cmd_op(FASTIPC_CMD_FREE, 0, FIPC_MIB), EINVAL);
}

TEST_F(err, nonblocking_read_nothing)
{
	struct fastipc_cmd c = fipc_cmd_op(FASTIPC_CMD_ACQUIRE, self->s_plain, 0);
	struct fastipc_write_read wr;
	struct fastipc_ret r;
	int fd;

	EXPECT_EQ(-EAGAIN, fipc_read(self->s.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	EXPECT_EQ(-EAGAIN, fipc_read(self->c.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	/* The same with O_NONBLOCK on the open file. */
	fd = open(FIPC_DEV, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EAGAIN, fipc_read(fd, 0, &r, 1));
	close(fd);
	ASSERT_EQ(0, fcntl(self->s.fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, fipc_read(self->s.fd, 0, &r, 1));
	ASSERT_EQ(0, fcntl(self->s.fd, F_SETFL, 0));
	/* A write phase still runs before the EAGAIN. */
	EXPECT_EQ(-EAGAIN, fipc_wr(self->s.fd, FASTIPC_WR_NONBLOCK, &c, 1, &r, 1,
				   &wr));
	EXPECT_EQ(FIPC_CMD_SIZE, wr.write_consumed);
	EXPECT_EQ(0, wr.read_consumed);
	EXPECT_EQ(0, fipc_write1(self->s.fd, fipc_cmd_op(FASTIPC_CMD_RELEASE,
							 self->s_plain, 0)));
	FIPC_EXPECT_STAT_SOON(self->base.peers, "peers");
	FIPC_EXPECT_STAT_SOON(self->base.threads, "threads");
	expect_unchanged(_metadata, &self->base, __LINE__);
}

/* Serve one call for the EBUSY test. */
static void *serve_one(void *arg)
{
	struct fipc_peer *s = arg;
	struct fastipc_ret r;

	if (!fipc_read_one(s->fd, 0, &r, NULL))
		fipc_write1(s->fd, fipc_cmd_reply(0, r.code + 1, NULL, 0));
	return NULL;
}

TEST_F(err, call_while_waiting_busy)
{
	struct fastipc_cmd c[2];
	struct fastipc_ret r;
	struct fipc_stats now;
	unsigned long consumed = 0;
	struct timespec ts;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, serve_one, &self->s));
	/* The second CALL is refused: the first one's reply is pending. */
	c[0] = fipc_cmd_call(self->h_plain, 1, "a", 1);
	c[1] = fipc_cmd_call(self->h_plain, 10, "b", 1);
	EXPECT_EQ(-EBUSY, fipc_write(self->c.fd, c, 2, &consumed));
	EXPECT_EQ(FIPC_CMD_SIZE, consumed);
	/* The first one is answered all the same. */
	ASSERT_EQ(0, fipc_read_one(self->c.fd, 0, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_EQ(2, r.code);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	ASSERT_EQ(0, pthread_timedjoin_np(t, NULL, &ts));
	if (!fipc_debugfs_ok())
		return;
	ASSERT_EQ(0, fipc_stats_read(&now));
	EXPECT_EQ(self->base.txns, now.txns);
	EXPECT_EQ(self->base.nodes, now.nodes);
	EXPECT_EQ(self->base.refs, now.refs);
	EXPECT_EQ(self->base.buffers, now.buffers);
}

TEST_F(err, reply_to_oneway)
{
	struct fastipc_ret r;

	ASSERT_EQ(0, fipc_send(self->c.fd, self->h_plain, 1, "x", 1));
	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	ASSERT_TRUE(r.flags & FASTIPC_RET_ONEWAY);
	REJECT_S(fipc_cmd_reply(r.txn_id, 0, NULL, 0), EPROTO);
	REJECT_S(fipc_cmd_reply(0, 0, NULL, 0), EPROTO);
	REJECT_S(fipc_cmd_reply_error(r.txn_id, EIO), EPROTO);
}

TEST_F(err, stats_format)
{
	if (!fipc_debugfs_readable())
		SKIP(return, "reads debugfs, which is root-only");
	EXPECT_EQ(2, self->base.peers);
	EXPECT_LE(0, self->base.threads);
	EXPECT_EQ(2, self->base.nodes);
	EXPECT_LE(2, self->base.refs);
	EXPECT_EQ(0, self->base.txns);
	EXPECT_EQ(0, self->base.buffers);
	EXPECT_EQ(0, self->base.deaths);
	EXPECT_EQ(0, self->base.exports);
	EXPECT_EQ(0, access(FIPC_DEBUGFS "/fastipc/state", R_OK));
}

/* ---- fd passing, the positive side -------------------------------------- */

TEST_F(err, fd_passing)
{
	static const char msg[] = "hello through fastipc";
	char path[] = "/tmp/fastipc-fd-XXXXXX";
	struct fastipc_ret r;
	struct fastipc_cmd c;
	struct stat st0, st1;
	__s32 fds[2];
	__u32 hs[1];
	const __s32 *got;
	char buf[64];
	int p[2], tf;
	ssize_t n;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ((ssize_t)sizeof(msg), write(p[1], msg, sizeof(msg)));
	close(p[1]);
	tf = mkostemp(path, O_CLOEXEC);
	ASSERT_LE(0, tf);
	unlink(path);
	ASSERT_EQ(4, write(tf, "file", 4));
	ASSERT_EQ(0, lseek(tf, 0, SEEK_SET));
	ASSERT_EQ(0, fstat(tf, &st0));

	fds[0] = p[0];
	fds[1] = tf;
	hs[0] = self->h_plain;
	c = fipc_cmd_send(self->h_fds, 7, "fd", 3);
	c.handles = fipc_ptr(hs);
	c.n_handles = 1;
	c.fds = fipc_ptr(fds);
	c.n_fds = 2;
	ASSERT_EQ(0, fipc_write1(self->c.fd, c));
	/* Taken at send: our copies may go now. */
	close(p[0]);

	ASSERT_EQ(0, fipc_read_one(self->s.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(COOKIE_FDS, r.cookie);
	EXPECT_EQ(0, r.flags & (FASTIPC_RET_INLINE | FASTIPC_RET_FDS_FAILED));
	ASSERT_EQ(3, r.data_len);
	ASSERT_EQ(1, r.n_handles);
	ASSERT_EQ(2, r.n_fds);
	EXPECT_EQ(0, memcmp((char *)self->s.area + r.offset, "fd", 3));
	/* data, padded to 8, then handles, then fds */
	EXPECT_EQ(self->s_plain, fipc_ret_handles(&self->s, &r)[0]);
	got = fipc_ret_fds(&self->s, &r);
	ASSERT_LE(0, got[0]);
	ASSERT_LE(0, got[1]);
	EXPECT_NE(got[0], got[1]);
	EXPECT_TRUE(fcntl(got[0], F_GETFD) & FD_CLOEXEC);
	EXPECT_TRUE(fcntl(got[1], F_GETFD) & FD_CLOEXEC);

	/* The pipe's bytes come through the new fd. */
	memset(buf, 0, sizeof(buf));
	n = read(got[0], buf, sizeof(buf));
	EXPECT_EQ((ssize_t)sizeof(msg), n);
	EXPECT_STREQ(msg, buf);
	/* The same open file: same inode, shared offset. */
	ASSERT_EQ(0, fstat(got[1], &st1));
	EXPECT_EQ(st0.st_ino, st1.st_ino);
	EXPECT_EQ(st0.st_dev, st1.st_dev);
	EXPECT_EQ(4, read(got[1], buf, 4));
	EXPECT_EQ(0, memcmp(buf, "file", 4));
	EXPECT_EQ(4, lseek(tf, 0, SEEK_CUR));

	close(got[0]);
	close(got[1]);
	close(tf);
	EXPECT_EQ(0, fipc_free(self->s.fd, r.offset));
	/* The handle passed along is one more reference of our own node. */
	EXPECT_EQ(0, fipc_write1(self->s.fd, fipc_cmd_op(FASTIPC_CMD_RELEASE,
							 self->s_plain, 0)));
	FIPC_EXPECT_STAT_SOON(0, "buffers");
}

TEST_HARNESS_MAIN
