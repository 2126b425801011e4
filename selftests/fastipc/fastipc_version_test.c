// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc: the device exists, answers the version query and refuses what it
 * does not know.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/fastipc.h>

#include "kselftest_harness.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open("/dev/fastipc", O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "fastipc module not loaded");
	ASSERT_LE(0, self->fd) TH_LOG("open: %s", strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(dev, version)
{
	struct fastipc_version v;

	memset(&v, 0xa5, sizeof(v));
	ASSERT_EQ(0, ioctl(self->fd, FASTIPC_IOC_VERSION, &v));
	EXPECT_EQ(FASTIPC_ABI_VERSION, v.abi);
	/* The release is whatever VERSION says, but never garbage. */
	EXPECT_GT(v.major + v.minor + v.patch, 0);
	EXPECT_EQ(FASTIPC_FEAT_CORE | FASTIPC_FEAT_POLL | FASTIPC_FEAT_PRIO |
		  FASTIPC_FEAT_DEADLINE | FASTIPC_FEAT_MAX_THREADS |
		  FASTIPC_FEAT_REASON | FASTIPC_FEAT_URING |
		  FASTIPC_FEAT_CANCEL | FASTIPC_FEAT_URING_DEADLINE |
		  FASTIPC_FEAT_SIGNAL, v.features);
	EXPECT_EQ(0, v.reserved[0]);
	EXPECT_EQ(0, v.reserved[1]);
}

TEST_F(dev, version_bad_pointer)
{
	EXPECT_EQ(-1, ioctl(self->fd, FASTIPC_IOC_VERSION, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, unknown_ioctl)
{
	/* Our magic, a number we never assigned. */
	EXPECT_EQ(-1, ioctl(self->fd, _IO(FASTIPC_IOC_MAGIC, 0xff)));
	EXPECT_EQ(ENOTTY, errno);
	/* Another driver's magic. */
	EXPECT_EQ(-1, ioctl(self->fd, _IOR('T', 0x01, int), &(int){0}));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, version_size_is_part_of_the_number)
{
	/* The same nr with a different size is a different command. */
	unsigned long cmd = _IOC(_IOC_READ, FASTIPC_IOC_MAGIC, 0x00, 8);
	char buf[8];

	EXPECT_EQ(-1, ioctl(self->fd, cmd, buf));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, version_from_forked_child)
{
	/* Querying the version is harmless: even a child may do it. */
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct fastipc_version v;

		_exit(ioctl(self->fd, FASTIPC_IOC_VERSION, &v) ? 1 : 0);
	}
	int status;

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(dev, not_seekable)
{
	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

TEST_HARNESS_MAIN
