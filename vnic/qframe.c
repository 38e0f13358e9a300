/* vnic/qframe.c - qeth header <-> port frame metadata, both directions, for the vnic's
 * data device and the uplink's data device (one mapping, so the two cannot drift). */
#include "vnic/qframe.h"

#include <errno.h>
#include <string.h>

uint8_t qframe_l3_cast(uint8_t pf_cast)
{
	switch (pf_cast) {
	case PF_BROADCAST:
		return QHDR_L3_CAST_BCAST;
	case PF_MULTICAST:
		return QHDR_L3_CAST_MCAST;
	case PF_ANYCAST:
		return QHDR_L3_CAST_ANYCAST;
	default:
		return QHDR_L3_CAST_UCAST;
	}
}

static uint8_t pf_cast_l3(uint8_t flags)
{
	switch (flags & QHDR_L3_CAST_MASK) {
	case QHDR_L3_CAST_BCAST:
		return PF_BROADCAST;
	case QHDR_L3_CAST_MCAST:
		return PF_MULTICAST;
	case QHDR_L3_CAST_ANYCAST:
		return PF_ANYCAST;
	default:
		return PF_UNICAST;
	}
}

static uint8_t pf_cast_l2(uint8_t flags2)
{
	switch (flags2 & QHDR_L2_CAST_MASK) {
	case QHDR_L2_BCAST:
		return PF_BROADCAST;
	case QHDR_L2_MCAST:
		return PF_MULTICAST;
	default:
		return PF_UNICAST;
	}
}

/* The checksum flags of either layer (L2 flags[1], L3 ext_flags: the same bits): the
 * driver's request on the way out, the adapter's "verified" on the way in.  A large
 * send leaves every checksum to the adapter, the IPv4 header's included (Linux's
 * layer 3 zeroes it). */
static void csum_meta(const struct qhdr *h, uint8_t flags, enum qframe_dir dir, struct pframe *f)
{
	if (qhdr_id_is_tso(h->id)) {
		f->gso_size = h->tso.mss;
		f->csum = PF_CSUM_PARTIAL;
		f->csum_ip_hdr = true;
		return;
	}
	if (!(flags & QHDR_L2_CSUM_TRANSP))
		return;
	f->csum = dir == QF_OUTBOUND ? PF_CSUM_PARTIAL : PF_CSUM_VERIFIED;
	f->csum_ip_hdr = dir == QF_OUTBOUND && (flags & QHDR_L2_CSUM_HDR);
}

void qframe_meta(const struct qhdr *h, enum qframe_dir dir, struct pframe *f)
{
	if (qhdr_id_is_l2(h->id)) {
		f->kind = PF_ETH;
		f->cast = pf_cast_l2(h->l2.flags2);
		if (h->l2.flags2 & QHDR_L2_VLAN)
			f->vlan = h->l2.vlan_tci & 0x0FFF;
		csum_meta(h, h->l2.flags1, dir, f);
		if (dir == QF_INBOUND && h->l2.rx_mss) {
			/* A large receive (cpnet's own field): whole, checksum open. */
			f->gso_size = h->l2.rx_mss;
			f->csum = PF_CSUM_PARTIAL;
			f->csum_ip_hdr = false;
		}
		return;
	}
	csum_meta(h, h->l3.ext_flags, dir, f);
	f->kind = (h->l3.flags & QHDR_L3_PASSTHRU) ? PF_ETH : PF_IP;
	f->ipv6 = (h->l3.flags & QHDR_L3_IPV6) != 0;
	f->cast = pf_cast_l3(h->l3.flags);
	if (dir == QF_OUTBOUND) {
		if (h->l3.ext_flags & QHDR_L3_EXT_VLAN)
			f->vlan = h->l3.vlan_id & 0x0FFF;
		memcpy(f->next_hop, h->l3.addr, sizeof(f->next_hop));
		return;
	}
	if (h->l3.ext_flags & QHDR_L3_EXT_SRC_MAC) {
		memcpy(f->src_mac, qhdr_l3_rx_src_mac(&h->l3), 6);
		f->has_src_mac = true;
	}
	if (h->l3.ext_flags & QHDR_L3_EXT_INCL_VLAN)
		f->vlan = qhdr_l3_rx_vlan(&h->l3) & 0x0FFF;
}

int qframe_inbound_hdr(const struct pframe *f, unsigned layer, bool verified, struct qhdr *h)
{
	/* The one "verified" bit of either layer; never for a large send (the
	 * receiver gets its segments, each with its own header). */
	uint8_t cs = verified && f->csum != PF_CSUM_NONE && !f->gso_size ? QHDR_L2_CSUM_TRANSP : 0;

	_Static_assert(QHDR_L2_CSUM_TRANSP == QHDR_L3_EXT_CSUM_TRANSP, "one checksum bit");
	memset(h, 0, sizeof(*h));
	if (layer == 2) {
		if (f->kind != PF_ETH)
			return -EINVAL;
		h->id = QHDR_ID_L2;
		h->l2.flags2 = f->cast == PF_BROADCAST ? QHDR_L2_BCAST
			       : f->cast == PF_MULTICAST ? QHDR_L2_MCAST : QHDR_L2_UCAST;
		if (f->vlan) {
			h->l2.flags2 |= QHDR_L2_VLAN;
			h->l2.vlan_tci = f->vlan;
		}
		h->l2.pkt_len = (uint16_t)f->len;
		h->l2.flags1 = cs;
		/* Only a NIC whose driver takes it whole is handed one (nicbk.rx_large). */
		h->l2.rx_mss = f->gso_size;
		return 0;
	}
	h->id = QHDR_ID_L3;
	h->l3.flags = qframe_l3_cast(f->cast);
	if (f->ipv6)
		h->l3.flags |= QHDR_L3_IPV6;
	if (f->kind == PF_ETH)
		h->l3.flags |= QHDR_L3_PASSTHRU;
	h->l3.length = (uint16_t)f->len;
	h->l3.ext_flags = cs;
	if (f->has_src_mac)
		qhdr_l3_set_rx_src_mac(&h->l3, f->src_mac);
	if (f->vlan)
		qhdr_l3_set_rx_vlan(&h->l3, f->vlan);
	return 0;
}
