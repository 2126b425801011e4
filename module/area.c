// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc - the receive area: a read-only mapping of kernel memory into
 * its peer, and the allocator of message buffers inside it.
 *
 * The area is vmalloc'ed at mmap time and mapped whole, so the kernel has
 * one contiguous address for it and senders copy payloads straight from
 * their user memory into it (the single copy).  Nothing is ever unmapped
 * piecemeal: no zap, no shrinker, no TLB shootdown per message.
 *
 * Buffers are runs of 64-byte granules tracked by bitmaps: used granules,
 * first granules of buffers, and at the first granule whether the buffer
 * holds a one-way message and whether it was delivered.  Only a delivered
 * buffer may be freed by userspace; only an undelivered one is given back
 * by the kernel when a message is dropped.
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "internal.h"
#include "trace.h"

/* used, start, oneway, delivered (owned by userspace until FREE) */
#define FASTIPC_BITMAPS	4

static void fastipc_vm_close(struct vm_area_struct *vma)
{
	struct fastipc_peer *peer = vma->vm_private_data;

	/*
	 * Exit or exec tearing the owner's address space down is the prompt
	 * death signal, and so is a munmap: a peer nobody can read from
	 * must not accept messages (nor hold fds in a cycle that nobody
	 * could ever break).
	 */
	fastipc_peer_die(peer);
}

static int fastipc_vm_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static int fastipc_vm_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static const struct vm_operations_struct fastipc_vm_ops = {
	.close = fastipc_vm_close,
	.may_split = fastipc_vm_may_split,
	.mremap = fastipc_vm_mremap,
};

static unsigned long *fastipc_area_bitmap(struct fastipc_area *area, int i)
{
	return area->used + i * BITS_TO_LONGS(area->size /
					      FASTIPC_AREA_GRANULE);
}

/*
 * Map the pages of the vmalloc'ed @kaddr into @vma (remap_vmalloc_range()
 * wants VM_USERMAP, which only the unaccounted vmalloc_user() sets).
 */
static int fastipc_area_insert(struct vm_area_struct *vma, void *kaddr,
			       size_t size)
{
	size_t off;
	int ret;

	for (off = 0; off < size; off += PAGE_SIZE) {
		ret = vm_insert_page(vma, vma->vm_start + off,
				     vmalloc_to_page(kaddr + off));
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * fastipc_area_mmap() - map the receive area of @peer.
 * @peer: the peer; the caller is its owner.
 * @vma: the new mapping: read-only, offset 0, at most max_area_size.
 *
 * Return: 0, -EPERM for a writable mapping, -EBUSY for a second one,
 * -EPIPE once the peer is dead (a first mapping unmapped kills it),
 * -EINVAL for a bad size or offset, -ENOMEM.
 */
int fastipc_area_mmap(struct fastipc_peer *peer, struct vm_area_struct *vma)
{
	size_t size = vma->vm_end - vma->vm_start;
	size_t granules = size / FASTIPC_AREA_GRANULE;
	unsigned long *bitmaps;
	void *kaddr;
	int ret;

	if (vma->vm_flags & VM_WRITE)
		return -EPERM;
	if (vma->vm_pgoff || !size || size > fastipc_max_area_size)
		return -EINVAL;

	spin_lock(&peer->lock);
	ret = peer->dead ? -EPIPE : peer->vma_mapped ? -EBUSY : 0;
	peer->vma_mapped = true;
	spin_unlock(&peer->lock);
	if (ret)
		return ret;

	ret = -ENOMEM;
	/* Charged to the opener's memory cgroup, as the bitmaps are. */
	kaddr = __vmalloc(size, FASTIPC_GFP | __GFP_ZERO);
	if (!kaddr)
		goto err_unreserve;
	bitmaps = kvcalloc(FASTIPC_BITMAPS * BITS_TO_LONGS(granules),
			   sizeof(long), FASTIPC_GFP);
	if (!bitmaps)
		goto err_vfree;
	ret = fastipc_area_insert(vma, kaddr, size);
	if (ret)
		goto err_bitmaps;

	vm_flags_set(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP);
	vm_flags_clear(vma, VM_MAYWRITE);
	vma->vm_ops = &fastipc_vm_ops;
	vma->vm_private_data = peer;

	spin_lock(&peer->lock);
	peer->area.used = bitmaps;
	peer->area.size = size;
	peer->area.kaddr = kaddr;
	spin_unlock(&peer->lock);
	return 0;

err_bitmaps:
	kvfree(bitmaps);
err_vfree:
	vfree(kaddr);
err_unreserve:
	spin_lock(&peer->lock);
	peer->vma_mapped = false;
	spin_unlock(&peer->lock);
	return ret;
}

/**
 * fastipc_area_free() - free the area of a peer nobody refers to.
 * @peer: the peer being freed.
 */
void fastipc_area_free(struct fastipc_peer *peer)
{
	atomic_long_sub(peer->area.buffers,
			&fastipc_stats[FASTIPC_STAT_BUFFERS]);
	kvfree(peer->area.used);
	vfree(peer->area.kaddr);
}

/**
 * fastipc_area_alloc() - reserve a buffer in the area of @peer.
 * @peer: the receiving peer.
 * @size: bytes.
 * @oneway: the buffer holds a one-way message (budget: half the area).
 * @offset: out: offset of the buffer.
 *
 * Context: takes peer->lock.
 * Return: 0, -ENOSPC when there is no room, -ENXIO without an area,
 * -EPIPE when @peer is dead.
 */
int fastipc_area_alloc(struct fastipc_peer *peer, size_t size, bool oneway,
		       u64 *offset)
{
	struct fastipc_area *area = &peer->area;
	unsigned long n = DIV_ROUND_UP(size, FASTIPC_AREA_GRANULE);
	unsigned long nbits, idx;
	int ret = 0;

	spin_lock(&peer->lock);
	if (peer->dead) {
		ret = -EPIPE;
		goto out;
	}
	if (!area->kaddr) {
		ret = -ENXIO;
		goto out;
	}
	nbits = area->size / FASTIPC_AREA_GRANULE;
	if (oneway && area->oneway_bytes + n * FASTIPC_AREA_GRANULE >
	    area->size / 2) {
		ret = -EDQUOT;
		goto out;
	}
	idx = bitmap_find_next_zero_area(area->used, nbits, 0, n, 0);
	if (idx >= nbits) {
		ret = -ENOSPC;
		goto out;
	}
	bitmap_set(area->used, idx, n);
	__set_bit(idx, fastipc_area_bitmap(area, 1));
	if (oneway) {
		__set_bit(idx, fastipc_area_bitmap(area, 2));
		area->oneway_bytes += n * FASTIPC_AREA_GRANULE;
	}
	area->buffers++;
	fastipc_stat_inc(FASTIPC_STAT_BUFFERS);
	*offset = (u64)idx * FASTIPC_AREA_GRANULE;
	trace_fastipc_buffer_alloc(area, idx, n);
out:
	spin_unlock(&peer->lock);
	return ret;
}

/* Free the buffer starting at granule @idx.  peer->lock held. */
static void fastipc_area_put(struct fastipc_area *area, unsigned long idx)
{
	unsigned long nbits = area->size / FASTIPC_AREA_GRANULE;
	unsigned long *start = fastipc_area_bitmap(area, 1);
	unsigned long *oneway = fastipc_area_bitmap(area, 2);
	unsigned long end;

	/* The run of used granules, cut at the next buffer's start: both
	 * searches stay within the buffer, whatever the area's size.
	 */
	end = find_next_zero_bit(area->used, nbits, idx);
	end = find_next_bit(start, end, idx + 1);
	bitmap_clear(area->used, idx, end - idx);
	__clear_bit(idx, start);
	__clear_bit(idx, fastipc_area_bitmap(area, 3));
	if (__test_and_clear_bit(idx, oneway))
		area->oneway_bytes -= (end - idx) * FASTIPC_AREA_GRANULE;
	area->buffers--;
	fastipc_stat_dec(FASTIPC_STAT_BUFFERS);
	trace_fastipc_buffer_free(area, idx, end - idx);
}

/**
 * fastipc_area_release() - give back a buffer the kernel reserved.
 * @peer: the peer owning the area.
 * @offset: the buffer, from fastipc_area_alloc().
 */
void fastipc_area_release(struct fastipc_peer *peer, u64 offset)
{
	spin_lock(&peer->lock);
	fastipc_area_put(&peer->area, offset / FASTIPC_AREA_GRANULE);
	spin_unlock(&peer->lock);
}

/**
 * fastipc_area_deliver() - hand a buffer over to userspace.
 * @peer: the peer owning the area.
 * @offset: the buffer, its record out and its handles and fds written:
 *	from now on the reader may FREE it.
 */
void fastipc_area_deliver(struct fastipc_peer *peer, u64 offset)
{
	spin_lock(&peer->lock);
	__set_bit(offset / FASTIPC_AREA_GRANULE,
		  fastipc_area_bitmap(&peer->area, 3));
	spin_unlock(&peer->lock);
}

/**
 * fastipc_area_free_user() - FREE command: release a delivered buffer.
 * @peer: the peer owning the area.
 * @offset: from userspace: must be the start of a live buffer.
 *
 * Return: 0 or -EINVAL.
 */
int fastipc_area_free_user(struct fastipc_peer *peer, u64 offset)
{
	struct fastipc_area *area = &peer->area;
	int ret = -EINVAL;

	spin_lock(&peer->lock);
	if (area->kaddr && offset < area->size &&
	    IS_ALIGNED(offset, FASTIPC_AREA_GRANULE) &&
	    test_bit(offset / FASTIPC_AREA_GRANULE,
		     fastipc_area_bitmap(area, 3))) {
		fastipc_area_put(area, offset / FASTIPC_AREA_GRANULE);
		ret = 0;
	}
	spin_unlock(&peer->lock);
	return ret;
}
