// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench: the fastipc server loop, shared by every sub-command.
 *
 * A looper thread answers each call with one WRITE_READ that frees the
 * request's buffer (when it has one), replies, and waits for the next
 * call.  Requests are checked byte for byte against the pattern their
 * own sequence number selects; the client checks that the reply answers
 * exactly the request it sent.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "fipc.h"

static void spin(uint64_t n)
{
	volatile uint64_t x = 0;

	while (n--)
		x += n;
}

/*
 * fb_serve() - serve calls on @p until a batch header with count 0.
 * @p: the server's peer, area mapped, node created.
 * @st: counters for the client (round trips, ioctls, bad payloads).
 * @verify: check request payloads.
 *
 * Return: 0, -EBADMSG on a bad payload, or -errno.
 */
int fb_serve(struct fb_peer *p, struct srv_stats *st, bool verify)
{
	struct fastipc_cmd c[2];
	struct fastipc_ret r;
	struct fb_batch b;
	unsigned int n = 0;
	uint64_t mark, seq;
	bool prev_rt = false, quit = false;
	const void *data;
	int ret;

	if (fb_looper_enter(p))
		return -errno;
	mark = p->ioctls;
	for (;;) {
		ret = fb_transact(p, c, n, &r);
		if (ret)
			return ret;
		if (prev_rt)
			__atomic_fetch_add(&st->syscalls, p->ioctls - mark,
					   __ATOMIC_RELAXED);
		mark = p->ioctls;
		n = 0;
		prev_rt = false;
		if (r.op != FASTIPC_RET_TRANSACTION)
			return -EPROTO;
		data = fb_payload(p, &r);
		if (!data)
			return -EFAULT;
		switch (r.code) {
		case FB_CODE_RT:
			seq = msg_seq(data, r.data_len);
			if (verify && !msg_check(data, r.data_len, seq, false)) {
				__atomic_fetch_add(&st->bad, 1,
						   __ATOMIC_RELAXED);
				fprintf(stderr,
					"fastipc server: bad request seq %llu len %llu\n",
					(unsigned long long)seq,
					(unsigned long long)r.data_len);
				return -EBADMSG;
			}
			if (fb_has_buffer(&r))
				c[n++] = fb_cmd_free(r.offset);
			c[n++] = fb_cmd(FASTIPC_CMD_REPLY, 0, FB_CODE_RT,
					msg_prepare(r.data_len, seq, true),
					r.data_len);
			__atomic_fetch_add(&st->rts, 1, __ATOMIC_RELAXED);
			prev_rt = true;
			break;
		case FB_CODE_WORK:
		case FB_CODE_BATCH:
			if (r.data_len != sizeof(b))
				return -EPROTO;
			memcpy(&b, data, sizeof(b));
			if (fb_has_buffer(&r))
				c[n++] = fb_cmd_free(r.offset);
			if (r.code == FB_CODE_WORK)
				spin(b.count);
			else if (!b.count)
				quit = true;
			c[n++] = fb_cmd(FASTIPC_CMD_REPLY, 0, r.code, NULL, 0);
			break;
		default:
			return -EPROTO;
		}
		if (quit)
			return fb_wr(p, c, n, NULL, 0) < 0 ? -errno : 0;
	}
}
