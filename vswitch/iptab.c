/* vswitch/iptab.c - the LAN IP table: open-addressing hash tables of unicast owners
 * and multicast members; the switch's lookups (switch.c) read it on every frame. */
#include "vswitch/iptab.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Both entry kinds start with `kind` (0 = free slot): the resize below reads it
 * through a byte pointer. */
_Static_assert(offsetof(struct ipt_uni, kind) == 0, "kind first");
_Static_assert(offsetof(struct ipt_grp, kind) == 0, "kind first");

unsigned iptab_addr_len(uint8_t kind)
{
	switch (kind) {
	case IPT_V4:
		return 4;
	case IPT_V6:
		return 16;
	case IPT_MAC:
		return 6;
	default:
		return 0;
	}
}

static uint32_t pow2_at_least(unsigned n)
{
	uint32_t c = 8;

	while (c < n)
		c <<= 1;
	return c;
}

int iptab_init(struct iptab *t, unsigned nuni, unsigned ngrp, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	if (nuni < 1 || nuni > 65536 || ngrp < 1 || ngrp > 65536)
		return -EINVAL;
	/* Room for `n` entries below the 3/4 load limit at the largest size. */
	t->umax = pow2_at_least(nuni + nuni / 3 + 1);
	t->gmax = pow2_at_least(ngrp + ngrp / 3 + 1);
	t->ulimit = t->umax / 4 * 3;
	t->rlimit = t->ulimit > nuni ? t->ulimit - nuni : 0;
	t->glimit = t->gmax / 4 * 3;
	t->seed = seed;
	return 0;
}

void iptab_free(struct iptab *t)
{
	free(t->uni);
	free(t->grp);
	memset(t, 0, sizeof(*t));
}

/* Seeded 64-bit mix of the kind and the (zero-padded) address. */
static uint32_t hash(uint64_t seed, uint8_t kind, const uint8_t *addr)
{
	unsigned n = iptab_addr_len(kind);
	uint64_t a = seed ^ ((uint64_t)kind << 56), b = seed * 0x9E3779B97F4A7C15ull;

	for (unsigned i = 0; i < n; i++) {
		if (i < 8)
			a ^= (uint64_t)addr[i] << (8 * i);
		else
			b ^= (uint64_t)addr[i] << (8 * (i - 8));
	}
	a ^= b * 0xC2B2AE3D27D4EB4Full;
	a ^= a >> 33;
	a *= 0xFF51AFD7ED558CCDull;
	a ^= a >> 33;
	a *= 0xC4CEB9FE1A85EC53ull;
	a ^= a >> 33;
	return (uint32_t)a;
}

static bool key_eq(uint8_t k1, const uint8_t *a1, uint8_t k2, const uint8_t *a2)
{
	return k1 == k2 && memcmp(a1, a2, iptab_addr_len(k1)) == 0;
}

/* Rehash a table of `*cap` entries of `esz` bytes into `ncap` slots (a power of two).
 * The new slots are filled by plain linear probing: the result is a table as the
 * same entries inserted one by one would make.  -ENOMEM leaves the table as it was. */
static int resize(void **tab, uint32_t *cap, uint32_t ncap, size_t esz, size_t addr_off,
		  uint64_t seed)
{
	const uint8_t *old = *tab;
	uint8_t *nt = calloc(ncap, esz);

	if (!nt)
		return -ENOMEM;
	for (uint32_t i = 0; old && i < *cap; i++) {
		const uint8_t *e = old + (size_t)i * esz;
		uint32_t j;

		if (!e[0])
			continue;
		j = hash(seed, e[0], e + addr_off) & (ncap - 1);
		while (nt[(size_t)j * esz])
			j = (j + 1) & (ncap - 1);
		memcpy(nt + (size_t)j * esz, e, esz);
	}
	free(*tab);
	*tab = nt;
	*cap = ncap;
	return 0;
}

#define GRP_SEED(t) ((t)->seed ^ 0x5A5A5A5A5A5A5A5Aull)

static int uni_resize(struct iptab *t, uint32_t ncap)
{
	t->gen++;	/* entries move: what points into the table (a cached decision) goes */
	return resize((void **)&t->uni, &t->ucap, ncap, sizeof(*t->uni),
		      offsetof(struct ipt_uni, addr), t->seed);
}

static int grp_resize(struct iptab *t, uint32_t ncap)
{
	t->gen++;	/* entries move: a cached decision's `members` points into them */
	return resize((void **)&t->grp, &t->gcap, ncap, sizeof(*t->grp),
		      offsetof(struct ipt_grp, addr), GRP_SEED(t));
}

/*
 * The tables come with the first entry (most LANs of a big SYSTEM CONFIG never see a
 * registration, and an empty table reads as "not found" everywhere) and grow by
 * doubling up to their largest size, so that a walk over one (withdraw, age, QUERY)
 * costs what the LAN holds, not what it could hold.  Called before a new key may go
 * in: afterwards the table has a free slot below the 3/4 load of its current size,
 * or is at its largest (where the caller's ulimit / glimit check refuses).
 */
static int room_for_one(struct iptab *t, bool grp)
{
	uint32_t cap = grp ? t->gcap : t->ucap, count = grp ? t->gcount : t->ucount;
	uint32_t max = grp ? t->gmax : t->umax;

	if (!max)
		return -EINVAL;	/* not initialized, or freed */
	if ((grp ? (void *)t->grp : (void *)t->uni) && (count < cap / 4 * 3 || cap >= max))
		return 0;
	cap = (grp ? (void *)t->grp : (void *)t->uni) ? cap * 2 : IPT_MIN_CAP;
	if (cap > max)
		cap = max;
	return grp ? grp_resize(t, cap) : uni_resize(t, cap);
}

/* After removals: an empty table goes (it comes again with the next entry); one
 * below 1/8 load halves until it is at 1/4 or less (growth happens at 3/4, so a port
 * adding and removing one entry at a boundary does not resize every time).  Failing
 * to allocate the smaller table keeps the larger one. */
static void shrink(struct iptab *t, bool grp)
{
	uint32_t cap = grp ? t->gcap : t->ucap, count = grp ? t->gcount : t->ucount;

	if (!(grp ? (void *)t->grp : (void *)t->uni))
		return;
	if (!count) {
		if (grp) {
			free(t->grp);
			t->grp = NULL;
			t->gcap = 0;
		} else {
			free(t->uni);
			t->uni = NULL;
			t->ucap = 0;
		}
		return;
	}
	if (cap <= IPT_MIN_CAP || count >= cap / 8)
		return;
	while (cap > IPT_MIN_CAP && count < cap / 8)
		cap /= 2;
	(void)(grp ? grp_resize(t, cap) : uni_resize(t, cap));
}

/* ---- unicast ------------------------------------------------------------------------ */

/* Slot of the key, or of the free slot that ends its probe sequence. */
static uint32_t uni_slot(const struct iptab *t, uint8_t kind, const uint8_t *addr)
{
	uint32_t m = t->ucap - 1, i = hash(t->seed, kind, addr) & m;

	/* The load limit guarantees a free slot, so this ends. */
	while (t->uni[i].kind && !key_eq(t->uni[i].kind, t->uni[i].addr, kind, addr))
		i = (i + 1) & m;
	return i;
}

int iptab_lookup(const struct iptab *t, uint8_t kind, const uint8_t *addr)
{
	uint32_t i;

	if (!iptab_addr_len(kind) || !t->uni)
		return -ENOENT;
	i = uni_slot(t, kind, addr);
	return t->uni[i].kind ? t->uni[i].port : -ENOENT;
}

/* The slot of (kind, addr) for `port`, with room for it if it is new; or NULL with
 * *rc set (-EINVAL, -ENOMEM). */
static struct ipt_uni *uni_at(struct iptab *t, uint8_t kind, const uint8_t *addr,
			      uint16_t port, int *rc)
{
	*rc = -EINVAL;
	if (!iptab_addr_len(kind) || port >= IPT_MAX_PORTS)
		return NULL;
	if ((*rc = room_for_one(t, false)))
		return NULL;
	return &t->uni[uni_slot(t, kind, addr)];
}

/* Port may hold entries from now on (a superset: cleared by its withdraw only). */
static inline void owner_mark(struct iptab *t, uint16_t port)
{
	if (port < IPT_MAX_PORTS)
		t->owners[port / 64] |= 1ull << (port % 64);
}

/* Fill the free slot e with a new entry (room checked by the caller). */
static void uni_fill(struct iptab *t, struct ipt_uni *e, uint8_t kind, const uint8_t *addr,
		     uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->port = port;
	owner_mark(t, port);
	memcpy(e->addr, addr, iptab_addr_len(kind));
	t->ucount++;
	t->gen++;
}

int iptab_add(struct iptab *t, uint8_t kind, const uint8_t *addr, uint16_t port, bool local_only)
{
	int rc;
	struct ipt_uni *e = uni_at(t, kind, addr, port, &rc);

	if (!e)
		return rc;
	if (e->kind && e->remote) {
		/* A guest registering an address seen on the far side: the registration
		 * is what the LAN knows for sure. */
		e->remote = false;
		e->seen = 0;
		t->rcount--;
		e->port = port;
		owner_mark(t, port);
		t->gen++;
	} else if (e->kind) {
		return e->port == port ? 0 : -EADDRINUSE;
	} else {
		if (t->ucount >= t->ulimit)
			return -ENOSPC;
		uni_fill(t, e, kind, addr, port);
	}
	e->local_only = local_only;
	return 0;
}

int iptab_learn(struct iptab *t, uint8_t kind, const uint8_t *addr, uint16_t port, uint32_t now)
{
	int rc;
	struct ipt_uni *e = uni_at(t, kind, addr, port, &rc);

	if (!e)
		return rc;
	if (e->kind && !e->remote)
		return -EADDRINUSE;
	if (e->kind) {
		if (e->port != port)
			t->gen++;
		e->port = port;
		owner_mark(t, port);
		e->seen = now;
		return 0;
	}
	if (t->ucount >= t->ulimit || t->rcount >= t->rlimit)
		return -ENOSPC;
	uni_fill(t, e, kind, addr, port);
	e->remote = true;
	e->seen = now;
	t->rcount++;
	return 1;
}

const struct ipt_uni *iptab_entry(const struct iptab *t, uint8_t kind, const uint8_t *addr)
{
	uint32_t i;

	if (!iptab_addr_len(kind) || !t->uni)
		return NULL;
	i = uni_slot(t, kind, addr);
	return t->uni[i].kind ? &t->uni[i] : NULL;
}

/* Backward-shift deletion: move later members of the cluster into the hole when
 * their home slot allows it, so probe sequences never need tombstones. */
#define SHIFT_DELETE(tab, cap, i, seed)                                              \
	do {                                                                         \
		uint32_t m_ = (cap) - 1, hole_ = (i), j_ = (i);                      \
		for (;;) {                                                           \
			uint32_t home_;                                              \
			j_ = (j_ + 1) & m_;                                          \
			if (!(tab)[j_].kind)                                         \
				break;                                               \
			home_ = hash((seed), (tab)[j_].kind, (tab)[j_].addr) & m_;   \
			/* j_ may move to hole_ if home_ is not in (hole_, j_]. */   \
			if (((j_ - home_) & m_) >= ((j_ - hole_) & m_)) {            \
				(tab)[hole_] = (tab)[j_];                            \
				hole_ = j_;                                          \
			}                                                            \
		}                                                                    \
		memset(&(tab)[hole_], 0, sizeof((tab)[hole_]));                      \
	} while (0)

static void uni_remove_at(struct iptab *t, uint32_t i)
{
	if (t->uni[i].remote)
		t->rcount--;
	SHIFT_DELETE(t->uni, t->ucap, i, t->seed);
	t->ucount--;
	t->gen++;
}

int iptab_del(struct iptab *t, uint8_t kind, const uint8_t *addr, uint16_t port)
{
	uint32_t i;

	if (!iptab_addr_len(kind) || !t->uni)
		return -ENOENT;
	i = uni_slot(t, kind, addr);
	if (!t->uni[i].kind)
		return -ENOENT;
	if (t->uni[i].port != port)
		return -EPERM;
	uni_remove_at(t, i);
	shrink(t, false);
	return 0;
}

int iptab_set_local_only(struct iptab *t, uint8_t kind, const uint8_t *addr, bool local_only)
{
	uint32_t i;

	if (!iptab_addr_len(kind) || !t->uni)
		return -ENOENT;
	i = uni_slot(t, kind, addr);
	if (!t->uni[i].kind)
		return -ENOENT;
	t->uni[i].local_only = local_only;
	return 0;
}

int iptab_set_mask(struct iptab *t, uint8_t kind, const uint8_t *addr, const uint8_t mask[4])
{
	uint32_t i;

	if (kind != IPT_V4 || !t->uni)
		return -ENOENT;
	i = uni_slot(t, kind, addr);
	if (!t->uni[i].kind)
		return -ENOENT;
	memcpy(t->uni[i].mask, mask, 4);
	return 0;
}

int iptab_local_only(const struct iptab *t, uint8_t kind, const uint8_t *addr)
{
	uint32_t i;

	if (!iptab_addr_len(kind) || !t->uni)
		return -ENOENT;
	i = uni_slot(t, kind, addr);
	if (!t->uni[i].kind)
		return -ENOENT;
	return t->uni[i].local_only ? 1 : 0;
}

/* ---- groups ------------------------------------------------------------------------- */

static uint32_t grp_slot(const struct iptab *t, uint8_t kind, const uint8_t *addr)
{
	uint32_t m = t->gcap - 1, i = hash(GRP_SEED(t), kind, addr) & m;

	while (t->grp[i].kind && !key_eq(t->grp[i].kind, t->grp[i].addr, kind, addr))
		i = (i + 1) & m;
	return i;
}

static void grp_remove_at(struct iptab *t, uint32_t i)
{
	SHIFT_DELETE(t->grp, t->gcap, i, GRP_SEED(t));
	t->gcount--;
	t->gen++;
}

int iptab_join(struct iptab *t, uint8_t kind, const uint8_t *addr, uint16_t port)
{
	unsigned n = iptab_addr_len(kind);
	struct ipt_grp *g;
	uint64_t bit = 1ull << (port % 64);
	int rc;

	if (!n || port >= IPT_MAX_PORTS)
		return -EINVAL;
	if ((rc = room_for_one(t, true)))
		return rc;
	g = &t->grp[grp_slot(t, kind, addr)];
	if (!g->kind) {
		if (t->gcount >= t->glimit)
			return -ENOSPC;
		memset(g, 0, sizeof(*g));
		g->kind = kind;
		memcpy(g->addr, addr, n);
		t->gcount++;
	}
	if (!(g->members[port / 64] & bit)) {
		g->members[port / 64] |= bit;
		g->nmembers++;
		t->gen++;
	}
	owner_mark(t, port);
	return 0;
}

int iptab_leave(struct iptab *t, uint8_t kind, const uint8_t *addr, uint16_t port)
{
	uint32_t i;
	struct ipt_grp *g;
	uint64_t bit = 1ull << (port % 64);

	if (!iptab_addr_len(kind) || port >= IPT_MAX_PORTS || !t->grp)
		return -ENOENT;
	i = grp_slot(t, kind, addr);
	g = &t->grp[i];
	if (!g->kind || !(g->members[port / 64] & bit))
		return -ENOENT;
	g->members[port / 64] &= ~bit;
	t->gen++;
	if (--g->nmembers == 0) {
		grp_remove_at(t, i);
		shrink(t, true);
	}
	return 0;
}

const uint64_t *iptab_members(const struct iptab *t, uint8_t kind, const uint8_t *addr)
{
	uint32_t i;

	if (!iptab_addr_len(kind) || !t->grp)
		return NULL;
	i = grp_slot(t, kind, addr);
	return t->grp[i].kind ? t->grp[i].members : NULL;
}

/* ---- bulk and walks ----------------------------------------------------------------- */

/*
 * Remove every unicast entry `pick` chooses, in one pass.  A backward shift may move
 * a not-yet-visited entry into slot i, so slot i is looked at again after removing
 * there.  No entry still to be looked at ever lands below i: a shift moves an entry
 * back towards its home within its cluster, and the only slots below i that a shift
 * from i can reach are those of a cluster that wrapped past the end, whose entries
 * were all looked at (at the start of the pass) already.  So the slots below i hold
 * nothing picked, throughout.  Groups are walked the same way.
 */
struct uni_pick {
	uint16_t port;		/* PICK_PORT */
	uint32_t now, ttl;	/* PICK_AGED */
};
enum { PICK_PORT, PICK_AGED };

static bool picked(const struct ipt_uni *e, int how, const struct uni_pick *p)
{
	if (how == PICK_PORT)
		return e->port == p->port;
	return e->remote && p->now - e->seen >= p->ttl;
}

static unsigned uni_remove_picked(struct iptab *t, int how, const struct uni_pick *p)
{
	unsigned gone = 0;

	for (uint32_t i = 0; t->uni && i < t->ucap;) {
		if (t->uni[i].kind && picked(&t->uni[i], how, p)) {
			uni_remove_at(t, i);
			gone++;
		} else {
			i++;
		}
	}
	shrink(t, false);
	return gone;
}

unsigned iptab_withdraw_port(struct iptab *t, uint16_t port)
{
	struct uni_pick p = { .port = port };
	uint64_t bit = 1ull << (port % 64);
	unsigned gone;

	/* A port that never added or joined (most guests at LOGOFF of a big LAN) costs
	 * no walk over the tables. */
	if (port >= IPT_MAX_PORTS || !(t->owners[port / 64] & bit))
		return 0;
	t->owners[port / 64] &= ~bit;
	gone = uni_remove_picked(t, PICK_PORT, &p);
	for (uint32_t i = 0; t->grp && i < t->gcap;) {
		struct ipt_grp *g = &t->grp[i];

		if (g->kind && (g->members[port / 64] & bit)) {
			g->members[port / 64] &= ~bit;
			t->gen++;
			gone++;
			if (--g->nmembers == 0) {
				grp_remove_at(t, i);
				continue;
			}
		}
		i++;
	}
	shrink(t, true);
	return gone;
}

unsigned iptab_age(struct iptab *t, uint32_t now, uint32_t ttl)
{
	struct uni_pick p = { .now = now, .ttl = ttl };

	return uni_remove_picked(t, PICK_AGED, &p);
}

const struct ipt_uni *iptab_next_uni(const struct iptab *t, uint32_t *cursor)
{
	while (t->uni && *cursor < t->ucap) {
		const struct ipt_uni *e = &t->uni[(*cursor)++];

		if (e->kind)
			return e;
	}
	return NULL;
}

const struct ipt_grp *iptab_next_grp(const struct iptab *t, uint32_t *cursor)
{
	while (t->grp && *cursor < t->gcap) {
		const struct ipt_grp *g = &t->grp[(*cursor)++];

		if (g->kind)
			return g;
	}
	return NULL;
}
