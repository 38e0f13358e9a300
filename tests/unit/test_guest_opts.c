/* tests/unit/test_guest_opts.c - `cpnet-guest connect`'s options (driver/guest_opts.h):
 * each one's meaning, each refusal named on stderr, and the usage text listing them. */
#include <stdlib.h>
#include <string.h>

#include "driver/guest_opts.h"
#include "tests/tcheck.h"

/* The options every command line below needs (a VM's LOGON). */
#define BASE "--socket", "s.vm", "--user", "u1", "--password", "pw"

struct parsed {
	int rc;
	char err[512];		/* what went to stderr */
};

static struct parsed parse(struct copts *o, char *const *args)
{
	struct parsed p = { 0 };
	char *buf = NULL;
	size_t len = 0;
	int n = 0;
	FILE *f = open_memstream(&buf, &len);

	while (args[n])
		n++;
	if (!f) {
		p.rc = -1;
		return p;
	}
	p.rc = copts_parse(o, n, args, f);
	fclose(f);
	snprintf(p.err, sizeof(p.err), "%s", buf ? buf : "");
	free(buf);
	return p;
}

/* args (NULL-ended) is refused (exit status 2), first line of stderr `want`. */
static void refused(struct tctx *t, char *const *args, const char *want)
{
	struct copts o;
	struct parsed p = parse(&o, args);
	char *nl = strchr(p.err, '\n');

	if (nl)
		*nl = 0;
	CHECK_EQ(p.rc, 2);
	CHECK_STR(p.err, want);
}

TEST(guest_opts_defaults_and_required)
{
	struct copts o;
	struct parsed p = parse(&o, (char *const[]){ BASE, NULL });

	CHECK_EQ(p.rc, 0);
	CHECK_STR(p.err, "");
	CHECK_STR(o.sock, "s.vm");
	CHECK_STR(o.user, "u1");
	CHECK_STR(o.pass, "pw");
	CHECK_EQ(o.count, 3);
	CHECK_EQ(o.layer, 2);
	CHECK_EQ(o.stay, 0);
	CHECK_EQ(o.transport, VML_TRANSPORT_RING);
	CHECK_EQ(o.poll_policy, ADAPT_ADAPTIVE);
	CHECK(!o.verbose && !o.stats && !o.flood && !o.go);
	CHECK_EQ(o.nips + o.nip6s + o.npings + o.njoins, 0);
	refused(t, (char *const[]){ "--user", "u1", "--password", "pw", NULL },
		"cpnet-guest connect: --socket, --user and --password are required");
	refused(t, (char *const[]){ "--socket", "s", "--password", "pw", NULL },
		"cpnet-guest connect: --socket, --user and --password are required");
	refused(t, (char *const[]){ "--socket", "s", "--user", "u", NULL },
		"cpnet-guest connect: --socket, --user and --password are required");
	refused(t, (char *const[]){ "--socket", "s", "--user", "NINECHARS", "--password", "p", NULL },
		"cpnet-guest connect: --user and --password: 1 to 8 characters");
	refused(t, (char *const[]){ "--socket", "s", "--user", "u", "--password", "NINECHARS", NULL },
		"cpnet-guest connect: --user and --password: 1 to 8 characters");
	refused(t, (char *const[]){ "--socket", "s", "--user", "", "--password", "p", NULL },
		"cpnet-guest connect: --user and --password: 1 to 8 characters");
	refused(t, (char *const[]){ "--socket", "s", "--user", "u", "--password", "", NULL },
		"cpnet-guest connect: --user and --password: 1 to 8 characters");
}

/* Every option once, each with the meaning its help gives. */
TEST(guest_opts_every_option_sets_what_it_says)
{
	static const uint8_t ip6[16] = { 0xFD, 0, [15] = 5 };
	struct copts o;
	struct parsed p = parse(&o, (char *const[]){
		BASE, "--ip", "10.1.0.5/24", "--ip", "10.2.0.5/16", "--ip6", "fd00::5",
		"--join", "224.1.2.3", "--join", "239.0.0.1%700", "--layer", "3",
		"--ping", "10.1.0.1", "--ping", "10.2.255.255%0701", "--ping6", "fd00::1",
		"--count", "100000", "--go", "go.file", "--stay", "86400", "--verbose", "-v",
		"--transport", "ring", "--flood", "10.1.0.1", "--size", "1514",
		"--seconds", "3600", "--rate", "10000000", "--stats", "--poll-mode", "poll",
		NULL });

	CHECK_EQ(p.rc, 0);
	CHECK_STR(p.err, "");
	CHECK_EQ(o.nips, 2);
	CHECK_MEM(o.ips[0], ((uint8_t[]){ 10, 1, 0, 5 }), 4);
	CHECK_EQ(o.prefix[0], 24);
	CHECK_MEM(o.ips[1], ((uint8_t[]){ 10, 2, 0, 5 }), 4);
	CHECK_EQ(o.prefix[1], 16);
	CHECK_EQ(o.nip6s, 1);
	CHECK_MEM(o.ip6s[0], ip6, 16);
	CHECK_EQ(o.njoins, 2);
	CHECK_MEM(o.joins[0], ((uint8_t[]){ 224, 1, 2, 3 }), 4);
	CHECK_EQ(o.join_via[0], 0);
	CHECK_MEM(o.joins[1], ((uint8_t[]){ 239, 0, 0, 1 }), 4);
	CHECK_EQ(o.join_via[1], 0x0700);
	CHECK_EQ(o.layer, 3);
	CHECK_EQ(o.npings, 3);
	CHECK(!o.pings[0].v6 && !o.pings[1].v6 && o.pings[2].v6);
	CHECK_MEM(o.pings[0].a, ((uint8_t[]){ 10, 1, 0, 1 }), 4);
	CHECK_EQ(o.pings[0].via, 0);
	CHECK_MEM(o.pings[1].a, ((uint8_t[]){ 10, 2, 255, 255 }), 4);
	CHECK_EQ(o.pings[1].via, 0x0701);
	CHECK_MEM(o.pings[2].a, ((uint8_t[]){ 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }), 16);
	CHECK_EQ(o.count, 100000);
	CHECK_STR(o.go, "go.file");
	CHECK_EQ(o.stay, 86400);
	CHECK(o.verbose);
	CHECK_EQ(o.transport, VML_TRANSPORT_RING);
	CHECK(o.flood);
	CHECK_MEM(o.flood_dst, ((uint8_t[]){ 10, 1, 0, 1 }), 4);
	CHECK_EQ(o.flood_size, 1514);
	CHECK_EQ(o.flood_secs, 3600);
	CHECK_EQ(o.flood_rate, 10000000);
	CHECK(o.stats);
	CHECK_EQ(o.poll_policy, ADAPT_POLL);

	/* The other values, and a later option overriding an earlier one. */
	p = parse(&o, (char *const[]){ BASE, "--layer", "3", "--layer", "2", "--transport",
				       "ring", "--transport", "socket", "--ping6", "fd00::1",
				       "--count", "1", "--flood", "1.2.3.4", "--size", "60",
				       "--seconds", "1", "--rate", "1", NULL });
	CHECK_EQ(p.rc, 0);
	CHECK_EQ(o.layer, 2);
	CHECK_EQ(o.transport, VML_TRANSPORT_SOCKET);
	CHECK_EQ(o.poll_policy, ADAPT_ADAPTIVE);
	CHECK_EQ(o.count, 1);
	CHECK_EQ(o.flood_size, 60);
	CHECK_EQ(o.flood_secs, 1);
	CHECK_EQ(o.flood_rate, 1);
	p = parse(&o, (char *const[]){ BASE, "--poll-mode", "interrupt", NULL });
	CHECK_EQ(p.rc, 0);
	CHECK_EQ(o.poll_policy, ADAPT_INTERRUPT);
	p = parse(&o, (char *const[]){ BASE, "--poll-mode", "adaptive", "--transport", "ring",
				       NULL });
	CHECK_EQ(p.rc, 0);
	CHECK_EQ(o.poll_policy, ADAPT_ADAPTIVE);
}

/* Each option's bad values are refused, the option and the value named. */
TEST(guest_opts_bad_values_are_named)
{
	static const struct { const char *opt, *val; } bad[] = {
		{ "--ip", "10.1.0.300/24" }, { "--ip", "10.1.0.1" }, { "--ip", "10.1.0.1/33" },
		{ "--ip", "10.1.0.1/24x" }, { "--ip6", "fd00::g" }, { "--ip6", "10.1.0.1" },
		{ "--join", "10.1.0.1" }, { "--join", "240.0.0.1" }, { "--join", "224.0.0.1%" },
		{ "--join", "224.0.0.1%0" }, { "--join", "224.0.0.1%10000" },
		{ "--join", "224.0.0.1%zz" }, { "--join", "224.0.0.1% 600" },
		{ "--join", "224.0.0.1%0x60" }, { "--ping", "10.1.0.1%+600" }, { "--layer", "1" }, { "--layer", "23" },
		{ "--layer", "" }, { "--ping", "10.1.0" }, { "--ping", "10.1.0.1%" },
		{ "--ping", "10.1.0.1/24" }, { "--ping6", "fd00:::1" },
		{ "--count", "0" }, { "--count", "100001" }, { "--count", "3x" },
		{ "--count", "" }, { "--count", "-1" }, { "--count", " 3" },
		{ "--stay", "86401" }, { "--stay", "" }, { "--stay", "+5" },
		{ "--stay", "99999999999999999999999" }, { "--transport", "shm" },
		{ "--transport", "RING" }, { "--flood", "10.1.0.1/24" }, { "--flood", "x" },
		{ "--size", "59" }, { "--size", "1515" }, { "--seconds", "0" },
		{ "--seconds", "3601" }, { "--rate", "0" }, { "--rate", "10000001" },
		{ "--poll-mode", "sometimes" },
	};
	char want[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "cpnet-guest connect: %s %s: invalid value, or one too many",
			 bad[i].opt, bad[i].val);
		refused(t, (char *const[]){ BASE, (char *)bad[i].opt, (char *)bad[i].val, NULL }, want);
	}
}

/* args[6..]: `opt val` k times, then `opt last` (if last), then NULL. */
static void repeat(char **args, unsigned k, const char *opt, const char *val, const char *last)
{
	unsigned n = 6;

	for (unsigned i = 0; i < k; i++, n += 2) {
		args[n] = (char *)opt;
		args[n + 1] = (char *)val;
	}
	if (last) {
		args[n++] = (char *)opt;
		args[n++] = (char *)last;
	}
	args[n] = NULL;
}

/* One too many of the repeatable options (the program's tables are that large). */
TEST(guest_opts_one_too_many_is_named)
{
	char *args[6 + 2 * (CONN_MAX_PINGS + 1) + 1] = { BASE };
	struct copts o;
	struct parsed p;

	repeat(args, CONN_MAX_IPS, "--ip", "10.1.0.1/24", NULL);
	p = parse(&o, args);
	CHECK_EQ(p.rc, 0);
	CHECK_EQ(o.nips, CONN_MAX_IPS);
	repeat(args, CONN_MAX_IPS, "--ip", "10.1.0.1/24", "10.9.0.1/24");
	refused(t, args, "cpnet-guest connect: --ip 10.9.0.1/24: invalid value, or one too many");
	repeat(args, CONN_MAX_IPS, "--ip6", "fd00::1", "fd00::9");
	refused(t, args, "cpnet-guest connect: --ip6 fd00::9: invalid value, or one too many");
	repeat(args, CONN_MAX_JOINS, "--join", "224.0.0.1", "224.0.0.9");
	refused(t, args, "cpnet-guest connect: --join 224.0.0.9: invalid value, or one too many");

	/* --ping and --ping6 share one list. */
	repeat(args, CONN_MAX_PINGS, "--ping", "10.1.0.1", NULL);
	for (unsigned n = 6; n < 6 + 2 * CONN_MAX_PINGS; n += 4) {
		args[n] = "--ping6";
		args[n + 1] = "fd00::1";
	}
	p = parse(&o, args);
	CHECK_EQ(p.rc, 0);
	CHECK_EQ(o.npings, CONN_MAX_PINGS);
	CHECK(o.pings[0].v6 && !o.pings[1].v6);
	args[6 + 2 * CONN_MAX_PINGS] = "--ping6";
	args[7 + 2 * CONN_MAX_PINGS] = "fd00::9";
	args[8 + 2 * CONN_MAX_PINGS] = NULL;
	refused(t, args, "cpnet-guest connect: --ping6 fd00::9: invalid value, or one too many");
	args[6 + 2 * CONN_MAX_PINGS] = "--ping";
	args[7 + 2 * CONN_MAX_PINGS] = "10.9.0.9";
	refused(t, args, "cpnet-guest connect: --ping 10.9.0.9: invalid value, or one too many");
}

/* The options that take a value, each at the end of the line with none. */
static const char *const valued[] = {
	"--socket", "--user", "--password", "--ip", "--ip6", "--join", "--layer", "--ping",
	"--ping6", "--count", "--go", "--stay", "--transport", "--flood", "--size",
	"--seconds", "--rate", "--poll-mode",
};

TEST(guest_opts_missing_value_and_unknown_option_are_named)
{
	char want[128];

	for (size_t i = 0; i < sizeof(valued) / sizeof(valued[0]); i++) {
		snprintf(want, sizeof(want), "cpnet-guest connect: %s needs a value", valued[i]);
		refused(t, (char *const[]){ BASE, (char *)valued[i], NULL }, want);
	}
	/* Flags take none: what follows one is the next option. */
	refused(t, (char *const[]){ BASE, "--stats", "5", NULL },
		"cpnet-guest connect: unknown option 5");
	refused(t, (char *const[]){ BASE, "--pign", "10.1.0.1", NULL },
		"cpnet-guest connect: unknown option --pign");
	/* Exact names only: no abbreviation, no --opt=value, no selftest's options. */
	refused(t, (char *const[]){ BASE, "--pin", "10.1.0.1", NULL },
		"cpnet-guest connect: unknown option --pin");
	refused(t, (char *const[]){ BASE, "--count=3", NULL },
		"cpnet-guest connect: unknown option --count=3");
	refused(t, (char *const[]){ BASE, "--layer2", NULL },
		"cpnet-guest connect: unknown option --layer2");
	refused(t, (char *const[]){ BASE, "-V", NULL }, "cpnet-guest connect: unknown option -V");
	/* The hint follows every refusal. */
	{
		struct copts o;
		struct parsed p = parse(&o, (char *const[]){ BASE, "--count", NULL });

		CHECK(strstr(p.err, "\n(cpnet-guest without arguments lists the options)\n") != NULL);
	}
	{
		/* A bad value: what the option takes, from the usage's own row. */
		struct copts o;
		struct parsed p = parse(&o, (char *const[]){ BASE, "--poll-mode", "bogus", NULL });

		CHECK(strstr(p.err, "\n  --poll-mode MODE: how the link waits for cpnetd's frames in "
				    "the ring: adaptive ") != NULL);
	}
}

TEST(guest_opts_flood_needs_its_companions)
{
	static const char want[] = "cpnet-guest connect: --flood needs --size and --seconds; "
				   "--size, --seconds and --rate need --flood";

	refused(t, (char *const[]){ BASE, "--flood", "10.1.0.1", NULL }, want);
	refused(t, (char *const[]){ BASE, "--flood", "10.1.0.1", "--size", "60", NULL }, want);
	refused(t, (char *const[]){ BASE, "--flood", "10.1.0.1", "--seconds", "1", NULL }, want);
	refused(t, (char *const[]){ BASE, "--size", "60", "--seconds", "1", NULL }, want);
	refused(t, (char *const[]){ BASE, "--rate", "5", NULL }, want);
	/* Alone, each would be accepted and do nothing. */
	refused(t, (char *const[]){ BASE, "--size", "60", NULL }, want);
	refused(t, (char *const[]){ BASE, "--seconds", "1", NULL }, want);
}

/* An option that only shapes another one's work is refused without it: accepted, it
 * would do nothing.  With it (in any order), it is taken. */
TEST(guest_opts_shaping_options_need_what_they_shape)
{
	struct copts o;
	struct parsed p;

	refused(t, (char *const[]){ BASE, "--count", "2", NULL },
		"cpnet-guest connect: --count needs --ping or --ping6");
	refused(t, (char *const[]){ BASE, "--count", "2", "--go", "f", "--stay", "5", NULL },
		"cpnet-guest connect: --count needs --ping or --ping6");
	refused(t, (char *const[]){ BASE, "--ping", "10.1.0.1", "--go", "f", NULL },
		"cpnet-guest connect: --go needs --stay (its rounds run while the VM stays)");
	refused(t, (char *const[]){ BASE, "--go", "f", "--stay", "0", NULL },
		"cpnet-guest connect: --go needs --stay (its rounds run while the VM stays)");
	refused(t, (char *const[]){ BASE, "--poll-mode", "poll", "--transport", "socket", NULL },
		"cpnet-guest connect: --poll-mode needs the ring: not with --transport socket");
	refused(t, (char *const[]){ BASE, "--transport", "socket", "--poll-mode", "adaptive", NULL },
		"cpnet-guest connect: --poll-mode needs the ring: not with --transport socket");
	p = parse(&o, (char *const[]){ BASE, "--count", "2", "--ping", "10.1.0.1", NULL });
	CHECK_EQ(p.rc, 0);
	CHECK_EQ(o.count, 2);
	/* --go without a ping: rounds that only say `ping round N done` (a sync point). */
	p = parse(&o, (char *const[]){ BASE, "--stay", "1", "--go", "f", NULL });
	CHECK_EQ(p.rc, 0);
	CHECK_STR(o.go, "f");
}

/* The usage text lists every option, with its value's name, from the same table. */
TEST(guest_opts_usage_lists_every_option)
{
	static const char *const lines[] = {
		"  --socket PATH ", "  --user U ", "  --password P ", "  --ip A.B.C.D/len ",
		"  --ip6 X:Y::Z ", "  --join GROUP[%vdev] ", "  --layer 2|3 ",
		"  --ping A.B.C.D[%vdev] ", "  --ping6 X:Y::Z ", "  --count N ", "  --go FILE ",
		"  --stay SECONDS ", "  --verbose, -v ", "  --transport ring|socket ",
		"  --flood A.B.C.D ", "  --size BYTES ", "  --seconds S ", "  --rate FPS ",
		"  --stats ", "  --poll-mode MODE ",
	};
	char *buf = NULL, *line;
	size_t len = 0;
	unsigned found = 0, opts = 0;
	FILE *f = open_memstream(&buf, &len);

	REQUIRE(f);
	copts_usage(f);
	fclose(f);
	REQUIRE(buf);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char *at = strstr(buf, lines[i]);

		CHECK(at && (at == buf || at[-1] == '\n'));
		found += at != NULL;
	}
	CHECK_EQ(found, sizeof(lines) / sizeof(lines[0]));
	/* No more options than those, and no line wider than a terminal. */
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		CHECK(strlen(line) <= 80);
		opts += !strncmp(line, "  -", 3);
	}
	CHECK_EQ(opts, sizeof(lines) / sizeof(lines[0]));
	free(buf);
}
