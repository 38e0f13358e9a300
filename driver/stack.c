/* driver/stack.c - the synthetic guest's host stack: ARP, IPv4/ICMP echo, IPv6/ICMPv6 echo
 * and neighbour discovery; builds frames for L2 and packets for L3 qeth interfaces. */
#include "driver/stack.h"

#include <errno.h>
#include <string.h>

#include "lib/cpnet.h"

#include "lib/be.h"

#define IP4_HLEN 20
#define IP6_HLEN 40
#define ARP_LEN 28
#define ICMP_ECHO_REQ 8
#define ICMP_ECHO_REP 0
#define ICMP6_ECHO_REQ 128
#define ICMP6_ECHO_REP 129
#define ICMP6_NS 135
#define ICMP6_NA 136
#define PROTO_ICMP 1
#define PROTO_ICMP6 58
#define PING_MAX 1400
/* qeth L3 header bits the receive side looks at. */
#define QH_L3_PASSTHRU 0x10
#define QH_L3_IPV6 0x80
#define QH_L3_EXT_SRC_MAC 0x08	/* ext_flags (byte 0x0B): sender's MAC at 0x12 */

static const uint8_t bcast_mac[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

uint16_t stack_csum(const uint8_t *buf, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += be_get16(buf + i);
	if (i < len)
		sum += (uint32_t)buf[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Partial sum (not complemented) of the IPv6 pseudo header. */
static uint32_t pseudo6(const uint8_t *src, const uint8_t *dst, uint32_t len, uint8_t nh)
{
	uint32_t sum = 0;

	for (int i = 0; i < 16; i += 2)
		sum += be_get16(src + i) + be_get16(dst + i);
	sum += len >> 16;
	sum += len & 0xFFFF;
	sum += nh;
	return sum;
}

void stack_init(struct stack *s, uint8_t layer, const uint8_t mac[6], stk_tx_fn tx, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->layer = layer;
	s->tx = tx;
	s->tx_ctx = ctx;
	s->ping_id = 0x4350;	/* "CP" */
	stack_set_mac(s, mac);
}

void stack_set_mac(struct stack *s, const uint8_t mac[6])
{
	memcpy(s->mac, mac, 6);
	memset(s->ll6, 0, 16);
	s->ll6[0] = 0xFE;
	s->ll6[1] = 0x80;
	s->ll6[8] = mac[0] ^ 0x02;
	s->ll6[9] = mac[1];
	s->ll6[10] = mac[2];
	s->ll6[11] = 0xFF;
	s->ll6[12] = 0xFE;
	s->ll6[13] = mac[3];
	s->ll6[14] = mac[4];
	s->ll6[15] = mac[5];
}

void stack_set_ip4(struct stack *s, const uint8_t addr[4], unsigned prefix)
{
	memcpy(s->ip4, addr, 4);
	for (unsigned i = 0; i < 4; i++) {
		unsigned bits = prefix > 8 * i ? prefix - 8 * i : 0;

		s->mask4[i] = bits >= 8 ? 0xFF : (uint8_t)(0xFF00u >> bits);
	}
	s->has4 = true;
}

void stack_set_ip6(struct stack *s, const uint8_t addr[16])
{
	memcpy(s->ip6, addr, 16);
	s->has6 = true;
}

const uint8_t *stack_neigh(const struct stack *s, bool v6, const uint8_t *ip)
{
	for (unsigned i = 0; i < STK_NEIGH; i++)
		if (s->nb[i].valid && s->nb[i].v6 == v6 && !memcmp(s->nb[i].ip, ip, v6 ? 16 : 4))
			return s->nb[i].mac;
	return NULL;
}

static void learn(struct stack *s, bool v6, const uint8_t *ip, const uint8_t mac[6])
{
	struct stk_neigh *n = NULL;

	if (mac[0] & 1)
		return;
	for (unsigned i = 0; i < STK_NEIGH; i++)
		if (s->nb[i].valid && s->nb[i].v6 == v6 && !memcmp(s->nb[i].ip, ip, v6 ? 16 : 4))
			n = &s->nb[i];
	if (!n) {
		n = &s->nb[s->nb_next++ % STK_NEIGH];
		memset(n, 0, sizeof(*n));
		n->valid = true;
		n->v6 = v6;
		memcpy(n->ip, ip, v6 ? 16 : 4);
	}
	memcpy(n->mac, mac, 6);
}

int stack_neigh_add(struct stack *s, bool v6, const uint8_t *ip, const uint8_t mac[6])
{
	if (mac[0] & 1)
		return -EINVAL;
	learn(s, v6, ip, mac);
	return 0;
}

static bool ip4_is_mcast(const uint8_t *d)
{
	return (d[0] & 0xF0) == 0xE0;
}

void stack_mcast_mac4(const uint8_t group[4], uint8_t mac[6])
{
	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5E;
	mac[3] = group[1] & 0x7F;
	mac[4] = group[2];
	mac[5] = group[3];
}

int stack_join4(struct stack *s, const uint8_t group[4])
{
	if (!ip4_is_mcast(group))
		return -EINVAL;
	for (unsigned i = 0; i < s->ngroups4; i++)
		if (!memcmp(s->groups4[i], group, 4))
			return 0;
	if (s->ngroups4 >= STK_GROUPS)
		return -ENOSPC;
	memcpy(s->groups4[s->ngroups4++], group, 4);
	return 0;
}

static bool joined4(const struct stack *s, const uint8_t *d)
{
	for (unsigned i = 0; i < s->ngroups4; i++)
		if (!memcmp(s->groups4[i], d, 4))
			return true;
	return false;
}

static int emit(struct stack *s, enum stk_tx_kind k, const uint8_t *buf, uint32_t len,
		const uint8_t *nh4, uint8_t cast)
{
	int rc = s->tx ? s->tx(s->tx_ctx, k, buf, len, nh4, cast) : -ENOTCONN;

	if (rc < 0)
		s->st.tx_err++;
	return rc;
}

static uint8_t *eth_hdr(struct stack *s, const uint8_t dst[6], uint16_t type)
{
	memcpy(s->txbuf, dst, 6);
	memcpy(s->txbuf + 6, s->mac, 6);
	be_put16(s->txbuf + 12, type);
	return s->txbuf + 14;
}

/* ---- ARP ---------------------------------------------------------------------- */

static int arp_send(struct stack *s, uint16_t op, const uint8_t dmac[6], const uint8_t tha[6],
		    const uint8_t tpa[4])
{
	uint8_t *a = eth_hdr(s, dmac, ETH_P_ARP);

	be_put16(a, 1);
	be_put16(a + 2, ETH_P_IPV4);
	a[4] = 6;
	a[5] = 4;
	be_put16(a + 6, op);
	memcpy(a + 8, s->mac, 6);
	memcpy(a + 14, s->ip4, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, tpa, 4);
	memset(a + ARP_LEN, 0, 60 - 14 - ARP_LEN);	/* pad to the Ethernet minimum */
	return emit(s, STK_TX_ETH, s->txbuf, 60, NULL, 0);
}

int stack_arp_request(struct stack *s, const uint8_t addr[4])
{
	static const uint8_t zero[6];

	if (s->layer != 2 || !s->has4)
		return -EINVAL;
	s->st.arp_req_tx++;
	return arp_send(s, 1, bcast_mac, zero, addr);
}

static void rx_arp(struct stack *s, const uint8_t *a, uint32_t len)
{
	uint16_t op;

	if (len < ARP_LEN || be_get16(a) != 1 || be_get16(a + 2) != ETH_P_IPV4 || a[4] != 6 ||
	    a[5] != 4) {
		s->st.rx_bad++;
		return;
	}
	op = be_get16(a + 6);
	if (!s->has4 || memcmp(a + 24, s->ip4, 4)) {
		s->st.rx_not_mine++;
		return;
	}
	learn(s, false, a + 14, a + 8);
	if (op == 1) {
		s->st.arp_req_rx++;
		s->st.arp_rep_tx++;
		arp_send(s, 2, a + 8, a + 8, a + 14);
	} else if (op == 2) {
		s->st.arp_rep_rx++;
	}
}

/* ---- IPv4 --------------------------------------------------------------------- */

static bool ip4_is_bcast(const struct stack *s, const uint8_t *d)
{
	bool all = (d[0] & d[1] & d[2] & d[3]) == 0xFF;
	bool subnet = s->has4;

	for (int i = 0; i < 4 && subnet; i++)
		if ((d[i] | s->mask4[i]) != 0xFF || (d[i] & s->mask4[i]) != (s->ip4[i] & s->mask4[i]))
			subnet = false;
	return all || subnet;
}

/* Build IPv4 + ICMP echo at p; returns the IP length. */
static uint32_t build_echo4(struct stack *s, uint8_t *p, const uint8_t dst[4], uint8_t type,
			    uint16_t id, uint16_t seq, const uint8_t *data, uint32_t dlen)
{
	uint32_t tot = IP4_HLEN + 8 + dlen;
	uint8_t *ic = p + IP4_HLEN;

	p[0] = 0x45;
	p[1] = 0;
	be_put16(p + 2, (uint16_t)tot);
	be_put16(p + 4, seq);
	be_put16(p + 6, 0x4000);
	p[8] = 64;
	p[9] = PROTO_ICMP;
	be_put16(p + 10, 0);
	memcpy(p + 12, s->ip4, 4);
	memcpy(p + 16, dst, 4);
	be_put16(p + 10, stack_csum(p, IP4_HLEN, 0));
	ic[0] = type;
	ic[1] = 0;
	be_put16(ic + 2, 0);
	be_put16(ic + 4, id);
	be_put16(ic + 6, seq);
	if (data)
		memmove(ic + 8, data, dlen);
	else
		for (uint32_t i = 0; i < dlen; i++)
			ic[8 + i] = (uint8_t)i;
	be_put16(ic + 2, stack_csum(ic, 8 + dlen, 0));
	return tot;
}

static int send_ip4(struct stack *s, const uint8_t dst[4], const uint8_t *dmac, uint32_t iplen)
{
	uint8_t cast = ip4_is_bcast(s, dst) ? STK_CAST_BCAST
		       : ip4_is_mcast(dst) ? STK_CAST_MCAST : STK_CAST_UCAST;

	if (s->layer == 2)
		return emit(s, STK_TX_ETH, s->txbuf, 14 + iplen, NULL, 0);
	(void)dmac;
	return emit(s, STK_TX_IP4, s->txbuf, iplen, dst, cast);
}

int stack_ping4(struct stack *s, const uint8_t dst[4], uint16_t seq, uint32_t plen)
{
	const uint8_t *dmac = bcast_mac;
	uint8_t *p = s->txbuf, gmac[6];
	uint32_t n;

	if (!s->has4 || plen > PING_MAX)
		return -EINVAL;
	if (s->layer == 2) {
		if (ip4_is_mcast(dst)) {
			stack_mcast_mac4(dst, gmac);
			dmac = gmac;
		} else if (!ip4_is_bcast(s, dst)) {
			dmac = stack_neigh(s, false, dst);
			if (!dmac) {
				stack_arp_request(s, dst);
				return -EAGAIN;
			}
		}
		p = eth_hdr(s, dmac, ETH_P_IPV4);
	}
	n = build_echo4(s, p, dst, ICMP_ECHO_REQ, s->ping_id, seq, NULL, plen);
	s->st.echo_req_tx++;
	return send_ip4(s, dst, dmac, n);
}

static void note_replier(struct stack *s, const uint8_t src[4])
{
	for (unsigned i = 0; i < s->nrepl4 && i < STK_REPLIERS; i++)
		if (!memcmp(s->repl4[i], src, 4))
			return;
	if (s->nrepl4 < STK_REPLIERS)
		memcpy(s->repl4[s->nrepl4++], src, 4);
}

static void rx_ip4(struct stack *s, const uint8_t *smac, const uint8_t *p, uint32_t len)
{
	uint32_t hl, tot;
	const uint8_t *ic;
	bool bc, mc;

	if (len < IP4_HLEN || (p[0] >> 4) != 4) {
		s->st.rx_bad++;
		return;
	}
	hl = (uint32_t)(p[0] & 0xF) * 4;
	tot = be_get16(p + 2);
	if (hl < IP4_HLEN || tot < hl || tot > len) {
		s->st.rx_bad++;
		return;
	}
	if (stack_csum(p, hl, 0) != 0) {
		s->st.rx_csum++;
		return;
	}
	bc = ip4_is_bcast(s, p + 16);
	mc = ip4_is_mcast(p + 16) && joined4(s, p + 16);
	if (!s->has4 || (!bc && !mc && memcmp(p + 16, s->ip4, 4))) {
		s->st.rx_not_mine++;
		return;
	}
	if (bc)
		s->st.rx_bcast++;
	if (mc)
		s->st.rx_mcast++;
	if (p[9] != PROTO_ICMP || (be_get16(p + 6) & 0x3FFF))
		return;	/* only whole ICMP datagrams */
	ic = p + hl;
	if (tot - hl < 8) {
		s->st.rx_bad++;
		return;
	}
	if (stack_csum(ic, tot - hl, 0) != 0) {
		s->st.rx_csum++;
		return;
	}
	if (ic[0] == ICMP_ECHO_REP) {
		if (be_get16(ic + 4) == s->ping_id) {
			s->st.echo_rep_rx++;
			note_replier(s, p + 12);
		}
		return;
	}
	if (ic[0] != ICMP_ECHO_REQ || tot - hl - 8 > PING_MAX)
		return;
	s->st.echo_req_rx++;
	{
		uint8_t src[4];
		uint8_t *q = s->txbuf;
		uint32_t n;

		memcpy(src, p + 12, 4);
		if (s->layer == 2) {
			if (!smac) {
				s->st.rx_bad++;
				return;
			}
			learn(s, false, src, smac);
			q = eth_hdr(s, smac, ETH_P_IPV4);
		}
		/* The data is copied from the received packet (separate buffer). */
		n = build_echo4(s, q, src, ICMP_ECHO_REP, be_get16(ic + 4), be_get16(ic + 6),
				ic + 8, tot - hl - 8);
		s->st.echo_rep_tx++;
		if (s->layer == 2)
			emit(s, STK_TX_ETH, s->txbuf, 14 + n, NULL, 0);
		else
			emit(s, STK_TX_IP4, s->txbuf, n, src, STK_CAST_UCAST);
	}
}

/* ---- IPv6 --------------------------------------------------------------------- */

static bool ip6_mine(const struct stack *s, const uint8_t *a)
{
	return !memcmp(a, s->ll6, 16) || (s->has6 && !memcmp(a, s->ip6, 16));
}

/* Write IPv6 + ICMPv6 (body already at p + 40, blen bytes) and send it. */
static int send_icmp6(struct stack *s, uint8_t *p, const uint8_t dmac[6], const uint8_t *src,
		      const uint8_t dst[16], uint32_t blen, uint8_t hops)
{
	uint8_t *ic = p + IP6_HLEN;
	uint8_t cast = dst[0] == 0xFF ? STK_CAST_MCAST : STK_CAST_UCAST;

	be_put32(p, 0x60000000u);
	be_put16(p + 4, (uint16_t)blen);
	p[6] = PROTO_ICMP6;
	p[7] = hops;
	memmove(p + 8, src, 16);
	memmove(p + 24, dst, 16);
	be_put16(ic + 2, 0);
	be_put16(ic + 2, stack_csum(ic, blen, pseudo6(p + 8, p + 24, blen, PROTO_ICMP6)));
	(void)dmac;
	return emit(s, s->layer == 2 ? STK_TX_ETH : STK_TX_ETH6, s->txbuf, 14 + IP6_HLEN + blen,
		    NULL, cast);
}

static int send_ns(struct stack *s, const uint8_t target[16])
{
	uint8_t ip[16], mac[6];
	uint8_t *p, *ic;

	ip6_solicited_node(target, ip, mac);
	p = eth_hdr(s, mac, ETH_P_IPV6);
	ic = p + IP6_HLEN;
	ic[0] = ICMP6_NS;
	ic[1] = 0;
	be_put32(ic + 4, 0);
	memcpy(ic + 8, target, 16);
	ic[24] = 1;	/* source link-layer address option */
	ic[25] = 1;
	memcpy(ic + 26, s->mac, 6);
	s->st.ns_tx++;
	return send_icmp6(s, p, mac, s->ll6, ip, 32, 255);
}

static const uint8_t *src6_for(const struct stack *s, const uint8_t dst[16])
{
	bool ll = dst[0] == 0xFE && (dst[1] & 0xC0) == 0x80;

	return (ll || !s->has6) ? s->ll6 : s->ip6;
}

int stack_ping6(struct stack *s, const uint8_t dst[16], uint16_t seq, uint32_t plen)
{
	const uint8_t *dmac;
	uint8_t *p, *ic;

	if (plen > PING_MAX)
		return -EINVAL;
	dmac = stack_neigh(s, true, dst);
	if (!dmac) {
		send_ns(s, dst);
		return -EAGAIN;
	}
	p = eth_hdr(s, dmac, ETH_P_IPV6);
	ic = p + IP6_HLEN;
	ic[0] = ICMP6_ECHO_REQ;
	ic[1] = 0;
	be_put16(ic + 4, s->ping_id);
	be_put16(ic + 6, seq);
	for (uint32_t i = 0; i < plen; i++)
		ic[8 + i] = (uint8_t)i;
	s->st.echo6_req_tx++;
	return send_icmp6(s, p, dmac, src6_for(s, dst), dst, 8 + plen, 64);
}

static void rx_ip6(struct stack *s, const uint8_t *smac, const uint8_t *p, uint32_t len)
{
	static const uint8_t all_nodes[16] = { 0xFF, 0x02, [15] = 1 };
	uint8_t sn_ip[16], sn_mac[6];
	uint32_t plen;
	const uint8_t *ic;
	const uint8_t *dst = p + 24;

	if (len < IP6_HLEN || (p[0] >> 4) != 6) {
		s->st.rx_bad++;
		return;
	}
	plen = be_get16(p + 4);
	if (plen > len - IP6_HLEN) {
		s->st.rx_bad++;
		return;
	}
	if (p[6] != PROTO_ICMP6)
		return;
	ip6_solicited_node(s->ll6, sn_ip, sn_mac);
	if (!ip6_mine(s, dst) && memcmp(dst, all_nodes, 16) && memcmp(dst, sn_ip, 16)) {
		uint8_t g_ip[16], g_mac[6];

		ip6_solicited_node(s->ip6, g_ip, g_mac);
		if (!s->has6 || memcmp(dst, g_ip, 16)) {
			s->st.rx_not_mine++;
			return;
		}
	}
	ic = p + IP6_HLEN;
	if (plen < 8) {
		s->st.rx_bad++;
		return;
	}
	if (stack_csum(ic, plen, pseudo6(p + 8, p + 24, plen, PROTO_ICMP6)) != 0) {
		s->st.rx_csum++;
		return;
	}
	switch (ic[0]) {
	case ICMP6_ECHO_REP:
		if (be_get16(ic + 4) == s->ping_id)
			s->st.echo6_rep_rx++;
		return;
	case ICMP6_ECHO_REQ: {
		uint8_t src[16], *q, *oc;

		if (plen - 8 > PING_MAX || !smac)
			return;
		s->st.echo6_req_rx++;
		memcpy(src, p + 8, 16);
		learn(s, true, src, smac);
		q = eth_hdr(s, smac, ETH_P_IPV6);
		oc = q + IP6_HLEN;
		memcpy(oc, ic, plen);
		oc[0] = ICMP6_ECHO_REP;
		s->st.echo6_rep_tx++;
		send_icmp6(s, q, smac, ip6_mine(s, dst) ? dst : src6_for(s, src), src, plen, 64);
		return;
	}
	case ICMP6_NS: {
		uint8_t src[16], tgt[16], *q, *oc;

		if (plen < 24 || p[7] != 255) {
			s->st.rx_bad++;
			return;
		}
		s->st.ns_rx++;
		memcpy(tgt, ic + 8, 16);
		memcpy(src, p + 8, 16);
		if (!ip6_mine(s, tgt))
			return;
		if (plen >= 32 && ic[24] == 1 && ic[25] == 1)
			learn(s, true, src, ic + 26);
		else if (smac)
			learn(s, true, src, smac);
		if (!smac && !stack_neigh(s, true, src))
			return;
		{
			const uint8_t *dmac = smac ? smac : stack_neigh(s, true, src);
			uint8_t dm[6];

			memcpy(dm, dmac, 6);
			q = eth_hdr(s, dm, ETH_P_IPV6);
			oc = q + IP6_HLEN;
			oc[0] = ICMP6_NA;
			oc[1] = 0;
			be_put32(oc + 4, 0x60000000u);	/* solicited, override */
			memcpy(oc + 8, tgt, 16);
			oc[24] = 2;	/* target link-layer address option */
			oc[25] = 1;
			memcpy(oc + 26, s->mac, 6);
			s->st.na_tx++;
			send_icmp6(s, q, dm, tgt, src, 32, 255);
		}
		return;
	}
	case ICMP6_NA:
		if (plen < 24 || p[7] != 255) {
			s->st.rx_bad++;
			return;
		}
		s->st.na_rx++;
		if (plen >= 32 && ic[24] == 2 && ic[25] == 1)
			learn(s, true, ic + 8, ic + 26);
		else if (smac)
			learn(s, true, ic + 8, smac);
		return;
	default:
		return;
	}
}

/* ---- input ------------------------------------------------------------------ */

void stack_rx_eth(struct stack *s, const uint8_t *f, uint32_t len)
{
	uint16_t type;

	s->st.rx++;
	if (len < 14) {
		s->st.rx_bad++;
		return;
	}
	if (!(f[0] & 1) && memcmp(f, s->mac, 6)) {
		s->st.rx_not_mine++;
		return;
	}
	type = be_get16(f + 12);
	if (type == 0x8100) {
		/* A VLAN interface's frame (trunk port): seen, not parsed further. */
		s->st.rx_tagged++;
		if (len >= 18)
			s->st.last_vid = be_get16(f + 14) & 0x0FFF;
		return;
	}
	if (type == ETH_P_ARP)
		rx_arp(s, f + 14, len - 14);
	else if (type == ETH_P_IPV4)
		rx_ip4(s, f + 6, f + 14, len - 14);
	else if (type == ETH_P_IPV6)
		rx_ip6(s, f + 6, f + 14, len - 14);
}

void stack_rx_l3(struct stack *s, const uint8_t *qh, const uint8_t *data, uint32_t len)
{
	uint8_t flags = qh[1];

	if (flags & QH_L3_PASSTHRU) {
		stack_rx_eth(s, data, len);
		return;
	}
	s->st.rx++;
	if (len < 1) {
		s->st.rx_bad++;
		return;
	}
	/* Like Linux, the link header rebuilt for an unframed IPv6 packet carries the
	 * sender's MAC when the adapter gave one; replies go back to it. */
	if ((flags & QH_L3_IPV6) || (data[0] >> 4) == 6)
		rx_ip6(s, (qh[0x0B] & QH_L3_EXT_SRC_MAC) ? qh + 0x12 : NULL, data, len);
	else
		rx_ip4(s, NULL, data, len);
}
