// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc: the system calls of a round trip, counted by the kernel.
 *
 * A call (send it, wait for the reply) is one WRITE_READ on the client;
 * a reply and the wait for the next call are one WRITE_READ on the server.
 * Client and server run in children traced with ptrace (fastipc_trace.h)
 * that mark each round trip; every system call between two marks is
 * logged, and each round must be exactly one WRITE_READ per side, holding
 * the expected commands and read buffer.  Payloads, codes and transaction
 * IDs are checked on every round so that the count is of real work.
 *
 * Per side, N calls take N + 1 WRITE_READs: the client's N calls and its
 * one-way QUIT; the server's first wait and its N reply-and-wait ioctls,
 * the last of which reads the QUIT.  Then each side exits (exit_group).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "fastipc_util.h"
#include "fastipc_trace.h"

#define ROUNDS		FIPC_SYSC_ROUNDS
/*
 * Every system call of a traced child is two round trips to the tracer:
 * slow in an emulated guest on a loaded host.  A child's alarm ends it
 * within the test's time.
 */
#define TEST_SECS	120
#define CHILD_SECS	90
#define AREA		FIPC_MIB
#define MAX_LEN		1024
#define COOKIE		0x5c5c0001c0ffee01ULL
#define CODE_CALL(i)	(0x1000ULL + (i))
#define CODE_REPLY(c)	((c) | (1ULL << 32))

/* Serve calls until a one-way QUIT, each reply sent with the next wait. */
static int serve(void *arg)
{
	struct fipc_sysc *sh = arg;
	struct fipc_sysc_side *s = &sh->server;
	unsigned char reply[MAX_LEN];
	struct fastipc_write_read wr;
	struct fastipc_cmd cmds[2];
	struct fastipc_ret r;
	const void *data;
	__u32 node, one_thread = 1;
	struct fipc_peer p;
	unsigned int n;
	int efd, ret;

	alarm(CHILD_SECS);
	close(sh->sock[1]);
	if (fipc_peer_open(&p, AREA) ||
	    ioctl(p.fd, FASTIPC_IOC_SET_MAX_THREADS, &one_thread) ||
	    fipc_node_create(p.fd, 0, COOKIE, &node))
		return 10;
	efd = fipc_export(p.fd, node);
	if (efd < 0 || fipc_sock_send_fd(sh->sock[0], efd))
		return 11;
	close(efd);
	close(sh->sock[0]);
	s->fd = p.fd;

	cmds[0] = fipc_cmd_op(FASTIPC_CMD_LOOPER_ENTER, 0, 0);
	n = 1;
	for (;;) {
		fipc_trace_mark();
		ret = fipc_wr(p.fd, 0, cmds, n, &r, 1, &wr);
		if (ret || wr.read_consumed != FIPC_RET_SIZE) {
			FIPC_SFAIL(s, ret ? ret : (long)wr.read_consumed);
			return 1;
		}
		if (r.op != FASTIPC_RET_TRANSACTION || r.cookie != COOKIE) {
			FIPC_SFAIL(s, r.op);
			return 1;
		}
		if (r.flags & FASTIPC_RET_ONEWAY) {
			if (r.code != FIPC_CODE_QUIT)
				FIPC_SFAIL(s, r.code);
			return 0;
		}
		data = fipc_payload(&p, &r);
		if (s->rounds == ROUNDS || r.code != CODE_CALL(s->rounds))
			FIPC_SFAIL(s, r.code);
		else if (r.data_len != sh->len || !data)
			FIPC_SFAIL(s, r.data_len);
		else if (fipc_check(data, r.data_len, s->rounds) >= 0)
			FIPC_SFAIL(s, fipc_check(data, r.data_len, s->rounds));
		if (s->rounds && r.sender_pid != (__u32)s->sender_pid)
			FIPC_SFAIL(s, r.sender_pid);
		if (s->fail)
			return 1;
		s->sender_pid = r.sender_pid;
		s->txn[s->rounds] = r.txn_id;
		fipc_fill(reply, sh->len, s->rounds + 1);
		n = 0;
		if (!(r.flags & FASTIPC_RET_INLINE))
			cmds[n++] = fipc_cmd_op(FASTIPC_CMD_FREE, 0, r.offset);
		cmds[n++] = fipc_cmd_reply(r.txn_id, CODE_REPLY(r.code), reply,
					   sh->len);
		s->rounds++;
	}
}

/* Send the commands of one call and read its answer into @r. */
static int call_write_read(const struct fipc_sysc *sh, int fd,
			   const struct fastipc_cmd *cmds, unsigned int n,
			   struct fastipc_ret *r)
{
	struct fastipc_write_read wr;
	int ret;

	if (!sh->split) {
		ret = fipc_wr(fd, 0, cmds, n, r, 1, &wr);
	} else {
		ret = fipc_wr(fd, 0, cmds, n, NULL, 0, &wr);
		if (!ret)
			ret = fipc_wr(fd, 0, NULL, 0, r, 1, &wr);
	}
	if (ret)
		return ret;
	return wr.read_consumed == FIPC_RET_SIZE ? 0 : -EIO;
}

/* Make ROUNDS calls, each one freeing the previous reply's buffer. */
static int call(void *arg)
{
	struct fipc_sysc *sh = arg;
	struct fipc_sysc_side *s = &sh->client;
	bool want_inline = sh->len <= FASTIPC_INLINE_MAX;
	unsigned char payload[MAX_LEN];
	struct fastipc_cmd cmds[2];
	struct fastipc_ret r;
	struct fipc_peer p;
	const void *data;
	unsigned int i, n = 0;
	int efd, ret;
	__u32 h;

	alarm(CHILD_SECS);
	close(sh->sock[0]);
	if (fipc_peer_open(&p, AREA))
		return 10;
	efd = fipc_sock_recv_fd(sh->sock[1]);
	if (efd < 0 || fipc_import(p.fd, efd, &h))
		return 11;
	close(efd);
	close(sh->sock[1]);
	s->fd = p.fd;

	for (i = 0; i < ROUNDS; i++) {
		fipc_fill(payload, sh->len, i);
		cmds[n++] = fipc_cmd_call(h, CODE_CALL(i), payload, sh->len);
		fipc_trace_mark();
		ret = call_write_read(sh, p.fd, cmds, n, &r);
		if (ret) {
			FIPC_SFAIL(s, ret);
			return 1;
		}
		data = fipc_payload(&p, &r);
		if (r.op != FASTIPC_RET_REPLY)
			FIPC_SFAIL(s, r.op);
		else if (r.code != CODE_REPLY(CODE_CALL(i)))
			FIPC_SFAIL(s, r.code);
		else if (!!(r.flags & FASTIPC_RET_INLINE) != want_inline)
			FIPC_SFAIL(s, r.flags);
		else if (r.data_len != sh->len || !data)
			FIPC_SFAIL(s, r.data_len);
		else if (fipc_check(data, r.data_len, i + 1) >= 0)
			FIPC_SFAIL(s, fipc_check(data, r.data_len, i + 1));
		if (s->fail)
			return 1;
		s->txn[i] = r.txn_id;
		s->rounds++;
		n = 0;
		if (!want_inline)
			cmds[n++] = fipc_cmd_op(FASTIPC_CMD_FREE, 0, r.offset);
	}
	cmds[n++] = fipc_cmd_send(h, FIPC_CODE_QUIT, NULL, 0);
	fipc_trace_mark();
	return fipc_wr(p.fd, 0, cmds, n, NULL, 0, NULL) ? 12 : 0;
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
 * The server's log: ROUNDS + 1 segments of one WRITE_READ with a read
 * buffer: LOOPER_ENTER, then REPLY (after FREE of an area request), the
 * last one followed by exit_group.
 */
static void expect_server_rounds(struct __test_metadata *_metadata,
				 const struct fipc_trace *t, int fd,
				 bool area)
{
	struct fipc_expect want = {
		.cmd_ops = FIPC_OP(LOOPER_ENTER),
		.read = true,
	};
	unsigned int i, pos = fipc_trace_next_mark(t, 0);

	for (i = 0; i <= ROUNDS; i++) {
		if (!fipc_trace_expect(_metadata, t, &pos, fd, &want, 1,
				       i == ROUNDS, "server round", i))
			return;
		want.cmd_ops = FIPC_OP(REPLY) | (area ? FIPC_OP(FREE) : 0);
	}
}

/*
 * The client's log: ROUNDS segments of the call's WRITE_READs (each CALL
 * after the FREE of an area reply), then the one-way QUIT and exit_group.
 */
static void expect_client_rounds(struct __test_metadata *_metadata,
				 const struct fipc_trace *t, int fd,
				 bool area, bool split)
{
	struct fipc_expect whole = { .cmd_ops = FIPC_OP(CALL), .read = true };
	struct fipc_expect halves[2] = {
		{ .cmd_ops = FIPC_OP(CALL), .read = false },
		{ .cmd_ops = 0, .read = true },
	};
	struct fipc_expect quit = {
		.cmd_ops = FIPC_OP(SEND) | (area ? FIPC_OP(FREE) : 0),
		.read = false,
	};
	unsigned int i, pos = fipc_trace_next_mark(t, 0);

	for (i = 0; i < ROUNDS; i++) {
		if (!fipc_trace_expect(_metadata, t, &pos, fd,
				       split ? halves : &whole, split ? 2 : 1,
				       false, "client round", i))
			return;
		if (area) {
			whole.cmd_ops |= FIPC_OP(FREE);
			halves[0].cmd_ops |= FIPC_OP(FREE);
		}
	}
	fipc_trace_expect(_metadata, t, &pos, fd, &quit, 1, true,
			  "client quit", i);
}

/* The raw ABI as meant: one WRITE_READ per call, one per reply + wait. */
TEST_F_TIMEOUT(sysc, one_write_read_per_call_and_per_reply, TEST_SECS)
{
	bool area = variant->len > FASTIPC_INLINE_MAX;

	if (!fipc_sysc_run(_metadata, self->sh, serve, call))
		return;
	expect_server_rounds(_metadata, self->sh->server_trace,
			     self->sh->server.fd, area);
	expect_client_rounds(_metadata, self->sh->client_trace,
			     self->sh->client.fd, area, false);
}

/*
 * The counter's own check: a client that writes its CALL and then reads
 * the reply in a second ioctl is seen making two per call.
 */
TEST_F_TIMEOUT(sysc, split_call_counts_two_write_reads, TEST_SECS)
{
	bool area = variant->len > FASTIPC_INLINE_MAX;

	self->sh->split = true;
	if (!fipc_sysc_run(_metadata, self->sh, serve, call))
		return;
	expect_server_rounds(_metadata, self->sh->server_trace,
			     self->sh->server.fd, area);
	expect_client_rounds(_metadata, self->sh->client_trace,
			     self->sh->client.fd, area, true);
}

TEST_HARNESS_MAIN
