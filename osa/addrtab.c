/* osa/addrtab.c - the OSA's bounded address table: a dense entry array under a seeded
 * open-addressing index, clock (second chance) eviction when the owner allows it. */
#include "osa/addrtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/be.h"

unsigned atab_len(uint8_t kind)
{
	return kind == ATAB_V4 ? 4 : kind == ATAB_V6 ? 16 : kind == ATAB_MAC ? 6 : 0;
}

/* Seeded FNV-1a over the kind and the key, then a 64-bit finaliser: the senders on the
 * wire choose the addresses looked up, not the seed. */
static uint32_t key_hash(uint64_t seed, uint8_t kind, const uint8_t *addr)
{
	uint64_t h = (seed ^ 0xCBF29CE484222325ull) ^ kind;
	unsigned n = atab_len(kind);

	h *= 0x100000001B3ull;
	for (unsigned i = 0; i < n; i++)
		h = (h ^ addr[i]) * 0x100000001B3ull;
	h ^= h >> 31;
	h *= 0xBF58476D1CE4E5B9ull;
	h ^= h >> 29;
	return (uint32_t)h;
}

/* ---- the derived set: subnet broadcasts and solicited-node groups --------------- */

enum { DK_BCAST4 = 1, DK_SOL6 = 2 };

/* What entry e implies for group traffic, or 0. */
static uint64_t derived_key(const struct atab_entry *e)
{
	if (e->kind == ATAB_V4 && e->mask && e->mask != 0xFFFFFFFFu)
		return (uint64_t)DK_BCAST4 << 32 | (be_get32(e->addr) | ~e->mask);
	if (e->kind == ATAB_V6)
		return (uint64_t)DK_SOL6 << 32 | (uint32_t)e->addr[13] << 16 |
		       (uint32_t)e->addr[14] << 8 | e->addr[15];
	return 0;
}

static uint32_t dk_home(const struct atab *t, uint64_t k)
{
	uint64_t h = (k ^ t->seed) * 0x9E3779B97F4A7C15ull;

	h ^= h >> 32;
	return (uint32_t)h & (t->hcap - 1);
}

/* The slot of key k, or of the free slot where it would go. */
static uint32_t dk_slot(const struct atab *t, uint64_t k)
{
	uint32_t m = t->hcap - 1, i = dk_home(t, k);

	while (t->dkey[i] && t->dkey[i] != k)
		i = (i + 1) & m;
	return i;
}

static bool dk_has(const struct atab *t, uint64_t k)
{
	return t->dkey && t->n && t->dkey[dk_slot(t, k)] == k;
}

/* At most one key per entry and the index at most half full: never full. */
static void dk_add(struct atab *t, uint64_t k)
{
	uint32_t i;

	if (!k)
		return;
	i = dk_slot(t, k);
	if (t->dkey[i] == k) {
		t->dcnt[i]++;
		return;
	}
	t->dkey[i] = k;
	t->dcnt[i] = 1;
}

/* One entry less implies k; the last one takes it out (backward shift, as the index). */
static void dk_del(struct atab *t, uint64_t k)
{
	uint32_t m = t->hcap - 1, i, j;

	if (!k)
		return;
	i = dk_slot(t, k);
	if (t->dkey[i] != k || --t->dcnt[i])
		return;
	t->dkey[i] = 0;
	for (j = i;;) {
		uint32_t home;

		j = (j + 1) & m;
		if (!t->dkey[j])
			return;
		home = dk_home(t, t->dkey[j]);
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		t->dkey[i] = t->dkey[j];
		t->dcnt[i] = t->dcnt[j];
		t->dkey[j] = 0;
		i = j;
	}
}

bool atab_v4_bcast(const struct atab *t, uint32_t a)
{
	return dk_has(t, (uint64_t)DK_BCAST4 << 32 | a);
}

bool atab_v6_solicited(const struct atab *t, const uint8_t low3[3])
{
	return dk_has(t, (uint64_t)DK_SOL6 << 32 | (uint32_t)low3[0] << 16 |
			 (uint32_t)low3[1] << 8 | low3[2]);
}

/* ---- the table ------------------------------------------------------------------- */

int atab_init(struct atab *t, unsigned cap, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	if (cap < 1 || cap > ATAB_MAX)
		return -EINVAL;
	/* At most half full: probes stay short even for addresses that are not there. */
	t->hcap = 8;
	while (t->hcap < 2 * cap)
		t->hcap <<= 1;
	t->e = calloc(cap, sizeof(*t->e));
	t->slot = calloc(t->hcap, sizeof(*t->slot));
	t->dkey = calloc(t->hcap, sizeof(*t->dkey));
	t->dcnt = calloc(t->hcap, sizeof(*t->dcnt));
	if (!t->e || !t->slot || !t->dkey || !t->dcnt) {
		atab_free(t);
		return -ENOMEM;
	}
	t->cap = cap;
	t->seed = seed;
	return 0;
}

void atab_free(struct atab *t)
{
	free(t->e);
	free(t->slot);
	free(t->dkey);
	free(t->dcnt);
	memset(t, 0, sizeof(*t));
}

void atab_clear(struct atab *t)
{
	if (!t->e)
		return;
	memset(t->e, 0, (size_t)t->cap * sizeof(*t->e));
	memset(t->slot, 0, (size_t)t->hcap * sizeof(*t->slot));
	memset(t->dkey, 0, (size_t)t->hcap * sizeof(*t->dkey));
	memset(t->dcnt, 0, (size_t)t->hcap * sizeof(*t->dcnt));
	memset(t->nkind, 0, sizeof(t->nkind));
	t->n = t->hand = 0;
}

static bool same(const struct atab_entry *e, uint8_t kind, const uint8_t *addr)
{
	return e->kind == kind && !memcmp(e->addr, addr, atab_len(kind));
}

/* The index slot holding (kind, addr), or (-1 - the free slot where it would go). */
static int64_t probe(const struct atab *t, uint8_t kind, const uint8_t *addr)
{
	uint32_t m = t->hcap - 1, i = key_hash(t->seed, kind, addr) & m;

	while (t->slot[i]) {
		if (same(&t->e[t->slot[i] - 1], kind, addr))
			return i;
		i = (i + 1) & m;
	}
	return -1 - (int64_t)i;
}

struct atab_entry *atab_find(const struct atab *t, uint8_t kind, const uint8_t *addr)
{
	int64_t s;

	if (!t->e || !t->n || !atab_len(kind))
		return NULL;
	s = probe(t, kind, addr);
	return s >= 0 ? &t->e[t->slot[s] - 1] : NULL;
}

/* Empty index slot i and move later members of its cluster back (no tombstones). */
static void slot_remove(struct atab *t, uint32_t i)
{
	uint32_t m = t->hcap - 1, j = i;

	t->slot[i] = 0;
	for (;;) {
		const struct atab_entry *e;
		uint32_t home;

		j = (j + 1) & m;
		if (!t->slot[j])
			return;
		e = &t->e[t->slot[j] - 1];
		home = key_hash(t->seed, e->kind, e->addr) & m;
		/* Stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		t->slot[i] = t->slot[j];
		t->slot[j] = 0;
		i = j;
	}
}

/* Point the index slot of entry `from` at index `to` (the entry moved). */
static void slot_repoint(struct atab *t, uint32_t from, uint32_t to)
{
	const struct atab_entry *e = &t->e[to];
	uint32_t m = t->hcap - 1, i = key_hash(t->seed, e->kind, e->addr) & m;

	while (t->slot[i] != from + 1)
		i = (i + 1) & m;
	t->slot[i] = to + 1;
}

/* The clock: the first entry from the hand whose reference bit is clear, clearing the
 * bits it passes (at most one full turn). */
static uint32_t clock_victim(struct atab *t)
{
	for (;;) {
		uint32_t v = t->hand;

		t->hand = (t->hand + 1) % t->n;
		if (!t->e[v].ref)
			return v;
		t->e[v].ref = false;
	}
}

int atab_add(struct atab *t, uint8_t kind, const uint8_t *addr, uint32_t mask, bool vipa,
	     bool evict, struct atab_entry *gone)
{
	struct atab_entry *e;
	uint32_t idx;
	int64_t s;
	int rc = 0;

	if (!t->e || !atab_len(kind))
		return -EINVAL;
	s = probe(t, kind, addr);
	if (s >= 0) {
		e = &t->e[t->slot[s] - 1];
		dk_del(t, derived_key(e));
		e->mask = mask;
		e->vipa = vipa;
		e->ref = true;
		dk_add(t, derived_key(e));
		return 1;
	}
	if (t->n < t->cap) {
		idx = t->n++;
	} else if (!evict) {
		t->st.refused++;
		return -ENOSPC;
	} else {
		idx = clock_victim(t);
		e = &t->e[idx];
		if (gone)
			*gone = *e;
		slot_remove(t, (uint32_t)probe(t, e->kind, e->addr));
		dk_del(t, derived_key(e));
		t->nkind[e->kind]--;
		t->st.evictions++;
		s = probe(t, kind, addr);	/* the removal may have moved the free slot */
		rc = 2;
	}
	e = &t->e[idx];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	memcpy(e->addr, addr, atab_len(kind));
	e->mask = mask;
	e->vipa = vipa;
	e->ref = true;		/* installed for a frame that is about to use it */
	t->slot[-1 - s] = idx + 1;
	dk_add(t, derived_key(e));
	t->nkind[kind]++;
	t->st.installs++;
	return rc;
}

int atab_del(struct atab *t, uint8_t kind, const uint8_t *addr)
{
	uint32_t idx, last;
	int64_t s;

	if (!t->e || !t->n || !atab_len(kind))
		return -ENOENT;
	s = probe(t, kind, addr);
	if (s < 0)
		return -ENOENT;
	idx = t->slot[s] - 1;
	dk_del(t, derived_key(&t->e[idx]));
	slot_remove(t, (uint32_t)s);
	t->nkind[kind]--;
	t->st.removals++;
	last = --t->n;
	if (idx != last) {
		t->e[idx] = t->e[last];
		slot_repoint(t, last, idx);
	}
	memset(&t->e[last], 0, sizeof(t->e[last]));
	if (t->hand >= t->n)
		t->hand = 0;
	return 0;
}
