/* tests/unit/test_rcd.c - Read Configuration Data and the cp037 helper: the record from
 * the Hercules trace, the z/VM-NIC record cpnet builds, what qeth extracts from it. */
#include <errno.h>
#include <stdint.h>

#include "css/ebcdic.h"
#include "css/rcd.h"
#include "tests/tcheck.h"

TEST(rcd_ebcdic_round_trip_all_printable)
{
	uint8_t seen[256] = { 0 };

	for (int c = 0x20; c <= 0x7E; c++) {
		uint8_t e = ebcdic_from_ascii((char)c);

		CHECK_EQ(ebcdic_to_ascii(e), c);
		CHECK(!seen[e]);	/* the table is a bijection */
		seen[e] = 1;
	}
	CHECK_EQ(ebcdic_from_ascii('V'), 0xE5);
	CHECK_EQ(ebcdic_from_ascii('M'), 0xD4);
	CHECK_EQ(ebcdic_from_ascii('0'), 0xF0);
	CHECK_EQ(ebcdic_from_ascii(' '), 0x40);
	CHECK_EQ(ebcdic_from_ascii('a'), 0x81);
	CHECK_EQ(ebcdic_from_ascii('\n'), EBCDIC_QUESTION);
	CHECK_EQ(ebcdic_to_ascii(0x00), '?');
	CHECK_EQ(ebcdic_to_ascii(0xFF), '?');
}

TEST(rcd_ebcdic_put_pads_with_blanks)
{
	uint8_t b[5];
	char s[6];

	ebcdic_put(b, sizeof(b), "IB");
	CHECK_EQ(b[0], 0xC9);
	CHECK_EQ(b[1], 0xC2);
	CHECK_EQ(b[2], 0x40);
	CHECK_EQ(b[4], 0x40);
	ebcdic_get(s, b, sizeof(b));
	CHECK_STR(s, "IB   ");
	ebcdic_put(b, 2, "TOOLONG");
	CHECK_EQ(b[1], 0xD6);
	CHECK_EQ(b[2], 0x40);	/* not written past n */
}

TEST(rcd_nd_decode_trace_bytes)
{
	/* trace-q3d: RCD -> "C0010600 F0F0F1F7 F3F2F0F0 F1C9C2D4" (flags, params,
	 * "001732", "001", "IBM"); the rest of the descriptor is made up here. */
	uint8_t b[RCD_ND_SIZE];
	struct rcd_nd nd;

	REQUIRE(tc_hex("C0010600 F0F0F1F7 F3F2F0F0 F1C9C2D4"
		       "E5D4F0F0 F0F0F0F0 F0F0F0C1 F0F2 0A02", b, sizeof(b)) == RCD_ND_SIZE);
	CHECK_EQ(rcd_nd_decode(b, sizeof(b), &nd), 0);
	CHECK_EQ(nd.flags, 0xC0);
	CHECK_EQ(nd.params, 0x010600);
	CHECK_STR(nd.type, "001732");
	CHECK_STR(nd.model, "001");
	CHECK_STR(nd.mfr, "IBM");
	CHECK_STR(nd.plant, "VM");
	CHECK_STR(nd.seq, "000000000A02");
	CHECK_EQ(nd.tag, 0x0A02);
}

TEST(rcd_nd_round_trip)
{
	struct rcd_nd in = { 0xC0, 0x020000, "001731", "001", "IBM", "VM", "SERIAL123456",
			     0x00FE }, out;
	uint8_t b[RCD_ND_SIZE];

	CHECK_EQ(rcd_nd_encode(&in, b, sizeof(b)), RCD_ND_SIZE);
	CHECK_EQ(rcd_nd_decode(b, sizeof(b), &out), 0);
	CHECK_EQ(out.flags, in.flags);
	CHECK_EQ(out.params, in.params);
	CHECK_STR(out.type, in.type);
	CHECK_STR(out.model, in.model);
	CHECK_STR(out.mfr, in.mfr);
	CHECK_STR(out.plant, in.plant);
	CHECK_STR(out.seq, in.seq);
	CHECK_EQ(out.tag, in.tag);
}

TEST(rcd_nd_rejects_short_and_bad_params)
{
	struct rcd_nd nd = { 0 };
	uint8_t b[RCD_ND_SIZE] = { 0 };

	CHECK_EQ(rcd_nd_decode(b, RCD_ND_SIZE - 1, &nd), -EMSGSIZE);
	CHECK_EQ(rcd_nd_encode(&nd, b, RCD_ND_SIZE - 1), -ENOSPC);
	nd.params = 0x1000000;
	CHECK_EQ(rcd_nd_encode(&nd, b, sizeof(b)), -EINVAL);
}

TEST(rcd_nic_record_bytes_and_what_qeth_extracts)
{
	struct rcd_nic nic;
	struct rcd_view v;
	uint8_t b[RCD_SIZE], head[16], zero[32] = { 0 };

	rcd_nic_default(&nic, false, 0x0A, 0x0A02);
	nic.cula = 0x03;
	CHECK_EQ(rcd_encode_nic(&nic, b, sizeof(b)), RCD_SIZE);
	/* ND1 starts like the trace. */
	REQUIRE(tc_hex("C0010600 F0F0F1F7 F3F2F0F0 F1C9C2D4", head, sizeof(head)) == 16);
	CHECK_MEM(b, head, 16);
	CHECK_EQ(b[0x10], 0xE5);	/* plant "VM" */
	CHECK_EQ(b[0x11], 0xD4);
	CHECK_EQ(b[0x1E], 0x0A);	/* chpid */
	CHECK_EQ(b[0x1F], 0x02);	/* unit address */
	CHECK_EQ(b[0x3F], 0x03);	/* cula */
	CHECK_MEM(b + 0x60, zero, 32);

	CHECK_EQ(rcd_decode(b, sizeof(b), &v), 0);
	CHECK(v.is_vm_nic);
	CHECK_EQ(v.chpid, 0x0A);
	CHECK_EQ(v.unit_addr2, 0x02);
	CHECK_EQ(v.cula, 0x03);
	CHECK(!v.v1_model);
	CHECK_STR(v.nd[1].type, "001731");
	CHECK_STR(v.nd[0].seq, "000000000A02");
	CHECK_STR(v.nd[2].model, "006");
}

TEST(rcd_iqd_record_models)
{
	struct rcd_nic nic;
	struct rcd_view v;
	uint8_t b[RCD_SIZE];

	rcd_nic_default(&nic, true, 0xF0, 0x7000);
	REQUIRE(rcd_encode_nic(&nic, b, sizeof(b)) == RCD_SIZE);
	REQUIRE(rcd_decode(b, sizeof(b), &v) == 0);
	CHECK_STR(v.nd[0].model, "005");
	CHECK_STR(v.nd[1].model, "005");
	CHECK_EQ(v.chpid, 0xF0);
	CHECK_EQ(v.unit_addr2, 0x00);
}

TEST(rcd_v1_model_detection)
{
	struct rcd_nic nic;
	struct rcd_view v;
	uint8_t b[RCD_SIZE];

	rcd_nic_default(&nic, false, 1, 0x100);
	for (unsigned m = 0; m <= 6; m++) {
		nic.nd3_model = (uint16_t)m;
		REQUIRE(rcd_encode_nic(&nic, b, sizeof(b)) == RCD_SIZE);
		REQUIRE(rcd_decode(b, sizeof(b), &v) == 0);
		CHECK_EQ(v.v1_model, m >= 1 && m <= 4);
	}
	nic.nd3_model = 0x1000;
	CHECK_EQ(rcd_encode_nic(&nic, b, sizeof(b)), -EINVAL);
}

TEST(rcd_not_vm_without_vm_plant)
{
	struct rcd_nic nic;
	struct rcd_view v;
	uint8_t b[RCD_SIZE];

	rcd_nic_default(&nic, false, 1, 0x100);
	nic.vm_nic = false;
	REQUIRE(rcd_encode_nic(&nic, b, sizeof(b)) == RCD_SIZE);
	REQUIRE(rcd_decode(b, sizeof(b), &v) == 0);
	CHECK(!v.is_vm_nic);
	/* ASCII "VM" is not EBCDIC "VM". */
	b[0x10] = 'V';
	b[0x11] = 'M';
	REQUIRE(rcd_decode(b, sizeof(b), &v) == 0);
	CHECK(!v.is_vm_nic);
}

TEST(rcd_decode_needs_three_descriptors)
{
	uint8_t b[RCD_SIZE] = { 0 };
	struct rcd_view v;

	CHECK_EQ(rcd_decode(b, RCD_MIN_LEN - 1, &v), -EMSGSIZE);
	CHECK_EQ(rcd_decode(b, 0, &v), -EMSGSIZE);
	CHECK_EQ(rcd_decode(b, RCD_MIN_LEN, &v), 0);
	CHECK(!v.is_vm_nic);
	CHECK_EQ(v.chpid, 0);
}

TEST(rcd_encode_needs_room)
{
	struct rcd_nic nic;
	uint8_t b[RCD_SIZE];

	rcd_nic_default(&nic, false, 1, 0x100);
	CHECK_EQ(rcd_encode_nic(&nic, b, RCD_SIZE - 1), -ENOSPC);
}

TEST(rcd_decode_unprintable_bytes_read_as_question_marks)
{
	uint8_t b[RCD_SIZE];
	struct rcd_view v;

	memset(b, 0x00, sizeof(b));
	b[0x04] = 0xFF;
	REQUIRE(rcd_decode(b, sizeof(b), &v) == 0);
	CHECK_STR(v.nd[0].type, "??????");
}
