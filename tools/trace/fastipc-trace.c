// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-trace: where a fastipc call's time goes.  Attaches BPF programs
 * (fastipc-trace.bpf.c) to the module's tracepoints and prints, per node
 * and code, log2 histograms of the three phases of a call (queue wait,
 * service, return) with calls/s, failures by reason, top talkers, death
 * notices and priority boosts; as text or JSON, once or every interval.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/fastipc.h>

#include "fastipc-trace.h"
#include "fastipc-trace.skel.h"

#define TOP_TALKERS	10

static struct {
	int pid;
	unsigned long long cookie;
	int have_cookie;
	double interval;
	double duration;
	int json;
	int by_code;
	int verbose;
	int check_only;
} opt;

static volatile sig_atomic_t stop;

static const char *const reason_names[FT_REASONS] = {
	[FASTIPC_REASON_NONE] = "none",
	[FASTIPC_REASON_DEAD_TARGET] = "dead_target",
	[FASTIPC_REASON_NO_SPACE] = "no_space",
	[FASTIPC_REASON_NO_AREA] = "no_area",
	[FASTIPC_REASON_REPLIED_ERROR] = "replied_error",
	[FASTIPC_REASON_ONEWAY_BUDGET] = "oneway_budget",
	[FASTIPC_REASON_TIMED_OUT] = "timed_out",
	[FASTIPC_REASON_SENDER_SHARE] = "sender_share",
	[FASTIPC_REASON_HANDLE_LIMIT] = "handle_limit",
	[FASTIPC_REASON_UNANSWERED] = "unanswered",
	[FASTIPC_REASON_CANCELLED] = "cancelled",
};

static const char *const phase_names[FT_PHASES] = {
	"queue", "service", "return", "total",
};

/* ---- checks before anything is loaded -------------------------------- */

/* The fields of an event the BPF program reads, where it reads them. */
struct field {
	const char *name;
	size_t offset;
	size_t size;
};

#define F(type, member) { #member, offsetof(type, member), \
			  sizeof(((type *)0)->member) }

static const struct field sent_fields[] = {
	F(struct ft_txn_sent, txn_id), F(struct ft_txn_sent, code),
	F(struct ft_txn_sent, cookie), F(struct ft_txn_sent, from_pid),
	F(struct ft_txn_sent, from_tid), F(struct ft_txn_sent, to_pid),
	F(struct ft_txn_sent, depth), F(struct ft_txn_sent, oneway), {},
};
static const struct field received_fields[] = {
	F(struct ft_txn_received, txn_id), F(struct ft_txn_received, from_tid),
	F(struct ft_txn_received, depth), F(struct ft_txn_received, oneway),
	{},
};
static const struct field replied_fields[] = {
	F(struct ft_txn_replied, txn_id), F(struct ft_txn_replied, from_tid),
	F(struct ft_txn_replied, depth), {},
};
static const struct field returned_fields[] = {
	F(struct ft_txn_returned, txn_id), F(struct ft_txn_returned, tid),
	F(struct ft_txn_returned, depth), {},
};
static const struct field failed_fields[] = {
	F(struct ft_txn_failed, from_pid), F(struct ft_txn_failed, to_pid),
	F(struct ft_txn_failed, reason), F(struct ft_txn_failed, oneway), {},
};
static const struct field timed_out_fields[] = {
	F(struct ft_txn_timed_out, txn_id), F(struct ft_txn_timed_out, tid),
	F(struct ft_txn_timed_out, depth), {},
};
static const struct field prio_fields[] = {
	F(struct ft_prio, pid), F(struct ft_prio, tid), {},
};
static const struct field ref_fields[] = {
	F(struct ft_ref, pid), F(struct ft_ref, owner_pid), {},
};

static const struct {
	const char *event;
	const struct field *fields;
} events[] = {
	{ "fastipc_txn_sent", sent_fields },
	{ "fastipc_txn_received", received_fields },
	{ "fastipc_txn_replied", replied_fields },
	{ "fastipc_txn_returned", returned_fields },
	{ "fastipc_txn_failed", failed_fields },
	{ "fastipc_txn_timed_out", timed_out_fields },
	{ "fastipc_prio_lent", prio_fields },
	{ "fastipc_prio_restored", prio_fields },
	{ "fastipc_death_queued", ref_fields },
	{ "fastipc_death_delivered", ref_fields },
};

/* Where tracefs is mounted; NULL with errno EACCES when we may not look. */
static const char *tracefs_dir(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	int denied = 0;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (!access(path, F_OK))
			return dirs[i];
		denied |= errno == EACCES;
	}
	errno = denied ? EACCES : ENOENT;
	return NULL;
}

/* Is @f at the offset and of the size the format file says? */
static int check_field(const char *event, const char *format,
		       const struct field *f)
{
	char needle[96];
	const char *p;
	unsigned int off, size;

	snprintf(needle, sizeof(needle), " %s;\toffset:", f->name);
	p = strstr(format, needle);
	if (!p || sscanf(p + strlen(needle), "%u;\tsize:%u;", &off, &size) != 2) {
		fprintf(stderr, "fastipc-trace: event %s has no field %s: this fastipc module is older than the tool\n",
			event, f->name);
		return -1;
	}
	if (off != f->offset || size != f->size) {
		fprintf(stderr, "fastipc-trace: %s.%s is at offset %u size %u, the tool reads offset %zu size %zu: rebuild the tool for this module\n",
			event, f->name, off, size, f->offset, f->size);
		return -1;
	}
	return 0;
}

/*
 * Everything the tool needs from the kernel, each missing piece said in
 * one line: tracefs, the module's events and their layout, BPF.
 */
static int check_kernel(void)
{
	const char *dir = tracefs_dir();
	char path[192], format[8192];
	const struct field *f;
	size_t i, n;
	FILE *fp;
	int bad = 0;

	if (!dir && errno == EACCES) {
		fprintf(stderr, "fastipc-trace: cannot read tracefs: run as root\n");
		return -1;
	}
	if (!dir) {
		fprintf(stderr, "fastipc-trace: tracefs is not mounted (mount -t tracefs tracefs /sys/kernel/tracing)\n");
		return -1;
	}
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/fastipc/%s/format",
			 dir, events[i].event);
		fp = fopen(path, "r");
		if (!fp) {
			if (errno == EACCES || errno == EPERM)
				fprintf(stderr, "fastipc-trace: cannot read %s: run as root\n",
					path);
			else if (i == 0)
				fprintf(stderr, "fastipc-trace: no fastipc events in %s/events: is the fastipc module loaded?\n",
					dir);
			else
				fprintf(stderr, "fastipc-trace: the fastipc module has no event %s: it is older than the tool\n",
					events[i].event);
			return -1;
		}
		n = fread(format, 1, sizeof(format) - 1, fp);
		format[n] = '\0';
		fclose(fp);
		for (f = events[i].fields; f->name; f++)
			bad |= check_field(events[i].event, format, f);
	}
	if (bad)
		return -1;
	if (opt.check_only)
		return 0;
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL) != 1) {
		if (errno == EPERM || errno == EACCES)
			fprintf(stderr, "fastipc-trace: BPF is not permitted: run as root (CAP_BPF and CAP_PERFMON)\n");
		else
			fprintf(stderr, "fastipc-trace: this kernel cannot run BPF tracepoint programs (CONFIG_BPF_SYSCALL, CONFIG_BPF_EVENTS): %s\n",
				strerror(errno));
		return -1;
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	if (!opt.verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* ---- reading the maps -------------------------------------------------- */

struct node_stat {
	struct ft_hist_key key;	/* phase unused */
	struct ft_hist h[FT_PHASES];
};

struct report {
	double secs;
	__u64 counters[FT_COUNTERS];
	__u64 failures[FT_REASONS * 2];
	__u64 boost_hist[FT_SLOTS];
	struct node_stat *nodes;
	size_t n_nodes;
	struct { struct ft_talker_key k; struct ft_talker v; } *talkers;
	size_t n_talkers;
};

static struct node_stat *node_find(struct report *r,
				   const struct ft_hist_key *k)
{
	struct node_stat *n;
	size_t i;

	for (i = 0; i < r->n_nodes; i++) {
		n = &r->nodes[i];
		if (n->key.to_pid == k->to_pid && n->key.cookie == k->cookie &&
		    (!opt.by_code || n->key.code == k->code))
			return n;
	}
	n = realloc(r->nodes, (r->n_nodes + 1) * sizeof(*n));
	if (!n)
		return NULL;
	r->nodes = n;
	n = &r->nodes[r->n_nodes++];
	memset(n, 0, sizeof(*n));
	n->key = *k;
	n->key.phase = 0;
	if (!opt.by_code)
		n->key.code = 0;
	return n;
}

/*
 * Every key of map @fd (at most @max of @size bytes) into @keys, first,
 * so that entries can then be taken out one by one.  Return: how many.
 */
static size_t map_keys(int fd, void *keys, size_t size, size_t max)
{
	char *k = keys;
	size_t n = 0;

	while (n < max && !bpf_map_get_next_key(fd, n ? k + (n - 1) * size :
						 NULL, k + n * size))
		n++;
	return n;
}

/*
 * Read entry @key of map @fd into @value; in interval mode take it out in
 * the same step, so that nothing counted after the read is lost.
 */
static int map_take(int fd, const void *key, void *value, int reset)
{
	return reset ? bpf_map_lookup_and_delete_elem(fd, key, value) :
		       bpf_map_lookup_elem(fd, key, value);
}

static void read_hists(int fd, struct report *r, int reset)
{
	static struct ft_hist_key keys[FT_MAX_HISTS];
	struct node_stat *n;
	struct ft_hist h;
	size_t i, nk;
	int j;

	nk = map_keys(fd, keys, sizeof(keys[0]), FT_MAX_HISTS);
	for (i = 0; i < nk; i++) {
		if (map_take(fd, &keys[i], &h, reset) ||
		    keys[i].phase >= FT_PHASES)
			continue;
		n = node_find(r, &keys[i]);
		if (!n)
			continue;
		for (j = 0; j < FT_SLOTS; j++)
			n->h[keys[i].phase].slots[j] += h.slots[j];
		n->h[keys[i].phase].count += h.count;
		n->h[keys[i].phase].sum_ns += h.sum_ns;
	}
}

static int talker_cmp(const void *a, const void *b)
{
	const struct ft_talker *x = a + sizeof(struct ft_talker_key);
	const struct ft_talker *y = b + sizeof(struct ft_talker_key);
	__u64 nx = x->calls + x->oneways, ny = y->calls + y->oneways;

	return nx < ny ? 1 : nx > ny ? -1 : 0;
}

static void read_talkers(int fd, struct report *r, int reset)
{
	static struct ft_talker_key keys[FT_MAX_TALKERS];
	struct ft_talker v;
	size_t i, nk;
	void *t;

	nk = map_keys(fd, keys, sizeof(keys[0]), FT_MAX_TALKERS);
	for (i = 0; i < nk; i++) {
		if (map_take(fd, &keys[i], &v, reset))
			continue;
		t = realloc(r->talkers, (r->n_talkers + 1) * sizeof(*r->talkers));
		if (!t)
			break;
		r->talkers = t;
		r->talkers[r->n_talkers].k = keys[i];
		r->talkers[r->n_talkers++].v = v;
	}
	qsort(r->talkers, r->n_talkers, sizeof(*r->talkers), talker_cmp);
}

/* ---- printing ------------------------------------------------------------ */

static __u64 slot_low(int i)
{
	return i ? 1ULL << (i - 1) : 0;
}

/* Non-empty buckets as {"low µs": count, ...}. */
static void json_slots(const __u64 *slots)
{
	const char *sep = "";
	int i;

	printf("{");
	for (i = 0; i < FT_SLOTS; i++) {
		if (!slots[i])
			continue;
		printf("%s\"%llu\":%llu", sep, (unsigned long long)slot_low(i),
		       (unsigned long long)slots[i]);
		sep = ",";
	}
	printf("}");
}

static void print_json(const struct report *r)
{
	const __u64 *c = r->counters;
	const char *sep = "";
	size_t i;
	int p;

	printf("{\"seconds\":%.3f,\"calls\":%llu,\"calls_per_s\":%.1f,\"oneways\":%llu,\"returned\":%llu,\"untracked\":%llu,\n",
	       r->secs, (unsigned long long)c[FT_CALLS],
	       r->secs > 0 ? c[FT_CALLS] / r->secs : 0.0,
	       (unsigned long long)c[FT_ONEWAYS],
	       (unsigned long long)c[FT_RETURNED],
	       (unsigned long long)c[FT_UNTRACKED]);
	printf(" \"failures\":{");
	for (i = 0; i < FT_REASONS * 2; i++) {
		if (!r->failures[i])
			continue;
		printf("%s\"%s%s\":%llu", sep, i >= FT_REASONS ? "oneway_" : "",
		       reason_names[i % FT_REASONS] ?: "unknown",
		       (unsigned long long)r->failures[i]);
		sep = ",";
	}
	printf("},\n \"deaths\":{\"queued\":%llu,\"delivered\":%llu},\n",
	       (unsigned long long)c[FT_DEATHS_QUEUED],
	       (unsigned long long)c[FT_DEATHS_DELIVERED]);
	printf(" \"prio\":{\"lent\":%llu,\"restored\":%llu,\"boost_us\":",
	       (unsigned long long)c[FT_PRIO_LENT],
	       (unsigned long long)c[FT_PRIO_RESTORED]);
	json_slots(r->boost_hist);
	printf("},\n \"talkers\":[");
	for (i = 0; i < r->n_talkers; i++)
		printf("%s\n  {\"from\":%d,\"to\":%d,\"calls\":%llu,\"oneways\":%llu}",
		       i ? "," : "", r->talkers[i].k.from_pid,
		       r->talkers[i].k.to_pid,
		       (unsigned long long)r->talkers[i].v.calls,
		       (unsigned long long)r->talkers[i].v.oneways);
	printf("],\n \"nodes\":[");
	for (i = 0; i < r->n_nodes; i++) {
		const struct node_stat *n = &r->nodes[i];

		printf("%s\n  {\"pid\":%d,\"cookie\":\"0x%llx\",\"code\":%llu,\"calls\":%llu",
		       i ? "," : "", n->key.to_pid,
		       (unsigned long long)n->key.cookie,
		       (unsigned long long)n->key.code,
		       (unsigned long long)n->h[FT_TOTAL].count);
		for (p = 0; p < FT_PHASES; p++) {
			printf(",\"%s_us\":", phase_names[p]);
			json_slots(n->h[p].slots);
		}
		printf("}");
	}
	printf("]}\n");
}

static void print_bar(__u64 v, __u64 max, int width)
{
	int i, n = max ? (int)((v * width + max - 1) / max) : 0;

	putchar('|');
	for (i = 0; i < width; i++)
		putchar(i < n ? '*' : ' ');
	putchar('|');
}

static void print_node(const struct node_stat *n)
{
	const struct ft_hist *h = n->h;
	int i, lo = FT_SLOTS, hi = -1, p;
	__u64 max = 0;

	printf("\nnode %d/0x%llx", n->key.to_pid,
	       (unsigned long long)n->key.cookie);
	if (opt.by_code)
		printf(" code %llu", (unsigned long long)n->key.code);
	printf(": %llu calls, mean", (unsigned long long)h[FT_TOTAL].count);
	for (p = 0; p < FT_PHASES; p++)
		printf(" %s %.0f", phase_names[p], h[p].count ?
		       h[p].sum_ns / 1000.0 / h[p].count : 0.0);
	printf(" us\n");
	for (i = 0; i < FT_SLOTS; i++) {
		for (p = 0; p < FT_PHASES; p++) {
			if (!h[p].slots[i])
				continue;
			lo = i < lo ? i : lo;
			hi = i;
		}
		if (h[FT_TOTAL].slots[i] > max)
			max = h[FT_TOTAL].slots[i];
	}
	if (hi < 0)
		return;
	printf("%22s %8s %8s %8s %8s\n", "us", "queue", "service", "return",
	       "total");
	for (i = lo; i <= hi; i++) {
		printf("%10llu -> %-8llu", (unsigned long long)slot_low(i),
		       (unsigned long long)(i ? (1ULL << i) - 1 : 0));
		for (p = 0; p < FT_PHASES; p++)
			printf(" %8llu", (unsigned long long)h[p].slots[i]);
		printf(" ");
		print_bar(h[FT_TOTAL].slots[i], max, 30);
		printf("\n");
	}
}

static void print_text(const struct report *r)
{
	const __u64 *c = r->counters;
	time_t now = time(NULL);
	char stamp[16];
	size_t i;
	int first = 1;

	strftime(stamp, sizeof(stamp), "%H:%M:%S", localtime(&now));
	printf("%s  %.2f s: %llu calls (%.1f/s), %llu one-ways, %llu returned\n",
	       stamp, r->secs, (unsigned long long)c[FT_CALLS],
	       r->secs > 0 ? c[FT_CALLS] / r->secs : 0.0,
	       (unsigned long long)c[FT_ONEWAYS],
	       (unsigned long long)c[FT_RETURNED]);
	printf("failures:");
	for (i = 0; i < FT_REASONS * 2; i++) {
		if (!r->failures[i])
			continue;
		printf("%s %s%s %llu", first ? "" : ",",
		       i >= FT_REASONS ? "one-way " : "",
		       reason_names[i % FT_REASONS] ?: "unknown",
		       (unsigned long long)r->failures[i]);
		first = 0;
	}
	printf("%s\ndeath notices: %llu queued, %llu delivered\n",
	       first ? " none" : "", (unsigned long long)c[FT_DEATHS_QUEUED],
	       (unsigned long long)c[FT_DEATHS_DELIVERED]);
	printf("priority: %llu boosts, %llu restored", (unsigned long long)c[FT_PRIO_LENT],
	       (unsigned long long)c[FT_PRIO_RESTORED]);
	for (i = 0, first = 1; i < FT_SLOTS; i++) {
		if (!r->boost_hist[i])
			continue;
		printf("%s %llu us+: %llu", first ? "; lasted" : ",",
		       (unsigned long long)slot_low(i),
		       (unsigned long long)r->boost_hist[i]);
		first = 0;
	}
	if (c[FT_UNTRACKED])
		printf("\nuntracked calls (table full): %llu",
		       (unsigned long long)c[FT_UNTRACKED]);
	printf("\n");
	if (r->n_talkers) {
		printf("\ntop talkers:\n%8s %8s %10s %10s\n", "FROM", "TO",
		       "CALLS", "ONE-WAYS");
		for (i = 0; i < r->n_talkers && i < TOP_TALKERS; i++)
			printf("%8d %8d %10llu %10llu\n",
			       r->talkers[i].k.from_pid, r->talkers[i].k.to_pid,
			       (unsigned long long)r->talkers[i].v.calls,
			       (unsigned long long)r->talkers[i].v.oneways);
	}
	for (i = 0; i < r->n_nodes; i++)
		print_node(&r->nodes[i]);
	printf("\n");
	fflush(stdout);
}

/* ---- main ---------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * One report: counters since @prev (updated), histograms and talkers read
 * and, in interval mode, cleared.
 */
static void report(struct fastipc_trace_bpf *skel, struct report *prev,
		   double secs)
{
	struct report r = { .secs = secs };
	int reset = opt.interval > 0;
	size_t i;

	for (i = 0; i < FT_COUNTERS; i++) {
		r.counters[i] = skel->bss->counters[i] - prev->counters[i];
		prev->counters[i] = skel->bss->counters[i];
	}
	for (i = 0; i < FT_REASONS * 2; i++) {
		r.failures[i] = skel->bss->failures[i] - prev->failures[i];
		prev->failures[i] = skel->bss->failures[i];
	}
	for (i = 0; i < FT_SLOTS; i++) {
		r.boost_hist[i] = skel->bss->boost_hist[i] -
				  prev->boost_hist[i];
		prev->boost_hist[i] = skel->bss->boost_hist[i];
	}
	read_hists(bpf_map__fd(skel->maps.hists), &r, reset);
	read_talkers(bpf_map__fd(skel->maps.talkers), &r, reset);
	if (opt.json)
		print_json(&r);
	else
		print_text(&r);
	free(r.nodes);
	free(r.talkers);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fastipc-trace [-p PID] [-n COOKIE] [-i SECS] [-d SECS] [-c] [-j] [-v]\n"
		"       fastipc-trace --check\n"
		"  -p PID     only calls from or to process PID\n"
		"  -n COOKIE  only calls to nodes with this cookie\n"
		"  -i SECS    print a report every SECS seconds (counts since the last)\n"
		"  -d SECS    stop after SECS seconds (default: at Ctrl-C)\n"
		"  -c         histograms per node and code (default: per node)\n"
		"  -j         JSON, one object per report\n"
		"  -v         libbpf's messages\n"
		"  --check    check tracefs and the events' layout, load nothing\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct fastipc_trace_bpf *skel;
	struct report prev = {};
	double start, last, next, t;
	char *end;
	int c, err;

	while ((c = getopt_long(argc, argv, "p:n:i:d:cjvh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'p':
			opt.pid = strtol(optarg, &end, 10);
			if (*end || opt.pid <= 0)
				goto bad;
			break;
		case 'n':
			opt.cookie = strtoull(optarg, &end, 0);
			if (*end)
				goto bad;
			opt.have_cookie = 1;
			break;
		case 'i':
			opt.interval = strtod(optarg, &end);
			if (*end || opt.interval <= 0)
				goto bad;
			break;
		case 'd':
			opt.duration = strtod(optarg, &end);
			if (*end || opt.duration <= 0)
				goto bad;
			break;
		case 'c':
			opt.by_code = 1;
			break;
		case 'j':
			opt.json = 1;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'C':
			opt.check_only = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (opt.json)
		opt.by_code = 1;

	libbpf_set_print(libbpf_print);
	if (check_kernel())
		return 1;
	if (opt.check_only) {
		printf("fastipc-trace: tracefs, events and their layout are as expected\n");
		return 0;
	}

	skel = fastipc_trace_bpf__open();
	if (!skel) {
		fprintf(stderr, "fastipc-trace: cannot open the BPF object: %s\n",
			strerror(errno));
		return 1;
	}
	skel->rodata->targ_pid = opt.pid;
	skel->rodata->targ_cookie = opt.cookie;
	skel->rodata->filter_cookie = opt.have_cookie;
	/* Permission and support were checked: a failure here is a bug. */
	err = fastipc_trace_bpf__load(skel);
	if (err)
		fprintf(stderr, "fastipc-trace: the kernel refused the BPF programs (%s)%s\n",
			strerror(-err), opt.verbose ? "" : ": -v shows the verifier's log");
	else if ((err = fastipc_trace_bpf__attach(skel)))
		fprintf(stderr, "fastipc-trace: cannot attach to the fastipc events (%s)%s\n",
			strerror(-err), opt.verbose ? "" : ": -v says more");
	if (err) {
		fastipc_trace_bpf__destroy(skel);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "fastipc-trace: tracing%s, Ctrl-C to end\n",
		opt.interval > 0 ? " (interval mode)" : "");

	start = last = now_s();
	next = opt.interval > 0 ? start + opt.interval : 0;
	while (!stop) {
		usleep(50000);
		t = now_s();
		if (opt.duration > 0 && t - start >= opt.duration)
			break;
		if (next && t >= next) {
			report(skel, &prev, t - last);
			last = t;
			next += opt.interval;
		}
	}
	t = now_s();
	if (!opt.interval || t - last > 0.01)
		report(skel, &prev, t - last);
	fastipc_trace_bpf__destroy(skel);
	return 0;
bad:
	usage(stderr);
	return 2;
}
