/* lib/tso.h - TCP segmentation of a large send (one frame of up to 64 KiB whose TCP payload
 * is cut into MSS-sized segments), done where a receiver or the wire cannot take it whole. */
#ifndef CPNET_LIB_TSO_H
#define CPNET_LIB_TSO_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/csum.h"

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
 * 0; -EBADMSG (headers, or mss 0); -EPROTONOSUPPORT (not TCP over IPv4/IPv6).
 */
int tso_init(struct tso *t, const uint8_t *f, uint32_t len, bool eth, uint32_t mss, bool csum);
/* How many segments the whole large send makes (at least 1). */
unsigned tso_count(const struct tso *t);
/* Write the next segment into out: its length; 0 when all were made; -ENOSPC if it does
 * not fit in cap (nothing consumed). */
int tso_next(struct tso *t, uint8_t *out, uint32_t cap);

#endif
