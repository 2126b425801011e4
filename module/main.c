// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - module entry points, parameters and the misc device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/miscdevice.h>
#include <linux/module.h>

#include "internal.h"

unsigned int fastipc_max_area_size = 16 << 20;
module_param_named(max_area_size, fastipc_max_area_size, uint, 0644);
MODULE_PARM_DESC(max_area_size, "Largest receive area a peer may map, bytes (default 16 MiB)");

unsigned int fastipc_max_threads = 15;
module_param_named(max_threads, fastipc_max_threads, uint, 0644);
MODULE_PARM_DESC(max_threads, "Loopers a peer is asked to spawn at most (default 15)");

unsigned int fastipc_max_handles = 1 << 20;
module_param_named(max_handles, fastipc_max_handles, uint, 0644);
MODULE_PARM_DESC(max_handles, "Handles a peer may hold at most (default 1048576)");

unsigned int fastipc_max_handle_refs = INT_MAX;
module_param_named(max_handle_refs, fastipc_max_handle_refs, uint, 0644);
MODULE_PARM_DESC(max_handle_refs, "References one handle may count (default 2^31-1)");

unsigned int fastipc_max_oneway = 1024;
module_param_named(max_oneway, fastipc_max_oneway, uint, 0644);
MODULE_PARM_DESC(max_oneway, "One-way messages queued to a peer and not yet read, at most (default 1024); one sender may hold half");

module_param_named(inherit_priority, fastipc_inherit_priority, bool, 0644);
MODULE_PARM_DESC(inherit_priority, "Serving threads run at their caller's priority (default Y)");

/*
 * A fixed minor, from the range Documentation/admin-guide/devices.txt
 * reserves for local use (243-254): with the aliases below, depmod lists
 * the device in modules.devname, kmod's static-nodes creates /dev/fastipc
 * at boot and its first open loads the module.  Should another driver
 * hold the minor, the device takes a dynamic one (and loses that).
 */
#define FASTIPC_MISC_MINOR	247

MODULE_ALIAS_MISCDEV(FASTIPC_MISC_MINOR);
MODULE_ALIAS("devname:fastipc");

static struct miscdevice fastipc_misc = {
	.minor = FASTIPC_MISC_MINOR,
	.name = "fastipc",
	.fops = &fastipc_fops,
	.mode = 0666,
};

/* The ABI's sizes are fixed: a change here is an incompatible change. */
static void __init fastipc_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct fastipc_version) != 40);
	BUILD_BUG_ON(sizeof(struct fastipc_node_create) != 32);
	BUILD_BUG_ON(sizeof(struct fastipc_handle_fd) != 16);
	BUILD_BUG_ON(sizeof(struct fastipc_cmd) != 80);
	BUILD_BUG_ON(sizeof(struct fastipc_ret) != 136);
	BUILD_BUG_ON(sizeof(struct fastipc_write_read) != 56);
	BUILD_BUG_ON(sizeof(struct fastipc_cancel) != 16);
	BUILD_BUG_ON(sizeof(struct fastipc_uring_cmd) != 16);
}

static int __init fastipc_init(void)
{
	int ret;

	fastipc_check_abi();

	ret = fastipc_txn_cache_init();
	if (ret)
		return ret;
	ret = fastipc_node_cache_init();
	if (ret)
		goto err_node;
	ret = fastipc_ref_cache_init();
	if (ret)
		goto err_ref;
	fastipc_debugfs_init();
	ret = misc_register(&fastipc_misc);
	if (ret == -EBUSY) {
		pr_warn("misc minor %d is taken: dynamic minor, no load on first open\n",
			FASTIPC_MISC_MINOR);
		fastipc_misc.minor = MISC_DYNAMIC_MINOR;
		ret = misc_register(&fastipc_misc);
	}
	if (ret) {
		pr_err("cannot register misc device: %d\n", ret);
		goto err_misc;
	}
	pr_info("version %s loaded\n", FASTIPC_VERSION);
	return 0;

err_misc:
	fastipc_debugfs_exit();
	fastipc_ref_cache_exit();
err_ref:
	fastipc_node_cache_exit();
err_node:
	fastipc_txn_cache_exit();
	return ret;
}

static void __exit fastipc_exit(void)
{
	misc_deregister(&fastipc_misc);
	fastipc_uring_exit();
	fastipc_debugfs_exit();
	fastipc_ref_cache_exit();
	fastipc_node_cache_exit();
	fastipc_txn_cache_exit();
}

module_init(fastipc_init);
module_exit(fastipc_exit);

MODULE_DESCRIPTION("fastipc: fast binder-class inter-process communication");
MODULE_AUTHOR("The fastipc developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(FASTIPC_VERSION);
