// SPDX-License-Identifier: GPL-2.0
/*
 * Throwaway test module, never shipped or installed: provokes one kind of
 * kernel report at load time so that the test lanes can prove their splat
 * scan fails the run.  what=warn (WARN_ON), uaf (KASAN use-after-free),
 * lockdep (AB-BA lock order), leak (kmemleak).
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

static char *what = "warn";
module_param(what, charp, 0444);

static DEFINE_MUTEX(provoke_a);
static DEFINE_MUTEX(provoke_b);

static noinline void provoke_uaf(void)
{
	char *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return;
	kfree(p);
	/* The read after free that KASAN must report. */
	pr_info("provoke: stale byte %d\n", READ_ONCE(p[8]));
}

static noinline void provoke_leak(void)
{
	char *p = kmalloc(512, GFP_KERNEL);

	/* Printed, then forgotten: nothing refers to it any more. */
	pr_info("provoke: leaking %p\n", p);
}

static void provoke_lockdep(void)
{
	mutex_lock(&provoke_a);
	mutex_lock(&provoke_b);
	mutex_unlock(&provoke_b);
	mutex_unlock(&provoke_a);
	mutex_lock(&provoke_b);
	mutex_lock(&provoke_a);
	mutex_unlock(&provoke_a);
	mutex_unlock(&provoke_b);
}

static int __init provoke_init(void)
{
	if (!strcmp(what, "warn"))
		WARN_ON(1);
	else if (!strcmp(what, "uaf"))
		provoke_uaf();
	else if (!strcmp(what, "lockdep"))
		provoke_lockdep();
	else if (!strcmp(what, "leak"))
		provoke_leak();
	return 0;
}

static void __exit provoke_exit(void)
{
}

module_init(provoke_init);
module_exit(provoke_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("fastipc test lanes: provoke a kernel report (never shipped)");
