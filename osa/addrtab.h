/* osa/addrtab.h - the OSA's bounded address table: the unicast IPs (layer 3) or MACs
 * (layer 2) registered on one OSA port, at most `cap` of them, clock eviction. */
#ifndef CPNET_OSA_ADDRTAB_H
#define CPNET_OSA_ADDRTAB_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A real OSA-Express port keeps its registered addresses in a table of its own, of
 * a fixed size.  This is that table: a dense array of entries (walked by the
 * announcements and the subnet-broadcast check) indexed by a seeded open-addressing
 * hash (linear probing, backward-shift deletion; at most half full), so that a
 * lookup from the wire costs one short probe whatever the senders choose.
 *
 * Beside the index, a counted set of what the entries imply for group traffic: the
 * subnet-directed broadcast address of each IPv4 entry with a mask, and the low 24
 * bits of each IPv6 entry (its solicited-node group ff02::1:ffXX:XXXX).  A frame for
 * an address the table does not hold asks the set (one probe) instead of walking the
 * entries: misses are what a flood from the wire is made of.
 *
 * Eviction is the clock (second chance) algorithm: each entry has a reference bit,
 * set when an inbound frame used the entry and when it was installed; a full table
 * that must take a new address sweeps the hand over the entries, clearing set bits,
 * and replaces the first entry whose bit was already clear.  Whether a full table
 * evicts or refuses is its owner's choice (osa.c: it evicts only when someone
 * answers its misses, doc/osa.md "The address table").
 */

#define ATAB_DEFAULT 1024u		/* RDEVICE ... ADDRESSES n default */
#define ATAB_MAX 16384u			/* largest ADDRESSES n */

enum atab_kind { ATAB_V4 = 1, ATAB_V6 = 2, ATAB_MAC = 3 };

struct atab_entry {
	uint8_t kind;			/* enum atab_kind */
	bool ref;			/* the clock's reference bit */
	bool vipa;			/* IPv4/IPv6: SETIP flagged it VIPA (not announced) */
	uint32_t mask;			/* IPv4: the SETIP mask (host order) */
	uint8_t addr[16];		/* IPv4 in the first 4 bytes, a MAC in the first 6 */
};

struct atab_stats {
	uint64_t installs;		/* new entries */
	uint64_t evictions;		/* entries replaced because the table was full */
	uint64_t removals;		/* DELIP / DELVMAC of an entry present */
	uint64_t refused;		/* full and not allowed to evict */
};

struct atab {
	struct atab_entry *e;		/* cap entries; [0, n) in use */
	uint32_t *slot;			/* hcap slots: entry index + 1, 0 = free */
	uint32_t cap, n, hcap, hand;
	uint32_t nkind[4];		/* entries of each kind */
	uint64_t *dkey;			/* hcap slots: the counted set of derived keys (0 free) */
	uint32_t *dcnt;			/* ... and how many entries imply each */
	uint64_t seed;
	struct atab_stats st;
};

/* A table of `cap` entries (1..ATAB_MAX).  0, -EINVAL, -ENOMEM. */
int atab_init(struct atab *t, unsigned cap, uint64_t seed);
void atab_free(struct atab *t);
/* Forget every entry (a new connection); the counters stay. */
void atab_clear(struct atab *t);

/* The entry of (kind, addr), or NULL.  Reading it does not count as a use. */
struct atab_entry *atab_find(const struct atab *t, uint8_t kind, const uint8_t *addr);
/* Install (kind, addr).  Returns 0 installed, 1 already there (mask and flag
 * updated), -ENOSPC full and !evict, -EINVAL bad kind.  When the table was full and
 * `evict` allowed it, the entry replaced is copied to *gone (may be NULL) and
 * 2 is returned. */
int atab_add(struct atab *t, uint8_t kind, const uint8_t *addr, uint32_t mask, bool vipa,
	     bool evict, struct atab_entry *gone);
/* Remove (kind, addr).  0 or -ENOENT. */
int atab_del(struct atab *t, uint8_t kind, const uint8_t *addr);

/* Is `a` (host order) the subnet-directed broadcast of an IPv4 entry with a mask
 * (neither 0 nor a host mask)?  One probe, whatever the table holds. */
bool atab_v4_bcast(const struct atab *t, uint32_t a);
/* Does an IPv6 entry end in these 3 bytes (ff02::1:ffXX:XXXX is its solicited-node
 * group)?  One probe. */
bool atab_v6_solicited(const struct atab *t, const uint8_t low3[3]);

/* Key bytes of a kind (4, 16, 6; 0 for another value). */
unsigned atab_len(uint8_t kind);

#endif
