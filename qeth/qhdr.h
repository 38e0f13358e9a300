/* qeth/qhdr.h - the 32-byte qeth packet headers (layer 3 id 1, layer 2 id 2) and the TSO extension.
 * Per-frame hot path of the QDIO data path: decoders/encoders are inline and copy only fields. */
#ifndef CPNET_QETH_QHDR_H
#define CPNET_QETH_QHDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/be.h"
#include "lib/cpnet.h"

#define QHDR_SIZE 32
#define QHDR_TSO_HDR_SIZE 64 /* base header + TSO extension */

#define QHDR_ID_L3 0x01
#define QHDR_ID_L2 0x02
#define QHDR_ID_L3_TSO 0x03
#define QHDR_ID_L2_TSO 0x06

/* The frame behind a header and the header itself share one QDIO buffer of at most
 * 64 KiB - 1 bytes as the driver sizes them; a longer length field is hostile. */
#define QHDR_MAX_DATA (65535 - QHDR_SIZE)
#define QHDR_ETH_HLEN 14

/* ---- layer 3 (§4.9.1) ---- */
#define QHDR_L3_OFF_ID 0x00
#define QHDR_L3_OFF_FLAGS 0x01
#define QHDR_L3_OFF_CSUM 0x02      /* 2: inbound checksum; TSO: sequence number */
#define QHDR_L3_OFF_TOKEN 0x04     /* 4 */
#define QHDR_L3_OFF_LEN 0x08       /* 2: length of the packet / frame that follows */
#define QHDR_L3_OFF_VLAN_PRIO 0x0A
#define QHDR_L3_OFF_EXT 0x0B
#define QHDR_L3_OFF_VLAN_ID 0x0C   /* 2 */
#define QHDR_L3_OFF_FRAME_OFF 0x0E /* 2 */
#define QHDR_L3_OFF_ADDR 0x10      /* 16: TX next hop (IPv4 in the last 4 bytes) */
#define QHDR_L3_SIZE 32
CPNET_LAYOUT(QHDR_L3, QHDR_L3_OFF_ADDR + 16);
/* RX reuses the address area: source MAC at 0x12, VLAN id at 0x1C (positions in addr[]). */
#define QHDR_L3_ADDR_RX_SRC_MAC 2
#define QHDR_L3_ADDR_RX_VLAN 12
#define QHDR_L3_ADDR_V4 12

#define QHDR_L3_CAST_MASK 0x07
#define QHDR_L3_CAST_NONE 0x00
#define QHDR_L3_CAST_MCAST 0x04
#define QHDR_L3_CAST_BCAST 0x05
#define QHDR_L3_CAST_UCAST 0x06
#define QHDR_L3_CAST_ANYCAST 0x07
#define QHDR_L3_PASSTHRU 0x10
#define QHDR_L3_IPV6 0x80

#define QHDR_L3_EXT_VLAN 0x01       /* VLAN frame, id at 0x0C */
#define QHDR_L3_EXT_TOKEN_ID 0x02
#define QHDR_L3_EXT_INCL_VLAN 0x04  /* include VLAN tag (id at 0x1C on RX) */
#define QHDR_L3_EXT_SRC_MAC 0x08    /* RX: source MAC present at 0x12 */
#define QHDR_L3_EXT_CSUM_HDR 0x10
#define QHDR_L3_EXT_CSUM_TRANSP 0x20
#define QHDR_L3_EXT_UDP 0x40

/* ---- layer 2 (§4.9.2) ---- */
#define QHDR_L2_OFF_ID 0x00
#define QHDR_L2_OFF_FLAGS0 0x01
#define QHDR_L2_OFF_FLAGS1 0x02 /* checksum bits */
#define QHDR_L2_OFF_FLAGS2 0x03 /* cast + VLAN */
#define QHDR_L2_OFF_PORT 0x04
#define QHDR_L2_OFF_HDR_LEN 0x05
#define QHDR_L2_OFF_PKT_LEN 0x06 /* 2: Ethernet frame length without FCS */
#define QHDR_L2_OFF_SEQ 0x08
#define QHDR_L2_OFF_VLAN 0x0A
/* cpnet's own, inbound only (reserved on an OSA, which has no large receive): a TCP large
 * send delivered whole, its checksum left open, cut into segments of this many payload
 * bytes by whoever cannot take it; 0 = one frame.  Written only for cpnet's own driver
 * (nicbk.rx_large, osa_cfg.rx_large), read only by cp/uplink.c. */
#define QHDR_L2_OFF_RX_MSS 0x0C  /* 2 */
#define QHDR_L2_OFF_RSVD 0x0E    /* 18 */
#define QHDR_L2_SIZE 32
CPNET_LAYOUT(QHDR_L2, QHDR_L2_OFF_RSVD + 18);

#define QHDR_L2_CSUM_HDR 0x10
#define QHDR_L2_CSUM_TRANSP 0x20
#define QHDR_L2_CSUM_UDP 0x40
#define QHDR_L2_MCAST 0x01
#define QHDR_L2_BCAST 0x02
#define QHDR_L2_UCAST 0x04
#define QHDR_L2_CAST_MASK 0x07
#define QHDR_L2_VLAN 0x10

/* ---- TSO extension (§4.9.3), offsets within the 64-byte header ---- */
#define QHDR_TSO_OFF_EXT_LEN 0x20  /* 2: 32 */
#define QHDR_TSO_OFF_B22 0x22      /* 1: 1 */
#define QHDR_TSO_OFF_B23 0x23      /* 1: 0 */
#define QHDR_TSO_OFF_TYPE 0x24     /* 1: 1 */
#define QHDR_TSO_OFF_VERSION 0x25  /* 1: 1 */
#define QHDR_TSO_OFF_HLEN 0x26     /* 2: 28 */
#define QHDR_TSO_OFF_PAYLOAD 0x28  /* 4 */
#define QHDR_TSO_OFF_MSS 0x2C      /* 2 */
#define QHDR_TSO_OFF_PROTO_HLEN 0x2E /* 2: Ethernet/IP/TCP headers copied behind */
#define QHDR_TSO_OFF_PAD 0x30      /* 16 */
#define QHDR_TSO_SIZE 64
CPNET_LAYOUT(QHDR_TSO, QHDR_TSO_OFF_PAD + 16);
#define QHDR_TSO_EXT_LEN 32
#define QHDR_TSO_TYPE 1
#define QHDR_TSO_VERSION 1
#define QHDR_TSO_HLEN 28

struct qhdr_l3 {
	uint8_t flags;
	uint8_t vlan_prio;
	uint8_t ext_flags;
	uint16_t csum_seq;
	uint32_t token;
	uint16_t length;
	uint16_t vlan_id;
	uint16_t frame_offset;
	uint8_t addr[16];	/* bytes 0x10..0x1F as they are; see the RX accessors */
};

struct qhdr_l2 {
	uint8_t flags0;
	uint8_t flags1;
	uint8_t flags2;
	uint8_t port;
	uint8_t hdr_len;
	uint16_t pkt_len;
	uint16_t seq;
	uint16_t vlan_tci;
	uint16_t rx_mss;	/* inbound large receive (QHDR_L2_OFF_RX_MSS) */
};

struct qhdr_tso {
	uint8_t type;
	uint8_t version;
	uint16_t mss;
	uint16_t proto_hlen;
	uint32_t payload_len;
};

struct qhdr {
	uint8_t id;
	union {
		struct qhdr_l3 l3;
		struct qhdr_l2 l2;
	};
	struct qhdr_tso tso;	/* only for QHDR_ID_L3_TSO / QHDR_ID_L2_TSO */
};

static inline bool qhdr_id_is_tso(uint8_t id)
{
	return id == QHDR_ID_L3_TSO || id == QHDR_ID_L2_TSO;
}

static inline bool qhdr_id_is_l2(uint8_t id)
{
	return id == QHDR_ID_L2 || id == QHDR_ID_L2_TSO;
}

/* Bytes the header occupies in the buffer (32 or 64), 0 for an unknown id. */
static inline size_t qhdr_len(uint8_t id)
{
	switch (id) {
	case QHDR_ID_L3:
	case QHDR_ID_L2:
		return QHDR_SIZE;
	case QHDR_ID_L3_TSO:
	case QHDR_ID_L2_TSO:
		return QHDR_TSO_HDR_SIZE;
	default:
		return 0;
	}
}

/* Length of the frame / packet the header announces. */
static inline uint16_t qhdr_data_len(const struct qhdr *h)
{
	return qhdr_id_is_l2(h->id) ? h->l2.pkt_len : h->l3.length;
}

/* RX layer-3 accessors over the address area. */
static inline const uint8_t *qhdr_l3_rx_src_mac(const struct qhdr_l3 *h)
{
	return h->addr + QHDR_L3_ADDR_RX_SRC_MAC;
}

static inline uint16_t qhdr_l3_rx_vlan(const struct qhdr_l3 *h)
{
	return be_get16(h->addr + QHDR_L3_ADDR_RX_VLAN);
}

static inline void qhdr_l3_set_rx_src_mac(struct qhdr_l3 *h, const uint8_t mac[6])
{
	memcpy(h->addr + QHDR_L3_ADDR_RX_SRC_MAC, mac, 6);
	h->ext_flags |= QHDR_L3_EXT_SRC_MAC;
}

static inline void qhdr_l3_set_rx_vlan(struct qhdr_l3 *h, uint16_t vlan)
{
	be_put16(h->addr + QHDR_L3_ADDR_RX_VLAN, vlan);
	h->ext_flags |= QHDR_L3_EXT_INCL_VLAN;
}

/* The layer-2 cast flag the adapter sets for a destination MAC. */
static inline uint8_t qhdr_l2_cast_for_mac(const uint8_t dst[6])
{
	if ((dst[0] & dst[1] & dst[2] & dst[3] & dst[4] & dst[5]) == 0xFF)
		return QHDR_L2_BCAST;
	return (dst[0] & 0x01) ? QHDR_L2_MCAST : QHDR_L2_UCAST;
}

/* ---- decode (buf holds at least QHDR_SIZE bytes when these run) ---- */

static inline int qhdr_l3_decode_body(const uint8_t *buf, struct qhdr_l3 *h)
{
	uint8_t cast;

	h->flags = buf[QHDR_L3_OFF_FLAGS];
	h->csum_seq = be_get16(buf + QHDR_L3_OFF_CSUM);
	h->token = be_get32(buf + QHDR_L3_OFF_TOKEN);
	h->length = be_get16(buf + QHDR_L3_OFF_LEN);
	h->vlan_prio = buf[QHDR_L3_OFF_VLAN_PRIO];
	h->ext_flags = buf[QHDR_L3_OFF_EXT];
	h->vlan_id = be_get16(buf + QHDR_L3_OFF_VLAN_ID);
	h->frame_offset = be_get16(buf + QHDR_L3_OFF_FRAME_OFF);
	memcpy(h->addr, buf + QHDR_L3_OFF_ADDR, 16);
	cast = h->flags & QHDR_L3_CAST_MASK;
	/* 1..3 are no cast type; the driver never sends them. */
	if (cast != QHDR_L3_CAST_NONE && cast < QHDR_L3_CAST_MCAST)
		return -EBADMSG;
	if (h->length == 0)
		return -EBADMSG;
	if ((h->flags & QHDR_L3_PASSTHRU) && h->length < QHDR_ETH_HLEN)
		return -EBADMSG;
	return 0;
}

static inline int qhdr_l2_decode_body(const uint8_t *buf, struct qhdr_l2 *h)
{
	uint8_t cast;

	h->flags0 = buf[QHDR_L2_OFF_FLAGS0];
	h->flags1 = buf[QHDR_L2_OFF_FLAGS1];
	h->flags2 = buf[QHDR_L2_OFF_FLAGS2];
	h->port = buf[QHDR_L2_OFF_PORT];
	h->hdr_len = buf[QHDR_L2_OFF_HDR_LEN];
	h->pkt_len = be_get16(buf + QHDR_L2_OFF_PKT_LEN);
	h->seq = be_get16(buf + QHDR_L2_OFF_SEQ);
	h->vlan_tci = be_get16(buf + QHDR_L2_OFF_VLAN);
	h->rx_mss = be_get16(buf + QHDR_L2_OFF_RX_MSS);
	cast = h->flags2 & QHDR_L2_CAST_MASK;
	/* Exactly one of multicast / broadcast / unicast. */
	if (cast != QHDR_L2_MCAST && cast != QHDR_L2_BCAST && cast != QHDR_L2_UCAST)
		return -EBADMSG;
	if (h->pkt_len < QHDR_ETH_HLEN)
		return -EBADMSG;
	return 0;
}

static inline int qhdr_tso_decode_ext(const uint8_t *buf, struct qhdr_tso *t)
{
	if (be_get16(buf + QHDR_TSO_OFF_EXT_LEN) != QHDR_TSO_EXT_LEN)
		return -EBADMSG;
	t->type = buf[QHDR_TSO_OFF_TYPE];
	t->version = buf[QHDR_TSO_OFF_VERSION];
	t->payload_len = be_get32(buf + QHDR_TSO_OFF_PAYLOAD);
	t->mss = be_get16(buf + QHDR_TSO_OFF_MSS);
	t->proto_hlen = be_get16(buf + QHDR_TSO_OFF_PROTO_HLEN);
	if (t->mss == 0 || t->payload_len == 0)
		return -EBADMSG;
	/* One TSO request covers at most one 64 KiB IP datagram. */
	if (t->payload_len > 65535 || t->proto_hlen > 65535 - t->payload_len)
		return -EMSGSIZE;
	return 0;
}

/*
 * Decode the header at buf: 0, -EMSGSIZE (shorter than 32 / 64 bytes, or a length
 * above QHDR_MAX_DATA), -EPROTO (id not 1/2/3/6: the driver drops the rest of the
 * buffer), -EBADMSG (length 0 / shorter than an Ethernet header where one is
 * required, no or several cast bits, a TSO extension that is not one).
 */
static inline int qhdr_decode(const uint8_t *buf, size_t len, struct qhdr *h)
{
	int rc;

	if (len < QHDR_SIZE)
		return -EMSGSIZE;
	h->id = buf[0];
	switch (h->id) {
	case QHDR_ID_L3:
	case QHDR_ID_L3_TSO:
		rc = qhdr_l3_decode_body(buf, &h->l3);
		break;
	case QHDR_ID_L2:
	case QHDR_ID_L2_TSO:
		rc = qhdr_l2_decode_body(buf, &h->l2);
		break;
	default:
		return -EPROTO;
	}
	if (rc < 0)
		return rc;
	if (!qhdr_id_is_tso(h->id))
		return qhdr_data_len(h) > QHDR_MAX_DATA ? -EMSGSIZE : 0;
	if (len < QHDR_TSO_HDR_SIZE)
		return -EMSGSIZE;
	return qhdr_tso_decode_ext(buf, &h->tso);
}

/* ---- encode: bytes written (32 or 64), -ENOSPC, -EINVAL (unknown id) ---- */

static inline int qhdr_encode(const struct qhdr *h, uint8_t *buf, size_t cap)
{
	size_t n = qhdr_len(h->id);

	if (n == 0)
		return -EINVAL;
	if (cap < n)
		return -ENOSPC;
	buf[0] = h->id;
	if (qhdr_id_is_l2(h->id)) {
		buf[QHDR_L2_OFF_FLAGS0] = h->l2.flags0;
		buf[QHDR_L2_OFF_FLAGS1] = h->l2.flags1;
		buf[QHDR_L2_OFF_FLAGS2] = h->l2.flags2;
		buf[QHDR_L2_OFF_PORT] = h->l2.port;
		buf[QHDR_L2_OFF_HDR_LEN] = h->l2.hdr_len;
		be_put16(buf + QHDR_L2_OFF_PKT_LEN, h->l2.pkt_len);
		be_put16(buf + QHDR_L2_OFF_SEQ, h->l2.seq);
		be_put16(buf + QHDR_L2_OFF_VLAN, h->l2.vlan_tci);
		be_put16(buf + QHDR_L2_OFF_RX_MSS, h->l2.rx_mss);
		memset(buf + QHDR_L2_OFF_RSVD, 0, QHDR_L2_SIZE - QHDR_L2_OFF_RSVD);
	} else {
		buf[QHDR_L3_OFF_FLAGS] = h->l3.flags;
		be_put16(buf + QHDR_L3_OFF_CSUM, h->l3.csum_seq);
		be_put32(buf + QHDR_L3_OFF_TOKEN, h->l3.token);
		be_put16(buf + QHDR_L3_OFF_LEN, h->l3.length);
		buf[QHDR_L3_OFF_VLAN_PRIO] = h->l3.vlan_prio;
		buf[QHDR_L3_OFF_EXT] = h->l3.ext_flags;
		be_put16(buf + QHDR_L3_OFF_VLAN_ID, h->l3.vlan_id);
		be_put16(buf + QHDR_L3_OFF_FRAME_OFF, h->l3.frame_offset);
		memcpy(buf + QHDR_L3_OFF_ADDR, h->l3.addr, 16);
	}
	if (n == QHDR_TSO_HDR_SIZE) {
		be_put16(buf + QHDR_TSO_OFF_EXT_LEN, QHDR_TSO_EXT_LEN);
		buf[QHDR_TSO_OFF_B22] = 1;
		buf[QHDR_TSO_OFF_B23] = 0;
		buf[QHDR_TSO_OFF_TYPE] = h->tso.type;
		buf[QHDR_TSO_OFF_VERSION] = h->tso.version;
		be_put16(buf + QHDR_TSO_OFF_HLEN, QHDR_TSO_HLEN);
		be_put32(buf + QHDR_TSO_OFF_PAYLOAD, h->tso.payload_len);
		be_put16(buf + QHDR_TSO_OFF_MSS, h->tso.mss);
		be_put16(buf + QHDR_TSO_OFF_PROTO_HLEN, h->tso.proto_hlen);
		memset(buf + QHDR_TSO_OFF_PAD, 0, QHDR_TSO_SIZE - QHDR_TSO_OFF_PAD);
	}
	return (int)n;
}

/* Out of line (qhdr.c). */
const char *qhdr_id_name(uint8_t id);
/* Header + data the header announces, checked against the avail bytes left in the
 * buffer element: the span in bytes, or -EMSGSIZE if the frame runs past avail. */
int qhdr_frame_span(const struct qhdr *h, size_t avail);

#endif
