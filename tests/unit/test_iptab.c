/* tests/unit/test_iptab.c - the LAN IP table: unicast owners, local-only marks,
 * groups, fixed capacity, withdrawal and deletion inside collision clusters. */
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

	REQUIRE(iptab_init(&tab, 10, 2, 3) == 0);
	for (unsigned i = 0; i < 100 && rc == 0; i++) {
		uint8_t ip[4] = { 10, 1, (uint8_t)(i >> 8), (uint8_t)i };

		rc = iptab_add(&tab, IPT_V4, ip, 1, true);
		if (rc == 0)
			added++;
	}
	CHECK_EQ(rc, -ENOSPC);
	CHECK(added >= 10);
	CHECK_EQ(added, tab.ulimit);
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

/* Random add/del against a plain array: backward-shift deletion must keep every
 * surviving key reachable even in long collision clusters (tiny table). */
TEST(iptab_random_ops_match_reference)
{
	struct iptab tab;
	int ref[64];
	unsigned seed = 12345;

	REQUIRE(iptab_init(&tab, 40, 4, 6) == 0);
	for (unsigned i = 0; i < 64; i++)
		ref[i] = -1;
	for (unsigned step = 0; step < 20000; step++) {
		unsigned k, port;
		uint8_t ip[4];
		int rc;

		seed = seed * 1103515245u + 12345u;
		k = (seed >> 16) % 64;
		port = (seed >> 8) % 3;
		ip[0] = 192;
		ip[1] = 168;
		ip[2] = 0;
		ip[3] = (uint8_t)k;
		if (seed & 0x80000000u) {
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
		if (t->failures)
			break;
	}
	for (unsigned k = 0; k < 64; k++) {
		uint8_t ip[4] = { 192, 168, 0, (uint8_t)k };

		CHECK_EQ(iptab_lookup(&tab, IPT_V4, ip), ref[k] < 0 ? -ENOENT : ref[k]);
	}
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
