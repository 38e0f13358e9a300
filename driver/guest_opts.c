/* driver/guest_opts.c - `cpnet-guest connect`'s options: one table of name, value, setter
 * and help, read by the parser, by the "needs a value" check and by the usage text. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cp/parse.h"
#include "driver/guest_opts.h"

/* A dotted IPv4 address, with a /prefix exactly when want_prefix (cp/parse's reader). */
static int parse_ip(const char *s, uint8_t ip[4], unsigned *prefix, bool want_prefix)
{
	unsigned p;

	if ((strchr(s, '/') != NULL) != want_prefix || parse_ip4(s, ip, &p) < 0)
		return -EINVAL;
	if (prefix)
		*prefix = p;
	return 0;
}

/* A.B.C.D or A.B.C.D%vdev (hex device number, as in a zone index: "from this NIC"). */
static int parse_ip_via(const char *s, uint8_t ip[4], uint16_t *via)
{
	char buf[32];
	const char *pct = strchr(s, '%');
	size_t n = pct ? (size_t)(pct - s) : strlen(s);

	*via = 0;
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	/* 1-4 hex digits as CP's commands take a device number; 0 is "by subnet". */
	if (pct && (parse_vdev(pct + 1, via) < 0 || *via == 0))
		return -EINVAL;
	return parse_ip(buf, ip, NULL, false);
}

/* A decimal number from lo to hi: digits only (no sign, no blanks, not empty). */
static int parse_num(const char *v, unsigned long lo, unsigned long hi, unsigned long *out)
{
	unsigned long n;

	if (parse_dec(v, hi, &n) < 0 || n < lo)
		return -EINVAL;
	*out = n;
	return 0;
}

static int parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	unsigned long n;

	if (parse_num(v, lo, hi, &n) < 0)
		return -EINVAL;
	*out = (unsigned)n;
	return 0;
}

/* ---- the setters: 0, or -EINVAL (a bad value) / -ENOSPC (one too many) ------------- */

static int set_socket(struct copts *o, const char *v)
{
	o->sock = v;
	return 0;
}

static int set_user(struct copts *o, const char *v)
{
	o->user = v;
	return 0;
}

static int set_password(struct copts *o, const char *v)
{
	o->pass = v;
	return 0;
}

static int set_ip(struct copts *o, const char *v)
{
	if (o->nips >= CONN_MAX_IPS)
		return -ENOSPC;
	if (parse_ip(v, o->ips[o->nips], &o->prefix[o->nips], true) < 0)
		return -EINVAL;
	o->nips++;
	return 0;
}

static int set_ip6(struct copts *o, const char *v)
{
	if (o->nip6s >= CONN_MAX_IPS)
		return -ENOSPC;
	if (inet_pton(AF_INET6, v, o->ip6s[o->nip6s]) != 1)
		return -EINVAL;
	o->nip6s++;
	return 0;
}

static int set_join(struct copts *o, const char *v)
{
	uint8_t g[4];
	uint16_t via;

	if (o->njoins >= CONN_MAX_JOINS)
		return -ENOSPC;
	if (parse_ip_via(v, g, &via) < 0 || (g[0] & 0xF0) != 0xE0)
		return -EINVAL;
	memcpy(o->joins[o->njoins], g, 4);
	o->join_via[o->njoins++] = via;
	return 0;
}

static int set_layer(struct copts *o, const char *v)
{
	if (strcmp(v, "2") && strcmp(v, "3"))
		return -EINVAL;
	o->layer = (uint8_t)(v[0] - '0');
	return 0;
}

static int set_ping(struct copts *o, const char *v)
{
	struct cping *p = &o->pings[o->npings];

	if (o->npings >= CONN_MAX_PINGS)
		return -ENOSPC;
	if (parse_ip_via(v, p->a, &p->via) < 0)
		return -EINVAL;
	o->npings++;
	return 0;
}

static int set_ping6(struct copts *o, const char *v)
{
	struct cping *p = &o->pings[o->npings];

	if (o->npings >= CONN_MAX_PINGS)
		return -ENOSPC;
	if (inet_pton(AF_INET6, v, p->a) != 1)
		return -EINVAL;
	p->v6 = true;
	o->npings++;
	return 0;
}

static int set_count(struct copts *o, const char *v)
{
	return parse_uint(v, 1, 100000, &o->count);
}

static int set_go(struct copts *o, const char *v)
{
	o->go = v;
	return 0;
}

static int set_stay(struct copts *o, const char *v)
{
	return parse_num(v, 0, 86400, &o->stay);
}

static int set_transport(struct copts *o, const char *v)
{
	if (!strcmp(v, "ring"))
		o->transport = VML_TRANSPORT_RING;
	else if (!strcmp(v, "socket"))
		o->transport = VML_TRANSPORT_SOCKET;
	else
		return -EINVAL;
	return 0;
}

static int set_flood(struct copts *o, const char *v)
{
	if (parse_ip(v, o->flood_dst, NULL, false) < 0)
		return -EINVAL;
	o->flood = true;
	return 0;
}

static int set_size(struct copts *o, const char *v)
{
	return parse_uint(v, 60, 1514, &o->flood_size);
}

static int set_seconds(struct copts *o, const char *v)
{
	return parse_uint(v, 1, 3600, &o->flood_secs);
}

static int set_rate(struct copts *o, const char *v)
{
	return parse_num(v, 1, 10000000, &o->flood_rate);
}

static int set_poll_mode(struct copts *o, const char *v)
{
	return adapt_policy_parse(v, &o->poll_policy) < 0 ? -EINVAL : 0;
}

/* The options.  value: its name in the usage text; set: what takes it.  A flag has
 * neither: it sets the bool at `flag` in struct copts.  help: one sentence, wrapped
 * by copts_usage. */
struct copt {
	const char *name, *alias;
	const char *value;
	int (*set)(struct copts *o, const char *v);
	size_t flag;
	const char *help;
};

static const struct copt copt_table[] = {
	{ "--socket", NULL, "PATH", set_socket, 0,
	  "cpnetd's VM socket: its operator socket + \".vm\" (required)" },
	{ "--user", NULL, "U", set_user, 0, "the VM's user ID, 1-8 characters (required)" },
	{ "--password", NULL, "P", set_password, 0, "its password, 1-8 characters (required)" },
	{ "--ip", NULL, "A.B.C.D/len", set_ip, 0,
	  "the next NIC's IPv4 address (NICs in the order CP defines them)" },
	{ "--ip6", NULL, "X:Y::Z", set_ip6, 0,
	  "the next NIC's IPv6 address (/64; NICs in order, like --ip); layer 3 "
	  "also registers the link-local address and the solicited-node group" },
	{ "--join", NULL, "GROUP[%vdev]", set_join, 0,
	  "listen to an IPv4 group (224/4) on NIC vdev (default: every NIC): "
	  "SETGMAC in layer 2, SETIPM in layer 3" },
	{ "--layer", NULL, "2|3", set_layer, 0,
	  "a NIC's layer when it is not coupled (default 2; else the LAN's)" },
	{ "--ping", NULL, "A.B.C.D[%vdev]", set_ping, 0,
	  "ping it once online; a subnet broadcast or a group address is pinged "
	  "too: its answerers are listed (`ping A answered by B C`); %vdev "
	  "picks the NIC" },
	{ "--ping6", NULL, "X:Y::Z", set_ping6, 0, "ping an IPv6 address" },
	{ "--count", NULL, "N", set_count, 0,
	  "echoes per --ping and --ping6, 1-100000 (default 3)" },
	{ "--go", NULL, "FILE", set_go, 0,
	  "ping not at once but each time FILE appears (it is removed, then "
	  "`ping round N done` is printed), until --stay ends (needs --stay)" },
	{ "--stay", NULL, "SECONDS", set_stay, 0,
	  "then answer pings this long, 0-86400 (default 0: end after the pings)" },
	{ "--verbose", "-v", NULL, NULL, offsetof(struct copts, verbose),
	  "the IPA exchanges of a failed NIC" },
	{ "--transport", NULL, "ring|socket", set_transport, 0,
	  "how frames cross to cpnetd: `ring` (shared-memory rings, when cpnetd "
	  "offers them; the default) or `socket` (a message each)" },
	{ "--flood", NULL, "A.B.C.D", set_flood, 0,
	  "after the pings, send UDP frames of --size bytes to A.B.C.D (first "
	  "pinged, layer 2) for --seconds, as fast as the link takes them; "
	  "prints what was sent (bench/vmlink_rings.sh)" },
	{ "--size", NULL, "BYTES", set_size, 0, "--flood's frame size, 60-1514" },
	{ "--seconds", NULL, "S", set_seconds, 0, "--flood's duration, 1-3600" },
	{ "--rate", NULL, "FPS", set_rate, 0,
	  "the flood at FPS frames a second (1-10000000) instead, in the "
	  "batches the clock allows (bench/adapt_rings.sh: a steady load)" },
	{ "--stats", NULL, NULL, NULL, offsetof(struct copts, stats),
	  "at the end print each NIC's frame counters and the link's transport "
	  "and syscalls (the link's own count), and how its ring was read "
	  "(mode, switches, interrupts, polls)" },
	{ "--poll-mode", NULL, "MODE", set_poll_mode, 0,
	  "how the link waits for cpnetd's frames in the ring: adaptive "
	  "(default: sleeps at a low rate, polls at a high one), interrupt "
	  "(always sleeps on the doorbell), poll (never sleeps: measurement); "
	  "not with --transport socket" },
};

#define COPT_N (sizeof(copt_table) / sizeof(copt_table[0]))

static const struct copt *copt_find(const char *a)
{
	for (size_t i = 0; i < COPT_N; i++)
		if (!strcmp(a, copt_table[i].name) ||
		    (copt_table[i].alias && !strcmp(a, copt_table[i].alias)))
			return &copt_table[i];
	return NULL;
}

/* A refused argument is named, so that the user need not guess which of a long
 * command line it was; the full list stays one command away. */
static int bad_arg(FILE *err, const struct copt *c, const char *a, const char *v)
{
	if (!c)
		fprintf(err, "cpnet-guest connect: unknown option %s\n", a);
	else if (!v)
		fprintf(err, "cpnet-guest connect: %s needs a value\n", a);
	else	/* what the option takes, from its row of the table */
		fprintf(err, "cpnet-guest connect: %s %s: invalid value, or one too many\n"
			"  %s %s: %s\n", a, v, c->name, c->value, c->help);
	fprintf(err, "(cpnet-guest without arguments lists the options)\n");
	return 2;
}

/* Whether the option named `name` (a row of copt_table) was given: seen[] by row. */
static bool given(const bool seen[COPT_N], const char *name)
{
	const struct copt *c = copt_find(name);

	return c && seen[c - copt_table];
}

int copts_parse(struct copts *o, int n, char *const args[], FILE *err)
{
	bool seen[COPT_N] = { false };

	memset(o, 0, sizeof(*o));
	o->count = 3;
	o->layer = 2;
	for (int k = 0; k < n; k++) {
		const char *a = args[k], *v = NULL;
		const struct copt *c = copt_find(a);

		if (!c)
			return bad_arg(err, NULL, a, NULL);
		seen[c - copt_table] = true;
		if (c->value) {
			if (k + 1 >= n)
				return bad_arg(err, c, a, NULL);
			v = args[++k];
		}
		if (!c->set)
			*(bool *)((char *)o + c->flag) = true;
		else if (c->set(o, v) < 0)
			return bad_arg(err, c, a, v);
	}
	if (!o->sock || !o->user || !o->pass) {
		fprintf(err, "cpnet-guest connect: --socket, --user and --password are required\n");
		return 2;
	}
	if (!*o->user || !*o->pass || strlen(o->user) > 8 || strlen(o->pass) > 8) {
		fprintf(err, "cpnet-guest connect: --user and --password: 1 to 8 characters\n");
		return 2;
	}
	/* --size, --seconds and --rate only shape a flood: without one they would be
	 * accepted and do nothing. */
	if ((o->flood && !(o->flood_size && o->flood_secs)) ||
	    (!o->flood && (o->flood_size || o->flood_secs || o->flood_rate))) {
		fprintf(err, "cpnet-guest connect: --flood needs --size and --seconds; "
			"--size, --seconds and --rate need --flood\n");
		return 2;
	}
	/* Likewise options that shape something not asked for. */
	if (given(seen, "--count") && !o->npings) {
		fprintf(err, "cpnet-guest connect: --count needs --ping or --ping6\n");
		return 2;
	}
	if (o->go && !o->stay) {
		fprintf(err, "cpnet-guest connect: --go needs --stay (its rounds run while the "
			"VM stays)\n");
		return 2;
	}
	if (given(seen, "--poll-mode") && o->transport == VML_TRANSPORT_SOCKET) {
		fprintf(err, "cpnet-guest connect: --poll-mode needs the ring: not with "
			"--transport socket\n");
		return 2;
	}
	return 0;
}

#define USAGE_COL 28		/* where the help starts */
#define USAGE_WIDTH 80

void copts_usage(FILE *f)
{
	for (size_t i = 0; i < COPT_N; i++) {
		const struct copt *c = &copt_table[i];
		const char *h = c->help;
		char left[USAGE_COL];
		int col;

		snprintf(left, sizeof(left), "%s%s%s%s%s", c->name, c->alias ? ", " : "",
			 c->alias ? c->alias : "", c->value ? " " : "", c->value ? c->value : "");
		col = fprintf(f, "  %-*s", USAGE_COL - 2, left);
		/* Word by word; a word that does not fit starts the next line. */
		while (*h) {
			size_t w = strcspn(h, " ");

			if (col > USAGE_COL && col + 1 + (int)w > USAGE_WIDTH)
				col = fprintf(f, "\n%*s", USAGE_COL, "") - 1;
			else if (col > USAGE_COL)
				col += fprintf(f, " ");
			col += fprintf(f, "%.*s", (int)w, h);
			h += w;
			h += strspn(h, " ");
		}
		fprintf(f, "\n");
	}
}
