// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - file operations of /dev/fastipc: open, flush, release, mmap,
 * poll and ioctl dispatch.
 */
#include <linux/file.h>
#include <linux/kernel.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>

#include "internal.h"

static int fastipc_open(struct inode *inode, struct file *file)
{
	struct fastipc_peer *peer;

	peer = fastipc_peer_create();
	if (!peer)
		return -ENOMEM;
	file->private_data = peer;
	return stream_open(inode, file);
}

/*
 * Every close() of a descriptor of the file lands here, also the implicit
 * ones at exit and exec: the prompt death signal when the opener goes
 * away while the file itself lives on in a child.  A plain close() by the
 * owner wakes its threads blocked in the read phase (EINTR): the
 * descriptor they wait on may be the one just closed.
 */
static int fastipc_flush(struct file *file, fl_owner_t id)
{
	struct fastipc_peer *peer = file->private_data;

	if (task_tgid(current) != peer->pid)
		return 0;
	if ((current->flags & PF_EXITING) || current->mm != peer->mm)
		fastipc_peer_die(peer);
	else
		fastipc_peer_flush(peer);
	return 0;
}

static int fastipc_release(struct inode *inode, struct file *file)
{
	fastipc_peer_release(file->private_data);
	return 0;
}

static int fastipc_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct fastipc_peer *peer = file->private_data;

	if (current->mm != peer->mm)
		return -ECHILD;
	return fastipc_area_mmap(peer, vma);
}

/* Split the module's "major.minor.patch" release into numbers. */
static void fastipc_parse_version(struct fastipc_version *v)
{
	unsigned int major = 0, minor = 0, patch = 0;

	if (sscanf(FASTIPC_VERSION, "%u.%u.%u", &major, &minor, &patch) != 3)
		return;
	v->major = major;
	v->minor = minor;
	v->patch = patch;
}

static long fastipc_ioctl_version(void __user *arg)
{
	struct fastipc_version v = {
		.abi = FASTIPC_ABI_VERSION,
		.features = FASTIPC_FEAT_CORE | FASTIPC_FEAT_POLL |
			    FASTIPC_FEAT_PRIO | FASTIPC_FEAT_DEADLINE |
			    FASTIPC_FEAT_MAX_THREADS | FASTIPC_FEAT_REASON |
			    FASTIPC_FEAT_URING | FASTIPC_FEAT_CANCEL |
			    FASTIPC_FEAT_URING_DEADLINE | FASTIPC_FEAT_SIGNAL,
	};

	fastipc_parse_version(&v);
	if (copy_to_user(arg, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static long fastipc_ioctl_node_create(struct fastipc_peer *peer,
				      void __user *arg)
{
	struct fastipc_node_create nc;
	int ret;

	if (copy_from_user(&nc, arg, sizeof(nc)))
		return -EFAULT;
	ret = fastipc_node_create(peer, &nc);
	if (ret)
		return ret;
	if (put_user(nc.handle, (u32 __user *)(arg +
			offsetof(struct fastipc_node_create, handle)))) {
		fastipc_handle_release(peer, nc.handle);
		return -EFAULT;
	}
	return 0;
}

static long fastipc_ioctl_handle_fd(struct fastipc_peer *peer,
				    unsigned int cmd, void __user *arg)
{
	struct fastipc_handle_fd hf;
	struct file *file = NULL;
	int ret;

	if (copy_from_user(&hf, arg, sizeof(hf)))
		return -EFAULT;
	if (cmd == FASTIPC_IOC_HANDLE_EXPORT)
		ret = fastipc_handle_export(peer, &hf, &file);
	else
		ret = fastipc_handle_import(peer, &hf);
	if (ret)
		return ret;
	if (copy_to_user(arg, &hf, sizeof(hf))) {
		/* Undo: the caller never learnt the fd or the handle. */
		if (file) {
			put_unused_fd(hf.fd);
			fput(file);
		} else {
			fastipc_handle_release(peer, hf.handle);
		}
		return -EFAULT;
	}
	if (file)
		fd_install(hf.fd, file);
	return 0;
}

/*
 * Readable when the calling thread has a record to read now.  Pollers sleep
 * on the peer's queue, never on a thread's: a thread may leave (LOOPER_EXIT)
 * while an epoll instance still watches the file.
 */
static __poll_t fastipc_poll(struct file *file, poll_table *wait)
{
	struct fastipc_peer *peer = file->private_data;
	struct fastipc_thread *thread;
	__poll_t mask = 0;

	if (current->mm != peer->mm)
		return EPOLLERR;
	thread = fastipc_thread_get(peer);
	if (IS_ERR(thread))
		return EPOLLERR | EPOLLHUP;
	poll_wait(file, &peer->poll_wait, wait);
	spin_lock(&peer->lock);
	if ((!list_empty(&thread->todo) && !thread->handoff) ||
	    (!thread->waiting && !list_empty(&peer->todo)))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (peer->dead)
		mask |= EPOLLERR | EPOLLHUP;
	spin_unlock(&peer->lock);
	fastipc_thread_put(thread);
	return mask;
}

static long fastipc_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct fastipc_peer *peer = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct fastipc_cancel cancel;
	u64 id;
	u32 val;

	if (_IOC_TYPE(cmd) != FASTIPC_IOC_MAGIC)
		return -ENOTTY;
	if (cmd == FASTIPC_IOC_VERSION)
		return fastipc_ioctl_version(uarg);

	/* Everything else acts on the peer: only its opener may. */
	if (current->mm != peer->mm)
		return -ECHILD;

	switch (cmd) {
	case FASTIPC_IOC_WRITE_READ:
		return fastipc_write_read(peer, file, uarg);
	case FASTIPC_IOC_NODE_CREATE:
		return fastipc_ioctl_node_create(peer, uarg);
	case FASTIPC_IOC_SET_CONTEXT_MGR:
		if (get_user(val, (u32 __user *)uarg))
			return -EFAULT;
		return fastipc_set_context_mgr(peer, val);
	case FASTIPC_IOC_HANDLE_EXPORT:
	case FASTIPC_IOC_HANDLE_IMPORT:
		return fastipc_ioctl_handle_fd(peer, cmd, uarg);
	case FASTIPC_IOC_SET_MAX_THREADS:
		if (get_user(val, (u32 __user *)uarg))
			return -EFAULT;
		spin_lock(&peer->lock);
		peer->max_threads = val;
		spin_unlock(&peer->lock);
		return 0;
	case FASTIPC_IOC_CANCEL:
		if (copy_from_user(&cancel, uarg, sizeof(cancel)))
			return -EFAULT;
		return fastipc_cancel(peer, &cancel);
	case FASTIPC_IOC_TXN_WAITED:
		if (get_user(id, (u64 __user *)uarg))
			return -EFAULT;
		return fastipc_txn_waited(peer, id);
	}
	return -ENOTTY;
}

const struct file_operations fastipc_fops = {
	.owner = THIS_MODULE,
	.open = fastipc_open,
	.flush = fastipc_flush,
	.release = fastipc_release,
	.mmap = fastipc_mmap,
	.poll = fastipc_poll,
	.unlocked_ioctl = fastipc_ioctl,
	.uring_cmd = fastipc_uring_cmd,
	.compat_ioctl = compat_ptr_ioctl,
};
