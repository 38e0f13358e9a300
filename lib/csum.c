/* lib/csum.c - Internet checksums of whole frames (RFC 1071 sums, IPv4/IPv6 pseudo
 * headers), for the offloads a guest asks of its NIC: used where frames leave the switch. */
#include "lib/csum.h"

#include <errno.h>
#include <string.h>

#include "lib/be.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IP6_HLEN 40
#define MAX_VLAN_TAGS 2
#define MAX_EXT_HDRS 8		/* more than any sane sender stacks; bounds the walk */

enum { NH_HOPOPTS = 0, NH_ROUTING = 43, NH_FRAGMENT = 44, NH_AH = 51, NH_DSTOPTS = 60 };

uint64_t csum_add(uint64_t sum, const uint8_t *b, uint32_t len)
{
	/* 32-bit big-endian words: 2^16 = 1 (mod 0xFFFF), so their sum folds to the
	 * same 16-bit ones'-complement sum as the 16-bit words it is made of. */
	while (len >= 4) {
		sum += be_get32(b);
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		sum += be_get16(b);
		b += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)b[0] << 8;
	return sum;
}

uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)sum;
}

uint64_t csum_pseudo(const struct csum_pkt *p, uint32_t l4len)
{
	uint64_t sum = 0;

	if (p->v6) {
		sum = csum_add(sum, p->src, 16);
		sum = csum_add(sum, p->dst, 16);
	} else {
		sum = csum_add(sum, p->src, 4);
		sum = csum_add(sum, p->dst, 4);
	}
	return sum + l4len + p->proto;
}

/* have: bytes of f present (the headers must lie in them); len: the frame's length. */
static int parse_v4(const uint8_t *f, uint32_t have, uint32_t len, struct csum_pkt *p)
{
	const uint8_t *ip = f + p->l3;
	uint32_t ihl, tot;

	if (have - p->l3 < 20 || (ip[0] >> 4) != 4)
		return -EBADMSG;
	ihl = (uint32_t)(ip[0] & 0x0F) * 4;
	tot = be_get16(ip + 2);
	if (ihl < 20 || ihl > have - p->l3)
		return -EBADMSG;
	if (tot == 0) {
		p->end = len;
	} else {
		if (tot < ihl || tot > len - p->l3)
			return -EBADMSG;
		p->end = p->l3 + tot;
	}
	if (be_get16(ip + 6) & 0x3FFF)		/* more fragments, or an offset */
		return -EPROTONOSUPPORT;
	p->proto = ip[9];
	memset(p->src, 0, sizeof(p->src));
	memset(p->dst, 0, sizeof(p->dst));
	memcpy(p->src, ip + 12, 4);
	memcpy(p->dst, ip + 16, 4);
	p->l4 = p->l3 + ihl;
	return 0;
}

/* A routing header with segments left: the pseudo header names the final destination. */
static int route_final(const uint8_t *h, uint32_t hl, struct csum_pkt *p)
{
	if (h[3] == 0)
		return 0;
	switch (h[2]) {
	case 0:		/* type 0: addresses after 8 bytes, the last one is final */
		if (h[1] < 2)
			return -EBADMSG;
		memcpy(p->dst, h + 8 + 16 * (h[1] / 2 - 1), 16);
		return 0;
	case 2:		/* type 2 (mobile IPv6): the home address */
	case 4:		/* segment routing: segment list [0] is the last segment */
		if (hl < 24)
			return -EBADMSG;
		memcpy(p->dst, h + 8, 16);
		return 0;
	default:
		return -EPROTONOSUPPORT;
	}
}

static int parse_v6(const uint8_t *f, uint32_t have, uint32_t len, struct csum_pkt *p)
{
	const uint8_t *ip = f + p->l3;
	uint32_t plen, off;
	uint8_t nh;
	int rc;

	if (have - p->l3 < IP6_HLEN || (ip[0] >> 4) != 6)
		return -EBADMSG;
	plen = be_get16(ip + 4);
	if (plen == 0) {
		p->end = len;
	} else {
		if (plen > len - p->l3 - IP6_HLEN)
			return -EBADMSG;
		p->end = p->l3 + IP6_HLEN + plen;
	}
	memcpy(p->src, ip + 8, 16);
	memcpy(p->dst, ip + 24, 16);
	nh = ip[6];
	off = p->l3 + IP6_HLEN;
	for (int i = 0; i < MAX_EXT_HDRS; i++) {
		const uint8_t *h = f + off;
		uint32_t hl;

		switch (nh) {
		case CSUM_PROTO_TCP:
		case CSUM_PROTO_UDP:
			p->proto = nh;
			p->l4 = off;
			return 0;
		case NH_HOPOPTS:
		case NH_DSTOPTS:
		case NH_ROUTING:
		case NH_AH:
			if (p->end - off < 8 || have - off < 8)
				return -EBADMSG;
			hl = nh == NH_AH ? ((uint32_t)h[1] + 2) * 4 : ((uint32_t)h[1] + 1) * 8;
			if (hl > p->end - off || hl > have - off)
				return -EBADMSG;
			if (nh == NH_ROUTING && (rc = route_final(h, hl, p)) < 0)
				return rc;
			nh = h[0];
			off += hl;
			break;
		default:	/* fragment, no next header, ESP, anything else */
			return -EPROTONOSUPPORT;
		}
	}
	return -EPROTONOSUPPORT;
}

int csum_parse(const uint8_t *f, uint32_t len, bool eth, struct csum_pkt *p)
{
	return csum_parse_prefix(f, len, len, eth, p);
}

int csum_parse_prefix(const uint8_t *f, uint32_t have, uint32_t len, bool eth,
		      struct csum_pkt *p)
{
	const uint8_t *l4;
	uint16_t type;
	int rc;

	memset(p, 0, sizeof(*p));
	if (have > len)
		have = len;
	if (eth) {
		uint32_t off = 12;

		if (have < ETH_HLEN)
			return -EBADMSG;
		type = be_get16(f + off);
		for (int i = 0; i < MAX_VLAN_TAGS &&
				(type == ETH_P_8021Q || type == ETH_P_8021AD); i++) {
			off += 4;
			if (have < off + 2)
				return -EBADMSG;
			type = be_get16(f + off);
		}
		p->l3 = off + 2;
		if (type == ETH_P_IP)
			p->v6 = false;
		else if (type == ETH_P_IPV6)
			p->v6 = true;
		else
			return -EPROTONOSUPPORT;
	} else {
		if (have < 1)
			return -EBADMSG;
		p->v6 = (f[0] >> 4) == 6;
	}
	if (p->l3 >= have)
		return -EBADMSG;
	rc = p->v6 ? parse_v6(f, have, len, p) : parse_v4(f, have, len, p);
	if (rc < 0)
		return rc;
	l4 = f + p->l4;
	if (p->proto == CSUM_PROTO_TCP) {
		if (p->end - p->l4 < 20 || have - p->l4 < 20)
			return -EBADMSG;
		p->l4hlen = (uint16_t)((l4[12] >> 4) * 4);
		if (p->l4hlen < 20 || p->l4hlen > p->end - p->l4 || p->l4hlen > have - p->l4)
			return -EBADMSG;
	} else if (p->proto == CSUM_PROTO_UDP) {
		if (p->end - p->l4 < 8 || have - p->l4 < 8)
			return -EBADMSG;
		p->l4hlen = 8;
	} else {
		return -EPROTONOSUPPORT;
	}
	return 0;
}

static uint32_t check_off(const struct csum_pkt *p)
{
	return p->l4 + (p->proto == CSUM_PROTO_TCP ? 16 : 6);
}

void csum_ip4_hdr(uint8_t *f, const struct csum_pkt *p)
{
	uint8_t *ip = f + p->l3;
	uint32_t ihl = (uint32_t)(ip[0] & 0x0F) * 4;

	if (p->v6)
		return;
	be_put16(ip + 10, 0);
	be_put16(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, ihl)));
}

void csum_complete(uint8_t *f, const struct csum_pkt *p, bool ip_hdr)
{
	uint32_t l4len = p->end - p->l4;
	uint16_t c;

	be_put16(f + check_off(p), 0);
	c = (uint16_t)~csum_fold(csum_add(csum_pseudo(p, l4len), f + p->l4, l4len));
	if (c == 0 && p->proto == CSUM_PROTO_UDP)
		c = 0xFFFF;		/* 0 would mean "no checksum" */
	be_put16(f + check_off(p), c);
	if (ip_hdr)
		csum_ip4_hdr(f, p);
}

bool csum_verify(const uint8_t *f, const struct csum_pkt *p)
{
	uint32_t l4len = p->end - p->l4;

	if (p->proto == CSUM_PROTO_UDP && !p->v6 && be_get16(f + check_off(p)) == 0)
		return true;
	return csum_fold(csum_add(csum_pseudo(p, l4len), f + p->l4, l4len)) == 0xFFFF;
}

int csum_open(uint8_t *f, const struct csum_pkt *p)
{
	uint32_t iplen = p->end - p->l3;

	/* A large send may carry an IPv4 total length of 0 (csum_parse: "to the end"). */
	if (iplen > (p->v6 ? 0xFFFFu + 40u : 0xFFFFu))
		return -EMSGSIZE;
	if (p->v6) {
		be_put16(f + p->l3 + 4, (uint16_t)(iplen - 40));
	} else {
		be_put16(f + p->l3 + 2, (uint16_t)iplen);
		csum_ip4_hdr(f, p);
	}
	be_put16(f + check_off(p), csum_fold(csum_pseudo(p, p->end - p->l4)));
	return (int)(check_off(p) - p->l4);
}
