// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libfastipc: handing a handle to another process over a unix socket, the
 * way two unprivileged processes meet: export, SCM_RIGHTS, import.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* The one data byte that carries the descriptor. */
#define FIPC_SOCK_TAG	'H'

int fastipc_handle_send(struct fastipc_peer *peer, int sock, uint32_t handle)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} c;
	char tag = FIPC_SOCK_TAG;
	struct iovec iov = { &tag, 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = c.buf, .msg_controllen = sizeof(c.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;
	int fd, ret;

	fd = fastipc_handle_export(peer, handle);
	if (fd < 0)
		return fd;
	memset(c.buf, 0, sizeof(c.buf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	ret = n == 1 ? 0 : -errno;
	close(fd);
	return ret;
}

/* Close every descriptor a message carried. */
static void fipc_close_rights(struct msghdr *mh)
{
	struct cmsghdr *cm;
	size_t i, n;
	int fd;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

int fastipc_handle_recv(struct fastipc_peer *peer, int sock, uint32_t *handle)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} c;
	char tag = 0;
	struct iovec iov = { &tag, 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = c.buf, .msg_controllen = sizeof(c.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;
	int fd, ret;

	if (!peer || !handle)
		return -EINVAL;
	*handle = 0;
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	cm = CMSG_FIRSTHDR(&mh);
	if (tag != FIPC_SOCK_TAG || (mh.msg_flags & MSG_CTRUNC) || !cm ||
	    cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int))) {
		fipc_close_rights(&mh);
		return -EPROTO;
	}
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	ret = fastipc_handle_import(peer, fd, handle);
	close(fd);
	return ret;
}
