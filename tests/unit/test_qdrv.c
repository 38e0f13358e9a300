/* tests/unit/test_qdrv.c - the qeth driver engine against a scripted fake adapter: wire bytes
 * as Linux sends them (trace q3d), and each failing step reported with its own error. */
#include <stdlib.h>

#include "css/rcd.h"
#include "css/senseid.h"
#include "driver/qdrv.h"
#include "qeth/idx.h"
#include "tests/tcheck.h"

enum fake_mode { F_OK, F_BAD_TYPE, F_IDX_BUSY, F_SILENT, F_NO_CIW };

struct fake {
	enum fake_mode mode;
	uint16_t devno;
	uint8_t last[4096];
	uint32_t last_len;
	uint8_t idx_reply[IDX_REQ_SIZE];
	bool idx_pending;
	unsigned writes, reads_pending;
};

static int fake_exec(void *dev, struct css_io *io)
{
	struct fake *f = dev;
	struct senseid id;
	struct rcd_nic rn;
	int n;

	switch (io->cmd) {
	case CCW_CMD_SENSE_ID:
		senseid_osd(&id);
		if (f->mode == F_BAD_TYPE)
			id.dev_type = 0x3088;
		if (f->mode == F_NO_CIW)
			id.nciw = 0;
		n = senseid_encode(&id, io->in, io->count);
		io->inlen = n < 0 ? 0 : (uint32_t)n;
		return 0;
	case CCW_CMD_NOP:
		return 0;
	case SENSEID_CMD_RCD:
		rcd_nic_default(&rn, false, 0x0A, 0x0A02);
		rn.cula = 0x02;
		rn.unit_addr = 0x02;
		n = rcd_encode_nic(&rn, io->in, io->count);
		io->inlen = n < 0 ? 0 : (uint32_t)n;
		return 0;
	case CCW_CMD_WRITE: {
		struct idx_req r;

		f->writes++;
		f->last_len = io->count < sizeof(f->last) ? io->count : sizeof(f->last);
		memcpy(f->last, io->out, f->last_len);
		if (idx_req_decode(io->out, io->count, &r) == 0) {
			struct idx_reply_params p = { IDX_POSITIVE, 0, 0xC6C5C1E2u, { 0, 0, 0, 1 } };

			if (f->mode == F_IDX_BUSY) {
				p.verdict = IDX_NEGATIVE;
				p.cause = IDX_CAUSE_BUSY;
			}
			idx_reply_encode(&r, &p, f->idx_reply, sizeof(f->idx_reply));
			f->idx_pending = true;
		}
		return 0;
	}
	case CCW_CMD_READ:
		if (f->idx_pending) {
			memcpy(io->in, f->idx_reply, IDX_REQ_SIZE);
			io->inlen = IDX_REQ_SIZE;
			f->idx_pending = false;
			return 0;
		}
		f->reads_pending++;
		return CSS_IO_PENDING;	/* F_SILENT: the adapter never answers */
	default:
		return -EOPNOTSUPP;
	}
}

static void fake_nop(void *dev)
{
	(void)dev;
}

static const struct css_devops fake_ops = { fake_exec, fake_nop, fake_nop, NULL };

struct rig {
	struct gstor gs;
	struct css css;
	struct subch s[3];
	struct fake f[3];
	struct qdrv q;
};

static int rig_init(struct rig *r, enum fake_mode mode, uint8_t layer)
{
	struct qdrv_cfg c;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&c, 0, sizeof(c));
	c.layer = layer;
	c.area_base = 0x10000;
	c.area_size = qdrv_area_size(&c);
	c.max_wait = 4;
	rc = gs_plain_init(&r->gs, c.area_base + c.area_size);
	if (rc < 0)
		return rc;
	css_init(&r->css, &r->gs);
	for (int d = 0; d < 3; d++) {
		r->f[d].mode = mode;
		r->f[d].devno = (uint16_t)(0x0A00 + d);
		rc = subch_init(&r->s[d], &r->css, (uint16_t)(1 + d), (uint16_t)(0x0A00 + d), 0x0A,
				&fake_ops, &r->f[d]);
		if (rc < 0)
			return rc;
	}
	return qdrv_init(&r->q, &r->css, &r->s[0], &r->s[1], &r->s[2], &c);
}

static void rig_free(struct rig *r)
{
	for (int d = 0; d < 3; d++)
		subch_destroy(&r->s[d]);
	gs_plain_free(&r->gs);
}

TEST(qdrv_init_rejects_bad_config)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct qdrv_cfg c;

	REQUIRE(r);
	REQUIRE(rig_init(r, F_OK, 2) == 0);
	memset(&c, 0, sizeof(c));
	c.layer = 4;
	c.area_base = 0x10000;
	c.area_size = qdrv_area_size(&c);
	CHECK_EQ(qdrv_init(&r->q, &r->css, &r->s[0], &r->s[1], &r->s[2], &c), -EINVAL);
	c.layer = 2;
	c.area_base = 0x10800;	/* not 4K aligned */
	CHECK_EQ(qdrv_init(&r->q, &r->css, &r->s[0], &r->s[1], &r->s[2], &c), -EINVAL);
	c.area_base = 0x10000;
	c.area_size = 0x1000;	/* too small */
	CHECK_EQ(qdrv_init(&r->q, &r->css, &r->s[0], &r->s[1], &r->s[2], &c), -EINVAL);
	c.area_size = qdrv_area_size(&c) + 0x1000;	/* beyond storage */
	CHECK_EQ(qdrv_init(&r->q, &r->css, &r->s[0], &r->s[1], &r->s[2], &c), -EINVAL);
	rig_free(r);
	free(r);
}

TEST(qdrv_sense_and_idx_bytes_as_linux)
{
	/* trace-q3d: IDX ACTIVATE on the read device, then CM_ENABLE (first 48 bytes). */
	static const char *idx_read = "00008000 00000000 190101C0 00010103 01010000 0000C8C1"
				      "D3D3D6D3 C5400A02 0202";
	static const char *cm_enable = "00E00000 00000001 00000014 00000063 10000001 00000000"
				       "817E0001 00000000 00000000 00240023 00002305 C6C5C1E2";
	struct rig *r = calloc(1, sizeof(*r));
	uint8_t want[64];
	int n;

	REQUIRE(r);
	REQUIRE(rig_init(r, F_OK, 2) == 0);
	REQUIRE(qdrv_sense(&r->q) == 0);
	CHECK_EQ(r->q.id[2].dev_type, 0x1732);
	CHECK_EQ(r->q.eq_cmd, SENSEID_CMD_EQUEUE);
	CHECK_EQ(r->q.aq_cmd, SENSEID_CMD_AQUEUE);
	CHECK(r->q.rcd.is_vm_nic);
	CHECK_EQ(r->q.realaddr, 0x0202);
	REQUIRE(qdrv_idx(&r->q) == 0);
	n = tc_hex(idx_read, want, sizeof(want));
	REQUIRE(n == IDX_REQ_SIZE);
	CHECK_EQ(r->f[0].last_len, IDX_REQ_SIZE);
	CHECK_MEM(r->f[0].last, want, IDX_REQ_SIZE);
	CHECK_EQ(r->f[1].last[8], 0x15);	/* write device: type 0x1501 */
	CHECK_EQ(r->q.idx_token_r, 0xC6C5C1E2u);
	CHECK(r->q.read_armed);
	CHECK_EQ(r->f[0].reads_pending, 1);
	/* The fake never answers CM_ENABLE: a bounded wait, the step named. */
	CHECK_EQ(qdrv_mpc(&r->q), -ETIMEDOUT);
	CHECK(strncmp(r->q.last_error, "cm_enable", 9) == 0);
	n = tc_hex(cm_enable, want, sizeof(want));
	REQUIRE(n == 48);
	CHECK_EQ(r->f[1].last_len, MPC_CM_ENABLE_SIZE);
	CHECK_MEM(r->f[1].last, want, 48);
	qdrv_offline(&r->q);
	CHECK_EQ(r->q.state, QDRV_OFFLINE);
	CHECK(!r->q.read_armed);
	CHECK(r->s[0].n_halt >= 1 && r->s[0].n_clear >= 1);
	CHECK(!(r->s[0].scsw.sc & SCSW_SC_PENDING));
	rig_free(r);
	free(r);
}

TEST(qdrv_rejects_non_osd_device)
{
	struct rig *r = calloc(1, sizeof(*r));

	REQUIRE(r);
	REQUIRE(rig_init(r, F_BAD_TYPE, 2) == 0);
	CHECK_EQ(qdrv_online(&r->q), -EPROTO);
	CHECK(strncmp(r->q.last_error, "sense_id", 8) == 0);
	CHECK_EQ(r->q.state, QDRV_OFFLINE);	/* a failed online leaves it offline */
	CHECK_EQ(r->q.last_rc, -EPROTO);
	rig_free(r);
	free(r);
}

TEST(qdrv_needs_qdio_ciws)
{
	struct rig *r = calloc(1, sizeof(*r));

	REQUIRE(r);
	REQUIRE(rig_init(r, F_NO_CIW, 3) == 0);
	CHECK_EQ(qdrv_sense(&r->q), -EPROTO);
	CHECK(strstr(r->q.last_error, "EQUEUE") != NULL);
	rig_free(r);
	free(r);
}

TEST(qdrv_idx_negative_reply_is_busy)
{
	struct rig *r = calloc(1, sizeof(*r));

	REQUIRE(r);
	REQUIRE(rig_init(r, F_IDX_BUSY, 2) == 0);
	REQUIRE(qdrv_sense(&r->q) == 0);
	CHECK_EQ(qdrv_idx(&r->q), -EBUSY);
	CHECK(strncmp(r->q.last_error, "idx_read", 8) == 0);
	rig_free(r);
	free(r);
}

TEST(qdrv_steps_refuse_wrong_order)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct ipa_cmd c;

	REQUIRE(r);
	REQUIRE(rig_init(r, F_OK, 2) == 0);
	CHECK_EQ(qdrv_idx(&r->q), -EPROTO);
	CHECK_EQ(qdrv_mpc(&r->q), -EPROTO);
	CHECK_EQ(qdrv_qdio(&r->q), -EPROTO);
	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_STARTLAN;
	CHECK_EQ(qdrv_ipa(&r->q, &c, NULL), -ENETDOWN);
	CHECK_EQ(qdrv_send_l2(&r->q, (const uint8_t[64]){ 0 }, 64), -ENETDOWN);
	CHECK_EQ(r->f[1].writes, 0);
	rig_free(r);
	free(r);
}
