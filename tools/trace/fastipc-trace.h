/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastipc-trace: what the BPF program and the tool share.  The event
 * records follow the module's format files (module/trace.h): the common
 * fields, then the event's fields in order, naturally aligned.  The tool
 * checks these layouts against tracefs before it loads anything.
 */
#ifndef _FASTIPC_TRACE_H
#define _FASTIPC_TRACE_H

#include <linux/types.h>

/* log2 buckets of microseconds: slot 0 is 0 µs, slot i is [2^(i-1), 2^i). */
#define FT_SLOTS	32
#define FT_MAX_CALLS	16384
#define FT_MAX_HISTS	4096
#define FT_MAX_TALKERS	1024

/* Events' common fields: type, flags, preempt count, pid. */
struct ft_common {
	__u16 type;
	__u8 flags;
	__u8 preempt_count;
	__s32 pid;
};

struct ft_txn_sent {
	struct ft_common c;
	__u64 txn_id;
	__u64 code;
	__u64 cookie;
	__u64 data_len;
	__s32 from_pid;
	__s32 from_tid;
	__s32 to_pid;
	__u32 depth;
	__u32 n_handles;
	__u32 n_fds;
	__u32 oneway;
};

struct ft_txn_received {
	struct ft_common c;
	__u64 txn_id;
	__u64 code;
	__s32 from_tid;
	__s32 tid;
	__u32 depth;
	__u32 oneway;
	__u32 handoff;
};

struct ft_txn_replied {
	struct ft_common c;
	__u64 txn_id;
	__u64 code;
	__u64 data_len;
	__s32 from_tid;
	__s32 tid;
	__u32 depth;
	__u32 error;
};

struct ft_txn_returned {
	struct ft_common c;
	__u64 txn_id;
	__u64 code;
	__s32 tid;
	__u32 depth;
	__u32 op;
	__u32 reason;
};

struct ft_txn_failed {
	struct ft_common c;
	__u64 txn_id;
	__u64 code;
	__s32 from_pid;
	__s32 from_tid;
	__s32 to_pid;
	__u32 depth;
	__u32 op;
	__u32 reason;
	__s32 err;
	__u32 oneway;
};

struct ft_txn_timed_out {
	struct ft_common c;
	__u64 txn_id;
	__s32 pid;
	__s32 tid;
	__u32 depth;
};

struct ft_prio {
	struct ft_common c;
	__s32 pid;
	__s32 tid;
	__u32 from_policy;
	__s32 from_prio;
	__u32 to_policy;
	__s32 to_prio;
};

struct ft_ref {
	struct ft_common c;
	__u64 cookie;
	__u64 death_cookie;
	__s32 pid;
	__s32 owner_pid;
	__u32 handle;
	__u32 count;
};

/* A call in flight, named as the events name it. */
struct ft_call_key {
	__u64 txn_id;
	__s32 tid;
	__u32 depth;
};

struct ft_call {
	__u64 sent;
	__u64 received;
	__u64 replied;
	__u64 cookie;
	__u64 code;
	__s32 to_pid;
	__u32 pad;
};

enum ft_phase {
	FT_QUEUE,	/* sent -> received */
	FT_SERVICE,	/* received -> replied */
	FT_RETURN,	/* replied -> returned */
	FT_TOTAL,	/* sent -> returned */
	FT_PHASES,
};

/* One histogram per node (to_pid, cookie), code and phase. */
struct ft_hist_key {
	__u64 cookie;
	__u64 code;
	__s32 to_pid;
	__u32 phase;
};

struct ft_hist {
	__u64 slots[FT_SLOTS];
	__u64 count;
	__u64 sum_ns;
};

struct ft_talker_key {
	__s32 from_pid;
	__s32 to_pid;
};

struct ft_talker {
	__u64 calls;
	__u64 oneways;
};

/* Failures: reason (enum fastipc_reason) + FT_FAIL_ONEWAY for one-ways. */
#define FT_REASONS	16
#define FT_FAIL_ONEWAY	FT_REASONS

enum ft_counter {
	FT_CALLS,
	FT_ONEWAYS,
	FT_RETURNED,
	FT_DEATHS_QUEUED,
	FT_DEATHS_DELIVERED,
	FT_PRIO_LENT,
	FT_PRIO_RESTORED,
	FT_UNTRACKED,	/* calls the in-flight table had no room for */
	FT_COUNTERS,
};

#endif /* _FASTIPC_TRACE_H */
