/* css/senseid.c - SENSE ID codec and the NIC identities cpnet presents (css/senseid.h).
 * Decoding mirrors what Linux's common I/O layer accepts, so tests can act as the guest. */
#include "css/senseid.h"

#include <string.h>

#include "lib/be.h"

int senseid_decode(const uint8_t *buf, size_t len, struct senseid *out)
{
	uint8_t b[SENSEID_SIZE] = { 0 };	/* the guest's zero-filled buffer */

	if (len < 4)
		return -EMSGSIZE;
	if (len > SENSEID_SIZE)
		len = SENSEID_SIZE;
	memcpy(b, buf, len);
	if (be_get8(b + SENSEID_OFF_FF) != 0xFF)
		return -EBADMSG;
	if (be_get16(b + SENSEID_OFF_CU_TYPE) == 0xFFFF)
		return -EAGAIN;

	memset(out, 0, sizeof(*out));
	out->cu_type = be_get16(b + SENSEID_OFF_CU_TYPE);
	out->cu_model = be_get8(b + SENSEID_OFF_CU_MODEL);
	out->dev_type = be_get16(b + SENSEID_OFF_DEV_TYPE);
	out->dev_model = be_get8(b + SENSEID_OFF_DEV_MODEL);
	out->extended = len > 7;
	if (!out->extended)
		return 0;
	for (unsigned i = 0; i < SENSEID_MAX_CIW; i++) {
		const uint8_t *c = b + SENSEID_OFF_CIW + i * CIW_SIZE;
		uint8_t t = be_get8(c + CIW_OFF_TYPE);

		if ((t & CIW_ENTRY_MASK) != CIW_ENTRY_CIW)
			break;
		out->ciw[i].type = t & CIW_CT_MASK;
		out->ciw[i].cmd = be_get8(c + CIW_OFF_CMD);
		out->ciw[i].count = be_get16(c + CIW_OFF_COUNT);
		out->nciw++;
	}
	return 0;
}

int senseid_encode(const struct senseid *in, uint8_t *buf, size_t cap)
{
	size_t n;

	if (in->nciw > SENSEID_MAX_CIW)
		return -EINVAL;
	for (unsigned i = 0; i < in->nciw; i++)
		if (in->ciw[i].type > CIW_CT_MASK)
			return -EINVAL;
	n = SENSEID_BASIC_SIZE + (size_t)in->nciw * CIW_SIZE;
	if (cap < n)
		return -ENOSPC;
	be_put8(buf + SENSEID_OFF_FF, 0xFF);
	be_put16(buf + SENSEID_OFF_CU_TYPE, in->cu_type);
	be_put8(buf + SENSEID_OFF_CU_MODEL, in->cu_model);
	be_put16(buf + SENSEID_OFF_DEV_TYPE, in->dev_type);
	be_put8(buf + SENSEID_OFF_DEV_MODEL, in->dev_model);
	be_put8(buf + SENSEID_OFF_RESERVED, 0);
	for (unsigned i = 0; i < in->nciw; i++) {
		uint8_t *c = buf + SENSEID_OFF_CIW + i * CIW_SIZE;

		be_put8(c + CIW_OFF_TYPE, (uint8_t)(CIW_ENTRY_CIW | in->ciw[i].type));
		be_put8(c + CIW_OFF_CMD, in->ciw[i].cmd);
		be_put16(c + CIW_OFF_COUNT, in->ciw[i].count);
	}
	return (int)n;
}

static void qdio_identity(struct senseid *out, uint8_t model)
{
	memset(out, 0, sizeof(*out));
	out->cu_type = 0x1731;
	out->cu_model = model;
	out->dev_type = 0x1732;
	out->dev_model = model;
	out->extended = true;
	out->nciw = 3;
	out->ciw[0] = (struct senseid_ciw){ CIW_RCD, SENSEID_CMD_RCD, 0x0080 };
	out->ciw[1] = (struct senseid_ciw){ CIW_EQUEUE, SENSEID_CMD_EQUEUE, 0x1000 };
	out->ciw[2] = (struct senseid_ciw){ CIW_AQUEUE, SENSEID_CMD_AQUEUE, 0x0000 };
}

void senseid_osd(struct senseid *out) { qdio_identity(out, 0x01); }
void senseid_iqd(struct senseid *out) { qdio_identity(out, 0x05); }

const struct senseid_ciw *senseid_find_ciw(const struct senseid *id, uint8_t ct)
{
	for (unsigned i = 0; i < id->nciw && i < SENSEID_MAX_CIW; i++)
		if (id->ciw[i].type == ct)
			return &id->ciw[i];
	return NULL;
}
