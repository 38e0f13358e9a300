/* tests/unit/test_stack.c - the synthetic guest's host stack on its own: frames it builds,
 * what it answers, and what it refuses (bad lengths, bad checksums, not for us). */
#include <errno.h>

#include "driver/stack.h"
#include "lib/be.h"
#include "tests/tcheck.h"

struct cap {
	int n;
	enum stk_tx_kind kind;
	uint8_t buf[STK_FRAME_MAX];
	uint32_t len;
	uint8_t nh[4];
	uint8_t cast;
};

static int cap_tx(void *ctx, enum stk_tx_kind kind, const uint8_t *buf, uint32_t len,
		  const uint8_t nh4[4], uint8_t cast)
{
	struct cap *c = ctx;

	c->n++;
	c->kind = kind;
	memcpy(c->buf, buf, len);
	c->len = len;
	if (nh4)
		memcpy(c->nh, nh4, 4);
	c->cast = cast;
	return 0;
}

static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0x0A }, mac_b[6] = { 2, 0, 0, 0, 0, 0x0B };
static const uint8_t ip_a[4] = { 10, 0, 0, 1 }, ip_b[4] = { 10, 0, 0, 2 };

TEST(stack_csum_known_value)
{
	/* The classic IPv4 header example: checksum 0xB861. */
	uint8_t h[20];

	REQUIRE(tc_hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7", h, sizeof(h)) == 20);
	CHECK_EQ(stack_csum(h, 20, 0), 0xB861);
	be_put16(h + 10, 0xB861);
	CHECK_EQ(stack_csum(h, 20, 0), 0);
}

TEST(stack_l2_arp_then_ping_between_two_stacks)
{
	struct cap ca = { 0 }, cb = { 0 };
	struct stack a, b;

	stack_init(&a, 2, mac_a, cap_tx, &ca);
	stack_init(&b, 2, mac_b, cap_tx, &cb);
	stack_set_ip4(&a, ip_a, 24);
	stack_set_ip4(&b, ip_b, 24);
	CHECK_EQ(stack_ping4(&a, ip_b, 1, 32), -EAGAIN);	/* ARP first */
	REQUIRE(ca.n == 1);
	CHECK_EQ(ca.len, 60);
	CHECK_MEM(ca.buf, "\xff\xff\xff\xff\xff\xff", 6);
	CHECK_EQ(be_get16(ca.buf + 12), ETH_P_ARP);
	stack_rx_eth(&b, ca.buf, ca.len);
	REQUIRE(cb.n == 1);	/* ARP reply, unicast to a */
	CHECK_MEM(cb.buf, mac_a, 6);
	stack_rx_eth(&a, cb.buf, cb.len);
	CHECK(stack_neigh(&a, false, ip_b) != NULL);
	CHECK_EQ(stack_ping4(&a, ip_b, 7, 32), 0);
	CHECK_EQ(ca.len, 14 + 20 + 8 + 32);
	stack_rx_eth(&b, ca.buf, ca.len);
	CHECK_EQ(b.st.echo_req_rx, 1);
	REQUIRE(cb.n == 2);
	stack_rx_eth(&a, cb.buf, cb.len);
	CHECK_EQ(a.st.echo_rep_rx, 1);
	CHECK_EQ(a.st.rx_csum + b.st.rx_csum, 0);
}

TEST(stack_drops_bad_checksum_and_short_frames)
{
	struct cap ca = { 0 }, cb = { 0 };
	struct stack a, b;

	stack_init(&a, 2, mac_a, cap_tx, &ca);
	stack_init(&b, 2, mac_b, cap_tx, &cb);
	stack_set_ip4(&a, ip_a, 24);
	stack_set_ip4(&b, ip_b, 24);
	stack_rx_eth(&a, (const uint8_t[60]){ 0 }, 10);
	CHECK_EQ(a.st.rx_bad, 1);
	/* Teach a the neighbour directly through an ARP request from b. */
	stack_arp_request(&b, ip_a);
	stack_rx_eth(&a, cb.buf, cb.len);
	REQUIRE(stack_ping4(&a, ip_b, 1, 8) == 0);
	ca.buf[14 + 20 + 8] ^= 0xFF;	/* corrupt the ICMP payload */
	stack_rx_eth(&b, ca.buf, ca.len);
	CHECK_EQ(b.st.rx_csum, 1);
	CHECK_EQ(b.st.echo_req_rx, 0);
	REQUIRE(stack_ping4(&a, ip_b, 2, 8) == 0);
	be_put16(ca.buf + 14 + 2, 2000);	/* IP total length beyond the frame */
	stack_rx_eth(&b, ca.buf, ca.len);
	CHECK_EQ(b.st.rx_bad, 1);
	/* Not for us: another unicast MAC. */
	REQUIRE(stack_ping4(&a, ip_b, 3, 8) == 0);
	ca.buf[5] = 0x77;
	stack_rx_eth(&b, ca.buf, ca.len);
	CHECK_EQ(b.st.rx_not_mine, 1);
}

TEST(stack_l3_ping_is_bare_ipv4_with_next_hop)
{
	struct cap ca = { 0 }, cb = { 0 };
	struct stack a, b;
	uint8_t qh[32] = { 0x01, 0x06 };

	stack_init(&a, 3, mac_a, cap_tx, &ca);
	stack_init(&b, 3, mac_b, cap_tx, &cb);
	stack_set_ip4(&a, ip_a, 24);
	stack_set_ip4(&b, ip_b, 24);
	CHECK_EQ(stack_ping4(&a, ip_b, 1, 16), 0);
	CHECK_EQ(ca.kind, STK_TX_IP4);
	CHECK_EQ(ca.len, 20 + 8 + 16);
	CHECK_MEM(ca.nh, ip_b, 4);
	CHECK_EQ(ca.cast, STK_CAST_UCAST);
	stack_rx_l3(&b, qh, ca.buf, ca.len);
	CHECK_EQ(b.st.echo_req_rx, 1);
	CHECK_EQ(cb.kind, STK_TX_IP4);
	CHECK_MEM(cb.nh, ip_a, 4);
	stack_rx_l3(&a, qh, cb.buf, cb.len);
	CHECK_EQ(a.st.echo_rep_rx, 1);
	/* Broadcast goes out with the broadcast cast. */
	CHECK_EQ(stack_ping4(&a, (const uint8_t[4]){ 10, 0, 0, 255 }, 2, 0), 0);
	CHECK_EQ(ca.cast, STK_CAST_BCAST);
}

TEST(stack_l2_ipv6_ns_na_and_echo)
{
	struct cap ca = { 0 }, cb = { 0 };
	struct stack a, b;
	uint8_t g_b[16] = { 0xFD, 0, [15] = 2 };

	stack_init(&a, 2, mac_a, cap_tx, &ca);
	stack_init(&b, 2, mac_b, cap_tx, &cb);
	stack_set_ip6(&b, g_b);
	CHECK_EQ(stack_ping6(&a, g_b, 1, 8), -EAGAIN);
	REQUIRE(ca.n == 1);	/* NS to the solicited-node group */
	CHECK_MEM(ca.buf, "\x33\x33\xff\x00\x00\x02", 6);
	stack_rx_eth(&b, ca.buf, ca.len);
	CHECK_EQ(b.st.ns_rx, 1);
	REQUIRE(cb.n == 1);
	stack_rx_eth(&a, cb.buf, cb.len);
	CHECK_EQ(a.st.na_rx, 1);
	REQUIRE(stack_neigh(&a, true, g_b) != NULL);
	CHECK_MEM(stack_neigh(&a, true, g_b), mac_b, 6);
	CHECK_EQ(stack_ping6(&a, g_b, 2, 8), 0);
	stack_rx_eth(&b, ca.buf, ca.len);
	CHECK_EQ(b.st.echo6_req_rx, 1);
	stack_rx_eth(&a, cb.buf, cb.len);
	CHECK_EQ(a.st.echo6_rep_rx, 1);
	CHECK_EQ(a.st.rx_csum + b.st.rx_csum, 0);
	/* An NS with hop limit other than 255 is refused. */
	stack_ping6(&a, (const uint8_t[16]){ 0xFD, 0, [15] = 9 }, 3, 8);
	ca.buf[14 + 7] = 64;
	stack_rx_eth(&b, ca.buf, ca.len);
	CHECK(b.st.rx_bad + b.st.rx_not_mine + b.st.rx_csum >= 1);
}
