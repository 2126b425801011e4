/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastipc internal declarations shared by the module's objects.
 */
#ifndef _FASTIPC_INTERNAL_H
#define _FASTIPC_INTERNAL_H

#include <linux/fs.h>
#include <linux/mm_types.h>
#include <linux/sched.h>
#include <linux/fastipc.h>

/**
 * struct fastipc_peer - one open of /dev/fastipc.
 * @mm: address space of the process that opened the device; only that
 *      process may issue ioctls or map the receive area.
 * @tgid: thread group of the opener, for diagnostics.
 */
struct fastipc_peer {
	struct mm_struct *mm;
	pid_t tgid;
};

extern const struct file_operations fastipc_fops;

#endif /* _FASTIPC_INTERNAL_H */
