// SPDX-License-Identifier: GPL-2.0
/*
 * trace-workload: a known workload for fastipc-trace's guest test.
 *
 *   trace-workload N1 N2 N3 T GOFILE
 *
 * A server (this process, nice 5, so that every call raises it) serves one
 * node: code 1 sleeps 5 ms, code 2 sleeps 40 ms, code 3 answers
 * REPLY_ERROR EINVAL, code 4 answers and stops the server, code 5 sleeps
 * 300 ms.  A client (nice 0) forks a victim that owns a node of its own,
 * imports it and watches its death, prints "ready server=S client=C
 * victim=V", and waits for GOFILE to exist.  Then: N1 calls of code 1, N2
 * of code 2, N3 of code 3; the victim dies (one death notice), a call to
 * its node fails (dead target); T calls of code 5 with a 5 ms deadline
 * time out (a server sleeping 300 ms leaves no doubt); a code 4 call ends
 * the server.  The client's last line is "late=L": the deadline calls
 * answered instead (they should not be).  Exit status 0 when every call
 * ended as planned, late ones aside.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fastipc.h>

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int serve(struct fastipc_txn *txn, void *cookie)
{
	(void)cookie;
	switch (txn->code) {
	case 1:
		msleep(5);
		return 0;
	case 2:
		msleep(40);
		return 0;
	case 3:
		return fastipc_reply_error(txn, EINVAL);
	case 4:
		fastipc_loop_stop(txn->peer);
		return 0;
	case 5:
		msleep(300);
		return 0;
	}
	return -ENOSYS;
}

static int victim_serve(struct fastipc_txn *txn, void *cookie)
{
	(void)txn;
	(void)cookie;
	return 0;
}

static void send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, c = 0;
	struct iovec iov = { &c, 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &mh, 0) != 1)
		exit(10);
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { &c, 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* The victim: owns a node, hands it over, dies when told to. */
static void victim(int sock)
{
	struct fastipc_peer *p;
	uint32_t node;
	char c;
	int fd;

	if (fastipc_peer_open(&p, NULL) ||
	    fastipc_node_create(p, victim_serve, NULL, NULL, &node))
		_exit(11);
	fd = fastipc_handle_export(p, node);
	if (fd < 0)
		_exit(12);
	send_fd(sock, fd);
	(void)!read(sock, &c, 1);
	_exit(0);
}

static int dead;

/* The handle stays: the call to the dead node must still name it. */
static void on_death(struct fastipc_peer *p, uint32_t handle, void *arg)
{
	(void)p;
	(void)handle;
	(void)arg;
	dead = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One call; 0 when it ended with @want (0 or a negative errno). */
static int call(struct fastipc_peer *p, uint32_t h, uint64_t code,
		uint64_t deadline_ns, int want)
{
	struct fastipc_msg msg = { .code = code, .deadline_ns = deadline_ns };
	struct fastipc_reply reply;
	int ret;

	ret = fastipc_call(p, h, &msg, &reply);
	if (!ret)
		fastipc_reply_release(p, &reply);
	if (ret != want) {
		fprintf(stderr, "trace-workload: code %llu: %d, want %d\n",
			(unsigned long long)code, ret, want);
		return 1;
	}
	return 0;
}

static int late;

static int client(int server_fd, int n1, int n2, int n3, int t,
		  const char *go)
{
	struct fastipc_peer *p;
	uint32_t srv, vh;
	int sv[2], vfd, i, bad = 0;
	pid_t v;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 20;
	v = fork();
	if (!v) {
		close(sv[0]);
		victim(sv[1]);
	}
	close(sv[1]);
	vfd = recv_fd(sv[0]);
	if (vfd < 0 || fastipc_peer_open(&p, NULL) ||
	    fastipc_handle_import(p, server_fd, &srv) ||
	    fastipc_handle_import(p, vfd, &vh) ||
	    fastipc_death_watch(p, vh, on_death, NULL, NULL))
		return 21;
	printf("ready server=%d client=%d victim=%d\n", getppid(), getpid(),
	       v);
	fflush(stdout);
	while (access(go, F_OK))
		msleep(10);

	for (i = 0; i < n1; i++)
		bad |= call(p, srv, 1, 0, 0);
	for (i = 0; i < n2; i++)
		bad |= call(p, srv, 2, 0, 0);
	for (i = 0; i < n3; i++)
		bad |= call(p, srv, 3, 0, -EINVAL);

	(void)!write(sv[0], "x", 1);
	waitpid(v, NULL, 0);
	while (!dead)
		if (fastipc_dispatch(p, FASTIPC_DISPATCH_WAIT) < 0)
			return 22;
	bad |= call(p, vh, 1, 0, -EPIPE);
	fastipc_handle_release(p, vh);

	/*
	 * A deadline call answered (0) instead of timed out is counted, not
	 * failed: the test then expects what happened and reports it.
	 */
	for (i = 0; i < t; i++) {
		struct fastipc_msg msg = {
			.code = 5, .deadline_ns = mono_ns() + 5000000,
		};
		struct fastipc_reply reply;
		int ret = fastipc_call(p, srv, &msg, &reply);

		if (!ret) {
			fastipc_reply_release(p, &reply);
			late++;
		} else if (ret != -ETIMEDOUT) {
			fprintf(stderr, "trace-workload: code 5: %d\n", ret);
			bad = 1;
		}
	}
	bad |= call(p, srv, 4, 0, 0);
	printf("late=%d\n", late);
	fflush(stdout);		/* the client leaves with _exit() */
	fastipc_peer_close(p);
	return bad;
}

int main(int argc, char **argv)
{
	struct fastipc_peer *p;
	uint32_t node;
	int fd, st, ret;
	pid_t c;

	if (argc != 6) {
		fprintf(stderr, "usage: trace-workload N1 N2 N3 T GOFILE\n");
		return 2;
	}
	if (fastipc_peer_open(&p, NULL) ||
	    fastipc_node_create(p, serve, NULL, NULL, &node))
		return 3;
	fd = fastipc_handle_export(p, node);
	if (fd < 0)
		return 4;
	c = fork();
	if (!c) {
		close(fastipc_peer_fd(p));	/* the server's, not ours */
		_exit(client(fd, atoi(argv[1]), atoi(argv[2]), atoi(argv[3]),
			     atoi(argv[4]), argv[5]));
	}
	close(fd);
	if (setpriority(PRIO_PROCESS, 0, 5))
		return 6;
	ret = fastipc_loop(p);
	fastipc_peer_close(p);
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "trace-workload: client failed (%d)\n", st);
		return 1;
	}
	return ret ? 5 : 0;
}
