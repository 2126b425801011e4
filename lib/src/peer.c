// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libfastipc: opening and closing a peer, the ioctl wrappers and the
 * per-thread bookkeeping that makes an exiting thread leave the peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define FIPC_DEV	"/dev/fastipc"

/* A thread that used a peer exits: tell the kernel to forget it. */
static void fipc_thread_destructor(void *arg)
{
	struct fastipc_peer *peer = arg;
	struct fastipc_cmd c = { .op = FASTIPC_CMD_LOOPER_EXIT };
	struct fastipc_write_read wr = {
		.write_buffer = fipc_u64(&c),
		.write_size = FIPC_CMD_SIZE,
	};
	int saved = errno;

	/* Not through __fastipc_wr(): that would register the thread again. */
	while (ioctl(peer->fd, FASTIPC_IOC_WRITE_READ, &wr) && errno == EINTR)
		;
	errno = saved;
}

void __fastipc_thread_register(struct fastipc_peer *peer)
{
	if (!pthread_getspecific(peer->key))
		pthread_setspecific(peer->key, peer);
}

int __fastipc_wr(struct fastipc_peer *peer, struct fastipc_write_read *wr)
{
	int ret;

	__fastipc_thread_register(peer);
	do {
		ret = ioctl(peer->fd, FASTIPC_IOC_WRITE_READ, wr);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

int __fastipc_write(struct fastipc_peer *peer,
		    const struct fastipc_cmd *cmds, unsigned int n)
{
	struct fastipc_write_read wr = {
		.write_buffer = fipc_u64(cmds),
		.write_size = n * FIPC_CMD_SIZE,
	};

	return __fastipc_wr(peer, &wr);
}

int __fastipc_cmd1(struct fastipc_peer *peer, uint32_t op, uint32_t handle,
		   uint64_t arg)
{
	struct fastipc_cmd c = { .op = op, .handle = handle, .arg = arg };

	return __fastipc_write(peer, &c, 1);
}

int fastipc_peer_open(struct fastipc_peer **out,
		      const struct fastipc_peer_opts *opts)
{
	static const struct fastipc_peer_opts defaults;
	struct fastipc_version v;
	struct fastipc_peer *peer;
	long page = sysconf(_SC_PAGESIZE);
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (opts->flags || opts->reserved[0])
		return -EINVAL;
	if (page <= 0 || opts->area_size % (size_t)page)
		return -EINVAL;
	peer = calloc(1, sizeof(*peer));
	if (!peer)
		return -ENOMEM;
	peer->area_size = opts->area_size ? opts->area_size :
			  FASTIPC_DEFAULT_AREA_SIZE;
	peer->max_threads = opts->max_threads ? opts->max_threads :
			    FASTIPC_DEFAULT_MAX_THREADS;
	peer->next_death = 1;
	peer->fd = open(FIPC_DEV, O_RDWR | O_CLOEXEC);
	if (peer->fd < 0) {
		ret = -errno;
		goto err_free;
	}
	if (ioctl(peer->fd, FASTIPC_IOC_VERSION, &v)) {
		ret = -errno;
		goto err_close;
	}
	if (v.abi != FASTIPC_ABI_VERSION) {
		ret = -EPROTO;
		goto err_close;
	}
	if (opts->required_features & ~v.features) {
		ret = -EOPNOTSUPP;
		goto err_close;
	}
	peer->features = v.features;
	/* The kernel then asks for no more loopers than the pool takes. */
	if ((v.features & FASTIPC_FEAT_MAX_THREADS) &&
	    ioctl(peer->fd, FASTIPC_IOC_SET_MAX_THREADS, &peer->max_threads)) {
		ret = -errno;
		goto err_close;
	}
	peer->area = mmap(NULL, peer->area_size, PROT_READ, MAP_SHARED,
			  peer->fd, 0);
	if (peer->area == MAP_FAILED) {
		ret = -errno;
		goto err_close;
	}
	ret = -pthread_key_create(&peer->key, fipc_thread_destructor);
	if (ret)
		goto err_unmap;
	pthread_mutex_init(&peer->lock, NULL);
	pthread_cond_init(&peer->cond, NULL);
	*out = peer;
	return 0;

err_unmap:
	munmap(peer->area, peer->area_size);
err_close:
	close(peer->fd);
err_free:
	free(peer);
	return ret;
}

void fastipc_peer_close(struct fastipc_peer *peer)
{
	if (!peer)
		return;
	pthread_mutex_lock(&peer->lock);
	if (peer->loopers) {
		pthread_mutex_unlock(&peer->lock);
		fastipc_loop_stop(peer);
		pthread_mutex_lock(&peer->lock);
		while (peer->loopers)
			pthread_cond_wait(&peer->cond, &peer->lock);
	}
	pthread_mutex_unlock(&peer->lock);
	/* No destructor may run for this peer once it is gone. */
	pthread_key_delete(peer->key);
	__fastipc_nodes_free(peer);
	__fastipc_deaths_free(peer);
	munmap(peer->area, peer->area_size);
	close(peer->fd);
	pthread_cond_destroy(&peer->cond);
	pthread_mutex_destroy(&peer->lock);
	free(peer);
}

int fastipc_peer_fd(const struct fastipc_peer *peer)
{
	return peer ? peer->fd : -EINVAL;
}

uint64_t fastipc_peer_features(const struct fastipc_peer *peer)
{
	return peer ? peer->features : 0;
}

int fastipc_peer_version(struct fastipc_peer *peer,
			 struct fastipc_version *version)
{
	if (!peer || !version)
		return -EINVAL;
	return ioctl(peer->fd, FASTIPC_IOC_VERSION, version) ? -errno : 0;
}

int fastipc_thread_leave(struct fastipc_peer *peer)
{
	int ret;

	if (!peer)
		return -EINVAL;
	ret = __fastipc_cmd1(peer, FASTIPC_CMD_LOOPER_EXIT, 0, 0);
	pthread_setspecific(peer->key, NULL);
	return ret;
}

const char *fastipc_strreason(unsigned int reason)
{
	static const char *const names[] = {
		[FASTIPC_REASON_NONE] = "none",
		[FASTIPC_REASON_DEAD_TARGET] = "dead target",
		[FASTIPC_REASON_NO_SPACE] = "no space in the receive area",
		[FASTIPC_REASON_NO_AREA] = "receiver has no receive area",
		[FASTIPC_REASON_REPLIED_ERROR] = "server replied with an error",
		[FASTIPC_REASON_ONEWAY_BUDGET] = "one-way budget exceeded",
		[FASTIPC_REASON_TIMED_OUT] = "deadline passed",
		[FASTIPC_REASON_SENDER_SHARE] =
			"sender's share of the one-way budget exceeded",
		[FASTIPC_REASON_HANDLE_LIMIT] = "receiver at its handle limit",
		[FASTIPC_REASON_UNANSWERED] =
			"too many timed-out calls unanswered",
		[FASTIPC_REASON_CANCELLED] = "call cancelled",
	};

	if (reason >= sizeof(names) / sizeof(*names))
		return "unknown";
	return names[reason];
}
