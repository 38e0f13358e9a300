/* cp/uplink.c - VSWITCH uplinks as z/VM runs them: RDEVs attached to controller virtual
 * machines, ControlSwitch / InitializationComplete, registrations, data path, failover. */
#define _GNU_SOURCE
#include "cp/uplink.h"

#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp/cp.h"
#include "cp/msg.h"
#include "cp/parse.h"
#include "lib/cpnet.h"
#include "lib/csum.h"
#include "qeth/qhdr.h"
#include "vnic/offload.h"
#include "vnic/qframe.h"
#include "vswitch/switch.h"

#define REOPEN_MS 2000			/* retry a wire that could not be opened */
#define PRESSURE_MS 60000		/* HCPSWU9325W at most this often per switch */
#define INIT_RETRY_MS 2000		/* after a failed initialization of an RDEV */

static uint64_t now_ms(const struct uplinks *u)
{
	struct timespec ts;

	if (u->clock_ms)
		return u->clock_ms(u->clock_ctx);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* An operator message (the console of cpnetd: its log). */
static void say(struct uplinks *u, enum msg_id id, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, id);
	msg_vformat(line, sizeof(line), id, ap);
	va_end(ap);
	if (u->console)
		u->console(u->console_ctx, line);
}

void uplink_rdev_text(char out[12], uint16_t rdev, uint8_t port)
{
	snprintf(out, 12, "%04X.P%02u", rdev, port);
}

const char *up_state_name(enum up_state s)
{
	switch (s) {
	case UPC_INIT: return "INITIALIZING";
	case UPC_READY: return "BACKUP";
	case UPC_ACTIVE: return "ACTIVE";
	default: return "NOT ACTIVE";
	}
}

/* ---- OSAs ------------------------------------------------------------------------ */

int uplinks_init(struct uplinks *u, struct cp *cp)
{
	memset(u, 0, sizeof(*u));
	u->cp = cp;
	ctlq_init(&u->inbox);
	u->next_token = 1;
	return 0;
}

struct up_osa *uplink_find_osa(struct uplinks *u, uint16_t rdev)
{
	for (unsigned k = 0; k < u->nosas; k++)
		if (u->osas[k].rdev == rdev)
			return &u->osas[k];
	return NULL;
}

static int open_osa(struct uplinks *u, struct up_osa *d)
{
	const struct wire_class *cls = wire_class_find(d->backend);
	struct osa_cfg cfg;
	struct osa *o;
	int rc;

	if (!cls)
		return d->open_err = -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return d->open_err = -ENOMEM;
	memset(&cfg, 0, sizeof(cfg));
	cfg.rdev = d->rdev;
	/* Each OSA's subchannels are unique, so one controller can hold several. */
	cfg.schno = (uint16_t)(0x0100 + 3 * (unsigned)(d - u->osas));
	cfg.chpid = d->chpid;
	cfg.portno = d->portno;
	if (d->has_mac)
		memcpy(cfg.mac, d->mac, 6);
	cfg.rings = d->rings;
	cfg.addresses = d->addresses;
	/* CP answers the OSA's misses (serve_misses): a full table evicts, and frames
	 * for addresses it lacks wait for them. */
	cfg.miss_proxy = true;
	/* CP's data device reads a large receive's segment size from the inbound header
	 * (cp/uplink.c rx_frame -> qframe_meta): the host's large sends stay whole. */
	cfg.rx_large = true;
	cfg.clock_ms = u->clock_ms;
	cfg.clock_ctx = u->clock_ctx;
	rc = osa_create(o, &cfg, cls, d->wname);
	if (rc < 0) {
		free(o);
		return d->open_err = rc;
	}
	d->osa = o;
	d->open_err = 0;
	d->link = o->link_up;
	return 0;
}

static void close_osa(struct up_osa *d)
{
	if (!d->osa)
		return;
	osa_destroy(d->osa);
	free(d->osa);
	d->osa = NULL;
	d->link = false;
}

int uplink_add_osa(struct uplinks *u, uint16_t rdev, uint8_t chpid, uint8_t portno,
		   const char *backend,
		   const char *wname, const uint8_t *mac, unsigned line, int *open_err)
{
	struct up_osa *d;

	if (open_err)
		*open_err = 0;
	for (unsigned k = 0; k < u->nosas; k++)
		if (rdev < u->osas[k].rdev + 3 && u->osas[k].rdev < rdev + 3)
			return -EEXIST;
	if (u->nosas >= UPLINK_MAX_OSAS || (uint32_t)rdev + 2 > 0xFFFF)
		return -ENOSPC;
	if (portno > OSA_PORT_MAX)
		return -EINVAL;
	d = &u->osas[u->nosas++];
	memset(d, 0, sizeof(*d));
	d->rdev = rdev;
	d->chpid = chpid;
	d->portno = portno;
	d->line = line;
	adapt_init(&d->rxa, u->cp ? u->cp->poll_policy : ADAPT_ADAPTIVE, NULL);
	snprintf(d->backend, sizeof(d->backend), "%s", backend ? backend : "");
	snprintf(d->wname, sizeof(d->wname), "%s", wname ? wname : "");
	if (mac) {
		memcpy(d->mac, mac, 6);
		d->has_mac = true;
	}
	if (d->backend[0]) {
		int rc = open_osa(u, d);

		if (open_err)
			*open_err = rc;
	}
	return 0;
}

void uplink_set_rings(struct up_osa *d, unsigned rings)
{
	if (!d)
		return;
	d->rings = rings;
	if (d->osa)
		osa_set_rings(d->osa, rings);
}

void uplink_set_addresses(struct up_osa *d, unsigned n)
{
	if (!d)
		return;
	d->addresses = n;
	if (d->osa)
		osa_set_addresses(d->osa, n);
}

uint64_t uplink_osa_rx_drops(const struct up_osa *d)
{
	uint64_t n = 0;

	if (d && d->osa)
		for (unsigned k = 0; k < OSA_D_NR; k++)
			n += d->osa->st.rx_drop[k];
	return n;
}

/* ---- the data path ----------------------------------------------------------------- */

/* One wire frame out through CP's data device: 0 or the qdrv's -errno. */
/* One frame into the OSA's output buffers; o: what it leaves to the adapter (NULL:
 * nothing). */
static int send_txo(struct qdrv *q, const struct pframe *f, const struct qdio_span *sp,
		    unsigned nsp, uint32_t len, const struct qdrv_txo *o)
{
	if (q->cfg.layer == 2)
		return qdrv_sendv_txo(q, o, sp, nsp, len, false, NULL, 0);
	if (f->kind == PF_IP && !f->ipv6)
		return qdrv_sendv_txo(q, o, sp, nsp, len, false, f->next_hop + QHDR_L3_ADDR_V4,
				      qframe_l3_cast(f->cast));
	if (f->kind == PF_ETH && f->ipv6)
		return qdrv_sendv_txo(q, o, sp, nsp, len, true, f->next_hop,
				      f->cast == PF_MULTICAST ? QHDR_L3_CAST_MCAST
							      : QHDR_L3_CAST_UCAST);
	return -EINVAL;	/* ARP and other link frames stay on the LAN */
}

static int send_one(struct qdrv *q, const struct pframe *f, const struct qdio_span *sp,
		    unsigned nsp, uint32_t len)
{
	return send_txo(q, f, sp, nsp, len, NULL);
}

/*
 * A frame with its checksum or large send left to the adapter, handed to the OSA the
 * same way when CP's data device has that assist on (the OSA finishes it, or lets the
 * host kernel do it: osa.c tx_offload).  The headers' lengths come from the frame.
 * 0 sent; < 0: not offered or not fitting (the caller finishes it in software).
 */
static int send_offloaded(struct qdrv *q, const struct pframe *f)
{
	uint8_t hb[256];
	uint32_t hl = f->len < sizeof(hb) ? f->len : sizeof(hb);
	struct qdrv_txo o = { 0 };
	struct csum_pkt cp;

	if (!(q->tx_ofl4 | q->tx_ofl6) || f->csum != PF_CSUM_PARTIAL)
		return -EOPNOTSUPP;
	/* The headers (a large send's are well inside its first 256 bytes; one that is
	 * not is finished in software). */
	if (qdio_spans_copy(f->spans, f->nspans, 0, hb, hl) != hl ||
	    csum_parse_prefix(hb, hl, f->len, f->kind == PF_ETH, &cp) < 0)
		return -EBADMSG;
	o.csum = true;
	o.udp = cp.proto == CSUM_PROTO_UDP;
	o.ip_hdr = f->csum_ip_hdr;
	if (f->gso_size) {
		if (cp.proto != CSUM_PROTO_TCP)
			return -EBADMSG;
		o.mss = f->gso_size;
		o.hdr_len = (uint16_t)(cp.l4 + cp.l4hlen);
	}
	return send_txo(q, f, f->spans, f->nspans, f->len, &o);
}

static void count_tx(struct up_sw *s, int rc, uint32_t len, unsigned *sent)
{
	if (rc == 0) {
		s->st.tx_pkts++;
		s->st.tx_bytes += len;
		(*sent)++;
	} else if (rc == -EAGAIN) {
		s->st.tx_discards++;
	} else {
		s->st.tx_errors++;
	}
}

struct tx_ctx {
	struct up_sw *s;
	struct qdrv *q;
	unsigned sent;
};

static bool tx_emit(void *ctx, const struct pframe *f)
{
	struct tx_ctx *c = ctx;
	unsigned before = c->sent;

	count_tx(c->s, send_one(c->q, f, f->spans, f->nspans, f->len), f->len, &c->sent);
	return c->sent > before;
}

/* Frames the LAN sends to the uplink: out through CP's data device of the OSA, each
 * written once from the sender's spans into the output SBALs, one flush per batch. */
static unsigned port_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct up_sw *s = owner;
	struct qdrv *q = s->active >= 0 ? s->c[s->active].data : NULL;
	unsigned took = 0, wire = 0;

	(void)p;
	for (unsigned i = 0; i < n; i++) {
		unsigned sent = 0;

		if (!q || f[i].len == 0) {
			s->st.tx_discards++;
			continue;
		}
		if (ofl_needed(&f[i], false) && send_offloaded(q, &f[i]) == 0) {
			count_tx(s, 0, f[i].len, &sent);
			s->st.tx_offloaded++;
		} else if (ofl_needed(&f[i], false)) {
			/* An adapter without the assist: checksums written, a large send
			 * cut into segments, here. */
			struct tx_ctx c = { s, q, 0 };
			struct ofl_result r;

			ofl_finish(&f[i], false, &s->ofl_buf, tx_emit, &c, &r);
			if (r.err)
				s->st.tx_errors++;
			s->st.tx_completed += r.completed;
			s->st.tx_segmented += r.segmented;
			sent = c.sent;
		} else {
			count_tx(s, send_one(q, &f[i], f[i].spans, f[i].nspans, f[i].len),
				 f[i].len, &sent);
		}
		took += sent > 0;
		wire += sent;
	}
	if (q && wire) {
		s->st.tx_batches++;
		qdrv_flush(q);
	}
	return took;
}

/* One inbound packet's qeth header as the switch's frame metadata; false if bad. */
static bool rx_frame(const struct qdrv_rxpkt *p, struct pframe *f)
{
	struct qhdr h;

	memset(&h, 0, sizeof(h));
	if (qhdr_decode(p->qhdr, QHDR_SIZE, &h) < 0)
		return false;
	memset(f, 0, sizeof(*f));
	f->spans = p->spans;
	f->nspans = p->nspans;
	f->len = p->len;
	qframe_meta(&h, QF_INBOUND, f);
	return true;
}

/* A batch CP's data device received from the OSA: into the switch in one port_tx,
 * payload still in the input SBAL pages (the switch copies it once, to the guests). */
static void data_rxv(void *ctx, const struct qdrv_rxpkt *p, unsigned n)
{
	struct up_sw *s = ctx;
	unsigned k = 0;

	if (n > QDRV_RX_BATCH)
		n = QDRV_RX_BATCH;
	for (unsigned i = 0; i < n; i++) {
		if (!rx_frame(&p[i], &s->rxf[k])) {
			s->st.rx_discards++;
			continue;
		}
		s->st.rx_bytes += p[i].len;
		k++;
	}
	if (!k)
		return;
	s->st.rx_pkts += k;
	s->st.rx_batches++;
	port_tx(&s->port, s->rxf, k);
}

/* ---- switches and connections --------------------------------------------------- */

static struct ctlr *ctl_of(const struct uplinks *u, const char *userid)
{
	struct vm *vm = userid[0] ? cp_find_vm(u->cp, userid) : NULL;

	return vm ? vm->ctl : NULL;
}

struct up_sw *uplink_find_sw(struct uplinks *u, const struct lanbk *lan)
{
	for (unsigned k = 0; k < u->nsw; k++)
		if (u->sw[k]->lan == lan)
			return u->sw[k];
	return NULL;
}

unsigned uplink_managing(const struct uplinks *u, const char *userid)
{
	unsigned n = 0;

	for (unsigned k = 0; k < u->nsw; k++)
		for (unsigned i = 0; i < 2; i++)
			if (u->sw[k]->c[i].state != UPC_IDLE && !strcmp(u->sw[k]->c[i].ctl, userid))
				n++;
	return n;
}

static void mark_local_only(struct lanbk *lan)
{
	uint32_t cur = 0;
	const struct ipt_uni *e;

	while ((e = iptab_next_uni(&lan->tab, &cur)) != NULL)
		if (!e->local_only && !e->remote)
			iptab_set_local_only(&lan->tab, e->kind, e->addr, true);
}

/* Tear a connection down: the uplink port leaves the LAN if it was the active one,
 * CP gives the data device back and DETACHes the devices from the controller (a CP
 * action on the virtual machine's configuration: no cooperation needed). */
static void conn_drop(struct up_sw *s, int i)
{
	struct up_conn *c = &s->c[i];
	struct ctlr *ctl;

	if (c->state == UPC_IDLE)
		return;
	if (s->active == i) {
		lan_detach_uplink(s->lan);
		s->active = -1;
		mark_local_only(s->lan);	/* the OSA that accepted them is gone */
	}
	if (c->data) {
		c->data->cfg.rx = NULL;
		c->data->cfg.rxv = NULL;
		c->data->cfg.rx_ctx = NULL;
	}
	ctl = ctl_of(s->u, c->ctl);
	if (ctl && c->dev)
		ctl_detach(ctl, c->dev->rdev);
	if (c->dev)
		c->dev->sw = NULL;
	memset(c, 0, sizeof(*c));
}

static int post(struct up_sw *s, struct up_conn *c, struct ctl_msg *m)
{
	struct ctlr *ctl = ctl_of(s->u, c->ctl);

	m->token = c->token;
	return ctl ? ctl_post(ctl, m) : -ENOTCONN;
}

static void send_addr(struct up_sw *s, const struct paddr *a)
{
	struct up_conn *c;
	struct ctl_msg m;

	if (s->active < 0)
		return;
	c = &s->c[s->active];
	memset(&m, 0, sizeof(m));
	m.type = (a->op == PA_SETIP || a->op == PA_SETIPM || a->op == PA_SETVMAC ||
		  a->op == PA_SETGMAC) ? CTLM_REGISTER : CTLM_DEREGISTER;
	m.rdev = c->dev->rdev;
	m.a = *a;
	if (post(s, c, &m) == 0)
		s->st.regs_sent++;
	else
		s->st.regs_failed++;
}

static struct osa *active_osa(const struct up_sw *s)
{
	return s->active >= 0 && s->c[s->active].dev ? s->c[s->active].dev->osa : NULL;
}

/* Controller queue slots kept free by registrations pushed in advance: probes and the
 * answers to misses must always find room. */
#define QUEUE_RESERVE 32u

/* May one more registration be pushed to the active OSA in advance (`pushed` already
 * in flight)?  Not when its table is full (it would only evict an address in use:
 * the address is installed when a frame misses it) or the controller's queue is
 * nearly full. */
static bool may_push(const struct up_sw *s, unsigned pushed)
{
	const struct osa *o = active_osa(s);
	struct ctlr *ctl = s->active >= 0 ? ctl_of(s->u, s->c[s->active].ctl) : NULL;

	if (!o || !ctl)
		return true;	/* send_addr counts the failure */
	return o->at.n + pushed < o->at.cap && ctlq_len(&ctl->in) + QUEUE_RESERVE < CTLQ_SLOTS;
}

/* What guests registered goes to the controller of a newly active OSA, as far as its
 * table and the controller's queue take them; the rest is installed on miss. */
static void send_all(struct up_sw *s)
{
	struct lanbk *lan = s->lan;
	const struct ipt_uni *e;
	const struct ipt_grp *g;
	uint32_t cur = 0;
	unsigned pushed = 0;
	struct paddr a;

	while ((e = iptab_next_uni(&lan->tab, &cur)) != NULL) {
		if ((int)e->port == lan->uplink_idx || e->remote)
			continue;
		if (!may_push(s, pushed)) {
			s->st.regs_deferred++;
			continue;
		}
		lan_uni_paddr(e, true, &a);
		send_addr(s, &a);
		pushed++;
	}
	cur = 0;
	while ((g = iptab_next_grp(&lan->tab, &cur)) != NULL) {
		memset(&a, 0, sizeof(a));
		if (g->kind == IPT_MAC) {
			a.op = PA_SETGMAC;
			memcpy(a.mac, g->addr, 6);
		} else {
			a.op = PA_SETIPM;
			a.ipv6 = g->kind == IPT_V6;
			memcpy(a.ip, g->addr, 16);
		}
		send_addr(s, &a);
	}
}

static void activate(struct up_sw *s, int i)
{
	struct up_conn *c = &s->c[i];
	char rd[12];

	if (lan_attach_uplink(s->lan, &s->port) < 0)
		return;
	c->data->cfg.rx = NULL;
	c->data->cfg.rxv = data_rxv;
	c->data->cfg.rx_ctx = s;
	c->state = UPC_ACTIVE;
	c->since = now_ms(s->u);
	s->active = i;
	s->down_reported = false;
	/* Table pressure is counted afresh on this OSA; what it was told as a backup
	 * ("unknown": a backup holds none) no longer holds. */
	if (c->dev->osa)
		osa_miss_forget(c->dev->osa);
	s->evict_said = c->dev->osa ? c->dev->osa->at.st.evictions : 0;
	s->install_said = c->dev->osa ? c->dev->osa->st.miss_installed : 0;
	mark_local_only(s->lan);
	send_all(s);
	uplink_rdev_text(rd, c->dev->rdev, c->port);
	say(s->u, MSG_SWU_STATUS, s->lan->name, "ready");
	say(s->u, MSG_SWU_CONTROLLER, c->ctl, rd, s->lan->name);
}

/* The registration notices of the LAN (every guest SETIP/SETVMAC/... and withdrawal). */
static void lan_notify(void *ctx, struct lanbk *lan, unsigned conn, const struct paddr *a)
{
	struct up_sw *s = ctx;

	if ((int)conn == lan->uplink_idx)
		return;
	if ((a->op == PA_SETIP || a->op == PA_SETVMAC) && !may_push(s, 0)) {
		/* Kept in the LAN IP table; the first frame for it installs it.  An
		 * "unknown" the OSA remembers for it must not delay that. */
		s->st.regs_deferred++;
		osa_miss_forget(active_osa(s));
		return;
	}
	send_addr(s, a);
}

static struct up_sw *sw_create(struct uplinks *u, struct lanbk *lan)
{
	struct up_sw *s;

	if (u->nsw >= UPLINK_MAX_SW)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->lan = lan;
	s->u = u;
	s->active = -1;
	s->port.rx = port_rx;
	s->port.owner = s;
	snprintf(s->port.name, sizeof(s->port.name), "UPLINK %s", lan->name);
	lan->notify = lan_notify;
	lan->notify_ctx = s;
	u->sw[u->nsw++] = s;
	return s;
}

static void sw_destroy(struct uplinks *u, struct up_sw *s)
{
	conn_drop(s, 0);
	conn_drop(s, 1);
	if (s->lan->notify_ctx == s) {
		s->lan->notify = NULL;
		s->lan->notify_ctx = NULL;
	}
	for (unsigned k = 0; k < u->nsw; k++)
		if (u->sw[k] == s) {
			u->sw[k] = u->sw[--u->nsw];
			break;
		}
	free(s->ofl_buf);
	free(s);
}

void uplink_lan_gone(struct uplinks *u, struct lanbk *lan)
{
	struct up_sw *s = uplink_find_sw(u, lan);

	if (s)
		sw_destroy(u, s);
}

void uplinks_free(struct uplinks *u)
{
	while (u->nsw)
		sw_destroy(u, u->sw[u->nsw - 1]);
	for (unsigned k = 0; k < u->nosas; k++)
		close_osa(&u->osas[k]);
	u->nosas = 0;
}

static bool rdev_named(const struct lanbk *lan, uint16_t rdev)
{
	for (unsigned k = 0; k < lan->nrdev; k++)
		if (lan->rdev[k] == rdev)
			return true;
	return false;
}

static bool usable(const struct up_osa *d, uint64_t now)
{
	return d && d->osa && d->link && !d->osa->wire.failed && !d->sw && now >= d->retry_at;
}

/* Start a connection on slot i: ATTACH the RDEV's devices to a controller and send
 * ControlSwitch.  The first usable RDEV in the VSWITCH's order other than not_rdev
 * (only_rdev: that one or none); avoid: a controller to pass over if possible. */
static bool conn_start(struct up_sw *s, int i, uint16_t not_rdev, uint16_t only_rdev,
		       const char *avoid)
{
	struct uplinks *u = s->u;
	struct ctl_cand cand[CP_MAX_AUTOLOG];
	struct vm *vms[CP_MAX_AUTOLOG];
	struct up_conn *c = &s->c[i];
	struct up_osa *d = NULL;
	uint8_t port = 0;
	uint64_t now = now_ms(u);
	unsigned n = 0;
	struct ctl_msg m;
	uint8_t layer = s->lan->transport == LAN_ETHERNET ? 2 : 3;
	struct ctlr *ctl;
	int k;

	for (unsigned r = 0; r < s->lan->nrdev && !d; r++) {
		struct up_osa *x = uplink_find_osa(u, s->lan->rdev[r]);

		if (x && x->rdev != not_rdev && (!only_rdev || x->rdev == only_rdev) &&
		    usable(x, now)) {
			d = x;
			port = s->lan->rdev_port[r];
		}
	}
	if (!d)
		return false;
	for (unsigned v = 0; v < u->cp->nvms && n < CP_MAX_AUTOLOG; v++) {
		struct vm *vm = u->cp->vms[v];

		if (!vm->ctl)
			continue;
		vms[n] = vm;
		cand[n].userid = vm->userid;
		cand[n].eligible = !vm->ctl_stalled;
		cand[n].managing = uplink_managing(u, vm->userid);
		n++;
	}
	k = ctl_select(cand, n, s->lan->controller, avoid);
	if (k < 0)
		return false;
	ctl = vms[k]->ctl;
	memset(c, 0, sizeof(*c));
	if (ctl_attach(ctl, osa_nic(d->osa), d->rdev, layer, &c->vdev) < 0)
		return false;
	c->dev = d;
	c->port = port;
	d->sw = s;
	snprintf(c->ctl, sizeof(c->ctl), "%s", vms[k]->userid);
	c->token = u->next_token++;
	if (!u->next_token)
		u->next_token = 1;
	c->state = UPC_INIT;
	c->since = now;
	memset(&m, 0, sizeof(m));
	m.type = CTLM_CONTROL_SWITCH;
	m.rdev = d->rdev;
	m.port = port;
	m.layer = layer;
	if (post(s, c, &m) < 0) {
		conn_drop(s, i);
		return false;
	}
	/* ControlSwitch is the first thing the controller must take off its queue. */
	c->probe_tail = ctl->in.tail;
	c->probe_at = now;
	return true;
}

enum fail_why { FAIL_GONE, FAIL_STALL, FAIL_RDEV };

static void conn_fail(struct up_sw *s, int i, enum fail_why why, const char *detail)
{
	struct up_conn *c = &s->c[i];
	bool was_active = s->active == i;
	char rd[12];
	int j = 1 - i;

	uplink_rdev_text(rd, c->dev ? c->dev->rdev : 0, c->port);
	if (why == FAIL_STALL)
		say(s->u, MSG_SWU_STALL, c->ctl, rd, s->lan->name);
	else if (why == FAIL_GONE)
		say(s->u, MSG_SWU_CTL_GONE, c->ctl, rd, s->lan->name);
	else
		say(s->u, MSG_SWU_RDEV_FAIL, rd, s->lan->name, detail);
	conn_drop(s, i);
	if (!was_active)
		return;
	s->st.failovers++;
	if (s->c[j].state == UPC_READY)
		activate(s, j);
}

/* ---- messages from controllers ------------------------------------------------------ */

static struct up_sw *by_token(struct uplinks *u, uint32_t token, int *idx)
{
	for (unsigned k = 0; k < u->nsw; k++)
		for (int i = 0; i < 2; i++)
			if (u->sw[k]->c[i].state != UPC_IDLE && u->sw[k]->c[i].token == token) {
				*idx = i;
				return u->sw[k];
			}
	return NULL;
}

static void on_message(struct uplinks *u, const struct ctl_msg *m)
{
	struct up_sw *s;
	struct up_conn *c;
	int i = 0;

	s = by_token(u, m->token, &i);
	if (!s)
		return;		/* a connection CP already abandoned */
	c = &s->c[i];
	switch (m->type) {
	case CTLM_INIT_COMPLETE:
		if (c->state != UPC_INIT) {
			s->st.stale++;
			return;
		}
		if (m->rc < 0 || !m->data) {
			char rd[12];

			uplink_rdev_text(rd, c->dev->rdev, c->port);
			say(u, MSG_SWU_INIT_FAIL, c->ctl, rd, s->lan->name,
			    m->text[0] ? m->text : cpnet_strerror(m->rc));
			c->dev->retry_at = now_ms(u) + INIT_RETRY_MS;
			conn_drop(s, i);
			return;
		}
		/* CP takes the data device: inbound stays dropped until it is active. */
		c->data = m->data;
		c->data->cfg.rx = NULL;
		c->data->cfg.rxv = NULL;
		c->state = UPC_READY;
		c->since = now_ms(u);
		if (s->active < 0)
			activate(s, i);
		return;
	case CTLM_RESULT:
		if (s->active != i) {
			s->st.stale++;
			return;
		}
		if (m->req == CTLM_RESOLVE) {
			/* The answer to a miss, not to a registration CP sent: the OSA
			 * holds the address now (or the install failed and the frames
			 * time out). */
			if (m->rc == 0)
				s->st.miss_resolved++;
			return;
		}
		if (m->rc != 0) {
			s->st.regs_failed++;
			return;
		}
		s->st.regs_ok++;
		if (m->a.op == PA_SETIP)
			iptab_set_local_only(&s->lan->tab, m->a.ipv6 ? IPT_V6 : IPT_V4, m->a.ip, false);
		else if (m->a.op == PA_SETVMAC)
			iptab_set_local_only(&s->lan->tab, IPT_MAC, m->a.mac, false);
		return;
	case CTLM_UNKNOWN:
		/* The controller holds no rule either: the waiting frames go. */
		s->st.miss_unknown++;
		if (s->active == i && c->dev->osa)
			osa_miss_unknown(c->dev->osa, m->a.op == PA_SETVMAC ? ATAB_MAC
						      : m->a.ipv6 ? ATAB_V6 : ATAB_V4,
					 m->a.op == PA_SETVMAC ? m->a.mac : m->a.ip);
		return;
	default:
		return;
	}
}

/* ---- the tick ----------------------------------------------------------------------- */

static void check_osas(struct uplinks *u, uint64_t now)
{
	for (unsigned k = 0; k < u->nosas; k++) {
		struct up_osa *d = &u->osas[k];

		if (d->osa) {
			int up = osa_check_link(d->osa);

			d->link = up > 0 && !d->osa->wire.failed;
			/* A deleted device: let go of it once nobody uses it; it is opened
			 * again when the operator re-creates it. */
			if (d->osa->wire.failed && !d->sw)
				close_osa(d);
		}
		if (!d->osa && d->backend[0] && now >= d->reopen_at) {
			d->reopen_at = now + REOPEN_MS;
			if (!strcmp(d->backend, "TAP") && !if_nametoindex(d->wname))
				continue;
			open_osa(u, d);
		}
	}
}

static void check_conn(struct up_sw *s, int i, uint64_t now)
{
	struct up_conn *c = &s->c[i];
	struct ctlr *ctl;
	struct vm *vm;

	if (c->state == UPC_IDLE)
		return;
	vm = cp_find_vm(s->u->cp, c->ctl);
	ctl = vm ? vm->ctl : NULL;
	if (!ctl) {
		conn_fail(s, i, FAIL_GONE, NULL);
		return;
	}
	if (!rdev_named(s->lan, c->dev->rdev) || !s->lan->connect) {
		conn_drop(s, i);
		return;
	}
	if (!c->dev->osa || !c->dev->link || c->dev->osa->wire.failed) {
		conn_fail(s, i, FAIL_RDEV, !c->dev->osa || c->dev->osa->wire.failed ?
			  "the device is gone" : "link down");
		return;
	}
	/* Liveness: the controller must take its messages off the queue; the last probe
	 * (or ControlSwitch) still queued after UPLINK_STALL_MS is a stall. */
	if (c->probe_at && (int32_t)(ctl->in.head - c->probe_tail) < 0) {
		if (now - c->probe_at > UPLINK_STALL_MS) {
			vm->ctl_stalled = true;
			conn_fail(s, i, FAIL_STALL, NULL);
		}
		return;
	}
	if (now - c->probe_at >= UPLINK_PROBE_MS) {
		struct ctl_msg m;

		memset(&m, 0, sizeof(m));
		m.type = CTLM_PROBE;
		if (post(s, c, &m) == 0) {
			c->probe_tail = ctl->in.tail;
			c->probe_at = now;
		}
	}
}

/* HCPSWU9325W: the active OSA's table evicted since the last report (a table too
 * small for the addresses in use: every eviction costs a frame a miss later). */
static void pressure(struct up_sw *s, uint64_t now)
{
	const struct osa *o = active_osa(s);
	char rd[12], cap[12], ev[24], inst[24];

	if (!o || o->at.st.evictions <= s->evict_said || now < s->pressure_at)
		return;
	uplink_rdev_text(rd, s->c[s->active].dev->rdev, s->c[s->active].port);
	snprintf(cap, sizeof(cap), "%u", o->at.cap);
	snprintf(ev, sizeof(ev), "%" PRIu64, o->at.st.evictions - s->evict_said);
	snprintf(inst, sizeof(inst), "%" PRIu64, o->st.miss_installed - s->install_said);
	say(s->u, MSG_SWU_ADDR_PRESSURE, rd, s->lan->name, cap, ev, inst);
	s->evict_said = o->at.st.evictions;
	s->install_said = o->st.miss_installed;
	s->pressure_at = now + PRESSURE_MS;
}

static void sw_tick(struct up_sw *s, uint64_t now)
{
	int a;

	check_conn(s, 0, now);
	check_conn(s, 1, now);
	if (!s->lan->connect || !s->lan->nrdev)
		return;
	a = s->active;
	if (a < 0) {
		int i = s->c[0].state == UPC_READY ? 0 : s->c[1].state == UPC_READY ? 1 : -1;

		if (i >= 0) {
			activate(s, i);
		} else if (s->c[0].state != UPC_INIT && s->c[1].state != UPC_INIT) {
			int f = s->c[0].state == UPC_IDLE ? 0 : 1;

			if (!conn_start(s, f, 0, 0, NULL) && !s->down_reported) {
				s->down_reported = true;
				say(s->u, MSG_SWU_STATUS, s->lan->name, "disconnected following error");
				say(s->u, MSG_SWU_NO_RDEV, s->lan->name);
			}
		}
		return;
	}
	pressure(s, now);
	/* A backup: another RDEV, pre-initialized, preferably by another controller. */
	if (s->c[1 - a].state == UPC_IDLE)
		conn_start(s, 1 - a, s->c[a].dev->rdev, 0, s->c[a].ctl);
}

int uplink_tick(struct uplinks *u)
{
	struct ctl_msg m;
	uint64_t now = now_ms(u);
	int work = 0;

	if (u->in_tick)
		return 0;
	u->in_tick = true;
	/* New VSWITCHes with RDEVs get their uplink state. */
	for (unsigned k = 0; k < u->cp->lans.n; k++) {
		struct lanbk *lan = u->cp->lans.lans[k];

		if (lan->kind == LAN_VSWITCH && lan->nrdev && !uplink_find_sw(u, lan))
			sw_create(u, lan);
	}
	check_osas(u, now);
	/* The controllers run (CP dispatches their virtual machines) ... */
	for (unsigned v = 0; v < u->cp->nvms; v++)
		if (u->cp->vms[v]->ctl)
			work += (int)ctl_run(u->cp->vms[v]->ctl, UPLINK_BUDGET);
	/* ... and CP reads what they answered. */
	for (unsigned n = 0; n < UPLINK_BUDGET && ctlq_get(&u->inbox, &m); n++, work++)
		on_message(u, &m);
	for (unsigned k = 0; k < u->nsw; k++) {
		sw_tick(u->sw[k], now);
		lan_age(u->sw[k]->lan, now);	/* IPTIMEOUT: remote IPs not seen lately */
	}
	/* Messages the new connections caused (a second round keeps bring-up quick). */
	for (unsigned v = 0; v < u->cp->nvms; v++)
		if (u->cp->vms[v]->ctl)
			work += (int)ctl_run(u->cp->vms[v]->ctl, UPLINK_BUDGET);
	for (unsigned n = 0; n < UPLINK_BUDGET && ctlq_get(&u->inbox, &m); n++, work++)
		on_message(u, &m);
	u->in_tick = false;
	return work;
}

/* ---- the miss protocol: CP is the OSA's proxy (doc/osa.md "The address table") ---- */

/* May guest connection `idx` receive a frame the uplink brings in with VLAN tag `tag`?
 * The uplink's ingress VLAN, then the guest's membership (switch.c decides the same
 * for every frame; here it decides whether the OSA should hold the address at all). */
static bool may_receive(const struct lanbk *lan, unsigned idx, uint16_t tag)
{
	const struct lan_conn *g = lan_conn_at(lan, idx);
	const struct lan_conn *up = lan->uplink_idx >= 0 ?
				    lan_conn_at(lan, (unsigned)lan->uplink_idx) : NULL;
	uint16_t vid;

	if (!g || !g->port || g->uplink || !g->started || g->mismatch)
		return false;
	if (!lan->vlan_aware)
		return true;
	if (!up)
		return false;
	if (up->porttype == LAN_ACCESS) {
		if (tag && tag != up->pvid)
			return false;
		vid = up->pvid;
	} else {
		vid = tag ? tag : lan->native_vid;
		if (!vid || !lan_vlan_has(&up->vlans, vid))
			return false;
	}
	return g->porttype == LAN_ACCESS ? vid == g->pvid : lan_vlan_has(&g->vlans, vid);
}

/* One miss of the active OSA of s: install a guest's eligible address (Register, as any
 * registration), ask the controller about a MAC CP does not know (Resolve: the
 * adapter's own, which its bring-up registered), or answer "unknown".  Returns whether
 * the controller has work. */
static bool serve_miss(struct up_sw *s, struct osa *o, const struct osa_miss *m)
{
	struct lanbk *lan = s->lan;
	uint8_t kind = m->kind == ATAB_MAC ? IPT_MAC : m->kind == ATAB_V6 ? IPT_V6 : IPT_V4;
	const struct ipt_uni *e;
	struct ipt_uni u;
	struct ctl_msg q;

	if ((lan->transport == LAN_ETHERNET) != (kind == IPT_MAC)) {
		s->st.miss_unknown++;
		osa_miss_unknown(o, m->kind, m->addr);
		return false;
	}
	e = iptab_entry(&lan->tab, kind, m->addr);
	if (e && !e->remote && (int)e->port != lan->uplink_idx && may_receive(lan, e->port, m->vlan)) {
		s->st.miss_table++;
		lan_uni_paddr(e, true, &q.a);	/* with the mask the guest gave */
		send_addr(s, &q.a);
		return true;
	}
	if (e) {
		/* A guest's, but not for this frame's VLAN (or not started), or an address
		 * outside (remote): never installed for it. */
		s->st.miss_refused++;
		osa_miss_unknown(o, m->kind, m->addr);
		return false;
	}
	if (lan->transport == LAN_IP) {
		/* Every layer-3 rule the controller holds came from this table (a guest's
		 * registration): an address not in it is nobody's, and asking would only
		 * let a flood of ARP requests for invented addresses reach the controller. */
		s->st.miss_unknown++;
		osa_miss_unknown(o, m->kind, m->addr);
		return false;
	}
	memset(&q, 0, sizeof(q));
	q.type = CTLM_RESOLVE;
	q.rdev = s->c[s->active].dev->rdev;
	memset(&u, 0, sizeof(u));
	u.kind = kind;
	memcpy(u.addr, m->addr, iptab_addr_len(kind));
	lan_uni_paddr(&u, true, &q.a);
	if (post(s, &s->c[s->active], &q) < 0) {
		s->st.miss_unknown++;
		osa_miss_unknown(o, m->kind, m->addr);
		return false;
	}
	s->st.miss_asked++;
	return true;
}

/* Take the misses OSA d reported and answer them.  The controller that has work is
 * dispatched at once (CP gives the virtual machine its turn, as for an interrupt)
 * and its answers read, so a frame waits one poll, not one tick.  Returns the
 * misses taken. */
static unsigned serve_misses(struct uplinks *u, struct up_osa *d)
{
	struct up_sw *s = d->sw;
	bool active = s && s->active >= 0 && s->c[s->active].dev == d;
	bool work = false;
	struct osa_miss m;
	struct ctl_msg r;
	unsigned n = 0;

	while (n < UPLINK_BUDGET && osa_miss_take(d->osa, &m)) {
		n++;
		if (!active)
			osa_miss_unknown(d->osa, m.kind, m.addr);	/* a backup holds none */
		else
			work |= serve_miss(s, d->osa, &m);
	}
	if (work && !u->in_tick) {
		struct ctlr *ctl = ctl_of(u, s->c[s->active].ctl);

		if (ctl)
			ctl_run(ctl, UPLINK_BUDGET);
		for (unsigned k = 0; k < UPLINK_BUDGET && ctlq_get(&u->inbox, &r); k++)
			on_message(u, &r);
	}
	return n;
}

/* One OSA's wire: frames read (into its NIC port, toward CP's data device). */
static int poll_osa(struct uplinks *u, struct up_osa *d)
{
	int r;

	if (!d->osa)
		return 0;
	r = osa_poll(d->osa, UPLINK_BUDGET);
	if (r == -ENETDOWN)
		d->link = false;
	/* What the installs released goes in now (osa_poll hands held frames on). */
	if (d->osa && serve_misses(u, d) && d->osa->nready)
		osa_poll(d->osa, UPLINK_BUDGET);
	return r > 0 ? r : 0;
}

/* CP's data devices: what the OSAs gave them, into the switches. */
static int poll_data(struct uplinks *u)
{
	int n = 0;

	for (unsigned k = 0; k < u->nsw; k++)
		for (int i = 0; i < 2; i++) {
			struct up_conn *c = &u->sw[k]->c[i];

			if ((c->state == UPC_READY || c->state == UPC_ACTIVE) && c->data)
				n += qdrv_poll(c->data);
		}
	return n;
}

int uplink_poll(struct uplinks *u)
{
	int n = 0;

	for (unsigned k = 0; k < u->nosas; k++)
		n += poll_osa(u, &u->osas[k]);
	return n + poll_data(u);
}

int uplink_poll_wire(struct uplinks *u, unsigned k)
{
	int n = k < u->nosas ? poll_osa(u, &u->osas[k]) : 0;

	poll_data(u);
	return n;
}

int uplink_pump(struct uplinks *u, int ms)
{
	struct pollfd p[UPLINK_MAX_OSAS];
	unsigned n = 0;

	for (unsigned k = 0; k < u->nosas; k++)
		if (u->osas[k].osa && osa_wire_fd(u->osas[k].osa) >= 0) {
			p[n].fd = osa_wire_fd(u->osas[k].osa);
			p[n].events = POLLIN;
			n++;
		}
	if (n && ms > 0)
		poll(p, n, ms);
	return uplink_poll(u);
}

void uplink_vm_gone(struct uplinks *u, struct vm *vm, bool forced)
{
	(void)forced;
	if (!vm->ctl)
		return;
	for (unsigned k = 0; k < u->nsw; k++)
		for (int i = 0; i < 2; i++) {
			struct up_sw *s = u->sw[k];

			if (s->c[i].state != UPC_IDLE && !strcmp(s->c[i].ctl, vm->userid))
				conn_fail(s, i, FAIL_GONE, NULL);
		}
}

void uplink_connect_changed(struct uplinks *u, struct lanbk *lan)
{
	struct up_sw *s = u ? uplink_find_sw(u, lan) : NULL;

	if (s && !u->in_tick)
		sw_tick(s, now_ms(u));
}

void uplink_refresh(struct uplinks *u, struct lanbk *lan, const char *user)
{
	struct up_sw *s = u ? uplink_find_sw(u, lan) : NULL;
	struct osa *o = s ? active_osa(s) : NULL;
	const struct ipt_uni *e;
	uint32_t cur = 0;
	struct paddr a;

	if (!o)
		return;
	osa_miss_forget(o);	/* "unknown" may be eligible now */
	while ((e = iptab_next_uni(&lan->tab, &cur)) != NULL) {
		const struct lan_conn *c = lan_conn_at(lan, e->port);
		uint8_t kind = e->kind == IPT_MAC ? ATAB_MAC : e->kind == IPT_V6 ? ATAB_V6 : ATAB_V4;

		if (e->remote || (int)e->port == lan->uplink_idx || !c ||
		    (user && strcmp(c->owner, user)) || !atab_find(&o->at, kind, e->addr))
			continue;
		/* Off the OSA (and the controller's rules): the next frame for it misses
		 * and is decided with the authorization as it is now. */
		lan_uni_paddr(e, false, &a);
		send_addr(s, &a);
		s->st.refreshes++;
	}
}

int uplink_switchover(struct uplinks *u, struct lanbk *lan, bool has_rdev, uint16_t rdev,
		      struct out *o)
{
	struct up_sw *s = uplink_find_sw(u, lan);
	int a, b;

	if (!s || s->active < 0)
		return out_msg(o, MSG_SWU_NO_SWITCHOVER, lan->name, "the uplink is not active");
	a = s->active;
	b = 1 - a;
	if (has_rdev && s->c[a].dev->rdev == rdev)
		return out_msg(o, MSG_SWU_NO_SWITCHOVER, lan->name, "that RDEV is already active");
	if (has_rdev && (s->c[b].state == UPC_IDLE || s->c[b].dev->rdev != rdev)) {
		if (!rdev_named(lan, rdev))
			return out_msg(o, MSG_SWU_NO_SWITCHOVER, lan->name, "the RDEV is not one of its RDEVs");
		/* Re-aim the backup at the requested RDEV. */
		conn_drop(s, b);
		{
			struct up_osa *d = uplink_find_osa(u, rdev);

			if (!d || !usable(d, now_ms(u)))
				return out_msg(o, MSG_SWU_NO_SWITCHOVER, lan->name,
					       "the RDEV is not a working OSA-Express device");
		}
		conn_start(s, b, s->c[a].dev->rdev, rdev, s->c[a].ctl);
		uplink_tick(u);
	}
	if (s->c[b].state == UPC_INIT)
		uplink_tick(u);
	if (s->c[b].state != UPC_READY)
		return out_msg(o, MSG_SWU_NO_SWITCHOVER, lan->name,
			       "no backup RDEV is initialized");
	if (has_rdev && s->c[b].dev->rdev != rdev)
		return out_msg(o, MSG_SWU_NO_SWITCHOVER, lan->name, "the RDEV could not be initialized");
	conn_drop(s, a);
	s->st.switchovers++;
	activate(s, b);
	return out_msg(o, MSG_R_COMPLETE);
}
