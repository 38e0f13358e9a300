/* tests/unit/test_qframe.c - the one qeth header <-> port frame mapping shared by the vnic
 * and the uplink: every cast both layers, VLANs and source MACs in each direction. */
#include <errno.h>
#include <string.h>

#include "qeth/qhdr.h"
#include "tests/tcheck.h"
#include "vnic/qframe.h"

/* An adapter's inbound header, encoded and decoded again, gives back the frame's metadata. */
TEST(qframe_inbound_roundtrip_every_cast_both_layers)
{
	static const uint8_t casts[] = { PF_UNICAST, PF_MULTICAST, PF_BROADCAST, PF_ANYCAST };

	for (unsigned layer = 2; layer <= 3; layer++) {
		for (unsigned c = 0; c < sizeof(casts); c++) {
			struct pframe f = { .kind = PF_ETH, .cast = casts[c], .len = 1514,
					    .vlan = 42, .ipv6 = layer == 3 };
			struct pframe g;
			struct qhdr h, d;
			uint8_t raw[QHDR_SIZE];

			if (layer == 2 && casts[c] == PF_ANYCAST)
				continue;	/* layer 2 has no anycast */
			if (layer == 3) {
				memcpy(f.src_mac, "\x02\x00\x00\x00\x00\x07", 6);
				f.has_src_mac = true;
			}
			REQUIRE(qframe_inbound_hdr(&f, layer, false, &h) == 0);
			REQUIRE(qhdr_encode(&h, raw, sizeof(raw)) > 0);
			REQUIRE(qhdr_decode(raw, sizeof(raw), &d) == 0);
			CHECK_EQ(qhdr_data_len(&d), 1514);
			memset(&g, 0, sizeof(g));
			qframe_meta(&d, QF_INBOUND, &g);
			CHECK_EQ(g.kind, PF_ETH);
			CHECK_EQ(g.cast, casts[c]);
			CHECK_EQ(g.vlan, 42);
			CHECK_EQ(g.ipv6, layer == 3);
			CHECK_EQ(g.has_src_mac, layer == 3);
			if (layer == 3)
				CHECK(memcmp(g.src_mac, f.src_mac, 6) == 0);
		}
	}
}

TEST(qframe_bare_ip_cannot_go_to_a_layer2_nic)
{
	struct pframe f = { .kind = PF_IP, .len = 60 };
	struct qhdr h;

	CHECK_EQ(qframe_inbound_hdr(&f, 2, false, &h), -EINVAL);
	CHECK_EQ(qframe_inbound_hdr(&f, 3, false, &h), 0);
	CHECK_EQ(h.l3.flags & QHDR_L3_PASSTHRU, 0);
	CHECK_EQ(h.l3.flags & QHDR_L3_CAST_MASK, QHDR_L3_CAST_UCAST);
}

/* A driver's outbound layer-3 header keeps its VLAN at 0x0C and its next hop in the
 * address area; neither is read as a source MAC. */
TEST(qframe_outbound_l3_vlan_and_next_hop)
{
	struct qhdr h;
	struct pframe f;

	memset(&h, 0, sizeof(h));
	h.id = QHDR_ID_L3;
	h.l3.flags = QHDR_L3_CAST_MCAST;
	h.l3.ext_flags = QHDR_L3_EXT_VLAN | QHDR_L3_EXT_SRC_MAC;
	h.l3.vlan_id = 0x1064;	/* priority bits above the id are not the VLAN */
	h.l3.length = 100;
	memcpy(h.l3.addr + QHDR_L3_ADDR_V4, "\x0a\x01\x00\x02", 4);
	memset(&f, 0, sizeof(f));
	qframe_meta(&h, QF_OUTBOUND, &f);
	CHECK_EQ(f.kind, PF_IP);
	CHECK_EQ(f.cast, PF_MULTICAST);
	CHECK_EQ(f.vlan, 0x064);
	CHECK(memcmp(f.next_hop + QHDR_L3_ADDR_V4, "\x0a\x01\x00\x02", 4) == 0);
	CHECK(!f.has_src_mac);
}
