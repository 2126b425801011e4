/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * fastipc - fast binder-class IPC for Linux, userspace ABI.
 *
 * Every structure here is made of fixed-size __u64/__u32 fields, is a
 * multiple of 8 bytes, starts with its flags where it has any, and keeps
 * reserved fields that must be zero.  The kernel rejects unknown flags and
 * non-zero reserved fields with EINVAL so that they can be given a meaning
 * later without breaking old binaries.
 *
 * This header compiles with -std=c90.
 */
#ifndef _UAPI_LINUX_FASTIPC_H
#define _UAPI_LINUX_FASTIPC_H

#include <linux/types.h>
#include <linux/ioctl.h>

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
 * FASTIPC_IOC_VERSION - query the ABI and release of the running module.
 *
 * Argument: pointer to &struct fastipc_version, filled by the kernel.
 * Works on any open of the device, before and after mmap.
 */
#define FASTIPC_IOC_VERSION	_IOR(FASTIPC_IOC_MAGIC, 0x00, struct fastipc_version)

#endif /* _UAPI_LINUX_FASTIPC_H */
