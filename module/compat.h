/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels fastipc builds on (Debian's 6.1 and 6.12
 * LTS), written against the newer API.  The FASTIPC_HAVE_* flags come from
 * conftest.sh, which probes the headers being built against; no file tests
 * the kernel version number.
 */
#ifndef _FASTIPC_COMPAT_H
#define _FASTIPC_COMPAT_H

#include <linux/file.h>
#include <linux/mm.h>

/* v6.3: vma->vm_flags became read-only, use vm_flags_set()/clear(). */
#ifndef FASTIPC_HAVE_VM_FLAGS_SET
static inline void vm_flags_set(struct vm_area_struct *vma, unsigned long flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma,
				  unsigned long flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/* v6.7: receive_fd() takes a user pointer to also store the number at. */
#ifdef FASTIPC_HAVE_RECEIVE_FD_UFD
#define fastipc_receive_fd(file, flags)	receive_fd((file), NULL, (flags))
#else
#define fastipc_receive_fd(file, flags)	receive_fd((file), (flags))
#endif

/*
 * v6.7: the io_uring command API moved to <linux/io_uring/cmd.h>; the
 * payload is read through the SQE (v6.5) instead of ioucmd->cmd.
 */
#ifdef FASTIPC_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>
#define fastipc_uring_payload(ioucmd)	io_uring_sqe_cmd((ioucmd)->sqe)
#else
#include <linux/io_uring.h>
#define fastipc_uring_payload(ioucmd)	((ioucmd)->cmd)
#endif
#include <linux/io_uring_types.h>

/*
 * v6.7: a parked command can be marked cancelable, and io_uring calls the
 * driver again with IO_URING_F_CANCEL when its ring or task goes away.
 * Before, uring.c watches the parked commands itself (its monitor).
 */
#ifdef FASTIPC_HAVE_URING_CMD_CANCELABLE
#define fastipc_uring_cancel_call(flags)	((flags) & IO_URING_F_CANCEL)
#else
static inline void io_uring_cmd_mark_cancelable(struct io_uring_cmd *cmd,
						unsigned int issue_flags)
{
}

#define fastipc_uring_cancel_call(flags)	false
#endif

/* v6.3: the task's "cancelling its requests" count was renamed. */
#ifdef FASTIPC_HAVE_TCTX_IN_IDLE
#define fastipc_tctx_cancelling(tctx)	atomic_read(&(tctx)->in_idle)
#else
#define fastipc_tctx_cancelling(tctx)	atomic_read(&(tctx)->in_cancel)
#endif

#endif /* _FASTIPC_COMPAT_H */
