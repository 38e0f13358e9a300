/* tests/fuzz/fuzz_osa_wire.c - libFuzzer target: random bytes as frames arriving on the
 * wire of a layer-3 and a layer-2 OSA, and as frames their driver sends out (ICMPv6
 * checksums optionally made valid so Neighbor Discovery reaches past the checksum). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/be.h"
#include "osa/osa.h"
#include "qeth/ipa.h"

/* The NIC's side is replaced by a sink that reads every byte it is given, as the
 * NIC copying into input buffers would, and checks what the OSA promised. */
struct sink {
	uint64_t sum;
};

static struct sink snk;
static struct osa *osa3, *osa2;
static uint64_t clk;

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

static void setup(struct osa *o, uint8_t layer, uint8_t cfg)
{
	static const uint8_t ip4[4] = { 10, 9, 0, 1 }, mc4[4] = { 224, 0, 0, 1 };
	static const uint8_t ip6[16] = { 0xFD, 0, [15] = 1 }, mc6[16] = { 0xFF, 2, [15] = 1 };
	static const uint8_t gmac[6] = { 1, 0, 0x5E, 0, 0, 1 };

	reg(o, PA_LAYER, false, NULL, 0, 0, NULL, layer);
	reg(o, PA_STARTLAN, false, NULL, 0, 0, NULL, 0);
	if (layer == 3) {
		reg(o, PA_SETIP, false, ip4, 0, 0xFFFFFF00u, NULL, 0);
		reg(o, PA_SETIPM, false, mc4, IPA_SETIPM_V4_IN_ADDR, 0, NULL, 0);
		reg(o, PA_SETIP, true, ip6, 0, 0, NULL, 0);
		reg(o, PA_SETIPM, true, mc6, 0, 0, NULL, 0);
	} else {
		reg(o, PA_SETVMAC, false, NULL, 0, 0, o->mac, 0);
		reg(o, PA_SETGMAC, false, NULL, 0, 0, gmac, 0);
		reg(o, PA_SETVLAN, false, NULL, 0, 0, NULL, 100);
		reg(o, PA_PROMISC, false, NULL, 0, 0, NULL, cfg & 1);
	}
	wire_mem_set_link(&o->wire, !(cfg & 2), false);
	osa_check_link(o);
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

/* Everything the OSA put on the wire: layer 3 frames carry its MAC as source, its
 * ARP replies answer for a registered address only, and every ND message names the
 * OSA's MAC in its link-layer option (its own, and the guest's rewritten). */
static void drain(struct osa *o)
{
	uint8_t f[WIRE_FRAME_MAX];
	int n;

	while ((n = wire_mem_collect(&o->wire, f, sizeof(f))) > 0) {
		if (n < 14)
			__builtin_trap();
		if (o->layer == 3 && memcmp(f + 6, o->mac, 6))
			__builtin_trap();
		if (o->layer == 3 && be_get16(f + 12) == 0x0806 && n >= 42 &&
		    be_get16(f + 20) == 2) {
			if (memcmp(f + 22, o->mac, 6) || be_get32(f + 28) != 0x0A090001u ||
			    memcmp(f, f + 32, 6))
				__builtin_trap();
		}
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 1;

	if (!osa3) {
		osa3 = make(0x0A00, "fz3");
		osa2 = make(0x0B00, "fz2");
	}
	if (size < 1)
		return 0;
	setup(osa3, 3, data[0]);
	setup(osa2, 2, data[0]);
	/* Records: 1 byte selector, 2 bytes length, the bytes. */
	while (pos + 3 <= size) {
		uint8_t sel = data[pos];
		size_t len = be_get16(data + pos + 1);
		struct osa *o = (sel & 1) ? osa2 : osa3;

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		if (sel & 2) {
			send_some(o, data + pos, len);
		} else if ((data[0] & 4) && len <= WIRE_FRAME_MAX) {
			uint8_t fr[WIRE_FRAME_MAX];

			memcpy(fr, data + pos, len);
			fix_icmp6(fr, (uint32_t)len);
			wire_mem_inject(&o->wire, fr, (uint32_t)len);
		} else {
			wire_mem_inject(&o->wire, data + pos, (uint32_t)len);
		}
		if (sel & 4)
			clk += 1000u * (sel >> 3);
		osa_poll(o, (sel & 8) ? 1 : 64);
		drain(o);
		pos += len;
	}
	osa_poll(osa3, 64);
	osa_poll(osa2, 64);
	drain(osa3);
	drain(osa2);
	return 0;
}
