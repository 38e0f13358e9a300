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
 * `owner`'s NIC `vdev`, port number `portnum` (LAN_PORTNUM_AUTO = lowest free).
 * `mac` is the NIC's assigned MAC (MACPROTECT ON allows only it; may be NULL).
 * Sets port->ops/peer.  Returns the port number (> 0), or
 *   -EINVAL  bad owner or port number, -EBUSY the port is attached somewhere,
 *   -EACCES  RESTRICTED LAN and `owner` not granted,
 *   -EUSERS  MAXCONN connections already, -EADDRINUSE port number taken.
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

/* The lookups (netmap VALE style): one per transport, chosen by lan_set_transport. */
int lan_lookup_l3(struct lanbk *lan, const struct pframe *f, struct port *from);
int lan_lookup_l2(struct lanbk *lan, const struct pframe *f, struct port *from);

/* Forward a batch as if `from` (attached to this LAN) had sent it; this is the
 * port_ops tx the LAN installs, exported for tests and benchmarks. */
void lan_forward(struct lanbk *lan, struct port *from, const struct pframe *f, unsigned n);
/* A registration from `from`; the port_ops addr the LAN installs. */
uint16_t lan_register(struct lanbk *lan, struct port *from, const struct paddr *a);

/* (Re)compute a connection's port type, VLANs and PROMISCUOUS authorization from
 * the access list and the LAN defaults (at COUPLE and after GRANT). */
void lan_conn_authorize(struct lanbk *lan, struct lan_conn *c);

/* Release a LAN's connection table and forwarding scratch (lan.c, at destroy; they
 * are allocated at the first attach). */
void lan_switch_fini(struct lanbk *lan);

/* What the switch lets connection q see of a frame from fc (NULL: not from a port) on
 * VLAN vid: q's VLAN authorization and isolation, as forwarding applies them (not
 * whether q is started).  For taps that deliver outside forwarding (trace ports). */
bool lan_may_see(const struct lanbk *lan, const struct lan_conn *fc, const struct lan_conn *q,
		 uint16_t vid);

#endif
