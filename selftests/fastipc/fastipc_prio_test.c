// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc: priority inheritance.  Handlers read their own scheduling state
 * while they serve (sched_getscheduler, sched_getparam, getpriority) and
 * send it back in the reply; the tests check what was lent and that every
 * path puts the serving thread back where it was.  Also call deadlines.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "fastipc_util.h"

#define AREA		FIPC_MIB
#define PARAM_INHERIT	"/sys/module/fastipc/parameters/inherit_priority"

/* What a thread's scheduling state looks like from userspace. */
struct pstate {
	int policy;	/* sched_getscheduler(): may carry RESET_ON_FORK */
	int rtprio;
	int nice;
};

static void pstate_of(pid_t tid, struct pstate *s)
{
	struct sched_param sp = { 0 };

	s->policy = sched_getscheduler(tid);
	sched_getparam(tid, &sp);
	s->rtprio = sp.sched_priority;
	errno = 0;
	s->nice = getpriority(PRIO_PROCESS, tid);
}

static void pstate_self(struct pstate *s)
{
	pstate_of(fipc_gettid(), s);
}

/* Make the calling thread SCHED_OTHER at @nice. */
static int set_other(int nice)
{
	struct sched_param sp = { 0 };

	if (sched_setscheduler(0, SCHED_OTHER, &sp))
		return -errno;
	return setpriority(PRIO_PROCESS, fipc_gettid(), nice) ? -errno : 0;
}

static int set_rt(int policy, int prio)
{
	struct sched_param sp = { .sched_priority = prio };

	return sched_setscheduler(0, policy, &sp) ? -errno : 0;
}

static int write_param(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/* Drop CAP_SYS_NICE from the calling thread (capabilities are per thread). */
static int drop_sys_nice(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[0].effective &= ~(1U << CAP_SYS_NICE);
	d[0].permitted &= ~(1U << CAP_SYS_NICE);
	d[0].inheritable &= ~(1U << CAP_SYS_NICE);
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* ---- an in-process server thread with its own open ----------------------- */

struct srv;
/* Return: 0 to reply with *st, 1 when the handler answered itself. */
typedef int (*srv_handler_t)(struct srv *s, const struct fastipc_ret *r,
			     struct pstate *st);

struct srv {
	struct fipc_peer p;
	__u32 node;
	pthread_t thr;
	pid_t tid;
	srv_handler_t handler;
	int setup_nice;		/* the thread's own nice value */
	bool drop_cap;		/* the thread drops CAP_SYS_NICE first */
	bool read_ahead;	/* reads with room for four records */
	int fail;
	long fail_val;
	unsigned int served;
	__u64 last_id;
	struct pstate seen[8];	/* state while serving, per transaction */
	struct pstate after;	/* state after the last answer went out */
	int gate[2];		/* the test lets a waiting handler go on */
	int note[2];		/* the handler tells the test where it is */
	__u32 next;		/* a handle of this peer, for nested calls */
	__u32 back;		/* another one, for recursion */
	void *ctx;
};

/*
 * The next record.  With read_ahead the read has room for four, as
 * libfastipc's loop reads more than one: the module then reads on past a
 * call without blocking (past the SPAWN_LOOPER advice that may follow
 * it).  The tests send one call at a time, so every other record can
 * only be such advice.
 */
static int srv_read(struct srv *s, struct fastipc_ret *r)
{
	struct fastipc_ret recs[4];
	int i, n, got = 0;

	if (!s->read_ahead)
		return fipc_read_one(s->p.fd, 0, r, NULL);
	n = fipc_read(s->p.fd, 0, recs, 4);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (recs[i].op == FASTIPC_RET_SPAWN_LOOPER)
			continue;
		if (got++)
			return -EIO;
		*r = recs[i];
	}
	if (!got)
		r->op = FASTIPC_RET_SPAWN_LOOPER;	/* advice only */
	return 0;
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	struct fastipc_ret r;
	struct pstate st;
	int ret;

	s->tid = fipc_gettid();
	if (set_other(s->setup_nice))
		FIPC_SFAIL(s, errno);
	if (s->drop_cap && drop_sys_nice())
		FIPC_SFAIL(s, errno);
	if (fipc_write1(s->p.fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_ENTER, 0, 0)))
		FIPC_SFAIL(s, 0);
	fipc_signal(s->note[1], 'R');
	for (;;) {
		ret = srv_read(s, &r);
		if (ret) {
			FIPC_SFAIL(s, ret);
			break;
		}
		if (r.op == FASTIPC_RET_SPAWN_LOOPER)
			continue;
		if (r.op != FASTIPC_RET_TRANSACTION) {
			FIPC_SFAIL(s, r.op);
			continue;
		}
		if (r.code == FIPC_CODE_QUIT) {
			fipc_release_ret(s->p.fd, &r);
			if (!(r.flags & FASTIPC_RET_ONEWAY))
				fipc_write1(s->p.fd, fipc_cmd_reply(r.txn_id, 0,
								    NULL, 0));
			break;
		}
		s->last_id = r.txn_id;
		pstate_self(&st);
		if (s->served < ARRAY_SIZE(s->seen))
			s->seen[s->served] = st;
		s->served++;
		ret = s->handler ? s->handler(s, &r, &st) : 0;
		fipc_release_ret(s->p.fd, &r);
		if (ret || (r.flags & FASTIPC_RET_ONEWAY)) {
			pstate_self(&s->after);
			fipc_signal(s->note[1], 'O');
			continue;
		}
		ret = fipc_write1(s->p.fd, fipc_cmd_reply(r.txn_id, 0, &st,
							  sizeof(st)));
		if (ret)
			FIPC_SFAIL(s, ret);
		pstate_self(&s->after);
	}
	fipc_write1(s->p.fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_EXIT, 0, 0));
	return NULL;
}

static int srv_start(struct srv *s, __u32 node_flags, __u32 min_policy,
		     int min_prio)
{
	struct fastipc_node_create nc;
	int ret;

	if (pipe2(s->gate, O_CLOEXEC) || pipe2(s->note, O_CLOEXEC))
		return -errno;
	ret = fipc_peer_open(&s->p, AREA);
	if (ret)
		return ret;
	memset(&nc, 0, sizeof(nc));
	nc.flags = node_flags;
	nc.min_policy = min_policy;
	nc.min_priority = min_prio;
	if (ioctl(s->p.fd, FASTIPC_IOC_NODE_CREATE, &nc))
		return -errno;
	s->node = nc.handle;
	if (pthread_create(&s->thr, NULL, srv_main, s))
		return -EAGAIN;
	return fipc_wait(s->note[0]) == 'R' ? 0 : -EIO;
}

/* Stop the thread with a one-way QUIT sent by @cfd through @h. */
static void srv_stop(struct srv *s, int cfd, __u32 h)
{
	fipc_send(cfd, h, FIPC_CODE_QUIT, NULL, 0);
	pthread_join(s->thr, NULL);
	fipc_peer_close(&s->p);
	close(s->gate[0]);
	close(s->gate[1]);
	close(s->note[0]);
	close(s->note[1]);
}

/* Call @h and return the server's state from the reply. */
static int call_state(int fd, __u32 h, struct pstate *st)
{
	struct fastipc_ret r;
	int ret = fipc_call(fd, h, 1, NULL, 0, &r);

	if (ret)
		return ret;
	if (r.op != FASTIPC_RET_REPLY)
		return -(int)(1000 + r.op);
	if (r.data_len != sizeof(*st))
		return -EBADMSG;
	memcpy(st, r.inline_data, sizeof(*st));
	return 0;
}

FIXTURE(prio) {
	struct fipc_peer c;	/* the test thread's peer */
	struct srv s;
	__u32 h;		/* c's handle to s's node */
	struct pstate mine;	/* the test thread's state, restored after */
	struct rlimit nice_lim, rt_lim;
};

FIXTURE_SETUP(prio)
{
	memset(&self->s, 0, sizeof(self->s));
	pstate_self(&self->mine);
	getrlimit(RLIMIT_NICE, &self->nice_lim);
	getrlimit(RLIMIT_RTPRIO, &self->rt_lim);
	ASSERT_EQ(0, fipc_peer_open(&self->c, AREA));
	self->h = 0;
}

FIXTURE_TEARDOWN(prio)
{
	struct sched_param sp = { .sched_priority = self->mine.rtprio };

	sched_setscheduler(0, self->mine.policy & ~SCHED_RESET_ON_FORK, &sp);
	setpriority(PRIO_PROCESS, fipc_gettid(), self->mine.nice);
	setrlimit(RLIMIT_NICE, &self->nice_lim);
	setrlimit(RLIMIT_RTPRIO, &self->rt_lim);
	write_param(PARAM_INHERIT, "1");
	if (self->s.thr) {
		set_other(0);
		srv_stop(&self->s, self->c.fd, self->h);
	}
	fipc_peer_close(&self->c);
	FIPC_EXPECT_ZERO();
	FIPC_EXPECT_STAT(0, "boosted");
}

/* Start the server, give the test's peer a handle to it. */
static int setup_srv(struct __test_metadata *_metadata,
		     FIXTURE_DATA(prio) *self, __u32 flags, __u32 min_policy,
		     int min_prio)
{
	int ret = srv_start(&self->s, flags, min_policy, min_prio);

	if (!ret)
		ret = fipc_share(self->s.p.fd, self->s.node, self->c.fd,
				 &self->h);
	return ret;
}

/* Most tests raise priorities: not in the unprivileged lane. */
#define REQUIRE_NICE() \
	FIPC_REQUIRE_CAP(CAP_SYS_NICE, "raises and lends priorities")

#define EXPECT_STATE(st, pol, rt, ni) do { \
	EXPECT_EQ((pol), (st).policy); \
	EXPECT_EQ((rt), (st).rtprio); \
	EXPECT_EQ((ni), (st).nice); \
} while (0)

TEST_F(prio, nice_is_lent_and_restored)
{
	struct pstate st, after;
	long boosts = fipc_stat("prio_boosts");
	long restores = fipc_stat("prio_restores");

	REQUIRE_NICE();
	ASSERT_EQ(0, setup_srv(_metadata, self, 0, 0, 0));
	ASSERT_EQ(0, fipc_wait_sleeping(self->s.tid));
	ASSERT_EQ(0, set_other(-5));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	EXPECT_STATE(st, SCHED_OTHER, 0, -5);
	/* Restored before the reply reached us. */
	pstate_of(self->s.tid, &after);
	EXPECT_STATE(after, SCHED_OTHER, 0, 0);
	FIPC_EXPECT_STAT(boosts + 1, "prio_boosts");
	FIPC_EXPECT_STAT(restores + 1, "prio_restores");
	FIPC_EXPECT_STAT(0, "boosted");

	/* A weaker caller never lowers the server. */
	ASSERT_EQ(0, set_other(7));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	EXPECT_STATE(st, SCHED_OTHER, 0, 0);
	FIPC_EXPECT_STAT(boosts + 1, "prio_boosts");
}

/*
 * A server that reads with room for more records took the call, found no
 * other one and was restored to its own nice before it ran the handler
 * (the module restored a boosted thread that found no work without asking
 * whether it still served a call).
 */
TEST_F(prio, nice_is_kept_while_the_read_goes_on_past_the_call)
{
	struct pstate st, after;

	REQUIRE_NICE();
	self->s.read_ahead = true;
	ASSERT_EQ(0, setup_srv(_metadata, self, 0, 0, 0));
	ASSERT_EQ(0, fipc_wait_sleeping(self->s.tid));
	ASSERT_EQ(0, set_other(-5));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	EXPECT_STATE(st, SCHED_OTHER, 0, -5);
	pstate_of(self->s.tid, &after);
	EXPECT_STATE(after, SCHED_OTHER, 0, 0);
	FIPC_EXPECT_STAT(0, "boosted");
}

TEST_F(prio, rt_is_lent_to_nodes_that_opt_in)
{
	struct pstate st, after;

	REQUIRE_NICE();
	ASSERT_EQ(0, setup_srv(_metadata, self, FASTIPC_NODE_INHERIT_RT, 0, 0));
	ASSERT_EQ(0, set_rt(SCHED_FIFO, 60));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	/* Lent real-time always carries reset-on-fork. */
	EXPECT_STATE(st, SCHED_FIFO | SCHED_RESET_ON_FORK, 60, 0);
	pstate_of(self->s.tid, &after);
	EXPECT_STATE(after, SCHED_OTHER, 0, 0);

	ASSERT_EQ(0, set_rt(SCHED_RR, 33));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	EXPECT_STATE(st, SCHED_RR | SCHED_RESET_ON_FORK, 33, 0);
	pstate_of(self->s.tid, &after);
	EXPECT_STATE(after, SCHED_OTHER, 0, 0);
}

TEST_F(prio, rt_caller_lends_nice_without_opt_in)
{
	struct pstate st;

	REQUIRE_NICE();
	ASSERT_EQ(0, setup_srv(_metadata, self, 0, 0, 0));
	ASSERT_EQ(0, set_rt(SCHED_FIFO, 60));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	EXPECT_STATE(st, SCHED_OTHER, 0, -20);
	pstate_of(self->s.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, 0);
}

TEST_F(prio, node_minimum_nice)
{
	struct pstate st;

	REQUIRE_NICE();
	ASSERT_EQ(0, setup_srv(_metadata, self, FASTIPC_NODE_MIN_PRIO,
			       SCHED_OTHER, -10));
	ASSERT_EQ(0, set_other(0));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	EXPECT_STATE(st, SCHED_OTHER, 0, -10);
	/* A stronger caller wins over the minimum. */
	ASSERT_EQ(0, set_other(-15));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	EXPECT_STATE(st, SCHED_OTHER, 0, -15);
	pstate_of(self->s.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, 0);
}

TEST_F(prio, node_minimum_rt_applies_to_oneway)
{
	struct pstate st;
	int ret;

	ret = setup_srv(_metadata, self, FASTIPC_NODE_MIN_PRIO, SCHED_FIFO, 10);
	if (!fipc_has_cap(CAP_SYS_NICE)) {
		/* A real-time minimum is refused without CAP_SYS_NICE. */
		EXPECT_EQ(-EPERM, ret);
		fipc_skipped_check("the minimum at work (needs CAP_SYS_NICE)");
		fipc_peer_close(&self->s.p);
		return;
	}
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, set_other(0));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	EXPECT_STATE(st, SCHED_FIFO | SCHED_RESET_ON_FORK, 10, 0);
	/* One-way messages get the node's minimum too... */
	ASSERT_EQ(0, fipc_send(self->c.fd, self->h, 2, NULL, 0));
	ASSERT_EQ('O', fipc_wait(self->s.note[0]));
	EXPECT_STATE(self->s.seen[1], SCHED_FIFO | SCHED_RESET_ON_FORK, 10, 0);
	/* ...and the thread is back to its own before it waits again. */
	ASSERT_EQ(0, fipc_wait_sleeping(self->s.tid));
	pstate_of(self->s.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, 0);
}

TEST_F(prio, oneway_does_not_inherit)
{
	long boosts = fipc_stat("prio_boosts");

	REQUIRE_NICE();
	ASSERT_EQ(0, setup_srv(_metadata, self, FASTIPC_NODE_INHERIT_RT, 0, 0));
	ASSERT_EQ(0, set_other(-12));
	ASSERT_EQ(0, fipc_send(self->c.fd, self->h, 2, NULL, 0));
	ASSERT_EQ('O', fipc_wait(self->s.note[0]));
	EXPECT_STATE(self->s.seen[0], SCHED_OTHER, 0, 0);
	FIPC_EXPECT_STAT(boosts, "prio_boosts");
}

TEST_F(prio, parameter_turns_inheritance_off)
{
	struct pstate st;

	REQUIRE_NICE();
	FIPC_REQUIRE_PARAMS();
	ASSERT_EQ(0, setup_srv(_metadata, self, FASTIPC_NODE_MIN_PRIO,
			       SCHED_OTHER, -3));
	ASSERT_EQ(0, write_param(PARAM_INHERIT, "0"));
	ASSERT_EQ(0, set_other(-9));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	/* Only the node's minimum remains. */
	EXPECT_STATE(st, SCHED_OTHER, 0, -3);
	ASSERT_EQ(0, write_param(PARAM_INHERIT, "1"));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	EXPECT_STATE(st, SCHED_OTHER, 0, -9);
}

/* ---- a busy server takes the call itself (lazy boost) -------------------- */

static int hold_first(struct srv *s, const struct fastipc_ret *r,
		      struct pstate *st)
{
	if (s->served == 1) {
		fipc_signal(s->note[1], 'H');
		fipc_wait(s->gate[0]);
	}
	return 0;
}

struct bg_call {
	int fd;
	__u32 h;
	int nice;
	int ret;
	struct pstate st;
};

static void *bg_call_main(void *arg)
{
	struct bg_call *b = arg;

	b->ret = set_other(b->nice);
	if (!b->ret)
		b->ret = call_state(b->fd, b->h, &b->st);
	return NULL;
}

TEST_F(prio, busy_server_raises_itself_when_it_takes_the_call)
{
	struct bg_call first = { .nice = 0 };
	struct fastipc_ret r;
	struct pstate st;
	pthread_t t;

	REQUIRE_NICE();
	self->s.handler = hold_first;
	ASSERT_EQ(0, setup_srv(_metadata, self, 0, 0, 0));
	first.fd = self->c.fd;
	first.h = self->h;
	/* A second thread of the same peer makes the first call... */
	ASSERT_EQ(0, pthread_create(&t, NULL, bg_call_main, &first));
	ASSERT_EQ('H', fipc_wait(self->s.note[0]));
	/* ...so this one queues while the only server thread is busy. */
	ASSERT_EQ(0, set_other(-8));
	ASSERT_EQ(0, fipc_write1(self->c.fd, fipc_cmd_call(self->h, 1, NULL,
							    0)));
	ASSERT_EQ(0, fipc_signal(self->s.gate[1], 'G'));
	pthread_join(t, NULL);
	EXPECT_EQ(0, first.ret);
	EXPECT_STATE(first.st, SCHED_OTHER, 0, 0);
	ASSERT_EQ(0, fipc_read_one(self->c.fd, 0, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	memcpy(&st, r.inline_data, sizeof(st));
	EXPECT_STATE(st, SCHED_OTHER, 0, -8);
	pstate_of(self->s.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, 0);
}

/* ---- nested chains and recursion ---------------------------------------- */

/* B: call on to C (s->next) and answer with C's state then B's own. */
static int chain_b(struct srv *s, const struct fastipc_ret *r,
		   struct pstate *st)
{
	struct pstate both[2];
	struct fastipc_ret rr;
	int ret;

	ret = fipc_call(s->p.fd, s->next, 1, NULL, 0, &rr);
	if (ret || rr.op != FASTIPC_RET_REPLY) {
		FIPC_SFAIL(s, ret ? ret : (int)rr.op);
		return 0;
	}
	memcpy(&both[0], rr.inline_data, sizeof(both[0]));
	pstate_self(&both[1]);	/* B after C answered: still lent */
	ret = fipc_write1(s->p.fd, fipc_cmd_reply(r->txn_id, 0, both,
						  sizeof(both)));
	if (ret)
		FIPC_SFAIL(s, ret);
	return 1;
}

TEST_F(prio, chain_a_b_c_runs_at_a_priority)
{
	struct srv c_srv;
	struct pstate both[2], st;
	struct fastipc_ret r;

	REQUIRE_NICE();
	memset(&c_srv, 0, sizeof(c_srv));
	self->s.handler = chain_b;
	self->s.setup_nice = 3;
	c_srv.setup_nice = 5;
	ASSERT_EQ(0, setup_srv(_metadata, self, FASTIPC_NODE_INHERIT_RT, 0, 0));
	ASSERT_EQ(0, srv_start(&c_srv, FASTIPC_NODE_INHERIT_RT, 0, 0));
	ASSERT_EQ(0, fipc_share(c_srv.p.fd, c_srv.node, self->s.p.fd,
				&self->s.next));

	ASSERT_EQ(0, set_rt(SCHED_FIFO, 60));
	ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 1, NULL, 0, &r));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	ASSERT_EQ(sizeof(both), r.data_len);
	memcpy(both, r.inline_data, sizeof(both));
	/* A real-time thread keeps its nice value, unused until it is back. */
	EXPECT_STATE(both[0], SCHED_FIFO | SCHED_RESET_ON_FORK, 60, 5);
	EXPECT_STATE(both[1], SCHED_FIFO | SCHED_RESET_ON_FORK, 60, 3);
	/* Each level went back to its own state. */
	pstate_of(self->s.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, 3);
	pstate_of(c_srv.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, 5);
	EXPECT_EQ(0, self->s.fail);
	EXPECT_EQ(0, c_srv.fail);
	set_other(0);
	srv_stop(&c_srv, self->s.p.fd, self->s.next);
}

/* B calls back into A (s->back): A's blocked thread serves it. */
static int recurse_b(struct srv *s, const struct fastipc_ret *r,
		     struct pstate *st)
{
	struct fastipc_ret rr;
	int ret;

	ret = fipc_call(s->p.fd, s->back, 7, NULL, 0, &rr);
	if (ret || rr.op != FASTIPC_RET_REPLY)
		FIPC_SFAIL(s, ret ? ret : (int)rr.op);
	else if (rr.txn_id != r->txn_id)
		FIPC_SFAIL(s, rr.txn_id);
	return 0;
}

TEST_F(prio, recursion_into_the_blocked_caller_keeps_its_priority)
{
	struct fastipc_cmd c = fipc_cmd_call(0, 1, NULL, 0);
	struct fastipc_ret r;
	struct pstate in_a, st;
	__u32 a_node;

	REQUIRE_NICE();
	self->s.handler = recurse_b;
	ASSERT_EQ(0, setup_srv(_metadata, self, FASTIPC_NODE_INHERIT_RT, 0, 0));
	ASSERT_EQ(0, fipc_node_create(self->c.fd, FASTIPC_NODE_INHERIT_RT, 0xa,
				      &a_node));
	ASSERT_EQ(0, fipc_share(self->c.fd, a_node, self->s.p.fd,
				&self->s.back));
	ASSERT_EQ(0, set_rt(SCHED_FIFO, 60));
	c.handle = self->h;
	ASSERT_EQ(0, fipc_transact(self->c.fd, &c, 1, &r));
	/* The nested call comes back to this very thread. */
	ASSERT_EQ(FASTIPC_RET_TRANSACTION, r.op);
	EXPECT_EQ(7, r.code);
	pstate_self(&in_a);
	EXPECT_STATE(in_a, SCHED_FIFO, 60, 0);
	ASSERT_EQ(0, fipc_write1(self->c.fd, fipc_cmd_reply(r.txn_id, 0,
							    NULL, 0)));
	pstate_self(&st);
	EXPECT_STATE(st, SCHED_FIFO, 60, 0);
	ASSERT_EQ(0, fipc_read_one(self->c.fd, 0, &r, NULL));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_EQ(0, self->s.fail);
	pstate_self(&st);
	EXPECT_STATE(st, SCHED_FIFO, 60, 0);
	pstate_of(self->s.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, 0);
}

/* ---- restore on the other paths ------------------------------------------ */

/* Tell the test we serve, wait until it lets us answer. */
static int hold(struct srv *s, const struct fastipc_ret *r, struct pstate *st)
{
	fipc_signal(s->note[1], 'H');
	fipc_wait(s->gate[0]);
	return 0;
}

static int hold_then_error(struct srv *s, const struct fastipc_ret *r,
			   struct pstate *st)
{
	int ret = fipc_write1(s->p.fd, fipc_cmd_reply_error(r->txn_id,
							    EACCES));

	if (ret)
		FIPC_SFAIL(s, ret);
	return 1;
}

TEST_F(prio, restored_after_reply_error)
{
	struct fastipc_ret r;
	struct pstate st;

	REQUIRE_NICE();
	self->s.handler = hold_then_error;
	ASSERT_EQ(0, setup_srv(_metadata, self, 0, 0, 0));
	ASSERT_EQ(0, set_other(-6));
	ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 1, NULL, 0, &r));
	ASSERT_EQ(FASTIPC_RET_FAILED_REPLY, r.op);
	EXPECT_EQ(EACCES, r.code);
	EXPECT_STATE(self->s.seen[0], SCHED_OTHER, 0, -6);
	pstate_of(self->s.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, 0);
}

TEST_F(prio, restored_after_the_caller_is_killed)
{
	struct pstate st;
	int efd, status;
	pid_t pid;

	REQUIRE_NICE();
	self->s.handler = hold;
	ASSERT_EQ(0, setup_srv(_metadata, self, 0, 0, 0));
	efd = fipc_export(self->s.p.fd, self->s.node);
	ASSERT_LE(0, efd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct fastipc_ret r;
		int fd = fipc_open();
		__u32 h;

		if (fd < 0 || fipc_import(fd, efd, &h) || set_other(-7))
			_exit(1);
		fipc_call(fd, h, 1, NULL, 0, &r);
		_exit(2);
	}
	close(efd);
	ASSERT_EQ('H', fipc_wait(self->s.note[0]));
	EXPECT_STATE(self->s.seen[0], SCHED_OTHER, 0, -7);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	/* Still serving for a dead caller: still lent... */
	pstate_of(self->s.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, -7);
	/* ...until the (dropped) answer. */
	ASSERT_EQ(0, fipc_signal(self->s.gate[1], 'G'));
	ASSERT_EQ(0, fipc_wait_sleeping(self->s.tid));
	EXPECT_STATE(self->s.after, SCHED_OTHER, 0, 0);
	EXPECT_EQ(0, self->s.fail);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

TEST_F(prio, deadline_ends_the_call_and_the_late_reply_is_dropped)
{
	struct fastipc_cmd c;
	struct fastipc_ret r;
	struct pstate st;
	long timeouts = fipc_stat("timeouts");
	__u64 t0;

	REQUIRE_NICE();
	self->s.handler = hold;
	ASSERT_EQ(0, setup_srv(_metadata, self, 0, 0, 0));
	ASSERT_EQ(0, set_other(-6));
	c = fipc_cmd_call(self->h, 1, NULL, 0);
	c.flags = FASTIPC_TXN_DEADLINE;
	t0 = now_ns();
	c.arg = t0 + 100 * 1000000ULL;
	ASSERT_EQ(0, fipc_transact(self->c.fd, &c, 1, &r));
	EXPECT_LE(t0 + 100 * 1000000ULL, now_ns());
	ASSERT_EQ(FASTIPC_RET_FAILED_REPLY, r.op);
	EXPECT_EQ(ETIMEDOUT, r.code);
	EXPECT_EQ(FASTIPC_REASON_TIMED_OUT, r.reason);
	ASSERT_EQ('H', fipc_wait(self->s.note[0]));
	EXPECT_EQ(self->s.last_id, r.txn_id);
	FIPC_EXPECT_STAT(timeouts + 1, "timeouts");
	/*
	 * The server still works on it, for nobody: no longer at the
	 * priority the call lent (given back when the caller gave up).
	 */
	pstate_of(self->s.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, 0);
	ASSERT_EQ(0, fipc_signal(self->s.gate[1], 'G'));
	ASSERT_EQ(0, fipc_wait_sleeping(self->s.tid));
	EXPECT_STATE(self->s.after, SCHED_OTHER, 0, 0);
	EXPECT_EQ(0, self->s.fail);

	/* Nothing stale is left for the caller: the next call is its own. */
	self->s.handler = NULL;
	ASSERT_EQ(0, set_other(-2));
	c.arg = now_ns() + 60ULL * 1000000000ULL;
	ASSERT_EQ(0, fipc_transact(self->c.fd, &c, 1, &r));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_EQ(self->s.last_id, r.txn_id);
	memcpy(&st, r.inline_data, sizeof(st));
	EXPECT_STATE(st, SCHED_OTHER, 0, -2);
	ASSERT_EQ(-EAGAIN, fipc_read(self->c.fd, FASTIPC_WR_NONBLOCK, &r, 1));
}

TEST_F(prio, deadline_already_passed)
{
	struct fastipc_cmd c;
	struct fastipc_ret r;

	self->s.handler = hold;
	ASSERT_EQ(0, setup_srv(_metadata, self, 0, 0, 0));
	c = fipc_cmd_call(self->h, 1, NULL, 0);
	c.flags = FASTIPC_TXN_DEADLINE;
	c.arg = 1;
	ASSERT_EQ(0, fipc_transact(self->c.fd, &c, 1, &r));
	ASSERT_EQ(FASTIPC_RET_FAILED_REPLY, r.op);
	EXPECT_EQ(ETIMEDOUT, r.code);
	ASSERT_EQ('H', fipc_wait(self->s.note[0]));
	ASSERT_EQ(0, fipc_signal(self->s.gate[1], 'G'));
	/* Time zero has passed too; the largest value is far away. */
	c.arg = 0;
	ASSERT_EQ(0, fipc_transact(self->c.fd, &c, 1, &r));
	ASSERT_EQ(FASTIPC_RET_FAILED_REPLY, r.op);
	EXPECT_EQ(ETIMEDOUT, r.code);
	ASSERT_EQ('H', fipc_wait(self->s.note[0]));
	ASSERT_EQ(0, fipc_signal(self->s.gate[1], 'G'));
	self->s.handler = NULL;
	c.arg = ~0ULL;
	ASSERT_EQ(0, fipc_transact(self->c.fd, &c, 1, &r));
	EXPECT_EQ(FASTIPC_RET_REPLY, r.op);
}

static int change_self(struct srv *s, const struct fastipc_ret *r,
		       struct pstate *st)
{
	if (r->code == 3 && setpriority(PRIO_PROCESS, fipc_gettid(), -3))
		FIPC_SFAIL(s, errno);
	if (r->code == 2 && set_other(2))
		FIPC_SFAIL(s, errno);
	return 0;
}

TEST_F(prio, explicit_change_while_lent_is_kept)
{
	struct fastipc_ret r;
	struct pstate st;
	long kept = fipc_stat("prio_kept");

	REQUIRE_NICE();
	self->s.handler = change_self;
	ASSERT_EQ(0, setup_srv(_metadata, self, FASTIPC_NODE_INHERIT_RT, 0, 0));
	ASSERT_EQ(0, set_other(-5));
	ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 3, NULL, 0, &r));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	EXPECT_STATE(self->s.seen[0], SCHED_OTHER, 0, -5);
	pstate_of(self->s.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, -3);
	FIPC_EXPECT_STAT(kept + 1, "prio_kept");

	/* The kept value is the new base: lent over, then back to it. */
	ASSERT_EQ(0, set_other(-10));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	EXPECT_STATE(st, SCHED_OTHER, 0, -10);
	pstate_of(self->s.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, -3);

	/* Real-time lent, the handler goes back to SCHED_OTHER 2 itself. */
	ASSERT_EQ(0, set_rt(SCHED_FIFO, 20));
	ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 2, NULL, 0, &r));
	EXPECT_STATE(self->s.seen[2], SCHED_FIFO | SCHED_RESET_ON_FORK, 20, -3);
	pstate_of(self->s.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, 2);
	FIPC_EXPECT_STAT(kept + 2, "prio_kept");
}

TEST_F(prio, rlimits_cap_what_is_lent)
{
	struct rlimit nice30 = { 30, 30 }, rt20 = { 20, 20 }, zero = { 0, 0 };
	struct pstate st;

	REQUIRE_NICE();
	/* Limits are per process: the test thread keeps CAP_SYS_NICE. */
	ASSERT_EQ(0, setrlimit(RLIMIT_NICE, &nice30));	/* down to -10 */
	ASSERT_EQ(0, setrlimit(RLIMIT_RTPRIO, &rt20));
	self->s.drop_cap = true;
	ASSERT_EQ(0, setup_srv(_metadata, self, FASTIPC_NODE_INHERIT_RT, 0, 0));
	ASSERT_EQ(0, self->s.fail);

	ASSERT_EQ(0, set_other(-20));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	EXPECT_STATE(st, SCHED_OTHER, 0, -10);
	ASSERT_EQ(0, set_rt(SCHED_FIFO, 60));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	EXPECT_STATE(st, SCHED_FIFO | SCHED_RESET_ON_FORK, 20, 0);
	/* No real-time allowance at all: the strongest nice it may have. */
	ASSERT_EQ(0, setrlimit(RLIMIT_RTPRIO, &zero));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	EXPECT_STATE(st, SCHED_OTHER, 0, -10);
	pstate_of(self->s.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, 0);
}

/* Fork inside the handler: the child reports its own state. */
static int fork_inside(struct srv *s, const struct fastipc_ret *r,
		       struct pstate *st)
{
	struct pstate both[2];
	int pfd[2], status;
	pid_t pid;

	both[0] = *st;
	memset(&both[1], 0xff, sizeof(both[1]));
	if (pipe2(pfd, O_CLOEXEC))
		return 0;
	pid = fork();
	if (!pid) {
		struct pstate cs;

		pstate_self(&cs);
		if (write(pfd[1], &cs, sizeof(cs)) != sizeof(cs))
			_exit(1);
		_exit(0);
	}
	if (pid > 0) {
		if (read(pfd[0], &both[1], sizeof(both[1])) != sizeof(both[1]))
			FIPC_SFAIL(s, errno);
		waitpid(pid, &status, 0);
	}
	close(pfd[0]);
	close(pfd[1]);
	if (fipc_write1(s->p.fd, fipc_cmd_reply(r->txn_id, 0, both,
						sizeof(both))))
		FIPC_SFAIL(s, 0);
	return 1;
}

TEST_F(prio, fork_inside_the_handler_does_not_leak_rt)
{
	struct pstate both[2];
	struct fastipc_ret r;

	REQUIRE_NICE();
	self->s.handler = fork_inside;
	ASSERT_EQ(0, setup_srv(_metadata, self, FASTIPC_NODE_INHERIT_RT, 0, 0));
	ASSERT_EQ(0, set_rt(SCHED_FIFO, 45));
	ASSERT_EQ(0, fipc_call(self->c.fd, self->h, 1, NULL, 0, &r));
	ASSERT_EQ(FASTIPC_RET_REPLY, r.op);
	memcpy(both, r.inline_data, sizeof(both));
	EXPECT_STATE(both[0], SCHED_FIFO | SCHED_RESET_ON_FORK, 45, 0);
	EXPECT_STATE(both[1], SCHED_OTHER, 0, 0);
}

/* Leave the looper while serving: restored, the call answered by ID. */
static int exit_looper(struct srv *s, const struct fastipc_ret *r,
		       struct pstate *st)
{
	struct pstate out;

	if (fipc_write1(s->p.fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_EXIT, 0, 0)))
		FIPC_SFAIL(s, 0);
	pstate_self(&out);
	/* A new thread entry answers by ID (any thread may). */
	if (fipc_write1(s->p.fd, fipc_cmd_reply(r->txn_id, 0, &out,
						sizeof(out))))
		FIPC_SFAIL(s, 0);
	fipc_write1(s->p.fd, fipc_cmd_op(FASTIPC_CMD_LOOPER_ENTER, 0, 0));
	return 1;
}

TEST_F(prio, restored_when_the_thread_leaves_the_looper)
{
	struct pstate st;

	REQUIRE_NICE();
	self->s.handler = exit_looper;
	ASSERT_EQ(0, setup_srv(_metadata, self, 0, 0, 0));
	ASSERT_EQ(0, set_other(-4));
	ASSERT_EQ(0, call_state(self->c.fd, self->h, &st));
	EXPECT_STATE(self->s.seen[0], SCHED_OTHER, 0, -4);
	EXPECT_STATE(st, SCHED_OTHER, 0, 0);
	EXPECT_EQ(0, self->s.fail);
}

TEST_F(prio, restored_when_the_server_file_is_released)
{
	struct fastipc_ret r;
	struct pstate st;
	int fd;

	REQUIRE_NICE();
	self->s.handler = hold;
	ASSERT_EQ(0, setup_srv(_metadata, self, 0, 0, 0));
	ASSERT_EQ(0, set_other(-9));
	ASSERT_EQ(0, fipc_write1(self->c.fd, fipc_cmd_call(self->h, 1, NULL,
							    0)));
	ASSERT_EQ('H', fipc_wait(self->s.note[0]));
	EXPECT_STATE(self->s.seen[0], SCHED_OTHER, 0, -9);
	/* Close the server's only fd while its thread is in the handler. */
	fd = self->s.p.fd;
	munmap(self->s.p.area, self->s.p.size);
	self->s.p.area = NULL;
	ASSERT_EQ(0, close(fd));
	pstate_of(self->s.tid, &st);
	EXPECT_STATE(st, SCHED_OTHER, 0, 0);
	/* The call ends as the server's death. */
	ASSERT_EQ(0, fipc_read_one(self->c.fd, 0, &r, NULL));
	EXPECT_EQ(FASTIPC_RET_DEAD_REPLY, r.op);
	/* Let the thread go: its next ioctl fails on the closed fd. */
	self->s.p.fd = -1;
	ASSERT_EQ(0, fipc_signal(self->s.gate[1], 'G'));
	pthread_join(self->s.thr, NULL);
	self->s.thr = 0;
	close(self->s.gate[0]);
	close(self->s.gate[1]);
	close(self->s.note[0]);
	close(self->s.note[1]);
}

TEST_HARNESS_MAIN
