/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libfastipc tests: helpers shared by the suites (on top of the kselftest
 * harness and the module selftests' fastipc_util.h for debugfs counters).
 */
#ifndef _LIB_TEST_H
#define _LIB_TEST_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "fastipc.h"
#include "kselftest_harness.h"
#include "fastipc_util.h"

#define LT_COOKIE	((void *)0x5eed)

/*
 * The test programs link with --wrap for malloc, calloc and realloc:
 * allocations are counted per thread, so that a test can prove a path
 * allocates nothing.
 */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
static __thread unsigned long lt_allocs;

void *__wrap_malloc(size_t size)
{
	lt_allocs++;
	return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	lt_allocs++;
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	lt_allocs++;
	return __real_realloc(p, size);
}

/* A server: a peer, one node, a thread running fastipc_loop(). */
struct lt_server {
	struct fastipc_peer *p;
	uint32_t node;
	pthread_t thr;
	bool running;
	int loop_ret;
};

static void *lt_loop_main(void *arg)
{
	struct lt_server *s = arg;

	s->loop_ret = fastipc_loop(s->p);
	return NULL;
}

/* Open a server peer with a node served by @fn, loop when @loop. */
static inline int lt_server_start(struct lt_server *s, unsigned int max_threads,
				  fastipc_handler_fn fn, void *cookie,
				  unsigned int node_flags, bool loop)
{
	struct fastipc_peer_opts o = { .max_threads = max_threads };
	struct fastipc_node_opts no = { .flags = node_flags };
	int ret;

	memset(s, 0, sizeof(*s));
	ret = fastipc_peer_open(&s->p, &o);
	if (ret)
		return ret;
	ret = fastipc_node_create(s->p, fn, cookie, &no, &s->node);
	if (ret || !loop)
		return ret;
	ret = -pthread_create(&s->thr, NULL, lt_loop_main, s);
	s->running = !ret;
	return ret;
}

static inline void lt_server_stop(struct lt_server *s)
{
	if (s->running) {
		fastipc_loop_stop(s->p);
		pthread_join(s->thr, NULL);
		s->running = false;
	}
	fastipc_peer_close(s->p);
	s->p = NULL;
}

/* Give @to a handle to the node of @from's handle @h (export + import). */
static inline int lt_share(struct fastipc_peer *from, uint32_t h,
			   struct fastipc_peer *to, uint32_t *out)
{
	int fd = fastipc_handle_export(from, h);
	int ret;

	if (fd < 0)
		return fd;
	ret = fastipc_handle_import(to, fd, out);
	close(fd);
	return ret;
}

/* A one-shot event with a generous bound so that a bug fails, not hangs. */
struct lt_event {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int count;
};

#define LT_EVENT_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 }

static inline void lt_event_add(struct lt_event *e, int n)
{
	pthread_mutex_lock(&e->lock);
	e->count += n;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
}

/* Wait until the count reaches @n (at most @sec seconds).  Return: 0 or
 * -ETIMEDOUT.
 */
static inline int lt_event_wait(struct lt_event *e, int n, int sec)
{
	struct timespec ts;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += sec;
	pthread_mutex_lock(&e->lock);
	while (e->count < n && !ret)
		ret = pthread_cond_timedwait(&e->cond, &e->lock, &ts);
	ret = e->count >= n ? 0 : -ETIMEDOUT;
	pthread_mutex_unlock(&e->lock);
	return ret;
}

static inline uint64_t lt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Wait (200 x 10 ms at most) until @p runs @n loopers.  Return: 0 or
 * -ETIMEDOUT.
 */
static inline int lt_wait_loop_threads(struct fastipc_peer *p, unsigned int n)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (fastipc_loop_threads(p) == n)
			return 0;
		fipc_msleep(10);
	}
	return -ETIMEDOUT;
}

/* Number of open descriptors of this process. */
static inline int lt_count_fds(void)
{
	char path[64];
	int n = 0, fd;

	for (fd = 0; fd < 4096; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!access(path, F_OK))
			n++;
	}
	return n;
}

#endif /* _LIB_TEST_H */
