/* tests/unit/test_appl.c - application ports (cp/appl.c, api/cpnetport.c): refusals,
 * hostile posts and rings, the API end to end through cpnetd's loop, FORCE, a dying app. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/cpnetport.h"
#include "cmds/cmds.h"
#include "cp/appl.h"
#include "cp/config.h"
#include "cp/server.h"
#include "lib/csum.h"
#include "vswitch/switch.h"
#include "tests/tcheck.h"
#include "tests/unit/tvm.h"

static const char adir[] =
	"USER OPERATOR OPERATOR ABCDEFG\n"
	"USER APP1 PW G\n"
	"USER APP2 PW G\n"
	"USER GUEST1 PW G\n  NICDEF 0600 TYPE QDIO LAN SYSTEM VSW\n";
static const char acfg[] =
	"DEFINE VSWITCH VSW ETHERNET MACPROTECT ON\n"
	"MODIFY VSWITCH VSW GRANT APP1 APP2 GUEST1\n"
	"MODIFY VSWITCH VSW PORTNUMBER 9 USERID APP2\n"
	"DEFINE VSWITCH RSW ETHERNET\n"
	"MODIFY VSWITCH RSW GRANT APP2\n"
	"DEFINE VSWITCH PSW ETHERNET\n"
	"MODIFY VSWITCH PSW GRANT APP1 PROMISCUOUS\n"
	"DEFINE VSWITCH VVSW ETHERNET VLAN 10\n"
	"MODIFY VSWITCH VVSW GRANT APP1 VLAN 20\n"
	"MODIFY VSWITCH VVSW GRANT APP2 PORTTYPE TRUNK VLAN 20-30\n"
	"DEFINE LAN FULL OWNERID SYSTEM MAXCONN 1 TYPE QDIO ETHERNET\n"
	"DEFINE LAN IPLAN OWNERID SYSTEM TYPE QDIO IP\n"
	"DEFINE LAN RLAN OWNERID SYSTEM TYPE QDIO ETHERNET RESTRICTED\n"
	"DEFINE VSWITCH QSW ETHERNET QUEUESTORAGE 1\n"
	"MODIFY VSWITCH QSW GRANT APP1\n";

static struct cp *cp_up(struct tctx *t)
{
	struct cp *cp = calloc(1, sizeof(*cp));
	struct out o;

	if (!cp)
		return NULL;
	cp_init(cp, 7);
	out_init(&o);
	CHECK(dir_parse(&cp->dir, "dir", adir, strlen(adir), &o) == 0);
	CHECK(config_parse(cp, "cfg", acfg, strlen(acfg), &o) == 0);
	if (o.len)
		fprintf(stderr, "%.*s", (int)o.len, o.buf);
	out_free(&o);
	return cp;
}

static void cp_down(struct cp *cp)
{
	cp_free(cp);
	free(cp);
}

/* A link pair: cpnetd's side on sv[0], the program's on sv[1]. */
struct pair {
	struct vmlink cpl, apl;
	int sv[2];
};

static int pair_up(struct pair *p)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p->sv) < 0)
		return -errno;
	if (vml_init(&p->cpl, p->sv[0], true) < 0 || vml_init(&p->apl, p->sv[1], false) < 0)
		return -ENOMEM;
	return 0;
}

static void pair_down(struct pair *p)
{
	vml_free(&p->cpl);
	vml_free(&p->apl);
	close(p->sv[0]);
	close(p->sv[1]);
}

/* appl_register straight, and cpnetd's answer as the program reads it. */
static int reg_direct(struct cp *cp, struct pair *p, const char *user, const char *pw,
		      const char *owner, const char *lan, uint16_t vlan, uint16_t flags,
		      uint16_t portnum, struct appl_port **ap, struct vml_appl_reply *rep)
{
	struct vml_appl_logon a;
	uint8_t b[VML_HDR_SIZE + VML_APPL_REPLY_FIXED + 128];
	ssize_t n;
	int rc;

	memset(&a, 0, sizeof(a));
	strcpy(a.userid, user);
	strcpy(a.password, pw);
	strcpy(a.owner, owner);
	strcpy(a.lan, lan);
	a.vlan = vlan;
	a.flags = flags;
	a.portnum = portnum;
	rc = appl_register(cp, &p->cpl, &a, ap);
	n = recv(p->sv[1], b, sizeof(b), MSG_DONTWAIT);
	memset(rep, 0, sizeof(*rep));
	if (n <= 0 || vml_appl_reply_decode(b, (size_t)n, rep) < 0)
		return -1000;
	return rc;
}

TEST(appl_register_refuses_like_couple_and_says_why)
{
	static const struct {
		const char *user, *pw, *owner, *lan;
		uint16_t vlan, flags;
		int rc;
		const char *text;
		uint16_t pn;
	} cases[] = {
		{ "APP1", "WRONG", "SYSTEM", "VSW", 0, 0, 50, "LOGON unsuccessful" },
		{ "NOSUCH", "PW", "SYSTEM", "VSW", 0, 0, 53, "NOSUCH not in CP directory" },
		{ "APP1", "PW", "SYSTEM", "NOVSW", 0, 0, 9101, "VSWITCH SYSTEM NOVSW does not exist" },
		{ "APP1", "PW", "SYSTEM", "RSW", 0, 0, 9103, "APP1 is not authorized to couple" },
		{ "APP1", "PW", "SYSTEM", "VVSW", 10, 0, 9500, "VLAN 10 is not authorized for APP1" },
		{ "APP1", "PW", "SYSTEM", "VSW", 7, 0, 9500, "VLAN 7 is not authorized" },
		{ "OPERATOR", "OPERATOR", "SYSTEM", "VSW", 0, 0, 9103, "not authorized" },
		{ "APP2", "PW", "SYSTEM", "RSW", 0, VML_APPL_PROMISC, 9501, "promiscuous" },
		{ "APP2", "PW", "SYSTEM", "VVSW", 25, 0, 9504, "APP2 is a trunk port" },
		/* The port number asked for: as COUPLE ... PORTNUMBER n checks it. */
		{ "APP1", "PW", "SYSTEM", "VSW", 0, 0, 9010,
		  "Value 2049 for PORTNUMBER is out of range (1-2048)", 2049 },
		{ "APP1", "PW", "SYSTEM", "VSW", 0, 0, 9112,
		  "Port number 9 on VSWITCH SYSTEM VSW is defined for APP2, not for APP1", 9 },
	};
	struct cp *cp = cp_up(t);
	struct appl_port *ap = NULL, *ap2 = NULL;
	struct vml_appl_reply rep;
	struct pair p, q;

	REQUIRE(cp);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		REQUIRE(pair_up(&p) == 0);
		CHECK_EQ(reg_direct(cp, &p, cases[k].user, cases[k].pw, cases[k].owner, cases[k].lan,
				    cases[k].vlan, cases[k].flags, cases[k].pn, &ap, &rep), cases[k].rc);
		CHECK_EQ(rep.rc, cases[k].rc);
		if (!strstr(rep.text, cases[k].text))
			tc_fail(t, __FILE__, __LINE__, "case %zu: '%s' lacks '%s'", k, rep.text,
				cases[k].text);
		pair_down(&p);
	}
	/* Nothing was left attached by the refusals. */
	CHECK_EQ(lan_find(&cp->lans, "SYSTEM", "RSW")->nguests, 0);
	CHECK_EQ(lan_find(&cp->lans, "SYSTEM", "VVSW")->nguests, 0);

	/* The granted VLAN, and MAXCONN: the second port on FULL is refused. */
	REQUIRE(pair_up(&p) == 0);
	CHECK_EQ(reg_direct(cp, &p, "APP1", "PW", "SYSTEM", "VVSW", 20, 0, 0, &ap, &rep), 0);
	CHECK_EQ(rep.transport, LAN_ETHERNET);
	CHECK(rep.port_id != 0);
	CHECK(strstr(rep.text, "HCPAPL9503I") != NULL);
	appl_free(cp, ap);
	pair_down(&p);
	REQUIRE(pair_up(&p) == 0);
	REQUIRE(pair_up(&q) == 0);
	CHECK_EQ(reg_direct(cp, &p, "APP1", "PW", "SYSTEM", "FULL", 0, 0, 0, &ap, &rep), 0);
	CHECK_EQ(reg_direct(cp, &q, "APP2", "PW", "SYSTEM", "FULL", 0, 0, 0, &ap2, &rep), 9104);
	CHECK(strstr(rep.text, "maximum number of connections") != NULL);
	appl_free(cp, ap);
	pair_down(&q);
	pair_down(&p);

	/* PROMISCUOUS where GRANT authorized it: the port sees the LAN's traffic. */
	REQUIRE(pair_up(&p) == 0);
	CHECK_EQ(reg_direct(cp, &p, "APP1", "PW", "SYSTEM", "PSW", 0, VML_APPL_PROMISC, 0, &ap, &rep),
		 0);
	CHECK_EQ(lan_find(&cp->lans, "SYSTEM", "PSW")->npromisc, 1);
	appl_free(cp, ap);
	CHECK_EQ(lan_find(&cp->lans, "SYSTEM", "PSW")->npromisc, 0);
	pair_down(&p);

	/* Port numbers: the one asked for, in use (refused), AUTO taking the number
	 * defined for the user first, QUERY showing them; the definition cannot be moved
	 * to another user under a port that has the number. */
	{
		struct appl_port *ap3 = NULL;
		struct pair r;
		struct vm *op = NULL;
		struct out o;

		out_init(&o);
		REQUIRE(cp_logon(cp, "OPERATOR", "OPERATOR", &o, &op) == 0);
		REQUIRE(pair_up(&p) == 0);
		REQUIRE(pair_up(&q) == 0);
		REQUIRE(pair_up(&r) == 0);
		CHECK_EQ(reg_direct(cp, &p, "APP1", "PW", "SYSTEM", "VSW", 0, 0, 5, &ap, &rep), 0);
		CHECK_EQ(rep.portnum, 5);
		CHECK_EQ(reg_direct(cp, &q, "APP2", "PW", "SYSTEM", "VSW", 0, 0, 5, &ap2, &rep), 9105);
		CHECK(strstr(rep.text, "HCPLAN9105E Port number 5 is in use on VSWITCH SYSTEM VSW"));
		CHECK_EQ(reg_direct(cp, &q, "APP2", "PW", "SYSTEM", "VSW", 0, 0, 0, &ap2, &rep), 0);
		CHECK_EQ(rep.portnum, 9);	/* defined for APP2: before the lowest free */
		CHECK_EQ(reg_direct(cp, &r, "APP1", "PW", "SYSTEM", "VSW", 0, 0, 0, &ap3, &rep), 0);
		CHECK_EQ(rep.portnum, 1);
		out_reset(&o);
		CHECK_EQ(cmd_execute(cp, op, "QUERY VSWITCH VSW DETAILS", 25, &o), 0);
		CHECK(strstr(o.buf, "      Port: 0005  Layer: 2  State: Started"));
		CHECK(strstr(o.buf, "      Port: 0009  Layer: 2  State: Started"));
		CHECK(strstr(o.buf, "\n  Port users:  0009 APP2\n"));
		out_reset(&o);
		CHECK(cmd_execute(cp, op, "SET VSWITCH VSW PORTNUMBER 5 USERID APP2", 40, &o) != 0);
		CHECK(strstr(o.buf, "HCPLAN9105E Port number 5 is in use on VSWITCH SYSTEM VSW"));
		out_reset(&o);
		CHECK_EQ(cmd_execute(cp, op, "SET VSWITCH VSW PORTNUMBER 9 REMOVE", 35, &o), 0);
		out_reset(&o);
		CHECK_EQ(cmd_execute(cp, op, "QUERY VSWITCH VSW DETAILS", 25, &o), 0);
		CHECK(!strstr(o.buf, "Port users:"));
		appl_free(cp, ap3);
		appl_free(cp, ap2);
		appl_free(cp, ap);
		CHECK_EQ(lan_find(&cp->lans, "SYSTEM", "VSW")->nguests, 0);
		CHECK_EQ(cmd_execute(cp, op, "SET VSWITCH VSW PORTNUMBER 9 USERID APP2", 40, &o), 0);
		pair_down(&r);
		pair_down(&q);
		pair_down(&p);
		out_free(&o);
	}

	/* REVOKE on a RESTRICTED Guest LAN ends the user's port there, as it uncouples
	 * the user's NICs; the program is told why. */
	{
		struct vm *op = NULL;
		struct out o;
		uint8_t b[64];
		uint16_t why = 0;
		ssize_t nb;

		out_init(&o);
		REQUIRE(cp_logon(cp, "OPERATOR", "OPERATOR", &o, &op) == 0);
		CHECK_EQ(cmd_execute(cp, op, "SET LAN RLAN OWNERID SYSTEM GRANT APP2", 38, &o), 0);
		REQUIRE(pair_up(&p) == 0);
		CHECK_EQ(reg_direct(cp, &p, "APP2", "PW", "SYSTEM", "RLAN", 0, 0, 0, &ap, &rep), 0);
		CHECK_EQ(lan_find(&cp->lans, "SYSTEM", "RLAN")->nguests, 1);
		out_reset(&o);
		CHECK_EQ(cmd_execute(cp, op, "SET LAN RLAN OWNERID SYSTEM REVOKE APP2", 39, &o), 0);
		CHECK(memmem(o.buf, o.len, "HCPAPL9502I Application port", 28) != NULL);
		CHECK_EQ(ap->state, APPL_REVOKED);
		CHECK_EQ(lan_find(&cp->lans, "SYSTEM", "RLAN")->nguests, 0);
		nb = recv(p.sv[1], b, sizeof(b), MSG_DONTWAIT);
		CHECK(nb > 1 && b[1] == VML_LOGOFF && vml_simple_decode(b, (size_t)nb, &why) == 0);
		CHECK_EQ(why, VML_LOGOFF_REVOKED);
		appl_free(cp, ap);
		pair_down(&p);
		out_free(&o);
	}
	cp_down(cp);
}

TEST(appl_link_messages_round_trip_and_refuse_garbage)
{
	struct vml_appl_logon a = { "APP1", "Secret", "SYSTEM", "VSW", 20, VML_APPL_PROMISC,
				    1 << 20 }, d;
	struct vml_appl_reply r = { 0, APPL_VDEV, 0x2A, 2, { 2, 0, 0, 0, 0, 9 }, 9010,
				    "HCPAPL9503I ok", 2048 }, e;
	struct vml_handle_reply h = { 0, 3, 256, 64 }, hh;
	uint8_t b[256];
	int n = vml_appl_logon_encode(&a, b, sizeof(b));

	CHECK_EQ(n, VML_HDR_SIZE + VML_APPL_LOGON_SIZE);
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), 0);
	CHECK(!strcmp(d.userid, "APP1") && !strcmp(d.password, "Secret") &&
	      !strcmp(d.owner, "SYSTEM") && !strcmp(d.lan, "VSW"));
	CHECK_EQ(d.vlan, 20);
	CHECK_EQ(d.flags, VML_APPL_PROMISC);
	CHECK_EQ(d.region, 1 << 20);
	CHECK_EQ(d.portnum, 0);
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n - 1, &d), -EMSGSIZE);
	b[VML_HDR_SIZE + 47] = 1;		/* reserved */
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), -EBADMSG);
	b[VML_HDR_SIZE + 47] = 0;
	/* The port number asked for travels as is (cpnetd checks its range, as for
	 * COUPLE); the bytes after it are reserved; a program from before it sends 48. */
	a.portnum = 2049;
	REQUIRE(vml_appl_logon_encode(&a, b, sizeof(b)) == n);
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), 0);
	CHECK_EQ(d.portnum, 2049);
	b[VML_HDR_SIZE + 55] = 1;
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), -EBADMSG);
	CHECK_EQ(vml_appl_logon_decode(b, VML_HDR_SIZE + VML_APPL_LOGON_SIZE_V1, &d), 0);
	CHECK_EQ(d.portnum, 0);
	b[VML_HDR_SIZE + 55] = 0;
	b[VML_HDR_SIZE + 35] = 0x80;		/* an unknown flag */
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), -EBADMSG);
	b[VML_HDR_SIZE + 35] = 1;
	b[VML_HDR_SIZE + 32] = 0x10;		/* VLAN 4116 */
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), -EBADMSG);
	b[VML_HDR_SIZE + 32] = 0;
	b[VML_HDR_SIZE + 24] = 0x01;		/* a control character in the LAN name */
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), -EBADMSG);

	n = vml_appl_reply_encode(&r, b, sizeof(b));
	CHECK_EQ(n, VML_HDR_SIZE + VML_APPL_REPLY_FIXED + 14);
	CHECK_EQ(vml_appl_reply_decode(b, (size_t)n, &e), 0);
	CHECK_EQ(e.port_id, 0x2A);
	CHECK_EQ(e.max_frame, 9010);
	CHECK_EQ(e.portnum, 2048);
	CHECK_MEM(e.mac, r.mac, 6);
	CHECK(!strcmp(e.text, "HCPAPL9503I ok"));
	CHECK_EQ(vml_appl_reply_decode(b, (size_t)n + 1, &e), -EBADMSG);
	b[VML_HDR_SIZE + 8] = 7;		/* transport */
	CHECK_EQ(vml_appl_reply_decode(b, (size_t)n, &e), -EBADMSG);

	n = vml_handle_reply_encode(APPL_VDEV, 9, &h, b, sizeof(b));
	CHECK_EQ(vml_handle_reply_decode(b, (size_t)n, &hh), 0);
	CHECK(hh.id == 3 && hh.nslots == 256 && hh.slot_size == 64 && hh.rc == 0);
	CHECK_EQ(vml_handle_reply_decode(b, (size_t)n - 2, &hh), -EMSGSIZE);
}

/* The program's side of the handshake by hand: the ring with the region, one handle. */
static int handshake(struct pair *p, struct appl_port *ap, struct shring *hr)
{
	uint8_t m[VML_HDR_SIZE + VML_HANDLE_OPEN_SIZE];
	uint16_t rc;
	int len;

	if (vml_ring_offer(&p->cpl) < 0)
		return -1;
	appl_region_ready(ap);
	for (int n = 0; n < 20 && !p->apl.ring_tx; n++)
		vml_poll(&p->apl, 50);
	if (!p->apl.ring_tx || !p->apl.ring.extra)
		return -2;
	p->apl.on_ring = NULL;
	len = vml_handle_open_encode(APPL_VDEV, 77, 64, m, sizeof(m));
	if (len < 0 || vml_send(&p->apl, m, (size_t)len) < 0)
		return -3;
	for (int n = 0; n < 5; n++)
		vml_poll(&p->cpl, 20);	/* the ACK, then the open: appl_ctl answers */
	if (vml_await(&p->apl, 77, &rc) < 0 || rc)
		return -4;
	if (shr_attach(hr, p->apl.hfds) < 0)
		return -5;
	p->apl.hfds[0] = p->apl.hfds[1] = p->apl.hfds[2] = -1;
	return 0;
}

/* A post with its reserved word set to rsv (0 in every well-formed one). */
static void post_rsv(struct shring *hr, uint64_t off, uint32_t len, uint32_t rsv)
{
	uint8_t *s = shr_tx_slot(hr);

	if (!s)
		return;
	memset(s, 0, APPL_POST_SIZE);
	memcpy(s + APPL_POST_OFF, &off, 8);
	memcpy(s + APPL_POST_LEN, &len, 4);
	memcpy(s + APPL_POST_RSV, &rsv, 4);
	shr_tx_put(hr, APPL_POST_SIZE);
	shr_tx_publish(hr);
}

static void post(struct shring *hr, uint64_t off, uint32_t len)
{
	post_rsv(hr, off, len, 0);
}

/* A completion: *gso_out (when not NULL) gets its segment size. */
static int done_gso(struct shring *hr, uint64_t *off, uint32_t *len, uint16_t *flags,
		    uint16_t *gso_out)
{
	uint8_t e[APPL_ENTRY];
	int n = shr_rx_get(hr, e, sizeof(e));
	uint32_t o32;
	uint16_t gso, rsv;

	if (n != APPL_DONE_SIZE)
		return n;
	memcpy(&o32, e + APPL_DONE_OFF, 4);
	memcpy(&gso, e + APPL_DONE_GSO, 2);
	memcpy(&rsv, e + APPL_DONE_RSV, 2);
	*off = o32;
	if (gso_out)
		*gso_out = gso;
	else if (gso || rsv)
		return -100;	/* a port that asked for no offload gets none */
	memcpy(len, e + APPL_DONE_LEN, 4);
	memcpy(flags, e + APPL_DONE_FLAGS, 2);
	shr_rx_done(hr);
	return 1;
}

static int done(struct shring *hr, uint64_t *off, uint32_t *len, uint16_t *flags)
{
	return done_gso(hr, off, len, flags, NULL);
}

/* APP1's port on LAN SYSTEM lan, the program's side by hand: the link pair p, the port
 * registered (*ap), the handshake done (handle ring hr), cpnetd's region there.  0, or
 * which step failed. */
static int app_up(struct cp *cp, const char *lan, struct pair *p, struct appl_port **ap,
		  struct shring *hr)
{
	struct vml_appl_reply rep;

	if (pair_up(p) != 0)
		return -1;
	if (reg_direct(cp, p, "APP1", "PW", "SYSTEM", lan, 0, 0, 0, ap, &rep) != 0)
		return -2;
	if (handshake(p, *ap, hr) != 0)
		return -3;
	return (*ap)->region ? 0 : -4;
}

static void app_down(struct cp *cp, struct pair *p, struct appl_port *ap, struct shring *hr)
{
	shr_free(hr);
	appl_free(cp, ap);
	pair_down(p);
}

TEST(appl_hostile_posts_are_counted_and_nothing_is_written_outside)
{
	struct cp *cp = cp_up(t);
	struct appl_port *ap = NULL;
	struct shring hr;
	struct pair p;
	uint8_t frame[100];
	struct qdio_span sp = { frame, sizeof(frame) };
	struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH, .cast = PF_BROADCAST,
			    .len = sizeof(frame) };
	uint64_t off = 0;
	uint32_t len = 0;
	uint16_t flags = 0;
	size_t rs;
	uint8_t *region;

	REQUIRE(cp);
	memset(frame, 0xA5, sizeof(frame));
	REQUIRE(app_up(cp, "VSW", &p, &ap, &hr) == 0);
	region = p.apl.ring.extra;
	rs = p.apl.ring.extra_size;
	CHECK_EQ(rs, ap->region_size);
	/* The info page says who and how the port is, in host order. */
	CHECK_EQ(*(uint32_t *)(region + APPL_INFO_MAGIC_OFF), APPL_INFO_MAGIC);
	CHECK_EQ(*(uint32_t *)(region + APPL_INFO_ID_OFF), ap->id);
	CHECK_EQ(*(uint32_t *)(region + APPL_INFO_STATE_OFF), APPL_ACTIVE);
	CHECK_EQ(*(uint32_t *)(region + APPL_INFO_HANDLES_OFF), ap->h[0].id);

	/* No buffer posted: the frame waits in cpnetd (within QUEUESTORAGE). */
	CHECK_EQ(port_deliver(ap->port, &f, 1), 1);
	CHECK_EQ(ap->port->st.drop[PD_NOBUF], 0);
	CHECK_EQ(ap->held, 1);
	CHECK_EQ(ap->port->rxq_used, sizeof(frame));

	/* Posts into the info page, past the end, wrapping, too short, with the reserved
	 * word set: skipped, counted; the good one after them gets the frame that waited. */
	post(&hr, 0, 2048);
	post(&hr, rs - 64, 128);
	post(&hr, UINT64_MAX - 10, 2048);
	post(&hr, 8192, 16);
	post_rsv(&hr, 8192, 2048, 0x80000000u);
	post(&hr, 8192, 2048);
	appl_poll(ap);
	CHECK_EQ(ap->held, 0);
	CHECK_EQ(ap->port->rxq_used, 0);
	CHECK_EQ(ap->bad[APPL_BAD_POST], 5);
	CHECK_EQ(done(&hr, &off, &len, &flags), 1);
	CHECK_EQ(off, 8192);
	CHECK_EQ(len, sizeof(frame));
	CHECK_EQ(flags, APPL_DONE_BCAST);
	CHECK_MEM(region + 8192, frame, sizeof(frame));
	CHECK_EQ(*(uint32_t *)(region + APPL_INFO_STATE_OFF), APPL_ACTIVE);

	/* A buffer smaller than the frame comes back empty, flagged; counted too big. */
	post(&hr, 16384, 64);
	CHECK_EQ(port_deliver(ap->port, &f, 1), 0);
	CHECK_EQ(done(&hr, &off, &len, &flags), 1);
	CHECK_EQ(off, 16384);
	CHECK_EQ(len, 0);
	CHECK_EQ(flags, APPL_DONE_TOOBIG);
	CHECK_EQ(ap->port->st.drop[PD_TOOBIG], 1);

	/* A guest's large send with its checksum left out: cut into segments, each in a
	 * buffer of its own with a right checksum (a program has no offloads). */
	{
		static uint8_t big[14 + 20 + 20 + 3000];
		struct qdio_span bs = { big, sizeof(big) };
		struct pframe lf = { .spans = &bs, .nspans = 1, .kind = PF_ETH,
				     .cast = PF_UNICAST, .len = sizeof(big),
				     .csum = PF_CSUM_PARTIAL, .gso_size = 1000 };
		struct csum_pkt cp4;
		unsigned segs = 0;

		memset(big, 0x11, sizeof(big));
		memcpy(big, "\x02\0\0\0\0\x09\x02\0\0\0\0\x08\x08\x00", 14);
		memcpy(big + 14, "\x45\0\x0b\xe0\0\x01\x40\0\x40\x06\0\0\x0a\0\0\x01"
				 "\x0a\0\0\x02", 20);
		memset(big + 34, 0, 20);
		big[34 + 12] = 0x50;	/* TCP header length 20 */
		big[34 + 13] = 0x18;	/* PSH ACK */
		for (unsigned k = 0; k < 4; k++)
			post(&hr, 32768 + 2048 * k, 2048);
		CHECK_EQ(port_deliver(ap->port, &lf, 1), 1);
		while (done(&hr, &off, &len, &flags) == 1) {
			segs++;
			CHECK(len == 14 + 20 + 20 + 1000);
			CHECK(csum_parse(region + off, len, true, &cp4) == 0 &&
			      csum_verify(region + off, &cp4));
		}
		CHECK_EQ(segs, 3);
		/* The fourth buffer stays posted: the next frame takes it. */
		CHECK_EQ(port_deliver(ap->port, &f, 1), 1);
		CHECK_EQ(done(&hr, &off, &len, &flags), 1);
		CHECK_EQ(off, 32768 + 3 * 2048);
		/* A segment size that would make more than TSO_MAX_SEGS segments (here
		 * 3000): refused whole and counted, not cut part way. */
		lf.gso_size = 1;
		CHECK_EQ(port_deliver(ap->port, &lf, 1), 0);
		CHECK_EQ(ap->port->st.drop[PD_SEGSIZE], 1);
		CHECK_EQ(ap->held, 0);
		CHECK_EQ(done(&hr, &off, &len, &flags), 0);
		lf.gso_size = 2;	/* 1500 segments */
		CHECK_EQ(port_deliver(ap->port, &lf, 1), 0);
		CHECK_EQ(ap->port->st.drop[PD_SEGSIZE], 2);
		CHECK_EQ(ap->held, 0);
	}

	/* The producer index jumps: the handle is closed and counted, cpnetd goes on
	 * (the frame waits for a handle that works). */
	post(&hr, 8192, 2048);
	*shr_peer_prod(&hr, 1) += 5000;
	CHECK_EQ(port_deliver(ap->port, &f, 1), 1);
	CHECK_EQ(ap->bad[APPL_BAD_RING], 1);
	CHECK(!ap->h[0].used);
	CHECK_EQ(*(uint32_t *)(region + APPL_INFO_HANDLES_OFF), 0);	/* the program sees it */
	CHECK_EQ(ap->held, 1);

	/* QUERY shows the port like an adapter, with what it did wrong. */
	{
		struct out o;
		struct vm *op = NULL;

		out_init(&o);
		REQUIRE(cp_logon(cp, "OPERATOR", "OPERATOR", &o, &op) == 0);
		out_reset(&o);
		CHECK_EQ(cmd_execute(cp, op, "QUERY VSWITCH VSW DETAILS", 25, &o), 0);
		CHECK(memmem(o.buf, o.len, "Adapter Owner: APP1     APPL: ", 30) != NULL);
		CHECK(memmem(o.buf, o.len, "Type: APPL", 10) != NULL);
		CHECK(memmem(o.buf, o.len, "Queued: 100 bytes  Peak: 100 bytes", 34) != NULL);
		CHECK(memmem(o.buf, o.len, "Refused (malformed buffer post): 5", 34) != NULL);
		/* The first frame and the one behind the broken ring waited for a buffer. */
		CHECK(memmem(o.buf, o.len, "Waited for a buffer: 2 frames", 29) != NULL);
		CHECK(memmem(o.buf, o.len, "Discarded (large send segment size): 2", 38) != NULL);
		CHECK(memmem(o.buf, o.len, "Refused (handle ring broken): 1", 31) != NULL);
		out_free(&o);
	}

	shr_free(&hr);
	appl_free(cp, ap);
	CHECK_EQ(lan_find(&cp->lans, "SYSTEM", "VSW")->nguests, 0);
	pair_down(&p);
	cp_down(cp);
}

/* A TCP large send as a sending guest leaves it (checksum field 0, left to the switch):
 * Ethernet, IPv4 (v6 false) or IPv6, a 20-byte TCP header, payload bytes of a pattern.
 * Its length. */
static uint32_t large_send(uint8_t *b, bool v6, uint32_t payload)
{
	uint32_t l3 = 14, l4 = l3 + (v6 ? 40 : 20), len = l4 + 20 + payload;

	memset(b, 0, l4 + 20);
	memcpy(b, v6 ? "\x02\0\0\0\0\x09\x02\0\0\0\0\x08\x86\xdd"
		     : "\x02\0\0\0\0\x09\x02\0\0\0\0\x08\x08\x00", 14);
	if (v6) {
		b[l3] = 0x60;
		b[l3 + 4] = (uint8_t)((len - l4) >> 8);
		b[l3 + 5] = (uint8_t)(len - l4);
		b[l3 + 6] = 6;
		b[l3 + 7] = 64;
		b[l3 + 8] = 0xfd;
		b[l3 + 23] = 1;
		b[l3 + 24] = 0xfd;
		b[l3 + 39] = 2;
	} else {
		memcpy(b + l3, "\x45\0\0\0\0\x01\x40\0\x40\x06\0\0\x0a\0\0\x01\x0a\0\0\x02", 20);
		b[l3 + 2] = (uint8_t)((len - l3) >> 8);
		b[l3 + 3] = (uint8_t)(len - l3);
	}
	b[l4 + 12] = 0x50;	/* TCP header length 20 */
	b[l4 + 13] = 0x10;	/* ACK */
	for (uint32_t i = 0; i < payload; i++)
		b[l4 + 20 + i] = (uint8_t)(i * 7 + 3);
	return len;
}

/* Ask cpnetd for receive offloads as libcpnetport does (VML_APPL_OFFLOAD): its IPA rc. */
static int ask_offload(struct pair *p, uint16_t flags)
{
	static uint32_t seq = 900;
	uint8_t m[VML_HDR_SIZE + VML_APPL_OFFLOAD_SIZE];
	uint16_t rc = 0xFFFF;
	int len = vml_simple_encode(VML_APPL_OFFLOAD, APPL_VDEV, ++seq, flags, m, sizeof(m));

	if (len < 0 || vml_send(&p->apl, m, (size_t)len) < 0)
		return -1;
	for (int n = 0; n < 3; n++)
		vml_poll(&p->cpl, 20);
	return vml_await(&p->apl, seq, &rc) < 0 ? -2 : rc;
}

/* The checksum field of the frame's TCP header holds its pseudo-header sum (left open). */
static bool open_at(const uint8_t *f, uint32_t len)
{
	struct csum_pkt cp;

	return csum_parse(f, len, true, &cp) == 0 && cp.proto == CSUM_PROTO_TCP &&
	       (uint16_t)(f[cp.l4 + 16] << 8 | f[cp.l4 + 17]) ==
		       csum_fold(csum_pseudo(&cp, cp.end - cp.l4));
}

TEST(appl_receive_offloads_keep_large_sends_whole_for_a_port_that_asks)
{
	struct cp *cp = cp_up(t);
	struct appl_port *ap = NULL;
	struct shring hr;
	struct pair p;
	static uint8_t big[APPL_FRAME_LARGE_MAX];
	struct qdio_span bs = { big, 0 };
	struct pframe lf = { .spans = &bs, .nspans = 1, .kind = PF_ETH, .cast = PF_UNICAST,
			     .csum = PF_CSUM_PARTIAL };
	const uint32_t stride = 0x11000;	/* 68 KiB: room for a 64 KiB large send */
	uint64_t off = 0;
	uint32_t len = 0, n4, n6;
	uint16_t flags = 0, gso = 0;
	uint8_t *region;
	unsigned segs;

	REQUIRE(cp);
	REQUIRE(app_up(cp, "VSW", &p, &ap, &hr) == 0);
	region = p.apl.ring.extra;

	/* Bits not defined, TSO without CSUM: refused, nothing changes. */
	CHECK_EQ(ask_offload(&p, 0x8), IPA_RC_INVALID_FORMAT);
	CHECK_EQ(ask_offload(&p, APPL_RXOL_TSO4), IPA_RC_INVALID_FORMAT);
	CHECK_EQ(ap->rx_ofl, 0);
	CHECK_EQ(ask_offload(&p, APPL_RXOL_CSUM | APPL_RXOL_TSO4), 0);
	CHECK_EQ(ap->rx_ofl, APPL_RXOL_CSUM | APPL_RXOL_TSO4);

	/* A 64 KiB TCPv4 large send: one buffer, whole, its segment size with it, the
	 * checksum open (pseudo-header sum in its field), the payload as sent. */
	n4 = large_send(big, false, 65536 - 54);
	bs.len = lf.len = n4;
	lf.gso_size = 1448;
	for (unsigned k = 0; k < 6; k++)	/* this one, and the five segments below */
		post(&hr, 8192 + stride * k, stride);
	CHECK_EQ(port_deliver(ap->port, &lf, 1), 1);
	CHECK_EQ(done_gso(&hr, &off, &len, &flags, &gso), 1);
	CHECK_EQ(off, 8192);
	CHECK_EQ(len, n4);
	CHECK_EQ(gso, 1448);
	CHECK_EQ(flags, APPL_DONE_CSUM_PARTIAL);
	CHECK(open_at(region + off, len));
	CHECK_MEM(region + off + 54, big + 54, n4 - 54);
	CHECK_EQ(done_gso(&hr, &off, &len, &flags, &gso), 0);

	/* TCPv6, which the port did not ask to take whole: cut into segments whose
	 * checksums are left open too (the port takes checksum offload). */
	n6 = large_send(big, true, 6000);
	bs.len = lf.len = n6;
	lf.gso_size = 1440;
	CHECK_EQ(port_deliver(ap->port, &lf, 1), 1);
	for (segs = 0; done_gso(&hr, &off, &len, &flags, &gso) == 1; segs++) {
		CHECK_EQ(gso, 0);
		CHECK_EQ(flags, APPL_DONE_CSUM_PARTIAL);
		CHECK(len <= 14 + 40 + 20 + 1440u);
		CHECK(open_at(region + off, len));
	}
	CHECK_EQ(segs, 5);	/* 6000 / 1440 */

	/* TSO6 too: the same send whole. */
	CHECK_EQ(ask_offload(&p, APPL_RXOL_ALL), 0);
	post(&hr, 8192 + stride * 6, stride);
	CHECK_EQ(port_deliver(ap->port, &lf, 1), 1);
	CHECK_EQ(done_gso(&hr, &off, &len, &flags, &gso), 1);
	CHECK_EQ(len, n6);
	CHECK_EQ(gso, 1440);
	CHECK_EQ(flags, APPL_DONE_CSUM_PARTIAL);
	CHECK(open_at(region + off, len));

	/* A frame the adapter it came in on verified: said so; one with its checksum as
	 * written: nothing said. */
	{
		struct pframe vf = lf;

		n4 = large_send(big, false, 1000);
		bs.len = vf.len = n4;
		vf.gso_size = 0;
		vf.csum = PF_CSUM_VERIFIED;
		post(&hr, 8192 + stride * 7, stride);
		post(&hr, 8192 + stride * 8, stride);
		CHECK_EQ(port_deliver(ap->port, &vf, 1), 1);
		CHECK_EQ(done_gso(&hr, &off, &len, &flags, &gso), 1);
		CHECK_EQ(flags, APPL_DONE_CSUM_VALID);
		vf.csum = PF_CSUM_NONE;
		CHECK_EQ(port_deliver(ap->port, &vf, 1), 1);
		CHECK_EQ(done_gso(&hr, &off, &len, &flags, &gso), 1);
		CHECK_EQ(flags, 0);
	}

	/* A buffer smaller than the whole large send: back empty, counted too big. */
	n4 = large_send(big, false, 65536 - 54);
	bs.len = lf.len = n4;
	lf.gso_size = 1448;
	post(&hr, 8192 + stride * 9, 4096);
	CHECK_EQ(port_deliver(ap->port, &lf, 1), 0);
	CHECK_EQ(done_gso(&hr, &off, &len, &flags, &gso), 1);
	CHECK_EQ(len, 0);
	CHECK_EQ(flags, APPL_DONE_TOOBIG);
	CHECK_EQ(ap->port->st.drop[PD_TOOBIG], 1);

	/* Offloads off again: MSS segments, each with its full checksum, nothing said. */
	CHECK_EQ(ask_offload(&p, 0), 0);
	n4 = large_send(big, false, 4000);
	bs.len = lf.len = n4;
	lf.gso_size = 1448;
	for (unsigned k = 10; k < 13; k++)
		post(&hr, 8192 + stride * k, stride);
	CHECK_EQ(port_deliver(ap->port, &lf, 1), 1);
	for (segs = 0; done(&hr, &off, &len, &flags) == 1; segs++) {
		struct csum_pkt c4;

		CHECK_EQ(flags, 0);
		CHECK(csum_parse(region + off, len, true, &c4) == 0 &&
		      csum_verify(region + off, &c4));
	}
	CHECK_EQ(segs, 3);

	app_down(cp, &p, ap, &hr);
	cp_down(cp);
}

/* The number a test frame carries after its Ethernet header (host order, unaligned). */
static uint32_t seq_at(const uint8_t *frame)
{
	uint32_t v;

	memcpy(&v, frame + 14, 4);
	return v;
}

/* A sink that posts late loses nothing up to QUEUESTORAGE: the frames wait in cpnetd and
 * come in order as buffers are posted; the excess is counted as queue storage; a post
 * rings cpnetd while frames wait (and only then). */
TEST(appl_frames_wait_for_late_posts_in_order_up_to_queuestorage)
{
	struct cp *cp = cp_up(t);
	struct appl_port *ap = NULL;
	struct shring hr;
	struct pair p;
	static uint8_t frames[50][1000];
	struct qdio_span sp[50];
	struct pframe f[50];
	uint64_t off = 0, next = 0;
	uint32_t len = 0;
	uint16_t flags = 0, hid = 0;
	unsigned sent = 0, kept = 0, got = 0;
	uint8_t *region;
	int bell;

	REQUIRE(cp);
	REQUIRE(app_up(cp, "QSW", &p, &ap, &hr) == 0);
	region = p.apl.ring.extra;
	CHECK_EQ(ap->port->rxq_limit, 1u << 20);
	bell = appl_bell_fd(ap, 0, &hid);
	CHECK(bell >= 0);
	CHECK_EQ(hid, ap->h[0].id);
	CHECK_EQ(appl_bell_fd(ap, 1, &hid), -1);

	/* 1100 frames of 1000 bytes, numbered, while nothing is posted: 1048 fit in
	 * 1 MB of queue storage, 52 are dropped as such. */
	for (unsigned b = 0; b < 22; b++) {
		for (unsigned i = 0; i < 50; i++) {
			uint32_t seq = sent + i;

			memset(frames[i], 0x5A, sizeof(frames[i]));
			memcpy(frames[i], "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x88\xB5", 14);
			memcpy(frames[i] + 14, &seq, 4);
			sp[i] = (struct qdio_span){ frames[i], sizeof(frames[i]) };
			f[i] = (struct pframe){ .spans = &sp[i], .nspans = 1, .kind = PF_ETH,
						.cast = PF_UNICAST, .len = sizeof(frames[i]) };
		}
		kept += port_deliver(ap->port, f, 50);
		sent += 50;
	}
	CHECK_EQ(kept, 1048);
	CHECK_EQ(ap->held, 1048);
	CHECK_EQ(ap->port->rxq_used, 1048000);
	CHECK_EQ(ap->port->rxq_peak, 1048000);
	CHECK_EQ(ap->port->st.drop[PD_QSTORAGE], 52);
	CHECK_EQ(ap->port->st.drop[PD_NOBUF], 0);

	/* cpnetd's loop finds nothing posted: it asks the handle to ring at the next
	 * post, and the post does. */
	appl_poll(ap);
	CHECK_EQ(ap->held, 1048);
	CHECK(ap->posts_armed);
	{
		struct pollfd pf = { bell, POLLIN, 0 };

		CHECK_EQ(poll(&pf, 1, 0), 0);
		post(&hr, 8192, 2048);
		CHECK_EQ(poll(&pf, 1, 0), 1);
		appl_bell(ap, 0);
		CHECK_EQ(poll(&pf, 1, 0), 0);	/* drained */
		CHECK_EQ(ap->held, 1047);
		CHECK_EQ(done(&hr, &off, &len, &flags), 1);
		CHECK_EQ(off, 8192);
		CHECK_EQ(len, 1000);
		CHECK_EQ(seq_at(region + off), next);
		next++;
	}

	/* Posted 48 at a time, late: every waiting frame comes, in order, once; each
	 * time the first post rings cpnetd. */
	while (ap->held) {
		struct pollfd pf = { bell, POLLIN, 0 };

		for (unsigned i = 0; i < 48; i++)
			post(&hr, 8192 + 2048 * (uint64_t)i, 2048);
		CHECK_EQ(poll(&pf, 1, 0), 1);
		appl_bell(ap, 0);
		while (done(&hr, &off, &len, &flags) == 1) {
			CHECK_EQ(len, 1000);
			CHECK_EQ(seq_at(region + off), next);
			next++;
			got++;
		}
	}
	CHECK_EQ(next, 1048);
	CHECK_EQ(ap->port->rxq_used, 0);
	CHECK_EQ(ap->port->rxq_peak, 1048000);
	CHECK(!ap->posts_armed);	/* nothing waits: posts ring no more */
	/* 1047 = 21 rounds of 48 + 39: nine buffers stay posted; the next frame takes
	 * one at once. */
	CHECK_EQ(got, 1047);
	CHECK_EQ(port_deliver(ap->port, f, 1), 1);
	CHECK_EQ(ap->held, 0);
	CHECK_EQ(done(&hr, &off, &len, &flags), 1);
	CHECK_EQ(ap->port->st.drop[PD_QSTORAGE], 52);
	{
		struct pollfd pf = { bell, POLLIN, 0 };

		post(&hr, 8192, 2048);
		CHECK_EQ(poll(&pf, 1, 0), 0);
	}

	/* A port that ends with frames waiting: they are counted, nothing leaks (ASan). */
	CHECK_EQ(port_deliver(ap->port, f, 1), 1);
	for (unsigned i = 0; i < 20; i++)
		port_deliver(ap->port, f, 50);
	CHECK(ap->held > 0);
	app_down(cp, &p, ap, &hr);
	cp_down(cp);
}

/* ---- through cpnetd's loop, with the library ------------------------------------- */

static void *run(void *arg)
{
	server_run(arg);
	return NULL;
}

/* The guest's broadcast, sent 100 ms after the thread starts: what a cpnp_wait that
 * began before it must wait for. */
struct late_frame {
	struct tvm *g;
	uint8_t *frame;
	size_t len;
};

static void *send_late(void *arg)
{
	struct late_frame *lf = arg;
	struct qdio_span sp = { lf->frame, (uint32_t)lf->len };
	struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH, .cast = PF_BROADCAST,
			    .len = (uint32_t)lf->len };

	usleep(100000);
	port_tx(&lf->g->port, &f, 1);
	return NULL;
}

/* One operator command on the line socket: its output (up to the second Ready). */
static int op_cmd(const char *path, const char *cmd, char *out, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[256];
	size_t got = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), readies = 0;

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	snprintf(line, sizeof(line), "LOGON OPERATOR OPERATOR\n%s\n", cmd);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		close(fd);
		return -1;
	}
	while (readies < 2 && got + 1 < cap) {
		ssize_t n = read(fd, out + got, cap - got - 1);

		if (n <= 0)
			break;
		got += (size_t)n;
		out[got] = 0;
		readies = 0;
		for (char *s = out; (s = strstr(s, "Ready")); s++)
			readies++;
	}
	out[got] = 0;
	close(fd);
	return 0;
}

TEST(appl_api_exchanges_frames_with_a_vm_and_ends_cleanly)
{
	static struct tvm g;
	struct cp *cp = cp_up(t);
	struct server *s = NULL;
	struct cpnp_reg r = { .user = "APP1", .password = "pw", .vswitch = "VSW",
			      .region = 1 << 20 };
	struct cpnp_port *p = NULL, *p2 = NULL;
	struct cpnp_handle *h = NULL;
	struct cpnp_frame fr[4];
	uint8_t bcast[60] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	uint8_t big[PORT_MAX_ETH + 1];
	uint8_t mac[6], outside[256];
	void *outside_ptr = outside;
	char path[64], out[8192];
	pthread_t th;
	sigset_t mask;
	pid_t pid;
	int status, n = 0;
	void *buf[8];

	REQUIRE(cp);
	memset(&g, 0, sizeof(g));
	tc_path(t, path, sizeof(path), "cpnetd.sock");
	sigprocmask(SIG_BLOCK, NULL, &mask);
	REQUIRE(server_create(&s, cp, path, NULL) == 0);
	REQUIRE(pthread_create(&th, NULL, run, s) == 0);
	r.socket = server_vm_path(s);

	/* Refusals through the library: clear codes and cpnetd's message. */
	r.vswitch = "NOVSW";
	CHECK_EQ(cpnp_register(&r, &p), -ENOENT);
	CHECK(strstr(cpnp_last_error(NULL), "HCPLAN9101E") != NULL);
	r.vswitch = "RSW";
	CHECK_EQ(cpnp_register(&r, &p), -EACCES);
	CHECK(strstr(cpnp_last_error(NULL), "not authorized") != NULL);
	r.vswitch = "VSW";
	r.password = "nope";
	CHECK_EQ(cpnp_register(&r, &p), -EPERM);
	r.password = "pw";
	r.portnum = 2049;
	CHECK_EQ(cpnp_register(&r, &p), -ERANGE);
	CHECK(strstr(cpnp_last_error(NULL), "HCPCMD9010E Value 2049 for PORTNUMBER") != NULL);
	r.portnum = 9;		/* SYSTEM CONFIG: MODIFY VSWITCH VSW PORTNUMBER 9 USERID APP2 */
	CHECK_EQ(cpnp_register(&r, &p), -EACCES);
	CHECK(strstr(cpnp_last_error(NULL), "HCPLAN9112E Port number 9") != NULL);
	r.portnum = 7;

	n = cpnp_register(&r, &p);
	if (n)
		fprintf(stderr, "register: %d %s\n", n, cpnp_last_error(NULL));
	REQUIRE(n == 0);
	CHECK(cpnp_port_id(p) != 0);
	CHECK_EQ(cpnp_port_number(p), 7);
	CHECK_EQ(cpnp_transport(p), CPNP_ETHERNET);
	cpnp_port_mac(p, mac);
	CHECK_EQ(tvm_up(&g, server_vm_path(s), "GUEST1"), 0);

	/* NULL where the library would write or read an array: -EINVAL, no crash, and
	 * no handle opened at cpnetd that nobody could close; the zero MAC is nobody's. */
	CHECK_EQ(cpnp_handle_open(p, NULL), -EINVAL);
	CHECK(strstr(cpnp_last_error(p), "out is NULL") != NULL);
	CHECK_EQ(cpnp_send(p, NULL, 1), -EINVAL);
	CHECK_EQ(cpnp_send(p, NULL, 0), 0);
	CHECK_EQ(cpnp_add_mac(p, (const uint8_t[6]){ 0 }), -EACCES);
	CHECK(strstr(cpnp_last_error(p), "MAC 00-00-00-00-00-00 refused") != NULL);
	REQUIRE(cpnp_handle_open(p, &h) == 0);
	CHECK_EQ(cpnp_state(h), CPNP_NO_DATA);
	CHECK_EQ(cpnp_post_n(h, NULL, 3, 2048), -EINVAL);
	CHECK_EQ(cpnp_recv(h, NULL, 4), -EINVAL);
	for (int k = 0; k < 8; k++) {
		buf[k] = cpnp_alloc(p, 2048);
		REQUIRE(buf[k] != NULL);
		CHECK_EQ(cpnp_post(h, buf[k], 2048), 0);
	}
	/* Bad use: a buffer outside the region, a frame larger than the LAN carries. */
	CHECK_EQ(cpnp_post(h, outside, sizeof(outside)), -EFAULT);
	CHECK(strstr(cpnp_last_error(p), "region") != NULL);
	memset(big, 0, sizeof(big));
	fr[0] = (struct cpnp_frame){ .data = big, .len = sizeof(big) };
	CHECK_EQ(cpnp_send(p, fr, 1), -EMSGSIZE);
	/* A large send asking for segments under the floor (lib/tso.h): refused before it
	 * reaches the ring, IPv6's floor for IPv6 (tagged or not). */
	{
		struct cpnp_offload ol = { .gso_size = 535, .flags = CPNP_OL_CSUM };

		big[12] = 0x08;
		fr[0] = (struct cpnp_frame){ .data = big, .len = 3000 };
		CHECK_EQ(cpnp_send_offload(p, fr, &ol, 1), -EINVAL);
		CHECK(strstr(cpnp_last_error(p), "segment size 535") != NULL);
		CHECK(strstr(cpnp_last_error(p), "at least 536") != NULL);
		big[12] = 0x86;
		big[13] = 0xDD;
		ol.gso_size = 1219;
		CHECK_EQ(cpnp_send_offload(p, fr, &ol, 1), -EINVAL);
		CHECK(strstr(cpnp_last_error(p), "at least 1220") != NULL);
		memcpy(big + 12, "\x81\x00\x00\x05\x86\xdd", 6);
		CHECK_EQ(cpnp_send_offload(p, fr, &ol, 1), -EINVAL);
		CHECK(strstr(cpnp_last_error(p), "at least 1220") != NULL);
		memset(big, 0, 18);
	}

	/* The guest broadcasts: the frame lands in a posted buffer; state says so with no
	 * system call, the eventfd after cpnp_ready. */
	{
		struct qdio_span sp = { bcast, sizeof(bcast) };
		struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH,
				    .cast = PF_BROADCAST, .len = sizeof(bcast) };

		memcpy(bcast + 6, g.def.mac, 6);
		bcast[12] = 0x08;
		bcast[13] = 0x06;
		port_tx(&g.port, &f, 1);
	}
	CHECK_EQ(cpnp_wait(h, 5000), 1);
	CHECK_EQ(cpnp_state(h), CPNP_DATA);
	n = cpnp_recv(h, fr, 4);
	CHECK_EQ(n, 1);
	if (n == 1) {
		CHECK_EQ(fr[0].len, sizeof(bcast));
		CHECK_MEM(fr[0].data, bcast, sizeof(bcast));
		CHECK(fr[0].flags & CPNP_F_BCAST);
		CHECK_EQ(cpnp_post(h, fr[0].data, 2048), 0);
	}
	CHECK_EQ(cpnp_state(h), CPNP_NO_DATA);
	/* Any negative timeout waits for ever (as poll's), not only -1: no data yet, a
	 * frame 100 ms later, and cpnp_wait(h, -2) returns with it, not with 0. */
	{
		struct late_frame lf = { &g, bcast, sizeof(bcast) };
		pthread_t late;

		CHECK_EQ(cpnp_wait(h, 0), 0);
		REQUIRE(pthread_create(&late, NULL, send_late, &lf) == 0);
		/* Bounded: a wait that never ends kills the run (SIGALRM) instead of
		 * hanging it. */
		alarm(30);
		CHECK_EQ(cpnp_wait(h, -2), 1);
		alarm(0);
		pthread_join(late, NULL);
		n = cpnp_recv(h, fr, 4);
		CHECK_EQ(n, 1);
		if (n == 1) {
			CHECK_MEM(fr[0].data, bcast, sizeof(bcast));
			CHECK_EQ(cpnp_post(h, fr[0].data, 2048), 0);
		}
	}

	/* The port sends to the guest's MAC; a forged source MAC is dropped by the switch. */
	{
		uint8_t uf[60] = { 0 }, forged[60] = { 0 };

		memcpy(uf, g.def.mac, 6);
		memcpy(uf + 6, mac, 6);
		uf[12] = 0x08;
		uf[13] = 0x06;
		uf[20] = 0x77;
		memcpy(forged, uf, sizeof(forged));
		forged[6] = 0x02;
		forged[11] ^= 0x5A;
		fr[0] = (struct cpnp_frame){ .data = uf, .len = sizeof(uf) };
		fr[1] = (struct cpnp_frame){ .data = forged, .len = sizeof(forged) };
		CHECK_EQ(cpnp_send(p, fr, 2), 2);
		for (int k = 0; k < 500 && g.frames < 1; k++)
			vml_poll(&g.l, 10);
		CHECK_EQ(g.frames, 1);
		CHECK_EQ(g.last[20], 0x77);
	}

	/* Use after close. */
	CHECK_EQ(cpnp_handle_close(h), 0);
	CHECK_EQ(cpnp_recv(h, fr, 1), -EBADF);
	CHECK_EQ(cpnp_post(h, buf[0], 2048), -EBADF);
	CHECK_EQ(cpnp_state(h), CPNP_CLOSED);
	CHECK_EQ(cpnp_handle_close(h), -EBADF);

	/* A handle of 1000 buffers (rounded up to 1024), posted with cpnp_post_n: one bad
	 * buffer stops the batch where it is; 1024 fill it, the next is refused. */
	{
		static void *many[1024];
		struct cpnp_handle *hn = NULL;
		void *two[3];

		CHECK_EQ(cpnp_handle_open_n(p, 8, &hn), -EINVAL);
		CHECK_EQ(cpnp_handle_open_n(p, CPNP_HANDLE_SLOTS_MAX + 1, &hn), -EINVAL);
		REQUIRE(cpnp_handle_open_n(p, 1000, &hn) == 0);
		for (unsigned k = 0; k < 1024; k++)
			REQUIRE((many[k] = cpnp_alloc(p, 64)) != NULL);
		two[0] = many[0];
		two[1] = many[1];
		two[2] = outside;
		CHECK_EQ(cpnp_post_n(hn, two, 3, 64), 2);
		CHECK_EQ(cpnp_post_n(hn, &outside_ptr, 1, 64), -EFAULT);
		CHECK_EQ(cpnp_post_n(hn, many + 2, 1022, 64), 1022);
		CHECK_EQ(cpnp_post(hn, buf[0], 2048), -ENOBUFS);
		CHECK(strstr(cpnp_last_error(p), "1024 buffers") != NULL);
		CHECK_EQ(cpnp_handle_close(hn), 0);
	}

	/* Frames that come before any buffer is posted wait in cpnetd and arrive, in
	 * order, once the program posts (the post rings cpnetd). */
	{
		struct cpnp_handle *hl = NULL;
		struct qdio_span sp = { bcast, sizeof(bcast) };
		struct pframe f = { .spans = &sp, .nspans = 1, .kind = PF_ETH,
				    .cast = PF_BROADCAST, .len = sizeof(bcast) };
		void *three[3] = { buf[1], buf[2], buf[3] };

		REQUIRE(cpnp_handle_open_n(p, 16, &hl) == 0);
		for (uint8_t k = 0; k < 3; k++) {
			bcast[20] = (uint8_t)(0xA0 + k);
			port_tx(&g.port, &f, 1);
		}
		CHECK_EQ(cpnp_wait(hl, 50), 0);		/* nothing posted: nothing comes */
		CHECK_EQ(cpnp_post_n(hl, three, 3, 2048), 3);
		n = 0;
		for (int tries = 0; tries < 50 && n < 3; tries++) {
			int got;

			if (cpnp_wait(hl, 100) < 0)
				break;
			got = cpnp_recv(hl, fr + n, (unsigned)(3 - n));
			if (got > 0)
				n += got;
		}
		CHECK_EQ(n, 3);
		for (int k = 0; k < n; k++)
			CHECK_EQ(((uint8_t *)fr[k].data)[20], 0xA0 + k);
		CHECK_EQ(cpnp_handle_close(hl), 0);
	}

	/* QUERY: type APPL with the owner and the id; the forged frame counted. */
	CHECK_EQ(op_cmd(path, "QUERY VSWITCH VSW DETAILS", out, sizeof(out)), 0);
	{
		char want[64];

		snprintf(want, sizeof(want), "Adapter Owner: APP1     APPL: %08X", cpnp_port_id(p));
		CHECK(strstr(out, want) != NULL);
		CHECK(strstr(out, want) && strstr(strstr(out, want), "\n      Port: 0007  Layer: 2"));
		CHECK(strstr(out, "Discarded (source address not owned): 1") != NULL);
	}
	/* The number is the port's: a second port asking for it is refused. */
	CHECK_EQ(cpnp_register(&r, &p2), -EADDRINUSE);
	CHECK(strstr(cpnp_last_error(NULL), "HCPLAN9105E Port number 7 is in use") != NULL);
	r.portnum = 0;

	/* FORCE APP1: the port ends; the next call says so. */
	CHECK_EQ(op_cmd(path, "FORCE APP1", out, sizeof(out)), 0);
	CHECK(strstr(out, "HCPAPL9502I") != NULL);
	CHECK_EQ(cpnp_send(p, fr, 1), -ESHUTDOWN);
	CHECK(strstr(cpnp_last_error(p), "FORCE") != NULL);
	CHECK_EQ(cpnp_deregister(p), 0);

	/* A program that dies without deregistering: cpnetd ends its port. */
	pid = fork();
	if (pid == 0) {
		struct cpnp_port *c = NULL;

		_exit(cpnp_register(&r, &c) == 0 ? 0 : 1);
	}
	REQUIRE(pid > 0);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* A second port of the same user still works after all that. */
	n = cpnp_register(&r, &p2);
	if (n)
		fprintf(stderr, "register after the fork: %d %s\n", n, cpnp_last_error(NULL));
	REQUIRE(n == 0);
	CHECK_EQ(cpnp_deregister(p2), 0);
	for (int k = 0; k < 50; k++) {
		op_cmd(path, "QUERY VSWITCH VSW DETAILS", out, sizeof(out));
		if (!strstr(out, "Type: APPL"))
			break;
		usleep(20000);
	}
	CHECK(strstr(out, "Type: APPL") == NULL);

	/* A port alive when cpnetd stops is told so. */
	REQUIRE(cpnp_register(&r, &p2) == 0);
	server_stop(s);
	pthread_join(th, NULL);
	CHECK_EQ(lan_find(&cp->lans, "SYSTEM", "VSW")->nguests, 2);	/* the NIC, p2 */
	tvm_down(&g);
	server_destroy(s);
	fr[0] = (struct cpnp_frame){ .data = bcast, .len = sizeof(bcast) };
	CHECK_EQ(cpnp_send(p2, fr, 1), -EPIPE);
	CHECK(strstr(cpnp_last_error(p2), "cpnetd stopped") != NULL);
	CHECK_EQ(cpnp_deregister(p2), 0);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	cp_down(cp);
}

/* A password file the library cannot read is the program's argument, not cpnetd's
 * answer: -EINVAL naming the file, never -ENOENT ("no such LAN or VSWITCH"). */
TEST(appl_api_unreadable_pwfile_says_the_file_not_the_lan)
{
	struct cpnp_reg r = { .user = "APP1", .vswitch = "VSW",
			      .socket = "/nonexistent/cpnetd.sock.vm" };
	struct cpnp_port *p = NULL;
	char path[256], empty[256];
	FILE *f;

	tc_path(t, path, sizeof(path), "no-such.pw");
	tc_path(t, empty, sizeof(empty), "empty.pw");
	REQUIRE(path[0] && empty[0]);
	REQUIRE((f = fopen(empty, "w")) != NULL);
	fclose(f);

	r.pwfile = path;
	CHECK_EQ(cpnp_register(&r, &p), -EINVAL);
	CHECK(strstr(cpnp_last_error(NULL), path) != NULL);
	CHECK(strstr(cpnp_last_error(NULL), "No such file") != NULL);
	CHECK(strstr(cpnp_strerror(-EINVAL), "LAN") == NULL);
	r.pwfile = empty;
	CHECK_EQ(cpnp_register(&r, &p), -EINVAL);
	CHECK(strstr(cpnp_last_error(NULL), "no password of 1 to 8 characters") != NULL);
	CHECK(p == NULL);
}

TEST(appl_ip_lan_ports_register_addresses_and_forged_sources_are_dropped)
{
	struct cp *cp = cp_up(t);
	struct server *s = NULL;
	struct cpnp_reg r = { .user = "APP1", .password = "pw", .lan = "IPLAN",
			      .lan_owner = "SYSTEM", .region = 256 << 10 };
	struct cpnp_port *a = NULL, *b = NULL;
	struct cpnp_handle *h = NULL;
	struct cpnp_frame fr[2];
	uint8_t pkt[2][40], mac[6] = { 2, 0, 0, 0, 0, 0x42 };
	char path[64], out[8192];
	pthread_t th;
	sigset_t mask;
	int n = 0;

	REQUIRE(cp);
	tc_path(t, path, sizeof(path), "cpnetd.sock");
	sigprocmask(SIG_BLOCK, NULL, &mask);
	REQUIRE(server_create(&s, cp, path, NULL) == 0);
	REQUIRE(pthread_create(&th, NULL, run, s) == 0);
	r.socket = server_vm_path(s);
	REQUIRE(cpnp_register(&r, &a) == 0);
	r.user = "APP2";
	REQUIRE(cpnp_register(&r, &b) == 0);
	CHECK_EQ(cpnp_transport(a), CPNP_IP);

	/* Addresses: IP only on an IP LAN; one owner per address. */
	CHECK_EQ(cpnp_add_ip(a, "10.5.0.9/24"), 0);
	CHECK_EQ(cpnp_add_ip(b, "10.5.0.10"), 0);
	CHECK_EQ(cpnp_add_ip(b, "10.5.0.9"), -EADDRINUSE);
	CHECK(strstr(cpnp_last_error(b), "IPA return code") != NULL);
	CHECK_EQ(cpnp_add_ip(b, "10.5.0.300"), -EINVAL);
	CHECK_EQ(cpnp_add_mac(b, mac), -EINVAL);
	CHECK_EQ(cpnp_del_ip(b, "10.5.0.77"), -EADDRNOTAVAIL);

	/* b receives; a sends one packet from its address and one from another's. */
	REQUIRE(cpnp_handle_open(b, &h) == 0);
	for (int k = 0; k < 4; k++)
		CHECK_EQ(cpnp_post(h, cpnp_alloc(b, 256), 256), 0);
	for (int k = 0; k < 2; k++) {
		memset(pkt[k], 0, sizeof(pkt[k]));
		memcpy(pkt[k], "\x45\0\0\x28\0\0\0\0\x40\x11\0\0\x0a\x05\0\x09\x0a\x05\0\x0a", 20);
		pkt[k][39] = (uint8_t)(0xA0 + k);
		fr[k] = (struct cpnp_frame){ .data = pkt[k], .len = sizeof(pkt[k]) };
	}
	pkt[1][15] = 0x42;	/* 10.5.0.66: not a's */
	CHECK_EQ(cpnp_send(a, fr, 2), 2);
	CHECK_EQ(cpnp_wait(h, 5000), 1);
	usleep(100000);		/* the forged one would come right after */
	n = cpnp_recv(h, fr, 2);
	CHECK_EQ(n, 1);
	if (n == 1) {
		CHECK_EQ(fr[0].len, 40);
		CHECK_EQ(((uint8_t *)fr[0].data)[39], 0xA0);
		CHECK(!(fr[0].flags & CPNP_F_IPV6));
	}
	CHECK_EQ(op_cmd(path, "QUERY LAN IPLAN OWNERID SYSTEM DETAILS", out, sizeof(out)), 0);
	CHECK(strstr(out, "Discarded (source address not owned): 1") != NULL);
	CHECK(strstr(out, "10.5.0.9") != NULL);
	CHECK(strstr(out, "Bandwidth") == NULL);

	/* A program caps its own port; the switch shows it as the APPL's cap. */
	CHECK_EQ(cpnp_set_bandwidth(b, 20000), 0);
	CHECK_EQ(cpnp_set_bandwidth(b, CPNP_BANDWIDTH_MAX + 1), -EINVAL);
	CHECK(strstr(cpnp_last_error(b), "kbit/s") != NULL);
	CHECK_EQ(op_cmd(path, "QUERY LAN IPLAN OWNERID SYSTEM DETAILS", out, sizeof(out)), 0);
	CHECK(strstr(out, "      Bandwidth: 20M bit/s  Burst: 250000 bytes  (PORTNUMBER OFF, APPL 20M)\n")
	      != NULL);
	CHECK_EQ(cpnp_set_bandwidth(b, 0), 0);
	CHECK_EQ(op_cmd(path, "QUERY LAN IPLAN OWNERID SYSTEM DETAILS", out, sizeof(out)), 0);
	CHECK(strstr(out, "Bandwidth") == NULL);

	CHECK_EQ(cpnp_deregister(a), 0);
	CHECK_EQ(cpnp_deregister(b), 0);
	server_stop(s);
	pthread_join(th, NULL);
	server_destroy(s);	/* links it had not read to their end close here */
	CHECK_EQ(lan_find(&cp->lans, "SYSTEM", "IPLAN")->nguests, 0);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	cp_down(cp);
}
