// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench: count the system calls the calling thread makes, with
 * the kernel's system call tracepoints (syscalls/sys_enter_<name> and
 * raw_syscalls/sys_enter) read through perf_event_open() counters bound
 * to the thread.  This counts what reached the kernel, whatever a
 * library (liburing) does inside: syscalls per call are measured, not
 * assumed.  While a syscall tracepoint is in use every system call of
 * every task takes the kernel's slow entry path, so the benchmark counts
 * in runs of their own, never in the timed ones.  Where tracefs or the
 * syscall tracepoints are missing, the counters are unavailable and the
 * caller says so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/perf_event.h>

#include "bench.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char * const tracefs[] = {
	"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
};

/* The tracepoint id of @event ("syscalls/sys_enter_ioctl"), or -1. */
static long tp_id(const char *event)
{
	char path[256], buf[32];
	unsigned int i;
	ssize_t n;
	int fd;

	for (i = 0; i < ARRAY_SIZE(tracefs); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/id", tracefs[i],
			 event);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		return strtol(buf, NULL, 10);
	}
	return -1;
}

/* A counter of @event's hits by the calling thread only, or -1. */
static int tp_counter(const char *event)
{
	struct perf_event_attr a;
	long id = tp_id(event);

	if (id < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = (uint64_t)id;	/* counting only: no sample period */
	return (int)syscall(__NR_perf_event_open, &a, 0, -1, -1,
			    PERF_FLAG_FD_CLOEXEC);
}

static int counter_read(int fd, uint64_t *v)
{
	return read(fd, v, sizeof(*v)) == sizeof(*v) ? 0 : -1;
}

/**
 * sysc_start() - start counting the calling thread's system calls.
 * @s: the counters.
 * @name: the system call counted on its own ("ioctl", "io_uring_enter").
 *
 * Return: 0, or -1 when the tracepoints cannot be counted here (@s is
 * then inert and sysc_stop() says so).
 */
int sysc_start(struct sysc *s, const char *name)
{
	char ev[96];

	snprintf(ev, sizeof(ev), "syscalls/sys_enter_%s", name);
	s->fd[0] = tp_counter(ev);
	s->fd[1] = s->fd[0] < 0 ? -1 : tp_counter("raw_syscalls/sys_enter");
	if (s->fd[1] < 0 || counter_read(s->fd[0], &s->at[0]) ||
	    counter_read(s->fd[1], &s->at[1])) {
		sysc_stop(s, NULL, NULL);
		return -1;
	}
	return 0;
}

/**
 * sysc_stop() - stop counting; close the counters.
 * @s: the counters.
 * @named: out: calls of the named system call since sysc_start().
 * @all: out: all system calls since then.  The counters count the
 *	read() that reads them (the tracepoint fires on entry): the two
 *	read()s here are taken off, those of sysc_start() were counted
 *	before it read the start values.
 *
 * Return: 0, or -1 when nothing was counted.
 */
int sysc_stop(struct sysc *s, uint64_t *named, uint64_t *all)
{
	uint64_t v[2];
	int ret = -1, i;

	if (s->fd[0] >= 0 && s->fd[1] >= 0 && named && all &&
	    !counter_read(s->fd[0], &v[0]) && !counter_read(s->fd[1], &v[1])) {
		*named = v[0] - s->at[0];
		*all = v[1] - s->at[1] - 2;
		ret = 0;
	}
	for (i = 0; i < 2; i++) {
		if (s->fd[i] >= 0)
			close(s->fd[i]);
		s->fd[i] = -1;
	}
	return ret;
}
