// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: probes of the hardened semantics (spec items 1, 3 and 6 of
 * the hardening work): munmap of the area kills the peer; close() of a
 * descriptor wakes the owner's threads blocked in the read phase; one-way
 * messages to one node are handed out one at a time, in order.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "worker.h"

/* Spec 1: after munmap of its area a peer is dead (VERSION still works). */
void fz_probe_munmap(struct fz_thread *t, struct fz_scratch *s)
{
	struct fastipc_version v;
	struct fastipc_cmd c;
	struct fastipc_ret r;
	unsigned int got;
	__u32 h;
	void *m;
	int err;

	if (fz_node(s->fd, 0, 21, &h))
		return;
	munmap(s->area, s->size);
	s->area = NULL;
	err = fz_swr(t, s->fd, NULL, 0, &r, 1, FASTIPC_WR_NONBLOCK, &got);
	if (err != EPIPE)
		fz_probe_fail(t, "munmap",
			      "a read after munmap of the area: %s, want EPIPE (spec 1: munmap kills the peer)",
			      err ? strerror(err) : "success");
	fz_scmd(&c, FASTIPC_CMD_SEND, h, 1);
	err = fz_swr(t, s->fd, &c, 1, NULL, 0, 0, NULL);
	if (err != EPIPE)
		fz_probe_fail(t, "munmap", "SEND to its own node after munmap: %s, want EPIPE",
			      err ? strerror(err) : "success");
	if (ioctl(s->fd, FASTIPC_IOC_VERSION, &v))
		fz_probe_fail(t, "munmap", "VERSION after munmap: %s",
			      strerror(errno));
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, s->fd, 0);
	err = m == MAP_FAILED ? errno : 0;
	if (err != EPIPE)
		fz_probe_fail(t, "munmap", "mmap again after munmap: %s, want EPIPE",
			      err ? strerror(err) : "success");
	if (m != MAP_FAILED)
		munmap(m, 4096);
}

struct fz_reader {
	struct fz_thread *t;
	int fd;
	pid_t tid;
	int err;
	unsigned int got;
	int done;
	struct fastipc_ret r;
};

static void *fz_reader_main(void *arg)
{
	struct fz_reader *rd = arg;
	struct fastipc_write_read wr;

	__atomic_store_n(&rd->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	memset(&wr, 0, sizeof(wr));
	wr.read_buffer = (__u64)(uintptr_t)&rd->r;
	wr.read_size = FZ_RET_SIZE;
	rd->err = ioctl(rd->fd, FASTIPC_IOC_WRITE_READ, &wr) ? errno : 0;
	rd->got = wr.read_consumed / FZ_RET_SIZE;
	__atomic_store_n(&rd->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Has thread @tid of ours gone to sleep (state S), within ~1 s? */
static bool fz_sleeping(pid_t tid)
{
	char path[64], buf[256], *p;
	unsigned int i;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	for (i = 0; i < 100; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return false;
		buf[n] = 0;
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * Spec 3: close() of one of the owner's descriptors wakes its threads that
 * wait in the read phase, with EINTR.  (Then, old module or not, a one-way
 * gets the reader out.)
 */
void fz_probe_close(struct fz_thread *t, struct fz_scratch *s)
{
	struct fz_reader *rd = calloc(1, sizeof(*rd));
	struct fastipc_cmd c;
	struct timespec ts;
	unsigned int i;
	pthread_t th;
	__u32 h;
	int dup_fd;

	if (!rd || fz_node(s->fd, 0, 22, &h)) {
		free(rd);
		return;
	}
	rd->t = t;
	rd->fd = s->fd;
	if (pthread_create(&th, NULL, fz_reader_main, rd)) {
		free(rd);
		return;
	}
	for (i = 0; i < 100 && !__atomic_load_n(&rd->tid, __ATOMIC_ACQUIRE); i++)
		usleep(5000);
	if (!rd->tid || !fz_sleeping(rd->tid))
		goto rescue;
	dup_fd = dup(s->fd);
	if (dup_fd >= 0)
		close(dup_fd);
	for (i = 0; i < fz_limit_ms(500) / 10 &&
	     !__atomic_load_n(&rd->done, __ATOMIC_ACQUIRE); i++)
		usleep(10000);
	if (!rd->done)
		fz_probe_fail(t, "close",
			      "a reader blocked in the read phase still sleeps %llu ms after close() of a second descriptor (spec 3)",
			      (unsigned long long)fz_limit_ms(500));
	else if (rd->err != EINTR)
		fz_probe_fail(t, "close", "the reader woken by close() returned %s, want EINTR",
			      rd->err ? strerror(rd->err) : "a record");
rescue:
	fz_scmd(&c, FASTIPC_CMD_SEND, h, 1);
	fz_swr(t, s->fd, &c, 1, NULL, 0, 0, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += fz_limit_ms(5000) / 1000;
	if (pthread_timedjoin_np(th, NULL, &ts)) {
		fz_finding(FZ_F_STUCK, "probe close: the reader did not come back after a one-way");
		pthread_detach(th);
		return;		/* rd stays allocated */
	}
	free(rd);
}

/*
 * Spec 6: one-ways to one node are handed out one at a time (the next only
 * once the thread that took the previous one comes back), in send order.
 */
void fz_probe_oneway(struct fz_thread *t, struct fz_scratch *s)
{
	struct fastipc_cmd c[4];
	struct fastipc_ret r[4];
	unsigned int got, i, seen = 0, loops;
	__u64 last = 0;
	int err = 0;
	__u32 h;

	if (fz_node(s->fd, 0, 23, &h))
		return;
	for (i = 0; i < 4; i++) {
		fz_scmd(&c[i], FASTIPC_CMD_SEND, h, 1 + i);
		c[i].data = (__u64)(uintptr_t)"ow";
		c[i].data_len = 2;
	}
	if (fz_swr(t, s->fd, c, 4, NULL, 0, 0, NULL))
		return;
	for (loops = 0; loops < 8 && seen < 4; loops++) {
		err = fz_swr(t, s->fd, NULL, 0, r, 4, FASTIPC_WR_NONBLOCK, &got);
		if (err)
			break;
		if (got > 1)
			fz_probe_fail(t, "oneway",
				      "one read took %u one-ways of the same node (spec 6: one at a time)",
				      got);
		for (i = 0; i < got; i++) {
			if (r[i].op != FASTIPC_RET_TRANSACTION)
				continue;
			if (r[i].code != last + 1)
				fz_probe_fail(t, "oneway", "one-way %llu came after %llu",
					      (unsigned long long)r[i].code,
					      (unsigned long long)last);
			last = r[i].code;
			seen++;
		}
	}
	if (seen != 4)
		fz_probe_fail(t, "oneway", "%u of 4 one-ways read (%s)", seen,
			      strerror(err));
}
