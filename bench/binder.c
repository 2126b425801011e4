// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-bench: Android binder (Debian's binder_linux.ko) driven with raw
 * ioctls from <linux/android/binder.h>, the way libbinder does it.
 *
 * Server: the context manager; BC_ENTER_LOOPER, then each transaction is
 * answered with BC_FREE_BUFFER + BC_REPLY in the write half of a
 * BINDER_WRITE_READ whose read half waits for more work.  Client:
 * BC_FREE_BUFFER of the previous reply + BC_TRANSACTION to handle 0 in one
 * BINDER_WRITE_READ, reading until BR_REPLY.  Every ioctl is counted:
 * whenever the read half returns without the record we wait for (e.g.
 * only BR_TRANSACTION_COMPLETE), another read-only ioctl is issued.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/android/binder.h>

#include "bench.h"
#include "binder.h"
#include "fipc.h"

int bb_open(struct bb_peer *p)
{
	struct binder_version v;
	void *map;

	memset(p, 0, sizeof(*p));
	p->fd = open(BB_DEV, O_RDWR | O_CLOEXEC);
	if (p->fd < 0)
		return -errno;
	if (ioctl(p->fd, BINDER_VERSION, &v) ||
	    v.protocol_version != BINDER_CURRENT_PROTOCOL_VERSION) {
		close(p->fd);
		return -EPROTO;
	}
	map = mmap(NULL, BB_MAP_SIZE, PROT_READ, MAP_PRIVATE, p->fd, 0);
	if (map == MAP_FAILED) {
		int err = -errno;

		close(p->fd);
		return err;
	}
	p->map = map;
	return 0;
}

void bb_close(struct bb_peer *p)
{
	if (p->map)
		munmap((void *)p->map, BB_MAP_SIZE);
	close(p->fd);
	p->map = NULL;
	p->fd = -1;
}

int bb_become_ctx_mgr(struct bb_peer *p)
{
	int zero = 0;

	return ioctl(p->fd, BINDER_SET_CONTEXT_MGR, &zero) ? -errno : 0;
}

/*
 * One BINDER_WRITE_READ: write @w (may be empty), then read into @rbuf.
 * Return: bytes read or -errno.
 */
int bb_wr(struct bb_peer *p, struct bb_wbuf *w, void *rbuf,
		 size_t rsize)
{
	struct binder_write_read bwr;
	int ret;

	memset(&bwr, 0, sizeof(bwr));
	bwr.write_buffer = (binder_uintptr_t)(uintptr_t)w->b;
	bwr.write_size = w->n;
	bwr.read_buffer = (binder_uintptr_t)(uintptr_t)rbuf;
	bwr.read_size = rsize;
	for (;;) {
		p->ioctls++;
		ret = ioctl(p->fd, BINDER_WRITE_READ, &bwr);
		if (!ret || errno != EINTR)
			break;
	}
	if (ret < 0)
		return -errno;
	if (bwr.write_consumed != w->n)
		return -EIO;
	w->n = 0;
	return (int)bwr.read_consumed;
}

/*
 * Write @w, then read until a record of kind @want (BR_TRANSACTION or
 * BR_REPLY) comes; it lands in @tr.  Return: 0 or -errno.
 */
static int bb_exchange(struct bb_peer *p, struct bb_wbuf *w, uint32_t want,
		       struct binder_transaction_data *tr)
{
	uint32_t rbuf[64];
	size_t off;
	int n;

	for (;;) {
		n = bb_wr(p, w, rbuf, sizeof(rbuf));
		if (n < 0)
			return n;
		for (off = 0; off + 4 <= (size_t)n;) {
			uint32_t cmd;
			const unsigned char *arg;

			memcpy(&cmd, (unsigned char *)rbuf + off, 4);
			arg = (unsigned char *)rbuf + off + 4;
			off += 4 + _IOC_SIZE(cmd);
			switch (cmd) {
			case BR_NOOP:
			case BR_TRANSACTION_COMPLETE:
			case BR_SPAWN_LOOPER:
				break;
			case BR_TRANSACTION:
			case BR_REPLY:
				if (cmd != want)
					return -EPROTO;
				memcpy(tr, arg, sizeof(*tr));
				/* Nothing may follow what we waited for. */
				return off == (size_t)n ? 0 : -EPROTO;
			case BR_DEAD_REPLY:
				return -EPIPE;
			case BR_FAILED_REPLY:
				return -ENOSPC;
			default:
				fprintf(stderr, "binder: unexpected record %#x\n",
					cmd);
				return -EPROTO;
			}
		}
	}
}

int bb_call(struct bb_peer *p, uint32_t code, const void *data, size_t len,
	    const void **reply, size_t *reply_len)
{
	struct binder_transaction_data tr;
	unsigned char wb[256];
	struct bb_wbuf w = BB_WBUF(wb);
	int ret;

	if (p->pending)
		bb_put_free(&w, p->pending);
	p->pending = 0;
	bb_put_txn(&w, BC_TRANSACTION, 0, 0, code, data, len);
	ret = bb_exchange(p, &w, BR_REPLY, &tr);
	if (ret)
		return ret;
	p->pending = tr.data.ptr.buffer;
	*reply = (const void *)(uintptr_t)tr.data.ptr.buffer;
	*reply_len = tr.data_size;
	return 0;
}

/*
 * bb_serve() - answer transactions until a batch header with count 0.
 * Same protocol and checks as fb_serve().
 */
int bb_serve(struct bb_peer *p, struct srv_stats *st, bool verify)
{
	struct binder_transaction_data tr;
	unsigned char wb[256];
	struct bb_wbuf w = BB_WBUF(wb);
	const void *data;
	struct fb_batch b;
	uint64_t mark, seq, expect = 0;
	bool prev_rt = false;
	int ret;

	bb_put(&w, BC_ENTER_LOOPER, NULL, 0);
	mark = p->ioctls;
	for (;;) {
		ret = bb_exchange(p, &w, BR_TRANSACTION, &tr);
		if (ret)
			return ret;
		if (prev_rt)
			__atomic_fetch_add(&st->syscalls, p->ioctls - mark,
					   __ATOMIC_RELAXED);
		mark = p->ioctls;
		prev_rt = false;
		data = (const void *)(uintptr_t)tr.data.ptr.buffer;
		switch (tr.code) {
		case FB_CODE_RT:
			seq = msg_seq(data, tr.data_size);
			if (expect && seq != expect++)
				seq = 0;	/* not the one due: fails below */
			if (verify && !msg_check(data, tr.data_size, seq, false)) {
				__atomic_fetch_add(&st->bad, 1,
						   __ATOMIC_RELAXED);
				fprintf(stderr,
					"binder server: bad request seq %llu len %llu\n",
					(unsigned long long)seq,
					(unsigned long long)tr.data_size);
				return -EBADMSG;
			}
			bb_put_free(&w, tr.data.ptr.buffer);
			bb_put_txn(&w, BC_REPLY, 0, 0, FB_CODE_RT,
				 msg_prepare(tr.data_size, seq, true),
				 tr.data_size);
			__atomic_fetch_add(&st->rts, 1, __ATOMIC_RELAXED);
			prev_rt = true;
			break;
		case FB_CODE_BATCH:
			if (tr.data_size != sizeof(b))
				return -EPROTO;
			memcpy(&b, data, sizeof(b));
			bb_put_free(&w, tr.data.ptr.buffer);
			bb_put_txn(&w, BC_REPLY, 0, 0, FB_CODE_BATCH, NULL, 0);
			expect = b.first;
			msg_stamps_only(b.stamps_first, b.stamps_count);
			if (!b.count) {
				/* Write only: nothing more to wait for. */
				ret = bb_wr(p, &w, NULL, 0);
				return ret < 0 ? ret : 0;
			}
			break;
		default:
			return -EPROTO;
		}
	}
}
