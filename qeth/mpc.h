/* qeth/mpc.h - MPC control messages: TH/RRH/PH framing, PUK/PUS items, and the CM/ULP/DM
 * setup commands and replies (reference §2.3-§2.6); IPA (qeth/ipa.c) reuses the framing. */
#ifndef CPNET_QETH_MPC_H
#define CPNET_QETH_MPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cpnet.h"

/* ---- Transport header (TH), at the start of every message ---------------------- */
#define MPC_TH_OFF_FIRST 0x00  /* 4: 00 E0 00 00 */
#define MPC_TH_OFF_SEQ 0x04    /* 4: transport sequence number */
#define MPC_TH_OFF_RRH 0x08    /* 4: offset of the first RRH from the TH */
#define MPC_TH_OFF_LEN 0x0C    /* 4: total length of the message */
#define MPC_TH_OFF_UNK 0x10    /* 2: 0x1000 from the host */
#define MPC_TH_OFF_NRRH 0x12   /* 2: number of RRHs (1) */
#define MPC_TH_SIZE 0x14
CPNET_LAYOUT(MPC_TH, MPC_TH_OFF_NRRH + 2);

/* ---- Request/response header (RRH), offsets relative to the RRH ------------------ */
#define MPC_RRH_OFF_NEXT 0x00   /* 4: offset to the next RRH (0) */
#define MPC_RRH_OFF_TYPE 0x04   /* 1: MPC_RRH_CM / _ULP / _IPA */
#define MPC_RRH_OFF_PROTO 0x05  /* 1: 0x7E setup; IPA 0x08 L2 / 0x03 L3 */
#define MPC_RRH_OFF_NPH 0x06    /* 2: number of PHs (1) */
#define MPC_RRH_OFF_SEQ 0x08    /* 4: PDU sequence number */
#define MPC_RRH_OFF_ACK 0x0C    /* 4: PDU ack sequence number */
#define MPC_RRH_OFF_PH 0x10     /* 2: offset from the RRH to the PH */
#define MPC_RRH_OFF_DLEN 0x12   /* 2: data length of the first PH */
#define MPC_RRH_OFF_ALLLEN 0x14 /* 3: data length of all PHs */
#define MPC_RRH_OFF_TOKLEN 0x17 /* 1: 0x05 */
#define MPC_RRH_OFF_TOKEN 0x18  /* 4: destination token */
#define MPC_RRH_OFF_RESV 0x1C   /* 8: zero */
#define MPC_RRH_SIZE 0x24
CPNET_LAYOUT(MPC_RRH, MPC_RRH_OFF_RESV + 8);

/* ---- Protocol-data header (PH) ---------------------------------------------------- */
#define MPC_PH_OFF_LOC 0x00     /* 1: 0x01 */
#define MPC_PH_OFF_LEN 0x01     /* 3: data length */
#define MPC_PH_OFF_DATA 0x04    /* 4: offset of the data from the TH */
#define MPC_PH_SIZE 0x08
CPNET_LAYOUT(MPC_PH, MPC_PH_OFF_DATA + 4);

/* The host's geometry, which every reply also uses so that the driver's low-byte
 * offset rule (§2.3.1) finds the same places as a full parser. */
#define MPC_RRH_OFF MPC_TH_SIZE                     /* 0x14 */
#define MPC_PH_OFF (MPC_RRH_OFF + MPC_RRH_SIZE)     /* 0x38 */
#define MPC_PDU_OFF (MPC_PH_OFF + MPC_PH_SIZE)      /* 0x40 */
_Static_assert(MPC_PDU_OFF == 0x40, "MPC header geometry");

#define MPC_TH_FIRST 0x00E00000u
#define MPC_TH_UNK_HOST 0x1000
#define MPC_TOKLEN 0x05
#define MPC_PH_LOC 0x01
#define MPC_RRH_CM 0x81
#define MPC_RRH_ULP 0x41
#define MPC_RRH_IPA 0xC1
#define MPC_PROTO_SETUP 0x7E
#define MPC_PROTO_L2 0x08
#define MPC_PROTO_L3 0x03
#define MPC_MSG_MAX 4096        /* one message per READ of 4096 bytes */
#define MPC_PDU_MAX 0xFFFF      /* the RRH's first-PH length is 16 bits */

/* ---- PUK (0x0C bytes) and PUS items, offsets relative to the PDU -------------------- */
#define MPC_PUK_OFF_LEN 0x00    /* 2: 0x000C */
#define MPC_PUK_OFF_WHAT 0x02   /* 1: 0x41 / 0x43 */
#define MPC_PUK_OFF_TYPE 0x03   /* 1: MPC_PUK_* */
#define MPC_PUK_OFF_TOTAL 0x04  /* 2: length of the PUS items that follow */
#define MPC_PUK_OFF_RESV 0x06   /* 6: zero */
#define MPC_PUK_SIZE 0x0C
CPNET_LAYOUT(MPC_PUK, MPC_PUK_OFF_RESV + 6);

#define MPC_PUK_WHAT 0x41
#define MPC_PUK_WHAT_DM 0x43
#define MPC_PUK_ENABLE 0x02
#define MPC_PUK_DISABLE 0x03
#define MPC_PUK_SETUP 0x04
#define MPC_PUK_TAKEDOWN 0x05
#define MPC_PUK_CONFIRM 0x06
#define MPC_PUK_ACTIVE 0x60

#define MPC_PUS_OFF_LEN 0x00    /* 2: length of the item, header included */
#define MPC_PUS_OFF_MARK 0x02   /* 1: 0x04 */
#define MPC_PUS_OFF_TYPE 0x03   /* 1 */
#define MPC_PUS_HDR 0x04
#define MPC_PUS_MARK 0x04
#define MPC_PUS_MAX_ITEMS 32    /* bound on one PUK's walk */

/* PUS types and their fixed lengths. */
#define MPC_PUS_FILTER 0x01     /* proto, 04, 05, filter token @+7 */
#define MPC_PUS_01_LEN 0x0B
#define MPC_PUS_01_OFF_PROTO 0x04
#define MPC_PUS_01_OFF_TOKEN 0x07
#define MPC_PUS_USER 0x02       /* 8 bytes user data */
#define MPC_PUS_02_LEN 0x0C
#define MPC_PUS_CONN 0x04       /* 05, connection token @+5 */
#define MPC_PUS_FILTER_R 0x05   /* 05, filter token @+5 */
#define MPC_PUS_06 0x06         /* 2 bytes */
#define MPC_PUS_06_LEN 0x06
#define MPC_PUS_07 0x07         /* 4 bytes */
#define MPC_PUS_07_LEN 0x08
#define MPC_PUS_CONN_R 0x08     /* 05, adapter connection token @+5 */
#define MPC_PUS_TOK_LEN 0x09
#define MPC_PUS_TOK_OFF 0x05
#define MPC_PUS_ULP 0x0A        /* ULP parameters */
#define MPC_PUS_0A_LEN 0x14     /* without link type */
#define MPC_PUS_0A_LEN_LT 0x18  /* with link type */
#define MPC_PUS_0A_OFF_MISC 0x04    /* 4: 00 20 00 00 from the host */
#define MPC_PUS_0A_OFF_MTU 0x08     /* 2 */
#define MPC_PUS_0A_OFF_LINKNUM 0x0A /* 1 */
#define MPC_PUS_0A_OFF_PNLEN 0x0B   /* 1 */
#define MPC_PUS_0A_OFF_PNAME 0x0C   /* 8 */
#define MPC_PUS_0A_OFF_LTYPE 0x14   /* 1, only if length >= 0x18 */
#define MPC_PUS_DEVNO 0x0B      /* data device number, (cula << 8) | unit address */
#define MPC_PUS_0B_LEN 0x08

/* Message sizes Linux sends (TH..end). */
#define MPC_CM_ENABLE_SIZE 0x63
#define MPC_CM_SETUP_SIZE 0x64
#define MPC_ULP_ENABLE_SIZE 0x6B
#define MPC_ULP_SETUP_SIZE 0x6C
#define MPC_DM_ACT_SIZE 0x55
/* Linux's DM_ACT carries 0x2C (ULP_SETUP's length) in the RRH's all-PH-data field. */
#define MPC_DM_ACT_ALLLEN 0x2C

/* Where the driver reads replies, relative to the PDU located by the low-byte rule. */
#define MPC_REPLY_OFF_FILTER 0x13   /* CM_ENABLE / ULP_ENABLE: adapter filter token */
#define MPC_REPLY_OFF_CONN 0x1A     /* CM_SETUP / ULP_SETUP: adapter connection token */
#define MPC_REPLY_OFF_0ALEN 0x17    /* ULP_ENABLE: length of the PUS-0A there */
#define MPC_REPLY_OFF_MTU 0x1F      /* ULP_ENABLE: maximum MTU */
#define MPC_REPLY_OFF_LTYPE 0x2B    /* ULP_ENABLE: link type if PUS-0A >= 0x18 */

/* Linux's own ("write") tokens, §2.4. */
#define MPC_TOK_CM_FILTER_W 0x00010108u
#define MPC_TOK_CM_CONN_W 0x0001010Au
#define MPC_TOK_ULP_FILTER_W 0x0001010Bu
#define MPC_TOK_ULP_CONN_W 0x0001010Du

/* Link types in the ULP_ENABLE reply. */
#define MPC_LINK_FAST_ETH 0x01
#define MPC_LINK_HSTR 0x02
#define MPC_LINK_GBE 0x03
#define MPC_LINK_10GBE 0x10
#define MPC_LINK_25GBE 0x12
#define MPC_LINK_LANE_ETH 0x81
#define MPC_LINK_LANE_TR 0x82
#define MPC_LINK_LANE 0x83

/* ---- Framing ------------------------------------------------------------------ */

/* The variable fields of TH+RRH+PH. */
struct mpc_hdr {
	uint32_t th_seq;
	uint8_t rrh_type;
	uint8_t proto;
	uint32_t pdu_seq;
	uint32_t ack_seq;
	uint32_t dest_token;
	uint32_t all_len;  /* RRH all-PH-data length; 0 = the payload length */
};

/* Write TH+RRH+PH (host geometry) for a payload of n bytes that the caller puts at
 * buf + the returned offset (MPC_PDU_OFF). -ENOSPC if cap < 0x40 + n, -EINVAL if n or
 * all_len exceed their fields. */
int mpc_frame_encode(const struct mpc_hdr *h, size_t n, uint8_t *buf, size_t cap);

/* A validated message (adapter side: full 32-bit offsets, everything inside). */
struct mpc_msg {
	uint32_t th_seq;
	uint32_t total_len;
	uint32_t rrh_off;
	uint32_t ph_off;       /* absolute */
	uint8_t rrh_type;
	uint8_t proto;
	uint32_t pdu_seq;
	uint32_t ack_seq;
	uint32_t dest_token;
	uint32_t all_len;      /* informational: Linux's DM_ACT has a stale value here */
	uint32_t pdu_off;      /* absolute */
	uint32_t pdu_len;
};

/* -EMSGSIZE: buffer shorter than a TH or than the total length;
 * -EPROTO: not an MPC message (TH first word) or unknown RRH type;
 * -EBADMSG: offsets/lengths/counts that contradict each other or leave the message. */
int mpc_msg_decode(const uint8_t *buf, size_t len, struct mpc_msg *out);

/* ---- PUK / PUS ------------------------------------------------------------------ */
struct mpc_puk {
	uint8_t what;
	uint8_t type;
	uint16_t total;        /* bytes of PUS items after the PUK */
};

/* pdu/len: the PDU. -EMSGSIZE (short, or total beyond the PDU), -EBADMSG (length field). */
int mpc_puk_decode(const uint8_t *pdu, size_t len, struct mpc_puk *out);

struct mpc_pus {
	uint8_t type;
	uint16_t len;          /* header included */
	const uint8_t *p;      /* the item, header included */
};

struct mpc_pus_iter {
	const uint8_t *p;
	size_t left;
	unsigned steps;
};

/* Walk the PUS items of a decoded PUK (pdu as given to mpc_puk_decode). */
void mpc_pus_iter_init(struct mpc_pus_iter *it, const uint8_t *pdu, const struct mpc_puk *puk);
/* 1 and *out filled, 0 at the end, or -EMSGSIZE (item beyond the PUK total),
 * -EBADMSG (item shorter than its header, bad marker), -ELOOP (too many items). */
int mpc_pus_next(struct mpc_pus_iter *it, struct mpc_pus *out);

/* Typed accessors; -EPROTO for the wrong PUS type, -EBADMSG for a wrong length/marker. */
int mpc_pus_filter(const struct mpc_pus *s, uint8_t *proto, uint32_t *token);     /* 0x01 */
int mpc_pus_user_data(const struct mpc_pus *s, uint8_t data[8]);                  /* 0x02 */
int mpc_pus_token(const struct mpc_pus *s, uint32_t *token);                      /* 0x04/05/08 */
int mpc_pus_bytes(const struct mpc_pus *s, const uint8_t **data, size_t *n);      /* 0x06/07 */

struct mpc_ulp_params {
	uint8_t misc[4];
	uint16_t mtu;
	uint8_t linknum;
	uint8_t pname_len;
	uint8_t pname[8];
	bool has_link_type;
	uint8_t link_type;
};
int mpc_pus_ulp(const struct mpc_pus *s, struct mpc_ulp_params *out);            /* 0x0A */
int mpc_pus_devno(const struct mpc_pus *s, uint16_t *devno, uint16_t *realaddr); /* 0x0B */

/* ---- Adapter side: requests in, replies out --------------------------------------- */
enum mpc_cmd { MPC_CM_ENABLE, MPC_CM_SETUP, MPC_ULP_ENABLE, MPC_ULP_SETUP, MPC_DM_ACT };

/* Bits in mpc_req.have: which PUS types were present. */
#define MPC_HAVE(t) (1u << (t))

struct mpc_req {
	struct mpc_msg msg;
	enum mpc_cmd cmd;
	struct mpc_puk puk;
	unsigned have;
	uint8_t filter_proto;      /* PUS-01 */
	uint32_t filter_token;     /* PUS-01: the host's filter token */
	uint8_t user_data[8];      /* PUS-02 */
	uint32_t conn_token;       /* PUS-04: host connection token (DM_ACT: ulp_conn_r) */
	uint32_t peer_filter;      /* PUS-05: the adapter's filter token echoed */
	uint8_t pus06[2];          /* PUS-06 */
	struct mpc_ulp_params ulp; /* PUS-0A */
	uint16_t devno;            /* PUS-0B */
	uint16_t realaddr;
};

/* Parse and classify a setup command. -EPROTO for IPA or an unknown RRH/PUK pairing,
 * -EBADMSG when a PUS the command needs is missing or repeated, plus the framing errors. */
int mpc_req_decode(const uint8_t *buf, size_t len, struct mpc_req *out);
const char *mpc_cmd_name(enum mpc_cmd cmd);

/* The adapter's side of the exchange. */
struct mpc_adapter_params {
	uint32_t filter_token;  /* CM_ENABLE / ULP_ENABLE reply */
	uint32_t conn_token;    /* CM_SETUP / ULP_SETUP reply; must not start with "00S" */
	uint16_t max_mtu;       /* ULP_ENABLE reply */
	uint8_t link_type;      /* ULP_ENABLE reply */
};

/* Fill a reply header: the request's RRH type and protocol, ack = request's PDU seq. */
void mpc_reply_hdr(const struct mpc_req *req, uint32_t th_seq, uint32_t pdu_seq,
		   uint32_t dest_token, struct mpc_hdr *out);

/* Each returns the message length, -ENOSPC, or -EPROTO if req is another command. */
int mpc_cm_enable_reply_encode(const struct mpc_hdr *h, const struct mpc_req *req,
			       uint32_t filter_token, uint8_t *buf, size_t cap);
int mpc_cm_setup_reply_encode(const struct mpc_hdr *h, const struct mpc_req *req,
			      uint32_t conn_token, uint8_t *buf, size_t cap);
int mpc_ulp_enable_reply_encode(const struct mpc_hdr *h, const struct mpc_req *req,
				uint32_t filter_token, uint16_t max_mtu, uint8_t link_type,
				uint8_t *buf, size_t cap);
int mpc_ulp_setup_reply_encode(const struct mpc_hdr *h, const struct mpc_req *req,
			       uint32_t conn_token, uint8_t *buf, size_t cap);
int mpc_dm_act_reply_encode(const struct mpc_hdr *h, const struct mpc_req *req,
			    uint8_t *buf, size_t cap);
/* Dispatch on req->cmd. */
int mpc_reply_encode(const struct mpc_hdr *h, const struct mpc_req *req,
		     const struct mpc_adapter_params *a, uint8_t *buf, size_t cap);

/* ---- Driver side: requests out, replies in ---------------------------------------- */

/* Sequence numbers as qeth keeps them (§2.6). */
struct mpc_seq {
	uint32_t th;   /* transport: stamped on everything, bumped on the write device */
	uint32_t pdu;  /* stamped and bumped on every MPC/IPA command */
	uint32_t ack;  /* PDU seq of the last MPC/IPA message read */
};
void mpc_seq_reset(struct mpc_seq *s);
/* The transport seq for an IDX request (bumped only for the write device). */
uint32_t mpc_seq_idx(struct mpc_seq *s, bool write_dev);
/* Stamp a command header and advance th and pdu. */
void mpc_seq_stamp(struct mpc_seq *s, uint8_t rrh_type, uint8_t proto, uint32_t dest_token,
		   struct mpc_hdr *out);
/* Remember the PDU seq of a message read (the 4 bytes at 0x1C); -EMSGSIZE if short. */
int mpc_seq_ack(struct mpc_seq *s, const uint8_t *buf, size_t len);

/* Command encoders: h gives th_seq, pdu_seq, ack_seq and dest_token; the RRH type,
 * protocol and all-PH length are the command's own. Return the message length. */
int mpc_cm_enable_encode(const struct mpc_hdr *h, uint32_t cm_filter_w, uint8_t *buf, size_t cap);
int mpc_cm_setup_encode(const struct mpc_hdr *h, uint32_t cm_conn_w, uint32_t cm_filter_r,
			uint8_t *buf, size_t cap);
int mpc_ulp_enable_encode(const struct mpc_hdr *h, uint8_t proto, uint8_t linknum,
			  uint32_t ulp_filter_w, uint8_t *buf, size_t cap);
int mpc_ulp_setup_encode(const struct mpc_hdr *h, uint32_t ulp_conn_w, uint32_t ulp_filter_r,
			 uint16_t devno, uint16_t realaddr, uint8_t *buf, size_t cap);
int mpc_dm_act_encode(const struct mpc_hdr *h, uint32_t ulp_conn_r, uint8_t *buf, size_t cap);

/* A reply located the way qeth does (low bytes of the offsets, §2.3.1). */
struct mpc_drv_loc {
	uint32_t rrh;
	uint32_t ph;
	uint32_t pdu;
	bool is_ipa;
	uint32_t pdu_seq;
};
/* -ECONNRESET/-EPROTONOSUPPORT for IDX TERMINATE, -EMSGSIZE when a located field
 * lies beyond len. */
int mpc_drv_locate(const uint8_t *buf, size_t len, struct mpc_drv_loc *out);

struct mpc_ulp_info {
	uint32_t filter_token;
	uint16_t max_mtu;       /* raw, see mpc_mtu_from_reply */
	uint8_t link_type;      /* 0 if the PUS-0A is shorter than 0x18 */
};

/* Each: -EPROTO if the message is an IPA reply (cannot complete an MPC command),
 * -EMSGSIZE if the field is beyond len, plus mpc_drv_locate's errors. */
int mpc_drv_cm_enable_reply(const uint8_t *buf, size_t len, uint32_t *cm_filter_r);
int mpc_drv_cm_setup_reply(const uint8_t *buf, size_t len, uint32_t *cm_conn_r);
/* Also -EPROTONOSUPPORT for token-ring link types (0x02, 0x82). */
int mpc_drv_ulp_enable_reply(const uint8_t *buf, size_t len, struct mpc_ulp_info *out);
/* Also -EMLINK for a token starting with ASCII "00S" (OLM limit, §2.4). */
int mpc_drv_ulp_setup_reply(const uint8_t *buf, size_t len, uint32_t *ulp_conn_r);
int mpc_drv_dm_act_reply(const uint8_t *buf, size_t len);

/* The usable maximum MTU from the ULP_ENABLE reply: OSD 0 -> 65535; IQD frame-size
 * codes 0x4000/0x6000/0xA000/0xFFFF -> 8192/16384/32768/57344, others -EINVAL. */
int mpc_mtu_from_reply(uint16_t raw, bool iqd);

#endif
