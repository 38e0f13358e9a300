/* vswitch/dcache.h - the LAN's decision cache: what the switch decided for a sender, a
 * VLAN and a frame's addresses, kept so that the next such frame costs one probe. */
#ifndef CPNET_VSWITCH_DCACHE_H
#define CPNET_VSWITCH_DCACHE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A bounded set-associative table (DC_WAYS entries a set, one cache line an entry)
 * between the switch's classification and its lookups (switch.c).  The key holds
 * everything a decision reads from the frame and its sender; everything it reads from
 * the LAN (IP table, connections, VLAN, isolation, routers, the uplink) is covered by
 * a generation: the caller passes the LAN's current one as `stamp`, and an entry made
 * under another stamp is a miss.  Any change to what decides moves the generation, so
 * invalidation costs nothing per entry and nothing is ever stale.
 *
 * The cache never decides anything itself: on a miss it calls the caller's uncached
 * decision (the one code path) and keeps its answer.  Nothing here allocates on the
 * frame path; the table is sized (and grown) by dcache_size, outside it.  The hash is
 * seeded per LAN; a guest that aims addresses at one set only makes its own frames
 * miss, and a miss is the uncached lookup, which is O(1) too.
 */
#define DC_WAYS 4
#define DC_MIN_ENTRIES 256u
#define DC_MAX_ENTRIES 32768u		/* 2 MiB: a LAN with 8192 addresses and more */

/* Everything a decision reads from the frame and its sender (zero-padded: compared
 * and hashed as words). */
union dc_key {
	struct {
		uint16_t from;		/* the sender's connection slot */
		uint16_t vid;		/* the frame's VLAN inside the switch (0 unaware) */
		uint8_t kind;		/* IPT_V4, IPT_V6 or IPT_MAC */
		uint8_t bcast;		/* IPv4: the qeth header says broadcast */
		uint8_t pad[2];
		uint8_t src[16];	/* source IP or MAC */
		uint8_t dst[16];	/* destination IP or MAC */
	} k;
	uint64_t w[5];
};

/* Counters a decision adds to the LAN's (lan_stats) each time it is applied. */
#define DC_COUNT_UNKNOWN 0x01u		/* an unknown unicast */
#define DC_COUNT_ROUTER 0x02u		/* handed to the primary router */

/* A decision: one connection slot, a set (LAN_BROADCAST: `set` is LAN_SET_*, with the
 * group's `members`), or LAN_NOPORT (`why` is the PD_* drop reason). */
struct dc_dec {
	const uint64_t *members;	/* the IP table's member bitmap, or NULL */
	int16_t dst;
	uint8_t why;
	uint8_t set;
	uint8_t count;			/* DC_COUNT_* */
};

struct dc_entry {
	union dc_key key;
	uint64_t stamp;			/* the generation it was made in; 0 = empty */
	struct dc_dec d;
};

struct dcache {
	struct dc_entry *e;		/* nsets * DC_WAYS, NULL until dcache_size */
	uint32_t nsets;			/* a power of two */
	uint64_t seed;
	bool off;			/* benchmarks and tests only: decide every frame uncached */
	uint64_t hits, misses;
	uint64_t evictions;		/* current entries pushed out by a new one */
};

/* The caller's uncached decision for key k (it fills d entirely). */
typedef void (*dc_decide_fn)(void *ctx, const union dc_key *k, struct dc_dec *d);

void dcache_init(struct dcache *c, uint64_t seed);
/* Room for about `keys` distinct keys (two entries each, DC_MIN..DC_MAX_ENTRIES): grows
 * the table (empty again) if it is smaller, never shrinks it.  0, or -ENOMEM with the
 * old table kept (the cache is only less effective). */
int dcache_size(struct dcache *c, unsigned keys);
void dcache_free(struct dcache *c);
static inline unsigned dcache_entries(const struct dcache *c)
{
	return c->nsets * DC_WAYS;
}

/* The key's hash (seeded multiply-xorshift over its words): it picks the set. */
static inline bool dcache_key_eq(const union dc_key *a, const union dc_key *b)
{
	return !((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) | (a->w[2] ^ b->w[2]) |
		 (a->w[3] ^ b->w[3]) | (a->w[4] ^ b->w[4]));
}

static inline uint32_t dcache_hash(const struct dcache *c, const union dc_key *k)
{
	uint64_t h = c->seed;

	for (unsigned i = 0; i < 5; i++) {
		h ^= k->w[i];
		h *= 0x9E3779B97F4A7C15ull;
		h ^= h >> 29;
	}
	h *= 0xBF58476D1CE4E5B9ull;
	return (uint32_t)(h >> 32);
}

/* Ask for the lines of hash h's set ahead of dcache_decide: a batch's probes then wait
 * for memory together, not one after another (a large table is not in the CPU's
 * caches).  Only a hint: it changes nothing. */
/* always_inline: a function whose only effect is a prefetch looks free of side effects
 * to GCC, which then drops its calls as dead code. */
static inline __attribute__((always_inline)) void dcache_prefetch(const struct dcache *c,
								  uint32_t h)
{
	if (c->e && !c->off) {
		/* One line a way, spelled out (GCC merged the prefetches of a loop). */
		const char *set = (const char *)&c->e[(h & (c->nsets - 1)) * DC_WAYS];

		_Static_assert(DC_WAYS == 4, "one prefetch a way");
		__builtin_prefetch(set);
		__builtin_prefetch(set + 64);
		__builtin_prefetch(set + 128);
		__builtin_prefetch(set + 192);
	}
}

/* The decision for k (whose dcache_hash is h) under generation `stamp` (>= 1): a
 * current entry's, or else the one decide() makes, which is kept.  Without a table,
 * or with `off`, decide() every time (not counted). */
void dcache_decide(struct dcache *c, const union dc_key *k, uint32_t h, uint64_t stamp,
		   dc_decide_fn decide, void *ctx, struct dc_dec *d);

#endif
