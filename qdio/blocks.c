/* qdio/blocks.c - codecs for the QDIO control blocks (see qdio/blocks.h).
 * Used by Establish Queues (adapter side) and by the program side that lays them out. */
#include "qdio/blocks.h"

#include <string.h>

#include "lib/be.h"

bool slsb_state_valid(uint8_t state, bool output)
{
	if (output) {
		switch (state) {
		case SLSB_P_OUTPUT_NOT_INIT:
		case SLSB_P_OUTPUT_EMPTY:
		case SLSB_P_OUTPUT_PENDING:
		case SLSB_CU_OUTPUT_PRIMED:
		case SLSB_P_OUTPUT_HALTED:
		case SLSB_P_OUTPUT_ERROR:
			return true;
		default:
			return false;
		}
	}
	switch (state) {
	case SLSB_P_INPUT_NOT_INIT:
	case SLSB_P_INPUT_ACK:
	case SLSB_CU_INPUT_EMPTY:
	case SLSB_P_INPUT_PRIMED:
	case SLSB_P_INPUT_HALTED:
	case SLSB_P_INPUT_ERROR:
		return true;
	default:
		return false;
	}
}

/* ---- QDESFMT0 / QDR ------------------------------------------------------------ */

int qdesfmt0_decode(const uint8_t *buf, size_t len, struct qdesfmt0 *out)
{
	if (len < QDESFMT0_SIZE)
		return -EMSGSIZE;
	out->slib = be_get64(buf + QDESFMT0_OFF_SLIB);
	out->sl = be_get64(buf + QDESFMT0_OFF_SL);
	out->slsb = be_get64(buf + QDESFMT0_OFF_SLSB);
	out->slib_key = buf[QDESFMT0_OFF_KEYS1] >> 4;
	out->sl_key = buf[QDESFMT0_OFF_KEYS1] & 0x0F;
	out->sbal_key = buf[QDESFMT0_OFF_KEYS2] >> 4;
	out->slsb_key = buf[QDESFMT0_OFF_KEYS2] & 0x0F;
	return 0;
}

int qdesfmt0_encode(const struct qdesfmt0 *in, uint8_t *buf, size_t cap)
{
	if (cap < QDESFMT0_SIZE)
		return -ENOSPC;
	if ((in->slib_key | in->sl_key | in->sbal_key | in->slsb_key) > 0x0F)
		return -EINVAL;
	memset(buf, 0, QDESFMT0_SIZE);
	be_put64(buf + QDESFMT0_OFF_SLIB, in->slib);
	be_put64(buf + QDESFMT0_OFF_SL, in->sl);
	be_put64(buf + QDESFMT0_OFF_SLSB, in->slsb);
	be_put8(buf + QDESFMT0_OFF_KEYS1, (uint8_t)(in->slib_key << 4 | in->sl_key));
	be_put8(buf + QDESFMT0_OFF_KEYS2, (uint8_t)(in->sbal_key << 4 | in->slsb_key));
	return QDESFMT0_SIZE;
}

int qdr_decode(const uint8_t *buf, size_t len, struct qdr *out)
{
	unsigned i;
	const uint8_t *d;

	if (len < QDR_SIZE)
		return -EMSGSIZE;
	memset(out, 0, sizeof(*out));
	out->qfmt = buf[QDR_OFF_QFMT];
	out->pfmt = buf[QDR_OFF_PFMT];
	out->ac = buf[QDR_OFF_AC];
	out->iqdcnt = buf[QDR_OFF_IQDCNT];
	out->oqdcnt = buf[QDR_OFF_OQDCNT];
	out->iqdsz = buf[QDR_OFF_IQDSZ];
	out->oqdsz = buf[QDR_OFF_OQDSZ];
	out->qiba = be_get64(buf + QDR_OFF_QIBA);
	out->qkey = buf[QDR_OFF_QKEY] >> 4;
	/* The descriptor array must fit the 4K record: 32+32 slots of 32 bytes do
	 * (0x40 + 64 * 32 <= 4096), which the static check below proves. */
	_Static_assert(QDR_OFF_QDF0 + 2 * QDIO_QUEUES_MAX * QDESFMT0_SIZE <= QDR_SIZE,
		       "QDR descriptors must fit the record");
	if (out->iqdcnt < 1 || out->iqdcnt > QDIO_QUEUES_MAX ||
	    out->oqdcnt < 1 || out->oqdcnt > QDIO_QUEUES_MAX)
		return -EBADMSG;
	if (out->iqdsz != QDR_DESC_WORDS || out->oqdsz != QDR_DESC_WORDS)
		return -EBADMSG;
	d = buf + QDR_OFF_QDF0;
	for (i = 0; i < out->iqdcnt; i++, d += QDESFMT0_SIZE)
		qdesfmt0_decode(d, QDESFMT0_SIZE, &out->in[i]);
	for (i = 0; i < out->oqdcnt; i++, d += QDESFMT0_SIZE)
		qdesfmt0_decode(d, QDESFMT0_SIZE, &out->out[i]);
	return 0;
}

int qdr_encode(const struct qdr *in, uint8_t *buf, size_t cap)
{
	unsigned i;
	uint8_t *d;
	int rc;

	if (cap < QDR_SIZE)
		return -ENOSPC;
	if (in->iqdcnt < 1 || in->iqdcnt > QDIO_QUEUES_MAX ||
	    in->oqdcnt < 1 || in->oqdcnt > QDIO_QUEUES_MAX || in->qkey > 0x0F)
		return -EINVAL;
	memset(buf, 0, QDR_SIZE);
	buf[QDR_OFF_QFMT] = in->qfmt;
	buf[QDR_OFF_PFMT] = in->pfmt;
	buf[QDR_OFF_AC] = in->ac;
	buf[QDR_OFF_IQDCNT] = in->iqdcnt;
	buf[QDR_OFF_OQDCNT] = in->oqdcnt;
	/* The size is a property of the format we write, not a caller's choice. */
	buf[QDR_OFF_IQDSZ] = QDR_DESC_WORDS;
	buf[QDR_OFF_OQDSZ] = QDR_DESC_WORDS;
	be_put64(buf + QDR_OFF_QIBA, in->qiba);
	buf[QDR_OFF_QKEY] = (uint8_t)(in->qkey << 4);
	d = buf + QDR_OFF_QDF0;
	for (i = 0; i < in->iqdcnt; i++, d += QDESFMT0_SIZE) {
		rc = qdesfmt0_encode(&in->in[i], d, QDESFMT0_SIZE);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < in->oqdcnt; i++, d += QDESFMT0_SIZE) {
		rc = qdesfmt0_encode(&in->out[i], d, QDESFMT0_SIZE);
		if (rc < 0)
			return rc;
	}
	return QDR_SIZE;
}

/* ---- QIB ---------------------------------------------------------------------- */

int qib_decode(const uint8_t *buf, size_t len, struct qib *out)
{
	const uint8_t *p = buf + QIB_OFF_PARM;
	unsigned i;

	if (len < QIB_SIZE)
		return -EMSGSIZE;
	memset(out, 0, sizeof(*out));
	out->qfmt = buf[QIB_OFF_QFMT];
	out->pfmt = buf[QIB_OFF_PFMT];
	out->rflags = buf[QIB_OFF_RFLAGS];
	out->ac = buf[QIB_OFF_AC];
	out->isliba = be_get64(buf + QIB_OFF_ISLIBA);
	out->osliba = be_get64(buf + QIB_OFF_OSLIBA);
	memcpy(out->ebcnam, buf + QIB_OFF_EBCNAM, sizeof(out->ebcnam));
	/* Each parameter group stands on its own: recognised by its marker only. */
	if (be_get32(p + QIB_PARM_OFF_PCIT) == QIB_PARM_MARK_PCIT) {
		out->has_pcit = true;
		out->pcit_a = be_get32(p + QIB_PARM_OFF_PCIT_A);
		out->pcit_b = be_get32(p + QIB_PARM_OFF_PCIT_B);
		out->pcit_timer = be_get32(p + QIB_PARM_OFF_PCIT_TIMER);
	}
	if (be_get32(p + QIB_PARM_OFF_BLKT) == QIB_PARM_MARK_BLKT) {
		out->has_blkt = true;
		out->blkt_total = be_get32(p + QIB_PARM_OFF_BLKT_TOTAL);
		out->blkt_inter = be_get32(p + QIB_PARM_OFF_BLKT_INTER);
		out->blkt_jumbo = be_get32(p + QIB_PARM_OFF_BLKT_JUMBO);
	}
	if (be_get32(p + QIB_PARM_OFF_PQUE) == QIB_PARM_MARK_PQUE) {
		out->has_pque = true;
		out->pque_order = p[QIB_PARM_OFF_PQUE_ORDER];
		out->pque_units = p[QIB_PARM_OFF_PQUE_UNITS];
		for (i = 0; i < 4; i++)
			out->pque_prio[i] = be_get32(p + QIB_PARM_OFF_PQUE_PRIO + 4 * i);
	}
	return 0;
}

int qib_encode(const struct qib *in, uint8_t *buf, size_t cap)
{
	uint8_t *p = buf + QIB_OFF_PARM;
	unsigned i;

	if (cap < QIB_SIZE)
		return -ENOSPC;
	memset(buf, 0, QIB_SIZE);
	buf[QIB_OFF_QFMT] = in->qfmt;
	buf[QIB_OFF_PFMT] = in->pfmt;
	buf[QIB_OFF_RFLAGS] = in->rflags;
	buf[QIB_OFF_AC] = in->ac;
	be_put64(buf + QIB_OFF_ISLIBA, in->isliba);
	be_put64(buf + QIB_OFF_OSLIBA, in->osliba);
	memcpy(buf + QIB_OFF_EBCNAM, in->ebcnam, sizeof(in->ebcnam));
	if (in->has_pcit) {
		be_put32(p + QIB_PARM_OFF_PCIT, QIB_PARM_MARK_PCIT);
		be_put32(p + QIB_PARM_OFF_PCIT_A, in->pcit_a);
		be_put32(p + QIB_PARM_OFF_PCIT_B, in->pcit_b);
		be_put32(p + QIB_PARM_OFF_PCIT_TIMER, in->pcit_timer);
	}
	if (in->has_blkt) {
		be_put32(p + QIB_PARM_OFF_BLKT, QIB_PARM_MARK_BLKT);
		be_put32(p + QIB_PARM_OFF_BLKT_TOTAL, in->blkt_total);
		be_put32(p + QIB_PARM_OFF_BLKT_INTER, in->blkt_inter);
		be_put32(p + QIB_PARM_OFF_BLKT_JUMBO, in->blkt_jumbo);
	}
	if (in->has_pque) {
		be_put32(p + QIB_PARM_OFF_PQUE, QIB_PARM_MARK_PQUE);
		p[QIB_PARM_OFF_PQUE_ORDER] = in->pque_order;
		p[QIB_PARM_OFF_PQUE_UNITS] = in->pque_units;
		for (i = 0; i < 4; i++)
			be_put32(p + QIB_PARM_OFF_PQUE_PRIO + 4 * i, in->pque_prio[i]);
	}
	return QIB_SIZE;
}

/* ---- SLIB / SL ------------------------------------------------------------------ */

int slib_decode(const uint8_t *buf, size_t len, struct slib *out)
{
	/* Only the header is meaningful; accept a short buffer holding just that. */
	if (len < SLIB_OFF_RSVD)
		return -EMSGSIZE;
	out->next = be_get64(buf + SLIB_OFF_NEXT);
	out->sl = be_get64(buf + SLIB_OFF_SL);
	out->slsb = be_get64(buf + SLIB_OFF_SLSB);
	return 0;
}

int slib_encode(const struct slib *in, uint8_t *buf, size_t cap)
{
	if (cap < SLIB_SIZE)
		return -ENOSPC;
	memset(buf, 0, SLIB_SIZE);
	be_put64(buf + SLIB_OFF_NEXT, in->next);
	be_put64(buf + SLIB_OFF_SL, in->sl);
	be_put64(buf + SLIB_OFF_SLSB, in->slsb);
	return SLIB_SIZE;
}

int sl_decode(const uint8_t *buf, size_t len, uint64_t sbal[QDIO_BUFS])
{
	unsigned i;

	if (len < SL_SIZE)
		return -EMSGSIZE;
	for (i = 0; i < QDIO_BUFS; i++)
		sbal[i] = be_get64(buf + SL_OFF_SBAL(i));
	return 0;
}

int sl_encode(const uint64_t sbal[QDIO_BUFS], uint8_t *buf, size_t cap)
{
	unsigned i;

	if (cap < SL_SIZE)
		return -ENOSPC;
	for (i = 0; i < QDIO_BUFS; i++)
		be_put64(buf + SL_OFF_SBAL(i), sbal[i]);
	return SL_SIZE;
}

/* ---- SBAL / SBALE ----------------------------------------------------------------- */

int sbale_decode(const uint8_t *buf, size_t len, struct sbale *out)
{
	if (len < SBALE_SIZE)
		return -EMSGSIZE;
	out->eflags = buf[SBALE_OFF_EFLAGS];
	out->scount = buf[SBALE_OFF_SCOUNT];
	out->sflags = buf[SBALE_OFF_SFLAGS];
	out->len = be_get32(buf + SBALE_OFF_LEN);
	out->addr = be_get64(buf + SBALE_OFF_ADDR);
	return 0;
}

int sbale_encode(const struct sbale *in, uint8_t *buf, size_t cap)
{
	if (cap < SBALE_SIZE)
		return -ENOSPC;
	buf[SBALE_OFF_EFLAGS] = in->eflags;
	buf[SBALE_OFF_RSVD] = 0;
	buf[SBALE_OFF_SCOUNT] = in->scount;
	buf[SBALE_OFF_SFLAGS] = in->sflags;
	be_put32(buf + SBALE_OFF_LEN, in->len);
	be_put64(buf + SBALE_OFF_ADDR, in->addr);
	return SBALE_SIZE;
}

int sbal_decode(const uint8_t *buf, size_t len, struct sbal *out)
{
	unsigned i;

	if (len < SBAL_SIZE)
		return -EMSGSIZE;
	for (i = 0; i < QDIO_SBALES; i++)
		sbale_decode(buf + SBAL_OFF_ELEM(i), SBALE_SIZE, &out->e[i]);
	return 0;
}

int sbal_encode(const struct sbal *in, uint8_t *buf, size_t cap)
{
	unsigned i;

	if (cap < SBAL_SIZE)
		return -ENOSPC;
	for (i = 0; i < QDIO_SBALES; i++)
		sbale_encode(&in->e[i], buf + SBAL_OFF_ELEM(i), SBALE_SIZE);
	return SBAL_SIZE;
}

/* ---- from guest storage ---------------------------------------------------------- */

static int check_desc(struct gstor *gs, const struct qdesfmt0 *d)
{
	int rc;

	rc = gs_check_block(gs, d->slib, SLIB_SIZE, SLIB_ALIGN);
	if (rc == 0)
		rc = gs_check_block(gs, d->sl, SL_SIZE, SL_ALIGN);
	if (rc == 0)
		rc = gs_check_block(gs, d->slsb, SLSB_SIZE, SLSB_ALIGN);
	return rc;
}

int qdr_check(struct gstor *gs, const struct qdr *qdr)
{
	unsigned i;
	int rc;

	if (qdr->iqdcnt < 1 || qdr->iqdcnt > QDIO_QUEUES_MAX ||
	    qdr->oqdcnt < 1 || qdr->oqdcnt > QDIO_QUEUES_MAX)
		return -EBADMSG;
	rc = gs_check_block(gs, qdr->qiba, QIB_SIZE, QIB_ALIGN);
	if (rc < 0)
		return rc;
	for (i = 0; i < qdr->iqdcnt; i++) {
		rc = check_desc(gs, &qdr->in[i]);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < qdr->oqdcnt; i++) {
		rc = check_desc(gs, &qdr->out[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int qdr_fetch(struct gstor *gs, uint64_t addr, struct qdr *out)
{
	uint8_t raw[QDR_SIZE];
	int rc;

	rc = gs_check_block(gs, addr, QDR_SIZE, QDR_ALIGN);
	if (rc < 0)
		return rc;
	rc = gs_fetch(gs, addr, raw, sizeof(raw));
	if (rc < 0)
		return rc;
	rc = qdr_decode(raw, sizeof(raw), out);
	if (rc < 0)
		return rc;
	return qdr_check(gs, out);
}

int qib_fetch(struct gstor *gs, uint64_t addr, struct qib *out)
{
	uint8_t raw[QIB_SIZE];
	int rc;

	rc = gs_check_block(gs, addr, QIB_SIZE, QIB_ALIGN);
	if (rc < 0)
		return rc;
	rc = gs_fetch(gs, addr, raw, sizeof(raw));
	if (rc < 0)
		return rc;
	return qib_decode(raw, sizeof(raw), out);
}
