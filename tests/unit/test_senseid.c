/* tests/unit/test_senseid.c - SENSE ID codec: the bytes a Linux guest received in the
 * Hercules trace, the identities cpnet presents, the common I/O layer's length rules. */
#include <errno.h>
#include <stdint.h>

#include "css/senseid.h"
#include "tests/tcheck.h"

TEST(senseid_decode_trace_reply)
{
	/* trace-q3d: SENSE ID count 0x28, residual 0x14 -> 20 bytes; the log shows the
	 * first 16: FF173101 17320100 40FA0080 43FC1000. */
	uint8_t b[16];
	struct senseid id;

	REQUIRE(tc_hex("FF173101 17320100 40FA0080 43FC1000", b, sizeof(b)) == 16);
	CHECK_EQ(senseid_decode(b, sizeof(b), &id), 0);
	CHECK_EQ(id.cu_type, 0x1731);
	CHECK_EQ(id.cu_model, 0x01);
	CHECK_EQ(id.dev_type, 0x1732);
	CHECK_EQ(id.dev_model, 0x01);
	CHECK(id.extended);
	CHECK_EQ(id.nciw, 2);
	CHECK_EQ(id.ciw[0].type, CIW_RCD);
	CHECK_EQ(id.ciw[0].cmd, 0xFA);
	CHECK_EQ(id.ciw[0].count, 0x80);
	CHECK_EQ(id.ciw[1].type, CIW_EQUEUE);
	CHECK_EQ(id.ciw[1].cmd, 0xFC);
	CHECK_EQ(id.ciw[1].count, 0x1000);
	CHECK(senseid_find_ciw(&id, CIW_AQUEUE) == NULL);
	REQUIRE(senseid_find_ciw(&id, CIW_EQUEUE) != NULL);
	CHECK_EQ(senseid_find_ciw(&id, CIW_EQUEUE)->cmd, 0xFC);
}

TEST(senseid_osd_identity_bytes)
{
	/* FINDINGS.md §3: FF 1731 01 1732 01 00 + 40 FA 0080, 43 1B 1000, 44 1F 0000. */
	uint8_t want[20], b[SENSEID_SIZE];
	struct senseid id, back;

	REQUIRE(tc_hex("FF173101 17320100 40FA0080 431B1000 441F0000", want, sizeof(want)) == 20);
	senseid_osd(&id);
	CHECK_EQ(senseid_encode(&id, b, sizeof(b)), 20);
	CHECK_MEM(b, want, 20);
	CHECK_EQ(senseid_decode(b, 20, &back), 0);
	CHECK_EQ(back.nciw, 3);
	CHECK_EQ(back.ciw[2].type, CIW_AQUEUE);
	CHECK_EQ(back.ciw[2].cmd, 0x1F);
	CHECK_EQ(back.ciw[2].count, 0);
}

TEST(senseid_iqd_identity)
{
	uint8_t b[SENSEID_SIZE];
	struct senseid id, back;

	senseid_iqd(&id);
	REQUIRE(senseid_encode(&id, b, sizeof(b)) == 20);
	CHECK_EQ(b[3], 0x05);
	CHECK_EQ(b[6], 0x05);
	CHECK_EQ(senseid_decode(b, 20, &back), 0);
	CHECK_EQ(back.cu_type, 0x1731);
	CHECK_EQ(back.dev_type, 0x1732);
	CHECK_EQ(back.cu_model, 5);
	CHECK_EQ(back.dev_model, 5);
}

TEST(senseid_round_trip_eight_ciws)
{
	uint8_t b[SENSEID_SIZE];
	struct senseid id = { 0x3088, 0x08, 0x3088, 0x01, true, 8 }, back;

	for (unsigned i = 0; i < 8; i++)
		id.ciw[i] = (struct senseid_ciw){ (uint8_t)(i + 5), (uint8_t)(0x80 + i),
						  (uint16_t)(0x100 * i + 1) };
	REQUIRE(senseid_encode(&id, b, sizeof(b)) == SENSEID_SIZE);
	CHECK_EQ(senseid_decode(b, sizeof(b), &back), 0);
	CHECK_EQ(back.nciw, 8);
	for (unsigned i = 0; i < 8; i++) {
		CHECK_EQ(back.ciw[i].type, id.ciw[i].type);
		CHECK_EQ(back.ciw[i].cmd, id.ciw[i].cmd);
		CHECK_EQ(back.ciw[i].count, id.ciw[i].count);
	}
}

TEST(senseid_decode_too_short_is_retried)
{
	uint8_t b[3] = { 0xFF, 0x17, 0x31 };
	struct senseid id;

	CHECK_EQ(senseid_decode(b, 3, &id), -EMSGSIZE);
	CHECK_EQ(senseid_decode(b, 0, &id), -EMSGSIZE);
}

TEST(senseid_decode_short_reply_zero_fills)
{
	/* 4..7 bytes: what is missing reads as zero (zero-filled buffer), no CIWs. */
	uint8_t b[6];
	struct senseid id;

	REQUIRE(tc_hex("FF173101 1732", b, sizeof(b)) == 6);
	CHECK_EQ(senseid_decode(b, 6, &id), 0);
	CHECK_EQ(id.dev_type, 0x1732);
	CHECK_EQ(id.dev_model, 0);
	CHECK(!id.extended);
	CHECK_EQ(id.nciw, 0);
	CHECK_EQ(senseid_decode(b, 4, &id), 0);
	CHECK_EQ(id.cu_model, 1);
	CHECK_EQ(id.dev_type, 0);
}

TEST(senseid_decode_exactly_eight_is_extended_without_ciws)
{
	uint8_t b[8];
	struct senseid id;

	REQUIRE(tc_hex("FF173101 17320100", b, sizeof(b)) == 8);
	CHECK_EQ(senseid_decode(b, 7, &id), 0);
	CHECK(!id.extended);
	CHECK_EQ(senseid_decode(b, 8, &id), 0);
	CHECK(id.extended);
	CHECK_EQ(id.nciw, 0);
}

TEST(senseid_decode_truncated_ciw_reads_zero_count)
{
	/* 14 bytes: the second CIW lost its count; the guest's buffer had zeros there. */
	uint8_t b[14];
	struct senseid id;

	REQUIRE(tc_hex("FF173101 17320100 40FA0080 431B", b, sizeof(b)) == 14);
	CHECK_EQ(senseid_decode(b, sizeof(b), &id), 0);
	CHECK_EQ(id.nciw, 2);
	CHECK_EQ(id.ciw[1].cmd, 0x1B);
	CHECK_EQ(id.ciw[1].count, 0);
}

TEST(senseid_decode_rejects_missing_ff)
{
	uint8_t b[8];
	struct senseid id;

	REQUIRE(tc_hex("00173101 17320100", b, sizeof(b)) == 8);
	CHECK_EQ(senseid_decode(b, 8, &id), -EBADMSG);
}

TEST(senseid_decode_untouched_buffer_is_retried)
{
	/* Linux presets CU type 0xFFFF; still there means the device stored nothing. */
	uint8_t b[8];
	struct senseid id;

	REQUIRE(tc_hex("FFFFFF00 00000000", b, sizeof(b)) == 8);
	CHECK_EQ(senseid_decode(b, 8, &id), -EAGAIN);
}

TEST(senseid_decode_ciw_list_ends_at_non_ciw_entry)
{
	uint8_t b[20];
	struct senseid id;

	/* Entry type 10 in slot 1: not a CIW, the list ends there. */
	REQUIRE(tc_hex("FF173101 17320100 40FA0080 831B1000 441F0000", b, sizeof(b)) == 20);
	CHECK_EQ(senseid_decode(b, sizeof(b), &id), 0);
	CHECK_EQ(id.nciw, 1);
}

TEST(senseid_decode_ignores_bytes_past_forty)
{
	uint8_t b[48];
	struct senseid id;

	memset(b, 0x41, sizeof(b));
	b[0] = 0xFF;
	b[1] = 0x17;
	b[2] = 0x31;
	CHECK_EQ(senseid_decode(b, sizeof(b), &id), 0);
	CHECK_EQ(id.nciw, 8);
	CHECK_EQ(id.ciw[7].count, 0x4141);
}

TEST(senseid_encode_refuses_bad_input)
{
	uint8_t b[SENSEID_SIZE];
	struct senseid id;

	senseid_osd(&id);
	CHECK_EQ(senseid_encode(&id, b, 19), -ENOSPC);
	id.nciw = 9;
	CHECK_EQ(senseid_encode(&id, b, sizeof(b)), -EINVAL);
	id.nciw = 3;
	id.ciw[1].type = 16;
	CHECK_EQ(senseid_encode(&id, b, sizeof(b)), -EINVAL);
}
