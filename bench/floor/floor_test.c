// SPDX-License-Identifier: GPL-2.0
/*
 * floor_test: the floor module's rules, checked in a guest (not built by
 * anything, not part of make check):
 *
 *   gcc -O2 -Wall -static -Ibench/floor -o build/floor/floor_test \
 *	bench/floor/floor_test.c
 *   tools/vm/run -k KVER -c 1 -f build/floor/KVER/fastipc_floor.ko \
 *	-f build/floor/floor_test -- \
 *	'insmod fastipc_floor.ko && ./floor_test && rmmod fastipc_floor'
 *
 * A closed or killed partner gives EPIPE (after what it left in the slot),
 * an interrupted call returns EINTR or restarts without sending twice, one
 * message in flight per direction (EBUSY), EMSGSIZE, EFAULT, ENOTTY, and an
 * unpaired end that closes is forgotten.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fastipc_floor.h"

static int fails;
#define CHECK(c) do { if (!(c)) { fails++; printf("FAIL line %d: %s\n", __LINE__, #c); } else printf("ok: %s\n", #c); } while (0)

static long xchg(int fd, const void *s, size_t sl, void *r, size_t rl)
{
	struct floor_xchg x = { (uintptr_t)s, sl, (uintptr_t)r, rl };
	long n = ioctl(fd, FLOOR_IOC_XCHG, &x);
	return n < 0 ? -errno : n;
}
static void onsig(int s) { (void)s; }
static void handler(int restart)
{
	struct sigaction sa = { .sa_handler = onsig, .sa_flags = restart ? SA_RESTART : 0 };
	sigaction(SIGALRM, &sa, NULL);
}
static void pair(int *a, int *b)
{
	*a = open(FLOOR_DEV, O_RDWR);
	*b = open(FLOOR_DEV, O_RDWR);
}

/* child: get msg, sleep, reply, then a further wait must be interrupted (no duplicate) */
static void child(int b, const char *want, const char *rep)
{
	char buf[64];
	long n;

	handler(0);
	n = xchg(b, NULL, 0, buf, 64);
	if (n != (long)strlen(want) || memcmp(buf, want, n))
		_exit(2);
	sleep(2);
	alarm(2);
	n = xchg(b, rep, strlen(rep), buf, 64);
	_exit(n == -EINTR ? 0 : 1);
}

int main(void)
{
	char buf[64], *big;
	int a, b, c, st;
	long n;
	pid_t p;

	/* 1. the partner closes while we wait: EPIPE */
	pair(&a, &b);
	p = fork();
	if (!p) {
		close(a);
		n = xchg(b, NULL, 0, buf, 64);
		_exit(n == 2 && !memcmp(buf, "m1", 2) ? 0 : 1);
	}
	close(b);
	n = xchg(a, "m1", 2, buf, 64);
	CHECK(n == -EPIPE);
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(xchg(a, "m1", 2, NULL, 0) == -EPIPE);
	close(a);

	/* 2. interrupted (no SA_RESTART): EINTR, the next call only waits */
	pair(&a, &b);
	p = fork();
	if (!p) {
		close(a);
		child(b, "m2", "r2");
	}
	close(b);
	handler(0);
	alarm(1);
	n = xchg(a, "m2", 2, buf, 64);
	CHECK(n == -EINTR);
	n = xchg(a, "XX", 2, buf, 64);
	CHECK(n == 2 && !memcmp(buf, "r2", 2));
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(xchg(a, "m", 1, buf, 64) == -EPIPE);
	close(a);

	/* 3. SA_RESTART: restarted transparently, sent once */
	pair(&a, &b);
	p = fork();
	if (!p) {
		close(a);
		child(b, "m3", "r3");
	}
	close(b);
	handler(1);
	alarm(1);
	n = xchg(a, "m3", 2, buf, 64);
	CHECK(n == 2 && !memcmp(buf, "r3", 2));
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(a);

	/* 4. one message in flight, sizes */
	pair(&a, &b);
	CHECK(xchg(a, "x", 1, NULL, 0) == 0);
	CHECK(xchg(a, "y", 1, NULL, 0) == -EBUSY);
	CHECK(xchg(b, NULL, 0, buf, 0) == -EMSGSIZE);
	CHECK(xchg(b, NULL, 0, buf, 64) == 1 && buf[0] == 'x');
	big = calloc(1, FLOOR_MSG_MAX + 1);
	CHECK(xchg(a, big, FLOOR_MSG_MAX + 1, NULL, 0) == -EMSGSIZE);
	CHECK(xchg(a, big, FLOOR_MSG_MAX, NULL, 0) == 0);
	CHECK(xchg(b, NULL, 0, big, FLOOR_MSG_MAX) == FLOOR_MSG_MAX);
	CHECK(xchg(a, (void *)8, 8, NULL, 0) == -EFAULT);
	CHECK(ioctl(a, 0x1234, 0) < 0 && errno == ENOTTY);
	/* the partner closed, a message still waits: delivered, then EPIPE */
	CHECK(xchg(b, "z", 1, NULL, 0) == 0);
	close(b);
	CHECK(xchg(a, NULL, 0, buf, 64) == 1 && buf[0] == 'z');
	CHECK(xchg(a, NULL, 0, buf, 64) == -EPIPE);
	close(a);

	/* 5. an unpaired end that closes is forgotten */
	a = open(FLOOR_DEV, O_RDWR);
	CHECK(xchg(a, "q", 1, NULL, 0) == 0);
	close(a);
	pair(&b, &c);
	CHECK(xchg(b, "p", 1, NULL, 0) == 0);
	CHECK(xchg(c, NULL, 0, buf, 64) == 1 && buf[0] == 'p');
	close(b);
	close(c);

	/* 6. the partner killed (SIGKILL) while we wait */
	pair(&a, &b);
	p = fork();
	if (!p) {
		close(a);
		xchg(b, NULL, 0, buf, 64);
		pause();
		_exit(0);
	}
	close(b);
	if (!fork()) {
		sleep(1);
		kill(p, SIGKILL);
		_exit(0);
	}
	n = xchg(a, "k", 1, buf, 64);
	CHECK(n == -EPIPE);
	close(a);
	while (wait(&st) > 0)
		;
	printf("floor test: %d failures\n", fails);
	return fails != 0;
}
