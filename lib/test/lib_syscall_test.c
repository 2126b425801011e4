// SPDX-License-Identifier: GPL-2.0
/*
 * libfastipc: the system calls of a round trip, counted by the kernel.
 *
 * fastipc_call() is one WRITE_READ; a fastipc_loop() looper sends a
 * handler's reply with its wait for the next transaction, one WRITE_READ
 * per served request.  Client and server run in children traced with
 * ptrace (fastipc_trace.h); the client marks each call and each release
 * of a reply, the server's handler marks each request it serves, and
 * every system call between two marks is logged: nothing else (no futex,
 * no mmap) may happen there.  Payloads, codes and transaction IDs are
 * checked on every round.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>

#include "lib_test.h"
#include "fastipc_trace.h"

#define ROUNDS		FIPC_SYSC_ROUNDS
/*
 * Every system call of a traced child is two round trips to the tracer:
 * slow in an emulated guest on a loaded host.  A child's alarm ends it
 * within the test's time.
 */
#define TEST_SECS	120
#define CHILD_SECS	90
#define MAX_LEN		1024
#define CODE_CALL(i)	(0x1000ULL + (i))
#define CODE_REPLY(c)	((c) | (1ULL << 32))

/* Check a call of the round it is expected in, answer it; QUIT stops. */
static int check_and_reply(struct fastipc_txn *txn, void *cookie)
{
	struct fipc_sysc *sh = cookie;
	struct fipc_sysc_side *s = &sh->server;
	unsigned char reply[MAX_LEN];
	struct iovec iov = { reply, sh->len };
	struct fastipc_msg m = { .iov = &iov, .iov_count = 1 };

	fipc_trace_mark();
	if (txn->flags & FASTIPC_RET_ONEWAY) {
		if (txn->code != FIPC_CODE_QUIT)
			FIPC_SFAIL(s, txn->code);
		return fastipc_loop_stop(txn->peer);
	}
	if (s->rounds == ROUNDS || txn->code != CODE_CALL(s->rounds))
		FIPC_SFAIL(s, txn->code);
	else if (txn->len != sh->len)
		FIPC_SFAIL(s, txn->len);
	else if (fipc_check(txn->data, txn->len, s->rounds) >= 0)
		FIPC_SFAIL(s, fipc_check(txn->data, txn->len, s->rounds));
	if (s->rounds && txn->sender_pid != s->sender_pid)
		FIPC_SFAIL(s, txn->sender_pid);
	if (s->fail)
		return -EPROTO;
	s->sender_pid = txn->sender_pid;
	s->txn[s->rounds] = txn->id;
	fipc_fill(reply, sh->len, s->rounds + 1);
	m.code = CODE_REPLY(txn->code);
	s->rounds++;
	return fastipc_reply(txn, &m);
}

/* One looper (no spawn requests) on the calling thread until QUIT. */
static int serve(void *arg)
{
	struct fastipc_peer_opts opts = { .max_threads = 1 };
	struct fipc_sysc *sh = arg;
	struct fastipc_peer *p;
	uint32_t node;
	int efd, ret;

	alarm(CHILD_SECS);
	close(sh->sock[1]);
	if (fastipc_peer_open(&p, &opts) ||
	    fastipc_node_create(p, check_and_reply, sh, NULL, &node))
		return 10;
	efd = fastipc_handle_export(p, node);
	if (efd < 0 || fipc_sock_send_fd(sh->sock[0], efd))
		return 11;
	close(efd);
	close(sh->sock[0]);
	sh->server.fd = fastipc_peer_fd(p);
	ret = fastipc_loop(p);
	fastipc_peer_close(p);
	return ret ? 12 : 0;
}

/* ROUNDS calls, each reply released, then a one-way QUIT. */
static int call(void *arg)
{
	struct fipc_sysc *sh = arg;
	struct fipc_sysc_side *s = &sh->client;
	unsigned char payload[MAX_LEN];
	struct iovec iov = { payload, sh->len };
	struct fastipc_msg m = { .iov = &iov, .iov_count = 1 };
	struct fastipc_msg quit = { .code = FIPC_CODE_QUIT };
	struct fastipc_reply reply;
	struct fastipc_peer *p;
	unsigned int i;
	uint32_t h;
	int efd;

	alarm(CHILD_SECS);
	close(sh->sock[0]);
	if (fastipc_peer_open(&p, NULL))
		return 10;
	efd = fipc_sock_recv_fd(sh->sock[1]);
	if (efd < 0 || fastipc_handle_import(p, efd, &h))
		return 11;
	close(efd);
	close(sh->sock[1]);
	s->fd = fastipc_peer_fd(p);

	for (i = 0; i < ROUNDS; i++) {
		fipc_fill(payload, sh->len, i);
		m.code = CODE_CALL(i);
		fipc_trace_mark();
		if (fastipc_call(p, h, &m, &reply))
			FIPC_SFAIL(s, reply.error);
		else if (reply.code != CODE_REPLY(CODE_CALL(i)))
			FIPC_SFAIL(s, reply.code);
		else if (reply.len != sh->len)
			FIPC_SFAIL(s, reply.len);
		else if (fipc_check(reply.data, reply.len, i + 1) >= 0)
			FIPC_SFAIL(s, fipc_check(reply.data, reply.len, i + 1));
		if (s->fail)
			return 1;
		s->txn[i] = reply.txn_id;
		s->rounds++;
		fipc_trace_mark();
		if (fastipc_reply_release(p, &reply))
			return 12;
	}
	fipc_trace_mark();
	return fastipc_send(p, h, &quit) ? 13 : 0;
}

FIXTURE(sysc) {
	struct fipc_sysc *sh;
	struct fipc_stats base;
};

FIXTURE_VARIANT(sysc) {
	size_t len;
};

FIXTURE_VARIANT_ADD(sysc, inline_payload) {
	.len = 48,
};

FIXTURE_VARIANT_ADD(sysc, area_payload) {
	.len = MAX_LEN,
};

FIXTURE_SETUP(sysc)
{
	self->sh = fipc_sysc_create(variant->len);
	ASSERT_NE(NULL, self->sh);
	ASSERT_EQ(0, fipc_baseline(&self->base));
}

FIXTURE_TEARDOWN(sysc)
{
	FIPC_EXPECT_BASELINE(self->base, 2000);
	fipc_sysc_destroy(self->sh);
}

/*
 * Every request the looper serves, from its handler's start to the next
 * one's (QUIT's after the last call), is one WRITE_READ: the handler's
 * reply (after the FREE of an area request) and the wait.  What the stop
 * takes after QUIT is not a round trip and is not counted.
 */
static void expect_server_rounds(struct __test_metadata *_metadata,
				 const struct fipc_trace *t, int fd,
				 bool area)
{
	struct fipc_expect reply_and_wait = {
		.cmd_ops = FIPC_OP(REPLY) | (area ? FIPC_OP(FREE) : 0),
		.read = true,
	};
	unsigned int i, pos = fipc_trace_next_mark(t, 0);

	for (i = 0; i < ROUNDS; i++)
		if (!fipc_trace_expect(_metadata, t, &pos, fd, &reply_and_wait,
				       1, false, "served request", i))
			return;
	EXPECT_GT(t->n, pos) TH_LOG("the QUIT handler left no mark");
}

/*
 * Every fastipc_call() is one WRITE_READ with the CALL and a read buffer.
 * fastipc_reply_release() makes no system call for an inline reply; an
 * area reply's FREE is a WRITE_READ of its own (the library has no later
 * call to send it with).  The QUIT is one WRITE_READ, then exit_group.
 */
static void expect_client_rounds(struct __test_metadata *_metadata,
				 const struct fipc_trace *t, int fd,
				 bool area)
{
	struct fipc_expect call = { .cmd_ops = FIPC_OP(CALL), .read = true };
	struct fipc_expect release = { .cmd_ops = FIPC_OP(FREE) };
	struct fipc_expect quit = { .cmd_ops = FIPC_OP(SEND) };
	unsigned int i, pos = fipc_trace_next_mark(t, 0);

	for (i = 0; i < ROUNDS; i++) {
		if (!fipc_trace_expect(_metadata, t, &pos, fd, &call, 1, false,
				       "fastipc_call", i) ||
		    !fipc_trace_expect(_metadata, t, &pos, fd, &release, area,
				       false, "fastipc_reply_release", i))
			return;
	}
	fipc_trace_expect(_metadata, t, &pos, fd, &quit, 1, true,
			  "fastipc_send QUIT", i);
}

TEST_F_TIMEOUT(sysc, one_write_read_per_call_and_per_served_request, TEST_SECS)
{
	bool area = variant->len > FASTIPC_INLINE_MAX;

	if (!fipc_sysc_run(_metadata, self->sh, serve, call))
		return;
	expect_server_rounds(_metadata, self->sh->server_trace,
			     self->sh->server.fd, area);
	expect_client_rounds(_metadata, self->sh->client_trace,
			     self->sh->client.fd, area);
}

TEST_HARNESS_MAIN
