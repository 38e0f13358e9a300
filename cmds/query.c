/* cmds/query.c - QUERY NIC / LAN / VSWITCH / VMLAN / CONTROLLER / VIRTUAL / NAMES with
 * the line shapes of z/VM's output (doc/commands.md shows each). */
#include "cmds/cmds.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp/appl.h"
#include "cp/lanops.h"
#include "cp/uplink.h"
#include "qeth/ipa.h"
#include "vswitch/switch.h"

static const char *macprot_word(uint8_t m)
{
	return m == LAN_MACPROT_ON ? "ON" : m == LAN_MACPROT_OFF ? "OFF" : "Unspecified";
}

static const char *porttype_word(uint8_t pt)
{
	return pt == LAN_TRUNK ? "Trunk" : "Access";
}

static void maxconn_word(char *b, size_t n, const struct lanbk *lan)
{
	if (lan->maxconn)
		snprintf(b, n, "%u", lan->maxconn);
	else
		snprintf(b, n, "INFINITE");
}

static void vidset_text(char *b, size_t n, const struct lan_vlanset *s)
{
	size_t o = 0;

	b[0] = 0;
	for (unsigned v = 1; v <= LAN_VID_MAX && o + 12 < n; v++) {
		unsigned e = v;

		if (!lan_vlan_has(s, (uint16_t)v))
			continue;
		while (e + 1 <= LAN_VID_MAX && lan_vlan_has(s, (uint16_t)(e + 1)))
			e++;
		if (e > v)
			o += (size_t)snprintf(b + o, n - o, "%s%04u-%04u", o ? " " : "", v, e);
		else
			o += (size_t)snprintf(b + o, n - o, "%s%04u", o ? " " : "", v);
		v = e;
	}
	if (!o)
		snprintf(b, n, "NONE");
}

static void counters(const struct port_stats *st, const char *ind, struct out *o)
{
	out_line(o, "%sRX Packets: %-10" PRIu64 " Discarded: %-10" PRIu64 " Errors: %" PRIu64, ind,
		 st->rx_packets, st->rx_discards, st->rx_errors);
	out_line(o, "%sTX Packets: %-10" PRIu64 " Discarded: %-10" PRIu64 " Errors: %" PRIu64, ind,
		 st->tx_packets, st->tx_discards, st->tx_errors);
	out_line(o, "%sRX Bytes: %-20" PRIu64 " TX Bytes: %" PRIu64, ind, st->rx_bytes, st->tx_bytes);
	/* Every drop has a reason (STYLE 11). */
	for (unsigned k = 0; k < PD_NR; k++)
		if (st->drop[k])
			out_line(o, "%sDiscarded (%s): %" PRIu64, ind, port_drop_name((enum port_drop)k),
				 st->drop[k]);
}

/* A connection's bandwidth cap (doc/rings.md "Bandwidth caps"): the rate it runs at,
 * its burst, the two caps it is the lower of (the port number's, the NIC's or the
 * application port's own), and what each direction dropped. */
static void cap_lines(const struct lanbk *lan, const struct lan_conn *cn, const char *ind,
		      struct out *o)
{
	const struct shaper *tx = &cn->cap[LAN_CAP_TX], *rx = &cn->cap[LAN_CAP_RX];
	char r[24], pr[24], nr[24];
	uint64_t pn = lan_portnum_cap(lan, cn->portnum);

	if (!shaper_on(tx) && !tx->drop_frames && !rx->drop_frames)
		return;
	if (shaper_on(tx))
		shaper_rate_text(r, sizeof(r), tx->rate);
	shaper_rate_text(pr, sizeof(pr), pn);
	shaper_rate_text(nr, sizeof(nr), cn->own_cap);
	if (shaper_on(tx))
		out_line(o, "%sBandwidth: %s bit/s  Burst: %" PRIu64 " bytes  (PORTNUMBER %s, %s %s)",
			 ind, r, tx->burst, pn ? pr : "OFF", cn->appl_id ? "APPL" : "NIC",
			 cn->own_cap ? nr : "OFF");
	else
		out_line(o, "%sBandwidth: OFF", ind);
	out_line(o, "%sCapped: TX %" PRIu64 " frames %" PRIu64 " bytes  RX %" PRIu64 " frames %"
		 PRIu64 " bytes", ind, tx->drop_frames, tx->drop_bytes, rx->drop_frames,
		 rx->drop_bytes);
}

static void ip_text(char *b, size_t n, bool v6, const uint8_t *a)
{
	if (!v6) {
		snprintf(b, n, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		return;
	}
	snprintf(b, n, "%x:%x:%x:%x:%x:%x:%x:%x", a[0] << 8 | a[1], a[2] << 8 | a[3],
		 a[4] << 8 | a[5], a[6] << 8 | a[7], a[8] << 8 | a[9], a[10] << 8 | a[11],
		 a[12] << 8 | a[13], a[14] << 8 | a[15]);
}

static void nic_addresses(const struct nicbk *nic, const char *ind, struct out *o)
{
	char b[48], m[18];

	if (nic->nips) {
		out_line(o, "%sUnicast IP Addresses:", ind);
		for (unsigned k = 0; k < nic->nips; k++) {
			ip_text(b, sizeof(b), nic->ips[k].v6, nic->ips[k].addr);
			out_line(o, "%s  %s", ind, b);
		}
	}
	if (nic->nipms) {
		out_line(o, "%sMulticast IP Addresses:", ind);
		for (unsigned k = 0; k < nic->nipms; k++) {
			const struct nic_ipm *g = &nic->ipms[k];

			/* Kept as SETIPM carried it: an IPv4 group in the field's last 4 bytes. */
			ip_text(b, sizeof(b), g->v6, g->v6 ? g->addr : g->addr + IPA_SETIPM_V4_IN_ADDR);
			fmt_mac(m, g->mac);
			out_line(o, "%s  %-39s MAC: %s", ind, b, m);
		}
	}
	if (nic->nmacs) {
		out_line(o, "%sUnicast MAC Addresses:", ind);
		for (unsigned k = 0; k < nic->nmacs; k++)
			if (!nic->macs[k].group) {
				fmt_mac(m, nic->macs[k].mac);
				out_line(o, "%s  %s", ind, m);
			}
		out_line(o, "%sMulticast MAC Addresses:", ind);
		for (unsigned k = 0; k < nic->nmacs; k++)
			if (nic->macs[k].group) {
				fmt_mac(m, nic->macs[k].mac);
				out_line(o, "%s  %s", ind, m);
			}
	}
}

/* A remote NIC's adapter side (and its address lists) is in the VM's process: show
 * what its port registered on the LAN instead. */
static void lan_addresses(const struct lanbk *lan, const struct port *p, const char *ind,
			  struct out *o)
{
	const struct lan_conn *cn = lan ? lan_conn_of((struct lanbk *)lan, p) : NULL;
	const struct ipt_uni *u;
	uint16_t idx;
	uint32_t cur;
	char b[48], m[18];
	bool ip_hdr = false, mac_hdr = false;

	if (!cn)
		return;
	idx = cn->idx;
	for (cur = 0; (u = iptab_next_uni(&lan->tab, &cur));) {
		if (u->port != idx || u->kind == IPT_MAC)
			continue;
		if (!ip_hdr)
			out_line(o, "%sUnicast IP Addresses:", ind);
		ip_hdr = true;
		ip_text(b, sizeof(b), u->kind == IPT_V6, u->addr);
		out_line(o, "%s  %s", ind, b);
	}
	for (cur = 0; (u = iptab_next_uni(&lan->tab, &cur));) {
		if (u->port != idx || u->kind != IPT_MAC)
			continue;
		if (!mac_hdr)
			out_line(o, "%sUnicast MAC Addresses:", ind);
		mac_hdr = true;
		fmt_mac(m, u->addr);
		out_line(o, "%s  %s", ind, m);
	}
	/* Groups the port joined (SETIPM / SETGMAC), as QUERY shows them for local NICs. */
	for (int pass = 0; pass < 2; pass++) {
		const struct ipt_grp *g;
		bool hdr = false;

		for (cur = 0; (g = iptab_next_grp(&lan->tab, &cur));) {
			if (!(g->members[idx / 64] & (1ull << (idx % 64))) ||
			    (g->kind == IPT_MAC) != (pass == 1))
				continue;
			if (!hdr)
				out_line(o, "%sMulticast %s Addresses:", ind, pass ? "MAC" : "IP");
			hdr = true;
			if (pass) {
				fmt_mac(m, g->addr);
				out_line(o, "%s  %s", ind, m);
			} else {
				ip_text(b, sizeof(b), g->kind == IPT_V6, g->addr);
				out_line(o, "%s  %s", ind, b);
			}
		}
	}
}

static const char *role_word(enum nid_role r)
{
	switch (r) {
	case NID_READ: return "CTL-READ";
	case NID_WRITE: return "CTL-WRITE";
	case NID_DATA: return "DATA";
	default: return "UNASSIGNED";
	}
}

/* How a consumer in cpnetd waits for its source (lib/adapt.h): the policy, the mode
 * now, and the counters. */
static void adapt_line(const char *ind, const char *what, const struct adapt *a, struct out *o)
{
	out_line(o, "%s%s: %-9s Mode: %-9s Switches: %" PRIu64 "  Interrupts: %" PRIu64
		 "  Polls: %" PRIu64 "  Empty: %" PRIu64 "  Naps: %" PRIu64, ind, what,
		 adapt_policy_name(a->policy), adapt_mode_name(a->mode), a->switches,
		 a->interrupts, a->polls, a->empty_polls, a->naps);
}

/* A VM in another process: how cpnetd reads the ring of its link (one per VM). */
static void ring_reader(const struct vm *vm, const char *ind, struct out *o)
{
	if (vm && vm->link && vm->link->ring_on)
		adapt_line(ind, "Ring Reader", &vm->link->rxa, o);
}

void query_nic_out(const struct vnic *n, bool details, struct out *o)
{
	char mac[18];

	fmt_mac(mac, n->mac);
	out_line(o, "Adapter %04X.P%02u Type: %-10sName: %-12sDevices: %u", n->vdev, 0u,
		 n->type == LAN_HIPERS ? "HIPER" : "QDIO", "UNASSIGNED", n->ndev);
	if (n->lan)
		out_line(o, "  MAC: %-26s%s: %s %s", mac, lan_kind_word(n->lan), n->lan->owner,
			 n->lan->name);
	else
		out_line(o, "  MAC: %-26sLAN: * None", mac);
	if (!details)
		return;
	counters(&n->port->st, "  ", o);
	if (n->lan) {
		const struct lan_conn *cn = lan_conn_of(n->lan, n->port);

		if (cn)
			cap_lines(n->lan, cn, "  ", o);
	} else if (n->bandwidth) {
		char r[24];

		shaper_rate_text(r, sizeof(r), n->bandwidth);
		out_line(o, "  Bandwidth: OFF  NIC cap: %s (from COUPLE)", r);
	}
	if (!n->nic) {
		const struct lan_conn *cn = n->lan ? lan_conn_of(n->lan, n->port) : NULL;

		out_line(o, "  Connection Name: %-13sState: %s", "HALLOLE",
			 cn && cn->started ? "Session Established (remote)" : "Remote");
		for (unsigned k = 0; k < n->ndev; k++) {
			if (k == 2 && n->lan)
				out_line(o, "  Device: %04X  Unit: %03u   Role: %-10s vPort: %04u  Index: %04u",
					 n->vdev + k, k, "REMOTE", n->portnum, n->portnum);
			else
				out_line(o, "  Device: %04X  Unit: %03u   Role: REMOTE", n->vdev + k, k);
		}
		lan_addresses(n->lan, n->port, "  ", o);
		ring_reader(n->vm, "  ", o);
		return;
	}
	out_line(o, "  Connection Name: %-13sState: %s", "HALLOLE",
		 n->nic->state == NC_DM_ACT ? "Session Established" :
		 n->nic->state == NC_IDLE ? "Uninitialized" : nic_state_name(n->nic->state));
	for (unsigned k = 0; k < n->nic->ndev; k++) {
		const struct nidbk *d = &n->nic->dev[k];

		if (d->role == NID_DATA && n->lan)
			out_line(o, "  Device: %04X  Unit: %03u   Role: %-10s vPort: %04u  Index: %04u",
				 d->devno, k, role_word(d->role), n->portnum, n->portnum);
		else
			out_line(o, "  Device: %04X  Unit: %03u   Role: %s", d->devno, k,
				 role_word(d->role));
	}
	nic_addresses(n->nic, "  ", o);
}

int cmd_query_nic(struct cmd_ctx *c, char **argv, unsigned argc)
{
	bool details = false, all = true;
	uint16_t vdev = 0;
	unsigned shown = 0;

	for (unsigned i = 0; i < argc; i++) {
		if (kw_abbrev(argv[i], "DETAILS", 3)) {
			if (details)
				return out_msg(c->o, MSG_DUPLICATE_OPTION, "DETAILS");
			details = true;
		} else if (kw_abbrev(argv[i], "ALL", 3) && all && i == 0) {
			continue;
		} else if (i == 0 && parse_vdev(argv[i], &vdev) == 0) {
			all = false;
		} else {
			return out_msg(c->o, MSG_INV_OPTION, out_tok(argv[i]));
		}
	}
	if (!all) {
		struct vnic *n = vm_find_nic(c->vm, vdev);
		char a[8];

		if (!n) {
			snprintf(a, sizeof(a), "%04X", vdev);
			return out_msg(c->o, MSG_DEV_NOT_EXIST, a);
		}
		query_nic_out(n, details, c->o);
		return 0;
	}
	for (unsigned k = 0; k < c->vm->nnics; k++, shown++)
		query_nic_out(c->vm->nics[k], details, c->o);
	if (!shown)
		out_msg(c->o, MSG_NO_NICS, c->vm->userid);
	return 0;
}

/* An application port's own lines: its addresses, its handles, what its program did
 * wrong (counted, by reason). */
static void appl_details(struct cp *cp, const struct lanbk *lan, const struct lan_conn *cn,
			 struct out *o)
{
	const struct appl_port *ap = appl_find(cp, cn->appl_id);
	unsigned nh = 0;

	if (!ap)
		return;
	lan_addresses(lan, cn->port, "      ", o);
	for (unsigned k = 0; k < APPL_MAX_HANDLES; k++)
		nh += ap->h[k].used;
	out_line(o, "      Handles: %u  Region: %zu KB", nh, ap->region_size / 1024);
	for (unsigned k = 0; k < APPL_BAD_MAX; k++)
		if (ap->bad[k])
			out_line(o, "      Refused (%s): %" PRIu64, appl_bad_name((enum appl_bad)k),
				 ap->bad[k]);
}

static void adapters(struct cp *cp, const struct lanbk *lan, struct out *o)
{
	out_line(o, "  Adapter Connections: Connected: %u", lan->nguests);
	for (unsigned i = 0; i < lan->nlive; i++) {
		const struct lan_conn *cn = lan_conn_at(lan, lan->live[i]);
		const struct vm *vm;
		const struct vnic *n = NULL;
		const struct appl_port *ap;
		char vl[64];

		if (cn->uplink)
			continue;
		vm = cn->appl_id ? NULL : cp_find_vm(cp, cn->owner);
		if (vm)
			n = vm_find_nic(vm, cn->vdev);
		if (cn->appl_id)	/* an application port (api/cpnetport.h) */
			out_line(o, "    Adapter Owner: %-8s APPL: %08X Name: UNASSIGNED  Type: %s",
				 cn->owner, cn->appl_id, cn->appl_virtio ? "VIRTIO" : "APPL");
		else
			out_line(o, "    Adapter Owner: %-8s NIC: %04X.P00 Name: UNASSIGNED  Type: %s",
				 cn->owner, cn->vdev, lan->type == LAN_HIPERS ? "HIPER" : "QDIO");
		if (lan->vlan_aware) {
			if (cn->porttype == LAN_TRUNK)
				vidset_text(vl, sizeof(vl), &cn->vlans);
			else
				snprintf(vl, sizeof(vl), "%04u", cn->pvid);
			out_line(o, "      Porttype: %-8s VLAN: %s", porttype_word(cn->porttype), vl);
		}
		out_line(o, "      Port: %04u  Layer: %s  State: %s%s%s", cn->portnum,
			 cn->layer == 2 ? "2" : cn->layer == 3 ? "3" : "-",
			 cn->started ? "Started" : "Not started",
			 cn->mismatch ? "  (transport mismatch)" : "",
			 cn->isolation ? "  Isolation: DROP" : "");
		if (cn->port) {
			counters(&cn->port->st, "      ", o);
			cap_lines(lan, cn, "      ", o);
			/* Input queued toward the NIC (a VM in another process). */
			if (cn->port->rxq_peak)
				out_line(o, "      Queued: %u bytes  Peak: %u bytes  QueueStorage: %u MB",
					 cn->port->rxq_used, cn->port->rxq_peak, lan->queuestorage);
			/* An application port's frames that ever waited for a posted buffer. */
			if (cn->appl_id && (ap = appl_find(cp, cn->appl_id)) && ap->held_total)
				out_line(o, "      Waited for a buffer: %" PRIu64 " frames",
					 ap->held_total);
		}
		if (n && n->nic)
			nic_addresses(n->nic, "      ", o);
		else if (n)
			lan_addresses(lan, n->port, "      ", o);
		if (n && !n->nic)
			ring_reader(vm, "      ", o);
		else if (cn->appl_id)
			appl_details(cp, lan, cn, o);
	}
}

/* What the operator set on port numbers, coupled or waiting for a port, eight a line:
 * the caps (PORTNUMBER n BANDWIDTH) "  Port caps: 0001 20M  0005 1G" and the users
 * (PORTNUMBER n USERID) "  Port users: 0007 APP1  0010 G1". */
static void portnum_defs(const struct lanbk *lan, struct out *o)
{
	for (int users = 0; users < 2; users++) {
		char line[160], r[24];
		size_t len = 0;
		unsigned n = 0;

		for (unsigned k = 0; k < lan->npcaps; k++) {
			const struct lan_pcap *pc = &lan->pcaps[k];

			if (users ? !pc->user[0] : !pc->rate)
				continue;
			if (!users)
				shaper_rate_text(r, sizeof(r), pc->rate);
			len += (size_t)snprintf(line + len, sizeof(line) - len, "  %04u %s",
						pc->portnum, users ? pc->user : r);
			if (++n % 8 == 0) {
				out_line(o, "  Port %s:%s", users ? "users" : "caps", line);
				len = 0;
			}
		}
		if (len)
			out_line(o, "  Port %s:%s", users ? "users" : "caps", line);
	}
}

/* "RDEV: 0A00.P00 VDEV: 0600 Controller: DTCVSW2 ACTIVE" (z/VM's shape). */
static void rdev_line(struct cp *cp, const struct lanbk *lan, unsigned k, struct out *o)
{
	const struct up_sw *s = cp->up ? uplink_find_sw(cp->up, lan) : NULL;

	for (unsigned i = 0; s && i < 2; i++) {
		const struct up_conn *c = &s->c[i];

		if (c->state == UPC_IDLE || c->dev->rdev != lan->rdev[k])
			continue;
		out_line(o, "  RDEV: %04X.P%02u VDEV: %04X Controller: %-8s %s", lan->rdev[k],
			 lan->rdev_port[k], c->vdev, c->ctl, up_state_name(c->state));
		return;
	}
	out_line(o, "  RDEV: %04X.P%02u VDEV: NONE Controller: NONE     NOT ACTIVE", lan->rdev[k],
		 lan->rdev_port[k]);
}

/* The OSA's address table and the miss protocol (doc/osa.md "The address table"):
 * its size and use, then what the misses became (st: CP's answers, NULL = none). */
static void osa_table_lines(const char *ind, const struct osa *a, const struct up_stats *st,
			    struct out *o)
{
	const struct osa_stats *m = &a->st;

	out_line(o, "%sAddress Table: %u of %u  Hits: %" PRIu64 "  Misses: %" PRIu64
		 "  Installs: %" PRIu64 "  Evictions: %" PRIu64, ind, a->at.n, a->at.cap,
		 m->addr_hits, m->addr_misses, a->at.st.installs, a->at.st.evictions);
	out_line(o, "%sMisses Reported: %" PRIu64 "  Installed: %" PRIu64 "  Unknown: %" PRIu64
		 "  Expired: %" PRIu64 "  Held: %" PRIu64 "  Miss Latency: avg %" PRIu64
		 " ms  max %" PRIu64 " ms", ind, m->miss_reported, m->miss_installed,
		 m->miss_unknown, m->miss_expired, m->miss_held,
		 m->miss_installed ? m->miss_lat_sum_ms / m->miss_installed : 0,
		 m->miss_lat_max_ms);
	if (st)
		out_line(o, "%sMiss Answers: %" PRIu64 " from the IP table  %" PRIu64
			 " asked the controller (%" PRIu64 " installed)  %" PRIu64
			 " not eligible  %" PRIu64 " unknown  Deferred: %" PRIu64
			 "  Refreshed: %" PRIu64, ind, st->miss_table, st->miss_asked,
			 st->miss_resolved, st->miss_refused, st->miss_unknown,
			 st->regs_deferred, st->refreshes);
}

/* DETAILS: the uplink port's counters (RX = from the OSA into the switch, discards
 * include what the OSA itself refused: unknown addresses, not started...). */
static void uplink_details(struct cp *cp, const struct lanbk *lan, struct out *o)
{
	const struct up_sw *s = cp->up ? uplink_find_sw(cp->up, lan) : NULL;
	const struct up_conn *c;
	const struct lan_conn *cn;
	const struct port *p;
	uint64_t osa_rx = 0, osa_tx = 0;

	out_line(o, "  Uplink Port Connection:");
	if (!s || s->active < 0)
		return;
	c = &s->c[s->active];
	p = &s->port;
	cn = lan->uplink_idx >= 0 ? lan_conn_at(lan, (unsigned)lan->uplink_idx) : NULL;
	(void)cn;
	if (c->dev && c->dev->osa) {
		osa_rx = uplink_osa_rx_drops(c->dev);
		for (unsigned k = 0; k < OSA_D_NR; k++)
			osa_tx += c->dev->osa->st.tx_drop[k];
	}
	out_line(o, "    RDEV: %04X.P%02u VDEV: %04X Controller: %s  Device: %s %s", c->dev->rdev,
		 c->port, c->vdev, c->ctl, c->dev->backend[0] ? c->dev->backend : "NONE", c->dev->wname);
	out_line(o, "    RX Packets: %-10" PRIu64 " Discarded: %-10" PRIu64 " Errors: %" PRIu64,
		 s->st.rx_pkts, s->st.rx_discards + osa_rx + p->st.drop[PD_NOPORT], (uint64_t)0);
	out_line(o, "    TX Packets: %-10" PRIu64 " Discarded: %-10" PRIu64 " Errors: %" PRIu64,
		 s->st.tx_pkts, s->st.tx_discards + osa_tx, s->st.tx_errors);
	out_line(o, "    RX Bytes: %-20" PRIu64 " TX Bytes: %" PRIu64, s->st.rx_bytes, s->st.tx_bytes);
	/* What guests left to the adapter: handed to the OSA (its assists on), or done
	 * by CP (checksums written, large sends cut). */
	out_line(o, "    TX Offloads: %" PRIu64 " to the OSA  %" PRIu64 " checksummed  %" PRIu64
		 " cut by CP", s->st.tx_offloaded, s->st.tx_completed, s->st.tx_segmented);
	if (c->dev && c->dev->osa) {
		const struct osa *os = c->dev->osa;

		/* The host's large sends taken whole from the wire (doc/osa.md), and the
		 * wire's frames refused for their virtio-net header. */
		out_line(o, "    RX Large Receives: %s  %" PRIu64 " whole", os->rx_large_on ? "ON" : "OFF",
			 os->st.rx_large);
		for (unsigned k = 0; k < VNET_BAD_NR; k++)
			if (os->wire.st.rx_bad_vnet[k])
				out_line(o, "    Wire discarded (virtio-net header: %s): %" PRIu64,
					 vnet_bad_name((enum vnet_bad)k), os->wire.st.rx_bad_vnet[k]);
	}
	if (c->dev && c->dev->osa)
		for (unsigned k = 0; k < OSA_D_NR; k++)
			if (c->dev->osa->st.rx_drop[k])
				out_line(o, "    OSA discarded (%s): %" PRIu64,
					 osa_drop_name((enum osa_drop)k), c->dev->osa->st.rx_drop[k]);
	for (unsigned k = 0; k < PD_NR; k++)
		if (p->st.drop[k])
			out_line(o, "    Discarded (%s): %" PRIu64, port_drop_name((enum port_drop)k),
				 p->st.drop[k]);
	adapt_line("    ", "Wire Reader", &c->dev->rxa, o);
	if (c->dev->rearm_fails)
		out_line(o, "    Wire Reader: epoll add failed %" PRIu64 " times (polled meanwhile)",
			 c->dev->rearm_fails);
	out_line(o, "    Registrations: %" PRIu64 " sent  %" PRIu64 " accepted  %" PRIu64
		 " refused   Failovers: %" PRIu64 "  Switchovers: %" PRIu64, s->st.regs_sent,
		 s->st.regs_ok, s->st.regs_failed, s->st.failovers, s->st.switchovers);
	if (c->dev && c->dev->osa)
		osa_table_lines("    ", c->dev->osa, &s->st, o);
}

/* The access list (SET VSWITCH / SET LAN GRANT); a Guest LAN's is userids only. */
static void access_list(const struct lanbk *lan, struct out *o)
{
	out_line(o, "  Authorized userids:");
	if (!lan->ngrants)
		out_line(o, "    None");
	for (unsigned k = 0; k < lan->ngrants; k++) {
		const struct lan_grant *g = &lan->grants[k];
		char vl[64];

		if (lan->kind == LAN_GUESTLAN) {
			out_line(o, "    %s", g->user);
			continue;
		}
		if (g->has_vlans)
			vidset_text(vl, sizeof(vl), &g->vlans);
		else if (lan->vlan_aware)
			snprintf(vl, sizeof(vl), "%04u", lan->defvid);
		else
			snprintf(vl, sizeof(vl), "NONE");
		out_line(o, "    %-8s Porttype: %-6s VLAN: %s%s", g->user,
			 porttype_word(g->porttype ? g->porttype : lan->def_porttype), vl,
			 g->promisc ? "  Promiscuous" : "");
	}
}

/* IPTIMEOUT at work: the remote addresses the uplink brought in, when each was last
 * seen, and what came and went. */
static void remote_ips(const struct lanbk *lan, struct out *o)
{
	const struct ipt_uni *e;
	uint32_t cur = 0, now = (uint32_t)(lan->now_ms / 1000u);

	out_line(o, "  Remote IP Addresses: %u  IPTimeout: %u  Learned: %" PRIu64 "  Aged out: %"
		 PRIu64 "  Taken by guests: %" PRIu64 "  Not learned (table): %" PRIu64,
		 lan->tab.rcount, lan->iptimeout, lan->st.remote_learned, lan->st.remote_aged,
		 lan->st.remote_taken, lan->st.remote_full);
	while ((e = iptab_next_uni(&lan->tab, &cur)) != NULL) {
		char ip[48];

		if (!e->remote)
			continue;
		ip_text(ip, sizeof(ip), e->kind == IPT_V6, e->addr);
		out_line(o, "    %-39s Last seen: %u seconds ago", ip, now - e->seen);
	}
}

void query_lan_out(struct cp *cp, const struct lanbk *lan, enum q_detail d, struct out *o)
{
	char mc[16], mac[18] = "";
	const uint8_t *m = cp_lan_mac(cp, lan);
	const char *life = lan->persistent ? "PERSISTENT" : "TRANSIENT";
	const char *restr = lan->restricted ? "RESTRICTED" : "UNRESTRICTED";
	const char *type = lan->type == LAN_HIPERS ? "HIPERS" : "QDIO";

	maxconn_word(mc, sizeof(mc), lan);
	if (m)
		fmt_mac(mac, m);
	if (lan->kind == LAN_GUESTLAN) {
		out_line(o, "LAN %s %-8s     Type: %-7s Connected: %-4u Maxconn: %s", lan->owner,
			 lan->name, type, lan->nguests, mc);
		out_line(o, "  %-10s  %-12s  %-26sAccounting: %s", life, restr,
			 lan->transport == LAN_ETHERNET ? "ETHERNET" : "IP", lan->accounting ? "ON" : "OFF");
		out_line(o, "  IPTimeout: %-18uMAC Protection: %s", lan->iptimeout,
			 macprot_word(lan->macprotect));
		out_line(o, "  Isolation Status: %s", lan->isolation ? "ON" : "OFF");
	} else {
		out_line(o, "VSWITCH SYSTEM %-8s   Type: %-7s Connected: %u Maxconn: %s", lan->name,
			 type, lan->nguests, mc);
		out_line(o, "  %-10s  %-12s  %s Accounting: %s", life, restr,
			 lan->transport == LAN_ETHERNET ? "ETHERNET" :
			 lan->router == LAN_PRIROUTER ? "IP PRIROUTER" : "IP NONROUTER",
			 lan->accounting ? "ON" : "OFF");
		out_line(o, "  USERBASED LOCAL");
		if (lan->vlan_aware) {
			out_line(o, "  VLAN Aware  Default VLAN: %04u    Default Porttype: %s",
				 lan->defvid, porttype_word(lan->def_porttype));
			if (lan->native_vid)
				out_line(o, "  Native  VLAN: %04u", lan->native_vid);
			else
				out_line(o, "  Native  VLAN: NONE");
		} else {
			out_line(o, "  VLAN Unaware");
		}
		out_line(o, "  MAC address: %s    MAC Protection: %s", mac, macprot_word(lan->macprotect));
		out_line(o, "  IPTimeout: %-10uQueueStorage: %u", lan->iptimeout, lan->queuestorage);
		/* z/VM adds "VEPA Status:" here; cpnet has no VEPA mode, so no such line. */
		out_line(o, "  Isolation Status: %s", lan->isolation ? "ON" : "OFF");
		if (d != Q_ACCESSLIST) {
			out_line(o, " Uplink Port:");
			out_line(o, "  State: %s", !lan->connect ? "Disconnected" :
				 (lan->nrdev == 0 || lan->uplink) ? "Ready" : "Device not ready");
			/* z/VM's "PMTUD setting/value ... Trace Pages" line has no state
			 * behind it here (no path MTU discovery, no uplink trace). */
			if (!lan->nrdev)
				out_line(o, "  RDEV: None");
			for (unsigned k = 0; k < lan->nrdev; k++)
				rdev_line(cp, lan, k, o);
		}
	}
	if (d == Q_DETAILS) {
		if (lan->kind == LAN_VSWITCH && lan->uplink)
			uplink_details(cp, lan, o);
		if (lan->kind == LAN_VSWITCH && lan->transport == LAN_IP)
			remote_ips(lan, o);
		adapters(cp, lan, o);
		portnum_defs(lan, o);
		for (unsigned k = 0; k < PD_NR; k++)
			if (lan->st.drop[k])
				out_line(o, "  Switch discarded (%s): %" PRIu64,
					 port_drop_name((enum port_drop)k), lan->st.drop[k]);
		/* The switch's decision cache (doc/vswitch.md): its size, how often it
		 * answered, and how often a change of what decides emptied it. */
		out_line(o, "  Decision Cache: Entries: %u  Hits: %" PRIu64 "  Misses: %" PRIu64
			 "  Invalidations: %" PRIu64 "  Evictions: %" PRIu64,
			 dcache_entries(&lan->dc), lan->dc.hits, lan->dc.misses,
			 lan_generation(lan) - 1, lan->dc.evictions);
	}
	if (d == Q_ACCESSLIST || (d == Q_DETAILS && lan->kind == LAN_GUESTLAN && lan->restricted))
		access_list(lan, o);
}

static int query_lans(struct cmd_ctx *c, uint8_t kind, char **argv, unsigned argc)
{
	enum q_detail d = Q_BRIEF;
	char name[9] = "", owner[9] = "";
	bool active = false, named = false;
	unsigned shown = 0;
	const char *word = kind == LAN_VSWITCH ? "VSWITCH" : "LAN";

	for (unsigned i = 0; i < argc; i++) {
		const char *k = argv[i];

		if (kw_abbrev(k, "DETAILS", 3) || kw_abbrev(k, "ACCESSLIST", 3)) {
			if (d != Q_BRIEF)
				return out_msg(c->o, MSG_CONFLICT, out_tok(k));
			d = kw_abbrev(k, "DETAILS", 3) ? Q_DETAILS : Q_ACCESSLIST;
		} else if (kind == LAN_VSWITCH && kw_abbrev(k, "ACTIVE", 3)) {
			active = true;
		} else if (kind == LAN_GUESTLAN && kw_abbrev(k, "OWNERID", 5)) {
			if (i + 1 >= argc)
				return out_msg(c->o, MSG_OPTION_NEEDS, "OWNERID");
			if (parse_name(argv[++i], owner) < 0)
				return out_msg(c->o, MSG_INV_USERID, out_tok(argv[i]));
		} else if (i == 0 && kw_abbrev(k, "ALL", 3)) {
			continue;
		} else if (i == 0 && parse_name(k, name) == 0) {
			named = true;
		} else {
			return out_msg(c->o, MSG_INV_OPTION, out_tok(k));
		}
	}
	for (unsigned k = 0; k < c->cp->lans.n; k++) {
		const struct lanbk *lan = c->cp->lans.lans[k];

		if (lan->kind != kind || (named && strcmp(lan->name, name)) ||
		    (owner[0] && strcmp(lan->owner, owner)) || (active && !lan->nguests))
			continue;
		query_lan_out(c->cp, lan, d, c->o);
		shown++;
	}
	if (!shown && named)
		return out_msg(c->o, MSG_LAN_NOT_EXIST, word,
			       owner[0] ? owner : kind == LAN_VSWITCH ? "SYSTEM" : "*", name);
	if (!shown)
		out_msg(c->o, MSG_NONE_DEFINED, word);
	return 0;
}

int cmd_query_lan(struct cmd_ctx *c, char **argv, unsigned argc)
{
	return query_lans(c, LAN_GUESTLAN, argv, argc);
}

int cmd_query_vswitch(struct cmd_ctx *c, char **argv, unsigned argc)
{
	return query_lans(c, LAN_VSWITCH, argv, argc);
}

int cmd_query_vmlan(struct cmd_ctx *c, char **argv, unsigned argc)
{
	const struct vmlan *v = &c->cp->vmlan;
	unsigned np, nt;
	char lp[16], lt[16];

	(void)argv;
	(void)argc;
	cp_lan_counts(c->cp, &np, &nt);
	snprintf(lp, sizeof(lp), "%u", v->limit_persistent);
	snprintf(lt, sizeof(lt), "%u", v->limit_transient);
	out_line(c->o, "VMLAN MAC address assignment:");
	out_line(c->o, "  System MAC Protection: %s", v->macprotect ? "ON" : "OFF");
	out_line(c->o, "  MACADDR Prefix: %02X%02X%02X USER Prefix: %02X%02X%02X", v->prefix[0],
		 v->prefix[1], v->prefix[2], v->user_prefix[0], v->user_prefix[1], v->user_prefix[2]);
	out_line(c->o, "  MACIDRANGE SYSTEM: %06X-%06X", v->sys_lo, v->sys_hi);
	out_line(c->o, "             USER:   %06X-%06X", v->user_lo, v->user_hi);
	out_line(c->o, "VMLAN general activity:");
	out_line(c->o, "  PERSISTENT Limit: %-11sCurrent: %u",
		 v->limit_persistent ? lp : "INFINITE", np);
	out_line(c->o, "  TRANSIENT  Limit: %-11sCurrent: %u",
		 v->limit_transient ? lt : "INFINITE", nt);
	return 0;
}

int cmd_query_controller(struct cmd_ctx *c, char **argv, unsigned argc)
{
	struct cp *cp = c->cp;
	char want[9] = "";
	unsigned shown = 0;

	if (argc && parse_name(argv[0], want) < 0)
		return out_msg(c->o, MSG_INV_USERID, out_tok(argv[0]));
	for (unsigned v = 0; v < cp->nvms; v++) {
		const struct vm *vm = cp->vms[v];

		if (!vm->ctl || (want[0] && strcmp(want, vm->userid)))
			continue;
		shown++;
		/* z/VM also shows the controller's TCP/IP level and a capability list;
		 * every cpnet controller runs the same code, so neither says anything. */
		out_line(c->o, "Controller %-8s Available: %-3s   VDEV Range: *", vm->userid,
			 vm->ctl_stalled ? "NO" : "YES");
		for (unsigned k = 0; cp->up && k < cp->up->nsw; k++) {
			const struct up_sw *s = cp->up->sw[k];

			for (unsigned i = 0; i < 2; i++)
				if (s->c[i].state != UPC_IDLE && !strcmp(s->c[i].ctl, vm->userid))
					out_line(c->o, "    SYSTEM   %-8s          %-10s Controller: %-8s VDEV:  %04X",
						 s->lan->name, (int)i == s->active ? "Primary" : "Backup",
						 s->lan->controller[0] ? s->lan->controller : "*",
						 s->c[i].vdev);
		}
	}
	if (!shown)
		return out_msg(c->o, MSG_NO_CONTROLLER);
	return 0;
}

/* QUERY OSA DETAILS: an OSA's classified receive rings (osa/rxring.h, doc/rings.md):
 * one line a ring in use (kind, bound destination, counters), one line a destination. */
static void osa_rings_out(const struct up_osa *d, struct out *o)
{
	const struct rxr *r = &d->osa->rx;
	char a[48];

	out_line(o, "     %04X RX RINGS: HARDWARE %u SOFTWARE %u QUANTUM %u BINDS %" PRIu64
		 " REBINDS %" PRIu64 " UNTRACKED %" PRIu64, d->rdev + 2, r->nhw, RXR_SW_RINGS,
		 r->quantum, r->st.binds, r->st.rebinds, r->st.untracked);
	out_line(o, "     %04X RX STORAGE: %" PRIu64 "K SLOTS IN USE %u FRAME %u COPIED %" PRIu64
		 " NO STORAGE %" PRIu64, d->rdev + 2, (r->storage + 1023) / 1024,
		 r->nslots - r->nfree, r->frame_max, r->st.copied, r->st.nomem);
	for (unsigned i = 0; i < r->nrings; i++) {
		const struct rxr_ring *g = &r->rings[i];
		char bound[64];

		if (g->kind == RXR_DEFAULT) {
			snprintf(bound, sizeof(bound), "BROADCAST/MULTICAST");
		} else if (g->kind == RXR_SOFTWARE) {
			unsigned n = 0;

			for (unsigned k = 0; k < RXR_DESTS; k++)
				n += r->dest[k].used && r->dest[k].ring == i;
			snprintf(bound, sizeof(bound), "SHARED BY %u", n);
		} else if (g->dest == RXR_NONE) {
			snprintf(bound, sizeof(bound), "NONE");
		} else {
			rxr_key_text(&r->dest[g->dest].key, a, sizeof(a));
			snprintf(bound, sizeof(bound), "%s VLAN %u", a, r->dest[g->dest].key.vlan);
		}
		out_line(o, "     %04X RING %02u %-8s BOUND %-28s FRAMES %" PRIu64 " BYTES %" PRIu64
			 " QUEUED %u DROPS %" PRIu64 " (FRAMES %" PRIu64 " BYTES %" PRIu64
			 " GONE %" PRIu64 ")",
			 d->rdev + 2, i, rxr_kind_name((enum rxr_kind)g->kind), bound, g->frames,
			 g->fbytes, g->n,
			 g->drops[RXR_D_FRAMES] + g->drops[RXR_D_BYTES] + g->drops[RXR_D_GONE],
			 g->drops[RXR_D_FRAMES], g->drops[RXR_D_BYTES], g->drops[RXR_D_GONE]);
	}
	for (unsigned k = 0; k < RXR_DESTS; k++) {
		const struct rxr_dest *e = &r->dest[k];

		if (!e->used)
			continue;
		rxr_key_text(&e->key, a, sizeof(a));
		out_line(o, "     %04X DEST %s VLAN %u RING %02u LOAD %u FRAMES %" PRIu64 " BYTES %" PRIu64
			 " DROPS %" PRIu64, d->rdev + 2, a, e->key.vlan, e->ring, e->load, e->frames,
			 e->bytes, e->drops);
	}
}

/* QUERY OSA [ALL] [DETAILS]: the real OSA-Express devices (RDEVICE) and who they are
 * attached to: "OSA  0A00 ATTACHED TO DTCVSW2  0600 DEVTYPE OSA CHPID 0A OSD"; DETAILS
 * adds each open OSA's receive rings. */
int cmd_query_osa(struct cmd_ctx *c, char **argv, unsigned argc)
{
	struct uplinks *u = c->cp->up;
	bool details = false;

	for (unsigned i = 0; i < argc; i++) {
		if (kw_abbrev(argv[i], "DETAILS", 3))
			details = true;
		else if (!kw_abbrev(argv[i], "ALL", 3))
			return out_msg(c->o, MSG_INV_OPTION, out_tok(argv[i]));
	}
	if (!u || !u->nosas)
		return out_msg(c->o, MSG_NONE_DEFINED, "OSA");
	for (unsigned k = 0; k < u->nosas; k++) {
		const struct up_osa *d = &u->osas[k];
		const struct up_conn *cn = NULL;

		for (unsigned i = 0; d->sw && i < 2; i++)
			if (d->sw->c[i].state != UPC_IDLE && d->sw->c[i].dev == d)
				cn = &d->sw->c[i];
		for (unsigned j = 0; j < 3; j++) {
			if (cn)
				out_line(c->o, "OSA  %04X ATTACHED TO %-8s %04X DEVTYPE OSA CHPID %02X OSD PORT %02u",
					 d->rdev + j, cn->ctl, cn->vdev + j, d->chpid, d->portno);
			else
				out_line(c->o, "OSA  %04X %-20s DEVTYPE OSA CHPID %02X OSD PORT %02u",
					 d->rdev + j, !d->osa ? "OFFLINE" : d->link ? "FREE" : "NOT READY",
					 d->chpid, d->portno);
		}
		if (details && d->osa) {
			osa_rings_out(d, c->o);
			osa_table_lines("     ", d->osa, NULL, c->o);
		}
	}
	return 0;
}

int cmd_query_virtual(struct cmd_ctx *c, char **argv, unsigned argc)
{
	bool osa = kw_abbrev(argv[0], "OSA", 3);
	bool details = false;

	if (!osa && !kw_abbrev(argv[0], "NIC", 3))
		return out_msg(c->o, MSG_INV_OPTION, out_tok(argv[0]));
	if (argc > 1) {
		if (osa || !kw_abbrev(argv[1], "DETAILS", 3))
			return out_msg(c->o, MSG_INV_OPTION, out_tok(argv[1]));
		details = true;
	}
	if (!c->vm->nnics)
		return out_msg(c->o, MSG_NO_NICS, c->vm->userid), 0;
	for (unsigned k = 0; k < c->vm->nnics; k++) {
		const struct vnic *n = c->vm->nics[k];

		if (!osa) {
			query_nic_out(n, details, c->o);
			continue;
		}
		for (unsigned d = 0; d < n->ndev; d++) {
			const struct nidbk *nd = n->nic ? &n->nic->dev[d] : NULL;
			unsigned devno = n->vdev + d;

			/* A remote NIC's subchannels are its process's own. */
			if (nd)
				out_line(c->o, "OSA  %04X ON NIC  %04X  UNIT %03u SUBCHANNEL = %04X", devno,
					 n->vdev, d, nd->schno);
			else
				out_line(c->o, "OSA  %04X ON NIC  %04X  UNIT %03u SUBCHANNEL = REMOTE", devno,
					 n->vdev, d);
			out_line(c->o, "     %04X DEVTYPE %-11s CHPID %02X %s", devno,
				 n->type == LAN_HIPERS ? "HIPER" : "OSA", n->chpid,
				 n->type == LAN_HIPERS ? "IQD" : "OSD");
			if (nd && nd->role == NID_DATA)
				out_line(c->o, "     %04X QDIO %s", devno,
					 n->nic->qdio_active ? "ACTIVE" : "INACTIVE");
		}
	}
	return 0;
}

/* QUERY NAMES lists by userid; a copy is sorted, since the VM table's order decides
 * things (the first eligible controller on a tie) that a query must not change. */
static int by_userid(const void *a, const void *b)
{
	return strcmp((*(const struct vm *const *)a)->userid, (*(const struct vm *const *)b)->userid);
}

int cmd_query_names(struct cmd_ctx *c, char **argv, unsigned argc)
{
	const struct vm **vms;
	char line[128];
	size_t len = 0;
	unsigned on_line = 0;

	(void)argv;
	(void)argc;
	if (!c->cp->nvms)
		return 0;
	vms = malloc(c->cp->nvms * sizeof(*vms));
	if (!vms)
		return out_msg(c->o, MSG_INTERNAL, "out of storage");
	memcpy(vms, c->cp->vms, c->cp->nvms * sizeof(*vms));
	qsort(vms, c->cp->nvms, sizeof(*vms), by_userid);
	for (unsigned k = 0; k < c->cp->nvms; k++) {
		const struct vm *vm = vms[k];
		char term[12];

		if (vm->nsessions)
			snprintf(term, sizeof(term), "L%04u", vm->term % 10000);
		else
			snprintf(term, sizeof(term), "DSC");
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%-8s - %s",
					on_line ? " , " : "", vm->userid, term);
		if (++on_line == 4) {
			out_line(c->o, "%s", line);
			len = 0;
			on_line = 0;
		}
	}
	if (on_line)
		out_line(c->o, "%s", line);
	free(vms);
	return 0;
}
