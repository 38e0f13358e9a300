/* cp/cp.c - virtual machines, their NICs, MAC assignment and the LOGON/AUTOLOG/LOGOFF
 * life cycle: what CP does around the NICBKs and LANBKs when users come and go. */
#include "cp/cp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp/appl.h"
#include "cp/uplink.h"
#include "lib/cpnet.h"
#include "vswitch/switch.h"
#include "vswitch/trace.h"

void fmt_mac(char out[18], const uint8_t m[6])
{
	snprintf(out, 18, "%02X-%02X-%02X-%02X-%02X-%02X", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const char *lan_word(const struct lanbk *lan)
{
	return lan->kind == LAN_VSWITCH ? "VSWITCH" : "LAN";
}

void vmlan_init(struct vmlan *v)
{
	memset(v, 0, sizeof(*v));
	v->prefix[0] = 0x02;
	v->user_prefix[0] = 0x02;
	v->sys_lo = 0x000001;
	v->sys_hi = 0xFFFFFF;
	v->next = v->sys_lo;
}

int cp_init(struct cp *cp, uint64_t seed)
{
	memset(cp, 0, sizeof(*cp));
	lan_table_init(&cp->lans, seed);
	dir_init(&cp->dir);
	vmlan_init(&cp->vmlan);
	cp->up = calloc(1, sizeof(*cp->up));
	if (!cp->up)
		return -ENOMEM;
	uplinks_init(cp->up, cp);
	return 0;
}

void cp_free(struct cp *cp)
{
	/* Uplinks first: their OSAs are attached to controllers about to log off. */
	if (cp->up)
		uplinks_free(cp->up);
	cp->stopping = true;
	/* Traces first: their files get their last frames and trailers. */
	while (cp->traces) {
		struct trace *t = cp->traces;

		cp->traces = t->next;
		trace_free(t);
	}
	appl_table_free(cp);
	while (cp->nvms)
		cp_logoff(cp, cp->vms[cp->nvms - 1]);
	free(cp->vms);
	lan_table_free(&cp->lans);
	free(cp->lanx);
	dir_free(&cp->dir);
	free(cp->up);
	memset(cp, 0, sizeof(*cp));
}

/* ---- MAC addresses -------------------------------------------------------------- */

bool cp_mac_in_use(const struct cp *cp, const uint8_t mac[6])
{
	for (unsigned v = 0; v < cp->nvms; v++)
		for (unsigned k = 0; k < cp->vms[v]->nnics; k++)
			if (!memcmp(cp->vms[v]->nics[k]->mac, mac, 6))
				return true;
	for (unsigned k = 0; k < cp->nlanx; k++)
		if (!memcmp(cp->lanx[k].mac, mac, 6))
			return true;
	return appl_mac_in_use(cp, mac);
}

static void make_mac(uint8_t mac[6], const uint8_t prefix[3], uint32_t id)
{
	memcpy(mac, prefix, 3);
	mac[3] = (uint8_t)(id >> 16);
	mac[4] = (uint8_t)(id >> 8);
	mac[5] = (uint8_t)id;
}

int cp_assign_mac(struct cp *cp, uint8_t mac[6], uint32_t *macid)
{
	struct vmlan *v = &cp->vmlan;
	uint64_t span = (uint64_t)v->sys_hi - v->sys_lo + 1;

	if (v->next < v->sys_lo || v->next > v->sys_hi)
		v->next = v->sys_lo;
	/* Bounded: at most one pass over the range (a full range is -ENOSPC). */
	for (uint64_t k = 0; k < span && k < (1u << 24); k++) {
		uint32_t id = v->next;

		v->next = id >= v->sys_hi ? v->sys_lo : id + 1;
		if (v->user_hi && id >= v->user_lo && id <= v->user_hi)
			continue;	/* reserved for MACIDs from the directory */
		make_mac(mac, v->prefix, id);
		if (!cp_mac_in_use(cp, mac)) {
			if (macid)
				*macid = id;
			return 0;
		}
	}
	return -ENOSPC;
}

int cp_lan_added(struct cp *cp, const struct lanbk *lan)
{
	if (lan->kind != LAN_VSWITCH)
		return 0;
	if (cp->nlanx == cp->lanx_cap) {
		unsigned nc = cp->lanx_cap ? cp->lanx_cap * 2 : 8;
		struct cp_lanx *nx = realloc(cp->lanx, nc * sizeof(*nx));

		if (!nx)
			return -ENOMEM;
		cp->lanx = nx;
		cp->lanx_cap = nc;
	}
	cp->lanx[cp->nlanx].lan = lan;
	if (cp_assign_mac(cp, cp->lanx[cp->nlanx].mac, NULL) < 0)
		return -ENOSPC;
	cp->nlanx++;
	return 0;
}

const uint8_t *cp_lan_mac(const struct cp *cp, const struct lanbk *lan)
{
	for (unsigned k = 0; k < cp->nlanx; k++)
		if (cp->lanx[k].lan == lan)
			return cp->lanx[k].mac;
	return NULL;
}

static void lanx_remove(struct cp *cp, const struct lanbk *lan)
{
	for (unsigned k = 0; k < cp->nlanx; k++)
		if (cp->lanx[k].lan == lan) {
			cp->lanx[k] = cp->lanx[--cp->nlanx];
			return;
		}
}

void cp_lan_counts(const struct cp *cp, unsigned *persistent, unsigned *transient)
{
	*persistent = cp->lans.npersistent;
	*transient = cp->lans.n - cp->lans.npersistent;
}

/* ---- lookups -------------------------------------------------------------------- */

struct vm *cp_find_vm(const struct cp *cp, const char *userid)
{
	for (unsigned k = 0; k < cp->nvms; k++)
		if (!strcmp(cp->vms[k]->userid, userid))
			return cp->vms[k];
	return NULL;
}

struct vnic *vm_find_nic(const struct vm *vm, uint16_t vdev)
{
	for (unsigned k = 0; k < vm->nnics; k++)
		if (vm->nics[k]->vdev == vdev)
			return vm->nics[k];
	return NULL;
}

struct vnic *vm_nic_covering(const struct vm *vm, uint16_t devno)
{
	for (unsigned k = 0; k < vm->nnics; k++) {
		const struct vnic *n = vm->nics[k];

		if (devno >= n->vdev && devno < n->vdev + n->ndev)
			return vm->nics[k];
	}
	return NULL;
}

/* ---- remote NICs: what the VM's process is told -------------------------------- */

/* Control messages are small: encoded on the stack, never in the link's frame buffer.
 * A send that fails (the VM is gone or not reading) is counted by the link; the
 * dropped connection is noticed by the event loop and logs the VM off. */
static void remote_simple(struct vnic *n, uint8_t type, uint16_t value)
{
	uint8_t b[VML_HDR_SIZE + 8];
	int len;

	if (!n->vm->link || !n->announced)
		return;
	len = vml_simple_encode(type, n->vdev, 0, value, b, sizeof(b));
	if (len > 0)
		vml_send(n->vm->link, b, (size_t)len);
}

/* VML_NIC_DEFINE (with the LAN it is coupled to, if any), then VML_LINK up. */
static void remote_announce(struct vnic *n)
{
	uint8_t b[VML_HDR_SIZE + VML_NICDEF_SIZE];
	struct vml_nicdef d;
	int len;

	memset(&d, 0, sizeof(d));
	d.vdev = n->vdev;
	d.ndev = (uint16_t)n->ndev;
	d.chpid = n->chpid;
	d.type = n->type == LAN_HIPERS ? NIC_HIPERS : NIC_QDIO;
	memcpy(d.mac, n->mac, 6);
	if (n->lan) {
		d.transport = n->lan->transport == LAN_ETHERNET ? 2 : 1;
		memcpy(d.lan, n->lan->name, sizeof(d.lan));
		memcpy(d.owner, n->lan->owner, sizeof(d.owner));
	}
	len = vml_nicdef_encode(&d, b, sizeof(b));
	if (len < 0 || vml_send(n->vm->link, b, (size_t)len) < 0)
		return;
	n->announced = true;
	if (n->lan)
		remote_simple(n, VML_LINK, 1);
}

/* ---- NICs ----------------------------------------------------------------------- */

static int define_nic(struct cp *cp, struct vm *vm, uint16_t vdev, uint8_t type, unsigned ndev,
		      int chpid, bool macid_given, uint32_t macid, bool announce, struct out *o,
		      struct vnic **out)
{
	char a[8], b[8], c[8];
	struct nic_cfg cfg;
	struct vnic *n;
	int rc;

	snprintf(a, sizeof(a), "%04X", vdev);
	if (vm->nnics >= VM_MAX_NICS) {
		snprintf(b, sizeof(b), "%u", VM_MAX_NICS);
		return out_msg(o, MSG_NIC_LIMIT, vm->userid, b);
	}
	if (ndev < 3 || ndev > NIC_MAX_DEVS) {
		snprintf(b, sizeof(b), "%u", ndev);
		snprintf(c, sizeof(c), "3-%u", NIC_MAX_DEVS);
		return out_msg(o, MSG_OUT_OF_RANGE, b, "DEVICES", c);
	}
	if ((uint32_t)vdev + ndev - 1 > 0xFFFF)
		return out_msg(o, MSG_VDEV_MISSING);
	for (uint32_t d = vdev; d < (uint32_t)vdev + ndev; d++)
		if (vm_nic_covering(vm, (uint16_t)d)) {
			snprintf(b, sizeof(b), "%04X", (unsigned)d);
			return out_msg(o, MSG_DEV_EXISTS, b);
		}
	memset(&cfg, 0, sizeof(cfg));
	if (macid_given) {
		if (macid > 0xFFFFFF || (cp->vmlan.user_hi &&
					 (macid < cp->vmlan.user_lo || macid > cp->vmlan.user_hi))) {
			snprintf(b, sizeof(b), "%06X", macid & 0xFFFFFFu);
			return out_msg(o, MSG_INV_OPERAND, b);
		}
		make_mac(cfg.mac, cp->vmlan.user_prefix, macid);
		if (cp_mac_in_use(cp, cfg.mac)) {
			snprintf(b, sizeof(b), "%06X", macid);
			return out_msg(o, MSG_CONFLICT, b);
		}
	} else if (cp_assign_mac(cp, cfg.mac, &macid) < 0) {
		return out_msg(o, MSG_NO_MAC);
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return out_msg(o, MSG_INTERNAL, "out of storage");
	cfg.base_devno = vdev;
	cfg.ndev = ndev;
	cfg.base_schno = vm->next_schno;
	cfg.chpid = chpid >= 0 ? (uint8_t)chpid : (uint8_t)vm->nnics;
	cfg.type = type == LAN_HIPERS ? NIC_HIPERS : NIC_QDIO;
	cfg.vm_nic = true;
	snprintf(cfg.owner, sizeof(cfg.owner), "%s", vm->userid);
	if (vm->link) {
		/* The adapter side runs in the VM's process: only the proxy port here. */
		n->port = vml_add_nic(vm->link, vdev, NULL);
		if (!n->port) {
			free(n);
			return out_msg(o, MSG_INTERNAL, "no room on the virtual machine's link");
		}
	} else {
		n->nic = calloc(1, sizeof(*n->nic));
		rc = n->nic ? nic_create(n->nic, &cfg) : -ENOMEM;
		if (rc < 0) {
			free(n->nic);
			free(n);
			return out_msg(o, MSG_INTERNAL, cpnet_strerror(rc));
		}
		nic_set_link(n->nic, false);	/* no LAN until COUPLE */
		n->port = &n->nic->port;
	}
	snprintf(n->port->name, sizeof(n->port->name), "%s.%04X", vm->userid, vdev);
	n->vm = vm;
	n->vdev = vdev;
	n->ndev = ndev;
	n->type = type == LAN_HIPERS ? LAN_HIPERS : LAN_QDIO;
	n->chpid = cfg.chpid;
	memcpy(n->mac, cfg.mac, 6);
	n->base_schno = cfg.base_schno;
	n->macid = macid;
	vm->next_schno = (uint16_t)(vm->next_schno + ndev);
	vm->nics[vm->nnics++] = n;
	if (vm->link && announce)
		remote_announce(n);
	snprintf(b, sizeof(b), "%04X", vdev);
	snprintf(c, sizeof(c), "%04X", vdev + ndev - 1);
	out_msg(o, MSG_R_NIC_CREATED, a, b, c);
	if (out)
		*out = n;
	return 0;
}

int cp_define_nic(struct cp *cp, struct vm *vm, uint16_t vdev, uint8_t type, unsigned ndev,
		  int chpid, bool macid_given, uint32_t macid, struct out *o,
		  struct vnic **out)
{
	return define_nic(cp, vm, vdev, type, ndev, chpid, macid_given, macid, true, o, out);
}

int cp_nic_bandwidth(struct vnic *n, uint64_t rate)
{
	n->bandwidth = rate;
	return n->lan ? lan_set_own_cap(n->lan, n->port, rate) : 0;
}

int cp_nic_promisc(struct vnic *n, bool on, struct out *o)
{
	struct paddr a;
	char v[8];

	snprintf(v, sizeof(v), "%04X", n->vdev);
	if (!n->lan)
		return out_msg(o, MSG_NIC_NOT_COUPLED, v);
	memset(&a, 0, sizeof(a));
	a.op = PA_PROMISC;
	a.value = on ? IPA_ADP_PROMISC_ON : IPA_ADP_PROMISC_OFF;
	if (port_addr(n->port, &a) != IPA_RC_SUCCESS)
		return out_msg(o, MSG_NIC_PROMISC, v, n->vm->userid, lan_word(n->lan),
			       n->lan->owner, n->lan->name);
	return 0;
}

int cp_attach_refused(const struct lanbk *lan, int rc, const char *user, unsigned portnum,
		      struct out *o)
{
	char b[12];

	snprintf(b, sizeof(b), "%u", portnum);
	switch (rc) {
	case -EACCES:
		return out_msg(o, MSG_LAN_NOT_AUTH, user, lan_word(lan), lan->owner, lan->name);
	case -EUSERS:
		return out_msg(o, MSG_LAN_FULL, lan_word(lan), lan->owner, lan->name);
	case -EADDRINUSE:
		return out_msg(o, MSG_PORT_IN_USE, b, lan_word(lan), lan->owner, lan->name);
	case -EPERM:
		return out_msg(o, MSG_PORT_NOT_AUTH, b, lan_word(lan), lan->owner, lan->name,
			       lan_portnum_user(lan, portnum), user);
	case -EINVAL:
		return out_msg(o, MSG_OUT_OF_RANGE, b, "PORTNUMBER", "1-2048");
	default:
		return out_msg(o, MSG_INTERNAL, cpnet_strerror(rc));
	}
}

int cp_couple(struct cp *cp, struct vnic *n, struct lanbk *lan, unsigned portnum,
	      struct out *o)
{
	char a[8];
	int rc;

	(void)cp;
	snprintf(a, sizeof(a), "%04X", n->vdev);
	if (n->lan)
		return out_msg(o, MSG_NIC_COUPLED, a, lan_word(n->lan), n->lan->owner,
			       n->lan->name);
	if (n->type != lan->type)
		return out_msg(o, MSG_NIC_TYPE_MISMATCH, a, n->type == LAN_HIPERS ? "HIPERS" : "QDIO",
			       lan_word(lan), lan->owner, lan->name,
			       lan->type == LAN_HIPERS ? "HIPERS" : "QDIO");
	rc = lan_attach_port(lan, n->port, n->vm->userid, n->vdev, portnum, n->mac);
	if (rc == -EBUSY)
		return out_msg(o, MSG_NIC_COUPLED, a, "a", "switch", "port");
	if (rc < 0)
		return cp_attach_refused(lan, rc, n->vm->userid, portnum, o);
	/* The NIC's own cap (SET NIC / NICDEF BANDWIDTH) goes with it to every LAN. */
	portnum = (unsigned)rc;
	if (n->bandwidth && (rc = lan_set_own_cap(lan, n->port, n->bandwidth)) < 0) {
		lan_detach_port(lan, n->port);
		return out_msg(o, MSG_INTERNAL, cpnet_strerror(rc));
	}
	n->lan = lan;
	n->portnum = portnum;
	if (n->nic)
		nic_set_link(n->nic, true);
	else
		remote_simple(n, VML_LINK, 1);
	out_msg(o, MSG_R_NIC_CONNECTED, a, lan_word(lan), lan->owner, lan->name);
	return 0;
}

void cp_reap_lans(struct cp *cp, const char *owner)
{
	if (!strcmp(owner, "SYSTEM") || cp_find_vm(cp, owner))
		return;
	lan_reap_transient(&cp->lans, owner);
}

int cp_uncouple(struct cp *cp, struct vnic *n, struct out *o)
{
	char a[8], owner[9];
	struct lanbk *lan = n->lan;

	snprintf(a, sizeof(a), "%04X", n->vdev);
	if (!lan)
		return out_msg(o, MSG_NIC_NOT_COUPLED, a);
	lan_detach_port(lan, n->port);
	if (n->nic)
		nic_set_link(n->nic, false);
	else
		remote_simple(n, VML_LINK, 0);
	n->lan = NULL;
	n->portnum = 0;
	out_msg(o, MSG_R_NIC_DISCONNECTED, a, lan_word(lan), lan->owner, lan->name);
	memcpy(owner, lan->owner, sizeof(owner));
	cp_reap_lans(cp, owner);
	return 0;
}

int cp_detach_nic(struct cp *cp, struct vnic *n, struct out *o)
{
	struct vm *vm = n->vm;
	char a[8], b[8], c[8];

	snprintf(a, sizeof(a), "%04X", n->vdev);
	snprintf(b, sizeof(b), "%04X", n->vdev);
	snprintf(c, sizeof(c), "%04X", n->vdev + n->ndev - 1);
	guest_detach_nic(n->gif);
	n->gif = NULL;
	/* A coupled NIC is uncoupled first, and says so as UNCOUPLE does ("NIC 0600 is
	 * disconnected from ..."), before "... is destroyed" (LOGOFF's output is quiet). */
	if (n->lan)
		cp_uncouple(cp, n, o);
	if (n->nic) {
		nic_destroy(n->nic);
		free(n->nic);
	} else {
		remote_simple(n, VML_NIC_DETACH, 0);
		vml_del_nic(vm->link, n->vdev);
	}
	for (unsigned k = 0; k < vm->nnics; k++)
		if (vm->nics[k] == n) {
			memmove(&vm->nics[k], &vm->nics[k + 1],
				(vm->nnics - k - 1) * sizeof(vm->nics[0]));
			vm->nnics--;
			break;
		}
	free(n);
	out_msg(o, MSG_R_NIC_DESTROYED, a, b, c);
	return 0;
}

void cp_destroy_lan(struct cp *cp, struct lanbk *lan, struct out *o)
{
	for (unsigned v = 0; v < cp->nvms; v++)
		for (unsigned k = 0; k < cp->vms[v]->nnics; k++) {
			struct vnic *n = cp->vms[v]->nics[k];
			char a[8];

			if (n->lan != lan)
				continue;
			/* As UNCOUPLE: the guest sees the LAN go (STOPLAN), its NIC stays. */
			lan_detach_port(lan, n->port);
			if (n->nic)
				nic_set_link(n->nic, false);
			else
				remote_simple(n, VML_LINK, 0);
			n->lan = NULL;
			n->portnum = 0;
			snprintf(a, sizeof(a), "%04X", n->vdev);
			out_msg(o, MSG_R_NIC_LAN_GONE, a, n->vm->userid, lan_word(lan), lan->owner,
				lan->name);
		}
	appl_lan_gone(cp, lan);
	if (cp->up)
		uplink_lan_gone(cp->up, lan);
	lanx_remove(cp, lan);
	lan_destroy(&cp->lans, lan);
}

/* ---- virtual machines ----------------------------------------------------------- */

static struct vm *vm_create(struct cp *cp, const struct dir_user *du)
{
	struct vm *vm;

	if (cp->nvms >= CP_MAX_VMS)
		return NULL;
	if (cp->nvms == cp->cap) {
		unsigned nc = cp->cap ? cp->cap * 2 : 16;
		struct vm **nv = realloc(cp->vms, nc * sizeof(*nv));

		if (!nv)
			return NULL;
		cp->vms = nv;
		cp->cap = nc;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	memcpy(vm->userid, du->userid, sizeof(vm->userid));
	memcpy(vm->classes, du->classes, sizeof(vm->classes));
	vm->du = du;
	cp->vms[cp->nvms++] = vm;
	return vm;
}

/* NICDEFs: define each NIC and couple it to its LAN.  A NICDEF with PORTTYPE, VLAN
 * or PROMISCUOUS for a VSWITCH authorizes the user the way a GRANT would. */
static void apply_nicdefs(struct cp *cp, struct vm *vm, struct out *o)
{
	for (unsigned k = 0; k < vm->du->nnics; k++) {
		const struct dir_nicdef *d = &vm->du->nics[k];
		struct lanbk *lan;
		struct vnic *n;

		/* A remote VM learns of the NIC once it is coupled, so that the NIC
		 * definition carries the LAN's transport (its layer). */
		if (define_nic(cp, vm, d->vdev, d->type, d->ndev, d->has_chpid ? d->chpid : -1,
			       d->has_macid, d->macid, false, o, &n))
			continue;
		lan = d->has_lan ? lan_find(&cp->lans, d->lan_owner, d->lan_name) : NULL;
		if (d->has_lan && !lan)
			out_msg(o, MSG_LAN_NOT_EXIST, !strcmp(d->lan_owner, "SYSTEM") ? "VSWITCH or LAN" : "LAN",
				d->lan_owner, d->lan_name);
		if (lan && lan->kind == LAN_VSWITCH && (d->porttype || d->has_vlans || d->promisc == 1))
			lan_grant(lan, vm->userid, d->porttype, d->has_vlans ? &d->vlans : NULL,
				  d->promisc == 1);
		n->bandwidth = d->bandwidth;
		if (lan)
			cp_couple(cp, n, lan, d->portnum, o);
		if (vm->link)
			remote_announce(n);
	}
}

static unsigned users_count(const struct cp *cp)
{
	return cp->nvms;
}

int cp_logon_check(struct cp *cp, const char *userid, const char *password, struct out *o,
		   const struct dir_user **du, char u[9])
{
	if (parse_name(userid, u) < 0)
		return out_msg(o, MSG_INV_USERID, out_tok(userid));
	*du = dir_find(&cp->dir, u);
	if (!*du)
		return out_msg(o, MSG_NOT_IN_DIR, u);
	if (!strcmp((*du)->password, "NOLOG") || strcmp((*du)->password, password))
		return out_msg(o, MSG_LOGON_FAILED);
	return 0;
}

int cp_logon(struct cp *cp, const char *userid, const char *password, struct out *o,
	     struct vm **out)
{
	const struct dir_user *du;
	char u[9], nbuf[12];
	struct vm *vm;
	bool quiet = o->quiet;
	int rc = cp_logon_check(cp, userid, password, o, &du, u);

	if (rc)
		return rc;
	vm = cp_find_vm(cp, u);
	if (!vm) {
		vm = vm_create(cp, du);
		if (!vm)
			return out_msg(o, MSG_INTERNAL, "no room for another virtual machine");
		o->quiet = true;
		apply_nicdefs(cp, vm, o);
		o->quiet = quiet;
	}
	vm->nsessions++;
	vm->term = ++cp->next_term;
	snprintf(nbuf, sizeof(nbuf), "%u", users_count(cp));
	out_msg(o, MSG_R_LOGON, vm->userid, nbuf);
	*out = vm;
	return 0;
}

/* The LOGON_REPLY: rc and the text of the last message written to o (one line). */
static void logon_reply(struct vmlink *link, int rc, const struct out *o, size_t from)
{
	uint8_t b[VML_HDR_SIZE + 4 + sizeof(((struct vml_logon_reply *)0)->text)];
	struct vml_logon_reply r;
	size_t n = 0;
	int len;

	memset(&r, 0, sizeof(r));
	r.rc = (uint16_t)(rc < 0 ? 9099 : rc > 0xFFFF ? 0xFFFF : rc);
	while (from + n < o->len && o->buf[from + n] != '\n' && n < sizeof(r.text) - 1)
		n++;
	memcpy(r.text, o->buf + from, n);
	r.text[n] = 0;
	len = vml_logon_reply_encode(&r, b, sizeof(b));
	if (len > 0)
		vml_send(link, b, (size_t)len);
}

int cp_logon_remote(struct cp *cp, const char *userid, const char *password,
		    struct vmlink *link, struct out *o, struct vm **out)
{
	const struct dir_user *du;
	char u[9], nbuf[12];
	struct vm *vm;
	size_t mark = o->len;
	bool quiet = o->quiet;
	int rc;

	o->quiet = false;	/* the reply carries the message text */
	rc = cp_logon_check(cp, userid, password, o, &du, u);
	if (!rc && cp_find_vm(cp, u))
		rc = out_msg(o, MSG_ALREADY_ON, u);
	vm = rc ? NULL : vm_create(cp, du);
	if (!rc && !vm)
		rc = out_msg(o, MSG_INTERNAL, "no room for another virtual machine");
	if (rc) {
		logon_reply(link, rc, o, mark);
		o->quiet = quiet;
		return rc;
	}
	vm->link = link;
	vm->term = ++cp->next_term;
	snprintf(nbuf, sizeof(nbuf), "%u", users_count(cp));
	mark = o->len;
	out_msg(o, MSG_R_LOGON, vm->userid, nbuf);
	/* The reply first: the NIC definitions that follow belong to this session. */
	logon_reply(link, 0, o, mark);
	o->quiet = true;
	apply_nicdefs(cp, vm, o);
	o->quiet = quiet;
	*out = vm;
	return 0;
}

void cp_session_end(struct cp *cp, struct vm *vm)
{
	if (vm->nsessions)
		vm->nsessions--;
	/* A remote VM lives as long as its link, not its terminals. */
	if (!vm->nsessions && !vm->autologged && !vm->link)
		cp_logoff(cp, vm);
}

int cp_autolog(struct cp *cp, const char *userid, struct out *o)
{
	const struct dir_user *du;
	char u[9], nbuf[12], a[8];
	struct vm *vm;
	unsigned nifs;
	bool quiet = o->quiet;
	int rc;

	if (parse_name(userid, u) < 0)
		return out_msg(o, MSG_INV_USERID, out_tok(userid));
	du = dir_find(&cp->dir, u);
	if (!du)
		return out_msg(o, MSG_NOT_IN_DIR, u);
	if (cp_find_vm(cp, u))
		return out_msg(o, MSG_ALREADY_ON, u);
	vm = vm_create(cp, du);
	if (!vm)
		return out_msg(o, MSG_INTERNAL, "no room for another virtual machine");
	vm->autologged = true;
	if (du->controller && cp->up) {
		/* A controller virtual machine: it waits for CP's ControlSwitch. */
		vm->ctl = calloc(1, sizeof(*vm->ctl));
		if (!vm->ctl || ctl_create(vm->ctl, vm->userid, &cp->up->inbox) < 0) {
			free(vm->ctl);
			vm->ctl = NULL;
			out_msg(o, MSG_GUEST_FAILED, u, "*", "no storage for the controller");
		}
	}
	o->quiet = true;
	apply_nicdefs(cp, vm, o);
	o->quiet = quiet;
	nifs = vm->nnics < GUEST_MAX_IF ? vm->nnics : GUEST_MAX_IF;
	if (nifs) {
		vm->guest = calloc(1, sizeof(*vm->guest));
		if (!vm->guest || guest_create(vm->guest, guest_mem_size(nifs)) < 0) {
			free(vm->guest);
			vm->guest = NULL;
			out_msg(o, MSG_GUEST_FAILED, u, "*", "no storage for the guest");
		}
	}
	for (unsigned k = 0; vm->guest && k < vm->nnics && k < GUEST_MAX_IF; k++) {
		struct vnic *n = vm->nics[k];
		const struct dir_nicdef *d = NULL;
		uint8_t layer;

		for (unsigned j = 0; j < du->nnics; j++)
			if (du->nics[j].vdev == n->vdev)
				d = &du->nics[j];
		snprintf(a, sizeof(a), "%04X", n->vdev);
		if (!n->lan)
			continue;	/* nothing to talk to: the guest leaves it offline */
		layer = n->lan->transport == LAN_ETHERNET ? 2 : 3;
		rc = guest_attach_nic(vm->guest, n->nic, n->vdev, layer, &n->gif);
		if (rc < 0) {
			n->gif = NULL;
			out_msg(o, MSG_GUEST_FAILED, u, a, cpnet_strerror(rc));
			continue;
		}
		rc = guest_if_online(n->gif);
		if (rc < 0) {
			out_msg(o, MSG_GUEST_FAILED, u, a, n->gif->drv.last_error[0] ?
				n->gif->drv.last_error : cpnet_strerror(rc));
			continue;
		}
		if (d && d->has_ip) {
			rc = guest_if_add_ip4(n->gif, d->ip, d->prefix);
			if (rc < 0)
				out_msg(o, MSG_GUEST_FAILED, u, a, cpnet_strerror(rc));
		}
	}
	snprintf(nbuf, sizeof(nbuf), "%u", users_count(cp));
	out_msg(o, MSG_R_AUTOLOGGED, vm->userid, nbuf);
	return 0;
}

void cp_logoff(struct cp *cp, struct vm *vm)
{
	struct out scratch;
	char user[9];

	if (cp->on_logoff)
		cp->on_logoff(cp->on_logoff_ctx, vm);
	if (vm->ctl) {
		/* Its switches fail over before its devices go away with it. */
		if (cp->up)
			uplink_vm_gone(cp->up, vm, true);
		ctl_destroy(vm->ctl);
		free(vm->ctl);
		vm->ctl = NULL;
	}
	out_init(&scratch);
	scratch.quiet = true;
	while (vm->nnics)
		cp_detach_nic(cp, vm->nics[vm->nnics - 1], &scratch);
	out_free(&scratch);
	if (vm->link) {
		uint8_t b[VML_HDR_SIZE + 2];
		int len = vml_simple_encode(VML_LOGOFF, 0, 0, cp->stopping ? VML_LOGOFF_SHUTDOWN :
					    VML_LOGOFF_ENDED, b, sizeof(b));

		if (len > 0)
			vml_send(vm->link, b, (size_t)len);	/* fails if the VM is gone */
	}
	if (vm->guest) {
		guest_destroy(vm->guest);
		free(vm->guest);
	}
	for (unsigned k = 0; k < cp->nvms; k++)
		if (cp->vms[k] == vm) {
			cp->vms[k] = cp->vms[--cp->nvms];
			break;
		}
	memcpy(user, vm->userid, sizeof(user));
	free(vm);
	cp_reap_lans(cp, user);
}

/* ---- synthetic guests ----------------------------------------------------------- */

int cp_poll_guests(struct cp *cp)
{
	int n = 0;

	for (unsigned k = 0; k < cp->nvms; k++)
		if (cp->vms[k]->guest)
			n += guest_poll(cp->vms[k]->guest);
	return n;
}

static void pump_guests(void *ctx)
{
	struct cp *cp = ctx;

	/* A ping may go out through an uplink: let its OSAs' wires answer; or to a VM in
	 * another process or a program's port: let their rings answer. */
	if (cp->up && cp->up->nsw)
		uplink_pump(cp->up, 5);
	if (cp->pump_links)
		cp->pump_links(cp->pump_links_ctx);
	cp_poll_guests(cp);
}

int cp_ping(struct cp *cp, struct vm *vm, uint16_t vdev, const uint8_t ip[4], unsigned count,
	    struct out *o)
{
	struct vnic *n = NULL;
	char a[8], ipbuf[20], sb[12], rb[12];
	int got;

	/* The interface whose IPADDR subnet holds the destination, else the first one
	 * (like a host's routing table with only connected routes). */
	for (unsigned k = 0; k < vm->nnics && !n && !vdev; k++) {
		const struct dir_nicdef *d = NULL;
		uint32_t dst, mine, mask;

		for (unsigned j = 0; vm->du && j < vm->du->nnics; j++)
			if (vm->du->nics[j].vdev == vm->nics[k]->vdev && vm->du->nics[j].has_ip)
				d = &vm->du->nics[j];
		if (!vm->nics[k]->gif || !d)
			continue;
		dst = (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 | (uint32_t)ip[2] << 8 | ip[3];
		mine = (uint32_t)d->ip[0] << 24 | (uint32_t)d->ip[1] << 16 | (uint32_t)d->ip[2] << 8 |
		       d->ip[3];
		mask = d->prefix ? ~0u << (32 - d->prefix) : 0;
		if ((dst & mask) == (mine & mask))
			n = vm->nics[k];
	}
	for (unsigned k = 0; k < vm->nnics && !n; k++)
		if (vm->nics[k]->gif && (!vdev || vm->nics[k]->vdev == vdev))
			n = vm->nics[k];
	snprintf(a, sizeof(a), "%04X", vdev);
	if (!n)
		return out_msg(o, MSG_NO_GUEST, vm->userid, vdev ? a : "*");
	snprintf(a, sizeof(a), "%04X", n->vdev);
	cp->pump_until_ns = adapt_now_ns() + CP_PING_WAIT_NS;
	got = guest_ping4(n->gif, ip, count, 56, pump_guests, cp);
	cp->pump_until_ns = 0;
	if (got < 0)
		return out_msg(o, MSG_GUEST_FAILED, vm->userid, a, cpnet_strerror(got));
	snprintf(ipbuf, sizeof(ipbuf), "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
	snprintf(sb, sizeof(sb), "%u", count);
	snprintf(rb, sizeof(rb), "%d", got);
	out_msg(o, MSG_R_PING, ipbuf, vm->userid, a, sb, rb);
	return 0;
}
