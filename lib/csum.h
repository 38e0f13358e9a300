/* lib/csum.h - Internet checksums of whole frames: find the IP and TCP/UDP headers of an
 * Ethernet frame or bare IP packet, complete a checksum a guest left out, verify one. */
#ifndef CPNET_LIB_CSUM_H
#define CPNET_LIB_CSUM_H

#include <stdbool.h>
#include <stdint.h>

#define CSUM_PROTO_TCP 6
#define CSUM_PROTO_UDP 17

/* Where the headers of one frame are (offsets from the frame's first byte). */
struct csum_pkt {
	uint32_t l3;		/* IP header */
	uint32_t l4;		/* TCP / UDP header */
	uint32_t end;		/* end of the IP datagram (before any Ethernet padding) */
	uint16_t l4hlen;	/* TCP header with options, or 8 for UDP */
	uint8_t proto;		/* CSUM_PROTO_TCP / CSUM_PROTO_UDP */
	bool v6;
	uint8_t src[16], dst[16];	/* pseudo-header addresses (IPv4: first 4 bytes);
					 * IPv6 dst: the final one of a routing header */
};

/*
 * Find the TCP or UDP header of f (len bytes): eth = the frame starts with an Ethernet
 * header (up to two VLAN tags skipped), else it is a bare IP packet.  IPv6 extension
 * headers (hop-by-hop, routing, destination options, AH) are walked.  An IPv4 total
 * length of 0 (Linux's layer-3 large send) means "up to the end of the frame".
 * 0; -EBADMSG (truncated or inconsistent headers); -EPROTONOSUPPORT (not TCP/UDP over
 * IPv4/IPv6, or a fragment: its checksum covers a datagram we do not have).
 */
int csum_parse(const uint8_t *f, uint32_t len, bool eth, struct csum_pkt *p);

/* The same when only the first `have` bytes of the len-byte frame are at f (a copy of
 * its headers): -EBADMSG also when the headers do not lie wholly in them. */
int csum_parse_prefix(const uint8_t *f, uint32_t have, uint32_t len, bool eth,
		      struct csum_pkt *p);

/* Ones'-complement sum of len bytes added to sum (not folded, not inverted). */
uint64_t csum_add(uint64_t sum, const uint8_t *b, uint32_t len);
/* Fold a sum to 16 bits (not inverted). */
uint16_t csum_fold(uint64_t sum);
/* Sum of the pseudo header for an L4 segment of l4len bytes. */
uint64_t csum_pseudo(const struct csum_pkt *p, uint32_t l4len);

/* Write the TCP/UDP checksum of the datagram p describes (the field's old contents are
 * ignored), and with ip_hdr the IPv4 header checksum too. */
void csum_complete(uint8_t *f, const struct csum_pkt *p, bool ip_hdr);
/* Is the TCP/UDP checksum right (a UDP/IPv4 checksum of 0 means "none": true)? */
bool csum_verify(const uint8_t *f, const struct csum_pkt *p);
/* Write the IPv4 header checksum at p->l3 (no-op for IPv6). */
void csum_ip4_hdr(uint8_t *f, const struct csum_pkt *p);

/* Leave the TCP/UDP checksum of the datagram p describes for the receiver to complete (a
 * device's checksum offload; virtio's NEEDS_CSUM, a TAP's vnet header): the IP length field
 * set from p (a large send may carry an IPv4 total length of 0), the IPv4 header checksum
 * written, and the checksum field holding the pseudo-header sum (folded, not inverted), as
 * a sending stack leaves it.  Returns the checksum field's offset from p->l4 (16 TCP, 6
 * UDP), or -EMSGSIZE when the datagram is longer than its length field can say. */
int csum_open(uint8_t *f, const struct csum_pkt *p);

#endif
