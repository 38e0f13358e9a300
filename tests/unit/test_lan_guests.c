/* tests/unit/test_lan_guests.c - three or more synthetic guests, each on its own virtual
 * NIC, coupled to one LANBK: ARP, pings, broadcast, multicast, VLANs, GRANT, isolation. */
#include <stdio.h>
#include <stdlib.h>

#include "driver/guest.h"
#include "qeth/ipa.h"
#include "vswitch/lan.h"
#include "vswitch/switch.h"
#include "tests/tcheck.h"

/*
 * The fixture does what cpnetd does for a logged-on user (cp_couple): a NIC per
 * guest, DEFINE + SET on one LAN, COUPLE (lan_attach_port with the NIC's port and
 * assigned MAC, then link up), and then the guest brings the interface online the
 * way Linux qeth does.  Guest k is user LINUXk, MAC 02:00:00:00:00:1k, IPv4
 * 10.1.0.(k+1)/24.  Everything runs synchronously in this thread; "pumping" polls
 * every guest so that replies travel.
 */
#define LG_MAX 5
#define LG_DEVNO 0x0A00

struct lg {
	struct lan_table tbl;
	struct lanbk *lan;
	unsigned n;
	struct nicbk nic[LG_MAX];
	struct guest g[LG_MAX];
	struct guest_if *i[LG_MAX];
};

/* The uplink stand-in: a bare port that counts and keeps the last frame. */
struct fake_uplink {
	struct port p;
	unsigned frames;
	uint8_t last[1600];
	uint32_t last_len;
};

static unsigned uplink_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct fake_uplink *u = owner;

	(void)p;
	for (unsigned k = 0; k < n; k++) {
		uint32_t len = f[k].len < sizeof(u->last) ? f[k].len : sizeof(u->last);

		u->last_len = (uint32_t)qdio_spans_copy(f[k].spans, f[k].nspans, 0, u->last, len);
		u->frames++;
	}
	return n;
}

static void lg_mac(unsigned k, uint8_t mac[6])
{
	static const uint8_t base[6] = { 0x02, 0, 0, 0, 0, 0x10 };

	memcpy(mac, base, 6);
	mac[5] = (uint8_t)(0x10 + k);
}

static void lg_ip(unsigned k, uint8_t ip[4])
{
	ip[0] = 10;
	ip[1] = 1;
	ip[2] = 0;
	ip[3] = (uint8_t)(k + 1);
}

static void lg_user(unsigned k, char u[9])
{
	snprintf(u, 9, "LINUX%u", k);
}

static struct lg *lg_new(uint8_t kind, uint8_t transport)
{
	struct lg *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	lan_table_init(&l->tbl, 0x1234567890ABCDEFull);
	if (lan_define(&l->tbl, "SYSTEM", "LANTEST", kind, &l->lan) < 0 ||
	    lan_set_transport(l->lan, transport) < 0) {
		lan_table_free(&l->tbl);
		free(l);
		return NULL;
	}
	return l;
}

/* A NIC and a guest driving it at `layer`; not coupled yet. */
static int lg_add(struct lg *l, uint8_t layer)
{
	unsigned k = l->n;
	struct nic_cfg c;
	int rc;

	if (k >= LG_MAX)
		return -ENOSPC;
	memset(&c, 0, sizeof(c));
	c.base_devno = LG_DEVNO;
	c.ndev = 3;
	c.base_schno = 0x10;
	c.chpid = 0x0A;
	c.type = NIC_QDIO;
	lg_mac(k, c.mac);
	c.vm_nic = true;
	lg_user(k, c.owner);
	rc = nic_create(&l->nic[k], &c);
	if (rc < 0)
		return rc;
	nic_set_link(&l->nic[k], false);	/* no LAN until COUPLE, as cpnetd does */
	rc = guest_create(&l->g[k], 0);
	if (rc < 0) {
		nic_destroy(&l->nic[k]);
		return rc;
	}
	rc = guest_attach_nic(&l->g[k], &l->nic[k], LG_DEVNO, layer, &l->i[k]);
	if (rc < 0) {
		guest_destroy(&l->g[k]);
		nic_destroy(&l->nic[k]);
		return rc;
	}
	l->n++;
	return (int)k;
}

/* COUPLE: the port number (> 0) or lan_attach_port's error. */
static int lg_couple(struct lg *l, unsigned k)
{
	char u[9];
	int rc;

	lg_user(k, u);
	rc = lan_attach_port(l->lan, &l->nic[k].port, u, LG_DEVNO, LAN_PORTNUM_AUTO,
			     l->nic[k].cfg.mac);
	if (rc > 0)
		nic_set_link(&l->nic[k], true);
	return rc;
}

static void lg_uncouple(struct lg *l, unsigned k)
{
	lan_detach_port(l->lan, &l->nic[k].port);
	nic_set_link(&l->nic[k], false);
}

/* "echo 1 > online" and "ip addr add 10.1.0.(k+1)/24". */
static int lg_online(struct tctx *t, struct lg *l, unsigned k)
{
	uint8_t ip[4];
	int rc = guest_if_online(l->i[k]);

	if (rc < 0) {
		tc_fail(t, __FILE__, __LINE__, "guest %u online: %d %s", k, rc,
			l->i[k]->drv.last_error);
		return rc;
	}
	lg_ip(k, ip);
	rc = guest_if_add_ip4(l->i[k], ip, 24);
	if (rc < 0)
		tc_fail(t, __FILE__, __LINE__, "guest %u addr: %d %s", k, rc,
			l->i[k]->drv.last_error);
	return rc;
}

/* n guests of `layer`, all coupled and online. */
static int lg_start(struct tctx *t, struct lg *l, unsigned n, uint8_t layer)
{
	for (unsigned k = 0; k < n; k++) {
		int rc = lg_add(l, layer);

		if (rc < 0)
			return rc;
		rc = lg_couple(l, k);
		if (rc <= 0) {
			tc_fail(t, __FILE__, __LINE__, "guest %u couple: %d", k, rc);
			return rc < 0 ? rc : -EIO;
		}
	}
	for (unsigned k = 0; k < n; k++) {
		int rc = lg_online(t, l, k);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static void lg_free(struct lg *l)
{
	if (!l)
		return;
	/* Guests go offline while still coupled, then the LAN detaches the ports, and
	 * only then do the NICs (which own the ports) go away. */
	for (unsigned k = 0; k < l->n; k++)
		guest_destroy(&l->g[k]);
	lan_table_free(&l->tbl);
	for (unsigned k = 0; k < l->n; k++)
		nic_destroy(&l->nic[k]);
	free(l);
}

static void pump_all(void *ctx)
{
	struct lg *l = ctx;

	for (unsigned k = 0; k < l->n; k++)
		guest_poll(&l->g[k]);
}

static void settle(struct lg *l)
{
	for (int r = 0; r < 4; r++)
		pump_all(l);
}

static int ping4(struct lg *l, unsigned from, const uint8_t dst[4], unsigned count)
{
	return guest_ping4(l->i[from], dst, count, 56, pump_all, l);
}

static int ping4_to(struct lg *l, unsigned from, unsigned to, unsigned count)
{
	uint8_t ip[4];

	lg_ip(to, ip);
	return ping4(l, from, ip, count);
}

static struct port *P(struct lg *l, unsigned k)
{
	return &l->nic[k].port;
}

static int slot_of(struct lg *l, unsigned k)
{
	struct lan_conn *c = lan_conn_of(l->lan, P(l, k));

	return c ? (int)c->idx : -1;
}

static uint64_t drops_total(const struct port *p)
{
	uint64_t s = 0;

	for (unsigned w = 0; w < PD_NR; w++)
		s += p->st.drop[w];
	return s;
}

static bool member(const uint64_t *m, int slot)
{
	return m && slot >= 0 && (m[slot / 64] >> (slot % 64) & 1);
}

/* ---- 1. ETHERNET transport, layer-2 guests --------------------------------------- */

TEST(lan_guests_eth_arp_ping_bcast_mcast)
{
	static const uint8_t bc[4] = { 10, 1, 0, 255 }, grp[4] = { 239, 1, 1, 1 };
	static const uint8_t ip6[4][16] = { { 0xFD, [15] = 1 }, { 0xFD, [15] = 2 },
					    { 0xFD, [15] = 3 }, { 0xFD, [15] = 4 } };
	struct lg *l = lg_new(LAN_VSWITCH, LAN_ETHERNET);
	uint64_t rx0[4], rxs[4], bcs[4];
	uint8_t ip1[4], gmac[6];
	const uint64_t *m;
	const uint8_t *nb;
	const unsigned N = 4;

	REQUIRE(l);
	REQUIRE(lg_start(t, l, N, 2) == 0);
	/* SETVMAC put every guest's MAC in the LAN table, on that guest's slot. */
	for (unsigned k = 0; k < N; k++) {
		CHECK_EQ(l->i[k]->drv.state, QDRV_ONLINE);
		CHECK(l->i[k]->drv.link_up);
		CHECK_EQ(iptab_lookup(&l->lan->tab, IPT_MAC, l->nic[k].cfg.mac), slot_of(l, k));
	}

	/* ARP: guest 0 asks for guest 1; the broadcast reaches 1, 2 and 3 only, and only
	 * guest 1 answers (unicast back to guest 0). */
	for (unsigned k = 0; k < N; k++) {
		rx0[k] = P(l, k)->st.rx_packets;
		rxs[k] = l->i[k]->stk.st.rx_not_mine;
		bcs[k] = P(l, k)->st.tx_packets;
	}
	lg_ip(1, ip1);
	CHECK_EQ(stack_arp_request(&l->i[0]->stk, ip1), 0);
	settle(l);
	for (unsigned k = 1; k < N; k++)
		CHECK_EQ(P(l, k)->st.rx_packets, rx0[k] + 1);
	CHECK_EQ(P(l, 0)->st.rx_packets, rx0[0] + 1);	/* the reply, not its own request */
	CHECK_EQ(P(l, 0)->st.tx_packets, bcs[0] + 1);
	CHECK_EQ(P(l, 1)->st.tx_packets, bcs[1] + 1);
	CHECK_EQ(P(l, 2)->st.tx_packets, bcs[2]);
	CHECK_EQ(l->i[1]->stk.st.arp_req_rx, 1);
	CHECK_EQ(l->i[0]->stk.st.arp_rep_rx, 1);
	CHECK_EQ(l->i[2]->stk.st.rx_not_mine, rxs[2] + 1);
	CHECK_EQ(l->i[3]->stk.st.rx_not_mine, rxs[3] + 1);
	nb = stack_neigh(&l->i[0]->stk, false, ip1);
	REQUIRE(nb != NULL);
	CHECK_MEM(nb, l->nic[1].cfg.mac, 6);

	/* IPv4 ping between every ordered pair. */
	for (unsigned a = 0; a < N; a++)
		for (unsigned b = 0; b < N; b++) {
			int n;

			if (a == b)
				continue;
			n = ping4_to(l, a, b, 3);
			if (n != 3)
				tc_fail(t, __FILE__, __LINE__, "ping %u -> %u: %d of 3", a, b, n);
		}
	for (unsigned k = 0; k < N; k++) {
		CHECK_EQ(l->i[k]->stk.st.echo_req_rx, 3 * (N - 1));
		CHECK_EQ(l->i[k]->stk.st.echo_rep_rx, 3 * (N - 1));
		CHECK_EQ(drops_total(P(l, k)), 0);
		CHECK_EQ(l->i[k]->stk.st.rx_csum, 0);
	}

	/* IPv6 between guests 0 and 2: the neighbour solicitation goes to 2's
	 * solicited-node group, which nobody else registered: 1 and 3 see nothing. */
	CHECK_EQ(guest_if_add_ip6(l->i[0], ip6[0]), 0);
	CHECK_EQ(guest_if_add_ip6(l->i[2], ip6[2]), 0);
	rx0[1] = P(l, 1)->st.rx_packets;
	rx0[3] = P(l, 3)->st.rx_packets;
	CHECK_EQ(guest_ping6(l->i[0], ip6[2], 3, 100, pump_all, l), 3);
	CHECK_EQ(guest_ping6(l->i[2], ip6[0], 2, 100, pump_all, l), 2);
	CHECK_EQ(l->i[2]->stk.st.ns_rx, 1);
	CHECK_EQ(l->i[0]->stk.st.na_rx, 1);
	CHECK_EQ(l->i[2]->stk.st.echo6_req_rx, 3);
	CHECK_EQ(l->i[0]->stk.st.echo6_req_rx, 2);
	CHECK_EQ(P(l, 1)->st.rx_packets, rx0[1]);
	CHECK_EQ(P(l, 3)->st.rx_packets, rx0[3]);

	/* Broadcast ping from guest 3: 0, 1, 2 get each request, 3 never its own; the
	 * three replies per request come back by unicast. */
	for (unsigned k = 0; k < N; k++) {
		rx0[k] = P(l, k)->st.rx_packets;
		bcs[k] = l->i[k]->stk.st.rx_bcast;
		rxs[k] = l->i[k]->stk.st.echo_req_rx;
	}
	CHECK_EQ(ping4(l, 3, bc, 2), 2);
	settle(l);
	for (unsigned k = 0; k < 3; k++) {
		CHECK_EQ(l->i[k]->stk.st.rx_bcast, bcs[k] + 2);
		CHECK_EQ(l->i[k]->stk.st.echo_req_rx, rxs[k] + 2);
	}
	CHECK_EQ(l->i[3]->stk.st.rx_bcast, bcs[3]);
	CHECK_EQ(l->i[3]->stk.st.echo_req_rx, rxs[3]);
	CHECK_EQ(P(l, 3)->st.rx_packets, rx0[3] + 6);
	CHECK_EQ(l->lan->st.drop[PD_NOPORT], 0);

	/* Multicast: guests 1 and 2 join 239.1.1.1 (SETGMAC 01:00:5e:01:01:01); a ping
	 * to the group from guest 0 reaches them and not guest 3. */
	stack_mcast_mac4(grp, gmac);
	for (unsigned k = 1; k <= 2; k++) {
		CHECK_EQ(qdrv_setgmac(&l->i[k]->drv, gmac), 0);
		CHECK_EQ(stack_join4(&l->i[k]->stk, grp), 0);
	}
	m = iptab_members(&l->lan->tab, IPT_MAC, gmac);
	CHECK(member(m, slot_of(l, 1)) && member(m, slot_of(l, 2)));
	CHECK(!member(m, slot_of(l, 0)) && !member(m, slot_of(l, 3)));
	for (unsigned k = 0; k < N; k++)
		rx0[k] = P(l, k)->st.rx_packets;
	CHECK_EQ(ping4(l, 0, grp, 2), 2);
	settle(l);
	CHECK_EQ(l->i[1]->stk.st.rx_mcast, 2);
	CHECK_EQ(l->i[2]->stk.st.rx_mcast, 2);
	CHECK_EQ(l->i[3]->stk.st.rx_mcast, 0);
	CHECK_EQ(P(l, 3)->st.rx_packets, rx0[3]);
	CHECK_EQ(P(l, 1)->st.rx_packets, rx0[1] + 2);
	CHECK_EQ(P(l, 0)->st.rx_packets, rx0[0] + 4);	/* two replies per request */
	for (unsigned k = 0; k < N; k++)
		CHECK_EQ(drops_total(P(l, k)), 0);
	CHECK(l->lan->st.broadcast >= 3);
	CHECK(l->lan->st.multicast >= 2);
	lg_free(l);
}

/* ---- 2. IP transport, layer-3 guests ----------------------------------------------- */

TEST(lan_guests_ip_setip_ping_bcast_mcast_noport_spoof)
{
	static const uint8_t bc[4] = { 10, 1, 0, 255 }, grp[4] = { 239, 2, 2, 2 };
	static const uint8_t nobody[4] = { 10, 1, 0, 99 }, fake[4] = { 10, 1, 0, 77 };
	struct lg *l = lg_new(LAN_GUESTLAN, LAN_IP);
	uint64_t rx0[4], bcs[4];
	const uint64_t *m;
	const unsigned N = 4;

	REQUIRE(l);
	REQUIRE(lg_start(t, l, N, 3) == 0);
	/* Each SETIP landed in the LAN IP table on the guest's slot (local only: no
	 * uplink accepted it), and the guest saw rc 0. */
	for (unsigned k = 0; k < N; k++) {
		uint8_t ip[4] = { 0 }, key[16] = { 0 };
		const struct qdrv_ipa_rec *r = qdrv_ipa_find(&l->i[k]->drv, IPA_CMD_SETIP);

		lg_ip(k, ip);
		memcpy(key, ip, 4);
		REQUIRE(r != NULL);
		CHECK_EQ(r->rc, 0);
		CHECK_EQ(iptab_lookup(&l->lan->tab, IPT_V4, key), slot_of(l, k));
		CHECK_EQ(iptab_local_only(&l->lan->tab, IPT_V4, key), 1);
	}

	/* Ping between every ordered pair: no ARP on layer 3, the switch routes by IP. */
	for (unsigned a = 0; a < N; a++)
		for (unsigned b = 0; b < N; b++) {
			int n;

			if (a == b)
				continue;
			n = ping4_to(l, a, b, 2);
			if (n != 2)
				tc_fail(t, __FILE__, __LINE__, "ping %u -> %u: %d of 2", a, b, n);
		}
	for (unsigned k = 0; k < N; k++) {
		CHECK_EQ(l->i[k]->stk.st.echo_req_rx, 2 * (N - 1));
		CHECK_EQ(l->i[k]->stk.st.arp_req_tx, 0);
		CHECK_EQ(drops_total(P(l, k)), 0);
	}

	/* Subnet broadcast from guest 1 reaches 0, 2 and 3. */
	for (unsigned k = 0; k < N; k++) {
		bcs[k] = l->i[k]->stk.st.rx_bcast;
		rx0[k] = P(l, k)->st.rx_packets;
	}
	CHECK_EQ(ping4(l, 1, bc, 1), 1);
	settle(l);
	for (unsigned k = 0; k < N; k++)
		CHECK_EQ(l->i[k]->stk.st.rx_bcast, bcs[k] + (k == 1 ? 0 : 1));
	CHECK_EQ(P(l, 1)->st.rx_packets, rx0[1] + 3);

	/* Multicast: guests 0 and 3 SETIPM 239.2.2.2; guest 1's ping reaches only them. */
	for (unsigned k = 0; k < N; k += 3) {
		CHECK_EQ(qdrv_setipm(&l->i[k]->drv, false, grp), 0);
		CHECK_EQ(stack_join4(&l->i[k]->stk, grp), 0);
	}
	{
		uint8_t key[16] = { 0 };

		memcpy(key, grp, 4);
		m = iptab_members(&l->lan->tab, IPT_V4, key);
		CHECK(member(m, slot_of(l, 0)) && member(m, slot_of(l, 3)));
		CHECK(!member(m, slot_of(l, 1)) && !member(m, slot_of(l, 2)));
	}
	for (unsigned k = 0; k < N; k++)
		rx0[k] = P(l, k)->st.rx_packets;
	CHECK_EQ(ping4(l, 1, grp, 2), 2);
	settle(l);
	CHECK_EQ(l->i[0]->stk.st.rx_mcast, 2);
	CHECK_EQ(l->i[3]->stk.st.rx_mcast, 2);
	CHECK_EQ(l->i[2]->stk.st.rx_mcast, 0);
	CHECK_EQ(P(l, 2)->st.rx_packets, rx0[2]);
	CHECK_EQ(P(l, 1)->st.rx_packets, rx0[1] + 4);

	/* An address nobody registered, no uplink, no router: dropped on the sender. */
	CHECK_EQ(ping4(l, 2, nobody, 3), 0);
	CHECK_EQ(P(l, 2)->st.drop[PD_NOPORT], 3);
	CHECK_EQ(P(l, 2)->st.tx_discards, 3);
	CHECK_EQ(l->lan->st.drop[PD_NOPORT], 3);

	/* Guest 3 switches to an address it never registered: its frames are spoofed. */
	rx0[0] = l->i[0]->stk.st.echo_req_rx;
	stack_set_ip4(&l->i[3]->stk, fake, 24);
	CHECK_EQ(ping4_to(l, 3, 0, 2), 0);
	CHECK_EQ(P(l, 3)->st.drop[PD_SPOOF], 2);
	CHECK_EQ(l->lan->st.drop[PD_SPOOF], 2);
	CHECK_EQ(l->i[0]->stk.st.echo_req_rx, rx0[0]);
	lg_free(l);
}

TEST(lan_guests_ip_ping6_passthrough)
{
	static const uint8_t a6[16] = { 0xFD, 0, [15] = 1 }, b6[16] = { 0xFD, 0, [15] = 2 };
	struct lg *l = lg_new(LAN_GUESTLAN, LAN_IP);
	uint8_t sn[16] = { 0xFF, 0x02, [11] = 1, [12] = 0xFF };
	uint64_t rx2;

	REQUIRE(l);
	REQUIRE(lg_start(t, l, 3, 3) == 0);
	REQUIRE(l->i[0]->drv.ipa4_supported & IPA_IPV6);
	CHECK_EQ(guest_if_add_ip6(l->i[0], a6), 0);
	CHECK_EQ(guest_if_add_ip6(l->i[1], b6), 0);
	/* Linux registers its link-local addresses too (the NS goes out from it and
	 * the NA comes back to it), and joins each solicited-node group with SETIPM. */
	for (unsigned k = 0; k < 2; k++)
		CHECK_EQ(qdrv_setip(&l->i[k]->drv, true, l->i[k]->stk.ll6, 64), 0);
	memcpy(sn + 13, a6 + 13, 3);
	CHECK_EQ(qdrv_setipm(&l->i[0]->drv, true, sn), 0);
	memcpy(sn + 13, b6 + 13, 3);
	CHECK_EQ(qdrv_setipm(&l->i[1]->drv, true, sn), 0);
	CHECK_EQ(iptab_lookup(&l->lan->tab, IPT_V6, b6), slot_of(l, 1));
	rx2 = P(l, 2)->st.rx_packets;
	CHECK_EQ(guest_ping6(l->i[0], b6, 3, 64, pump_all, l), 3);
	CHECK_EQ(l->i[1]->stk.st.ns_rx, 1);
	CHECK_EQ(l->i[1]->stk.st.echo6_req_rx, 3);
	CHECK_EQ(P(l, 2)->st.rx_packets, rx2);	/* not a member of b's group */
	lg_free(l);
}

/* ---- 3. VLANs on an ETHERNET VSWITCH ------------------------------------------------ */

TEST(lan_guests_vlan_access_and_trunk)
{
	static const uint8_t outside[4] = { 10, 1, 0, 200 };
	struct lg *l = lg_new(LAN_VSWITCH, LAN_ETHERNET);
	struct lan_vlanset v10, v20, v1020;
	uint64_t rx0[4];
	uint8_t ip2[4];

	REQUIRE(l);
	memset(&v10, 0, sizeof(v10));
	memset(&v20, 0, sizeof(v20));
	memset(&v1020, 0, sizeof(v1020));
	lan_vlan_add(&v10, 10);
	lan_vlan_add(&v20, 20);
	lan_vlan_add(&v1020, 10);
	lan_vlan_add(&v1020, 20);
	REQUIRE(lan_set_vlan(l->lan, 1, 1, LAN_ACCESS) == 0);
	REQUIRE(lan_grant(l->lan, "LINUX0", LAN_ACCESS, &v10, false) == 0);
	REQUIRE(lan_grant(l->lan, "LINUX1", LAN_ACCESS, &v10, false) == 0);
	REQUIRE(lan_grant(l->lan, "LINUX2", LAN_ACCESS, &v20, false) == 0);
	REQUIRE(lan_grant(l->lan, "LINUX3", LAN_TRUNK, &v1020, false) == 0);
	REQUIRE(lg_start(t, l, 4, 2) == 0);
	CHECK_EQ(lan_conn_of(l->lan, P(l, 0))->pvid, 10);
	CHECK_EQ(lan_conn_of(l->lan, P(l, 2))->pvid, 20);
	CHECK_EQ(lan_conn_of(l->lan, P(l, 3))->porttype, LAN_TRUNK);

	/* 10 <-> 10 works; guest 2 (VLAN 20) hears none of it; the trunk sees the ARP
	 * broadcast tagged with VLAN 10. */
	rx0[2] = P(l, 2)->st.rx_packets;
	CHECK_EQ(ping4_to(l, 0, 1, 3), 3);
	CHECK_EQ(ping4_to(l, 1, 0, 2), 2);
	CHECK_EQ(P(l, 2)->st.rx_packets, rx0[2]);
	CHECK_EQ(l->i[3]->stk.st.rx_tagged, 1);
	CHECK_EQ(l->i[3]->stk.st.last_vid, 10);
	CHECK_EQ(l->i[3]->stk.st.arp_req_rx, 0);

	/* 10 -> 20: the ARP broadcasts do not cross (nobody answers; the trunk sees
	 * each one, tagged 10) ... */
	rx0[2] = P(l, 2)->st.rx_packets;
	rx0[3] = l->i[3]->stk.st.rx_tagged - l->i[0]->stk.st.arp_req_tx;
	CHECK_EQ(ping4_to(l, 0, 2, 1), 0);
	CHECK_EQ(P(l, 2)->st.rx_packets, rx0[2]);
	CHECK_EQ(l->i[2]->stk.st.arp_req_rx, 0);
	CHECK(l->i[0]->stk.st.arp_req_tx > 1);
	CHECK_EQ(l->i[3]->stk.st.rx_tagged - l->i[0]->stk.st.arp_req_tx, rx0[3]);
	CHECK_EQ(l->i[3]->stk.st.last_vid, 10);
	/* ... and with a static neighbour entry the unicast is dropped as PD_VLAN. */
	lg_ip(2, ip2);
	CHECK_EQ(stack_neigh_add(&l->i[0]->stk, false, ip2, l->nic[2].cfg.mac), 0);
	CHECK_EQ(ping4_to(l, 0, 2, 2), 0);
	CHECK_EQ(P(l, 0)->st.drop[PD_VLAN], 2);
	CHECK_EQ(l->lan->st.drop[PD_VLAN], 2);
	CHECK_EQ(l->i[2]->stk.st.echo_req_rx, 0);

	/* VLAN 20 traffic reaches the trunk tagged 20, and not the VLAN 10 guests. */
	rx0[0] = P(l, 0)->st.rx_packets;
	rx0[1] = P(l, 1)->st.rx_packets;
	rx0[3] = l->i[3]->stk.st.rx_tagged;
	CHECK_EQ(stack_arp_request(&l->i[2]->stk, outside), 0);
	settle(l);
	CHECK_EQ(l->i[3]->stk.st.rx_tagged, rx0[3] + 1);
	CHECK_EQ(l->i[3]->stk.st.last_vid, 20);
	CHECK_EQ(P(l, 0)->st.rx_packets, rx0[0]);
	CHECK_EQ(P(l, 1)->st.rx_packets, rx0[1]);
	lg_free(l);
}

/* ---- 4. RESTRICTED: GRANT and REVOKE ------------------------------------------------ */

TEST(lan_guests_restricted_grant_revoke)
{
	struct lg *l = lg_new(LAN_VSWITCH, LAN_ETHERNET);

	REQUIRE(l);
	lan_set_restricted(l->lan, true);
	REQUIRE(lan_grant(l->lan, "LINUX0", 0, NULL, false) == 0);
	REQUIRE(lan_grant(l->lan, "linux2", 0, NULL, false) == 0);
	for (unsigned k = 0; k < 3; k++)
		REQUIRE(lg_add(l, 2) == (int)k);
	CHECK(lg_couple(l, 0) > 0);
	/* No GRANT: COUPLE refused, the port stays unattached. */
	CHECK_EQ(lg_couple(l, 1), -EACCES);
	CHECK(P(l, 1)->ops == NULL);
	CHECK(lan_conn_of(l->lan, P(l, 1)) == NULL);
	CHECK(lg_couple(l, 2) > 0);
	CHECK_EQ(lan_grant(l->lan, "LINUX1", 0, NULL, false), 0);
	CHECK(lg_couple(l, 1) > 0);
	for (unsigned k = 0; k < 3; k++)
		REQUIRE(lg_online(t, l, k) == 0);
	CHECK_EQ(ping4_to(l, 0, 1, 2), 2);
	CHECK_EQ(ping4_to(l, 1, 2, 2), 2);

	/* REVOKE: the coupled connection keeps working (doc/vswitch.md) ... */
	CHECK_EQ(lan_revoke(l->lan, "LINUX1"), 0);
	CHECK_EQ(lan_revoke(l->lan, "LINUX1"), -ENOENT);
	CHECK(lan_grant_find(l->lan, "LINUX1") == NULL);
	CHECK_EQ(ping4_to(l, 2, 1, 2), 2);
	/* ... but after UNCOUPLE the user cannot couple again. */
	lg_uncouple(l, 1);
	CHECK_EQ(lg_couple(l, 1), -EACCES);
	CHECK_EQ(ping4_to(l, 0, 2, 1), 1);	/* the others are unaffected */
	lg_free(l);
}

/* ---- 5. ISOLATION ON ------------------------------------------------------------------ */

TEST(lan_guests_isolation_uplink_only)
{
	static const uint8_t out_mac[6] = { 0x02, 0xAA, 0, 0, 0, 1 };
	static const uint8_t out_ip[4] = { 10, 1, 0, 250 };
	struct lg *l = lg_new(LAN_VSWITCH, LAN_ETHERNET);
	struct fake_uplink *u = calloc(1, sizeof(*u));
	uint8_t ip1[4], arp[60];
	struct qdio_span sp;
	struct pframe f;
	uint64_t rx1;
	unsigned up0;

	REQUIRE(l && u);
	u->p.rx = uplink_rx;
	u->p.owner = u;
	REQUIRE(lan_set_isolation(l->lan, true) == 0);
	REQUIRE(lan_attach_uplink(l->lan, &u->p) == 0);
	REQUIRE(lg_start(t, l, 3, 2) == 0);

	/* Guest 0 -> guest 1: the ARP broadcast reaches the uplink only. */
	rx1 = P(l, 1)->st.rx_packets;
	up0 = u->frames;
	CHECK_EQ(ping4_to(l, 0, 1, 1), 0);
	CHECK(u->frames > up0);
	CHECK_EQ(u->last_len, 60);
	CHECK_EQ(u->last[12] << 8 | u->last[13], ETH_P_ARP);
	CHECK_EQ(P(l, 1)->st.rx_packets, rx1);
	CHECK_EQ(P(l, 2)->st.rx_packets, 0);

	/* Known guest unicast (static neighbour): dropped as PD_ISOLATION. */
	lg_ip(1, ip1);
	CHECK_EQ(stack_neigh_add(&l->i[0]->stk, false, ip1, l->nic[1].cfg.mac), 0);
	CHECK_EQ(ping4_to(l, 0, 1, 3), 0);
	CHECK_EQ(P(l, 0)->st.drop[PD_ISOLATION], 3);
	CHECK_EQ(l->lan->st.drop[PD_ISOLATION], 3);
	CHECK_EQ(l->i[1]->stk.st.echo_req_rx, 0);

	/* Guest <-> uplink still works: an ARP request from outside is answered, the
	 * reply (unicast to a MAC no guest owns) goes out through the uplink. */
	memset(arp, 0, sizeof(arp));
	memset(arp, 0xFF, 6);
	memcpy(arp + 6, out_mac, 6);
	arp[12] = 0x08;
	arp[13] = 0x06;
	arp[14] = 0;
	arp[15] = 1;
	arp[16] = 0x08;
	arp[17] = 0;
	arp[18] = 6;
	arp[19] = 4;
	arp[21] = 1;
	memcpy(arp + 22, out_mac, 6);
	memcpy(arp + 28, out_ip, 4);
	memcpy(arp + 38, ip1, 4);
	sp.ptr = arp;
	sp.len = sizeof(arp);
	memset(&f, 0, sizeof(f));
	f.spans = &sp;
	f.nspans = 1;
	f.kind = PF_ETH;
	f.cast = PF_BROADCAST;
	f.len = sizeof(arp);
	up0 = u->frames;
	port_tx(&u->p, &f, 1);
	settle(l);
	CHECK_EQ(l->i[1]->stk.st.arp_req_rx, 1);
	CHECK_EQ(u->frames, up0 + 1);
	CHECK_MEM(u->last, out_mac, 6);
	CHECK_MEM(u->last + 6, l->nic[1].cfg.mac, 6);
	CHECK_EQ(u->p.st.rx_packets, u->frames);
	lg_free(l);
	free(u);
}

/* ---- 5b. a guest's own isolation (SET_ACCESS_CONTROL) ------------------------------ */

TEST(lan_guests_port_isolation_drop)
{
	struct lg *l = lg_new(LAN_VSWITCH, LAN_ETHERNET);
	struct fake_uplink *u = calloc(1, sizeof(*u));
	uint8_t ip0[4], ip1[4];
	uint64_t arp0;
	unsigned up0;

	REQUIRE(l && u);
	u->p.rx = uplink_rx;
	u->p.owner = u;
	REQUIRE(lan_attach_uplink(l->lan, &u->p) == 0);
	REQUIRE(lg_start(t, l, 3, 2) == 0);
	lg_ip(0, ip0);
	lg_ip(1, ip1);
	CHECK_EQ(ping4_to(l, 0, 1, 1), 1);

	/* Guest 0 asks for DROP: the LAN stays unisolated, its port does not. */
	CHECK_EQ(qdrv_set_isolation(&l->i[0]->drv, IPA_ADP_ISOLATION_DROP), 0);
	CHECK_EQ(lan_conn_of(l->lan, P(l, 0))->isolation, IPA_ADP_ISOLATION_DROP);
	CHECK(!l->lan->isolation);
	CHECK_EQ(qdrv_set_isolation(&l->i[0]->drv, IPA_ADP_ISOLATION_DROP), IPA_ADP_ACCESS_RC_ALREADY_ISOLATED);
	/* FORWARD needs reflective relay at the adjacent switch; an unknown mode is
	 * not supported.  Neither changes what is in force. */
	CHECK_EQ(qdrv_set_isolation(&l->i[0]->drv, IPA_ADP_ISOLATION_FWD), IPA_ADP_ACCESS_RC_REFLREL_UNSUPPORTED);
	CHECK_EQ(qdrv_set_isolation(&l->i[0]->drv, 7), IPA_ADP_ACCESS_RC_NOT_SUPPORTED);
	CHECK_EQ(lan_conn_of(l->lan, P(l, 0))->isolation, IPA_ADP_ISOLATION_DROP);

	/* A broadcast for it (guest 2's ARP) reaches the uplink and guest 1 only;
	 * guests 1 and 2 still talk. */
	up0 = u->frames;
	arp0 = l->i[0]->stk.st.arp_req_rx;
	CHECK_EQ(ping4_to(l, 2, 0, 1), 0);
	CHECK(u->frames > up0);
	CHECK_EQ(l->i[0]->stk.st.arp_req_rx, arp0);
	CHECK_EQ(ping4_to(l, 1, 2, 2), 2);
	/* Known unicast, either way, is dropped and counted as isolation (guest 0
	 * knows guest 1 from the first ping). */
	CHECK_EQ(stack_neigh_add(&l->i[1]->stk, false, ip0, l->nic[0].cfg.mac), 0);
	CHECK_EQ(ping4_to(l, 0, 1, 2), 0);
	CHECK_EQ(P(l, 0)->st.drop[PD_ISOLATION], 2);
	CHECK_EQ(ping4_to(l, 1, 0, 3), 0);
	CHECK_EQ(P(l, 1)->st.drop[PD_ISOLATION], 3);
	CHECK_EQ(l->lan->st.drop[PD_ISOLATION], 5);
	CHECK_EQ(l->i[0]->stk.st.echo_req_rx, 0);

	/* UNCOUPLE + COUPLE: the NIC gives its isolation to the new connection. */
	lg_uncouple(l, 0);
	REQUIRE(lg_couple(l, 0) > 0);
	CHECK_EQ(lan_conn_of(l->lan, P(l, 0))->isolation, IPA_ADP_ISOLATION_DROP);

	/* NONE lifts it. */
	CHECK_EQ(qdrv_set_isolation(&l->i[0]->drv, IPA_ADP_ISOLATION_NONE), 0);
	CHECK_EQ(lan_conn_of(l->lan, P(l, 0))->isolation, IPA_ADP_ISOLATION_NONE);
	CHECK_EQ(qdrv_set_isolation(&l->i[0]->drv, IPA_ADP_ISOLATION_NONE),
		 IPA_ADP_ACCESS_RC_ALREADY_NOT_ISOLATED);
	CHECK_EQ(qdrv_set_isolation(&l->i[0]->drv, IPA_ADP_ISOLATION_DROP), 0);

	/* A connection reset (offline, online) forgets it, in the NIC and the switch. */
	guest_if_offline(l->i[0]);
	CHECK_EQ(lan_conn_of(l->lan, P(l, 0))->isolation, IPA_ADP_ISOLATION_NONE);
	CHECK_EQ(l->nic[0].adp_isolation, IPA_ADP_ISOLATION_NONE);
	REQUIRE(lg_online(t, l, 0) == 0);
	CHECK_EQ(stack_neigh_add(&l->i[0]->stk, false, ip1, l->nic[1].cfg.mac), 0);
	CHECK_EQ(ping4_to(l, 0, 1, 2), 2);
	CHECK_EQ(P(l, 0)->st.drop[PD_ISOLATION], 2);
	lg_free(l);
	free(u);
}

/* Not coupled: the guest's isolation is accepted and holds once it couples. */
TEST(lan_guests_port_isolation_before_couple)
{
	struct lg *l = lg_new(LAN_GUESTLAN, LAN_ETHERNET);

	REQUIRE(l);
	REQUIRE(lg_add(l, 2) == 0);
	REQUIRE(lg_add(l, 2) == 1);
	REQUIRE(lg_couple(l, 1) > 0);
	REQUIRE(guest_if_online(l->i[0]) == 0);	/* carrier off: no LAN yet */
	CHECK_EQ(qdrv_set_isolation(&l->i[0]->drv, IPA_ADP_ISOLATION_DROP), 0);
	CHECK_EQ(l->nic[0].adp_isolation, IPA_ADP_ISOLATION_DROP);
	REQUIRE(lg_couple(l, 0) > 0);
	CHECK_EQ(lan_conn_of(l->lan, P(l, 0))->isolation, IPA_ADP_ISOLATION_DROP);
	CHECK_EQ(lan_conn_of(l->lan, P(l, 1))->isolation, IPA_ADP_ISOLATION_NONE);
	lg_free(l);
}

/* ---- 6. layer mismatch on the LAN ----------------------------------------------------- */

TEST(lan_guests_layer3_on_ethernet_lan_refused)
{
	static const uint8_t bc[4] = { 10, 1, 0, 255 };
	struct lg *l = lg_new(LAN_VSWITCH, LAN_ETHERNET);
	const struct qdrv_ipa_rec *r;
	struct lan_conn *c;
	int rc;

	REQUIRE(l);
	for (unsigned k = 0; k < 3; k++) {
		REQUIRE(lg_add(l, k == 2 ? 3 : 2) == (int)k);
		REQUIRE(lg_couple(l, k) > 0);
	}
	REQUIRE(lg_online(t, l, 0) == 0);
	REQUIRE(lg_online(t, l, 1) == 0);
	rc = guest_if_online(l->i[2]);
	CHECK_EQ(rc, -EIO);
	CHECK_EQ(l->i[2]->drv.state, QDRV_OFFLINE);
	CHECK(strstr(l->i[2]->drv.last_error, "startlan") != NULL);
	r = qdrv_ipa_find(&l->i[2]->drv, IPA_CMD_STARTLAN);
	REQUIRE(r != NULL);
	CHECK_EQ(r->rc, IPA_RC_LAN_FRAME_MISMATCH);
	c = lan_conn_of(l->lan, P(l, 2));
	REQUIRE(c != NULL);
	CHECK(c->mismatch);
	CHECK(!c->started);
	/* The layer-2 guests go on: ping and broadcast, nothing reaches guest 2. */
	CHECK_EQ(ping4_to(l, 0, 1, 3), 3);
	CHECK_EQ(ping4(l, 1, bc, 1), 1);
	CHECK_EQ(P(l, 2)->st.rx_packets, 0);
	CHECK_EQ(drops_total(P(l, 0)) + drops_total(P(l, 1)), 0);
	lg_free(l);
}

/* ---- the stack helpers these tests lean on ------------------------------------------ */

static int no_tx(void *ctx, enum stk_tx_kind kind, const uint8_t *buf, uint32_t len,
		 const uint8_t nh4[4], uint8_t cast)
{
	(void)ctx, (void)kind, (void)buf, (void)len, (void)nh4, (void)cast;
	return 0;
}

TEST(lan_guests_stack_helpers_refuse_bad_input)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 }, gmac[6] = { 1, 0, 0x5E, 0, 0, 1 };
	static const uint8_t ip[4] = { 10, 1, 0, 9 }, uni[4] = { 10, 1, 0, 1 };
	struct stack *s = calloc(1, sizeof(*s));
	uint8_t g[4] = { 239, 0x81, 2, 3 }, m[6];

	REQUIRE(s);
	stack_init(s, 2, mac, no_tx, NULL);
	CHECK_EQ(stack_neigh_add(s, false, ip, gmac), -EINVAL);
	CHECK(stack_neigh(s, false, ip) == NULL);
	CHECK_EQ(stack_neigh_add(s, false, ip, mac), 0);
	CHECK_MEM(stack_neigh(s, false, ip), mac, 6);
	CHECK_EQ(stack_join4(s, uni), -EINVAL);
	stack_mcast_mac4(g, m);	/* only the low 23 bits of the group map */
	CHECK_MEM(m, ((const uint8_t[6]){ 0x01, 0x00, 0x5E, 0x01, 0x02, 0x03 }), 6);
	for (unsigned k = 0; k < STK_GROUPS; k++) {
		g[3] = (uint8_t)k;
		CHECK_EQ(stack_join4(s, g), 0);
	}
	CHECK_EQ(stack_join4(s, g), 0);		/* already joined */
	g[3] = 0xFF;
	CHECK_EQ(stack_join4(s, g), -ENOSPC);
	free(s);
}
