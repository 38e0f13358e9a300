/* tests/unit/test_chsc.c - CHSC SCPD and SSQD: request codecs, descriptors, and the
 * handler answering a 4 KiB block as the Linux guest sends it, plus every refusal. */
#include <errno.h>
#include <stdint.h>

#include "css/chsc.h"
#include "tests/tcheck.h"

/* A CSS with CHPID 0x0A (OSD) and QDIO subchannel 3 (the trace's 0A02). */
static int look_chp(void *ctx, uint8_t cssid, uint8_t chpid, struct chsc_chpd0 *out)
{
	int *calls = ctx;

	(*calls)++;
	if (cssid != 0 || chpid != 0x0A)
		return -ENOENT;
	*out = (struct chsc_chpd0){ .flags = CHPD0_VALID, .desc = CHP_TYPE_OSD,
				    .chpid = chpid };
	return 0;
}

static int look_ssqd(void *ctx, uint8_t ssid, uint16_t sch, struct chsc_ssqd_desc *out)
{
	(void)ctx;
	if (ssid != 0 || sch != 3)
		return -ENOENT;
	*out = (struct chsc_ssqd_desc){ .flags = SSQD_FLAG_QDIO | SSQD_FLAG_VALID,
		.sch = sch, .qfmt = 0, .qdioac1 = 0x6C, .icnt = 1, .ocnt = 4,
		.sch_token = 0x1122334455667788ull, .mmwc = 7 };
	return 0;
}

static int calls;
static const struct chsc_ops ops = { look_chp, look_ssqd, &calls };

TEST(chsc_scpd_request_bytes)
{
	/* What Linux builds for "SCPD fmt=0 rfmt=0 chpid 0A-0A". */
	struct chsc_scpd_req q = { .first = 0x0A, .last = 0x0A }, back;
	uint8_t b[SCPD_REQ_SIZE], want[SCPD_REQ_SIZE];

	REQUIRE(tc_hex("00100002 0000000A 0000000A 00000000", want, sizeof(want)) == 16);
	CHECK_EQ(chsc_scpd_req_encode(&q, b, sizeof(b)), SCPD_REQ_SIZE);
	CHECK_MEM(b, want, 16);
	CHECK_EQ(chsc_scpd_req_decode(want, sizeof(want), &back), 0);
	CHECK_EQ(back.first, 0x0A);
	CHECK_EQ(back.last, 0x0A);
	CHECK_EQ(back.fmt, 0);
	CHECK(!back.m);
}

TEST(chsc_scpd_request_fields_round_trip)
{
	struct chsc_scpd_req q = { true, true, 1, 0xFE, 3, 0x10, 0x20 }, back;
	uint8_t b[SCPD_REQ_SIZE];

	REQUIRE(chsc_scpd_req_encode(&q, b, sizeof(b)) == SCPD_REQ_SIZE);
	CHECK_EQ(b[4], 0x31);
	CHECK_EQ(b[5], 0xFE);
	CHECK_EQ(b[6], 0x03);
	CHECK_EQ(chsc_scpd_req_decode(b, sizeof(b), &back), 0);
	CHECK(back.m && back.c);
	CHECK_EQ(back.fmt, 1);
	CHECK_EQ(back.cssid, 0xFE);
	CHECK_EQ(back.rfmt, 3);
	CHECK_EQ(back.first, 0x10);
	CHECK_EQ(back.last, 0x20);
	q.fmt = 16;
	CHECK_EQ(chsc_scpd_req_encode(&q, b, sizeof(b)), -EINVAL);
	q.fmt = 0;
	CHECK_EQ(chsc_scpd_req_encode(&q, b, 15), -ENOSPC);
}

TEST(chsc_scpd_request_decode_refusals)
{
	uint8_t b[SCPD_REQ_SIZE];
	struct chsc_scpd_req q;

	REQUIRE(tc_hex("00100002 0000000A 0000000A 00000000", b, sizeof(b)) == 16);
	CHECK_EQ(chsc_scpd_req_decode(b, 15, &q), -EMSGSIZE);
	b[1] = 0x18;	/* length field */
	CHECK_EQ(chsc_scpd_req_decode(b, sizeof(b), &q), -EMSGSIZE);
	b[1] = 0x10;
	b[3] = 0x24;	/* code */
	CHECK_EQ(chsc_scpd_req_decode(b, sizeof(b), &q), -EPROTO);
	b[3] = 0x02;
	b[4] = 0x80;	/* reserved bit */
	CHECK_EQ(chsc_scpd_req_decode(b, sizeof(b), &q), -EBADMSG);
	b[4] = 0;
	b[6] = 0x10;	/* reserved nibble before rfmt */
	CHECK_EQ(chsc_scpd_req_decode(b, sizeof(b), &q), -EBADMSG);
	b[6] = 0;
	b[9] = 1;	/* reserved before last */
	CHECK_EQ(chsc_scpd_req_decode(b, sizeof(b), &q), -EBADMSG);
	b[9] = 0;
	b[0x0F] = 1;
	CHECK_EQ(chsc_scpd_req_decode(b, sizeof(b), &q), -EBADMSG);
	b[0x0F] = 0;
	b[7] = 0x0B;	/* first > last */
	CHECK_EQ(chsc_scpd_req_decode(b, sizeof(b), &q), -EBADMSG);
}

TEST(chsc_handle_scpd_for_the_nic_chpid)
{
	uint8_t blk[CHSC_BLOCK_SIZE];
	uint8_t want[16];
	uint16_t rc = 0;
	struct chsc_rsp r;
	struct chsc_chpd0 d;

	memset(blk, 0xEE, sizeof(blk));	/* stale page contents */
	REQUIRE(tc_hex("00100002 0000000A 0000000A 00000000", blk, 16) == 16);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_OK);
	/* Response header at 0x10: length 8 + 8, code 1; descriptor at 0x18. */
	REQUIRE(tc_hex("00100001 00000000 8000110A 00000000", want, sizeof(want)) == 16);
	CHECK_MEM(blk + 0x10, want, 16);
	CHECK_EQ(chsc_rsp_decode(blk + 0x10, CHSC_BLOCK_SIZE - 0x10, &r), 0);
	CHECK_EQ(r.len, 16);
	CHECK_EQ(r.code, CHSC_RC_OK);
	CHECK_EQ(chsc_chpd0_decode(blk + 0x18, 8, &d), 0);
	CHECK_EQ(d.flags, CHPD0_VALID);
	CHECK_EQ(d.desc, CHP_TYPE_OSD);
	CHECK_EQ(d.chpid, 0x0A);
	CHECK_EQ(blk[0x20], 0);	/* the rest of the page is cleared */
	CHECK_EQ(blk[0xFFF], 0);
}

TEST(chsc_handle_scpd_range_marks_unknown_chpids_invalid)
{
	uint8_t blk[CHSC_BLOCK_SIZE] = { 0 };
	struct chsc_scpd_req q = { .first = 0x08, .last = 0x0B };
	uint16_t rc;
	struct chsc_chpd0 d;

	calls = 0;
	REQUIRE(chsc_scpd_req_encode(&q, blk, sizeof(blk)) == 16);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_OK);
	CHECK_EQ(calls, 4);
	CHECK_EQ(blk[0x11], 8 + 4 * 8);
	for (unsigned i = 0; i < 4; i++) {
		REQUIRE(chsc_chpd0_decode(blk + 0x18 + 8 * i, 8, &d) == 0);
		CHECK_EQ(d.flags, i == 2 ? CHPD0_VALID : 0);
		CHECK_EQ(d.chpid, i == 2 ? 0x0A : 0);
	}
}

TEST(chsc_handle_scpd_full_range_fits)
{
	uint8_t blk[CHSC_BLOCK_SIZE] = { 0 };
	struct chsc_scpd_req q = { .first = 0, .last = 0xFF };
	uint16_t rc;
	struct chsc_rsp r;

	REQUIRE(chsc_scpd_req_encode(&q, blk, sizeof(blk)) == 16);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), NULL, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_OK);
	REQUIRE(chsc_rsp_decode(blk + 16, sizeof(blk) - 16, &r) == 0);
	CHECK_EQ(r.len, 8 + 256 * 8);
}

TEST(chsc_handle_scpd_refuses_other_formats)
{
	uint8_t blk[CHSC_BLOCK_SIZE] = { 0 };
	struct chsc_scpd_req q = { .rfmt = 1, .first = 0x0A, .last = 0x0A };
	uint16_t rc;

	REQUIRE(chsc_scpd_req_encode(&q, blk, sizeof(blk)) == 16);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_REQ_ERROR);
	CHECK_EQ(blk[0x11], 8);	/* header only */
	q.rfmt = 0;
	q.cssid = 1;	/* without m */
	REQUIRE(chsc_scpd_req_encode(&q, blk, sizeof(blk)) == 16);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_REQ_ERROR);
	q.m = true;	/* with m: asked about CSS 1, which has no such chpid */
	REQUIRE(chsc_scpd_req_encode(&q, blk, sizeof(blk)) == 16);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_OK);
	CHECK_EQ(blk[0x18], 0);
}

TEST(chsc_handle_scpd_bad_fields_are_request_errors)
{
	uint8_t blk[CHSC_BLOCK_SIZE] = { 0 };
	uint16_t rc;

	REQUIRE(tc_hex("00100002 0000000B 0000000A 00000000", blk, 16) == 16);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_REQ_ERROR);
	/* Wrong request length for SCPD (a valid block length). */
	memset(blk, 0, sizeof(blk));
	REQUIRE(tc_hex("00180002 0000000A 0000000A 00000000", blk, 16) == 16);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_REQ_ERROR);
	CHECK_EQ(blk[0x19], 8);	/* the response header sits at the request length */
	CHECK_EQ(blk[0x1B], CHSC_RC_REQ_ERROR);
}

TEST(chsc_ssqd_request_bytes)
{
	/* "SSQD sch 0003-0003": len 0x10, code 0x24, first 3, last 3. */
	struct chsc_ssqd_req q = { .first = 3, .last = 3 }, back;
	uint8_t b[SSQD_REQ_SIZE], want[SSQD_REQ_SIZE];

	REQUIRE(tc_hex("00100024 00000003 00000003 00000000", want, sizeof(want)) == 16);
	CHECK_EQ(chsc_ssqd_req_encode(&q, b, sizeof(b)), 16);
	CHECK_MEM(b, want, 16);
	q.ssid = 2;
	q.fmt = 1;
	REQUIRE(chsc_ssqd_req_encode(&q, b, sizeof(b)) == 16);
	CHECK_EQ(b[5], 0x21);
	CHECK_EQ(chsc_ssqd_req_decode(b, sizeof(b), &back), 0);
	CHECK_EQ(back.ssid, 2);
	CHECK_EQ(back.fmt, 1);
	CHECK_EQ(back.first, 3);
	q.ssid = 4;
	CHECK_EQ(chsc_ssqd_req_encode(&q, b, sizeof(b)), -EINVAL);
	q.ssid = 0;
	CHECK_EQ(chsc_ssqd_req_encode(&q, b, 8), -ENOSPC);
}

TEST(chsc_ssqd_request_decode_refusals)
{
	uint8_t b[SSQD_REQ_SIZE];
	struct chsc_ssqd_req q;

	REQUIRE(tc_hex("00100024 00000003 00000003 00000000", b, sizeof(b)) == 16);
	CHECK_EQ(chsc_ssqd_req_decode(b, 8, &q), -EMSGSIZE);
	b[3] = 0x02;
	CHECK_EQ(chsc_ssqd_req_decode(b, sizeof(b), &q), -EPROTO);
	b[3] = 0x24;
	b[4] = 0x01;
	CHECK_EQ(chsc_ssqd_req_decode(b, sizeof(b), &q), -EBADMSG);
	b[4] = 0;
	b[5] = 0x40;
	CHECK_EQ(chsc_ssqd_req_decode(b, sizeof(b), &q), -EBADMSG);
	b[5] = 0;
	b[8] = 1;
	CHECK_EQ(chsc_ssqd_req_decode(b, sizeof(b), &q), -EBADMSG);
	b[8] = 0;
	b[0x0C] = 1;
	CHECK_EQ(chsc_ssqd_req_decode(b, sizeof(b), &q), -EBADMSG);
	b[0x0C] = 0;
	b[0x0B] = 2;	/* last < first */
	CHECK_EQ(chsc_ssqd_req_decode(b, sizeof(b), &q), -EBADMSG);
}

TEST(chsc_handle_ssqd_for_the_data_subchannel)
{
	uint8_t blk[CHSC_BLOCK_SIZE] = { 0 };
	uint8_t want[0x28];
	uint16_t rc;
	struct chsc_ssqd_desc d;

	REQUIRE(tc_hex("00100024 00000003 00000003 00000000", blk, 16) == 16);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_OK);
	REQUIRE(tc_hex("00280001 00000000"
		       "C0000003 00006C00 00010004 00000000 11223344 55667788"
		       "00000000 00000007", want, sizeof(want)) == 0x28);
	CHECK_MEM(blk + 0x10, want, sizeof(want));
	CHECK_EQ(chsc_ssqd_desc_decode(blk + 0x18, SSQD_DESC_SIZE, &d), 0);
	CHECK_EQ(d.flags, 0xC0);
	CHECK_EQ(d.sch, 3);
	CHECK_EQ(d.qdioac1, 0x6C);
	CHECK_EQ(d.icnt, 1);
	CHECK_EQ(d.ocnt, 4);
	CHECK_EQ(d.sch_token, 0x1122334455667788ull);
	CHECK_EQ(d.mmwc, 7);
}

TEST(chsc_handle_ssqd_unknown_subchannel_is_not_valid)
{
	uint8_t blk[CHSC_BLOCK_SIZE] = { 0 };
	uint16_t rc;
	struct chsc_ssqd_req q = { .first = 2, .last = 4 };

	REQUIRE(chsc_ssqd_req_encode(&q, blk, sizeof(blk)) == 16);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_OK);
	CHECK_EQ(blk[0x11], 8 + 3 * 32);
	CHECK_EQ(blk[0x18], 0);		/* sch 2 */
	CHECK_EQ(blk[0x38], 0xC0);	/* sch 3 */
	CHECK_EQ(blk[0x58], 0);		/* sch 4 */
}

TEST(chsc_handle_ssqd_response_must_fit_the_page)
{
	uint8_t blk[CHSC_BLOCK_SIZE] = { 0 };
	uint16_t rc;
	/* 16 + 8 + n * 32 <= 4096 -> n <= 127. */
	struct chsc_ssqd_req q = { .first = 0, .last = 126 };

	REQUIRE(chsc_ssqd_req_encode(&q, blk, sizeof(blk)) == 16);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_OK);
	q.last = 127;
	REQUIRE(chsc_ssqd_req_encode(&q, blk, sizeof(blk)) == 16);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_REQ_ERROR);
	q.last = 0xFFFF;
	REQUIRE(chsc_ssqd_req_encode(&q, blk, sizeof(blk)) == 16);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_REQ_ERROR);
}

TEST(chsc_handle_ssqd_other_format_is_request_error)
{
	uint8_t blk[CHSC_BLOCK_SIZE] = { 0 };
	uint16_t rc;
	struct chsc_ssqd_req q = { .fmt = 1, .first = 3, .last = 3 };

	REQUIRE(chsc_ssqd_req_encode(&q, blk, sizeof(blk)) == 16);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_REQ_ERROR);
}

TEST(chsc_handle_unknown_code_is_not_supported)
{
	/* trace: "len=0010 req=0010" (CSS characteristics) is left unsupported. */
	uint8_t blk[CHSC_BLOCK_SIZE] = { 0 };
	uint16_t rc;

	REQUIRE(tc_hex("00100010", blk, 4) == 4);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_NOT_SUPPORTED);
	CHECK_EQ(blk[0x11], 8);
	CHECK_EQ(blk[0x13], 4);
	/* "len=0400 req=0031": the response goes at 0x400. */
	memset(blk, 0, sizeof(blk));
	REQUIRE(tc_hex("04000031", blk, 4) == 4);
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_NOT_SUPPORTED);
	CHECK_EQ(blk[0x401], 8);
	CHECK_EQ(blk[0x403], 4);
}

TEST(chsc_handle_bad_block_length_stores_nothing)
{
	uint8_t blk[CHSC_BLOCK_SIZE] = { 0 };
	uint16_t rc = 0x7777;
	static const uint16_t bad[] = { 0, 8, 0x0F, 0x14, 0x0FF9, 0x0FF0 + 16, 0xFFFF };

	for (unsigned i = 0; i < CPNET_ARRAY_SIZE(bad); i++) {
		blk[0] = (uint8_t)(bad[i] >> 8);
		blk[1] = (uint8_t)bad[i];
		blk[3] = 0x02;
		CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), -EMSGSIZE);
	}
	CHECK_EQ(rc, 0x7777);
	CHECK_EQ(chsc_handle(blk, CHSC_BLOCK_SIZE - 1, &ops, &rc), -EMSGSIZE);
	/* The largest request length leaves exactly a response header. */
	memset(blk, 0, sizeof(blk));
	blk[0] = 0x0F;
	blk[1] = 0xF8;
	blk[3] = 0x24;
	CHECK_EQ(chsc_handle(blk, sizeof(blk), &ops, &rc), 0);
	CHECK_EQ(rc, CHSC_RC_REQ_ERROR);
	CHECK_EQ(blk[0xFF9], 8);
}

TEST(chsc_rsp_and_descriptor_codecs)
{
	struct chsc_rsp r = { 0x28, 1, 0xDEADBEEF }, rb;
	struct chsc_chpd0 c = { 0x80, 1, 0x24, 0xF0, 2, 3, 0x02 }, cb;
	struct chsc_ssqd_desc s = { 0xC0, 0x1234, 2, 5, 0x60, 6, 7, 8, 9, 10, 0x0080,
				    0x0102030405060708ull, 11, 12, 0x8000, 13 }, sb;
	uint8_t b[64];

	REQUIRE(chsc_rsp_encode(&r, b, sizeof(b)) == 8);
	CHECK_EQ(chsc_rsp_decode(b, 0x28, &rb), 0);
	CHECK_EQ(rb.info, 0xDEADBEEF);
	CHECK_EQ(chsc_rsp_decode(b, 0x27, &rb), -EMSGSIZE);	/* length beyond buffer */
	CHECK_EQ(chsc_rsp_decode(b, 7, &rb), -EMSGSIZE);
	b[1] = 4;
	CHECK_EQ(chsc_rsp_decode(b, 0x28, &rb), -EBADMSG);	/* shorter than itself */
	CHECK_EQ(chsc_rsp_encode(&r, b, 7), -ENOSPC);

	REQUIRE(chsc_chpd0_encode(&c, b, sizeof(b)) == 8);
	CHECK_EQ(b[5], 0);
	CHECK_EQ(chsc_chpd0_decode(b, 8, &cb), 0);
	CHECK_EQ(cb.desc, 0x24);
	CHECK_EQ(cb.chpid, 0xF0);
	CHECK_EQ(cb.swla, 2);
	CHECK_EQ(cb.chla, 3);
	CHECK_EQ(cb.chpp, CHPD0_CHPP_ONE_OUTQ);
	CHECK_EQ(chsc_chpd0_decode(b, 7, &cb), -EMSGSIZE);
	CHECK_EQ(chsc_chpd0_encode(&c, b, 7), -ENOSPC);

	memset(b, 0xAA, sizeof(b));
	REQUIRE(chsc_ssqd_desc_encode(&s, b, sizeof(b)) == 32);
	CHECK_EQ(b[1], 0);	/* reserved bytes cleared */
	CHECK_EQ(b[0x0A], 0);
	CHECK_EQ(chsc_ssqd_desc_decode(b, 32, &sb), 0);
	CHECK_EQ(sb.sch, 0x1234);
	CHECK_EQ(sb.qfmt, 2);
	CHECK_EQ(sb.parm, 5);
	CHECK_EQ(sb.qdioac1, 0x60);
	CHECK_EQ(sb.sch_class, 6);
	CHECK_EQ(sb.pcnt, 7);
	CHECK_EQ(sb.icnt, 8);
	CHECK_EQ(sb.ocnt, 9);
	CHECK_EQ(sb.mbccnt, 10);
	CHECK_EQ(sb.qdioac2, 0x0080);
	CHECK_EQ(sb.sch_token, 0x0102030405060708ull);
	CHECK_EQ(sb.mro, 11);
	CHECK_EQ(sb.mri, 12);
	CHECK_EQ(sb.qdioac3, 0x8000);
	CHECK_EQ(sb.mmwc, 13);
	CHECK_EQ(chsc_ssqd_desc_decode(b, 31, &sb), -EMSGSIZE);
	CHECK_EQ(chsc_ssqd_desc_encode(&s, b, 31), -ENOSPC);
}
