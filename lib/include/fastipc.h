/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libfastipc - userspace library for the fastipc IPC module.
 *
 * Every function returns 0 (or a count, a descriptor) on success and a
 * negative errno on failure; none of them prints, exits or relies on the
 * global errno.  See fastipc(7) for an overview.
 */
#ifndef _FASTIPC_H
#define _FASTIPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <linux/fastipc.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The library's version, its own (the module has another, VERSION): a new
 * MINOR only adds (functions, flags, fields taken from reserved room), a
 * new PATCH only fixes, a new MAJOR breaks the ABI and the SONAME
 * libfastipc.so.MAJOR with it.  lib/Makefile reads these three lines.
 */
/** FASTIPC_LIB_MAJOR - major version of the library (its SONAME). */
#define FASTIPC_LIB_MAJOR	1
/** FASTIPC_LIB_MINOR - minor version of the library. */
#define FASTIPC_LIB_MINOR	2
/** FASTIPC_LIB_PATCH - patch level of the library. */
#define FASTIPC_LIB_PATCH	0

/** FASTIPC_LIB_VERSION() - a library version as one comparable number. */
#define FASTIPC_LIB_VERSION(major, minor, patch) \
	(((major) << 16) | ((minor) << 8) | (patch))

/** FASTIPC_LIB_VERSION_CODE - the version of this header. */
#define FASTIPC_LIB_VERSION_CODE \
	FASTIPC_LIB_VERSION(FASTIPC_LIB_MAJOR, FASTIPC_LIB_MINOR, \
			    FASTIPC_LIB_PATCH)

/** FASTIPC_HANDLE_CONTEXT_MGR - the handle naming the context manager. */
#define FASTIPC_HANDLE_CONTEXT_MGR	0

/** FASTIPC_DEFAULT_AREA_SIZE - receive area mapped when none is given. */
#define FASTIPC_DEFAULT_AREA_SIZE	(1024 * 1024)

/** FASTIPC_DEFAULT_MAX_THREADS - thread pool limit when none is given. */
#define FASTIPC_DEFAULT_MAX_THREADS	15

/**
 * FASTIPC_REPLY_DEFER_MAX - largest reply payload a looper thread copies
 * aside so that it travels in the same ioctl as the wait for the next
 * transaction.  Larger replies, and replies with handles or fds, are sent
 * at once by fastipc_reply().
 */
#define FASTIPC_REPLY_DEFER_MAX	4096

struct fastipc_peer;
struct io_uring_sqe;
struct io_uring_cqe;

/**
 * struct fastipc_peer_opts - options of fastipc_peer_open().
 * @area_size: bytes of the receive area, a multiple of the page size;
 *	0 means %FASTIPC_DEFAULT_AREA_SIZE.
 * @max_threads: threads fastipc_loop() may run at once, the caller's
 *	included; 0 means %FASTIPC_DEFAULT_MAX_THREADS.  The kernel is told
 *	(%FASTIPC_IOC_SET_MAX_THREADS) and asks for no more; the module's
 *	max_threads parameter caps it.
 * @flags: must be zero.
 * @required_features: %FASTIPC_FEAT_* bits the caller needs: the open
 *	fails with -EOPNOTSUPP when the module lacks one.
 * @reserved: must be zero.
 */
struct fastipc_peer_opts {
	size_t area_size;
	unsigned int max_threads;
	unsigned int flags;
	uint64_t required_features;
	uint64_t reserved[1];
};

/**
 * struct fastipc_msg - a message to send (call, one-way or reply).
 * @code: user-defined value passed through to the receiver.
 * @iov: @iov_count buffers gathered into one payload (may be NULL when
 *	@iov_count is zero).
 * @iov_count: number of entries at @iov.
 * @n_handles: number of handles at @handles (each gives the receiver one
 *	reference; the sender keeps its own).
 * @handles: handles of the sender to pass along.
 * @fds: file descriptors to pass along (the target node needs
 *	%FASTIPC_NODE_ACCEPT_FDS); the sender keeps its own.
 * @n_fds: number of descriptors at @fds.
 * @flags: must be zero.
 * @deadline_ns: calls only: absolute CLOCK_MONOTONIC time in nanoseconds
 *	after which the call fails with -ETIMEDOUT; 0 for none.  Needs
 *	%FASTIPC_FEAT_DEADLINE (else -EOPNOTSUPP).
 * @reserved: must be zero (room for later fields; initialise the
 *	structure with "= { ... }" and they are).
 */
struct fastipc_msg {
	uint64_t code;
	const struct iovec *iov;
	unsigned int iov_count;
	unsigned int n_handles;
	const uint32_t *handles;
	const int *fds;
	unsigned int n_fds;
	unsigned int flags;
	uint64_t deadline_ns;
	uint64_t reserved[4];
};

/**
 * struct fastipc_reply - outcome of fastipc_call(): a view into the
 * caller's receive area, valid until fastipc_reply_release().
 * @txn_id: the transaction ID of the call.
 * @code: the server's reply code.
 * @data: the reply payload (read-only).
 * @len: bytes at @data.
 * @handles: handles received, each holding one reference of the caller
 *	(release them with fastipc_handle_release()); U32_MAX for a handle
 *	the kernel could not create.
 * @fds: descriptors received, owned by the caller (-1: not installed).
 * @n_handles: entries at @handles.
 * @n_fds: entries at @fds.
 * @flags: %FASTIPC_RET_* flags of the record.
 * @error: 0, or the negative errno the call failed with.
 * @reason: why the call failed, &enum fastipc_reason.
 * @__buf: private.
 * @reserved: zeroed by the library (room for later fields).
 * @__offset: private.
 * @__inl: private.
 */
struct fastipc_reply {
	uint64_t txn_id;
	uint64_t code;
	const void *data;
	size_t len;
	const uint32_t *handles;
	const int *fds;
	unsigned int n_handles;
	unsigned int n_fds;
	unsigned int flags;
	int error;
	unsigned int reason;
	unsigned int __buf;
	uint64_t reserved[4];
	uint64_t __offset;
	unsigned char __inl[FASTIPC_INLINE_MAX];
};

/**
 * struct fastipc_txn - a transaction handed to a node's handler: a view
 * into the receive area, valid until the handler returns.  Only the
 * library allocates it: later versions may add fields at its end.
 * @peer: the peer that received it.
 * @id: the transaction ID (shown to both sides).
 * @code: the sender's code.
 * @data: the payload (read-only).
 * @len: bytes at @data.
 * @handles: handles received (one reference each, owned by the handler).
 * @fds: descriptors received (owned by the handler).
 * @n_handles: entries at @handles.
 * @n_fds: entries at @fds.
 * @flags: %FASTIPC_RET_* flags (%FASTIPC_RET_ONEWAY for a one-way).
 * @sender_pid: process ID of the sender.
 * @sender_euid: effective UID of the sender.
 * @__priv: private.
 */
struct fastipc_txn {
	struct fastipc_peer *peer;
	uint64_t id;
	uint64_t code;
	const void *data;
	size_t len;
	const uint32_t *handles;
	const int *fds;
	unsigned int n_handles;
	unsigned int n_fds;
	unsigned int flags;
	pid_t sender_pid;
	uid_t sender_euid;
	void *__priv[4];
};

/**
 * FASTIPC_TXN_DEFERRED - return value of a handler that keeps the
 * transaction to answer it later with fastipc_reply_id().
 */
#define FASTIPC_TXN_DEFERRED	1

/**
 * typedef fastipc_handler_fn - serves one transaction of a node.
 * @txn: the transaction.
 * @cookie: the cookie given to fastipc_node_create().
 *
 * The handler answers a call with fastipc_reply() or
 * fastipc_reply_error().  If it does not, its return value answers: 0 an
 * empty reply, a negative errno fastipc_reply_error() with it, and
 * %FASTIPC_TXN_DEFERRED nothing (reply later with fastipc_reply_id()).
 */
typedef int (*fastipc_handler_fn)(struct fastipc_txn *txn, void *cookie);

/**
 * typedef fastipc_released_fn - no other peer refers to a node any more.
 * @peer: the owner.
 * @handle: the owner's handle to the node.
 * @cookie: the node's cookie.
 */
typedef void (*fastipc_released_fn)(struct fastipc_peer *peer,
				    uint32_t handle, void *cookie);

/**
 * typedef fastipc_signal_fn - one of our nodes was signalled.
 * @peer: the owner.
 * @handle: the owner's handle to the node.
 * @bits: the OR of every mask signalled since the last call (never 0).
 * @cookie: the node's cookie.
 */
typedef void (*fastipc_signal_fn)(struct fastipc_peer *peer, uint32_t handle,
				  uint64_t bits, void *cookie);

/**
 * typedef fastipc_death_fn - the owner of a watched node died.
 * @peer: the watching peer.
 * @handle: the watched handle (still held: release it).
 * @arg: the argument given to fastipc_death_watch().
 */
typedef void (*fastipc_death_fn)(struct fastipc_peer *peer, uint32_t handle,
				 void *arg);

/**
 * struct fastipc_node_opts - options of fastipc_node_create().
 * @flags: %FASTIPC_NODE_ACCEPT_FDS, %FASTIPC_NODE_INHERIT_RT,
 *	%FASTIPC_NODE_MIN_PRIO (the last two need %FASTIPC_FEAT_PRIO),
 *	%FASTIPC_NODE_ACCEPT_SIGNALS (needs %FASTIPC_FEAT_SIGNAL; see
 *	fastipc_node_on_signal()).
 * @min_policy: with %FASTIPC_NODE_MIN_PRIO: SCHED_OTHER, SCHED_FIFO or
 *	SCHED_RR.
 * @min_priority: with %FASTIPC_NODE_MIN_PRIO: a nice value for
 *	SCHED_OTHER, a real-time priority otherwise.
 * @released: called (may be NULL) when no other peer refers to the node.
 * @reserved: must be zero.
 */
struct fastipc_node_opts {
	unsigned int flags;
	int min_policy;
	int min_priority;
	unsigned int reserved;
	fastipc_released_fn released;
};

/* ---- peers ------------------------------------------------------------ */

/**
 * fastipc_lib_version() - version of the library actually running, which
 * may be newer than the header a program was built with.
 *
 * Return: FASTIPC_LIB_VERSION(major, minor, patch) of the library.
 */
unsigned int fastipc_lib_version(void);

/**
 * fastipc_peer_open() - open /dev/fastipc and map a receive area.
 * @peer: out: the new peer.
 * @opts: options, or NULL for the defaults.
 *
 * Return: 0 or a negative errno: -EINVAL for bad options, -ENOENT when
 * /dev/fastipc does not exist (module not loaded), -EPROTO for a module
 * of another ABI version, -EOPNOTSUPP when it lacks one of
 * @opts->required_features, the errors of open(2) and mmap(2).
 */
int fastipc_peer_open(struct fastipc_peer **peer,
		      const struct fastipc_peer_opts *opts);

/**
 * fastipc_peer_close() - stop the thread pool, close and free a peer.
 * @peer: the peer (NULL is ignored).
 *
 * Must not be called from a handler or while the caller runs
 * fastipc_loop(); waits until the pool's threads have left.
 */
void fastipc_peer_close(struct fastipc_peer *peer);

/**
 * fastipc_peer_fd() - the descriptor of a peer, to poll(2) or epoll(7)
 * it (needs %FASTIPC_FEAT_POLL) before fastipc_dispatch().
 * @peer: the peer.
 *
 * Return: the descriptor (owned by the peer).
 */
int fastipc_peer_fd(const struct fastipc_peer *peer);

/**
 * fastipc_peer_features() - %FASTIPC_FEAT_* bits of the running module.
 * @peer: the peer.
 *
 * Return: the bit mask read at open.
 */
uint64_t fastipc_peer_features(const struct fastipc_peer *peer);

/**
 * fastipc_peer_version() - ABI, release and features of the module.
 * @peer: the peer.
 * @version: out: the module's answer.
 *
 * Return: 0 or a negative errno.
 */
int fastipc_peer_version(struct fastipc_peer *peer,
			 struct fastipc_version *version);

/**
 * fastipc_thread_leave() - the calling thread stops using @peer: the
 * kernel forgets its state.  Done automatically when a thread that used
 * the peer exits.
 * @peer: the peer.
 *
 * Return: 0 or a negative errno.
 */
int fastipc_thread_leave(struct fastipc_peer *peer);

/* ---- nodes and handles ------------------------------------------------- */

/**
 * fastipc_node_create() - create a node served by @handler.
 * @peer: the owner.
 * @handler: called for every transaction to the node.
 * @cookie: passed to @handler and to the released callback.
 * @opts: options, or NULL.
 * @handle: out: the owner's handle to the node (one reference).
 *
 * Return: 0 or a negative errno; -EOPNOTSUPP for priority or signal
 * flags the module does not support.
 */
int fastipc_node_create(struct fastipc_peer *peer, fastipc_handler_fn handler,
			void *cookie, const struct fastipc_node_opts *opts,
			uint32_t *handle);

/**
 * fastipc_handle_acquire() - take one more reference on a handle.
 * @peer: the peer.
 * @handle: the handle.
 *
 * Return: 0 or a negative errno (-ENOENT: no such handle).
 */
int fastipc_handle_acquire(struct fastipc_peer *peer, uint32_t handle);

/**
 * fastipc_handle_release() - drop one reference on a handle.
 * @peer: the peer.
 * @handle: the handle.
 *
 * Return: 0 or a negative errno (-ENOENT: no such handle).
 */
int fastipc_handle_release(struct fastipc_peer *peer, uint32_t handle);

/**
 * fastipc_handle_export() - turn a handle into a descriptor holding a
 * reference on its node, to hand to another process.
 * @peer: the peer.
 * @handle: the handle.
 *
 * Return: the new O_CLOEXEC descriptor or a negative errno.
 */
int fastipc_handle_export(struct fastipc_peer *peer, uint32_t handle);

/**
 * fastipc_handle_import() - turn an exported descriptor into a handle.
 * @peer: the peer.
 * @fd: the descriptor (kept open; close it when done).
 * @handle: out: the handle, holding one new reference.
 *
 * Return: 0 or a negative errno.
 */
int fastipc_handle_import(struct fastipc_peer *peer, int fd,
			  uint32_t *handle);

/**
 * fastipc_handle_send() - hand a handle to the process at the other end of
 * a unix socket: export it and send the descriptor (SCM_RIGHTS) with one
 * data byte.
 * @peer: the peer.
 * @sock: a connected unix socket (stream, seqpacket or datagram).
 * @handle: the handle (the caller keeps its reference).
 *
 * Return: 0 or a negative errno (of fastipc_handle_export() or sendmsg(2)).
 */
int fastipc_handle_send(struct fastipc_peer *peer, int sock, uint32_t handle);

/**
 * fastipc_handle_recv() - receive a handle fastipc_handle_send() sent.
 * @peer: the peer the handle is for.
 * @sock: the unix socket.
 * @handle: out: the handle, holding one new reference.
 *
 * Return: 0 or a negative errno: -EPIPE when the other end closed,
 * -EPROTO when the message was not a handle (any descriptors it carried
 * are closed), the errors of recvmsg(2) and fastipc_handle_import().
 */
int fastipc_handle_recv(struct fastipc_peer *peer, int sock, uint32_t *handle);

/**
 * fastipc_context_mgr_set() - make one of our nodes the context manager.
 * @peer: the owner.
 * @handle: the owner's handle to the node.
 *
 * Return: 0 or a negative errno (-EPERM without CAP_SYS_ADMIN, -EBUSY
 * while another manager lives).
 */
int fastipc_context_mgr_set(struct fastipc_peer *peer, uint32_t handle);

/**
 * fastipc_context_mgr_get() - the handle naming the context manager.
 * @peer: the peer.
 * @handle: out: %FASTIPC_HANDLE_CONTEXT_MGR.
 *
 * Handle 0 always names the current manager; whether one is registered
 * shows when it is used (-ENOENT).
 *
 * Return: 0 or -EINVAL.
 */
int fastipc_context_mgr_get(struct fastipc_peer *peer, uint32_t *handle);

/* ---- client -------------------------------------------------------------- */

/**
 * fastipc_call() - call a node and wait for its reply (one ioctl).
 * @peer: the peer.
 * @handle: the target.
 * @msg: the message, or NULL for an empty one.
 * @reply: out: the reply; release it with fastipc_reply_release().
 *
 * Transactions that come back to this thread while it waits (a call
 * from the server back into this process) are served on it.
 *
 * Return: 0, or a negative errno: from the write phase (-ENOENT bad
 * handle, -EINVAL, -EPERM, ...), or the failure of the call itself with
 * @reply->reason set: -EPIPE (dead target), -ENOSPC (no room in an area),
 * -ETIMEDOUT (deadline), or the server's fastipc_reply_error() value.
 * @reply->error holds the same value.
 */
int fastipc_call(struct fastipc_peer *peer, uint32_t handle,
		 const struct fastipc_msg *msg, struct fastipc_reply *reply);

/**
 * fastipc_reply_release() - give back the area buffer of a reply.
 * @peer: the peer.
 * @reply: a reply filled by fastipc_call() (released ones are ignored).
 *
 * Return: 0 or a negative errno.
 */
int fastipc_reply_release(struct fastipc_peer *peer,
			  struct fastipc_reply *reply);

/**
 * fastipc_call_copy() - call, copy the reply payload out and release it.
 * @peer: the peer.
 * @handle: the target.
 * @msg: the message, or NULL.
 * @buf: where to copy the reply payload.
 * @size: bytes at @buf.
 * @code: out (may be NULL): the reply code.
 *
 * Handles received are released and descriptors closed.
 *
 * Return: bytes of the reply, -EMSGSIZE when it exceeds @size (nothing
 * copied), or the errors of fastipc_call().
 */
ssize_t fastipc_call_copy(struct fastipc_peer *peer, uint32_t handle,
			  const struct fastipc_msg *msg, void *buf, size_t size,
			  uint64_t *code);

/* ---- asynchronous calls (io_uring, liburing; FASTIPC_FEAT_URING) --------- */

/**
 * struct fastipc_async - one asynchronous call, one-way or receive in
 * flight: what the kernel reads at submission and writes at completion.
 * Owned by the caller from fastipc_prep_call() until its CQE is decoded
 * by fastipc_async_complete(); never moved meanwhile.
 * @cmd: the command (read during io_uring_submit()).
 * @ret: the answer record (written at completion; its txn_id right after
 *	the submission of a call).
 * @reserved: zeroed by the library (room for later fields).
 */
struct fastipc_async {
	struct fastipc_cmd cmd;
	struct fastipc_ret ret;
	uint64_t reserved[2];
};

/**
 * fastipc_prep_call() - prepare an SQE that calls a node asynchronously.
 * @sqe: from io_uring_get_sqe() on any ring (no SQE128 or CQE32 needed).
 * @peer: the peer (the SQE targets its descriptor).
 * @handle: the target.
 * @msg: the message, or NULL for an empty one; it and the buffers it
 *	points to are read during io_uring_submit().  A deadline needs
 *	%FASTIPC_FEAT_URING_DEADLINE (else -EOPNOTSUPP).
 * @call: the call's state, the SQE's user_data (change it if you like).
 *
 * Any number of calls may be in flight per thread and per ring; each has
 * its own transaction ID (fastipc_async_id()) and completes once, in any
 * order.
 *
 * Return: 0, -EINVAL, -EOPNOTSUPP (module without %FASTIPC_FEAT_URING).
 */
int fastipc_prep_call(struct io_uring_sqe *sqe, struct fastipc_peer *peer,
		      uint32_t handle, const struct fastipc_msg *msg,
		      struct fastipc_async *call);

/**
 * fastipc_prep_send() - prepare an SQE that sends a one-way message.
 * @sqe: the SQE.
 * @peer: the peer.
 * @handle: the target.
 * @msg: the message, or NULL (no deadline).
 * @send: its state, the SQE's user_data.
 *
 * Return: 0, -EINVAL, -EOPNOTSUPP.
 */
int fastipc_prep_send(struct io_uring_sqe *sqe, struct fastipc_peer *peer,
		      uint32_t handle, const struct fastipc_msg *msg,
		      struct fastipc_async *send);

/**
 * fastipc_prep_recv() - prepare an SQE that completes with the next record
 * for the submitting thread (a transaction for one of its nodes, a death
 * notice...): an event loop serves without blocking in an ioctl.
 * @sqe: the SQE.
 * @peer: the peer.
 * @recv: its state, the SQE's user_data.
 *
 * Return: 0, -EINVAL, -EOPNOTSUPP.
 */
int fastipc_prep_recv(struct io_uring_sqe *sqe, struct fastipc_peer *peer,
		      struct fastipc_async *recv);

/**
 * fastipc_prep_cancel() - prepare an SQE that cancels a call of this peer,
 * as fastipc_cancel() does, from the ring.
 * @sqe: the SQE.
 * @peer: the peer.
 * @txn_id: the call's ID (fastipc_async_id(), or that of a call another
 *	thread of the peer is blocked in).
 * @cancel: its state, the SQE's user_data.
 *
 * Its CQE decodes (fastipc_async_complete()) to 0, or -ENOENT when the
 * call's answer came first; the call completes once either way.
 *
 * Return: 0, -EINVAL, -EOPNOTSUPP (module without
 * %FASTIPC_FEAT_URING_DEADLINE).
 */
int fastipc_prep_cancel(struct io_uring_sqe *sqe, struct fastipc_peer *peer,
			uint64_t txn_id, struct fastipc_async *cancel);

/**
 * fastipc_async_id() - the transaction ID of a call once submitted.
 * @call: a call prepared by fastipc_prep_call() and submitted.
 *
 * Return: the ID (for fastipc_cancel()), 0 before the submission.
 */
uint64_t fastipc_async_id(const struct fastipc_async *call);

/**
 * fastipc_async_complete() - decode the CQE of an asynchronous operation.
 * @peer: the peer.
 * @cqe: its CQE.
 * @async: its state.
 * @reply: out: a call's reply, as fastipc_call() fills it; release it
 *	with fastipc_reply_release().
 *
 * A receive's record is served on the calling thread as
 * fastipc_dispatch() would (the handler runs now).
 *
 * Return: for a call, what fastipc_call() returns (-ECANCELED after
 * fastipc_cancel() or when the ring went away); for a one-way 0; for a
 * receive 1; or the CQE's negative errno.
 */
int fastipc_async_complete(struct fastipc_peer *peer,
			   const struct io_uring_cqe *cqe,
			   struct fastipc_async *async,
			   struct fastipc_reply *reply);

/**
 * fastipc_cancel() - cancel a call of this peer in flight.
 * @peer: the peer.
 * @txn_id: the call's ID: fastipc_async_id(), or the ID of a call another
 *	thread of the peer is blocked in.
 *
 * The call ends at once with -ECANCELED (reason
 * %FASTIPC_REASON_CANCELLED); the server's reply is dropped.
 *
 * Return: 0, -ENOENT (no such call: its answer came first), -EINVAL,
 * -EOPNOTSUPP (module without %FASTIPC_FEAT_CANCEL).
 */
int fastipc_cancel(struct fastipc_peer *peer, uint64_t txn_id);

/**
 * fastipc_txn_abandoned() - has the caller of a transaction being served
 * stopped waiting for its answer (cancelled, timed out, dead)?
 * @txn: a call handed to a handler, not yet answered.
 *
 * A long handler may ask now and then and stop early: its answer would be
 * dropped.
 *
 * Return: 1 (abandoned), 0 (still waited for), -ENOENT (already
 * answered), -EINVAL (a one-way), -EOPNOTSUPP (no %FASTIPC_FEAT_CANCEL).
 */
int fastipc_txn_abandoned(const struct fastipc_txn *txn);

/**
 * fastipc_send() - send a one-way message.
 * @peer: the peer.
 * @handle: the target.
 * @msg: the message, or NULL for an empty one (no deadline).
 *
 * Return: 0 or a negative errno (-EPIPE dead target, -ENOSPC area full).
 */
int fastipc_send(struct fastipc_peer *peer, uint32_t handle,
		 const struct fastipc_msg *msg);

/**
 * fastipc_strreason() - name of a &enum fastipc_reason.
 * @reason: the reason.
 *
 * Return: a static string ("unknown" for values out of range).
 */
const char *fastipc_strreason(unsigned int reason);

/* ---- server -------------------------------------------------------------- */

/**
 * fastipc_reply() - answer the transaction a handler serves.
 * @txn: the transaction.
 * @msg: the reply, or NULL for an empty one.
 *
 * In a fastipc_loop() thread a payload of at most
 * %FASTIPC_REPLY_DEFER_MAX bytes without handles or fds is copied and sent
 * with the wait for the next transaction (a failure then answers the
 * caller with fastipc_reply_error()); anything else is sent at once.
 *
 * Return: 0 or a negative errno (-EINVAL for a one-way or one already
 * answered, -ENOSPC when it does not fit the caller's area: answer again).
 */
int fastipc_reply(struct fastipc_txn *txn, const struct fastipc_msg *msg);

/**
 * fastipc_reply_error() - answer the transaction with an error.
 * @txn: the transaction.
 * @err: the errno the caller gets (either sign).
 *
 * Return: 0 or a negative errno.
 */
int fastipc_reply_error(struct fastipc_txn *txn, int err);

/**
 * fastipc_reply_id() - answer a transaction by its ID, from any thread
 * (after its handler returned %FASTIPC_TXN_DEFERRED).
 * @peer: the peer.
 * @txn_id: the transaction ID.
 * @msg: the reply, or NULL for an empty one.
 *
 * Return: 0 or a negative errno (-EPROTO: no such pending transaction).
 */
int fastipc_reply_id(struct fastipc_peer *peer, uint64_t txn_id,
		     const struct fastipc_msg *msg);

/**
 * fastipc_reply_error_id() - answer a transaction by ID with an error.
 * @peer: the peer.
 * @txn_id: the transaction ID.
 * @err: the errno the caller gets (either sign).
 *
 * Return: 0 or a negative errno.
 */
int fastipc_reply_error_id(struct fastipc_peer *peer, uint64_t txn_id,
			   int err);

/**
 * fastipc_loop() - serve the peer's nodes on this thread and a pool.
 * @peer: the peer.
 *
 * The calling thread becomes a looper; on the kernel's spawn requests the
 * library starts more (detached) looper threads, up to max_threads in
 * all.  Each looper sends its reply and waits for the next transaction
 * in one ioctl.  Death, node-released and signal callbacks run on loopers
 * too.
 *
 * Return: 0 after fastipc_loop_stop(), or a negative errno.
 */
int fastipc_loop(struct fastipc_peer *peer);

/**
 * fastipc_loop_stop() - make every looper of the peer leave.
 * @peer: the peer.
 *
 * May be called from any thread, handlers included; does not wait.
 *
 * Return: 0 or a negative errno.
 */
int fastipc_loop_stop(struct fastipc_peer *peer);

/**
 * fastipc_loop_threads() - loopers currently running.
 * @peer: the peer.
 *
 * Return: the number of threads in fastipc_loop() or started by it.
 */
unsigned int fastipc_loop_threads(struct fastipc_peer *peer);

/**
 * FASTIPC_DISPATCH_WAIT - fastipc_dispatch() waits for a record.
 */
#define FASTIPC_DISPATCH_WAIT	1U

/**
 * fastipc_dispatch() - read and handle one record on the calling thread:
 * a transaction, a death notice, a node-released notice or a signal.
 * @peer: the peer.
 * @flags: 0 (do not wait) or %FASTIPC_DISPATCH_WAIT.
 *
 * For single-threaded servers: poll fastipc_peer_fd() for EPOLLIN, then
 * dispatch until -EAGAIN.
 *
 * Return: 1 when a record was handled, -EAGAIN when none was ready (or
 * another thread took it), -EPIPE for a dead peer, or a negative errno.
 */
int fastipc_dispatch(struct fastipc_peer *peer, unsigned int flags);

/* ---- notification bits (1.2) --------------------------------------------- */

/**
 * fastipc_signal() - OR @mask into the pending bits of @handle's node.
 * @peer: the peer.
 * @handle: a handle to a node created with %FASTIPC_NODE_ACCEPT_SIGNALS.
 * @mask: the bits, not 0.
 *
 * Never blocks and allocates nothing; signals sent before the owner reads
 * coalesce into one delivery with the OR of their masks.
 *
 * Return: 0 or a negative errno: -EINVAL (@mask 0), -ENOENT (no such
 * handle), -EPERM (the node does not accept signals), -EPIPE (its owner
 * died), -EOPNOTSUPP (module without %FASTIPC_FEAT_SIGNAL).
 */
int fastipc_signal(struct fastipc_peer *peer, uint32_t handle, uint64_t mask);

/**
 * fastipc_node_on_signal() - call @fn with the bits signalled to a node.
 * @peer: the owner.
 * @handle: the owner's handle to a node it created through
 *	fastipc_node_create() with %FASTIPC_NODE_ACCEPT_SIGNALS.
 * @fn: the callback (runs on a looper, in fastipc_dispatch() or in
 *	fastipc_async_complete()), or NULL to stop; bits read while there
 *	is none are dropped, so set it before the node's handle is given out.
 *
 * Return: 0, -ENOENT (not a node of ours), -EINVAL (created without
 * %FASTIPC_NODE_ACCEPT_SIGNALS).
 */
int fastipc_node_on_signal(struct fastipc_peer *peer, uint32_t handle,
			   fastipc_signal_fn fn);

/* ---- death notifications ------------------------------------------------ */

/**
 * fastipc_death_watch() - call @fn once when @handle's owner dies.
 * @peer: the peer.
 * @handle: the handle to watch (one watch per handle).
 * @fn: the callback (runs on a looper or in fastipc_dispatch()).
 * @arg: passed to @fn.
 * @id: out (may be NULL): the watch, for fastipc_death_unwatch().
 *
 * The watch ends after @fn ran.
 *
 * Return: 0 or a negative errno (-ENOENT bad handle, -EBUSY watched).
 */
int fastipc_death_watch(struct fastipc_peer *peer, uint32_t handle,
			fastipc_death_fn fn, void *arg, uint64_t *id);

/**
 * fastipc_death_unwatch() - cancel a watch; @fn will not be called.
 * @peer: the peer.
 * @id: the watch.
 *
 * Return: 0, -ENOENT when the watch is unknown or already delivered, or
 * a negative errno.
 */
int fastipc_death_unwatch(struct fastipc_peer *peer, uint64_t id);

#ifdef __cplusplus
}
#endif

#endif /* _FASTIPC_H */
