/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * fastipc_floor: the ABI of the benchmark's floor module (fastipc_floor.c),
 * shared by the module and bench/mech_floor.c.  Not part of fastipc.
 */
#ifndef _FASTIPC_FLOOR_H
#define _FASTIPC_FLOOR_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define FLOOR_DEV	"/dev/fastipc_floor"
#define FLOOR_MSG_MAX	(1024 * 1024)	/* the bench's largest message */

/**
 * struct floor_xchg - one exchange.
 * @send_buf: the message to send (0: send nothing).
 * @send_len: its length, at most FLOOR_MSG_MAX.
 * @recv_buf: where the partner's next message goes (0: do not wait).
 * @recv_len: the size of @recv_buf.
 *
 * FLOOR_IOC_XCHG returns the length of the message received (0 when
 * @recv_buf is 0), or -1 with errno set.
 */
struct floor_xchg {
	__u64 send_buf;
	__u64 send_len;
	__u64 recv_buf;
	__u64 recv_len;
};

#define FLOOR_IOC_XCHG	_IOW(0xf1, 0x01, struct floor_xchg)

#endif /* _FASTIPC_FLOOR_H */
