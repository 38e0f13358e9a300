/* osa/arp.c - the OSA's bounded neighbour cache (ARP and ND): set-associative table,
 * least recently confirmed eviction, expiry by age.  Used by osa/osa.c on layer 3. */
#include "osa/arp.h"

#include <string.h>

static unsigned set_of(const uint8_t ip[16], uint16_t vlan)
{
	uint32_t h = (uint32_t)vlan << 16;

	/* The low bytes vary most (host part / interface id); fold all four words. */
	for (unsigned i = 0; i < 16; i += 4)
		h ^= (uint32_t)ip[i] << 24 | (uint32_t)ip[i + 1] << 16 |
		     (uint32_t)ip[i + 2] << 8 | ip[i + 3];
	h *= 0x9E3779B1u;
	return (h >> 26) % ARP_SETS;
}

void arp_key4(uint32_t ip, uint8_t key[16])
{
	memset(key, 0, 10);
	key[10] = key[11] = 0xFF;
	key[12] = (uint8_t)(ip >> 24);
	key[13] = (uint8_t)(ip >> 16);
	key[14] = (uint8_t)(ip >> 8);
	key[15] = (uint8_t)ip;
}

/* When an entry was last useful: confirmed (resolved) or last asked for (incomplete). */
static uint64_t age_key(const struct arp_entry *e)
{
	return e->state == ARP_REACHABLE ? e->confirmed : e->sent;
}

void arp_init(struct arp_cache *c, uint32_t ttl_ms)
{
	memset(c, 0, sizeof(*c));
	c->ttl_ms = ttl_ms ? ttl_ms : ARP_TTL_MS;
}

void arp_flush(struct arp_cache *c)
{
	memset(c->e, 0, sizeof(c->e));
}

struct arp_entry *arp_find(struct arp_cache *c, const uint8_t ip[16], uint16_t vlan)
{
	struct arp_entry *s = &c->e[set_of(ip, vlan) * ARP_WAYS];

	for (unsigned w = 0; w < ARP_WAYS; w++)
		if (s[w].state != ARP_FREE && !memcmp(s[w].ip, ip, 16) && s[w].vlan == vlan)
			return &s[w];
	return NULL;
}

const struct arp_entry *arp_lookup(struct arp_cache *c, const uint8_t ip[16], uint16_t vlan,
				   uint64_t now)
{
	struct arp_entry *e = arp_find(c, ip, vlan);

	if (e && e->state == ARP_REACHABLE) {
		if (now - e->confirmed < c->ttl_ms) {
			c->st.hits++;
			return e;
		}
		/* Too old: forget it, the caller re-resolves. */
		c->st.expired++;
		memset(e, 0, sizeof(*e));
	}
	c->st.misses++;
	return NULL;
}

struct arp_entry *arp_get(struct arp_cache *c, const uint8_t ip[16], uint16_t vlan, uint64_t now)
{
	struct arp_entry *s, *victim = NULL;

	(void)now;
	if ((victim = arp_find(c, ip, vlan)))
		return victim;
	s = &c->e[set_of(ip, vlan) * ARP_WAYS];
	for (unsigned w = 0; w < ARP_WAYS && !victim; w++)
		if (s[w].state == ARP_FREE)
			victim = &s[w];
	if (!victim) {
		/* Prefer evicting a resolved entry over one packets may be waiting on;
		 * among those the least recently confirmed. */
		for (unsigned w = 0; w < ARP_WAYS; w++) {
			struct arp_entry *x = &s[w];

			if (!victim || (x->state == ARP_REACHABLE && victim->state != ARP_REACHABLE) ||
			    (x->state == victim->state && age_key(x) < age_key(victim)))
				victim = x;
		}
		c->st.evicted++;
	}
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->ip, ip, 16);
	victim->vlan = vlan;
	victim->state = ARP_INCOMPLETE;
	return victim;
}

struct arp_entry *arp_learn(struct arp_cache *c, const uint8_t ip[16], uint16_t vlan,
			    const uint8_t mac[6], uint64_t now, bool create)
{
	struct arp_entry *e = arp_find(c, ip, vlan);

	if (!e) {
		if (!create)
			return NULL;
		e = arp_get(c, ip, vlan, now);
		c->st.learned++;
	} else {
		if (e->state == ARP_INCOMPLETE)
			c->st.learned++;
		else
			c->st.updated++;
	}
	memcpy(e->mac, mac, 6);
	e->state = ARP_REACHABLE;
	e->tries = 0;
	e->confirmed = now;
	return e;
}

void arp_remove(struct arp_cache *c, struct arp_entry *e)
{
	(void)c;
	memset(e, 0, sizeof(*e));
}

unsigned arp_count(const struct arp_cache *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ARP_ENTRIES; i++)
		n += c->e[i].state != ARP_FREE;
	return n;
}
