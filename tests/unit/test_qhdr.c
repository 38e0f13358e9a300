/* tests/unit/test_qhdr.c - qeth packet headers: layer 2 / layer 3 / TSO decode and encode,
 * the frame the Linux 6.1 guest sent in trace-q3e, and one case per kind of bad header. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/be.h"
#include "qeth/qhdr.h"
#include "tests/tcheck.h"

/* trace-q3e_vnic_datapath.log: "out q0 buf 0: 92 bytes (qeth hdr id 02), dst FFFFFFFFFFFF
 * type 88B5" - a 32-byte layer-2 header (broadcast) and a 60-byte frame. */
static const char l2_bcast_hdr[] =
	"02 00 00 02 00 00 003C 0000 0000 0000000000000000000000000000000000000000";
static const char l2_bcast_frame[] =
	"FFFFFFFFFFFF 2E0DF422E2DD 88B5";

TEST(qhdr_l2_trace_broadcast_frame)
{
	uint8_t b[128], out[64];
	struct qhdr h;
	int n = tc_hex(l2_bcast_hdr, b, sizeof(b));

	REQUIRE(n == QHDR_SIZE);
	REQUIRE(tc_hex(l2_bcast_frame, b + 32, sizeof(b) - 32) == 14);
	memset(b + 46, 0, 92 - 46);
	CHECK_EQ(qhdr_decode(b, 92, &h), 0);
	CHECK_EQ(h.id, QHDR_ID_L2);
	CHECK_EQ(h.l2.flags0, 0);
	CHECK_EQ(h.l2.flags1, 0);
	CHECK_EQ(h.l2.flags2, QHDR_L2_BCAST);
	CHECK_EQ(h.l2.port, 0);
	CHECK_EQ(h.l2.hdr_len, 0);
	CHECK_EQ(h.l2.pkt_len, 60);
	CHECK_EQ(h.l2.seq, 0);
	CHECK_EQ(h.l2.vlan_tci, 0);
	CHECK_EQ(qhdr_data_len(&h), 60);
	CHECK_EQ(qhdr_len(h.id), 32);
	CHECK_EQ(qhdr_frame_span(&h, 92), 92);
	CHECK_EQ(qhdr_frame_span(&h, 91), -EMSGSIZE);
	/* The adapter picks the same cast flag from the destination MAC. */
	CHECK_EQ(qhdr_l2_cast_for_mac(b + 32), QHDR_L2_BCAST);
	CHECK_EQ(qhdr_encode(&h, out, sizeof(out)), 32);
	CHECK_MEM(out, b, 32);
	CHECK_STR(qhdr_id_name(h.id), "layer2");
}

TEST(qhdr_l2_cast_for_mac)
{
	static const uint8_t uc[6] = { 0x2E, 0x0D, 0xF4, 0x22, 0xE2, 0xDD };
	static const uint8_t mc[6] = { 0x01, 0x00, 0x5E, 0x00, 0x00, 0x01 };
	static const uint8_t almost[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE };

	CHECK_EQ(qhdr_l2_cast_for_mac(uc), QHDR_L2_UCAST);
	CHECK_EQ(qhdr_l2_cast_for_mac(mc), QHDR_L2_MCAST);
	CHECK_EQ(qhdr_l2_cast_for_mac(almost), QHDR_L2_MCAST);
}

TEST(qhdr_l2_vlan_and_checksum_round_trip)
{
	uint8_t b[64], out[64];
	struct qhdr h;

	REQUIRE(tc_hex("02 00 30 14 00 00 05EE 1234 2064 0000000000000000000000000000000000000000",
		       b, sizeof(b)) == 32);
	CHECK_EQ(qhdr_decode(b, 32, &h), 0);
	CHECK_EQ(h.l2.flags1, QHDR_L2_CSUM_TRANSP | QHDR_L2_CSUM_HDR);
	CHECK_EQ(h.l2.flags2, QHDR_L2_UCAST | QHDR_L2_VLAN);
	CHECK_EQ(h.l2.pkt_len, 1518);
	CHECK_EQ(h.l2.seq, 0x1234);
	CHECK_EQ(h.l2.vlan_tci, 0x2064);
	memset(out, 0xEE, sizeof(out));
	CHECK_EQ(qhdr_encode(&h, out, sizeof(out)), 32);
	CHECK_MEM(out, b, 32);
	CHECK_EQ(out[32], 0xEE); /* nothing past the header */
	CHECK_EQ(qhdr_encode(&h, out, 31), -ENOSPC);
}

TEST(qhdr_l2_bad_cast_and_length)
{
	uint8_t b[64];
	struct qhdr h;

	REQUIRE(tc_hex(l2_bcast_hdr, b, sizeof(b)) == 32);
	b[QHDR_L2_OFF_FLAGS2] = 0x00; /* no cast bit */
	CHECK_EQ(qhdr_decode(b, 32, &h), -EBADMSG);
	b[QHDR_L2_OFF_FLAGS2] = QHDR_L2_UCAST | QHDR_L2_BCAST; /* two */
	CHECK_EQ(qhdr_decode(b, 32, &h), -EBADMSG);
	b[QHDR_L2_OFF_FLAGS2] = QHDR_L2_BCAST;
	be_put16(b + QHDR_L2_OFF_PKT_LEN, 0);
	CHECK_EQ(qhdr_decode(b, 32, &h), -EBADMSG);
	be_put16(b + QHDR_L2_OFF_PKT_LEN, 13); /* shorter than an Ethernet header */
	CHECK_EQ(qhdr_decode(b, 32, &h), -EBADMSG);
	be_put16(b + QHDR_L2_OFF_PKT_LEN, QHDR_MAX_DATA + 1);
	CHECK_EQ(qhdr_decode(b, 32, &h), -EMSGSIZE);
	be_put16(b + QHDR_L2_OFF_PKT_LEN, QHDR_MAX_DATA);
	CHECK_EQ(qhdr_decode(b, 32, &h), 0);
	CHECK_EQ(qhdr_decode(b, 31, &h), -EMSGSIZE);
}

TEST(qhdr_unknown_id_is_eproto)
{
	uint8_t b[64];
	struct qhdr h;

	REQUIRE(tc_hex(l2_bcast_hdr, b, sizeof(b)) == 32);
	for (unsigned id = 0; id < 256; id++) {
		b[0] = (uint8_t)id;
		if (id == 1 || id == 2 || id == 3 || id == 6)
			continue;
		if (qhdr_decode(b, sizeof(b), &h) != -EPROTO)
			CHECK_EQ(id, 0xFFFF); /* names the failing id */
	}
	h.id = 0x05;
	CHECK_EQ(qhdr_encode(&h, b, sizeof(b)), -EINVAL);
	CHECK_EQ(qhdr_len(0x05), 0);
	CHECK_EQ(qhdr_frame_span(&h, 100), -EPROTO);
	CHECK_STR(qhdr_id_name(0x05), "unknown");
}

TEST(qhdr_l3_tx_ipv4_next_hop)
{
	uint8_t b[64], out[64];
	struct qhdr h;

	/* IPv4 unicast, TCP checksum offload requested, next hop 10.1.2.1. */
	REQUIRE(tc_hex("01 06 0000 00000000 0054 00 30 0000 0000"
		       "000000000000000000000000 0A010201", b, sizeof(b)) == 32);
	CHECK_EQ(qhdr_decode(b, 32, &h), 0);
	CHECK_EQ(h.id, QHDR_ID_L3);
	CHECK_EQ(h.l3.flags & QHDR_L3_CAST_MASK, QHDR_L3_CAST_UCAST);
	CHECK_EQ(h.l3.flags & (QHDR_L3_PASSTHRU | QHDR_L3_IPV6), 0);
	CHECK_EQ(h.l3.length, 0x54);
	CHECK_EQ(h.l3.ext_flags, QHDR_L3_EXT_CSUM_TRANSP | QHDR_L3_EXT_CSUM_HDR);
	CHECK_EQ(h.l3.addr[QHDR_L3_ADDR_V4], 10);
	CHECK_EQ(h.l3.addr[15], 1);
	CHECK_EQ(qhdr_data_len(&h), 0x54);
	CHECK_EQ(qhdr_encode(&h, out, sizeof(out)), 32);
	CHECK_MEM(out, b, 32);
	CHECK_STR(qhdr_id_name(1), "layer3");
}

TEST(qhdr_l3_ipv6_passthrough_and_vlan)
{
	uint8_t b[64], out[64];
	struct qhdr h;

	REQUIRE(tc_hex("01 94 0000 00000000 0056 03 01 0064 0000"
		       "FE800000000000000000000000000001", b, sizeof(b)) == 32);
	CHECK_EQ(qhdr_decode(b, 32, &h), 0);
	CHECK_EQ(h.l3.flags, QHDR_L3_IPV6 | QHDR_L3_PASSTHRU | QHDR_L3_CAST_MCAST);
	CHECK_EQ(h.l3.vlan_prio, 3);
	CHECK_EQ(h.l3.ext_flags, QHDR_L3_EXT_VLAN);
	CHECK_EQ(h.l3.vlan_id, 100);
	CHECK_EQ(h.l3.addr[0], 0xFE);
	CHECK_EQ(qhdr_encode(&h, out, sizeof(out)), 32);
	CHECK_MEM(out, b, 32);
}

TEST(qhdr_l3_rx_source_mac_and_vlan)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x11, 0x22, 0x33 };
	uint8_t b[64];
	struct qhdr h, g;

	memset(&h, 0, sizeof(h));
	h.id = QHDR_ID_L3;
	h.l3.flags = QHDR_L3_CAST_BCAST;
	h.l3.length = 328;
	qhdr_l3_set_rx_src_mac(&h.l3, mac);
	qhdr_l3_set_rx_vlan(&h.l3, 42);
	CHECK_EQ(qhdr_encode(&h, b, sizeof(b)), 32);
	CHECK_MEM(b + 0x12, mac, 6);
	CHECK_EQ(be_get16(b + 0x1C), 42);
	CHECK_EQ(b[QHDR_L3_OFF_EXT], QHDR_L3_EXT_SRC_MAC | QHDR_L3_EXT_INCL_VLAN);
	CHECK_EQ(qhdr_decode(b, 32, &g), 0);
	CHECK_MEM(qhdr_l3_rx_src_mac(&g.l3), mac, 6);
	CHECK_EQ(qhdr_l3_rx_vlan(&g.l3), 42);
	CHECK_EQ(g.l3.flags & QHDR_L3_CAST_MASK, QHDR_L3_CAST_BCAST);
}

TEST(qhdr_l3_bad_cast_and_lengths)
{
	uint8_t b[64];
	struct qhdr h;

	REQUIRE(tc_hex("01 06 0000 00000000 0054 00 00 0000 0000"
		       "000000000000000000000000 0A010201", b, sizeof(b)) == 32);
	for (uint8_t cast = 1; cast <= 3; cast++) {
		b[QHDR_L3_OFF_FLAGS] = cast;
		CHECK_EQ(qhdr_decode(b, 32, &h), -EBADMSG);
	}
	b[QHDR_L3_OFF_FLAGS] = QHDR_L3_CAST_NONE;
	CHECK_EQ(qhdr_decode(b, 32, &h), 0);
	b[QHDR_L3_OFF_FLAGS] = QHDR_L3_CAST_ANYCAST;
	CHECK_EQ(qhdr_decode(b, 32, &h), 0);
	be_put16(b + QHDR_L3_OFF_LEN, 0);
	CHECK_EQ(qhdr_decode(b, 32, &h), -EBADMSG);
	b[QHDR_L3_OFF_FLAGS] = QHDR_L3_PASSTHRU | QHDR_L3_CAST_UCAST;
	be_put16(b + QHDR_L3_OFF_LEN, 13); /* passthrough needs an Ethernet header */
	CHECK_EQ(qhdr_decode(b, 32, &h), -EBADMSG);
	be_put16(b + QHDR_L3_OFF_LEN, 14);
	CHECK_EQ(qhdr_decode(b, 32, &h), 0);
	be_put16(b + QHDR_L3_OFF_LEN, 0xFFFF);
	CHECK_EQ(qhdr_decode(b, 32, &h), -EMSGSIZE);
	be_put16(b + QHDR_L3_OFF_LEN, 100);
	CHECK_EQ(qhdr_decode(b, 20, &h), -EMSGSIZE);
}

TEST(qhdr_tso_extension_l2_and_l3)
{
	uint8_t b[96], out[96];
	struct qhdr h;

	REQUIRE(tc_hex("06 00 20 04 00 00 0042 0000 0000 0000000000000000000000000000000000000000"
		       "0020 01 00 01 01 001C 0000FDE8 05A8 0042 00000000000000000000000000000000",
		       b, sizeof(b)) == 64);
	CHECK_EQ(qhdr_decode(b, 64, &h), 0);
	CHECK_EQ(h.id, QHDR_ID_L2_TSO);
	CHECK_EQ(h.l2.pkt_len, 0x42);
	CHECK_EQ(h.tso.type, 1);
	CHECK_EQ(h.tso.version, 1);
	CHECK_EQ(h.tso.payload_len, 65000);
	CHECK_EQ(h.tso.mss, 1448);
	CHECK_EQ(h.tso.proto_hlen, 0x42);
	CHECK_EQ(qhdr_len(h.id), 64);
	CHECK_EQ(qhdr_frame_span(&h, 64 + 0x42), 64 + 0x42);
	CHECK_EQ(qhdr_frame_span(&h, 64 + 0x41), -EMSGSIZE);
	CHECK_EQ(qhdr_encode(&h, out, sizeof(out)), 64);
	CHECK_MEM(out, b, 64);
	CHECK_EQ(qhdr_encode(&h, out, 63), -ENOSPC);
	CHECK_EQ(qhdr_decode(b, 63, &h), -EMSGSIZE);

	/* The same extension behind a layer-3 header (id 3). */
	REQUIRE(tc_hex("03 06 0007 00000000 0028 00 20 0000 0000 000000000000000000000000 0A000001",
		       b, sizeof(b)) == 32);
	CHECK_EQ(qhdr_decode(b, 64, &h), 0);
	CHECK_EQ(h.id, QHDR_ID_L3_TSO);
	CHECK_EQ(h.l3.csum_seq, 7);
	CHECK_EQ(qhdr_encode(&h, out, sizeof(out)), 64);
	CHECK_MEM(out, b, 64);
	CHECK_STR(qhdr_id_name(3), "layer3-tso");
}

TEST(qhdr_tso_bad_extension)
{
	uint8_t b[96];
	struct qhdr h;

	REQUIRE(tc_hex("06 00 20 04 00 00 0042 0000 0000 0000000000000000000000000000000000000000"
		       "0020 01 00 01 01 001C 0000FDE8 05A8 0042 00000000000000000000000000000000",
		       b, sizeof(b)) == 64);
	be_put16(b + QHDR_TSO_OFF_EXT_LEN, 0x1C); /* not a 32-byte extension */
	CHECK_EQ(qhdr_decode(b, 64, &h), -EBADMSG);
	be_put16(b + QHDR_TSO_OFF_EXT_LEN, 0x20);
	be_put16(b + QHDR_TSO_OFF_MSS, 0); /* would segment forever */
	CHECK_EQ(qhdr_decode(b, 64, &h), -EBADMSG);
	be_put16(b + QHDR_TSO_OFF_MSS, 1448);
	be_put32(b + QHDR_TSO_OFF_PAYLOAD, 0);
	CHECK_EQ(qhdr_decode(b, 64, &h), -EBADMSG);
	be_put32(b + QHDR_TSO_OFF_PAYLOAD, 0x10000); /* more than one IP datagram */
	CHECK_EQ(qhdr_decode(b, 64, &h), -EMSGSIZE);
	be_put32(b + QHDR_TSO_OFF_PAYLOAD, 65500);
	be_put16(b + QHDR_TSO_OFF_PROTO_HLEN, 100); /* headers + payload past 64 KiB */
	CHECK_EQ(qhdr_decode(b, 64, &h), -EMSGSIZE);
}
