/* qeth/mpc.c - MPC framing, PUK/PUS walking and the CM/ULP/DM setup exchange (reference §2.3-§2.6).
 * Adapter side parses with full offsets and answers in the host's geometry; driver side
 * builds Linux's exact requests and reads replies where qeth reads them. */
#include "qeth/mpc.h"

#include <string.h>

#include "lib/be.h"
#include "qeth/idx.h"

/* ---- Framing ---------------------------------------------------------------------- */

int mpc_frame_encode(const struct mpc_hdr *h, size_t n, uint8_t *buf, size_t cap)
{
	uint8_t *rrh = buf + MPC_RRH_OFF;
	uint8_t *ph = buf + MPC_PH_OFF;

	if (n > MPC_PDU_MAX || h->all_len > 0xFFFFFF)
		return -EINVAL;
	if (cap < MPC_PDU_OFF || cap - MPC_PDU_OFF < n)
		return -ENOSPC;
	memset(buf, 0, MPC_PDU_OFF);
	be_put32(buf + MPC_TH_OFF_FIRST, MPC_TH_FIRST);
	be_put32(buf + MPC_TH_OFF_SEQ, h->th_seq);
	be_put32(buf + MPC_TH_OFF_RRH, MPC_RRH_OFF);
	be_put32(buf + MPC_TH_OFF_LEN, (uint32_t)(MPC_PDU_OFF + n));
	be_put16(buf + MPC_TH_OFF_UNK, MPC_TH_UNK_HOST);
	be_put16(buf + MPC_TH_OFF_NRRH, 1);

	be_put8(rrh + MPC_RRH_OFF_TYPE, h->rrh_type);
	be_put8(rrh + MPC_RRH_OFF_PROTO, h->proto);
	be_put16(rrh + MPC_RRH_OFF_NPH, 1);
	be_put32(rrh + MPC_RRH_OFF_SEQ, h->pdu_seq);
	be_put32(rrh + MPC_RRH_OFF_ACK, h->ack_seq);
	be_put16(rrh + MPC_RRH_OFF_PH, MPC_PH_OFF - MPC_RRH_OFF);
	be_put16(rrh + MPC_RRH_OFF_DLEN, (uint16_t)n);
	be_put24(rrh + MPC_RRH_OFF_ALLLEN, h->all_len ? h->all_len : (uint32_t)n);
	be_put8(rrh + MPC_RRH_OFF_TOKLEN, MPC_TOKLEN);
	be_put32(rrh + MPC_RRH_OFF_TOKEN, h->dest_token);

	be_put8(ph + MPC_PH_OFF_LOC, MPC_PH_LOC);
	be_put24(ph + MPC_PH_OFF_LEN, (uint32_t)n);
	be_put32(ph + MPC_PH_OFF_DATA, MPC_PDU_OFF);
	return MPC_PDU_OFF;
}

int mpc_msg_decode(const uint8_t *buf, size_t len, struct mpc_msg *out)
{
	const uint8_t *rrh, *ph;
	uint32_t total, rrh_off, ph_rel, ph_off, pdu_off, pdu_len;
	uint8_t type;

	if (len < MPC_TH_SIZE)
		return -EMSGSIZE;
	if (be_get32(buf + MPC_TH_OFF_FIRST) != MPC_TH_FIRST)
		return -EPROTO;
	total = be_get32(buf + MPC_TH_OFF_LEN);
	if (total > len)
		return -EMSGSIZE;
	if (total < MPC_TH_SIZE + MPC_RRH_SIZE + MPC_PH_SIZE)
		return -EBADMSG;
	/* One RRH with one PH: all the driver sends and all it can parse back. */
	if (be_get16(buf + MPC_TH_OFF_NRRH) != 1)
		return -EBADMSG;
	rrh_off = be_get32(buf + MPC_TH_OFF_RRH);
	if (rrh_off < MPC_TH_SIZE || (uint64_t)rrh_off + MPC_RRH_SIZE > total)
		return -EBADMSG;
	rrh = buf + rrh_off;
	if (be_get32(rrh + MPC_RRH_OFF_NEXT) != 0)
		return -EBADMSG;
	type = be_get8(rrh + MPC_RRH_OFF_TYPE);
	if (type != MPC_RRH_CM && type != MPC_RRH_ULP && type != MPC_RRH_IPA)
		return -EPROTO;
	if (be_get16(rrh + MPC_RRH_OFF_NPH) != 1)
		return -EBADMSG;
	if (be_get8(rrh + MPC_RRH_OFF_TOKLEN) != MPC_TOKLEN)
		return -EBADMSG;
	ph_rel = be_get16(rrh + MPC_RRH_OFF_PH);
	if (ph_rel < MPC_RRH_SIZE)
		return -EBADMSG;
	ph_off = rrh_off + ph_rel; /* both bounded: rrh_off < total <= len, ph_rel < 64K */
	if ((uint64_t)ph_off + MPC_PH_SIZE > total)
		return -EBADMSG;
	ph = buf + ph_off;
	if (be_get8(ph + MPC_PH_OFF_LOC) != MPC_PH_LOC)
		return -EBADMSG;
	pdu_len = be_get24(ph + MPC_PH_OFF_LEN);
	pdu_off = be_get32(ph + MPC_PH_OFF_DATA);
	if (pdu_off < ph_off + MPC_PH_SIZE)
		return -EBADMSG;
	/* The single PDU must end the message exactly. */
	if ((uint64_t)pdu_off + pdu_len != total)
		return -EBADMSG;
	if (be_get16(rrh + MPC_RRH_OFF_DLEN) != pdu_len)
		return -EBADMSG;
	/* The all-PH-data length is not checked: Linux's DM_ACT carries a stale 0x2C. */

	out->th_seq = be_get32(buf + MPC_TH_OFF_SEQ);
	out->total_len = total;
	out->rrh_off = rrh_off;
	out->ph_off = ph_off;
	out->rrh_type = type;
	out->proto = be_get8(rrh + MPC_RRH_OFF_PROTO);
	out->pdu_seq = be_get32(rrh + MPC_RRH_OFF_SEQ);
	out->ack_seq = be_get32(rrh + MPC_RRH_OFF_ACK);
	out->dest_token = be_get32(rrh + MPC_RRH_OFF_TOKEN);
	out->all_len = be_get24(rrh + MPC_RRH_OFF_ALLLEN);
	out->pdu_off = pdu_off;
	out->pdu_len = pdu_len;
	return 0;
}

/* ---- PUK / PUS ---------------------------------------------------------------------- */

int mpc_puk_decode(const uint8_t *pdu, size_t len, struct mpc_puk *out)
{
	uint16_t total;

	if (len < MPC_PUK_SIZE)
		return -EMSGSIZE;
	if (be_get16(pdu + MPC_PUK_OFF_LEN) != MPC_PUK_SIZE)
		return -EBADMSG;
	total = be_get16(pdu + MPC_PUK_OFF_TOTAL);
	if ((size_t)total > len - MPC_PUK_SIZE)
		return -EMSGSIZE;
	out->what = be_get8(pdu + MPC_PUK_OFF_WHAT);
	out->type = be_get8(pdu + MPC_PUK_OFF_TYPE);
	out->total = total;
	return 0;
}

void mpc_pus_iter_init(struct mpc_pus_iter *it, const uint8_t *pdu, const struct mpc_puk *puk)
{
	it->p = pdu + MPC_PUK_SIZE;
	it->left = puk->total;
	it->steps = 0;
}

int mpc_pus_next(struct mpc_pus_iter *it, struct mpc_pus *out)
{
	uint16_t l;

	if (it->left == 0)
		return 0;
	if (it->steps >= MPC_PUS_MAX_ITEMS)
		return -ELOOP;
	it->steps++;
	if (it->left < MPC_PUS_HDR)
		return -EMSGSIZE;
	l = be_get16(it->p + MPC_PUS_OFF_LEN);
	/* A length below the header (zero included) would never advance. */
	if (l < MPC_PUS_HDR)
		return -EBADMSG;
	if (l > it->left)
		return -EMSGSIZE;
	if (be_get8(it->p + MPC_PUS_OFF_MARK) != MPC_PUS_MARK)
		return -EBADMSG;
	out->type = be_get8(it->p + MPC_PUS_OFF_TYPE);
	out->len = l;
	out->p = it->p;
	it->p += l;
	it->left -= l;
	return 1;
}

int mpc_pus_filter(const struct mpc_pus *s, uint8_t *proto, uint32_t *token)
{
	if (s->type != MPC_PUS_FILTER)
		return -EPROTO;
	if (s->len != MPC_PUS_01_LEN || s->p[5] != 0x04 || s->p[6] != MPC_TOKLEN)
		return -EBADMSG;
	*proto = be_get8(s->p + MPC_PUS_01_OFF_PROTO);
	*token = be_get32(s->p + MPC_PUS_01_OFF_TOKEN);
	return 0;
}

int mpc_pus_user_data(const struct mpc_pus *s, uint8_t data[8])
{
	if (s->type != MPC_PUS_USER)
		return -EPROTO;
	if (s->len != MPC_PUS_02_LEN)
		return -EBADMSG;
	memcpy(data, s->p + MPC_PUS_HDR, 8);
	return 0;
}

int mpc_pus_token(const struct mpc_pus *s, uint32_t *token)
{
	if (s->type != MPC_PUS_CONN && s->type != MPC_PUS_FILTER_R && s->type != MPC_PUS_CONN_R)
		return -EPROTO;
	if (s->len != MPC_PUS_TOK_LEN || s->p[MPC_PUS_HDR] != MPC_TOKLEN)
		return -EBADMSG;
	*token = be_get32(s->p + MPC_PUS_TOK_OFF);
	return 0;
}

int mpc_pus_bytes(const struct mpc_pus *s, const uint8_t **data, size_t *n)
{
	if (s->type == MPC_PUS_06) {
		if (s->len != MPC_PUS_06_LEN)
			return -EBADMSG;
	} else if (s->type == MPC_PUS_07) {
		if (s->len != MPC_PUS_07_LEN)
			return -EBADMSG;
	} else {
		return -EPROTO;
	}
	*data = s->p + MPC_PUS_HDR;
	*n = (size_t)s->len - MPC_PUS_HDR;
	return 0;
}

int mpc_pus_ulp(const struct mpc_pus *s, struct mpc_ulp_params *out)
{
	if (s->type != MPC_PUS_ULP)
		return -EPROTO;
	if (s->len < MPC_PUS_0A_LEN)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	memcpy(out->misc, s->p + MPC_PUS_0A_OFF_MISC, 4);
	out->mtu = be_get16(s->p + MPC_PUS_0A_OFF_MTU);
	out->linknum = be_get8(s->p + MPC_PUS_0A_OFF_LINKNUM);
	out->pname_len = be_get8(s->p + MPC_PUS_0A_OFF_PNLEN);
	if (out->pname_len > sizeof(out->pname))
		return -EBADMSG;
	memcpy(out->pname, s->p + MPC_PUS_0A_OFF_PNAME, sizeof(out->pname));
	if (s->len >= MPC_PUS_0A_LEN_LT) {
		out->has_link_type = true;
		out->link_type = be_get8(s->p + MPC_PUS_0A_OFF_LTYPE);
	}
	return 0;
}

int mpc_pus_devno(const struct mpc_pus *s, uint16_t *devno, uint16_t *realaddr)
{
	if (s->type != MPC_PUS_DEVNO)
		return -EPROTO;
	if (s->len != MPC_PUS_0B_LEN)
		return -EBADMSG;
	*devno = be_get16(s->p + MPC_PUS_HDR);
	*realaddr = be_get16(s->p + MPC_PUS_HDR + 2);
	return 0;
}

/* ---- Adapter side --------------------------------------------------------------------- */

const char *mpc_cmd_name(enum mpc_cmd cmd)
{
	switch (cmd) {
	case MPC_CM_ENABLE: return "CM_ENABLE";
	case MPC_CM_SETUP: return "CM_SETUP";
	case MPC_ULP_ENABLE: return "ULP_ENABLE";
	case MPC_ULP_SETUP: return "ULP_SETUP";
	case MPC_DM_ACT: return "DM_ACT";
	}
	return "?";
}

static int classify(uint8_t rrh_type, const struct mpc_puk *puk, enum mpc_cmd *cmd)
{
	if (rrh_type == MPC_RRH_CM && puk->what == MPC_PUK_WHAT) {
		if (puk->type == MPC_PUK_ENABLE) {
			*cmd = MPC_CM_ENABLE;
			return 0;
		}
		if (puk->type == MPC_PUK_SETUP) {
			*cmd = MPC_CM_SETUP;
			return 0;
		}
	} else if (rrh_type == MPC_RRH_ULP && puk->what == MPC_PUK_WHAT) {
		if (puk->type == MPC_PUK_ENABLE) {
			*cmd = MPC_ULP_ENABLE;
			return 0;
		}
		if (puk->type == MPC_PUK_SETUP) {
			*cmd = MPC_ULP_SETUP;
			return 0;
		}
	} else if (rrh_type == MPC_RRH_ULP && puk->what == MPC_PUK_WHAT_DM &&
		   puk->type == MPC_PUK_ACTIVE) {
		*cmd = MPC_DM_ACT;
		return 0;
	}
	return -EPROTO;
}

static unsigned needed_pus(enum mpc_cmd cmd)
{
	switch (cmd) {
	case MPC_CM_ENABLE:
		return MPC_HAVE(MPC_PUS_FILTER);
	case MPC_CM_SETUP:
		return MPC_HAVE(MPC_PUS_CONN) | MPC_HAVE(MPC_PUS_FILTER_R);
	case MPC_ULP_ENABLE:
		return MPC_HAVE(MPC_PUS_FILTER) | MPC_HAVE(MPC_PUS_ULP);
	case MPC_ULP_SETUP:
		return MPC_HAVE(MPC_PUS_CONN) | MPC_HAVE(MPC_PUS_FILTER_R) | MPC_HAVE(MPC_PUS_DEVNO);
	case MPC_DM_ACT:
		return MPC_HAVE(MPC_PUS_CONN);
	}
	return 0;
}

static int take_pus(struct mpc_req *r, const struct mpc_pus *s)
{
	const uint8_t *d;
	size_t n;
	int rc;

	switch (s->type) {
	case MPC_PUS_FILTER:
		return mpc_pus_filter(s, &r->filter_proto, &r->filter_token);
	case MPC_PUS_USER:
		return mpc_pus_user_data(s, r->user_data);
	case MPC_PUS_CONN:
		return mpc_pus_token(s, &r->conn_token);
	case MPC_PUS_FILTER_R:
		return mpc_pus_token(s, &r->peer_filter);
	case MPC_PUS_06:
		rc = mpc_pus_bytes(s, &d, &n);
		if (rc == 0)
			memcpy(r->pus06, d, sizeof(r->pus06));
		return rc;
	case MPC_PUS_ULP:
		return mpc_pus_ulp(s, &r->ulp);
	case MPC_PUS_DEVNO:
		return mpc_pus_devno(s, &r->devno, &r->realaddr);
	default:
		return 1; /* not one a host sends: ignored, not recorded */
	}
}

int mpc_req_decode(const uint8_t *buf, size_t len, struct mpc_req *out)
{
	struct mpc_pus_iter it;
	struct mpc_pus s;
	const uint8_t *pdu;
	unsigned need;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mpc_msg_decode(buf, len, &out->msg);
	if (rc < 0)
		return rc;
	if (out->msg.rrh_type == MPC_RRH_IPA || out->msg.proto != MPC_PROTO_SETUP)
		return -EPROTO;
	pdu = buf + out->msg.pdu_off;
	rc = mpc_puk_decode(pdu, out->msg.pdu_len, &out->puk);
	if (rc < 0)
		return rc;
	if ((uint32_t)MPC_PUK_SIZE + out->puk.total != out->msg.pdu_len)
		return -EBADMSG;
	rc = classify(out->msg.rrh_type, &out->puk, &out->cmd);
	if (rc < 0)
		return rc;

	mpc_pus_iter_init(&it, pdu, &out->puk);
	while ((rc = mpc_pus_next(&it, &s)) > 0) {
		int taken = take_pus(out, &s);

		if (taken < 0)
			return taken;
		if (taken > 0)
			continue;
		if (out->have & MPC_HAVE(s.type))
			return -EBADMSG; /* a repeated item would make the tokens ambiguous */
		out->have |= MPC_HAVE(s.type);
	}
	if (rc < 0)
		return rc;
	need = needed_pus(out->cmd);
	if ((out->have & need) != need)
		return -EBADMSG;
	return 0;
}

void mpc_reply_hdr(const struct mpc_req *req, uint32_t th_seq, uint32_t pdu_seq,
		   uint32_t dest_token, struct mpc_hdr *out)
{
	memset(out, 0, sizeof(*out));
	out->th_seq = th_seq;
	out->rrh_type = req->msg.rrh_type;
	out->proto = req->msg.proto;
	out->pdu_seq = pdu_seq;
	out->ack_seq = req->msg.pdu_seq;
	out->dest_token = dest_token;
}

static uint8_t *put_puk(uint8_t *p, uint8_t what, uint8_t type, uint16_t total)
{
	memset(p, 0, MPC_PUK_SIZE);
	be_put16(p + MPC_PUK_OFF_LEN, MPC_PUK_SIZE);
	be_put8(p + MPC_PUK_OFF_WHAT, what);
	be_put8(p + MPC_PUK_OFF_TYPE, type);
	be_put16(p + MPC_PUK_OFF_TOTAL, total);
	return p + MPC_PUK_SIZE;
}

static uint8_t *put_pus_hdr(uint8_t *p, uint16_t len, uint8_t type)
{
	be_put16(p + MPC_PUS_OFF_LEN, len);
	be_put8(p + MPC_PUS_OFF_MARK, MPC_PUS_MARK);
	be_put8(p + MPC_PUS_OFF_TYPE, type);
	return p + MPC_PUS_HDR;
}

static uint8_t *put_pus_filter(uint8_t *p, uint8_t proto, uint32_t token)
{
	p = put_pus_hdr(p, MPC_PUS_01_LEN, MPC_PUS_FILTER);
	be_put8(p, proto);
	be_put8(p + 1, 0x04);
	be_put8(p + 2, MPC_TOKLEN);
	be_put32(p + 3, token);
	return p + MPC_PUS_01_LEN - MPC_PUS_HDR;
}

static uint8_t *put_pus_token(uint8_t *p, uint8_t type, uint32_t token)
{
	p = put_pus_hdr(p, MPC_PUS_TOK_LEN, type);
	be_put8(p, MPC_TOKLEN);
	be_put32(p + 1, token);
	return p + MPC_PUS_TOK_LEN - MPC_PUS_HDR;
}

static uint8_t *put_pus_raw(uint8_t *p, uint8_t type, const uint8_t *data, uint16_t n)
{
	p = put_pus_hdr(p, (uint16_t)(MPC_PUS_HDR + n), type);
	memcpy(p, data, n);
	return p + n;
}

static uint8_t *put_pus_devno(uint8_t *p, uint16_t devno, uint16_t realaddr)
{
	p = put_pus_hdr(p, MPC_PUS_0B_LEN, MPC_PUS_DEVNO);
	be_put16(p, devno);
	be_put16(p + 2, realaddr);
	return p + 4;
}

static uint8_t *put_pus_ulp(uint8_t *p, uint16_t len, const struct mpc_ulp_params *u)
{
	uint8_t *body = put_pus_hdr(p, len, MPC_PUS_ULP);

	memset(body, 0, (size_t)len - MPC_PUS_HDR);
	memcpy(p + MPC_PUS_0A_OFF_MISC, u->misc, 4);
	be_put16(p + MPC_PUS_0A_OFF_MTU, u->mtu);
	be_put8(p + MPC_PUS_0A_OFF_LINKNUM, u->linknum);
	be_put8(p + MPC_PUS_0A_OFF_PNLEN, u->pname_len);
	memcpy(p + MPC_PUS_0A_OFF_PNAME, u->pname, 8);
	if (len >= MPC_PUS_0A_LEN_LT)
		be_put8(p + MPC_PUS_0A_OFF_LTYPE, u->link_type);
	return p + len;
}

/* Frame a PDU of n bytes; returns the PDU pointer or NULL with *rc set. */
static uint8_t *frame(const struct mpc_hdr *h, size_t n, uint8_t *buf, size_t cap, int *rc)
{
	*rc = mpc_frame_encode(h, n, buf, cap);
	return *rc < 0 ? NULL : buf + *rc;
}

static int reply_check(const struct mpc_hdr *h, const struct mpc_req *req, enum mpc_cmd cmd)
{
	if (req->cmd != cmd)
		return -EPROTO;
	/* The driver would route an 0xC1 reply to its IPA matcher. */
	if (h->rrh_type == MPC_RRH_IPA)
		return -EINVAL;
	return 0;
}

/* The reply's PUS-07 carries the request's PUS-06 bytes. */
static void pus07_body(const struct mpc_req *req, uint8_t out[4])
{
	out[0] = req->pus06[0];
	out[1] = req->pus06[1];
	out[2] = 0;
	out[3] = 0;
}

int mpc_cm_enable_reply_encode(const struct mpc_hdr *h, const struct mpc_req *req,
			       uint32_t filter_token, uint8_t *buf, size_t cap)
{
	const uint16_t total = MPC_PUS_01_LEN + MPC_PUS_02_LEN;
	uint8_t *p;
	int rc = reply_check(h, req, MPC_CM_ENABLE);

	if (rc < 0)
		return rc;
	p = frame(h, MPC_PUK_SIZE + total, buf, cap, &rc);
	if (!p)
		return rc;
	p = put_puk(p, MPC_PUK_WHAT, MPC_PUK_ENABLE, total);
	p = put_pus_filter(p, req->filter_proto, filter_token); /* token at PDU+0x13 */
	put_pus_raw(p, MPC_PUS_USER, req->user_data, 8);
	return MPC_PDU_OFF + MPC_PUK_SIZE + total;
}

int mpc_cm_setup_reply_encode(const struct mpc_hdr *h, const struct mpc_req *req,
			      uint32_t conn_token, uint8_t *buf, size_t cap)
{
	const uint16_t total = 2 * MPC_PUS_TOK_LEN + MPC_PUS_07_LEN;
	uint8_t b7[4], *p;
	int rc = reply_check(h, req, MPC_CM_SETUP);

	if (rc < 0)
		return rc;
	p = frame(h, MPC_PUK_SIZE + total, buf, cap, &rc);
	if (!p)
		return rc;
	pus07_body(req, b7);
	p = put_puk(p, MPC_PUK_WHAT, MPC_PUK_CONFIRM, total);
	p = put_pus_token(p, MPC_PUS_CONN, req->conn_token);
	p = put_pus_token(p, MPC_PUS_CONN_R, conn_token); /* token at PDU+0x1A */
	put_pus_raw(p, MPC_PUS_07, b7, 4);
	return MPC_PDU_OFF + MPC_PUK_SIZE + total;
}

int mpc_ulp_enable_reply_encode(const struct mpc_hdr *h, const struct mpc_req *req,
				uint32_t filter_token, uint16_t max_mtu, uint8_t link_type,
				uint8_t *buf, size_t cap)
{
	const uint16_t total = MPC_PUS_01_LEN + MPC_PUS_0A_LEN_LT;
	struct mpc_ulp_params u = req->ulp;
	uint8_t *p;
	int rc = reply_check(h, req, MPC_ULP_ENABLE);

	if (rc < 0)
		return rc;
	p = frame(h, MPC_PUK_SIZE + total, buf, cap, &rc);
	if (!p)
		return rc;
	u.mtu = max_mtu;
	u.link_type = link_type;
	p = put_puk(p, MPC_PUK_WHAT, MPC_PUK_ENABLE, total);
	p = put_pus_filter(p, req->filter_proto, filter_token);
	/* Length 0x18 so that the driver takes the link type (PDU+0x2B). */
	put_pus_ulp(p, MPC_PUS_0A_LEN_LT, &u);
	return MPC_PDU_OFF + MPC_PUK_SIZE + total;
}

int mpc_ulp_setup_reply_encode(const struct mpc_hdr *h, const struct mpc_req *req,
			       uint32_t conn_token, uint8_t *buf, size_t cap)
{
	const uint16_t total = 2 * MPC_PUS_TOK_LEN + MPC_PUS_07_LEN + MPC_PUS_0B_LEN;
	uint8_t b7[4], *p;
	int rc = reply_check(h, req, MPC_ULP_SETUP);

	if (rc < 0)
		return rc;
	/* qeth refuses a connection token that starts with "00S" (OLM limit). */
	if ((conn_token >> 8) == 0x303053)
		return -EINVAL;
	p = frame(h, MPC_PUK_SIZE + total, buf, cap, &rc);
	if (!p)
		return rc;
	pus07_body(req, b7);
	p = put_puk(p, MPC_PUK_WHAT, MPC_PUK_CONFIRM, total);
	p = put_pus_token(p, MPC_PUS_CONN, req->conn_token);
	p = put_pus_token(p, MPC_PUS_CONN_R, conn_token);
	p = put_pus_raw(p, MPC_PUS_07, b7, 4);
	put_pus_devno(p, req->devno, req->realaddr);
	return MPC_PDU_OFF + MPC_PUK_SIZE + total;
}

int mpc_dm_act_reply_encode(const struct mpc_hdr *h, const struct mpc_req *req,
			    uint8_t *buf, size_t cap)
{
	const uint16_t total = MPC_PUS_TOK_LEN;
	uint8_t *p;
	int rc = reply_check(h, req, MPC_DM_ACT);

	if (rc < 0)
		return rc;
	p = frame(h, MPC_PUK_SIZE + total, buf, cap, &rc);
	if (!p)
		return rc;
	p = put_puk(p, MPC_PUK_WHAT_DM, MPC_PUK_ACTIVE, total);
	put_pus_token(p, MPC_PUS_CONN, req->conn_token);
	return MPC_PDU_OFF + MPC_PUK_SIZE + total;
}

int mpc_reply_encode(const struct mpc_hdr *h, const struct mpc_req *req,
		     const struct mpc_adapter_params *a, uint8_t *buf, size_t cap)
{
	switch (req->cmd) {
	case MPC_CM_ENABLE:
		return mpc_cm_enable_reply_encode(h, req, a->filter_token, buf, cap);
	case MPC_CM_SETUP:
		return mpc_cm_setup_reply_encode(h, req, a->conn_token, buf, cap);
	case MPC_ULP_ENABLE:
		return mpc_ulp_enable_reply_encode(h, req, a->filter_token, a->max_mtu,
						   a->link_type, buf, cap);
	case MPC_ULP_SETUP:
		return mpc_ulp_setup_reply_encode(h, req, a->conn_token, buf, cap);
	case MPC_DM_ACT:
		return mpc_dm_act_reply_encode(h, req, buf, cap);
	}
	return -EINVAL;
}

/* ---- Driver side ---------------------------------------------------------------------- */

void mpc_seq_reset(struct mpc_seq *s)
{
	s->th = 0;
	s->pdu = 0;
	s->ack = 0;
}

uint32_t mpc_seq_idx(struct mpc_seq *s, bool write_dev)
{
	uint32_t v = s->th;

	if (write_dev)
		s->th++;
	return v;
}

void mpc_seq_stamp(struct mpc_seq *s, uint8_t rrh_type, uint8_t proto, uint32_t dest_token,
		   struct mpc_hdr *out)
{
	memset(out, 0, sizeof(*out));
	out->th_seq = s->th++;
	out->pdu_seq = s->pdu++;
	out->ack_seq = s->ack;
	out->rrh_type = rrh_type;
	out->proto = proto;
	out->dest_token = dest_token;
}

int mpc_seq_ack(struct mpc_seq *s, const uint8_t *buf, size_t len)
{
	if (len < MPC_RRH_OFF + MPC_RRH_OFF_SEQ + 4)
		return -EMSGSIZE;
	s->ack = be_get32(buf + MPC_RRH_OFF + MPC_RRH_OFF_SEQ);
	return 0;
}

/*
 * Start a setup command: the caller's sequence/addressing with the command's own RRH
 * type and all-PH length, the framing, and the PUK for `total` bytes of PUS items.
 * Returns where the PUS items go, or NULL with *rc set.
 */
static uint8_t *begin_cmd(const struct mpc_hdr *h, uint8_t rrh_type, uint32_t all_len,
			  uint8_t what, uint8_t puk_type, uint16_t total, uint8_t *buf,
			  size_t cap, int *rc)
{
	struct mpc_hdr ch = *h;
	uint8_t *p;

	ch.rrh_type = rrh_type;
	ch.proto = MPC_PROTO_SETUP;
	ch.all_len = all_len;
	p = frame(&ch, MPC_PUK_SIZE + total, buf, cap, rc);
	return p ? put_puk(p, what, puk_type, total) : NULL;
}

int mpc_cm_enable_encode(const struct mpc_hdr *h, uint32_t cm_filter_w, uint8_t *buf, size_t cap)
{
	static const uint8_t user_data[8] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	const uint16_t total = MPC_PUS_01_LEN + MPC_PUS_02_LEN;
	uint8_t *p;
	int rc;

	p = begin_cmd(h, MPC_RRH_CM, 0, MPC_PUK_WHAT, MPC_PUK_ENABLE, total, buf, cap, &rc);
	if (!p)
		return rc;
	p = put_pus_filter(p, MPC_PROTO_SETUP, cm_filter_w);
	put_pus_raw(p, MPC_PUS_USER, user_data, sizeof(user_data));
	return MPC_CM_ENABLE_SIZE;
}

int mpc_cm_setup_encode(const struct mpc_hdr *h, uint32_t cm_conn_w, uint32_t cm_filter_r,
			uint8_t *buf, size_t cap)
{
	static const uint8_t b6[2] = { 0xC8, 0x00 };
	const uint16_t total = 2 * MPC_PUS_TOK_LEN + MPC_PUS_06_LEN;
	uint8_t *p;
	int rc;

	p = begin_cmd(h, MPC_RRH_CM, 0, MPC_PUK_WHAT, MPC_PUK_SETUP, total, buf, cap, &rc);
	if (!p)
		return rc;
	p = put_pus_token(p, MPC_PUS_CONN, cm_conn_w);
	p = put_pus_token(p, MPC_PUS_FILTER_R, cm_filter_r);
	put_pus_raw(p, MPC_PUS_06, b6, sizeof(b6));
	return MPC_CM_SETUP_SIZE;
}

int mpc_ulp_enable_encode(const struct mpc_hdr *h, uint8_t proto, uint8_t linknum,
			  uint32_t ulp_filter_w, uint8_t *buf, size_t cap)
{
	/* Linux's fixed ULP parameters: MTU FFFF, port name EBCDIC "HYD1G1". */
	struct mpc_ulp_params u = {
		.misc = { 0x00, 0x20, 0x00, 0x00 },
		.mtu = 0xFFFF,
		.linknum = linknum,
		.pname_len = 8,
		.pname = { 0xC8, 0xE8, 0xC4, 0xF1, 0xC7, 0xF1, 0x00, 0x00 },
	};
	const uint16_t total = MPC_PUS_01_LEN + MPC_PUS_0A_LEN;
	uint8_t *p;
	int rc;

	p = begin_cmd(h, MPC_RRH_ULP, 0, MPC_PUK_WHAT, MPC_PUK_ENABLE, total, buf, cap, &rc);
	if (!p)
		return rc;
	p = put_pus_filter(p, proto, ulp_filter_w);
	put_pus_ulp(p, MPC_PUS_0A_LEN, &u);
	return MPC_ULP_ENABLE_SIZE;
}

int mpc_ulp_setup_encode(const struct mpc_hdr *h, uint32_t ulp_conn_w, uint32_t ulp_filter_r,
			 uint16_t devno, uint16_t realaddr, uint8_t *buf, size_t cap)
{
	static const uint8_t b6[2] = { 0x40, 0x00 };
	const uint16_t total = 2 * MPC_PUS_TOK_LEN + MPC_PUS_06_LEN + MPC_PUS_0B_LEN;
	uint8_t *p;
	int rc;

	p = begin_cmd(h, MPC_RRH_ULP, 0, MPC_PUK_WHAT, MPC_PUK_SETUP, total, buf, cap, &rc);
	if (!p)
		return rc;
	p = put_pus_token(p, MPC_PUS_CONN, ulp_conn_w);
	p = put_pus_token(p, MPC_PUS_FILTER_R, ulp_filter_r);
	p = put_pus_raw(p, MPC_PUS_06, b6, sizeof(b6));
	put_pus_devno(p, devno, realaddr);
	return MPC_ULP_SETUP_SIZE;
}

int mpc_dm_act_encode(const struct mpc_hdr *h, uint32_t ulp_conn_r, uint8_t *buf, size_t cap)
{
	const uint16_t total = MPC_PUS_TOK_LEN;
	uint8_t *p;
	int rc;

	p = begin_cmd(h, MPC_RRH_ULP, MPC_DM_ACT_ALLLEN, MPC_PUK_WHAT_DM, MPC_PUK_ACTIVE, total, buf, cap, &rc);
	if (!p)
		return rc;
	put_pus_token(p, MPC_PUS_CONN, ulp_conn_r);
	return MPC_DM_ACT_SIZE;
}

int mpc_drv_locate(const uint8_t *buf, size_t len, struct mpc_drv_loc *out)
{
	size_t rrh, ph;

	if (idx_is_terminate(buf, len))
		return len > IDX_OFF_SEQ ? idx_terminate_errno(buf[IDX_OFF_SEQ]) : -EMSGSIZE;
	/* The PDU seq at 0x1C is absolute in qeth, whatever the geometry. */
	if (len < MPC_RRH_OFF + MPC_RRH_OFF_SEQ + 4)
		return -EMSGSIZE;
	/* qeth uses only the low byte of each offset (§2.3.1). */
	rrh = buf[MPC_TH_OFF_RRH + 3];
	if (rrh + MPC_RRH_OFF_PH + 2 > len)
		return -EMSGSIZE;
	ph = rrh + buf[rrh + MPC_RRH_OFF_PH + 1];
	if (ph + MPC_PH_SIZE > len)
		return -EMSGSIZE;
	out->rrh = (uint32_t)rrh;
	out->ph = (uint32_t)ph;
	out->pdu = buf[ph + MPC_PH_OFF_DATA + 3];
	out->is_ipa = buf[rrh + MPC_RRH_OFF_TYPE] == MPC_RRH_IPA;
	out->pdu_seq = be_get32(buf + MPC_RRH_OFF + MPC_RRH_OFF_SEQ);
	return 0;
}

/* Locate a non-IPA reply and make sure [pdu+off, pdu+off+n) is inside it. */
static int drv_field(const uint8_t *buf, size_t len, size_t off, size_t n, const uint8_t **f)
{
	struct mpc_drv_loc loc;
	int rc = mpc_drv_locate(buf, len, &loc);

	if (rc < 0)
		return rc;
	if (loc.is_ipa)
		return -EPROTO;
	if ((size_t)loc.pdu + off + n > len)
		return -EMSGSIZE;
	*f = buf + loc.pdu + off;
	return 0;
}

/* The 4-byte token a reply carries at PDU+off. */
static int drv_token(const uint8_t *buf, size_t len, size_t off, uint32_t *token)
{
	const uint8_t *f;
	int rc = drv_field(buf, len, off, 4, &f);

	if (rc < 0)
		return rc;
	*token = be_get32(f);
	return 0;
}

int mpc_drv_cm_enable_reply(const uint8_t *buf, size_t len, uint32_t *cm_filter_r)
{
	return drv_token(buf, len, MPC_REPLY_OFF_FILTER, cm_filter_r);
}

int mpc_drv_cm_setup_reply(const uint8_t *buf, size_t len, uint32_t *cm_conn_r)
{
	return drv_token(buf, len, MPC_REPLY_OFF_CONN, cm_conn_r);
}

int mpc_drv_ulp_enable_reply(const uint8_t *buf, size_t len, struct mpc_ulp_info *out)
{
	const uint8_t *pdu;
	uint16_t l0a;
	int rc;

	/* Everything up to and including the MTU must be present. */
	rc = drv_field(buf, len, 0, MPC_REPLY_OFF_MTU + 2, &pdu);
	if (rc < 0)
		return rc;
	out->filter_token = be_get32(pdu + MPC_REPLY_OFF_FILTER);
	out->max_mtu = be_get16(pdu + MPC_REPLY_OFF_MTU);
	out->link_type = 0;
	l0a = be_get16(pdu + MPC_REPLY_OFF_0ALEN);
	if (l0a >= MPC_PUS_0A_LEN_LT) {
		if ((size_t)(pdu - buf) + MPC_REPLY_OFF_LTYPE + 1 > len)
			return -EMSGSIZE;
		out->link_type = pdu[MPC_REPLY_OFF_LTYPE];
	}
	if (out->link_type == MPC_LINK_HSTR || out->link_type == MPC_LINK_LANE_TR)
		return -EPROTONOSUPPORT;
	return 0;
}

int mpc_drv_ulp_setup_reply(const uint8_t *buf, size_t len, uint32_t *ulp_conn_r)
{
	uint32_t t;
	int rc = drv_token(buf, len, MPC_REPLY_OFF_CONN, &t);

	if (rc < 0)
		return rc;
	/* ASCII "00S": the adapter's OLM sharing limit (§2.4). */
	if ((t >> 8) == 0x303053u)
		return -EMLINK;
	*ulp_conn_r = t;
	return 0;
}

int mpc_drv_dm_act_reply(const uint8_t *buf, size_t len)
{
	struct mpc_drv_loc loc;
	int rc = mpc_drv_locate(buf, len, &loc);

	if (rc < 0)
		return rc;
	return loc.is_ipa ? -EPROTO : 0;
}

int mpc_mtu_from_reply(uint16_t raw, bool iqd)
{
	if (!iqd)
		return raw ? raw : 65535;
	switch (raw) {
	case 0x4000: return 8192;
	case 0x6000: return 16384;
	case 0xA000: return 32768;
	case 0xFFFF: return 57344;
	default: return -EINVAL;
	}
}
