/* lib/tso.h - TCP segmentation of a large send (one frame of up to 64 KiB whose TCP payload
 * is cut into MSS-sized segments), done where a receiver or the wire cannot take it whole. */
#ifndef CPNET_LIB_TSO_H
#define CPNET_LIB_TSO_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/csum.h"

/*
 * The smallest segment size a sender may ask for: 536 over IPv4 (RFC 879 and RFC 1122
 * 4.2.2.6: the MSS a host assumes when the peer announces none), 1220 over IPv6 (RFC 8200's
 * minimum link MTU 1280, less 40 bytes of IPv6 and 20 of TCP header).  Below it a 64 KiB
 * large send would be cut into up to 65,000 segments for every receiver, all of it work of
 * cpnetd's one thread; a sender asking for less is refused where its frame enters.
 */
#define TSO_MSS_MIN_V4 536u
#define TSO_MSS_MIN_V6 1220u

static inline uint32_t tso_mss_min(bool v6)
{
	return v6 ? TSO_MSS_MIN_V6 : TSO_MSS_MIN_V4;
}

/* The most segments one large send may make: tso_init refuses more (-E2BIG), so every
 * receiver's work per frame is bounded whoever set the segment size (a sender held to
 * the floor above makes at most 123 of 64 KiB). */
#define TSO_MAX_SEGS 1024u

/*
 * What a device header (virtio-net's, from a guest's TX chain or a TAP read) says a frame
 * leaves open, decoded by its reader: the checksum to complete and a TCP large send.  The
 * header is the peer's: tso_req_check holds it against the frame's own headers.
 */
struct tso_req {
	bool csum;		/* NEEDS_CSUM: the field holds the pseudo-header sum */
	uint16_t csum_start;	/* where the checksum starts (from the frame's first byte) */
	uint16_t csum_offset;	/* the field, from csum_start */
	uint8_t gso_v;		/* 0: one frame; 4 / 6: a TCP large send over IPv4 / IPv6 */
	uint16_t gso_size;	/* its segment payload size */
};

/* Why a request was refused (the reader counts drops by it). */
enum tso_req_bad {
	TSO_REQ_OK = 0,
	TSO_REQ_NOCSUM,		/* a large send whose checksum is not left open */
	TSO_REQ_WHERE,		/* csum_start / offset not the frame's own TCP/UDP checksum
				 * field (or the headers do not parse) */
	TSO_REQ_PROTO,		/* a large send of other than TCP over the IP version said */
	TSO_REQ_SIZE,		/* segment size under tso_mss_min, or more than
				 * TSO_MAX_SEGS segments */
	TSO_REQ_NR
};

/* Check request r against the Ethernet frame f (len bytes); *p gets its headers (valid
 * when TSO_REQ_OK and r->csum or r->gso_v).  A request with neither is OK unparsed. */
enum tso_req_bad tso_req_check(const uint8_t *f, uint32_t len, const struct tso_req *r,
			       struct csum_pkt *p);

/* An iterator over the segments of one large send. */
struct tso {
	const uint8_t *f;	/* the large frame (headers + whole payload) */
	struct csum_pkt p;
	uint32_t hlen;		/* bytes of headers every segment repeats (up to TCP options) */
	uint32_t mss;
	uint32_t off;		/* payload offset of the next segment */
	uint32_t seq;		/* sequence number of the first payload byte */
	uint16_t ip_id;		/* IPv4 id of the first segment */
	uint8_t flags;		/* TCP flags of the large send */
	bool csum;		/* write checksums (false: the receiver takes them as verified) */
	unsigned n;		/* segments made so far */
};

/*
 * Start segmenting f (len bytes; eth as for csum_parse) into segments of at most mss
 * payload bytes.  csum: compute the TCP (and IPv4 header) checksum of each segment;
 * without it the TCP checksum field is 0 and the IPv4 header checksum still right.
 * 0; -EBADMSG (headers, or mss 0); -EPROTONOSUPPORT (not TCP over IPv4/IPv6); -E2BIG
 * (more than TSO_MAX_SEGS segments).
 */
int tso_init(struct tso *t, const uint8_t *f, uint32_t len, bool eth, uint32_t mss, bool csum);
/* How many segments the whole large send makes (at least 1). */
unsigned tso_count(const struct tso *t);
/* Write the next segment into out: its length; 0 when all were made; -ENOSPC if it does
 * not fit in cap (nothing consumed). */
int tso_next(struct tso *t, uint8_t *out, uint32_t cap);

#endif
