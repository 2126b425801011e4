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

#endif /* _FASTIPC_COMPAT_H */
