/* tests/unit/test_vnic.c - a virtual NIC under hostile guest input: every bad CCW, IDX, MPC,
 * IPA, QDR, SBAL and frame gets its architected answer, and another NIC never notices. */
#include <stdlib.h>

#include "css/ccw.h"
#include "driver/guest.h"
#include "lib/be.h"
#include "qeth/idx.h"
#include "qeth/qhdr.h"
#include "tests/tcheck.h"
#include "vnic/nic_int.h"

/*
 * The world of every case: guest 0 drives the victim NIC V (its interface `vi`) and a
 * bystander NIC X (`xi`); guest 1 drives V's peer P (`pi`) and X's peer Y (`yi`).  V-P and
 * X-Y are joined point to point.  The bystander shares the hostile guest's storage, channel
 * subsystem and interruption queue, so "never disturbs another NIC" is tested where it is
 * hardest.  Bad input is built by hand in guest storage below the driver's areas and
 * started with subch_ssch, or planted in the driver's own queues.
 */
enum { NV = 0, NP = 1, NX = 2, NY = 3 };

struct world {
	struct nicbk nic[4];
	struct port_p2p j[2];
	struct guest g[2];
	struct guest_if *vi, *pi, *xi, *yi;
	uint8_t layer;
};

/* Hand-built channel programs and data live in the guest's "kernel" storage. */
#define H_CCW  0x10000ull
#define H_DATA 0x11000ull
#define H_RBUF 0x13000ull
#define H_QDR  0x14000ull
#define H_FRM  0x20000ull

static const uint8_t v_ip[4] = { 10, 1, 0, 1 }, p_ip[4] = { 10, 1, 0, 2 };
static const uint8_t x_ip[4] = { 10, 9, 0, 1 }, y_ip[4] = { 10, 9, 0, 2 };

static void pump(void *ctx)
{
	guest_poll(ctx);
}

static void world_free(struct world *w)
{
	if (!w)
		return;
	port_p2p_split(&w->j[0]);
	port_p2p_split(&w->j[1]);
	for (int k = 0; k < 2; k++)
		guest_destroy(&w->g[k]);
	for (int k = 0; k < 4; k++)
		nic_destroy(&w->nic[k]);
	free(w);
}

/* Create the four NICs and two guests, bring the bystander pair online; the victim pair
 * is attached in `layer` but left offline. */
static struct world *world_new(struct tctx *t, uint8_t layer)
{
	struct world *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return NULL;
	w->layer = layer;
	for (int k = 0; k < 4; k++) {
		struct nic_cfg c;

		memset(&c, 0, sizeof(c));
		c.base_devno = k < 2 ? 0x0A00 : 0x0B00;
		c.ndev = k == NV ? 6 : 3;	/* V has room for a second connection */
		c.base_schno = (uint16_t)(0x10 * (k + 1));
		c.chpid = 0x0A;
		c.type = NIC_QDIO;
		c.mac[0] = 0x02;
		c.mac[5] = (uint8_t)(0x10 + k);
		c.vm_nic = true;
		if (nic_create(&w->nic[k], &c) < 0)
			goto fail;
	}
	for (int k = 0; k < 2; k++)
		if (guest_create(&w->g[k], guest_mem_size(4)) < 0)
			goto fail;
	if (guest_attach_nic(&w->g[0], &w->nic[NV], 0x0A00, layer, &w->vi) < 0 ||
	    guest_attach_nic(&w->g[0], &w->nic[NX], 0x0B00, 2, &w->xi) < 0 ||
	    guest_attach_nic(&w->g[1], &w->nic[NP], 0x0A00, layer, &w->pi) < 0 ||
	    guest_attach_nic(&w->g[1], &w->nic[NY], 0x0B00, 2, &w->yi) < 0)
		goto fail;
	port_p2p_join(&w->j[0], &w->nic[NV].port, &w->nic[NP].port);
	port_p2p_join(&w->j[1], &w->nic[NX].port, &w->nic[NY].port);
	if ((rc = guest_if_online(w->xi)) < 0 || (rc = guest_if_online(w->yi)) < 0 ||
	    (rc = guest_if_add_ip4(w->xi, x_ip, 24)) < 0 ||
	    (rc = guest_if_add_ip4(w->yi, y_ip, 24)) < 0) {
		tc_fail(t, __FILE__, __LINE__, "bystander online: %d", rc);
		goto fail;
	}
	return w;
fail:
	world_free(w);
	return NULL;
}

/* The victim pair online with addresses. */
static int victim_online(struct tctx *t, struct world *w)
{
	int rc;

	if ((rc = guest_if_online(w->vi)) < 0 || (rc = guest_if_online(w->pi)) < 0 ||
	    (rc = guest_if_add_ip4(w->vi, v_ip, 24)) < 0 ||
	    (rc = guest_if_add_ip4(w->pi, p_ip, 24)) < 0) {
		tc_fail(t, __FILE__, __LINE__, "victim online: %d %s", rc, w->vi->drv.last_error);
		return rc;
	}
	return 0;
}

/* The other NIC pair is untouched: it pings, and neither of its NICs counted anything bad. */
static void check_bystander(struct tctx *t, struct world *w, int line)
{
	int n = guest_ping4(w->xi, y_ip, 2, 56, pump, &w->g[1]);

	if (n != 2)
		tc_fail(t, __FILE__, line, "bystander ping: %d of 2", n);
	for (int k = NX; k <= NY; k++) {
		const struct nicbk *nic = &w->nic[k];

		if (nic->state != NC_DM_ACT || !nic->qdio_active || nic->st.control_rejects ||
		    nic->st.tx_bad_frames || nic->port.st.rx_discards || nic->port.st.tx_discards ||
		    nic->outq[0].st.err[QDIO_E_SBALE_FAULT] || nic->outq[0].st.err[QDIO_E_NO_LAST])
			tc_fail(t, __FILE__, line, "bystander NIC %d disturbed (state %s rej %llu)",
				k, nic_state_name(nic->state),
				(unsigned long long)nic->st.control_rejects);
	}
	t->checks++;
}
#define BYSTANDER_OK(w) check_bystander(t, (w), __LINE__)

/* The victim pair passes traffic again (after offline/online where the case broke it). */
static void check_victim_recovers(struct tctx *t, struct world *w, int line)
{
	int rc;

	guest_if_offline(w->vi);
	rc = guest_if_online(w->vi);
	if (rc == 0)
		rc = guest_if_add_ip4(w->vi, v_ip, 24);
	if (rc < 0) {
		tc_fail(t, __FILE__, line, "victim online again: %d %s", rc, w->vi->drv.last_error);
		return;
	}
	if (w->pi->drv.state != QDRV_ONLINE &&
	    ((rc = guest_if_online(w->pi)) < 0 || (rc = guest_if_add_ip4(w->pi, p_ip, 24)) < 0)) {
		tc_fail(t, __FILE__, line, "peer online: %d %s", rc, w->pi->drv.last_error);
		return;
	}
	rc = guest_ping4(w->vi, p_ip, 2, 56, pump, &w->g[1]);
	if (rc != 2)
		tc_fail(t, __FILE__, line, "victim ping after recovery: %d of 2", rc);
	t->checks++;
}
#define VICTIM_RECOVERS(w) check_victim_recovers(t, (w), __LINE__)

/* ---- hand-built channel programs -------------------------------------------------- */

/* Store n CCWs at H_CCW, start them on s and take the final status.  Returns the SSCH
 * condition code, or -EAGAIN when the program is still running in the device. */
static int run_ccws(struct world *w, struct subch *s, const struct ccw1 *c, unsigned n,
		    struct scsw *st)
{
	uint8_t raw[CCW_SIZE];
	enum css_cc cc;

	for (unsigned i = 0; i < n; i++) {
		if (ccw1_encode(&c[i], raw, sizeof(raw)) < 0 ||
		    gs_store(&w->g[0].gs, H_CCW + CCW_SIZE * i, raw, sizeof(raw)) < 0)
			return -EFAULT;
	}
	memset(st, 0, sizeof(*st));
	cc = subch_ssch(s, 0xBAD0, (uint32_t)H_CCW);
	if (cc != CSS_CC0)
		return (int)cc;
	if (subch_tsch(s, st, NULL) != CSS_CC0)
		return -EAGAIN;
	return 0;
}

static int one_ccw(struct world *w, struct subch *s, uint8_t cmd, uint16_t count, uint64_t addr,
		   struct scsw *st)
{
	struct ccw1 c = { cmd, CCW_FLAG_SLI, count, (uint32_t)addr };

	return run_ccws(w, s, &c, 1, st);
}

/* Sense byte 0 as BASIC SENSE presents it. */
static uint8_t sense0(struct world *w, struct subch *s)
{
	struct scsw st;
	uint8_t b = 0xEE;

	if (one_ccw(w, s, CCW_CMD_SENSE, SENSE_SIZE, H_RBUF + 0x800, &st) != 0)
		return 0xEE;
	gs_fetch8(&w->g[0].gs, H_RBUF + 0x800, &b);
	return b;
}

/* A command the device refused: unit check with command reject, nothing else. */
static void check_reject(struct tctx *t, struct world *w, struct subch *s, int rc,
			 const struct scsw *st, int line)
{
	t->checks++;
	if (rc != 0) {
		tc_fail(t, __FILE__, line, "program did not end (%d)", rc);
		return;
	}
	if (st->dstat != (DEV_CHANNEL_END | DEV_DEVICE_END | DEV_UNIT_CHECK) ||
	    (st->cstat & ~CHN_INCORRECT_LEN) != 0)
		tc_fail(t, __FILE__, line, "status dstat 0x%02x cstat 0x%02x, want a unit check",
			st->dstat, st->cstat);
	else if (sense0(w, s) != SENSE0_CMD_REJECT)
		tc_fail(t, __FILE__, line, "sense byte 0 is not command reject");
}
#define CHECK_REJECT(s, rc, st) check_reject(t, w, (s), (rc), &(st), __LINE__)

/* A device-followed guest address that is invalid: program check, no unit check. */
#define CHECK_PROGCHK(rc, st)                                                          \
	do {                                                                           \
		CHECK_EQ((rc), 0);                                                     \
		CHECK_EQ((st).cstat & CHN_PROGRAM_CHECK, CHN_PROGRAM_CHECK);           \
		CHECK_EQ((st).dstat & DEV_UNIT_CHECK, 0);                              \
	} while (0)

#define CHECK_OK(rc, st)                                                               \
	do {                                                                           \
		CHECK_EQ((rc), 0);                                                     \
		CHECK_EQ((st).dstat, DEV_CHANNEL_END | DEV_DEVICE_END);                \
		CHECK_EQ((st).cstat & ~CHN_INCORRECT_LEN, 0);                          \
	} while (0)

/* WRITE buf on s. */
static int hand_write(struct world *w, struct subch *s, const uint8_t *buf, uint32_t n,
		      struct scsw *st)
{
	if (gs_store(&w->g[0].gs, H_DATA, buf, n) < 0)
		return -EFAULT;
	return one_ccw(w, s, CCW_CMD_WRITE, (uint16_t)n, H_DATA, st);
}

/* IDX ACTIVATE by hand (WRITE chained to READ) on s; the reply lands in reply[IDX_REQ_SIZE]. */
static int hand_idx(struct world *w, struct subch *s, bool read_dev, uint16_t datadev,
		    struct scsw *st, uint8_t *reply)
{
	struct ccw1 c[2] = {
		{ CCW_CMD_WRITE, CCW_FLAG_CC | CCW_FLAG_SLI, IDX_REQ_SIZE, (uint32_t)H_DATA },
		{ CCW_CMD_READ, CCW_FLAG_SLI, 4096, (uint32_t)H_RBUF },
	};
	struct idx_req r;
	uint8_t raw[IDX_REQ_SIZE];
	int rc;

	idx_req_linux(&r, read_dev, 0, IDX_FL_OSD, datadev, 0);
	if (idx_req_encode(&r, raw, sizeof(raw)) < 0)
		return -EINVAL;
	gs_zero(&w->g[0].gs, H_RBUF, 4096);
	if (gs_store(&w->g[0].gs, H_DATA, raw, sizeof(raw)) < 0)
		return -EFAULT;
	rc = run_ccws(w, s, c, 2, st);
	if (reply)
		gs_fetch(&w->g[0].gs, H_RBUF, reply, IDX_REQ_SIZE);
	return rc;
}

/* ---- hand-built MPC ------------------------------------------------------------- */

static struct mpc_hdr mhdr(uint8_t rrh, uint8_t proto, uint32_t dest)
{
	static uint32_t seq = 100;
	struct mpc_hdr h;

	memset(&h, 0, sizeof(h));
	h.th_seq = h.pdu_seq = ++seq;
	h.rrh_type = rrh;
	h.proto = proto;
	h.dest_token = dest;
	return h;
}

enum { M_CM_ENABLE, M_CM_SETUP, M_ULP_ENABLE, M_ULP_SETUP, M_DM_ACT };

/* A well-formed MPC setup message for NIC `nic`, tokens as a correct driver would send;
 * `bad` (if nonzero) replaces the token the command echoes (dest for CM_ENABLE). */
static int mk_mpc(const struct nicbk *nic, int which, uint32_t bad, uint8_t *buf, size_t cap)
{
	struct mpc_hdr h;

	switch (which) {
	case M_CM_ENABLE:
		h = mhdr(MPC_RRH_CM, MPC_PROTO_SETUP, bad ? bad : NIC_TOK_ISSUER(nic));
		return mpc_cm_enable_encode(&h, MPC_TOK_CM_FILTER_W, buf, cap);
	case M_CM_SETUP:
		h = mhdr(MPC_RRH_CM, MPC_PROTO_SETUP, NIC_TOK_ISSUER(nic));
		return mpc_cm_setup_encode(&h, MPC_TOK_CM_CONN_W,
					   bad ? bad : NIC_TOK_CM_FILTER(nic), buf, cap);
	case M_ULP_ENABLE:
		h = mhdr(MPC_RRH_ULP, MPC_PROTO_SETUP, NIC_TOK_CM_CONN(nic));
		return mpc_ulp_enable_encode(&h, MPC_PROTO_L2, 0, MPC_TOK_ULP_FILTER_W, buf, cap);
	case M_ULP_SETUP:
		h = mhdr(MPC_RRH_ULP, MPC_PROTO_SETUP, NIC_TOK_CM_CONN(nic));
		return mpc_ulp_setup_encode(&h, MPC_TOK_ULP_CONN_W,
					    bad ? bad : NIC_TOK_ULP_FILTER(nic),
					    (uint16_t)(nic->cfg.base_devno + 2), 0, buf, cap);
	default:
		h = mhdr(MPC_RRH_ULP, MPC_PROTO_SETUP, NIC_TOK_CM_CONN(nic));
		return mpc_dm_act_encode(&h, bad ? bad : NIC_TOK_ULP_CONN(nic), buf, cap);
	}
}

/* An IPA command framed for the write device, addressed to `dest`. */
static int mk_ipa(const uint8_t *cmd, size_t cmdlen, uint8_t layer, uint32_t dest, uint8_t *buf,
		  size_t cap)
{
	struct mpc_hdr h = mhdr(MPC_RRH_IPA, layer == 2 ? MPC_PROTO_L2 : MPC_PROTO_L3, dest);
	int n = mpc_frame_encode(&h, cmdlen, buf, cap);

	if (n < 0)
		return n;
	memcpy(buf + n, cmd, cmdlen);
	return n + (int)cmdlen;
}

/* The driver's READ took the adapter's next message: fetch it (NULL if none came). */
static const uint8_t *victim_msg(struct world *w, uint32_t *len)
{
	struct qdrv *q = &w->vi->drv;
	uint64_t before = q->st.reads;

	qdrv_irq(q, &w->vi->sch[0]);
	if (q->st.reads == before)
		return NULL;
	*len = be_get32(q->msg + MPC_TH_OFF_LEN);
	if (*len > QDRV_MSG_MAX)
		*len = QDRV_MSG_MAX;
	return q->msg;
}

/* Send raw IPA command bytes on the victim's write device; the reply's header in *rep. */
static int victim_ipa_raw(struct world *w, const uint8_t *cmd, size_t cmdlen, struct scsw *st,
			  struct ipa_hdr *rep)
{
	uint8_t buf[4096];
	const uint8_t *m;
	size_t off, cl;
	uint32_t len;
	int n, rc;

	n = mk_ipa(cmd, cmdlen, w->layer, NIC_TOK_ULP_CONN(&w->nic[NV]), buf, sizeof(buf));
	if (n < 0)
		return n;
	rc = hand_write(w, &w->vi->sch[1], buf, (uint32_t)n, st);
	if (rc != 0)
		return rc;
	m = victim_msg(w, &len);
	if (!m)
		return -ENOMSG;
	rc = ipa_pdu_payload(m, len, &off, &cl);
	if (rc < 0)
		return rc;
	return ipa_hdr_decode(m + off, cl, rep);
}

static int ipa_hdr_bytes(uint8_t cmd, uint16_t seqno, uint16_t prot, uint8_t layer, uint8_t *buf)
{
	struct ipa_hdr h;

	memset(&h, 0, sizeof(h));
	h.cmd = cmd;
	h.initiator = IPA_INIT_HOST;
	h.seqno = seqno;
	h.adapter_type = IPA_ADAPTER_TYPE;
	h.prim_version = layer == 2 ? IPA_PRIM_L2 : IPA_PRIM_L3;
	h.param_count = 1;
	h.prot = prot;
	return ipa_hdr_encode(&h, buf, IPA_HDR_SIZE);
}

/* ---- CCWs for the wrong device role ----------------------------------------------- */

TEST(vnic_ccw_wrong_role_rejected)
{
	struct world *w = world_new(t, 2);
	struct nicbk *v;
	struct scsw st;
	uint8_t rep[IDX_REQ_SIZE];
	int rc;

	REQUIRE(w);
	v = &w->nic[NV];
	REQUIRE(qdrv_sense(&w->vi->drv) == 0);
	/* Before any IDX: a READ or a plain WRITE on any device is out of place. */
	rc = one_ccw(w, &w->vi->sch[2], CCW_CMD_READ, 4096, H_RBUF, &st);
	CHECK_REJECT(&w->vi->sch[2], rc, st);
	rc = hand_write(w, &w->vi->sch[2], (const uint8_t *)"\x00\xE0\x00\x00garbage", 11, &st);
	CHECK_REJECT(&w->vi->sch[2], rc, st);
	/* A command code the device does not know. */
	rc = one_ccw(w, &w->vi->sch[2], 0x07, 0, 0, &st);
	CHECK_REJECT(&w->vi->sch[2], rc, st);

	REQUIRE(hand_idx(w, &w->vi->sch[0], true, 0x0A02, &st, rep) == 0);
	CHECK_EQ(rep[IDX_OFF_REPLY] & 3, IDX_REPLY_POSITIVE);
	REQUIRE(hand_idx(w, &w->vi->sch[1], false, 0x0A02, &st, rep) == 0);
	CHECK_EQ(rep[IDX_OFF_REPLY] & 3, IDX_REPLY_POSITIVE);
	CHECK_EQ(v->state, NC_IDX_BOTH);

	/* RCD is for the data device (and unassigned ones), not the control devices. */
	rc = one_ccw(w, &w->vi->sch[0], w->vi->drv.rcd_cmd, w->vi->drv.rcd_count, H_RBUF, &st);
	CHECK_REJECT(&w->vi->sch[0], rc, st);
	rc = one_ccw(w, &w->vi->sch[1], w->vi->drv.rcd_cmd, w->vi->drv.rcd_count, H_RBUF, &st);
	CHECK_REJECT(&w->vi->sch[1], rc, st);
	/* Establish Queues on a control device. */
	rc = one_ccw(w, &w->vi->sch[0], w->vi->drv.eq_cmd, w->vi->drv.eq_count, H_QDR, &st);
	CHECK_REJECT(&w->vi->sch[0], rc, st);
	/* READ on the write device, control data WRITE on the read device. */
	rc = one_ccw(w, &w->vi->sch[1], CCW_CMD_READ, 4096, H_RBUF, &st);
	CHECK_REJECT(&w->vi->sch[1], rc, st);
	{
		uint8_t m[256];
		int n = mk_mpc(v, M_CM_ENABLE, 0, m, sizeof(m));

		REQUIRE(n > 0);
		rc = hand_write(w, &w->vi->sch[0], m, (uint32_t)n, &st);
		CHECK_REJECT(&w->vi->sch[0], rc, st);
	}
	/* Activate Queues with nothing established. */
	rc = one_ccw(w, &w->vi->sch[2], w->vi->drv.aq_cmd, w->vi->drv.aq_count, 0, &st);
	CHECK_REJECT(&w->vi->sch[2], rc, st);
	/* SENSE ID is always answered, whatever the role. */
	rc = one_ccw(w, &w->vi->sch[0], CCW_CMD_SENSE_ID, SENSEID_SIZE, H_RBUF, &st);
	CHECK_OK(rc, st);
	CHECK_EQ(v->state, NC_IDX_BOTH);
	CHECK_EQ(v->rdev, w->vi->nid[0]);
	CHECK_EQ(v->wdev, w->vi->nid[1]);
	CHECK_EQ(v->msg_count, 0);
	CHECK(v->st.control_rejects >= 9);
	BYSTANDER_OK(w);
	VICTIM_RECOVERS(w);
	BYSTANDER_OK(w);
	world_free(w);
}

/* ---- IDX --------------------------------------------------------------------------- */

TEST(vnic_idx_twice_rejected)
{
	struct world *w = world_new(t, 2);
	struct scsw st;
	uint8_t rep[IDX_REQ_SIZE];
	int rc;

	REQUIRE(w);
	REQUIRE(qdrv_sense(&w->vi->drv) == 0);
	REQUIRE(hand_idx(w, &w->vi->sch[0], true, 0x0A02, &st, rep) == 0);
	CHECK_OK(0, st);
	CHECK_EQ(rep[IDX_OFF_REPLY] & 3, IDX_REPLY_POSITIVE);
	/* The same device again, as read or as write: the device is taken. */
	rc = hand_idx(w, &w->vi->sch[0], true, 0x0A02, &st, NULL);
	CHECK_REJECT(&w->vi->sch[0], rc, st);
	rc = hand_idx(w, &w->vi->sch[0], false, 0x0A02, &st, NULL);
	CHECK_REJECT(&w->vi->sch[0], rc, st);
	CHECK_EQ(w->nic[NV].state, NC_IDX_READ);
	REQUIRE(hand_idx(w, &w->vi->sch[1], false, 0x0A02, &st, rep) == 0);
	CHECK_EQ(rep[IDX_OFF_REPLY] & 3, IDX_REPLY_POSITIVE);
	rc = hand_idx(w, &w->vi->sch[1], false, 0x0A02, &st, NULL);
	CHECK_REJECT(&w->vi->sch[1], rc, st);
	CHECK_EQ(w->nic[NV].state, NC_IDX_BOTH);
	CHECK_EQ(w->vi->nid[0]->role, NID_READ);
	CHECK_EQ(w->vi->nid[1]->role, NID_WRITE);
	BYSTANDER_OK(w);
	VICTIM_RECOVERS(w);
	/* Online through the driver: the write device (no READ pending) refuses IDX too. */
	rc = hand_idx(w, &w->vi->sch[1], true, 0x0A02, &st, NULL);
	CHECK_REJECT(&w->vi->sch[1], rc, st);
	CHECK_EQ(w->nic[NV].state, NC_DM_ACT);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 1, 56, pump, &w->g[1]), 1);
	BYSTANDER_OK(w);
	world_free(w);
}

TEST(vnic_idx_write_before_read_negative)
{
	struct world *w = world_new(t, 2);
	struct scsw st;
	uint8_t rep[IDX_REQ_SIZE];

	REQUIRE(w);
	REQUIRE(qdrv_sense(&w->vi->drv) == 0);
	REQUIRE(hand_idx(w, &w->vi->sch[1], false, 0x0A02, &st, rep) == 0);
	/* The exchange itself ends normally; the answer is in the reply. */
	CHECK_OK(0, st);
	CHECK((rep[IDX_OFF_REPLY] & 3) != IDX_REPLY_POSITIVE);
	CHECK_EQ(rep[IDX_OFF_CAUSE], IDX_CAUSE_BUSY);
	CHECK_EQ(be_get16(rep + IDX_OFF_CMD), IDX_CMD_DEVICE);
	CHECK_EQ(w->nic[NV].state, NC_IDLE);
	CHECK_EQ(w->vi->nid[1]->role, NID_UNASSIGNED);
	CHECK(w->nic[NV].wdev == NULL);
	BYSTANDER_OK(w);
	/* The driver's proper order still works from here. */
	REQUIRE(qdrv_idx(&w->vi->drv) == 0);
	CHECK_EQ(w->nic[NV].state, NC_IDX_BOTH);
	VICTIM_RECOVERS(w);
	world_free(w);
}

TEST(vnic_idx_second_connection_busy)
{
	struct world *w = world_new(t, 2);
	struct guest_if *v2;
	struct scsw st;
	uint8_t rep[IDX_REQ_SIZE];
	int rc;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	/* Devices 3..5 of the same NIC as a second interface of the same guest. */
	REQUIRE(guest_attach_nic(&w->g[0], &w->nic[NV], 0x0A03, 2, &v2) == 0);
	rc = guest_if_online(v2);
	CHECK_EQ(rc, -EBUSY);
	CHECK_EQ(v2->drv.state, QDRV_OFFLINE);
	/* The reply bytes, by hand: negative, cause 0x19, for read and for write. */
	REQUIRE(qdrv_sense(&v2->drv) == 0);
	REQUIRE(hand_idx(w, &v2->sch[0], true, 0x0A05, &st, rep) == 0);
	CHECK_OK(0, st);
	CHECK_EQ(rep[IDX_OFF_REPLY] & 3, 0x01);
	CHECK_EQ(rep[IDX_OFF_CAUSE], IDX_CAUSE_BUSY);
	REQUIRE(hand_idx(w, &v2->sch[1], false, 0x0A05, &st, rep) == 0);
	CHECK_EQ(rep[IDX_OFF_REPLY] & 3, 0x01);
	CHECK_EQ(rep[IDX_OFF_CAUSE], IDX_CAUSE_BUSY);
	/* Nor can it take the first connection's data device. */
	rc = one_ccw(w, &v2->sch[2], w->vi->drv.eq_cmd, w->vi->drv.eq_count, H_QDR, &st);
	CHECK_REJECT(&v2->sch[2], rc, st);
	CHECK_EQ(w->nic[NV].state, NC_DM_ACT);
	CHECK_EQ(w->nic[NV].rdev, w->vi->nid[0]);
	CHECK_EQ(w->nic[NV].ddev, w->vi->nid[2]);
	CHECK(w->nic[NV].qdio_active);
	qdrv_offline(&v2->drv);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 3, 56, pump, &w->g[1]), 3);
	CHECK_EQ(w->nic[NV].state, NC_DM_ACT);
	BYSTANDER_OK(w);
	world_free(w);
}

/* ---- MPC --------------------------------------------------------------------------- */

/* The victim at IDX (driver's READ armed), so the write device takes control data. */
static struct world *world_at_idx(struct tctx *t)
{
	struct world *w = world_new(t, 2);

	if (!w)
		return NULL;
	if (qdrv_sense(&w->vi->drv) < 0 || qdrv_idx(&w->vi->drv) < 0) {
		tc_fail(t, __FILE__, __LINE__, "idx: %s", w->vi->drv.last_error);
		world_free(w);
		return NULL;
	}
	return w;
}

/* Send m on the victim's write device; it must be refused with nothing sent back. */
static void mpc_refused(struct tctx *t, struct world *w, const uint8_t *m, int n,
			enum nic_conn_state want, int line)
{
	struct scsw st;
	uint32_t len;
	int rc;

	if (n <= 0) {
		tc_fail(t, __FILE__, line, "encode %d", n);
		return;
	}
	rc = hand_write(w, &w->vi->sch[1], m, (uint32_t)n, &st);
	check_reject(t, w, &w->vi->sch[1], rc, &st, line);
	if (w->nic[NV].state != want)
		tc_fail(t, __FILE__, line, "state %s, want %s", nic_state_name(w->nic[NV].state),
			nic_state_name(want));
	if (victim_msg(w, &len) != NULL)
		tc_fail(t, __FILE__, line, "the adapter answered a refused message");
	check_bystander(t, w, line);
}
#define MPC_REFUSED(m, n, want) mpc_refused(t, w, (m), (n), (want), __LINE__)

/* A good message advances the state and is answered. */
static void mpc_accepted(struct tctx *t, struct world *w, int which, enum nic_conn_state want,
			 int line)
{
	uint8_t m[256];
	struct scsw st;
	uint32_t len;
	int n = mk_mpc(&w->nic[NV], which, 0, m, sizeof(m));
	int rc = hand_write(w, &w->vi->sch[1], m, (uint32_t)n, &st);

	if (rc != 0 || st.dstat != (DEV_CHANNEL_END | DEV_DEVICE_END) ||
	    w->nic[NV].state != want || victim_msg(w, &len) == NULL)
		tc_fail(t, __FILE__, line, "good MPC %d: rc %d dstat 0x%02x state %s", which, rc,
			st.dstat, nic_state_name(w->nic[NV].state));
	t->checks++;
}
#define MPC_ACCEPTED(which, want) mpc_accepted(t, w, (which), (want), __LINE__)

TEST(vnic_mpc_th_length_past_buffer)
{
	struct world *w = world_at_idx(t);
	uint8_t m[256];
	int n;

	REQUIRE(w);
	n = mk_mpc(&w->nic[NV], M_CM_ENABLE, 0, m, sizeof(m));
	REQUIRE(n > 0);
	be_put32(m + MPC_TH_OFF_LEN, 0x1000);		/* more than was written */
	MPC_REFUSED(m, n, NC_IDX_BOTH);
	be_put32(m + MPC_TH_OFF_LEN, 0x10);		/* less than a TH+RRH+PH */
	MPC_REFUSED(m, n, NC_IDX_BOTH);
	MPC_REFUSED(m, 0x10, NC_IDX_BOTH);		/* shorter than a TH */
	MPC_ACCEPTED(M_CM_ENABLE, NC_CM_ENABLED);
	VICTIM_RECOVERS(w);
	world_free(w);
}

TEST(vnic_mpc_offsets_outside)
{
	struct world *w = world_at_idx(t);
	uint8_t m[256], bad[256];
	int n;

	REQUIRE(w);
	n = mk_mpc(&w->nic[NV], M_CM_ENABLE, 0, m, sizeof(m));
	REQUIRE(n > 0);
	memcpy(bad, m, (size_t)n);
	be_put32(bad + MPC_TH_OFF_RRH, 0x7000);		/* RRH beyond the message */
	MPC_REFUSED(bad, n, NC_IDX_BOTH);
	memcpy(bad, m, (size_t)n);
	be_put32(bad + MPC_PH_OFF + MPC_PH_OFF_DATA, 0x7000);	/* PDU beyond it */
	MPC_REFUSED(bad, n, NC_IDX_BOTH);
	memcpy(bad, m, (size_t)n);
	be_put16(bad + MPC_RRH_OFF + MPC_RRH_OFF_DLEN, 0x4000);	/* PDU length past the end */
	be_put8(bad + MPC_PH_OFF + MPC_PH_OFF_LEN + 1, 0x40);
	MPC_REFUSED(bad, n, NC_IDX_BOTH);
	memcpy(bad, m, (size_t)n);
	be_put32(bad, 0x12345678);			/* not a TH at all */
	MPC_REFUSED(bad, n, NC_IDX_BOTH);
	CHECK_EQ(w->nic[NV].st.mpc_cmds, 0);
	MPC_ACCEPTED(M_CM_ENABLE, NC_CM_ENABLED);
	world_free(w);
}

TEST(vnic_mpc_wrong_dest_token)
{
	struct world *w = world_at_idx(t);
	uint8_t m[256];

	REQUIRE(w);
	MPC_REFUSED(m, mk_mpc(&w->nic[NV], M_CM_ENABLE, 0xC3D7FFFF, m, sizeof(m)), NC_IDX_BOTH);
	MPC_ACCEPTED(M_CM_ENABLE, NC_CM_ENABLED);
	{
		/* CM_SETUP addressed to the CM connection instead of the issuer. */
		struct mpc_hdr h = mhdr(MPC_RRH_CM, MPC_PROTO_SETUP, NIC_TOK_CM_CONN(&w->nic[NV]));
		int n = mpc_cm_setup_encode(&h, MPC_TOK_CM_CONN_W, NIC_TOK_CM_FILTER(&w->nic[NV]),
					    m, sizeof(m));

		MPC_REFUSED(m, n, NC_CM_ENABLED);
	}
	MPC_ACCEPTED(M_CM_SETUP, NC_CM_SETUP);
	VICTIM_RECOVERS(w);
	world_free(w);
}

TEST(vnic_mpc_wrong_filter_tokens)
{
	struct world *w = world_at_idx(t);
	uint8_t m[256];

	REQUIRE(w);
	MPC_ACCEPTED(M_CM_ENABLE, NC_CM_ENABLED);
	MPC_REFUSED(m, mk_mpc(&w->nic[NV], M_CM_SETUP, 0x00010108, m, sizeof(m)), NC_CM_ENABLED);
	MPC_ACCEPTED(M_CM_SETUP, NC_CM_SETUP);
	MPC_ACCEPTED(M_ULP_ENABLE, NC_ULP_ENABLED);
	MPC_REFUSED(m, mk_mpc(&w->nic[NV], M_ULP_SETUP, NIC_TOK_CM_FILTER(&w->nic[NV]), m,
			      sizeof(m)), NC_ULP_ENABLED);
	MPC_ACCEPTED(M_ULP_SETUP, NC_ULP_SETUP);
	CHECK_EQ(w->nic[NV].layer, 2);
	VICTIM_RECOVERS(w);
	world_free(w);
}

TEST(vnic_mpc_out_of_order)
{
	struct world *w = world_at_idx(t);
	uint8_t m[256];

	REQUIRE(w);
	/* Nothing but CM_ENABLE right after IDX. */
	MPC_REFUSED(m, mk_mpc(&w->nic[NV], M_ULP_ENABLE, 0, m, sizeof(m)), NC_IDX_BOTH);
	MPC_REFUSED(m, mk_mpc(&w->nic[NV], M_CM_SETUP, 0, m, sizeof(m)), NC_IDX_BOTH);
	MPC_REFUSED(m, mk_mpc(&w->nic[NV], M_DM_ACT, 0, m, sizeof(m)), NC_IDX_BOTH);
	MPC_ACCEPTED(M_CM_ENABLE, NC_CM_ENABLED);
	/* ULP_ENABLE before CM_SETUP; CM_ENABLE twice. */
	MPC_REFUSED(m, mk_mpc(&w->nic[NV], M_ULP_ENABLE, 0, m, sizeof(m)), NC_CM_ENABLED);
	MPC_REFUSED(m, mk_mpc(&w->nic[NV], M_CM_ENABLE, 0, m, sizeof(m)), NC_CM_ENABLED);
	MPC_ACCEPTED(M_CM_SETUP, NC_CM_SETUP);
	{
		/* ULP_ENABLE with a protocol that is neither L2 nor L3, or link number 1. */
		struct mpc_hdr h = mhdr(MPC_RRH_ULP, MPC_PROTO_SETUP, NIC_TOK_CM_CONN(&w->nic[NV]));

		MPC_REFUSED(m, mpc_ulp_enable_encode(&h, 0x55, 0, MPC_TOK_ULP_FILTER_W, m, sizeof(m)),
			    NC_CM_SETUP);
		MPC_REFUSED(m, mpc_ulp_enable_encode(&h, MPC_PROTO_L2, 1, MPC_TOK_ULP_FILTER_W, m,
						     sizeof(m)), NC_CM_SETUP);
	}
	MPC_REFUSED(m, mk_mpc(&w->nic[NV], M_DM_ACT, 0, m, sizeof(m)), NC_CM_SETUP);
	CHECK_EQ(w->nic[NV].layer, 0);
	VICTIM_RECOVERS(w);
	world_free(w);
}

TEST(vnic_mpc_dm_act_wrong_ulp_token)
{
	struct world *w = world_at_idx(t);
	uint8_t m[256];

	REQUIRE(w);
	REQUIRE(qdrv_mpc(&w->vi->drv) == 0);
	CHECK_EQ(w->nic[NV].state, NC_ULP_SETUP);
	MPC_REFUSED(m, mk_mpc(&w->nic[NV], M_DM_ACT, NIC_TOK_CM_CONN(&w->nic[NV]), m, sizeof(m)),
		    NC_ULP_SETUP);
	MPC_REFUSED(m, mk_mpc(&w->nic[NV], M_DM_ACT, 0x0001010D, m, sizeof(m)), NC_ULP_SETUP);
	/* Unchanged state means the driver's own DM_ACT and bring-up carry on from here. */
	REQUIRE(qdrv_qdio(&w->vi->drv) == 0);
	CHECK_EQ(w->nic[NV].state, NC_DM_ACT);
	REQUIRE(qdrv_ipa_bringup(&w->vi->drv) == 0);
	REQUIRE(guest_if_online(w->pi) == 0);
	REQUIRE(guest_if_add_ip4(w->pi, p_ip, 24) == 0);
	stack_set_mac(&w->vi->stk, w->vi->drv.mac);
	stack_set_ip4(&w->vi->stk, v_ip, 24);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 2, 56, pump, &w->g[1]), 2);
	BYSTANDER_OK(w);
	world_free(w);
}

/* ---- IPA --------------------------------------------------------------------------- */

TEST(vnic_ipa_before_dm_act_rejected)
{
	struct world *w = world_at_idx(t);
	uint8_t cmd[IPA_HDR_SIZE], m[256];
	int n;

	REQUIRE(w);
	REQUIRE(qdrv_mpc(&w->vi->drv) == 0);
	REQUIRE(ipa_hdr_bytes(IPA_CMD_STARTLAN, 1, 0, 2, cmd) == IPA_HDR_SIZE);
	n = mk_ipa(cmd, sizeof(cmd), 2, NIC_TOK_ULP_CONN(&w->nic[NV]), m, sizeof(m));
	MPC_REFUSED(m, n, NC_ULP_SETUP);
	CHECK_EQ(w->nic[NV].st.ipa_cmds, 0);
	CHECK(!w->nic[NV].lan_started);
	VICTIM_RECOVERS(w);
	world_free(w);
}

TEST(vnic_ipa_wrong_dest_or_no_header_rejected)
{
	struct world *w = world_new(t, 2);
	uint8_t cmd[IPA_HDR_SIZE], m[256];
	uint64_t before;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	before = w->nic[NV].st.ipa_cmds;
	REQUIRE(ipa_hdr_bytes(IPA_CMD_QIPASSIST, 77, IPA_PROT_V4, 2, cmd) == IPA_HDR_SIZE);
	/* Addressed to the CM connection, not the ULP connection. */
	MPC_REFUSED(m, mk_ipa(cmd, sizeof(cmd), 2, NIC_TOK_CM_CONN(&w->nic[NV]), m, sizeof(m)),
		    NC_DM_ACT);
	/* Fewer bytes than an IPA header: nothing to answer, a command reject. */
	MPC_REFUSED(m, mk_ipa(cmd, 8, 2, NIC_TOK_ULP_CONN(&w->nic[NV]), m, sizeof(m)), NC_DM_ACT);
	/* A reply (initiator adapter) sent to the adapter. */
	cmd[IPA_OFF_INITIATOR] = IPA_INIT_OSA_REPLY;
	MPC_REFUSED(m, mk_ipa(cmd, sizeof(cmd), 2, NIC_TOK_ULP_CONN(&w->nic[NV]), m, sizeof(m)),
		    NC_DM_ACT);
	CHECK(w->nic[NV].st.ipa_cmds - before <= 1);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 2, 56, pump, &w->g[1]), 2);
	world_free(w);
}

TEST(vnic_ipa_unknown_command_rc_0001)
{
	struct world *w = world_new(t, 3);
	uint8_t cmd[IPA_HDR_SIZE + 16];
	struct ipa_hdr rep;
	struct scsw st;
	uint64_t err;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	err = w->nic[NV].st.ipa_errors;
	memset(cmd, 0xA5, sizeof(cmd));
	REQUIRE(ipa_hdr_bytes(0x77, 0x4242, IPA_PROT_V4, 3, cmd) == IPA_HDR_SIZE);
	REQUIRE(victim_ipa_raw(w, cmd, sizeof(cmd), &st, &rep) == 0);
	CHECK_OK(0, st);
	CHECK_EQ(rep.cmd, 0x77);
	CHECK_EQ(rep.seqno, 0x4242);
	CHECK_EQ(rep.rc, IPA_RC_NOTSUPP);
	CHECK(ipa_initiator_is_reply(rep.initiator));
	CHECK_EQ(w->nic[NV].st.ipa_errors, err + 1);
	/* Known but unimplemented here: SET_DIAG_ASS-like codes also get 0x0001. */
	REQUIRE(ipa_hdr_bytes(IPA_CMD_SETCCID, 0x4243, IPA_PROT_V4, 3, cmd) == IPA_HDR_SIZE);
	REQUIRE(victim_ipa_raw(w, cmd, sizeof(cmd), &st, &rep) == 0);
	CHECK_EQ(rep.rc, IPA_RC_NOTSUPP);
	CHECK_EQ(w->nic[NV].state, NC_DM_ACT);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 2, 56, pump, &w->g[1]), 2);
	BYSTANDER_OK(w);
	world_free(w);
}

TEST(vnic_ipa_truncated_body_rc_0006)
{
	struct world *w = world_new(t, 3);
	uint8_t cmd[IPA_HDR_SIZE + 4];
	struct ipa_hdr rep;
	struct scsw st;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	/* SETIP v4 needs address, mask and flags after the header; 4 bytes are there. */
	memset(cmd, 0, sizeof(cmd));
	REQUIRE(ipa_hdr_bytes(IPA_CMD_SETIP, 0x99, IPA_PROT_V4, 3, cmd) == IPA_HDR_SIZE);
	REQUIRE(victim_ipa_raw(w, cmd, sizeof(cmd), &st, &rep) == 0);
	CHECK_OK(0, st);
	CHECK_EQ(rep.cmd, IPA_CMD_SETIP);
	CHECK_EQ(rep.seqno, 0x99);
	CHECK_EQ(rep.rc, IPA_RC_INVALID_FORMAT);
	CHECK_EQ(w->nic[NV].nips, 1);		/* only the driver's own address */
	/* SETADAPTERPARMS with its sub-header cut. */
	REQUIRE(ipa_hdr_bytes(IPA_CMD_SETADAPTERPARMS, 0x9A, IPA_PROT_V4, 3, cmd) == IPA_HDR_SIZE);
	REQUIRE(victim_ipa_raw(w, cmd, sizeof(cmd), &st, &rep) == 0);
	CHECK_EQ(rep.rc, IPA_RC_INVALID_FORMAT);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 2, 56, pump, &w->g[1]), 2);
	BYSTANDER_OK(w);
	world_free(w);
}

TEST(vnic_ipa_setip_before_startlan_e008)
{
	struct world *w = world_new(t, 3);
	static const uint8_t a[4] = { 10, 1, 0, 9 };

	REQUIRE(w);
	REQUIRE(qdrv_sense(&w->vi->drv) == 0);
	REQUIRE(qdrv_idx(&w->vi->drv) == 0);
	REQUIRE(qdrv_mpc(&w->vi->drv) == 0);
	REQUIRE(qdrv_qdio(&w->vi->drv) == 0);
	CHECK_EQ(w->nic[NV].state, NC_DM_ACT);
	CHECK_EQ(qdrv_setip(&w->vi->drv, false, a, 24), IPA_RC_SETIP_NO_STARTLAN);
	CHECK_EQ(w->nic[NV].nips, 0);
	BYSTANDER_OK(w);
	VICTIM_RECOVERS(w);
	world_free(w);
}

TEST(vnic_ipa_delip_unknown_e010)
{
	struct world *w = world_new(t, 3);
	static const uint8_t a[4] = { 10, 1, 0, 77 };

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	CHECK_EQ(qdrv_delip(&w->vi->drv, false, a, 24), IPA_RC_PRIMARY_ALREADY_DEFINED);
	CHECK_EQ(w->nic[NV].nips, 1);
	CHECK_EQ(qdrv_delip(&w->vi->drv, false, v_ip, 24), 0);
	CHECK_EQ(w->nic[NV].nips, 0);
	CHECK_EQ(qdrv_delip(&w->vi->drv, false, v_ip, 24), IPA_RC_PRIMARY_ALREADY_DEFINED);
	BYSTANDER_OK(w);
	world_free(w);
}

TEST(vnic_ipa_setvmac_on_layer3_2003)
{
	struct world *w = world_new(t, 3);
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x55 };

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	CHECK_EQ(qdrv_setvmac(&w->vi->drv, mac), IPA_RC_L2_UNSUPPORTED_CMD);
	CHECK_EQ(qdrv_setgmac(&w->vi->drv, (const uint8_t[6]){ 0x01, 0, 0x5E, 0, 0, 1 }),
		 IPA_RC_L2_UNSUPPORTED_CMD);
	CHECK_EQ(w->nic[NV].nmacs, 0);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 1, 56, pump, &w->g[1]), 1);
	BYSTANDER_OK(w);
	world_free(w);
}

TEST(vnic_ipa_setvlan_4095_2015)
{
	struct world *w = world_new(t, 2);
	struct ipa_cmd c;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_SETVLAN;
	c.hdr.prot = IPA_PROT_V4;
	c.u.vlan = 4095;
	CHECK_EQ(qdrv_ipa(&w->vi->drv, &c, NULL), IPA_RC_L2_INVALID_VLAN_ID);
	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_SETVLAN;
	c.hdr.prot = IPA_PROT_V4;
	c.u.vlan = 0;
	CHECK_EQ(qdrv_ipa(&w->vi->drv, &c, NULL), IPA_RC_L2_INVALID_VLAN_ID);
	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_DELVLAN;
	c.hdr.prot = IPA_PROT_V4;
	c.u.vlan = 100;
	CHECK_EQ(qdrv_ipa(&w->vi->drv, &c, NULL), IPA_RC_L2_VLAN_ID_NOT_FOUND);
	for (unsigned v = 0; v < 4096 / 8; v++)
		CHECK_EQ(w->nic[NV].vlans[v], 0);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 1, 56, pump, &w->g[1]), 1);
	BYSTANDER_OK(w);
	world_free(w);
}

/* QUERY_CARD_INFO as Linux up to 5.19 sends it from ethtool (qeth_get_adapter_cmd with
 * no data: the command ends after the 16-byte sub-header); the reply carries the
 * card-info block after it, and every length in the PDU says so. */
TEST(vnic_ipa_query_card_info_without_data_bytes)
{
	struct world *w = world_new(t, 2);
	uint8_t cmd[IPA_SETADP_OFF_DATA], buf[4096];
	const uint8_t *m, *r;
	struct scsw st;
	size_t off, cl;
	uint32_t len;
	int n;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	for (int speed = 0; speed < 2; speed++) {
		/* The speed follows the link type ULP_ENABLE reported: GbE, then 10GbE. */
		w->nic[NV].cfg.link_type = speed ? MPC_LINK_10GBE : MPC_LINK_GBE;
		memset(cmd, 0, sizeof(cmd));
		REQUIRE(ipa_hdr_bytes(IPA_CMD_SETADAPTERPARMS, (uint16_t)(0x5150 + speed),
				      IPA_PROT_V4, 2, cmd) == IPA_HDR_SIZE);
		be_put16(cmd + IPA_SETADP_OFF_CMDLEN, IPA_SETADP_CMDLEN_BASE);
		be_put32(cmd + IPA_SETADP_OFF_SUBCMD, IPA_SETADP_QUERY_CARD_INFO);
		cmd[IPA_SETADP_OFF_USED_TOTAL] = 1;
		cmd[IPA_SETADP_OFF_SEQ] = 1;
		n = mk_ipa(cmd, sizeof(cmd), 2, NIC_TOK_ULP_CONN(&w->nic[NV]), buf, sizeof(buf));
		REQUIRE(n > 0);
		REQUIRE(hand_write(w, &w->vi->sch[1], buf, (uint32_t)n, &st) == 0);
		m = victim_msg(w, &len);
		REQUIRE(m != NULL);
		CHECK_EQ(len, IPA_PDU_HDR_SIZE + IPA_SETADP_OFF_DATA + IPA_ADP_CARD_SIZE);
		REQUIRE(ipa_pdu_payload(m, len, &off, &cl) == 0);
		CHECK_EQ(cl, IPA_SETADP_OFF_DATA + IPA_ADP_CARD_SIZE);
		r = m + off;
		CHECK_EQ(r[IPA_OFF_CMD], IPA_CMD_SETADAPTERPARMS);
		CHECK(ipa_initiator_is_reply(r[IPA_OFF_INITIATOR]));
		CHECK_EQ(be_get16(r + IPA_OFF_SEQNO), 0x5150 + speed);
		CHECK_EQ(be_get16(r + IPA_OFF_RC), 0);
		CHECK_EQ(be_get16(r + IPA_SETADP_OFF_CMDLEN),
			 IPA_SETADP_CMDLEN_BASE + IPA_ADP_CARD_SIZE);
		CHECK_EQ(be_get32(r + IPA_SETADP_OFF_SUBCMD), IPA_SETADP_QUERY_CARD_INFO);
		CHECK_EQ(be_get16(r + IPA_SETADP_OFF_SUBRC), 0);
		CHECK(be_get32(r + IPA_SETADP_OFF_SUPPORTED) & IPA_SETADP_QUERY_CARD_INFO);
		/* card type (none of the OSA feature codes), reserved, port mode full
		 * duplex, port speed, 4 reserved bytes. */
		CHECK_MEM(r + IPA_SETADP_OFF_DATA,
			  ((const uint8_t[IPA_ADP_CARD_SIZE]){ 0x00, 0x00, 0x00, 0x03, 0x00, 0x00,
							       0x00, speed ? 0x08 : 0x07,
							       0, 0, 0, 0 }),
			  IPA_ADP_CARD_SIZE);
	}
	CHECK_EQ(guest_ping4(w->vi, p_ip, 1, 56, pump, &w->g[1]), 1);
	BYSTANDER_OK(w);
	world_free(w);
}

/* ---- Establish / Activate Queues ---------------------------------------------------- */

/* The victim after MPC with the driver's QDIO blocks built but not established. */
static struct world *world_at_mpc(struct tctx *t, struct qdio_pg_layout *lay)
{
	struct world *w = world_at_idx(t);
	struct qdio_pg_cfg pc;

	if (!w)
		return NULL;
	memset(&pc, 0, sizeof(pc));
	pc.qfmt = QDIO_QFMT_QETH;
	pc.nin = 1;
	pc.nout = QDRV_OUT_QUEUES;
	pc.nelem = QDIO_SBALES;
	if (qdrv_mpc(&w->vi->drv) < 0 ||
	    qdio_pg_build(&w->g[0].gs, w->vi->drv.a_qdio, &pc, lay) < 0) {
		tc_fail(t, __FILE__, __LINE__, "mpc: %s", w->vi->drv.last_error);
		world_free(w);
		return NULL;
	}
	return w;
}

/* Establish Queues with the driver's QDR patched by `patch` (offset, 8-byte value). */
static int eq_patched(struct world *w, const struct qdio_pg_layout *lay, uint32_t off,
		      uint64_t val, struct scsw *st)
{
	uint8_t qdr[QDR_SIZE];

	if (gs_fetch(&w->g[0].gs, lay->qdr, qdr, sizeof(qdr)) < 0)
		return -EFAULT;
	if (off < QDR_SIZE)
		be_put64(qdr + off, val);
	if (gs_store(&w->g[0].gs, H_QDR, qdr, sizeof(qdr)) < 0)
		return -EFAULT;
	return one_ccw(w, &w->vi->sch[2], w->vi->drv.eq_cmd, w->vi->drv.eq_count, H_QDR, st);
}

static void check_no_queues(struct tctx *t, struct world *w, int line)
{
	const struct nicbk *v = &w->nic[NV];

	t->checks++;
	if (v->qdio_established || v->qdio_active || v->ddev || w->vi->nid[2]->role != NID_UNASSIGNED ||
	    w->vi->sch[2].scsw.q)
		tc_fail(t, __FILE__, line, "queues present after a refused Establish Queues");
	if (nic_siga(w->vi->nid[2], NIC_SIGA_W, 0x80000000u) != 3)
		tc_fail(t, __FILE__, line, "SIGA on a device that is no data device is not cc 3");
}
#define NO_QUEUES(w) check_no_queues(t, (w), __LINE__)

TEST(vnic_eq_qdr_outside_storage_program_check)
{
	struct qdio_pg_layout lay;
	struct world *w = world_at_mpc(t, &lay);
	uint64_t end;
	struct scsw st;
	int rc;

	REQUIRE(w);
	end = w->g[0].gs.size;
	/* Input queue 0's SLSB, SL, SLIB outside storage; the QIB outside. */
	rc = eq_patched(w, &lay, QDR_OFF_QDF0 + QDESFMT0_OFF_SLSB, end + 0x1000, &st);
	CHECK_PROGCHK(rc, st);
	NO_QUEUES(w);
	rc = eq_patched(w, &lay, QDR_OFF_QDF0 + QDESFMT0_OFF_SL, end, &st);
	CHECK_PROGCHK(rc, st);
	NO_QUEUES(w);
	rc = eq_patched(w, &lay, QDR_OFF_QDF0 + QDESFMT0_OFF_SLIB, ~0ull & ~0x7FFull, &st);
	CHECK_PROGCHK(rc, st);
	NO_QUEUES(w);
	/* Output queue 3 (the last descriptor) this time. */
	rc = eq_patched(w, &lay, QDR_OFF_QDF0 + 4 * QDESFMT0_SIZE + QDESFMT0_OFF_SLSB,
			end - 0x80, &st);
	CHECK_PROGCHK(rc, st);
	NO_QUEUES(w);
	rc = eq_patched(w, &lay, QDR_OFF_QIBA, end + 0x100, &st);
	CHECK_PROGCHK(rc, st);
	NO_QUEUES(w);
	/* The CCW's own data address outside storage: the channel's program check. */
	rc = one_ccw(w, &w->vi->sch[2], w->vi->drv.eq_cmd, w->vi->drv.eq_count,
		     0x7FFFF000u, &st);
	CHECK_PROGCHK(rc, st);
	NO_QUEUES(w);
	/* Activate Queues without established queues. */
	rc = one_ccw(w, &w->vi->sch[2], w->vi->drv.aq_cmd, w->vi->drv.aq_count, 0, &st);
	CHECK_REJECT(&w->vi->sch[2], rc, st);
	NO_QUEUES(w);
	BYSTANDER_OK(w);
	/* No queues yet: no queue blocks and no output batch either (they come with the
	 * first queues). */
	CHECK(w->nic[NV].inq == NULL && w->nic[NV].outq == NULL && w->nic[NV].txb == NULL);
	/* The driver's own (valid) QDR still establishes: the NIC kept no trace. */
	REQUIRE(qdrv_qdio(&w->vi->drv) == 0);
	CHECK(w->nic[NV].inq != NULL && w->nic[NV].outq != NULL && w->nic[NV].txb != NULL);
	REQUIRE(qdrv_ipa_bringup(&w->vi->drv) == 0);
	CHECK(w->nic[NV].qdio_active);
	VICTIM_RECOVERS(w);
	world_free(w);
}

TEST(vnic_eq_qdr_misaligned_program_check)
{
	struct qdio_pg_layout lay;
	struct world *w = world_at_mpc(t, &lay);
	uint8_t qdr[QDR_SIZE];
	struct scsw st;
	uint64_t slsb, sl, qib;
	int rc;

	REQUIRE(w);
	REQUIRE(gs_fetch(&w->g[0].gs, lay.qdr, qdr, sizeof(qdr)) == 0);
	slsb = be_get64(qdr + QDR_OFF_QDF0 + QDESFMT0_OFF_SLSB);
	sl = be_get64(qdr + QDR_OFF_QDF0 + QDESFMT0_OFF_SL);
	qib = be_get64(qdr + QDR_OFF_QIBA);
	rc = eq_patched(w, &lay, QDR_OFF_QDF0 + QDESFMT0_OFF_SLSB, slsb + 8, &st);
	CHECK_PROGCHK(rc, st);
	NO_QUEUES(w);
	rc = eq_patched(w, &lay, QDR_OFF_QDF0 + QDESFMT0_OFF_SL, sl + 0x100, &st);
	CHECK_PROGCHK(rc, st);
	NO_QUEUES(w);
	rc = eq_patched(w, &lay, QDR_OFF_QIBA, qib + 0x10, &st);
	CHECK_PROGCHK(rc, st);
	NO_QUEUES(w);
	/* The QDR itself not on a 4K boundary (the channel hands the device its bytes, so
	 * the device sees a QDR whose contents are shifted: a malformed one). */
	rc = one_ccw(w, &w->vi->sch[2], w->vi->drv.eq_cmd, w->vi->drv.eq_count, H_QDR + 0x800,
		     &st);
	CHECK_EQ(rc, 0);
	CHECK(st.dstat & DEV_UNIT_CHECK || st.cstat & CHN_PROGRAM_CHECK);
	NO_QUEUES(w);
	BYSTANDER_OK(w);
	REQUIRE(qdrv_qdio(&w->vi->drv) == 0);
	VICTIM_RECOVERS(w);
	world_free(w);
}

TEST(vnic_eq_qdr_malformed_command_reject)
{
	struct qdio_pg_layout lay;
	struct world *w = world_at_mpc(t, &lay);
	uint8_t qdr[QDR_SIZE];
	struct scsw st;
	int rc;

	REQUIRE(w);
	REQUIRE(gs_fetch(&w->g[0].gs, lay.qdr, qdr, sizeof(qdr)) == 0);
	/* A HiperSockets queue format on an OSA NIC. */
	qdr[QDR_OFF_QFMT] = QDIO_QFMT_IQDIO;
	REQUIRE(gs_store(&w->g[0].gs, H_QDR, qdr, sizeof(qdr)) == 0);
	rc = one_ccw(w, &w->vi->sch[2], w->vi->drv.eq_cmd, w->vi->drv.eq_count, H_QDR, &st);
	CHECK_REJECT(&w->vi->sch[2], rc, st);
	NO_QUEUES(w);
	/* Zero input queues; then 33 output queues. */
	qdr[QDR_OFF_QFMT] = QDIO_QFMT_QETH;
	qdr[QDR_OFF_IQDCNT] = 0;
	REQUIRE(gs_store(&w->g[0].gs, H_QDR, qdr, sizeof(qdr)) == 0);
	rc = one_ccw(w, &w->vi->sch[2], w->vi->drv.eq_cmd, w->vi->drv.eq_count, H_QDR, &st);
	CHECK_REJECT(&w->vi->sch[2], rc, st);
	NO_QUEUES(w);
	qdr[QDR_OFF_IQDCNT] = 1;
	qdr[QDR_OFF_OQDCNT] = 33;
	REQUIRE(gs_store(&w->g[0].gs, H_QDR, qdr, sizeof(qdr)) == 0);
	rc = one_ccw(w, &w->vi->sch[2], w->vi->drv.eq_cmd, w->vi->drv.eq_count, H_QDR, &st);
	CHECK_REJECT(&w->vi->sch[2], rc, st);
	NO_QUEUES(w);
	/* A QDR shorter than its fixed part. */
	rc = one_ccw(w, &w->vi->sch[2], w->vi->drv.eq_cmd, 0x20, lay.qdr, &st);
	CHECK_REJECT(&w->vi->sch[2], rc, st);
	NO_QUEUES(w);
	/* Establish Queues on the write device. */
	rc = one_ccw(w, &w->vi->sch[1], w->vi->drv.eq_cmd, w->vi->drv.eq_count, lay.qdr, &st);
	CHECK_REJECT(&w->vi->sch[1], rc, st);
	CHECK_EQ(w->vi->nid[1]->role, NID_WRITE);
	NO_QUEUES(w);
	BYSTANDER_OK(w);
	REQUIRE(qdrv_qdio(&w->vi->drv) == 0);
	VICTIM_RECOVERS(w);
	world_free(w);
}

TEST(vnic_data_device_read_write_siga_before_aq)
{
	struct qdio_pg_layout lay;
	struct world *w = world_at_mpc(t, &lay);
	struct scsw st;
	int rc;

	REQUIRE(w);
	rc = one_ccw(w, &w->vi->sch[2], w->vi->drv.eq_cmd, w->vi->drv.eq_count, lay.qdr, &st);
	CHECK_OK(rc, st);
	CHECK_EQ(w->vi->nid[2]->role, NID_DATA);
	CHECK(w->nic[NV].qdio_established);
	CHECK(!w->nic[NV].qdio_active);
	/* Established, not active: SIGA cc 1. */
	CHECK_EQ(nic_siga(w->vi->nid[2], NIC_SIGA_W, 0x80000000u), 1);
	CHECK_EQ(nic_siga(w->vi->nid[2], NIC_SIGA_R, 0x80000000u), 1);
	/* SIGA on the control devices: cc 3. */
	CHECK_EQ(nic_siga(w->vi->nid[0], NIC_SIGA_W, 0x80000000u), 3);
	CHECK_EQ(nic_siga(w->vi->nid[1], NIC_SIGA_S, 0x80000000u), 3);
	/* READ / WRITE / RCD ... on the data device. */
	rc = one_ccw(w, &w->vi->sch[2], CCW_CMD_READ, 4096, H_RBUF, &st);
	CHECK_REJECT(&w->vi->sch[2], rc, st);
	rc = hand_write(w, &w->vi->sch[2], (const uint8_t *)"\0\0\x80\0", 4, &st);
	CHECK_REJECT(&w->vi->sch[2], rc, st);
	{
		uint8_t m[256];
		int n = mk_mpc(&w->nic[NV], M_DM_ACT, 0, m, sizeof(m));

		rc = hand_write(w, &w->vi->sch[2], m, (uint32_t)n, &st);
		CHECK_REJECT(&w->vi->sch[2], rc, st);
	}
	CHECK_EQ(w->vi->nid[2]->role, NID_DATA);
	CHECK(w->nic[NV].qdio_established);
	BYSTANDER_OK(w);
	REQUIRE(qdrv_qdio(&w->vi->drv) == 0);
	REQUIRE(qdrv_ipa_bringup(&w->vi->drv) == 0);
	/* Active now: SIGA on the read device is still cc 3, unknown function cc 3. */
	CHECK_EQ(nic_siga(w->vi->nid[0], NIC_SIGA_W, 0x80000000u), 3);
	CHECK_EQ(nic_siga(w->vi->nid[2], 7, 0x80000000u), 3);
	CHECK_EQ(nic_siga(w->vi->nid[2], NIC_SIGA_W, 0), 0);
	/* A second Activate Queues / Establish Queues while active: the subchannel is busy. */
	rc = one_ccw(w, &w->vi->sch[2], w->vi->drv.aq_cmd, 0, 0, &st);
	CHECK_EQ(rc, CSS_CC2);
	VICTIM_RECOVERS(w);
	BYSTANDER_OK(w);
	world_free(w);
}

static void halt_or_clear_aq(struct tctx *t, bool clear)
{
	struct world *w = world_new(t, 2);
	struct qdrv *q;
	uint64_t down;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	q = &w->vi->drv;
	CHECK(w->vi->sch[2].scsw.q);
	CHECK_EQ(clear ? subch_csch(&w->vi->sch[2]) : subch_hsch(&w->vi->sch[2]), CSS_CC0);
	CHECK(!w->nic[NV].qdio_active);
	CHECK(!w->nic[NV].qdio_established);
	CHECK(!w->vi->sch[2].scsw.q);
	CHECK_EQ(w->vi->nid[2]->role, NID_UNASSIGNED);
	CHECK(!w->vi->nid[2]->aq_running);
	CHECK_EQ(nic_siga(w->vi->nid[2], NIC_SIGA_W, 0x80000000u), 3);
	/* The connection itself is still there (only the data device was stopped). */
	CHECK_EQ(w->nic[NV].state, NC_DM_ACT);
	guest_poll(&w->g[0]);
	CHECK(q->state == QDRV_ONLINE || q->state == QDRV_BROKEN);
	/* Frames for it are dropped and counted on its port. */
	down = w->nic[NV].port.st.drop[PD_DOWN];
	CHECK_EQ(guest_ping4(w->pi, v_ip, 1, 56, pump, &w->g[0]), 0);
	CHECK(w->nic[NV].port.st.drop[PD_DOWN] > down);
	BYSTANDER_OK(w);
	VICTIM_RECOVERS(w);
	CHECK(w->vi->sch[2].scsw.q);
	BYSTANDER_OK(w);
	world_free(w);
}

TEST(vnic_hsch_during_aq_stops_queues)
{
	halt_or_clear_aq(t, false);
}

TEST(vnic_csch_during_aq_stops_queues)
{
	halt_or_clear_aq(t, true);
}

TEST(vnic_offline_online_cycles_with_bystander)
{
	struct world *w = world_new(t, 3);

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	for (int c = 0; c < 5; c++) {
		VICTIM_RECOVERS(w);
		CHECK_EQ(w->nic[NV].state, NC_DM_ACT);
		CHECK_EQ(w->nic[NV].nips, 1);
	}
	BYSTANDER_OK(w);
	world_free(w);
}

/* ---- SBALs and frames ----------------------------------------------------------- */

/* Hand the adapter an output SBAL of our own on the victim's queue 0, keeping the
 * driver's ring in step (as if its own code had filled buffer b).  Returns the SIGA cc. */
static int plant_sbal(struct world *w, const struct sbal *sb, unsigned *bufnr)
{
	struct qdio_queue *q = &w->vi->drv.outq[0];
	uint8_t raw[SBAL_SIZE];
	unsigned b = q->prod;
	uint64_t a;

	if (q->fill.open || q->run || q->busy >= QDIO_BUFS)
		return -EBUSY;
	if (qdio_sbal_addr(q, b, &a) < 0 || sbal_encode(sb, raw, sizeof(raw)) < 0 ||
	    gs_store(&w->g[0].gs, a, raw, sizeof(raw)) < 0)
		return -EFAULT;
	q->prod = qdio_next_buf(b);
	q->busy++;
	if (qdio_set_state(q, b, SLSB_CU_OUTPUT_PRIMED) < 0)
		return -EFAULT;
	*bufnr = b;
	return 0;
}

static int inject_sbal(struct world *w, const struct sbal *sb, unsigned *bufnr)
{
	int rc = plant_sbal(w, sb, bufnr);

	return rc < 0 ? rc : nic_siga(w->vi->nid[2], NIC_SIGA_W, 0x80000000u);
}

/* A broadcast frame with an L2 qeth header at addr: hdr pkt_len `claim`, `real` bytes. */
static uint32_t put_l2_frame(struct world *w, uint64_t addr, uint16_t claim, uint16_t real)
{
	uint8_t buf[QHDR_SIZE + 2048];
	struct qhdr h;

	memset(&h, 0, sizeof(h));
	h.id = QHDR_ID_L2;
	h.l2.flags2 = QHDR_L2_BCAST;
	h.l2.pkt_len = claim;
	memset(buf, 0, sizeof(buf));
	qhdr_encode(&h, buf, QHDR_SIZE);
	memset(buf + QHDR_SIZE, 0xFF, 6);
	memcpy(buf + QHDR_SIZE + 6, w->nic[NV].cfg.mac, 6);
	be_put16(buf + QHDR_SIZE + 12, 0x88B5);		/* local experimental */
	gs_store(&w->g[0].gs, addr, buf, QHDR_SIZE + real);
	return QHDR_SIZE + real;
}

/* A bad SBAL is completed as ERROR with the reason, counted on both sides; the NIC goes
 * on with the next good buffer. */
static void bad_sbal(struct tctx *t, const struct sbal *sb, enum qdio_err why, int line)
{
	struct world *w = world_new(t, 2);
	struct qdio_queue *aq;
	uint64_t sbal, errs, peer;
	unsigned b = 0;
	uint8_t state = 0, sf = 0;

	if (!w || victim_online(t, w) < 0) {
		tc_fail(t, __FILE__, line, "setup");
		world_free(w);
		return;
	}
	aq = &w->nic[NV].outq[0];
	errs = aq->st.err[why];
	peer = w->vi->drv.outq[0].st.err[QDIO_E_PEER];
	if (inject_sbal(w, sb, &b) != 0)
		tc_fail(t, __FILE__, line, "SIGA");
	qdio_get_state(&w->vi->drv.outq[0], b, &state);
	if (state != SLSB_P_OUTPUT_ERROR)
		tc_fail(t, __FILE__, line, "buffer state 0x%02x, want 0xAF", state);
	if (qdio_sbal_addr(&w->vi->drv.outq[0], b, &sbal) == 0)
		gs_fetch8(&w->g[0].gs, sbal + SBAL_OFF_ELEM(SBAL_STATUS_ELEM) + SBALE_OFF_SFLAGS, &sf);
	if (sf != QDIO_SF15_REASON(why))
		tc_fail(t, __FILE__, line, "element 15 sflags 0x%02x, want 0x%02x", sf,
			QDIO_SF15_REASON(why));
	if (aq->st.err[why] != errs + 1)
		tc_fail(t, __FILE__, line, "adapter error counter not counted");
	if (w->nic[NV].port.st.tx_packets != 0 && w->nic[NV].st.tx_frames == 0)
		tc_fail(t, __FILE__, line, "frames forwarded from a bad SBAL");
	/* The driver reaps it as an error with the reason. */
	qdrv_poll(&w->vi->drv);
	if (w->vi->drv.outq[0].st.err[QDIO_E_PEER] != peer + 1 ||
	    w->vi->drv.outq[0].st.last_sf15 != QDIO_SF15_REASON(why))
		tc_fail(t, __FILE__, line, "driver did not see the error buffer");
	t->checks += 5;
	if (guest_ping4(w->vi, p_ip, 2, 56, pump, &w->g[1]) != 2)
		tc_fail(t, __FILE__, line, "victim NIC stopped after a bad SBAL");
	check_bystander(t, w, line);
	world_free(w);
}

TEST(vnic_sbal_element_outside_storage)
{
	struct sbal sb;

	memset(&sb, 0, sizeof(sb));
	sb.e[0].eflags = SBALE_EF_LAST;
	sb.e[0].len = 64;
	sb.e[0].addr = guest_mem_size(4) + 0x10000;
	bad_sbal(t, &sb, QDIO_E_SBALE_FAULT, __LINE__);
	/* A frame running past the end of storage (inside the last page's 4K). */
	sb.e[0].addr = guest_mem_size(4) - 32;
	sb.e[0].len = 64;
	bad_sbal(t, &sb, QDIO_E_SBALE_FAULT, __LINE__);
	/* An address with the top bits set (wraps if added naively). */
	sb.e[0].addr = ~0ull - 15;
	sb.e[0].len = 32;
	bad_sbal(t, &sb, QDIO_E_SBALE_FAULT, __LINE__);
}

TEST(vnic_sbal_element_crosses_4k)
{
	struct sbal sb;

	memset(&sb, 0, sizeof(sb));
	sb.e[0].eflags = SBALE_EF_LAST;
	sb.e[0].len = 128;
	sb.e[0].addr = H_FRM + 4096 - 64;
	bad_sbal(t, &sb, QDIO_E_SBALE_CROSS, __LINE__);
}

TEST(vnic_sbal_no_last_entry_loop)
{
	struct sbal sb;

	/* Sixteen elements, none LAST: the walk is bounded and the buffer refused. */
	memset(&sb, 0, sizeof(sb));
	for (unsigned e = 0; e < QDIO_SBALES; e++) {
		sb.e[e].len = 64;
		sb.e[e].addr = H_FRM + 0x1000ull * e;
	}
	bad_sbal(t, &sb, QDIO_E_NO_LAST, __LINE__);
	/* Fragment chain never closed. */
	memset(&sb, 0, sizeof(sb));
	sb.e[0].eflags = SBALE_FRAG_FIRST;
	sb.e[0].len = 64;
	sb.e[0].addr = H_FRM;
	sb.e[1].eflags = SBALE_FRAG_MIDDLE | SBALE_EF_LAST;
	sb.e[1].len = 64;
	sb.e[1].addr = H_FRM + 0x1000;
	bad_sbal(t, &sb, QDIO_E_FRAG, __LINE__);
}

TEST(vnic_sl_entry_outside_storage)
{
	struct world *w = world_new(t, 2);
	struct qdio_queue *q;
	uint64_t good;
	uint8_t state = 0;
	unsigned b;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	q = &w->vi->drv.outq[0];
	b = q->prod;
	REQUIRE(qdio_sbal_addr(q, b, &good) == 0);
	/* The guest rewrites its SL after Establish: entry b points nowhere. */
	REQUIRE(gs_store64(&w->g[0].gs, q->sl + SL_OFF_SBAL(b), 0x7FFFFFFF00ull) == 0);
	q->prod = qdio_next_buf(b);
	q->busy++;
	REQUIRE(qdio_set_state(q, b, SLSB_CU_OUTPUT_PRIMED) == 0);
	CHECK_EQ(nic_siga(w->vi->nid[2], NIC_SIGA_W, 0x80000000u), 0);
	REQUIRE(qdio_get_state(q, b, &state) == 0);
	CHECK_EQ(state, SLSB_P_OUTPUT_ERROR);
	CHECK_EQ(w->nic[NV].outq[0].st.err[QDIO_E_SL], 1);
	REQUIRE(gs_store64(&w->g[0].gs, q->sl + SL_OFF_SBAL(b), good) == 0);
	qdrv_poll(&w->vi->drv);
	CHECK_EQ(q->st.err[QDIO_E_PEER], 1);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 2, 56, pump, &w->g[1]), 2);
	BYSTANDER_OK(w);
	world_free(w);
}

TEST(vnic_frame_past_sbale_data_dropped)
{
	struct world *w = world_new(t, 2);
	struct sbal sb;
	uint64_t rx;
	uint8_t state = 0;
	unsigned b;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	rx = w->nic[NP].port.st.rx_packets;
	memset(&sb, 0, sizeof(sb));
	/* Packet 1: the header claims 1000 bytes, the element holds 60. */
	sb.e[0].len = put_l2_frame(w, H_FRM, 1000, 60);
	sb.e[0].addr = H_FRM;
	/* Packet 2: a header that is no L2 header (layer-3 id on a layer-2 NIC). */
	sb.e[1].len = put_l2_frame(w, H_FRM + 0x1000, 60, 60);
	sb.e[1].addr = H_FRM + 0x1000;
	gs_store8(&w->g[0].gs, H_FRM + 0x1000, QHDR_ID_L3);
	/* Packet 3: fewer bytes than a qeth header. */
	sb.e[2].len = 10;
	sb.e[2].addr = H_FRM + 0x2000;
	/* Packet 4: good. */
	sb.e[3].len = put_l2_frame(w, H_FRM + 0x3000, 60, 60);
	sb.e[3].addr = H_FRM + 0x3000;
	sb.e[3].eflags = SBALE_EF_LAST;
	CHECK_EQ(inject_sbal(w, &sb, &b), 0);
	qdio_get_state(&w->vi->drv.outq[0], b, &state);
	CHECK_EQ(state, SLSB_P_OUTPUT_EMPTY);
	CHECK_EQ(w->nic[NV].st.tx_bad_frames, 3);
	CHECK_EQ(w->nic[NV].port.st.drop[PD_BADFRAME], 3);
	CHECK_EQ(w->nic[NP].port.st.rx_packets, rx + 1);
	qdrv_poll(&w->vi->drv);
	CHECK_EQ(w->vi->drv.outq[0].st.err[QDIO_E_PEER], 0);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 2, 56, pump, &w->g[1]), 2);
	BYSTANDER_OK(w);
	world_free(w);
}

TEST(vnic_frame_to_nic_without_buffers_nobuf)
{
	struct world *w = world_new(t, 2);
	uint8_t f[64];
	unsigned sent = 0;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	memset(f, 0, sizeof(f));
	memset(f, 0xFF, 6);
	memcpy(f + 6, w->nic[NV].cfg.mac, 6);
	be_put16(f + 12, 0x88B5);
	/* P's guest does not poll: every SIGA of V fills one of P's 64 input buffers. */
	for (unsigned k = 0; k < QDRV_IN_BUFS + 6; k++) {
		if (qdrv_send_l2(&w->vi->drv, f, sizeof(f)) == 0 && qdrv_flush(&w->vi->drv) > 0)
			sent++;
	}
	CHECK_EQ(sent, QDRV_IN_BUFS + 6);
	CHECK_EQ(w->nic[NP].port.st.drop[PD_NOBUF], 6);
	CHECK_EQ(w->nic[NP].port.st.rx_discards, 6);
	CHECK_EQ(w->nic[NP].inq[0].st.err[QDIO_E_NOBUF], 6);
	CHECK_EQ(w->nic[NV].port.st.tx_discards, 0);
	CHECK(w->nic[NP].qdio_active);
	BYSTANDER_OK(w);
	/* Once P takes its buffers and gives them back, traffic flows again. */
	guest_poll(&w->g[1]);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 2, 56, pump, &w->g[1]), 2);
	world_free(w);
}

TEST(vnic_tx_after_connection_reset_dropped)
{
	struct world *w = world_new(t, 2);
	uint8_t f[64];
	uint64_t rx, down;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	/* Halting the read device ends the connection (STOPLAN, registrations gone) ... */
	CHECK_EQ(subch_hsch(&w->vi->sch[0]), CSS_CC0);
	CHECK_EQ(w->nic[NV].state, NC_IDLE);
	CHECK(!w->nic[NV].lan_started);
	/* ... so what the guest still primes on its output queue reaches nobody. */
	memset(f, 0, sizeof(f));
	memset(f, 0xFF, 6);
	memcpy(f + 6, w->nic[NV].cfg.mac, 6);
	be_put16(f + 12, 0x88B5);
	rx = w->nic[NP].port.st.rx_packets;
	down = w->nic[NV].port.st.drop[PD_DOWN];
	CHECK_EQ(qdrv_send_l2(&w->vi->drv, f, sizeof(f)), 0);
	CHECK(qdrv_flush(&w->vi->drv) > 0);
	CHECK_EQ(w->nic[NP].port.st.rx_packets, rx);
	CHECK_EQ(w->nic[NV].port.st.drop[PD_DOWN], down + 1);
	CHECK_EQ(w->nic[NV].port.st.tx_discards, 1);
	CHECK_EQ(w->nic[NV].st.tx_bad_frames, 0);	/* not the frame's fault */
	BYSTANDER_OK(w);
	VICTIM_RECOVERS(w);
	world_free(w);
}

TEST(vnic_tx_after_stoplan_dropped)
{
	struct world *w = world_new(t, 2);
	struct ipa_cmd c;
	uint8_t f[64];
	uint64_t rx, down;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_STOPLAN;
	CHECK_EQ(qdrv_ipa(&w->vi->drv, &c, NULL), 0);
	CHECK(!w->nic[NV].lan_started);
	memset(f, 0, sizeof(f));
	memset(f, 0xFF, 6);
	memcpy(f + 6, w->nic[NV].cfg.mac, 6);
	be_put16(f + 12, 0x88B5);
	rx = w->nic[NP].port.st.rx_packets;
	down = w->nic[NV].port.st.drop[PD_DOWN];
	CHECK_EQ(qdrv_send_l2(&w->vi->drv, f, sizeof(f)), 0);
	CHECK(qdrv_flush(&w->vi->drv) > 0);
	CHECK_EQ(w->nic[NP].port.st.rx_packets, rx);
	CHECK_EQ(w->nic[NV].port.st.drop[PD_DOWN], down + 1);
	/* STARTLAN again: traffic flows. */
	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_STARTLAN;
	CHECK_EQ(qdrv_ipa(&w->vi->drv, &c, NULL), 0);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 2, 56, pump, &w->g[1]), 2);
	BYSTANDER_OK(w);
	world_free(w);
}

/* ---- SIGA per batch ----------------------------------------------------------------- */

/* What the victim's port hands its attachment: each port_tx call and its frames'
 * sequence bytes (the first payload byte after the Ethernet header), in order. */
struct txrec {
	unsigned calls, frames;
	uint8_t seq[256];
	/* Prime one more SBAL and SIGA from inside the first port_tx (a guest that
	 * sends again from its interrupt handler while the adapter is busy). */
	struct world *requeue;
	unsigned requeue_buf;
	int requeue_cc;
};

static void seq_sbal(struct world *w, struct sbal *sb, unsigned page, unsigned nf, uint8_t seq,
		     bool pci);
static int plant_sbal(struct world *w, const struct sbal *sb, unsigned *bufnr);

static void rec_tx(void *peer, struct port *from, const struct pframe *f, unsigned n)
{
	struct txrec *r = peer;

	(void)from;
	r->calls++;
	if (r->requeue) {
		struct world *w = r->requeue;
		struct sbal sb;

		r->requeue = NULL;
		seq_sbal(w, &sb, 40, 2, 100, false);
		r->requeue_cc = plant_sbal(w, &sb, &r->requeue_buf);
		if (r->requeue_cc == 0)
			r->requeue_cc = nic_siga(w->vi->nid[2], NIC_SIGA_W, 0x80000000u);
	}
	for (unsigned i = 0; i < n && r->frames < sizeof(r->seq); i++) {
		uint8_t b = 0xEE;

		qdio_spans_copy(f[i].spans, f[i].nspans, 14, &b, 1);
		r->seq[r->frames++] = b;
	}
}

static uint16_t rec_addr(void *peer, struct port *from, const struct paddr *a)
{
	(void)peer;
	(void)from;
	(void)a;
	return 0;
}

static const struct port_ops rec_ops = { rec_tx, rec_addr };

/* An SBAL of `nf` one-element frames with sequence bytes seq, seq+1, ... at page
 * `page` (a page per frame); `pci` asks for an interrupt in element 0. */
static void seq_sbal(struct world *w, struct sbal *sb, unsigned page, unsigned nf, uint8_t seq,
		     bool pci)
{
	memset(sb, 0, sizeof(*sb));
	for (unsigned e = 0; e < nf; e++) {
		uint64_t a = H_FRM + 0x1000ull * (page + e);

		sb->e[e].len = put_l2_frame(w, a, 60, 60);
		sb->e[e].addr = a;
		gs_store8(&w->g[0].gs, a + QHDR_SIZE + 14, (uint8_t)(seq + e));
	}
	sb->e[nf - 1].eflags = SBALE_EF_LAST;
	if (pci)
		sb->e[0].sflags = SBALE_SF0_PCI_REQ;
}

TEST(vnic_siga_forwards_every_primed_sbal_in_one_batch)
{
	struct world *w = world_new(t, 2);
	struct txrec rec;
	struct sbal sb;
	unsigned b[6], nf = 0, bad = 0;
	uint64_t pcis, sigas;
	uint8_t state;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	memset(&rec, 0, sizeof(rec));
	w->nic[NV].port.ops = &rec_ops;
	w->nic[NV].port.peer = &rec;
	pcis = w->nic[NV].st.pcis;
	sigas = w->nic[NV].st.sigas_w;
	/* Six buffers primed with no SIGA between them (1, 2, 3, 1, 2, 3 frames), three
	 * of them asking for a PCI; then one SIGA-w. */
	for (unsigned k = 0; k < 6; k++) {
		unsigned n = k % 3 + 1;

		seq_sbal(w, &sb, 4 * k, n, (uint8_t)nf, k % 2 == 0);
		REQUIRE(plant_sbal(w, &sb, &b[k]) == 0);
		nf += n;
	}
	CHECK_EQ(rec.calls, 0);
	CHECK_EQ(nic_siga(w->vi->nid[2], NIC_SIGA_W, 0x80000000u), 0);
	CHECK_EQ(w->nic[NV].st.sigas_w, sigas + 1);
	CHECK_EQ(rec.calls, 1);
	CHECK_EQ(rec.frames, nf);
	for (unsigned i = 0; i < rec.frames; i++)
		bad += rec.seq[i] != i;
	CHECK_EQ(bad, 0);
	for (unsigned k = 0; k < 6; k++) {
		REQUIRE(qdio_get_state(&w->vi->drv.outq[0], b[k], &state) == 0);
		CHECK_EQ(state, SLSB_P_OUTPUT_EMPTY);
	}
	CHECK_EQ(w->nic[NV].st.pcis, pcis + 1);		/* one per batch, not per buffer */
	CHECK_EQ(w->nic[NV].st.tx_frames, nf);
	CHECK_EQ(w->nic[NV].port.st.tx_packets, nf);
	/* The driver reaps all six without an error. */
	qdrv_poll(&w->vi->drv);
	CHECK_EQ(w->vi->drv.outq[0].st.err[QDIO_E_PEER], 0);
	CHECK_EQ(w->vi->drv.outq[0].busy, 0);
	port_p2p_join(&w->j[0], &w->nic[NV].port, &w->nic[NP].port);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 2, 56, pump, &w->g[1]), 2);
	BYSTANDER_OK(w);
	world_free(w);
}

TEST(vnic_siga_bad_sbal_mid_batch_others_complete)
{
	struct world *w = world_new(t, 2);
	struct txrec rec;
	struct sbal sb;
	unsigned b[5], bad = 0;
	uint8_t state, sf = 0, want[8] = { 0, 1, 5, 6, 7, 8 };
	uint64_t sbal;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	memset(&rec, 0, sizeof(rec));
	w->nic[NV].port.ops = &rec_ops;
	w->nic[NV].port.peer = &rec;
	/* Buffers 0,1: good (frames 0, 1); 2: an element outside storage (2, 3); 3:
	 * frames 4-6, 4 with a bad qeth header; 4: good (7, 8). */
	seq_sbal(w, &sb, 0, 1, 0, false);
	REQUIRE(plant_sbal(w, &sb, &b[0]) == 0);
	seq_sbal(w, &sb, 4, 1, 1, false);
	REQUIRE(plant_sbal(w, &sb, &b[1]) == 0);
	seq_sbal(w, &sb, 8, 2, 2, false);
	sb.e[1].addr = guest_mem_size(4) + 0x10000;
	REQUIRE(plant_sbal(w, &sb, &b[2]) == 0);
	seq_sbal(w, &sb, 12, 3, 4, false);
	gs_store8(&w->g[0].gs, H_FRM + 0x1000ull * 12, QHDR_ID_L3);	/* frame 4: bad */
	REQUIRE(plant_sbal(w, &sb, &b[3]) == 0);
	seq_sbal(w, &sb, 16, 2, 7, false);
	REQUIRE(plant_sbal(w, &sb, &b[4]) == 0);
	CHECK_EQ(nic_siga(w->vi->nid[2], NIC_SIGA_W, 0x80000000u), 0);
	CHECK_EQ(rec.calls, 1);
	CHECK_EQ(rec.frames, 6);
	for (unsigned i = 0; i < rec.frames && i < 6; i++)
		bad += rec.seq[i] != want[i];
	CHECK_EQ(bad, 0);
	for (unsigned k = 0; k < 5; k++) {
		REQUIRE(qdio_get_state(&w->vi->drv.outq[0], b[k], &state) == 0);
		CHECK_EQ(state, k == 2 ? SLSB_P_OUTPUT_ERROR : SLSB_P_OUTPUT_EMPTY);
	}
	REQUIRE(qdio_sbal_addr(&w->vi->drv.outq[0], b[2], &sbal) == 0);
	gs_fetch8(&w->g[0].gs, sbal + SBAL_OFF_ELEM(SBAL_STATUS_ELEM) + SBALE_OFF_SFLAGS, &sf);
	CHECK_EQ(sf, QDIO_SF15_REASON(QDIO_E_SBALE_FAULT));
	CHECK_EQ(w->nic[NV].outq[0].st.err[QDIO_E_SBALE_FAULT], 1);
	CHECK_EQ(w->nic[NV].st.tx_bad_frames, 1);
	CHECK_EQ(w->nic[NV].port.st.drop[PD_BADFRAME], 1);
	CHECK_EQ(w->nic[NV].port.st.tx_packets, 6);
	qdrv_poll(&w->vi->drv);
	CHECK_EQ(w->vi->drv.outq[0].st.err[QDIO_E_PEER], 1);
	CHECK_EQ(w->vi->drv.outq[0].busy, 0);
	port_p2p_join(&w->j[0], &w->nic[NV].port, &w->nic[NP].port);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 2, 56, pump, &w->g[1]), 2);
	BYSTANDER_OK(w);
	world_free(w);
}

#define NRXB 120
TEST(vnic_rx_batch_fills_buffers_one_pci)
{
	struct world *w = world_new(t, 2);
	static uint8_t fr[NRXB][1500];
	static struct qdio_span sp[NRXB];
	static struct pframe pf[NRXB];
	uint64_t pcis, bufs;
	unsigned took;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	for (unsigned i = 0; i < NRXB; i++) {
		memset(fr[i], (int)i, sizeof(fr[i]));
		memcpy(fr[i], w->nic[NP].cfg.mac, 6);
		memcpy(fr[i] + 6, w->nic[NV].cfg.mac, 6);
		be_put16(fr[i] + 12, 0x88B5);
		sp[i].ptr = fr[i];
		sp[i].len = sizeof(fr[i]);
		memset(&pf[i], 0, sizeof(pf[i]));
		pf[i].spans = &sp[i];
		pf[i].nspans = 1;
		pf[i].kind = PF_ETH;
		pf[i].len = sizeof(fr[i]);
	}
	pcis = w->nic[NP].st.pcis;
	bufs = w->nic[NP].inq[0].st.buffers;
	/* 120 frames of 1500 bytes fill three input buffers (16 pages each): one
	 * delivery, one interrupt. */
	took = port_deliver(&w->nic[NP].port, pf, NRXB);
	CHECK_EQ(took, NRXB);
	CHECK(w->nic[NP].inq[0].st.buffers - bufs >= 3);
	CHECK_EQ(w->nic[NP].st.pcis, pcis + 1);
	BYSTANDER_OK(w);
	world_free(w);
}

TEST(vnic_siga_buffers_primed_during_forwarding_are_not_stranded)
{
	struct world *w = world_new(t, 2);
	struct txrec rec;
	struct sbal sb;
	unsigned b0;
	uint8_t state;

	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	memset(&rec, 0, sizeof(rec));
	rec.requeue = w;
	w->nic[NV].port.ops = &rec_ops;
	w->nic[NV].port.peer = &rec;
	seq_sbal(w, &sb, 0, 3, 0, false);
	REQUIRE(plant_sbal(w, &sb, &b0) == 0);
	CHECK_EQ(nic_siga(w->vi->nid[2], NIC_SIGA_W, 0x80000000u), 0);
	/* The inner SIGA found the adapter busy (cc 0, nothing done then); the outer
	 * one saw the new buffer primed after completing its batch and sent it too. */
	CHECK_EQ(rec.requeue_cc, 0);
	CHECK_EQ(rec.calls, 2);
	CHECK_EQ(rec.frames, 5);
	CHECK_EQ(rec.seq[2], 2);
	CHECK_EQ(rec.seq[3], 100);
	CHECK_EQ(rec.seq[4], 101);
	REQUIRE(qdio_get_state(&w->vi->drv.outq[0], b0, &state) == 0);
	CHECK_EQ(state, SLSB_P_OUTPUT_EMPTY);
	REQUIRE(qdio_get_state(&w->vi->drv.outq[0], rec.requeue_buf, &state) == 0);
	CHECK_EQ(state, SLSB_P_OUTPUT_EMPTY);
	qdrv_poll(&w->vi->drv);
	CHECK_EQ(w->vi->drv.outq[0].busy, 0);
	port_p2p_join(&w->j[0], &w->nic[NV].port, &w->nic[NP].port);
	CHECK_EQ(guest_ping4(w->vi, p_ip, 2, 56, pump, &w->g[1]), 2);
	world_free(w);
}

/* ---- checksum and large-send assists (SETASSPARMS as Linux 6.1 sends them) -------- */

/* Send raw IPA bytes, copy the reply's IPA command into out; its length, or < 0. */
static int victim_ipa_bytes(struct world *w, const uint8_t *cmd, size_t cmdlen, uint8_t *out,
			    size_t cap)
{
	uint8_t buf[4096];
	const uint8_t *m;
	struct scsw st;
	size_t off, cl;
	uint32_t len;
	int n, rc;

	n = mk_ipa(cmd, cmdlen, w->layer, NIC_TOK_ULP_CONN(&w->nic[NV]), buf, sizeof(buf));
	if (n < 0)
		return n;
	rc = hand_write(w, &w->vi->sch[1], buf, (uint32_t)n, &st);
	if (rc != 0)
		return rc < 0 ? rc : -EIO;
	m = victim_msg(w, &len);
	if (!m)
		return -ENOMSG;
	rc = ipa_pdu_payload(m, len, &off, &cl);
	if (rc < 0)
		return rc;
	if (cl > cap)
		return -ENOSPC;
	memcpy(out, m + off, cl);
	return (int)cl;
}

/* A SETASSPARMS request byte for byte as qeth_get_setassparms_cmd builds it: the IPA
 * header, assist number, length 8 + data, command, rc 0, 0 replies, seq 0, data. */
static size_t setass_bytes(uint8_t *b, uint16_t seq, uint8_t layer, uint16_t prot,
			   uint32_t assist, uint16_t subcmd, const uint32_t *data, unsigned nw)
{
	memset(b, 0, IPA_SETASS_OFF_DATA + 4 * nw);
	b[IPA_OFF_CMD] = IPA_CMD_SETASSPARMS;
	be_put16(b + IPA_OFF_SEQNO, seq);
	b[IPA_OFF_ADP_TYPE] = IPA_ADAPTER_TYPE;
	b[IPA_OFF_PRIM_VERSION] = layer == 2 ? IPA_PRIM_L2 : IPA_PRIM_L3;
	b[IPA_OFF_PARAM_COUNT] = 1;
	be_put16(b + IPA_OFF_PROT, prot);
	be_put32(b + IPA_SETASS_OFF_ASSIST, assist);
	be_put16(b + IPA_SETASS_OFF_LEN, (uint16_t)(8 + 4 * nw));
	be_put16(b + IPA_SETASS_OFF_CMD, subcmd);
	for (unsigned i = 0; i < nw; i++)
		be_put32(b + IPA_SETASS_OFF_DATA + 4 * i, data[i]);
	return IPA_SETASS_OFF_DATA + 4 * nw;
}

/* The reply: the request's header with initiator/rc and the NIC's supported/enabled
 * masks, the sub-header with the assist's rc, and exactly `nw` data words. */
static void check_setass_reply(struct tctx *t, const uint8_t *r, int n, const uint8_t *req,
			       uint16_t rc, uint32_t sup, const uint32_t *data, unsigned nw,
			       int line)
{
	uint8_t want[IPA_SETASS_OFF_DATA + 16];

	if (n != (int)(IPA_SETASS_OFF_DATA + 4 * nw)) {
		tc_fail(t, __FILE__, line, "reply length %d, want %u", n,
			(unsigned)(IPA_SETASS_OFF_DATA + 4 * nw));
		return;
	}
	memcpy(want, req, IPA_SETASS_OFF_DATA);
	want[IPA_OFF_INITIATOR] = r[IPA_OFF_INITIATOR];
	be_put16(want + IPA_OFF_RC, rc);
	be_put32(want + IPA_OFF_SUPPORTED, sup);
	memcpy(want + IPA_OFF_ENABLED, r + IPA_OFF_ENABLED, 4);
	be_put16(want + IPA_SETASS_OFF_LEN, (uint16_t)(8 + 4 * nw));
	be_put16(want + IPA_SETASS_OFF_RC, rc);
	for (unsigned i = 0; i < nw; i++)
		be_put32(want + IPA_SETASS_OFF_DATA + 4 * i, data[i]);
	if (!ipa_initiator_is_reply(r[IPA_OFF_INITIATOR]) || memcmp(r, want, (size_t)n) != 0)
		tc_fail(t, __FILE__, line, "SETASSPARMS reply bytes differ (rc %04x)",
			be_get16(r + IPA_OFF_RC));
}

TEST(vnic_ipa_offload_assists_bytes)
{
	for (uint8_t layer = 2; layer <= 3; layer++) {
		struct world *w = world_new(t, layer);
		uint8_t req[64], rep[256], q[IPA_HDR_SIZE];
		uint16_t seq = 0x100;
		int n;

		REQUIRE(w);
		REQUIRE(victim_online(t, w) == 0);
		/* QIPASSIST: IPv4 names IPv6 (so Linux asks that one too) and the IPv4
		 * offloads, IPv6 its own offload bits. */
		for (uint16_t prot = 4; prot <= 6; prot += 2) {
			REQUIRE(ipa_hdr_bytes(IPA_CMD_QIPASSIST, seq++, prot, layer, q) == IPA_HDR_SIZE);
			n = victim_ipa_bytes(w, q, sizeof(q), rep, sizeof(rep));
			REQUIRE(n >= IPA_HDR_SIZE);
			uint32_t sup = be_get32(rep + IPA_OFF_SUPPORTED);
			uint32_t want = prot == 4 ? (IPA_IPV6 | IPA_INBOUND_CHECKSUM |
						     IPA_OUTBOUND_CHECKSUM | IPA_OUTBOUND_TSO)
						  : (IPA_INBOUND_CHECKSUM_V6 |
						     IPA_OUTBOUND_CHECKSUM_V6 | IPA_OUTBOUND_TSO);
			CHECK_EQ(sup & want, want);
			CHECK_EQ(sup & (IPA_INBOUND_TSO | IPA_IP_FRAGMENTATION), 0);
		}
		for (uint16_t prot = 4; prot <= 6; prot += 2) {
			uint32_t sup = be_get32(rep + IPA_OFF_SUPPORTED);
			uint8_t *offl = prot == 6 ? &w->nic[NV].offl6 : &w->nic[NV].offl4;
			size_t rl;

			/* Supported mask of this protocol, from a QIPASSIST. */
			REQUIRE(ipa_hdr_bytes(IPA_CMD_QIPASSIST, seq++, prot, layer, q) == IPA_HDR_SIZE);
			REQUIRE(victim_ipa_bytes(w, q, sizeof(q), rep, sizeof(rep)) >= IPA_HDR_SIZE);
			sup = be_get32(rep + IPA_OFF_SUPPORTED);

			/* Checksum, inbound then outbound: START (no data) answers the
			 * flags IP header | UDP | TCP | LP2LP; ENABLE with the flags Linux
			 * needs answers {supported, enabled}. */
			for (uint32_t as = IPA_INBOUND_CHECKSUM; as <= IPA_OUTBOUND_CHECKSUM; as <<= 1) {
				uint8_t bit = as == IPA_INBOUND_CHECKSUM ? NIC_OFL_RXCSUM : NIC_OFL_TXCSUM;
				uint32_t flags = 0x3A, need = 0x18 | (prot == 4 && layer == 3 &&
							      as == IPA_OUTBOUND_CHECKSUM ? 0x02 : 0);

				rl = setass_bytes(req, seq++, layer, prot, as, IPA_SETASS_START, NULL, 0);
				n = victim_ipa_bytes(w, req, rl, rep, sizeof(rep));
				check_setass_reply(t, rep, n, req, 0, sup, &flags, 1, __LINE__);
				CHECK_EQ(*offl & bit, 0);
				need |= 0x20;	/* LP2LP offered: Linux asks for it */
				rl = setass_bytes(req, seq++, layer, prot, as, IPA_SETASS_ENABLE, &need, 1);
				n = victim_ipa_bytes(w, req, rl, rep, sizeof(rep));
				check_setass_reply(t, rep, n, req, 0, sup,
						   (const uint32_t[]){ 0x3A, need }, 2, __LINE__);
				CHECK(be_get32(rep + IPA_OFF_ENABLED) & as);
				CHECK(*offl & bit);
			}
			/* TSO: START answers {MSS, TCP large send}; ENABLE names TCP large
			 * send in its second word. */
			rl = setass_bytes(req, seq++, layer, prot, IPA_OUTBOUND_TSO, IPA_SETASS_START,
					  NULL, 0);
			n = victim_ipa_bytes(w, req, rl, rep, sizeof(rep));
			check_setass_reply(t, rep, n, req, 0, sup,
					   (const uint32_t[]){ prot == 4 ? 8952 : 8932, 1 }, 2,
					   __LINE__);
			rl = setass_bytes(req, seq++, layer, prot, IPA_OUTBOUND_TSO, IPA_SETASS_ENABLE,
					  (const uint32_t[]){ 0, 1 }, 2);
			n = victim_ipa_bytes(w, req, rl, rep, sizeof(rep));
			check_setass_reply(t, rep, n, req, 0, sup, (const uint32_t[]){ 1, 1 }, 2,
					   __LINE__);
			CHECK_EQ(*offl, NIC_OFL_RXCSUM | NIC_OFL_TXCSUM | NIC_OFL_TSO);
			/* STOP (qeth_set_csum_off): off again, no data. */
			rl = setass_bytes(req, seq++, layer, prot, IPA_INBOUND_CHECKSUM,
					  IPA_SETASS_STOP, NULL, 0);
			n = victim_ipa_bytes(w, req, rl, rep, sizeof(rep));
			check_setass_reply(t, rep, n, req, 0, sup, NULL, 0, __LINE__);
			CHECK_EQ(*offl, NIC_OFL_TXCSUM | NIC_OFL_TSO);
			/* Refused: inbound TSO (not offered) 0x0001; ENABLE without its
			 * data 0x0006; CONFIGURE of a checksum assist 0xE00E. */
			rl = setass_bytes(req, seq++, layer, prot, IPA_INBOUND_TSO, IPA_SETASS_START,
					  NULL, 0);
			n = victim_ipa_bytes(w, req, rl, rep, sizeof(rep));
			check_setass_reply(t, rep, n, req, IPA_RC_NOTSUPP, sup, NULL, 0, __LINE__);
			rl = setass_bytes(req, seq++, layer, prot, IPA_OUTBOUND_TSO, IPA_SETASS_ENABLE,
					  (const uint32_t[]){ 1 }, 1);
			n = victim_ipa_bytes(w, req, rl, rep, sizeof(rep));
			check_setass_reply(t, rep, n, req, IPA_RC_INVALID_FORMAT, sup,
					   (const uint32_t[]){ 1 }, 1, __LINE__);
			rl = setass_bytes(req, seq++, layer, prot, IPA_OUTBOUND_CHECKSUM,
					  IPA_SETASS_CONFIGURE, NULL, 0);
			n = victim_ipa_bytes(w, req, rl, rep, sizeof(rep));
			check_setass_reply(t, rep, n, req, IPA_RC_UNSUPPORTED_SUBCMD, sup, NULL, 0,
					   __LINE__);
			CHECK_EQ(*offl, NIC_OFL_TXCSUM | NIC_OFL_TSO);
		}
		CHECK_EQ(guest_ping4(w->vi, p_ip, 1, 56, pump, &w->g[1]), 1);
		BYSTANDER_OK(w);
		world_free(w);
	}
}

/*
 * PCI moderation against a guest that behaves like Linux's qdio: interrupt -> poll
 * (NAPI) until nothing is left, with random pauses in between (other work), re-enable,
 * look once more, sleep.  100 000 frames of random sizes in random batches from the
 * port, on a simulated clock; the host runs nic_pci_poll when nic_pci_due says.  A
 * lost wake-up would leave the guest asleep over primed buffers: the longest such
 * sleep must stay within the hold-off (+ one clock step).  `noack` plays a guest that
 * does not mark what it took (the SLSB says PRIMED until it gives buffers back), so
 * only the hold-off can wake it.
 */
#define SIM_FRAMES 100000u
#define SIM_HOLD_US 500u
#define SIM_STEP_US 20u

struct simres {
	uint64_t received, pcis, batches, found, late, steps;
	uint64_t max_sleep_us;		/* asleep with primed buffers and no PCI */
};

static uint64_t sim_clock(void *ctx)
{
	return *(uint64_t *)ctx;
}

static uint32_t sim_rand(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static bool sim_primed_at_guest(struct qdio_queue *q)
{
	uint8_t st;

	return qdio_get_state(q, q->next, &st) == 0 && st == SLSB_P_INPUT_PRIMED;
}

static void sim_run(struct tctx *t, uint8_t mode, bool noack, uint32_t seed, struct simres *r)
{
	struct world *w = world_new(t, 2);
	static uint8_t fr[8][1500];
	struct qdio_span sp[8];
	struct pframe pf[8];
	struct nicbk *nic;
	struct qdrv *drv;
	uint64_t now = 1000, seen_pcis, rx0, sleep_since = 0;
	bool polling = false, asleep_over_work = false, hidden[QDIO_BUFS] = { false };
	unsigned pause = 0, sent = 0;

	memset(r, 0, sizeof(*r));
	REQUIRE(w);
	REQUIRE(victim_online(t, w) == 0);
	nic = &w->nic[NP];
	drv = &w->pi->drv;
	REQUIRE(nic_set_pci_mode(nic, mode, SIM_HOLD_US, sim_clock, &now) == 0);
	for (unsigned i = 0; i < 8; i++) {
		memset(fr[i], (int)i, sizeof(fr[i]));
		memcpy(fr[i], nic->cfg.mac, 6);
		memcpy(fr[i] + 6, w->nic[NV].cfg.mac, 6);
		be_put16(fr[i] + 12, 0x88B5);
		sp[i].ptr = fr[i];
		memset(&pf[i], 0, sizeof(pf[i]));
		pf[i].spans = &sp[i];
		pf[i].nspans = 1;
		pf[i].kind = PF_ETH;
	}
	seen_pcis = nic->st.pcis;
	rx0 = drv->st.rx_pkts;
	while (drv->st.rx_pkts - rx0 < SIM_FRAMES && r->steps < 40u * SIM_FRAMES) {
		uint32_t a = sim_rand(&seed) % 10;

		r->steps++;
		now += sim_rand(&seed) % (SIM_STEP_US + 1);
		if (a < 4 && sent < SIM_FRAMES) {
			unsigned k = 1 + sim_rand(&seed) % 8;

			if (k > SIM_FRAMES - sent)
				k = SIM_FRAMES - sent;
			for (unsigned i = 0; i < k; i++) {
				sp[i].len = 60 + sim_rand(&seed) % 1440;
				pf[i].len = sp[i].len;
			}
			sent += port_deliver(&nic->port, pf, k);
		} else if (a < 9 && !polling) {
			if (nic->st.pcis != seen_pcis) {	/* the interruption */
				seen_pcis = nic->st.pcis;
				polling = true;
			}
		} else if (a < 9 && pause) {
			pause--;
		} else if (a < 9) {
			uint8_t first = drv->inq.next;

			if (sim_rand(&seed) % 8 == 0) {
				pause = sim_rand(&seed) % 50;	/* busy elsewhere */
				continue;
			}
			/* A no-ACK guest: what it took looks primed to the adapter until
			 * it gives it back (its own bookkeeping knows better). */
			for (unsigned b = 0; noack && b < QDIO_BUFS; b++)
				if (hidden[b])
					qdio_set_state(&drv->inq, b, SLSB_P_INPUT_NOT_INIT);
			qdrv_poll(drv);
			for (unsigned b = 0; noack && b < QDIO_BUFS; b++) {
				uint8_t st;

				hidden[b] = qdio_get_state(&drv->inq, b, &st) == 0 &&
					    st == SLSB_P_INPUT_NOT_INIT;
				if (hidden[b])
					qdio_set_state(&drv->inq, b, SLSB_P_INPUT_PRIMED);
			}
			if (drv->inq.next == first) {
				/* Nothing left: re-enable, look once more, sleep. */
				polling = sim_primed_at_guest(&drv->inq);
			}
		}
		/* The host's timer. */
		if (nic_pci_due(nic) && now >= nic_pci_due(nic))
			nic_pci_poll(nic);
		/* Asleep over primed buffers with no interruption coming? */
		if (!polling && nic->st.pcis == seen_pcis && sim_primed_at_guest(&drv->inq)) {
			if (!asleep_over_work)
				sleep_since = now;
			asleep_over_work = true;
			if (now - sleep_since > r->max_sleep_us)
				r->max_sleep_us = now - sleep_since;
		} else {
			asleep_over_work = false;
		}
	}
	r->received = drv->st.rx_pkts - rx0;
	r->pcis = nic->pcim.st.at_once + nic->pcim.st.late;
	r->batches = nic->pcim.st.batches;
	r->found = nic->pcim.st.found;
	r->late = nic->pcim.st.late;
	world_free(w);
}

TEST(vnic_pci_adaptive_no_lost_wakeup_100k_frames_random_pauses)
{
	struct simres ev, ad, na;

	sim_run(t, PCIM_EVERY, false, 1, &ev);
	sim_run(t, PCIM_ADAPTIVE, false, 1, &ad);
	sim_run(t, PCIM_ADAPTIVE, true, 7, &na);
	if (getenv("CPNET_TEST_VERBOSE"))
		fprintf(stderr, "every: %llu PCIs / %llu batches; adaptive: %llu PCIs (%llu late, %llu found) "
	       "/ %llu batches, longest sleep over work %llu us; no-ACK guest: %llu PCIs "
	       "(%llu late), longest sleep %llu us\n",
	       (unsigned long long)ev.pcis, (unsigned long long)ev.batches,
	       (unsigned long long)ad.pcis, (unsigned long long)ad.late,
	       (unsigned long long)ad.found, (unsigned long long)ad.batches,
	       (unsigned long long)ad.max_sleep_us, (unsigned long long)na.pcis,
	       (unsigned long long)na.late, (unsigned long long)na.max_sleep_us);
	CHECK_EQ(ev.received, SIM_FRAMES);
	CHECK_EQ(ad.received, SIM_FRAMES);
	CHECK_EQ(na.received, SIM_FRAMES);
	CHECK_EQ(ev.pcis, ev.batches);
	/* Coalesced: well under one PCI per batch, and some found by the guest itself. */
	CHECK(ad.pcis * 2 < ad.batches);
	CHECK(ad.found > 0);
	/* Never asleep over work longer than the hold-off (+ one clock step). */
	CHECK(ad.max_sleep_us <= SIM_HOLD_US + SIM_STEP_US);
	CHECK(na.max_sleep_us <= SIM_HOLD_US + SIM_STEP_US);
	CHECK(na.late > 0);
}
