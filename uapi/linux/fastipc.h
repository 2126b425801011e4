/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * fastipc - fast binder-class IPC for Linux, userspace ABI.
 *
 * Every structure here is made of fixed-size __u64/__u32 fields, is a
 * multiple of 8 bytes, starts with its operation and flags, and keeps
 * reserved fields that must be zero.  The kernel rejects unknown flags and
 * non-zero reserved fields with EINVAL so that they can be given a meaning
 * later without breaking old binaries.  Pointers travel as __u64.
 *
 * This header compiles with -std=c90.
 */
#ifndef _UAPI_LINUX_FASTIPC_H
#define _UAPI_LINUX_FASTIPC_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/const.h>

/**
 * FASTIPC_ABI_VERSION - version of the ioctl ABI described by this header.
 *
 * Bumped only on incompatible changes; additions are announced through
 * &struct fastipc_version.features instead.
 */
#define FASTIPC_ABI_VERSION	1

/**
 * FASTIPC_IOC_MAGIC - ioctl type byte of every fastipc command.
 */
#define FASTIPC_IOC_MAGIC	0xb8

/**
 * FASTIPC_INLINE_MAX - largest payload carried inside a return record.
 *
 * A message of at most this many bytes with no handles and no file
 * descriptors is copied into &struct fastipc_ret.inline_data: it takes no
 * space in the receive area and needs no %FASTIPC_CMD_FREE.
 */
#define FASTIPC_INLINE_MAX	64

/**
 * FASTIPC_FEAT_CORE - handles, nodes, calls, receive area, death notices.
 */
#define FASTIPC_FEAT_CORE	_BITULL(0)

/**
 * FASTIPC_FEAT_POLL - poll()/epoll on the device: readable when the
 * calling thread has a record to read.
 */
#define FASTIPC_FEAT_POLL	_BITULL(1)

/**
 * FASTIPC_FEAT_PRIO - priority inheritance: the serving thread runs at the
 * caller's priority, %FASTIPC_NODE_INHERIT_RT, %FASTIPC_NODE_MIN_PRIO.
 */
#define FASTIPC_FEAT_PRIO	_BITULL(2)

/**
 * FASTIPC_FEAT_DEADLINE - %FASTIPC_TXN_DEADLINE on calls.
 */
#define FASTIPC_FEAT_DEADLINE	_BITULL(3)

/**
 * FASTIPC_FEAT_MAX_THREADS - %FASTIPC_IOC_SET_MAX_THREADS.
 */
#define FASTIPC_FEAT_MAX_THREADS	_BITULL(4)

/**
 * FASTIPC_FEAT_REASON - a failed WRITE_READ command says why in
 * &fastipc_write_read.reason; %FASTIPC_RET_HANDLES_FAILED; one-way
 * budgets per receiver and per sender.
 */
#define FASTIPC_FEAT_REASON	_BITULL(5)

/**
 * FASTIPC_FEAT_URING - io_uring commands on the device
 * (%FASTIPC_URING_CMD, %FASTIPC_URING_RECV): asynchronous calls, any
 * number in flight per thread, and work received through a ring.
 */
#define FASTIPC_FEAT_URING	_BITULL(6)

/**
 * FASTIPC_FEAT_CANCEL - %FASTIPC_IOC_CANCEL and
 * %FASTIPC_REASON_CANCELLED.
 */
#define FASTIPC_FEAT_CANCEL	_BITULL(7)

/**
 * FASTIPC_FEAT_URING_DEADLINE - ring calls take %FASTIPC_TXN_DEADLINE;
 * %FASTIPC_URING_CANCEL cancels a call from the ring; a call given up
 * (cancelled, timed out) withdraws the priority it lent its server.
 */
#define FASTIPC_FEAT_URING_DEADLINE	_BITULL(8)

/**
 * FASTIPC_FEAT_SIGNAL - notification bits: %FASTIPC_CMD_SIGNAL,
 * %FASTIPC_RET_SIGNAL, %FASTIPC_NODE_ACCEPT_SIGNALS.
 */
#define FASTIPC_FEAT_SIGNAL	_BITULL(9)

/**
 * struct fastipc_version - answer of %FASTIPC_IOC_VERSION.
 * @abi: %FASTIPC_ABI_VERSION of the running module.
 * @major: module release, major number.
 * @minor: module release, minor number.
 * @patch: module release, patch number.
 * @features: bit mask of %FASTIPC_FEAT_* the running module supports.
 * @reserved: written as zero by the kernel.
 */
struct fastipc_version {
	__u32 abi;
	__u32 major;
	__u32 minor;
	__u32 patch;
	__u64 features;
	__u64 reserved[2];
};

/**
 * FASTIPC_NODE_ACCEPT_FDS - transactions to this node may carry fds.
 */
#define FASTIPC_NODE_ACCEPT_FDS	_BITUL(0)

/**
 * FASTIPC_NODE_INHERIT_RT - a SCHED_FIFO or SCHED_RR caller lends its
 * real-time policy and priority to the thread serving its calls to this
 * node.  Without the flag a real-time caller lends nice -20 instead.
 */
#define FASTIPC_NODE_INHERIT_RT	_BITUL(1)

/**
 * FASTIPC_NODE_MIN_PRIO - every transaction to this node, one-way ones
 * included, is served at least at @min_policy / @min_priority.
 */
#define FASTIPC_NODE_MIN_PRIO	_BITUL(2)

/**
 * FASTIPC_NODE_ACCEPT_SIGNALS - the node takes %FASTIPC_CMD_SIGNAL from
 * any peer holding a handle to it; its owner reads the bits in
 * %FASTIPC_RET_SIGNAL records.  Without it a signal fails with EPERM.
 * %FASTIPC_FEAT_SIGNAL.
 */
#define FASTIPC_NODE_ACCEPT_SIGNALS	_BITUL(3)

/**
 * struct fastipc_node_create - argument of %FASTIPC_IOC_NODE_CREATE.
 * @flags: %FASTIPC_NODE_* flags.
 * @handle: out: the caller's new handle to its new node (one reference).
 * @cookie: owner-chosen value returned with every transaction to the node.
 * @min_policy: with %FASTIPC_NODE_MIN_PRIO: SCHED_OTHER (0), SCHED_FIFO
 *	(1) or SCHED_RR (2); zero otherwise.
 * @min_priority: with %FASTIPC_NODE_MIN_PRIO: a nice value (-20..19) for
 *	SCHED_OTHER, a real-time priority (1..99) otherwise; zero otherwise.
 *	A real-time minimum needs CAP_SYS_NICE in the creator.
 * @reserved: must be zero.
 */
struct fastipc_node_create {
	__u32 flags;
	__u32 handle;
	__u64 cookie;
	__u32 min_policy;
	__s32 min_priority;
	__u64 reserved;
};

/**
 * struct fastipc_handle_fd - argument of the handle/fd conversions.
 * @flags: must be zero.
 * @handle: %FASTIPC_IOC_HANDLE_EXPORT: the handle to export (in);
 *          %FASTIPC_IOC_HANDLE_IMPORT: the new handle (out).
 * @fd: %FASTIPC_IOC_HANDLE_EXPORT: the new O_CLOEXEC fd (out);
 *      %FASTIPC_IOC_HANDLE_IMPORT: the fd to import (in).
 * @reserved: must be zero.
 */
struct fastipc_handle_fd {
	__u32 flags;
	__u32 handle;
	__s32 fd;
	__u32 reserved;
};

/**
 * enum fastipc_cmd_op - commands of the WRITE_READ write buffer.
 * @FASTIPC_CMD_CALL: synchronous call to @handle; the reply (or a failure)
 *	is returned to this thread.  The thread may issue no other CALL until
 *	the reply came.
 * @FASTIPC_CMD_SEND: one-way message to @handle; no reply.
 * @FASTIPC_CMD_REPLY: answer transaction @txn_id, or when it is zero the
 *	latest transaction this thread received and has not answered yet.
 * @FASTIPC_CMD_REPLY_ERROR: like %FASTIPC_CMD_REPLY, but the caller gets
 *	%FASTIPC_RET_FAILED_REPLY with @code as its errno; no payload.
 * @FASTIPC_CMD_FREE: release the receive-area buffer at offset @arg.
 * @FASTIPC_CMD_ACQUIRE: take one more reference on @handle.
 * @FASTIPC_CMD_RELEASE: drop one reference on @handle; at zero the handle
 *	number is free again.
 * @FASTIPC_CMD_REQUEST_DEATH: ask for %FASTIPC_RET_DEAD_NODE with cookie
 *	@arg when the owner of @handle's node dies.  One request per handle.
 * @FASTIPC_CMD_CLEAR_DEATH: cancel the request of @handle with cookie
 *	@arg.  Before delivery no notice will come; after delivery it only
 *	forgets the request.
 * @FASTIPC_CMD_LOOPER_ENTER: this thread serves transactions of the peer.
 * @FASTIPC_CMD_LOOPER_EXIT: this thread leaves the thread pool (sent by a
 *	thread before it exits).
 * @FASTIPC_CMD_SIGNAL: OR the non-zero mask @arg into the pending bits of
 *	@handle's node (created with %FASTIPC_NODE_ACCEPT_SIGNALS); its owner
 *	reads them in one %FASTIPC_RET_SIGNAL record, however many signals
 *	came before.  Never blocks, allocates nothing.  %FASTIPC_FEAT_SIGNAL.
 */
enum fastipc_cmd_op {
	FASTIPC_CMD_CALL = 1,
	FASTIPC_CMD_SEND,
	FASTIPC_CMD_REPLY,
	FASTIPC_CMD_REPLY_ERROR,
	FASTIPC_CMD_FREE,
	FASTIPC_CMD_ACQUIRE,
	FASTIPC_CMD_RELEASE,
	FASTIPC_CMD_REQUEST_DEATH,
	FASTIPC_CMD_CLEAR_DEATH,
	FASTIPC_CMD_LOOPER_ENTER,
	FASTIPC_CMD_LOOPER_EXIT,
	FASTIPC_CMD_SIGNAL
};

/**
 * FASTIPC_TXN_IOVEC - @data points to @data_len &struct iovec entries
 * gathered into one payload, instead of @data_len bytes.
 */
#define FASTIPC_TXN_IOVEC	_BITUL(0)

/**
 * FASTIPC_TXN_DEADLINE - CALL only: @arg is an absolute CLOCK_MONOTONIC
 * time in nanoseconds.  When the reply has not come by then, the call ends
 * with %FASTIPC_RET_FAILED_REPLY, code ETIMEDOUT, reason
 * %FASTIPC_REASON_TIMED_OUT; the server's later reply is dropped.
 */
#define FASTIPC_TXN_DEADLINE	_BITUL(1)

/**
 * struct fastipc_cmd - one command of the WRITE_READ write buffer.
 * @op: &enum fastipc_cmd_op.
 * @flags: %FASTIPC_TXN_* for CALL, SEND and REPLY; zero otherwise.
 * @handle: target handle (CALL, SEND, ACQUIRE, RELEASE, *_DEATH, SIGNAL).
 * @n_handles: number of handles at @handles to pass along.
 * @txn_id: REPLY, REPLY_ERROR: the transaction answered (0: latest).
 * @code: CALL, SEND, REPLY: user-defined value passed through;
 *	REPLY_ERROR: the positive errno for the caller.
 * @data: user pointer to the payload (or iovec array).
 * @data_len: payload bytes (or iovec count).
 * @handles: user pointer to __u32 handles of the sender, translated into
 *	handles of the receiver (each one holding one reference).
 * @fds: user pointer to __s32 file descriptors, installed O_CLOEXEC in
 *	the receiver when it reads the message.
 * @n_fds: number of fds at @fds.
 * @reserved0: must be zero.
 * @arg: FREE: buffer offset; REQUEST_DEATH, CLEAR_DEATH: cookie;
 *	CALL with %FASTIPC_TXN_DEADLINE: the deadline; SIGNAL: the bits to
 *	set (non-zero).
 */
struct fastipc_cmd {
	__u32 op;
	__u32 flags;
	__u32 handle;
	__u32 n_handles;
	__u64 txn_id;
	__u64 code;
	__u64 data;
	__u64 data_len;
	__u64 handles;
	__u64 fds;
	__u32 n_fds;
	__u32 reserved0;
	__u64 arg;
};

/**
 * enum fastipc_ret_op - records of the WRITE_READ read buffer.
 * @FASTIPC_RET_TRANSACTION: a call or one-way message for one of our nodes.
 * @FASTIPC_RET_REPLY: the reply to this thread's call.
 * @FASTIPC_RET_DEAD_REPLY: the call failed because the target died.
 * @FASTIPC_RET_FAILED_REPLY: the call failed; @code is the errno and
 *	@reason a %FASTIPC_REASON_* code.
 * @FASTIPC_RET_DEAD_NODE: the node of a handle we asked about died;
 *	@cookie is the cookie of the request.
 * @FASTIPC_RET_NODE_RELEASED: the last reference held by another peer on
 *	our node (cookie @cookie) went away.
 * @FASTIPC_RET_SPAWN_LOOPER: no thread is idle to serve a transaction:
 *	start one more looper (sent once per shortage, up to the maximum).
 * @FASTIPC_RET_SIGNAL: our node (cookie @cookie) was signalled: @code
 *	holds the OR of every mask sent since its last SIGNAL record, and
 *	the node's pending bits are zero again.  %FASTIPC_FEAT_SIGNAL.
 */
enum fastipc_ret_op {
	FASTIPC_RET_TRANSACTION = 1,
	FASTIPC_RET_REPLY,
	FASTIPC_RET_DEAD_REPLY,
	FASTIPC_RET_FAILED_REPLY,
	FASTIPC_RET_DEAD_NODE,
	FASTIPC_RET_NODE_RELEASED,
	FASTIPC_RET_SPAWN_LOOPER,
	FASTIPC_RET_SIGNAL
};

/** FASTIPC_RET_ONEWAY - the transaction was sent with SEND: no reply. */
#define FASTIPC_RET_ONEWAY	_BITUL(0)
/** FASTIPC_RET_INLINE - the payload is in @inline_data, not the area. */
#define FASTIPC_RET_INLINE	_BITUL(1)
/** FASTIPC_RET_FDS_FAILED - some fds could not be installed (-1). */
#define FASTIPC_RET_FDS_FAILED	_BITUL(2)
/**
 * FASTIPC_RET_HANDLES_FAILED - some handles could not be given (the
 * receiver is at its handle limit): those slots hold 0xffffffff.
 */
#define FASTIPC_RET_HANDLES_FAILED	_BITUL(3)

/**
 * enum fastipc_reason - why a transaction failed (&fastipc_ret.reason).
 * @FASTIPC_REASON_NONE: no failure.
 * @FASTIPC_REASON_DEAD_TARGET: the target's owner died.
 * @FASTIPC_REASON_NO_SPACE: the receiver's area had no room.
 * @FASTIPC_REASON_NO_AREA: the receiver has not mapped its receive area.
 * @FASTIPC_REASON_REPLIED_ERROR: the server answered with REPLY_ERROR.
 * @FASTIPC_REASON_ONEWAY_BUDGET: the receiver's one-way budget is spent:
 *	%max_oneway messages, or half its area, queued and not yet read.
 * @FASTIPC_REASON_TIMED_OUT: the call's %FASTIPC_TXN_DEADLINE passed.
 * @FASTIPC_REASON_SENDER_SHARE: the sending peer already holds half of the
 *	receiver's one-way budget (count or bytes): others keep the rest.
 * @FASTIPC_REASON_HANDLE_LIMIT: the receiver is at its handle limit.
 * @FASTIPC_REASON_UNANSWERED: a CALL was refused: the caller's peer has
 *	%max_oneway calls that timed out and that their servers have not
 *	answered yet.
 * @FASTIPC_REASON_CANCELLED: the call was cancelled by
 *	%FASTIPC_IOC_CANCEL (errno ECANCELED); the server's reply is dropped.
 */
enum fastipc_reason {
	FASTIPC_REASON_NONE,
	FASTIPC_REASON_DEAD_TARGET,
	FASTIPC_REASON_NO_SPACE,
	FASTIPC_REASON_NO_AREA,
	FASTIPC_REASON_REPLIED_ERROR,
	FASTIPC_REASON_ONEWAY_BUDGET,
	FASTIPC_REASON_TIMED_OUT,
	FASTIPC_REASON_SENDER_SHARE,
	FASTIPC_REASON_HANDLE_LIMIT,
	FASTIPC_REASON_UNANSWERED,
	FASTIPC_REASON_CANCELLED
};

/**
 * struct fastipc_ret - one record of the WRITE_READ read buffer.
 * @op: &enum fastipc_ret_op.
 * @flags: %FASTIPC_RET_* flags.
 * @txn_id: transaction ID (TRANSACTION, REPLY, DEAD_REPLY, FAILED_REPLY).
 * @cookie: TRANSACTION: the node's cookie; DEAD_NODE: the request's
 *	cookie; NODE_RELEASED, SIGNAL: the node's cookie.
 * @code: TRANSACTION, REPLY: the sender's code; FAILED_REPLY: errno;
 *	SIGNAL: the bits, never zero.
 * @offset: offset of the payload in the receive area, unless INLINE.
 *	Handles (__u32) then fds (__s32) follow the payload at the next
 *	multiple of 8.  Release it with %FASTIPC_CMD_FREE.
 * @data_len: payload bytes.
 * @n_handles: handles following the payload.
 * @n_fds: fds following the handles.
 * @sender_pid: thread group ID of the sender, in the receiver's namespace.
 * @sender_euid: effective UID of the sender at open, in the receiver's
 *	user namespace.
 * @reason: FAILED_REPLY, DEAD_REPLY: &enum fastipc_reason.
 * @reserved: zero.
 * @inline_data: the payload when %FASTIPC_RET_INLINE is set: its first
 *	@data_len bytes; the kernel leaves the bytes after them untouched.
 */
struct fastipc_ret {
	__u32 op;
	__u32 flags;
	__u64 txn_id;
	__u64 cookie;
	__u64 code;
	__u64 offset;
	__u64 data_len;
	__u32 n_handles;
	__u32 n_fds;
	__u32 sender_pid;
	__u32 sender_euid;
	__u32 reason;
	__u32 reserved;
	__u8 inline_data[FASTIPC_INLINE_MAX];
};

/**
 * FASTIPC_WR_NONBLOCK - do not wait in the read phase: return EAGAIN
 * when no record is ready (as does an fd opened O_NONBLOCK).
 */
#define FASTIPC_WR_NONBLOCK	_BITUL(0)

/**
 * struct fastipc_write_read - argument of %FASTIPC_IOC_WRITE_READ.
 * @flags: %FASTIPC_WR_* flags.
 * @reason: in: must be zero.  Out: when a command of the write buffer
 *	fails, &enum fastipc_reason for it where the errno alone is
 *	ambiguous (a refused SEND: %FASTIPC_REASON_ONEWAY_BUDGET,
 *	%FASTIPC_REASON_SENDER_SHARE, %FASTIPC_REASON_NO_SPACE, ...), else
 *	%FASTIPC_REASON_NONE.
 * @write_buffer: user pointer to an array of &struct fastipc_cmd.
 * @write_size: bytes at @write_buffer (a multiple of the command size).
 * @write_consumed: in/out: bytes of @write_buffer already executed.  The
 *	kernel starts at this offset, so a call interrupted by a signal is
 *	restarted without executing any command twice.
 * @read_buffer: user pointer to an array of &struct fastipc_ret.
 * @read_size: bytes at @read_buffer; zero skips the read phase.
 * @read_consumed: in/out: bytes of @read_buffer already filled.
 */
struct fastipc_write_read {
	__u32 flags;
	__u32 reason;
	__u64 write_buffer;
	__u64 write_size;
	__u64 write_consumed;
	__u64 read_buffer;
	__u64 read_size;
	__u64 read_consumed;
};

/**
 * FASTIPC_IOC_VERSION - query the ABI and release of the running module.
 *
 * Argument: pointer to &struct fastipc_version, filled by the kernel.
 * Works on any open of the device, even from a forked child.
 */
#define FASTIPC_IOC_VERSION	_IOR(FASTIPC_IOC_MAGIC, 0x00, struct fastipc_version)

/**
 * FASTIPC_IOC_WRITE_READ - execute commands, then wait for and read records.
 *
 * Argument: pointer to &struct fastipc_write_read.  The write phase runs
 * the commands one by one; the first one that fails stops it, the ioctl
 * returns its errno and @write_consumed points at it: that command changed
 * nothing.  The read phase then blocks until at least one record is ready
 * (unless non-blocking), fills as many as fit and returns 0.  A thread
 * waiting for a reply reads only records of its own transaction.
 */
#define FASTIPC_IOC_WRITE_READ	_IOWR(FASTIPC_IOC_MAGIC, 0x01, struct fastipc_write_read)

/**
 * FASTIPC_IOC_NODE_CREATE - create a node owned by the caller.
 *
 * Argument: pointer to &struct fastipc_node_create.
 */
#define FASTIPC_IOC_NODE_CREATE	_IOWR(FASTIPC_IOC_MAGIC, 0x02, struct fastipc_node_create)

/**
 * FASTIPC_IOC_SET_CONTEXT_MGR - make the node of the given handle (one the
 * caller owns) the device's context manager, reachable by every peer as
 * handle 0.  Needs CAP_SYS_ADMIN; EBUSY while another manager lives.
 *
 * Argument: pointer to a __u32 handle.
 */
#define FASTIPC_IOC_SET_CONTEXT_MGR	_IOW(FASTIPC_IOC_MAGIC, 0x03, __u32)

/**
 * FASTIPC_IOC_HANDLE_EXPORT - turn a handle into an O_CLOEXEC file
 * descriptor that holds a reference on its node.
 *
 * Argument: pointer to &struct fastipc_handle_fd.
 */
#define FASTIPC_IOC_HANDLE_EXPORT	_IOWR(FASTIPC_IOC_MAGIC, 0x04, struct fastipc_handle_fd)

/**
 * FASTIPC_IOC_HANDLE_IMPORT - turn an exported fd (possibly from another
 * process) into a handle of the caller, taking one reference.
 *
 * Argument: pointer to &struct fastipc_handle_fd.
 */
#define FASTIPC_IOC_HANDLE_IMPORT	_IOWR(FASTIPC_IOC_MAGIC, 0x05, struct fastipc_handle_fd)

/**
 * FASTIPC_IOC_SET_MAX_THREADS - how many loopers the peer wants at most.
 *
 * Argument: pointer to a __u32.  %FASTIPC_RET_SPAWN_LOOPER is sent only
 * while the loopers plus the spawn requests not yet answered are fewer
 * than this (and than the module parameter max_threads, which caps it).
 * Zero: never ask.  The default is the module parameter.
 */
#define FASTIPC_IOC_SET_MAX_THREADS	_IOW(FASTIPC_IOC_MAGIC, 0x06, __u32)

/**
 * struct fastipc_cancel - argument of %FASTIPC_IOC_CANCEL.
 * @txn_id: the call to cancel: a call of the calling peer submitted
 *	through io_uring (its ID is in its record's @txn_id as soon as the
 *	submission returned), or the innermost call a thread of the peer is
 *	blocked in with that ID.  Zero with @tid.
 * @tid: instead of @txn_id: the thread (ID in the caller's namespace) of
 *	the peer whose innermost synchronous call is cancelled; zero with
 *	@txn_id.
 * @flags: must be zero.
 */
struct fastipc_cancel {
	__u64 txn_id;
	__u32 tid;
	__u32 flags;
};

/**
 * FASTIPC_IOC_CANCEL - cancel a call of the calling peer.
 *
 * Argument: pointer to &struct fastipc_cancel.  The call ends at once and
 * exactly once with %FASTIPC_RET_FAILED_REPLY, code ECANCELED, reason
 * %FASTIPC_REASON_CANCELLED (for a ring call its CQE, see &struct
 * fastipc_uring_cmd; for a synchronous call the record its thread reads);
 * the server's later reply is dropped.  ENOENT when no such call is
 * waited for (never made, already answered or cancelled): the call's
 * answer came first, exactly one of the two happens.
 */
#define FASTIPC_IOC_CANCEL	_IOW(FASTIPC_IOC_MAGIC, 0x07, struct fastipc_cancel)

/**
 * FASTIPC_IOC_TXN_WAITED - does the caller of a transaction this peer
 * serves still wait for its answer?
 *
 * Argument: pointer to a __u64 transaction ID of a call the peer received
 * and has not answered.  Returns 0 while its caller waits, ECANCELED once
 * it stopped waiting (the call was cancelled, its deadline passed or its
 * caller died): the server may stop working on it; its answer will be
 * dropped.  ENOENT when the peer has no such pending call.  Any thread of
 * the peer may ask.  %FASTIPC_FEAT_CANCEL.
 */
#define FASTIPC_IOC_TXN_WAITED	_IOW(FASTIPC_IOC_MAGIC, 0x08, __u64)

/**
 * struct fastipc_uring_cmd - the payload of an %IORING_OP_URING_CMD SQE on
 * a peer's fd (the 16 bytes of sqe->cmd: no %IORING_SETUP_SQE128 needed).
 * @cmd: %FASTIPC_URING_CMD: user pointer to one &struct fastipc_cmd, the
 *	command description WRITE_READ takes (CALL, SEND, REPLY,
 *	REPLY_ERROR or SIGNAL; a CALL's %FASTIPC_TXN_DEADLINE with
 *	%FASTIPC_FEAT_URING_DEADLINE).  It and everything it points to
 *	(payload, iovecs, handles, fds) are read during the submission and
 *	may be reused once io_uring_submit() returned.
 *	%FASTIPC_URING_RECV: must be zero.
 *	%FASTIPC_URING_CANCEL: the transaction ID to cancel.
 * @ret: user pointer, 8-byte aligned, to one &struct fastipc_ret that the
 *	completion fills: a CALL's answer, RECV's record.  It must stay
 *	valid until the CQE is reaped.  A CALL's transaction ID is written
 *	to its @txn_id (and zero to its @op) during the submission, for
 *	%FASTIPC_IOC_CANCEL.  Zero for SEND, REPLY, REPLY_ERROR, SIGNAL.
 *
 * sqe->cmd_op is %FASTIPC_URING_CMD, %FASTIPC_URING_RECV or
 * %FASTIPC_URING_CANCEL, sqe->fd the peer's fd (only its opener may
 * submit), sqe->user_data the caller's.  The CQE:
 *
 * - res < 0: -errno, no record written: the SQE or the command was
 *   refused with nothing done (EINVAL, EFAULT, ENOENT, EPERM, EBUSY,
 *   ENOSPC, EOPNOTSUPP: unknown cmd_op or a submission from an io_uring
 *   worker where the submitting thread matters), the record could not be
 *   written (EFAULT), or the command was given up: ECANCELED when the
 *   ring or the submitting task went away, EPIPE when the peer died.
 *   With %IORING_SETUP_CQE32, big_cqe[0] holds &enum fastipc_reason where
 *   the errno alone is ambiguous (a refused SEND), as
 *   &fastipc_write_read.reason does.
 * - SEND, REPLY, REPLY_ERROR, SIGNAL, CANCEL: res 0, done at once (no
 *   record).
 * - CALL: res is the &enum fastipc_ret_op of the answer written at @ret:
 *   %FASTIPC_RET_REPLY, %FASTIPC_RET_DEAD_REPLY or
 *   %FASTIPC_RET_FAILED_REPLY, exactly as WRITE_READ would have read it.
 *   big_cqe[0]: for a REPLY, the payload's area offset in bits 63..32
 *   (%FASTIPC_URING_INLINE when it is inline in the record) and its
 *   length in bits 31..0; for a failure, the reason in bits 63..32 and
 *   the errno in bits 31..0.
 * - RECV: res is the &enum fastipc_ret_op of the record written at @ret
 *   (the next record for the submitting thread, as a non-blocking
 *   WRITE_READ read phase with room for one record would give);
 *   big_cqe[0] is its transaction ID.
 *
 * Each call submitted has its own transaction ID (never a nested one),
 * known from the answer record or through %FASTIPC_IOC_CANCEL's caller.
 * Completions come in any order; each SQE completes exactly once, also
 * when the server or the peer dies, the ring is closed or the submitting
 * task exits.
 */
struct fastipc_uring_cmd {
	__u64 cmd;
	__u64 ret;
};

/**
 * FASTIPC_URING_CMD - sqe->cmd_op: run the command at
 * &fastipc_uring_cmd.cmd; a CALL completes when answered.
 */
#define FASTIPC_URING_CMD	_IOW(FASTIPC_IOC_MAGIC, 0x20, struct fastipc_uring_cmd)

/**
 * FASTIPC_URING_RECV - sqe->cmd_op: complete with the next record for the
 * submitting thread (a transaction, a death notice...), written at
 * &fastipc_uring_cmd.ret.  Submit one per record expected.
 */
#define FASTIPC_URING_RECV	_IOR(FASTIPC_IOC_MAGIC, 0x21, struct fastipc_uring_cmd)

/**
 * FASTIPC_URING_CANCEL - sqe->cmd_op: cancel the peer's call whose
 * transaction ID is &fastipc_uring_cmd.cmd (&fastipc_uring_cmd.ret zero),
 * as %FASTIPC_IOC_CANCEL does; completes at once, res 0 or -%ENOENT.
 * %FASTIPC_FEAT_URING_DEADLINE.
 */
#define FASTIPC_URING_CANCEL	_IOW(FASTIPC_IOC_MAGIC, 0x22, struct fastipc_uring_cmd)

/**
 * FASTIPC_URING_INLINE - in a REPLY's big_cqe[0] bits 63..32: the payload
 * is in &fastipc_ret.inline_data, not in the receive area.
 */
#define FASTIPC_URING_INLINE	0xffffffffU

#endif /* _UAPI_LINUX_FASTIPC_H */
