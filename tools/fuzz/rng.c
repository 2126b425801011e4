// SPDX-License-Identifier: GPL-2.0
/*
 * fastipc-fuzz: the generator (splitmix64: tiny, seedable from any 64-bit
 * value, good enough to choose operations) and the boundary values the
 * operations draw from.
 */
#include "fuzz.h"

__u64 fz_mix(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

__u64 fz_next(struct fz_rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return fz_mix(r->s);
}

void fz_rng_seed(struct fz_rng *r, __u64 a, __u64 b, __u64 c, __u64 d)
{
	r->s = fz_mix(fz_mix(fz_mix(fz_mix(a) ^ b) ^ c) ^ d);
}

__u64 fz_below(struct fz_rng *r, __u64 n)
{
	return n ? fz_next(r) % n : 0;
}

bool fz_chance(struct fz_rng *r, unsigned int num, unsigned int den)
{
	return fz_below(r, den) < num;
}

unsigned int fz_pick(struct fz_rng *r, const unsigned int *w, unsigned int n)
{
	__u64 sum = 0, x;
	unsigned int i;

	for (i = 0; i < n; i++)
		sum += w[i];
	x = fz_below(r, sum);
	for (i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return 0;
}

/*
 * A payload size: mostly small, and every boundary: 0, 63/64/65 around the
 * inline limit, half the target's area (the one-way budget), the area
 * itself and one more, the module's maximum and one more (EINVAL).
 */
__u64 fz_size(struct fz_rng *r, __u64 area)
{
	static const unsigned int w[] = {
		10, 30, 6, 8, 6, 12, 6, 3, 3, 2, 2, 1, 1, 1
	};

	if (!area)
		area = 4096;
	switch (fz_pick(r, w, FZ_ARRAY_SIZE(w))) {
	case 0:
		return 0;
	case 1:
		return 1 + fz_below(r, 62);
	case 2:
		return 63;
	case 3:
		return 64;
	case 4:
		return 65;
	case 5:
		return 66 + fz_below(r, 4030);
	case 6:
		return 4096 + fz_below(r, 60000);
	case 7:
		return area / 2 - 64 + fz_below(r, 3) * 64;
	case 8:
		return area / 2 + fz_below(r, 2);
	case 9:
		return area - fz_below(r, 2) * 64;
	case 10:
		return area + 1;
	case 11:
		return FZ_MAX_AREA;
	case 12:
		return FZ_MAX_AREA + 1;
	default:
		return ~0ULL;
	}
}

/* A handle that is probably not ours: 0, 1, around what we know, the top. */
__u32 fz_bad_handle(struct fz_rng *r, __u32 known_max)
{
	switch (fz_below(r, 7)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return known_max + 1;
	case 3:
		return known_max + 1 + (__u32)fz_below(r, 1000);
	case 4:
		return 0xfffffffeU;
	case 5:
		return 0xffffffffU;
	default:
		return 1U << 20;
	}
}

static __u64 fz_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * A CALL deadline: 0 and 1 (passed), just passed, soon (the common case),
 * and far away (a second from now up to U64_MAX): *@far says the caller
 * relies on its timer and abandonment instead.
 */
__u64 fz_deadline(struct fz_rng *r, bool *far)
{
	static const unsigned int w[] = { 3, 2, 3, 40, 10, 3, 2, 2 };
	__u64 now = fz_mono();

	*far = false;
	switch (fz_pick(r, w, FZ_ARRAY_SIZE(w))) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return now - 1000000;
	case 3:
		return now + 5000000 + fz_below(r, 200000000);
	case 4:
		return now + 200000000 + fz_below(r, 800000000);
	case 5:
		*far = true;
		return now + 3600ULL * 1000000000ULL;
	case 6:
		*far = true;
		return (1ULL << 63) + fz_below(r, 1000);	/* past KTIME_MAX */
	default:
		*far = true;
		return ~0ULL;
	}
}

/* A count in [0, max] favouring 0, 1, small ones and the two ends. */
__u32 fz_count(struct fz_rng *r, __u32 max)
{
	switch (fz_below(r, 8)) {
	case 0:
	case 1:
		return 0;
	case 2:
	case 3:
		return 1;
	case 4:
		return max;
	case 5:
		return max > 1 ? max - 1 : max;
	default:
		return (__u32)fz_below(r, max < 8 ? max + 1 : 9);
	}
}

/* Errnos we tell apart; everything else shares the last bit. */
unsigned int fz_ebit(int err)
{
	static const int known[] = {
		0, EPERM, ENOENT, ESRCH, EINTR, EBADF, ECHILD, EAGAIN, ENOMEM,
		EACCES, EFAULT, EBUSY, EINVAL, EMFILE, ENOTTY, ENOSPC, EPIPE,
		EPROTO, EOVERFLOW, ETIMEDOUT, ENXIO, EDQUOT, ENFILE, EEXIST,
	};
	unsigned int i;

	for (i = 0; i < FZ_ARRAY_SIZE(known); i++)
		if (known[i] == err)
			return i;
	return 63;
}
