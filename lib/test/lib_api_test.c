// SPDX-License-Identifier: GPL-2.0
/*
 * libfastipc: every API function and its error returns: peers, nodes,
 * handles, export/import, the context manager, calls (iovec payloads,
 * inline and area replies, copy-out, handles and fds, deadlines, nested
 * calls), one-way messages, server replies and extended error reasons.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/syscall.h>

#include "lib_test.h"

#define CODE_ECHO	0x000
#define CODE_ERR	0x100	/* handler returns -EACCES */
#define CODE_ERR2	0x200	/* fastipc_reply_error(EPERM) */
#define CODE_DEFER	0x300	/* answered later by fastipc_reply_id() */
#define CODE_HANDLE	0x400	/* send a one-way to the handle received */
#define CODE_FD		0x500	/* reply with the write end of a pipe */
#define CODE_BACK	0x600	/* call back the handle received */
#define CODE_BIG	0x700	/* reply with BIG bytes of seed 7 */
#define CODE_MASK	0xf00
#define BIG		10000

static struct {
	uint64_t last_id;
	pid_t last_pid;
	uid_t last_uid;
	uint64_t deferred_id;
	int pipe_rd;
	uint64_t back_code;
	int back_ret;
	pid_t back_tid;
	uint64_t oneway_code;
	char oneway_data[16];
	struct lt_event deferred;
	struct lt_event oneway;
} g = { .deferred = LT_EVENT_INIT, .oneway = LT_EVENT_INIT };

static int echo_handler(struct fastipc_txn *txn, void *cookie)
{
	struct fastipc_reply rep;
	struct fastipc_msg m = { 0 };
	struct iovec iov;
	static char big[BIG];
	int pfd[2], ret;

	if (cookie != LT_COOKIE)
		return -EFAULT;
	g.last_id = txn->id;
	g.last_pid = txn->sender_pid;
	g.last_uid = txn->sender_euid;
	if (txn->flags & FASTIPC_RET_ONEWAY) {
		g.oneway_code = txn->code;
		memcpy(g.oneway_data, txn->data,
		       txn->len < sizeof(g.oneway_data) ? txn->len :
		       sizeof(g.oneway_data));
		lt_event_add(&g.oneway, 1);
		return 0;
	}
	switch (txn->code & CODE_MASK) {
	case CODE_ECHO:
		iov.iov_base = (void *)txn->data;
		iov.iov_len = txn->len;
		m.code = txn->code + 1;
		m.iov = &iov;
		m.iov_count = 1;
		return fastipc_reply(txn, &m);
	case CODE_ERR:
		return -EACCES;
	case CODE_ERR2:
		ret = fastipc_reply_error(txn, EPERM);
		/* Twice is once too many. */
		if (ret || fastipc_reply(txn, NULL) != -EINVAL)
			return -EIO;
		return 0;
	case CODE_DEFER:
		g.deferred_id = txn->id;
		lt_event_add(&g.deferred, 1);
		return FASTIPC_TXN_DEFERRED;
	case CODE_HANDLE:
		if (txn->n_handles != 1)
			return -EBADMSG;
		m.code = 77;
		ret = fastipc_send(txn->peer, txn->handles[0], &m);
		fastipc_handle_release(txn->peer, txn->handles[0]);
		m.code = (uint64_t)ret;
		return fastipc_reply(txn, &m);
	case CODE_FD:
		if (pipe2(pfd, O_CLOEXEC))
			return -errno;
		g.pipe_rd = pfd[0];
		m.fds = &pfd[1];
		m.n_fds = 1;
		ret = fastipc_reply(txn, &m);
		close(pfd[1]);
		return ret;
	case CODE_BACK:
		if (txn->n_handles != 1)
			return -EBADMSG;
		m.code = 1000;
		ret = fastipc_call(txn->peer, txn->handles[0], &m, &rep);
		fastipc_handle_release(txn->peer, txn->handles[0]);
		if (ret)
			return ret;
		m.code = rep.code;
		fastipc_reply_release(txn->peer, &rep);
		return fastipc_reply(txn, &m);
	case CODE_BIG:
		fipc_fill(big, BIG, 7);
		iov.iov_base = big;
		iov.iov_len = BIG;
		m.iov = &iov;
		m.iov_count = 1;
		m.code = BIG;
		return fastipc_reply(txn, &m);
	}
	return -EBADRQC;
}

FIXTURE(lib) {
	struct lt_server s;
	struct fastipc_peer *c;
	uint32_t h;
};

FIXTURE_SETUP(lib)
{
	ASSERT_EQ(0, lt_server_start(&self->s, 4, echo_handler, LT_COOKIE,
				     FASTIPC_NODE_ACCEPT_FDS, true));
	ASSERT_EQ(0, fastipc_peer_open(&self->c, NULL));
	ASSERT_EQ(0, lt_share(self->s.p, self->s.node, self->c, &self->h));
}

FIXTURE_TEARDOWN(lib)
{
	fastipc_peer_close(self->c);
	lt_server_stop(&self->s);
	FIPC_EXPECT_ZERO();
}

TEST(open_close)
{
	struct fastipc_peer_opts o = { .area_size = 64 * 1024 };
	struct fastipc_version v;
	struct fastipc_peer *p;

	ASSERT_EQ(0, fastipc_peer_open(&p, NULL));
	EXPECT_LE(0, fastipc_peer_fd(p));
	EXPECT_TRUE(fastipc_peer_features(p) & FASTIPC_FEAT_CORE);
	ASSERT_EQ(0, fastipc_peer_version(p, &v));
	EXPECT_EQ(FASTIPC_ABI_VERSION, v.abi);
	EXPECT_EQ(v.features, fastipc_peer_features(p));
	/* O_CLOEXEC */
	EXPECT_EQ(FD_CLOEXEC, fcntl(fastipc_peer_fd(p), F_GETFD) & FD_CLOEXEC);
	FIPC_EXPECT_STAT(1, "peers");
	fastipc_peer_close(p);
	ASSERT_EQ(0, fastipc_peer_open(&p, &o));
	fastipc_peer_close(p);
	/* Every feature the module has may be required. */
	o.required_features = v.features;
	ASSERT_EQ(0, fastipc_peer_open(&p, &o));
	fastipc_peer_close(p);
	fastipc_peer_close(NULL);
	FIPC_EXPECT_ZERO();
}

TEST(lib_version)
{
	EXPECT_EQ(FASTIPC_LIB_VERSION_CODE, fastipc_lib_version());
	EXPECT_EQ(0x010203, FASTIPC_LIB_VERSION(1, 2, 3));
	EXPECT_LT(FASTIPC_LIB_VERSION(1, 9, 9), FASTIPC_LIB_VERSION(2, 0, 0));
	EXPECT_EQ(FASTIPC_LIB_MAJOR, fastipc_lib_version() >> 16);
}

TEST(open_errors)
{
	struct fastipc_peer_opts o = { 0 };
	struct fastipc_peer *p = (void *)1;

	EXPECT_EQ(-EINVAL, fastipc_peer_open(NULL, NULL));
	o.area_size = 1000;
	EXPECT_EQ(-EINVAL, fastipc_peer_open(&p, &o));
	EXPECT_EQ(NULL, p);
	o.area_size = 0;
	o.flags = 1;
	EXPECT_EQ(-EINVAL, fastipc_peer_open(&p, &o));
	o.flags = 0;
	o.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, fastipc_peer_open(&p, &o));
	o.reserved[0] = 0;
	/* A feature no module has: refused at open, with nothing left. */
	o.required_features = 1ULL << 63;
	EXPECT_EQ(-EOPNOTSUPP, fastipc_peer_open(&p, &o));
	EXPECT_EQ(NULL, p);
	FIPC_EXPECT_STAT_SOON(0, "peers");
	o.required_features = 0;
	/* Over the module's max_area_size (16 MiB): mmap's EINVAL. */
	o.area_size = 32 * FIPC_MIB;
	EXPECT_EQ(-EINVAL, fastipc_peer_open(&p, &o));
	EXPECT_EQ(-EINVAL, fastipc_peer_fd(NULL));
	EXPECT_EQ(0, fastipc_peer_features(NULL));
	EXPECT_EQ(-EINVAL, fastipc_peer_version(NULL, NULL));
	EXPECT_EQ(-EINVAL, fastipc_thread_leave(NULL));
	FIPC_EXPECT_ZERO();
}

TEST(strreason)
{
	unsigned int r;

	EXPECT_STREQ("none", fastipc_strreason(FASTIPC_REASON_NONE));
	EXPECT_STREQ("deadline passed",
		     fastipc_strreason(FASTIPC_REASON_TIMED_OUT));
	EXPECT_STREQ("server replied with an error",
		     fastipc_strreason(FASTIPC_REASON_REPLIED_ERROR));
	EXPECT_STREQ("unknown", fastipc_strreason(1000));
	/* Every reason the module can give has a name. */
	for (r = 0; r <= FASTIPC_REASON_CANCELLED; r++)
		EXPECT_STRNE("unknown", fastipc_strreason(r));
}

static int null_handler(struct fastipc_txn *txn, void *cookie)
{
	return 0;
}

TEST(node_create_errors)
{
	struct fastipc_node_opts o = { 0 };
	struct fastipc_peer *p;
	uint32_t h = 77, h2;
	int ret;

	ASSERT_EQ(0, fastipc_peer_open(&p, NULL));
	EXPECT_EQ(-EINVAL, fastipc_node_create(NULL, null_handler, NULL, NULL, &h));
	EXPECT_EQ(-EINVAL, fastipc_node_create(p, NULL, NULL, NULL, &h));
	EXPECT_EQ(0, h);
	EXPECT_EQ(-EINVAL, fastipc_node_create(p, null_handler, NULL, NULL, NULL));
	o.flags = 1U << 30;
	EXPECT_EQ(-EINVAL, fastipc_node_create(p, null_handler, NULL, &o, &h));
	o.flags = 0;
	o.min_priority = 5;	/* without FASTIPC_NODE_MIN_PRIO */
	EXPECT_EQ(-EINVAL, fastipc_node_create(p, null_handler, NULL, &o, &h));
	o.min_priority = 0;
	o.reserved = 1;
	EXPECT_EQ(-EINVAL, fastipc_node_create(p, null_handler, NULL, &o, &h));
	o.reserved = 0;
	FIPC_EXPECT_STAT(0, "nodes");

	/* Handles start at 1, lowest free first. */
	ASSERT_EQ(0, fastipc_node_create(p, null_handler, NULL, NULL, &h));
	EXPECT_EQ(1, h);
	ASSERT_EQ(0, fastipc_node_create(p, null_handler, NULL, &o, &h2));
	EXPECT_EQ(2, h2);
	FIPC_EXPECT_STAT(2, "nodes");

	/* Priority options, as the module supports them. */
	o.flags = FASTIPC_NODE_INHERIT_RT;
	ret = fastipc_node_create(p, null_handler, NULL, &o, &h);
	if (fastipc_peer_features(p) & FASTIPC_FEAT_PRIO) {
		EXPECT_EQ(0, ret);
		o.flags = FASTIPC_NODE_MIN_PRIO;
		o.min_policy = SCHED_OTHER;
		o.min_priority = -5;
		EXPECT_EQ(0, fastipc_node_create(p, null_handler, NULL, &o, &h));
		o.min_priority = 40;	/* not a nice value */
		EXPECT_EQ(-EINVAL,
			  fastipc_node_create(p, null_handler, NULL, &o, &h));
	} else {
		EXPECT_EQ(-EOPNOTSUPP, ret);
		o.flags = FASTIPC_NODE_MIN_PRIO;
		EXPECT_EQ(-EOPNOTSUPP,
			  fastipc_node_create(p, null_handler, NULL, &o, &h));
	}
	fastipc_peer_close(p);
	FIPC_EXPECT_ZERO();
}

TEST(handles)
{
	struct fastipc_peer *a, *b;
	uint32_t h, hb, hb2, mgr = 9;
	int fd, pfd[2];

	ASSERT_EQ(0, fastipc_peer_open(&a, NULL));
	ASSERT_EQ(0, fastipc_peer_open(&b, NULL));
	ASSERT_EQ(0, fastipc_node_create(a, null_handler, NULL, NULL, &h));
	FIPC_EXPECT_STAT(1, "refs");
	EXPECT_EQ(0, fastipc_handle_acquire(a, h));
	EXPECT_EQ(0, fastipc_handle_release(a, h));
	EXPECT_EQ(-ENOENT, fastipc_handle_acquire(a, h + 1));
	EXPECT_EQ(-ENOENT, fastipc_handle_release(a, h + 1));
	EXPECT_EQ(-EINVAL, fastipc_handle_acquire(NULL, h));
	EXPECT_EQ(-EINVAL, fastipc_handle_release(NULL, h));

	fd = fastipc_handle_export(a, h);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	FIPC_EXPECT_STAT(1, "exports");
	ASSERT_EQ(0, fastipc_handle_import(b, fd, &hb));
	EXPECT_EQ(1, hb);
	/* The same node again: the same number, one more count. */
	ASSERT_EQ(0, fastipc_handle_import(b, fd, &hb2));
	EXPECT_EQ(hb, hb2);
	close(fd);
	EXPECT_EQ(0, fastipc_handle_release(b, hb));
	EXPECT_EQ(0, fastipc_handle_release(b, hb));
	EXPECT_EQ(-ENOENT, fastipc_handle_release(b, hb));

	EXPECT_EQ(-ENOENT, fastipc_handle_export(a, 42));
	EXPECT_EQ(-EINVAL, fastipc_handle_export(NULL, h));
	EXPECT_EQ(-EBADF, fastipc_handle_import(b, -1, &hb));
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	EXPECT_EQ(-EINVAL, fastipc_handle_import(b, pfd[0], &hb));
	EXPECT_EQ(0, hb);
	close(pfd[0]);
	close(pfd[1]);
	EXPECT_EQ(-EINVAL, fastipc_handle_import(b, 0, NULL));

	EXPECT_EQ(0, fastipc_context_mgr_get(b, &mgr));
	EXPECT_EQ(FASTIPC_HANDLE_CONTEXT_MGR, mgr);
	EXPECT_EQ(-EINVAL, fastipc_context_mgr_get(b, NULL));
	fastipc_peer_close(a);
	fastipc_peer_close(b);
	FIPC_EXPECT_ZERO();
}

/* The lowest free descriptor number: a leaked descriptor moves it. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

TEST(handle_send_recv)
{
	struct lt_server s;
	struct fastipc_peer *c;
	struct fastipc_reply r;
	struct fastipc_msg m = { .code = 41 };
	uint32_t h = 7;
	int sv[2], pfd[2], free_fd;
	char byte = 'H';

	ASSERT_EQ(0, lt_server_start(&s, 2, echo_handler, LT_COOKIE, 0, true));
	ASSERT_EQ(0, fastipc_peer_open(&c, NULL));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	free_fd = lowest_free_fd();

	/* The handle crosses and names the server's node. */
	ASSERT_EQ(0, fastipc_handle_send(s.p, sv[0], s.node));
	ASSERT_EQ(0, fastipc_handle_recv(c, sv[1], &h));
	EXPECT_EQ(1, h);
	EXPECT_EQ(free_fd, lowest_free_fd());
	FIPC_EXPECT_STAT(0, "exports");
	ASSERT_EQ(0, fastipc_call(c, h, &m, &r));
	EXPECT_EQ(42, r.code);
	EXPECT_EQ(0, fastipc_handle_release(c, h));
	EXPECT_EQ(-ENOENT, fastipc_handle_release(c, h));

	/* Not a handle: a byte alone, a descriptor with another byte (it
	 * is closed), a descriptor that is no exported handle.
	 */
	ASSERT_EQ(1, write(sv[0], &byte, 1));
	EXPECT_EQ(-EPROTO, fastipc_handle_recv(c, sv[1], &h));
	EXPECT_EQ(0, h);
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	ASSERT_EQ(0, fipc_sock_send_fd(sv[0], pfd[0]));
	free_fd = lowest_free_fd();
	EXPECT_EQ(-EPROTO, fastipc_handle_recv(c, sv[1], &h));
	EXPECT_EQ(free_fd, lowest_free_fd());
	ASSERT_EQ(0, fastipc_handle_send(s.p, sv[0], s.node));
	ASSERT_EQ(1, read(sv[1], &byte, 1));	/* its descriptor is dropped */
	EXPECT_EQ('H', byte);

	/* The errors of export and of the socket. */
	EXPECT_EQ(-ENOENT, fastipc_handle_send(s.p, sv[0], 4242));
	EXPECT_EQ(-ENOTSOCK, fastipc_handle_send(s.p, pfd[1], s.node));
	EXPECT_EQ(-EINVAL, fastipc_handle_recv(c, sv[1], NULL));
	close(sv[0]);
	EXPECT_EQ(-EPIPE, fastipc_handle_recv(c, sv[1], &h));
	EXPECT_EQ(-EPIPE, fastipc_handle_send(s.p, sv[1], s.node));
	close(sv[1]);
	close(pfd[0]);
	close(pfd[1]);
	FIPC_EXPECT_STAT_SOON(0, "exports");
	fastipc_peer_close(c);
	lt_server_stop(&s);
	FIPC_EXPECT_ZERO();
}

TEST(context_manager)
{
	struct lt_server s;
	struct fastipc_peer *c, *d;
	struct fastipc_reply r;
	struct fastipc_msg m = { .code = 41 };
	uint32_t hd;
	int ret;

	ASSERT_EQ(0, fastipc_peer_open(&c, NULL));
	/* No manager yet. */
	EXPECT_EQ(-ENOENT, fastipc_call(c, FASTIPC_HANDLE_CONTEXT_MGR, &m, &r));
	EXPECT_EQ(-ENOENT, r.error);
	EXPECT_EQ(FASTIPC_REASON_NONE, r.reason);

	ASSERT_EQ(0, lt_server_start(&s, 2, echo_handler, LT_COOKIE, 0, false));
	ret = fastipc_context_mgr_set(s.p, s.node);
	if (!fipc_has_cap(CAP_SYS_ADMIN)) {
		/* Unprivileged: refused, there is still no manager. */
		EXPECT_EQ(-EPERM, ret);
		EXPECT_EQ(-ENOENT, fastipc_call(c, FASTIPC_HANDLE_CONTEXT_MGR,
						&m, &r));
		fipc_skipped_check("the manager at work (SET_CONTEXT_MGR needs CAP_SYS_ADMIN)");
		fastipc_peer_close(c);
		lt_server_stop(&s);
		FIPC_EXPECT_ZERO();
		return;
	}
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, pthread_create(&s.thr, NULL, lt_loop_main, &s));
	s.running = true;
	ASSERT_EQ(0, fastipc_call(c, FASTIPC_HANDLE_CONTEXT_MGR, &m, &r));
	EXPECT_EQ(42, r.code);
	EXPECT_EQ(0, r.len);
	/* One manager at a time. */
	ASSERT_EQ(0, fastipc_peer_open(&d, NULL));
	ASSERT_EQ(0, fastipc_node_create(d, null_handler, NULL, NULL, &hd));
	EXPECT_EQ(-EBUSY, fastipc_context_mgr_set(d, hd));
	EXPECT_EQ(-EINVAL, fastipc_context_mgr_set(NULL, hd));
	fastipc_peer_close(d);
	fastipc_peer_close(c);
	lt_server_stop(&s);
	FIPC_EXPECT_ZERO();
}

TEST_F(lib, call_iovec_inline)
{
	struct iovec iov[3] = {
		{ "hello, ", 7 }, { NULL, 0 }, { "world", 5 },
	};
	struct fastipc_msg m = { .code = 10, .iov = iov, .iov_count = 3 };
	struct fastipc_reply r;

	ASSERT_EQ(0, fastipc_call(self->c, self->h, &m, &r));
	EXPECT_EQ(0, r.error);
	EXPECT_EQ(11, r.code);
	ASSERT_EQ(12, r.len);
	EXPECT_EQ(0, memcmp(r.data, "hello, world", 12));
	EXPECT_TRUE(r.flags & FASTIPC_RET_INLINE);
	EXPECT_NE(0, r.txn_id);
	/* The handler saw the same transaction ID, and who we are. */
	EXPECT_EQ(r.txn_id, g.last_id);
	EXPECT_EQ(getpid(), g.last_pid);
	EXPECT_EQ(geteuid(), g.last_uid);
	EXPECT_EQ(0, r.n_handles);
	FIPC_EXPECT_STAT(0, "buffers");
	EXPECT_EQ(0, fastipc_reply_release(self->c, &r));
	/* An empty message. */
	ASSERT_EQ(0, fastipc_call(self->c, self->h, NULL, &r));
	EXPECT_EQ(1, r.code);
	EXPECT_EQ(0, r.len);
}

TEST_F(lib, call_area_buffers)
{
	static char out[BIG];
	struct iovec iov = { out, BIG };
	struct fastipc_msg m = { .code = 3, .iov = &iov, .iov_count = 1 };
	struct fastipc_reply r;
	uint64_t first;

	fipc_fill(out, BIG, 3);
	ASSERT_EQ(0, fastipc_call(self->c, self->h, &m, &r));
	EXPECT_EQ(4, r.code);
	ASSERT_EQ(BIG, r.len);
	EXPECT_EQ(0, r.flags & FASTIPC_RET_INLINE);
	EXPECT_EQ(-1, fipc_check(r.data, BIG, 3));
	/* Ours; the server frees its request right after its (immediate,
	 * since large) reply.
	 */
	FIPC_EXPECT_STAT_SOON(1, "buffers");
	first = r.txn_id;
	EXPECT_EQ(0, fastipc_reply_release(self->c, &r));
	EXPECT_EQ(NULL, r.data);
	/* Released once; the second time is a no-op. */
	EXPECT_EQ(0, fastipc_reply_release(self->c, &r));
	FIPC_EXPECT_STAT_SOON(0, "buffers");

	/* The server's reply of BIG bytes (sent at once, not deferred). */
	m.code = CODE_BIG;
	m.iov_count = 0;
	ASSERT_EQ(0, fastipc_call(self->c, self->h, &m, &r));
	EXPECT_EQ(BIG, r.code);
	ASSERT_EQ(BIG, r.len);
	EXPECT_EQ(-1, fipc_check(r.data, BIG, 7));
	EXPECT_NE(first, r.txn_id);
	EXPECT_EQ(0, fastipc_reply_release(self->c, &r));
	/* The server released its request buffers too. */
	FIPC_EXPECT_STAT_SOON(0, "buffers");
	EXPECT_EQ(-EINVAL, fastipc_reply_release(NULL, &r));
	EXPECT_EQ(-EINVAL, fastipc_reply_release(self->c, NULL));
}

/* The hot path: a call is one ioctl and the library allocates nothing. */
TEST_F(lib, call_allocates_nothing)
{
	static char big[BIG];
	struct iovec iov[2] = { { "ping", 4 }, { big, BIG } };
	struct fastipc_msg m = { .code = 1, .iov = iov, .iov_count = 1 };
	struct fastipc_reply r;
	unsigned long before;
	uint32_t h;
	int i;

	/* Warm up: thread-specific data, the server's pool. */
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, fastipc_call(self->c, self->h, &m, &r));
	before = lt_allocs;
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, fastipc_call(self->c, self->h, &m, &r));
		ASSERT_EQ(4, r.len);
	}
	/* A large payload: the reply is a view into the area. */
	m.iov_count = 2;
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, fastipc_call(self->c, self->h, &m, &r));
		ASSERT_EQ(4 + BIG, r.len);
		ASSERT_EQ(0, fastipc_reply_release(self->c, &r));
	}
	EXPECT_EQ(before, lt_allocs);
	/* The counter works: creating a node allocates. */
	ASSERT_EQ(0, fastipc_node_create(self->c, echo_handler, NULL, NULL,
					 &h));
	EXPECT_LT(before, lt_allocs);
}

TEST_F(lib, call_copy)
{
	struct iovec iov = { "copy me", 7 };
	struct fastipc_msg m = { .code = 20, .iov = &iov, .iov_count = 1 };
	char buf[16], small[4];
	uint64_t code = 0;
	static char big[BIG];

	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(7, fastipc_call_copy(self->c, self->h, &m, buf, sizeof(buf),
				       &code));
	EXPECT_EQ(21, code);
	EXPECT_STREQ("copy me", buf);
	EXPECT_EQ(-EMSGSIZE, fastipc_call_copy(self->c, self->h, &m, small,
					       sizeof(small), NULL));
	m.code = CODE_BIG;
	m.iov_count = 0;
	EXPECT_EQ(-EMSGSIZE, fastipc_call_copy(self->c, self->h, &m, small,
					       sizeof(small), NULL));
	/* The buffer was given back all the same. */
	FIPC_EXPECT_STAT_SOON(0, "buffers");
	EXPECT_EQ(BIG, fastipc_call_copy(self->c, self->h, &m, big, BIG, &code));
	EXPECT_EQ(-1, fipc_check(big, BIG, 7));
	EXPECT_EQ(-EINVAL, fastipc_call_copy(self->c, self->h, &m, NULL, 4,
					     NULL));
	m.code = CODE_ERR;
	EXPECT_EQ(-EACCES, fastipc_call_copy(self->c, self->h, &m, buf,
					     sizeof(buf), NULL));
}

TEST_F(lib, call_errors)
{
	struct iovec iov = { "x", 1 };
	struct fastipc_msg m = { .code = CODE_ERR };
	struct fastipc_reply r;
	uint32_t bad = 55;
	int fd = fastipc_peer_fd(self->c);

	/* The handler's return value: REPLY_ERROR, reason and errno kept. */
	EXPECT_EQ(-EACCES, fastipc_call(self->c, self->h, &m, &r));
	EXPECT_EQ(-EACCES, r.error);
	EXPECT_EQ(FASTIPC_REASON_REPLIED_ERROR, r.reason);
	EXPECT_EQ(g.last_id, r.txn_id);
	m.code = CODE_ERR2;
	EXPECT_EQ(-EPERM, fastipc_call(self->c, self->h, &m, &r));
	EXPECT_EQ(FASTIPC_REASON_REPLIED_ERROR, r.reason);
	/* An unknown code: the handler's -EBADRQC. */
	m.code = 0xe00;
	EXPECT_EQ(-EBADRQC, fastipc_call(self->c, self->h, &m, &r));

	/* Write-phase errors: no reason. */
	m.code = 1;
	EXPECT_EQ(-ENOENT, fastipc_call(self->c, 99, &m, &r));
	EXPECT_EQ(-ENOENT, r.error);
	EXPECT_EQ(FASTIPC_REASON_NONE, r.reason);
	EXPECT_EQ(0, r.txn_id);
	m.reserved[3] = 1;	/* room for later fields: zero */
	EXPECT_EQ(-EINVAL, fastipc_call(self->c, self->h, &m, &r));
	EXPECT_EQ(-EINVAL, fastipc_send(self->c, self->h, &m));
	m.reserved[3] = 0;
	m.iov_count = 1;	/* and no iov */
	EXPECT_EQ(-EINVAL, fastipc_call(self->c, self->h, &m, &r));
	m.iov = &iov;
	m.n_handles = 1;	/* and no handles */
	EXPECT_EQ(-EINVAL, fastipc_call(self->c, self->h, &m, &r));
	m.n_handles = 0;
	m.n_fds = 1;		/* and no fds */
	EXPECT_EQ(-EINVAL, fastipc_send(self->c, self->h, &m));
	m.n_fds = 0;
	m.flags = 1;
	EXPECT_EQ(-EINVAL, fastipc_call(self->c, self->h, &m, &r));
	m.flags = 0;
	EXPECT_EQ(-EINVAL, fastipc_call(self->c, self->h, &m, NULL));
	EXPECT_EQ(-EINVAL, fastipc_call(NULL, self->h, &m, &r));
	EXPECT_EQ(-EINVAL, fastipc_send(NULL, self->h, &m));
	EXPECT_EQ(-ENOENT, fastipc_send(self->c, 99, &m));
	/* A handle we do not hold, in the message. */
	m.handles = &bad;
	m.n_handles = 1;
	EXPECT_EQ(-ENOENT, fastipc_call(self->c, self->h, &m, &r));
	m.n_handles = 0;
	/* A fastipc descriptor is never passed. */
	m.fds = &fd;
	m.n_fds = 1;
	EXPECT_EQ(-EINVAL, fastipc_call(self->c, self->h, &m, &r));
}

TEST_F(lib, dead_target)
{
	struct fastipc_msg m = { .code = 5 };
	struct fastipc_reply r;

	lt_server_stop(&self->s);
	EXPECT_EQ(-EPIPE, fastipc_call(self->c, self->h, &m, &r));
	EXPECT_EQ(-EPIPE, r.error);
	EXPECT_EQ(FASTIPC_REASON_DEAD_TARGET, r.reason);
	EXPECT_STREQ("dead target", fastipc_strreason(r.reason));
	EXPECT_EQ(-EPIPE, fastipc_send(self->c, self->h, &m));
	self->s.p = NULL;
}

TEST_F(lib, send_oneway)
{
	struct iovec iov = { "one-way", 7 };
	struct fastipc_msg m = { .code = 0x77, .iov = &iov, .iov_count = 1 };
	int before = g.oneway.count;

	ASSERT_EQ(0, fastipc_send(self->c, self->h, &m));
	ASSERT_EQ(0, lt_event_wait(&g.oneway, before + 1, 10));
	EXPECT_EQ(0x77, g.oneway_code);
	EXPECT_EQ(0, memcmp(g.oneway_data, "one-way", 7));
	m.deadline_ns = 1;	/* no deadline on a one-way */
	EXPECT_EQ(-EINVAL, fastipc_send(self->c, self->h, &m));
	/* An empty one. */
	ASSERT_EQ(0, fastipc_send(self->c, self->h, NULL));
	ASSERT_EQ(0, lt_event_wait(&g.oneway, before + 2, 10));
	EXPECT_EQ(0, g.oneway_code);
}

struct deferred_arg {
	struct fastipc_peer *p;
	uint32_t h;
	uint64_t code;
	int ret;
	struct fastipc_reply r;
	uint64_t deadline;
};

static void *deferred_caller(void *arg)
{
	struct deferred_arg *d = arg;
	struct fastipc_msg m = { .code = d->code, .deadline_ns = d->deadline };

	d->ret = fastipc_call(d->p, d->h, &m, &d->r);
	return NULL;
}

TEST_F(lib, reply_by_id)
{
	struct deferred_arg d = { .p = self->c, .h = self->h,
				  .code = CODE_DEFER };
	struct iovec iov = { "later", 5 };
	struct fastipc_msg m = { .code = 99, .iov = &iov, .iov_count = 1 };
	int before = g.deferred.count;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, deferred_caller, &d));
	ASSERT_EQ(0, lt_event_wait(&g.deferred, before + 1, 10));
	/* Answered from this thread, not the looper. */
	EXPECT_EQ(-EINVAL, fastipc_reply_id(self->s.p, 0, &m));
	EXPECT_EQ(-EPROTO, fastipc_reply_id(self->s.p, g.deferred_id + 1000,
					    &m));
	EXPECT_EQ(0, fastipc_reply_id(self->s.p, g.deferred_id, &m));
	pthread_join(t, NULL);
	ASSERT_EQ(0, d.ret);
	EXPECT_EQ(g.deferred_id, d.r.txn_id);
	EXPECT_EQ(99, d.r.code);
	ASSERT_EQ(5, d.r.len);
	EXPECT_EQ(0, memcmp(d.r.data, "later", 5));

	/* And with an error. */
	ASSERT_EQ(0, pthread_create(&t, NULL, deferred_caller, &d));
	ASSERT_EQ(0, lt_event_wait(&g.deferred, before + 2, 10));
	EXPECT_EQ(-EINVAL, fastipc_reply_error_id(self->s.p, g.deferred_id, 0));
	EXPECT_EQ(-EINVAL, fastipc_reply_error_id(NULL, g.deferred_id, 1));
	EXPECT_EQ(0, fastipc_reply_error_id(self->s.p, g.deferred_id,
					    -ECONNREFUSED));
	pthread_join(t, NULL);
	EXPECT_EQ(-ECONNREFUSED, d.ret);
	EXPECT_EQ(FASTIPC_REASON_REPLIED_ERROR, d.r.reason);
}

TEST_F(lib, deadline)
{
	struct deferred_arg d = { .p = self->c, .h = self->h,
				  .code = CODE_DEFER };
	int before = g.deferred.count;
	pthread_t t;

	d.deadline = lt_now_ns() + 100 * 1000000ULL;
	if (!(fastipc_peer_features(self->c) & FASTIPC_FEAT_DEADLINE)) {
		struct fastipc_msg m = { .deadline_ns = d.deadline };
		struct fastipc_reply r;

		EXPECT_EQ(-EOPNOTSUPP, fastipc_call(self->c, self->h, &m, &r));
		EXPECT_EQ(-EOPNOTSUPP, r.error);
		SKIP(return, "module without FASTIPC_FEAT_DEADLINE");
	}
	ASSERT_EQ(0, pthread_create(&t, NULL, deferred_caller, &d));
	ASSERT_EQ(0, lt_event_wait(&g.deferred, before + 1, 10));
	/* Never answered in time: the deadline ends the call. */
	pthread_join(t, NULL);
	EXPECT_EQ(-ETIMEDOUT, d.ret);
	EXPECT_EQ(FASTIPC_REASON_TIMED_OUT, d.r.reason);
	EXPECT_EQ(g.deferred_id, d.r.txn_id);
	/* The late reply is dropped and still succeeds. */
	EXPECT_EQ(0, fastipc_reply_id(self->s.p, g.deferred_id, NULL));
}

static int released_count;
static uint32_t released_handle;

static void client_released(struct fastipc_peer *p, uint32_t h, void *cookie)
{
	released_count++;
	released_handle = h;
}

static int client_node(struct fastipc_txn *txn, void *cookie)
{
	struct fastipc_msg m = { .code = txn->code + 1 };

	*(pid_t *)cookie = (pid_t)syscall(SYS_gettid);
	return fastipc_reply(txn, &m);
}

TEST_F(lib, handles_in_messages_and_recursion)
{
	struct fastipc_msg m = { .code = CODE_HANDLE };
	struct fastipc_reply r;
	struct fastipc_node_opts no = { .released = client_released };
	pid_t served_on = 0;
	uint32_t mine;
	int before = g.oneway.count;

	/* Our own node, reachable by the server through the message. */
	ASSERT_EQ(0, fastipc_node_create(self->c, client_node, &served_on,
					 &no, &mine));
	m.handles = &mine;
	m.n_handles = 1;
	ASSERT_EQ(0, fastipc_call(self->c, self->h, &m, &r));
	EXPECT_EQ(0, r.code);	/* the server's fastipc_send() result */
	/* Its one-way came to our node: dispatch it here. */
	EXPECT_EQ(1, fastipc_dispatch(self->c, FASTIPC_DISPATCH_WAIT));
	EXPECT_EQ((pid_t)syscall(SYS_gettid), served_on);
	EXPECT_EQ(before, g.oneway.count);
	/* The server released its handle: our node-released callback. */
	EXPECT_EQ(0, released_count);
	EXPECT_EQ(1, fastipc_dispatch(self->c, FASTIPC_DISPATCH_WAIT));
	EXPECT_EQ(1, released_count);
	EXPECT_EQ(mine, released_handle);

	/* The server calls us back while we wait: served on this thread. */
	m.code = CODE_BACK;
	served_on = 0;
	ASSERT_EQ(0, fastipc_call(self->c, self->h, &m, &r));
	EXPECT_EQ(1001, r.code);
	EXPECT_EQ((pid_t)syscall(SYS_gettid), served_on);
	EXPECT_EQ(1, fastipc_dispatch(self->c, FASTIPC_DISPATCH_WAIT));
	EXPECT_EQ(2, released_count);
	EXPECT_EQ(-EAGAIN, fastipc_dispatch(self->c, 0));
}

TEST_F(lib, fd_passing)
{
	struct fastipc_msg m = { .code = CODE_FD };
	struct fastipc_reply r;
	char buf[8] = { 0 };
	int fd;

	ASSERT_EQ(0, fastipc_call(self->c, self->h, &m, &r));
	ASSERT_EQ(1, r.n_fds);
	EXPECT_EQ(0, r.flags & FASTIPC_RET_FDS_FAILED);
	fd = r.fds[0];
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, fastipc_reply_release(self->c, &r));
	/* The write end of the server's pipe: the server reads what we wrote. */
	EXPECT_EQ(3, write(fd, "fd!", 3));
	close(fd);
	EXPECT_EQ(3, read(g.pipe_rd, buf, sizeof(buf)));
	EXPECT_STREQ("fd!", buf);
	close(g.pipe_rd);
}

TEST_HARNESS_MAIN
