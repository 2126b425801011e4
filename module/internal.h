/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastipc internal declarations shared by the module's objects.
 *
 * Locking, outermost first (never two locks of the same kind at once):
 *
 *   mmap_lock (vma close)    may be held around fastipc_peer_die()
 *   peer->refs_lock (mutex)  handles and references held by the peer
 *   node->lock (spinlock)    the references to the node, death requests
 *   peer->lock (spinlock)    work lists, threads' states, pending
 *                            transactions, one-way budgets, the area
 *
 * Work lists, the idle list, wake-ups and the hand-off follow the rules
 * written at the top of queue.c (deliver.c takes work off the lists);
 * lifetimes of handles and death requests those at the top of ref.c.
 * Each struct below says per field what protects it: "peer->lock" means
 * the lock of the peer the object belongs to; "const" means set before
 * the object is published.
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
struct fastipc_uop;
struct io_uring_cmd;

/* Module parameters (main.c). */
extern unsigned int fastipc_max_area_size;
extern unsigned int fastipc_max_threads;
extern unsigned int fastipc_max_handles;
extern unsigned int fastipc_max_handle_refs;
extern unsigned int fastipc_max_oneway;
extern bool fastipc_inherit_priority;

/*
 * Every allocation a user can cause: charged to the caller's memory
 * cgroup, and failing with ENOMEM at its limit rather than waking the OOM
 * killer or warning (a user can ask for it on purpose).
 */
#define FASTIPC_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | \
			 __GFP_NOWARN)

#define FASTIPC_MAX_TXN_HANDLES	1024
#define FASTIPC_MAX_TXN_FDS	64
#define FASTIPC_AREA_GRANULE	64

/**
 * enum fastipc_work_type - what a &struct fastipc_work on a todo list is.
 * @FASTIPC_WORK_TXN: a transaction for the peer (TRANSACTION record).
 * @FASTIPC_WORK_REPLY: a finished call for its caller (REPLY, DEAD_REPLY or
 *	FAILED_REPLY record, see &fastipc_txn.reply_op).
 * @FASTIPC_WORK_DEAD_NODE: a death notice (&struct fastipc_death.work).
 * @FASTIPC_WORK_NODE_RELEASED: last remote reference gone (node).
 * @FASTIPC_WORK_SIGNAL: a node's pending notification bits
 *	(&struct fastipc_signal.work, signal.c).
 */
enum fastipc_work_type {
	FASTIPC_WORK_TXN,
	FASTIPC_WORK_REPLY,
	FASTIPC_WORK_DEAD_NODE,
	FASTIPC_WORK_NODE_RELEASED,
	FASTIPC_WORK_SIGNAL,
};

/**
 * struct fastipc_work - an entry of a todo list.
 * @entry: link in &fastipc_peer.todo, &fastipc_thread.todo or
 *	&fastipc_peer.oneway_held; under the lock of the peer whose list.
 * @type: &enum fastipc_work_type; const.
 */
struct fastipc_work {
	struct list_head entry;
	enum fastipc_work_type type;
};

/**
 * struct fastipc_prio - a thread's scheduling state, as fastipc lends it.
 * @policy: SCHED_NORMAL, SCHED_BATCH, SCHED_FIFO or SCHED_RR (others are
 *	read but never lent).
 * @prio: the nice value for fair policies (-20..19), the priority for
 *	real-time ones (1..99).
 * @reset_on_fork: SCHED_RESET_ON_FORK.
 * @valid: the fields mean something.
 *
 * Four bytes: every node carries one.
 */
struct fastipc_prio {
	u8 policy;
	s8 prio;
	bool reset_on_fork;
	bool valid;
};

/**
 * struct fastipc_area - the receive area of a peer.
 * @kaddr: kernel address of the vmalloc'ed area, NULL until mmap.
 * @size: bytes.
 * @used: four bitmaps, one after the other: allocated granules, first
 *	granules of buffers, one-way buffers, delivered buffers (area.c).
 * @oneway_bytes: bytes held by one-way buffers until FREE (at most half
 *	the area).
 * @buffers: live buffers.
 *
 * Protected by &fastipc_peer.lock; @kaddr and @size are set once, under it,
 * and stay until the peer is freed.
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
 * @kref: the file, nodes, in-flight transactions and senders in the middle
 *	of a hand-off hold references.
 * @lock: see the locking rules at the top of this file.
 * @refs_lock: protects @refs, @nr_handles, @refs_closed and the counts of
 *	the references.
 * @id: unique number (one-way budget shares are kept per sending @id);
 *	const.
 * @mm: address space of the opener (grabbed); only it may act on the peer.
 *	When its last user is gone the peer is dead.  Const.
 * @pid: thread group of the opener; const.
 * @cred: credentials of the opener; const.
 * @dead: the owner is gone: no more work is accepted.  Set once, under
 *	@lock; read locklessly only as a hint.
 * @flush_gen: bumped under @lock by each close() from the owner: threads
 *	blocked in the read phase return EINTR.
 * @todo: work any thread of the peer may take; under @lock.
 * @idle: threads waiting for @todo work, most recent first; under @lock.
 * @pending: received calls not yet answered, in the order they were
 *	taken; under @lock.
 * @pending_seq: numbers the calls taken, for that order; under @lock.
 * @oneway_held: one-ways waiting for an earlier one-way to the same node
 *	to be done (queue.c); under @lock.
 * @oneway_queued: one-ways queued to the peer and not yet read, on any
 *	list; under @lock.
 * @calls_unanswered: calls of the peer's threads that timed out and that
 *	their servers have not answered yet (&fastipc_txn.timed_out); @lock.
 * @oneway_shares: per sending peer (@id) its part of @oneway_queued and of
 *	their granules, as xa_mk_value(); under @lock.
 * @threads: threads by pid; the xarray's own lock for stores, @lock for
 *	what a walk under it reads.
 * @thread_hint: the thread that last looked itself up, or NULL: a lookup
 *	that skips @threads.  Set only by the thread it names, cleared by
 *	whoever takes that thread out of @threads; read under RCU
 *	(thread.c).
 * @nodes: nodes owned by the peer (&fastipc_node.owner_entry); @lock.
 * @nodes_dead: nodes fastipc_nodes_die() went through, moved off @nodes.
 * @refs: references by handle number (refs_lock; lookups under xa_lock).
 * @nr_handles: live handles in @refs.
 * @refs_closed: the peer is released, no reference may be added.
 * @loopers: threads that entered the looper; @lock.
 * @spawn_requested: SPAWN_LOOPER records given out and not yet answered;
 *	@lock.
 * @max_threads: loopers the peer wants at most (SET_MAX_THREADS); @lock.
 * @area: the receive area; @lock.
 * @vma_mapped: the area is or was mapped (one mapping per peer); @lock.
 * @peer_entry: link in the device-wide list of peers (stats.c).
 * @poll_wait: poll() and epoll sleep here; woken when work is queued.
 *	Ring receivers wait here too (uring.c), and its lock protects the
 *	ring fields below.
 * @ring_ops: io_uring commands of the peer parked in the kernel: calls
 *	waiting for their answer, receivers waiting for work (uring.c);
 *	poll_wait.lock.
 * @ring_nr: ops of the peer, parked or completing; poll_wait.lock.
 * @ring_given_up: ring calls given up (cancelled, timed out) that their
 *	servers have not answered yet; poll_wait.lock.
 */
struct fastipc_peer {
	struct kref kref;
	spinlock_t lock;		/* work lists, threads, area */
	struct mutex refs_lock;		/* @refs and their counts */
	unsigned long id;
	struct mm_struct *mm;
	struct pid *pid;
	const struct cred *cred;
	bool dead;
	unsigned int flush_gen;
	struct list_head todo;
	struct list_head idle;
	struct list_head pending;
	u64 pending_seq;
	struct list_head oneway_held;
	unsigned int oneway_queued;
	unsigned int calls_unanswered;
	struct xarray oneway_shares;
	struct xarray threads;
	struct fastipc_thread __rcu *thread_hint;
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
	struct list_head ring_ops;
	unsigned int ring_nr;
	unsigned int ring_given_up;
};

/**
 * struct fastipc_thread - a thread of a peer's process that used the peer.
 * @kref: the peer's table, a running ioctl of the thread and senders in
 *	the middle of a hand-off hold references.
 * @peer: the peer (not counted: the table's reference goes before the
 *	peer); const.
 * @serial: unique number; transactions name their server by it, so a
 *	thread allocated where an exited one was serves nothing.  Const.
 * @pid: thread ID; const.
 * @todo: work for this thread only: replies, nested transactions and
 *	calls handed to it; peer->lock.
 * @handoff_wait: waiters for @handoff to clear (the thread itself, the
 *	peer's release) sleep here (queue.c, rule 4).
 * @idle_entry: link in &fastipc_peer.idle while waiting for peer work;
 *	peer->lock.
 * @waiting: the innermost call this thread waits the reply of, or NULL.
 *	Compared, never dereferenced by others; it stays allocated while it
 *	is @waiting (queue.c, rule 7).  peer->lock.
 * @waiting_id: transaction ID of @waiting (of its whole chain); peer->lock.
 * @wait_depth: calls in the chain: @waiting, its &fastipc_txn.outer, and
 *	so on (a thread serving a nested transaction of its own call may
 *	call again); 0 when not waiting.  peer->lock.
 * @parked: replies to outer calls of the chain that came before the inner
 *	ones were answered; moved to @todo when their call is @waiting again.
 *	peer->lock.
 * @deadline: CLOCK_MONOTONIC deadline of the call in @waiting, or 0;
 *	peer->lock (read once, locklessly, by the waiting thread itself).
 * @looper: the thread entered the looper; peer->lock.
 * @handoff: a sender is raising the thread's priority before waking it
 *	with the call it put on @todo; the thread takes no work and leaves
 *	its priority fields alone until the sender clears it.  peer->lock.
 * @sleeping: the thread's task sleeps for work (or is about to): wakers
 *	wake @task directly (queue.c, rule 3).  peer->lock.
 * @gone: fastipc_thread_exit() ran or runs; peer->lock.
 * @spare: a transaction kept for the next call; the thread itself.
 * @oneway_node: node of the one-way the thread took last, whose next
 *	one-way waits until the thread is back (queue.c); the thread itself.
 * @task: the thread's task (counted), whose priority fastipc lends to.
 * @boosted: the thread runs at a lent priority (prio.c).  These three are
 *	the thread's own, or that of whoever set @handoff while it is set (a
 *	hand-off sender, a withdrawal: prio.c); restores, wherever they run,
 *	hold @prio_mutex too.
 * @prio_base: the thread's own state before it was raised.
 * @prio_lent: the state fastipc last gave it.
 * @prio_mutex: serialises fastipc_prio_restore() (prio.c).
 * @rcu: frees the thread after a grace period (lookups run under RCU).
 */
struct fastipc_thread {
	struct kref kref;
	struct fastipc_peer *peer;
	u64 serial;
	pid_t pid;
	struct list_head todo;
	wait_queue_head_t handoff_wait;
	struct list_head idle_entry;
	struct fastipc_txn *waiting;
	u64 waiting_id;
	unsigned int wait_depth;
	struct list_head parked;
	ktime_t deadline;
	bool looper;
	bool handoff;
	bool sleeping;
	bool gone;
	struct fastipc_txn *spare;
	struct fastipc_node *oneway_node;
	struct task_struct *task;
	bool boosted;
	struct fastipc_prio prio_base;
	struct fastipc_prio prio_lent;
	struct mutex prio_mutex;	/* serialises prio restores */
	struct rcu_head rcu;
};

/**
 * struct fastipc_node - an object owned by a peer, named by handles.
 * @kref: references, handles and in-flight messages each hold one.
 * @lock: protects @refs, @remote_refs, @dead and death requests.
 * @owner: owning peer (counted); const.
 * @cookie: owner's value, returned with each transaction; const.
 * @refs: &struct fastipc_ref of every peer holding a handle; @lock.
 * @owner_entry: link in &fastipc_peer.nodes, or .nodes_dead once its owner
 *	died; owner->lock.
 * @released_work: NODE_RELEASED record for the owner; owner->lock.
 * @remote_refs: references held by peers other than @owner; @lock.
 * @oneway_held: one-ways to the node on the owner's oneway_held list;
 *	owner->lock.
 * @min_prio: with %FASTIPC_NODE_MIN_PRIO, the least its work runs at;
 *	const.
 * @flags: %FASTIPC_NODE_* flags (four bits); const.  With
 *	%FASTIPC_NODE_ACCEPT_SIGNALS the node is the first member of a
 *	&struct fastipc_signal_node.
 * @dead: the owner died; @lock.
 * @released_queued: @released_work is on the owner's todo list, or read
 *	and not yet answered; owner->lock.
 * @death_done: fastipc_nodes_die() handled the node; owner->lock.
 * @oneway_busy: a one-way to the node is queued or being handled: the
 *	next waits on &fastipc_peer.oneway_held; owner->lock.
 *
 * 88 bytes in its own slab cache (node.c): a node costs what a user pays
 * for a handle to it, so its size is a benchmark figure (bench/handles.c).
 * The three bit fields share one byte and one lock; @dead, under another
 * lock, has a byte of its own.
 */
struct fastipc_node {
	struct kref kref;
	spinlock_t lock;		/* @refs, @remote_refs, @dead */
	struct fastipc_peer *owner;
	u64 cookie;
	struct hlist_head refs;
	struct list_head owner_entry;
	struct fastipc_work released_work;
	unsigned int remote_refs;
	unsigned int oneway_held;
	struct fastipc_prio min_prio;
	u8 flags;
	bool dead;
	u8 released_queued:1;
	u8 death_done:1;
	u8 oneway_busy:1;
};

/**
 * struct fastipc_signal - the notification bits of a node (signal.c).
 * @work: the SIGNAL record, on the owner's peer->todo exactly while @bits
 *	is non-zero; owner->lock.  The link holds a node reference.
 * @bits: OR of the masks signalled since the owner last read them;
 *	owner->lock.
 */
struct fastipc_signal {
	struct fastipc_work work;
	u64 bits;
};

/**
 * struct fastipc_signal_node - a node created with
 *	%FASTIPC_NODE_ACCEPT_SIGNALS, from a slab cache of its own (node.c).
 * @node: the node.
 * @signal: its notification bits.
 *
 * Only the nodes that accept signals pay for them: &struct fastipc_node
 * stays at its benchmarked size (node.c).
 */
struct fastipc_signal_node {
	struct fastipc_node node;
	struct fastipc_signal signal;
};

/**
 * fastipc_node_signal() - the notification bits of @node.
 * @node: a node with %FASTIPC_NODE_ACCEPT_SIGNALS in its flags.
 *
 * Return: its &struct fastipc_signal.
 */
static inline struct fastipc_signal *
fastipc_node_signal(struct fastipc_node *node)
{
	return &container_of(node, struct fastipc_signal_node, node)->signal;
}

/**
 * fastipc_signal_work_node() - the node whose SIGNAL work @w is.
 * @w: a work of type %FASTIPC_WORK_SIGNAL.
 *
 * Return: the node.
 */
static inline struct fastipc_node *
fastipc_signal_work_node(struct fastipc_work *w)
{
	return &container_of(w, struct fastipc_signal_node, signal.work)->node;
}

/**
 * enum fastipc_death_state - state of a death request.
 * @FASTIPC_DEATH_REQUESTED: requested, owner alive.
 * @FASTIPC_DEATH_QUEUED: the notice is on the holder's todo list (or was
 *	taken off it by the holder's dying peer).
 * @FASTIPC_DEATH_DELIVERED: read by the holder; never sent again.
 */
enum fastipc_death_state {
	FASTIPC_DEATH_REQUESTED,
	FASTIPC_DEATH_QUEUED,
	FASTIPC_DEATH_DELIVERED,
};

/**
 * struct fastipc_death - a death request of a handle, and its notice.
 * @work: the DEAD_NODE record, on the holder's todo when queued;
 *	holder's peer->lock.
 * @state: &enum fastipc_death_state; node->lock, and the holder's
 *	peer->lock where it moves to or from QUEUED.
 * @cookie: cookie of the request; const.
 * @ref: the watched handle; const.  Alive while the request is linked to
 *	the holder's todo list, which its freeing waits for (ref.c).
 *
 * Allocated by REQUEST_DEATH, freed by CLEAR_DEATH or with its ref: the
 * few handles that are watched pay for it, not every handle (ref.c).
 */
struct fastipc_death {
	struct fastipc_work work;
	enum fastipc_death_state state;
	u64 cookie;
	struct fastipc_ref *ref;
};

/**
 * struct fastipc_ref - a peer's handle to a node.
 * @node: the node (counted); const.
 * @peer: the holder; const.
 * @handle: handle number in the holder; const.
 * @count: references the holder has on the handle; peer->refs_lock.
 * @node_entry: link in &fastipc_node.refs; node->lock.
 * @death: the death request, or NULL; set and cleared under
 *	peer->refs_lock and node->lock, so either lock lets one read it.
 *
 * 48 bytes in its own slab cache (ref.c): a peer may hold max_handles.
 */
struct fastipc_ref {
	struct fastipc_node *node;
	struct fastipc_peer *peer;
	u32 handle;
	u32 count;
	struct hlist_node node_entry;
	struct fastipc_death *death;
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
 *
 * Owned by whoever owns the transaction (see queue.c).
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
 * @outer: the call @from waited for when it made this one (compared only),
 *	or NULL; const.
 * @outer_deadline: the deadline of @outer; const.
 * @depth: its place in @from's chain of calls (1: outermost); const.
 *	0 for a call submitted through io_uring, which no thread waits for.
 * @from_peer: sending peer (counted), for the sender's pid and euid.
 * @to: the peer the request went to (counted).
 * @server: &fastipc_thread.serial of the thread that took the request;
 *	to->lock.
 * @pending_entry: link in &fastipc_peer.pending while being served;
 *	to->lock.
 * @taken: its place in the order calls were taken (&fastipc_peer.pending);
 *	to->lock.
 * @lend: the priority lent to the thread serving it (prio.c).
 * @handoff: handed to an idle thread already raised to @lend; to->lock.
 * @timed_out: its caller stopped waiting at its deadline; counted in
 *	from_peer->calls_unanswered until it is answered (and dropped);
 *	from_peer->lock.
 * @share_granules: one-ways: area granules charged to the sender's share.
 * @reply_op: %FASTIPC_RET_REPLY, %FASTIPC_RET_DEAD_REPLY or
 *	%FASTIPC_RET_FAILED_REPLY once answered.
 * @reason: &enum fastipc_reason for failures.
 * @ring_op: a call submitted through io_uring (@depth 0): its parked
 *	command, or NULL once that completed or was cancelled (the answer is
 *	then dropped); from_peer->poll_wait.lock (uring.c).
 * @msg: the payload travelling now (request, then reply).  Last: only its
 *	header is cleared for a new transaction.
 *
 * A transaction is owned by exactly one place at a time (queue.c): the
 * list it is on, or the thread that took it off a list.
 */
struct fastipc_txn {
	struct fastipc_work work;
	u64 id;
	bool oneway;
	bool handoff;
	bool timed_out;
	u64 code;
	struct fastipc_node *node;
	struct fastipc_thread *from;
	struct fastipc_txn *outer;
	ktime_t outer_deadline;
	unsigned int depth;
	struct fastipc_peer *from_peer;
	struct fastipc_peer *to;
	u64 server;
	u64 taken;
	struct list_head pending_entry;
	struct fastipc_prio lend;
	u32 share_granules;
	u32 reply_op;
	u32 reason;
	struct fastipc_uop *ring_op;
	struct fastipc_msg msg;
};

/**
 * struct fastipc_delivery - one record being handed to userspace.
 * @rec: the record.
 * @msg: the message's buffer, nodes and files, detached from the work.
 * @work: the work taken off a list, to put back if the record cannot be
 *	written (deliver.c).
 * @txn: the transaction to free or recycle once the record is out.
 * @node: a node reference to drop once the record is out.
 * @handles: the handles @msg's nodes became, to give back on failure.
 * @deadline: the deadline of the call a REPLY answers.
 * @taken: a call's &fastipc_txn.taken when it was taken: to find it again
 *	(deliver.c).
 * @lend: the priority the transaction lends to the reading thread, when
 *	no sender raised it already.
 * @from_peer_list: @work came from the peer's list, not the thread's.
 * @spawn: a SPAWN_LOOPER record is owed after this one.
 */
struct fastipc_delivery {
	struct fastipc_ret rec;
	struct fastipc_msg msg;
	struct fastipc_work *work;
	struct fastipc_txn *txn;
	struct fastipc_node *node;
	u32 *handles;
	ktime_t deadline;
	u64 taken;
	struct fastipc_prio lend;
	bool from_peer_list;
	bool spawn;
};

extern const struct file_operations fastipc_fops;

/* peer.c */
struct fastipc_peer *fastipc_peer_create(void);
void fastipc_peer_put(struct fastipc_peer *peer);
void fastipc_peer_die(struct fastipc_peer *peer);
void fastipc_peer_flush(struct fastipc_peer *peer);
void fastipc_peer_release(struct fastipc_peer *peer);

/* thread.c */
struct fastipc_thread *fastipc_thread_get(struct fastipc_peer *peer);
void fastipc_thread_put(struct fastipc_thread *thread);
void fastipc_thread_exit(struct fastipc_thread *thread);
void fastipc_threads_release(struct fastipc_peer *peer);

/* queue.c */

/**
 * fastipc_thread_wake() - wake @thread if it sleeps for work (rule 3).
 * @thread: the thread, with its peer's lock held.
 *
 * The thread holds its task, so the task is there to wake even when it
 * left the sleep already (a wake-up of a running task does nothing).
 */
static inline void fastipc_thread_wake(struct fastipc_thread *thread)
{
	lockdep_assert_held(&thread->peer->lock);
	if (thread->sleeping)
		wake_up_process(thread->task);
}

void fastipc_wake_one(struct fastipc_peer *peer);
void fastipc_wake_thread(struct fastipc_thread *thread);
int fastipc_queue_txn(struct fastipc_thread *thread, struct fastipc_txn *txn,
		      ktime_t deadline, u32 *reason);
void fastipc_queue_reply(struct fastipc_txn *txn);
struct fastipc_txn *fastipc_pending_claim(struct fastipc_thread *thread,
					  u64 id);
bool fastipc_pending_unlink(struct fastipc_peer *peer, struct fastipc_txn *txn,
			    u64 taken);
void fastipc_pending_unclaim(struct fastipc_peer *peer,
			     struct fastipc_txn *txn);
bool fastipc_queue_peer_work(struct fastipc_peer *peer,
			     struct fastipc_work *w);
bool fastipc_requeue_peer_work(struct fastipc_peer *peer,
			       struct fastipc_work *w);
void fastipc_oneway_uncharge(struct fastipc_peer *to, struct fastipc_txn *txn);
void fastipc_oneway_recharge(struct fastipc_peer *to, struct fastipc_txn *txn);
void fastipc_thread_unhand(struct fastipc_thread *thread);
void fastipc_thread_wait_handoff(struct fastipc_thread *thread);
void fastipc_oneway_done(struct fastipc_thread *thread);
void fastipc_work_abandon_list(struct fastipc_peer *peer,
			       struct list_head *list);
void fastipc_queue_drain(struct fastipc_peer *peer);
u64 fastipc_served_id(struct fastipc_thread *thread);
bool fastipc_txn_given_up(const struct fastipc_txn *t);
bool fastipc_serves_waited(struct fastipc_thread *thread);
struct fastipc_thread *fastipc_server_of(struct fastipc_peer *peer, u64 id);
void fastipc_park_reply(struct fastipc_thread *thread);
bool fastipc_txn_begin(struct fastipc_thread *thread, struct fastipc_txn *txn,
		       ktime_t deadline);
u64 fastipc_txn_new_id(void);
int fastipc_queue_ring_txn(struct fastipc_thread *thread,
			   struct fastipc_txn *txn, u32 *reason);

/* node.c */
struct fastipc_node *fastipc_handle_node(struct fastipc_peer *peer, u32 handle);
int fastipc_node_create(struct fastipc_peer *peer,
			struct fastipc_node_create *arg);
void fastipc_node_put(struct fastipc_node *node);
void fastipc_nodes_die(struct fastipc_peer *peer);
int fastipc_set_context_mgr(struct fastipc_peer *peer, u32 handle);
int fastipc_handle_export(struct fastipc_peer *peer,
			  struct fastipc_handle_fd *arg, struct file **filep);
int fastipc_handle_import(struct fastipc_peer *peer,
			  struct fastipc_handle_fd *arg);
bool fastipc_is_own_file(struct file *file);
int fastipc_node_cache_init(void);
void fastipc_node_cache_exit(void);

/* ref.c */
int fastipc_handle_take(struct fastipc_peer *peer, struct fastipc_node *node,
			u32 *handle);
int fastipc_handle_acquire(struct fastipc_peer *peer, u32 handle);
int fastipc_handle_release(struct fastipc_peer *peer, u32 handle);
int fastipc_death_request(struct fastipc_peer *peer, u32 handle, u64 cookie);
int fastipc_death_clear(struct fastipc_peer *peer, u32 handle, u64 cookie);
void fastipc_death_queue_all(struct fastipc_node *node);
void fastipc_death_untake(struct fastipc_peer *peer, struct fastipc_node *node,
			  u64 cookie);
void fastipc_refs_release_all(struct fastipc_peer *peer);
int fastipc_ref_cache_init(void);
void fastipc_ref_cache_exit(void);

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
		     const struct fastipc_cmd *cmd, bool oneway, u32 *reason);
int fastipc_txn_send_ring(struct fastipc_thread *thread,
			  const struct fastipc_cmd *cmd, struct fastipc_uop *op,
			  u32 *reason);
int fastipc_txn_reply(struct fastipc_thread *thread,
		      const struct fastipc_cmd *cmd, bool error);
void fastipc_txn_fail(struct fastipc_txn *txn, u32 op, u32 reason, int err);
struct fastipc_txn *fastipc_txn_alloc_bare(void);
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
void fastipc_prio_withdraw(struct fastipc_thread *thread);
void fastipc_prio_withdraw_call(struct fastipc_peer *to, u64 id);
int fastipc_prio_check_min(const struct fastipc_node_create *arg,
			   struct fastipc_prio *min);

/* deliver.c */
u32 *fastipc_msg_take_handles(struct fastipc_peer *peer,
			      const struct fastipc_msg *msg, u32 *flags);
void fastipc_msg_put_handles(struct fastipc_peer *peer,
			     const struct fastipc_msg *msg, u32 *handles);
void fastipc_msg_install(struct fastipc_peer *peer, struct fastipc_msg *msg,
			 u32 rec_flags, struct fastipc_ret __user *urec);
int fastipc_read(struct fastipc_thread *thread, struct fastipc_write_read *wr,
		 bool nonblock);

/* rw.c */
int fastipc_cmd_check_plain(const struct fastipc_cmd *cmd);
long fastipc_write_read(struct fastipc_peer *peer, struct file *file,
			void __user *arg);

/* cancel.c */
int fastipc_cancel(struct fastipc_peer *peer,
		   const struct fastipc_cancel *arg);
int fastipc_txn_waited(struct fastipc_peer *peer, u64 id);

/* signal.c */
int fastipc_signal_send(struct fastipc_peer *peer, u32 handle, u64 mask);
void fastipc_signal_claim(struct fastipc_work *w, struct fastipc_delivery *d);
void fastipc_signal_untake(struct fastipc_peer *peer,
			   struct fastipc_delivery *d);
void fastipc_signal_drop(struct fastipc_work *w);

/* uring.c */
int fastipc_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);
void fastipc_uring_link(struct fastipc_uop *op, struct fastipc_txn *txn,
			ktime_t deadline);
void fastipc_uring_reply(struct fastipc_txn *txn);
void fastipc_uring_peer_die(struct fastipc_peer *peer);
int fastipc_uring_cancel_id(struct fastipc_peer *peer, u64 id);
void fastipc_uring_exit(void);

/* stats.c */
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
	FASTIPC_STAT_RING_OPS,
	FASTIPC_STAT_SIGNALS,
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
	FASTIPC_COUNT_ONEWAY_REFUSED,
	FASTIPC_COUNT_SIGNALS_SENT,
	FASTIPC_COUNT_SIGNALS_READ,
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

static inline void fastipc_count(enum fastipc_count c)
{
	atomic_long_inc(&fastipc_counters[c]);
}

void fastipc_peer_list_add(struct fastipc_peer *peer);
void fastipc_peer_list_del(struct fastipc_peer *peer);
void fastipc_peer_list_show(struct seq_file *m);
void fastipc_peer_list_walk(void (*fn)(struct fastipc_peer *peer));

/* debugfs.c */
void fastipc_failed_log(struct fastipc_txn *txn, u32 op, u32 reason, int err);
void fastipc_failed_log_id(u64 id, pid_t from, pid_t to, u32 op, u32 reason,
			   int err);
void fastipc_debugfs_init(void);
void fastipc_debugfs_exit(void);

#endif /* _FASTIPC_INTERNAL_H */
