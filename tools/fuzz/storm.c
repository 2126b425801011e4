// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: the death storm (spec item 11).  A private peer P watches
 * 1500+ nodes of another private peer Q; Q goes away, so 1500+ DEAD_NODE
 * notices wait in P's queue; then, while two helper threads of P clear
 * and release them, P itself dies: its area is unmapped (the hardened
 * module kills the peer then) and a thread with a private fd table that
 * holds only P exits (the old module kills the peer then).  Nothing may
 * corrupt a list or lock a CPU; every thread gets out; the counters go
 * back to zero.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "worker.h"

#define FZ_STORM_MAX	2200

struct fz_storm {
	struct fz_thread *t;
	int fd;			/* P */
	__u32 *hs;		/* P's handles to Q's nodes */
	unsigned int n;
	int reverse;
	int go;
};

static int fz_storm_wr(int fd, struct fastipc_cmd *c, unsigned int n,
		       struct fastipc_ret *r, unsigned int nr, __u32 flags,
		       unsigned int *got)
{
	struct fastipc_write_read wr;
	int ret;

	memset(&wr, 0, sizeof(wr));
	wr.flags = flags;
	wr.write_buffer = (__u64)(uintptr_t)c;
	wr.write_size = n * FZ_CMD_SIZE;
	wr.read_buffer = (__u64)(uintptr_t)r;
	wr.read_size = nr * FZ_RET_SIZE;
	do {
		ret = ioctl(fd, FASTIPC_IOC_WRITE_READ, &wr);
	} while (ret < 0 && errno == EINTR);
	if (got)
		*got = wr.read_consumed / FZ_RET_SIZE;
	return ret < 0 ? errno : 0;
}

/* Run every command, skipping over the ones that fail. */
static void fz_storm_run(int fd, struct fastipc_cmd *c, unsigned int n)
{
	struct fastipc_write_read wr;

	memset(&wr, 0, sizeof(wr));
	wr.write_buffer = (__u64)(uintptr_t)c;
	wr.write_size = n * FZ_CMD_SIZE;
	while (wr.write_consumed < wr.write_size) {
		if (ioctl(fd, FASTIPC_IOC_WRITE_READ, &wr) == 0)
			break;
		if (errno == EPIPE)
			break;
		if (errno != EINTR)
			wr.write_consumed += FZ_CMD_SIZE;
	}
}

/* A helper: CLEAR_DEATH and RELEASE on every handle, by batches of 64. */
static void *fz_storm_sweeper(void *arg)
{
	struct fz_storm *s = arg;
	struct fastipc_cmd c[64];
	unsigned int i, k = 0;

	while (!__atomic_load_n(&s->go, __ATOMIC_ACQUIRE))
		sched_yield();
	for (i = 0; i < s->n; i++) {
		__u32 h = s->hs[s->reverse ? s->n - 1 - i : i];

		memset(&c[k], 0, sizeof(c[k]));
		c[k].op = FASTIPC_CMD_CLEAR_DEATH;
		c[k].handle = h;
		c[k].arg = 0x5707;
		k++;
		memset(&c[k], 0, sizeof(c[k]));
		c[k].op = FASTIPC_CMD_RELEASE;
		c[k].handle = h;
		k++;
		if (k == 64 || i == s->n - 1) {
			fz_storm_run(s->fd, c, k);
			k = 0;
		}
	}
	return NULL;
}

/* A thread whose fd table holds P alone: its exit is a flush of P. */
static void *fz_storm_unshare(void *arg)
{
	struct fz_storm *s = arg;

	if (unshare(CLONE_FILES))
		return NULL;
	if (s->fd > 0)
		close_range(0, s->fd - 1, 0);
	close_range(s->fd + 1, ~0U, 0);
	while (!__atomic_load_n(&s->go, __ATOMIC_ACQUIRE))
		sched_yield();
	return NULL;
}

static bool fz_storm_peer_dead(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0 && pfd.revents & POLLHUP;
}

/*
 * P has too few handles for a storm.  P and Q are in our fd table, so a
 * sibling's thread with a private copy of it (unshare, clone without
 * CLONE_FILES) kills both when it exits: then the storm proves nothing.
 */
static void fz_storm_short(struct fz_thread *t, int p, int q, unsigned int k,
			   unsigned int made, unsigned int want, int err)
{
	bool p_dead = fz_storm_peer_dead(p), q_dead = fz_storm_peer_dead(q);

	if ((p_dead || q_dead) &&
	    t->p->dead_cause & (FZ_DEAD_UNSHARE | FZ_DEAD_CLONE)) {
		fz_info(FZ_I_PROBE_VOID);
		return;
	}
	fz_note("death storm: P got only %u of %u handles (Q made %u of %u nodes%s%s%s%s)",
		k, made, made, want, err ? ": " : "", err ? strerror(err) : "",
		p_dead ? ", P dead" : "", q_dead ? ", Q dead" : "");
}

static int fz_storm_node(int fd, __u64 cookie, __u32 *h)
{
	struct fastipc_node_create nc;

	memset(&nc, 0, sizeof(nc));
	nc.cookie = cookie;
	*h = 0;
	if (ioctl(fd, FASTIPC_IOC_NODE_CREATE, &nc))
		return errno;
	*h = nc.handle;
	return 0;
}

static bool fz_storm_join(pthread_t th, const char *who)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += fz_limit_ms(10000) / 1000;
	if (!pthread_timedjoin_np(th, NULL, &ts))
		return true;
	fz_finding(FZ_F_STUCK, "death storm: the %s thread did not finish in %llu ms",
		   who, (unsigned long long)fz_limit_ms(10000));
	pthread_detach(th);
	return false;
}

void fz_op_storm(struct fz_thread *t)
{
	unsigned int want = 1500 + fz_below(&t->r, 600), made = 0, i, k, got;
	struct fz_storm *sw = calloc(2, sizeof(*sw));
	struct fastipc_cmd *c = t->cmds;
	struct fastipc_handle_fd hf;
	struct fastipc_ret r[4];
	__u32 *qh = calloc(FZ_STORM_MAX, sizeof(*qh));
	__u32 *ph = calloc(FZ_STORM_MAX, sizeof(*ph));
	__u32 pnode, qp;
	void *parea = MAP_FAILED;
	int q = -1, p = -1, err = 0;
	pthread_t th[3];
	unsigned int nth = 0;
	bool joined = true;
	sigset_t set, old;

	if (!sw || !qh || !ph)
		goto out;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	q = open(FZ_DEV, O_RDWR | O_CLOEXEC);
	p = open(FZ_DEV, O_RDWR | O_CLOEXEC);
	if (q < 0 || p < 0)
		goto restore;
	parea = mmap(NULL, 65536, PROT_READ, MAP_SHARED, p, 0);
	if (parea == MAP_FAILED || fz_storm_node(p, 1, &pnode))
		goto restore;
	/* Q gets a handle to P's node. */
	memset(&hf, 0, sizeof(hf));
	hf.handle = pnode;
	if (ioctl(p, FASTIPC_IOC_HANDLE_EXPORT, &hf))
		goto restore;
	err = ioctl(q, FASTIPC_IOC_HANDLE_IMPORT, &hf) ? errno : 0;
	close(hf.fd);
	if (err)
		goto restore;
	qp = hf.handle;
	for (made = 0; made < want; made++) {
		err = fz_storm_node(q, 100 + made, &qh[made]);
		if (err)
			break;
	}
	/* Q sends them to P, 1024 per message; P reads them. */
	for (i = 0; i < made; i += FZ_MAX_HANDLES) {
		memset(c, 0, sizeof(*c));
		c->op = FASTIPC_CMD_SEND;
		c->handle = qp;
		c->handles = (__u64)(uintptr_t)(qh + i);
		c->n_handles = made - i < FZ_MAX_HANDLES ? made - i :
			       FZ_MAX_HANDLES;
		if (fz_storm_wr(q, c, 1, NULL, 0, 0, NULL))
			break;
	}
	k = 0;
	for (i = 0; i < 8 && k < made; i++) {
		unsigned int j, m;

		if (fz_storm_wr(p, NULL, 0, r, 4, FASTIPC_WR_NONBLOCK, &got))
			break;
		for (j = 0; j < got; j++) {
			const __u32 *hs;

			if (r[j].op != FASTIPC_RET_TRANSACTION ||
			    r[j].flags & FASTIPC_RET_INLINE ||
			    r[j].offset + 4ULL * r[j].n_handles > 65536)
				continue;
			hs = (const __u32 *)((char *)parea + r[j].offset);
			for (m = 0; m < r[j].n_handles && k < FZ_STORM_MAX; m++)
				ph[k++] = hs[m];
			memset(c, 0, sizeof(*c));
			c->op = FASTIPC_CMD_FREE;
			c->arg = r[j].offset;
			fz_storm_wr(p, c, 1, NULL, 0, 0, NULL);
		}
	}
	if (k < 1024) {
		fz_storm_short(t, p, q, k, made, want, err);
		goto restore;
	}
	/* P watches them all, then Q goes: k notices queue up in P. */
	for (i = 0; i < k; i += 64) {
		unsigned int j, m = k - i < 64 ? k - i : 64;

		for (j = 0; j < m; j++) {
			memset(&c[j], 0, sizeof(c[j]));
			c[j].op = FASTIPC_CMD_REQUEST_DEATH;
			c[j].handle = ph[i + j];
			c[j].arg = 0x5707;
		}
		fz_storm_run(p, c, m);
	}
	close(q);
	q = -1;
	usleep(20000);

	/* P's death races with its threads' clears and releases. */
	for (i = 0; i < 2; i++) {
		sw[i].t = t;
		sw[i].fd = p;
		sw[i].hs = ph;
		sw[i].n = k;
		sw[i].reverse = i;
		if (!pthread_create(&th[nth], NULL, fz_storm_sweeper, &sw[i]))
			nth++;
	}
	if (!pthread_create(&th[nth], NULL, fz_storm_unshare, &sw[0]))
		nth++;
	usleep(fz_below(&t->r, 3000));
	__atomic_store_n(&sw[0].go, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&sw[1].go, 1, __ATOMIC_RELEASE);
	usleep(fz_below(&t->r, 5000));
	munmap(parea, 65536);
	parea = MAP_FAILED;
	for (i = 0; i < nth; i++)
		joined &= fz_storm_join(th[i], i < 2 ? "sweeper" : "unshare");
	fz_trace(t, "death storm: %u notices", k);
restore:
	if (parea != MAP_FAILED)
		munmap(parea, 65536);
	if (q >= 0)
		close(q);
	if (p >= 0 && joined)
		close(p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
	if (joined) {
		free(sw);
		free(ph);
	}
	free(qh);
}
