// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - handles: a peer's references to nodes, and death requests.
 *
 * Rules:
 *  - peer->refs maps handle numbers to &struct fastipc_ref; it and every
 *    ref's count change under peer->refs_lock (a mutex).  Lookups that
 *    only need the node run under the xarray's lock and take a node
 *    reference before it is dropped.
 *  - A ref holds one reference on its node and sits on node->refs (under
 *    node->lock) from creation to fastipc_ref_free(); it is freed with
 *    refs_lock held, so anything that found it under refs_lock may use it
 *    until it drops the mutex.  Nothing else keeps a pointer to a ref.
 *  - A death request is a &struct fastipc_death of its own, allocated by
 *    REQUEST_DEATH (one per ref at most, so bounded by max_handles): most
 *    handles are never watched and do not pay for one.  ref->death is set
 *    and cleared under refs_lock and node->lock.  The notice, when queued,
 *    is linked to the holder's todo list; it is unlinked under the
 *    holder's peer->lock before the request is freed (CLEAR_DEATH, or with
 *    its ref), so a reader that found it on the list under peer->lock may
 *    use it until it drops that lock.
 *  - A request moves REQUESTED (node->lock) -> QUEUED (when the owner
 *    dies; node->lock + holder's peer->lock) -> DELIVERED (read, holder's
 *    peer->lock).  A notice is queued at most once, so it is delivered
 *    exactly once.
 *  - A handle's count is bounded by max_handle_refs, a peer's handles by
 *    max_handles: both are user-controlled lengths, so every walk of them
 *    reschedules.
 */
#include <linux/slab.h>

#include "internal.h"
#include "trace.h"

static struct kmem_cache *fastipc_ref_cache;

/* The peer's reference to @node, or NULL.  node->lock held. */
static struct fastipc_ref *fastipc_node_ref_of(struct fastipc_node *node,
					       struct fastipc_peer *peer)
{
	struct fastipc_ref *ref;

	lockdep_assert_held(&node->lock);
	hlist_for_each_entry(ref, &node->refs, node_entry)
		if (ref->peer == peer)
			return ref;
	return NULL;
}

/* One more count on @ref, within max_handle_refs.  refs_lock held. */
static int fastipc_ref_inc(struct fastipc_ref *ref)
{
	lockdep_assert_held(&ref->peer->refs_lock);
	if (ref->count >= READ_ONCE(fastipc_max_handle_refs))
		return -EOVERFLOW;
	ref->count++;
	trace_fastipc_handle_acquired(ref);
	return 0;
}

/**
 * fastipc_handle_take() - give @peer one reference on @node.
 * @peer: the receiving peer.
 * @node: the node (the caller holds a reference of its own).
 * @handle: out: the peer's handle number for the node.
 *
 * A peer has one handle per node: an existing one gains a count, else the
 * lowest free number is taken.
 *
 * Return: 0, -ENOSPC past max_handles, -EOVERFLOW past max_handle_refs,
 * -ENOMEM, -EPIPE for a released peer.
 */
int fastipc_handle_take(struct fastipc_peer *peer, struct fastipc_node *node,
			u32 *handle)
{
	struct fastipc_ref *ref;
	u32 id;
	int ret;

	mutex_lock(&peer->refs_lock);
	if (peer->refs_closed) {
		ret = -EPIPE;
		goto out;
	}
	spin_lock(&node->lock);
	ref = fastipc_node_ref_of(node, peer);
	if (ref) {
		ret = fastipc_ref_inc(ref);
		*handle = ref->handle;
		spin_unlock(&node->lock);
		goto out;
	}
	spin_unlock(&node->lock);

	ret = -ENOSPC;
	if (peer->nr_handles >= READ_ONCE(fastipc_max_handles))
		goto out;
	ret = -ENOMEM;
	ref = kmem_cache_zalloc(fastipc_ref_cache, FASTIPC_GFP);
	if (!ref)
		goto out;
	ref->node = node;
	ref->peer = peer;
	ref->count = 1;
	ret = xa_alloc(&peer->refs, &id, ref, XA_LIMIT(1, U32_MAX - 1),
		       FASTIPC_GFP);
	if (ret) {
		kmem_cache_free(fastipc_ref_cache, ref);
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto out;
	}
	ref->handle = id;
	kref_get(&node->kref);
	spin_lock(&node->lock);
	hlist_add_head(&ref->node_entry, &node->refs);
	if (peer != node->owner)
		node->remote_refs++;
	spin_unlock(&node->lock);
	peer->nr_handles++;
	fastipc_stat_inc(FASTIPC_STAT_REFS);
	trace_fastipc_handle_acquired(ref);
	*handle = id;
out:
	mutex_unlock(&peer->refs_lock);
	return ret;
}

static struct fastipc_ref *fastipc_ref_lookup(struct fastipc_peer *peer,
					      u32 handle)
{
	lockdep_assert_held(&peer->refs_lock);
	return handle ? xa_load(&peer->refs, handle) : NULL;
}

int fastipc_handle_acquire(struct fastipc_peer *peer, u32 handle)
{
	struct fastipc_ref *ref;
	int ret = -ENOENT;

	mutex_lock(&peer->refs_lock);
	ref = fastipc_ref_lookup(peer, handle);
	if (ref)
		ret = fastipc_ref_inc(ref);
	mutex_unlock(&peer->refs_lock);
	return ret;
}

/* Tell the owner its node has no remote reference left.  node->lock held. */
static void fastipc_node_queue_released(struct fastipc_node *node)
{
	struct fastipc_peer *owner = node->owner;

	lockdep_assert_held(&node->lock);
	spin_lock(&owner->lock);
	if (!node->released_queued &&
	    fastipc_queue_peer_work(owner, &node->released_work)) {
		node->released_queued = true;
		/* Under owner->lock: nobody can take the work before this. */
		kref_get(&node->kref);	/* dropped when read or abandoned */
		trace_fastipc_node_released(node);
	}
	spin_unlock(&owner->lock);
}

/*
 * Unlink @ref's death request from the holder's todo list (if queued) and
 * free it.  refs_lock and node->lock held.
 */
static void fastipc_death_free(struct fastipc_ref *ref)
{
	struct fastipc_death *death = ref->death;
	struct fastipc_peer *peer = ref->peer;

	lockdep_assert_held(&peer->refs_lock);
	lockdep_assert_held(&ref->node->lock);
	spin_lock(&peer->lock);
	list_del(&death->work.entry);
	spin_unlock(&peer->lock);
	ref->death = NULL;
	kfree(death);
	fastipc_stat_dec(FASTIPC_STAT_DEATHS);
}

/* Free a reference whose count reached zero.  refs_lock held. */
static void fastipc_ref_free(struct fastipc_ref *ref)
{
	struct fastipc_peer *peer = ref->peer;
	struct fastipc_node *node = ref->node;

	lockdep_assert_held(&peer->refs_lock);
	xa_erase(&peer->refs, ref->handle);
	peer->nr_handles--;
	spin_lock(&node->lock);
	hlist_del(&ref->node_entry);
	if (peer != node->owner && !--node->remote_refs)
		fastipc_node_queue_released(node);
	if (ref->death)
		fastipc_death_free(ref);
	spin_unlock(&node->lock);
	fastipc_stat_dec(FASTIPC_STAT_REFS);
	kmem_cache_free(fastipc_ref_cache, ref);
	fastipc_node_put(node);
}

int fastipc_handle_release(struct fastipc_peer *peer, u32 handle)
{
	struct fastipc_ref *ref;
	int ret = -ENOENT;

	mutex_lock(&peer->refs_lock);
	ref = fastipc_ref_lookup(peer, handle);
	if (ref) {
		trace_fastipc_handle_released(ref);
		if (!--ref->count)
			fastipc_ref_free(ref);
		ret = 0;
	}
	mutex_unlock(&peer->refs_lock);
	return ret;
}

/**
 * fastipc_refs_release_all() - drop every reference @peer holds.
 * @peer: a peer being released; no reference may be added afterwards.
 *
 * Context: process context; reschedules (up to max_handles references).
 */
void fastipc_refs_release_all(struct fastipc_peer *peer)
{
	struct fastipc_ref *ref;
	unsigned long index;

	mutex_lock(&peer->refs_lock);
	peer->refs_closed = true;
	xa_for_each(&peer->refs, index, ref) {
		fastipc_ref_free(ref);
		cond_resched();
	}
	mutex_unlock(&peer->refs_lock);
}

/* Queue the death notice of @ref.  node->lock held. */
static void fastipc_death_queue(struct fastipc_ref *ref)
{
	struct fastipc_peer *peer = ref->peer;

	lockdep_assert_held(&ref->node->lock);
	spin_lock(&peer->lock);
	if (fastipc_queue_peer_work(peer, &ref->death->work)) {
		ref->death->state = FASTIPC_DEATH_QUEUED;
		trace_fastipc_death_queued(ref);
	}
	spin_unlock(&peer->lock);
}

/**
 * fastipc_death_queue_all() - the owner of @node died: queue its notices.
 * @node: the node, marked dead here.
 */
void fastipc_death_queue_all(struct fastipc_node *node)
{
	struct fastipc_ref *ref;

	spin_lock(&node->lock);
	node->dead = true;
	/* One ref per holding peer: as long as the list of open peers. */
	hlist_for_each_entry(ref, &node->refs, node_entry)
		if (ref->death && ref->death->state == FASTIPC_DEATH_REQUESTED)
			fastipc_death_queue(ref);
	spin_unlock(&node->lock);
}

int fastipc_death_request(struct fastipc_peer *peer, u32 handle, u64 cookie)
{
	struct fastipc_death *death;
	struct fastipc_ref *ref;
	struct fastipc_node *node;
	int ret;

	mutex_lock(&peer->refs_lock);
	ref = fastipc_ref_lookup(peer, handle);
	ret = -ENOENT;
	if (!ref)
		goto out;
	ret = -EBUSY;
	if (ref->death)
		goto out;
	ret = -ENOMEM;
	death = kmalloc(sizeof(*death), FASTIPC_GFP);
	if (!death)
		goto out;
	INIT_LIST_HEAD(&death->work.entry);
	death->work.type = FASTIPC_WORK_DEAD_NODE;
	death->state = FASTIPC_DEATH_REQUESTED;
	death->cookie = cookie;
	death->ref = ref;
	node = ref->node;
	spin_lock(&node->lock);
	ref->death = death;
	fastipc_stat_inc(FASTIPC_STAT_DEATHS);
	if (node->dead)
		fastipc_death_queue(ref);
	spin_unlock(&node->lock);
	ret = 0;
out:
	mutex_unlock(&peer->refs_lock);
	return ret;
}

int fastipc_death_clear(struct fastipc_peer *peer, u32 handle, u64 cookie)
{
	struct fastipc_ref *ref;
	struct fastipc_node *node;
	int ret = -ENOENT;

	mutex_lock(&peer->refs_lock);
	ref = fastipc_ref_lookup(peer, handle);
	if (!ref)
		goto out;
	node = ref->node;
	spin_lock(&node->lock);
	if (ref->death && ref->death->cookie == cookie) {
		fastipc_death_free(ref);
		ret = 0;
	}
	spin_unlock(&node->lock);
out:
	mutex_unlock(&peer->refs_lock);
	return ret;
}

/**
 * fastipc_death_untake() - put back a death notice its reader lost.
 * @peer: the holder.
 * @node: the dead node (the delivery's reference).
 * @cookie: the notice's cookie.
 *
 * The ref may have been released or its request cleared since it was
 * read: then there is nothing to put back.
 */
void fastipc_death_untake(struct fastipc_peer *peer, struct fastipc_node *node,
			  u64 cookie)
{
	struct fastipc_ref *ref;

	mutex_lock(&peer->refs_lock);
	spin_lock(&node->lock);
	ref = fastipc_node_ref_of(node, peer);
	if (ref && ref->death && ref->death->state == FASTIPC_DEATH_DELIVERED &&
	    ref->death->cookie == cookie) {
		spin_lock(&peer->lock);
		if (!peer->dead) {
			ref->death->state = FASTIPC_DEATH_QUEUED;
			list_add(&ref->death->work.entry, &peer->todo);
			fastipc_wake_one(peer);
		}
		spin_unlock(&peer->lock);
	}
	spin_unlock(&node->lock);
	mutex_unlock(&peer->refs_lock);
}

int fastipc_ref_cache_init(void)
{
	/* The size bench/handles.c reports (with the xarray's slot). */
	BUILD_BUG_ON(sizeof(struct fastipc_ref) > 48);
	fastipc_ref_cache = KMEM_CACHE(fastipc_ref, SLAB_ACCOUNT);
	return fastipc_ref_cache ? 0 : -ENOMEM;
}

void fastipc_ref_cache_exit(void)
{
	kmem_cache_destroy(fastipc_ref_cache);
}
