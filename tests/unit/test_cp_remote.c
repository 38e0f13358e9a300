/* tests/unit/test_cp_remote.c - CP's side of a virtual machine in another process: LOGON
 * over a vmlink, the NIC definitions and link states it is sent, LOGOFF releasing all. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmds/cmds.h"
#include "cp/config.h"
#include "tests/tcheck.h"

static const char rdir[] =
	"USER OPERATOR OPERATOR ABCDEFG\n"
	"USER REMOTE1 PW1 G\n"
	"  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWETH\n"
	"  NICDEF 0700 TYPE QDIO LAN SYSTEM VSWIP\n"
	"  NICDEF 0800 TYPE QDIO\n";
static const char rcfg[] =
	"DEFINE VSWITCH VSWETH ETHERNET\n"
	"DEFINE VSWITCH VSWIP IP\n"
	"MODIFY VSWITCH VSWETH GRANT REMOTE1\n"
	"MODIFY VSWITCH VSWIP GRANT REMOTE1\n";

struct renv {
	struct cp cp;
	struct vmlink link;	/* CP side */
	int sv[2];		/* sv[0]: the VM's end, read raw */
	uint8_t buf[VML_MAX_MSG];
	struct out o;
};

static struct renv *renv_new(void)
{
	struct renv *e = calloc(1, sizeof(*e));
	struct out o;

	if (!e)
		return NULL;
	cp_init(&e->cp, 3);
	out_init(&e->o);
	out_init(&o);
	if (dir_parse(&e->cp.dir, "dir", rdir, strlen(rdir), &o) != 0 ||
	    config_parse(&e->cp, "cfg", rcfg, strlen(rcfg), &o) != 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, e->sv) != 0 ||
	    vml_init(&e->link, e->sv[1], true) != 0) {
		out_free(&o);
		free(e);
		return NULL;
	}
	out_free(&o);
	return e;
}

static void renv_free(struct renv *e)
{
	cp_free(&e->cp);
	vml_free(&e->link);
	close(e->sv[0]);
	close(e->sv[1]);
	out_free(&e->o);
	free(e);
}

/* The next message CP sent to the VM: its length (0 = none waiting), header in h. */
static size_t next_msg(struct renv *e, struct vml_hdr *h)
{
	ssize_t n = recv(e->sv[0], e->buf, sizeof(e->buf), MSG_DONTWAIT);

	if (n <= 0 || vml_hdr_decode(e->buf, (size_t)n, h) < 0)
		return 0;
	return (size_t)n;
}

TEST(cp_remote_logon_refused_with_message)
{
	struct renv *e = renv_new();
	struct vml_logon_reply r;
	struct vml_hdr h;
	struct vm *vm = NULL;
	size_t n;

	REQUIRE(e);
	CHECK_EQ(cp_logon_remote(&e->cp, "REMOTE1", "WRONG", &e->link, &e->o, &vm), 50);
	n = next_msg(e, &h);
	REQUIRE(n > 0);
	CHECK_EQ(h.type, VML_LOGON_REPLY);
	REQUIRE(vml_logon_reply_decode(e->buf, n, &r) == 0);
	CHECK_EQ(r.rc, 50);
	CHECK(!strncmp(r.text, "HCPLGA050E ", 11));
	CHECK_EQ(next_msg(e, &h), 0);		/* nothing else: the caller closes */
	CHECK_EQ(e->cp.nvms, 0);
	CHECK(vm == NULL);

	CHECK_EQ(cp_logon_remote(&e->cp, "NOBODY", "X", &e->link, &e->o, &vm), 53);
	n = next_msg(e, &h);
	REQUIRE(n > 0 && vml_logon_reply_decode(e->buf, n, &r) == 0);
	CHECK(!strncmp(r.text, "HCPLGA053E NOBODY not in CP directory", 37));

	/* Already logged on (here: from a terminal): refused, the VM is not disturbed. */
	REQUIRE(cp_logon(&e->cp, "REMOTE1", "PW1", &e->o, &vm) == 0);
	CHECK_EQ(cp_logon_remote(&e->cp, "REMOTE1", "PW1", &e->link, &e->o, &vm), 54);
	n = next_msg(e, &h);
	REQUIRE(n > 0 && vml_logon_reply_decode(e->buf, n, &r) == 0);
	CHECK_EQ(r.rc, 54);
	CHECK_EQ(e->cp.nvms, 1);
	CHECK(e->cp.vms[0]->link == NULL);
	CHECK_EQ(e->cp.vms[0]->nnics, 3);
	renv_free(e);
}

TEST(cp_remote_logon_defines_couples_and_logoff_releases)
{
	struct renv *e = renv_new();
	struct lanbk *eth, *ip;
	struct vml_logon_reply r;
	struct vml_nicdef d;
	struct vml_hdr h;
	struct vnic *n6;
	struct vm *vm = NULL;
	uint16_t v;
	size_t n;

	REQUIRE(e);
	eth = lan_find(&e->cp.lans, "SYSTEM", "VSWETH");
	ip = lan_find(&e->cp.lans, "SYSTEM", "VSWIP");
	REQUIRE(eth && ip);
	REQUIRE(cp_logon_remote(&e->cp, "remote1", "PW1", &e->link, &e->o, &vm) == 0);
	REQUIRE(vm != NULL);
	CHECK(vm->link == &e->link);
	CHECK_EQ(vm->nnics, 3);

	/* The reply comes first. */
	n = next_msg(e, &h);
	REQUIRE(n > 0 && h.type == VML_LOGON_REPLY);
	REQUIRE(vml_logon_reply_decode(e->buf, n, &r) == 0);
	CHECK_EQ(r.rc, 0);
	CHECK_STR(r.text, "LOGON AS  REMOTE1  USERS = 1");

	/* 0600: defined with its LAN's transport, MAC and name, then link up. */
	n6 = vm_find_nic(vm, 0x0600);
	REQUIRE(n6 != NULL);
	CHECK(n6->nic == NULL);			/* no NICBK in CP for a remote NIC */
	REQUIRE(n6->port != NULL);
	CHECK(lan_conn_of(eth, n6->port) != NULL);
	n = next_msg(e, &h);
	REQUIRE(n > 0 && h.type == VML_NIC_DEFINE);
	REQUIRE(vml_nicdef_decode(e->buf, n, &d) == 0);
	CHECK_EQ(d.vdev, 0x0600);
	CHECK_EQ(d.ndev, 3);
	CHECK_EQ(d.transport, 2);
	CHECK_EQ(d.type, NIC_QDIO);
	CHECK_MEM(d.mac, n6->mac, 6);
	CHECK_STR(d.lan, "VSWETH");
	CHECK_STR(d.owner, "SYSTEM");
	n = next_msg(e, &h);
	REQUIRE(n > 0 && h.type == VML_LINK && h.vdev == 0x0600);
	CHECK(vml_simple_decode(e->buf, n, &v) == 0 && v == 1);

	/* 0700 on the IP switch: transport 1. */
	n = next_msg(e, &h);
	REQUIRE(n > 0 && h.type == VML_NIC_DEFINE);
	REQUIRE(vml_nicdef_decode(e->buf, n, &d) == 0);
	CHECK_EQ(d.vdev, 0x0700);
	CHECK_EQ(d.transport, 1);
	n = next_msg(e, &h);
	REQUIRE(n > 0 && h.type == VML_LINK && h.vdev == 0x0700);

	/* 0800 has no LAN: defined, transport 0, no link message. */
	n = next_msg(e, &h);
	REQUIRE(n > 0 && h.type == VML_NIC_DEFINE);
	REQUIRE(vml_nicdef_decode(e->buf, n, &d) == 0);
	CHECK_EQ(d.vdev, 0x0800);
	CHECK_EQ(d.transport, 0);
	CHECK_STR(d.lan, "");
	CHECK_EQ(next_msg(e, &h), 0);
	CHECK_EQ(eth->nguests, 1);
	CHECK_EQ(ip->nguests, 1);

	/* The VM's own commands: UNCOUPLE -> link down, COUPLE -> up, DETACH -> detach. */
	CHECK_EQ(cmd_execute(&e->cp, vm, "UNCOUPLE 600", 12, &e->o), 0);
	n = next_msg(e, &h);
	REQUIRE(n > 0 && h.type == VML_LINK && h.vdev == 0x0600);
	CHECK(vml_simple_decode(e->buf, n, &v) == 0 && v == 0);
	CHECK_EQ(eth->nguests, 0);
	CHECK_EQ(cmd_execute(&e->cp, vm, "COUPLE 800 TO SYSTEM VSWETH", 27, &e->o), 0);
	n = next_msg(e, &h);
	REQUIRE(n > 0 && h.type == VML_LINK && h.vdev == 0x0800);
	CHECK(vml_simple_decode(e->buf, n, &v) == 0 && v == 1);
	CHECK_EQ(cmd_execute(&e->cp, vm, "DEFINE NIC 900 TYPE QDIO", 24, &e->o), 0);
	n = next_msg(e, &h);
	REQUIRE(n > 0 && h.type == VML_NIC_DEFINE && h.vdev == 0x0900);
	CHECK_EQ(cmd_execute(&e->cp, vm, "DETACH NIC 900", 14, &e->o), 0);
	n = next_msg(e, &h);
	REQUIRE(n > 0 && h.type == VML_NIC_DETACH && h.vdev == 0x0900);
	CHECK_EQ(vm->nnics, 3);

	/* A terminal session ending does not log a remote VM off. */
	REQUIRE(cp_logon(&e->cp, "REMOTE1", "PW1", &e->o, &vm) == 0);
	cp_session_end(&e->cp, vm);
	CHECK_EQ(e->cp.nvms, 1);

	/* LOGOFF: every NIC leaves its LAN, proxies go, the VM is told. */
	cp_logoff(&e->cp, vm);
	CHECK_EQ(e->cp.nvms, 0);
	CHECK_EQ(eth->nguests, 0);
	CHECK_EQ(ip->nguests, 0);
	for (unsigned k = 0; k < VML_MAX_NICS; k++)
		CHECK(!e->link.nics[k].used);
	for (unsigned guard = 0; guard < 16 && (n = next_msg(e, &h)) && h.type != VML_LOGOFF; guard++)
		;
	CHECK(n > 0 && h.type == VML_LOGOFF);
	/* A LOGOFF (or FORCE) is final: the VM must not log on again by itself. */
	{
		uint16_t why = 99;

		CHECK_EQ(vml_simple_decode(e->buf, n, &why), 0);
		CHECK_EQ(why, VML_LOGOFF_ENDED);
	}
	renv_free(e);
}

TEST(cp_remote_stopping_cp_tells_vms_it_may_come_back)
{
	struct renv *e = renv_new();
	struct vml_hdr h;
	struct vm *vm = NULL;
	uint16_t why = 99;
	size_t n = 0;

	REQUIRE(e);
	REQUIRE(cp_logon_remote(&e->cp, "REMOTE1", "PW1", &e->link, &e->o, &vm) == 0);
	/* What the server's shutdown does before it closes the VM connections. */
	e->cp.stopping = true;
	cp_logoff(&e->cp, vm);
	for (unsigned guard = 0; guard < 16 && (n = next_msg(e, &h)) && h.type != VML_LOGOFF; guard++)
		;
	REQUIRE(n > 0 && h.type == VML_LOGOFF);
	CHECK_EQ(n, VML_HDR_SIZE + VML_LOGOFF_SIZE);
	CHECK_EQ(vml_simple_decode(e->buf, n, &why), 0);
	CHECK_EQ(why, VML_LOGOFF_SHUTDOWN);
	renv_free(e);
}
