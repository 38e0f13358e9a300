/* vswitch/dcache.c - the LAN's decision cache: a seeded hash into DC_WAYS-way sets,
 * generation stamps for invalidation, the uncached decision called on a miss. */
#include "vswitch/dcache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define DC_HUGE (2u << 20)		/* a huge page */

_Static_assert(sizeof(union dc_key) == 40, "the key is five words");
_Static_assert(sizeof(struct dc_entry) == 64, "an entry is one cache line");

void dcache_init(struct dcache *c, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->seed = seed;
}

int dcache_size(struct dcache *c, unsigned keys)
{
	uint32_t n = DC_MIN_ENTRIES;
	struct dc_entry *e;
	size_t bytes;
	bool huge;

	while (n < DC_MAX_ENTRIES && n < 2ull * keys)
		n <<= 1;
	if (n <= dcache_entries(c))
		return 0;
	bytes = (size_t)n * sizeof(*e);
	/* A large table is probed at random: in huge pages it costs no TLB miss per
	 * probe (the hint is asked for before the first touch; without it, 4 KiB pages). */
	huge = bytes >= DC_HUGE;
	e = aligned_alloc(huge ? DC_HUGE : 64, bytes);
	if (!e)
		return -ENOMEM;
	if (huge)
		(void)madvise(e, bytes, MADV_HUGEPAGE);
	memset(e, 0, bytes);
	free(c->e);
	c->e = e;
	c->nsets = n / DC_WAYS;
	return 0;
}

void dcache_free(struct dcache *c)
{
	free(c->e);
	c->e = NULL;
	c->nsets = 0;
}

void dcache_decide(struct dcache *c, const union dc_key *k, uint32_t h, uint64_t stamp,
		   dc_decide_fn decide, void *ctx, struct dc_dec *d)
{
	struct dc_entry *set;
	unsigned w, hit = 0;

	if (!c->e || c->off) {
		decide(ctx, k, d);
		return;
	}
	set = &c->e[(h & (c->nsets - 1)) * DC_WAYS];
	/* Every way compared without a branch on which one matches: that is as random as
	 * the keys, and a mispredicted branch per frame would cost more than the loads. */
	for (w = 0; w < DC_WAYS; w++)
		hit |= (unsigned)((set[w].stamp == stamp) & dcache_key_eq(&set[w].key, k)) << w;
	if (hit) {
		c->hits++;
		*d = set[__builtin_ctz(hit)].d;
		return;
	}
	c->misses++;
	decide(ctx, k, d);
	/* The newest goes first; it takes the place of an entry of an older generation,
	 * or else pushes out the oldest current one. */
	for (w = 0; w < DC_WAYS - 1; w++)
		if (set[w].stamp != stamp)
			break;
	if (w == DC_WAYS - 1 && set[w].stamp == stamp)
		c->evictions++;
	memmove(&set[1], &set[0], w * sizeof(*set));
	set[0].key = *k;
	set[0].stamp = stamp;
	set[0].d = *d;
}
