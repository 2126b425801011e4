// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - priority inheritance: the thread serving a call runs at the
 * caller's priority until it has answered.
 *
 * The caller's effective scheduling state (a nice value for SCHED_OTHER and
 * SCHED_BATCH, a priority for SCHED_FIFO and SCHED_RR) is taken when the
 * call is sent and stored in the transaction as what it lends.  The thread
 * that serves it is raised to that, never lowered:
 *
 *  - eagerly, by the sender, when an idle thread is handed the call: the
 *    thread is raised before it is woken, so it never runs the call at its
 *    own lower priority;
 *  - otherwise by the serving thread itself when it takes the call.
 *
 * A thread remembers its own state from before its first boost (its base)
 * and the state it was last given.  It goes back to its base when it no
 * longer serves a call whose caller waits for it: in its own context when
 * it has answered, before it waits for new work, when it leaves the
 * looper, and, for a thread still raised when the file is released, from
 * the release; and from the context of a caller that gives its call up
 * (cancelled, timed out: fastipc_prio_withdraw_call()), so that a handler
 * still running for nobody stops running at the caller's priority.  If its
 * state is not what fastipc gave it, someone changed it explicitly (the
 * thread itself or an administrator): that change is kept and nothing is
 * restored.
 *
 * Who touches a thread's priority fields: the thread itself, or whoever
 * holds its hand-off flag (queue.c, rule 4): a sender raising it before it
 * wakes, or a withdrawal.  A withdrawal takes the flag only from a thread
 * of a live peer that is not idle (an idle thread is woken to restore
 * itself), gone or already handed a call, and that serves no waited call,
 * all under the peer's lock: the thread then takes no work (and so raises
 * itself for none) until the flag is cleared.
 * Restores may still meet (the thread's own on its way out, a withdrawal):
 * thread->prio_mutex serialises them, and the second finds nothing to do.
 *
 * Lending is capped by what the serving thread could set itself: its
 * RLIMIT_RTPRIO and RLIMIT_NICE, unless it has CAP_SYS_NICE.  A real-time
 * priority is lent only to nodes created with %FASTIPC_NODE_INHERIT_RT,
 * otherwise a real-time caller lends nice -20.  SCHED_DEADLINE and
 * SCHED_IDLE are never lent, and a SCHED_DEADLINE thread is never touched.
 * A lent real-time policy carries SCHED_RESET_ON_FORK, so a child forked in
 * the handler does not inherit it.
 */
#include <linux/capability.h>
#include <linux/sched/prio.h>
#include <linux/sched/signal.h>
#include <uapi/linux/sched/types.h>

#include "internal.h"
#include "trace.h"

bool fastipc_inherit_priority = true;

static bool fastipc_rt_policy(u32 policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

static bool fastipc_fair_policy(u32 policy)
{
	return policy == SCHED_NORMAL || policy == SCHED_BATCH;
}

/* Order of strength: 0 for nothing, 1..40 for nice 19..-20, then RT. */
static int fastipc_prio_rank(const struct fastipc_prio *p)
{
	if (fastipc_rt_policy(p->policy))
		return 40 + p->prio;
	if (fastipc_fair_policy(p->policy))
		return 20 - p->prio;
	return 0;
}

static void fastipc_prio_read(struct task_struct *t, struct fastipc_prio *p)
{
	p->policy = READ_ONCE(t->policy);
	p->prio = fastipc_rt_policy(p->policy) ? READ_ONCE(t->rt_priority) :
		  task_nice(t);
	p->reset_on_fork = t->sched_reset_on_fork;
	p->valid = true;
}

static bool fastipc_prio_same(const struct fastipc_prio *a,
			      const struct fastipc_prio *b)
{
	return a->policy == b->policy && a->prio == b->prio;
}

/**
 * fastipc_prio_lend() - what a transaction lends to the thread serving it.
 * @node: the target node.
 * @oneway: one-way messages lend nothing but the node's minimum.
 * @lend: result; @lend->valid is false when nothing is lent.
 *
 * Context: the sender's own context.
 */
void fastipc_prio_lend(const struct fastipc_node *node, bool oneway,
		       struct fastipc_prio *lend)
{
	struct fastipc_prio cur;

	memset(lend, 0, sizeof(*lend));
	if (!oneway && READ_ONCE(fastipc_inherit_priority)) {
		fastipc_prio_read(current, &cur);
		if (fastipc_rt_policy(cur.policy)) {
			if (node->flags & FASTIPC_NODE_INHERIT_RT) {
				lend->policy = cur.policy;
				lend->prio = cur.prio;
			} else {
				lend->policy = SCHED_NORMAL;
				lend->prio = MIN_NICE;
			}
			lend->valid = true;
		} else if (fastipc_fair_policy(cur.policy)) {
			lend->policy = SCHED_NORMAL;
			lend->prio = cur.prio;
			lend->valid = true;
		}
	}
	if (node->flags & FASTIPC_NODE_MIN_PRIO &&
	    (!lend->valid ||
	     fastipc_prio_rank(&node->min_prio) > fastipc_prio_rank(lend))) {
		*lend = node->min_prio;
		lend->valid = true;
	}
	/* A lent real-time policy never survives a fork. */
	lend->reset_on_fork = fastipc_rt_policy(lend->policy);
}

/**
 * fastipc_prio_higher() - would @lend raise @thread?  Uncapped, cheap.
 * @thread: a thread of the receiving peer.
 * @lend: from fastipc_prio_lend().
 *
 * Context: any; reads the task's state without locks.
 */
bool fastipc_prio_higher(struct fastipc_thread *thread,
			 const struct fastipc_prio *lend)
{
	struct fastipc_prio cur;

	if (!lend->valid)
		return false;
	fastipc_prio_read(thread->task, &cur);
	return cur.policy != SCHED_DEADLINE &&
	       fastipc_prio_rank(lend) > fastipc_prio_rank(&cur);
}

/* Cap @want to what @t could set itself. */
static void fastipc_prio_cap(struct task_struct *t, struct fastipc_prio *want)
{
	unsigned long rlim;
	int min_nice;

	if (has_capability_noaudit(t, CAP_SYS_NICE))
		return;
	if (fastipc_rt_policy(want->policy)) {
		rlim = task_rlimit(t, RLIMIT_RTPRIO);
		if (rlim) {
			want->prio = min_t(unsigned long, want->prio, rlim);
			return;
		}
		want->policy = SCHED_NORMAL;
		want->prio = MIN_NICE;
		want->reset_on_fork = false;
	}
	/* As can_nice(): nice n needs RLIMIT_NICE >= 20 - n. */
	rlim = min_t(unsigned long, task_rlimit(t, RLIMIT_NICE), 40);
	min_nice = clamp_t(int, 20 - (int)rlim, MIN_NICE, MAX_NICE);
	want->prio = max(want->prio, min_nice);
}

static int fastipc_prio_apply(struct task_struct *t,
			      const struct fastipc_prio *p)
{
	struct sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = p->policy,
		.sched_flags = p->reset_on_fork ? SCHED_FLAG_RESET_ON_FORK : 0,
	};

	/* Same fair policy: only the nice value moves. */
	if (fastipc_fair_policy(p->policy) && READ_ONCE(t->policy) == p->policy &&
	    t->sched_reset_on_fork == p->reset_on_fork) {
		set_user_nice(t, p->prio);
		return 0;
	}
	if (fastipc_rt_policy(p->policy))
		attr.sched_priority = p->prio;
	else
		attr.sched_nice = p->prio;
	return sched_setattr_nocheck(t, &attr);
}

/**
 * fastipc_prio_boost() - raise @thread to what @lend lends, if higher.
 * @thread: the serving thread; the caller has exclusive use of its
 *	priority fields (it is the thread itself, or the thread is handed a
 *	call and waits until the sender clears @thread->handoff).
 * @lend: from fastipc_prio_lend().
 *
 * Context: process context, no spinlock held.
 */
void fastipc_prio_boost(struct fastipc_thread *thread,
			const struct fastipc_prio *lend)
{
	struct task_struct *t = thread->task;
	struct fastipc_prio cur, want;

	if (!lend->valid)
		return;
	fastipc_prio_read(t, &cur);
	/* The common case, nothing to raise, costs no capability check. */
	if (cur.policy == SCHED_DEADLINE ||
	    fastipc_prio_rank(lend) <= fastipc_prio_rank(&cur))
		return;
	want = *lend;
	fastipc_prio_cap(t, &want);
	if (fastipc_prio_rank(&want) <= fastipc_prio_rank(&cur))
		return;
	/* An explicit change since the last boost becomes the new base. */
	if (!thread->boosted || !fastipc_prio_same(&cur, &thread->prio_lent))
		thread->prio_base = cur;
	if (fastipc_prio_apply(t, &want))
		return;
	fastipc_prio_read(t, &thread->prio_lent);
	trace_fastipc_prio_lent(thread, &cur, &thread->prio_lent);
	if (!thread->boosted)
		fastipc_stat_inc(FASTIPC_STAT_BOOSTED);
	WRITE_ONCE(thread->boosted, true);
	atomic_long_inc(&fastipc_counters[FASTIPC_COUNT_BOOSTS]);
}

/**
 * fastipc_prio_restore() - put @thread back to its base priority.
 * @thread: the thread, in its own context, with its hand-off flag held,
 *	or with no fastipc call of it in progress (file release).
 *
 * Context: process context, no spinlock held; takes thread->prio_mutex.
 */
void fastipc_prio_restore(struct fastipc_thread *thread)
{
	struct task_struct *t = thread->task;
	struct fastipc_prio cur;

	if (!READ_ONCE(thread->boosted))
		return;
	mutex_lock(&thread->prio_mutex);
	if (!thread->boosted)
		goto out;
	WRITE_ONCE(thread->boosted, false);
	fastipc_stat_dec(FASTIPC_STAT_BOOSTED);
	fastipc_prio_read(t, &cur);
	if (!fastipc_prio_same(&cur, &thread->prio_lent) ||
	    t->sched_reset_on_fork != thread->prio_lent.reset_on_fork) {
		/* Changed explicitly while lent: that change wins. */
		trace_fastipc_prio_restored(thread, &cur, &cur);
		atomic_long_inc(&fastipc_counters[FASTIPC_COUNT_KEPT]);
		goto out;
	}
	if (!(t->flags & PF_EXITING))
		fastipc_prio_apply(t, &thread->prio_base);
	trace_fastipc_prio_restored(thread, &cur, &thread->prio_base);
	atomic_long_inc(&fastipc_counters[FASTIPC_COUNT_RESTORES]);
out:
	mutex_unlock(&thread->prio_mutex);
}

/**
 * fastipc_prio_withdraw() - back to its own priority, unless @thread still
 *	serves a call whose caller waits for it.
 * @thread: a thread (counted by the caller): the thread itself after it
 *	answered, or the server of a call its caller gave up.
 *
 * Takes the thread's hand-off flag for the restore, as the rules above
 * say; a thread asleep for work is woken instead, to restore itself before
 * it sleeps again (deliver.c).  Does nothing when the flag is held (its
 * holder, the thread's next look for work, or its exit restores it).
 *
 * Context: process context, no fastipc lock held.
 */
void fastipc_prio_withdraw(struct fastipc_thread *thread)
{
	struct fastipc_peer *peer = thread->peer;
	bool mine;

	if (!READ_ONCE(thread->boosted))
		return;
	spin_lock(&peer->lock);
	mine = !peer->dead && !thread->gone && !thread->handoff &&
	       !fastipc_serves_waited(thread);
	if (mine && !list_empty(&thread->idle_entry)) {
		/* Asleep for work: it restores itself when it looks again. */
		list_del_init(&thread->idle_entry);
		fastipc_thread_wake(thread);
		mine = false;
	}
	if (mine)
		thread->handoff = true;
	spin_unlock(&peer->lock);
	if (!mine)
		return;
	fastipc_prio_restore(thread);
	spin_lock(&peer->lock);
	thread->handoff = false;
	spin_unlock(&peer->lock);
	wake_up_all(&thread->handoff_wait);
}

/**
 * fastipc_prio_withdraw_call() - the caller of call @id gave it up: the
 *	thread serving it goes back to its own priority, unless it serves
 *	another call still waited for (fastipc_prio_withdraw()).
 * @to: the server's peer (counted by the caller).
 * @id: the call's ID; the caller marked it given up before
 *	(fastipc_txn_given_up()).
 *
 * Context: process context, no fastipc lock held.
 */
void fastipc_prio_withdraw_call(struct fastipc_peer *to, u64 id)
{
	struct fastipc_thread *t;

	spin_lock(&to->lock);
	t = fastipc_server_of(to, id);
	spin_unlock(&to->lock);
	if (!t)
		return;
	fastipc_prio_withdraw(t);
	fastipc_thread_put(t);
}

/**
 * fastipc_prio_check_min() - validate a node's minimum priority.
 * @arg: the NODE_CREATE argument.
 * @min: result.
 *
 * Return: 0, -EINVAL for a bad policy or priority, -EPERM for a real-time
 * minimum without CAP_SYS_NICE.
 */
int fastipc_prio_check_min(const struct fastipc_node_create *arg,
			   struct fastipc_prio *min)
{
	memset(min, 0, sizeof(*min));
	if (!(arg->flags & FASTIPC_NODE_MIN_PRIO))
		return arg->min_policy || arg->min_priority ? -EINVAL : 0;
	switch (arg->min_policy) {
	case SCHED_NORMAL:
		if (arg->min_priority < MIN_NICE || arg->min_priority > MAX_NICE)
			return -EINVAL;
		break;
	case SCHED_FIFO:
	case SCHED_RR:
		if (arg->min_priority < 1 ||
		    arg->min_priority > MAX_RT_PRIO - 1)
			return -EINVAL;
		if (!capable(CAP_SYS_NICE))
			return -EPERM;
		break;
	default:
		return -EINVAL;
	}
	min->policy = arg->min_policy;
	min->prio = arg->min_priority;
	min->valid = true;
	return 0;
}
