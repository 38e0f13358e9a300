/* vnic/nic.h - the virtual NIC: NICBK (one per NIC) and NIDBK (one per device), the
 * adapter side of the OSA-Express QDIO protocol, and its one port towards a switch. */
#ifndef CPNET_VNIC_NIC_H
#define CPNET_VNIC_NIC_H

#include <stdbool.h>
#include <stdint.h>

#include "css/device.h"
#include "lib/gstor.h"
#include "qdio/queue.h"
#include "vnic/pcimod.h"
#include "vnic/port.h"

/*
 * Thread-safety: a NICBK and its NIDBKs are driven by one thread at a time; the
 * embedding (the in-process channel subsystem, the Hercules glue, cpnetd's loop)
 * serializes calls into this module (Hercules: one lock per NIC).  Callbacks out
 * of it (nid_chan_ops, port ops) are made with that serialization held.
 */

/* Role of a device, set by what the guest does with it (not by device number):
 * IDX ACTIVATE of type read/write makes it the read/write control device, Establish
 * Queues makes it the data device. */
enum nid_role { NID_UNASSIGNED = 0, NID_READ, NID_WRITE, NID_DATA };

/* How a device reaches its channel. */
struct nid_chan_ops {
	/* A command the device answered CSS_IO_PENDING can now make progress. */
	void (*ready)(void *ctx);
	/* Present a PCI (intermediate) interruption on this (data) subchannel. */
	void (*pci)(void *ctx);
	/* Activate Queues started/ended: the subchannel's QDIO-active indication. */
	void (*qdio_active)(void *ctx, bool on);
};

#define NIC_MSG_MAX   4096	/* one control message per READ, at most 4 KiB */
#define NIC_MSG_RING  32	/* control messages queued for the read device */
#define NIC_MAX_DEVS  64	/* devices per NIC this implementation accepts */
#define NIC_MAX_IPS   64	/* registered unicast IPs (v4 + v6) */
#define NIC_MAX_MACS  32	/* registered unicast + group MACs */
#define NIC_MAX_IPMS  64	/* registered multicast groups */

enum nic_type { NIC_QDIO = 0, NIC_HIPERS = 1 };

/* NIDBK: one device of a NIC. */
struct nidbk {
	struct nicbk *nic;
	unsigned index;		/* position in the NIC (vdev = base + index) */
	uint16_t devno;
	uint16_t schno;
	enum nid_role role;
	const struct nid_chan_ops *chan;
	void *chan_ctx;
	bool read_waiting;	/* read device: a READ is pending for a message */
	bool aq_running;	/* data device: Activate Queues holds the subchannel */
	uint16_t idx_reply_len;	/* IDX reply for the chained READ (0 = none) */
	uint8_t idx_reply[64];
	uint64_t n_ccws, n_rejects;
};

struct nic_ip {
	bool v6;
	uint8_t addr[16];
	uint8_t mask[16];
	uint32_t flags;
};

struct nic_mac {
	uint8_t mac[6];
	bool group;
};

struct nic_ipm {
	bool v6;
	uint8_t addr[16];
	uint8_t mac[6];
};

enum nic_conn_state {
	NC_IDLE = 0,		/* no IDX yet */
	NC_IDX_READ,		/* read device activated */
	NC_IDX_BOTH,		/* read and write devices activated */
	NC_CM_ENABLED,
	NC_CM_SETUP,
	NC_ULP_ENABLED,
	NC_ULP_SETUP,
	NC_DM_ACT,		/* online: IPA commands accepted */
};

/* Configuration from DEFINE NIC / NICDEF. */
struct nic_cfg {
	uint16_t base_devno;
	unsigned ndev;		/* 3 .. NIC_MAX_DEVS */
	uint16_t base_schno;
	uint8_t chpid;
	enum nic_type type;
	uint8_t mac[6];		/* assigned MAC */
	uint16_t max_mtu;	/* reported in ULP_ENABLE (0 = PORT_MAX_MTU) */
	uint8_t link_type;	/* reported in ULP_ENABLE (0 = GbE) */
	bool vm_nic;		/* RCD plant "VM": Linux treats it as a z/VM NIC */
	uint8_t portno;		/* the port IDX / ULP_ENABLE must name: an OSA's PORT (0 or 1
				 * of a two-port CHPID); 0 for a virtual NIC (one port) */
	char owner[9];		/* user id, for messages and QUERY */
	bool port_table;	/* the port keeps the unicast IPs and MACs registered and
				 * bounds them itself (a real OSA: osa/addrtab.h); the
				 * NICBK passes SETIP/DELIP/SETVMAC/DELVMAC straight on */
};

/* Offload bits of nicbk.offl4 / offl6. */
#define NIC_OFL_RXCSUM 0x01	/* inbound checksum */
#define NIC_OFL_TXCSUM 0x02	/* outbound checksum */
#define NIC_OFL_TSO 0x04	/* outbound TCP large send */

/* Statistics a NIC keeps besides its port's. */
struct nic_stats {
	uint64_t ipa_cmds, ipa_errors, mpc_cmds, control_rejects, msg_overflow;
	uint64_t sigas_w, sigas_r, sigas_s, pcis;
	uint64_t tx_frames, rx_frames;
	uint64_t tx_batches;		/* port_tx calls: one per SIGA-w round, all its SBALs */
	uint64_t tx_bad_frames;		/* malformed qeth header / frame from the guest */
	uint64_t rx_completed;		/* frames whose checksum was written for this guest */
	uint64_t rx_segmented;		/* large sends cut into segments for this guest */
};

/* NICBK: one virtual NIC. */
struct nicbk {
	struct nic_cfg cfg;
	struct nidbk *dev;
	unsigned ndev;
	struct gstor *gs;		/* the guest's storage (NULL until attached) */

	/* Connection (IDX + MPC). */
	enum nic_conn_state state;
	struct nidbk *rdev, *wdev, *ddev;
	uint8_t layer;			/* 0 unknown, 2 or 3 (ULP_ENABLE) */
	uint16_t func_level;		/* IDX function level the guest sent */
	uint32_t host_cm_filter, host_cm_conn, host_ulp_filter, host_ulp_conn;
	uint32_t host_issuer;		/* guest's issuer-RM token from IDX */
	uint32_t seq_out;		/* our transport/PDU sequence for messages we send */

	/* Control messages for the read device: a ring of NIC_MSG_RING messages. */
	uint8_t *msgbuf;		/* NIC_MSG_RING * NIC_MSG_MAX */
	uint16_t msglen[NIC_MSG_RING];
	unsigned msg_head, msg_count;

	/* IPA state. */
	bool lan_started;		/* STARTLAN received */
	bool link_up;			/* the port's LAN is up (else STARTLAN gets 0xE080) */
	uint32_t assists_enabled4, assists_enabled6;
	/* Offloads the guest turned on (SETASSPARMS ENABLE), per IPv4 / IPv6: inbound
	 * checksum = it takes frames marked verified (NIC_OFL_*). */
	uint8_t offl4, offl6;
	/* Set by the owner (the OSA model, for cpnet's own driver): a layer-2 TCP large
	 * send goes into the input buffers whole, its segment size in the inbound header
	 * (qeth/qhdr.h QHDR_L2_OFF_RX_MSS) and its checksum open, instead of cut. */
	bool rx_large;
	bool promisc;
	uint8_t routing4, routing6;
	uint32_t adp_isolation;
	struct nic_ip ips[NIC_MAX_IPS];
	unsigned nips;
	struct nic_mac macs[NIC_MAX_MACS];
	unsigned nmacs;
	struct nic_ipm ipms[NIC_MAX_IPMS];
	unsigned nipms;
	uint8_t vlans[4096 / 8];	/* registered VLAN ids (bitmap) */
	uint8_t cur_mac[6];		/* MAC the guest uses (READ_MAC / SETVMAC) */

	/* QDIO. */
	bool qdio_established, qdio_active;
	unsigned nin, nout;
	/* QDIO_QUEUES_MAX input then output queue blocks (30 KB), allocated at the first
	 * Establish Queues with the output batch and kept until the NIC goes: a NIC that
	 * never comes up (most of a directory's) does not carry them.  NULL before. */
	struct qdio_queue *inq, *outq;

	struct port port;
	struct nic_stats st;
	/* SIGA-w scratch: the primed SBALs of one round and their frames, handed to
	 * the port in one batch (vnic/data.c).  Allocated at the first Establish Queues
	 * (kept until the NIC goes), never per frame. */
	struct nic_txbatch *txb;
	bool tx_active;			/* a SIGA-w round is forwarding (re-entry guard) */
	uint8_t *ofl_buf;		/* offload scratch (vnic/data.c), allocated on first use */
	/* When input interrupts the guest (vnic/pcimod.h); EVERY unless the host, which
	 * then runs nic_pci_poll by nic_pci_due, chose ADAPTIVE. */
	struct pcim pcim;
	uint64_t (*clock_us)(void *ctx);	/* NULL = CLOCK_MONOTONIC */
	void *clock_ctx;
	/* A delivery round (nic_rx_fill ... nic_rx_push, or one nic_port_rx): where the
	 * guest's input buffers stood when it began (the last buffer handed then). */
	bool rx_round, rx_had;
	uint8_t rx_prev;
	/* The guest gave input buffers back (SIGA-r): an owner that keeps frames waiting
	 * for buffers (the OSA model's receive rings) delivers them now.  NULL = none. */
	void (*in_room)(void *ctx);
	void *in_room_ctx;
};

/* Create a NIC per cfg (its devices; the message ring comes with its first message,
 * the output batch with its first queues).  -EINVAL for a bad config, -ENOMEM. */
int nic_create(struct nicbk *nic, const struct nic_cfg *cfg);
void nic_destroy(struct nicbk *nic);
/* Give the NIC its guest's storage (before the guest starts I/O). */
void nic_attach_storage(struct nicbk *nic, struct gstor *gs);
/* Connect a device to its channel. */
void nid_bind_channel(struct nidbk *d, const struct nid_chan_ops *ops, void *ctx);
/* The device model for every NIDBK (dev argument = struct nidbk *). */
extern const struct css_devops nic_devops;
/* The device with this device number, or NULL. */
struct nidbk *nic_find_dev(struct nicbk *nic, uint16_t devno);

/* SIGA on a data device. fc 0 = write, 1 = read, 2 = sync; mask bit 31-n = queue n.
 * Returns the condition code (0 ok, 1 not QDIO-active, 3 not a data device). */
#define NIC_SIGA_W 0
#define NIC_SIGA_R 1
#define NIC_SIGA_S 2
int nic_siga(struct nidbk *d, unsigned fc, uint32_t mask);

/*
 * PCI moderation of input (vnic/pcimod.h).  A host that chooses ADAPTIVE promises to
 * call nic_pci_poll (NIC serialization held) no later than nic_pci_due says; clock
 * NULL = CLOCK_MONOTONIC in microseconds (tests inject theirs).  0 or -EINVAL.
 */
int nic_set_pci_mode(struct nicbk *nic, uint8_t mode, uint32_t holdoff_us,
		     uint64_t (*clock_us)(void *ctx), void *clock_ctx);
/* Absolute time (us, the NIC's clock) by which nic_pci_poll must run; 0 = never. */
static inline uint64_t nic_pci_due(const struct nicbk *nic)
{
	return pcim_due(&nic->pcim);
}
/* Microseconds from now until nic_pci_due (0 = due now), or -1 if nothing is owed. */
int64_t nic_pci_wait_us(struct nicbk *nic);
/* Raise an owed PCI whose hold-off ran out, forget one the guest found by itself. */
void nic_pci_poll(struct nicbk *nic);

/* Link state of the LAN the port is attached to (unsolicited STOPLAN/STARTLAN). */
void nic_set_link(struct nicbk *nic, bool up);

/*
 * Delivery for an owner that keeps what does not fit (the OSA model's receive rings,
 * osa/rxring.h), instead of port_deliver's "what finds no buffer is dropped": frames go
 * into the input queue in order until one finds no empty input buffer; that frame and
 * the ones after it are neither taken nor counted (they wait with the caller), and
 * *full says so.  Counted on the port like port_deliver.  The open buffer is not
 * primed: nic_rx_push ends the caller's round (prime, PCI owed).  Returns the frames
 * consumed: taken, or dropped for a reason of their own (counted: down, too big ...).
 */
unsigned nic_rx_fill(struct nicbk *nic, const struct pframe *f, unsigned n, bool *full);
void nic_rx_push(struct nicbk *nic);
/* May a frame go in now: queues active and an empty (or open) input buffer? */
bool nic_rx_room(struct nicbk *nic);
/* Drop everything the guest set up (device reset, detach): queues, connection. */
void nic_reset(struct nicbk *nic);

/* SSQD answer for a data device (for CHSC 0x0024): qdioac1 and queue counts. */
#define NIC_QDIOAC1 0x60	/* SIGA-r and SIGA-w needed */

/* A readable one-line state name ("online", "ulp-setup", ...). */
const char *nic_state_name(enum nic_conn_state s);

#endif
