/* cmds/trace.c - the operator's LAN traces: TRACE START (a tap on a LAN or VSWITCH into
 * a pcap/pcapng file, vswitch/trace), TRACE STOP and QUERY TRACE. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds/cmds.h"
#include "cp/lanops.h"
#include "lib/cpnet.h"
#include "vswitch/trace.h"

#define CP_MAX_TRACES 16
#define TRACE_NAME_MAX 200
#define FILESIZE_MAX_MB 4095u

enum topt { TO_BYTES = 1, TO_COUNT, TO_FILE, TO_FILES, TO_FILESIZE, TO_PORT, TO_SNAPLEN,
	    TO_USER, TO_VLAN };

static const struct kw topts[] = {
	{ "BYTES", 5, TO_BYTES },
	{ "COUNT", 5, TO_COUNT },
	{ "FILE", 4, TO_FILE },
	{ "FILES", 5, TO_FILES },
	{ "FILESIZE", 5, TO_FILESIZE },
	{ "PORT", 4, TO_PORT },
	{ "SNAPLEN", 4, TO_SNAPLEN },
	{ "USER", 4, TO_USER },
	{ "VLAN", 4, TO_VLAN },
};

/* A file name the operator gives: a plain name in the trace directory, with an
 * ending that says the format (so a trace cannot write anywhere else). */
static bool good_name(const char *n)
{
	uint8_t fmt;
	bool gz;

	return n[0] != '.' && !strchr(n, '/') && strlen(n) <= TRACE_NAME_MAX &&
	       pcapw_name_format(n, &fmt, &gz) == 0;
}

/* A number operand of option `opt` in 1..max. */
static int num(struct cmd_ctx *c, const char *opt, const char *tok, unsigned long max,
	       unsigned long *v)
{
	char range[32];

	if (parse_dec(tok, max, v) < 0 || *v < 1) {
		snprintf(range, sizeof(range), "1-%lu", max);
		return out_msg(c->o, MSG_OUT_OF_RANGE, out_tok(tok), opt, range);
	}
	return 0;
}

int cmd_trace_start(struct cmd_ctx *c, char **argv, unsigned argc)
{
	struct cp *cp = c->cp;
	struct trace_filter flt = { 0 };
	struct pcapw_opts po = { 0 };
	struct lanbk *lan = NULL;
	struct trace *t;
	const char *file = NULL;
	char path[PCAPW_NAME_MAX], ifname[32], scope[32], idtxt[16];
	unsigned used, seen = 0;
	unsigned long v;
	int rc;

	if (kw_abbrev(argv[0], "VSWITCH", 3)) {
		if ((rc = cmd_find_vswitch(c, argv[1], &lan)))
			return rc;
		used = 2;
	} else if (kw_abbrev(argv[0], "LAN", 3)) {
		if ((rc = cmd_find_guest_lan(c, argv + 1, argc - 1, &used, &lan)))
			return rc;
		used++;
	} else {
		return out_msg(c->o, MSG_INV_OPERAND, out_tok(argv[0]));
	}
	for (unsigned i = used; i < argc; i += 2) {
		int k = KW_LOOKUP(topts, argv[i]);

		if (k == KW_AMBIG)
			return out_msg(c->o, MSG_AMBIGUOUS, out_tok(argv[i]));
		if (k < 0)
			return out_msg(c->o, MSG_INV_OPTION, out_tok(argv[i]));
		if (seen & 1u << k)
			return out_msg(c->o, MSG_DUPLICATE_OPTION, topts[k - 1].name);
		seen |= 1u << k;
		if (i + 1 >= argc)
			return out_msg(c->o, MSG_OPTION_NEEDS, topts[k - 1].name);
		switch (k) {
		case TO_FILE:
			if (!good_name(argv[i + 1]))
				return out_msg(c->o, MSG_TRACE_NAME, out_tok(argv[i + 1]));
			file = argv[i + 1];
			break;
		case TO_PORT:
		case TO_USER:
		case TO_VLAN:
			if (flt.scope)
				return out_msg(c->o, MSG_CONFLICT, out_tok(argv[i]));
			if (k == TO_USER) {
				if (parse_name(argv[i + 1], flt.user) < 0)
					return out_msg(c->o, MSG_INV_USERID, out_tok(argv[i + 1]));
				flt.scope = TRACE_USER;
			} else if (k == TO_PORT) {
				if ((rc = num(c, "PORT", argv[i + 1], LAN_PORTNUM_MAX, &v)))
					return rc;
				flt.portnum = (uint16_t)v;
				flt.scope = TRACE_PORT;
			} else {
				if ((rc = num(c, "VLAN", argv[i + 1], LAN_VID_MAX, &v)))
					return rc;
				flt.vid = (uint16_t)v;
				flt.scope = TRACE_VLAN;
			}
			break;
		case TO_SNAPLEN:
			if ((rc = num(c, "SNAPLEN", argv[i + 1], PCAPW_SNAP_DEFAULT, &v)))
				return rc;
			po.snaplen = (uint32_t)v;
			break;
		case TO_COUNT:
			if ((rc = num(c, "COUNT", argv[i + 1], 4000000000ul, &v)))
				return rc;
			po.max_packets = v;
			break;
		case TO_BYTES:
			if ((rc = num(c, "BYTES", argv[i + 1], 4000000000ul, &v)))
				return rc;
			po.max_bytes = v;
			break;
		case TO_FILESIZE:
			if ((rc = num(c, "FILESIZE", argv[i + 1], FILESIZE_MAX_MB, &v)))
				return rc;
			po.rotate_bytes = (uint64_t)v * 1000000u;
			break;
		case TO_FILES:
			if ((rc = num(c, "FILES", argv[i + 1], 100000, &v)))
				return rc;
			po.rotate_files = (unsigned)v;
			break;
		}
	}
	if (!file)
		return out_msg(c->o, MSG_OPTION_NEEDS, "FILE");
	if (po.rotate_files && !po.rotate_bytes)
		return out_msg(c->o, MSG_OPTION_NEEDS, "FILES (FILESIZE)");
	if (cp->ntraces >= CP_MAX_TRACES) {
		snprintf(idtxt, sizeof(idtxt), "%u", CP_MAX_TRACES);
		return out_msg(c->o, MSG_TRACE_LIMIT, idtxt);
	}
	/* cpnetd sets the directory; a CP without one (the fuzzers') writes no files. */
	if (!cp->trace_dir)
		return out_msg(c->o, MSG_TRACE_FILE, out_tok(file), "no trace directory");
	snprintf(path, sizeof(path), "%s/%s", cp->trace_dir, file);
	po.path = path;
	pcapw_name_format(file, &po.fmt, &po.gzip);
	snprintf(ifname, sizeof(ifname), "%s %s %s", lan_kind_word(lan), lan->owner, lan->name);
	po.ifname = ifname;
	rc = trace_start(&t, lan, &flt, &po, cp->next_trace + 1);
	if (rc < 0)
		return out_msg(c->o, MSG_TRACE_FILE, out_tok(path), cpnet_strerror(rc));
	cp->next_trace++;
	t->next = cp->traces;
	cp->traces = t;
	cp->ntraces++;
	snprintf(idtxt, sizeof(idtxt), "%u", t->id);
	trace_scope_text(&flt, scope, sizeof(scope));
	return out_msg(c->o, MSG_R_TRACE_STARTED, idtxt, lan_kind_word(lan), lan->owner,
		       lan->name, scope, path);
}

static void stop_one(struct cmd_ctx *c, struct trace *t)
{
	char id[16], frames[24], bytes[24];

	trace_end(t, TRACE_STOPPED);
	snprintf(id, sizeof(id), "%u", t->id);
	snprintf(frames, sizeof(frames), "%llu", (unsigned long long)t->st.packets);
	snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)t->st.bytes);
	out_msg(c->o, MSG_R_TRACE_STOPPED, id, frames, bytes, t->file, trace_end_text(t));
}

int cmd_trace_stop(struct cmd_ctx *c, char **argv, unsigned argc)
{
	struct cp *cp = c->cp;
	bool all = kw_abbrev(argv[0], "ALL", 3);
	unsigned long id = 0;
	bool found = false;

	(void)argc;
	if (!all && parse_dec(argv[0], 4000000000ul, &id) < 0)
		return out_msg(c->o, MSG_INV_OPERAND, out_tok(argv[0]));
	for (struct trace **pp = &cp->traces; *pp;) {
		struct trace *t = *pp;

		if (!all && t->id != id) {
			pp = &t->next;
			continue;
		}
		stop_one(c, t);
		*pp = t->next;
		cp->ntraces--;
		trace_free(t);
		found = true;
	}
	if (!found && !all)
		return out_msg(c->o, MSG_TRACE_NOT_EXIST, out_tok(argv[0]));
	if (!found)
		return out_msg(c->o, MSG_NO_TRACES);
	return 0;
}

int cmd_query_trace(struct cmd_ctx *c, char **argv, unsigned argc)
{
	char scope[32];

	(void)argv;
	(void)argc;
	if (!c->cp->traces)
		return out_msg(c->o, MSG_NO_TRACES);
	for (const struct trace *t = c->cp->traces; t; t = t->next) {
		const struct pcapw_stats *st = t->w ? pcapw_stats(t->w) : &t->st;

		trace_scope_text(&t->flt, scope, sizeof(scope));
		out_line(c->o, "TRACE %u %s %s %s %s FILE %s %s", t->id,
			 t->lan_kind == LAN_VSWITCH ? "VSWITCH" : "LAN", t->lan_owner, t->lan_name,
			 scope, t->w ? pcapw_current(t->w) : t->file, trace_end_text(t));
		out_line(c->o, "  Frames: %llu  Bytes: %llu  Cut to SNAPLEN: %llu  Files: %u"
			 "  Not IP: %llu", (unsigned long long)st->packets,
			 (unsigned long long)st->bytes, (unsigned long long)st->truncated, st->files,
			 (unsigned long long)t->not_ip);
	}
	return 0;
}
