/* vswitch/iptab.h - the LAN IP table: registered unicast IPs and MACs -> port, and
 * multicast group membership, per LAN.  Bounded hash tables used by switch.c. */
#ifndef CPNET_VSWITCH_IPTAB_H
#define CPNET_VSWITCH_IPTAB_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Two open-addressing tables (linear probing, backward-shift deletion, so no
 * tombstones and a lookup never walks further than the cluster it hashes into):
 *   - unicast: (kind, address) -> one port index; kinds IPT_V4, IPT_V6, IPT_MAC;
 *   - groups:  (kind, address) -> a bitmap of member ports; kinds IPT_V4, IPT_V6
 *     (SETIPM) and IPT_MAC (SETGMAC).
 * The largest capacity is fixed at init (rounded up to a power of two); a table
 * refuses new keys with -ENOSPC once it holds 3/4 of that, so probes stay short.
 * A table is allocated with its first entry at IPT_MIN_CAP slots, doubles when an
 * entry would take it past 3/4 load, halves below 1/8 and goes when it is empty: a
 * walk over it (withdraw, age, QUERY) costs what the LAN holds, not what it may hold.
 * Nothing on the lookup path allocates.  Entry pointers (iptab_entry, iptab_members)
 * and walk cursors hold until the next add, learn, join or removal.  Port indexes are
 * the LAN's connection slots, 0..IPT_MAX_PORTS-1.
 * The hash is seeded per table so that a guest choosing its addresses cannot aim
 * for a known collision chain of every cpnet instance.
 */
#define IPT_MAX_PORTS 1040u		/* 1024 guests + uplink + spare, multiple of 16 */
#define IPT_PORT_WORDS (IPT_MAX_PORTS / 64 + (IPT_MAX_PORTS % 64 != 0))
#define IPT_MIN_CAP 16u			/* slots of a table's first allocation */

enum ipt_kind {
	IPT_V4 = 1,
	IPT_V6 = 2,
	IPT_MAC = 3,
};

struct ipt_uni {
	uint8_t kind;		/* 0 = free slot */
	bool local_only;	/* not (yet) accepted by the uplink (SETIP on the OSA) */
	bool remote;		/* learned from traffic the uplink brought in (iptab_learn),
				 * not registered by a guest; aged out by iptab_age */
	uint16_t port;
	uint32_t seen;		/* remote: when it was last seen (seconds, caller's clock) */
	uint8_t addr[16];	/* IPv4 in the first 4 bytes, MAC in the first 6 */
	uint8_t mask[4];	/* IPv4: the mask of the guest's SETIP (the OSA's subnet-
				 * directed broadcast); all zero: none given (a host route) */
};

struct ipt_grp {
	uint8_t kind;		/* 0 = free slot */
	uint16_t nmembers;
	uint8_t addr[16];
	uint64_t members[IPT_PORT_WORDS];
};

struct iptab {
	struct ipt_uni *uni;
	struct ipt_grp *grp;
	uint32_t ucap, gcap;	/* slots now (powers of two; 0 while not allocated) */
	uint32_t umax, gmax;	/* largest capacities */
	uint32_t ucount, gcount;
	uint32_t ulimit, glimit; /* 3/4 of the largest capacity */
	uint32_t rcount, rlimit; /* remote entries: at most what leaves `nuni` for ports,
				  * so traffic from outside can never fill the table */
	uint64_t seed;
	/* Moves with every change of what a lookup would answer (an entry added, removed
	 * or passed to another port, a member joining or leaving); never goes back.  The
	 * switch's decision cache (dcache.h) keeps decisions only for one generation. */
	uint64_t gen;
	/* Ports that added or joined since their last withdraw: withdrawing any other
	 * port (a guest that never registered) costs no walk over the tables. */
	uint64_t owners[IPT_PORT_WORDS];
};

/* Size the tables for at least `nuni` unicast entries and `ngrp` groups (each
 * 1..65536); each table is allocated at its first entry and grows with its entries
 * (iptab_add / iptab_learn / iptab_join then may fail with -ENOMEM).  0 or -EINVAL. */
int iptab_init(struct iptab *t, unsigned nuni, unsigned ngrp, uint64_t seed);
void iptab_free(struct iptab *t);

/* Address length of a kind (4, 16, 6; 0 for an invalid kind). */
unsigned iptab_addr_len(uint8_t kind);

/* Unicast.  add: 0 (added, or already this port's: local_only then unchanged; a
 * remote entry becomes this port's registration); -EADDRINUSE another port registered
 * it; -ENOSPC table full; -EINVAL bad kind/port. */
int iptab_add(struct iptab *t, uint8_t kind, const uint8_t *addr, uint16_t port, bool local_only);
/* del: 0; -ENOENT not registered; -EPERM registered by another port. */
int iptab_del(struct iptab *t, uint8_t kind, const uint8_t *addr, uint16_t port);
/* Remote addresses (IPTIMEOUT): `port` (the uplink's) saw `addr` at `now`.  1 a new
 * remote entry, 0 an entry refreshed, -EADDRINUSE registered by a port (untouched),
 * -ENOSPC table full or rlimit remote entries, -EINVAL. */
int iptab_learn(struct iptab *t, uint8_t kind, const uint8_t *addr, uint16_t port, uint32_t now);
/* Remove the remote entries not seen for `ttl` seconds at `now`.  Returns how many. */
unsigned iptab_age(struct iptab *t, uint32_t now, uint32_t ttl);
/* The entry of an address, or NULL. */
const struct ipt_uni *iptab_entry(const struct iptab *t, uint8_t kind, const uint8_t *addr);
/* The owning port index, or -ENOENT. */
int iptab_lookup(const struct iptab *t, uint8_t kind, const uint8_t *addr);
/* The uplink accepted (local_only false) or lost (true) the address.  0 or -ENOENT. */
int iptab_set_local_only(struct iptab *t, uint8_t kind, const uint8_t *addr, bool local_only);
/* The IPv4 mask a registration came with (kept for whoever installs it on the OSA
 * later, on a miss or after a failover).  0 or -ENOENT. */
int iptab_set_mask(struct iptab *t, uint8_t kind, const uint8_t *addr, const uint8_t mask[4]);
/* 1 local only, 0 accepted by the uplink, -ENOENT. */
int iptab_local_only(const struct iptab *t, uint8_t kind, const uint8_t *addr);

/* Groups.  join: 0 (also if already a member); -ENOSPC; -EINVAL. leave: 0; -ENOENT. */
int iptab_join(struct iptab *t, uint8_t kind, const uint8_t *addr, uint16_t port);
int iptab_leave(struct iptab *t, uint8_t kind, const uint8_t *addr, uint16_t port);
/* Member bitmap (IPT_PORT_WORDS words) of a group, or NULL if nobody joined it. */
const uint64_t *iptab_members(const struct iptab *t, uint8_t kind, const uint8_t *addr);

/* Remove everything `port` registered (detach).  Returns how many entries went. */
unsigned iptab_withdraw_port(struct iptab *t, uint16_t port);

/* Walk the unicast entries (QUERY ... DETAILS): start with *cursor = 0; returns the
 * next entry or NULL at the end. */
const struct ipt_uni *iptab_next_uni(const struct iptab *t, uint32_t *cursor);
const struct ipt_grp *iptab_next_grp(const struct iptab *t, uint32_t *cursor);

#endif
