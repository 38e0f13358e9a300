/* vnic/ipa.c - IPA commands as a virtual NIC answers them: every command Linux qeth
 * sends in layer 2 and layer 3, registrations passed to the port, replies built here. */
#include <errno.h>
#include <string.h>

#include "lib/be.h"
#include "qeth/ipa.h"
#include "qeth/mpc.h"
#include "vnic/nic_int.h"

/* What the NIC offers (QIPASSIST), per layer and protocol.  Checksum and large send
 * are offered in both layers: the switch completes what a guest left out only for a
 * receiver that did not enable the same assist (vnic/data.c, cp/uplink.c).  Layer 2
 * names IPv6 on its IPv4 query because that is what makes Linux ask the IPv6 one
 * (qeth_core_hardsetup_card), where the IPv6 offload bits live. */
#define NIC_OFFLOAD_V4 (IPA_INBOUND_CHECKSUM | IPA_OUTBOUND_CHECKSUM | IPA_OUTBOUND_TSO)
#define NIC_OFFLOAD_V6 (IPA_INBOUND_CHECKSUM_V6 | IPA_OUTBOUND_CHECKSUM_V6 | IPA_OUTBOUND_TSO)
#define NIC_ASSISTS_L3_V4 (IPA_ARP_PROCESSING | IPA_FILTERING | IPA_IPV6 | \
			   IPA_MULTICASTING | IPA_SETADAPTERPARMS | IPA_SOURCE_MAC | \
			   IPA_PASSTHRU | IPA_INBOUND_PASSTHRU | IPA_FULL_VLAN | \
			   IPA_VLAN_PRIO | NIC_OFFLOAD_V4)
#define NIC_ASSISTS_L3_V6 (IPA_IPV6 | IPA_PASSTHRU | IPA_INBOUND_PASSTHRU | \
			   IPA_MULTICASTING | IPA_SETADAPTERPARMS | NIC_OFFLOAD_V6)
#define NIC_ASSISTS_L2_V4 (IPA_SETADAPTERPARMS | IPA_IPV6 | NIC_OFFLOAD_V4)
#define NIC_ASSISTS_L2_V6 (IPA_IPV6 | NIC_OFFLOAD_V6)
#define NIC_ADP_CMDS (IPA_SETADP_QUERY_COMMANDS_SUPPORTED | IPA_SETADP_ALTER_MAC_ADDRESS | \
		      IPA_SETADP_SET_PROMISC_MODE | IPA_SETADP_SET_ACCESS_CONTROL | \
		      IPA_SETADP_QUERY_CARD_INFO)
/* Checksum flags the NIC does (START reply) and needs (ENABLE): IP header, UDP, TCP,
 * and LP2LP - guests on one LAN reach each other with the offload still on. */
#define NIC_CSUM_FLAGS (IPA_CSUM_IP_HDR | IPA_CSUM_UDP | IPA_CSUM_TCP | IPA_CSUM_LP2LP)

static uint32_t assists(const struct nicbk *nic, uint16_t prot)
{
	if (nic->layer == 2)
		return prot == IPA_PROT_V6 ? NIC_ASSISTS_L2_V6 : NIC_ASSISTS_L2_V4;
	return prot == IPA_PROT_V6 ? NIC_ASSISTS_L3_V6 : NIC_ASSISTS_L3_V4;
}

static bool same_ip(const struct nic_ip *ip, bool v6, const uint8_t *addr)
{
	return ip->v6 == v6 && memcmp(ip->addr, addr, v6 ? 16 : 4) == 0;
}

static uint16_t reg(struct nicbk *nic, struct paddr *a)
{
	return port_addr(&nic->port, a);
}

static uint16_t do_setip(struct nicbk *nic, const struct ipa_cmd *c, bool set)
{
	bool v6 = c->hdr.prot == IPA_PROT_V6;
	struct paddr a = { .op = set ? PA_SETIP : PA_DELIP, .ipv6 = v6 };
	unsigned i;
	uint16_t rc;

	if (nic->layer != 3)
		return IPA_RC_NOTSUPP;
	if (c->hdr.prot != IPA_PROT_V4 && c->hdr.prot != IPA_PROT_V6)
		return IPA_RC_SETIP_INVALID_VERSION;
	if (nic->cfg.port_table) {
		/* The adapter's own table: its answer is the answer. */
		if (set && !nic->lan_started)
			return IPA_RC_SETIP_NO_STARTLAN;
		memcpy(a.ip, c->u.setip.addr, 16);
		memcpy(a.mask, c->u.setip.mask, 16);
		a.value = c->u.setip.flags;
		return reg(nic, &a);
	}
	for (i = 0; i < nic->nips; i++)
		if (same_ip(&nic->ips[i], v6, c->u.setip.addr))
			break;
	if (set && !nic->lan_started)
		return IPA_RC_SETIP_NO_STARTLAN;
	if (set && i < nic->nips)
		return IPA_RC_SUCCESS;		/* Linux retries: already ours */
	if (set && nic->nips >= NIC_MAX_IPS)
		return IPA_RC_IP_ADDR_TABLE_FULL;
	if (!set && i == nic->nips)
		return IPA_RC_PRIMARY_ALREADY_DEFINED;	/* DELIP: "not defined" */
	memcpy(a.ip, c->u.setip.addr, 16);
	memcpy(a.mask, c->u.setip.mask, 16);
	a.value = c->u.setip.flags;
	rc = reg(nic, &a);
	if (rc && set)
		return rc;
	if (set) {
		struct nic_ip *ip = &nic->ips[nic->nips++];

		memset(ip, 0, sizeof(*ip));
		ip->v6 = v6;
		memcpy(ip->addr, c->u.setip.addr, 16);
		memcpy(ip->mask, c->u.setip.mask, 16);
		ip->flags = c->u.setip.flags;
	} else {
		nic->ips[i] = nic->ips[--nic->nips];
	}
	return IPA_RC_SUCCESS;
}

/* The group as the port carries it (vnic/port.h: IPv4 in the first 4 bytes); on the
 * wire SETIPM puts an IPv4 group in the last 4 bytes of its address field. */
static void ipm_to_port(bool v6, const uint8_t wire[16], uint8_t ip[16])
{
	memset(ip, 0, 16);
	if (v6)
		memcpy(ip, wire, 16);
	else
		memcpy(ip, wire + IPA_SETIPM_V4_IN_ADDR, 4);
}

static uint16_t do_setipm(struct nicbk *nic, const struct ipa_cmd *c, bool set)
{
	bool v6 = c->hdr.prot == IPA_PROT_V6;
	const uint8_t *addr = c->u.setipm.addr;
	struct paddr a = { .op = set ? PA_SETIPM : PA_DELIPM, .ipv6 = v6 };
	unsigned i;
	uint16_t rc;

	if (nic->layer != 3)
		return IPA_RC_NOTSUPP;
	if (c->hdr.prot != IPA_PROT_V4 && c->hdr.prot != IPA_PROT_V6)
		return IPA_RC_INVALID_IP_VERSION;
	for (i = 0; i < nic->nipms; i++)
		if (nic->ipms[i].v6 == v6 && !memcmp(nic->ipms[i].addr, addr, 16))
			break;
	if (set && i < nic->nipms)
		return IPA_RC_SUCCESS;
	if (!set && i == nic->nipms)
		return IPA_RC_MC_ADDR_NOT_FOUND;
	if (set && nic->nipms >= NIC_MAX_IPMS)
		return IPA_RC_IP_ADDR_TABLE_FULL;
	ipm_to_port(v6, addr, a.ip);
	memcpy(a.mac, c->u.setipm.mac, 6);
	rc = reg(nic, &a);
	if (rc && set)
		return rc;
	if (set) {
		struct nic_ipm *m = &nic->ipms[nic->nipms++];

		m->v6 = v6;
		memcpy(m->addr, addr, 16);
		memcpy(m->mac, c->u.setipm.mac, 6);
	} else {
		nic->ipms[i] = nic->ipms[--nic->nipms];
	}
	return IPA_RC_SUCCESS;
}

static uint16_t do_mac(struct nicbk *nic, const struct ipa_cmd *c)
{
	bool group = c->hdr.cmd == IPA_CMD_SETGMAC || c->hdr.cmd == IPA_CMD_DELGMAC;
	bool set = c->hdr.cmd == IPA_CMD_SETVMAC || c->hdr.cmd == IPA_CMD_SETGMAC;
	const uint8_t *mac = c->u.mac.addr;
	struct paddr a = { .op = group ? (set ? PA_SETGMAC : PA_DELGMAC)
				       : (set ? PA_SETVMAC : PA_DELVMAC) };
	unsigned i;
	uint16_t rc;

	if (nic->layer != 2)
		return IPA_RC_L2_UNSUPPORTED_CMD;
	/* A group address must have the group bit, a unicast one must not. */
	if (group != ((mac[0] & 1) != 0))
		return group ? IPA_RC_L2_GMAC_NOT_FOUND : IPA_RC_L2_MAC_NOT_AUTH_BY_ADP;
	if (!group && nic->cfg.port_table) {
		/* The adapter's own table (an OSA): its answer is the answer. */
		memcpy(a.mac, mac, 6);
		rc = reg(nic, &a);
		if (rc == IPA_RC_SUCCESS && set)
			memcpy(nic->cur_mac, mac, 6);
		return rc;
	}
	for (i = 0; i < nic->nmacs; i++)
		if (nic->macs[i].group == group && !memcmp(nic->macs[i].mac, mac, 6))
			break;
	if (set && i < nic->nmacs)
		return group ? IPA_RC_SUCCESS : IPA_RC_L2_DUP_MAC;
	if (!set && i == nic->nmacs)
		return group ? IPA_RC_L2_GMAC_NOT_FOUND : IPA_RC_L2_MAC_NOT_FOUND;
	if (set && nic->nmacs >= NIC_MAX_MACS)
		return IPA_RC_L2_ADDR_TABLE_FULL;
	memcpy(a.mac, mac, 6);
	rc = reg(nic, &a);
	if (rc && set)
		return rc;
	if (set) {
		memcpy(nic->macs[nic->nmacs].mac, mac, 6);
		nic->macs[nic->nmacs++].group = group;
		if (!group)
			memcpy(nic->cur_mac, mac, 6);
	} else {
		nic->macs[i] = nic->macs[--nic->nmacs];
	}
	return IPA_RC_SUCCESS;
}

static uint16_t do_vlan(struct nicbk *nic, const struct ipa_cmd *c)
{
	bool set = c->hdr.cmd == IPA_CMD_SETVLAN;
	uint16_t vid = c->u.vlan;
	struct paddr a = { .op = set ? PA_SETVLAN : PA_DELVLAN, .vlan = vid };
	bool have;
	uint16_t rc;

	if (nic->layer != 2)
		return IPA_RC_L2_UNSUPPORTED_CMD;
	if (vid == 0 || vid > 4094)
		return IPA_RC_L2_INVALID_VLAN_ID;
	have = nic->vlans[vid / 8] & (1u << (vid % 8));
	if (set && have)
		return IPA_RC_L2_DUP_VLAN_ID;
	if (!set && !have)
		return IPA_RC_L2_VLAN_ID_NOT_FOUND;
	rc = reg(nic, &a);
	if (rc && set)
		return rc;
	if (set)
		nic->vlans[vid / 8] |= (uint8_t)(1u << (vid % 8));
	else
		nic->vlans[vid / 8] &= (uint8_t)~(1u << (vid % 8));
	return IPA_RC_SUCCESS;
}

/* The QIPASSIST bit an assist number stands for on protocol prot: Linux starts the
 * IPv6 checksum assists with the IPv4 numbers on an IPv6 SETASSPARMS and looks for
 * the _V6 bits in the IPv6 query (qeth_set_ipa_rx_csum, qeth_fix_features). */
static uint32_t assist_bit(uint32_t assist, uint16_t prot)
{
	if (prot != IPA_PROT_V6)
		return assist;
	if (assist == IPA_INBOUND_CHECKSUM)
		return IPA_INBOUND_CHECKSUM_V6;
	if (assist == IPA_OUTBOUND_CHECKSUM)
		return IPA_OUTBOUND_CHECKSUM_V6;
	return assist;
}

static uint8_t offload_bit(uint32_t assist)
{
	switch (assist) {
	case IPA_INBOUND_CHECKSUM:
		return NIC_OFL_RXCSUM;
	case IPA_OUTBOUND_CHECKSUM:
		return NIC_OFL_TXCSUM;
	case IPA_OUTBOUND_TSO:
		return NIC_OFL_TSO;
	default:
		return 0;
	}
}

/* The largest TCP payload of one segment on this LAN (the TSO START reply's MSS). */
static uint32_t tso_mss(uint16_t prot)
{
	return PORT_MAX_MTU - (prot == IPA_PROT_V6 ? 40 : 20) - 20;
}

/*
 * Checksum and large-send assists, as Linux 6.1 drives them (qeth_set_csum_on,
 * qeth_set_tso_on): START answers what the NIC can do (checksum: the flag word;
 * TSO: {MSS, capabilities}); ENABLE names what the guest wants and the reply gives
 * {supported, enabled}; STOP turns it off.  Both replies are longer than their
 * requests (START has no data, checksum ENABLE 4 bytes): the data is ours.
 */
static uint16_t do_offload(struct nicbk *nic, struct ipa_cmd *c, uint8_t bit, uint32_t *en)
{
	struct ipa_setass *s = &c->u.setass;
	uint8_t *on = c->hdr.prot == IPA_PROT_V6 ? &nic->offl6 : &nic->offl4;
	bool tso = bit == NIC_OFL_TSO;
	uint32_t want;

	switch (s->cmd) {
	case IPA_SETASS_START:
		*en |= s->assist;
		s->data = NULL;
		if (tso) {
			s->data_len = 8;
			s->d.tso.mss = tso_mss(c->hdr.prot);
			s->d.tso.supported = IPA_LARGE_SEND_TCP;
		} else {
			s->data_len = 4;
			s->d.flags = NIC_CSUM_FLAGS;
		}
		break;
	case IPA_SETASS_ENABLE:
		/* Checksum names its flags in the one word it sends, TSO in the
		 * "enabled" half of its pair. */
		if (s->data_len < (tso ? 8 : 4)) {
			s->rc = IPA_RC_INVALID_FORMAT;
			return IPA_RC_INVALID_FORMAT;
		}
		want = tso ? s->d.caps.enabled : s->d.flags;
		s->data = NULL;
		s->data_len = 8;
		s->d.caps.supported = tso ? IPA_LARGE_SEND_TCP : NIC_CSUM_FLAGS;
		s->d.caps.enabled = want & s->d.caps.supported;
		if (tso ? !s->d.caps.enabled : !(s->d.caps.enabled & (IPA_CSUM_TCP | IPA_CSUM_UDP)))
			*on &= (uint8_t)~bit;
		else
			*on |= bit;
		*en |= s->assist;
		break;
	case IPA_SETASS_STOP:
		*on &= (uint8_t)~bit;
		*en &= ~s->assist;
		break;
	default:
		s->rc = IPA_RC_UNSUPPORTED_SUBCMD;
		c->hdr.enabled = *en;
		return IPA_RC_UNSUPPORTED_SUBCMD;
	}
	s->rc = 0;
	c->hdr.enabled = *en;
	return IPA_RC_SUCCESS;
}

static uint16_t do_setass(struct nicbk *nic, struct ipa_cmd *c)
{
	struct ipa_setass *s = &c->u.setass;
	uint32_t sup = assists(nic, c->hdr.prot);
	uint32_t *en = c->hdr.prot == IPA_PROT_V6 ? &nic->assists_enabled6
						  : &nic->assists_enabled4;
	uint8_t bit = offload_bit(s->assist);

	c->hdr.supported = sup;
	if (__builtin_popcount(s->assist) != 1 || !(sup & assist_bit(s->assist, c->hdr.prot)) ||
	    (bit && c->hdr.prot != IPA_PROT_V4 && c->hdr.prot != IPA_PROT_V6)) {
		s->rc = IPA_RC_NOTSUPP;
		return IPA_RC_NOTSUPP;
	}
	if (bit)
		return do_offload(nic, c, bit, en);
	switch (s->cmd) {
	case IPA_SETASS_START:
	case IPA_SETASS_ENABLE:
		*en |= s->assist;
		break;
	case IPA_SETASS_STOP:
		*en &= ~s->assist;
		break;
	case IPA_SETASS_CONFIGURE:
		break;
	default:
		/* ARP cache queries and the like: the switch keeps no ARP cache. */
		s->rc = IPA_RC_NOTSUPP;
		c->hdr.enabled = *en;
		return IPA_RC_NOTSUPP;
	}
	s->rc = 0;
	c->hdr.enabled = *en;
	return IPA_RC_SUCCESS;
}

/*
 * SET_ACCESS_CONTROL (Linux's "isolation" attribute).  DROP: the switch keeps every
 * frame between this port and the other guests (either way), the uplink still
 * reaches it.  FORWARD needs an adapter in VEPA mode whose adjacent switch reflects
 * frames back (reflective relay); neither the NIC nor the switch does that, so it is
 * refused with the code Linux reports as "the adjacent switch port does not support
 * reflective relay mode".  Not coupled: recorded, and given to the port at COUPLE.
 */
static uint16_t set_isolation(struct nicbk *nic, uint32_t mode)
{
	struct paddr pa = { .op = PA_ISOLATION, .value = mode };
	uint16_t rc;

	if (mode == IPA_ADP_ISOLATION_FWD)
		return IPA_ADP_ACCESS_RC_REFLREL_UNSUPPORTED;
	if (mode != IPA_ADP_ISOLATION_NONE && mode != IPA_ADP_ISOLATION_DROP)
		return IPA_ADP_ACCESS_RC_NOT_SUPPORTED;
	if (mode == nic->adp_isolation)
		return mode ? IPA_ADP_ACCESS_RC_ALREADY_ISOLATED
			    : IPA_ADP_ACCESS_RC_ALREADY_NOT_ISOLATED;
	rc = reg(nic, &pa);
	if (rc && !(rc == IPA_RC_LAN_OFFLINE && !nic->link_up))
		return IPA_ADP_ACCESS_RC_NOT_SUPPORTED;
	nic->adp_isolation = mode;
	return IPA_ADP_ACCESS_RC_OK;
}

/* QUERY_CARD_INFO's port speed for the link type ULP_ENABLE reported (0 = unknown). */
static uint32_t card_speed(uint8_t link_type)
{
	switch (link_type) {
	case MPC_LINK_FAST_ETH:
	case MPC_LINK_LANE_ETH:
		return IPA_ADP_CARD_SPEED_100M;
	case MPC_LINK_GBE:
		return IPA_ADP_CARD_SPEED_1G;
	case MPC_LINK_10GBE:
		return IPA_ADP_CARD_SPEED_10G;
	case MPC_LINK_25GBE:
		return IPA_ADP_CARD_SPEED_25G;
	default:
		return 0;
	}
}

static uint16_t do_setadp(struct nicbk *nic, struct ipa_cmd *c)
{
	struct ipa_setadp *a = &c->u.setadp;
	struct paddr pa = { .op = PA_PROMISC };
	uint16_t rc;

	a->supported = NIC_ADP_CMDS;
	a->sub_rc = 0;
	if (!(a->subcmd & NIC_ADP_CMDS) ||
	    (!a->has_data && a->subcmd != IPA_SETADP_QUERY_CARD_INFO))
		return IPA_RC_NOTSUPP;
	switch (a->subcmd) {
	case IPA_SETADP_QUERY_COMMANDS_SUPPORTED:
		a->d.qcs.n_lan_types = 1;
		a->d.qcs.lan_type = nic->cfg.link_type;
		a->d.qcs.supported = NIC_ADP_CMDS;
		break;
	case IPA_SETADP_ALTER_MAC_ADDRESS:
		if (a->d.mac.op == IPA_ADP_MAC_READ) {
			memcpy(a->d.mac.mac, nic->cfg.mac, 6);
			a->d.mac.addr_size = 6;
			a->d.mac.count = 1;
			a->flags = IPA_SETADP_FLAG_VIRTUAL_MAC;
		} else if (a->d.mac.op == IPA_ADP_MAC_REPLACE && a->d.mac.addr_size == 6 &&
			   !(a->d.mac.mac[0] & 1)) {
			memcpy(nic->cur_mac, a->d.mac.mac, 6);
		} else {
			a->sub_rc = IPA_RC_NOTSUPP;
		}
		break;
	case IPA_SETADP_SET_PROMISC_MODE:
		if (a->d.mode > IPA_ADP_PROMISC_ON) {
			a->sub_rc = IPA_RC_INVALID_FORMAT;
			break;
		}
		pa.value = a->d.mode;
		rc = reg(nic, &pa);
		if (rc)
			a->sub_rc = rc;
		else
			nic->promisc = a->d.mode == IPA_ADP_PROMISC_ON;
		break;
	case IPA_SETADP_SET_ACCESS_CONTROL:
		a->sub_rc = set_isolation(nic, a->d.mode);
		break;
	case IPA_SETADP_QUERY_CARD_INFO:
		/* Linux (up to 5.19, from ethtool) asks with no data and reads the answer
		 * after the sub-header: the reply grows by the card-info block. */
		if (!a->has_data) {
			a->has_data = true;
			a->data_len = IPA_ADP_CARD_SIZE;
			a->data = NULL;
		}
		/* No physical card: a type outside the OSA feature codes makes the driver
		 * take the speed below, which is the link type ULP_ENABLE reported. */
		a->d.card.card_type = IPA_ADP_CARD_TYPE_VIRTUAL;
		a->d.card.port_mode = IPA_ADP_CARD_FULL_DUPLEX;
		a->d.card.port_speed = card_speed(nic->cfg.link_type);
		break;
	default:
		return IPA_RC_NOTSUPP;
	}
	return IPA_RC_SUCCESS;
}

static uint16_t dispatch(struct nicbk *nic, struct ipa_cmd *c)
{
	struct paddr a = { 0 };
	uint16_t rc;

	switch (c->hdr.cmd) {
	case IPA_CMD_STARTLAN:
		a.op = PA_STARTLAN;
		rc = reg(nic, &a);
		/* Not coupled: the guest goes on with carrier off (Linux tolerates 0xE080). */
		if (rc == IPA_RC_SUCCESS && !nic->link_up)
			rc = IPA_RC_LAN_OFFLINE;
		if (rc == IPA_RC_SUCCESS || rc == IPA_RC_LAN_OFFLINE)
			nic->lan_started = true;
		return rc;
	case IPA_CMD_STOPLAN:
		a.op = PA_STOPLAN;
		reg(nic, &a);
		nic->lan_started = false;
		return IPA_RC_SUCCESS;
	case IPA_CMD_QIPASSIST:
		c->hdr.supported = assists(nic, c->hdr.prot);
		c->hdr.enabled = c->hdr.prot == IPA_PROT_V6 ? nic->assists_enabled6
							    : nic->assists_enabled4;
		return IPA_RC_SUCCESS;
	case IPA_CMD_SETASSPARMS:
		return do_setass(nic, c);
	case IPA_CMD_SETADAPTERPARMS:
		return do_setadp(nic, c);
	case IPA_CMD_SETVMAC:
	case IPA_CMD_DELVMAC:
	case IPA_CMD_SETGMAC:
	case IPA_CMD_DELGMAC:
		return do_mac(nic, c);
	case IPA_CMD_SETVLAN:
	case IPA_CMD_DELVLAN:
		return do_vlan(nic, c);
	case IPA_CMD_SETIP:
		return do_setip(nic, c, true);
	case IPA_CMD_DELIP:
		return do_setip(nic, c, false);
	case IPA_CMD_SETIPM:
		return do_setipm(nic, c, true);
	case IPA_CMD_DELIPM:
		return do_setipm(nic, c, false);
	case IPA_CMD_SETRTG:
		if (nic->layer != 3)
			return IPA_RC_NOTSUPP;
		if (c->u.setrtg > IPA_RTG_MULTICAST_ROUTER &&
		    !(nic->cfg.type == NIC_HIPERS && c->u.setrtg <= IPA_RTG_SECONDARY_CONNECTOR))
			return IPA_RC_INVALID_SETRTG_INDICATOR;
		a.op = PA_SETRTG;
		a.ipv6 = c->hdr.prot == IPA_PROT_V6;
		a.value = c->u.setrtg;
		rc = reg(nic, &a);
		if (rc)
			return rc;
		if (a.ipv6)
			nic->routing6 = c->u.setrtg;
		else
			nic->routing4 = c->u.setrtg;
		return IPA_RC_SUCCESS;
	case IPA_CMD_CREATE_ADDR:
		if (nic->layer != 3)
			return IPA_RC_NOTSUPP;
		memcpy(c->u.create.mac, nic->cfg.mac, 6);
		return IPA_RC_SUCCESS;
	case IPA_CMD_DESTROY_ADDR:
		return nic->layer == 3 ? IPA_RC_SUCCESS : IPA_RC_NOTSUPP;
	default:
		/* VNICC, SETBRIDGEPORT, SET_DIAG_ASS, and anything unknown. */
		return IPA_RC_NOTSUPP;
	}
}

/* Put our framing on a reply that reuses the request's geometry. */
static void stamp_reply(struct nicbk *nic, uint8_t *msg, uint32_t req_pdu_seq)
{
	uint32_t seq = nic_next_seq(nic);

	be_put32(msg + 0x04, seq);		/* TH transport seq */
	be_put32(msg + 0x1C, seq);		/* RRH PDU seq */
	be_put32(msg + 0x20, req_pdu_seq);	/* RRH ack seq */
	be_put32(msg + 0x2C, nic->host_ulp_conn);	/* RRH destination token */
}

int nic_ipa(struct nicbk *nic, const uint8_t *buf, uint32_t len)
{
	uint8_t out[NIC_MSG_MAX];
	struct ipa_cmd c;
	size_t off, cmdlen;
	uint16_t rc;
	int drc, n;

	if (len > NIC_MSG_MAX)
		return -EMSGSIZE;
	drc = ipa_pdu_payload(buf, len, &off, &cmdlen);
	if (drc < 0)
		return drc;
	nic->st.ipa_cmds++;
	memcpy(out, buf, off + cmdlen);
	stamp_reply(nic, out, be_get32(buf + 0x1C));
	drc = ipa_cmd_decode(buf + off, cmdlen, &c);
	if (drc < 0 || drc == IPA_DECODE_UNKNOWN_CMD || drc == IPA_DECODE_UNKNOWN_SUBCMD) {
		struct ipa_hdr h;

		/* A header we can read gets an IPA return code; none is a command reject. */
		if (ipa_hdr_decode(buf + off, cmdlen, &h) < 0)
			return -EBADMSG;
		rc = drc < 0 ? IPA_RC_INVALID_FORMAT : IPA_RC_NOTSUPP;
		nic->st.ipa_errors++;
		n = ipa_reply_build(buf + off, cmdlen, IPA_INIT_HOST, rc, out + off,
				    sizeof(out) - off);
		if (n < 0)
			return n;
		return nic_post_msg(nic, out, (uint32_t)(off + cmdlen));
	}
	if (c.hdr.initiator != IPA_INIT_HOST)
		return -EBADMSG;	/* a guest never sends replies to us */
	rc = dispatch(nic, &c);
	if (rc)
		nic->st.ipa_errors++;
	ipa_cmd_make_reply(&c, IPA_INIT_HOST, rc);
	n = ipa_cmd_encode(&c, out + off, sizeof(out) - off);
	if (n < 0) {
		/* The reply cannot be encoded: answer with the code only. */
		n = ipa_reply_build(buf + off, cmdlen, IPA_INIT_HOST, rc ? rc : IPA_RC_NOTSUPP,
				    out + off, sizeof(out) - off);
		if (n < 0)
			return n;
	}
	/* A reply longer than its request (QUERY_CARD_INFO asked without data) says so
	 * in the PDU; a shorter one keeps the request's length and tail. */
	if ((size_t)n > cmdlen) {
		drc = ipa_pdu_set_len(out, (size_t)n);
		if (drc < 0)
			return drc;
		cmdlen = (size_t)n;
	}
	return nic_post_msg(nic, out, (uint32_t)(off + cmdlen));
}

int nic_ipa_unsolicited(struct nicbk *nic, uint8_t cmd)
{
	uint8_t out[MPC_PDU_OFF + IPA_HDR_SIZE];
	struct mpc_hdr h = { 0 };
	struct ipa_hdr ih = { 0 };
	int n;

	h.th_seq = h.pdu_seq = nic_next_seq(nic);
	h.rrh_type = IPA_PDU_RRH_TYPE_IPA;
	h.proto = nic->layer == 2 ? IPA_PDU_PROT_L2 : IPA_PDU_PROT_L3;
	h.dest_token = nic->host_ulp_conn;
	n = mpc_frame_encode(&h, IPA_HDR_SIZE, out, sizeof(out));
	if (n < 0)
		return n;
	ih.cmd = cmd;
	ih.initiator = IPA_INIT_ADAPTER;
	ih.adapter_type = IPA_ADAPTER_TYPE;
	ih.prim_version = nic->layer == 2 ? IPA_PRIM_L2 : IPA_PRIM_L3;
	ih.param_count = 1;
	if (ipa_hdr_encode(&ih, out + n, sizeof(out) - (size_t)n) < 0)
		return -ENOSPC;
	return nic_post_msg(nic, out, sizeof(out));
}

void nic_ipa_forget(struct nicbk *nic)
{
	struct paddr a;

	for (unsigned i = 0; i < nic->nips; i++) {
		memset(&a, 0, sizeof(a));
		a.op = PA_DELIP;
		a.ipv6 = nic->ips[i].v6;
		memcpy(a.ip, nic->ips[i].addr, 16);
		reg(nic, &a);
	}
	for (unsigned i = 0; i < nic->nipms; i++) {
		memset(&a, 0, sizeof(a));
		a.op = PA_DELIPM;
		a.ipv6 = nic->ipms[i].v6;
		ipm_to_port(a.ipv6, nic->ipms[i].addr, a.ip);
		reg(nic, &a);
	}
	for (unsigned i = 0; i < nic->nmacs; i++) {
		memset(&a, 0, sizeof(a));
		a.op = nic->macs[i].group ? PA_DELGMAC : PA_DELVMAC;
		memcpy(a.mac, nic->macs[i].mac, 6);
		reg(nic, &a);
	}
	for (unsigned v = 1; v < 4095; v++) {
		if (nic->vlans[v / 8] & (1u << (v % 8))) {
			memset(&a, 0, sizeof(a));
			a.op = PA_DELVLAN;
			a.vlan = (uint16_t)v;
			reg(nic, &a);
		}
	}
	/* Promiscuous mode and the router role live in the port too (the LAN's
	 * promiscuous count, its primary router slot): give them back as well. */
	if (nic->promisc) {
		memset(&a, 0, sizeof(a));
		a.op = PA_PROMISC;
		a.value = IPA_ADP_PROMISC_OFF;
		reg(nic, &a);
	}
	for (int v6 = 0; v6 < 2; v6++) {
		if (!(v6 ? nic->routing6 : nic->routing4))
			continue;
		memset(&a, 0, sizeof(a));
		a.op = PA_SETRTG;
		a.ipv6 = v6 != 0;
		a.value = IPA_RTG_NONE;
		reg(nic, &a);
	}
	if (nic->adp_isolation) {
		memset(&a, 0, sizeof(a));
		a.op = PA_ISOLATION;
		a.value = IPA_ADP_ISOLATION_NONE;
		reg(nic, &a);
	}
	if (nic->lan_started) {
		memset(&a, 0, sizeof(a));
		a.op = PA_STOPLAN;
		reg(nic, &a);
	}
	nic->nips = nic->nipms = nic->nmacs = 0;
	memset(nic->vlans, 0, sizeof(nic->vlans));
	nic->lan_started = false;
	nic->promisc = false;
	nic->assists_enabled4 = nic->assists_enabled6 = 0;
	nic->offl4 = nic->offl6 = 0;
	nic->routing4 = nic->routing6 = 0;
	nic->adp_isolation = 0;
	memcpy(nic->cur_mac, nic->cfg.mac, 6);
}
