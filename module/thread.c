// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - the threads of a peer.
 *
 * A thread is known to its peer from its first WRITE_READ (or poll) on.
 *
 * Rules:
 *  - peer->threads maps thread IDs to threads and holds one reference on
 *    each.  Only the thread itself adds its entry (fastipc_thread_get());
 *    the entry is removed, and the table's reference dropped, by
 *    fastipc_thread_exit() (LOOPER_EXIT, a fatal signal while in the
 *    ioctl, or a reaper finding the task gone) or by the peer's release.
 *  - Lookups run under RCU and take a reference with
 *    kref_get_unless_zero(); threads are freed after a grace period.  A
 *    looked-up thread's task is only touched once that reference is held
 *    (the thread's reference on the task keeps it alive, RCU does not).
 *  - peer->thread_hint names a thread in the table, so that a thread
 *    calling again finds itself without walking the table.  Only the
 *    thread it names stores it, from fastipc_thread_get(), while the
 *    thread is in an ioctl of the peer: then nobody else can take it out
 *    of the table (the reaper takes only threads whose task is exiting or
 *    whose ID was reused, the release runs when no ioctl does).  Whoever
 *    takes a thread out clears the hint if it still names that thread,
 *    before dropping the table's reference: a hint read under RCU points
 *    at a thread that is not yet freed, and the thread whose task is
 *    current is still in the table.
 *  - fastipc_thread_exit() runs once per thread (@gone, under peer->lock)
 *    and may race the thread's senders and its peer's death: what it
 *    leaves behind is given back through queue.c, which checks the peer's
 *    death under the same lock.
 *  - Every walk of the table drops RCU and reschedules between entries:
 *    the table is as long as the process has threads.
 */
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "internal.h"
#include "trace.h"

static atomic64_t fastipc_next_serial = ATOMIC64_INIT(0);

/*
 * The next thread of @peer, from *@index on, counted, or NULL.  The walk
 * holds nothing between two calls.
 */
static struct fastipc_thread *fastipc_thread_next(struct fastipc_peer *peer,
						  unsigned long *index)
{
	struct fastipc_thread *t;

	rcu_read_lock();
	for (;;) {
		t = xa_find(&peer->threads, index, ULONG_MAX, XA_PRESENT);
		if (!t || kref_get_unless_zero(&t->kref))
			break;
		(*index)++;
	}
	rcu_read_unlock();
	return t;
}

/* The task of @t exited, or its thread ID is the caller's now. */
static bool fastipc_thread_is_stale(struct fastipc_thread *t)
{
	if (t->task == current)
		return false;
	return t->pid == task_pid_nr(current) ||
	       (READ_ONCE(t->task->flags) & PF_EXITING);
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
	unsigned long index = 0;

	while ((t = fastipc_thread_next(peer, &index))) {
		/* Counted: t->task is held by t and safe to look at. */
		if (fastipc_thread_is_stale(t))
			fastipc_thread_exit(t);
		fastipc_thread_put(t);
		index++;
		cond_resched();
	}
}

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
	thread = rcu_dereference(peer->thread_hint);
	if (likely(thread && thread->task == current &&
		   kref_get_unless_zero(&thread->kref))) {
		rcu_read_unlock();
		return thread;
	}
	thread = xa_load(&peer->threads, pid);
	if (thread && (thread->task != current ||
		       !kref_get_unless_zero(&thread->kref)))
		thread = NULL;
	rcu_read_unlock();
	if (thread) {
		rcu_assign_pointer(peer->thread_hint, thread);
		return thread;
	}

	/* A new thread: first forget the ones that died without a word. */
	fastipc_threads_reap(peer);

	thread = kzalloc(sizeof(*thread), FASTIPC_GFP);
	if (!thread)
		return ERR_PTR(-ENOMEM);
	kref_init(&thread->kref);
	thread->peer = peer;
	thread->serial = atomic64_inc_return(&fastipc_next_serial);
	thread->pid = pid;
	thread->task = get_task_struct(current);
	INIT_LIST_HEAD(&thread->todo);
	INIT_LIST_HEAD(&thread->parked);
	INIT_LIST_HEAD(&thread->idle_entry);
	init_waitqueue_head(&thread->handoff_wait);
	mutex_init(&thread->prio_mutex);

	if (READ_ONCE(peer->dead)) {
		/* A hint: a thread added after the death is released too. */
		put_task_struct(thread->task);
		kfree(thread);
		return ERR_PTR(-EPIPE);
	}
	old = xa_cmpxchg(&peer->threads, pid, NULL, thread, FASTIPC_GFP);
	if (xa_is_err(old) || old) {
		/* Only the thread itself creates its entry: old cannot be. */
		put_task_struct(thread->task);
		kfree(thread);
		return ERR_PTR(xa_is_err(old) ? xa_err(old) : -EBUSY);
	}
	kref_get(&thread->kref);	/* the table's reference */
	fastipc_stat_inc(FASTIPC_STAT_THREADS);
	rcu_assign_pointer(peer->thread_hint, thread);
	trace_fastipc_thread_created(thread);
	return thread;
}

/*
 * Take @t out of its peer's table and drop the table's reference, unless
 * someone else did.  The hint goes first: see the rules above.
 */
static void fastipc_thread_unlist(struct fastipc_thread *t)
{
	struct fastipc_peer *peer = t->peer;

	if (xa_cmpxchg(&peer->threads, t->pid, t, NULL, 0) != t)
		return;
	/*
	 * Only @t stores @t, and not now: another thread's store in between
	 * turns this into a miss of its next lookup, never a stale hint.
	 */
	if (rcu_access_pointer(peer->thread_hint) == t)
		RCU_INIT_POINTER(peer->thread_hint, NULL);
	fastipc_thread_put(t);
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

/**
 * fastipc_thread_exit() - a thread leaves the peer.
 * @thread: the calling thread (LOOPER_EXIT, or a fatal signal while in the
 *	ioctl), or a thread that exited without saying so (reaper).
 *
 * Its own queued work is answered as if it had died, calls handed to it go
 * back to the peer, the call it waits for is dropped when answered; the
 * transactions it was serving stay pending and any other thread of the
 * peer may answer them.  Only the first of concurrent callers does the
 * work.
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
	fastipc_oneway_done(thread);
	spin_lock(&peer->lock);
	list_splice_init(&thread->todo, &left);
	list_splice_init(&thread->parked, &left);
	list_del_init(&thread->idle_entry);
	thread->waiting = NULL;
	thread->wait_depth = 0;
	if (thread->looper) {
		thread->looper = false;
		peer->loopers--;
	}
	spin_unlock(&peer->lock);
	fastipc_work_abandon_list(peer, &left);
	trace_fastipc_thread_exited(thread);
	fastipc_prio_restore(thread);
	fastipc_thread_unlist(thread);
}

/**
 * fastipc_threads_release() - forget every thread of a released peer.
 * @peer: the peer, dead; no ioctl of it runs any more.
 *
 * Senders that were raising a thread before the peer died are waited for:
 * after that the priority fields are ours to restore.
 */
void fastipc_threads_release(struct fastipc_peer *peer)
{
	struct fastipc_thread *t;
	unsigned long index = 0;

	while ((t = fastipc_thread_next(peer, &index))) {
		fastipc_thread_wait_handoff(t);
		fastipc_oneway_done(t);
		fastipc_prio_restore(t);
		fastipc_thread_unlist(t);
		fastipc_thread_put(t);
		index++;
		cond_resched();
	}
}
