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
 *    the lock: the abandon path pops entries one at a time (rule 6).
 *
 * 2. Accepting work.  Work is linked to a peer only under its lock and
 *    only while !peer->dead.  dead is set once, under the lock; from then
 *    on no list of the peer grows, so the drain of rule 6 ends.
 *
 * 3. Sleeping.  A thread sleeps for work only in fastipc_wait_work(),
 *    TASK_INTERRUPTIBLE on thread->wait, until: work on its own list (not
 *    while handed off), work on peer->todo (when it waits for no reply;
 *    it is then on peer->idle), its deadline, the peer's death, a close()
 *    by the owner (peer->flush_gen), or being taken off the idle list.
 *    Each of these is published under peer->lock and followed by a
 *    wake-up of thread->wait; the waiter re-reads its condition after
 *    queueing itself, so no wake-up is lost.  Wake-ups of thread->wait
 *    are TASK_NORMAL because of the uninterruptible wait of rule 4.
 *
 * 4. Hand-off.  A sender that finds an idle thread below the priority its
 *    call lends takes the thread off the idle list, sets thread->handoff
 *    and txn->handoff, links the call to thread->todo and drops the lock
 *    to raise the thread (that may sleep).  It holds a reference on the
 *    thread and one on the peer across it: once the lock is dropped the
 *    call may be freed by the peer's death, and the lock it retakes must
 *    still exist.  It ends by clearing thread->handoff under the lock and
 *    waking the thread.  Meanwhile the thread takes no work and leaves its
 *    priority fields alone: it waits, uninterruptibly and for the
 *    microseconds a priority change takes, in
 *    fastipc_thread_wait_handoff(), which reads the flag under the lock.
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
 *    the peer dead.
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
 *    stopped waiting for it), so its outer fields may be read then.
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
 */
#include <linux/sched/signal.h>

#include "internal.h"

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
		wake_up_sync(&t->wait);
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
	wake_up_sync(&thread->wait);
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
	wait_event(thread->wait, !fastipc_handoff_pending(thread));
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
	fastipc_wake_thread(thread);
	spin_unlock(&to->lock);
	fastipc_thread_put(thread);
	fastipc_peer_put(to);
}

/*
 * Give @txn to an idle thread (raised first when it lends more than the
 * thread has) or to the peer's list.  to->lock held, released on return.
 */
static void fastipc_dispatch(struct fastipc_peer *to, struct fastipc_txn *txn)
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
			       GFP_NOWAIT | __GFP_ACCOUNT));
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

/* Give back what fastipc_oneway_charge() took.  to->lock held. */
static void fastipc_oneway_uncharge(struct fastipc_peer *to,
				    struct fastipc_txn *txn)
{
	lockdep_assert_held(&to->lock);
	to->oneway_queued--;
	/* Shrinking an entry, or erasing it, allocates nothing. */
	fastipc_share_add(to, txn->from_peer->id, -1, -(long)txn->share_granules);
}

/**
 * fastipc_queue_txn() - deliver a transaction to its target peer.
 * @txn: a call or one-way, its message built for txn->to; the caller
 *	loses it on success.
 * @nested: a call made while serving transaction txn->id: it goes to the
 *	thread of the target blocked in a call of that ID, if any.
 * @reason: out: &enum fastipc_reason when refused.
 *
 * Return: 0, or -EPIPE (target dead), -ENOSPC or -ENOMEM (one-way budget)
 * with @txn still the caller's.
 */
int fastipc_queue_txn(struct fastipc_txn *txn, bool nested, u32 *reason)
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
	} else if (nested) {
		/* Recursion: back to the thread waiting on this ID. */
		target = fastipc_waiter_of(to, txn->id, txn->from);
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
 * fastipc_wait_push() - @thread now waits for call @txn too (rule 7).
 * @thread: the calling thread, its peer's lock held.
 * @txn: the call, made while waiting for nothing or from the handler of a
 *	nested transaction of the call it waits for.
 * @deadline: the call's deadline, or 0.
 */
void fastipc_wait_push(struct fastipc_thread *thread, struct fastipc_txn *txn,
		       ktime_t deadline)
{
	lockdep_assert_held(&thread->peer->lock);
	txn->outer = thread->waiting;
	txn->outer_deadline = thread->deadline;
	txn->depth = thread->waiting ? thread->wait_depth + 1 : 1;
	thread->wait_depth = txn->depth;
	thread->waiting = txn;
	thread->waiting_id = txn->id;
	thread->deadline = deadline;
}

/*
 * @thread stops waiting for its innermost call (answered or timed out):
 * the call before it is waited for again, and its reply, if it came
 * already, is next.  peer->lock held.
 */
static void fastipc_wait_pop(struct fastipc_thread *thread)
{
	struct fastipc_txn *txn = thread->waiting, *t;

	lockdep_assert_held(&thread->peer->lock);
	thread->waiting = txn->outer;
	thread->deadline = txn->outer_deadline;
	thread->wait_depth = txn->outer ? txn->depth - 1 : 0;
	if (!thread->waiting)
		return;
	list_for_each_entry(t, &thread->parked, work.entry) {
		if (t == thread->waiting) {
			list_move(&t->work.entry, &thread->todo);
			break;
		}
	}
}

/* Undo fastipc_wait_pop() of @txn: its record went back.  peer->lock held. */
static void fastipc_wait_unpop(struct fastipc_thread *thread,
			       struct fastipc_txn *txn, ktime_t deadline)
{
	struct fastipc_txn *t;

	lockdep_assert_held(&thread->peer->lock);
	if (thread->waiting) {
		list_for_each_entry(t, &thread->todo, work.entry) {
			if (t == thread->waiting &&
			    t->work.type == FASTIPC_WORK_REPLY) {
				list_move(&t->work.entry, &thread->parked);
				break;
			}
		}
	}
	thread->waiting = txn;
	thread->waiting_id = txn->id;
	thread->wait_depth = txn->depth;
	thread->deadline = deadline;
}

/**
 * fastipc_queue_reply() - hand a finished call to its caller (rule 7).
 * @txn: the call, answered; dropped when nobody waits for it any more.
 */
void fastipc_queue_reply(struct fastipc_txn *txn)
{
	struct fastipc_thread *caller = txn->from;
	struct fastipc_peer *peer = caller->peer;

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
		fastipc_prio_restore(thread);
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
			continue;	/* lives in its ref, stays QUEUED */
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
		wake_up_all(&t->wait);
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

/* Detach a transaction's message for delivery.  peer->lock held. */
static void fastipc_take_msg(struct fastipc_peer *peer,
			     struct fastipc_delivery *d,
			     struct fastipc_txn *txn)
{
	struct fastipc_msg *msg = &txn->msg;
	struct fastipc_ret *rec = &d->rec;

	rec->txn_id = txn->id;
	rec->code = txn->code;
	rec->data_len = msg->len;
	rec->n_handles = msg->n_handles;
	rec->n_fds = msg->n_fds;
	if (msg->is_inline) {
		rec->flags |= FASTIPC_RET_INLINE;
		memcpy(rec->inline_data, msg->inline_data, msg->len);
	} else {
		rec->offset = msg->offset;
		/* Nothing to write after the payload: FREE-able now. */
		if (msg->has_buf && !msg->n_handles && !msg->n_fds)
			fastipc_area_set_delivered(peer, msg->offset, true);
	}
	memcpy(&d->msg, msg, offsetof(struct fastipc_msg, inline_data));
	msg->nodes = NULL;
	msg->files = NULL;
	msg->has_buf = false;
}

/* Give a transaction its message back.  peer->lock held. */
static void fastipc_untake_msg(struct fastipc_peer *peer,
			       struct fastipc_delivery *d,
			       struct fastipc_txn *txn)
{
	if (d->msg.has_buf)
		fastipc_area_set_delivered(peer, d->msg.offset, false);
	memcpy(&txn->msg, &d->msg, offsetof(struct fastipc_msg, inline_data));
	d->msg.nodes = NULL;
	d->msg.files = NULL;
	d->msg.has_buf = false;
}

/* Fill @d from a transaction just taken off a list.  peer->lock held. */
static void fastipc_claim_txn(struct fastipc_thread *thread,
			      struct fastipc_txn *txn,
			      struct fastipc_delivery *d)
{
	struct fastipc_peer *peer = thread->peer;
	struct fastipc_ret *rec = &d->rec;

	rec->op = FASTIPC_RET_TRANSACTION;
	rec->cookie = txn->node->cookie;
	rec->sender_pid = pid_vnr(txn->from_peer->pid);
	rec->sender_euid = from_kuid_munged(current_user_ns(),
					    txn->from_peer->cred->euid);
	fastipc_take_msg(thread->peer, d, txn);
	if (!txn->handoff)
		d->lend = txn->lend;
	d->from_peer_list |= txn->handoff;
	txn->handoff = false;
	if (txn->oneway) {
		rec->flags |= FASTIPC_RET_ONEWAY;
		fastipc_oneway_uncharge(peer, txn);
		kref_get(&txn->node->kref);
		thread->oneway_node = txn->node;
		d->txn = txn;
	} else {
		/* From now on any thread of the peer may answer it. */
		txn->server = thread->serial;
		txn->taken = ++peer->pending_seq;
		list_add_tail(&txn->pending_entry, &peer->pending);
	}
	if (d->from_peer_list && thread->looper && list_empty(&peer->idle) &&
	    peer->loopers + peer->spawn_requested <
	    min(peer->max_threads, READ_ONCE(fastipc_max_threads))) {
		peer->spawn_requested++;
		d->spawn = true;
	}
}

/* Fill @d from work @w, just taken off a list.  peer->lock held. */
static void fastipc_claim(struct fastipc_thread *thread,
			  struct fastipc_work *w, struct fastipc_delivery *d)
{
	struct fastipc_ret *rec = &d->rec;
	struct fastipc_txn *txn;
	struct fastipc_node *node;
	struct fastipc_ref *ref;

	lockdep_assert_held(&thread->peer->lock);
	d->work = w;
	switch (w->type) {
	case FASTIPC_WORK_TXN:
		txn = container_of(w, struct fastipc_txn, work);
		fastipc_claim_txn(thread, txn, d);
		break;
	case FASTIPC_WORK_REPLY:
		txn = container_of(w, struct fastipc_txn, work);
		rec->op = txn->reply_op;
		rec->reason = txn->reason;
		fastipc_take_msg(thread->peer, d, txn);
		d->deadline = thread->deadline;
		fastipc_wait_pop(thread);
		d->txn = txn;
		break;
	case FASTIPC_WORK_DEAD_NODE:
		ref = container_of(w, struct fastipc_ref, death_work);
		rec->op = FASTIPC_RET_DEAD_NODE;
		rec->cookie = ref->death_cookie;
		ref->death = FASTIPC_DEATH_DELIVERED;
		/* To find the ref again if the record goes back. */
		d->node = ref->node;
		kref_get(&d->node->kref);
		break;
	case FASTIPC_WORK_NODE_RELEASED:
		node = container_of(w, struct fastipc_node, released_work);
		rec->op = FASTIPC_RET_NODE_RELEASED;
		rec->cookie = node->cookie;
		node->released_queued = false;
		d->node = node;	/* the queued work's reference */
		break;
	}
}

/* Put a NODE_RELEASED record back, unless it no longer holds. */
static void fastipc_released_untake(struct fastipc_peer *peer,
				    struct fastipc_delivery *d)
{
	struct fastipc_node *node = d->node;

	spin_lock(&node->lock);
	spin_lock(&peer->lock);
	if (!peer->dead && !node->released_queued && !node->remote_refs) {
		node->released_queued = true;
		list_add(&node->released_work.entry, &peer->todo);
		fastipc_wake_one(peer);
		d->node = NULL;	/* the reference goes back with the work */
	}
	spin_unlock(&peer->lock);
	spin_unlock(&node->lock);
}

/**
 * fastipc_work_untake() - put back work whose record could not be written.
 * @thread: the reading thread.
 * @d: the delivery, its handles already given back (rw.c).
 *
 * The work goes to the head of the list it came from with what taking it
 * changed undone (rule 9); if the peer died meanwhile it is abandoned.
 * What @d still holds afterwards is dropped by fastipc_finish().
 */
void fastipc_work_untake(struct fastipc_thread *thread,
			 struct fastipc_delivery *d)
{
	struct fastipc_peer *peer = thread->peer;
	struct fastipc_work *w = d->work;
	struct list_head *head = &thread->todo;
	struct fastipc_node *oneway_node = NULL;
	struct fastipc_txn *txn;
	bool restore = false;
	LIST_HEAD(dropped);

	if (!w)
		return;
	d->work = NULL;
	if (w->type == FASTIPC_WORK_DEAD_NODE) {
		fastipc_death_untake(peer, d->node, d->rec.cookie);
		return;
	}
	if (w->type == FASTIPC_WORK_NODE_RELEASED) {
		fastipc_released_untake(peer, d);
		return;
	}
	txn = container_of(w, struct fastipc_txn, work);
	spin_lock(&peer->lock);
	fastipc_untake_msg(peer, d, txn);
	d->txn = NULL;
	if (w->type == FASTIPC_WORK_REPLY) {
		fastipc_wait_unpop(thread, txn, d->deadline);
	} else {
		if (txn->oneway) {
			/* Charged before: over budget for a moment at most. */
			if (!peer->dead) {
				peer->oneway_queued++;
				fastipc_share_add(peer, txn->from_peer->id, 1,
						  txn->share_granules);
			}
			oneway_node = thread->oneway_node;
			thread->oneway_node = NULL;
		} else {
			list_del_init(&txn->pending_entry);
			txn->server = 0;
		}
		restore = thread->boosted && !fastipc_served_id(thread);
		if (d->spawn)
			peer->spawn_requested--;
		d->spawn = false;
		if (d->from_peer_list)
			head = &peer->todo;
	}
	if (peer->dead) {
		list_add(&w->entry, &dropped);
	} else {
		list_add(&w->entry, head);
		if (head == &peer->todo)
			fastipc_wake_one(peer);
	}
	spin_unlock(&peer->lock);
	fastipc_work_abandon_list(peer, &dropped);
	if (oneway_node)
		fastipc_node_put(oneway_node);	/* the node stays busy */
	if (restore)
		fastipc_prio_restore(thread);
}

/* The call @thread waits for passed its deadline.  peer->lock held. */
static bool fastipc_timed_out(struct fastipc_thread *thread)
{
	return thread->waiting && thread->deadline &&
	       ktime_compare(ktime_get(), thread->deadline) >= 0;
}

/* End the call of @thread with a time-out record.  peer->lock held. */
static void fastipc_time_out(struct fastipc_thread *thread,
			     struct fastipc_delivery *d)
{
	d->rec.op = FASTIPC_RET_FAILED_REPLY;
	d->rec.flags = FASTIPC_RET_INLINE;
	d->rec.txn_id = thread->waiting_id;
	d->rec.code = ETIMEDOUT;
	d->rec.reason = FASTIPC_REASON_TIMED_OUT;
	/* The reply, if it ever comes, finds nobody waiting: dropped. */
	fastipc_wait_pop(thread);
}

static bool fastipc_thread_has_work(struct fastipc_thread *thread)
{
	struct fastipc_peer *peer = thread->peer;

	/* Lockless hints, re-read under the lock before anything is taken. */
	return (!list_empty_careful(&thread->todo) &&
		!READ_ONCE(thread->handoff)) ||
	       (!READ_ONCE(thread->waiting) &&
		!list_empty_careful(&peer->todo)) ||
	       READ_ONCE(peer->dead);
}

/* What ends fastipc_wait_work(); lockless hints, see there. */
static bool fastipc_woken(struct fastipc_thread *thread, bool idle,
			  unsigned int gen)
{
	return fastipc_thread_has_work(thread) ||
	       (idle && list_empty_careful(&thread->idle_entry)) ||
	       READ_ONCE(thread->peer->flush_gen) != gen;
}

/*
 * Sleep until @thread has work, its deadline passes, a signal, or a close
 * by the owner (flush generation other than @gen).  A thread on the idle
 * list (@idle) also wakes up when a sender takes it off that list: the
 * work it was woken for may have gone to another thread, and it must then
 * put itself back on the list rather than sleep unseen.
 */
static int fastipc_wait_work(struct fastipc_thread *thread, bool idle,
			     unsigned int gen)
{
	ktime_t deadline = READ_ONCE(thread->deadline);
	int ret;

	if (!deadline || !READ_ONCE(thread->waiting))
		return wait_event_interruptible(thread->wait,
						fastipc_woken(thread, idle, gen));
	ret = wait_event_interruptible_hrtimeout(thread->wait,
						 fastipc_woken(thread, idle, gen),
						 ktime_sub(deadline, ktime_get()));
	return ret == -ETIME ? 0 : ret;
}

/**
 * fastipc_take_work() - take the next record of @thread into @d.
 * @thread: the reading thread, in its own ioctl.
 * @block: wait for work when there is none.
 * @d: the delivery to fill, cleared by the caller.
 *
 * Its own work comes first, then the peer's unless it waits for a reply.
 * A thread that serves nothing is back to its own priority before it
 * waits or returns empty-handed.  A fatal signal makes it leave the peer.
 *
 * Return: 1 with @d filled, 0 when there is none and @block is false, or
 * -errno: -EPIPE (peer dead), -EINTR (the owner closed a descriptor of the
 * peer), -ERESTARTSYS (signal).
 */
int fastipc_take_work(struct fastipc_thread *thread, bool block,
		      struct fastipc_delivery *d)
{
	struct fastipc_peer *peer = thread->peer;
	struct fastipc_work *w;
	unsigned int gen;
	bool peer_ok;
	int ret;

	spin_lock(&peer->lock);
	gen = peer->flush_gen;
	for (;;) {
		if (thread->handoff) {
			/* A sender is raising us before handing us a call. */
			spin_unlock(&peer->lock);
			fastipc_thread_wait_handoff(thread);
			spin_lock(&peer->lock);
			continue;
		}
		list_del_init(&thread->idle_entry);
		peer_ok = !thread->waiting;
		d->from_peer_list = false;
		w = list_first_entry_or_null(&thread->todo,
					     struct fastipc_work, entry);
		if (!w && peer_ok) {
			d->from_peer_list = true;
			w = list_first_entry_or_null(&peer->todo,
						     struct fastipc_work,
						     entry);
		}
		if (w) {
			list_del_init(&w->entry);
			fastipc_claim(thread, w, d);
			spin_unlock(&peer->lock);
			return 1;
		}
		if (fastipc_timed_out(thread)) {
			fastipc_time_out(thread, d);
			spin_unlock(&peer->lock);
			fastipc_count(FASTIPC_COUNT_TIMEOUTS);
			fastipc_failed_log_id(d->rec.txn_id, pid_nr(peer->pid),
					      0, d->rec.op, d->rec.reason,
					      ETIMEDOUT);
			return 1;
		}
		if (peer_ok && thread->boosted) {
			/* Back to our own priority before waiting or leaving. */
			spin_unlock(&peer->lock);
			fastipc_prio_restore(thread);
			spin_lock(&peer->lock);
			continue;
		}
		ret = peer->dead ? -EPIPE :
		      peer->flush_gen != gen ? -EINTR :
		      block ? 0 : -EAGAIN;
		if (ret) {
			spin_unlock(&peer->lock);
			return ret == -EAGAIN ? 0 : ret;
		}
		if (peer_ok)
			list_add(&thread->idle_entry, &peer->idle);
		spin_unlock(&peer->lock);

		ret = fastipc_wait_work(thread, peer_ok, gen);

		spin_lock(&peer->lock);
		if (ret) {
			list_del_init(&thread->idle_entry);
			spin_unlock(&peer->lock);
			fastipc_thread_unhand(thread);
			/* A killed thread never comes back: leave now. */
			if (fatal_signal_pending(current))
				fastipc_thread_exit(thread);
			return ret;
		}
	}
}
