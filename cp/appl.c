/* cp/appl.c - application ports on cpnetd's side: registration and authorization as a
 * NIC of the user, receive handles, delivery into posted buffers, FORCE and teardown. */
#include "cp/appl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp/lanops.h"
#include "lib/cpnet.h"
#include "lib/csum.h"
#include "lib/tso.h"
#include "qeth/ipa.h"
#include "vswitch/switch.h"
#include "vswitch/trace.h"

#define SEG_MAX APPL_FRAME_LARGE_MAX	/* a large send (or one segment), headers included */

static struct appl_table *table(struct cp *cp)
{
	if (!cp->appl)
		cp->appl = calloc(1, sizeof(*cp->appl));
	return cp->appl;
}

struct appl_port *appl_find(const struct cp *cp, uint32_t id)
{
	for (unsigned k = 0; cp->appl && k < cp->appl->n; k++)
		if (cp->appl->v[k]->id == id)
			return cp->appl->v[k];
	return NULL;
}

bool appl_mac_in_use(const struct cp *cp, const uint8_t mac[6])
{
	for (unsigned k = 0; cp->appl && k < cp->appl->n; k++)
		if (cp->appl->v[k]->has_mac && !memcmp(cp->appl->v[k]->mac, mac, 6))
			return true;
	return false;
}

const char *appl_bad_name(enum appl_bad why)
{
	static const char *const names[APPL_BAD_MAX] = {
		[APPL_BAD_POST] = "malformed buffer post",
		[APPL_BAD_RING] = "handle ring broken",
		[APPL_BAD_CTL] = "malformed control message",
	};

	return (unsigned)why < APPL_BAD_MAX ? names[why] : "?";
}

/* The VML_APPL_REPLY: rc and the first line written to o from `from`. */
static void reply(struct vmlink *link, int rc, const struct appl_port *ap, const struct out *o,
		  size_t from)
{
	uint8_t b[VML_HDR_SIZE + VML_APPL_REPLY_FIXED + sizeof(((struct vml_appl_reply *)0)->text)];
	struct vml_appl_reply r;
	size_t n = 0;
	int len;

	memset(&r, 0, sizeof(r));
	r.rc = (uint16_t)(rc < 0 ? 9099 : rc > 0xFFFF ? 0xFFFF : rc);
	if (!rc && ap) {
		r.vdev = APPL_VDEV;
		r.port_id = ap->id;
		r.transport = ap->lan->transport;
		memcpy(r.mac, ap->mac, 6);
		r.max_frame = ap->lan->transport == LAN_ETHERNET ? PORT_MAX_ETH : PORT_MAX_MTU;
		r.portnum = lan_conn_of(ap->lan, ap->port)->portnum;
	}
	while (from + n < o->len && o->buf[from + n] != '\n' && n < sizeof(r.text) - 1)
		n++;
	memcpy(r.text, o->buf + from, n);
	r.text[n] = 0;
	len = vml_appl_reply_encode(&r, b, sizeof(b));
	if (len > 0)
		vml_send(link, b, (size_t)len);
}

static size_t region_bytes(uint32_t asked)
{
	size_t r = asked ? asked : APPL_REGION_DEF;

	if (r < APPL_REGION_MIN)
		r = APPL_REGION_MIN;
	/* The info page comes on top, within the bound (lib/shmring SHR_MAX_EXTRA). */
	r += APPL_INFO_SIZE;
	return r < APPL_REGION_MAX ? r : APPL_REGION_MAX;
}

static uint16_t reg(struct appl_port *ap, uint8_t op, uint32_t value, const uint8_t *mac)
{
	struct paddr a;

	memset(&a, 0, sizeof(a));
	a.op = op;
	a.value = value;
	if (mac)
		memcpy(a.mac, mac, 6);
	return port_addr(ap->port, &a);
}

/* The attach of cp_couple's, with its messages; 0 or the message rc. */
static int attach(struct cp *cp, struct appl_port *ap, struct lanbk *lan, const char *u,
		  unsigned portnum, struct out *o)
{
	int rc;

	if (lan->transport == LAN_ETHERNET) {
		uint32_t macid;

		if (cp_assign_mac(cp, ap->mac, &macid) < 0)
			return out_msg(o, MSG_NO_MAC);
		ap->has_mac = true;
	}
	/* The port number asked for (0 = AUTO) is checked as COUPLE ... PORTNUMBER's. */
	rc = lan_attach_port(lan, ap->port, u, 0, portnum, ap->has_mac ? ap->mac : NULL);
	if (rc < 0)
		return cp_attach_refused(lan, rc, u, portnum, o);
	ap->lan = lan;
	lan_conn_of(lan, ap->port)->appl_id = ap->id;
	return 0;
}

/* The VLAN asked for must be one the user's connection is authorized for. */
static bool vlan_ok(const struct lanbk *lan, const struct lan_conn *c, uint16_t vid)
{
	if (!vid)
		return true;
	if (!lan->vlan_aware)
		return false;
	return c->porttype == LAN_TRUNK ? lan_vlan_has(&c->vlans, vid) : vid == c->pvid;
}

/* Off the LAN; a transient LAN left empty by a gone owner goes too (reap), unless
 * the LAN is being destroyed anyway (DETACH LAN: its caller still holds it). */
static void detach(struct cp *cp, struct appl_port *ap, bool reap)
{
	char owner[9];

	/* A trace port's tap first, while its LAN is there (trace_free copes if not). */
	trace_free(ap->trace);
	ap->trace = NULL;
	if (!ap->lan)
		return;
	memcpy(owner, ap->lan->owner, sizeof(owner));
	lan_detach_port(ap->lan, ap->port);
	ap->lan = NULL;
	if (reap)
		cp_reap_lans(cp, owner);
}

static unsigned appl_rx(void *owner, struct port *p, const struct pframe *f, unsigned n);

/* The info page is written before the program can see the region. */
static void ring_made(void *ctx)
{
	appl_region_ready(ctx);
}

int appl_register(struct cp *cp, struct vmlink *link, const struct vml_appl_logon *a,
		  struct appl_port **out)
{
	struct appl_table *t = table(cp);
	const struct dir_user *du;
	struct appl_port *ap = NULL;
	struct lanbk *lan;
	struct out o;
	char u[9], vb[8];
	const char *lan_owner = a->owner, *lan_name = a->lan;
	unsigned portnum = a->portnum;
	int rc;

	out_init(&o);
	if (!t) {
		rc = out_msg(&o, MSG_INTERNAL, "out of storage");
		goto refuse;
	}
	rc = cp_logon_check(cp, a->userid, a->password, &o, &du, u);
	if (rc)
		goto refuse;
	if (a->flags & VML_APPL_NICDEF) {
		/* The LAN the user's NICDEF names, as LOGON couples the NIC to it. */
		const struct dir_nicdef *nd = NULL;

		snprintf(vb, sizeof(vb), "%04X", a->trace_num);
		for (unsigned k = 0; k < du->nnics && !nd; k++)
			if (du->nics[k].vdev == a->trace_num)
				nd = &du->nics[k];
		if (!nd) {
			rc = out_msg(&o, MSG_DEV_NOT_EXIST, vb);
			goto refuse;
		}
		if (!nd->has_lan) {
			rc = out_msg(&o, MSG_NIC_NO_LAN, vb);
			goto refuse;
		}
		lan_owner = nd->lan_owner;
		lan_name = nd->lan_name;
		if (!portnum)
			portnum = nd->portnum;	/* the NICDEF's PORTNUMBER, if any */
	}
	lan = lan_find(&cp->lans, lan_owner, lan_name);
	if (!lan) {
		rc = out_msg(&o, MSG_LAN_NOT_EXIST, strcmp(lan_owner, "SYSTEM") ? "LAN" : "VSWITCH",
			     lan_owner, lan_name);
		goto refuse;
	}
	if ((a->flags & VML_APPL_VIRTIO) && lan->transport != LAN_ETHERNET) {
		rc = out_msg(&o, MSG_APPL_LAYER, u, lan_kind_word(lan), lan->owner, lan->name);
		goto refuse;
	}
	if (t->n == t->cap) {
		unsigned nc = t->cap ? t->cap * 2 : 8;
		struct appl_port **nv = realloc(t->v, nc * sizeof(*nv));

		if (!nv) {
			rc = out_msg(&o, MSG_INTERNAL, "out of storage");
			goto refuse;
		}
		t->v = nv;
		t->cap = nc;
	}
	ap = calloc(1, sizeof(*ap));
	if (!ap || !(ap->port = vml_add_nic(link, APPL_VDEV, NULL))) {
		rc = out_msg(&o, MSG_INTERNAL, ap ? "no room on the link" : "out of storage");
		goto refuse;
	}
	if (++t->next_id == 0)
		t->next_id = 1;
	ap->id = t->next_id;
	ap->link = link;
	memcpy(ap->user, u, sizeof(ap->user));
	snprintf(ap->port->name, sizeof(ap->port->name), "%s.APPL%08X", u, ap->id);
	rc = attach(cp, ap, lan, u, portnum, &o);
	if (rc)
		goto refuse;
	lan_conn_of(lan, ap->port)->appl_virtio = a->flags & VML_APPL_VIRTIO;
	if (!vlan_ok(lan, lan_conn_of(lan, ap->port), a->vlan)) {
		snprintf(vb, sizeof(vb), "%u", a->vlan);
		rc = out_msg(&o, MSG_APPL_VLAN, vb, u, lan_kind_word(lan), lan->owner, lan->name);
		goto refuse;
	}
	if (a->vlan && lan_conn_of(lan, ap->port)->porttype == LAN_TRUNK) {
		/* A trunk port sends and receives tagged frames of every VLAN it is granted
		 * (cpnp_recv says which); one VLAN of them cannot be its own. */
		snprintf(vb, sizeof(vb), "%u", a->vlan);
		rc = out_msg(&o, MSG_APPL_TRUNK, u, lan_kind_word(lan), lan->owner, lan->name, vb);
		goto refuse;
	}
	/* What a guest's qeth driver would register, on the program's behalf. */
	reg(ap, PA_LAYER, lan->transport == LAN_ETHERNET ? 2 : 3, NULL);
	if (a->flags & VML_APPL_TRACE) {
		/* A trace port: authorized like PROMISCUOUS, fed by the switch's tap only
		 * (never started: forwarding delivers nothing else to it). */
		struct trace_filter flt = { 0 };

		if (!lan_conn_of(lan, ap->port)->promisc_auth) {
			rc = out_msg(&o, MSG_APPL_PROMISC, u, lan_kind_word(lan), lan->owner, lan->name);
			goto refuse;
		}
		if (a->flags & VML_APPL_TRACE_PORT) {
			flt.scope = TRACE_PORT;
			flt.portnum = a->trace_num;
		} else if (a->flags & VML_APPL_TRACE_VLAN) {
			if (!vlan_ok(lan, lan_conn_of(lan, ap->port), a->trace_num)) {
				snprintf(vb, sizeof(vb), "%u", a->trace_num);
				rc = out_msg(&o, MSG_APPL_VLAN, vb, u, lan_kind_word(lan), lan->owner,
					     lan->name);
				goto refuse;
			}
			flt.scope = TRACE_VLAN;
			flt.vid = a->trace_num;
		} else if (a->flags & VML_APPL_TRACE_USER) {
			flt.scope = TRACE_USER;
			memcpy(flt.user, a->trace_user, sizeof(flt.user));
		}
		if (trace_start_port(&ap->trace, lan, &flt, ap->port, ap->id) < 0) {
			rc = out_msg(&o, MSG_INTERNAL, "out of storage");
			goto refuse;
		}
	} else {
		reg(ap, PA_STARTLAN, 0, NULL);
	}
	if ((a->flags & VML_APPL_PROMISC) && reg(ap, PA_PROMISC, 1, NULL) != IPA_RC_SUCCESS) {
		rc = out_msg(&o, MSG_APPL_PROMISC, u, lan_kind_word(lan), lan->owner, lan->name);
		goto refuse;
	}
	if (ap->has_mac && reg(ap, PA_SETVMAC, 0, ap->mac) != IPA_RC_SUCCESS) {
		rc = out_msg(&o, MSG_INTERNAL, "the port's MAC could not be registered");
		goto refuse;
	}
	ap->port->rx = appl_rx;
	ap->port->owner = ap;
	ap->state = APPL_ACTIVE;
	link->ring_extra = region_bytes(a->region);
	link->ring_nslots = VML_APPL_RING_SLOTS;
	link->on_ctl = appl_ctl;
	link->on_ring_made = ring_made;
	link->ctx = ap;
	t->v[t->n++] = ap;
	{
		char id[12];
		size_t mark = o.len;

		snprintf(id, sizeof(id), "%08X", ap->id);
		out_msg(&o, MSG_APPL_CONNECTED, id, u, lan_kind_word(lan), lan->owner, lan->name);
		reply(link, 0, ap, &o, mark);
	}
	out_free(&o);
	*out = ap;
	return 0;

refuse:
	reply(link, rc, NULL, &o, 0);
	if (ap) {
		detach(cp, ap, true);
		if (ap->port)
			vml_del_nic(link, APPL_VDEV);
		free(ap);
	}
	out_free(&o);
	return rc;
}

/* The region lives in the link's ring mapping: gone once the ring closed (a program
 * that declined or failed it), whatever ap->region still says. */
static bool region_live(const struct appl_port *ap)
{
	return ap->region && ap->link->ring_on && ap->link->ring.extra == ap->region;
}

/* A handle id no open handle has (ids wrap after 65535 opens). */
static uint16_t next_handle_id(struct appl_port *ap)
{
	for (;;) {
		bool taken = false;

		if (!++ap->next_hid)
			continue;
		for (unsigned k = 0; k < APPL_MAX_HANDLES; k++)
			taken |= ap->h[k].used && ap->h[k].id == ap->next_hid;
		if (!taken)
			return ap->next_hid;
	}
}

static void info_state(struct appl_port *ap)
{
	uint32_t v;

	if (!region_live(ap))
		return;
	v = APPL_INFO_MAGIC;
	memcpy(ap->region + APPL_INFO_MAGIC_OFF, &v, 4);
	memcpy(ap->region + APPL_INFO_ID_OFF, &ap->id, 4);
	v = ap->state;
	__atomic_store_n((uint32_t *)(ap->region + APPL_INFO_STATE_OFF), v, __ATOMIC_RELEASE);
}

void appl_region_ready(struct appl_port *ap)
{
	if (!ap->link->ring_on || !ap->link->ring.extra)
		return;
	ap->region = ap->link->ring.extra;
	ap->region_size = ap->link->ring.extra_size;
	info_state(ap);
}

/* ---- receive handles -------------------------------------------------------------- */

/* The handle ids in the info page (the program sees a handle cpnetd closed). */
static void info_handles(struct appl_port *ap)
{
	if (!region_live(ap))
		return;
	for (unsigned k = 0; k < APPL_MAX_HANDLES; k++) {
		uint32_t id = ap->h[k].used ? ap->h[k].id : 0;

		__atomic_store_n((uint32_t *)(ap->region + APPL_INFO_HANDLES_OFF + 4 * k), id,
				 __ATOMIC_RELEASE);
	}
}

static void handle_close(struct appl_handle *hd)
{
	shr_free(&hd->ring);
	memset(hd, 0, sizeof(*hd));
	hd->ring.memfd = hd->ring.bell_me = hd->ring.bell_peer = -1;
}

static int handle_reply(struct appl_port *ap, const struct vml_hdr *h, uint16_t err,
			struct appl_handle *hd)
{
	uint8_t b[VML_HDR_SIZE + VML_HANDLE_SIZE];
	struct vml_handle_reply r = { err, hd ? hd->id : 0, hd ? hd->ring.nslots : 0,
				      hd ? hd->ring.slot_size : 0 };
	int fds[3], len = vml_handle_reply_encode(h->vdev, h->seq, &r, b, sizeof(b));

	if (len < 0)
		return len;
	if (!hd)
		return vml_send(ap->link, b, (size_t)len);
	shr_fds(&hd->ring, fds);
	return vml_send_fds(ap->link, b, (size_t)len, fds, 3);
}

static int handle_open(struct appl_port *ap, const struct vml_hdr *h, const uint8_t *m, size_t len)
{
	struct appl_handle *hd = NULL;
	uint32_t nslots;
	int rc;

	if (vml_handle_open_decode(m, len, &nslots) < 0 || h->vdev != APPL_VDEV) {
		ap->bad[APPL_BAD_CTL]++;
		return handle_reply(ap, h, EINVAL, NULL);
	}
	if (ap->state != APPL_ACTIVE)
		return handle_reply(ap, h, ESHUTDOWN, NULL);
	if (nslots < APPL_SLOTS_MIN || nslots > APPL_SLOTS_MAX || (nslots & (nslots - 1)))
		return handle_reply(ap, h, EINVAL, NULL);
	for (unsigned k = 0; k < APPL_MAX_HANDLES && !hd; k++)
		if (!ap->h[k].used)
			hd = &ap->h[k];
	if (!hd)
		return handle_reply(ap, h, EMFILE, NULL);
	rc = shr_create(&hd->ring, nslots, APPL_ENTRY);
	if (rc < 0)
		return handle_reply(ap, h, (uint16_t)-rc, NULL);
	hd->used = true;
	hd->id = next_handle_id(ap);
	info_handles(ap);	/* listed before the program can use it */
	if (handle_reply(ap, h, 0, hd) < 0) {
		handle_close(hd);	/* the program never got it */
		info_handles(ap);
	}
	return 1;
}

/* VML_APPL_OFFLOAD: what the program takes unfinished from now on (APPL_RXOL_*).
 * Frames already waiting keep the form they were given. */
static int rx_offload(struct appl_port *ap, const struct vml_hdr *h, const uint8_t *m,
		      size_t len)
{
	uint8_t b[VML_HDR_SIZE + VML_ADDR_RC_SIZE];
	uint16_t v, rc = IPA_RC_SUCCESS;
	int n;

	if (vml_simple_decode(m, len, &v) < 0 || h->vdev != APPL_VDEV) {
		ap->bad[APPL_BAD_CTL]++;
		rc = IPA_RC_INVALID_FORMAT;
	} else if ((v & ~APPL_RXOL_ALL) ||
		   ((v & (APPL_RXOL_TSO4 | APPL_RXOL_TSO6)) && !(v & APPL_RXOL_CSUM))) {
		rc = IPA_RC_INVALID_FORMAT;
	} else {
		ap->rx_ofl = v;
	}
	n = vml_simple_encode(VML_ADDR_RC, h->vdev, h->seq, rc, b, sizeof(b));
	return n < 0 ? n : vml_send(ap->link, b, (size_t)n);
}

int appl_ctl(void *ctx, const struct vml_hdr *h, const uint8_t *m, size_t len)
{
	struct appl_port *ap = ctx;

	if (h->type == VML_HANDLE_OPEN)
		return handle_open(ap, h, m, len) < 0 ? -EPIPE : 1;
	if (h->type == VML_APPL_OFFLOAD)
		return rx_offload(ap, h, m, len) < 0 ? -EPIPE : 1;
	uint16_t id;

	if (vml_simple_decode(m, len, &id) == 0) {
		for (unsigned k = 0; k < APPL_MAX_HANDLES; k++)
			if (ap->h[k].used && ap->h[k].id == id) {
				handle_close(&ap->h[k]);
				info_handles(ap);
				return 1;
			}
	}
	ap->bad[APPL_BAD_CTL]++;	/* an unknown handle: counted, the link stays */
	return 1;
}

/* A handle whose ring the program broke: closed, counted; the port keeps the others. */
static void handle_broken(struct appl_port *ap, struct appl_handle *hd)
{
	ap->bad[APPL_BAD_RING]++;
	fprintf(stderr, "cpnetd: application port %08X of %s: handle %u closed, its ring is "
		"broken (%s)\n", ap->id, ap->user, hd->id, shr_break_name(hd->ring.broken));
	handle_close(hd);
	info_handles(ap);
}

/* The next posted buffer of any handle (round robin) with room for its completion:
 * the handle, the completion slot, and the buffer (validated: inside the region,
 * after the info page, at least APPL_BUF_MIN).  NULL when none is posted. */
static struct appl_handle *take_buffer(struct appl_port *ap, uint8_t **done, uint64_t *off,
				       uint32_t *blen)
{
	for (unsigned k = 0; k < APPL_MAX_HANDLES; k++) {
		struct appl_handle *hd = &ap->h[(ap->rr + k) % APPL_MAX_HANDLES];

		if (!hd->used)
			continue;
		for (unsigned tries = 0; tries <= hd->ring.nslots; tries++) {
			uint8_t ent[APPL_ENTRY];
			uint8_t *slot = shr_tx_slot(&hd->ring);
			uint32_t rsv;
			int len;

			if (!slot)
				break;	/* completions full (or the ring broke: below) */
			len = shr_rx_get(&hd->ring, ent, sizeof(ent));
			if (len == 0)
				break;
			if (len != APPL_POST_SIZE) {
				if (len > 0)
					shr_break(&hd->ring, SHR_BAD_MSG);
				break;
			}
			memcpy(off, ent + APPL_POST_OFF, 8);
			memcpy(blen, ent + APPL_POST_LEN, 4);
			memcpy(&rsv, ent + APPL_POST_RSV, 4);
			/* The reserved word must be 0: a later meaning for it must not be
			 * taken by an older cpnetd as a post it understood. */
			if (rsv || *off < APPL_INFO_SIZE || *off > ap->region_size ||
			    *blen < APPL_BUF_MIN || *blen > ap->region_size - *off) {
				ap->bad[APPL_BAD_POST]++;
				continue;	/* skipped: the program gets no completion */
			}
			*done = slot;
			ap->rr = (ap->rr + k + 1) % APPL_MAX_HANDLES;
			return hd;
		}
		if (hd->ring.broken)
			handle_broken(ap, hd);
	}
	return NULL;
}

static void complete(struct appl_handle *hd, uint8_t *slot, uint64_t off, uint32_t len,
		     uint16_t vlan, uint16_t flags, uint16_t gso)
{
	uint32_t off32 = (uint32_t)off;	/* take_buffer: inside the region (<= 256 MiB) */
	uint16_t rsv = 0;

	memcpy(slot + APPL_DONE_OFF, &off32, 4);
	memcpy(slot + APPL_DONE_GSO, &gso, 2);
	memcpy(slot + APPL_DONE_RSV, &rsv, 2);
	memcpy(slot + APPL_DONE_LEN, &len, 4);
	memcpy(slot + APPL_DONE_VLAN, &vlan, 2);
	memcpy(slot + APPL_DONE_FLAGS, &flags, 2);
	shr_tx_put(&hd->ring, APPL_DONE_SIZE);
	hd->frames++;
}

static uint16_t done_flags(const struct appl_port *ap, const struct pframe *f)
{
	uint16_t fl = 0;

	if (f->ipv6)
		fl |= APPL_DONE_IPV6;
	if (f->cast == PF_MULTICAST)
		fl |= APPL_DONE_MCAST;
	if (f->cast == PF_BROADCAST)
		fl |= APPL_DONE_BCAST;
	if (f->kind == PF_ETH && ap->lan && ap->lan->transport == LAN_IP)
		fl |= APPL_DONE_ETH;
	return fl;
}

/* ---- frames waiting for buffers (APPL_HOLD_BLOCK) ---------------------------------- */

static void hold_release(struct appl_port *ap, struct appl_hblk *b)
{
	unsigned spares = 0;

	for (struct appl_hblk *x = ap->hold_spare; x; x = x->next)
		spares++;
	if (spares >= 2) {
		free(b);
		return;
	}
	b->next = ap->hold_spare;
	ap->hold_spare = b;
}

static void hold_free_all(struct appl_port *ap)
{
	struct appl_hblk *b;

	while ((b = ap->hold_head) != NULL) {
		ap->hold_head = b->next;
		free(b);
	}
	while ((b = ap->hold_spare) != NULL) {
		ap->hold_spare = b->next;
		free(b);
	}
	ap->hold_tail = NULL;
	if (ap->port) {
		/* The port ended with frames still waiting: lost with it, counted. */
		if (ap->held)
			port_count_drop(ap->port, PD_DOWN, true, ap->held);
		ap->port->rxq_used = 0;
	}
	ap->held = 0;
}

/* Keep one frame (flat at src, or f's spans) until a buffer is posted: within the
 * port's queue storage, else dropped as PD_QSTORAGE.  True if it was kept. */
static bool hold(struct appl_port *ap, struct port *p, const struct pframe *f,
		 const uint8_t *src, uint32_t len, uint16_t flags, uint16_t gso)
{
	uint32_t need = APPL_HOLD_HDR + ((len + 7u) & ~7u);
	struct appl_hblk *b = ap->hold_tail;
	uint8_t *e;

	if (len > p->rxq_limit || p->rxq_used > p->rxq_limit - len ||
	    need > APPL_HOLD_BLOCK) {
		port_count_drop(p, PD_QSTORAGE, true, 1);
		return false;
	}
	if (!b || APPL_HOLD_BLOCK - b->tail < need) {
		b = ap->hold_spare;
		if (b)
			ap->hold_spare = b->next;
		else if (!(b = malloc(sizeof(*b)))) {
			port_count_drop(p, PD_QSTORAGE, true, 1);
			return false;
		}
		b->next = NULL;
		b->head = b->tail = 0;
		if (ap->hold_tail)
			ap->hold_tail->next = b;
		else
			ap->hold_head = b;
		ap->hold_tail = b;
	}
	e = b->d + b->tail;
	memcpy(e, &len, 4);
	memcpy(e + 4, &f->vlan, 2);
	memcpy(e + 6, &flags, 2);
	memcpy(e + 8, &gso, 2);
	memset(e + 10, 0, APPL_HOLD_HDR - 10);
	if (src)
		memcpy(e + APPL_HOLD_HDR, src, len);
	else
		qdio_spans_copy(f->spans, f->nspans, 0, e + APPL_HOLD_HDR, len);
	b->tail += need;
	ap->held++;
	ap->held_total++;
	p->rxq_used += len;
	if (p->rxq_used > p->rxq_peak)
		p->rxq_peak = p->rxq_used;
	return true;
}

/* Waiting frames into posted buffers, oldest first, until either runs out.  True when
 * none waits any more. */
static bool hold_deliver(struct appl_port *ap)
{
	struct port *p = ap->port;
	struct appl_hblk *b;

	while ((b = ap->hold_head) != NULL) {
		uint8_t *slot, *e;
		uint64_t off;
		uint32_t blen, len;
		uint16_t vlan, flags, gso;
		struct appl_handle *hd;

		if (b->head == b->tail) {
			if (!b->next) {
				b->head = b->tail = 0;	/* empty: the tail block stays */
				break;
			}
			ap->hold_head = b->next;
			hold_release(ap, b);
			continue;
		}
		hd = take_buffer(ap, &slot, &off, &blen);
		if (!hd)
			break;
		e = b->d + b->head;
		memcpy(&len, e, 4);
		memcpy(&vlan, e + 4, 2);
		memcpy(&flags, e + 6, 2);
		memcpy(&gso, e + 8, 2);
		b->head += APPL_HOLD_HDR + ((len + 7u) & ~7u);
		ap->held--;
		p->rxq_used -= len;
		if (len > blen) {
			complete(hd, slot, off, 0, vlan, APPL_DONE_TOOBIG, 0);
			port_count_drop(p, PD_TOOBIG, true, 1);
			continue;
		}
		memcpy(ap->region + off, e + APPL_HOLD_HDR, len);
		complete(hd, slot, off, len, vlan, flags, gso);
	}
	return ap->held == 0;
}

/* One publish per handle for what was delivered, a doorbell only to a handle that
 * waits. */
static void publish(struct appl_port *ap)
{
	for (unsigned k = 0; k < APPL_MAX_HANDLES; k++)
		if (ap->h[k].used) {
			shr_rx_done(&ap->h[k].ring);
			shr_tx_publish(&ap->h[k].ring);
		}
}

/* One frame (flat at src, or f's spans when src is NULL) into the next buffer, or
 * held until one is posted (in order: once a frame waits, the next ones wait behind
 * it).  ofl: the APPL_DONE_CSUM_* state the caller gives the frame (0: its checksums
 * as written -- the one a sender left out is written here, for a port that takes no
 * checksum offload); gso: a large send delivered whole (its segment size). */
static bool put_one(struct appl_port *ap, struct port *p, const struct pframe *f,
		    const uint8_t *src, uint32_t len, uint16_t ofl, uint16_t gso)
{
	uint8_t *slot = NULL, *dst;
	uint64_t off;
	uint32_t blen;
	struct appl_handle *hd = NULL;
	uint16_t flags = done_flags(ap, f) | ofl;

	if (!src && !ofl && f->csum == PF_CSUM_PARTIAL && len <= SEG_MAX &&
	    (ap->seg || (ap->seg = malloc(2 * SEG_MAX)))) {
		/* The checksum is written in our own copy, never in the region: the
		 * program can change its buffer under us while we parse and sum it. */
		struct csum_pkt cp;

		qdio_spans_copy(f->spans, f->nspans, 0, ap->seg, len);
		if (csum_parse(ap->seg, len, f->kind == PF_ETH, &cp) == 0)
			csum_complete(ap->seg, &cp, f->csum_ip_hdr);
		src = ap->seg;
	}
	if (!ap->held)
		hd = take_buffer(ap, &slot, &off, &blen);
	if (!hd)
		return hold(ap, p, f, src, len, flags, gso);
	if (len > blen) {
		complete(hd, slot, off, 0, f->vlan, APPL_DONE_TOOBIG, 0);
		port_count_drop(p, PD_TOOBIG, true, 1);
		return false;
	}
	dst = ap->region + off;
	if (src)
		memcpy(dst, src, len);
	else
		qdio_spans_copy(f->spans, f->nspans, 0, dst, len);
	complete(hd, slot, off, len, f->vlan, flags, gso);
	return true;
}

/* Leave the checksum of the frame at buf open (csum_open): APPL_DONE_CSUM_PARTIAL, or 0
 * when its headers do not parse (then it goes as it is). */
static uint16_t open_csum(uint8_t *buf, uint32_t len, bool eth, struct csum_pkt *cp)
{
	if (csum_parse(buf, len, eth, cp) < 0 || csum_open(buf, cp) < 0)
		return 0;
	return APPL_DONE_CSUM_PARTIAL;
}

/* A frame whose checksum its sender left open, for a port that takes it so
 * (APPL_RXOL_CSUM): delivered whole with the checksum still open -- a large send too
 * when the port takes those of its IP version.  1 delivered, 0 dropped (counted), -1
 * when it must be finished here instead (a large send the port does not take whole,
 * headers that do not parse). */
static int put_open(struct appl_port *ap, struct port *p, const struct pframe *f)
{
	struct csum_pkt cp;
	uint16_t gso = f->gso_size;

	if (!ap->seg && !(ap->seg = malloc(2 * SEG_MAX))) {
		port_count_drop(p, PD_NOMEM, true, 1);
		return 0;
	}
	if (f->len > SEG_MAX ||
	    qdio_spans_copy(f->spans, f->nspans, 0, ap->seg, f->len) != f->len ||
	    csum_parse(ap->seg, f->len, f->kind == PF_ETH, &cp) < 0)
		return -1;
	if (gso && (cp.proto != CSUM_PROTO_TCP ||
		    !(ap->rx_ofl & (cp.v6 ? APPL_RXOL_TSO6 : APPL_RXOL_TSO4))))
		return -1;
	if (csum_open(ap->seg, &cp) < 0)
		return -1;
	/* One segment's worth or less: an ordinary frame (a receiver may refuse a "large
	 * send" that makes one segment). */
	if (gso && cp.end - cp.l4 - cp.l4hlen <= gso)
		gso = 0;
	return put_one(ap, p, f, ap->seg, f->len, APPL_DONE_CSUM_PARTIAL, gso);
}

/* A large send: cut into segments, each its own buffer, with its checksum written -- or
 * left open for a port that takes checksum offload (APPL_RXOL_CSUM). */
static bool put_large(struct appl_port *ap, struct port *p, const struct pframe *f)
{
	bool open = ap->rx_ofl & APPL_RXOL_CSUM;
	struct tso t;
	bool all = true;
	int len, rc;

	if (!ap->seg && !(ap->seg = malloc(2 * SEG_MAX))) {
		port_count_drop(p, PD_NOMEM, true, 1);
		return false;
	}
	if (f->len > SEG_MAX ||
	    qdio_spans_copy(f->spans, f->nspans, 0, ap->seg, f->len) != f->len) {
		port_count_drop(p, PD_BADFRAME, true, 1);
		return false;
	}
	/* tso_init bounds the count (TSO_MAX_SEGS): a send it refuses is dropped whole,
	 * never cut part way. */
	rc = tso_init(&t, ap->seg, f->len, f->kind == PF_ETH, f->gso_size, !open);
	if (rc < 0) {
		port_count_drop(p, rc == -E2BIG ? PD_SEGSIZE : PD_BADFRAME, true, 1);
		return false;
	}
	while ((len = tso_next(&t, ap->seg + SEG_MAX, SEG_MAX)) > 0) {
		struct csum_pkt cp;
		uint16_t ofl = open ? open_csum(ap->seg + SEG_MAX, (uint32_t)len,
						f->kind == PF_ETH, &cp) : 0;

		/* A segment of a TCP send always parses; should one not, its checksum
		 * (neither written nor open) must not reach the program unmarked. */
		if (open && !ofl) {
			port_count_drop(p, PD_BADFRAME, true, 1);
			all = false;
			continue;
		}
		all &= put_one(ap, p, f, ap->seg + SEG_MAX, (uint32_t)len, ofl, 0);
	}
	if (len < 0) {
		port_count_drop(p, PD_BADFRAME, true, 1);
		all = false;
	}
	return all;
}

static unsigned appl_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct appl_port *ap = owner;
	unsigned took = 0;

	if (!region_live(ap) || ap->state != APPL_ACTIVE) {
		port_count_drop(p, PD_DOWN, true, n);
		return 0;
	}
	if (ap->held)
		hold_deliver(ap);	/* what waited goes first */
	for (unsigned i = 0; i < n; i++) {
		const struct pframe *x = &f[i];
		bool csum = ap->rx_ofl & APPL_RXOL_CSUM;
		int r = csum && (x->gso_size || x->csum == PF_CSUM_PARTIAL) ? put_open(ap, p, x) : -1;

		if (r < 0)
			r = x->gso_size ? put_large(ap, p, x)
					: put_one(ap, p, x, NULL, x->len,
						  csum && x->csum == PF_CSUM_VERIFIED
							  ? APPL_DONE_CSUM_VALID : 0, 0);
		took += r > 0;
	}
	publish(ap);
	return took;
}

/* Ask every handle to ring at its next post; false when posts came meanwhile. */
static bool arm_posts(struct appl_port *ap)
{
	bool idle = true;

	for (unsigned k = 0; k < APPL_MAX_HANDLES; k++)
		if (ap->h[k].used && shr_arm(&ap->h[k].ring))
			idle = false;
	ap->posts_armed = true;
	return idle;
}

void appl_poll(struct appl_port *ap)
{
	if (!ap->held) {
		if (ap->posts_armed) {
			for (unsigned k = 0; k < APPL_MAX_HANDLES; k++)
				if (ap->h[k].used)
					shr_disarm(&ap->h[k].ring);
			ap->posts_armed = false;
		}
		return;
	}
	if (!region_live(ap) || ap->state != APPL_ACTIVE)
		return;
	/* Bounded: each round either delivers or arms; posts racing the arm give one
	 * more round. */
	for (unsigned round = 0; round < 4; round++) {
		bool empty = hold_deliver(ap);

		publish(ap);
		if (empty || arm_posts(ap))
			break;
	}
	if (!ap->held)
		appl_poll(ap);	/* disarm */
}

int appl_bell_fd(const struct appl_port *ap, unsigned k, uint16_t *id)
{
	if (k >= APPL_MAX_HANDLES || !ap->h[k].used)
		return -1;
	*id = ap->h[k].id;
	return ap->h[k].ring.bell_me;
}

void appl_bell(struct appl_port *ap, unsigned k)
{
	if (k >= APPL_MAX_HANDLES || !ap->h[k].used)
		return;
	shr_bell_drain(&ap->h[k].ring);
	appl_poll(ap);
}

/* ---- the end ------------------------------------------------------------------------ */

void appl_end(struct cp *cp, struct appl_port *ap, enum appl_state why)
{
	uint8_t b[VML_HDR_SIZE + VML_LOGOFF_SIZE];
	int len;

	if (ap->state != APPL_ACTIVE)
		return;
	detach(cp, ap, why != APPL_LAN_GONE);
	hold_free_all(ap);
	ap->state = (uint8_t)why;
	info_state(ap);
	len = vml_simple_encode(VML_LOGOFF, 0, 0, why == APPL_FORCED ? VML_LOGOFF_FORCED :
				why == APPL_LAN_GONE ? VML_LOGOFF_LAN_GONE :
				why == APPL_REVOKED ? VML_LOGOFF_REVOKED : VML_LOGOFF_ENDED,
				b, sizeof(b));
	if (len > 0)
		vml_send(ap->link, b, (size_t)len);	/* fails if the program is gone */
}

void appl_free(struct cp *cp, struct appl_port *ap)
{
	struct appl_table *t = cp->appl;

	detach(cp, ap, !cp->stopping);
	if (ap->state == APPL_ACTIVE) {
		uint8_t b[VML_HDR_SIZE + VML_LOGOFF_SIZE];
		int len = vml_simple_encode(VML_LOGOFF, 0, 0, VML_LOGOFF_SHUTDOWN, b, sizeof(b));

		ap->state = cp->stopping ? APPL_STOPPED : APPL_DEREGISTERED;
		info_state(ap);
		if (cp->stopping && len > 0 && ap->link)
			vml_send(ap->link, b, (size_t)len);	/* the program is told why */
	}
	for (unsigned k = 0; k < APPL_MAX_HANDLES; k++)
		if (ap->h[k].used)
			handle_close(&ap->h[k]);
	if (ap->link && ap->link->ctx == ap) {
		ap->link->on_ctl = NULL;
		ap->link->on_ring_made = NULL;
		ap->link->ctx = NULL;
	}
	if (ap->port && ap->port->owner == ap) {
		ap->port->rx = NULL;
		ap->port->owner = NULL;
	}
	for (unsigned k = 0; t && k < t->n; k++)
		if (t->v[k] == ap) {
			t->v[k] = t->v[--t->n];
			break;
		}
	hold_free_all(ap);
	free(ap->seg);
	free(ap);
}

/* End `user`'s ports (on `lan` only, when given), one HCPAPL9502I each. */
static unsigned end_user(struct cp *cp, const struct lanbk *lan, const char *user,
			 enum appl_state why, struct out *o)
{
	unsigned n = 0;

	for (unsigned k = 0; cp->appl && k < cp->appl->n; k++) {
		struct appl_port *ap = cp->appl->v[k];
		char id[12];

		if (ap->state != APPL_ACTIVE || strcmp(ap->user, user) || (lan && ap->lan != lan))
			continue;
		snprintf(id, sizeof(id), "%08X", ap->id);
		out_msg(o, MSG_APPL_ENDED, id, ap->user, lan_kind_word(ap->lan), ap->lan->owner,
			ap->lan->name);
		appl_end(cp, ap, why);
		n++;
	}
	return n;
}

unsigned appl_force(struct cp *cp, const char *user, struct out *o)
{
	return end_user(cp, NULL, user, APPL_FORCED, o);
}

void appl_revoked(struct cp *cp, const struct lanbk *lan, const char *user, struct out *o)
{
	end_user(cp, lan, user, APPL_REVOKED, o);
}

void appl_lan_gone(struct cp *cp, const struct lanbk *lan)
{
	for (unsigned k = 0; cp->appl && k < cp->appl->n; k++)
		if (cp->appl->v[k]->lan == lan)
			appl_end(cp, cp->appl->v[k], APPL_LAN_GONE);
}

void appl_table_free(struct cp *cp)
{
	if (!cp->appl)
		return;
	while (cp->appl->n)
		appl_free(cp, cp->appl->v[cp->appl->n - 1]);
	free(cp->appl->v);
	free(cp->appl);
	cp->appl = NULL;
}
