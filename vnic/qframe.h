/* vnic/qframe.h - the one conversion between a qeth header and a port frame's metadata,
 * used by the virtual NIC (guest side) and by CP's uplink (the OSA's driver side). */
#ifndef CPNET_VNIC_QFRAME_H
#define CPNET_VNIC_QFRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "qeth/qhdr.h"
#include "vnic/port.h"

/*
 * Which way the header travels decides where layer 3 keeps the VLAN id and the source
 * MAC: a driver's outbound header has the VLAN at 0x0C (EXT_VLAN); an adapter's
 * inbound header has the VLAN and the sender's MAC in the address area (EXT_INCL_VLAN,
 * EXT_SRC_MAC).
 */
enum qframe_dir {
	QF_OUTBOUND,	/* written by the driver (guest -> adapter) */
	QF_INBOUND,	/* written by the adapter (adapter -> driver) */
};

/* Fill kind, cast, ipv6, vlan, next_hop (outbound layer 3), src_mac (inbound layer 3)
 * and the offload state (csum, csum_ip_hdr, gso_size: a TSO header is a large send)
 * of *f from a decoded header; spans and len are the caller's. */
void qframe_meta(const struct qhdr *h, enum qframe_dir dir, struct pframe *f);

/* The inbound header an adapter writes for frame f on a NIC of the given layer;
 * verified: the receiver enabled inbound checksum, so a frame whose checksum was left
 * out or checked (csum != NONE) is marked "transport checksum verified" (its field
 * is then not looked at).  The caller completes what it does not mark.
 * -EINVAL when the frame cannot travel on that layer (bare IP to a layer-2 NIC). */
int qframe_inbound_hdr(const struct pframe *f, unsigned layer, bool verified, struct qhdr *h);

/* The layer-3 cast flag for a frame's cast. */
uint8_t qframe_l3_cast(uint8_t pf_cast);

#endif
