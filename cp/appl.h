/* cp/appl.h - application ports on cpnetd's side (api/cpnetport.h): a program registered
 * as a port of a LAN, authorized like a NIC of its user, receiving into buffers it posted. */
#ifndef CPNET_CP_APPL_H
#define CPNET_CP_APPL_H

#include <stdbool.h>
#include <stdint.h>

#include "cp/cp.h"
#include "lib/shmring.h"
#include "vnic/applmem.h"
#include "vnic/vmlink.h"

/*
 * An application's link (vnic/vmlink.h, VML_APPL_LOGON) carries one port.  The port is
 * the link's proxy port (vdev APPL_VDEV) attached to the LAN as a connection of type
 * APPL of the user: lan_attach_port decides GRANT/RESTRICTED/MAXCONN exactly as for a
 * NIC, the switch applies VLAN, PORTTYPE, ISOLATION, MACPROTECT and its source checks
 * to every frame the port sends.  What the program sends comes through the link's ring
 * (VML_FRAME entries, vml_poll_ring).  What the LAN delivers to the port is written by
 * appl_rx straight into buffers the program posted on a receive handle:
 *
 *   region	the extra area of the link's ring (shr_create_extra): the program's
 *		buffer memory.  Its first APPL_INFO_SIZE bytes are cpnetd's: the port's
 *		state (APPL_INFO_*), which the program reads without a syscall.
 *   handle	a ring of its own (A = cpnetd): queue 1 carries posts (program ->
 *		cpnetd: u64 offset in the region, u32 length, u32 0), queue 0
 *		completions (cpnetd -> program: u64 offset, u32 frame length, u16 VLAN,
 *		u16 flags APPL_DONE_*), one entry per slot of APPL_ENTRY bytes.
 *
 * Everything the program writes is hostile: a post is read once, its offset and length
 * checked against the region before anything is written there, and a bad one is
 * counted (appl_port.bad) and skipped; a handle ring whose indices break is closed
 * (counted) and the port keeps its other handles.  cpnetd reads nothing back from the
 * region but a frame it has just written there (to complete a checksum the sender
 * left out: a program changing it meanwhile spoils only its own frame).
 * All entries are in the host's byte order (both processes are on one host).
 */
/* What a program did wrong, counted per port (QUERY ... DETAILS). */
enum appl_bad {
	APPL_BAD_POST = 0,		/* a post outside the region, shorter than APPL_BUF_MIN
					 * or with its reserved word not 0 */
	APPL_BAD_RING,			/* a handle ring broken (indices, lengths): closed */
	APPL_BAD_CTL,			/* a malformed control message */
	APPL_BAD_MAX
};

/* Frames for the port while no buffer is posted wait in cpnetd, in order, in blocks of
 * APPL_HOLD_BLOCK bytes (an allocation per block, not per frame; two spare blocks are
 * kept), up to the LAN's QUEUESTORAGE (port.rxq_limit, counted in port.rxq_used like a
 * VM's queue); beyond it they are dropped as PD_QSTORAGE.  Each entry: u32 length,
 * u16 VLAN, u16 completion flags, u16 segment size (APPL_DONE_GSO), 6 bytes 0, the
 * frame as it will be written (checksum completed or opened, a large send already cut
 * or kept whole, as the port's APPL_RXOL_* said then), padded to 8 bytes. */
#define APPL_HOLD_BLOCK (128u << 10)
#define APPL_HOLD_HDR 16		/* + u16 segment size of a large send kept whole */
struct appl_hblk {
	struct appl_hblk *next;
	uint32_t head, tail;		/* the next entry to deliver, the end of the last */
	uint8_t d[APPL_HOLD_BLOCK];
};

struct appl_handle {
	bool used;
	uint16_t id;
	struct shring ring;		/* cpnetd = side A */
	uint64_t frames;
};

struct appl_port {
	uint32_t id;
	char user[9];
	struct lanbk *lan;		/* NULL once ended */
	struct vmlink *link;		/* owned by the server */
	struct port *port;		/* the link's proxy port */
	uint8_t mac[6];
	bool has_mac;
	uint8_t *region;		/* the link ring's extra area, once offered */
	size_t region_size;
	struct appl_handle h[APPL_MAX_HANDLES];
	uint16_t next_hid;
	unsigned rr;			/* next handle to try */
	uint8_t state;			/* enum appl_state */
	uint64_t bad[APPL_BAD_MAX];
	uint8_t *seg;			/* scratch for a large send cut into segments */
	struct trace *trace;		/* a trace port (VML_APPL_TRACE): the switch's tap */
	/* Frames waiting for a posted buffer (APPL_HOLD_BLOCK), oldest first. */
	struct appl_hblk *hold_head, *hold_tail, *hold_spare;
	unsigned held;			/* frames waiting now */
	uint64_t held_total;		/* frames that ever waited (delivered later or not) */
	bool posts_armed;		/* cpnetd asked the handles to ring when posts come */
	/* What the program takes whole (APPL_RXOL_*, VML_APPL_OFFLOAD): checksums left
	 * open, large sends; 0 = every frame finished here (checksums written, large
	 * sends cut), as for a NIC whose guest enabled no inbound assist. */
	uint16_t rx_ofl;
};

struct appl_table {
	struct appl_port **v;
	unsigned n, cap;
	uint32_t next_id;
};

/*
 * VML_APPL_LOGON on `link` (CP side, its first message): checks the directory and
 * password, finds the LAN (owner SYSTEM: a VSWITCH), attaches the port as the user's
 * APPL connection, checks the VLAN and PROMISCUOUS request against the user's
 * authorization, registers the assigned MAC (ETHERNET), answers VML_APPL_REPLY and
 * sets link->ring_extra for the offer.  0 with *out set, or the message rc (the
 * reply is sent; the caller closes the connection).
 */
int appl_register(struct cp *cp, struct vmlink *link, const struct vml_appl_logon *a,
		  struct appl_port **out);
/* After the ring offer: the region is the offered ring's extra area. */
void appl_region_ready(struct appl_port *ap);
/* The link's control callback (vmlink.on_ctl, ctx = the port). */
int appl_ctl(void *ctx, const struct vml_hdr *h, const uint8_t *m, size_t len);
/* End the port (FORCE, the LAN gone): it leaves its LAN, the program is told
 * (VML_LOGOFF with the reason, the region's state); the server then closes the link. */
void appl_end(struct cp *cp, struct appl_port *ap, enum appl_state why);
/* The link closed: release everything the port held and forget it. */
void appl_free(struct cp *cp, struct appl_port *ap);
/* Deliver frames waiting for buffers into what the program posted since (in order);
 * while some still wait, ask the handles to ring their doorbell (appl_bell_fd) at the
 * next post.  Called by cpnetd's loop each pass and when such a doorbell rang. */
void appl_poll(struct appl_port *ap);
/* The descriptor handle slot k rings when the program posts while cpnetd waits for
 * buffers (appl_poll), and that handle's id; -1 for a slot without a handle. */
int appl_bell_fd(const struct appl_port *ap, unsigned k, uint16_t *id);
/* Handle slot k's doorbell rang: empty it, then appl_poll. */
void appl_bell(struct appl_port *ap, unsigned k);
/* FORCE userid: end the user's ports, one HCPAPL9502I line each.  How many. */
unsigned appl_force(struct cp *cp, const char *user, struct out *o);
/* REVOKE of `user` on a RESTRICTED Guest LAN: its ports there end (its NICs are
 * uncoupled), one HCPAPL9502I line each. */
void appl_revoked(struct cp *cp, const struct lanbk *lan, const char *user, struct out *o);
/* DETACH LAN: end the ports on it (before the LAN goes). */
void appl_lan_gone(struct cp *cp, const struct lanbk *lan);
/* Is this MAC assigned to an application port (cp_mac_in_use)? */
bool appl_mac_in_use(const struct cp *cp, const uint8_t mac[6]);
/* The port with this id, or NULL. */
struct appl_port *appl_find(const struct cp *cp, uint32_t id);
const char *appl_bad_name(enum appl_bad why);
/* Forget every port (cp_free; their links are the server's). */
void appl_table_free(struct cp *cp);

#endif
