// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc: regression tests for the hardening of issue 11: the items 1-14
 * of its spec's "Behaviour changes" and its "Limits" (module parameters
 * max_oneway, max_handle_refs, max_handles; fastipc_write_read.reason).
 * Each test names the spec item it guards and the defect it comes from.
 * Every test is bounded (a call deadline, a timed join, or a child
 * process watched from outside) so that on a module without the fix a hang is a
 * failure, not a stuck guest; scenarios that used to wedge a thread in the
 * kernel run in a child process that the test can leave behind.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "fastipc_util.h"

#define AREA		FIPC_MIB
#define COOKIE_S	0x5e5e00015e5e0001ULL
#define DEATH_COOKIE	0xdead0000beefULL

/* ---- small helpers ------------------------------------------------------ */

static int op1(int fd, __u32 op, __u32 h, __u64 arg)
{
	return fipc_write1(fd, fipc_cmd_op(op, h, arg));
}

/* The calling thread: SCHED_OTHER at @nice. */
static int set_nice_self(int nice)
{
	struct sched_param sp = { 0 };

	if (sched_setscheduler(0, SCHED_OTHER, &sp))
		return -errno;
	return setpriority(PRIO_PROCESS, fipc_gettid(), nice) ? -errno : 0;
}

/* Run the calling thread (and the threads it creates) on @cpu only. */
static void pin_self(int cpu)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(n > 0 ? cpu % n : 0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int nice_of(pid_t tid)
{
	errno = 0;
	return getpriority(PRIO_PROCESS, tid);
}

/* A CALL with a deadline @ms from now: bounded whatever the server does. */
static int call_dl(int fd, __u32 h, __u64 code, const void *data, __u64 len,
		   unsigned int ms, struct fastipc_ret *r)
{
	struct fastipc_cmd c = fipc_cmd_call(h, code, data, len);

	c.flags = FASTIPC_TXN_DEADLINE;
	c.arg = fipc_now_ns() + (__u64)ms * 1000000ULL;
	return fipc_transact(fd, &c, 1, r);
}

static int timed_join(pthread_t t, unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(t, NULL, &ts);
}

/* Read one record that may still be on its way (non-blocking, polled). */
static int read_soon(int fd, struct fastipc_ret *r, unsigned int ms)
{
	__u64 end = fipc_now_ns() + (__u64)ms * 1000000ULL;
	int ret;

	for (;;) {
		ret = fipc_read_one(fd, FASTIPC_WR_NONBLOCK, r, NULL);
		if (ret != -EAGAIN)
			return ret;
		if (fipc_now_ns() > end)
			return -ETIMEDOUT;
		fipc_msleep(2);
	}
}

/* Wait at most @ms until *@flag is set. */
static bool wait_flag(atomic_int *flag, unsigned int ms)
{
	__u64 end = fipc_now_ns() + (__u64)ms * 1000000ULL;

	while (!atomic_load(flag)) {
		if (fipc_now_ns() > end)
			return false;
		fipc_msleep(1);
	}
	return true;
}

/* Wait at most @ms until stat @name reads @val; return the last value. */
static long wait_stat_ms(const char *name, long val, unsigned int ms)
{
	__u64 end = fipc_now_ns() + (__u64)ms * 1000000ULL;
	long v;

	for (;;) {
		v = fipc_stat(name);
		if (v == val || fipc_now_ns() > end)
			return v;
		fipc_msleep(2);
	}
}

/*
 * Wait until @n transactions more than the baseline are alive (a call is
 * queued); without debugfs (unprivileged) just give it 300 ms.
 */
static bool wait_txns(const struct fipc_stats *base, long n)
{
	if (!fipc_debugfs_readable()) {
		fipc_msleep(300);
		return true;
	}
	return wait_stat_ms("txns", base->txns + n, 3000) == base->txns + n;
}

/* A thread of the test's process making one bounded call. */
struct caller {
	int fd;
	__u32 h;
	__u64 code;
	unsigned int ms;
	bool set_nice;
	int nice;
	pthread_t t;
	pid_t tid;
	int ret;
	struct fastipc_ret r;
};

static void *caller_main(void *arg)
{
	struct caller *c = arg;

	c->tid = fipc_gettid();
	if (c->set_nice && set_nice_self(c->nice)) {
		c->ret = -errno;
		return NULL;
	}
	c->ret = call_dl(c->fd, c->h, c->code, NULL, 0, c->ms, &c->r);
	return NULL;
}

static int caller_start(struct caller *c, int fd, __u32 h, __u64 code)
{
	c->fd = fd;
	c->h = h;
	c->code = code;
	if (!c->ms)
		c->ms = 5000;
	c->ret = -1;
	return -pthread_create(&c->t, NULL, caller_main, c);
}

/* ---- item 1: munmap of the receive area kills the peer ----------------- */

/*
 * Defect: a plain munmap() only detached the area; the peer lived on with
 * no area, its callers waited forever and its nodes never died.
 */
TEST(munmap_kills_the_peer)
{
	struct fipc_peer s, c, w;
	struct caller c1 = { 0 }, c2 = { 0 };
	struct fastipc_version v;
	struct fipc_stats base;
	struct fastipc_ret r;
	__u32 node, hc, hw, x;
	void *m;

	ASSERT_EQ(0, fipc_baseline(&base));
	ASSERT_EQ(0, fipc_peer_open(&s, AREA));
	ASSERT_EQ(0, fipc_peer_open(&c, AREA));
	ASSERT_EQ(0, fipc_peer_open(&w, AREA));
	ASSERT_EQ(0, fipc_node_create(s.fd, 0, COOKIE_S, &node));
	ASSERT_EQ(0, fipc_share(s.fd, node, c.fd, &hc));
	ASSERT_EQ(0, fipc_share(s.fd, node, w.fd, &hw));
	ASSERT_EQ(0, op1(w.fd, FASTIPC_CMD_REQUEST_DEATH, hw, DEATH_COOKIE));

	/* One call taken by the server (pending), one still queued. */
	ASSERT_EQ(0, caller_start(&c1, c.fd, hc, 1));
	ASSERT_EQ(0, fipc_read_one(s.fd, 0, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(1, r.code);
	ASSERT_EQ(0, caller_start(&c2, c.fd, hc, 2));
	ASSERT_TRUE(wait_txns(&base, 2));

	ASSERT_EQ(0, munmap(s.area, s.size));
	s.area = NULL;

	ASSERT_EQ(0, timed_join(c1.t, 10000));
	ASSERT_EQ(0, timed_join(c2.t, 10000));
	EXPECT_EQ(0, c1.ret);
	EXPECT_EQ(FASTIPC_RET_DEAD_REPLY, c1.r.op)
		TH_LOG("pending call: op %u code %llu reason %u", c1.r.op,
		       (unsigned long long)c1.r.code, c1.r.reason);
	EXPECT_EQ(FASTIPC_REASON_DEAD_TARGET, c1.r.reason);
	EXPECT_EQ(0, c2.ret);
	EXPECT_EQ(FASTIPC_RET_DEAD_REPLY, c2.r.op)
		TH_LOG("queued call: op %u code %llu reason %u", c2.r.op,
		       (unsigned long long)c2.r.code, c2.r.reason);
	EXPECT_EQ(FASTIPC_REASON_DEAD_TARGET, c2.r.reason);

	EXPECT_EQ(-EPIPE, fipc_send(c.fd, hc, 3, "y", 1));
	ASSERT_EQ(0, read_soon(w.fd, &r, 2000));
	EXPECT_EQ(FASTIPC_RET_DEAD_NODE, r.op);
	EXPECT_EQ(DEATH_COOKIE, r.cookie);

	/* Its own commands fail with EPIPE; VERSION still answers. */
	EXPECT_EQ(-EPIPE, fipc_send(s.fd, node, 4, NULL, 0));
	EXPECT_EQ(-EPIPE, fipc_read(s.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	EXPECT_EQ(-EPIPE, fipc_node_create(s.fd, 0, 1, &x));
	memset(&v, 0, sizeof(v));
	EXPECT_EQ(0, ioctl(s.fd, FASTIPC_IOC_VERSION, &v));
	EXPECT_EQ(FASTIPC_ABI_VERSION, v.abi);
	m = mmap(NULL, AREA, PROT_READ, MAP_SHARED, s.fd, 0);
	EXPECT_TRUE(m == MAP_FAILED);
	if (m == MAP_FAILED) {
		EXPECT_EQ(EPIPE, errno);
	} else {
		munmap(m, AREA);
	}

	fipc_peer_close(&c);
	fipc_peer_close(&w);
	fipc_peer_close(&s);
	FIPC_EXPECT_BASELINE(base, 3000);
}

/*
 * Defect: a deadline that passed between the read phase's check and its
 * sleep went to the hrtimer as a negative relative time, which hrtimer
 * takes for an overflow: the caller then slept until a reply came, for
 * ever when the server never reads (found with the tracepoints).  Calls
 * with deadlines 0 to 49 us ahead land in that window now and then; each
 * must end, timed out, soon after its deadline.
 */
TEST(deadline_passing_just_before_the_wait_still_ends_the_call)
{
	unsigned int i, n = 1000, late = 0;
	long max = fipc_param_get("max_oneway");
	struct fipc_stats base;
	struct fipc_peer s, c;
	struct fastipc_ret r;
	__u32 node, h;

	ASSERT_EQ(0, fipc_baseline(&base));
	ASSERT_EQ(0, fipc_peer_open(&s, AREA));
	ASSERT_EQ(0, fipc_peer_open(&c, AREA));
	ASSERT_EQ(0, fipc_node_create(s.fd, 0, COOKIE_S, &node));
	ASSERT_EQ(0, fipc_share(s.fd, node, c.fd, &h));
	/* Below the bound of the next test. */
	ASSERT_LT(0, max);
	n = n < max ? n : (unsigned int)max;
	for (i = 0; i < n; i++) {
		struct fastipc_cmd call = fipc_cmd_call(h, 1, NULL, 0);

		call.flags = FASTIPC_TXN_DEADLINE;
		call.arg = fipc_now_ns() + (i % 50) * 1000ULL;
		/* Nobody reads s: only the deadline ends this. */
		ASSERT_EQ(0, fipc_transact(c.fd, &call, 1, &r));
		ASSERT_EQ(FASTIPC_RET_FAILED_REPLY, r.op);
		ASSERT_EQ(ETIMEDOUT, r.code);
		ASSERT_EQ(FASTIPC_REASON_TIMED_OUT, r.reason);
		late += fipc_now_ns() > call.arg + 2000000000ULL;
	}
	EXPECT_EQ(0, late);
	fipc_peer_close(&c);
	fipc_peer_close(&s);
	FIPC_EXPECT_BASELINE(base, 3000);
}

/* A CALL to @h whose deadline has passed already: 0 or -errno, reason. */
static int call_expired(int fd, __u32 h, struct fastipc_ret *r, __u32 *reason)
{
	struct fastipc_cmd call = fipc_cmd_call(h, 1, NULL, 0);
	struct fastipc_write_read wr;
	int ret;

	call.flags = FASTIPC_TXN_DEADLINE;
	call.arg = 1;
	ret = fipc_wr(fd, 0, &call, 1, r, 1, &wr);
	*reason = wr.reason;
	if (!ret && r->op != FASTIPC_RET_FAILED_REPLY)
		ret = -EPROTO;
	return ret;
}

/*
 * Defect: a call that timed out stays queued in its server until read, and
 * the caller may call again at once: one thread made a server that never
 * reads hold any number of calls (2000 in a row, found while testing the
 * deadline fix above), as if one-ways had no budget.  A peer may have
 * max_oneway such calls unanswered; the next CALL is refused (ENOSPC,
 * reason UNANSWERED) until their servers answer them or die.
 */
TEST(timed_out_calls_left_in_servers_are_bounded)
{
	long max = fipc_param_get("max_oneway");
	struct fipc_peer s, s2, c;
	struct fipc_stats base;
	struct fastipc_ret r;
	__u32 node, node2, h, h2, reason;
	long i;
	int ret = 0;

	ASSERT_LT(0, max);
	ASSERT_EQ(0, fipc_baseline(&base));
	ASSERT_EQ(0, fipc_peer_open(&s, AREA));
	ASSERT_EQ(0, fipc_peer_open(&s2, AREA));
	ASSERT_EQ(0, fipc_peer_open(&c, AREA));
	ASSERT_EQ(0, fipc_node_create(s.fd, 0, COOKIE_S, &node));
	ASSERT_EQ(0, fipc_node_create(s2.fd, 0, COOKIE_S, &node2));
	ASSERT_EQ(0, fipc_share(s.fd, node, c.fd, &h));
	ASSERT_EQ(0, fipc_share(s2.fd, node2, c.fd, &h2));
	for (i = 0; i < 2 * max; i++) {
		ret = call_expired(c.fd, h, &r, &reason);
		if (ret)
			break;
		ASSERT_EQ(ETIMEDOUT, r.code);
	}
	EXPECT_EQ(max, i);
	EXPECT_EQ(-ENOSPC, ret);
	EXPECT_EQ(FASTIPC_REASON_UNANSWERED, reason);
	/* The bound is the caller's, whatever the target. */
	EXPECT_EQ(-ENOSPC, call_expired(c.fd, h2, &r, &reason));
	/* One-ways are budgeted on their own. */
	EXPECT_EQ(0, fipc_send(c.fd, h2, 2, NULL, 0));
	/* The server dies: its calls are answered (dropped), room again. */
	fipc_peer_close(&s);
	EXPECT_EQ(0, call_expired(c.fd, h2, &r, &reason));
	EXPECT_EQ(ETIMEDOUT, r.code);
	fipc_peer_close(&c);
	fipc_peer_close(&s2);
	FIPC_EXPECT_BASELINE(base, 3000);
}

/*
 * Defect: a thread of a dead peer could still CALL a live node.  The reply
 * was dropped (nobody can read it) and freed, but the thread still "waited"
 * for it: its next read timed the freed call out (KASAN use-after-free,
 * found by the fuzzer).  A dead peer sends nothing, its threads wait for
 * nothing.
 */
TEST(dead_peer_sends_nothing)
{
	struct fastipc_cmd call;
	struct fipc_peer s, c;
	struct fipc_stats base;
	struct fastipc_ret r;
	__u32 node, h;

	ASSERT_EQ(0, fipc_baseline(&base));
	ASSERT_EQ(0, fipc_peer_open(&s, AREA));
	ASSERT_EQ(0, fipc_peer_open(&c, AREA));
	ASSERT_EQ(0, fipc_node_create(s.fd, 0, COOKIE_S, &node));
	ASSERT_EQ(0, fipc_share(s.fd, node, c.fd, &h));
	/* The thread is known to the peer before it dies. */
	ASSERT_EQ(-EAGAIN, fipc_read(c.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	ASSERT_EQ(0, munmap(c.area, c.size));
	c.area = NULL;

	call = fipc_cmd_call(h, 1, "x", 1);
	call.flags |= FASTIPC_TXN_DEADLINE;
	call.arg = 1;	/* passed already: the next read would time it out */
	EXPECT_EQ(-EPIPE, fipc_write1(c.fd, call));
	EXPECT_EQ(-EPIPE, fipc_send(c.fd, h, 2, "y", 1));
	EXPECT_EQ(-EAGAIN, fipc_read(s.fd, FASTIPC_WR_NONBLOCK, &r, 1))
		TH_LOG("the server got op %u code %llu from a dead peer", r.op,
		       (unsigned long long)r.code);
	EXPECT_EQ(-EPIPE, fipc_read(c.fd, FASTIPC_WR_NONBLOCK, &r, 1))
		TH_LOG("a dead peer's read: op %u reason %u", r.op, r.reason);
	if (fipc_debugfs_ok())
		EXPECT_EQ(base.txns, fipc_stat("txns"));

	fipc_peer_close(&c);
	fipc_peer_close(&s);
	FIPC_EXPECT_BASELINE(base, 3000);
}

/*
 * Defect: while the drain of a dead peer answered its list a batch at a
 * time, the peer's threads still took work from that list: records of a
 * dead peer, and a thread's reply taken by a thread whose wait the drain
 * had ended (a NULL dereference in the read phase, found by the fuzzer on
 * the debug kernel).  Here R waits for a call nobody answers and polls;
 * the list holds 64 one-ways, then the main thread's answered call, when
 * the main thread unmaps the area.  R must only ever see EAGAIN, then
 * EPIPE, until the unmap (and with it the drain) returned.
 */
#define DRAIN_ONEWAYS	64

struct drain_reader {
	int fd;
	__u32 h;
	atomic_int waiting;
	atomic_int stop;
	int fail;
	long fail_val;
	unsigned int records;
	__u32 op;
};

static void *drain_reader_main(void *arg)
{
	struct drain_reader *d = arg;
	struct fastipc_ret r;
	int ret;

	/* Waiting for a call, R takes no work of the peer's list. */
	ret = fipc_write1(d->fd, fipc_cmd_call(d->h, 2, "y", 1));
	if (ret) {
		FIPC_SFAIL(d, ret);
		return NULL;
	}
	atomic_store(&d->waiting, 1);
	/* Until the unmap returned: EPIPE comes before the drain ends. */
	while (!atomic_load(&d->stop)) {
		ret = fipc_read(d->fd, FASTIPC_WR_NONBLOCK, &r, 1);
		if (ret == -EPIPE || ret == -EAGAIN)
			continue;
		if (ret > 0) {
			d->records++;
			d->op = r.op;
		} else {
			FIPC_SFAIL(d, ret);
			break;
		}
	}
	return NULL;
}

TEST(dead_peer_list_is_the_drains)
{
	struct drain_reader d;
	struct fipc_peer s, c;
	struct fipc_stats base;
	struct fastipc_ret r;
	__u32 nc, node, h, i;
	__u64 id_x = 0;
	pthread_t t;
	int round, k;

	ASSERT_EQ(0, fipc_baseline(&base));
	for (round = 0; round < 8; round++) {
		ASSERT_EQ(0, fipc_peer_open(&s, AREA));
		ASSERT_EQ(0, fipc_peer_open(&c, AREA));
		ASSERT_EQ(0, fipc_node_create(c.fd, 0, COOKIE_S, &nc));
		memset(&d, 0, sizeof(d));
		d.fd = s.fd;
		ASSERT_EQ(0, fipc_share(c.fd, nc, s.fd, &d.h));
		/* 64 one-ways on the peer's list: nobody of S reads. */
		for (i = 0; i < DRAIN_ONEWAYS; i++) {
			ASSERT_EQ(0, fipc_node_create(s.fd, 0, i + 1, &node));
			ASSERT_EQ(0, fipc_share(s.fd, node, c.fd, &h));
			ASSERT_EQ(0, fipc_send(c.fd, h, i, "o", 1));
		}
		/* Our call X, answered while we do not read: our reply. */
		ASSERT_EQ(0, fipc_write1(s.fd, fipc_cmd_call(d.h, 1, "x", 1)));
		ASSERT_EQ(0, pthread_create(&t, NULL, drain_reader_main, &d));
		for (k = 0; k < 2; k++) {
			ASSERT_EQ(0, fipc_read_one(c.fd, 0, &r, NULL));
			ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
			if (r.code == 1)
				id_x = r.txn_id;
		}
		ASSERT_NE(0, id_x);
		ASSERT_EQ(0, fipc_write1(c.fd, fipc_cmd_reply(id_x, 3, NULL,
							      0)));
		while (!atomic_load(&d.waiting) && !d.fail)
			fipc_msleep(1);
		fipc_msleep(5);	/* R polls */

		ASSERT_EQ(0, munmap(s.area, s.size));
		s.area = NULL;
		atomic_store(&d.stop, 1);
		ASSERT_EQ(0, timed_join(t, 20000));
		EXPECT_EQ(0, d.fail) TH_LOG("line %d: %ld", d.fail, d.fail_val);
		EXPECT_EQ(0, d.records)
			TH_LOG("round %d: a dead peer's thread read %u records "
			       "(last op %u)", round, d.records, d.op);
		fipc_peer_close(&s);
		fipc_peer_close(&c);
		if (d.records || d.fail)
			break;
	}
	FIPC_EXPECT_BASELINE(base, 3000);
}

/* ---- item 2: a peer whose owner's address space is gone is dead --------- */

/*
 * Defect: the peer's own fd travelling in a unix socket whose other end is
 * queued to the peer's own node made a cycle nobody broke: peer, its
 * transactions and buffers leaked and rmmod failed.
 */
static int cycle_child(bool unmap)
{
	struct fipc_peer p;
	struct fastipc_cmd c;
	int sv[2];
	__u32 h;

	alarm(20);
	if (fipc_peer_open(&p, AREA))
		return 10;
	if (fipc_node_create(p.fd, FASTIPC_NODE_ACCEPT_FDS, 0xc7c1e, &h))
		return 11;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 12;
	/* The peer's own fd, in flight in the socket, never received. */
	if (fipc_sock_send_fd(sv[0], p.fd))
		return 13;
	/* The socket's other end, queued to the peer's own node. */
	c = fipc_cmd_send(h, 1, "cycle", 5);
	c.fds = fipc_ptr(&sv[1]);
	c.n_fds = 1;
	if (fipc_write1(p.fd, c))
		return 14;
	if (unmap && munmap(p.area, p.size))
		return 15;
	close(sv[0]);
	close(sv[1]);
	close(p.fd);
	return 0;
}

FIXTURE(cycle) {
	struct fipc_stats base;
};

FIXTURE_VARIANT(cycle) {
	bool unmap;
};

/* The reproducer: munmap, close everything, exit. */
FIXTURE_VARIANT_ADD(cycle, munmap_then_exit) { .unmap = true };
/* The area left mapped: the exit tears it down. */
FIXTURE_VARIANT_ADD(cycle, exit_only) { .unmap = false };

FIXTURE_SETUP(cycle)
{
	ASSERT_EQ(0, fipc_baseline(&self->base));
}

FIXTURE_TEARDOWN(cycle)
{
}

TEST_F(cycle, fd_in_unix_socket_sent_to_own_node)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(cycle_child(variant->unmap));
	ASSERT_EQ(0, fipc_wait_child(pid, 10000, &status));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("status %#x", status);
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* Everything of the dead peer goes: peers, txns, buffers, nodes. */
	FIPC_EXPECT_BASELINE(self->base, 5000);
}

/* ---- item 3: close() by the owner wakes its blocked readers ------------- */

/*
 * Defect: a thread blocked in the read phase slept on through a close() of
 * the descriptor by another thread of its process (only the exit path
 * noticed), so an event loop could not be shut down.
 */
struct blocked {
	int fd;
	bool call;
	__u32 h;
	pid_t tid;
	int go[2];
	atomic_int done1;
	int ret1;
	__u64 consumed_w, consumed_r;
	__u64 t1;
	struct fastipc_ret r1;
	int ret2;
	struct fastipc_ret r2;
};

static void *blocked_main(void *arg)
{
	struct blocked *b = arg;
	struct fastipc_cmd c = fipc_cmd_call(b->h, 5, "ask", 3);
	struct fastipc_write_read wr;

	b->tid = fipc_gettid();
	memset(&wr, 0, sizeof(wr));
	if (b->call) {
		wr.write_buffer = fipc_ptr(&c);
		wr.write_size = FIPC_CMD_SIZE;
	}
	wr.read_buffer = fipc_ptr(&b->r1);
	wr.read_size = FIPC_RET_SIZE;
	b->ret1 = fipc_wr_once(b->fd, &wr);
	b->consumed_w = wr.write_consumed;
	b->consumed_r = wr.read_consumed;
	b->t1 = fipc_now_ns();
	atomic_store(&b->done1, 1);
	if (fipc_wait(b->go[0]) != 'G' || !b->ret1)
		return NULL;
	/* The next WRITE_READ: the reply is waiting (or the fd is gone). */
	b->ret2 = fipc_read_one(b->fd, FASTIPC_WR_NONBLOCK, &b->r2, NULL);
	return NULL;
}

enum { CLOSE_IDLE, CLOSE_CALLER, CLOSE_LAST_FD };

FIXTURE(closer) {
	struct fipc_stats base;
	struct fipc_peer p, q, s;
	__u32 pn, qh, sn, ph;
	struct blocked b;
	pthread_t t;
	bool started;
};

FIXTURE_VARIANT(closer) {
	int mode;
};

/* An idle reader (event-loop thread) of a dup()ed descriptor. */
FIXTURE_VARIANT_ADD(closer, idle_reader) { .mode = CLOSE_IDLE };
/* A thread waiting for its reply: EINTR, then the reply is still there. */
FIXTURE_VARIANT_ADD(closer, caller_keeps_its_reply) { .mode = CLOSE_CALLER };
/* The last descriptor closed: EINTR, then EBADF. */
FIXTURE_VARIANT_ADD(closer, last_fd) { .mode = CLOSE_LAST_FD };

FIXTURE_SETUP(closer)
{
	self->p.fd = self->q.fd = self->s.fd = -1;
	ASSERT_EQ(0, fipc_baseline(&self->base));
	ASSERT_EQ(0, fipc_peer_open(&self->p, AREA));
	ASSERT_EQ(0, fipc_peer_open(&self->q, AREA));
	ASSERT_EQ(0, fipc_peer_open(&self->s, AREA));
	ASSERT_EQ(0, fipc_node_create(self->p.fd, 0, 0x9, &self->pn));
	ASSERT_EQ(0, fipc_share(self->p.fd, self->pn, self->q.fd, &self->qh));
	ASSERT_EQ(0, fipc_node_create(self->s.fd, 0, COOKIE_S, &self->sn));
	ASSERT_EQ(0, fipc_share(self->s.fd, self->sn, self->p.fd, &self->ph));
	ASSERT_EQ(0, pipe2(self->b.go, O_CLOEXEC));
}

FIXTURE_TEARDOWN(closer)
{
	if (self->started) {
		fipc_signal(self->b.go[1], 'Q');
		EXPECT_EQ(0, timed_join(self->t, 5000));
	}
	close(self->b.go[0]);
	close(self->b.go[1]);
	fipc_peer_close(&self->p);
	fipc_peer_close(&self->q);
	fipc_peer_close(&self->s);
	FIPC_EXPECT_BASELINE(self->base, 3000);
}

/* The server side of CLOSE_CALLER: take the call, answer "answer". */
static void serve_ask(struct __test_metadata *_metadata, int sfd)
{
	struct fastipc_ret r;

	ASSERT_EQ(0, read_soon(sfd, &r, 3000));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(5, r.code);
	ASSERT_EQ(0, fipc_write1(sfd, fipc_cmd_reply(r.txn_id, 6, "answer", 6)));
}

TEST_F(closer, close_wakes_blocked_reader)
{
	struct blocked *b = &self->b;
	bool woke;
	__u64 t0;
	int d;

	b->fd = self->p.fd;
	b->call = variant->mode == CLOSE_CALLER;
	b->h = self->ph;
	ASSERT_EQ(0, pthread_create(&self->t, NULL, blocked_main, b));
	self->started = true;
	if (b->call)
		ASSERT_TRUE(wait_txns(&self->base, 1));
	while (!b->tid)
		fipc_msleep(1);
	ASSERT_EQ(0, fipc_wait_sleeping(b->tid));

	t0 = fipc_now_ns();
	if (variant->mode == CLOSE_LAST_FD) {
		/* The mapping keeps the file; the descriptor is the last. */
		ASSERT_EQ(0, close(self->p.fd));
		self->p.fd = -1;
	} else {
		d = dup(self->p.fd);
		ASSERT_LE(0, d);
		ASSERT_EQ(0, close(d));
	}
	woke = wait_flag(&b->done1, 1000);
	EXPECT_TRUE(woke) TH_LOG("the blocked thread slept on after close()");
	if (!woke) {
		/* Let it go, so that the test ends. */
		if (b->call)
			serve_ask(_metadata, self->s.fd);
		else
			ASSERT_EQ(0, fipc_send(self->q.fd, self->qh, 9, "w", 1));
		ASSERT_TRUE(wait_flag(&b->done1, 5000));
	} else {
		EXPECT_EQ(-EINTR, b->ret1);
		EXPECT_EQ(0, b->consumed_r);
		EXPECT_EQ(b->call ? FIPC_CMD_SIZE : 0, b->consumed_w);
		EXPECT_GE(1000000000ULL, b->t1 - t0);
		if (b->call)
			serve_ask(_metadata, self->s.fd);
	}
	ASSERT_EQ(0, fipc_signal(b->go[1], 'G'));
	ASSERT_EQ(0, timed_join(self->t, 5000));
	self->started = false;
	if (!woke)
		return;
	if (variant->mode == CLOSE_CALLER) {
		/* No record lost: the reply is read by the next WRITE_READ. */
		EXPECT_EQ(0, b->ret2);
		EXPECT_EQ(FASTIPC_RET_REPLY, b->r2.op);
		EXPECT_EQ(6, b->r2.code);
		EXPECT_EQ(6, b->r2.data_len);
		EXPECT_EQ(0, memcmp(b->r2.inline_data, "answer", 6));
	} else if (variant->mode == CLOSE_LAST_FD) {
		EXPECT_EQ(-EBADF, b->ret2);
	}
}

/* ---- item 4: a thread killed in WRITE_READ leaves the peer at once ------ */

/*
 * Defect: a killed thread stayed in its peer's table, still "waiting": the
 * reply to its call was queued to it and held a transaction and a buffer
 * until some new thread of the peer happened to arrive and reap it.
 *
 * A thread of the peer that can be killed alone: a task sharing the
 * address space (CLONE_VM) but not the thread group, so SIGKILL ends just
 * it.  It only makes raw system calls.
 */
struct kc {
	struct fastipc_cmd c;
	struct fastipc_ret r;
	struct fastipc_write_read wr;
	int fd;
};

static int kc_main(void *arg)
{
	struct kc *k = arg;

	syscall(SYS_ioctl, k->fd, FASTIPC_IOC_WRITE_READ, &k->wr);
	syscall(SYS_exit, 0);
	return 0;
}

#define KC_STACK	(256 * 1024)

TEST(killed_caller_thread_leaves_the_peer_at_once)
{
	struct fipc_peer s, c;
	struct fipc_stats base;
	struct fastipc_ret r;
	struct kc *k;
	char b[200], *stack;
	__u32 node, hc;
	int status, i;
	pid_t pid;

	ASSERT_EQ(0, fipc_baseline(&base));
	ASSERT_EQ(0, fipc_peer_open(&s, AREA));
	ASSERT_EQ(0, fipc_peer_open(&c, AREA));
	ASSERT_EQ(0, fipc_node_create(s.fd, 0, COOKIE_S, &node));
	ASSERT_EQ(0, fipc_share(s.fd, node, c.fd, &hc));

	stack = mmap(NULL, KC_STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(stack != MAP_FAILED);
	k = (struct kc *)stack;	/* shared: CLONE_VM */
	memset(k, 0, sizeof(*k));
	k->fd = c.fd;
	k->c = fipc_cmd_call(hc, 1, "k", 1);
	k->wr.write_buffer = fipc_ptr(&k->c);
	k->wr.write_size = FIPC_CMD_SIZE;
	k->wr.read_buffer = fipc_ptr(&k->r);
	k->wr.read_size = FIPC_RET_SIZE;
	pid = clone(kc_main, stack + KC_STACK, CLONE_VM | CLONE_FILES | SIGCHLD,
		    k);
	ASSERT_LT(0, pid);

	/* The server takes the call and holds it. */
	ASSERT_EQ(0, fipc_read_one(s.fd, 0, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	for (i = 0; i < 200 && fipc_task_state(pid, pid) != 'S'; i++)
		fipc_msleep(10);
	ASSERT_EQ('S', fipc_task_state(pid, pid));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));

	/* The answer finds the caller gone: dropped, buffer and all. */
	fipc_fill(b, sizeof(b), 2);
	EXPECT_EQ(0, fipc_write1(s.fd, fipc_cmd_reply(r.txn_id, 2, b, sizeof(b))));
	/* Nobody of C has issued a command since: no reaping new thread. */
	if (fipc_debugfs_ok()) {
		EXPECT_EQ(base.txns, wait_stat_ms("txns", base.txns, 2000))
			TH_LOG("the reply is held for the killed thread");
		EXPECT_EQ(base.buffers, fipc_stat("buffers"));
		/* Only the server's thread is left. */
		EXPECT_EQ(base.threads + 1, fipc_stat("threads"));
	}

	/* A new thread of C finds nothing stale. */
	EXPECT_EQ(-EAGAIN, fipc_read(c.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	fipc_peer_close(&c);
	fipc_peer_close(&s);
	munmap(stack, KC_STACK);
	FIPC_EXPECT_BASELINE(base, 3000);
}

/*
 * The lead's variant of item 4: the calling thread sent its CALL without
 * waiting (read_size 0) and exited without LOOPER_EXIT; the reply is
 * dropped at once too, not kept for a thread that is gone.
 */
static void *call_and_leave(void *arg)
{
	struct caller *c = arg;

	c->tid = fipc_gettid();
	c->ret = fipc_write1(c->fd, fipc_cmd_call(c->h, 1, "x", 1));
	return NULL;
}

TEST(exited_caller_thread_reply_dropped)
{
	struct caller cl = { 0 };
	struct fipc_peer s, c;
	struct fipc_stats base;
	struct fastipc_ret r;
	char b[200];
	__u32 node;

	ASSERT_EQ(0, fipc_baseline(&base));
	ASSERT_EQ(0, fipc_peer_open(&s, AREA));
	ASSERT_EQ(0, fipc_peer_open(&c, AREA));
	ASSERT_EQ(0, fipc_node_create(s.fd, 0, COOKIE_S, &node));
	ASSERT_EQ(0, fipc_share(s.fd, node, c.fd, &cl.h));
	cl.fd = c.fd;
	ASSERT_EQ(0, pthread_create(&cl.t, NULL, call_and_leave, &cl));
	ASSERT_EQ(0, timed_join(cl.t, 5000));
	ASSERT_EQ(0, cl.ret);
	ASSERT_EQ(0, fipc_read_one(s.fd, 0, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	fipc_msleep(20);

	fipc_fill(b, sizeof(b), 3);
	EXPECT_EQ(0, fipc_write1(s.fd, fipc_cmd_reply(r.txn_id, 2, b, sizeof(b))));
	if (fipc_debugfs_ok()) {
		EXPECT_EQ(base.txns, wait_stat_ms("txns", base.txns, 2000))
			TH_LOG("the reply is held for a thread that exited");
		EXPECT_EQ(base.buffers, fipc_stat("buffers"));
	}
	EXPECT_EQ(-EAGAIN, fipc_read(c.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	fipc_peer_close(&c);
	fipc_peer_close(&s);
	FIPC_EXPECT_BASELINE(base, 3000);
}

/* ---- item 5: non-blocking readers go back to their own priority --------- */

/*
 * Defect: only a blocking read restored a boosted thread; an event-loop
 * server (poll + FASTIPC_WR_NONBLOCK) kept the lent priority after EAGAIN
 * for as long as it lived, and debugfs showed it boosted.
 */
struct nbsrv {
	struct fipc_peer *p;
	int note[2], gate[2];
	int fail;
	long fail_val;
	__u64 txn;
	int nice_serving, nice_after, ret_after;
	long boosted_after;
};

static void *nb_main(void *arg)
{
	struct nbsrv *n = arg;
	struct pollfd pfd = { .fd = n->p->fd, .events = POLLIN };
	struct fastipc_ret r;
	int ret;

	if (set_nice_self(0))
		FIPC_SFAIL(n, errno);
	if (poll(&pfd, 1, 5000) != 1) {
		FIPC_SFAIL(n, -ETIMEDOUT);
		return NULL;
	}
	ret = fipc_read_one(n->p->fd, FASTIPC_WR_NONBLOCK, &r, NULL);
	if (ret || r.op != FASTIPC_RET_TRANSACTION) {
		FIPC_SFAIL(n, ret ? ret : (long)r.op);
		return NULL;
	}
	n->txn = r.txn_id;
	n->nice_serving = nice_of(fipc_gettid());
	fipc_release_ret(n->p->fd, &r);
	if (!(r.flags & FASTIPC_RET_ONEWAY)) {
		/* Another thread answers it by ID. */
		fipc_signal(n->note[1], 'T');
		fipc_wait(n->gate[0]);
	}
	n->ret_after = fipc_read(n->p->fd, FASTIPC_WR_NONBLOCK, &r, 1);
	n->nice_after = nice_of(fipc_gettid());
	n->boosted_after = fipc_stat("boosted");
	return NULL;
}

FIXTURE(nb) {
	struct fipc_stats base;
	struct fipc_peer s, c;
	struct nbsrv n;
	__u32 node, h;
};

FIXTURE_VARIANT(nb) {
	bool oneway;
};

/* A one-way to a node with a minimum of nice -10. */
FIXTURE_VARIANT_ADD(nb, oneway_to_min_prio_node) { .oneway = true };
/* A call from nice -8, answered by ID from another thread. */
FIXTURE_VARIANT_ADD(nb, call_answered_by_another_thread) { .oneway = false };

FIXTURE_SETUP(nb)
{
	self->s.fd = self->c.fd = -1;
	ASSERT_EQ(0, fipc_baseline(&self->base));
	ASSERT_EQ(0, fipc_peer_open(&self->s, AREA));
	ASSERT_EQ(0, fipc_peer_open(&self->c, AREA));
	if (variant->oneway) {
		ASSERT_EQ(0, fipc_node_create_min(self->s.fd,
						  FASTIPC_NODE_MIN_PRIO, COOKIE_S,
						  SCHED_OTHER, -10, &self->node));
	} else {
		ASSERT_EQ(0, fipc_node_create(self->s.fd, 0, COOKIE_S,
					      &self->node));
	}
	ASSERT_EQ(0, fipc_share(self->s.fd, self->node, self->c.fd, &self->h));
	ASSERT_EQ(0, pipe2(self->n.note, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(self->n.gate, O_CLOEXEC));
	self->n.p = &self->s;
}

FIXTURE_TEARDOWN(nb)
{
	close(self->n.note[0]);
	close(self->n.note[1]);
	close(self->n.gate[0]);
	close(self->n.gate[1]);
	fipc_peer_close(&self->c);
	fipc_peer_close(&self->s);
	FIPC_EXPECT_BASELINE(self->base, 3000);
	FIPC_EXPECT_STAT(0, "boosted");
}

TEST_F(nb, nonblocking_reader_is_restored)
{
	struct caller cl = { .set_nice = true, .nice = -8 };
	struct nbsrv *n = &self->n;
	pthread_t t;

	FIPC_REQUIRE_CAP(CAP_SYS_NICE, "raised priorities are lent and restored");
	ASSERT_EQ(0, pthread_create(&t, NULL, nb_main, n));
	if (variant->oneway) {
		ASSERT_EQ(0, fipc_send(self->c.fd, self->h, 1, "ow", 2));
	} else {
		ASSERT_EQ(0, caller_start(&cl, self->c.fd, self->h, 1));
		ASSERT_EQ('T', fipc_wait(n->note[0]));
		EXPECT_EQ(0, fipc_write1(self->s.fd,
					 fipc_cmd_reply(n->txn, 2, "ok", 2)));
		ASSERT_EQ(0, fipc_signal(n->gate[1], 'G'));
		ASSERT_EQ(0, timed_join(cl.t, 10000));
		EXPECT_EQ(0, cl.ret);
		EXPECT_EQ(FASTIPC_RET_REPLY, cl.r.op);
		EXPECT_EQ(2, cl.r.code);
	}
	ASSERT_EQ(0, timed_join(t, 10000));
	EXPECT_EQ(0, n->fail) TH_LOG("server line %d value %ld", n->fail,
				     n->fail_val);
	EXPECT_EQ(variant->oneway ? -10 : -8, n->nice_serving);
	EXPECT_EQ(-EAGAIN, n->ret_after);
	EXPECT_EQ(0, n->nice_after) TH_LOG("still at the lent priority");
	if (fipc_debugfs_ok())
		EXPECT_EQ(0, n->boosted_after);
}

/* ---- item 6: one-ways to one node, one at a time, in order -------------- */

/*
 * Defect: two loopers ran one-ways of the same node at once and could
 * observe them out of order (binder serialises them per node).
 */
struct ser {
	struct fipc_peer s;
	__u32 n[3];		/* two work nodes (cookies 0, 1), quit (2) */
	atomic_uint sleep_us;
	pthread_mutex_t mu;
	int inflight[2], max[2], inflight_all, max_all;
	unsigned int got[2];
	__u32 seq[2][512];
	int fail;
	long fail_val;
	unsigned int spawn;
};

static void *ser_looper(void *arg)
{
	struct ser *s = arg;
	struct fastipc_ret r;
	unsigned int i;
	__u32 seq;
	int ret;

	if (fipc_write1(s->s.fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_ENTER, 0, 0)))
		FIPC_SFAIL(s, __LINE__);
	for (;;) {
		ret = fipc_read_one(s->s.fd, 0, &r, NULL);
		if (ret) {
			FIPC_SFAIL(s, ret);
			break;
		}
		if (r.op != FASTIPC_RET_TRANSACTION || r.cookie > 2) {
			FIPC_SFAIL(s, r.op);
			continue;
		}
		if (r.cookie == 2)
			break;
		i = r.cookie;
		seq = ~0U;
		if (r.data_len == 4)
			memcpy(&seq, r.inline_data, 4);
		pthread_mutex_lock(&s->mu);
		if (++s->inflight[i] > s->max[i])
			s->max[i] = s->inflight[i];
		if (++s->inflight_all > s->max_all)
			s->max_all = s->inflight_all;
		if (s->got[i] < 512)
			s->seq[i][s->got[i]] = seq;
		s->got[i]++;
		pthread_mutex_unlock(&s->mu);
		usleep(atomic_load(&s->sleep_us));
		pthread_mutex_lock(&s->mu);
		s->inflight[i]--;
		s->inflight_all--;
		pthread_mutex_unlock(&s->mu);
	}
	fipc_write1(s->s.fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_EXIT, 0, 0));
	return NULL;
}

static int send_retry(int fd, __u32 h, __u64 code, const void *d, __u64 len)
{
	__u64 end = fipc_now_ns() + 5000000000ULL;
	int ret;

	for (;;) {
		ret = fipc_send(fd, h, code, d, len);
		if (ret != -ENOSPC || fipc_now_ns() > end)
			return ret;
		fipc_msleep(1);
	}
}

static unsigned int ser_got(struct ser *s, int i)
{
	unsigned int n;

	pthread_mutex_lock(&s->mu);
	n = s->got[i];
	pthread_mutex_unlock(&s->mu);
	return n;
}

TEST(oneways_to_one_node_one_at_a_time_in_order)
{
	struct fipc_stats base;
	struct fipc_peer c;
	struct ser *s;
	pthread_t t[2];
	__u32 h[3], seq[2] = { 0, 0 };
	unsigned int i, bad = 0;
	__u64 end;

	s = calloc(1, sizeof(*s));
	ASSERT_NE(NULL, s);
	pthread_mutex_init(&s->mu, NULL);
	ASSERT_EQ(0, fipc_baseline(&base));
	ASSERT_EQ(0, fipc_peer_open(&s->s, AREA));
	ASSERT_EQ(0, fipc_peer_open(&c, AREA));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, fipc_node_create(s->s.fd, 0, i, &s->n[i]));
		ASSERT_EQ(0, fipc_share(s->s.fd, s->n[i], c.fd, &h[i]));
	}
	atomic_store(&s->sleep_us, 300);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, ser_looper, s));

	/* 200 one-ways to one node. */
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, send_retry(c.fd, h[0], i, &seq[0], 4));
		seq[0]++;
	}
	end = fipc_now_ns() + 30000000000ULL;
	while (ser_got(s, 0) < 200 && fipc_now_ns() < end)
		fipc_msleep(5);
	ASSERT_EQ(200, ser_got(s, 0));
	EXPECT_EQ(1, s->max[0]) TH_LOG("one-ways of one node ran at once");
	for (i = 0; i < 200; i++)
		bad += s->seq[0][i] != i;
	EXPECT_EQ(0, bad) TH_LOG("%u one-ways out of order", bad);

	/* Two nodes: their one-ways may and do run in parallel. */
	pthread_mutex_lock(&s->mu);
	s->max_all = 0;
	pthread_mutex_unlock(&s->mu);
	atomic_store(&s->sleep_us, 3000);
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(0, send_retry(c.fd, h[i & 1], i, &seq[i & 1], 4));
		seq[i & 1]++;
	}
	end = fipc_now_ns() + 30000000000ULL;
	while ((ser_got(s, 0) < 220 || ser_got(s, 1) < 20) &&
	       fipc_now_ns() < end)
		fipc_msleep(5);
	ASSERT_EQ(220, ser_got(s, 0));
	ASSERT_EQ(20, ser_got(s, 1));
	EXPECT_EQ(2, s->max_all) TH_LOG("one-ways of two nodes never overlapped");
	EXPECT_EQ(1, s->max[0]);
	EXPECT_EQ(1, s->max[1]);
	for (i = 0; i < 20; i++) {
		EXPECT_EQ(200 + i, s->seq[0][200 + i]);
		EXPECT_EQ(i, s->seq[1][i]);
	}

	ASSERT_EQ(0, fipc_send(c.fd, h[2], FIPC_CODE_QUIT, NULL, 0));
	ASSERT_EQ(0, fipc_send(c.fd, h[2], FIPC_CODE_QUIT, NULL, 0));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, timed_join(t[i], 5000));
	EXPECT_EQ(0, s->fail) TH_LOG("looper line/value %d %ld", s->fail,
				     s->fail_val);
	fipc_peer_close(&c);
	fipc_peer_close(&s->s);
	free(s);
	FIPC_EXPECT_BASELINE(base, 3000);
}

/* ---- item 7: records are never lost when the read buffer faults --------- */

/*
 * Defect: a record taken off its queue whose copy to the read buffer
 * failed was dropped (a one-way, a death notice, a NODE_RELEASED, a
 * reply: gone for good; a call: pending but never seen).
 *
 * The read buffer has room for two records, the second in a PROT_NONE
 * page: every read gets exactly one record and faults on the next one.
 */
static struct fastipc_ret *fault_buf(void **map, long *len)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *m;

	m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (mprotect(m + pg, pg, PROT_NONE)) {
		munmap(m, 2 * pg);
		return NULL;
	}
	*map = m;
	*len = 2 * pg;
	return (struct fastipc_ret *)(m + pg - FIPC_RET_SIZE);
}

TEST(records_survive_a_faulting_read_buffer)
{
	struct fipc_peer r, c, d;
	struct fipc_stats base;
	struct fastipc_write_read wr;
	struct fastipc_ret *fb, got[8], x;
	char p1[100], p2[300], p5[10], rep[80];
	__u32 nr, nr2, hc, hc2, nd, hd;
	int ngot = 0, i, ret;
	void *map;
	long maplen;

	ASSERT_EQ(0, fipc_baseline(&base));
	ASSERT_EQ(0, fipc_peer_open(&r, AREA));
	ASSERT_EQ(0, fipc_peer_open(&c, AREA));
	ASSERT_EQ(0, fipc_peer_open(&d, AREA));
	ASSERT_EQ(0, fipc_node_create(r.fd, 0, 0xa1, &nr));
	ASSERT_EQ(0, fipc_node_create(r.fd, 0, 0xa2, &nr2));
	ASSERT_EQ(0, fipc_share(r.fd, nr, c.fd, &hc));
	ASSERT_EQ(0, fipc_share(r.fd, nr2, c.fd, &hc2));
	ASSERT_EQ(0, fipc_node_create(d.fd, 0, 0xd0, &nd));
	ASSERT_EQ(0, fipc_share(d.fd, nd, r.fd, &hd));
	ASSERT_EQ(0, op1(r.fd, FASTIPC_CMD_REQUEST_DEATH, hd, 0xdd));
	fb = fault_buf(&map, &maplen);
	ASSERT_NE(NULL, fb);

	/* Five records on R's queue: call, one-way, death, released, one-way. */
	fipc_fill(p1, sizeof(p1), 1);
	fipc_fill(p2, sizeof(p2), 2);
	fipc_fill(p5, sizeof(p5), 5);
	ASSERT_EQ(0, fipc_write1(c.fd, fipc_cmd_call(hc, 1, p1, sizeof(p1))));
	ASSERT_EQ(0, fipc_send(c.fd, hc, 2, p2, sizeof(p2)));
	fipc_peer_close(&d);
	ASSERT_EQ(0, op1(c.fd, FASTIPC_CMD_RELEASE, hc2, 0));
	ASSERT_EQ(0, fipc_send(c.fd, hc, 5, p5, sizeof(p5)));

	for (i = 0; i < 10; i++) {
		ret = fipc_wr(r.fd, FASTIPC_WR_NONBLOCK, NULL, 0, fb, 2, &wr);
		if (ret == -EAGAIN)
			break;
		EXPECT_EQ(0, ret);
		if (ret)
			break;
		/* The second slot faults: one record per read. */
		EXPECT_EQ(FIPC_RET_SIZE, wr.read_consumed);
		if (wr.read_consumed && ngot < 8)
			got[ngot++] = fb[0];
	}
	EXPECT_EQ(5, ngot) TH_LOG("records were lost to the faulting slot");
	for (i = 0; i < ngot; i++)
		TH_LOG("record %d: op %u code %llu cookie %#llx", i, got[i].op,
		       (unsigned long long)got[i].code,
		       (unsigned long long)got[i].cookie);
	EXPECT_EQ(-EAGAIN, fipc_read(r.fd, FASTIPC_WR_NONBLOCK, &x, 1));

	if (ngot > 0) {
		EXPECT_EQ(FASTIPC_RET_TRANSACTION, got[0].op);
		EXPECT_EQ(1, got[0].code);
		EXPECT_EQ(0, got[0].flags & FASTIPC_RET_ONEWAY);
		ASSERT_EQ(sizeof(p1), got[0].data_len);
		EXPECT_EQ(-1, fipc_check(fipc_payload(&r, &got[0]), sizeof(p1), 1));
	}
	if (ngot > 1) {
		EXPECT_EQ(FASTIPC_RET_TRANSACTION, got[1].op);
		EXPECT_EQ(2, got[1].code);
		EXPECT_TRUE(got[1].flags & FASTIPC_RET_ONEWAY);
		ASSERT_EQ(sizeof(p2), got[1].data_len);
		EXPECT_EQ(-1, fipc_check(fipc_payload(&r, &got[1]), sizeof(p2), 2));
	}
	if (ngot > 2) {
		EXPECT_EQ(FASTIPC_RET_DEAD_NODE, got[2].op);
		EXPECT_EQ(0xdd, got[2].cookie);
	}
	if (ngot > 3) {
		EXPECT_EQ(FASTIPC_RET_NODE_RELEASED, got[3].op);
		EXPECT_EQ(0xa2, got[3].cookie);
	}
	if (ngot > 4) {
		EXPECT_EQ(FASTIPC_RET_TRANSACTION, got[4].op);
		EXPECT_EQ(5, got[4].code);
		EXPECT_TRUE(got[4].flags & FASTIPC_RET_INLINE);
		ASSERT_EQ(sizeof(p5), got[4].data_len);
		EXPECT_EQ(-1, fipc_check(got[4].inline_data, sizeof(p5), 5));
	}

	/* The caller gets its reply. */
	for (i = 0; i < ngot; i++) {
		if (got[i].op != FASTIPC_RET_TRANSACTION)
			continue;
		if (got[i].code == 1) {
			fipc_fill(rep, sizeof(rep), 11);
			EXPECT_EQ(0, fipc_write1(r.fd, fipc_cmd_reply(got[i].txn_id,
					11, rep, sizeof(rep))));
		}
		EXPECT_EQ(0, fipc_release_ret(r.fd, &got[i]));
	}
	ASSERT_EQ(0, read_soon(c.fd, &x, 2000));
	EXPECT_EQ(FASTIPC_RET_REPLY, x.op);
	EXPECT_EQ(11, x.code);
	ASSERT_EQ(sizeof(rep), x.data_len);
	EXPECT_EQ(-1, fipc_check(fipc_payload(&c, &x), sizeof(rep), 11));
	EXPECT_EQ(0, fipc_release_ret(c.fd, &x));

	munmap(map, maplen);
	fipc_peer_close(&c);
	fipc_peer_close(&r);
	FIPC_EXPECT_BASELINE(base, 3000);
}

/*
 * The same for a reply: the caller's own queue holds a nested call of its
 * transaction, then the reply; the read takes the nested call and faults
 * on the reply, which must still be there for the next read.
 */
TEST(reply_survives_a_faulting_read_buffer)
{
	struct fipc_peer a, s;
	struct fipc_stats base;
	struct fastipc_write_read wr;
	struct fastipc_ret *fb, r, x;
	__u32 na, ns, a_s, s_a;
	char p3[100];
	void *map;
	long maplen;
	int ret;

	ASSERT_EQ(0, fipc_baseline(&base));
	ASSERT_EQ(0, fipc_peer_open(&a, AREA));
	ASSERT_EQ(0, fipc_peer_open(&s, AREA));
	ASSERT_EQ(0, fipc_node_create(a.fd, 0, 0xaa, &na));
	ASSERT_EQ(0, fipc_node_create(s.fd, 0, 0x55, &ns));
	ASSERT_EQ(0, fipc_share(s.fd, ns, a.fd, &a_s));
	ASSERT_EQ(0, fipc_share(a.fd, na, s.fd, &s_a));
	fb = fault_buf(&map, &maplen);
	ASSERT_NE(NULL, fb);

	ASSERT_EQ(0, fipc_write1(a.fd, fipc_cmd_call(a_s, 1, "outer", 5)));
	ASSERT_EQ(0, fipc_read_one(s.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	/* A nested call back into A (to A's waiting thread), then the reply. */
	ASSERT_EQ(0, fipc_write1(s.fd, fipc_cmd_call(s_a, 2, "nested", 6)));
	fipc_fill(p3, sizeof(p3), 3);
	ASSERT_EQ(0, fipc_write1(s.fd, fipc_cmd_reply(r.txn_id, 3, p3,
						      sizeof(p3))));

	ret = fipc_wr(a.fd, FASTIPC_WR_NONBLOCK, NULL, 0, fb, 2, &wr);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(FIPC_RET_SIZE, wr.read_consumed);
	EXPECT_EQ(FASTIPC_RET_TRANSACTION, fb[0].op);
	EXPECT_EQ(2, fb[0].code);
	EXPECT_EQ(r.txn_id, fb[0].txn_id);

	ret = read_soon(a.fd, &x, 1000);
	EXPECT_EQ(0, ret) TH_LOG("the reply was lost to the faulting slot");
	if (!ret) {
		EXPECT_EQ(FASTIPC_RET_REPLY, x.op);
		EXPECT_EQ(3, x.code);
		ASSERT_EQ(sizeof(p3), x.data_len);
		EXPECT_EQ(-1, fipc_check(fipc_payload(&a, &x), sizeof(p3), 3));
		EXPECT_EQ(0, fipc_release_ret(a.fd, &x));
	}
	/* A answers the nested call; S gets it. */
	EXPECT_EQ(0, fipc_write1(a.fd, fipc_cmd_reply(fb[0].txn_id, 4, "inner", 5)));
	ASSERT_EQ(0, read_soon(s.fd, &x, 2000));
	EXPECT_EQ(FASTIPC_RET_REPLY, x.op);
	EXPECT_EQ(4, x.code);
	munmap(map, maplen);
	fipc_peer_close(&a);
	fipc_peer_close(&s);
	FIPC_EXPECT_BASELINE(base, 3000);
}

/*
 * A call is on its peer's pending list from the moment a reader takes it:
 * a sibling thread may answer it by ID before the reader's record is out.
 * Defect (found by the fuzzer under KASAN): when that record then faulted,
 * the reader put back a call that was answered, and freed, meanwhile: a
 * use after free, and a ghost record for the reader.
 *
 * The reader's record page is registered with userfaultfd and dropped
 * while the reader waits, so its copy-out stops in the fault; meanwhile a
 * sibling answers the call and the caller reads the reply; then the page
 * is unmapped and the fault fails.  The reader must get EFAULT, then
 * nothing: no record of a call that was answered already.  The same when
 * the drain of the peer's death (a munmap of its area) answers the call,
 * and when the caller's next call, in the same memory, is taken by a
 * sibling meanwhile: the reader must leave that one alone (it did not, in
 * the first version of the fix, which compared only the address).
 */
/* A userfaultfd that also stops kernel accesses, or -errno. */
static int uf_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (uffd < 0)
		return -errno;
	if (ioctl(uffd, UFFDIO_API, &api)) {
		close(uffd);
		return -EIO;
	}
	return uffd;
}

/* A page, present now, whose accesses stop in @uffd once it is dropped. */
static char *uf_page(int uffd, long pg)
{
	struct uffdio_register reg = { 0 };
	char *page;

	page = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return NULL;
	memset(page, 0, pg);
	reg.range.start = (unsigned long)page;
	reg.range.len = pg;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		munmap(page, pg);
		return NULL;
	}
	return page;
}

/* Wait (5 s at most) until an access stops in @uffd. */
static int uf_wait_fault(int uffd)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, 5000) != 1 ||
	    read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -ETIMEDOUT;
	return msg.event == UFFD_EVENT_PAGEFAULT ? 0 : -EPROTO;
}

struct uf_reader {
	int fd;
	struct fastipc_ret *rec;
	pid_t tid;
	int ret, again;
	struct fastipc_ret ghost;
};

static void *uf_reader_main(void *arg)
{
	struct uf_reader *u = arg;

	u->tid = fipc_gettid();
	u->ret = fipc_read(u->fd, 0, u->rec, 1);
	u->again = fipc_read(u->fd, FASTIPC_WR_NONBLOCK, &u->ghost, 1);
	return NULL;
}

enum uf_mode { UF_SIBLING, UF_DRAIN, UF_REUSED };

static void uf_answered_meanwhile(struct __test_metadata *_metadata,
				  enum uf_mode mode)
{
	bool by_death = mode == UF_DRAIN;
	long pg = sysconf(_SC_PAGESIZE);
	struct fipc_peer s, c;
	struct fipc_stats base;
	struct fastipc_ret r, x;
	struct uf_reader u = { 0 };
	pthread_t t;
	__u32 ns, hc;
	__u64 id, id3 = 0;
	char *page;
	int uffd;

	uffd = uf_open();
	if (uffd < 0)
		SKIP(return, "userfaultfd for kernel faults: %s",
		     strerror(-uffd));
	ASSERT_EQ(0, fipc_baseline(&base));
	ASSERT_EQ(0, fipc_peer_open(&s, AREA));
	ASSERT_EQ(0, fipc_peer_open(&c, AREA));
	ASSERT_EQ(0, fipc_node_create(s.fd, 0, 0x5a, &ns));
	ASSERT_EQ(0, fipc_share(s.fd, ns, c.fd, &hc));

	/* A first call tells the next ID (IDs are sequential). */
	ASSERT_EQ(0, fipc_write1(c.fd, fipc_cmd_call(hc, 1, "one", 3)));
	ASSERT_EQ(1, fipc_read(s.fd, FASTIPC_WR_NONBLOCK, &r, 1));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	id = r.txn_id;
	ASSERT_EQ(0, fipc_write1(s.fd, fipc_cmd_reply(id, 1, NULL, 0)));
	ASSERT_EQ(0, read_soon(c.fd, &x, 2000));
	ASSERT_EQ(FASTIPC_RET_REPLY, x.op);

	page = uf_page(uffd, pg);
	ASSERT_NE(NULL, page);

	/* The reader probes its record slot, then waits for work. */
	u.fd = s.fd;
	u.rec = (struct fastipc_ret *)page;
	ASSERT_EQ(0, pthread_create(&t, NULL, uf_reader_main, &u));
	while (!u.tid)
		fipc_msleep(1);
	ASSERT_EQ(0, fipc_wait_sleeping(u.tid));
	ASSERT_EQ(0, madvise(page, pg, MADV_DONTNEED));

	/* The call: taken, and its record's copy-out stops in the fault. */
	ASSERT_EQ(0, fipc_write1(c.fd, fipc_cmd_call(hc, 2, "two", 3)));
	ASSERT_EQ(0, uf_wait_fault(uffd));

	/*
	 * Answered meanwhile, by a sibling or by the drain of the peer's
	 * death (a munmap of its area), and the caller is done with it.
	 */
	if (by_death) {
		ASSERT_EQ(0, munmap(s.area, s.size));
		s.area = NULL;
	} else {
		EXPECT_EQ(0, fipc_write1(s.fd,
					 fipc_cmd_reply(id + 1, 22, "re", 2)));
	}
	ASSERT_EQ(0, read_soon(c.fd, &x, 2000));
	EXPECT_EQ(by_death ? FASTIPC_RET_DEAD_REPLY : FASTIPC_RET_REPLY, x.op);
	if (!by_death)
		EXPECT_EQ(22, x.code);
	EXPECT_EQ(id + 1, x.txn_id);

	/*
	 * The caller's next call lands in the same memory (its spare), and
	 * a sibling takes it: the reader must not mistake it for its own.
	 */
	if (mode == UF_REUSED) {
		ASSERT_EQ(0, fipc_write1(c.fd, fipc_cmd_call(hc, 3, "3", 1)));
		ASSERT_EQ(1, fipc_read(s.fd, FASTIPC_WR_NONBLOCK, &r, 1));
		ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
		ASSERT_EQ(3, r.code);
		id3 = r.txn_id;
	}

	/* The fault fails: the reader's record cannot be written. */
	ASSERT_EQ(0, munmap(page, pg));
	close(uffd);
	ASSERT_EQ(0, timed_join(t, 5000));
	EXPECT_EQ(-EFAULT, u.ret);
	EXPECT_EQ(by_death ? -EPIPE : -EAGAIN, u.again)
		TH_LOG("ghost record: op %u code %llu id %llu", u.ghost.op,
		       (unsigned long long)u.ghost.code,
		       (unsigned long long)u.ghost.txn_id);
	EXPECT_EQ(by_death ? -EPIPE : -EAGAIN,
		  fipc_read(s.fd, FASTIPC_WR_NONBLOCK, &r, 1));

	/* The caller's next call goes through, or learns the death. */
	if (mode != UF_REUSED)
		ASSERT_EQ(0, fipc_write1(c.fd,
					 fipc_cmd_call(hc, 3, "three", 5)));
	if (mode == UF_SIBLING) {
		ASSERT_EQ(1, fipc_read(s.fd, FASTIPC_WR_NONBLOCK, &r, 1));
		EXPECT_EQ(FASTIPC_RET_TRANSACTION, r.op);
		EXPECT_EQ(3, r.code);
		id3 = r.txn_id;
	}
	if (!by_death)	/* the sibling still owns the call it took */
		EXPECT_EQ(0, fipc_write1(s.fd, fipc_cmd_reply(id3, 3, NULL, 0)));
	ASSERT_EQ(0, read_soon(c.fd, &x, 2000));
	EXPECT_EQ(by_death ? FASTIPC_RET_DEAD_REPLY : FASTIPC_RET_REPLY, x.op);
	if (!by_death)
		EXPECT_EQ(3, x.code);

	fipc_peer_close(&c);
	fipc_peer_close(&s);
	FIPC_EXPECT_BASELINE(base, 3000);
}

TEST(call_answered_while_its_record_faults_is_not_put_back)
{
	uf_answered_meanwhile(_metadata, UF_SIBLING);
}

TEST(call_drained_while_its_record_faults_is_not_put_back)
{
	uf_answered_meanwhile(_metadata, UF_DRAIN);
}

TEST(call_reusing_the_memory_of_one_whose_record_faults_is_not_taken)
{
	uf_answered_meanwhile(_metadata, UF_REUSED);
}

/*
 * The caller's side of the same window: its peer dies (a munmap of its
 * area) while the record of its reply faults.  Defect (found by the
 * fuzzer under KASAN): the reader waited for the call again, and the
 * drain freed it, so the thread waited for freed memory; its deadline
 * then wrote into it (and answered a time-out instead of EPIPE).
 */
struct uf_caller {
	int fd;
	__u32 h;
	__u64 deadline;
	struct fastipc_ret *rec;
	pid_t tid;
	int ret, again;
	struct fastipc_ret after;
};

static void *uf_caller_main(void *arg)
{
	struct uf_caller *u = arg;
	struct fastipc_cmd c = fipc_cmd_call(u->h, 7, "call", 4);

	c.flags = FASTIPC_TXN_DEADLINE;
	c.arg = u->deadline;
	u->tid = fipc_gettid();
	u->ret = fipc_wr(u->fd, 0, &c, 1, u->rec, 1, NULL);
	/* Past the call's deadline: nothing may be waited for any more. */
	while (fipc_now_ns() < u->deadline + 50000000ULL)
		fipc_msleep(10);
	u->again = fipc_read(u->fd, FASTIPC_WR_NONBLOCK, &u->after, 1);
	return NULL;
}

TEST(reply_whose_record_faults_while_the_caller_dies_is_not_waited_for)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct fipc_peer s, c;
	struct fipc_stats base;
	struct fastipc_ret r;
	struct uf_caller u = { 0 };
	pthread_t t;
	__u32 ns;
	char *page;
	int uffd;

	uffd = uf_open();
	if (uffd < 0)
		SKIP(return, "userfaultfd for kernel faults: %s",
		     strerror(-uffd));
	ASSERT_EQ(0, fipc_baseline(&base));
	ASSERT_EQ(0, fipc_peer_open(&s, AREA));
	ASSERT_EQ(0, fipc_peer_open(&c, AREA));
	ASSERT_EQ(0, fipc_node_create(s.fd, 0, 0x5b, &ns));
	ASSERT_EQ(0, fipc_share(s.fd, ns, c.fd, &u.h));

	page = uf_page(uffd, pg);
	ASSERT_NE(NULL, page);

	/* The caller probes its record slot, calls and waits. */
	u.fd = c.fd;
	u.rec = (struct fastipc_ret *)page;
	u.deadline = fipc_now_ns() + 1500000000ULL;
	ASSERT_EQ(0, pthread_create(&t, NULL, uf_caller_main, &u));
	ASSERT_EQ(0, read_soon(s.fd, &r, 2000));
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	ASSERT_EQ(0, fipc_wait_sleeping(u.tid));
	ASSERT_EQ(0, madvise(page, pg, MADV_DONTNEED));

	/* The reply: taken, and its record's copy-out stops in the fault. */
	ASSERT_EQ(0, fipc_write1(s.fd, fipc_cmd_reply(r.txn_id, 8, "re", 2)));
	ASSERT_EQ(0, uf_wait_fault(uffd));

	/* The caller's peer dies meanwhile; then the fault fails. */
	ASSERT_EQ(0, munmap(c.area, c.size));
	c.area = NULL;
	ASSERT_EQ(0, munmap(page, pg));
	close(uffd);
	ASSERT_EQ(0, timed_join(t, 10000));
	EXPECT_EQ(-EFAULT, u.ret);
	EXPECT_EQ(-EPIPE, u.again)
		TH_LOG("after the death: op %u code %llu reason %u",
		       u.after.op, (unsigned long long)u.after.code,
		       u.after.reason);

	fipc_peer_close(&c);
	fipc_peer_close(&s);
	FIPC_EXPECT_BASELINE(base, 3000);
}

FIXTURE(race) {
	struct fipc_stats base;
};

FIXTURE_SETUP(race)
{
	ASSERT_EQ(0, fipc_baseline(&self->base));
}

FIXTURE_TEARDOWN(race)
{
}

/* ---- item 8: FREE by a sibling cannot beat the kernel's writes ---------- */

/*
 * Defect: a buffer was marked delivered before the kernel wrote the
 * message's handles and fds into it, so a sibling thread could FREE it in
 * between; another message then took the space and the late writes
 * corrupted it.
 *
 * Each round: R's area is empty; S1 sends a message with 1024 handles new
 * to R (translating them takes long) and an fd, which lands at offset 0; a
 * sibling thread of R (the thief) spins FREE(0) until it succeeds once;
 * S2 streams 4000-byte one-ways into R.  R's reader checks every message
 * and frees it.  A check counts only when R's own FREE succeeds: a buffer
 * the thief took after delivery (allowed) may be reused, its content then
 * means nothing.  Without the fix the thief frees the first message while
 * its handles are still being written, a 4000-byte message lands there
 * and is overwritten by them.
 */
#define RACE_HANDLES	1024
#define RACE_ROUNDS	100
#define RACE_AREA	(256 * 1024)
#define RACE_PLEN	4000
#define CODE_H		0x10000
#define CODE_P		0x20000

struct frace {
	struct fipc_peer r, s1, s2;
	__u32 nr, h1, h2;
	__u32 nodes[RACE_HANDLES];
	struct fastipc_cmd rel[RACE_HANDLES];
	int pfd[2];
	struct stat pst;
	atomic_int stop;
	atomic_int p_pause, p_idle;
	atomic_int armed;
	atomic_ulong sent, done;
	atomic_uint h_done;
	unsigned long checked, skipped, corrupt, stolen, h_at_zero;
	char what[160];
	int fail;
	long fail_val;
};

static void *frace_send_p(void *arg)
{
	struct frace *f = arg;
	static char p[RACE_PLEN];
	unsigned int seq = 0;
	int ret;

	while (!atomic_load(&f->stop)) {
		if (atomic_load(&f->p_pause)) {
			atomic_store(&f->p_idle, 1);
			fipc_msleep(1);
			continue;
		}
		fipc_fill(p, sizeof(p), seq & 0xff);
		ret = fipc_send(f->s2.fd, f->h2, CODE_P | (seq & 0xff), p,
				sizeof(p));
		if (ret == -ENOSPC) {
			sched_yield();
			continue;
		}
		if (ret) {
			FIPC_SFAIL(f, ret);
			break;
		}
		atomic_fetch_add(&f->sent, 1);
		seq++;
	}
	atomic_store(&f->p_idle, 1);
	return NULL;
}

static void *frace_thief(void *arg)
{
	struct frace *f = arg;

	while (!atomic_load(&f->stop)) {
		if (!atomic_load(&f->armed)) {
			fipc_msleep(1);
			continue;
		}
		if (!fipc_free(f->r.fd, 0)) {
			f->stolen++;
			atomic_store(&f->armed, 0);
		}
		sched_yield();
	}
	return NULL;
}

/* Check one message; return a description of what is wrong, or NULL. */
static const char *frace_check(struct frace *f, const struct fastipc_ret *r,
			       int *fd_out)
{
	const void *data = fipc_payload(&f->r, r);
	const __u32 *hs;
	const __s32 *fds;
	struct stat st;
	unsigned int i;

	*fd_out = -1;
	if (!data || fipc_check(data, r->data_len, r->code & 0xff) >= 0)
		return "payload";
	if ((r->code & ~0xffULL) == CODE_P)
		return r->data_len == RACE_PLEN && !r->n_handles ? NULL : "shape";
	if (r->n_handles != RACE_HANDLES || r->n_fds != 1)
		return "shape";
	hs = fipc_ret_handles(&f->r, r);
	for (i = 0; i < RACE_HANDLES; i++)
		if (!hs[i] || hs[i] == ~0U || hs[i] != hs[0] + i)
			return "handles";
	fds = fipc_ret_fds(&f->r, r);
	/* Never close one of our own descriptors on a garbage number. */
	if (fds[0] < 0 || fds[0] == f->r.fd || fds[0] == f->s1.fd ||
	    fds[0] == f->s2.fd || fds[0] == f->pfd[0] || fds[0] == f->pfd[1])
		return "fd";
	if (fstat(fds[0], &st) || st.st_ino != f->pst.st_ino ||
	    st.st_dev != f->pst.st_dev)
		return "fd";
	*fd_out = fds[0];
	return NULL;
}

static void *frace_reader(void *arg)
{
	struct frace *f = arg;
	const char *bad;
	struct fastipc_ret r;
	unsigned int i;
	bool h;
	int ret, fd;

	for (;;) {
		ret = fipc_read_one(f->r.fd, 0, &r, NULL);
		if (ret) {
			FIPC_SFAIL(f, ret);
			break;
		}
		if (r.op != FASTIPC_RET_TRANSACTION)
			continue;
		if (r.code == FIPC_CODE_QUIT)
			break;
		h = (r.code & ~0xffULL) == CODE_H;
		if (h && !r.offset)
			f->h_at_zero++;
		bad = frace_check(f, &r, &fd);
		if (fd >= 0)
			close(fd);
		if (!bad && h) {
			const __u32 *hs = fipc_ret_handles(&f->r, &r);

			for (i = 0; i < RACE_HANDLES; i++)
				f->rel[i] = fipc_cmd_op(FASTIPC_CMD_RELEASE,
							hs[i], 0);
			if (fipc_write(f->r.fd, f->rel, RACE_HANDLES, NULL))
				bad = "release";
		}
		if (fipc_free(f->r.fd, r.offset)) {
			f->skipped++;
		} else {
			f->checked++;
			if (bad && !f->corrupt++)
				snprintf(f->what, sizeof(f->what),
					 "%s of message code %#llx at offset %llu",
					 bad, (unsigned long long)r.code,
					 (unsigned long long)r.offset);
		}
		atomic_fetch_add(&f->done, 1);
		if (h)
			atomic_fetch_add(&f->h_done, 1);
	}
	return NULL;
}

/* Wait at most 5 s until *@v reads @want. */
static bool wait_ulong(atomic_ulong *v, atomic_ulong *want)
{
	__u64 end = fipc_now_ns() + 5000000000ULL;

	while (atomic_load(v) != atomic_load(want)) {
		if (fipc_now_ns() > end)
			return false;
		fipc_msleep(1);
	}
	return true;
}

TEST_F_TIMEOUT(race, free_race_with_delivery_of_handles_and_fds, 120)
{
	struct fastipc_cmd c;
	struct frace *f;
	pthread_t ts[3];
	unsigned int i, round;
	char p[100];
	__u64 end;

	f = calloc(1, sizeof(*f));
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, fipc_peer_open(&f->r, RACE_AREA));
	ASSERT_EQ(0, fipc_peer_open(&f->s1, AREA));
	ASSERT_EQ(0, fipc_peer_open(&f->s2, AREA));
	ASSERT_EQ(0, fipc_node_create(f->r.fd, FASTIPC_NODE_ACCEPT_FDS, 0xf7,
				      &f->nr));
	ASSERT_EQ(0, fipc_share(f->r.fd, f->nr, f->s1.fd, &f->h1));
	ASSERT_EQ(0, fipc_share(f->r.fd, f->nr, f->s2.fd, &f->h2));
	for (i = 0; i < RACE_HANDLES; i++)
		ASSERT_EQ(0, fipc_node_create(f->s1.fd, 0, i, &f->nodes[i]));
	ASSERT_EQ(0, pipe2(f->pfd, O_CLOEXEC));
	ASSERT_EQ(0, fstat(f->pfd[0], &f->pst));

	atomic_store(&f->p_pause, 1);
	ASSERT_EQ(0, pthread_create(&ts[0], NULL, frace_reader, f));
	ASSERT_EQ(0, pthread_create(&ts[1], NULL, frace_thief, f));
	ASSERT_EQ(0, pthread_create(&ts[2], NULL, frace_send_p, f));
	for (round = 0; round < RACE_ROUNDS && !f->fail; round++) {
		/* Quiet: the stream paused, everything read and freed. */
		atomic_store(&f->p_idle, 0);
		atomic_store(&f->p_pause, 1);
		end = fipc_now_ns() + 5000000000ULL;
		while (!atomic_load(&f->p_idle) && fipc_now_ns() < end)
			fipc_msleep(1);
		ASSERT_TRUE(atomic_load(&f->p_idle));
		ASSERT_TRUE(wait_ulong(&f->done, &f->sent))
			TH_LOG("round %u: %lu sent, %lu read", round,
			       atomic_load(&f->sent), atomic_load(&f->done));
		/* The message with handles and an fd: at offset 0. */
		fipc_fill(p, sizeof(p), round & 0xff);
		c = fipc_cmd_send(f->h1, CODE_H | (round & 0xff), p, sizeof(p));
		c.handles = fipc_ptr(f->nodes);
		c.n_handles = RACE_HANDLES;
		c.fds = fipc_ptr(&f->pfd[0]);
		c.n_fds = 1;
		ASSERT_EQ(0, fipc_write1(f->s1.fd, c));
		atomic_fetch_add(&f->sent, 1);
		atomic_store(&f->armed, 1);
		atomic_store(&f->p_pause, 0);
		end = fipc_now_ns() + 5000000000ULL;
		while (atomic_load(&f->h_done) <= round && fipc_now_ns() < end)
			fipc_msleep(1);
		ASSERT_LT(round, atomic_load(&f->h_done));
	}
	atomic_store(&f->stop, 1);
	ASSERT_EQ(0, timed_join(ts[2], 5000));
	ASSERT_EQ(0, timed_join(ts[1], 5000));
	ASSERT_EQ(0, send_retry(f->s2.fd, f->h2, FIPC_CODE_QUIT, NULL, 0));
	ASSERT_EQ(0, timed_join(ts[0], 10000));

	TH_LOG("%u rounds (%lu at offset 0), %lu messages, %lu checked, "
	       "%lu taken by the sibling (%lu)", round, f->h_at_zero,
	       atomic_load(&f->sent), f->checked, f->skipped, f->stolen);
	EXPECT_EQ(0, f->fail) TH_LOG("line %d value %ld", f->fail, f->fail_val);
	EXPECT_EQ(0, f->corrupt) TH_LOG("%lu corrupt, first: %s", f->corrupt,
					f->what);
	EXPECT_LE(RACE_ROUNDS, f->checked);
	/* FREE of what is not a delivered buffer start. */
	EXPECT_EQ(-EINVAL, fipc_free(f->r.fd, 8));
	EXPECT_EQ(-EINVAL, fipc_free(f->r.fd, RACE_AREA));
	fipc_peer_close(&f->s1);
	fipc_peer_close(&f->s2);
	fipc_peer_close(&f->r);
	close(f->pfd[0]);
	close(f->pfd[1]);
	free(f);
	FIPC_EXPECT_BASELINE(self->base, 3000);
}

/* ---- item 9: REPLY(0) never answers for a thread that left -------------- */

/*
 * Defect: a transaction remembered its serving thread by pointer only; a
 * thread that left (LOOPER_EXIT, or died) was freed and a new thread
 * allocated at the same address answered its calls with REPLY(0).
 *
 * Threads are freed after an RCU grace period (kfree_rcu batches them for
 * up to seconds): new threads, all on one CPU and each staying alive,
 * keep trying REPLY(0) for 6 s while the slab shrinkers (drop_caches) push
 * the frees through, so that one of them is likely to land on the old
 * thread's memory.  Every try must say EPROTO.
 */
enum { LEAVE_LOOPER_EXIT, LEAVE_SAME_TASK, LEAVE_DEATH };

#define LEAVE_TRY_NS	6000000000ULL

struct leaver {
	int fd;
	int mode;
	__u64 txn;
	int ret;
	int reply0;
	unsigned int tries;
};

static void drop_slab(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = write(fd, "2", 1);

		(void)n;
		close(fd);
	}
}

static void *leaver_main(void *arg)
{
	struct leaver *l = arg;
	struct fastipc_ret r;
	__u64 end;

	l->ret = fipc_write1(l->fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_ENTER, 0, 0));
	if (!l->ret)
		l->ret = fipc_read_one(l->fd, 0, &r, NULL);
	if (l->ret)
		return NULL;
	l->txn = r.txn_id;
	if (l->mode == LEAVE_DEATH)
		return NULL;	/* exits serving it, without a word */
	l->ret = fipc_write1(l->fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_EXIT, 0, 0));
	if (l->mode != LEAVE_SAME_TASK)
		return NULL;
	/* The same task comes back, each time as a new thread of the peer. */
	end = fipc_now_ns() + LEAVE_TRY_NS;
	l->reply0 = -EPROTO;
	while (l->reply0 == -EPROTO && fipc_now_ns() < end) {
		if (!(l->tries++ & 7))
			drop_slab();
		fipc_msleep(20);
		l->reply0 = fipc_write1(l->fd, fipc_cmd_reply(0, 7, NULL, 0));
		fipc_write1(l->fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_EXIT, 0, 0));
	}
	return NULL;
}

/* A new thread that tries REPLY(0) once, then stays parked. */
struct cand {
	int fd;
	int park;
	atomic_int done;
	int reply0;
};

static void *reply0_main(void *arg)
{
	struct cand *c = arg;

	c->reply0 = fipc_write1(c->fd, fipc_cmd_reply(0, 7, NULL, 0));
	atomic_store(&c->done, 1);
	/* Alive: no other thread object is freed while the next one tries. */
	fipc_wait(c->park);
	return NULL;
}

#define LEAVE_CANDS	400

FIXTURE(leave) {
	struct fipc_stats base;
	struct fipc_peer s, c;
	__u32 node, h;
};

FIXTURE_VARIANT(leave) {
	int mode;
};

/* LOOPER_EXIT, then new threads try REPLY(0). */
FIXTURE_VARIANT_ADD(leave, looper_exit) { .mode = LEAVE_LOOPER_EXIT };
/* LOOPER_EXIT, then the same task tries REPLY(0). */
FIXTURE_VARIANT_ADD(leave, looper_exit_same_task) { .mode = LEAVE_SAME_TASK };
/* The thread exits serving the call; new threads reap it and try. */
FIXTURE_VARIANT_ADD(leave, thread_died) { .mode = LEAVE_DEATH };

FIXTURE_SETUP(leave)
{
	self->s.fd = self->c.fd = -1;
	ASSERT_EQ(0, fipc_baseline(&self->base));
	ASSERT_EQ(0, fipc_peer_open(&self->s, AREA));
	ASSERT_EQ(0, fipc_peer_open(&self->c, AREA));
	ASSERT_EQ(0, fipc_node_create(self->s.fd, 0, COOKIE_S, &self->node));
	ASSERT_EQ(0, fipc_share(self->s.fd, self->node, self->c.fd, &self->h));
}

FIXTURE_TEARDOWN(leave)
{
	fipc_peer_close(&self->c);
	fipc_peer_close(&self->s);
	FIPC_EXPECT_BASELINE(self->base, 3000);
}

TEST_F_TIMEOUT(leave, reply0_after_the_serving_thread_left, 60)
{
	struct leaver l = { .fd = self->s.fd, .mode = variant->mode };
	struct caller cl = { .ms = 30000 };
	pthread_t t;
	__u64 end;

	/* One CPU: a freed thread goes back to the slab this CPU uses. */
	pin_self(0);
	ASSERT_EQ(0, pthread_create(&t, NULL, leaver_main, &l));
	ASSERT_EQ(0, caller_start(&cl, self->c.fd, self->h, 100));
	ASSERT_EQ(0, timed_join(t, 15000));
	ASSERT_EQ(0, l.ret);
	if (variant->mode != LEAVE_SAME_TASK) {
		static struct cand cs[LEAVE_CANDS];
		static pthread_t ct[LEAVE_CANDS];
		pthread_attr_t attr;
		int park[2];
		unsigned int i, n = 0;

		ASSERT_EQ(0, pipe2(park, O_CLOEXEC));
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		end = fipc_now_ns() + LEAVE_TRY_NS;
		l.reply0 = -EPROTO;
		while (l.reply0 == -EPROTO && n < LEAVE_CANDS &&
		       fipc_now_ns() < end) {
			if (!(l.tries++ & 7))
				drop_slab();
			fipc_msleep(20);
			cs[n].fd = self->s.fd;
			cs[n].park = park[0];
			atomic_store(&cs[n].done, 0);
			ASSERT_EQ(0, pthread_create(&ct[n], &attr, reply0_main,
						    &cs[n]));
			ASSERT_TRUE(wait_flag(&cs[n].done, 5000));
			l.reply0 = cs[n++].reply0;
		}
		close(park[1]);
		for (i = 0; i < n; i++)
			ASSERT_EQ(0, timed_join(ct[i], 5000));
		close(park[0]);
	}
	EXPECT_EQ(-EPROTO, l.reply0) TH_LOG("try %u of a new thread answered "
					    "the call of the one that left",
					    l.tries);
	/* Still answerable by ID, exactly once. */
	EXPECT_EQ(l.reply0 ? 0 : -EPROTO,
		  fipc_write1(self->s.fd, fipc_cmd_reply(l.txn, 200, NULL, 0)));
	ASSERT_EQ(0, timed_join(cl.t, 35000));
	EXPECT_EQ(0, cl.ret);
	EXPECT_EQ(FASTIPC_RET_REPLY, cl.r.op);
	EXPECT_EQ(200, cl.r.code);
}

/* ---- item 10: a failed REPLY leaves its transaction where it was -------- */

/*
 * Defect: a REPLY that failed (EFAULT, ENOSPC) put its transaction back at
 * the tail of the pending list, so REPLY(0) ("the latest served") then
 * answered the older call instead of the latest one.
 */
FIXTURE(order) {
	struct fipc_stats base;
	struct fipc_peer s, c;
	__u32 node, h;
};

FIXTURE_VARIANT(order) {
	bool enospc;
};

FIXTURE_VARIANT_ADD(order, efault) { .enospc = false };
FIXTURE_VARIANT_ADD(order, enospc) { .enospc = true };

FIXTURE_SETUP(order)
{
	self->s.fd = self->c.fd = -1;
	ASSERT_EQ(0, fipc_baseline(&self->base));
	ASSERT_EQ(0, fipc_peer_open(&self->s, AREA));
	/* A small caller area: a 128 KiB reply never fits. */
	ASSERT_EQ(0, fipc_peer_open(&self->c, 64 * 1024));
	ASSERT_EQ(0, fipc_node_create(self->s.fd, 0, COOKIE_S, &self->node));
	ASSERT_EQ(0, fipc_share(self->s.fd, self->node, self->c.fd, &self->h));
}

FIXTURE_TEARDOWN(order)
{
	fipc_peer_close(&self->c);
	fipc_peer_close(&self->s);
	FIPC_EXPECT_BASELINE(self->base, 3000);
}

TEST_F(order, failed_reply_keeps_its_place)
{
	struct caller c1 = { 0 }, c2 = { 0 };
	struct fastipc_ret r1, r2;
	char *big = NULL;
	int ret;

	ASSERT_EQ(0, caller_start(&c1, self->c.fd, self->h, 1));
	ASSERT_EQ(0, fipc_read_one(self->s.fd, 0, &r1, NULL));
	ASSERT_EQ(0, caller_start(&c2, self->c.fd, self->h, 2));
	ASSERT_EQ(0, fipc_read_one(self->s.fd, 0, &r2, NULL));
	ASSERT_EQ(1, r1.code);
	ASSERT_EQ(2, r2.code);

	/* The older call's answer fails... */
	if (variant->enospc) {
		big = calloc(1, 128 * 1024);
		ASSERT_NE(NULL, big);
		ret = fipc_write1(self->s.fd, fipc_cmd_reply(r1.txn_id, 9, big,
							     128 * 1024));
		EXPECT_EQ(-ENOSPC, ret);
	} else {
		ret = fipc_write1(self->s.fd, fipc_cmd_reply(r1.txn_id, 9,
							     (void *)8, 100));
		EXPECT_EQ(-EFAULT, ret);
	}
	/* ...so REPLY(0) still answers the latest one. */
	EXPECT_EQ(0, fipc_write1(self->s.fd, fipc_cmd_reply(0, 22, NULL, 0)));
	EXPECT_EQ(0, fipc_write1(self->s.fd, fipc_cmd_reply(r1.txn_id, 11,
							    NULL, 0)));
	ASSERT_EQ(0, timed_join(c1.t, 10000));
	ASSERT_EQ(0, timed_join(c2.t, 10000));
	EXPECT_EQ(FASTIPC_RET_REPLY, c1.r.op);
	EXPECT_EQ(11, c1.r.code);
	EXPECT_EQ(FASTIPC_RET_REPLY, c2.r.op);
	EXPECT_EQ(22, c2.r.code);
	free(big);
}

/* ---- limits: module parameters ------------------------------------------ */

/*
 * The fixture saves every parameter it may change and puts it back.  A
 * parameter a test needs must exist: its absence fails the test (it is
 * part of the fix).
 */
static const char * const lim_params[] = {
	"max_oneway", "max_handle_refs", "max_handles",
};

FIXTURE(lim) {
	struct fipc_stats base;
	long saved[3];
	struct fipc_peer r, s[3];
	__u32 nr, h[3];
};

FIXTURE_SETUP(lim)
{
	unsigned int i;

	for (i = 0; i < 3; i++)
		self->saved[i] = fipc_param_get(lim_params[i]);
	self->r.fd = self->s[0].fd = self->s[1].fd = self->s[2].fd = -1;
	ASSERT_EQ(0, fipc_baseline(&self->base));
}

FIXTURE_TEARDOWN(lim)
{
	unsigned int i;

	for (i = 0; i < 3; i++)
		fipc_peer_close(&self->s[i]);
	fipc_peer_close(&self->r);
	for (i = 0; i < 3; i++)
		if (self->saved[i] >= 0 && fipc_params_writable())
			fipc_param_set(lim_params[i], self->saved[i]);
	FIPC_EXPECT_BASELINE(self->base, 3000);
}

/* R with node nr (area @area) and three senders holding h[0..2] to it. */
static void lim_peers(struct __test_metadata *_metadata,
		      FIXTURE_DATA(lim) *self, size_t area)
{
	unsigned int i;

	ASSERT_EQ(0, fipc_peer_open(&self->r, area));
	ASSERT_EQ(0, fipc_node_create(self->r.fd, 0, 0x4e, &self->nr));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, fipc_peer_open(&self->s[i], AREA));
		ASSERT_EQ(0, fipc_share(self->r.fd, self->nr, self->s[i].fd,
					&self->h[i]));
	}
}

/* SEND; the final write_read (reason) goes to @wr. */
static int send_wr(int fd, __u32 h, __u64 code, const void *d, __u64 len,
		   struct fastipc_write_read *wr)
{
	struct fastipc_cmd c = fipc_cmd_send(h, code, d, len);

	return fipc_wr(fd, 0, &c, 1, NULL, 0, wr);
}

/*
 * max_oneway: one-ways queued to one peer and not yet read, inline ones
 * included.  Defect: unbounded; an idle receiver's queue grew without end
 * (kernel memory at the sender's will).
 */
TEST_F(lim, max_oneway_count_and_sender_share)
{
	struct fastipc_write_read wr;
	struct fastipc_ret r;
	unsigned int i, j, n = 0;
	__u64 codes[20];

	FIPC_REQUIRE_PARAMS();
	ASSERT_EQ(0, fipc_param_set("max_oneway", 16))
		TH_LOG("no max_oneway parameter");
	lim_peers(_metadata, self, AREA);

	/* Sender 0 may hold half: 8. */
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, send_wr(self->s[0].fd, self->h[0], 100 + i, "o", 1,
				     &wr));
		EXPECT_EQ(FASTIPC_REASON_NONE, wr.reason);
	}
	EXPECT_EQ(-ENOSPC, send_wr(self->s[0].fd, self->h[0], 108, "o", 1, &wr));
	EXPECT_EQ(0, wr.write_consumed);
	EXPECT_EQ(FASTIPC_REASON_SENDER_SHARE, wr.reason);
	/* Another sender can still send its 8. */
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, send_wr(self->s[1].fd, self->h[1], 200 + i, "o", 1,
				     &wr));
	/* 16 queued: the receiver's budget is spent for everyone. */
	EXPECT_EQ(-ENOSPC, send_wr(self->s[2].fd, self->h[2], 300, "o", 1, &wr));
	EXPECT_EQ(FASTIPC_REASON_ONEWAY_BUDGET, wr.reason);
	/* The receiver reads one: room for one more. */
	ASSERT_EQ(0, fipc_read_one(self->r.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(100, r.code);
	EXPECT_EQ(0, send_wr(self->s[2].fd, self->h[2], 300, "o", 1, &wr));
	EXPECT_EQ(-ENOSPC, send_wr(self->s[2].fd, self->h[2], 301, "o", 1, &wr));
	EXPECT_EQ(FASTIPC_REASON_ONEWAY_BUDGET, wr.reason);

	/* Everything accepted arrives once, in order. */
	while (n < 20 && !fipc_read_one(self->r.fd, FASTIPC_WR_NONBLOCK, &r,
					NULL))
		codes[n++] = r.code;
	ASSERT_EQ(16, n);
	for (i = 0, j = 0; i < 7; i++)
		EXPECT_EQ(101 + i, codes[j++]);
	for (i = 0; i < 8; i++)
		EXPECT_EQ(200 + i, codes[j++]);
	EXPECT_EQ(300, codes[j]);
	/* Read: the budget is back. */
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0, send_wr(self->s[0].fd, self->h[0], i, "o", 1, &wr));
}

/*
 * With the default budget (max_oneway 1024), one sender stops at half.
 * Defect: 300,000 inline one-ways to a receiver that never reads were all
 * accepted (here capped at 5000 when the parameter is missing).
 */
TEST_F(lim, default_oneway_budget_bounds_one_sender)
{
	struct fastipc_write_read wr;
	long max = fipc_param_get("max_oneway");
	long i, cap = max > 0 ? max + 16 : 5000;
	int ret = 0;

	EXPECT_EQ(1024, max) TH_LOG("max_oneway: %ld", max);
	lim_peers(_metadata, self, AREA);
	for (i = 0; i < cap; i++) {
		ret = send_wr(self->s[0].fd, self->h[0], i, "inline", 6, &wr);
		if (ret)
			break;
	}
	EXPECT_EQ(-ENOSPC, ret) TH_LOG("%ld one-ways accepted", i);
	EXPECT_EQ(max > 0 ? max / 2 : -1, i);
	EXPECT_EQ(FASTIPC_REASON_SENDER_SHARE, wr.reason);
}

/*
 * The byte budget: one-way buffers take at most half the area, one sender
 * at most half of that.  Defect: one sender could take the whole half.
 */
TEST_F(lim, oneway_area_bytes_and_sender_share)
{
	struct fastipc_write_read wr;
	struct fastipc_ret r;
	static char b[4096];
	unsigned int i;

	lim_peers(_metadata, self, 64 * 1024);
	fipc_fill(b, sizeof(b), 1);
	/* 64 KiB area: 32 KiB of one-ways, 16 KiB (4 x 4 KiB) per sender. */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, send_wr(self->s[0].fd, self->h[0], i, b, sizeof(b),
				     &wr));
	EXPECT_EQ(-ENOSPC, send_wr(self->s[0].fd, self->h[0], 4, b, sizeof(b),
				   &wr));
	EXPECT_EQ(FASTIPC_REASON_SENDER_SHARE, wr.reason);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, send_wr(self->s[1].fd, self->h[1], 10 + i, b,
				     sizeof(b), &wr));
	EXPECT_EQ(-ENOSPC, send_wr(self->s[2].fd, self->h[2], 20, b, sizeof(b),
				   &wr));
	EXPECT_EQ(FASTIPC_REASON_ONEWAY_BUDGET, wr.reason);
	/* One read and freed: room again. */
	ASSERT_EQ(0, fipc_read_one(self->r.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	EXPECT_EQ(0, r.code);
	EXPECT_EQ(0, fipc_release_ret(self->r.fd, &r));
	EXPECT_EQ(0, send_wr(self->s[2].fd, self->h[2], 20, b, sizeof(b), &wr));
	while (!fipc_read_one(self->r.fd, FASTIPC_WR_NONBLOCK, &r, NULL))
		EXPECT_EQ(0, fipc_release_ret(self->r.fd, &r));
	FIPC_EXPECT_STAT(self->base.buffers, "buffers");
}

/*
 * max_handle_refs: references one handle may count.  Defect: ACQUIRE went
 * on to U32_MAX (then said ENOENT), so a count could be driven to wrap by
 * combined paths.
 */
TEST_F(lim, max_handle_refs)
{
	struct fastipc_cmd *c;
	struct fastipc_write_read wr;
	unsigned long consumed;
	__u32 h, x;
	int efd, i;

	FIPC_REQUIRE_PARAMS();
	ASSERT_EQ(0, fipc_param_set("max_handle_refs", 1000))
		TH_LOG("no max_handle_refs parameter");
	ASSERT_EQ(0, fipc_peer_open(&self->r, AREA));
	ASSERT_EQ(0, fipc_peer_open(&self->s[0], AREA));
	ASSERT_EQ(0, fipc_node_create(self->r.fd, 0, 1, &h));
	c = calloc(1000, sizeof(*c));
	ASSERT_NE(NULL, c);
	for (i = 0; i < 1000; i++)
		c[i] = fipc_cmd_op(FASTIPC_CMD_ACQUIRE, h, 0);
	/* 1 + 999 = 1000 references; the next one is one too many. */
	EXPECT_EQ(-EOVERFLOW, fipc_write(self->r.fd, c, 1000, &consumed));
	EXPECT_EQ(999 * FIPC_CMD_SIZE, consumed);
	EXPECT_EQ(-EOVERFLOW, fipc_wr(self->r.fd, 0, c, 1, NULL, 0, &wr));
	EXPECT_EQ(0, wr.write_consumed);
	efd = fipc_export(self->r.fd, h);
	ASSERT_LE(0, efd);
	EXPECT_EQ(-EOVERFLOW, fipc_import(self->r.fd, efd, &x));
	/* Another peer's handle has its own count. */
	EXPECT_EQ(0, fipc_import(self->s[0].fd, efd, &x));
	close(efd);
	/* The count is intact: exactly 1000 releases. */
	for (i = 0; i < 1000; i++)
		c[i] = fipc_cmd_op(FASTIPC_CMD_RELEASE, h, 0);
	EXPECT_EQ(0, fipc_write(self->r.fd, c, 1000, &consumed));
	EXPECT_EQ(-ENOENT, op1(self->r.fd, FASTIPC_CMD_RELEASE, h, 0));
	EXPECT_EQ(0, op1(self->s[0].fd, FASTIPC_CMD_RELEASE, x, 0));
	free(c);
}

/*
 * Item 14: a receiver at max_handles gets the handles that fit; the others
 * read 0xffffffff and the record says FASTIPC_RET_HANDLES_FAILED.  Defect:
 * the slot was filled silently, nothing told the receiver.
 */
TEST_F(lim, handles_failed_at_max_handles)
{
	struct fastipc_ret r;
	struct fastipc_cmd c;
	const __u32 *hs;
	__u32 sn[8], x, got[3];
	int i, efd;

	FIPC_REQUIRE_PARAMS();
	ASSERT_LE(0, self->saved[2]) TH_LOG("no max_handles parameter");
	lim_peers(_metadata, self, AREA);
	/* R: its node and 6 of sender 0's: 7 handles. */
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, fipc_node_create(self->s[0].fd, 0, 0x500 + i, &sn[i]));
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, fipc_share(self->s[0].fd, sn[i], self->r.fd, &x));
	ASSERT_EQ(0, fipc_param_set("max_handles", 8));
	/* New, already held, new: the second new one does not fit. */
	got[0] = sn[6];
	got[1] = sn[0];
	got[2] = sn[7];
	c = fipc_cmd_send(self->h[0], 1, "H", 1);
	c.handles = fipc_ptr(got);
	c.n_handles = 3;
	ASSERT_EQ(0, fipc_write1(self->s[0].fd, c));
	ASSERT_EQ(0, fipc_read_one(self->r.fd, FASTIPC_WR_NONBLOCK, &r, NULL));
	ASSERT_EQ(3, r.n_handles);
	EXPECT_TRUE(r.flags & FASTIPC_RET_HANDLES_FAILED);
	hs = fipc_ret_handles(&self->r, &r);
	memcpy(got, hs, sizeof(got));
	EXPECT_NE(0, got[0]);
	EXPECT_NE(~0U, got[0]);
	EXPECT_NE(0, got[1]);
	EXPECT_NE(~0U, got[1]);
	EXPECT_EQ(~0U, got[2]);
	EXPECT_EQ(0, fipc_release_ret(self->r.fd, &r));
	/* At the limit: no new node, no import. */
	EXPECT_EQ(-ENOSPC, fipc_node_create(self->r.fd, 0, 1, &x));
	efd = fipc_export(self->s[0].fd, sn[7]);
	ASSERT_LE(0, efd);
	EXPECT_EQ(-ENOSPC, fipc_import(self->r.fd, efd, &x));
	close(efd);
	/* The handle it got works. */
	ASSERT_EQ(0, fipc_send(self->r.fd, got[0], 77, NULL, 0));
	ASSERT_EQ(0, read_soon(self->s[0].fd, &r, 1000));
	EXPECT_EQ(0x506, r.cookie);
	EXPECT_EQ(77, r.code);
	/* Refs: the received one of sn[0] added one; nothing else leaked. */
	EXPECT_EQ(0, op1(self->r.fd, FASTIPC_CMD_RELEASE, got[1], 0));
	EXPECT_EQ(0, op1(self->r.fd, FASTIPC_CMD_RELEASE, got[1], 0));
	EXPECT_EQ(-ENOENT, op1(self->r.fd, FASTIPC_CMD_RELEASE, got[1], 0));
}

/*
 * fastipc_write_read.reason: 0 on input, 0 on success and on errors whose
 * errno says it all; FASTIPC_FEAT_REASON announces it.
 */
TEST(reason_field)
{
	struct fastipc_write_read wr;
	struct fastipc_version v;
	struct fipc_peer p;
	struct fipc_stats base;
	struct fastipc_cmd c;
	__u32 h;

	memset(&v, 0, sizeof(v));
	ASSERT_EQ(0, fipc_baseline(&base));
	ASSERT_EQ(0, fipc_peer_open(&p, AREA));
	ASSERT_EQ(0, ioctl(p.fd, FASTIPC_IOC_VERSION, &v));
	EXPECT_TRUE(v.features & FASTIPC_FEAT_REASON);
	ASSERT_EQ(0, fipc_node_create(p.fd, 0, 1, &h));

	c = fipc_cmd_send(h, 1, "s", 1);
	memset(&wr, 0, sizeof(wr));
	wr.write_buffer = fipc_ptr(&c);
	wr.write_size = FIPC_CMD_SIZE;
	wr.reason = FASTIPC_REASON_ONEWAY_BUDGET;
	EXPECT_EQ(-EINVAL, fipc_wr_once(p.fd, &wr));
	EXPECT_EQ(0, wr.write_consumed);

	EXPECT_EQ(0, fipc_wr(p.fd, 0, &c, 1, NULL, 0, &wr));
	EXPECT_EQ(FASTIPC_REASON_NONE, wr.reason);
	c.op = 99;
	EXPECT_EQ(-EINVAL, fipc_wr(p.fd, 0, &c, 1, NULL, 0, &wr));
	EXPECT_EQ(FASTIPC_REASON_NONE, wr.reason);
	c = fipc_cmd_op(FASTIPC_CMD_RELEASE, h + 10, 0);
	EXPECT_EQ(-ENOENT, fipc_wr(p.fd, 0, &c, 1, NULL, 0, &wr));
	EXPECT_EQ(FASTIPC_REASON_NONE, wr.reason);
	fipc_peer_close(&p);
	FIPC_EXPECT_BASELINE(base, 3000);
}

/* ---- item 12: a looper flooded with signals never ends in D state ------- */

/*
 * Defect: a looper interrupted by a signal while a sender was raising its
 * priority (the hand-off to an idle thread of a MIN_PRIO node) waited in
 * TASK_UNINTERRUPTIBLE for a wake-up that only ever came as an
 * interruptible one: it stayed in D state forever and its process could
 * never exit.
 *
 * The scenario runs in a child process; it reports through a pipe, and a
 * child that does not exit is left behind (it may be unkillable).
 */
struct flood {
	struct fipc_peer s, c;
	__u32 node, h;
	bool oneway;
	unsigned int n;		/* at most this many; then how many were made */
	__u64 until_ns;		/* no new one after this (CLOCK_MONOTONIC) */
	int policy, prio;
	pid_t pid;
	atomic_int ltid;
	atomic_int stop;
	atomic_int stuck;
	unsigned int served, out_of_order;
	int fail;
	long fail_val;
};

static void flood_handler(int sig)
{
}

static void *flood_looper(void *arg)
{
	struct flood *f = arg;
	struct fastipc_ret r;
	__u32 next = 0, seq;
	int ret;

	if (set_nice_self(0))
		FIPC_SFAIL(f, errno);
	atomic_store(&f->ltid, fipc_gettid());
	if (fipc_write1(f->s.fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_ENTER, 0, 0)))
		FIPC_SFAIL(f, __LINE__);
	for (;;) {
		ret = fipc_read_one(f->s.fd, 0, &r, NULL);
		if (ret) {
			FIPC_SFAIL(f, ret);
			break;
		}
		if (r.op != FASTIPC_RET_TRANSACTION) {
			FIPC_SFAIL(f, r.op);
			continue;
		}
		if (r.code == FIPC_CODE_QUIT)
			break;
		f->served++;
		if (r.flags & FASTIPC_RET_ONEWAY) {
			memcpy(&seq, r.inline_data, 4);
			if (seq != next)
				f->out_of_order++;
			next = seq + 1;
			continue;
		}
		ret = fipc_write1(f->s.fd, fipc_cmd_reply(0, r.code + 1,
							  r.inline_data, 4));
		if (ret)
			FIPC_SFAIL(f, ret);
	}
	fipc_write1(f->s.fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_EXIT, 0, 0));
	return NULL;
}

static void *flood_signals(void *arg)
{
	struct flood *f = arg;
	pid_t tid = atomic_load(&f->ltid);

	while (!atomic_load(&f->stop))
		syscall(SYS_tgkill, f->pid, tid, SIGUSR1);
	return NULL;
}

/* Fail if the looper is in D state for more than 2 s. */
static void *flood_watchdog(void *arg)
{
	struct flood *f = arg;
	pid_t tid = atomic_load(&f->ltid);
	__u64 since = 0;

	while (!atomic_load(&f->stop)) {
		if (fipc_task_state(f->pid, tid) == 'D') {
			if (!since)
				since = fipc_now_ns();
			else if (fipc_now_ns() - since > 2000000000ULL)
				atomic_store(&f->stuck, 1);
		} else {
			since = 0;
		}
		fipc_msleep(10);
	}
	return NULL;
}

/* The child: 0 on success, or a code naming the failure. */
static int flood_child(struct flood *f, int report)
{
	pthread_t lt, st, wt;
	struct fastipc_ret r;
	unsigned int i;
	__u32 v;
	int ret;

	f->pid = getpid();
	if (fipc_peer_open(&f->s, AREA) || fipc_peer_open(&f->c, AREA))
		return 10;
	if (fipc_node_create_min(f->s.fd, FASTIPC_NODE_MIN_PRIO, COOKIE_S,
				 f->policy, f->prio, &f->node) ||
	    fipc_share(f->s.fd, f->node, f->c.fd, &f->h))
		return 11;
	if (pthread_create(&lt, NULL, flood_looper, f))
		return 12;
	while (!atomic_load(&f->ltid))
		fipc_msleep(1);
	if (pthread_create(&st, NULL, flood_signals, f) ||
	    pthread_create(&wt, NULL, flood_watchdog, f))
		return 12;
	for (i = 0; i < f->n && !atomic_load(&f->stuck); i++) {
		if (fipc_now_ns() > f->until_ns) {
			f->n = i;	/* the time budget is spent: stop here */
			break;
		}
		v = i;
		if (f->oneway) {
			ret = send_retry(f->c.fd, f->h, 1, &v, 4);
			if (ret)
				break;
			continue;
		}
		ret = call_dl(f->c.fd, f->h, 2 * i, &v, 4, 10000, &r);
		if (ret || r.op != FASTIPC_RET_REPLY || r.code != 2 * i + 1 ||
		    memcmp(r.inline_data, &v, 4)) {
			fipc_signal(report, atomic_load(&f->stuck) ? 'D' : 'C');
			return 13;
		}
	}
	if (atomic_load(&f->stuck)) {
		/* Say so now: this process may never finish exiting. */
		fipc_signal(report, 'D');
		return 14;
	}
	if (i < f->n) {
		fipc_signal(report, 'S');
		return 15;
	}
	if (send_retry(f->c.fd, f->h, FIPC_CODE_QUIT, NULL, 0) ||
	    timed_join(lt, 10000)) {
		fipc_signal(report, atomic_load(&f->stuck) ? 'D' : 'J');
		return 16;
	}
	atomic_store(&f->stop, 1);
	pthread_join(st, NULL);
	pthread_join(wt, NULL);
	if (f->fail) {
		fipc_signal(report, 'L');
		return 17;
	}
	if (f->served != f->n || f->out_of_order) {
		fipc_signal(report, 'O');
		return 18;
	}
	fipc_peer_close(&f->c);
	fipc_peer_close(&f->s);
	fprintf(stderr, "# %u %s, each checked\n", f->n,
		f->oneway ? "one-ways" : "calls");
	fipc_signal(report, 'K');
	return 0;
}

FIXTURE(flood) {
	struct fipc_stats base;
};

FIXTURE_VARIANT(flood) {
	bool restart;
	bool oneway;
	unsigned int n;
	int policy;	/* the node's minimum */
	int prio;
};

/* Calls to a node with a minimum of nice -10. */
FIXTURE_VARIANT_ADD(flood, calls) {
	.n = 30000, .policy = SCHED_OTHER, .prio = -10,
};
FIXTURE_VARIANT_ADD(flood, calls_sa_restart) {
	.restart = true, .n = 30000, .policy = SCHED_OTHER, .prio = -10,
};
/* A real-time minimum: a slower priority change, a wider window. */
FIXTURE_VARIANT_ADD(flood, calls_rt_minimum) {
	.n = 30000, .policy = SCHED_FIFO, .prio = 1,
};
/* One-ways to the MIN_PRIO node: also none lost, none out of order. */
FIXTURE_VARIANT_ADD(flood, oneways) {
	.oneway = true, .n = 5000, .policy = SCHED_OTHER, .prio = -10,
};

/*
 * How many: the variant's, or at most FASTIPC_FLOOD_N (the debug lane: a
 * KASAN kernel under TCG makes 30000 calls take minutes).
 */
static unsigned int flood_count(unsigned int n)
{
	const char *e = getenv("FASTIPC_FLOOD_N");
	unsigned long max = e ? strtoul(e, NULL, 10) : 0;

	return max && max < n ? max : n;
}

/*
 * And for at most FASTIPC_FLOOD_SECS seconds (default 20): under TCG a
 * machine makes 200 to 400 signalled calls a second, and the child's alarm
 * must not end a healthy flood. The budget bounds the work, not the verdict:
 * every call made is checked, however many fit.
 */
static __u64 flood_budget_ns(void)
{
	const char *e = getenv("FASTIPC_FLOOD_SECS");
	unsigned long secs = e ? strtoul(e, NULL, 10) : 0;

	return (secs ? secs : 20) * 1000000000ULL;
}

FIXTURE_SETUP(flood)
{
	ASSERT_EQ(0, fipc_baseline(&self->base));
}

FIXTURE_TEARDOWN(flood)
{
}

TEST_F_TIMEOUT(flood, looper_flooded_with_signals, 200)
{
	struct sigaction sa;
	int rep[2], status, ret, c;
	__u64 t0;
	pid_t pid;

	if (variant->policy != SCHED_OTHER)
		FIPC_REQUIRE_CAP(CAP_SYS_NICE, "a real-time node minimum");
	ASSERT_EQ(0, pipe2(rep, O_CLOEXEC));
	t0 = fipc_now_ns();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		static struct flood f;

		close(rep[0]);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = flood_handler;
		sa.sa_flags = variant->restart ? SA_RESTART : 0;
		sigaction(SIGUSR1, &sa, NULL);
		f.oneway = variant->oneway;
		f.n = flood_count(variant->n);
		f.policy = variant->policy;
		f.prio = variant->prio;
		f.until_ns = fipc_now_ns() + flood_budget_ns();
		alarm(150);
		_exit(flood_child(&f, rep[1]));
	}
	close(rep[1]);
	/* The child reports one byte; then it must exit. */
	c = fipc_wait(rep[0]);
	close(rep[0]);
	TH_LOG("at most %u %s: %llu ms", flood_count(variant->n),
	       variant->oneway ? "one-ways" :
	       "calls", (unsigned long long)(fipc_now_ns() - t0) / 1000000);
	EXPECT_EQ('K', c) TH_LOG("child reported '%c' (D: the looper stuck in "
				 "D state; C: a call failed; O: lost or out of "
				 "order; J: the looper did not quit)",
				 c > 0 ? c : '?');
	ret = fipc_wait_child(pid, 10000, &status);
	EXPECT_EQ(0, ret) TH_LOG("the process did not exit (a thread in D state)");
	if (ret)
		return;	/* left behind: it holds the module */
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("child status %#x", status);
	FIPC_EXPECT_BASELINE(self->base, 3000);
}

/* ---- item 11: death notices racing CLEAR_DEATH / RELEASE ---------------- */

/*
 * Defect: A holds 1500 handles to nodes of B, each with a death request;
 * B dies, so 1500 DEAD_NODE notices wait on A's queue.  A thread of A with
 * its own fd table (unshare(CLONE_FILES)) exits: its flush kills A, which
 * walks the notices on a private list without a lock while three sibling
 * threads CLEAR_DEATH and RELEASE the same notices under the lock: the
 * list is corrupted (list_debug BUG) or the CPU spins (soft lockup).
 *
 * One round per child process; a child that does not come back in time is
 * reported and left behind.
 */
#define DR_N	1500
#define DR_ROUNDS	40

struct drace {
	struct fipc_peer a, b;
	__u32 an;
	__u32 ah[DR_N];
	atomic_int go;
	__u64 delay_ns;
	int bad;
	long bad_val;
};

struct drace_sib {
	struct drace *d;
	int k;
	struct fastipc_cmd cmds[2 * (DR_N / 3 + 1)];
};

/*
 * CLEAR_DEATH then RELEASE on every third notice, from the last one down
 * (against the direction the dying peer walks them), in batches, from the
 * moment A is seen dead.
 */
static void *drace_sibling(void *arg)
{
	struct drace_sib *s = arg;
	struct drace *d = s->d;
	unsigned long consumed;
	int i, n = 0, pos = 0, chunk, ret;
	__u64 end;

	/*
	 * The siblings on one CPU, the dying thread on another: not CPU 0,
	 * where the guest's poweroff must run even when that thread spins.
	 */
	pin_self(0);
	for (i = DR_N - 1 - s->k; i >= 0; i -= 3) {
		s->cmds[n++] = fipc_cmd_op(FASTIPC_CMD_CLEAR_DEATH, d->ah[i],
					   0x10000 + i);
		s->cmds[n++] = fipc_cmd_op(FASTIPC_CMD_RELEASE, d->ah[i], 0);
	}
	while (!atomic_load(&d->go))
		;
	/*
	 * Start when A is seen dead (EPOLLHUP), that is while it walks its
	 * queue; give up waiting after 2 s (then A outlived the killer).
	 */
	end = fipc_now_ns() + 2000000000ULL;
	while (fipc_now_ns() < end) {
		struct pollfd pfd = { .fd = d->a.fd, .events = POLLIN };

		if (poll(&pfd, 1, 0) == 1 &&
		    (pfd.revents & (POLLHUP | POLLERR)))
			break;
	}
	while (pos < n) {
		chunk = n - pos < 64 ? n - pos : 64;
		ret = fipc_write(d->a.fd, s->cmds + pos, chunk, &consumed);
		pos += consumed / FIPC_CMD_SIZE;
		if (!ret)
			continue;
		if (ret != -ENOENT && ret != -EPIPE && !d->bad) {
			d->bad = __LINE__;
			d->bad_val = ret;
		}
		pos++;	/* skip the failed one */
	}
	return NULL;
}

static void *drace_killer(void *arg)
{
	struct drace *d = arg;
	__u64 until;

	pin_self(1);
	while (!atomic_load(&d->go))
		;
	until = fipc_now_ns() + d->delay_ns;
	while (fipc_now_ns() < until)
		;
	/*
	 * Its own copy of the fd table, closed when this thread exits: the
	 * flush that killed A.  The munmap kills A where munmap is a death
	 * (item 1), so that A surely dies while the siblings work.
	 */
	unshare(CLONE_FILES);
	munmap(d->a.area, d->a.size);
	d->a.area = NULL;
	return NULL;
}

static int drace_round(int round)
{
	static struct drace d;
	static struct fastipc_cmd cmds[DR_N];
	static struct drace_sib sib[3];
	struct fastipc_ret r[4];
	__u32 bn[DR_N], bh, got = 0;
	pthread_t t[4];
	char p[100];
	int i, n;

	memset(&d, 0, sizeof(d));
	d.delay_ns = (round % 8) * 50000ULL;
	if (fipc_peer_open(&d.a, 16 * FIPC_MIB) || fipc_peer_open(&d.b, AREA))
		return 20;
	if (fipc_node_create(d.a.fd, 0, 0xa, &d.an) ||
	    fipc_share(d.a.fd, d.an, d.b.fd, &bh))
		return 21;
	for (i = 0; i < DR_N; i++)
		if (fipc_node_create(d.b.fd, 0, i, &bn[i]))
			return 22;
	/* B hands its 1500 nodes to A: 1000 + 500 handles. */
	for (i = 0; i < DR_N; i += 1000) {
		struct fastipc_cmd c = fipc_cmd_send(bh, i, "h", 1);

		c.handles = fipc_ptr(&bn[i]);
		c.n_handles = DR_N - i < 1000 ? DR_N - i : 1000;
		if (fipc_write1(d.b.fd, c))
			return 23;
	}
	while (got < DR_N) {
		n = fipc_read(d.a.fd, FASTIPC_WR_NONBLOCK, r, 1);
		if (n != 1 || r[0].op != FASTIPC_RET_TRANSACTION)
			return 24;
		memcpy(&d.ah[got], fipc_ret_handles(&d.a, &r[0]),
		       r[0].n_handles * 4);
		got += r[0].n_handles;
		if (fipc_free(d.a.fd, r[0].offset))
			return 25;
	}
	if (!(round & 1)) {
		/* The reproducer: B dies, 1500 notices queued to A at once. */
		for (i = 0; i < DR_N; i++)
			cmds[i] = fipc_cmd_op(FASTIPC_CMD_REQUEST_DEATH, d.ah[i],
					      0x10000 + i);
		if (fipc_write(d.a.fd, cmds, DR_N, NULL))
			return 26;
		fipc_peer_close(&d.b);
	} else {
		/*
		 * B dead first; each request is then queued at once.  Before
		 * each of the first 500 notices, a one-way to A's own node
		 * carrying 1024 handles: dropping it takes the dying peer a
		 * while, with the next notice in hand, which is when a
		 * sibling's CLEAR_DEATH of that notice used to hurt.
		 */
		fipc_peer_close(&d.b);
		memset(p, 0x5a, sizeof(p));
		for (i = 0; i < DR_N; i++) {
			cmds[0] = fipc_cmd_send(d.an, i, p, 8);
			cmds[0].handles = fipc_ptr(d.ah);
			cmds[0].n_handles = 1024;
			cmds[1] = fipc_cmd_op(FASTIPC_CMD_REQUEST_DEATH, d.ah[i],
					      0x10000 + i);
			/* The one-way is best effort (budgets), the request not. */
			if (i < 500)
				fipc_write(d.a.fd, cmds, 1, NULL);
			if (fipc_write(d.a.fd, cmds + 1, 1, NULL))
				return 26;
		}
	}

	for (i = 0; i < 3; i++) {
		sib[i].d = &d;
		sib[i].k = i;
		if (pthread_create(&t[i], NULL, drace_sibling, &sib[i]))
			return 27;
	}
	if (pthread_create(&t[3], NULL, drace_killer, &d))
		return 27;
	atomic_store(&d.go, 1);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	if (d.bad)
		return 28;
	/* What is left can be read (or the peer is dead). */
	for (i = 0; i < 64; i++) {
		n = fipc_read(d.a.fd, FASTIPC_WR_NONBLOCK, r, 4);
		if (n < 0)
			break;
	}
	fipc_peer_close(&d.a);
	return 0;
}

/*
 * Last: a module without the fix may not survive it (list corruption,
 * soft lockup).
 */
FIXTURE(drace) {
	struct fipc_stats base;
};

FIXTURE_SETUP(drace)
{
	ASSERT_EQ(0, fipc_baseline(&self->base));
}

FIXTURE_TEARDOWN(drace)
{
}

TEST_F_TIMEOUT(drace, death_notices_racing_clear_death, 600)
{
	int round, status, ret;
	pid_t pid;

	for (round = 0; round < DR_ROUNDS; round++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			alarm(60);
			_exit(drace_round(round));
		}
		ret = fipc_wait_child(pid, 40000, &status);
		ASSERT_EQ(0, ret) TH_LOG("round %d did not finish (soft lockup?)",
					 round);
		ASSERT_TRUE(WIFEXITED(status)) TH_LOG("round %d: status %#x",
						      round, status);
		ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("round %d", round);
		FIPC_EXPECT_BASELINE(self->base, 5000);
	}
}

TEST_HARNESS_MAIN
