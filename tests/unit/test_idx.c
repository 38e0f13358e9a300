/* tests/unit/test_idx.c - IDX ACTIVATE/TERMINATE codecs against the bytes a Linux 6.1 guest
 * sent (trace-q3d), adapter replies round-tripped through the driver-side checks. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "qeth/idx.h"
#include "tests/tcheck.h"

/* trace-q3d_vnic_echo_online.log: IDX ACTIVATE on 0A00 (read) and 0A01 (write). */
static const char trace_idx_read[] =
	"00008000 00000000 190101C0 00010103 01010000 0000C8C1 D3D3D6D3 C5400A02 0202";
static const char trace_idx_write[] =
	"00008000 00000000 150101C0 00010103 01010000 0000C8C1 D3D3D6D3 C5400A02 0202";
/* The probe's positive reply on the read device, which qeth accepted. */
static const char trace_idx_read_reply[] =
	"00008000 00000000 1A0001C0 C6C5C1E2 02010000 0102C8C1 D3D3D6D3 C5400A02 0202";

static const uint8_t qet1[4] = { 0xD8, 0xC5, 0xE3, 0xF1 };

TEST(idx_decode_trace_read_request)
{
	uint8_t b[64];
	struct idx_req r;

	REQUIRE(tc_hex(trace_idx_read, b, sizeof(b)) == IDX_REQ_SIZE);
	REQUIRE(idx_req_decode(b, IDX_REQ_SIZE, &r) == 0);
	CHECK_EQ(r.seq, 0);
	CHECK_EQ(r.type, IDX_TYPE_READ);
	CHECK_EQ(r.paths, 1);
	CHECK_EQ(r.port_flags, 0xC0);
	CHECK_EQ(r.portno, 0);
	CHECK_EQ(r.token, 0x00010103);
	CHECK_EQ(r.func_level, IDX_FL_OSD);
	CHECK_MEM(r.name, idx_name_hallole, IDX_NAME_LEN);
	CHECK_EQ(r.datadev, 0x0A02);
	CHECK_EQ(r.realaddr, 0x0202);
}

TEST(idx_decode_trace_write_request)
{
	uint8_t b[64];
	struct idx_req r;

	REQUIRE(tc_hex(trace_idx_write, b, sizeof(b)) == IDX_REQ_SIZE);
	REQUIRE(idx_req_decode(b, IDX_REQ_SIZE, &r) == 0);
	CHECK_EQ(r.type, IDX_TYPE_WRITE);
	CHECK_EQ(r.token, IDX_HOST_TOKEN);
	CHECK_EQ(r.func_level, 0x0101);
	CHECK_EQ(r.datadev, 0x0A02);
}

TEST(idx_driver_request_matches_trace)
{
	uint8_t want[64], got[64];
	struct idx_req r;

	REQUIRE(tc_hex(trace_idx_read, want, sizeof(want)) == IDX_REQ_SIZE);
	idx_req_linux(&r, true, 0, IDX_FL_OSD, 0x0A02, 0x0202);
	CHECK_EQ(idx_req_encode(&r, got, sizeof(got)), IDX_REQ_SIZE);
	CHECK_MEM(got, want, IDX_REQ_SIZE);

	REQUIRE(tc_hex(trace_idx_write, want, sizeof(want)) == IDX_REQ_SIZE);
	idx_req_linux(&r, false, 0, IDX_FL_OSD, 0x0A02, 0x0202);
	CHECK_EQ(idx_req_encode(&r, got, sizeof(got)), IDX_REQ_SIZE);
	CHECK_MEM(got, want, IDX_REQ_SIZE);
}

TEST(idx_decode_trace_probe_reply)
{
	uint8_t b[64];
	struct idx_reply r;

	REQUIRE(tc_hex(trace_idx_read_reply, b, sizeof(b)) == IDX_REQ_SIZE);
	REQUIRE(idx_reply_decode(b, IDX_REQ_SIZE, &r) == 0);
	CHECK_EQ(r.verdict, IDX_POSITIVE);
	CHECK_EQ(r.port_flags, 0xC0);
	CHECK_EQ(r.portno, 0);
	CHECK_EQ(r.token, 0xC6C5C1E2); /* EBCDIC "FEAS" */
	CHECK_EQ(r.func_level, 0x0201);
	CHECK_EQ(r.mcl[0], 0x00);
	CHECK_EQ(r.mcl[1], 0x00);
	CHECK_EQ(r.mcl[2], 0x01);
	CHECK_EQ(r.mcl[3], 0x02);
	CHECK_EQ(idx_reply_check(&r, true, IDX_FL_OSD), 0);
	/* qeth only needs the reply up to the microcode level. */
	CHECK_EQ(idx_reply_accept(b, IDX_REPLY_MIN, true, IDX_FL_OSD, &r), 0);
	CHECK_EQ(idx_reply_accept(b, IDX_REPLY_MIN - 1, true, IDX_FL_OSD, &r), -EMSGSIZE);
}

TEST(idx_peer_level_rules)
{
	CHECK_EQ(idx_peer_level(0x0101), 0x0201);
	CHECK_EQ(idx_peer_level(0x4108), 0x0408);
	CHECK_EQ(idx_peer_level(0x0201), 0x0201); /* neither rule: unchanged */
}

TEST(idx_roundtrip_positive_read_and_write)
{
	uint8_t req[64], rep[64];
	struct idx_req r, back;
	struct idx_reply_params p = { .verdict = IDX_POSITIVE, .token = 0xD8C5E3F1,
				      .mcl = { 0xC8, 0xD9, 0xC3, 0xF1 } };
	struct idx_reply got;

	for (int rd = 0; rd < 2; rd++) {
		idx_req_linux(&r, rd, 0, IDX_FL_OSD, 0x0A02, 0x0202);
		REQUIRE(idx_req_encode(&r, req, sizeof(req)) == IDX_REQ_SIZE);
		REQUIRE(idx_req_decode(req, IDX_REQ_SIZE, &back) == 0);
		CHECK_EQ(idx_reply_encode(&back, &p, rep, sizeof(rep)), IDX_REQ_SIZE);
		CHECK_EQ(rep[IDX_OFF_CMD], 0x80);
		CHECK_EQ(rep[IDX_OFF_REPLY] & 3, 2);
		CHECK_EQ(rep[IDX_OFF_REPLY] & 0xFC, rd ? 0x18 : 0x14);
		CHECK_EQ(rep[IDX_OFF_PORT], 0xC0);
		CHECK_MEM(rep + IDX_OFF_TOKEN, qet1, 4);
		CHECK_EQ(rep[IDX_OFF_FUNC_LEVEL], 0x02);
		CHECK_EQ(rep[IDX_OFF_FUNC_LEVEL + 1], 0x01);
		CHECK_EQ(idx_reply_accept(rep, IDX_REQ_SIZE, rd, IDX_FL_OSD, &got), 0);
		CHECK_EQ(got.token, 0xD8C5E3F1);
		CHECK_MEM(got.mcl, p.mcl, 4);
	}
}

TEST(idx_roundtrip_iqd_level)
{
	uint8_t req[64], rep[64];
	struct idx_req r;
	struct idx_reply_params p = { .verdict = IDX_POSITIVE, .token = 1 };
	struct idx_reply got;

	idx_req_linux(&r, true, 3, IDX_FL_IQD, 0x0700, 0x0000);
	REQUIRE(idx_req_encode(&r, req, sizeof(req)) == IDX_REQ_SIZE);
	CHECK_EQ(req[IDX_OFF_PORT], 0xC3);
	REQUIRE(idx_req_decode(req, IDX_REQ_SIZE, &r) == 0);
	CHECK_EQ(r.portno, 3);
	REQUIRE(idx_reply_encode(&r, &p, rep, sizeof(rep)) == IDX_REQ_SIZE);
	CHECK_EQ(idx_reply_accept(rep, IDX_REQ_SIZE, true, IDX_FL_IQD, &got), 0);
	CHECK_EQ(got.func_level, 0x0408);
	CHECK_EQ(got.portno, 3);
}

TEST(idx_request_too_short)
{
	uint8_t b[64];
	struct idx_req r;

	REQUIRE(tc_hex(trace_idx_read, b, sizeof(b)) == IDX_REQ_SIZE);
	CHECK_EQ(idx_req_decode(b, IDX_REQ_SIZE - 1, &r), -EMSGSIZE);
	CHECK_EQ(idx_req_decode(b, 0, &r), -EMSGSIZE);
}

TEST(idx_request_not_device_directed)
{
	uint8_t b[64];
	struct idx_req r;

	REQUIRE(tc_hex(trace_idx_read, b, sizeof(b)) == IDX_REQ_SIZE);
	b[IDX_OFF_CMD] = 0xC0; /* a TERMINATE is never a host request */
	CHECK_EQ(idx_req_decode(b, IDX_REQ_SIZE, &r), -EPROTO);
	b[IDX_OFF_CMD] = 0x80;
	b[IDX_OFF_CMD + 1] = 0x01;
	CHECK_EQ(idx_req_decode(b, IDX_REQ_SIZE, &r), -EPROTO);
}

TEST(idx_request_unknown_type)
{
	uint8_t b[64];
	struct idx_req r;

	REQUIRE(tc_hex(trace_idx_read, b, sizeof(b)) == IDX_REQ_SIZE);
	b[IDX_OFF_TYPE] = 0x1A; /* a reply type in a request */
	CHECK_EQ(idx_req_decode(b, IDX_REQ_SIZE, &r), -EPROTO);
}

TEST(idx_reply_terminate)
{
	uint8_t req[64], rep[64];
	struct idx_req r;
	struct idx_reply_params p = { .verdict = IDX_TERMINATE, .cause = 0x22 };
	struct idx_reply got;

	idx_req_linux(&r, true, 0, IDX_FL_OSD, 0x0A02, 0x0202);
	REQUIRE(idx_req_encode(&r, req, sizeof(req)) == IDX_REQ_SIZE);
	REQUIRE(idx_reply_encode(&r, &p, rep, sizeof(rep)) == IDX_REQ_SIZE);
	CHECK(idx_is_terminate(rep, IDX_REQ_SIZE));
	CHECK_EQ(rep[IDX_OFF_SEQ], 0x22);
	CHECK_EQ(idx_reply_accept(rep, IDX_REQ_SIZE, true, IDX_FL_OSD, &got), -ECONNRESET);
	CHECK_EQ(got.verdict, IDX_TERMINATE);
	CHECK_EQ(got.cause, 0x22);
	/* "Bad transport mode" causes are told apart. */
	rep[IDX_OFF_SEQ] = IDX_TERM_BAD_MODE;
	CHECK_EQ(idx_reply_accept(rep, IDX_REQ_SIZE, true, IDX_FL_OSD, &got), -EPROTONOSUPPORT);
	rep[IDX_OFF_SEQ] = IDX_TERM_BAD_MODE2;
	CHECK_EQ(idx_reply_accept(rep, IDX_REQ_SIZE, false, IDX_FL_OSD, &got), -EPROTONOSUPPORT);
	/* A TERMINATE needs only its cause byte, and must have it. */
	CHECK_EQ(idx_reply_accept(rep, 5, true, IDX_FL_OSD, &got), -EPROTONOSUPPORT);
	CHECK_EQ(idx_reply_accept(rep, 4, true, IDX_FL_OSD, &got), -EMSGSIZE);
	/* The MPC/positive shapes are not terminates. */
	CHECK(!idx_is_terminate(req, IDX_REQ_SIZE));
	CHECK(!idx_is_terminate(rep, 2));
}

TEST(idx_reply_negative_causes)
{
	uint8_t rep[64];
	struct idx_req r;
	struct idx_reply_params p = { .verdict = IDX_NEGATIVE };
	struct idx_reply got;
	static const struct {
		uint8_t cause;
		int err;
	} cases[] = {
		{ IDX_CAUSE_BUSY, -EBUSY },
		{ IDX_CAUSE_NOAUTH, -EPERM },
		{ IDX_CAUSE_NOAUTH2, -EPERM },
		{ 0x01, -ECONNREFUSED },
	};

	idx_req_linux(&r, true, 0, IDX_FL_OSD, 0x0A02, 0x0202);
	for (size_t i = 0; i < CPNET_ARRAY_SIZE(cases); i++) {
		p.cause = cases[i].cause;
		REQUIRE(idx_reply_encode(&r, &p, rep, sizeof(rep)) == IDX_REQ_SIZE);
		CHECK(!idx_is_terminate(rep, IDX_REQ_SIZE));
		CHECK((rep[IDX_OFF_REPLY] & 3) != 2);
		CHECK_EQ(rep[IDX_OFF_CAUSE], cases[i].cause);
		CHECK_EQ(idx_reply_accept(rep, IDX_REQ_SIZE, true, IDX_FL_OSD, &got), cases[i].err);
		CHECK_EQ(got.verdict, IDX_NEGATIVE);
	}
}

TEST(idx_reply_wrong_function_level)
{
	uint8_t b[64];
	struct idx_reply got;

	REQUIRE(tc_hex(trace_idx_read_reply, b, sizeof(b)) == IDX_REQ_SIZE);
	/* A plain echo of the request level (what the stock stub did) fails. */
	b[IDX_OFF_FUNC_LEVEL] = 0x01;
	CHECK_EQ(idx_reply_accept(b, IDX_REQ_SIZE, true, IDX_FL_OSD, &got), -EPROTO);
	CHECK_EQ(idx_reply_accept(b, IDX_REQ_SIZE, false, IDX_FL_OSD, &got), -EPROTO);
	/* 0x0301 passes only on the write device, which masks the 0x0100 bit. */
	b[IDX_OFF_FUNC_LEVEL] = 0x03;
	CHECK_EQ(idx_reply_accept(b, IDX_REQ_SIZE, true, IDX_FL_OSD, &got), -EPROTO);
	CHECK_EQ(idx_reply_accept(b, IDX_REQ_SIZE, false, IDX_FL_OSD, &got), 0);
	/* An OSD answer to an IQD request. */
	b[IDX_OFF_FUNC_LEVEL] = 0x02;
	CHECK_EQ(idx_reply_accept(b, IDX_REQ_SIZE, true, IDX_FL_IQD, &got), -EPROTO);
}

TEST(idx_encoders_refuse_bad_parameters)
{
	uint8_t b[64];
	struct idx_req r;
	struct idx_reply_params p = { .verdict = IDX_POSITIVE };

	idx_req_linux(&r, true, 0, IDX_FL_OSD, 0x0A02, 0x0202);
	CHECK_EQ(idx_req_encode(&r, b, IDX_REQ_SIZE - 1), -ENOSPC);
	CHECK_EQ(idx_reply_encode(&r, &p, b, IDX_REQ_SIZE - 1), -ENOSPC);
	p.verdict = (enum idx_verdict)7;
	CHECK_EQ(idx_reply_encode(&r, &p, b, sizeof(b)), -EINVAL);
	r.portno = 0x40; /* does not fit the six port bits */
	CHECK_EQ(idx_req_encode(&r, b, sizeof(b)), -EINVAL);
}

TEST(idx_unsolicited_terminate)
{
	uint8_t b[64];
	struct idx_reply got;

	CHECK_EQ(idx_terminate_encode(0x08, b, IDX_REQ_SIZE - 1), -ENOSPC);
	REQUIRE(idx_terminate_encode(0x08, b, sizeof(b)) == IDX_REQ_SIZE);
	CHECK_EQ(b[0], 0x00);
	CHECK_EQ(b[IDX_OFF_CMD], 0xC0);
	CHECK_EQ(b[IDX_OFF_SEQ], 0x08);
	CHECK(idx_is_terminate(b, IDX_REQ_SIZE));
	CHECK_EQ(idx_reply_accept(b, IDX_REQ_SIZE, false, IDX_FL_OSD, &got), -ECONNRESET);
	CHECK_EQ(got.cause, 0x08);
}
