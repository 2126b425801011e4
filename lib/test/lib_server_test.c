// SPDX-License-Identifier: GPL-2.0
/*
 * libfastipc: the server side: thread-pool growth under concurrent
 * clients and its limit, stopping the loop, epoll-mode dispatch, death,
 * node-released and signal callbacks, threads leaving the peer when they exit, and no
 * descriptor, memory or kernel object leak over a thousand open/close
 * cycles.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <sys/epoll.h>

#include "lib_test.h"

/* ---- thread pool -------------------------------------------------------- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int inside;
	int max_inside;
	bool open;
	struct lt_event entered;
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, false,
	   LT_EVENT_INIT };

/* Block until the gate opens (at most 20 s): forces the pool to grow. */
static int gate_handler(struct fastipc_txn *txn, void *cookie)
{
	struct fastipc_msg m = { .code = txn->code + 1 };
	struct timespec ts;
	int ret = 0;

	pthread_mutex_lock(&gate.lock);
	gate.inside++;
	if (gate.inside > gate.max_inside)
		gate.max_inside = gate.inside;
	pthread_mutex_unlock(&gate.lock);
	lt_event_add(&gate.entered, 1);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 20;
	pthread_mutex_lock(&gate.lock);
	while (!gate.open && !ret)
		ret = pthread_cond_timedwait(&gate.cond, &gate.lock, &ts);
	gate.inside--;
	pthread_mutex_unlock(&gate.lock);
	if (ret)
		return -ETIMEDOUT;
	return fastipc_reply(txn, &m);
}

static void gate_open(void)
{
	pthread_mutex_lock(&gate.lock);
	gate.open = true;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
}

struct caller {
	struct fastipc_peer *p;
	uint32_t h;
	uint64_t code;
	int ret;
	uint64_t got;
	pthread_t t;
};

static void *caller_main(void *arg)
{
	struct caller *c = arg;
	struct fastipc_msg m = { .code = c->code };
	struct fastipc_reply r;

	c->ret = fastipc_call(c->p, c->h, &m, &r);
	c->got = r.code;
	return NULL;
}

/*
 * Return: the largest "loopers" value of this process' peers in debugfs
 * state (the client's peer has none).
 */
static long state_loopers(pid_t pid)
{
	char line[512], *p;
	long val = -1;
	int lpid;
	FILE *f;

	f = fopen(FIPC_DEBUGFS "/fastipc/state", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "peer pid %d", &lpid) != 1 || lpid != pid)
			continue;
		p = strstr(line, " loopers ");
		if (p && strtol(p + 9, NULL, 10) > val)
			val = strtol(p + 9, NULL, 10);
	}
	fclose(f);
	return val;
}

static void pool_run(struct __test_metadata *_metadata, unsigned int max,
		     unsigned int clients)
{
	unsigned int want = clients < max ? clients : max, i;
	struct caller c[8];
	struct lt_server s;
	struct fastipc_peer *cp;
	uint32_t h;

	gate.open = false;
	gate.inside = 0;
	gate.max_inside = 0;
	gate.entered.count = 0;
	ASSERT_EQ(0, lt_server_start(&s, max, gate_handler, NULL, 0, true));
	ASSERT_EQ(0, fastipc_peer_open(&cp, NULL));
	ASSERT_EQ(0, lt_share(s.p, s.node, cp, &h));
	for (i = 0; i < clients; i++) {
		c[i] = (struct caller){ .p = cp, .h = h, .code = 100 + i };
		ASSERT_EQ(0, pthread_create(&c[i].t, NULL, caller_main, &c[i]));
	}
	/* Every handler blocks: only new threads can take the next calls. */
	ASSERT_EQ(0, lt_event_wait(&gate.entered, want, 20));
	/* One more may have started for the next call, never over max. */
	EXPECT_LE(want, fastipc_loop_threads(s.p));
	EXPECT_GE(max, fastipc_loop_threads(s.p));
	if (fipc_debugfs_ok()) {
		EXPECT_LE(want, state_loopers(getpid()));
		EXPECT_GE(max, state_loopers(getpid()));
	}
	pthread_mutex_lock(&gate.lock);
	EXPECT_EQ(want, gate.inside);
	pthread_mutex_unlock(&gate.lock);
	gate_open();
	for (i = 0; i < clients; i++) {
		pthread_join(c[i].t, NULL);
		EXPECT_EQ(0, c[i].ret);
		EXPECT_EQ(101 + i, c[i].got);
	}
	/* Never more than the limit at once. */
	EXPECT_EQ(want, gate.max_inside);
	EXPECT_GE(max, fastipc_loop_threads(s.p));
	fastipc_peer_close(cp);
	lt_server_stop(&s);
	FIPC_EXPECT_ZERO();
}

TEST(pool_grows_with_concurrent_clients)
{
	pool_run(_metadata, 8, 4);
}

TEST(pool_stops_at_max_threads)
{
	pool_run(_metadata, 2, 5);
}

/* ---- stopping the loop --------------------------------------------------- */

static int stop_handler(struct fastipc_txn *txn, void *cookie)
{
	if (txn->code == 1)
		return fastipc_loop_stop(txn->peer);
	return 0;
}

TEST(loop_stop)
{
	struct lt_server s;
	struct fastipc_peer *cp;
	struct fastipc_reply r;
	struct fastipc_msg m = { .code = 1 };
	uint32_t h;

	ASSERT_EQ(0, lt_server_start(&s, 2, stop_handler, NULL, 0, false));
	/* A stop before the loop runs makes it return at once. */
	EXPECT_EQ(0, fastipc_loop_stop(s.p));
	EXPECT_EQ(0, fastipc_loop(s.p));
	EXPECT_EQ(0, fastipc_loop_threads(s.p));
	EXPECT_EQ(-EINVAL, fastipc_loop(NULL));
	EXPECT_EQ(-EINVAL, fastipc_loop_stop(NULL));
	EXPECT_EQ(0, fastipc_loop_threads(NULL));

	/* A handler stops it; the call is still answered. */
	ASSERT_EQ(0, pthread_create(&s.thr, NULL, lt_loop_main, &s));
	s.running = true;
	ASSERT_EQ(0, fastipc_peer_open(&cp, NULL));
	ASSERT_EQ(0, lt_share(s.p, s.node, cp, &h));
	ASSERT_EQ(0, fastipc_call(cp, h, &m, &r));
	pthread_join(s.thr, NULL);
	s.running = false;
	EXPECT_EQ(0, s.loop_ret);
	/* Started threads leave on their own, soon. */
	EXPECT_EQ(0, lt_wait_loop_threads(s.p, 0));
	/* And it runs again. */
	ASSERT_EQ(0, pthread_create(&s.thr, NULL, lt_loop_main, &s));
	s.running = true;
	m.code = 2;
	EXPECT_EQ(0, fastipc_call(cp, h, &m, &r));
	fastipc_peer_close(cp);
	lt_server_stop(&s);
	EXPECT_EQ(0, s.loop_ret);
	FIPC_EXPECT_ZERO();
}

/* A pool of one thread serves many calls in a row, never grows, stops. */
TEST(single_looper)
{
	struct lt_server s;
	struct fastipc_peer *cp;
	struct fastipc_reply r;
	struct fastipc_msg m = { 0 };
	uint32_t h;
	int i;

	ASSERT_EQ(0, lt_server_start(&s, 1, stop_handler, NULL, 0, true));
	ASSERT_EQ(0, fastipc_peer_open(&cp, NULL));
	ASSERT_EQ(0, lt_share(s.p, s.node, cp, &h));
	for (i = 0; i < 200; i++) {
		m.code = 10 + i;
		ASSERT_EQ(0, fastipc_call(cp, h, &m, &r));
		EXPECT_EQ(0, r.len);
	}
	/* Never a second thread. */
	EXPECT_EQ(1, fastipc_loop_threads(s.p));
	if (fipc_debugfs_ok())
		EXPECT_EQ(1, state_loopers(getpid()));
	m.code = 1;	/* the handler stops the loop */
	ASSERT_EQ(0, fastipc_call(cp, h, &m, &r));
	pthread_join(s.thr, NULL);
	s.running = false;
	EXPECT_EQ(0, s.loop_ret);
	EXPECT_EQ(0, fastipc_loop_threads(s.p));
	fastipc_peer_close(cp);
	lt_server_stop(&s);
	FIPC_EXPECT_ZERO();
}

/* Closing a peer stops its pool and waits for it. */
TEST(close_stops_pool)
{
	struct lt_server s;
	struct fastipc_peer *cp;
	struct fastipc_reply r;
	uint32_t h;

	ASSERT_EQ(0, lt_server_start(&s, 4, stop_handler, NULL, 0, true));
	ASSERT_EQ(0, fastipc_peer_open(&cp, NULL));
	ASSERT_EQ(0, lt_share(s.p, s.node, cp, &h));
	ASSERT_EQ(0, fastipc_call(cp, h, NULL, &r));
	fastipc_loop_stop(s.p);
	pthread_join(s.thr, NULL);
	s.running = false;
	fastipc_peer_close(cp);
	lt_server_stop(&s);
	FIPC_EXPECT_ZERO();
}

/* ---- single-threaded: epoll and dispatch --------------------------------- */

static struct {
	int served;
	uint64_t code;
	uint64_t id;
} disp;

static int disp_handler(struct fastipc_txn *txn, void *cookie)
{
	struct iovec iov = { "pong", 4 };
	struct fastipc_msg m = { .code = txn->code * 2, .iov = &iov,
				 .iov_count = 1 };

	disp.served++;
	disp.code = txn->code;
	disp.id = txn->id;
	if (txn->flags & FASTIPC_RET_ONEWAY)
		return 0;
	return fastipc_reply(txn, &m);
}

TEST(dispatch_nonblocking)
{
	struct lt_server s;
	struct fastipc_peer *cp;
	struct fastipc_msg m = { .code = 5 };
	uint32_t h;

	ASSERT_EQ(0, lt_server_start(&s, 1, disp_handler, NULL, 0, false));
	ASSERT_EQ(0, fastipc_peer_open(&cp, NULL));
	ASSERT_EQ(0, lt_share(s.p, s.node, cp, &h));
	disp.served = 0;
	EXPECT_EQ(-EAGAIN, fastipc_dispatch(s.p, 0));
	EXPECT_EQ(-EINVAL, fastipc_dispatch(s.p, 2));
	EXPECT_EQ(-EINVAL, fastipc_dispatch(NULL, 0));
	ASSERT_EQ(0, fastipc_send(cp, h, &m));
	ASSERT_EQ(0, fastipc_send(cp, h, &m));
	EXPECT_EQ(1, fastipc_dispatch(s.p, 0));
	EXPECT_EQ(1, fastipc_dispatch(s.p, FASTIPC_DISPATCH_WAIT));
	EXPECT_EQ(2, disp.served);
	EXPECT_EQ(5, disp.code);
	EXPECT_EQ(-EAGAIN, fastipc_dispatch(s.p, 0));
	fastipc_peer_close(cp);
	lt_server_stop(&s);
	FIPC_EXPECT_ZERO();
}

TEST(epoll_dispatch)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct lt_server s;
	struct fastipc_peer *cp;
	struct caller c;
	struct fastipc_msg m = { .code = 7 };
	uint32_t h;
	int ep, n;

	ASSERT_EQ(0, lt_server_start(&s, 1, disp_handler, NULL, 0, false));
	if (!(fastipc_peer_features(s.p) & FASTIPC_FEAT_POLL)) {
		lt_server_stop(&s);
		SKIP(return, "module without FASTIPC_FEAT_POLL");
	}
	ASSERT_EQ(0, fastipc_peer_open(&cp, NULL));
	ASSERT_EQ(0, lt_share(s.p, s.node, cp, &h));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fastipc_peer_fd(s.p), &ev));
	disp.served = 0;
	/* Nothing to read yet. */
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));

	ASSERT_EQ(0, fastipc_send(cp, h, &m));
	n = epoll_wait(ep, &out, 1, 20000);
	ASSERT_EQ(1, n);
	EXPECT_TRUE(out.events & EPOLLIN);
	EXPECT_EQ(1, fastipc_dispatch(s.p, 0));
	EXPECT_EQ(1, disp.served);
	EXPECT_EQ(-EAGAIN, fastipc_dispatch(s.p, 0));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));

	/* A call served from the event loop. */
	c = (struct caller){ .p = cp, .h = h, .code = 21 };
	ASSERT_EQ(0, pthread_create(&c.t, NULL, caller_main, &c));
	n = epoll_wait(ep, &out, 1, 20000);
	ASSERT_EQ(1, n);
	EXPECT_EQ(1, fastipc_dispatch(s.p, 0));
	pthread_join(c.t, NULL);
	EXPECT_EQ(0, c.ret);
	EXPECT_EQ(42, c.got);
	EXPECT_EQ(21, disp.code);
	close(ep);
	fastipc_peer_close(cp);
	lt_server_stop(&s);
	FIPC_EXPECT_ZERO();
}

/* ---- death and node-released callbacks ----------------------------------- */

static struct {
	int calls;
	uint32_t handle;
	void *arg;
	struct lt_event ev;
} death = { .ev = LT_EVENT_INIT };

static void on_death(struct fastipc_peer *p, uint32_t h, void *arg)
{
	death.calls++;
	death.handle = h;
	death.arg = arg;
	/* The handle is still ours to release. */
	if (fastipc_handle_release(p, h))
		death.calls += 1000;
	lt_event_add(&death.ev, 1);
}

TEST(death_callback)
{
	struct fastipc_peer *a, *b;
	uint32_t hb, ha, ha2;
	uint64_t id = 0, id2;

	ASSERT_EQ(0, fastipc_peer_open(&a, NULL));
	ASSERT_EQ(0, fastipc_peer_open(&b, NULL));
	ASSERT_EQ(0, fastipc_node_create(b, disp_handler, NULL, NULL, &hb));
	ASSERT_EQ(0, lt_share(b, hb, a, &ha));
	ASSERT_EQ(0, fastipc_node_create(b, disp_handler, NULL, NULL, &hb));
	ASSERT_EQ(0, lt_share(b, hb, a, &ha2));
	death.calls = 0;

	EXPECT_EQ(-EINVAL, fastipc_death_watch(a, ha, NULL, NULL, &id));
	EXPECT_EQ(-EINVAL, fastipc_death_watch(NULL, ha, on_death, NULL, &id));
	EXPECT_EQ(-ENOENT, fastipc_death_watch(a, 77, on_death, NULL, &id));
	EXPECT_EQ(0, id);
	ASSERT_EQ(0, fastipc_death_watch(a, ha, on_death, (void *)0xdead, &id));
	EXPECT_NE(0, id);
	EXPECT_EQ(-EBUSY, fastipc_death_watch(a, ha, on_death, NULL, NULL));
	/* A second watch, cancelled: never called. */
	ASSERT_EQ(0, fastipc_death_watch(a, ha2, on_death, NULL, &id2));
	FIPC_EXPECT_STAT(2, "deaths");
	EXPECT_EQ(0, fastipc_death_unwatch(a, id2));
	EXPECT_EQ(-ENOENT, fastipc_death_unwatch(a, id2));
	EXPECT_EQ(-EINVAL, fastipc_death_unwatch(NULL, id));
	FIPC_EXPECT_STAT(1, "deaths");
	EXPECT_EQ(-EAGAIN, fastipc_dispatch(a, 0));

	fastipc_peer_close(b);
	EXPECT_EQ(1, fastipc_dispatch(a, FASTIPC_DISPATCH_WAIT));
	EXPECT_EQ(1, death.calls);
	EXPECT_EQ(ha, death.handle);
	EXPECT_EQ((void *)0xdead, death.arg);
	/* Delivered once; the watch is over. */
	EXPECT_EQ(-EAGAIN, fastipc_dispatch(a, 0));
	EXPECT_EQ(-ENOENT, fastipc_death_unwatch(a, id));
	EXPECT_EQ(0, fastipc_handle_release(a, ha2));
	fastipc_peer_close(a);
	FIPC_EXPECT_ZERO();
}

TEST(death_callback_on_looper)
{
	struct lt_server s;
	struct fastipc_peer *b;
	uint32_t hb, h;

	/* The watcher serves with a pool: the callback runs on a looper. */
	ASSERT_EQ(0, lt_server_start(&s, 2, disp_handler, NULL, 0, true));
	ASSERT_EQ(0, fastipc_peer_open(&b, NULL));
	ASSERT_EQ(0, fastipc_node_create(b, disp_handler, NULL, NULL, &hb));
	ASSERT_EQ(0, lt_share(b, hb, s.p, &h));
	death.calls = 0;
	death.ev.count = 0;
	ASSERT_EQ(0, fastipc_death_watch(s.p, h, on_death, &s, NULL));
	fastipc_peer_close(b);
	ASSERT_EQ(0, lt_event_wait(&death.ev, 1, 20));
	EXPECT_EQ(1, death.calls);
	EXPECT_EQ(h, death.handle);
	EXPECT_EQ(&s, death.arg);
	lt_server_stop(&s);
	FIPC_EXPECT_ZERO();
}

static struct {
	int calls;
	uint32_t handle;
	void *cookie;
} rel;

static void on_released(struct fastipc_peer *p, uint32_t h, void *cookie)
{
	rel.calls++;
	rel.handle = h;
	rel.cookie = cookie;
}

TEST(node_released_callback)
{
	struct fastipc_node_opts o = { .released = on_released };
	struct fastipc_peer *a, *b;
	uint32_t h, hb;

	ASSERT_EQ(0, fastipc_peer_open(&a, NULL));
	ASSERT_EQ(0, fastipc_peer_open(&b, NULL));
	ASSERT_EQ(0, fastipc_node_create(a, disp_handler, (void *)0xc0c0, &o,
					 &h));
	ASSERT_EQ(0, lt_share(a, h, b, &hb));
	ASSERT_EQ(0, fastipc_handle_acquire(b, hb));
	EXPECT_EQ(0, fastipc_handle_release(b, hb));
	EXPECT_EQ(-EAGAIN, fastipc_dispatch(a, 0));
	EXPECT_EQ(0, rel.calls);
	/* The last remote reference goes. */
	EXPECT_EQ(0, fastipc_handle_release(b, hb));
	EXPECT_EQ(1, fastipc_dispatch(a, FASTIPC_DISPATCH_WAIT));
	EXPECT_EQ(1, rel.calls);
	EXPECT_EQ(h, rel.handle);
	EXPECT_EQ((void *)0xc0c0, rel.cookie);
	fastipc_peer_close(b);
	fastipc_peer_close(a);
	FIPC_EXPECT_ZERO();
}

/* ---- notification bits --------------------------------------------------- */

static struct {
	int calls;
	uint32_t handle;
	uint64_t bits;
	void *cookie;
	struct lt_event ev;
} sigs = { .ev = LT_EVENT_INIT };

static void on_signal(struct fastipc_peer *p, uint32_t h, uint64_t bits,
		      void *cookie)
{
	sigs.calls++;
	sigs.handle = h;
	sigs.bits = bits;
	sigs.cookie = cookie;
	lt_event_add(&sigs.ev, 1);
}

TEST(signal_callback_in_dispatch)
{
	struct fastipc_node_opts o = { .flags = FASTIPC_NODE_ACCEPT_SIGNALS };
	struct fastipc_peer *a, *b;
	uint32_t h, hb, plain, hp;

	ASSERT_EQ(0, fastipc_peer_open(&a, NULL));
	ASSERT_EQ(0, fastipc_peer_open(&b, NULL));
	if (!(fastipc_peer_features(a) & FASTIPC_FEAT_SIGNAL)) {
		EXPECT_EQ(-EOPNOTSUPP, fastipc_node_create(a, disp_handler,
							   NULL, &o, &h));
		fastipc_peer_close(b);
		fastipc_peer_close(a);
		SKIP(return, "module without FASTIPC_FEAT_SIGNAL");
	}
	ASSERT_EQ(0, fastipc_node_create(a, disp_handler, (void *)0x51c, &o,
					 &h));
	ASSERT_EQ(0, fastipc_node_create(a, disp_handler, NULL, NULL, &plain));
	EXPECT_EQ(-EINVAL, fastipc_node_on_signal(a, plain, on_signal));
	EXPECT_EQ(-ENOENT, fastipc_node_on_signal(a, 999, on_signal));
	EXPECT_EQ(-EINVAL, fastipc_node_on_signal(NULL, h, on_signal));
	ASSERT_EQ(0, fastipc_node_on_signal(a, h, on_signal));
	ASSERT_EQ(0, lt_share(a, h, b, &hb));
	ASSERT_EQ(0, lt_share(a, plain, b, &hp));
	EXPECT_EQ(-EINVAL, fastipc_signal(b, hb, 0));
	EXPECT_EQ(-EPERM, fastipc_signal(b, hp, 1));
	EXPECT_EQ(-ENOENT, fastipc_signal(b, 999, 1));

	sigs.calls = 0;
	/* Three signals, one callback with their OR. */
	EXPECT_EQ(0, fastipc_signal(b, hb, 0x1));
	EXPECT_EQ(0, fastipc_signal(b, hb, 0x4));
	EXPECT_EQ(0, fastipc_signal(b, hb, 0x1000000000ULL));
	EXPECT_EQ(1, fastipc_dispatch(a, 0));
	EXPECT_EQ(-EAGAIN, fastipc_dispatch(a, 0));
	EXPECT_EQ(1, sigs.calls);
	EXPECT_EQ(h, sigs.handle);
	EXPECT_EQ(0x1000000005ULL, sigs.bits);
	EXPECT_EQ((void *)0x51c, sigs.cookie);
	/* No callback: the bits are read and dropped. */
	ASSERT_EQ(0, fastipc_node_on_signal(a, h, NULL));
	EXPECT_EQ(0, fastipc_signal(b, hb, 0x2));
	EXPECT_EQ(1, fastipc_dispatch(a, 0));
	EXPECT_EQ(1, sigs.calls);
	fastipc_peer_close(a);
	/* The owner is gone. */
	EXPECT_EQ(-EPIPE, fastipc_signal(b, hb, 0x2));
	fastipc_peer_close(b);
	FIPC_EXPECT_ZERO();
}

TEST(signal_callback_on_looper)
{
	struct lt_server s;
	struct fastipc_peer *b;
	uint32_t hb;

	ASSERT_EQ(0, lt_server_start(&s, 2, disp_handler, (void *)0x600d,
				     FASTIPC_NODE_ACCEPT_SIGNALS, false));
	ASSERT_EQ(0, fastipc_node_on_signal(s.p, s.node, on_signal));
	ASSERT_EQ(0, -pthread_create(&s.thr, NULL, lt_loop_main, &s));
	s.running = true;
	ASSERT_EQ(0, fastipc_peer_open(&b, NULL));
	ASSERT_EQ(0, lt_share(s.p, s.node, b, &hb));
	sigs.calls = 0;
	sigs.ev.count = 0;
	EXPECT_EQ(0, fastipc_signal(b, hb, 0x80));
	ASSERT_EQ(0, lt_event_wait(&sigs.ev, 1, 10));
	EXPECT_EQ(1, sigs.calls);
	EXPECT_EQ(s.node, sigs.handle);
	EXPECT_EQ(0x80, sigs.bits);
	EXPECT_EQ((void *)0x600d, sigs.cookie);
	fastipc_peer_close(b);
	lt_server_stop(&s);
	FIPC_EXPECT_ZERO();
}

/* ---- threads leave the peer when they exit ------------------------------- */

struct sender {
	struct fastipc_peer *p;
	uint32_t h;
	bool leave;
	int ret;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;

	s->ret = fastipc_send(s->p, s->h, NULL);
	if (!s->ret && s->leave)
		s->ret = fastipc_thread_leave(s->p);
	return NULL;
}

TEST(thread_exit_leaves_peer)
{
	struct fastipc_peer *a;
	struct sender s;
	pthread_t t;
	long base;
	uint32_t h;

	ASSERT_EQ(0, fastipc_peer_open(&a, NULL));
	ASSERT_EQ(0, fastipc_node_create(a, disp_handler, NULL, NULL, &h));
	base = fipc_stat("threads");
	if (fipc_debugfs_ok())
		ASSERT_LE(0, base);

	/* Explicitly. */
	s = (struct sender){ .p = a, .h = h, .leave = true };
	ASSERT_EQ(0, pthread_create(&t, NULL, sender_main, &s));
	pthread_join(t, NULL);
	EXPECT_EQ(0, s.ret);
	FIPC_EXPECT_STAT(base, "threads");

	/* By the thread-exit hook: no new thread arrives meanwhile. */
	s = (struct sender){ .p = a, .h = h };
	ASSERT_EQ(0, pthread_create(&t, NULL, sender_main, &s));
	pthread_join(t, NULL);
	EXPECT_EQ(0, s.ret);
	FIPC_EXPECT_STAT_SOON(base, "threads");

	/* The pool's threads too, once the loop stopped. */
	while (fastipc_dispatch(a, 0) == 1)
		;
	fastipc_peer_close(a);
	FIPC_EXPECT_ZERO();
}

/* ---- no leak over a thousand cycles -------------------------------------- */

static int leak_cycle(bool call)
{
	struct fastipc_peer *a, *b;
	struct fastipc_reply r;
	uint32_t h, hb;
	uint64_t id;
	int ret;

	ret = fastipc_peer_open(&a, NULL);
	if (ret)
		return ret;
	ret = fastipc_peer_open(&b, NULL);
	if (ret)
		goto out_a;
	ret = fastipc_node_create(a, disp_handler, NULL, NULL, &h);
	if (!ret)
		ret = lt_share(a, h, b, &hb);
	if (!ret)
		ret = fastipc_death_watch(b, hb, on_death, NULL, &id);
	if (!ret)
		ret = fastipc_send(b, hb, NULL);
	if (!ret && call) {
		struct lt_server s = { .p = a };

		ret = -pthread_create(&s.thr, NULL, lt_loop_main, &s);
		if (!ret)
			ret = fastipc_call(b, hb, NULL, &r);
		if (!ret)
			ret = fastipc_reply_release(b, &r);
		fastipc_loop_stop(a);
		pthread_join(s.thr, NULL);
	}
	fastipc_peer_close(b);
out_a:
	fastipc_peer_close(a);
	return ret;
}

/* A fixture only for the longer time limit (slow on debug kernels). */
FIXTURE(leak) {
	int unused;
};

FIXTURE_SETUP(leak)
{
}

FIXTURE_TEARDOWN(leak)
{
}

TEST_F_TIMEOUT(leak, no_leak_1000_cycles, 900)
{
	struct mallinfo2 m0, m1;
	int fds0, fds1, i, ret = 0;

	/* Warm up: stdio of the stats reader, malloc arenas of threads. */
	if (fipc_debugfs_ok())
		ASSERT_EQ(0, fipc_wait_zero(&(struct fipc_stats){ 0 }));
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, leak_cycle(i % 2));
	fds0 = lt_count_fds();
	m0 = mallinfo2();
	for (i = 0; i < 1000 && !ret; i++)
		ret = leak_cycle(i % 10 == 0);
	EXPECT_EQ(0, ret) TH_LOG("cycle %d", i);
	fds1 = lt_count_fds();
	m1 = mallinfo2();
	EXPECT_EQ(fds0, fds1);
	EXPECT_EQ(m0.uordblks, m1.uordblks);
	FIPC_EXPECT_ZERO();
}

TEST_HARNESS_MAIN
