/* vnic/vmlink.h - the link between cpnetd and a virtual machine in another process
 * (Hercules with cpnet's module, cpnet-guest): LOGON, NIC definitions, and the port
 * interface (frames, registrations, link state) carried over a Unix socket. */
#ifndef CPNET_VNIC_VMLINK_H
#define CPNET_VNIC_VMLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/adapt.h"
#include "lib/shmring.h"
#include "vnic/port.h"

/*
 * Wire format: one message per SOCK_SEQPACKET datagram, big-endian, written and read
 * only through vml_*_encode/decode:
 *
 *	0  u8  version (1)        1  u8  type (VML_*)
 *	2  u16 vdev (base device number of the NIC, 0 when none)
 *	4  u32 seq  (ADDR/ADDR_RC pairing; 0 otherwise)
 *	8  ... body, per type
 *
 * The VM side owns the NIC (its adapter side runs on the guest's storage); cpnetd owns
 * the switch.  Each side keeps a proxy `struct port` per NIC: frames and registrations
 * arriving on the socket are replayed on it (port_tx / port_addr on cpnetd's side,
 * port_deliver on the VM's side).
 */
#define VML_VERSION	1
#define VML_HDR_SIZE	8
#define VML_MAX_MSG	(VML_HDR_SIZE + VML_FRAME_META + 65536)
#define VML_RX_BATCH	16	/* messages read per vml_poll (one recvmmsg) */

enum vml_type {
	VML_LOGON = 1,		/* VM -> CP: userid, password */
	VML_LOGON_REPLY,	/* CP -> VM: rc (0 ok), message text */
	VML_NIC_DEFINE,		/* CP -> VM: a NIC to create (NICDEF, DEFINE NIC) */
	VML_NIC_DETACH,		/* CP -> VM: the NIC is gone */
	VML_FRAME,		/* both: one frame for/from the NIC's port */
	VML_ADDR,		/* VM -> CP: a registration (IPA command of the guest) */
	VML_ADDR_RC,		/* CP -> VM: its IPA return code */
	VML_LINK,		/* CP -> VM: LAN up/down (coupled or not) */
	VML_LOGOFF,		/* either side: the session ends */
	VML_RING,		/* CP -> VM: frames may go through shared rings (3 fds) */
	VML_RING_ACK,		/* VM -> CP: u16 VML_RING_* (ring taken, or why not) */
	VML_APPL_LOGON,		/* app -> CP, instead of LOGON: user, password, LAN: a port */
	VML_APPL_REPLY,		/* CP -> app: rc, port id, transport, MAC, message text */
	VML_HANDLE_OPEN,	/* app -> CP: a receive handle on the port (vdev) */
	VML_HANDLE,		/* CP -> app: its rc; with 3 fds: the handle's ring */
	VML_HANDLE_CLOSE,	/* app -> CP: u16 handle id */
	VML_APPL_OFFLOAD,	/* app -> CP: u16 APPL_RXOL_* the port takes; VML_ADDR_RC */
	VML_TYPE_MAX
};

/* VML_LOGON body: userid and password, blank padded (not NUL terminated). */
#define VML_LOGON_SIZE 16
struct vml_logon {
	char userid[9];
	char password[9];
};

/* VML_LOGON_REPLY body: u16 rc, u16 text length, text. */
struct vml_logon_reply {
	uint16_t rc;
	char text[128];
};

/* VML_NIC_DEFINE body (32 bytes). */
#define VML_NICDEF_SIZE 32
struct vml_nicdef {
	uint16_t vdev;
	uint16_t ndev;
	uint8_t chpid;
	uint8_t type;		/* enum nic_type */
	uint8_t transport;	/* 0 unknown, 1 IP, 2 ETHERNET */
	uint8_t mac[6];
	char lan[9];		/* coupled LAN name, or empty */
	char owner[9];		/* LAN owner */
};

/* VML_FRAME: 32 bytes of metadata, then the payload. */
#define VML_FRAME_META 32
/* VML_ADDR body (48 bytes) and VML_ADDR_RC body (u16 rc). */
#define VML_ADDR_SIZE 48
#define VML_ADDR_RC_SIZE 2
/* VML_LINK body: u8 up. */
#define VML_LINK_SIZE 1
/* VML_LOGOFF body: u16 reason (an empty body is VML_LOGOFF_ENDED).  CP says why the
 * session ends, so that a VM can tell "logged off" (final) from "CP is stopping" (it
 * may LOGON again when CP is back). */
#define VML_LOGOFF_SIZE 2
enum vml_logoff_reason {
	VML_LOGOFF_ENDED = 0,		/* LOGOFF, FORCE, a refused session: final */
	VML_LOGOFF_SHUTDOWN = 1,	/* cpnetd is stopping (restart, upgrade) */
	VML_LOGOFF_FORCED = 2,		/* application port: ended by FORCE of its user */
	VML_LOGOFF_LAN_GONE = 3,	/* application port: its LAN was detached */
	VML_LOGOFF_REVOKED = 4,		/* application port: its user's access was revoked */
	VML_LOGOFF_REASON_MAX
};

/*
 * VML_RING body (12 bytes): u16 ring layout version (SHR_VERSION), u16 0, u32 slots,
 * u32 slot size; with SCM_RIGHTS: the memfd, CP's doorbell, the VM's doorbell (in
 * that order, lib/shmring.h).  Sent by CP after a successful LOGON.  A VM that takes
 * it answers VML_RING_ACK 0 and from then on sends its frames only through the ring;
 * CP sends through the ring once the ACK came.  A VM that does not know VML_RING
 * ignores it (an unknown type) and never answers: the link keeps frames on the socket.
 * Only VML_FRAME messages travel in the ring's slots (the same encoding); everything
 * else stays on the socket.  doc/rings.md.
 */
#define VML_RING_SIZE 12
#define VML_RING_ACK_SIZE 2
enum vml_ring_rc {
	VML_RING_TAKEN = 0,	/* frames go through the ring both ways */
	VML_RING_DECLINED = 1,	/* the VM chose the socket (cpnet-guest --transport socket) */
	VML_RING_FAILED = 2,	/* the VM could not map it (version, sizes, resources) */
	VML_RING_RC_MAX
};
/* Slots of 2 KiB: a frame up to 1500 bytes (and its 40-byte message header) in one,
 * a larger one in as many as it needs (lib/shmring.h), so the ring's depth is counted
 * in frames: 4096 small ones, 8 MiB each way -- what 128 whole-message slots of 64 KiB
 * took -- and a wait for the ring (a nap, a full ring) covers thousands of frames, not
 * a hundred (doc/rings.md, "Depth"). */
#define VML_RING_SLOTS 4096
#define VML_RING_SLOT 2048
_Static_assert(VML_RING_SLOTS / 2 * VML_RING_SLOT >= VML_MAX_MSG, "a ring carries the largest frame");
/* An application port's link: a program sends bursts of small frames that cpnetd
 * takes while the program runs ahead: as deep as a VM's. */
#define VML_APPL_RING_SLOTS VML_RING_SLOTS
#define VML_RING_BATCH 64	/* ring entries taken per pass (one batch per NIC) */

struct vml_ring_offer {
	uint16_t version;
	uint32_t nslots, slot_size;
};
int vml_ring_encode(const struct vml_ring_offer *r, uint8_t *buf, size_t cap);
int vml_ring_decode(const uint8_t *buf, size_t len, struct vml_ring_offer *r);

/*
 * Application ports (api/cpnetport.h, doc/ports.md).  An application's connection
 * starts with VML_APPL_LOGON instead of VML_LOGON: it authenticates a directory user
 * (who need not be logged on, and may be: its guest keeps running) and asks for one
 * port on a LAN.  CP answers VML_APPL_REPLY; on success the port is the link's one
 * "NIC" (vdev in the reply), CP offers the ring (VML_RING, with the port's buffer
 * region as the area's extra part, lib/shmring.h), and from then on it is a link
 * like a VM's: VML_FRAME through the ring (app -> CP), VML_ADDR / VML_ADDR_RC for
 * its addresses, VML_LOGOFF to end.  Frames for the port do not use the link's ring:
 * CP writes them into buffers the app posted on a receive handle (VML_HANDLE_OPEN ->
 * VML_HANDLE with a small ring of post and completion entries, cp/appl.h).
 *
 * VML_APPL_LOGON body (56): user 8, password 8, LAN owner 8 (SYSTEM: a VSWITCH),
 * LAN name 8, u16 VLAN, u16 flags (VML_APPL_PROMISC), u32 region bytes, 8 reserved
 * (the trace filter), u16 port number (0 = any, else 1..2048), 6 zero.  The 48 bytes
 * of a program built before the port number are taken too (port number 0).
 * VML_APPL_REPLY body: u16 rc (0 or the message number), u16 vdev, u32 port id,
 * u8 transport (1 IP, 2 ETHERNET), u8 0, MAC 6, u32 largest frame, u16 text length,
 * u16 port number (QUERY's "Port:"), text.  VML_HANDLE_OPEN body: u32 slots.
 * VML_HANDLE body (12): u16 rc (0 or a positive errno), u16 handle id, u32 slots,
 * u32 slot size.
 * VML_HANDLE_CLOSE body: u16 handle id.
 */
#define VML_APPL_LOGON_SIZE 56
#define VML_APPL_LOGON_SIZE_V1 48	/* without the port number */
#define VML_APPL_REPLY_FIXED 24
#define VML_APPL_PROMISC 0x0001u
/* A trace port (vswitch/trace: the switch's tap, frames to the port): TRACE alone is
 * the whole LAN; with PORT or VLAN the reserved bytes start with a u16 port number /
 * VLAN id, with USER they hold the userid (8, blank-padded). */
#define VML_APPL_TRACE 0x0002u
#define VML_APPL_TRACE_PORT 0x0004u
#define VML_APPL_TRACE_USER 0x0008u
#define VML_APPL_TRACE_VLAN 0x0010u
/* A virtual machine's virtio-net device (cpnet-vhost): QUERY's Type VIRTIO, Ethernet
 * LANs only.  NICDEF: the LAN is the one the user's NICDEF names for the device number
 * in the reserved bytes' first u16 (owner and LAN blank; not with a trace). */
#define VML_APPL_VIRTIO 0x0020u
#define VML_APPL_NICDEF 0x0040u
#define VML_APPL_FLAGS 0x007Fu
#define VML_HANDLE_OPEN_SIZE 4
#define VML_HANDLE_SIZE 12
#define VML_HANDLE_CLOSE_SIZE 2
/* VML_APPL_OFFLOAD body: u16 APPL_RXOL_* (vnic/applmem.h); answered by VML_ADDR_RC with
 * its seq: 0, or IPA_RC_INVALID_FORMAT for bits not defined / TSO without CSUM. */
#define VML_APPL_OFFLOAD_SIZE 2

struct vml_appl_logon {
	char userid[9];
	char password[9];
	char owner[9];
	char lan[9];
	uint16_t vlan;
	uint16_t flags;
	uint32_t region;
	uint16_t trace_num;		/* TRACE_PORT / TRACE_VLAN; NICDEF: its vdev */
	char trace_user[9];		/* TRACE_USER */
	uint16_t portnum;		/* the port number asked for, 0 = any */
};

struct vml_appl_reply {
	uint16_t rc;
	uint16_t vdev;
	uint32_t port_id;
	uint8_t transport;
	uint8_t mac[6];
	uint32_t max_frame;
	char text[128];
	uint16_t portnum;		/* the port's number on the LAN */
};

struct vml_handle_reply {
	uint16_t rc;
	uint16_t id;
	uint32_t nslots, slot_size;
};

int vml_appl_logon_encode(const struct vml_appl_logon *a, uint8_t *buf, size_t cap);
int vml_appl_logon_decode(const uint8_t *buf, size_t len, struct vml_appl_logon *a);
int vml_appl_reply_encode(const struct vml_appl_reply *r, uint8_t *buf, size_t cap);
int vml_appl_reply_decode(const uint8_t *buf, size_t len, struct vml_appl_reply *r);
int vml_handle_open_encode(uint16_t vdev, uint32_t seq, uint32_t nslots, uint8_t *buf, size_t cap);
int vml_handle_open_decode(const uint8_t *buf, size_t len, uint32_t *nslots);
int vml_handle_reply_encode(uint16_t vdev, uint32_t seq, const struct vml_handle_reply *r,
			    uint8_t *buf, size_t cap);
int vml_handle_reply_decode(const uint8_t *buf, size_t len, struct vml_handle_reply *r);

/* Which transport a VM side accepts for frames. */
enum vml_transport {
	VML_TRANSPORT_RING = 0,	/* the ring when CP offers one (default) */
	VML_TRANSPORT_SOCKET,	/* frames on the socket, always */
};

struct vml_hdr {
	uint8_t type;
	uint16_t vdev;
	uint32_t seq;
};

/* Codecs.  Encoders return the message length or -ENOSPC/-EINVAL; decoders 0 or
 * -EMSGSIZE (short), -EPROTO (version/type), -EBADMSG (inconsistent body). */
int vml_hdr_decode(const uint8_t *buf, size_t len, struct vml_hdr *h);
int vml_logon_encode(const struct vml_logon *l, uint8_t *buf, size_t cap);
int vml_logon_decode(const uint8_t *buf, size_t len, struct vml_logon *l);
int vml_logon_reply_encode(const struct vml_logon_reply *r, uint8_t *buf, size_t cap);
int vml_logon_reply_decode(const uint8_t *buf, size_t len, struct vml_logon_reply *r);
int vml_nicdef_encode(const struct vml_nicdef *d, uint8_t *buf, size_t cap);
int vml_nicdef_decode(const uint8_t *buf, size_t len, struct vml_nicdef *d);
/* FRAME: the metadata of f plus its payload gathered from f->spans. */
int vml_frame_encode(uint16_t vdev, const struct pframe *f, uint8_t *buf, size_t cap);
/* FRAME: f's spans point into buf (one span); valid while buf is. */
int vml_frame_decode(const uint8_t *buf, size_t len, struct pframe *f, struct qdio_span *span);
int vml_addr_encode(uint16_t vdev, uint32_t seq, const struct paddr *a, uint8_t *buf, size_t cap);
int vml_addr_decode(const uint8_t *buf, size_t len, struct paddr *a);
int vml_simple_encode(uint8_t type, uint16_t vdev, uint32_t seq, uint16_t value,
		      uint8_t *buf, size_t cap);	/* ADDR_RC (u16), LINK (u8), LOGOFF (u16 reason), DETACH */
int vml_simple_decode(const uint8_t *buf, size_t len, uint16_t *value);

/*
 * A link endpoint: a connected SOCK_SEQPACKET socket and the NICs on it.
 * Both sides use the same struct; `cp_side` says which way registrations go.
 * Thread-safety: one thread at a time (the caller's lock).
 */
#define VML_MAX_NICS 16

/* CP side: a frame for the VM waiting for room in the socket (its encoded message). */
struct vml_qmsg {
	struct vml_qmsg *next;
	uint32_t len;
	uint8_t msg[];
};

struct vml_nic {
	bool used;
	uint16_t vdev;
	struct port proxy;	/* CP side: attached to the LAN; VM side: the NIC's peer */
	struct port *nicport;	/* VM side: the NIC's own port */
	/* CP side: frames the VM has not taken yet beyond what the socket holds, in
	 * order, at most proxy.rxq_limit bytes (proxy.rxq_used counts them). */
	struct vml_qmsg *qhead, *qtail;
	unsigned qframes;
};

struct vmlink {
	int fd;
	bool cp_side;
	uint32_t seq;
	struct vml_nic nics[VML_MAX_NICS];
	uint8_t *buf;		/* VML_RX_BATCH * VML_MAX_MSG: messages in */
	uint8_t *obuf;
	int rc_timeout_ms;	/* VM side: how long a registration waits for CP */
	uint64_t sent, received, errors;
	/* Frames through the shared ring (lib/shmring.h): `ring_on` once the ring is
	 * mapped (CP: offered; VM: taken), `ring_tx` once this side sends through it.
	 * ring.broken says why a peer's ring was given up (the link is then dropped). */
	struct shring ring;
	bool ring_on, ring_tx;
	/* Frames from the ring are delivered from their slots: only the message's
	 * header and metadata are copied out (and decoded from that copy), the frame's
	 * bytes go from the slot straight to where the receiver puts them (a NIC's
	 * input buffer) -- one copy fewer per frame.  The VM side's (vml_init): nothing
	 * there looks at a frame's bytes before copying them.  Never cpnetd's: its
	 * switch checks addresses in the frame, and what it checks must be what it
	 * forwards (doc/rings.md, "The peer is hostile").  The frames point into the
	 * mapping until their delivery returns: nothing a delivery reaches may close
	 * the link or its ring.  (tests/fuzz/fuzz_vmring.c also sets it on a CP-side
	 * link, to drive the in-place parse into a sink; its VM mode fuzzes it as set
	 * here, into a real NIC.) */
	bool rx_in_place;
	enum vml_transport transport;	/* VM side: what it accepts */
	int ring_ack;			/* CP side: the VM's VML_RING_ACK, -1 while none */
	size_t ring_extra;		/* CP side: extra area of the offered ring (an
					 * application port's buffer region), bytes */
	uint32_t ring_nslots;		/* CP side: slots of the offered ring (0:
					 * VML_RING_SLOTS) */
	bool tx_bell_wait;		/* VM side: wait for room on the doorbell
					 * (vml_ring_tx) */
	uint64_t tx_sleep_ns;		/* VM side: the next timed wait for room (ns;
					 * 0: VML_TX_SLEEP_MIN_NS), matched to cpnetd's
					 * rate (vml_ring_tx) */
	uint64_t tx_sleeps;		/* VM side: timed waits for room taken */
	uint64_t syscalls;		/* made by the link (socket, doorbells): bench */
	/* This side's consumer of the ring: sleeping on the doorbell or polling
	 * (lib/adapt.h; vml_ring_note / vml_ring_wait_ns; adaptive unless told). */
	struct adapt rxa;
	uint64_t nap_until;		/* a nap taken (vml_ring_wait_ns) ends then (ns;
					 * 0: none); a look ends it sooner */
	uint64_t sock_check_ns;		/* VM side: the socket last looked at while busy */
	bool bell_asked;		/* VM side: the peer took a flag of ours (or may
					 * have) since the doorbell was last emptied: a
					 * doorbell may wait in it */
	bool bell_out;			/* a flag of ours (armed, or a nap's threshold) is
					 * set in the ring, neither taken back by us nor
					 * known to be taken by the peer */
	int peer_logoff;	/* the reason of a LOGOFF the peer sent, -1 while none came */
	/* VM side: CP told us about a NIC / a NIC went away / the session ended. */
	void (*on_nicdef)(void *ctx, const struct vml_nicdef *d);
	void (*on_detach)(void *ctx, uint16_t vdev);
	void (*on_link)(void *ctx, uint16_t vdev, bool up);
	/* VM side: frames now go through the ring; whoever waits for the link must now
	 * wait on vml_bell_fd too (a registration may have read the offer). */
	void (*on_ring)(void *ctx);
	/* CP side: an application's control message (VML_HANDLE_OPEN/CLOSE); returns
	 * 1 handled or a negative errno (counted as a bad message). */
	int (*on_ctl)(void *ctx, const struct vml_hdr *h, const uint8_t *m, size_t len);
	/* CP side: the offered ring is made and not yet sent (an application port
	 * writes its region's info page, which the program checks on arrival). */
	void (*on_ring_made)(void *ctx);
	/* VM side: the answer to vml_handle_call (VML_HANDLE), its descriptors taken. */
	struct vml_handle_reply hreply;
	int hfds[3];
	void *ctx;
};

int vml_init(struct vmlink *l, int fd, bool cp_side);
void vml_free(struct vmlink *l);

/* VM side: put NIC `nicport` (vdev) on the link: its frames and registrations go to
 * CP, CP's frames are delivered to it.  CP side: create the proxy port for vdev (the
 * caller attaches `*proxy` to a LAN).  Returns the proxy port or NULL (full). */
struct port *vml_add_nic(struct vmlink *l, uint16_t vdev, struct port *nicport);
void vml_del_nic(struct vmlink *l, uint16_t vdev);

/* Read and handle the messages waiting (up to VML_RX_BATCH in one recvmmsg; frames for
 * one NIC are handed over as one batch), waiting up to `wait_ms` for the first.
 * Returns 1 handled, 0 nothing waiting, -EPIPE when the peer is gone or logged off;
 * bad messages are counted in `errors` and skipped (the link survives). */
int vml_poll(struct vmlink *l, int wait_ms);
/* CP side, a command that waits inside cpnetd's loop (PING): the VML_FRAME messages at
 * the head of the socket (at most max, no wait), forwarded as vml_poll does; it stops
 * at the first other message, which stays for vml_poll (no registration, NIC or
 * LOGOFF is handled under the waiting command).  Returns frames read, or -EPIPE. */
int vml_poll_frames(struct vmlink *l, unsigned max);
/* Ring only: take what the peer put in the ring (up to VML_RING_BATCH entries,
 * delivered per NIC as batches) and send what waited for room.  No syscall unless the
 * peer sleeps.  Returns entries taken, 0 none, -EPIPE when the peer broke the ring
 * (l->ring.broken says how; the caller drops the link). */
int vml_poll_ring(struct vmlink *l);
/* About to sleep (ring on): true when the ring has work now (do not sleep); else the
 * peer rings l->ring.bell_me when it puts something in. */
bool vml_arm(struct vmlink *l);
/* The consumer's mode (lib/adapt.h), one code path for every consumer of a link's
 * ring -- vml_poll here, cpnetd's loop, the CPNIC's reader:
 *   vml_ring_note: a look at the ring took `taken` entries (`woken`: the look followed
 *     the doorbell, an interrupt); a consumer that now polls takes its doorbell
 *     flag back (the peer stops ringing).
 *   vml_ring_wait_ns: about to wait: how long the consumer may sleep.  0: not at
 *     all (it polls and its last look found work, or work came while it armed the
 *     doorbell, vml_arm); > 0: a nap of at most that many ns, doorbell unarmed (it
 *     polls, the last look found nothing: adapt_nap; counted as taken, and asked
 *     again before the next look it gives what is left of it); -1: armed, sleep
 *     until the doorbell (or anything else) wakes it.
 * vml_poll_policy: adaptive (default), interrupt-only or poll-only (measurement), with
 *   the thresholds cfg (NULL: lib/adapt.h's adapt_ring_cfg for its ring; tests choose their
 *   own). */
void vml_ring_note(struct vmlink *l, unsigned taken, bool woken);
int64_t vml_ring_wait_ns(struct vmlink *l);
/* ns left of the nap vml_ring_wait_ns gave (0: none, or over): a consumer with other
 * work in its loop leaves the ring alone meanwhile (its threshold doorbell is set). */
int64_t vml_ring_nap_left(const struct vmlink *l);
void vml_poll_policy(struct vmlink *l, enum adapt_policy p, const struct adapt_cfg *cfg);
/* The descriptor to wait on besides l->fd (-1 without a ring). */
int vml_bell_fd(const struct vmlink *l);
/* CP side, after LOGON: offer a ring (VML_RING).  0, or -errno (then the socket it is). */
int vml_ring_offer(struct vmlink *l);
/* Give the ring up (a lost connection: a new one negotiates its own). */
void vml_ring_close(struct vmlink *l);
/* Syscalls the link made (socket, doorbells), for benchmarks. */
uint64_t vml_syscalls(const struct vmlink *l);

/* Frames for `vdev` into the ring (this side's one copy each), one publish.  The
 * VM's side waits for room in a full ring while cpnetd frees slots -- in timed sleeps
 * whose length follows cpnetd's rate, so that each frees between an eighth and half
 * of the ring (VML_TX_SLEEP_MIN_NS .. VML_TX_SLEEP_MAX_NS), or with l->tx_bell_wait
 * asleep on its doorbell, which cpnetd rings once a useful amount of room is free
 * (shr_tx_want) -- and gives up after stall_ms without a free one; cpnetd's side
 * never waits.  tx_bell_wait is for a side whose doorbell
 * nobody else sleeps on meanwhile (the wait empties it: a reader thread asleep on it
 * for frames, as Hercules's, would miss its wake-up): an application's link, whose
 * queue 0 carries nothing.
 * in_order: stop at the first frame that does not go (the rest is not sent).
 * Returns how many went; a frame over 65536 bytes or a broken ring does not. */
unsigned vml_ring_tx(struct vmlink *l, uint16_t vdev, const struct pframe *f, unsigned n,
		     unsigned stall_ms, bool in_order);
#define VML_TX_SLEEP_MIN_NS 50000ull	/* 50 us */
#define VML_TX_SLEEP_MAX_NS 4000000ull	/* 4 ms: a deep ring's quarter at 0.25 Mpps */

/* VM / app side: wait for CP's answer to message `seq` (VML_ADDR_RC, VML_HANDLE),
 * handling what else arrives meanwhile (bounded by rc_timeout_ms).  0 with *rc set
 * (VML_HANDLE: also l->hreply, l->hfds), -ETIMEDOUT, -EPIPE (the session ended). */
int vml_await(struct vmlink *l, uint32_t seq, uint16_t *rc);
/* App side: send a message that CP answers with VML_HANDLE (seq pairs them) and wait
 * for the answer (bounded by rc_timeout_ms), handling what else comes.  0 with
 * l->hreply / l->hfds set (the caller takes the descriptors), or -errno. */
int vml_handle_call(struct vmlink *l, const uint8_t *msg, size_t len, uint32_t seq);

/* App side: VML_APPL_LOGON on a connected socket and CP's VML_APPL_REPLY (bounded).
 * 0 with *reply set (reply->rc 0 = registered), or -errno. */
int vml_appl_logon_fd(int fd, const struct vml_appl_logon *a, int wait_ms,
		      struct vml_appl_reply *reply);

/* CP side: send the frames waiting for the VM (each NIC's in order) until the socket
 * is full again.  Returns the frames still waiting (cpnetd then waits for POLLOUT). */
unsigned vml_flush(struct vmlink *l);

/* CP side: a message with descriptors (SCM_RIGHTS: VML_RING, VML_HANDLE), at once
 * (no waiting for room).  0 or -errno. */
int vml_send_fds(struct vmlink *l, const uint8_t *msg, size_t len, const int *fds, unsigned nfds);

/* Send raw messages (LOGON, NICDEF, LINK ...). 0 or -errno. */
int vml_send(struct vmlink *l, const uint8_t *msg, size_t len);

/* VM side: LOGON and wait for the reply (bounded); 0 ok, positive CP rc, or -errno.
 * NIC definitions that follow are handed to on_nicdef by vml_poll. */
int vml_logon(struct vmlink *l, const char *userid, const char *password, int wait_ms,
	      struct vml_logon_reply *reply);
/* The same on a connected socket that is not (yet) a link's: a VM logging on again
 * while its link's buffers are in use.  Reads only the reply. */
int vml_logon_fd(int fd, const char *userid, const char *password, int wait_ms,
		 struct vml_logon_reply *reply);

/* VM side: a SOCK_SEQPACKET connection to CP's VM socket `path`: the descriptor
 * (close-on-exec) or -errno (-ENAMETOOLONG, -ENOENT, -ECONNREFUSED ...). */
int vml_connect(const char *path);

/*
 * VM side: when to LOGON again after CP went away without logging the VM off (cpnetd
 * stopping for a restart or upgrade, or crashing).  Attempts start VML_RETRY_MIN_MS
 * after the loss and the delay doubles up to VML_RETRY_MAX_MS, then stays there:
 * forever, because a guest cannot do anything useful with a NIC whose CP is gone but
 * wait for it.  The attempts worth a log line (vml_retry_failed): every one while the
 * delay grows, then one per VML_RETRY_LOG_MS, so an outage is visible in the log
 * without filling it.  Pure arithmetic on the caller's clock (tests use a fake one).
 */
#define VML_RETRY_MIN_MS 100
#define VML_RETRY_MAX_MS 500	/* a cpnetd back is found within 0.5 s; a connect() to
				 * an absent socket twice a second costs nothing */
#define VML_RETRY_LOG_MS 30000

struct vml_retry {
	uint64_t since_ms;	/* the link was lost */
	uint64_t next_ms;	/* the next attempt is due */
	uint64_t logged_ms;	/* the last attempt that was logged */
	uint32_t delay_ms;	/* from the last attempt to the next */
	unsigned attempts;	/* failed so far */
};

void vml_retry_start(struct vml_retry *r, uint64_t now_ms);
/* Milliseconds until the next attempt (0: due now). */
uint64_t vml_retry_wait(const struct vml_retry *r, uint64_t now_ms);
/* The attempt made at now_ms failed: schedule the next.  True when this failure
 * should be logged. */
bool vml_retry_failed(struct vml_retry *r, uint64_t now_ms);

#endif
