/* vswitch/lan.c - LANBK and the System LAN table: define/find/destroy, the validating
 * setters the command layer maps DEFINE/SET LAN and VSWITCH operands onto, the access list. */
#include "vswitch/lan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vswitch/switch.h"

#define LAN_IPTAB_UNI 10240	/* registered IPs + MACs per LAN: 8,192 guest addresses
				 * (doc/osa.md "The address table") and room */
#define LAN_IPTAB_GRP 1024	/* multicast groups per LAN */

int lan_vlan_add(struct lan_vlanset *s, uint16_t vid)
{
	if (vid < 1 || vid > LAN_VID_MAX)
		return -EINVAL;
	s->w[vid / 64] |= 1ull << (vid % 64);
	return 0;
}

void lan_vlan_del(struct lan_vlanset *s, uint16_t vid)
{
	if (vid <= LAN_VID_MAX)
		s->w[vid / 64] &= ~(1ull << (vid % 64));
}

int lan_name_canon(const char *in, char out[LAN_NAME_MAX + 1])
{
	size_t n;

	if (!in)
		return -EINVAL;
	n = strnlen(in, LAN_NAME_MAX + 1);
	if (n < 1 || n > LAN_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' ||
		      c == '#' || c == '$' || c == '_' || c == '-'))
			return -EINVAL;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

void lan_table_init(struct lan_table *t, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	t->seed = seed;
}

static void lan_free(struct lanbk *lan)
{
	/* Traces end first: each learns its LAN is going while it can still read it. */
	while (lan->taps) {
		struct lan_tap *t = lan->taps;

		lan->taps = t->next;
		t->next = NULL;
		if (t->gone)
			t->gone(t->ctx, lan);
	}
	for (unsigned i = lan->nlive; i-- > 0;) {
		struct lan_conn *c = lan_conn_at(lan, lan->live[i]);

		if (c->uplink)
			lan_detach_uplink(lan);
		else if (c->port)
			lan_detach_port(lan, c->port);
	}
	lan_switch_fini(lan);
	iptab_free(&lan->tab);
	free(lan->grants);
	free(lan->pcaps);
	free(lan);
}

void lan_table_free(struct lan_table *t)
{
	for (unsigned i = 0; i < t->n; i++)
		lan_free(t->lans[i]);
	free(t->lans);
	free(t->hash);
	memset(t, 0, sizeof(*t));
}

/* FNV-1a of "owner.name" (canonical names), seeded. */
static uint32_t name_hash(const struct lan_table *t, const char *owner, const char *name)
{
	uint64_t h = 0xCBF29CE484222325ull ^ t->seed;

	for (const char *p = owner; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001B3ull;
	h = (h ^ '.') * 0x100000001B3ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001B3ull;
	return (uint32_t)(h ^ h >> 32);
}

/* Buckets: at least one per LAN, so that a lookup is O(1) for any number of them. */
static int hash_grow(struct lan_table *t)
{
	unsigned nc = t->hcap ? t->hcap * 2 : 64;
	struct lanbk **nh = calloc(nc, sizeof(*nh));

	if (!nh)
		return -ENOMEM;
	for (unsigned i = 0; i < t->n; i++) {
		struct lanbk *l = t->lans[i];
		uint32_t b = name_hash(t, l->owner, l->name) & (nc - 1);

		l->hnext = nh[b];
		nh[b] = l;
	}
	free(t->hash);
	t->hash = nh;
	t->hcap = nc;
	return 0;
}

static struct lanbk *find_canon(const struct lan_table *t, const char *o, const char *n)
{
	if (!t->hcap)
		return NULL;
	for (struct lanbk *l = t->hash[name_hash(t, o, n) & (t->hcap - 1)]; l; l = l->hnext)
		if (!strcmp(l->owner, o) && !strcmp(l->name, n))
			return l;
	return NULL;
}

struct lanbk *lan_find(const struct lan_table *t, const char *owner, const char *name)
{
	char o[LAN_NAME_MAX + 1], n[LAN_NAME_MAX + 1];

	if (lan_name_canon(owner, o) || lan_name_canon(name, n))
		return NULL;
	return find_canon(t, o, n);
}

int lan_define(struct lan_table *t, const char *owner, const char *name, uint8_t kind,
	       struct lanbk **out)
{
	char o[LAN_NAME_MAX + 1], n[LAN_NAME_MAX + 1];
	struct lanbk *lan;
	uint32_t b;

	*out = NULL;
	if (kind != LAN_GUESTLAN && kind != LAN_VSWITCH)
		return -EINVAL;
	if (lan_name_canon(owner, o) || lan_name_canon(name, n))
		return -EINVAL;
	if (kind == LAN_VSWITCH && strcmp(o, "SYSTEM"))
		return -EINVAL;
	/* A VSWITCH and a SYSTEM Guest LAN share the owner SYSTEM and so one name space. */
	if (find_canon(t, o, n))
		return -EEXIST;
	if (t->n == t->cap) {
		unsigned nc = t->cap ? t->cap * 2 : 8;
		struct lanbk **nl = realloc(t->lans, nc * sizeof(*nl));

		if (!nl)
			return -ENOMEM;
		t->lans = nl;
		t->cap = nc;
	}
	if (t->n >= t->hcap && hash_grow(t) < 0)
		return -ENOMEM;
	/* The connection table, the IP tables and the forwarding scratch come with the
	 * first connection / registration (switch.c, iptab.c). */
	lan = calloc(1, sizeof(*lan));
	if (!lan)
		return -ENOMEM;
	if (iptab_init(&lan->tab, LAN_IPTAB_UNI, LAN_IPTAB_GRP,
		       t->seed ^ ((uint64_t)t->n * 0x9E3779B97F4A7C15ull))) {
		free(lan);
		return -ENOMEM;
	}
	memcpy(lan->name, n, sizeof(n));
	memcpy(lan->owner, o, sizeof(o));
	lan->kind = kind;
	lan->type = LAN_QDIO;
	lan->persistent = !strcmp(o, "SYSTEM");
	lan->macprotect = LAN_MACPROT_UNSPEC;
	lan->defvid = 1;
	lan->native_vid = 1;
	lan->def_porttype = LAN_ACCESS;
	lan->iptimeout = 5;
	lan->queuestorage = 8;
	strcpy(lan->controller, "*");
	lan->connect = true;
	lan->router = LAN_NONROUTER;
	lan->uplink_idx = -1;
	lan->clock = shaper_mono_ns;
	lan->prirouter4 = lan->prirouter6 = -1;
	lan->gen = 1;
	dcache_init(&lan->dc, lan->tab.seed ^ 0xD1CE5EEDull);
	lan_set_transport(lan, kind == LAN_VSWITCH ? LAN_ETHERNET : LAN_IP);
	lan->tidx = t->n;
	t->lans[t->n++] = lan;
	b = name_hash(t, o, n) & (t->hcap - 1);
	lan->hnext = t->hash[b];
	t->hash[b] = lan;
	if (lan->persistent)
		t->npersistent++;
	*out = lan;
	return 0;
}

int lan_destroy(struct lan_table *t, struct lanbk *lan)
{
	struct lanbk **pp;

	if (!lan || lan->tidx >= t->n || t->lans[lan->tidx] != lan)
		return -ENOENT;
	for (pp = &t->hash[name_hash(t, lan->owner, lan->name) & (t->hcap - 1)]; *pp != lan;
	     pp = &(*pp)->hnext)
		;
	*pp = lan->hnext;
	t->lans[lan->tidx] = t->lans[--t->n];
	t->lans[lan->tidx]->tidx = lan->tidx;
	if (lan->persistent)
		t->npersistent--;
	lan_free(lan);
	return 0;
}

unsigned lan_reap_transient(struct lan_table *t, const char *user)
{
	char u[LAN_NAME_MAX + 1];
	unsigned gone = 0;

	if (lan_name_canon(user, u))
		return 0;
	for (unsigned i = 0; i < t->n;) {
		struct lanbk *lan = t->lans[i];

		if (!lan->persistent && !strcmp(lan->owner, u) && lan->nlive == 0) {
			lan_destroy(t, lan);
			gone++;
			continue;
		}
		i++;
	}
	return gone;
}

void lan_tap_add(struct lanbk *lan, struct lan_tap *t)
{
	t->next = lan->taps;
	lan->taps = t;
}

int lan_tap_del(struct lanbk *lan, struct lan_tap *t)
{
	for (struct lan_tap **pp = &lan->taps; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			t->next = NULL;
			return 0;
		}
	return -ENOENT;
}

/* ---- setters ------------------------------------------------------------------------ */

int lan_set_transport(struct lanbk *lan, uint8_t transport)
{
	if (transport != LAN_IP && transport != LAN_ETHERNET)
		return -EINVAL;
	if (lan->nlive && transport != lan->transport)
		return -EBUSY;
	/* HiperSockets Guest LANs are IP or ETHERNET alike; nothing else to check. */
	lan->transport = transport;
	if (transport == LAN_ETHERNET)
		lan->router = LAN_NONROUTER;
	lan_changed(lan);
	return 0;
}

int lan_set_type(struct lanbk *lan, uint8_t type)
{
	if (type != LAN_QDIO && type != LAN_HIPERS)
		return -EINVAL;
	if (type == LAN_HIPERS && lan->kind == LAN_VSWITCH)
		return -EINVAL;
	if (lan->nlive && type != lan->type)
		return -EBUSY;
	lan->type = type;
	return 0;
}

int lan_set_maxconn(struct lanbk *lan, unsigned maxconn)
{
	if (maxconn > LAN_MAXCONN_MAX)
		return -EINVAL;
	if (maxconn && maxconn < lan->nguests)
		return -EBUSY;
	lan->maxconn = (uint16_t)maxconn;
	return 0;
}

void lan_set_restricted(struct lanbk *lan, bool restricted)
{
	lan->restricted = restricted;
}

void lan_set_accounting(struct lanbk *lan, bool on)
{
	lan->accounting = on;
}

int lan_set_isolation(struct lanbk *lan, bool on)
{
	lan->isolation = on;
	lan_changed(lan);
	return 0;
}

int lan_set_macprotect(struct lanbk *lan, uint8_t mode)
{
	if (mode != LAN_MACPROT_UNSPEC && mode != LAN_MACPROT_ON && mode != LAN_MACPROT_OFF)
		return -EINVAL;
	lan->macprotect = mode;
	lan_changed(lan);
	return 0;
}

int lan_set_iptimeout(struct lanbk *lan, unsigned minutes)
{
	if (minutes < 1 || minutes > 240)
		return -EINVAL;
	lan->iptimeout = (uint16_t)minutes;
	return 0;
}

unsigned lan_age(struct lanbk *lan, uint64_t now_ms)
{
	unsigned gone;

	lan->now_ms = now_ms;
	gone = iptab_age(&lan->tab, (uint32_t)(now_ms / 1000u), (uint32_t)lan->iptimeout * 60u);
	lan->st.remote_aged += gone;
	return gone;
}

int lan_set_queuestorage(struct lanbk *lan, unsigned mb)
{
	if (mb < 1 || mb > 256)
		return -EINVAL;
	lan->queuestorage = (uint16_t)mb;
	for (unsigned i = 0; i < lan->nlive; i++) {
		struct lan_conn *c = lan_conn_at(lan, lan->live[i]);

		if (c->port && !c->uplink)
			c->port->rxq_limit = lan_queue_bytes(lan);
	}
	return 0;
}

uint32_t lan_queue_bytes(const struct lanbk *lan)
{
	return (uint32_t)lan->queuestorage << 20;
}

int lan_set_vlan_unaware(struct lanbk *lan)
{
	if (lan->nlive && lan->vlan_aware)
		return -EBUSY;
	lan->vlan_aware = false;
	lan_changed(lan);
	return 0;
}

int lan_set_vlan(struct lanbk *lan, uint16_t defvid, uint16_t native_vid, uint8_t porttype)
{
	if (defvid < 1 || defvid > LAN_VID_MAX || native_vid > LAN_VID_MAX)
		return -EINVAL;
	if (porttype != LAN_ACCESS && porttype != LAN_TRUNK)
		return -EINVAL;
	/* Connections keep the authorization computed when they coupled. */
	if (lan->nlive && !lan->vlan_aware)
		return -EBUSY;
	lan->vlan_aware = true;
	lan->defvid = defvid;
	lan->native_vid = native_vid;
	lan->def_porttype = porttype;
	lan_changed(lan);
	return 0;
}

int lan_set_rdevs(struct lanbk *lan, const uint16_t *rdev, const uint8_t *pn, unsigned n)
{
	if (lan->kind != LAN_VSWITCH)
		return -EOPNOTSUPP;
	if (n > LAN_RDEV_MAX || (n && !rdev))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (pn && pn[i] > LAN_RDEV_PORT_MAX)
			return -EINVAL;
		for (unsigned j = 0; j < i; j++)
			if (rdev[j] == rdev[i])
				return -EINVAL;
	}
	memset(lan->rdev, 0, sizeof(lan->rdev));
	memset(lan->rdev_port, 0, sizeof(lan->rdev_port));
	for (unsigned i = 0; i < n; i++) {
		lan->rdev[i] = rdev[i];
		lan->rdev_port[i] = pn ? pn[i] : 0;
	}
	lan->nrdev = (uint8_t)n;
	return 0;
}

int lan_set_controller(struct lanbk *lan, const char *userid_or_star)
{
	char u[LAN_NAME_MAX + 1];

	if (lan->kind != LAN_VSWITCH)
		return -EOPNOTSUPP;
	if (userid_or_star && !strcmp(userid_or_star, "*")) {
		strcpy(lan->controller, "*");
		return 0;
	}
	if (lan_name_canon(userid_or_star, u))
		return -EINVAL;
	memcpy(lan->controller, u, sizeof(u));
	return 0;
}

int lan_set_connect(struct lanbk *lan, bool connect)
{
	if (lan->kind != LAN_VSWITCH)
		return -EOPNOTSUPP;
	lan->connect = connect;
	return 0;
}

int lan_set_router(struct lanbk *lan, uint8_t router)
{
	if (router != LAN_NONROUTER && router != LAN_PRIROUTER)
		return -EINVAL;
	if (lan->kind != LAN_VSWITCH)
		return -EOPNOTSUPP;
	if (router == LAN_PRIROUTER && lan->transport != LAN_IP)
		return -EINVAL;
	lan->router = router;
	lan_changed(lan);
	return 0;
}

/* ---- access list -------------------------------------------------------------------- */

const struct lan_grant *lan_grant_find(const struct lanbk *lan, const char *user)
{
	char u[LAN_NAME_MAX + 1];

	if (lan_name_canon(user, u))
		return NULL;
	for (unsigned i = 0; i < lan->ngrants; i++)
		if (!strcmp(lan->grants[i].user, u))
			return &lan->grants[i];
	return NULL;
}

int lan_grant(struct lanbk *lan, const char *user, uint8_t porttype,
	      const struct lan_vlanset *vlans, bool promisc)
{
	char u[LAN_NAME_MAX + 1];
	struct lan_grant *g = NULL;

	if (lan_name_canon(user, u))
		return -EINVAL;
	if (porttype != 0 && porttype != LAN_ACCESS && porttype != LAN_TRUNK)
		return -EINVAL;
	if (vlans && (vlans->w[0] & 1))		/* vid 0 is not a VLAN */
		return -EINVAL;
	if (vlans && (vlans->w[63] >> (4095 % 64) & 1))
		return -EINVAL;
	for (unsigned i = 0; i < lan->ngrants; i++)
		if (!strcmp(lan->grants[i].user, u))
			g = &lan->grants[i];
	if (!g) {
		if (lan->ngrants == lan->grants_cap) {
			unsigned nc = lan->grants_cap ? lan->grants_cap * 2 : 8;
			struct lan_grant *ng = realloc(lan->grants, nc * sizeof(*ng));

			if (!ng)
				return -ENOMEM;
			lan->grants = ng;
			lan->grants_cap = nc;
		}
		g = &lan->grants[lan->ngrants++];
	}
	memset(g, 0, sizeof(*g));
	memcpy(g->user, u, sizeof(u));
	g->porttype = porttype;
	g->promisc = promisc;
	if (vlans) {
		g->has_vlans = true;
		g->vlans = *vlans;
	}
	for (unsigned i = 0; i < lan->nlive; i++) {
		struct lan_conn *c = lan_conn_at(lan, lan->live[i]);

		if (!c->uplink && !strcmp(c->owner, u))
			lan_conn_authorize(lan, c);
	}
	return 0;
}

int lan_revoke(struct lanbk *lan, const char *user)
{
	char u[LAN_NAME_MAX + 1];

	if (lan_name_canon(user, u))
		return -EINVAL;
	for (unsigned i = 0; i < lan->ngrants; i++) {
		if (strcmp(lan->grants[i].user, u))
			continue;
		lan->grants[i] = lan->grants[--lan->ngrants];
		lan_changed(lan);
		return 0;
	}
	return -ENOENT;
}

struct lan_conn *lan_conn_of(struct lanbk *lan, const struct port *p)
{
	struct lan_conn *c;

	if (!p || !p->peer)
		return NULL;
	c = p->peer;
	/* The peer is one of our slots only if it points inside our array. */
	for (unsigned i = 0; i < lan->nlive; i++)
		if (lan_conn_at(lan, lan->live[i]) == c && c->port == p)
			return c;
	return NULL;
}
