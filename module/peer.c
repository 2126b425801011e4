// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - peers (one per open) and their threads; peer death.
 */
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "internal.h"

struct fastipc_peer *fastipc_peer_create(void)
{
	struct fastipc_peer *peer;

	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer)
		return NULL;
	kref_init(&peer->kref);
	spin_lock_init(&peer->lock);
	mutex_init(&peer->refs_lock);
	INIT_LIST_HEAD(&peer->todo);
	INIT_LIST_HEAD(&peer->idle);
	INIT_LIST_HEAD(&peer->pending);
	INIT_LIST_HEAD(&peer->nodes);
	INIT_LIST_HEAD(&peer->nodes_dead);
	peer->max_threads = UINT_MAX;	/* the module parameter rules */
	init_waitqueue_head(&peer->poll_wait);
	xa_init(&peer->threads);
	xa_init_flags(&peer->refs, XA_FLAGS_ALLOC1);
	peer->mm = current->mm;
	mmgrab(peer->mm);
	peer->pid = get_pid(task_tgid(current));
	peer->cred = get_current_cred();
	fastipc_stat_inc(FASTIPC_STAT_PEERS);
	fastipc_peer_list_add(peer);
	return peer;
}

static void fastipc_peer_free(struct kref *kref)
{
	struct fastipc_peer *peer = container_of(kref, struct fastipc_peer,
						 kref);

	fastipc_area_free(peer);
	xa_destroy(&peer->threads);
	xa_destroy(&peer->refs);
	mmdrop(peer->mm);
	put_pid(peer->pid);
	put_cred(peer->cred);
	fastipc_stat_dec(FASTIPC_STAT_PEERS);
	kfree(peer);
}

void fastipc_peer_put(struct fastipc_peer *peer)
{
	kref_put(&peer->kref, fastipc_peer_free);
}

static void fastipc_threads_reap(struct fastipc_peer *peer);

/**
 * fastipc_thread_get() - the calling thread's state in @peer.
 * @peer: the peer the caller acts on (the caller shares its mm).
 *
 * Context: process context, may sleep.
 * Return: a counted thread, or an ERR_PTR.
 */
struct fastipc_thread *fastipc_thread_get(struct fastipc_peer *peer)
{
	struct fastipc_thread *thread, *old;
	pid_t pid = task_pid_nr(current);

	rcu_read_lock();
	thread = xa_load(&peer->threads, pid);
	if (thread && (thread->task != current ||
		       !kref_get_unless_zero(&thread->kref)))
		thread = NULL;
	rcu_read_unlock();
	if (thread)
		return thread;

	/* A new thread: first forget the ones that died without a word. */
	fastipc_threads_reap(peer);

	thread = kzalloc(sizeof(*thread), GFP_KERNEL);
	if (!thread)
		return ERR_PTR(-ENOMEM);
	kref_init(&thread->kref);
	thread->peer = peer;
	thread->pid = pid;
	thread->task = get_task_struct(current);
	INIT_LIST_HEAD(&thread->todo);
	INIT_LIST_HEAD(&thread->idle_entry);
	init_waitqueue_head(&thread->wait);

	spin_lock(&peer->lock);
	if (peer->dead) {
		spin_unlock(&peer->lock);
		put_task_struct(thread->task);
		kfree(thread);
		return ERR_PTR(-EPIPE);
	}
	spin_unlock(&peer->lock);
	old = xa_cmpxchg(&peer->threads, pid, NULL, thread, GFP_KERNEL);
	if (xa_is_err(old) || old) {
		/* Only the thread itself creates its entry: old cannot be. */
		put_task_struct(thread->task);
		kfree(thread);
		return ERR_PTR(xa_is_err(old) ? xa_err(old) : -EBUSY);
	}
	kref_get(&thread->kref);	/* the table's reference */
	fastipc_stat_inc(FASTIPC_STAT_THREADS);
	return thread;
}

static void fastipc_thread_free(struct kref *kref)
{
	struct fastipc_thread *thread = container_of(kref,
						     struct fastipc_thread,
						     kref);

	if (thread->spare)
		fastipc_txn_free_spare(thread->spare);
	if (thread->boosted)
		fastipc_stat_dec(FASTIPC_STAT_BOOSTED);
	put_task_struct(thread->task);
	fastipc_stat_dec(FASTIPC_STAT_THREADS);
	/* fastipc_thread_get() and the reaper look threads up under RCU. */
	kfree_rcu(thread, rcu);
}

void fastipc_thread_put(struct fastipc_thread *thread)
{
	kref_put(&thread->kref, fastipc_thread_free);
}

/*
 * Take the work a dying thread or peer leaves behind off its list and
 * answer it: calls get DEAD_REPLY, everything else is dropped.  Called
 * with no lock held, on a private list.
 */
static void fastipc_work_abandon(struct fastipc_peer *peer,
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
			/* Embedded in the ref: freed with it. */
			break;
		case FASTIPC_WORK_NODE_RELEASED:
			fastipc_node_put(container_of(w, struct fastipc_node,
						      released_work));
			break;
		}
	}
}

/**
 * fastipc_thread_exit() - a thread leaves the peer.
 * @thread: the calling thread (LOOPER_EXIT), or a thread that exited
 *	without saying so (see fastipc_threads_reap()).
 *
 * Its own queued work is answered as if it had died; the transactions it
 * was serving stay pending, any other thread of the peer may answer them.
 * Only the first of concurrent callers does the work.
 */
void fastipc_thread_exit(struct fastipc_thread *thread)
{
	struct fastipc_peer *peer = thread->peer;
	LIST_HEAD(left);
	bool gone;

	spin_lock(&peer->lock);
	gone = thread->gone;
	thread->gone = true;
	spin_unlock(&peer->lock);
	if (gone)
		return;

	fastipc_thread_unhand(thread);
	spin_lock(&peer->lock);
	list_splice_init(&thread->todo, &left);
	list_del_init(&thread->idle_entry);
	thread->waiting = NULL;
	if (thread->looper) {
		thread->looper = false;
		peer->loopers--;
	}
	spin_unlock(&peer->lock);
	fastipc_work_abandon(peer, &left);
	fastipc_prio_restore(thread);
	if (xa_cmpxchg(&peer->threads, thread->pid, thread, NULL, 0) == thread)
		fastipc_thread_put(thread);
}

/*
 * Forget the threads of @peer whose task exited without LOOPER_EXIT (or
 * whose thread ID now belongs to the caller: their task is gone).  None of
 * them can be inside a fastipc call.  Called before a new thread is added,
 * so the table holds at most the live threads plus those that exited since.
 */
static void fastipc_threads_reap(struct fastipc_peer *peer)
{
	struct fastipc_thread *t;
	unsigned long index;

	/* Threads are freed after a grace period: safe to look at here. */
	rcu_read_lock();
	xa_for_each(&peer->threads, index, t) {
		if (t->task == current ||
		    (index != task_pid_nr(current) &&
		     !(READ_ONCE(t->task->flags) & PF_EXITING)))
			continue;
		if (!kref_get_unless_zero(&t->kref))
			continue;
		rcu_read_unlock();
		fastipc_thread_exit(t);
		fastipc_thread_put(t);
		rcu_read_lock();
	}
	rcu_read_unlock();
}

/**
 * fastipc_thread_unhand() - give back calls handed to @thread.
 * @thread: the calling thread, about to return without reading them (a
 *	signal) or to leave.
 *
 * Calls a sender put straight on the thread's list, because it was idle,
 * go back to the peer's list for another thread; the priority they lent is
 * restored.  Nested calls of the thread's own transaction stay.
 */
void fastipc_thread_unhand(struct fastipc_thread *thread)
{
	struct fastipc_peer *peer = thread->peer;
	struct fastipc_work *w, *tmp;
	struct fastipc_txn *txn;
	bool moved = false;

	/* A sender raising our priority finishes in a few microseconds. */
	wait_event(thread->wait, !READ_ONCE(thread->handoff));
	spin_lock(&peer->lock);
	list_for_each_entry_safe(w, tmp, &thread->todo, entry) {
		if (w->type != FASTIPC_WORK_TXN)
			continue;
		txn = container_of(w, struct fastipc_txn, work);
		if (!txn->handoff)
			continue;
		txn->handoff = false;
		list_move_tail(&w->entry, &peer->todo);
		moved = true;
	}
	if (moved)
		fastipc_wake_one(peer);
	spin_unlock(&peer->lock);
	if (moved)
		fastipc_prio_restore(thread);
}

/**
 * fastipc_wake_one() - wake one idle thread of @peer for peer work.
 * @peer: the peer, with its lock held.
 *
 * Pollers are checked without a barrier: fastipc_poll() joins the queue
 * before it takes the peer's lock to look at the work lists, and the work
 * was queued under that lock, so either the poller sees the work or we
 * see the poller.
 */
void fastipc_wake_one(struct fastipc_peer *peer)
{
	struct fastipc_thread *t;

	lockdep_assert_held(&peer->lock);
	t = list_first_entry_or_null(&peer->idle, struct fastipc_thread,
				     idle_entry);
	if (t) {
		list_del_init(&t->idle_entry);
		wake_up_interruptible_sync(&t->wait);
	} else if (waitqueue_active(&peer->poll_wait)) { /* under peer->lock */
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
	wake_up_interruptible_sync(&thread->wait);
	/* Under peer->lock, as in fastipc_wake_one(): no barrier needed. */
	if (waitqueue_active(&peer->poll_wait))
		wake_up_interruptible(&peer->poll_wait);
}

/**
 * fastipc_peer_die() - the owner of @peer is gone: fail its work.
 * @peer: the peer.
 *
 * Idempotent; called from the prompt death signals (flush from the
 * exiting owner, close of the receive area at exit or exec) and from
 * release.  Callers blocked on the peer's transactions get DEAD_REPLY,
 * holders of death requests on its nodes get DEAD_NODE, its own threads
 * stop waiting.
 */
void fastipc_peer_die(struct fastipc_peer *peer)
{
	struct fastipc_thread *thread;
	struct fastipc_txn *txn, *tmp;
	unsigned long index;
	LIST_HEAD(left);

	spin_lock(&peer->lock);
	if (peer->dead) {
		spin_unlock(&peer->lock);
		return;
	}
	peer->dead = true;
	list_splice_init(&peer->todo, &left);
	list_for_each_entry_safe(txn, tmp, &peer->pending, pending_entry) {
		list_del_init(&txn->pending_entry);
		list_add_tail(&txn->work.entry, &left);
	}
	xa_for_each(&peer->threads, index, thread) {
		list_splice_init(&thread->todo, &left);
		list_del_init(&thread->idle_entry);
		thread->waiting = NULL;
		wake_up_interruptible(&thread->wait);
	}
	wake_up_interruptible_all(&peer->poll_wait);
	spin_unlock(&peer->lock);

	fastipc_work_abandon(peer, &left);
	fastipc_nodes_die(peer);
}

/**
 * fastipc_peer_release() - last close of the file: tear the peer down.
 * @peer: the peer, dead already or about to be.
 */
void fastipc_peer_release(struct fastipc_peer *peer)
{
	struct fastipc_thread *thread;
	unsigned long index;

	fastipc_peer_die(peer);
	fastipc_refs_release_all(peer);
	xa_for_each(&peer->threads, index, thread) {
		/*
		 * No call of ours runs on a released file, and senders that
		 * were raising a thread before the peer died are done after
		 * this wait: the priority fields are ours.
		 */
		wait_event(thread->wait, !READ_ONCE(thread->handoff));
		fastipc_prio_restore(thread);
		xa_erase(&peer->threads, index);
		fastipc_thread_put(thread);
	}
	fastipc_peer_list_del(peer);
	fastipc_peer_put(peer);
}
