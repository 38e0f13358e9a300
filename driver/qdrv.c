/* driver/qdrv.c - the qeth driver engine: device discovery, IDX, MPC, QDIO and IPA bring-up,
 * the control read loop and the QDIO data path, over the in-process channel subsystem. */
#include "driver/qdrv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "css/ccw.h"
#include "lib/be.h"
#include "qdio/blocks.h"
#include "qeth/idx.h"
#include "qeth/qhdr.h"

enum { DEV_R = 0, DEV_W = 1, DEV_D = 2 };

/* Interruption parameters: which of our programs a status belongs to. */
#define IP_SENSEID 0x10
#define IP_NOP     0x11
#define IP_RCD     0x12
#define IP_IDX     0x13
#define IP_READ    0x14
#define IP_WRITE   0x15
#define IP_EQ      0x16
#define IP_AQ      0x17

/* Layout of the engine's area (offsets from area_base). */
#define AREA_CCW   0x0000	/* CCWs: 0x100 per device */
#define AREA_RBUF  0x1000	/* read device buffer (IDX and the READ loop) */
#define AREA_WBUF  0x2000	/* write device buffer */
#define AREA_MISC  0x3000	/* SENSE ID (0x40 per device), RCD at +0x100 */
#define AREA_QDIO  0x4000
#define CCW_SLOT   0x100
#define CCW_READ_LOOP 0x40	/* read loop CCW inside the read device's slot */

static const char *const dev_name[3] = { "read", "write", "data" };

static int fail(struct qdrv *q, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct qdrv *q, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->last_error, sizeof(q->last_error), fmt, ap);
	va_end(ap);
	q->last_rc = err;
	return err;
}

const char *qdrv_state_name(enum qdrv_state s)
{
	switch (s) {
	case QDRV_OFFLINE: return "offline";
	case QDRV_SENSED: return "sensed";
	case QDRV_IDX: return "idx";
	case QDRV_MPC: return "mpc";
	case QDRV_QDIO: return "qdio";
	case QDRV_ONLINE: return "online";
	case QDRV_BROKEN: return "broken";
	}
	return "unknown";
}

static struct qdio_pg_cfg pg_cfg(void)
{
	struct qdio_pg_cfg c;

	memset(&c, 0, sizeof(c));
	c.qfmt = QDIO_QFMT_QETH;
	c.nin = 1;
	c.nout = QDRV_OUT_QUEUES;
	c.nelem = QDIO_SBALES;	/* 64 KiB input buffers; output queues use fewer */
	return c;
}

uint64_t qdrv_area_size(const struct qdrv_cfg *cfg)
{
	struct qdio_pg_cfg c = pg_cfg();

	(void)cfg;
	return AREA_QDIO + qdio_pg_size(&c);
}

int qdrv_init(struct qdrv *q, struct css *css, struct subch *read, struct subch *write,
	      struct subch *data, const struct qdrv_cfg *cfg)
{
	memset(q, 0, sizeof(*q));
	if (!css || !read || !write || !data || !cfg)
		return -EINVAL;
	if (cfg->layer != 2 && cfg->layer != 3)
		return -EINVAL;
	if (cfg->out_nelem > QDIO_SBALES)
		return -EINVAL;
	if (cfg->area_base % QDIO_PAGE || cfg->area_size < qdrv_area_size(cfg) ||
	    !gs_range_ok(css->gs, cfg->area_base, cfg->area_size) ||
	    cfg->area_base + cfg->area_size > 0x80000000ull)	/* 31-bit CCW addresses */
		return -EINVAL;
	q->css = css;
	q->gs = css->gs;
	q->sch[DEV_R] = read;
	q->sch[DEV_W] = write;
	q->sch[DEV_D] = data;
	q->cfg = *cfg;
	if (!q->cfg.out_nelem)
		q->cfg.out_nelem = QDIO_SBALES;
	if (!q->cfg.qdioac1)
		q->cfg.qdioac1 = QDIO_AC1_SIGA_INPUT_NEEDED | QDIO_AC1_SIGA_OUTPUT_NEEDED;
	if (!q->cfg.max_wait)
		q->cfg.max_wait = QDRV_MAX_WAIT;
	q->a_ccw = cfg->area_base + AREA_CCW;
	q->a_rbuf = cfg->area_base + AREA_RBUF;
	q->a_wbuf = cfg->area_base + AREA_WBUF;
	q->a_misc = cfg->area_base + AREA_MISC;
	q->a_qdio = cfg->area_base + AREA_QDIO;
	q->state = QDRV_OFFLINE;
	return 0;
}

/* ---- interrupts -------------------------------------------------------------- */

static int arm_read(struct qdrv *q);

static void on_message(struct qdrv *q, uint32_t len)
{
	struct mpc_drv_loc loc;
	size_t off, cl;
	int r;

	q->st.reads++;
	if (idx_is_terminate(q->msg, len)) {
		q->terminated = true;
		q->state = QDRV_BROKEN;
		fail(q, -ECONNRESET, "read: adapter sent IDX TERMINATE (cause 0x%02x)",
		     len > 4 ? q->msg[4] : 0);
		return;
	}
	mpc_seq_ack(&q->seq, q->msg, len);
	if (mpc_drv_locate(q->msg, len, &loc) < 0) {
		q->st.stray++;
		return;
	}
	if (!loc.is_ipa) {
		if (q->mpc_wait && !q->mpc_got) {
			memcpy(q->reply, q->msg, len);
			q->reply_len = len;
			q->mpc_got = true;
			q->st.mpc_replies++;
		} else {
			q->st.stray++;
		}
		return;
	}
	if (ipa_pdu_payload(q->msg, len, &off, &cl) < 0) {
		q->st.stray++;
		return;
	}
	r = ipa_is_reply(q->msg + off, cl);
	if (r == 1) {
		uint16_t seqno = be_get16(q->msg + off + IPA_OFF_SEQNO);

		if (q->ipa_wait && !q->ipa_got && seqno == q->ipa_wait_seq) {
			memcpy(q->reply, q->msg, len);
			q->reply_len = len;
			q->ipa_got = true;
			q->st.ipa_replies++;
		} else {
			q->st.stray++;
		}
	} else if (r == 0) {
		q->st.unsolicited++;
		if (q->msg[off + IPA_OFF_CMD] == IPA_CMD_STOPLAN)
			q->link_up = false;
		else if (q->msg[off + IPA_OFF_CMD] == IPA_CMD_STARTLAN)
			q->link_up = true;
	} else {
		q->st.stray++;
	}
}

static bool status_ok(const struct scsw *s)
{
	return (s->dstat & (DEV_CHANNEL_END | DEV_DEVICE_END)) ==
		       (DEV_CHANNEL_END | DEV_DEVICE_END) &&
	       !(s->dstat & (DEV_UNIT_CHECK | DEV_UNIT_EXCEPTION)) &&
	       !(s->cstat & ~(CHN_INCORRECT_LEN | CHN_PCI));
}

static void handle(struct qdrv *q, int dev, const struct scsw *s, uint32_t intparm)
{
	q->st.irqs++;
	if ((s->sc & SCSW_SC_INTERMEDIATE) && !(s->sc & SCSW_SC_PRIMARY) &&
	    !(s->fc & (SCSW_FC_HALT | SCSW_FC_CLEAR))) {
		/* PCI while Activate Queues runs: the poll scans the queues anyway. */
		q->st.pcis++;
		return;
	}
	if (dev == DEV_R && intparm == IP_READ && (s->fc == SCSW_FC_START) &&
	    (s->sc & SCSW_SC_PRIMARY)) {
		q->read_armed = false;
		q->io[DEV_R].busy = false;
		if (!status_ok(s) || s->residual > QDRV_MSG_MAX) {
			q->state = QDRV_BROKEN;
			fail(q, -EIO, "read: READ ended with dstat 0x%02x cstat 0x%02x",
			     s->dstat, s->cstat);
			return;
		}
		{
			uint32_t len = QDRV_MSG_MAX - s->residual;

			if (gs_fetch(q->gs, q->a_rbuf, q->msg, len) == 0)
				on_message(q, len);
		}
		if (q->state >= QDRV_IDX && q->state != QDRV_BROKEN)
			arm_read(q);
		return;
	}
	if (dev == DEV_D && intparm == IP_AQ && q->qdio_active &&
	    !(s->fc & (SCSW_FC_HALT | SCSW_FC_CLEAR))) {
		/* Activate Queues must never end on its own: activate check. */
		q->qdio_active = false;
		q->io[DEV_D].busy = false;
		q->state = QDRV_BROKEN;
		fail(q, -EIO, "data: activate check (dstat 0x%02x cstat 0x%02x)", s->dstat,
		     s->cstat);
		return;
	}
	q->io[dev].busy = false;
	q->io[dev].done = true;
	q->io[dev].last = *s;
	q->io[dev].intparm = intparm;
}

static void process(struct qdrv *q)
{
	for (int dev = 0; dev < 3; dev++) {
		struct subch *s = q->sch[dev];

		for (int k = 0; k < 64; k++) {
			struct scsw scsw;
			uint32_t ip = 0;

			if (subch_tsch(s, &scsw, &ip) != CSS_CC0)
				break;
			handle(q, dev, &scsw, ip);
		}
	}
}

int qdrv_irq(struct qdrv *q, struct subch *s)
{
	for (int dev = 0; dev < 3; dev++) {
		if (q->sch[dev] == s) {
			struct scsw scsw;
			uint32_t ip = 0;

			if (subch_tsch(s, &scsw, &ip) == CSS_CC0)
				handle(q, dev, &scsw, ip);
			return 1;
		}
	}
	return 0;
}

static int wait_flag(struct qdrv *q, const bool *flag, const char *step)
{
	for (unsigned i = 0; i < q->cfg.max_wait; i++) {
		process(q);
		if (*flag)
			return 0;
		if (q->terminated)
			return q->last_rc;
		if (q->cfg.idle)
			q->cfg.idle(q->cfg.idle_ctx);
	}
	return fail(q, -ETIMEDOUT, "%s: no answer after %u rounds", step, q->cfg.max_wait);
}

/* ---- channel programs ------------------------------------------------------- */

static int put_ccws(struct qdrv *q, uint64_t at, const struct ccw1 *c, unsigned n)
{
	uint8_t raw[CCW_SIZE * 4];

	for (unsigned i = 0; i < n; i++)
		if (ccw1_encode(&c[i], raw + i * CCW_SIZE, CCW_SIZE) < 0)
			return -EINVAL;
	return gs_store(q->gs, at, raw, n * CCW_SIZE);
}

/* Start a program on dev and wait for its end.  *residual (may be NULL) gets the count
 * left.  Status other than CE+DE (+ incorrect length under SLI) is -EIO. */
static int run_prog(struct qdrv *q, int dev, uint32_t intparm, const struct ccw1 *c,
		    unsigned n, uint16_t *residual, const char *step)
{
	uint64_t at = q->a_ccw + (uint64_t)dev * CCW_SLOT;
	enum css_cc cc;
	int rc;

	rc = put_ccws(q, at, c, n);
	if (rc < 0)
		return fail(q, rc, "%s: cannot store CCWs", step);
	q->io[dev].done = false;
	q->io[dev].busy = true;
	cc = subch_ssch(q->sch[dev], intparm, (uint32_t)at);
	if (cc != CSS_CC0) {
		q->io[dev].busy = false;
		return fail(q, -EIO, "%s: SSCH on %s device cc %d", step, dev_name[dev], cc);
	}
	rc = wait_flag(q, &q->io[dev].done, step);
	if (rc < 0)
		return rc;
	if (!status_ok(&q->io[dev].last))
		return fail(q, -EIO, "%s: %s device ended with dstat 0x%02x cstat 0x%02x sense0 0x%02x",
			    step, dev_name[dev], q->io[dev].last.dstat, q->io[dev].last.cstat,
			    q->sch[dev]->sense[0]);
	if (residual)
		*residual = q->io[dev].last.residual;
	return 0;
}

static int arm_read(struct qdrv *q)
{
	struct ccw1 c = { CCW_CMD_READ, CCW_FLAG_SLI, QDRV_MSG_MAX, 0 };
	uint64_t at = q->a_ccw + CCW_READ_LOOP;
	enum css_cc cc;

	if (q->read_armed)
		return 0;
	c.addr = (uint32_t)q->a_rbuf;
	if (put_ccws(q, at, &c, 1) < 0)
		return fail(q, -EFAULT, "read: cannot store the READ CCW");
	q->read_armed = true;
	q->io[DEV_R].busy = true;
	cc = subch_ssch(q->sch[DEV_R], IP_READ, (uint32_t)at);
	if (cc != CSS_CC0) {
		q->read_armed = false;
		q->io[DEV_R].busy = false;
		return fail(q, -EIO, "read: SSCH of the READ cc %d", cc);
	}
	return 0;
}

/* ---- discovery --------------------------------------------------------------- */

int qdrv_sense(struct qdrv *q)
{
	static const uint16_t want_dev = 0x1732, want_cu = 0x1731;
	const struct senseid_ciw *ciw;
	uint8_t buf[RCD_SIZE];
	uint16_t res;
	int rc;

	for (int dev = 0; dev < 3; dev++) {
		uint64_t a = q->a_misc + (uint64_t)dev * 0x40;
		struct ccw1 c = { CCW_CMD_SENSE_ID, CCW_FLAG_SLI, SENSEID_SIZE, (uint32_t)a };
		struct ccw1 nop = { CCW_CMD_NOP, CCW_FLAG_SLI, 0, 0 };
		uint8_t raw[SENSEID_SIZE];

		gs_zero(q->gs, a, SENSEID_SIZE);
		rc = run_prog(q, dev, IP_SENSEID, &c, 1, &res, "sense_id");
		if (rc < 0)
			return rc;
		if (res > SENSEID_SIZE || gs_fetch(q->gs, a, raw, sizeof(raw)) < 0)
			return fail(q, -EPROTO, "sense_id: bad residual %u", res);
		rc = senseid_decode(raw, SENSEID_SIZE - res, &q->id[dev]);
		if (rc < 0)
			return fail(q, rc, "sense_id: %s device: undecodable (%d)", dev_name[dev], rc);
		if (q->id[dev].cu_type != want_cu || q->id[dev].cu_model != 0x01 ||
		    q->id[dev].dev_type != want_dev || q->id[dev].dev_model != 0x01)
			return fail(q, -EPROTO, "sense_id: %s device is %04x/%02x %04x/%02x, not an OSD",
				    dev_name[dev], q->id[dev].cu_type, q->id[dev].cu_model,
				    q->id[dev].dev_type, q->id[dev].dev_model);
		rc = run_prog(q, dev, IP_NOP, &nop, 1, NULL, "nop");
		if (rc < 0)
			return rc;
	}
	ciw = senseid_find_ciw(&q->id[DEV_D], CIW_EQUEUE);
	if (!ciw)
		return fail(q, -EPROTO, "sense_id: data device has no EQUEUE CIW");
	q->eq_cmd = ciw->cmd;
	q->eq_count = ciw->count;
	ciw = senseid_find_ciw(&q->id[DEV_D], CIW_AQUEUE);
	if (!ciw)
		return fail(q, -EPROTO, "sense_id: data device has no AQUEUE CIW");
	q->aq_cmd = ciw->cmd;
	q->aq_count = ciw->count;
	ciw = senseid_find_ciw(&q->id[DEV_D], CIW_RCD);
	if (!ciw)
		return fail(q, -EPROTO, "sense_id: data device has no RCD CIW");
	q->rcd_cmd = ciw->cmd;
	q->rcd_count = ciw->count > RCD_SIZE ? RCD_SIZE : ciw->count;
	{
		uint64_t a = q->a_misc + 0x100;
		struct ccw1 c = { q->rcd_cmd, CCW_FLAG_SLI, q->rcd_count, (uint32_t)a };

		gs_zero(q->gs, a, RCD_SIZE);
		rc = run_prog(q, DEV_D, IP_RCD, &c, 1, &res, "rcd");
		if (rc < 0)
			return rc;
		if (res > q->rcd_count || gs_fetch(q->gs, a, buf, sizeof(buf)) < 0)
			return fail(q, -EPROTO, "rcd: bad residual %u", res);
		rc = rcd_decode(buf, q->rcd_count - res, &q->rcd);
		if (rc < 0)
			return fail(q, rc, "rcd: undecodable record (%d)", rc);
	}
	q->realaddr = (uint16_t)(q->rcd.cula << 8 | q->rcd.unit_addr2);
	q->state = QDRV_SENSED;
	return 0;
}

/* ---- IDX ------------------------------------------------------------------- */

static int idx_one(struct qdrv *q, bool read_dev)
{
	int dev = read_dev ? DEV_R : DEV_W;
	uint64_t buf = read_dev ? q->a_rbuf : q->a_wbuf;
	const char *step = read_dev ? "idx_read" : "idx_write";
	struct ccw1 c[2] = {
		{ CCW_CMD_WRITE, CCW_FLAG_CC | CCW_FLAG_SLI, IDX_REQ_SIZE, (uint32_t)buf },
		{ CCW_CMD_READ, CCW_FLAG_SLI, QDRV_MSG_MAX, (uint32_t)buf },
	};
	struct idx_req r;
	struct idx_reply rep;
	uint8_t raw[IDX_REQ_SIZE];
	uint16_t res;
	int rc;

	idx_req_linux(&r, read_dev, q->cfg.portno, IDX_FL_OSD, q->sch[DEV_D]->devno,
		      q->realaddr);
	r.seq = mpc_seq_idx(&q->seq, !read_dev);
	rc = idx_req_encode(&r, raw, sizeof(raw));
	if (rc < 0)
		return fail(q, rc, "%s: encode", step);
	gs_zero(q->gs, buf, QDRV_MSG_MAX);
	if (gs_store(q->gs, buf, raw, IDX_REQ_SIZE) < 0)
		return fail(q, -EFAULT, "%s: store", step);
	rc = run_prog(q, dev, IP_IDX, c, 2, &res, step);
	if (rc < 0)
		return rc;
	if (res > QDRV_MSG_MAX || gs_fetch(q->gs, buf, q->msg, QDRV_MSG_MAX - res) < 0)
		return fail(q, -EPROTO, "%s: bad residual %u", step, res);
	rc = idx_reply_accept(q->msg, QDRV_MSG_MAX - res, read_dev, IDX_FL_OSD, &rep);
	if (rc < 0)
		return fail(q, rc, "%s: reply refused (%d, cause 0x%02x)", step, rc, rep.cause);
	if (read_dev)
		q->idx_token_r = rep.token;
	else
		q->idx_token_w = rep.token;
	return 0;
}

int qdrv_idx(struct qdrv *q)
{
	int rc;

	if (q->state != QDRV_SENSED)
		return fail(q, -EPROTO, "idx: wrong state %s", qdrv_state_name(q->state));
	mpc_seq_reset(&q->seq);
	rc = idx_one(q, true);
	if (rc < 0)
		return rc;
	rc = idx_one(q, false);
	if (rc < 0)
		return rc;
	q->state = QDRV_IDX;
	return arm_read(q);
}

/* ---- MPC ------------------------------------------------------------------- */

static int send_ctl(struct qdrv *q, const uint8_t *msg, int n, const char *step)
{
	struct ccw1 c = { CCW_CMD_WRITE, CCW_FLAG_SLI, 0, (uint32_t)q->a_wbuf };

	if (n <= 0 || n > QDRV_MSG_MAX)
		return fail(q, n < 0 ? n : -EINVAL, "%s: encode (%d)", step, n);
	if (gs_store(q->gs, q->a_wbuf, msg, (size_t)n) < 0)
		return fail(q, -EFAULT, "%s: store", step);
	c.count = (uint16_t)n;
	if (!q->read_armed) {
		int rc = arm_read(q);

		if (rc < 0)
			return rc;
	}
	return run_prog(q, DEV_W, IP_WRITE, &c, 1, NULL, step);
}

static int mpc_xchg(struct qdrv *q, const uint8_t *msg, int n, const char *step)
{
	int rc;

	q->mpc_wait = true;
	q->mpc_got = false;
	rc = send_ctl(q, msg, n, step);
	if (rc == 0)
		rc = wait_flag(q, &q->mpc_got, step);
	q->mpc_wait = false;
	return rc;
}

int qdrv_mpc(struct qdrv *q)
{
	uint8_t buf[256];
	struct mpc_hdr h;
	int n, rc;

	if (q->state != QDRV_IDX)
		return fail(q, -EPROTO, "mpc: wrong state %s", qdrv_state_name(q->state));

	mpc_seq_stamp(&q->seq, MPC_RRH_CM, MPC_PROTO_SETUP, q->idx_token_r, &h);
	n = mpc_cm_enable_encode(&h, MPC_TOK_CM_FILTER_W, buf, sizeof(buf));
	if ((rc = mpc_xchg(q, buf, n, "cm_enable")) < 0)
		return rc;
	if ((rc = mpc_drv_cm_enable_reply(q->reply, q->reply_len, &q->cm_filter_r)) < 0)
		return fail(q, rc, "cm_enable: bad reply (%d)", rc);

	mpc_seq_stamp(&q->seq, MPC_RRH_CM, MPC_PROTO_SETUP, q->idx_token_r, &h);
	n = mpc_cm_setup_encode(&h, MPC_TOK_CM_CONN_W, q->cm_filter_r, buf, sizeof(buf));
	if ((rc = mpc_xchg(q, buf, n, "cm_setup")) < 0)
		return rc;
	if ((rc = mpc_drv_cm_setup_reply(q->reply, q->reply_len, &q->cm_conn_r)) < 0)
		return fail(q, rc, "cm_setup: bad reply (%d)", rc);

	mpc_seq_stamp(&q->seq, MPC_RRH_ULP, MPC_PROTO_SETUP, q->cm_conn_r, &h);
	n = mpc_ulp_enable_encode(&h, q->cfg.layer == 2 ? MPC_PROTO_L2 : MPC_PROTO_L3,
				  q->cfg.portno, MPC_TOK_ULP_FILTER_W, buf, sizeof(buf));
	if ((rc = mpc_xchg(q, buf, n, "ulp_enable")) < 0)
		return rc;
	if ((rc = mpc_drv_ulp_enable_reply(q->reply, q->reply_len, &q->ulp)) < 0)
		return fail(q, rc, "ulp_enable: bad reply (%d)", rc);
	q->ulp_filter_r = q->ulp.filter_token;

	mpc_seq_stamp(&q->seq, MPC_RRH_ULP, MPC_PROTO_SETUP, q->cm_conn_r, &h);
	n = mpc_ulp_setup_encode(&h, MPC_TOK_ULP_CONN_W, q->ulp_filter_r, q->sch[DEV_D]->devno,
				 q->realaddr, buf, sizeof(buf));
	if ((rc = mpc_xchg(q, buf, n, "ulp_setup")) < 0)
		return rc;
	if ((rc = mpc_drv_ulp_setup_reply(q->reply, q->reply_len, &q->ulp_conn_r)) < 0)
		return fail(q, rc, "ulp_setup: bad reply (%d)", rc);
	q->state = QDRV_MPC;
	return 0;
}

/* ---- QDIO ------------------------------------------------------------------ */

int qdrv_qdio(struct qdrv *q)
{
	struct qdio_pg_cfg pc = pg_cfg();
	struct ccw1 eq, aq;
	struct qdr qdr;
	uint8_t buf[128];
	struct mpc_hdr h;
	enum css_cc cc;
	int n, rc;

	if (q->state != QDRV_MPC)
		return fail(q, -EPROTO, "qdio: wrong state %s", qdrv_state_name(q->state));
	rc = qdio_pg_build(q->gs, q->a_qdio, &pc, &q->lay);
	if (rc < 0)
		return fail(q, rc, "qdio: cannot build the queues (%d)", rc);
	eq = (struct ccw1){ q->eq_cmd, CCW_FLAG_SLI, q->eq_count, (uint32_t)q->lay.qdr };
	rc = run_prog(q, DEV_D, IP_EQ, &eq, 1, NULL, "establish_queues");
	if (rc < 0)
		return rc;
	rc = qdr_fetch(q->gs, q->lay.qdr, &qdr);
	if (rc == 0)
		rc = qdio_queue_init(&q->inq, q->gs, &qdr, false, 0);
	if (rc == 0)
		rc = qdio_pg_start(&q->inq, q->lay.in_pages[0], QDIO_SBALES, q->cfg.qdioac1);
	for (unsigned i = 0; rc == 0 && i < QDRV_OUT_QUEUES; i++) {
		rc = qdio_queue_init(&q->outq[i], q->gs, &qdr, true, i);
		if (rc == 0)
			rc = qdio_pg_start(&q->outq[i], q->lay.out_pages[i], q->cfg.out_nelem,
					   q->cfg.qdioac1);
	}
	if (rc < 0)
		return fail(q, rc, "establish_queues: queue setup (%d)", rc);

	/* Activate Queues stays running; its end would be an activate check. */
	aq = (struct ccw1){ q->aq_cmd, CCW_FLAG_SLI, q->aq_count, 0 };
	if (put_ccws(q, q->a_ccw + (uint64_t)DEV_D * CCW_SLOT + 0x40, &aq, 1) < 0)
		return fail(q, -EFAULT, "activate_queues: store");
	q->io[DEV_D].done = false;
	q->io[DEV_D].busy = true;
	cc = subch_ssch(q->sch[DEV_D], IP_AQ, (uint32_t)(q->a_ccw + DEV_D * CCW_SLOT + 0x40));
	if (cc != CSS_CC0)
		return fail(q, -EIO, "activate_queues: SSCH cc %d", cc);
	q->qdio_active = true;
	process(q);
	if (!q->qdio_active)
		return q->last_rc;
	if (!q->sch[DEV_D]->scsw.q)
		return fail(q, -EIO, "activate_queues: subchannel does not show QDIO active");

	mpc_seq_stamp(&q->seq, MPC_RRH_ULP, MPC_PROTO_SETUP, q->cm_conn_r, &h);
	n = mpc_dm_act_encode(&h, q->ulp_conn_r, buf, sizeof(buf));
	if ((rc = mpc_xchg(q, buf, n, "dm_act")) < 0)
		return rc;
	if ((rc = mpc_drv_dm_act_reply(q->reply, q->reply_len)) < 0)
		return fail(q, rc, "dm_act: bad reply (%d)", rc);
	q->state = QDRV_QDIO;
	return 0;
}

/* ---- IPA ------------------------------------------------------------------- */

static void log_ipa(struct qdrv *q, const struct ipa_cmd *c, const struct ipa_cmd *r, int err)
{
	struct qdrv_ipa_rec *rec = &q->ipa_log[q->n_ipa++ % QDRV_IPA_LOG];

	memset(rec, 0, sizeof(*rec));
	rec->cmd = c->hdr.cmd;
	rec->prot = c->hdr.prot;
	rec->err = err;
	if (c->hdr.cmd == IPA_CMD_SETASSPARMS)
		rec->sub = c->u.setass.assist << 8 | c->u.setass.cmd;
	else if (c->hdr.cmd == IPA_CMD_SETADAPTERPARMS)
		rec->sub = c->u.setadp.subcmd;
	else if (c->hdr.cmd == IPA_CMD_VNICC)
		rec->sub = c->u.vnicc.subcmd;
	if (r) {
		rec->rc = r->hdr.rc;
		if (r->hdr.cmd == IPA_CMD_SETASSPARMS)
			rec->sub_rc = r->u.setass.rc;
		else if (r->hdr.cmd == IPA_CMD_SETADAPTERPARMS)
			rec->sub_rc = r->u.setadp.sub_rc;
		else if (r->hdr.cmd == IPA_CMD_SETBRIDGEPORT_OSA)
			rec->sub_rc = r->u.sbp.sub_rc;
	}
}

const struct qdrv_ipa_rec *qdrv_ipa_find(const struct qdrv *q, uint8_t cmd)
{
	unsigned n = q->n_ipa < QDRV_IPA_LOG ? q->n_ipa : QDRV_IPA_LOG;

	for (unsigned i = 0; i < n; i++) {
		const struct qdrv_ipa_rec *r = &q->ipa_log[(q->n_ipa - 1 - i) % QDRV_IPA_LOG];

		if (r->cmd == cmd)
			return r;
	}
	return NULL;
}

int qdrv_ipa(struct qdrv *q, struct ipa_cmd *cmd, struct ipa_cmd *reply)
{
	uint8_t buf[QDRV_MSG_MAX];
	struct ipa_cmd tmp;
	struct ipa_cmd *r = reply ? reply : &tmp;
	struct mpc_hdr h;
	const char *name = ipa_cmd_name(cmd->hdr.cmd);
	size_t off, cl;
	int n, rc;

	if (q->state < QDRV_QDIO || q->state == QDRV_BROKEN)
		return fail(q, -ENETDOWN, "ipa %s: interface not ready (%s)", name,
			    qdrv_state_name(q->state));
	cmd->hdr.initiator = IPA_INIT_HOST;
	cmd->hdr.seqno = q->ipa_seq++;
	cmd->hdr.rc = 0;
	cmd->hdr.adapter_type = IPA_ADAPTER_TYPE;
	cmd->hdr.port = q->cfg.portno;
	cmd->hdr.prim_version = q->cfg.layer == 2 ? IPA_PRIM_L2 : IPA_PRIM_L3;
	cmd->hdr.param_count = 1;
	n = ipa_cmd_encode(cmd, buf + MPC_PDU_OFF, sizeof(buf) - MPC_PDU_OFF);
	if (n < 0) {
		log_ipa(q, cmd, NULL, n);
		return fail(q, n, "ipa %s: encode (%d)", name, n);
	}
	mpc_seq_stamp(&q->seq, MPC_RRH_IPA, q->cfg.layer == 2 ? MPC_PROTO_L2 : MPC_PROTO_L3,
		      q->ulp_conn_r, &h);
	rc = mpc_frame_encode(&h, (size_t)n, buf, sizeof(buf));
	if (rc < 0) {
		log_ipa(q, cmd, NULL, rc);
		return fail(q, rc, "ipa %s: frame (%d)", name, rc);
	}
	q->ipa_wait = true;
	q->ipa_got = false;
	q->ipa_wait_seq = cmd->hdr.seqno;
	rc = send_ctl(q, buf, MPC_PDU_OFF + n, name);
	if (rc == 0)
		rc = wait_flag(q, &q->ipa_got, name);
	q->ipa_wait = false;
	if (rc < 0) {
		log_ipa(q, cmd, NULL, rc);
		return rc;
	}
	/* Cleared: the decoder fills only what the command carries, and callers read
	 * the reply's body. */
	memset(r, 0, sizeof(*r));
	rc = ipa_pdu_payload(q->reply, q->reply_len, &off, &cl);
	if (rc == 0)
		rc = ipa_cmd_decode(q->reply + off, cl, r);
	if (rc < 0) {
		log_ipa(q, cmd, NULL, rc);
		return fail(q, rc, "ipa %s: undecodable reply (%d)", name, rc);
	}
	/* The sequence number matched; a reply for another (sub)command is the adapter's
	 * error, never read as the answer to this one. */
	if (r->hdr.cmd != cmd->hdr.cmd ||
	    (cmd->hdr.cmd == IPA_CMD_SETADAPTERPARMS && r->u.setadp.subcmd != cmd->u.setadp.subcmd) ||
	    (cmd->hdr.cmd == IPA_CMD_SETASSPARMS && (r->u.setass.assist != cmd->u.setass.assist ||
						   r->u.setass.cmd != cmd->u.setass.cmd))) {
		log_ipa(q, cmd, NULL, -EPROTO);
		return fail(q, -EPROTO, "ipa %s: the reply is for %s", name,
			    ipa_cmd_name(r->hdr.cmd));
	}
	log_ipa(q, cmd, r, 0);
	if (r->hdr.rc)
		return r->hdr.rc;
	if (r->hdr.cmd == IPA_CMD_SETASSPARMS && rc == 0)
		return r->u.setass.rc;
	if (r->hdr.cmd == IPA_CMD_SETADAPTERPARMS && rc == 0)
		return r->u.setadp.sub_rc;
	return 0;
}

static void ipa_new(struct ipa_cmd *c, uint8_t cmd, uint16_t prot)
{
	memset(c, 0, sizeof(*c));
	c->hdr.cmd = cmd;
	c->hdr.prot = prot;
}

static int setass(struct qdrv *q, uint32_t assist, uint16_t cmd, uint16_t prot, bool with_flags,
		  uint32_t flags)
{
	struct ipa_cmd c;

	ipa_new(&c, IPA_CMD_SETASSPARMS, prot);
	c.u.setass.assist = assist;
	c.u.setass.cmd = cmd;
	if (with_flags) {
		c.u.setass.data_len = 4;
		c.u.setass.d.flags = flags;
	}
	return qdrv_ipa(q, &c, NULL);
}

/* START then ENABLE one transmit assist on prot; true when the reply enabled it. */
static bool tx_assist_on(struct qdrv *q, uint32_t assist, uint16_t prot)
{
	bool tso = assist == IPA_OUTBOUND_TSO;
	struct ipa_cmd c, r;

	ipa_new(&c, IPA_CMD_SETASSPARMS, prot);
	c.u.setass.assist = assist;
	c.u.setass.cmd = IPA_SETASS_START;
	if (qdrv_ipa(q, &c, NULL) != 0)
		return false;
	ipa_new(&c, IPA_CMD_SETASSPARMS, prot);
	c.u.setass.assist = assist;
	c.u.setass.cmd = IPA_SETASS_ENABLE;
	c.u.setass.data_len = tso ? 8 : 4;
	if (tso)
		c.u.setass.d.caps.enabled = IPA_LARGE_SEND_TCP;
	else
		c.u.setass.d.flags = IPA_CSUM_TCP | IPA_CSUM_UDP | IPA_CSUM_IP_HDR;
	if (qdrv_ipa(q, &c, &r) != 0 || r.u.setass.data_len < 8)
		return false;
	return tso ? (r.u.setass.d.caps.enabled & IPA_LARGE_SEND_TCP) != 0
		   : (r.u.setass.d.caps.enabled & (IPA_CSUM_TCP | IPA_CSUM_UDP)) ==
			     (IPA_CSUM_TCP | IPA_CSUM_UDP);
}

int qdrv_tx_offloads_on(struct qdrv *q)
{
	if (q->state != QDRV_ONLINE)
		return -ENETDOWN;
	q->tx_ofl4 = q->tx_ofl6 = 0;
	/* Checksum first: a large send leaves the checksums to the adapter too. */
	if ((q->ipa4_supported & IPA_OUTBOUND_CHECKSUM) &&
	    tx_assist_on(q, IPA_OUTBOUND_CHECKSUM, IPA_PROT_V4)) {
		q->tx_ofl4 |= QDRV_OFL_CSUM;
		if ((q->ipa4_supported & IPA_OUTBOUND_TSO) &&
		    tx_assist_on(q, IPA_OUTBOUND_TSO, IPA_PROT_V4))
			q->tx_ofl4 |= QDRV_OFL_TSO;
	}
	/* IPv6: Linux starts the checksum with the IPv4 assist number (vnic/ipa.c). */
	if ((q->ipa6_supported & IPA_OUTBOUND_CHECKSUM_V6) &&
	    tx_assist_on(q, IPA_OUTBOUND_CHECKSUM, IPA_PROT_V6)) {
		q->tx_ofl6 |= QDRV_OFL_CSUM;
		if ((q->ipa6_supported & IPA_OUTBOUND_TSO) &&
		    tx_assist_on(q, IPA_OUTBOUND_TSO, IPA_PROT_V6))
			q->tx_ofl6 |= QDRV_OFL_TSO;
	}
	return 0;
}

/* A SETADAPTERPARMS request as Linux builds one: one part, `len` bytes of data. */
static void setadp_new(struct ipa_cmd *c, uint32_t subcmd, uint16_t len)
{
	ipa_new(c, IPA_CMD_SETADAPTERPARMS, IPA_PROT_V4);
	c->u.setadp.subcmd = subcmd;
	c->u.setadp.used_total = 1;
	c->u.setadp.seq = 1;
	c->u.setadp.has_data = true;
	c->u.setadp.data_len = len;
}

static int read_mac(struct qdrv *q)
{
	struct ipa_cmd c, r;
	int rc;

	setadp_new(&c, IPA_SETADP_ALTER_MAC_ADDRESS, IPA_ADP_MAC_SIZE);
	c.u.setadp.d.mac.op = IPA_ADP_MAC_READ;
	c.u.setadp.d.mac.addr_size = 6;
	c.u.setadp.d.mac.count = 1;
	rc = qdrv_ipa(q, &c, &r);
	if (rc == 0 && r.u.setadp.has_data && !(r.u.setadp.d.mac.mac[0] & 1))
		memcpy(q->mac, r.u.setadp.d.mac.mac, 6);
	return rc;
}

int qdrv_set_isolation(struct qdrv *q, uint32_t mode)
{
	struct ipa_cmd c;

	setadp_new(&c, IPA_SETADP_SET_ACCESS_CONTROL, IPA_ADP_ACCESS_SIZE);
	c.u.setadp.d.mode = mode;
	return qdrv_ipa(q, &c, NULL);
}

static int give_input(struct qdrv *q, unsigned n)
{
	enum qdio_siga sg;
	int given = qdio_pg_in_give(&q->inq, n, &sg);

	if (given < 0)
		return fail(q, given, "qdio: giving input buffers (%d)", given);
	if (sg == QDIO_SIGA_R && q->cfg.siga) {
		int cc = q->cfg.siga(q->cfg.siga_ctx, q->sch[DEV_D], 1, 0x80000000u);

		q->st.rx_sigas++;
		if (cc != 0 && cc != 2) {
			q->st.siga_errors++;
			return fail(q, -EIO, "qdio: SIGA-r cc %d", cc);
		}
	}
	return given;
}

static bool mac_zero(const uint8_t *m)
{
	return !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

static int bringup_l2(struct qdrv *q)
{
	struct ipa_cmd c;
	int rc;

	ipa_new(&c, IPA_CMD_SETBRIDGEPORT_OSA, IPA_PROT_NONE);
	c.u.sbp.subcmd = IPA_SBP_QUERY_COMMANDS_SUPPORTED;
	c.u.sbp.used_total = 1;
	c.u.sbp.seq = 1;
	c.u.sbp.data_len = 8;
	rc = qdrv_ipa(q, &c, NULL);
	if (rc < 0)
		return rc;
	if (mac_zero(q->cfg.mac)) {
		rc = read_mac(q);
		if (rc < 0)
			return rc;
	} else {
		memcpy(q->mac, q->cfg.mac, 6);
	}
	if (mac_zero(q->mac)) {
		/* Like Linux's random MAC: locally administered, derived from the device. */
		uint16_t d = q->sch[DEV_D]->devno;

		q->mac[0] = 0x02;
		q->mac[3] = q->sch[DEV_D]->chpid;
		q->mac[4] = (uint8_t)(d >> 8);
		q->mac[5] = (uint8_t)d;
	}
	rc = qdrv_setvmac(q, q->mac);
	if (rc < 0)
		return rc;
	q->mac_registered = rc == 0;
	ipa_new(&c, IPA_CMD_VNICC, IPA_PROT_NONE);
	c.u.vnicc.subcmd = IPA_VNICC_QUERY_CHARS;
	rc = qdrv_ipa(q, &c, NULL);
	return rc < 0 ? rc : 0;
}

static int bringup_l3(struct qdrv *q)
{
	uint32_t s4 = q->ipa4_supported;
	bool v6 = q->cfg.ipv6 && (s4 & IPA_IPV6);
	struct ipa_cmd c, r;
	int rc = 0;

#define TRY(x) do { if ((rc = (x)) < 0) return rc; } while (0)
	if (q->adp_supported & IPA_SETADP_ALTER_MAC_ADDRESS)
		TRY(read_mac(q));
	if (s4 & IPA_ARP_PROCESSING)
		TRY(setass(q, IPA_ARP_PROCESSING, IPA_SETASS_START, IPA_PROT_V4, false, 0));
	if (s4 & IPA_SOURCE_MAC)
		TRY(setass(q, IPA_SOURCE_MAC, IPA_SETASS_START, IPA_PROT_V4, false, 0));
	if (s4 & IPA_FULL_VLAN)
		TRY(setass(q, IPA_VLAN_PRIO, IPA_SETASS_START, IPA_PROT_V4, false, 0));
	if (s4 & IPA_MULTICASTING)
		TRY(setass(q, IPA_MULTICASTING, IPA_SETASS_START, IPA_PROT_V4, false, 0));
	if (v6) {
		TRY(setass(q, IPA_IPV6, IPA_SETASS_START, IPA_PROT_V4, true, 3));
		TRY(setass(q, IPA_IPV6, IPA_SETASS_START, IPA_PROT_V6, false, 0));
		TRY(setass(q, IPA_PASSTHRU, IPA_SETASS_START, IPA_PROT_V6, false, 0));
	}
	if (s4 & IPA_FILTERING) {
		TRY(setass(q, IPA_FILTERING, IPA_SETASS_START, IPA_PROT_V4, false, 0));
		TRY(setass(q, IPA_FILTERING, IPA_SETASS_CONFIGURE, IPA_PROT_V4, true, 1));
		TRY(setass(q, IPA_FILTERING, IPA_SETASS_ENABLE, IPA_PROT_V4, true, 1));
	}
	ipa_new(&c, IPA_CMD_SETRTG, IPA_PROT_V4);
	c.u.setrtg = IPA_RTG_NONE;
	TRY(qdrv_ipa(q, &c, NULL));
	if (v6) {
		ipa_new(&c, IPA_CMD_SETRTG, IPA_PROT_V6);
		c.u.setrtg = IPA_RTG_NONE;
		TRY(qdrv_ipa(q, &c, NULL));
		ipa_new(&c, IPA_CMD_CREATE_ADDR, IPA_PROT_V6);
		memcpy(c.u.create.mac, q->mac, 6);
		c.u.create.uid = 0;
		rc = qdrv_ipa(q, &c, &r);
		if (rc < 0)
			return rc;
		if (rc == 0)
			q->ipv6_uid = r.u.create.uid;
	}
#undef TRY
	return 0;
}

int qdrv_ipa_bringup(struct qdrv *q)
{
	struct ipa_cmd c, r;
	int rc;

	if (q->state != QDRV_QDIO)
		return fail(q, -EPROTO, "ipa: wrong state %s", qdrv_state_name(q->state));
	ipa_new(&c, IPA_CMD_STARTLAN, IPA_PROT_NONE);
	rc = qdrv_ipa(q, &c, NULL);
	if (rc < 0)
		return rc;
	if (rc != 0 && rc != IPA_RC_LAN_OFFLINE)
		return fail(q, -EIO, "startlan: rc 0x%04x (%s)", rc, ipa_rc_name((uint16_t)rc));
	q->link_up = rc == 0;

	ipa_new(&c, IPA_CMD_QIPASSIST, IPA_PROT_V4);
	rc = qdrv_ipa(q, &c, &r);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		q->ipa4_supported = r.hdr.supported;
		q->ipa4_enabled = r.hdr.enabled;
	} else if (rc == IPA_RC_NOTSUPP || rc == IPA_RC_L2_UNSUPPORTED_CMD) {
		q->ipa4_supported = IPA_SETADAPTERPARMS;
	}
	if (q->ipa4_supported & IPA_IPV6) {
		ipa_new(&c, IPA_CMD_QIPASSIST, IPA_PROT_V6);
		rc = qdrv_ipa(q, &c, &r);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			q->ipa6_supported = r.hdr.supported;
			q->ipa6_enabled = r.hdr.enabled;
		}
	}
	if (q->ipa4_supported & IPA_SETADAPTERPARMS) {
		setadp_new(&c, IPA_SETADP_QUERY_COMMANDS_SUPPORTED, IPA_ADP_QCS_SIZE);
		rc = qdrv_ipa(q, &c, &r);
		if (rc < 0)
			return rc;
		if (rc != 0)
			return fail(q, -EIO, "setadapterparms query: rc 0x%04x (%s)", rc,
				    ipa_rc_name((uint16_t)rc));
		if (r.u.setadp.has_data) {
			q->adp_supported = r.u.setadp.d.qcs.supported;
			q->lan_type = r.u.setadp.d.qcs.lan_type;
		}
	}
	rc = give_input(q, QDRV_IN_BUFS);
	if (rc < 0)
		return rc;
	q->in_taken = 0;
	rc = q->cfg.layer == 2 ? bringup_l2(q) : bringup_l3(q);
	if (rc < 0)
		return rc;
	q->state = QDRV_ONLINE;
	return 0;
}

int qdrv_online(struct qdrv *q)
{
	int rc;

	if (q->state != QDRV_OFFLINE)
		return fail(q, -EPROTO, "online: wrong state %s", qdrv_state_name(q->state));
	q->last_error[0] = 0;
	q->last_rc = 0;
	if ((rc = qdrv_sense(q)) < 0 || (rc = qdrv_idx(q)) < 0 || (rc = qdrv_mpc(q)) < 0 ||
	    (rc = qdrv_qdio(q)) < 0 || (rc = qdrv_ipa_bringup(q)) < 0) {
		/* Like a failed "echo 1 > online": tear down, stay offline, keep the why. */
		char why[QDRV_ERR_LEN];

		memcpy(why, q->last_error, sizeof(why));
		qdrv_offline(q);
		memcpy(q->last_error, why, sizeof(why));
		q->last_rc = rc;
		return rc;
	}
	return 0;
}

static void stop_dev(struct qdrv *q, int dev, bool halt)
{
	struct subch *s = q->sch[dev];

	/* Like qeth: halt, then clear, and take the final status. */
	if (halt)
		subch_hsch(s);
	subch_csch(s);
	process(q);
	q->io[dev].busy = false;
	q->io[dev].done = false;
}

void qdrv_offline(struct qdrv *q)
{
	/* OSD: Activate Queues ends with CLEAR SUBCHANNEL. */
	q->qdio_active = false;
	stop_dev(q, DEV_D, false);
	q->read_armed = false;
	q->state = QDRV_OFFLINE;	/* no READ re-arm from here on */
	stop_dev(q, DEV_R, true);
	stop_dev(q, DEV_W, true);
	q->mpc_wait = q->ipa_wait = false;
	q->terminated = false;
	q->link_up = false;
	q->mac_registered = false;
	q->ipa4_supported = q->ipa4_enabled = q->ipa6_supported = q->ipa6_enabled = 0;
	q->adp_supported = 0;
	q->ipa_seq = 0;
	mpc_seq_reset(&q->seq);
	memset(&q->inq, 0, sizeof(q->inq));
	memset(q->outq, 0, sizeof(q->outq));
}

/* ---- addresses ------------------------------------------------------------- */

static void prefix_mask(uint8_t *mask, unsigned bytes, unsigned prefix)
{
	for (unsigned i = 0; i < bytes; i++) {
		unsigned bits = prefix > 8 * i ? prefix - 8 * i : 0;

		mask[i] = bits >= 8 ? 0xFF : (uint8_t)(0xFF00u >> bits);
	}
}

static int setip_cmd(struct qdrv *q, uint8_t code, bool v6, const uint8_t *addr, unsigned prefix)
{
	struct ipa_cmd c;

	if (q->cfg.layer != 3)
		return fail(q, -EPROTO, "setip: layer-2 interface");
	if (prefix > (v6 ? 128u : 32u))
		return -EINVAL;
	ipa_new(&c, code, v6 ? IPA_PROT_V6 : IPA_PROT_V4);
	memcpy(c.u.setip.addr, addr, v6 ? 16 : 4);
	prefix_mask(c.u.setip.mask, v6 ? 16 : 4, prefix);
	return qdrv_ipa(q, &c, NULL);
}

int qdrv_setip(struct qdrv *q, bool v6, const uint8_t *addr, unsigned prefix)
{
	return setip_cmd(q, IPA_CMD_SETIP, v6, addr, prefix);
}

int qdrv_delip(struct qdrv *q, bool v6, const uint8_t *addr, unsigned prefix)
{
	return setip_cmd(q, IPA_CMD_DELIP, v6, addr, prefix);
}

int qdrv_setipm(struct qdrv *q, bool v6, const uint8_t *addr)
{
	struct ipa_cmd c;

	ipa_new(&c, IPA_CMD_SETIPM, v6 ? IPA_PROT_V6 : IPA_PROT_V4);
	if (v6) {
		memcpy(c.u.setipm.addr, addr, 16);
		c.u.setipm.mac[0] = 0x33;
		c.u.setipm.mac[1] = 0x33;
		memcpy(c.u.setipm.mac + 2, addr + 12, 4);
	} else {
		memcpy(c.u.setipm.addr + IPA_SETIPM_V4_IN_ADDR, addr, 4);
		c.u.setipm.mac[0] = 0x01;
		c.u.setipm.mac[1] = 0x00;
		c.u.setipm.mac[2] = 0x5E;
		c.u.setipm.mac[3] = addr[1] & 0x7F;
		c.u.setipm.mac[4] = addr[2];
		c.u.setipm.mac[5] = addr[3];
	}
	return qdrv_ipa(q, &c, NULL);
}

static int mac_cmd(struct qdrv *q, uint8_t code, const uint8_t mac[6])
{
	struct ipa_cmd c;

	ipa_new(&c, code, IPA_PROT_V4);
	c.u.mac.len = IPA_MAC_LEN;
	memcpy(c.u.mac.addr, mac, 6);
	return qdrv_ipa(q, &c, NULL);
}

int qdrv_setgmac(struct qdrv *q, const uint8_t mac[6])
{
	return mac_cmd(q, IPA_CMD_SETGMAC, mac);
}

int qdrv_setvmac(struct qdrv *q, const uint8_t mac[6])
{
	return mac_cmd(q, IPA_CMD_SETVMAC, mac);
}

/* ---- data path ------------------------------------------------------------- */

/* Header + the first `len` bytes of a span list into the output SBAL pages. */
static int out_putv_h(struct qdrv *q, const uint8_t *hdr, uint32_t hlen,
		      const struct qdio_span *sp, unsigned nsp, uint32_t len)
{
	struct qdio_span cut[QDRV_TX_SPANS];
	uint32_t have = 0;
	unsigned k;
	int rc;

	if (q->state != QDRV_ONLINE)
		return -ENETDOWN;
	for (k = 0; k < nsp && have < len; k++)
		have += sp[k].len;
	if (have < len)
		return -EINVAL;
	if (have > len) {
		/* Bytes past the length (padding, a longer buffer): send exactly len. */
		if (k > QDRV_TX_SPANS)
			return -EMSGSIZE;
		memcpy(cut, sp, k * sizeof(*sp));
		cut[k - 1].len -= have - len;
		sp = cut;
	}
	nsp = k;
	rc = qdio_pg_out_put(&q->outq[0], hdr, hlen, sp, nsp);
	if (rc == -EAGAIN) {
		qdio_pg_out_reap(&q->outq[0], QDIO_BUFS);
		rc = qdio_pg_out_put(&q->outq[0], hdr, hlen, sp, nsp);
	}
	if (rc < 0) {
		if (rc == -EAGAIN)
			q->st.tx_busy++;
		return rc;
	}
	q->st.tx_pkts++;
	q->st.tx_bytes += len;
	return 0;
}

static int out_putv(struct qdrv *q, const uint8_t *hdr, const struct qdio_span *sp,
		    unsigned nsp, uint32_t len)
{
	return out_putv_h(q, hdr, QHDR_SIZE, sp, nsp, len);
}

int qdrv_sendv_hdr(struct qdrv *q, const uint8_t *hdr, uint32_t hlen, const struct qdio_span *sp,
		   unsigned nsp, uint32_t len)
{
	if (hlen != QHDR_SIZE && hlen != QHDR_TSO_HDR_SIZE)
		return -EINVAL;
	return out_putv_h(q, hdr, hlen, sp, nsp, len);
}

/* The qeth header of one outbound packet: layer 2; layer 3 IPv4 (bare, nh the next
 * hop) or IPv6 (an Ethernet frame with the passthrough flag; nh NULL/zero: the
 * destination).  0 or -EINVAL. */
static int hdr_for(struct qdrv *q, struct qhdr *h, const struct qdio_span *sp, unsigned nsp,
		   uint32_t len, bool v6, const uint8_t *nh, uint8_t cast)
{
	static const uint8_t none[16];
	uint8_t dst[6];

	memset(h, 0, sizeof(*h));
	if (q->cfg.layer == 2) {
		if (len < QHDR_ETH_HLEN || len > QHDR_MAX_DATA ||
		    qdio_spans_copy(sp, nsp, 0, dst, sizeof(dst)) != sizeof(dst))
			return -EINVAL;
		h->id = QHDR_ID_L2;
		h->l2.flags2 = qhdr_l2_cast_for_mac(dst);
		h->l2.pkt_len = (uint16_t)len;
		return 0;
	}
	if (q->cfg.layer != 3 || len > QHDR_MAX_DATA || len < (v6 ? QHDR_ETH_HLEN + 40 : 20))
		return -EINVAL;
	h->id = QHDR_ID_L3;
	h->l3.length = (uint16_t)len;
	if (!v6) {
		h->l3.flags = cast & QHDR_L3_CAST_MASK;
		memcpy(h->l3.addr + QHDR_L3_ADDR_V4, nh, 4);
		return 0;
	}
	h->l3.flags = (uint8_t)(QHDR_L3_IPV6 | QHDR_L3_PASSTHRU | (cast & QHDR_L3_CAST_MASK));
	if (nh && memcmp(nh, none, 16))
		memcpy(h->l3.addr, nh, 16);
	else if (qdio_spans_copy(sp, nsp, QHDR_ETH_HLEN + 24, h->l3.addr, 16) != 16)
		return -EINVAL;		/* the destination address as next hop */
	return 0;
}

int qdrv_sendv_txo(struct qdrv *q, const struct qdrv_txo *o, const struct qdio_span *sp,
		   unsigned nsp, uint32_t len, bool v6, const uint8_t *nh, uint8_t cast)
{
	uint8_t raw[QHDR_TSO_HDR_SIZE], have;
	struct qhdr h;
	uint8_t cs;
	int rc;

	rc = hdr_for(q, &h, sp, nsp, len, v6, nh, cast);
	if (rc < 0)
		return rc;
	if (!o || (!o->csum && !o->mss)) {
		qhdr_encode(&h, raw, sizeof(raw));
		return out_putv(q, raw, sp, nsp, len);
	}
	/* Layer 2 knows the family from the frame, the adapter from the assist it enabled
	 * per family: either family's is enough (Linux sets both together). */
	have = q->cfg.layer == 2 ? (uint8_t)(q->tx_ofl4 | q->tx_ofl6) : v6 ? q->tx_ofl6 : q->tx_ofl4;
	if (!(have & (o->mss ? QDRV_OFL_TSO : QDRV_OFL_CSUM)))
		return -EOPNOTSUPP;
	if (o->mss) {
		if (o->hdr_len == 0 || o->hdr_len >= len)
			return -EINVAL;
		h.id = q->cfg.layer == 2 ? QHDR_ID_L2_TSO : QHDR_ID_L3_TSO;
		h.tso.type = QHDR_TSO_TYPE;
		h.tso.version = QHDR_TSO_VERSION;
		h.tso.mss = o->mss;
		h.tso.proto_hlen = o->hdr_len;
		h.tso.payload_len = len - o->hdr_len;
	} else {
		cs = (uint8_t)(QHDR_L2_CSUM_TRANSP | (o->udp ? QHDR_L2_CSUM_UDP : 0) |
			       (o->ip_hdr ? QHDR_L2_CSUM_HDR : 0));
		if (q->cfg.layer == 2)
			h.l2.flags1 = cs;
		else
			h.l3.ext_flags = cs;	/* the same bits in layer 3 */
	}
	rc = qhdr_encode(&h, raw, sizeof(raw));
	if (rc < 0)
		return rc;
	return out_putv_h(q, raw, (uint32_t)rc, sp, nsp, len);
}

int qdrv_sendv_l2(struct qdrv *q, const struct qdio_span *sp, unsigned nsp, uint32_t len)
{
	if (q->cfg.layer != 2)
		return -EINVAL;
	return qdrv_sendv_txo(q, NULL, sp, nsp, len, false, NULL, 0);
}

int qdrv_sendv_l3_v4(struct qdrv *q, const struct qdio_span *sp, unsigned nsp, uint32_t len,
		     const uint8_t nh[4], uint8_t cast)
{
	if (q->cfg.layer != 3)
		return -EINVAL;
	return qdrv_sendv_txo(q, NULL, sp, nsp, len, false, nh, cast);
}

int qdrv_sendv_l3_v6(struct qdrv *q, const struct qdio_span *sp, unsigned nsp, uint32_t len,
		     const uint8_t *nh, uint8_t cast)
{
	if (q->cfg.layer != 3)
		return -EINVAL;
	return qdrv_sendv_txo(q, NULL, sp, nsp, len, true, nh, cast);
}

int qdrv_send_l2(struct qdrv *q, const uint8_t *frame, uint32_t len)
{
	struct qdio_span sp = { frame, len };

	return qdrv_sendv_l2(q, &sp, 1, len);
}

int qdrv_send_l3_v4(struct qdrv *q, const uint8_t *pkt, uint32_t len, const uint8_t nh[4],
		    uint8_t cast)
{
	struct qdio_span sp = { pkt, len };

	return qdrv_sendv_l3_v4(q, &sp, 1, len, nh, cast);
}

int qdrv_send_l3_v6(struct qdrv *q, const uint8_t *frame, uint32_t len, uint8_t cast)
{
	struct qdio_span sp = { frame, len };

	return qdrv_sendv_l3_v6(q, &sp, 1, len, NULL, cast);
}

int qdrv_flush(struct qdrv *q)
{
	enum qdio_siga sg;
	int n, cc;

	if (q->state != QDRV_ONLINE)
		return -ENETDOWN;
	n = qdio_pg_out_flush(&q->outq[0], &sg);
	if (n <= 0 || sg == QDIO_SIGA_NONE || !q->cfg.siga)
		return n;
	cc = q->cfg.siga(q->cfg.siga_ctx, q->sch[DEV_D], sg == QDIO_SIGA_S ? 2 : 0, 0x80000000u);
	q->st.tx_sigas++;
	if (cc != 0 && cc != 2) {
		q->st.siga_errors++;
		return fail(q, -EIO, "tx: SIGA-%c cc %d", sg == QDIO_SIGA_S ? 's' : 'w', cc);
	}
	return n;
}

struct rx_ctx {
	struct qdrv *q;
	int pkts;
};

/* cfg.rxv: hand the gathered batch over (the buffers are still ours). */
static void rx_flush(struct qdrv *q)
{
	unsigned n = q->rxn;

	q->rxn = q->rxns = 0;
	if (!n || !q->cfg.rxv)
		return;
	q->st.rx_batches++;
	q->cfg.rxv(q->cfg.rx_ctx, q->rxb, n);
}

static void rx_one(void *ctx, const uint8_t *hdr, const struct qdio_span *data, unsigned nspans,
		   uint32_t len)
{
	struct rx_ctx *rc = ctx;
	struct qdrv *q = rc->q;
	uint32_t n;

	if (q->cfg.rxv) {
		struct qdrv_rxpkt *p;

		if (nspans > QDIO_SBALES)
			return;
		if (q->rxn == QDRV_RX_BATCH || q->rxns + nspans > QDRV_RX_SPANS)
			rx_flush(q);
		p = &q->rxb[q->rxn++];
		memcpy(p->qhdr, hdr, QDIO_QETH_HDR);
		memcpy(&q->rxsp[q->rxns], data, nspans * sizeof(*data));
		p->spans = &q->rxsp[q->rxns];
		p->nspans = (uint8_t)nspans;
		p->len = len;
		q->rxns += nspans;
		q->st.rx_pkts++;
		q->st.rx_bytes += len;
		rc->pkts++;
		return;
	}
	if (len > sizeof(q->rxbuf))
		return;
	q->st.rx_pkts++;
	rc->pkts++;
	/* A frame in one element is read where it lies (the input buffer is ours until
	 * it is given back, after this call), as a NIC driver builds its packet around
	 * the page instead of copying it; only a frame spread over several elements is
	 * gathered into rxbuf. */
	if (nspans == 1 && data[0].len >= len) {
		q->st.rx_bytes += len;
		if (q->cfg.rx)
			q->cfg.rx(q->cfg.rx_ctx, hdr, data[0].ptr, len);
		return;
	}
	n = qdio_spans_copy(data, nspans, 0, q->rxbuf, len);
	q->st.rx_bytes += n;
	if (q->cfg.rx)
		q->cfg.rx(q->cfg.rx_ctx, hdr, q->rxbuf, n);
}

int qdrv_poll(struct qdrv *q)
{
	struct rx_ctx rc = { q, 0 };
	int n;

	process(q);
	if (q->state != QDRV_ONLINE)
		return 0;
	for (unsigned i = 0; i < QDRV_OUT_QUEUES; i++)
		qdio_pg_out_reap(&q->outq[i], QDIO_BUFS);
	n = qdio_pg_in_take(&q->inq, QDIO_BUFS, rx_one, &rc);
	rx_flush(q);	/* before the pages its spans point into are given back */
	if (n > 0)
		q->in_taken += (unsigned)n;
	if (q->in_taken >= QDRV_IN_REFILL) {
		int g = give_input(q, q->in_taken);

		if (g > 0)
			q->in_taken -= (unsigned)g;
	}
	return rc.pkts;
}
