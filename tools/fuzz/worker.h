/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastipc-fuzz: state of one worker process and its threads, shared by the
 * operation files (ops_*.c, msg.c, probe.c) and worker.c.
 *
 * Locking: @peer_lock of &struct fz_proc is held for reading around every
 * operation, and for writing by the operations that replace the peer
 * (reopen, munmap), so that no thread uses a closed descriptor or a gone
 * area.  @lock protects the tables; it is never held across a blocking
 * system call.
 */
#ifndef _FASTIPC_FUZZ_WORKER_H
#define _FASTIPC_FUZZ_WORKER_H

#include <sys/uio.h>

#include "fuzz.h"

#define FZ_HTAB		8192	/* handles a process keeps track of */
#define FZ_NODES	2200
#define FZ_OPEN		512	/* received calls not answered yet */
#define FZ_STOLEN	8
#define FZ_BUFS		256	/* delivered buffers not freed yet */
#define FZ_FDTAB	96	/* fds kept for later operations */
#define FZ_SEEN		64
#define FZ_OUT		48	/* commands queued for the next WRITE_READ */
#define FZ_CMDS		80
#define FZ_RETS		32
#define FZ_PAT_ODD	(FZ_MIB + 4096)	/* misaligned pattern copy */
#define FZ_POOL_IOV	(2 * FZ_UIO_MAXIOV + 16)
#define FZ_POOL_H	(2 * FZ_MAX_HANDLES + 16)
#define FZ_POOL_FD	(4 * FZ_MAX_FDS)

/* Old-module behaviour that skews our REPLY bookkeeping (spec 7, 9, 10). */
#define FZ_SKEW_FAULT	0x1	/* a read whose second slot faulted */
#define FZ_SKEW_EXIT	0x2	/* LOOPER_EXIT or a thread exit */
#define FZ_SKEW_FAILED	0x4	/* a REPLY failed (ENOSPC, EFAULT) */

/* Why our own peer may be dead: expected causes. */
#define FZ_DEAD_MUNMAP	0x1
#define FZ_DEAD_UNSHARE	0x2
#define FZ_DEAD_CLONE	0x4

enum fz_fd_kind {
	FZ_FD_EXPORT,		/* an exported handle (ours or received) */
	FZ_FD_FOREIGN,		/* another process' /dev/fastipc */
	FZ_FD_PIPE,
	FZ_FD_UNIX,
	FZ_FD_OTHER,
	FZ_FD_KINDS
};

struct fz_handle {
	__u32 h;
	__u32 refs;		/* references we believe we hold */
	__u64 death;		/* cookie of our death request, 0: none */
	bool own;		/* a node of ours */
	bool dead;		/* its DEAD_NODE came */
};

struct fz_node {
	__u32 h;
	__u32 flags;
	__u64 cookie;
};

/* A call we received and did not answer yet. */
struct fz_open_txn {
	__u64 id;
	__s16 origin;		/* thread slot that read it, -1: nobody's */
	__u16 kgen;		/* that thread's kernel-thread generation */
	bool deferred;		/* any thread may answer it by ID */
	bool taken;		/* a thread is answering it right now */
	bool vague;		/* its thread was untracked: maybe answered */
};

struct fz_fd {
	int fd;
	int kind;
};

struct fz_thread;

struct fz_proc {
	int slot;
	int inc;
	struct fz_pslot *ps;
	struct fz_rng rng;		/* set-up decisions, main thread */
	pthread_rwlock_t peer_lock;
	int fd;				/* the peer, -1 without one */
	void *area;
	size_t area_size;
	int dupfd;			/* a dup of @fd, -1 */
	__u32 peer_gen;			/* bumped when the peer is replaced */
	int dead_cause;			/* FZ_DEAD_* since the last open */
	int restart;			/* a restart was requested */
	unsigned int skew;		/* FZ_SKEW_*: what may explain odd answers */
	bool sa_restart;		/* SIGUSR1 has SA_RESTART */
	bool ctx_mgr;			/* we set the context manager once */

	pthread_mutex_t lock;
	struct fz_handle handles[FZ_HTAB];
	unsigned int nhandles;
	struct fz_node nodes[FZ_NODES];
	unsigned int nnodes;
	__u32 node_seq;
	struct fz_open_txn open[FZ_OPEN];
	unsigned int nopen;
	__u64 seen[FZ_SEEN];		/* IDs of finished transactions */
	unsigned int seen_next;
	__u64 bufs[FZ_BUFS];
	unsigned int nbufs;
	struct fz_fd fds[FZ_FDTAB];
	unsigned int nfds;
	int deferred_out[FZ_TSLOTS];	/* per thread slot, see fz_open_txn */
	/*
	 * Per thread slot: the kernel may count among its calls one we do
	 * not know of, or not one we do (a call p->open had no room for, an
	 * ID shared by calls of several threads answered by ID): its
	 * REPLY(0) answers we cannot tell which, until its next kernel
	 * thread.
	 */
	bool untracked[FZ_TSLOTS];
	/* Thread slots between a read phase's start and registering calls. */
	__u32 reading;
	/*
	 * IDs answered by ID while @readers (slots) were reading: the call
	 * answered may be one they read, whose thread is then untracked.
	 * @op: no call of ours had that ID then (the REPLY's op, for the
	 * note when none of them reads one).
	 */
	struct fz_stolen {
		__u64 id;
		__u32 readers;
		__u32 op;
	} stolen[FZ_STOLEN];
	unsigned int nstolen;

	int sock;			/* our abstract datagram socket */
	int pipe[2];
	unsigned char key;		/* payload pattern key */
	unsigned char *pat;		/* pattern, FZ_MAX_AREA + 64 bytes */
	size_t pat_ready;		/* bytes of @pat filled */
	pthread_mutex_t pat_lock;
	unsigned char *pat_odd;		/* the same pattern at an odd address */
	unsigned char *guard;		/* a PROT_NONE page */
	unsigned char *faulty;		/* RW page then PROT_NONE page */

	struct fz_thread *threads[FZ_TSLOTS];
	pthread_mutex_t thr_lock;
	pthread_cond_t thr_cond;
	int thr_exited[FZ_TSLOTS];
	int extra_running;
};

/* What to do once a command of a WRITE_READ ran (or did not). */
enum fz_cx_kind {
	FZ_CX_PLAIN,
	FZ_CX_REPLY,		/* @id: the open transaction it answers */
	FZ_CX_FOREIGN_REPLY,	/* to an ID none of our threads held */
	FZ_CX_FREE,		/* @arg: the buffer offset */
	FZ_CX_CALL,
	FZ_CX_LOOPER_ENTER,
	FZ_CX_LOOPER_EXIT,
	FZ_CX_ACQUIRE,		/* @arg: handle */
	FZ_CX_RELEASE,
	FZ_CX_DEATH_REQ,	/* @arg: handle, @id: cookie */
	FZ_CX_DEATH_CLEAR,
};

struct fz_cmdx {
	fz_emask expect;
	int kind;
	__u64 id;
	__u64 arg;
};

/* The arrays a queued command points to. */
struct fz_outbuf {
	struct iovec iov[8];
	__u32 h[8];
	__s32 fd[4];
};

struct fz_thread {
	struct fz_proc *p;
	int slot;
	__u32 inc;
	pid_t tid;
	__u64 seed;
	__u64 idx;			/* operation index */
	struct fz_rng r;		/* this operation's generator */
	struct fz_tslot *hb;
	timer_t timer;
	bool has_timer;
	bool extra;			/* started on SPAWN_LOOPER */
	__u32 peer_gen;

	unsigned int in_call;		/* CALLs of ours waiting (a chain) */
	bool call_self;			/* ... to a node of ours */
	__u64 call_start;
	__u16 kgen;			/* bumped by LOOPER_EXIT */
	bool looper;
	bool exit_req;
	int depth;			/* nested record handling */

	struct fastipc_cmd out[FZ_OUT];	/* for the next WRITE_READ */
	struct fz_cmdx outx[FZ_OUT];
	struct fz_outbuf outbuf[FZ_OUT];
	unsigned int nout;

	struct fastipc_cmd cmds[FZ_CMDS];
	struct fz_cmdx cx[FZ_CMDS];
	struct fastipc_ret rets[FZ_RETS];
	__u32 hbuf[FZ_MAX_HANDLES + 8];	/* bulk, sweeps */
	__s32 fbuf[FZ_MAX_FDS + 8];		/* probes, fd cycles */
	/*
	 * The arrays of the messages of one WRITE_READ, allocated in turn
	 * (fz_msg_build), all freed when the next one is built (fz_take_out).
	 */
	struct iovec iovp[FZ_POOL_IOV];
	__u32 hp[FZ_POOL_H];
	__s32 fp[FZ_POOL_FD];
	unsigned int iov_used, h_used, f_used;
	unsigned char *faulty;		/* our read buffer whose 2nd slot faults */
	int probe_fd;			/* the private peer of a running probe */
};

/* Ops signature: return nothing, results are counted as they come. */
typedef void (*fz_op_fn)(struct fz_thread *t);

extern struct fz_proc *fz_p;

/* worker.c */
void fz_trace(struct fz_thread *t, const char *fmt, ...) __printf(2, 3);
void fz_timer_arm(struct fz_thread *t, unsigned int ms);
void fz_timer_disarm(struct fz_thread *t);
void fz_request_restart(struct fz_thread *t, const char *why);
void fz_spawn_extra(struct fz_thread *t);
void fz_thread_orphan_txns(struct fz_thread *t);
bool fz_stopping(void);
void fz_exec_self(int slot, int inc);

#define FZ_COOKIE_NODE	0xf1ULL
#define FZ_COOKIE_DEATH	0xdeULL

/* Pattern byte @i of a payload whose key (byte 0) is @key. */
static inline unsigned char fz_pat(unsigned char key, __u64 i)
{
	return (unsigned char)(key * 131 + i * 7 + (i >> 8));
}

/* tables.c */
bool fz_cookie_is(struct fz_proc *p, __u64 c, __u64 tag);
bool fz_handle_own(struct fz_proc *p, __u32 h);
int fz_handle_find(struct fz_proc *p, __u32 h);
void fz_handle_del(struct fz_proc *p, int i);
int fz_open_find(struct fz_proc *p, __u64 id);
int fz_open_find_own(struct fz_proc *p, __u64 id, int slot, __u16 kgen);
void fz_open_del(struct fz_proc *p, int i);
void fz_open_answered(struct fz_proc *p, __u64 id, bool stolen,
		      __u32 readers, __u32 op);
void fz_open_registered(struct fz_thread *t, __u64 id);
void fz_read_over(struct fz_thread *t);
void fz_open_defer(struct fz_proc *p, int i);
void fz_untrack(struct fz_proc *p, int slot);
int fz_handle_add(struct fz_proc *p, __u32 h, bool own);
__u32 fz_handle_pick(struct fz_thread *t, bool *valid);
void fz_handle_fill(struct fz_thread *t, __u32 *out, unsigned int n);
void fz_fd_add(struct fz_proc *p, int fd, int kind);
int fz_fd_take(struct fz_proc *p, int kind);
int fz_fd_peek(struct fz_thread *t, int kind);
void fz_seen_add(struct fz_proc *p, __u64 id);
void fz_buf_add(struct fz_proc *p, __u64 off);
__u64 fz_node_cookie(struct fz_proc *p, __u32 idx);
bool fz_cookie_ours(struct fz_proc *p, __u64 cookie);

/* payload.c */
void fz_pattern_ensure(struct fz_proc *p, size_t len);
long fz_payload_check(const unsigned char *d, __u64 len, struct fz_rng *r);
fz_emask fz_msg_build(struct fz_thread *t, struct fastipc_cmd *c,
		      bool reply);

/* records.c */
bool fz_out(struct fz_thread *t, const struct fastipc_cmd *c,
	    const struct fz_cmdx *x);

/* wr.c */
int fz_wr(struct fz_thread *t, unsigned int ncmds, unsigned int nrets,
	  __u32 flags, bool block, struct fastipc_write_read *wr_out);
int fz_wr_ex(struct fz_thread *t, struct fastipc_write_read *wr,
	     unsigned int ncmds, bool block, bool fuzzed);
unsigned int fz_take_out(struct fz_thread *t, unsigned int at);
void fz_cmds_unrun(struct fz_thread *t, unsigned int from, unsigned int to);
void fz_records(struct fz_thread *t, const struct fastipc_ret *r,
		unsigned int n);
void fz_call_wait(struct fz_thread *t, unsigned int rounds);
bool fz_peer_dead_check(struct fz_thread *t, const char *after);
bool fz_peer_is_dead(struct fz_proc *p);
void fz_cmd_plain(struct fastipc_cmd *c, __u32 op, __u32 handle, __u64 arg);

/* operations */
void fz_op_version(struct fz_thread *t);
void fz_op_node_create(struct fz_thread *t);
void fz_op_ctx_mgr(struct fz_thread *t);
void fz_op_export(struct fz_thread *t);
void fz_op_import(struct fz_thread *t);
void fz_op_max_threads(struct fz_thread *t);
void fz_op_bad_ioctl(struct fz_thread *t);
void fz_op_call(struct fz_thread *t);
void fz_op_send(struct fz_thread *t);
void fz_op_serve(struct fz_thread *t);
void fz_op_batch(struct fz_thread *t);
void fz_op_reply(struct fz_thread *t);
void fz_op_free(struct fz_thread *t);
void fz_op_refs(struct fz_thread *t);
void fz_op_death(struct fz_thread *t);
void fz_death_sweep(struct fz_thread *t, const __u32 *hs, unsigned int n,
		    bool request);
void fz_op_looper(struct fz_thread *t);
void fz_op_bulk(struct fz_thread *t);
void fz_op_sock_send(struct fz_thread *t);
void fz_op_sock_recv(struct fz_thread *t);
void fz_op_fd_cycle(struct fz_thread *t);
void fz_op_foreign(struct fz_thread *t);
void fz_op_poll(struct fz_thread *t);
void fz_op_mmap(struct fz_thread *t);
void fz_op_dup_close(struct fz_thread *t);
void fz_op_signals(struct fz_thread *t);
void fz_op_prio(struct fz_thread *t);
void fz_op_fork(struct fz_thread *t);
void fz_op_unshare(struct fz_thread *t);
void fz_op_clone(struct fz_thread *t);
void fz_op_thread_exit(struct fz_thread *t);
void fz_op_probe(struct fz_thread *t);
void fz_op_storm(struct fz_thread *t);
void fz_op_reopen(struct fz_thread *t);
void fz_op_munmap(struct fz_thread *t);
void fz_op_exec(struct fz_thread *t);
void fz_op_self_kill(struct fz_thread *t);
void fz_op_uring(struct fz_thread *t);
void fz_op_notify(struct fz_thread *t);

/* ops_misc.c, sock.c */
int fz_export(struct fz_thread *t, __u32 h, bool fuzz);
int fz_import(struct fz_thread *t, int fd, int efd, fz_emask expect,
	      __u32 *h);
__u32 fz_own_node(struct fz_thread *t, __u32 *flags);

/* probe.c, probe_reply.c: private peers of one probe */
struct fz_scratch {
	int fd;
	void *area;
	size_t size;
};

void fz_probe_fail(struct fz_thread *t, const char *probe,
		   const char *fmt, ...) __printf(3, 4);
int fz_scratch_open(struct fz_scratch *s, size_t size);
void fz_scratch_close(struct fz_scratch *s);
int fz_node(int fd, __u32 flags, __u64 cookie, __u32 *h);
int fz_swr(struct fz_thread *t, int fd, struct fastipc_cmd *c,
	   unsigned int n, void *rets, unsigned int nr, __u32 flags,
	   unsigned int *got);
void fz_scmd(struct fastipc_cmd *c, __u32 op, __u32 h, __u64 code);
void fz_probe_reply0_exit(struct fz_thread *t, struct fz_scratch *s);
void fz_probe_reply0_enospc(struct fz_thread *t, struct fz_scratch *s);
void fz_probe_munmap(struct fz_thread *t, struct fz_scratch *s);
void fz_probe_close(struct fz_thread *t, struct fz_scratch *s);
void fz_probe_oneway(struct fz_thread *t, struct fz_scratch *s);

/* peer set-up (worker.c) */
int fz_peer_open(struct fz_proc *p);
void fz_peer_close(struct fz_proc *p);
void fz_sock_name(char *buf, size_t len, int slot);
int fz_publish(struct fz_thread *t, int target_slot, int efd);
int fz_sock_recv_all(struct fz_thread *t, unsigned int max);

#endif /* _FASTIPC_FUZZ_WORKER_H */
