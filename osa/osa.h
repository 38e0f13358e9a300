/* osa/osa.h - the OSA-Express (CHPID type OSD) device model: one real OSA = a NICBK
 * (the vnic adapter side, unchanged) whose port is attached to a wire engine. */
#ifndef CPNET_OSA_OSA_H
#define CPNET_OSA_OSA_H

#include <stdbool.h>
#include <stdint.h>

#include "osa/addrtab.h"
#include "osa/arp.h"
#include "osa/rxring.h"
#include "osa/wire.h"
#include "vnic/nic.h"

/*
 * The NICBK answers every CCW, IDX, MPC and IPA command exactly as for a virtual NIC;
 * what differs is what sits behind its port.  Here that is the "wire engine": it
 * implements struct port_ops (tx = frames the driver of the OSA primed, addr = the
 * registrations its IPA commands made) over a wire provider (osa/wire.h).
 *
 * Layer 3 (ULP_ENABLE chose IP; PA_LAYER 3): the OSA owns the IPs registered with
 * SETIP and the groups registered with SETIPM; it answers ARP (IPv4) and Neighbor
 * Solicitations (IPv6) on the wire for its registered addresses only, keeps an ARP
 * and an ND cache for next hops, frames outbound packets (IPv6 comes as a passthrough
 * frame whose link header it replaces, ND options carrying the guest's MAC rewritten to
 * its own), and strips the Ethernet header from inbound IPv4 and IPv6.  Layer 2: frames pass as they are, inbound filtered by
 * the registered MACs (SETVMAC/SETGMAC), broadcast, or everything when promiscuous.
 *
 * The unicast addresses (layer 3 IPs, layer 2 MACs) live in a bounded table
 * (osa/addrtab.h, RDEVICE ... ADDRESSES).  With an owner that answers misses
 * (cfg.miss_proxy: CP's uplink), a full table evicts, and a frame for an address it
 * does not hold waits in the miss queue while the owner, which takes the miss with
 * osa_miss_take (the OSA never calls it), has the address installed through the
 * driver (SETIP / SETVMAC) or calls it unknown (doc/osa.md "The address table").
 *
 * Copy once: inbound, the wire reads a frame into a slot of the OSA's receive rings
 * (osa/rxring.h: classified by destination, bounded per ring, handed to the NIC by
 * deficit round robin when it has input buffers), and the slot becomes the span the
 * NIC copies into an input SBAL; outbound, the guest's spans
 * go to the wire in one gather per frame, the frames of a port_tx batch in one
 * wire_send_batch (a TAP: one io_uring_enter) before port_tx returns.  Only a packet waiting for ARP/ND
 * and an outbound ND message whose options are rewritten are copied (into a bounded queue),
 * and inbound, a frame waiting for its address to be installed (the miss queue, below).
 * Nothing is allocated per frame.
 *
 * Thread-safety: an OSA, its NICBK and its wire are driven by one thread (cpnetd's
 * event loop): osa_poll, osa_check_link and the NIC's device calls are serialized.
 */

#define OSA_RX_BATCH 32u		/* frames read from the wire per delivery batch */
#define OSA_READ_AHEAD 2u		/* osa_poll reads up to this times its budget */
#define OSA_TX_BATCH 32u		/* frames handed to the wire per send batch */
#define OSA_TX_HDR 32u			/* room for a link header the OSA builds */
#define OSA_ARPQ 16u			/* packets that may wait for ARP/ND resolution */
#define OSA_TIMER_MS 250u		/* granularity of ARP retry/expiry work */
/* The miss protocol (doc/osa.md "The address table"): frames for an address the table
 * does not hold wait here while the owner (CP) has it installed or calls it unknown. */
#define OSA_MISSQ 32u			/* frames held for missing addresses */
#define OSA_MISSQ_BYTES 32768u		/* ... and at most these bytes of them */
#define OSA_MISS_PEND 64u		/* addresses being resolved or known unknown */
#define OSA_MISS_HOLD_MS 500u		/* a held frame waits this long for its address */
#define OSA_MISS_NEG_MS 1000u		/* an address called unknown is not asked again */
#define OSA_MISS_PER_POLL 16u		/* new addresses reported per osa_poll: a flood of
					 * frames (ARP, NS) for invented addresses costs the
					 * owner at most this many questions a poll */

/* Why a frame was discarded by the wire engine (QUERY ... DETAILS). */
enum osa_drop {
	OSA_D_DOWN = 0,		/* not started: no layer chosen / no STARTLAN */
	OSA_D_LINK,		/* wire link down */
	OSA_D_RUNT,		/* shorter than an Ethernet header */
	OSA_D_MAC,		/* destination MAC not ours / not registered */
	OSA_D_MCAST,		/* multicast group not registered */
	OSA_D_NOT_MINE,		/* layer 3: destination IP (inbound) or a driver's
				 * ARP sender IP (outbound) not registered */
	OSA_D_ETHERTYPE,	/* layer 3: neither ARP, IPv4 nor IPv6 */
	OSA_D_BADIP,		/* malformed IP header or length */
	OSA_D_BADARP,		/* malformed ARP */
	OSA_D_VLAN,		/* VLAN not registered */
	OSA_D_BADFRAME,		/* outbound: frame kind or header unusable */
	OSA_D_TOOBIG,		/* larger than the wire's MTU */
	OSA_D_ARPQ_FULL,	/* outbound: next hop unresolved and the ARP queue full */
	OSA_D_ARP_FAIL,		/* outbound: next hop did not answer ARP */
	OSA_D_WIRE,		/* the wire refused the frame (busy / error) */
	OSA_D_BADND,		/* malformed Neighbor Discovery message (RFC 4861 checks) */
	OSA_D_RING,		/* its destination's receive ring was full (rxr_drop says why) */
	OSA_D_GONE,		/* waited in a receive ring for an address deregistered meanwhile,
				 * or the NIC was reset / stopped (STOPLAN) */
	OSA_D_MISSQ,		/* address not held and the miss queue (or its table) full */
	OSA_D_MISS_TIMEOUT,	/* address not held and not installed within OSA_MISS_HOLD_MS */
	OSA_D_MISS_RATE,	/* address not held, and OSA_MISS_PER_POLL new ones reported
				 * already in this poll */
	OSA_D_NR
};

struct osa_stats {
	uint64_t rx_frames, rx_bytes;	/* read from the wire */
	uint64_t rx_delivered;		/* taken by the NIC (its input buffers) */
	uint64_t tx_frames, tx_bytes;	/* written to the wire (ARP included) */
	uint64_t arp_req_rx, arp_rep_rx, arp_req_tx, arp_rep_tx, arp_garp_tx;
	uint64_t arp_queued, arp_released;	/* waiting for ARP or ND, both families */
	uint64_t nd_ns_rx, nd_na_rx, nd_ra_rx, nd_ns_tx, nd_na_tx, nd_unsol_tx;
	uint64_t nd_rewritten;		/* guest ND messages sent with the OSA's MAC */
	uint64_t tx_offloaded;		/* frames whose checksum / large send the wire finished */
	uint64_t rx_large;		/* large receives read whole from the wire */
	uint64_t link_changes;
	/* The address table (inbound unicast lookups) and the miss protocol. */
	uint64_t addr_hits, addr_misses;	/* a frame's address held / not held */
	uint64_t miss_reported;		/* addresses the owner was asked about */
	uint64_t miss_installed;	/* ... then installed (SETIP/SETVMAC) */
	uint64_t miss_unknown;		/* ... called unknown by the owner */
	uint64_t miss_expired;		/* ... neither within OSA_MISS_HOLD_MS */
	uint64_t miss_held, miss_released;	/* frames that waited / were delivered after */
	uint64_t miss_lat_sum_ms, miss_lat_max_ms;	/* first miss -> installed */
	uint64_t rx_drop[OSA_D_NR];
	uint64_t tx_drop[OSA_D_NR];
};

struct osa;
/* The OSA's link changed (the failover logic of the owner listens). */
typedef void (*osa_link_fn)(void *ctx, struct osa *o, bool up);

#define OSA_PORT_MAX 1			/* ports 0 and 1 per CHPID (z/VM's .P0 / .P1) */

struct osa_cfg {
	uint16_t rdev;			/* read = rdev, write = rdev + 1, data = rdev + 2 */
	uint16_t schno;			/* subchannel number of the read device */
	uint8_t chpid;
	uint8_t portno;			/* the OSA port the wire is (0 or 1; a two-port CHPID):
					 * IDX and ULP_ENABLE must name it */
	uint8_t mac[6];			/* the port's MAC; all zero = 02:00:C9:<chpid>:<rdev> */
	uint32_t arp_ttl_ms;		/* 0 = ARP_TTL_MS */
	unsigned rings;			/* hardware receive rings, 0 = RXR_HW_DEFAULT */
	unsigned addresses;		/* address table entries, 0 = ATAB_DEFAULT */
	/* Someone (CP's uplink) takes the misses (osa_miss_take) and answers them: a
	 * full table then evicts instead of refusing, and frames for an address not held
	 * wait for it.  false: such frames are discarded at once (a dedicated OSA). */
	bool miss_proxy;
	/* The OSA's driver is cpnet's own (CP's uplink data device), which reads a large
	 * receive's segment size from the layer-2 inbound header (qeth/qhdr.h
	 * QHDR_L2_OFF_RX_MSS): while the OSA runs layer 2 the wire hands the host's TCP
	 * large sends whole (wire_set_rx_large) and the NIC gives them to the driver
	 * whole.  false (a guest's dedicated OSA): only finished frames. */
	bool rx_large;
	/* Monotonic milliseconds; NULL = CLOCK_MONOTONIC (tests warp time). */
	uint64_t (*clock_ms)(void *ctx);
	void *clock_ctx;
	osa_link_fn link_cb;
	void *link_ctx;
};

/* An address a frame from the wire needed and the table did not hold. */
struct osa_miss {
	uint8_t kind;			/* enum atab_kind */
	uint8_t addr[16];		/* IPv4 in the first 4 bytes, a MAC in the first 6 */
	uint16_t vlan;			/* the frame's VLAN tag (0 = untagged) */
	uint64_t since;			/* first miss (the OSA's clock, ms) */
};

enum osa_pend_state {
	OSA_PEND_FREE = 0,
	OSA_PEND_NEW,			/* to be taken by the owner */
	OSA_PEND_ASKED,			/* taken: waiting for the install or "unknown" */
	OSA_PEND_READY,			/* installed: its held frames go in at the next poll */
	OSA_PEND_UNKNOWN,		/* the owner said unknown: discard until `until` */
};

struct osa_pend {
	uint8_t state;			/* enum osa_pend_state */
	struct osa_miss m;
	uint64_t until;			/* UNKNOWN: when it may be asked again */
};

struct osa_held {			/* a frame waiting for its address */
	bool used;
	uint8_t pend;			/* index into osa.pend */
	uint32_t len;
	uint64_t since;
};

struct osa_q {				/* a packet waiting for ARP or ND */
	bool used;
	uint8_t nh[16];			/* cache key (arp_key4 for IPv4) */
	uint16_t vlan;
	uint16_t hlen;			/* Ethernet (+ VLAN) header bytes at the front */
	uint32_t len;			/* header + packet */
	uint64_t since;
};

struct osa {
	struct osa_cfg cfg;
	uint8_t mac[6];
	struct nicbk nic;		/* the adapter side, 3 devices, OSD */
	struct wire wire;
	uint32_t mtu;			/* of the wire (IP bytes per frame) */
	uint8_t *ofl_buf;		/* host offloads finished for the wire (vnic/offload), or
					 * the frame handed whole to a wire with offloads */
	const struct wire_ofl *tx_ofl;	/* set while that frame goes through tx_one */
	bool tx_ofl_wait;		/* ...and it had to wait for ARP/ND: cut it instead */
	bool link_up;			/* last state osa_check_link reported */
	bool rx_large_on;		/* large receives on (cfg.rx_large, layer 2, STARTLAN) */
	const struct wire_ofl *rx_cur;	/* what the frame being classified leaves open */

	/* What the driver of the OSA set up (through the port's addr op). */
	uint8_t layer;			/* 0 = not yet chosen, 2 or 3 */
	bool started;			/* STARTLAN */
	bool promisc;
	struct atab at;			/* unicast IPs (layer 3) / MACs (layer 2), bounded */
	uint32_t ipm4[NIC_MAX_IPMS];
	unsigned nipm4;
	uint8_t ipm6[NIC_MAX_IPMS][16];
	unsigned nipm6;
	uint8_t macs[NIC_MAX_MACS][6];	/* layer 2: group MACs (SETGMAC) */
	unsigned nmacs;
	uint8_t vlans[4096 / 8];
	unsigned nvlans;

	struct arp_cache arp;		/* IPv4 next hops */
	struct arp_cache nd;		/* IPv6 next hops (Neighbor Discovery) */
	struct osa_q q[OSA_ARPQ];
	uint8_t *qbuf;			/* OSA_ARPQ * WIRE_FRAME_MAX */
	uint64_t next_timer;

	struct osa_pend pend[OSA_MISS_PEND];
	struct osa_held held[OSA_MISSQ];
	uint8_t *heldbuf;		/* OSA_MISSQ frames of RXR_FRAME_MAX bytes (an MTU may rise) */
	uint32_t held_bytes;
	unsigned nready;		/* pend entries READY */
	unsigned miss_new;		/* pend entries made in this osa_poll (OSA_MISS_PER_POLL) */
	bool releasing;			/* classifying a held frame again (not a new lookup) */

	struct rxr rx;			/* the classified receive rings (own the frames read) */
	struct osa_txb *txb;		/* frames gathered for the next wire_send_batch */
	struct osa_stats st;
};

/*
 * Create the OSA: its NICBK (3 devices rdev..rdev+2, OSD, real-OSA RCD) with the
 * port attached to the wire engine, and open the wire (provider cls, device name).
 * -EINVAL bad config, -ENOMEM, or the wire's open error (nothing left allocated).
 */
int osa_create(struct osa *o, const struct osa_cfg *cfg, const struct wire_class *cls,
	       const char *wire_name);
void osa_destroy(struct osa *o);

/* Descriptor to poll for readability (-1: the wire has none, poll periodically). */
int osa_wire_fd(const struct osa *o);
/* Read the wire into the receive rings and hand the rings' frames to the NIC as its
 * input buffers allow (what waited first); run due ARP/ND and ring-binding timers.
 * While the wire keeps frames coming, up to OSA_READ_AHEAD * budget are read and
 * `budget` handed on (a flood overflows its own ring, not the device's queue); once the
 * wire is empty, everything the NIC takes.  Returns frames read (>= 0), or -ENETDOWN
 * when the wire failed (see check_link). */
int osa_poll(struct osa *o, unsigned budget);
/* Ask the wire for its link state; on a change set the NIC's link (the driver sees
 * STOPLAN / STARTLAN) and call cfg.link_cb.  Returns 1 up, 0 down. */
int osa_check_link(struct osa *o);

/* RDEVICE ... RINGS n: hardware receive rings 1..RXR_HW_MAX.  0 or -EINVAL. */
int osa_set_rings(struct osa *o, unsigned n);
/* RDEVICE ... ADDRESSES n: the address table's size, 1..ATAB_MAX; what it holds is
 * kept as far as it fits (a smaller table keeps the entries at the end of its array).  0, -EINVAL, -ENOMEM. */
int osa_set_addresses(struct osa *o, unsigned n);
/* The miss protocol, for the owner that set cfg.miss_proxy (it must not be called
 * back: the OSA only queues).  Take the next address to resolve: 1 with *m, 0 none.
 * The answer is either the address installed through the driver (SETIP / SETVMAC,
 * as any registration: the waiting frames then go in) or osa_miss_unknown. */
int osa_miss_take(struct osa *o, struct osa_miss *m);
/* The owner's answer "nobody here": the frames waiting for it are discarded (counted
 * as for any address not registered) and it is not asked again for
 * OSA_MISS_NEG_MS. */
void osa_miss_unknown(struct osa *o, uint8_t kind, const uint8_t *addr);
/* Authorizations changed (GRANT, REVOKE, VLAN): forget the "unknown" answers. */
void osa_miss_forget(struct osa *o);
/* Entries in the address table now. */
static inline unsigned osa_addr_count(const struct osa *o, uint8_t kind)
{
	return kind < 4 ? o->at.nkind[kind] : 0;
}

/* Frames wait in the receive rings and the NIC has room for them now: the reader must
 * call osa_poll again without waiting for the wire (a budget left them behind). */
bool osa_rx_pending(struct osa *o);

const char *osa_drop_name(enum osa_drop why);
/* The NIC's devices (for attaching them to a channel subsystem). */
static inline struct nicbk *osa_nic(struct osa *o) { return &o->nic; }

#endif
