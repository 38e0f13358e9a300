/* tests/unit/test_cmds.c - CP commands: tables and abbreviations, privilege classes,
 * hostile operands (message IDs, no change of state), output shapes, life cycle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds/cmds.h"
#include "cp/config.h"
#include "cp/lanops.h"
#include "cp/msg.h"
#include "cp/server.h"
#include "driver/guest.h"
#include "qeth/ipa.h"
#include "tests/tcheck.h"
#include "vswitch/switch.h"

static const char test_dir[] =
	"USER OPERATOR OPERATOR ABCDEFG\n"
	"USER ALICE ALICEPW G\n"
	"  NICDEF 0600 TYPE QDIO LAN SYSTEM VSW1\n"
	"USER BOB BOBPW G\n"
	"USER LINUX01 NOLOG G\n"
	"  NICDEF 0600 TYPE QDIO LAN SYSTEM VSW1\n"
	"  IPADDR 0600 10.1.0.1/24\n"
	"  NICDEF 0700 TYPE QDIO LAN SYSTEM GLAN1\n"
	"  IPADDR 0700 10.2.0.1/24\n"
	"USER LINUX02 NOLOG G\n"
	"  NICDEF 0600 TYPE QDIO LAN SYSTEM VSW1\n"
	"  IPADDR 0600 10.1.0.2/24\n"
	"  NICDEF 0700 TYPE QDIO LAN SYSTEM GLAN1\n"
	"  IPADDR 0700 10.2.0.2/24\n";

struct env {
	struct cp cp;
	struct out o;
	struct vm *op, *alice, *bob;
};

static struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof(*e));
	struct out o;

	if (!e)
		return NULL;
	cp_init(&e->cp, 7);
	out_init(&e->o);
	out_init(&o);
	if (dir_parse(&e->cp.dir, "dir", test_dir, strlen(test_dir), &o) != 0 ||
	    cp_logon(&e->cp, "OPERATOR", "OPERATOR", &o, &e->op) != 0 ||
	    cp_logon(&e->cp, "ALICE", "ALICEPW", &o, &e->alice) != 0 ||
	    cp_logon(&e->cp, "BOB", "BOBPW", &o, &e->bob) != 0) {
		out_free(&o);
		return NULL;
	}
	out_free(&o);
	return e;
}

static void env_free(struct env *e)
{
	cp_free(&e->cp);
	out_free(&e->o);
	free(e);
}

static int run(struct env *e, struct vm *vm, const char *line)
{
	out_reset(&e->o);
	return cmd_execute(&e->cp, vm, line, strlen(line), &e->o);
}

static const char *outp(const struct env *e)
{
	return e->o.buf ? e->o.buf : "";
}

#define CHECK_OUT(e, s)                                                              \
	do {                                                                         \
		t->checks++;                                                         \
		if (!strstr(outp(e), (s)))                                           \
			tc_fail(t, __FILE__, __LINE__, "output lacks \"%s\":\n%s", (s), outp(e)); \
	} while (0)

/* ---- catalogue and tables --------------------------------------------------------- */

TEST(cmds_catalogue_ids_unique_and_formats_safe)
{
	const struct msg_def *m, *n;
	char buf[256];

	for (unsigned i = 0; (m = msg_at(i)) != NULL; i++) {
		size_t cl = strlen(m->code);

		CHECK(!strncmp(m->code, "HCP", 3));
		CHECK(strchr("EWIR", m->code[cl - 1]) != NULL);
		CHECK(msg_by_code(m->code) == m);
		for (unsigned j = i + 1; (n = msg_at(j)) != NULL; j++)
			CHECK(strcmp(m->code, n->code) != 0);
		/* Only %s (with flags/width) conversions: arguments are always strings. */
		for (const char *p = m->fmt; (p = strchr(p, '%')) != NULL; p++) {
			p++;
			while (*p == '-' || (*p >= '0' && *p <= '9'))
				p++;
			CHECK(*p == 's');
		}
	}
	CHECK(msg_at(0) != NULL);
	CHECK(msg_format(buf, sizeof(buf), MSG_INV_OPTION, "FOO") > 0);
	CHECK_STR(buf, "HCPCMD003E Invalid option - FOO");
	CHECK(msg_format(buf, sizeof(buf), MSG_R_COMPLETE) > 0);
	CHECK_STR(buf, "Command complete");
	CHECK_EQ(msg_def(MSG_LAN_NOT_AUTH)->rc, 9103);
	CHECK(msg_format(buf, sizeof(buf), (enum msg_id)9999) < 0);
	msg_sanitize(buf, 16, "ab\x01\xff" "cdefghijklmnopqrstuvwxyz", 24);
	CHECK_STR(buf, "ab..cdefghij...");
}

static void check_table(struct tctx *t, const char *what, const char *const *names,
			const uint8_t *mins, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned mi = mins[i] ? mins[i] : (unsigned)strlen(names[i]);
		char ab[32];

		if (i + 1 < n && strcmp(names[i], names[i + 1]) >= 0)
			tc_fail(t, __FILE__, __LINE__, "%s: %s and %s not sorted", what, names[i],
				names[i + 1]);
		/* The minimum abbreviation of one entry must not abbreviate another. */
		snprintf(ab, sizeof(ab), "%.*s", (int)mi, names[i]);
		for (size_t j = 0; j < n; j++) {
			unsigned mj = mins[j] ? mins[j] : (unsigned)strlen(names[j]);

			if (j != i && kw_abbrev(ab, names[j], mj))
				tc_fail(t, __FILE__, __LINE__, "%s: %s abbreviates %s", what, ab, names[j]);
		}
		t->checks++;
	}
}

TEST(cmds_tables_sorted_and_abbreviations_unique)
{
	size_t n;
	const struct cmd_def *top = cmd_table(&n);
	const char *names[64];
	uint8_t mins[64];

	for (size_t i = 0; i < n; i++) {
		names[i] = top[i].name;
		mins[i] = top[i].min;
		CHECK(top[i].usage && top[i].classes);
		CHECK((top[i].fn != NULL) != (top[i].sub != NULL));
		if (top[i].sub) {
			const char *sn[16];
			uint8_t sm[16];

			for (size_t k = 0; k < top[i].nsub; k++) {
				sn[k] = top[i].sub[k].name;
				sm[k] = top[i].sub[k].min;
				CHECK(top[i].sub[k].fn != NULL);
			}
			check_table(t, top[i].name, sn, sm, top[i].nsub);
		}
	}
	check_table(t, "commands", names, mins, n);
	for (int w = 0; w < 6; w++) {
		const struct kw *k = lanops_table(w, &n);

		for (size_t i = 0; i < n; i++) {
			names[i] = k[i].name;
			mins[i] = k[i].min;
		}
		check_table(t, "lanops", names, mins, n);
	}
	{
		const struct kw *k = setnic_table(&n);

		for (size_t i = 0; i < n; i++) {
			names[i] = k[i].name;
			mins[i] = k[i].min;
		}
		check_table(t, "SET NIC", names, mins, n);
	}
	{
		const struct kw *k = config_table(&n);
		const char *cn[128];
		uint8_t cm[128];

		REQUIRE(n <= 128);
		for (size_t i = 0; i < n; i++) {
			cn[i] = k[i].name;
			cm[i] = k[i].min;
		}
		check_table(t, "SYSTEM CONFIG", cn, cm, n);
	}
}

TEST(cmds_kw_lookup_prefix_rules_and_ambiguity)
{
	static const struct kw tab[] = {
		{ "PORTNAME", 4, 1 }, { "PORTNUMBER", 4, 2 }, { "PROMISCUOUS", 3, 3 },
	};

	CHECK_EQ(KW_LOOKUP(tab, "PORTNA"), 1);
	CHECK_EQ(KW_LOOKUP(tab, "portnu"), 2);
	CHECK_EQ(KW_LOOKUP(tab, "PORT"), KW_AMBIG);	/* both names: rejected */
	CHECK_EQ(KW_LOOKUP(tab, "POR"), KW_NONE);	/* under the minimum */
	CHECK_EQ(KW_LOOKUP(tab, "PRO"), 3);
	CHECK_EQ(KW_LOOKUP(tab, "PROMISCUOUSX"), KW_NONE);
	CHECK_EQ(KW_LOOKUP(tab, ""), KW_NONE);
	CHECK(kw_abbrev("q", "QUERY", 1));
	CHECK(!kw_abbrev("QX", "QUERY", 1));
}

TEST(cmds_abbreviations_select_commands)
{
	struct env *e = env_new();

	REQUIRE(e);
	CHECK_EQ(run(e, e->op, "DEF VSW VSW1"), 0);
	CHECK_OUT(e, "VSWITCH SYSTEM VSW1 is created");
	CHECK_EQ(run(e, e->op, "q vsw vsw1"), 0);
	CHECK_OUT(e, "VSWITCH SYSTEM VSW1");
	CHECK_EQ(run(e, e->op, "QUERY VSWITCH VSW1 DETAILS"), 0);
	CHECK_OUT(e, "Adapter Connections: Connected: 0");
	CHECK_EQ(run(e, e->op, "Query Vswitch"), 0);
	CHECK_EQ(run(e, e->op, "DE VSW VSW2"), 1);	/* DE: shorter than DEFine/DETach */
	CHECK_OUT(e, "HCPCMD001E Unknown CP command: DE");
	CHECK_EQ(run(e, e->op, "DEFINE VS X"), 3);
	CHECK_OUT(e, "HCPCMD003E Invalid option - VS");
	CHECK_EQ(run(e, e->op, "QUERYX VSW"), 1);
	env_free(e);
}

TEST(cmds_privilege_classes_enforced)
{
	struct env *e = env_new();
	unsigned nlans;

	REQUIRE(e);
	/* Class G: class-B subcommands look like bad options, class-A commands unknown. */
	CHECK_EQ(run(e, e->alice, "DEFINE VSWITCH VSWX"), 3);
	CHECK_OUT(e, "HCPCMD003E Invalid option - VSWITCH");
	CHECK_EQ(e->cp.lans.n, 0);
	CHECK_EQ(run(e, e->alice, "FORCE BOB"), 1);
	CHECK_OUT(e, "HCPCMD001E Unknown CP command: FORCE");
	CHECK(cp_find_vm(&e->cp, "BOB") != NULL);
	CHECK_EQ(run(e, e->alice, "SET VSWITCH X GRANT ALICE"), 3);
	CHECK_EQ(run(e, e->alice, "QUERY VSWITCH"), 3);
	CHECK_EQ(run(e, e->alice, "AUTOLOG LINUX01"), 1);
	CHECK(cp_find_vm(&e->cp, "LINUX01") == NULL);
	/* Class G may define only its own LANs. */
	CHECK_EQ(run(e, e->alice, "DEFINE LAN MINE"), 0);
	CHECK_OUT(e, "LAN ALICE MINE is created");
	nlans = e->cp.lans.n;
	CHECK_EQ(run(e, e->alice, "DEFINE LAN HIS OWNERID BOB"), 9108);
	CHECK_EQ(run(e, e->alice, "DETACH LAN MINE OWNERID BOB"), 9108);
	CHECK_EQ(e->cp.lans.n, nlans);
	/* Class B may. */
	CHECK_EQ(run(e, e->op, "DEFINE LAN HIS OWNERID BOB"), 0);
	CHECK_OUT(e, "LAN BOB HIS is created");
	/* Everybody may QUERY VMLAN and LOGOFF; only class G DEFINE NIC. */
	CHECK_EQ(run(e, e->alice, "Q VMLAN"), 0);
	CHECK_EQ(run(e, e->op, "DEFINE NIC 600"), 0);	/* OPERATOR has G too */
	env_free(e);
}

TEST(cmds_hostile_operands_leave_state_unchanged)
{
	static const struct {
		const char *line;
		const char *id;
	} cases[] = {
		{ "DEFINE VSWITCH VSW1 BOGUS", "HCPCMD003E" },
		{ "DEFINE VSWITCH VSW1 IPTIMEOUT 0", "HCPCMD9010E" },
		{ "DEFINE VSWITCH VSW1 QUEUESTORAGE 512", "HCPCMD9010E" },
		{ "DEFINE VSWITCH VSW1 VLAN", "HCPCMD1001E" },
		{ "DEFINE VSWITCH VSW1 IP IP", "HCPCMD9011E" },
		{ "DEFINE VSWITCH VSW1 CONNECT DISCONNECT", "HCPCMD013E" },
		{ "DEFINE VSWITCH VSW1 ETHERNET PRIROUTER", "HCPCMD003E" },
		{ "DEFINE VSWITCH VSW1 IPTIMEOUT 99999999999", "HCPCMD002E" },
		{ "DEFINE VSWITCH 1234567890", "HCPCMD002E" },
		{ "DEFINE VSWITCH", "HCPCMD026E" },
		{ "DEFINE LAN L1 MAXCONN 0", "HCPCMD9010E" },
		{ "DEFINE LAN L1 TYPE FOO", "HCPCMD002E" },
		{ "DEFINE NIC", "HCPCMD026E" },
		{ "DEFINE NIC 12345", "HCPCMD022E" },
		{ "DEFINE NIC 600 DEVICES 2", "HCPCMD9010E" },
		{ "DEFINE NIC 600 DEVICES 100", "HCPCMD9010E" },	/* > NIC_MAX_DEVS */
		{ "DEFINE NIC 600 DEVICES 5000", "HCPCMD9010E Value 5000 for DEVICES is out of range (3-64)" },
		{ "DEFINE NIC 600 DEVICES 3072", "HCPCMD9010E Value 3072 for DEVICES is out of range (3-64)" },
		{ "DEFINE NIC 600 DEVICES 6X", "HCPCMD002E Invalid operand - 6X" },
		{ "DEFINE NIC FFFE", "HCPCMD022E" },
		{ "DEFINE NIC 600 QDIO HIPERS", "HCPCMD013E" },
		{ "DEFINE NIC 600 MACID GGGGGG", "HCPCMD002E" },
		{ "COUPLE 600 SYSTEM VSW1", "HCPCMD040E" },
		{ "UNCOUPLE 601", "HCPCMD040E" },
		{ "SET VSWITCH NOSUCH GRANT ALICE", "HCPLAN9101E" },
		{ "SET VMLAN MACPREFIX 0200", "HCPCMD002E" },
		{ "FORCE NOBODY", "HCPCMD045E" },
		{ "AUTOLOG NOBODY", "HCPLGA053E" },
		{ "PING LINUX01 300.1.1.1", "HCPCMD002E" },
		{ "QUERY LAN X Y", "HCPCMD003E" },
		{ "QUERY", "HCPCMD026E" },
		{ "Q NIC 600 DETAILS EXTRA", "HCPCMD003E" },
		{ "\x01\x02\xff\xfe", "HCPCMD001E" },
		{ "DEFINE VSWITCH V\x01", "HCPCMD002E" },
	};
	struct env *e = env_new();
	struct vnic *n;

	REQUIRE(e);
	for (size_t i = 0; i < CPNET_ARRAY_SIZE(cases); i++) {
		int rc = run(e, e->op, cases[i].line);

		if (rc == 0 || strncmp(outp(e), cases[i].id, strlen(cases[i].id)))
			tc_fail(t, __FILE__, __LINE__, "\"%s\": rc %d, want %s, got %s", cases[i].line,
				rc, cases[i].id, outp(e));
		CHECK_EQ(e->cp.lans.n, 0);
		CHECK_EQ(e->op->nnics, 0);
	}
	/* A 100 KB line and a line with NUL bytes. */
	{
		size_t big = 100 * 1024;
		char *l = malloc(big);
		int rc;

		REQUIRE(l);
		memset(l, 'A', big);
		out_reset(&e->o);
		rc = cmd_execute(&e->cp, e->op, l, big, &e->o);
		CHECK_EQ(rc, 9002);
		CHECK_OUT(e, "HCPCMD9002E Command line too long");
		memcpy(l, "DEF\0VSW X", 9);
		out_reset(&e->o);
		rc = cmd_execute(&e->cp, e->op, l, 9, &e->o);
		CHECK_EQ(rc, 1);
		free(l);
	}
	CHECK_EQ(e->cp.lans.n, 0);
	/* Duplicates. */
	CHECK_EQ(run(e, e->op, "DEFINE VSWITCH VSW1"), 0);
	CHECK_EQ(run(e, e->op, "DEFINE VSWITCH VSW1 IP"), 9100);
	CHECK_OUT(e, "HCPLAN9100E VSWITCH SYSTEM VSW1 already exists");
	CHECK_EQ(lan_find(&e->cp.lans, "SYSTEM", "VSW1")->transport, LAN_ETHERNET);
	CHECK_EQ(run(e, e->op, "DEFINE LAN VSW1 OWNERID SYSTEM"), 9100);
	CHECK_EQ(run(e, e->alice, "DEFINE NIC 600"), 9200);	/* NICDEF made 0600 */
	CHECK_OUT(e, "HCPNIC9200E Device 0600 already exists");
	CHECK_EQ(run(e, e->alice, "DEFINE NIC 5FE"), 9200);	/* 05FE-0600 overlaps */
	CHECK_EQ(e->alice->nnics, 1);
	n = vm_find_nic(e->alice, 0x600);
	REQUIRE(n);
	CHECK(n->lan == NULL);	/* VSW1 did not exist at its LOGON */
	/* GRANT: too many userids, REVOKE of one not granted. */
	CHECK_EQ(run(e, e->op, "SET VSWITCH VSW1 GRANT A B C D E F G H I"), 9107);
	CHECK_EQ(lan_find(&e->cp.lans, "SYSTEM", "VSW1")->ngrants, 0);
	CHECK_EQ(run(e, e->op, "SET VSWITCH VSW1 REVOKE ALICE"), 9106);
	CHECK_OUT(e, "HCPLAN9106E ALICE is not in the access list of VSWITCH SYSTEM VSW1");
	env_free(e);
}

TEST(cmds_couple_needs_grant_and_follows_lan)
{
	struct env *e = env_new();
	struct lanbk *v;
	struct vnic *n;

	REQUIRE(e);
	REQUIRE(run(e, e->op, "DEFINE VSWITCH VSW1 ETHERNET") == 0);
	v = lan_find(&e->cp.lans, "SYSTEM", "VSW1");
	REQUIRE(v);
	n = vm_find_nic(e->alice, 0x600);
	REQUIRE(n);
	/* Missing GRANT. */
	CHECK_EQ(run(e, e->alice, "COUPLE 600"), 9103);
	CHECK_OUT(e, "HCPLAN9103E ALICE is not authorized to couple to VSWITCH SYSTEM VSW1");
	CHECK(n->lan == NULL);
	CHECK_EQ(run(e, e->op, "SET VSW VSW1 GRANT ALICE"), 0);
	CHECK_OUT(e, "Command complete");
	/* No target: the NICDEF's LAN. */
	CHECK_EQ(run(e, e->alice, "COUPLE 600"), 0);
	CHECK_OUT(e, "NIC 0600 is connected to VSWITCH SYSTEM VSW1");
	CHECK(n->lan == v);
	CHECK_EQ(v->nguests, 1);
	CHECK_EQ(run(e, e->alice, "COUPLE 600 TO SYSTEM VSW1"), 9202);
	CHECK_EQ(run(e, e->alice, "QUERY NIC 600"), 0);
	CHECK_OUT(e, "Adapter 0600.P00 Type: QDIO      Name: UNASSIGNED  Devices: 3\n");
	CHECK_OUT(e, "VSWITCH: SYSTEM VSW1\n");
	CHECK_EQ(run(e, e->op, "QUERY VSWITCH VSW1 ACCESSLIST"), 0);
	CHECK_OUT(e, "  Authorized userids:\n    ALICE    Porttype: Access VLAN: NONE\n");
	/* Port number in use, HIPERS NIC on a QDIO switch, MAXCONN. */
	CHECK_EQ(run(e, e->op, "SET VSW VSW1 GRANT BOB"), 0);
	CHECK_EQ(run(e, e->bob, "DEFINE NIC 700 HIPERS"), 0);
	CHECK_EQ(run(e, e->bob, "COUPLE 700 SYSTEM VSW1"), 9204);
	CHECK_EQ(run(e, e->bob, "DEFINE NIC 800"), 0);
	CHECK_EQ(run(e, e->bob, "COUPLE 800 SYSTEM VSW1 PORTNUMBER 1"), 9105);
	CHECK_EQ(run(e, e->bob, "COUPLE 800 SYSTEM VSW1 PORTNUMBER 0"), 9010);
	/* A port number defined for another user is not BOB's to take. */
	CHECK_EQ(run(e, e->op, "SET VSWITCH VSW1 PORTNUMBER 9 USERID ALICE"), 0);
	CHECK_EQ(run(e, e->bob, "COUPLE 800 SYSTEM VSW1 PORTNUMBER 9"), 9112);
	CHECK_OUT(e, "HCPLAN9112E Port number 9 on VSWITCH SYSTEM VSW1 is defined for ALICE, "
		  "not for BOB");
	CHECK_EQ(run(e, e->bob, "COUPLE 800 SYSTEM VSW1 PORTNUMBER 7"), 0);
	CHECK_EQ(v->nguests, 2);
	/* DETACH VSWITCH uncouples everyone. */
	CHECK_EQ(run(e, e->op, "DETACH VSWITCH VSW1"), 0);
	CHECK_OUT(e, "VSWITCH SYSTEM VSW1 is destroyed");
	CHECK(n->lan == NULL);
	CHECK_EQ(run(e, e->alice, "UNCOUPLE 600"), 9203);
	CHECK_EQ(run(e, e->alice, "DETACH NIC 600"), 0);
	CHECK_OUT(e, "NIC 0600 is destroyed; devices 0600-0602 detached");
	CHECK_EQ(e->alice->nnics, 0);
	env_free(e);
}

/* DETACH NIC of a coupled NIC tells what UNCOUPLE would have, then that it is gone:
 * the user sees the NIC leave its LAN (it did, the LAN's connection count drops). */
TEST(cmds_detach_coupled_nic_says_disconnected_then_destroyed)
{
	struct env *e = env_new();

	REQUIRE(e);
	REQUIRE(run(e, e->op, "DEFINE VSWITCH VSW1 RDEV NONE ETHERNET") == 0);
	REQUIRE(run(e, e->op, "SET VSWITCH VSW1 GRANT BOB") == 0);
	REQUIRE(run(e, e->bob, "DEFINE NIC 700 TYPE QDIO") == 0);
	REQUIRE(run(e, e->bob, "COUPLE 700 TO SYSTEM VSW1") == 0);
	CHECK_EQ(run(e, e->bob, "DETACH NIC 700"), 0);
	CHECK_STR(outp(e), "NIC 0700 is disconnected from VSWITCH SYSTEM VSW1\n"
			   "NIC 0700 is destroyed; devices 0700-0702 detached\n");
	CHECK_EQ(e->bob->nnics, 0);
	CHECK_EQ(run(e, e->op, "QUERY VSWITCH VSW1"), 0);
	CHECK_OUT(e, "Connected: 0 ");
	/* Not coupled: only the second line. */
	REQUIRE(run(e, e->bob, "DEFINE NIC 800 TYPE QDIO") == 0);
	CHECK_EQ(run(e, e->bob, "DETACH NIC 800"), 0);
	CHECK_STR(outp(e), "NIC 0800 is destroyed; devices 0800-0802 detached\n");
	env_free(e);
}

TEST(cmds_logoff_releases_only_its_own)
{
	struct env *e = env_new();
	struct vnic *bn;

	REQUIRE(e);
	REQUIRE(run(e, e->alice, "DEFINE LAN ALAN") == 0);	/* transient, ALICE's */
	REQUIRE(run(e, e->alice, "DEFINE LAN KEEP") == 0);
	REQUIRE(run(e, e->alice, "DEFINE NIC 900") == 0);
	REQUIRE(run(e, e->alice, "COUPLE 900 ALICE ALAN") == 0);
	REQUIRE(run(e, e->bob, "DEFINE NIC 900") == 0);
	REQUIRE(run(e, e->bob, "COUPLE 900 ALICE KEEP") == 0);
	bn = vm_find_nic(e->bob, 0x900);
	REQUIRE(bn && bn->lan);
	CHECK_EQ(e->cp.lans.n, 2);
	/* ALICE goes: ALAN (nothing coupled after her NIC left) goes, KEEP has BOB. */
	cp_session_end(&e->cp, e->alice);
	e->alice = NULL;
	CHECK(cp_find_vm(&e->cp, "ALICE") == NULL);
	CHECK(lan_find(&e->cp.lans, "ALICE", "ALAN") == NULL);
	REQUIRE(lan_find(&e->cp.lans, "ALICE", "KEEP") != NULL);
	CHECK(bn->lan == lan_find(&e->cp.lans, "ALICE", "KEEP"));
	/* BOB uncouples: the owner is gone, the transient LAN goes with the last NIC. */
	CHECK_EQ(run(e, e->bob, "UNCOUPLE 900"), 0);
	CHECK_OUT(e, "NIC 0900 is disconnected from LAN ALICE KEEP");
	CHECK(lan_find(&e->cp.lans, "ALICE", "KEEP") == NULL);
	/* FORCE by the operator; LOGOFF by oneself. */
	CHECK_EQ(run(e, e->op, "FORCE BOB"), 0);
	CHECK_OUT(e, "USER DSC   LOGOFF AS  BOB      USERS = 1    FORCED BY OPERATOR");
	CHECK(cp_find_vm(&e->cp, "BOB") == NULL);
	CHECK_EQ(run(e, e->op, "FORCE BOB"), 45);
	CHECK_OUT(e, "HCPCMD045E BOB not logged on");
	CHECK_EQ(run(e, e->op, "LOGOFF"), 0);
	CHECK_EQ(e->cp.nvms, 0);
	env_free(e);
}

/* The doc's VMLAN and LAN examples, line for line (ZVM-NETWORKING.md section 3). */
TEST(cmds_output_shapes_match_doc)
{
	struct env *e = env_new();

	REQUIRE(e);
	REQUIRE(run(e, e->op, "DEFINE LAN GLAN1 OWNERID SYSTEM") == 0);
	REQUIRE(run(e, e->op, "DEFINE LAN GLAN2 OWNERID SYSTEM") == 0);
	REQUIRE(run(e, e->op, "DEFINE VSWITCH VSW01") == 0);
	CHECK_EQ(run(e, e->op, "QUERY VMLAN"), 0);
	CHECK_STR(outp(e), "VMLAN MAC address assignment:\n"
			   "  System MAC Protection: OFF\n"
			   "  MACADDR Prefix: 020000 USER Prefix: 020000\n"
			   "  MACIDRANGE SYSTEM: 000001-FFFFFF\n"
			   "             USER:   000000-000000\n"
			   "VMLAN general activity:\n"
			   "  PERSISTENT Limit: INFINITE   Current: 3\n"
			   "  TRANSIENT  Limit: INFINITE   Current: 0\n");
	REQUIRE(run(e, e->op, "DEFINE NIC 600") == 0);
	REQUIRE(run(e, e->op, "COUPLE 600 SYSTEM GLAN1") == 0);
	CHECK_EQ(run(e, e->op, "QUERY LAN GLAN1"), 0);
	CHECK_STR(outp(e), "LAN SYSTEM GLAN1        Type: QDIO    Connected: 1    Maxconn: INFINITE\n"
			   "  PERSISTENT  UNRESTRICTED  IP                        Accounting: OFF\n"
			   "  IPTimeout: 5                 MAC Protection: Unspecified\n"
			   "  Isolation Status: OFF\n");
	CHECK_EQ(run(e, e->op, "QUERY VSWITCH VSW01"), 0);
	CHECK_STR(outp(e), "VSWITCH SYSTEM VSW01      Type: QDIO    Connected: 0 Maxconn: INFINITE\n"
			   "  PERSISTENT  RESTRICTED    ETHERNET Accounting: OFF\n"
			   "  USERBASED LOCAL\n"
			   "  VLAN Unaware\n"
			   "  MAC address: 02-00-00-00-00-02    MAC Protection: Unspecified\n"
			   "  IPTimeout: 5         QueueStorage: 8\n"
			   "  Isolation Status: OFF\n"
			   " Uplink Port:\n"
			   "  State: Ready\n"
			   "  RDEV: None\n");
	CHECK_EQ(run(e, e->op, "QUERY NIC 600"), 0);
	CHECK_STR(outp(e), "Adapter 0600.P00 Type: QDIO      Name: UNASSIGNED  Devices: 3\n"
			   "  MAC: 02-00-00-00-00-03         LAN: SYSTEM GLAN1\n");
	CHECK_EQ(run(e, e->op, "QUERY VIRTUAL OSA"), 0);
	CHECK_OUT(e, "OSA  0600 ON NIC  0600  UNIT 000 SUBCHANNEL = 0000\n"
		     "     0600 DEVTYPE OSA         CHPID 00 OSD\n");
	CHECK_EQ(run(e, e->op, "QUERY NAMES"), 0);
	CHECK_OUT(e, "ALICE    - L0002 , BOB      - L0003 , OPERATOR - L0001\n");
	env_free(e);
}

static void pump_env(struct env *e)
{
	cp_poll_guests(&e->cp);
}

TEST(cmds_autolog_synthetic_guests_ping)
{
	struct env *e = env_new();

	REQUIRE(e);
	REQUIRE(run(e, e->op, "DEFINE VSWITCH VSW1 ETHERNET") == 0);
	REQUIRE(run(e, e->op, "SET VSWITCH VSW1 GRANT LINUX01 LINUX02") == 0);
	REQUIRE(run(e, e->op, "DEFINE LAN GLAN1 OWNERID SYSTEM IP") == 0);
	CHECK_EQ(run(e, e->op, "AUTOLOG LINUX01"), 0);
	CHECK_OUT(e, "AUTO LOGON  ***       LINUX01  USERS = 4");
	CHECK_EQ(run(e, e->op, "AUTOLOG LINUX02"), 0);
	CHECK_EQ(run(e, e->op, "AUTOLOG LINUX02"), 54);
	pump_env(e);
	CHECK_EQ(run(e, e->op, "PING LINUX01 10.1.0.2 4"), 0);
	CHECK_OUT(e, "PING 10.1.0.2 from LINUX01 NIC 0600: 4 sent, 4 received");
	CHECK_EQ(run(e, e->op, "PING LINUX02 10.2.0.1"), 0);	/* layer 3 over GLAN1 */
	CHECK_OUT(e, "PING 10.2.0.1 from LINUX02 NIC 0700: 3 sent, 3 received");
	CHECK_EQ(run(e, e->op, "QUERY VSWITCH VSW1 DETAILS"), 0);
	CHECK_OUT(e, "    Adapter Owner: LINUX01  NIC: 0600.P00 Name: UNASSIGNED  Type: QDIO\n"
		     "      Port: 0001  Layer: 2  State: Started\n");
	CHECK_EQ(run(e, e->op, "QUERY LAN GLAN1 DETAILS"), 0);
	CHECK_OUT(e, "      Unicast IP Addresses:\n        10.2.0.2\n");
	/* FORCE one guest: the other keeps its NICs and the switch. */
	CHECK_EQ(run(e, e->op, "FORCE LINUX02"), 0);
	CHECK_EQ(lan_find(&e->cp.lans, "SYSTEM", "VSW1")->nguests, 1);
	CHECK_EQ(run(e, e->op, "PING LINUX01 10.1.0.2 1"), 0);
	CHECK_OUT(e, "1 sent, 0 received");
	CHECK_EQ(cp_find_vm(&e->cp, "LINUX01")->nnics, 2);
	env_free(e);
}

/* Both guests of the directory AUTOLOGged onto VSW1 (layer 2) and GLAN1 (layer 3). */
static int two_guests(struct env *e)
{
	if (run(e, e->op, "DEFINE VSWITCH VSW1 ETHERNET") ||
	    run(e, e->op, "SET VSWITCH VSW1 GRANT LINUX01 LINUX02") ||
	    run(e, e->op, "DEFINE LAN GLAN1 OWNERID SYSTEM IP") ||
	    run(e, e->op, "AUTOLOG LINUX01") || run(e, e->op, "AUTOLOG LINUX02"))
		return -1;
	pump_env(e);
	return 0;
}

/* The groups a layer-3 guest joined (SETIPM: Linux joins 224.0.0.1 and ff02::1) are
 * listed with their addresses, in QUERY LAN DETAILS as in QUERY NIC DETAILS; SETIPM
 * carries an IPv4 group in the last 4 bytes of its field, not the first. */
TEST(cmds_details_show_ipv4_groups_by_address)
{
	struct env *e = env_new();
	struct vm *g;
	char line[96];

	REQUIRE(e);
	REQUIRE(two_guests(e) == 0);
	snprintf(line, sizeof(line), "        %-39s MAC: 01-00-5E-00-00-01\n", "224.0.0.1");
	CHECK_EQ(run(e, e->op, "QUERY LAN GLAN1 DETAILS"), 0);
	CHECK_OUT(e, "      Multicast IP Addresses:\n");
	CHECK_OUT(e, line);
	CHECK(!strstr(outp(e), "0.0.0.0"));
	g = cp_find_vm(&e->cp, "LINUX01");
	REQUIRE(g);
	snprintf(line, sizeof(line), "    %-39s MAC: 01-00-5E-00-00-01\n", "224.0.0.1");
	CHECK_EQ(run(e, g, "QUERY NIC 700 DETAILS"), 0);
	CHECK_OUT(e, line);
	CHECK(!strstr(outp(e), "0.0.0.0"));
	env_free(e);
}

/* LINUX01 pings 10.1.0.9, which its neighbour table puts at a MAC no NIC has: how many
 * frames not addressed to it LINUX02's guest then received on NIC 0600. */
static unsigned long long others_seen(struct tctx *t, struct env *e, struct guest_if *watcher)
{
	unsigned long long before = watcher->stk.st.rx_not_mine;

	CHECK_EQ(run(e, e->op, "PING LINUX01 10.1.0.9 1"), 0);
	CHECK_OUT(e, "PING 10.1.0.9 from LINUX01 NIC 0600: 1 sent, 0 received");
	pump_env(e);
	return watcher->stk.st.rx_not_mine - before;
}

/* SET NIC PROMISCUOUS: the NIC's guest receives the LAN's frames addressed to others,
 * authorized like the guest's own request (GRANT ... PROMISCUOUS on a RESTRICTED
 * VSWITCH); NOPROMISCUOUS: only its own again; a NIC not coupled has no port. */
TEST(cmds_set_nic_promiscuous_shows_the_guest_others_frames)
{
	static const uint8_t nobody_ip[4] = { 10, 1, 0, 9 };
	static const uint8_t nobody_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x99, 0x99 };
	struct env *e = env_new();
	struct vm *l2;
	struct vnic *from, *watch;

	REQUIRE(e);
	REQUIRE(two_guests(e) == 0);
	l2 = cp_find_vm(&e->cp, "LINUX02");
	from = vm_find_nic(cp_find_vm(&e->cp, "LINUX01"), 0x600);
	watch = vm_find_nic(l2, 0x600);
	REQUIRE(from && from->gif && watch && watch->gif);
	REQUIRE(stack_neigh_add(&from->gif->stk, false, nobody_ip, nobody_mac) == 0);

	/* Not promiscuous: the frame to the MAC nobody has does not reach LINUX02. */
	CHECK_EQ(others_seen(t, e, watch->gif), 0);
	/* Granted without PROMISCUOUS: refused, and nothing changes. */
	CHECK_EQ(run(e, l2, "SET NIC 600 PROMISCUOUS"), 9210);
	CHECK_OUT(e, "HCPNIC9210E NIC 0600 of LINUX02 is not authorized for promiscuous mode on "
		     "VSWITCH SYSTEM VSW1");
	CHECK_EQ(others_seen(t, e, watch->gif), 0);
	REQUIRE(run(e, e->op, "SET VSWITCH VSW1 GRANT LINUX02 PROMISCUOUS") == 0);
	CHECK_EQ(run(e, l2, "SET NIC 600 PROM"), 0);
	CHECK_OUT(e, "Command complete");
	CHECK_EQ(others_seen(t, e, watch->gif), 1);
	CHECK_EQ(run(e, l2, "SET NIC 600 PROMISCUOUS"), 0);	/* again: still one copy */
	CHECK_EQ(others_seen(t, e, watch->gif), 1);
	/* The sender's own NIC is not promiscuous: it never gets its frame back. */
	CHECK_EQ(from->gif->stk.st.rx_not_mine, 0);
	CHECK_EQ(run(e, l2, "SET NIC 600 NOPROMISCUOUS"), 0);
	CHECK_EQ(others_seen(t, e, watch->gif), 0);
	env_free(e);
}

/* Who may: a NIC not coupled has no LAN to listen to; an UNRESTRICTED Guest LAN lets
 * anyone go promiscuous (a Guest LAN's GRANT has no PROMISCUOUS operand). */
TEST(cmds_set_nic_promiscuous_who_may)
{
	struct env *e = env_new();

	REQUIRE(e);
	REQUIRE(run(e, e->bob, "DEFINE NIC 700 TYPE QDIO") == 0);
	CHECK_EQ(run(e, e->bob, "SET NIC 700 PROMISCUOUS"), 9203);
	CHECK_OUT(e, "HCPNIC9203E NIC 0700 is not coupled");
	REQUIRE(run(e, e->bob, "DEFINE LAN BLAN ETHERNET") == 0);
	/* It has no access list to be put into: GRANT is refused there. */
	CHECK_EQ(run(e, e->bob, "SET LAN BLAN GRANT BOB"), 9113);
	REQUIRE(run(e, e->bob, "COUPLE 700 TO BOB BLAN") == 0);
	CHECK_EQ(run(e, e->bob, "SET NIC 700 PROMISCUOUS"), 0);
	CHECK_OUT(e, "Command complete");
	env_free(e);
}

/* SET VSWITCH takes what z/VM's SET VSWITCH changes; DEFINE's transport, VLAN
 * awareness and PORTNAME are refused also after another operand, and nothing changes;
 * nor does anything when a later operand is refused (a device twice in RDEV). */
TEST(cmds_set_vswitch_refuses_define_only_operands)
{
	static const char *const bad[] = {
		"SET VSWITCH VSW1 IPTIMEOUT 10 IP",
		"SET VSWITCH VSW1 ISOLATION ON ETHERNET",
		"SET VSWITCH VSW1 MACPROTECT ON VLAN 10",
		"SET VSWITCH VSW1 QUEUESTORAGE 9 VLAN UNAWARE",
		"SET VSWITCH VSW1 ISOLATION ON PORTNAME P1 P2",
		"SET VSWITCH VSW1 IP",
	};
	struct env *e = env_new();
	struct lanbk *vsw;

	REQUIRE(e);
	REQUIRE(run(e, e->op, "DEFINE VSWITCH VSW1 ETHERNET") == 0);
	vsw = lan_find(&e->cp.lans, "SYSTEM", "VSW1");
	REQUIRE(vsw);
	for (size_t i = 0; i < CPNET_ARRAY_SIZE(bad); i++) {
		CHECK_EQ(run(e, e->op, bad[i]), 3);
		CHECK(!strncmp(outp(e), "HCPCMD003E Invalid option - ", 28));
		CHECK_EQ(vsw->transport, LAN_ETHERNET);
		CHECK(!vsw->vlan_aware);
		CHECK(!vsw->isolation);
		CHECK_EQ(vsw->iptimeout, 5);
	}
	/* An operand refused after others were parsed: none of them is applied. */
	CHECK_EQ(run(e, e->op, "SET VSWITCH VSW1 ISOLATION ON IPTIMEOUT 30 RDEV 0A00 0A00.P1"), 2);
	CHECK_STR(outp(e), "HCPCMD002E Invalid operand - 0A00.P1\n");
	CHECK(!vsw->isolation);
	CHECK_EQ(vsw->iptimeout, 5);
	CHECK_EQ(vsw->nrdev, 0);
	CHECK_EQ(run(e, e->op, "DEFINE VSWITCH VSW2 RDEV 0B00 0B00"), 2);
	CHECK(lan_find(&e->cp.lans, "SYSTEM", "VSW2") == NULL);
	/* What SET VSWITCH does change, also several at once. */
	CHECK_EQ(run(e, e->op, "SET VSWITCH VSW1 ISOLATION ON IPTIMEOUT 10"), 0);
	CHECK(vsw->isolation);
	CHECK_EQ(vsw->iptimeout, 10);
	CHECK_EQ(vsw->transport, LAN_ETHERNET);
	env_free(e);
}

/* QUERY NAMES lists the users by userid and leaves CP's VM table in its order (which
 * decides the first eligible controller on a tie): a query changes nothing. */
TEST(cmds_query_names_sorted_without_reordering_the_vms)
{
	struct env *e = env_new();

	REQUIRE(e);
	REQUIRE(e->cp.nvms == 3);
	CHECK_EQ(run(e, e->op, "QUERY NAMES"), 0);
	CHECK(!strncmp(outp(e), "ALICE    - L", 12));
	CHECK_OUT(e, " , BOB      - L");
	CHECK_OUT(e, " , OPERATOR - L");
	CHECK(e->cp.vms[0] == e->op);
	CHECK(e->cp.vms[1] == e->alice);
	CHECK(e->cp.vms[2] == e->bob);
	env_free(e);
}

/* The counters of the decision cache in QUERY VSWITCH DETAILS; read back as numbers. */
static int dcache_line(const struct env *e, unsigned *entries, unsigned long long *hits,
		       unsigned long long *misses, unsigned long long *inval)
{
	const char *l = strstr(outp(e), "  Decision Cache: ");
	unsigned long long ev;

	return l && sscanf(l, "  Decision Cache: Entries: %u  Hits: %llu  Misses: %llu  "
			   "Invalidations: %llu  Evictions: %llu", entries, hits, misses, inval,
			   &ev) == 5 ? 0 : -1;
}

TEST(cmds_details_show_the_decision_cache)
{
	struct env *e = env_new();
	unsigned n;
	unsigned long long h0, m0, i0, h1, m1, i1;

	REQUIRE(e);
	REQUIRE(two_guests(e) == 0);
	CHECK_EQ(run(e, e->op, "PING LINUX01 10.1.0.2 1"), 0);
	CHECK_EQ(run(e, e->op, "QUERY VSWITCH VSW1 DETAILS"), 0);
	REQUIRE(dcache_line(e, &n, &h0, &m0, &i0) == 0);
	CHECK_EQ(n, DC_MIN_ENTRIES);
	CHECK(m0 >= 2);			/* the first frames of each direction */
	/* The same two guests again: the echoes are decided by the cache. */
	CHECK_EQ(run(e, e->op, "PING LINUX01 10.1.0.2 3"), 0);
	CHECK_OUT(e, "3 sent, 3 received");
	CHECK_EQ(run(e, e->op, "QUERY VSWITCH VSW1 DETAILS"), 0);
	REQUIRE(dcache_line(e, &n, &h1, &m1, &i1) == 0);
	CHECK(h1 >= h0 + 6);
	CHECK_EQ(m1, m0);
	CHECK_EQ(i1, i0);
	/* A change of what decides: every decision is made again, once. */
	CHECK_EQ(run(e, e->op, "SET VSWITCH VSW1 ISOLATION ON"), 0);
	CHECK_EQ(run(e, e->op, "SET VSWITCH VSW1 ISOLATION OFF"), 0);
	CHECK_EQ(run(e, e->op, "PING LINUX01 10.1.0.2 2"), 0);
	CHECK_OUT(e, "2 sent, 2 received");
	CHECK_EQ(run(e, e->op, "QUERY VSWITCH VSW1 DETAILS"), 0);
	REQUIRE(dcache_line(e, &n, &h0, &m0, &i0) == 0);
	CHECK_EQ(i0, i1 + 2);
	CHECK_EQ(m0, m1 + 2);
	CHECK_EQ(h0, h1 + 2);
	env_free(e);
}

TEST(cmds_guest_isolation_drops_shown_in_details)
{
	struct env *e = env_new();
	struct vnic *n;

	REQUIRE(e);
	REQUIRE(two_guests(e) == 0);
	n = vm_find_nic(cp_find_vm(&e->cp, "LINUX01"), 0x600);
	REQUIRE(n && n->gif);
	CHECK_EQ(run(e, e->op, "PING LINUX01 10.1.0.2 1"), 0);
	CHECK_OUT(e, "1 sent, 1 received");
	CHECK_EQ(qdrv_set_isolation(&n->gif->drv, IPA_ADP_ISOLATION_DROP), 0);
	/* LINUX01 knows LINUX02's MAC from the first ping: its echoes are dropped. */
	CHECK_EQ(run(e, e->op, "PING LINUX01 10.1.0.2 2"), 0);
	CHECK_OUT(e, "2 sent, 0 received");
	CHECK_EQ(run(e, e->op, "QUERY VSWITCH VSW1 DETAILS"), 0);
	CHECK_OUT(e, "    Adapter Owner: LINUX01  NIC: 0600.P00 Name: UNASSIGNED  Type: QDIO\n"
		     "      Port: 0001  Layer: 2  State: Started  Isolation: DROP\n");
	CHECK_OUT(e, "      Discarded (isolation): 2\n");
	CHECK_OUT(e, "  Switch discarded (isolation): 2\n");
	CHECK_OUT(e, "      Port: 0002  Layer: 2  State: Started\n");
	/* The Guest LAN of the same guests is not affected. */
	CHECK_EQ(run(e, e->op, "PING LINUX01 10.2.0.2 1"), 0);
	CHECK_OUT(e, "1 sent, 1 received");
	env_free(e);
}

/* The guests' recovery after a lost LAN came back (what Linux does on STARTLAN). */
static void recover(struct tctx *t, struct vnic *n, uint8_t last)
{
	const uint8_t ip[4] = { 10, 1, 0, last };

	guest_if_offline(n->gif);
	CHECK_EQ(guest_if_online(n->gif), 0);
	CHECK_EQ(guest_if_add_ip4(n->gif, ip, 24), 0);
}

TEST(cmds_detach_vswitch_and_lan_uncouple_coupled_guests)
{
	struct env *e = env_new();
	struct vm *l1, *l2;
	struct vnic *n1, *n2, *g1;
	uint64_t unsol;

	REQUIRE(e);
	REQUIRE(two_guests(e) == 0);
	l1 = cp_find_vm(&e->cp, "LINUX01");
	l2 = cp_find_vm(&e->cp, "LINUX02");
	REQUIRE(l1 && l2);
	n1 = vm_find_nic(l1, 0x600);
	n2 = vm_find_nic(l2, 0x600);
	g1 = vm_find_nic(l1, 0x700);
	REQUIRE(n1 && n1->gif && n2 && n2->gif && g1 && g1->gif);
	CHECK(n1->gif->drv.link_up);
	unsol = n1->gif->drv.st.unsolicited;

	CHECK_EQ(run(e, e->op, "DETACH VSWITCH VSW1"), 0);
	CHECK_STR(outp(e), "NIC 0600 of LINUX01 is disconnected from VSWITCH SYSTEM VSW1\n"
			   "NIC 0600 of LINUX02 is disconnected from VSWITCH SYSTEM VSW1\n"
			   "VSWITCH SYSTEM VSW1 is destroyed\n");
	CHECK(lan_find(&e->cp.lans, "SYSTEM", "VSW1") == NULL);
	/* The guests saw the LAN go: one unsolicited STOPLAN, carrier off. */
	pump_env(e);
	CHECK_EQ(n1->gif->drv.st.unsolicited, unsol + 1);
	CHECK(!n1->gif->drv.link_up);
	CHECK(!n2->gif->drv.link_up);
	CHECK(n1->lan == NULL && n2->lan == NULL);
	CHECK_EQ(run(e, l1, "QUERY NIC 600"), 0);
	CHECK_OUT(e, "  MAC: ");
	CHECK_OUT(e, "LAN: * None\n");
	CHECK_EQ(run(e, l1, "UNCOUPLE 600"), 9203);
	/* The guest's other NIC, on GLAN1, is untouched. */
	CHECK(g1->gif->drv.link_up);
	CHECK_EQ(run(e, e->op, "PING LINUX01 10.2.0.2 1"), 0);
	CHECK_OUT(e, "1 sent, 1 received");

	/* A new VSWITCH of the same name: COUPLE again, STARTLAN, recovery, ping. */
	REQUIRE(run(e, e->op, "DEFINE VSWITCH VSW1 ETHERNET") == 0);
	REQUIRE(run(e, e->op, "SET VSWITCH VSW1 GRANT LINUX01 LINUX02") == 0);
	CHECK_EQ(run(e, l1, "COUPLE 600 SYSTEM VSW1"), 0);
	CHECK_STR(outp(e), "NIC 0600 is connected to VSWITCH SYSTEM VSW1\n");
	CHECK_EQ(run(e, l2, "COUPLE 600 SYSTEM VSW1"), 0);
	pump_env(e);
	CHECK(n1->gif->drv.link_up);
	CHECK(n2->gif->drv.link_up);
	recover(t, n1, 1);
	recover(t, n2, 2);
	CHECK_EQ(run(e, e->op, "PING LINUX01 10.1.0.2 2"), 0);
	CHECK_OUT(e, "2 sent, 2 received");

	/* DETACH LAN: the same for a Guest LAN. */
	CHECK_EQ(run(e, e->op, "DETACH LAN GLAN1 OWNERID SYSTEM"), 0);
	CHECK_STR(outp(e), "NIC 0700 of LINUX01 is disconnected from LAN SYSTEM GLAN1\n"
			   "NIC 0700 of LINUX02 is disconnected from LAN SYSTEM GLAN1\n"
			   "LAN SYSTEM GLAN1 is destroyed\n");
	pump_env(e);
	CHECK(!g1->gif->drv.link_up);
	CHECK(g1->lan == NULL);
	CHECK_EQ(run(e, e->op, "PING LINUX01 10.2.0.2 1"), 0);
	CHECK_OUT(e, "1 sent, 0 received");
	/* ... and VSW1 carries on. */
	CHECK_EQ(run(e, e->op, "PING LINUX02 10.1.0.1 1"), 0);
	CHECK_OUT(e, "1 sent, 1 received");
	env_free(e);
}

TEST(cmds_server_line_protocol)
{
	struct cp *cp = calloc(1, sizeof(*cp));
	struct vm *vm = NULL;
	struct out o;
	struct out tmp;

	REQUIRE(cp);
	cp_init(cp, 1);
	out_init(&o);
	out_init(&tmp);
	REQUIRE(dir_parse(&cp->dir, "dir", test_dir, strlen(test_dir), &tmp) == 0);
	server_line(cp, &vm, "Q VMLAN", 7, &o);
	CHECK_STR(o.buf, "HCPCMD9003E Not logged on; enter LOGON userid password\nReady(09003);\n");
	out_reset(&o);
	server_line(cp, &vm, "LOGON ALICE WRONG", 17, &o);
	CHECK_STR(o.buf, "HCPLGA050E LOGON unsuccessful--incorrect userid and/or password\nReady(00050);\n");
	out_reset(&o);
	server_line(cp, &vm, "LOGON LINUX01 NOLOG", 19, &o);
	CHECK(vm == NULL);
	out_reset(&o);
	server_line(cp, &vm, "logon alice alicepw", 19, &o);
	CHECK(vm != NULL);
	CHECK(strstr(o.buf, "Ready;\n") != NULL);
	out_reset(&o);
	server_line(cp, &vm, "", 0, &o);
	CHECK_STR(o.buf, "Ready;\n");
	out_reset(&o);
	/* A NUL inside the line: refused whole, never run as the part before it. */
	server_line(cp, &vm, "Q VMLAN\0 X", 10, &o);
	CHECK_STR(o.buf, "HCPCMD9004E Command line contains a NUL character (column 8); not "
		  "executed\nReady(09004);\n");
	out_reset(&o);
	server_line(cp, &vm, "\0", 1, &o);
	CHECK(strstr(o.buf, "HCPCMD9004E") == o.buf);
	out_reset(&o);
	server_line(cp, &vm, "LOGOFF", 6, &o);
	CHECK(vm == NULL || cp->nvms == 0);
	cp_free(cp);
	free(cp);
	out_free(&o);
	out_free(&tmp);
}

/* SET LAN GRANT / REVOKE: a RESTRICTED Guest LAN's access list, shared with SET VSWITCH. */
TEST(cmds_set_lan_grant_revoke_restricted_guest_lan)
{
	struct env *e = env_new();
	struct lanbk *l;
	struct vnic *n;

	REQUIRE(e);
	REQUIRE(run(e, e->alice, "DEFINE LAN PRIV RESTRICTED") == 0);
	l = lan_find(&e->cp.lans, "ALICE", "PRIV");
	REQUIRE(l);
	CHECK(l->restricted);
	REQUIRE(run(e, e->bob, "DEFINE NIC 800") == 0);
	n = vm_find_nic(e->bob, 0x800);
	REQUIRE(n);
	/* Not granted: refused with the VSWITCH's message, nothing coupled. */
	CHECK_EQ(run(e, e->bob, "COUPLE 800 ALICE PRIV"), 9103);
	CHECK_OUT(e, "HCPLAN9103E BOB is not authorized to couple to LAN ALICE PRIV");
	CHECK(n->lan == NULL);
	/* Only the owner (or class B) changes the access list. */
	CHECK_EQ(run(e, e->bob, "SET LAN PRIV OWNERID ALICE GRANT BOB"), 9108);
	CHECK_EQ(l->ngrants, 0);
	/* A Guest LAN's GRANT has no VSWITCH options. */
	CHECK_EQ(run(e, e->alice, "SET LAN PRIV GRANT BOB VLAN 5"), 9110);
	CHECK_EQ(run(e, e->alice, "SET LAN PRIV GRANT BOB PROMISCUOUS"), 9110);
	CHECK_EQ(l->ngrants, 0);
	CHECK_EQ(run(e, e->alice, "SET LAN PRIV REVOKE BOB"), 9106);
	CHECK_OUT(e, "HCPLAN9106E BOB is not in the access list of LAN ALICE PRIV");
	CHECK_EQ(run(e, e->alice, "SET LAN PRIV FOO BOB"), 3);
	CHECK_EQ(run(e, e->alice, "SET LAN NOPE GRANT BOB"), 9101);
	CHECK_EQ(run(e, e->alice, "SET LAN PRIV GRANT"), 20);
	CHECK_EQ(run(e, e->alice, "SET LAN PRIV GRANT BOB"), 0);
	CHECK_OUT(e, "Command complete");
	CHECK(lan_grant_find(l, "BOB") != NULL);
	CHECK_EQ(run(e, e->alice, "QUERY LAN PRIV DETAILS"), 0);
	CHECK_OUT(e, "RESTRICTED");
	CHECK_OUT(e, "Authorized userids:\n    BOB\n");
	CHECK_EQ(run(e, e->bob, "COUPLE 800 ALICE PRIV"), 0);
	CHECK(n->lan == l);
	/* Class B works on another user's LAN; REVOKE uncouples the revoked user. */
	CHECK_EQ(run(e, e->op, "SET LAN PRIV OWNERID ALICE REVOKE BOB"), 0);
	CHECK_OUT(e, "NIC 0800 is disconnected from LAN ALICE PRIV");
	CHECK(n->lan == NULL);
	CHECK(lan_grant_find(l, "BOB") == NULL);
	CHECK_EQ(run(e, e->alice, "QUERY LAN PRIV DETAILS"), 0);
	CHECK_OUT(e, "Authorized userids:\n    None");
	CHECK_EQ(run(e, e->bob, "COUPLE 800 ALICE PRIV"), 9103);
	/* UNRESTRICTED: anyone couples, and there is no access list to change: GRANT
	 * and REVOKE are refused (never taken and ignored), nothing changes. */
	CHECK_EQ(run(e, e->alice, "DEFINE LAN OPEN"), 0);
	CHECK_EQ(run(e, e->alice, "SET LAN OPEN GRANT BOB"), 9113);
	CHECK_STR(outp(e), "HCPLAN9113E LAN ALICE OPEN is UNRESTRICTED; GRANT applies to a "
			   "RESTRICTED LAN only\n");
	CHECK_EQ(run(e, e->op, "SET LAN OPEN OWNERID ALICE REVOKE BOB"), 9113);
	CHECK_STR(outp(e), "HCPLAN9113E LAN ALICE OPEN is UNRESTRICTED; REVOKE applies to a "
			   "RESTRICTED LAN only\n");
	/* The operands are checked first, as everywhere. */
	CHECK_EQ(run(e, e->alice, "SET LAN OPEN GRANT BOB VLAN 5"), 9110);
	l = lan_find(&e->cp.lans, "ALICE", "OPEN");
	REQUIRE(l);
	CHECK_EQ(l->ngrants, 0);
	CHECK_EQ(run(e, e->bob, "COUPLE 800 ALICE OPEN"), 0);
	CHECK_EQ(run(e, e->alice, "QUERY LAN OPEN DETAILS"), 0);
	CHECK(strstr(outp(e), "Authorized userids") == NULL);
	env_free(e);
}

/* ---- TRACE START / STOP, QUERY TRACE ------------------------------------------------ */

TEST(cmds_trace_start_query_stop)
{
	struct env *e = env_new();
	const char *dir = tc_tmpdir(t);
	char want[256], path[128];
	FILE *f;

	REQUIRE(e);
	REQUIRE(dir != NULL);
	REQUIRE(run(e, e->op, "DEFINE VSWITCH VSW1 RDEV NONE ETHERNET") == 0);
	/* No trace directory (a CP outside cpnetd): nothing is written. */
	CHECK_EQ(run(e, e->op, "TRACE START VSWITCH VSW1 FILE a.pcap"), 9601);
	CHECK_OUT(e, "HCPTRC9601E");
	e->cp.trace_dir = dir;
	CHECK_EQ(run(e, e->op, "TRACE START VSWITCH VSW1 FILE ../a.pcap"), 9602);
	CHECK_EQ(run(e, e->op, "TRACE START VSWITCH VSW1 FILE .a.pcap"), 9602);
	CHECK_EQ(run(e, e->op, "TRACE START VSWITCH VSW1 FILE a.txt"), 9602);
	CHECK_EQ(run(e, e->op, "TRACE START VSWITCH VSW1 FILE a.pcap USER ALICE PORT 1"), 13);
	CHECK_EQ(run(e, e->op, "TRACE START VSWITCH VSW1 FILE a.pcap FILE b.pcap"), 9011);
	CHECK_EQ(run(e, e->op, "TRACE START VSWITCH VSW1 FILE a.pcap VLAN 4095"), 9010);
	CHECK_EQ(run(e, e->op, "TRACE START VSWITCH VSW1 FILE a.pcap FILES 3"), 1001);
	CHECK_EQ(run(e, e->op, "TRACE START VSWITCH VSW1 SNAPLEN 100 COUNT 5"), 1001);
	CHECK_EQ(run(e, e->op, "TRACE START VSWITCH NOSUCH FILE a.pcap"), 9101);
	CHECK_EQ(run(e, e->op, "TRACE START LAN GLAN1 OWNERID SYSTEM FILE a.pcap"), 9101);
	CHECK_EQ(run(e, e->op, "QUERY TRACE"), 0);
	CHECK_OUT(e, "HCPTRC9604I No traces are defined");
	/* Class G does not see the command. */
	CHECK_EQ(run(e, e->alice, "TRACE START VSWITCH VSW1 FILE a.pcap"), 1);

	CHECK_EQ(run(e, e->op, "trace start vswitch vsw1 file a.pcapng user alice snaplen 96"), 0);
	snprintf(want, sizeof(want),
		 "Trace 1 started on VSWITCH SYSTEM VSW1 (USER ALICE) to %s/a.pcapng", dir);
	CHECK_OUT(e, want);
	CHECK_EQ(run(e, e->op, "QUERY TRACE"), 0);
	snprintf(want, sizeof(want), "TRACE 1 VSWITCH SYSTEM VSW1 USER ALICE FILE %s/a.pcapng ACTIVE",
		 dir);
	CHECK_OUT(e, want);
	/* The VSWITCH goes: the trace ends with a complete file and stays listed. */
	CHECK_EQ(run(e, e->op, "DETACH VSWITCH VSW1"), 0);
	CHECK_EQ(run(e, e->op, "QUERY TRACE"), 0);
	CHECK_OUT(e, "ENDED (LAN destroyed)");
	CHECK_EQ(run(e, e->op, "TRACE STOP 1"), 0);
	snprintf(want, sizeof(want),
		 "Trace 1 stopped: 0 frames (0 bytes) written to %s/a.pcapng; ENDED (LAN destroyed)",
		 dir);
	CHECK_OUT(e, want);
	CHECK_EQ(run(e, e->op, "TRACE STOP 1"), 9600);
	CHECK_EQ(run(e, e->op, "TRACE STOP ALL"), 0);
	CHECK_OUT(e, "HCPTRC9604I");
	snprintf(path, sizeof(path), "%s/a.pcapng", dir);
	f = fopen(path, "rb");
	CHECK(f != NULL);
	if (f) {
		/* A complete pcapng file: the section header block's type first. */
		CHECK(fgetc(f) == 0x0A && fgetc(f) == 0x0D);
		fclose(f);
	}
	env_free(e);
}

TEST(cmds_bandwidth_operands_and_query)
{
	static const struct {
		const char *line;
		const char *id;
	} bad[] = {
		{ "SET VSWITCH VSW1 PORTNUMBER 0 BANDWIDTH 20M", "HCPCMD9010E" },
		{ "SET VSWITCH VSW1 PORTNUMBER 2049 BANDWIDTH 20M", "HCPCMD9010E" },
		{ "SET VSWITCH VSW1 PORTNUMBER X BANDWIDTH 20M", "HCPCMD002E" },
		{ "SET VSWITCH VSW1 PORTNUMBER 5 BANDWIDTH 20MB", "HCPCMD002E Invalid operand - 20MB" },
		{ "SET VSWITCH VSW1 PORTNUMBER 5 BANDWIDTH 401G",
		  "HCPCMD9010E Value 401G for BANDWIDTH is out of range (1K-400G)" },
		{ "SET VSWITCH VSW1 PORTNUMBER 5 BANDWIDTH -1", "HCPCMD002E" },
		{ "SET VSWITCH VSW1 PORTNUMBER 5 BANDWIDTH", "HCPCMD1001E" },
		{ "SET VSWITCH VSW1 PORTNUMBER 5", "HCPCMD026E" },
		{ "SET VSWITCH VSW1 PORTNUMBER", "HCPCMD1001E" },
		{ "SET VSWITCH VSW1 PORTNUMBER 5 BURST 1", "HCPCMD003E" },
		{ "SET VSWITCH VSW1 PORTNUMBER 5 BANDWIDTH 1M EXTRA", "HCPCMD003E" },
		{ "SET VSWITCH VSW1 PORTNUMBER 5 USERID", "HCPCMD1001E" },
		{ "SET VSWITCH VSW1 PORTNUMBER 5 USERID NINECHARS", "HCPCMD007E" },
		{ "SET VSWITCH VSW1 PORTNUMBER 5 USERID BOB X", "HCPCMD003E" },
		{ "SET VSWITCH VSW1 PORTNUMBER 5 REMOVE X", "HCPCMD003E" },
	};
	struct env *e = env_new();
	struct lanbk *vsw;
	struct vnic *n;
	const struct lan_conn *cn;

	REQUIRE(e);
	REQUIRE(run(e, e->op, "DEFINE VSWITCH VSW1 ETHERNET") == 0);
	REQUIRE(run(e, e->op, "SET VSWITCH VSW1 GRANT BOB") == 0);
	vsw = lan_find(&e->cp.lans, "SYSTEM", "VSW1");
	REQUIRE(vsw);
	/* A cap on a port number nobody has yet. */
	CHECK_EQ(run(e, e->op, "SET VSWITCH VSW1 PORTNUMB 5 BANDW 20M"), 0);
	CHECK_OUT(e, "Command complete");
	CHECK_EQ(lan_portnum_cap(vsw, 5), 20000000ull);
	for (size_t i = 0; i < CPNET_ARRAY_SIZE(bad); i++) {
		CHECK(run(e, e->op, bad[i].line) != 0);
		if (!strstr(outp(e), bad[i].id))
			tc_fail(t, __FILE__, __LINE__, "%s: expected %s, got %s", bad[i].line,
				bad[i].id, outp(e));
	}
	CHECK_EQ(lan_portnum_cap(vsw, 5), 20000000ull);
	CHECK_EQ(vsw->npcaps, 1);
	/* Class G: not the operator's command. */
	CHECK(run(e, e->bob, "SET VSWITCH VSW1 PORTNUMBER 5 BANDWIDTH OFF") != 0);
	CHECK_EQ(lan_portnum_cap(vsw, 5), 20000000ull);
	/* The NIC's own cap, before COUPLE; bad forms change nothing. */
	REQUIRE(run(e, e->bob, "DEFINE NIC 700 TYPE QDIO") == 0);
	n = vm_find_nic(e->bob, 0x700);
	REQUIRE(n);
	CHECK_EQ(run(e, e->bob, "SET NIC 700 BANDWIDTH 50M"), 0);
	CHECK_OUT(e, "Command complete");
	CHECK(run(e, e->bob, "SET NIC 700 BANDWIDTH") != 0);
	CHECK_OUT(e, "HCPCMD1001E");
	CHECK(run(e, e->bob, "SET NIC 700 BANDWIDTH fast") != 0);
	CHECK_OUT(e, "HCPCMD002E Invalid operand - fast");
	CHECK(run(e, e->bob, "SET NIC 700 BANDWIDTH 0") != 0);
	CHECK_OUT(e, "HCPCMD9010E");
	CHECK(run(e, e->bob, "SET NIC 700 PROMISCUOUS 5M") != 0);
	CHECK_OUT(e, "HCPCMD003E");
	CHECK(run(e, e->bob, "SET NIC 701 BANDWIDTH 5M") != 0);
	CHECK_OUT(e, "HCPCMD040E");
	CHECK_EQ(n->bandwidth, 50000000ull);
	CHECK_EQ(run(e, e->bob, "QUERY NIC 700 DETAILS"), 0);
	CHECK_OUT(e, "  Bandwidth: OFF  NIC cap: 50M (from COUPLE)\n");
	/* COUPLE to the capped port number: the lower cap wins. */
	REQUIRE(run(e, e->bob, "COUPLE 700 TO SYSTEM VSW1 PORTNUMBER 5") == 0);
	cn = lan_conn_of(vsw, n->port);
	REQUIRE(cn);
	CHECK_EQ(lan_conn_cap(cn), 20000000ull);
	CHECK_EQ(run(e, e->bob, "QUERY NIC 700 DETAILS"), 0);
	CHECK_OUT(e, "  Bandwidth: 20M bit/s  Burst: 250000 bytes  (PORTNUMBER 20M, NIC 50M)\n"
		     "  Capped: TX 0 frames 0 bytes  RX 0 frames 0 bytes\n");
	CHECK_EQ(run(e, e->op, "QUERY VSWITCH VSW1 DETAILS"), 0);
	CHECK_OUT(e, "      Port: 0005  Layer: -  State: Not started\n");
	CHECK_OUT(e, "      Bandwidth: 20M bit/s  Burst: 250000 bytes  (PORTNUMBER 20M, NIC 50M)\n");
	CHECK_OUT(e, "  Port caps:  0005 20M\n");
	/* Listed in port number order, eight a line. */
	for (unsigned k = 12; k >= 1; k--) {
		char line[64];

		snprintf(line, sizeof(line), "SET VSWITCH VSW1 PORTNUMBER %u BANDWIDTH %uK", k + 100, k);
		CHECK_EQ(run(e, e->op, line), 0);
	}
	CHECK_EQ(run(e, e->op, "QUERY VSWITCH VSW1 DETAILS"), 0);
	CHECK_OUT(e, "  Port caps:  0005 20M  0101 1K  0102 2K  0103 3K  0104 4K  0105 5K  0106 6K"
		     "  0107 7K\n  Port caps:  0108 8K  0109 9K  0110 10K  0111 11K  0112 12K\n");
	for (unsigned k = 1; k <= 12; k++) {
		char line[64];

		snprintf(line, sizeof(line), "SET VSWITCH VSW1 PORTNUMBER %u BANDWIDTH OFF", k + 100);
		CHECK_EQ(run(e, e->op, line), 0);
	}
	/* OFF on the port number: the NIC's own cap remains; then OFF on the NIC too. */
	CHECK_EQ(run(e, e->op, "SET VSWITCH VSW1 PORTNUMBER 5 BANDWIDTH OFF"), 0);
	CHECK_EQ(lan_conn_cap(cn), 50000000ull);
	CHECK_EQ(vsw->npcaps, 0);
	CHECK_EQ(run(e, e->bob, "SET NIC 700 BANDWIDTH 1G"), 0);
	CHECK_EQ(lan_conn_cap(cn), 1000000000ull);
	CHECK_EQ(run(e, e->bob, "SET NIC 700 BANDWIDTH OFF"), 0);
	CHECK_EQ(lan_conn_cap(cn), 0);
	CHECK_EQ(run(e, e->bob, "QUERY NIC 700 DETAILS"), 0);
	CHECK(!strstr(outp(e), "Bandwidth"));
	/* The NIC keeps its own cap across UNCOUPLE / COUPLE. */
	CHECK_EQ(run(e, e->bob, "SET NIC 700 BANDWIDTH 30M"), 0);
	CHECK_EQ(run(e, e->bob, "UNCOUPLE 700"), 0);
	CHECK_EQ(run(e, e->bob, "COUPLE 700 TO SYSTEM VSW1"), 0);
	cn = lan_conn_of(vsw, n->port);
	REQUIRE(cn);
	CHECK_EQ(lan_conn_cap(cn), 30000000ull);
	/* A Guest LAN's owner caps its ports with SET LAN. */
	REQUIRE(run(e, e->bob, "DEFINE LAN BLAN") == 0);
	CHECK_EQ(run(e, e->bob, "SET LAN BLAN PORTNUMBER 3 BANDWIDTH 5M"), 0);
	CHECK_EQ(lan_portnum_cap(lan_find(&e->cp.lans, "BOB", "BLAN"), 3), 5000000ull);
	CHECK(run(e, e->bob, "SET LAN BLAN PORTNUMBER 3 BANDWIDTH 5Q") != 0);
	CHECK_OUT(e, "HCPCMD002E");
	env_free(e);
}
