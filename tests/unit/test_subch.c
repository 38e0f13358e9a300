/* tests/unit/test_subch.c - the in-process channel subsystem with a toy device:
 * chaining, pending commands, halt/clear, unit check + sense, program check, PCI. */
#include <errno.h>
#include <string.h>

#include "css/subch.h"
#include "tests/tcheck.h"

/* A toy device: WRITE stores data, READ returns it (or stays pending while empty). */
struct toy {
	uint8_t data[256];
	uint32_t len;
	bool have;
	int halts, clears;
	int reject_cmd;
};

static int toy_exec(void *dev, struct css_io *io)
{
	struct toy *t = dev;

	if (t->reject_cmd && io->cmd == t->reject_cmd)
		return -EPROTO;
	switch (io->cmd) {
	case 0x01:
		t->len = io->count > sizeof(t->data) ? sizeof(t->data) : io->count;
		memcpy(t->data, io->out, t->len);
		t->have = true;
		return 0;
	case 0x02:
		if (!t->have)
			return CSS_IO_PENDING;
		memcpy(io->in, t->data, t->len);
		io->inlen = t->len;
		t->have = false;
		return 0;
	case 0x03:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static void toy_halt(void *dev) { ((struct toy *)dev)->halts++; }
static void toy_clear(void *dev) { ((struct toy *)dev)->clears++; }
static void toy_sense(void *dev, uint8_t *sense) { (void)dev; (void)sense; }

static const struct css_devops toy_ops = { toy_exec, toy_halt, toy_clear, toy_sense };

struct rig {
	struct gstor gs;
	struct css css;
	struct subch sch;
	struct toy toy;
};

static int rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	if (gs_plain_init(&r->gs, 64 * 1024))
		return -1;
	css_init(&r->css, &r->gs);
	return subch_init(&r->sch, &r->css, 3, 0x0A00, 0x0A, &toy_ops, &r->toy);
}

static void rig_free(struct rig *r)
{
	subch_destroy(&r->sch);
	gs_plain_free(&r->gs);
}

static void put_ccw(struct rig *r, uint32_t at, uint8_t cmd, uint8_t flags, uint16_t count,
		    uint32_t addr)
{
	struct ccw1 c = { cmd, flags, count, addr };
	uint8_t b[8];

	ccw1_encode(&c, b, sizeof(b));
	gs_store(&r->gs, at, b, 8);
}

TEST(subch_write_read_chain_echoes)
{
	struct rig r;
	struct scsw st;
	uint8_t got[8];
	uint32_t ip = 0;

	REQUIRE(rig_init(&r) == 0);
	gs_store(&r.gs, 0x2000, "HALLOLE!", 8);
	put_ccw(&r, 0x1000, 0x01, CCW_FLAG_CC | CCW_FLAG_SLI, 8, 0x2000);
	put_ccw(&r, 0x1008, 0x02, CCW_FLAG_SLI, 4096, 0x3000);
	CHECK_EQ(subch_ssch(&r.sch, 0xCAFE, 0x1000), CSS_CC0);
	CHECK(css_next_irq(&r.css) == &r.sch);
	CHECK_EQ(subch_tsch(&r.sch, &st, &ip), CSS_CC0);
	CHECK_EQ(ip, 0xCAFE);
	CHECK_EQ(st.dstat, DEV_CHANNEL_END | DEV_DEVICE_END);
	CHECK_EQ(st.cstat, 0);
	CHECK_EQ(st.residual, 4096 - 8);
	CHECK_EQ(st.ccw_addr, 0x1010);
	CHECK_EQ(st.fc, SCSW_FC_START);
	CHECK(st.sc & SCSW_SC_PRIMARY);
	gs_fetch(&r.gs, 0x3000, got, 8);
	CHECK_MEM(got, "HALLOLE!", 8);
	CHECK_EQ(subch_tsch(&r.sch, &st, NULL), CSS_CC1);
	rig_free(&r);
}

TEST(subch_pending_read_completes_when_device_ready)
{
	struct rig r;
	struct scsw st;

	REQUIRE(rig_init(&r) == 0);
	put_ccw(&r, 0x1000, 0x02, CCW_FLAG_SLI, 4096, 0x3000);
	CHECK_EQ(subch_ssch(&r.sch, 1, 0x1000), CSS_CC0);
	CHECK(css_next_irq(&r.css) == NULL);
	CHECK(subch_start_active(&r.sch));
	CHECK_EQ(subch_ssch(&r.sch, 1, 0x1000), CSS_CC2);
	memcpy(r.toy.data, "abc", 3);
	r.toy.len = 3;
	r.toy.have = true;
	subch_device_ready(&r.sch);
	CHECK(css_next_irq(&r.css) == &r.sch);
	CHECK_EQ(subch_tsch(&r.sch, &st, NULL), CSS_CC0);
	CHECK_EQ(st.residual, 4093);
	rig_free(&r);
}

TEST(subch_halt_and_clear_end_a_pending_command)
{
	struct rig r;
	struct scsw st;

	REQUIRE(rig_init(&r) == 0);
	put_ccw(&r, 0x1000, 0x02, CCW_FLAG_SLI, 4096, 0x3000);
	CHECK_EQ(subch_ssch(&r.sch, 1, 0x1000), CSS_CC0);
	CHECK_EQ(subch_hsch(&r.sch), CSS_CC0);
	CHECK_EQ(r.toy.halts, 1);
	CHECK_EQ(subch_tsch(&r.sch, &st, NULL), CSS_CC0);
	CHECK(st.fc & SCSW_FC_HALT);
	/* A device that later becomes ready must not resurrect the halted program. */
	r.toy.have = true;
	subch_device_ready(&r.sch);
	CHECK(css_next_irq(&r.css) == NULL);

	CHECK_EQ(subch_ssch(&r.sch, 2, 0x1000), CSS_CC0);
	r.toy.have = false;
	CHECK_EQ(subch_ssch(&r.sch, 2, 0x1000), CSS_CC0 + 1); /* status pending from the read */
	subch_tsch(&r.sch, &st, NULL);
	CHECK_EQ(subch_ssch(&r.sch, 2, 0x1000), CSS_CC0);
	CHECK_EQ(subch_csch(&r.sch), CSS_CC0);
	CHECK_EQ(r.toy.clears, 1);
	CHECK_EQ(subch_tsch(&r.sch, &st, NULL), CSS_CC0);
	CHECK_EQ(st.fc, SCSW_FC_CLEAR);
	rig_free(&r);
}

TEST(subch_device_error_is_unit_check_with_command_reject)
{
	struct rig r;
	struct scsw st;

	REQUIRE(rig_init(&r) == 0);
	r.toy.reject_cmd = 0x03;
	put_ccw(&r, 0x1000, 0x03, CCW_FLAG_CC | CCW_FLAG_SLI, 0, 0);
	put_ccw(&r, 0x1008, 0x03, CCW_FLAG_SLI, 0, 0);
	CHECK_EQ(subch_ssch(&r.sch, 1, 0x1000), CSS_CC0);
	CHECK_EQ(subch_tsch(&r.sch, &st, NULL), CSS_CC0);
	CHECK_EQ(st.dstat, DEV_CHANNEL_END | DEV_DEVICE_END | DEV_UNIT_CHECK);
	CHECK(st.sc & SCSW_SC_ALERT);
	CHECK_EQ(st.ccw_addr, 0x1008);	/* chaining stopped at the first CCW */
	CHECK_EQ(r.sch.sense[0], SENSE0_CMD_REJECT);
	/* BASIC SENSE returns the sense bytes. */
	put_ccw(&r, 0x1100, CCW_CMD_SENSE, CCW_FLAG_SLI, 32, 0x4000);
	CHECK_EQ(subch_ssch(&r.sch, 1, 0x1100), CSS_CC0);
	CHECK_EQ(subch_tsch(&r.sch, &st, NULL), CSS_CC0);
	{
		uint8_t s0 = 0;

		gs_fetch8(&r.gs, 0x4000, &s0);
		CHECK_EQ(s0, SENSE0_CMD_REJECT);
	}
	rig_free(&r);
}

TEST(subch_bad_program_is_program_check)
{
	struct rig r;
	struct scsw st;

	REQUIRE(rig_init(&r) == 0);
	/* CCW address outside storage. */
	CHECK_EQ(subch_ssch(&r.sch, 1, 0x7FFF0000), CSS_CC0);
	CHECK_EQ(subch_tsch(&r.sch, &st, NULL), CSS_CC0);
	CHECK_EQ(st.cstat, CHN_PROGRAM_CHECK);
	/* Data outside storage. */
	put_ccw(&r, 0x1000, 0x01, CCW_FLAG_SLI, 16, 0x7FFFFFF0);
	CHECK_EQ(subch_ssch(&r.sch, 1, 0x1000), CSS_CC0);
	CHECK_EQ(subch_tsch(&r.sch, &st, NULL), CSS_CC0);
	CHECK_EQ(st.cstat, CHN_PROGRAM_CHECK);
	CHECK_EQ(r.toy.have, false);
	/* A TIC loop is bounded. */
	put_ccw(&r, 0x1000, 0x03, CCW_FLAG_CC, 0, 0);
	put_ccw(&r, 0x1008, CCW_CMD_TIC, 0, 0, 0x1000);
	CHECK_EQ(subch_ssch(&r.sch, 1, 0x1000), CSS_CC0);
	CHECK_EQ(subch_tsch(&r.sch, &st, NULL), CSS_CC0);
	CHECK_EQ(st.cstat, CHN_PROGRAM_CHECK);
	CHECK(r.sch.n_program_check >= 3);
	rig_free(&r);
}

TEST(subch_incorrect_length_without_sli)
{
	struct rig r;
	struct scsw st;

	REQUIRE(rig_init(&r) == 0);
	memcpy(r.toy.data, "0123456789", 10);
	r.toy.len = 10;
	r.toy.have = true;
	put_ccw(&r, 0x1000, 0x02, CCW_FLAG_CC, 4, 0x3000);
	put_ccw(&r, 0x1008, 0x03, 0, 0, 0);
	CHECK_EQ(subch_ssch(&r.sch, 1, 0x1000), CSS_CC0);
	CHECK_EQ(subch_tsch(&r.sch, &st, NULL), CSS_CC0);
	CHECK_EQ(st.cstat, CHN_INCORRECT_LEN);
	CHECK_EQ(st.ccw_addr, 0x1008);	/* chaining suppressed */
	rig_free(&r);
}

TEST(subch_pci_is_intermediate_status)
{
	struct rig r;
	struct scsw st;

	REQUIRE(rig_init(&r) == 0);
	put_ccw(&r, 0x1000, 0x02, CCW_FLAG_SLI, 4096, 0x3000);
	CHECK_EQ(subch_ssch(&r.sch, 7, 0x1000), CSS_CC0);
	subch_set_qdio_active(&r.sch, true);
	subch_pci(&r.sch);
	CHECK(css_next_irq(&r.css) == &r.sch);
	CHECK_EQ(subch_tsch(&r.sch, &st, NULL), CSS_CC0);
	CHECK_EQ(st.cstat, CHN_PCI);
	CHECK(st.sc & SCSW_SC_INTERMEDIATE);
	CHECK(!(st.sc & SCSW_SC_PRIMARY));
	CHECK(st.q);
	CHECK(subch_start_active(&r.sch));
	CHECK_EQ(subch_tsch(&r.sch, &st, NULL), CSS_CC1);
	rig_free(&r);
}

TEST(subch_scsw_round_trip_matches_hercules_trace)
{
	/* trace-q3d: "SCSW=00C04007 Stat=0C00 Count=0014 CCW=00C71030" */
	uint8_t b[12];
	struct scsw s = { 0 }, d;

	s.fc = SCSW_FC_START;
	s.sc = SCSW_SC_PRIMARY | SCSW_SC_SECONDARY | SCSW_SC_PENDING;
	s.ccw_addr = 0x00C71030;
	s.dstat = 0x0C;
	s.residual = 0x14;
	CHECK_EQ(scsw_encode(&s, b, sizeof(b)), 12);
	/* cpnet does not set the F/P bits Hercules shows in the high byte. */
	CHECK_EQ(b[2], 0x40);
	CHECK_EQ(b[3], 0x07);
	CHECK_EQ(scsw_decode(b, 12, &d), 0);
	CHECK_EQ(d.fc, SCSW_FC_START);
	CHECK_EQ(d.sc, s.sc);
	CHECK_EQ(d.ccw_addr, 0x00C71030);
	CHECK_EQ(d.dstat, 0x0C);
	CHECK_EQ(d.residual, 0x14);
	CHECK_EQ(scsw_decode(b, 11, &d), -EMSGSIZE);
}
