/* cp/dir.c - the user directory parser: USER, NICDEF and cpnet's IPADDR statements,
 * errors as file:line: messages; z/VM statements cpnet has no use for are accepted. */
#include "cp/dir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp/lanops.h"
#include "cp/stmt.h"
#include "cp/vidset.h"

void dir_init(struct dir *d)
{
	memset(d, 0, sizeof(*d));
}

void dir_free(struct dir *d)
{
	free(d->users);
	memset(d, 0, sizeof(*d));
}

const struct dir_user *dir_find(const struct dir *d, const char *userid)
{
	for (unsigned k = 0; k < d->n; k++)
		if (!strcmp(d->users[k].userid, userid))
			return &d->users[k];
	return NULL;
}

bool dir_has_class(const char *classes, const char *need)
{
	if (!strcmp(need, "*"))
		return true;
	for (const char *p = need; *p; p++)
		if (strchr(classes, *p))
			return true;
	return false;
}

enum dir_stmt { DS_USER = 1, DS_NICDEF, DS_IPADDR, DS_IGNORED, DS_IDENTITY, DS_CONTROLLER };

/* Sorted.  The ignored ones are z/VM directory statements that do not concern
 * networking; accepting them lets a real directory be used as it is. */
static const struct kw dir_kw[] = {
	{ "ACCOUNT", 0, DS_IGNORED },	{ "CONSOLE", 0, DS_IGNORED },
	{ "CONTROLLER", 0, DS_CONTROLLER },
	{ "CPU", 0, DS_IGNORED },	{ "DEDICATE", 0, DS_IGNORED },
	{ "DIRECTORY", 0, DS_IGNORED },	{ "IDENTITY", 0, DS_IDENTITY },
	{ "INCLUDE", 0, DS_IGNORED },	{ "IPADDR", 0, DS_IPADDR },
	{ "IPL", 0, DS_IGNORED },	{ "IUCV", 0, DS_IGNORED },
	{ "LINK", 0, DS_IGNORED },	{ "LOGONBY", 0, DS_IGNORED },
	{ "MACHINE", 0, DS_IGNORED },	{ "MDISK", 0, DS_IGNORED },
	{ "NICDEF", 0, DS_NICDEF },	{ "OPTION", 0, DS_IGNORED },
	{ "PROFILE", 0, DS_IGNORED },	{ "SPOOL", 0, DS_IGNORED },
	{ "STORAGE", 0, DS_IGNORED },	{ "USER", 0, DS_USER },
};

enum nd_op { ND_BANDWIDTH = 1, ND_CHPID, ND_DEVICES, ND_LAN, ND_MACID, ND_NOPROMISC, ND_PORTNUM,
	     ND_PORTTYPE, ND_PROMISC, ND_TYPE, ND_VLAN };
static const struct kw nicdef_kw[] = {
	{ "BANDWIDTH", 4, ND_BANDWIDTH }, { "CHPID", 0, ND_CHPID },	{ "DEVICES", 3, ND_DEVICES },
	{ "LAN", 0, ND_LAN },		{ "MACID", 0, ND_MACID },
	{ "NOPROMISCUOUS", 5, ND_NOPROMISC }, { "PORTNUMBER", 8, ND_PORTNUM },
	{ "PORTTYPE", 5, ND_PORTTYPE },	{ "PROMISCUOUS", 3, ND_PROMISC },
	{ "TYPE", 0, ND_TYPE },		{ "VLAN", 0, ND_VLAN },
};

static bool valid_classes(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DIR_CLASSES_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '1' && s[i] <= '6')))
			return false;
	return true;
}

/* A storage size of the USER statement ("256M", "1G", "4096K"). */
static bool is_storage(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || !strchr("KMGTkmgt", s[n - 1]))
		return false;
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int parse_user(struct dir_user *u, struct toks *t, struct out *o)
{
	unsigned i = 3;

	if (t->n < 3)
		return out_msg(o, MSG_OPERAND_MISSING);
	if (parse_name(t->v[1], u->userid) < 0)
		return out_msg(o, MSG_INV_USERID, out_tok(t->v[1]));
	if (strlen(t->v[2]) > 8)
		return out_msg(o, MSG_INV_OPERAND, "password");
	memcpy(u->password, t->v[2], strlen(t->v[2]) + 1);
	for (char *p = u->password; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	strcpy(u->classes, "G");
	while (i < t->n && is_storage(t->v[i]) && i < 5)
		i++;
	if (i < t->n) {
		char cls[DIR_CLASSES_MAX + 1];
		size_t n = strlen(t->v[i]);

		if (n > DIR_CLASSES_MAX)
			return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i]));
		for (size_t k = 0; k <= n; k++)
			cls[k] = (char)((t->v[i][k] >= 'a' && t->v[i][k] <= 'z') ?
					t->v[i][k] - 'a' + 'A' : t->v[i][k]);
		if (!valid_classes(cls))
			return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i]));
		memcpy(u->classes, cls, n + 1);
		i++;
	}
	if (i < t->n)
		return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i]));
	return 0;
}

/* The value after keyword argv[i] or the "operand missing for" message. */
#define NEED_VALUE(kwname)                                                   \
	do {                                                                 \
		if (i + 1 >= t->n)                                           \
			return out_msg(o, MSG_OPTION_NEEDS, kwname);         \
	} while (0)

static int parse_nicdef(struct dir_nicdef *d, struct toks *t, struct out *o)
{
	unsigned long v;
	unsigned seen = 0;
	int rc;

	memset(d, 0, sizeof(*d));
	d->type = LAN_QDIO;
	d->ndev = 3;
	d->promisc = -1;
	if (t->n < 2 || parse_vdev(t->v[1], &d->vdev) < 0)
		return out_msg(o, MSG_VDEV_MISSING);
	for (unsigned i = 2; i < t->n; i++) {
		int k = KW_LOOKUP(nicdef_kw, t->v[i]);

		if (k == KW_AMBIG)
			return out_msg(o, MSG_AMBIGUOUS, out_tok(t->v[i]));
		if (k == KW_NONE)
			return out_msg(o, MSG_INV_OPTION, out_tok(t->v[i]));
		if (seen & (1u << k))
			return out_msg(o, MSG_DUPLICATE_OPTION, out_tok(t->v[i]));
		seen |= 1u << k;
		switch (k) {
		case ND_TYPE:
			NEED_VALUE("TYPE");
			i++;
			if (kw_abbrev(t->v[i], "QDIO", 4))
				d->type = LAN_QDIO;
			else if (kw_abbrev(t->v[i], "HIPERSOCKETS", 5))
				d->type = LAN_HIPERS;
			else
				return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i]));
			break;
		case ND_DEVICES:
			NEED_VALUE("DEVICES");
			i++;
			if ((rc = devices_parse(t->v[i], &d->ndev, o)))
				return rc;
			break;
		case ND_LAN:
			if (i + 2 >= t->n)
				return out_msg(o, MSG_OPTION_NEEDS, "LAN");
			if (parse_name(t->v[i + 1], d->lan_owner) < 0)
				return out_msg(o, MSG_INV_USERID, out_tok(t->v[i + 1]));
			if (parse_name(t->v[i + 2], d->lan_name) < 0)
				return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i + 2]));
			d->has_lan = true;
			i += 2;
			break;
		case ND_CHPID:
			NEED_VALUE("CHPID");
			i++;
			if (parse_hex(t->v[i], 2, &v) < 0)
				return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i]));
			d->has_chpid = true;
			d->chpid = (uint8_t)v;
			break;
		case ND_MACID:
			NEED_VALUE("MACID");
			i++;
			if (parse_hex(t->v[i], 6, &v) < 0)
				return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i]));
			d->has_macid = true;
			d->macid = (uint32_t)v;
			break;
		case ND_PORTNUM:
			NEED_VALUE("PORTNUMBER");
			i++;
			if (parse_dec(t->v[i], LAN_PORTNUM_MAX, &v) < 0 || v == 0)
				return out_msg(o, MSG_OUT_OF_RANGE, out_tok(t->v[i]), "PORTNUMBER", "1-2048");
			d->portnum = (unsigned)v;
			break;
		case ND_PORTTYPE:
			NEED_VALUE("PORTTYPE");
			i++;
			if (kw_abbrev(t->v[i], "ACCESS", 6))
				d->porttype = LAN_ACCESS;
			else if (kw_abbrev(t->v[i], "TRUNK", 5))
				d->porttype = LAN_TRUNK;
			else
				return out_msg(o, MSG_INV_OPERAND, out_tok(t->v[i]));
			break;
		case ND_VLAN: {
			unsigned j = i + 1;

			NEED_VALUE("VLAN");
			rc = vidset_parse(t->v, t->n, &j, &d->vlans, o);
			if (rc)
				return rc;
			d->has_vlans = true;
			i = j - 1;
			break;
		}
		case ND_BANDWIDTH:
			NEED_VALUE("BANDWIDTH");
			if ((rc = bandwidth_parse(t->v[++i], &d->bandwidth, o)))
				return rc;
			break;
		case ND_PROMISC:
		case ND_NOPROMISC:
			if (seen & (1u << (k == ND_PROMISC ? ND_NOPROMISC : ND_PROMISC)))
				return out_msg(o, MSG_CONFLICT, out_tok(t->v[i]));
			d->promisc = k == ND_PROMISC;
			break;
		}
	}
	return 0;
}

int dir_parse(struct dir *d, const char *file, const char *text, size_t len, struct out *o)
{
	struct stmt_reader r;
	char buf[CMD_LINE_MAX + 1];
	struct toks *t = malloc(sizeof(*t));
	struct dir_user *cur = NULL;
	const char *ofile = o->file;
	unsigned errs0 = o->nerr, line = 0;
	int rc;

	if (!t)
		return -ENOMEM;
	d->file = file;
	o->file = file;
	stmt_init(&r, text, len, false);
	while ((rc = stmt_next(&r, buf, &line)) != 0) {
		int k;

		o->line = line;
		if (rc > 1) {
			char lim[12];

			snprintf(lim, sizeof(lim), "%d", CMD_LINE_MAX);
			out_msg(o, (enum msg_id)rc, lim);
			continue;
		}
		if (tok_split(t, buf, strlen(buf)) < 0 || t->n == 0) {
			out_msg(o, MSG_CFG_TOO_LONG, "96 tokens or");
			continue;
		}
		k = KW_LOOKUP(dir_kw, t->v[0]);
		if (k < 0) {
			out_msg(o, MSG_CFG_UNKNOWN_STMT, out_tok(t->v[0]));
			continue;
		}
		if (k == DS_USER || k == DS_IDENTITY) {
			struct dir_user u;
			const struct dir_user *prev;

			memset(&u, 0, sizeof(u));
			u.line = line;
			cur = NULL;
			if (parse_user(&u, t, o))
				continue;
			prev = dir_find(d, u.userid);
			if (prev) {
				char pl[12];

				snprintf(pl, sizeof(pl), "%u", prev->line);
				out_msg(o, MSG_CFG_DUP_USER, u.userid, pl);
				continue;
			}
			if (d->n == d->cap) {
				unsigned nc = d->cap ? d->cap * 2 : 16;
				struct dir_user *nu = realloc(d->users, nc * sizeof(*nu));

				if (!nu) {
					free(t);
					o->file = ofile;
					return -ENOMEM;
				}
				d->users = nu;
				d->cap = nc;
			}
			d->users[d->n] = u;
			cur = &d->users[d->n++];
			continue;
		}
		if (k == DS_IGNORED)
			continue;
		if (!cur) {
			out_msg(o, MSG_CFG_NO_USER, out_tok(t->v[0]));
			continue;
		}
		if (k == DS_NICDEF) {
			struct dir_nicdef nd;
			char vd[8];

			if (parse_nicdef(&nd, t, o))
				continue;
			nd.line = line;
			snprintf(vd, sizeof(vd), "%04X", nd.vdev);
			for (unsigned j = 0; j < cur->nnics; j++) {
				const struct dir_nicdef *e = &cur->nics[j];

				if (nd.vdev < e->vdev + e->ndev && e->vdev < nd.vdev + nd.ndev) {
					/* Both device ranges and where the first one is: the
					 * one the user must move may be either. */
					char l1[12], ev[8], l2[12], el[12];

					snprintf(l1, sizeof(l1), "%04X", nd.vdev + nd.ndev - 1);
					snprintf(ev, sizeof(ev), "%04X", e->vdev);
					snprintf(l2, sizeof(l2), "%04X", e->vdev + e->ndev - 1);
					snprintf(el, sizeof(el), "%u", e->line);
					out_msg(o, MSG_CFG_DUP_NICDEF, vd, vd, l1, cur->userid, ev, ev, l2,
						el);
					goto next;
				}
			}
			if (cur->nnics >= DIR_MAX_NICS) {
				char mx[8];

				snprintf(mx, sizeof(mx), "%d", DIR_MAX_NICS);
				out_msg(o, MSG_NIC_LIMIT, cur->userid, mx);
				continue;
			}
			cur->nics[cur->nnics++] = nd;
		} else if (k == DS_CONTROLLER) {
			/* cpnet: this user may be a VSWITCH controller (z/VM: a TCP/IP stack
			 * with VSWITCH CONTROLLER ON in its profile). */
			if (t->n != 1)
				out_msg(o, MSG_INV_OPERAND, out_tok(t->v[1]));
			else
				cur->controller = true;
		} else if (k == DS_IPADDR) {
			uint16_t vdev;
			struct dir_nicdef *e = NULL;

			if (t->n != 3 || parse_vdev(t->v[1], &vdev) < 0) {
				out_msg(o, MSG_OPERAND_MISSING);
				continue;
			}
			for (unsigned j = 0; j < cur->nnics; j++)
				if (cur->nics[j].vdev == vdev)
					e = &cur->nics[j];
			if (!e) {
				out_msg(o, MSG_DEV_NOT_EXIST, out_tok(t->v[1]));
				continue;
			}
			if (parse_ip4(t->v[2], e->ip, &e->prefix) < 0) {
				out_msg(o, MSG_INV_OPERAND, out_tok(t->v[2]));
				continue;
			}
			e->has_ip = true;
		}
next:;
	}
	free(t);
	o->file = ofile;
	return (int)(o->nerr - errs0);
}

static int dir_parse_cb(void *ctx, const char *file, const char *text, size_t len, struct out *o)
{
	return dir_parse(ctx, file, text, len, o);
}

int dir_load(struct dir *d, const char *path, struct out *o)
{
	return stmt_load(path, o, dir_parse_cb, d);
}
