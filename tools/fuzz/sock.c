// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: descriptors between processes.  Exported handles, our own
 * peer, pipes and sockets travel over abstract unix datagram sockets (one
 * per worker slot); another process' peer must answer VERSION and nothing
 * else (ECHILD); and an fd cycle: our peer inside a socket whose other end
 * waits in a message to our own node.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "worker.h"

#define FZ_E_BASE	(FZ_E(0) | FZ_E(EPIPE))

static int fz_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

/* ---- unix sockets ---------------------------------------------------------------- */

enum fz_sock_kind { FZ_SK_EXPORT, FZ_SK_PEER, FZ_SK_PIPE, FZ_SK_UNIX };

struct fz_sock_hdr {
	__u32 kind;
	__s32 slot;
	__s32 inc;
	__s32 pid;
};

/* Send @iov and @fd on @sock, to @to if given.  Return: 0 or an errno. */
static int fz_send_fd(int sock, const struct sockaddr_un *to,
		      socklen_t tolen, struct iovec *iov, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr mh;
	struct cmsghdr *cm;

	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_name = (void *)to;
	mh.msg_namelen = to ? tolen : 0;
	mh.msg_iov = iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_DONTWAIT) < 0 ? errno : 0;
}

static int fz_sock_send(struct fz_thread *t, int slot, int fd, int kind)
{
	struct fz_sock_hdr hdr = { kind, t->p->slot, t->p->inc, getpid() };
	struct iovec iov = { &hdr, sizeof(hdr) };
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	fz_sock_name(sun.sun_path + 1, sizeof(sun.sun_path) - 1, slot);
	return fz_send_fd(t->p->sock, &sun,
			  offsetof(struct sockaddr_un, sun_path) + 1 +
			  strlen(sun.sun_path + 1), &iov, fd);
}

/* Hand exported handle @efd to worker @slot (the fd stays ours). */
int fz_publish(struct fz_thread *t, int slot, int efd)
{
	int err = fz_sock_send(t, slot, efd, FZ_SK_EXPORT);

	fz_result(FZ_SITE_SOCK, err, FZ_E(0) | FZ_E(EAGAIN) |
		  FZ_E(ECONNREFUSED) | FZ_E(ENOENT) | FZ_E(ETOOMANYREFS) |
		  FZ_E(ENOBUFS), "publish");
	return err;
}

void fz_op_sock_send(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	int slot = fz_below(&t->r, fz_sh->cfg.procs), fd = -1, kind;
	int sv[2];
	bool valid;

	switch (fz_below(&t->r, 6)) {
	case 0:
	case 1:
	case 2:
		fd = fz_export(t, fz_handle_pick(t, &valid), false);
		kind = FZ_SK_EXPORT;
		break;
	case 3:		/* our own peer: the receiver must get ECHILD */
		fd = dup(p->fd);
		kind = FZ_SK_PEER;
		break;
	case 4:
		fd = dup(p->pipe[fz_below(&t->r, 2)]);
		kind = FZ_SK_PIPE;
		break;
	default:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
			return;
		fz_fd_add(p, sv[0], FZ_FD_UNIX);
		fd = sv[1];
		kind = FZ_SK_UNIX;
	}
	if (fd < 0)
		return;
	fz_result(FZ_SITE_SOCK, fz_sock_send(t, slot, fd, kind),
		  FZ_E(0) | FZ_E(EAGAIN) | FZ_E(ECONNREFUSED) | FZ_E(ENOENT) |
		  FZ_E(ETOOMANYREFS) | FZ_E(ENOBUFS), "sendmsg");
	close(fd);
}

/*
 * Another process' peer: VERSION works, everything else is ECHILD, poll
 * says EPOLLERR; and it must be refused as a message fd (msg.c).
 */
static void fz_foreign_checks(struct fz_thread *t, int fd)
{
	struct fastipc_version v;
	struct fastipc_write_read wr;
	struct fastipc_node_create nc;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	void *m;

	fz_result(FZ_SITE_FOREIGN, fz_ioctl(fd, FASTIPC_IOC_VERSION, &v),
		  FZ_E(0), "VERSION");
	memset(&wr, 0, sizeof(wr));
	fz_result(FZ_SITE_FOREIGN, fz_ioctl(fd, FASTIPC_IOC_WRITE_READ, &wr),
		  FZ_E(ECHILD), "WRITE_READ");
	memset(&nc, 0, sizeof(nc));
	fz_result(FZ_SITE_FOREIGN, fz_ioctl(fd, FASTIPC_IOC_NODE_CREATE, &nc),
		  FZ_E(ECHILD), "NODE_CREATE");
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	fz_result(FZ_SITE_FOREIGN, m == MAP_FAILED ? errno : 0, FZ_E(ECHILD),
		  "mmap");
	if (m != MAP_FAILED)
		munmap(m, 4096);
	poll(&pfd, 1, 0);
	if (!(pfd.revents & POLLERR))
		fz_finding(FZ_F_ORACLE, "poll on another process' peer: revents %#x",
			   pfd.revents);
	fz_import(t, fd, t->p->pipe[0], FZ_E(ECHILD), NULL);
}

/* Read what other workers sent us; at most @max messages. */
int fz_sock_recv_all(struct fz_thread *t, unsigned int max)
{
	struct fz_proc *p = t->p;
	unsigned int got = 0;

	while (got < max) {
		char cbuf[CMSG_SPACE(sizeof(int) * 4)];
		struct fz_sock_hdr hdr;
		struct iovec iov = { &hdr, sizeof(hdr) };
		struct msghdr mh;
		struct cmsghdr *cm;
		ssize_t n;
		int fd;

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		n = recvmsg(p->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			break;
		got++;
		cm = CMSG_FIRSTHDR(&mh);
		if (n != sizeof(hdr) || !cm || cm->cmsg_type != SCM_RIGHTS)
			continue;
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		switch (hdr.kind) {
		case FZ_SK_EXPORT:
			fz_import(t, p->fd, fd, FZ_E_BASE | FZ_E(EOVERFLOW) |
				  FZ_E(ENOSPC), NULL);
			if (fz_chance(&t->r, 1, 4))
				fz_fd_add(p, fd, FZ_FD_EXPORT);
			else
				close(fd);
			break;
		case FZ_SK_PEER:
			if (hdr.pid == getpid()) {
				close(fd);	/* our own, still ours */
				break;
			}
			fz_foreign_checks(t, fd);
			if (fz_chance(&t->r, 1, 3))
				fz_fd_add(p, fd, FZ_FD_FOREIGN);
			else
				close(fd);
			break;
		case FZ_SK_PIPE:
			fz_fd_add(p, fd, FZ_FD_PIPE);
			break;
		default:
			fz_fd_add(p, fd, FZ_FD_UNIX);
		}
	}
	return got;
}

void fz_op_sock_recv(struct fz_thread *t)
{
	fz_sock_recv_all(t, 1 + fz_below(&t->r, 8));
}

void fz_op_foreign(struct fz_thread *t)
{
	int fd = fz_fd_take(t->p, FZ_FD_FOREIGN);

	if (fd < 0)
		return;
	fz_foreign_checks(t, fd);
	if (fz_chance(&t->r, 1, 2))
		fz_fd_add(t->p, fd, FZ_FD_FOREIGN);
	else
		close(fd);
}

/*
 * An fd cycle: our own peer inside a unix socket whose other end travels
 * in a message to one of our nodes (or someone else's).  Nobody may keep
 * anything alive once everything is closed (counters go back to 0).
 */
void fz_op_fd_cycle(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	int sv[2], err, pfd;
	char byte = 'C';
	struct iovec iov = { &byte, 1 };
	struct fastipc_cmd *c = &t->cmds[0];
	__u32 flags = 0, h;
	bool valid;

	pthread_rwlock_rdlock(&p->peer_lock);
	pfd = p->fd >= 0 ? dup(p->fd) : -1;
	if (pfd < 0) {
		pthread_rwlock_unlock(&p->peer_lock);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		close(pfd);
		pthread_rwlock_unlock(&p->peer_lock);
		return;
	}
	err = fz_send_fd(sv[0], NULL, 0, &iov, pfd);
	fz_result(FZ_SITE_SOCK, err, FZ_E(0), "cycle sendmsg");
	close(pfd);
	h = fz_chance(&t->r, 2, 3) ? fz_own_node(t, &flags) :
	    fz_handle_pick(t, &valid);
	memset(c, 0, sizeof(*c));
	c->op = FASTIPC_CMD_SEND;
	c->handle = h;
	t->fbuf[0] = sv[1];
	c->fds = (__u64)(uintptr_t)t->fbuf;
	c->n_fds = 1;
	t->cx[0] = (struct fz_cmdx){ .kind = FZ_CX_PLAIN,
		.expect = FZ_E_BASE | FZ_E(EPERM) | FZ_E(ENOENT) |
			  FZ_E(ENOSPC) };
	fz_wr(t, 1, 0, 0, false, NULL);
	close(sv[0]);
	close(sv[1]);
	pthread_rwlock_unlock(&p->peer_lock);
	/*
	 * Replace the peer at once: nobody reads the old one's queue any
	 * more, the message keeps the socket, the socket keeps the peer.
	 */
	if (!fz_sh->cfg.no_chaos && fz_chance(&t->r, 1, 3))
		fz_op_reopen(t);
}
