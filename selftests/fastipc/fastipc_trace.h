/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastipc selftests: count the system calls of a child with ptrace.
 * Include after kselftest_harness.h.
 *
 * fipc_trace_fork() forks a child that asks to be traced (PTRACE_TRACEME,
 * which Yama allows up to ptrace_scope 2 as root and 1 otherwise) and runs
 * a body; fipc_trace_run() then traces every such child with
 * PTRACE_SYSCALL and logs each system call it enters: its number, its
 * first three arguments, its return value and, for a WRITE_READ, the
 * commands of the write buffer and the room of the read buffer (read from
 * the child's memory at the call's entry).
 *
 * The body cuts its log into segments with fipc_trace_mark(): getppid(),
 * which nothing of fastipc's makes, so a segment holds exactly the system
 * calls made between two marks.  The kernel counts, not the test.
 */
#ifndef _FASTIPC_TRACE_H
#define _FASTIPC_TRACE_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/fastipc.h>

#define FIPC_TRACE_MAX_SYSCALLS	16384
#define FIPC_TRACE_MARK_NR	SYS_getppid
/* Exit status of a child that may not be traced (Yama). */
#define FIPC_TRACE_DENIED	4

/* Commands of one WRITE_READ decoded at most. */
#define FIPC_TRACE_MAX_CMDS	8

/**
 * struct fipc_syscall - one system call entered by a traced child.
 * @nr: its number.
 * @args: its first three arguments.
 * @ret: its return value (-errno on failure), once @returned.
 * @returned: it returned (exit_group never does).
 * @cmd_ops: WRITE_READ: one bit (1 << op) per command of the write buffer
 *	not consumed yet.
 * @read_records: WRITE_READ: records that fit the rest of the read buffer.
 */
struct fipc_syscall {
	__u64 nr;
	__u64 args[3];
	__s64 ret;
	bool returned;
	__u32 cmd_ops;
	__u32 read_records;
};

/**
 * struct fipc_trace - a traced child and its log.
 * @pid: the child.
 * @status: its wait status once it is gone.
 * @done: it is gone.
 * @in_syscall: it stopped at a syscall entry and not yet at its exit.
 * @overflow: it made more than FIPC_TRACE_MAX_SYSCALLS system calls.
 * @n: entries of @log.
 * @log: the system calls, in order.
 */
struct fipc_trace {
	pid_t pid;
	int status;
	bool done;
	bool in_syscall;
	bool overflow;
	unsigned int n;
	struct fipc_syscall log[FIPC_TRACE_MAX_SYSCALLS];
};

/* Start a segment of the log: a system call the traced code never makes. */
static inline void fipc_trace_mark(void)
{
	syscall(FIPC_TRACE_MARK_NR);
}

static inline bool fipc_syscall_is_mark(const struct fipc_syscall *sc)
{
	return sc->nr == FIPC_TRACE_MARK_NR;
}

static inline bool fipc_syscall_is_write_read(const struct fipc_syscall *sc,
					      int fd)
{
	return sc->nr == SYS_ioctl && sc->args[0] == (__u64)fd &&
	       sc->args[1] == FASTIPC_IOC_WRITE_READ;
}

/*
 * Fork a child that runs @body(@arg) traced, then _exit()s with its return
 * value (FIPC_TRACE_DENIED when it may not be traced).  It is stopped until
 * fipc_trace_run(), and killed if the tracer goes away (PTRACE_O_EXITKILL).
 * Return: 0 or -errno; the child's pid is in @t->pid.
 */
static inline int fipc_trace_fork(struct fipc_trace *t, int (*body)(void *),
				  void *arg)
{
	int status;

	memset(t, 0, sizeof(*t));
	t->pid = fork();
	if (t->pid < 0)
		return -errno;
	if (!t->pid) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(FIPC_TRACE_DENIED);
		raise(SIGSTOP);
		_exit(body(arg));
	}
	if (waitpid(t->pid, &status, 0) != t->pid)
		return -errno;
	if (!WIFSTOPPED(status)) {
		t->done = true;
		t->status = status;
		return 0;
	}
	if (ptrace(PTRACE_SETOPTIONS, t->pid, NULL,
		   PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL))
		return -errno;
	return 0;
}

/* Was the child refused tracing (Yama)? */
static inline bool fipc_trace_denied(const struct fipc_trace *t)
{
	return t->done && WIFEXITED(t->status) &&
	       WEXITSTATUS(t->status) == FIPC_TRACE_DENIED;
}

/*
 * Fork child i of @n to run @bodies[i](@arg), traced.  When one of them
 * may not be traced, the others are killed and reaped.
 * Return: 0, -EPERM when tracing is not allowed, or -errno.
 */
static inline int fipc_trace_fork_all(struct fipc_trace **traces,
				      int (*const *bodies)(void *),
				      unsigned int n, void *arg)
{
	bool denied = false;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = fipc_trace_fork(traces[i], bodies[i], arg);
		if (ret)
			return ret;
		denied |= fipc_trace_denied(traces[i]);
	}
	if (!denied)
		return 0;
	for (i = 0; i < n; i++) {
		if (traces[i]->done)
			continue;
		kill(traces[i]->pid, SIGKILL);
		waitpid(traces[i]->pid, &traces[i]->status, __WALL);
		traces[i]->done = true;
	}
	return -EPERM;
}

/* Copy @len bytes (a multiple of 8) at @addr out of stopped tracee @pid. */
static inline int fipc_trace_peek(pid_t pid, __u64 addr, void *buf,
				  size_t len)
{
	size_t off;
	long word;

	for (off = 0; off < len; off += sizeof(word)) {
		errno = 0;
		word = ptrace(PTRACE_PEEKDATA, pid,
			      (void *)(uintptr_t)(addr + off), NULL);
		if (errno)
			return -errno;
		memcpy((char *)buf + off, &word, sizeof(word));
	}
	return 0;
}

/* What the WRITE_READ of @sc is about to do: its commands, its room. */
static inline void fipc_trace_decode_write_read(pid_t pid,
						struct fipc_syscall *sc)
{
	struct fastipc_write_read wr;
	struct fastipc_cmd c;
	__u64 off;
	unsigned int i;

	memset(&wr, 0, sizeof(wr));
	memset(&c, 0, sizeof(c));
	if (fipc_trace_peek(pid, sc->args[2], &wr, sizeof(wr)))
		return;
	off = wr.write_consumed;
	for (i = 0; i < FIPC_TRACE_MAX_CMDS && off < wr.write_size; i++) {
		if (fipc_trace_peek(pid, wr.write_buffer + off, &c, sizeof(c)))
			return;
		if (c.op < 32)
			sc->cmd_ops |= 1U << c.op;
		off += sizeof(c);
	}
	if (wr.read_size > wr.read_consumed)
		sc->read_records = (wr.read_size - wr.read_consumed) /
				   sizeof(struct fastipc_ret);
}

/* Log the syscall entry or exit @t stopped at. */
static inline void fipc_trace_syscall_stop(struct fipc_trace *t)
{
	struct __ptrace_syscall_info info;
	struct fipc_syscall *sc;

	memset(&info, 0, sizeof(info));
	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->pid, (void *)sizeof(info),
		   &info) <= 0)
		return;
	if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
		if (t->in_syscall && t->n) {
			t->log[t->n - 1].ret = info.exit.rval;
			t->log[t->n - 1].returned = true;
		}
		t->in_syscall = false;
		return;
	}
	if (info.op != PTRACE_SYSCALL_INFO_ENTRY)
		return;
	if (t->n == FIPC_TRACE_MAX_SYSCALLS) {
		t->overflow = true;
		return;
	}
	sc = &t->log[t->n++];
	memset(sc, 0, sizeof(*sc));
	sc->nr = info.entry.nr;
	sc->args[0] = info.entry.args[0];
	sc->args[1] = info.entry.args[1];
	sc->args[2] = info.entry.args[2];
	t->in_syscall = true;
	if (sc->nr == SYS_ioctl && sc->args[1] == FASTIPC_IOC_WRITE_READ)
		fipc_trace_decode_write_read(t->pid, sc);
}

/*
 * Trace the @n children of @traces until all are gone.  Signals other than
 * the tracing's own stops are passed on (a child's alarm() still ends it).
 * Return: 0 or -errno.
 */
static inline int fipc_trace_run(struct fipc_trace **traces, unsigned int n)
{
	unsigned int i, live = 0;
	int status, sig;
	pid_t pid;

	for (i = 0; i < n; i++) {
		if (traces[i]->done)
			continue;
		if (ptrace(PTRACE_SYSCALL, traces[i]->pid, NULL, NULL))
			return -errno;
		live++;
	}
	while (live) {
		pid = waitpid(-1, &status, __WALL);
		if (pid < 0)
			return -errno;
		for (i = 0; i < n && traces[i]->pid != pid; i++)
			;
		if (i == n)
			continue;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			traces[i]->done = true;
			traces[i]->status = status;
			live--;
			continue;
		}
		sig = 0;
		if (WSTOPSIG(status) == (SIGTRAP | 0x80))
			fipc_trace_syscall_stop(traces[i]);
		else
			sig = WSTOPSIG(status);
		ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig);
	}
	return 0;
}

/* Index of the first mark at or after @from, or @t->n when there is none. */
static inline unsigned int fipc_trace_next_mark(const struct fipc_trace *t,
						unsigned int from)
{
	while (from < t->n && !fipc_syscall_is_mark(&t->log[from]))
		from++;
	return from;
}

/*
 * The segment that starts at the mark @*pos: its first system call in
 * @*first, their number returned; @*pos moves to the next mark (or @t->n).
 */
static inline unsigned int fipc_trace_segment(const struct fipc_trace *t,
					      unsigned int *pos,
					      unsigned int *first)
{
	unsigned int end = fipc_trace_next_mark(t, *pos + 1);
	unsigned int start = *pos + 1;

	*first = start;
	*pos = end;
	return end > start ? end - start : 0;
}

/* Print @count syscalls of @t from @first, as TAP comments. */
static inline void fipc_trace_print(const struct fipc_trace *t,
				    unsigned int first, unsigned int count)
{
	const struct fipc_syscall *sc;
	unsigned int i;

	for (i = first; i < first + count && i < t->n; i++) {
		sc = &t->log[i];
		fprintf(stderr,
			"#   syscall %llu (0x%llx, 0x%llx, 0x%llx) = %lld%s, cmds 0x%x, read room %u\n",
			(unsigned long long)sc->nr,
			(unsigned long long)sc->args[0],
			(unsigned long long)sc->args[1],
			(unsigned long long)sc->args[2], (long long)sc->ret,
			sc->returned ? "" : " (no return)", sc->cmd_ops, sc->read_records);
	}
}

/**
 * struct fipc_expect - a WRITE_READ a segment must hold.
 * @cmd_ops: exactly these commands (1 << op each) in its write buffer.
 * @read: with room for at least one record in its read buffer, or none.
 */
struct fipc_expect {
	__u32 cmd_ops;
	bool read;
};

#define FIPC_OP(op)	(1U << FASTIPC_CMD_##op)

/*
 * The segment of @t at the mark @*pos must be exactly the @n successful
 * WRITE_READs on @fd of @want, followed by exit_group when @exits; @*pos
 * moves to the next mark.  @what and @round name it in the failure log,
 * which lists the segment's system calls.
 * Return: true when it is.
 */
static inline bool fipc_trace_expect(struct __test_metadata *_metadata,
				     const struct fipc_trace *t,
				     unsigned int *pos, int fd,
				     const struct fipc_expect *want,
				     unsigned int n, bool exits,
				     const char *what, unsigned int round)
{
	const struct fipc_syscall *sc;
	unsigned int first, count, i;
	bool ok;

	count = fipc_trace_segment(t, pos, &first);
	ok = count == n + exits;
	for (i = 0; ok && i < n; i++) {
		sc = &t->log[first + i];
		ok = fipc_syscall_is_write_read(sc, fd) && sc->returned &&
		     !sc->ret &&
		     sc->cmd_ops == want[i].cmd_ops &&
		     !!sc->read_records == want[i].read;
	}
	if (ok && exits)
		ok = t->log[first + n].nr == SYS_exit_group;
	EXPECT_TRUE(ok) {
		TH_LOG("%s %u: want %u WRITE_READ%s on fd %d, got %u syscalls:",
		       what, round, n, exits ? " and exit_group" : "", fd,
		       count);
		fipc_trace_print(t, first, count);
	}
	return ok;
}

/* ---- a traced client/server pair, for the round-trip counts ------------ */

#define FIPC_SYSC_ROUNDS	32

/**
 * struct fipc_sysc_side - what one child saw, in memory shared with the test.
 * @fd: its descriptor of the device.
 * @fail: source line of its first failed check, 0 for none.
 * @fail_val: the value that failed it.
 * @rounds: round trips it completed.
 * @sender_pid: server: the sender of the calls it served.
 * @txn: the transaction ID of each round.
 */
struct fipc_sysc_side {
	int fd;
	int fail;
	long fail_val;
	unsigned int rounds;
	pid_t sender_pid;
	__u64 txn[FIPC_SYSC_ROUNDS];
};

/**
 * struct fipc_sysc - a pair's setup and findings (MAP_SHARED).
 * @len: payload bytes of every call and reply.
 * @split: the client sends each CALL and waits for its reply in two
 *	ioctls (the counter must see it).
 * @sock: the server sends its node's export fd to the client through it.
 * @client: the client's findings.
 * @server: the server's findings.
 * @client_trace: the test's log of the client (its own memory).
 * @server_trace: the test's log of the server.
 */
struct fipc_sysc {
	size_t len;
	bool split;
	int sock[2];
	struct fipc_sysc_side client;
	struct fipc_sysc_side server;
	struct fipc_trace *client_trace;
	struct fipc_trace *server_trace;
};

/* Return: a pair for @len-byte round trips, or NULL. */
static inline struct fipc_sysc *fipc_sysc_create(size_t len)
{
	struct fipc_sysc *sh;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return NULL;
	sh->len = len;
	sh->client_trace = malloc(sizeof(*sh->client_trace));
	sh->server_trace = malloc(sizeof(*sh->server_trace));
	if (!sh->client_trace || !sh->server_trace ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sh->sock)) {
		free(sh->client_trace);
		free(sh->server_trace);
		munmap(sh, sizeof(*sh));
		return NULL;
	}
	return sh;
}

static inline void fipc_sysc_destroy(struct fipc_sysc *sh)
{
	free(sh->client_trace);
	free(sh->server_trace);
	munmap(sh, sizeof(*sh));
}

static inline void fipc_sysc_expect_exit_0(struct __test_metadata *_metadata,
					   const struct fipc_trace *t,
					   const struct fipc_sysc_side *s,
					   const char *who)
{
	EXPECT_TRUE(WIFEXITED(t->status) && !WEXITSTATUS(t->status))
		TH_LOG("%s: wait status 0x%x", who, t->status);
	EXPECT_EQ(0, s->fail)
		TH_LOG("%s: check at line %d failed (%ld)", who, s->fail,
		       s->fail_val);
	EXPECT_EQ(FIPC_SYSC_ROUNDS, s->rounds) TH_LOG("%s", who);
	EXPECT_FALSE(t->overflow) TH_LOG("%s: log full", who);
}

/*
 * Run @serve and @call as the pair's traced children and check what they
 * saw: both exited cleanly after every round, the server's calls came from
 * the client, both saw the same, distinct transaction IDs.
 * Return: false when the test must stop (skipped, or failed already).
 */
static inline bool fipc_sysc_run(struct __test_metadata *_metadata,
				 struct fipc_sysc *sh, int (*serve)(void *),
				 int (*call)(void *))
{
	int (*const bodies[])(void *) = { serve, call };
	struct fipc_trace *traces[] = { sh->server_trace, sh->client_trace };
	unsigned int i;
	int ret;

	ret = fipc_trace_fork_all(traces, bodies, 2, sh);
	close(sh->sock[0]);
	close(sh->sock[1]);
	if (ret == -EPERM)
		SKIP(return false, "ptrace of a child not allowed (Yama)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, fipc_trace_run(traces, 2));
	fipc_sysc_expect_exit_0(_metadata, sh->server_trace, &sh->server,
				"server");
	fipc_sysc_expect_exit_0(_metadata, sh->client_trace, &sh->client,
				"client");
	EXPECT_EQ(sh->client_trace->pid, sh->server.sender_pid);
	for (i = 0; i < FIPC_SYSC_ROUNDS; i++) {
		EXPECT_NE(0, sh->client.txn[i]);
		EXPECT_EQ(sh->client.txn[i], sh->server.txn[i])
			TH_LOG("round %u", i);
		EXPECT_TRUE(!i || sh->client.txn[i] != sh->client.txn[i - 1]);
	}
	return _metadata->passed;
}

#endif /* _FASTIPC_TRACE_H */
