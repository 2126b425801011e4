// SPDX-License-Identifier: MIT
/*
 * async-calls [TOTAL]: one client thread keeps 64 calls in flight to four
 * servers and reaps them, with a file read, from one io_uring ring.
 *
 * The servers are four peers of this process, each serving its node on a
 * thread pool (fastipc_loop()); the client peer gets a handle to each.
 * Every answer is checked (the server returns the payload and code + 1).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <liburing.h>

#include "example.h"

#define SERVERS		4
#define INFLIGHT	64

static int add_one(struct fastipc_txn *txn, void *cookie)
{
	struct iovec iov = { (void *)txn->data, txn->len };
	struct fastipc_msg m = { .code = txn->code + 1, .iov = &iov,
				 .iov_count = 1 };

	return fastipc_reply(txn, &m);
}

static void *serve(void *peer)
{
	fastipc_loop(peer);
	return NULL;
}

/* One slot of the window: a call in flight and its payload. */
struct slot {
	struct fastipc_async call;
	char text[32];
	struct iovec iov;
	uint64_t code;
};

static int submit_call(struct io_uring *ring, struct fastipc_peer *c,
		       const uint32_t *h, struct slot *s, unsigned long n)
{
	struct fastipc_msg m = { .iov = &s->iov, .iov_count = 1 };

	s->code = n;
	m.code = n;
	snprintf(s->text, sizeof(s->text), "call %lu", n);
	s->iov = (struct iovec){ s->text, strlen(s->text) };
	return fastipc_prep_call(io_uring_get_sqe(ring), c, h[n % SERVERS], &m,
				 &s->call);
}

int main(int argc, char **argv)
{
	unsigned long total = argc > 1 ? strtoul(argv[1], NULL, 0) : 10000;
	unsigned long sent = 0, done = 0, enters = 0;
	static struct slot slots[INFLIGHT];
	struct fastipc_peer *srv[SERVERS], *c;
	uint32_t node, h[SERVERS];
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct fastipc_reply rep;
	struct io_uring ring;
	pthread_t thr[SERVERS];
	char filebuf[256];
	bool file_done = false;
	int i, fd, efd, ret;

	if (fastipc_peer_open(&c, NULL))
		return 1;
	if (!(fastipc_peer_features(c) & FASTIPC_FEAT_URING)) {
		fprintf(stderr, "async-calls: the module has no io_uring support\n");
		return 1;
	}
	for (i = 0; i < SERVERS; i++) {
		if (fastipc_peer_open(&srv[i], NULL) ||
		    fastipc_node_create(srv[i], add_one, NULL, NULL, &node) ||
		    pthread_create(&thr[i], NULL, serve, srv[i]))
			return 1;
		efd = fastipc_handle_export(srv[i], node);
		if (efd < 0 || fastipc_handle_import(c, efd, &h[i]))
			return 1;
		close(efd);
	}
	if (io_uring_queue_init(2 * INFLIGHT, &ring, 0))
		return 1;

	/* A file read travels on the same ring as the calls. */
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, filebuf, sizeof(filebuf), 0);
	io_uring_sqe_set_data(sqe, NULL);

	for (i = 0; i < INFLIGHT && sent < total; i++)
		if (submit_call(&ring, c, h, &slots[i], sent++))
			return 1;
	while (done < total || !file_done) {
		ret = io_uring_submit_and_wait(&ring, 1);
		enters++;
		if (ret < 0)
			return 1;
		while (!io_uring_peek_cqe(&ring, &cqe)) {
			struct slot *s = io_uring_cqe_get_data(cqe);

			if (!s) {	/* the file read */
				if (cqe->res <= 0)
					return 1;
				file_done = true;
				io_uring_cqe_seen(&ring, cqe);
				continue;
			}
			ret = fastipc_async_complete(c, cqe, &s->call, &rep);
			io_uring_cqe_seen(&ring, cqe);
			if (ret || rep.code != s->code + 1 ||
			    rep.len != strlen(s->text) ||
			    memcmp(rep.data, s->text, rep.len)) {
				fprintf(stderr, "call %lu: bad answer (%d)\n",
					(unsigned long)s->code, ret);
				return 1;
			}
			fastipc_reply_release(c, &rep);
			done++;
			if (sent < total && submit_call(&ring, c, h, s, sent++))
				return 1;
		}
	}
	printf("async-calls: %lu calls, %d in flight, %.3f io_uring_enter per call, file read ok\n",
	       done, INFLIGHT, (double)enters / done);
	io_uring_queue_exit(&ring);
	close(fd);
	fastipc_peer_close(c);
	for (i = 0; i < SERVERS; i++) {
		fastipc_loop_stop(srv[i]);
		pthread_join(thr[i], NULL);
		fastipc_peer_close(srv[i]);
	}
	return 0;
}
