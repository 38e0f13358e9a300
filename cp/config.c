/* cp/config.c - SYSTEM CONFIG parser: DEFINE VSWITCH/LAN, MODIFY VSWITCH, VMLAN,
 * AUTOLOG, RDEVICE; one keyword table, file:line errors, first definition wins. */
#include "cp/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "cp/lanops.h"
#include "cp/stmt.h"
#include "cp/uplink.h"
#include "lib/cpnet.h"

enum cfg_stmt {
	CS_AUTOLOG = 1, CS_BEGIN, CS_DEFINE, CS_END, CS_IGNORED, CS_MODIFY, CS_RDEVICE, CS_SYSID,
	CS_SYSID_DEFAULT, CS_VMLAN
};

/* Sorted.  The statements of a real z/VM SYSTEM CONFIG that have no network meaning
 * (CS_IGNORED) are accepted and ignored so that one can be used as it is; they must be
 * spelled out (no abbreviations), as z/VM wants them. */
static const struct kw cfg_kw[] = {
	{ "ALTERNATE_OPERATORS", 0, CS_IGNORED },
	{ "ASSOCIATE", 0, CS_IGNORED },
	{ "AUTOLOG", 0, CS_AUTOLOG },
	{ "BEGIN", 0, CS_BEGIN },
	{ "CHARACTER_DEFAULTS", 0, CS_IGNORED },
	{ "CPXLOAD", 0, CS_IGNORED },
	{ "CP_ACCESS", 0, CS_IGNORED },
	{ "CP_ADDON_INITIALIZE_ROUTINES", 0, CS_IGNORED },
	{ "CP_OWNED", 0, CS_IGNORED },
	{ "CRYPTO", 0, CS_IGNORED },
	{ "CU", 0, CS_IGNORED },
	{ "DEFINE", 3, CS_DEFINE },
	{ "DEVICES", 0, CS_IGNORED },
	{ "DISABLE", 0, CS_IGNORED },
	{ "DRAIN", 0, CS_IGNORED },
	{ "EDEVICE", 0, CS_IGNORED },
	{ "EMERGENCY_MESSAGE_CONSOLES", 0, CS_IGNORED },
	{ "ENABLE", 0, CS_IGNORED },
	{ "END", 0, CS_END },
	{ "ENFORCE_BY_VOLID", 0, CS_IGNORED },
	{ "EQUATE", 0, CS_IGNORED },
	{ "EXTERNAL_SYNTAX", 0, CS_IGNORED },
	{ "FEATURES", 0, CS_IGNORED },
	{ "FORM_DEFAULT", 0, CS_IGNORED },
	{ "HOT_IO_RATE", 0, CS_IGNORED },
	{ "IODF", 0, CS_IGNORED },
	{ "JOURNALING", 0, CS_IGNORED },
	{ "LOGO_CONFIG", 0, CS_IGNORED },
	{ "MODIFY", 3, CS_MODIFY },
	{ "MULTITHREADING", 0, CS_IGNORED },
	{ "OPERATOR_CONSOLES", 0, CS_IGNORED },
	{ "PAGING63", 0, CS_IGNORED },
	{ "PRINTER_TITLE", 0, CS_IGNORED },
	{ "PRIV_CLASSES", 0, CS_IGNORED },
	{ "PRODUCT", 0, CS_IGNORED },
	{ "RDEVICE", 0, CS_RDEVICE },
	{ "RELOCATION_DOMAIN", 0, CS_IGNORED },
	{ "SAY", 0, CS_IGNORED },
	{ "SET_DUMP_RDEV", 0, CS_IGNORED },
	{ "SRM", 0, CS_IGNORED },
	{ "SSI", 0, CS_IGNORED },
	{ "START", 0, CS_IGNORED },
	{ "STORAGE", 0, CS_IGNORED },
	{ "STP_TIMESTAMPING", 0, CS_IGNORED },
	{ "STP_TZ", 0, CS_IGNORED },
	{ "SYSTEM_ALIAS", 0, CS_IGNORED },
	{ "SYSTEM_DATEFORMAT", 0, CS_IGNORED },
	{ "SYSTEM_IDENTIFIER", 0, CS_SYSID },
	{ "SYSTEM_IDENTIFIER_DEFAULT", 0, CS_SYSID_DEFAULT },
	{ "SYSTEM_RESIDENCE", 0, CS_IGNORED },
	{ "SYSTEM_USERIDS", 0, CS_IGNORED },
	{ "THROTTLE", 0, CS_IGNORED },
	{ "TIMEZONE_BOUNDARY", 0, CS_IGNORED },
	{ "TIMEZONE_DEFINITION", 0, CS_IGNORED },
	{ "TRANSLATE_TABLE", 0, CS_IGNORED },
	{ "USER_DEFAULTS", 0, CS_IGNORED },
	{ "USER_VOLUME_EXCLUDE", 0, CS_IGNORED },
	{ "USER_VOLUME_INCLUDE", 0, CS_IGNORED },
	{ "USER_VOLUME_LIST", 0, CS_IGNORED },
	{ "USER_VOLUME_RDEV", 0, CS_IGNORED },
	{ "VMLAN", 0, CS_VMLAN },
	{ "XLINK_DEVICE_DEFAULTS", 0, CS_IGNORED },
	{ "XLINK_SYSTEM_EXCLUDE", 0, CS_IGNORED },
	{ "XLINK_SYSTEM_INCLUDE", 0, CS_IGNORED },
	{ "XLINK_VOLUME_EXCLUDE", 0, CS_IGNORED },
	{ "XLINK_VOLUME_INCLUDE", 0, CS_IGNORED },
};

const struct kw *config_table(size_t *n)
{
	*n = sizeof(cfg_kw) / sizeof(cfg_kw[0]);
	return cfg_kw;
}

/* DEFINE and MODIFY subjects of z/VM without network meaning (sorted; ignored). */
static const struct kw cfg_define_other[] = {
	{ "ALIAS", 0, 1 },
	{ "CMD", 0, 1 },
	{ "COMMAND", 0, 1 },
	{ "CPUPOOL", 0, 1 },
	{ "DIAGNOSE", 0, 1 },
	{ "EXIT", 0, 1 },
	{ "PRIV_CLASSES", 0, 1 },
};

struct cfg_def {
	char name[9];
	unsigned line;
};

struct cfg_ctx {
	struct cfg_def *defs;
	unsigned ndefs, cap;
	char block[9];			/* inside "name: BEGIN" ... "name: END", else "" */
	unsigned block_line;
	unsigned default_line;		/* the SYSTEM_IDENTIFIER_DEFAULT that counts, 0 none */
};

static const struct cfg_def *def_find(const struct cfg_ctx *c, const char *name)
{
	for (unsigned k = 0; k < c->ndefs; k++)
		if (!strcmp(c->defs[k].name, name))
			return &c->defs[k];
	return NULL;
}

static int def_add(struct cfg_ctx *c, const char *name, unsigned line)
{
	if (c->ndefs == c->cap) {
		unsigned nc = c->cap ? c->cap * 2 : 16;
		struct cfg_def *nd = realloc(c->defs, nc * sizeof(*nd));

		if (!nd)
			return -ENOMEM;
		c->defs = nd;
		c->cap = nc;
	}
	snprintf(c->defs[c->ndefs].name, sizeof(c->defs[0].name), "%s", name);
	c->defs[c->ndefs++].line = line;
	return 0;
}

static int st_define(struct cp *cp, struct cfg_ctx *c, struct toks *t, unsigned line,
		     struct out *o)
{
	struct lan_spec s;
	uint8_t kind;
	const struct cfg_def *prev;
	char pl[12];
	int rc;

	if (t->n < 3)
		return out_msg(o, MSG_OPERAND_MISSING);
	if (kw_abbrev(t->v[1], "VSWITCH", 3))
		kind = LAN_VSWITCH;
	else if (kw_abbrev(t->v[1], "LAN", 3))
		kind = LAN_GUESTLAN;
	else if (KW_LOOKUP(cfg_define_other, t->v[1]) == 1)
		return 0;	/* DEFINE ALIAS, COMMAND, ...: not about networking */
	else
		return out_msg(o, MSG_INV_OPTION, out_tok(t->v[1]));
	if ((rc = lanspec_parse(&s, kind, t->v + 2, t->n - 2, o)))
		return rc;
	if (kind == LAN_GUESTLAN && s.owner[0] && strcmp(s.owner, "SYSTEM"))
		return out_msg(o, MSG_INV_OPERAND, s.owner);	/* only persistent LANs here */
	/* The defining line is looked up only for a name already in the LAN table (a
	 * duplicate is rare; a big file of distinct LANs stays linear). */
	prev = lan_find(&cp->lans, "SYSTEM", s.name) ? def_find(c, s.name) : NULL;
	if (prev) {
		snprintf(pl, sizeof(pl), "%u", prev->line);
		return out_msg(o, MSG_CFG_DUPLICATE, kind == LAN_VSWITCH ? "VSWITCH" : "LAN", s.name, pl);
	}
	if ((rc = lanspec_define(cp, &s, "SYSTEM", NULL, o)))
		return rc;
	if (def_add(c, s.name, line) < 0)
		return out_msg(o, MSG_INTERNAL, "out of storage");
	return 0;
}

static int st_modify(struct cp *cp, struct toks *t, struct out *o)
{
	char name[9];
	struct lanbk *lan;

	if (t->n >= 2 && KW_LOOKUP(cfg_define_other, t->v[1]) == 1)
		return 0;	/* MODIFY COMMAND, PRIV_CLASSES, ...: not about networking */
	if (t->n < 4)
		return out_msg(o, MSG_OPERAND_MISSING);
	if (!kw_abbrev(t->v[1], "VSWITCH", 3))
		return out_msg(o, MSG_INV_OPTION, out_tok(t->v[1]));
	if (parse_name(t->v[2], name) < 0)
		return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[2]));
	lan = lan_find(&cp->lans, "SYSTEM", name);
	if (!lan || lan->kind != LAN_VSWITCH)
		return out_msg(o, MSG_LAN_NOT_EXIST, "VSWITCH", "SYSTEM", name);
	return vswitch_set(cp, lan, t->v + 3, t->n - 3, o);
}

static int st_autolog(struct cp *cp, struct toks *t, unsigned line, struct out *o)
{
	if (t->n < 2)
		return out_msg(o, MSG_USERID_MISSING);
	for (unsigned i = 1; i < t->n; i++) {
		char u[9];
		bool dup = false;

		if (parse_name(t->v[i], u) < 0)
			return out_msg(o, MSG_INV_USERID, out_tok(t->v[i]));
		for (unsigned k = 0; k < cp->nautolog; k++)
			dup |= !strcmp(cp->autolog[k], u);
		if (dup) {
			char pl[12];

			for (unsigned k = 0; k < cp->nautolog; k++)
				if (!strcmp(cp->autolog[k], u))
					snprintf(pl, sizeof(pl), "%u", cp->autolog_line[k]);
			out_msg(o, MSG_CFG_DUPLICATE, "AUTOLOG", u, pl);
			continue;
		}
		if (cp->nautolog >= CP_MAX_AUTOLOG)
			return out_msg(o, MSG_OUT_OF_RANGE, u, "AUTOLOG", "64 users");
		memcpy(cp->autolog[cp->nautolog], u, sizeof(u));
		cp->autolog_line[cp->nautolog++] = line;
	}
	return 0;
}

/* MAC "02-00-C9-0A-0A-00" or "0200C90A0A00". */
static int parse_mac6(const char *s, uint8_t mac[6])
{
	char hex[13];
	size_t n = 0;
	unsigned long v;

	for (const char *p = s; *p; p++) {
		if (*p == '-' || *p == ':')
			continue;
		if (n >= 12)
			return -EINVAL;
		hex[n++] = *p;
	}
	hex[n] = 0;
	if (n != 12)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		char b[3] = { hex[2 * i], hex[2 * i + 1], 0 };

		if (parse_hex(b, 2, &v) < 0)
			return -EINVAL;
		mac[i] = (uint8_t)v;
	}
	return 0;
}

/* RDEVICE rdev[-rdev] TYPE OSA [PORT n] [BACKEND TAP|MEM name] [MAC mac] [CHPID xx]
 * [RINGS n] [ADDRESSES n]: each group of three devices (read, write, data) is one OSA-Express port
 * (PORT 0 or 1 of a two-port CHPID: the wire is that port); a range of 3n devices makes
 * n of them, "%d" in the name numbering their wires 0..n-1; RINGS: its hardware receive
 * rings (osa/rxring.h); ADDRESSES: the unicast addresses its table holds
 * (osa/addrtab.h, doc/osa.md "The address table"). */
static int st_rdevice(struct cp *cp, struct toks *t, unsigned line, struct out *o)
{
	unsigned long a, b, x;
	char *dash;
	char first[8], backend[8] = "", wname[WIRE_NAME_MAX] = "";
	uint8_t mac[6];
	bool has_mac = false;
	int chpid = -1;
	unsigned long portno = 0, rings = RXR_HW_DEFAULT, naddr = ATAB_DEFAULT;
	unsigned nosa;

	if (t->n < 2)
		return out_msg(o, MSG_OPERAND_MISSING);
	dash = strchr(t->v[1], '-');
	if (dash) {
		size_t l = (size_t)(dash - t->v[1]);

		if (l == 0 || l > 4 || parse_hex(dash + 1, 4, &b) < 0)
			return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[1]));
		memcpy(first, t->v[1], l);
		first[l] = 0;
	} else {
		snprintf(first, sizeof(first), "%.4s", t->v[1]);
		if (strlen(t->v[1]) > 4)
			return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[1]));
	}
	if (parse_hex(first, 4, &a) < 0)
		return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[1]));
	if (!dash)
		b = a;
	if (b < a)
		return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[1]));
	if (t->n < 4 || !kw_abbrev(t->v[2], "TYPE", 4) || !kw_abbrev(t->v[3], "OSA", 3))
		return out_msg(o, MSG_INV_OPTION, t->n > 2 ? out_tok(t->v[2]) : "TYPE");
	for (unsigned i = 4; i < t->n; i++) {
		if (kw_abbrev(t->v[i], "BACKEND", 4)) {
			if (i + 2 >= t->n)
				return out_msg(o, MSG_OPTION_NEEDS, "BACKEND");
			if (!wire_class_find(t->v[i + 1]))
				return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i + 1]));
			snprintf(backend, sizeof(backend), "%s", wire_class_find(t->v[i + 1])->type);
			if (strlen(t->v[i + 2]) >= sizeof(wname) - 1)
				return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i + 2]));
			snprintf(wname, sizeof(wname), "%s", t->v[i + 2]);
			i += 2;
		} else if (kw_abbrev(t->v[i], "MAC", 3)) {
			if (i + 1 >= t->n)
				return out_msg(o, MSG_OPTION_NEEDS, "MAC");
			if (parse_mac6(t->v[++i], mac) < 0 || (mac[0] & 1))
				return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i]));
			has_mac = true;
		} else if (kw_abbrev(t->v[i], "PORT", 4)) {
			if (i + 1 >= t->n)
				return out_msg(o, MSG_OPTION_NEEDS, "PORT");
			if (parse_dec(t->v[++i], 0xFFFFFFFFul, &portno) == -EINVAL)
				return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i]));
			if (parse_dec(t->v[i], OSA_PORT_MAX, &portno) < 0)
				return out_msg(o, MSG_OUT_OF_RANGE, out_tok(t->v[i]), "PORT", "0-1");
		} else if (kw_abbrev(t->v[i], "RINGS", 5)) {
			if (i + 1 >= t->n)
				return out_msg(o, MSG_OPTION_NEEDS, "RINGS");
			if (parse_dec(t->v[++i], 0xFFFFFFFFul, &rings) == -EINVAL)
				return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i]));
			if (parse_dec(t->v[i], RXR_HW_MAX, &rings) < 0 || rings < 1)
				return out_msg(o, MSG_OUT_OF_RANGE, out_tok(t->v[i]), "RINGS", "1-16");
		} else if (kw_abbrev(t->v[i], "ADDRESSES", 4)) {
			if (i + 1 >= t->n)
				return out_msg(o, MSG_OPTION_NEEDS, "ADDRESSES");
			if (parse_dec(t->v[++i], 0xFFFFFFFFul, &naddr) == -EINVAL)
				return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i]));
			if (parse_dec(t->v[i], ATAB_MAX, &naddr) < 0 || naddr < 1)
				return out_msg(o, MSG_OUT_OF_RANGE, out_tok(t->v[i]), "ADDRESSES",
					       "1-16384");
		} else if (kw_abbrev(t->v[i], "CHPID", 5)) {
			if (i + 1 >= t->n)
				return out_msg(o, MSG_OPTION_NEEDS, "CHPID");
			if (parse_hex(t->v[++i], 2, &x) < 0)
				return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i]));
			chpid = (int)x;
		} else {
			return out_msg(o, MSG_INV_OPTION, out_tok(t->v[i]));
		}
	}
	/* One device names the triplet it starts; otherwise whole triplets. */
	nosa = b == a ? 1 : (unsigned)(b - a + 1) / 3;
	if (b != a && (b - a + 1) % 3)
		return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[1]));
	if (nosa > 1 && backend[0] && !strstr(wname, "%d"))
		return out_msg(o, MSG_INV_OPERAND, out_tok(wname));
	if (nosa > 1 && has_mac)
		return out_msg(o, MSG_CONFLICT, "MAC");
	if (cp->nrdevs >= CP_MAX_RDEVS)
		return out_msg(o, MSG_OUT_OF_RANGE, out_tok(t->v[1]), "RDEVICE", "32 statements");
	cp->rdevs[cp->nrdevs].rdev = (uint16_t)a;
	cp->rdevs[cp->nrdevs].count = (unsigned)(b - a + 1);
	cp->rdevs[cp->nrdevs].line = line;
	cp->rdevs[cp->nrdevs].rings = (unsigned)rings;
	cp->rdevs[cp->nrdevs].addresses = (unsigned)naddr;
	if (cp->rdev_hook)
		return cp->rdev_hook(cp, &cp->rdevs[cp->nrdevs++]);
	cp->nrdevs++;
	if (!cp->up)
		return out_msg(o, MSG_CFG_RDEV_HOOK, out_tok(t->v[1]));
	for (unsigned k = 0; k < nosa; k++) {
		uint16_t rdev = (uint16_t)(a + 3 * k);
		char nm[WIRE_NAME_MAX + 8], rd[8];
		int err = 0, rc;

		snprintf(nm, sizeof(nm), "%s", wname);
		if (strstr(wname, "%d")) {
			char *p = strstr(wname, "%d");

			snprintf(nm, sizeof(nm), "%.*s%u%s", (int)(p - wname), wname, k, p + 2);
		}
		rc = uplink_add_osa(cp->up, rdev, chpid >= 0 ? (uint8_t)chpid : (uint8_t)(rdev >> 8),
				    (uint8_t)portno, backend, nm, has_mac ? mac : NULL, line, &err);
		snprintf(rd, sizeof(rd), "%04X", rdev);
		if (rc == -EEXIST)
			return out_msg(o, MSG_DEV_EXISTS, rd);
		if (rc < 0)
			return out_msg(o, MSG_OUT_OF_RANGE, rd, "RDEVICE", "32 OSAs");
		uplink_set_rings(uplink_find_osa(cp->up, rdev), (unsigned)rings);
		uplink_set_addresses(uplink_find_osa(cp->up, rdev), (unsigned)naddr);
		if (err < 0) {
			/* Not an error of the file: e.g. no TAP without root.  The device
			 * stays not ready; the VSWITCH works locally (see doc/uplink.md). */
			bool q = o->quiet;

			o->quiet = false;
			out_msg(o, MSG_CFG_RDEV_OPEN, rd, backend, nm, cpnet_strerror(err));
			o->quiet = q;
		}
	}
	return 0;
}

/* "xxxxxx-yyyyyy" MACID range. */
static int macid_range(const char *s, uint32_t *lo, uint32_t *hi, struct out *o)
{
	const char *dash = strchr(s, '-');
	char a[8];
	unsigned long x, y;

	if (!dash || dash - s > 6 || dash == s)
		return out_msg(o, MSG_INV_OPERAND, out_tok(s));
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = 0;
	if (parse_hex(a, 6, &x) < 0 || parse_hex(dash + 1, 6, &y) < 0 || x > y)
		return out_msg(o, MSG_INV_OPERAND, out_tok(s));
	*lo = (uint32_t)x;
	*hi = (uint32_t)y;
	return 0;
}

static int limit_value(const char *s, unsigned *v, struct out *o)
{
	unsigned long x;

	if (kw_abbrev(s, "INFINITE", 3)) {
		*v = 0;
		return 0;
	}
	if (parse_dec(s, 0xFFFFFFFFul, &x) == -EINVAL)
		return out_msg(o, MSG_INV_OPERAND, out_tok(s));
	if (parse_dec(s, 1024, &x) < 0 || x < 1)
		return out_msg(o, MSG_OUT_OF_RANGE, out_tok(s), "LIMIT", "1-1024 or INFINITE");
	*v = (unsigned)x;
	return 0;
}

int vmlan_set(struct cp *cp, char **argv, unsigned argc, struct out *o)
{
	struct vmlan v = cp->vmlan;	/* all or nothing: work on a copy */
	unsigned long x;
	int rc;

	if (argc < 1)
		return out_msg(o, MSG_OPERAND_MISSING);
	for (unsigned i = 0; i < argc; i++) {
		const char *k = argv[i];

		if (kw_abbrev(k, "MACPREFIX", 4) || kw_abbrev(k, "USERPREFIX", 5)) {
			bool user = kw_abbrev(k, "USERPREFIX", 5);
			uint8_t *p = user ? v.user_prefix : v.prefix;

			if (i + 1 >= argc)
				return out_msg(o, MSG_OPTION_NEEDS, user ? "USERPREFIX" : "MACPREFIX");
			i++;
			if (strlen(argv[i]) != 6 || parse_hex(argv[i], 6, &x) < 0)
				return out_msg(o, MSG_INV_OPERAND, out_tok(argv[i]));
			/* z/VM: a locally administered unicast prefix starting 02. */
			if ((x >> 16) != 0x02)
				return out_msg(o, MSG_OUT_OF_RANGE, out_tok(argv[i]),
					       user ? "USERPREFIX" : "MACPREFIX", "020000-02FFFF");
			p[0] = (uint8_t)(x >> 16);
			p[1] = (uint8_t)(x >> 8);
			p[2] = (uint8_t)x;
		} else if (kw_abbrev(k, "MACIDRANGE", 5)) {
			if (i + 2 >= argc || !kw_abbrev(argv[i + 1], "SYSTEM", 3))
				return out_msg(o, MSG_OPTION_NEEDS, "MACIDRANGE");
			if ((rc = macid_range(argv[i + 2], &v.sys_lo, &v.sys_hi, o)))
				return rc;
			if (v.sys_lo == 0)
				return out_msg(o, MSG_OUT_OF_RANGE, out_tok(argv[i + 2]), "MACIDRANGE SYSTEM",
					       "000001-FFFFFF");
			i += 2;
			if (i + 1 < argc && kw_abbrev(argv[i + 1], "USER", 4)) {
				if (i + 2 >= argc)
					return out_msg(o, MSG_OPTION_NEEDS, "USER");
				if ((rc = macid_range(argv[i + 2], &v.user_lo, &v.user_hi, o)))
					return rc;
				if (v.user_lo < v.sys_lo || v.user_hi > v.sys_hi)
					return out_msg(o, MSG_OUT_OF_RANGE, out_tok(argv[i + 2]),
						       "MACIDRANGE USER", "inside the SYSTEM range");
				i += 2;
			}
			v.next = v.sys_lo;
		} else if (kw_abbrev(k, "LIMIT", 3)) {
			bool any = false;

			while (i + 2 < argc && (kw_abbrev(argv[i + 1], "PERSISTENT", 4) ||
						kw_abbrev(argv[i + 1], "TRANSIENT", 5))) {
				unsigned *lim = kw_abbrev(argv[i + 1], "PERSISTENT", 4) ?
					&v.limit_persistent : &v.limit_transient;

				if ((rc = limit_value(argv[i + 2], lim, o)))
					return rc;
				i += 2;
				any = true;
			}
			if (!any)
				return out_msg(o, MSG_OPTION_NEEDS, "LIMIT");
		} else if (kw_abbrev(k, "MACPROTECT", 7)) {
			if (i + 1 >= argc)
				return out_msg(o, MSG_OPTION_NEEDS, "MACPROTECT");
			i++;
			if (kw_abbrev(argv[i], "ON", 2))
				v.macprotect = true;
			else if (kw_abbrev(argv[i], "OFF", 3))
				v.macprotect = false;
			else
				return out_msg(o, MSG_INV_OPERAND, out_tok(argv[i]));
		} else {
			return out_msg(o, MSG_INV_OPTION, out_tok(k));
		}
	}
	cp->vmlan = v;
	return 0;
}

/* ---- system identity and record qualifiers --------------------------------------- */

void config_sysid_host(struct cp_sysid *id)
{
	FILE *f = fopen("/proc/sysinfo", "r");	/* s390x only */
	char l[256];
	struct utsname u;

	id->lpar[0] = id->type[0] = id->cpuid[0] = 0;
	while (f && fgets(l, sizeof(l), f)) {
		char *v = strchr(l, ':');
		size_t n;

		if (!v)
			continue;
		for (*v++ = 0; *v == ' ' || *v == '\t'; v++)
			;
		n = strcspn(v, " \t\n");
		v[n] = 0;
		if (!strcmp(l, "LPAR Name") && !id->lpar[0])
			snprintf(id->lpar, sizeof(id->lpar), "%s", v);
		else if (!strcmp(l, "Type") && !id->type[0])
			snprintf(id->type, sizeof(id->type), "%s", v);
		else if (!strcmp(l, "Sequence Code") && !id->cpuid[0])
			snprintf(id->cpuid, sizeof(id->cpuid), "%s", n > 6 ? v + n - 6 : v);
	}
	if (f)
		fclose(f);
	if (!id->lpar[0] && uname(&u) == 0)
		snprintf(id->lpar, sizeof(id->lpar), "%s", u.nodename);
	for (char *c = id->lpar; *c; c++)
		*c = (char)toupper((unsigned char)*c);
}

/* A machine type or CPU id of SYSTEM_IDENTIFIER: "*" matches anything, else each '*'
 * matches one character and the others must be equal. */
static bool id_match(const char *pat, const char *val)
{
	if (!strcmp(pat, "*"))
		return true;
	if (strlen(pat) != strlen(val))
		return false;
	for (; *pat; pat++, val++)
		if (*pat != '*' && toupper((unsigned char)*pat) != toupper((unsigned char)*val))
			return false;
	return true;
}

static bool id_pattern_ok(const char *pat, unsigned maxlen)
{
	size_t n = strlen(pat);

	if (n == 0 || n > maxlen)
		return false;
	for (size_t i = 0; i < n; i++)
		if (pat[i] != '*' && !isxdigit((unsigned char)pat[i]))
			return false;
	return true;
}

/* SYSTEM_IDENTIFIER LPAR lparname sysname | SYSTEM_IDENTIFIER type cpuid sysname:
 * 0 with name[] and *match (does it describe this host?) set, or the message rc. */
static int sysid_stmt(const struct cp_sysid *id, const struct toks *t, char name[9],
		      bool *match, struct out *o)
{
	if (t->n < 4)
		return out_msg(o, MSG_OPERAND_MISSING);
	if (t->n > 4)
		return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[4]));
	if (parse_name(t->v[3], name) < 0)
		return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[3]));
	if (kw_abbrev(t->v[1], "LPAR", 4)) {
		if (strlen(t->v[2]) >= sizeof(id->lpar))
			return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[2]));
		*match = id->lpar[0] && !strcasecmp(t->v[2], id->lpar);
		return 0;
	}
	if (!id_pattern_ok(t->v[1], 4))
		return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[1]));
	if (!id_pattern_ok(t->v[2], 6))
		return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[2]));
	*match = id_match(t->v[1], id->type) && id_match(t->v[2], id->cpuid);
	return 0;
}

/* "NAME:DEFINE ...": a blank after the qualifier's colon, so that the qualifier is a
 * token of its own.  buf holds at least CMD_LINE_MAX + 2 bytes. */
static void qualifier_space(char *buf)
{
	char *p = buf + strspn(buf, " "), *end = p + strcspn(p, " "), *colon;

	colon = memchr(p, ':', (size_t)(end - p));
	if (!colon || colon + 1 == end || strlen(buf) > CMD_LINE_MAX)
		return;
	memmove(colon + 2, colon + 1, strlen(colon + 1) + 1);
	colon[1] = ' ';
}

/* Takes a record qualifier "NAME:" off the front of the statement: 1 with q set,
 * 0 when there is none, -EINVAL for a bad one. */
static int qualifier_take(struct toks *t, char q[9])
{
	size_t l;

	q[0] = 0;
	if (!t->n)
		return 0;
	l = strlen(t->v[0]);
	if (l < 1 || t->v[0][l - 1] != ':')
		return 0;
	t->v[0][l - 1] = 0;
	if (parse_name(t->v[0], q) < 0) {
		t->v[0][l - 1] = ':';
		return -EINVAL;
	}
	memmove(t->v, t->v + 1, (t->n - 1) * sizeof(t->v[0]));
	t->n--;
	return 1;
}

/* The system name, before any statement is applied: --system-name, else the first
 * SYSTEM_IDENTIFIER that describes this host, else the first SYSTEM_IDENTIFIER_DEFAULT
 * (wherever they are in the file, as in z/VM).  Errors are the main pass's to report. */
static void sysid_resolve(struct cp *cp, const char *text, size_t len, struct toks *t,
			  char *buf)
{
	struct cp_sysid *id = &cp->sysid;
	struct stmt_reader r;
	struct out scratch;
	char name[9], dflt[9] = "", q[9];
	bool found = false, inblock = false, match;
	unsigned line;
	int rc;

	if (id->forced[0]) {
		memcpy(id->name, id->forced, sizeof(id->name));
		return;
	}
	out_init(&scratch);
	scratch.quiet = true;
	stmt_init(&r, text, len, true);
	while (!found && (rc = stmt_next(&r, buf, &line)) != 0) {
		if (rc != 1)
			continue;
		qualifier_space(buf);
		if (tok_split(t, buf, strlen(buf)) < 0 || qualifier_take(t, q) < 0 || !t->n)
			continue;
		rc = KW_LOOKUP(cfg_kw, t->v[0]);
		if (q[0]) {
			if (rc == CS_BEGIN || rc == CS_END)
				inblock = rc == CS_BEGIN;
			continue;
		}
		if (inblock)
			continue;
		if (rc == CS_SYSID && sysid_stmt(id, t, name, &match, &scratch) == 0 && match)
			found = true;
		else if (rc == CS_SYSID_DEFAULT && !dflt[0] && t->n == 2 && parse_name(t->v[1], name) == 0)
			memcpy(dflt, name, sizeof(dflt));
	}
	out_free(&scratch);
	memcpy(id->name, found ? name : dflt, sizeof(id->name));
}

/* "name: BEGIN" / "name: END". */
static void st_block(struct cfg_ctx *c, int k, const char *q, const struct toks *t,
		     unsigned line, struct out *o)
{
	char pl[12];

	if (!q[0]) {
		out_msg(o, MSG_CFG_NEEDS_QUALIFIER, t->v[0], t->v[0]);
		return;
	}
	if (t->n > 1) {
		out_msg(o, MSG_INV_OPERAND, out_tok(t->v[1]));
		return;
	}
	if (k == CS_END) {
		if (!c->block[0] || strcmp(c->block, q))
			out_msg(o, MSG_CFG_END_UNMATCHED, q);
		else
			c->block[0] = 0;
		return;
	}
	if (c->block[0]) {
		snprintf(pl, sizeof(pl), "%u", c->block_line);
		out_msg(o, MSG_CFG_BLOCK_OPEN, c->block, pl);
	}
	/* A BEGIN inside a block starts the new one: statements go by the latest. */
	memcpy(c->block, q, sizeof(c->block));
	c->block_line = line;
}

/* Does a statement with qualifier q (maybe "") in the current block apply here? */
static bool applies(const struct cp *cp, const struct cfg_ctx *c, const char *q)
{
	const char *me = cp->sysid.name;

	if (c->block[0] && (!me[0] || strcmp(c->block, me)))
		return false;
	return !q[0] || (me[0] && !strcmp(q, me));
}

static void st_sysid(struct cp *cp, struct cfg_ctx *c, int k, struct toks *t, unsigned line,
		     struct out *o)
{
	char name[9], pl[12];
	bool match;

	if (k == CS_SYSID) {
		sysid_stmt(&cp->sysid, t, name, &match, o);
		return;
	}
	if (t->n < 2) {
		out_msg(o, MSG_OPERAND_MISSING);
		return;
	}
	if (t->n > 2 || parse_name(t->v[1], name) < 0) {
		out_msg(o, MSG_INV_OPERAND, out_tok(t->v[t->n > 2 ? 2 : 1]));
		return;
	}
	if (c->default_line) {
		snprintf(pl, sizeof(pl), "%u", c->default_line);
		out_msg(o, MSG_CFG_DUPLICATE, "SYSTEM_IDENTIFIER_DEFAULT", name, pl);
		return;
	}
	c->default_line = line;
}

int config_parse(struct cp *cp, const char *file, const char *text, size_t len, struct out *o)
{
	struct stmt_reader r;
	struct cfg_ctx c;
	char buf[CMD_LINE_MAX + 2], q[9];
	struct toks *t = malloc(sizeof(*t));
	const char *ofile = o->file;
	unsigned errs0 = o->nerr, line = 0;
	bool quiet = o->quiet;
	int rc;

	if (!t)
		return -ENOMEM;
	memset(&c, 0, sizeof(c));
	sysid_resolve(cp, text, len, t, buf);
	cp->config_file = file;
	o->file = file;
	o->quiet = true;	/* "... is created" responses are not for the console here */
	stmt_init(&r, text, len, true);
	while ((rc = stmt_next(&r, buf, &line)) != 0) {
		int k;

		o->line = line;
		if (rc > 1) {
			char lim[12];

			snprintf(lim, sizeof(lim), "%d", CMD_LINE_MAX);
			out_msg(o, (enum msg_id)rc, lim);
			continue;
		}
		qualifier_space(buf);
		if (tok_split(t, buf, strlen(buf)) < 0) {
			out_msg(o, MSG_CFG_TOO_LONG, "96 tokens or");
			continue;
		}
		if (t->n == 0)
			continue;
		if (qualifier_take(t, q) < 0) {
			out_msg(o, MSG_CFG_QUALIFIER, out_tok(t->v[0]));
			continue;
		}
		if (t->n == 0) {
			out_msg(o, MSG_OPERAND_MISSING);
			continue;
		}
		k = KW_LOOKUP(cfg_kw, t->v[0]);
		if (k == CS_BEGIN || k == CS_END) {
			st_block(&c, k, q, t, line, o);
			continue;
		}
		if ((k == CS_SYSID || k == CS_SYSID_DEFAULT) && (q[0] || c.block[0])) {
			out_msg(o, MSG_CFG_QUALIFIED, k == CS_SYSID ? "SYSTEM_IDENTIFIER" :
				"SYSTEM_IDENTIFIER_DEFAULT");
			continue;
		}
		/* Another system's statement: only its name is checked. */
		if (!applies(cp, &c, q) && k != KW_AMBIG && k != KW_NONE)
			continue;
		switch (k) {
		case KW_AMBIG:
			out_msg(o, MSG_AMBIGUOUS, out_tok(t->v[0]));
			break;
		case KW_NONE:
			out_msg(o, MSG_CFG_UNKNOWN_STMT, out_tok(t->v[0]));
			break;
		case CS_DEFINE:
			st_define(cp, &c, t, line, o);
			break;
		case CS_MODIFY:
			st_modify(cp, t, o);
			break;
		case CS_VMLAN:
			if (t->n < 2)
				out_msg(o, MSG_OPERAND_MISSING);
			else
				vmlan_set(cp, t->v + 1, t->n - 1, o);
			break;
		case CS_AUTOLOG:
			st_autolog(cp, t, line, o);
			break;
		case CS_RDEVICE:
			st_rdevice(cp, t, line, o);
			break;
		case CS_SYSID:
		case CS_SYSID_DEFAULT:
			st_sysid(cp, &c, k, t, line, o);
			break;
		default:
			break;
		}
	}
	if (c.block[0]) {
		char pl[12];

		snprintf(pl, sizeof(pl), "%u", c.block_line);
		o->line = c.block_line;
		out_msg(o, MSG_CFG_BLOCK_OPEN, c.block, pl);
	}
	free(c.defs);
	free(t);
	o->file = ofile;
	o->quiet = quiet;
	return (int)(o->nerr - errs0);
}

static int config_parse_cb(void *ctx, const char *file, const char *text, size_t len, struct out *o)
{
	return config_parse(ctx, file, text, len, o);
}

int config_load(struct cp *cp, const char *path, struct out *o)
{
	return stmt_load(path, o, config_parse_cb, cp);
}

int config_check_users(struct cp *cp, struct out *o)
{
	const char *ofile = o->file;
	unsigned errs0 = o->nerr;

	o->file = cp->config_file ? cp->config_file : "SYSTEM CONFIG";
	for (unsigned k = 0; k < cp->nautolog; k++)
		if (!dir_find(&cp->dir, cp->autolog[k])) {
			o->line = cp->autolog_line[k];
			out_msg(o, MSG_CFG_UNKNOWN_USER, cp->autolog[k]);
		}
	o->file = ofile;
	return (int)(o->nerr - errs0);
}

unsigned config_autolog(struct cp *cp, struct out *o)
{
	unsigned up = 0;

	for (unsigned k = 0; k < cp->nautolog; k++)
		if (dir_find(&cp->dir, cp->autolog[k]) && cp_autolog(cp, cp->autolog[k], o) == 0)
			up++;
	return up;
}
