/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the libfastipc examples.
 */
#ifndef _EXAMPLE_H
#define _EXAMPLE_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <fastipc.h>

static inline void ex_msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Call the context manager, waiting up to 10 s for one to be registered
 * (a server started at the same time may not be there yet).  -ENOENT with
 * no reason means "no manager"; an -ENOENT the manager answered with
 * carries FASTIPC_REASON_REPLIED_ERROR and is returned as is.
 */
static inline int ex_call_mgr(struct fastipc_peer *p,
			      const struct fastipc_msg *msg,
			      struct fastipc_reply *reply)
{
	int i, ret;

	for (i = 0; i < 1000; i++) {
		ret = fastipc_call(p, FASTIPC_HANDLE_CONTEXT_MGR, msg, reply);
		if (ret != -ENOENT || reply->reason != FASTIPC_REASON_NONE)
			break;
		ex_msleep(10);
	}
	return ret;
}

/* Become the context manager, waiting up to 10 s for a dead one to go. */
static inline int ex_become_mgr(struct fastipc_peer *p, uint32_t node)
{
	int i, ret = -EBUSY;

	for (i = 0; i < 1000 && ret == -EBUSY; i++) {
		ret = fastipc_context_mgr_set(p, node);
		if (ret == -EBUSY)
			ex_msleep(10);
	}
	return ret;
}

#endif /* _EXAMPLE_H */
