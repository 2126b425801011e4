// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: the driver.  It starts the workers, respawns them when
 * they die, SIGKILLs one now and then, watches every thread's heartbeat
 * (an operation running too long is reported with the thread's state,
 * wchan and kernel stack, then killed), watches exiting workers (one
 * whose exit takes too long is reported and given up on), stops
 * everything in time, and checks the invariants: every worker gone, the
 * module's live counters back to zero.  It prints TAP lines.  Every time
 * limit is multiplied by the time scale (-z) on a slow kernel.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

static const char * const fz_live[] = {
	"peers", "threads", "nodes", "refs", "txns", "buffers", "deaths",
	"exports", "boosted",
};

#define FZ_NLIVE	FZ_ARRAY_SIZE(fz_live)

struct fz_wstate {
	pid_t pid;		/* 0: not running */
	bool gone;		/* reaped */
	bool killed;		/* by us (kill schedule or watchdog) */
	__u64 exit_time;	/* seen exiting (our SIGKILL, or on its own) */
	__u64 spawn_time;
	bool reported[FZ_TSLOTS];
	unsigned int setup_fails;
};

static struct fz_wstate fz_w[FZ_MAX_PROCS];
/* Workers that survived SIGKILL (a task in D state): given up on. */
static pid_t fz_zombies[64];
static unsigned int fz_nzombies;
static sig_atomic_t fz_interrupted;

static void fz_on_int(int sig)
{
	(void)sig;
	__atomic_store_n(&fz_interrupted, 1, __ATOMIC_RELAXED);
}

static void fz_usage(FILE *f)
{
	fprintf(f,
		"usage: fastipc-fuzz [-s SEED] [-n OPS] [-t SEC] [-p PROCS] [-T THREADS]\n"
		"                    [-w STUCK_SEC] [-k KILL_MS] [-o OPS] [-x OPS] [-q] [-v] [-S] [-l]\n"
		"  -s SEED     seed (default: from the clock); printed first, replays\n"
		"              the same per-thread operation sequences\n"
		"  -n OPS      operations in all (default 100000)\n"
		"  -t SEC      time limit of the whole run, checks included (default 60)\n"
		"  -p PROCS    worker processes (default 4, at most %d)\n"
		"  -T THREADS  threads per worker (default 4, at most %d)\n"
		"  -w SEC      an operation running longer is a stuck worker (default 20)\n"
		"  -z SCALE    multiply every time limit by SCALE, for a slow kernel\n"
		"              (default 1; the debug kernel under TCG: 10)\n"
		"  -k MS       mean interval of SIGKILLs of a random worker (default 3000,\n"
		"              0: none)\n"
		"  -o a,b,...  only these operations (names: -l; uring only so)\n"
		"  -x a,b,...  all operations but these\n"
		"  -q          quiet chaos: no fork, exec, clone, munmap, reopen, kills\n"
		"  -v          trace every operation on stderr\n"
		"  -S          do not check the debugfs counters\n"
		"  -l          list the operations\n",
		FZ_MAX_PROCS, FZ_MAX_THREADS);
}

static int fz_op_by_name(const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < FZ_OP_NR; i++)
		if (strlen(fz_op_name(i)) == len &&
		    !strncmp(fz_op_name(i), name, len))
			return i;
	return -1;
}

static int fz_parse_ops(const char *list, __u64 *mask)
{
	const char *p = list;

	*mask = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		int op = fz_op_by_name(p, len);

		if (op < 0) {
			fprintf(stderr, "fastipc-fuzz: no operation '%.*s'\n",
				(int)len, p);
			return -1;
		}
		*mask |= 1ULL << op;
		p += len;
		if (*p)
			p++;
	}
	return 0;
}

/* ---- the module's counters --------------------------------------------------------- */

/* Read the live counters; return how many were found. */
static int fz_stats(long *v)
{
	char line[128], key[64];
	unsigned int i;
	long val;
	int found = 0;
	FILE *f = fopen(FZ_STATS, "re");

	for (i = 0; i < FZ_NLIVE; i++)
		v[i] = -1;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld", key, &val) != 2)
			continue;
		for (i = 0; i < FZ_NLIVE; i++)
			if (!strcmp(key, fz_live[i])) {
				v[i] = val;
				found++;
			}
	}
	fclose(f);
	return found;
}

static bool fz_stats_zero(const long *v)
{
	unsigned int i;

	for (i = 0; i < FZ_NLIVE; i++)
		if (v[i] > 0)
			return false;
	return true;
}

static void fz_stats_str(const long *v, char *buf, size_t len)
{
	unsigned int i;
	int n = 0;

	buf[0] = 0;
	for (i = 0; i < FZ_NLIVE && n < (int)len; i++)
		if (v[i])
			n += snprintf(buf + n, len - n, " %s %ld", fz_live[i],
				      v[i]);
}

static void fz_cat(const char *path, const char *prefix, unsigned int max)
{
	char line[512];
	unsigned int n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (n++ < max && fgets(line, sizeof(line), f))
		printf("%s%s%s", prefix, line,
		       strchr(line, '\n') ? "" : "\n");
	fclose(f);
}

/* ---- stuck workers --------------------------------------------------------------------- */

/* Thread state letter from /proc (R, S, D, ...), '?' when gone. */
static char fz_task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void fz_dump_task(pid_t pid, pid_t tid)
{
	char path[96], wchan[128] = "";
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, wchan, sizeof(wchan) - 1);
		wchan[n > 0 ? n : 0] = 0;
		close(fd);
	}
	printf("#   task %d state %c wchan %s\n", tid, fz_task_state(pid, tid),
	       wchan[0] ? wchan : "?");
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	fz_cat(path, "#     syscall ", 1);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", pid, tid);
	fz_cat(path, "#     ", 24);
}

/* Every thread of @pid, from /proc. */
static void fz_dump_all(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			fz_dump_task(pid, atoi(de->d_name));
	closedir(d);
}

static void fz_report_stuck(unsigned int s, unsigned int k, __u64 age)
{
	struct fz_pslot *ps = &fz_sh->proc[s];
	pid_t pid = ps->pid, tid = ps->t[k].tid;
	char st = fz_task_state(pid, tid);

	/* Gone already (an exec or exit took it): not stuck, only stale. */
	if (st == '?')
		return;
	__atomic_fetch_add(&fz_sh->findings[FZ_F_STUCK], 1, __ATOMIC_RELAXED);
	printf("# STUCK: worker %u inc %u thread %u (tid %d) ", s, ps->inc, k,
	       tid);
	printf("in op %s #%llu for %llu ms, state %c%s\n",
	       fz_op_name(ps->t[k].op),
	       (unsigned long long)ps->t[k].op_idx,
	       (unsigned long long)(age / 1000000), st,
	       st == 'D' ? " (uninterruptible: a kernel bug)" :
	       " (signals did not get it out)");
	fz_dump_task(pid, tid);
	printf("#   the other threads of %d:\n", pid);
	fz_dump_all(pid);
	fflush(stdout);
}

/*
 * Is this worker exiting: killed by us, or its leader (the supervising
 * main thread, which never leaves alone) a zombie?  Not while it execs
 * itself: a thread that execs takes the leader's place, the leader is a
 * zombie for a moment.  Its operations are over then; its exit is
 * watched by fz_abandon(), from when it was first seen.
 */
static bool fz_exiting(unsigned int s, __u64 now)
{
	struct fz_wstate *w = &fz_w[s];

	if (!w->exit_time &&
	    !__atomic_load_n(&fz_sh->proc[s].exec_pending, __ATOMIC_ACQUIRE) &&
	    fz_task_state(w->pid, w->pid) == 'Z')
		w->exit_time = now;
	return w->exit_time;
}

static void fz_watchdog(__u64 now, __u64 stuck_ns)
{
	unsigned int s, k;

	for (s = 0; s < fz_sh->cfg.procs; s++) {
		struct fz_wstate *w = &fz_w[s];
		struct fz_pslot *ps = &fz_sh->proc[s];
		bool stuck = false;
		__u64 start;

		if (!w->pid || w->gone || fz_exiting(s, now))
			continue;
		for (k = 0; k < FZ_TSLOTS; k++) {
			__u64 start = __atomic_load_n(&ps->t[k].op_start,
						      __ATOMIC_ACQUIRE);

			if (!ps->t[k].tid || !start || start > now ||
			    now - start < stuck_ns || w->reported[k])
				continue;
			w->reported[k] = true;
			fz_report_stuck(s, k, now - start);
			stuck = true;
		}
		start = ps->setup_start > w->spawn_time ? ps->setup_start :
			w->spawn_time;
		if (!ps->ready && now > start && now - start > stuck_ns) {
			printf("# STUCK: worker %u (pid %d) not ready after %llu ms\n",
			       s, w->pid, (unsigned long long)
			       ((now - start) / 1000000));
			__atomic_fetch_add(&fz_sh->findings[FZ_F_STUCK], 1,
					   __ATOMIC_RELAXED);
			fz_dump_all(w->pid);
			stuck = true;
		}
		if (stuck) {
			w->killed = true;
			w->exit_time = now;
			kill(w->pid, SIGKILL);
		}
	}
}

/* ---- workers --------------------------------------------------------------------------- */

static void fz_spawn(unsigned int s, unsigned int inc)
{
	struct fz_wstate *w = &fz_w[s];
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	memset(fz_sh->proc[s].t, 0, sizeof(fz_sh->proc[s].t));
	fz_sh->proc[s].ready = 0;
	fz_sh->proc[s].inc = inc;
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		char a[16], b[16];
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigaddset(&set, SIGUSR2);
		sigprocmask(SIG_BLOCK, &set, NULL);
		signal(SIGINT, SIG_IGN);
		snprintf(a, sizeof(a), "%u", s);
		snprintf(b, sizeof(b), "%u", inc);
		execl("/proc/self/exe", "fastipc-fuzz", "--worker", a, b,
		      (char *)NULL);
		_exit(FZ_EXIT_SETUP);
	}
	memset(w, 0, sizeof(*w) - sizeof(w->setup_fails));
	w->pid = pid;
	w->spawn_time = fz_now();
	fz_sh->proc[s].pid = pid;
}

/* Reap what exited; classify how. */
static void fz_reap_all(bool respawn)
{
	unsigned int s;

	for (s = 0; s < fz_sh->cfg.procs; s++) {
		struct fz_wstate *w = &fz_w[s];
		int status;

		if (!w->pid || w->gone)
			continue;
		if (waitpid(w->pid, &status, WNOHANG) != w->pid)
			continue;
		w->gone = true;
		fz_sh->proc[s].ready = 0;
		fz_sh->proc[s].pid = 0;
		if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
			__atomic_fetch_add(&fz_sh->findings[FZ_F_CRASH], 1,
					   __ATOMIC_RELAXED);
			printf("# FINDING worker crashed: worker %u inc %u ",
			       s, fz_sh->proc[s].inc);
			printf("died of signal %d (%s)\n", WTERMSIG(status),
			       strsignal(WTERMSIG(status)));
		} else if (WIFEXITED(status) &&
			   WEXITSTATUS(status) == FZ_EXIT_SETUP) {
			w->setup_fails++;
		} else if (WIFEXITED(status) &&
			   WEXITSTATUS(status) != FZ_EXIT_DONE &&
			   WEXITSTATUS(status) != FZ_EXIT_RESTART) {
			__atomic_fetch_add(&fz_sh->findings[FZ_F_CRASH], 1,
					   __ATOMIC_RELAXED);
			printf("# FINDING worker crashed: worker %u inc %u exited with %d\n",
			       s, fz_sh->proc[s].inc, WEXITSTATUS(status));
		}
		if (respawn && w->setup_fails < 3)
			fz_spawn(s, fz_sh->proc[s].inc + 1);
	}
}

static unsigned int fz_running(void)
{
	unsigned int s, n = 0;

	for (s = 0; s < fz_sh->cfg.procs; s++)
		n += fz_w[s].pid && !fz_w[s].gone;
	return n;
}

static void fz_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * A worker still exiting after the exit limit (5 s, scaled; from our
 * SIGKILL or from when its exit was seen) may have a task the kernel will
 * not let go: say where its tasks are, remember it for the end (where one
 * still there fails the run) and give its slot to a new incarnation, so
 * that the run goes on.
 */
static void fz_abandon(__u64 now, __u64 exit_ns)
{
	unsigned int s;

	for (s = 0; s < fz_sh->cfg.procs; s++) {
		struct fz_wstate *w = &fz_w[s];

		if (!w->exit_time || w->gone || now - w->exit_time < exit_ns)
			continue;
		printf("# worker %u (pid %d) %s for %llu ms: given up on\n",
		       s, w->pid, w->killed ? "survives SIGKILL" : "exiting",
		       (unsigned long long)((now - w->exit_time) / 1000000));
		kill(w->pid, SIGKILL);
		fz_dump_all(w->pid);
		if (fz_nzombies < FZ_ARRAY_SIZE(fz_zombies))
			fz_zombies[fz_nzombies++] = w->pid;
		w->gone = true;
		fz_spawn(s, fz_sh->proc[s].inc + 1);
	}
}

/* ---- main --------------------------------------------------------------------------------- */

static void fz_tap(bool ok, __u64 seed, const char *fmt, ...) __printf(3, 4);

static void fz_tap(bool ok, __u64 seed, const char *fmt, ...)
{
	va_list ap;

	printf("%sok - fuzz seed %llu: ", ok ? "" : "not ",
	       (unsigned long long)seed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int fz_driver_main(int argc, char **argv)
{
	__u64 seed = fz_now() ^ ((__u64)getpid() << 32), max_ops = 100000;
	unsigned int secs = 60, procs = 4, threads = 4, stuck = 20;
	unsigned int kill_ms = 3000, verbose = 0, no_chaos = 0, scale = 1;
	/* uring only when asked for: the default runs replay as before. */
	__u64 mask = ~(1ULL << FZ_OP_URING), start, t_end, reserve, next_kill,
	      now;
	__u64 stuck_ns, exit_ns;
	char scale_arg[16] = "", scale_note[32] = "";
	bool check_stats = true, ok_all = true;
	long base[FZ_NLIVE], v[FZ_NLIVE];
	struct fz_rng dr;
	struct sched_param sp;
	char buf[256];
	unsigned int s, unkillable = 0;
	int c, nstats;

	while ((c = getopt(argc, argv, "s:n:t:p:T:w:z:k:o:x:qvSlh")) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			max_ops = strtoull(optarg, NULL, 0);
			break;
		case 't':
			secs = atoi(optarg);
			break;
		case 'p':
			procs = atoi(optarg);
			break;
		case 'T':
			threads = atoi(optarg);
			break;
		case 'w':
			stuck = atoi(optarg);
			break;
		case 'z':
			scale = atoi(optarg);
			break;
		case 'k':
			kill_ms = atoi(optarg);
			break;
		case 'o':
			if (fz_parse_ops(optarg, &mask))
				return 2;
			break;
		case 'x':
			if (fz_parse_ops(optarg, &mask))
				return 2;
			mask = ~mask & ~(1ULL << FZ_OP_URING);
			break;
		case 'q':
			no_chaos = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'S':
			check_stats = false;
			break;
		case 'l':
			for (s = 0; s < FZ_OP_NR; s++)
				printf("%s\n", fz_op_name(s));
			return 0;
		case 'h':
			fz_usage(stdout);
			return 0;
		default:
			fz_usage(stderr);
			return 2;
		}
	}
	if (procs < 1 || procs > FZ_MAX_PROCS || threads < 1 ||
	    threads > FZ_MAX_THREADS || secs < 4 || scale < 1 ||
	    scale > 1000) {
		fz_usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (scale > 1) {
		snprintf(scale_arg, sizeof(scale_arg), " -z %u", scale);
		snprintf(scale_note, sizeof(scale_note), " time limits x%u", scale);
	}
	printf("# fastipc-fuzz seed %llu ops %llu time %u s procs %u threads %u kill %u ms%s%s\n",
	       (unsigned long long)seed, (unsigned long long)max_ops, secs,
	       procs, threads, kill_ms, scale_note, no_chaos ? " quiet" : "");
	printf("# replay: fastipc-fuzz -s %llu -n %llu -t %u -p %u -T %u -k %u%s%s\n",
	       (unsigned long long)seed, (unsigned long long)max_ops, secs,
	       procs, threads, kill_ms, scale_arg, no_chaos ? " -q" : "");

	if (fz_shared_create()) {
		perror("fastipc-fuzz: shared memory");
		return 1;
	}
	start = fz_now();
	/*
	 * A few seconds at the end: stop, kill stragglers, counters.  Exits
	 * take as much longer as everything else on a slow kernel.
	 */
	reserve = secs / 5;
	reserve = (reserve < 3 ? 3 : reserve > 15 ? 15 : reserve) * scale;
	if (reserve > secs / 2)
		reserve = secs / 2;
	stuck_ns = stuck * 1000000000ULL * scale;
	exit_ns = 5000000000ULL * scale;
	t_end = start + secs * 1000000000ULL;
	fz_sh->cfg.seed = seed;
	fz_sh->cfg.max_ops = max_ops;
	fz_sh->cfg.t_start = start;
	fz_sh->cfg.t_stop = t_end - reserve * 1000000000ULL;
	fz_sh->cfg.procs = procs;
	fz_sh->cfg.threads = threads;
	fz_sh->cfg.stuck_ms = stuck * 1000;
	fz_sh->cfg.time_scale = scale;
	fz_sh->cfg.verbose = verbose;
	fz_sh->cfg.op_mask = mask;
	fz_sh->cfg.driver_pid = getpid();
	fz_sh->cfg.no_chaos = no_chaos;
	if (no_chaos)
		kill_ms = 0;
	fz_rng_seed(&dr, seed, 0xd1, 0, 0);

	/* The watchdog must run whatever the workers' priorities. */
	sp.sched_priority = 50;
	sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp);
	signal(SIGINT, fz_on_int);
	signal(SIGTERM, fz_on_int);
	signal(SIGPIPE, SIG_IGN);

	nstats = fz_stats(base);
	if (nstats && !fz_stats_zero(base)) {
		fz_stats_str(base, buf, sizeof(buf));
		printf("# counters not zero before the run:%s\n", buf);
	}
	if (access(FZ_DEV, F_OK)) {
		fz_tap(false, seed, "%s missing (module not loaded?)", FZ_DEV);
		return 1;
	}

	for (s = 0; s < procs; s++)
		fz_spawn(s, 0);
	next_kill = start + (kill_ms ? (kill_ms + fz_below(&dr, kill_ms)) *
			     1000000ULL : ~0ULL / 2);
	while (!__atomic_load_n(&fz_interrupted, __ATOMIC_RELAXED)) {
		now = fz_now();
		if (now >= fz_sh->cfg.t_stop || fz_sh->stop)
			break;
		fz_reap_all(true);
		fz_watchdog(now, stuck_ns);
		fz_abandon(now, exit_ns);
		if (now >= next_kill) {
			struct fz_wstate *w;

			s = fz_below(&dr, procs);
			w = &fz_w[s];
			if (w->pid && !w->gone && fz_sh->proc[s].ready &&
			    !fz_sh->proc[s].exec_pending) {
				kill(w->pid, SIGKILL);
				w->killed = true;
				if (!w->exit_time)
					w->exit_time = now;
				fz_info(FZ_I_DRIVER_KILLS);
			}
			next_kill = now + (kill_ms / 2 + fz_below(&dr, kill_ms)) *
				    1000000ULL;
		}
		fz_sleep_ms(20);
	}
	__atomic_store_n(&fz_sh->stop, 1, __ATOMIC_RELEASE);

	/* Stop: the workers finish their operation and exit. */
	{
		__u64 grace = fz_now() + reserve * 400000000ULL;

		while (fz_running() && fz_now() < grace) {
			fz_reap_all(false);
			fz_watchdog(fz_now(), stuck_ns);
			fz_sleep_ms(10);
		}
	}
	if (fz_running()) {
		for (s = 0; s < procs; s++) {
			struct fz_wstate *w = &fz_w[s];
			unsigned int k;

			if (!w->pid || w->gone)
				continue;
			/*
			 * An operation still running for seconds: say where
			 * (an exiting worker's are over: its exit is checked
			 * below).
			 */
			now = fz_now();
			for (k = 0; !fz_exiting(s, now) && k < FZ_TSLOTS; k++) {
				__u64 st = fz_sh->proc[s].t[k].op_start;

				if (fz_sh->proc[s].t[k].tid && st &&
				    now - st > 3000000000ULL * scale &&
				    !w->reported[k]) {
					w->reported[k] = true;
					fz_report_stuck(s, k, now - st);
				}
			}
			kill(w->pid, SIGKILL);
		}
		{
			__u64 until = fz_now() + reserve * 200000000ULL;

			while (fz_running() && fz_now() < until) {
				fz_reap_all(false);
				fz_sleep_ms(10);
			}
		}
		for (s = 0; s < procs; s++) {
			if (!fz_w[s].pid || fz_w[s].gone)
				continue;
			unkillable++;
			printf("# worker %u (pid %d) survives SIGKILL:\n", s,
			       fz_w[s].pid);
			fz_dump_all(fz_w[s].pid);
		}
	}

	for (s = 0; s < fz_nzombies; s++) {
		int status;

		if (waitpid(fz_zombies[s], &status, WNOHANG) == fz_zombies[s])
			continue;
		unkillable++;
		printf("# worker pid %d given up on earlier is still there:\n",
		       fz_zombies[s]);
		fz_dump_all(fz_zombies[s]);
	}

	now = fz_now();
	printf("# ops done %llu in %.1f s (%.0f ops/s)\n",
	       (unsigned long long)fz_sh->ops_done,
	       (now - start) / 1e9,
	       fz_sh->ops_done / ((fz_sh->cfg.t_stop < now ? fz_sh->cfg.t_stop :
				   now) - start + 1.0) * 1e9);
	fz_report(stdout);

	/* Invariants. */
	if (check_stats && !unkillable) {
		bool zero = false;

		while (fz_now() + 300000000ULL < t_end) {
			nstats = fz_stats(v);
			if (!nstats || fz_stats_zero(v)) {
				zero = true;
				break;
			}
			fz_sleep_ms(50);
		}
		if (!nstats) {
			fz_tap(true, seed, "%llu ops, counters # SKIP %s unreadable",
			       (unsigned long long)fz_sh->ops_done, FZ_STATS);
		} else if (zero) {
			fz_tap(true, seed, "%llu ops, counters 0",
			       (unsigned long long)fz_sh->ops_done);
		} else {
			fz_stats_str(v, buf, sizeof(buf));
			fz_tap(false, seed, "%llu ops, counters not 0:%s",
			       (unsigned long long)fz_sh->ops_done, buf);
			fz_cat(FZ_STATE, "#   state: ", 40);
			ok_all = false;
		}
	} else if (check_stats) {
		fz_tap(false, seed, "%llu ops, counters not checked: %u workers unkillable",
		       (unsigned long long)fz_sh->ops_done, unkillable);
		ok_all = false;
	}
	fz_tap(!unkillable, seed, "every worker exited");
	ok_all &= !unkillable;
	fz_tap(!fz_sh->findings[FZ_F_STUCK], seed, "no stuck worker (%llu)",
	       (unsigned long long)fz_sh->findings[FZ_F_STUCK]);
	fz_tap(!fz_sh->findings[FZ_F_CRASH], seed, "no worker crashed (%llu)",
	       (unsigned long long)fz_sh->findings[FZ_F_CRASH]);
	s = fz_sh->findings[FZ_F_RECORD] + fz_sh->findings[FZ_F_PAYLOAD] +
	    fz_sh->findings[FZ_F_MISROUTE];
	fz_tap(!s, seed,
	       "records well-formed, payloads intact, nothing misrouted (%llu, %llu, %llu)",
	       (unsigned long long)fz_sh->findings[FZ_F_RECORD],
	       (unsigned long long)fz_sh->findings[FZ_F_PAYLOAD],
	       (unsigned long long)fz_sh->findings[FZ_F_MISROUTE]);
	fz_tap(!fz_sh->findings[FZ_F_ORACLE], seed, "probes held (%llu failed)",
	       (unsigned long long)fz_sh->findings[FZ_F_ORACLE]);
	fz_tap(!fz_sh->findings[FZ_F_PEER_DIED], seed,
	       "no peer died without a cause (%llu)",
	       (unsigned long long)fz_sh->findings[FZ_F_PEER_DIED]);
	for (s = 0; s < FZ_F_NR; s++)
		ok_all &= !fz_sh->findings[s];
	/* Reported, not fatal. */
	fz_tap(true, seed, "unexpected errnos: %llu%s",
	       (unsigned long long)fz_sh->unexpected,
	       fz_sh->unexpected ? " (see the notes above; not fatal)" : "");
	printf("# fastipc-fuzz seed %llu: %s\n", (unsigned long long)seed,
	       ok_all ? "PASS" : "FAIL");
	return ok_all ? 0 : 1;
}
