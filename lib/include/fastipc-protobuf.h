/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libfastipc-protobuf - protobuf-c services over fastipc.
 *
 * protoc-c generates, for each "service" of a .proto file, a
 * ProtobufCServiceDescriptor, client stubs that call a ProtobufCService's
 * invoke() and a server-side ProtobufCService built from the functions
 * the user writes.  This library is the transport between the two: a
 * client service bound to a fastipc handle (one fastipc_call() per RPC,
 * the method's index as the code) and a node that serves a generated
 * service on a libfastipc peer.  Functions return 0 or a negative errno.
 */
#ifndef _FASTIPC_PROTOBUF_H
#define _FASTIPC_PROTOBUF_H

#include <fastipc.h>
#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- client -------------------------------------------------------------- */

/**
 * fastipc_pb_client_new() - a ProtobufCService whose RPCs call a node.
 * @peer: the caller's peer (it must outlive the service).
 * @handle: the node serving @desc (the service takes its own reference).
 * @desc: the generated descriptor of the service.
 * @service: out: the service, for the generated client stubs; free it
 *	with protobuf_c_service_destroy().
 *
 * Each RPC is one fastipc_call() with the method's index as the code and
 * the packed input as the payload; the closure gets the unpacked output,
 * or NULL on failure, whose errno fastipc_pb_last_error() then returns.
 * The closure runs before the stub returns.
 *
 * Return: 0 or a negative errno.
 */
int fastipc_pb_client_new(struct fastipc_peer *peer, uint32_t handle,
			  const ProtobufCServiceDescriptor *desc,
			  ProtobufCService **service);

/**
 * fastipc_pb_client_set_timeout() - give every later RPC of @service a
 * deadline @timeout_ns after it starts (needs %FASTIPC_FEAT_DEADLINE).
 * @service: a service of fastipc_pb_client_new().
 * @timeout_ns: nanoseconds, 0 for none.
 */
void fastipc_pb_client_set_timeout(ProtobufCService *service,
				   uint64_t timeout_ns);

/**
 * fastipc_pb_last_error() - why the calling thread's last RPC gave its
 * closure NULL.
 *
 * Return: 0 after a success; else a negative errno: the server's, as
 * fastipc_pb_reply_error() gave it, -EBADRQC (unknown method), -EBADMSG
 * (a message that does not unpack, on either side), -EIO (the server's
 * implementation gave no output), -ETIMEDOUT, -EPIPE (the server died),
 * or another error of fastipc_call().
 */
int fastipc_pb_last_error(void);

/* ---- server -------------------------------------------------------------- */

/**
 * fastipc_pb_node_create() - a node of @peer that serves @service.
 * @peer: the owner, served by fastipc_loop() or fastipc_dispatch().
 * @service: a generated service (its init function, with the user's
 *	method implementations); it must outlive the node.
 * @opts: node options, or NULL.
 * @handle: out: the owner's handle to the node.
 *
 * A call's code picks the method, its payload is unpacked as the method's
 * input and the implementation runs; its closure's output is packed into
 * the reply.  An implementation answers with an error by calling
 * fastipc_pb_reply_error() instead of its closure; a closure given NULL,
 * or never called, answers -EIO.  An unknown method answers -EBADRQC and
 * an input that does not unpack -EBADMSG.
 *
 * Return: 0 or a negative errno (those of fastipc_node_create()).
 */
int fastipc_pb_node_create(struct fastipc_peer *peer,
			   ProtobufCService *service,
			   const struct fastipc_node_opts *opts,
			   uint32_t *handle);

/**
 * fastipc_pb_reply_error() - answer the RPC being served with an errno.
 * @closure_data: the closure_data the implementation received.
 * @err: the errno the caller gets (either sign, not 0).
 */
void fastipc_pb_reply_error(void *closure_data, int err);

#ifdef __cplusplus
}
#endif

#endif /* _FASTIPC_PROTOBUF_H */
