/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastipc-fuzz: a seeded, replayable multi-process fuzzer for /dev/fastipc.
 *
 * One driver process forks worker processes (each re-executes this binary
 * with --worker).  Every worker opens a peer, maps a receive area, creates
 * nodes, hands export fds to the others over abstract unix sockets and runs
 * a few threads that issue random but well-typed operations.  Everything
 * the processes share (configuration, heartbeats, counters, notes) lives in
 * one memfd mapped at the same fd number in every process, so that it
 * survives exec.
 *
 * Replay: every thread draws each operation from its own generator,
 * re-seeded per operation from (seed, process slot, process incarnation,
 * thread slot, thread incarnation, operation index), so a seed replays the
 * same per-thread operation sequences; only the interleaving differs.
 */
#ifndef _FASTIPC_FUZZ_H
#define _FASTIPC_FUZZ_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <linux/fastipc.h>

#define FZ_MAX_PROCS	8
#define FZ_MAX_THREADS	8
#define FZ_EXTRA_THREADS 2	/* loopers started on SPAWN_LOOPER */
#define FZ_TSLOTS	(FZ_MAX_THREADS + FZ_EXTRA_THREADS)
#define FZ_SHM_FD	900	/* the shared memfd, in every process */
#define FZ_NOTES	96
#define FZ_NOTE_LEN	200
#define FZ_MAX_ERRNO	136
#define FZ_REC_NR	9	/* record ops counted: 0 (bad), 1..SIGNAL */

#define FZ_DEV		"/dev/fastipc"
#define FZ_STATS	"/sys/kernel/debug/fastipc/stats"
#define FZ_STATE	"/sys/kernel/debug/fastipc/state"
#define FZ_MIB		(1024UL * 1024UL)
#define FZ_MAX_AREA	(16 * FZ_MIB)	/* the module's max_area_size default */
#define FZ_CMD_SIZE	((__u64)sizeof(struct fastipc_cmd))
#define FZ_RET_SIZE	((__u64)sizeof(struct fastipc_ret))
#define FZ_MAX_HANDLES	1024	/* per message, as documented */
#define FZ_MAX_FDS	64
#define FZ_UIO_MAXIOV	1024

#define FZ_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/* The kernel's __printf(); spelled so for checkpatch's attribute check. */
#define FZ_GCC_ATTR		__attribute__
#define __printf(a, b)		FZ_GCC_ATTR((format(printf, a, b)))

/* Exit codes of workers the driver understands. */
#define FZ_EXIT_DONE	0
#define FZ_EXIT_RESTART	42	/* respawn me (new incarnation) */
#define FZ_EXIT_SETUP	43	/* could not even start: reported */

/* ---- operations --------------------------------------------------------- */

/* Top-level operations of a worker thread; see ops_table in worker.c. */
enum fz_op {
	FZ_OP_VERSION,
	FZ_OP_NODE_CREATE,
	FZ_OP_CTX_MGR,
	FZ_OP_EXPORT,
	FZ_OP_IMPORT,
	FZ_OP_MAX_THREADS,
	FZ_OP_BAD_IOCTL,
	FZ_OP_CALL,
	FZ_OP_SEND,
	FZ_OP_SERVE,
	FZ_OP_BATCH,
	FZ_OP_REPLY,
	FZ_OP_FREE,
	FZ_OP_REFS,
	FZ_OP_DEATH,
	FZ_OP_LOOPER,
	FZ_OP_BULK,
	FZ_OP_SOCK_SEND,
	FZ_OP_SOCK_RECV,
	FZ_OP_FD_CYCLE,
	FZ_OP_FOREIGN,
	FZ_OP_POLL,
	FZ_OP_MMAP,
	FZ_OP_DUP_CLOSE,
	FZ_OP_SIGNALS,
	FZ_OP_PRIO,
	FZ_OP_FORK,
	FZ_OP_UNSHARE,
	FZ_OP_CLONE,
	FZ_OP_THREAD_EXIT,
	FZ_OP_PROBE,
	FZ_OP_STORM,
	FZ_OP_REOPEN,
	FZ_OP_MUNMAP,
	FZ_OP_EXEC,
	FZ_OP_SELF_KILL,
	FZ_OP_NOTIFY,		/* FASTIPC_CMD_SIGNAL: notification bits */
	FZ_OP_URING,		/* not in the default set: -o */
	FZ_OP_NR
};

/*
 * Sites: where an errno came from, for the histogram.  The WRITE_READ
 * commands are attributed one by one (site FZ_SITE_CMD + op).
 */
enum fz_site {
	FZ_SITE_VERSION,
	FZ_SITE_NODE_CREATE,
	FZ_SITE_CTX_MGR,
	FZ_SITE_EXPORT,
	FZ_SITE_IMPORT,
	FZ_SITE_MAX_THREADS,
	FZ_SITE_BAD_IOCTL,
	FZ_SITE_WR,		/* WRITE_READ rejected as a whole */
	FZ_SITE_READ,		/* the read phase */
	FZ_SITE_CMD,		/* + enum fastipc_cmd_op (1..12), 13: bad op */
	FZ_SITE_CMD_END = FZ_SITE_CMD + 14,
	FZ_SITE_MMAP = FZ_SITE_CMD_END,
	FZ_SITE_MPROTECT,
	FZ_SITE_MREMAP,
	FZ_SITE_POLL,
	FZ_SITE_SOCK,
	FZ_SITE_FOREIGN,	/* ioctls on another process' peer */
	FZ_SITE_CHILD,		/* ioctls of a forked child on our peer */
	FZ_SITE_CLONE,		/* raw threads without CLONE_FILES */
	FZ_SITE_URING,		/* io_uring commands, CANCEL */
	FZ_SITE_NR
};

/* Findings: everything that fails the run except unexpected errnos. */
enum fz_finding {
	FZ_F_RECORD,		/* malformed record */
	FZ_F_PAYLOAD,		/* payload bytes wrong */
	FZ_F_MISROUTE,		/* a record for something we never had */
	FZ_F_ORACLE,		/* a probe's invariant failed */
	FZ_F_CRASH,		/* a worker died of a signal we did not send */
	FZ_F_STUCK,		/* a worker stuck in an operation */
	FZ_F_PEER_DIED,		/* our own peer died without a reason */
	FZ_F_NR
};

/* ---- shared memory ------------------------------------------------------- */

struct fz_cfg {
	__u64 seed;
	__u64 max_ops;
	__u64 t_start;		/* CLOCK_MONOTONIC ns */
	__u64 t_stop;		/* workers stop starting operations */
	__u32 procs;
	__u32 threads;
	__u32 stuck_ms;
	__u32 time_scale;	/* -z: every time limit times this */
	__u32 verbose;
	__u64 op_mask;		/* enabled operations */
	__u32 driver_pid;
	__u32 no_chaos;		/* -q: no kills, exec, munmap, fork, clone */
};

/* Heartbeat of one worker thread, read by the driver's watchdog. */
struct fz_tslot {
	__s32 tid;
	__u32 inc;
	__u32 op;
	__u32 busy;
	__u64 op_idx;
	__u64 op_start;		/* ns, 0 when between operations */
};

struct fz_pslot {
	__s32 pid;
	__u32 inc;
	__u32 area_size;
	__u32 ready;
	__u32 restarts;
	__u32 exec_pending;	/* the worker is exec'ing itself */
	__u32 pad[2];
	__u64 setup_start;	/* ns: this incarnation began */
	struct fz_tslot t[FZ_TSLOTS];
};

struct fz_note {
	__u32 used;
	char text[FZ_NOTE_LEN];
};

struct fz_shared {
	struct fz_cfg cfg;
	__u64 stop;
	__u64 ops_done;
	__u64 ops_started;
	__u64 op_count[FZ_OP_NR];
	__u64 op_ns[FZ_OP_NR];
	__u64 rec_count[FZ_REC_NR];	/* records read, by op (0: bad) */
	__u64 hist[FZ_SITE_NR][FZ_MAX_ERRNO];
	__u64 unexpected;
	__u64 unexpected_site[FZ_SITE_NR];
	__u64 findings[FZ_F_NR];
	__u64 info[10];			/* see enum fz_info */
	__u64 note_next;
	struct fz_note notes[FZ_NOTES];
	struct fz_pslot proc[FZ_MAX_PROCS];
};

/* Observations worth a line in the report, not failures. */
enum fz_info {
	FZ_I_PEER_DEATH_UNSHARE,	/* a private fd table's exit killed it */
	FZ_I_RESTARTS,
	FZ_I_DRIVER_KILLS,
	FZ_I_TIMEOUTS,			/* FAILED_REPLY ETIMEDOUT */
	FZ_I_ABANDONED,			/* calls left by LOOPER_EXIT */
	FZ_I_HANDLES_FAILED,		/* 0xffffffff handle slots */
	FZ_I_FDS_FAILED,
	FZ_I_PROBE_VOID,		/* a probe's peer killed by a sibling */
	FZ_I_NR
};

extern struct fz_shared *fz_sh;

/* A time limit whose expiry is a finding, for this kernel's speed (-z). */
static inline __u64 fz_limit_ms(__u64 ms)
{
	return ms * fz_sh->cfg.time_scale;
}

/* ---- random numbers ------------------------------------------------------ */

struct fz_rng {
	__u64 s;
};

__u64 fz_mix(__u64 x);
__u64 fz_next(struct fz_rng *r);
/* Uniform in [0, n); n == 0 gives 0. */
__u64 fz_below(struct fz_rng *r, __u64 n);
/* True with probability num/den. */
bool fz_chance(struct fz_rng *r, unsigned int num, unsigned int den);
/* Index chosen with the given weights. */
unsigned int fz_pick(struct fz_rng *r, const unsigned int *w, unsigned int n);
void fz_rng_seed(struct fz_rng *r, __u64 a, __u64 b, __u64 c, __u64 d);

/* Boundary values. */
__u64 fz_size(struct fz_rng *r, __u64 area);
__u32 fz_bad_handle(struct fz_rng *r, __u32 known_max);
__u64 fz_deadline(struct fz_rng *r, bool *far);
__u32 fz_count(struct fz_rng *r, __u32 max);

/* ---- errno expectations -------------------------------------------------- */

/* A set of errnos: bit fz_ebit(errno). */
typedef __u64 fz_emask;
unsigned int fz_ebit(int err);
#define FZ_E(e)		(1ULL << fz_ebit(e))
#define FZ_E_ANY	(~0ULL)

/* ---- reports -------------------------------------------------------------- */

__u64 fz_now(void);
void fz_note(const char *fmt, ...) __printf(1, 2);
void fz_finding(enum fz_finding f, const char *fmt, ...) __printf(2, 3);
void fz_count_site(enum fz_site site, int err);
/* Count @err at @site; report it when it is not in @expect. */
void fz_result(enum fz_site site, int err, fz_emask expect, const char *what);
void fz_info(enum fz_info i);
const char *fz_op_name(unsigned int op);
const char *fz_site_name(unsigned int site);
const char *fz_finding_name(unsigned int f);
int fz_shared_create(void);
int fz_shared_attach(void);
void fz_report(FILE *out);

/* ---- the driver ---------------------------------------------------------- */

int fz_driver_main(int argc, char **argv);

/* ---- workers ---------------------------------------------------------------- */

int fz_worker_main(int slot, int inc);
int fz_probe_exec_main(int argc, char **argv);

#endif /* _FASTIPC_FUZZ_H */
