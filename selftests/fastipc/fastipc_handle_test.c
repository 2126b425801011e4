// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc: nodes and handles, reference counts, NODE_RELEASED, the context
 * manager, export/import and death notifications.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fastipc_util.h"

#define COOKIE_A	0xa11ce0000000000aULL
#define COOKIE_B	0xb0b000000000000bULL
#define DEATH_COOKIE	0xdead0000beefULL

static int acquire(int fd, __u32 h)
{
	return fipc_write1(fd, fipc_cmd_op(FASTIPC_CMD_ACQUIRE, h, 0));
}

static int release(int fd, __u32 h)
{
	return fipc_write1(fd, fipc_cmd_op(FASTIPC_CMD_RELEASE, h, 0));
}

static int request_death(int fd, __u32 h, __u64 cookie)
{
	return fipc_write1(fd, fipc_cmd_op(FASTIPC_CMD_REQUEST_DEATH, h, cookie));
}

static int clear_death(int fd, __u32 h, __u64 cookie)
{
	return fipc_write1(fd, fipc_cmd_op(FASTIPC_CMD_CLEAR_DEATH, h, cookie));
}

/* SEND with handles attached. */
static int send_handles(int fd, __u32 target, __u64 code, const __u32 *hs,
			unsigned int n)
{
	struct fastipc_cmd c = fipc_cmd_send(target, code, "H", 1);

	c.handles = fipc_ptr(hs);
	c.n_handles = n;
	return fipc_write1(fd, c);
}

FIXTURE(two) {
	struct fipc_peer a, b;
};

FIXTURE_SETUP(two)
{
	self->a.fd = self->b.fd = -1;
	ASSERT_EQ(0, fipc_peer_open(&self->a, FIPC_MIB));
	ASSERT_EQ(0, fipc_peer_open(&self->b, FIPC_MIB));
}

FIXTURE_TEARDOWN(two)
{
	fipc_peer_close(&self->a);
	fipc_peer_close(&self->b);
	FIPC_EXPECT_ZERO();
}

TEST_F(two, node_create_lowest_free)
{
	__u32 h[4], x;
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, fipc_node_create(self->a.fd, 0, COOKIE_A + i, &h[i]));
		EXPECT_EQ(i + 1, h[i]);
	}
	/* Drop the only reference of node 2: number 2 is free again. */
	ASSERT_EQ(0, release(self->a.fd, h[1]));
	ASSERT_EQ(0, fipc_node_create(self->a.fd, 0, COOKIE_A, &x));
	EXPECT_EQ(2, x);
	ASSERT_EQ(0, fipc_node_create(self->a.fd, 0, COOKIE_A, &x));
	EXPECT_EQ(4, x);
	/* Handle numbers are per peer. */
	ASSERT_EQ(0, fipc_node_create(self->b.fd, 0, COOKIE_B, &x));
	EXPECT_EQ(1, x);
	/* An imported handle takes the lowest free number too. */
	ASSERT_EQ(0, fipc_share(self->a.fd, h[0], self->b.fd, &x));
	EXPECT_EQ(2, x);
	ASSERT_EQ(0, release(self->b.fd, 1));
	ASSERT_EQ(0, fipc_share(self->a.fd, h[2], self->b.fd, &x));
	EXPECT_EQ(1, x);
}

TEST_F(two, handle_passing)
{
	struct fipc_stats s0, s1;
	struct fastipc_ret r, rr[4];
	__u32 na, nm, a_m, bh, bh2;
	int n = 0, i, got56 = 0, released = 0;
	const __u32 *hs;
	bool stats;

	ASSERT_EQ(0, fipc_node_create(self->a.fd, 0, COOKIE_A, &na));
	ASSERT_EQ(0, fipc_node_create(self->b.fd, 0, COOKIE_B, &nm));
	ASSERT_EQ(0, fipc_share(self->b.fd, nm, self->a.fd, &a_m));
	stats = fipc_debugfs_ok();
	if (stats)
		ASSERT_EQ(0, fipc_stats_read(&s0));

	/* A passes its node to B. */
	ASSERT_EQ(0, send_handles(self->a.fd, a_m, 1, &na, 1));
	ASSERT_EQ(0, fipc_read_one(self->b.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(COOKIE_B, r.cookie);
	EXPECT_EQ(1, r.data_len);
	ASSERT_EQ(1, r.n_handles);
	EXPECT_EQ(0, r.n_fds);
	/* Handles are never inline. */
	ASSERT_EQ(0, r.flags & FASTIPC_RET_INLINE);
	EXPECT_EQ('H', *((char *)self->b.area + r.offset));
	hs = fipc_ret_handles(&self->b, &r);
	bh = hs[0];
	EXPECT_NE(0, bh);
	EXPECT_NE(nm, bh);
	ASSERT_EQ(0, fipc_free(self->b.fd, r.offset));
	if (stats) {
		ASSERT_EQ(0, fipc_stats_read(&s1));
		EXPECT_EQ(s0.nodes, s1.nodes);
		EXPECT_EQ(s0.refs + 1, s1.refs);
	}

	/* B's new handle reaches A's node: A sees its own cookie. */
	ASSERT_EQ(0, fipc_send(self->b.fd, bh, 55, "via", 3));
	ASSERT_EQ(0, fipc_read_one(self->a.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(COOKIE_A, r.cookie);
	EXPECT_EQ(55, r.code);
	EXPECT_EQ(getpid(), r.sender_pid);
	EXPECT_EQ(0, memcmp(r.inline_data, "via", 3));

	/* The same node again: same number, one more reference. */
	ASSERT_EQ(0, send_handles(self->a.fd, a_m, 2, &na, 1));
	ASSERT_EQ(0, fipc_read_one(self->b.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	ASSERT_EQ(1, r.n_handles);
	bh2 = fipc_ret_handles(&self->b, &r)[0];
	EXPECT_EQ(bh, bh2);
	ASSERT_EQ(0, fipc_free(self->b.fd, r.offset));
	if (stats) {
		ASSERT_EQ(0, fipc_stats_read(&s1));
		EXPECT_EQ(s0.nodes, s1.nodes);
	}
	EXPECT_EQ(0, release(self->b.fd, bh));
	EXPECT_EQ(0, fipc_send(self->b.fd, bh, 56, NULL, 0));
	EXPECT_EQ(0, release(self->b.fd, bh));
	EXPECT_EQ(-ENOENT, release(self->b.fd, bh));
	EXPECT_EQ(-ENOENT, fipc_send(self->b.fd, bh, 57, NULL, 0));
	if (stats) {
		ASSERT_EQ(0, fipc_stats_read(&s1));
		EXPECT_EQ(s0.refs, s1.refs);
	}
	/* A got the 56 and, B's last reference gone, NODE_RELEASED. */
	while (n < 4) {
		i = fipc_read(self->a.fd, FASTIPC_WR_NONBLOCK, rr + n, 4 - n);
		if (i <= 0)
			break;
		n += i;
	}
	for (i = 0; i < n; i++) {
		if (rr[i].op == FASTIPC_RET_TRANSACTION && rr[i].code == 56)
			got56++;
		if (rr[i].op == FASTIPC_RET_NODE_RELEASED &&
		    rr[i].cookie == COOKIE_A)
			released++;
	}
	EXPECT_EQ(1, got56);
	EXPECT_EQ(1, released);
	EXPECT_EQ(2, n);
}

TEST_F(two, passing_several_handles)
{
	struct fastipc_ret r;
	__u32 n[3], a_m, nm, got[3], x;
	const __u32 *hs;
	__u32 list[4];
	int i;

	ASSERT_EQ(0, fipc_node_create(self->b.fd, 0, COOKIE_B, &nm));
	ASSERT_EQ(0, fipc_share(self->b.fd, nm, self->a.fd, &a_m));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, fipc_node_create(self->a.fd, 0, COOKIE_A + i, &n[i]));
	/* Twice the same node in one message: one handle, two references. */
	list[0] = n[0];
	list[1] = n[1];
	list[2] = n[2];
	list[3] = n[1];
	ASSERT_EQ(0, send_handles(self->a.fd, a_m, 1, list, 4));
	ASSERT_EQ(0, fipc_read_one(self->b.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	ASSERT_EQ(4, r.n_handles);
	hs = fipc_ret_handles(&self->b, &r);
	for (i = 0; i < 3; i++)
		got[i] = hs[i];
	EXPECT_EQ(got[1], hs[3]);
	EXPECT_NE(got[0], got[1]);
	EXPECT_NE(got[1], got[2]);
	EXPECT_NE(got[0], got[2]);
	ASSERT_EQ(0, fipc_free(self->b.fd, r.offset));
	/* Each reaches its node. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, fipc_send(self->b.fd, got[i], i, NULL, 0));
		ASSERT_EQ(0, fipc_read_one(self->a.fd, FASTIPC_WR_NONBLOCK, &r,
					   NULL));
		ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
		EXPECT_EQ(COOKIE_A + i, r.cookie);
	}
	EXPECT_EQ(0, release(self->b.fd, got[1]));
	EXPECT_EQ(0, release(self->b.fd, got[1]));
	EXPECT_EQ(-ENOENT, release(self->b.fd, got[1]));
	/* The freed number is reused by the next new handle. */
	ASSERT_EQ(0, fipc_share(self->a.fd, n[1], self->b.fd, &x));
	EXPECT_EQ(got[1], x);
}

TEST_F(two, acquire_release_counts)
{
	bool stats = fipc_debugfs_ok();
	struct fipc_stats s0, s1;
	struct fastipc_ret r;
	__u32 h, x;
	int i;

	if (stats)
		ASSERT_EQ(0, fipc_stats_read(&s0));
	ASSERT_EQ(0, fipc_node_create(self->a.fd, 0, COOKIE_A, &h));
	if (stats) {
		ASSERT_EQ(0, fipc_stats_read(&s1));
		EXPECT_EQ(s0.nodes + 1, s1.nodes);
		EXPECT_EQ(s0.refs + 1, s1.refs);
	}
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, acquire(self->a.fd, h));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, release(self->a.fd, h));
	/* Still one reference: the node lives and can be used. */
	if (stats) {
		ASSERT_EQ(0, fipc_stats_read(&s1));
		EXPECT_EQ(s0.nodes + 1, s1.nodes);
		EXPECT_EQ(s0.refs + 1, s1.refs);
	}
	ASSERT_EQ(0, fipc_send(self->a.fd, h, 1, NULL, 0));
	ASSERT_EQ(0, fipc_read_one(self->a.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(COOKIE_A, r.cookie);
	ASSERT_EQ(0, release(self->a.fd, h));
	FIPC_EXPECT_STAT_SOON(s0.nodes, "nodes");
	FIPC_EXPECT_STAT_SOON(s0.refs, "refs");
	EXPECT_EQ(-ENOENT, release(self->a.fd, h));
	EXPECT_EQ(-ENOENT, acquire(self->a.fd, h));
	EXPECT_EQ(-ENOENT, fipc_send(self->a.fd, h, 1, NULL, 0));
	ASSERT_EQ(0, fipc_node_create(self->a.fd, 0, COOKIE_A, &x));
	EXPECT_EQ(h, x);
}

TEST_F(two, stats_nodes_refs_exports)
{
	bool stats = fipc_debugfs_ok();
	struct fipc_stats s0, s1;
	struct fastipc_ret r;
	__u32 h, bh;
	int efd;

	if (stats) {
		ASSERT_EQ(0, fipc_stats_read(&s0));
		EXPECT_EQ(2, s0.peers);
	}
	ASSERT_EQ(0, fipc_node_create(self->a.fd, 0, COOKIE_A, &h));
	efd = fipc_export(self->a.fd, h);
	ASSERT_LE(0, efd);
	if (stats) {
		ASSERT_EQ(0, fipc_stats_read(&s1));
		EXPECT_EQ(s0.exports + 1, s1.exports);
		EXPECT_EQ(s0.nodes + 1, s1.nodes);
	}
	ASSERT_EQ(0, fipc_import(self->b.fd, efd, &bh));
	close(efd);
	if (stats) {
		EXPECT_EQ(s0.exports, fipc_wait_stat("exports", s0.exports));
		ASSERT_EQ(0, fipc_stats_read(&s1));
		EXPECT_EQ(s0.nodes + 1, s1.nodes);
		EXPECT_EQ(s0.refs + 2, s1.refs);
	}
	/* The owner lets go: B's reference keeps the node alive. */
	ASSERT_EQ(0, release(self->a.fd, h));
	if (stats) {
		ASSERT_EQ(0, fipc_stats_read(&s1));
		EXPECT_EQ(s0.nodes + 1, s1.nodes);
		EXPECT_EQ(s0.refs + 1, s1.refs);
	}
	/* A message in flight keeps it alive too; once read, B lets go. */
	ASSERT_EQ(0, fipc_send(self->b.fd, bh, 1, NULL, 0));
	ASSERT_EQ(0, fipc_read_one(self->a.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(COOKIE_A, r.cookie);
	EXPECT_EQ(0, release(self->b.fd, bh));
	/* B's reference was the last one held by another peer. */
	ASSERT_EQ(0, fipc_read_one(self->a.fd, 0, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_NODE_RELEASED, r.op);
	EXPECT_EQ(COOKIE_A, r.cookie);
	FIPC_EXPECT_STAT_SOON(s0.nodes, "nodes");
	FIPC_EXPECT_STAT_SOON(s0.refs, "refs");
}

/* An owner of many nodes dies: every watcher hears of each one, once. */
TEST_F(two, owner_of_many_nodes_dies)
{
	enum { N = 512 };
	static unsigned char seen[N];
	struct fastipc_ret r[16];
	__u32 an, bh;
	int i, n, got = 0;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, fipc_node_create(self->a.fd, 0, i, &an));
		ASSERT_EQ(0, fipc_share(self->a.fd, an, self->b.fd, &bh));
		ASSERT_EQ(0, request_death(self->b.fd, bh, 0xd000 + i));
	}
	FIPC_EXPECT_STAT(N, "nodes");
	fipc_peer_close(&self->a);
	while (got < N) {
		n = fipc_read(self->b.fd, FASTIPC_WR_NONBLOCK, r, 16);
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			ASSERT_EQ(FASTIPC_RET_DEAD_NODE, r[i].op);
			ASSERT_LE(0xd000, r[i].cookie);
			ASSERT_GT(0xd000 + N, r[i].cookie);
			EXPECT_EQ(0, seen[r[i].cookie - 0xd000]++);
			got++;
		}
	}
	EXPECT_EQ(-EAGAIN, fipc_read(self->b.fd, FASTIPC_WR_NONBLOCK, r, 1));
}

TEST_F(two, node_released)
{
	struct fastipc_ret r;
	__u32 h, bh;
	int i;

	ASSERT_EQ(0, fipc_node_create(self->a.fd, 0, COOKIE_A, &h));
	ASSERT_EQ(0, fipc_share(self->a.fd, h, self->b.fd, &bh));
	ASSERT_EQ(0, acquire(self->b.fd, bh));
	ASSERT_EQ(0, acquire(self->b.fd, bh));
	/* The owner's own references never count. */
	ASSERT_EQ(0, acquire(self->a.fd, h));
	ASSERT_EQ(0, release(self->a.fd, h));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, release(self->b.fd, bh));
		EXPECT_EQ(-EAGAIN, fipc_read(self->a.fd, FASTIPC_WR_NONBLOCK,
					     &r, 1));
	}
	ASSERT_EQ(0, release(self->b.fd, bh));
	ASSERT_EQ(0, fipc_read_one(self->a.fd, 0, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_NODE_RELEASED, r.op);
	EXPECT_EQ(COOKIE_A, r.cookie);
	fipc_msleep(20);
	EXPECT_EQ(-EAGAIN, fipc_read(self->a.fd, FASTIPC_WR_NONBLOCK, &r, 1));

	/* Again, from 0 to 1 to 0: this time B goes away by closing. */
	ASSERT_EQ(0, fipc_share(self->a.fd, h, self->b.fd, &bh));
	EXPECT_EQ(-EAGAIN, fipc_read(self->a.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	fipc_peer_close(&self->b);
	ASSERT_EQ(0, fipc_read_one(self->a.fd, 0, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_NODE_RELEASED, r.op);
	EXPECT_EQ(COOKIE_A, r.cookie);
	fipc_msleep(20);
	EXPECT_EQ(-EAGAIN, fipc_read(self->a.fd, FASTIPC_WR_NONBLOCK, &r, 1));
}

/* ---- context manager ------------------------------------------------------- */

static int set_mgr(int fd, __u32 h)
{
	return ioctl(fd, FASTIPC_IOC_SET_CONTEXT_MGR, &h) ? -errno : 0;
}

struct one_reply {
	int fd;
	int ret;
	struct fastipc_ret r;
};

/* Serve one call: reply with code + 1. */
static void *serve_one(void *arg)
{
	struct one_reply *o = arg;

	o->ret = fipc_read_one(o->fd, 0, &o->r, NULL);
	if (!o->ret)
		o->ret = fipc_write1(o->fd, fipc_cmd_reply(0, o->r.code + 1,
							   "mgr", 3));
	return NULL;
}

TEST_F(two, no_context_manager)
{
	struct fastipc_ret r;

	/* Run before any test installs a manager (tests run in order). */
	EXPECT_EQ(-ENOENT, fipc_send(self->b.fd, 0, 1, NULL, 0));
	EXPECT_EQ(-ENOENT, fipc_call(self->b.fd, 0, 1, NULL, 0, &r));
	EXPECT_EQ(-ENOENT, acquire(self->b.fd, 0));
}

TEST_F(two, context_manager)
{
	struct one_reply o = { .fd = self->a.fd, .ret = -1 };
	struct fastipc_ret r;
	__u32 h, h2, bn, b_ha;
	pthread_t t;
	int ret, i;

	ASSERT_EQ(0, fipc_node_create(self->a.fd, 0, COOKIE_A, &h));
	ret = set_mgr(self->a.fd, h);
	if (!fipc_has_cap(CAP_SYS_ADMIN)) {
		/* Unprivileged: refused, and handle 0 still leads nowhere. */
		EXPECT_EQ(-EPERM, ret);
		EXPECT_EQ(-ENOENT, fipc_send(self->b.fd, 0, 9, NULL, 0));
		fipc_skipped_check("the manager at work (SET_CONTEXT_MGR needs CAP_SYS_ADMIN)");
		return;
	}
	ASSERT_EQ(0, ret);

	/* Another peer reaches it as handle 0. */
	ASSERT_EQ(0, fipc_send(self->b.fd, 0, 9, "zero", 4));
	ASSERT_EQ(0, fipc_read_one(self->a.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(COOKIE_A, r.cookie);
	EXPECT_EQ(9, r.code);
	EXPECT_EQ(0, memcmp(r.inline_data, "zero", 4));

	ASSERT_EQ(0, pthread_create(&t, NULL, serve_one, &o));
	ASSERT_EQ(0, fipc_call(self->b.fd, 0, 20, "call", 4, &r));
	pthread_join(t, NULL);
	EXPECT_EQ(0, o.ret);
	EXPECT_EQ(COOKIE_A, o.r.cookie);
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_EQ(21, r.code);
	EXPECT_EQ(0, memcmp(r.inline_data, "mgr", 3));

	/* Only one manager at a time. */
	ASSERT_EQ(0, fipc_node_create(self->b.fd, 0, COOKIE_B, &bn));
	EXPECT_EQ(-EBUSY, set_mgr(self->b.fd, bn));
	ASSERT_EQ(0, fipc_node_create(self->a.fd, 0, COOKIE_A, &h2));
	EXPECT_EQ(-EBUSY, set_mgr(self->a.fd, h2));
	/* Not a node of one's own. */
	ASSERT_EQ(0, fipc_share(self->a.fd, h2, self->b.fd, &b_ha));
	EXPECT_NE(0, set_mgr(self->b.fd, b_ha));

	/* The manager dies: the place is free again. */
	fipc_peer_close(&self->a);
	for (i = 0; i < 200; i++) {
		ret = set_mgr(self->b.fd, bn);
		if (ret != -EBUSY)
			break;
		fipc_msleep(10);
	}
	EXPECT_EQ(0, ret);
	ASSERT_EQ(0, fipc_send(self->b.fd, 0, 3, NULL, 0));
	ASSERT_EQ(0, fipc_read_one(self->b.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(COOKIE_B, r.cookie);
	EXPECT_EQ(3, r.code);
}

/* ---- export / import --------------------------------------------------------- */

TEST_F(two, export_import_across_fork)
{
	struct fastipc_ret r;
	int efd, status;
	__u32 h, x;
	pid_t pid;

	ASSERT_EQ(0, fipc_node_create(self->a.fd, 0, COOKIE_A, &h));
	efd = fipc_export(self->a.fd, h);
	ASSERT_LE(0, efd);
	EXPECT_TRUE(fcntl(efd, F_GETFD) & FD_CLOEXEC);
	/* Imported back into the owner: the one handle it already has. */
	ASSERT_EQ(0, fipc_import(self->a.fd, efd, &x));
	EXPECT_EQ(h, x);
	ASSERT_EQ(0, release(self->a.fd, h));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct fipc_peer c;
		__u32 ch;

		alarm(30);
		close(self->a.fd);
		close(self->b.fd);
		if (fipc_peer_open(&c, FIPC_MIB))
			_exit(10);
		if (fipc_import(c.fd, efd, &ch))
			_exit(11);
		if (ch != 1)
			_exit(12);
		if (fipc_call(c.fd, ch, 7, "ping", 4, &r))
			_exit(13);
		if (r.op != FASTIPC_RET_REPLY || r.code != 8 || r.data_len != 4 ||
		    memcmp(r.inline_data, "pong", 4))
			_exit(14);
		_exit(0);
	}
	close(efd);
	ASSERT_EQ(0, fipc_read_one(self->a.fd, 0, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(COOKIE_A, r.cookie);
	EXPECT_EQ(pid, r.sender_pid);
	EXPECT_EQ(7, r.code);
	EXPECT_EQ(0, memcmp(r.inline_data, "ping", 4));
	ASSERT_EQ(0, fipc_write1(self->a.fd, fipc_cmd_reply(0, 8, "pong", 4)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The child's reference went with it. */
	ASSERT_EQ(0, fipc_read_one(self->a.fd, 0, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_NODE_RELEASED, r.op);
	EXPECT_EQ(COOKIE_A, r.cookie);
}

TEST_F(two, import_export_errors)
{
	struct fastipc_handle_fd hf;
	int p[2], efd;
	__u32 h, x;

	ASSERT_EQ(0, fipc_node_create(self->a.fd, 0, COOKIE_A, &h));
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	EXPECT_EQ(-EINVAL, fipc_import(self->b.fd, p[0], &x));
	EXPECT_EQ(-EINVAL, fipc_import(self->b.fd, self->a.fd, &x));
	EXPECT_EQ(-EBADF, fipc_import(self->b.fd, -1, &x));
	close(p[0]);
	EXPECT_EQ(-EBADF, fipc_import(self->b.fd, p[0], &x));
	close(p[1]);
	EXPECT_EQ(-ENOENT, fipc_export(self->a.fd, h + 1));
	EXPECT_EQ(-ENOENT, fipc_export(self->b.fd, h));

	memset(&hf, 0, sizeof(hf));
	hf.handle = h;
	hf.flags = 1;
	EXPECT_EQ(-1, ioctl(self->a.fd, FASTIPC_IOC_HANDLE_EXPORT, &hf));
	EXPECT_EQ(EINVAL, errno);
	hf.flags = 0;
	hf.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->a.fd, FASTIPC_IOC_HANDLE_EXPORT, &hf));
	EXPECT_EQ(EINVAL, errno);
	FIPC_EXPECT_STAT(0, "exports");

	efd = fipc_export(self->a.fd, h);
	ASSERT_LE(0, efd);
	memset(&hf, 0, sizeof(hf));
	hf.fd = efd;
	hf.flags = 1;
	EXPECT_EQ(-1, ioctl(self->b.fd, FASTIPC_IOC_HANDLE_IMPORT, &hf));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->b.fd, FASTIPC_IOC_HANDLE_IMPORT, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	/* An export fd can be imported any number of times. */
	EXPECT_EQ(0, fipc_import(self->b.fd, efd, &x));
	EXPECT_EQ(0, fipc_import(self->b.fd, efd, &h));
	EXPECT_EQ(x, h);
	EXPECT_EQ(0, release(self->b.fd, x));
	EXPECT_EQ(0, release(self->b.fd, x));
	EXPECT_EQ(-ENOENT, release(self->b.fd, x));
	close(efd);
}

/* ---- death notifications ------------------------------------------------- */

/* The owner: 'x' exits, 'c' closes its peer (and acks 'C'); EOF exits. */
static void owner_body(int fd, void *area, int ctl, int ack)
{
	for (;;) {
		int c = fipc_wait(ctl);

		if (c == 'c') {
			if (area)
				munmap(area, FIPC_MIB);
			close(fd);
			fipc_signal(ack, 'C');
			continue;
		}
		_exit(c == 'x' ? 0 : 1);
	}
}

FIXTURE(death) {
	struct fipc_peer o;
	struct fipc_child ch;
	bool alive;
	__u32 h;
};

FIXTURE_SETUP(death)
{
	self->o.fd = -1;
	ASSERT_EQ(0, fipc_peer_open(&self->o, FIPC_MIB));
	ASSERT_EQ(0, fipc_child_spawn(&self->ch, self->o.fd, COOKIE_B, &self->h,
				      owner_body));
	self->alive = true;
	EXPECT_EQ(1, self->h);
}

static int owner_kill(struct fipc_child *ch, bool *alive)
{
	int status;

	if (!*alive)
		return 0;
	kill(ch->pid, SIGKILL);
	status = fipc_child_reap(ch);
	*alive = false;
	return status;
}

FIXTURE_TEARDOWN(death)
{
	owner_kill(&self->ch, &self->alive);
	fipc_peer_close(&self->o);
	FIPC_EXPECT_ZERO();
}

/* Wait until the node is known dead: SEND fails with EPIPE. */
static int wait_dead(int fd, __u32 h)
{
	int i, ret = 0;

	for (i = 0; i < 200; i++) {
		ret = fipc_send(fd, h, 1, NULL, 0);
		if (ret == -EPIPE)
			return 0;
		fipc_msleep(10);
	}
	return ret;
}

/* Exactly one DEAD_NODE with @cookie, nothing after it. */
static void expect_one_death(struct __test_metadata *_metadata, int fd,
			     __u64 cookie)
{
	struct fastipc_ret r;

	ASSERT_EQ(0, fipc_read_one(fd, 0, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_DEAD_NODE, r.op);
	EXPECT_EQ(cookie, r.cookie);
	fipc_msleep(20);
	EXPECT_EQ(-EAGAIN, fipc_read(fd, FASTIPC_WR_NONBLOCK, &r, 1));
}

TEST_F(death, owner_killed)
{
	struct fastipc_ret r;

	ASSERT_EQ(0, request_death(self->o.fd, self->h, DEATH_COOKIE));
	EXPECT_EQ(-EBUSY, request_death(self->o.fd, self->h, DEATH_COOKIE + 1));
	FIPC_EXPECT_STAT(1, "deaths");
	EXPECT_EQ(-EAGAIN, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	owner_kill(&self->ch, &self->alive);
	expect_one_death(_metadata, self->o.fd, DEATH_COOKIE);
	EXPECT_EQ(-EPIPE, fipc_send(self->o.fd, self->h, 1, NULL, 0));
}

TEST_F(death, owner_exits)
{
	int status;

	ASSERT_EQ(0, request_death(self->o.fd, self->h, DEATH_COOKIE));
	ASSERT_EQ(0, fipc_signal(self->ch.ctl, 'x'));
	status = fipc_child_reap(&self->ch);
	self->alive = false;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	expect_one_death(_metadata, self->o.fd, DEATH_COOKIE);
}

TEST_F(death, owner_closes_fd)
{
	ASSERT_EQ(0, request_death(self->o.fd, self->h, DEATH_COOKIE));
	ASSERT_EQ(0, fipc_signal(self->ch.ctl, 'c'));
	ASSERT_EQ('C', fipc_wait(self->ch.ack));
	/* The process lives on; its peer is gone. */
	expect_one_death(_metadata, self->o.fd, DEATH_COOKIE);
	EXPECT_EQ(0, kill(self->ch.pid, 0));
}

TEST_F(death, owner_already_dead)
{
	struct fastipc_ret r;

	owner_kill(&self->ch, &self->alive);
	ASSERT_EQ(0, wait_dead(self->o.fd, self->h));
	ASSERT_EQ(0, request_death(self->o.fd, self->h, DEATH_COOKIE));
	/* Delivered at once. */
	ASSERT_EQ(0, fipc_read_one(self->o.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_DEAD_NODE, r.op);
	EXPECT_EQ(DEATH_COOKIE, r.cookie);
	fipc_msleep(20);
	EXPECT_EQ(-EAGAIN, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	EXPECT_EQ(-EBUSY, request_death(self->o.fd, self->h, DEATH_COOKIE));
}

TEST_F(death, clear_before_death)
{
	struct fastipc_ret r;

	ASSERT_EQ(0, request_death(self->o.fd, self->h, DEATH_COOKIE));
	EXPECT_EQ(-ENOENT, clear_death(self->o.fd, self->h, DEATH_COOKIE + 1));
	EXPECT_EQ(0, clear_death(self->o.fd, self->h, DEATH_COOKIE));
	EXPECT_EQ(-ENOENT, clear_death(self->o.fd, self->h, DEATH_COOKIE));
	FIPC_EXPECT_STAT(0, "deaths");
	owner_kill(&self->ch, &self->alive);
	ASSERT_EQ(0, wait_dead(self->o.fd, self->h));
	fipc_msleep(20);
	EXPECT_EQ(-EAGAIN, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK, &r, 1));
}

TEST_F(death, clear_after_delivery)
{
	struct fastipc_ret r;

	ASSERT_EQ(0, request_death(self->o.fd, self->h, DEATH_COOKIE));
	owner_kill(&self->ch, &self->alive);
	expect_one_death(_metadata, self->o.fd, DEATH_COOKIE);
	EXPECT_EQ(0, clear_death(self->o.fd, self->h, DEATH_COOKIE));
	EXPECT_EQ(-EAGAIN, fipc_read(self->o.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	EXPECT_EQ(-ENOENT, clear_death(self->o.fd, self->h, DEATH_COOKIE));
	FIPC_EXPECT_STAT(0, "deaths");
}

TEST_F(death, request_errors)
{
	EXPECT_EQ(-ENOENT, request_death(self->o.fd, self->h + 1, 1));
	EXPECT_EQ(-ENOENT, clear_death(self->o.fd, self->h, 1));
	ASSERT_EQ(0, request_death(self->o.fd, self->h, 1));
	EXPECT_EQ(-EBUSY, request_death(self->o.fd, self->h, 1));
	EXPECT_EQ(0, clear_death(self->o.fd, self->h, 1));
	FIPC_EXPECT_STAT(0, "deaths");
	/* The handle is still there; a new request is fine. */
	EXPECT_EQ(0, request_death(self->o.fd, self->h, 2));
	EXPECT_EQ(0, clear_death(self->o.fd, self->h, 2));
}

TEST_HARNESS_MAIN
