/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastipc selftests: small helpers shared by the suites.
 *
 * Every helper returns 0 (or a count) on success and a negative errno on
 * failure so that callers can assert the exact error.  None of them uses the
 * harness' assertions, which are not safe outside the test's main thread.
 */
#ifndef _FASTIPC_UTIL_H
#define _FASTIPC_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/fastipc.h>

/* The ABI's sizes, as the module checks them at build time too. */
_Static_assert(sizeof(struct fastipc_version) == 40, "fastipc_version");
_Static_assert(sizeof(struct fastipc_node_create) == 32, "node_create");
_Static_assert(sizeof(struct fastipc_handle_fd) == 16, "handle_fd");
_Static_assert(sizeof(struct fastipc_cmd) == 80, "fastipc_cmd");
_Static_assert(sizeof(struct fastipc_ret) == 136, "fastipc_ret");
_Static_assert(sizeof(struct fastipc_write_read) == 56, "write_read");

#define FIPC_DEV	"/dev/fastipc"
#define FIPC_DEBUGFS	"/sys/kernel/debug"
#define FIPC_STATS	FIPC_DEBUGFS "/fastipc/stats"
#define FIPC_CMD_SIZE	((unsigned long)sizeof(struct fastipc_cmd))
#define FIPC_RET_SIZE	((unsigned long)sizeof(struct fastipc_ret))
#define FIPC_MIB	(1024UL * 1024UL)
#define FIPC_DEF_MAX_AREA	(16 * FIPC_MIB)

/* Codes the suites agree on for their little servers. */
#define FIPC_CODE_QUIT	0x51554954ULL	/* "QUIT": the server loop ends */

_Static_assert(sizeof(struct fastipc_cmd) == 80, "command record size");
_Static_assert(sizeof(struct fastipc_ret) == 136, "return record size");

static inline pid_t fipc_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static inline __u64 fipc_ptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

static inline void fipc_msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- peers ------------------------------------------------------------ */

/**
 * struct fipc_peer - one open of the device and its receive area.
 * @fd: the open, -1 when closed.
 * @area: the mapped receive area, NULL without one.
 * @size: bytes mapped at @area.
 */
struct fipc_peer {
	int fd;
	void *area;
	size_t size;
};

static inline int fipc_open(void)
{
	int fd = open(FIPC_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Open a peer and, when @size is not zero, map a receive area of @size. */
static inline int fipc_peer_open(struct fipc_peer *p, size_t size)
{
	p->fd = -1;
	p->area = NULL;
	p->size = 0;
	p->fd = fipc_open();
	if (p->fd < 0)
		return p->fd;
	if (!size)
		return 0;
	p->area = mmap(NULL, size, PROT_READ, MAP_SHARED, p->fd, 0);
	if (p->area == MAP_FAILED) {
		int err = -errno;

		p->area = NULL;
		close(p->fd);
		p->fd = -1;
		return err;
	}
	p->size = size;
	return 0;
}

static inline void fipc_peer_close(struct fipc_peer *p)
{
	if (p->area)
		munmap(p->area, p->size);
	if (p->fd >= 0)
		close(p->fd);
	p->area = NULL;
	p->size = 0;
	p->fd = -1;
}

/* ---- commands ----------------------------------------------------------- */

static inline struct fastipc_cmd fipc_cmd(__u32 op, __u32 handle, __u64 code,
					  const void *data, __u64 len)
{
	struct fastipc_cmd c;

	memset(&c, 0, sizeof(c));
	c.op = op;
	c.handle = handle;
	c.code = code;
	c.data = fipc_ptr(data);
	c.data_len = len;
	return c;
}

static inline struct fastipc_cmd fipc_cmd_call(__u32 handle, __u64 code,
					       const void *data, __u64 len)
{
	return fipc_cmd(FASTIPC_CMD_CALL, handle, code, data, len);
}

static inline struct fastipc_cmd fipc_cmd_send(__u32 handle, __u64 code,
					       const void *data, __u64 len)
{
	return fipc_cmd(FASTIPC_CMD_SEND, handle, code, data, len);
}

static inline struct fastipc_cmd fipc_cmd_reply(__u64 txn_id, __u64 code,
						const void *data, __u64 len)
{
	struct fastipc_cmd c = fipc_cmd(FASTIPC_CMD_REPLY, 0, code, data, len);

	c.txn_id = txn_id;
	return c;
}

static inline struct fastipc_cmd fipc_cmd_reply_error(__u64 txn_id, __u64 err)
{
	struct fastipc_cmd c = fipc_cmd(FASTIPC_CMD_REPLY_ERROR, 0, err, NULL, 0);

	c.txn_id = txn_id;
	return c;
}

/* FREE, ACQUIRE, RELEASE, *_DEATH, LOOPER_*: an op, a handle, an arg. */
static inline struct fastipc_cmd fipc_cmd_op(__u32 op, __u32 handle, __u64 arg)
{
	struct fastipc_cmd c = fipc_cmd(op, handle, 0, NULL, 0);

	c.arg = arg;
	return c;
}

/**
 * fipc_wr() - one WRITE_READ.
 * @fd: the peer.
 * @flags: FASTIPC_WR_* flags.
 * @cmds: @ncmds commands to execute (may be NULL with @ncmds 0).
 * @rets: room for @nrets records (may be NULL with @nrets 0: no read phase).
 * @out: when not NULL, receives the final struct (consumed counters).
 *
 * Restarts after EINTR as the ABI intends (consumed counters kept).
 * Return: 0 or -errno.
 */
static inline int fipc_wr(int fd, __u32 flags, const struct fastipc_cmd *cmds,
			  unsigned int ncmds, struct fastipc_ret *rets,
			  unsigned int nrets, struct fastipc_write_read *out)
{
	struct fastipc_write_read wr;
	int ret;

	memset(&wr, 0, sizeof(wr));
	wr.flags = flags;
	wr.write_buffer = fipc_ptr(cmds);
	wr.write_size = (__u64)ncmds * FIPC_CMD_SIZE;
	wr.read_buffer = fipc_ptr(rets);
	wr.read_size = (__u64)nrets * FIPC_RET_SIZE;
	do {
		ret = ioctl(fd, FASTIPC_IOC_WRITE_READ, &wr);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		ret = -errno;
	if (out)
		*out = wr;
	return ret;
}

/* Execute commands, no read phase.  @consumed: bytes consumed (optional). */
static inline int fipc_write(int fd, const struct fastipc_cmd *cmds,
			     unsigned int n, unsigned long *consumed)
{
	struct fastipc_write_read wr;
	int ret = fipc_wr(fd, 0, cmds, n, NULL, 0, &wr);

	if (consumed)
		*consumed = wr.write_consumed;
	return ret;
}

static inline int fipc_write1(int fd, struct fastipc_cmd c)
{
	return fipc_write(fd, &c, 1, NULL);
}

/* Read up to @n records.  Return: number of records read or -errno. */
static inline int fipc_read(int fd, __u32 flags, struct fastipc_ret *rets,
			    unsigned int n)
{
	struct fastipc_write_read wr;
	int ret = fipc_wr(fd, flags, NULL, 0, rets, n, &wr);

	return ret < 0 ? ret : (int)(wr.read_consumed / FIPC_RET_SIZE);
}

/*
 * Read exactly one record that is not SPAWN_LOOPER (those are only advice).
 * @spawn, when not NULL, counts the SPAWN_LOOPER records skipped.
 */
static inline int fipc_read_one(int fd, __u32 flags, struct fastipc_ret *r,
				unsigned int *spawn)
{
	for (;;) {
		int n = fipc_read(fd, flags, r, 1);

		if (n < 0)
			return n;
		if (n != 1)
			return -EIO;
		if (r->op != FASTIPC_RET_SPAWN_LOOPER)
			return 0;
		if (spawn)
			(*spawn)++;
	}
}

/*
 * Execute @cmds (typically ending with a CALL) then read the first record
 * that is not SPAWN_LOOPER into @r.  Return: 0 or -errno of the write phase.
 */
static inline int fipc_transact(int fd, const struct fastipc_cmd *cmds,
				unsigned int n, struct fastipc_ret *r)
{
	struct fastipc_write_read wr;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = fipc_wr(fd, 0, cmds, n, r, 1, &wr);
	if (ret < 0)
		return ret;
	if (wr.read_consumed == FIPC_RET_SIZE &&
	    r->op != FASTIPC_RET_SPAWN_LOOPER)
		return 0;
	return fipc_read_one(fd, 0, r, NULL);
}

/* One CALL with a flat payload; the answer record lands in @r. */
static inline int fipc_call(int fd, __u32 handle, __u64 code, const void *data,
			    __u64 len, struct fastipc_ret *r)
{
	struct fastipc_cmd c = fipc_cmd_call(handle, code, data, len);

	return fipc_transact(fd, &c, 1, r);
}

static inline int fipc_send(int fd, __u32 handle, __u64 code, const void *data,
			    __u64 len)
{
	return fipc_write1(fd, fipc_cmd_send(handle, code, data, len));
}

static inline int fipc_free(int fd, __u64 offset)
{
	return fipc_write1(fd, fipc_cmd_op(FASTIPC_CMD_FREE, 0, offset));
}

/* Where the payload of @r is: inline data or the area. */
static inline const void *fipc_payload(const struct fipc_peer *p,
				       const struct fastipc_ret *r)
{
	if (r->flags & FASTIPC_RET_INLINE)
		return r->inline_data;
	if (!p->area || r->offset >= p->size || r->data_len > p->size - r->offset)
		return NULL;
	return (const char *)p->area + r->offset;
}

static inline const __u32 *fipc_ret_handles(const struct fipc_peer *p,
					    const struct fastipc_ret *r)
{
	return (const __u32 *)((const char *)p->area + r->offset +
			       ((r->data_len + 7) & ~7ULL));
}

static inline const __s32 *fipc_ret_fds(const struct fipc_peer *p,
					const struct fastipc_ret *r)
{
	return (const __s32 *)(fipc_ret_handles(p, r) + r->n_handles);
}

/* Release the area buffer of @r if it has one. */
static inline int fipc_release_ret(int fd, const struct fastipc_ret *r)
{
	if (r->flags & FASTIPC_RET_INLINE)
		return 0;
	if (r->op != FASTIPC_RET_TRANSACTION && r->op != FASTIPC_RET_REPLY)
		return 0;
	return fipc_free(fd, r->offset);
}

/*
 * Record the first failure of a helper thread (the harness' assertions are
 * for the main thread only): @s has int fail (a source line) and long
 * fail_val.
 */
#define FIPC_SFAIL(s, v) do { \
	if (!(s)->fail) { \
		(s)->fail = __LINE__; \
		(s)->fail_val = (long)(v); \
	} \
} while (0)

/* ---- nodes and handles ---------------------------------------------------- */

static inline int fipc_node_create(int fd, __u32 flags, __u64 cookie,
				   __u32 *handle)
{
	struct fastipc_node_create nc;

	*handle = 0;
	memset(&nc, 0, sizeof(nc));
	nc.flags = flags;
	nc.cookie = cookie;
	if (ioctl(fd, FASTIPC_IOC_NODE_CREATE, &nc))
		return -errno;
	*handle = nc.handle;
	return 0;
}

/* Return: the exported fd or -errno. */
static inline int fipc_export(int fd, __u32 handle)
{
	struct fastipc_handle_fd hf;

	memset(&hf, 0, sizeof(hf));
	hf.handle = handle;
	hf.fd = -1;
	if (ioctl(fd, FASTIPC_IOC_HANDLE_EXPORT, &hf))
		return -errno;
	return hf.fd;
}

static inline int fipc_import(int fd, int efd, __u32 *handle)
{
	struct fastipc_handle_fd hf;

	*handle = 0;
	memset(&hf, 0, sizeof(hf));
	hf.fd = efd;
	if (ioctl(fd, FASTIPC_IOC_HANDLE_IMPORT, &hf))
		return -errno;
	*handle = hf.handle;
	return 0;
}

/* Give peer @dst a handle to the node of @src's handle @h (export+import). */
static inline int fipc_share(int src, __u32 h, int dst, __u32 *dst_handle)
{
	int efd = fipc_export(src, h);
	int ret;

	if (efd < 0)
		return efd;
	ret = fipc_import(dst, efd, dst_handle);
	close(efd);
	return ret;
}

/* ---- fds over a unix socket (to bootstrap across processes) ------------- */

/*
 * Pass @n (at most 253, SCM_MAX_FD) descriptors in one message of one byte.
 * Return: 0 or -errno (-EPIPE when the other end is gone; no SIGPIPE).
 */
static inline int fipc_sock_send_fds(int sock, const int *fds, unsigned int n)
{
	char cbuf[CMSG_SPACE(253 * sizeof(int))];
	char byte = 'F';
	struct iovec iov = { &byte, 1 };
	struct msghdr mh;
	struct cmsghdr *cm;

	if (n > 253)
		return -EINVAL;
	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

static inline int fipc_sock_send_fd(int sock, int fd)
{
	return fipc_sock_send_fds(sock, &fd, 1);
}

/* Return: the received fd or -errno (-EPIPE on end of file). */
static inline int fipc_sock_recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;
	int fd;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* One byte through a pipe: the suites' synchronisation primitive. */
static inline int fipc_signal(int wfd, char c)
{
	ssize_t n;

	do {
		n = write(wfd, &c, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -errno;
}

/* Return: the byte read, or -errno (-EPIPE on end of file). */
static inline int fipc_wait(int rfd)
{
	unsigned char c;
	ssize_t n;

	do {
		n = read(rfd, &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? c : -EPIPE;
}

/* ---- owners in forked children ------------------------------------------ */

/*
 * Fork an owner: it opens its own peer (1 MiB area), creates a node with
 * @cookie, sends the export fd back through a socket, then runs @body and
 * exits.  The parent imports the node into @client_fd as *@h.  The child
 * reads commands from @ctl and answers on @ack; it sees end of file on @ctl
 * when the parent goes away, so no child outlives a failed test for long.
 */
struct fipc_child {
	pid_t pid;
	int ctl;	/* parent's write end */
	int ack;	/* parent's read end */
};

typedef void (*fipc_child_body_t)(int fd, void *area, int ctl, int ack);

static inline int fipc_child_spawn(struct fipc_child *ch, int client_fd,
				   __u64 cookie, __u32 *h,
				   fipc_child_body_t body)
{
	int sv[2], ctl[2], ack[2], efd, ret;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ||
	    pipe2(ctl, O_CLOEXEC) || pipe2(ack, O_CLOEXEC))
		return -errno;
	ch->pid = fork();
	if (ch->pid < 0)
		return -errno;
	if (!ch->pid) {
		struct fipc_peer p;
		__u32 node;

		alarm(30);
		close(client_fd);
		close(sv[0]);
		close(ctl[1]);
		close(ack[0]);
		if (fipc_peer_open(&p, FIPC_MIB) ||
		    fipc_node_create(p.fd, 0, cookie, &node))
			_exit(10);
		efd = fipc_export(p.fd, node);
		if (efd < 0 || fipc_sock_send_fd(sv[1], efd))
			_exit(11);
		close(efd);
		close(sv[1]);
		body(p.fd, p.area, ctl[0], ack[1]);
		_exit(0);
	}
	close(sv[1]);
	close(ctl[0]);
	close(ack[1]);
	ch->ctl = ctl[1];
	ch->ack = ack[0];
	efd = fipc_sock_recv_fd(sv[0]);
	close(sv[0]);
	if (efd < 0)
		return efd;
	ret = fipc_import(client_fd, efd, h);
	close(efd);
	return ret;
}

static inline int fipc_child_reap(struct fipc_child *ch)
{
	int status = -1;

	close(ch->ctl);
	close(ch->ack);
	if (waitpid(ch->pid, &status, 0) != ch->pid)
		return -1;
	return status;
}

/*
 * Wait (at most ~2 s) until thread @tid of this process sleeps, i.e. is
 * blocked in the read phase after having announced that it goes there.
 */
static inline int fipc_wait_sleeping(pid_t tid)
{
	char path[64], buf[512], *p;
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	for (i = 0; i < 200; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -EIO;
		buf[n] = 0;
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return 0;
		fipc_msleep(10);
	}
	return -ETIMEDOUT;
}

/* ---- privileges ------------------------------------------------------------ */

/*
 * The guest runs every suite twice: as root and as an unprivileged user
 * (tools/vm/asuser.c: uid 65534, no groups, no capabilities).  Unprivileged,
 * debugfs (root-only), the module parameters, SET_CONTEXT_MGR
 * (CAP_SYS_ADMIN) and raised priorities (CAP_SYS_NICE) are out of reach: a
 * test that needs them throughout skips with a reason, a check within a test
 * that needs them is left out with a "# skipped check:" note.  guest-check.sh
 * reads the counters as root after each unprivileged run.
 */

/* Does the calling thread have @cap in its effective set? */
static inline bool fipc_has_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

/* Say once per test (the harness forks each one) that a check was left out. */
static inline void fipc_skipped_check(const char *what)
{
	static const char *said[8];
	unsigned int i;

	for (i = 0; i < 8 && said[i]; i++)
		if (!strcmp(said[i], what))
			return;
	if (i < 8)
		said[i] = what;
	fprintf(stderr, "# skipped check: %s\n", what);
}

/*
 * May the counters be read?  Always for root (a failure to read them then
 * fails the checks); otherwise only when debugfs lets us.
 */
static inline bool fipc_debugfs_readable(void)
{
	return !geteuid() || !access(FIPC_STATS, R_OK);
}

/* The same, noting the check left out when they may not. */
static inline bool fipc_debugfs_ok(void)
{
	if (fipc_debugfs_readable())
		return true;
	fipc_skipped_check("debugfs counters (debugfs is root-only)");
	return false;
}

#define FIPC_PARAMS	"/sys/module/fastipc/parameters/"

/* May the module parameters be written (root's, mode 0644)? */
static inline bool fipc_params_writable(void)
{
	return !access(FIPC_PARAMS "max_area_size", W_OK);
}

/* Skip the whole test when it must set module parameters. */
#define FIPC_REQUIRE_PARAMS() do { \
	if (!fipc_params_writable()) \
		SKIP(return, "writes module parameters (root only)"); \
} while (0)

/* Skip the whole test without @cap (the unprivileged lane). */
#define FIPC_REQUIRE_CAP(cap, why) do { \
	if (!fipc_has_cap(cap)) \
		SKIP(return, "needs " #cap ": " why); \
} while (0)

/* A counter reads @val (now, or within 2 s for the _SOON variant). */
#define FIPC_EXPECT_STAT(val, name) do { \
	if (fipc_debugfs_ok()) \
		EXPECT_EQ((val), fipc_stat(name)); \
} while (0)
#define FIPC_EXPECT_STAT_SOON(val, name) do { \
	if (fipc_debugfs_ok()) \
		EXPECT_EQ((val), fipc_wait_stat(name, (val))); \
} while (0)

/* ---- debugfs counters ---------------------------------------------------- */

/**
 * struct fipc_stats - the counters of /sys/kernel/debug/fastipc/stats that
 * every module must have; -1 for a missing line.
 */
struct fipc_stats {
	long peers;
	long threads;
	long nodes;
	long refs;
	long txns;
	long buffers;
	long deaths;
	long exports;
};

#define FIPC_STATS_FMT \
	"peers %ld threads %ld nodes %ld refs %ld txns %ld buffers %ld deaths %ld exports %ld"
#define FIPC_STATS_ARGS(s) (s).peers, (s).threads, (s).nodes, (s).refs, \
	(s).txns, (s).buffers, (s).deaths, (s).exports

/* Mount debugfs if needed (we run as root in the test VM). */
static inline void fipc_debugfs_mount(void)
{
	if (access(FIPC_STATS, R_OK) && errno == ENOENT)
		mount("debugfs", FIPC_DEBUGFS, "debugfs", 0, NULL);
}

static inline int fipc_stats_read(struct fipc_stats *s)
{
	char line[256], key[64];
	long val;
	FILE *f;

	s->peers = s->threads = s->nodes = s->refs = -1;
	s->txns = s->buffers = s->deaths = s->exports = -1;
	fipc_debugfs_mount();
	f = fopen(FIPC_STATS, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld", key, &val) != 2)
			continue;
		if (!strcmp(key, "peers"))
			s->peers = val;
		else if (!strcmp(key, "threads"))
			s->threads = val;
		else if (!strcmp(key, "nodes"))
			s->nodes = val;
		else if (!strcmp(key, "refs"))
			s->refs = val;
		else if (!strcmp(key, "txns"))
			s->txns = val;
		else if (!strcmp(key, "buffers"))
			s->buffers = val;
		else if (!strcmp(key, "deaths"))
			s->deaths = val;
		else if (!strcmp(key, "exports"))
			s->exports = val;
	}
	fclose(f);
	return 0;
}

/* Look one key up.  Return: its value, or -1 when missing/unreadable. */
static inline long fipc_stat(const char *name)
{
	char line[256], key[64];
	long val, ret = -1;
	FILE *f;

	fipc_debugfs_mount();
	f = fopen(FIPC_STATS, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld", key, &val) == 2 &&
		    !strcmp(key, name)) {
			ret = val;
			break;
		}
	}
	fclose(f);
	return ret;
}

static inline bool fipc_stats_equal(const struct fipc_stats *a,
				    const struct fipc_stats *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static inline bool fipc_stats_zero(const struct fipc_stats *s)
{
	return !s->peers && !s->threads && !s->nodes && !s->refs && !s->txns &&
	       !s->buffers && !s->deaths && !s->exports;
}

/*
 * Teardown may finish asynchronously: wait up to 200 x 10 ms for every
 * counter to read zero.  @last gets the last values read.
 * Return: 0 when all are zero, -ETIMEDOUT otherwise, -errno if unreadable.
 */
static inline int fipc_wait_zero(struct fipc_stats *last)
{
	int i, ret;

	for (i = 0; i < 200; i++) {
		ret = fipc_stats_read(last);
		if (ret)
			return ret;
		if (fipc_stats_zero(last))
			return 0;
		fipc_msleep(10);
	}
	return -ETIMEDOUT;
}

/* Wait (200 x 10 ms at most) until counter @name reads @val. */
static inline long fipc_wait_stat(const char *name, long val)
{
	long v = -1;
	int i;

	for (i = 0; i < 200; i++) {
		v = fipc_stat(name);
		if (v == val)
			break;
		fipc_msleep(10);
	}
	return v;
}

/* Fill @buf with a pattern that depends on @seed and the position. */
static inline void fipc_fill(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

/* Return: index of the first byte that differs from the pattern, or -1. */
static inline long fipc_check(const void *buf, size_t len, unsigned int seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 131 + i * 7 + (i >> 8)))
			return (long)i;
	return -1;
}

/*
 * Check that the counters all reach zero.  An EXPECT, not an ASSERT, so that
 * it may be used in FIXTURE_TEARDOWN (an ASSERT there would loop).
 */
#define FIPC_EXPECT_ZERO() do { \
	struct fipc_stats __z; \
	if (fipc_debugfs_ok()) { \
		int __r = fipc_wait_zero(&__z); \
		EXPECT_EQ(0, __r) TH_LOG("counters not zero: " FIPC_STATS_FMT, \
					 FIPC_STATS_ARGS(__z)); \
	} \
} while (0)

/* ---- additions for the hardening suites (harden, teardown) --------------- */

#define FIPC_PARAM_DIR	"/sys/module/fastipc/parameters/"

/* Monotonic time in nanoseconds. */
static inline __u64 fipc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/*
 * Read module parameter @name (a number, or Y/N as 1/0).
 * Return: its value, or -errno (-ENOENT when the module has no such one).
 */
static inline long fipc_param_get(const char *name)
{
	char path[160], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), FIPC_PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	if (buf[0] == 'Y')
		return 1;
	if (buf[0] == 'N')
		return 0;
	return strtol(buf, NULL, 0);
}

/* Write module parameter @name.  Return: 0 or -errno. */
static inline int fipc_param_set(const char *name, long val)
{
	char path[160], buf[32];
	ssize_t n;
	int fd, len;

	snprintf(path, sizeof(path), FIPC_PARAM_DIR "%s", name);
	len = snprintf(buf, sizeof(buf), "%ld", val);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n == len ? 0 : n < 0 ? (int)n : -EIO;
}

/* One WRITE_READ ioctl as it is: no restart after EINTR.  0 or -errno. */
static inline int fipc_wr_once(int fd, struct fastipc_write_read *wr)
{
	return ioctl(fd, FASTIPC_IOC_WRITE_READ, wr) ? -errno : 0;
}

/* NODE_CREATE with a minimum priority (FASTIPC_NODE_MIN_PRIO in @flags). */
static inline int fipc_node_create_min(int fd, __u32 flags, __u64 cookie,
				       __u32 min_policy, int min_priority,
				       __u32 *handle)
{
	struct fastipc_node_create nc;

	*handle = 0;
	memset(&nc, 0, sizeof(nc));
	nc.flags = flags;
	nc.cookie = cookie;
	nc.min_policy = min_policy;
	nc.min_priority = min_priority;
	if (ioctl(fd, FASTIPC_IOC_NODE_CREATE, &nc))
		return -errno;
	*handle = nc.handle;
	return 0;
}

/*
 * Wait at most @ms milliseconds until every counter equals @want (a
 * baseline taken earlier).  @last gets the last values read.
 * Return: 0, -ETIMEDOUT, or -errno when the counters are unreadable.
 */
static inline int fipc_wait_stats(const struct fipc_stats *want,
				  struct fipc_stats *last, unsigned int ms)
{
	__u64 end = fipc_now_ns() + (__u64)ms * 1000000ULL;
	int ret;

	for (;;) {
		ret = fipc_stats_read(last);
		if (ret)
			return ret;
		if (fipc_stats_equal(last, want))
			return 0;
		if (fipc_now_ns() > end)
			return -ETIMEDOUT;
		fipc_msleep(5);
	}
}

/*
 * Scheduler state letter of thread @tid of process @pid ('R', 'S', 'D',
 * ...), from /proc; 0 when it cannot be read (the thread is gone).
 */
static inline char fipc_task_state(pid_t pid, pid_t tid)
{
	char path[80], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Wait at most @ms milliseconds for child @pid.  Return: 0 with *@status
 * set, or -ETIMEDOUT (the child is left as it is: it may be stuck in the
 * kernel, where no signal reaches it).
 */
static inline int fipc_wait_child(pid_t pid, unsigned int ms, int *status)
{
	__u64 end = fipc_now_ns() + (__u64)ms * 1000000ULL;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0)
			return -errno;
		if (fipc_now_ns() > end)
			return -ETIMEDOUT;
		fipc_msleep(5);
	}
}

/*
 * Take the counters' baseline.  Objects an earlier test left are given up
 * to 30 s to settle (an exiting process may still be tearing its peers
 * down), so that the baseline is not a moment of that teardown.
 * Return: 0, or -errno when they cannot be read although they should
 * (root); unprivileged, without debugfs, 0 with every value -1
 * (FIPC_EXPECT_BASELINE then checks nothing).
 */
static inline int fipc_baseline(struct fipc_stats *base)
{
	struct fipc_stats again;
	int i, ret;

	memset(base, 0xff, sizeof(*base));
	if (!fipc_debugfs_readable())
		return 0;
	ret = fipc_stats_read(base);
	for (i = 0; !ret && !fipc_stats_zero(base) && i < 300; i++) {
		fipc_msleep(100);
		ret = fipc_stats_read(&again);
		if (ret || fipc_stats_equal(base, &again))
			break;
		*base = again;
	}
	return ret;
}

/*
 * The counters must come back to the baseline @base within @ms: an EXPECT
 * (usable in teardowns), with both sets of values logged on failure.
 */
#define FIPC_EXPECT_BASELINE(base, ms) do { \
	struct fipc_stats __l; \
	int __r; \
	if (fipc_debugfs_ok()) { \
		__r = fipc_wait_stats(&(base), &__l, (ms)); \
		EXPECT_EQ(0, __r) TH_LOG("counters " FIPC_STATS_FMT, \
					 FIPC_STATS_ARGS(__l)); \
		if (__r) \
			TH_LOG("baseline " FIPC_STATS_FMT, \
			       FIPC_STATS_ARGS(base)); \
	} \
} while (0)

/* Without the device there is nothing to test: skip the whole suite. */
static void __attribute__((constructor)) fipc_require_device(void)
{
	if (access(FIPC_DEV, F_OK) && errno == ENOENT) {
		printf("TAP version 13\n1..0 # SKIP fastipc module not loaded\n");
		exit(4);	/* KSFT_SKIP */
	}
}

#endif /* _FASTIPC_UTIL_H */
