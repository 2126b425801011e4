// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: processes and threads around a peer: fork (the child may
 * only ask VERSION), exec, threads with a private fd table (unshare, and
 * clone without CLONE_FILES) that exit, signal floods, thread exit, the
 * peer closed and reopened, the area unmapped, self-inflicted SIGKILL.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "worker.h"

#define FZ_E_BASE	(FZ_E(0) | FZ_E(EPIPE))

static int fz_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

/*
 * Wait for @pid at most @ms (scaled); SIGKILL it after that.  Return the
 * status.
 */
static int fz_reap(pid_t pid, unsigned int ms, bool *stuck)
{
	int status = 0;
	unsigned int i;

	*stuck = false;
	for (i = 0; i < fz_limit_ms(ms) / 5; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return status;
		usleep(5000);
	}
	*stuck = true;
	kill(pid, SIGKILL);
	for (i = 0; i < fz_limit_ms(2000) / 5; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(5000);
	}
	return -1;
}

/* ---- fork ------------------------------------------------------------------------ */

static void fz_child_checks(struct fz_thread *t, int fd)
{
	struct fastipc_version v;
	struct fastipc_write_read wr;
	struct fastipc_node_create nc;
	struct fastipc_handle_fd hf;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	__u32 max = 1;
	void *m;

	fz_result(FZ_SITE_CHILD, fz_ioctl(fd, FASTIPC_IOC_VERSION, &v), FZ_E(0),
		  "VERSION");
	memset(&wr, 0, sizeof(wr));
	wr.flags = FASTIPC_WR_NONBLOCK;
	wr.read_buffer = (__u64)(uintptr_t)t->rets;
	wr.read_size = FZ_RET_SIZE;
	fz_result(FZ_SITE_CHILD, fz_ioctl(fd, FASTIPC_IOC_WRITE_READ, &wr),
		  FZ_E(ECHILD), "WRITE_READ");
	memset(&nc, 0, sizeof(nc));
	fz_result(FZ_SITE_CHILD, fz_ioctl(fd, FASTIPC_IOC_NODE_CREATE, &nc),
		  FZ_E(ECHILD), "NODE_CREATE");
	memset(&hf, 0, sizeof(hf));
	hf.handle = 1;
	fz_result(FZ_SITE_CHILD, fz_ioctl(fd, FASTIPC_IOC_HANDLE_EXPORT, &hf),
		  FZ_E(ECHILD), "HANDLE_EXPORT");
	fz_result(FZ_SITE_CHILD, fz_ioctl(fd, FASTIPC_IOC_SET_MAX_THREADS, &max),
		  FZ_E(ECHILD), "SET_MAX_THREADS");
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	fz_result(FZ_SITE_CHILD, m == MAP_FAILED ? errno : 0, FZ_E(ECHILD),
		  "mmap");
	poll(&pfd, 1, 0);
	if (!(pfd.revents & POLLERR))
		fz_finding(FZ_F_ORACLE, "poll from a forked child: revents %#x",
			   pfd.revents);
}

/* The child opens a short-lived peer of its own and calls @efd's node. */
static void fz_child_peer(struct fz_thread *t, int efd)
{
	struct fastipc_handle_fd hf;
	struct fastipc_cmd c;
	struct fastipc_write_read wr;
	struct fastipc_ret r[2];
	void *m;
	int fd = open(FZ_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	m = mmap(NULL, 65536, PROT_READ, MAP_SHARED, fd, 0);
	fz_result(FZ_SITE_CHILD, m == MAP_FAILED ? errno : 0, FZ_E(0),
		  "own mmap");
	if (efd < 0)
		return;
	memset(&hf, 0, sizeof(hf));
	hf.fd = efd;
	if (fz_ioctl(fd, FASTIPC_IOC_HANDLE_IMPORT, &hf))
		return;
	memset(&c, 0, sizeof(c));
	c.op = fz_chance(&t->r, 1, 2) ? FASTIPC_CMD_CALL : FASTIPC_CMD_SEND;
	c.handle = hf.handle;
	c.data = (__u64)(uintptr_t)t->p->pat;
	c.data_len = fz_below(&t->r, 200);
	if (c.op == FASTIPC_CMD_CALL) {
		c.flags = FASTIPC_TXN_DEADLINE;
		c.arg = fz_now() + 20000000ULL * (1 + fz_below(&t->r, 5));
	}
	memset(&wr, 0, sizeof(wr));
	wr.write_buffer = (__u64)(uintptr_t)&c;
	wr.write_size = sizeof(c);
	wr.read_buffer = (__u64)(uintptr_t)r;
	wr.read_size = c.op == FASTIPC_CMD_CALL ? sizeof(r) : 0;
	fz_result(FZ_SITE_CHILD, fz_ioctl(fd, FASTIPC_IOC_WRITE_READ, &wr),
		  FZ_E(0) | FZ_E(EPIPE) | FZ_E(ENOSPC) | FZ_E(EINTR),
		  "call from a child's own peer");
	/* Exit with everything open, or close first. */
	if (fz_chance(&t->r, 1, 2))
		close(fd);
}

void fz_op_fork(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	int efd = fz_fd_peek(t, FZ_FD_EXPORT);
	unsigned int mode = fz_below(&t->r, 4);
	bool stuck;
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		alarm(fz_limit_ms(10));
		fz_child_checks(t, p->fd);
		if (mode == 1) {
			fz_child_peer(t, efd);
		} else if (mode == 2) {
			/* exec: an inherited peer fd (if not O_CLOEXEC) and
			 * the parent's peer must both survive it.
			 */
			char fd[16];

			snprintf(fd, sizeof(fd), "%d", p->fd);
			execl("/proc/self/exe", "fastipc-fuzz", "--probe-exec",
			      fd, (char *)NULL);
		}
		_exit(0);
	}
	status = fz_reap(pid, 5000, &stuck);
	if (stuck)
		fz_finding(FZ_F_STUCK, "forked child %d (mode %u) did not exit in %llu ms",
			   pid, mode, (unsigned long long)fz_limit_ms(5000));
	else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		fz_finding(FZ_F_CRASH, "forked child died of signal %d",
			   WTERMSIG(status));
	fz_peer_dead_check(t, "a forked child exited");
}

/*
 * --probe-exec FD: the child after exec; FD (if still open, the parent's
 * peer opened without O_CLOEXEC) answers VERSION and ECHILD.
 */
int fz_probe_exec_main(int argc, char **argv)
{
	struct fastipc_version v;
	struct fastipc_write_read wr;
	int fd;

	if (argc < 3 || fz_shared_attach())
		return 1;
	fd = atoi(argv[2]);
	if (fcntl(fd, F_GETFD) < 0)
		return 0;	/* O_CLOEXEC did its job */
	fz_result(FZ_SITE_CHILD, fz_ioctl(fd, FASTIPC_IOC_VERSION, &v), FZ_E(0),
		  "VERSION after exec");
	memset(&wr, 0, sizeof(wr));
	fz_result(FZ_SITE_CHILD, fz_ioctl(fd, FASTIPC_IOC_WRITE_READ, &wr),
		  FZ_E(ECHILD), "WRITE_READ after exec");
	return 0;
}

/* ---- threads with their own fd table --------------------------------------------- */

struct fz_private_files {
	struct fz_thread *t;
	int close_it;
};

static void *fz_unshare_main(void *arg)
{
	struct fz_private_files *pf = arg;
	struct fz_proc *p = pf->t->p;
	struct fastipc_version v;
	struct fastipc_write_read wr;

	if (unshare(CLONE_FILES))
		return NULL;
	fz_result(FZ_SITE_CLONE, fz_ioctl(p->fd, FASTIPC_IOC_VERSION, &v),
		  FZ_E(0), "unshared VERSION");
	memset(&wr, 0, sizeof(wr));
	fz_result(FZ_SITE_CLONE, fz_ioctl(p->fd, FASTIPC_IOC_WRITE_READ, &wr),
		  FZ_E(0) | FZ_E(EPIPE), "unshared WRITE_READ");
	if (pf->close_it)
		close(p->fd);	/* only in our private table */
	return NULL;		/* exiting drops the private table */
}

void fz_op_unshare(struct fz_thread *t)
{
	struct fz_private_files pf = { t, fz_chance(&t->r, 1, 2) };
	struct timespec ts;
	pthread_t th;

	t->p->dead_cause |= FZ_DEAD_UNSHARE;
	if (pthread_create(&th, NULL, fz_unshare_main, &pf))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += fz_limit_ms(5000) / 1000;
	if (pthread_timedjoin_np(th, NULL, &ts)) {
		fz_finding(FZ_F_STUCK, "a thread with an unshared fd table did not exit in %llu ms",
			   (unsigned long long)fz_limit_ms(5000));
		pthread_detach(th);
		return;
	}
	fz_peer_dead_check(t, "unshare(CLONE_FILES) thread exit");
}

#ifdef __x86_64__
/* Raw system calls: a CLONE_THREAD child without CLONE_SETTLS shares our
 * TLS, so it must not touch errno (or anything else of libc).
 */
static long fz_raw3(long n, long a, long b, long c)
{
	long ret;

	asm volatile ("syscall" : "=a" (ret)
		      : "a" (n), "D" (a), "S" (b), "d" (c)
		      : "rcx", "r11", "memory");
	return ret;
}

struct fz_clone_arg {
	int fd;
	int close_it;
	long r_version;
	long r_wr;
	struct fastipc_version v;
	struct fastipc_write_read wr;
	pid_t ctid;		/* cleared by the kernel at exit */
	pid_t ptid;
};

static int fz_clone_fn(void *arg)
{
	struct fz_clone_arg *a = arg;

	a->r_version = fz_raw3(SYS_ioctl, a->fd, FASTIPC_IOC_VERSION,
			       (long)&a->v);
	a->r_wr = fz_raw3(SYS_ioctl, a->fd, FASTIPC_IOC_WRITE_READ,
			  (long)&a->wr);
	if (a->close_it)
		fz_raw3(SYS_close, a->fd, 0, 0);
	return 0;
}

void fz_op_clone(struct fz_thread *t)
{
	const size_t stack_size = 64 * 1024;
	struct fz_clone_arg *a = calloc(1, sizeof(*a));
	bool thread = fz_chance(&t->r, 2, 3), stuck;
	char *stack = malloc(stack_size);
	unsigned int i;
	int flags, pid;

	if (!a || !stack)
		goto out;
	a->fd = t->p->fd;
	a->close_it = fz_chance(&t->r, 1, 2);
	a->ctid = -1;
	if (thread) {
		/* A thread of ours, with a copy of the fd table. */
		flags = CLONE_VM | CLONE_FS | CLONE_SIGHAND | CLONE_THREAD |
			CLONE_SYSVSEM | CLONE_PARENT_SETTID |
			CLONE_CHILD_CLEARTID;
		t->p->dead_cause |= FZ_DEAD_CLONE;
	} else {
		/* Another process sharing our memory, not our fds. */
		flags = CLONE_VM | SIGCHLD;
	}
	pid = clone(fz_clone_fn, stack + stack_size, flags, a, &a->ptid, NULL,
		    &a->ctid);
	if (pid < 0)
		goto out;
	if (!thread) {
		fz_reap(pid, 5000, &stuck);
	} else {
		/* The kernel clears ctid and wakes us when it is gone. */
		stuck = true;
		for (i = 0; i < fz_limit_ms(5000) / 5; i++) {
			pid_t v = __atomic_load_n(&a->ctid, __ATOMIC_ACQUIRE);
			struct timespec ts = { 0, 5000000 };

			if (!v) {
				stuck = false;
				break;
			}
			syscall(SYS_futex, &a->ctid, FUTEX_WAIT, v, &ts, NULL, 0);
		}
	}
	if (stuck) {
		fz_finding(FZ_F_STUCK, "a clone()d %s without CLONE_FILES did not exit",
			   thread ? "thread" : "process");
		return;		/* its stack stays ours forever */
	}
	fz_result(FZ_SITE_CLONE, a->r_version < 0 ? -a->r_version : 0,
		  FZ_E(0), "raw VERSION");
	fz_result(FZ_SITE_CLONE, a->r_wr < 0 ? -a->r_wr : 0,
		  FZ_E(0) | FZ_E(EPIPE), "raw WRITE_READ");
	fz_peer_dead_check(t, thread ? "clone thread exit" :
			   "clone(CLONE_VM) process exit");
out:
	free(stack);
	free(a);
}
#else
void fz_op_clone(struct fz_thread *t)
{
}
#endif

/* ---- signals, exits ------------------------------------------------------------------- */

void fz_op_signals(struct fz_thread *t)
{
	unsigned int n = 1 + fz_below(&t->r, fz_chance(&t->r, 1, 4) ? 2000U : 50U);
	unsigned int s = fz_chance(&t->r, 1, 2) ? (unsigned int)t->p->slot :
			 (unsigned int)fz_below(&t->r, fz_sh->cfg.procs);
	struct fz_pslot *ps = &fz_sh->proc[s];
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int k = fz_below(&t->r, FZ_TSLOTS);
		pid_t pid = __atomic_load_n(&ps->pid, __ATOMIC_ACQUIRE);
		pid_t tid = __atomic_load_n(&ps->t[k].tid, __ATOMIC_ACQUIRE);

		if (!pid || !tid || !ps->ready || ps->exec_pending)
			continue;
		syscall(SYS_tgkill, pid, tid, SIGUSR1);
	}
}

void fz_op_thread_exit(struct fz_thread *t)
{
	t->exit_req = true;
}

void fz_op_self_kill(struct fz_thread *t)
{
	if (fz_stopping())
		return;
	raise(SIGKILL);
}

void fz_op_exec(struct fz_thread *t)
{
	if (fz_stopping())
		return;
	fz_exec_self(t->p->slot, t->p->inc + 1);
}

/* ---- the peer replaced, the area unmapped ---------------------------------------------- */

void fz_op_reopen(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	struct timespec ts;
	unsigned int s;
	int ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 3;
	if (pthread_rwlock_timedwrlock(&p->peer_lock, &ts))
		return;
	fz_peer_close(p);
	ret = fz_peer_open(p);
	pthread_rwlock_unlock(&p->peer_lock);
	if (ret) {
		fz_request_restart(t, "reopen failed");
		return;
	}
	t->peer_gen = p->peer_gen;
	t->nout = 0;
	t->in_call = 0;
	t->looper = false;
	pthread_rwlock_rdlock(&p->peer_lock);
	for (s = 0; s < fz_sh->cfg.procs; s++) {
		struct fastipc_handle_fd hf;

		memset(&hf, 0, sizeof(hf));
		hf.handle = p->nnodes ? p->nodes[0].h : 1;
		if (fz_ioctl(p->fd, FASTIPC_IOC_HANDLE_EXPORT, &hf))
			continue;
		fz_publish(t, s, hf.fd);
		close(hf.fd);
	}
	pthread_rwlock_unlock(&p->peer_lock);
}

/*
 * munmap of the area: the documented peer (kept alive, only the area gone)
 * or the hardened one (the peer dies): either way we look, then restart.
 */
void fz_op_munmap(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	struct fastipc_version v;
	struct timespec ts;
	void *m;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 3;
	if (pthread_rwlock_timedwrlock(&p->peer_lock, &ts))
		return;
	p->dead_cause |= FZ_DEAD_MUNMAP;
	if (p->area) {
		munmap(p->area, p->area_size);
		p->area = NULL;
		p->ps->area_size = 0;
	}
	fz_result(FZ_SITE_VERSION, fz_ioctl(p->fd, FASTIPC_IOC_VERSION, &v),
		  FZ_E(0), "after munmap");
	m = mmap(NULL, 65536, PROT_READ, MAP_SHARED, p->fd, 0);
	fz_result(FZ_SITE_MMAP, m == MAP_FAILED ? errno : 0,
		  FZ_E(EBUSY) | FZ_E(EPIPE), "mmap again after munmap");
	if (m != MAP_FAILED) {
		p->area = m;
		p->area_size = 65536;
	}
	pthread_rwlock_unlock(&p->peer_lock);
	pthread_rwlock_rdlock(&p->peer_lock);
	fz_op_send(t);
	fz_op_serve(t);
	pthread_rwlock_unlock(&p->peer_lock);
	fz_request_restart(t, "area unmapped");
}
