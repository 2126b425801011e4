// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libfastipc: the client side.  A call is one WRITE_READ (the CALL command
 * plus a one-record read buffer), built on the stack: no allocation.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Describe @msg in @c (op and target left to the caller). */
int __fastipc_msg_fill(struct fastipc_cmd *c, const struct fastipc_msg *msg)
{
	if (!msg)
		return 0;
	if (msg->flags || msg->reserved[0] || msg->reserved[1] ||
	    msg->reserved[2] || msg->reserved[3] ||
	    (msg->iov_count && !msg->iov) ||
	    (msg->n_handles && !msg->handles) || (msg->n_fds && !msg->fds))
		return -EINVAL;
	c->code = msg->code;
	if (msg->iov_count == 1) {
		c->data = fipc_u64(msg->iov[0].iov_base);
		c->data_len = msg->iov[0].iov_len;
	} else if (msg->iov_count) {
		c->flags |= FASTIPC_TXN_IOVEC;
		c->data = fipc_u64(msg->iov);
		c->data_len = msg->iov_count;
	}
	c->handles = fipc_u64(msg->handles);
	c->n_handles = msg->n_handles;
	c->fds = fipc_u64(msg->fds);
	c->n_fds = msg->n_fds;
	return 0;
}

/* Where the payload, handles and fds of record @r are. */
void __fastipc_view(struct fastipc_peer *peer, const struct fastipc_ret *r,
		    const void **data, const uint32_t **handles,
		    const int **fds)
{
	const char *base;

	if (r->flags & FASTIPC_RET_INLINE) {
		*data = r->inline_data;
		*handles = NULL;
		*fds = NULL;
		return;
	}
	base = (const char *)peer->area + r->offset;
	*data = base;
	*handles = (const uint32_t *)(base + ((r->data_len + 7) & ~7ULL));
	*fds = (const int *)(*handles + r->n_handles);
	if (!r->n_handles)
		*handles = NULL;
	if (!r->n_fds)
		*fds = NULL;
}

/* Fill @reply from the answer record @r of a call (async.c too). */
int __fastipc_fill_reply(struct fastipc_peer *peer,
			 const struct fastipc_ret *r,
			 struct fastipc_reply *reply)
{
	reply->txn_id = r->txn_id;
	reply->flags = r->flags;
	reply->reason = r->reason;
	switch (r->op) {
	case FASTIPC_RET_REPLY:
		break;
	case FASTIPC_RET_DEAD_REPLY:
		reply->error = -EPIPE;
		return -EPIPE;
	case FASTIPC_RET_FAILED_REPLY:
		reply->error = r->code ? -(int)r->code : -EIO;
		return reply->error;
	default:
		reply->error = -EPROTO;
		return -EPROTO;
	}
	reply->code = r->code;
	reply->len = r->data_len;
	reply->n_handles = r->n_handles;
	reply->n_fds = r->n_fds;
	if (r->flags & FASTIPC_RET_INLINE) {
		memcpy(reply->__inl, r->inline_data, r->data_len);
		reply->data = reply->__inl;
		return 0;
	}
	reply->__buf = 1;
	reply->__offset = r->offset;
	__fastipc_view(peer, r, &reply->data, &reply->handles, &reply->fds);
	return 0;
}

int fastipc_call(struct fastipc_peer *peer, uint32_t handle,
		 const struct fastipc_msg *msg, struct fastipc_reply *reply)
{
	struct fastipc_cmd c = { .op = FASTIPC_CMD_CALL, .handle = handle };
	struct fastipc_ret r;
	struct fastipc_write_read wr = {
		.write_buffer = fipc_u64(&c),
		.write_size = FIPC_CMD_SIZE,
		.read_buffer = fipc_u64(&r),
		.read_size = FIPC_RET_SIZE,
	};
	int ret;

	if (!peer || !reply)
		return -EINVAL;
	memset(reply, 0, offsetof(struct fastipc_reply, __inl));
	ret = __fastipc_msg_fill(&c, msg);
	if (ret)
		goto out;
	if (msg && msg->deadline_ns) {
		if (!(peer->features & FASTIPC_FEAT_DEADLINE)) {
			ret = -EOPNOTSUPP;
			goto out;
		}
		c.flags |= FASTIPC_TXN_DEADLINE;
		c.arg = msg->deadline_ns;
	}
	for (;;) {
		ret = __fastipc_wr(peer, &wr);
		if (ret)
			goto out;
		if (wr.read_consumed != FIPC_RET_SIZE)
			continue;
		if (r.op != FASTIPC_RET_TRANSACTION)
			break;
		/* A call back into us on behalf of our call: serve it. */
		__fastipc_handle_record(peer, &r, NULL);
		wr.read_consumed = 0;
	}
	return __fastipc_fill_reply(peer, &r, reply);
out:
	reply->error = ret;
	return ret;
}

int fastipc_reply_release(struct fastipc_peer *peer,
			  struct fastipc_reply *reply)
{
	int ret;

	if (!peer || !reply)
		return -EINVAL;
	if (!reply->__buf)
		return 0;
	ret = __fastipc_cmd1(peer, FASTIPC_CMD_FREE, 0, reply->__offset);
	if (!ret) {
		reply->__buf = 0;
		reply->data = NULL;
		reply->handles = NULL;
		reply->fds = NULL;
	}
	return ret;
}

ssize_t fastipc_call_copy(struct fastipc_peer *peer, uint32_t handle,
			  const struct fastipc_msg *msg, void *buf, size_t size,
			  uint64_t *code)
{
	struct fastipc_reply reply;
	ssize_t ret;
	unsigned int i;

	if (!buf && size)
		return -EINVAL;
	ret = fastipc_call(peer, handle, msg, &reply);
	if (ret)
		return ret;
	for (i = 0; i < reply.n_handles; i++)
		if (reply.handles[i] != UINT32_MAX)
			fastipc_handle_release(peer, reply.handles[i]);
	for (i = 0; i < reply.n_fds; i++)
		if (reply.fds[i] >= 0)
			close(reply.fds[i]);
	if (reply.len > size) {
		ret = -EMSGSIZE;
	} else {
		if (reply.len)
			memcpy(buf, reply.data, reply.len);
		ret = (ssize_t)reply.len;
		if (code)
			*code = reply.code;
	}
	fastipc_reply_release(peer, &reply);
	return ret;
}

int fastipc_send(struct fastipc_peer *peer, uint32_t handle,
		 const struct fastipc_msg *msg)
{
	struct fastipc_cmd c = { .op = FASTIPC_CMD_SEND, .handle = handle };
	int ret;

	if (!peer)
		return -EINVAL;
	if (msg && msg->deadline_ns)
		return -EINVAL;
	ret = __fastipc_msg_fill(&c, msg);
	if (ret)
		return ret;
	return __fastipc_write(peer, &c, 1);
}
