/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastipc-bench: thin wrappers over the fastipc ioctls, with an ioctl
 * counter so that the benchmark reports how many it really issued.
 */
#ifndef _FASTIPC_BENCH_FIPC_H
#define _FASTIPC_BENCH_FIPC_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/fastipc.h>

#define FIPC_DEV	"/dev/fastipc"
#define FIPC_PRIO_PARAM	"/sys/module/fastipc/parameters/inherit_priority"

/* Codes the benchmark's clients and servers agree on. */
#define FB_CODE_RT	1	/* a round trip: answer with the same size */
#define FB_CODE_BATCH	2	/* payload: struct fb_batch */
#define FB_CODE_WORK	3	/* priority demo: spin, then answer */

/* The batch header every mechanism's server receives first. */
struct fb_batch {
	uint64_t len;
	uint64_t count;		/* 0: the server exits */
	uint64_t first;		/* first request's sequence number, 0: any */
	uint64_t stamps_first;	/* these round trips are timed: their */
	uint64_t stamps_count;	/* payloads are checked by the stamps only */
};

/**
 * struct fb_peer - one open of /dev/fastipc with its receive area.
 * @fd: the open.
 * @area: the read-only receive area.
 * @size: its size.
 * @ioctls: ioctls issued through fb_wr() (and the other wrappers).
 */
struct fb_peer {
	int fd;
	const unsigned char *area;
	size_t size;
	uint64_t ioctls;
};

static inline uint64_t fb_ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static inline size_t fb_area_size(size_t max)
{
	size_t s = max < 65536 ? 65536 : max;

	return (s + 4095) & ~(size_t)4095;
}

static inline int fb_open(struct fb_peer *p, size_t area)
{
	void *a;

	memset(p, 0, sizeof(*p));
	p->fd = open(FIPC_DEV, O_RDWR | O_CLOEXEC);
	if (p->fd < 0)
		return -errno;
	if (!area)
		return 0;	/* a peer that only owns nodes */
	a = mmap(NULL, area, PROT_READ, MAP_SHARED, p->fd, 0);
	if (a == MAP_FAILED) {
		int err = -errno;

		close(p->fd);
		p->fd = -1;
		return err;
	}
	p->area = a;
	p->size = area;
	return 0;
}

static inline void fb_close(struct fb_peer *p)
{
	if (p->area)
		munmap((void *)p->area, p->size);
	if (p->fd >= 0)
		close(p->fd);
	p->area = NULL;
	p->fd = -1;
}

static inline struct fastipc_cmd fb_cmd(uint32_t op, uint32_t handle,
					uint64_t code, const void *data,
					uint64_t len)
{
	struct fastipc_cmd c;

	memset(&c, 0, sizeof(c));
	c.op = op;
	c.handle = handle;
	c.code = code;
	c.data = fb_ptr(data);
	c.data_len = len;
	return c;
}

static inline struct fastipc_cmd fb_cmd_free(uint64_t offset)
{
	struct fastipc_cmd c = fb_cmd(FASTIPC_CMD_FREE, 0, 0, NULL, 0);

	c.arg = offset;
	return c;
}

/*
 * One WRITE_READ with @flags (FASTIPC_WR_*): run @n commands, then (when
 * @nrets) wait for and read records.  Return: records read (>= 0) or
 * -errno.  Restarts on EINTR without re-running commands, as the ABI
 * intends.
 */
static inline int fb_wr_flags(struct fb_peer *p, uint32_t flags,
			      const struct fastipc_cmd *cmds, unsigned int n,
			      struct fastipc_ret *rets, unsigned int nrets)
{
	struct fastipc_write_read wr;
	int ret;

	memset(&wr, 0, sizeof(wr));
	wr.flags = flags;
	wr.write_buffer = fb_ptr(cmds);
	wr.write_size = (uint64_t)n * sizeof(*cmds);
	wr.read_buffer = fb_ptr(rets);
	wr.read_size = (uint64_t)nrets * sizeof(*rets);
	do {
		p->ioctls++;
		ret = ioctl(p->fd, FASTIPC_IOC_WRITE_READ, &wr);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	return (int)(wr.read_consumed / sizeof(*rets));
}

/* fb_wr_flags() without flags: the blocking WRITE_READ. */
static inline int fb_wr(struct fb_peer *p, const struct fastipc_cmd *cmds,
			unsigned int n, struct fastipc_ret *rets,
			unsigned int nrets)
{
	return fb_wr_flags(p, 0, cmds, n, rets, nrets);
}

/*
 * Run @cmds, then read until a record other than SPAWN_LOOPER comes.
 * Return: 0 or -errno.
 */
static inline int fb_transact(struct fb_peer *p,
			      const struct fastipc_cmd *cmds, unsigned int n,
			      struct fastipc_ret *r)
{
	int got = fb_wr(p, cmds, n, r, 1);

	while (got >= 0) {
		if (got == 1 && r->op != FASTIPC_RET_SPAWN_LOOPER)
			return 0;
		got = fb_wr(p, NULL, 0, r, 1);
	}
	return got;
}

/* The payload of record @r, or NULL when it lies outside the area. */
static inline const void *fb_payload(const struct fb_peer *p,
				     const struct fastipc_ret *r)
{
	if (r->flags & FASTIPC_RET_INLINE)
		return r->inline_data;
	if (r->offset >= p->size || r->data_len > p->size - r->offset)
		return NULL;
	return p->area + r->offset;
}

static inline bool fb_has_buffer(const struct fastipc_ret *r)
{
	return !(r->flags & FASTIPC_RET_INLINE) &&
	       (r->op == FASTIPC_RET_TRANSACTION || r->op == FASTIPC_RET_REPLY);
}

static inline int fb_node_create(struct fb_peer *p, uint32_t flags,
				 uint64_t cookie, uint32_t *handle)
{
	struct fastipc_node_create nc;

	memset(&nc, 0, sizeof(nc));
	nc.flags = flags;
	nc.cookie = cookie;
	p->ioctls++;
	if (ioctl(p->fd, FASTIPC_IOC_NODE_CREATE, &nc))
		return -errno;
	*handle = nc.handle;
	return 0;
}

static inline int fb_set_ctx_mgr(struct fb_peer *p, uint32_t handle)
{
	p->ioctls++;
	return ioctl(p->fd, FASTIPC_IOC_SET_CONTEXT_MGR, &handle) ? -errno : 0;
}

/* Return: the exported fd or -errno. */
static inline int fb_export(struct fb_peer *p, uint32_t handle)
{
	struct fastipc_handle_fd hf;

	memset(&hf, 0, sizeof(hf));
	hf.handle = handle;
	hf.fd = -1;
	p->ioctls++;
	if (ioctl(p->fd, FASTIPC_IOC_HANDLE_EXPORT, &hf))
		return -errno;
	return hf.fd;
}

static inline int fb_import(struct fb_peer *p, int efd, uint32_t *handle)
{
	struct fastipc_handle_fd hf;

	memset(&hf, 0, sizeof(hf));
	hf.fd = efd;
	p->ioctls++;
	if (ioctl(p->fd, FASTIPC_IOC_HANDLE_IMPORT, &hf))
		return -errno;
	*handle = hf.handle;
	return 0;
}

static inline int fb_looper_enter(struct fb_peer *p)
{
	struct fastipc_cmd c = fb_cmd(FASTIPC_CMD_LOOPER_ENTER, 0, 0, NULL, 0);

	return fb_wr(p, &c, 1, NULL, 0) < 0 ? -1 : 0;
}

/* fipc.c: the server loop (until a zero batch) and a client call. */
struct srv_stats;
int fb_serve(struct fb_peer *p, struct srv_stats *st, bool verify);

/**
 * struct fb_client - a client's peer and the reply buffer it still holds.
 * @peer: the client's peer.
 * @handle: the handle it calls.
 * @pending: area offset of the last reply's buffer, when @has_pending.
 * @has_pending: a FREE rides with the next call.
 */
struct fb_client {
	struct fb_peer peer;
	uint32_t handle;
	uint64_t pending;
	bool has_pending;
};

int fb_client_call(struct fb_client *c, uint64_t code, const void *data,
		   size_t len, struct fastipc_ret *r);
int fb_client_rt(struct fb_client *c, size_t len, uint64_t seq);
int fb_client_quit(struct fb_client *c);
int fb_client_open(struct fb_client *c, size_t area, int efd);
pid_t fb_spawn_server(size_t area, uint32_t node_flags, bool ctx_mgr,
		      int threads, struct srv_stats *st, int *efd);

#endif /* _FASTIPC_BENCH_FIPC_H */
