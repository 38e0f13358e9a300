/* tests/unit/test_vnic_ctl.c - the vnic control path when the guest stops reading: an
 * MPC command whose reply cannot be queued is rejected and changes nothing. */
#include <errno.h>
#include <string.h>

#include "qeth/mpc.h"
#include "vnic/nic_int.h"
#include "tests/tcheck.h"

TEST(vnic_mpc_state_unchanged_when_the_reply_cannot_be_queued)
{
	struct nicbk nic;
	struct nic_cfg c;
	struct mpc_hdr h = { 0 };
	struct css_io io;
	uint8_t msg[256], junk[NIC_MSG_MAX];
	int n, filled = 0;

	memset(&c, 0, sizeof(c));
	c.base_devno = 0x0600;
	c.ndev = 3;
	c.mac[0] = 2;
	REQUIRE(nic_create(&nic, &c) == 0);
	/* As after IDX on both control devices. */
	nic.dev[0].role = NID_READ;
	nic.dev[1].role = NID_WRITE;
	nic.rdev = &nic.dev[0];
	nic.wdev = &nic.dev[1];
	nic.state = NC_IDX_BOTH;
	nic.host_issuer = 0x00010103;
	/* The guest stopped reading: the message ring is full. */
	memset(junk, 0x5A, 64);
	while (nic_post_msg(&nic, junk, 64) == 0)
		filled++;
	CHECK_EQ(filled, NIC_MSG_RING);

	h.th_seq = 1;
	h.dest_token = NIC_TOK_ISSUER(&nic);
	n = mpc_cm_enable_encode(&h, MPC_TOK_CM_FILTER_W, msg, sizeof(msg));
	REQUIRE(n > 0);
	memset(&io, 0, sizeof(io));
	io.cmd = 0x01;
	io.count = (uint32_t)n;
	io.out = msg;
	CHECK_EQ(nic_devops.exec(&nic.dev[1], &io), -ENOSPC);
	CHECK_EQ(nic.state, NC_IDX_BOTH);
	CHECK_EQ(nic.host_cm_filter, 0);
	CHECK(nic.st.msg_overflow > 0);

	/* Once the guest reads again, the same command goes through. */
	while (nic_pop_msg(&nic, junk, sizeof(junk)) > 0)
		;
	CHECK_EQ(nic_devops.exec(&nic.dev[1], &io), 0);
	CHECK_EQ(nic.state, NC_CM_ENABLED);
	CHECK_EQ(nic.host_cm_filter, MPC_TOK_CM_FILTER_W);
	CHECK_EQ(nic.msg_count, 1);
	nic_destroy(&nic);
}
