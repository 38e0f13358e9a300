/* osa/vnet.h - the virtio-net header in front of every frame on a TAP with IFF_VNET_HDR
 * (osa/wire_tap.c): its layout, and what a reader does with the header of a frame read. */
#ifndef CPNET_OSA_VNET_H
#define CPNET_OSA_VNET_H

#include <stdint.h>

/* The legacy layout, in the host's byte order (the kernel's, not the wire's). */
#define VNET_HLEN 10u
#define VNET_F_NEEDS_CSUM 1u
#define VNET_GSO_NONE 0u
#define VNET_GSO_TCPV4 1u
#define VNET_GSO_TCPV6 4u
#define VNET_GSO_ECN 0x80u

struct vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};
_Static_assert(sizeof(struct vnet_hdr) == VNET_HLEN, "virtio_net_hdr is 10 bytes");

/*
 * A frame of len bytes read behind header h (the header not included): finish what
 * the header leaves to the reader.  NEEDS_CSUM (CHECKSUM_PARTIAL): the 16-bit field at
 * csum_start + csum_offset holds the pseudo-header sum; the sum from csum_start to the
 * end of the frame, inverted, is written there (a UDP result of 0 as 0xFFFF).  The
 * kernel should never hand us one (the TAP is opened with no TUNSETOFFLOAD features),
 * so the fields are not trusted: the header is the peer's.
 * Returns len; -EMSGSIZE for a large receive (a GSO type: we asked for none and cannot
 * forward one whole); -EBADMSG when the checksum's start or field lie outside the
 * frame (nothing written; the caller counts the drop).
 */
int vnet_rx_finish(const struct vnet_hdr *h, uint8_t *frame, uint32_t len);

#endif
