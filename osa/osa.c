/* osa/osa.c - the OSA-Express wire engine: port_ops of the OSA's NICBK over a wire
 * provider; layer-3 ARP/ND/framing/filtering, layer-2 MAC filtering, link monitoring. */
#include "osa/osa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cpnet.h"
#include <sys/random.h>
#include <time.h>

#include "lib/be.h"
#include "lib/csum.h"
#include "qeth/ipa.h"
#include "vnic/offload.h"

#define ETH_HLEN 14u
#define VLAN_HLEN 4u
#define ETH_MIN 60u			/* shortest frame on an Ethernet (without FCS) */
#define ET_IP4 0x0800
#define ET_ARP 0x0806
#define ET_IP6 0x86DD
#define ET_VLAN 0x8100
#define ARP_PLEN 28u
#define ARP_OP_REQ 1
#define ARP_OP_REP 2
#define IP4_BCAST 0xFFFFFFFFu
#define IP6_HLEN 40u
#define PROTO_ICMP6 58
#define ND_RS 133
#define ND_RA 134
#define ND_NS 135
#define ND_NA 136
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define NA_SOLICITED 0x40		/* NA flags byte: R 0x80, S 0x40, O 0x20 */
#define NA_OVERRIDE 0x20
#define ND_LEN 32u			/* NS/NA with one link-layer address option */
#define ND_MAX 1280u			/* largest guest ND message rewritten (IPv6 minimum MTU) */

static const uint8_t bcast_mac[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t zero_mac[6];
static const uint8_t all_nodes6[16] = { 0xFF, 0x02, [15] = 1 };
static const uint8_t zero6[16];

/* ---- small helpers --------------------------------------------------------------- */

static uint64_t now_ms(struct osa *o)
{
	struct timespec ts;

	if (o->cfg.clock_ms)
		return o->cfg.clock_ms(o->cfg.clock_ctx);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool is_group(const uint8_t *mac) { return (mac[0] & 1) != 0; }
static bool is_bcast(const uint8_t *mac) { return !memcmp(mac, bcast_mac, 6); }

static void rx_drop(struct osa *o, enum osa_drop why) { o->st.rx_drop[why]++; }
static void tx_drop(struct osa *o, enum osa_drop why) { o->st.tx_drop[why]++; }
static void rx_large_follow(struct osa *o);

/* ARP_PLEN bytes of ARP: Ethernet/IPv4, a request or a reply (both directions). */
static bool arp_wellformed(const uint8_t *a)
{
	uint16_t op = be_get16(a + 6);

	return be_get16(a) == 1 && be_get16(a + 2) == ET_IP4 && a[4] == 6 && a[5] == 4 &&
	       (op == ARP_OP_REQ || op == ARP_OP_REP);
}

/* The address table's entry of an IPv4 address, or NULL. */
static struct atab_entry *find4(const struct osa *o, uint32_t a)
{
	uint8_t k[4];

	be_put32(k, a);
	return atab_find(&o->at, ATAB_V4, k);
}

static int find_ip4(const struct osa *o, uint32_t a)
{
	return find4(o, a) ? 0 : -1;
}

/* Subnet-directed broadcast of one of our addresses (host part all ones): one probe of
 * the table's derived set, not a walk (a frame for an address not held asks it). */
static bool directed_bcast(const struct osa *o, uint32_t a)
{
	return atab_v4_bcast(&o->at, a);
}

static int find_ip6(const struct osa *o, const uint8_t *a)
{
	return atab_find(&o->at, ATAB_V6, a) ? 0 : -1;
}

/* An inbound frame used an entry: a hit, and the clock's reference bit. */
static void addr_used(struct osa *o, struct atab_entry *e)
{
	if (!e->ref)
		e->ref = true;	/* no store per frame once set: the line stays clean */
	if (!o->releasing)
		o->st.addr_hits++;	/* a held frame going in was counted as a miss */
}

static int find_ipm4(const struct osa *o, uint32_t a)
{
	for (unsigned i = 0; i < o->nipm4; i++)
		if (o->ipm4[i] == a)
			return (int)i;
	return -1;
}

static int find_ipm6(const struct osa *o, const uint8_t *a)
{
	for (unsigned i = 0; i < o->nipm6; i++)
		if (!memcmp(o->ipm6[i], a, 16))
			return (int)i;
	return -1;
}

/* ff02::1:ffXX:XXXX of a registered unicast address: Neighbor Discovery for the
 * addresses the OSA owns reaches their owner even if it did not SETIPM the group. */
static bool solicited_for_ours(const struct osa *o, const uint8_t *a)
{
	static const uint8_t pre[13] = { 0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF };

	return !memcmp(a, pre, 13) && atab_v6_solicited(&o->at, a + 13);
}

/* RFC 2464: an IPv6 multicast address goes to 33:33 and its low 32 bits. */
static void mcast6_mac(const uint8_t *ip, uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, ip + 12, 4);
}

/* Cache keys: IPv4 next hops are ::ffff:a.b.c.d (arp_key4), never an IPv6 next hop. */
static bool key_is_v4(const uint8_t *k)
{
	static const uint8_t pre[12] = { [10] = 0xFF, [11] = 0xFF };

	return !memcmp(k, pre, 12);
}

static struct arp_cache *cache_of(struct osa *o, const uint8_t *key)
{
	return key_is_v4(key) ? &o->arp : &o->nd;
}

/* The ICMPv6 checksum of `len` bytes at `ic` (checksum field included) with the
 * pseudo header; a received message is intact when this is 0. */
static uint16_t icmp6_csum(const uint8_t *src, const uint8_t *dst, const uint8_t *ic,
			   uint32_t len)
{
	uint32_t sum = PROTO_ICMP6 + (len >> 16) + (len & 0xFFFF), i;

	for (i = 0; i < 16; i += 2)
		sum += be_get16(src + i) + be_get16(dst + i);
	for (i = 0; i + 1 < len; i += 2)
		sum += be_get16(ic + i);
	if (i < len)
		sum += (uint32_t)ic[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A group MAC registered with SETGMAC. */
static int find_gmac(const struct osa *o, const uint8_t *mac)
{
	for (unsigned i = 0; i < o->nmacs; i++)
		if (!memcmp(o->macs[i], mac, 6))
			return (int)i;
	return -1;
}

static bool vlan_on(const struct osa *o, uint16_t vid)
{
	return (o->vlans[vid / 8] & (1u << (vid % 8))) != 0;
}

/* Write an Ethernet header (with an 802.1Q tag when vlan != 0); returns its length. */
static uint32_t eth_hdr(uint8_t *h, const uint8_t *dst, const uint8_t *src, uint16_t vlan,
			uint16_t type)
{
	memcpy(h, dst, 6);
	memcpy(h + 6, src, 6);
	if (vlan) {
		be_put16(h + 12, ET_VLAN);
		be_put16(h + 14, vlan & 0x0FFF);
		be_put16(h + 16, type);
		return ETH_HLEN + VLAN_HLEN;
	}
	be_put16(h + 12, type);
	return ETH_HLEN;
}

/* ---- transmit ---------------------------------------------------------------------- */

/* Frames gathered for one wire_send_batch: each frame's iovecs point at the sender's
 * spans (valid until port_tx returns, when the batch is sent) and at its own copy of
 * the link header the OSA built. */
struct osa_txb {
	unsigned n, niov;
	struct wire_txf f[OSA_TX_BATCH];
	struct iovec iov[OSA_TX_BATCH * WIRE_IOV_MAX];
	uint8_t hdr[OSA_TX_BATCH][OSA_TX_HDR];
};

/* Send what is gathered, count each frame's outcome; returns the last frame's rc. */
static int tx_flush(struct osa *o)
{
	struct osa_txb *t = o->txb;
	int rc = 0;

	if (!t->n)
		return 0;
	wire_send_batch(&o->wire, t->f, t->n);
	for (unsigned i = 0; i < t->n; i++) {
		rc = t->f[i].rc;
		if (rc < 0) {
			tx_drop(o, rc == -ENETDOWN ? OSA_D_LINK : OSA_D_WIRE);
			continue;
		}
		o->st.tx_frames++;
		o->st.tx_bytes += t->f[i].len;
	}
	t->n = t->niov = 0;
	return rc;
}

/*
 * One frame to the wire: an optional header the OSA built (copied, at most
 * OSA_TX_HDR), then `plen` bytes of the span list starting at byte `skip`, as one
 * gather added to the send batch.  The spans must stay valid until tx_flush (the end
 * of osa_port_tx); frames the OSA keeps only on its stack go out with emit_now.
 * 0 or a negative errno (counted).
 */
static int emit(struct osa *o, const uint8_t *hdr, uint32_t hlen, const struct qdio_span *sp,
		unsigned nsp, uint32_t skip, uint32_t plen)
{
	struct osa_txb *t = o->txb;
	struct iovec *iov;
	unsigned k = 0;
	uint32_t left = plen, skipped = skip;

	if (hlen > OSA_TX_HDR) {
		tx_drop(o, OSA_D_BADFRAME);
		return -EMSGSIZE;
	}
	if (t->n == OSA_TX_BATCH)
		tx_flush(o);
	iov = &t->iov[t->niov];
	if (hlen) {
		memcpy(t->hdr[t->n], hdr, hlen);
		iov[k].iov_base = t->hdr[t->n];
		iov[k++].iov_len = hlen;
	}
	for (unsigned s = 0; s < nsp && left; s++) {
		uint32_t len = sp[s].len, n;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		if (k == WIRE_IOV_MAX) {
			tx_drop(o, OSA_D_BADFRAME);
			return -EMSGSIZE;
		}
		n = len - skip;
		if (n > left)
			n = left;
		iov[k].iov_base = (void *)(uintptr_t)(sp[s].ptr + skip);
		iov[k++].iov_len = n;
		left -= n;
		skip = 0;
	}
	if (left) {
		/* The spans are shorter than the length the frame claims. */
		tx_drop(o, OSA_D_BADFRAME);
		return -EBADMSG;
	}
	t->f[t->n].iov = iov;
	t->f[t->n].niov = k;
	t->f[t->n].len = hlen + plen;
	t->f[t->n].rc = 0;
	t->f[t->n].ofl = (struct wire_ofl){ 0 };
	if (o->tx_ofl) {
		/* Offsets of the frame tx_offload handed in, now behind the link header
		 * the OSA put in place of its first `skip` bytes. */
		struct wire_ofl w = *o->tx_ofl;

		w.csum_start = (uint16_t)(w.csum_start - skipped + hlen);
		if (w.gso)
			w.hdr_len = (uint16_t)(w.hdr_len - skipped + hlen);
		t->f[t->n].ofl = w;
		o->st.tx_offloaded++;
	}
	t->n++;
	t->niov += k;
	return 0;
}

/* A frame whose bytes live only until the caller returns: send it (and what was
 * gathered before it, keeping the order) now.  Its rc. */
static int emit_now(struct osa *o, const uint8_t *hdr, uint32_t hlen, const struct qdio_span *sp,
		    unsigned nsp, uint32_t skip, uint32_t plen)
{
	int rc = emit(o, hdr, hlen, sp, nsp, skip, plen);

	return rc < 0 ? rc : tx_flush(o);
}

/* A whole frame the OSA built itself (ARP), padded to the Ethernet minimum. */
static int emit_own(struct osa *o, uint8_t *frame, uint32_t len, uint32_t cap)
{
	struct qdio_span sp;

	if (len < ETH_MIN && cap >= ETH_MIN) {
		memset(frame + len, 0, ETH_MIN - len);
		len = ETH_MIN;
	}
	sp.ptr = frame;
	sp.len = len;
	return emit_now(o, NULL, 0, &sp, 1, 0, len);
}

/* The address we speak from towards `peer`: a registered IPv4 in its subnet, else
 * the first registered one, else 0 (an ARP probe). */
static uint32_t source_for(const struct osa *o, uint32_t peer)
{
	uint32_t first = 0;

	for (unsigned i = 0; i < o->at.n; i++) {
		const struct atab_entry *e = &o->at.e[i];
		uint32_t ip = be_get32(e->addr);

		if (e->kind != ATAB_V4)
			continue;
		if ((ip & e->mask) == (peer & e->mask))
			return ip;
		if (!first)
			first = ip;
	}
	return first;
}

static int send_arp(struct osa *o, uint16_t op, uint16_t vlan, const uint8_t *eth_dst,
		    uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	uint8_t f[ETH_MIN + VLAN_HLEN];
	uint32_t hl = eth_hdr(f, eth_dst, o->mac, vlan, ET_ARP);
	uint8_t *a = f + hl;

	be_put16(a, 1);			/* Ethernet */
	be_put16(a + 2, ET_IP4);
	a[4] = 6;
	a[5] = 4;
	be_put16(a + 6, op);
	memcpy(a + 8, o->mac, 6);
	be_put32(a + 14, spa);
	memcpy(a + 18, tha, 6);
	be_put32(a + 24, tpa);
	return emit_own(o, f, hl + ARP_PLEN, sizeof(f));
}

/* Gratuitous ARP for an address the OSA took over: neighbours and switches relearn. */
static void garp(struct osa *o, uint32_t ip)
{
	if (!o->link_up || !o->started)
		return;
	if (send_arp(o, ARP_OP_REQ, 0, bcast_mac, ip, zero_mac, ip) == 0)
		o->st.arp_garp_tx++;
}

/* One NS or NA (type) the OSA built: IPv6 + ICMPv6 with one link-layer address option
 * carrying the OSA's MAC, hop limit 255 as RFC 4861 requires. */
static int send_nd(struct osa *o, uint8_t type, uint8_t flags, uint16_t vlan,
		   const uint8_t *eth_dst, const uint8_t *src, const uint8_t *dst,
		   const uint8_t *target)
{
	uint8_t f[ETH_HLEN + VLAN_HLEN + IP6_HLEN + ND_LEN];
	uint32_t hl = eth_hdr(f, eth_dst, o->mac, vlan, ET_IP6);
	uint8_t *ip = f + hl, *ic = ip + IP6_HLEN;

	be_put32(ip, 0x60000000u);
	be_put16(ip + 4, ND_LEN);
	ip[6] = PROTO_ICMP6;
	ip[7] = 255;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	memset(ic, 0, ND_LEN);
	ic[0] = type;
	ic[4] = flags;
	memcpy(ic + 8, target, 16);
	ic[24] = type == ND_NS ? ND_OPT_SLLA : ND_OPT_TLLA;
	ic[25] = 1;			/* 8 bytes */
	memcpy(ic + 26, o->mac, 6);
	be_put16(ic + 2, icmp6_csum(src, dst, ic, ND_LEN));
	return emit_own(o, f, hl + IP6_HLEN + ND_LEN, sizeof(f));
}

/* The address we solicit from: a registered one in the target's /64 (link-local
 * included), else the first registered one; NULL when none is (we cannot be answered). */
static const uint8_t *source6_for(const struct osa *o, const uint8_t *target)
{
	const uint8_t *first = NULL;

	for (unsigned i = 0; i < o->at.n; i++) {
		const struct atab_entry *e = &o->at.e[i];

		if (e->kind != ATAB_V6)
			continue;
		if (!memcmp(e->addr, target, 8))
			return e->addr;
		if (!first)
			first = e->addr;
	}
	return first;
}

/* Ask for a next hop: an ARP request (IPv4) or a Neighbor Solicitation (IPv6). */
static void resolve_ask(struct osa *o, struct arp_entry *e, uint64_t now)
{
	e->tries++;
	e->sent = now;
	if (key_is_v4(e->ip)) {
		uint32_t ip = be_get32(e->ip + 12);

		if (send_arp(o, ARP_OP_REQ, e->vlan, bcast_mac, source_for(o, ip), zero_mac,
			     ip) == 0)
			o->st.arp_req_tx++;
	} else {
		const uint8_t *src = source6_for(o, e->ip);
		uint8_t sn[16], mac[6];

		ip6_solicited_node(e->ip, sn, mac);
		if (src && send_nd(o, ND_NS, 0, e->vlan, mac, src, sn, e->ip) == 0)
			o->st.nd_ns_tx++;
	}
}

/* Unsolicited NA (override) to all nodes for an address the OSA took over: the IPv6
 * counterpart of the gratuitous ARP, so neighbours replace a MAC they cached. */
static void unsolicited_na(struct osa *o, const uint8_t *ip)
{
	uint8_t mac[6];

	if (!o->link_up || !o->started)
		return;
	mcast6_mac(all_nodes6, mac);
	if (send_nd(o, ND_NA, NA_OVERRIDE, 0, mac, ip, all_nodes6, ip) == 0)
		o->st.nd_unsol_tx++;
}

/* Send (mac known) or drop (why) every packet queued for (key, vlan). */
static void release_queue(struct osa *o, const uint8_t *key, uint16_t vlan, const uint8_t *mac,
			  enum osa_drop why)
{
	for (unsigned i = 0; i < OSA_ARPQ; i++) {
		struct osa_q *q = &o->q[i];
		uint8_t *f = o->qbuf + (size_t)i * WIRE_FRAME_MAX;
		struct qdio_span sp = { f, q->len };

		if (!q->used || memcmp(q->nh, key, 16) || q->vlan != vlan)
			continue;
		q->used = false;
		if (!mac) {
			tx_drop(o, why);
			continue;
		}
		memcpy(f, mac, 6);
		if (emit_now(o, NULL, 0, &sp, 1, 0, q->len) == 0)
			o->st.arp_released++;
	}
}

static void drop_queue_all(struct osa *o, enum osa_drop why)
{
	for (unsigned i = 0; i < OSA_ARPQ; i++) {
		if (o->q[i].used) {
			o->q[i].used = false;
			tx_drop(o, why);
		}
	}
}

/* Next hop (cache key nh) unknown: keep a copy of the frame (header + `plen` bytes of
 * the spans from `skip`) and ask. */
static void queue_frame(struct osa *o, const uint8_t *hdr, uint32_t hl, const struct qdio_span *sp,
			unsigned nsp, uint32_t skip, uint32_t plen, const uint8_t *nh,
			uint16_t vlan, uint64_t now)
{
	struct arp_entry *e;
	struct osa_q *q = NULL;
	unsigned i;

	if (o->tx_ofl) {
		/* A frame the wire would finish does not fit the queue: osa_port_tx cuts
		 * it (ofl_finish) and its segments wait here one by one. */
		o->tx_ofl_wait = true;
		return;
	}
	for (i = 0; i < OSA_ARPQ && !q; i++)
		if (!o->q[i].used)
			q = &o->q[i];
	if (!q || hl + plen > WIRE_FRAME_MAX) {
		tx_drop(o, OSA_D_ARPQ_FULL);
	} else {
		uint8_t *buf = o->qbuf + (size_t)(q - o->q) * WIRE_FRAME_MAX;

		memcpy(buf, hdr, hl);
		if (qdio_spans_copy(sp, nsp, skip, buf + hl, plen) != plen) {
			tx_drop(o, OSA_D_BADFRAME);
			return;
		}
		q->used = true;
		memcpy(q->nh, nh, 16);
		q->vlan = vlan;
		q->hlen = (uint16_t)hl;
		q->len = hl + plen;
		q->since = now;
		o->st.arp_queued++;
	}
	e = arp_get(cache_of(o, nh), nh, vlan, now);
	/* One request per retry interval however many packets wait. */
	if (e->tries == 0 || now - e->sent >= ARP_RETRY_MS)
		if (e->tries < ARP_TRIES)
			resolve_ask(o, e, now);
}

/* The largest frame the wire puts out for `len` bytes counted from byte `from` of the
 * frame tx_one has: a large send the wire cuts leaves as segments (headers + MSS). */
static uint32_t tx_size(const struct osa *o, uint32_t len, uint32_t from)
{
	const struct wire_ofl *w = o->tx_ofl;
	uint32_t seg;

	if (!w || !w->gso || w->hdr_len < from)
		return len;
	seg = w->hdr_len - from + w->gso_size;
	return seg < len ? seg : len;
}

static void tx_l3_ip(struct osa *o, const struct pframe *f, uint64_t *now)
{
	uint8_t ih[20], hdr[ETH_HLEN + VLAN_HLEN];
	uint8_t dmac[6], key[16];
	uint32_t dst, nh, hl;
	const struct arp_entry *e;

	if (f->ipv6 || f->len < sizeof(ih) ||
	    qdio_spans_copy(f->spans, f->nspans, 0, ih, sizeof(ih)) != sizeof(ih) ||
	    (ih[0] >> 4) != 4) {
		tx_drop(o, OSA_D_BADFRAME);
		return;
	}
	if (tx_size(o, f->len, 0) > o->mtu) {
		tx_drop(o, OSA_D_TOOBIG);
		return;
	}
	dst = be_get32(ih + 16);
	nh = be_get32(f->next_hop + 12);
	if (!nh)
		nh = dst;
	if (f->cast == PF_BROADCAST || nh == IP4_BCAST || dst == IP4_BCAST) {
		memcpy(dmac, bcast_mac, 6);
	} else if (f->cast == PF_MULTICAST || (dst >> 28) == 0xE) {
		dmac[0] = 0x01;
		dmac[1] = 0x00;
		dmac[2] = 0x5E;
		dmac[3] = (uint8_t)((dst >> 16) & 0x7F);
		dmac[4] = (uint8_t)(dst >> 8);
		dmac[5] = (uint8_t)dst;
	} else {
		if (!*now)
			*now = now_ms(o);
		arp_key4(nh, key);
		e = arp_lookup(&o->arp, key, f->vlan, *now);
		if (!e) {
			hl = eth_hdr(hdr, zero_mac, o->mac, f->vlan, ET_IP4);
			queue_frame(o, hdr, hl, f->spans, f->nspans, 0, f->len, key, f->vlan, *now);
			return;
		}
		memcpy(dmac, e->mac, 6);
	}
	hl = eth_hdr(hdr, dmac, o->mac, f->vlan, ET_IP4);
	emit(o, hdr, hl, f->spans, f->nspans, 0, f->len);
}

/*
 * The guest's own Neighbor Discovery (RS, RA, NS, NA) goes out with the OSA's MAC in
 * its link-layer address option (the guest's NIC MAC is nobody's on this LAN; hosts
 * must resolve the guest's addresses to the OSA).  p is a private copy of the packet;
 * the checksum is recomputed.  0, or -EBADMSG for options RFC 4861 calls malformed.
 */
static int nd_rewrite(struct osa *o, uint8_t *p, uint32_t plen)
{
	uint8_t *ic = p + IP6_HLEN;
	uint32_t il = plen - IP6_HLEN;
	uint32_t off = ic[0] == ND_RS ? 8 : ic[0] == ND_RA ? 16 : 24;
	uint8_t mine = ic[0] == ND_NA ? ND_OPT_TLLA : ND_OPT_SLLA;
	bool changed = false;

	if (il < off)
		return -EBADMSG;
	while (off < il) {
		uint32_t olen;

		if (il - off < 2 || ic[off + 1] == 0 || (olen = ic[off + 1] * 8u) > il - off)
			return -EBADMSG;
		if (ic[off] == mine && olen == 8) {
			memcpy(ic + off + 2, o->mac, 6);
			changed = true;
		}
		off += olen;
	}
	if (changed) {
		be_put16(ic + 2, 0);
		be_put16(ic + 2, icmp6_csum(p + 8, p + 24, ic, il));
		o->st.nd_rewritten++;
	}
	return 0;
}

/*
 * One outbound IPv6 packet (`avail` bytes of the spans from `skip`): the OSA frames it.
 * Multicast goes to 33:33 + the group's low 32 bits; unicast to the MAC of the next hop
 * (the header's, or the destination) from the ND cache, resolved by the OSA's own
 * Neighbor Solicitations while the packet waits in the queue shared with ARP.
 */
static void tx_ip6(struct osa *o, const struct qdio_span *sp, unsigned nsp, uint32_t skip,
		   uint32_t avail, const uint8_t *nh_hint, uint16_t vlan, uint64_t *now)
{
	uint8_t ih[IP6_HLEN + 1], hdr[ETH_HLEN + VLAN_HLEN], dmac[6], nb[ND_MAX];
	struct qdio_span one;
	const uint8_t *dst = ih + 24, *nh;
	const struct arp_entry *e;
	uint32_t plen, hl;

	if (avail < IP6_HLEN ||
	    qdio_spans_copy(sp, nsp, skip, ih, avail > IP6_HLEN ? IP6_HLEN + 1 : IP6_HLEN) <
		    IP6_HLEN ||
	    (ih[0] >> 4) != 6 || (plen = IP6_HLEN + be_get16(ih + 4)) > avail) {
		tx_drop(o, OSA_D_BADFRAME);
		return;
	}
	if (tx_size(o, plen, skip) > o->mtu) {
		tx_drop(o, OSA_D_TOOBIG);
		return;
	}
	if (ih[6] == PROTO_ICMP6 && plen > IP6_HLEN && ih[IP6_HLEN] >= ND_RS &&
	    ih[IP6_HLEN] <= ND_NA) {
		if (plen > sizeof(nb) || qdio_spans_copy(sp, nsp, skip, nb, plen) != plen) {
			tx_drop(o, OSA_D_BADFRAME);
			return;
		}
		if (nd_rewrite(o, nb, plen) < 0) {
			tx_drop(o, OSA_D_BADND);
			return;
		}
		one.ptr = nb;
		one.len = plen;
		sp = &one;
		nsp = 1;
		skip = 0;
	}
	if (dst[0] == 0xFF) {
		mcast6_mac(dst, dmac);
	} else {
		nh = nh_hint && memcmp(nh_hint, zero6, 16) && nh_hint[0] != 0xFF &&
		     !key_is_v4(nh_hint) ? nh_hint : dst;
		if (key_is_v4(nh) || !memcmp(nh, zero6, 16)) {
			tx_drop(o, OSA_D_BADFRAME);	/* nothing ND could resolve */
			return;
		}
		if (!*now)
			*now = now_ms(o);
		e = arp_lookup(&o->nd, nh, vlan, *now);
		if (!e) {
			hl = eth_hdr(hdr, zero_mac, o->mac, vlan, ET_IP6);
			queue_frame(o, hdr, hl, sp, nsp, skip, plen, nh, vlan, *now);
			return;
		}
		memcpy(dmac, e->mac, 6);
	}
	hl = eth_hdr(hdr, dmac, o->mac, vlan, ET_IP6);
	if (sp == &one)
		emit_now(o, hdr, hl, sp, nsp, skip, plen);	/* the rewritten ND message */
	else
		emit(o, hdr, hl, sp, nsp, skip, plen);
}

/*
 * A driver's passthrough ARP behind `hl` bytes of link header (tagged or not).  In
 * layer 3 the OSA owns ARP, so, as with the driver's ND messages, it goes out only
 * speaking for this OSA: well-formed Ethernet/IPv4 ARP, the sender IP one registered
 * here (what the OSA itself answers for), the sender MAC rewritten to the OSA's.
 * Otherwise a guest behind an IP VSWITCH could announce any address at any MAC on the
 * LAN.  The rewrite is done in a copy: the frame is the guest's storage.
 */
static void tx_arp(struct osa *o, const struct pframe *f, uint32_t hl)
{
	uint8_t in[ETH_HLEN + VLAN_HLEN + ARP_PLEN], fr[ETH_MIN + VLAN_HLEN];
	uint16_t vlan = f->vlan;
	uint32_t ol;

	if (f->len - hl < ARP_PLEN ||
	    qdio_spans_copy(f->spans, f->nspans, 0, in, hl + ARP_PLEN) != hl + ARP_PLEN ||
	    !arp_wellformed(in + hl)) {
		tx_drop(o, OSA_D_BADARP);
		return;
	}
	/* The VLAN is the one the frame came with (the switch's for its port), as for IP;
	 * a tag of the sender's own must name that VLAN, or, with none given, one
	 * registered on this OSA: a guest does not choose its VLAN on a trunk. */
	if (hl > ETH_HLEN) {
		uint16_t vid = be_get16(in + 14) & 0x0FFF;

		if (vlan ? vid != vlan : !vlan_on(o, vid)) {
			tx_drop(o, OSA_D_VLAN);
			return;
		}
		vlan = vid;
	}
	if (!find4(o, be_get32(in + hl + 14))) {
		tx_drop(o, OSA_D_NOT_MINE);
		return;
	}
	ol = eth_hdr(fr, in, o->mac, vlan, ET_ARP);
	memcpy(fr + ol, in + hl, ARP_PLEN);
	memcpy(fr + ol + 8, o->mac, 6);	/* the sender hardware address: ours, as ND's */
	emit_own(o, fr, ol + ARP_PLEN, sizeof(fr));	/* trailing padding not copied */
}

/* Layer-3 passthrough: IPv6 (as Linux sends it, with a link header the OSA replaces),
 * ARP only for this OSA's addresses (tx_arp), anything else as it is with the OSA's
 * source MAC. */
static void tx_l3_eth(struct osa *o, const struct pframe *f, uint64_t *now)
{
	uint8_t hdr[ETH_HLEN + VLAN_HLEN];
	uint16_t et;

	if (f->len < ETH_HLEN ||
	    qdio_spans_copy(f->spans, f->nspans, 0, hdr, ETH_HLEN) != ETH_HLEN) {
		tx_drop(o, OSA_D_BADFRAME);
		return;
	}
	et = be_get16(hdr + 12);
	if (et == ET_IP6) {
		tx_ip6(o, f->spans, f->nspans, ETH_HLEN, f->len - ETH_HLEN, f->next_hop, f->vlan,
		       now);
		return;
	}
	if (et == ET_ARP) {
		tx_arp(o, f, ETH_HLEN);
		return;
	}
	if (et == ET_VLAN && f->len >= ETH_HLEN + VLAN_HLEN &&
	    qdio_spans_copy(f->spans, f->nspans, 0, hdr, sizeof(hdr)) == sizeof(hdr)) {
		if (be_get16(hdr + 16) == ET_IP6) {
			tx_ip6(o, f->spans, f->nspans, ETH_HLEN + VLAN_HLEN,
			       f->len - ETH_HLEN - VLAN_HLEN, f->next_hop,
			       be_get16(hdr + 14) & 0x0FFF, now);
			return;
		}
		if (be_get16(hdr + 16) == ET_ARP) {
			tx_arp(o, f, ETH_HLEN + VLAN_HLEN);
			return;
		}
	}
	if (tx_size(o, f->len - ETH_HLEN, ETH_HLEN) > o->mtu + VLAN_HLEN) {
		tx_drop(o, OSA_D_TOOBIG);
		return;
	}
	memcpy(hdr + 6, o->mac, 6);
	emit(o, hdr, ETH_HLEN, f->spans, f->nspans, ETH_HLEN, f->len - ETH_HLEN);
}

static void tx_l2(struct osa *o, const struct pframe *f)
{
	if (f->kind != PF_ETH || f->len < ETH_HLEN) {
		tx_drop(o, OSA_D_BADFRAME);
		return;
	}
	if (tx_size(o, f->len, 0) > o->mtu + ETH_HLEN + VLAN_HLEN) {
		tx_drop(o, OSA_D_TOOBIG);
		return;
	}
	emit(o, NULL, 0, f->spans, f->nspans, 0, f->len);
}

struct tx_ctx {
	struct osa *o;
	uint64_t *now;
};

/* One finished frame to the wire (the frame's checks and the ARP cache as it needs). */
static bool tx_one(void *ctx, const struct pframe *f)
{
	struct tx_ctx *c = ctx;
	struct osa *o = c->o;

	if (o->layer == 2)
		tx_l2(o, f);
	else if (f->kind == PF_IP && f->ipv6)
		tx_ip6(o, f->spans, f->nspans, 0, f->len, f->next_hop, f->vlan, c->now);
	else if (f->kind == PF_IP)
		tx_l3_ip(o, f, c->now);
	else if (f->kind == PF_ETH)
		tx_l3_eth(o, f, c->now);
	else
		tx_drop(o, OSA_D_BADFRAME);
	return true;
}

/* A frame ofl_finish made in its one scratch buffer: out before the next overwrites
 * it (the batch holds pointers, not copies). */
static bool tx_one_now(void *ctx, const struct pframe *f)
{
	struct tx_ctx *c = ctx;
	bool rc = tx_one(ctx, f);

	tx_flush(c->o);
	return rc;
}

/*
 * A frame with a checksum or large send left to the adapter, to a wire that finishes
 * them itself (a TAP with IFF_VNET_HDR): one frame, not segments.  The headers are
 * made those of the whole frame (Linux's layer-3 large send leaves the IP length 0,
 * a guest may leave the IPv4 header checksum out), the checksum field the pseudo-header
 * sum the wire expects.  It goes from o->ofl_buf, so out before the next.  0 when it
 * was handled (sent or dropped and counted); < 0: finish it in software instead
 * (headers we do not read, or its next hop is being resolved).
 */
static int tx_offload(struct osa *o, struct tx_ctx *c, const struct pframe *f)
{
	struct wire_ofl w = { 0 };
	struct csum_pkt cp;
	struct qdio_span sp;
	struct pframe g;
	uint8_t *buf;
	int off;

	if (!o->ofl_buf)
		o->ofl_buf = malloc(OFL_SCRATCH);
	buf = o->ofl_buf;
	if (!buf || f->len > OFL_SCRATCH / 2 ||
	    qdio_spans_copy(f->spans, f->nspans, 0, buf, f->len) != f->len ||
	    csum_parse(buf, f->len, f->kind == PF_ETH, &cp) < 0 ||
	    (f->gso_size && cp.proto != CSUM_PROTO_TCP) || cp.end > WIRE_OFL_FRAME_MAX - 32)
		return -EBADMSG;
	if ((off = csum_open(buf, &cp)) < 0)
		return -EBADMSG;
	w.csum_start = (uint16_t)cp.l4;
	w.csum_offset = (uint16_t)off;
	if (f->gso_size) {
		w.gso = cp.v6 ? WIRE_GSO_TCP6 : WIRE_GSO_TCP4;
		w.gso_size = (uint16_t)f->gso_size;
		w.hdr_len = (uint16_t)(cp.l4 + cp.l4hlen);
		w.ecn = (buf[cp.l4 + 13] & 0x80) != 0;	/* CWR */
	}
	g = *f;
	sp = (struct qdio_span){ buf, cp.end };	/* without Ethernet padding */
	g.spans = &sp;
	g.nspans = 1;
	g.len = cp.end;
	tx_flush(o);		/* keep the order of what was gathered before */
	o->tx_ofl = &w;
	o->tx_ofl_wait = false;
	tx_one(c, &g);
	o->tx_ofl = NULL;
	if (o->tx_ofl_wait)
		return -EAGAIN;
	tx_flush(o);
	return 0;
}

static void osa_port_tx(void *peer, struct port *from, const struct pframe *f, unsigned n)
{
	struct osa *o = peer;
	uint64_t now = 0;	/* read the clock only when the ARP cache needs it */
	struct tx_ctx c = { o, &now };

	(void)from;
	for (unsigned i = 0; i < n; i++) {
		struct ofl_result r;

		if (!o->layer || !o->started) {
			tx_drop(o, OSA_D_DOWN);
			continue;
		}
		if (!o->link_up) {
			tx_drop(o, OSA_D_LINK);
			continue;
		}
		if (!ofl_needed(&f[i], false)) {
			tx_one(&c, &f[i]);
			continue;
		}
		if (o->wire.offloads && tx_offload(o, &c, &f[i]) == 0)
			continue;
		/* The host's offloads (checksum, large send) finished before the wire. */
		tx_flush(o);	/* keep the order of what was gathered before */
		ofl_finish(&f[i], false, &o->ofl_buf, tx_one_now, &c, &r);
		if (r.err)
			tx_drop(o, OSA_D_BADFRAME);
	}
	/* The spans point into the sender's buffers: out before they go back. */
	tx_flush(o);
}

/* ---- registrations ----------------------------------------------------------------- */

/* Frames waiting in the receive rings for an address that is no longer registered
 * (DELIP, DELVMAC: the guest behind it uncoupled or was reset) go: the next owner of
 * the address must not get them. */
static void rx_forget(struct osa *o, uint8_t family, const uint8_t *addr)
{
	o->st.rx_drop[OSA_D_GONE] += rxr_forget(&o->rx, family, addr);
}

/* ... and all of them when the NIC stops taking input (STOPLAN, reset, new connection). */
static void rx_flush(struct osa *o)
{
	o->st.rx_drop[OSA_D_GONE] += rxr_flush(&o->rx);
}

/* ---- the miss protocol (doc/osa.md "The address table") ---------------------------- */

static struct osa_pend *pend_find(struct osa *o, uint8_t kind, const uint8_t *addr)
{
	unsigned n = atab_len(kind);

	for (unsigned i = 0; i < OSA_MISS_PEND; i++) {
		struct osa_pend *p = &o->pend[i];

		if (p->state != OSA_PEND_FREE && p->m.kind == kind && !memcmp(p->m.addr, addr, n))
			return p;
	}
	return NULL;
}

/* A free entry, else the "unknown" answer that ends first (forgetting one only costs
 * a question); NULL when every entry waits for an answer. */
static struct osa_pend *pend_new(struct osa *o)
{
	struct osa_pend *best = NULL;

	for (unsigned i = 0; i < OSA_MISS_PEND; i++) {
		struct osa_pend *p = &o->pend[i];

		if (p->state == OSA_PEND_FREE)
			return p;
		if (p->state == OSA_PEND_UNKNOWN && (!best || p->until < best->until))
			best = p;
	}
	return best;
}

/* A held frame's room: the largest frame any MTU gives (the wire's MTU may rise after
 * the OSA was made, rxr_set_frame_max); only what frames use is ever touched. */
static uint8_t *held_frame(struct osa *o, unsigned i)
{
	return o->heldbuf + (size_t)i * RXR_FRAME_MAX;
}

static void held_drop(struct osa *o, struct osa_held *h, enum osa_drop why)
{
	h->used = false;
	o->held_bytes -= h->len;
	rx_drop(o, why);
}

/* Discard the frames waiting for pend entry p (why) and let the entry go. */
static void pend_drop(struct osa *o, struct osa_pend *p, enum osa_drop why)
{
	uint8_t pi = (uint8_t)(p - o->pend);

	for (unsigned i = 0; i < OSA_MISSQ; i++)
		if (o->held[i].used && o->held[i].pend == pi)
			held_drop(o, &o->held[i], why);
	if (p->state == OSA_PEND_READY)
		o->nready--;
	p->state = OSA_PEND_FREE;
}

/* A deregistered address (DELIP, DELVMAC): what waits for it -- in the receive rings
 * and in the miss queue -- goes with it, so that whoever registers it next never gets
 * another guest's frames. */
static void addr_gone(struct osa *o, uint8_t kind, const uint8_t *addr)
{
	struct osa_pend *p = pend_find(o, kind, addr);

	rx_forget(o, kind == ATAB_MAC ? 'M' : kind == ATAB_V6 ? '6' : '4', addr);
	if (p)
		pend_drop(o, p, OSA_D_GONE);
}

/* Everything waiting goes (a new connection, STOPLAN, link down). */
static void miss_reset(struct osa *o, enum osa_drop why)
{
	for (unsigned i = 0; i < OSA_MISS_PEND; i++)
		if (o->pend[i].state != OSA_PEND_FREE)
			pend_drop(o, &o->pend[i], why);
	o->nready = 0;
}

/* The reason a frame for an address nobody holds is discarded with. */
static enum osa_drop unknown_why(uint8_t kind)
{
	return kind == ATAB_MAC ? OSA_D_MAC : OSA_D_NOT_MINE;
}

/*
 * An inbound frame (fr, len) for (kind, addr), which the table does not hold.  Without
 * a proxy it is discarded (why); with one it is copied into the miss queue (the only
 * inbound copy: the ring slot goes back at once) and the address is reported once;
 * an address the proxy called unknown a moment ago is discarded straight away.
 */
static void addr_miss(struct osa *o, uint8_t kind, const uint8_t *addr, uint16_t vlan,
		      const uint8_t *fr, uint32_t len, uint64_t now)
{
	enum osa_drop why = unknown_why(kind);
	struct osa_pend *p;
	struct osa_held *h = NULL;
	unsigned i;

	o->st.addr_misses++;
	if (!o->cfg.miss_proxy) {
		rx_drop(o, why);
		return;
	}
	p = pend_find(o, kind, addr);
	if (p && p->state == OSA_PEND_READY) {
		/* Installed, and evicted again before what waited went in: ask again. */
		p->state = OSA_PEND_NEW;
		p->m.since = now;
		o->nready--;
	}
	if (p && p->state == OSA_PEND_UNKNOWN) {
		if (now < p->until) {
			rx_drop(o, why);
			return;
		}
		p->state = OSA_PEND_FREE;	/* ask again */
		p = NULL;
	}
	if (!p) {
		if (o->miss_new >= OSA_MISS_PER_POLL) {
			rx_drop(o, OSA_D_MISS_RATE);
			return;
		}
		p = pend_new(o);
		if (!p) {
			rx_drop(o, OSA_D_MISSQ);
			return;
		}
		o->miss_new++;
		memset(p, 0, sizeof(*p));
		p->state = OSA_PEND_NEW;
		p->m.kind = kind;
		memcpy(p->m.addr, addr, atab_len(kind));
		p->m.vlan = vlan;
		p->m.since = now;
	}
	for (i = 0; i < OSA_MISSQ && !h; i++)
		if (!o->held[i].used)
			h = &o->held[i];
	/* A large receive does not wait: what it leaves open is not kept with it, and
	 * the sender's TCP sends it again. */
	if (!h || (o->rx_cur && o->rx_cur->gso) || len > o->rx.frame_max ||
	    o->held_bytes + len > OSA_MISSQ_BYTES) {
		rx_drop(o, OSA_D_MISSQ);
		return;
	}
	memcpy(held_frame(o, (unsigned)(h - o->held)), fr, len);
	h->used = true;
	h->pend = (uint8_t)(p - o->pend);
	h->len = len;
	h->since = now;
	o->held_bytes += len;
	o->st.miss_held++;
}

int osa_miss_take(struct osa *o, struct osa_miss *m)
{
	struct osa_pend *best = NULL;

	for (unsigned i = 0; i < OSA_MISS_PEND; i++) {
		struct osa_pend *p = &o->pend[i];

		if (p->state == OSA_PEND_NEW && (!best || p->m.since < best->m.since))
			best = p;
	}
	if (!best)
		return 0;
	best->state = OSA_PEND_ASKED;
	*m = best->m;
	o->st.miss_reported++;
	return 1;
}

void osa_miss_unknown(struct osa *o, uint8_t kind, const uint8_t *addr)
{
	struct osa_pend *p = pend_find(o, kind, addr);

	if (!p || (p->state != OSA_PEND_NEW && p->state != OSA_PEND_ASKED))
		return;
	o->st.miss_unknown++;
	pend_drop(o, p, unknown_why(kind));
	p->state = OSA_PEND_UNKNOWN;
	p->until = now_ms(o) + OSA_MISS_NEG_MS;
}

void osa_miss_forget(struct osa *o)
{
	for (unsigned i = 0; i < OSA_MISS_PEND; i++)
		if (o->pend[i].state == OSA_PEND_UNKNOWN)
			o->pend[i].state = OSA_PEND_FREE;
}

/* An address was installed: what waited for it goes in at the next poll. */
static void miss_installed(struct osa *o, uint8_t kind, const uint8_t *addr)
{
	struct osa_pend *p = pend_find(o, kind, addr);
	uint64_t lat;

	if (!p || p->state == OSA_PEND_READY)
		return;
	if (p->state == OSA_PEND_UNKNOWN) {
		p->state = OSA_PEND_FREE;	/* registered after all */
		return;
	}
	lat = now_ms(o) - p->m.since;
	o->st.miss_installed++;
	o->st.miss_lat_sum_ms += lat;
	if (lat > o->st.miss_lat_max_ms)
		o->st.miss_lat_max_ms = lat;
	p->state = OSA_PEND_READY;
	o->nready++;
}

/* Held frames older than OSA_MISS_HOLD_MS are discarded; an address asked about with
 * nothing left waiting is given up (its install, should it come, is just an install). */
static void miss_timer(struct osa *o, uint64_t now)
{
	for (unsigned i = 0; i < OSA_MISSQ; i++)
		if (o->held[i].used && now - o->held[i].since >= OSA_MISS_HOLD_MS &&
		    o->pend[o->held[i].pend].state != OSA_PEND_READY)
			held_drop(o, &o->held[i], OSA_D_MISS_TIMEOUT);
	for (unsigned i = 0; i < OSA_MISS_PEND; i++) {
		struct osa_pend *p = &o->pend[i];
		bool waiting = false;

		if ((p->state != OSA_PEND_NEW && p->state != OSA_PEND_ASKED) ||
		    now - p->m.since < OSA_MISS_HOLD_MS)
			continue;
		for (unsigned k = 0; k < OSA_MISSQ && !waiting; k++)
			waiting = o->held[k].used && o->held[k].pend == i;
		if (!waiting) {
			o->st.miss_expired++;
			p->state = OSA_PEND_FREE;
		}
	}
}

/* ---- registrations ----------------------------------------------------------------- */

static void forget_all(struct osa *o)
{
	atab_clear(&o->at);
	o->nipm4 = o->nipm6 = o->nmacs = o->nvlans = 0;
	memset(o->vlans, 0, sizeof(o->vlans));
	o->promisc = false;
	o->started = false;
	drop_queue_all(o, OSA_D_DOWN);
	rx_flush(o);
	miss_reset(o, OSA_D_DOWN);
	memset(o->pend, 0, sizeof(o->pend));
	arp_flush(&o->arp);
	arp_flush(&o->nd);
}

/* SETIP / SETVMAC into the table: a full one evicts (clock) when a proxy answers the
 * misses that causes, else refuses as a real adapter does. */
static int addr_set(struct osa *o, uint8_t kind, const uint8_t *key, uint32_t mask, bool vipa)
{
	int rc = atab_add(&o->at, kind, key, mask, vipa, o->cfg.miss_proxy, NULL);

	if (rc >= 0)
		miss_installed(o, kind, key);
	return rc;
}

static uint16_t reg_ip(struct osa *o, const struct paddr *a, bool set)
{
	bool vipa = (a->value & IPA_SETIP_FLAG_VIPA) != 0;
	uint8_t kind = a->ipv6 ? ATAB_V6 : ATAB_V4;
	int rc;

	if (o->layer != 3)
		return IPA_RC_NOTSUPP;
	if (!set) {
		/* With a proxy the table is a cache: what it evicted is still registered. */
		if (atab_del(&o->at, kind, a->ip) < 0 && !o->cfg.miss_proxy)
			return IPA_RC_PRIMARY_ALREADY_DEFINED;	/* "not defined" */
		addr_gone(o, kind, a->ip);
		return IPA_RC_SUCCESS;
	}
	if (!paddr_mask_ok(a))
		return IPA_RC_INVALID_FORMAT;
	rc = addr_set(o, kind, a->ip, a->ipv6 ? 0 : be_get32(a->mask), vipa);
	if (rc < 0)
		return IPA_RC_IP_ADDR_TABLE_FULL;
	if (rc == 1 || vipa)
		return IPA_RC_SUCCESS;	/* a VIPA is not on this LAN: no announcement */
	if (a->ipv6)
		unsolicited_na(o, a->ip);
	else
		garp(o, be_get32(a->ip));
	return IPA_RC_SUCCESS;
}

static uint16_t reg_ipm(struct osa *o, const struct paddr *a, bool set)
{
	int i;

	if (o->layer != 3)
		return IPA_RC_NOTSUPP;
	if (!a->ipv6) {
		/* SETIPM carries an IPv4 group in the last 4 bytes of its address field
		 * (IPA_SETIPM_V4_IN_ADDR) and vnic passes the field as it is; should
		 * vnic normalise it to the first 4 bytes (port.h), that works too. */
		uint32_t g = be_get32(a->ip);

		if (!g)
			g = be_get32(a->ip + IPA_SETIPM_V4_IN_ADDR);

		i = find_ipm4(o, g);
		if (!set) {
			if (i >= 0)
				o->ipm4[i] = o->ipm4[--o->nipm4];
			return IPA_RC_SUCCESS;
		}
		if (i >= 0)
			return IPA_RC_SUCCESS;
		if (o->nipm4 >= NIC_MAX_IPMS)
			return IPA_RC_IP_ADDR_TABLE_FULL;
		o->ipm4[o->nipm4++] = g;
		return IPA_RC_SUCCESS;
	}
	i = find_ipm6(o, a->ip);
	if (!set) {
		if (i >= 0)
			memcpy(o->ipm6[i], o->ipm6[--o->nipm6], 16);
		return IPA_RC_SUCCESS;
	}
	if (i >= 0)
		return IPA_RC_SUCCESS;
	if (o->nipm6 >= NIC_MAX_IPMS)
		return IPA_RC_IP_ADDR_TABLE_FULL;
	memcpy(o->ipm6[o->nipm6++], a->ip, 16);
	return IPA_RC_SUCCESS;
}

static uint16_t reg_mac(struct osa *o, const struct paddr *a, bool set, bool group)
{
	int i;

	if (o->layer != 2)
		return IPA_RC_L2_UNSUPPORTED_CMD;
	if (!group) {
		int rc;

		if (!set) {
			if (atab_del(&o->at, ATAB_MAC, a->mac) < 0 && !o->cfg.miss_proxy)
				return IPA_RC_L2_MAC_NOT_FOUND;
			addr_gone(o, ATAB_MAC, a->mac);
			return IPA_RC_SUCCESS;
		}
		rc = addr_set(o, ATAB_MAC, a->mac, 0, false);
		if (rc < 0)
			return IPA_RC_L2_ADDR_TABLE_FULL;
		/* A driver of its own (no proxy) registering a MAC twice hears what a
		 * real adapter says; CP's controller re-installing one does not. */
		return rc == 1 && !o->cfg.miss_proxy ? IPA_RC_L2_DUP_MAC : IPA_RC_SUCCESS;
	}
	i = find_gmac(o, a->mac);
	if (!set) {
		if (i >= 0)
			memcpy(o->macs[i], o->macs[--o->nmacs], 6);
		return IPA_RC_SUCCESS;
	}
	if (i >= 0)
		return IPA_RC_SUCCESS;
	if (o->nmacs >= NIC_MAX_MACS)
		return IPA_RC_L2_ADDR_TABLE_FULL;
	memcpy(o->macs[o->nmacs++], a->mac, 6);
	return IPA_RC_SUCCESS;
}

static uint16_t osa_port_addr(void *peer, struct port *from, const struct paddr *a)
{
	struct osa *o = peer;

	(void)from;
	switch (a->op) {
	case PA_LAYER:
		if (a->value != 2 && a->value != 3)
			return IPA_RC_INVALID_FORMAT;
		/* A new connection: what the previous driver registered is gone. */
		forget_all(o);
		o->layer = (uint8_t)a->value;
		rx_large_follow(o);
		return IPA_RC_SUCCESS;
	case PA_STARTLAN:
		o->started = true;
		rx_large_follow(o);
		return IPA_RC_SUCCESS;
	case PA_STOPLAN:
		o->started = false;
		rx_large_follow(o);
		drop_queue_all(o, OSA_D_DOWN);
		rx_flush(o);
		miss_reset(o, OSA_D_DOWN);
		return IPA_RC_SUCCESS;
	case PA_SETIP:
	case PA_DELIP:
		return reg_ip(o, a, a->op == PA_SETIP);
	case PA_SETIPM:
	case PA_DELIPM:
		return reg_ipm(o, a, a->op == PA_SETIPM);
	case PA_SETVMAC:
	case PA_DELVMAC:
	case PA_SETGMAC:
	case PA_DELGMAC:
		return reg_mac(o, a, a->op == PA_SETVMAC || a->op == PA_SETGMAC,
			       a->op == PA_SETGMAC || a->op == PA_DELGMAC);
	case PA_SETVLAN:
	case PA_DELVLAN:
		if (a->vlan == 0 || a->vlan >= 4095)
			return IPA_RC_L2_INVALID_VLAN_ID;
		if (a->op == PA_SETVLAN && !vlan_on(o, a->vlan)) {
			o->vlans[a->vlan / 8] |= (uint8_t)(1u << (a->vlan % 8));
			o->nvlans++;
		} else if (a->op == PA_DELVLAN && vlan_on(o, a->vlan)) {
			o->vlans[a->vlan / 8] &= (uint8_t)~(1u << (a->vlan % 8));
			o->nvlans--;
		}
		return IPA_RC_SUCCESS;
	case PA_PROMISC:
		o->promisc = a->value != 0;
		return IPA_RC_SUCCESS;
	case PA_SETRTG:
		return IPA_RC_SUCCESS;	/* routing roles matter to the switch, not the wire */
	default:
		return IPA_RC_NOTSUPP;
	}
}

static const struct port_ops osa_port_ops = { osa_port_tx, osa_port_addr };

/* ---- receive ----------------------------------------------------------------------- */

/* A neighbour's MAC heard (ARP or ND): store it (create = false only refreshes an
 * entry we have) and send what waited for it.  Returns whether it was stored. */
static bool learn(struct osa *o, const uint8_t *key, uint16_t vlan, const uint8_t *mac,
		  uint64_t now, bool create)
{
	struct arp_cache *c = cache_of(o, key);
	struct arp_entry *e;

	create = create || arp_find(c, key, vlan) != NULL;
	e = arp_learn(c, key, vlan, mac, now, create);
	if (e)
		release_queue(o, key, vlan, e->mac, OSA_D_ARP_FAIL);
	return e != NULL;
}

static void rx_arp(struct osa *o, const uint8_t *fr, uint32_t hl, uint32_t len, uint16_t vlan,
		   uint64_t now)
{
	const uint8_t *a = fr + hl, *sha;
	uint32_t spa, tpa;
	uint16_t op;
	bool mine, known = false;
	struct atab_entry *e;
	uint8_t key[16];

	if (len - hl < ARP_PLEN || !arp_wellformed(a)) {
		rx_drop(o, OSA_D_BADARP);
		return;
	}
	op = be_get16(a + 6);
	sha = a + 8;
	spa = be_get32(a + 14);
	tpa = be_get32(a + 24);
	if (is_group(sha) || !memcmp(sha, zero_mac, 6)) {
		rx_drop(o, OSA_D_BADARP);
		return;
	}
	if (op == ARP_OP_REQ)
		o->st.arp_req_rx++;
	else
		o->st.arp_rep_rx++;
	if (!memcmp(sha, o->mac, 6)) {
		rx_drop(o, OSA_D_MAC);		/* our own frame reflected */
		return;
	}
	e = find4(o, tpa);
	mine = e != NULL;
	if (mine && op == ARP_OP_REQ)
		addr_used(o, e);
	/* Learn the sender if it talks to us or we asked for it; otherwise only refresh
	 * what we already know (gratuitous ARP, requests among others). */
	if (spa && spa != IP4_BCAST && find_ip4(o, spa) < 0) {
		arp_key4(spa, key);
		known = learn(o, key, vlan, sha, now, mine);
	}
	if (op == ARP_OP_REQ && mine) {
		/* Straight back to the asker, from the address it asked for. */
		if (send_arp(o, ARP_OP_REP, vlan, sha, tpa, sha, spa) == 0)
			o->st.arp_rep_tx++;
		return;
	}
	/* A question for an address the table does not hold (not somebody announcing
	 * its own): perhaps a guest's that is not installed. */
	if (op == ARP_OP_REQ && !mine && spa != tpa) {
		be_put32(key, tpa);
		addr_miss(o, ATAB_V4, key, vlan, fr, len, now);
		return;
	}
	if (!mine && !known)
		rx_drop(o, OSA_D_NOT_MINE);
}

/*
 * Neighbor Discovery from the wire (RFC 4861 validation first: hop limit 255, code 0,
 * length, checksum, option lengths, no multicast target).  NS for a registered address
 * is answered by the OSA with its own MAC (solicited + override; a DAD probe from ::
 * gets the answer on all-nodes) and consumed; NS for anything else is dropped.  NA and
 * RA update the ND cache and continue to the guest (its own ND may wait on them).
 * Returns true when the packet is still to be delivered.
 */
static bool rx_nd(struct osa *o, const uint8_t *fr, const uint8_t *ip, uint32_t tot,
		  uint16_t vlan, uint64_t now)
{
	const uint8_t *ic = ip + IP6_HLEN, *src = ip + 8, *dst = ip + 24, *tgt = ic + 8;
	const uint8_t *lla = NULL;
	uint32_t il = tot - IP6_HLEN, off;
	uint8_t type = ic[0], want = type == ND_NA ? ND_OPT_TLLA : ND_OPT_SLLA;
	bool dad = !memcmp(src, zero6, 16);

	off = type == ND_RS ? 8 : type == ND_RA ? 16 : 24;
	if (ip[7] != 255 || ic[1] != 0 || il < off || icmp6_csum(src, dst, ic, il) != 0)
		goto bad;
	for (; off < il; off += ic[off + 1] * 8u) {
		if (il - off < 2 || ic[off + 1] == 0 || ic[off + 1] * 8u > il - off)
			goto bad;
		if (ic[off] == want && ic[off + 1] == 1)
			lla = ic + off + 2;
	}
	if (lla && (is_group(lla) || !memcmp(lla, zero_mac, 6)))
		goto bad;
	/* ::ffff:a.b.c.d is never on the wire (and would alias an ARP cache key). */
	if (key_is_v4(src) || ((type == ND_NS || type == ND_NA) && key_is_v4(tgt)))
		goto bad;
	if (src[0] == 0xFF || !memcmp(fr + 6, o->mac, 6)) {
		rx_drop(o, OSA_D_MAC);		/* our own frame reflected, or a bogus sender */
		return false;
	}
	switch (type) {
	case ND_NS: {
		uint8_t sn[16], mac[6];
		struct atab_entry *e;
		bool mine;

		if (tgt[0] == 0xFF)
			goto bad;
		ip6_solicited_node(tgt, sn, mac);
		if (dad && (lla || memcmp(dst, sn, 16)))
			goto bad;
		o->st.nd_ns_rx++;
		e = atab_find(&o->at, ATAB_V6, tgt);
		mine = e != NULL;
		if (!dad && lla && find_ip6(o, src) < 0)
			learn(o, src, vlan, lla, now, mine);
		if (!mine) {
			addr_miss(o, ATAB_V6, tgt, vlan, fr, (uint32_t)(ip - fr) + tot, now);
			return false;
		}
		addr_used(o, e);
		if (dad) {
			/* Someone probes an address we own: defend it on all-nodes. */
			mcast6_mac(all_nodes6, mac);
			if (send_nd(o, ND_NA, NA_OVERRIDE, vlan, mac, tgt, all_nodes6, tgt) == 0)
				o->st.nd_na_tx++;
		} else if (send_nd(o, ND_NA, NA_SOLICITED | NA_OVERRIDE, vlan,
				   lla ? lla : fr + 6, tgt, src, tgt) == 0) {
			o->st.nd_na_tx++;
		}
		return false;
	}
	case ND_NA:
		if (tgt[0] == 0xFF || (dst[0] == 0xFF && (ic[4] & NA_SOLICITED)))
			goto bad;
		o->st.nd_na_rx++;
		/* An answer to us (or to the guest's own NS) is learned; other NAs only
		 * refresh.  Never learn a MAC for an address we own: the guest's DAD sees
		 * the NA and decides. */
		if (find_ip6(o, tgt) < 0)
			learn(o, tgt, vlan, lla ? lla : fr + 6, now,
			      (ic[4] & NA_SOLICITED) && find_ip6(o, dst) >= 0);
		return true;
	case ND_RA:
		if (src[0] != 0xFE || (src[1] & 0xC0) != 0x80)
			goto bad;		/* routers speak from link-local addresses */
		o->st.nd_ra_rx++;
		if (lla)
			learn(o, src, vlan, lla, now, true);	/* a likely next hop */
		return true;
	default:
		return true;
	}
bad:
	rx_drop(o, OSA_D_BADND);
	return false;
}

/* Layer 3: returns true when pf describes a packet for the NIC; a unicast one's
 * destination (IP + VLAN) in *key, else key->family 0 (the DEFAULT ring). */
static bool rx_l3(struct osa *o, const uint8_t *fr, uint32_t len, struct pframe *pf,
		  struct qdio_span *sp, struct rxr_key *key, uint64_t now)
{
	uint32_t hl = ETH_HLEN, il, dst;
	uint16_t et = be_get16(fr + 12), vlan = 0;
	struct atab_entry *e;
	const uint8_t *ip;

	if (et == ET_VLAN) {
		if (len < ETH_HLEN + VLAN_HLEN) {
			rx_drop(o, OSA_D_RUNT);
			return false;
		}
		vlan = be_get16(fr + 14) & 0x0FFF;
		et = be_get16(fr + 16);
		hl += VLAN_HLEN;
	}
	if (!is_group(fr) && memcmp(fr, o->mac, 6)) {
		rx_drop(o, OSA_D_MAC);
		return false;
	}
	ip = fr + hl;
	il = len - hl;
	switch (et) {
	case ET_ARP:
		rx_arp(o, fr, hl, len, vlan, now);
		return false;
	case ET_IP4: {
		uint32_t ihl, tot;

		if (il < 20 || (ip[0] >> 4) != 4 || (ihl = (ip[0] & 0x0Fu) * 4) < 20 ||
		    (tot = be_get16(ip + 2)) < ihl || tot > il) {
			rx_drop(o, OSA_D_BADIP);
			return false;
		}
		dst = be_get32(ip + 16);
		memset(pf, 0, sizeof(*pf));
		if ((e = find4(o, dst)) != NULL) {
			addr_used(o, e);
			pf->cast = PF_UNICAST;
			key->family = '4';
			memcpy(key->addr, ip + 16, 4);
		} else if (dst == IP4_BCAST || directed_bcast(o, dst)) {
			pf->cast = PF_BROADCAST;
		} else if ((dst >> 28) == 0xE) {
			if (find_ipm4(o, dst) < 0) {
				rx_drop(o, OSA_D_MCAST);
				return false;
			}
			pf->cast = PF_MULTICAST;
		} else {
			addr_miss(o, ATAB_V4, ip + 16, vlan, fr, len, now);
			return false;
		}
		/* Ethernet padding stays behind: the packet is what its header says. */
		sp->ptr = ip;
		sp->len = tot;
		pf->kind = PF_IP;
		pf->len = tot;
		memcpy(pf->src_mac, fr + 6, 6);
		pf->has_src_mac = true;
		break;
	}
	case ET_IP6: {
		const uint8_t *d6;
		uint32_t tot;

		if (il < IP6_HLEN || (ip[0] >> 4) != 6 ||
		    (tot = IP6_HLEN + be_get16(ip + 4)) > il) {
			rx_drop(o, OSA_D_BADIP);
			return false;
		}
		if (ip[6] == PROTO_ICMP6 && tot > IP6_HLEN && ip[IP6_HLEN] >= ND_RS &&
		    ip[IP6_HLEN] <= ND_NA && !rx_nd(o, fr, ip, tot, vlan, now))
			return false;
		d6 = ip + 24;
		memset(pf, 0, sizeof(*pf));
		if (d6[0] == 0xFF) {
			if (find_ipm6(o, d6) < 0 && !solicited_for_ours(o, d6) &&
			    memcmp(d6, all_nodes6, 16)) {
				rx_drop(o, OSA_D_MCAST);
				return false;
			}
			pf->cast = PF_MULTICAST;
		} else if ((e = atab_find(&o->at, ATAB_V6, d6)) != NULL) {
			addr_used(o, e);
			pf->cast = PF_UNICAST;
			key->family = '6';
			memcpy(key->addr, d6, 16);
		} else {
			addr_miss(o, ATAB_V6, d6, vlan, fr, len, now);
			return false;
		}
		/* Unframed like IPv4: the driver builds its own link header (its MAC, or
		 * the group's) with the sender's MAC from the qeth header, so the guest's
		 * NIC MAC never has to match the OSA's. */
		sp->ptr = ip;
		sp->len = tot;
		pf->kind = PF_IP;
		pf->ipv6 = true;
		pf->len = tot;
		memcpy(pf->src_mac, fr + 6, 6);
		pf->has_src_mac = true;
		break;
	}
	default:
		rx_drop(o, OSA_D_ETHERTYPE);
		return false;
	}
	pf->spans = sp;
	pf->nspans = 1;
	pf->vlan = vlan;
	/* A tag the OSA has not registered does not make a destination of its own: a
	 * sender cycling through 4094 tags gets one key per address, not 4094. */
	key->vlan = vlan && vlan_on(o, vlan) ? vlan : 0;
	return true;
}

/* Layer 2: as rx_l3; a unicast frame's destination is its MAC + VLAN. */
static bool rx_l2(struct osa *o, const uint8_t *fr, uint32_t len, struct pframe *pf,
		  struct qdio_span *sp, struct rxr_key *key, uint64_t now)
{
	struct atab_entry *e;
	uint16_t vid = 0;
	uint8_t cast;

	if (be_get16(fr + 12) == ET_VLAN) {
		if (len < ETH_HLEN + VLAN_HLEN) {
			rx_drop(o, OSA_D_RUNT);
			return false;
		}
		vid = be_get16(fr + 14) & 0x0FFF;
		if (vid && !o->promisc && !vlan_on(o, vid)) {
			rx_drop(o, OSA_D_VLAN);
			return false;
		}
	}
	if (is_bcast(fr)) {
		cast = PF_BROADCAST;
	} else if (is_group(fr)) {
		if (!o->promisc && find_gmac(o, fr) < 0) {
			rx_drop(o, OSA_D_MCAST);
			return false;
		}
		cast = PF_MULTICAST;
	} else {
		e = atab_find(&o->at, ATAB_MAC, fr);
		if (!e && !o->promisc) {
			addr_miss(o, ATAB_MAC, fr, vid, fr, len, now);
			return false;
		}
		cast = PF_UNICAST;
		/* Only a registered MAC is a destination; what a promiscuous OSA takes for
		 * anybody else shares the DEFAULT ring (a flood of invented MACs cannot
		 * fill the destination table). */
		if (e) {
			addr_used(o, e);
			key->family = 'M';
			memcpy(key->addr, fr, 6);
			key->vlan = vid;
		}
	}
	memset(pf, 0, sizeof(*pf));
	sp->ptr = fr;
	sp->len = len;
	pf->spans = sp;
	pf->nspans = 1;
	pf->kind = PF_ETH;
	pf->cast = cast;
	pf->len = len;
	return true;
}

/* Filter and classify one frame from the wire: true when it is for the NIC, pf and
 * sp describing it and *key its destination (family 0: the DEFAULT ring). */
static bool classify(struct osa *o, const uint8_t *fr, uint32_t len, struct pframe *pf,
		     struct qdio_span *sp, struct rxr_key *key, uint64_t now)
{
	memset(key, 0, sizeof(*key));
	if (len < ETH_HLEN) {
		rx_drop(o, OSA_D_RUNT);
		return false;
	}
	if (!o->layer || !o->started) {
		rx_drop(o, OSA_D_DOWN);
		return false;
	}
	return o->layer == 2 ? rx_l2(o, fr, len, pf, sp, key, now) : rx_l3(o, fr, len, pf, sp, key, now);
}

/* Retries and give-ups of one cache's unresolved entries. */
static void resolve_timer(struct osa *o, struct arp_cache *c, uint64_t now)
{
	for (unsigned i = 0; i < ARP_ENTRIES; i++) {
		struct arp_entry *e = &c->e[i];

		if (e->state != ARP_INCOMPLETE || now - e->sent < ARP_RETRY_MS)
			continue;
		if (e->tries >= ARP_TRIES) {
			c->st.failed++;
			release_queue(o, e->ip, e->vlan, NULL, OSA_D_ARP_FAIL);
			arp_remove(c, e);
		} else if (o->link_up) {
			resolve_ask(o, e, now);
		}
	}
}

/* The largest frame the wire carries at `mtu`, tagged, cache-line rounded: the size
 * of a receive ring's READ slot. */
static uint32_t frame_for(uint32_t mtu)
{
	return (mtu + ETH_HLEN + VLAN_HLEN + 63u) & ~63u;
}

/* The wire's MTU as it is now (an operator may change a TAP's at any time): outbound
 * checks and the receive rings' READ slots follow.  A wire that cannot say keeps what
 * it had. */
static void follow_mtu(struct osa *o)
{
	uint32_t mtu;

	if (wire_mtu(&o->wire, &mtu) < 0 || mtu < 576)
		return;
	if (mtu > WIRE_FRAME_MAX - ETH_HLEN - VLAN_HLEN)
		mtu = WIRE_FRAME_MAX - ETH_HLEN - VLAN_HLEN;
	if (mtu == o->mtu)
		return;
	o->mtu = mtu;
	if (!o->rx_large_on)
		(void)rxr_set_frame_max(&o->rx, frame_for(mtu));	/* in range: clamped above */
}

/* Large receives follow what the driver set up: on for cpnet's own driver (cfg.rx_large)
 * on a started layer-2 OSA whose wire can (a TAP with the virtio-net header), off
 * otherwise.  The READ slots grow to a large receive's size while they are on (a small
 * frame is copied down into a 2 KiB slot: rxr_queue) and go back to the MTU's after.
 * A wire that refuses stays as it was; the next timer tries again. */
static void rx_large_follow(struct osa *o)
{
	bool want = o->cfg.rx_large && o->layer == 2 && o->started;

	/* The wire's own flag too: a wire opened again starts without them. */
	if ((want != o->rx_large_on || want != o->wire.rx_large) &&
	    wire_set_rx_large(&o->wire, want) == 0) {
		o->rx_large_on = want;
		(void)rxr_set_frame_max(&o->rx, want ? RXR_FRAME_MAX : frame_for(o->mtu));
	}
	/* What already waits in the rings when they go off is cut by the NIC. */
	o->nic.rx_large = o->rx_large_on;
}

/* ARP and ND retries and give-ups, the MTU, ring binding; at most every OSA_TIMER_MS. */
static void osa_timer(struct osa *o, uint64_t now)
{
	if (now < o->next_timer)
		return;
	o->next_timer = now + OSA_TIMER_MS;
	follow_mtu(o);
	rx_large_follow(o);
	rxr_tick(&o->rx);		/* ring binding follows the period's load */
	miss_timer(o, now);
	resolve_timer(o, &o->arp, now);
	resolve_timer(o, &o->nd, now);
	/* Packets whose entry was evicted by others have nobody to wait for. */
	for (unsigned i = 0; i < OSA_ARPQ; i++) {
		struct osa_q *q = &o->q[i];

		if (q->used && !arp_find(cache_of(o, q->nh), q->nh, q->vlan)) {
			q->used = false;
			tx_drop(o, OSA_D_ARP_FAIL);
		}
	}
}

/* Frames whose address was installed go into the rings as if they had come now (they
 * are classified again: an ARP request or Neighbor Solicitation is answered then). */
static void miss_release(struct osa *o, uint64_t now)
{
	for (unsigned i = 0; i < OSA_MISSQ && o->nready; i++) {
		struct osa_held *h = &o->held[i];
		struct rxr_slot *sl;
		struct rxr_key key;
		uint8_t *buf;
		uint16_t id;
		uint32_t len = h->len;

		if (!h->used || o->pend[h->pend].state != OSA_PEND_READY)
			continue;
		if (len > o->rx.frame_max) {
			/* The wire's MTU went down while it waited: no slot holds it now. */
			held_drop(o, h, OSA_D_TOOBIG);
			continue;
		}
		if (rxr_take_slots(&o->rx, &buf, &id, 1) != 1)
			return;		/* the pool is busy: the next poll */
		memcpy(buf, held_frame(o, i), len);
		h->used = false;
		o->held_bytes -= len;
		o->st.miss_released++;
		sl = rxr_slot(&o->rx, id);
		o->releasing = true;
		if (!classify(o, buf, len, &sl->pf, &sl->sp, &key, now))
			rxr_put_slot(&o->rx, id);
		else if (!rxr_queue(&o->rx, id, key.family ? &key : NULL, len))
			rx_drop(o, OSA_D_RING);
		o->releasing = false;
	}
	for (unsigned k = 0; k < OSA_MISS_PEND && o->nready; k++) {
		bool waiting = false;

		if (o->pend[k].state != OSA_PEND_READY)
			continue;
		for (unsigned i = 0; i < OSA_MISSQ && !waiting; i++)
			waiting = o->held[i].used && o->held[i].pend == k;
		if (!waiting) {
			o->pend[k].state = OSA_PEND_FREE;
			o->nready--;
		}
	}
}

/* What the wire left open in a frame it read (a large receive) goes with the frame: the
 * NIC gives it whole to a driver that takes it and cuts it for any other (vnic/data.c),
 * as a guest's large send. */
static void rx_open(struct osa *o, const struct wire_ofl *w, struct pframe *pf)
{
	if (w->gso) {
		pf->gso_size = w->gso_size;
		pf->csum = PF_CSUM_PARTIAL;
		o->st.rx_large++;
	}
}

/* The NIC takes frames from the rings until its input buffers are full. */
static unsigned put_nic(void *ctx, const struct pframe *f, unsigned n, bool *full)
{
	struct osa *o = ctx;
	uint64_t before = o->nic.port.st.rx_packets;
	unsigned used = nic_rx_fill(&o->nic, f, n, full);

	o->st.rx_delivered += o->nic.port.st.rx_packets - before;
	return used;
}

/* Up to max frames of the rings into the NIC, its input buffer primed at the end.
 * Returns the frames consumed. */
static unsigned rx_drain(struct osa *o, unsigned max)
{
	unsigned n = o->rx.waiting && max ? rxr_drain(&o->rx, max, put_nic, o) : 0;

	if (n)
		nic_rx_push(&o->nic);
	return n;
}

int osa_poll(struct osa *o, unsigned budget)
{
	uint8_t *bufs[OSA_RX_BATCH];
	uint16_t ids[OSA_RX_BATCH];
	int lens[OSA_RX_BATCH];
	struct wire_ofl ofl[OSA_RX_BATCH];
	uint64_t now = now_ms(o);
	unsigned got = 0, left = budget, limit = budget * OSA_READ_AHEAD;
	bool quiet = false;
	int err = 0;

	osa_timer(o, now);
	o->miss_new = 0;
	if (o->nready)
		miss_release(o, now);
	left -= rx_drain(o, left);	/* what waited for input buffers goes first */
	while (got < limit && !err) {
		unsigned k, batch = limit - got;
		int n;

		if (batch > OSA_RX_BATCH)
			batch = OSA_RX_BATCH;
		/* Straight into ring slots (the pool always has a read's worth: see
		 * rxr_init), one batch from the wire (a TAP: one io_uring_enter). */
		batch = rxr_take_slots(&o->rx, bufs, ids, batch);
		n = batch ? wire_recv_batch(&o->wire, bufs, o->rx.frame_max, batch, lens, ofl) : 0;
		if (n < 0)
			err = n;
		for (k = 0; k < batch; k++) {
			struct rxr_slot *s = rxr_slot(&o->rx, ids[k]);
			struct rxr_key key;

			if ((int)k >= n || lens[k] == -EAGAIN) {
				rxr_put_slot(&o->rx, ids[k]);	/* a slot the wire left empty */
				continue;
			}
			got++;
			if (lens[k] < 0) {
				rx_drop(o, OSA_D_TOOBIG);	/* lost by the wire already */
				rxr_put_slot(&o->rx, ids[k]);
				continue;
			}
			o->st.rx_frames++;
			o->st.rx_bytes += (uint32_t)lens[k];
			o->rx_cur = &ofl[k];
			if (!classify(o, bufs[k], (uint32_t)lens[k], &s->pf, &s->sp, &key, now)) {
				rxr_put_slot(&o->rx, ids[k]);
			} else {
				rx_open(o, &ofl[k], &s->pf);
				if (!rxr_queue(&o->rx, ids[k], key.family ? &key : NULL,
					       (uint32_t)lens[k]))
					rx_drop(o, OSA_D_RING);
			}
			o->rx_cur = NULL;
		}
		left -= rx_drain(o, left);
		if (n < (int)batch || !batch) {
			quiet = true;
			break;
		}
	}
	/* Reading ahead of delivery only while the wire is busy: once it is quiet (or
	 * failed), nothing is kept waiting that the NIC could take now. */
	if (quiet || err)
		rx_drain(o, UINT32_MAX);
	return err && !got ? err : (int)got;
}

/* The driver of the OSA gave input buffers back: what waited in the rings goes in. */
static void osa_in_room(void *ctx)
{
	struct osa *o = ctx;

	rx_drain(o, UINT32_MAX);
}

bool osa_rx_pending(struct osa *o)
{
	return (o->rx.waiting || o->nready) && nic_rx_room(&o->nic);
}

int osa_set_addresses(struct osa *o, unsigned n)
{
	struct atab t;
	int rc = atab_init(&t, n ? n : ATAB_DEFAULT, o->at.seed);

	if (rc < 0)
		return rc;
	/* What fits is kept: a shrink keeps the last entries of the array (a delete moves
	 * the last one into its hole, so these are not strictly the newest). */
	for (unsigned i = o->at.n > t.cap ? o->at.n - t.cap : 0; i < o->at.n; i++) {
		const struct atab_entry *e = &o->at.e[i];

		atab_add(&t, e->kind, e->addr, e->mask, e->vipa, false, NULL);
	}
	t.st = o->at.st;
	atab_free(&o->at);
	o->at = t;
	o->cfg.addresses = n;
	return 0;
}

int osa_set_rings(struct osa *o, unsigned n)
{
	return rxr_set_hw(&o->rx, n);
}

/* ---- link -------------------------------------------------------------------------- */

int osa_check_link(struct osa *o)
{
	bool up = wire_link(&o->wire) > 0;

	if (up == o->link_up)
		return up;
	o->link_up = up;
	o->st.link_changes++;
	if (!up) {
		drop_queue_all(o, OSA_D_LINK);
		miss_reset(o, OSA_D_LINK);
	} else if (o->layer == 3) {
		for (unsigned i = 0; i < o->at.n; i++) {
			const struct atab_entry *e = &o->at.e[i];

			if (e->vipa)
				continue;
			if (e->kind == ATAB_V4)
				garp(o, be_get32(e->addr));
			else if (e->kind == ATAB_V6)
				unsolicited_na(o, e->addr);
		}
	}
	/* The driver of the OSA sees STOPLAN / STARTLAN. */
	nic_set_link(&o->nic, up);
	if (o->cfg.link_cb)
		o->cfg.link_cb(o->cfg.link_ctx, o, up);
	return up;
}

/* ---- lifecycle --------------------------------------------------------------------- */

int osa_create(struct osa *o, const struct osa_cfg *cfg, const struct wire_class *cls,
	       const char *wire_name)
{
	struct nic_cfg nc;
	uint32_t mtu = 0;
	int rc;

	memset(o, 0, sizeof(*o));
	o->wire.fd = -1;
	if (!cfg || (uint32_t)cfg->rdev + 2 > 0xFFFF || (uint32_t)cfg->schno + 2 > 0xFFFF ||
	    cfg->portno > OSA_PORT_MAX)
		return -EINVAL;
	o->cfg = *cfg;
	if (memcmp(cfg->mac, zero_mac, 6)) {
		if (is_group(cfg->mac))
			return -EINVAL;
		memcpy(o->mac, cfg->mac, 6);
	} else {
		o->mac[0] = 0x02;
		o->mac[1] = 0x00;
		o->mac[2] = 0xC9;
		o->mac[3] = cfg->chpid;
		o->mac[4] = (uint8_t)(cfg->rdev >> 8);
		o->mac[5] = (uint8_t)cfg->rdev;
	}
	if (cfg->rings > RXR_HW_MAX || cfg->addresses > ATAB_MAX)
		return -EINVAL;
	o->qbuf = malloc((size_t)OSA_ARPQ * WIRE_FRAME_MAX);
	if (!o->qbuf)
		return -ENOMEM;
	o->txb = calloc(1, sizeof(*o->txb));
	if (!o->txb) {
		rc = -ENOMEM;
		goto free_q;
	}
	rc = wire_open(&o->wire, cls, wire_name);
	if (rc < 0)
		goto free_tx;
	if (wire_mtu(&o->wire, &mtu) < 0 || mtu < 576)
		mtu = 1500;
	if (mtu > WIRE_FRAME_MAX - ETH_HLEN - VLAN_HLEN)
		mtu = WIRE_FRAME_MAX - ETH_HLEN - VLAN_HLEN;
	o->mtu = mtu;
	/* A READ slot holds the largest frame of this wire (follow_mtu keeps it so). */
	rc = rxr_init(&o->rx, cfg->rings ? cfg->rings : RXR_HW_DEFAULT, frame_for(mtu));
	if (rc < 0)
		goto close_wire;
	o->heldbuf = malloc((size_t)OSA_MISSQ * RXR_FRAME_MAX);
	rc = o->heldbuf ? 0 : -ENOMEM;
	if (rc == 0)
		rc = atab_init(&o->at, cfg->addresses ? cfg->addresses : ATAB_DEFAULT, 0);
	if (rc < 0)
		goto free_rings;

	memset(&nc, 0, sizeof(nc));
	nc.base_devno = cfg->rdev;
	nc.ndev = 3;
	nc.base_schno = cfg->schno;
	nc.chpid = cfg->chpid;
	nc.type = NIC_QDIO;		/* OSD */
	memcpy(nc.mac, o->mac, 6);
	nc.max_mtu = (uint16_t)mtu;
	nc.vm_nic = false;		/* a real adapter, not a z/VM simulated NIC */
	nc.portno = cfg->portno;
	nc.port_table = true;		/* osa/addrtab.h: bounded by ADDRESSES, not NIC_MAX_IPS */
	snprintf(nc.owner, sizeof(nc.owner), "SYSTEM");
	rc = nic_create(&o->nic, &nc);
	if (rc < 0)
		goto free_rings;
	o->nic.port.ops = &osa_port_ops;
	o->nic.port.peer = o;
	o->nic.in_room = osa_in_room;
	o->nic.in_room_ctx = o;
	/* The software rings' hash, unknown to senders on the wire. */
	if (getrandom(&o->rx.seed, sizeof(o->rx.seed), GRND_NONBLOCK) != sizeof(o->rx.seed))
		o->rx.seed = (uint32_t)now_ms(o) ^ ((uint32_t)cfg->rdev << 16);
	/* ... and the address table's, as unknown to them. */
	if (getrandom(&o->at.seed, sizeof(o->at.seed), GRND_NONBLOCK) != sizeof(o->at.seed))
		o->at.seed = now_ms(o) * 0x9E3779B97F4A7C15ull ^ o->rx.seed;
	snprintf(o->nic.port.name, sizeof(o->nic.port.name), "OSA %04X %.14s", cfg->rdev,
		 o->wire.name);
	arp_init(&o->arp, cfg->arp_ttl_ms);
	arp_init(&o->nd, cfg->arp_ttl_ms);
	/* The initial state is not a change: no callback. */
	o->link_up = wire_link(&o->wire) > 0;
	nic_set_link(&o->nic, o->link_up);
	return 0;

free_rings:
	atab_free(&o->at);
	free(o->heldbuf);
	rxr_free(&o->rx);
close_wire:
	wire_close(&o->wire);
free_tx:
	free(o->txb);
free_q:
	free(o->qbuf);
	memset(o, 0, sizeof(*o));
	o->wire.fd = -1;
	return rc;
}

void osa_destroy(struct osa *o)
{
	if (!o->qbuf)
		return;
	nic_destroy(&o->nic);
	wire_close(&o->wire);
	rxr_free(&o->rx);
	atab_free(&o->at);
	free(o->heldbuf);
	free(o->txb);
	free(o->qbuf);
	free(o->ofl_buf);
	memset(o, 0, sizeof(*o));
	o->wire.fd = -1;
}

int osa_wire_fd(const struct osa *o)
{
	return o->wire.fd;
}

const char *osa_drop_name(enum osa_drop why)
{
	static const char *const names[OSA_D_NR] = {
		[OSA_D_DOWN] = "not started",
		[OSA_D_LINK] = "link down",
		[OSA_D_RUNT] = "runt frame",
		[OSA_D_MAC] = "MAC not ours",
		[OSA_D_MCAST] = "group not registered",
		[OSA_D_NOT_MINE] = "IP not registered",
		[OSA_D_ETHERTYPE] = "unknown ethertype",
		[OSA_D_BADIP] = "malformed IP",
		[OSA_D_BADARP] = "malformed ARP",
		[OSA_D_VLAN] = "VLAN not registered",
		[OSA_D_BADFRAME] = "malformed frame",
		[OSA_D_TOOBIG] = "larger than MTU",
		[OSA_D_ARPQ_FULL] = "ARP queue full",
		[OSA_D_ARP_FAIL] = "next hop unresolved",
		[OSA_D_WIRE] = "wire busy or failed",
		[OSA_D_BADND] = "malformed ND",
		[OSA_D_RING] = "receive ring full",
		[OSA_D_GONE] = "destination gone",
		[OSA_D_MISSQ] = "miss queue full",
		[OSA_D_MISS_TIMEOUT] = "address not installed in time",
		[OSA_D_MISS_RATE] = "too many misses at once",
	};

	return (unsigned)why < OSA_D_NR && names[why] ? names[why] : "?";
}
