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

void qframe_meta(const struct qhdr *h, enum qframe_dir dir, struct pframe *f)
{
	if (qhdr_id_is_l2(h->id)) {
		f->kind = PF_ETH;
		f->cast = pf_cast_l2(h->l2.flags2);
		if (h->l2.flags2 & QHDR_L2_VLAN)
			f->vlan = h->l2.vlan_tci & 0x0FFF;
		return;
	}
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

int qframe_inbound_hdr(const struct pframe *f, unsigned layer, struct qhdr *h)
{
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
		return 0;
	}
	h->id = QHDR_ID_L3;
	h->l3.flags = qframe_l3_cast(f->cast);
	if (f->ipv6)
		h->l3.flags |= QHDR_L3_IPV6;
	if (f->kind == PF_ETH)
		h->l3.flags |= QHDR_L3_PASSTHRU;
	h->l3.length = (uint16_t)f->len;
	if (f->has_src_mac)
		qhdr_l3_set_rx_src_mac(&h->l3, f->src_mac);
	if (f->vlan)
		qhdr_l3_set_rx_vlan(&h->l3, f->vlan);
	return 0;
}
