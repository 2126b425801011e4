// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: the memory every process shares (a memfd kept at fd
 * FZ_SHM_FD across fork and exec), the counters in it and the report.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

struct fz_shared *fz_sh;

#define FZ_NOTES_PRINTED	300

static const char * const fz_op_names[FZ_OP_NR] = {
	[FZ_OP_VERSION] = "version",
	[FZ_OP_NODE_CREATE] = "node_create",
	[FZ_OP_CTX_MGR] = "ctx_mgr",
	[FZ_OP_EXPORT] = "export",
	[FZ_OP_IMPORT] = "import",
	[FZ_OP_MAX_THREADS] = "max_threads",
	[FZ_OP_BAD_IOCTL] = "bad_ioctl",
	[FZ_OP_CALL] = "call",
	[FZ_OP_SEND] = "send",
	[FZ_OP_SERVE] = "serve",
	[FZ_OP_BATCH] = "batch",
	[FZ_OP_REPLY] = "reply",
	[FZ_OP_FREE] = "free",
	[FZ_OP_REFS] = "refs",
	[FZ_OP_DEATH] = "death",
	[FZ_OP_LOOPER] = "looper",
	[FZ_OP_BULK] = "bulk",
	[FZ_OP_SOCK_SEND] = "sock_send",
	[FZ_OP_SOCK_RECV] = "sock_recv",
	[FZ_OP_FD_CYCLE] = "fd_cycle",
	[FZ_OP_FOREIGN] = "foreign",
	[FZ_OP_POLL] = "poll",
	[FZ_OP_MMAP] = "mmap",
	[FZ_OP_DUP_CLOSE] = "dup_close",
	[FZ_OP_SIGNALS] = "signals",
	[FZ_OP_PRIO] = "prio",
	[FZ_OP_FORK] = "fork",
	[FZ_OP_UNSHARE] = "unshare",
	[FZ_OP_CLONE] = "clone",
	[FZ_OP_THREAD_EXIT] = "thread_exit",
	[FZ_OP_PROBE] = "probe",
	[FZ_OP_STORM] = "death_storm",
	[FZ_OP_REOPEN] = "reopen",
	[FZ_OP_MUNMAP] = "munmap",
	[FZ_OP_EXEC] = "exec",
	[FZ_OP_SELF_KILL] = "self_kill",
	[FZ_OP_NOTIFY] = "notify",
	[FZ_OP_URING] = "uring",
};

static const char * const fz_cmd_names[] = {
	"cmd?", "CALL", "SEND", "REPLY", "REPLY_ERROR", "FREE", "ACQUIRE",
	"RELEASE", "REQUEST_DEATH", "CLEAR_DEATH", "LOOPER_ENTER",
	"LOOPER_EXIT", "SIGNAL", "cmd-bad-op", "cmd?",
};

static const char * const fz_site_names[] = {
	[FZ_SITE_VERSION] = "VERSION",
	[FZ_SITE_NODE_CREATE] = "NODE_CREATE",
	[FZ_SITE_CTX_MGR] = "SET_CONTEXT_MGR",
	[FZ_SITE_EXPORT] = "HANDLE_EXPORT",
	[FZ_SITE_IMPORT] = "HANDLE_IMPORT",
	[FZ_SITE_MAX_THREADS] = "SET_MAX_THREADS",
	[FZ_SITE_BAD_IOCTL] = "bad ioctl",
	[FZ_SITE_WR] = "WRITE_READ",
	[FZ_SITE_READ] = "read phase",
	[FZ_SITE_MMAP] = "mmap",
	[FZ_SITE_MPROTECT] = "mprotect",
	[FZ_SITE_MREMAP] = "mremap/munmap part",
	[FZ_SITE_POLL] = "poll",
	[FZ_SITE_SOCK] = "unix socket",
	[FZ_SITE_FOREIGN] = "foreign peer",
	[FZ_SITE_CHILD] = "forked child",
	[FZ_SITE_CLONE] = "clone/unshare thread",
	[FZ_SITE_URING] = "io_uring commands",
};

static const char * const fz_finding_names[FZ_F_NR] = {
	[FZ_F_RECORD] = "malformed record",
	[FZ_F_PAYLOAD] = "payload corrupted",
	[FZ_F_MISROUTE] = "misrouted record",
	[FZ_F_ORACLE] = "probe invariant",
	[FZ_F_CRASH] = "worker crashed",
	[FZ_F_STUCK] = "worker stuck",
	[FZ_F_PEER_DIED] = "own peer died",
};

static const char * const fz_info_names[FZ_I_NR] = {
	[FZ_I_PEER_DEATH_UNSHARE] = "peer died when a thread with its own fd table exited",
	[FZ_I_RESTARTS] = "worker restarts",
	[FZ_I_DRIVER_KILLS] = "SIGKILLs by the driver",
	[FZ_I_TIMEOUTS] = "calls timed out (deadline)",
	[FZ_I_ABANDONED] = "calls abandoned (LOOPER_EXIT)",
	[FZ_I_HANDLES_FAILED] = "handle slots 0xffffffff",
	[FZ_I_FDS_FAILED] = "records with FDS_FAILED",
	[FZ_I_PROBE_VOID] = "probes void (a sibling's private-fd-table thread killed their peer)",
};

const char *fz_op_name(unsigned int op)
{
	return op < FZ_OP_NR ? fz_op_names[op] : "?";
}

const char *fz_site_name(unsigned int site)
{
	if (site >= FZ_SITE_CMD && site < FZ_SITE_CMD_END)
		return fz_cmd_names[site - FZ_SITE_CMD];
	if (site < FZ_ARRAY_SIZE(fz_site_names) && fz_site_names[site])
		return fz_site_names[site];
	return "?";
}

const char *fz_finding_name(unsigned int f)
{
	return f < FZ_F_NR ? fz_finding_names[f] : "?";
}

__u64 fz_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One line on stdout, written at once so that processes do not mix. */
static void fz_vline(const char *prefix, const char *fmt, va_list ap)
{
	char buf[FZ_NOTE_LEN + 64];
	int n;

	n = snprintf(buf, sizeof(buf), "%s", prefix);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(1, buf, n) < 0)
		return;
}

void fz_note(const char *fmt, ...)
{
	char text[FZ_NOTE_LEN];
	__u64 i = __atomic_fetch_add(&fz_sh->note_next, 1, __ATOMIC_RELAXED);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (i < FZ_NOTES) {
		memcpy(fz_sh->notes[i].text, text, sizeof(text));
		__atomic_store_n(&fz_sh->notes[i].used, 1, __ATOMIC_RELEASE);
	}
	if (i < FZ_NOTES_PRINTED) {
		va_start(ap, fmt);
		fz_vline("# ", fmt, ap);
		va_end(ap);
	}
}

void fz_finding(enum fz_finding f, const char *fmt, ...)
{
	char text[FZ_NOTE_LEN];
	va_list ap;

	__atomic_fetch_add(&fz_sh->findings[f], 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fz_note("FINDING %s: %s", fz_finding_names[f], text);
}

void fz_info(enum fz_info i)
{
	__atomic_fetch_add(&fz_sh->info[i], 1, __ATOMIC_RELAXED);
}

void fz_count_site(enum fz_site site, int err)
{
	if (err < 0 || err >= FZ_MAX_ERRNO)
		err = FZ_MAX_ERRNO - 1;
	__atomic_fetch_add(&fz_sh->hist[site][err], 1, __ATOMIC_RELAXED);
}

void fz_result(enum fz_site site, int err, fz_emask expect, const char *what)
{
	fz_count_site(site, err);
	if (expect & FZ_E(err))
		return;
	__atomic_fetch_add(&fz_sh->unexpected, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&fz_sh->unexpected_site[site], 1, __ATOMIC_RELAXED);
	/* The first few of each site are worth a line. */
	if (fz_sh->unexpected_site[site] <= 5)
		fz_note("unexpected %s from %s%s%s", err ? strerror(err) : "success",
			fz_site_name(site), what ? ": " : "", what ? what : "");
}

int fz_shared_create(void)
{
	int fd = memfd_create("fastipc-fuzz", 0);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, sizeof(struct fz_shared)) ||
	    dup2(fd, FZ_SHM_FD) != FZ_SHM_FD) {
		close(fd);
		return -errno;
	}
	close(fd);
	return fz_shared_attach();
}

int fz_shared_attach(void)
{
	void *m = mmap(NULL, sizeof(struct fz_shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED, FZ_SHM_FD, 0);

	if (m == MAP_FAILED)
		return -errno;
	fz_sh = m;
	return 0;
}

static const char * const fz_rec_names[FZ_REC_NR] = {
	"bad", "TRANSACTION", "REPLY", "DEAD_REPLY", "FAILED_REPLY",
	"DEAD_NODE", "NODE_RELEASED", "SPAWN_LOOPER", "SIGNAL",
};

/* Operation counts, records, the errno histogram, observations. */
void fz_report(FILE *out)
{
	unsigned int i, e, col;

	fprintf(out, "# operations:");
	for (i = col = 0; i < FZ_OP_NR; i++) {
		if (!fz_sh->op_count[i])
			continue;
		if (col++ % 4 == 0)
			fprintf(out, "\n#  ");
		fprintf(out, " %s %llu (%.1f ms)", fz_op_names[i],
			(unsigned long long)fz_sh->op_count[i],
			fz_sh->op_ns[i] / 1e6 / fz_sh->op_count[i]);
	}
	fprintf(out, "\n# records read:");
	for (i = 0; i < FZ_REC_NR; i++)
		if (fz_sh->rec_count[i])
			fprintf(out, " %s %llu", fz_rec_names[i],
				(unsigned long long)fz_sh->rec_count[i]);
	fprintf(out, "\n# errno histogram (site: errno count ...):\n");
	for (i = 0; i < FZ_SITE_NR; i++) {
		char line[1024];
		int n = 0;

		for (e = 0; e < FZ_MAX_ERRNO; e++) {
			const char *name;

			if (!fz_sh->hist[i][e])
				continue;
			name = e ? strerrorname_np(e) : "ok";
			n += snprintf(line + n, sizeof(line) - n, " %s %llu",
				      name ? name : "?",
				      (unsigned long long)fz_sh->hist[i][e]);
			if (n >= (int)sizeof(line))
				break;
		}
		if (n)
			fprintf(out, "#   %-18s%s%s\n", fz_site_name(i), line,
				fz_sh->unexpected_site[i] ? " (unexpected!)" : "");
	}
	for (i = 0; i < FZ_I_NR; i++)
		if (fz_sh->info[i])
			fprintf(out, "# %s: %llu\n", fz_info_names[i],
				(unsigned long long)fz_sh->info[i]);
}
