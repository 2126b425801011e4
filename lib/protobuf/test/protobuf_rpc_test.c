// SPDX-License-Identifier: GPL-2.0
/*
 * libfastipc-protobuf: the example service (examples/protobuf/demo.proto)
 * through generated stubs: every method, errors of the implementation,
 * an unknown method, malformed messages on either side, large messages,
 * a deadline, concurrent clients.
 */
#define _GNU_SOURCE
#include <fastipc-protobuf.h>

#include "lib_test.h"
#include "demo.pb-c.h"
#include "demo-service.h"

#define AREA	(4 * FIPC_MIB)

/* The example service on a node of its own peer, served by a pool. */
struct pb_server {
	struct fastipc_peer *p;
	uint32_t node;
	pthread_t thr;
};

static void *pb_loop(void *peer)
{
	fastipc_loop(peer);
	return NULL;
}

static int pb_server_start(struct pb_server *s, ProtobufCService *service,
			   fastipc_handler_fn raw)
{
	struct fastipc_peer_opts o = { .area_size = AREA, .max_threads = 4 };
	int ret;

	ret = fastipc_peer_open(&s->p, &o);
	if (ret)
		return ret;
	ret = service ? fastipc_pb_node_create(s->p, service, NULL, &s->node) :
			fastipc_node_create(s->p, raw, NULL, NULL, &s->node);
	if (!ret)
		ret = -pthread_create(&s->thr, NULL, pb_loop, s->p);
	if (ret)
		fastipc_peer_close(s->p);
	return ret;
}

static void pb_server_stop(struct pb_server *s)
{
	fastipc_loop_stop(s->p);
	pthread_join(s->thr, NULL);
	fastipc_peer_close(s->p);
}

/* A client peer with a handle to the server's node, and its service. */
static int pb_client(struct pb_server *s, struct fastipc_peer **c,
		     uint32_t *h, ProtobufCService **svc)
{
	struct fastipc_peer_opts o = { .area_size = AREA };
	int fd, ret;

	ret = fastipc_peer_open(c, &o);
	if (ret)
		return ret;
	fd = fastipc_handle_export(s->p, s->node);
	if (fd < 0)
		return fd;
	ret = fastipc_handle_import(*c, fd, h);
	close(fd);
	if (!ret)
		ret = fastipc_pb_client_new(*c, *h, &fipcdemo__demo__descriptor,
					    svc);
	return ret;
}

/* What a closure saw. */
struct seen {
	int calls;
	bool null;
	char text[64];
	int64_t total;
	size_t len;
	const uint8_t *expect;
	bool same;
};

static void text_done(const Fipcdemo__Text *m, void *data)
{
	struct seen *s = data;

	s->calls++;
	s->null = !m;
	if (m)
		snprintf(s->text, sizeof(s->text), "%s", m->text);
}

static void total_done(const Fipcdemo__Total *m, void *data)
{
	struct seen *s = data;

	s->calls++;
	s->null = !m;
	if (m)
		s->total = m->total;
}

static void blob_done(const Fipcdemo__Blob *m, void *data)
{
	struct seen *s = data;

	s->calls++;
	s->null = !m;
	if (m) {
		s->len = m->data.len;
		s->same = !memcmp(m->data.data, s->expect, m->data.len);
	}
}

static void empty_done(const Fipcdemo__Empty *m, void *data)
{
	struct seen *s = data;

	s->calls++;
	s->null = !m;
}

FIXTURE(pb) {
	struct pb_server s;
	struct fastipc_peer *c;
	uint32_t h;
	ProtobufCService *svc;
};

FIXTURE_SETUP(pb)
{
	ASSERT_EQ(0, pb_server_start(&self->s, &demo_service.base, NULL));
	ASSERT_EQ(0, pb_client(&self->s, &self->c, &self->h, &self->svc));
}

FIXTURE_TEARDOWN(pb)
{
	protobuf_c_service_destroy(self->svc);
	/* The service held its own reference: ours is still there. */
	EXPECT_EQ(0, fastipc_handle_release(self->c, self->h));
	fastipc_peer_close(self->c);
	pb_server_stop(&self->s);
	FIPC_EXPECT_ZERO();
}

TEST_F(pb, every_method)
{
	Fipcdemo__Text t = FIPCDEMO__TEXT__INIT;
	Fipcdemo__Numbers n = FIPCDEMO__NUMBERS__INIT;
	Fipcdemo__Blob b = FIPCDEMO__BLOB__INIT;
	int64_t v[] = { 1, 2, 3, -10, 1LL << 40 };
	uint8_t bytes[100];
	struct seen s = { 0 };
	int i;

	t.text = "hello, protobuf";
	fipcdemo__demo__upcase(self->svc, &t, text_done, &s);
	EXPECT_EQ(1, s.calls);
	EXPECT_FALSE(s.null);
	EXPECT_STREQ("HELLO, PROTOBUF", s.text);
	EXPECT_EQ(0, fastipc_pb_last_error());

	n.values = v;
	n.n_values = 5;
	fipcdemo__demo__add(self->svc, &n, total_done, &s);
	EXPECT_EQ(2, s.calls);
	EXPECT_EQ(-4 + (1LL << 40), s.total);
	n.n_values = 0;		/* proto3: an empty message is 0 bytes */
	fipcdemo__demo__add(self->svc, &n, total_done, &s);
	EXPECT_EQ(0, s.total);

	for (i = 0; i < (int)sizeof(bytes); i++)
		bytes[i] = i * 7;
	b.data.data = bytes;
	b.data.len = sizeof(bytes);
	s.expect = bytes;
	fipcdemo__demo__echo(self->svc, &b, blob_done, &s);
	EXPECT_EQ(sizeof(bytes), s.len);
	EXPECT_TRUE(s.same);
	EXPECT_EQ(4, s.calls);
}

TEST_F(pb, errors_of_the_implementation)
{
	Fipcdemo__Text t = FIPCDEMO__TEXT__INIT;
	struct seen s = { 0 };

	t.text = "EACCES";
	fipcdemo__demo__fail(self->svc, &t, empty_done, &s);
	EXPECT_EQ(1, s.calls);
	EXPECT_TRUE(s.null);
	EXPECT_EQ(-EACCES, fastipc_pb_last_error());
	t.text = "ENOSPC";
	fipcdemo__demo__fail(self->svc, &t, empty_done, &s);
	EXPECT_EQ(-ENOSPC, fastipc_pb_last_error());
	t.text = "closure(NULL)";
	fipcdemo__demo__fail(self->svc, &t, empty_done, &s);
	EXPECT_EQ(-EIO, fastipc_pb_last_error());
	EXPECT_EQ(3, s.calls);
	/* The next success clears it. */
	t.text = "x";
	fipcdemo__demo__upcase(self->svc, &t, text_done, &s);
	EXPECT_FALSE(s.null);
	EXPECT_EQ(0, fastipc_pb_last_error());
}

TEST_F(pb, unknown_method_and_wrong_input)
{
	Fipcdemo__Numbers n = FIPCDEMO__NUMBERS__INIT;
	struct fastipc_msg m = { .code = 4 };	/* Demo has methods 0-3 */
	struct fastipc_reply r;
	struct seen s = { 0 };

	EXPECT_EQ(-EBADRQC, fastipc_call(self->c, self->h, &m, &r));
	m.code = 1ULL << 40;
	EXPECT_EQ(-EBADRQC, fastipc_call(self->c, self->h, &m, &r));
	/* Refused by the client before any call. */
	self->svc->invoke(self->svc, 4, &n.base,
			  (ProtobufCClosure)total_done, &s);
	EXPECT_TRUE(s.null);
	EXPECT_EQ(-EINVAL, fastipc_pb_last_error());
	/* Upcase takes a Text, not Numbers. */
	self->svc->invoke(self->svc, 0, &n.base,
			  (ProtobufCClosure)total_done, &s);
	EXPECT_EQ(-EINVAL, fastipc_pb_last_error());
	EXPECT_EQ(2, s.calls);
}

TEST_F(pb, malformed_input_is_refused_cleanly)
{
	static const uint8_t junk[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f };
	struct iovec iov = { (void *)junk, sizeof(junk) };
	struct fastipc_msg m = { .code = 0, .iov = &iov, .iov_count = 1 };
	Fipcdemo__Text t = FIPCDEMO__TEXT__INIT;
	struct fastipc_reply r;
	struct seen s = { 0 };

	EXPECT_EQ(-EBADMSG, fastipc_call(self->c, self->h, &m, &r));
	EXPECT_EQ(FASTIPC_REASON_REPLIED_ERROR, r.reason);
	/* The server lives on. */
	t.text = "still there";
	fipcdemo__demo__upcase(self->svc, &t, text_done, &s);
	EXPECT_STREQ("STILL THERE", s.text);
}

/* A node that answers every call with bytes that are no message. */
static int junk_handler(struct fastipc_txn *txn, void *cookie)
{
	static const uint8_t junk[] = { 0x0a, 0x80 };
	struct iovec iov = { (void *)junk, sizeof(junk) };
	struct fastipc_msg m = { .iov = &iov, .iov_count = 1 };

	return fastipc_reply(txn, &m);
}

TEST(malformed_reply_is_refused_cleanly)
{
	Fipcdemo__Text t = FIPCDEMO__TEXT__INIT;
	struct pb_server srv;
	struct fastipc_peer *c;
	ProtobufCService *svc;
	struct seen s = { 0 };
	uint32_t h;

	ASSERT_EQ(0, pb_server_start(&srv, NULL, junk_handler));
	ASSERT_EQ(0, pb_client(&srv, &c, &h, &svc));
	t.text = "x";
	fipcdemo__demo__upcase(svc, &t, text_done, &s);
	EXPECT_EQ(1, s.calls);
	EXPECT_TRUE(s.null);
	EXPECT_EQ(-EBADMSG, fastipc_pb_last_error());
	protobuf_c_service_destroy(svc);
	fastipc_handle_release(c, h);
	fastipc_peer_close(c);
	pb_server_stop(&srv);
	FIPC_EXPECT_ZERO();
}

TEST_F(pb, large_messages)
{
	static const size_t sizes[] = { 4096, 65536, 1 << 20, 3 << 20 };
	Fipcdemo__Blob b = FIPCDEMO__BLOB__INIT;
	struct seen s = { 0 };
	uint8_t *bytes;
	size_t i, k;

	bytes = malloc(sizes[3]);
	ASSERT_NE(NULL, bytes);
	for (i = 0; i < sizes[3]; i++)
		bytes[i] = (i * 131) >> 3;
	s.expect = bytes;
	b.data.data = bytes;
	for (k = 0; k < 4; k++) {
		b.data.len = sizes[k];
		s.len = 0;
		s.same = false;
		fipcdemo__demo__echo(self->svc, &b, blob_done, &s);
		EXPECT_EQ(0, fastipc_pb_last_error());
		EXPECT_EQ(sizes[k], s.len);
		EXPECT_TRUE(s.same);
	}
	/* More than the 4 MiB receive area holds: -ENOSPC, nothing else. */
	free(bytes);
	b.data.len = 5 << 20;
	b.data.data = calloc(1, b.data.len);
	ASSERT_NE(NULL, b.data.data);
	fipcdemo__demo__echo(self->svc, &b, blob_done, &s);
	EXPECT_TRUE(s.null);
	EXPECT_EQ(-ENOSPC, fastipc_pb_last_error());
	free(b.data.data);
}

TEST_F(pb, deadline)
{
	Fipcdemo__Text t = FIPCDEMO__TEXT__INIT;
	struct seen s = { 0 };

	if (!(fastipc_peer_features(self->c) & FASTIPC_FEAT_DEADLINE))
		SKIP(return, "no FASTIPC_FEAT_DEADLINE");
	t.text = "in time";
	fastipc_pb_client_set_timeout(self->svc, 10ULL * 1000000000ULL);
	fipcdemo__demo__upcase(self->svc, &t, text_done, &s);
	EXPECT_EQ(0, fastipc_pb_last_error());
	EXPECT_STREQ("IN TIME", s.text);
	/* 1 ns: passed before the server can answer. */
	fastipc_pb_client_set_timeout(self->svc, 1);
	fipcdemo__demo__upcase(self->svc, &t, text_done, &s);
	EXPECT_TRUE(s.null);
	EXPECT_EQ(-ETIMEDOUT, fastipc_pb_last_error());
	fastipc_pb_client_set_timeout(self->svc, 0);
}

#define CLIENTS	4
#define CALLS	200

struct worker {
	struct pb_server *s;
	int id;
	int good;
};

static void *pb_worker(void *arg)
{
	struct worker *w = arg;
	Fipcdemo__Numbers n = FIPCDEMO__NUMBERS__INIT;
	struct fastipc_peer *c;
	ProtobufCService *svc;
	struct seen s = { 0 };
	int64_t v[2];
	uint32_t h;
	int i;

	if (pb_client(w->s, &c, &h, &svc))
		return NULL;
	n.values = v;
	n.n_values = 2;
	for (i = 0; i < CALLS; i++) {
		v[0] = w->id * 100000;
		v[1] = i;
		s.total = -1;
		fipcdemo__demo__add(svc, &n, total_done, &s);
		w->good += !fastipc_pb_last_error() &&
			   s.total == w->id * 100000 + i;
	}
	protobuf_c_service_destroy(svc);
	fastipc_handle_release(c, h);
	fastipc_peer_close(c);
	return NULL;
}

TEST_F(pb, concurrent_clients)
{
	struct worker w[CLIENTS];
	pthread_t t[CLIENTS];
	int i;

	for (i = 0; i < CLIENTS; i++) {
		w[i] = (struct worker){ .s = &self->s, .id = i + 1 };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, pb_worker, &w[i]));
	}
	for (i = 0; i < CLIENTS; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(CALLS, w[i].good);
	}
}

TEST_HARNESS_MAIN
