/* osa/vnet.h - the virtio-net header in front of every frame on a TAP with IFF_VNET_HDR
 * (osa/wire_tap.c): its layout, and what a reader does with the header of a frame read. */
#ifndef CPNET_OSA_VNET_H
#define CPNET_OSA_VNET_H

#include <stdint.h>

struct wire_ofl;

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

#define VNET_F_DATA_VALID 2u

/* Why a header read from a TAP was refused: the frame is dropped and counted
 * (wire_stats.rx_bad_vnet[why]). */
enum vnet_bad {
	VNET_BAD_FLAGS = 0,	/* flag bits other than one of NEEDS_CSUM / DATA_VALID */
	VNET_BAD_GSO_TYPE,	/* a GSO type other than TCPv4 / TCPv6 (UDP, ECN: never
				 * offered to the kernel) */
	VNET_BAD_LARGE,		/* a large receive the reader did not ask for (rx_large off,
				 * or a read path that takes none) */
	VNET_BAD_NOCSUM,	/* lib/tso's reasons (enum tso_req_bad) */
	VNET_BAD_WHERE,
	VNET_BAD_PROTO,
	VNET_BAD_SIZE,
	VNET_BAD_NR
};

/*
 * A frame of len bytes read behind header h (the header not included): check the
 * header against the frame and finish what it leaves to the reader.  The header is the
 * peer's (the kernel's, relaying whoever sent the frame) and is trusted in nothing:
 * flags and GSO type must be ones it may send, a checksum's start and field must be
 * the frame's own TCP/UDP header and checksum field (lib/tso tso_req_check, the check
 * cpnet-vhost makes of a guest's header), a large send TCP of the IP version it names
 * with a segment size above the floor.  NEEDS_CSUM (CHECKSUM_PARTIAL): the checksum is
 * completed (lib/csum, a UDP result of 0 as 0xFFFF); DATA_VALID: taken as it is (the
 * receivers verify what they need).
 * large: the reader takes large receives (the TAP's rx_large, doc/osa.md): a well-formed
 * one is kept whole, its checksum left open, and *large says so (gso, gso_size,
 * hdr_len and csum_start / offset as the frame's headers have them); NULL: a large
 * receive is refused (VNET_BAD_LARGE).
 * Returns len, or -EBADMSG with *why (nothing written).
 */
int vnet_rx_finish(const struct vnet_hdr *h, uint8_t *frame, uint32_t len,
		   struct wire_ofl *large, enum vnet_bad *why);

/* "flags", "GSO type", ...: a reason's name (counters, tests). */
const char *vnet_bad_name(enum vnet_bad why);

#endif
