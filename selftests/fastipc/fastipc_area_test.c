// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc: the receive area.  Read-only, one per peer, bounded in size, not
 * inherited, usable only by the opener; payloads land in it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fastipc_util.h"

#define COOKIE	0xa4ea0000cafeULL

static size_t page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static size_t max_area(void)
{
	FILE *f = fopen("/sys/module/fastipc/parameters/max_area_size", "re");
	unsigned long v = 0;

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v ? v : FIPC_DEF_MAX_AREA;
}

FIXTURE(area) {
	int fd;
	void *map;
	size_t size;
};

FIXTURE_SETUP(area)
{
	self->fd = fipc_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(area)
{
	if (self->map)
		munmap(self->map, self->size);
	close(self->fd);
	FIPC_EXPECT_ZERO();
}

static void *map_area(int fd, size_t size, int prot, off_t off)
{
	return mmap(NULL, size, prot, MAP_SHARED, fd, off);
}

TEST_F(area, write_mapping_refused)
{
	EXPECT_EQ(MAP_FAILED, map_area(self->fd, FIPC_MIB, PROT_READ | PROT_WRITE, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, map_area(self->fd, FIPC_MIB, PROT_WRITE, 0));
	EXPECT_EQ(EPERM, errno);
	/* The refusals did not use up the peer's one area. */
	self->size = FIPC_MIB;
	self->map = map_area(self->fd, FIPC_MIB, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, self->map);
}

TEST_F(area, second_mmap_busy)
{
	self->size = FIPC_MIB;
	self->map = map_area(self->fd, FIPC_MIB, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	EXPECT_EQ(MAP_FAILED, map_area(self->fd, FIPC_MIB, PROT_READ, 0));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(MAP_FAILED, map_area(self->fd, page(), PROT_READ, 0));
	EXPECT_EQ(EBUSY, errno);
}

TEST_F(area, mprotect_write_fails)
{
	self->size = FIPC_MIB;
	self->map = map_area(self->fd, FIPC_MIB, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	EXPECT_EQ(-1, mprotect(self->map, FIPC_MIB, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(self->map, page(), PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	/* Still readable. */
	EXPECT_EQ(0, mprotect(self->map, FIPC_MIB, PROT_READ));
	EXPECT_EQ(0, ((volatile char *)self->map)[0] & 0);
}

TEST_F(area, size_limits)
{
	size_t max = max_area();
	int fd2;
	void *m;

	EXPECT_EQ(MAP_FAILED, map_area(self->fd, max + page(), PROT_READ, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Only offset 0. */
	EXPECT_EQ(MAP_FAILED, map_area(self->fd, page(), PROT_READ, page()));
	/* The maximum itself is fine, as is one page on another peer. */
	self->size = max;
	self->map = map_area(self->fd, max, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	fd2 = fipc_open();
	ASSERT_LE(0, fd2);
	m = map_area(fd2, page(), PROT_READ, 0);
	EXPECT_NE(MAP_FAILED, m);
	if (m != MAP_FAILED)
		munmap(m, page());
	close(fd2);
}

TEST_F(area, forked_child_touch_segv)
{
	int status;
	pid_t pid;

	self->size = FIPC_MIB;
	self->map = map_area(self->fd, FIPC_MIB, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	/* The parent may read it. */
	EXPECT_EQ(0, ((volatile char *)self->map)[0] & 0);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		volatile char c = ((volatile char *)self->map)[0];

		(void)c;
		_exit(0);	/* should not get here */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGSEGV, WTERMSIG(status));
}

TEST_F(area, forked_child_gets_echild)
{
	struct fastipc_version v;
	int status;
	__u32 h;
	pid_t pid;

	/* No area yet: a child's mmap could only fail for being a child. */
	ASSERT_EQ(0, fipc_node_create(self->fd, 0, COOKIE, &h));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct fastipc_cmd c = fipc_cmd_op(FASTIPC_CMD_ACQUIRE, h, 0);
		__u32 x;

		if (fipc_write(self->fd, &c, 1, NULL) != -ECHILD)
			_exit(10);
		if (fipc_node_create(self->fd, 0, COOKIE, &x) != -ECHILD)
			_exit(11);
		if (fipc_export(self->fd, h) != -ECHILD)
			_exit(12);
		if (map_area(self->fd, FIPC_MIB, PROT_READ, 0) != MAP_FAILED ||
		    errno != ECHILD)
			_exit(13);
		if (ioctl(self->fd, FASTIPC_IOC_VERSION, &v))
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Nothing happened to the parent's peer: one reference, one node. */
	EXPECT_EQ(0, fipc_write1(self->fd, fipc_cmd_op(FASTIPC_CMD_RELEASE, h, 0)));
	EXPECT_EQ(-ENOENT, fipc_write1(self->fd,
				       fipc_cmd_op(FASTIPC_CMD_RELEASE, h, 0)));
	self->size = FIPC_MIB;
	self->map = map_area(self->fd, FIPC_MIB, PROT_READ, 0);
	EXPECT_NE(MAP_FAILED, self->map);
	if (self->map == MAP_FAILED)
		self->map = NULL;
}

/* Messages land in the area, non-overlapping, handles after the data. */
TEST_F(area, pooled_data_visible)
{
	struct fipc_peer p = { .fd = self->fd };
	struct fastipc_ret r[3];
	struct fastipc_cmd c[3];
	static char d0[100], d1[5000];
	__u32 node, h, hs[1];
	int sender, i, j;

	self->size = FIPC_MIB;
	self->map = map_area(self->fd, FIPC_MIB, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	p.area = self->map;
	p.size = self->size;
	ASSERT_EQ(0, fipc_node_create(self->fd, 0, COOKIE, &node));
	sender = fipc_open();
	ASSERT_LE(0, sender);
	ASSERT_EQ(0, fipc_share(self->fd, node, sender, &h));

	fipc_fill(d0, sizeof(d0), 1);
	fipc_fill(d1, sizeof(d1), 2);
	hs[0] = h;
	c[0] = fipc_cmd_send(h, 0, d0, sizeof(d0));
	c[1] = fipc_cmd_send(h, 1, d1, sizeof(d1));
	/* Three bytes and a handle: not inline because of the handle. */
	c[2] = fipc_cmd_send(h, 2, "abc", 3);
	c[2].handles = fipc_ptr(hs);
	c[2].n_handles = 1;
	ASSERT_EQ(0, fipc_write(sender, c, 3, NULL));
	FIPC_EXPECT_STAT(3, "buffers");
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, fipc_read_one(self->fd, FASTIPC_WR_NONBLOCK, &r[i],
					   NULL));
		ASSERT_EQ(FASTIPC_RET_TRANSACTION, r[i].op);
		EXPECT_EQ(i, r[i].code);
		EXPECT_EQ(0, r[i].flags & FASTIPC_RET_INLINE);
		ASSERT_NE(NULL, fipc_payload(&p, &r[i]));
	}
	EXPECT_EQ(-1, fipc_check((char *)self->map + r[0].offset, sizeof(d0), 1));
	EXPECT_EQ(-1, fipc_check((char *)self->map + r[1].offset, sizeof(d1), 2));
	EXPECT_EQ(0, memcmp((char *)self->map + r[2].offset, "abc", 3));
	ASSERT_EQ(1, r[2].n_handles);
	/* Our own node comes back as our own handle. */
	EXPECT_EQ(node, fipc_ret_handles(&p, &r[2])[0]);
	/* No two buffers overlap (handles included). */
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			__u64 end_i = r[i].offset + ((r[i].data_len + 7) & ~7ULL) +
				      4 * r[i].n_handles;

			if (i == j)
				continue;
			EXPECT_TRUE(end_i <= r[j].offset || r[i].offset >= r[j].offset +
				    r[j].data_len);
		}
	/* Free the middle one first; the others stay intact. */
	EXPECT_EQ(0, fipc_free(self->fd, r[1].offset));
	EXPECT_EQ(-1, fipc_check((char *)self->map + r[0].offset, sizeof(d0), 1));
	EXPECT_EQ(0, fipc_free(self->fd, r[0].offset));
	EXPECT_EQ(0, memcmp((char *)self->map + r[2].offset, "abc", 3));
	EXPECT_EQ(0, fipc_free(self->fd, r[2].offset));
	/* The handle came with one more reference. */
	EXPECT_EQ(0, fipc_write1(self->fd,
				 fipc_cmd_op(FASTIPC_CMD_RELEASE, node, 0)));
	FIPC_EXPECT_STAT(0, "buffers");
	close(sender);
}

TEST_F(area, no_area)
{
	struct fastipc_write_read wr;
	struct fastipc_cmd c;
	struct fastipc_ret r;
	char b[200];
	int sender;
	__u32 node, h;

	ASSERT_EQ(0, fipc_node_create(self->fd, 0, COOKIE, &node));
	sender = fipc_open();
	ASSERT_LE(0, sender);
	ASSERT_EQ(0, fipc_share(self->fd, node, sender, &h));
	memset(b, 'n', sizeof(b));

	/* Inline needs no area. */
	EXPECT_EQ(0, fipc_send(sender, h, 1, b, FASTIPC_INLINE_MAX));
	ASSERT_EQ(0, fipc_read_one(self->fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_TRUE(r.flags & FASTIPC_RET_INLINE);
	EXPECT_EQ(FASTIPC_INLINE_MAX, r.data_len);
	/* Pooled one-way: refused right away. */
	EXPECT_EQ(-ENOSPC, fipc_send(sender, h, 2, b, sizeof(b)));
	/* Pooled call: fails at delivery. */
	c = fipc_cmd_call(h, 3, b, sizeof(b));
	ASSERT_EQ(0, fipc_wr(sender, 0, &c, 1, &r, 1, &wr));
	EXPECT_EQ(FIPC_CMD_SIZE, wr.write_consumed);
	ASSERT_EQ(FIPC_RET_SIZE, wr.read_consumed);
	EXPECT_EQ(FASTIPC_RET_FAILED_REPLY, r.op);
	EXPECT_EQ(FASTIPC_REASON_NO_AREA, r.reason);
	EXPECT_EQ(ENOSPC, r.code);
	EXPECT_EQ(-EAGAIN, fipc_read(self->fd, FASTIPC_WR_NONBLOCK, &r, 1));
	FIPC_EXPECT_STAT(0, "buffers");

	/* With an area, the same message goes through. */
	self->size = FIPC_MIB;
	self->map = map_area(self->fd, FIPC_MIB, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	EXPECT_EQ(0, fipc_send(sender, h, 4, b, sizeof(b)));
	ASSERT_EQ(0, fipc_read_one(self->fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(4, r.code);
	EXPECT_EQ(0, memcmp((char *)self->map + r.offset, b, sizeof(b)));
	EXPECT_EQ(0, fipc_free(self->fd, r.offset));
	close(sender);
}

struct caller {
	int fd;
	__u32 h;
	int ret;
	struct fastipc_ret r;
};

static void *caller_main(void *arg)
{
	struct caller *c = arg;

	c->ret = fipc_call(c->fd, c->h, 1, "q", 1, &c->r);
	return NULL;
}

TEST_F(area, reply_too_big_for_caller)
{
	struct fipc_peer cl;
	struct caller c = { .ret = -1 };
	struct fastipc_ret r;
	static char big[2 * 4096];
	struct timespec ts;
	pthread_t t;
	__u32 node;

	/* The caller's area is one page. */
	ASSERT_EQ(0, fipc_peer_open(&cl, page()));
	ASSERT_EQ(0, fipc_node_create(self->fd, 0, COOKIE, &node));
	ASSERT_EQ(0, fipc_share(self->fd, node, cl.fd, &c.h));
	c.fd = cl.fd;
	ASSERT_EQ(0, pthread_create(&t, NULL, caller_main, &c));
	ASSERT_EQ(0, fipc_read_one(self->fd, 0, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(-ENOSPC, fipc_write1(self->fd,
				       fipc_cmd_reply(0, 5, big, sizeof(big))));
	/* Still pending: a smaller answer goes through. */
	fipc_fill(big, 100, 6);
	EXPECT_EQ(0, fipc_write1(self->fd, fipc_cmd_reply(0, 6, big, 100)));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	ASSERT_EQ(0, pthread_timedjoin_np(t, NULL, &ts));
	EXPECT_EQ(0, c.ret);
	EXPECT_EQ(FASTIPC_RET_REPLY, c.r.op);
	EXPECT_EQ(6, c.r.code);
	ASSERT_EQ(100, c.r.data_len);
	EXPECT_EQ(-1, fipc_check(fipc_payload(&cl, &c.r), 100, 6));
	EXPECT_EQ(0, fipc_free(cl.fd, c.r.offset));
	fipc_peer_close(&cl);
}

TEST_HARNESS_MAIN
