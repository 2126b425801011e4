// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-trace's BPF side: follows each call through the module's
 * tracepoints (sent, received, replied, returned) and adds its phases to
 * log2 histograms per node, code and phase; counts failures, death
 * notices, priority boosts and who calls whom.  Plain tracepoint
 * programs reading the records as the format files lay them out: no BTF
 * of the module is needed.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "fastipc-trace.h"

/* Filters, set by the tool before loading: 0 means any. */
const volatile __s32 targ_pid;
const volatile __u64 targ_cookie;
const volatile __u32 filter_cookie;

__u64 counters[FT_COUNTERS];
__u64 failures[FT_REASONS * 2];
__u64 boost_hist[FT_SLOTS];

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FT_MAX_CALLS);
	__type(key, struct ft_call_key);
	__type(value, struct ft_call);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FT_MAX_HISTS);
	__type(key, struct ft_hist_key);
	__type(value, struct ft_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FT_MAX_TALKERS);
	__type(key, struct ft_talker_key);
	__type(value, struct ft_talker);
} talkers SEC(".maps");

/* Boosted threads: tid -> when they were first raised. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FT_MAX_CALLS);
	__type(key, __s32);
	__type(value, __u64);
} boosts SEC(".maps");

static __always_inline bool pid_wanted(__s32 a, __s32 b)
{
	return !targ_pid || a == targ_pid || b == targ_pid;
}

static __always_inline __u32 slot_of(__u64 ns)
{
	__u64 v = ns / 1000;
	__u32 s = 0;

	/* Number of significant bits of v: 0 for 0, i for [2^(i-1), 2^i). */
	if (v >> 32) { s += 32; v >>= 32; }
	if (v >> 16) { s += 16; v >>= 16; }
	if (v >> 8) { s += 8; v >>= 8; }
	if (v >> 4) { s += 4; v >>= 4; }
	if (v >> 2) { s += 2; v >>= 2; }
	if (v >> 1) { s += 1; v >>= 1; }
	s += v;
	return s < FT_SLOTS ? s : FT_SLOTS - 1;
}

static __always_inline void hist_add(const struct ft_call *c, __u32 phase,
				     __u64 ns)
{
	struct ft_hist_key k = {
		.cookie = c->cookie, .code = c->code, .to_pid = c->to_pid,
		.phase = phase,
	};
	static const struct ft_hist zero;
	struct ft_hist *h;

	h = bpf_map_lookup_elem(&hists, &k);
	if (!h) {
		bpf_map_update_elem(&hists, &k, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &k);
		if (!h)
			return;
	}
	__sync_fetch_and_add(&h->slots[slot_of(ns)], 1);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_ns, ns);
}

SEC("tracepoint/fastipc/fastipc_txn_sent")
int txn_sent(struct ft_txn_sent *e)
{
	struct ft_talker_key tk = { .from_pid = e->from_pid,
				    .to_pid = e->to_pid };
	struct ft_call_key k = { .txn_id = e->txn_id, .tid = e->from_tid,
				 .depth = e->depth };
	struct ft_call c = {};
	struct ft_talker *t, zero = {};

	if (!pid_wanted(e->from_pid, e->to_pid) ||
	    (filter_cookie && e->cookie != targ_cookie))
		return 0;
	t = bpf_map_lookup_elem(&talkers, &tk);
	if (!t) {
		bpf_map_update_elem(&talkers, &tk, &zero, BPF_NOEXIST);
		t = bpf_map_lookup_elem(&talkers, &tk);
	}
	if (e->oneway) {
		__sync_fetch_and_add(&counters[FT_ONEWAYS], 1);
		if (t)
			__sync_fetch_and_add(&t->oneways, 1);
		return 0;
	}
	__sync_fetch_and_add(&counters[FT_CALLS], 1);
	if (t)
		__sync_fetch_and_add(&t->calls, 1);
	c.sent = bpf_ktime_get_ns();
	c.cookie = e->cookie;
	c.code = e->code;
	c.to_pid = e->to_pid;
	if (bpf_map_update_elem(&calls, &k, &c, BPF_ANY))
		__sync_fetch_and_add(&counters[FT_UNTRACKED], 1);
	return 0;
}

SEC("tracepoint/fastipc/fastipc_txn_received")
int txn_received(struct ft_txn_received *e)
{
	struct ft_call_key k = { .txn_id = e->txn_id, .tid = e->from_tid,
				 .depth = e->depth };
	struct ft_call *c;

	if (e->oneway)
		return 0;
	c = bpf_map_lookup_elem(&calls, &k);
	if (c)
		c->received = bpf_ktime_get_ns();
	return 0;
}

SEC("tracepoint/fastipc/fastipc_txn_replied")
int txn_replied(struct ft_txn_replied *e)
{
	struct ft_call_key k = { .txn_id = e->txn_id, .tid = e->from_tid,
				 .depth = e->depth };
	struct ft_call *c;

	c = bpf_map_lookup_elem(&calls, &k);
	if (c)
		c->replied = bpf_ktime_get_ns();
	return 0;
}

SEC("tracepoint/fastipc/fastipc_txn_returned")
int txn_returned(struct ft_txn_returned *e)
{
	struct ft_call_key k = { .txn_id = e->txn_id, .tid = e->tid,
				 .depth = e->depth };
	__u64 now = bpf_ktime_get_ns();
	struct ft_call *c;

	c = bpf_map_lookup_elem(&calls, &k);
	if (!c)
		return 0;
	__sync_fetch_and_add(&counters[FT_RETURNED], 1);
	if (c->received)
		hist_add(c, FT_QUEUE, c->received - c->sent);
	if (c->received && c->replied)
		hist_add(c, FT_SERVICE, c->replied - c->received);
	if (c->replied)
		hist_add(c, FT_RETURN, now - c->replied);
	hist_add(c, FT_TOTAL, now - c->sent);
	bpf_map_delete_elem(&calls, &k);
	return 0;
}

SEC("tracepoint/fastipc/fastipc_txn_failed")
int txn_failed(struct ft_txn_failed *e)
{
	__u32 i = e->reason < FT_REASONS ? e->reason : 0;

	if (!pid_wanted(e->from_pid, e->to_pid))
		return 0;
	if (e->oneway)
		i += FT_FAIL_ONEWAY;
	if (i < FT_REASONS * 2)
		__sync_fetch_and_add(&failures[i], 1);
	return 0;
}

SEC("tracepoint/fastipc/fastipc_txn_timed_out")
int txn_timed_out(struct ft_txn_timed_out *e)
{
	struct ft_call_key k = { .txn_id = e->txn_id, .tid = e->tid,
				 .depth = e->depth };

	/* Only calls the filters let through are in the table. */
	if (bpf_map_delete_elem(&calls, &k))
		return 0;
	/* FASTIPC_REASON_TIMED_OUT */
	__sync_fetch_and_add(&failures[6], 1);
	return 0;
}

SEC("tracepoint/fastipc/fastipc_prio_lent")
int prio_lent(struct ft_prio *e)
{
	__u64 now = bpf_ktime_get_ns();
	__s32 tid = e->tid;

	if (!pid_wanted(e->pid, e->pid))
		return 0;
	__sync_fetch_and_add(&counters[FT_PRIO_LENT], 1);
	/* Raised further while raised: the boost began the first time. */
	bpf_map_update_elem(&boosts, &tid, &now, BPF_NOEXIST);
	return 0;
}

SEC("tracepoint/fastipc/fastipc_prio_restored")
int prio_restored(struct ft_prio *e)
{
	__s32 tid = e->tid;
	__u64 *start;

	if (!pid_wanted(e->pid, e->pid))
		return 0;
	__sync_fetch_and_add(&counters[FT_PRIO_RESTORED], 1);
	start = bpf_map_lookup_elem(&boosts, &tid);
	if (!start)
		return 0;
	__sync_fetch_and_add(&boost_hist[slot_of(bpf_ktime_get_ns() - *start)],
			     1);
	bpf_map_delete_elem(&boosts, &tid);
	return 0;
}

SEC("tracepoint/fastipc/fastipc_death_queued")
int death_queued(struct ft_ref *e)
{
	if (pid_wanted(e->pid, e->owner_pid))
		__sync_fetch_and_add(&counters[FT_DEATHS_QUEUED], 1);
	return 0;
}

SEC("tracepoint/fastipc/fastipc_death_delivered")
int death_delivered(struct ft_ref *e)
{
	if (pid_wanted(e->pid, e->owner_pid))
		__sync_fetch_and_add(&counters[FT_DEATHS_DELIVERED], 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
