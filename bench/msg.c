// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench: payload patterns.
 *
 * A message of len bytes is a body pattern chosen by the parity of its
 * sequence number and direction, stamped with a value derived from the
 * sequence number in its first 8 and (reversed) last 8 bytes.  Consecutive
 * messages differ in every byte, so a stale, partial or misplaced copy
 * fails the full check.  Senders keep pre-filled buffers (one per
 * direction and parity) and only rewrite the stamps, receivers compare
 * against two reference buffers with memcmp(): building and checking a
 * message costs the same for every mechanism and adds no copy to any of
 * them.  The buffers are per thread: every thread that sends or checks
 * calls msg_init() first.
 *
 * The round trips a latency batch times are checked by their stamps only
 * (msg_stamps_only()): a full memcmp() of both payloads would add the
 * same large constant to every mechanism and compress the ratios.  The
 * untimed warm-up and final round trips of each batch are checked in
 * full, so a body the mechanism got wrong is still caught.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "fipc.h"

static __thread unsigned char *pat[2];	/* reference bodies */
/*
 * Send buffers (body + stamps), [reply][parity], filled on first use.
 * Requests and replies never share one, so that after a warm-up of two
 * round trips every buffer a timed round trip sends from, on either side,
 * already carries this length's stamps.
 */
static __thread unsigned char *out[2][2];
static __thread size_t out_tail[2][2];	/* where out[][] has a tail stamp */
static __thread size_t msg_max;
/* Messages checked by their stamps only: [stamps_lo, stamps_hi). */
static __thread uint64_t stamps_lo, stamps_hi;

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
		if (!pat[k])
			return -1;
		for (i = 0; i < max; i++)
			pat[k][i] = (unsigned char)(i * 7 + (i >> 8) * 13 +
						    k * 0x55 + 1);
	}
	return 0;
}

/**
 * msg_stamps_only() - check messages @first .. @first + @count - 1 (both
 * directions) by their stamps only, all others in full.
 *
 * The latency client sets this to a batch's timed round trips before
 * sending its header (msg_batch()); the server sets it from the header.
 */
void msg_stamps_only(uint64_t first, uint64_t count)
{
	stamps_lo = first;
	stamps_hi = first + count;
}

/* Is message @seq checked by its stamps only? */
static bool stamps_only(uint64_t seq)
{
	return seq && seq >= stamps_lo && seq < stamps_hi;
}

/*
 * Fill a batch header: @count round trips of @len bytes from sequence
 * number @first, with the stamps-only range msg_stamps_only() set.
 */
void msg_batch(struct fb_batch *b, size_t len, uint64_t count, uint64_t first)
{
	memset(b, 0, sizeof(*b));
	b->len = len;
	b->count = count;
	b->first = first;
	b->stamps_first = stamps_lo;
	b->stamps_count = stamps_hi - stamps_lo;
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
	unsigned char *o = out[reply][k];
	size_t *tail = &out_tail[reply][k], at;

	if (dirty) {
		*dirty ^= 0x10;
		dirty = NULL;
	}
	if (!o) {
		/* First use: in a warm-up round trip, never a timed one. */
		o = malloc(msg_max);
		if (!o)
			die("out of memory");
		memcpy(o, pat[k], msg_max);
		out[reply][k] = o;
	}
	/* Put back the body bytes the previous tail stamp covered. */
	if (*tail && *tail != len)
		memcpy(o + *tail - 8, pat[k] + *tail - 8, 8);
	msg_stamp(o, len, seq, reply);
	*tail = len >= 16 ? len : 0;
	if (corrupt_seq && seq == corrupt_seq &&
	    (corrupt_dirs & (reply ? 2 : 1))) {
		/*
		 * One flipped byte, repaired by the next call: in the tail
		 * stamp when only the stamps are checked (the head stamp
		 * stays right, so the tail check must catch it), else in the
		 * middle of the body.
		 */
		at = stamps_only(seq) && len >= 16 ? len - 1 : len / 2;
		o[at] ^= 0x10;
		dirty = o + at;
		fprintf(stderr,
			"# fault injection: %s %llu (%zu B, %s check), byte %zu flipped\n",
			reply ? "reply" : "request", (unsigned long long)seq,
			len, stamps_only(seq) ? "stamp" : "full", at);
	}
	return o;
}

/*
 * Does @buf hold exactly message @seq of @len bytes?  Only the stamps are
 * compared when msg_stamps_only() covers @seq; below 16 bytes that is all
 * of the message anyway.
 */
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
	return stamps_only(seq) || !memcmp(b + 8, pat[k] + 8, len - 16);
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
