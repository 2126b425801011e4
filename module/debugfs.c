// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - debugfs: the counters and peers of stats.c, and the log of
 * failed transactions.
 *
 * /sys/kernel/debug/fastipc/stats  "name value" lines: live counts, then
 *                                  event counters (prio_*, timeouts,
 *                                  signals_*)
 * /sys/kernel/debug/fastipc/state  one line per peer
 * /sys/kernel/debug/fastipc/failed the last failed transactions
 */
#include <linux/debugfs.h>
#include <linux/pid.h>
#include <linux/seq_file.h>

#include "internal.h"

static const char * const fastipc_stat_names[FASTIPC_STAT_NR] = {
	[FASTIPC_STAT_PEERS] = "peers",
	[FASTIPC_STAT_THREADS] = "threads",
	[FASTIPC_STAT_NODES] = "nodes",
	[FASTIPC_STAT_REFS] = "refs",
	[FASTIPC_STAT_TXNS] = "txns",
	[FASTIPC_STAT_BUFFERS] = "buffers",
	[FASTIPC_STAT_DEATHS] = "deaths",
	[FASTIPC_STAT_EXPORTS] = "exports",
	[FASTIPC_STAT_BOOSTED] = "boosted",
	[FASTIPC_STAT_RING_OPS] = "ring_ops",
	[FASTIPC_STAT_SIGNALS] = "signals",
};

static const char * const fastipc_count_names[FASTIPC_COUNT_NR] = {
	[FASTIPC_COUNT_BOOSTS] = "prio_boosts",
	[FASTIPC_COUNT_RESTORES] = "prio_restores",
	[FASTIPC_COUNT_KEPT] = "prio_kept",
	[FASTIPC_COUNT_TIMEOUTS] = "timeouts",
	[FASTIPC_COUNT_ONEWAY_REFUSED] = "oneway_refused",
	[FASTIPC_COUNT_SIGNALS_SENT] = "signals_sent",
	[FASTIPC_COUNT_SIGNALS_READ] = "signals_read",
};

#define FASTIPC_FAILED_LOG	32

/**
 * struct fastipc_failure - one entry of the failed-transaction log.
 * @id: transaction ID.
 * @from: sender's thread group.
 * @to: target's thread group.
 * @op: record the caller got (or 0 for a refused one-way).
 * @reason: &enum fastipc_reason.
 * @err: errno.
 */
struct fastipc_failure {
	u64 id;
	pid_t from;
	pid_t to;
	u32 op;
	u32 reason;
	int err;
};

static DEFINE_SPINLOCK(fastipc_failed_lock);
static struct fastipc_failure fastipc_failed[FASTIPC_FAILED_LOG];
static unsigned int fastipc_failed_next;

/**
 * fastipc_failed_log() - remember a failed transaction for debugfs.
 * @txn: the transaction.
 * @op: the record its caller gets, 0 for a one-way refused to its sender.
 * @reason: &enum fastipc_reason.
 * @err: positive errno.
 */
void fastipc_failed_log(struct fastipc_txn *txn, u32 op, u32 reason, int err)
{
	fastipc_failed_log_id(txn->id,
			      txn->from_peer ? pid_nr(txn->from_peer->pid) : 0,
			      txn->to ? pid_nr(txn->to->pid) : 0,
			      op, reason, err);
}

/**
 * fastipc_failed_log_id() - fastipc_failed_log() without a transaction.
 * @id: transaction ID.
 * @from: sender's thread group ID, or 0.
 * @to: target's thread group ID, or 0.
 * @op: the record the caller gets.
 * @reason: &enum fastipc_reason.
 * @err: positive errno.
 */
void fastipc_failed_log_id(u64 id, pid_t from, pid_t to, u32 op, u32 reason,
			   int err)
{
	struct fastipc_failure *f;

	spin_lock(&fastipc_failed_lock);
	f = &fastipc_failed[fastipc_failed_next++ % FASTIPC_FAILED_LOG];
	f->id = id;
	f->from = from;
	f->to = to;
	f->op = op;
	f->reason = reason;
	f->err = err;
	spin_unlock(&fastipc_failed_lock);
}

static int fastipc_failed_show(struct seq_file *m, void *unused)
{
	unsigned int i, n;

	spin_lock(&fastipc_failed_lock);
	n = min_t(unsigned int, fastipc_failed_next, FASTIPC_FAILED_LOG);
	for (i = fastipc_failed_next - n; i != fastipc_failed_next; i++) {
		struct fastipc_failure *f;

		f = &fastipc_failed[i % FASTIPC_FAILED_LOG];
		seq_printf(m, "txn %llu from %d to %d op %u reason %u errno %d\n",
			   f->id, f->from, f->to, f->op, f->reason, f->err);
	}
	spin_unlock(&fastipc_failed_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fastipc_failed);

static struct dentry *fastipc_debugfs_dir;

static int fastipc_stats_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = 0; i < FASTIPC_STAT_NR; i++)
		seq_printf(m, "%s %ld\n", fastipc_stat_names[i],
			   atomic_long_read(&fastipc_stats[i]));
	for (i = 0; i < FASTIPC_COUNT_NR; i++)
		seq_printf(m, "%s %ld\n", fastipc_count_names[i],
			   atomic_long_read(&fastipc_counters[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fastipc_stats);

static int fastipc_state_show(struct seq_file *m, void *unused)
{
	fastipc_peer_list_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fastipc_state);

void fastipc_debugfs_init(void)
{
	fastipc_debugfs_dir = debugfs_create_dir("fastipc", NULL);
	debugfs_create_file("stats", 0444, fastipc_debugfs_dir, NULL,
			    &fastipc_stats_fops);
	debugfs_create_file("state", 0444, fastipc_debugfs_dir, NULL,
			    &fastipc_state_fops);
	debugfs_create_file("failed", 0444, fastipc_debugfs_dir, NULL,
			    &fastipc_failed_fops);
}

void fastipc_debugfs_exit(void)
{
	debugfs_remove_recursive(fastipc_debugfs_dir);
}
