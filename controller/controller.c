/* controller/controller.c - the controller virtual machine: brings OSAs up and registers
 * addresses on them with the driver side (driver/qdrv), on CP's request by message. */
#include "controller/controller.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "qeth/ipa.h"

int ctl_create(struct ctlr *c, const char *userid, struct ctl_queue *cp_queue)
{
	int rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->userid, sizeof(c->userid), "%s", userid);
	rc = guest_create(&c->g, guest_mem_size(CTL_MAX_OSAS));
	if (rc < 0)
		return rc;
	ctlq_init(&c->in);
	c->cp = cp_queue;
	return 0;
}

void ctl_destroy(struct ctlr *c)
{
	for (unsigned k = 0; k < CTL_MAX_OSAS; k++)
		if (c->osa[k].used)
			ctl_detach(c, c->osa[k].rdev);
	guest_destroy(&c->g);
}

const struct ctl_osa *ctl_find_osa(const struct ctlr *c, uint16_t rdev)
{
	for (unsigned k = 0; k < CTL_MAX_OSAS; k++)
		if (c->osa[k].used && c->osa[k].rdev == rdev)
			return &c->osa[k];
	return NULL;
}

static struct ctl_osa *osa_by_token(struct ctlr *c, uint32_t token)
{
	for (unsigned k = 0; k < CTL_MAX_OSAS; k++)
		if (c->osa[k].used && token && c->osa[k].token == token)
			return &c->osa[k];
	return NULL;
}

int ctl_attach(struct ctlr *c, struct nicbk *nic, uint16_t rdev, uint8_t layer, uint16_t *vdev)
{
	struct ctl_osa *o = NULL;
	struct guest_if *gif;
	uint64_t area = guest_mem_size(1) - GUEST_AREA_BASE;
	unsigned slot = 0;
	int rc;

	if (!nic || (layer != 2 && layer != 3))
		return -EINVAL;
	if (ctl_find_osa(c, rdev))
		return -EEXIST;
	/* guest_attach_nic takes the first free interface; give it that slot's own
	 * storage area so that attach/detach cycles (failovers) never run out. */
	while (slot < GUEST_MAX_IF && c->g.ifs[slot].used)
		slot++;
	if (slot >= CTL_MAX_OSAS)
		return -ENOSPC;
	o = &c->osa[slot];
	c->g.next_area = GUEST_AREA_BASE + slot * area;
	rc = guest_attach_nic(&c->g, nic, rdev, layer, &gif);
	if (rc < 0)
		return rc;
	/* Inbound data belongs to whoever takes the data device (CP), not to us. */
	gif->drv.cfg.rx = NULL;
	gif->drv.cfg.rx_ctx = NULL;
	memset(o, 0, sizeof(*o));
	/* Allocated with the first rule (iptab): a layer-3 OSA without guests costs none. */
	rc = iptab_init(&o->rules, CTL_RULES, 1, (uint64_t)rdev * 0x9E3779B97F4A7C15ull ^ slot);
	if (rc < 0) {
		guest_detach_nic(gif);
		return rc;
	}
	o->used = true;
	o->rdev = rdev;
	o->vdev = (uint16_t)(CTL_VDEV_BASE + slot * CTL_VDEV_STEP);
	o->layer = layer;
	o->nic = nic;
	o->gif = gif;
	if (vdev)
		*vdev = o->vdev;
	return 0;
}

int ctl_detach(struct ctlr *c, uint16_t rdev)
{
	struct ctl_osa *o = (struct ctl_osa *)ctl_find_osa(c, rdev);

	if (!o)
		return -ENOENT;
	guest_detach_nic(o->gif);	/* offline: the OSA ends its connection */
	nic_attach_storage(o->nic, NULL);
	iptab_free(&o->rules);
	memset(o, 0, sizeof(*o));
	return 0;
}

int ctl_post(struct ctlr *c, const struct ctl_msg *m)
{
	return ctlq_put(&c->in, m);
}

void ctl_stall(struct ctlr *c, bool stalled)
{
	c->stalled = stalled;
}

static void answer(struct ctlr *c, const struct ctl_msg *m)
{
	if (ctlq_put(c->cp, m) < 0)
		c->st.answers_lost++;
}

static unsigned mask_prefix(const uint8_t *mask, unsigned bytes)
{
	unsigned n = 0;

	for (unsigned i = 0; i < bytes; i++)
		for (int b = 7; b >= 0 && (mask[i] >> b & 1); b--)
			n++;
	return n;
}

/* The IPA command for one registration, through the driver side. */
static int register_on_osa(struct qdrv *q, const struct paddr *a)
{
	struct ipa_cmd cmd;
	uint8_t code;

	memset(&cmd, 0, sizeof(cmd));
	cmd.hdr.prot = a->ipv6 ? IPA_PROT_V6 : IPA_PROT_V4;
	switch (a->op) {
	case PA_SETIP:
		return qdrv_setip(q, a->ipv6, a->ip, mask_prefix(a->mask, a->ipv6 ? 16 : 4));
	case PA_DELIP:
		return qdrv_delip(q, a->ipv6, a->ip, mask_prefix(a->mask, a->ipv6 ? 16 : 4));
	case PA_SETIPM:
		return qdrv_setipm(q, a->ipv6, a->ip);
	case PA_DELIPM:
		/* SETIPM's layout with the DELIPM code: group MAC from the address. */
		cmd.hdr.cmd = IPA_CMD_DELIPM;
		if (a->ipv6) {
			memcpy(cmd.u.setipm.addr, a->ip, 16);
			cmd.u.setipm.mac[0] = cmd.u.setipm.mac[1] = 0x33;
			memcpy(cmd.u.setipm.mac + 2, a->ip + 12, 4);
		} else {
			memcpy(cmd.u.setipm.addr + IPA_SETIPM_V4_IN_ADDR, a->ip, 4);
			cmd.u.setipm.mac[0] = 0x01;
			cmd.u.setipm.mac[2] = 0x5E;
			cmd.u.setipm.mac[3] = a->ip[1] & 0x7F;
			cmd.u.setipm.mac[4] = a->ip[2];
			cmd.u.setipm.mac[5] = a->ip[3];
		}
		return qdrv_ipa(q, &cmd, NULL);
	case PA_SETVMAC:
		return qdrv_setvmac(q, a->mac);
	case PA_SETGMAC:
		return qdrv_setgmac(q, a->mac);
	case PA_DELVMAC:
	case PA_DELGMAC:
		code = a->op == PA_DELVMAC ? IPA_CMD_DELVMAC : IPA_CMD_DELGMAC;
		cmd.hdr.cmd = code;
		cmd.hdr.prot = IPA_PROT_V4;
		cmd.u.mac.len = IPA_MAC_LEN;
		memcpy(cmd.u.mac.addr, a->mac, 6);
		return qdrv_ipa(q, &cmd, NULL);
	default:
		return -EINVAL;
	}
}

static void control_switch(struct ctlr *c, const struct ctl_msg *m)
{
	struct ctl_osa *o = (struct ctl_osa *)ctl_find_osa(c, m->rdev);
	struct ctl_msg r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.type = CTLM_INIT_COMPLETE;
	r.token = m->token;
	r.rdev = m->rdev;
	if (!o || o->layer != m->layer) {
		r.rc = o ? -EPROTO : -ENODEV;
		snprintf(r.text, sizeof(r.text), "%s", o ? "layer differs from the attachment"
							 : "device not attached");
		c->st.init_failed++;
		answer(c, &r);
		return;
	}
	if (o->gif->drv.state != QDRV_OFFLINE)
		qdrv_offline(&o->gif->drv);
	o->token = 0;
	/* A new connection starts from what CP sends it, nothing older. */
	iptab_withdraw_port(&o->rules, 0);
	/* IDX ACTIVATE, ULP_ENABLE and the IPA headers name the port CP asked for. */
	o->gif->drv.cfg.portno = m->port;
	rc = qdrv_online(&o->gif->drv);
	r.rc = rc;
	if (rc < 0) {
		snprintf(r.text, sizeof(r.text), "%.63s", o->gif->drv.last_error);
		c->st.init_failed++;
	} else {
		/* As Linux brings an OSA up with its transmit assists on: checksums and
		 * large sends of the VSWITCH's guests are then the adapter's to finish
		 * (the OSA model hands them to a TAP whole).  An adapter without them
		 * leaves them to CP's uplink (cp/uplink.c), so this cannot fail it. */
		(void)qdrv_tx_offloads_on(&o->gif->drv);
		/* Layer 2: bring-up registered the adapter's own MAC (SETVMAC of READ_MAC,
		 * as Linux does); a rule of its own, which CP's LAN table does not know. */
		if (o->layer == 2)
			iptab_add(&o->rules, IPT_MAC, o->gif->drv.mac, 0, false);
		o->token = m->token;
		r.data = &o->gif->drv;
		c->st.inits++;
	}
	answer(c, &r);
}

/* The rule kind of a unicast registration, 0 for anything else (groups). */
static uint8_t rule_kind(const struct paddr *a, const uint8_t **addr)
{
	*addr = a->ip;
	switch (a->op) {
	case PA_SETIP:
	case PA_DELIP:
		return a->ipv6 ? IPT_V6 : IPT_V4;
	case PA_SETVMAC:
	case PA_DELVMAC:
		*addr = a->mac;
		return IPT_MAC;
	default:
		return 0;
	}
}

/* Remember (Register) or forget (Deregister) a unicast rule of the connection. */
static void rule_note(struct ctl_osa *o, const struct paddr *a)
{
	const uint8_t *addr;
	uint8_t kind = rule_kind(a, &addr);

	if (!kind)
		return;
	if (a->op == PA_SETIP || a->op == PA_SETVMAC)
		iptab_add(&o->rules, kind, addr, 0, false);	/* full: answered unknown */
	else
		iptab_del(&o->rules, kind, addr, 0);
}

/* Resolve: an address the OSA missed.  Installed from the rules (Result, as for a
 * Register) or answered Unknown. */
static void resolve(struct ctlr *c, const struct ctl_msg *m, struct ctl_osa *o)
{
	const uint8_t *addr;
	uint8_t kind = rule_kind(&m->a, &addr);
	struct ctl_msg r;

	memset(&r, 0, sizeof(r));
	r.token = m->token;
	r.a = m->a;
	r.rdev = o ? o->rdev : 0;
	r.req = CTLM_RESOLVE;
	if (!o || o->gif->drv.state != QDRV_ONLINE || !kind ||
	    (m->a.op != PA_SETIP && m->a.op != PA_SETVMAC) ||
	    iptab_lookup(&o->rules, kind, addr) < 0) {
		r.type = CTLM_UNKNOWN;
		r.rc = -ENOENT;
		c->st.unknown++;
	} else {
		r.type = CTLM_RESULT;
		r.rc = register_on_osa(&o->gif->drv, &m->a);
		c->st.resolved++;
	}
	answer(c, &r);
}

static void handle(struct ctlr *c, const struct ctl_msg *m)
{
	struct ctl_osa *o;
	struct ctl_msg r;
	int rc;

	c->st.msgs++;
	switch (m->type) {
	case CTLM_CONTROL_SWITCH:
		control_switch(c, m);
		return;
	case CTLM_REGISTER:
	case CTLM_DEREGISTER:
		memset(&r, 0, sizeof(r));
		r.type = CTLM_RESULT;
		r.req = m->type;
		r.token = m->token;
		r.a = m->a;
		o = osa_by_token(c, m->token);
		rc = o && o->gif->drv.state == QDRV_ONLINE ? register_on_osa(&o->gif->drv, &m->a)
							   : -ENOTCONN;
		r.rdev = o ? o->rdev : 0;
		r.rc = rc;
		if (rc != 0)
			c->st.reg_failed++;
		else
			c->st.regs++;
		/* A Register the OSA refused is still CP's rule; a Deregister always ends it. */
		if (o)
			rule_note(o, &m->a);
		answer(c, &r);
		return;
	case CTLM_RESOLVE:
		resolve(c, m, osa_by_token(c, m->token));
		return;
	case CTLM_RELEASE:
		o = osa_by_token(c, m->token);
		if (o) {
			qdrv_offline(&o->gif->drv);
			o->token = 0;
		}
		memset(&r, 0, sizeof(r));
		r.type = CTLM_RELEASED;
		r.token = m->token;
		r.rdev = o ? o->rdev : m->rdev;
		answer(c, &r);
		return;
	default:
		return;		/* not a request: ignored */
	}
}

unsigned ctl_run(struct ctlr *c, unsigned budget)
{
	struct ctl_msg m;
	unsigned n = 0;

	if (c->stalled)
		return 0;
	while (n < budget && ctlq_get(&c->in, &m)) {
		handle(c, &m);
		n++;
	}
	return n;
}

int ctl_select(const struct ctl_cand *c, unsigned n, const char *want, const char *avoid)
{
	int best = -1, fallback = -1;

	if (!want || !want[0])
		want = "*";
	for (unsigned k = 0; k < n; k++) {
		if (!c[k].eligible || !c[k].userid)
			continue;
		if (strcmp(want, "*") && strcmp(want, c[k].userid))
			continue;
		if (avoid && !strcmp(avoid, c[k].userid)) {
			if (fallback < 0)
				fallback = (int)k;
			continue;
		}
		if (best < 0 || c[k].managing < c[best].managing)
			best = (int)k;
	}
	if (best < 0)
		best = fallback;
	return best < 0 ? -ENOENT : best;
}
