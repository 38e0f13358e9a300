/* tests/unit/test_ccw.c - format-1 CCW codec and the chain walker over guest storage:
 * trace CCWs, data chaining, SKIP/SLI/incorrect length, TIC rules and every refusal. */
#include <errno.h>
#include <stdint.h>

#include "css/ccw.h"
#include "lib/gstor.h"
#include "tests/tcheck.h"

#define MEM 0x10000

static void put_ccw(struct gstor *gs, uint32_t at, uint8_t cmd, uint8_t flags,
		    uint16_t count, uint32_t addr)
{
	uint8_t raw[CCW_SIZE];

	/* Raw bytes so that tests can plant CCWs the encoder refuses (bit 0 set). */
	raw[0] = cmd;
	raw[1] = flags;
	raw[2] = (uint8_t)(count >> 8);
	raw[3] = (uint8_t)count;
	raw[4] = (uint8_t)(addr >> 24);
	raw[5] = (uint8_t)(addr >> 16);
	raw[6] = (uint8_t)(addr >> 8);
	raw[7] = (uint8_t)addr;
	gs_store(gs, at, raw, sizeof(raw));
}

TEST(ccw_decode_trace_sense_id)
{
	/* trace-q3d: "0A00:CCW=E4200028 00C71000" - SENSE ID, SLI, count 40. */
	uint8_t b[8];
	struct ccw1 c;

	REQUIRE(tc_hex("E4200028 00C71000", b, sizeof(b)) == 8);
	CHECK_EQ(ccw1_decode(b, sizeof(b), &c), 0);
	CHECK_EQ(c.cmd, CCW_CMD_SENSE_ID);
	CHECK_EQ(c.flags, CCW_FLAG_SLI);
	CHECK_EQ(c.count, 0x28);
	CHECK_EQ(c.addr, 0x00C71000);
	CHECK_EQ(ccw_cmd_kind(c.cmd), CCW_KIND_SENSE);
}

TEST(ccw_decode_trace_nop_and_rcd)
{
	/* trace-q3d: NOP "03200000 00000000" and RCD "FA200080 01BC2A80". */
	uint8_t b[8];
	struct ccw1 c;

	REQUIRE(tc_hex("03200000 00000000", b, sizeof(b)) == 8);
	CHECK_EQ(ccw1_decode(b, 8, &c), 0);
	CHECK_EQ(c.cmd, CCW_CMD_NOP);
	CHECK_EQ(c.flags, CCW_FLAG_SLI);
	CHECK_EQ(c.count, 0);
	CHECK_EQ(c.addr, 0);
	CHECK_EQ(ccw_cmd_kind(c.cmd), CCW_KIND_CONTROL);
	REQUIRE(tc_hex("FA200080 01BC2A80", b, sizeof(b)) == 8);
	CHECK_EQ(ccw1_decode(b, 8, &c), 0);
	CHECK_EQ(c.cmd, 0xFA);
	CHECK_EQ(c.count, 0x80);
	CHECK_EQ(c.addr, 0x01BC2A80);
	CHECK_EQ(ccw_cmd_kind(c.cmd), CCW_KIND_READ);
}

TEST(ccw_round_trip)
{
	struct ccw1 in = { 0x01, CCW_FLAG_CC | CCW_FLAG_SLI, 0x22, 0x7FFFFFF8 }, out;
	uint8_t b[8], e[8];

	CHECK_EQ(ccw1_encode(&in, b, sizeof(b)), 8);
	REQUIRE(tc_hex("01600022 7FFFFFF8", e, sizeof(e)) == 8);
	CHECK_MEM(b, e, 8);
	CHECK_EQ(ccw1_decode(b, 8, &out), 0);
	CHECK_EQ(out.cmd, in.cmd);
	CHECK_EQ(out.flags, in.flags);
	CHECK_EQ(out.count, in.count);
	CHECK_EQ(out.addr, in.addr);
}

TEST(ccw_decode_rejects_truncated)
{
	uint8_t b[8] = { 0x03 };
	struct ccw1 c;

	CHECK_EQ(ccw1_decode(b, 7, &c), -EMSGSIZE);
	CHECK_EQ(ccw1_decode(b, 0, &c), -EMSGSIZE);
}

TEST(ccw_decode_rejects_high_address_bit)
{
	uint8_t b[8];
	struct ccw1 c;

	REQUIRE(tc_hex("02200010 80001000", b, sizeof(b)) == 8);
	CHECK_EQ(ccw1_decode(b, 8, &c), -EBADMSG);
}

TEST(ccw_encode_refuses_bad_input)
{
	struct ccw1 c = { 0x02, 0, 1, 0x80000000 };
	uint8_t b[8];

	CHECK_EQ(ccw1_encode(&c, b, 8), -EINVAL);
	c.addr = 0x1000;
	CHECK_EQ(ccw1_encode(&c, b, 7), -ENOSPC);
}

TEST(ccw_cmd_kinds)
{
	CHECK_EQ(ccw_cmd_kind(0x01), CCW_KIND_WRITE);
	CHECK_EQ(ccw_cmd_kind(0x1B), CCW_KIND_CONTROL);
	CHECK_EQ(ccw_cmd_kind(0x1F), CCW_KIND_CONTROL);
	CHECK_EQ(ccw_cmd_kind(0x04), CCW_KIND_SENSE);
	CHECK_EQ(ccw_cmd_kind(0x08), CCW_KIND_TIC);
	CHECK_EQ(ccw_cmd_kind(0xF8), CCW_KIND_TIC);
	CHECK_EQ(ccw_cmd_kind(0x0C), CCW_KIND_READ_BACKWARD);
	CHECK_EQ(ccw_cmd_kind(0x00), CCW_KIND_INVALID);
	CHECK_EQ(ccw_cmd_kind(0x70), CCW_KIND_INVALID);
	CHECK(ccw_is_tic(0x48));
	CHECK(!ccw_is_tic(0x0C));
}

TEST(ccw_chain_idx_write_then_read)
{
	/* The IDX ACTIVATE shape: WRITE (CC|SLI, 0x22) chained to READ (SLI, 4096). */
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;
	uint8_t req[0x22], got[0x22], reply[0x30];

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	for (unsigned i = 0; i < sizeof(req); i++)
		req[i] = (uint8_t)(i + 1);
	for (unsigned i = 0; i < sizeof(reply); i++)
		reply[i] = (uint8_t)(0xA0 + i);
	gs_store(&gs, 0x3000, req, sizeof(req));
	put_ccw(&gs, 0x1000, 0x01, CCW_FLAG_CC | CCW_FLAG_SLI, 0x22, 0x3000);
	put_ccw(&gs, 0x1008, 0x02, CCW_FLAG_SLI, 4096, 0x3000);

	CHECK_EQ(ccw_chain_begin(&w, &gs, 0x1000), 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(cmd.cmd, 0x01);
	CHECK_EQ(cmd.total, 0x22);
	CHECK_EQ(cmd.nseg, 1);
	CHECK(cmd.chain);
	CHECK_EQ(cmd.ccw_addr, 0x1000);
	CHECK_EQ(ccw_chain_write_data(&w, &gs, got, cmd.total, &x), 0);
	CHECK_EQ(x.moved, 0x22);
	CHECK_MEM(got, req, sizeof(req));
	CHECK_EQ(x.residual, 0);
	CHECK(!x.incorrect_length);
	CHECK(x.chain);
	CHECK_EQ(x.scsw_ccw, 0x1008);

	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(cmd.cmd, 0x02);
	CHECK_EQ(cmd.total, 4096);
	CHECK(!cmd.chain);
	CHECK_EQ(ccw_chain_read_data(&w, &gs, reply, sizeof(reply), &x), 0);
	CHECK_EQ(x.moved, sizeof(reply));
	CHECK_EQ(x.residual, 4096 - sizeof(reply));
	CHECK(!x.incorrect_length);	/* SLI */
	CHECK(!x.chain);
	CHECK_EQ(x.scsw_ccw, 0x1010);
	REQUIRE(gs_fetch(&gs, 0x3000, got, sizeof(got)) == 0);
	CHECK_MEM(got, reply, sizeof(got));
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), 0);
	gs_plain_free(&gs);
}

TEST(ccw_chain_incorrect_length_without_sli_stops_chaining)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;
	uint8_t dev[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x02, CCW_FLAG_CC, 16, 0x2000);
	put_ccw(&gs, 0x108, 0x03, CCW_FLAG_SLI, 0, 0);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(ccw_chain_read_data(&w, &gs, dev, sizeof(dev), &x), 0);
	CHECK_EQ(x.residual, 8);
	CHECK(x.incorrect_length);
	CHECK(!x.chain);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), 0);
	gs_plain_free(&gs);
}

TEST(ccw_chain_device_has_more_than_count)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;
	uint8_t dev[32] = { 0 }, back[8];

	for (unsigned i = 0; i < sizeof(dev); i++)
		dev[i] = (uint8_t)i;
	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	gs_zero(&gs, 0x2000, 64);
	put_ccw(&gs, 0x100, 0x02, 0, 8, 0x2000);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(ccw_chain_read_data(&w, &gs, dev, sizeof(dev), &x), 0);
	CHECK_EQ(x.moved, 8);
	CHECK_EQ(x.residual, 0);
	CHECK(x.incorrect_length);
	REQUIRE(gs_fetch(&gs, 0x2000, back, 8) == 0);
	CHECK_MEM(back, dev, 8);
	/* Not a byte more than the count was stored. */
	REQUIRE(gs_fetch(&gs, 0x2008, back, 1) == 0);
	CHECK_EQ(back[0], 0);
	gs_plain_free(&gs);
}

TEST(ccw_chain_data_chaining_scatters_and_skips)
{
	/* READ 4 bytes @0x2000 (CD), SKIP 3 (CD), 5 bytes @0x2100 (SLI, last). */
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;
	uint8_t dev[12], a[4], b[5], z[4];

	for (unsigned i = 0; i < sizeof(dev); i++)
		dev[i] = (uint8_t)(0x10 + i);
	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x02, CCW_FLAG_CD | CCW_FLAG_PCI, 4, 0x2000);
	put_ccw(&gs, 0x108, 0xFF, CCW_FLAG_CD | CCW_FLAG_SKIP, 3, 0x7FFF0000);
	put_ccw(&gs, 0x110, 0x00, CCW_FLAG_SLI, 5, 0x2100);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(cmd.cmd, 0x02);	/* command codes of data-chained CCWs are ignored */
	CHECK_EQ(cmd.nseg, 3);
	CHECK_EQ(cmd.total, 12);
	CHECK(cmd.pci);
	CHECK(!cmd.chain);
	CHECK_EQ(ccw_chain_read_data(&w, &gs, dev, 10, &x), 0);
	CHECK_EQ(x.moved, 10);
	CHECK_EQ(x.residual, 2);
	CHECK(!x.incorrect_length);	/* SLI of the CCW where the transfer ended */
	CHECK(x.pci);
	CHECK_EQ(x.scsw_ccw, 0x118);
	REQUIRE(gs_fetch(&gs, 0x2000, a, 4) == 0);
	CHECK_MEM(a, dev, 4);
	REQUIRE(gs_fetch(&gs, 0x2100, b, 5) == 0);
	CHECK_MEM(b, dev + 7, 3);
	CHECK_EQ(b[3], 0);
	REQUIRE(gs_fetch(&gs, 0x2004, z, 4) == 0);
	CHECK_EQ(z[0], 0);
	gs_plain_free(&gs);
}

TEST(ccw_chain_data_chaining_sli_of_ending_ccw_decides)
{
	/* SLI on the first CCW only: a transfer ending in the last CCW short is IL. */
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;
	uint8_t dev[6] = { 0 };

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x02, CCW_FLAG_CD | CCW_FLAG_SLI | CCW_FLAG_CC, 4, 0x2000);
	put_ccw(&gs, 0x108, 0x02, CCW_FLAG_CC, 4, 0x2100);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK(cmd.chain);	/* CC of the last CCW */
	CHECK_EQ(ccw_chain_read_data(&w, &gs, dev, sizeof(dev), &x), 0);
	CHECK_EQ(x.residual, 2);
	CHECK(x.incorrect_length);
	CHECK(!x.chain);
	CHECK_EQ(x.scsw_ccw, 0x110);
	/* Ending inside the first CCW (which has SLI): no incorrect length. */
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(ccw_chain_read_data(&w, &gs, dev, 3, &x), 0);
	CHECK_EQ(x.residual, 1);
	CHECK(!x.incorrect_length);
	CHECK(x.chain);
	CHECK_EQ(x.scsw_ccw, 0x108);
	gs_plain_free(&gs);
}

TEST(ccw_chain_cd_takes_precedence_over_cc)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x01, CCW_FLAG_CD | CCW_FLAG_CC, 4, 0x2000);
	put_ccw(&gs, 0x108, 0x01, 0, 4, 0x2100);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(cmd.nseg, 2);
	CHECK(!cmd.chain);
	gs_plain_free(&gs);
}

TEST(ccw_chain_write_gathers_across_data_chain)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;
	uint8_t dev[16] = { 0 };

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	gs_store(&gs, 0x2000, "abc", 3);
	gs_store(&gs, 0x3000, "defg", 4);
	put_ccw(&gs, 0x100, 0x01, CCW_FLAG_CD | CCW_FLAG_SKIP, 3, 0x2000);
	put_ccw(&gs, 0x108, 0x01, 0, 4, 0x3000);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(ccw_chain_write_data(&w, &gs, dev, cmd.total, &x), 0);
	CHECK_EQ(x.moved, 7);
	CHECK_MEM(dev, "abcdefg", 7);	/* SKIP has no effect on a write */
	CHECK(!x.incorrect_length);
	/* A device that wants more than the program offers: incorrect length. */
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(ccw_chain_write_data(&w, &gs, dev, sizeof(dev), &x), 0);
	CHECK_EQ(x.moved, 7);
	CHECK(x.incorrect_length);
	/* A device that takes less: residual in the second CCW. */
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(ccw_chain_write_data(&w, &gs, dev, 5, &x), 0);
	CHECK_EQ(x.residual, 2);
	CHECK(x.incorrect_length);
	gs_plain_free(&gs);
}

TEST(ccw_chain_follows_tic)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x03, CCW_FLAG_CC | CCW_FLAG_SLI, 0, 0);
	put_ccw(&gs, 0x108, 0x08, 0xFF, 0xFFFF, 0x400);	/* TIC: flags/count ignored */
	put_ccw(&gs, 0x400, 0x03, CCW_FLAG_SLI, 0, 0);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(ccw_chain_end_cmd(&w, &x), 0);
	CHECK(x.chain);
	CHECK(!x.incorrect_length);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(cmd.ccw_addr, 0x400);
	CHECK_EQ(ccw_chain_end_cmd(&w, &x), 0);
	CHECK_EQ(x.scsw_ccw, 0x408);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), 0);
	gs_plain_free(&gs);
}

TEST(ccw_chain_tic_inside_data_chain)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x02, CCW_FLAG_CD, 4, 0x2000);
	put_ccw(&gs, 0x108, 0x08, 0, 0, 0x800);
	put_ccw(&gs, 0x800, 0x00, 0, 6, 0x2100);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(cmd.nseg, 2);
	CHECK_EQ(cmd.total, 10);
	CHECK_EQ(w.seg[1].ccw_addr, 0x800);
	gs_plain_free(&gs);
}

TEST(ccw_chain_control_command_with_count_is_incorrect_length)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x03, CCW_FLAG_CC, 8, 0x2000);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(ccw_chain_end_cmd(&w, &x), 0);
	CHECK_EQ(x.residual, 8);
	CHECK(x.incorrect_length);
	CHECK(!x.chain);
	gs_plain_free(&gs);
}

TEST(ccw_chain_count_zero_read_is_valid_without_cd)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;
	uint8_t dev[4] = { 9, 9, 9, 9 };

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x02, CCW_FLAG_SLI, 0, 0xFFFFFF0);	/* address never used */
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(cmd.total, 0);
	CHECK_EQ(ccw_chain_read_data(&w, &gs, dev, sizeof(dev), &x), 0);
	CHECK_EQ(x.moved, 0);
	CHECK(!x.incorrect_length);
	gs_plain_free(&gs);
}

TEST(ccw_chain_rejects_count_zero_with_cd)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x02, CCW_FLAG_CD, 0, 0x2000);
	put_ccw(&gs, 0x108, 0x02, 0, 4, 0x2000);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EBADMSG);
	/* The walk stays broken. */
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EBADMSG);
	gs_plain_free(&gs);
}

TEST(ccw_chain_rejects_count_zero_reached_by_data_chaining)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x02, CCW_FLAG_CD, 4, 0x2000);
	put_ccw(&gs, 0x108, 0x02, 0, 0, 0x2000);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EBADMSG);
	gs_plain_free(&gs);
}

TEST(ccw_chain_rejects_misaligned_program_address)
{
	struct gstor gs;
	struct ccw_walk w;

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	CHECK_EQ(ccw_chain_begin(&w, &gs, 0x104), -EXDEV);
	CHECK_EQ(ccw_chain_begin(&w, &gs, 0x80000100), -EBADMSG);
	gs_plain_free(&gs);
}

TEST(ccw_chain_rejects_misaligned_tic_target)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x08, 0, 0, 0x404);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EXDEV);
	gs_plain_free(&gs);
}

TEST(ccw_chain_rejects_tic_to_tic)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x08, 0, 0, 0x200);
	put_ccw(&gs, 0x200, 0x18, 0, 0, 0x300);
	put_ccw(&gs, 0x300, 0x03, 0, 0, 0);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EBADMSG);
	CHECK_EQ(w.scsw_ccw, 0x208);
	gs_plain_free(&gs);
}

TEST(ccw_chain_tic_loop_is_bounded)
{
	/* NOP (CC) at 0x100, TIC back to 0x100: a legal-looking endless program. */
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;
	int rc, n = 0;

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x03, CCW_FLAG_CC | CCW_FLAG_SLI, 0, 0);
	put_ccw(&gs, 0x108, 0x08, 0, 0, 0x100);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	while ((rc = ccw_chain_next_cmd(&w, &gs, &cmd)) == 1 && n < 100000) {
		ccw_chain_end_cmd(&w, &x);
		n++;
	}
	CHECK_EQ(rc, -ELOOP);
	CHECK(n > 0 && n <= CCW_WALK_MAX_FETCH);
	gs_plain_free(&gs);
}

TEST(ccw_chain_data_chain_too_long)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	for (unsigned i = 0; i < CCW_DC_MAX + 1; i++)
		put_ccw(&gs, 0x100 + 8 * i, 0x02, CCW_FLAG_CD, 1, 0x2000);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -ELOOP);
	/* Exactly CCW_DC_MAX is fine. */
	put_ccw(&gs, 0x100 + 8 * (CCW_DC_MAX - 1), 0x02, 0, 1, 0x2000);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), 1);
	CHECK_EQ(cmd.nseg, CCW_DC_MAX);
	gs_plain_free(&gs);
}

TEST(ccw_chain_ccw_outside_storage)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	REQUIRE(ccw_chain_begin(&w, &gs, MEM) == 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EFAULT);
	/* Command chaining off the end of storage. */
	put_ccw(&gs, MEM - 8, 0x03, CCW_FLAG_CC | CCW_FLAG_SLI, 0, 0);
	REQUIRE(ccw_chain_begin(&w, &gs, MEM - 8) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(ccw_chain_end_cmd(&w, &x), 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EFAULT);
	/* TIC outside storage. */
	put_ccw(&gs, 0x100, 0x08, 0, 0, 0x7FFFFFF8);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EFAULT);
	gs_plain_free(&gs);
}

TEST(ccw_chain_data_outside_storage)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;
	uint8_t dev[16] = { 0 };

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x02, 0, 16, MEM - 8);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(ccw_chain_read_data(&w, &gs, dev, sizeof(dev), &x), -EFAULT);
	CHECK_EQ(x.scsw_ccw, 0x108);
	/* Only as much as the device offers is checked: 8 bytes fit. */
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(ccw_chain_read_data(&w, &gs, dev, 8, &x), 0);
	CHECK(x.incorrect_length);
	/* Write direction too. */
	put_ccw(&gs, 0x100, 0x01, 0, 16, 0x7FFFFF00);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(ccw_chain_write_data(&w, &gs, dev, 16, &x), -EFAULT);
	gs_plain_free(&gs);
}

TEST(ccw_chain_refuses_ida_and_mida)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x02, CCW_FLAG_IDA, 8, 0x2000);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EOPNOTSUPP);
	put_ccw(&gs, 0x100, 0x02, CCW_FLAG_MIDA, 8, 0x2000);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EOPNOTSUPP);
	/* IDA in a data-chained CCW. */
	put_ccw(&gs, 0x100, 0x02, CCW_FLAG_CD, 8, 0x2000);
	put_ccw(&gs, 0x108, 0x02, CCW_FLAG_IDA, 8, 0x2000);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EOPNOTSUPP);
	gs_plain_free(&gs);
}

TEST(ccw_chain_rejects_invalid_command_and_high_bit)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x10, 0, 8, 0x2000);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EBADMSG);
	put_ccw(&gs, 0x100, 0x02, 0, 8, 0x80002000);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EBADMSG);
	put_ccw(&gs, 0x100, 0x08, 0, 0, 0x80000200);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EBADMSG);
	gs_plain_free(&gs);
}

TEST(ccw_chain_enforces_call_order)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;
	uint8_t dev[4] = { 0 };

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x02, CCW_FLAG_CC | CCW_FLAG_SLI, 4, 0x2000);
	put_ccw(&gs, 0x108, 0x03, CCW_FLAG_SLI, 0, 0);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	/* Transfer before a command was fetched. */
	CHECK_EQ(ccw_chain_read_data(&w, &gs, dev, 4, &x), -EPROTO);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	CHECK_EQ(ccw_chain_read_data(&w, &gs, dev, 4, &x), 0);
	/* A second transfer for the same command. */
	CHECK_EQ(ccw_chain_read_data(&w, &gs, dev, 4, &x), -EPROTO);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	/* Next command before completing this one. */
	CHECK_EQ(ccw_chain_next_cmd(&w, &gs, &cmd), -EPROTO);
	gs_plain_free(&gs);
}

TEST(ccw_chain_guest_rewrite_after_fetch_is_not_seen)
{
	/* Copy-once: changing the CCW in storage after next_cmd does not change the
	 * transfer that was validated. */
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;
	uint8_t dev[4] = { 1, 2, 3, 4 }, back[4];

	REQUIRE(gs_plain_init(&gs, MEM) == 0);
	put_ccw(&gs, 0x100, 0x02, 0, 4, 0x2000);
	REQUIRE(ccw_chain_begin(&w, &gs, 0x100) == 0);
	REQUIRE(ccw_chain_next_cmd(&w, &gs, &cmd) == 1);
	put_ccw(&gs, 0x100, 0x02, 0, 4, 0x3000);
	CHECK_EQ(ccw_chain_read_data(&w, &gs, dev, 4, &x), 0);
	REQUIRE(gs_fetch(&gs, 0x2000, back, 4) == 0);
	CHECK_MEM(back, dev, 4);
	gs_plain_free(&gs);
}
