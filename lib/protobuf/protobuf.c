// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libfastipc-protobuf: protobuf-c services over fastipc.  A client RPC is
 * one fastipc_call() (code: the method's index, payload: the packed
 * input); the server's node unpacks, runs the generated service's invoke()
 * and packs the closure's output into the reply.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#pragma GCC visibility push(default)
#include "fastipc-protobuf.h"
#pragma GCC visibility pop

/* Messages up to this size are packed on the stack. */
#define FIPC_PB_STACK	4096

/**
 * struct fipc_pb_client - a client service.
 * @base: what the generated stubs see; first, so that the two convert.
 * @peer: the caller's peer.
 * @handle: our reference to the serving node.
 * @timeout_ns: deadline of each RPC after its start, 0 for none.
 */
struct fipc_pb_client {
	ProtobufCService base;
	struct fastipc_peer *peer;
	uint32_t handle;
	uint64_t timeout_ns;
};

/**
 * struct fipc_pb_serve - one RPC being served (the closure_data).
 * @txn: the transaction.
 * @output: the method's output descriptor.
 * @answered: the closure or fastipc_pb_reply_error() ran.
 * @ret: what the handler returns.
 */
struct fipc_pb_serve {
	struct fastipc_txn *txn;
	const ProtobufCMessageDescriptor *output;
	bool answered;
	int ret;
};

static __thread int fipc_pb_error;

int fastipc_pb_last_error(void)
{
	return fipc_pb_error;
}

/*
 * Pack @m into @stack (FIPC_PB_STACK bytes) or a new buffer: *@buf is
 * what to send, freed by the caller unless it is @stack; NULL: no memory.
 */
static size_t fipc_pb_pack(const ProtobufCMessage *m, uint8_t *stack,
			   uint8_t **buf)
{
	size_t len = protobuf_c_message_get_packed_size(m);

	*buf = len <= FIPC_PB_STACK ? stack : malloc(len);
	if (*buf)
		protobuf_c_message_pack(m, *buf);
	return len;
}

static int fipc_pb_call(struct fipc_pb_client *cl, unsigned int method,
			const ProtobufCMessage *input,
			struct fastipc_reply *reply)
{
	uint8_t stack[FIPC_PB_STACK], *buf;
	struct iovec iov;
	struct fastipc_msg msg = { .code = method, .iov = &iov,
				   .iov_count = 1 };
	struct timespec now;
	int ret;

	iov.iov_len = fipc_pb_pack(input, stack, &buf);
	iov.iov_base = buf;
	if (!buf)
		return -ENOMEM;
	if (cl->timeout_ns) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		msg.deadline_ns = (uint64_t)now.tv_sec * 1000000000ULL +
				  now.tv_nsec + cl->timeout_ns;
	}
	ret = fastipc_call(cl->peer, cl->handle, &msg, reply);
	if (buf != stack)
		free(buf);
	return ret;
}

static void fipc_pb_invoke(ProtobufCService *service, unsigned int method,
			   const ProtobufCMessage *input,
			   ProtobufCClosure closure, void *closure_data)
{
	struct fipc_pb_client *cl = (struct fipc_pb_client *)service;
	const ProtobufCServiceDescriptor *desc = service->descriptor;
	const ProtobufCMessageDescriptor *out;
	struct fastipc_reply reply;
	ProtobufCMessage *output = NULL;
	int ret;

	if (method >= desc->n_methods || !input ||
	    input->descriptor != desc->methods[method].input) {
		ret = -EINVAL;
		goto done;
	}
	out = desc->methods[method].output;
	ret = fipc_pb_call(cl, method, input, &reply);
	if (ret)
		goto done;
	output = protobuf_c_message_unpack(out, NULL, reply.len, reply.data);
	fastipc_reply_release(cl->peer, &reply);
	if (!output)
		ret = -EBADMSG;
done:
	fipc_pb_error = ret;
	closure(output, closure_data);
	if (output)
		protobuf_c_message_free_unpacked(output, NULL);
}

static void fipc_pb_destroy(ProtobufCService *service)
{
	struct fipc_pb_client *cl = (struct fipc_pb_client *)service;

	fastipc_handle_release(cl->peer, cl->handle);
	free(cl);
}

int fastipc_pb_client_new(struct fastipc_peer *peer, uint32_t handle,
			  const ProtobufCServiceDescriptor *desc,
			  ProtobufCService **service)
{
	struct fipc_pb_client *cl;
	int ret;

	if (!service)
		return -EINVAL;
	*service = NULL;
	if (!peer || !desc)
		return -EINVAL;
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return -ENOMEM;
	ret = fastipc_handle_acquire(peer, handle);
	if (ret) {
		free(cl);
		return ret;
	}
	cl->base.descriptor = desc;
	cl->base.invoke = fipc_pb_invoke;
	cl->base.destroy = fipc_pb_destroy;
	cl->peer = peer;
	cl->handle = handle;
	*service = &cl->base;
	return 0;
}

void fastipc_pb_client_set_timeout(ProtobufCService *service,
				   uint64_t timeout_ns)
{
	((struct fipc_pb_client *)service)->timeout_ns = timeout_ns;
}

/* The implementation's closure: pack @output into the reply. */
static void fipc_pb_closure(const ProtobufCMessage *output, void *data)
{
	struct fipc_pb_serve *sv = data;
	uint8_t stack[FIPC_PB_STACK], *buf;
	struct iovec iov;
	struct fastipc_msg msg = { .iov = &iov, .iov_count = 1 };

	if (sv->answered)
		return;
	sv->answered = true;
	if (!output || output->descriptor != sv->output) {
		sv->ret = -EIO;
		return;
	}
	iov.iov_len = fipc_pb_pack(output, stack, &buf);
	iov.iov_base = buf;
	if (!buf) {
		sv->ret = -ENOMEM;
		return;
	}
	sv->ret = fastipc_reply(sv->txn, &msg);
	if (buf != stack)
		free(buf);
}

void fastipc_pb_reply_error(void *closure_data, int err)
{
	struct fipc_pb_serve *sv = closure_data;

	if (sv->answered)
		return;
	sv->answered = true;
	sv->ret = err < 0 ? err : -err;
}

static int fipc_pb_handler(struct fastipc_txn *txn, void *cookie)
{
	ProtobufCService *service = cookie;
	const ProtobufCServiceDescriptor *desc = service->descriptor;
	struct fipc_pb_serve sv = { .txn = txn };
	ProtobufCMessage *input;

	if (txn->code >= desc->n_methods)
		return -EBADRQC;
	input = protobuf_c_message_unpack(desc->methods[txn->code].input,
					  NULL, txn->len, txn->data);
	if (!input)
		return -EBADMSG;
	sv.output = desc->methods[txn->code].output;
	service->invoke(service, txn->code, input, fipc_pb_closure, &sv);
	protobuf_c_message_free_unpacked(input, NULL);
	return sv.answered ? sv.ret : -EIO;
}

int fastipc_pb_node_create(struct fastipc_peer *peer,
			   ProtobufCService *service,
			   const struct fastipc_node_opts *opts,
			   uint32_t *handle)
{
	if (!service || !service->descriptor || !service->invoke) {
		if (handle)
			*handle = 0;
		return -EINVAL;
	}
	return fastipc_node_create(peer, fipc_pb_handler, service, opts,
				   handle);
}
