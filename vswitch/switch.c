/* vswitch/switch.c - the frame switch of one LANBK: the port_ops every attached port
 * uses, registrations into the LAN IP table, and batched copy-once forwarding. */
#include "vswitch/switch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tso.h"
#include "qdio/queue.h"
#include "qeth/ipa.h"

/*
 * Forwarding, netmap VALE style, in two passes over a batch of at most LAN_BATCH
 * frames (bigger batches are cut into chunks):
 *   1. classify: per frame, the sender's VLAN (ingress rules), then the lookup (which
 *      also checks the source address) gives a decision: one destination slot, a set
 *      (LAN_BROADCAST + its LAN_SET_* bits) or NOPORT (+ a drop reason), from the
 *      LAN's decision cache (dcache.h) or, on a miss, made and kept there.  Each
 *      destination gets the frame's bit in its conn.fwd_mask; destinations are
 *      remembered in first-touch order.
 *   2. deliver: per destination, one port_deliver() with its frames in batch order.
 *      The pframes still point at the sender's storage; only VLAN tag insertion or
 *      removal rewrites the span list (around a 4-byte tag kept here), never bytes.
 * Locking: a LANBK is driven by one thread (cpnetd's event loop); the scratch below
 * is per LAN, so forwarding neither allocates nor makes a system call.
 */
#define LAN_OUT_SPANS 1024

struct lan_fwd {
	int16_t dst[LAN_BATCH];
	uint16_t vid[LAN_BATCH];	/* the frame's VLAN inside the switch (0 = unaware) */
	uint16_t tci[LAN_BATCH];	/* layer 2: the inline 802.1Q TCI */
	bool tagged[LAN_BATCH];		/* layer 2: the frame carries an inline tag */
	uint16_t act[LAN_CONN_SLOTS];	/* destinations of the chunk */
	unsigned nact;
	struct pframe out[LAN_BATCH];
	struct qdio_span spans[LAN_OUT_SPANS];
	uint8_t tags[LAN_BATCH][4];
	/* classify_in -> classify_out: a frame's key and its hash, or the decision it
	 * made without the tables; FS_* says which (or that it was dropped) */
	union dc_key key[LAN_BATCH];
	uint32_t hash[LAN_BATCH];
	struct dc_dec dec[LAN_BATCH];
	uint8_t step[LAN_BATCH];
	uint64_t now;			/* the LAN's clock for this batch's caps ... */
	bool have_now;			/* ... read at the first capped frame */
};

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_8021Q 0x8100
#define ETH_P_IPV6 0x86DD

static const struct port_ops lan_port_ops;

/* The connection table, the live list and the forwarding scratch come with the first
 * connection, and connection slots a chunk at a time as ports come: a LAN nobody
 * couples to costs its LANBK only (a SYSTEM CONFIG may define thousands), one with a
 * few guests a chunk, not 1025 slots.  0 or -ENOMEM. */
static int ports_alloc(struct lanbk *lan)
{
	if (lan->conn)
		return 0;
	lan->conn = calloc(LAN_CONN_CHUNKS, sizeof(*lan->conn));
	lan->live = calloc(LAN_CONN_SLOTS, sizeof(*lan->live));
	lan->fwd = calloc(1, sizeof(*lan->fwd));
	if (lan->conn && lan->live && lan->fwd && dcache_size(&lan->dc, 1) == 0)
		return 0;
	lan_switch_fini(lan);
	return -ENOMEM;
}

void lan_switch_fini(struct lanbk *lan)
{
	dcache_free(&lan->dc);
	free(lan->fwd);
	free(lan->live);
	for (unsigned k = 0; lan->conn && k < LAN_CONN_CHUNKS; k++)
		free(lan->conn[k]);
	free(lan->conn);
	lan->fwd = NULL;
	lan->live = NULL;
	lan->conn = NULL;
}

/* The cache's size follows the LAN's: two entries for each registered address and
 * connection, up to its bound, grown at registrations (never on the frame path).
 * Short of memory it stays smaller, which is only slower. */
static void dc_fit(struct lanbk *lan)
{
	(void)dcache_size(&lan->dc, lan->tab.ucount + lan->nlive);
}

/* ---- authorization and attachment ----------------------------------------------- */

void lan_conn_authorize(struct lanbk *lan, struct lan_conn *c)
{
	const struct lan_grant *g = lan_grant_find(lan, c->owner);

	c->porttype = g && g->porttype ? g->porttype : lan->def_porttype;
	memset(&c->vlans, 0, sizeof(c->vlans));
	if (g && g->has_vlans)
		c->vlans = g->vlans;
	else
		lan_vlan_add(&c->vlans, lan->defvid);
	/* An access port lives in one VLAN: the lowest one granted. */
	c->pvid = lan->defvid;
	for (unsigned v = 1; v <= LAN_VID_MAX; v++)
		if (lan_vlan_has(&c->vlans, (uint16_t)v)) {
			c->pvid = (uint16_t)v;
			break;
		}
	/* Unrestricted LANs let anyone go promiscuous unless a GRANT says otherwise; a
	 * Guest LAN's GRANT names users only (no PROMISCUOUS operand), so it says nothing. */
	c->promisc_auth = g && lan->kind == LAN_VSWITCH ? g->promisc : !lan->restricted;
	if (c->promisc && !c->promisc_auth) {
		c->promisc = false;
		lan->npromisc--;
	}
	lan_changed(lan);
}

/* ---- bandwidth caps ---------------------------------------------------------------- */

static struct lan_pcap *pcap_find(const struct lanbk *lan, unsigned portnum)
{
	for (unsigned k = 0; k < lan->npcaps; k++)
		if (lan->pcaps[k].portnum == portnum)
			return &lan->pcaps[k];
	return NULL;
}

uint64_t lan_portnum_cap(const struct lanbk *lan, unsigned portnum)
{
	const struct lan_pcap *pc = pcap_find(lan, portnum);

	return pc ? pc->rate : 0;
}

/* The lower of the port number's cap and the NIC's own; the buckets restart (empty)
 * only when the rate changes (a cap set again to the same rate changes nothing). */
static void conn_caps(struct lanbk *lan, struct lan_conn *c)
{
	uint64_t pn = c->uplink ? 0 : lan_portnum_cap(lan, c->portnum), rate = pn;
	uint64_t now;

	if (c->own_cap && (!rate || c->own_cap < rate))
		rate = c->own_cap;
	if (rate == c->cap[LAN_CAP_TX].rate)
		return;
	now = lan->clock(lan->clock_ctx);
	shaper_set(&c->cap[LAN_CAP_TX], rate, now);
	shaper_set(&c->cap[LAN_CAP_RX], rate, now);
}

/* The entry of a port number, made (in port number order: QUERY lists them so) when
 * `make`; NULL if there is none (or no storage: -ENOMEM in *err). */
static struct lan_pcap *pcap_get(struct lanbk *lan, unsigned portnum, bool make, int *err)
{
	struct lan_pcap *pc = pcap_find(lan, portnum);
	unsigned at = 0;

	if (pc || !make)
		return pc;
	if (lan->npcaps == lan->pcaps_cap) {
		unsigned nc = lan->pcaps_cap ? lan->pcaps_cap * 2 : 8;
		struct lan_pcap *np = realloc(lan->pcaps, nc * sizeof(*np));

		if (!np) {
			*err = -ENOMEM;
			return NULL;
		}
		lan->pcaps = np;
		lan->pcaps_cap = nc;
	}
	while (at < lan->npcaps && lan->pcaps[at].portnum < portnum)
		at++;
	memmove(&lan->pcaps[at + 1], &lan->pcaps[at], (lan->npcaps - at) * sizeof(*lan->pcaps));
	memset(&lan->pcaps[at], 0, sizeof(lan->pcaps[at]));
	lan->pcaps[at].portnum = (uint16_t)portnum;
	lan->npcaps++;
	return &lan->pcaps[at];
}

/* An entry with neither a cap nor a user goes. */
static void pcap_tidy(struct lanbk *lan, struct lan_pcap *pc)
{
	unsigned at = (unsigned)(pc - lan->pcaps);

	if (pc->rate || pc->user[0])
		return;
	memmove(pc, pc + 1, (lan->npcaps - at - 1) * sizeof(*pc));
	lan->npcaps--;
}

int lan_set_portnum_cap(struct lanbk *lan, unsigned portnum, uint64_t rate)
{
	struct lan_pcap *pc;
	int err = 0;

	if (!portnum || portnum > LAN_PORTNUM_MAX ||
	    (rate && (rate < SHAPER_RATE_MIN || rate > SHAPER_RATE_MAX)))
		return -EINVAL;
	pc = pcap_get(lan, portnum, rate != 0, &err);
	if (err)
		return err;
	if (pc) {
		pc->rate = rate;
		pcap_tidy(lan, pc);
	}
	for (unsigned i = 0; i < lan->nlive; i++) {
		struct lan_conn *c = lan_conn_at(lan, lan->live[i]);

		if (!c->uplink && c->portnum == portnum)
			conn_caps(lan, c);
	}
	return 0;
}

/* The connection that has port number `portnum` now, or NULL. */
static struct lan_conn *conn_with_portnum(struct lanbk *lan, unsigned portnum)
{
	for (unsigned i = 0; i < lan->nlive; i++) {
		struct lan_conn *c = lan_conn_at(lan, lan->live[i]);

		if (!c->uplink && c->portnum == portnum)
			return c;
	}
	return NULL;
}

int lan_set_portnum_user(struct lanbk *lan, unsigned portnum, const char *user)
{
	char u[LAN_NAME_MAX + 1] = "";
	struct lan_conn *c;
	struct lan_pcap *pc;
	int err = 0;

	if (!portnum || portnum > LAN_PORTNUM_MAX || (user && lan_name_canon(user, u)))
		return -EINVAL;
	/* A port another user holds now keeps its number: refused, not taken away. */
	c = conn_with_portnum(lan, portnum);
	if (c && u[0] && strcmp(c->owner, u))
		return -EADDRINUSE;
	pc = pcap_get(lan, portnum, u[0] != 0, &err);
	if (err)
		return err;
	if (pc) {
		memcpy(pc->user, u, sizeof(pc->user));
		pcap_tidy(lan, pc);
	}
	return 0;
}

const char *lan_portnum_user(const struct lanbk *lan, unsigned portnum)
{
	const struct lan_pcap *pc = pcap_find(lan, portnum);

	return pc && pc->user[0] ? pc->user : NULL;
}

int lan_set_own_cap(struct lanbk *lan, struct port *port, uint64_t rate)
{
	struct lan_conn *c = lan_conn_of(lan, port);

	if (rate && (rate < SHAPER_RATE_MIN || rate > SHAPER_RATE_MAX))
		return -EINVAL;
	if (!c || c->uplink)
		return -ENOENT;
	c->own_cap = rate;
	conn_caps(lan, c);
	return 0;
}

/* The LAN's clock, read once per batch and only when a capped port is involved. */
static uint64_t fwd_now(struct lanbk *lan)
{
	struct lan_fwd *w = lan->fwd;

	if (!w->have_now) {
		w->now = lan->clock(lan->clock_ctx);
		w->have_now = true;
	}
	return w->now;
}

/* A slot to its empty state; it keeps its place. */
static void conn_clear(struct lan_conn *c)
{
	uint16_t idx = c->idx;

	memset(c, 0, sizeof(*c));
	c->idx = idx;
}

/* The lowest free slot, making its chunk if none of the made ones has one. */
static struct lan_conn *free_slot(struct lanbk *lan)
{
	for (unsigned k = 0; k < LAN_CONN_CHUNKS; k++) {
		struct lan_conn *ch = lan->conn[k];

		if (!ch) {
			ch = calloc(LAN_CONN_CHUNK, sizeof(*ch));
			if (!ch)
				return NULL;
			for (unsigned j = 0; j < LAN_CONN_CHUNK; j++)
				ch[j].idx = (uint16_t)(k * LAN_CONN_CHUNK + j);
			lan->conn[k] = ch;
		}
		for (unsigned j = 0; j < LAN_CONN_CHUNK; j++)
			if (!ch[j].port && ch[j].idx < LAN_CONN_SLOTS)
				return &ch[j];
	}
	return NULL;
}

static void live_add(struct lanbk *lan, struct lan_conn *c)
{
	lan->live[lan->nlive++] = (uint16_t)c->idx;
}

static void live_del(struct lanbk *lan, struct lan_conn *c)
{
	uint16_t idx = (uint16_t)c->idx;

	for (unsigned i = 0; i < lan->nlive; i++)
		if (lan->live[i] == idx) {
			lan->live[i] = lan->live[--lan->nlive];
			return;
		}
}

/* The number COUPLE without PORTNUMBER gets: the lowest free one defined for this
 * user (SET VSWITCH ... PORTNUMBER n USERID), else the lowest free one defined for
 * nobody.  -EUSERS when none is left. */
static int auto_portnum(const struct lanbk *lan, const uint8_t *used, const char *owner)
{
	uint8_t defined[LAN_PORTNUM_MAX / 8 + 1];
	unsigned mine = 0;

	/* One pass over the definitions (few), then one over the bitmaps: a COUPLE must
	 * not cost 2048 definition searches. */
	memset(defined, 0, sizeof(defined));
	for (unsigned k = 0; k < lan->npcaps; k++) {
		const struct lan_pcap *pc = &lan->pcaps[k];
		unsigned pn = pc->portnum;

		if (!pc->user[0] || pn < 1 || pn > LAN_PORTNUM_MAX)
			continue;
		defined[pn / 8] |= (uint8_t)(1u << (pn % 8));
		if (!strcmp(pc->user, owner) && !(used[pn / 8] & (1u << (pn % 8))) &&
		    (!mine || pn < mine))
			mine = pn;
	}
	if (mine)
		return (int)mine;
	for (unsigned pn = 1; pn <= LAN_PORTNUM_MAX; pn++)
		if (!((used[pn / 8] | defined[pn / 8]) & (1u << (pn % 8))))
			return (int)pn;
	return -EUSERS;
}

int lan_attach_port(struct lanbk *lan, struct port *port, const char *owner, uint16_t vdev,
		    unsigned portnum, const uint8_t *mac)
{
	char o[LAN_NAME_MAX + 1];
	uint8_t used[LAN_PORTNUM_MAX / 8 + 1];
	struct lan_conn *c;
	int rc;

	if (!port || lan_name_canon(owner, o) || portnum > LAN_PORTNUM_MAX)
		return -EINVAL;
	if (port->ops)
		return -EBUSY;
	/* The owner of a LAN may always couple to it. */
	if (lan->restricted && strcmp(o, lan->owner) && !lan_grant_find(lan, o))
		return -EACCES;
	if ((lan->maxconn && lan->nguests >= lan->maxconn) || lan->nguests >= LAN_MAXCONN_MAX)
		return -EUSERS;
	if ((rc = ports_alloc(lan)))
		return rc;
	memset(used, 0, sizeof(used));
	for (unsigned i = 0; i < lan->nlive; i++) {
		unsigned pn = lan_conn_at(lan, lan->live[i])->portnum;

		used[pn / 8] |= (uint8_t)(1u << (pn % 8));
	}
	if (portnum == LAN_PORTNUM_AUTO) {
		rc = auto_portnum(lan, used, o);
		if (rc < 0)
			return rc;
		portnum = (unsigned)rc;
	} else if (used[portnum / 8] & (1u << (portnum % 8))) {
		return -EADDRINUSE;
	} else if (lan_portnum_user(lan, portnum) && strcmp(lan_portnum_user(lan, portnum), o)) {
		return -EPERM;
	}
	c = free_slot(lan);
	if (!c)
		return -EUSERS;
	conn_clear(c);
	c->lan = lan;
	c->port = port;
	memcpy(c->owner, o, sizeof(o));
	c->vdev = vdev;
	c->portnum = (uint16_t)portnum;
	if (mac) {
		memcpy(c->mac, mac, 6);
		c->has_mac = true;
	}
	lan_conn_authorize(lan, c);
	conn_caps(lan, c);
	live_add(lan, c);
	lan->nguests++;
	port->ops = &lan_port_ops;
	port->peer = c;
	port->rxq_limit = lan_queue_bytes(lan);
	lan_changed(lan);
	dc_fit(lan);
	return (int)portnum;
}

void lan_uni_paddr(const struct ipt_uni *e, bool set, struct paddr *a)
{
	static const uint8_t none[4];

	memset(a, 0, sizeof(*a));
	if (e->kind == IPT_MAC) {
		a->op = set ? PA_SETVMAC : PA_DELVMAC;
		memcpy(a->mac, e->addr, 6);
		return;
	}
	a->op = set ? PA_SETIP : PA_DELIP;
	a->ipv6 = e->kind == IPT_V6;
	memcpy(a->ip, e->addr, a->ipv6 ? 16 : 4);
	if (!a->ipv6 && memcmp(e->mask, none, 4))
		memcpy(a->mask, e->mask, 4);
	else
		memset(a->mask, 0xFF, a->ipv6 ? 16 : 4);
}

/* Tell the uplink side that a registration of slot `idx` went away. */
static void notify_withdrawn(struct lanbk *lan, unsigned idx)
{
	uint32_t cur = 0;
	const struct ipt_uni *e;

	if (!lan->notify)
		return;
	while ((e = iptab_next_uni(&lan->tab, &cur)) != NULL) {
		struct paddr a;

		if (e->port != idx)
			continue;
		lan_uni_paddr(e, false, &a);
		lan->notify(lan->notify_ctx, lan, idx, &a);
	}
}

static void conn_release(struct lanbk *lan, struct lan_conn *c)
{
	unsigned idx = c->idx;

	notify_withdrawn(lan, idx);
	iptab_withdraw_port(&lan->tab, (uint16_t)idx);
	if (lan->prirouter4 == (int)idx)
		lan->prirouter4 = -1;
	if (lan->prirouter6 == (int)idx)
		lan->prirouter6 = -1;
	if (c->promisc)
		lan->npromisc--;
	live_del(lan, c);
	c->port->ops = NULL;
	c->port->peer = NULL;
	conn_clear(c);
	lan_changed(lan);
}

int lan_detach_port(struct lanbk *lan, struct port *port)
{
	struct lan_conn *c = lan_conn_of(lan, port);

	if (!c || c->uplink)
		return -ENOENT;
	conn_release(lan, c);
	lan->nguests--;
	return 0;
}

int lan_attach_uplink(struct lanbk *lan, struct port *port)
{
	struct lan_conn *c;
	int rc;

	if (!port)
		return -EINVAL;
	if (lan->uplink || port->ops)
		return -EBUSY;
	if ((rc = ports_alloc(lan)))
		return rc;
	c = free_slot(lan);
	if (!c)
		return -EUSERS;
	conn_clear(c);
	c->lan = lan;
	c->port = port;
	strcpy(c->owner, "SYSTEM");
	c->uplink = true;
	c->porttype = LAN_TRUNK;
	for (unsigned w = 0; w < CPNET_ARRAY_SIZE(c->vlans.w); w++)
		c->vlans.w[w] = ~0ull;
	c->vlans.w[0] &= ~1ull;				/* no vid 0 */
	c->vlans.w[63] &= ~(1ull << 63);		/* no vid 4095 */
	c->layer = lan->transport == LAN_ETHERNET ? 2 : 3;
	c->started = true;
	live_add(lan, c);
	lan->uplink = port;
	lan->uplink_idx = (int)c->idx;
	port->ops = &lan_port_ops;
	port->peer = c;
	lan_changed(lan);
	dc_fit(lan);
	return 0;
}

int lan_detach_uplink(struct lanbk *lan)
{
	if (!lan->uplink)
		return -ENOENT;
	conn_release(lan, lan_conn_at(lan, (unsigned)lan->uplink_idx));
	lan->uplink = NULL;
	lan->uplink_idx = -1;
	lan_changed(lan);
	return 0;
}

/* ---- registrations ------------------------------------------------------------------ */

static uint16_t reg_ip(struct lanbk *lan, struct lan_conn *c, const struct paddr *a)
{
	uint8_t kind = a->ipv6 ? IPT_V6 : IPT_V4;
	uint16_t idx = (uint16_t)c->idx;
	int rc;

	if (lan->transport != LAN_IP)
		return IPA_RC_LAN_FRAME_MISMATCH;
	switch (a->op) {
	case PA_SETIP: {
		const struct ipt_uni *e = iptab_entry(&lan->tab, kind, a->ip);
		bool remote = e && e->remote;

		if (!paddr_mask_ok(a))
			return IPA_RC_INVALID_FORMAT;
		/* Local only until the uplink's OSA accepted it (iptab_set_local_only). */
		rc = iptab_add(&lan->tab, kind, a->ip, idx, true);
		if (rc == 0 && remote)
			lan->st.remote_taken++;
		if (rc == 0 && !a->ipv6)
			iptab_set_mask(&lan->tab, kind, a->ip, a->mask);
		return rc == 0 ? IPA_RC_SUCCESS
		       : rc == -EADDRINUSE ? IPA_RC_DUPLICATE_IP_ADDRESS
		       : rc == -ENOSPC ? IPA_RC_IP_ADDR_TABLE_FULL : IPA_RC_UNKNOWN_ERROR;
	}
	case PA_DELIP:
		rc = iptab_del(&lan->tab, kind, a->ip, idx);
		/* DELIP of an address the port does not own: "IP address not defined". */
		return rc == 0 ? IPA_RC_SUCCESS : IPA_RC_PRIMARY_ALREADY_DEFINED;
	case PA_SETIPM:
		rc = iptab_join(&lan->tab, kind, a->ip, idx);
		return rc == 0 ? IPA_RC_SUCCESS : IPA_RC_IP_ADDR_TABLE_FULL;
	default: /* PA_DELIPM */
		rc = iptab_leave(&lan->tab, kind, a->ip, idx);
		return rc == 0 ? IPA_RC_SUCCESS : IPA_RC_MC_ADDR_NOT_FOUND;
	}
}

static uint16_t reg_mac(struct lanbk *lan, struct lan_conn *c, const struct paddr *a)
{
	uint16_t idx = (uint16_t)c->idx;
	bool group = a->mac[0] & 1;
	int rc;

	if (lan->transport != LAN_ETHERNET)
		return IPA_RC_LAN_FRAME_MISMATCH;
	switch (a->op) {
	case PA_SETVMAC:
		/* Neither a group MAC nor 00-00-00-00-00-00 names one station (Linux never
		 * registers either; a port program might, cpnp_add_mac). */
		if (group || !memcmp(a->mac, (const uint8_t[6]){ 0 }, 6))
			return IPA_RC_L2_MAC_NOT_AUTH_BY_HYP;
		if (lan->macprotect == LAN_MACPROT_ON && c->has_mac &&
		    memcmp(a->mac, c->mac, 6))
			return IPA_RC_L2_MAC_NOT_AUTH_BY_HYP;
		rc = iptab_add(&lan->tab, IPT_MAC, a->mac, idx, true);
		return rc == 0 ? IPA_RC_SUCCESS
		       : rc == -EADDRINUSE ? IPA_RC_L2_DUP_MAC
		       : rc == -ENOSPC ? IPA_RC_L2_ADDR_TABLE_FULL : IPA_RC_UNKNOWN_ERROR;
	case PA_DELVMAC:
		rc = iptab_del(&lan->tab, IPT_MAC, a->mac, idx);
		return rc == 0 ? IPA_RC_SUCCESS : IPA_RC_L2_MAC_NOT_FOUND;
	case PA_SETGMAC:
		if (!group)
			return IPA_RC_L2_GMAC_NOT_FOUND;
		rc = iptab_join(&lan->tab, IPT_MAC, a->mac, idx);
		return rc == 0 ? IPA_RC_SUCCESS : IPA_RC_L2_ADDR_TABLE_FULL;
	default: /* PA_DELGMAC */
		rc = iptab_leave(&lan->tab, IPT_MAC, a->mac, idx);
		return rc == 0 ? IPA_RC_SUCCESS : IPA_RC_L2_GMAC_NOT_FOUND;
	}
}

static uint16_t reg_rtg(struct lanbk *lan, struct lan_conn *c, const struct paddr *a)
{
	int idx = (int)c->idx;
	int *pri = a->ipv6 ? &lan->prirouter6 : &lan->prirouter4;
	uint8_t *mine = a->ipv6 ? &c->rtg6 : &c->rtg4;

	if (lan->transport != LAN_IP)
		return IPA_RC_LAN_FRAME_MISMATCH;
	if (a->value > IPA_RTG_SECONDARY_CONNECTOR)
		return IPA_RC_INVALID_SETRTG_INDICATOR;
	if (a->value == IPA_RTG_PRIMARY_ROUTER) {
		if (*pri >= 0 && *pri != idx)
			return IPA_RC_PRIMARY_ALREADY_DEFINED;
		*pri = idx;
	} else if (*pri == idx) {
		*pri = -1;
	}
	*mine = (uint8_t)a->value;
	return IPA_RC_SUCCESS;
}

static uint16_t reg_apply(struct lanbk *lan, struct port *from, const struct paddr *a)
{
	struct lan_conn *c = from->peer;
	uint16_t rc = IPA_RC_SUCCESS;
	bool notify = false;

	switch (a->op) {
	case PA_LAYER:
		if (a->value != 2 && a->value != 3)
			return IPA_RC_INVALID_FORMAT;
		c->layer = (uint8_t)a->value;
		c->mismatch = (a->value == 2) != (lan->transport == LAN_ETHERNET);
		return IPA_RC_SUCCESS;
	case PA_STARTLAN:
		if (c->mismatch)
			return IPA_RC_LAN_FRAME_MISMATCH;
		c->started = true;
		return IPA_RC_SUCCESS;
	case PA_STOPLAN:
		if (!c->uplink)
			c->started = false;
		return IPA_RC_SUCCESS;
	case PA_SETIP:
	case PA_DELIP:
	case PA_SETIPM:
	case PA_DELIPM:
		rc = reg_ip(lan, c, a);
		notify = true;
		break;
	case PA_SETVMAC:
	case PA_DELVMAC:
	case PA_SETGMAC:
	case PA_DELGMAC:
		rc = reg_mac(lan, c, a);
		notify = true;
		break;
	case PA_SETVLAN:
	case PA_DELVLAN:
		if (a->vlan < 1 || a->vlan > LAN_VID_MAX)
			return IPA_RC_L2_INVALID_VLAN_ID;
		/* A guest may use a VLAN only where its port is a trunk authorized for it. */
		if (a->op == PA_SETVLAN && lan->vlan_aware && !c->uplink &&
		    (c->porttype != LAN_TRUNK || !lan_vlan_has(&c->vlans, a->vlan)))
			return IPA_RC_L2_VLAN_ID_NOT_ALLOWED;
		return IPA_RC_SUCCESS;
	case PA_PROMISC:
		if (a->value && !c->promisc_auth)
			return IPA_RC_NOTSUPP;
		if ((a->value != 0) != c->promisc) {
			c->promisc = a->value != 0;
			if (c->promisc)
				lan->npromisc++;
			else
				lan->npromisc--;
		}
		return IPA_RC_SUCCESS;
	case LAN_PA_SETRTG:
		return reg_rtg(lan, c, a);
	case PA_ISOLATION:
		/* DROP only: FORWARD would need reflective relay outside (VEPA). */
		if (c->uplink || (a->value != IPA_ADP_ISOLATION_NONE &&
				  a->value != IPA_ADP_ISOLATION_DROP))
			return IPA_RC_NOTSUPP;
		c->isolation = (uint8_t)a->value;
		return IPA_RC_SUCCESS;
	case PA_BANDWIDTH:
		/* A program caps its own port (a NIC's cap is CP's: SET NIC, NICDEF). */
		if (!c->appl_id)
			return IPA_RC_NOTSUPP;
		if (lan_set_own_cap(lan, from, (uint64_t)a->value * 1000u) < 0)
			return IPA_RC_INVALID_FORMAT;
		return IPA_RC_SUCCESS;
	default:
		return IPA_RC_UNSUPPORTED_COMMAND;
	}
	if (notify && rc == IPA_RC_SUCCESS && lan->notify && !c->uplink)
		lan->notify(lan->notify_ctx, lan, c->idx, a);
	return rc;
}

uint16_t lan_register(struct lanbk *lan, struct port *from, const struct paddr *a)
{
	uint16_t rc = reg_apply(lan, from, a);

	/* Whatever a registration changed (addresses, state, isolation, routers, promiscuous
	 * mode), decisions made before it are old; a new address may want a bigger cache. */
	if (rc == IPA_RC_SUCCESS) {
		lan_changed(lan);
		dc_fit(lan);
	}
	return rc;
}

/* ---- forwarding --------------------------------------------------------------------- */

static void drop(struct lanbk *lan, struct lan_conn *fc, enum port_drop why)
{
	lan->st.drop[why]++;
	port_count_drop(fc->port, why, false, 1);
}

/* Ingress VLAN of a frame from `fc` (0 on an UNAWARE LAN); false = not allowed. */
static bool vlan_in(const struct lanbk *lan, const struct lan_conn *fc, uint16_t tag,
		    uint16_t *vid)
{
	*vid = 0;
	if (!lan->vlan_aware)
		return true;
	if (fc->porttype == LAN_ACCESS) {
		/* Untagged, priority-tagged or tagged with its own VLAN. */
		if (tag && tag != fc->pvid)
			return false;
		*vid = fc->pvid;
		return true;
	}
	*vid = tag ? tag : lan->native_vid;
	return *vid && lan_vlan_has(&fc->vlans, *vid);
}

static bool vlan_member(const struct lanbk *lan, const struct lan_conn *c, uint16_t vid)
{
	if (!lan->vlan_aware)
		return true;
	if (c->porttype == LAN_ACCESS)
		return vid == c->pvid;
	return lan_vlan_has(&c->vlans, vid);
}

static bool vlan_out_tagged(const struct lanbk *lan, const struct lan_conn *c, uint16_t vid)
{
	return c->porttype == LAN_TRUNK && vid != lan->native_vid;
}

/* Isolation keeps guests apart: the LAN's ISOLATION ON, or either port's own
 * SET_ACCESS_CONTROL DROP.  The uplink is never isolated from a guest. */
static bool isolated(const struct lanbk *lan, const struct lan_conn *fc,
		     const struct lan_conn *q)
{
	if (fc->uplink || q->uplink)
		return false;
	return lan->isolation || fc->isolation || q->isolation;
}

/* Can `q` receive from `fc` at all (isolation, state, VLAN)? */
static bool reachable(const struct lanbk *lan, const struct lan_conn *fc,
		      const struct lan_conn *q, uint16_t vid)
{
	if (q == fc || q->mismatch)
		return false;
	if (!q->started)
		return false;
	if (isolated(lan, fc, q))
		return false;
	return vlan_member(lan, q, vid);
}

bool lan_may_see(const struct lanbk *lan, const struct lan_conn *fc, const struct lan_conn *q,
		 uint16_t vid)
{
	if (fc && isolated(lan, fc, q))
		return false;
	return vlan_member(lan, q, vid);
}

static void mark(struct lan_fwd *w, struct lan_conn *q, unsigned i)
{
	if (!q->fwd_mask)
		w->act[w->nact++] = (uint16_t)q->idx;
	q->fwd_mask |= 1ull << i;
}

static bool in_set(const struct lan_conn *q, unsigned set, const uint64_t *members, unsigned idx)
{
	if (q->uplink)
		return set & (LAN_SET_ALL | LAN_SET_UPLINK);
	if (set & LAN_SET_ALL)
		return true;
	if ((set & LAN_SET_MEMBERS) && members && (members[idx / 64] >> (idx % 64) & 1))
		return true;
	if ((set & LAN_SET_PROMISC) && q->promisc)
		return true;
	if ((set & LAN_SET_MCROUTER) &&
	    ((set & LAN_SET_V6) ? q->rtg6 : q->rtg4) == IPA_RTG_MULTICAST_ROUTER)
		return true;
	return false;
}

/* ---- lookups ------------------------------------------------------------------------ */

/*
 * A frame is decided in two steps, the same with the decision cache on or off:
 *   parse:  the frame alone -> the key (its addresses, kind, broadcast flag; the
 *           classifier adds the sender and the VLAN), or a decision the frame makes by
 *           itself without any table (a bad header, ARP in passthrough);
 *   decide: the key and the LAN's state -> the decision (one slot, a set, or a drop
 *           with its reason), reading the IP table, the connections, VLANs, isolation,
 *           routers and the uplink, and changing nothing.
 * `decide` is the uncached lookup and the only one: the cache (dcache.c) calls it on a
 * miss and keeps its answer for the LAN's current generation.
 */

static bool peek(const struct pframe *f, uint32_t off, void *dst, uint32_t len)
{
	if ((uint64_t)off + len > f->len)
		return false;
	return qdio_spans_copy(f->spans, f->nspans, off, dst, len) == len;
}

/* A large send over IPv6 (its segment floor is IPv6's, lib/tso.h); anything else is held
 * to IPv4's, the lower, and what is not TCP at all fails where it is cut. */
static bool gso_v6(const struct pframe *f)
{
	uint8_t b[6];

	if (f->kind != PF_ETH)
		return peek(f, 0, b, 1) && b[0] >> 4 == 6;
	if (!peek(f, 12, b, 6))
		return false;
	if ((b[0] << 8 | b[1]) == ETH_P_8021Q)
		return (b[4] << 8 | b[5]) == ETH_P_IPV6;
	return (b[0] << 8 | b[1]) == ETH_P_IPV6;
}

/* The decision "drop, for this reason"; 0 for parse (decided without the tables). */
static int dec_drop(struct dc_dec *d, enum port_drop why)
{
	d->dst = LAN_NOPORT;
	d->why = (uint8_t)why;
	return 0;
}

static int dec_set(struct dc_dec *d, unsigned set, const uint64_t *members)
{
	d->dst = LAN_BROADCAST;
	d->set = (uint8_t)set;
	d->members = members;
	return 0;
}

/* A known destination slot r: it must be another attached port that isolation and the
 * frame's VLAN let the sender reach. */
static void dec_unicast(const struct lanbk *lan, const struct lan_conn *fc, uint16_t vid, int r,
			struct dc_dec *d)
{
	const struct lan_conn *q = lan_conn_at(lan, (unsigned)r);

	if (!q || !q->port || q == fc)
		dec_drop(d, PD_NOPORT);
	else if (isolated(lan, fc, q))
		dec_drop(d, PD_ISOLATION);
	else if (!vlan_member(lan, q, vid))
		dec_drop(d, PD_VLAN);
	else
		d->dst = (int16_t)r;
}

static void dec_group(const struct lanbk *lan, const struct lan_conn *fc, const union dc_key *k,
		      unsigned extra, struct dc_dec *d)
{
	dec_set(d, LAN_SET_MEMBERS | LAN_SET_PROMISC | extra | (fc->uplink ? 0 : LAN_SET_UPLINK),
		iptab_members(&lan->tab, k->k.kind, k->k.dst));
}

/*
 * IPv6 sources a guest uses before (or without) registering them: the unspecified
 * address (DAD's Neighbor Solicitations) and link-local ones (MLD reports and Router
 * Solicitations go out while qeth's SETIP of fe80:: is still queued).  Link-local
 * traffic stays on this LAN, and nothing forwards it beyond.
 */
static bool src_unchecked(bool v6, const uint8_t *src)
{
	static const uint8_t zero[16];

	if (!v6)
		return false;
	return !memcmp(src, zero, 16) || (src[0] == 0xFE && (src[1] & 0xC0) == 0x80);
}

/* IPTIMEOUT: the source of what the uplink brought in is on the far side.  Only
 * unicast sources (not unspecified, loopback, broadcast or multicast).  A new entry
 * moves the IP table's generation, so decisions that did not know it are redone. */
static void learn_remote(struct lanbk *lan, const struct lan_conn *up, uint8_t kind,
			 const uint8_t *src)
{
	static const uint8_t zero[16];
	int rc;

	if (kind == IPT_V4 ? (src[0] == 0 || src[0] == 127 || src[0] >= 0xE0)
			   : (src[0] == 0xFF || !memcmp(src, zero, 16)))
		return;
	rc = iptab_learn(&lan->tab, kind, src, (uint16_t)up->idx,
			 (uint32_t)(lan->now_ms / 1000u));
	if (rc == 1)
		lan->st.remote_learned++;
	else if (rc == -ENOSPC)
		lan->st.remote_full++;
}

/* Layer 3 parse: the IP header, bare or after the link header in passthrough (where
 * ARP is for everyone). */
static int parse_l3(const struct pframe *f, union dc_key *k, struct dc_dec *d)
{
	uint8_t b[40];
	uint32_t l3 = 0;

	if (f->kind == PF_ETH) {
		uint16_t et;

		if (!peek(f, 0, b, ETH_HLEN))
			return dec_drop(d, PD_BADFRAME);
		et = (uint16_t)(b[12] << 8 | b[13]);
		l3 = ETH_HLEN;
		if (et == ETH_P_8021Q) {
			if (!peek(f, 16, b, 2))
				return dec_drop(d, PD_BADFRAME);
			et = (uint16_t)(b[0] << 8 | b[1]);
			l3 += 4;
		}
		if (et == ETH_P_ARP)
			return dec_set(d, LAN_SET_ALL, NULL);
		if (et != ETH_P_IP && et != ETH_P_IPV6)
			return dec_drop(d, PD_BADFRAME);
		if ((et == ETH_P_IPV6) != f->ipv6)
			return dec_drop(d, PD_BADFRAME);
	} else if (f->kind != PF_IP) {
		return dec_drop(d, PD_BADFRAME);
	}
	if (!peek(f, l3, b, f->ipv6 ? 40 : 20) || (b[0] >> 4) != (f->ipv6 ? 6 : 4))
		return dec_drop(d, PD_BADFRAME);
	k->k.kind = f->ipv6 ? IPT_V6 : IPT_V4;
	k->k.bcast = !f->ipv6 && f->cast == PF_BROADCAST;
	memcpy(k->k.src, f->ipv6 ? b + 8 : b + 12, f->ipv6 ? 16 : 4);
	memcpy(k->k.dst, f->ipv6 ? b + 24 : b + 16, f->ipv6 ? 16 : 4);
	return 1;
}

/* Layer 3 decide: by destination IP. */
static void decide_l3(const struct lanbk *lan, const union dc_key *k, struct dc_dec *d)
{
	const struct lan_conn *fc = lan_conn_at(lan, k->k.from);
	const uint8_t *src = k->k.src, *dst = k->k.dst;
	bool v6 = k->k.kind == IPT_V6;
	int r;

	/* A guest sends only from addresses it registered. */
	if (!fc->uplink && !src_unchecked(v6, src) &&
	    iptab_lookup(&lan->tab, k->k.kind, src) != (int)fc->idx) {
		dec_drop(d, PD_SPOOF);
		return;
	}
	if (!v6 && (k->k.bcast ||
		    (dst[0] == 255 && dst[1] == 255 && dst[2] == 255 && dst[3] == 255))) {
		dec_set(d, LAN_SET_ALL, NULL);
		return;
	}
	if (v6 ? dst[0] == 0xFF : (dst[0] & 0xF0) == 0xE0) {
		dec_group(lan, fc, k, LAN_SET_MCROUTER | (v6 ? LAN_SET_V6 : 0), d);
		return;
	}
	r = iptab_lookup(&lan->tab, k->k.kind, dst);
	if (r >= 0 && !(fc->uplink && r == lan->uplink_idx)) {
		/* a guest's address, or a remote one (to the uplink) */
		dec_unicast(lan, fc, k->k.vid, r, d);
		return;
	}
	/* Unknown: out through the uplink; a primary router takes what nobody else
	 * does (on a VSWITCH, inbound only with PRIROUTER). */
	d->count |= DC_COUNT_UNKNOWN;
	if (!fc->uplink && lan->uplink) {
		dec_unicast(lan, fc, k->k.vid, lan->uplink_idx, d);
		return;
	}
	r = v6 ? lan->prirouter6 : lan->prirouter4;
	if (r >= 0 && (!fc->uplink || lan->router == LAN_PRIROUTER) && r != (int)fc->idx) {
		d->count |= DC_COUNT_ROUTER;
		dec_unicast(lan, fc, k->k.vid, r, d);
		return;
	}
	dec_drop(d, PD_NOPORT);
}

/* Layer 2 parse: the Ethernet header's addresses. */
static int parse_l2(const struct pframe *f, union dc_key *k, struct dc_dec *d)
{
	uint8_t b[ETH_HLEN];

	if (f->kind != PF_ETH || !peek(f, 0, b, ETH_HLEN))
		return dec_drop(d, PD_BADFRAME);
	k->k.kind = IPT_MAC;
	memcpy(k->k.dst, b, 6);
	memcpy(k->k.src, b + 6, 6);
	return 1;
}

/* Layer 2 decide: by destination MAC. */
static void decide_l2(const struct lanbk *lan, const union dc_key *k, struct dc_dec *d)
{
	const struct lan_conn *fc = lan_conn_at(lan, k->k.from);
	const uint8_t *dst = k->k.dst;
	int r;

	if (k->k.src[0] & 1) {			/* a group address is never a source */
		dec_drop(d, PD_BADFRAME);
		return;
	}
	if (!fc->uplink && lan->macprotect == LAN_MACPROT_ON &&
	    iptab_lookup(&lan->tab, IPT_MAC, k->k.src) != (int)fc->idx) {
		dec_drop(d, PD_SPOOF);
		return;
	}
	if ((dst[0] & dst[1] & dst[2] & dst[3] & dst[4] & dst[5]) == 0xFF) {
		dec_set(d, LAN_SET_ALL, NULL);
		return;
	}
	if (dst[0] & 1) {
		dec_group(lan, fc, k, 0, d);
		return;
	}
	r = iptab_lookup(&lan->tab, IPT_MAC, dst);
	if (r >= 0) {
		dec_unicast(lan, fc, k->k.vid, r, d);
		return;
	}
	/* Unknown unicast: the uplink (from a guest) and whoever listens promiscuously. */
	d->count |= DC_COUNT_UNKNOWN;
	dec_set(d, LAN_SET_UNKNOWN | LAN_SET_PROMISC | (fc->uplink ? 0 : LAN_SET_UPLINK), NULL);
}

/* The uncached lookup (dc_decide_fn): what the LAN decides for key k now. */
static void lan_decide(void *ctx, const union dc_key *k, struct dc_dec *d)
{
	const struct lanbk *lan = ctx;

	memset(d, 0, sizeof(*d));
	if (lan->transport == LAN_IP)
		decide_l3(lan, k, d);
	else
		decide_l2(lan, k, d);
}

/*
 * Classification, in two passes over a chunk so that the decision cache's probes of
 * a whole chunk wait for memory together (a LAN with thousands of addresses has a
 * table larger than the CPU's caches):
 *   classify_in:  the checks, the ingress VLAN and the parse (and a remote source
 *                 learned), then classify_hash: each key's hash;
 *   classify_out: the decision (cache or lookup) and what it means: destinations
 *                 marked, counters, drops; the set of the frame LAN_AHEAD further
 *                 on is asked for first (classify_ahead).
 * All of a chunk comes from one sender, and learning only ever adds remote entries
 * that its own frames' decisions treat like unknown addresses, so learning a chunk's
 * sources before its decisions decides each frame as learning it in turn would.
 */
/* FS_SAME: the key of the frame before it (a run of frames from one sender to one
 * address, what a stream is): that frame's decision, without a hash or a probe. */
enum { FS_DONE, FS_DECIDED, FS_KEYED, FS_SAME };

static void classify_in(struct lanbk *lan, struct lan_conn *fc, const struct pframe *f,
			unsigned i)
{
	struct lan_fwd *w = lan->fwd;
	union dc_key *k = &w->key[i];
	uint16_t tag = 0;
	uint64_t have = 0;

	w->step[i] = FS_DONE;
	w->dst[i] = LAN_NOPORT;
	w->vid[i] = 0;
	w->tagged[i] = false;
	w->tci[i] = 0;
	lan->st.frames_in++;
	lan->st.bytes_in += f->len;
	for (unsigned s = 0; s < f->nspans; s++)
		have += f->spans[s].len;
	/* Room for a VLAN tag's two extra spans in the 8-bit span count. */
	if (fc->mismatch || have < f->len || !f->len || f->nspans > 253) {
		drop(lan, fc, PD_BADFRAME);
		return;
	}
	/* Past the MTU the guest's NIC reported: Linux's stack never builds such a frame,
	 * but a packet socket's software GSO does (segments of any size, no MTU check).
	 * A large send may be longer; the segments it is cut into may not. */
	if (!fc->uplink && (f->gso_size ? f->gso_size > PORT_MAX_MTU - 40
			    : f->len > (f->kind == PF_ETH ? PORT_MAX_ETH : PORT_MAX_MTU))) {
		drop(lan, fc, PD_TOOBIG);
		return;
	}
	/* Every sender's large send passes here (vhost, a qeth large send, an application
	 * port): a segment size under the floor would have each receiver cut it into
	 * thousands of segments.  The uplink's are the host's received frames, bounded by
	 * TSO_MAX_SEGS where they are cut. */
	if (!fc->uplink && f->gso_size && f->gso_size < tso_mss_min(gso_v6(f))) {
		drop(lan, fc, PD_SEGSIZE);
		return;
	}
	/* The cap on what the port sends charges every well-formed frame, whatever the
	 * switch then does with it (as a real port's line rate would). */
	if (shaper_on(&fc->cap[LAN_CAP_TX]) &&
	    !shaper_take(&fc->cap[LAN_CAP_TX], f->len, fwd_now(lan))) {
		drop(lan, fc, PD_CAP_TX);
		return;
	}
	if (lan->transport == LAN_ETHERNET) {
		uint8_t b[4];

		if (peek(f, 12, b, 4) && (b[0] << 8 | b[1]) == ETH_P_8021Q) {
			w->tagged[i] = true;
			w->tci[i] = (uint16_t)(b[2] << 8 | b[3]);
			tag = w->tci[i] & 0x0FFF;
		}
	} else {
		tag = f->vlan & 0x0FFF;
	}
	if (!vlan_in(lan, fc, tag, &w->vid[i])) {
		drop(lan, fc, PD_VLAN);
		return;
	}
	memset(k, 0, sizeof(*k));
	memset(&w->dec[i], 0, sizeof(w->dec[i]));
	k->k.from = fc->idx;
	k->k.vid = w->vid[i];
	if (!(lan->transport == LAN_IP ? parse_l3(f, k, &w->dec[i]) : parse_l2(f, k, &w->dec[i]))) {
		w->step[i] = FS_DECIDED;
		return;
	}
	if (fc->uplink && lan->transport == LAN_IP)
		learn_remote(lan, fc, k->k.kind, k->k.src);
	w->step[i] = FS_KEYED;
}

/* The keyed frames' hashes.  A pass of its own: the keys were written a field at a
 * time and are read here as words, which the CPU does at full speed only once those
 * stores are done. */
static void classify_hash(struct lanbk *lan, unsigned m)
{
	struct lan_fwd *w = lan->fwd;

	for (unsigned i = 0; i < m; i++) {
		if (w->step[i] != FS_KEYED)
			continue;
		if (i && (w->step[i - 1] == FS_KEYED || w->step[i - 1] == FS_SAME) &&
		    dcache_key_eq(&w->key[i], &w->key[i - 1]))
			w->step[i] = FS_SAME;
		else
			w->hash[i] = dcache_hash(&lan->dc, &w->key[i]);
	}
}

/* Frame i's cache set, asked for LAN_AHEAD frames before it is probed: far enough for
 * memory to answer while those frames are classified, near enough that a few dozen
 * lines are in flight at a time and still in the CPU's cache when probed. */
#define LAN_AHEAD 8

/* always_inline, as dcache_prefetch: GCC drops a call whose only effect is a prefetch. */
static inline __attribute__((always_inline)) void classify_ahead(struct lanbk *lan, unsigned i,
								   unsigned m)
{
	struct lan_fwd *w = lan->fwd;

	if (i < m && w->step[i] == FS_KEYED)
		dcache_prefetch(&lan->dc, w->hash[i]);
}

static void classify_out(struct lanbk *lan, struct lan_conn *fc, unsigned i)
{
	struct lan_fwd *w = lan->fwd;
	struct dc_dec d;

	if (w->step[i] == FS_DONE)
		return;
	if (w->step[i] == FS_KEYED) {
		dcache_decide(&lan->dc, &w->key[i], w->hash[i], lan_generation(lan), lan_decide,
			      lan, &w->dec[i]);
	} else if (w->step[i] == FS_SAME) {
		/* Decided a frame ago, in the same generation: what the cache would say. */
		w->dec[i] = w->dec[i - 1];
		if (lan->dc.e && !lan->dc.off)
			lan->dc.hits++;
	}
	d = w->dec[i];
	if (d.count & DC_COUNT_UNKNOWN)
		lan->st.unknown++;
	if (d.count & DC_COUNT_ROUTER)
		lan->st.to_router++;
	if (d.dst == LAN_NOPORT) {
		drop(lan, fc, (enum port_drop)d.why);
		return;
	}
	if (d.dst >= 0) {
		struct lan_conn *q = lan_conn_at(lan, (unsigned)d.dst);

		lan->st.unicast++;
		if (q->uplink)
			lan->st.to_uplink++;
		w->dst[i] = d.dst;
		mark(w, q, i);
		/* Promiscuous ports see the known unicast of their VLANs too (who listens
		 * is read now: it is not part of the decision). */
		if (lan->npromisc)
			for (unsigned k = 0; k < lan->nlive; k++) {
				struct lan_conn *p = lan_conn_at(lan, lan->live[k]);

				if (p != q && p->promisc && reachable(lan, fc, p, w->vid[i]))
					mark(w, p, i);
			}
		return;
	}
	/* A set: broadcast, a group, or an unknown unicast; its ports are found now. */
	{
		unsigned hits = 0;

		if (d.set & LAN_SET_ALL)
			lan->st.broadcast++;
		else if (!(d.set & LAN_SET_UNKNOWN))
			lan->st.multicast++;
		for (unsigned k = 0; k < lan->nlive; k++) {
			unsigned idx = lan->live[k];
			struct lan_conn *q = lan_conn_at(lan, idx);

			if (!in_set(q, d.set, d.members, idx) || !reachable(lan, fc, q, w->vid[i]))
				continue;
			if (q->uplink)
				lan->st.to_uplink++;
			mark(w, q, i);
			hits++;
		}
		w->dst[i] = LAN_BROADCAST;
		if (!hits && (d.set & LAN_SET_UNKNOWN))
			drop(lan, fc, PD_NOPORT);
	}
}

/* Spans covering [off, off + len) of a frame; returns how many (at most nin + 1). */
static unsigned span_slice(const struct qdio_span *in, unsigned nin, uint32_t off, uint32_t len,
			   struct qdio_span *out)
{
	unsigned n = 0;

	for (unsigned s = 0; s < nin && len; s++) {
		uint32_t l = in[s].len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l -= off;
		if (l > len)
			l = len;
		out[n].ptr = in[s].ptr + off;
		out[n].len = l;
		n++;
		len -= l;
		off = 0;
	}
	return n;
}

/* Frame f, whose inline tag is `tagged` (with `tci`), as a receiver must get it with
 * VLAN vid: tagged (tag_out) or not.  0 when f is as it must be (o is f); else the
 * spans around a removed or inserted 802.1Q tag (written to t), in sp (room for
 * f->nspans + 13), and their count.  The one place tags are put on and taken off. */
static unsigned retag(const struct pframe *f, bool tagged, uint16_t tci, bool tag_out,
		      uint16_t vid, uint8_t t[4], struct qdio_span *sp, struct pframe *o)
{
	uint32_t rest_off = tagged ? 16 : 12;
	unsigned n;

	if (tagged == tag_out && (!tag_out || (tci & 0x0FFF) == vid))
		return 0;
	n = span_slice(f->spans, f->nspans, 0, 12, sp);
	if (tag_out) {
		uint16_t tc = (uint16_t)((tagged ? tci & 0xF000 : 0) | vid);

		t[0] = ETH_P_8021Q >> 8;
		t[1] = ETH_P_8021Q & 0xFF;
		t[2] = (uint8_t)(tc >> 8);
		t[3] = (uint8_t)tc;
		sp[n].ptr = t;
		sp[n].len = 4;
		n++;
	}
	o->len = f->len - rest_off + 12 + (tag_out ? 4 : 0);
	n += span_slice(f->spans, f->nspans, rest_off, f->len - rest_off, sp + n);
	o->spans = sp;
	o->nspans = (uint8_t)n;
	return n;
}

/* The frame as `q` must see it: the same spans, or (layer 2, VLAN aware) the spans
 * around a removed or inserted 802.1Q tag.  Returns false if the span scratch is
 * full (the caller flushes and retries). */
static bool egress(struct lanbk *lan, const struct lan_conn *q, const struct pframe *f,
		   unsigned i, struct pframe *o, unsigned *nsp)
{
	struct lan_fwd *w = lan->fwd;
	uint16_t vid = w->vid[i];
	bool tag_out;

	*o = *f;
	if (!lan->vlan_aware)
		return true;
	tag_out = vlan_out_tagged(lan, q, vid);
	o->vlan = tag_out ? vid : 0;
	if (lan->transport != LAN_ETHERNET)
		return true;
	if (*nsp + f->nspans + 13u > LAN_OUT_SPANS)
		return false;
	*nsp += retag(f, w->tagged[i], w->tci[i], tag_out, vid, w->tags[i], &w->spans[*nsp], o);
	return true;
}

void lan_tap_view(const struct lanbk *lan, const struct pframe *f, unsigned i, bool tag_out,
		  uint8_t t[4], struct qdio_span *sp, struct pframe *o)
{
	const struct lan_fwd *w = lan->fwd;
	uint16_t vid;

	*o = *f;
	if (!lan->vlan_aware || lan->transport != LAN_ETHERNET)
		return;
	vid = w->vid[i];
	tag_out &= vid != 0;
	o->vlan = tag_out ? vid : 0;
	retag(f, w->tagged[i], w->tci[i], tag_out, vid, t, sp, o);
}

/* Hand q the k frames in w->out.  A capped receiver's cap charged them all; what it
 * did not take (no buffer...: counted by the receiver, the first `took` are counted as
 * taken, as port_deliver counts bytes) goes back into its bucket. */
static void flush(struct lanbk *lan, struct lan_conn *q, struct shaper *cap, unsigned k)
{
	unsigned took = port_deliver(q->port, lan->fwd->out, k);

	lan->st.delivered += took;
	for (unsigned i = took; cap && i < k; i++)
		shaper_refund(cap, lan->fwd->out[i].len);
}

static void deliver(struct lanbk *lan, struct lan_conn *q, const struct pframe *f)
{
	struct lan_fwd *w = lan->fwd;
	struct shaper *cap = shaper_on(&q->cap[LAN_CAP_RX]) ? &q->cap[LAN_CAP_RX] : NULL;
	uint64_t m = q->fwd_mask;
	unsigned k = 0, nsp = 0, nsp0;

	q->fwd_mask = 0;
	while (m) {
		unsigned i = (unsigned)__builtin_ctzll(m);

		nsp0 = nsp;
		if (!egress(lan, q, &f[i], i, &w->out[k], &nsp)) {
			flush(lan, q, cap, k);
			k = nsp = 0;
			/* The receiver may have detached from inside rx (its slot is
			 * zeroed): the rest of its frames have nowhere to go. */
			if (!q->port)
				return;
			continue;	/* retry frame i with empty scratch */
		}
		m &= m - 1;
		/* The cap on what the port receives charges the frame as it gets it. */
		if (cap && !shaper_take(cap, w->out[k].len, fwd_now(lan))) {
			nsp = nsp0;
			lan->st.drop[PD_CAP_RX]++;
			port_count_drop(q->port, PD_CAP_RX, true, 1);
			continue;
		}
		k++;
	}
	flush(lan, q, cap, k);
}

void lan_forward(struct lanbk *lan, struct port *from, const struct pframe *f, unsigned n)
{
	struct lan_conn *fc = from->peer;
	struct lan_fwd *w = lan->fwd;

	while (n) {
		unsigned m = n < LAN_BATCH ? n : LAN_BATCH;

		w->nact = 0;
		w->have_now = false;
		for (unsigned i = 0; i < m; i++)
			classify_in(lan, fc, &f[i], i);
		classify_hash(lan, m);
		for (unsigned i = 0; i < LAN_AHEAD; i++)
			classify_ahead(lan, i, m);
		for (unsigned i = 0; i < m; i++) {
			classify_ahead(lan, i + LAN_AHEAD, m);
			classify_out(lan, fc, i);
		}
		/* Traces see the batch with its verdicts, before the receivers get it. */
		for (struct lan_tap *t = lan->taps, *nx; t; t = nx) {
			nx = t->next;
			for (unsigned i = 0; i < m; i++)
				t->frame(t->ctx, lan, fc, &f[i], i, w->vid[i]);
		}
		for (unsigned a = 0; a < w->nact; a++) {
			struct lan_conn *q = lan_conn_at(lan, w->act[a]);

			/* The receiver may detach a port from inside rx; skip the dead. */
			if (q->port)
				deliver(lan, q, f);
			else
				q->fwd_mask = 0;
		}
		f += m;
		n -= m;
	}
}

static void ops_tx(void *peer, struct port *from, const struct pframe *f, unsigned n)
{
	struct lan_conn *c = peer;

	lan_forward(c->lan, from, f, n);
}

static uint16_t ops_addr(void *peer, struct port *from, const struct paddr *a)
{
	struct lan_conn *c = peer;

	return lan_register(c->lan, from, a);
}

static const struct port_ops lan_port_ops = { ops_tx, ops_addr };
