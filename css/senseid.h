/* css/senseid.h - the SENSE ID (0xE4) reply: control-unit and device identity plus CIWs.
 * The adapter side presents it for each NIC device; the driver side decodes it. */
#ifndef CPNET_CSS_SENSEID_H
#define CPNET_CSS_SENSEID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cpnet.h"

#define SENSEID_OFF_FF		0x00	/* always 0xFF */
#define SENSEID_OFF_CU_TYPE	0x01
#define SENSEID_OFF_CU_MODEL	0x03
#define SENSEID_OFF_DEV_TYPE	0x04
#define SENSEID_OFF_DEV_MODEL	0x06
#define SENSEID_OFF_RESERVED	0x07
#define SENSEID_OFF_CIW		0x08
#define SENSEID_MAX_CIW		8
#define SENSEID_BASIC_SIZE	8	/* without CIWs */
#define SENSEID_SIZE		0x28	/* what Linux asks for: 8 + 8 CIWs */

#define CIW_OFF_TYPE	0	/* 0x40 | ct: entry type 01, 2 reserved bits, 4-bit ct */
#define CIW_OFF_CMD	1
#define CIW_OFF_COUNT	2
#define CIW_SIZE	4
CPNET_LAYOUT(CIW, CIW_OFF_COUNT + 2);
CPNET_LAYOUT(SENSEID, SENSEID_OFF_CIW + SENSEID_MAX_CIW * CIW_SIZE);

#define CIW_ENTRY_MASK	0xC0
#define CIW_ENTRY_CIW	0x40
#define CIW_CT_MASK	0x0F
/* CIW command types. */
#define CIW_RCD		0	/* read configuration data */
#define CIW_SII		1	/* set interface identifier */
#define CIW_RNI		2	/* read node identifier */
#define CIW_EQUEUE	3	/* establish QDIO queues */
#define CIW_AQUEUE	4	/* activate QDIO queues */

/* Command codes cpnet advertises (any values work for Linux; these move data in the
 * direction Hercules derives from the code's low bits: 0xFA read, 0x1B/0x1F to device). */
#define SENSEID_CMD_RCD		0xFA
#define SENSEID_CMD_EQUEUE	0x1B
#define SENSEID_CMD_AQUEUE	0x1F

struct senseid_ciw {
	uint8_t type;	/* ct, 0..15 */
	uint8_t cmd;
	uint16_t count;
};

struct senseid {
	uint16_t cu_type;
	uint8_t cu_model;
	uint16_t dev_type;
	uint8_t dev_model;
	bool extended;	/* more than 7 bytes arrived: CIWs are meaningful */
	uint8_t nciw;
	struct senseid_ciw ciw[SENSEID_MAX_CIW];
};

/*
 * Decode `len` bytes a device stored for SENSE ID, with the common I/O layer's rules:
 * the buffer was zero-filled, so fields past `len` read as 0 (len > 40 looks at 40).
 *   -EMSGSIZE  len < 4 (the driver retries)
 *   -EBADMSG   byte 0 is not 0xFF (the driver rejects the device)
 *   -EAGAIN    CU type 0xFFFF: nothing was stored yet (the driver retries)
 * CIWs are read from offset 8 only when len > 7; the list ends at the first slot whose
 * entry type is not 01 (a zeroed slot).
 */
int senseid_decode(const uint8_t *buf, size_t len, struct senseid *out);
/* Writes 8 + 4 * nciw bytes; -ENOSPC, -EINVAL for nciw > 8 or a ct > 15. */
int senseid_encode(const struct senseid *in, uint8_t *buf, size_t cap);

/* The identities cpnet presents: OSD 1731/01 1732/01, IQD 1731/05 1732/05, both with
 * the CIWs RCD FA/0080, EQUEUE 1B/1000, AQUEUE 1F/0000. */
void senseid_osd(struct senseid *out);
void senseid_iqd(struct senseid *out);
/* The first CIW of command type ct, or NULL. */
const struct senseid_ciw *senseid_find_ciw(const struct senseid *id, uint8_t ct);

#endif
