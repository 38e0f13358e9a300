/* tests/unit/test_trace.c - LAN traces (vswitch/trace) on the switch's tap: what each filter
 * keeps, the IP LAN's raw-IP link type, limits and a LAN destroyed under a trace. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/be.h"
#include "tests/tcheck.h"
#include "vswitch/switch.h"
#include "vswitch/trace.h"

struct tport {
	struct port p;
	unsigned frames;
};

static unsigned tport_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct tport *k = owner;

	(void)p;
	(void)f;
	k->frames += n;
	return n;
}

static int attach(struct lanbk *lan, struct tport *k, const char *user, unsigned layer,
		  const uint8_t *mac)
{
	struct paddr a;
	int rc;

	memset(k, 0, sizeof(*k));
	k->p.rx = tport_rx;
	k->p.owner = k;
	rc = lan_attach_port(lan, &k->p, user, 0x600, LAN_PORTNUM_AUTO, NULL);
	if (rc < 0)
		return rc;
	memset(&a, 0, sizeof(a));
	a.op = PA_LAYER;
	a.value = layer;
	port_addr(&k->p, &a);
	a.op = PA_STARTLAN;
	port_addr(&k->p, &a);
	if (mac) {
		a.op = PA_SETVMAC;
		memcpy(a.mac, mac, 6);
		if (port_addr(&k->p, &a))
			return -EIO;
	}
	return rc;
}

static void send_frame(struct tport *k, uint8_t kind, const uint8_t *b, uint32_t len)
{
	struct qdio_span sp[2] = { { b, 10 }, { b + 10, len - 10 } };
	struct pframe f;

	memset(&f, 0, sizeof(f));
	f.spans = sp;
	f.nspans = 2;
	f.kind = kind;
	f.len = len;
	port_tx(&k->p, &f, 1);
}

static uint32_t ethf(uint8_t *b, const uint8_t *dst, const uint8_t *src, uint16_t tag, uint8_t mark)
{
	uint32_t o = 12;

	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	if (tag) {
		be_put16(b + 12, 0x8100);
		be_put16(b + 14, tag);
		o = 16;
	}
	be_put16(b + o, 0x88B5);
	memset(b + o + 2, mark, 46);
	return o + 48;
}

/* The records of a pcap file: count, the mark byte (last byte) of each, and (tci not
 * NULL) its 802.1Q TCI, 0 when it has no tag. */
static unsigned records_tci(const char *path, uint32_t *link, uint8_t *marks, uint16_t *tci,
			    unsigned max)
{
	static uint8_t b[1 << 16];
	FILE *f = fopen(path, "rb");
	size_t n, off = 24;
	unsigned k = 0;

	if (!f)
		return 0;
	n = fread(b, 1, sizeof(b), f);
	fclose(f);
	if (n < 24 || be_get32(b) != 0xA1B23C4D)
		return 0;
	*link = be_get32(b + 20);
	while (off + 16 <= n) {
		uint32_t cap = be_get32(b + off + 8);

		if (off + 16 + cap > n)
			return 0;
		if (k < max)
			marks[k] = b[off + 16 + cap - 1];
		if (k < max && tci)
			tci[k] = cap >= 16 && be_get16(b + off + 16 + 12) == 0x8100 ?
				 be_get16(b + off + 16 + 14) : 0;
		k++;
		off += 16 + cap;
	}
	return k;
}

static unsigned records(const char *path, uint32_t *link, uint8_t *marks, unsigned max)
{
	return records_tci(path, link, marks, NULL, max);
}

static const uint8_t MA[6] = { 2, 0, 0, 0, 0, 0xA }, MB[6] = { 2, 0, 0, 0, 0, 0xB },
		     MC[6] = { 2, 0, 0, 0, 0, 0xC }, BC[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF },
		     MX[6] = { 2, 0, 0, 0, 0, 0x99 };

static int start(struct trace **t, struct lanbk *lan, const char *path, uint8_t scope,
		 uint16_t portnum, const char *user, uint16_t vid, uint64_t count)
{
	struct trace_filter flt = { 0 };
	struct pcapw_opts o = { 0 };

	flt.scope = scope;
	flt.portnum = portnum;
	if (user)
		snprintf(flt.user, sizeof(flt.user), "%s", user);
	flt.vid = vid;
	o.path = path;
	o.fmt = PCAPW_PCAP;
	o.max_packets = count;
	return trace_start(t, lan, &flt, &o, 1);
}

TEST(trace_filters_ethernet)
{
	struct lan_table tb;
	struct lanbk *lan = NULL;
	static struct tport a, b, c, sink;
	struct trace *all, *user_b, *port_a, *vlan20, *to_port;
	struct trace_filter fb = { .scope = TRACE_USER, .user = "USERB" };
	char p[4][64];
	uint8_t f[80], marks[8];
	uint32_t link = 0;
	int pa;

	lan_table_init(&tb, 1);
	REQUIRE(lan_define(&tb, "SYSTEM", "VSW1", LAN_VSWITCH, &lan) == 0);
	pa = attach(lan, &a, "USERA", 2, MA);
	REQUIRE(pa > 0);
	REQUIRE(attach(lan, &b, "USERB", 2, MB) > 0);
	REQUIRE(attach(lan, &c, "USERC", 2, MC) > 0);
	REQUIRE(tc_tmpdir(t));
	for (int i = 0; i < 4; i++)
		snprintf(p[i], sizeof(p[i]), "%s/%d.pcap", tc_tmpdir(t), i);
	REQUIRE(start(&all, lan, p[0], TRACE_ALL, 0, NULL, 0, 0) == 0);
	REQUIRE(start(&user_b, lan, p[1], TRACE_USER, 0, "USERB", 0, 0) == 0);
	REQUIRE(start(&port_a, lan, p[2], TRACE_PORT, (uint16_t)pa, NULL, 0, 0) == 0);
	REQUIRE(start(&vlan20, lan, p[3], TRACE_VLAN, 0, NULL, 20, 0) == 0);
	/* A trace port (the port API's): a connection of the LAN, never started (so
	 * forwarding gives it nothing), the same frames delivered by the tap. */
	memset(&sink, 0, sizeof(sink));
	sink.p.rx = tport_rx;
	sink.p.owner = &sink;
	REQUIRE(lan_attach_port(lan, &sink.p, "USERT", 0x700, LAN_PORTNUM_AUTO, NULL) > 0);
	REQUIRE(trace_start_port(&to_port, lan, &fb, &sink.p, 5) == 0);

	send_frame(&a, PF_ETH, f, ethf(f, MB, MA, 0, 1));	/* A -> B */
	send_frame(&c, PF_ETH, f, ethf(f, BC, MC, 0, 2));	/* C -> all */
	send_frame(&c, PF_ETH, f, ethf(f, MB, MC, 20, 3));	/* C -> B, tag 20 */
	send_frame(&c, PF_ETH, f, ethf(f, MX, MC, 0, 4));	/* C -> nobody */
	CHECK_EQ(b.frames, 3);
	CHECK_EQ(a.frames, 1);
	CHECK_EQ(all->matched, 4);
	CHECK_EQ(sink.frames, 3);
	CHECK_EQ(sink.p.st.rx_packets, 3);
	trace_free(to_port);
	trace_free(all);
	trace_free(user_b);
	trace_free(port_a);
	trace_free(vlan20);
	CHECK(lan->taps == NULL);

	CHECK_EQ(records(p[0], &link, marks, 8), 4);
	CHECK_EQ(link, 1);
	CHECK(marks[0] == 1 && marks[1] == 2 && marks[2] == 3 && marks[3] == 4);
	/* USERB: what it was sent (1, 3) and the broadcast it got (2). */
	CHECK_EQ(records(p[1], &link, marks, 8), 3);
	CHECK(marks[0] == 1 && marks[1] == 2 && marks[2] == 3);
	/* Port of A: what it sent (1) and received (2). */
	CHECK_EQ(records(p[2], &link, marks, 8), 2);
	CHECK(marks[0] == 1 && marks[1] == 2);
	CHECK_EQ(records(p[3], &link, marks, 8), 1);
	CHECK_EQ(marks[0], 3);
	lan_table_free(&tb);
}

/* A VLAN-aware VSWITCH: a trace of more than one VLAN writes every frame with its VLAN's
 * tag (an access port's untagged frame gets the tag of its VLAN, a trunk's keeps its
 * own, priority bits included), as a trunk port with every VLAN would see it; a trace
 * of one VLAN writes them untagged, as an access port of that VLAN gets them. */
TEST(trace_vlan_aware_frames_carry_their_vlan_tag)
{
	struct lan_table tb;
	struct lanbk *lan = NULL;
	static struct tport a, b, tr;
	struct lan_vlanset v20, vt;
	struct trace *all, *v20t, *user_a;
	char p[3][64];
	uint8_t f[80], marks[8];
	uint16_t tci[8];
	uint32_t link = 0;

	lan_table_init(&tb, 1);
	REQUIRE(lan_define(&tb, "SYSTEM", "VSW1", LAN_VSWITCH, &lan) == 0);
	REQUIRE(lan_set_vlan(lan, 10, 10, LAN_ACCESS) == 0);
	memset(&v20, 0, sizeof(v20));
	memset(&vt, 0, sizeof(vt));
	lan_vlan_add(&v20, 20);
	lan_vlan_add(&vt, 10);
	lan_vlan_add(&vt, 20);
	REQUIRE(lan_grant(lan, "USERB", LAN_ACCESS, &v20, false) == 0);
	REQUIRE(lan_grant(lan, "USERT", LAN_TRUNK, &vt, false) == 0);
	REQUIRE(attach(lan, &a, "USERA", 2, MA) > 0);	/* access, VLAN 10 (default) */
	REQUIRE(attach(lan, &b, "USERB", 2, MB) > 0);	/* access, VLAN 20 */
	REQUIRE(attach(lan, &tr, "USERT", 2, MC) > 0);	/* trunk 10, 20 */
	REQUIRE(tc_tmpdir(t));
	for (int i = 0; i < 3; i++)
		snprintf(p[i], sizeof(p[i]), "%s/v%d.pcap", tc_tmpdir(t), i);
	REQUIRE(start(&all, lan, p[0], TRACE_ALL, 0, NULL, 0, 0) == 0);
	REQUIRE(start(&v20t, lan, p[1], TRACE_VLAN, 0, NULL, 20, 0) == 0);
	REQUIRE(start(&user_a, lan, p[2], TRACE_USER, 0, "USERA", 0, 0) == 0);

	send_frame(&a, PF_ETH, f, ethf(f, BC, MA, 0, 1));		/* A, VLAN 10 */
	send_frame(&b, PF_ETH, f, ethf(f, BC, MB, 0, 2));		/* B, VLAN 20 */
	send_frame(&tr, PF_ETH, f, ethf(f, MB, MC, 0xA014, 3));	/* trunk, VLAN 20, prio 5 */
	send_frame(&tr, PF_ETH, f, ethf(f, MA, MC, 0, 4));	/* trunk, native 10 */
	CHECK_EQ(b.frames, 1);	/* the trunk's VLAN 20 frame */
	CHECK_EQ(a.frames, 1);	/* the trunk's native one */
	trace_free(all);
	trace_free(v20t);
	trace_free(user_a);

	CHECK_EQ(records_tci(p[0], &link, marks, tci, 8), 4);
	CHECK(marks[0] == 1 && marks[1] == 2 && marks[2] == 3 && marks[3] == 4);
	CHECK_EQ(tci[0], 10);
	CHECK_EQ(tci[1], 20);
	CHECK_EQ(tci[2], 0xA014);
	CHECK_EQ(tci[3], 10);
	/* VLAN 20 alone: untagged, the trunk's tag taken off. */
	CHECK_EQ(records_tci(p[1], &link, marks, tci, 8), 2);
	CHECK(marks[0] == 2 && marks[1] == 3);
	CHECK(tci[0] == 0 && tci[1] == 0);
	/* A user's trace is not a VLAN's: tagged (its frames could be of any VLAN). */
	CHECK_EQ(records_tci(p[2], &link, marks, tci, 8), 2);
	CHECK(marks[0] == 1 && marks[1] == 4);
	CHECK(tci[0] == 10 && tci[1] == 10);
	lan_table_free(&tb);
}

TEST(trace_ip_lan_limit_and_lan_gone)
{
	struct lan_table tb;
	struct lanbk *lan = NULL;
	static struct tport a, b;
	struct trace *tr, *lim;
	char p[2][64];
	uint8_t f[80], marks[8];
	uint32_t link = 0;

	lan_table_init(&tb, 1);
	REQUIRE(lan_define(&tb, "SYSTEM", "IPLAN", LAN_GUESTLAN, &lan) == 0);
	REQUIRE(lan->transport == LAN_IP);
	REQUIRE(attach(lan, &a, "USERA", 3, NULL) > 0);
	REQUIRE(attach(lan, &b, "USERB", 3, NULL) > 0);
	tc_path(t, p[0], sizeof(p[0]), "ip.pcap");
	tc_path(t, p[1], sizeof(p[1]), "lim.pcap");
	REQUIRE(start(&tr, lan, p[0], TRACE_ALL, 0, NULL, 0, 0) == 0);
	REQUIRE(start(&lim, lan, p[1], TRACE_ALL, 0, NULL, 0, 1) == 0);
	/* A bare IPv4 packet, an Ethernet-framed IPv6 one (written without its link
	 * header), and a non-IP link-layer frame (not written, counted). */
	memset(f, 0, sizeof(f));
	f[0] = 0x45;
	be_put16(f + 2, 40);
	f[39] = 7;
	send_frame(&a, PF_IP, f, 40);
	memset(f, 0, sizeof(f));
	memcpy(f, BC, 6);
	be_put16(f + 12, 0x86DD);
	f[14] = 0x60;
	f[14 + 39] = 8;
	send_frame(&a, PF_ETH, f, 54);
	be_put16(f + 12, 0x88B5);
	send_frame(&a, PF_ETH, f, 54);
	CHECK_EQ(tr->not_ip, 1);
	/* The COUNT 1 trace ended by itself after the first, its file complete. */
	CHECK_EQ(lim->end, TRACE_LIMIT);
	CHECK(lim->w == NULL);
	CHECK_EQ(records(p[1], &link, marks, 8), 1);
	CHECK_EQ(link, 101);
	/* The LAN goes: the trace ends, its file is complete, it can still be read. */
	lan_table_free(&tb);
	CHECK_EQ(tr->end, TRACE_LAN_GONE);
	CHECK(tr->lan == NULL);
	CHECK_EQ(tr->st.packets, 2);
	CHECK_STR(trace_end_text(tr), "ENDED (LAN destroyed)");
	CHECK_EQ(records(p[0], &link, marks, 8), 2);
	CHECK_EQ(link, 101);
	CHECK(marks[0] == 7 && marks[1] == 8);
	trace_free(tr);
	trace_free(lim);
}
