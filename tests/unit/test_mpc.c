/* tests/unit/test_mpc.c - MPC framing and the CM/ULP/DM setup exchange: Linux's requests
 * byte for byte (trace-q3d heads + reference §2.5 bodies), full round trips, bad input. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/be.h"
#include "qeth/idx.h"
#include "qeth/mpc.h"
#include "tests/tcheck.h"

/* The five setup commands as a Linux 6.1 guest wrote them. The first 48 bytes of each
 * are the trace's (trace-q3d_vnic_echo_online.log, the probe echoed every request, so
 * the tokens are the host's own echoed back); the rest follows reference §2.5. */
static const char cm_enable_hex[] =
	"00E00000 00000001 00000014 00000063 10000001 00000000 817E0001 00000000"
	"00000000 00240023 00002305 C6C5C1E2"
	"00000000 00000000 01000023 00000040"
	"000C4102 00170000 00000000"
	"000B0401 7E0405 00010108"
	"000C0402 FFFFFFFF FFFFFFFF";
static const char cm_setup_hex[] =
	"00E00000 00000002 00000014 00000064 10000001 00000000 817E0001 00000001"
	"00000000 00240024 00002405 C6C5C1E2"
	"00000000 00000000 01000024 00000040"
	"000C4104 00180000 00000000"
	"00090404 05 0001010A"
	"00090405 05 00010108"
	"00060406 C800";
static const char ulp_enable_hex[] =
	"00E00000 00000003 00000014 0000006B 10000001 00000000 417E0001 00000002"
	"00000001 0024002B 00002B05 00010108"
	"00000000 00000000 0100002B 00000040"
	"000C4102 001F0000 00000000"
	"000B0401 08 04 05 0001010B"
	"0014040A 00200000 FFFF 00 08 C8E8C4F1 C7F10000";
static const char ulp_setup_hex[] =
	"00E00000 00000004 00000014 0000006C 10000001 00000000 417E0001 00000003"
	"00000002 0024002C 00002C05 00010108"
	"00000000 00000000 0100002C 00000040"
	"000C4104 00200000 00000000"
	"00090404 05 0001010D"
	"00090405 05 0001010B"
	"00060406 4000"
	"0008040B 0A02 0202";
static const char dm_act_hex[] =
	"00E00000 00000005 00000014 00000055 10000001 00000000 417E0001 00000004"
	"00000003 00240015 00002C05 00010108"
	"00000000 00000000 01000015 00000040"
	"000C4360 00090000 00000000"
	"00090404 05 0001010B";
/* Head of the first IPA command (STARTLAN), trace line ~255: IPA reuses the framing. */
static const char ipa_head_hex[] =
	"00E00000 00000006 00000014 00000054 10000001 00000000 C1080001 00000005"
	"00000004 00240014 00001405 0001010B 00000000 00000000 01000014 00000040";

#define TOK_FEAS 0xC6C5C1E2u /* the probe's issuer RM token, EBCDIC "FEAS" */
#define QET(n) (0xD8C5E3F0u + (n))

static int hex(const char *h, uint8_t *b, size_t cap) { return tc_hex(h, b, cap); }

TEST(mpc_decode_trace_cm_enable)
{
	uint8_t b[256];
	struct mpc_msg m;
	struct mpc_req r;

	REQUIRE(hex(cm_enable_hex, b, sizeof(b)) == MPC_CM_ENABLE_SIZE);
	REQUIRE(mpc_msg_decode(b, MPC_CM_ENABLE_SIZE, &m) == 0);
	CHECK_EQ(m.th_seq, 1);
	CHECK_EQ(m.total_len, 0x63);
	CHECK_EQ(m.rrh_off, 0x14);
	CHECK_EQ(m.ph_off, 0x38);
	CHECK_EQ(m.rrh_type, MPC_RRH_CM);
	CHECK_EQ(m.proto, MPC_PROTO_SETUP);
	CHECK_EQ(m.pdu_seq, 0);
	CHECK_EQ(m.ack_seq, 0);
	CHECK_EQ(m.dest_token, TOK_FEAS);
	CHECK_EQ(m.all_len, 0x23);
	CHECK_EQ(m.pdu_off, 0x40);
	CHECK_EQ(m.pdu_len, 0x23);

	REQUIRE(mpc_req_decode(b, MPC_CM_ENABLE_SIZE, &r) == 0);
	CHECK_EQ(r.cmd, MPC_CM_ENABLE);
	CHECK_EQ(r.puk.what, 0x41);
	CHECK_EQ(r.puk.type, MPC_PUK_ENABLE);
	CHECK_EQ(r.puk.total, 0x17);
	CHECK_EQ(r.filter_proto, 0x7E);
	CHECK_EQ(r.filter_token, MPC_TOK_CM_FILTER_W);
	CHECK_EQ(r.user_data[0], 0xFF);
	CHECK_EQ(r.user_data[7], 0xFF);
	CHECK_EQ(r.have, MPC_HAVE(MPC_PUS_FILTER) | MPC_HAVE(MPC_PUS_USER));
}

TEST(mpc_decode_trace_cm_setup)
{
	uint8_t b[256];
	struct mpc_req r;

	REQUIRE(hex(cm_setup_hex, b, sizeof(b)) == MPC_CM_SETUP_SIZE);
	REQUIRE(mpc_req_decode(b, MPC_CM_SETUP_SIZE, &r) == 0);
	CHECK_EQ(r.cmd, MPC_CM_SETUP);
	CHECK_EQ(r.msg.th_seq, 2);
	CHECK_EQ(r.msg.pdu_seq, 1);
	CHECK_EQ(r.msg.ack_seq, 0);
	CHECK_EQ(r.msg.dest_token, TOK_FEAS);
	CHECK_EQ(r.conn_token, MPC_TOK_CM_CONN_W);
	CHECK_EQ(r.peer_filter, 0x00010108);
	CHECK_EQ(r.pus06[0], 0xC8);
	CHECK_EQ(r.pus06[1], 0x00);
}

TEST(mpc_decode_trace_ulp_enable)
{
	uint8_t b[256];
	struct mpc_req r;
	static const uint8_t hyd1g1[8] = { 0xC8, 0xE8, 0xC4, 0xF1, 0xC7, 0xF1, 0, 0 };

	REQUIRE(hex(ulp_enable_hex, b, sizeof(b)) == MPC_ULP_ENABLE_SIZE);
	REQUIRE(mpc_req_decode(b, MPC_ULP_ENABLE_SIZE, &r) == 0);
	CHECK_EQ(r.cmd, MPC_ULP_ENABLE);
	CHECK_EQ(r.msg.rrh_type, MPC_RRH_ULP);
	CHECK_EQ(r.msg.th_seq, 3);
	CHECK_EQ(r.msg.pdu_seq, 2);
	CHECK_EQ(r.msg.ack_seq, 1);
	CHECK_EQ(r.msg.dest_token, 0x00010108);
	CHECK_EQ(r.filter_proto, MPC_PROTO_L2);
	CHECK_EQ(r.filter_token, MPC_TOK_ULP_FILTER_W);
	CHECK_EQ(r.ulp.mtu, 0xFFFF);
	CHECK_EQ(r.ulp.linknum, 0);
	CHECK_EQ(r.ulp.pname_len, 8);
	CHECK_MEM(r.ulp.pname, hyd1g1, 8);
	CHECK(!r.ulp.has_link_type);
}

TEST(mpc_decode_trace_ulp_setup)
{
	uint8_t b[256];
	struct mpc_req r;

	REQUIRE(hex(ulp_setup_hex, b, sizeof(b)) == MPC_ULP_SETUP_SIZE);
	REQUIRE(mpc_req_decode(b, MPC_ULP_SETUP_SIZE, &r) == 0);
	CHECK_EQ(r.cmd, MPC_ULP_SETUP);
	CHECK_EQ(r.msg.pdu_seq, 3);
	CHECK_EQ(r.conn_token, MPC_TOK_ULP_CONN_W);
	CHECK_EQ(r.peer_filter, 0x0001010B);
	CHECK_EQ(r.pus06[0], 0x40);
	CHECK_EQ(r.devno, 0x0A02);
	CHECK_EQ(r.realaddr, 0x0202);
}

TEST(mpc_decode_trace_dm_act_stale_all_length)
{
	uint8_t b[256];
	struct mpc_req r;

	REQUIRE(hex(dm_act_hex, b, sizeof(b)) == MPC_DM_ACT_SIZE);
	REQUIRE(mpc_req_decode(b, MPC_DM_ACT_SIZE, &r) == 0);
	CHECK_EQ(r.cmd, MPC_DM_ACT);
	CHECK_EQ(r.msg.pdu_len, 0x15);
	CHECK_EQ(r.msg.all_len, 0x2C); /* Linux's stale value, accepted */
	CHECK_EQ(r.puk.what, MPC_PUK_WHAT_DM);
	CHECK_EQ(r.puk.type, MPC_PUK_ACTIVE);
	CHECK_EQ(r.conn_token, 0x0001010B);
}

/* The driver encoders, stamped by mpc_seq the way qeth counts, reproduce all five
 * requests byte for byte; the ack follows the echoed replies' PDU seq. */
TEST(mpc_driver_requests_match_linux)
{
	uint8_t want[256], got[256];
	struct mpc_seq s;
	struct mpc_hdr h;
	int n;

	mpc_seq_reset(&s);
	CHECK_EQ(mpc_seq_idx(&s, false), 0); /* IDX on the read device */
	CHECK_EQ(mpc_seq_idx(&s, true), 0);  /* IDX on the write device */

	mpc_seq_stamp(&s, MPC_RRH_CM, MPC_PROTO_SETUP, TOK_FEAS, &h);
	n = hex(cm_enable_hex, want, sizeof(want));
	CHECK_EQ(mpc_cm_enable_encode(&h, MPC_TOK_CM_FILTER_W, got, sizeof(got)), n);
	CHECK_MEM(got, want, (size_t)n);
	REQUIRE(mpc_seq_ack(&s, got, (size_t)n) == 0); /* the echo carried PDU seq 0 */

	mpc_seq_stamp(&s, MPC_RRH_CM, MPC_PROTO_SETUP, TOK_FEAS, &h);
	n = hex(cm_setup_hex, want, sizeof(want));
	CHECK_EQ(mpc_cm_setup_encode(&h, MPC_TOK_CM_CONN_W, 0x00010108, got, sizeof(got)), n);
	CHECK_MEM(got, want, (size_t)n);
	REQUIRE(mpc_seq_ack(&s, got, (size_t)n) == 0);

	mpc_seq_stamp(&s, MPC_RRH_ULP, MPC_PROTO_SETUP, 0x00010108, &h);
	n = hex(ulp_enable_hex, want, sizeof(want));
	CHECK_EQ(mpc_ulp_enable_encode(&h, MPC_PROTO_L2, 0, MPC_TOK_ULP_FILTER_W, got, sizeof(got)), n);
	CHECK_MEM(got, want, (size_t)n);
	REQUIRE(mpc_seq_ack(&s, got, (size_t)n) == 0);

	mpc_seq_stamp(&s, MPC_RRH_ULP, MPC_PROTO_SETUP, 0x00010108, &h);
	n = hex(ulp_setup_hex, want, sizeof(want));
	CHECK_EQ(mpc_ulp_setup_encode(&h, MPC_TOK_ULP_CONN_W, 0x0001010B, 0x0A02, 0x0202,
				      got, sizeof(got)), n);
	CHECK_MEM(got, want, (size_t)n);
	REQUIRE(mpc_seq_ack(&s, got, (size_t)n) == 0);

	mpc_seq_stamp(&s, MPC_RRH_ULP, MPC_PROTO_SETUP, 0x00010108, &h);
	n = hex(dm_act_hex, want, sizeof(want));
	CHECK_EQ(mpc_dm_act_encode(&h, 0x0001010B, got, sizeof(got)), n);
	CHECK_MEM(got, want, (size_t)n);
	REQUIRE(mpc_seq_ack(&s, got, (size_t)n) == 0);

	/* The next command (the first IPA) gets transport 6, PDU 5, ack 4. */
	mpc_seq_stamp(&s, MPC_RRH_IPA, MPC_PROTO_L2, 0x0001010B, &h);
	CHECK_EQ(h.th_seq, 6);
	CHECK_EQ(h.pdu_seq, 5);
	CHECK_EQ(h.ack_seq, 4);
}

TEST(mpc_frame_encode_ipa_head_matches_trace)
{
	uint8_t want[64], got[256];
	struct mpc_hdr h = { .th_seq = 6, .rrh_type = MPC_RRH_IPA, .proto = MPC_PROTO_L2,
			     .pdu_seq = 5, .ack_seq = 4, .dest_token = 0x0001010B };
	struct mpc_msg m;

	REQUIRE(hex(ipa_head_hex, want, sizeof(want)) == MPC_PDU_OFF);
	CHECK_EQ(mpc_frame_encode(&h, 0x14, got, sizeof(got)), MPC_PDU_OFF);
	CHECK_MEM(got, want, MPC_PDU_OFF);
	memset(got + MPC_PDU_OFF, 0, 0x14);
	REQUIRE(mpc_msg_decode(got, 0x54, &m) == 0);
	CHECK_EQ(m.rrh_type, MPC_RRH_IPA);
	CHECK_EQ(m.proto, MPC_PROTO_L2);
	CHECK_EQ(m.pdu_len, 0x14);
}

TEST(mpc_frame_encode_limits)
{
	uint8_t b[128];
	struct mpc_hdr h = { .rrh_type = MPC_RRH_IPA };

	CHECK_EQ(mpc_frame_encode(&h, 0x41, b, 0x80), -ENOSPC);
	CHECK_EQ(mpc_frame_encode(&h, 0, b, 0x3F), -ENOSPC);
	CHECK_EQ(mpc_frame_encode(&h, 0x40, b, 0x80), MPC_PDU_OFF);
	CHECK_EQ(mpc_frame_encode(&h, MPC_PDU_MAX + 1, b, sizeof(b)), -EINVAL);
	h.all_len = 0x1000000;
	CHECK_EQ(mpc_frame_encode(&h, 0, b, sizeof(b)), -EINVAL);
}

/* Driver encodes -> adapter parses -> adapter answers -> driver reads, for all five. */
TEST(mpc_roundtrip_setup_exchange)
{
	uint8_t req[256], rep[MPC_MSG_MAX];
	struct mpc_seq s;
	struct mpc_hdr h, rh;
	struct mpc_req r;
	struct mpc_msg m;
	struct mpc_drv_loc loc;
	struct mpc_ulp_info ui;
	uint32_t cm_filter_r = 0, cm_conn_r = 0, ulp_conn_r = 0, adapter_seq = 0;
	int n, rn;

	mpc_seq_reset(&s);
	(void)mpc_seq_idx(&s, false);
	(void)mpc_seq_idx(&s, true);

	/* CM_ENABLE */
	mpc_seq_stamp(&s, MPC_RRH_CM, MPC_PROTO_SETUP, QET(1), &h);
	n = mpc_cm_enable_encode(&h, MPC_TOK_CM_FILTER_W, req, sizeof(req));
	REQUIRE(n == MPC_CM_ENABLE_SIZE);
	REQUIRE(mpc_req_decode(req, (size_t)n, &r) == 0);
	CHECK_EQ(r.cmd, MPC_CM_ENABLE);
	CHECK_EQ(r.msg.dest_token, QET(1));
	mpc_reply_hdr(&r, adapter_seq, adapter_seq, IDX_HOST_TOKEN, &rh);
	adapter_seq++;
	rn = mpc_cm_enable_reply_encode(&rh, &r, QET(2), rep, sizeof(rep));
	REQUIRE(rn > 0);
	REQUIRE(mpc_msg_decode(rep, (size_t)rn, &m) == 0);
	CHECK_EQ(m.rrh_type, MPC_RRH_CM);
	CHECK_EQ(m.ack_seq, r.msg.pdu_seq);
	REQUIRE(mpc_drv_locate(rep, (size_t)rn, &loc) == 0);
	CHECK_EQ(loc.rrh, m.rrh_off);
	CHECK_EQ(loc.ph, m.ph_off);
	CHECK_EQ(loc.pdu, m.pdu_off);
	CHECK(!loc.is_ipa);
	CHECK_EQ(mpc_drv_cm_enable_reply(rep, (size_t)rn, &cm_filter_r), 0);
	CHECK_EQ(cm_filter_r, QET(2));
	REQUIRE(mpc_seq_ack(&s, rep, (size_t)rn) == 0);

	/* CM_SETUP */
	mpc_seq_stamp(&s, MPC_RRH_CM, MPC_PROTO_SETUP, QET(1), &h);
	n = mpc_cm_setup_encode(&h, MPC_TOK_CM_CONN_W, cm_filter_r, req, sizeof(req));
	REQUIRE(n == MPC_CM_SETUP_SIZE);
	REQUIRE(mpc_req_decode(req, (size_t)n, &r) == 0);
	CHECK_EQ(r.cmd, MPC_CM_SETUP);
	CHECK_EQ(r.peer_filter, QET(2));
	CHECK_EQ(r.conn_token, MPC_TOK_CM_CONN_W);
	mpc_reply_hdr(&r, adapter_seq, adapter_seq, IDX_HOST_TOKEN, &rh);
	adapter_seq++;
	rn = mpc_cm_setup_reply_encode(&rh, &r, QET(3), rep, sizeof(rep));
	REQUIRE(rn > 0);
	REQUIRE(mpc_msg_decode(rep, (size_t)rn, &m) == 0);
	CHECK_EQ(mpc_drv_cm_setup_reply(rep, (size_t)rn, &cm_conn_r), 0);
	CHECK_EQ(cm_conn_r, QET(3));
	REQUIRE(mpc_seq_ack(&s, rep, (size_t)rn) == 0);
	CHECK_EQ(s.ack, 1);

	/* ULP_ENABLE (layer 3 this time) */
	mpc_seq_stamp(&s, MPC_RRH_ULP, MPC_PROTO_SETUP, cm_conn_r, &h);
	n = mpc_ulp_enable_encode(&h, MPC_PROTO_L3, 0, MPC_TOK_ULP_FILTER_W, req, sizeof(req));
	REQUIRE(n == MPC_ULP_ENABLE_SIZE);
	REQUIRE(mpc_req_decode(req, (size_t)n, &r) == 0);
	CHECK_EQ(r.cmd, MPC_ULP_ENABLE);
	CHECK_EQ(r.filter_proto, MPC_PROTO_L3);
	CHECK_EQ(r.msg.dest_token, QET(3));
	mpc_reply_hdr(&r, adapter_seq, adapter_seq, cm_conn_r, &rh);
	adapter_seq++;
	rn = mpc_ulp_enable_reply_encode(&rh, &r, QET(4), 9000, MPC_LINK_10GBE, rep, sizeof(rep));
	REQUIRE(rn > 0);
	REQUIRE(mpc_msg_decode(rep, (size_t)rn, &m) == 0);
	CHECK_EQ(be_get16(rep + m.pdu_off + MPC_REPLY_OFF_0ALEN), MPC_PUS_0A_LEN_LT);
	CHECK_EQ(mpc_drv_ulp_enable_reply(rep, (size_t)rn, &ui), 0);
	CHECK_EQ(ui.filter_token, QET(4));
	CHECK_EQ(ui.max_mtu, 9000);
	CHECK_EQ(ui.link_type, MPC_LINK_10GBE);
	REQUIRE(mpc_seq_ack(&s, rep, (size_t)rn) == 0);

	/* ULP_SETUP */
	mpc_seq_stamp(&s, MPC_RRH_ULP, MPC_PROTO_SETUP, cm_conn_r, &h);
	n = mpc_ulp_setup_encode(&h, MPC_TOK_ULP_CONN_W, ui.filter_token, 0x0A02, 0x0202,
				 req, sizeof(req));
	REQUIRE(n == MPC_ULP_SETUP_SIZE);
	REQUIRE(mpc_req_decode(req, (size_t)n, &r) == 0);
	CHECK_EQ(r.cmd, MPC_ULP_SETUP);
	CHECK_EQ(r.peer_filter, QET(4));
	CHECK_EQ(r.devno, 0x0A02);
	mpc_reply_hdr(&r, adapter_seq, adapter_seq, cm_conn_r, &rh);
	adapter_seq++;
	rn = mpc_ulp_setup_reply_encode(&rh, &r, QET(5), rep, sizeof(rep));
	REQUIRE(rn > 0);
	REQUIRE(mpc_msg_decode(rep, (size_t)rn, &m) == 0);
	CHECK_EQ(mpc_drv_ulp_setup_reply(rep, (size_t)rn, &ulp_conn_r), 0);
	CHECK_EQ(ulp_conn_r, QET(5));
	REQUIRE(mpc_seq_ack(&s, rep, (size_t)rn) == 0);

	/* DM_ACT */
	mpc_seq_stamp(&s, MPC_RRH_ULP, MPC_PROTO_SETUP, cm_conn_r, &h);
	n = mpc_dm_act_encode(&h, ulp_conn_r, req, sizeof(req));
	REQUIRE(n == MPC_DM_ACT_SIZE);
	REQUIRE(mpc_req_decode(req, (size_t)n, &r) == 0);
	CHECK_EQ(r.cmd, MPC_DM_ACT);
	CHECK_EQ(r.conn_token, QET(5));
	mpc_reply_hdr(&r, adapter_seq, adapter_seq, cm_conn_r, &rh);
	rn = mpc_dm_act_reply_encode(&rh, &r, rep, sizeof(rep));
	REQUIRE(rn > 0);
	REQUIRE(mpc_msg_decode(rep, (size_t)rn, &m) == 0);
	CHECK_EQ(m.pdu_len, MPC_PUK_SIZE + MPC_PUS_TOK_LEN);
	CHECK_EQ(mpc_drv_dm_act_reply(rep, (size_t)rn), 0);
}

/* The dispatcher and the reply PUS contents (what the adapter echoes). */
TEST(mpc_reply_contents)
{
	uint8_t req[256], rep[256];
	struct mpc_hdr h = { 0 }, rh;
	struct mpc_req r, back;
	struct mpc_adapter_params a = { .filter_token = QET(4), .conn_token = QET(5),
					.max_mtu = 1500, .link_type = MPC_LINK_GBE };
	int n, rn;

	n = mpc_ulp_setup_encode(&h, MPC_TOK_ULP_CONN_W, QET(4), 0x0A02, 0x0202, req, sizeof(req));
	REQUIRE(mpc_req_decode(req, (size_t)n, &r) == 0);
	mpc_reply_hdr(&r, 9, 7, QET(3), &rh);
	rn = mpc_reply_encode(&rh, &r, &a, rep, sizeof(rep));
	REQUIRE(rn == MPC_PDU_OFF + MPC_PUK_SIZE + 0x22);
	/* A full parse of our reply: confirm PUK, echoed host token, copied PUS-0B. */
	REQUIRE(mpc_msg_decode(rep, (size_t)rn, &back.msg) == 0);
	CHECK_EQ(back.msg.th_seq, 9);
	CHECK_EQ(back.msg.pdu_seq, 7);
	CHECK_EQ(back.msg.dest_token, QET(3));
	{
		struct mpc_puk puk;
		struct mpc_pus_iter it;
		struct mpc_pus s;
		uint32_t tok;
		uint16_t dev, ra;
		const uint8_t *d;
		size_t dn;

		REQUIRE(mpc_puk_decode(rep + MPC_PDU_OFF, back.msg.pdu_len, &puk) == 0);
		CHECK_EQ(puk.type, MPC_PUK_CONFIRM);
		mpc_pus_iter_init(&it, rep + MPC_PDU_OFF, &puk);
		REQUIRE(mpc_pus_next(&it, &s) == 1);
		CHECK_EQ(mpc_pus_token(&s, &tok), 0);
		CHECK_EQ(tok, MPC_TOK_ULP_CONN_W);
		REQUIRE(mpc_pus_next(&it, &s) == 1);
		CHECK_EQ(s.type, MPC_PUS_CONN_R);
		CHECK_EQ(mpc_pus_token(&s, &tok), 0);
		CHECK_EQ(tok, QET(5));
		REQUIRE(mpc_pus_next(&it, &s) == 1);
		CHECK_EQ(mpc_pus_bytes(&s, &d, &dn), 0);
		CHECK_EQ(dn, 4);
		CHECK_EQ(d[0], 0x40);
		REQUIRE(mpc_pus_next(&it, &s) == 1);
		CHECK_EQ(mpc_pus_devno(&s, &dev, &ra), 0);
		CHECK_EQ(dev, 0x0A02);
		CHECK_EQ(ra, 0x0202);
		CHECK_EQ(mpc_pus_next(&it, &s), 0);
	}
	/* Each reply encoder refuses another command's request. */
	CHECK_EQ(mpc_cm_enable_reply_encode(&rh, &r, 1, rep, sizeof(rep)), -EPROTO);
	CHECK_EQ(mpc_dm_act_reply_encode(&rh, &r, rep, sizeof(rep)), -EPROTO);
	/* An IPA-typed reply header would be misrouted by the driver. */
	rh.rrh_type = MPC_RRH_IPA;
	CHECK_EQ(mpc_reply_encode(&rh, &r, &a, rep, sizeof(rep)), -EINVAL);
	rh.rrh_type = MPC_RRH_ULP;
	CHECK_EQ(mpc_reply_encode(&rh, &r, &a, rep, MPC_PDU_OFF + 4), -ENOSPC);
}

TEST(mpc_ulp_enable_reply_link_type_rules)
{
	uint8_t req[256], rep[256];
	struct mpc_hdr h = { 0 }, rh;
	struct mpc_req r;
	struct mpc_ulp_info ui;
	int n, rn;

	n = mpc_ulp_enable_encode(&h, MPC_PROTO_L2, 0, MPC_TOK_ULP_FILTER_W, req, sizeof(req));
	REQUIRE(mpc_req_decode(req, (size_t)n, &r) == 0);
	mpc_reply_hdr(&r, 0, 0, 0, &rh);
	rn = mpc_ulp_enable_reply_encode(&rh, &r, QET(4), 0, MPC_LINK_LANE_TR, rep, sizeof(rep));
	REQUIRE(rn > 0);
	CHECK_EQ(mpc_drv_ulp_enable_reply(rep, (size_t)rn, &ui), -EPROTONOSUPPORT);
	rep[MPC_PDU_OFF + MPC_REPLY_OFF_LTYPE] = MPC_LINK_HSTR;
	CHECK_EQ(mpc_drv_ulp_enable_reply(rep, (size_t)rn, &ui), -EPROTONOSUPPORT);
	/* A PUS-0A shorter than 0x18: the link type is not read (taken as 0). */
	be_put16(rep + MPC_PDU_OFF + MPC_REPLY_OFF_0ALEN, MPC_PUS_0A_LEN);
	CHECK_EQ(mpc_drv_ulp_enable_reply(rep, (size_t)rn, &ui), 0);
	CHECK_EQ(ui.link_type, 0);
	CHECK_EQ(ui.max_mtu, 0);
	CHECK_EQ(mpc_mtu_from_reply(ui.max_mtu, false), 65535);
	/* Length says 0x18 but the message stops before the link type. */
	be_put16(rep + MPC_PDU_OFF + MPC_REPLY_OFF_0ALEN, MPC_PUS_0A_LEN_LT);
	CHECK_EQ(mpc_drv_ulp_enable_reply(rep, MPC_PDU_OFF + MPC_REPLY_OFF_LTYPE, &ui), -EMSGSIZE);
}

TEST(mpc_mtu_from_reply_codes)
{
	CHECK_EQ(mpc_mtu_from_reply(1500, false), 1500);
	CHECK_EQ(mpc_mtu_from_reply(0, false), 65535);
	CHECK_EQ(mpc_mtu_from_reply(0x4000, true), 8192);
	CHECK_EQ(mpc_mtu_from_reply(0x6000, true), 16384);
	CHECK_EQ(mpc_mtu_from_reply(0xA000, true), 32768);
	CHECK_EQ(mpc_mtu_from_reply(0xFFFF, true), 57344);
	CHECK_EQ(mpc_mtu_from_reply(0x1234, true), -EINVAL);
}

/* ---- bad input, one kind per case -------------------------------------------------- */

static int load(const char *h, uint8_t *b, size_t cap)
{
	memset(b, 0, cap);
	return hex(h, b, cap);
}

TEST(mpc_msg_truncated)
{
	uint8_t b[256];
	struct mpc_msg m;
	int n = load(cm_enable_hex, b, sizeof(b));

	CHECK_EQ(mpc_msg_decode(b, MPC_TH_SIZE - 1, &m), -EMSGSIZE);
	CHECK_EQ(mpc_msg_decode(b, 0, &m), -EMSGSIZE);
	CHECK_EQ(mpc_msg_decode(b, (size_t)n - 1, &m), -EMSGSIZE); /* total > buffer */
}

TEST(mpc_msg_total_length_beyond_buffer)
{
	uint8_t b[256];
	struct mpc_msg m;
	int n = load(cm_enable_hex, b, sizeof(b));

	be_put32(b + MPC_TH_OFF_LEN, 0xFFFFFFFF);
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EMSGSIZE);
	/* Too small to hold the headers it claims. */
	be_put32(b + MPC_TH_OFF_LEN, 0x30);
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
	/* A buffer longer than the message is fine (READ buffers are 4096 bytes)... */
	be_put32(b + MPC_TH_OFF_LEN, (uint32_t)n);
	CHECK_EQ(mpc_msg_decode(b, sizeof(b), &m), 0);
	/* ...but the PDU must end the message. */
	be_put32(b + MPC_TH_OFF_LEN, (uint32_t)n + 1);
	CHECK_EQ(mpc_msg_decode(b, sizeof(b), &m), -EBADMSG);
}

TEST(mpc_msg_not_mpc)
{
	uint8_t b[256];
	struct mpc_msg m;
	int n = load(cm_enable_hex, b, sizeof(b));

	b[1] = 0x00; /* first word 00000000 */
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EPROTO);
	/* An IDX TERMINATE on the read device is not an MPC message either. */
	b[1] = 0x00;
	b[2] = 0xC0;
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EPROTO);
}

TEST(mpc_msg_rrh_offset_past_end)
{
	uint8_t b[256];
	struct mpc_msg m;
	int n = load(cm_enable_hex, b, sizeof(b));

	be_put32(b + MPC_TH_OFF_RRH, 0x50);
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
	be_put32(b + MPC_TH_OFF_RRH, 0xFFFFFFF0); /* would wrap in 32 bits */
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
	be_put32(b + MPC_TH_OFF_RRH, 0x08); /* inside the TH */
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
}

/* The driver side reads only the low byte of each offset (§2.3.1); the adapter side
 * must use the full value, so 0x114 is not 0x14 to it. */
TEST(mpc_msg_full_offsets_not_low_bytes)
{
	uint8_t b[256];
	struct mpc_msg m;
	struct mpc_drv_loc loc;
	int n = load(cm_enable_hex, b, sizeof(b));

	be_put32(b + MPC_TH_OFF_RRH, 0x114);
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
	REQUIRE(mpc_drv_locate(b, (size_t)n, &loc) == 0);
	CHECK_EQ(loc.rrh, 0x14);
	CHECK_EQ(loc.pdu, 0x40);
	be_put32(b + MPC_TH_OFF_RRH, 0x14);
	be_put32(b + MPC_PH_OFF + MPC_PH_OFF_DATA, 0x140);
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
}

TEST(mpc_msg_ph_offset_past_end)
{
	uint8_t b[256];
	struct mpc_msg m;
	int n = load(cm_enable_hex, b, sizeof(b));

	be_put16(b + MPC_RRH_OFF + MPC_RRH_OFF_PH, 0xFFF0);
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
	be_put16(b + MPC_RRH_OFF + MPC_RRH_OFF_PH, 0x10); /* PH inside the RRH */
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
}

TEST(mpc_msg_pdu_offset_past_end)
{
	uint8_t b[256];
	struct mpc_msg m;
	int n = load(cm_enable_hex, b, sizeof(b));

	be_put32(b + MPC_PH_OFF + MPC_PH_OFF_DATA, 0xFFFFFFF0);
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
	be_put32(b + MPC_PH_OFF + MPC_PH_OFF_DATA, 0x30); /* data over the headers */
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
}

TEST(mpc_msg_lengths_disagree)
{
	uint8_t b[256];
	struct mpc_msg m;
	int n = load(cm_enable_hex, b, sizeof(b));

	be_put16(b + MPC_RRH_OFF + MPC_RRH_OFF_DLEN, 0x22); /* RRH vs PH */
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
	load(cm_enable_hex, b, sizeof(b));
	be_put24(b + MPC_PH_OFF + MPC_PH_OFF_LEN, 0xFFFFFF);
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
	load(cm_enable_hex, b, sizeof(b));
	b[MPC_PH_OFF + MPC_PH_OFF_LOC] = 0x00;
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
	load(cm_enable_hex, b, sizeof(b));
	b[MPC_RRH_OFF + MPC_RRH_OFF_TOKLEN] = 0x04;
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
}

TEST(mpc_msg_bad_counts)
{
	uint8_t b[256];
	struct mpc_msg m;
	int n = load(cm_enable_hex, b, sizeof(b));

	be_put16(b + MPC_TH_OFF_NRRH, 0);
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
	be_put16(b + MPC_TH_OFF_NRRH, 2);
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
	load(cm_enable_hex, b, sizeof(b));
	be_put16(b + MPC_RRH_OFF + MPC_RRH_OFF_NPH, 0);
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
	load(cm_enable_hex, b, sizeof(b));
	be_put32(b + MPC_RRH_OFF + MPC_RRH_OFF_NEXT, 0x40); /* a second RRH */
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EBADMSG);
}

TEST(mpc_msg_wrong_rrh_type)
{
	uint8_t b[256];
	struct mpc_msg m;
	struct mpc_req r;
	int n = load(cm_enable_hex, b, sizeof(b));

	b[MPC_RRH_OFF + MPC_RRH_OFF_TYPE] = 0x42;
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), -EPROTO);
	/* A valid IPA frame is no setup command. */
	b[MPC_RRH_OFF + MPC_RRH_OFF_TYPE] = MPC_RRH_IPA;
	CHECK_EQ(mpc_msg_decode(b, (size_t)n, &m), 0);
	CHECK_EQ(mpc_req_decode(b, (size_t)n, &r), -EPROTO);
	/* CM_ENABLE's PUK under a ULP RRH: not a known pairing for DM. */
	load(dm_act_hex, b, sizeof(b));
	b[MPC_RRH_OFF + MPC_RRH_OFF_TYPE] = MPC_RRH_CM;
	CHECK_EQ(mpc_req_decode(b, MPC_DM_ACT_SIZE, &r), -EPROTO);
	/* Setup commands are protocol 0x7E. */
	load(cm_enable_hex, b, sizeof(b));
	b[MPC_RRH_OFF + MPC_RRH_OFF_PROTO] = MPC_PROTO_L2;
	CHECK_EQ(mpc_req_decode(b, (size_t)n, &r), -EPROTO);
}

TEST(mpc_req_wrong_puk_type)
{
	uint8_t b[256];
	struct mpc_req r;
	int n = load(cm_enable_hex, b, sizeof(b));

	b[MPC_PDU_OFF + MPC_PUK_OFF_TYPE] = MPC_PUK_TAKEDOWN;
	CHECK_EQ(mpc_req_decode(b, (size_t)n, &r), -EPROTO);
	load(cm_enable_hex, b, sizeof(b));
	b[MPC_PDU_OFF + MPC_PUK_OFF_WHAT] = 0x42;
	CHECK_EQ(mpc_req_decode(b, (size_t)n, &r), -EPROTO);
	load(cm_enable_hex, b, sizeof(b));
	be_put16(b + MPC_PDU_OFF + MPC_PUK_OFF_LEN, 0x0D);
	CHECK_EQ(mpc_req_decode(b, (size_t)n, &r), -EBADMSG);
}

TEST(mpc_puk_total_beyond_pdu)
{
	uint8_t b[256];
	struct mpc_req r;
	struct mpc_puk puk;
	int n = load(cm_enable_hex, b, sizeof(b));

	be_put16(b + MPC_PDU_OFF + MPC_PUK_OFF_TOTAL, 0x18);
	CHECK_EQ(mpc_req_decode(b, (size_t)n, &r), -EMSGSIZE);
	CHECK_EQ(mpc_puk_decode(b + MPC_PDU_OFF, 0x23, &puk), -EMSGSIZE);
	CHECK_EQ(mpc_puk_decode(b + MPC_PDU_OFF, MPC_PUK_SIZE - 1, &puk), -EMSGSIZE);
	/* Shorter than the PDU: the request has trailing bytes no PUS accounts for. */
	be_put16(b + MPC_PDU_OFF + MPC_PUK_OFF_TOTAL, 0x16);
	CHECK_EQ(mpc_req_decode(b, (size_t)n, &r), -EBADMSG);
}

TEST(mpc_pus_length_overflows_puk)
{
	uint8_t b[256];
	struct mpc_req r;
	int n = load(cm_enable_hex, b, sizeof(b));

	be_put16(b + 0x57, 0x0D); /* PUS-02 one byte past the PUK total */
	CHECK_EQ(mpc_req_decode(b, (size_t)n, &r), -EMSGSIZE);
	load(cm_enable_hex, b, sizeof(b));
	be_put16(b + 0x4C, 0xFFFF);
	CHECK_EQ(mpc_req_decode(b, (size_t)n, &r), -EMSGSIZE);
}

TEST(mpc_pus_zero_length_does_not_loop)
{
	uint8_t b[256];
	struct mpc_req r;
	int n = load(cm_enable_hex, b, sizeof(b));

	be_put16(b + 0x4C, 0);
	CHECK_EQ(mpc_req_decode(b, (size_t)n, &r), -EBADMSG);
	be_put16(b + 0x4C, 3); /* shorter than its own header */
	CHECK_EQ(mpc_req_decode(b, (size_t)n, &r), -EBADMSG);
}

TEST(mpc_pus_walk_is_bounded)
{
	uint8_t pdu[MPC_PUK_SIZE + 4 * 40];
	struct mpc_puk puk;
	struct mpc_pus_iter it;
	struct mpc_pus s;
	int rc, items = 0;

	memset(pdu, 0, sizeof(pdu));
	be_put16(pdu, MPC_PUK_SIZE);
	pdu[2] = 0x41;
	pdu[3] = 0x02;
	be_put16(pdu + MPC_PUK_OFF_TOTAL, 4 * 40);
	for (int i = 0; i < 40; i++) {
		be_put16(pdu + MPC_PUK_SIZE + 4 * i, 4);
		pdu[MPC_PUK_SIZE + 4 * i + 2] = 0x04;
		pdu[MPC_PUK_SIZE + 4 * i + 3] = 0x7F;
	}
	REQUIRE(mpc_puk_decode(pdu, sizeof(pdu), &puk) == 0);
	mpc_pus_iter_init(&it, pdu, &puk);
	while ((rc = mpc_pus_next(&it, &s)) > 0)
		items++;
	CHECK_EQ(rc, -ELOOP);
	CHECK_EQ(items, MPC_PUS_MAX_ITEMS);
	/* A PUK total that leaves 1-3 bytes: a truncated PUS header. */
	be_put16(pdu + MPC_PUK_OFF_TOTAL, 6);
	REQUIRE(mpc_puk_decode(pdu, sizeof(pdu), &puk) == 0);
	mpc_pus_iter_init(&it, pdu, &puk);
	CHECK_EQ(mpc_pus_next(&it, &s), 1);
	CHECK_EQ(mpc_pus_next(&it, &s), -EMSGSIZE);
	/* Bad marker byte. */
	pdu[MPC_PUK_SIZE + 2] = 0x05;
	mpc_pus_iter_init(&it, pdu, &puk);
	CHECK_EQ(mpc_pus_next(&it, &s), -EBADMSG);
}

TEST(mpc_req_missing_or_repeated_pus)
{
	uint8_t b[256];
	struct mpc_req r;
	int n = load(cm_setup_hex, b, sizeof(b));

	b[0x55 + MPC_PUS_OFF_TYPE] = 0x7F; /* PUS-05 becomes unknown: token missing */
	CHECK_EQ(mpc_req_decode(b, (size_t)n, &r), -EBADMSG);
	load(cm_setup_hex, b, sizeof(b));
	b[0x55 + MPC_PUS_OFF_TYPE] = MPC_PUS_CONN; /* two PUS-04 */
	CHECK_EQ(mpc_req_decode(b, (size_t)n, &r), -EBADMSG);
}

TEST(mpc_pus_accessors_check_type_and_length)
{
	uint8_t b[256];
	struct mpc_pus s;
	struct mpc_ulp_params u;
	uint32_t tok;
	uint8_t proto, ud[8];
	uint16_t dev, ra;
	const uint8_t *d;
	size_t dn;

	load(cm_enable_hex, b, sizeof(b));
	s.p = b + 0x4C; /* PUS-01 */
	s.type = MPC_PUS_FILTER;
	s.len = MPC_PUS_01_LEN;
	CHECK_EQ(mpc_pus_filter(&s, &proto, &tok), 0);
	CHECK_EQ(mpc_pus_token(&s, &tok), -EPROTO);
	CHECK_EQ(mpc_pus_user_data(&s, ud), -EPROTO);
	CHECK_EQ(mpc_pus_bytes(&s, &d, &dn), -EPROTO);
	CHECK_EQ(mpc_pus_ulp(&s, &u), -EPROTO);
	CHECK_EQ(mpc_pus_devno(&s, &dev, &ra), -EPROTO);
	s.len = MPC_PUS_01_LEN + 1;
	CHECK_EQ(mpc_pus_filter(&s, &proto, &tok), -EBADMSG);
	s.type = MPC_PUS_USER;
	s.len = MPC_PUS_02_LEN - 1;
	CHECK_EQ(mpc_pus_user_data(&s, ud), -EBADMSG);
	s.len = MPC_PUS_01_LEN + 1;
	s.type = MPC_PUS_CONN;
	CHECK_EQ(mpc_pus_token(&s, &tok), -EBADMSG);
	s.type = MPC_PUS_06;
	CHECK_EQ(mpc_pus_bytes(&s, &d, &dn), -EBADMSG);
	s.type = MPC_PUS_07;
	CHECK_EQ(mpc_pus_bytes(&s, &d, &dn), -EBADMSG);
	s.type = MPC_PUS_DEVNO;
	CHECK_EQ(mpc_pus_devno(&s, &dev, &ra), -EBADMSG);
	s.type = MPC_PUS_ULP;
	s.len = MPC_PUS_0A_LEN - 1;
	CHECK_EQ(mpc_pus_ulp(&s, &u), -EBADMSG);
	/* A port-name length beyond its 8-byte field. */
	load(ulp_enable_hex, b, sizeof(b));
	s.p = b + 0x57;
	s.len = MPC_PUS_0A_LEN;
	CHECK_EQ(mpc_pus_ulp(&s, &u), 0);
	b[0x57 + MPC_PUS_0A_OFF_PNLEN] = 9;
	CHECK_EQ(mpc_pus_ulp(&s, &u), -EBADMSG);
}

TEST(mpc_driver_rejects_ipa_as_setup_reply)
{
	uint8_t b[256];
	uint32_t tok;
	int n = load(cm_enable_hex, b, sizeof(b));

	b[MPC_RRH_OFF + MPC_RRH_OFF_TYPE] = MPC_RRH_IPA;
	CHECK_EQ(mpc_drv_cm_enable_reply(b, (size_t)n, &tok), -EPROTO);
	CHECK_EQ(mpc_drv_dm_act_reply(b, (size_t)n), -EPROTO);
}

TEST(mpc_driver_idx_terminate_on_read)
{
	uint8_t b[256];
	uint32_t tok;
	int n = load(cm_enable_hex, b, sizeof(b));

	b[2] = 0xC0;
	b[4] = 0x08;
	CHECK_EQ(mpc_drv_cm_setup_reply(b, (size_t)n, &tok), -ECONNRESET);
	b[4] = IDX_TERM_BAD_MODE;
	CHECK_EQ(mpc_drv_dm_act_reply(b, (size_t)n), -EPROTONOSUPPORT);
	CHECK_EQ(mpc_drv_dm_act_reply(b, 4), -EMSGSIZE);
}

TEST(mpc_driver_reply_truncated)
{
	uint8_t b[256];
	uint32_t tok;
	struct mpc_drv_loc loc;
	int n = load(cm_setup_hex, b, sizeof(b));

	CHECK_EQ(mpc_drv_cm_setup_reply(b, MPC_PDU_OFF + MPC_REPLY_OFF_CONN + 3, &tok), -EMSGSIZE);
	CHECK_EQ(mpc_drv_cm_setup_reply(b, MPC_PDU_OFF + MPC_REPLY_OFF_CONN + 4, &tok), 0);
	CHECK_EQ(mpc_drv_locate(b, 0x1F, &loc), -EMSGSIZE);
	CHECK_EQ(mpc_drv_locate(b, MPC_PH_OFF + 7, &loc), -EMSGSIZE);
	/* Low-byte offsets that point past the received bytes. */
	b[MPC_TH_OFF_RRH + 3] = 0xF0;
	CHECK_EQ(mpc_drv_locate(b, (size_t)n, &loc), -EMSGSIZE);
	load(cm_setup_hex, b, sizeof(b));
	b[MPC_RRH_OFF + MPC_RRH_OFF_PH + 1] = 0xF0;
	CHECK_EQ(mpc_drv_locate(b, (size_t)n, &loc), -EMSGSIZE);
	load(cm_setup_hex, b, sizeof(b));
	b[MPC_PH_OFF + MPC_PH_OFF_DATA + 3] = 0xF0;
	CHECK_EQ(mpc_drv_cm_setup_reply(b, (size_t)n, &tok), -EMSGSIZE);
}

TEST(mpc_ulp_connection_token_00S_rejected)
{
	uint8_t req[256], rep[256];
	struct mpc_hdr h = { 0 }, rh;
	struct mpc_req r;
	uint32_t tok = 0;
	int n, rn;

	n = mpc_ulp_setup_encode(&h, MPC_TOK_ULP_CONN_W, QET(4), 0x0A02, 0x0202, req, sizeof(req));
	REQUIRE(mpc_req_decode(req, (size_t)n, &r) == 0);
	mpc_reply_hdr(&r, 0, 0, 0, &rh);
	/* The adapter side refuses to issue such a token... */
	CHECK_EQ(mpc_ulp_setup_reply_encode(&rh, &r, 0x30305300, rep, sizeof(rep)), -EINVAL);
	/* ...and the driver side refuses to accept one. */
	rn = mpc_ulp_setup_reply_encode(&rh, &r, QET(5), rep, sizeof(rep));
	REQUIRE(rn > 0);
	be_put32(rep + MPC_PDU_OFF + MPC_REPLY_OFF_CONN, 0x303053FF);
	CHECK_EQ(mpc_drv_ulp_setup_reply(rep, (size_t)rn, &tok), -EMLINK);
	/* EBCDIC "00S" (F0 F0 E2) is an ordinary token. */
	be_put32(rep + MPC_PDU_OFF + MPC_REPLY_OFF_CONN, 0xF0F0E2F1);
	CHECK_EQ(mpc_drv_ulp_setup_reply(rep, (size_t)rn, &tok), 0);
	CHECK_EQ(tok, 0xF0F0E2F1);
}

TEST(mpc_encoders_out_of_room)
{
	uint8_t b[256];
	struct mpc_hdr h = { 0 };

	CHECK_EQ(mpc_cm_enable_encode(&h, 1, b, MPC_CM_ENABLE_SIZE - 1), -ENOSPC);
	CHECK_EQ(mpc_cm_setup_encode(&h, 1, 2, b, MPC_CM_SETUP_SIZE - 1), -ENOSPC);
	CHECK_EQ(mpc_ulp_enable_encode(&h, 8, 0, 1, b, MPC_ULP_ENABLE_SIZE - 1), -ENOSPC);
	CHECK_EQ(mpc_ulp_setup_encode(&h, 1, 2, 3, 4, b, MPC_ULP_SETUP_SIZE - 1), -ENOSPC);
	CHECK_EQ(mpc_dm_act_encode(&h, 1, b, MPC_DM_ACT_SIZE - 1), -ENOSPC);
	CHECK_EQ(mpc_dm_act_encode(&h, 1, b, MPC_DM_ACT_SIZE), MPC_DM_ACT_SIZE);
	CHECK_STR(mpc_cmd_name(MPC_ULP_SETUP), "ULP_SETUP");
}
