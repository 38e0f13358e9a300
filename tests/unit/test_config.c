/* tests/unit/test_config.c - SYSTEM CONFIG and user directory parsing: every error kind
 * with its file:line and message ID, first-definition-wins, comments, continuation. */
#include <stdlib.h>
#include <string.h>

#include "cp/config.h"
#include "cp/cp.h"
#include "cp/lanops.h"
#include "cp/stmt.h"
#include "tests/tcheck.h"
#include "vswitch/switch.h"

struct env {
	struct cp cp;
	struct out o;
};

static struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	cp_init(&e->cp, 42);
	out_init(&e->o);
	return e;
}

static void env_free(struct env *e)
{
	cp_free(&e->cp);
	out_free(&e->o);
	free(e);
}

static int cfg(struct env *e, const char *text)
{
	out_reset(&e->o);
	return config_parse(&e->cp, "sys.cfg", text, strlen(text), &e->o);
}

static bool has(const struct env *e, const char *s)
{
	return e->o.buf && strstr(e->o.buf, s) != NULL;
}

TEST(config_define_vswitch_and_lan)
{
	struct env *e = env_new();
	struct lanbk *v, *l;

	REQUIRE(e);
	CHECK_EQ(cfg(e, "DEFINE VSWITCH VSW1 RDEV 0A00.P01 0B00 ETHERNET VLAN 10 NATIVE 1 "
			"PORTTYPE TRUNK QUEUESTORAGE 16M IPTIMEOUT 7 ISOLATION ON MACPROTECT ON\n"
			"DEFINE LAN GLAN1 OWNERID SYSTEM TYPE QDIO IP MAXCONN 10 RESTRICTED\n"), 0);
	v = lan_find(&e->cp.lans, "SYSTEM", "VSW1");
	l = lan_find(&e->cp.lans, "SYSTEM", "GLAN1");
	REQUIRE(v && l);
	CHECK_EQ(v->kind, LAN_VSWITCH);
	CHECK_EQ(v->transport, LAN_ETHERNET);
	CHECK_EQ(v->nrdev, 2);
	CHECK_EQ(v->rdev[0], 0x0A00);
	CHECK_EQ(v->rdev_port[0], 1);
	CHECK_EQ(v->rdev[1], 0x0B00);
	CHECK(v->vlan_aware);
	CHECK_EQ(v->defvid, 10);
	CHECK_EQ(v->native_vid, 1);
	CHECK_EQ(v->def_porttype, LAN_TRUNK);
	CHECK_EQ(v->queuestorage, 16);
	CHECK_EQ(v->iptimeout, 7);
	CHECK(v->isolation);
	CHECK_EQ(v->macprotect, LAN_MACPROT_ON);
	CHECK(v->restricted);
	CHECK(v->persistent);
	CHECK(cp_lan_mac(&e->cp, v) != NULL);
	CHECK_EQ(l->kind, LAN_GUESTLAN);
	CHECK_EQ(l->transport, LAN_IP);
	CHECK_EQ(l->maxconn, 10);
	CHECK(l->restricted);
	env_free(e);
}

TEST(config_first_definition_wins)
{
	struct env *e = env_new();
	struct lanbk *v;

	REQUIRE(e);
	CHECK_EQ(cfg(e, "DEFINE VSWITCH VSW1 ETHERNET\n"
			"\n"
			"DEFINE VSWITCH VSW1 IP\n"
			"DEFINE LAN VSW1 OWNERID SYSTEM\n"), 2);
	CHECK(has(e, "sys.cfg:3: HCPCFG9401E VSWITCH VSW1 was already defined at line 1"));
	CHECK(has(e, "sys.cfg:4: HCPCFG9401E LAN VSW1 was already defined at line 1"));
	v = lan_find(&e->cp.lans, "SYSTEM", "VSW1");
	REQUIRE(v);
	CHECK_EQ(v->transport, LAN_ETHERNET);
	CHECK_EQ(e->cp.lans.n, 1);
	env_free(e);
}

/* One statement per error kind; each names its line and its message ID. */
TEST(config_every_error_kind_has_file_line_and_id)
{
	static const struct {
		const char *text;
		const char *expect;
	} cases[] = {
		{ "FROBNICATE X\n", "sys.cfg:1: HCPCFG9400E Unknown statement - FROBNICATE" },
		{ "\nDEFINE VSWITCH V1 FOO\n", "sys.cfg:2: HCPCMD003E Invalid option - FOO" },
		{ "DEFINE VSWITCH V1 I\n", "sys.cfg:1: HCPCMD003E Invalid option - I" },
		{ "DEFINE VSWITCH V1 VLAN 5000\n", "sys.cfg:1: HCPCMD9010E Value 5000 for VLAN is out of range (1-4094)" },
		{ "DEFINE VSWITCH V1 IPTIMEOUT\n", "sys.cfg:1: HCPCMD1001E An operand is missing for IPTIMEOUT." },
		{ "DEFINE VSWITCH V1 IPTIMEOUT 999\n", "sys.cfg:1: HCPCMD9010E Value 999 for IPTIMEOUT is out of range (1-240)" },
		{ "DEFINE VSWITCH V1 IPTIMEOUT x5\n", "sys.cfg:1: HCPCMD002E Invalid operand - x5" },
		{ "DEFINE VSWITCH V1 ISOL ON ISOL OFF\n", "sys.cfg:1: HCPCMD9011E Option ISOL was specified more than once" },
		{ "DEFINE VSWITCH V1 IP ETHERNET\n", "sys.cfg:1: HCPCMD013E Conflicting option - ETHERNET" },
		{ "DEFINE VSWITCH TOOLONGNAME\n", "sys.cfg:1: HCPCMD002E Invalid operand - TOOLONGNAME" },
		{ "DEFINE LAN L1 MAXCONN 5000\n", "sys.cfg:1: HCPCMD9010E Value 5000 for MAXCONN is out of range (1-1024)" },
		{ "DEFINE LAN L1 OWNERID BOB\n", "sys.cfg:1: HCPCMD002E Invalid operand - BOB" },
		{ "DEFINE VSWITCH V1 RDEV 0A00.P7\n", "sys.cfg:1: HCPCMD002E Invalid operand - 0A00.P7" },
		{ "DEFINE VSWITCH V1 RDEV 1 2 3 4\n", "sys.cfg:1: HCPCMD002E Invalid operand - 4" },
		{ "MODIFY VSWITCH NOPE GRANT X\n", "sys.cfg:1: HCPLAN9101E VSWITCH SYSTEM NOPE does not exist" },
		{ "/* open\n\n", "sys.cfg:1: HCPCFG9402E Comment is not terminated" },
		{ "DEFINE VSWITCH V1,\n", "sys.cfg:1: HCPCFG9403E Continued statement is not completed" },
		{ "DEFINE VSWITCH V1 \x01\n", "sys.cfg:1: HCPCFG9405E Invalid character in statement" },
		{ "VMLAN MACPREFIX 120000\n", "sys.cfg:1: HCPCMD9010E Value 120000 for MACPREFIX is out of range" },
		{ "VMLAN LIMIT PERSISTENT 0\n", "sys.cfg:1: HCPCMD9010E Value 0 for LIMIT is out of range" },
		{ "VMLAN BOGUS\n", "sys.cfg:1: HCPCMD003E Invalid option - BOGUS" },
		{ "AUTOLOG TOOLONGUSER\n", "sys.cfg:1: HCPCMD007E Invalid userid - TOOLONGUSER" },
		{ "RDEVICE 0A00-0A02 TYPE DASD\n", "sys.cfg:1: HCPCMD003E Invalid option - TYPE" },
		{ "RDEVICE 0A00 TYPE OSA RINGS\n", "sys.cfg:1: HCPCMD1001E An operand is missing for RINGS." },
		{ "RDEVICE 0A00 TYPE OSA RINGS 0\n", "sys.cfg:1: HCPCMD9010E Value 0 for RINGS is out of range (1-16)" },
		{ "RDEVICE 0A00 TYPE OSA RINGS 17\n", "sys.cfg:1: HCPCMD9010E Value 17 for RINGS is out of range (1-16)" },
		{ "RDEVICE 0A00 TYPE OSA RINGS four\n", "sys.cfg:1: HCPCMD002E Invalid operand - four" },
		{ "RDEVICE 0A00 TYPE OSA RINGS -1\n", "sys.cfg:1: HCPCMD002E Invalid operand - -1" },
		{ "BEGIN\n", "sys.cfg:1: HCPCFG9419E BEGIN needs a record qualifier (sysname: BEGIN)" },
		{ "ZVMA: END\n", "sys.cfg:1: HCPCFG9418E ZVMA: END has no matching BEGIN" },
		{ "ZVMA: BEGIN\nZVMB: BEGIN\nZVMB: END\n",
		  "sys.cfg:2: HCPCFG9417E ZVMA: BEGIN at line 1 has no matching END" },
		{ "\nZVMA: BEGIN\nDEFINE LAN X\n",
		  "sys.cfg:2: HCPCFG9417E ZVMA: BEGIN at line 2 has no matching END" },
		{ "ZVMA: BEGIN ZVMB\nZVMA: END\n", "sys.cfg:1: HCPCMD002E Invalid operand - ZVMB" },
		{ "TOOLONGNAME: DEFINE LAN X\n",
		  "sys.cfg:1: HCPCFG9416E Invalid record qualifier - TOOLONGNAME:" },
		{ "ZVMA:\n", "sys.cfg:1: HCPCMD026E" },
		{ "ZVMA: SYSTEM_IDENTIFIER LPAR X ZVMA\n",
		  "sys.cfg:1: HCPCFG9420E SYSTEM_IDENTIFIER cannot have a record qualifier" },
		{ "ZVMA: BEGIN\nSYSTEM_IDENTIFIER_DEFAULT ZVMA\nZVMA: END\n",
		  "sys.cfg:2: HCPCFG9420E SYSTEM_IDENTIFIER_DEFAULT cannot have a record qualifier" },
		/* Another system's statement: its name is still checked. */
		{ "ZVMA: FROB\n", "sys.cfg:1: HCPCFG9400E Unknown statement - FROB" },
		{ "SYSTEM_IDENTIFIER LPAR X\n", "sys.cfg:1: HCPCMD026E" },
		{ "SYSTEM_IDENTIFIER 2964 12345G ZVMA\n", "sys.cfg:1: HCPCMD002E Invalid operand - 12345G" },
		{ "SYSTEM_IDENTIFIER 29640 * ZVMA\n", "sys.cfg:1: HCPCMD002E Invalid operand - 29640" },
		{ "SYSTEM_IDENTIFIER LPAR X TOOLONGNAME\n", "sys.cfg:1: HCPCMD002E Invalid operand - TOOLONGNAME" },
		{ "SYSTEM_IDENTIFIER_DEFAULT A\nSYSTEM_IDENTIFIER_DEFAULT B\n",
		  "sys.cfg:2: HCPCFG9401E SYSTEM_IDENTIFIER_DEFAULT B was already defined at line 1" },
		/* The ignored z/VM statements are spelled out, never abbreviated. */
		{ "FEAT ENABLE X\n", "sys.cfg:1: HCPCFG9400E Unknown statement - FEAT" },
		{ "DEFINE FROB X\n", "sys.cfg:1: HCPCMD003E Invalid option - FROB" },
	};

	for (size_t i = 0; i < CPNET_ARRAY_SIZE(cases); i++) {
		struct env *e = env_new();

		REQUIRE(e);
		CHECK(cfg(e, cases[i].text) >= 1);
		if (!has(e, cases[i].expect))
			tc_fail(t, __FILE__, __LINE__, "case %zu: want \"%s\", got \"%s\"", i,
				cases[i].expect, e->o.buf ? e->o.buf : "");
		/* No half-made LAN is left behind by a rejected statement. */
		CHECK_EQ(e->cp.lans.n, 0);
		env_free(e);
	}
}

TEST(config_statement_too_long)
{
	struct env *e = env_new();
	size_t n = 3000;
	char *text = malloc(n + 64);

	REQUIRE(e && text);
	strcpy(text, "DEFINE VSWITCH V1 ");
	memset(text + strlen(text), 'A', n);
	strcpy(text + 18 + n, "\nDEFINE VSWITCH V2\n");
	CHECK_EQ(cfg(e, text), 1);
	CHECK(has(e, "sys.cfg:1: HCPCFG9404E Statement is longer than 1024 characters"));
	CHECK(lan_find(&e->cp.lans, "SYSTEM", "V2") != NULL);	/* parsing went on */
	free(text);
	env_free(e);
}

TEST(config_comments_and_continuation)
{
	struct env *e = env_new();
	struct lanbk *v;

	REQUIRE(e);
	CHECK_EQ(cfg(e, "* a comment line\n"
			"/* a block\n   comment */ DEFINE VSWITCH VSW1 /* inline */ IP,\n"
			"    PRIROUTER,\n"
			"\n"
			"    ISOLATION ON\n"
			"DEFINE VSWITCH BAD FOO\n"), 1);
	/* The error is on the statement's first line, after the continued one. */
	CHECK(has(e, "sys.cfg:7: HCPCMD003E Invalid option - FOO"));
	v = lan_find(&e->cp.lans, "SYSTEM", "VSW1");
	REQUIRE(v);
	CHECK_EQ(v->transport, LAN_IP);
	CHECK_EQ(v->router, LAN_PRIROUTER);
	CHECK(v->isolation);
	env_free(e);
}

TEST(config_modify_grant_and_vmlan)
{
	struct env *e = env_new();
	struct lanbk *v;

	REQUIRE(e);
	CHECK_EQ(cfg(e, "DEFINE VSWITCH VSW1 VLAN 5\n"
			"MODIFY VSWITCH VSW1 GRANT LINUX01 LINUX02 PORTTYPE TRUNK VLAN 5 7-9\n"
			"VMLAN MACPREFIX 02ABCD USERPREFIX 021111 MACIDRANGE SYSTEM 000100-0001FF USER 000180-0001FF\n"
			"VMLAN LIMIT PERSISTENT 10 TRANSIENT INFINITE MACPROTECT ON\n"), 0);
	v = lan_find(&e->cp.lans, "SYSTEM", "VSW1");
	REQUIRE(v);
	REQUIRE(lan_grant_find(v, "LINUX02") != NULL);
	CHECK_EQ(lan_grant_find(v, "LINUX02")->porttype, LAN_TRUNK);
	CHECK(lan_vlan_has(&lan_grant_find(v, "LINUX02")->vlans, 8));
	CHECK(!lan_vlan_has(&lan_grant_find(v, "LINUX02")->vlans, 6));
	CHECK_EQ(e->cp.vmlan.prefix[1], 0xAB);
	CHECK_EQ(e->cp.vmlan.user_prefix[2], 0x11);
	CHECK_EQ(e->cp.vmlan.sys_lo, 0x100);
	CHECK_EQ(e->cp.vmlan.user_lo, 0x180);
	CHECK_EQ(e->cp.vmlan.limit_persistent, 10);
	CHECK(e->cp.vmlan.macprotect);
	/* A failing VMLAN statement changes nothing (all or nothing). */
	CHECK_EQ(cfg(e, "VMLAN MACPREFIX 020000 LIMIT PERSISTENT 9999\n"), 1);
	CHECK_EQ(e->cp.vmlan.prefix[1], 0xAB);
	env_free(e);
}

TEST(config_autolog_users_checked_against_directory)
{
	struct env *e = env_new();
	static const char dir[] = "USER LINUX01 PW G\n";

	REQUIRE(e);
	CHECK_EQ(cfg(e, "AUTOLOG LINUX01\nAUTOLOG GHOST LINUX01\n"), 1);
	CHECK(has(e, "sys.cfg:2: HCPCFG9401E AUTOLOG LINUX01 was already defined at line 1"));
	CHECK_EQ(e->cp.nautolog, 2);
	CHECK_EQ(dir_parse(&e->cp.dir, "user.direct", dir, strlen(dir), &e->o), 0);
	out_reset(&e->o);
	CHECK_EQ(config_check_users(&e->cp, &e->o), 1);
	CHECK(has(e, "sys.cfg:2: HCPCFG9413E GHOST is not in the user directory"));
	env_free(e);
}

TEST(dir_users_nicdefs_and_errors)
{
	struct env *e = env_new();
	const struct dir_user *u;
	static const char text[] =
		"* directory\n"
		"NICDEF 0600 TYPE QDIO\n"			/* 2: outside USER */
		"USER LINUX01 SECRET 1G 2G BG\n"		/* 3 */
		"  MACHINE ESA 4\n"				/* 4: ignored */
		"  NICDEF 0600 TYPE QDIO DEV 4 LAN SYSTEM VSW1 MACID 00F001 PORTTYPE TRUNK VLAN 2 4-6 PROMISC\n"
		"  IPADDR 0600 10.0.0.1/24\n"			/* 6 */
		"  NICDEF 0602 TYPE QDIO\n"			/* 7: overlaps 0600-0603 */
		"  NICDEF 0700 TYPE HIPERS CHPID 1F PORTNUMBER 9999\n"	/* 8: out of range */
		"  NICDEF 0800 BOGUS\n"				/* 9 */
		"  NICDEF ZZZZZ\n"				/* 10 */
		"  IPADDR 0900 10.0.0.2\n"			/* 11: no such NICDEF */
		"USER LINUX01 OTHER G\n"			/* 12: duplicate */
		"USER BADCLASS PW abc!\n"			/* 13 */
		"USER NOPW\n"					/* 14 */
		"WHATEVER X\n";					/* 15 */

	REQUIRE(e);
	CHECK_EQ(dir_parse(&e->cp.dir, "user.direct", text, strlen(text), &e->o), 10);
	CHECK(has(e, "user.direct:2: HCPDIR9410E NICDEF statement outside a USER entry"));
	CHECK(has(e, "user.direct:7: HCPDIR9412E NICDEF 0602 (devices 0602-0604) of LINUX01 overlaps "
		     "NICDEF 0600 (devices 0600-0603) at line 5; this statement is ignored"));
	CHECK(has(e, "user.direct:8: HCPCMD9010E Value 9999 for PORTNUMBER is out of range (1-2048)"));
	CHECK(has(e, "user.direct:9: HCPCMD003E Invalid option - BOGUS"));
	CHECK(has(e, "user.direct:10: HCPCMD022E"));
	CHECK(has(e, "user.direct:11: HCPCMD040E Device 0900 does not exist"));
	CHECK(has(e, "user.direct:12: HCPDIR9411E USER LINUX01 was already defined at line 3"));
	CHECK(has(e, "user.direct:13: HCPCMD002E Invalid operand - abc!"));
	CHECK(has(e, "user.direct:14: HCPCMD026E"));
	CHECK(has(e, "user.direct:15: HCPCFG9400E Unknown statement - WHATEVER"));
	u = dir_find(&e->cp.dir, "LINUX01");
	REQUIRE(u);
	CHECK_STR(u->password, "SECRET");
	CHECK_STR(u->classes, "BG");
	REQUIRE(u->nnics == 1);
	CHECK_EQ(u->nics[0].vdev, 0x600);
	CHECK_EQ(u->nics[0].ndev, 4);
	CHECK(u->nics[0].has_lan);
	CHECK_STR(u->nics[0].lan_owner, "SYSTEM");
	CHECK_STR(u->nics[0].lan_name, "VSW1");
	CHECK_EQ(u->nics[0].macid, 0xF001);
	CHECK_EQ(u->nics[0].porttype, LAN_TRUNK);
	CHECK(lan_vlan_has(&u->nics[0].vlans, 5));
	CHECK_EQ(u->nics[0].promisc, 1);
	CHECK(u->nics[0].has_ip);
	CHECK_EQ(u->nics[0].ip[3], 1);
	CHECK_EQ(u->nics[0].prefix, 24);
	CHECK(dir_find(&e->cp.dir, "BADCLASS") == NULL);
	env_free(e);
}

TEST(config_check_mode_missing_file)
{
	struct env *e = env_new();

	REQUIRE(e);
	CHECK_EQ(config_load(&e->cp, "/nonexistent/system.config", &e->o), 1);
	CHECK(has(e, "HCPCFG9406E Cannot read /nonexistent/system.config"));
	env_free(e);
}

static struct lanbk *sys_lan(struct env *e, const char *name)
{
	return lan_find(&e->cp.lans, "SYSTEM", name);
}

/* samples/ssi.config, as z/VM installations write them: two systems, qualified
 * records, BEGIN/END blocks, continuation lines, comments, non-network statements. */
static int ssi_sample(struct env *e)
{
	char *text;
	size_t len;
	int rc;

	if (stmt_read_file("samples/ssi.config", &text, &len) < 0)
		return -1;
	out_reset(&e->o);
	rc = config_parse(&e->cp, "ssi.config", text, len, &e->o);
	free(text);
	return rc;
}

TEST(config_multi_system_sample_applies_only_this_systems_records)
{
	struct {
		const char *forced, *lpar, *name;
		bool prod, test;
	} cases[] = {
		{ "ZVMPROD", "", "ZVMPROD", true, false },	/* --system-name */
		{ "ZVMTEST", "VMPROD1", "ZVMTEST", false, true },	/* it beats SYSTEM_IDENTIFIER */
		{ "", "VMPROD1", "ZVMPROD", true, false },	/* SYSTEM_IDENTIFIER LPAR */
		{ "", "vmtest1", "ZVMTEST", false, true },
		{ "", "ELSEWHERE", "ZVMTEST", false, true },	/* SYSTEM_IDENTIFIER_DEFAULT */
		{ "OTHER", "", "OTHER", false, false },		/* a third system: common only */
	};

	for (size_t i = 0; i < CPNET_ARRAY_SIZE(cases); i++) {
		struct env *e = env_new();
		struct lanbk *p1;

		REQUIRE(e);
		snprintf(e->cp.sysid.forced, sizeof(e->cp.sysid.forced), "%s", cases[i].forced);
		snprintf(e->cp.sysid.lpar, sizeof(e->cp.sysid.lpar), "%s", cases[i].lpar);
		CHECK_EQ(ssi_sample(e), 0);
		if (e->o.nerr)
			tc_fail(t, __FILE__, __LINE__, "case %zu: %s", i, e->o.buf);
		CHECK_STR(e->cp.sysid.name, cases[i].name);
		CHECK(sys_lan(e, "GLAN1") != NULL);
		CHECK_EQ(sys_lan(e, "PRODSW1") != NULL, cases[i].prod);
		CHECK_EQ(sys_lan(e, "PRODSW2") != NULL, cases[i].prod);
		CHECK_EQ(sys_lan(e, "TESTSW1") != NULL, cases[i].test);
		CHECK_EQ(sys_lan(e, "TESTSW2") != NULL, cases[i].test);
		CHECK_EQ(e->cp.lans.n, 1u + 2u * (cases[i].prod + cases[i].test));
		p1 = sys_lan(e, "PRODSW1");
		if (p1) {	/* the continued DEFINE and the block's MODIFY applied */
			CHECK(p1->vlan_aware);
			CHECK_EQ(p1->defvid, 100);
			CHECK(lan_grant_find(p1, "LINUX01") != NULL);
		}
		if (sys_lan(e, "TESTSW1"))
			CHECK(lan_grant_find(sys_lan(e, "TESTSW1"), "LINUX02") != NULL);
		env_free(e);
	}
}

TEST(config_system_identifier_forms_and_qualifier_spellings)
{
	struct env *e = env_new();

	REQUIRE(e);
	/* type and cpuid: '*' for any, one '*' per digit. */
	snprintf(e->cp.sysid.type, sizeof(e->cp.sysid.type), "3931");
	snprintf(e->cp.sysid.cpuid, sizeof(e->cp.sysid.cpuid), "0A1B2C");
	CHECK_EQ(cfg(e, "SYSTEM_IDENTIFIER 2964 * ZVMOLD\n"
			"SYSTEM_IDENTIFIER 3931 0A1B** ZVMNEW\n"
			"SYSTEM_IDENTIFIER * * ZVMANY\n"
			"ZVMNEW:DEFINE VSWITCH NEW1\n"		/* no blank after the colon */
			"zvmnew: DEFINE VSWITCH NEW2\n"		/* any case */
			"ZVMANY: DEFINE VSWITCH ANY1\n"
			"ZVMOLD: DEFINE VSWITCH OLD1 FROB\n"),	/* not ours: not parsed */
		 0);
	CHECK_STR(e->cp.sysid.name, "ZVMNEW");
	CHECK(sys_lan(e, "NEW1") && sys_lan(e, "NEW2"));
	CHECK(!sys_lan(e, "ANY1") && !sys_lan(e, "OLD1"));
	/* A SYSTEM_IDENTIFIER after the qualified records still counts; without a
	 * SYSTEM_IDENTIFIER_DEFAULT an unmatched host has no name: common records only. */
	env_free(e);
	e = env_new();
	REQUIRE(e);
	snprintf(e->cp.sysid.lpar, sizeof(e->cp.sysid.lpar), "LP1");
	CHECK_EQ(cfg(e, "ZVMA: DEFINE VSWITCH A1\nDEFINE VSWITCH C1\nSYSTEM_IDENTIFIER LPAR LP1 ZVMA\n"), 0);
	CHECK(sys_lan(e, "A1") && sys_lan(e, "C1"));
	CHECK_EQ(cfg(e, "SYSTEM_IDENTIFIER LPAR LP2 ZVMB\nZVMB: DEFINE VSWITCH B1\n"), 0);
	CHECK_STR(e->cp.sysid.name, "");
	CHECK(!sys_lan(e, "B1"));
	/* z/VM statements without network meaning, DEFINE/MODIFY of other objects. */
	CHECK_EQ(cfg(e, "CP_OWNED SLOT 1 M01RES\nDEVICES ONLINE_AT_IPL 0000-FFFF\n"
			"DEFINE ALIAS FOO BAR\nMODIFY COMMAND SET PRIVCLASS IBMCLASS A\n"
			"Operator_Consoles 0009 System_Console\n"), 0);
	env_free(e);
}

TEST(dir_nicdef_bandwidth)
{
	struct env *e = env_new();
	const struct dir_user *u;
	static const char text[] =
		"USER LINUX01 SECRET G\n"
		"  NICDEF 0600 TYPE QDIO LAN SYSTEM VSW1 BANDWIDTH 25M\n"
		"  NICDEF 0700 TYPE QDIO BANDWIDTH 25MB\n"		/* 3: not a rate */
		"  NICDEF 0800 TYPE QDIO BANDWIDTH 900\n"		/* 4: under 1K */
		"  NICDEF 0900 TYPE QDIO BANDWIDTH\n"			/* 5: no value */
		"  NICDEF 0A00 TYPE QDIO BANDW 1G BANDWIDTH 2G\n"	/* 6: twice */
		"  NICDEF 0B00 TYPE QDIO BANDWIDTH OFF\n";

	REQUIRE(e);
	CHECK_EQ(dir_parse(&e->cp.dir, "user.direct", text, strlen(text), &e->o), 4);
	CHECK(has(e, "user.direct:3: HCPCMD002E Invalid operand - 25MB"));
	CHECK(has(e, "user.direct:4: HCPCMD9010E Value 900 for BANDWIDTH is out of range (1K-400G)"));
	CHECK(has(e, "user.direct:5: HCPCMD1001E An operand is missing for BANDWIDTH."));
	CHECK(has(e, "user.direct:6: HCPCMD9011E Option BANDWIDTH was specified more than once"));
	u = dir_find(&e->cp.dir, "LINUX01");
	REQUIRE(u && u->nnics == 2);
	CHECK_EQ(u->nics[0].bandwidth, 25000000ull);
	CHECK_EQ(u->nics[1].vdev, 0xB00);
	CHECK_EQ(u->nics[1].bandwidth, 0);
	env_free(e);
}

/* NICDEF DEVICES is checked against what a NIC can have (NIC_MAX_DEVS), as DEFINE NIC
 * is: a directory --check accepts must not fail at LOGON. */
TEST(dir_nicdef_devices_range_is_what_logon_accepts)
{
	struct env *e = env_new();
	struct vm *vm = NULL;
	char want[96];
	static const char text[] =
		"USER LINUX01 SECRET G\n"
		"  NICDEF 0600 TYPE QDIO DEVICES 64\n"
		"  NICDEF 1000 TYPE QDIO DEVICES 65\n"		/* 3: more than a NIC has */
		"  NICDEF 2000 TYPE QDIO DEVICES 3072\n"		/* 4: z/VM's limit, not ours */
		"  NICDEF 3000 TYPE QDIO DEVICES 2\n"		/* 5 */
		"  NICDEF 4000 TYPE QDIO DEVICES X3\n";		/* 6: not a number */

	REQUIRE(e);
	CHECK_EQ(dir_parse(&e->cp.dir, "user.direct", text, strlen(text), &e->o), 4);
	snprintf(want, sizeof(want), "user.direct:3: HCPCMD9010E Value 65 for DEVICES is out of "
		 "range (3-%u)", NIC_MAX_DEVS);
	CHECK(has(e, want));
	snprintf(want, sizeof(want), "user.direct:4: HCPCMD9010E Value 3072 for DEVICES is out of "
		 "range (3-%u)", NIC_MAX_DEVS);
	CHECK(has(e, want));
	CHECK(has(e, "user.direct:5: HCPCMD9010E Value 2 for DEVICES"));
	CHECK(has(e, "user.direct:6: HCPCMD002E Invalid operand - X3"));
	/* What the parse kept comes up at LOGON, without a message. */
	out_reset(&e->o);
	CHECK_EQ(cp_logon(&e->cp, "LINUX01", "SECRET", &e->o, &vm), 0);
	REQUIRE(vm && vm->nnics == 1);
	CHECK_EQ(vm->nics[0]->ndev, 64);
	CHECK(!has(e, "HCPCMD9010E"));
	env_free(e);
}

TEST(config_modify_vswitch_portnumber_bandwidth)
{
	struct env *e = env_new();
	struct lanbk *lan;

	REQUIRE(e);
	CHECK_EQ(cfg(e, "DEFINE VSWITCH V1 ETHERNET\n"
			"MODIFY VSWITCH V1 PORTNUMBER 3 BANDWIDTH 1G\n"
			"MODIFY VSWITCH V1 PORTNUMBER 3 BANDWIDTH 1X\n"
			"MODIFY VSWITCH V1 PORTNUMBER 9999 BANDWIDTH 1M\n"), 2);
	CHECK(has(e, "sys.cfg:3: HCPCMD002E Invalid operand - 1X"));
	CHECK(has(e, "sys.cfg:4: HCPCMD9010E Value 9999 for PORTNUMBER is out of range (1-2048)"));
	lan = lan_find(&e->cp.lans, "SYSTEM", "V1");
	REQUIRE(lan);
	CHECK_EQ(lan_portnum_cap(lan, 3), 1000000000ull);
	CHECK_EQ(lan->npcaps, 1);
	env_free(e);
}
