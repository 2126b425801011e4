/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastipc-bench: Android binder driven with raw ioctls.
 */
#ifndef _FASTIPC_BENCH_BINDER_H
#define _FASTIPC_BENCH_BINDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <linux/android/binder.h>

#include "bench.h"

#define BB_DEV		"/dev/binder"
#define BB_MAP_SIZE	(4UL * 1024 * 1024)	/* binder's own maximum */

/**
 * struct bb_peer - one open of /dev/binder (one per process).
 * @fd: the open.
 * @map: the read-only mapping transactions land in.
 * @ioctls: BINDER_WRITE_READ (and other) ioctls issued.
 * @pending: the last reply's buffer, freed with the next transaction.
 */
struct bb_peer {
	int fd;
	const void *map;
	uint64_t ioctls;
	uint64_t pending;
};

/**
 * struct bb_wbuf - a write buffer: commands packed back to back, as
 * binder reads them.
 * @b: the bytes.
 * @n: bytes used.
 * @cap: size of @b.
 */
struct bb_wbuf {
	unsigned char *b;
	size_t n;
	size_t cap;
};

/* A struct bb_wbuf over the array @arr. */
#define BB_WBUF(arr)	{ .b = (arr), .n = 0, .cap = sizeof(arr) }

#define BB_OW_MSG	64	/* payload of the one-way pattern */
#define BB_OW_MAXN	256	/* its calls in flight, at most */

/**
 * struct bb_ow_client - the client of binder's one-way + reply pattern
 * (binder_oneway.c); one thread.
 * @p: its open of binder; @p.pending is the last answer's buffer.
 * @req: a request buffer for each call in flight.
 * @wb: the write buffer: a free and a window of one-way transactions.
 */
struct bb_ow_client {
	struct bb_peer p;
	unsigned char req[BB_OW_MAXN][BB_OW_MSG];
	unsigned char wb[256 + BB_OW_MAXN * 72];
};

struct srv_stats;

/*
 * The helpers that fill a write buffer are inline: the round trips of
 * mech_binder.c take the same path as before they were shared.
 */

/* Append command @cmd with @len bytes of argument to @w. */
static inline void bb_put(struct bb_wbuf *w, uint32_t cmd, const void *arg,
			  size_t len)
{
	if (w->n + 4 + len > w->cap)
		die("binder: write buffer full");
	memcpy(w->b + w->n, &cmd, 4);
	if (len)
		memcpy(w->b + w->n + 4, arg, len);
	w->n += 4 + len;
}

static inline void bb_put_free(struct bb_wbuf *w, uint64_t buffer)
{
	binder_uintptr_t p = buffer;

	bb_put(w, BC_FREE_BUFFER, &p, sizeof(p));
}

/*
 * Append a BC_TRANSACTION or BC_REPLY (@cmd) of @len bytes at @data to
 * @handle, with transaction flags @flags (TF_ONE_WAY).  Binder copies the
 * payload when the ioctl that writes @w runs.
 */
static inline void bb_put_txn(struct bb_wbuf *w, uint32_t cmd,
			      uint32_t handle, uint32_t flags, uint32_t code,
			      const void *data, size_t len)
{
	struct binder_transaction_data tr;

	memset(&tr, 0, sizeof(tr));
	tr.target.handle = handle;
	tr.code = code;
	tr.flags = flags;
	tr.data_size = len;
	tr.data.ptr.buffer = (binder_uintptr_t)(uintptr_t)data;
	bb_put(w, cmd, &tr, sizeof(tr));
}

int bb_wr(struct bb_peer *p, struct bb_wbuf *w, void *rbuf, size_t rsize);
int bb_open(struct bb_peer *p);
void bb_close(struct bb_peer *p);
int bb_become_ctx_mgr(struct bb_peer *p);
int bb_serve(struct bb_peer *p, struct srv_stats *st, bool verify);
int bb_call(struct bb_peer *p, uint32_t code, const void *data, size_t len,
	    const void **reply, size_t *reply_len);

pid_t bb_ow_spawn(int threads, struct srv_stats *st);
int bb_ow_connect(struct bb_ow_client *c);
int bb_ow_run(struct bb_ow_client *c, unsigned int n, uint64_t end_ns,
	      uint64_t seq, uint64_t *calls);
int bb_ow_quit(struct bb_ow_client *c);

#endif /* _FASTIPC_BENCH_BINDER_H */
