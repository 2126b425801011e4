// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc: the kernel memory a user makes the module allocate is charged to
 * that user's memory cgroup.  A child in a cgroup with a small memory.max
 * (and no swap) floods one kind of object until the module says no; the
 * flood must end with a clean errno (ENOMEM, or the module's own ENOSPC
 * where a limit of its own comes first), never with an OOM kill (in the
 * cgroup or outside), never past the cgroup's limit (but for a moment's
 * slack), and where the module has no limit of its own the cgroup's must be
 * what stopped it (memory.events: max or oom).  Once the child is gone, the
 * debugfs counters are back where they were.
 *
 * For that, the module's allocations must fail rather than call the
 * cgroup's OOM killer (__GFP_RETRY_MAYFAIL or __GFP_NORETRY with
 * __GFP_ACCOUNT) and a failed area allocation must not warn (__GFP_NOWARN):
 * both print a stack trace that the guest's dmesg scan counts as a splat.
 *
 * A module that charges nothing lets every flood run to its bound (a number
 * of objects that cannot fit in the limit) or to the module's own limits,
 * while memory.current stays tiny: every test here then fails.
 *
 * Root only (cgroups); skips without the cgroup v2 memory controller.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include "kselftest_harness.h"
#include "fastipc_util.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define LIMIT		(8 * FIPC_MIB)	/* memory.max of the flood's cgroup */
/*
 * No object a flood makes the module allocate takes less than this (the
 * smallest is a handle's ref, 48 bytes of its slab cache, plus its slot in
 * the peer's handle table): a flood of LIMIT / MIN_OBJECT objects that
 * never fails was not charged.
 */
#define MIN_OBJECT	48
#define BOUND		(LIMIT / MIN_OBJECT)
/* Usage may pass memory.max for a moment (forced and atomic charges). */
#define SLACK		(FIPC_MIB / 2)
#define BATCH		64	/* commands per WRITE_READ */
#define FD_BATCH	200	/* export fds per SCM_RIGHTS message */

/* ---- cgroup files ---------------------------------------------------------- */

static int write_file(const char *dir, const char *name, const char *val)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? (int)n : 0;
}

static int read_file(const char *dir, const char *name, char *buf, size_t size)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/* A number file (memory.current, memory.peak).  Return: it, or -1. */
static long read_num(const char *dir, const char *name)
{
	char buf[64];

	return read_file(dir, name, buf, sizeof(buf)) ? -1 : atol(buf);
}

/* One "key value" line of a flat-keyed file.  Return: the value, or -1. */
static long read_key(const char *dir, const char *name, const char *key)
{
	char buf[4096], *p;
	size_t len = strlen(key);

	if (read_file(dir, name, buf, sizeof(buf)))
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, len) && p[len] == ' ')
			return atol(p + len + 1);
	return -1;
}

/* ---- the fixture: a fresh cgroup per test ------------------------------------ */

FIXTURE(memcg) {
	char cg[128];		/* the flood's cgroup, "" until created */
	char why[160];		/* why the test cannot run, "" if it can */
	long oom_kills;		/* /proc/vmstat oom_kill before: all kills */
	struct fipc_stats base;	/* the debugfs counters before */
};

/* The cgroup v2 memory controller, mounted and enabled for children. */
static int memcg_available(char *why, size_t size)
{
	struct statfs sf;
	char buf[256];
	int ret;

	if (geteuid()) {
		snprintf(why, size, "needs root: creates a memory cgroup");
		return -EPERM;
	}
	if ((statfs(CG_ROOT, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) &&
	    mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL)) {
		snprintf(why, size, "cannot mount cgroup2 at %s: %s", CG_ROOT,
			 strerror(errno));
		return -errno;
	}
	if (read_file(CG_ROOT, "cgroup.controllers", buf, sizeof(buf)) ||
	    !strstr(buf, "memory")) {
		snprintf(why, size, "no cgroup v2 memory controller");
		return -ENOENT;
	}
	ret = write_file(CG_ROOT, "cgroup.subtree_control", "+memory");
	if (ret) {
		snprintf(why, size, "cannot enable +memory: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

FIXTURE_SETUP(memcg)
{
	char path[128];
	int ret;

	if (memcg_available(self->why, sizeof(self->why)))
		return;
	snprintf(path, sizeof(path), CG_ROOT "/fastipc-memcg-%d", getpid());
	ASSERT_EQ(0, mkdir(path, 0755)) TH_LOG("%s: %s", path, strerror(errno));
	strcpy(self->cg, path);
	snprintf(path, sizeof(path), "%lu", LIMIT);
	ASSERT_EQ(0, write_file(self->cg, "memory.max", path));
	/* No swap to push anything to (absent without swap accounting). */
	ret = write_file(self->cg, "memory.swap.max", "0");
	ASSERT_TRUE(!ret || ret == -ENOENT);
	self->oom_kills = read_key("/proc", "vmstat", "oom_kill");
	ASSERT_EQ(0, fipc_baseline(&self->base));
}

FIXTURE_TEARDOWN(memcg)
{
	int i;

	if (!self->cg[0])
		return;
	/* The cgroup empties once the killed or exited child is reaped. */
	for (i = 0; i < 100 && rmdir(self->cg) && errno == EBUSY; i++)
		fipc_msleep(10);
}

#define MEMCG_REQUIRED() do { \
	if (self->why[0]) \
		SKIP(return, "%s", self->why); \
} while (0)

/* ---- running a flood --------------------------------------------------------- */

/**
 * struct flood - what the child did, in memory shared with the parent: once
 * the cgroup is full, the child must not allocate (a pipe buffer, a page
 * table) to report, or the cgroup's OOM killer takes it.
 * @err: the errno that ended the flood, 0 if it reached its bound.
 * @count: objects made before that.
 * @what: the operation that failed (or the last one tried).
 */
struct flood {
	int err;
	long count;
	char what[32];
};

/* Return: 0 at the bound, or the -errno that ended the flood. */
typedef int (*flood_fn)(struct flood *f, void *arg);

#define FLOOD_OP(f, op) snprintf((f)->what, sizeof((f)->what), "%s", op)

/* What the parent saw of one flood. */
struct outcome {
	struct flood f;
	int status;		/* the child's wait status */
	long peak;		/* memory.peak, or the highest memory.current seen */
	long max_events, oom_events, oom_kills;
};

/* In the child: lift the fd limit, join the cgroup, flood, report. */
static void flood_child(const char *cg, struct flood *f, flood_fn fn,
			void *arg)
{
	struct rlimit rl;
	char pid[32];
	long nr_open;

	/* Touch the report first: mapped before the cgroup fills. */
	FLOOD_OP(f, "setup");
	f->err = EIO;
	/* Memory, not the number of descriptors, is to be the limit. */
	nr_open = read_num("/proc/sys/fs", "nr_open");
	rl.rlim_cur = rl.rlim_max = nr_open > 0 ? nr_open : 1 << 20;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		_exit(1);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(cg, "cgroup.procs", pid))
		_exit(1);
	f->err = 0;
	f->err = -fn(f, arg);
	_exit(0);
}

static void run_flood(struct __test_metadata *_metadata,
		      FIXTURE_DATA(memcg) *self, flood_fn fn, void *arg,
		      struct outcome *o)
{
	struct flood *f;
	long cur;
	pid_t pid;
	int ret;

	memset(o, 0, sizeof(*o));
	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f);
	memset(f, 0, sizeof(*f));
	f->err = EIO;
	FLOOD_OP(f, "no report");
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		flood_child(self->cg, f, fn, arg);
	/* Sample memory.current meanwhile (memory.peak may be missing). */
	while ((ret = waitpid(pid, &o->status, WNOHANG)) == 0) {
		cur = read_num(self->cg, "memory.current");
		if (cur > o->peak)
			o->peak = cur;
		fipc_msleep(5);
	}
	ASSERT_EQ(pid, ret);
	o->f = *f;
	munmap(f, sizeof(*f));
	cur = read_num(self->cg, "memory.peak");
	if (cur > o->peak)
		o->peak = cur;
	o->max_events = read_key(self->cg, "memory.events", "max");
	o->oom_events = read_key(self->cg, "memory.events", "oom");
	o->oom_kills = read_key(self->cg, "memory.events", "oom_kill");
	fprintf(stderr, "# %s: %ld x %s, then %s; peak %ld KiB of %lu\n",
		_metadata->name, o->f.count, o->f.what,
		o->f.err ? strerror(o->f.err) : "the bound", o->peak >> 10,
		LIMIT >> 10);
	fprintf(stderr, "# %s: memory.events max %ld oom %ld oom_kill %ld\n",
		_metadata->name, o->max_events, o->oom_events, o->oom_kills);
}

/*
 * The checks every flood must pass.  @errs: the clean ends (0-terminated);
 * @charged: nothing of the module's own stops this flood before memory.max,
 * so the cgroup's limit must show as hit.
 */
static void expect_clean(struct __test_metadata *_metadata,
			 FIXTURE_DATA(memcg) *self, const struct outcome *o,
			 const int *errs, bool charged)
{
	bool clean = false;
	int i;

	if (WIFSIGNALED(o->status)) {
		EXPECT_FALSE(WIFSIGNALED(o->status))
			TH_LOG("the flooding child was killed (signal %d) at %s #%ld",
			       WTERMSIG(o->status), o->f.what, o->f.count + 1);
	} else {
		EXPECT_EQ(0, WEXITSTATUS(o->status))
			TH_LOG("the child failed at %s", o->f.what);
		EXPECT_NE(0, o->f.err)
			TH_LOG("%ld x %s, no failure in %lu KiB: not charged",
			       o->f.count, o->f.what, LIMIT >> 10);
		for (i = 0; errs[i]; i++)
			clean |= o->f.err == errs[i];
		if (o->f.err)
			EXPECT_TRUE(clean) TH_LOG("%s failed with %s",
						  o->f.what, strerror(o->f.err));
	}
	EXPECT_GE((long)(LIMIT + SLACK), o->peak);
	EXPECT_EQ(0, o->oom_kills) TH_LOG("the cgroup's OOM killer ran");
	EXPECT_EQ(self->oom_kills + o->oom_kills,
		  read_key("/proc", "vmstat", "oom_kill"))
		TH_LOG("an OOM kill outside the cgroup");
	if (charged)
		EXPECT_LT(0, o->max_events + o->oom_events)
			TH_LOG("memory.max never hit: the module's memory is not charged");
}

/* The debugfs counters are back to what they were (teardown may lag). */
static void expect_baseline(struct __test_metadata *_metadata,
			    FIXTURE_DATA(memcg) *self)
{
	struct fipc_stats now;
	int i;

	for (i = 0; i < 2000; i++) {
		ASSERT_EQ(0, fipc_stats_read(&now));
		if (fipc_stats_equal(&self->base, &now))
			break;
		fipc_msleep(10);
	}
	EXPECT_TRUE(fipc_stats_equal(&self->base, &now))
		TH_LOG("before " FIPC_STATS_FMT "; after " FIPC_STATS_FMT,
		       FIPC_STATS_ARGS(self->base), FIPC_STATS_ARGS(now));
}

/* ---- (1) one-ways to a peer that never reads ------------------------------ */

/* Open a receiver with a node (and an area of @area bytes) and a sender. */
static int pair(struct fipc_peer *r, struct fipc_peer *s, size_t area,
		__u32 *h)
{
	__u32 node;
	int ret;

	ret = fipc_peer_open(r, area);
	if (!ret)
		ret = fipc_peer_open(s, 0);
	if (!ret)
		ret = fipc_node_create(r->fd, 0, 1, &node);
	if (!ret)
		ret = fipc_share(r->fd, node, s->fd, h);
	return ret;
}

static int flood_oneway(struct flood *f, void *arg)
{
	size_t len = *(size_t *)arg;
	static char buf[4096];
	struct fastipc_cmd c[BATCH];
	struct fipc_peer r, s = { .fd = -1 };
	unsigned long consumed;
	__u32 h = 0;
	int i, ret;

	FLOOD_OP(f, "setup");
	ret = pair(&r, &s, len > FASTIPC_INLINE_MAX ? FIPC_MIB : 0, &h);
	FLOOD_OP(f, len > FASTIPC_INLINE_MAX ? "SEND (area)" : "SEND (inline)");
	while (!ret && f->count < BOUND) {
		for (i = 0; i < BATCH; i++)
			c[i] = fipc_cmd_send(h, f->count + i, buf, len);
		consumed = 0;
		ret = fipc_write(s.fd, c, BATCH, &consumed);
		f->count += consumed / FIPC_CMD_SIZE;
	}
	return ret;
}

TEST_F_TIMEOUT(memcg, oneway_inline, 300)
{
	static const int errs[] = { ENOSPC, ENOMEM, 0 };
	size_t len = FASTIPC_INLINE_MAX;
	struct outcome o;

	MEMCG_REQUIRED();
	run_flood(_metadata, self, flood_oneway, &len, &o);
	/* max_oneway may come first: ENOSPC without the cgroup's limit. */
	expect_clean(_metadata, self, &o, errs, false);
	expect_baseline(_metadata, self);
}

TEST_F_TIMEOUT(memcg, oneway_area, 300)
{
	static const int errs[] = { ENOSPC, ENOMEM, 0 };
	size_t len = 4096;
	struct outcome o;

	MEMCG_REQUIRED();
	run_flood(_metadata, self, flood_oneway, &len, &o);
	/* One-ways may take half the area: ENOSPC. */
	expect_clean(_metadata, self, &o, errs, false);
	expect_baseline(_metadata, self);
}

/* ---- (2) NODE_CREATE until it fails ---------------------------------------- */

static int flood_nodes(struct flood *f, void *arg)
{
	int fd, ret = 0;
	__u32 h;

	FLOOD_OP(f, "open");
	fd = fipc_open();
	if (fd < 0)
		return fd;
	FLOOD_OP(f, "NODE_CREATE");
	for (; !ret && f->count < BOUND; f->count += !ret)
		ret = fipc_node_create(fd, 0, f->count, &h);
	return ret;
}

TEST_F_TIMEOUT(memcg, node_create, 300)
{
	static const int errs[] = { ENOMEM, ENOSPC, 0 };
	struct outcome o;

	MEMCG_REQUIRED();
	run_flood(_metadata, self, flood_nodes, NULL, &o);
	/* max_handles (2^20) is far beyond BOUND: memory is the limit. */
	expect_clean(_metadata, self, &o, errs, true);
	expect_baseline(_metadata, self);
}

/* ---- (3) HANDLE_IMPORT of nodes owned outside the cgroup ------------------- */

/*
 * The owner (not in the cgroup) pushes FD_BATCH new nodes at a time as
 * export fds in one SCM_RIGHTS message, until the child is gone.  The
 * child never writes to the socket: at its cgroup's limit, the socket's
 * own (charged) buffer would wake the OOM killer, which is not ours.
 */
static void owner_main(int sock)
{
	int fds[FD_BATCH], fd = fipc_open(), i, n;
	__u32 h;

	if (fd < 0)
		_exit(1);
	for (;;) {
		for (n = 0; n < FD_BATCH; n++) {
			if (fipc_node_create(fd, 0, n, &h))
				_exit(2);
			fds[n] = fipc_export(fd, h);
			if (fds[n] < 0)
				_exit(3);
		}
		if (fipc_sock_send_fds(sock, fds, FD_BATCH))
			_exit(0);	/* the child is gone */
		for (i = 0; i < FD_BATCH; i++)
			close(fds[i]);
	}
	_exit(0);
}

static int flood_imports(struct flood *f, void *arg)
{
	int sock = *(int *)arg, fd, fds[FD_BATCH], i, ret = 0;
	char cbuf[CMSG_SPACE(sizeof(fds))], byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh;
	struct cmsghdr *cm;
	__u32 h;

	FLOOD_OP(f, "open");
	fd = fipc_open();
	if (fd < 0)
		return fd;
	while (!ret && f->count < BOUND) {
		FLOOD_OP(f, "fds from the owner");
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
			return -errno;
		cm = CMSG_FIRSTHDR(&mh);
		if ((mh.msg_flags & MSG_CTRUNC) || !cm ||
		    cm->cmsg_len != CMSG_LEN(sizeof(fds)))
			return -EMFILE;
		memcpy(fds, CMSG_DATA(cm), sizeof(fds));
		FLOOD_OP(f, "HANDLE_IMPORT");
		for (i = 0; i < FD_BATCH; i++) {
			if (!ret) {
				ret = fipc_import(fd, fds[i], &h);
				f->count += !ret;
			}
			close(fds[i]);
		}
	}
	return ret;
}

TEST_F_TIMEOUT(memcg, handle_import, 300)
{
	static const int errs[] = { ENOMEM, ENOSPC, 0 };
	struct outcome o;
	int sv[2], status;
	pid_t owner;

	MEMCG_REQUIRED();
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	owner = fork();
	ASSERT_LE(0, owner);
	if (!owner) {
		close(sv[0]);
		owner_main(sv[1]);
	}
	close(sv[1]);
	run_flood(_metadata, self, flood_imports, &sv[0], &o);
	close(sv[0]);
	ASSERT_EQ(owner, waitpid(owner, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	/* Refs and handles are the importer's: memory is the limit. */
	expect_clean(_metadata, self, &o, errs, true);
	expect_baseline(_metadata, self);
}

/* ---- (4) receive areas, as large as the module allows ---------------------- */

static int flood_areas(struct flood *f, void *arg)
{
	size_t size = *(size_t *)arg, mapped = 0;
	int fd;

	/* Bounded by mapped bytes: 4 x memory.max cannot be charged. */
	while (mapped <= 4 * LIMIT) {
		FLOOD_OP(f, "open");
		fd = fipc_open();
		if (fd < 0)
			return fd;
		FLOOD_OP(f, "mmap of an area");
		if (mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED)
			return -errno;
		mapped += size;
		f->count++;
	}
	return 0;
}

static size_t max_area(void)
{
	long v = read_num("/sys/module/fastipc/parameters", "max_area_size");

	return v > 0 ? (size_t)v : FIPC_DEF_MAX_AREA;
}

TEST_F_TIMEOUT(memcg, areas, 300)
{
	static const int errs[] = { ENOMEM, EMFILE, ENFILE, 0 };
	size_t size = max_area();
	struct outcome o;

	MEMCG_REQUIRED();
	run_flood(_metadata, self, flood_areas, &size, &o);
	expect_clean(_metadata, self, &o, errs, true);
	expect_baseline(_metadata, self);
}

TEST_HARNESS_MAIN
