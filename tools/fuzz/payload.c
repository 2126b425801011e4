// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: payloads.  Byte 0 is the sender's key, byte i > 0 is
 * fz_pat(key, i).  The sender gathers them from one pattern buffer (flat,
 * at an odd address or through an iovec array); the receiver checks every
 * byte of small payloads and samples of large ones.  Also the handles and
 * fds of a message, boundary values and refused ones included.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "worker.h"

void fz_pattern_ensure(struct fz_proc *p, size_t len)
{
	size_t i;

	if (len > FZ_MAX_AREA)
		len = FZ_MAX_AREA;
	if (__atomic_load_n(&p->pat_ready, __ATOMIC_ACQUIRE) >= len)
		return;
	pthread_mutex_lock(&p->pat_lock);
	for (i = p->pat_ready ? p->pat_ready : 1; i < len; i++)
		p->pat[i] = fz_pat(p->key, i);
	p->pat[0] = p->key;
	if (len > p->pat_ready)
		__atomic_store_n(&p->pat_ready, len, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&p->pat_lock);
}

/* Return the first wrong index, or -1. */
long fz_payload_check(const unsigned char *d, __u64 len, struct fz_rng *r)
{
	unsigned char key;
	__u64 i, j;

	if (!len)
		return -1;
	key = d[0];
	if (len <= 8192) {
		for (i = 1; i < len; i++)
			if (d[i] != fz_pat(key, i))
				return i;
		return -1;
	}
	for (i = 1; i < 4096; i++)
		if (d[i] != fz_pat(key, i))
			return i;
	for (i = len - 4096; i < len; i++)
		if (d[i] != fz_pat(key, i))
			return i;
	for (j = 0; j < 64; j++) {
		i = 1 + fz_below(r, len - 1);
		if (d[i] != fz_pat(key, i))
			return i;
	}
	return -1;
}

/* A target area size to aim the boundaries at: some worker's. */
static __u64 fz_area_hint(struct fz_thread *t)
{
	unsigned int s = fz_below(&t->r, fz_sh->cfg.procs);

	return fz_sh->proc[s].area_size ? fz_sh->proc[s].area_size : 65536;
}

/* Split @len bytes of the pattern over the @n iovecs at @iov. */
static void fz_iov_fill(struct fz_thread *t, struct iovec *iov,
			unsigned char *base, __u64 len, unsigned int n)
{
	__u64 off = 0, piece;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (i == n - 1)
			piece = len - off;
		else if (fz_chance(&t->r, 1, 4))
			piece = 0;
		else
			piece = fz_below(&t->r, len - off + 1);
		iov[i].iov_base = base + off;
		iov[i].iov_len = piece;
		off += piece;
	}
}

/*
 * Fill the payload, handles and fds of a CALL, SEND or REPLY.  Their arrays
 * come from the thread's pools, so that several messages of one WRITE_READ
 * do not share them.  Return the errnos the choices add to what the
 * command may fail with.
 */
fz_emask fz_msg_build(struct fz_thread *t, struct fastipc_cmd *c, bool reply)
{
	static const unsigned int wmode[] = { 70, 18, 5, 4, 3 };
	static const unsigned int wnh[] = { 70, 20, 3, 2, 3, 2 };
	static const unsigned int wnf[] = { 88, 8, 2, 2 };
	struct fz_proc *p = t->p;
	struct fz_rng *r = &t->r;
	__u64 len = fz_size(r, fz_area_hint(t));
	unsigned int i, n, mode = fz_pick(r, wmode, FZ_ARRAY_SIZE(wmode));
	fz_emask e = 0;
	struct iovec *iov;
	__u32 *hs;
	__s32 *fs;

	if (len > FZ_MAX_AREA)
		e |= FZ_E(EINVAL);
	else
		fz_pattern_ensure(p, len);
	c->data = (__u64)(uintptr_t)p->pat;
	c->data_len = len;
	n = fz_chance(r, 1, 30) ? FZ_UIO_MAXIOV + fz_below(r, 2) :
	    1 + fz_below(r, 8);
	if (mode == 1 && t->iov_used + n > FZ_POOL_IOV)
		mode = 0;
	switch (mode) {
	case 1:	/* gathered */
		if (len > FZ_MAX_AREA) {
			len = fz_below(r, 4096);
			e &= ~FZ_E(EINVAL);
		}
		iov = &t->iovp[t->iov_used];
		t->iov_used += n;
		c->data_len = n;
		c->flags |= FASTIPC_TXN_IOVEC;
		c->data = (__u64)(uintptr_t)iov;
		fz_pattern_ensure(p, len);
		fz_iov_fill(t, iov, p->pat, len, n);
		if (n > FZ_UIO_MAXIOV) {
			e |= FZ_E(EINVAL);
			break;
		}
		if (fz_chance(r, 1, 20) && iov[n - 1].iov_len) {
			/* One piece points nowhere. */
			iov[n - 1].iov_base = p->guard;
			e |= FZ_E(EFAULT);
		}
		break;
	case 2:	/* misaligned source */
		if (len < FZ_PAT_ODD - 1)
			c->data = (__u64)(uintptr_t)(p->pat_odd + 1);
		break;
	case 3:	/* a bad pointer: unmapped, or running into a guard page */
		if (fz_chance(r, 1, 2)) {
			c->data = fz_chance(r, 1, 2) ? 0 :
				  (__u64)(uintptr_t)p->guard;
		} else {
			c->data = (__u64)(uintptr_t)p->faulty + 4096 -
				  (len > 8 ? len / 2 : 1);
		}
		if (len)
			e |= FZ_E(EFAULT);
		break;
	case 4:	/* an empty message with a non-NULL pointer */
		c->data_len = 0;
		e &= ~FZ_E(EINVAL);
		break;
	default:
		break;
	}

	/* Handles: 0, a few, the maximum and one more, a bad one. */
	switch (fz_pick(r, wnh, FZ_ARRAY_SIZE(wnh))) {
	case 1:
	case 4:
		n = 1 + fz_below(r, 4);
		break;
	case 2:
		n = FZ_MAX_HANDLES;
		break;
	case 3:
		n = FZ_MAX_HANDLES + 1;
		break;
	case 5:
		n = 1 + fz_below(r, 3);
		e |= FZ_E(EFAULT);
		break;
	default:
		n = 0;
	}
	if (t->h_used + n > FZ_POOL_H) {
		n = 0;
		e &= ~FZ_E(EFAULT);
	}
	if (n) {
		hs = &t->hp[t->h_used];
		t->h_used += n;
		fz_handle_fill(t, hs, n);
		c->handles = (__u64)(uintptr_t)hs;
		c->n_handles = n;
		/* Other threads may release what we hold meanwhile. */
		e |= FZ_E(ENOENT);
		if (n > FZ_MAX_HANDLES)
			e |= FZ_E(EINVAL);
		if (fz_chance(r, 1, 3))
			hs[fz_below(r, n)] = fz_bad_handle(r, 1U << 20);
		if (e & FZ_E(EFAULT) && fz_chance(r, 1, 2))
			c->handles = (__u64)(uintptr_t)p->guard;
		else if (e & FZ_E(EFAULT))
			c->handles = (__u64)(uintptr_t)p->faulty + 4096 - 4;
	}

	/* Fds: pipes and sockets we hold, and the ones that must be refused. */
	switch (fz_pick(r, wnf, FZ_ARRAY_SIZE(wnf))) {
	case 1:
		n = 1 + fz_below(r, 3);
		break;
	case 2:
		n = FZ_MAX_FDS;
		break;
	case 3:
		n = FZ_MAX_FDS + 1;
		break;
	default:
		n = 0;
	}
	if (t->f_used + n > FZ_POOL_FD)
		n = 0;
	if (n) {
		fs = &t->fp[t->f_used];
		t->f_used += n;
		for (i = 0; i < n; i++) {
			switch (fz_below(r, 24)) {
			case 0:
				fs[i] = p->fd;	/* our own peer */
				break;
			case 1:
				fs[i] = fz_fd_peek(t, FZ_FD_EXPORT);
				break;
			case 2:
				fs[i] = fz_fd_peek(t, FZ_FD_FOREIGN);
				break;
			case 3:
				fs[i] = fz_chance(r, 1, 2) ? -1 : 999;
				break;
			case 4:
			case 5:
				fs[i] = fz_fd_peek(t, FZ_FD_UNIX);
				if (fs[i] < 0)
					fs[i] = p->sock;
				break;
			default:
				fs[i] = p->pipe[i & 1];
			}
		}
		c->fds = (__u64)(uintptr_t)fs;
		c->n_fds = n;
		/*
		 * The node may refuse fds; fastipc fds are refused; the tables
		 * may close them meanwhile.
		 */
		e |= FZ_E(EPERM) | FZ_E(EBADF) | FZ_E(EINVAL);
	}
	return e;
}
