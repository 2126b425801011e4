#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Probe the kernel headers for API differences and print -DFASTIPC_HAVE_*
# flags for the compiler.  Feature tests, not version numbers: distribution
# kernels backport.  Usage: conftest.sh SRCTREE
inc=$1/include

have() {	# have NAME FILE PATTERN
	grep -qE "$3" "$inc/$2" 2>/dev/null && printf ' -DFASTIPC_HAVE_%s' "$1"
}

# v6.3: vm_flags became read-only, modified through vm_flags_set/clear().
have VM_FLAGS_SET linux/mm.h 'static inline void vm_flags_set\('
# v6.7: receive_fd() gained the "int __user *ufd" argument.
have RECEIVE_FD_UFD linux/file.h 'int receive_fd\(struct file \*file, int __user \*ufd'
# v6.7: the uring_cmd API moved to <linux/io_uring/cmd.h> (the SQE is
# reached through ioucmd->sqe since v6.5); v6.7 added cancelable commands.
have IO_URING_CMD_H linux/io_uring/cmd.h 'struct io_uring_cmd \{'
have URING_CMD_CANCELABLE linux/io_uring/cmd.h 'void io_uring_cmd_mark_cancelable\('
# v6.3: io_uring_task.in_idle (a task cancelling its requests) became in_cancel.
have TCTX_IN_IDLE linux/io_uring_types.h 'atomic_t[[:space:]]+in_idle;'
echo
