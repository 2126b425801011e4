// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - the work queues: todo lists, the idle list, wake-ups, the
 * hand-off of a call to an idle thread, the pending list, one-way budgets
 * and order, putting work back, and the abandon path.  Nothing outside
 * this file links or unlinks work.
 *
 * Rules (a newcomer reads these before touching the hot path):
 *
 * 1. Lists.  A &struct fastipc_work is on at most one list: peer->todo
 *    (any thread of the peer may take it), thread->todo (that thread
 *    only) or peer->oneway_held (a one-way waiting for its node, rule 8).
 *    All of a peer's lists are protected by peer->lock and work moves
 *    between them only under it.  Work off every list is owned by whoever
 *    took it off (a reading thread, the abandon path) and nobody else
 *    touches it.  Records embedded in other objects (a ref's death notice,
 *    a node's NODE_RELEASED) are also unlinked by others (CLEAR_DEATH,
 *    RELEASE) under the same lock, so no code walks such a list without
 *    the lock: the abandon path pops entries one at a time (rule 6).  A
 *    node's SIGNAL record is embedded too, but only its reader or the
 *    drain unlinks it (signal.c).
 *
 * 2. Accepting work.  Work is linked to a peer only under its lock and
 *    only while !peer->dead.  dead is set once, under the lock; from then
 *    on no list of the peer grows, so the drain of rule 6 ends.
 *
 * 3. Sleeping.  A thread sleeps for work only in fastipc_sleep(),
 *    TASK_INTERRUPTIBLE, with thread->sleeping set, until: work on its
 *    own list (not while handed off), work on peer->todo (when it waits
 *    for no reply; it is then on peer->idle), its deadline (an hrtimer),
 *    a signal, the peer's death, a close() by the owner (peer->flush_gen),
 *    or being taken off the idle list.  Each of these but the timer and
 *    the signal is published under peer->lock, which then also wakes the
 *    task directly (fastipc_thread_wake(), no wait queue: only the
 *    thread's own task ever sleeps for its work).  The sleeper looks at
 *    all of them and sets its state and thread->sleeping under that same
 *    lock before it drops it, so no wake-up is lost; it looks again after
 *    every wake-up, so a spurious one costs a loop.
 * 4. Hand-off.  A sender that finds an idle thread below the priority its
 *    call lends takes the thread off the idle list, sets thread->handoff
 *    and txn->handoff, links the call to thread->todo and drops the lock
 *    to raise the thread (that may sleep).  It holds a reference on the
 *    thread and one on the peer across it: once the lock is dropped the
 *    call may be freed by the peer's death, and the lock it retakes must
 *    still exist.  It ends by clearing thread->handoff under the lock and
 *    waking thread->handoff_wait and the thread.  Meanwhile the thread
 *    takes no work and leaves its priority fields alone: it waits,
 *    uninterruptibly and for the microseconds a priority change takes, in
 *    fastipc_thread_wait_handoff() on thread->handoff_wait (as does the
 *    peer's release), which reads the flag under the lock.
 *    A thread that returns to userspace without reading handed calls (a
 *    signal) or leaves gives them back to the head of peer->todo.
 *
 * 5. Pollers sleep on peer->poll_wait, never on a thread's queue.  They
 *    are checked under peer->lock without a barrier: fastipc_poll() joins
 *    the queue before it takes the lock to look at the lists, and work is
 *    linked under that lock, so either it sees the work or we see it.
 *
 * 6. Death.  fastipc_peer_die() sets dead under the lock and wakes every
 *    thread and poller; fastipc_queue_drain() moves the threads' lists and
 *    the held one-ways to peer->todo and pops it, with the pending calls,
 *    a batch at a time under the lock, rescheduling between batches:
 *    death notices are only unlinked (they live in their ref), the rest
 *    is answered outside the lock (calls get DEAD_REPLY, the rest is
 *    dropped).  Death races the peer's own ioctls (a thread with its own
 *    fd table exits and its flush kills the peer while siblings run):
 *    every list operation above is under the lock, so that is safe.  A
 *    call off the pending list while its REPLY is built belongs to its
 *    replier, which answers it DEAD_REPLY if the REPLY fails and finds
 *    the peer dead.  Once dead, peer->todo is the drain's alone: it holds
 *    the threads' replies and parked answers between batches, and a
 *    reader taking one would pop a wait the drain already ended.
 *
 * 7. Replies go to the caller's thread->todo, under the caller's peer
 *    lock, only while that thread still waits for that very call, its
 *    peer lives and its task is not exiting; else they are dropped.  A
 *    thread that serves a nested transaction of its own call may call
 *    again: thread->waiting is then the innermost call of a chain, each
 *    call naming the one before (txn->outer, depth).  A reply to an
 *    outer call that comes first is parked on thread->parked until its
 *    call is the innermost again.  A call stays allocated while it is
 *    some thread's waiting (only the waiting thread frees it, after it
 *    stopped waiting for it), so its outer fields may be read then.  A
 *    call whose caller stopped waiting at its deadline (txn->timed_out)
 *    counts in the caller's peer->calls_unanswered, under that peer's
 *    lock, from the time-out until its answer is dropped here: a peer
 *    may leave at most max_oneway of them in servers.
 *
 * 8. One-ways are delivered one at a time per node, in order: the first
 *    queued sets node->oneway_busy, later ones wait on peer->oneway_held;
 *    when the thread that took one is back (its next WRITE_READ, its
 *    exit) the next is queued.  Budget: peer->oneway_queued one-ways
 *    queued and unread, at most max_oneway; one sending peer at most half
 *    of that and at most a quarter of the area's granules (half of the
 *    one-way half), kept per sender in peer->oneway_shares.
 *
 * 9. Putting back.  A record the reader's buffer cannot take goes back to
 *    the head of the list it came from, every state it changed undone
 *    (fastipc_work_untake()): nothing is lost, nothing is seen twice.
 *
 * Taking work off the lists, the read phase, is in deliver.c and follows
 * these rules too.
 */
#include <linux/sched.h>

#include "internal.h"
#include "trace.h"

static atomic64_t fastipc_next_id = ATOMIC64_INIT(0);

/* A sender's share of a receiver's budget, packed in an xarray value. */
#define FASTIPC_SHARE_COUNT_BITS	24
#define FASTIPC_SHARE_COUNT_MAX		((1U << FASTIPC_SHARE_COUNT_BITS) - 1)

/**
 * fastipc_wake_one() - wake one idle thread of @peer for peer work.
 * @peer: the peer, with its lock held.
 */
void fastipc_wake_one(struct fastipc_peer *peer)
{
	struct fastipc_thread *t;

	lockdep_assert_held(&peer->lock);
	t = list_first_entry_or_null(&peer->idle, struct fastipc_thread,
				     idle_entry);
	if (t) {
		list_del_init(&t->idle_entry);
		fastipc_thread_wake(t);
	} else if (waitqueue_active(&peer->poll_wait)) { /* rule 5 */
		wake_up_interruptible(&peer->poll_wait);
	}
}

/**
 * fastipc_wake_thread() - wake @thread for work put on its own list.
 * @thread: the thread, with its peer's lock held.
 */
void fastipc_wake_thread(struct fastipc_thread *thread)
{
	struct fastipc_peer *peer = thread->peer;

	lockdep_assert_held(&peer->lock);
	fastipc_thread_wake(thread);
	if (waitqueue_active(&peer->poll_wait))	/* rule 5 */
		wake_up_interruptible(&peer->poll_wait);
}

/**
 * fastipc_queue_peer_work() - link @w to the peer's list and wake a thread.
 * @peer: the peer, with its lock held.
 * @w: work owned by the caller.
 *
 * Return: false, with nothing done, when the peer is dead.
 */
bool fastipc_queue_peer_work(struct fastipc_peer *peer, struct fastipc_work *w)
{
	lockdep_assert_held(&peer->lock);
	if (peer->dead)
		return false;
	list_add_tail(&w->entry, &peer->todo);
	fastipc_wake_one(peer);
	return true;
}

/**
 * fastipc_requeue_peer_work() - put @w back at the head of the peer's list
 *	(rule 9) and wake a thread.
 * @peer: the peer, with its lock held.
 * @w: work its reader could not deliver.
 *
 * Return: false, with nothing done, when the peer is dead.
 */
bool fastipc_requeue_peer_work(struct fastipc_peer *peer,
			       struct fastipc_work *w)
{
	lockdep_assert_held(&peer->lock);
	if (peer->dead)
		return false;
	list_add(&w->entry, &peer->todo);
	fastipc_wake_one(peer);
	return true;
}

static bool fastipc_handoff_pending(struct fastipc_thread *thread)
{
	bool pending;

	spin_lock(&thread->peer->lock);
	pending = thread->handoff;
	spin_unlock(&thread->peer->lock);
	return pending;
}

/**
 * fastipc_thread_wait_handoff() - wait until no sender is raising @thread.
 * @thread: the thread; its caller may not take work or touch its priority
 *	before this returns (rule 4).
 */
void fastipc_thread_wait_handoff(struct fastipc_thread *thread)
{
	wait_event(thread->handoff_wait, !fastipc_handoff_pending(thread));
}

/*
 * Hand @txn to @thread, idle in @to, raised before it wakes up (rule 4).
 * Called with to->lock held, returns with it released.
 */
static void fastipc_handoff(struct fastipc_peer *to,
			    struct fastipc_thread *thread,
			    struct fastipc_txn *txn)
	__releases(&to->lock)
{
	struct fastipc_prio lend = txn->lend;

	lockdep_assert_held(&to->lock);
	list_del_init(&thread->idle_entry);
	kref_get(&thread->kref);
	kref_get(&to->kref);
	thread->handoff = true;
	txn->handoff = true;
	list_add_tail(&txn->work.entry, &thread->todo);
	spin_unlock(&to->lock);

	fastipc_prio_boost(thread, &lend);

	spin_lock(&to->lock);
	thread->handoff = false;
	wake_up(&thread->handoff_wait);
	fastipc_wake_thread(thread);
	spin_unlock(&to->lock);
	fastipc_thread_put(thread);
	fastipc_peer_put(to);
}

/*
 * Give @txn to an idle thread (raised first when it lends more than the
 * thread has) or to the peer's list.  to->lock held, released on return.
 */
static __always_inline void fastipc_dispatch(struct fastipc_peer *to,
					     struct fastipc_txn *txn)
	__releases(&to->lock)
{
	struct fastipc_thread *t;

	lockdep_assert_held(&to->lock);
	t = list_first_entry_or_null(&to->idle, struct fastipc_thread,
				     idle_entry);
	if (t && fastipc_prio_higher(t, &txn->lend)) {
		fastipc_handoff(to, t, txn);
		return;
	}
	list_add_tail(&txn->work.entry, &to->todo);
	fastipc_wake_one(to);
	spin_unlock(&to->lock);
}

/* Another thread of @peer blocked in a call of transaction @id, if any. */
static struct fastipc_thread *fastipc_waiter_of(struct fastipc_peer *peer,
						u64 id,
						struct fastipc_thread *self)
{
	struct fastipc_thread *t;
	unsigned long index;

	lockdep_assert_held(&peer->lock);
	xa_for_each(&peer->threads, index, t)
		if (t != self && t->waiting && t->waiting_id == id)
			return t;
	return NULL;
}

/**
 * fastipc_served_id() - ID of the latest transaction @thread serves, or 0.
 * @thread: the thread, its peer's lock held.
 */
u64 fastipc_served_id(struct fastipc_thread *thread)
{
	struct fastipc_txn *t;

	lockdep_assert_held(&thread->peer->lock);
	list_for_each_entry_reverse(t, &thread->peer->pending, pending_entry)
		if (t->server == thread->serial)
			return t->id;
	return 0;
}

/**
 * fastipc_txn_given_up() - has the caller of a pending call stopped waiting?
 * @t: a call on its server's pending list (the server's lock held).
 *
 * Timed out, cancelled (a ring call's command gone, or a synchronous call's
 * stand-in answered), or its caller's peer dead.  The flags belong to the
 * caller's locks: a hint that only ever turns from waited to given up, and
 * that whoever gave the call up wrote before it looks.
 *
 * Return: true when nobody waits for its answer.
 */
bool fastipc_txn_given_up(const struct fastipc_txn *t)
{
	return READ_ONCE(t->timed_out) || READ_ONCE(t->from_peer->dead) ||
	       (!t->depth && !READ_ONCE(t->ring_op));
}

/**
 * fastipc_serves_waited() - does @thread serve a call its caller waits for?
 * @thread: the thread, its peer's lock held.
 */
bool fastipc_serves_waited(struct fastipc_thread *thread)
{
	struct fastipc_txn *t;

	lockdep_assert_held(&thread->peer->lock);
	list_for_each_entry_reverse(t, &thread->peer->pending, pending_entry)
		if (t->server == thread->serial && !fastipc_txn_given_up(t))
			return true;
	return false;
}

/**
 * fastipc_server_of() - the thread serving call @id of @peer, counted.
 * @peer: the server's peer, its lock held.
 * @id: the call's ID (the innermost call of a chain sharing it).
 *
 * Return: the thread, or NULL when no thread holds the call (not taken
 * yet, answered, or its thread gone).
 */
struct fastipc_thread *fastipc_server_of(struct fastipc_peer *peer, u64 id)
{
	struct fastipc_thread *t;
	struct fastipc_txn *txn;
	unsigned long index;
	u64 serial = 0;

	lockdep_assert_held(&peer->lock);
	list_for_each_entry_reverse(txn, &peer->pending, pending_entry) {
		if (txn->id == id) {
			serial = txn->server;
			break;
		}
	}
	if (!serial)
		return NULL;
	xa_for_each(&peer->threads, index, t)
		if (t->serial == serial && !t->gone &&
		    kref_get_unless_zero(&t->kref))
			return t;
	return NULL;
}

static unsigned long fastipc_share_read(struct fastipc_peer *to,
					unsigned long sender)
{
	void *e = xa_load(&to->oneway_shares, sender);

	return e ? xa_to_value(e) : 0;
}

/* Add @count one-ways of @granules to a sender's share.  to->lock held. */
static int fastipc_share_add(struct fastipc_peer *to, unsigned long sender,
			     int count, long granules)
{
	unsigned long v = fastipc_share_read(to, sender);
	unsigned long n = (v & FASTIPC_SHARE_COUNT_MAX) + count;
	unsigned long g = (v >> FASTIPC_SHARE_COUNT_BITS) + granules;

	lockdep_assert_held(&to->lock);
	if (!n) {
		xa_erase(&to->oneway_shares, sender);
		return 0;
	}
	return xa_err(xa_store(&to->oneway_shares, sender,
			       xa_mk_value(n | g << FASTIPC_SHARE_COUNT_BITS),
			       GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN));
}

/*
 * Charge one-way @txn to the budget of @to (rule 8), or say why not.
 * to->lock held.
 */
static int fastipc_oneway_charge(struct fastipc_peer *to,
				 struct fastipc_txn *txn, u32 *reason)
{
	unsigned int max = min_t(unsigned int, READ_ONCE(fastipc_max_oneway),
				 FASTIPC_SHARE_COUNT_MAX);
	unsigned long sender = txn->from_peer->id;
	unsigned long v = fastipc_share_read(to, sender);
	size_t granules = 0;
	int ret;

	lockdep_assert_held(&to->lock);
	if (txn->msg.has_buf)
		granules = DIV_ROUND_UP(txn->msg.len, FASTIPC_AREA_GRANULE) +
			   DIV_ROUND_UP(sizeof(u32) * txn->msg.n_handles +
					sizeof(s32) * txn->msg.n_fds,
					FASTIPC_AREA_GRANULE);
	if (to->oneway_queued >= max) {
		*reason = FASTIPC_REASON_ONEWAY_BUDGET;
		return -ENOSPC;
	}
	if ((v & FASTIPC_SHARE_COUNT_MAX) >= DIV_ROUND_UP(max, 2) ||
	    (granules && (v >> FASTIPC_SHARE_COUNT_BITS) + granules >
	     to->area.size / FASTIPC_AREA_GRANULE / 4)) {
		*reason = FASTIPC_REASON_SENDER_SHARE;
		return -ENOSPC;
	}
	ret = fastipc_share_add(to, sender, 1, granules);
	if (ret)
		return ret;
	txn->share_granules = granules;
	to->oneway_queued++;
	return 0;
}

/**
 * fastipc_oneway_uncharge() - give back what fastipc_oneway_charge() took.
 * @to: the receiver, its lock held.
 * @txn: a one-way taken off its lists (read, or abandoned).
 */
void fastipc_oneway_uncharge(struct fastipc_peer *to, struct fastipc_txn *txn)
{
	lockdep_assert_held(&to->lock);
	to->oneway_queued--;
	/* Shrinking an entry, or erasing it, allocates nothing. */
	fastipc_share_add(to, txn->from_peer->id, -1, -(long)txn->share_granules);
}

/**
 * fastipc_oneway_recharge() - charge a one-way put back again (rule 9).
 * @to: the receiver, its lock held.
 * @txn: the one-way; it was within the budget when sent, so the budget
 *	may be exceeded for a moment.
 */
void fastipc_oneway_recharge(struct fastipc_peer *to, struct fastipc_txn *txn)
{
	lockdep_assert_held(&to->lock);
	if (to->dead)
		return;
	to->oneway_queued++;
	/* A failure only leaves the sender's share too small. */
	fastipc_share_add(to, txn->from_peer->id, 1, txn->share_granules);
}

/*
 * Deliver a numbered transaction; @chain: the ID of the transaction its
 * sender serves, or 0 (see fastipc_queue_txn()).
 */
static __always_inline int __fastipc_queue_txn(struct fastipc_txn *txn,
					       u64 chain, u32 *reason)
{
	struct fastipc_peer *to = txn->to;
	struct fastipc_node *node = txn->node;
	struct fastipc_thread *target;
	int ret;

	txn->work.type = FASTIPC_WORK_TXN;
	spin_lock(&to->lock);
	if (to->dead) {
		*reason = FASTIPC_REASON_DEAD_TARGET;
		ret = -EPIPE;
		goto refuse;
	}
	if (txn->oneway) {
		ret = fastipc_oneway_charge(to, txn, reason);
		if (ret)
			goto refuse;
		if (node->oneway_busy) {
			node->oneway_held++;
			list_add_tail(&txn->work.entry, &to->oneway_held);
			spin_unlock(&to->lock);
			return 0;
		}
		node->oneway_busy = true;
	} else if (chain) {
		/* Recursion: back to the thread waiting on that chain. */
		target = fastipc_waiter_of(to, chain, txn->from);
		if (target) {
			list_add_tail(&txn->work.entry, &target->todo);
			fastipc_wake_thread(target);
			spin_unlock(&to->lock);
			return 0;
		}
	}
	fastipc_dispatch(to, txn);
	return 0;

refuse:
	spin_unlock(&to->lock);
	return ret;
}

/**
 * fastipc_queue_txn() - number a transaction and deliver it to its target.
 * @thread: the sending thread.
 * @txn: a call or one-way, its message built for txn->to; the caller
 *	loses it on success.
 * @deadline: a call's deadline, or 0.
 * @reason: out: &enum fastipc_reason when refused.
 *
 * A call made while serving transaction txn->id (nested) goes to the
 * thread of the target blocked in a call of that ID, if any.
 *
 * Return: 0, or -EPIPE (target dead), -ENOSPC or -ENOMEM (one-way budget)
 * with @txn still the caller's (numbered, a call waited for).
 */
int fastipc_queue_txn(struct fastipc_thread *thread, struct fastipc_txn *txn,
		      ktime_t deadline, u32 *reason)
{
	bool nested = fastipc_txn_begin(thread, txn, deadline);

	return __fastipc_queue_txn(txn, nested ? txn->id : 0, reason);
}

/**
 * fastipc_queue_ring_txn() - deliver a call submitted through io_uring.
 * @thread: the submitting thread.
 * @txn: the call, numbered (fastipc_txn_new_id(): a ring call always has
 *	its own ID) and linked to its command (uring.c); the caller loses it
 *	on success.
 * @reason: out: &enum fastipc_reason when refused.
 *
 * A ring call made while @thread serves a transaction is nested as a
 * synchronous one is: it goes to the target's thread blocked in a call of
 * that transaction's chain, if any, which serves it under its own ID.
 *
 * Return: as fastipc_queue_txn().
 */
int fastipc_queue_ring_txn(struct fastipc_thread *thread,
			   struct fastipc_txn *txn, u32 *reason)
{
	u64 chain;

	spin_lock(&thread->peer->lock);
	chain = fastipc_served_id(thread);
	spin_unlock(&thread->peer->lock);
	return __fastipc_queue_txn(txn, chain, reason);
}

/**
 * fastipc_txn_new_id() - a new transaction ID, never a nested one.
 *
 * Return: the ID.
 */
u64 fastipc_txn_new_id(void)
{
	return atomic64_inc_return(&fastipc_next_id);
}

/**
 * fastipc_oneway_done() - the thread is back from the one-way it took.
 * @thread: the thread, in its own context (or released).
 *
 * The next one-way to the same node, if any, is queued (rule 8).
 */
void fastipc_oneway_done(struct fastipc_thread *thread)
{
	struct fastipc_node *node = thread->oneway_node;
	struct fastipc_peer *peer = thread->peer;
	struct fastipc_txn *txn = NULL, *t;

	if (!node)
		return;
	thread->oneway_node = NULL;
	spin_lock(&peer->lock);
	if (peer->dead) {
		/* The drain answers whatever waited (rule 6). */
		spin_unlock(&peer->lock);
		fastipc_node_put(node);
		return;
	}
	if (node->oneway_held) {
		list_for_each_entry(t, &peer->oneway_held, work.entry) {
			if (t->node == node) {
				txn = t;
				break;
			}
		}
	}
	if (txn) {
		node->oneway_held--;
		list_del_init(&txn->work.entry);
		fastipc_dispatch(peer, txn);
	} else {
		node->oneway_busy = false;
		spin_unlock(&peer->lock);
	}
	fastipc_node_put(node);
}

/**
 * fastipc_park_reply() - the reply to @thread's waiting call, if it came
 *	already, waits on the parked list: an inner call goes first (rule 7).
 * @thread: the thread, its peer's lock held.
 */
void fastipc_park_reply(struct fastipc_thread *thread)
{
	struct fastipc_txn *t;

	lockdep_assert_held(&thread->peer->lock);
	if (!thread->waiting)
		return;
	list_for_each_entry(t, &thread->todo, work.entry) {
		if (t == thread->waiting &&
		    t->work.type == FASTIPC_WORK_REPLY) {
			list_move_tail(&t->work.entry, &thread->parked);
			return;
		}
	}
}

/* @thread now waits for call @txn too (rule 7).  peer->lock held. */
static void fastipc_wait_push(struct fastipc_thread *thread,
			      struct fastipc_txn *txn, ktime_t deadline)
{
	lockdep_assert_held(&thread->peer->lock);
	if (unlikely(thread->waiting))
		fastipc_park_reply(thread);
	txn->outer = thread->waiting;
	txn->outer_deadline = thread->deadline;
	txn->depth = thread->waiting ? thread->wait_depth + 1 : 1;
	thread->wait_depth = txn->depth;
	thread->waiting = txn;
	thread->waiting_id = txn->id;
	thread->deadline = deadline;
}

/**
 * fastipc_txn_begin() - number a new transaction; a call is waited for.
 * @thread: the sending thread.
 * @txn: a call or one-way about to be queued.
 * @deadline: a call's deadline, or 0.
 *
 * A transaction sent while the thread serves one carries that one's ID
 * (nested); else it gets a new one.
 *
 * Return: whether it is nested.
 */
bool fastipc_txn_begin(struct fastipc_thread *thread, struct fastipc_txn *txn,
		       ktime_t deadline)
{
	struct fastipc_peer *peer = thread->peer;
	bool nested;

	spin_lock(&peer->lock);
	txn->id = fastipc_served_id(thread);
	nested = txn->id;
	if (!nested)
		txn->id = atomic64_inc_return(&fastipc_next_id);
	if (!txn->oneway)
		fastipc_wait_push(thread, txn, deadline);
	spin_unlock(&peer->lock);
	trace_fastipc_txn_sent(txn, thread);
	return nested;
}

/**
 * fastipc_queue_reply() - hand a finished call to its caller (rule 7).
 * @txn: the call, answered; dropped when nobody waits for it any more.
 */
void fastipc_queue_reply(struct fastipc_txn *txn)
{
	struct fastipc_thread *caller = txn->from;
	struct fastipc_peer *peer = caller->peer;

	if (unlikely(!txn->depth)) {	/* submitted through io_uring */
		fastipc_uring_reply(txn);
		return;
	}
	txn->work.type = FASTIPC_WORK_REPLY;
	spin_lock(&peer->lock);
	if (caller->waiting && !peer->dead &&
	    !(READ_ONCE(caller->task->flags) & PF_EXITING)) {
		if (caller->waiting == txn) {
			list_add_tail(&txn->work.entry, &caller->todo);
			fastipc_wake_thread(caller);
			spin_unlock(&peer->lock);
			return;
		}
		/* An outer call of the chain, still waited for: parked. */
		if (txn->id == caller->waiting_id &&
		    txn->depth < caller->wait_depth) {
			list_add_tail(&txn->work.entry, &caller->parked);
			spin_unlock(&peer->lock);
			return;
		}
	}
	/*
	 * Dropped.  A call is freed only once nobody waits for it (rule 7):
	 * a dead peer's or exiting task's chain is over.
	 */
	if (caller->waiting && (caller->waiting == txn || peer->dead ||
				(READ_ONCE(caller->task->flags) & PF_EXITING))) {
		caller->waiting = NULL;
		caller->wait_depth = 0;
	}
	if (txn->timed_out)
		peer->calls_unanswered--;
	spin_unlock(&peer->lock);
	fastipc_msg_discard(peer, &txn->msg);
	fastipc_txn_free(txn);
}

/**
 * fastipc_pending_claim() - take a pending call off the list to answer it.
 * @thread: the replying thread.
 * @id: the call's ID, or 0 for the latest call @thread took.
 *
 * Return: the call, now the caller's, or NULL.
 */
struct fastipc_txn *fastipc_pending_claim(struct fastipc_thread *thread,
					  u64 id)
{
	struct fastipc_peer *peer = thread->peer;
	struct fastipc_txn *t, *found = NULL;

	spin_lock(&peer->lock);
	list_for_each_entry_reverse(t, &peer->pending, pending_entry) {
		if (id ? t->id == id : t->server == thread->serial) {
			found = t;
			list_del_init(&t->pending_entry);
			break;
		}
	}
	spin_unlock(&peer->lock);
	return found;
}

/**
 * fastipc_pending_unlink() - take a call its reader took off the pending
 *	list, if it is still there.
 * @peer: the peer, its lock held.
 * @txn: the call, maybe answered and freed since: only compared until
 *	found.  Its memory may even hold another call by now (a caller's
 *	spare is reused at once), hence @taken.
 * @taken: &fastipc_txn.taken when the reader took it, unique per peer.
 *
 * Return: whether it was pending, and is now the caller's.
 */
bool fastipc_pending_unlink(struct fastipc_peer *peer, struct fastipc_txn *txn,
			    u64 taken)
{
	struct fastipc_txn *t;

	lockdep_assert_held(&peer->lock);
	list_for_each_entry_reverse(t, &peer->pending, pending_entry) {
		if (t == txn && t->taken == taken) {
			list_del_init(&t->pending_entry);
			return true;
		}
	}
	return false;
}

/**
 * fastipc_pending_unclaim() - a REPLY failed: the call is pending again.
 * @peer: the peer the call was made to.
 * @txn: the call, from fastipc_pending_claim().
 *
 * It goes back to its place (the order calls were taken in decides which
 * is a thread's latest), unless the peer died meanwhile: then it is
 * answered as the death would have.
 */
void fastipc_pending_unclaim(struct fastipc_peer *peer,
			     struct fastipc_txn *txn)
{
	struct fastipc_txn *t;
	bool dead;

	spin_lock(&peer->lock);
	dead = peer->dead;
	if (!dead) {
		list_for_each_entry_reverse(t, &peer->pending, pending_entry)
			if (t->taken < txn->taken)
				break;
		/* After @t, or first when the walk ended at the head. */
		list_add(&txn->pending_entry, &t->pending_entry);
	}
	spin_unlock(&peer->lock);
	if (dead)
		fastipc_txn_fail(txn, FASTIPC_RET_DEAD_REPLY,
				 FASTIPC_REASON_DEAD_TARGET, EPIPE);
}

/**
 * fastipc_work_abandon_list() - answer work nobody will read.
 * @peer: the peer the work was for.
 * @list: a private list of work taken off the peer's lists.
 *
 * Calls get DEAD_REPLY, everything else is dropped.  No lock held.
 */
void fastipc_work_abandon_list(struct fastipc_peer *peer,
			       struct list_head *list)
{
	struct fastipc_work *w, *tmp;
	struct fastipc_txn *txn;

	list_for_each_entry_safe(w, tmp, list, entry) {
		list_del_init(&w->entry);
		switch (w->type) {
		case FASTIPC_WORK_TXN:
			txn = container_of(w, struct fastipc_txn, work);
			fastipc_msg_discard(peer, &txn->msg);
			if (txn->oneway)
				fastipc_txn_free(txn);
			else
				fastipc_txn_fail(txn, FASTIPC_RET_DEAD_REPLY,
						 FASTIPC_REASON_DEAD_TARGET,
						 EPIPE);
			break;
		case FASTIPC_WORK_REPLY:
			txn = container_of(w, struct fastipc_txn, work);
			fastipc_msg_discard(peer, &txn->msg);
			fastipc_txn_free(txn);
			break;
		case FASTIPC_WORK_DEAD_NODE:
			/* Never on a private list: see rule 6. */
			WARN_ON_ONCE(1);
			break;
		case FASTIPC_WORK_NODE_RELEASED:
			fastipc_node_put(container_of(w, struct fastipc_node,
						      released_work));
			break;
		case FASTIPC_WORK_SIGNAL:
			/* The link's reference (signal.c, rule 3). */
			fastipc_node_put(fastipc_signal_work_node(w));
			break;
		}
	}
}

/**
 * fastipc_thread_unhand() - give back calls handed to @thread (rule 4).
 * @thread: the calling thread, about to return without reading them (a
 *	signal) or to leave.
 *
 * They go back to the head of the peer's list, in their order, for another
 * thread; the priority they lent is restored.  Nested calls of the
 * thread's own transaction stay.
 */
void fastipc_thread_unhand(struct fastipc_thread *thread)
{
	struct fastipc_peer *peer = thread->peer;
	struct fastipc_work *w, *tmp;
	struct fastipc_txn *txn;
	LIST_HEAD(dropped);
	bool moved = false;

	fastipc_thread_wait_handoff(thread);
	spin_lock(&peer->lock);
	list_for_each_entry_safe_reverse(w, tmp, &thread->todo, entry) {
		if (w->type != FASTIPC_WORK_TXN)
			continue;
		txn = container_of(w, struct fastipc_txn, work);
		if (!txn->handoff)
			continue;
		txn->handoff = false;
		list_move(&w->entry, peer->dead ? &dropped : &peer->todo);
		moved = true;
	}
	if (moved && !peer->dead)
		fastipc_wake_one(peer);
	spin_unlock(&peer->lock);
	fastipc_work_abandon_list(peer, &dropped);
	if (moved)
		fastipc_prio_withdraw(thread);
}

/*
 * Pop at most @max entries of the dead @peer's lists onto @batch (rule 6).
 * peer->lock held.  Return: entries moved.
 */
static int fastipc_drain_batch(struct fastipc_peer *peer,
			       struct list_head *batch, int max)
{
	struct fastipc_txn *txn, *tmp;
	struct fastipc_work *w;
	int n = 0;

	lockdep_assert_held(&peer->lock);
	while (n < max && (w = list_first_entry_or_null(&peer->todo,
							struct fastipc_work,
							entry))) {
		list_del_init(&w->entry);
		if (w->type == FASTIPC_WORK_DEAD_NODE)
			continue;	/* its request keeps it; stays QUEUED */
		if (w->type == FASTIPC_WORK_SIGNAL)
			fastipc_signal_drop(w);
		txn = container_of(w, struct fastipc_txn, work);
		if (w->type == FASTIPC_WORK_TXN && txn->oneway)
			fastipc_oneway_uncharge(peer, txn);
		list_add_tail(&w->entry, batch);
		n++;
	}
	list_for_each_entry_safe(txn, tmp, &peer->pending, pending_entry) {
		if (n >= max)
			break;
		list_del_init(&txn->pending_entry);
		list_add_tail(&txn->work.entry, batch);
		n++;
	}
	return n;
}

/**
 * fastipc_queue_drain() - answer all the work of a dead peer (rule 6).
 * @peer: the peer, dead.
 *
 * Context: process context, no lock held; reschedules.
 */
void fastipc_queue_drain(struct fastipc_peer *peer)
{
	struct fastipc_thread *t;
	unsigned long index;
	LIST_HEAD(batch);

	spin_lock(&peer->lock);
	xa_for_each(&peer->threads, index, t) {
		list_splice_tail_init(&t->todo, &peer->todo);
		list_splice_tail_init(&t->parked, &peer->todo);
		list_del_init(&t->idle_entry);
		t->waiting = NULL;
		t->wait_depth = 0;
		fastipc_thread_wake(t);
	}
	list_splice_tail_init(&peer->oneway_held, &peer->todo);
	wake_up_interruptible_all(&peer->poll_wait);
	spin_unlock(&peer->lock);

	for (;;) {
		spin_lock(&peer->lock);
		fastipc_drain_batch(peer, &batch, 64);
		spin_unlock(&peer->lock);
		if (list_empty(&batch))
			break;
		fastipc_work_abandon_list(peer, &batch);
		cond_resched();
	}
}

