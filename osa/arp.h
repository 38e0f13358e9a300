/* osa/arp.h - the OSA's neighbour caches (the seed's "internal cache table"): next hop
 * + VLAN -> MAC, bounded (set-associative, no allocation), with aging; one for ARP
 * (IPv4), one for Neighbor Discovery (IPv6). */
#ifndef CPNET_OSA_ARP_H
#define CPNET_OSA_ARP_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Keys are 16-byte addresses: IPv6 as it is, IPv4 as ::ffff:a.b.c.d (arp_key4), so one
 * implementation serves both families (the OSA keeps one cache per family).
 *
 * 64 sets of 4 ways: a lookup touches one set (constant time on the per-frame path),
 * a new entry evicts the least recently confirmed one of its set.  Times are
 * milliseconds of a monotonic clock the OSA passes in (tests warp it).
 *
 * States: INCOMPLETE = a request went out, packets may wait in the OSA's queue;
 * REACHABLE = MAC known since `confirmed`; older than the TTL it is expired (looked
 * up as a miss, so the next packet re-resolves it).
 */

#define ARP_SETS 64u
#define ARP_WAYS 4u
#define ARP_ENTRIES (ARP_SETS * ARP_WAYS)
#define ARP_TTL_MS 300000u		/* default entry lifetime: 5 minutes */
#define ARP_RETRY_MS 1000u		/* request interval while incomplete */
#define ARP_TRIES 3u			/* requests before giving up */

enum arp_state { ARP_FREE = 0, ARP_INCOMPLETE, ARP_REACHABLE };

struct arp_entry {
	uint8_t ip[16];			/* the key (arp_key4 for IPv4) */
	uint16_t vlan;
	uint8_t state;			/* enum arp_state */
	uint8_t tries;			/* requests sent while incomplete */
	uint8_t mac[6];
	uint64_t confirmed;		/* REACHABLE since (ms) */
	uint64_t sent;			/* last request (ms) */
};

struct arp_stats {
	uint64_t hits, misses, learned, updated, evicted, expired, failed;
};

struct arp_cache {
	struct arp_entry e[ARP_ENTRIES];
	uint32_t ttl_ms;
	struct arp_stats st;
};

/* The key of an IPv4 address: ::ffff:a.b.c.d. */
void arp_key4(uint32_t ip, uint8_t key[16]);

void arp_init(struct arp_cache *c, uint32_t ttl_ms);
void arp_flush(struct arp_cache *c);
/* A REACHABLE, unexpired entry for (ip, vlan), or NULL (counted as a miss). */
const struct arp_entry *arp_lookup(struct arp_cache *c, const uint8_t ip[16], uint16_t vlan,
				   uint64_t now);
/* The entry for (ip, vlan) in any state, or NULL. */
struct arp_entry *arp_find(struct arp_cache *c, const uint8_t ip[16], uint16_t vlan);
/* Find or make an entry (evicting in its set); a new one is INCOMPLETE, tries 0. */
struct arp_entry *arp_get(struct arp_cache *c, const uint8_t ip[16], uint16_t vlan, uint64_t now);
/* A MAC heard for (ip, vlan).  create = false only refreshes an existing entry.
 * Returns the entry (now REACHABLE) or NULL when nothing was stored. */
struct arp_entry *arp_learn(struct arp_cache *c, const uint8_t ip[16], uint16_t vlan,
			    const uint8_t mac[6], uint64_t now, bool create);
void arp_remove(struct arp_cache *c, struct arp_entry *e);
/* Entries in use (for QUERY and tests). */
unsigned arp_count(const struct arp_cache *c);

#endif
