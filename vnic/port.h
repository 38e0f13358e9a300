/* vnic/port.h - the ONE seam between a NIC and what it is connected to (a switch, a
 * point-to-point peer, an uplink): frames in batches and address registrations. */
#ifndef CPNET_VNIC_PORT_H
#define CPNET_VNIC_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "qdio/queue.h"

/* What a frame's payload is. */
enum pframe_kind {
	PF_ETH = 1,	/* an Ethernet frame (layer 2; layer-3 IPv6/passthrough) */
	PF_IP = 2,	/* a bare IP packet (layer 3, IPv4 without link header) */
};

/* What the frame's TCP/UDP checksum is (the offloads of the sending NIC). */
enum pframe_csum {
	PF_CSUM_NONE = 0,	/* as the sender wrote it: whoever cares verifies it */
	PF_CSUM_PARTIAL = 1,	/* left out by the sender (outbound checksum assist) */
	PF_CSUM_VERIFIED = 2,	/* right, and checked by the adapter it came in on */
};

enum pframe_cast {
	PF_UNICAST = 0,
	PF_MULTICAST = 1,
	PF_BROADCAST = 2,
	PF_ANYCAST = 3,
};

/*
 * One frame crossing a port.  The payload stays where it is (the sender's guest
 * storage) as a span list; the receiver copies it once into its own buffers.
 * Metadata comes from the qeth header the sender wrote; the receiver writes its own.
 */
struct pframe {
	const struct qdio_span *spans;
	uint8_t nspans;
	uint8_t kind;		/* enum pframe_kind */
	uint8_t cast;		/* enum pframe_cast */
	bool ipv6;
	uint16_t vlan;		/* VLAN id from the header, 0 = none */
	uint32_t len;		/* payload bytes */
	uint8_t next_hop[16];	/* layer 3 TX: next hop (IPv4 in the last 4 bytes) */
	uint8_t src_mac[6];	/* layer 3 RX: source MAC for the receiver's header */
	bool has_src_mac;
	uint8_t csum;		/* enum pframe_csum */
	bool csum_ip_hdr;	/* PARTIAL: the IPv4 header checksum is left out too */
	uint16_t gso_size;	/* large send: cut the TCP payload into segments of this
				 * many bytes before a receiver without the assist;
				 * 0 = one frame (then len <= the LAN's MTU + headers) */
};

/* Address registrations a guest makes through IPA; the port answers with an IPA
 * return code (0 = accepted). */
enum paddr_op {
	PA_SETIP = 1, PA_DELIP,		/* unicast IPv4/IPv6 (layer 3) */
	PA_SETIPM, PA_DELIPM,		/* multicast group (layer 3) */
	PA_SETVMAC, PA_DELVMAC,		/* unicast MAC (layer 2) */
	PA_SETGMAC, PA_DELGMAC,		/* group MAC (layer 2) */
	PA_SETVLAN, PA_DELVLAN,
	PA_PROMISC,			/* on = value != 0 */
	PA_STARTLAN, PA_STOPLAN,	/* the guest's link comes up / goes down */
	PA_LAYER,			/* ULP_ENABLE chose the layer: value 2 or 3 */
	PA_SETRTG,			/* routing role: value = IPA_RTG_*, ipv6 = family */
	PA_ISOLATION,			/* SET_ACCESS_CONTROL: value = IPA_ADP_ISOLATION_* */
	PA_BANDWIDTH,			/* an application port's own bandwidth cap:
					 * value = kbit/s, 0 = none (cpnp_set_bandwidth) */
};

struct paddr {
	uint8_t op;		/* enum paddr_op */
	bool ipv6;
	uint8_t ip[16];		/* IPv4 in the first 4 bytes */
	uint8_t mask[16];
	uint8_t mac[6];
	uint16_t vlan;
	uint32_t value;
};

/*
 * An IPv4 SETIP's mask is a prefix (ones from the top, then zeros; 0 = none): the
 * inverted mask is then 0...01...1, and adding 1 to it carries out of every one bit.
 * A mask with holes would let a guest name any address as its subnet's directed
 * broadcast (osa/addrtab.c derived_key); it is refused, not kept as a host mask, so
 * the guest learns its address is not registered as it asked (IPA_RC_INVALID_FORMAT:
 * the OSA codes have none for a bad mask, and Linux's qeth gives the address up on
 * any code but "duplicate" and "LAN offline").  IPv6 masks carry nothing: always true.
 */
static inline bool paddr_mask_ok(const struct paddr *a)
{
	uint32_t inv;

	if (a->ipv6)
		return true;
	inv = ~((uint32_t)a->mask[0] << 24 | (uint32_t)a->mask[1] << 16 |
		(uint32_t)a->mask[2] << 8 | a->mask[3]);
	return (inv & (inv + 1)) == 0;
}

struct port;

/* Implemented by what the port is attached to. */
struct port_ops {
	/* A batch of frames the NIC's guest sent. */
	void (*tx)(void *peer, struct port *from, const struct pframe *f, unsigned n);
	/* A registration; returns the IPA return code for the guest. */
	uint16_t (*addr)(void *peer, struct port *from, const struct paddr *a);
};

/* The MTU every NIC reports in ULP_ENABLE (QUERY VSWITCH's PMTUD value), and so the
 * largest IP packet a LAN carries from a guest; Ethernet frames may add a header and a
 * VLAN tag (PORT_MAX_ETH). */
#define PORT_MAX_MTU 8992
#define PORT_MAX_ETH (PORT_MAX_MTU + 14 + 4)

/* Drop reasons, counted per port and shown by QUERY ... DETAILS. */
enum port_drop {
	PD_NOBUF = 0,		/* receiver had no empty input buffer */
	PD_TOOBIG,		/* frame larger than the receiver's buffer */
	PD_NOPORT,		/* no destination */
	PD_NOT_COUPLED,		/* port not attached */
	PD_DOWN,		/* receiver not started (no STARTLAN / queues inactive) */
	PD_BADFRAME,		/* malformed frame or qeth header */
	PD_SPOOF,		/* source address not the sender's */
	PD_VLAN,		/* VLAN not authorized */
	PD_ISOLATION,		/* isolation forbids guest to guest */
	PD_QSTORAGE,		/* the receiver's input queue storage (QUEUESTORAGE) full */
	PD_CAP_TX,		/* over the port's bandwidth cap: what it sent into the LAN */
	PD_CAP_RX,		/* over the port's bandwidth cap: what the LAN had for it */
	PD_SEGSIZE,		/* a large send's segment size below the floor (lib/tso.h) or
				 * making more than TSO_MAX_SEGS segments */
	PD_NOMEM,		/* cpnetd could not allocate what the frame needed */
	PD_NR
};

struct port_stats {
	uint64_t rx_packets, rx_bytes, rx_discards, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_discards, tx_errors;
	uint64_t drop[PD_NR];
};

/*
 * A port.  The owner (a NIC, an uplink) fills `rx` for frames coming to it; the
 * attachment (a switch, a peer) fills `ops`/`peer`.  Detached ports have ops NULL
 * and count what they cannot send.
 */
struct port {
	const struct port_ops *ops;
	void *peer;
	/* Frames for the owner; returns how many were taken (rest counted as drops). */
	unsigned (*rx)(void *owner, struct port *p, const struct pframe *f, unsigned n);
	void *owner;
	struct port_stats st;
	/* Input buffering toward the owner, for an owner that queues frames its receiver
	 * is not taking yet (a VM in another process): the attachment sets the bound
	 * (the LAN's QUEUESTORAGE), the owner keeps `rxq_used` and drops beyond the bound
	 * as PD_QSTORAGE.  0 = nothing may wait. */
	uint32_t rxq_limit;		/* bytes */
	uint32_t rxq_used;		/* bytes waiting now */
	uint32_t rxq_peak;		/* the most that ever waited */
	char name[24];
};

/* Send a batch from the owner: counts TX and hands it to the attachment. */
void port_tx(struct port *p, const struct pframe *f, unsigned n);
/* Deliver a batch to the owner: counts RX and drops. */
unsigned port_deliver(struct port *p, const struct pframe *f, unsigned n);
/* Register an address; 0xE080 (LAN offline) if not attached. */
uint16_t port_addr(struct port *p, const struct paddr *a);
void port_count_drop(struct port *p, enum port_drop why, bool rx, unsigned n);
const char *port_drop_name(enum port_drop why);

/* Point-to-point attachment: two ports joined directly (until a switch exists, and
 * for tests).  Frames from one go to the other; registrations are accepted. */
struct port_p2p {
	struct port *a, *b;
};
void port_p2p_join(struct port_p2p *j, struct port *a, struct port *b);
void port_p2p_split(struct port_p2p *j);

#endif
