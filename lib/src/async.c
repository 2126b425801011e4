// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libfastipc: asynchronous calls through io_uring (liburing).  A call is
 * one IORING_OP_URING_CMD SQE carrying pointers to a command and to an
 * answer record, both in the caller's struct fastipc_async; its CQE is
 * decoded into the struct fastipc_reply that fastipc_call() fills.  The
 * SQE is built by hand: liburing 2.3 has no helper for driver commands.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <liburing.h>

#include "internal.h"

/* Fill @sqe with a fastipc command on @peer's descriptor. */
static void fipc_prep(struct io_uring_sqe *sqe, struct fastipc_peer *peer,
		      uint32_t cmd_op, const void *cmd, const void *ret,
		      const void *user_data)
{
	struct fastipc_uring_cmd uc = { fipc_u64(cmd), fipc_u64(ret) };

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, peer->fd, NULL, 0, 0);
	sqe->cmd_op = cmd_op;	/* overlays sqe->off: after prep_rw */
	sqe->__pad1 = 0;
	sqe->uring_cmd_flags = 0;
	memcpy(sqe->cmd, &uc, sizeof(uc));
	io_uring_sqe_set_data(sqe, (void *)user_data);
}

static int fipc_prep_msg(struct io_uring_sqe *sqe, struct fastipc_peer *peer,
			 uint32_t op, uint32_t handle,
			 const struct fastipc_msg *msg,
			 struct fastipc_async *async)
{
	int ret;

	if (!sqe || !peer || !async)
		return -EINVAL;
	if (!(peer->features & FASTIPC_FEAT_URING))
		return -EOPNOTSUPP;
	if (msg && msg->deadline_ns) {
		if (op != FASTIPC_CMD_CALL)
			return -EINVAL;
		if (!(peer->features & FASTIPC_FEAT_URING_DEADLINE))
			return -EOPNOTSUPP;
	}
	memset(async, 0, sizeof(*async));
	async->cmd.op = op;
	async->cmd.handle = handle;
	ret = __fastipc_msg_fill(&async->cmd, msg);
	if (ret)
		return ret;
	if (msg && msg->deadline_ns) {
		async->cmd.flags |= FASTIPC_TXN_DEADLINE;
		async->cmd.arg = msg->deadline_ns;
	}
	fipc_prep(sqe, peer, FASTIPC_URING_CMD, &async->cmd,
		  op == FASTIPC_CMD_CALL ? &async->ret : NULL, async);
	return 0;
}

int fastipc_prep_call(struct io_uring_sqe *sqe, struct fastipc_peer *peer,
		      uint32_t handle, const struct fastipc_msg *msg,
		      struct fastipc_async *call)
{
	return fipc_prep_msg(sqe, peer, FASTIPC_CMD_CALL, handle, msg, call);
}

int fastipc_prep_send(struct io_uring_sqe *sqe, struct fastipc_peer *peer,
		      uint32_t handle, const struct fastipc_msg *msg,
		      struct fastipc_async *send)
{
	return fipc_prep_msg(sqe, peer, FASTIPC_CMD_SEND, handle, msg, send);
}

int fastipc_prep_recv(struct io_uring_sqe *sqe, struct fastipc_peer *peer,
		      struct fastipc_async *recv)
{
	if (!sqe || !peer || !recv)
		return -EINVAL;
	if (!(peer->features & FASTIPC_FEAT_URING))
		return -EOPNOTSUPP;
	memset(recv, 0, sizeof(*recv));
	fipc_prep(sqe, peer, FASTIPC_URING_RECV, NULL, &recv->ret, recv);
	return 0;
}

/* The op of a cancel's state: no command of the module has it. */
#define FIPC_ASYNC_CANCEL	0xffffffffU

int fastipc_prep_cancel(struct io_uring_sqe *sqe, struct fastipc_peer *peer,
			uint64_t txn_id, struct fastipc_async *cancel)
{
	if (!sqe || !peer || !txn_id || !cancel)
		return -EINVAL;
	if (!(peer->features & FASTIPC_FEAT_URING_DEADLINE))
		return -EOPNOTSUPP;
	memset(cancel, 0, sizeof(*cancel));
	cancel->cmd.op = FIPC_ASYNC_CANCEL;
	cancel->cmd.txn_id = txn_id;
	fipc_prep(sqe, peer, FASTIPC_URING_CANCEL, (const void *)(uintptr_t)txn_id,
		  NULL, cancel);
	return 0;
}

uint64_t fastipc_async_id(const struct fastipc_async *call)
{
	return call ? call->ret.txn_id : 0;
}

int fastipc_async_complete(struct fastipc_peer *peer,
			   const struct io_uring_cqe *cqe,
			   struct fastipc_async *async,
			   struct fastipc_reply *reply)
{
	if (!peer || !cqe || !async || !reply)
		return -EINVAL;
	memset(reply, 0, offsetof(struct fastipc_reply, __inl));
	if (cqe->res < 0) {
		reply->error = cqe->res;
		return cqe->res;
	}
	switch (async->cmd.op) {
	case FASTIPC_CMD_CALL:
		if (cqe->res != (int)async->ret.op)
			break;
		return __fastipc_fill_reply(peer, &async->ret, reply);
	case FASTIPC_CMD_SEND:
	case FIPC_ASYNC_CANCEL:
		return 0;
	case 0:		/* RECV: serve what came, as fastipc_dispatch() */
		if (cqe->res != (int)async->ret.op)
			break;
		__fastipc_handle_record(peer, &async->ret, NULL);
		return 1;
	}
	reply->error = -EPROTO;
	return -EPROTO;
}

int fastipc_txn_abandoned(const struct fastipc_txn *txn)
{
	uint64_t id;

	if (!txn || !txn->peer || (txn->flags & FASTIPC_RET_ONEWAY))
		return -EINVAL;
	if (!(txn->peer->features & FASTIPC_FEAT_CANCEL))
		return -EOPNOTSUPP;
	id = txn->id;
	if (!ioctl(txn->peer->fd, FASTIPC_IOC_TXN_WAITED, &id))
		return 0;
	return errno == ECANCELED ? 1 : -errno;
}

int fastipc_cancel(struct fastipc_peer *peer, uint64_t txn_id)
{
	struct fastipc_cancel c = { .txn_id = txn_id };

	if (!peer || !txn_id)
		return -EINVAL;
	if (!(peer->features & FASTIPC_FEAT_CANCEL))
		return -EOPNOTSUPP;
	return ioctl(peer->fd, FASTIPC_IOC_CANCEL, &c) ? -errno : 0;
}
