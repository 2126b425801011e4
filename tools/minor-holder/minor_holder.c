// SPDX-License-Identifier: GPL-2.0
/*
 * Test module, never shipped or installed: holds misc minor 247, the one
 * fastipc asks for, so that a guest suite can prove fastipc then loads
 * with a dynamic minor.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

static const struct file_operations minor_holder_fops = {
	.owner = THIS_MODULE,
};

static struct miscdevice minor_holder = {
	.minor = 247,
	.name = "fastipc-minor-holder",
	.fops = &minor_holder_fops,
};

module_misc_device(minor_holder);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("fastipc test lane: hold misc minor 247 (never shipped)");
