// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: the ioctls other than WRITE_READ, poll, the area's
 * mapping rules, flush of a second descriptor, scheduling changes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "worker.h"

#define FZ_E_BASE	(FZ_E(0) | FZ_E(EPIPE))

static int fz_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

void fz_op_version(struct fz_thread *t)
{
	struct fastipc_version v;
	int err;

	memset(&v, 0xa5, sizeof(v));
	switch (fz_below(&t->r, 8)) {
	case 0:
		err = fz_ioctl(t->p->fd, FASTIPC_IOC_VERSION, NULL);
		fz_result(FZ_SITE_VERSION, err, FZ_E(EFAULT), "NULL");
		return;
	case 1:
		err = fz_ioctl(t->p->fd, FASTIPC_IOC_VERSION, t->p->guard);
		fz_result(FZ_SITE_VERSION, err, FZ_E(EFAULT), "guard page");
		return;
	default:
		err = fz_ioctl(t->p->fd, FASTIPC_IOC_VERSION, &v);
		fz_result(FZ_SITE_VERSION, err, FZ_E(0), NULL);
	}
	if (!err && (v.abi != FASTIPC_ABI_VERSION ||
		     !(v.features & FASTIPC_FEAT_CORE) || v.reserved[0] ||
		     v.reserved[1]))
		fz_finding(FZ_F_ORACLE, "VERSION: abi %u features %#llx reserved %#llx %#llx",
			   v.abi, (unsigned long long)v.features,
			   (unsigned long long)v.reserved[0],
			   (unsigned long long)v.reserved[1]);
}

void fz_op_node_create(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	struct fz_rng *r = &t->r;
	struct fastipc_node_create nc;
	fz_emask e = FZ_E_BASE | FZ_E(ENOSPC);
	void *arg = &nc;
	int err;

	memset(&nc, 0, sizeof(nc));
	nc.flags = fz_below(r, 4) & (FASTIPC_NODE_ACCEPT_FDS |
				     FASTIPC_NODE_INHERIT_RT);
	if (fz_chance(r, 1, 3))
		nc.flags |= FASTIPC_NODE_ACCEPT_SIGNALS;
	switch (fz_below(r, 14)) {
	case 0:		/* nice minimum, valid and one past either end */
	case 1:
		nc.flags |= FASTIPC_NODE_MIN_PRIO;
		nc.min_policy = SCHED_OTHER;
		nc.min_priority = -20 + (int)fz_below(r, 40);
		if (fz_chance(r, 1, 5)) {
			nc.min_priority = fz_chance(r, 1, 2) ? -21 : 20;
			e = FZ_E(EINVAL) | FZ_E(EPIPE);
		}
		break;
	case 2:		/* real-time minimum (we are root: allowed) */
		nc.flags |= FASTIPC_NODE_MIN_PRIO;
		nc.min_policy = fz_chance(r, 1, 2) ? SCHED_FIFO : SCHED_RR;
		nc.min_priority = fz_chance(r, 1, 20) ? 99 :
				  1 + (int)fz_below(r, 3);
		if (fz_chance(r, 1, 5)) {
			nc.min_priority = fz_chance(r, 1, 2) ? 0 : 100;
			e = FZ_E(EINVAL) | FZ_E(EPIPE);
		}
		e |= FZ_E(EPERM);
		break;
	case 3:		/* a policy that is not lent */
		nc.flags |= FASTIPC_NODE_MIN_PRIO;
		nc.min_policy = 3 + fz_below(r, 5);
		e = FZ_E(EINVAL) | FZ_E(EPIPE);
		break;
	case 4:		/* a minimum without the flag */
		nc.min_policy = SCHED_FIFO;
		nc.min_priority = 1;
		e = FZ_E(EINVAL) | FZ_E(EPIPE);
		break;
	case 5:
		nc.flags |= 1U << (4 + fz_below(r, 28));
		e = FZ_E(EINVAL) | FZ_E(EPIPE);
		break;
	case 6:
		nc.reserved = 1;
		e = FZ_E(EINVAL) | FZ_E(EPIPE);
		break;
	case 7:
		arg = fz_chance(r, 1, 2) ? NULL : (void *)p->guard;
		e = FZ_E(EFAULT) | FZ_E(EPIPE);
		break;
	default:
		break;
	}
	pthread_mutex_lock(&p->lock);
	nc.cookie = fz_node_cookie(p, p->node_seq++);
	pthread_mutex_unlock(&p->lock);
	err = fz_ioctl(p->fd, FASTIPC_IOC_NODE_CREATE, arg);
	fz_result(FZ_SITE_NODE_CREATE, err, e, NULL);
	if (err == EPIPE)
		fz_peer_dead_check(t, "NODE_CREATE");
	if (err)
		return;
	if (!nc.handle) {
		fz_finding(FZ_F_ORACLE, "NODE_CREATE gave handle 0");
		return;
	}
	pthread_mutex_lock(&p->lock);
	if (p->nnodes < FZ_NODES) {
		p->nodes[p->nnodes].h = nc.handle;
		p->nodes[p->nnodes].flags = nc.flags;
		p->nodes[p->nnodes].cookie = nc.cookie;
		p->nnodes++;
	}
	pthread_mutex_unlock(&p->lock);
	fz_handle_add(p, nc.handle, true);
}

/* One of our own nodes' handles, or 0 when we have none. */
__u32 fz_own_node(struct fz_thread *t, __u32 *flags)
{
	struct fz_proc *p = t->p;
	__u32 h = 0;

	pthread_mutex_lock(&p->lock);
	if (p->nnodes) {
		unsigned int k = fz_below(&t->r, p->nnodes);

		h = p->nodes[k].h;
		if (flags)
			*flags = p->nodes[k].flags;
	}
	pthread_mutex_unlock(&p->lock);
	return h;
}

void fz_op_ctx_mgr(struct fz_thread *t)
{
	bool valid;
	__u32 h = fz_chance(&t->r, 2, 3) ? fz_own_node(t, NULL) :
		  fz_handle_pick(t, &valid);
	void *arg = &h;
	fz_emask e = FZ_E_BASE | FZ_E(EBUSY) | FZ_E(EPERM) | FZ_E(ENOENT);
	int err;

	if (fz_chance(&t->r, 1, 10)) {
		arg = NULL;
		e = FZ_E(EFAULT) | FZ_E(EPIPE);
	}
	err = fz_ioctl(t->p->fd, FASTIPC_IOC_SET_CONTEXT_MGR, arg);
	fz_result(FZ_SITE_CTX_MGR, err, e, NULL);
	if (!err)
		t->p->ctx_mgr = true;
}

/* Export @h; return the fd or -1. */
int fz_export(struct fz_thread *t, __u32 h, bool fuzz)
{
	struct fastipc_handle_fd hf;
	fz_emask e = FZ_E_BASE | FZ_E(ENOENT) | FZ_E(EMFILE);
	int err;

	memset(&hf, 0, sizeof(hf));
	hf.handle = h;
	hf.fd = -1;
	if (fuzz && fz_chance(&t->r, 1, 8)) {
		if (fz_chance(&t->r, 1, 2))
			hf.flags = 1;
		else
			hf.reserved = 1;
		e = FZ_E(EINVAL) | FZ_E(EPIPE);
	}
	err = fz_ioctl(t->p->fd, FASTIPC_IOC_HANDLE_EXPORT, &hf);
	fz_result(FZ_SITE_EXPORT, err, e, NULL);
	return err ? -1 : hf.fd;
}

/* Import @efd; return 0 or the errno (counted against @expect). */
int fz_import(struct fz_thread *t, int fd, int efd, fz_emask expect,
	      __u32 *h)
{
	struct fastipc_handle_fd hf;
	int err;

	memset(&hf, 0, sizeof(hf));
	hf.fd = efd;
	err = fz_ioctl(fd, FASTIPC_IOC_HANDLE_IMPORT, &hf);
	fz_result(fd == t->p->fd ? FZ_SITE_IMPORT : FZ_SITE_FOREIGN, err,
		  expect, NULL);
	if (!err && fd == t->p->fd) {
		if (!hf.handle)
			fz_finding(FZ_F_ORACLE, "HANDLE_IMPORT gave handle 0");
		else
			fz_handle_add(t->p, hf.handle, false);
	}
	if (h)
		*h = hf.handle;
	return err;
}

void fz_op_export(struct fz_thread *t)
{
	bool valid;
	__u32 h = fz_handle_pick(t, &valid);
	int efd = fz_export(t, h, true), s;

	if (efd < 0)
		return;
	switch (fz_below(&t->r, 4)) {
	case 0:		/* back into ourselves: one more count */
		fz_import(t, t->p->fd, efd, FZ_E_BASE | FZ_E(EOVERFLOW) |
			  FZ_E(ENOSPC), NULL);
		close(efd);
		break;
	case 1:		/* to another worker */
		s = fz_below(&t->r, fz_sh->cfg.procs);
		fz_publish(t, s, efd);
		close(efd);
		break;
	default:
		fz_fd_add(t->p, efd, FZ_FD_EXPORT);
	}
}

void fz_op_import(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	int fd;

	switch (fz_below(&t->r, 10)) {
	case 0:
		fz_import(t, p->fd, fz_chance(&t->r, 1, 2) ? -1 : 999,
			  FZ_E(EBADF) | FZ_E(EPIPE), NULL);
		return;
	case 1:		/* not an exported handle */
		fz_import(t, p->fd, fz_chance(&t->r, 1, 2) ? p->pipe[0] : p->fd,
			  FZ_E(EINVAL) | FZ_E(EPIPE), NULL);
		return;
	case 2:
		fd = fz_fd_peek(t, FZ_FD_FOREIGN);
		if (fd >= 0)
			fz_import(t, p->fd, fd, FZ_E(EINVAL) | FZ_E(EBADF) |
				  FZ_E(EPIPE), NULL);
		return;
	default:
		break;
	}
	fd = fz_fd_take(p, FZ_FD_EXPORT);
	if (fd < 0)
		return;
	fz_import(t, p->fd, fd, FZ_E_BASE | FZ_E(EOVERFLOW) | FZ_E(ENOSPC),
		  NULL);
	if (fz_chance(&t->r, 1, 3))
		fz_fd_add(p, fd, FZ_FD_EXPORT);	/* import it again later */
	else
		close(fd);
}

void fz_op_max_threads(struct fz_thread *t)
{
	static const __u32 vals[] = { 0, 1, 2, 15, 16, 0xffffffffU };
	__u32 v = vals[fz_below(&t->r, FZ_ARRAY_SIZE(vals))];
	bool bad = fz_chance(&t->r, 1, 10);

	fz_result(FZ_SITE_MAX_THREADS,
		  fz_ioctl(t->p->fd, FASTIPC_IOC_SET_MAX_THREADS,
			   bad ? (void *)t->p->guard : &v),
		  bad ? FZ_E(EFAULT) | FZ_E(EPIPE) : FZ_E_BASE, NULL);
}

void fz_op_bad_ioctl(struct fz_thread *t)
{
	int fd = t->p->fd;
	char buf[256];

	memset(buf, 0, sizeof(buf));
	switch (fz_below(&t->r, 6)) {
	case 0:		/* a number we do not know */
		fz_result(FZ_SITE_BAD_IOCTL,
			  fz_ioctl(fd, _IOWR(FASTIPC_IOC_MAGIC,
					     7 + fz_below(&t->r, 249), __u64),
				   buf), FZ_E(ENOTTY), "unknown nr");
		break;
	case 1:		/* a known number with the wrong size */
		fz_result(FZ_SITE_BAD_IOCTL,
			  fz_ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE,
					    FASTIPC_IOC_MAGIC, 1,
					    64 + 8 * fz_below(&t->r, 8)), buf),
			  FZ_E(ENOTTY), "wrong size");
		break;
	case 2:		/* another driver's type */
		fz_result(FZ_SITE_BAD_IOCTL, fz_ioctl(fd, _IO('T', 1), buf),
			  FZ_E(ENOTTY), "other type");
		break;
	case 3:
		fz_result(FZ_SITE_BAD_IOCTL,
			  fz_ioctl(fd, FASTIPC_IOC_WRITE_READ, NULL),
			  FZ_E(EFAULT) | FZ_E(EPIPE), "WRITE_READ NULL");
		break;
	case 4:
		fz_result(FZ_SITE_BAD_IOCTL,
			  fz_ioctl(fd, FASTIPC_IOC_HANDLE_IMPORT, t->p->guard),
			  FZ_E(EFAULT) | FZ_E(EPIPE), "IMPORT guard");
		break;
	default:	/* lseek: not seekable */
		fz_result(FZ_SITE_BAD_IOCTL,
			  lseek(fd, 0, SEEK_SET) < 0 ? errno : 0,
			  FZ_E(ESPIPE), "lseek");
	}
}

void fz_op_poll(struct fz_thread *t)
{
	struct pollfd pfd = { .fd = t->p->fd, .events = POLLIN };
	int n;

	fz_timer_arm(t, 200);
	n = poll(&pfd, 1, fz_below(&t->r, 20));
	fz_timer_disarm(t);
	fz_result(FZ_SITE_POLL, n < 0 ? errno : 0, FZ_E(0) | FZ_E(EINTR),
		  NULL);
	if (n == 1 && pfd.revents & POLLHUP)
		fz_peer_dead_check(t, "poll");
	else if (n == 1 && pfd.revents & POLLIN)
		fz_op_serve(t);
}

/* The mapping rules of the receive area. */
void fz_op_mmap(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	fz_emask refused = FZ_E(EBUSY) | FZ_E(EINVAL) | FZ_E(EPERM) |
			   FZ_E(EPIPE);
	size_t size = 4096;
	void *m;
	int err;

	switch (fz_below(&t->r, 7)) {
	case 0:		/* a second mapping */
		m = mmap(NULL, size, PROT_READ, MAP_SHARED, p->fd, 0);
		break;
	case 1:		/* writable */
		m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 p->fd, 0);
		break;
	case 2:		/* over the maximum, or empty */
		size = fz_chance(&t->r, 1, 2) ? FZ_MAX_AREA + 4096 : 0;
		m = mmap(NULL, size, PROT_READ, MAP_SHARED, p->fd, 0);
		break;
	case 3:		/* at an offset */
		m = mmap(NULL, size, PROT_READ, MAP_SHARED, p->fd, 4096);
		break;
	case 4:
		if (!p->area)
			return;
		err = mprotect(p->area, p->area_size, PROT_READ | PROT_WRITE) ?
		      errno : 0;
		fz_result(FZ_SITE_MPROTECT, err, FZ_E(EACCES), NULL);
		return;
	case 5:		/* grow or move it */
		if (!p->area)
			return;
		m = mremap(p->area, p->area_size, p->area_size * 2,
			   MREMAP_MAYMOVE);
		err = m == MAP_FAILED ? errno : 0;
		fz_result(FZ_SITE_MREMAP, err, FZ_E(EFAULT) | FZ_E(EINVAL) |
			  FZ_E(ENOMEM), "grow");
		if (!err)
			fz_finding(FZ_F_ORACLE, "mremap of the area succeeded");
		return;
	default:	/* unmap half of it: a split */
		if (!p->area || p->area_size < 8192)
			return;
		err = munmap((char *)p->area + 4096, 4096) ? errno : 0;
		fz_result(FZ_SITE_MREMAP, err, FZ_E(EINVAL), "partial munmap");
		if (!err)
			fz_finding(FZ_F_ORACLE, "partial munmap of the area succeeded");
		return;
	}
	err = m == MAP_FAILED ? errno : 0;
	fz_result(FZ_SITE_MMAP, err, refused, NULL);
	if (!err)
		fz_finding(FZ_F_ORACLE, "a second or bad mapping of the area succeeded");
}

/* Close a second descriptor of our peer (flush from its owner). */
void fz_op_dup_close(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	int fd;

	pthread_mutex_lock(&p->lock);
	fd = p->dupfd;
	p->dupfd = -1;
	pthread_mutex_unlock(&p->lock);
	if (fd >= 0)
		close(fd);
	if (fz_chance(&t->r, 1, 2)) {
		fd = dup(p->fd);
		pthread_mutex_lock(&p->lock);
		if (p->dupfd < 0) {
			p->dupfd = fd;
			fd = -1;
		}
		pthread_mutex_unlock(&p->lock);
		if (fd >= 0)
			close(fd);
	}
	fz_peer_dead_check(t, "close of a dup");
}

/* Our thread's scheduling: lent priorities are raised from this. */
void fz_op_prio(struct fz_thread *t)
{
	struct sched_param sp = { 0 };

	switch (fz_below(&t->r, 8)) {
	case 0:
		sp.sched_priority = 1 + fz_below(&t->r, 3);
		sched_setscheduler(0, fz_chance(&t->r, 1, 2) ? SCHED_FIFO :
				   SCHED_RR, &sp);
		break;
	case 1:
		sched_setscheduler(0, SCHED_BATCH, &sp);
		break;
	case 2:
		sched_setscheduler(0, SCHED_IDLE, &sp);
		break;
	default:
		sched_setscheduler(0, SCHED_OTHER, &sp);
		setpriority(PRIO_PROCESS, t->tid, -20 + (int)fz_below(&t->r, 40));
	}
}
