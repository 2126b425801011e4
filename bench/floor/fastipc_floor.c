// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc_floor: the smallest one-ioctl-per-side exchange, the "floor"
 * mechanism of fastipc-bench (bench/mech_floor.c).  It is what a call
 * through one ioctl per side costs on this kernel at the least: one copy
 * in, one wake-up, one copy out.  No handles, no queues, no allocation
 * after open.  Benchmark only, never installed.
 *
 * /dev/fastipc_floor pairs its opens: the first open of a pair creates a
 * channel, the second joins it.  Each of the two ends owns one slot of
 * FLOOR_MSG_MAX bytes, allocated at the first open: its inbox.
 * FLOOR_IOC_XCHG copies the caller's message into the partner's slot,
 * wakes the partner, sleeps until its own slot fills and copies that out.
 * A client's call and a server's reply-and-wait-for-the-next are the same
 * ioctl; either half may be left out.
 *
 * Rules:
 *
 * - A slot is written only by the partner of its end and read only by its
 *   end.  The slot's @full hands it over: the writer sets it with
 *   smp_store_release() after filling the slot, the reader clears it with
 *   smp_store_release() after emptying it, both read it with
 *   smp_load_acquire().  While @full is clear the slot (data and @len)
 *   belongs to the writer, while it is set to the reader.
 * - One call at a time per end (FLOOR_BUSY, else EBUSY): each slot has one
 *   writer and one reader.  One message in flight per direction: sending
 *   into a slot that is still full fails with EBUSY.
 * - Only an end's own calls wait on its @wait, for its slot to fill.  The
 *   partner wakes it after setting @full; release wakes both ends after
 *   setting the channel's @dead.  A waiter wakes on @full or @dead.
 * - Waits are interruptible.  A call interrupted after its message went
 *   out returns -ERESTARTSYS and leaves @sent set: the next call on that
 *   end (the restarted one) does not send again, it only waits.  @sent is
 *   cleared when that wait delivers a message or ends in EPIPE.
 * - After the partner closed, a message already in the slot is still
 *   delivered, then calls fail with EPIPE.  The channel and its slots are
 *   freed when its last end closes (@ref).  floor_lock protects
 *   floor_waiting, the channel whose second open is due.
 */
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "fastipc_floor.h"

#define FLOOR_BUSY	0	/* bit of floor_end.flags: a call is in progress */

struct floor_chan;

/**
 * struct floor_end - one end of a channel, the file's private_data.
 * @chan: its channel.
 * @peer: the other end.
 * @slot: the inbox, FLOOR_MSG_MAX bytes, written by @peer's calls.
 * @len: the length of the message in @slot.
 * @full: @slot holds a message (see the rules above).
 * @sent: this end's interrupted call already sent its message.
 * @flags: FLOOR_BUSY.
 * @wait: this end's calls wait here for @full.
 */
struct floor_end {
	struct floor_chan *chan;
	struct floor_end *peer;
	void *slot;
	size_t len;
	bool full;
	bool sent;
	unsigned long flags;
	wait_queue_head_t wait;
};

/**
 * struct floor_chan - two ends.
 * @ref: one reference per open end.
 * @dead: an end was closed.
 * @end: the ends, in the order of their opens.
 */
struct floor_chan {
	struct kref ref;
	bool dead;
	struct floor_end end[2];
};

static DEFINE_MUTEX(floor_lock);
static struct floor_chan *floor_waiting;	/* its second open is due */

static void floor_free(struct kref *ref)
{
	struct floor_chan *ch = container_of(ref, struct floor_chan, ref);

	kvfree(ch->end[0].slot);
	kvfree(ch->end[1].slot);
	kfree(ch);
}

static struct floor_chan *floor_chan_new(void)
{
	struct floor_chan *ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	int i;

	if (!ch)
		return NULL;
	kref_init(&ch->ref);
	for (i = 0; i < 2; i++) {
		ch->end[i].chan = ch;
		ch->end[i].peer = &ch->end[!i];
		init_waitqueue_head(&ch->end[i].wait);
		ch->end[i].slot = kvmalloc(FLOOR_MSG_MAX, GFP_KERNEL);
		if (!ch->end[i].slot) {
			floor_free(&ch->ref);
			return NULL;
		}
	}
	return ch;
}

static int floor_open(struct inode *inode, struct file *file)
{
	struct floor_chan *ch;

	mutex_lock(&floor_lock);
	ch = floor_waiting;
	if (ch) {
		kref_get(&ch->ref);
		floor_waiting = NULL;
		file->private_data = &ch->end[1];
	} else {
		ch = floor_chan_new();
		floor_waiting = ch;
		if (ch)
			file->private_data = &ch->end[0];
	}
	mutex_unlock(&floor_lock);
	return ch ? 0 : -ENOMEM;
}

static int floor_release(struct inode *inode, struct file *file)
{
	struct floor_end *e = file->private_data;
	struct floor_chan *ch = e->chan;

	mutex_lock(&floor_lock);
	if (floor_waiting == ch)
		floor_waiting = NULL;
	mutex_unlock(&floor_lock);
	WRITE_ONCE(ch->dead, true);
	wake_up(&ch->end[0].wait);
	wake_up(&ch->end[1].wait);
	kref_put(&ch->ref, floor_free);
	return 0;
}

/* Copy the message into the partner's slot and wake the partner. */
static int floor_send(struct floor_end *e, const struct floor_xchg *x)
{
	struct floor_end *p = e->peer;

	if (e->sent || !x->send_buf)
		return 0;
	if (x->send_len > FLOOR_MSG_MAX)
		return -EMSGSIZE;
	if (READ_ONCE(e->chan->dead))
		return -EPIPE;
	/* Pairs with the release in floor_recv(): the slot is ours again. */
	if (smp_load_acquire(&p->full))
		return -EBUSY;
	if (copy_from_user(p->slot, u64_to_user_ptr(x->send_buf),
			   x->send_len))
		return -EFAULT;
	p->len = x->send_len;
	/* Pairs with the acquire in floor_recv(): slot and len are written. */
	smp_store_release(&p->full, true);
	wake_up(&p->wait);
	e->sent = x->recv_buf != 0;
	return 0;
}

/* Wait for our slot to fill and copy the message out; return its length. */
static long floor_recv(struct floor_end *e, const struct floor_xchg *x)
{
	size_t len;
	int ret;

	if (!x->recv_buf)
		return 0;
	/* Pairs with the release in floor_send(), as below. */
	ret = wait_event_interruptible(e->wait, smp_load_acquire(&e->full) ||
				       READ_ONCE(e->chan->dead));
	if (ret)
		return ret;	/* -ERESTARTSYS, @sent kept */
	/* Pairs with the release in floor_send(). */
	if (!smp_load_acquire(&e->full)) {
		e->sent = false;
		return -EPIPE;
	}
	len = e->len;
	if (len > x->recv_len)
		return -EMSGSIZE;	/* the message stays for a bigger buffer */
	if (copy_to_user(u64_to_user_ptr(x->recv_buf), e->slot, len))
		return -EFAULT;
	e->sent = false;
	/* Pairs with the acquire in floor_send(): we are done reading. */
	smp_store_release(&e->full, false);
	return len;
}

static long floor_ioctl(struct file *file, unsigned int cmd,
			unsigned long arg)
{
	struct floor_end *e = file->private_data;
	struct floor_xchg x;
	long ret;

	if (cmd != FLOOR_IOC_XCHG)
		return -ENOTTY;
	if (copy_from_user(&x, (void __user *)arg, sizeof(x)))
		return -EFAULT;
	if (test_and_set_bit_lock(FLOOR_BUSY, &e->flags))
		return -EBUSY;
	ret = floor_send(e, &x);
	if (!ret)
		ret = floor_recv(e, &x);
	clear_bit_unlock(FLOOR_BUSY, &e->flags);
	return ret;
}

static const struct file_operations floor_fops = {
	.owner = THIS_MODULE,
	.open = floor_open,
	.release = floor_release,
	.unlocked_ioctl = floor_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice floor_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "fastipc_floor",
	.fops = &floor_fops,
	.mode = 0600,
};

module_misc_device(floor_dev);

MODULE_DESCRIPTION("fastipc-bench floor: one-ioctl-per-side exchange");
MODULE_LICENSE("GPL");
