// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - file operations of /dev/fastipc: open, release, ioctl dispatch.
 */
#include <linux/kernel.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

static int fastipc_open(struct inode *inode, struct file *file)
{
	struct fastipc_peer *peer;

	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer)
		return -ENOMEM;
	peer->mm = current->mm;
	mmgrab(peer->mm);
	peer->tgid = current->tgid;
	file->private_data = peer;
	return stream_open(inode, file);
}

static int fastipc_release(struct inode *inode, struct file *file)
{
	struct fastipc_peer *peer = file->private_data;

	mmdrop(peer->mm);
	kfree(peer);
	return 0;
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
	struct fastipc_version v = { .abi = FASTIPC_ABI_VERSION };

	fastipc_parse_version(&v);
	if (copy_to_user(arg, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static long fastipc_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct fastipc_peer *peer = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(cmd) != FASTIPC_IOC_MAGIC)
		return -ENOTTY;

	switch (cmd) {
	case FASTIPC_IOC_VERSION:
		return fastipc_ioctl_version(uarg);
	}

	/* Everything else acts on the peer: only its opener may. */
	if (current->mm != peer->mm)
		return -ECHILD;
	return -ENOTTY;
}

const struct file_operations fastipc_fops = {
	.owner = THIS_MODULE,
	.open = fastipc_open,
	.release = fastipc_release,
	.unlocked_ioctl = fastipc_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};
