/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastipc-bench: Android binder driven with raw ioctls.
 */
#ifndef _FASTIPC_BENCH_BINDER_H
#define _FASTIPC_BENCH_BINDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

struct srv_stats;

int bb_open(struct bb_peer *p);
void bb_close(struct bb_peer *p);
int bb_become_ctx_mgr(struct bb_peer *p);
int bb_serve(struct bb_peer *p, struct srv_stats *st, bool verify);
int bb_call(struct bb_peer *p, uint32_t code, const void *data, size_t len,
	    const void **reply, size_t *reply_len);

#endif /* _FASTIPC_BENCH_BINDER_H */
