// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - nodes: creation, the owner's death, the context manager and
 * handle <-> fd conversion.  Handles and death requests are in ref.c.
 *
 * Rules:
 *  - A node lives while anything counts it: handles (ref.c), in-flight
 *    messages and transactions, a queued NODE_RELEASED, an exported file,
 *    the context manager slot.  It holds a reference on its owner peer.
 *  - It sits on owner->nodes, then owner->nodes_dead once its owner died,
 *    under owner->lock, until it is freed.  fastipc_nodes_die() handles
 *    each node once (death_done), a node at a time with the owner's lock
 *    dropped in between, and reschedules: an owner may have as many nodes
 *    as handles exist.
 *  - The context manager slot holds one counted node, under
 *    fastipc_cm_lock; it is emptied when its owner dies.
 *  - A node created with FASTIPC_NODE_ACCEPT_SIGNALS is the first member
 *    of a &struct fastipc_signal_node from fastipc_signal_node_cache, the
 *    others come from fastipc_node_cache (signal.c, rule 1); its flags,
 *    const, say which cache frees it.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/slab.h>

#include "internal.h"
#include "trace.h"

static DEFINE_SPINLOCK(fastipc_cm_lock);
static struct fastipc_node *fastipc_context_mgr;
static struct kmem_cache *fastipc_node_cache;
static struct kmem_cache *fastipc_signal_node_cache;

/* A zeroed node, with the notification bits its flags ask for. */
static struct fastipc_node *fastipc_node_alloc(u32 flags)
{
	struct fastipc_signal_node *sn;

	if (!(flags & FASTIPC_NODE_ACCEPT_SIGNALS))
		return kmem_cache_zalloc(fastipc_node_cache, FASTIPC_GFP);
	sn = kmem_cache_zalloc(fastipc_signal_node_cache, FASTIPC_GFP);
	if (!sn)
		return NULL;
	sn->signal.work.type = FASTIPC_WORK_SIGNAL;
	INIT_LIST_HEAD(&sn->signal.work.entry);
	return &sn->node;
}

static void fastipc_node_dealloc(struct fastipc_node *node)
{
	if (node->flags & FASTIPC_NODE_ACCEPT_SIGNALS)
		kmem_cache_free(fastipc_signal_node_cache,
				container_of(node, struct fastipc_signal_node,
					     node));
	else
		kmem_cache_free(fastipc_node_cache, node);
}

int fastipc_node_create(struct fastipc_peer *peer,
			struct fastipc_node_create *arg)
{
	struct fastipc_node *node;
	struct fastipc_prio min;
	int ret;

	if (arg->flags & ~(FASTIPC_NODE_ACCEPT_FDS | FASTIPC_NODE_INHERIT_RT |
			   FASTIPC_NODE_MIN_PRIO |
			   FASTIPC_NODE_ACCEPT_SIGNALS) || arg->reserved)
		return -EINVAL;
	ret = fastipc_prio_check_min(arg, &min);
	if (ret)
		return ret;

	node = fastipc_node_alloc(arg->flags);
	if (!node)
		return -ENOMEM;
	kref_init(&node->kref);
	spin_lock_init(&node->lock);
	INIT_HLIST_HEAD(&node->refs);
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
		fastipc_node_dealloc(node);
		return -EPIPE;
	}
	list_add_tail(&node->owner_entry, &peer->nodes);
	spin_unlock(&peer->lock);
	fastipc_stat_inc(FASTIPC_STAT_NODES);
	trace_fastipc_node_created(node);

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
	trace_fastipc_node_freed(node);
	fastipc_node_dealloc(node);
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

/* The context manager's node, handle 0, counted; or NULL. */
static struct fastipc_node *fastipc_context_mgr_get(void)
{
	struct fastipc_node *node;

	spin_lock(&fastipc_cm_lock);
	node = fastipc_context_mgr;
	if (node)
		kref_get(&node->kref);
	spin_unlock(&fastipc_cm_lock);
	return node;
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

	if (!handle)
		return fastipc_context_mgr_get();
	/* A handle's node, as ref.c keeps them: counted under xa_lock. */
	xa_lock(&peer->refs);
	ref = xa_load(&peer->refs, handle);
	if (ref) {
		node = ref->node;
		kref_get(&node->kref);
	}
	xa_unlock(&peer->refs);
	return node;
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

	while ((node = fastipc_next_dying(owner))) {
		fastipc_death_queue_all(node);
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

int fastipc_node_cache_init(void)
{
	/* The size bench/handles.c reports (lock debugging grows it). */
	BUILD_BUG_ON(sizeof(spinlock_t) == 4 &&
		     sizeof(struct fastipc_node) > 88);
	fastipc_node_cache = KMEM_CACHE(fastipc_node, SLAB_ACCOUNT);
	if (!fastipc_node_cache)
		return -ENOMEM;
	fastipc_signal_node_cache = KMEM_CACHE(fastipc_signal_node,
					       SLAB_ACCOUNT);
	if (!fastipc_signal_node_cache) {
		kmem_cache_destroy(fastipc_node_cache);
		return -ENOMEM;
	}
	return 0;
}

void fastipc_node_cache_exit(void)
{
	kmem_cache_destroy(fastipc_signal_node_cache);
	kmem_cache_destroy(fastipc_node_cache);
}
