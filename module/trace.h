/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastipc tracepoints, system "fastipc": one event where each thing is
 * decided.  Disabled, an event costs its static key (a no-op jump).
 *
 * The fields are a stable-ish interface (Documentation/dev-tools/
 * tracing.rst): fields are added, never renamed or retyped.  All are
 * scalars, so BPF programs read them from the format file's layout
 * without the module's BTF.  pids and tids are global (init namespace).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM fastipc

#if !defined(_FASTIPC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _FASTIPC_TRACE_H

#include <linux/bitmap.h>
#include <linux/pid.h>
#include <linux/tracepoint.h>

#include "internal.h"

/* A call's caller: its thread, or 0 for a one-way. */
#define FASTIPC_TRACE_TID(txn)	((txn)->from ? (txn)->from->pid : 0)

/* Transaction sent: numbered, about to be queued (or failed at once). */
TRACE_EVENT(fastipc_txn_sent,
	TP_PROTO(const struct fastipc_txn *txn,
		 const struct fastipc_thread *thread),
	TP_ARGS(txn, thread),
	TP_STRUCT__entry(
		__field(u64, txn_id)
		__field(u64, code)
		__field(u64, cookie)
		__field(u64, data_len)
		__field(pid_t, from_pid)
		__field(pid_t, from_tid)
		__field(pid_t, to_pid)
		__field(u32, depth)
		__field(u32, n_handles)
		__field(u32, n_fds)
		__field(u32, oneway)
	),
	TP_fast_assign(
		__entry->txn_id = txn->id;
		__entry->code = txn->code;
		__entry->cookie = txn->node->cookie;
		__entry->data_len = txn->msg.len;
		__entry->from_pid = pid_nr(thread->peer->pid);
		__entry->from_tid = thread->pid;
		__entry->to_pid = pid_nr(txn->to->pid);
		__entry->depth = txn->depth;
		__entry->n_handles = txn->msg.n_handles;
		__entry->n_fds = txn->msg.n_fds;
		__entry->oneway = txn->oneway;
	),
	TP_printk("id=%llu from=%d/%d to=%d cookie=0x%llx code=%llu len=%llu handles=%u fds=%u depth=%u oneway=%u",
		  __entry->txn_id, __entry->from_pid, __entry->from_tid,
		  __entry->to_pid, __entry->cookie, __entry->code,
		  __entry->data_len, __entry->n_handles, __entry->n_fds,
		  __entry->depth, __entry->oneway)
);

/* A thread of the target took the transaction off a list. */
TRACE_EVENT(fastipc_txn_received,
	TP_PROTO(const struct fastipc_txn *txn,
		 const struct fastipc_thread *thread),
	TP_ARGS(txn, thread),
	TP_STRUCT__entry(
		__field(u64, txn_id)
		__field(u64, code)
		__field(pid_t, from_tid)
		__field(pid_t, tid)
		__field(u32, depth)
		__field(u32, oneway)
		__field(u32, handoff)
	),
	TP_fast_assign(
		__entry->txn_id = txn->id;
		__entry->code = txn->code;
		__entry->from_tid = FASTIPC_TRACE_TID(txn);
		__entry->tid = thread->pid;
		__entry->depth = txn->depth;
		__entry->oneway = txn->oneway;
		__entry->handoff = txn->handoff;
	),
	TP_printk("id=%llu from_tid=%d depth=%u tid=%d code=%llu oneway=%u handoff=%u",
		  __entry->txn_id, __entry->from_tid, __entry->depth,
		  __entry->tid, __entry->code, __entry->oneway,
		  __entry->handoff)
);

/* A server answered a call: REPLY (error 0) or REPLY_ERROR (code errno). */
TRACE_EVENT(fastipc_txn_replied,
	TP_PROTO(const struct fastipc_txn *txn,
		 const struct fastipc_thread *thread, u64 code, bool error),
	TP_ARGS(txn, thread, code, error),
	TP_STRUCT__entry(
		__field(u64, txn_id)
		__field(u64, code)
		__field(u64, data_len)
		__field(pid_t, from_tid)
		__field(pid_t, tid)
		__field(u32, depth)
		__field(u32, error)
	),
	TP_fast_assign(
		__entry->txn_id = txn->id;
		__entry->code = code;
		__entry->data_len = error ? 0 : txn->msg.len;
		__entry->from_tid = FASTIPC_TRACE_TID(txn);
		__entry->tid = thread->pid;
		__entry->depth = txn->depth;
		__entry->error = error;
	),
	TP_printk("id=%llu from_tid=%d depth=%u tid=%d code=%llu len=%llu error=%u",
		  __entry->txn_id, __entry->from_tid, __entry->depth,
		  __entry->tid, __entry->code, __entry->data_len,
		  __entry->error)
);

/* The caller took its answer (REPLY, DEAD_REPLY or FAILED_REPLY). */
TRACE_EVENT(fastipc_txn_returned,
	TP_PROTO(const struct fastipc_txn *txn,
		 const struct fastipc_thread *thread),
	TP_ARGS(txn, thread),
	TP_STRUCT__entry(
		__field(u64, txn_id)
		__field(u64, code)
		__field(pid_t, tid)
		__field(u32, depth)
		__field(u32, op)
		__field(u32, reason)
	),
	TP_fast_assign(
		__entry->txn_id = txn->id;
		__entry->code = txn->code;
		__entry->tid = thread->pid;
		__entry->depth = txn->depth;
		__entry->op = txn->reply_op;
		__entry->reason = txn->reason;
	),
	TP_printk("id=%llu tid=%d depth=%u op=%u reason=%u code=%llu",
		  __entry->txn_id, __entry->tid, __entry->depth, __entry->op,
		  __entry->reason, __entry->code)
);

/*
 * A transaction failed: a call is answered @op (its caller sees
 * fastipc_txn_returned later), a refused one-way has @op 0.
 */
TRACE_EVENT(fastipc_txn_failed,
	TP_PROTO(const struct fastipc_txn *txn, u32 op, u32 reason, int err),
	TP_ARGS(txn, op, reason, err),
	TP_STRUCT__entry(
		__field(u64, txn_id)
		__field(u64, code)
		__field(pid_t, from_pid)
		__field(pid_t, from_tid)
		__field(pid_t, to_pid)
		__field(u32, depth)
		__field(u32, op)
		__field(u32, reason)
		__field(int, err)
		__field(u32, oneway)
	),
	TP_fast_assign(
		__entry->txn_id = txn->id;
		__entry->code = txn->code;
		__entry->from_pid = txn->from_peer ?
				    pid_nr(txn->from_peer->pid) : 0;
		__entry->from_tid = FASTIPC_TRACE_TID(txn);
		__entry->to_pid = txn->to ? pid_nr(txn->to->pid) : 0;
		__entry->depth = txn->depth;
		__entry->op = op;
		__entry->reason = reason;
		__entry->err = err;
		__entry->oneway = txn->oneway;
	),
	TP_printk("id=%llu from=%d/%d to=%d depth=%u op=%u reason=%u err=%d oneway=%u",
		  __entry->txn_id, __entry->from_pid, __entry->from_tid,
		  __entry->to_pid, __entry->depth, __entry->op,
		  __entry->reason, __entry->err, __entry->oneway)
);

/* The deadline of the call @thread waits for passed: a time-out record. */
TRACE_EVENT(fastipc_txn_timed_out,
	TP_PROTO(const struct fastipc_thread *thread),
	TP_ARGS(thread),
	TP_STRUCT__entry(
		__field(u64, txn_id)
		__field(pid_t, pid)
		__field(pid_t, tid)
		__field(u32, depth)
	),
	TP_fast_assign(
		__entry->txn_id = thread->waiting_id;
		__entry->pid = pid_nr(thread->peer->pid);
		__entry->tid = thread->pid;
		__entry->depth = thread->wait_depth;
	),
	TP_printk("id=%llu pid=%d tid=%d depth=%u", __entry->txn_id,
		  __entry->pid, __entry->tid, __entry->depth)
);

/* A transaction's references are dropped: its life is over. */
TRACE_EVENT(fastipc_txn_freed,
	TP_PROTO(const struct fastipc_txn *txn),
	TP_ARGS(txn),
	TP_STRUCT__entry(
		__field(u64, txn_id)
		__field(pid_t, from_tid)
		__field(u32, depth)
		__field(u32, oneway)
	),
	TP_fast_assign(
		__entry->txn_id = txn->id;
		__entry->from_tid = FASTIPC_TRACE_TID(txn);
		__entry->depth = txn->depth;
		__entry->oneway = txn->oneway;
	),
	TP_printk("id=%llu from_tid=%d depth=%u oneway=%u", __entry->txn_id,
		  __entry->from_tid, __entry->depth, __entry->oneway)
);

DECLARE_EVENT_CLASS(fastipc_prio_class,
	TP_PROTO(const struct fastipc_thread *thread,
		 const struct fastipc_prio *from, const struct fastipc_prio *to),
	TP_ARGS(thread, from, to),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(pid_t, tid)
		__field(u32, from_policy)
		__field(int, from_prio)
		__field(u32, to_policy)
		__field(int, to_prio)
	),
	TP_fast_assign(
		__entry->pid = pid_nr(thread->peer->pid);
		__entry->tid = thread->pid;
		__entry->from_policy = from->policy;
		__entry->from_prio = from->prio;
		__entry->to_policy = to->policy;
		__entry->to_prio = to->prio;
	),
	TP_printk("pid=%d tid=%d from=%u:%d to=%u:%d", __entry->pid,
		  __entry->tid, __entry->from_policy, __entry->from_prio,
		  __entry->to_policy, __entry->to_prio)
);

/* A serving thread was raised to a caller's priority. */
DEFINE_EVENT(fastipc_prio_class, fastipc_prio_lent,
	TP_PROTO(const struct fastipc_thread *thread,
		 const struct fastipc_prio *from, const struct fastipc_prio *to),
	TP_ARGS(thread, from, to));

/*
 * A raised thread went back to its own priority, or kept one set
 * explicitly while it was raised (then from == to).
 */
DEFINE_EVENT(fastipc_prio_class, fastipc_prio_restored,
	TP_PROTO(const struct fastipc_thread *thread,
		 const struct fastipc_prio *from, const struct fastipc_prio *to),
	TP_ARGS(thread, from, to));

DECLARE_EVENT_CLASS(fastipc_ref_class,
	TP_PROTO(const struct fastipc_ref *ref),
	TP_ARGS(ref),
	TP_STRUCT__entry(
		__field(u64, cookie)
		__field(u64, death_cookie)
		__field(pid_t, pid)
		__field(pid_t, owner_pid)
		__field(u32, handle)
		__field(u32, count)
	),
	TP_fast_assign(
		__entry->cookie = ref->node->cookie;
		__entry->death_cookie = ref->death ? ref->death->cookie : 0;
		__entry->pid = pid_nr(ref->peer->pid);
		__entry->owner_pid = pid_nr(ref->node->owner->pid);
		__entry->handle = ref->handle;
		__entry->count = ref->count;
	),
	TP_printk("pid=%d handle=%u count=%u owner=%d cookie=0x%llx death_cookie=0x%llx",
		  __entry->pid, __entry->handle, __entry->count,
		  __entry->owner_pid, __entry->cookie, __entry->death_cookie)
);

/* A peer's handle gained a reference (count is the new one). */
DEFINE_EVENT(fastipc_ref_class, fastipc_handle_acquired,
	TP_PROTO(const struct fastipc_ref *ref), TP_ARGS(ref));

/* RELEASE dropped a reference of a handle (count 0: the handle is gone). */
DEFINE_EVENT(fastipc_ref_class, fastipc_handle_released,
	TP_PROTO(const struct fastipc_ref *ref), TP_ARGS(ref));

/* The owner of a node died: the holder's death notice is queued. */
DEFINE_EVENT(fastipc_ref_class, fastipc_death_queued,
	TP_PROTO(const struct fastipc_ref *ref), TP_ARGS(ref));

/* The holder read its death notice. */
DEFINE_EVENT(fastipc_ref_class, fastipc_death_delivered,
	TP_PROTO(const struct fastipc_ref *ref), TP_ARGS(ref));

DECLARE_EVENT_CLASS(fastipc_node_class,
	TP_PROTO(const struct fastipc_node *node),
	TP_ARGS(node),
	TP_STRUCT__entry(
		__field(u64, cookie)
		__field(pid_t, owner_pid)
		__field(u32, flags)
	),
	TP_fast_assign(
		__entry->cookie = node->cookie;
		__entry->owner_pid = pid_nr(node->owner->pid);
		__entry->flags = node->flags;
	),
	TP_printk("owner=%d cookie=0x%llx flags=0x%x", __entry->owner_pid,
		  __entry->cookie, __entry->flags)
);

/* NODE_CREATE made a node. */
DEFINE_EVENT(fastipc_node_class, fastipc_node_created,
	TP_PROTO(const struct fastipc_node *node), TP_ARGS(node));

/* The last remote reference went: NODE_RELEASED is queued to the owner. */
DEFINE_EVENT(fastipc_node_class, fastipc_node_released,
	TP_PROTO(const struct fastipc_node *node), TP_ARGS(node));

/* The last reference went: the node is freed. */
DEFINE_EVENT(fastipc_node_class, fastipc_node_freed,
	TP_PROTO(const struct fastipc_node *node), TP_ARGS(node));

/* SIGNAL set bits of a node: @mask sent, @bits now pending. */
TRACE_EVENT(fastipc_node_signalled,
	TP_PROTO(const struct fastipc_node *node,
		 const struct fastipc_peer *from, u64 mask, u64 bits),
	TP_ARGS(node, from, mask, bits),
	TP_STRUCT__entry(
		__field(u64, cookie)
		__field(pid_t, owner_pid)
		__field(pid_t, from_pid)
		__field(u64, mask)
		__field(u64, bits)
	),
	TP_fast_assign(
		__entry->cookie = node->cookie;
		__entry->owner_pid = pid_nr(node->owner->pid);
		__entry->from_pid = pid_nr(from->pid);
		__entry->mask = mask;
		__entry->bits = bits;
	),
	TP_printk("from=%d owner=%d cookie=0x%llx mask=0x%llx bits=0x%llx",
		  __entry->from_pid, __entry->owner_pid, __entry->cookie,
		  __entry->mask, __entry->bits)
);

/* The owner read a node's bits (a SIGNAL record); they are zero again. */
TRACE_EVENT(fastipc_signal_delivered,
	TP_PROTO(const struct fastipc_node *node, u64 bits),
	TP_ARGS(node, bits),
	TP_STRUCT__entry(
		__field(u64, cookie)
		__field(pid_t, owner_pid)
		__field(u64, bits)
	),
	TP_fast_assign(
		__entry->cookie = node->cookie;
		__entry->owner_pid = pid_nr(node->owner->pid);
		__entry->bits = bits;
	),
	TP_printk("owner=%d cookie=0x%llx bits=0x%llx", __entry->owner_pid,
		  __entry->cookie, __entry->bits)
);

DECLARE_EVENT_CLASS(fastipc_area_class,
	TP_PROTO(const struct fastipc_area *area, unsigned long first,
		 unsigned long granules),
	TP_ARGS(area, first, granules),
	TP_STRUCT__entry(
		__field(u64, offset)
		__field(u64, size)
		__field(u64, free)
		__field(pid_t, pid)
		__field(u32, buffers)
	),
	TP_fast_assign(
		__entry->offset = (u64)first * FASTIPC_AREA_GRANULE;
		__entry->size = (u64)granules * FASTIPC_AREA_GRANULE;
		__entry->free = area->size - FASTIPC_AREA_GRANULE *
			(u64)bitmap_weight(area->used,
					   area->size / FASTIPC_AREA_GRANULE);
		__entry->pid = pid_nr(container_of(area, struct fastipc_peer,
						   area)->pid);
		__entry->buffers = area->buffers;
	),
	TP_printk("pid=%d offset=%llu size=%llu free=%llu buffers=%u",
		  __entry->pid, __entry->offset, __entry->size,
		  __entry->free, __entry->buffers)
);

/* A buffer of a receive area was reserved; free is what is left. */
DEFINE_EVENT(fastipc_area_class, fastipc_buffer_alloc,
	TP_PROTO(const struct fastipc_area *area, unsigned long first,
		 unsigned long granules),
	TP_ARGS(area, first, granules));

/* A buffer was given back (FREE, or its message was never delivered). */
DEFINE_EVENT(fastipc_area_class, fastipc_buffer_free,
	TP_PROTO(const struct fastipc_area *area, unsigned long first,
		 unsigned long granules),
	TP_ARGS(area, first, granules));

DECLARE_EVENT_CLASS(fastipc_thread_class,
	TP_PROTO(const struct fastipc_thread *thread),
	TP_ARGS(thread),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(pid_t, tid)
		__field(u32, loopers)
		__field(u32, spawn_requested)
	),
	TP_fast_assign(
		__entry->pid = pid_nr(thread->peer->pid);
		__entry->tid = thread->pid;
		__entry->loopers = thread->peer->loopers;
		__entry->spawn_requested = thread->peer->spawn_requested;
	),
	TP_printk("pid=%d tid=%d loopers=%u spawn_requested=%u",
		  __entry->pid, __entry->tid, __entry->loopers,
		  __entry->spawn_requested)
);

/* A thread used the peer for the first time. */
DEFINE_EVENT(fastipc_thread_class, fastipc_thread_created,
	TP_PROTO(const struct fastipc_thread *thread), TP_ARGS(thread));

/* A SPAWN_LOOPER record is owed to the thread: the peer wants one more. */
DEFINE_EVENT(fastipc_thread_class, fastipc_spawn_requested,
	TP_PROTO(const struct fastipc_thread *thread), TP_ARGS(thread));

/* LOOPER_ENTER. */
DEFINE_EVENT(fastipc_thread_class, fastipc_looper_entered,
	TP_PROTO(const struct fastipc_thread *thread), TP_ARGS(thread));

/* A thread left the peer (LOOPER_EXIT, fatal signal, or found exited). */
DEFINE_EVENT(fastipc_thread_class, fastipc_thread_exited,
	TP_PROTO(const struct fastipc_thread *thread), TP_ARGS(thread));

#endif /* _FASTIPC_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
