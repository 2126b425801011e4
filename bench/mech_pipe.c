// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench: byte and packet channels: a pipe pair, a unix stream
 * socket pair and a unix seqpacket socket pair.  A round trip writes the
 * request, reads the reply into a private buffer and checks it; the
 * server reads the request, checks it and writes the reply.  Streams loop
 * until every byte went through (a pipe holds 64 KiB by default, so big
 * messages take several calls, all counted); seqpacket moves each message
 * in one call, up to what the socket buffers allow (raised with
 * SO_SNDBUFFORCE/SO_RCVBUFFORCE; larger sizes are reported as n/a).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "fipc.h"

enum chan_kind { CHAN_PIPE, CHAN_STREAM, CHAN_SEQPACKET };

struct chan {
	enum chan_kind kind;
	int rfd, wfd;		/* client's ends */
	void *rbuf;
};

/* Send @len bytes; return system calls used or -errno. */
static int chan_send(enum chan_kind k, int fd, const void *buf, size_t len)
{
	ssize_t n;

	if (k != CHAN_SEQPACKET)
		return write_full(fd, buf, len);
	do {
		n = send(fd, buf, len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 1 : -EIO;
}

/* Receive exactly @len bytes; return system calls used or -errno. */
static int chan_recv(enum chan_kind k, int fd, void *buf, size_t len)
{
	ssize_t n;

	if (k != CHAN_SEQPACKET)
		return read_full(fd, buf, len);
	do {
		n = recv(fd, buf, len + 1, MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!n)
		return -EPIPE;
	return n == (ssize_t)len ? 1 : -EMSGSIZE;
}

static void chan_serve(enum chan_kind k, int rfd, int wfd, size_t max,
		       struct srv_stats *st)
{
	struct fb_batch b;
	void *rbuf;
	uint64_t i, seq;
	int ret;

	rbuf = malloc(max + 1);
	if (!rbuf || msg_init(max))
		_exit(2);
	for (;;) {
		if (chan_recv(k, rfd, &b, sizeof(b)) < 0)
			_exit(2);
		if (chan_send(k, wfd, &b, sizeof(b)) < 0)
			_exit(2);
		msg_stamps_only(b.stamps_first, b.stamps_count);
		if (!b.count)
			_exit(0);
		for (i = 0; i < b.count; i++) {
			ret = chan_recv(k, rfd, rbuf, b.len);
			if (ret < 0)
				_exit(2);
			st->syscalls += ret;
			seq = msg_seq(rbuf, b.len);
			if (b.first && seq != b.first + i)
				seq = 0;	/* not the one due: fails below */
			if (!msg_check(rbuf, b.len, seq, false)) {
				st->bad++;
				fprintf(stderr, "channel server: bad request seq %llu len %llu\n",
					(unsigned long long)seq,
					(unsigned long long)b.len);
				_exit(3);
			}
			ret = chan_send(k, wfd, msg_prepare(b.len, seq, true),
					b.len);
			if (ret < 0)
				_exit(2);
			st->syscalls += ret;
			st->rts++;
		}
	}
}

static int set_bufs(int fd, int size)
{
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)))
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)))
		return -errno;
	return 0;
}

/* Largest power-of-two payload (>= 8) a seqpacket pair moves in one go. */
static size_t seqpacket_max(size_t max)
{
	size_t len, best = 0;
	int sv[2];
	char *buf;

	buf = calloc(1, max + 1);
	if (!buf)
		return 0;
	for (len = 8; len <= max; len *= 2) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
			break;
		set_bufs(sv[0], (int)(2 * max + 65536));
		set_bufs(sv[1], (int)(2 * max + 65536));
		if (send(sv[0], buf, len, MSG_DONTWAIT) == (ssize_t)len &&
		    recv(sv[1], buf, len + 1, MSG_TRUNC) == (ssize_t)len)
			best = len;
		close(sv[0]);
		close(sv[1]);
		if (best != len)
			break;
	}
	free(buf);
	return best;
}

static int chan_setup(struct mech *m, size_t max)
{
	struct chan *c = m->priv;
	int a[2], b[2], type;

	c->rbuf = malloc(max + 1);
	if (!c->rbuf)
		return -ENOMEM;
	if (c->kind == CHAN_PIPE) {
		if (pipe2(a, O_CLOEXEC) || pipe2(b, O_CLOEXEC))
			return -errno;
		/* a: client -> server, b: server -> client. */
	} else {
		type = c->kind == CHAN_STREAM ? SOCK_STREAM : SOCK_SEQPACKET;
		if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, a))
			return -errno;
		if (c->kind == CHAN_SEQPACKET) {
			max = seqpacket_max(max);
			if (!max)
				return -EMSGSIZE;
			set_bufs(a[0], (int)(2 * max + 65536));
			set_bufs(a[1], (int)(2 * max + 65536));
		}
		/* One socket pair: a[0] client's end, a[1] server's end. */
		b[0] = a[0];
		b[1] = a[1];
	}
	m->pid = fork_child();
	if (m->pid < 0)
		return -errno;
	if (!m->pid) {
		if (c->kind == CHAN_PIPE) {
			close(a[1]);
			close(b[0]);
			chan_serve(c->kind, a[0], b[1], max, m->srv);
		} else {
			close(a[0]);
			chan_serve(c->kind, a[1], a[1], max, m->srv);
		}
		_exit(0);
	}
	if (c->kind == CHAN_PIPE) {
		close(a[0]);
		close(b[1]);
		c->wfd = a[1];
		c->rfd = b[0];
	} else {
		close(a[1]);
		c->wfd = c->rfd = a[0];
	}
	m->max_size = max;
	return 0;
}

static int chan_batch(struct mech *m, size_t len, uint64_t count,
		      uint64_t first)
{
	struct chan *c = m->priv;
	struct fb_batch b, e;
	int ret;

	msg_batch(&b, len, count, first);
	ret = chan_send(c->kind, c->wfd, &b, sizeof(b));
	if (ret >= 0)
		ret = chan_recv(c->kind, c->rfd, &e, sizeof(e));
	if (ret < 0)
		return ret;
	return memcmp(&b, &e, sizeof(b)) ? -EPROTO : 0;
}

static int chan_rt(struct mech *m, size_t len, uint64_t seq)
{
	struct chan *c = m->priv;
	int s, r;

	s = chan_send(c->kind, c->wfd, msg_prepare(len, seq, false), len);
	if (s < 0)
		return s;
	r = chan_recv(c->kind, c->rfd, c->rbuf, len);
	if (r < 0)
		return r;
	m->syscalls += (uint64_t)(s + r);
	return msg_check(c->rbuf, len, seq, true) ? 0 : -EBADMSG;
}

static int chan_finish(struct mech *m)
{
	struct chan *c = m->priv;

	if (chan_batch(m, 0, 0, 0))
		kill(m->pid, SIGKILL);
	close(c->wfd);
	if (c->rfd != c->wfd)
		close(c->rfd);
	return reap(m->pid);
}

static void chan_init(struct mech *m, const char *name, enum chan_kind k)
{
	struct chan *c = calloc(1, sizeof(*c));

	if (!c)
		die("out of memory");
	c->kind = k;
	m->name = name;
	m->priv = c;
	m->setup = chan_setup;
	m->batch = chan_batch;
	m->rt = chan_rt;
	m->finish = chan_finish;
}

void mech_pipe_init(struct mech *m)
{
	chan_init(m, "pipe", CHAN_PIPE);
}

void mech_unix_stream_init(struct mech *m)
{
	chan_init(m, "unix-stream", CHAN_STREAM);
}

void mech_unix_seqpacket_init(struct mech *m)
{
	chan_init(m, "unix-seqpacket", CHAN_SEQPACKET);
}
