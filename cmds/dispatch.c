/* cmds/dispatch.c - the CP command table and dispatcher (abbreviations, privilege
 * classes, operand counts), plus the virtual-machine commands LOGOFF/FORCE/AUTOLOG/PING. */
#include "cmds/cmds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp/appl.h"
#include "cp/config.h"
#include "lib/cpnet.h"

#define SUB(t) t, (uint8_t)(sizeof(t) / sizeof((t)[0]))

/* Every table is sorted by name (a unit test checks it and that no two minimum
 * abbreviations collide). */
static const struct cmd_def define_sub[] = {
	{ "LAN", 3, "BG", cmd_define_lan, 1, TOK_MAX, "DEFINE LAN name [OWNERID SYSTEM|userid] [MAXCONN n|INFINITE] [RESTRICTED|UNRESTRICTED] [ACCOUNTING ON|OFF] [TYPE QDIO|HIPERS] [IP|ETHERNET]" },
	{ "NIC", 3, "G", cmd_define_nic, 1, 10, "DEFINE NIC vdev [TYPE] QDIO|HIPERS [DEVICES n] [CHPID xx] [MACID xxxxxx]" },
	{ "VSWITCH", 3, "B", cmd_define_vswitch, 1, TOK_MAX, "DEFINE VSWITCH name [RDEV rdev...|NONE] [CONNECT|DISCONNECT] [CONTROLLER *|userid] [IP [NONROUTER|PRIROUTER]|ETHERNET] [VLAN UNAWARE|defvid [NATIVE n|NONE]] [PORTTYPE ACCESS|TRUNK] [QUEUESTORAGE n] [IPTIMEOUT n] [ISOLATION ON|OFF] [MACPROTECT ON|OFF|UNSPEC]" },
};

static const struct cmd_def detach_sub[] = {
	{ "LAN", 3, "BG", cmd_detach_lan, 1, 3, "DETACH LAN name [OWNERID SYSTEM|userid]" },
	{ "NIC", 3, "G", cmd_detach_nic, 1, 1, "DETACH NIC vdev" },
	{ "VSWITCH", 3, "B", cmd_detach_vswitch, 1, 1, "DETACH VSWITCH name" },
};

static const struct cmd_def set_sub[] = {
	{ "LAN", 3, "BG", cmd_set_lan, 2, TOK_MAX, "SET LAN name [OWNERID SYSTEM|userid] GRANT userid... | REVOKE userid... | PORTNUMBER n BANDWIDTH rate|OFF | PORTNUMBER n USERID userid | PORTNUMBER n REMOVE" },
	{ "NIC", 3, "G", cmd_set_nic, 2, 3, "SET NIC vdev PROMISCUOUS|NOPROMISCUOUS | BANDWIDTH rate|OFF" },
	{ "VMLAN", 5, "B", cmd_set_vmlan, 1, TOK_MAX, "SET VMLAN MACPREFIX xxxxxx | USERPREFIX xxxxxx | MACIDRANGE SYSTEM a-b [USER c-d] | LIMIT PERSISTENT n TRANSIENT n | MACPROTECT ON|OFF" },
	{ "VSWITCH", 3, "B", cmd_set_vswitch, 2, TOK_MAX, "SET VSWITCH name GRANT userid... [PORTTYPE pt] [VLAN set] [PROMISCUOUS] | REVOKE userid... | CONNECT | DISCONNECT | RDEV ... | ISOLATION ON|OFF | PORTTYPE pt | VLANID ... | MACPROTECT ... | UPLINK SWITCHOVER [rdev] | PORTNUMBER n BANDWIDTH rate|OFF | PORTNUMBER n USERID userid | PORTNUMBER n REMOVE" },
};

static const struct cmd_def query_sub[] = {
	{ "CONTROLLER", 5, "B", cmd_query_controller, 0, 1, "QUERY CONTROLLER [userid]" },
	{ "LAN", 3, "BG", cmd_query_lan, 0, 4, "QUERY LAN [name] [OWNERID userid] [DETAILS|ACCESSLIST]" },
	{ "NAMES", 3, "BEG", cmd_query_names, 0, 0, "QUERY NAMES" },
	{ "NIC", 3, "BG", cmd_query_nic, 0, 2, "QUERY NIC [vdev|ALL] [DETAILS]" },
	{ "OSA", 3, "B", cmd_query_osa, 0, 2, "QUERY OSA [ALL] [DETAILS]  (the real OSA-Express devices of RDEVICE; DETAILS: their receive rings)" },
	{ "TRACE", 2, "B", cmd_query_trace, 0, 0, "QUERY TRACE  (the LAN traces of TRACE START)" },
	{ "VIRTUAL", 1, "G", cmd_query_virtual, 1, 2, "QUERY VIRTUAL NIC|OSA [DETAILS]" },
	{ "VMLAN", 5, "BG", cmd_query_vmlan, 0, 0, "QUERY VMLAN" },
	{ "VSWITCH", 3, "B", cmd_query_vswitch, 0, 2, "QUERY VSWITCH [name|ALL] [DETAILS|ACCESSLIST|ACTIVE]" },
};

static const struct cmd_def trace_sub[] = {
	{ "START", 3, "B", cmd_trace_start, 4, TOK_MAX, "TRACE START LAN name [OWNERID userid] | VSWITCH name FILE name [PORT n|USER userid|VLAN vid] [SNAPLEN n] [COUNT n] [BYTES n] [FILESIZE mb [FILES n]]" },
	{ "STOP", 3, "B", cmd_trace_stop, 1, 1, "TRACE STOP id|ALL" },
};

static const struct cmd_def commands[] = {
	{ "AUTOLOG", 4, "AB", cmd_autolog, 1, 2, "AUTOLOG userid [password]" },
	{ "COUPLE", 6, "G", cmd_couple, 1, 6, "COUPLE vdev [TO] SYSTEM name | ownerid lanname [PORTNUMBER n]" },
	{ "DEFINE", 3, "BG", NULL, 1, TOK_MAX, "DEFINE NIC|LAN|VSWITCH ...", SUB(define_sub) },
	{ "DETACH", 3, "BG", NULL, 1, TOK_MAX, "DETACH NIC|LAN|VSWITCH ...", SUB(detach_sub) },
	{ "FORCE", 5, "A", cmd_force, 1, 2, "FORCE userid [IMMED]" },
	{ "LOGOFF", 3, "*", cmd_logoff, 0, 1, "LOGOFF [HOLD]" },
	{ "PING", 4, "B", cmd_ping, 2, 3, "PING userid ipaddr [count]  (cpnet: from a synthetic guest)" },
	{ "QUERY", 1, "BEG", NULL, 1, TOK_MAX, "QUERY NIC|LAN|VSWITCH|VMLAN|CONTROLLER|OSA|VIRTUAL|NAMES|TRACE ...", SUB(query_sub) },
	{ "SET", 3, "BG", NULL, 1, TOK_MAX, "SET LAN|VSWITCH|VMLAN|NIC ...", SUB(set_sub) },
	{ "TRACE", 2, "B", NULL, 1, TOK_MAX, "TRACE START|STOP ...  (LAN traces to pcap files)", SUB(trace_sub) },
	{ "UNCOUPLE", 8, "G", cmd_uncouple, 1, 1, "UNCOUPLE vdev" },
};

const struct cmd_def *cmd_table(size_t *n)
{
	*n = CPNET_ARRAY_SIZE(commands);
	return commands;
}

const struct cmd_def *cmd_lookup(const struct cmd_def *tab, size_t n, const char *tok,
				 bool *ambig)
{
	const struct cmd_def *hit = NULL;

	*ambig = false;
	for (size_t i = 0; i < n; i++) {
		if (!kw_abbrev(tok, tab[i].name, tab[i].min ? tab[i].min : (unsigned)strlen(tab[i].name)))
			continue;
		if (strlen(tok) == strlen(tab[i].name)) {
			*ambig = false;
			return &tab[i];
		}
		if (hit)
			*ambig = true;
		hit = &tab[i];
	}
	return *ambig ? NULL : hit;
}

int cmd_execute(struct cp *cp, struct vm *vm, const char *line, size_t len, struct out *o)
{
	struct cmd_ctx c = { cp, vm, o };
	const struct cmd_def *d;
	struct toks *t;
	unsigned first = 1;
	bool ambig;
	char lim[12];
	int rc;

	if (len > CMD_LINE_MAX) {
		snprintf(lim, sizeof(lim), "%d", CMD_LINE_MAX);
		return out_msg(o, MSG_LINE_TOO_LONG, lim);
	}
	t = malloc(sizeof(*t));
	if (!t)
		return out_msg(o, MSG_INTERNAL, "out of storage");
	rc = tok_split(t, line, len);
	if (rc == -E2BIG) {
		rc = out_msg(o, MSG_INV_OPERAND, out_tok(t->v[TOK_MAX - 1]));
		goto done;
	}
	if (rc < 0 || t->n == 0) {
		rc = 0;		/* an empty line is a no-op, as on a 3270 */
		goto done;
	}
	d = cmd_lookup(commands, CPNET_ARRAY_SIZE(commands), t->v[0], &ambig);
	if (ambig) {
		rc = out_msg(o, MSG_AMBIGUOUS, out_tok(t->v[0]));
		goto done;
	}
	if (!d || !dir_has_class(vm->classes, d->classes)) {
		rc = out_msg(o, MSG_UNKNOWN_CMD, out_tok(t->v[0]));
		goto done;
	}
	if (d->sub) {
		const struct cmd_def *s;

		if (t->n < 2) {
			rc = out_msg(o, MSG_OPERAND_MISSING);
			goto done;
		}
		s = cmd_lookup(d->sub, d->nsub, t->v[1], &ambig);
		if (ambig) {
			rc = out_msg(o, MSG_AMBIGUOUS, out_tok(t->v[1]));
			goto done;
		}
		if (!s || !dir_has_class(vm->classes, s->classes)) {
			rc = out_msg(o, MSG_INV_OPTION, out_tok(t->v[1]));
			goto done;
		}
		d = s;
		first = 2;
	}
	if (t->n - first < d->min_args) {
		rc = out_msg(o, MSG_OPERAND_MISSING);
		goto done;
	}
	if (t->n - first > d->max_args) {
		rc = out_msg(o, MSG_INV_OPTION, out_tok(t->v[first + d->max_args]));
		goto done;
	}
	if (t->bad >= 0 && (unsigned)t->bad >= first) {
		/* Control or non-ASCII bytes in an operand: never a valid one. */
		rc = out_msg(o, MSG_INV_OPERAND, out_tok(t->v[t->bad]));
		goto done;
	}
	rc = d->fn(&c, t->v + first, t->n - first);
done:
	free(t);
	return rc;
}

/* ---- virtual machine commands ----------------------------------------------------- */

int cmd_logoff(struct cmd_ctx *c, char **argv, unsigned argc)
{
	char n[12];

	if (argc && !kw_abbrev(argv[0], "HOLD", 4))
		return out_msg(c->o, MSG_INV_OPTION, out_tok(argv[0]));
	snprintf(n, sizeof(n), "%u", c->cp->nvms ? c->cp->nvms - 1 : 0);
	out_msg(c->o, MSG_R_LOGOFF, c->vm->userid, n);
	cp_logoff(c->cp, c->vm);	/* on_logoff tells the server to end the sessions */
	c->vm = NULL;
	return 0;
}

int cmd_force(struct cmd_ctx *c, char **argv, unsigned argc)
{
	char u[9], n[12], by[9];
	struct vm *vm;

	if (argc > 1 && !kw_abbrev(argv[1], "IMMEDIATE", 5))
		return out_msg(c->o, MSG_INV_OPTION, out_tok(argv[1]));
	if (parse_name(argv[0], u) < 0)
		return out_msg(c->o, MSG_INV_USERID, out_tok(argv[0]));
	vm = cp_find_vm(c->cp, u);
	/* The user's application ports end too (one HCPAPL9502I each); a user with
	 * ports only is not logged on, and that is no error. */
	if (appl_force(c->cp, u, c->o) && !vm)
		return 0;
	if (!vm)
		return out_msg(c->o, MSG_NOT_LOGGED_ON, u);
	memcpy(by, c->vm->userid, sizeof(by));
	if (vm == c->vm)
		c->vm = NULL;
	cp_logoff(c->cp, vm);
	snprintf(n, sizeof(n), "%u", c->cp->nvms);
	out_msg(c->o, MSG_R_FORCED, u, n, by);
	return 0;
}

int cmd_autolog(struct cmd_ctx *c, char **argv, unsigned argc)
{
	const struct dir_user *du;
	char u[9];

	if (parse_name(argv[0], u) < 0)
		return out_msg(c->o, MSG_INV_USERID, out_tok(argv[0]));
	du = dir_find(&c->cp->dir, u);
	if (du && argc > 1 && strcmp(du->password, "NOLOG")) {
		char pw[9];
		size_t l = strlen(argv[1]);

		if (l > 8)
			return out_msg(c->o, MSG_LOGON_FAILED);
		for (size_t i = 0; i <= l; i++)
			pw[i] = (char)((argv[1][i] >= 'a' && argv[1][i] <= 'z') ? argv[1][i] - 32 : argv[1][i]);
		if (strcmp(pw, du->password))
			return out_msg(c->o, MSG_LOGON_FAILED);
	}
	return cp_autolog(c->cp, u, c->o);
}

int cmd_ping(struct cmd_ctx *c, char **argv, unsigned argc)
{
	char u[9];
	uint8_t ip[4];
	unsigned prefix;
	unsigned long count = 3;
	struct vm *vm;

	if (parse_name(argv[0], u) < 0)
		return out_msg(c->o, MSG_INV_USERID, out_tok(argv[0]));
	if (parse_ip4(argv[1], ip, &prefix) < 0 || prefix != 32)
		return out_msg(c->o, MSG_INV_OPERAND, out_tok(argv[1]));
	if (argc > 2) {
		if (parse_dec(argv[2], 0xFFFFFFFFul, &count) == -EINVAL)
			return out_msg(c->o, MSG_INV_OPERAND, out_tok(argv[2]));
		if (parse_dec(argv[2], 100, &count) < 0 || count < 1)
			return out_msg(c->o, MSG_OUT_OF_RANGE, out_tok(argv[2]), "count", "1-100");
	}
	vm = cp_find_vm(c->cp, u);
	if (!vm)
		return out_msg(c->o, MSG_NOT_LOGGED_ON, u);
	return cp_ping(c->cp, vm, 0, ip, (unsigned)count, c->o);
}
