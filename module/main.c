// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - module entry points and the misc device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/miscdevice.h>
#include <linux/module.h>

#include "internal.h"

static struct miscdevice fastipc_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "fastipc",
	.fops = &fastipc_fops,
	.mode = 0666,
};

static int __init fastipc_init(void)
{
	int ret;

	ret = misc_register(&fastipc_misc);
	if (ret) {
		pr_err("cannot register misc device: %d\n", ret);
		return ret;
	}
	pr_info("version %s loaded\n", FASTIPC_VERSION);
	return 0;
}

static void __exit fastipc_exit(void)
{
	misc_deregister(&fastipc_misc);
}

module_init(fastipc_init);
module_exit(fastipc_exit);

MODULE_DESCRIPTION("fastipc: fast binder-class inter-process communication");
MODULE_AUTHOR("The fastipc developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(FASTIPC_VERSION);
