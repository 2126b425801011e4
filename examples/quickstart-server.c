// SPDX-License-Identifier: MIT
/* quickstart-server SOCKET: upper-case text for whoever connects to SOCKET. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <fastipc.h>

static int upcase(struct fastipc_txn *txn, void *cookie)
{
	char out[256];
	size_t i, n = txn->len < sizeof(out) ? txn->len : sizeof(out);
	struct iovec iov = { out, n };
	struct fastipc_msg reply = { .iov = &iov, .iov_count = 1 };

	for (i = 0; i < n; i++)
		out[i] = toupper(((const unsigned char *)txn->data)[i]);
	return fastipc_reply(txn, &reply);
}

static void *serve(void *peer)
{
	fastipc_loop(peer);	/* serves the node on a thread pool */
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct fastipc_peer *peer;
	pthread_t thread;
	uint32_t node;
	int lsock, sock;

	if (argc != 2 || fastipc_peer_open(&peer, NULL) ||
	    fastipc_node_create(peer, upcase, NULL, NULL, &node) ||
	    pthread_create(&thread, NULL, serve, peer))
		return 1;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", argv[1]);
	lsock = socket(AF_UNIX, SOCK_STREAM, 0);
	unlink(argv[1]);
	if (bind(lsock, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lsock, 16))
		return 1;
	printf("serving on %s\n", argv[1]);
	fflush(stdout);
	while ((sock = accept(lsock, NULL, NULL)) >= 0) {
		fastipc_handle_send(peer, sock, node);	/* one handle each */
		close(sock);
	}
	return 1;
}
