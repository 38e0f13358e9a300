/* tests/unit/test_review.c - regression tests for correctness bugs found in review of
 * vnic/, qdio/, css/, vswitch/ and osa/: each case failed before its fix. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "qdio/queue.h"
#include "qeth/ipa.h"
#include "tests/tcheck.h"
#include "vnic/nic.h"
#include "vswitch/switch.h"

/* ---- vnic: a connection reset withdraws promiscuous mode and the router role ------ */

static struct lanbk *review_lan(struct lan_table *tb, uint8_t transport)
{
	struct lanbk *lan = NULL;

	lan_table_init(tb, 7);
	if (lan_define(tb, "SYSTEM", "REVIEW", LAN_VSWITCH, &lan))
		return NULL;
	lan_set_transport(lan, transport);
	return lan;
}

TEST(review_nic_reset_withdraws_promisc_and_router)
{
	struct lan_table tb;
	struct lanbk *lan = review_lan(&tb, LAN_IP);
	struct nic_cfg cfg;
	struct nicbk nic;
	struct lan_conn *c;
	struct paddr a;

	REQUIRE(lan);
	memset(&cfg, 0, sizeof(cfg));
	cfg.base_devno = 0x600;
	cfg.ndev = 3;
	cfg.mac[0] = 2;
	REQUIRE(nic_create(&nic, &cfg) == 0);
	REQUIRE(lan_attach_port(lan, &nic.port, "LINUX1", 0x600, LAN_PORTNUM_AUTO, NULL) > 0);
	c = lan_conn_of(lan, &nic.port);
	REQUIRE(c);
	/* What the NIC's IPA handlers do for SETADAPTERPARMS promisc on and SETRTG
	 * primary router on an online layer-3 connection. */
	memset(&a, 0, sizeof(a));
	a.op = PA_LAYER;
	a.value = 3;
	CHECK_EQ(port_addr(&nic.port, &a), 0);
	a.op = PA_STARTLAN;
	CHECK_EQ(port_addr(&nic.port, &a), 0);
	a.op = PA_PROMISC;
	a.value = 1;
	CHECK_EQ(port_addr(&nic.port, &a), 0);
	a.op = PA_SETRTG;
	a.value = IPA_RTG_PRIMARY_ROUTER;
	CHECK_EQ(port_addr(&nic.port, &a), 0);
	nic.layer = 3;
	nic.state = NC_DM_ACT;
	nic.lan_started = true;
	nic.promisc = true;
	nic.routing4 = IPA_RTG_PRIMARY_ROUTER;
	CHECK_EQ(lan->npromisc, 1);
	CHECK_EQ(lan->prirouter4, (int)c->idx);

	/* The guest goes offline (halt/clear of its control devices). */
	nic_reset(&nic);
	CHECK_EQ(nic.promisc, 0);
	CHECK_EQ(c->promisc, 0);
	CHECK_EQ(lan->npromisc, 0);
	CHECK_EQ(c->rtg4, IPA_RTG_NONE);
	CHECK_EQ(lan->prirouter4, -1);

	lan_detach_port(lan, &nic.port);
	nic_destroy(&nic);
	lan_table_free(&tb);
}

/* ---- vswitch: a receiver that detaches itself while a VLAN batch is delivered ----- */

struct selfdetach {
	struct port p;
	struct lanbk *lan;
	unsigned calls, frames;
};

static unsigned selfdetach_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct selfdetach *k = owner;

	(void)p;
	(void)f;
	k->calls++;
	k->frames += n;
	/* UNCOUPLE from inside rx (a guest logging off while frames arrive). */
	if (k->p.ops)
		lan_detach_port(k->lan, &k->p);
	return n;
}

static unsigned sink_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	(void)owner;
	(void)p;
	(void)f;
	return n;
}

TEST(review_vsw_receiver_detaching_mid_vlan_batch)
{
	enum { NF = LAN_BATCH, NS = 16, SEG = 8 };
	static uint8_t fr[NS * SEG];
	static struct qdio_span sp[NF][NS];
	static struct pframe f[NF];
	struct lan_table tb;
	struct lanbk *lan = review_lan(&tb, LAN_ETHERNET);
	struct lan_vlanset v20, vt;
	struct selfdetach tr;
	struct port b;
	struct paddr a;

	REQUIRE(lan);
	REQUIRE(lan_set_vlan(lan, 10, 10, LAN_ACCESS) == 0);
	memset(&v20, 0, sizeof(v20));
	memset(&vt, 0, sizeof(vt));
	lan_vlan_add(&v20, 20);
	lan_vlan_add(&vt, 10);
	lan_vlan_add(&vt, 20);
	REQUIRE(lan_grant(lan, "LINUX2", LAN_ACCESS, &v20, false) == 0);
	REQUIRE(lan_grant(lan, "TRUNK", LAN_TRUNK, &vt, false) == 0);

	memset(&b, 0, sizeof(b));
	b.rx = sink_rx;
	REQUIRE(lan_attach_port(lan, &b, "LINUX2", 0x600, LAN_PORTNUM_AUTO, NULL) > 0);
	memset(&tr, 0, sizeof(tr));
	tr.p.rx = selfdetach_rx;
	tr.p.owner = &tr;
	tr.lan = lan;
	REQUIRE(lan_attach_port(lan, &tr.p, "TRUNK", 0x700, LAN_PORTNUM_AUTO, NULL) > 0);
	memset(&a, 0, sizeof(a));
	a.op = PA_LAYER;
	a.value = 2;
	CHECK_EQ(port_addr(&b, &a), 0);
	CHECK_EQ(port_addr(&tr.p, &a), 0);
	a.op = PA_STARTLAN;
	CHECK_EQ(port_addr(&b, &a), 0);
	CHECK_EQ(port_addr(&tr.p, &a), 0);

	/* 64 broadcasts of 16 spans each from the access port on VLAN 20: each needs a
	 * tag inserted towards the trunk, so the span scratch fills mid-batch. */
	memset(fr, 0xFF, 6);
	memcpy(fr + 6, (const uint8_t[6]){ 2, 0, 0, 0, 0, 0xB }, 6);
	fr[12] = 0x08;
	fr[13] = 0x06;
	for (unsigned i = 0; i < NF; i++) {
		for (unsigned s = 0; s < NS; s++) {
			sp[i][s].ptr = fr + s * SEG;
			sp[i][s].len = SEG;
		}
		memset(&f[i], 0, sizeof(f[i]));
		f[i].spans = sp[i];
		f[i].nspans = NS;
		f[i].kind = PF_ETH;
		f[i].cast = PF_BROADCAST;
		f[i].len = NS * SEG;
	}
	port_tx(&b, f, NF);
	/* The trunk saw the first chunk, then left; nothing touched its dead slot. */
	CHECK_EQ(tr.calls, 1);
	CHECK(tr.frames > 0 && tr.frames < NF);
	CHECK(tr.p.ops == NULL);
	CHECK_EQ(lan->nguests, 1);

	lan_detach_port(lan, &b);
	lan_table_free(&tb);
}
