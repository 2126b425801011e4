// SPDX-License-Identifier: MIT
/* quickstart-client SOCKET TEXT: get TEXT upper-cased by quickstart-server. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <fastipc.h>

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct fastipc_peer *peer;
	struct iovec iov;
	struct fastipc_msg msg = { .iov = &iov, .iov_count = 1 };
	char reply[256];
	uint32_t node;
	ssize_t n;
	int sock;

	if (argc != 3 || fastipc_peer_open(&peer, NULL))
		return 1;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", argv[1]);
	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) ||
	    fastipc_handle_recv(peer, sock, &node))
		return 1;
	iov = (struct iovec){ argv[2], strlen(argv[2]) };
	n = fastipc_call_copy(peer, node, &msg, reply, sizeof(reply), NULL);
	if (n < 0) {
		fprintf(stderr, "call: %s\n", strerror(-n));
		return 1;
	}
	printf("%.*s\n", (int)n, reply);
	fastipc_peer_close(peer);
	return 0;
}
