/* tests/unit/test_iptab.c - the LAN IP table: unicast owners, local-only marks,
 * groups, bounded capacity, growth and shrinking, withdrawal and deletion inside
 * collision clusters (also ones that wrap past the end of the table). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "tests/tcheck.h"
#include "vswitch/iptab.h"

static const uint8_t ip_a[4] = { 10, 0, 0, 1 }, ip_b[4] = { 10, 0, 0, 2 };

TEST(iptab_unicast_owner_and_duplicates)
{
	struct iptab tab;
	uint8_t v6[16] = { 0xfd, 0, [15] = 1 };

	REQUIRE(iptab_init(&tab, 16, 4, 1) == 0);
	CHECK_EQ(iptab_lookup(&tab, IPT_V4, ip_a), -ENOENT);
	CHECK_EQ(iptab_add(&tab, IPT_V4, ip_a, 3, true), 0);
	CHECK_EQ(iptab_lookup(&tab, IPT_V4, ip_a), 3);
	CHECK_EQ(iptab_add(&tab, IPT_V4, ip_a, 3, true), 0);		/* retry: ours */
	CHECK_EQ(iptab_add(&tab, IPT_V4, ip_a, 4, true), -EADDRINUSE);
	/* Same bytes, other family: a different key. */
	memcpy(v6, ip_a, 4);
	CHECK_EQ(iptab_lookup(&tab, IPT_V6, v6), -ENOENT);
	CHECK_EQ(iptab_add(&tab, IPT_V6, v6, 4, true), 0);
	CHECK_EQ(iptab_del(&tab, IPT_V4, ip_a, 4), -EPERM);
	CHECK_EQ(iptab_del(&tab, IPT_V4, ip_b, 3), -ENOENT);
	CHECK_EQ(iptab_del(&tab, IPT_V4, ip_a, 3), 0);
	CHECK_EQ(iptab_lookup(&tab, IPT_V4, ip_a), -ENOENT);
	CHECK_EQ(iptab_lookup(&tab, IPT_V6, v6), 4);
	CHECK_EQ(iptab_add(&tab, 9, ip_a, 1, true), -EINVAL);
	CHECK_EQ(iptab_add(&tab, IPT_V4, ip_b, IPT_MAX_PORTS, true), -EINVAL);
	iptab_free(&tab);
}

TEST(iptab_local_only_mark)
{
	struct iptab tab;

	REQUIRE(iptab_init(&tab, 16, 4, 2) == 0);
	CHECK_EQ(iptab_add(&tab, IPT_V4, ip_a, 1, true), 0);
	CHECK_EQ(iptab_local_only(&tab, IPT_V4, ip_a), 1);
	CHECK_EQ(iptab_set_local_only(&tab, IPT_V4, ip_a, false), 0);
	CHECK_EQ(iptab_local_only(&tab, IPT_V4, ip_a), 0);
	CHECK_EQ(iptab_set_local_only(&tab, IPT_V4, ip_b, false), -ENOENT);
	CHECK_EQ(iptab_local_only(&tab, IPT_V4, ip_b), -ENOENT);
	iptab_free(&tab);
}

TEST(iptab_full_is_refused)
{
	struct iptab tab;
	unsigned added = 0;
	int rc = 0;

	/* 100 entries: the table grows from IPT_MIN_CAP to its largest size (256) on
	 * the way and refuses at 3/4 of that. */
	REQUIRE(iptab_init(&tab, 100, 2, 3) == 0);
	for (unsigned i = 0; i < 400 && rc == 0; i++) {
		uint8_t ip[4] = { 10, 1, (uint8_t)(i >> 8), (uint8_t)i };

		rc = iptab_add(&tab, IPT_V4, ip, 1, true);
		if (rc == 0)
			added++;
	}
	CHECK_EQ(rc, -ENOSPC);
	CHECK(added >= 100);
	CHECK_EQ(added, tab.ulimit);
	CHECK_EQ(tab.ucap, 256u);
	/* Everything added is still found; freeing one makes room for one. */
	for (unsigned i = 0; i < added; i++) {
		uint8_t ip[4] = { 10, 1, (uint8_t)(i >> 8), (uint8_t)i };

		CHECK_EQ(iptab_lookup(&tab, IPT_V4, ip), 1);
	}
	{
		uint8_t ip0[4] = { 10, 1, 0, 0 }, ipx[4] = { 10, 9, 9, 9 };

		CHECK_EQ(iptab_del(&tab, IPT_V4, ip0, 1), 0);
		CHECK_EQ(iptab_add(&tab, IPT_V4, ipx, 1, true), 0);
		CHECK_EQ(iptab_add(&tab, IPT_V4, ip0, 1, true), -ENOSPC);
	}
	iptab_free(&tab);
}

TEST(iptab_groups)
{
	struct iptab tab;
	uint8_t g[4] = { 224, 0, 0, 251 }, mg[6] = { 0x01, 0x00, 0x5e, 0, 0, 0xfb };
	const uint64_t *m;

	REQUIRE(iptab_init(&tab, 8, 8, 4) == 0);
	CHECK(iptab_members(&tab, IPT_V4, g) == NULL);
	CHECK_EQ(iptab_join(&tab, IPT_V4, g, 2), 0);
	CHECK_EQ(iptab_join(&tab, IPT_V4, g, 2), 0);
	CHECK_EQ(iptab_join(&tab, IPT_V4, g, 700), 0);
	CHECK_EQ(iptab_join(&tab, IPT_MAC, mg, 5), 0);
	m = iptab_members(&tab, IPT_V4, g);
	REQUIRE(m != NULL);
	CHECK_EQ(m[0], 1ull << 2);
	CHECK_EQ(m[700 / 64], 1ull << (700 % 64));
	CHECK_EQ(iptab_leave(&tab, IPT_V4, g, 3), -ENOENT);
	CHECK_EQ(iptab_leave(&tab, IPT_V4, g, 2), 0);
	CHECK_EQ(iptab_leave(&tab, IPT_V4, g, 700), 0);
	CHECK(iptab_members(&tab, IPT_V4, g) == NULL);		/* last one left: gone */
	CHECK(iptab_members(&tab, IPT_MAC, mg) != NULL);
	CHECK_EQ(tab.gcount, 1);
	iptab_free(&tab);
}

TEST(iptab_withdraw_port_removes_all_of_it)
{
	struct iptab tab;
	uint8_t g[4] = { 239, 1, 1, 1 }, mac[6] = { 2, 0, 0, 0, 0, 9 };
	uint32_t cur = 0;
	unsigned n = 0;

	REQUIRE(iptab_init(&tab, 64, 8, 5) == 0);
	for (unsigned i = 0; i < 40; i++) {
		uint8_t ip[4] = { 10, 2, 0, (uint8_t)i };

		CHECK_EQ(iptab_add(&tab, IPT_V4, ip, (uint16_t)(i % 2), true), 0);
	}
	CHECK_EQ(iptab_add(&tab, IPT_MAC, mac, 1, true), 0);
	CHECK_EQ(iptab_join(&tab, IPT_V4, g, 1), 0);
	CHECK_EQ(iptab_join(&tab, IPT_V4, g, 0), 0);
	CHECK_EQ(iptab_withdraw_port(&tab, 1), 22);
	for (unsigned i = 0; i < 40; i++) {
		uint8_t ip[4] = { 10, 2, 0, (uint8_t)i };

		CHECK_EQ(iptab_lookup(&tab, IPT_V4, ip), i % 2 ? -ENOENT : 0);
	}
	CHECK_EQ(iptab_lookup(&tab, IPT_MAC, mac), -ENOENT);
	REQUIRE(iptab_members(&tab, IPT_V4, g) != NULL);
	CHECK_EQ(iptab_members(&tab, IPT_V4, g)[0], 1);
	while (iptab_next_uni(&tab, &cur))
		n++;
	CHECK_EQ(n, 20);
	iptab_free(&tab);
}

/* Withdraw skips ports that never registered, but one that registers again after a
 * withdraw (or owns only a group membership) is withdrawn again. */
TEST(iptab_withdraw_port_again_after_reregistering)
{
	struct iptab tab;
	uint8_t ip[4] = { 10, 3, 0, 1 }, g[4] = { 239, 1, 1, 2 };

	REQUIRE(iptab_init(&tab, 64, 8, 9) == 0);
	CHECK_EQ(iptab_add(&tab, IPT_V4, ip, 700, false), 0);
	CHECK_EQ(iptab_withdraw_port(&tab, 3), 0);
	CHECK_EQ(iptab_withdraw_port(&tab, 700), 1);
	CHECK_EQ(iptab_withdraw_port(&tab, 700), 0);
	CHECK_EQ(iptab_add(&tab, IPT_V4, ip, 700, false), 0);
	CHECK_EQ(iptab_join(&tab, IPT_V4, g, 3), 0);
	CHECK_EQ(iptab_withdraw_port(&tab, 700), 1);
	CHECK_EQ(iptab_lookup(&tab, IPT_V4, ip), -ENOENT);
	CHECK_EQ(iptab_withdraw_port(&tab, 3), 1);
	CHECK(iptab_members(&tab, IPT_V4, g) == NULL);
	CHECK_EQ(tab.ucount, 0);
	CHECK_EQ(tab.gcount, 0);
	iptab_free(&tab);
}

/* Random add/del/withdraw against a plain array: backward-shift deletion must keep
 * every surviving key reachable even in long collision clusters, and a withdraw must
 * take exactly the port's entries, while the table grows, shrinks and goes. */
TEST(iptab_random_ops_match_reference)
{
	struct iptab tab;
	int ref[64];
	unsigned seed = 12345, withdraws = 0, freed = 0, sizes = 0;
	uint32_t lastcap = 0;

	REQUIRE(iptab_init(&tab, 40, 4, 6) == 0);
	for (unsigned i = 0; i < 64; i++)
		ref[i] = -1;
	for (unsigned step = 0; step < 20000; step++) {
		unsigned k, port, n = 0, want = 0;
		uint8_t ip[4];
		int rc;

		seed = seed * 1103515245u + 12345u;
		k = (seed >> 16) % 64;
		port = (seed >> 8) % 3;
		ip[0] = 192;
		ip[1] = 168;
		ip[2] = 0;
		ip[3] = (uint8_t)k;
		if ((seed & 0x1F0) == 0) {
			/* Now and then a port goes: all of its entries, nothing else. */
			for (unsigned j = 0; j < 64; j++)
				if (ref[j] == (int)port) {
					ref[j] = -1;
					want++;
				}
			CHECK_EQ(iptab_withdraw_port(&tab, (uint16_t)port), want);
			withdraws++;
		} else if (seed & 0x80000000u) {
			rc = iptab_add(&tab, IPT_V4, ip, (uint16_t)port, true);
			if (ref[k] < 0 && rc == 0)
				ref[k] = (int)port;
			else if (ref[k] >= 0)
				CHECK_EQ(rc, ref[k] == (int)port ? 0 : -EADDRINUSE);
			else
				CHECK_EQ(rc, -ENOSPC);
		} else {
			rc = iptab_del(&tab, IPT_V4, ip, (uint16_t)port);
			if (ref[k] == (int)port) {
				CHECK_EQ(rc, 0);
				ref[k] = -1;
			} else {
				CHECK_EQ(rc, ref[k] < 0 ? -ENOENT : -EPERM);
			}
		}
		for (unsigned j = 0; j < 64; j++)
			n += ref[j] >= 0;
		CHECK_EQ(tab.ucount, n);
		/* Never above 3/4 load; an empty table is no table. */
		CHECK(tab.ucount * 4 <= tab.ucap * 3);
		CHECK((tab.uni == NULL) == (n == 0));
		freed += tab.uni == NULL;
		sizes += tab.ucap != lastcap;
		lastcap = tab.ucap;
		if (t->failures)
			break;
	}
	for (unsigned k = 0; k < 64; k++) {
		uint8_t ip[4] = { 192, 168, 0, (uint8_t)k };

		CHECK_EQ(iptab_lookup(&tab, IPT_V4, ip), ref[k] < 0 ? -ENOENT : ref[k]);
	}
	/* The walk saw withdraws, resizes and an emptied table. */
	CHECK(withdraws > 100);
	CHECK(sizes > 10);
	CHECK(freed > 0);
	iptab_free(&tab);
}

/* The slot an entry sits in (walk cursors count slots), or -1. */
static int slot_of(const struct iptab *tab, const uint8_t *ip)
{
	uint32_t cur = 0;
	const struct ipt_uni *e;

	while ((e = iptab_next_uni(tab, &cur)) != NULL)
		if (e->kind == IPT_V4 && !memcmp(e->addr, ip, 4))
			return (int)cur - 1;
	return -1;
}

/* A cluster that starts in the last slot and wraps to the first ones: withdrawing a
 * port whose entries are spread through it takes them all in its one walk, and the
 * other port's entries are shifted back, still found. */
TEST(iptab_withdraw_in_a_cluster_that_wraps)
{
	struct iptab tab, probe;
	uint8_t ips[6][4];
	unsigned n = 0;

	/* Addresses whose home is the last slot of a 16-slot table (same seed). */
	REQUIRE(iptab_init(&probe, 8, 4, 77) == 0);
	for (unsigned c = 0; c < 4096 && n < 6; c++) {
		uint8_t ip[4] = { 10, 7, (uint8_t)(c >> 8), (uint8_t)c };

		REQUIRE(iptab_add(&probe, IPT_V4, ip, 1, true) == 0);
		REQUIRE(probe.ucap == IPT_MIN_CAP);
		if (slot_of(&probe, ip) == (int)IPT_MIN_CAP - 1)
			memcpy(ips[n++], ip, 4);
		REQUIRE(iptab_del(&probe, IPT_V4, ip, 1) == 0);
	}
	REQUIRE(n == 6);
	iptab_free(&probe);

	REQUIRE(iptab_init(&tab, 8, 4, 77) == 0);
	REQUIRE(tab.umax == IPT_MIN_CAP);
	for (unsigned i = 0; i < 6; i++)
		REQUIRE(iptab_add(&tab, IPT_V4, ips[i], (uint16_t)(1 + i % 2), true) == 0);
	/* Slots 15, 0, 1, 2, 3, 4: ports 1, 2, 1, 2, 1, 2. */
	CHECK_EQ(slot_of(&tab, ips[0]), 15);
	CHECK_EQ(slot_of(&tab, ips[5]), 4);
	CHECK_EQ(iptab_withdraw_port(&tab, 1), 3);
	CHECK_EQ(tab.ucount, 3);
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ(iptab_lookup(&tab, IPT_V4, ips[i]), i % 2 ? 2 : -ENOENT);
	/* Port 2's entries moved up to the front of the cluster: 15, 0, 1. */
	CHECK_EQ(slot_of(&tab, ips[1]), 15);
	CHECK_EQ(slot_of(&tab, ips[3]), 0);
	CHECK_EQ(slot_of(&tab, ips[5]), 1);
	CHECK_EQ(iptab_withdraw_port(&tab, 2), 3);
	CHECK(tab.uni == NULL);
	iptab_free(&tab);
}

/* A big LAN's tables start small, double with what is registered and halve again when
 * ports go: the size follows the entries (walks cost what the LAN holds), and what is
 * left is still found after each resize. */
TEST(iptab_tables_follow_their_entries)
{
	struct iptab tab;
	uint8_t g[4] = { 239, 9, 0, 0 };

	REQUIRE(iptab_init(&tab, 4096, 1024, 8) == 0);
	CHECK(tab.uni == NULL && tab.grp == NULL && tab.ucap == 0);
	CHECK_EQ(tab.umax, 8192u);
	for (unsigned i = 0; i < 1000; i++) {
		uint8_t ip[4] = { 10, 8, (uint8_t)(i >> 8), (uint8_t)i };

		CHECK_EQ(iptab_add(&tab, IPT_V4, ip, (uint16_t)(i % 8), true), 0);
		if (i == 0)
			CHECK_EQ(tab.ucap, IPT_MIN_CAP);
	}
	/* 1000 entries: 2048 slots (1024 would be past 3/4). */
	CHECK_EQ(tab.ucap, 2048u);
	for (unsigned p = 0; p < 7; p++)
		CHECK_EQ(iptab_withdraw_port(&tab, (uint16_t)p), 125u);
	/* 125 left: below 1/8 of 2048, halved to 512 (1/4 load at most). */
	CHECK_EQ(tab.ucount, 125u);
	CHECK_EQ(tab.ucap, 512u);
	for (unsigned i = 0; i < 1000; i++) {
		uint8_t ip[4] = { 10, 8, (uint8_t)(i >> 8), (uint8_t)i };

		CHECK_EQ(iptab_lookup(&tab, IPT_V4, ip), i % 8 == 7 ? 7 : -ENOENT);
	}
	for (unsigned i = 7; i < 1000; i += 8) {
		uint8_t ip[4] = { 10, 8, (uint8_t)(i >> 8), (uint8_t)i };

		CHECK_EQ(iptab_del(&tab, IPT_V4, ip, 7), 0);
		if (i + 8 < 1000 && tab.ucount >= 2)
			CHECK(tab.ucount * 4 <= tab.ucap || tab.ucap == IPT_MIN_CAP);
	}
	CHECK(tab.uni == NULL && tab.ucap == 0);
	/* Groups the same way. */
	for (unsigned i = 0; i < 300; i++) {
		g[3] = (uint8_t)i;
		g[2] = (uint8_t)(i >> 8);
		CHECK_EQ(iptab_join(&tab, IPT_V4, g, 3), 0);
		CHECK_EQ(iptab_join(&tab, IPT_V4, g, 900), 0);
	}
	CHECK_EQ(tab.gcount, 300u);
	CHECK_EQ(tab.gcap, 512u);
	CHECK_EQ(iptab_withdraw_port(&tab, 3), 300u);
	CHECK_EQ(tab.gcap, 512u);			/* members left in every group */
	g[2] = 1;
	g[3] = 0x2B;	/* group 299 */
	REQUIRE(iptab_members(&tab, IPT_V4, g) != NULL);
	CHECK_EQ(iptab_members(&tab, IPT_V4, g)[900 / 64], 1ull << (900 % 64));
	CHECK_EQ(iptab_withdraw_port(&tab, 900), 300u);
	CHECK(tab.grp == NULL && tab.gcount == 0);
	/* And they come again. */
	CHECK_EQ(iptab_join(&tab, IPT_V4, g, 1), 0);
	CHECK_EQ(tab.gcap, IPT_MIN_CAP);
	iptab_free(&tab);
}

TEST(iptab_init_rejects_bad_sizes)
{
	struct iptab tab;

	CHECK_EQ(iptab_init(&tab, 0, 4, 0), -EINVAL);
	CHECK_EQ(iptab_init(&tab, 4, 0, 0), -EINVAL);
	CHECK_EQ(iptab_init(&tab, 70000, 4, 0), -EINVAL);
	CHECK_EQ(iptab_lookup(&tab, IPT_V4, ip_a), -ENOENT);	/* empty after a failed init */
}
