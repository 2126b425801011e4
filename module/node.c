// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - nodes, handles and their references, death notification,
 * the context manager and handle <-> fd conversion.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/slab.h>

#include "internal.h"

static DEFINE_SPINLOCK(fastipc_cm_lock);
static struct fastipc_node *fastipc_context_mgr;

int fastipc_node_create(struct fastipc_peer *peer,
			struct fastipc_node_create *arg)
{
	struct fastipc_node *node;
	struct fastipc_prio min;
	int ret;

	if (arg->flags & ~(FASTIPC_NODE_ACCEPT_FDS | FASTIPC_NODE_INHERIT_RT |
			   FASTIPC_NODE_MIN_PRIO) || arg->reserved)
		return -EINVAL;
	ret = fastipc_prio_check_min(arg, &min);
	if (ret)
		return ret;

	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		return -ENOMEM;
	kref_init(&node->kref);
	spin_lock_init(&node->lock);
	INIT_LIST_HEAD(&node->refs);
	node->cookie = arg->cookie;
	node->flags = arg->flags;
	node->min_prio = min;
	node->released_work.type = FASTIPC_WORK_NODE_RELEASED;
	INIT_LIST_HEAD(&node->released_work.entry);
	node->owner = peer;
	kref_get(&peer->kref);

	spin_lock(&peer->lock);
	if (peer->dead) {
		spin_unlock(&peer->lock);
		fastipc_peer_put(peer);
		kfree(node);
		return -EPIPE;
	}
	list_add_tail(&node->owner_entry, &peer->nodes);
	spin_unlock(&peer->lock);
	fastipc_stat_inc(FASTIPC_STAT_NODES);

	/* The creator's handle holds the initial reference. */
	ret = fastipc_handle_take(peer, node, &arg->handle);
	fastipc_node_put(node);
	return ret;
}

static void fastipc_node_free(struct kref *kref)
{
	struct fastipc_node *node = container_of(kref, struct fastipc_node,
						 kref);
	struct fastipc_peer *owner = node->owner;

	spin_lock(&owner->lock);
	list_del(&node->owner_entry);
	spin_unlock(&owner->lock);
	fastipc_stat_dec(FASTIPC_STAT_NODES);
	kfree(node);
	fastipc_peer_put(owner);
}

/**
 * fastipc_node_put() - drop a reference on a node.
 * @node: the node.
 *
 * Context: no spinlock held (the last put takes the owner's lock).
 */
void fastipc_node_put(struct fastipc_node *node)
{
	kref_put(&node->kref, fastipc_node_free);
}

/* The peer's reference to @node, or NULL.  Caller holds node->lock. */
static struct fastipc_ref *fastipc_node_ref_of(struct fastipc_node *node,
					       struct fastipc_peer *peer)
{
	struct fastipc_ref *ref;

	list_for_each_entry(ref, &node->refs, node_entry)
		if (ref->peer == peer)
			return ref;
	return NULL;
}

/**
 * fastipc_handle_node() - the node a handle of @peer names.
 * @peer: the peer.
 * @handle: its handle; 0 is the context manager.
 *
 * Return: a counted node, or NULL when the handle names nothing.
 */
struct fastipc_node *fastipc_handle_node(struct fastipc_peer *peer, u32 handle)
{
	struct fastipc_node *node = NULL;
	struct fastipc_ref *ref;

	if (!handle) {
		spin_lock(&fastipc_cm_lock);
		node = fastipc_context_mgr;
		if (node)
			kref_get(&node->kref);
		spin_unlock(&fastipc_cm_lock);
		return node;
	}
	xa_lock(&peer->refs);
	ref = xa_load(&peer->refs, handle);
	if (ref) {
		node = ref->node;
		kref_get(&node->kref);
	}
	xa_unlock(&peer->refs);
	return node;
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
 * Return: 0, -ENOSPC past the handle limit, -EPIPE for a released peer.
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
		ref->count++;
		*handle = ref->handle;
		spin_unlock(&node->lock);
		ret = 0;
		goto out;
	}
	spin_unlock(&node->lock);

	ret = -ENOSPC;
	if (peer->nr_handles >= fastipc_max_handles)
		goto out;
	ret = -ENOMEM;
	ref = kzalloc(sizeof(*ref), GFP_KERNEL);
	if (!ref)
		goto out;
	ref->node = node;
	ref->peer = peer;
	ref->count = 1;
	ref->death_work.type = FASTIPC_WORK_DEAD_NODE;
	INIT_LIST_HEAD(&ref->death_work.entry);
	ret = xa_alloc(&peer->refs, &id, ref, XA_LIMIT(1, U32_MAX - 1),
		       GFP_KERNEL);
	if (ret) {
		kfree(ref);
		goto out;
	}
	ref->handle = id;
	kref_get(&node->kref);
	spin_lock(&node->lock);
	list_add_tail(&ref->node_entry, &node->refs);
	if (peer != node->owner)
		node->remote_refs++;
	spin_unlock(&node->lock);
	peer->nr_handles++;
	fastipc_stat_inc(FASTIPC_STAT_REFS);
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
	if (ref && ref->count < U32_MAX) {
		ref->count++;
		ret = 0;
	}
	mutex_unlock(&peer->refs_lock);
	return ret;
}

/* Tell the owner its node has no remote reference left.  node->lock held. */
static void fastipc_node_queue_released(struct fastipc_node *node)
{
	struct fastipc_peer *owner = node->owner;

	spin_lock(&owner->lock);
	if (!owner->dead && !node->released_queued) {
		node->released_queued = true;
		kref_get(&node->kref);	/* dropped when read or dropped */
		list_add_tail(&node->released_work.entry, &owner->todo);
		fastipc_wake_one(owner);
	}
	spin_unlock(&owner->lock);
}

/* Free a reference whose count reached zero.  refs_lock held. */
static void fastipc_ref_free(struct fastipc_ref *ref)
{
	struct fastipc_peer *peer = ref->peer;
	struct fastipc_node *node = ref->node;

	xa_erase(&peer->refs, ref->handle);
	peer->nr_handles--;
	spin_lock(&node->lock);
	list_del(&ref->node_entry);
	if (peer != node->owner && !--node->remote_refs)
		fastipc_node_queue_released(node);
	if (ref->death != FASTIPC_DEATH_NONE) {
		spin_lock(&peer->lock);
		list_del_init(&ref->death_work.entry);
		spin_unlock(&peer->lock);
		fastipc_stat_dec(FASTIPC_STAT_DEATHS);
	}
	spin_unlock(&node->lock);
	fastipc_stat_dec(FASTIPC_STAT_REFS);
	kfree(ref);
	fastipc_node_put(node);
}

int fastipc_handle_release(struct fastipc_peer *peer, u32 handle)
{
	struct fastipc_ref *ref;
	int ret = -ENOENT;

	mutex_lock(&peer->refs_lock);
	ref = fastipc_ref_lookup(peer, handle);
	if (ref) {
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
 */
void fastipc_refs_release_all(struct fastipc_peer *peer)
{
	struct fastipc_ref *ref;
	unsigned long index;

	mutex_lock(&peer->refs_lock);
	peer->refs_closed = true;
	xa_for_each(&peer->refs, index, ref)
		fastipc_ref_free(ref);
	mutex_unlock(&peer->refs_lock);
}

/* Queue the death notice of @ref.  node->lock held. */
static void fastipc_death_queue(struct fastipc_ref *ref)
{
	struct fastipc_peer *peer = ref->peer;

	spin_lock(&peer->lock);
	if (!peer->dead) {
		ref->death = FASTIPC_DEATH_QUEUED;
		list_add_tail(&ref->death_work.entry, &peer->todo);
		fastipc_wake_one(peer);
	}
	spin_unlock(&peer->lock);
}

int fastipc_death_request(struct fastipc_peer *peer, u32 handle, u64 cookie)
{
	struct fastipc_ref *ref;
	struct fastipc_node *node;
	int ret = 0;

	mutex_lock(&peer->refs_lock);
	ref = fastipc_ref_lookup(peer, handle);
	if (!ref) {
		ret = -ENOENT;
		goto out;
	}
	node = ref->node;
	spin_lock(&node->lock);
	if (ref->death != FASTIPC_DEATH_NONE) {
		ret = -EBUSY;
	} else {
		ref->death = FASTIPC_DEATH_REQUESTED;
		ref->death_cookie = cookie;
		fastipc_stat_inc(FASTIPC_STAT_DEATHS);
		if (node->dead)
			fastipc_death_queue(ref);
	}
	spin_unlock(&node->lock);
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
	if (ref->death != FASTIPC_DEATH_NONE && ref->death_cookie == cookie) {
		spin_lock(&peer->lock);
		list_del_init(&ref->death_work.entry);
		ref->death = FASTIPC_DEATH_NONE;
		spin_unlock(&peer->lock);
		fastipc_stat_dec(FASTIPC_STAT_DEATHS);
		ret = 0;
	}
	spin_unlock(&node->lock);
out:
	mutex_unlock(&peer->refs_lock);
	return ret;
}

/**
 * fastipc_death_delivered() - the holder read the notice of @ref.
 * @ref: the reference; the holder's peer->lock is held.
 */
void fastipc_death_delivered(struct fastipc_ref *ref)
{
	lockdep_assert_held(&ref->peer->lock);
	ref->death = FASTIPC_DEATH_DELIVERED;
}

/* The next node of @owner not yet handled by fastipc_nodes_die(). */
static struct fastipc_node *fastipc_next_dying(struct fastipc_peer *owner)
{
	struct fastipc_node *node, *found = NULL;

	/* Handled nodes move to nodes_dead: each node is looked at once. */
	spin_lock(&owner->lock);
	while ((node = list_first_entry_or_null(&owner->nodes,
						struct fastipc_node,
						owner_entry))) {
		list_move_tail(&node->owner_entry, &owner->nodes_dead);
		if (node->death_done || !kref_get_unless_zero(&node->kref))
			continue;
		node->death_done = true;
		found = node;
		break;
	}
	spin_unlock(&owner->lock);
	return found;
}

/**
 * fastipc_nodes_die() - the owner of these nodes died: notify watchers.
 * @owner: the dead peer.
 */
void fastipc_nodes_die(struct fastipc_peer *owner)
{
	struct fastipc_node *node, *cm = NULL;
	struct fastipc_ref *ref;

	while ((node = fastipc_next_dying(owner))) {
		spin_lock(&node->lock);
		node->dead = true;
		list_for_each_entry(ref, &node->refs, node_entry)
			if (ref->death == FASTIPC_DEATH_REQUESTED)
				fastipc_death_queue(ref);
		spin_unlock(&node->lock);
		fastipc_node_put(node);
		cond_resched();
	}

	spin_lock(&fastipc_cm_lock);
	if (fastipc_context_mgr && fastipc_context_mgr->owner == owner) {
		cm = fastipc_context_mgr;
		fastipc_context_mgr = NULL;
	}
	spin_unlock(&fastipc_cm_lock);
	if (cm)
		fastipc_node_put(cm);
}

int fastipc_set_context_mgr(struct fastipc_peer *peer, u32 handle)
{
	struct fastipc_node *node;
	int ret = 0;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	node = handle ? fastipc_handle_node(peer, handle) : NULL;
	if (!node)
		return -ENOENT;
	if (node->owner != peer) {
		fastipc_node_put(node);
		return -EPERM;
	}
	spin_lock(&fastipc_cm_lock);
	if (fastipc_context_mgr) {
		ret = -EBUSY;
	} else {
		fastipc_context_mgr = node;
		node = NULL;	/* the reference moved to the slot */
	}
	spin_unlock(&fastipc_cm_lock);
	if (node)
		fastipc_node_put(node);
	/* The owner may have died meanwhile: then nobody else clears it. */
	if (!ret && READ_ONCE(peer->dead))
		fastipc_nodes_die(peer);
	return ret;
}

static int fastipc_export_release(struct inode *inode, struct file *file)
{
	fastipc_node_put(file->private_data);
	fastipc_stat_dec(FASTIPC_STAT_EXPORTS);
	return 0;
}

static const struct file_operations fastipc_export_fops = {
	.owner = THIS_MODULE,
	.release = fastipc_export_release,
};

bool fastipc_is_own_file(struct file *file)
{
	return file->f_op == &fastipc_fops || file->f_op == &fastipc_export_fops;
}

/**
 * fastipc_handle_export() - open a file holding a reference on a node.
 * @peer: the peer.
 * @arg: the request; @arg->fd gets a reserved, not yet installed, number.
 * @filep: out: the file to install at @arg->fd once the answer is out.
 *
 * Return: 0 or -errno, with nothing reserved.
 */
int fastipc_handle_export(struct fastipc_peer *peer,
			  struct fastipc_handle_fd *arg, struct file **filep)
{
	struct fastipc_node *node;
	struct file *file;
	int fd;

	if (arg->flags || arg->reserved)
		return -EINVAL;
	node = arg->handle ? fastipc_handle_node(peer, arg->handle) : NULL;
	if (!node)
		return -ENOENT;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		fastipc_node_put(node);
		return fd;
	}
	file = anon_inode_getfile("[fastipc-handle]", &fastipc_export_fops,
				  node, O_RDONLY | O_CLOEXEC);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fastipc_node_put(node);
		return PTR_ERR(file);
	}
	fastipc_stat_inc(FASTIPC_STAT_EXPORTS);
	arg->fd = fd;
	*filep = file;
	return 0;
}

int fastipc_handle_import(struct fastipc_peer *peer,
			  struct fastipc_handle_fd *arg)
{
	struct file *file;
	int ret;

	if (arg->flags || arg->reserved)
		return -EINVAL;
	file = fget(arg->fd);
	if (!file)
		return -EBADF;
	ret = -EINVAL;
	if (file->f_op == &fastipc_export_fops)
		ret = fastipc_handle_take(peer, file->private_data,
					  &arg->handle);
	fput(file);
	return ret;
}
