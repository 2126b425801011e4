// SPDX-License-Identifier: GPL-2.0
/*
 * Reproducer for a lost wake-up in the module (found while writing
 * libfastipc): a thread blocked in the read phase that fastipc_wake_one()
 * takes off the idle list, when another thread of the peer takes the work
 * first, sleeps again in fastipc_wait_work() without being on the idle
 * list, and is never woken for later peer work.  Fails at round 0 on
 * module 0.1.0 (6.1 and 6.12).  Not part of make check; build it like a
 * selftest:
 *   gcc -O2 -pthread -static -Ibuild/ksft -Iselftests/fastipc -Iuapi \
 *       -o lost_wakeup tools/repro/lost_wakeup.c
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "kselftest_harness.h"
#include "fastipc_util.h"

static struct fipc_peer s, c;
static volatile int got;
static pid_t rtid;

static void *reader(void *arg)
{
	struct fastipc_ret r;

	rtid = fipc_gettid();
	for (;;) {
		if (fipc_read(s.fd, 0, &r, 1) != 1)
			break;
		if (r.code == 99)
			break;
		__atomic_add_fetch(&got, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

TEST(lost_wakeup)
{
	struct fastipc_ret r;
	pthread_t t;
	__u32 node, h;
	int round, before, i, stolen = 0;

	ASSERT_EQ(0, fipc_peer_open(&s, FIPC_MIB));
	ASSERT_EQ(0, fipc_peer_open(&c, FIPC_MIB));
	ASSERT_EQ(0, fipc_node_create(s.fd, 0, 1, &node));
	ASSERT_EQ(0, fipc_share(s.fd, node, c.fd, &h));
	ASSERT_EQ(0, pthread_create(&t, NULL, reader, NULL));
	for (round = 0; round < 200; round++) {
		while (!rtid)
			fipc_msleep(1);
		ASSERT_EQ(0, fipc_wait_sleeping(rtid));
		before = got;
		ASSERT_EQ(0, fipc_send(c.fd, h, 1, "x", 1));
		/* Take it before the woken reader runs. */
		if (fipc_read(s.fd, FASTIPC_WR_NONBLOCK, &r, 1) != 1)
			continue;	/* the reader won */
		stolen++;
		fipc_msleep(20);	/* the reader ran and went back to sleep */
		ASSERT_EQ(0, fipc_send(c.fd, h, 2, "z", 1));
		for (i = 0; i < 200 && got == before; i++)
			fipc_msleep(10);
		if (got == before) {
			TH_LOG("round %d: reader blocked in read never got a queued message (lost wake-up)", round);
			ASSERT_NE(before, got);
		}
	}
	TH_LOG("no lost wake-up in 200 rounds (%d steals)", stolen);
	fipc_send(c.fd, h, 99, NULL, 0);
	pthread_join(t, NULL);
}

TEST_HARNESS_MAIN
