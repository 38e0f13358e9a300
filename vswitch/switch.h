/* vswitch/switch.h - forwarding inside one LANBK: attaching ports, address
 * registrations (IPA return codes) and the batched, copy-once frame switch. */
#ifndef CPNET_VSWITCH_SWITCH_H
#define CPNET_VSWITCH_SWITCH_H

#include <stdbool.h>
#include <stdint.h>

#include "vnic/port.h"
#include "vswitch/lan.h"

/*
 * COUPLE: attach `port` (a NIC's port) to the LAN as an adapter connection of
 * `owner`'s NIC `vdev`, port number `portnum` (LAN_PORTNUM_AUTO = the lowest free one
 * defined for `owner` by lan_set_portnum_user, else the lowest free one defined for
 * nobody).  `mac` is the NIC's assigned MAC (MACPROTECT ON allows only it; may be
 * NULL).  Sets port->ops/peer.  Returns the port number (> 0), or
 *   -EINVAL  bad owner or port number, -EBUSY the port is attached somewhere,
 *   -EACCES  RESTRICTED LAN and `owner` not granted,
 *   -EUSERS  MAXCONN connections already (or no number left),
 *   -EADDRINUSE port number taken, -EPERM port number defined for another user.
 */
int lan_attach_port(struct lanbk *lan, struct port *port, const char *owner, uint16_t vdev,
		    unsigned portnum, const uint8_t *mac);
/* UNCOUPLE: withdraws everything the port registered, resets its ops/peer.
 * 0 or -ENOENT (not attached to this LAN). */
int lan_detach_port(struct lanbk *lan, struct port *port);

/* The uplink port (the OSA's data device driven by CP): a trunk for every VLAN,
 * not counted by MAXCONN, exempt from source checks.  0, -EBUSY (one already),
 * -EUSERS (no slot). */
int lan_attach_uplink(struct lanbk *lan, struct port *port);
int lan_detach_uplink(struct lanbk *lan);

/* Forward a batch as if `from` (attached to this LAN) had sent it; this is the
 * port_ops tx the LAN installs, exported for tests and benchmarks. */
void lan_forward(struct lanbk *lan, struct port *from, const struct pframe *f, unsigned n);
/* A registration from `from`; the port_ops addr the LAN installs. */
uint16_t lan_register(struct lanbk *lan, struct port *from, const struct paddr *a);
/* The registration (set) or withdrawal of LAN IP table entry e as the uplink's OSA
 * takes it: SETIP / DELIP with the mask the guest gave (none: a host mask; IPv6 no
 * mask), SETVMAC / DELVMAC.  One builder for every path (withdrawals, pushes, misses). */
void lan_uni_paddr(const struct ipt_uni *e, bool set, struct paddr *a);

/* (Re)compute a connection's port type, VLANs and PROMISCUOUS authorization from
 * the access list and the LAN defaults (at COUPLE and after GRANT). */
void lan_conn_authorize(struct lanbk *lan, struct lan_conn *c);

/*
 * Bandwidth caps (vswitch/shaper.h, doc/rings.md "Bandwidth caps"): a port's frames
 * into the LAN and the LAN's frames to it each pass a token bucket of `rate` bits/s
 * (burst: shaper_burst_for); what is over it is dropped and counted (PD_CAP_TX /
 * PD_CAP_RX on the port and the LAN, bytes in the conn's shapers).  A connection
 * runs at the lower of two caps, 0 = none:
 *   lan_set_portnum_cap: the operator's, on port number 1..2048, whether a port has
 *     it now or couples later (SET VSWITCH name PORTNUMBER n BANDWIDTH);
 *   lan_set_own_cap: the NIC's own, on its attached port (SET NIC, NICDEF).
 * 0, -EINVAL (port number / rate out of range), -ENOMEM, -ENOENT (port not attached).
 */
int lan_set_portnum_cap(struct lanbk *lan, unsigned portnum, uint64_t rate);
uint64_t lan_portnum_cap(const struct lanbk *lan, unsigned portnum);
/* Port number 1..2048 defined for `user` (SET VSWITCH name PORTNUMBER n USERID u;
 * NULL: for anybody again): only u's ports may couple with it, and u's ports without
 * a number take it first.  0, -EINVAL, -ENOMEM, -EADDRINUSE (another user's port has
 * the number now).  lan_portnum_user: the user, or NULL. */
int lan_set_portnum_user(struct lanbk *lan, unsigned portnum, const char *user);
const char *lan_portnum_user(const struct lanbk *lan, unsigned portnum);
int lan_set_own_cap(struct lanbk *lan, struct port *port, uint64_t rate);
/* The cap a connection runs at (bits/s, 0 = none). */
static inline uint64_t lan_conn_cap(const struct lan_conn *c)
{
	return c->cap[LAN_CAP_TX].rate;
}

/* Release a LAN's connection table and forwarding scratch (lan.c, at destroy; they
 * are allocated at the first attach). */
void lan_switch_fini(struct lanbk *lan);

/* What the switch lets connection q see of a frame from fc (NULL: not from a port) on
 * VLAN vid: q's VLAN authorization and isolation, as forwarding applies them (not
 * whether q is started).  For taps that deliver outside forwarding (trace ports). */
bool lan_may_see(const struct lanbk *lan, const struct lan_conn *fc, const struct lan_conn *q,
		 uint16_t vid);
/* For a tap, inside its frame callback (frame i of the batch): f as a receiver gets it
 * that has the frame's VLAN tagged (tag_out) or untagged, on a layer-2 VLAN-aware LAN
 * (elsewhere, and for a frame of no VLAN, f as it is): the same spans, or in sp (room
 * for f->nspans + 13) the spans around an inserted or removed 802.1Q tag written to
 * t.  o->vlan says the VLAN when tagged. */
void lan_tap_view(const struct lanbk *lan, const struct pframe *f, unsigned i, bool tag_out,
		  uint8_t t[4], struct qdio_span *sp, struct pframe *o);

#endif
