/* tests/unit/test_vswitch.c - LANBKs and the switch, driven through fake ports whose
 * rx records what arrived: forwarding by IP and MAC, VLANs, isolation, registrations,
 * and the decision cache against the uncached lookup. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qdio/queue.h"
#include "qeth/ipa.h"
#include "tests/tcheck.h"
#include "vswitch/switch.h"

/* A port that records the frames it is given (bytes copied out, as a NIC would). */
struct fake {
	struct port p;
	bool refuse;			/* no buffers: takes nothing (counted PD_NOBUF) */
	unsigned calls, frames;
	uint8_t data[8][128];
	uint32_t len[8];
	uint16_t vlan[8];
};

static unsigned fake_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct fake *k = owner;

	k->calls++;
	if (k->refuse) {
		port_count_drop(p, PD_NOBUF, true, n);
		return 0;
	}
	for (unsigned i = 0; i < n; i++, k->frames++) {
		unsigned s = k->frames % 8;

		k->len[s] = f[i].len;
		k->vlan[s] = f[i].vlan;
		qdio_spans_copy(f[i].spans, f[i].nspans, 0, k->data[s],
				f[i].len < 128 ? f[i].len : 128);
	}
	return n;
}

static void fake_init(struct fake *k)
{
	memset(k, 0, sizeof(*k));
	k->p.rx = fake_rx;
	k->p.owner = k;
}

static struct lanbk *mklan(struct lan_table *tb, uint8_t kind, uint8_t transport)
{
	struct lanbk *lan = NULL;

	lan_table_init(tb, 42);
	if (lan_define(tb, "SYSTEM", "LAN1", kind, &lan))
		return NULL;
	lan_set_transport(lan, transport);
	return lan;
}

static uint16_t preg(struct port *p, uint8_t op, const uint8_t *addr, bool v6, uint32_t value)
{
	struct paddr a;

	memset(&a, 0, sizeof(a));
	a.op = op;
	a.ipv6 = v6;
	a.value = value;
	if (addr && (op == PA_SETVMAC || op == PA_DELVMAC || op == PA_SETGMAC || op == PA_DELGMAC))
		memcpy(a.mac, addr, 6);
	else if (addr)
		memcpy(a.ip, addr, v6 ? 16 : 4);
	return port_addr(p, &a);
}

static uint16_t reg(struct fake *k, uint8_t op, const uint8_t *addr, bool v6, uint32_t value)
{
	return preg(&k->p, op, addr, v6, value);
}

/* Attach and bring up a guest of the given layer. */
static int up(struct lanbk *lan, struct fake *k, const char *user, unsigned layer)
{
	int rc;

	fake_init(k);
	rc = lan_attach_port(lan, &k->p, user, 0x600, LAN_PORTNUM_AUTO, NULL);
	if (rc < 0)
		return rc;
	reg(k, PA_LAYER, NULL, false, layer);
	return reg(k, PA_STARTLAN, NULL, false, 0) ? -EIO : 0;
}

/* One frame from k; gso non-zero: a large send (checksum left out) asking for
 * segments of gso payload bytes. */
static void send_ol(struct fake *k, uint8_t kind, bool v6, uint8_t cast, const uint8_t *buf,
		    uint32_t len, uint16_t gso)
{
	struct qdio_span sp = { buf, len };
	struct pframe f;

	memset(&f, 0, sizeof(f));
	f.spans = &sp;
	f.nspans = 1;
	f.kind = kind;
	f.ipv6 = v6;
	f.cast = cast;
	f.len = len;
	if (gso) {
		f.csum = PF_CSUM_PARTIAL;
		f.gso_size = gso;
	}
	port_tx(&k->p, &f, 1);
}

static void send1(struct fake *k, uint8_t kind, bool v6, uint8_t cast, const uint8_t *buf,
		  uint32_t len)
{
	send_ol(k, kind, v6, cast, buf, len, 0);
}

static void send_gso(struct fake *k, uint8_t kind, bool v6, const uint8_t *buf, uint32_t len,
		     uint16_t gso)
{
	send_ol(k, kind, v6, PF_UNICAST, buf, len, gso);
}

static uint32_t ip4(uint8_t *b, const uint8_t *src, const uint8_t *dst)
{
	memset(b, 0, 28);
	b[0] = 0x45;
	b[3] = 28;
	b[9] = 17;
	memcpy(b + 12, src, 4);
	memcpy(b + 16, dst, 4);
	b[27] = 0xAB;
	return 28;
}

/* An Ethernet frame dst/src [tag vid] type, 8 payload bytes. */
static uint32_t eth(uint8_t *b, const uint8_t *dst, const uint8_t *src, uint16_t tag,
		    uint16_t type)
{
	uint32_t o = 12;

	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	if (tag) {
		b[12] = 0x81;
		b[13] = 0x00;
		b[14] = (uint8_t)(tag >> 8);
		b[15] = (uint8_t)tag;
		o = 16;
	}
	b[o] = (uint8_t)(type >> 8);
	b[o + 1] = (uint8_t)type;
	memset(b + o + 2, 0x5A, 8);
	return o + 10;
}

static const uint8_t IPA[4] = { 10, 0, 0, 1 }, IPB[4] = { 10, 0, 0, 2 },
		     IPC[4] = { 10, 0, 0, 3 }, IPX[4] = { 8, 8, 8, 8 };
static const uint8_t MA[6] = { 2, 0, 0, 0, 0, 0xA }, MB[6] = { 2, 0, 0, 0, 0, 0xB },
		     MC[6] = { 2, 0, 0, 0, 0, 0xC }, MX[6] = { 2, 0, 0, 0, 0, 0x99 },
		     BC[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		     MG[6] = { 0x01, 0x00, 0x5e, 0, 0, 0xfb };

TEST(vsw_l3_unicast_v4)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_GUESTLAN, LAN_IP);
	struct fake a, b, c;
	uint8_t pkt[64];
	uint32_t n;

	REQUIRE(lan);
	REQUIRE(up(lan, &a, "LINUX1", 3) == 0);
	REQUIRE(up(lan, &b, "LINUX2", 3) == 0);
	REQUIRE(up(lan, &c, "LINUX3", 3) == 0);
	CHECK_EQ(reg(&a, PA_SETIP, IPA, false, 0), 0);
	CHECK_EQ(reg(&b, PA_SETIP, IPB, false, 0), 0);
	CHECK_EQ(reg(&c, PA_SETIP, IPC, false, 0), 0);
	n = ip4(pkt, IPA, IPB);
	send1(&a, PF_IP, false, PF_UNICAST, pkt, n);
	CHECK_EQ(b.frames, 1);
	CHECK_EQ(c.frames, 0);
	CHECK_EQ(a.frames, 0);
	CHECK_EQ(b.len[0], n);
	CHECK_MEM(b.data[0], pkt, n);
	CHECK_EQ(a.p.st.tx_packets, 1);
	CHECK_EQ(b.p.st.rx_packets, 1);
	CHECK_EQ(lan->st.unicast, 1);
	/* To itself: never sent back. */
	n = ip4(pkt, IPA, IPA);
	send1(&a, PF_IP, false, PF_UNICAST, pkt, n);
	CHECK_EQ(a.frames, 0);
	CHECK_EQ(a.p.st.drop[PD_NOPORT], 1);
	/* A truncated IPv4 header is malformed. */
	send1(&a, PF_IP, false, PF_UNICAST, pkt, 12);
	CHECK_EQ(a.p.st.drop[PD_BADFRAME], 1);
	CHECK_EQ(lan->st.drop[PD_BADFRAME], 1);
	lan_table_free(&tb);
	CHECK(a.p.ops == NULL);
}

TEST(vsw_l3_unicast_v6_passthrough_and_bare)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_GUESTLAN, LAN_IP);
	struct fake a, b;
	uint8_t v6a[16] = { 0xfd, 0, [15] = 1 }, v6b[16] = { 0xfd, 0, [15] = 2 };
	uint8_t fr[80];

	REQUIRE(lan);
	REQUIRE(up(lan, &a, "LINUX1", 3) == 0);
	REQUIRE(up(lan, &b, "LINUX2", 3) == 0);
	CHECK_EQ(reg(&a, PA_SETIP, v6a, true, 0), 0);
	CHECK_EQ(reg(&b, PA_SETIP, v6b, true, 0), 0);
	memset(fr, 0, sizeof(fr));
	fr[12] = 0x86;
	fr[13] = 0xDD;
	fr[14] = 0x60;
	memcpy(fr + 14 + 8, v6a, 16);
	memcpy(fr + 14 + 24, v6b, 16);
	send1(&a, PF_ETH, true, PF_UNICAST, fr, 70);
	CHECK_EQ(b.frames, 1);
	CHECK_EQ(b.len[0], 70);
	/* A bare IPv6 packet (HiperSockets style) goes the same way. */
	send1(&a, PF_IP, true, PF_UNICAST, fr + 14, 56);
	CHECK_EQ(b.frames, 2);
	/* The flag says IPv6 but the packet is IPv4: malformed. */
	fr[14] = 0x45;
	send1(&a, PF_IP, true, PF_UNICAST, fr + 14, 56);
	CHECK_EQ(b.frames, 2);
	CHECK_EQ(a.p.st.drop[PD_BADFRAME], 1);
	/* An unknown ethertype in passthrough. */
	fr[12] = 0x88;
	send1(&a, PF_ETH, true, PF_UNICAST, fr, 70);
	CHECK_EQ(a.p.st.drop[PD_BADFRAME], 2);
	lan_table_free(&tb);
}

TEST(vsw_l3_broadcast_arp_and_multicast_groups)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_GUESTLAN, LAN_IP);
	struct fake a, b, c;
	uint8_t pkt[64], grp[4] = { 224, 0, 0, 251 }, all[4] = { 255, 255, 255, 255 };
	uint8_t arp[60];

	REQUIRE(lan);
	REQUIRE(up(lan, &a, "LINUX1", 3) == 0);
	REQUIRE(up(lan, &b, "LINUX2", 3) == 0);
	REQUIRE(up(lan, &c, "LINUX3", 3) == 0);
	CHECK_EQ(reg(&a, PA_SETIP, IPA, false, 0), 0);
	send1(&a, PF_IP, false, PF_BROADCAST, pkt, ip4(pkt, IPA, all));
	CHECK_EQ(a.frames, 0);
	CHECK_EQ(b.frames, 1);
	CHECK_EQ(c.frames, 1);
	CHECK_EQ(reg(&c, PA_SETIPM, grp, false, 0), 0);
	send1(&a, PF_IP, false, PF_MULTICAST, pkt, ip4(pkt, IPA, grp));
	CHECK_EQ(b.frames, 1);
	CHECK_EQ(c.frames, 2);
	CHECK_EQ(reg(&c, PA_DELIPM, grp, false, 0), 0);
	CHECK_EQ(reg(&c, PA_DELIPM, grp, false, 0), IPA_RC_MC_ADDR_NOT_FOUND);
	send1(&a, PF_IP, false, PF_MULTICAST, pkt, ip4(pkt, IPA, grp));
	CHECK_EQ(c.frames, 2);
	CHECK_EQ(lan->st.multicast, 2);
	/* A multicast router (SETRTG 3) gets every group. */
	CHECK_EQ(reg(&b, LAN_PA_SETRTG, NULL, false, IPA_RTG_MULTICAST_ROUTER), 0);
	send1(&a, PF_IP, false, PF_MULTICAST, pkt, ip4(pkt, IPA, grp));
	CHECK_EQ(b.frames, 2);
	/* ARP in passthrough reaches everyone. */
	memset(arp, 0, sizeof(arp));
	memcpy(arp, BC, 6);
	arp[12] = 0x08;
	arp[13] = 0x06;
	send1(&a, PF_ETH, false, PF_BROADCAST, arp, 60);
	CHECK_EQ(b.frames, 3);
	CHECK_EQ(c.frames, 3);
	/* A port that did not STARTLAN is left out of floods. */
	reg(&c, PA_STOPLAN, NULL, false, 0);
	send1(&a, PF_ETH, false, PF_BROADCAST, arp, 60);
	CHECK_EQ(c.frames, 3);
	CHECK_EQ(c.p.st.drop[PD_DOWN], 0);
	lan_table_free(&tb);
}

TEST(vsw_l3_unknown_to_uplink_or_dropped)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_IP);
	struct fake a, u;
	uint8_t pkt[64];

	REQUIRE(lan);
	REQUIRE(up(lan, &a, "LINUX1", 3) == 0);
	CHECK_EQ(reg(&a, PA_SETIP, IPA, false, 0), 0);
	send1(&a, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPA, IPX));
	CHECK_EQ(a.p.st.drop[PD_NOPORT], 1);
	CHECK_EQ(lan->st.drop[PD_NOPORT], 1);
	fake_init(&u);
	CHECK_EQ(lan_attach_uplink(lan, &u.p), 0);
	CHECK_EQ(lan_attach_uplink(lan, &u.p), -EBUSY);
	send1(&a, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPA, IPX));
	CHECK_EQ(u.frames, 1);
	CHECK_EQ(lan->st.to_uplink, 1);
	/* Inbound to a registered address; inbound to an unknown one is discarded. */
	send1(&u, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPX, IPA));
	CHECK_EQ(a.frames, 1);
	send1(&u, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPX, IPB));
	CHECK_EQ(u.p.st.drop[PD_NOPORT], 1);
	/* The uplink's sources are not checked; a guest's are. */
	send1(&a, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPX, IPX));
	CHECK_EQ(a.p.st.drop[PD_SPOOF], 1);
	CHECK_EQ(lan_detach_uplink(lan), 0);
	CHECK(u.p.ops == NULL);
	lan_table_free(&tb);
}

TEST(vsw_l3_primary_router)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_GUESTLAN, LAN_IP);
	struct fake a, r, r2;
	uint8_t pkt[64];

	REQUIRE(lan);
	REQUIRE(up(lan, &a, "LINUX1", 3) == 0);
	REQUIRE(up(lan, &r, "ROUTER", 3) == 0);
	REQUIRE(up(lan, &r2, "ROUTER2", 3) == 0);
	CHECK_EQ(reg(&a, PA_SETIP, IPA, false, 0), 0);
	CHECK_EQ(reg(&r, LAN_PA_SETRTG, NULL, false, IPA_RTG_PRIMARY_ROUTER), 0);
	CHECK_EQ(reg(&r2, LAN_PA_SETRTG, NULL, false, IPA_RTG_PRIMARY_ROUTER),
		 IPA_RC_PRIMARY_ALREADY_DEFINED);
	CHECK_EQ(reg(&r2, LAN_PA_SETRTG, NULL, false, 9), IPA_RC_INVALID_SETRTG_INDICATOR);
	send1(&a, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPA, IPX));
	CHECK_EQ(r.frames, 1);
	CHECK_EQ(r2.frames, 0);
	CHECK_EQ(lan->st.to_router, 1);
	/* The router leaving frees the role. */
	CHECK_EQ(lan_detach_port(lan, &r.p), 0);
	CHECK_EQ(reg(&r2, LAN_PA_SETRTG, NULL, false, IPA_RTG_PRIMARY_ROUTER), 0);
	send1(&a, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPA, IPX));
	CHECK_EQ(r2.frames, 1);
	lan_table_free(&tb);
}

TEST(vsw_l3_prirouter_vswitch_gets_inbound_unknown)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_IP);
	struct fake r, u;
	uint8_t pkt[64];

	REQUIRE(lan);
	REQUIRE(up(lan, &r, "ROUTER", 3) == 0);
	fake_init(&u);
	REQUIRE(lan_attach_uplink(lan, &u.p) == 0);
	CHECK_EQ(reg(&r, LAN_PA_SETRTG, NULL, false, IPA_RTG_PRIMARY_ROUTER), 0);
	send1(&u, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPX, IPB));
	CHECK_EQ(r.frames, 0);			/* NONROUTER: discarded */
	CHECK_EQ(lan_set_router(lan, LAN_PRIROUTER), 0);
	send1(&u, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPX, IPB));
	CHECK_EQ(r.frames, 1);
	lan_table_free(&tb);
}

TEST(vsw_l2_by_mac_broadcast_multicast_unknown)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_ETHERNET);
	struct fake a, b, c, u;
	uint8_t fr[64];
	uint32_t n;

	REQUIRE(lan);
	REQUIRE(up(lan, &a, "LINUX1", 2) == 0);
	REQUIRE(up(lan, &b, "LINUX2", 2) == 0);
	REQUIRE(up(lan, &c, "LINUX3", 2) == 0);
	CHECK_EQ(reg(&a, PA_SETVMAC, MA, false, 0), 0);
	CHECK_EQ(reg(&b, PA_SETVMAC, MB, false, 0), 0);
	CHECK_EQ(reg(&c, PA_SETVMAC, MC, false, 0), 0);
	n = eth(fr, MB, MA, 0, 0x0800);
	send1(&a, PF_ETH, false, PF_UNICAST, fr, n);
	CHECK_EQ(b.frames, 1);
	CHECK_EQ(c.frames, 0);
	CHECK_MEM(b.data[0], fr, n);
	send1(&a, PF_ETH, false, PF_BROADCAST, fr, eth(fr, BC, MA, 0, 0x0806));
	CHECK_EQ(a.frames, 0);
	CHECK_EQ(b.frames, 2);
	CHECK_EQ(c.frames, 1);
	/* Multicast: only the ports that registered the group MAC. */
	CHECK_EQ(reg(&c, PA_SETGMAC, MG, false, 0), 0);
	CHECK_EQ(reg(&c, PA_SETGMAC, MA, false, 0), IPA_RC_L2_GMAC_NOT_FOUND);
	send1(&a, PF_ETH, false, PF_MULTICAST, fr, eth(fr, MG, MA, 0, 0x0800));
	CHECK_EQ(b.frames, 2);
	CHECK_EQ(c.frames, 2);
	/* Unknown unicast without uplink or listener: dropped; with an uplink: out. */
	send1(&a, PF_ETH, false, PF_UNICAST, fr, eth(fr, MX, MA, 0, 0x0800));
	CHECK_EQ(a.p.st.drop[PD_NOPORT], 1);
	fake_init(&u);
	REQUIRE(lan_attach_uplink(lan, &u.p) == 0);
	send1(&a, PF_ETH, false, PF_UNICAST, fr, eth(fr, MX, MA, 0, 0x0800));
	CHECK_EQ(u.frames, 1);
	CHECK_EQ(b.frames + c.frames, 4);
	/* ... and a promiscuous guest sees it too, plus others' unicast. */
	CHECK_EQ(reg(&c, PA_PROMISC, NULL, false, 1), 0);
	send1(&a, PF_ETH, false, PF_UNICAST, fr, eth(fr, MX, MA, 0, 0x0800));
	CHECK_EQ(u.frames, 2);
	CHECK_EQ(c.frames, 3);
	send1(&a, PF_ETH, false, PF_UNICAST, fr, eth(fr, MB, MA, 0, 0x0800));
	CHECK_EQ(b.frames, 3);
	CHECK_EQ(c.frames, 4);
	/* A group source address is malformed; a short frame too. */
	send1(&a, PF_ETH, false, PF_UNICAST, fr, eth(fr, MB, MG, 0, 0x0800));
	send1(&a, PF_ETH, false, PF_UNICAST, fr, 10);
	CHECK_EQ(a.p.st.drop[PD_BADFRAME], 2);
	lan_table_free(&tb);
}

TEST(vsw_batch_one_delivery_per_destination_in_order)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_ETHERNET);
	struct fake a, b, c;
	uint8_t fr[10][32];
	struct qdio_span sp[10];
	struct pframe f[10];

	REQUIRE(lan);
	REQUIRE(up(lan, &a, "LINUX1", 2) == 0);
	REQUIRE(up(lan, &b, "LINUX2", 2) == 0);
	REQUIRE(up(lan, &c, "LINUX3", 2) == 0);
	CHECK_EQ(reg(&b, PA_SETVMAC, MB, false, 0), 0);
	CHECK_EQ(reg(&c, PA_SETVMAC, MC, false, 0), 0);
	memset(f, 0, sizeof(f));
	for (unsigned i = 0; i < 10; i++) {
		uint32_t n = eth(fr[i], i % 2 ? MC : MB, MA, 0, 0x0800);

		fr[i][n - 1] = (uint8_t)i;
		sp[i].ptr = fr[i];
		sp[i].len = n;
		f[i].spans = &sp[i];
		f[i].nspans = 1;
		f[i].kind = PF_ETH;
		f[i].len = n;
	}
	port_tx(&a.p, f, 10);
	CHECK_EQ(b.calls, 1);
	CHECK_EQ(c.calls, 1);
	CHECK_EQ(b.frames, 5);
	CHECK_EQ(b.data[0][21], 0);
	CHECK_EQ(b.data[1][21], 2);
	CHECK_EQ(c.data[0][21], 1);
	CHECK_EQ(b.data[4][21], 8);
	CHECK_EQ(c.data[4][21], 9);
	CHECK_EQ(lan->st.delivered, 10);
	lan_table_free(&tb);
}

TEST(vsw_vlan_access_and_trunk)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_ETHERNET);
	struct lan_vlanset v20, vt;
	struct fake a, b, tr;
	uint8_t fr[64], exp[64];
	uint32_t n;

	REQUIRE(lan);
	CHECK_EQ(lan_set_vlan(lan, 0, 0, LAN_ACCESS), -EINVAL);
	CHECK_EQ(lan_set_vlan(lan, 10, 10, LAN_ACCESS), 0);
	memset(&v20, 0, sizeof(v20));
	memset(&vt, 0, sizeof(vt));
	lan_vlan_add(&v20, 20);
	lan_vlan_add(&vt, 10);
	lan_vlan_add(&vt, 20);
	CHECK_EQ(lan_vlan_add(&vt, 4095), -EINVAL);
	CHECK_EQ(lan_grant(lan, "LINUX2", LAN_ACCESS, &v20, false), 0);
	CHECK_EQ(lan_grant(lan, "TRUNK", LAN_TRUNK, &vt, false), 0);
	REQUIRE(up(lan, &a, "LINUX1", 2) == 0);		/* access, default VLAN 10 */
	REQUIRE(up(lan, &b, "LINUX2", 2) == 0);		/* access, VLAN 20 */
	REQUIRE(up(lan, &tr, "TRUNK", 2) == 0);		/* trunk 10,20, native 10 */
	/* A's broadcast: the trunk gets it untagged (native 10), B (VLAN 20) not. */
	n = eth(fr, BC, MA, 0, 0x0806);
	send1(&a, PF_ETH, false, PF_BROADCAST, fr, n);
	CHECK_EQ(b.frames, 0);
	CHECK_EQ(tr.frames, 1);
	CHECK_EQ(tr.len[0], n);
	/* The trunk sends on VLAN 20: B gets it with the tag removed. */
	n = eth(fr, BC, MC, 20, 0x0806);
	send1(&tr, PF_ETH, false, PF_BROADCAST, fr, n);
	CHECK_EQ(a.frames, 0);
	CHECK_EQ(b.frames, 1);
	CHECK_EQ(b.len[0], n - 4);
	CHECK_EQ(b.vlan[0], 0);
	CHECK_EQ(eth(exp, BC, MC, 0, 0x0806), n - 4);
	CHECK_MEM(b.data[0], exp, n - 4);
	/* B's broadcast reaches the trunk tagged 20. */
	n = eth(fr, BC, MB, 0, 0x0806);
	send1(&b, PF_ETH, false, PF_BROADCAST, fr, n);
	CHECK_EQ(tr.frames, 2);
	CHECK_EQ(tr.len[1], n + 4);
	CHECK_EQ(tr.vlan[1], 20);
	CHECK_EQ(eth(exp, BC, MB, 20, 0x0806), n + 4);
	CHECK_MEM(tr.data[1], exp, n + 4);
	/* Unauthorized VLANs: an access port sending tagged, a trunk outside its set. */
	send1(&a, PF_ETH, false, PF_BROADCAST, fr, eth(fr, BC, MA, 20, 0x0806));
	CHECK_EQ(a.p.st.drop[PD_VLAN], 1);
	send1(&tr, PF_ETH, false, PF_BROADCAST, fr, eth(fr, BC, MC, 30, 0x0806));
	CHECK_EQ(tr.p.st.drop[PD_VLAN], 1);
	/* Known unicast across VLANs is refused. */
	CHECK_EQ(reg(&b, PA_SETVMAC, MB, false, 0), 0);
	send1(&a, PF_ETH, false, PF_UNICAST, fr, eth(fr, MB, MA, 0, 0x0800));
	CHECK_EQ(a.p.st.drop[PD_VLAN], 2);
	CHECK_EQ(b.frames, 1);
	/* SETVLAN: only a trunk, only its VLANs. */
	{
		struct paddr pa = { .op = PA_SETVLAN, .vlan = 20 };

		CHECK_EQ(port_addr(&tr.p, &pa), 0);
		CHECK_EQ(port_addr(&a.p, &pa), IPA_RC_L2_VLAN_ID_NOT_ALLOWED);
		pa.vlan = 30;
		CHECK_EQ(port_addr(&tr.p, &pa), IPA_RC_L2_VLAN_ID_NOT_ALLOWED);
		pa.vlan = 4095;
		CHECK_EQ(port_addr(&tr.p, &pa), IPA_RC_L2_INVALID_VLAN_ID);
	}
	CHECK_EQ(lan_set_vlan_unaware(lan), -EBUSY);
	lan_table_free(&tb);
}

TEST(vsw_vlan_unaware_passes_tags)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_ETHERNET);
	struct fake a, b;
	uint8_t fr[64];
	uint32_t n;

	REQUIRE(lan);
	REQUIRE(up(lan, &a, "LINUX1", 2) == 0);
	REQUIRE(up(lan, &b, "LINUX2", 2) == 0);
	n = eth(fr, BC, MA, 77, 0x0806);
	send1(&a, PF_ETH, false, PF_BROADCAST, fr, n);
	CHECK_EQ(b.frames, 1);
	CHECK_EQ(b.len[0], n);
	CHECK_MEM(b.data[0], fr, n);
	lan_table_free(&tb);
}

TEST(vsw_isolation_only_guest_uplink)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_ETHERNET);
	struct fake a, b, u;
	uint8_t fr[64];

	REQUIRE(lan);
	CHECK_EQ(lan_set_isolation(lan, true), 0);
	REQUIRE(up(lan, &a, "LINUX1", 2) == 0);
	REQUIRE(up(lan, &b, "LINUX2", 2) == 0);
	fake_init(&u);
	REQUIRE(lan_attach_uplink(lan, &u.p) == 0);
	CHECK_EQ(reg(&a, PA_SETVMAC, MA, false, 0), 0);
	CHECK_EQ(reg(&b, PA_SETVMAC, MB, false, 0), 0);
	send1(&a, PF_ETH, false, PF_UNICAST, fr, eth(fr, MB, MA, 0, 0x0800));
	CHECK_EQ(b.frames, 0);
	CHECK_EQ(a.p.st.drop[PD_ISOLATION], 1);
	send1(&a, PF_ETH, false, PF_BROADCAST, fr, eth(fr, BC, MA, 0, 0x0806));
	CHECK_EQ(b.frames, 0);
	CHECK_EQ(u.frames, 1);
	send1(&u, PF_ETH, false, PF_UNICAST, fr, eth(fr, MB, MX, 0, 0x0800));
	CHECK_EQ(b.frames, 1);
	lan_table_free(&tb);
}

TEST(vsw_macprotect_drops_foreign_source)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_ETHERNET);
	struct fake a, b;
	uint8_t fr[64];

	REQUIRE(lan);
	CHECK_EQ(lan_set_macprotect(lan, LAN_MACPROT_ON), 0);
	CHECK_EQ(lan_set_macprotect(lan, 7), -EINVAL);
	fake_init(&a);
	REQUIRE(lan_attach_port(lan, &a.p, "LINUX1", 0x600, 0, MA) > 0);
	reg(&a, PA_LAYER, NULL, false, 2);
	CHECK_EQ(reg(&a, PA_STARTLAN, NULL, false, 0), 0);
	REQUIRE(up(lan, &b, "LINUX2", 2) == 0);
	/* MACPROTECT ON: only the assigned MAC may be registered. */
	CHECK_EQ(reg(&a, PA_SETVMAC, MX, false, 0), IPA_RC_L2_MAC_NOT_AUTH_BY_HYP);
	CHECK_EQ(reg(&a, PA_SETVMAC, MA, false, 0), 0);
	CHECK_EQ(reg(&b, PA_SETVMAC, MB, false, 0), 0);
	send1(&a, PF_ETH, false, PF_UNICAST, fr, eth(fr, MB, MX, 0, 0x0800));
	CHECK_EQ(b.frames, 0);
	CHECK_EQ(a.p.st.drop[PD_SPOOF], 1);
	CHECK_EQ(lan->st.drop[PD_SPOOF], 1);
	send1(&a, PF_ETH, false, PF_UNICAST, fr, eth(fr, MB, MA, 0, 0x0800));
	CHECK_EQ(b.frames, 1);
	lan_table_free(&tb);
}

TEST(vsw_l3_spoofed_source_dropped)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_GUESTLAN, LAN_IP);
	struct fake a, b;
	uint8_t pkt[64];

	REQUIRE(lan);
	REQUIRE(up(lan, &a, "LINUX1", 3) == 0);
	REQUIRE(up(lan, &b, "LINUX2", 3) == 0);
	CHECK_EQ(reg(&a, PA_SETIP, IPA, false, 0), 0);
	CHECK_EQ(reg(&b, PA_SETIP, IPB, false, 0), 0);
	send1(&a, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPB, IPB));
	CHECK_EQ(b.frames, 0);
	CHECK_EQ(a.p.st.drop[PD_SPOOF], 1);
	lan_table_free(&tb);
}

/* IPv6 too: a source the guest did not register is dropped, in passthrough and bare;
 * the unspecified address (DAD) and link-local ones (MLD, RS before SETIP) pass. */
TEST(vsw_l3_spoofed_v6_source_dropped_except_unspecified_and_link_local)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_IP);
	struct fake a, b;
	uint8_t v6a[16] = { 0xfd, 2, [15] = 1 }, v6b[16] = { 0xfd, 2, [15] = 2 };
	uint8_t v6x[16] = { 0xfd, 2, [15] = 0x77 }, ll[16] = { 0xfe, 0x80, [15] = 9 };
	uint8_t any[16] = { 0 }, fr[80];

	REQUIRE(lan);
	REQUIRE(up(lan, &a, "LINUX1", 3) == 0);
	REQUIRE(up(lan, &b, "LINUX2", 3) == 0);
	CHECK_EQ(reg(&a, PA_SETIP, v6a, true, 0), 0);
	CHECK_EQ(reg(&b, PA_SETIP, v6b, true, 0), 0);
	memset(fr, 0, sizeof(fr));
	fr[12] = 0x86;
	fr[13] = 0xDD;
	fr[14] = 0x60;
	memcpy(fr + 14 + 24, v6b, 16);
	/* Unregistered, then the other guest's own address: both refused, nothing arrives. */
	memcpy(fr + 14 + 8, v6x, 16);
	send1(&a, PF_ETH, true, PF_UNICAST, fr, 70);
	send1(&a, PF_IP, true, PF_UNICAST, fr + 14, 56);
	memcpy(fr + 14 + 8, v6b, 16);
	send1(&a, PF_ETH, true, PF_UNICAST, fr, 70);
	CHECK_EQ(b.frames, 0);
	CHECK_EQ(a.p.st.drop[PD_SPOOF], 3);
	CHECK_EQ(a.p.st.tx_discards, 3);
	CHECK_EQ(lan->st.drop[PD_SPOOF], 3);
	/* Its own address, the unspecified one and a link-local one pass. */
	memcpy(fr + 14 + 8, v6a, 16);
	send1(&a, PF_ETH, true, PF_UNICAST, fr, 70);
	memcpy(fr + 14 + 8, any, 16);
	send1(&a, PF_ETH, true, PF_UNICAST, fr, 70);
	memcpy(fr + 14 + 8, ll, 16);
	send1(&a, PF_ETH, true, PF_UNICAST, fr, 70);
	CHECK_EQ(b.frames, 3);
	CHECK_EQ(a.p.st.drop[PD_SPOOF], 3);
	/* fec0:: (site-local, not link-local) is checked. */
	memcpy(fr + 14 + 8, ll, 16);
	fr[14 + 9] = 0xc0;
	send1(&a, PF_ETH, true, PF_UNICAST, fr, 70);
	CHECK_EQ(a.p.st.drop[PD_SPOOF], 4);
	CHECK_EQ(b.frames, 3);
	lan_table_free(&tb);
}

/* A guest's frame past the MTU its NIC reported (plus Ethernet header and VLAN tag) is
 * dropped as too large, on both transports; the largest legal one passes.  The uplink
 * is not held to it. */
TEST(vsw_frame_past_mtu_dropped_too_big)
{
	static uint8_t big[PORT_MAX_ETH + 1];
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_ETHERNET);
	struct lan_table tb3;
	struct lanbk *l3 = mklan(&tb3, LAN_VSWITCH, LAN_IP);
	struct fake a, b, c, d;

	REQUIRE(lan && l3);
	REQUIRE(up(lan, &a, "LINUX1", 2) == 0);
	REQUIRE(up(lan, &b, "LINUX2", 2) == 0);
	CHECK_EQ(reg(&b, PA_SETVMAC, MB, false, 0), 0);
	eth(big, MB, MA, 0, 0x0800);
	send1(&a, PF_ETH, false, PF_UNICAST, big, PORT_MAX_ETH + 1);
	CHECK_EQ(b.frames, 0);
	CHECK_EQ(a.p.st.drop[PD_TOOBIG], 1);
	CHECK_EQ(lan->st.drop[PD_TOOBIG], 1);
	CHECK_EQ(a.p.st.tx_discards, 1);
	send1(&a, PF_ETH, false, PF_UNICAST, big, PORT_MAX_ETH);
	CHECK_EQ(b.frames, 1);
	CHECK_EQ(b.len[0], PORT_MAX_ETH);

	/* Layer 3: a bare IP packet may be PORT_MAX_MTU, a passthrough frame 18 more. */
	REQUIRE(up(l3, &c, "LINUX1", 3) == 0);
	REQUIRE(up(l3, &d, "LINUX2", 3) == 0);
	CHECK_EQ(reg(&c, PA_SETIP, IPA, false, 0), 0);
	CHECK_EQ(reg(&d, PA_SETIP, IPB, false, 0), 0);
	ip4(big, IPA, IPB);
	send1(&c, PF_IP, false, PF_UNICAST, big, PORT_MAX_MTU + 1);
	CHECK_EQ(d.frames, 0);
	CHECK_EQ(c.p.st.drop[PD_TOOBIG], 1);
	send1(&c, PF_IP, false, PF_UNICAST, big, PORT_MAX_MTU);
	CHECK_EQ(d.frames, 1);
	CHECK_EQ(l3->st.drop[PD_TOOBIG], 1);
	lan_table_free(&tb);
	lan_table_free(&tb3);
}

/* A large send asking for segments under the floor (536 over IPv4, 1220 over IPv6:
 * lib/tso.h) would have every receiver cut it into thousands: dropped where it enters,
 * counted with its own reason, whatever the transport or a VLAN tag in front. */
TEST(vsw_large_send_under_the_segment_floor_dropped)
{
	static uint8_t fr[2000];
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_ETHERNET);
	struct lan_table tb3;
	struct lanbk *l3 = mklan(&tb3, LAN_VSWITCH, LAN_IP);
	struct fake a, b, c, d;

	REQUIRE(lan && l3);
	REQUIRE(up(lan, &a, "LINUX1", 2) == 0);
	REQUIRE(up(lan, &b, "LINUX2", 2) == 0);
	CHECK_EQ(reg(&b, PA_SETVMAC, MB, false, 0), 0);
	eth(fr, MB, MA, 0, 0x0800);
	send_gso(&a, PF_ETH, false, fr, sizeof(fr), 1);
	send_gso(&a, PF_ETH, false, fr, sizeof(fr), 535);
	CHECK_EQ(b.frames, 0);
	CHECK_EQ(a.p.st.drop[PD_SEGSIZE], 2);
	CHECK_EQ(lan->st.drop[PD_SEGSIZE], 2);
	send_gso(&a, PF_ETH, false, fr, sizeof(fr), 536);
	CHECK_EQ(b.frames, 1);
	/* IPv6's floor is its own, tagged or not. */
	eth(fr, MB, MA, 0, 0x86DD);
	send_gso(&a, PF_ETH, true, fr, sizeof(fr), 1219);
	eth(fr, MB, MA, 5, 0x86DD);
	send_gso(&a, PF_ETH, true, fr, sizeof(fr), 1000);
	CHECK_EQ(a.p.st.drop[PD_SEGSIZE], 4);
	eth(fr, MB, MA, 0, 0x86DD);
	send_gso(&a, PF_ETH, true, fr, sizeof(fr), 1220);
	CHECK_EQ(b.frames, 2);
	CHECK_EQ(a.p.st.drop[PD_SEGSIZE], 4);
	CHECK_STR(port_drop_name(PD_SEGSIZE), "large send segment size");
	CHECK_STR(port_drop_name(PD_NOMEM), "out of memory");

	/* Layer 3: the IP version says which floor. */
	REQUIRE(up(l3, &c, "LINUX1", 3) == 0);
	REQUIRE(up(l3, &d, "LINUX2", 3) == 0);
	CHECK_EQ(reg(&c, PA_SETIP, IPA, false, 0), 0);
	CHECK_EQ(reg(&d, PA_SETIP, IPB, false, 0), 0);
	ip4(fr, IPA, IPB);
	send_gso(&c, PF_IP, false, fr, 1500, 100);
	CHECK_EQ(d.frames, 0);
	CHECK_EQ(c.p.st.drop[PD_SEGSIZE], 1);
	send_gso(&c, PF_IP, false, fr, 1500, 536);
	CHECK_EQ(d.frames, 1);
	fr[0] = 0x60;
	send_gso(&c, PF_IP, true, fr, 1500, 600);
	CHECK_EQ(c.p.st.drop[PD_SEGSIZE], 2);
	CHECK_EQ(l3->st.drop[PD_SEGSIZE], 2);
	lan_table_free(&tb);
	lan_table_free(&tb3);
}

/* SETIP with an IPv4 mask: a prefix is kept (the OSA learns the subnet's directed
 * broadcast from it); one with holes is refused, so a guest cannot make any address
 * it likes count as a broadcast. */
TEST(vsw_setip_mask_must_be_a_prefix)
{
	static const uint8_t masks[][4] = { { 255, 255, 255, 0 }, { 0, 0, 0, 0 },
					   { 255, 255, 255, 255 }, { 255, 255, 255, 254 },
					   { 128, 0, 0, 0 } };
	static const uint8_t bad[][4] = { { 255, 0, 255, 0 }, { 0, 0, 0, 255 },
					 { 255, 255, 255, 253 }, { 127, 255, 255, 255 } };
	struct lan_table tb;
	struct lanbk *ip = mklan(&tb, LAN_VSWITCH, LAN_IP);
	struct fake a;
	struct paddr pa;

	REQUIRE(ip);
	REQUIRE(up(ip, &a, "LINUX1", 3) == 0);
	memset(&pa, 0, sizeof(pa));
	pa.op = PA_SETIP;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(pa.ip, IPA, 4);
		pa.ip[3] = (uint8_t)(10 + i);
		memcpy(pa.mask, bad[i], 4);
		CHECK_EQ(port_addr(&a.p, &pa), IPA_RC_INVALID_FORMAT);
		CHECK_EQ(iptab_lookup(&ip->tab, IPT_V4, pa.ip), -ENOENT);
	}
	for (unsigned i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		memcpy(pa.ip, IPA, 4);
		pa.ip[3] = (uint8_t)(20 + i);
		memcpy(pa.mask, masks[i], 4);
		CHECK_EQ(port_addr(&a.p, &pa), 0);
		CHECK_EQ(iptab_lookup(&ip->tab, IPT_V4, pa.ip), (int)lan_conn_of(ip, &a.p)->idx);
	}
	/* IPv6 carries no mask to check. */
	memset(&pa, 0, sizeof(pa));
	pa.op = PA_SETIP;
	pa.ipv6 = true;
	pa.ip[0] = 0xFD;
	pa.ip[15] = 1;
	memset(pa.mask, 0xA5, sizeof(pa.mask));
	CHECK_EQ(port_addr(&a.p, &pa), 0);
	lan_table_free(&tb);
}

TEST(vsw_registration_return_codes)
{
	struct lan_table tb;
	struct lanbk *ip = mklan(&tb, LAN_GUESTLAN, LAN_IP), *et = NULL;
	struct fake a, b, c, d, e;

	REQUIRE(ip);
	REQUIRE(lan_define(&tb, "SYSTEM", "ETH1", LAN_VSWITCH, &et) == 0);
	REQUIRE(up(ip, &a, "LINUX1", 3) == 0);
	REQUIRE(up(ip, &b, "LINUX2", 3) == 0);
	CHECK_EQ(reg(&a, PA_SETIP, IPA, false, 0), 0);
	CHECK_EQ(reg(&a, PA_SETIP, IPA, false, 0), 0);
	CHECK_EQ(reg(&b, PA_SETIP, IPA, false, 0), IPA_RC_DUPLICATE_IP_ADDRESS);
	CHECK_EQ(reg(&b, PA_DELIP, IPA, false, 0), IPA_RC_PRIMARY_ALREADY_DEFINED);
	CHECK_EQ(iptab_lookup(&ip->tab, IPT_V4, IPA), (int)lan_conn_of(ip, &a.p)->idx);
	CHECK_EQ(reg(&a, PA_SETVMAC, MA, false, 0), IPA_RC_LAN_FRAME_MISMATCH);
	/* Registrations start "local only"; the uplink's acceptance clears it. */
	CHECK_EQ(iptab_local_only(&ip->tab, IPT_V4, IPA), 1);
	CHECK_EQ(iptab_set_local_only(&ip->tab, IPT_V4, IPA, false), 0);
	CHECK_EQ(iptab_local_only(&ip->tab, IPT_V4, IPA), 0);
	/* A layer-2 NIC on an IP LAN: STARTLAN answers frame mismatch. */
	fake_init(&c);
	REQUIRE(lan_attach_port(ip, &c.p, "LINUX3", 0x700, 0, NULL) > 0);
	CHECK_EQ(reg(&c, PA_LAYER, NULL, false, 2), 0);
	CHECK_EQ(reg(&c, PA_STARTLAN, NULL, false, 0), IPA_RC_LAN_FRAME_MISMATCH);
	/* The Ethernet side. */
	REQUIRE(up(et, &d, "LINUX1", 2) == 0);
	REQUIRE(up(et, &e, "LINUX2", 2) == 0);
	CHECK_EQ(reg(&d, PA_SETIP, IPA, false, 0), IPA_RC_LAN_FRAME_MISMATCH);
	CHECK_EQ(reg(&d, PA_SETVMAC, MA, false, 0), 0);
	CHECK_EQ(reg(&e, PA_SETVMAC, MA, false, 0), IPA_RC_L2_DUP_MAC);
	CHECK_EQ(reg(&e, PA_DELVMAC, MA, false, 0), IPA_RC_L2_MAC_NOT_FOUND);
	CHECK_EQ(reg(&e, PA_SETVMAC, MG, false, 0), IPA_RC_L2_MAC_NOT_AUTH_BY_HYP);
	CHECK_EQ(reg(&e, PA_SETVMAC, (const uint8_t[6]){ 0 }, false, 0),
		 IPA_RC_L2_MAC_NOT_AUTH_BY_HYP);
	CHECK_EQ(reg(&e, PA_DELGMAC, MG, false, 0), IPA_RC_L2_GMAC_NOT_FOUND);
	CHECK_EQ(reg(&e, PA_LAYER, NULL, false, 7), IPA_RC_INVALID_FORMAT);
	lan_table_free(&tb);
}

static unsigned notes, last_op;
static void note(void *ctx, struct lanbk *lan, unsigned conn, const struct paddr *a)
{
	(void)ctx;
	(void)lan;
	(void)conn;
	notes++;
	last_op = a->op;
}

/* A LAN nobody couples to holds no tables (SYSTEM CONFIG may define many); the first
 * coupling makes them, and the LAN then works as any other. */
TEST(vsw_tables_come_when_first_used)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_GUESTLAN, LAN_IP);
	struct fake a, b;
	uint8_t pkt[64];

	REQUIRE(lan);
	CHECK(lan->conn == NULL && lan->tab.uni == NULL);
	CHECK_EQ(iptab_lookup(&lan->tab, IPT_V4, IPA), -ENOENT);
	REQUIRE(up(lan, &a, "LINUX1", 3) == 0);
	CHECK(lan->conn != NULL);
	REQUIRE(up(lan, &b, "LINUX2", 3) == 0);
	CHECK_EQ(reg(&a, PA_SETIP, IPA, false, 0), 0);
	CHECK(lan->tab.uni != NULL);
	CHECK_EQ(reg(&b, PA_SETIP, IPB, false, 0), 0);
	send1(&a, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPA, IPB));
	CHECK_EQ(b.frames, 1);
	lan_table_free(&tb);
}

TEST(vsw_detach_withdraws_addresses)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_GUESTLAN, LAN_IP);
	struct fake a, b;
	uint8_t grp[4] = { 239, 0, 0, 1 };

	REQUIRE(lan);
	lan->notify = note;
	notes = 0;
	REQUIRE(up(lan, &a, "LINUX1", 3) == 0);
	REQUIRE(up(lan, &b, "LINUX2", 3) == 0);
	CHECK_EQ(reg(&a, PA_SETIP, IPA, false, 0), 0);
	CHECK_EQ(reg(&a, PA_SETIPM, grp, false, 0), 0);
	CHECK_EQ(notes, 2);
	CHECK_EQ(lan_detach_port(lan, &a.p), 0);
	CHECK_EQ(notes, 3);
	CHECK_EQ(last_op, PA_DELIP);
	CHECK(a.p.ops == NULL && a.p.peer == NULL);
	CHECK_EQ(iptab_lookup(&lan->tab, IPT_V4, IPA), -ENOENT);
	CHECK(iptab_members(&lan->tab, IPT_V4, grp) == NULL);
	CHECK_EQ(lan_detach_port(lan, &a.p), -ENOENT);
	CHECK_EQ(port_addr(&a.p, &(struct paddr){ .op = PA_SETIP }), IPA_RC_LAN_OFFLINE);
	/* The address is free for someone else now. */
	CHECK_EQ(reg(&b, PA_SETIP, IPA, false, 0), 0);
	CHECK_EQ(lan->nguests, 1);
	lan_table_free(&tb);
}

TEST(vsw_maxconn_access_list_port_numbers)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_ETHERNET);
	struct fake f[4];

	REQUIRE(lan);
	for (unsigned i = 0; i < 4; i++)
		fake_init(&f[i]);
	CHECK_EQ(lan_set_maxconn(lan, 1025), -EINVAL);
	CHECK_EQ(lan_set_maxconn(lan, 2), 0);
	CHECK_EQ(lan_attach_port(lan, &f[0].p, "LINUX1", 0x600, LAN_PORTNUM_AUTO, NULL), 1);
	CHECK_EQ(lan_attach_port(lan, &f[0].p, "LINUX1", 0x600, LAN_PORTNUM_AUTO, NULL), -EBUSY);
	CHECK_EQ(lan_attach_port(lan, &f[1].p, "LINUX2", 0x600, 1, NULL), -EADDRINUSE);
	CHECK_EQ(lan_attach_port(lan, &f[1].p, "LINUX2", 0x600, 2049, NULL), -EINVAL);
	CHECK_EQ(lan_attach_port(lan, &f[1].p, "bad name!", 0x600, 0, NULL), -EINVAL);
	CHECK_EQ(lan_attach_port(lan, &f[1].p, "linux2", 0x600, 5, NULL), 5);
	CHECK_STR(lan_conn_of(lan, &f[1].p)->owner, "LINUX2");
	CHECK_EQ(lan_attach_port(lan, &f[2].p, "LINUX3", 0x600, 0, NULL), -EUSERS);
	CHECK_EQ(lan_set_maxconn(lan, 1), -EBUSY);
	CHECK_EQ(lan_set_maxconn(lan, 0), 0);
	CHECK_EQ(lan_attach_port(lan, &f[2].p, "LINUX3", 0x600, 0, NULL), 2);
	/* RESTRICTED: GRANT needed (-EACCES), the LAN's owner... is SYSTEM here. */
	lan_set_restricted(lan, true);
	CHECK_EQ(lan_attach_port(lan, &f[3].p, "LINUX4", 0x600, 0, NULL), -EACCES);
	CHECK_EQ(lan_grant(lan, "linux4", 0, NULL, false), 0);
	REQUIRE(lan_grant_find(lan, "LINUX4") != NULL);
	CHECK_EQ(lan_attach_port(lan, &f[3].p, "LINUX4", 0x600, 0, NULL), 3);
	CHECK_EQ(lan_detach_port(lan, &f[3].p), 0);
	CHECK_EQ(lan_revoke(lan, "LINUX4"), 0);
	CHECK_EQ(lan_revoke(lan, "LINUX4"), -ENOENT);
	CHECK_EQ(lan_attach_port(lan, &f[3].p, "LINUX4", 0x600, 0, NULL), -EACCES);
	/* Without GRANT PROMISCUOUS a guest on a restricted LAN cannot go promiscuous. */
	CHECK_EQ(lan_grant(lan, "LINUX5", 0, NULL, false), 0);
	CHECK_EQ(lan_attach_port(lan, &f[3].p, "LINUX5", 0x600, 0, NULL), 3);
	CHECK_EQ(reg(&f[3], PA_PROMISC, NULL, false, 1), IPA_RC_NOTSUPP);
	CHECK_EQ(lan_grant(lan, "LINUX5", 0, NULL, true), 0);
	CHECK_EQ(reg(&f[3], PA_PROMISC, NULL, false, 1), 0);
	CHECK_EQ(lan->npromisc, 1);
	lan_table_free(&tb);
}

TEST(vsw_lan_table_define_find_reap)
{
	struct lan_table tb;
	struct lanbk *l1, *l2, *l3;
	char nm[9];

	lan_table_init(&tb, 1);
	CHECK_EQ(lan_name_canon("vsw1", nm), 0);
	CHECK_STR(nm, "VSW1");
	CHECK_EQ(lan_name_canon("", nm), -EINVAL);
	CHECK_EQ(lan_name_canon("NINECHARS", nm), -EINVAL);
	CHECK_EQ(lan_name_canon("A B", nm), -EINVAL);
	CHECK_EQ(lan_define(&tb, "SYSTEM", "vsw1", LAN_VSWITCH, &l1), 0);
	CHECK_EQ(lan_define(&tb, "system", "VSW1", LAN_GUESTLAN, &l2), -EEXIST);
	CHECK_EQ(lan_define(&tb, "LINUX1", "VSW1", LAN_VSWITCH, &l2), -EINVAL);
	CHECK_EQ(lan_define(&tb, "LINUX1", "VSW1", LAN_GUESTLAN, &l2), 0);
	CHECK_EQ(lan_define(&tb, "LINUX1", "VSW1", 9, &l3), -EINVAL);
	CHECK(lan_find(&tb, "system", "vsw1") == l1);
	CHECK(lan_find(&tb, "LINUX1", "VSW1") == l2);
	CHECK(l1->persistent && !l2->persistent);
	CHECK_EQ(l1->transport, LAN_ETHERNET);
	CHECK_EQ(l2->transport, LAN_IP);
	/* Setters validate. */
	CHECK_EQ(lan_set_rdevs(l2, (uint16_t[]){ 0x600 }, NULL, 1), -EOPNOTSUPP);
	CHECK_EQ(lan_set_rdevs(l1, (uint16_t[]){ 0x600, 0x600 }, NULL, 2), -EINVAL);
	CHECK_EQ(lan_set_rdevs(l1, (uint16_t[]){ 1, 2, 3, 4 }, NULL, 4), -EINVAL);
	CHECK_EQ(lan_set_rdevs(l1, (uint16_t[]){ 0x600, 0x700 }, (uint8_t[]){ 0, 1 }, 2), 0);
	CHECK_EQ(l1->nrdev, 2);
	CHECK_EQ(lan_set_controller(l1, "*"), 0);
	CHECK_EQ(lan_set_controller(l1, "dtcvsw1"), 0);
	CHECK_STR(l1->controller, "DTCVSW1");
	CHECK_EQ(lan_set_iptimeout(l1, 0), -EINVAL);
	CHECK_EQ(lan_set_iptimeout(l1, 240), 0);
	CHECK_EQ(lan_set_queuestorage(l1, 257), -EINVAL);
	CHECK_EQ(lan_set_router(l1, LAN_PRIROUTER), -EINVAL);	/* ETHERNET */
	CHECK_EQ(lan_set_type(l1, LAN_HIPERS), -EINVAL);
	CHECK_EQ(lan_set_type(l2, LAN_HIPERS), 0);
	CHECK_EQ(lan_set_connect(l2, false), -EOPNOTSUPP);
	/* Logoff of LINUX1 reaps its transient LAN; SYSTEM LANs stay. */
	CHECK_EQ(lan_reap_transient(&tb, "LINUX1"), 1);
	CHECK(lan_find(&tb, "LINUX1", "VSW1") == NULL);
	CHECK_EQ(lan_destroy(&tb, l1), 0);
	CHECK_EQ(tb.n, 0);
	lan_table_free(&tb);
}

TEST(vsw_transport_fixed_while_coupled)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_GUESTLAN, LAN_IP);
	struct fake a;

	REQUIRE(lan);
	REQUIRE(up(lan, &a, "LINUX1", 3) == 0);
	CHECK_EQ(lan_set_transport(lan, LAN_ETHERNET), -EBUSY);
	CHECK_EQ(lan_set_transport(lan, 9), -EINVAL);
	CHECK_EQ(lan_detach_port(lan, &a.p), 0);
	CHECK_EQ(lan_set_transport(lan, LAN_ETHERNET), 0);
	/* Now a layer 2 LAN: a guest registers MACs, not IPs. */
	REQUIRE(up(lan, &a, "LINUX1", 2) == 0);
	CHECK_EQ(reg(&a, PA_SETVMAC, MA, false, 0), IPA_RC_SUCCESS);
	CHECK_EQ(reg(&a, PA_SETIP, IPA, false, 0), IPA_RC_LAN_FRAME_MISMATCH);
	lan_table_free(&tb);
}

TEST(vsw_ip_table_full_answers_ipa_rc)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_GUESTLAN, LAN_IP);
	struct fake a;
	uint16_t rc = 0;
	unsigned i;

	REQUIRE(lan);
	REQUIRE(up(lan, &a, "LINUX1", 3) == 0);
	for (i = 0; i < 70000 && rc == 0; i++) {
		uint8_t ip[4] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };

		rc = reg(&a, PA_SETIP, ip, false, 0);
	}
	CHECK_EQ(rc, IPA_RC_IP_ADDR_TABLE_FULL);
	CHECK_EQ(i - 1, lan->tab.ulimit);
	lan_table_free(&tb);
}

/* Thousands of LANs: every one found by owner and name in any case, destroys keep
 * the others findable, the persistent/transient counts follow. */
TEST(vsw_lan_table_many_lans_hashed)
{
	enum { N = 3000 };
	static struct lanbk *made[N];
	struct lanbk *dup;
	struct lan_table tb;
	char name[9], owner[9];
	unsigned gone = 0;

	lan_table_init(&tb, 7);
	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "L%u", i);
		snprintf(owner, sizeof(owner), i % 3 ? "SYSTEM" : "USER%u", i % 7);
		REQUIRE(lan_define(&tb, owner, name, LAN_GUESTLAN, &made[i]) == 0);
	}
	CHECK_EQ(tb.n, N);
	CHECK_EQ(tb.npersistent, N - N / 3);
	CHECK(tb.hcap >= tb.n);
	CHECK_EQ(lan_define(&tb, "system", "l1", LAN_VSWITCH, &dup), -EEXIST);
	for (unsigned i = 0; i < N; i += 3) {
		snprintf(name, sizeof(name), "l%u", i);
		snprintf(owner, sizeof(owner), "user%u", i % 7);
		CHECK(lan_find(&tb, owner, name) == made[i]);
		CHECK(lan_find(&tb, "SYSTEM", name) == NULL);
	}
	/* Destroy every fifth: the rest stay, with consistent indexes. */
	for (unsigned i = 0; i < N; i += 5, gone++)
		CHECK_EQ(lan_destroy(&tb, made[i]), 0);
	CHECK_EQ(tb.n, N - gone);
	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "L%u", i);
		snprintf(owner, sizeof(owner), i % 3 ? "SYSTEM" : "USER%u", i % 7);
		CHECK(lan_find(&tb, owner, name) == (i % 5 ? made[i] : NULL));
	}
	for (unsigned k = 0; k < tb.n; k++)
		CHECK_EQ(tb.lans[k]->tidx, k);
	CHECK_EQ(tb.npersistent + (tb.n - tb.npersistent), tb.n);
	/* A LAN of another table is not this table's to destroy. */
	{
		struct lan_table other;
		struct lanbk *x;

		lan_table_init(&other, 8);
		REQUIRE(lan_define(&other, "SYSTEM", "L1", LAN_GUESTLAN, &x) == 0);
		CHECK_EQ(lan_destroy(&tb, x), -ENOENT);
		CHECK(lan_find(&other, "SYSTEM", "L1") == x);
		lan_table_free(&other);
	}
	lan_table_free(&tb);
}

/* A LAN nobody couples to has no connection or IP tables: thousands of them in a
 * SYSTEM CONFIG cost their LANBKs only.  The first attach brings them. */
TEST(vsw_lan_tables_come_with_first_attach)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_GUESTLAN, LAN_IP);
	struct fake a;
	static const uint8_t ip[4] = { 10, 0, 0, 1 };

	REQUIRE(lan);
	CHECK(lan->conn == NULL && lan->live == NULL && lan->tab.uni == NULL);
	CHECK_EQ(iptab_lookup(&lan->tab, IPT_V4, ip), -ENOENT);
	REQUIRE(up(lan, &a, "ALICE", 3) == 0);
	CHECK(lan->conn != NULL && lan->live != NULL);
	CHECK_EQ(reg(&a, PA_SETIP, ip, false, 0), IPA_RC_SUCCESS);
	CHECK(lan->tab.uni != NULL);
	CHECK_EQ(iptab_lookup(&lan->tab, IPT_V4, ip), (int)lan->live[0]);
	CHECK_EQ(lan_detach_port(lan, &a.p), 0);
	lan_table_free(&tb);
}

/* Connection slots come a chunk at a time: 100 guests span four chunks, each keeps
 * its slot while others come and go, traffic reaches across chunks, and a freed slot
 * is the next one given. */
TEST(vsw_conn_slots_span_chunks)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_GUESTLAN, LAN_IP);
	static struct fake g[100];
	char user[16];
	uint8_t pkt[64], ip[4] = { 10, 0, 0, 0 }, first[4] = { 10, 0, 0, 1 };

	REQUIRE(lan);
	REQUIRE(lan_set_maxconn(lan, 200) == 0);
	for (unsigned k = 0; k < 100; k++) {
		snprintf(user, sizeof(user), "U%u", k);
		REQUIRE(up(lan, &g[k], user, 3) == 0);
		REQUIRE(lan_conn_of(lan, &g[k].p)->idx == k);
		ip[3] = (uint8_t)(k + 1);
		REQUIRE(reg(&g[k], PA_SETIP, ip, false, 0) == IPA_RC_SUCCESS);
	}
	CHECK(lan->conn[3] != NULL && lan->conn[4] == NULL);
	ip[3] = 100;
	send1(&g[99], PF_IP, false, PF_UNICAST, pkt, ip4(pkt, ip, first));
	CHECK_EQ(g[0].frames, 1);
	CHECK_EQ(lan_detach_port(lan, &g[40].p), 0);
	CHECK_EQ(lan_detach_port(lan, &g[70].p), 0);
	CHECK_EQ(lan_conn_of(lan, &g[99].p)->idx, 99);
	send1(&g[0], PF_IP, false, PF_UNICAST, pkt, ip4(pkt, first, ip));
	CHECK_EQ(g[99].frames, 1);
	memset(&g[40], 0, sizeof(g[40]));
	REQUIRE(up(lan, &g[40], "AGAIN", 3) == 0);
	CHECK_EQ(lan_conn_of(lan, &g[40].p)->idx, 40);
	CHECK(lan_conn_at(lan, 70) != NULL && lan_conn_at(lan, 70)->port == NULL);
	CHECK(lan_conn_at(lan, 200) == NULL && lan_conn_at(lan, LAN_CONN_SLOTS) == NULL);
	lan_table_free(&tb);
}

/* IPTIMEOUT: sources the uplink brings in become remote entries of the IP table (to
 * the uplink), refreshed by traffic, removed IPTIMEOUT minutes after last seen; a
 * guest's registration wins; hostile sources cannot fill the table. */
TEST(vsw_l3_iptimeout_ages_remote_addresses)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_IP);
	struct fake a, b, u;
	uint8_t pkt[64], src[4];
	const struct ipt_uni *e;
	const uint64_t t0 = 5000000;	/* ms */
	unsigned full0;

	REQUIRE(lan);
	lan_set_restricted(lan, false);
	REQUIRE(up(lan, &a, "LINUX1", 3) == 0);
	fake_init(&u);
	REQUIRE(lan_attach_uplink(lan, &u.p) == 0);
	CHECK_EQ(reg(&a, PA_SETIP, IPA, false, 0), 0);
	CHECK_EQ(lan_age(lan, t0), 0u);
	/* In from the uplink: delivered, and its source learned as remote. */
	send1(&u, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPX, IPA));
	CHECK_EQ(a.frames, 1);
	e = iptab_entry(&lan->tab, IPT_V4, IPX);
	REQUIRE(e);
	CHECK(e->remote);
	CHECK_EQ(e->port, (uint16_t)lan->uplink_idx);
	CHECK_EQ(lan->st.remote_learned, 1u);
	CHECK_EQ(lan->tab.rcount, 1u);
	/* A guest's frame to it is known unicast to the uplink, not an unknown flood. */
	send1(&a, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPA, IPX));
	CHECK_EQ(u.frames, 1);
	CHECK_EQ(lan->st.unknown, 0u);
	/* Not seen for 4 of the 5 minutes: kept; seen again at 4 minutes: refreshed. */
	CHECK_EQ(lan_age(lan, t0 + 4 * 60000), 0u);
	send1(&u, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPX, IPA));
	CHECK_EQ(lan->st.remote_learned, 1u);
	CHECK_EQ(lan_age(lan, t0 + 8 * 60000), 0u);
	CHECK(iptab_entry(&lan->tab, IPT_V4, IPX) != NULL);
	/* 5 minutes after it was last seen: gone, counted. */
	CHECK_EQ(lan_age(lan, t0 + 9 * 60000), 1u);
	CHECK(iptab_entry(&lan->tab, IPT_V4, IPX) == NULL);
	CHECK_EQ(lan->st.remote_aged, 1u);
	CHECK_EQ(lan->tab.rcount, 0u);
	/* A shorter IPTIMEOUT takes effect at the next pass. */
	send1(&u, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPX, IPA));
	CHECK_EQ(lan_set_iptimeout(lan, 1), 0);
	CHECK_EQ(lan_age(lan, t0 + 9 * 60000 + 59999), 0u);
	CHECK_EQ(lan_age(lan, t0 + 10 * 60000), 1u);
	/* Multicast, broadcast, loopback and 0.0.0.0 sources are not addresses. */
	{
		static const uint8_t bad[4][4] = { { 224, 0, 0, 1 }, { 255, 255, 255, 255 },
						   { 127, 0, 0, 1 }, { 0, 0, 0, 0 } };

		for (unsigned k = 0; k < 4; k++)
			send1(&u, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, bad[k], IPA));
		CHECK_EQ(lan->tab.rcount, 0u);
	}
	/* A guest registering an address seen remotely: the registration wins. */
	send1(&u, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPB, IPA));
	CHECK_EQ(lan->tab.rcount, 1u);
	{
		REQUIRE(up(lan, &b, "LINUX2", 3) == 0);
		CHECK_EQ(reg(&b, PA_SETIP, IPB, false, 0), 0);
		e = iptab_entry(&lan->tab, IPT_V4, IPB);
		REQUIRE(e);
		CHECK(!e->remote);
		CHECK_EQ(lan->st.remote_taken, 1u);
		CHECK_EQ(lan->tab.rcount, 0u);
		/* ... and is never aged or re-learned from outside. */
		send1(&u, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, IPB, IPA));
		CHECK(!iptab_entry(&lan->tab, IPT_V4, IPB)->remote);
		CHECK_EQ(lan_age(lan, t0 + 60 * 60000), 0u);
		CHECK(iptab_entry(&lan->tab, IPT_V4, IPB) != NULL);
		/* A spoofed flood of sources stops at the remote limit; guests still
		 * register. */
		for (unsigned k = 0; k < lan->tab.rlimit + 1000u; k++) {
			src[0] = 11;
			src[1] = (uint8_t)(k >> 8);
			src[2] = (uint8_t)k;
			src[3] = 1;
			send1(&u, PF_IP, false, PF_UNICAST, pkt, ip4(pkt, src, IPA));
		}
		CHECK_EQ(lan->tab.rcount, lan->tab.rlimit);
		full0 = (unsigned)lan->st.remote_full;
		CHECK_EQ(full0, 1000u);
		CHECK_EQ(reg(&b, PA_SETIP, IPC, false, 0), 0);
		/* The uplink leaving takes its remote entries with it. */
		CHECK_EQ(lan_detach_uplink(lan), 0);
		CHECK_EQ(lan->tab.rcount, 0u);
		CHECK(iptab_entry(&lan->tab, IPT_V4, IPC) != NULL);
	}
	lan_table_free(&tb);
}

/* ---- bandwidth caps ------------------------------------------------------------- */

static uint64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
	(void)ctx;
	return fake_now;
}

/* 10 s of simulated time: every 100 us A sends a 1000-byte frame to B and one to C
 * (160 Mbit/s), and the uplink sends one to A (80 Mbit/s); the ports count. */
static void cap_traffic(struct fake *a, struct fake *up)
{
	static uint8_t fb[1000], fc[1000], fa[1000];

	eth(fb, MB, MA, 0, 0x0800);
	eth(fc, MC, MA, 0, 0x0800);
	eth(fa, MA, MX, 0, 0x0800);
	for (unsigned i = 0; i < 100000; i++) {
		fake_now += 100000;
		send1(a, PF_ETH, false, PF_UNICAST, fb, sizeof(fb));
		send1(a, PF_ETH, false, PF_UNICAST, fc, sizeof(fc));
		send1(up, PF_ETH, false, PF_UNICAST, fa, sizeof(fa));
	}
}

TEST(vsw_cap_both_directions_neighbour_unaffected)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_ETHERNET);
	struct fake a, b, c, u;
	struct lan_conn *ca;
	uint64_t rx_bytes_c;

	REQUIRE(lan);
	lan->clock = fake_clock;
	fake_now = 1000000000ull;
	/* The cap waits on port number 1 before anybody couples. */
	CHECK_EQ(lan_set_portnum_cap(lan, 1, 20000000ull), 0);
	CHECK_EQ(lan_portnum_cap(lan, 1), 20000000ull);
	REQUIRE(up(lan, &a, "LINUX1", 2) == 0);		/* port 1: capped */
	REQUIRE(up(lan, &b, "LINUX2", 2) == 0);		/* port 2 */
	REQUIRE(up(lan, &c, "LINUX3", 2) == 0);		/* port 3: uncapped neighbour */
	fake_init(&u);
	REQUIRE(lan_attach_uplink(lan, &u.p) == 0);
	CHECK_EQ(reg(&a, PA_SETVMAC, MA, false, 0), 0);
	CHECK_EQ(reg(&b, PA_SETVMAC, MB, false, 0), 0);
	CHECK_EQ(reg(&c, PA_SETVMAC, MC, false, 0), 0);
	ca = lan_conn_of(lan, &a.p);
	REQUIRE(ca && ca->portnum == 1);
	CHECK_EQ(lan_conn_cap(ca), 20000000ull);
	cap_traffic(&a, &u);
	/* A sent 160 Mbit/s into the LAN: 20 of it reached B and C together. */
	CHECK(b.p.st.rx_bytes + c.p.st.rx_bytes >= 20000000ull / 8 * 10 * 99 / 100);
	CHECK(b.p.st.rx_bytes + c.p.st.rx_bytes <= 20000000ull / 8 * 10 + ca->cap[LAN_CAP_TX].burst);
	CHECK_EQ(a.p.st.drop[PD_CAP_TX], ca->cap[LAN_CAP_TX].drop_frames);
	CHECK_EQ(a.p.st.drop[PD_CAP_TX] + b.p.st.rx_packets + c.p.st.rx_packets, 200000u);
	CHECK_EQ(lan->st.drop[PD_CAP_TX], a.p.st.drop[PD_CAP_TX]);
	/* The uplink offered A 80 Mbit/s: 20 got through. */
	CHECK(a.p.st.rx_bytes >= 20000000ull / 8 * 10 * 99 / 100);
	CHECK(a.p.st.rx_bytes <= 20000000ull / 8 * 10 + ca->cap[LAN_CAP_RX].burst);
	CHECK_EQ(a.p.st.drop[PD_CAP_RX] + a.p.st.rx_packets, 100000u);
	CHECK_EQ(ca->cap[LAN_CAP_RX].drop_bytes, a.p.st.drop[PD_CAP_RX] * 1000);
	CHECK_EQ(lan->st.drop[PD_CAP_RX], a.p.st.drop[PD_CAP_RX]);
	CHECK_EQ(b.p.st.drop[PD_CAP_RX] + c.p.st.drop[PD_CAP_RX] + u.p.st.drop[PD_CAP_RX], 0);
	/* The neighbour alone, uncapped: C sends to B at 80 Mbit/s, all of it arrives. */
	{
		static uint8_t fr[1000];
		uint64_t before = b.p.st.rx_packets;

		eth(fr, MB, MC, 0, 0x0800);
		for (unsigned i = 0; i < 10000; i++) {
			fake_now += 100000;
			send1(&c, PF_ETH, false, PF_UNICAST, fr, sizeof(fr));
		}
		CHECK_EQ(b.p.st.rx_packets - before, 10000u);
		CHECK_EQ(c.p.st.drop[PD_CAP_TX], 0);
	}
	/* OFF: A's frames pass again, its drop counts stay. */
	rx_bytes_c = c.p.st.rx_bytes;
	CHECK_EQ(lan_set_portnum_cap(lan, 1, 0), 0);
	CHECK_EQ(lan_conn_cap(ca), 0);
	{
		uint64_t d = a.p.st.drop[PD_CAP_TX];
		static uint8_t fr[1000];

		eth(fr, MC, MA, 0, 0x0800);
		for (unsigned i = 0; i < 1000; i++)
			send1(&a, PF_ETH, false, PF_UNICAST, fr, sizeof(fr));
		CHECK_EQ(c.p.st.rx_bytes - rx_bytes_c, 1000u * 1000);
		CHECK_EQ(a.p.st.drop[PD_CAP_TX], d);
	}
	lan_table_free(&tb);
}

TEST(vsw_cap_own_and_portnum_lower_wins)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_ETHERNET);
	struct fake a, b;
	struct lan_conn *ca;

	REQUIRE(lan);
	lan->clock = fake_clock;
	REQUIRE(up(lan, &a, "LINUX1", 2) == 0);
	ca = lan_conn_of(lan, &a.p);
	REQUIRE(ca);
	CHECK_EQ(lan_set_own_cap(lan, &a.p, 50000000ull), 0);
	CHECK_EQ(lan_conn_cap(ca), 50000000ull);
	/* Set on its port number now: applies at once, the lower wins. */
	CHECK_EQ(lan_set_portnum_cap(lan, ca->portnum, 10000000ull), 0);
	CHECK_EQ(lan_conn_cap(ca), 10000000ull);
	CHECK_EQ(lan_set_own_cap(lan, &a.p, 5000000ull), 0);
	CHECK_EQ(lan_conn_cap(ca), 5000000ull);
	CHECK_EQ(lan_set_own_cap(lan, &a.p, 0), 0);
	CHECK_EQ(lan_conn_cap(ca), 10000000ull);
	CHECK_EQ(ca->cap[LAN_CAP_RX].rate, 10000000ull);
	CHECK_EQ(ca->cap[LAN_CAP_RX].burst, 125000u);	/* 10M x 100 ms */
	/* Bad input changes nothing. */
	CHECK_EQ(lan_set_portnum_cap(lan, 0, 10000000ull), -EINVAL);
	CHECK_EQ(lan_set_portnum_cap(lan, LAN_PORTNUM_MAX + 1, 10000000ull), -EINVAL);
	CHECK_EQ(lan_set_portnum_cap(lan, 7, 999), -EINVAL);
	CHECK_EQ(lan_set_portnum_cap(lan, 7, SHAPER_RATE_MAX + 1), -EINVAL);
	CHECK_EQ(lan_set_own_cap(lan, &a.p, 5), -EINVAL);
	/* A NIC's guest cannot set its own cap through a registration (CP's job). */
	CHECK_EQ(reg(&a, PA_BANDWIDTH, NULL, false, 1000), IPA_RC_NOTSUPP);
	/* An application port may (kbit/s); a rate out of range is refused, unchanged. */
	ca->appl_id = 7;
	CHECK_EQ(reg(&a, PA_BANDWIDTH, NULL, false, 0xFFFFFFFFu), IPA_RC_INVALID_FORMAT);
	CHECK_EQ(lan_conn_cap(ca), 10000000ull);
	CHECK_EQ(reg(&a, PA_BANDWIDTH, NULL, false, 2000), IPA_RC_SUCCESS);
	CHECK_EQ(lan_conn_cap(ca), 2000000ull);
	CHECK_EQ(reg(&a, PA_BANDWIDTH, NULL, false, 0), IPA_RC_SUCCESS);
	CHECK_EQ(lan_conn_cap(ca), 10000000ull);
	ca->appl_id = 0;
	fake_init(&b);
	CHECK_EQ(lan_set_own_cap(lan, &b.p, 10000000ull), -ENOENT);
	CHECK_EQ(lan_conn_cap(ca), 10000000ull);
	CHECK_EQ(lan->npcaps, 1);
	/* The cap stays with the port number: a port coupling there later gets it. */
	CHECK_EQ(lan_detach_port(lan, &a.p), 0);
	REQUIRE(up(lan, &b, "LINUX2", 2) == 0);
	ca = lan_conn_of(lan, &b.p);
	REQUIRE(ca && ca->portnum == 1);
	CHECK_EQ(lan_conn_cap(ca), 10000000ull);
	lan_table_free(&tb);
}

TEST(vsw_cap_charges_only_what_the_receiver_takes)
{
	struct lan_table tb;
	struct lanbk *lan = mklan(&tb, LAN_VSWITCH, LAN_ETHERNET);
	struct fake a, b;
	static uint8_t fr[1000];

	REQUIRE(lan);
	lan->clock = fake_clock;
	fake_now = 5000000000ull;
	REQUIRE(up(lan, &a, "LINUX1", 2) == 0);
	REQUIRE(up(lan, &b, "LINUX2", 2) == 0);
	CHECK_EQ(reg(&b, PA_SETVMAC, MB, false, 0), 0);
	CHECK_EQ(lan_set_portnum_cap(lan, lan_conn_of(lan, &b.p)->portnum, 1000000ull), 0);
	eth(fr, MB, MA, 0, 0x0800);
	fake_now += 1000000000ull;		/* a second: B's bucket is full */
	/* B has no buffers: its 100 frames are its drops, not its cap's. */
	b.refuse = true;
	for (unsigned i = 0; i < 100; i++)
		send1(&a, PF_ETH, false, PF_UNICAST, fr, sizeof(fr));
	CHECK_EQ(b.p.st.drop[PD_NOBUF], 100);
	CHECK_EQ(b.p.st.drop[PD_CAP_RX], 0);
	/* At the same instant, with buffers: a full bucket's worth passes. */
	b.refuse = false;
	for (unsigned i = 0; i < 100; i++)
		send1(&a, PF_ETH, false, PF_UNICAST, fr, sizeof(fr));
	CHECK_EQ(b.frames, SHAPER_BURST_MIN / 1000);
	CHECK_EQ(b.p.st.drop[PD_CAP_RX], 100 - SHAPER_BURST_MIN / 1000);
	CHECK_EQ(lan_conn_of(lan, &b.p)->cap[LAN_CAP_RX].pass_frames, SHAPER_BURST_MIN / 1000);
	lan_table_free(&tb);
}

/* ---- the decision cache (vswitch/dcache.h) ------------------------------------------
 * A property test: two LANs fed the same random tables, changes and frames, one with
 * its decision cache and one without, must agree on every frame; and the bounds of
 * the cache's table itself. */

#define NG 10			/* guests on each LAN */
#define NADDR 12		/* unicast addresses in play (more than are registered) */
#define NGRP 3			/* groups in play */
#define DC_TBATCH 100		/* the longest batch sent */

/* A port that keeps what it was given as a count and a running hash of the bytes,
 * lengths and VLANs, so that two runs can be compared frame by frame. */
struct pk {
	struct port p;
	uint64_t frames, hash;
	bool on;			/* coupled */
	uint8_t mac[6];
};

static unsigned pk_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct pk *k = owner;

	(void)p;
	for (unsigned i = 0; i < n; i++) {
		uint8_t b[96];
		uint32_t l = f[i].len < sizeof(b) ? f[i].len : sizeof(b);

		qdio_spans_copy(f[i].spans, f[i].nspans, 0, b, l);
		k->hash = (k->hash ^ f[i].len ^ (uint64_t)f[i].vlan << 32) * 0x100000001B3ull;
		for (uint32_t j = 0; j < l; j++)
			k->hash = (k->hash ^ b[j]) * 0x100000001B3ull;
		k->frames++;
	}
	return n;
}

/* One side of the comparison: a LAN, its guests and its uplink. */
struct side {
	struct lanbk *lan;
	struct pk g[NG], up;
	bool up_on;
};

/* The one random sequence both sides follow (xorshift64*). */
struct rnd {
	uint64_t s;
};

static uint32_t rn(struct rnd *r, uint32_t n)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (uint32_t)((r->s * 0x2545F4914F6CDD1Dull) >> 33) % n;
}

static const char *user_of(unsigned k)
{
	static const char *u[] = { "LINUX0", "LINUX1", "LINUX2", "LINUX3", "LINUX4" };

	return u[k % 5];		/* two NICs per user: a GRANT changes both */
}

static void mkaddr(bool l2, bool v6, unsigned n, uint8_t *a)
{
	memset(a, 0, 16);
	if (l2) {
		a[0] = 0x02;
		a[5] = (uint8_t)(n + 1);
	} else if (v6) {
		a[0] = 0xFD;
		a[15] = (uint8_t)(n + 1);
	} else {
		a[0] = 10;
		a[3] = (uint8_t)(n + 1);
	}
}

static void mkgroup(bool l2, bool v6, unsigned n, uint8_t *a)
{
	static const uint8_t gmac[6] = { 0x01, 0x00, 0x5E, 0, 0, 0 };

	memset(a, 0, 16);
	if (l2) {
		memcpy(a, gmac, 6);
		a[5] = (uint8_t)(n + 1);
	} else if (v6) {
		a[0] = 0xFF;
		a[1] = 0x02;
		a[15] = (uint8_t)(n + 1);
	} else {
		a[0] = 224;
		a[3] = (uint8_t)(n + 1);
	}
}

static int couple(struct side *s, unsigned k)
{
	struct pk *g = &s->g[k];
	bool l2 = s->lan->transport == LAN_ETHERNET;
	int rc = lan_attach_port(s->lan, &g->p, user_of(k), (uint16_t)(0x600 + k),
				 LAN_PORTNUM_AUTO, g->mac);

	if (rc < 0)
		return rc;
	g->on = true;
	preg(&g->p, PA_LAYER, NULL, false, l2 ? 2 : 3);
	preg(&g->p, PA_STARTLAN, NULL, false, 0);
	return 0;
}

static int side_up(struct lan_table *tb, struct side *s, const char *name, bool l2, bool aware,
		   bool cached)
{
	int rc = lan_define(tb, "SYSTEM", name, LAN_VSWITCH, &s->lan);

	if (rc == 0)
		rc = lan_set_transport(s->lan, l2 ? LAN_ETHERNET : LAN_IP);
	if (rc == 0 && aware)
		rc = lan_set_vlan(s->lan, 2, 1, LAN_ACCESS);
	if (rc)
		return rc;
	s->lan->dc.off = !cached;
	for (unsigned k = 0; k < NG; k++) {
		struct pk *g = &s->g[k];

		g->p.rx = pk_rx;
		g->p.owner = g;
		g->mac[0] = 0x02;
		g->mac[5] = (uint8_t)(k + 1);	/* MACPROTECT: the pool's address k */
		if ((rc = couple(s, k)) < 0)
			return rc;
	}
	s->up.p.rx = pk_rx;
	s->up.p.owner = &s->up;
	rc = lan_attach_uplink(s->lan, &s->up.p);
	s->up_on = rc == 0;
	return rc;
}

/* One random change of what decides, the same on both sides. */
static void change(struct side *sd, unsigned nside, struct rnd *r, uint64_t *now_ms)
{
	bool l2 = sd[0].lan->transport == LAN_ETHERNET, v6 = !l2 && rn(r, 3) == 0;
	unsigned op = rn(r, 16), k = rn(r, NG), n = rn(r, NADDR), x = rn(r, 4);
	struct lan_vlanset vs;
	uint8_t a[16];

	memset(&vs, 0, sizeof(vs));
	lan_vlan_add(&vs, (uint16_t)(1 + x));
	if (x & 1)
		lan_vlan_add(&vs, 5);
	for (unsigned i = 0; i < nside; i++) {
		struct side *s = &sd[i];
		struct pk *g = &s->g[k];

		switch (op) {
		case 0: case 1: case 2:		/* the common case: addresses come ... */
			mkaddr(l2, v6, n, a);
			if (g->on)
				preg(&g->p, l2 ? PA_SETVMAC : PA_SETIP, a, v6, 0);
			break;
		case 3:				/* ... and go */
			mkaddr(l2, v6, n, a);
			if (g->on)
				preg(&g->p, l2 ? PA_DELVMAC : PA_DELIP, a, v6, 0);
			break;
		case 4:
			mkgroup(l2, v6, n % NGRP, a);
			if (g->on)
				preg(&g->p, l2 ? (x & 1 ? PA_DELGMAC : PA_SETGMAC)
					   : (x & 1 ? PA_DELIPM : PA_SETIPM), a, v6, 0);
			break;
		case 5:
			if (g->on)
				preg(&g->p, PA_PROMISC, NULL, false, x & 1);
			break;
		case 6:
			if (g->on)
				preg(&g->p, PA_ISOLATION, NULL, false,
				     x & 1 ? IPA_ADP_ISOLATION_DROP : IPA_ADP_ISOLATION_NONE);
			break;
		case 7:
			lan_set_isolation(s->lan, x == 0);
			break;
		case 8:
			if (s->lan->vlan_aware)
				lan_set_vlan(s->lan, (uint16_t)(1 + x), x == 3 ? 0 : 1,
					     x & 1 ? LAN_TRUNK : LAN_ACCESS);
			break;
		case 9:
			lan_grant(s->lan, user_of(k), x == 0 ? 0 : x & 1 ? LAN_TRUNK : LAN_ACCESS,
				  x == 2 ? NULL : &vs, x != 1);
			break;
		case 10:
			lan_revoke(s->lan, user_of(k));
			break;
		case 11:			/* UNCOUPLE, or COUPLE again */
			if (g->on) {
				lan_detach_port(s->lan, &g->p);
				g->on = false;
			} else {
				couple(s, k);
			}
			break;
		case 12:
			if (s->up_on)
				lan_detach_uplink(s->lan);
			else
				lan_attach_uplink(s->lan, &s->up.p);
			s->up_on = !s->up_on;
			break;
		case 13:
			if (l2)
				lan_set_macprotect(s->lan, x & 1 ? LAN_MACPROT_ON : LAN_MACPROT_OFF);
			else
				lan_set_router(s->lan, x & 1 ? LAN_PRIROUTER : LAN_NONROUTER);
			break;
		case 14:
			if (!l2 && g->on)
				preg(&g->p, PA_SETRTG, NULL, v6,
				     x == 0 ? IPA_RTG_PRIMARY_ROUTER : x == 1 ? IPA_RTG_MULTICAST_ROUTER
				     : IPA_RTG_NONE);
			else if (g->on)
				preg(&g->p, x & 1 ? PA_STOPLAN : PA_STARTLAN, NULL, false, 0);
			break;
		default:			/* time passes: remote addresses age out */
			lan_age(s->lan, *now_ms + (uint64_t)x * 3 * 60000);
			break;
		}
	}
	if (op == 15)
		*now_ms += (uint64_t)x * 3 * 60000;
}

/* A random frame into buf (what any sender might send); fills f around it. */
static void frame(bool l2, bool aware, struct rnd *r, unsigned from, uint8_t *buf,
		  struct qdio_span *sp, struct pframe *f, unsigned serial)
{
	uint8_t src[16], dst[16];
	bool v6 = !l2 && rn(r, 3) == 0;
	unsigned d = rn(r, NADDR + NGRP + 2), sv = rn(r, NADDR + 2);

	/* Mostly from one of two addresses of the sender's own (registered or not) to
	 * one of three peers: senders repeat themselves, which is what a cache is for. */
	if (rn(r, 4))
		sv = (from + rn(r, 2)) % NADDR;
	if (rn(r, 4))
		d = (from * 3 + rn(r, 3)) % NADDR;
	uint16_t tag = aware && rn(r, 2) ? (uint16_t)(1 + rn(r, 5)) : 0;
	uint32_t o = 0, len;

	if (d < NADDR)
		mkaddr(l2, v6, d, dst);
	else if (d < NADDR + NGRP)
		mkgroup(l2, v6, d - NADDR, dst);
	else
		memset(dst, 0xFF, 16);		/* broadcast (IPv6: a group) */
	if (sv < NADDR) {
		mkaddr(l2, v6, sv, src);
	} else if (sv == NADDR) {		/* a group MAC (bad), ::, or 0.0.0.0 */
		mkgroup(l2, v6, 0, src);
		if (!l2)
			memset(src, 0, 16);
	} else {				/* from outside (IPv6: link-local) */
		mkaddr(l2, v6, 40, src);
		src[0] = v6 ? 0xFE : l2 ? 0x02 : 8;
		src[1] = v6 ? 0x80 : 8;
	}
	memset(f, 0, sizeof(*f));
	memset(buf, 0, 128);
	if (l2 || rn(r, 4) == 0) {		/* layer 3: passthrough now and then */
		uint16_t et = v6 ? 0x86DD : rn(r, 8) == 0 ? 0x0806 : 0x0800;

		/* the link header (its 8 bytes of payload are overwritten below) */
		o = eth(buf, l2 ? dst : MA, l2 ? src : MB, l2 ? tag : 0, et) - 8;
		f->kind = PF_ETH;
	} else {
		f->kind = PF_IP;
	}
	if (!l2) {
		if (v6) {
			buf[o] = 0x60;
			memcpy(buf + o + 8, src, 16);
			memcpy(buf + o + 24, dst, 16);
			len = o + 48;
		} else {
			buf[o] = 0x45;
			memcpy(buf + o + 12, src, 4);
			memcpy(buf + o + 16, dst, 4);
			len = o + 28;
		}
		f->ipv6 = v6;
		f->cast = rn(r, 10) == 0 ? PF_BROADCAST : PF_UNICAST;
		f->vlan = tag;
	} else {
		len = o + 20;
	}
	buf[len - 1] = (uint8_t)serial;		/* the receivers' hashes tell frames apart */
	sp->ptr = buf;
	sp->len = len;
	f->spans = sp;
	f->nspans = 1;
	f->len = len;
}

static bool same(const struct side *a, const struct side *b)
{
	if (memcmp(&a->lan->st, &b->lan->st, sizeof(a->lan->st)) ||
	    a->up.frames != b->up.frames || a->up.hash != b->up.hash ||
	    memcmp(&a->up.p.st, &b->up.p.st, sizeof(a->up.p.st)))
		return false;
	for (unsigned k = 0; k < NG; k++)
		if (a->g[k].frames != b->g[k].frames || a->g[k].hash != b->g[k].hash ||
		    memcmp(&a->g[k].p.st, &b->g[k].p.st, sizeof(a->g[k].p.st)))
			return false;
	return true;
}

/* One run: random changes, each followed by random batches from random senders, the
 * cached side (0) compared with the uncached one (1) after every batch.  Returns 0, or
 * the step at which they differ (+1). */
static unsigned run(struct tctx *t, uint64_t seed, bool l2, bool aware, uint64_t *hits,
		    uint64_t *misses)
{
	static uint8_t buf[DC_TBATCH][128];
	struct lan_table tb;
	struct side *sd = calloc(2, sizeof(*sd));
	struct rnd r = { seed | 1 };
	uint64_t now_ms = 0;
	unsigned bad = 0, serial = 0;

	lan_table_init(&tb, seed);
	if (!sd || side_up(&tb, &sd[0], "CACHED", l2, aware, true) ||
	    side_up(&tb, &sd[1], "UNCACHED", l2, aware, false)) {
		tc_fail(t, __FILE__, __LINE__, "seed %" PRIu64 ": setting up the LANs failed", seed);
		bad = 1;
	}
	for (unsigned step = 0; !bad && step < 300; step++) {
		unsigned nb = 1 + rn(&r, 64);

		change(sd, 2, &r, &now_ms);
		for (unsigned b = 0; !bad && b < nb; b++) {
			struct qdio_span sp[DC_TBATCH];
			struct pframe f[DC_TBATCH];
			/* now and then more than a chunk (LAN_BATCH): decided in two */
			unsigned n = rn(&r, 32) ? 1 + rn(&r, 8) : 60 + rn(&r, DC_TBATCH - 59);
			unsigned from = rn(&r, NG + 4);

			for (unsigned i = 0; i < n; i++)
				frame(l2, aware, &r, from, buf[i], &sp[i], &f[i], serial++);
			/* The same batch into both (the switch only reads it); the uplink
			 * sends two batches in seven: it brings the remote sources. */
			for (unsigned i = 0; i < 2; i++)
				port_tx(from >= NG ? &sd[i].up.p : &sd[i].g[from].p, f, n);
			if (!same(&sd[0], &sd[1]))
				bad = step + 1;
		}
	}
	if (sd && sd[0].lan) {
		*hits += sd[0].lan->dc.hits;
		*misses += sd[0].lan->dc.misses;
		CHECK_EQ(sd[1].lan->dc.hits + sd[1].lan->dc.misses, 0u);
	}
	lan_table_free(&tb);
	free(sd);
	return bad;
}

TEST(dcache_cached_decisions_equal_uncached_on_random_tables_and_changes)
{
	uint64_t seed0 = 0xDCAC4E5EEDull, hits = 0, misses = 0;
	const char *env = getenv("CPNET_DCACHE_SEED");

	if (env)
		seed0 = strtoull(env, NULL, 0);
	for (unsigned k = 0; k < 8; k++) {
		uint64_t seed = seed0 + k;
		bool l2 = k & 1, aware = k & 2;
		unsigned bad = run(t, seed, l2, aware, &hits, &misses);

		if (bad) {
			tc_fail(t, __FILE__, __LINE__,
				"cached and uncached forwarding differ: seed %" PRIu64
				" (layer %d, VLAN %s) after change %u; rerun with "
				"CPNET_DCACHE_SEED=%" PRIu64, seed, l2 ? 2 : 3,
				aware ? "aware" : "unaware", bad - 1, seed);
			return;
		}
	}
	/* The cache was used, and both ways: not a comparison of two uncached runs. */
	CHECK(hits > 1000);
	CHECK(misses > 1000);
}

/* The table itself: a key kept is found for its generation only, a set holds
 * DC_WAYS keys and then pushes out the oldest, the size follows dcache_size. */
static unsigned decided;
static void fill(void *ctx, const union dc_key *k, struct dc_dec *d)
{
	(void)ctx;
	decided++;
	memset(d, 0, sizeof(*d));
	d->dst = (int16_t)k->k.from;
}

TEST(dcache_generation_ways_and_size)
{
	struct dcache c;
	union dc_key k;
	struct dc_dec d;

	dcache_init(&c, 7);
	memset(&k, 0, sizeof(k));
	decided = 0;
	/* No table yet: every decision is made, none counted. */
	dcache_decide(&c, &k, dcache_hash(&c, &k), 1, fill, NULL, &d);
	CHECK_EQ(decided, 1u);
	CHECK_EQ(c.hits + c.misses, 0u);
	REQUIRE(dcache_size(&c, 1) == 0);
	CHECK_EQ(dcache_entries(&c), DC_MIN_ENTRIES);
	k.k.from = 5;
	dcache_decide(&c, &k, dcache_hash(&c, &k), 1, fill, NULL, &d);
	dcache_decide(&c, &k, dcache_hash(&c, &k), 1, fill, NULL, &d);
	CHECK_EQ(decided, 2u);
	CHECK_EQ(d.dst, 5);
	CHECK_EQ(c.hits, 1u);
	/* Another generation: the entry is old, the decision is made again. */
	dcache_decide(&c, &k, dcache_hash(&c, &k), 2, fill, NULL, &d);
	CHECK_EQ(decided, 3u);
	CHECK_EQ(c.misses, 2u);
	/* Many keys in a small table push current entries out; each is still right. */
	for (unsigned i = 0; i < 4 * DC_MIN_ENTRIES; i++) {
		k.k.from = (uint16_t)i;
		dcache_decide(&c, &k, dcache_hash(&c, &k), 2, fill, NULL, &d);
		CHECK_EQ(d.dst, (int16_t)i);
	}
	CHECK(c.evictions > 0);
	/* Grows (empty again) for more keys, up to its bound; never shrinks. */
	REQUIRE(dcache_size(&c, 3000) == 0);
	CHECK_EQ(dcache_entries(&c), 8192u);
	REQUIRE(dcache_size(&c, 10) == 0);
	CHECK_EQ(dcache_entries(&c), 8192u);
	REQUIRE(dcache_size(&c, 1000000) == 0);
	CHECK_EQ(dcache_entries(&c), DC_MAX_ENTRIES);
	decided = 0;
	dcache_decide(&c, &k, dcache_hash(&c, &k), 2, fill, NULL, &d);
	CHECK_EQ(decided, 1u);
	/* Off (the benchmarks' knob): every decision made, none counted. */
	c.off = true;
	dcache_decide(&c, &k, dcache_hash(&c, &k), 2, fill, NULL, &d);
	CHECK_EQ(decided, 2u);
	dcache_free(&c);
}
