/* tests/fuzz/fuzz_osa_wire.c - libFuzzer target: hostile frames (raw, or ARP/IPv4/IPv6/ND
 * shapes with fuzzed fields, VLAN tagged or not, or behind a TAP's virtio-net header) on
 * the wire of a layer-3 and a layer-2 OSA, frames their driver sends, and the inbound
 * path on into a LAN with a guest. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/be.h"
#include "lib/cpnet.h"
#include "lib/csum.h"
#include "osa/osa.h"
#include "osa/vnet.h"
#include "qeth/ipa.h"
#include "vswitch/switch.h"

/* The NIC's side is replaced by a sink that reads every byte it is given, as the
 * NIC copying into input buffers would, and checks what the OSA promised. */
struct sink {
	uint64_t sum;
};

static struct sink snk;
static struct osa *osa3, *osa2;
static uint64_t clk;

/*
 * The inbound path on: each OSA is the uplink of a LAN (of its layer) with one guest,
 * joined by a bridge port as cp/uplink.c joins them through the controller: frames
 * from the wire enter the LAN, frames of the LAN for the uplink leave on the wire.
 */
struct bridge {
	struct port lanside;	/* the LAN's uplink connection */
	struct osa *o;
	bool on;		/* this input bridges (config bit) */
};
static struct lan_table tb;
static struct lanbk *lan3, *lan2;
static struct bridge br3, br2;
static struct sink guest3, guest2;
static struct port gport3, gport2;

static unsigned guest_rx(void *owner, struct port *p, const struct pframe *f, unsigned n);

/* The LAN hands the uplink frames: out on the OSA's wire. */
static unsigned bridge_out(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct bridge *b = owner;

	(void)p;
	port_tx(&b->o->nic.port, f, n);
	return n;
}

static uint64_t fz_clock(void *ctx)
{
	(void)ctx;
	return clk;
}

static unsigned sink_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	uint8_t buf[WIRE_FRAME_MAX];

	(void)owner;
	(void)p;
	for (unsigned i = 0; i < n; i++) {
		uint32_t got;

		if (f[i].len > WIRE_FRAME_MAX || f[i].nspans != 1)
			__builtin_trap();
		got = qdio_spans_copy(f[i].spans, f[i].nspans, 0, buf, f[i].len);
		if (got != f[i].len)
			__builtin_trap();
		/* Layer 3 IP is delivered bare and must be a well-formed header. */
		if (f[i].kind == PF_IP && !f[i].ipv6 &&
		    (got < 20 || (buf[0] >> 4) != 4 || be_get16(buf + 2) != got))
			__builtin_trap();
		if (f[i].kind == PF_IP && f[i].ipv6 &&
		    (got < 40 || (buf[0] >> 4) != 6 || 40u + be_get16(buf + 4) != got ||
		     !f[i].has_src_mac))
			__builtin_trap();
		for (uint32_t k = 0; k < got; k++)
			snk.sum += buf[k];
	}
	/* Bridged: the same frames go on into the LAN, to its guest. */
	if (p == &osa3->nic.port && br3.on)
		port_tx(&br3.lanside, f, n);
	else if (p == &osa2->nic.port && br2.on)
		port_tx(&br2.lanside, f, n);
	return n;
}

/* The guest on the LAN reads what it is given, like sink_rx, and checks its shape. */
static unsigned guest_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct sink *g = owner;
	uint8_t buf[WIRE_FRAME_MAX + 4];

	(void)p;
	for (unsigned i = 0; i < n; i++) {
		uint32_t got;

		if (f[i].len > sizeof(buf))
			__builtin_trap();
		got = qdio_spans_copy(f[i].spans, f[i].nspans, 0, buf, f[i].len);
		if (got != f[i].len)
			__builtin_trap();
		for (uint32_t k = 0; k < got; k++)
			g->sum += buf[k];
	}
	return n;
}

static struct osa *make(uint16_t rdev, const char *name)
{
	struct osa *o = calloc(1, sizeof(*o));
	struct osa_cfg c;

	if (!o)
		abort();
	memset(&c, 0, sizeof(c));
	c.rdev = rdev;
	c.chpid = 0x0A;
	c.clock_ms = fz_clock;
	/* The harness answers the misses (answer_misses) from a table of 4: frames for
	 * addresses it does not hold wait, are released after an install (evicting),
	 * or go after "unknown" or the timeout. */
	c.miss_proxy = true;
	c.addresses = 4;
	if (osa_create(o, &c, &wire_mem_class, name) < 0)
		abort();
	o->nic.port.rx = sink_rx;
	o->nic.port.owner = &snk;
	return o;
}

static void reg(struct osa *o, uint8_t op, bool v6, const uint8_t *ip, unsigned ipoff,
		uint32_t mask, const uint8_t *mac, uint32_t value)
{
	struct paddr a;

	memset(&a, 0, sizeof(a));
	a.op = op;
	a.ipv6 = v6;
	if (ip)
		memcpy(a.ip + ipoff, ip, v6 ? 16 : 4);
	be_put32(a.mask, mask);
	if (mac)
		memcpy(a.mac, mac, 6);
	a.value = value;
	a.vlan = (uint16_t)value;
	port_addr(&o->nic.port, &a);
}

/* IPv4 addresses the harness installed in this input (ARP replies may answer for them). */
static uint32_t inst4[64];
static unsigned ninst4;

static bool installed4(uint32_t ip)
{
	if (ip == 0x0A090001u || ip == 0x0A090007u)
		return true;		/* registered by setup */
	for (unsigned k = 0; k < ninst4; k++)
		if (inst4[k] == ip)
			return true;
	return ninst4 == CPNET_ARRAY_SIZE(inst4);	/* too many to tell */
}

/* The proxy's answers (CP's in cpnetd), chosen by the input: install the address (the
 * controller's SETIP / SETVMAC), call it unknown, or leave it to time out. */
static void answer_misses(struct osa *o, uint8_t how)
{
	struct osa_miss m;

	while (osa_miss_take(o, &m)) {
		if (how & 0x20) {
			if (m.kind == ATAB_V4 && ninst4 < CPNET_ARRAY_SIZE(inst4))
				inst4[ninst4++] = be_get32(m.addr);
			if (m.kind == ATAB_MAC)
				reg(o, PA_SETVMAC, false, NULL, 0, 0, m.addr, 0);
			else
				reg(o, PA_SETIP, m.kind == ATAB_V6, m.addr, 0, 0xFFFFFFFFu, NULL, 0);
		} else if (how & 0x40) {
			osa_miss_unknown(o, m.kind, m.addr);
		}
	}
}

static void setup(struct osa *o, uint8_t layer, uint8_t cfg)
{
	static const uint8_t ip4[4] = { 10, 9, 0, 1 }, mc4[4] = { 224, 0, 0, 1 };
	static const uint8_t ip6[16] = { 0xFD, 0, [15] = 1 }, mc6[16] = { 0xFF, 2, [15] = 1 };
	static const uint8_t gmac[6] = { 1, 0, 0x5E, 0, 0, 1 };
	/* The LAN guest's addresses, so that the OSA takes its traffic in (as the
	 * uplink registers every guest's address on the OSA). */
	static const uint8_t guest_ip[4] = { 10, 9, 0, 7 }, guest_mac[6] = { 2, 0, 0, 0, 0, 7 };

	reg(o, PA_LAYER, false, NULL, 0, 0, NULL, layer);
	reg(o, PA_STARTLAN, false, NULL, 0, 0, NULL, 0);
	if (layer == 3) {
		reg(o, PA_SETIP, false, ip4, 0, 0xFFFFFF00u, NULL, 0);
		reg(o, PA_SETIPM, false, mc4, IPA_SETIPM_V4_IN_ADDR, 0, NULL, 0);
		reg(o, PA_SETIP, true, ip6, 0, 0, NULL, 0);
		reg(o, PA_SETIPM, true, mc6, 0, 0, NULL, 0);
		reg(o, PA_SETIP, false, guest_ip, 0, 0xFFFFFFFFu, NULL, 0);
	} else {
		reg(o, PA_SETVMAC, false, NULL, 0, 0, o->mac, 0);
		reg(o, PA_SETGMAC, false, NULL, 0, 0, gmac, 0);
		reg(o, PA_SETVMAC, false, NULL, 0, 0, guest_mac, 0);
		reg(o, PA_SETVLAN, false, NULL, 0, 0, NULL, 100);
		reg(o, PA_PROMISC, false, NULL, 0, 0, NULL, cfg & 1);
	}
	wire_mem_set_link(&o->wire, !(cfg & 2), false);
	osa_check_link(o);
}

static void lan_setup(void)
{
	static const uint8_t gip[4] = { 10, 9, 0, 7 }, gmac[6] = { 2, 0, 0, 0, 0, 7 };
	struct lanbk **lp[2] = { &lan3, &lan2 };
	struct port *gp[2] = { &gport3, &gport2 };
	struct sink *gs[2] = { &guest3, &guest2 };
	struct bridge *bs[2] = { &br3, &br2 };

	lan_table_init(&tb, 5);
	br3.o = osa3;
	br2.o = osa2;
	for (unsigned k = 0; k < 2; k++) {
		struct paddr a;

		if (lan_define(&tb, "SYSTEM", k ? "FZL2" : "FZL3", LAN_VSWITCH, lp[k]) ||
		    lan_set_transport(*lp[k], k ? LAN_ETHERNET : LAN_IP))
			abort();
		bs[k]->lanside.rx = bridge_out;
		bs[k]->lanside.owner = bs[k];
		if (lan_attach_uplink(*lp[k], &bs[k]->lanside) < 0)
			abort();
		gp[k]->rx = guest_rx;
		gp[k]->owner = gs[k];
		if (lan_attach_port(*lp[k], gp[k], "GUEST", 0x600, 0, NULL) < 0)
			abort();
		memset(&a, 0, sizeof(a));
		a.op = PA_LAYER;
		a.value = k ? 2 : 3;
		port_addr(gp[k], &a);
		a.op = PA_STARTLAN;
		port_addr(gp[k], &a);
		if (k) {
			a.op = PA_SETVMAC;
			memcpy(a.mac, gmac, 6);
		} else {
			a.op = PA_SETIP;
			memcpy(a.ip, gip, 4);
		}
		if (port_addr(gp[k], &a) != 0)
			abort();
	}
}

/* A well-formed frame of a kind the OSAs must understand, addressed to them or to the
 * guests, with the fuzzer's bytes laid over it from a chosen offset: every field of
 * ARP, IPv4, IPv6 and Neighbor Discovery gets mutated without being found first. */
static size_t shape(uint8_t *f, size_t cap, const uint8_t *d, size_t n, bool l2)
{
	static const uint8_t bc[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	static const uint8_t peer[6] = { 2, 0, 0, 0, 0, 0x99 };
	uint8_t kind, *p;
	size_t h = 14, len, over;

	if (n < 3)
		return 0;
	kind = d[0];
	memset(f, 0, cap);
	/* Destination: the OSA (the guest's MAC on layer 2), broadcast, or multicast. */
	switch ((kind >> 3) & 3) {
	case 0:
		memcpy(f, l2 ? (const uint8_t[6]){ 2, 0, 0, 0, 0, 7 } : osa3->mac, 6);
		break;
	case 1:
		memcpy(f, bc, 6);
		break;
	case 2:
		memcpy(f, (const uint8_t[6]){ 0x33, 0x33, 0xFF, 0, 0, 1 }, 6);
		break;
	default:
		memcpy(f, (const uint8_t[6]){ 1, 0, 0x5E, 0, 0, 1 }, 6);
		break;
	}
	memcpy(f + 6, peer, 6);
	if (kind & 0x20) {		/* 802.1Q: VLAN 100 (registered) or another */
		be_put16(f + 12, 0x8100);
		be_put16(f + 14, (kind & 0x40) ? 100 : d[1] & 0x0F);
		h = 18;
	}
	p = f + h;
	switch (kind % 5) {
	case 0:				/* ARP request for the OSA's (guest's) address */
		be_put16(p - 2, 0x0806);
		be_put16(p, 1);
		be_put16(p + 2, 0x0800);
		p[4] = 6;
		p[5] = 4;
		be_put16(p + 6, 1);
		memcpy(p + 8, peer, 6);
		be_put32(p + 14, 0x0A090063u);
		be_put32(p + 24, (kind & 0x80) ? 0x0A090007u : 0x0A090001u);
		len = h + 28;
		break;
	case 1:				/* IPv4 UDP, unicast to the OSA/guest */
	case 2:				/* IPv4 to the broadcast/multicast */
		be_put16(p - 2, 0x0800);
		p[0] = 0x45;
		be_put16(p + 2, 28);
		p[8] = 64;
		p[9] = 17;
		be_put32(p + 12, 0x0A090063u);
		be_put32(p + 16, kind % 5 == 2 ? 0xE0000001u
				 : (kind & 0x80) ? 0x0A090007u : 0x0A090001u);
		be_put16(p + 24, 8);
		len = h + 28;
		break;
	case 3:				/* IPv6 Neighbor Solicitation for fd00::1 */
		be_put16(p - 2, 0x86DD);
		p[0] = 0x60;
		be_put16(p + 4, 32);
		p[6] = 58;
		p[7] = 255;
		p[8] = 0xFE;
		p[9] = 0x80;
		p[23] = 0x99;
		memcpy(p + 24, (const uint8_t[16]){ 0xFF, 2, [11] = 1, 0xFF, 0, 0, 1 }, 16);
		p[40] = 135;
		memcpy(p + 48, (const uint8_t[16]){ 0xFD, 0, [15] = 1 }, 16);
		p[64] = 1;
		p[65] = 1;
		memcpy(p + 66, peer, 6);
		len = h + 72;
		break;
	default:			/* IPv6 unicast to fd00::1 */
		be_put16(p - 2, 0x86DD);
		p[0] = 0x60;
		be_put16(p + 4, 8);
		p[6] = 17;
		p[7] = 64;
		memcpy(p + 24, (const uint8_t[16]){ 0xFD, 0, [15] = 1 }, 16);
		len = h + 48;
		break;
	}
	/* The fuzzer's bytes over the frame, from the offset it picks; may lengthen it. */
	over = d[2] % (len + 1);
	n -= 3;
	if (n > cap - over)
		n = cap - over;
	memcpy(f + over, d + 3, n);
	return over + n > len ? over + n : len;
}

/* ICMPv6 of an IPv6 packet at ip (avail bytes): where the link-layer option an ND
 * message of this type names its sender by is, or NULL.  Stops at a malformed option. */
static const uint8_t *nd_own_lla(const uint8_t *ip, uint32_t avail)
{
	const uint8_t *ic = ip + 40;
	uint32_t il, off;

	if (avail < 44 || ip[6] != 58 || (il = be_get16(ip + 4)) > avail - 40 || il < 4 ||
	    ic[0] < 133 || ic[0] > 136)
		return NULL;
	off = ic[0] == 133 ? 8 : ic[0] == 134 ? 16 : 24;
	while (off + 8 <= il && ic[off + 1] && ic[off + 1] * 8u <= il - off) {
		if (ic[off] == (ic[0] == 136 ? 2 : 1) && ic[off + 1] == 1)
			return ic + off + 2;
		off += ic[off + 1] * 8u;
	}
	return NULL;
}

/* Make the ICMPv6 checksum of an IPv6-in-Ethernet frame valid (random bytes never are). */
static void fix_icmp6(uint8_t *f, uint32_t n)
{
	uint32_t hl = 14, il, sum, k;
	uint8_t *ip, *ic;

	if (n >= 18 && be_get16(f + 12) == 0x8100)
		hl = 18;
	if (n < hl + 44 || be_get16(f + hl - 2) != 0x86DD)
		return;
	ip = f + hl;
	ic = ip + 40;
	il = be_get16(ip + 4);
	if (ip[6] != 58 || il < 4 || il > n - hl - 40)
		return;
	be_put16(ic + 2, 0);
	sum = 58 + il;
	for (k = 0; k < 16; k += 2)
		sum += be_get16(ip + 8 + k) + be_get16(ip + 24 + k);
	for (k = 0; k + 1 < il; k += 2)
		sum += be_get16(ic + k);
	if (k < il)
		sum += (uint32_t)ic[k] << 8;
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	be_put16(ic + 2, (uint16_t)~sum);
}

/*
 * A layer-3 OSA's ARP on the wire (untagged or one tag; its own or its driver's
 * passed through): well-formed Ethernet/IPv4 ARP, the OSA's MAC as sender, a reply
 * only for a registered address (its own, the LAN guest's, one the harness installed
 * on a miss), a request from one or from 0.0.0.0 (a probe when none is registered).
 * Not checked: Ethernet destination == target MAC of a reply.  The OSA's own replies
 * have it, but a driver's passed-through reply carries both as the driver chose them;
 * the OSA vouches for the sender fields only (a mismatch misleads nobody about who
 * owns an address).
 */
static void check_arp(const struct osa *o, const uint8_t *f, uint32_t n)
{
	uint32_t hl = be_get16(f + 12) == 0x8100 && n >= 18 ? 18 : 14;
	const uint8_t *a = f + hl;
	uint32_t sip;
	uint16_t op;

	if (be_get16(f + hl - 2) != 0x0806)
		return;
	if (n < hl + 28 || be_get16(a) != 1 || be_get16(a + 2) != 0x0800 || a[4] != 6 ||
	    a[5] != 4)
		__builtin_trap();
	op = be_get16(a + 6);
	sip = be_get32(a + 14);
	if ((op != 1 && op != 2) || memcmp(a + 8, o->mac, 6))
		__builtin_trap();
	if (!installed4(sip) && (op == 2 || sip != 0))
		__builtin_trap();
}

/* Everything the OSA put on the wire: layer 3 frames carry its MAC as source, its ARP
 * speaks for it only (check_arp), and every ND message names the OSA's MAC in its
 * link-layer option (its own, and the guest's rewritten). */
static void drain(struct osa *o)
{
	uint8_t f[WIRE_FRAME_MAX];
	int n;

	while ((n = wire_mem_collect(&o->wire, f, sizeof(f))) > 0) {
		if (n < 14)
			__builtin_trap();
		if (o->layer == 3 && memcmp(f + 6, o->mac, 6))
			__builtin_trap();
		if (o->layer == 3)
			check_arp(o, f, (uint32_t)n);
		if (o->layer == 3 && be_get16(f + 12) == 0x86DD) {
			const uint8_t *lla = nd_own_lla(f + 14, (uint32_t)n - 14);

			if (lla && memcmp(lla, o->mac, 6))
				__builtin_trap();
		}
		snk.sum += (uint64_t)n;
	}
}

/* Frames the driver sends: kind, cast, next hop and spans cut from the input. */
static void send_some(struct osa *o, const uint8_t *d, size_t n)
{
	struct qdio_span sp[4];
	struct pframe f;
	size_t pos = 0;
	unsigned ns = 0;

	if (n < 8)
		return;
	memset(&f, 0, sizeof(f));
	f.kind = (d[0] & 1) ? PF_IP : PF_ETH;
	f.cast = d[1] & 3;
	f.vlan = (d[2] & 0x10) ? 100 : 0;
	f.ipv6 = (d[2] & 0x20) != 0;
	be_put32(f.next_hop + 12, (d[3] & 1) ? 0 : 0x0A090000u | d[4]);
	pos = 5;
	while (pos < n && ns < 4) {
		size_t l = 1 + d[pos] % 64;

		pos++;
		if (l > n - pos)
			l = n - pos;
		sp[ns].ptr = d + pos;
		sp[ns].len = (uint32_t)l;
		f.len += (uint32_t)l;
		ns++;
		pos += l;
	}
	f.spans = sp;
	f.nspans = (uint8_t)ns;
	port_tx(&o->nic.port, &f, 1);
}

/*
 * A TAP read with IFF_VNET_HDR (osa/wire_tap.c): the first VNET_HLEN bytes are the
 * header, the rest the frame, in a buffer of exactly its size (a read or write past it
 * is ASan's).  What the reader accepts goes on the wire as the TAP provider hands it on;
 * a checksum it completed must verify, and a refused frame must be unchanged.
 */
static void vnet_read(struct osa *o, const uint8_t *d, size_t len)
{
	struct vnet_hdr h;
	struct wire_ofl large = { 0 };
	enum vnet_bad why = VNET_BAD_NR;
	uint32_t fl;
	uint8_t *f;
	int rc;

	if (len < VNET_HLEN + 1)
		return;
	memcpy(&h, d, VNET_HLEN);
	fl = (uint32_t)(len - VNET_HLEN);
	f = malloc(fl);
	if (!f)
		return;
	memcpy(f, d + VNET_HLEN, fl);
	rc = vnet_rx_finish(&h, f, fl, (h.hdr_len & 1) ? &large : NULL, &why);
	if (rc == -EBADMSG) {
		if ((unsigned)why >= VNET_BAD_NR || memcmp(f, d + VNET_HLEN, fl))
			__builtin_trap();
	} else if (rc != (int)fl) {
		__builtin_trap();
	} else {
		if ((h.flags & VNET_F_NEEDS_CSUM) && !large.gso) {
			struct csum_pkt cp;

			if (csum_parse(f, fl, true, &cp) < 0 || !csum_verify(f, &cp))
				__builtin_trap();
		}
		wire_mem_inject(&o->wire, f, fl);
	}
	free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[WIRE_FRAME_MAX];
	size_t pos = 1;

	if (!osa3) {
		osa3 = make(0x0A00, "fz3");
		osa2 = make(0x0B00, "fz2");
		lan_setup();
	}
	if (size < 1)
		return 0;
	ninst4 = 0;
	setup(osa3, 3, data[0]);
	setup(osa2, 2, data[0]);
	br3.on = br2.on = data[0] & 4;
	/* Records: 1 byte selector, 2 bytes length, the bytes (sel bit 4: a shaped frame,
	 * bit 5: a virtio-net header and a frame as a TAP reads them, bit 1: sent by the
	 * driver, bit 0: the layer-2 OSA). */
	while (pos + 3 <= size) {
		uint8_t sel = data[pos];
		size_t len = be_get16(data + pos + 1);
		struct osa *o = (sel & 1) ? osa2 : osa3;

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		if (sel & 2) {
			send_some(o, data + pos, len);
		} else if (sel & 0x10) {
			size_t fl = shape(frame, sizeof(frame), data + pos, len, o == osa2);

			/* sel bit 7 clear: ICMPv6 checksum made valid so ND gets past it. */
			if (fl && !(sel & 0x80))
				fix_icmp6(frame, (uint32_t)fl);
			if (fl)
				wire_mem_inject(&o->wire, frame, (uint32_t)fl);
		} else if (sel & 0x20) {
			vnet_read(o, data + pos, len);
		} else {
			wire_mem_inject(&o->wire, data + pos, (uint32_t)len);
		}
		if (sel & 4)
			clk += 1000u * (sel >> 3);
		osa_poll(o, (sel & 8) ? 1 : 64);
		answer_misses(o, sel);
		osa_poll(o, 64);	/* what an install released */
		drain(o);
		pos += len;
	}
	osa_poll(osa3, 64);
	osa_poll(osa2, 64);
	drain(osa3);
	drain(osa2);
	return 0;
}
