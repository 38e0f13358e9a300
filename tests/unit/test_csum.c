/* tests/unit/test_csum.c - checksum completion, verification and TCP segmentation
 * (lib/csum, lib/tso) against a plain reference written here, frame by frame. */
#define _GNU_SOURCE	/* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "lib/csum.h"
#include "hercules/cpnic.h"
#include "lib/tso.h"
#include "osa/vnet.h"
#include "osa/wire.h"
#include "tests/tcheck.h"

/* ---- the reference: byte-by-byte, no shared code with lib/ ------------------------ */

static uint16_t ref_sum(const uint8_t *b, size_t n, uint32_t acc)
{
	for (size_t i = 0; i < n; i += 2) {
		acc += (uint32_t)b[i] << 8;
		if (i + 1 < n)
			acc += b[i + 1];
		while (acc > 0xFFFF)
			acc = (acc & 0xFFFF) + (acc >> 16);
	}
	return (uint16_t)acc;
}

/* The L4 checksum of a datagram: pseudo header (src, final dst, proto, length) then
 * the L4 bytes with the checksum field taken as 0. */
/* The pseudo header's sum, folded, not inverted. */
static uint16_t ref_pseudo(size_t l4len, bool v6, const uint8_t *src, const uint8_t *dst,
			   uint8_t proto)
{
	uint8_t ph[40];
	size_t pl;

	memset(ph, 0, sizeof(ph));
	if (v6) {
		memcpy(ph, src, 16);
		memcpy(ph + 16, dst, 16);
		ph[32] = (uint8_t)(l4len >> 24);
		ph[33] = (uint8_t)(l4len >> 16);
		ph[34] = (uint8_t)(l4len >> 8);
		ph[35] = (uint8_t)l4len;
		ph[39] = proto;
		pl = 40;
	} else {
		memcpy(ph, src, 4);
		memcpy(ph + 4, dst, 4);
		ph[9] = proto;
		ph[10] = (uint8_t)(l4len >> 8);
		ph[11] = (uint8_t)l4len;
		pl = 12;
	}
	return ref_sum(ph, pl, 0);
}

static uint16_t ref_l4(const uint8_t *l4, size_t l4len, bool v6, const uint8_t *src,
		       const uint8_t *dst, uint8_t proto)
{
	uint8_t *copy = malloc(l4len + 1);
	uint16_t s;

	memcpy(copy, l4, l4len);
	copy[proto == 6 ? 16 : 6] = 0;
	copy[proto == 6 ? 17 : 7] = 0;
	s = (uint16_t)~ref_sum(copy, l4len, ref_pseudo(l4len, v6, src, dst, proto));
	free(copy);
	if (s == 0 && proto == 17)
		s = 0xFFFF;
	return s;
}

/* ---- frames ---------------------------------------------------------------------- */

struct shape {
	bool v6, eth;
	unsigned vlans;		/* 0..2 tags */
	unsigned ext;		/* IPv6: hop-by-hop + destination options + routing (type 2,
				 * one segment left) when set */
	unsigned opts;		/* TCP option bytes (multiple of 4) */
	uint8_t proto;
	uint32_t pay;		/* L4 payload bytes */
};

static const uint8_t SRC6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t DST6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
static const uint8_t HOME6[16] = { 0xfd, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x77, 9 };
static const uint8_t SRC4[4] = { 10, 1, 2, 3 }, DST4[4] = { 10, 4, 5, 6 };

struct built {
	uint8_t *f;
	uint32_t len, l3, l4, l4hlen;
	const uint8_t *final_dst;
};

/* A frame of shape s with payload bytes from seed, checksum fields garbage. */
static void build(const struct shape *s, unsigned seed, struct built *b)
{
	uint32_t off = 0, ip_len_at, l4len;
	uint8_t *f = calloc(1, 70000);

	srand(seed);
	b->final_dst = s->v6 ? (s->ext ? HOME6 : DST6) : DST4;
	if (s->eth) {
		memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
		off = 12;
		for (unsigned i = 0; i < s->vlans; i++) {
			f[off] = i == 0 && s->vlans == 2 ? 0x88 : 0x81;
			f[off + 1] = i == 0 && s->vlans == 2 ? 0xA8 : 0x00;
			f[off + 3] = (uint8_t)(10 + i);
			off += 4;
		}
		f[off] = s->v6 ? 0x86 : 0x08;
		f[off + 1] = s->v6 ? 0xDD : 0x00;
		off += 2;
	}
	b->l3 = off;
	if (s->v6) {
		uint8_t *nh = f + off + 6;

		f[off] = 0x60;
		ip_len_at = off + 4;
		f[off + 7] = 64;
		memcpy(f + off + 8, SRC6, 16);
		memcpy(f + off + 24, DST6, 16);
		off += 40;
		if (s->ext) {
			*nh = 0;			/* hop-by-hop, 8 bytes, PadN */
			f[off + 2] = 1;
			f[off + 3] = 4;
			nh = f + off;
			off += 8;
			*nh = 60;			/* destination options, 16 bytes */
			f[off + 1] = 1;
			f[off + 2] = 1;
			f[off + 3] = 12;
			nh = f + off;
			off += 16;
			*nh = 43;			/* routing type 2, segments left 1 */
			f[off + 1] = 2;
			f[off + 2] = 2;
			f[off + 3] = 1;
			memcpy(f + off + 8, HOME6, 16);
			nh = f + off;
			off += 24;
		}
		*nh = s->proto;
	} else {
		f[off] = 0x45;
		ip_len_at = off + 2;
		f[off + 4] = 0x12;
		f[off + 5] = 0x34;
		f[off + 6] = 0x40;			/* DF */
		f[off + 8] = 64;
		f[off + 9] = s->proto;
		memcpy(f + off + 12, SRC4, 4);
		memcpy(f + off + 16, DST4, 4);
		off += 20;
	}
	b->l4 = off;
	b->l4hlen = s->proto == 6 ? 20 + s->opts : 8;
	f[off] = 0x9c;
	f[off + 1] = 0x40;
	f[off + 2] = 0x00;
	f[off + 3] = 0x50;
	if (s->proto == 6) {
		f[off + 4] = 0xFF;			/* sequence near the wrap */
		f[off + 5] = 0xFF;
		f[off + 6] = 0xF0;
		f[off + 7] = 0x01;
		f[off + 12] = (uint8_t)((b->l4hlen / 4) << 4);
		f[off + 13] = 0x80 | 0x10 | 0x08 | 0x01;	/* CWR ACK PSH FIN */
		f[off + 14] = 0x20;
		for (unsigned i = 0; i < s->opts; i++)
			f[off + 20 + i] = i < 2 ? (i ? 10 : 8) : (uint8_t)(0x30 + i);
		f[off + 16] = 0xde;			/* garbage checksum */
		f[off + 17] = 0xad;
	} else {
		f[off + 6] = 0xbe;
		f[off + 7] = 0xef;
	}
	for (uint32_t i = 0; i < s->pay; i++)
		f[off + b->l4hlen + i] = (uint8_t)rand();
	l4len = b->l4hlen + s->pay;
	if (s->proto == 17) {
		f[off + 4] = (uint8_t)(l4len >> 8);
		f[off + 5] = (uint8_t)l4len;
	}
	b->len = off + l4len;
	if (s->v6) {
		uint32_t pl = b->len - b->l3 - 40;

		f[ip_len_at] = (uint8_t)(pl >> 8);
		f[ip_len_at + 1] = (uint8_t)pl;
	} else {
		uint32_t tl = b->len - b->l3;

		f[ip_len_at] = (uint8_t)(tl >> 8);
		f[ip_len_at + 1] = (uint8_t)tl;
	}
	b->f = f;
}

static const struct shape shapes[] = {
	{ .v6 = false, .eth = true, .proto = 6, .pay = 1 },
	{ .v6 = false, .eth = true, .vlans = 1, .opts = 12, .proto = 6, .pay = 1447 },
	{ .v6 = false, .eth = false, .proto = 17, .pay = 333 },
	{ .v6 = false, .eth = false, .opts = 12, .proto = 6, .pay = 100 },
	{ .v6 = false, .eth = true, .vlans = 2, .proto = 17, .pay = 0 },
	{ .v6 = true, .eth = true, .proto = 6, .pay = 8951 },
	{ .v6 = true, .eth = true, .vlans = 1, .ext = 1, .opts = 12, .proto = 6, .pay = 777 },
	{ .v6 = true, .eth = false, .ext = 1, .proto = 17, .pay = 65 },
	{ .v6 = true, .eth = true, .vlans = 2, .proto = 17, .pay = 4 },
	{ .v6 = true, .eth = true, .opts = 40, .proto = 6, .pay = 0 },
};

TEST(csum_complete_matches_reference)
{
	for (unsigned i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];
		struct built b;
		struct csum_pkt p;
		uint16_t want;
		uint32_t co;

		build(s, i + 1, &b);
		REQUIRE(csum_parse(b.f, b.len, s->eth, &p) == 0);
		CHECK_EQ(p.l3, b.l3);
		CHECK_EQ(p.l4, b.l4);
		CHECK_EQ(p.l4hlen, b.l4hlen);
		CHECK_EQ(p.proto, s->proto);
		CHECK_EQ(p.end, b.len);
		want = ref_l4(b.f + b.l4, b.len - b.l4, s->v6, s->v6 ? SRC6 : SRC4, b.final_dst,
			      s->proto);
		co = b.l4 + (s->proto == 6 ? 16 : 6);
		CHECK(!csum_verify(b.f, &p) || (b.f[co] << 8 | b.f[co + 1]) == want);
		csum_complete(b.f, &p, true);
		CHECK_EQ(b.f[co] << 8 | b.f[co + 1], want);
		CHECK(csum_verify(b.f, &p));
		if (!s->v6) {
			uint8_t ih[20];

			memcpy(ih, b.f + b.l3, 20);
			ih[10] = ih[11] = 0;
			CHECK_EQ(b.f[b.l3 + 10] << 8 | b.f[b.l3 + 11], (uint16_t)~ref_sum(ih, 20, 0));
		}
		/* One flipped bit anywhere in the L4 part is caught. */
		b.f[b.len - 1] ^= 0x04;
		CHECK(!csum_verify(b.f, &p));
		free(b.f);
	}
}

/* ---- a TAP's virtio-net header: NEEDS_CSUM completed by the reader (osa/vnet.h) ---- */

/* Each Ethernet shape (IPv4/IPv6, TCP/UDP, VLAN tags, odd lengths, extension headers)
 * read from a TAP as CHECKSUM_PARTIAL: the field holds the pseudo-header sum, the
 * reader completes it to what the reference computes.  UDP whose sum comes out 0 goes
 * as 0xFFFF (ref_l4 says so too). */
TEST(vnet_needs_csum_completed_like_the_reference)
{
	unsigned done = 0;

	for (unsigned i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];
		uint16_t co = s->proto == 6 ? 16 : 6, ps, want;
		struct vnet_hdr h = { .flags = VNET_F_NEEDS_CSUM };
		enum vnet_bad why;
		struct built b;
		uint8_t *f;

		if (!s->eth)
			continue;	/* a TAP carries Ethernet frames */
		build(s, 100 + i, &b);
		want = ref_l4(b.f + b.l4, b.len - b.l4, s->v6, s->v6 ? SRC6 : SRC4, b.final_dst,
			      s->proto);
		ps = ref_pseudo(b.len - b.l4, s->v6, s->v6 ? SRC6 : SRC4, b.final_dst, s->proto);
		b.f[b.l4 + co] = (uint8_t)(ps >> 8);
		b.f[b.l4 + co + 1] = (uint8_t)ps;
		h.csum_start = (uint16_t)b.l4;
		h.csum_offset = co;
		/* Exactly the frame's bytes: a read or write past them is ASan's. */
		f = malloc(b.len);
		REQUIRE(f);
		memcpy(f, b.f, b.len);
		CHECK_EQ(vnet_rx_finish(&h, f, b.len, NULL, &why), (int)b.len);
		CHECK_EQ(f[b.l4 + co] << 8 | f[b.l4 + co + 1], want);
		/* Nothing else changed. */
		f[b.l4 + co] = b.f[b.l4 + co];
		f[b.l4 + co + 1] = b.f[b.l4 + co + 1];
		CHECK(memcmp(f, b.f, b.len) == 0);
		/* Without the flag the frame is finished already: untouched. */
		h.flags = 0;
		CHECK_EQ(vnet_rx_finish(&h, f, b.len, NULL, &why), (int)b.len);
		CHECK(memcmp(f, b.f, b.len) == 0);
		/* Vouched for: taken as it is. */
		h.flags = VNET_F_DATA_VALID;
		CHECK_EQ(vnet_rx_finish(&h, f, b.len, NULL, &why), (int)b.len);
		CHECK(memcmp(f, b.f, b.len) == 0);
		free(f);
		free(b.f);
		done++;
	}
	CHECK_EQ(done, 7);
}

/* The header is the peer's: a start or a field outside the frame, or anywhere but the
 * frame's own TCP/UDP checksum, is refused with nothing read or written past the frame
 * (exact-size buffer, ASan) and nothing written in it. */
TEST(vnet_needs_csum_out_of_range_is_refused)
{
	static const struct { uint16_t start, offset; } bad[] = {
		{ 60, 0 },		/* start at the end */
		{ 59, 0 },		/* field's second byte past the end */
		{ 58, 1 },
		{ 58, 0 },		/* inside the frame, but the payload's last bytes */
		{ 0, 59 },
		{ 0, 44 },		/* from the frame's start to the UDP field */
		{ 38, 16 },		/* the UDP header, a TCP field's offset */
		{ 38, 4 },		/* the UDP header, its length field */
		{ 34, 10 },		/* the IP header, with start + offset at the field */
		{ 0xFFFF, 0xFFFF },	/* both at their top: no wrap to a small offset */
		{ 0xFFFF, 1 },
		{ 1, 0xFFFF },
	};
	const struct shape s = { .eth = true, .vlans = 1, .proto = 17, .pay = 14 };
	struct built b;

	build(&s, 7, &b);
	REQUIRE(b.len == 60);	/* 14 + 4 + 20 + 8 + 14, as the table assumes */
	REQUIRE(b.l4 == 38);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vnet_hdr h = { .flags = VNET_F_NEEDS_CSUM, .csum_start = bad[i].start,
				      .csum_offset = bad[i].offset };
		enum vnet_bad why = VNET_BAD_NR;
		uint8_t *f = malloc(b.len);

		REQUIRE(f);
		memcpy(f, b.f, b.len);
		CHECK_EQ(vnet_rx_finish(&h, f, b.len, NULL, &why), -EBADMSG);
		CHECK_EQ(why, VNET_BAD_WHERE);
		CHECK(memcmp(f, b.f, b.len) == 0);
		free(f);
	}
	/* The right place is taken (the sanity of the table above). */
	{
		struct vnet_hdr h = { .flags = VNET_F_NEEDS_CSUM, .csum_start = 38,
				      .csum_offset = 6 };
		enum vnet_bad why;
		uint8_t *f = malloc(b.len);

		REQUIRE(f);
		memcpy(f, b.f, b.len);
		CHECK_EQ(vnet_rx_finish(&h, f, b.len, NULL, &why), (int)b.len);
		free(f);
	}
	free(b.f);
}

/* Flags and GSO types a TAP may not send, and large receives (well-formed or not) on a
 * TAP that asked for none: each refused with its reason, the frame untouched. */
TEST(vnet_hostile_flags_and_gso_are_refused_with_reasons)
{
	const struct shape s4 = { .eth = true, .proto = 6, .pay = 3000 };
	const struct shape s6 = { .eth = true, .v6 = true, .proto = 6, .pay = 3000 };
	const struct shape su = { .eth = true, .proto = 17, .pay = 3000 };
	struct built b4, b6, bu;
	const struct {
		const struct built *b;
		struct vnet_hdr h;
		enum vnet_bad why;
	} c[] = {
		{ &b4, { .flags = 4 }, VNET_BAD_FLAGS },
		{ &b4, { .flags = 0x80 | VNET_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 16 },
		  VNET_BAD_FLAGS },
		{ &b4, { .flags = VNET_F_NEEDS_CSUM | VNET_F_DATA_VALID, .csum_start = 34,
			 .csum_offset = 16 }, VNET_BAD_FLAGS },
		{ &bu, { .flags = VNET_F_NEEDS_CSUM, .gso_type = 3 /* UDP */, .gso_size = 1400,
			 .csum_start = 34, .csum_offset = 6 }, VNET_BAD_GSO_TYPE },
		{ &b4, { .flags = VNET_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV4 | VNET_GSO_ECN,
			 .gso_size = 1448, .csum_start = 34, .csum_offset = 16 },
		  VNET_BAD_GSO_TYPE },
		{ &b4, { .flags = VNET_F_NEEDS_CSUM, .gso_type = 2, .gso_size = 1448,
			 .csum_start = 34, .csum_offset = 16 }, VNET_BAD_GSO_TYPE },
		{ &b4, { .gso_type = VNET_GSO_TCPV4, .gso_size = 1448 }, VNET_BAD_NOCSUM },
		{ &b4, { .flags = VNET_F_DATA_VALID, .gso_type = VNET_GSO_TCPV4,
			 .gso_size = 1448 }, VNET_BAD_NOCSUM },
		{ &b4, { .flags = VNET_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV6, .gso_size = 1448,
			 .csum_start = 34, .csum_offset = 16 }, VNET_BAD_PROTO },
		{ &b6, { .flags = VNET_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV4, .gso_size = 1428,
			 .csum_start = 54, .csum_offset = 16 }, VNET_BAD_PROTO },
		{ &bu, { .flags = VNET_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV4, .gso_size = 1448,
			 .csum_start = 34, .csum_offset = 6 }, VNET_BAD_PROTO },
		{ &b4, { .flags = VNET_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV4, .gso_size = 0,
			 .csum_start = 34, .csum_offset = 16 }, VNET_BAD_SIZE },
		{ &b4, { .flags = VNET_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV4, .gso_size = 535,
			 .csum_start = 34, .csum_offset = 16 }, VNET_BAD_SIZE },
		{ &b6, { .flags = VNET_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV6, .gso_size = 1219,
			 .csum_start = 54, .csum_offset = 16 }, VNET_BAD_SIZE },
		{ &b4, { .flags = VNET_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV4, .gso_size = 1448,
			 .csum_start = 35, .csum_offset = 16 }, VNET_BAD_WHERE },
		/* Well-formed, but this TAP asked for no large receives. */
		{ &b4, { .flags = VNET_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV4, .gso_size = 1448,
			 .hdr_len = 54, .csum_start = 34, .csum_offset = 16 }, VNET_BAD_LARGE },
		{ &b6, { .flags = VNET_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV6, .gso_size = 1428,
			 .hdr_len = 74, .csum_start = 54, .csum_offset = 16 }, VNET_BAD_LARGE },
	};

	build(&s4, 1, &b4);
	build(&s6, 2, &b6);
	build(&su, 3, &bu);
	REQUIRE(b4.l4 == 34 && b6.l4 == 54 && bu.l4 == 34);
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		enum vnet_bad why = VNET_BAD_NR;
		uint8_t *f = malloc(c[i].b->len);

		REQUIRE(f);
		memcpy(f, c[i].b->f, c[i].b->len);
		struct wire_ofl lg;

		CHECK_EQ(vnet_rx_finish(&c[i].h, f, c[i].b->len, NULL, &why), -EBADMSG);
		CHECK_EQ(why, c[i].why);
		CHECK(memcmp(f, c[i].b->f, c[i].b->len) == 0);
		CHECK(vnet_bad_name(why)[0] != '?');
		/* A reader that takes large receives: the bad ones still refused alike, the
		 * well-formed ones kept whole, checksum open, with their fields. */
		memset(&lg, 0xEE, sizeof(lg));
		if (c[i].why != VNET_BAD_LARGE) {
			CHECK_EQ(vnet_rx_finish(&c[i].h, f, c[i].b->len, &lg, &why), -EBADMSG);
			CHECK_EQ(why, c[i].why);
		} else {
			bool v6 = c[i].h.gso_type == VNET_GSO_TCPV6;

			CHECK_EQ(vnet_rx_finish(&c[i].h, f, c[i].b->len, &lg, &why),
				 (int)c[i].b->len);
			CHECK_EQ(lg.gso, v6 ? WIRE_GSO_TCP6 : WIRE_GSO_TCP4);
			CHECK_EQ(lg.gso_size, c[i].h.gso_size);
			CHECK_EQ(lg.hdr_len, v6 ? 74 : 54);
			CHECK_EQ(lg.csum_start, c[i].h.csum_start);
			CHECK_EQ(lg.csum_offset, 16);
			CHECK(!lg.ecn);
		}
		CHECK(memcmp(f, c[i].b->f, c[i].b->len) == 0);
		free(f);
	}
	free(b4.f);
	free(b6.f);
	free(bu.f);
}

/* lib/tso's check of a large send request directly: the segment count bound (which the
 * floor keeps out of reach for a 64 KiB frame) and a request for nothing. */
TEST(tso_req_check_bounds)
{
	const struct shape s4 = { .eth = true, .proto = 6, .pay = 3000 };
	struct tso_req r = { .csum = true, .csum_start = 34, .csum_offset = 16, .gso_v = 4,
			     .gso_size = 536 };
	struct csum_pkt p;
	struct built b;

	build(&s4, 4, &b);
	CHECK_EQ(tso_req_check(b.f, b.len, &r, &p), TSO_REQ_OK);
	CHECK_EQ(p.l4, 34u);
	r.gso_size = 0xFFFF;		/* one segment: fine */
	CHECK_EQ(tso_req_check(b.f, b.len, &r, &p), TSO_REQ_OK);
	r = (struct tso_req){ 0 };
	CHECK_EQ(tso_req_check(b.f, 0, &r, &p), TSO_REQ_OK);	/* nothing asked, nothing read */
	free(b.f);
}

/* Only the headers at hand (a copy of a frame's first bytes): the same offsets as from
 * the whole frame; one byte fewer than the headers is refused, never read past. */
TEST(csum_parse_prefix_needs_only_the_headers)
{
	for (unsigned i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];
		struct csum_pkt p, q;
		struct built b;
		uint8_t *h;
		uint32_t hl;

		build(s, i + 1, &b);
		REQUIRE(csum_parse(b.f, b.len, s->eth, &p) == 0);
		hl = p.l4 + p.l4hlen;
		h = malloc(hl);	/* exactly the headers: ASan sees any read beyond */
		REQUIRE(h != NULL);
		memcpy(h, b.f, hl);
		CHECK_EQ(csum_parse_prefix(h, hl, b.len, s->eth, &q), 0);
		CHECK_EQ(q.l3, p.l3);
		CHECK_EQ(q.l4, p.l4);
		CHECK_EQ(q.l4hlen, p.l4hlen);
		CHECK_EQ(q.end, p.end);
		CHECK_EQ(csum_parse_prefix(h, hl - 1, b.len, s->eth, &q), -EBADMSG);
		free(h);
		free(b.f);
	}
}

/* Ethernet padding after the datagram is not summed; IPv4 UDP checksum 0 means none. */
TEST(csum_padding_and_udp_zero)
{
	struct shape s = { .eth = true, .proto = 17, .pay = 3 };
	struct built b;
	struct csum_pkt p;

	build(&s, 7, &b);
	REQUIRE(b.len < 60);
	memset(b.f + b.len, 0xEE, 60 - b.len);
	REQUIRE(csum_parse(b.f, 60, true, &p) == 0);
	CHECK_EQ(p.end, b.len);
	csum_complete(b.f, &p, false);
	CHECK_EQ(b.f[b.l4 + 6] << 8 | b.f[b.l4 + 7],
		 ref_l4(b.f + b.l4, b.len - b.l4, false, SRC4, DST4, 17));
	b.f[b.l4 + 6] = b.f[b.l4 + 7] = 0;
	CHECK(csum_verify(b.f, &p));
	free(b.f);
}

TEST(csum_parse_refuses)
{
	struct shape s4 = { .eth = true, .proto = 6, .pay = 10 };
	struct shape s6 = { .v6 = true, .eth = true, .proto = 6, .pay = 10 };
	struct csum_pkt p;
	struct built b;

	build(&s4, 1, &b);
	for (uint32_t n = 0; n < b.len; n++)	/* every truncation inside the headers */
		if (n < b.l4 + 20)
			CHECK_EQ(csum_parse(b.f, n, true, &p), -EBADMSG);
	b.f[b.l3 + 6] |= 0x20;			/* more fragments */
	CHECK_EQ(csum_parse(b.f, b.len, true, &p), -EPROTONOSUPPORT);
	b.f[b.l3 + 6] = 0x40;
	b.f[b.l3 + 9] = 1;			/* ICMP */
	CHECK_EQ(csum_parse(b.f, b.len, true, &p), -EPROTONOSUPPORT);
	b.f[b.l3 + 9] = 6;
	b.f[b.l3 + 2] = 0xFF;			/* total length past the frame */
	CHECK_EQ(csum_parse(b.f, b.len, true, &p), -EBADMSG);
	b.f[b.l3 + 2] = 0;
	b.f[b.l4 + 12] = 0x40;			/* TCP data offset 16 < 20 */
	CHECK_EQ(csum_parse(b.f, b.len, true, &p), -EBADMSG);
	b.f[12] = 0x08;
	b.f[13] = 0x06;				/* ARP */
	CHECK_EQ(csum_parse(b.f, b.len, true, &p), -EPROTONOSUPPORT);
	free(b.f);
	build(&s6, 1, &b);
	b.f[b.l3 + 6] = 44;			/* fragment header */
	CHECK_EQ(csum_parse(b.f, b.len, true, &p), -EPROTONOSUPPORT);
	b.f[b.l3 + 6] = 0;			/* hop-by-hop claiming 2 KiB */
	CHECK_EQ(csum_parse(b.f, b.len, true, &p), -EBADMSG);
	free(b.f);
}

/* ---- segmentation ----------------------------------------------------------------- */

/* Segment k of a large send as the reference expects it. */
static uint32_t ref_segment(const struct built *b, const struct shape *s, uint32_t mss,
			    unsigned k, unsigned nseg, bool csum, uint8_t *out)
{
	uint32_t hl = b->l4 + b->l4hlen, pay = b->len - hl;
	uint32_t from = k * mss, chunk = pay - from < mss ? pay - from : mss;
	uint32_t len = hl + chunk, seq;
	uint8_t fl;

	memcpy(out, b->f, hl);
	memcpy(out + hl, b->f + hl + from, chunk);
	if (s->v6) {
		out[b->l3 + 4] = (uint8_t)((len - b->l3 - 40) >> 8);
		out[b->l3 + 5] = (uint8_t)(len - b->l3 - 40);
	} else {
		uint16_t id = (uint16_t)(0x1234 + k);

		out[b->l3 + 2] = (uint8_t)((len - b->l3) >> 8);
		out[b->l3 + 3] = (uint8_t)(len - b->l3);
		out[b->l3 + 4] = (uint8_t)(id >> 8);
		out[b->l3 + 5] = (uint8_t)id;
		out[b->l3 + 10] = out[b->l3 + 11] = 0;
		uint16_t ic = (uint16_t)~ref_sum(out + b->l3, 20, 0);
		out[b->l3 + 10] = (uint8_t)(ic >> 8);
		out[b->l3 + 11] = (uint8_t)ic;
	}
	seq = 0xFFFFF001u + from;
	out[b->l4 + 4] = (uint8_t)(seq >> 24);
	out[b->l4 + 5] = (uint8_t)(seq >> 16);
	out[b->l4 + 6] = (uint8_t)(seq >> 8);
	out[b->l4 + 7] = (uint8_t)seq;
	fl = 0x10;				/* ACK everywhere */
	if (k == 0)
		fl |= 0x80;			/* CWR: first */
	if (k == nseg - 1)
		fl |= 0x08 | 0x01;		/* PSH FIN: last */
	out[b->l4 + 13] = fl;
	if (csum) {
		uint16_t c = ref_l4(out + b->l4, len - b->l4, s->v6, s->v6 ? SRC6 : SRC4,
				    b->final_dst, 6);

		out[b->l4 + 16] = (uint8_t)(c >> 8);
		out[b->l4 + 17] = (uint8_t)c;
	} else {
		out[b->l4 + 16] = out[b->l4 + 17] = 0;
	}
	return len;
}

TEST(tso_segments_match_reference)
{
	/* 64: the smallest that keeps the largest shape within TSO_MAX_SEGS. */
	static const uint32_t msss[] = { 64, 536, 1448, 1460, 8940 };
	uint8_t *got = malloc(70000), *want = malloc(70000);

	REQUIRE(got && want);
	for (unsigned i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct shape s = shapes[i];

		if (s.proto != 6)
			continue;
		s.pay = s.pay * 7 + 13;		/* large, and not a multiple of any MSS */
		for (unsigned m = 0; m < sizeof(msss) / sizeof(msss[0]); m++) {
			for (int csum = 0; csum < 2; csum++) {
				struct built b;
				struct tso ts;
				unsigned nseg, k = 0;
				int n;

				build(&s, 100 + i, &b);
				if (!s.v6 && !s.eth && m == 2)
					b.f[b.l3 + 2] = b.f[b.l3 + 3] = 0;	/* L3 large send */
				REQUIRE(tso_init(&ts, b.f, b.len, s.eth, msss[m], csum) == 0);
				nseg = (s.pay + msss[m] - 1) / msss[m];
				CHECK_EQ(tso_count(&ts), nseg);
				CHECK_EQ(tso_next(&ts, got, b.l4 + b.l4hlen), -ENOSPC);
				while ((n = tso_next(&ts, got, 70000)) > 0) {
					uint32_t wl = ref_segment(&b, &s, msss[m], k, nseg,
								  csum, want);

					CHECK_EQ(n, wl);
					if ((uint32_t)n == wl && memcmp(got, want, wl) != 0)
						tc_fail(t, __FILE__, __LINE__,
							"shape %u mss %u seg %u differs", i,
							msss[m], k);
					k++;
				}
				CHECK_EQ(k, nseg);
				CHECK_EQ(tso_next(&ts, got, 70000), 0);
				free(b.f);
			}
		}
	}
	free(got);
	free(want);
}

TEST(tso_refuses_udp_zero_mss_and_too_many_segments)
{
	struct shape su = { .eth = true, .proto = 17, .pay = 100 };
	struct shape st = { .eth = true, .proto = 6, .pay = 100 };
	struct built b;
	struct tso ts;

	build(&su, 3, &b);
	CHECK_EQ(tso_init(&ts, b.f, b.len, true, 1460, true), -EPROTONOSUPPORT);
	free(b.f);
	build(&st, 3, &b);
	CHECK_EQ(tso_init(&ts, b.f, b.len, true, 0, true), -EBADMSG);
	free(b.f);
	/* The segment count is bounded: TSO_MAX_SEGS segments are made, one more is
	 * refused whole (a receiver never cuts a send part way). */
	st.pay = TSO_MAX_SEGS;
	build(&st, 3, &b);
	CHECK_EQ(tso_init(&ts, b.f, b.len, true, 1, true), 0);
	CHECK_EQ(tso_count(&ts), TSO_MAX_SEGS);
	free(b.f);
	st.pay = TSO_MAX_SEGS + 1;
	build(&st, 3, &b);
	CHECK_EQ(tso_init(&ts, b.f, b.len, true, 1, true), -E2BIG);
	free(b.f);
}

/* ---- a CPNIC on a TAP (hercules/cpnic_port.c) ---------------------------------------- */

/*
 * The CPNIC's TAP is opened without IFF_VNET_HDR: it takes only finished frames, so a
 * guest's large send is cut on the host, by the path the OSA model and the uplink use
 * (vnic/offload), before it is written.  What reaches the TAP -- a pipe here, read back
 * segment by segment -- is what the reference makes: every segment, in order, each
 * with its checksums written.  A lone checksum the guest left out is completed, and a
 * "large send" that is not TCP is dropped and counted.
 */
TEST(cpnic_tap_cuts_large_sends_like_the_reference)
{
	static const uint32_t msss[] = { 536, 1448, 8940 };
	uint8_t *got = malloc(70000), *want = malloc(70000);
	struct cpnic *c = calloc(1, sizeof(*c));
	unsigned tested = 0;
	struct port from;
	int pfd[2];

	REQUIRE(got && want && c);
	REQUIRE(pipe2(pfd, O_CLOEXEC | O_NONBLOCK) == 0);
	/* Room for the segments of the largest send (64 KiB and their headers). */
	REQUIRE(fcntl(pfd[1], F_SETPIPE_SZ, 1 << 20) >= (1 << 18));
	memset(&from, 0, sizeof(from));
	c->be = CPNIC_BE_TAP;
	cpnic_tap_attach(c, pfd[1]);
	for (unsigned i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct shape s = shapes[i];

		if (s.proto != 6 || !s.eth)
			continue;
		s.pay = s.pay * 7 + 13;		/* large, and not a multiple of any MSS */
		for (unsigned m = 0; m < sizeof(msss) / sizeof(msss[0]); m++) {
			struct qdio_span sp;
			struct pframe f;
			struct built b;
			unsigned nseg;

			build(&s, 200 + i, &b);
			sp = (struct qdio_span){ b.f, b.len };
			f = (struct pframe){ .spans = &sp, .nspans = 1, .kind = PF_ETH,
					     .cast = PF_UNICAST, .ipv6 = s.v6, .len = b.len,
					     .csum = PF_CSUM_PARTIAL, .gso_size = (uint16_t)msss[m] };
			nseg = (s.pay + msss[m] - 1) / msss[m];
			c->nic.port.ops->tx(c->nic.port.peer, &from, &f, 1);
			for (unsigned k = 0; k < nseg; k++) {
				uint32_t wl = ref_segment(&b, &s, msss[m], k, nseg, true, want);
				ssize_t n = read(pfd[0], got, wl);

				CHECK_EQ(n, (ssize_t)wl);
				if (n != (ssize_t)wl || memcmp(got, want, wl) != 0) {
					tc_fail(t, __FILE__, __LINE__, "shape %u mss %u seg %u of %u "
						"differs", i, msss[m], k, nseg);
					break;
				}
			}
			/* Nothing more than the segments. */
			CHECK_EQ(read(pfd[0], got, 1), -1);
			free(b.f);
			tested++;
		}
	}
	CHECK_EQ(tested, 15);
	CHECK_EQ(c->tx_errors, 0);
	CHECK_EQ(from.st.drop[PD_BADFRAME], 0);
	/* A checksum left out, no large send: one frame, completed. */
	{
		const struct shape s = { .eth = true, .vlans = 1, .proto = 17, .pay = 333 };
		struct qdio_span sp;
		struct pframe f;
		struct built b;
		uint16_t w;

		build(&s, 9, &b);
		w = ref_l4(b.f + b.l4, b.len - b.l4, false, SRC4, DST4, 17);
		sp = (struct qdio_span){ b.f, b.len };
		f = (struct pframe){ .spans = &sp, .nspans = 1, .kind = PF_ETH, .cast = PF_UNICAST,
				     .len = b.len, .csum = PF_CSUM_PARTIAL };
		c->nic.port.ops->tx(c->nic.port.peer, &from, &f, 1);
		CHECK_EQ(read(pfd[0], got, 70000), (ssize_t)b.len);
		CHECK_EQ(got[b.l4 + 6] << 8 | got[b.l4 + 7], w);
		/* A large send of UDP cannot be cut: dropped, counted, nothing written. */
		f.gso_size = 1000;
		c->nic.port.ops->tx(c->nic.port.peer, &from, &f, 1);
		CHECK_EQ(read(pfd[0], got, 70000), -1);
		CHECK_EQ(from.st.drop[PD_BADFRAME], 1);
		free(b.f);
	}
	close(pfd[0]);
	close(pfd[1]);
	free(c->ofl_buf);
	free(c);
	free(got);
	free(want);
}
