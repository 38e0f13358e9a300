/* css/chsc.c - CHSC SCPD/SSQD codecs and the request handler (see css/chsc.h).
 * The handler works on a copy of the guest's 4 KiB block and never reads past it. */
#include "css/chsc.h"

#include <string.h>

#include "lib/be.h"

int chsc_hdr_decode(const uint8_t *buf, size_t len, uint16_t *req_len, uint16_t *code)
{
	if (len < CHSC_HDR_SIZE)
		return -EMSGSIZE;
	*req_len = be_get16(buf + CHSC_HDR_OFF_LEN);
	*code = be_get16(buf + CHSC_HDR_OFF_CODE);
	return 0;
}

static int req_hdr_check(const uint8_t *buf, size_t len, uint16_t want_len, uint16_t want)
{
	uint16_t l, c;

	if (len < want_len)
		return -EMSGSIZE;
	chsc_hdr_decode(buf, len, &l, &c);
	if (c != want)
		return -EPROTO;
	if (l != want_len)
		return -EMSGSIZE;
	return 0;
}

static void req_hdr_put(uint8_t *buf, uint16_t l, uint16_t c)
{
	be_put16(buf + CHSC_HDR_OFF_LEN, l);
	be_put16(buf + CHSC_HDR_OFF_CODE, c);
}

int chsc_scpd_req_decode(const uint8_t *buf, size_t len, struct chsc_scpd_req *out)
{
	int rc = req_hdr_check(buf, len, SCPD_REQ_SIZE, CHSC_CODE_SCPD);
	uint8_t f, r;

	if (rc)
		return rc;
	f = be_get8(buf + SCPD_REQ_OFF_FLAGS);
	r = be_get8(buf + SCPD_REQ_OFF_RFMT);
	if ((f & 0xC0) || (r & 0xF0) || be_get24(buf + SCPD_REQ_OFF_RSVD1) ||
	    be_get32(buf + SCPD_REQ_OFF_RSVD2))
		return -EBADMSG;
	out->m = (f & SCPD_M) != 0;
	out->c = (f & SCPD_C) != 0;
	out->fmt = f & 0x0F;
	out->cssid = be_get8(buf + SCPD_REQ_OFF_CSSID);
	out->rfmt = r & 0x0F;
	out->first = be_get8(buf + SCPD_REQ_OFF_FIRST);
	out->last = be_get8(buf + SCPD_REQ_OFF_LAST);
	if (out->first > out->last)
		return -EBADMSG;
	return 0;
}

int chsc_scpd_req_encode(const struct chsc_scpd_req *in, uint8_t *buf, size_t cap)
{
	if (cap < SCPD_REQ_SIZE)
		return -ENOSPC;
	if (in->fmt > 0x0F || in->rfmt > 0x0F)
		return -EINVAL;
	memset(buf, 0, SCPD_REQ_SIZE);
	req_hdr_put(buf, SCPD_REQ_SIZE, CHSC_CODE_SCPD);
	be_put8(buf + SCPD_REQ_OFF_FLAGS,
		(uint8_t)((in->m ? SCPD_M : 0) | (in->c ? SCPD_C : 0) | in->fmt));
	be_put8(buf + SCPD_REQ_OFF_CSSID, in->cssid);
	be_put8(buf + SCPD_REQ_OFF_RFMT, in->rfmt);
	be_put8(buf + SCPD_REQ_OFF_FIRST, in->first);
	be_put8(buf + SCPD_REQ_OFF_LAST, in->last);
	return SCPD_REQ_SIZE;
}

int chsc_ssqd_req_decode(const uint8_t *buf, size_t len, struct chsc_ssqd_req *out)
{
	int rc = req_hdr_check(buf, len, SSQD_REQ_SIZE, CHSC_CODE_SSQD);
	uint8_t sf;

	if (rc)
		return rc;
	sf = be_get8(buf + SSQD_REQ_OFF_SSID_FMT);
	if (be_get8(buf + SSQD_REQ_OFF_RSVD0) || (sf & 0xC0) ||
	    be_get16(buf + SSQD_REQ_OFF_RSVD1) || be_get32(buf + SSQD_REQ_OFF_RSVD2))
		return -EBADMSG;
	out->ssid = (sf >> 4) & 0x03;
	out->fmt = sf & 0x0F;
	out->first = be_get16(buf + SSQD_REQ_OFF_FIRST);
	out->last = be_get16(buf + SSQD_REQ_OFF_LAST);
	if (out->first > out->last)
		return -EBADMSG;
	return 0;
}

int chsc_ssqd_req_encode(const struct chsc_ssqd_req *in, uint8_t *buf, size_t cap)
{
	if (cap < SSQD_REQ_SIZE)
		return -ENOSPC;
	if (in->ssid > 3 || in->fmt > 0x0F)
		return -EINVAL;
	memset(buf, 0, SSQD_REQ_SIZE);
	req_hdr_put(buf, SSQD_REQ_SIZE, CHSC_CODE_SSQD);
	be_put8(buf + SSQD_REQ_OFF_SSID_FMT, (uint8_t)(in->ssid << 4 | in->fmt));
	be_put16(buf + SSQD_REQ_OFF_FIRST, in->first);
	be_put16(buf + SSQD_REQ_OFF_LAST, in->last);
	return SSQD_REQ_SIZE;
}

int chsc_rsp_decode(const uint8_t *buf, size_t len, struct chsc_rsp *out)
{
	if (len < CHSC_RSP_SIZE)
		return -EMSGSIZE;
	out->len = be_get16(buf + CHSC_RSP_OFF_LEN);
	out->code = be_get16(buf + CHSC_RSP_OFF_CODE);
	out->info = be_get32(buf + CHSC_RSP_OFF_INFO);
	if (out->len < CHSC_RSP_SIZE)
		return -EBADMSG;
	if (out->len > len)
		return -EMSGSIZE;
	return 0;
}

int chsc_rsp_encode(const struct chsc_rsp *in, uint8_t *buf, size_t cap)
{
	if (cap < CHSC_RSP_SIZE)
		return -ENOSPC;
	be_put16(buf + CHSC_RSP_OFF_LEN, in->len);
	be_put16(buf + CHSC_RSP_OFF_CODE, in->code);
	be_put32(buf + CHSC_RSP_OFF_INFO, in->info);
	return CHSC_RSP_SIZE;
}

int chsc_chpd0_decode(const uint8_t *buf, size_t len, struct chsc_chpd0 *out)
{
	if (len < CHPD0_SIZE)
		return -EMSGSIZE;
	out->flags = be_get8(buf + CHPD0_OFF_FLAGS);
	out->lsn = be_get8(buf + CHPD0_OFF_LSN);
	out->desc = be_get8(buf + CHPD0_OFF_DESC);
	out->chpid = be_get8(buf + CHPD0_OFF_CHPID);
	out->swla = be_get8(buf + CHPD0_OFF_SWLA);
	out->chla = be_get8(buf + CHPD0_OFF_CHLA);
	out->chpp = be_get8(buf + CHPD0_OFF_CHPP);
	return 0;
}

int chsc_chpd0_encode(const struct chsc_chpd0 *in, uint8_t *buf, size_t cap)
{
	if (cap < CHPD0_SIZE)
		return -ENOSPC;
	be_put8(buf + CHPD0_OFF_FLAGS, in->flags);
	be_put8(buf + CHPD0_OFF_LSN, in->lsn);
	be_put8(buf + CHPD0_OFF_DESC, in->desc);
	be_put8(buf + CHPD0_OFF_CHPID, in->chpid);
	be_put8(buf + CHPD0_OFF_SWLA, in->swla);
	be_put8(buf + CHPD0_OFF_ZERO, 0);
	be_put8(buf + CHPD0_OFF_CHLA, in->chla);
	be_put8(buf + CHPD0_OFF_CHPP, in->chpp);
	return CHPD0_SIZE;
}

int chsc_ssqd_desc_decode(const uint8_t *buf, size_t len, struct chsc_ssqd_desc *out)
{
	if (len < SSQD_DESC_SIZE)
		return -EMSGSIZE;
	out->flags = be_get8(buf + SSQD_OFF_FLAGS);
	out->sch = be_get16(buf + SSQD_OFF_SCH);
	out->qfmt = be_get8(buf + SSQD_OFF_QFMT);
	out->parm = be_get8(buf + SSQD_OFF_PARM);
	out->qdioac1 = be_get8(buf + SSQD_OFF_QDIOAC1);
	out->sch_class = be_get8(buf + SSQD_OFF_SCH_CLASS);
	out->pcnt = be_get8(buf + SSQD_OFF_PCNT);
	out->icnt = be_get8(buf + SSQD_OFF_ICNT);
	out->ocnt = be_get8(buf + SSQD_OFF_OCNT);
	out->mbccnt = be_get8(buf + SSQD_OFF_MBCCNT);
	out->qdioac2 = be_get16(buf + SSQD_OFF_QDIOAC2);
	out->sch_token = be_get64(buf + SSQD_OFF_SCH_TOKEN);
	out->mro = be_get8(buf + SSQD_OFF_MRO);
	out->mri = be_get8(buf + SSQD_OFF_MRI);
	out->qdioac3 = be_get16(buf + SSQD_OFF_QDIOAC3);
	out->mmwc = be_get8(buf + SSQD_OFF_MMWC);
	return 0;
}

int chsc_ssqd_desc_encode(const struct chsc_ssqd_desc *in, uint8_t *buf, size_t cap)
{
	if (cap < SSQD_DESC_SIZE)
		return -ENOSPC;
	memset(buf, 0, SSQD_DESC_SIZE);	/* reserved bytes */
	be_put8(buf + SSQD_OFF_FLAGS, in->flags);
	be_put16(buf + SSQD_OFF_SCH, in->sch);
	be_put8(buf + SSQD_OFF_QFMT, in->qfmt);
	be_put8(buf + SSQD_OFF_PARM, in->parm);
	be_put8(buf + SSQD_OFF_QDIOAC1, in->qdioac1);
	be_put8(buf + SSQD_OFF_SCH_CLASS, in->sch_class);
	be_put8(buf + SSQD_OFF_PCNT, in->pcnt);
	be_put8(buf + SSQD_OFF_ICNT, in->icnt);
	be_put8(buf + SSQD_OFF_OCNT, in->ocnt);
	be_put8(buf + SSQD_OFF_MBCCNT, in->mbccnt);
	be_put16(buf + SSQD_OFF_QDIOAC2, in->qdioac2);
	be_put64(buf + SSQD_OFF_SCH_TOKEN, in->sch_token);
	be_put8(buf + SSQD_OFF_MRO, in->mro);
	be_put8(buf + SSQD_OFF_MRI, in->mri);
	be_put16(buf + SSQD_OFF_QDIOAC3, in->qdioac3);
	be_put8(buf + SSQD_OFF_MMWC, in->mmwc);
	return SSQD_DESC_SIZE;
}

/* Store a response header; `data` bytes of descriptors follow it. */
static void put_rsp(uint8_t *rsp, uint16_t code, size_t data)
{
	struct chsc_rsp r = { (uint16_t)(CHSC_RSP_SIZE + data), code, 0 };

	chsc_rsp_encode(&r, rsp, CHSC_RSP_SIZE);
}

static uint16_t do_scpd(const uint8_t *req, uint8_t *rsp, size_t room,
			const struct chsc_ops *ops, size_t *data)
{
	struct chsc_scpd_req q;
	size_t n;

	if (chsc_scpd_req_decode(req, SCPD_REQ_SIZE, &q))
		return CHSC_RC_REQ_ERROR;
	/* Only the format-0 description exists here; without m the cssid must be 0. */
	if (q.fmt != 0 || q.rfmt != 0 || (!q.m && q.cssid != 0))
		return CHSC_RC_REQ_ERROR;
	n = ((size_t)q.last - q.first + 1) * CHPD0_SIZE;
	if (n > room)
		return CHSC_RC_REQ_ERROR;
	for (unsigned c = q.first; c <= q.last; c++) {
		struct chsc_chpd0 d = { 0 };

		if (!ops || !ops->chp || ops->chp(ops->ctx, q.cssid, (uint8_t)c, &d) < 0)
			memset(&d, 0, sizeof(d));
		chsc_chpd0_encode(&d, rsp + CHSC_RSP_SIZE + (c - q.first) * CHPD0_SIZE,
				  CHPD0_SIZE);
	}
	*data = n;
	return CHSC_RC_OK;
}

static uint16_t do_ssqd(const uint8_t *req, uint8_t *rsp, size_t room,
			const struct chsc_ops *ops, size_t *data)
{
	struct chsc_ssqd_req q;
	size_t n;

	if (chsc_ssqd_req_decode(req, SSQD_REQ_SIZE, &q))
		return CHSC_RC_REQ_ERROR;
	if (q.fmt != 0)
		return CHSC_RC_REQ_ERROR;
	n = ((size_t)q.last - q.first + 1) * SSQD_DESC_SIZE;
	if (n > room)
		return CHSC_RC_REQ_ERROR;
	for (uint32_t s = q.first; s <= q.last; s++) {
		struct chsc_ssqd_desc d = { 0 };

		if (!ops || !ops->ssqd || ops->ssqd(ops->ctx, q.ssid, (uint16_t)s, &d) < 0)
			memset(&d, 0, sizeof(d));
		chsc_ssqd_desc_encode(&d, rsp + CHSC_RSP_SIZE + (s - q.first) * SSQD_DESC_SIZE,
				      SSQD_DESC_SIZE);
	}
	*data = n;
	return CHSC_RC_OK;
}

int chsc_handle(uint8_t *block, size_t len, const struct chsc_ops *ops, uint16_t *rc)
{
	uint16_t req_len, code, res;
	size_t data = 0, room;
	uint8_t *rsp;

	if (len < CHSC_BLOCK_SIZE)
		return -EMSGSIZE;
	chsc_hdr_decode(block, len, &req_len, &code);
	if (req_len < CHSC_REQ_MIN_LEN || req_len > CHSC_REQ_MAX_LEN || (req_len & 7))
		return -EMSGSIZE;
	rsp = block + req_len;
	room = CHSC_BLOCK_SIZE - req_len - CHSC_RSP_SIZE;
	/* No stale bytes of an earlier use of the page survive in the response. */
	memset(rsp, 0, CHSC_BLOCK_SIZE - req_len);

	switch (code) {
	case CHSC_CODE_SCPD:
		res = req_len == SCPD_REQ_SIZE ? do_scpd(block, rsp, room, ops, &data)
					       : CHSC_RC_REQ_ERROR;
		break;
	case CHSC_CODE_SSQD:
		res = req_len == SSQD_REQ_SIZE ? do_ssqd(block, rsp, room, ops, &data)
					       : CHSC_RC_REQ_ERROR;
		break;
	default:
		res = CHSC_RC_NOT_SUPPORTED;
		break;
	}
	if (res != CHSC_RC_OK)
		data = 0;
	put_rsp(rsp, res, data);
	if (rc)
		*rc = res;
	return 0;
}
