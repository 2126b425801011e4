// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench: shared memory with a wake-up channel.  Client and server
 * share a request and a reply region (mapped before the fork).  A round
 * trip copies the request into the request region, wakes the server and
 * sleeps until the reply is there; the server checks the request in
 * place, copies the reply into the reply region and wakes the client.
 * One copy per direction, like fastipc, and no copy-out: receivers check
 * the data where it lies.
 *
 * Wake-ups: an eventfd per direction (write to post, read to wait), or a
 * futex word per direction (store + FUTEX_WAKE to post, FUTEX_WAIT while
 * the word is unchanged to wait).  Both post unconditionally: one system
 * call to post and one to wait per side and round trip.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"
#include "fipc.h"

struct shm_hdr {
	uint32_t req_word;	/* futex: bumped per request */
	uint32_t rep_word;	/* futex: bumped per reply */
	struct fb_batch batch;
	uint64_t pad[1];	/* the payloads start 56 bytes in */
};

struct shm {
	bool futex;
	struct shm_hdr *hdr;
	unsigned char *req, *rep;
	int efd_req, efd_rep;
	uint32_t seen;		/* last word value this side consumed */
};

static long futex(uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

/* Post to the other side; return system calls used or -errno. */
static int shm_post(struct shm *s, bool to_server)
{
	uint32_t *w = to_server ? &s->hdr->req_word : &s->hdr->rep_word;
	uint64_t one = 1;

	if (!s->futex)
		return write(to_server ? s->efd_req : s->efd_rep, &one, 8) == 8 ?
			1 : -errno;
	__atomic_fetch_add(w, 1, __ATOMIC_RELEASE);
	return futex(w, FUTEX_WAKE, 1) < 0 ? -errno : 1;
}

/* Wait for a post from the other side; return system calls used. */
static int shm_wait(struct shm *s, bool from_client, uint32_t *seen)
{
	uint32_t *w = from_client ? &s->hdr->req_word : &s->hdr->rep_word;
	uint64_t v;
	int calls = 0;

	if (!s->futex) {
		for (;;) {
			calls++;
			if (read(from_client ? s->efd_req : s->efd_rep, &v,
				 8) == 8)
				return calls;
			if (errno != EINTR)
				return -errno;
		}
	}
	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == *seen) {
		calls++;
		if (futex(w, FUTEX_WAIT, *seen) < 0 && errno != EAGAIN &&
		    errno != EINTR)
			return -errno;
	}
	(*seen)++;
	return calls;
}

static void shm_serve(struct shm *s, size_t max, struct srv_stats *st)
{
	struct fb_batch b;
	uint32_t seen = 0;
	uint64_t i, seq;
	int w, p;

	if (msg_init(max))
		_exit(2);
	for (;;) {
		if (shm_wait(s, true, &seen) < 0)
			_exit(2);
		b = s->hdr->batch;
		msg_stamps_only(b.stamps_first, b.stamps_count);
		if (shm_post(s, false) < 0)
			_exit(2);
		if (!b.count)
			_exit(0);
		for (i = 0; i < b.count; i++) {
			w = shm_wait(s, true, &seen);
			if (w < 0)
				_exit(2);
			seq = msg_seq(s->req, b.len);
			if (b.first && seq != b.first + i)
				seq = 0;	/* not the one due: fails below */
			if (!msg_check(s->req, b.len, seq, false)) {
				st->bad++;
				fprintf(stderr, "shm server: bad request seq %llu len %llu\n",
					(unsigned long long)seq,
					(unsigned long long)b.len);
				_exit(3);
			}
			memcpy(s->rep, msg_prepare(b.len, seq, true), b.len);
			p = shm_post(s, false);
			if (p < 0)
				_exit(2);
			st->syscalls += (uint64_t)(w + p);
			st->rts++;
		}
	}
}

static int shm_setup(struct mech *m, size_t max)
{
	struct shm *s = m->priv;
	unsigned char *base;

	base = shared_alloc(sizeof(struct shm_hdr) + 2 * max);
	if (!base)
		return -ENOMEM;
	s->hdr = (struct shm_hdr *)base;
	s->req = base + sizeof(struct shm_hdr);
	s->rep = s->req + max;
	if (!s->futex) {
		s->efd_req = eventfd(0, EFD_CLOEXEC);
		s->efd_rep = eventfd(0, EFD_CLOEXEC);
		if (s->efd_req < 0 || s->efd_rep < 0)
			return -errno;
	}
	m->pid = fork_child();
	if (m->pid < 0)
		return -errno;
	if (!m->pid)
		shm_serve(s, max, m->srv);
	m->max_size = max;
	return 0;
}

static int shm_batch(struct mech *m, size_t len, uint64_t count,
		     uint64_t first)
{
	struct shm *s = m->priv;
	struct fb_batch b;

	msg_batch(&b, len, count, first);
	s->hdr->batch = b;
	if (shm_post(s, true) < 0)
		return -EIO;
	return shm_wait(s, false, &s->seen) < 0 ? -EIO : 0;
}

static int shm_rt(struct mech *m, size_t len, uint64_t seq)
{
	struct shm *s = m->priv;
	int p, w;

	memcpy(s->req, msg_prepare(len, seq, false), len);
	p = shm_post(s, true);
	if (p < 0)
		return p;
	w = shm_wait(s, false, &s->seen);
	if (w < 0)
		return w;
	m->syscalls += (uint64_t)(p + w);
	return msg_check(s->rep, len, seq, true) ? 0 : -EBADMSG;
}

static int shm_finish(struct mech *m)
{
	if (shm_batch(m, 0, 0, 0))
		kill(m->pid, SIGKILL);
	return reap(m->pid);
}

static void shm_init(struct mech *m, const char *name, bool use_futex)
{
	struct shm *s = calloc(1, sizeof(*s));

	if (!s)
		die("out of memory");
	s->futex = use_futex;
	m->name = name;
	m->priv = s;
	m->setup = shm_setup;
	m->batch = shm_batch;
	m->rt = shm_rt;
	m->finish = shm_finish;
}

void mech_shm_eventfd_init(struct mech *m)
{
	shm_init(m, "shm-eventfd", false);
}

void mech_shm_futex_init(struct mech *m)
{
	shm_init(m, "shm-futex", true);
}
