// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench: payload patterns.
 *
 * A message of len bytes is a body pattern chosen by the parity of its
 * sequence number and direction, stamped with a value derived from the
 * sequence number in its first 8 and (reversed) last 8 bytes.  Consecutive
 * messages differ in every byte, so a stale, partial or misplaced copy
 * fails the check.  Senders keep two pre-filled buffers and only rewrite
 * the stamps, receivers compare against two reference buffers with
 * memcmp(): building and checking a message costs the same for every
 * mechanism and adds no copy to any of them.  The buffers are per thread:
 * every thread that sends or checks calls msg_init() first.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static __thread unsigned char *pat[2];	/* reference bodies */
static __thread unsigned char *out[2];	/* send buffers: body + stamps */
static __thread size_t out_tail[2];	/* where out[k] carries a tail stamp */
static __thread size_t msg_max;

/* Fault injection (fastipc-bench latency -X): see msg_corrupt(). */
static uint64_t corrupt_seq;
static int corrupt_dirs;
static __thread unsigned char *dirty;	/* the byte flipped last time */

/**
 * msg_corrupt() - make message @seq go out with one wrong byte.
 * @seq: the sequence number (0: never).
 * @dirs: 1 the request, 2 the reply, 3 both.
 *
 * Used to prove that the checks catch a bad byte; call before forking
 * the servers.
 */
void msg_corrupt(uint64_t seq, int dirs)
{
	corrupt_seq = seq;
	corrupt_dirs = dirs;
}

int msg_init(size_t max)
{
	size_t i;
	int k;

	if (max < 64)
		max = 64;
	msg_max = max;
	for (k = 0; k < 2; k++) {
		pat[k] = malloc(max);
		out[k] = malloc(max);
		if (!pat[k] || !out[k])
			return -1;
		for (i = 0; i < max; i++)
			pat[k][i] = (unsigned char)(i * 7 + (i >> 8) * 13 +
						    k * 0x55 + 1);
		memcpy(out[k], pat[k], max);
		out_tail[k] = 0;
	}
	return 0;
}

void *msg_out_buf(int slot)
{
	return out[slot & 1];
}

static uint64_t stamp_of(uint64_t seq, bool reply)
{
	return ((seq << 1) | reply) ^ 0x9e3779b97f4a7c15ULL;
}

static int parity(uint64_t seq, bool reply)
{
	return (int)((seq + reply) & 1);
}

/* Write the stamps of message @seq into @buf (len bytes). */
void msg_stamp(void *buf, size_t len, uint64_t seq, bool reply)
{
	uint64_t v = stamp_of(seq, reply), t = ~v;

	memcpy(buf, &v, len < 8 ? len : 8);
	if (len >= 16)
		memcpy((char *)buf + len - 8, &t, 8);
}

/* Return the send buffer holding message @seq of @len bytes. */
void *msg_prepare(size_t len, uint64_t seq, bool reply)
{
	int k = parity(seq, reply);

	if (dirty) {
		*dirty ^= 0x10;
		dirty = NULL;
	}
	/* Put back the body bytes the previous tail stamp covered. */
	if (out_tail[k] && out_tail[k] != len)
		memcpy(out[k] + out_tail[k] - 8, pat[k] + out_tail[k] - 8, 8);
	msg_stamp(out[k], len, seq, reply);
	out_tail[k] = len >= 16 ? len : 0;
	if (corrupt_seq && seq == corrupt_seq &&
	    (corrupt_dirs & (reply ? 2 : 1))) {
		/* One flipped byte in the middle, repaired by the next call. */
		out[k][len / 2] ^= 0x10;
		dirty = out[k] + len / 2;
	}
	return out[k];
}

/* Does @buf hold exactly message @seq of @len bytes? */
bool msg_check(const void *buf, size_t len, uint64_t seq, bool reply)
{
	const unsigned char *b = buf;
	uint64_t v = stamp_of(seq, reply), t = ~v;
	int k = parity(seq, reply);

	if (len > msg_max)
		return false;
	if (memcmp(b, &v, len < 8 ? len : 8))
		return false;
	if (len <= 8)
		return true;
	if (len < 16)
		return !memcmp(b + 8, pat[k] + 8, len - 8);
	if (memcmp(b + len - 8, &t, 8))
		return false;
	return !memcmp(b + 8, pat[k] + 8, len - 16);
}

/* The sequence number a request carries (requests only, len >= 8). */
uint64_t msg_seq(const void *buf, size_t len)
{
	uint64_t v;

	if (len < 8)
		return 0;
	memcpy(&v, buf, 8);
	return (v ^ 0x9e3779b97f4a7c15ULL) >> 1;
}
