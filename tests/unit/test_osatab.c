/* tests/unit/test_osatab.c - the OSA's bounded address table (osa/addrtab): the bound,
 * the clock's eviction order, refusal without eviction, and agreement with a reference. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/be.h"
#include "osa/addrtab.h"
#include "tests/tcheck.h"

static const uint8_t *ip4(uint8_t last)
{
	static uint8_t k[8][4];
	static unsigned n;
	uint8_t *p = k[n++ % 8];

	p[0] = 10;
	p[1] = 9;
	p[2] = 0;
	p[3] = last;
	return p;
}

TEST(osatab_bound_and_clock_order)
{
	struct atab tab;
	struct atab_entry gone;

	REQUIRE(atab_init(&tab, 4, 7) == 0);
	for (uint8_t a = 1; a <= 4; a++)
		CHECK_EQ(atab_add(&tab, ATAB_V4, ip4(a), 0xFFFFFF00u, false, true, NULL), 0);
	CHECK_EQ(tab.n, 4u);
	CHECK_EQ(atab_add(&tab, ATAB_V4, ip4(2), 0xFFFFFFFFu, false, true, NULL), 1);	/* there */
	CHECK_EQ(atab_find(&tab, ATAB_V4, ip4(2))->mask, 0xFFFFFFFFu);
	/* Full and not allowed to evict: refused, nothing lost. */
	CHECK_EQ(atab_add(&tab, ATAB_V4, ip4(5), 0, false, false, NULL), -ENOSPC);
	CHECK_EQ(tab.st.refused, 1u);
	CHECK(atab_find(&tab, ATAB_V4, ip4(5)) == NULL);
	/* Every entry was just installed (reference bit set): the hand clears all four and
	 * takes the first, 10.9.0.1. */
	CHECK_EQ(atab_add(&tab, ATAB_V4, ip4(5), 0, false, true, &gone), 2);
	CHECK_MEM(gone.addr, ip4(1), 4);
	CHECK(atab_find(&tab, ATAB_V4, ip4(1)) == NULL);
	CHECK_EQ(tab.n, 4u);
	/* 10.9.0.2 is used again (second chance): the next victim is 10.9.0.3, then
	 * 10.9.0.4; 10.9.0.2 survives both. */
	atab_find(&tab, ATAB_V4, ip4(2))->ref = true;
	CHECK_EQ(atab_add(&tab, ATAB_V4, ip4(6), 0, false, true, &gone), 2);
	CHECK_MEM(gone.addr, ip4(3), 4);
	CHECK_EQ(atab_add(&tab, ATAB_V4, ip4(7), 0, false, true, &gone), 2);
	CHECK_MEM(gone.addr, ip4(4), 4);
	CHECK(atab_find(&tab, ATAB_V4, ip4(2)) != NULL);
	CHECK_EQ(tab.st.evictions, 3u);
	CHECK_EQ(tab.st.installs, 7u);
	/* Kinds are separate keys; a removal makes room without evicting. */
	CHECK(atab_find(&tab, ATAB_V6, ip4(2)) == NULL);
	CHECK_EQ(atab_del(&tab, ATAB_V4, ip4(2)), 0);
	CHECK_EQ(atab_del(&tab, ATAB_V4, ip4(2)), -ENOENT);
	CHECK_EQ(atab_add(&tab, ATAB_MAC, (const uint8_t[6]){ 2, 0, 0, 0, 0, 1 }, 0, false, false,
			  NULL), 0);
	CHECK_EQ(tab.nkind[ATAB_V4], 3u);
	CHECK_EQ(tab.nkind[ATAB_MAC], 1u);
	CHECK_EQ(atab_add(&tab, 9, ip4(1), 0, false, true, NULL), -EINVAL);
	atab_clear(&tab);
	CHECK_EQ(tab.n, 0u);
	CHECK(atab_find(&tab, ATAB_V4, ip4(5)) == NULL);
	CHECK_EQ(tab.st.evictions, 3u);		/* counters stay */
	atab_free(&tab);
	CHECK_EQ(atab_init(&tab, 0, 1), -EINVAL);
	CHECK_EQ(atab_init(&tab, ATAB_MAX + 1, 1), -EINVAL);
}

/* Random installs, evictions and removals against a plain membership array: the table
 * always finds exactly what it holds, never more than its bound, and the index
 * (backward-shift deletion, entries moved on removal) stays consistent. */
TEST(osatab_matches_a_reference_under_random_changes)
{
	enum { CAP = 61, KEYS = 400, STEPS = 20000 };
	static bool in[KEYS];
	struct atab tab;
	uint32_t x = 12345;

	memset(in, 0, sizeof(in));
	REQUIRE(atab_init(&tab, CAP, 99) == 0);
	for (unsigned step = 0; step < STEPS; step++) {
		struct atab_entry gone;
		uint8_t key[16] = { 0xFD, 0 };
		unsigned k;
		int rc;

		x = x * 1103515245u + 12345u;
		k = (x >> 8) % KEYS;
		key[14] = (uint8_t)(k >> 8);
		key[15] = (uint8_t)k;
		if ((x >> 20) % 3 == 0) {
			rc = atab_del(&tab, ATAB_V6, key);
			CHECK_EQ(rc, in[k] ? 0 : -ENOENT);
			in[k] = false;
		} else {
			rc = atab_add(&tab, ATAB_V6, key, 0, false, true, &gone);
			CHECK(rc >= 0);
			if (rc == 2) {
				unsigned g = (unsigned)gone.addr[14] << 8 | gone.addr[15];

				REQUIRE(g < KEYS && in[g]);
				in[g] = false;
			}
			in[k] = true;
		}
		if (step % 1000 == 999) {
			unsigned held = 0;

			for (unsigned j = 0; j < KEYS; j++) {
				key[14] = (uint8_t)(j >> 8);
				key[15] = (uint8_t)j;
				CHECK_EQ(atab_find(&tab, ATAB_V6, key) != NULL, in[j]);
				held += in[j];
			}
			CHECK_EQ(held, tab.n);
			CHECK(tab.n <= CAP);
		}
	}
	CHECK(tab.st.evictions > 0);
	atab_free(&tab);
}

/* The walk the derived set replaced: the reference. */
static bool walk_bcast(const struct atab *t, uint32_t a)
{
	for (unsigned i = 0; i < t->n; i++) {
		const struct atab_entry *e = &t->e[i];
		uint32_t m = e->mask, ip = be_get32(e->addr);

		if (e->kind == ATAB_V4 && m && m != 0xFFFFFFFFu && (a & m) == (ip & m) &&
		    (a | m) == 0xFFFFFFFFu)
			return true;
	}
	return false;
}

static bool walk_sol(const struct atab *t, const uint8_t *low3)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->e[i].kind == ATAB_V6 && !memcmp(t->e[i].addr + 13, low3, 3))
			return true;
	return false;
}

/* The subnet-directed broadcasts and solicited-node groups the table answers in one
 * probe agree with a walk over its entries under random installs (masks changing on
 * re-registration), evictions, removals and clears, also when several entries imply
 * the same group. */
TEST(osatab_derived_groups_match_a_walk_under_random_changes)
{
	enum { CAP = 37, KEYS = 200, STEPS = 20000 };
	static const uint32_t masks[] = { 0, 0xFF000000u, 0xFFFF0000u, 0xFFFFFF00u,
					  0xFFFFFFFCu, 0xFFFFFFFFu };
	struct atab tab;
	uint32_t x = 777;
	unsigned agree_yes = 0;

	REQUIRE(atab_init(&tab, CAP, 5) == 0);
	for (unsigned step = 0; step < STEPS; step++) {
		uint8_t key[16] = { 0 };
		uint8_t kind;
		unsigned k;

		x = x * 1103515245u + 12345u;
		k = (x >> 8) % KEYS;
		kind = (x >> 24) & 1 ? ATAB_V6 : ATAB_V4;
		if (kind == ATAB_V4) {
			/* 10.(k/8).x.x: few subnets, many members each */
			be_put32(key, 0x0A000000u | (k / 8) << 16 | (k % 8) << 2 | 1);
		} else {
			key[0] = 0xFD;
			key[13] = (uint8_t)(k % 16);	/* several entries, one group */
			key[14] = (uint8_t)(k >> 8);
			key[15] = (uint8_t)k;
		}
		if ((x >> 20) % 3 == 0)
			atab_del(&tab, kind, key);
		else
			CHECK(atab_add(&tab, kind, key, masks[(x >> 12) % 6], false, true, NULL) >= 0);
		if (step % 5000 == 4999)
			atab_clear(&tab);
		if (step % 250 == 0) {
			for (unsigned j = 0; j < 64; j++) {
				uint32_t a = 0x0A000000u | (j / 2) << 16 |
					     (j & 1 ? 0xFFFFu : 0x00FFu);
				uint8_t low[3] = { (uint8_t)(j % 16), 0, (uint8_t)(j * 3) };

				CHECK_EQ(atab_v4_bcast(&tab, a), walk_bcast(&tab, a));
				CHECK_EQ(atab_v4_bcast(&tab, 0x0AFFFFFFu), walk_bcast(&tab, 0x0AFFFFFFu));
				a = 0x0A000000u | (j / 2) << 16 | (j % 8) << 2 | 3;	/* a /30's */
				CHECK_EQ(atab_v4_bcast(&tab, a), walk_bcast(&tab, a));
				agree_yes += walk_bcast(&tab, a);
				CHECK_EQ(atab_v6_solicited(&tab, low), walk_sol(&tab, low));
				agree_yes += walk_bcast(&tab, a) + walk_sol(&tab, low);
			}
		}
	}
	CHECK(agree_yes > 100);		/* the probes did hit groups, not only empty ones */
	CHECK(tab.st.evictions > 0);
	atab_free(&tab);
}
