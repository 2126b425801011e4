// SPDX-License-Identifier: GPL-2.0
/*
 * asuser: run a program as an unprivileged user, for the test guest's
 * unprivileged lane (every local user may open /dev/fastipc).
 *
 *   asuser UID[:GID] PROGRAM [ARG]...
 *
 * Drops the supplementary groups, sets the real, effective and saved group
 * and user IDs (GID defaults to UID), sets no_new_privs, checks that no
 * capability is left in any set and that root cannot be had back, then
 * execs PROGRAM in place (same pid, so a shell can wait for or kill it).
 * Exit status 127 when any step fails.  Built static: the guest has only
 * busybox.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

static int fail(const char *what)
{
	fprintf(stderr, "asuser: %s: %s\n", what, strerror(errno));
	return 127;
}

static int parse_id(const char *s, char **end, unsigned long *id)
{
	errno = 0;
	*id = strtoul(s, end, 10);
	return errno || *end == s || *id >= (unsigned int)-1 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	unsigned long uid, gid;
	char *end;
	int i;

	if (argc < 3 || parse_id(argv[1], &end, &uid) ||
	    (*end && (*end != ':' || parse_id(end + 1, &end, &gid) || *end))) {
		fprintf(stderr, "usage: asuser UID[:GID] PROGRAM [ARG]...\n");
		return 127;
	}
	if (!strchr(argv[1], ':'))
		gid = uid;
	if (!uid || !gid) {
		fprintf(stderr, "asuser: uid and gid must not be 0\n");
		return 127;
	}

	if (setgroups(0, NULL))
		return fail("setgroups");
	if (setresgid(gid, gid, gid))
		return fail("setresgid");
	/* Without SECBIT_KEEP_CAPS this clears permitted and effective. */
	if (setresuid(uid, uid, uid))
		return fail("setresuid");
	/* Inheritable (and whatever is left) goes too: dropping is allowed. */
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d))
		return fail("capset");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return fail("PR_SET_NO_NEW_PRIVS");
	/* Ambient capabilities would survive the exec: clear them too. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		return fail("PR_CAP_AMBIENT_CLEAR_ALL");

	/* Verify, do not trust. */
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid || getgroups(0, NULL) != 0) {
		fprintf(stderr, "asuser: ids did not change\n");
		return 127;
	}
	if (syscall(SYS_capget, &h, d))
		return fail("capget");
	for (i = 0; i < 2; i++) {
		if (d[i].effective || d[i].permitted || d[i].inheritable) {
			fprintf(stderr, "asuser: capabilities left: %08x %08x %08x\n",
				d[i].effective, d[i].permitted,
				d[i].inheritable);
			return 127;
		}
	}
	if (!setuid(0) || !setgid(0) || errno != EPERM) {
		fprintf(stderr, "asuser: root could be had back\n");
		return 127;
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		fprintf(stderr, "asuser: no_new_privs is not set\n");
		return 127;
	}

	execv(argv[2], argv + 2);
	return fail(argv[2]);
}
