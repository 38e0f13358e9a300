/* cp/lanops.c - operands of DEFINE LAN / DEFINE VSWITCH / SET VSWITCH (also MODIFY
 * VSWITCH in SYSTEM CONFIG): parse all, validate all, then change the LANBK. */
#include "cp/lanops.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cp/appl.h"
#include "cp/uplink.h"
#include "cp/vidset.h"
#include "lib/cpnet.h"
#include "vnic/nic.h"
#include "vswitch/switch.h"

const char *lan_kind_word(const struct lanbk *lan)
{
	return lan->kind == LAN_VSWITCH ? "VSWITCH" : "LAN";
}

enum lop {
	LO_ACCOUNTING = 1, LO_CONNECT, LO_CONTROLLER, LO_DISCONNECT, LO_ETHERNET, LO_IP,
	LO_IPTIMEOUT, LO_ISOLATION, LO_MACPROTECT, LO_MAXCONN, LO_OWNERID, LO_PORTNAME,
	LO_PORTTYPE, LO_QUEUESTORAGE, LO_RDEV, LO_RESTRICTED, LO_TYPE, LO_UNRESTRICTED,
	LO_VLAN,
	/* SET VSWITCH only */
	LO_GRANT, LO_REVOKE, LO_UPLINK, LO_VLANID,
	/* SET VSWITCH / SET LAN ... PORTNUMBER n <op> */
	LO_PORTNUMBER, LO_BANDWIDTH, LO_REMOVE, LO_USERID,
};

/* Sorted keyword tables (a unit test checks the order and the abbreviations). */
static const struct kw deflan_kw[] = {
	{ "ACCOUNTING", 3, LO_ACCOUNTING }, { "ETHERNET", 3, LO_ETHERNET },
	{ "IP", 2, LO_IP },		    { "MAXCONN", 3, LO_MAXCONN },
	{ "OWNERID", 5, LO_OWNERID },	    { "RESTRICTED", 4, LO_RESTRICTED },
	{ "TYPE", 4, LO_TYPE },		    { "UNRESTRICTED", 6, LO_UNRESTRICTED },
};

static const struct kw defvsw_kw[] = {
	{ "CONNECT", 3, LO_CONNECT },	    { "CONTROLLER", 5, LO_CONTROLLER },
	{ "DISCONNECT", 6, LO_DISCONNECT }, { "ETHERNET", 3, LO_ETHERNET },
	{ "IP", 2, LO_IP },		    { "IPTIMEOUT", 3, LO_IPTIMEOUT },
	{ "ISOLATION", 4, LO_ISOLATION },   { "MACPROTECT", 7, LO_MACPROTECT },
	{ "PORTNAME", 4, LO_PORTNAME },	    { "PORTTYPE", 5, LO_PORTTYPE },
	{ "QUEUESTORAGE", 3, LO_QUEUESTORAGE }, { "RDEV", 4, LO_RDEV },
	{ "VLAN", 4, LO_VLAN },
};

static const struct kw setvsw_kw[] = {
	{ "CONNECT", 3, LO_CONNECT },	    { "CONTROLLER", 5, LO_CONTROLLER },
	{ "DISCONNECT", 6, LO_DISCONNECT }, { "GRANT", 3, LO_GRANT },
	{ "IPTIMEOUT", 3, LO_IPTIMEOUT },   { "ISOLATION", 4, LO_ISOLATION },
	{ "MACPROTECT", 7, LO_MACPROTECT }, { "PORTNUMBER", 8, LO_PORTNUMBER },
	{ "PORTTYPE", 5, LO_PORTTYPE },	    { "QUEUESTORAGE", 3, LO_QUEUESTORAGE },
	{ "RDEV", 4, LO_RDEV },		    { "REVOKE", 3, LO_REVOKE },
	{ "UPLINK", 6, LO_UPLINK },	    { "VLANID", 5, LO_VLANID },
};

/* DEFINE VSWITCH's operands that SET VSWITCH (MODIFY VSWITCH) may change after its
 * first keyword; the transport, VLAN awareness and PORTNAME are DEFINE's only. */
static const struct kw setvsw_spec_kw[] = {
	{ "CONNECT", 3, LO_CONNECT },	    { "CONTROLLER", 5, LO_CONTROLLER },
	{ "DISCONNECT", 6, LO_DISCONNECT }, { "IPTIMEOUT", 3, LO_IPTIMEOUT },
	{ "ISOLATION", 4, LO_ISOLATION },   { "MACPROTECT", 7, LO_MACPROTECT },
	{ "PORTTYPE", 5, LO_PORTTYPE },	    { "QUEUESTORAGE", 3, LO_QUEUESTORAGE },
	{ "RDEV", 4, LO_RDEV },
};

/* What may follow PORTNUMBER n. */
static const struct kw portnum_kw[] = {
	{ "BANDWIDTH", 4, LO_BANDWIDTH }, { "REMOVE", 3, LO_REMOVE }, { "USERID", 4, LO_USERID },
};

static const struct kw setlan_kw[] = {
	{ "GRANT", 3, LO_GRANT }, { "PORTNUMBER", 8, LO_PORTNUMBER }, { "REVOKE", 3, LO_REVOKE },
};

const struct kw *lanops_table(int which, size_t *n)
{
	switch (which) {
	case 0: *n = CPNET_ARRAY_SIZE(deflan_kw); return deflan_kw;
	case 1: *n = CPNET_ARRAY_SIZE(defvsw_kw); return defvsw_kw;
	case 3: *n = CPNET_ARRAY_SIZE(setlan_kw); return setlan_kw;
	case 4: *n = CPNET_ARRAY_SIZE(portnum_kw); return portnum_kw;
	case 5: *n = CPNET_ARRAY_SIZE(setvsw_spec_kw); return setvsw_spec_kw;
	default: *n = CPNET_ARRAY_SIZE(setvsw_kw); return setvsw_kw;
	}
}

int bandwidth_parse(const char *tok, uint64_t *rate, struct out *o)
{
	int rc;

	if (kw_abbrev(tok, "OFF", 3)) {
		*rate = 0;
		return 0;
	}
	rc = shaper_parse_rate(tok, rate);
	if (rc == -ERANGE)
		return out_msg(o, MSG_OUT_OF_RANGE, out_tok(tok), "BANDWIDTH", "1K-400G");
	if (rc < 0)
		return out_msg(o, MSG_INV_OPERAND, out_tok(tok));
	return 0;
}

static int need(char **argv, unsigned argc, unsigned i, const char *kw, struct out *o)
{
	(void)argv;
	if (i + 1 >= argc)
		return out_msg(o, MSG_OPTION_NEEDS, kw);
	return 0;
}

static int onoff(const char *tok, int *out, struct out *o)
{
	if (kw_abbrev(tok, "ON", 2))
		*out = 1;
	else if (kw_abbrev(tok, "OFF", 3))
		*out = 0;
	else
		return out_msg(o, MSG_INV_OPERAND, out_tok(tok));
	return 0;
}

static int range(const char *tok, unsigned long lo, unsigned long hi, const char *what,
		 unsigned long *v, struct out *o)
{
	char r[32];

	if (parse_dec(tok, 0xFFFFFFFFul, v) == -EINVAL)
		return out_msg(o, MSG_INV_OPERAND, out_tok(tok));
	if (parse_dec(tok, hi, v) < 0 || *v < lo) {
		snprintf(r, sizeof(r), "%lu-%lu", lo, hi);
		return out_msg(o, MSG_OUT_OF_RANGE, out_tok(tok), what, r);
	}
	return 0;
}

int devices_parse(const char *tok, unsigned *ndev, struct out *o)
{
	unsigned long v;
	int rc = range(tok, 3, NIC_MAX_DEVS, "DEVICES", &v, o);

	if (!rc)
		*ndev = (unsigned)v;
	return rc;
}

static int porttype(const char *tok, uint8_t *pt, struct out *o)
{
	if (kw_abbrev(tok, "ACCESS", 6))
		*pt = LAN_ACCESS;
	else if (kw_abbrev(tok, "TRUNK", 5))
		*pt = LAN_TRUNK;
	else
		return out_msg(o, MSG_INV_OPERAND, out_tok(tok));
	return 0;
}

static int macprot(const char *tok, int *m, struct out *o)
{
	if (kw_abbrev(tok, "ON", 2))
		*m = LAN_MACPROT_ON;
	else if (kw_abbrev(tok, "OFF", 3))
		*m = LAN_MACPROT_OFF;
	else if (kw_abbrev(tok, "UNSPECIFIED", 6))
		*m = LAN_MACPROT_UNSPEC;
	else
		return out_msg(o, MSG_INV_OPERAND, out_tok(tok));
	return 0;
}

/* VLAN UNAWARE | AWARE? | defvid [NATIVE nvid|NONE] [PORTTYPE ACCESS|TRUNK]; *i at the
 * token after VLAN, left at the last token used. */
static int vlan_ops(struct lan_spec *s, char **argv, unsigned argc, unsigned *i, struct out *o)
{
	unsigned long v;
	int rc;

	if (*i >= argc)
		return out_msg(o, MSG_OPTION_NEEDS, "VLAN");
	s->has_vlan = true;
	if (kw_abbrev(argv[*i], "UNAWARE", 3)) {
		s->vlan_unaware = true;
		return 0;
	}
	if ((rc = range(argv[*i], 1, LAN_VID_MAX, "VLAN", &v, o)))
		return rc;
	s->defvid = (uint16_t)v;
	s->native = s->defvid;
	while (*i + 1 < argc) {
		const char *k = argv[*i + 1];

		if (kw_abbrev(k, "NATIVE", 3)) {
			if (*i + 2 >= argc)
				return out_msg(o, MSG_OPTION_NEEDS, "NATIVE");
			*i += 2;
			if (kw_abbrev(argv[*i], "NONE", 4))
				s->native = 0;
			else if ((rc = range(argv[*i], 1, LAN_VID_MAX, "NATIVE", &v, o)))
				return rc;
			else
				s->native = (uint16_t)v;
		} else {
			break;
		}
	}
	return 0;
}

/* The operands of DEFINE LAN / DEFINE VSWITCH (tab: the keywords allowed). */
static int spec_parse(struct lan_spec *s, uint8_t kind, const struct kw *tab, size_t ntab,
		      char **argv, unsigned argc, struct out *o)
{
	uint32_t seen = 0;
	unsigned long v;
	int rc;

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->restricted = s->accounting = s->connect = s->isolation = -1;
	s->router = -1;
	s->macprotect = -1;
	if (argc < 1)
		return out_msg(o, MSG_OPERAND_MISSING);
	if (parse_name(argv[0], s->name) < 0)
		return out_msg(o, MSG_INV_OPERAND, out_tok(argv[0]));
	for (unsigned i = 1; i < argc; i++) {
		int k;

		if ((rc = kw_need(tab, ntab, argv[i], o, &k)))
			return rc;
		if (seen & (1u << k))
			return out_msg(o, MSG_DUPLICATE_OPTION, out_tok(argv[i]));
		seen |= 1u << k;
		switch (k) {
		case LO_OWNERID:
			if ((rc = need(argv, argc, i, "OWNERID", o)))
				return rc;
			if (parse_name(argv[++i], s->owner) < 0)
				return out_msg(o, MSG_INV_USERID, out_tok(argv[i]));
			break;
		case LO_MAXCONN:
			if ((rc = need(argv, argc, i, "MAXCONN", o)))
				return rc;
			i++;
			s->has_maxconn = true;
			if (kw_abbrev(argv[i], "INFINITE", 3))
				s->maxconn = 0;
			else if ((rc = range(argv[i], 1, LAN_MAXCONN_MAX, "MAXCONN", &v, o)))
				return rc;
			else
				s->maxconn = (unsigned)v;
			break;
		case LO_RESTRICTED:
		case LO_UNRESTRICTED:
			if (s->restricted >= 0)
				return out_msg(o, MSG_CONFLICT, out_tok(argv[i]));
			s->restricted = k == LO_RESTRICTED;
			break;
		case LO_ACCOUNTING:
			if ((rc = need(argv, argc, i, "ACCOUNTING", o)) ||
			    (rc = onoff(argv[++i], &s->accounting, o)))
				return rc;
			break;
		case LO_TYPE:
			if ((rc = need(argv, argc, i, "TYPE", o)))
				return rc;
			i++;
			if (kw_abbrev(argv[i], "QDIO", 4))
				s->type = LAN_QDIO;
			else if (kw_abbrev(argv[i], "HIPERSOCKETS", 5))
				s->type = LAN_HIPERS;
			else
				return out_msg(o, MSG_INV_OPERAND, out_tok(argv[i]));
			break;
		case LO_IP:
		case LO_ETHERNET:
			if (s->transport)
				return out_msg(o, MSG_CONFLICT, out_tok(argv[i]));
			s->transport = k == LO_IP ? LAN_IP : LAN_ETHERNET;
			if (k == LO_IP && kind == LAN_VSWITCH && i + 1 < argc) {
				if (kw_abbrev(argv[i + 1], "NONROUTER", 3)) {
					s->router = LAN_NONROUTER;
					i++;
				} else if (kw_abbrev(argv[i + 1], "PRIROUTER", 3)) {
					s->router = LAN_PRIROUTER;
					i++;
				}
			}
			break;
		case LO_CONNECT:
		case LO_DISCONNECT:
			if (s->connect >= 0)
				return out_msg(o, MSG_CONFLICT, out_tok(argv[i]));
			s->connect = k == LO_CONNECT;
			break;
		case LO_CONTROLLER:
			if ((rc = need(argv, argc, i, "CONTROLLER", o)))
				return rc;
			i++;
			s->has_controller = true;
			if (!strcmp(argv[i], "*"))
				strcpy(s->controller, "*");
			else if (parse_name(argv[i], s->controller) < 0)
				return out_msg(o, MSG_INV_USERID, out_tok(argv[i]));
			break;
		case LO_RDEV:
			if ((rc = need(argv, argc, i, "RDEV", o)))
				return rc;
			s->has_rdev = true;
			if (kw_abbrev(argv[i + 1], "NONE", 4)) {
				i++;
				break;
			}
			while (i + 1 < argc && kw_lookup(tab, ntab, argv[i + 1]) == KW_NONE) {
				if (s->nrdev >= LAN_RDEV_MAX)
					return out_msg(o, MSG_INV_OPERAND, out_tok(argv[i + 1]));
				if (parse_rdev(argv[i + 1], &s->rdev[s->nrdev], &s->rdev_port[s->nrdev]) < 0)
					return out_msg(o, MSG_INV_OPERAND, out_tok(argv[i + 1]));
				/* A device twice (any port) is refused here, before SET
				 * VSWITCH has applied the operands ahead of RDEV. */
				for (unsigned r = 0; r < s->nrdev; r++)
					if (s->rdev[r] == s->rdev[s->nrdev])
						return out_msg(o, MSG_INV_OPERAND, out_tok(argv[i + 1]));
				s->nrdev++;
				i++;
			}
			if (!s->nrdev)
				return out_msg(o, MSG_OPTION_NEEDS, "RDEV");
			break;
		case LO_VLAN:
			i++;
			if ((rc = vlan_ops(s, argv, argc, &i, o)))
				return rc;
			break;
		case LO_PORTTYPE:
			if ((rc = need(argv, argc, i, "PORTTYPE", o)) ||
			    (rc = porttype(argv[++i], &s->porttype, o)))
				return rc;
			break;
		case LO_QUEUESTORAGE: {
			char t[12];
			size_t n;

			if ((rc = need(argv, argc, i, "QUEUESTORAGE", o)))
				return rc;
			i++;
			n = strlen(argv[i]);
			if (n > 10)
				return out_msg(o, MSG_INV_OPERAND, out_tok(argv[i]));
			memcpy(t, argv[i], n + 1);
			if (n > 1 && (t[n - 1] == 'M' || t[n - 1] == 'm'))
				t[n - 1] = 0;	/* "8M" = 8 */
			if ((rc = range(t, 1, 256, "QUEUESTORAGE", &v, o)))
				return rc;
			s->has_qs = true;
			s->qs = (unsigned)v;
			break;
		}
		case LO_IPTIMEOUT:
			if ((rc = need(argv, argc, i, "IPTIMEOUT", o)) ||
			    (rc = range(argv[++i], 1, 240, "IPTIMEOUT", &v, o)))
				return rc;
			s->has_ipt = true;
			s->ipt = (unsigned)v;
			break;
		case LO_ISOLATION:
			if ((rc = need(argv, argc, i, "ISOLATION", o)) ||
			    (rc = onoff(argv[++i], &s->isolation, o)))
				return rc;
			break;
		case LO_MACPROTECT:
			if ((rc = need(argv, argc, i, "MACPROTECT", o)) ||
			    (rc = macprot(argv[++i], &s->macprotect, o)))
				return rc;
			break;
		case LO_PORTNAME:
			/* Deprecated and last: the names are accepted and not used. */
			if ((rc = need(argv, argc, i, "PORTNAME", o)))
				return rc;
			i = argc;
			break;
		}
	}
	if (s->router >= 0 && s->transport != LAN_IP)
		return out_msg(o, MSG_CONFLICT, s->router == LAN_PRIROUTER ? "PRIROUTER" : "NONROUTER");
	if (s->porttype && !s->has_vlan)
		s->has_vlan = false;	/* PORTTYPE alone sets the default port type */
	return 0;
}

int lanspec_parse(struct lan_spec *s, uint8_t kind, char **argv, unsigned argc, struct out *o)
{
	if (kind == LAN_VSWITCH)
		return spec_parse(s, kind, defvsw_kw, CPNET_ARRAY_SIZE(defvsw_kw), argv, argc, o);
	return spec_parse(s, kind, deflan_kw, CPNET_ARRAY_SIZE(deflan_kw), argv, argc, o);
}

/* Map a setter's errno to a message. */
static int set_failed(struct lanbk *lan, const char *what, int err, struct out *o)
{
	if (err == -EBUSY)
		return out_msg(o, MSG_LAN_BUSY, what, lan_kind_word(lan), lan->owner, lan->name);
	if (err == -EOPNOTSUPP)
		return out_msg(o, MSG_NOT_VSWITCH_OP, what, "VSWITCH");
	if (err == -EINVAL)
		return out_msg(o, MSG_INV_OPERAND, what);
	return out_msg(o, MSG_INTERNAL, cpnet_strerror(err));
}

static int apply_spec(struct lanbk *lan, const struct lan_spec *s, struct out *o)
{
	int rc = 0;

	if (s->type && (rc = lan_set_type(lan, s->type)))
		return set_failed(lan, "TYPE", rc, o);
	if (s->transport && (rc = lan_set_transport(lan, s->transport)))
		return set_failed(lan, "transport", rc, o);
	if (s->has_maxconn && (rc = lan_set_maxconn(lan, s->maxconn)))
		return set_failed(lan, "MAXCONN", rc, o);
	if (s->restricted >= 0)
		lan_set_restricted(lan, s->restricted);
	if (s->accounting >= 0)
		lan_set_accounting(lan, s->accounting);
	if (s->isolation >= 0 && (rc = lan_set_isolation(lan, s->isolation)))
		return set_failed(lan, "ISOLATION", rc, o);
	if (s->macprotect >= 0 && (rc = lan_set_macprotect(lan, (uint8_t)s->macprotect)))
		return set_failed(lan, "MACPROTECT", rc, o);
	if (s->has_ipt && (rc = lan_set_iptimeout(lan, s->ipt)))
		return set_failed(lan, "IPTIMEOUT", rc, o);
	if (s->has_qs && (rc = lan_set_queuestorage(lan, s->qs)))
		return set_failed(lan, "QUEUESTORAGE", rc, o);
	if (s->has_vlan) {
		if (s->vlan_unaware)
			rc = lan_set_vlan_unaware(lan);
		else
			rc = lan_set_vlan(lan, s->defvid, s->native,
					  s->porttype ? s->porttype : lan->def_porttype);
		if (rc)
			return set_failed(lan, "VLAN", rc, o);
	} else if (s->porttype) {
		lan->def_porttype = s->porttype;
	}
	if (s->has_rdev && (rc = lan_set_rdevs(lan, s->rdev, s->rdev_port, s->nrdev)))
		return set_failed(lan, "RDEV", rc, o);
	if (s->has_controller && (rc = lan_set_controller(lan, s->controller)))
		return set_failed(lan, "CONTROLLER", rc, o);
	if (s->connect >= 0 && (rc = lan_set_connect(lan, s->connect)))
		return set_failed(lan, "CONNECT", rc, o);
	if (s->router >= 0 && (rc = lan_set_router(lan, (uint8_t)s->router)))
		return set_failed(lan, "ROUTER", rc, o);
	return 0;
}

int lanspec_define(struct cp *cp, const struct lan_spec *s, const char *issuer,
		   struct lanbk **out, struct out *o)
{
	const char *owner = s->kind == LAN_VSWITCH ? "SYSTEM" : (s->owner[0] ? s->owner : issuer);
	const char *word = s->kind == LAN_VSWITCH ? "VSWITCH" : "LAN";
	unsigned np, nt;
	struct lanbk *lan;
	char lim[12];
	int rc;

	if (lan_find(&cp->lans, owner, s->name))
		return out_msg(o, MSG_LAN_EXISTS, word, owner, s->name);
	/* A VSWITCH and a SYSTEM Guest LAN share the name space of owner SYSTEM. */
	cp_lan_counts(cp, &np, &nt);
	if (!strcmp(owner, "SYSTEM") && cp->vmlan.limit_persistent &&
	    np >= cp->vmlan.limit_persistent) {
		snprintf(lim, sizeof(lim), "%u", cp->vmlan.limit_persistent);
		return out_msg(o, MSG_LAN_LIMIT, "PERSISTENT", lim);
	}
	if (strcmp(owner, "SYSTEM") && cp->vmlan.limit_transient && nt >= cp->vmlan.limit_transient) {
		snprintf(lim, sizeof(lim), "%u", cp->vmlan.limit_transient);
		return out_msg(o, MSG_LAN_LIMIT, "TRANSIENT", lim);
	}
	rc = lan_define(&cp->lans, owner, s->name, s->kind, &lan);
	if (rc == -EEXIST)
		return out_msg(o, MSG_LAN_EXISTS, word, owner, s->name);
	if (rc < 0)
		return out_msg(o, MSG_INTERNAL, cpnet_strerror(rc));
	/* A VSWITCH is RESTRICTED: COUPLE needs a GRANT (z/VM's access list). */
	if (s->kind == LAN_VSWITCH)
		lan_set_restricted(lan, true);
	rc = apply_spec(lan, s, o);
	if (!rc && cp_lan_added(cp, lan) < 0)
		rc = out_msg(o, MSG_NO_MAC);
	if (rc) {
		lan_destroy(&cp->lans, lan);
		return rc;
	}
	out_msg(o, MSG_R_LAN_CREATED, word, owner, s->name);
	if (out)
		*out = lan;
	return 0;
}

/* ---- SET VSWITCH / MODIFY VSWITCH ------------------------------------------------ */

struct grant_spec {
	char users[GRANT_MAX_USERS][9];
	unsigned n;
	uint8_t porttype;
	bool has_vlans;
	struct lan_vlanset vlans;
	int promisc;
};

/* GRANT / REVOKE userid... [PORTTYPE pt] [VLAN set] [PROMISCUOUS|NOPROMISCUOUS]. */
static int grant_parse(struct grant_spec *g, bool grant, char **argv, unsigned argc,
		       struct out *o)
{
	unsigned i = 0;
	char mx[8];
	int rc;

	memset(g, 0, sizeof(*g));
	g->promisc = -1;
	for (; i < argc; i++) {
		if (kw_abbrev(argv[i], "PORTTYPE", 5) || kw_abbrev(argv[i], "VLAN", 4) ||
		    kw_abbrev(argv[i], "PROMISCUOUS", 3) || kw_abbrev(argv[i], "NOPROMISCUOUS", 5))
			break;
		if (g->n >= GRANT_MAX_USERS) {
			snprintf(mx, sizeof(mx), "%d", GRANT_MAX_USERS);
			return out_msg(o, MSG_GRANT_TOO_MANY, mx);
		}
		if (parse_name(argv[i], g->users[g->n]) < 0 || !strcmp(g->users[g->n], "SYSTEM"))
			return out_msg(o, MSG_INV_USERID, out_tok(argv[i]));
		for (unsigned k = 0; k < g->n; k++)
			if (!strcmp(g->users[k], g->users[g->n]))
				return out_msg(o, MSG_DUPLICATE_OPTION, g->users[k]);
		g->n++;
	}
	if (!g->n)
		return out_msg(o, MSG_USERID_MISSING);
	for (; i < argc; i++) {
		if (!grant)
			return out_msg(o, MSG_INV_OPTION, out_tok(argv[i]));
		if (kw_abbrev(argv[i], "PORTTYPE", 5)) {
			if (g->porttype)
				return out_msg(o, MSG_DUPLICATE_OPTION, "PORTTYPE");
			if ((rc = need(argv, argc, i, "PORTTYPE", o)) ||
			    (rc = porttype(argv[++i], &g->porttype, o)))
				return rc;
		} else if (kw_abbrev(argv[i], "VLAN", 4)) {
			unsigned j = i + 1;

			if (g->has_vlans)
				return out_msg(o, MSG_DUPLICATE_OPTION, "VLAN");
			if ((rc = vidset_parse(argv, argc, &j, &g->vlans, o)))
				return rc;
			g->has_vlans = true;
			i = j - 1;
		} else if (kw_abbrev(argv[i], "PROMISCUOUS", 3) ||
			   kw_abbrev(argv[i], "NOPROMISCUOUS", 5)) {
			if (g->promisc >= 0)
				return out_msg(o, MSG_CONFLICT, out_tok(argv[i]));
			g->promisc = kw_abbrev(argv[i], "PROMISCUOUS", 3);
		} else {
			return out_msg(o, MSG_INV_OPTION, out_tok(argv[i]));
		}
	}
	return 0;
}

/* Uncouple every NIC of `user` from `lan` (a REVOKE on a Guest LAN). */
static void uncouple_user(struct cp *cp, struct lanbk *lan, const char *user, struct out *o)
{
	struct vm *vm = cp_find_vm(cp, user);

	for (unsigned k = 0; vm && k < vm->nnics; k++)
		if (vm->nics[k]->lan == lan)
			cp_uncouple(cp, vm->nics[k], o);
	appl_revoked(cp, lan, user, o);	/* and its application ports there */
}

int lan_access_set(struct cp *cp, struct lanbk *lan, bool grant, char **argv, unsigned argc,
		   struct out *o)
{
	struct grant_spec g;
	int rc;

	if ((rc = grant_parse(&g, grant, argv, argc, o)))
		return rc;
	/* A Guest LAN's access list is userids only: no VLANs or port types there. */
	if (lan->kind != LAN_VSWITCH && (g.porttype || g.has_vlans || g.promisc >= 0))
		return out_msg(o, MSG_NOT_VSWITCH_OP,
			       g.porttype ? "PORTTYPE" : g.has_vlans ? "VLAN" : "PROMISCUOUS",
			       "VSWITCH");
	/* Anybody may couple to an UNRESTRICTED LAN: an access list there would be
	 * kept and never looked at (z/VM: GRANT and REVOKE are for RESTRICTED LANs). */
	if (!lan->restricted)
		return out_msg(o, MSG_LAN_UNRESTRICTED, lan_kind_word(lan), lan->owner, lan->name,
			       grant ? "GRANT" : "REVOKE");
	if (!grant) {
		for (unsigned i = 0; i < g.n; i++)
			if (!lan_grant_find(lan, g.users[i]))
				return out_msg(o, MSG_NOT_IN_ACCESSLIST, g.users[i],
					       lan_kind_word(lan), lan->owner, lan->name);
		for (unsigned i = 0; i < g.n; i++) {
			lan_revoke(lan, g.users[i]);
			uplink_refresh(cp->up, lan, g.users[i]);
			/* On a RESTRICTED Guest LAN the revoked user loses its connection
			 * (a VSWITCH keeps it: doc/vswitch.md). */
			if (lan->kind == LAN_GUESTLAN && lan->restricted)
				uncouple_user(cp, lan, g.users[i], o);
		}
		return out_msg(o, MSG_R_COMPLETE);
	}
	for (unsigned i = 0; i < g.n; i++) {
		rc = lan_grant(lan, g.users[i], g.porttype, g.has_vlans ? &g.vlans : NULL,
			       g.promisc == 1);
		if (rc < 0)
			return set_failed(lan, "GRANT", rc, o);
		/* Its coupled ports took the new authorization: what the OSA holds for
		 * them is decided again at the next frame. */
		uplink_refresh(cp->up, lan, g.users[i]);
	}
	return out_msg(o, MSG_R_COMPLETE);
}

/* PORTNUMBER n BANDWIDTH rate|OFF | USERID userid | REMOVE (argv[0] is PORTNUMBER):
 * what the operator sets on that port number of the LAN, now and for a port that
 * couples there later: its cap, the user it is defined for (only that user's ports
 * may take it), or neither (REMOVE). */
static int portnum_set(struct lanbk *lan, char **argv, unsigned argc, struct out *o)
{
	unsigned long pn;
	uint64_t rate;
	int k, rc;

	if (argc < 2)
		return out_msg(o, MSG_OPTION_NEEDS, "PORTNUMBER");
	if ((rc = range(argv[1], 1, LAN_PORTNUM_MAX, "PORTNUMBER", &pn, o)))
		return rc;
	if (argc < 3)
		return out_msg(o, MSG_OPERAND_MISSING);
	if ((rc = KW_NEED(portnum_kw, argv[2], o, &k)))
		return rc;
	if (k == LO_REMOVE) {
		if (argc > 3)
			return out_msg(o, MSG_INV_OPTION, out_tok(argv[3]));
		if ((rc = lan_set_portnum_user(lan, (unsigned)pn, NULL)) ||
		    (rc = lan_set_portnum_cap(lan, (unsigned)pn, 0)))
			return set_failed(lan, "REMOVE", rc, o);
		return out_msg(o, MSG_R_COMPLETE);
	}
	if (argc < 4)
		return out_msg(o, MSG_OPTION_NEEDS, k == LO_USERID ? "USERID" : "BANDWIDTH");
	if (argc > 4)
		return out_msg(o, MSG_INV_OPTION, out_tok(argv[4]));
	if (k == LO_USERID) {
		char b[12];

		rc = lan_set_portnum_user(lan, (unsigned)pn, argv[3]);
		if (rc == -EINVAL)
			return out_msg(o, MSG_INV_USERID, out_tok(argv[3]));
		if (rc == -EADDRINUSE) {
			snprintf(b, sizeof(b), "%lu", pn);
			return out_msg(o, MSG_PORT_IN_USE, b, lan_kind_word(lan), lan->owner,
				       lan->name);
		}
		if (rc)
			return set_failed(lan, "USERID", rc, o);
		return out_msg(o, MSG_R_COMPLETE);
	}
	if ((rc = bandwidth_parse(argv[3], &rate, o)))
		return rc;
	if ((rc = lan_set_portnum_cap(lan, (unsigned)pn, rate)))
		return set_failed(lan, "BANDWIDTH", rc, o);
	return out_msg(o, MSG_R_COMPLETE);
}

int lan_set(struct cp *cp, struct lanbk *lan, char **argv, unsigned argc, struct out *o)
{
	int k, rc;

	if (argc < 1)
		return out_msg(o, MSG_OPERAND_MISSING);
	if ((rc = KW_NEED(setlan_kw, argv[0], o, &k)))
		return rc;
	if (k == LO_PORTNUMBER)
		return portnum_set(lan, argv, argc, o);
	return lan_access_set(cp, lan, k == LO_GRANT, argv + 1, argc - 1, o);
}

int vswitch_set(struct cp *cp, struct lanbk *lan, char **argv, unsigned argc, struct out *o)
{
	struct lan_spec s;
	unsigned long v;
	int k, rc;

	if (argc < 1)
		return out_msg(o, MSG_OPERAND_MISSING);
	if ((rc = KW_NEED(setvsw_kw, argv[0], o, &k)))
		return rc;
	memset(&s, 0, sizeof(s));
	s.restricted = s.accounting = s.connect = s.isolation = s.router = s.macprotect = -1;

	switch (k) {
	case LO_GRANT:
	case LO_REVOKE:
		return lan_access_set(cp, lan, k == LO_GRANT, argv + 1, argc - 1, o);
	case LO_PORTNUMBER:
		return portnum_set(lan, argv, argc, o);
	case LO_CONNECT:
	case LO_DISCONNECT:
		if (argc > 1)
			return out_msg(o, MSG_INV_OPTION, out_tok(argv[1]));
		if ((rc = lan_set_connect(lan, k == LO_CONNECT)))
			return set_failed(lan, "CONNECT", rc, o);
		uplink_connect_changed(cp->up, lan);
		return out_msg(o, MSG_SWU_STATUS, lan->name,
			       k == LO_CONNECT ? "ready" : "disconnected");
	case LO_UPLINK:
		if (argc < 2 || !kw_abbrev(argv[1], "SWITCHOVER", 6))
			return out_msg(o, MSG_OPTION_NEEDS, "UPLINK");
		if (lan->kind != LAN_VSWITCH)
			return out_msg(o, MSG_NOT_VSWITCH_OP, "UPLINK SWITCHOVER", "VSWITCH");
		if (argc > 3)
			return out_msg(o, MSG_INV_OPTION, out_tok(argv[3]));
		{
			uint16_t rd = 0;
			uint8_t pn = 0;

			if (argc == 3 && parse_rdev(argv[2], &rd, &pn) < 0)
				return out_msg(o, MSG_INV_OPERAND, out_tok(argv[2]));
			/* rdev.Pn names the port too: it must be the port the VSWITCH's
			 * RDEV list gives that device (the uplink drives that one). */
			bool named_port = argc == 3 && strchr(argv[2], '.');

			for (unsigned r = 0; named_port && r < lan->nrdev; r++)
				if (lan->rdev[r] == rd && lan->rdev_port[r] != pn) {
					char why[64];

					snprintf(why, sizeof(why), "RDEV %04X uses port %u, not %u",
						 rd, lan->rdev_port[r], pn);
					return out_msg(o, MSG_SWU_NO_SWITCHOVER, lan->name, why);
				}
			if (!cp->up)
				return out_msg(o, MSG_SWU_NO_SWITCHOVER, lan->name, "no uplinks");
			return uplink_switchover(cp->up, lan, argc == 3, rd, o);
		}
	case LO_VLANID: {
		unsigned j = 1;

		/* SET VSWITCH name VLANID userid-less form: VLANID defvid [NATIVE n] */
		if ((rc = vlan_ops(&s, argv, argc, &j, o)))
			return rc;
		if (j + 1 < argc)
			return out_msg(o, MSG_INV_OPTION, out_tok(argv[j + 1]));
		if (lan->kind != LAN_VSWITCH)
			return out_msg(o, MSG_NOT_VSWITCH_OP, "VLANID", "VSWITCH");
		rc = apply_spec(lan, &s, o);
		if (!rc)
			uplink_refresh(cp->up, lan, NULL);	/* the OSA's addresses decided again */
		return rc ? rc : out_msg(o, MSG_R_COMPLETE);
	}
	default: {
		/* The remaining operands share DEFINE VSWITCH's syntax: one of them. */
		char *name = lan->name;
		char *av[TOK_MAX + 1];
		unsigned n = argc < TOK_MAX ? argc : TOK_MAX;

		av[0] = name;
		for (unsigned i = 0; i < n; i++)
			av[i + 1] = argv[i];
		if ((rc = spec_parse(&s, LAN_VSWITCH, setvsw_spec_kw,
				     CPNET_ARRAY_SIZE(setvsw_spec_kw), av, n + 1, o)))
			return rc;
		(void)v;
		rc = apply_spec(lan, &s, o);
		if (!rc && s.connect >= 0)
			uplink_connect_changed(cp->up, lan);	/* now, as a lone CONNECT */
		return rc ? rc : out_msg(o, MSG_R_COMPLETE);
	}
	}
}
