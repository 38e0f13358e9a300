/* css/rcd.h - Read Configuration Data: the node descriptors a QDIO data device returns.
 * The adapter side builds the z/VM-NIC record; the driver side extracts what qeth uses. */
#ifndef CPNET_CSS_RCD_H
#define CPNET_CSS_RCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cpnet.h"

/* One node descriptor (32 bytes); text fields are EBCDIC. */
#define RCD_ND_OFF_FLAGS	0x00	/* validity in the top 3 bits */
#define RCD_ND_OFF_PARAMS	0x01	/* 3 bytes */
#define RCD_ND_OFF_TYPE		0x04	/* 6 chars */
#define RCD_ND_OFF_MODEL	0x0A	/* 3 chars */
#define RCD_ND_OFF_MFR		0x0D	/* 3 chars */
#define RCD_ND_OFF_PLANT	0x10	/* 2 chars */
#define RCD_ND_OFF_SEQ		0x12	/* 12 chars */
#define RCD_ND_OFF_TAG		0x1E	/* 2 bytes */
#define RCD_ND_SIZE		0x20
CPNET_LAYOUT(RCD_ND, RCD_ND_OFF_TAG + 2);

#define RCD_ND_TYPE_LEN		6
#define RCD_ND_MODEL_LEN	3
#define RCD_ND_MFR_LEN		3
#define RCD_ND_PLANT_LEN	2
#define RCD_ND_SEQ_LEN		12

/* The record: ND1 (device), ND2 (control unit), ND3, then 32 bytes cpnet leaves zero. */
#define RCD_OFF_ND1	0x00
#define RCD_OFF_ND2	0x20
#define RCD_OFF_ND3	0x40
#define RCD_OFF_ND4	0x60
#define RCD_SIZE	0x80	/* the RCD CIW count cpnet advertises */
#define RCD_MIN_LEN	0x60	/* qeth needs the three node descriptors */
CPNET_LAYOUT(RCD, RCD_OFF_ND4 + RCD_ND_SIZE);

struct rcd_nd {
	uint8_t flags;
	uint32_t params;	/* 24 bits */
	char type[RCD_ND_TYPE_LEN + 1];	/* ASCII, NUL-terminated */
	char model[RCD_ND_MODEL_LEN + 1];
	char mfr[RCD_ND_MFR_LEN + 1];
	char plant[RCD_ND_PLANT_LEN + 1];
	char seq[RCD_ND_SEQ_LEN + 1];
	uint16_t tag;
};

/* -EMSGSIZE if len < 32.  Characters without an ASCII equivalent read as '?'. */
int rcd_nd_decode(const uint8_t *buf, size_t len, struct rcd_nd *out);
/* Returns 32; -ENOSPC; -EINVAL if params > 24 bits.  Short strings are blank-padded. */
int rcd_nd_encode(const struct rcd_nd *in, uint8_t *buf, size_t cap);

/* What a virtual NIC's data device reports. */
struct rcd_nic {
	uint16_t dev_type;	/* 0x1732 */
	uint8_t dev_model;	/* 0x01 OSD, 0x05 IQD */
	uint16_t cu_type;	/* 0x1731 */
	uint8_t cu_model;
	bool vm_nic;		/* plant "VM": Linux treats the NIC as a z/VM NIC */
	uint8_t chpid;		/* ND1 tag byte 0 */
	uint8_t unit_addr;	/* ND1 tag byte 1 */
	uint8_t cula;		/* ND2 tag byte 1 */
	uint16_t devno;		/* appears in the sequence numbers */
	uint16_t nd3_model;	/* printed as 3 hex digits; 0x001..0x004 would select qeth's
				 * old "v1" blocking timers, so the default avoids them */
};

/* The values cpnet presents for a z/VM-style NIC (OSD unless iqd). */
void rcd_nic_default(struct rcd_nic *nic, bool iqd, uint8_t chpid, uint16_t devno);
/* Builds the 128-byte record; -ENOSPC if cap < 128; -EINVAL if nd3_model > 0xFFF. */
int rcd_encode_nic(const struct rcd_nic *in, uint8_t *buf, size_t cap);

/* What qeth extracts from the record. */
struct rcd_view {
	bool is_vm_nic;		/* ND1 plant = EBCDIC "VM" */
	uint8_t chpid;		/* ND1 tag byte 0 */
	uint8_t unit_addr2;	/* ND1 tag byte 1 */
	uint8_t cula;		/* ND2 tag byte 1 */
	bool v1_model;		/* ND3 model EBCDIC "001".."004" */
	struct rcd_nd nd[3];
};

/* -EMSGSIZE if len < 96 (qeth needs all three node descriptors). */
int rcd_decode(const uint8_t *buf, size_t len, struct rcd_view *out);

#endif
