/* tests/unit/test_osa.c - the OSA-Express model over the in-memory wire, driven by a
 * synthetic guest exactly like Linux qeth: ARP, ping to a host on the wire, filters, link. */
#include <stdlib.h>

#include "driver/guest.h"
#include "lib/be.h"
#include "lib/csum.h"
#include "lib/tso.h"
#include "osa/osa.h"
#include "qeth/qhdr.h"
#include "tests/tcheck.h"

static const uint8_t osa_mac[6] = { 0x02, 0x00, 0xC9, 0x0A, 0x0A, 0x00 };
static const uint8_t far_mac[6] = { 0x02, 0xEE, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t other_mac[6] = { 0x02, 0xEE, 0x00, 0x00, 0x00, 0x77 };
static const uint8_t bcast[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t g_ip[4] = { 10, 9, 0, 1 }, far_ip[4] = { 10, 9, 0, 2 };
static const uint8_t g6[16] = { 0xFD, 0, [15] = 1 }, far6[16] = { 0xFD, 0, [15] = 2 };
static const uint8_t all_nodes[16] = { 0xFF, 0x02, [15] = 1 };
static const uint8_t unspec6[16];

/* The neighbour cache key of an IPv4 address (a few live at once in one CHECK). */
static const uint8_t *k4(uint32_t ip)
{
	static uint8_t b[4][16];
	static unsigned n;
	uint8_t *k = b[n++ % 4];

	arp_key4(ip, k);
	return k;
}

/* ---- a host on the wire, played by the test ---------------------------------------- */

struct far {
	struct wire *w;
	bool answer_arp, answer_echo;
	unsigned frames, arp_req, garp, echo_req, echo6;
	unsigned ns6, ns6_bad_lla, na6;	/* NS for far6 (with a SLLA not the OSA's), NAs */
	uint8_t last_echo_eth[14];	/* Ethernet header of the last echo request */
	uint8_t last[WIRE_FRAME_MAX];	/* the last frame collected */
	int last_len;
};

static uint32_t mk_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	be_put16(f + 12, type);
	return 14;
}

static uint32_t mk_arp(uint8_t *f, uint16_t op, const uint8_t *eth_dst, const uint8_t *sha,
		       const uint8_t *spa, const uint8_t *tha, const uint8_t *tpa)
{
	uint8_t *a = f + mk_eth(f, eth_dst, sha, 0x0806);

	be_put16(a, 1);
	be_put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	be_put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, tpa, 4);
	memset(a + 28, 0, 18);		/* Ethernet padding to 60 bytes */
	return 60;
}

/* IPv4 + ICMP echo (type 8 request / 0 reply) with `pad` bytes of Ethernet padding. */
static uint32_t mk_echo4(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, const uint8_t *src,
			 const uint8_t *dst, uint8_t type, uint16_t id, uint16_t seq,
			 const uint8_t *data, uint32_t dlen, uint32_t pad)
{
	uint8_t *ip = f + mk_eth(f, dmac, smac, 0x0800), *ic = ip + 20;
	uint32_t tot = 20 + 8 + dlen;

	memset(ip, 0, 20);
	ip[0] = 0x45;
	be_put16(ip + 2, (uint16_t)tot);
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	be_put16(ip + 10, stack_csum(ip, 20, 0));
	ic[0] = type;
	ic[1] = 0;
	be_put16(ic + 2, 0);
	be_put16(ic + 4, id);
	be_put16(ic + 6, seq);
	memcpy(ic + 8, data, dlen);
	be_put16(ic + 2, stack_csum(ic, 8 + dlen, 0));
	memset(ip + tot, 0, pad);
	return 14 + tot + pad;
}

/* IPv6 + ICMPv6 (body of blen bytes, checksum computed) in an Ethernet frame. */
static uint32_t mk_icmp6(uint8_t *f, const uint8_t *dmac, const uint8_t *smac,
			 const uint8_t *src, const uint8_t *dst, uint8_t hops,
			 const uint8_t *body, uint32_t blen)
{
	uint8_t *ip = f + mk_eth(f, dmac, smac, 0x86DD), *ic = ip + 40;
	uint32_t sum = blen + 58;

	memset(ip, 0, 40);
	be_put32(ip, 0x60000000u);
	be_put16(ip + 4, (uint16_t)blen);
	ip[6] = 58;
	ip[7] = hops;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	memcpy(ic, body, blen);
	be_put16(ic + 2, 0);
	for (int k = 0; k < 16; k += 2)
		sum += be_get16(ip + 8 + k) + be_get16(ip + 24 + k);
	be_put16(ic + 2, stack_csum(ic, blen, sum));
	return 14 + 40 + blen;
}

/* Whether the ICMPv6 message of the IPv6 packet at ip has a valid checksum. */
static bool icmp6_ok(const uint8_t *ip)
{
	uint32_t blen = be_get16(ip + 4), sum = blen + 58;

	for (int k = 0; k < 16; k += 2)
		sum += be_get16(ip + 8 + k) + be_get16(ip + 24 + k);
	return stack_csum(ip + 40, blen, sum) == 0;
}

/* An NS or NA body: type, flags byte, target, optional link-layer option (opt, mac). */
static uint32_t nd_body(uint8_t *b, uint8_t type, uint8_t flags, const uint8_t *target,
			uint8_t opt, const uint8_t *mac)
{
	memset(b, 0, 32);
	b[0] = type;
	b[4] = flags;
	memcpy(b + 8, target, 16);
	if (!mac)
		return 24;
	b[24] = opt;
	b[25] = 1;
	memcpy(b + 26, mac, 6);
	return 32;
}

static void sn_of(const uint8_t *target, uint8_t ip[16], uint8_t mac[6])
{
	static const uint8_t pre[13] = { 0xFF, 0x02, [11] = 1, [12] = 0xFF };

	memcpy(ip, pre, 13);
	memcpy(ip + 13, target + 13, 3);
	mac[0] = mac[1] = 0x33;
	memcpy(mac + 2, ip + 12, 4);
}

/* The host's IPv6 side: answer NS for far6 (when answer_arp) and echo requests to it. */
static void far_ip6(struct far *h, const uint8_t *f, int n)
{
	const uint8_t *ip = f + 14, *ic = ip + 40;
	uint8_t out[1600], b[32];

	if (n < 14 + 48 || 40u + be_get16(ip + 4) > (uint32_t)n - 14 || ip[6] != 58 ||
	    !icmp6_ok(ip))
		return;
	if (ic[0] == 135 && !memcmp(ic + 8, far6, 16)) {
		h->ns6++;
		if (n >= 14 + 72 && ic[24] == 1 && memcmp(ic + 26, f + 6, 6))
			h->ns6_bad_lla++;
		if (h->answer_arp && memcmp(ip + 8, unspec6, 16))
			wire_mem_inject(h->w, out,
					mk_icmp6(out, f + 6, far_mac, far6, ip + 8, 255, b,
						 nd_body(b, 136, 0x60, far6, 2, far_mac)));
	} else if (ic[0] == 136) {
		h->na6++;
	} else if (ic[0] == 128 && !memcmp(ip + 24, far6, 16)) {
		uint32_t blen = be_get16(ip + 4);

		h->echo6++;
		memcpy(h->last_echo_eth, f, 14);
		if (h->answer_echo && blen <= 1400) {
			uint8_t body[1400];

			memcpy(body, ic, blen);
			body[0] = 129;
			wire_mem_inject(h->w, out, mk_icmp6(out, f + 6, far_mac, far6, ip + 8, 64,
							    body, blen));
		}
	}
}

/* Take everything the OSA sent; answer ARP for far_ip and echo requests to it. */
static void far_step(struct far *h)
{
	uint8_t *f = h->last, out[1600];
	int n;

	while ((n = wire_mem_collect(h->w, f, sizeof(h->last))) > 0) {
		uint16_t et = be_get16(f + 12);

		h->frames++;
		h->last_len = n;
		if (et == 0x0806 && n >= 42) {
			const uint8_t *a = f + 14;

			if (be_get16(a + 6) == 1 && !memcmp(a + 14, a + 24, 4))
				h->garp++;
			else if (be_get16(a + 6) == 1 && !memcmp(a + 24, far_ip, 4)) {
				h->arp_req++;
				if (h->answer_arp)
					wire_mem_inject(h->w, out,
							mk_arp(out, 2, a + 8, far_mac, far_ip, a + 8,
							       a + 14));
			}
		} else if (et == 0x0800 && n >= 14 + 28) {
			const uint8_t *ip = f + 14, *ic = ip + 20;
			uint32_t tot = be_get16(ip + 2);

			if (!memcmp(ip + 16, far_ip, 4) && ic[0] == 8 && tot >= 28 &&
			    tot <= (uint32_t)n - 14 && tot - 28 <= 1400) {
				h->echo_req++;
				memcpy(h->last_echo_eth, f, 14);
				if (h->answer_echo)
					wire_mem_inject(h->w, out,
							mk_echo4(out, f + 6, far_mac, far_ip, ip + 12,
								 0, be_get16(ic + 4), be_get16(ic + 6),
								 ic + 8, tot - 28, 0));
			}
		} else if (et == 0x86DD) {
			far_ip6(h, f, n);
		}
	}
}

/* ---- the rig: an OSA on a memory wire, a synthetic guest driving it ---------------- */

struct rig {
	struct osa o;
	struct guest g;
	struct guest_if *i;
	struct far far;
	uint64_t now;
	unsigned link_events;
	bool last_link;
};

static uint64_t rig_clock(void *ctx)
{
	return ((struct rig *)ctx)->now;
}

static void rig_link(void *ctx, struct osa *o, bool up)
{
	struct rig *r = ctx;

	(void)o;
	r->link_events++;
	r->last_link = up;
}

static void rig_pump(void *ctx)
{
	struct rig *r = ctx;

	for (int k = 0; k < 3; k++) {
		far_step(&r->far);
		osa_poll(&r->o, 64);
	}
}

static int rig_create(struct rig *r, uint16_t mtu)
{
	struct osa_cfg c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.rdev = 0x0A00;
	c.schno = 0x20;
	c.chpid = 0x0A;
	c.clock_ms = rig_clock;
	c.clock_ctx = r;
	c.link_cb = rig_link;
	c.link_ctx = r;
	r->now = 1000;
	rc = osa_create(&r->o, &c, &wire_mem_class, "mem0");
	if (rc < 0)
		return rc;
	if (mtu) {
		wire_mem_set_mtu(&r->o.wire, mtu);
		r->o.mtu = mtu;
	}
	r->far.w = &r->o.wire;
	r->far.answer_arp = r->far.answer_echo = true;
	return 0;
}

/* Bring the guest up on the OSA in `layer` and give it 10.9.0.1/24 (as Linux would). */
static int rig_up(struct tctx *t, struct rig *r, uint8_t layer)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = rig_create(r, 0)) < 0)
		return rc;
	if ((rc = guest_create(&r->g, 0)) < 0)
		return rc;
	if ((rc = guest_attach_nic(&r->g, osa_nic(&r->o), 0x0A00, layer, &r->i)) < 0)
		return rc;
	rc = guest_if_online(r->i);
	if (rc == 0)
		rc = guest_if_add_ip4(r->i, g_ip, 24);
	if (rc < 0)
		tc_fail(t, __FILE__, __LINE__, "online: %d %s", rc, r->i->drv.last_error);
	return rc;
}

/* The guest up with g6 (and its link-local) registered; the SETIP announcements taken. */
static int rig_up6(struct tctx *t, struct rig *r)
{
	int rc = rig_up(t, r, 3);

	if (rc == 0)
		rc = guest_if_add_ip6(r->i, g6);
	if (rc == 0)
		rc = qdrv_setip(&r->i->drv, true, r->i->stk.ll6, 64);
	far_step(&r->far);
	return rc;
}

static void rig_down(struct rig *r)
{
	guest_destroy(&r->g);
	osa_destroy(&r->o);
}

/* A rig of its own, its guest up in layer (rig_up), or with v6 in layer 3 with g6 too
 * (rig_up6); rig_free ends it.  NULL if it could not be made or brought up. */
static struct rig *rig_new(struct tctx *t, uint8_t layer, bool v6)
{
	struct rig *r = calloc(1, sizeof(*r));

	if (r && (v6 ? rig_up6(t, r) : rig_up(t, r, layer)) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

static void rig_free(struct rig *r)
{
	rig_down(r);
	free(r);
}

/* A layer-3 rig (rig_new) whose gratuitous ARP, SETIP's announcement, the far host has
 * taken: the wire holds only what the test does next.  NULL as rig_new. */
static struct rig *rig_l3_quiet(struct tctx *t)
{
	struct rig *r = rig_new(t, 3, false);

	if (r)
		far_step(&r->far);
	return r;
}

static void inject(struct rig *r, const uint8_t *f, uint32_t len)
{
	wire_mem_inject(&r->o.wire, f, len);
	osa_poll(&r->o, 64);
	guest_poll(&r->g);
}

/* ---- layer 3 ----------------------------------------------------------------------- */

TEST(osa_l3_online_like_linux)
{
	struct rig *r = rig_new(t, 3, false);
	const struct qdrv_ipa_rec *rec;

	REQUIRE(r);
	CHECK_EQ(r->o.nic.state, NC_DM_ACT);
	CHECK_EQ(r->o.layer, 3);
	CHECK(r->o.started);
	CHECK_MEM(r->i->drv.mac, osa_mac, 6);		/* READ_MAC: the OSA's MAC */
	rec = qdrv_ipa_find(&r->i->drv, IPA_CMD_SETIP);
	REQUIRE(rec != NULL);
	CHECK_EQ(rec->rc, 0);
	REQUIRE(osa_addr_count(&r->o, ATAB_V4) == 1);
	CHECK_EQ(be_get32(r->o.at.e[0].addr), 0x0A090001u);
	CHECK_EQ(r->o.at.e[0].mask, 0xFFFFFF00u);
	CHECK_EQ(r->o.nipm4, 1);			/* 224.0.0.1 */
	CHECK_EQ(r->o.ipm4[0], 0xE0000001u);
	/* SETIP announced the address on the wire (gratuitous ARP from the OSA's MAC). */
	far_step(&r->far);
	CHECK_EQ(r->far.garp, 1);
	CHECK_EQ(r->o.st.arp_garp_tx, 1);
	CHECK_MEM(r->far.last + 6, osa_mac, 6);
	CHECK_MEM(r->far.last + 14 + 14, g_ip, 4);
	/* A mask with holes would make any address the subnet's directed broadcast: the
	 * OSA refuses it (vnic/port.h paddr_mask_ok); a prefix is kept. */
	{
		struct paddr pa = { .op = PA_SETIP, .ip = { 10, 9, 0, 7 },
				    .mask = { 255, 0, 255, 0 } };

		CHECK_EQ(port_addr(&r->o.nic.port, &pa), IPA_RC_INVALID_FORMAT);
		CHECK_EQ(osa_addr_count(&r->o, ATAB_V4), 1);
		memcpy(pa.mask, "\xff\xff\xf0\x00", 4);
		CHECK_EQ(port_addr(&r->o.nic.port, &pa), IPA_RC_SUCCESS);
		CHECK_EQ(osa_addr_count(&r->o, ATAB_V4), 2);
	}
	rig_free(r);
}

TEST(osa_l3_arp_answered_for_registered_ip_only)
{
	static const uint8_t unreg[4] = { 10, 9, 0, 77 };
	struct rig *r = rig_l3_quiet(t);
	uint8_t f[64], got[128];
	uint64_t before;
	int n;

	REQUIRE(r);
	inject(r, f, mk_arp(f, 1, bcast, far_mac, far_ip, (const uint8_t[6]){ 0 }, g_ip));
	n = wire_mem_collect(&r->o.wire, got, sizeof(got));
	REQUIRE(n == 60);
	CHECK_MEM(got, far_mac, 6);			/* straight back to the asker */
	CHECK_MEM(got + 6, osa_mac, 6);
	CHECK_EQ(be_get16(got + 12), 0x0806);
	CHECK_EQ(be_get16(got + 14 + 6), 2);		/* reply */
	CHECK_MEM(got + 14 + 8, osa_mac, 6);		/* sha: the OSA */
	CHECK_MEM(got + 14 + 14, g_ip, 4);		/* spa: the asked address */
	CHECK_MEM(got + 14 + 18, far_mac, 6);
	CHECK_MEM(got + 14 + 24, far_ip, 4);
	CHECK_EQ(r->o.st.arp_req_rx, 1);
	CHECK_EQ(r->o.st.arp_rep_tx, 1);
	/* The asker went into the cache: no ARP needed to answer it. */
	CHECK(arp_find(&r->o.arp, k4(0x0A090002u), 0) != NULL);
	/* The guest's stack never saw ARP (layer 3: the OSA does it). */
	CHECK_EQ(r->i->stk.st.arp_req_rx, 0);

	before = r->o.st.rx_drop[OSA_D_NOT_MINE];
	inject(r, f, mk_arp(f, 1, bcast, other_mac, (const uint8_t[4]){ 10, 9, 0, 3 },
			    (const uint8_t[6]){ 0 }, unreg));
	CHECK_EQ(wire_mem_collect(&r->o.wire, got, sizeof(got)), -EAGAIN);
	CHECK_EQ(r->o.st.arp_rep_tx, 1);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_NOT_MINE], before + 1);
	/* A request among others does not fill our cache. */
	CHECK(arp_find(&r->o.arp, k4(0x0A090003u), 0) == NULL);
	rig_free(r);
}

/* A frame the guest's driver passes through (PF_ETH), as one span of its storage, on
 * VLAN `vlan` as the switch assigns it (0: none). */
static void drv_eth_vlan(struct rig *r, const uint8_t *fr, uint32_t len, uint16_t vlan)
{
	struct qdio_span sp = { .ptr = fr, .len = len };
	struct pframe pf;

	memset(&pf, 0, sizeof(pf));
	pf.spans = &sp;
	pf.nspans = 1;
	pf.kind = PF_ETH;
	pf.len = len;
	pf.vlan = vlan;
	port_tx(&r->o.nic.port, &pf, 1);
}

static void drv_eth(struct rig *r, const uint8_t *fr, uint32_t len)
{
	drv_eth_vlan(r, fr, len, 0);
}

/* An 802.1Q tag (VLAN `vid`) put into an untagged frame of `n` bytes; the new length. */
static uint32_t tag_vlan(uint8_t *f, uint32_t n, uint16_t vid)
{
	memmove(f + 16, f + 12, n - 12);
	be_put16(f + 12, 0x8100);
	be_put16(f + 14, vid);
	return n + 4;
}

/* A damaged ARP: `n` bytes at `off` of a good one replaced, or (len) cut short; on
 * VLAN `vid` (0: untagged). */
struct arp_damage {
	const char *what;
	uint32_t off;
	uint8_t n;
	uint8_t b[6];
	uint32_t len;
	uint16_t vid;
};

/* Each damaged ARP, from the wire (a request for the guest's address) or from the
 * guest (its reply, passed through): refused, counted as BADARP one by one, nothing
 * sent on (only the gratuitous ARP ever left). */
static void arps_refused(struct tctx *t, struct rig *r, bool from_guest,
			 const struct arp_damage *bad, size_t nbad)
{
	const uint64_t *drops = from_guest ? r->o.st.tx_drop : r->o.st.rx_drop;
	uint8_t f[80], got[128];

	for (size_t i = 0; i < nbad; i++) {
		const struct arp_damage *d = &bad[i];
		uint32_t n = from_guest ? mk_arp(f, 2, far_mac, osa_mac, g_ip, far_mac, far_ip)
					: mk_arp(f, 1, bcast, far_mac, far_ip,
						 (const uint8_t[6]){ 0 }, g_ip);

		if (d->vid)
			n = tag_vlan(f, n, d->vid);
		memcpy(f + d->off, d->b, d->n);
		if (d->len)
			n = d->len;
		if (from_guest)
			drv_eth(r, f, n);
		else
			inject(r, f, n);
		if (drops[OSA_D_BADARP] != i + 1)
			tc_fail(t, __FILE__, __LINE__, "%s ARP from the %s: %llu BADARP drops, want %zu",
				d->what, from_guest ? "guest" : "wire",
				(unsigned long long)drops[OSA_D_BADARP], i + 1);
		t->checks++;
	}
	CHECK_EQ(wire_mem_collect(&r->o.wire, got, sizeof(got)), -EAGAIN);
	CHECK_EQ(r->o.st.tx_frames, 1);
}

TEST(osa_l3_malformed_arp_counted)
{
	static const struct arp_damage bad[] = {
		{ "hardware length 8", 14 + 4, 1, { 8 } },
		{ "opcode 7", 14 + 6, 2, { 0, 7 } },
		{ "broadcast sender MAC", 14 + 8, 6, { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF } },
		{ "truncated", 0, 0, { 0 }, 14 + 20 },
	};
	struct rig *r = rig_l3_quiet(t);

	REQUIRE(r);
	arps_refused(t, r, false, bad, sizeof(bad) / sizeof(bad[0]));
	CHECK_EQ(r->o.st.arp_rep_tx, 0);
	rig_free(r);
}


TEST(osa_l3_guest_arp_for_unregistered_ip_dropped)
{
	static const uint8_t unreg[4] = { 10, 9, 0, 77 };
	struct rig *r = rig_l3_quiet(t);
	uint8_t f[80], got[128];
	uint32_t n;

	REQUIRE(r);
	/* A forged reply: somebody else's address at somebody else's MAC. */
	n = mk_arp(f, 2, far_mac, other_mac, unreg, far_mac, far_ip);
	drv_eth(r, f, n);
	CHECK_EQ(r->o.st.tx_drop[OSA_D_NOT_MINE], 1);
	/* A request from it, and the same reply tagged. */
	drv_eth(r, f, mk_arp(f, 1, bcast, other_mac, unreg, (const uint8_t[6]){ 0 }, far_ip));
	CHECK_EQ(r->o.st.tx_drop[OSA_D_NOT_MINE], 2);
	n = tag_vlan(f, mk_arp(f, 2, far_mac, osa_mac, unreg, far_mac, far_ip), 100);
	drv_eth_vlan(r, f, n, 100);
	CHECK_EQ(r->o.st.tx_drop[OSA_D_NOT_MINE], 3);
	/* A registered address, but a VLAN of the guest's own choosing: a tag other than
	 * the switch's for its port, or one the OSA does not have. */
	n = tag_vlan(f, mk_arp(f, 2, far_mac, osa_mac, g_ip, far_mac, far_ip), 200);
	drv_eth_vlan(r, f, n, 100);
	CHECK_EQ(r->o.st.tx_drop[OSA_D_VLAN], 1);
	drv_eth(r, f, n);
	CHECK_EQ(r->o.st.tx_drop[OSA_D_VLAN], 2);
	CHECK_EQ(wire_mem_collect(&r->o.wire, got, sizeof(got)), -EAGAIN);
	CHECK_EQ(r->o.st.tx_frames, 1);			/* the gratuitous ARP only */
	rig_free(r);
}

TEST(osa_l3_guest_arp_goes_out_with_osa_mac)
{
	struct rig *r = rig_l3_quiet(t);
	uint8_t f[80], keep[80], got[128];
	uint32_t n;
	int len;

	REQUIRE(r);
	/* The guest's reply for its registered address, its NIC's MAC inside. */
	n = mk_arp(f, 2, far_mac, other_mac, g_ip, far_mac, far_ip);
	memcpy(keep, f, n);
	drv_eth(r, f, n);
	len = wire_mem_collect(&r->o.wire, got, sizeof(got));
	REQUIRE(len == 60);
	CHECK_MEM(got, far_mac, 6);
	CHECK_MEM(got + 6, osa_mac, 6);
	CHECK_EQ(be_get16(got + 12), 0x0806);
	CHECK_EQ(be_get16(got + 14 + 6), 2);
	CHECK_MEM(got + 14 + 8, osa_mac, 6);		/* sha rewritten */
	CHECK_MEM(got + 14 + 14, g_ip, 4);
	CHECK_MEM(got + 14 + 18, far_mac, 6);
	CHECK_MEM(got + 14 + 24, far_ip, 4);
	CHECK_MEM(f, keep, n);				/* the guest's storage untouched */
	/* Untagged on a port the switch put on VLAN 100: out on VLAN 100. */
	drv_eth_vlan(r, keep, mk_arp(keep, 2, far_mac, other_mac, g_ip, far_mac, far_ip), 100);
	len = wire_mem_collect(&r->o.wire, got, sizeof(got));
	REQUIRE(len == 60);
	CHECK_EQ(be_get16(got + 12), 0x8100);
	CHECK_EQ(be_get16(got + 14) & 0x0FFF, 100);
	CHECK_EQ(be_get16(got + 16), 0x0806);
	CHECK_MEM(got + 18 + 8, osa_mac, 6);
	/* Tagged with the switch's VLAN: the tag stays, the sender MAC is the OSA's. */
	n = tag_vlan(f, mk_arp(f, 1, bcast, other_mac, g_ip, (const uint8_t[6]){ 0 }, far_ip),
		     100);
	memcpy(keep, f, n);
	drv_eth_vlan(r, f, n, 100);
	len = wire_mem_collect(&r->o.wire, got, sizeof(got));
	REQUIRE(len == 60);
	CHECK_MEM(got, bcast, 6);
	CHECK_MEM(got + 6, osa_mac, 6);
	CHECK_EQ(be_get16(got + 12), 0x8100);
	CHECK_EQ(be_get16(got + 14) & 0x0FFF, 100);
	CHECK_EQ(be_get16(got + 16), 0x0806);
	CHECK_EQ(be_get16(got + 18 + 6), 1);
	CHECK_MEM(got + 18 + 8, osa_mac, 6);
	CHECK_MEM(got + 18 + 14, g_ip, 4);
	CHECK_MEM(got + 18 + 24, far_ip, 4);
	CHECK_MEM(f, keep, n);
	CHECK_EQ(r->o.st.tx_drop[OSA_D_NOT_MINE], 0);
	CHECK_EQ(r->o.st.tx_drop[OSA_D_BADARP], 0);
	rig_free(r);
}

TEST(osa_l3_guest_malformed_arp_dropped)
{
	static const struct arp_damage bad[] = {
		{ "hardware type not Ethernet", 14, 2, { 0x8D, 0x23 } },
		{ "protocol length 6", 14 + 5, 1, { 6 } },
		{ "protocol not IPv4", 14 + 2, 2, { 0x86, 0xDD } },
		{ "opcode 3", 14 + 6, 2, { 0, 3 } },
		{ "truncated", 0, 0, { 0 }, 14 + 20 },
		{ "tagged, hardware length 8", 18 + 4, 1, { 8 }, 0, 100 },
	};
	struct rig *r = rig_l3_quiet(t);

	REQUIRE(r);
	arps_refused(t, r, true, bad, sizeof(bad) / sizeof(bad[0]));
	rig_free(r);
}

TEST(osa_l3_ping_external_host)
{
	struct rig *r = rig_new(t, 3, false);
	int n;

	REQUIRE(r);
	n = guest_ping4(r->i, far_ip, 4, 56, rig_pump, r);
	CHECK_EQ(n, 4);
	CHECK_EQ(r->far.echo_req, 4);
	/* One ARP request; the first packet waited for the answer, the rest hit. */
	CHECK_EQ(r->far.arp_req, 1);
	CHECK_EQ(r->o.st.arp_req_tx, 1);
	CHECK_EQ(r->o.st.arp_queued, 1);
	CHECK_EQ(r->o.st.arp_released, 1);
	CHECK_EQ(r->o.arp.st.hits, 3);
	/* The OSA framed the packets: to the host's MAC, from its own. */
	CHECK_MEM(r->far.last_echo_eth, far_mac, 6);
	CHECK_MEM(r->far.last_echo_eth + 6, osa_mac, 6);
	CHECK_EQ(be_get16(r->far.last_echo_eth + 12), 0x0800);
	CHECK_EQ(r->i->stk.st.arp_req_tx, 0);
	CHECK_EQ(r->i->stk.st.rx_csum, 0);
	CHECK_EQ(r->o.st.rx_delivered, 4);
	/* A full-size ping crosses too (1400 bytes of data). */
	CHECK_EQ(guest_ping4(r->i, far_ip, 2, 1400, rig_pump, r), 2);
	rig_free(r);
}

TEST(osa_l3_inbound_echo_padding_and_casts)
{
	static const uint8_t data[4] = { 1, 2, 3, 4 };
	static const uint8_t b255[4] = { 255, 255, 255, 255 }, dbc[4] = { 10, 9, 0, 255 };
	static const uint8_t mc1[4] = { 224, 0, 0, 1 };
	struct rig *r = rig_new(t, 3, false);
	uint8_t f[256];

	REQUIRE(r);
	/* 32-byte packet padded to the Ethernet minimum: the guest gets the packet
	 * (checksums hold), not the padding. */
	inject(r, f, mk_echo4(f, osa_mac, far_mac, far_ip, g_ip, 8, 7, 1, data, 4, 14));
	CHECK_EQ(r->i->stk.st.echo_req_rx, 1);
	CHECK_EQ(r->i->stk.st.rx_bad, 0);
	CHECK_EQ(r->i->stk.st.rx_csum, 0);
	/* The guest's answer needs the host's MAC: ARP, then out. */
	rig_pump(r);
	CHECK_EQ(r->far.arp_req, 1);
	CHECK_EQ(r->o.st.arp_released, 1);
	CHECK_EQ(r->o.st.rx_delivered, 1);
	inject(r, f, mk_echo4(f, bcast, far_mac, far_ip, b255, 8, 7, 2, data, 4, 0));
	inject(r, f, mk_echo4(f, bcast, far_mac, far_ip, dbc, 8, 7, 3, data, 4, 0));
	inject(r, f, mk_echo4(f, (const uint8_t[6]){ 1, 0, 0x5E, 0, 0, 1 }, far_mac, far_ip, mc1,
			      8, 7, 4, data, 4, 0));
	CHECK_EQ(r->o.st.rx_delivered, 4);
	CHECK_EQ(r->i->stk.st.rx_bcast, 2);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_MCAST], 0);
	rig_free(r);
}

TEST(osa_l3_inbound_discards_counted_by_reason)
{
	static const uint8_t data[4] = { 1, 2, 3, 4 };
	struct rig *r = rig_new(t, 3, false);
	uint8_t f[256];
	uint64_t rx0;
	uint32_t n;

	REQUIRE(r);
	rx0 = r->o.nic.st.rx_frames;
	/* Unknown IP, to our MAC. */
	inject(r, f, mk_echo4(f, osa_mac, far_mac, far_ip, (const uint8_t[4]){ 10, 9, 0, 99 }, 8,
			      1, 1, data, 4, 0));
	CHECK_EQ(r->o.st.rx_drop[OSA_D_NOT_MINE], 1);
	/* Our IP but another station's MAC (flooded unicast). */
	inject(r, f, mk_echo4(f, other_mac, far_mac, far_ip, g_ip, 8, 1, 1, data, 4, 0));
	CHECK_EQ(r->o.st.rx_drop[OSA_D_MAC], 1);
	/* A group nobody registered. */
	inject(r, f, mk_echo4(f, (const uint8_t[6]){ 1, 0, 0x5E, 1, 1, 1 }, far_mac, far_ip,
			      (const uint8_t[4]){ 239, 1, 1, 1 }, 8, 1, 1, data, 4, 0));
	CHECK_EQ(r->o.st.rx_drop[OSA_D_MCAST], 1);
	/* IPv4 total length beyond the frame; version 5; IHL 4. */
	n = mk_echo4(f, osa_mac, far_mac, far_ip, g_ip, 8, 1, 1, data, 4, 0);
	be_put16(f + 14 + 2, 200);
	inject(r, f, n);
	n = mk_echo4(f, osa_mac, far_mac, far_ip, g_ip, 8, 1, 1, data, 4, 0);
	f[14] = 0x55;
	inject(r, f, n);
	f[14] = 0x44;
	inject(r, f, n);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_BADIP], 3);
	/* LLDP: not for a layer-3 OSA's host. */
	n = mk_eth(f, (const uint8_t[6]){ 1, 0x80, 0xC2, 0, 0, 0x0E }, far_mac, 0x88CC);
	memset(f + n, 0, 46);
	inject(r, f, n + 46);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_ETHERTYPE], 1);
	/* A runt. */
	inject(r, f, 10);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_RUNT], 1);
	CHECK_EQ(r->o.nic.st.rx_frames, rx0);		/* nothing reached the guest */
	CHECK_EQ(r->o.st.rx_delivered, 0);
	CHECK_STR(osa_drop_name(OSA_D_NOT_MINE), "IP not registered");
	rig_free(r);
}

TEST(osa_l3_ipv6_both_ways_unframed_and_resolved)
{
	static const uint8_t other6[16] = { 0xFD, 0, [15] = 9 };
	struct rig *r = rig_new(t, 3, true);
	uint8_t f[256], got[256], b[32] = { 128, 0, 0, 0, 0, 9, 0, 1, 'a', 'b', 'c', 'd' };
	int n;

	REQUIRE(r);
	CHECK_EQ(osa_addr_count(&r->o, ATAB_V6), 2);
	/* SETIP announced g6: an unsolicited NA (override) from the OSA's MAC to all nodes. */
	CHECK_EQ(r->o.st.nd_unsol_tx, 2);
	CHECK_EQ(r->far.na6, 2);
	/* An ICMPv6 echo request from the host to the guest's address. */
	r->far.answer_arp = false;
	inject(r, f, mk_icmp6(f, osa_mac, far_mac, far6, g6, 64, b, 12));
	CHECK_EQ(r->i->stk.st.echo6_req_rx, 1);
	CHECK_EQ(r->i->stk.st.rx_csum, 0);
	CHECK_EQ(r->o.st.rx_delivered, 1);
	/* The guest's answer waits: the OSA solicits the host itself (its own MAC inside). */
	far_step(&r->far);
	CHECK_EQ(r->far.ns6, 1);
	CHECK_EQ(r->far.ns6_bad_lla, 0);
	CHECK_EQ(r->o.st.nd_ns_tx, 1);
	CHECK_EQ(r->o.st.arp_queued, 1);
	CHECK_EQ(r->far.echo6, 0);
	/* The host's NA (solicited, to the address the OSA asked from) releases it. */
	inject(r, f, mk_icmp6(f, osa_mac, far_mac, far6, g6, 255, b,
			      nd_body(b, 136, 0x60, far6, 2, far_mac)));
	n = wire_mem_collect(&r->o.wire, got, sizeof(got));
	REQUIRE(n == 14 + 52);
	CHECK_MEM(got, far_mac, 6);
	CHECK_MEM(got + 6, osa_mac, 6);
	CHECK_EQ(be_get16(got + 12), 0x86DD);
	CHECK_EQ(got[14 + 40], 129);
	CHECK(icmp6_ok(got + 14));
	CHECK_EQ(r->o.st.arp_released, 1);
	CHECK(arp_find(&r->o.nd, far6, 0) != NULL);
	/* To an address the OSA does not own: discarded. */
	memset(b, 0, sizeof(b));
	b[0] = 128;
	inject(r, f, mk_icmp6(f, osa_mac, far_mac, far6, other6, 64, b, 12));
	CHECK_EQ(r->o.st.rx_drop[OSA_D_NOT_MINE], 1);
	CHECK_EQ(r->i->stk.st.echo6_req_rx, 1);
	/* A guest ping: its own NS goes out with the OSA's MAC, the echoes from the cache. */
	r->far.answer_arp = true;
	r->far.echo6 = 0;
	r->far.ns6 = 0;
	memset(r->i->stk.nb, 0, sizeof(r->i->stk.nb));	/* the guest forgets the host */
	CHECK_EQ(guest_ping6(r->i, far6, 3, 56, rig_pump, r), 3);
	CHECK_EQ(r->far.echo6, 3);
	CHECK_MEM(r->far.last_echo_eth, far_mac, 6);
	CHECK_MEM(r->far.last_echo_eth + 6, osa_mac, 6);
	CHECK_EQ(r->far.ns6, 1);
	CHECK_EQ(r->far.ns6_bad_lla, 0);
	CHECK_EQ(r->o.st.nd_rewritten, 1);
	CHECK_EQ(r->o.st.nd_ns_tx, 1);			/* the OSA knew the host already */
	rig_free(r);
}

TEST(osa_l3_ipv6_ns_answered_with_osa_mac)
{
	struct rig *r = rig_new(t, 3, true);
	uint8_t f[256], got[256], b[32], sn[16], snmac[6];
	const uint8_t *ip, *ic;
	int n;

	REQUIRE(r);
	sn_of(g6, sn, snmac);
	inject(r, f, mk_icmp6(f, snmac, far_mac, far6, sn, 255, b,
			      nd_body(b, 135, 0, g6, 1, far_mac)));
	n = wire_mem_collect(&r->o.wire, got, sizeof(got));
	REQUIRE(n == 14 + 40 + 32);
	ip = got + 14;
	ic = ip + 40;
	CHECK_MEM(got, far_mac, 6);			/* straight back to the asker */
	CHECK_MEM(got + 6, osa_mac, 6);
	CHECK_EQ(be_get16(got + 12), 0x86DD);
	CHECK_EQ(ip[6], 58);
	CHECK_EQ(ip[7], 255);				/* hop limit */
	CHECK_MEM(ip + 8, g6, 16);			/* from the asked address */
	CHECK_MEM(ip + 24, far6, 16);
	CHECK_EQ(ic[0], 136);
	CHECK_EQ(ic[1], 0);
	CHECK_EQ(ic[4], 0x60);				/* solicited + override, not router */
	CHECK_MEM(ic + 8, g6, 16);
	CHECK_EQ(ic[24], 2);				/* target link-layer address */
	CHECK_EQ(ic[25], 1);
	CHECK_MEM(ic + 26, osa_mac, 6);
	CHECK(icmp6_ok(ip));
	CHECK_EQ(r->o.st.nd_ns_rx, 1);
	CHECK_EQ(r->o.st.nd_na_tx, 1);
	/* The asker went into the ND cache; the guest never saw the NS. */
	CHECK(arp_find(&r->o.nd, far6, 0) != NULL);
	CHECK_EQ(r->i->stk.st.ns_rx, 0);
	/* A DAD probe (from ::, no SLLA) for our address is answered to all nodes. */
	inject(r, f, mk_icmp6(f, snmac, other_mac, unspec6, sn, 255, b,
			      nd_body(b, 135, 0, g6, 0, NULL)));
	n = wire_mem_collect(&r->o.wire, got, sizeof(got));
	REQUIRE(n == 14 + 40 + 32);
	CHECK_MEM(got, ((const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }), 6);
	CHECK_MEM(got + 14 + 24, all_nodes, 16);
	CHECK_EQ(got[14 + 40 + 4], 0x20);		/* override only */
	CHECK(icmp6_ok(got + 14));
	CHECK_EQ(r->o.st.nd_na_tx, 2);
	rig_free(r);
}

TEST(osa_l3_ipv6_ns_for_unregistered_ignored_and_counted)
{
	static const uint8_t unreg[16] = { 0xFD, 0, [15] = 0x77 };
	struct rig *r = rig_new(t, 3, true);
	uint8_t f[256], got[256], b[32], sn[16], snmac[6];

	REQUIRE(r);
	sn_of(unreg, sn, snmac);
	inject(r, f, mk_icmp6(f, snmac, far_mac, far6, sn, 255, b,
			      nd_body(b, 135, 0, unreg, 1, far_mac)));
	CHECK_EQ(wire_mem_collect(&r->o.wire, got, sizeof(got)), -EAGAIN);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_NOT_MINE], 1);
	CHECK_EQ(r->o.st.nd_na_tx, 0);
	CHECK_EQ(r->o.st.rx_delivered, 0);
	/* Someone else's question does not fill our cache. */
	CHECK(arp_find(&r->o.nd, far6, 0) == NULL);
	rig_free(r);
}

TEST(osa_l3_ipv6_malformed_nd_dropped)
{
	struct rig *r = rig_new(t, 3, true);
	uint8_t f[256], got[256], b[40], sn[16], snmac[6];
	uint32_t n, bl;

	REQUIRE(r);
	sn_of(g6, sn, snmac);
	/* Hop limit not 255 (routed from elsewhere). */
	inject(r, f, mk_icmp6(f, snmac, far_mac, far6, sn, 64, b, nd_body(b, 135, 0, g6, 1, far_mac)));
	/* Code not 0. */
	bl = nd_body(b, 135, 0, g6, 1, far_mac);
	b[1] = 1;
	inject(r, f, mk_icmp6(f, snmac, far_mac, far6, sn, 255, b, bl));
	/* Bad checksum. */
	n = mk_icmp6(f, snmac, far_mac, far6, sn, 255, b, nd_body(b, 135, 0, g6, 1, far_mac));
	f[14 + 40 + 2] ^= 0x55;
	inject(r, f, n);
	/* Too short for an NS. */
	inject(r, f, mk_icmp6(f, snmac, far_mac, far6, sn, 255, b, 16));
	/* Multicast target. */
	inject(r, f, mk_icmp6(f, snmac, far_mac, far6, sn, 255, b,
			      nd_body(b, 135, 0, all_nodes, 1, far_mac)));
	/* An option of length 0. */
	bl = nd_body(b, 135, 0, g6, 1, far_mac);
	b[25] = 0;
	inject(r, f, mk_icmp6(f, snmac, far_mac, far6, sn, 255, b, bl));
	/* DAD probe with a source link-layer address. */
	inject(r, f, mk_icmp6(f, snmac, far_mac, unspec6, sn, 255, b,
			      nd_body(b, 135, 0, g6, 1, far_mac)));
	/* A solicited NA to a multicast destination. */
	inject(r, f, mk_icmp6(f, snmac, far_mac, far6, all_nodes, 255, b,
			      nd_body(b, 136, 0x60, far6, 2, far_mac)));
	/* A v4-mapped sender must not reach the caches (it would alias an ARP key). */
	inject(r, f, mk_icmp6(f, snmac, far_mac, k4(0x0A090002u), sn, 255, b,
			      nd_body(b, 135, 0, g6, 1, other_mac)));
	CHECK(arp_find(&r->o.arp, k4(0x0A090002u), 0) == NULL);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_BADND], 9);
	CHECK_EQ(wire_mem_collect(&r->o.wire, got, sizeof(got)), -EAGAIN);
	CHECK_EQ(r->o.st.nd_na_tx, 0);
	CHECK_EQ(r->o.st.rx_delivered, 0);
	CHECK(arp_find(&r->o.nd, far6, 0) == NULL);
	CHECK_STR(osa_drop_name(OSA_D_BADND), "malformed ND");
	/* The guest's own malformed ND does not leave either. */
	{
		uint8_t fr[128];
		struct qdio_span sp;
		struct pframe pf;

		memset(&pf, 0, sizeof(pf));
		bl = nd_body(b, 135, 0, far6, 1, far_mac);
		b[25] = 0;
		sp.ptr = fr;
		sp.len = mk_icmp6(fr, snmac, far_mac, g6, sn, 255, b, bl);
		pf.spans = &sp;
		pf.nspans = 1;
		pf.kind = PF_ETH;
		pf.ipv6 = true;
		pf.len = sp.len;
		port_tx(&r->o.nic.port, &pf, 1);
		CHECK_EQ(r->o.st.tx_drop[OSA_D_BADND], 1);
		CHECK_EQ(wire_mem_collect(&r->o.wire, got, sizeof(got)), -EAGAIN);
	}
	rig_free(r);
}

TEST(osa_l3_ipv6_unresolved_held_bounded_then_given_up)
{
	static const uint8_t gone6[16] = { 0xFD, 0, [15] = 0x66 };
	struct rig *r = rig_new(t, 3, true);
	uint8_t f[256], b[32];

	REQUIRE(r);
	r->far.answer_arp = false;
	/* The guest knows a MAC (any): the OSA still resolves the next hop itself. */
	REQUIRE(stack_neigh_add(&r->i->stk, true, far6, other_mac) == 0);
	REQUIRE(stack_neigh_add(&r->i->stk, true, gone6, other_mac) == 0);
	for (uint16_t k = 0; k < 3; k++)
		CHECK_EQ(stack_ping6(&r->i->stk, far6, k, 32), 0);
	guest_poll(&r->g);
	far_step(&r->far);
	CHECK_EQ(r->o.st.arp_queued, 3);
	CHECK_EQ(r->far.ns6, 1);			/* one NS however many wait */
	CHECK_EQ(r->far.echo6, 0);
	/* The NA delivers what waited, to the MAC it names. */
	inject(r, f, mk_icmp6(f, osa_mac, far_mac, far6, g6, 255, b,
			      nd_body(b, 136, 0x60, far6, 2, far_mac)));
	r->far.answer_echo = false;
	far_step(&r->far);
	CHECK_EQ(r->far.echo6, 3);
	CHECK_MEM(r->far.last_echo_eth, far_mac, 6);
	CHECK_EQ(r->o.st.arp_released, 3);
	/* Nobody answers for gone6: 16 wait, the rest is dropped, then three NS, give up. */
	for (uint16_t k = 0; k < 20; k++)
		stack_ping6(&r->i->stk, gone6, k, 32);
	guest_poll(&r->g);
	CHECK_EQ(r->o.st.arp_queued, 3 + OSA_ARPQ);
	CHECK_EQ(r->o.st.tx_drop[OSA_D_ARPQ_FULL], 20 - OSA_ARPQ);
	for (int k = 0; k < 4; k++) {
		r->now += ARP_RETRY_MS;
		osa_poll(&r->o, 64);
	}
	far_step(&r->far);
	CHECK_EQ(r->o.st.nd_ns_tx, 1 + ARP_TRIES);
	CHECK_EQ(r->o.st.tx_drop[OSA_D_ARP_FAIL], OSA_ARPQ);
	CHECK_EQ(r->o.nd.st.failed, 1);
	CHECK(arp_find(&r->o.nd, gone6, 0) == NULL);
	rig_free(r);
}

TEST(osa_l3_ipv6_multicast_mapping_and_groups)
{
	static const uint8_t grp[16] = { 0xFF, 0x05, [13] = 1, [15] = 3 };
	static const uint8_t unreg_grp[16] = { 0xFF, 0x05, [15] = 9 };
	struct rig *r = rig_new(t, 3, true);
	uint8_t f[256], got[256], b[16] = { 128 };
	int n;

	REQUIRE(r);
	/* Out: the group's MAC, whatever the guest put in its link header. */
	REQUIRE(stack_neigh_add(&r->i->stk, true, grp, other_mac) == 0);
	CHECK_EQ(stack_ping6(&r->i->stk, grp, 1, 8), 0);
	guest_poll(&r->g);
	n = wire_mem_collect(&r->o.wire, got, sizeof(got));
	REQUIRE(n == 14 + 40 + 16);
	CHECK_MEM(got, ((const uint8_t[6]){ 0x33, 0x33, 0x00, 0x01, 0x00, 0x03 }), 6);
	CHECK_MEM(got + 6, osa_mac, 6);
	CHECK_EQ(r->o.st.nd_ns_tx, 0);
	/* In: all-nodes reaches the guest, an unregistered group does not. */
	inject(r, f, mk_icmp6(f, ((const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }), far_mac, far6,
			      all_nodes, 64, b, 12));
	CHECK_EQ(r->i->stk.st.echo6_req_rx, 1);
	inject(r, f, mk_icmp6(f, ((const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 9 }), far_mac, far6,
			      unreg_grp, 64, b, 12));
	CHECK_EQ(r->o.st.rx_drop[OSA_D_MCAST], 1);
	CHECK_EQ(r->i->stk.st.echo6_req_rx, 1);
	rig_free(r);
}

TEST(osa_l3_ipv6_router_advertisement_updates_cache)
{
	static const uint8_t rtr[16] = { 0xFE, 0x80, [15] = 1 };
	struct rig *r = rig_new(t, 3, true);
	uint8_t f[256], b[24];

	REQUIRE(r);
	memset(b, 0, sizeof(b));
	b[0] = 134;
	b[4] = 64;				/* cur hop limit */
	b[16] = 1;				/* source link-layer address */
	b[17] = 1;
	memcpy(b + 18, far_mac, 6);
	inject(r, f, mk_icmp6(f, ((const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }), far_mac, rtr,
			      all_nodes, 255, b, 24));
	CHECK_EQ(r->o.st.nd_ra_rx, 1);
	REQUIRE(arp_find(&r->o.nd, rtr, 0) != NULL);
	CHECK_MEM(arp_find(&r->o.nd, rtr, 0)->mac, far_mac, 6);
	CHECK_EQ(r->o.st.rx_delivered, 1);	/* the guest gets it too */
	/* From a global source it is not a router's: dropped. */
	inject(r, f, mk_icmp6(f, ((const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }), far_mac, far6,
			      all_nodes, 255, b, 24));
	CHECK_EQ(r->o.st.rx_drop[OSA_D_BADND], 1);
	rig_free(r);
}

TEST(osa_l3_arp_unresolved_queue_bounded_and_given_up)
{
	static const uint8_t dead[4] = { 10, 9, 0, 3 };
	struct rig *r = rig_l3_quiet(t);

	REQUIRE(r);
	/* 20 packets to a host that never answers: 16 wait, 4 find the queue full. */
	for (unsigned k = 0; k < 20; k++)
		CHECK_EQ(stack_ping4(&r->i->stk, dead, (uint16_t)k, 16), 0);
	CHECK_EQ(r->o.st.arp_queued, OSA_ARPQ);
	CHECK_EQ(r->o.st.tx_drop[OSA_D_ARPQ_FULL], 20 - OSA_ARPQ);
	CHECK_EQ(r->o.st.arp_req_tx, 1);		/* one request, not one per packet */
	/* Retries once a second, three requests in all, then the packets are dropped. */
	for (unsigned s = 0; s < 5; s++) {
		r->now += ARP_RETRY_MS;
		osa_poll(&r->o, 8);
	}
	CHECK_EQ(r->o.st.arp_req_tx, ARP_TRIES);
	CHECK_EQ(r->o.st.tx_drop[OSA_D_ARP_FAIL], OSA_ARPQ);
	CHECK(arp_find(&r->o.arp, k4(0x0A090003u), 0) == NULL);
	CHECK_EQ(r->o.arp.st.failed, 1);
	far_step(&r->far);
	CHECK_EQ(r->far.echo_req, 0);
	rig_free(r);
}

TEST(osa_l3_arp_cache_ages_and_is_bounded)
{
	struct rig *r = rig_new(t, 3, false);
	uint8_t f[64];

	REQUIRE(r);
	CHECK_EQ(guest_ping4(r->i, far_ip, 1, 56, rig_pump, r), 1);
	CHECK_EQ(r->o.st.arp_req_tx, 1);
	/* Within the lifetime: no new request. */
	r->now += ARP_TTL_MS - 1000;
	CHECK_EQ(guest_ping4(r->i, far_ip, 1, 56, rig_pump, r), 1);
	CHECK_EQ(r->o.st.arp_req_tx, 1);
	/* After it: resolved again. */
	r->now += 2000;
	CHECK_EQ(guest_ping4(r->i, far_ip, 1, 56, rig_pump, r), 1);
	CHECK_EQ(r->o.st.arp_req_tx, 2);
	CHECK_EQ(r->o.arp.st.expired, 1);
	/* 1000 hosts asking for us: the cache stays within its size. */
	for (unsigned k = 0; k < 1000; k++) {
		uint8_t ip[4] = { 10, 9, (uint8_t)(1 + k / 250), (uint8_t)(1 + k % 250) };
		uint8_t mac[6] = { 0x02, 0xAA, 0, 0, (uint8_t)(k >> 8), (uint8_t)k };

		wire_mem_inject(&r->o.wire, f, mk_arp(f, 1, bcast, mac, ip, (const uint8_t[6]){ 0 },
						     g_ip));
		osa_poll(&r->o, 64);
		while (wire_mem_collect(&r->o.wire, f, sizeof(f)) > 0)
			;
	}
	CHECK_EQ(r->o.st.arp_rep_tx, 1000);
	CHECK(arp_count(&r->o.arp) <= ARP_ENTRIES);
	CHECK(r->o.arp.st.evicted > 0);
	rig_free(r);
}

TEST(osa_l3_too_big_for_wire_mtu)
{
	struct rig *r = rig_new(t, 3, false);

	REQUIRE(r);
	CHECK_EQ(guest_ping4(r->i, far_ip, 1, 56, rig_pump, r), 1);
	r->o.mtu = 576;
	CHECK_EQ(guest_ping4(r->i, far_ip, 1, 1000, rig_pump, r), 0);
	CHECK_EQ(r->o.st.tx_drop[OSA_D_TOOBIG], 1);
	rig_free(r);
}

/* ---- two OSAs on one wire ------------------------------------------------------------ */

struct two {
	struct rig *a, *b;
};

static void pump_peer(void *ctx)
{
	struct two *p = ctx;

	for (int k = 0; k < 3; k++) {
		osa_poll(&p->b->o, 64);
		guest_poll(&p->b->g);
		osa_poll(&p->a->o, 64);
	}
}

TEST(osa_l3_two_osas_back_to_back)
{
	struct rig *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	static const uint8_t b_ip[4] = { 10, 9, 0, 2 };
	struct osa_cfg c;

	REQUIRE(a && b);
	REQUIRE(rig_up(t, a, 3) == 0);
	memset(b, 0, sizeof(*b));
	memset(&c, 0, sizeof(c));
	c.rdev = 0x0B00;
	c.schno = 0x30;
	c.chpid = 0x0B;
	REQUIRE(osa_create(&b->o, &c, &wire_mem_class, "mem1") == 0);
	REQUIRE(guest_create(&b->g, 0) == 0);
	REQUIRE(guest_attach_nic(&b->g, osa_nic(&b->o), 0x0B00, 3, &b->i) == 0);
	REQUIRE(guest_if_online(b->i) == 0);
	REQUIRE(wire_mem_connect(&a->o.wire, &b->o.wire) == 0);
	REQUIRE(guest_if_add_ip4(b->i, b_ip, 24) == 0);
	CHECK_EQ(guest_ping4(a->i, b_ip, 3, 100, pump_peer, &(struct two){ a, b }), 3);
	CHECK_EQ(a->o.st.arp_req_tx, 1);
	CHECK_EQ(b->o.st.arp_rep_tx, 1);
	CHECK_EQ(b->i->stk.st.echo_req_rx, 3);
	/* b learned a from its request: its replies needed no ARP of their own. */
	CHECK_EQ(b->o.st.arp_req_tx, 0);
	guest_destroy(&b->g);
	osa_destroy(&b->o);
	rig_down(a);
	free(a);
	free(b);
}

/* ---- layer 2 ----------------------------------------------------------------------- */

static int set_promisc(struct qdrv *q, bool on)
{
	struct ipa_cmd c;

	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_SETADAPTERPARMS;
	c.hdr.prot = IPA_PROT_V4;
	c.u.setadp.subcmd = IPA_SETADP_SET_PROMISC_MODE;
	c.u.setadp.used_total = 1;
	c.u.setadp.seq = 1;
	c.u.setadp.has_data = true;
	c.u.setadp.data_len = 4;
	c.u.setadp.d.mode = on ? IPA_ADP_PROMISC_ON : IPA_ADP_PROMISC_OFF;
	return qdrv_ipa(q, &c, NULL);
}

TEST(osa_l2_filters_by_registered_mac)
{
	struct rig *r = rig_new(t, 2, false);
	uint8_t f[128];
	uint64_t d0;
	uint32_t n;

	REQUIRE(r);
	CHECK_EQ(r->o.layer, 2);
	REQUIRE(osa_addr_count(&r->o, ATAB_MAC) >= 1);
	CHECK(atab_find(&r->o.at, ATAB_MAC, osa_mac) != NULL);	/* SETVMAC of READ_MAC's answer */
	d0 = r->o.st.rx_delivered;
	n = mk_eth(f, osa_mac, far_mac, 0x88B5);
	memset(f + n, 0xA5, 46);
	inject(r, f, n + 46);				/* registered unicast */
	CHECK_EQ(r->o.st.rx_delivered, d0 + 1);
	mk_eth(f, bcast, far_mac, 0x88B5);
	inject(r, f, n + 46);				/* broadcast */
	CHECK_EQ(r->o.st.rx_delivered, d0 + 2);
	mk_eth(f, (const uint8_t[6]){ 1, 0, 0x5E, 0, 0, 1 }, far_mac, 0x88B5);
	inject(r, f, n + 46);				/* registered group (SETGMAC) */
	CHECK_EQ(r->o.st.rx_delivered, d0 + 3);
	mk_eth(f, other_mac, far_mac, 0x88B5);
	inject(r, f, n + 46);				/* another station */
	CHECK_EQ(r->o.st.rx_drop[OSA_D_MAC], 1);
	mk_eth(f, (const uint8_t[6]){ 1, 0, 0x5E, 7, 7, 7 }, far_mac, 0x88B5);
	inject(r, f, n + 46);				/* unregistered group */
	CHECK_EQ(r->o.st.rx_drop[OSA_D_MCAST], 1);
	/* A tagged frame for a VLAN nobody registered. */
	mk_eth(f, osa_mac, far_mac, 0x8100);
	be_put16(f + 14, 100);
	be_put16(f + 16, 0x88B5);
	inject(r, f, n + 46);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_VLAN], 1);
	CHECK_EQ(r->o.st.rx_delivered, d0 + 3);
	/* Promiscuous: everything. */
	REQUIRE(set_promisc(&r->i->drv, true) == 0);
	CHECK(r->o.promisc);
	mk_eth(f, other_mac, far_mac, 0x88B5);
	inject(r, f, n + 46);
	mk_eth(f, osa_mac, far_mac, 0x8100);
	inject(r, f, n + 46);
	CHECK_EQ(r->o.st.rx_delivered, d0 + 5);
	REQUIRE(set_promisc(&r->i->drv, false) == 0);
	mk_eth(f, other_mac, far_mac, 0x88B5);
	inject(r, f, n + 46);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_MAC], 2);
	rig_free(r);
}

TEST(osa_l2_ping_passes_frames_as_they_are)
{
	struct rig *r = rig_new(t, 2, false);

	REQUIRE(r);
	CHECK_EQ(guest_ping4(r->i, far_ip, 3, 56, rig_pump, r), 3);
	/* Layer 2: the guest did ARP itself, the OSA none. */
	CHECK_EQ(r->i->stk.st.arp_req_tx, 1);
	CHECK_EQ(r->far.arp_req, 1);
	CHECK_EQ(r->o.st.arp_req_tx, 0);
	CHECK_EQ(r->o.st.arp_rep_tx, 0);
	CHECK_EQ(r->far.echo_req, 3);
	CHECK_MEM(r->far.last_echo_eth, far_mac, 6);
	CHECK_MEM(r->far.last_echo_eth + 6, r->i->drv.mac, 6);
	rig_free(r);
}

/* ---- link -------------------------------------------------------------------------- */

TEST(osa_link_down_seen_by_driver_and_owner)
{
	struct rig *r = rig_new(t, 3, false);

	REQUIRE(r);
	CHECK_EQ(osa_check_link(&r->o), 1);
	CHECK_EQ(r->link_events, 0);			/* no change, no call */
	CHECK(r->i->drv.link_up);
	wire_mem_set_link(&r->o.wire, false, false);
	CHECK_EQ(osa_check_link(&r->o), 0);
	CHECK_EQ(r->link_events, 1);
	CHECK(!r->last_link);
	CHECK(!r->o.nic.link_up);
	guest_poll(&r->g);
	CHECK(!r->i->drv.link_up);			/* the driver saw STOPLAN */
	/* Frames the driver still primes are dropped and counted. */
	CHECK_EQ(guest_ping4(r->i, far_ip, 1, 56, rig_pump, r), 0);
	CHECK(r->o.st.tx_drop[OSA_D_LINK] >= 1);
	/* Back up: the driver hears STARTLAN, the owner the change, the LAN a GARP. */
	wire_mem_set_link(&r->o.wire, true, false);
	CHECK_EQ(osa_check_link(&r->o), 1);
	CHECK_EQ(r->link_events, 2);
	CHECK(r->last_link);
	guest_poll(&r->g);
	CHECK(r->i->drv.link_up);
	CHECK_EQ(r->o.st.arp_garp_tx, 2);
	CHECK_EQ(guest_ping4(r->i, far_ip, 1, 56, rig_pump, r), 1);
	/* The device vanishes. */
	wire_mem_set_link(&r->o.wire, true, true);
	CHECK_EQ(osa_check_link(&r->o), 0);
	CHECK_EQ(r->link_events, 3);
	CHECK_EQ(osa_poll(&r->o, 8), -ENETDOWN);
	CHECK_EQ(r->o.st.link_changes, 3);
	rig_free(r);
}

TEST(osa_startlan_while_link_down_reports_lan_offline)
{
	struct rig *r = calloc(1, sizeof(*r));
	const struct qdrv_ipa_rec *rec;

	REQUIRE(r);
	REQUIRE(rig_create(r, 0) == 0);
	wire_mem_set_link(&r->o.wire, false, false);
	CHECK_EQ(osa_check_link(&r->o), 0);
	REQUIRE(guest_create(&r->g, 0) == 0);
	REQUIRE(guest_attach_nic(&r->g, osa_nic(&r->o), 0x0A00, 3, &r->i) == 0);
	REQUIRE(guest_if_online(r->i) == 0);
	rec = qdrv_ipa_find(&r->i->drv, IPA_CMD_STARTLAN);
	REQUIRE(rec != NULL);
	CHECK_EQ(rec->rc, IPA_RC_LAN_OFFLINE);
	CHECK(!r->i->drv.link_up);
	rig_free(r);
}

/* ---- lifecycle, providers ------------------------------------------------------------- */

/* A dedicated OSA (no proxy answers its misses) keeps its table like a real adapter:
 * full is refused (not evicted: nobody would put the address back), DELIP of an
 * address it does not hold is "not defined", and a frame for an address it does not
 * hold is discarded at once. */
TEST(osa_table_full_refused_without_proxy)
{
	struct rig *r = rig_new(t, 3, false);
	static const uint8_t a5[4] = { 10, 9, 0, 5 }, a6[4] = { 10, 9, 0, 6 };
	uint8_t f[128];
	uint64_t d0;
	uint32_t n;

	REQUIRE(r);
	CHECK(!r->o.cfg.miss_proxy);
	CHECK_EQ(osa_set_addresses(&r->o, 2), 0);
	CHECK_EQ(osa_addr_count(&r->o, ATAB_V4), 1u);		/* 10.9.0.1 kept */
	CHECK_EQ(qdrv_setip(&r->i->drv, false, a5, 24), 0);
	CHECK_EQ(qdrv_setip(&r->i->drv, false, a6, 24), IPA_RC_IP_ADDR_TABLE_FULL);
	CHECK_EQ(r->o.at.st.refused, 1u);
	CHECK_EQ(r->o.at.st.evictions, 0u);
	CHECK_EQ(qdrv_delip(&r->i->drv, false, a6, 24), IPA_RC_PRIMARY_ALREADY_DEFINED);
	d0 = r->o.st.rx_drop[OSA_D_NOT_MINE];
	n = mk_echo4(f, osa_mac, far_mac, far_ip, a6, 8, 1, 1, (const uint8_t *)"ping", 4, 0);
	inject(r, f, n);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_NOT_MINE], d0 + 1);
	CHECK_EQ(r->o.st.addr_misses, 1u);
	CHECK_EQ(r->o.st.miss_held, 0u);
	CHECK_EQ(osa_miss_take(&r->o, &(struct osa_miss){ 0 }), 0);
	CHECK_EQ(osa_set_addresses(&r->o, 0), 0);		/* back to the default */
	CHECK_EQ(r->o.at.cap, ATAB_DEFAULT);
	CHECK_EQ(osa_addr_count(&r->o, ATAB_V4), 2u);
	CHECK_EQ(osa_set_addresses(&r->o, ATAB_MAX + 1), -EINVAL);
	rig_free(r);
}

TEST(osa_create_rejects_bad_config)
{
	struct osa *o = calloc(1, sizeof(*o));
	struct osa_cfg c;

	REQUIRE(o);
	memset(&c, 0, sizeof(c));
	c.rdev = 0xFFFE;
	CHECK_EQ(osa_create(o, &c, &wire_mem_class, "m"), -EINVAL);
	c.rdev = 0x0A00;
	c.mac[0] = 0x01;				/* a group MAC */
	CHECK_EQ(osa_create(o, &c, &wire_mem_class, "m"), -EINVAL);
	c.mac[0] = 0x02;
	CHECK_EQ(osa_create(o, &c, &wire_mem_class, "a-name-far-too-long"), -EINVAL);
	CHECK_EQ(osa_create(o, &c, NULL, "m"), -EINVAL);
	c.addresses = ATAB_MAX + 1;
	CHECK_EQ(osa_create(o, &c, &wire_mem_class, "m"), -EINVAL);
	c.addresses = 0;
	CHECK_EQ(osa_create(o, &c, &wire_mem_class, "m"), 0);
	CHECK_EQ(o->at.cap, ATAB_DEFAULT);
	CHECK_MEM(o->mac, c.mac, 6);
	CHECK_EQ(o->nic.ndev, 3);
	CHECK_EQ(o->nic.cfg.type, NIC_QDIO);
	CHECK(!o->nic.cfg.vm_nic);
	CHECK_EQ(osa_wire_fd(o), -1);
	CHECK_EQ(o->mtu, 1500);
	osa_destroy(o);
	osa_destroy(o);					/* twice is harmless */
	free(o);
}

TEST(osa_not_started_drops_both_ways)
{
	struct rig *r = calloc(1, sizeof(*r));
	uint8_t f[64];

	REQUIRE(r);
	REQUIRE(rig_create(r, 0) == 0);
	/* Nobody drives the OSA yet: an ARP for anything is not answered. */
	wire_mem_inject(&r->o.wire, f, mk_arp(f, 1, bcast, far_mac, far_ip,
					      (const uint8_t[6]){ 0 }, g_ip));
	CHECK_EQ(osa_poll(&r->o, 8), 1);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_DOWN], 1);
	CHECK_EQ(wire_mem_collect(&r->o.wire, f, sizeof(f)), -EAGAIN);
	osa_destroy(&r->o);
	free(r);
}

TEST(osa_wire_mem_provider)
{
	struct wire a, b;
	uint8_t f[WIRE_FRAME_MAX + 1], g[64];
	struct iovec iov[2] = { { f, 10 }, { f + 10, 50 } };
	uint32_t mtu;

	CHECK(wire_class_find("tap") == &wire_tap_class);
	CHECK(wire_class_find("MEM") == &wire_mem_class);
	CHECK(wire_class_find("vde") == NULL);
	REQUIRE(wire_open(&a, &wire_mem_class, "a") == 0);
	REQUIRE(wire_open(&b, &wire_mem_class, "b") == 0);
	memset(f, 0x5A, sizeof(f));
	/* Unconnected: what a sends the harness collects. */
	CHECK_EQ(wire_send(&a, iov, 2, 60), 0);
	CHECK_EQ(wire_mem_collect(&a, g, 10), -EMSGSIZE);
	CHECK_EQ(wire_mem_collect(&a, g, sizeof(g)), 60);
	CHECK_EQ(wire_mem_collect(&a, g, sizeof(g)), -EAGAIN);
	CHECK_EQ(wire_send(&a, iov, 2, 61), -EINVAL);	/* iovec shorter than claimed */
	/* The ring is bounded. */
	for (unsigned k = 0; k < WIRE_MEM_SLOTS; k++)
		CHECK_EQ(wire_mem_inject(&a, f, 60), 0);
	CHECK_EQ(wire_mem_inject(&a, f, 60), -ENOSPC);
	CHECK_EQ(wire_mem_inject(&b, f, WIRE_FRAME_MAX + 1), -EMSGSIZE);
	CHECK_EQ(wire_recv(&a, g, 59), -EMSGSIZE);	/* too long for the buffer: lost */
	CHECK_EQ(a.st.rx_truncated, 1);
	/* Connected: a's frames arrive at b. */
	REQUIRE(wire_mem_connect(&a, &b) == 0);
	CHECK_EQ(wire_send(&a, iov, 2, 60), 0);
	CHECK_EQ(wire_recv(&b, g, sizeof(g)), 60);
	CHECK_EQ(wire_recv(&b, g, sizeof(g)), -EAGAIN);
	wire_mem_set_link(&b, false, false);
	CHECK_EQ(wire_send(&a, iov, 2, 60), -ENETDOWN);
	CHECK_EQ(wire_link(&b), 0);
	CHECK_EQ(wire_link(&a), 1);
	CHECK_EQ(wire_mtu(&a, &mtu), 0);
	CHECK_EQ(mtu, 1500);
	wire_close(&b);
	/* The peer is gone: a's frames go to its own harness ring again. */
	CHECK_EQ(wire_send(&a, iov, 2, 60), 0);
	CHECK_EQ(wire_mem_inject(&b, f, 60), -EINVAL);	/* closed */
	wire_close(&a);
	CHECK_EQ(wire_send(&a, iov, 2, 60), -EOPNOTSUPP);
	CHECK_EQ(wire_link(&a), -ENODEV);
}

/* The batch wrappers on a provider without batches: frames in order, each frame's own
 * answer, the counters as for single calls, the wire's end a short batch. */
TEST(osa_wire_batches_in_order)
{
	static uint8_t f[8][64], in[8][64];
	struct iovec iov[8];
	struct wire_txf tx[8];
	uint8_t *bufs[8];
	int lens[8], n;
	struct wire a, b;

	REQUIRE(wire_open(&a, &wire_mem_class, "a") == 0);
	REQUIRE(wire_open(&b, &wire_mem_class, "b") == 0);
	REQUIRE(wire_mem_connect(&a, &b) == 0);
	for (unsigned k = 0; k < 8; k++) {
		memset(f[k], (int)k, sizeof(f[k]));
		iov[k].iov_base = f[k];
		iov[k].iov_len = 60;
		tx[k] = (struct wire_txf){ &iov[k], 1, 60, 99 };
		bufs[k] = in[k];
	}
	tx[3].len = 61;		/* shorter iovec than claimed: this frame alone fails */
	wire_send_batch(&a, tx, 5);
	CHECK_EQ(tx[0].rc, 0);
	CHECK_EQ(tx[3].rc, -EINVAL);
	CHECK_EQ(tx[4].rc, 0);
	CHECK_EQ(a.st.tx_frames, 4);
	CHECK_EQ(a.st.tx_errors, 1);
	n = wire_recv_batch(&b, bufs, 64, 8, lens, NULL);
	CHECK_EQ(n, 4);		/* the wire ran dry after four */
	CHECK_EQ(lens[0], 60);
	CHECK(in[0][0] == 0 && in[1][0] == 1 && in[2][0] == 2 && in[3][0] == 4);
	CHECK_EQ(b.st.rx_frames, 4);
	CHECK_EQ(wire_recv_batch(&b, bufs, 64, 8, lens, NULL), 0);
	/* A frame longer than the buffers is lost on its own, the next still comes. */
	CHECK_EQ(wire_mem_inject(&b, f[5], 64), 0);
	CHECK_EQ(wire_mem_inject(&b, f[6], 32), 0);
	CHECK_EQ(wire_recv_batch(&b, bufs, 40, 8, lens, NULL), 2);
	CHECK_EQ(lens[0], -EMSGSIZE);
	CHECK_EQ(lens[1], 32);
	CHECK_EQ(in[1][0], 6);
	CHECK_EQ(b.st.rx_truncated, 1);
	wire_close(&a);
	wire_close(&b);
	wire_send_batch(&a, tx, 1);
	CHECK_EQ(tx[0].rc, -EOPNOTSUPP);
	CHECK_EQ(wire_recv_batch(&a, bufs, 64, 8, lens, NULL), -EOPNOTSUPP);
}

TEST(osa_arp_cache_unit)
{
	struct arp_cache *c = malloc(sizeof(*c));
	static const uint8_t m1[6] = { 2, 0, 0, 0, 0, 1 }, m2[6] = { 2, 0, 0, 0, 0, 2 };
	struct arp_entry *e;

	REQUIRE(c);
	arp_init(c, 1000);
	CHECK(arp_lookup(c, k4(0x0A000001u), 0, 0) == NULL);
	CHECK(arp_learn(c, k4(0x0A000001u), 0, m1, 0, false) == NULL);	/* no create */
	REQUIRE(arp_learn(c, k4(0x0A000001u), 0, m1, 0, true) != NULL);
	CHECK(arp_lookup(c, k4(0x0A000001u), 0, 999) != NULL);
	CHECK(arp_lookup(c, k4(0x0A000001u), 5, 999) == NULL);		/* other VLAN */
	e = arp_learn(c, k4(0x0A000001u), 0, m2, 500, false);		/* refresh */
	REQUIRE(e != NULL);
	CHECK_MEM(e->mac, m2, 6);
	CHECK(arp_lookup(c, k4(0x0A000001u), 0, 1499) != NULL);
	CHECK(arp_lookup(c, k4(0x0A000001u), 0, 1500) == NULL);		/* expired */
	CHECK_EQ(arp_count(c), 0);
	/* A set holds ARP_WAYS entries; the cache never grows past its size. */
	for (uint32_t k = 0; k < 5000; k++)
		arp_learn(c, k4(0x0B000000u + k), 0, m1, k, true);
	CHECK_EQ(arp_count(c), ARP_ENTRIES);
	CHECK(arp_lookup(c, k4(0x0B000000u + 4999), 0, 5000) != NULL);	/* newest kept */
	free(c);
}

/* A guest's offloads on the OSA itself (CPNIC port=osa): the adapter finishes them before
 * the wire - a large send leaves as MSS segments, a left-out checksum written. */
TEST(osa_l2_guest_offloads_finished_before_the_wire)
{
	struct rig *r = rig_new(t, 2, false);
	static uint8_t fr[12000], got[2048];
	uint8_t raw[QHDR_TSO_HDR_SIZE];
	uint32_t len = 14 + 20 + 20 + 6000, off = 0;
	struct qdio_span sp = { fr, len };
	struct csum_pkt cp;
	struct qhdr h;
	int n, segs = 0;

	REQUIRE(r);
	while (wire_mem_collect(&r->o.wire, got, sizeof(got)) > 0)
		;
	memset(fr, 0, 54);
	memcpy(fr, far_mac, 6);
	memcpy(fr + 6, osa_mac, 6);
	be_put16(fr + 12, 0x0800);
	fr[14] = 0x45;
	be_put16(fr + 16, (uint16_t)(len - 14));
	fr[22] = 64;
	fr[23] = 6;
	memcpy(fr + 26, g_ip, 4);
	memcpy(fr + 30, far_ip, 4);
	fr[46] = 0x50;
	fr[47] = 0x10;
	for (uint32_t k = 54; k < len; k++)
		fr[k] = (uint8_t)(k * 13);
	memset(&h, 0, sizeof(h));
	h.id = QHDR_ID_L2_TSO;
	h.l2.flags2 = QHDR_L2_UCAST;
	h.l2.pkt_len = (uint16_t)len;
	h.tso.type = QHDR_TSO_TYPE;
	h.tso.version = QHDR_TSO_VERSION;
	h.tso.mss = 1460;
	h.tso.proto_hlen = 54;
	h.tso.payload_len = len - 54;
	REQUIRE(qhdr_encode(&h, raw, sizeof(raw)) == QHDR_TSO_HDR_SIZE);
	REQUIRE(qdrv_sendv_hdr(&r->i->drv, raw, QHDR_TSO_HDR_SIZE, &sp, 1, len) == 0);
	REQUIRE(qdrv_flush(&r->i->drv) >= 0);
	while ((n = wire_mem_collect(&r->o.wire, got, sizeof(got))) > 0) {
		REQUIRE(csum_parse(got, (uint32_t)n, true, &cp) == 0);
		CHECK(csum_verify(got, &cp));
		CHECK(n <= 1514);
		CHECK_MEM(got + 54, fr + 54 + off, (size_t)n - 54);
		off += (uint32_t)n - 54;
		segs++;
	}
	CHECK_EQ(segs, 5);		/* 6000 = 4 * 1460 + 160 */
	CHECK_EQ(off, 6000);
	/* The same frame, short, with its TCP checksum left out (flags[1] 0x20). */
	len = 54 + 100;
	be_put16(fr + 16, (uint16_t)(len - 14));
	be_put16(fr + 50, 0xBEEF);
	memset(&h, 0, sizeof(h));
	h.id = QHDR_ID_L2;
	h.l2.flags2 = QHDR_L2_UCAST;
	h.l2.flags1 = QHDR_L2_CSUM_TRANSP;
	h.l2.pkt_len = (uint16_t)len;
	REQUIRE(qhdr_encode(&h, raw, sizeof(raw)) == QHDR_SIZE);
	sp.len = len;
	REQUIRE(qdrv_sendv_hdr(&r->i->drv, raw, QHDR_SIZE, &sp, 1, len) == 0);
	REQUIRE(qdrv_flush(&r->i->drv) >= 0);
	n = wire_mem_collect(&r->o.wire, got, sizeof(got));
	REQUIRE(n == (int)len);
	REQUIRE(csum_parse(got, (uint32_t)n, true, &cp) == 0);
	CHECK(csum_verify(got, &cp));
	rig_free(r);
}

/* Send a layer-3 large send as Linux's qeth does (IPv4 total length and header checksum
 * 0, TCP checksum field not the adapter's business): pay payload bytes, MSS 1400. */
static bool l3_large_send(struct rig *r, uint8_t *fr, uint32_t pay, uint32_t seq)
{
	uint8_t raw[QHDR_TSO_HDR_SIZE];
	uint32_t len = 20 + 32 + pay;
	struct qdio_span sp = { fr, len };
	struct qhdr h;

	memset(fr, 0, 52);
	fr[0] = 0x45;
	fr[8] = 64;
	fr[9] = 6;
	memcpy(fr + 12, g_ip, 4);
	memcpy(fr + 16, far_ip, 4);
	be_put16(fr + 20, 33000);
	be_put16(fr + 22, 5001);
	be_put32(fr + 24, seq);
	fr[32] = 0x80;			/* 32-byte TCP header: 12 bytes of options */
	fr[33] = 0x18;
	be_put16(fr + 36, 0xBEEF);
	memcpy(fr + 40, "\x01\x01\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02", 12);
	for (uint32_t k = 52; k < len; k++)
		fr[k] = (uint8_t)(k * 7 + seq);
	memset(&h, 0, sizeof(h));
	h.id = QHDR_ID_L3_TSO;
	h.l3.flags = QHDR_L3_CAST_UCAST;
	h.l3.length = (uint16_t)len;
	memcpy(h.l3.addr + QHDR_L3_ADDR_V4, far_ip, 4);
	h.tso.type = QHDR_TSO_TYPE;
	h.tso.version = QHDR_TSO_VERSION;
	h.tso.mss = 1400;
	h.tso.proto_hlen = 52;
	h.tso.payload_len = pay;
	return qhdr_encode(&h, raw, sizeof(raw)) == QHDR_TSO_HDR_SIZE &&
	       qdrv_sendv_hdr(&r->i->drv, raw, QHDR_TSO_HDR_SIZE, &sp, 1, len) == 0 &&
	       qdrv_flush(&r->i->drv) >= 0;
}

/* A wire that finishes offloads itself (a TAP with IFF_VNET_HDR: the host kernel) gets
 * a large send whole: one frame with the headers of the whole frame and the checksum
 * field holding the pseudo-header sum; cut the way the kernel cuts it, every segment is
 * right.  One whose next hop is still being resolved waits as ordinary segments. */
TEST(osa_l3_large_send_goes_whole_to_a_wire_with_offloads)
{
	struct rig *r = rig_new(t, 3, false);
	static uint8_t fr[8000], got[WIRE_OFL_FRAME_MAX], seg[2048];
	struct wire_ofl ofl;
	struct csum_pkt cp;
	struct tso ts;
	uint32_t off = 0;
	int n, segs = 0, frames = 0;

	REQUIRE(r);
	while (wire_mem_collect(&r->o.wire, got, sizeof(got)) > 0)
		;
	REQUIRE(wire_mem_set_offloads(&r->o.wire) == 0);

	/* Next hop unknown: an ARP request goes out, the send waits as 5 segments. */
	REQUIRE(l3_large_send(r, fr, 6000, 1000));
	CHECK_EQ(r->o.st.tx_offloaded, 0);
	CHECK_EQ(r->o.st.arp_queued, 5);
	n = wire_mem_collect_ofl(&r->o.wire, got, sizeof(got), &ofl);
	REQUIRE(n >= 42);
	CHECK_EQ(be_get16(got + 12), 0x0806);
	CHECK_EQ(ofl.csum_start, 0);
	REQUIRE(wire_mem_inject(&r->o.wire, seg,
				mk_arp(seg, 2, osa_mac, far_mac, far_ip, osa_mac, g_ip)) == 0);
	osa_poll(&r->o, 64);
	while ((n = wire_mem_collect_ofl(&r->o.wire, got, sizeof(got), &ofl)) > 0) {
		REQUIRE(csum_parse(got, (uint32_t)n, true, &cp) == 0);
		CHECK(csum_verify(got, &cp));
		CHECK_EQ(ofl.csum_start, 0);
		CHECK(n <= 14 + 1500);
		segs++;
	}
	CHECK_EQ(segs, 5);		/* 6000 = 4 * 1400 + 400 */

	/* Resolved: the next one goes whole. */
	REQUIRE(l3_large_send(r, fr, 6000, 7000));
	while ((n = wire_mem_collect_ofl(&r->o.wire, got, sizeof(got), &ofl)) > 0) {
		frames++;
		REQUIRE(n == 14 + 52 + 6000);
		CHECK_MEM(got, far_mac, 6);
		CHECK_EQ(be_get16(got + 14 + 2), 52 + 6000);	/* the IPv4 length, set */
		REQUIRE(csum_parse(got, (uint32_t)n, true, &cp) == 0);
		CHECK_EQ(csum_fold(csum_add(0, got + 14, 20)), 0xFFFF);	/* header checksum */
		CHECK_EQ(ofl.gso, WIRE_GSO_TCP4);
		CHECK_EQ(ofl.gso_size, 1400);
		CHECK_EQ(ofl.hdr_len, 14 + 52);
		CHECK_EQ(ofl.csum_start, 14 + 20);
		CHECK_EQ(ofl.csum_offset, 16);
		CHECK_EQ(be_get16(got + 14 + 20 + 16), csum_fold(csum_pseudo(&cp, 32 + 6000)));
		CHECK_MEM(got + 14 + 52, fr + 52, 6000);
		/* Cut it as the kernel would: every segment's checksums right. */
		REQUIRE(tso_init(&ts, got, (uint32_t)n, true, ofl.gso_size, true) == 0);
		segs = 0;
		while ((n = tso_next(&ts, seg, sizeof(seg))) > 0) {
			REQUIRE(csum_parse(seg, (uint32_t)n, true, &cp) == 0);
			CHECK(csum_verify(seg, &cp));
			CHECK_MEM(seg + 66, fr + 52 + off, (size_t)n - 66);
			off += (uint32_t)n - 66;
			segs++;
		}
	}
	CHECK_EQ(frames, 1);
	CHECK_EQ(segs, 5);
	CHECK_EQ(off, 6000);
	CHECK_EQ(r->o.st.tx_offloaded, 1);
	rig_free(r);
}

/* The same for IPv6 in layer 3 (Linux sends it as a passthrough frame, its own Ethernet
 * header first, which the OSA replaces): whole to the wire once the host is resolved. */
TEST(osa_l3_ipv6_large_send_goes_whole_to_a_wire_with_offloads)
{
	struct rig *r = rig_new(t, 3, true);
	static uint8_t fr[8000], got[WIRE_OFL_FRAME_MAX], seg[2048];
	uint8_t raw[QHDR_TSO_HDR_SIZE];
	uint32_t pay = 5000, len = 14 + 40 + 20 + pay, off = 0;
	struct qdio_span sp = { fr, len };
	struct wire_ofl ofl;
	struct csum_pkt cp;
	struct qhdr h;
	struct tso ts;
	int n, segs = 0, frames = 0;

	REQUIRE(r);
	while (wire_mem_collect(&r->o.wire, got, sizeof(got)) > 0)
		;
	REQUIRE(wire_mem_set_offloads(&r->o.wire) == 0);
	r->far.w = NULL;	/* this test reads the wire itself */
	memset(fr, 0, 74);
	memcpy(fr, far_mac, 6);
	memcpy(fr + 6, r->i->drv.mac, 6);
	be_put16(fr + 12, 0x86DD);
	fr[14] = 0x60;
	be_put16(fr + 18, (uint16_t)(20 + pay));
	fr[20] = 6;
	fr[21] = 64;
	memcpy(fr + 22, g6, 16);
	memcpy(fr + 38, far6, 16);
	be_put16(fr + 54, 33000);
	be_put16(fr + 56, 5001);
	be_put32(fr + 58, 500);
	fr[66] = 0x50;
	fr[67] = 0x10;
	for (uint32_t k = 74; k < len; k++)
		fr[k] = (uint8_t)(k * 5);
	memset(&h, 0, sizeof(h));
	h.id = QHDR_ID_L3_TSO;
	h.l3.flags = QHDR_L3_IPV6 | QHDR_L3_PASSTHRU | QHDR_L3_CAST_UCAST;
	h.l3.length = (uint16_t)len;
	memcpy(h.l3.addr, far6, 16);
	h.tso.type = QHDR_TSO_TYPE;
	h.tso.version = QHDR_TSO_VERSION;
	h.tso.mss = 1200;
	h.tso.proto_hlen = 74;
	h.tso.payload_len = pay;
	REQUIRE(qhdr_encode(&h, raw, sizeof(raw)) == QHDR_TSO_HDR_SIZE);
	/* Unresolved: the OSA solicits the host, the send waits as segments. */
	REQUIRE(qdrv_sendv_hdr(&r->i->drv, raw, QHDR_TSO_HDR_SIZE, &sp, 1, len) == 0);
	REQUIRE(qdrv_flush(&r->i->drv) >= 0);
	CHECK_EQ(r->o.st.arp_queued, 5);
	CHECK_EQ(r->o.st.nd_ns_tx, 1);
	while (wire_mem_collect(&r->o.wire, got, sizeof(got)) > 0)
		;
	{
		uint8_t b[32], na[128];

		REQUIRE(wire_mem_inject(&r->o.wire, na,
					mk_icmp6(na, osa_mac, far_mac, far6, g6, 255, b,
						 nd_body(b, 136, 0x60, far6, 2, far_mac))) == 0);
	}
	osa_poll(&r->o, 64);
	while ((n = wire_mem_collect_ofl(&r->o.wire, got, sizeof(got), &ofl)) > 0) {
		CHECK_EQ(ofl.gso, WIRE_GSO_NONE);
		segs++;
	}
	CHECK_EQ(segs, 5);
	segs = 0;
	/* Resolved: whole. */
	REQUIRE(qdrv_sendv_hdr(&r->i->drv, raw, QHDR_TSO_HDR_SIZE, &sp, 1, len) == 0);
	REQUIRE(qdrv_flush(&r->i->drv) >= 0);
	while ((n = wire_mem_collect_ofl(&r->o.wire, got, sizeof(got), &ofl)) > 0) {
		frames++;
		REQUIRE(n == (int)len);
		CHECK_MEM(got, far_mac, 6);
		CHECK_MEM(got + 6, osa_mac, 6);
		CHECK_EQ(be_get16(got + 18), 20 + pay);
		CHECK_EQ(ofl.gso, WIRE_GSO_TCP6);
		CHECK_EQ(ofl.gso_size, 1200);
		CHECK_EQ(ofl.hdr_len, 74);
		CHECK_EQ(ofl.csum_start, 54);
		CHECK_EQ(ofl.csum_offset, 16);
		REQUIRE(csum_parse(got, (uint32_t)n, true, &cp) == 0);
		CHECK_EQ(be_get16(got + 70), csum_fold(csum_pseudo(&cp, 20 + pay)));
		REQUIRE(tso_init(&ts, got, (uint32_t)n, true, ofl.gso_size, true) == 0);
		while ((n = tso_next(&ts, seg, sizeof(seg))) > 0) {
			REQUIRE(csum_parse(seg, (uint32_t)n, true, &cp) == 0);
			CHECK(csum_verify(seg, &cp));
			CHECK_MEM(seg + 74, fr + 74 + off, (size_t)n - 74);
			off += (uint32_t)n - 74;
			segs++;
		}
	}
	CHECK_EQ(frames, 1);
	CHECK_EQ(segs, 5);		/* 5000 = 4 * 1200 + 200 */
	CHECK_EQ(off, pay);
	rig_free(r);
}

/* ---- classified receive rings ------------------------------------------------------- */

/* What the guest's driver received, by destination; B's frames carry their number in
 * the ICMP sequence and the guest poll they were sent before. */
struct flood_rx {
	uint8_t layer;
	uint8_t b_mac[6], b_ip[4];
	unsigned gpolls;		/* guest polls so far */
	unsigned a, b;			/* frames received for A / B */
	unsigned b_sent_at[128];	/* gpolls when B frame n went on the wire */
	unsigned b_late;		/* most guest polls a B frame waited */
	bool b_order_ok;
	unsigned b_next;
};

static void flood_count(void *ctx, const uint8_t *qh, const uint8_t *data, uint32_t len)
{
	struct flood_rx *c = ctx;
	const uint8_t *ip = c->layer == 2 ? data + 14 : data;
	bool for_b;
	unsigned seq, late;

	(void)qh;
	if (len < (c->layer == 2 ? 14u : 0u) + 28u)
		return;
	for_b = c->layer == 2 ? !memcmp(data, c->b_mac, 6) : !memcmp(ip + 16, c->b_ip, 4);
	if (!for_b) {
		c->a++;
		return;
	}
	seq = be_get16(ip + 26);
	if (seq >= CPNET_ARRAY_SIZE(c->b_sent_at))
		return;
	c->b++;
	if (seq != c->b_next)
		c->b_order_ok = false;
	c->b_next = seq + 1;
	late = c->gpolls - c->b_sent_at[seq];
	if (late > c->b_late)
		c->b_late = late;
}

/*
 * A flood of 1400-byte frames to destination A (31 of every 32 frames on the wire,
 * 22320 in all) with a small frame to B every tenth wire batch (72 in all), while the
 * guest returns its 64 input buffers only once per 120 wire batches: far less room than
 * the flood needs.  Every B frame arrives, in order, at the first or second guest poll
 * after it was sent; A's excess is dropped on A's ring (counted with its reason), and
 * nothing is dropped for lack of an input buffer.
 */
static void flood_run(struct tctx *t, struct rig *r, struct flood_rx *c, const uint8_t *a_mac,
		      const uint8_t *a_ip, const uint8_t *b_mac, const uint8_t *b_ip)
{
	static uint8_t pay[1400];
	uint8_t fa[1500], fb[128];
	uint32_t la = mk_echo4(fa, a_mac, far_mac, far_ip, a_ip, 8, 1, 0, pay, sizeof(pay) - 28, 0);
	unsigned nb = 0, sent_a = 0;
	const struct rxr *x = &r->o.rx;
	uint64_t a_drops = 0, queued = 0;

	c->b_order_ok = true;
	r->i->drv.cfg.rx = flood_count;
	r->i->drv.cfg.rx_ctx = c;
	for (unsigned outer = 0; outer < 6; outer++) {
		for (unsigned inner = 0; inner < 120; inner++) {
			for (unsigned k = 0; k < 31; k++, sent_a++)
				CHECK_EQ(wire_mem_inject(&r->o.wire, fa, la), 0);
			if (inner % 10 == 5) {
				uint32_t lb = mk_echo4(fb, b_mac, far_mac, far_ip, b_ip, 8, 2,
						       (uint16_t)nb, pay, 16, 0);

				c->b_sent_at[nb++] = c->gpolls;
				CHECK_EQ(wire_mem_inject(&r->o.wire, fb, lb), 0);
			}
			osa_poll(&r->o, 64);
		}
		qdrv_poll(&r->i->drv);
		c->gpolls++;
	}
	/* A last burst fills the NIC and leaves frames waiting in the rings; then the wire
	 * is quiet and nobody calls osa_poll: the guest giving its buffers back (SIGA-r)
	 * is what delivers them. */
	for (unsigned k = 0; k < 100; k++) {
		for (unsigned j = 0; j < 31; j++, sent_a++)
			CHECK_EQ(wire_mem_inject(&r->o.wire, fa, la), 0);
		osa_poll(&r->o, 64);
	}
	CHECK(x->waiting > 0);
	for (unsigned k = 0; k < 40 && x->waiting; k++) {
		qdrv_poll(&r->i->drv);
		c->gpolls++;
	}
	CHECK_EQ(x->waiting, 0u);
	for (unsigned k = 0; k < 3; k++) {
		osa_poll(&r->o, 64);
		qdrv_poll(&r->i->drv);
		c->gpolls++;
	}
	CHECK_EQ(nb, 72u);
	CHECK_EQ(c->b, nb);				/* every B frame delivered ... */
	CHECK(c->b_order_ok);				/* ... in order ... */
	CHECK(c->b_late <= 1);				/* ... by the next guest poll */
	/* The input buffers really were scarce: the NIC was found full, A lost frames. */
	CHECK(r->o.nic.inq[0].st.err[QDIO_E_NOBUF] > 0);
	CHECK(c->a > 5000 && c->a < sent_a);
	for (unsigned i = 0; i < x->nrings; i++) {
		a_drops += x->rings[i].drops[RXR_D_FRAMES] + x->rings[i].drops[RXR_D_BYTES];
		queued += x->rings[i].n;
	}
	/* Every A frame is accounted for: delivered, dropped on its ring, or waiting. */
	CHECK_EQ(c->a + a_drops + queued, (uint64_t)sent_a);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_RING], a_drops);
	CHECK_EQ(osa_nic(&r->o)->port.st.drop[PD_NOBUF], 0);
	/* The drops are A's ring's, and A and B each hold a hardware ring. */
	for (unsigned d = 0; d < RXR_DESTS; d++) {
		const struct rxr_dest *e = &x->dest[d];

		if (!e->used)
			continue;
		CHECK(e->ring >= RXR_HW0);
		if (c->layer == 2 ? !memcmp(e->key.addr, b_mac, 6) : !memcmp(e->key.addr, b_ip, 4)) {
			CHECK_EQ(e->drops, 0);
			CHECK_EQ(e->frames, nb);
			CHECK_EQ(x->rings[e->ring].drops[RXR_D_FRAMES], 0);
		} else {
			CHECK_EQ(e->drops, a_drops);
			CHECK_EQ(x->rings[e->ring].drops[RXR_D_FRAMES], a_drops);
		}
	}
}

/* The rig in `layer`, B registered beside A (a second IP, or a second MAC), flooded. */
static void flood_layer(struct tctx *t, uint8_t layer)
{
	static const uint8_t b_ip[4] = { 10, 9, 0, 5 };
	static const uint8_t b_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x0B, 0x0B };
	struct rig *r = rig_new(t, layer, false);
	struct flood_rx *c = calloc(1, sizeof(*c));

	REQUIRE(r && c);
	c->layer = layer;
	memcpy(c->b_ip, b_ip, 4);
	memcpy(c->b_mac, layer == 2 ? b_mac : osa_mac, 6);
	if (layer == 3)
		REQUIRE(guest_if_add_ip4(r->i, b_ip, 24) == 0);
	else
		REQUIRE(qdrv_setvmac(&r->i->drv, b_mac) == 0);
	flood_run(t, r, c, osa_mac, g_ip, c->b_mac, layer == 3 ? b_ip : far_ip);
	rig_free(r);
	free(c);
}

TEST(osa_rings_l3_flood_to_one_ip_does_not_starve_another)
{
	flood_layer(t, 3);
}

TEST(osa_rings_l2_flood_to_one_mac_does_not_starve_another)
{
	flood_layer(t, 2);
}

/* The destination of a layer-3 frame is its IP address with its VLAN: an IPv6 echo to
 * the guest's address has a destination of its own beside the IPv4 one, each on a
 * hardware ring; a multicast packet goes to the DEFAULT ring. */
TEST(osa_rings_l3_ipv6_and_ipv4_are_destinations_of_their_own)
{
	struct rig *r = rig_new(t, 3, true);
	uint8_t f[256], b[32] = { 128, 0, 0, 0, 0, 9, 0, 1, 'a', 'b', 'c', 'd' };
	static uint8_t pay[64];
	const struct rxr *x;
	int d4 = -1, d6 = -1;

	REQUIRE(r);
	x = &r->o.rx;
	inject(r, f, mk_icmp6(f, osa_mac, far_mac, far6, g6, 64, b, 12));
	inject(r, f, mk_echo4(f, osa_mac, far_mac, far_ip, g_ip, 8, 1, 1, pay, 16, 0));
	inject(r, f, mk_icmp6(f, (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }, far_mac, far6,
			      all_nodes, 64, b, 12));
	CHECK_EQ(r->o.st.rx_delivered, 3);
	for (unsigned d = 0; d < RXR_DESTS; d++) {
		if (!x->dest[d].used)
			continue;
		if (x->dest[d].key.family == '6' && !memcmp(x->dest[d].key.addr, g6, 16))
			d6 = (int)d;
		if (x->dest[d].key.family == '4' && !memcmp(x->dest[d].key.addr, g_ip, 4))
			d4 = (int)d;
	}
	REQUIRE(d4 >= 0 && d6 >= 0);
	CHECK(x->dest[d6].ring >= RXR_HW0 && x->dest[d4].ring >= RXR_HW0);
	CHECK(x->dest[d6].ring != x->dest[d4].ring);
	CHECK_EQ(x->dest[d6].frames, 1);
	CHECK_EQ(x->dest[d4].frames, 1);
	CHECK_EQ(x->dest[d4].key.vlan, 0);
	CHECK_EQ(x->rings[0].frames, 1);		/* all-nodes: the DEFAULT ring */
	rig_free(r);
}

/* Frames that wait in the receive rings for an address belong to whoever had it then:
 * when the address is deregistered (the guest behind it uncoupled: DELIP) they are
 * dropped, counted "destination gone", and a guest that registers it next gets none of
 * them; a NIC reset (its driver gone) drops everything that waits. */
TEST(osa_rings_frames_of_a_deregistered_address_or_a_reset_nic_are_dropped)
{
	static const uint8_t b_ip[4] = { 10, 9, 0, 5 };
	static uint8_t pay[1400];
	struct rig *r = rig_new(t, 3, false);
	struct flood_rx *c = calloc(1, sizeof(*c));
	uint8_t fa[1500], fb[128];
	const struct rxr *x;
	uint32_t la, lb;
	unsigned b_before, waiting_b = 0;
	uint64_t gone = 0;

	REQUIRE(r && c);
	x = &r->o.rx;
	c->layer = 3;
	memcpy(c->b_ip, b_ip, 4);
	c->b_order_ok = true;
	r->i->drv.cfg.rx = flood_count;
	r->i->drv.cfg.rx_ctx = c;
	REQUIRE(guest_if_add_ip4(r->i, b_ip, 24) == 0);
	la = mk_echo4(fa, osa_mac, far_mac, far_ip, g_ip, 8, 1, 0, pay, sizeof(pay) - 28, 0);
	/* A fills the guest's input buffers (it does not poll), then B's frames wait. */
	for (unsigned k = 0; k < 400 && !x->waiting; k++) {
		for (unsigned j = 0; j < 31; j++)
			CHECK_EQ(wire_mem_inject(&r->o.wire, fa, la), 0);
		osa_poll(&r->o, 64);
	}
	REQUIRE(x->waiting > 0);
	for (uint16_t n = 0; n < 20; n++) {
		lb = mk_echo4(fb, osa_mac, far_mac, far_ip, b_ip, 8, 2, n, pay, 16, 0);
		CHECK_EQ(wire_mem_inject(&r->o.wire, fb, lb), 0);
	}
	osa_poll(&r->o, 64);
	for (unsigned d = 0; d < RXR_DESTS; d++)
		if (x->dest[d].used && !memcmp(x->dest[d].key.addr, b_ip, 4))
			waiting_b = x->dest[d].queued;
	CHECK_EQ(waiting_b, 20);
	/* B's guest goes (its IP deregistered), another registers the same IP. */
	REQUIRE(qdrv_delip(&r->i->drv, false, b_ip, 24) == 0);
	b_before = c->b;
	CHECK_EQ(r->o.st.rx_drop[OSA_D_GONE] + b_before, 20);
	CHECK(r->o.st.rx_drop[OSA_D_GONE] > 0);
	for (unsigned i = 0; i < x->nrings; i++)
		gone += x->rings[i].drops[RXR_D_GONE];
	CHECK_EQ(gone, r->o.st.rx_drop[OSA_D_GONE]);
	CHECK_STR(osa_drop_name(OSA_D_GONE), "destination gone");
	REQUIRE(guest_if_add_ip4(r->i, b_ip, 24) == 0);
	for (unsigned k = 0; k < 40 && x->waiting; k++) {
		qdrv_poll(&r->i->drv);
		osa_poll(&r->o, 64);
	}
	CHECK_EQ(x->waiting, 0);
	for (unsigned k = 0; k < 3; k++) {	/* the guest reads what its buffers hold */
		qdrv_poll(&r->i->drv);
		osa_poll(&r->o, 64);
	}
	CHECK_EQ(c->a + c->b, r->o.st.rx_delivered);
	CHECK_EQ(c->b, b_before);		/* none of the old B frames reached the new B */
	/* Frames wait again; the OSA's NIC is reset: they go, counted the same way. */
	for (unsigned k = 0; k < 400 && !x->waiting; k++) {
		for (unsigned j = 0; j < 31; j++)
			CHECK_EQ(wire_mem_inject(&r->o.wire, fa, la), 0);
		osa_poll(&r->o, 64);
	}
	REQUIRE(x->waiting > 0);
	gone = r->o.st.rx_drop[OSA_D_GONE] + x->waiting;
	nic_reset(osa_nic(&r->o));
	CHECK_EQ(x->waiting, 0);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_GONE], gone);
	CHECK_EQ(x->nfree, x->nslots);
	rig_free(r);
	free(c);
}

/* The wire's MTU is raised after the OSA opened it: within a timer period the OSA
 * follows (outbound checks, receive slots), so larger frames are read and delivered
 * instead of being lost as too big. */
TEST(osa_rings_follow_a_raised_wire_mtu)
{
	struct rig *r = rig_new(t, 3, false);
	static uint8_t pay[4000], f[4100];
	uint32_t len;
	uint64_t before;

	REQUIRE(r);
	len = mk_echo4(f, osa_mac, far_mac, far_ip, g_ip, 8, 1, 1, pay, 3000, 0);
	inject(r, f, len);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_TOOBIG], 1);	/* 3046 bytes on a 1500 wire */
	wire_mem_set_mtu(&r->o.wire, 9000);
	r->now += OSA_TIMER_MS;
	before = r->o.st.rx_delivered;
	inject(r, f, len);
	CHECK_EQ(r->o.mtu, 9000);
	CHECK_EQ(r->o.rx.frame_max, 9024);
	CHECK_EQ(r->o.st.rx_drop[OSA_D_TOOBIG], 1);
	CHECK_EQ(r->o.st.rx_delivered, before + 1);
	rig_free(r);
}

/* With a proxy, a frame for an address the table does not hold waits in the miss
 * queue.  Rig: MTU 9000, a 3000-byte frame for 10.9.0.5 held. */
static void held_jumbo(struct tctx *t, struct rig *r, const uint8_t a5[4])
{
	static uint8_t pay[4000], f[4100];
	uint32_t len;

	REQUIRE(rig_up(t, r, 3) == 0);
	r->o.cfg.miss_proxy = true;
	wire_mem_set_mtu(&r->o.wire, 9000);
	r->now += OSA_TIMER_MS;
	osa_poll(&r->o, 64);
	REQUIRE(r->o.rx.frame_max == 9024);
	len = mk_echo4(f, osa_mac, far_mac, far_ip, a5, 8, 1, 1, pay, 3000, 0);
	inject(r, f, len);
	REQUIRE(r->o.st.miss_held == 1);
}

/* The wire's MTU goes down while a jumbo frame waits for its address: when the
 * address comes, no receive slot holds the frame any more -- dropped as too big, not
 * copied over the end of a small slot (ASan). */
TEST(osa_held_frame_larger_than_a_lowered_mtu_is_dropped_not_copied)
{
	struct rig *r = calloc(1, sizeof(*r));
	static const uint8_t a5[4] = { 10, 9, 0, 5 };
	uint64_t big, delivered, released;

	REQUIRE(r);
	held_jumbo(t, r, a5);
	released = r->o.st.miss_released;
	wire_mem_set_mtu(&r->o.wire, 1500);
	r->now += OSA_TIMER_MS;
	osa_poll(&r->o, 64);
	CHECK_EQ(r->o.rx.frame_max, 1536);
	big = r->o.st.rx_drop[OSA_D_TOOBIG];
	delivered = r->o.st.rx_delivered;
	CHECK_EQ(qdrv_setip(&r->i->drv, false, a5, 24), 0);
	for (int i = 0; i < 4; i++) {
		osa_poll(&r->o, 64);
		guest_poll(&r->g);
	}
	CHECK_EQ(r->o.st.rx_drop[OSA_D_TOOBIG], big + 1);
	CHECK_EQ(r->o.st.miss_released, released);
	CHECK_EQ(r->o.st.rx_delivered, delivered);
	CHECK_EQ(r->o.held_bytes, 0u);
	rig_free(r);
}

/* ---- large receives (osa_cfg.rx_large: the OSA of CP's uplink) ---------------------- */

struct lrx {
	unsigned n, bad_csum, with_mss;
	uint32_t maxlen, pay;
};

static void lrx_count(void *ctx, const uint8_t *qh, const uint8_t *data, uint32_t len)
{
	struct lrx *c = ctx;
	struct csum_pkt cp;
	struct qhdr h;

	memset(&h, 0, sizeof(h));
	c->n++;
	if (len > c->maxlen)
		c->maxlen = len;
	if (qhdr_decode(qh, QHDR_SIZE, &h) == 0 && qhdr_id_is_l2(h.id) && h.l2.rx_mss)
		c->with_mss++;
	if (csum_parse(data, len, true, &cp) < 0 || !csum_verify(data, &cp))
		c->bad_csum++;
	else
		c->pay += cp.end - cp.l4 - cp.l4hlen;
}

/* A TCPv4 frame far host -> the OSA's MAC with pay payload bytes (54 header bytes). */
static uint32_t mk_large(uint8_t *b, uint32_t pay)
{
	uint32_t len = mk_eth(b, osa_mac, far_mac, 0x0800) + 40 + pay;

	memset(b + 14, 0, 40);
	b[14] = 0x45;
	be_put16(b + 16, (uint16_t)(len - 14));
	b[22] = 64;
	b[23] = 6;
	memcpy(b + 26, far_ip, 4);
	memcpy(b + 30, g_ip, 4);
	b[46] = 0x50;
	b[47] = 0x10;
	for (uint32_t k = 0; k < pay; k++)
		b[54 + k] = (uint8_t)(k * 13);
	return len;
}

/*
 * With cfg.rx_large on a layer-2 OSA the wire takes large receives and the READ slots
 * grow; a driver that is not told to take them whole (here: the NIC's flag cleared, as
 * for a guest's own OSA or while they go off) gets MSS segments, each checksum right.
 * A large receive for an address the table lacks is not held (its metadata would be
 * lost).  Layer 3 never turns them on.
 */
TEST(osa_large_receive_on_for_layer2_cut_for_a_driver_without_it)
{
	struct rig *r = rig_new(t, 2, false);
	static uint8_t fr[65600];
	struct wire_ofl ofl = { .csum_start = 34, .csum_offset = 16, .hdr_len = 54,
				.gso_size = 1448, .gso = WIRE_GSO_TCP4 };
	struct lrx c;
	uint32_t len;

	REQUIRE(r);
	CHECK(!r->o.rx_large_on);		/* not cpnet's own driver */
	r->o.cfg.rx_large = true;
	r->now += 1000;
	osa_poll(&r->o, 64);			/* the timer follows */
	CHECK(r->o.rx_large_on);
	CHECK(r->o.wire.rx_large);
	CHECK(r->o.nic.rx_large);
	CHECK_EQ(r->o.rx.frame_max, RXR_FRAME_MAX);

	memset(&c, 0, sizeof(c));
	r->i->drv.cfg.rx = lrx_count;
	r->i->drv.cfg.rx_ctx = &c;
	len = mk_large(fr, 30000);
	r->o.next_timer = UINT64_MAX;		/* no timer to set the flag again */
	r->o.nic.rx_large = false;
	CHECK_EQ(wire_mem_inject_ofl(&r->o.wire, fr, len, &ofl), 0);
	osa_poll(&r->o, 64);
	guest_poll(&r->g);
	CHECK_EQ(r->o.st.rx_large, 1);
	CHECK_EQ(c.n, (30000u + 1447) / 1448);
	CHECK_EQ(c.bad_csum, 0u);
	CHECK_EQ(c.with_mss, 0u);
	CHECK_EQ(c.pay, 30000u);
	CHECK(c.maxlen <= 54 + 1448u);

	/* For a MAC the table lacks: a miss, but never held. */
	{
		uint64_t held = r->o.st.miss_held, d = r->o.st.rx_drop[OSA_D_MISSQ];

		r->o.cfg.miss_proxy = true;
		memcpy(fr, other_mac, 6);
		len = mk_large(fr, 3000);
		memcpy(fr, other_mac, 6);
		CHECK_EQ(wire_mem_inject_ofl(&r->o.wire, fr, len, &ofl), 0);
		osa_poll(&r->o, 64);
		CHECK_EQ(r->o.st.miss_held, held);
		CHECK_EQ(r->o.st.rx_drop[OSA_D_MISSQ], d + 1);
	}
	rig_down(r);

	/* Layer 3: off, whatever the configuration says. */
	REQUIRE(rig_up(t, r, 3) == 0);
	r->o.cfg.rx_large = true;
	r->now += 1000;
	osa_poll(&r->o, 64);
	CHECK(!r->o.rx_large_on);
	CHECK(!r->o.wire.rx_large);
	rig_free(r);
}
