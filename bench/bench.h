/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastipc-bench: shared declarations.
 *
 * Every mechanism is a client (the benchmark's main process) and a server
 * (a forked child).  The client drives batches: a batch header tells the
 * server the payload size and how many round trips follow, then each round
 * trip sends a request of that size and waits for a reply of the same size.
 * Both sides check each payload (every byte, or only its stamps in the
 * round trips the latency client times: msg.c) and fail loudly on a
 * mismatch.
 */
#ifndef _FASTIPC_BENCH_H
#define _FASTIPC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KIB		1024UL
#define MIB		(1024UL * 1024UL)

/* Machine-readable output lines start with this; the host parses them. */
#define OUT_TAG		"@B"

/*
 * struct srv_stats - what a server tells the client, in shared memory.
 * @syscalls: system calls the server issued for round trips (batch
 *	headers excluded).
 * @rts: round trips served.
 * @bad: payloads that failed verification (the server also exits 3).
 */
struct srv_stats {
	volatile uint64_t syscalls;
	volatile uint64_t rts;
	volatile uint64_t bad;
};

/**
 * struct mech - one IPC mechanism.
 * @name: short name used in the output.
 * @max_size: largest payload it carries (0: not available here).
 * @priv: the mechanism's state.
 * @srv: server counters, shared with the server process.
 * @syscalls: client system calls for round trips.
 * @pid: the server process.
 * @setup: fork the server and connect; return 0, or -errno (skipped).
 * @batch: tell the server that @count round trips of @len follow, the
 *	first with sequence number @first (0: any sequence numbers); the
 *	header comes from msg_batch(), which adds the stamps-only range.
 * @rt: one round trip of @len bytes, sequence number @seq.  Return 0, or
 *	-errno on a failure (verification failures are -EBADMSG).
 * @finish: tell the server to exit and reap it; return its exit status.
 */
struct mech {
	const char *name;
	size_t max_size;
	void *priv;
	struct srv_stats *srv;
	uint64_t syscalls;
	pid_t pid;
	int (*setup)(struct mech *m, size_t max);
	int (*batch)(struct mech *m, size_t len, uint64_t count,
		     uint64_t first);
	int (*rt)(struct mech *m, size_t len, uint64_t seq);
	int (*finish)(struct mech *m);
};

/* Constructors of the mechanisms (mech_*.c, binder.c). */
void mech_fastipc_init(struct mech *m);
void mech_fastipc_16m_init(struct mech *m);
void mech_binder_init(struct mech *m);
void mech_pipe_init(struct mech *m);
void mech_unix_stream_init(struct mech *m);
void mech_unix_seqpacket_init(struct mech *m);
void mech_shm_eventfd_init(struct mech *m);
void mech_shm_futex_init(struct mech *m);
void mech_floor_init(struct mech *m);

/* msg.c: payload patterns. */
struct fb_batch;
int msg_init(size_t max);
void msg_stamps_only(uint64_t first, uint64_t count);
void msg_batch(struct fb_batch *b, size_t len, uint64_t count,
	       uint64_t first);
void msg_stamp(void *buf, size_t len, uint64_t seq, bool reply);
void *msg_prepare(size_t len, uint64_t seq, bool reply);
bool msg_check(const void *buf, size_t len, uint64_t seq, bool reply);
uint64_t msg_seq(const void *buf, size_t len);
void msg_corrupt(uint64_t seq, int dirs);

/* stats.c */
int cmp_u64(const void *a, const void *b);
int cmp_double(const void *a, const void *b);
uint64_t pct_u64(uint64_t *v, size_t n, double p);	/* sorts v */
double median_double(double *v, size_t n);		/* sorts v */

/* util.c */
uint64_t now_ns(void);
int pin_cpu(int cpu);
void *shared_alloc(size_t size);
int write_full(int fd, const void *buf, size_t len);
int read_full(int fd, void *buf, size_t len);
int reap(pid_t pid);
pid_t fork_child(void);
int send_fd(int sock, int fd);
int recv_fd(int sock);
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* sysc.c: the calling thread's system calls, counted by the kernel. */
struct sysc {
	int fd[2];		/* the named system call, all of them */
	uint64_t at[2];		/* their counts at the start */
};
int sysc_start(struct sysc *s, const char *name);
int sysc_stop(struct sysc *s, uint64_t *named, uint64_t *all);

/* Sub-commands. */
int cmd_latency(int argc, char **argv);
int cmd_scale(int argc, char **argv);
int cmd_handles(int argc, char **argv);
int cmd_prio(int argc, char **argv);
int cmd_inflight(int argc, char **argv);
int cmd_notify(int argc, char **argv);

#endif /* _FASTIPC_BENCH_H */
