/* css/chsc.h - CHSC request/response blocks: SCPD (0x0002) and SSQD (0x0024).
 * The Hercules module and the in-process CSS answer a guest's CHSC through chsc_handle. */
#ifndef CPNET_CSS_CHSC_H
#define CPNET_CSS_CHSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cpnet.h"

/*
 * A CHSC block is one 4 KiB page: request header (u16 length, u16 code), the
 * request, then at offset `request length` the response header (u16 length, u16
 * response code, u32 info) followed by the response data.
 */
#define CHSC_BLOCK_SIZE		4096
#define CHSC_HDR_OFF_LEN	0
#define CHSC_HDR_OFF_CODE	2
#define CHSC_HDR_SIZE		4
CPNET_LAYOUT(CHSC_HDR, CHSC_HDR_OFF_CODE + 2);
#define CHSC_RSP_OFF_LEN	0
#define CHSC_RSP_OFF_CODE	2
#define CHSC_RSP_OFF_INFO	4
#define CHSC_RSP_SIZE		8
CPNET_LAYOUT(CHSC_RSP, CHSC_RSP_OFF_INFO + 4);
/* Request lengths the block itself allows (else: program check, no response). */
#define CHSC_REQ_MIN_LEN	0x0010
#define CHSC_REQ_MAX_LEN	(CHSC_BLOCK_SIZE - CHSC_RSP_SIZE)

/* Command codes. */
#define CHSC_CODE_SCPD		0x0002	/* store channel-path description */
#define CHSC_CODE_SSQD		0x0024	/* store subchannel QDIO data */

/* Response codes (Linux: 2/3 -> -EINVAL, 4 -> -EOPNOTSUPP). */
#define CHSC_RC_OK		0x0001
#define CHSC_RC_INVALID		0x0002	/* invalid request */
#define CHSC_RC_REQ_ERROR	0x0003	/* error in the request block (length, fields) */
#define CHSC_RC_NOT_SUPPORTED	0x0004	/* command not installed */

/* ---- SCPD request (16 bytes) ---------------------------------------------------- */
#define SCPD_REQ_OFF_FLAGS	0x04	/* 00 m c fmt:4 */
#define SCPD_REQ_OFF_CSSID	0x05
#define SCPD_REQ_OFF_RFMT	0x06	/* 0000 rfmt:4 */
#define SCPD_REQ_OFF_FIRST	0x07
#define SCPD_REQ_OFF_RSVD1	0x08	/* 3 bytes zero */
#define SCPD_REQ_OFF_LAST	0x0B
#define SCPD_REQ_OFF_RSVD2	0x0C	/* 4 bytes zero */
#define SCPD_REQ_SIZE		0x10
CPNET_LAYOUT(SCPD_REQ, SCPD_REQ_OFF_RSVD2 + 4);
#define SCPD_M			0x20
#define SCPD_C			0x10

struct chsc_scpd_req {
	bool m, c;
	uint8_t fmt, cssid, rfmt, first, last;
};

/* Format-0 channel-path description (8 bytes). */
#define CHPD0_OFF_FLAGS	0
#define CHPD0_OFF_LSN	1
#define CHPD0_OFF_DESC	2
#define CHPD0_OFF_CHPID	3
#define CHPD0_OFF_SWLA	4
#define CHPD0_OFF_ZERO	5
#define CHPD0_OFF_CHLA	6
#define CHPD0_OFF_CHPP	7
#define CHPD0_SIZE	8
CPNET_LAYOUT(CHPD0, CHPD0_OFF_CHPP + 1);
#define CHPD0_VALID	0x80
#define CHPD0_CHPP_ONE_OUTQ 0x02	/* qeth: one output queue instead of four */
#define CHP_TYPE_OSD	0x11
#define CHP_TYPE_IQD	0x24

struct chsc_chpd0 {
	uint8_t flags, lsn, desc, chpid, swla, chla, chpp;
};

/* ---- SSQD request (16 bytes) ---------------------------------------------------- */
#define SSQD_REQ_OFF_RSVD0	0x04	/* byte zero */
#define SSQD_REQ_OFF_SSID_FMT	0x05	/* 00 ssid:2 fmt:4 */
#define SSQD_REQ_OFF_FIRST	0x06
#define SSQD_REQ_OFF_RSVD1	0x08
#define SSQD_REQ_OFF_LAST	0x0A
#define SSQD_REQ_OFF_RSVD2	0x0C
#define SSQD_REQ_SIZE		0x10
CPNET_LAYOUT(SSQD_REQ, SSQD_REQ_OFF_RSVD2 + 4);

struct chsc_ssqd_req {
	uint8_t ssid, fmt;
	uint16_t first, last;
};

/* SSQD descriptor (32 bytes) per subchannel. */
#define SSQD_OFF_FLAGS		0x00
#define SSQD_OFF_SCH		0x02
#define SSQD_OFF_QFMT		0x04
#define SSQD_OFF_PARM		0x05
#define SSQD_OFF_QDIOAC1	0x06
#define SSQD_OFF_SCH_CLASS	0x07
#define SSQD_OFF_PCNT		0x08
#define SSQD_OFF_ICNT		0x09
#define SSQD_OFF_OCNT		0x0B
#define SSQD_OFF_MBCCNT		0x0D
#define SSQD_OFF_QDIOAC2	0x0E
#define SSQD_OFF_SCH_TOKEN	0x10
#define SSQD_OFF_MRO		0x18
#define SSQD_OFF_MRI		0x19
#define SSQD_OFF_QDIOAC3	0x1A
#define SSQD_OFF_MMWC		0x1F
#define SSQD_DESC_SIZE		0x20
CPNET_LAYOUT(SSQD_DESC, SSQD_OFF_MMWC + 1);
#define SSQD_FLAG_QDIO		0x80	/* subchannel is QDIO capable */
#define SSQD_FLAG_VALID		0x40
#define SSQD_AC1_SIGA_INPUT	0x40
#define SSQD_AC1_SIGA_OUTPUT	0x20
#define SSQD_AC1_SIGA_SYNC	0x10
#define SSQD_AC1_AUTO_SYNC_THININT 0x08
#define SSQD_AC1_AUTO_SYNC_OUT_PCI 0x04

struct chsc_ssqd_desc {
	uint8_t flags;
	uint16_t sch;
	uint8_t qfmt, parm, qdioac1, sch_class, pcnt, icnt, ocnt, mbccnt;
	uint16_t qdioac2;
	uint64_t sch_token;
	uint8_t mro, mri;
	uint16_t qdioac3;
	uint8_t mmwc;
};

struct chsc_rsp {
	uint16_t len;
	uint16_t code;
	uint32_t info;
};

/* Header of any CHSC block: -EMSGSIZE if len < 4. */
int chsc_hdr_decode(const uint8_t *buf, size_t len, uint16_t *req_len, uint16_t *code);
/* Requests.  Decoders: -EMSGSIZE short buffer or length field != 16; -EPROTO wrong
 * code; -EBADMSG reserved bits set or first > last.  Encoders return 16. */
int chsc_scpd_req_decode(const uint8_t *buf, size_t len, struct chsc_scpd_req *out);
int chsc_scpd_req_encode(const struct chsc_scpd_req *in, uint8_t *buf, size_t cap);
int chsc_ssqd_req_decode(const uint8_t *buf, size_t len, struct chsc_ssqd_req *out);
int chsc_ssqd_req_encode(const struct chsc_ssqd_req *in, uint8_t *buf, size_t cap);
/* Response header and descriptors. */
int chsc_rsp_decode(const uint8_t *buf, size_t len, struct chsc_rsp *out);
int chsc_rsp_encode(const struct chsc_rsp *in, uint8_t *buf, size_t cap);
int chsc_chpd0_decode(const uint8_t *buf, size_t len, struct chsc_chpd0 *out);
int chsc_chpd0_encode(const struct chsc_chpd0 *in, uint8_t *buf, size_t cap);
int chsc_ssqd_desc_decode(const uint8_t *buf, size_t len, struct chsc_ssqd_desc *out);
int chsc_ssqd_desc_encode(const struct chsc_ssqd_desc *in, uint8_t *buf, size_t cap);

/*
 * What the channel subsystem knows, asked by chsc_handle.  Each lookup returns 0 and
 * fills *out, or a negative errno when the object does not exist (the descriptor is
 * then stored all zero: "not valid").  A NULL lookup means nothing exists.
 */
struct chsc_ops {
	int (*chp)(void *ctx, uint8_t cssid, uint8_t chpid, struct chsc_chpd0 *out);
	int (*ssqd)(void *ctx, uint8_t ssid, uint16_t sch, struct chsc_ssqd_desc *out);
	void *ctx;
};

/*
 * Answer the CHSC request in `block` (CHSC_BLOCK_SIZE bytes, already copied out of
 * guest storage) in place.  Returns 0 with *rc set to the response code stored
 * (CHSC_RC_OK or an error code), or -EMSGSIZE when the block is too small or its
 * request length is < 16, > 4088 or not a multiple of 8: no response can be stored
 * and the caller presents a program check.
 * Request errors (wrong length for the command, first > last, reserved bits, a
 * format cpnet does not provide, a response that would not fit in the block) get
 * CHSC_RC_REQ_ERROR; unknown codes CHSC_RC_NOT_SUPPORTED.
 */
int chsc_handle(uint8_t *block, size_t len, const struct chsc_ops *ops, uint16_t *rc);

#endif
