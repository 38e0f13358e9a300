/* driver/stack.h - a minimal IPv4/IPv6 host stack for the synthetic guest: ARP, ICMP echo,
 * ICMPv6 echo and neighbour discovery, over layer-2 frames or layer-3 qeth packets. */
#ifndef CPNET_DRIVER_STACK_H
#define CPNET_DRIVER_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Everything works on caller buffers and one fixed transmit buffer: no allocation
 * per frame.  Every received byte is hostile: lengths and checksums are checked and
 * a bad frame is only counted.  Layer 2 speaks Ethernet (with ARP / NS for next
 * hops); layer 3 hands IPv4 packets bare (next hop in the qeth header, the adapter
 * resolves it) and IPv6 with an Ethernet header as a passthrough frame, as Linux does.
 */

#define STK_NEIGH 16
#define STK_GROUPS 8		/* IPv4 multicast groups the stack listens to */
#define STK_REPLIERS 8		/* distinct sources of echo replies remembered */
#define STK_MTU 1500
#define STK_FRAME_MAX (14 + STK_MTU)

#define ETH_P_IPV4 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86DD

enum stk_tx_kind {
	STK_TX_ETH = 1,		/* L2: an Ethernet frame */
	STK_TX_IP4 = 2,		/* L3: a bare IPv4 packet, next hop + cast given */
	STK_TX_ETH6 = 3,	/* L3: an IPv6 frame with Ethernet header (passthrough) */
};

/* Casts for the L3 transmit hook (the values of the qeth L3 header). */
#define STK_CAST_UCAST 0x06
#define STK_CAST_MCAST 0x04
#define STK_CAST_BCAST 0x05

/* Returns 0 or a negative errno. */
typedef int (*stk_tx_fn)(void *ctx, enum stk_tx_kind kind, const uint8_t *buf, uint32_t len,
			 const uint8_t nh4[4], uint8_t cast);

struct stk_neigh {
	bool valid, v6;
	uint8_t ip[16];
	uint8_t mac[6];
};

struct stk_stats {
	uint64_t rx, rx_bad, rx_csum, rx_not_mine, rx_bcast;
	uint64_t arp_req_rx, arp_rep_rx, arp_req_tx, arp_rep_tx;
	uint64_t echo_req_rx, echo_rep_rx, echo_req_tx, echo_rep_tx;
	uint64_t echo6_req_rx, echo6_rep_rx, echo6_req_tx, echo6_rep_tx;
	uint64_t ns_rx, na_rx, ns_tx, na_tx;
	uint64_t tx_err;
	uint64_t rx_mcast;		/* IPv4 datagrams to a group we joined */
	uint64_t rx_tagged;		/* L2 frames carrying an 802.1Q tag (not ours to parse) */
	uint16_t last_vid;		/* VLAN id of the last tagged frame */
};

struct stack {
	uint8_t layer;			/* 2 or 3 */
	uint8_t mac[6];
	bool has4, has6;
	uint8_t ip4[4], mask4[4];
	uint8_t ip6[16];		/* global address */
	uint8_t ll6[16];		/* link-local from the MAC */
	stk_tx_fn tx;
	void *tx_ctx;
	uint16_t ping_id;		/* identifier of our echo requests */
	struct stk_neigh nb[STK_NEIGH];
	unsigned nb_next;
	uint8_t groups4[STK_GROUPS][4];	/* joined IPv4 groups ("ip maddr add") */
	unsigned ngroups4;
	/* Who answered our IPv4 echo requests (distinct sources, first STK_REPLIERS):
	 * a broadcast or group ping has several answers.  The caller resets nrepl4. */
	uint8_t repl4[STK_REPLIERS][4];
	unsigned nrepl4;
	struct stk_stats st;
	uint8_t txbuf[STK_FRAME_MAX];
};

void stack_init(struct stack *s, uint8_t layer, const uint8_t mac[6], stk_tx_fn tx, void *ctx);
void stack_set_mac(struct stack *s, const uint8_t mac[6]);
void stack_set_ip4(struct stack *s, const uint8_t addr[4], unsigned prefix);
void stack_set_ip6(struct stack *s, const uint8_t addr[16]);

/* Input.  L2: an Ethernet frame.  L3: a qeth L3 header (32 bytes) and its data. */
void stack_rx_eth(struct stack *s, const uint8_t *frame, uint32_t len);
void stack_rx_l3(struct stack *s, const uint8_t *qhdr, const uint8_t *data, uint32_t len);

/* Echo requests (payload `plen` bytes, <= 1400).  L2 needs the neighbour: when it is
 * unknown an ARP request / neighbour solicitation goes out and -EAGAIN is returned
 * (poll, then try again).  A broadcast IPv4 destination is sent as broadcast, a
 * multicast one (224/4) as multicast to its group MAC / with the multicast cast. */
int stack_ping4(struct stack *s, const uint8_t dst[4], uint16_t seq, uint32_t plen);
int stack_ping6(struct stack *s, const uint8_t dst[16], uint16_t seq, uint32_t plen);
/* Send an ARP request for addr (L2). */
int stack_arp_request(struct stack *s, const uint8_t addr[4]);
/* A static neighbour entry ("ip neigh add ... lladdr"): a group MAC is refused. */
int stack_neigh_add(struct stack *s, bool v6, const uint8_t *ip, const uint8_t mac[6]);
/* Listen to an IPv4 multicast group (224/4): echo requests to it are counted in
 * rx_mcast and answered by unicast.  The adapter registration (SETGMAC / SETIPM) is
 * the caller's.  0, -EINVAL (not a group), -ENOSPC. */
int stack_join4(struct stack *s, const uint8_t group[4]);
/* The Ethernet group MAC of an IPv4 group (01:00:5e + the low 23 bits). */
void stack_mcast_mac4(const uint8_t group[4], uint8_t mac[6]);
/* The MAC of a known neighbour, or NULL. */
const uint8_t *stack_neigh(const struct stack *s, bool v6, const uint8_t *ip);

/* Internet checksum over buf (with a starting partial sum). */
uint16_t stack_csum(const uint8_t *buf, size_t len, uint32_t sum);

#endif
