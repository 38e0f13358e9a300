/* tests/unit/test_qdio_blocks.c - QDIO control block codecs and Establish-time QDR
 * validation, checked against the QDR a Linux 6.1 guest sent (trace-q3e_vnic_datapath). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/be.h"
#include "lib/gstor.h"
#include "qdio/blocks.h"
#include "tests/tcheck.h"

/* The trace's QDR: 1 input + 4 output queues, descriptors as logged. */
#define T_QDR   0x01BB4000ull
#define T_QIB   0x01BB4800ull
static const uint64_t t_desc[5][3] = {
	{ 0x01BB5000, 0x01BB5800, 0x01BC3F00 },
	{ 0x01BB6000, 0x01BB6800, 0x01BC6900 },
	{ 0x01BB7000, 0x01BB7800, 0x01BC7000 },
	{ 0x01BB8000, 0x01BB8800, 0x01BC1C00 },
	{ 0x01BB9000, 0x01BB9800, 0x01BC4D00 },
};

static void trace_qdr(uint8_t *raw)
{
	unsigned i;

	memset(raw, 0, QDR_SIZE);
	/* First 12 bytes exactly as logged: 00000000 00010004 00080008. */
	tc_hex("00000000 00010004 00080008", raw, 12);
	be_put64(raw + 0x30, T_QIB);
	for (i = 0; i < 5; i++) {
		uint8_t *d = raw + 0x40 + 32 * i;

		be_put64(d, t_desc[i][0]);
		be_put64(d + 8, t_desc[i][1]);
		be_put64(d + 16, t_desc[i][2]);
	}
}

TEST(qdio_qdr_decodes_linux_trace)
{
	uint8_t raw[QDR_SIZE];
	struct qdr q;

	trace_qdr(raw);
	REQUIRE(qdr_decode(raw, sizeof(raw), &q) == 0);
	CHECK_EQ(q.qfmt, QDIO_QFMT_QETH);
	CHECK_EQ(q.pfmt, 0);
	CHECK_EQ(q.ac, 0);
	CHECK_EQ(q.iqdcnt, 1);
	CHECK_EQ(q.oqdcnt, 4);
	CHECK_EQ(q.iqdsz, 8);
	CHECK_EQ(q.oqdsz, 8);
	CHECK_EQ(q.qiba, T_QIB);
	CHECK_EQ(q.in[0].slib, 0x01BB5000);
	CHECK_EQ(q.in[0].sl, 0x01BB5800);
	CHECK_EQ(q.in[0].slsb, 0x01BC3F00);
	CHECK_EQ(q.out[0].slsb, 0x01BC6900);
	CHECK_EQ(q.out[1].slib, 0x01BB7000);
	CHECK_EQ(q.out[2].slsb, 0x01BC1C00);
	CHECK_EQ(q.out[3].sl, 0x01BB9800);
	CHECK_EQ(q.out[3].slsb, 0x01BC4D00);
}

TEST(qdio_qdr_encode_reproduces_trace_bytes)
{
	uint8_t raw[QDR_SIZE], again[QDR_SIZE];
	struct qdr q;

	trace_qdr(raw);
	REQUIRE(qdr_decode(raw, sizeof(raw), &q) == 0);
	CHECK_EQ(qdr_encode(&q, again, sizeof(again)), QDR_SIZE);
	CHECK_MEM(raw, again, QDR_SIZE);
	CHECK_EQ(qdr_encode(&q, again, QDR_SIZE - 1), -ENOSPC);
}

TEST(qdio_qdesfmt0_keys_are_nibbles)
{
	uint8_t raw[QDESFMT0_SIZE];
	struct qdesfmt0 d = { .slib = 0x1000, .sl = 0x1800, .slsb = 0x2000,
			      .slib_key = 0xA, .sl_key = 0x3, .sbal_key = 0x6, .slsb_key = 0xF };
	struct qdesfmt0 back;

	CHECK_EQ(qdesfmt0_encode(&d, raw, sizeof(raw)), QDESFMT0_SIZE);
	CHECK_EQ(raw[0x1C], 0xA3);
	CHECK_EQ(raw[0x1D], 0x6F);
	CHECK_EQ(be_get64(raw + 0x10), 0x2000);
	REQUIRE(qdesfmt0_decode(raw, sizeof(raw), &back) == 0);
	CHECK_EQ(back.slib_key, 0xA);
	CHECK_EQ(back.slsb_key, 0xF);
	d.sl_key = 0x10;
	CHECK_EQ(qdesfmt0_encode(&d, raw, sizeof(raw)), -EINVAL);
	CHECK_EQ(qdesfmt0_decode(raw, QDESFMT0_SIZE - 1, &back), -EMSGSIZE);
}

TEST(qdio_qdr_rejects_short_buffer)
{
	uint8_t raw[QDR_SIZE];
	struct qdr q;

	trace_qdr(raw);
	CHECK_EQ(qdr_decode(raw, QDR_SIZE - 1, &q), -EMSGSIZE);
}

TEST(qdio_qdr_rejects_zero_input_queues)
{
	uint8_t raw[QDR_SIZE];
	struct qdr q;

	trace_qdr(raw);
	raw[QDR_OFF_IQDCNT] = 0;
	CHECK_EQ(qdr_decode(raw, sizeof(raw), &q), -EBADMSG);
}

TEST(qdio_qdr_rejects_too_many_output_queues)
{
	uint8_t raw[QDR_SIZE];
	struct qdr q;

	trace_qdr(raw);
	raw[QDR_OFF_OQDCNT] = 33;
	CHECK_EQ(qdr_decode(raw, sizeof(raw), &q), -EBADMSG);
	raw[QDR_OFF_OQDCNT] = 32;	/* the largest count still fits the record */
	CHECK_EQ(qdr_decode(raw, sizeof(raw), &q), 0);
	raw[QDR_OFF_OQDCNT] = 0;
	CHECK_EQ(qdr_decode(raw, sizeof(raw), &q), -EBADMSG);
}

TEST(qdio_qdr_rejects_descriptor_size)
{
	uint8_t raw[QDR_SIZE];
	struct qdr q;

	trace_qdr(raw);
	raw[QDR_OFF_IQDSZ] = 7;
	CHECK_EQ(qdr_decode(raw, sizeof(raw), &q), -EBADMSG);
	trace_qdr(raw);
	raw[QDR_OFF_OQDSZ] = 16;
	CHECK_EQ(qdr_decode(raw, sizeof(raw), &q), -EBADMSG);
}

TEST(qdio_qdr_encode_rejects_bad_counts)
{
	uint8_t raw[QDR_SIZE];
	struct qdr q;

	memset(&q, 0, sizeof(q));
	q.iqdcnt = 1;
	CHECK_EQ(qdr_encode(&q, raw, sizeof(raw)), -EINVAL);
	q.oqdcnt = 33;
	CHECK_EQ(qdr_encode(&q, raw, sizeof(raw)), -EINVAL);
}

/* Storage large enough for the trace's addresses, with the QDR stored at T_QDR. */
static int trace_storage(struct gstor *gs, uint8_t *raw)
{
	int rc = gs_plain_init(gs, 0x01C00000);

	if (rc == 0)
		rc = gs_store(gs, T_QDR, raw, QDR_SIZE);
	return rc;
}

TEST(qdio_qdr_fetch_accepts_trace_layout)
{
	uint8_t raw[QDR_SIZE];
	struct gstor gs;
	struct qdr q;

	trace_qdr(raw);
	REQUIRE(trace_storage(&gs, raw) == 0);
	CHECK_EQ(qdr_fetch(&gs, T_QDR, &q), 0);
	CHECK_EQ(q.oqdcnt, 4);
	CHECK_EQ(q.out[1].slsb, 0x01BC7000);
	CHECK_EQ(gs.faults, 0);
	gs_plain_free(&gs);
}

TEST(qdio_qdr_fetch_rejects_misaligned_qdr)
{
	uint8_t raw[QDR_SIZE];
	struct gstor gs;
	struct qdr q;

	trace_qdr(raw);
	REQUIRE(trace_storage(&gs, raw) == 0);
	CHECK_EQ(qdr_fetch(&gs, T_QDR + 0x100, &q), -EXDEV);
	gs_plain_free(&gs);
}

TEST(qdio_qdr_fetch_rejects_qdr_outside_storage)
{
	uint8_t raw[QDR_SIZE];
	struct gstor gs;
	struct qdr q;

	trace_qdr(raw);
	REQUIRE(trace_storage(&gs, raw) == 0);
	CHECK_EQ(qdr_fetch(&gs, 0x01C00000, &q), -EFAULT);
	CHECK_EQ(qdr_fetch(&gs, UINT64_MAX & ~0xFFFull, &q), -EFAULT);
	gs_plain_free(&gs);
}

TEST(qdio_qdr_fetch_rejects_bad_counts_in_storage)
{
	uint8_t raw[QDR_SIZE];
	struct gstor gs;
	struct qdr q;

	trace_qdr(raw);
	raw[QDR_OFF_OQDCNT] = 40;
	REQUIRE(trace_storage(&gs, raw) == 0);
	CHECK_EQ(qdr_fetch(&gs, T_QDR, &q), -EBADMSG);
	gs_plain_free(&gs);
}

TEST(qdio_qdr_fetch_rejects_misaligned_qib)
{
	uint8_t raw[QDR_SIZE];
	struct gstor gs;
	struct qdr q;

	trace_qdr(raw);
	be_put64(raw + QDR_OFF_QIBA, T_QIB + 0x80);
	REQUIRE(trace_storage(&gs, raw) == 0);
	CHECK_EQ(qdr_fetch(&gs, T_QDR, &q), -EXDEV);
	gs_plain_free(&gs);
}

TEST(qdio_qdr_fetch_rejects_qib_outside_storage)
{
	uint8_t raw[QDR_SIZE];
	struct gstor gs;
	struct qdr q;

	trace_qdr(raw);
	be_put64(raw + QDR_OFF_QIBA, 0x01C00000 - 0x100);	/* last 256 bytes: fine */
	REQUIRE(trace_storage(&gs, raw) == 0);
	CHECK_EQ(qdr_fetch(&gs, T_QDR, &q), 0);
	be_put64(raw + QDR_OFF_QIBA, 0x01C00000);
	REQUIRE(gs_store(&gs, T_QDR, raw, QDR_SIZE) == 0);
	CHECK_EQ(qdr_fetch(&gs, T_QDR, &q), -EFAULT);
	gs_plain_free(&gs);
}

TEST(qdio_qdr_fetch_rejects_misaligned_slsb)
{
	uint8_t raw[QDR_SIZE];
	struct gstor gs;
	struct qdr q;

	trace_qdr(raw);
	/* Output queue 3's SLSB moved by 0x80: the SLSB must be 256-aligned. */
	be_put64(raw + 0x40 + 4 * 32 + QDESFMT0_OFF_SLSB, 0x01BC4D80);
	REQUIRE(trace_storage(&gs, raw) == 0);
	CHECK_EQ(qdr_fetch(&gs, T_QDR, &q), -EXDEV);
	gs_plain_free(&gs);
}

TEST(qdio_qdr_fetch_rejects_sl_outside_storage)
{
	uint8_t raw[QDR_SIZE];
	struct gstor gs;
	struct qdr q;

	trace_qdr(raw);
	be_put64(raw + 0x40 + QDESFMT0_OFF_SL, 0x7FFFFFFFFFFFFC00ull);
	REQUIRE(trace_storage(&gs, raw) == 0);
	CHECK_EQ(qdr_fetch(&gs, T_QDR, &q), -EFAULT);
	gs_plain_free(&gs);
}

TEST(qdio_qdr_fetch_rejects_misaligned_sl_and_slib)
{
	uint8_t raw[QDR_SIZE];
	struct gstor gs;
	struct qdr q;

	trace_qdr(raw);
	be_put64(raw + 0x40 + 32 + QDESFMT0_OFF_SL, 0x01BB6A00);	/* SL: 1K rule */
	REQUIRE(trace_storage(&gs, raw) == 0);
	CHECK_EQ(qdr_fetch(&gs, T_QDR, &q), -EXDEV);
	trace_qdr(raw);
	be_put64(raw + 0x40 + QDESFMT0_OFF_SLIB, 0x01BB5400);	/* SLIB: 2K rule */
	REQUIRE(gs_store(&gs, T_QDR, raw, QDR_SIZE) == 0);
	CHECK_EQ(qdr_fetch(&gs, T_QDR, &q), -EXDEV);
	gs_plain_free(&gs);
}

TEST(qdio_qib_codec_with_qeth_parameters)
{
	uint8_t raw[QIB_SIZE], again[QIB_SIZE];
	/* "0.0.0602" in EBCDIC */
	static const uint8_t busid[8] = { 0xF0, 0x4B, 0xF0, 0x4B, 0xF0, 0xF6, 0xF0, 0xF2 };
	struct qib q = {
		.qfmt = 0, .rflags = QIB_RFLAGS_TDD, .ac = QIB_AC_OUTBOUND_PCI,
		.isliba = 0x01BB5000, .osliba = 0x01BB6000,
		.has_pcit = true, .pcit_a = 65, .pcit_b = 0, .pcit_timer = 3,
		.has_blkt = true, .blkt_total = 250, .blkt_inter = 5, .blkt_jumbo = 15,
		.has_pque = true, .pque_order = 0, .pque_units = 2,
		.pque_prio = { 4, 4, 4, 4 },
	};
	struct qib back;

	memcpy(q.ebcnam, busid, 8);
	CHECK_EQ(qib_encode(&q, raw, sizeof(raw)), QIB_SIZE);
	CHECK_EQ(raw[QIB_OFF_RFLAGS], 0x02);
	CHECK_EQ(raw[QIB_OFF_AC], 0x40);
	CHECK_EQ(be_get64(raw + QIB_OFF_OSLIBA), 0x01BB6000);
	CHECK_MEM(raw + 0x20, busid, 8);
	CHECK_EQ(be_get32(raw + 0x80), 0xD7C3C9E3);	/* "PCIT" */
	CHECK_EQ(be_get32(raw + 0x84), 65);
	CHECK_EQ(be_get32(raw + 0x90), 0xC2D3D2E3);	/* "BLKT" */
	CHECK_EQ(be_get32(raw + 0x94), 250);
	CHECK_EQ(be_get32(raw + 0xA0), 0xD7D8E4C5);	/* "PQUE" */
	CHECK_EQ(raw[0xA5], 2);
	CHECK_EQ(be_get32(raw + 0xB4), 4);
	REQUIRE(qib_decode(raw, sizeof(raw), &back) == 0);
	CHECK(back.has_pcit && back.has_blkt && back.has_pque);
	CHECK_EQ(back.pcit_timer, 3);
	CHECK_EQ(back.blkt_jumbo, 15);
	CHECK_EQ(back.pque_prio[3], 4);
	CHECK_EQ(back.isliba, 0x01BB5000);
	CHECK_EQ(qib_encode(&back, again, sizeof(again)), QIB_SIZE);
	CHECK_MEM(raw, again, QIB_SIZE);
	CHECK_EQ(qib_decode(raw, QIB_SIZE - 1, &back), -EMSGSIZE);
	CHECK_EQ(qib_encode(&q, raw, QIB_SIZE - 1), -ENOSPC);
}

TEST(qdio_qib_vm_nic_has_no_parameters)
{
	uint8_t raw[QIB_SIZE];
	struct qib q;

	memset(raw, 0, sizeof(raw));
	raw[0x80] = 0xD7;	/* a partial marker is not a marker */
	REQUIRE(qib_decode(raw, sizeof(raw), &q) == 0);
	CHECK(!q.has_pcit && !q.has_blkt && !q.has_pque);
}

TEST(qdio_qib_fetch_checks_alignment)
{
	struct gstor gs;
	struct qib q;

	REQUIRE(gs_plain_init(&gs, 8192) == 0);
	CHECK_EQ(qib_fetch(&gs, 0x100, &q), 0);
	CHECK_EQ(qib_fetch(&gs, 0x180, &q), -EXDEV);
	CHECK_EQ(qib_fetch(&gs, 8192 - 256, &q), 0);
	CHECK_EQ(qib_fetch(&gs, 8192 - 128, &q), -EFAULT);	/* range before alignment */
	CHECK_EQ(qib_fetch(&gs, 8192, &q), -EFAULT);
	gs_plain_free(&gs);
}

TEST(qdio_slib_and_sl_codec)
{
	uint8_t raw[SLIB_SIZE + SL_SIZE];
	uint64_t sbal[QDIO_BUFS], back[QDIO_BUFS];
	struct slib s = { .next = 0x01BB6000, .sl = 0x01BB5800, .slsb = 0x01BC3F00 }, sb;
	unsigned i;

	memset(raw, 0xEE, sizeof(raw));
	CHECK_EQ(slib_encode(&s, raw, sizeof(raw)), SLIB_SIZE);
	CHECK_EQ(be_get64(raw + 0x008), 0x01BB5800);
	CHECK_EQ(raw[0x400], 0);	/* element area cleared */
	CHECK_EQ(raw[0x7FF], 0);
	REQUIRE(slib_decode(raw, sizeof(raw), &sb) == 0);
	CHECK_EQ(sb.next, 0x01BB6000);
	CHECK_EQ(sb.slsb, 0x01BC3F00);
	CHECK_EQ(slib_decode(raw, 0x17, &sb), -EMSGSIZE);
	CHECK_EQ(slib_encode(&s, raw, SLIB_SIZE - 1), -ENOSPC);
	for (i = 0; i < QDIO_BUFS; i++)
		sbal[i] = 0x01BD0000ull + 256 * i;
	CHECK_EQ(sl_encode(sbal, raw + SLIB_SIZE, SL_SIZE), SL_SIZE);
	CHECK_EQ(be_get64(raw + SLIB_SIZE + 8 * 127), 0x01BD0000ull + 256 * 127);
	REQUIRE(sl_decode(raw + SLIB_SIZE, SL_SIZE, back) == 0);
	CHECK_MEM(sbal, back, sizeof(sbal));
	CHECK_EQ(sl_decode(raw, SL_SIZE - 1, back), -EMSGSIZE);
	CHECK_EQ(sl_encode(sbal, raw, SL_SIZE - 1), -ENOSPC);
}

TEST(qdio_sbale_codec_reads_outbound_element)
{
	/* A single-element outbound packet: LAST_ENTRY, 92 bytes (the trace's first frame). */
	uint8_t raw[SBAL_SIZE];
	struct sbale e;
	struct sbal s;

	memset(raw, 0, sizeof(raw));
	REQUIRE(tc_hex("40000040 0000005C 00000000 01BD1000", raw, 16) == 16);
	REQUIRE(sbale_decode(raw, 16, &e) == 0);
	CHECK_EQ(e.eflags, SBALE_EF_LAST);
	CHECK_EQ(e.eflags & SBALE_EF_FRAG_MASK, SBALE_FRAG_NONE);
	CHECK_EQ(e.sflags, SBALE_SF0_PCI_REQ);
	CHECK_EQ(e.len, 92);
	CHECK_EQ(e.addr, 0x01BD1000);
	REQUIRE(sbal_decode(raw, sizeof(raw), &s) == 0);
	CHECK_EQ(s.e[0].len, 92);
	CHECK_EQ(s.e[1].len, 0);
	s.e[15].sflags = 0x8A;
	s.e[3].eflags = SBALE_FRAG_MIDDLE | SBALE_EF_CONTIGUOUS;
	CHECK_EQ(sbal_encode(&s, raw, sizeof(raw)), SBAL_SIZE);
	CHECK_EQ(raw[15 * 16 + 3], 0x8A);
	CHECK_EQ(raw[3 * 16], 0x28);
	CHECK_EQ(sbal_decode(raw, SBAL_SIZE - 1, &s), -EMSGSIZE);
	CHECK_EQ(sbale_encode(&e, raw, 15), -ENOSPC);
}

TEST(qdio_slsb_states_compose_owner_type_state)
{
	CHECK_EQ(SLSB_P_INPUT_NOT_INIT, 0x80);
	CHECK_EQ(SLSB_P_INPUT_ACK, 0x81);
	CHECK_EQ(SLSB_CU_INPUT_EMPTY, 0x41);
	CHECK_EQ(SLSB_P_INPUT_PRIMED, 0x82);
	CHECK_EQ(SLSB_P_INPUT_HALTED, 0x8E);
	CHECK_EQ(SLSB_P_INPUT_ERROR, 0x8F);
	CHECK_EQ(SLSB_P_OUTPUT_NOT_INIT, 0xA0);
	CHECK_EQ(SLSB_P_OUTPUT_EMPTY, 0xA1);
	CHECK_EQ(SLSB_P_OUTPUT_PENDING, 0xA3);
	CHECK_EQ(SLSB_CU_OUTPUT_PRIMED, 0x62);
	CHECK_EQ(SLSB_P_OUTPUT_HALTED, 0xAE);
	CHECK_EQ(SLSB_P_OUTPUT_ERROR, 0xAF);
	CHECK(slsb_state_valid(0x62, true));
	CHECK(!slsb_state_valid(0x62, false));
	CHECK(slsb_state_valid(0x41, false));
	CHECK(!slsb_state_valid(0x41, true));
	CHECK(!slsb_state_valid(0x00, false));
	CHECK(!slsb_state_valid(0xFF, true));
	CHECK(!slsb_state_valid(0x42, false));
}
