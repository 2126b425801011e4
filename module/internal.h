/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastipc internal declarations shared by the module's objects.
 *
 * Locking, outermost first (never two locks of the same kind at once):
 *
 *   peer->refs_lock (mutex)  handles and references held by the peer
 *   node->lock (spinlock)    the references to the node, death requests
 *   peer->lock (spinlock)    work lists, threads' states, pending
 *                            transactions, the receive-area allocator
 *
 * A transaction belongs to exactly one place at a time: the list it is on
 * (a peer's or thread's todo list, or the server peer's pending list), or
 * the thread that just took it off a list.  Whoever owns it may touch it;
 * moving it between lists happens under the lock of the list's peer.
 */
#ifndef _FASTIPC_INTERNAL_H
#define _FASTIPC_INTERNAL_H

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/fastipc.h>

struct fastipc_peer;

/* Module parameters (main.c). */
extern unsigned int fastipc_max_area_size;
extern unsigned int fastipc_max_threads;
extern unsigned int fastipc_max_handles;
extern bool fastipc_inherit_priority;

#define FASTIPC_MAX_TXN_HANDLES	1024
#define FASTIPC_MAX_TXN_FDS	64
#define FASTIPC_AREA_GRANULE	64

/**
 * enum fastipc_work_type - what a &struct fastipc_work on a todo list is.
 * @FASTIPC_WORK_TXN: a transaction for the peer (TRANSACTION record).
 * @FASTIPC_WORK_REPLY: a finished call for its caller (REPLY, DEAD_REPLY or
 *	FAILED_REPLY record, see &fastipc_txn.reply_op).
 * @FASTIPC_WORK_DEAD_NODE: a death notice (&struct fastipc_ref.death_work).
 * @FASTIPC_WORK_NODE_RELEASED: last remote reference gone (node).
 */
enum fastipc_work_type {
	FASTIPC_WORK_TXN,
	FASTIPC_WORK_REPLY,
	FASTIPC_WORK_DEAD_NODE,
	FASTIPC_WORK_NODE_RELEASED,
};

/**
 * struct fastipc_work - an entry of a todo list.
 * @entry: link in &fastipc_peer.todo or &fastipc_thread.todo.
 * @type: &enum fastipc_work_type.
 */
struct fastipc_work {
	struct list_head entry;
	enum fastipc_work_type type;
};

/**
 * struct fastipc_prio - a thread's scheduling state, as fastipc lends it.
 * @policy: SCHED_NORMAL, SCHED_BATCH, SCHED_FIFO or SCHED_RR (others are
 *	read but never lent).
 * @prio: the nice value for fair policies, the priority for real-time ones.
 * @reset_on_fork: SCHED_RESET_ON_FORK.
 * @valid: the fields mean something.
 */
struct fastipc_prio {
	u32 policy;
	s32 prio;
	bool reset_on_fork;
	bool valid;
};

/**
 * struct fastipc_area - the receive area of a peer.
 * @kaddr: kernel address of the vmalloc'ed area, NULL until mmap.
 * @size: bytes.
 * @used: four bitmaps, one after the other: allocated granules, first
 *	granules of buffers, one-way buffers, delivered buffers (area.c).
 * @oneway_bytes: bytes held by one-way messages (at most half the area).
 * @buffers: live buffers.
 *
 * Protected by &fastipc_peer.lock.
 */
struct fastipc_area {
	void *kaddr;
	size_t size;
	unsigned long *used;
	size_t oneway_bytes;
	unsigned int buffers;
};

/**
 * struct fastipc_peer - one open of /dev/fastipc.
 * @kref: the file, nodes and in-flight transactions hold references.
 * @lock: see the locking rules at the top of this file.
 * @refs_lock: protects @refs and the counts of its references.
 * @mm: address space of the opener; only it may act on the peer.
 * @pid: thread group of the opener.
 * @cred: credentials of the opener.
 * @dead: the owner is gone: no more work is accepted.
 * @todo: work any thread of the peer may take.
 * @idle: threads waiting for @todo work, most recent first.
 * @pending: received synchronous transactions not yet answered.
 * @threads: threads by pid.
 * @nodes: nodes owned by the peer (&fastipc_node.owner_entry).
 * @nodes_dead: nodes fastipc_nodes_die() went through, moved off @nodes.
 * @refs: references by handle number.
 * @nr_handles: live handles in @refs.
 * @refs_closed: the peer is released, no reference may be added.
 * @loopers: threads that entered the looper.
 * @spawn_requested: SPAWN_LOOPER records given out and not yet answered.
 * @max_threads: loopers the peer wants at most (SET_MAX_THREADS).
 * @area: the receive area.
 * @vma_mapped: the area is mapped (one mapping per peer).
 * @peer_entry: link in the device-wide list of peers (debugfs).
 * @poll_wait: poll() and epoll sleep here; woken when work is queued.
 */
struct fastipc_peer {
	struct kref kref;
	spinlock_t lock;		/* work lists, threads, area */
	struct mutex refs_lock;		/* @refs and their counts */
	struct mm_struct *mm;
	struct pid *pid;
	const struct cred *cred;
	bool dead;
	struct list_head todo;
	struct list_head idle;
	struct list_head pending;
	struct xarray threads;
	struct list_head nodes;
	struct list_head nodes_dead;
	struct xarray refs;
	unsigned int nr_handles;
	bool refs_closed;
	unsigned int loopers;
	unsigned int spawn_requested;
	unsigned int max_threads;
	struct fastipc_area area;
	bool vma_mapped;
	struct list_head peer_entry;
	wait_queue_head_t poll_wait;
};

/**
 * struct fastipc_thread - a thread of a peer's process that used the peer.
 * @kref: the peer's table and transactions it waits for hold references.
 * @peer: the peer (not counted: threads die with their peer).
 * @pid: thread ID.
 * @todo: work for this thread only: replies and nested transactions.
 * @wait: the thread sleeps here in the read phase.
 * @idle_entry: link in &fastipc_peer.idle while waiting for peer work.
 * @waiting: the call this thread waits the reply of, or NULL.  Compared,
 *	never dereferenced by others.
 * @waiting_id: transaction ID of @waiting.
 * @looper: the thread entered the looper.
 * @spare: a transaction kept for the next call (no allocation per call).
 * @task: the thread's task (counted), whose priority fastipc lends to.
 * @deadline: CLOCK_MONOTONIC deadline of the call in @waiting, or 0.
 * @handoff: a sender is raising the thread's priority before waking it
 *	with the call it put on @todo; the thread waits until it is done.
 * @boosted: the thread runs at a lent priority (prio.c).
 * @prio_base: the thread's own state before it was raised.
 * @prio_lent: the state fastipc last gave it.
 * @gone: fastipc_thread_exit() ran or runs (under the peer's lock).
 * @rcu: frees the thread after a grace period (lookups run under RCU).
 */
struct fastipc_thread {
	struct kref kref;
	struct fastipc_peer *peer;
	pid_t pid;
	struct list_head todo;
	wait_queue_head_t wait;
	struct list_head idle_entry;
	struct fastipc_txn *waiting;
	u64 waiting_id;
	bool looper;
	struct fastipc_txn *spare;
	struct task_struct *task;
	ktime_t deadline;
	bool handoff;
	bool boosted;
	struct fastipc_prio prio_base;
	struct fastipc_prio prio_lent;
	bool gone;
	struct rcu_head rcu;
};

/**
 * struct fastipc_node - an object owned by a peer, named by handles.
 * @kref: references, handles and in-flight messages each hold one.
 * @lock: protects @refs, @remote_refs, @dead and death requests.
 * @owner: owning peer (counted).
 * @cookie: owner's value, returned with each transaction.
 * @flags: %FASTIPC_NODE_* flags.
 * @dead: the owner died.
 * @refs: &struct fastipc_ref of every peer holding a handle.
 * @remote_refs: references held by peers other than @owner.
 * @owner_entry: link in &fastipc_peer.nodes, or .nodes_dead once its owner
 *	died (under owner->lock).
 * @released_work: NODE_RELEASED record for the owner.
 * @released_queued: @released_work is on the owner's todo list.
 * @death_done: fastipc_nodes_die() handled the node (under owner->lock).
 * @min_prio: with %FASTIPC_NODE_MIN_PRIO, the least its work runs at.
 */
struct fastipc_node {
	struct kref kref;
	spinlock_t lock;		/* @refs, @remote_refs, @dead */
	struct fastipc_peer *owner;
	u64 cookie;
	u32 flags;
	bool dead;
	struct list_head refs;
	unsigned int remote_refs;
	struct list_head owner_entry;
	struct fastipc_work released_work;
	bool released_queued;
	bool death_done;
	struct fastipc_prio min_prio;
};

/**
 * enum fastipc_death_state - state of a death request.
 * @FASTIPC_DEATH_NONE: nothing requested.
 * @FASTIPC_DEATH_REQUESTED: requested, owner alive.
 * @FASTIPC_DEATH_QUEUED: the notice is on the holder's todo list.
 * @FASTIPC_DEATH_DELIVERED: read by the holder; never sent again.
 */
enum fastipc_death_state {
	FASTIPC_DEATH_NONE,
	FASTIPC_DEATH_REQUESTED,
	FASTIPC_DEATH_QUEUED,
	FASTIPC_DEATH_DELIVERED,
};

/**
 * struct fastipc_ref - a peer's handle to a node.
 * @node: the node (counted).
 * @peer: the holder.
 * @handle: handle number in the holder.
 * @count: references the holder has on the handle.
 * @node_entry: link in &fastipc_node.refs.
 * @death: &enum fastipc_death_state, under node->lock.
 * @death_cookie: cookie of the death request.
 * @death_work: the DEAD_NODE record, on the holder's todo when queued.
 */
struct fastipc_ref {
	struct fastipc_node *node;
	struct fastipc_peer *peer;
	u32 handle;
	u32 count;
	struct list_head node_entry;
	enum fastipc_death_state death;
	u64 death_cookie;
	struct fastipc_work death_work;
};

/**
 * struct fastipc_msg - payload of a transaction or reply, as delivered.
 * @offset: offset of the buffer in the receiver's area (unless inline).
 * @len: payload bytes.
 * @n_handles: nodes in @nodes, turned into handles at read.
 * @n_fds: files in @files, installed as fds at read.
 * @is_inline: the payload is in @inline_data.
 * @has_buf: a buffer of the receiver's area is reserved and undelivered.
 * @nodes: counted nodes to hand over, or NULL.
 * @files: counted files to hand over, or NULL.
 * @inline_data: small payloads.
 */
struct fastipc_msg {
	u64 offset;
	u64 len;
	u32 n_handles;
	u32 n_fds;
	bool is_inline;
	bool has_buf;
	struct fastipc_node **nodes;
	struct file **files;
	u8 inline_data[FASTIPC_INLINE_MAX];
};

/**
 * struct fastipc_txn - a transaction: a call and its reply, or a one-way.
 * @work: its place on a todo list.
 * @id: transaction ID.
 * @oneway: sent with SEND.
 * @code: user code of the request, then of the reply.
 * @node: target node (counted).
 * @from: calling thread (counted), NULL for one-ways.
 * @from_peer: sending peer (counted), for the sender's pid and euid.
 * @to: the peer the request went to (counted).
 * @server: thread that took the request.
 * @pending_entry: link in &fastipc_peer.pending while being served.
 * @lend: the priority lent to the thread serving it (prio.c).
 * @handoff: handed to an idle thread already raised to @lend.
 * @reply_op: %FASTIPC_RET_REPLY, %FASTIPC_RET_DEAD_REPLY or
 *	%FASTIPC_RET_FAILED_REPLY once answered.
 * @reason: &enum fastipc_reason for failures.
 * @msg: the payload travelling now (request, then reply).  Last: only its
 *	header is cleared for a new transaction.
 */
struct fastipc_txn {
	struct fastipc_work work;
	u64 id;
	bool oneway;
	u64 code;
	struct fastipc_node *node;
	struct fastipc_thread *from;
	struct fastipc_peer *from_peer;
	struct fastipc_peer *to;
	struct fastipc_thread *server;
	struct list_head pending_entry;
	struct fastipc_prio lend;
	bool handoff;
	u32 reply_op;
	u32 reason;
	struct fastipc_msg msg;
};

extern const struct file_operations fastipc_fops;

/* peer.c */
struct fastipc_peer *fastipc_peer_create(void);
void fastipc_peer_put(struct fastipc_peer *peer);
void fastipc_peer_die(struct fastipc_peer *peer);
void fastipc_peer_release(struct fastipc_peer *peer);
struct fastipc_thread *fastipc_thread_get(struct fastipc_peer *peer);
void fastipc_thread_put(struct fastipc_thread *thread);
void fastipc_thread_exit(struct fastipc_thread *thread);
void fastipc_wake_one(struct fastipc_peer *peer);
void fastipc_wake_thread(struct fastipc_thread *thread);
void fastipc_thread_unhand(struct fastipc_thread *thread);

/* node.c */
int fastipc_node_create(struct fastipc_peer *peer,
			struct fastipc_node_create *arg);
void fastipc_node_put(struct fastipc_node *node);
struct fastipc_node *fastipc_handle_node(struct fastipc_peer *peer, u32 handle);
int fastipc_handle_take(struct fastipc_peer *peer, struct fastipc_node *node,
			u32 *handle);
int fastipc_handle_acquire(struct fastipc_peer *peer, u32 handle);
int fastipc_handle_release(struct fastipc_peer *peer, u32 handle);
int fastipc_death_request(struct fastipc_peer *peer, u32 handle, u64 cookie);
int fastipc_death_clear(struct fastipc_peer *peer, u32 handle, u64 cookie);
void fastipc_death_delivered(struct fastipc_ref *ref);
void fastipc_nodes_die(struct fastipc_peer *peer);
void fastipc_refs_release_all(struct fastipc_peer *peer);
int fastipc_set_context_mgr(struct fastipc_peer *peer, u32 handle);
int fastipc_handle_export(struct fastipc_peer *peer,
			  struct fastipc_handle_fd *arg, struct file **filep);
int fastipc_handle_import(struct fastipc_peer *peer,
			  struct fastipc_handle_fd *arg);
bool fastipc_is_own_file(struct file *file);

/* area.c */
int fastipc_area_mmap(struct fastipc_peer *peer, struct vm_area_struct *vma);
void fastipc_area_free(struct fastipc_peer *peer);
int fastipc_area_alloc(struct fastipc_peer *peer, size_t size, bool oneway,
		       u64 *offset);
void fastipc_area_release(struct fastipc_peer *peer, u64 offset);
void fastipc_area_deliver(struct fastipc_peer *peer, u64 offset);
int fastipc_area_free_user(struct fastipc_peer *peer, u64 offset);

/* txn.c */
int fastipc_txn_send(struct fastipc_thread *thread,
		     const struct fastipc_cmd *cmd, bool oneway);
int fastipc_txn_reply(struct fastipc_thread *thread,
		      const struct fastipc_cmd *cmd, bool error);
void fastipc_txn_fail(struct fastipc_txn *txn, u32 op, u32 reason, int err);
void fastipc_txn_free(struct fastipc_txn *txn);
void fastipc_txn_free_spare(struct fastipc_txn *txn);
void fastipc_txn_recycle(struct fastipc_thread *thread,
			 struct fastipc_txn *txn);
void fastipc_msg_discard(struct fastipc_peer *owner, struct fastipc_msg *msg);
int fastipc_txn_cache_init(void);
void fastipc_txn_cache_exit(void);

/* prio.c */
void fastipc_prio_lend(const struct fastipc_node *node, bool oneway,
		       struct fastipc_prio *lend);
bool fastipc_prio_higher(struct fastipc_thread *thread,
			 const struct fastipc_prio *lend);
void fastipc_prio_boost(struct fastipc_thread *thread,
			const struct fastipc_prio *lend);
void fastipc_prio_restore(struct fastipc_thread *thread);
int fastipc_prio_check_min(const struct fastipc_node_create *arg,
			   struct fastipc_prio *min);

/* rw.c */
long fastipc_write_read(struct fastipc_peer *peer, struct file *file,
			void __user *arg);

/* debugfs.c */
/**
 * enum fastipc_stat - live object counters exposed in debugfs.
 */
enum fastipc_stat {
	FASTIPC_STAT_PEERS,
	FASTIPC_STAT_THREADS,
	FASTIPC_STAT_NODES,
	FASTIPC_STAT_REFS,
	FASTIPC_STAT_TXNS,
	FASTIPC_STAT_BUFFERS,
	FASTIPC_STAT_DEATHS,
	FASTIPC_STAT_EXPORTS,
	FASTIPC_STAT_BOOSTED,
	FASTIPC_STAT_NR,
};

extern atomic_long_t fastipc_stats[FASTIPC_STAT_NR];

/**
 * enum fastipc_count - event counters exposed in debugfs (only grow).
 */
enum fastipc_count {
	FASTIPC_COUNT_BOOSTS,
	FASTIPC_COUNT_RESTORES,
	FASTIPC_COUNT_KEPT,
	FASTIPC_COUNT_TIMEOUTS,
	FASTIPC_COUNT_NR,
};

extern atomic_long_t fastipc_counters[FASTIPC_COUNT_NR];

static inline void fastipc_stat_inc(enum fastipc_stat s)
{
	atomic_long_inc(&fastipc_stats[s]);
}

static inline void fastipc_stat_dec(enum fastipc_stat s)
{
	atomic_long_dec(&fastipc_stats[s]);
}

void fastipc_failed_log(struct fastipc_txn *txn, u32 op, u32 reason, int err);
void fastipc_failed_log_id(u64 id, pid_t from, pid_t to, u32 op, u32 reason,
			   int err);
void fastipc_debugfs_init(void);
void fastipc_debugfs_exit(void);
void fastipc_peer_list_add(struct fastipc_peer *peer);
void fastipc_peer_list_del(struct fastipc_peer *peer);

#endif /* _FASTIPC_INTERNAL_H */
