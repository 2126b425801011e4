// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-pb-bench: what protobuf costs on top of a call.  One process, a
 * server peer with two nodes served by a looper, a client peer calling
 * them in turn: a raw fastipc_call() of N payload bytes answered with the
 * same bytes, and the example service's Echo RPC of a Blob of N bytes
 * (pack, call, unpack on both sides).  Rounds alternate the two; each
 * round times a batch of calls; the medians over rounds are printed, per
 * call.  Every reply's bytes are checked.
 *
 *   fastipc-pb-bench [-r ROUNDS] [-n CALLS]     (default 11 rounds of 200)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fastipc-protobuf.h>

#include "demo.pb-c.h"
#include "demo-service.h"

static int echo(struct fastipc_txn *txn, void *cookie)
{
	struct iovec iov = { (void *)txn->data, txn->len };
	struct fastipc_msg m = { .iov = &iov, .iov_count = 1 };

	return fastipc_reply(txn, &m);
}

static void *serve(void *peer)
{
	fastipc_loop(peer);
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct check {
	const uint8_t *want;
	size_t len;
	int bad;
};

static void blob_done(const Fipcdemo__Blob *m, void *data)
{
	struct check *c = data;

	c->bad += !m || m->data.len != c->len ||
		  memcmp(m->data.data, c->want, c->len);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 4096 };
	struct fastipc_peer *s, *c;
	uint32_t raw_node, pb_node, raw_h, pb_h;
	ProtobufCService *svc;
	unsigned int rounds = 11, calls = 200, r, i, k;
	uint64_t *raw_t, *pb_t, t0;
	uint8_t buf[4096], out[4096];
	pthread_t thr;
	int opt, fd, ret = 0;

	while ((opt = getopt(argc, argv, "r:n:")) != -1) {
		if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'n')
			calls = atoi(optarg);
		else
			return 2;
	}
	raw_t = calloc(rounds, sizeof(*raw_t));
	pb_t = calloc(rounds, sizeof(*pb_t));
	if (!raw_t || !pb_t || !rounds || !calls ||
	    fastipc_peer_open(&s, NULL) || fastipc_peer_open(&c, NULL) ||
	    fastipc_node_create(s, echo, NULL, NULL, &raw_node) ||
	    fastipc_pb_node_create(s, &demo_service.base, NULL, &pb_node) ||
	    pthread_create(&thr, NULL, serve, s)) {
		fprintf(stderr, "fastipc-pb-bench: setup failed\n");
		return 1;
	}
	fd = fastipc_handle_export(s, raw_node);
	fastipc_handle_import(c, fd, &raw_h);
	close(fd);
	fd = fastipc_handle_export(s, pb_node);
	fastipc_handle_import(c, fd, &pb_h);
	close(fd);
	if (fastipc_pb_client_new(c, pb_h, &fipcdemo__demo__descriptor, &svc))
		return 1;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i * 37 + 11;
	printf("# fastipc-pb-bench: median per call over %u rounds of %u\n",
	       rounds, calls);
	printf("# %8s %12s %12s %8s %10s\n", "payload", "raw call",
	       "protobuf", "ratio", "packed");
	for (k = 0; k < 2; k++) {
		size_t len = sizes[k];
		struct iovec iov = { buf, len };
		struct fastipc_msg m = { .iov = &iov, .iov_count = 1 };
		Fipcdemo__Blob b = FIPCDEMO__BLOB__INIT;
		struct check chk = { buf, len, 0 };
		ssize_t n;

		b.data.data = buf;
		b.data.len = len;
		for (r = 0; r < rounds; r++) {
			t0 = now_ns();
			for (i = 0; i < calls; i++) {
				n = fastipc_call_copy(c, raw_h, &m, out,
						      sizeof(out), NULL);
				chk.bad += n != (ssize_t)len ||
					   memcmp(out, buf, len);
			}
			raw_t[r] = now_ns() - t0;
			t0 = now_ns();
			for (i = 0; i < calls; i++)
				fipcdemo__demo__echo(svc, &b, blob_done, &chk);
			pb_t[r] = now_ns() - t0;
		}
		qsort(raw_t, rounds, sizeof(*raw_t), cmp_u64);
		qsort(pb_t, rounds, sizeof(*pb_t), cmp_u64);
		printf("# %6zu B %9.2f us %9.2f us %7.2fx %8zu B\n", len,
		       raw_t[rounds / 2] / 1e3 / calls,
		       pb_t[rounds / 2] / 1e3 / calls,
		       (double)pb_t[rounds / 2] / raw_t[rounds / 2],
		       protobuf_c_message_get_packed_size(&b.base));
		if (chk.bad) {
			printf("# %zu B: %d WRONG REPLIES\n", len, chk.bad);
			ret = 1;
		}
	}
	protobuf_c_service_destroy(svc);
	fastipc_handle_release(c, pb_h);
	fastipc_handle_release(c, raw_h);
	fastipc_peer_close(c);
	fastipc_loop_stop(s);
	pthread_join(thr, NULL);
	fastipc_peer_close(s);
	return ret;
}
