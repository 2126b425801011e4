// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: one worker process.  It opens its peer, maps the receive
 * area, creates nodes, publishes them to the other workers and runs its
 * threads, each drawing operations from its own generator.  A restart
 * (the peer died, or an operation wants a fresh process) re-executes the
 * binary as the next incarnation or exits for the driver to respawn it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "worker.h"

struct fz_proc *fz_p;

struct fz_opdef {
	fz_op_fn fn;
	unsigned int weight;	/* per 10000 */
	unsigned int flags;
};

#define FZ_OPF_NOLOCK	0x1	/* the operation takes peer_lock itself */
#define FZ_OPF_CHAOS	0x2	/* off with -q */

static const struct fz_opdef fz_ops[FZ_OP_NR] = {
	[FZ_OP_VERSION] = { fz_op_version, 100 },
	[FZ_OP_NODE_CREATE] = { fz_op_node_create, 250 },
	[FZ_OP_CTX_MGR] = { fz_op_ctx_mgr, 40 },
	[FZ_OP_EXPORT] = { fz_op_export, 200 },
	[FZ_OP_IMPORT] = { fz_op_import, 150 },
	[FZ_OP_MAX_THREADS] = { fz_op_max_threads, 40 },
	[FZ_OP_BAD_IOCTL] = { fz_op_bad_ioctl, 40 },
	[FZ_OP_CALL] = { fz_op_call, 1500 },
	[FZ_OP_SEND] = { fz_op_send, 1000 },
	[FZ_OP_SERVE] = { fz_op_serve, 2200 },
	[FZ_OP_BATCH] = { fz_op_batch, 800 },
	[FZ_OP_REPLY] = { fz_op_reply, 450 },
	[FZ_OP_FREE] = { fz_op_free, 200 },
	[FZ_OP_REFS] = { fz_op_refs, 300 },
	[FZ_OP_DEATH] = { fz_op_death, 300 },
	[FZ_OP_LOOPER] = { fz_op_looper, 120 },
	[FZ_OP_BULK] = { fz_op_bulk, 25 },
	[FZ_OP_SOCK_SEND] = { fz_op_sock_send, 200 },
	[FZ_OP_SOCK_RECV] = { fz_op_sock_recv, 250 },
	[FZ_OP_FD_CYCLE] = { fz_op_fd_cycle, 30, FZ_OPF_NOLOCK },
	[FZ_OP_FOREIGN] = { fz_op_foreign, 60 },
	[FZ_OP_POLL] = { fz_op_poll, 100 },
	[FZ_OP_MMAP] = { fz_op_mmap, 30 },
	[FZ_OP_DUP_CLOSE] = { fz_op_dup_close, 50 },
	[FZ_OP_SIGNALS] = { fz_op_signals, 120 },
	[FZ_OP_PRIO] = { fz_op_prio, 60 },
	[FZ_OP_FORK] = { fz_op_fork, 30, FZ_OPF_CHAOS },
	[FZ_OP_UNSHARE] = { fz_op_unshare, 12, FZ_OPF_CHAOS },
	[FZ_OP_CLONE] = { fz_op_clone, 12, FZ_OPF_CHAOS },
	[FZ_OP_THREAD_EXIT] = { fz_op_thread_exit, 40 },
	[FZ_OP_PROBE] = { fz_op_probe, 50 },
	[FZ_OP_STORM] = { fz_op_storm, 6 },
	[FZ_OP_REOPEN] = { fz_op_reopen, 8, FZ_OPF_NOLOCK | FZ_OPF_CHAOS },
	[FZ_OP_MUNMAP] = { fz_op_munmap, 5, FZ_OPF_NOLOCK | FZ_OPF_CHAOS },
	[FZ_OP_EXEC] = { fz_op_exec, 5, FZ_OPF_CHAOS },
	[FZ_OP_SELF_KILL] = { fz_op_self_kill, 3, FZ_OPF_CHAOS },
	[FZ_OP_NOTIFY] = { fz_op_notify, 150 },
	[FZ_OP_URING] = { fz_op_uring, 150 },
};

/* Threads started on SPAWN_LOOPER only serve. */
static const unsigned int fz_extra_ops[] = { FZ_OP_SERVE, FZ_OP_SERVE,
	FZ_OP_SERVE, FZ_OP_REPLY, FZ_OP_FREE, FZ_OP_CALL };

bool fz_stopping(void)
{
	return __atomic_load_n(&fz_sh->stop, __ATOMIC_RELAXED) ||
	       fz_now() >= fz_sh->cfg.t_stop;
}

void fz_trace(struct fz_thread *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	if (!fz_sh->cfg.verbose)
		return;
	n = snprintf(buf, sizeof(buf), "T %d.%d %d.%u #%llu ", t->p->slot,
		     t->p->inc, t->slot, t->inc, (unsigned long long)t->idx);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(2, buf, n) < 0)
		return;
}

/* ---- timers and signals ------------------------------------------------------- */

static void fz_sig_empty(int sig)
{
	(void)sig;
}

void fz_timer_arm(struct fz_thread *t, unsigned int ms)
{
	struct itimerspec its = { 0 };

	if (!t->has_timer)
		return;
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000L + 1;
	/*
	 * Periodic: a signal that lands just before the ioctl blocks (the
	 * handler runs, the wait starts afterwards) is followed by another.
	 */
	its.it_interval.tv_nsec = 50000000L;
	timer_settime(t->timer, 0, &its, NULL);
}

void fz_timer_disarm(struct fz_thread *t)
{
	struct itimerspec its = { 0 };

	if (t->has_timer)
		timer_settime(t->timer, 0, &its, NULL);
}

static void fz_signals_setup(struct fz_proc *p)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fz_sig_empty;
	sigemptyset(&sa.sa_mask);
	/* SIGUSR1 (floods) restarts or not, per incarnation. */
	sa.sa_flags = p->sa_restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
	/* SIGUSR2 (our own timers) must interrupt. */
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* ---- the peer ----------------------------------------------------------------- */

static const size_t fz_area_sizes[] = {
	4096, 16384, 65536, 262144, FZ_MIB, 4 * FZ_MIB, FZ_MAX_AREA,
};

/*
 * Open a peer, map its area, create a few nodes.  Called at start and by
 * reopen (peer_lock held for writing).  Return 0 or -errno.
 */
int fz_peer_open(struct fz_proc *p)
{
	static const unsigned int w[] = { 5, 10, 25, 15, 25, 12, 8 };
	size_t size = fz_area_sizes[fz_pick(&p->rng, w, FZ_ARRAY_SIZE(w))];
	unsigned int i, n = 2 + fz_below(&p->rng, 3);
	__u32 max;

	p->fd = open(FZ_DEV, O_RDWR | (fz_chance(&p->rng, 1, 8) ? 0 : O_CLOEXEC));
	if (p->fd < 0)
		return -errno;
	p->area = mmap(NULL, size, PROT_READ, MAP_SHARED, p->fd, 0);
	if (p->area == MAP_FAILED) {
		int err = errno;

		fz_note("slot %d: mmap of a %zu-byte area: %s", p->slot, size,
			strerror(err));
		p->area = NULL;
		close(p->fd);
		p->fd = -1;
		return -err;
	}
	p->area_size = size;
	p->ps->area_size = size;
	p->dupfd = dup(p->fd);
	p->dead_cause = 0;
	for (i = 0; i < n; i++) {
		struct fastipc_node_create nc;
		__u32 idx = p->node_seq++;

		memset(&nc, 0, sizeof(nc));
		nc.flags = i == 0 ? FASTIPC_NODE_ACCEPT_FDS :
			   (__u32)fz_below(&p->rng, 4);
		if (fz_chance(&p->rng, 1, 2))
			nc.flags |= FASTIPC_NODE_ACCEPT_SIGNALS;
		if (i && fz_chance(&p->rng, 1, 3)) {
			/* Served at least at nice -10, or SCHED_FIFO 1. */
			nc.flags |= FASTIPC_NODE_MIN_PRIO;
			nc.min_policy = fz_chance(&p->rng, 1, 3) ? SCHED_FIFO :
					SCHED_OTHER;
			nc.min_priority = nc.min_policy ? 1 : -10;
		}
		nc.cookie = fz_node_cookie(p, idx);
		if (ioctl(p->fd, FASTIPC_IOC_NODE_CREATE, &nc))
			return -errno;
		pthread_mutex_lock(&p->lock);
		p->nodes[p->nnodes].h = nc.handle;
		p->nodes[p->nnodes].flags = nc.flags;
		p->nodes[p->nnodes].cookie = nc.cookie;
		p->nnodes++;
		pthread_mutex_unlock(&p->lock);
		fz_handle_add(p, nc.handle, true);
	}
	max = 1 + fz_below(&p->rng, 16);
	ioctl(p->fd, FASTIPC_IOC_SET_MAX_THREADS, &max);
	return 0;
}

/* Forget everything about the current peer and close it. */
void fz_peer_close(struct fz_proc *p)
{
	unsigned int i;

	if (p->area && fz_chance(&p->rng, 1, 2)) {
		munmap(p->area, p->area_size);
		p->area = NULL;
	}
	if (p->dupfd >= 0)
		close(p->dupfd);
	if (p->fd >= 0)
		close(p->fd);
	if (p->area)
		munmap(p->area, p->area_size);
	p->area = NULL;
	p->fd = -1;
	p->dupfd = -1;
	pthread_mutex_lock(&p->lock);
	p->nhandles = 0;
	p->nnodes = 0;
	p->nopen = 0;
	p->nbufs = 0;
	p->nstolen = 0;
	p->skew = 0;
	for (i = 0; i < FZ_TSLOTS; i++) {
		p->deferred_out[i] = 0;
		p->untracked[i] = false;
	}
	pthread_mutex_unlock(&p->lock);
	p->peer_gen++;
}

/*
 * The abstract name of worker @slot's socket: by process ID and incarnation
 * too, since a worker given up on (stuck in D state) keeps its socket, and
 * a socket passed in a message keeps its name bound.
 */
void fz_sock_name(char *buf, size_t len, int slot)
{
	snprintf(buf, len, "fastipc-fuzz.%u.%d.%d.%u", fz_sh->cfg.driver_pid,
		 slot, __atomic_load_n(&fz_sh->proc[slot].pid, __ATOMIC_ACQUIRE),
		 __atomic_load_n(&fz_sh->proc[slot].inc, __ATOMIC_ACQUIRE));
}

static int fz_sock_open(struct fz_proc *p)
{
	struct sockaddr_un sun;
	socklen_t len;
	int i;

	p->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (p->sock < 0)
		return -errno;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	fz_sock_name(sun.sun_path + 1, sizeof(sun.sun_path) - 1, p->slot);
	len = offsetof(struct sockaddr_un, sun_path) + 1 +
	      strlen(sun.sun_path + 1);
	/* The previous incarnation's socket may take a moment to go. */
	for (i = 0; i < 200; i++) {
		if (!bind(p->sock, (struct sockaddr *)&sun, len))
			return 0;
		usleep(10000);
	}
	return -errno;
}

/* Export our nodes to every worker (ourselves included). */
static void fz_publish_all(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	unsigned int s;

	for (s = 0; s < fz_sh->cfg.procs; s++) {
		struct fastipc_handle_fd hf;
		unsigned int k;

		memset(&hf, 0, sizeof(hf));
		pthread_mutex_lock(&p->lock);
		k = p->nnodes ? fz_below(&p->rng, p->nnodes) : 0;
		hf.handle = p->nnodes ? p->nodes[k].h : 1;
		pthread_mutex_unlock(&p->lock);
		if (ioctl(p->fd, FASTIPC_IOC_HANDLE_EXPORT, &hf))
			continue;
		fz_publish(t, s, hf.fd);
		close(hf.fd);
	}
}

/* ---- restart ------------------------------------------------------------------- */

void fz_exec_self(int slot, int inc)
{
	char s[16], i[16];
	sigset_t set;

	/* No signal may kill the new image before it installs handlers. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	snprintf(s, sizeof(s), "%d", slot);
	snprintf(i, sizeof(i), "%d", inc);
	__atomic_store_n(&fz_sh->proc[slot].exec_pending, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&fz_sh->info[FZ_I_RESTARTS], 1, __ATOMIC_RELAXED);
	execl("/proc/self/exe", "fastipc-fuzz", "--worker", s, i, (char *)NULL);
	_exit(FZ_EXIT_RESTART);
}

void fz_request_restart(struct fz_thread *t, const char *why)
{
	struct fz_proc *p = t->p;
	int zero = 0;

	if (!__atomic_compare_exchange_n(&p->restart, &zero, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	fz_trace(t, "restart: %s", why);
	pthread_mutex_lock(&p->thr_lock);
	pthread_cond_broadcast(&p->thr_cond);
	pthread_mutex_unlock(&p->thr_lock);
}

/* ---- threads -------------------------------------------------------------------- */

/* The transactions this thread received are now anybody's to answer. */
void fz_thread_orphan_txns(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	unsigned int i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nopen; i++) {
		struct fz_open_txn *o = &p->open[i];

		if (o->origin != t->slot)
			continue;
		o->origin = -1;
		o->deferred = true;
	}
	p->deferred_out[t->slot] = 0;
	p->untracked[t->slot] = false;
	p->skew |= FZ_SKEW_EXIT;
	pthread_mutex_unlock(&p->lock);
}

static unsigned int fz_op_choose(struct fz_thread *t)
{
	unsigned int w[FZ_OP_NR], i, op;

	if (t->extra) {
		op = fz_extra_ops[fz_below(&t->r, FZ_ARRAY_SIZE(fz_extra_ops))];
		if (fz_sh->cfg.op_mask & (1ULL << op))
			return op;
	}
	for (i = 0; i < FZ_OP_NR; i++) {
		w[i] = fz_ops[i].weight;
		if (!(fz_sh->cfg.op_mask & (1ULL << i)) ||
		    (fz_sh->cfg.no_chaos && fz_ops[i].flags & FZ_OPF_CHAOS))
			w[i] = 0;
	}
	op = fz_pick(&t->r, w, FZ_OP_NR);
	return op;
}

static void fz_thread_exited(struct fz_thread *t)
{
	struct fz_proc *p = t->p;

	pthread_mutex_lock(&p->thr_lock);
	p->thr_exited[t->slot] = 1;
	if (t->extra)
		p->extra_running--;
	pthread_cond_broadcast(&p->thr_cond);
	pthread_mutex_unlock(&p->thr_lock);
}

static void *fz_thread_main(void *arg)
{
	struct fz_thread *t = arg;
	struct fz_proc *p = t->p;
	struct sigevent sev;
	unsigned int left = t->extra ? 20 + (t->seed % 200) : ~0U;
	char name[16];

	t->tid = syscall(SYS_gettid);
	t->probe_fd = -1;
	snprintf(name, sizeof(name), "fz%d.%d", p->slot, t->slot);
	prctl(PR_SET_NAME, name);
	t->hb = &p->ps->t[t->slot];
	t->hb->inc = t->inc;
	t->hb->op_start = 0;
	__atomic_store_n(&t->hb->tid, t->tid, __ATOMIC_RELEASE);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR2;
	sev._sigev_un._tid = t->tid;	/* sigev_notify_thread_id */
	t->has_timer = !timer_create(CLOCK_MONOTONIC, &sev, &t->timer);
	t->peer_gen = p->peer_gen;

	while (left-- && !t->exit_req && !p->restart && !fz_stopping()) {
		const struct fz_opdef *d;
		unsigned int op;
		__u64 t0;

		if (__atomic_fetch_add(&fz_sh->ops_started, 1, __ATOMIC_RELAXED) >=
		    fz_sh->cfg.max_ops) {
			__atomic_store_n(&fz_sh->stop, 1, __ATOMIC_RELAXED);
			break;
		}
		fz_rng_seed(&t->r, t->seed, t->idx, 0x0b, 0);
		op = fz_op_choose(t);
		d = &fz_ops[op];
		t->hb->op = op;
		t->hb->op_idx = t->idx;
		t0 = fz_now();
		__atomic_store_n(&t->hb->op_start, t0, __ATOMIC_RELEASE);
		if (!(d->flags & FZ_OPF_NOLOCK))
			pthread_rwlock_rdlock(&p->peer_lock);
		if (t->peer_gen != p->peer_gen) {
			/* The peer was replaced: our kernel thread is gone. */
			t->peer_gen = p->peer_gen;
			t->nout = 0;
			t->in_call = 0;
			t->looper = false;
		}
		if (p->fd >= 0 || d->flags & FZ_OPF_NOLOCK) {
			fz_trace(t, "%s", fz_op_name(op));
			if (t->in_call)
				fz_call_wait(t, 0);
			d->fn(t);
		}
		if (!(d->flags & FZ_OPF_NOLOCK))
			pthread_rwlock_unlock(&p->peer_lock);
		__atomic_store_n(&t->hb->op_start, 0, __ATOMIC_RELEASE);
		__atomic_fetch_add(&fz_sh->op_count[op], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&fz_sh->op_ns[op], fz_now() - t0,
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(&fz_sh->ops_done, 1, __ATOMIC_RELAXED);
		t->idx++;
	}

	/* Leave cleanly sometimes: answer what we owe, LOOPER_EXIT. */
	pthread_rwlock_rdlock(&p->peer_lock);
	if (p->fd >= 0 && t->peer_gen == p->peer_gen && !p->restart &&
	    t->seed & 1) {
		unsigned int n = fz_take_out(t, 0);

		fz_cmd_plain(&t->cmds[n], FASTIPC_CMD_LOOPER_EXIT, 0, 0);
		t->cx[n] = (struct fz_cmdx){ .kind = FZ_CX_LOOPER_EXIT,
			.expect = FZ_E(0) | FZ_E(EPIPE) };
		fz_wr(t, n + 1, 0, 0, false, NULL);
	}
	fz_thread_orphan_txns(t);
	pthread_rwlock_unlock(&p->peer_lock);
	if (t->has_timer)
		timer_delete(t->timer);
	__atomic_store_n(&t->hb->tid, 0, __ATOMIC_RELEASE);
	fz_thread_exited(t);
	return NULL;
}

static int fz_thread_start(struct fz_proc *p, int slot, __u32 inc, bool extra)
{
	struct fz_thread *t = p->threads[slot];
	unsigned char *faulty;
	pthread_attr_t attr;
	pthread_t th;
	int ret;

	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		p->threads[slot] = t;
		t->faulty = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (t->faulty == MAP_FAILED)
			return -ENOMEM;
		mprotect(t->faulty + 4096, 4096, PROT_NONE);
	}
	faulty = t->faulty;
	memset(t, 0, sizeof(*t));
	t->faulty = faulty;
	t->p = p;
	t->slot = slot;
	t->inc = inc;
	t->extra = extra;
	t->seed = fz_mix(fz_sh->cfg.seed) ^ fz_mix(p->slot * 1000003ULL +
		  p->inc) ^ fz_mix((__u64)slot << 32 | inc);
	p->thr_exited[slot] = 0;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&th, &attr, fz_thread_main, t);
	pthread_attr_destroy(&attr);
	return -ret;
}

/* SPAWN_LOOPER: start an extra looper when a slot is free. */
void fz_spawn_extra(struct fz_thread *t)
{
	struct fz_proc *p = t->p;
	int s;

	if (fz_stopping() || p->restart)
		return;
	pthread_mutex_lock(&p->thr_lock);
	for (s = FZ_MAX_THREADS; s < FZ_TSLOTS; s++) {
		if (p->threads[s] && !p->thr_exited[s])
			continue;
		p->extra_running++;
		if (fz_thread_start(p, s, p->threads[s] ?
				    p->threads[s]->inc + 1 : 0, true))
			p->extra_running--;
		break;
	}
	pthread_mutex_unlock(&p->thr_lock);
}

/* ---- the process ------------------------------------------------------------------ */

static int fz_proc_setup(struct fz_proc *p)
{
	pthread_rwlockattr_t ra;
	size_t i;

	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&p->peer_lock, &ra);
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->pat_lock, NULL);
	pthread_mutex_init(&p->thr_lock, NULL);
	pthread_cond_init(&p->thr_cond, NULL);
	p->fd = -1;
	p->dupfd = -1;

	p->key = (unsigned char)(fz_mix(fz_sh->cfg.seed + p->slot * 31 +
					p->inc) | 1);
	p->pat = mmap(NULL, FZ_MAX_AREA + 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	p->guard = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	p->faulty = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p->pat_odd = malloc(FZ_PAT_ODD + 8);
	if (p->pat == MAP_FAILED || p->guard == MAP_FAILED ||
	    p->faulty == MAP_FAILED || !p->pat_odd)
		return -ENOMEM;
	mprotect(p->faulty + 4096, 4096, PROT_NONE);
	fz_pattern_ensure(p, 65536);
	p->pat_odd[1] = p->key;
	for (i = 1; i < FZ_PAT_ODD; i++)
		p->pat_odd[1 + i] = (unsigned char)(p->key * 131 + i * 7 +
						    (i >> 8));
	if (pipe2(p->pipe, O_CLOEXEC))
		return -errno;
	return fz_sock_open(p);
}

int fz_worker_main(int slot, int inc)
{
	struct fz_thread boot;
	struct fz_proc *p;
	unsigned int i, threads;
	int ret;

	if (fz_shared_attach())
		return FZ_EXIT_SETUP;
	p = calloc(1, sizeof(*p));
	if (!p)
		return FZ_EXIT_SETUP;
	fz_p = p;
	p->slot = slot;
	{
		char name[16];

		snprintf(name, sizeof(name), "fz%d", slot);
		prctl(PR_SET_NAME, name);
	}
	p->inc = inc;
	p->ps = &fz_sh->proc[slot];
	fz_rng_seed(&p->rng, fz_sh->cfg.seed, slot, inc, 0x9a);
	p->sa_restart = fz_chance(&p->rng, 1, 2);
	fz_signals_setup(p);
	p->ps->setup_start = fz_now();
	p->ps->pid = getpid();
	p->ps->inc = inc;
	p->ps->ready = 0;
	p->ps->area_size = 0;
	memset(p->ps->t, 0, sizeof(p->ps->t));
	__atomic_store_n(&p->ps->exec_pending, 0, __ATOMIC_RELEASE);

	ret = fz_proc_setup(p);
	if (!ret)
		ret = fz_peer_open(p);
	if (ret) {
		fz_note("slot %d inc %d: set-up failed: %s", slot, inc,
			strerror(-ret));
		/* A peer that cannot even open is reported; a restart helps. */
		return ret == -ENOENT ? FZ_EXIT_SETUP : FZ_EXIT_RESTART;
	}
	memset(&boot, 0, sizeof(boot));
	boot.p = p;
	boot.slot = 0;
	boot.r = p->rng;
	boot.hb = &p->ps->t[0];
	fz_publish_all(&boot);
	fz_sock_recv_all(&boot, 32);
	p->ps->ready = 1;

	threads = fz_sh->cfg.threads;
	for (i = 0; i < threads; i++)
		fz_thread_start(p, i, 0, false);

	/* Supervise: respawn threads that left, restart on request. */
	pthread_mutex_lock(&p->thr_lock);
	for (;;) {
		unsigned int live = 0;
		struct timespec ts;

		for (i = 0; i < FZ_TSLOTS; i++) {
			if (!p->threads[i] || !p->thr_exited[i]) {
				live += !!p->threads[i];
				continue;
			}
			if (i < threads && !p->restart && !fz_stopping()) {
				fz_thread_start(p, i, p->threads[i]->inc + 1,
						false);
				live++;
			}
		}
		if (p->restart || (!live && fz_stopping()))
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->thr_cond, &p->thr_lock, &ts);
	}
	pthread_mutex_unlock(&p->thr_lock);

	if (p->restart && !fz_stopping()) {
		switch (fz_below(&p->rng, 10)) {
		case 0:
			raise(SIGKILL);
			break;
		case 1:
		case 2:
		case 3:
		case 4:
			fz_exec_self(slot, inc + 1);
			break;
		default:
			break;
		}
		_exit(FZ_EXIT_RESTART);
	}
	/* The end: wait a little for stragglers, then go (the exit tears
	 * everything down, or we close it first).
	 */
	for (i = 0; i < 40; i++) {
		unsigned int s, live = 0;

		pthread_mutex_lock(&p->thr_lock);
		for (s = 0; s < FZ_TSLOTS; s++)
			live += p->threads[s] && !p->thr_exited[s];
		pthread_mutex_unlock(&p->thr_lock);
		if (!live)
			break;
		usleep(25000);
	}
	if (fz_chance(&p->rng, 1, 2)) {
		pthread_rwlock_wrlock(&p->peer_lock);
		fz_peer_close(p);
	}
	_exit(p->restart ? FZ_EXIT_RESTART : FZ_EXIT_DONE);
}
