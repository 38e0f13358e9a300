/* tests/unit/test_guest.c - two synthetic guests on two in-process virtual NICs joined
 * point to point: bring-up in layer 2 and layer 3, ARP, ping v4/v6, broadcast, cycles. */
#include <stdlib.h>

#include "driver/guest.h"
#include "qeth/ipa.h"
#include "tests/tcheck.h"

struct pair {
	struct nicbk nic[2];
	struct port_p2p j;
	struct guest g[2];
	struct guest_if *i[2];
};

static void pump_b(void *ctx)
{
	guest_poll(ctx);
}

static int pair_up(struct pair *p, uint8_t layer)
{
	int rc;

	memset(p, 0, sizeof(*p));
	for (int k = 0; k < 2; k++) {
		struct nic_cfg c;

		memset(&c, 0, sizeof(c));
		c.base_devno = 0x0A00;
		c.ndev = 3;
		c.base_schno = 0x10;
		c.chpid = 0x0A;
		c.type = NIC_QDIO;
		c.mac[0] = 0x02;
		c.mac[1] = 0x00;
		c.mac[5] = (uint8_t)(0x10 + k);
		c.vm_nic = true;
		rc = nic_create(&p->nic[k], &c);
		if (rc < 0)
			return rc;
		rc = guest_create(&p->g[k], 0);
		if (rc < 0)
			return rc;
		rc = guest_attach_nic(&p->g[k], &p->nic[k], 0x0A00, layer, &p->i[k]);
		if (rc < 0)
			return rc;
	}
	port_p2p_join(&p->j, &p->nic[0].port, &p->nic[1].port);
	return 0;
}

static void pair_down(struct pair *p)
{
	port_p2p_split(&p->j);
	for (int k = 0; k < 2; k++) {
		guest_destroy(&p->g[k]);
		nic_destroy(&p->nic[k]);
	}
}

static int pair_online(struct tctx *t, struct pair *p)
{
	static const uint8_t ip[2][4] = { { 10, 1, 0, 1 }, { 10, 1, 0, 2 } };
	static const uint8_t ip6[2][16] = { { 0xFD, 0, [15] = 1 }, { 0xFD, 0, [15] = 2 } };

	for (int k = 0; k < 2; k++) {
		int rc = guest_if_online(p->i[k]);

		if (rc < 0) {
			tc_fail(t, __FILE__, __LINE__, "guest %d online: %d %s", k, rc,
				p->i[k]->drv.last_error);
			return rc;
		}
		rc = guest_if_add_ip4(p->i[k], ip[k], 24);
		if (rc < 0) {
			tc_fail(t, __FILE__, __LINE__, "guest %d addr: %d %s", k, rc,
				p->i[k]->drv.last_error);
			return rc;
		}
		if (p->i[k]->drv.cfg.layer == 2) {
			rc = guest_if_add_ip6(p->i[k], ip6[k]);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

TEST(guest_l2_online_sequence)
{
	struct pair *p = calloc(1, sizeof(*p));

	REQUIRE(p);
	REQUIRE(pair_up(p, 2) == 0);
	REQUIRE(pair_online(t, p) == 0);
	CHECK_EQ(p->i[0]->drv.state, QDRV_ONLINE);
	CHECK_EQ(p->nic[0].state, NC_DM_ACT);
	CHECK_EQ(p->nic[0].layer, 2);
	CHECK(p->i[0]->drv.link_up);
	CHECK(p->i[0]->sch[2].scsw.q);
	/* Every bring-up command was answered; SETVMAC registered the NIC's MAC. */
	CHECK(qdrv_ipa_find(&p->i[0]->drv, IPA_CMD_STARTLAN) != NULL);
	CHECK_EQ(qdrv_ipa_find(&p->i[0]->drv, IPA_CMD_STARTLAN)->rc, 0);
	REQUIRE(qdrv_ipa_find(&p->i[0]->drv, IPA_CMD_SETVMAC) != NULL);
	CHECK_EQ(qdrv_ipa_find(&p->i[0]->drv, IPA_CMD_SETVMAC)->rc, 0);
	CHECK_MEM(p->i[0]->drv.mac, p->nic[0].cfg.mac, 6);
	CHECK_EQ(p->i[0]->drv.inq.busy, QDRV_IN_BUFS);
	pair_down(p);
	free(p);
}

/* An adapter that answers SETADAPTERPARMS with a reply carrying another command code
 * (found by fuzz_drv_reply: the driver then read the MAC out of a body nobody had
 * decoded).  The bring-up fails at that step and says so; the interface stays offline. */
static const struct css_devops *real_read_ops;

static int swap_reply_cmd(void *dev, struct css_io *io)
{
	int rc = real_read_ops->exec(dev, io);
	size_t off, cl;

	if (rc == 0 && io->inlen && ipa_pdu_payload(io->in, io->inlen, &off, &cl) == 0 &&
	    ipa_is_reply(io->in + off, cl) == 1 &&
	    io->in[off + IPA_OFF_CMD] == IPA_CMD_SETADAPTERPARMS)
		io->in[off + IPA_OFF_CMD] = IPA_CMD_QIPASSIST;
	return rc;
}

TEST(guest_reply_for_another_command_fails_bringup)
{
	struct pair *p = calloc(1, sizeof(*p));
	struct css_devops ops;

	REQUIRE(p);
	REQUIRE(pair_up(p, 2) == 0);
	real_read_ops = p->i[0]->sch[0].ops;
	ops = *real_read_ops;
	ops.exec = swap_reply_cmd;
	p->i[0]->sch[0].ops = &ops;
	CHECK_EQ(guest_if_online(p->i[0]), -EPROTO);
	CHECK_EQ(p->i[0]->drv.state, QDRV_OFFLINE);
	CHECK(strstr(p->i[0]->drv.last_error, "the reply is for QIPASSIST") != NULL);
	/* The same adapter, answering properly again: the interface comes up. */
	p->i[0]->sch[0].ops = real_read_ops;
	CHECK_EQ(guest_if_online(p->i[0]), 0);
	CHECK_EQ(p->i[0]->drv.state, QDRV_ONLINE);
	pair_down(p);
	free(p);
}

TEST(guest_l2_arp_ping4_ping6_bcast)
{
	static const uint8_t b_ip[4] = { 10, 1, 0, 2 }, bc[4] = { 10, 1, 0, 255 };
	static const uint8_t b_ip6[16] = { 0xFD, 0, [15] = 2 };
	struct pair *p = calloc(1, sizeof(*p));
	int n;

	REQUIRE(p);
	REQUIRE(pair_up(p, 2) == 0);
	REQUIRE(pair_online(t, p) == 0);
	n = guest_ping4(p->i[0], b_ip, 5, 56, pump_b, &p->g[1]);
	CHECK_EQ(n, 5);
	CHECK_EQ(p->i[1]->stk.st.arp_req_rx, 1);
	CHECK_EQ(p->i[0]->stk.st.arp_rep_rx, 1);
	CHECK_EQ(p->i[1]->stk.st.echo_req_rx, 5);
	CHECK(stack_neigh(&p->i[0]->stk, false, b_ip) != NULL);
	n = guest_ping6(p->i[0], b_ip6, 3, 100, pump_b, &p->g[1]);
	CHECK_EQ(n, 3);
	CHECK_EQ(p->i[1]->stk.st.ns_rx, 1);
	CHECK_EQ(p->i[0]->stk.st.na_rx, 1);
	/* Subnet broadcast ping: delivered as broadcast, answered by unicast. */
	n = guest_ping4(p->i[0], bc, 2, 16, pump_b, &p->g[1]);
	CHECK_EQ(n, 2);
	CHECK_EQ(p->i[1]->stk.st.rx_bcast, 2);
	CHECK_EQ(p->i[1]->stk.st.rx_csum, 0);
	/* A 1400-byte ping (one 4K page each way). */
	CHECK_EQ(guest_ping4(p->i[1], (const uint8_t[4]){ 10, 1, 0, 1 }, 2, 1400, pump_b,
			     &p->g[0]), 2);
	pair_down(p);
	free(p);
}

TEST(guest_l3_online_and_ping4)
{
	static const uint8_t b_ip[4] = { 10, 1, 0, 2 };
	struct pair *p = calloc(1, sizeof(*p));
	const struct qdrv_ipa_rec *r;
	int n;

	REQUIRE(p);
	REQUIRE(pair_up(p, 3) == 0);
	REQUIRE(pair_online(t, p) == 0);
	CHECK_EQ(p->nic[0].layer, 3);
	r = qdrv_ipa_find(&p->i[0]->drv, IPA_CMD_SETIP);
	REQUIRE(r != NULL);
	CHECK_EQ(r->rc, 0);
	CHECK_EQ(p->nic[1].nips, 1);
	n = guest_ping4(p->i[0], b_ip, 4, 56, pump_b, &p->g[1]);
	CHECK_EQ(n, 4);
	CHECK_EQ(p->i[1]->stk.st.echo_req_rx, 4);
	CHECK_EQ(p->i[0]->stk.st.arp_req_tx, 0);	/* layer 3: the adapter resolves */
	pair_down(p);
	free(p);
}

/* "ip link set down; ip link set up" in layer 3 withdraws and re-registers the
 * address each time: 100 rounds, the NIC's table stays at one entry, traffic flows. */
TEST(guest_l3_ifdown_ifup_cycles)
{
	static const uint8_t a_ip[4] = { 10, 1, 0, 1 }, b_ip[4] = { 10, 1, 0, 2 };
	struct pair *p = calloc(1, sizeof(*p));

	REQUIRE(p);
	REQUIRE(pair_up(p, 3) == 0);
	REQUIRE(pair_online(t, p) == 0);
	for (int c = 0; c < 100; c++) {
		int rc = qdrv_delip(&p->i[0]->drv, false, a_ip, 24);

		if (rc == 0)
			rc = qdrv_setip(&p->i[0]->drv, false, a_ip, 24);
		if (rc != 0) {
			tc_fail(t, __FILE__, __LINE__, "cycle %d: %d %s", c, rc,
				p->i[0]->drv.last_error);
			break;
		}
	}
	CHECK_EQ(p->nic[0].nips, 1);
	CHECK_EQ(p->nic[0].st.ipa_errors, 0);
	CHECK_EQ(guest_ping4(p->i[0], b_ip, 2, 56, pump_b, &p->g[1]), 2);
	CHECK_EQ(guest_ping4(p->i[1], a_ip, 2, 56, pump_b, &p->g[0]), 2);
	/* Deleting it twice is answered "not defined" and changes nothing. */
	CHECK(qdrv_delip(&p->i[0]->drv, false, a_ip, 24) == 0);
	CHECK(qdrv_delip(&p->i[0]->drv, false, a_ip, 24) != 0);
	CHECK_EQ(p->nic[0].nips, 0);
	pair_down(p);
	free(p);
}

TEST(guest_offline_online_cycles)
{
	static const uint8_t b_ip[4] = { 10, 1, 0, 2 };
	struct pair *p = calloc(1, sizeof(*p));

	REQUIRE(p);
	REQUIRE(pair_up(p, 2) == 0);
	REQUIRE(pair_online(t, p) == 0);
	for (int c = 0; c < 100; c++) {
		int rc;

		guest_if_offline(p->i[0]);
		CHECK_EQ(p->i[0]->drv.state, QDRV_OFFLINE);
		rc = guest_if_online(p->i[0]);
		if (rc < 0) {
			tc_fail(t, __FILE__, __LINE__, "cycle %d: %d %s", c, rc,
				p->i[0]->drv.last_error);
			break;
		}
	}
	CHECK_EQ(guest_ping4(p->i[0], b_ip, 1, 56, pump_b, &p->g[1]), 1);
	pair_down(p);
	free(p);
}

TEST(guest_layer_cycles_no_leak)
{
	for (int c = 0; c < 10; c++) {
		struct pair *p = calloc(1, sizeof(*p));

		REQUIRE(p);
		REQUIRE(pair_up(p, (uint8_t)(2 + (c & 1))) == 0);
		REQUIRE(pair_online(t, p) == 0);
		pair_down(p);
		free(p);
	}
}
