/* qeth/idx.h - IDX ACTIVATE / IDX TERMINATE, the first exchange on a qeth read or write device.
 * Adapter side: decode the driver's request, encode the reply; driver side: the reverse. */
#ifndef CPNET_QETH_IDX_H
#define CPNET_QETH_IDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cpnet.h"

/* IDX ACTIVATE request, 0x22 bytes, same shape on the read and the write device.
 * The reply is the request patched in place, so the same offsets describe both. */
#define IDX_OFF_ZERO 0x00       /* 2: 00 00 */
#define IDX_OFF_CMD 0x02        /* 2: 0x8000 device-directed; TERMINATE if (byte & 0xC0) == 0xC0 */
#define IDX_OFF_SEQ 0x04        /* 4: transport seq; in a TERMINATE byte 04 is the cause */
#define IDX_OFF_TYPE 0x08       /* 2: request 0x1901 read / 0x1501 write */
#define IDX_OFF_REPLY 0x08      /* 1: reply: low two bits 2 = positive */
#define IDX_OFF_CAUSE 0x09      /* 1: reply: cause of a negative reply */
#define IDX_OFF_PATHS 0x0A      /* 1: number of data paths */
#define IDX_OFF_PORT 0x0B       /* 1: 0x80 | 0x40 | portno */
#define IDX_OFF_TOKEN 0x0C      /* 4: issuer RM token (host's, then adapter's in the reply) */
#define IDX_OFF_FUNC_LEVEL 0x10 /* 2 */
#define IDX_OFF_MCL 0x12        /* 4: reply: microcode level; request: zero */
#define IDX_OFF_NAME 0x16       /* 8: EBCDIC "HALLOLE " */
#define IDX_OFF_DATADEV 0x1E    /* 2: data device number */
#define IDX_OFF_REALADDR 0x20   /* 2: (cula << 8) | unit address of the data device */
#define IDX_REQ_SIZE 0x22
CPNET_LAYOUT(IDX_REQ, IDX_OFF_REALADDR + 2);

/* qeth accepts any reply that reaches the end of the microcode level. */
#define IDX_REPLY_MIN (IDX_OFF_MCL + 4)
#define IDX_NAME_LEN 8

#define IDX_CMD_DEVICE 0x8000
#define IDX_CMD_TERM_MASK 0xC0 /* on byte 02 */
#define IDX_TYPE_READ 0x1901
#define IDX_TYPE_WRITE 0x1501
#define IDX_REPLY_POSITIVE 0x02 /* (byte 08 & 0x03) */
#define IDX_PORT_FLAGS 0xC0
#define IDX_PORT_NO_MASK 0x3F
#define IDX_HOST_TOKEN 0x00010103u /* Linux's issuer RM token */
#define IDX_FL_OSD 0x0101
#define IDX_FL_IQD 0x4108

/* Causes in byte 09 of a negative reply. */
#define IDX_CAUSE_BUSY 0x19     /* used exclusively by another host */
#define IDX_CAUSE_NOAUTH 0x1E   /* not authorized */
#define IDX_CAUSE_NOAUTH2 0x20
/* Causes in byte 04 of a TERMINATE that mean "bad transport mode". */
#define IDX_TERM_BAD_MODE 0x41
#define IDX_TERM_BAD_MODE2 0xF6

extern const uint8_t idx_name_hallole[IDX_NAME_LEN];

struct idx_req {
	uint32_t seq;
	uint16_t type;       /* IDX_TYPE_READ / IDX_TYPE_WRITE */
	uint8_t paths;
	uint8_t port_flags;  /* high two bits of byte 0B */
	uint8_t portno;      /* low six bits */
	uint32_t token;
	uint16_t func_level;
	uint8_t name[IDX_NAME_LEN];
	uint16_t datadev;
	uint16_t realaddr;
};

/* Adapter side: 0, -EMSGSIZE (short), -EPROTO (not device-directed or unknown type). */
int idx_req_decode(const uint8_t *buf, size_t len, struct idx_req *out);
/* Driver side: writes IDX_REQ_SIZE bytes exactly as Linux qeth does. -ENOSPC, -EINVAL. */
int idx_req_encode(const struct idx_req *in, uint8_t *buf, size_t cap);
/* The request Linux builds for the read (read_dev) or write device. */
void idx_req_linux(struct idx_req *r, bool read_dev, uint8_t portno, uint16_t func_level,
		   uint16_t datadev, uint16_t realaddr);

/* The function level the adapter must answer for a requested level (0x0101 -> 0x0201,
 * 0x4108 -> 0x0408); levels outside both rules are answered unchanged. */
uint16_t idx_peer_level(uint16_t level);

enum idx_verdict { IDX_POSITIVE, IDX_NEGATIVE, IDX_TERMINATE };

/* What the adapter answers. */
struct idx_reply_params {
	enum idx_verdict verdict;
	uint8_t cause;   /* NEGATIVE: byte 09; TERMINATE: byte 04 */
	uint32_t token;  /* POSITIVE: adapter issuer RM token */
	uint8_t mcl[4];  /* POSITIVE: microcode level */
};

/* Adapter side: the reply to req (IDX_REQ_SIZE bytes). -ENOSPC, -EINVAL. */
int idx_reply_encode(const struct idx_req *req, const struct idx_reply_params *p,
		     uint8_t *buf, size_t cap);

/* Adapter side: an unsolicited TERMINATE (IDX_REQ_SIZE bytes, cause in byte 04), which
 * the driver checks for on every message it reads. -ENOSPC. */
int idx_terminate_encode(uint8_t cause, uint8_t *buf, size_t cap);

/* A reply as the driver sees it. */
struct idx_reply {
	enum idx_verdict verdict;
	uint8_t cause;
	uint8_t port_flags;
	uint8_t portno;
	uint32_t token;
	uint16_t func_level;
	uint8_t mcl[4];
};

/* Driver side: field decode of any reply (>= IDX_REPLY_MIN bytes, else -EMSGSIZE).
 * A TERMINATE only needs byte 04 (>= 5 bytes). */
int idx_reply_decode(const uint8_t *buf, size_t len, struct idx_reply *out);
/* Driver side: qeth's acceptance checks on a decoded reply, in qeth's order:
 *   TERMINATE: -EPROTONOSUPPORT (bad transport mode) or -ECONNRESET
 *   NEGATIVE:  -EBUSY (0x19), -EPERM (0x1E/0x20), -ECONNREFUSED (other cause)
 *   function level mismatch: -EPROTO
 * sent_level is the level the driver put in its request. */
int idx_reply_check(const struct idx_reply *r, bool read_dev, uint16_t sent_level);
/* Decode + check in one call. */
int idx_reply_accept(const uint8_t *buf, size_t len, bool read_dev, uint16_t sent_level,
		     struct idx_reply *out);

/* Every message read on a control device is first checked for TERMINATE. */
bool idx_is_terminate(const uint8_t *buf, size_t len);
int idx_terminate_errno(uint8_t cause);

#endif
