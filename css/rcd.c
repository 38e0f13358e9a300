/* css/rcd.c - Read Configuration Data codec (see css/rcd.h).
 * Builds the record cpnet's virtual NICs return and decodes one as qeth reads it. */
#include "css/rcd.h"

#include <stdio.h>
#include <string.h>

#include "css/ebcdic.h"
#include "lib/be.h"

/* Node-descriptor flags and parameters as a real QDIO data device shows them
 * (trace: C0 010600): valid descriptor, node type "device". */
#define RCD_ND_FLAGS_VALID	0xC0
#define RCD_ND1_PARAMS		0x010600
#define RCD_ND2_PARAMS		0x020000	/* control unit */
#define RCD_ND3_PARAMS		0x030000

int rcd_nd_decode(const uint8_t *buf, size_t len, struct rcd_nd *out)
{
	if (len < RCD_ND_SIZE)
		return -EMSGSIZE;
	out->flags = be_get8(buf + RCD_ND_OFF_FLAGS);
	out->params = be_get24(buf + RCD_ND_OFF_PARAMS);
	ebcdic_get(out->type, buf + RCD_ND_OFF_TYPE, RCD_ND_TYPE_LEN);
	ebcdic_get(out->model, buf + RCD_ND_OFF_MODEL, RCD_ND_MODEL_LEN);
	ebcdic_get(out->mfr, buf + RCD_ND_OFF_MFR, RCD_ND_MFR_LEN);
	ebcdic_get(out->plant, buf + RCD_ND_OFF_PLANT, RCD_ND_PLANT_LEN);
	ebcdic_get(out->seq, buf + RCD_ND_OFF_SEQ, RCD_ND_SEQ_LEN);
	out->tag = be_get16(buf + RCD_ND_OFF_TAG);
	return 0;
}

int rcd_nd_encode(const struct rcd_nd *in, uint8_t *buf, size_t cap)
{
	if (cap < RCD_ND_SIZE)
		return -ENOSPC;
	if (in->params > 0xFFFFFF)
		return -EINVAL;
	be_put8(buf + RCD_ND_OFF_FLAGS, in->flags);
	be_put24(buf + RCD_ND_OFF_PARAMS, in->params);
	ebcdic_put(buf + RCD_ND_OFF_TYPE, RCD_ND_TYPE_LEN, in->type);
	ebcdic_put(buf + RCD_ND_OFF_MODEL, RCD_ND_MODEL_LEN, in->model);
	ebcdic_put(buf + RCD_ND_OFF_MFR, RCD_ND_MFR_LEN, in->mfr);
	ebcdic_put(buf + RCD_ND_OFF_PLANT, RCD_ND_PLANT_LEN, in->plant);
	ebcdic_put(buf + RCD_ND_OFF_SEQ, RCD_ND_SEQ_LEN, in->seq);
	be_put16(buf + RCD_ND_OFF_TAG, in->tag);
	return RCD_ND_SIZE;
}

void rcd_nic_default(struct rcd_nic *nic, bool iqd, uint8_t chpid, uint16_t devno)
{
	memset(nic, 0, sizeof(*nic));
	nic->dev_type = 0x1732;
	nic->cu_type = 0x1731;
	nic->dev_model = nic->cu_model = iqd ? 0x05 : 0x01;
	nic->vm_nic = true;
	nic->chpid = chpid;
	nic->unit_addr = (uint8_t)devno;
	nic->cula = 0;
	nic->devno = devno;
	nic->nd3_model = 0x006;
}

static void fill_nd(struct rcd_nd *nd, uint32_t params, uint16_t type, unsigned model,
		    bool vm, uint16_t devno, uint16_t tag)
{
	memset(nd, 0, sizeof(*nd));
	nd->flags = RCD_ND_FLAGS_VALID;
	nd->params = params;
	snprintf(nd->type, sizeof(nd->type), "%06X", (unsigned)type);
	snprintf(nd->model, sizeof(nd->model), "%03X", model & 0xFFF);
	memcpy(nd->mfr, "IBM", 4);
	memcpy(nd->plant, vm ? "VM" : "02", 3);
	snprintf(nd->seq, sizeof(nd->seq), "00000000%04X", (unsigned)devno);
	nd->tag = tag;
}

int rcd_encode_nic(const struct rcd_nic *in, uint8_t *buf, size_t cap)
{
	struct rcd_nd nd;

	if (cap < RCD_SIZE)
		return -ENOSPC;
	if (in->nd3_model > 0xFFF)
		return -EINVAL;
	fill_nd(&nd, RCD_ND1_PARAMS, in->dev_type, in->dev_model, in->vm_nic, in->devno,
		(uint16_t)(in->chpid << 8 | in->unit_addr));
	rcd_nd_encode(&nd, buf + RCD_OFF_ND1, RCD_ND_SIZE);
	fill_nd(&nd, RCD_ND2_PARAMS, in->cu_type, in->cu_model, in->vm_nic, in->devno,
		in->cula);
	rcd_nd_encode(&nd, buf + RCD_OFF_ND2, RCD_ND_SIZE);
	fill_nd(&nd, RCD_ND3_PARAMS, in->dev_type, in->nd3_model, in->vm_nic, in->devno, 0);
	rcd_nd_encode(&nd, buf + RCD_OFF_ND3, RCD_ND_SIZE);
	memset(buf + RCD_OFF_ND4, 0, RCD_ND_SIZE);
	return RCD_SIZE;
}

int rcd_decode(const uint8_t *buf, size_t len, struct rcd_view *out)
{
	static const uint8_t vm[2] = { 0xE5, 0xD4 };	/* EBCDIC "VM" */
	const uint8_t *m3 = buf + RCD_OFF_ND3 + RCD_ND_OFF_MODEL;

	if (len < RCD_MIN_LEN)
		return -EMSGSIZE;
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < 3; i++)
		rcd_nd_decode(buf + i * RCD_ND_SIZE, RCD_ND_SIZE, &out->nd[i]);
	/* qeth compares raw bytes, so do we (no '?' folding). */
	out->is_vm_nic = memcmp(buf + RCD_OFF_ND1 + RCD_ND_OFF_PLANT, vm, 2) == 0;
	out->chpid = be_get8(buf + RCD_OFF_ND1 + RCD_ND_OFF_TAG);
	out->unit_addr2 = be_get8(buf + RCD_OFF_ND1 + RCD_ND_OFF_TAG + 1);
	out->cula = be_get8(buf + RCD_OFF_ND2 + RCD_ND_OFF_TAG + 1);
	out->v1_model = m3[0] == 0xF0 && m3[1] == 0xF0 && m3[2] >= 0xF1 && m3[2] <= 0xF4;
	return 0;
}
